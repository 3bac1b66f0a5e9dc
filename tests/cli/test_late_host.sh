#!/usr/bin/env bash
# The demo's clock (thermopad-sim --host-wait): at a time scale, a daemon
# that the machine schedules late is waited for, so the firmware watchdog
# does not fire for a stall of the host's scheduling; a daemon that stays
# silent (here: killed) still meets the watchdog, in model time, once the
# wait is over.
# Both with the firmware's default 1 s watchdog. About 15 s of wall time.
set -u
. tests/daemon/harness.sh
config=$top/etc/thermopad.conf # the default 1 s watchdog
if [ "${TP_SAN:-0}" = 1 ]; then
	echo "ok 1 - # SKIP the clock's timing is proven in the plain pass"
	exit 0
fi
sim_args="--host-wait 2"
# While the daemon is stopped, model time is read from the published clock
# (a file), not asked of the simulator.
scenario 40 '
model() { awk "BEGIN { printf \"%.3f\", $(od -An -tu8 "$TP_SIM_CLOCK") / 1000 }"; }
tp start heat >/dev/null
wait_model 10
kill -STOP $daemon_pid
t0=$(model)
sleep 0.5 # the stall under test: 20 s of model time at 40x, twenty watchdogs
t1=$(model)
kill -CONT $daemon_pid
echo "stalled: model $t0 -> $t1"
wait_model 3
echo "after the stall: $(sim truth | head -n 1)"
tp --json status >'"$work"'/stalled.json
kill -KILL $daemon_pid; wait $daemon_pid 2>/dev/null
s0=$(date +%s.%N); m0=$(model)
for _ in $(seq 1 200); do awk -v a=$m0 -v b=$(model) "BEGIN { exit !(b - a >= 1.5) }" && break; sleep 0.05; done
s1=$(date +%s.%N); m1=$(model)
echo "silent: model $m0 -> $m1, wall $s0 -> $s1 : $(sim truth | head -n 1)"'
check "a stalled daemon (0.5 s of wall time at 40x) is waited for: no firmware fault, the session runs on" \
	"grep '^after the stall' '$work/out' | grep -q 'fw_faults=0x0 fw_state=run' && python3 -c \"import json,sys; p=json.load(open('$work/stalled.json'))['pads'][0]; sys.exit(0 if p['state'] == 'running' and p['fault'] is None else 1)\""
check "model time stood still while the daemon was stopped (under 0.5 s of model time in 0.5 s of wall time)" \
	"awk '/^stalled:/ { exit !(\$5 - \$3 < 0.5) }' '$work/out'"
check "a daemon that falls silent (killed) meets the watchdog after the 2 s wait: fault 0x1, drive zero" \
	"grep '^silent:' '$work/out' | grep -q 'module_drive=0.0000 fw_drive=0 .*fw_faults=0x1 fw_state=fault' && awk '/^silent:/ { m = \$5 - \$3; w = \$9 - \$7; exit !(w >= 2 && m >= 1.5) }' '$work/out'"
check "the simulator says how often and how long it waited" "grep -q 'model time stood still [0-9]* times' '$work/out'"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
