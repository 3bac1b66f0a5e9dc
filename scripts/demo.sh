#!/usr/bin/env bash
# make demo: the main job on the simulated pad. thermopad-sim plugs in a
# simulated pad and runs thermopadd against it (through the real libusb);
# the command line starts the contrast profile, follows it to the end, and
# shows the session's summary, its log and its chart.
#
# It runs at a time scale (60: the 16-minute session in about 20 s), where
# a daemon scheduled 20 ms late on a busy machine is more than a model
# second late and would meet the pad's watchdog. So the simulator's clock
# waits for a late daemon (--host-wait, up to 2 s of wall time each time;
# the daemon runs on the same clock), and the model stays what it would be
# at 1x. Whatever goes wrong, the demo ends within TP_DEMO_TIMEOUT seconds
# (default 240) with a message and a non-zero exit.
set -u
build=${1:-build}
scale=${TP_DEMO_SCALE:-60}
bound=${TP_DEMO_TIMEOUT:-240}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
sim_pid=
started=$(date +%s)
cleanup() {
	if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
		kill -TERM "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "thermopad demo: interrupted"; exit 130' INT TERM
fail() {
	echo
	echo "thermopad demo FAILED: $1"
	echo "daemon and simulator messages (the last 25):"
	sed 's/^<[0-9]>/  /' "$work/daemon.log" | tail -n 25
	exit 1
}
left() { echo $((bound - ($(date +%s) - started))); }
export THERMOPAD_SOCKET=$work/run/thermopad.sock
tp() { "$build/thermopad" "$@"; }
for f in thermopad thermopadd thermopad-sim; do
	[ -x "$build/$f" ] || { echo "thermopad demo: $build/$f is missing: run make first"; exit 1; }
done

echo "thermopad demo: a simulated pad at time scale $scale (one wall second = $scale model seconds)"
"$build/thermopad-sim" --time-scale "$scale" --host-wait 2 -- "$build/thermopadd" --time-scale "$scale" \
	--runtime-dir "$work/run" --state-dir "$work/state" --profiles-dir profiles --config scripts/demo.conf \
	2>"$work/daemon.log" &
sim_pid=$!
# wait for the daemon's socket to answer, not for a fixed time (10 s at most)
up=0
for _ in $(seq 1 100); do
	tp status 2>/dev/null | grep -q '^  plate ' && { up=1; break; }
	kill -0 "$sim_pid" 2>/dev/null || fail "the simulator or the daemon stopped at start"
	sleep 0.1
done
[ $up = 1 ] || fail "the daemon did not answer within 10 s of starting"
tp version || fail "the daemon does not answer"
tp status
echo
tp profiles list
echo
tp start contrast || fail "the session did not start"
timeout --foreground "$(left)" "$build/thermopad" watch --until-idle
rc=$?
case $rc in
0) ;;
124) fail "the session did not end within $bound s of wall time; the machine may be very busy
(try a lower time scale: TP_DEMO_SCALE=10 make demo, or a longer bound: TP_DEMO_TIMEOUT=600)" ;;
5) fail "the session ended with a fault (above); thermopad faults shows it, thermopad clear-faults clears it" ;;
*) fail "thermopad watch ended with exit $rc" ;;
esac
echo
tp status
mkdir -p "$build/demo"
echo
echo "the session:"
tp log list | head -n 2
tp log plot latest -o "$build/demo/session.svg" || fail "the chart could not be made"
tp log show latest --csv >"$build/demo/session.csv" || fail "the session log could not be read"
echo "session log: $build/demo/session.csv ($(grep -c '^[0-9]' "$build/demo/session.csv") samples)"
echo "chart: $build/demo/session.svg"
tp log list | sed -n 2p | grep -q completed || fail "the session did not complete"
kill -TERM "$sim_pid" 2>/dev/null
wait "$sim_pid" 2>/dev/null
sim_pid=
echo
echo "daemon and simulator messages:"
sed 's/^<[0-9]>/  /' "$work/daemon.log" | tail -n 25
echo "demo finished in $(($(date +%s) - started)) s"
