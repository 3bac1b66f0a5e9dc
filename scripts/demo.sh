#!/usr/bin/env bash
# make demo: the main job on the simulated pad. thermopad-sim plugs in a
# simulated pad and runs thermopadd against it (through the real libusb);
# the command line starts the contrast profile, follows it to the end, and
# shows the session's summary, its log and its chart.
set -eu
build=${1:-build}
scale=${TP_DEMO_SCALE:-60}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
sim_pid=
cleanup() {
	if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
		kill -TERM "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
export THERMOPAD_SOCKET=$work/run/thermopad.sock
tp() { "$build/thermopad" "$@"; }

echo "thermopad demo: a simulated pad at time scale $scale (one wall second = $scale model seconds)"
"$build/thermopad-sim" --time-scale "$scale" -- "$build/thermopadd" --time-scale "$scale" \
	--runtime-dir "$work/run" --state-dir "$work/state" --profiles-dir profiles --config scripts/demo.conf \
	2>"$work/daemon.log" &
sim_pid=$!
# wait for the daemon's socket to answer, not for a fixed time
for _ in $(seq 1 100); do
	tp status 2>/dev/null | grep -q '^  plate ' && break
	kill -0 "$sim_pid" 2>/dev/null || { cat "$work/daemon.log"; exit 1; }
	sleep 0.1
done
tp version
tp status
echo
tp profiles list
echo
tp start contrast
tp watch --until-idle
echo
tp status
mkdir -p "$build/demo"
echo
echo "the session:"
tp log list | head -n 2
tp log plot latest -o "$build/demo/session.svg"
tp log show latest --csv >"$build/demo/session.csv"
echo "session log: $build/demo/session.csv ($(grep -c '^[0-9]' "$build/demo/session.csv") samples)"
echo "chart: $build/demo/session.svg"
echo
echo "daemon messages:"
sed 's/^<[0-9]>/  /' "$work/daemon.log" | tail -n 25
echo "demo finished"
