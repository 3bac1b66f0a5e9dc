#!/usr/bin/env bash
# Runs one check that is not a test program (a fuzzer's bounded run, a unit
# verifier) and records it in the results file like tests/run.sh does.
# usage: tests/record.sh RESULTS NAME -- COMMAND...
set -u
results=$1 name=$2
shift 2
[ "${1:-}" = -- ] && shift
mkdir -p build/test-logs "$(dirname "$results")"
log=build/test-logs/$(echo "$name" | tr '/ ' '__').log
"$@" >"$log" 2>&1
status=$?
if [ $status -eq 0 ]; then
	echo "PASS $name 1 0" >>"$results"
	printf '%-4s %-48s %4d passed %3d failed\n' PASS "$name" 1 0
else
	echo "FAIL $name 0 1" >>"$results"
	printf '%-4s %-48s %4d passed %3d failed\n' FAIL "$name" 0 1
	echo "---- last lines of $log ----"
	tail -n 40 "$log"
	echo "----"
fi
exit 0
