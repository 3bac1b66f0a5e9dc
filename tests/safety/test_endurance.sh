#!/usr/bin/env bash
# A short day of the endurance run (make endurance runs 24 h): every pad
# in sim/pads/ for 2 h of model time with clean sensors (noise 0, where a
# live reading may stand still for seconds) and the shipped profiles in
# turn, each pad starting one further along, the strap and the room
# disturbed: no fault may latch in either layer, and the true plate stays
# in its bounds. Cost: about 7 s of CPU plain; under the sanitizers half
# an hour of model time (about 5 s).
set -u
build=${TP_BUILD:-build}
hours=2
[ "${TP_SAN:-0}" = 1 ] && hours=0.5
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/safety-endurance" --pads sim/pads --profiles profiles --hours "$hours" --noise 0 >"$out" 2>&1
rc=$?
sed -n '/^# TRIP/p; /^not ok/p; /^# endurance:/p' "$out"
n=0 failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; fi; }
check "$hours h on every pad, noise 0: no false trip, the true plate in its bounds" '[ $rc = 0 ]'
check "every pad ran sessions" \
	'[ "$(grep -c "^ok " "$out")" = "$(ls sim/pads/*.ini | wc -l)" ] && ! grep -q " 0 sessions" "$out"'
for f in profiles/*.ini; do
	p=$(basename "$f" .ini)
	check "the shipped profile $p ran on some pad" 'grep -q "^# .* ran:.* $p\( \|\$\)" "$out"'
done
echo "# $n checks, $failed failed"
[ $failed = 0 ]
