#!/usr/bin/env bash
# thermopadd under load, on the simulated pad, all in this one run:
#   CPU and memory at 10 Hz with a session and one subscriber (idle beside it)
#   status requests per second from one client (version and a bare Unix
#     socket round trip beside it)
#   100 subscribers at 10 Hz: the control tick's lateness (1 subscriber beside it)
#   endurance: ENDURANCE_HOURS (24) of model time of back-to-back sessions at
#     ENDURANCE_SCALE (100), heap in use after the first session and at the end
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
build=$(cd "${1:-build}" && pwd)
hours=${ENDURANCE_HOURS:-24}
escale=${ENDURANCE_SCALE:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '[pad]\nwatchdog_ms = 5000\n[socket]\nmax_clients = 200\n' >"$work/bench.conf"
hz=$(getconf CLK_TCK)

# Runs BODY inside the simulator next to a daemon; BODY sees $pid, $sock, tp, apibench.
# DAEMON_ENV goes before the daemon's command.
run() {
	local scale=$1 body=$2
	rm -rf "$work/run" "$work/state"
	cat >"$work/body.sh" <<SCRIPT
set -eu
sock=$work/run/thermopad.sock
export THERMOPAD_SOCKET=\$sock
tp() { "$build/thermopad" "\$@"; }
apibench() { "$build/bench/apibench" "\$sock" "\$@"; }
cpu() { awk -v hz=$hz '{ print (\$14 + \$15) / hz }' /proc/\$pid/stat; }
rss() { awk '/^VmRSS/ { print \$2 }' /proc/\$pid/status; }
heap() { tp --json status | sed -n 's/.*"heap_bytes":\([0-9]*\).*/\1/p'; }
${DAEMON_ENV:-} "$build/thermopadd" --time-scale $scale --runtime-dir $work/run --state-dir $work/state \
	--profiles-dir $top/profiles --config $work/bench.conf 2>$work/daemon.log &
pid=\$!
for _ in \$(seq 1 200); do tp status 2>/dev/null | grep -q "^  plate " && break; sleep 0.05; done
$body
kill -TERM \$pid; wait \$pid
SCRIPT
	"$build/thermopad-sim" --time-scale "$scale" -- bash "$work/body.sh"
}
val() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" "$2" | tail -1; }

echo "bench-daemon: CPU and memory (40 s at time scale 1)"
run 1 '
c0=$(cpu); sleep 10; c1=$(cpu)
echo "idle cpu_s=$(awk -v a=$c0 -v b=$c1 "BEGIN { print b - a }") rss_kib=$(rss)"
tp start heat >/dev/null
c0=$(cpu)
apibench subscribers 1 30 >/dev/null
c1=$(cpu)
echo "loaded cpu_s=$(awk -v a=$c0 -v b=$c1 "BEGIN { print b - a }") rss_kib=$(rss) p99=$(tp --json status | sed -n "s/.*\"late_p99_ms\":\([0-9.]*\).*/\1/p")"' >"$work/cpu.txt"
idle_cpu=$(awk '/^idle/ { split($2, a, "="); printf "%.2f", a[2] / 10 * 100 }' "$work/cpu.txt")
idle_rss=$(awk '/^idle/ { split($3, a, "="); printf "%.1f", a[2] / 1024 }' "$work/cpu.txt")
load_cpu=$(awk '/^loaded/ { split($2, a, "="); printf "%.2f", a[2] / 30 * 100 }' "$work/cpu.txt")
load_rss=$(awk '/^loaded/ { split($3, a, "="); printf "%.1f", a[2] / 1024 }' "$work/cpu.txt")
p99_one=$(awk '/^loaded/ { split($4, a, "="); printf "%.1f", a[2] }' "$work/cpu.txt")

echo "bench-daemon: requests per second (3 s each)"
run 1 '
tp start heat >/dev/null
apibench requests status 3
apibench pipelined status 3 32
apibench requests version 3
apibench socketpair 3' >"$work/req.txt"
status_rps=$(grep '^cmd=status ' "$work/req.txt" | sed 's/.*per_second=//')
piped_rps=$(grep '^cmd=status-pipelined' "$work/req.txt" | sed 's/.*per_second=//')
version_rps=$(grep '^cmd=version' "$work/req.txt" | sed 's/.*per_second=//')
floor_rps=$(grep '^cmd=socketpair' "$work/req.txt" | sed 's/.*per_second=//')

echo "bench-daemon: 100 subscribers at 10 Hz (30 s)"
run 1 '
tp start heat >/dev/null
apibench subscribers 100 30
tp --json status | grep -o "\"ticks\":{[^}]*}"' >"$work/fan.txt"
fan_lines=$(sed -n 's/.*min_per_client=\([0-9]*\).*/\1/p' "$work/fan.txt")
p99_fan=$(sed -n 's/.*"late_p99_ms":\([0-9.]*\).*/\1/p' "$work/fan.txt" | xargs printf '%.1f')
max_fan=$(sed -n 's/.*"late_max_ms":\([0-9.]*\).*/\1/p' "$work/fan.txt" | xargs printf '%.1f')

