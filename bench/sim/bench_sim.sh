#!/usr/bin/env bash
# The simulator's throughput: a 30-minute model run at time scale 100 with
# a client reading every frame, and the cost of an idle client with and
# without the truthful-poll shim, all in this one run.
set -eu
build=${1:-build}
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
field() { sed -n "s/.*summary.* $1=\([^ ]*\).*/\1/p" "$out"; }

start=$(date +%s.%N)
"$build/thermopad-sim" --time-scale 100 -- "$build/tpstream" --quiet --seconds 1800 >"$out"
end=$(date +%s.%N)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
frames=$(field frames) gaps=$(field gaps) rejected=$(field rejected) cpu=$(field cpu_s)

"$build/thermopad-sim" -- "$build/tpstream" --quiet --frames 30 >"$out"
idle_on=$(field cpu_s) idle_wall=$(field wall_s)
TP_SIMPOLL_LIB=/nonexistent "$build/thermopad-sim" -- "$build/tpstream" --quiet --frames 30 >"$out" 2>/dev/null
idle_off=$(field cpu_s)

report() {
	echo "# Simulator bench"
	echo
	echo "Measured by \`make bench\` (bench/sim/bench_sim.sh) on $(nproc) cores; model and client in one run."
	echo
	echo "| run | figure |"
	echo "| --- | --- |"
	echo "| 30 min of model time at time scale 100, client reading every frame | $wall s wall (target < 30 s) |"
	echo "| frames received / expected | $frames / 18000 |"
	echo "| sequence gaps (reports lost) | $gaps |"
	echo "| frames rejected by the decoder | $rejected |"
	echo "| client CPU for the whole run | $cpu s |"
	echo "| idle client, 30 frames at scale 1, truthful poll (shim) | $idle_on s CPU over $idle_wall s |"
	echo "| baseline: the same without the shim (umockdev alone) | $idle_off s CPU over $idle_wall s |"
}
report | tee docs/bench/sim.md
