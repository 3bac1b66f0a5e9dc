#!/usr/bin/env bash
# The hazard rows that need the daemon's edges (USB hot-plug, signals, the
# GPIO relay), end to end: thermopad-sim with a shipped pad, the real
# thermopadd through libusb, the fault injected on the simulator's control
# socket or as a signal, and the skin judged by the simulator's own
# exposure record (`exposure-mark`, `exposure`), never by what the daemon
# says. One line per run (and one per fault-free twin) into RESULTS, read
# by safety-case --e2e; the rows come from the table.
#   safety/e2e.sh RESULTS [TABLE]
# TP_SAFETY_PADS: the pads (names in sim/pads), each row on each;
# TP_SAFETY_JOBS: runs at once (each its own simulator, daemon and
# directory: the runs wait on model time, not on the processor).
set -u
results=$1 table=${2:-docs/safety/hazards.tsv}
pads=${TP_SAFETY_PADS:-reference weak-fan}
jobs=${TP_SAFETY_JOBS:-3}
if [ -z "${TP_SAFETY_SHARD:-}" ] && [ "$jobs" -gt 1 ]; then
	start=$SECONDS
	parts=$(mktemp -d)
	trap 'rm -rf "$parts"' EXIT
	# the fault-free twins first, once for each pad, phase and watch (a twin
	# is the same run whichever row it serves), dealt out to the jobs; then
	# every job's rows find them in one shared directory
	export TP_SAFETY_TWINS=$parts/twins
	mkdir -p "$TP_SAFETY_TWINS"
	awk -F'\t' '!/^#/ && $1 != "id" && $4 == "e2e" { print $1 "\t" $2 "\t" $14 }' "$table" |
	while IFS=$'\t' read -r id phases watch; do
		for pad in $pads; do
			for phase in ${phases//,/ }; do echo "$pad $phase $watch $id"; done
		done
	done | awk '!seen[$1 " " $2 " " $3]++' >"$parts/twins.txt"
	k=0
	while read -r line; do
		echo "$line" >>"$parts/twinjob$((k % jobs))"
		k=$((k + 1))
	done <"$parts/twins.txt"
	for j in $(seq 0 $((jobs - 1))); do
		[ -s "$parts/twinjob$j" ] || continue
		TP_SAFETY_TWIN_SHARD="$parts/twinjob$j" TP_SAFETY_SHARD=- bash "$0" "$parts/twinres$j.txt" "$table" >"$parts/twinlog$j" 2>&1 &
	done
	wait
	# the (row, pad) pairs dealt out to the jobs
	awk -F'\t' '!/^#/ && $1 != "id" && $4 == "e2e" { print $1 }' "$table" >"$parts/ids"
	k=0
	for pad in $pads; do
		while read -r id; do
			echo "$id $pad" >>"$parts/job$((k % jobs))"
			k=$((k + 1))
		done <"$parts/ids"
	done
	for j in $(seq 0 $((jobs - 1))); do
		[ -s "$parts/job$j" ] || continue
		TP_SAFETY_SHARD="$parts/job$j" bash "$0" "$parts/results$j.txt" "$table" >"$parts/log$j" 2>&1 &
	done
	wait
	cat "$parts"/results*.txt >"$results" 2>/dev/null || : >"$results"
	logs=${results%.*}-logs
	rm -rf "$logs" && mkdir -p "$logs"
	for j in $(seq 0 $((jobs - 1))); do
		for part in results$j twinres$j; do
			[ -d "$parts/$part-logs" ] && cp "$parts/$part-logs"/* "$logs"/ 2>/dev/null
		done
		for part in log$j twinlog$j; do
			[ -f "$parts/$part" ] && grep -v '^end-to-end rows:' "$parts/$part"
		done
	done
	echo "end-to-end rows: $(grep -c ' fault ' "$results") runs and $(ls "$TP_SAFETY_TWINS" | wc -l) twins (serving $(grep -c ' twin ' "$results") rows) on $(echo $pads | wc -w) pads, $jobs at a time, in $((SECONDS - start)) s"
	exit 0
fi
. tests/daemon/harness.sh
# The default 1 s firmware watchdog is part of what these rows prove, and
# the fault follows its exposure mark by a process start (tens of ms of
# wall time, times the scale, counted in the time to zero drive), so the
# time scale stays at 10. The
# simulator's clock waits for a late daemon (--host-wait): a busy machine
# does not fire the watchdog for a stall of the host's scheduling, and a
# daemon that stays silent (killed, stopped) meets it in model time after
# one wait (host_wait seconds of wall time).
S=${TP_SAFETY_SCALE:-10}
host_wait=0.5
printf '[pad]\nwatchdog_ms = 1000\n' >"$work/test.conf"
: >"$results"
logs=${results%.*}-logs # each run's transcript, for a reader who wants the why
rm -rf "$logs" && mkdir -p "$logs"

# inject SPEC: what the row's fault does, inside the scenario
inject() {
	case $1 in
	# a signal of the script's own: the clock held from the mark (run_one)
	# until the signal has been sent, so that a late script adds no model
	# time to the time to zero drive
	daemon:kill) echo 'kill -KILL $daemon_pid; wait $daemon_pid 2>/dev/null; sim clock release >/dev/null' ;;
	daemon:stop=*) echo "kill -STOP \$daemon_pid; sim clock release >/dev/null; wait_model ${1#daemon:stop=}; kill -CONT \$daemon_pid" ;;
	# late, not dead: stopped for 0.2 s of model time in every second, for
	# 20 s (wall-time sleeps: these are the fault's own durations, shorter
	# than a poll of the model clock could resolve); each stop outlasts
	# the clock's wait for a late host first, so that the model moves on
	# while the daemon is stopped
	daemon:slow) echo "for _ in \$(seq 20); do kill -STOP \$daemon_pid; sleep $(awk -v s=$S -v w=$host_wait 'BEGIN { print w + 0.2 / s }'); kill -CONT \$daemon_pid; sleep $(awk -v s=$S 'BEGIN { print 0.8 / s }'); done" ;;
	# the pad's dose ledger in the run's own state directory, damaged as a
	# disk or a person would: bytes overwritten mid-file, cut at half, a
	# directory in its place (what no one can read, root included), or an
	# older copy put back (kept before the session: prepare)
	ledger:corrupt) echo '[ -s "$ledger" ] && printf "#~!~" | dd of="$ledger" bs=1 seek=$(($(stat -c %s "$ledger") / 2)) conv=notrunc 2>/dev/null || echo "NOINJECT ledger:corrupt (no ledger)"' ;;
	ledger:truncate) echo '[ -s "$ledger" ] && truncate -s $(($(stat -c %s "$ledger") / 2)) "$ledger" || echo "NOINJECT ledger:truncate (no ledger)"' ;;
	ledger:unreadable) echo '[ -f "$ledger" ] && rm "$ledger" && mkdir "$ledger" || echo "NOINJECT ledger:unreadable (no ledger)"' ;;
	ledger:rollback) echo '[ -s "$work_older" ] && ! cmp -s "$work_older" "$ledger" && cp "$work_older" "$ledger" || echo "NOINJECT ledger:rollback (no older copy that differs)"' ;;
	# the first fault in the same request as its exposure mark: no model
	# time between them, however late this script runs
	*) local f out="" first=1
	   for f in $(echo "$1" | sed 's/ + / /g'); do
		   if [ $first = 1 ]; then
			   out="mark=\$(sim mark-fault $f | head -n 1); case \$mark in since_s=*) ;; *) echo 'NOINJECT $f' ;; esac;"
			   first=0
		   else
			   out="$out sim fault $f || echo 'NOINJECT $f';"
		   fi
		   [ "$f" = usb:unplug ] && out="$out wait_model 5;"
	   done
	   echo "$out" ;;
	esac
}

# what the scenario does before its session starts
prepare() {
	case $1 in
	ledger:rollback) echo 'cp "$ledger" "$work_older"' ;; # the ledger as it was before the session
	*) echo ':' ;;
	esac
}

# what removing the cause means after the watch
remove() {
	case $1 in
	daemon:*) echo ':' ;;
	ledger:*) echo ':' ;; # the daemon has written the ledger again; clearing is a person's
	*usb:replug*) echo ':' ;;
	*usb:unplug*) echo 'sim fault usb:replug' ;;
	*) echo 'sim fault all:ok' ;;
	esac
}

run_one() { # id phase kind(fault|twin) fault watch clear pad
	local id=$1 phase=$2 kind=$3 fault=$4 watch=$5 clear=$6 pad=$7 profile at
	local sim_args="--model $top/sim/pads/$pad.ini --host-wait $host_wait"
	# idle: the fault comes before a session, which is then asked for
	local begin after=:
	case $phase in
	idle) profile=heat at=5 begin=: after="tp start heat >/dev/null 2>&1" ;;
	hot) profile=heat at=30 ;;
	cold) profile=cold at=200 ;;
	*) echo "run $id $phase $pad $kind why=phase $phase is not run end to end" >>"$results"; return ;;
	esac
	begin=${begin:-"tp start $profile >/dev/null"}
	local inj=: rem=: clr=: prep=:
	if [ "$kind" = fault ]; then
		inj=$(inject "$fault")
		rem=$(remove "$fault")
		prep=$(prepare "$fault")
		case $clear in
		# a clear is judged on the pad's next reports: up to 10 s of model
		# time for the fault to go
		person) clr='tp clear-faults >/dev/null 2>&1; for _ in $(seq 10); do [ -z "$(code)" ] && break; wait_model 1; done' ;;
		replug) clr='sim fault usb:unplug; wait_model 2; sim fault usb:replug; wait_model 3; tp clear-faults >/dev/null 2>&1
			for _ in $(seq 10); do [ -z "$(code)" ] && break; wait_model 1; done' ;;
		esac
	fi
	# the mark: a signal (or nothing, for a twin) follows it at once; a
	# fault of the simulator's is marked in its own request (inject)
	local marker='mark=$(sim exposure-mark | head -n 1)'
	if [ "$kind" = fault ]; then
		case $fault in
		daemon:slow | ledger:*) ;;
		daemon:*) marker='sim clock hold >/dev/null; mark=$(sim exposure-mark | head -n 1)' ;;
		*) marker=: ;;
		esac
	fi
	scenario $S "
code() { # the latched fault's code; a busy daemon gets three tries
	for _ in 1 2 3; do j=\$(tp --json status 2>/dev/null) && break; done
	echo \"\$j\" | grep -o '\"code\":\"[a-z-]*\"' | head -n 1 | cut -d'\"' -f4; }
ledger=\"$work/state/dose/\$(sim serials | head -n 1).ini\" work_older=\"$work/ledger.older\"
$prep
$begin
wait_model $at
pre=\"\$(sim truth | head -n 1 | sed 's/ fw_faults=/ mark_fw_faults=/') host=\$(code)\"
$marker
$inj
$after
echo \"MARK \$mark \$pre\"
wait_model $watch
echo \"WATCH \$(sim exposure | head -n 1) \$(sim truth | head -n 1) host=\$(code)\"
$rem
sim exposure-mark >/dev/null
wait_model 10
echo \"TAIL \$(sim exposure | head -n 1) \$(sim truth | head -n 1) daemon=\$(kill -0 \$daemon_pid 2>/dev/null && echo alive || echo gone) host=\$(code)\"
$clr
wait_model 3
echo \"CLEAR \$(sim truth | head -n 1) host=\$(code)\"
echo END"
	# a run disturbed before its fault (a busy machine late past the
	# firmware watchdog) says nothing about the fault: twice more, then
	# reported as such
	# and a twin that trips is run once more before it counts as a false trip
	if { awk '/^MARK / { bad = !/ mark_fw_faults=0x0 / || !/ host=$/ } END { exit !bad }' "$work/out" ||
	     { [ "$kind" = twin ] && ! awk '/^WATCH / { bad = !/ fw_faults=0x0 .* fw_faults=0x0 / || !/ host=$/ } END { exit bad }' "$work/out"; }; } &&
	   [ "${retry:-0}" -lt 2 ]; then
		cp "$work/out" "$logs/$id-$pad-$phase-$kind.disturbed-$((${retry:-0} + 1)).log"
		local scale=$S # each retry at half the time scale: twice the slack
		S=$(awk -v s=$S 'BEGIN { print s / 2 }')
		retry=$((${retry:-0} + 1)) run_one "$@"
		S=$scale
		return
	fi
	cp "$work/out" "$logs/$id-$pad-$phase-$kind.log"
	cp "$work/daemon.log" "$logs/$id-$pad-$phase-$kind.daemon.log" 2>/dev/null
	if awk '/^MARK / { bad = !/ mark_fw_faults=0x0 / || !/ host=$/ } END { exit !bad }' "$work/out"; then
		echo "run $id $phase $pad $kind why=disturbed before the fault three times, down to a quarter of the time scale (a busy machine?): $(grep -m1 '^MARK' "$work/out" | grep -o 'mark_fw_faults=[^ ]*\| host=.*' | tr '\n' ' ')" >>"$results"
		return
	fi
	if grep -q '^NOINJECT' "$work/out"; then
		echo "run $id $phase $pad $kind why=no injection in the simulator yet: $(grep -m1 '^NOINJECT' "$work/out" | cut -d' ' -f2-)" >>"$results"
		return
	fi
	if ! grep -q '^END' "$work/out"; then
		echo "run $id $phase $pad $kind why=the end-to-end run did not finish: $(tail -n 3 "$work/out" | tr '\n' ' ')" >>"$results"
		return
	fi
	awk -v id="$id" -v phase="$phase" -v pad="$pad" -v kind="$kind" -v watch="$watch" -v clear="$clear" -v fault="$fault" '
	function kv(line, key,   m) { if (match(line, " " key "=[^ ]*")) return substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2); return "" }
	/^MARK / { mark = $0 } /^WATCH / { w = $0 } /^TAIL / { t = $0 } /^CLEAR / { c = $0 }
	END {
		since = kv(mark, "since_s") + 0
		last = kv(w, "last_drive_s") + 0
		zero = kv(w, "module_drive") + 0 != 0 ? "inf" : (last > since ? last - since : 0)
		fw = kv(w, "fw_fault_s") + 0; fw = fw >= 0 ? fw - since : -1
		fuse = kv(w, "fuse_s") + 0; fuse = fuse >= 0 ? fuse - since : -1
		host = kv(w, "host"); if (host == "") host = "-"
		tripped = (kv(w, "fw_faults") != "0x0" || host != "-") ? 1 : 0
		# no drive reached the module in the 10 s after the cause went, and a
		# fault is still latched at their end
		held = (kv(t, "last_drive_s") + 0 < kv(t, "since_s") + 0 && kv(t, "module_drive") + 0 == 0 &&
			(kv(t, "fw_faults") != "0x0" || kv(t, "host") != "")) ? 1 : 0
		cleared = (clear == "-" || (kv(c, "fw_faults") == "0x0" && kv(c, "host") == "")) ? 1 : 0
		# a daemon that died by itself is a finding of its own
		note = kv(t, "daemon") == "gone" && kind == "fault" && fault != "daemon:kill" ? "the-daemon-died-after-the-fault" : "-"
		printf "run %s %s %s %s zero_s=%s plate_max_c=%s plate_min_c=%s tissue_max_c=%s cem43_min=%s cold_s=%s fw_s=%s fuse_s=%s host_s=%s host_code=%s tripped=%d trip=%s latch_held=%d cleared=%d note=%s\n",
			id, phase, pad, kind, zero, kv(w, "plate_max_c"), kv(w, "plate_min_c"), kv(w, "tissue_max_c"),
			kv(w, "cem43_min"), kv(w, "cold_s"), fw, fuse, host == "-" ? -1 : watch, host, tripped,
			tripped ? (host != "-" ? host : "firmware-" kv(w, "fw_faults")) : "-", held, cleared, note
	}' "$work/out" >>"$results"
}

# the twins of this job's share (TP_SAFETY_TWIN_SHARD: "pad phase watch
# id" lines), each into the shared directory
if [ -n "${TP_SAFETY_TWIN_SHARD:-}" ]; then
	while read -r pad phase watch id; do
		run_one "$id" "$phase" twin - "$watch" - "$pad"
		tail -n 1 "$results" >"$TP_SAFETY_TWINS/twin-$pad-$phase-$watch"
	done <"$TP_SAFETY_TWIN_SHARD"
	exit 0
fi

# every e2e row of the table (or of this job's share), each phase, with
# its twin after it (from the shared directory when the twins ran first)
twins_dir=${TP_SAFETY_TWINS:-$work}
awk -F'\t' '!/^#/ && $1 != "id" && $4 == "e2e" { print $1 "\t" $2 "\t" $3 "\t" $14 "\t" $13 }' "$table" |
while IFS=$'\t' read -r id phases fault watch clear; do
	for pad in $pads; do
		if [ -n "${TP_SAFETY_SHARD:-}" ] && ! grep -qx "$id $pad" "$TP_SAFETY_SHARD"; then continue; fi
		for phase in ${phases//,/ }; do
			run_one "$id" "$phase" fault "$fault" "$watch" "$clear" "$pad"
			if grep -q "^run $id $phase $pad fault why=" "$results"; then continue; fi
			# twins of the same pad, phase and watch are the same run: one serves all
			key="twin-$pad-$phase-$watch"
			if [ -s "$twins_dir/$key" ]; then
				sed "s/^run [^ ]* /run $id /" "$twins_dir/$key" >>"$results"
			else
				run_one "$id" "$phase" twin - "$watch" - "$pad"
				tail -n 1 "$results" >"$twins_dir/$key"
			fi
		done
	done
done
echo "end-to-end rows: $(grep -c ' fault ' "$results") runs and $(grep -c ' twin ' "$results") twins in $SECONDS s"
