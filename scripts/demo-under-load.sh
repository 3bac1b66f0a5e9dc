#!/usr/bin/env bash
# make demo on a busy machine: RUNS runs (default 10) of scripts/demo.sh at
# its default time scale while stress-ng keeps every core busy, each
# bounded by the demo's own timeout; prints one line a run and the tally.
# usage: scripts/demo-under-load.sh [BUILD] [RUNS]
set -u
build=${1:-build}
runs=${2:-10}
cd "$(dirname "$0")/.."
command -v stress-ng >/dev/null || { echo "stress-ng is needed (apt-get install stress-ng)"; exit 2; }
cores=$(nproc)
log=$(mktemp -d)
stress-ng --cpu "$cores" --timeout 3600 >/dev/null 2>&1 &
stress=$!
trap 'kill $stress 2>/dev/null; wait $stress 2>/dev/null; rm -rf "$log"' EXIT
echo "make demo under stress-ng --cpu $cores, $runs runs"
passed=0 times=()
for i in $(seq 1 "$runs"); do
	start=$(date +%s.%N)
	scripts/demo.sh "$build" </dev/null >"$log/run$i.txt" 2>&1
	rc=$?
	s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	times+=("$s")
	waited=$(grep -o 'stood still [0-9]* times ([0-9.]* s' "$log/run$i.txt" | head -n 1)
	if [ $rc = 0 ] && grep -q '^demo finished' "$log/run$i.txt"; then
		passed=$((passed + 1))
		echo "run $i: ok in $s s (the clock $waited of wall time)"
	else
		echo "run $i: FAILED (exit $rc) in $s s:"
		grep -A3 'FAILED' "$log/run$i.txt" | sed 's/^/  /'
	fi
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
echo "$passed of $runs runs completed; wall seconds per run, sorted: $sorted"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$passed" = "$runs" ]
