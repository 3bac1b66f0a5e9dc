#!/usr/bin/env bash
# make demo, unattended (no terminal: one line a second), bounded: it runs
# the contrast session to the end, shows its summary, log and chart, leaves
# no process behind and exits 0.
set -u
if [ "${TP_SAN:-0}" = 1 ]; then
	echo "ok 1 - # SKIP the demo runs in the plain pass"
	exit 0
fi
build=${TP_BUILD:-build}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0 failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; tail -n 15 "$out" | sed 's/^/#   /'; fi; }
rm -rf "$build/demo"
# Every process the demo starts inherits this mark; what is left afterwards
# is found by it, not by a name another checkout's or a user's daemon shares.
mark=thermopad-demo-$$-$RANDOM$RANDOM
# The demo's own time scale: its simulator's clock waits for a late daemon
# (--host-wait), so a busy machine stretches the run but cannot trip the
# firmware's watchdog, as a newcomer's first `make demo` must not.
TP_DEMO_MARK=$mark timeout 240 scripts/demo.sh "$build" </dev/null >"$out" 2>&1
rc=$?
check "make demo exits 0 within its bound (exit $rc)" "[ $rc = 0 ] && grep -q '^demo finished' '$out'"
check "the contrast session ran to completion" "grep -q 'contrast.*completed' '$out'"
check "one line a second while it ran (not a terminal)" "[ \$(grep -c '^TP-SIM-0001 running' '$out') -ge 10 ]"
check "the session's CSV log and its chart are where it says" \
	"[ \$(grep -c '^[0-9]' '$build/demo/session.csv') -gt 10000 ] && grep -q '<svg' '$build/demo/session.svg'"
left_running() { grep -lsxz "TP_DEMO_MARK=$mark" /proc/[0-9]*/environ | cut -d/ -f3; }
check "no simulator or daemon that the demo started is left running" "[ -z \"\$(left_running)\" ]"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
