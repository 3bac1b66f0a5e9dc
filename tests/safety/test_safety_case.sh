#!/usr/bin/env bash
# The safety case as a gate: every row of docs/safety/hazards.tsv run and
# judged (in-process rows here, the daemon's edges end to end), then the
# runner itself: a bound tightened below what the code achieves must fail
# the gate, a row without an injection must fail it, an open mark on a
# passing row must be reported, a fault kind without a row must be flagged.
# Cost (plain build, two cores): the in-process rows about 85 s of CPU,
# with the end-to-end rows (several at once, on the simulator's waiting
# clock) running meanwhile; the self-tests below a few seconds each.
# Under the sanitizers only the runner's own checks run (about 10 s).
set -u
build=${TP_BUILD:-build}
runner=$build/safety-case
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
table=docs/safety/hazards.tsv

if [ "${TP_SAN:-0}" = 0 ]; then
	# the whole table: its TAP lines count as this test's. The end-to-end
	# rows (waiting on model time) run while the runner computes the
	# in-process ones, and reach it on a pipe once they are done.
	{ bash safety/e2e.sh "$work/e2e.txt" "$table" >"$work/e2e.log" 2>&1; cat "$work/e2e.txt"; } |
		"$runner" --table "$table" --e2e - >"$work/gate.out"
	rc=$?
	sed 's/^/# /' "$work/e2e.log"
	sed -E 's/^(ok|not ok) [0-9]+ - /\1 - row /' "$work/gate.out"
	# An end-to-end row that missed is run once more before it counts: the
	# simulator's emulated replug sometimes loses the daemon's ioctl socket
	# (a limit of the USB emulation, not of the pad), and a busy machine can
	# starve a run. Only when every miss is end to end and nothing else is
	# wrong; the rerun must meet the bound itself, and both are printed.
	# the rows that missed, and those of them the table runs end to end
	missed=$(grep '^not ok [0-9]* - [a-z0-9-]*:' "$work/gate.out" | sed -E 's/^not ok [0-9]+ - ([a-z0-9-]+):.*/\1/' | sort -u)
	misses=$(echo $missed | wc -w)
	again=$(awk -F'\t' -v ids=" $(echo $missed) " '$4 == "e2e" && index(ids, " " $1 " ") { print $1 }' "$table")
	if [ $rc != 0 ] && [ -n "$again" ] && [ "$misses" = "$(echo $again | wc -w)" ] &&
	   grep -q ' 0 without a run; 0 uncovered' "$work/gate.out"; then
		echo "# end-to-end rows that missed once, run again:" $again
		awk -F'\t' -v ids=" $(echo $again) " '/^#/ || NF < 2 || index(ids, " " $1 " ")' "$table" >"$work/again.tsv"
		bash safety/e2e.sh "$work/again.txt" "$work/again.tsv" | sed 's/^/# again: /'
		awk 'NR == FNR { if ($1 == "run") redo[$2] = 1; next } !($1 == "run" && ($2 in redo))' \
			"$work/again.txt" "$work/e2e.txt" >"$work/merged.txt"
		cat "$work/again.txt" >>"$work/merged.txt"
		rc=0
		for id in $again; do
			"$runner" --table "$table" --e2e "$work/merged.txt" --rows "$id" >"$work/again.out" || rc=1
			grep -E '^(ok|not ok) ' "$work/again.out" | sed -E 's/^(ok|not ok) [0-9]+ - /# again: \1 - row /'
		done
	fi
	tail -n 3 "$work/gate.out" | grep '^# safety case' | sed 's/^# //' | sed 's/^/# /'
	if [ $rc = 0 ]; then ok "the gate: every row meets its bound or is marked open"; else not_ok "the gate: a row misses its bound, has no run, or a fault or check has no row"; fi
fi

# A bound tightened below what the code achieves fails the gate.
awk -F'\t' 'BEGIN { OFS = "\t" } $1 == "host-silent" { $6 = "0.5" } { print }' "$table" >"$work/tight.tsv"
"$runner" --table "$work/tight.tsv" --rows host-silent >"$work/tight.out"
rc=$?
if [ $rc = 1 ] && grep -q "^not ok 1 - host-silent: MISS: zero drive after" "$work/tight.out"; then
	ok "a zero-drive bound tightened below the watchdog fails the gate, naming the row"