echo "bench-daemon: endurance, $hours h of model time at time scale $escale"
# The heap figure is glibc's bytes in use (mallinfo2). Its per-thread cache
# keeps freed chunks counted as in use, up to seven per size, so it creeps
# up as sizes get used; without it the figure is the live allocations.
DAEMON_ENV="GLIBC_TUNABLES=glibc.malloc.tcache_count=0" run "$escale" '
sessions=0 first=
t0=$(date +%s)
until_s=$(('"$hours"' * 3600))
rests=0
while :; do
	# The doses across sessions are in force: a start the ledger refuses
	# (the message says when it will be allowed) waits and tries again.
	if ! tp start contrast >'"$work"'/start.txt 2>&1; then
		if grep -q "allowed again" '"$work"'/start.txt; then
			rests=$((rests + 1))
			[ $rests -gt 1 ] || cat '"$work"'/start.txt >&2
			sleep 1
			model=$(tp --json status | sed -n "s/.*\"uptime_s\":\([0-9.]*\).*/\1/p")
			awk -v m="$model" -v s='"$escale"' -v u=$until_s "BEGIN { exit !(m * s >= u) }" && break
			continue
		fi
		if grep -q "fault is latched" '"$work"'/start.txt; then # latched while idle: counted below
			tp clear-faults >/dev/null 2>&1 || true
			sleep 0.2
			continue
		fi
	fi
	for _ in $(seq 1 3000); do
		st=$(tp status || true)
		grep -q "TP-SIM-0001: idle" <<<"$st" && break
		if grep -q FAULT <<<"$st"; then # counted from the log below; the run goes on
			tp stop >/dev/null 2>&1 || true
			tp clear-faults >/dev/null 2>&1 || true
		fi
		sleep 0.2
	done
	sessions=$((sessions + 1))
	h=$(heap)
	[ -n "$first" ] || first=$h
	echo "$h" >>'"$work"'/heap.txt
	model=$(tp --json status | sed -n "s/.*\"uptime_s\":\([0-9.]*\).*/\1/p")
	awk -v m="$model" -v s='"$escale"' -v u=$until_s "BEGIN { exit !(m * s >= u) }" && break
done
half=$(sed -n "$(( (sessions + 1) / 2 ))p" '"$work"'/heap.txt)
echo "endurance sessions=$sessions rests=$rests heap_first=$first heap_half=$half heap_last=$(heap) heap_max=$(sort -n '"$work"'/heap.txt | tail -1) rss_kib=$(rss) faults=$(grep -c "<2>" '"$work"'/daemon.log || true) fault_codes=$(sed -n "s/^<2>.*: \([a-z-]*\): .*/\1/p" '"$work"'/daemon.log | sort | uniq -c | tr -s " " | tr " " "_" | tr "\n" "," )"' >"$work/end.txt"
sessions=$(val sessions "$work/end.txt")
rests=$(val rests "$work/end.txt")
heap_first=$(val heap_first "$work/end.txt")
heap_last=$(val heap_last "$work/end.txt")
heap_half=$(val heap_half "$work/end.txt")
heap_max=$(val heap_max "$work/end.txt")
end_rss=$(awk -v k="$(val rss_kib "$work/end.txt")" 'BEGIN { printf "%.1f", k / 1024 }')
end_faults=$(val faults "$work/end.txt")
end_codes=$(val fault_codes "$work/end.txt" | tr "_," " ;")
if [ "${end_faults:-0}" != 0 ]; then # the whole message: which check, which value, which limit
	echo "bench-daemon: faults in the endurance run, every one whole:"
	grep "^<2>" "$work/daemon.log"
fi

report() {
	echo "# Daemon bench"
	echo
	echo "Measured by \`make bench\` (bench/daemon/bench_daemon.sh): thermopadd on the simulated pad through"
	echo "the real libusb, on $(nproc) cores; each figure with its baseline from the same run."
	echo
	echo "| figure | measured | baseline, same run | target |"
	echo "| --- | --- | --- | --- |"
	echo "| CPU, session at 10 Hz + one subscriber (30 s) | $load_cpu % of a core | idle daemon: $idle_cpu % | < 1 % |"
	echo "| resident memory, same | $load_rss MiB | idle: $idle_rss MiB | < 6 MiB |"
	echo "| \`status\` requests per second, one client, 32 in flight | $piped_rps | | >= 20000 |"
	echo "| \`status\` requests per second, one client, one at a time | $status_rps | \`version\`: $version_rps; bare Unix socket round trip (the floor): $floor_rps | |"
	echo "| control tick lateness p99, 100 subscribers at 10 Hz | $p99_fan ms (max $max_fan ms) | one subscriber: $p99_one ms | < 2 ms |"
	echo "| telemetry lines each of the 100 subscribers got in 30 s | at least $fan_lines | 300 sent | |"
	echo "| endurance: $hours h of model time, $sessions contrast sessions back to back, the doses across sessions in force ($rests starts refused until the skin had rested) (glibc's thread cache off, so that freed memory is not counted) | heap in use after the last session $heap_last B (half-way: $heap_half B; highest after any session: $heap_max B) | $heap_first B after the first session | no growth |"
	echo "| endurance: resident memory at the end, faults logged | $end_rss MiB, $end_faults ${end_codes:+($end_codes)} | | |"
}
report | tee docs/bench/daemon.md
