#!/usr/bin/env bash
# The tests own their resources, shown on this machine: `make check` in two
# fresh clones of this tree at the same time, while a thermopadd from
# another build runs with a (simulated) pad attached, while a tmux session
# of the person's own is open on the default server, and while stress-ng
# keeps both cores busy. Every run must pass, and the other daemon and the
# person's tmux session must still be there, untouched, at the end.
#
#   tests/hermetic.sh [together|beside|loaded|combined]...   (default: all three apart)
#   GOAL=check-e2e tests/hermetic.sh combined   (only the end-to-end scripts, in minutes)
#     together   two clones' make check at the same time
#     beside     make check while the other daemon and tmux session run
#     loaded     make check while stress-ng loads every core
#     combined   all of it at once (two clones, the daemon, tmux, stress-ng)
#
# It takes the machine for as long as the runs take (each make check is
# several minutes on two cores; apart, the three take about half an hour).
# Logs and the summary go to OUT (default build/hermetic).
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
out=${OUT:-$top/build/hermetic}
modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(together beside loaded)
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
other_pid= stress_pid= person_tmux=
cleanup() {
	[ -n "$stress_pid" ] && kill "$stress_pid" 2>/dev/null && wait "$stress_pid" 2>/dev/null
	[ -n "$other_pid" ] && kill "$other_pid" 2>/dev/null && wait "$other_pid" 2>/dev/null
	[ -n "$person_tmux" ] && tmux kill-session -t "$person_tmux" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
summary=$out/summary.txt
say() { echo "$*" | tee -a "$summary"; }

scripts/deps.sh || exit 1
# two clones of what is committed here, each built from nothing by its make check
for c in a b; do git clone -q "$top" "$work/clone-$c" || exit 1; done
say "clones of $(git rev-parse --short HEAD) in $work/clone-a and $work/clone-b"

# The other daemon: this tree's own build, a simulated pad attached, a
# runtime directory of its own; started as a person would (its command line
# names build/thermopadd --time-scale, as the tests' daemons do).
start_other() {
	make --no-print-directory -s all >/dev/null || return 1
	mkdir -p "$work/other"
	build/thermopad-sim --time-scale 1 -- build/thermopadd --time-scale 1 --runtime-dir "$work/other/run" \
		--state-dir "$work/other/state" --profiles-dir profiles --config etc/thermopad.conf \
		2>"$work/other/daemon.log" &
	other_pid=$!
	for _ in $(seq 1 100); do
		THERMOPAD_SOCKET=$work/other/run/thermopad.sock build/thermopad status 2>/dev/null | grep -q '^pad ' && break
		sleep 0.1
	done
	# the person's own tmux, on the default server, with a session named as
	# the CLI test names one of its own
	if tmux -f /dev/null new-session -d -s tpcolor "sleep 100000" 2>/dev/null; then person_tmux=tpcolor; fi
	say "other daemon: pid $other_pid, $(THERMOPAD_SOCKET=$work/other/run/thermopad.sock build/thermopad status | head -n 1)"
}
other_still_there() {
	local status
	status=$(THERMOPAD_SOCKET=$work/other/run/thermopad.sock build/thermopad status 2>&1 | head -n 1)
	say "after: other daemon $(kill -0 "$other_pid" 2>/dev/null && echo "pid $other_pid still running" || echo GONE): $status;" \
		"person's tmux session $(tmux has-session -t tpcolor 2>/dev/null && echo "still there" || echo GONE)"
	kill -0 "$other_pid" 2>/dev/null && [[ $status == pad* ]] && tmux has-session -t tpcolor 2>/dev/null
}
stop_other() {
	kill "$other_pid" 2>/dev/null
	wait "$other_pid" 2>/dev/null
	other_pid=
	[ -n "$person_tmux" ] && tmux kill-session -t "$person_tmux" 2>/dev/null
	person_tmux=
}
start_stress() {
	stress-ng --cpu "$(nproc)" --timeout 3h --quiet &
	stress_pid=$!
	say "stress-ng: pid $stress_pid, $(nproc) CPU workers"
}
stop_stress() { kill "$stress_pid" 2>/dev/null; wait "$stress_pid" 2>/dev/null; stress_pid=; }

check_in() { # clone label: make check (or GOAL) there, its closing line and exit status
	local c=$1 label=$2 t0 rc
	t0=$(date +%s)
	(cd "$work/clone-$c" && make "${GOAL:-check}") >"$out/$label.log" 2>&1
	rc=$?
	echo "$label: exit $rc in $(($(date +%s) - t0)) s: $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/$label.log" | tail -n 1)" \
		>"$out/$label.result"
	sed -n '/^Failed:/,/test programs/p' "$out/$label.log" >>"$out/$label.result"
	return $rc
}

failed=0
for mode in "${modes[@]}"; do
	say "== $mode ($(date +%T))"
	case $mode in
	together)
		check_in a together-a & pa=$!
		check_in b together-b & pb=$!
		wait $pa || failed=1
		wait $pb || failed=1
		cat "$out/together-a.result" "$out/together-b.result" | tee -a "$summary" ;;
	beside)
		start_other || failed=1
		check_in a beside || failed=1
		cat "$out/beside.result" | tee -a "$summary"
		other_still_there || failed=1
		stop_other ;;
	loaded)
		start_stress
		check_in a loaded || failed=1
		cat "$out/loaded.result" | tee -a "$summary"
		stop_stress ;;
	combined)
		start_other || failed=1
		start_stress
		check_in a combined-a & pa=$!
		check_in b combined-b & pb=$!
		wait $pa || failed=1
		wait $pb || failed=1
		cat "$out/combined-a.result" "$out/combined-b.result" | tee -a "$summary"
		stop_stress
		other_still_there || failed=1
		stop_other ;;
	*) echo "unknown mode $mode" >&2; exit 2 ;;
	esac
done
say "== $( [ $failed = 0 ] && echo "every run passed" || echo "a run FAILED") ($(date +%T)); logs in $out"
[ $failed = 0 ]