else
	not_ok "a tightened bound did not fail the gate (exit $rc)"; sed 's/^/#   /' "$work/tight.out"
fi
awk -F'\t' 'BEGIN { OFS = "\t" } $1 == "sensor-a-offset-3" { $7 = "39" } { print }' "$table" >"$work/tight2.tsv"
if ! "$runner" --table "$work/tight2.tsv" --rows sensor-a-offset-3 >"$work/tight2.out" &&
   grep -q 'true plate .* > 39 C' "$work/tight2.out"; then
	ok "a plate bound tightened below the measured peak fails the gate"
else
	not_ok "a tightened plate bound did not fail the gate"; sed 's/^/#   /' "$work/tight2.out"
fi

# A row that cannot run (no such injection) fails the gate unless marked open.
printf 'no-such\thot\tsensor-a:melted\tinproc\tfw\t1\t43.5\t8\t43\t1\t60\tyes\tperson\t60\t-\ta fault nobody injects\n' >"$work/none.tsv"
if ! "$runner" --table "$work/none.tsv" --rows no-such >"$work/none.out" && grep -q 'NO RUN\|MISS' "$work/none.out"; then
	ok "a row without its injection fails the gate"
else
	not_ok "a row without its injection passed"; sed 's/^/#   /' "$work/none.out"
fi
sed 's/\t-\ta fault nobody/\t#12\ta fault nobody/' "$work/none.tsv" >"$work/none-open.tsv"
if "$runner" --table "$work/none-open.tsv" --rows no-such >"$work/none-open.out" && grep -q 'TODO open #12' "$work/none-open.out"; then
	ok "marked open, it is counted apart and does not fail the gate"
else
	not_ok "an open row without its injection failed the gate"; sed 's/^/#   /' "$work/none-open.out"
fi

# A row marked open that passes is reported, so that the mark goes.
awk -F'\t' 'BEGIN { OFS = "\t" } $1 == "sensor-a-short" { $15 = "#99" } { print }' "$table" >"$work/unmark.tsv"
if "$runner" --table "$work/unmark.tsv" --rows sensor-a-short >"$work/unmark.out" && grep -q 'passes now: remove the mark' "$work/unmark.out"; then
	ok "an open mark on a passing row is reported"
else
	not_ok "an open mark on a passing row went unreported"; sed 's/^/#   /' "$work/unmark.out"
fi

# A simulator fault kind or a supervisor check without a row is flagged
# (the checks come from the supervisor's own table, safety_checks[]).
grep -v 'fuse:short' "$table" >"$work/nofuse.tsv"
"$runner" --table "$work/nofuse.tsv" --rows no-row-at-all --coverage --checks made-up-check >"$work/flag.out"
rc=$?
if grep -q 'simulator fault fuse:short has no row' "$work/flag.out" && grep -q 'check made-up-check has no row' "$work/flag.out"; then
	ok "a fault kind and a check without a row are flagged"
else
	not_ok "uncovered fault kinds or checks were not flagged (exit $rc)"; sed 's/^/#   /' "$work/flag.out" | tail -n 5
fi

# Repeatable: the same row twice gives the same figures.
"$runner" --table "$table" --rows bridge-stuck-heat-25 --report "$work/a.md" >/dev/null
"$runner" --table "$table" --rows bridge-stuck-heat-25 --report "$work/b.md" >/dev/null
if grep -v 'of CPU' "$work/a.md" >"$work/a2" && grep -v 'of CPU' "$work/b.md" >"$work/b2" && cmp -s "$work/a2" "$work/b2" && grep -q 'bridge-stuck-heat-25' "$work/a.md"; then
	ok "two runs of a row give the same report"
else
	not_ok "two runs of a row differ"
fi
echo "# $n checks, $failed failed"
[ $failed = 0 ]
