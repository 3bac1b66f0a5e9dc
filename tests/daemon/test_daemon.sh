#!/usr/bin/env bash
# thermopadd end to end under thermopad-sim, through the real libusb, with
# the thermopad command line as the client. Waits are on conditions (the
# socket answering, model time reaching a value), never fixed sleeps.
set -u
. tests/daemon/harness.sh

scenario $S '
tp start contrast
timeout 500 "$top/$build/thermopad" watch --until-idle >/dev/null
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
tp start cold # minutes of full cooling: the drive is not zero at the snapshot
wait_model 5
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
echo "before: $(sim truth)"
kill -KILL $daemon_pid; wait $daemon_pid 2>/dev/null
t0=$(field time_s)
wait_model 1.05
echo "killed at $t0: $(sim truth)"'
# On the waiting clock: the pad ran 20 s with the default watchdog and no
# fault (a late daemon was waited for), and the kill outlasted the wait, so
# the watchdog acted in model time as it would at 1x.
check "SIGKILL: the firmware watchdog zeroes the drive within 1.0 s of model time" \
	"grep '^before:' '$work/out' | grep -q 'fw_faults=0x0 fw_state=run' \
	 && grep -q 'killed at .*module_drive=0.0000 fw_drive=0 .*fw_faults=0x1 fw_state=fault' '$work/out' \
	 && grep -q 'stopped waiting for a silent one' '$work/out'"
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
	"grep -q 'resume rc 5' '$work/out' && grep -q 'clear rc 0' '$work/out' && grep -q 'resume2 rc 0' '$work/out' && grep '^pad TP-SIM-0001: ' '$work/out' | tail -n 1 | grep -q ': running'"

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
wait_for "grep -q \"heating gains\" '"$work"'/daemon.log" # every session saves it too: wait for the tune
wait_for "[ -s '"$work"'/state/calibration/TP-SIM-0001.ini ]"'
check "a user's own profile travels with the request" "grep -q 'using your profile' '$work/out' && grep -q 'target 37.0 C' '$work/out'"
check "autotune finishes and saves the pad's calibration by serial" \
	"grep -q 'tune rc 0' '$work/out' && grep -q 'heating gains: kp' '$work/daemon.log' && [ -s '$work/state/calibration/TP-SIM-0001.ini' ]"
cp "$work/state/calibration/TP-SIM-0001.ini" "$work/cal.ini" 2>/dev/null
scenario $S '
tp status >/dev/null'
check "and uses it from then on" "grep -q 'calibration loaded' '$work/daemon.log'"

scenario $S '
kill -TERM $daemon_pid; wait $daemon_pid
export THERMOPAD_SOCKET='"$work"'/activate.sock
# systemd-socket-activate passes on only the variables it is told to: the
# emulated bus lives in UMOCKDEV_DIR and the preloaded libraries (and the
# sanitizers need their options)
keep=$(env | sed -n "s/^\\(UMOCKDEV_[A-Z_]*\\|LD_PRELOAD\\|TP_[A-Z_]*\\|[A-Z]*SAN_OPTIONS\\)=.*/-E \\1/p")
systemd-socket-activate $keep -l $THERMOPAD_SOCKET "$top/$build/thermopadd" --time-scale '$S' --runtime-dir '"$work"'/run2 \
	--state-dir '"$work"'/state --profiles-dir $top/profiles --config $config 2>>'"$work"'/daemon.log &
activate_pid=$!
wait_for "tp status 2>/dev/null | grep -q \"^pad TP-SIM\"" && echo "answered on the handed-over socket"
kill -TERM $activate_pid; wait $activate_pid; echo "daemon exit $?"
[ -S $THERMOPAD_SOCKET ] && echo "socket kept"'
check "socket activation: the daemon serves the socket systemd hands it, and leaves it in place" \
	"grep -q 'answered on the handed-over socket' '$work/out' && grep -q 'listening on $work/activate.sock' '$work/daemon.log' \
	 && [ ! -e '$work/run2/thermopad.sock' ] && grep -q 'socket kept' '$work/out'"

# A daemon still running when the simulator's command ends: the simulator
# stops it and waits before tearing the pads down (it used to free a pad
# while the daemon's last zero was on its way to it).
scenario $S '
tp start heat
wait_model 2
echo "the daemon is left running"'
sim_rc=$?
check "a daemon left running is stopped before the pads go: drive zero accepted, no error" \
	"[ $sim_rc = 0 ] && grep -q 'drive zero on exit\$' '$work/daemon.log' && ! grep -q Sanitizer '$work/out'"


# The control loop's priority, said in words: real-time where the process
# may take it, real-time as its service manager started it, or normal with
# why and what would grant it. No pad: the line comes before the loop runs.
rt_line() { # COMMAND... that runs the daemon; prints its priority line
	: >"$work/rt.log"
	"$@" "$top/$build/thermopadd" --time-scale 10 --runtime-dir "$work/rt-run" --state-dir "$work/rt-state" \
		--profiles-dir "$top/profiles" --config "$config" 2>"$work/rt.log" &
	local pid=$! end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ] && ! grep -q 'control loop at' "$work/rt.log"; do sleep 0.05; done
	kill -TERM $pid 2>/dev/null
	wait $pid 2>/dev/null
	grep 'control loop at' "$work/rt.log"
}
if [ "$(id -u)" = 0 ]; then
	check "as root, the daemon takes SCHED_FIFO 10 for its loop and says so" \
		"rt_line env | grep -q 'control loop at real-time priority (SCHED_FIFO 10)'"
	refuse="setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice"
elif [ "$(ulimit -r)" != unlimited ] && [ "$(ulimit -r)" -lt 10 ]; then
	refuse=env
else
	refuse=
fi
if [ -n "$refuse" ]; then
	line=$(rt_line $refuse)
	check "without CAP_SYS_NICE or a real-time limit, the loop runs at normal priority and the log says why in words" \
		"echo \"\$line\" | grep -q 'normal priority, not real-time: it may not use real-time scheduling: its real-time priority limit (RLIMIT_RTPRIO) is 0, below 10, and it lacks CAP_SYS_NICE; the shipped systemd unit grants SCHED_FIFO 10'" ||
		echo "# $line"
fi
if chrt -f 10 true 2>/dev/null; then
	check "started at SCHED_FIFO (as the shipped unit does), the daemon keeps it and says who gave it" \
		"rt_line chrt -f 10 | grep -q 'control loop at real-time priority 10, as its service manager started it'"
fi
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
