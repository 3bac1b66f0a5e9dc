# The end-to-end harness shared by the daemon's tests (sourced): a scenario
# runs a script inside thermopad-sim next to a freshly started thermopadd,
# with the thermopad command line as the client. Waits are on conditions
# (the socket answering, model time reaching a value), never fixed sleeps.
build=${TP_BUILD:-build}
top=$(pwd)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -f "$work/out" ] && sed 's/^/#   /' "$work/out" | tail -n 12
	[ -s "$work/daemon.log" ] && sed 's/^/#   daemon: /' "$work/daemon.log" | tail -n 6
}
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
work=$(mktemp -d)
# tmux on a server of this run's own (a socket in $work): a person's own
# tmux, or another run's, is neither seen nor killed.
unset TMUX
trap 'tmux -S "$work/tmux.sock" kill-server 2>/dev/null; [ -n "${TP_KEEP:-}" ] || rm -rf "$work"' EXIT
# The scenarios run on the simulator's waiting clock (--host-wait): while
# the daemon is late (a busy machine, the sanitizers), model time stands
# still for the pad and for the daemon alike, so load slows a scenario but
# cannot fail it, and the time scale can be high. A daemon that really
# stops (SIGSTOP, SIGKILL) is waited for host_wait seconds of wall time,
# once, and then meets the firmware's watchdog in model time, as at 1x:
# the watchdog scenarios wait for model time that only passes once the
# simulator has stopped waiting, so they exceed the bound by construction
# (and check that it said so). Every condition is judged in model time or
# on the daemon's state; wall time only bounds how long a wait may take.
S=100
[ "${TP_SAN:-0}" = 1 ] && S=50
host_wait=3

# Runs a scenario script inside the simulator, next to the daemon. The
# script gets: tp (the CLI), sim (control commands), wait_model SECONDS,
# wait_for 'shell condition', daemon_pid, and tmux on this run's server.
# The firmware watchdog is set to its longest (5 s of model time) except
# where the watchdog itself is under test, a margin over the waiting clock.
printf '[pad]\nwatchdog_ms = 5000\n' >"$work/test.conf"
config=$work/test.conf
scenario() {
	local scale=$1 body=$2
	rm -rf "$work/run"
	[ "${keep_state:-0}" = 1 ] || rm -rf "$work/state"
	: >"$work/daemon.log"
	if [ -f "$work/cal.ini" ]; then # a calibration from an earlier tune
		mkdir -p "$work/state/calibration"
		cp "$work/cal.ini" "$work/state/calibration/TP-SIM-0001.ini"
	fi
	# socket_path: the socket the configuration names (no --runtime-dir then)
	local where="--runtime-dir $work/run"
	[ -z "${socket_path:-}" ] || where=
	cat >"$work/scenario.sh" <<SCRIPT
set -u
config=$config
top=$top build=$build
export THERMOPAD_SOCKET=${socket_path:-$work/run/thermopad.sock}
tp() { "$top/$build/thermopad" "\$@"; }
tmux() { command tmux -S "$work/tmux.sock" "\$@"; }
req() { printf "%s\\n" "\$1" | socat -t 60 - UNIX-CONNECT:\$THERMOPAD_SOCKET; }
sim() { "$top/$build/thermopad-sim" --ctl "\$TP_SIM_CONTROL" "\$@"; }
field() { sim truth "\$(sim serials | head -n 1)" | tr ' ' '\n' | sed -n "s/^\$1=//p"; }
# a condition, polled; the wall-time bound is generous (a loaded machine
# slows the model too), the condition itself is never a time
wait_for() { local end=\$((SECONDS + \${2:-180})); while [ \$SECONDS -lt \$end ]; do eval "\$1" && return 0; sleep 0.05; done; echo "timed out: \$1"; return 1; }
wait_model() { local until; until=\$(awk -v a="\$(field time_s)" -v b="\$1" 'BEGIN { print a + b }');
	wait_for "awk -v t=\"\\\$(field time_s)\" -v u=\$until 'BEGIN { exit !(t >= u) }'"; }
${daemon_env:-} "$top/$build/thermopadd" --time-scale $scale $where --state-dir $work/state \
	--profiles-dir ${profiles_dir:-$top/profiles} --config \$config 2>>$work/daemon.log &
daemon_pid=\$!
wait_for 'tp status 2>/dev/null | grep -q "^  plate "'
$body
SCRIPT
	${scenario_wrap:-} timeout 600 "$build/thermopad-sim" --time-scale "$scale" --host-wait "$host_wait" ${sim_args:-} \
		-- bash "$work/scenario.sh" >"$work/out" 2>&1
}

