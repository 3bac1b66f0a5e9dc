#!/usr/bin/env bash
# thermopadd end to end under thermopad-sim, through the real libusb, with
# the thermopad command line as the client. Waits are on conditions (the
# socket answering, model time reaching a value), never fixed sleeps.
set -u
build=${TP_BUILD:-build}
top=$(pwd)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -f "$work/out" ] && sed 's/^/#   /' "$work/out" | tail -n 12; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The firmware's 1 s watchdog is 1 s of MODEL time: at time scale S the
# daemon must answer within 1/S s of wall time, so the scale stays where a
# busy two-core machine (and the sanitizers) keep up.
S=40
[ "${TP_SAN:-0}" = 1 ] && S=20

# Runs a scenario script inside the simulator, next to the daemon. The
# script gets: tp (the CLI), sim (control commands), wait_model SECONDS,
# wait_for 'shell condition', daemon_pid.
# The firmware watchdog is set to its longest (5 s of model time) except
# where the watchdog itself is under test: at a time scale, host scheduling
# jitter is multiplied too.
printf '[pad]\nwatchdog_ms = 5000\n' >"$work/test.conf"
config=$work/test.conf
scenario() {
	local scale=$1 body=$2
	rm -rf "$work/run" "$work/state"
	if [ -f "$work/cal.ini" ]; then # a calibration from an earlier tune
		mkdir -p "$work/state/calibration"
		cp "$work/cal.ini" "$work/state/calibration/TP-SIM-0001.ini"
	fi
	cat >"$work/scenario.sh" <<SCRIPT
set -u
config=$config
top=$top build=$build
export THERMOPAD_SOCKET=$work/run/thermopad.sock
tp() { "$top/$build/thermopad" "\$@"; }
sim() { "$top/$build/thermopad-sim" --ctl "\$TP_SIM_CONTROL" "\$@"; }
field() { sim truth | tr ' ' '\n' | sed -n "s/^\$1=//p"; }
wait_for() { for _ in \$(seq 1 600); do eval "\$1" && return 0; sleep 0.05; done; echo "timed out: \$1"; return 1; }
wait_model() { local until; until=\$(awk -v a="\$(field time_s)" -v b="\$1" 'BEGIN { print a + b }');
	wait_for "awk -v t=\"\\\$(field time_s)\" -v u=\$until 'BEGIN { exit !(t >= u) }'"; }
"$top/$build/thermopadd" --time-scale $scale --runtime-dir $work/run --state-dir $work/state \
	--profiles-dir $top/profiles --config \$config 2>$work/daemon.log &
daemon_pid=\$!
wait_for 'tp status 2>/dev/null | grep -q "^pad TP-SIM"'
$body
SCRIPT
	timeout 300 "$build/thermopad-sim" --time-scale "$scale" -- bash "$work/scenario.sh" >"$work/out" 2>&1
}

