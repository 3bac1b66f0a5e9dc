#!/usr/bin/env bash
# Sums the results file into the closing line and fails when anything failed.
set -u
results=$1
if [ ! -s "$results" ]; then
	echo "no test ran"
	echo "0 passed, 1 failed"
	exit 1
fi
read -r passed failed programs bad < <(awk '{ p += $3; f += $4; n++; if ($1 == "FAIL") b++ }
	END { print p + 0, f + 0, n + 0, b + 0 }' "$results")
echo
if [ "$bad" -gt 0 ]; then
	echo "Failed:"
	awk '$1 == "FAIL" { print "  " $2 }' "$results"
fi
echo "$programs test programs and checks."
echo "$passed passed, $failed failed"
[ "$bad" -eq 0 ] && [ "$failed" -eq 0 ]
