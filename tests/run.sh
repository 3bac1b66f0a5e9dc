#!/usr/bin/env bash
# Runs the tests of one build and records a line per program in RESULTS:
#   PASS|FAIL <build>/<name> <passed> <failed>
# usage: tests/run.sh [--valgrind] BUILD RESULTS -- CMOCKA... -- UMOCKDEV... -- SCRIPTS...
# cmocka programs are counted by their own summary lines; a shell test by
# its "ok"/"not ok" lines, or by its exit status when it prints neither.
set -u
valgrind=0
if [ "${1:-}" = --valgrind ]; then valgrind=1; shift; export TP_VALGRIND=1; fi
build=$1 results=$2
shift 2
[ "${1:-}" = -- ] && shift
plain=() wrapped=() scripts=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do plain+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
while [ $# -gt 0 ] && [ "$1" != -- ]; do wrapped+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
while [ $# -gt 0 ]; do scripts+=("$1"); shift; done

top=$(cd "$(dirname "$0")/.." && pwd)
san=0
[ "$build" = build-san ] && san=1
export TP_BUILD=$build TP_SAN=$san TP_TOP=$top
export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
logdir=$build/test-logs
mkdir -p "$logdir" "$(dirname "$results")"
label=$build
[ $valgrind = 1 ] && label=valgrind

count_cmocka() { # log -> "passed failed"
	awk '/^\[  PASSED  \]/ { p += $4 } /^\[  FAILED  \] [0-9]+ test/ { f += $4 }
	     END { print p + 0, f + 0 }' "$1"
}
count_tap() {
	awk '/^ok / { p++ } /^not ok / { f++ } END { print p + 0, f + 0 }' "$1"
}

record() { # name status passed failed log seconds cpu-seconds
	local name=$1 status=$2 p=$3 f=$4 log=$5 secs=$6 cpu=$7 verdict=PASS
	if [ "$status" -ne 0 ] || [ "$f" -gt 0 ]; then
		verdict=FAIL
		[ "$f" -eq 0 ] && f=1
	fi
	[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && p=1
	echo "$verdict $label/$name $p $f" >>"$results"
	# One write per result: another pass may be printing beside this one.
	local text
	text=$(printf '%-4s %-48s %4d passed %3d failed %5d s %5d s cpu' "$verdict" "$label/$name" "$p" "$f" "$secs" "$cpu")
	if [ $verdict = FAIL ]; then
		# the failing checks first (a long log's tail may not hold them)
		local failing
		failing=$(grep -E -A6 '^not ok|^\[  FAILED  \]|ERROR SUMMARY: [1-9]|runtime error' "$log" | head -n 60)
		[ -n "$failing" ] && text+=$'\n'"---- failing lines of $log ----"$'\n'"$failing"
		text+=$'\n'"---- last lines of $log ----"$'\n'"$(tail -n 40 "$log")"$'\n'"----"
	fi
	printf '%s\n' "$text"
}

run_cmd() { # kind name log
	local kind=$1 name=$2 log=$3
	case $kind in
	plain)
		if [ $valgrind = 1 ]; then
			timeout 600 valgrind -q --error-exitcode=99 --leak-check=full \
				--errors-for-leak-kinds=definite,indirect "$build/$name" >"$log" 2>&1
		else
			timeout 600 "$build/$name" >"$log" 2>&1
		fi ;;
	wrapped) timeout 600 umockdev-wrapper "$build/$name" >"$log" 2>&1 ;;
	script) timeout 900 bash "$name" >"$log" 2>&1 ;;
	esac
}

# The seconds of wall time and of CPU (the program and the children it
# waited for) beside each result: a test that waits shows little CPU.
run_one() { # kind name
	local kind=$1 name=$2 log status counts started=$SECONDS cpu TIMEFORMAT='%U %S'
	log=$logdir/$(echo "$name" | tr '/' '_')$([ $valgrind = 1 ] && echo .vg).log
	{ time run_cmd "$kind" "$name" "$log"; } 2>"$log.cpu"
	status=$?
	cpu=$(awk '{ printf "%d", $1 + $2 + 0.5 }' "$log.cpu")
	if [ $kind = script ]; then counts=$(count_tap "$log"); else counts=$(count_cmocka "$log"); fi
	record "$name" $status $counts "$log" $((SECONDS - started)) "${cpu:-0}"
}

for t in "${plain[@]}"; do run_one plain "$t"; done
for t in "${wrapped[@]}"; do run_one wrapped "$t"; done
for t in "${scripts[@]}"; do run_one script "$t"; done
exit 0