scenario $S '
tp start contrast
timeout 250 "$top/$build/thermopad" watch --until-idle >/dev/null
tp status
kill -TERM $daemon_pid; wait $daemon_pid; echo "daemon exit $?"'
log=$(ls "$work"/state/sessions/*.csv 2>/dev/null | head -1)
check "contrast runs to completion" "grep -q 'contrast.*ended: completed' '$work/daemon.log'"
check "with its eight phases, in order, ending cold" \
	"[ \$(grep -c 'phase [2-8] of 8' '$work/daemon.log') = 7 ] && grep -q 'phase 8 of 8: cold' '$work/daemon.log'"
samples=$( [ -n "$log" ] && grep -c '^[0-9]' "$log" || echo 0)
last_t=$( [ -n "$log" ] && grep '^[0-9]' "$log" | tail -1 | cut -d, -f1 || echo 0)
check "the CSV log holds every sample ($samples for ${last_t} s)" \
	"awk -v n=$samples -v t=${last_t:-0} 'BEGIN { exit !(n > 1000 && n >= t * 10 * 0.97 && n <= t * 10 + 5) }'"
check "SIGTERM: the daemon exits 0" "grep -q 'daemon exit 0' '$work/out'"

scenario $S '
tp start heat
wait_model 20
echo "before: $(sim truth)"
kill -TERM $daemon_pid; wait $daemon_pid; echo "daemon exit $?"
echo "after: $(sim truth)"'
check "SIGTERM: drive zero first (accepted by the firmware before the daemon goes)" \
	"grep '^before:' '$work/out' | grep -qv 'fw_drive=0 ' && grep '^after:' '$work/out' | grep -q 'fw_drive=0 ' \
	 && grep -q 'drive zero on exit\$' '$work/daemon.log'"

config=$top/etc/thermopad.conf  # the default 1 s watchdog
scenario $S '
tp start heat
wait_model 20
kill -KILL $daemon_pid; wait $daemon_pid 2>/dev/null
t0=$(field time_s)
wait_model 1.05
echo "killed at $t0: $(sim truth)"'
check "SIGKILL: the firmware watchdog zeroes the drive within 1.0 s of model time" \
	"grep -q 'killed at .*module_drive=0.0000 fw_drive=0 .*fw_faults=0x1 fw_state=fault' '$work/out'"
config=$work/test.conf

scenario $S '
tp start heat
wait_model 20
sim fault usb:unplug
wait_for "tp status | grep -q disconnected"
tp --json status > '"$work"'/unplugged.json
sim fault usb:replug
wait_for "tp status | grep -q \"TP-SIM-0001: paused\""
tp status
tp resume; echo "resume rc $?"
tp clear-faults; echo "clear rc $?"
tp resume; echo "resume2 rc $?"
wait_model 5
tp status'
check "unplug mid-phase: fault 'disconnected', drive zero" \
	"grep -q '\"code\":\"disconnected\"' '$work/unplugged.json' && grep -q '\"drive\":0' '$work/unplugged.json'"
check "replug: the session waits, paused, until a person resumes" \
	"grep -q 'resume rc 5' '$work/out' && grep -q 'clear rc 0' '$work/out' && grep -q 'resume2 rc 0' '$work/out' && tail -8 '$work/out' | grep -q 'TP-SIM-0001: running'"

scenario $S '
tp start heat
wait_model 30
sim fault sensor-b:offset=3
wait_for "tp status | grep -q FAULT"
tp status; tp start heat; echo "start rc $?"'
check "an injected sensor fault trips the disagreement check" \
	"grep -q 'sensor-disagree: plate A reads' '$work/out' && grep -q 'sensor-disagree' '$work/daemon.log'"
check "and the log names it" "grep -q 'sensor-disagree' \$(ls '$work'/state/sessions/*.csv | head -1) || grep -q 'sensor-disagree' '$work/daemon.log'"
check "a new session is refused while it is latched (exit 5)" "grep -q 'start rc 5' '$work/out'"

scenario $S '
tp start heat
head -c 20000 /dev/zero | tr "\\0" x | timeout 2 socat - UNIX-CONNECT:$THERMOPAD_SOCKET >/dev/null 2>&1 || true
printf "{not json\n" | (exec 3<>/dev/null; cat) > /dev/null
exec 7<>/dev/null
wait_model 10
tp status | grep -q running && echo "still running"
tp --json status | grep -o "\"late_max_ms\":[0-9.]*"'
check "bad requests do not disturb the control loop" "grep -q 'still running' '$work/out'"

mkdir -p "$work/xdg/thermopad/profiles"
printf '[profile]\ndescription = mine\n[phase.w]\nkind = heat\ntarget_c = 37\nduration_min = 1\n' \
	>"$work/xdg/thermopad/profiles/mine.ini"
scenario $S '
XDG_CONFIG_HOME='"$work"'/xdg tp start mine
tp status
tp stop
wait_for "tp status | grep -q \"TP-SIM-0001: idle\""
tp tune heat; echo "tune rc $?"
wait_for "tp status | grep -q \"TP-SIM-0001: idle\""
sleep 0.2; ls '"$work"'/state/calibration/'
check "a user's own profile travels with the request" "grep -q 'using your profile' '$work/out' && grep -q 'target 37.0 C' '$work/out'"
check "autotune finishes and saves the pad's calibration by serial" \
	"grep -q 'tune rc 0' '$work/out' && grep -q 'heating gains: kp' '$work/daemon.log' && [ -s '$work/state/calibration/TP-SIM-0001.ini' ]"
cp "$work/state/calibration/TP-SIM-0001.ini" "$work/cal.ini" 2>/dev/null
scenario $S '
tp status >/dev/null'
check "and uses it from then on" "grep -q 'calibration loaded' '$work/daemon.log'"

echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
