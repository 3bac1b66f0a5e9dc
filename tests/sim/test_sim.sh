#!/usr/bin/env bash
# The simulated pad through the real libusb: thermopad-sim spawns tpstream
# (an unchanged libusb client) into its testbed. Timing comes from model
# time (tpstream's --at and --until-fault), never from sleeps.
set -u
build=${TP_BUILD:-build}
sim="$build/thermopad-sim"
client="$build/tpstream"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/#   /' "$out" | tail -n 15; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
field() { sed -n "s/.*summary.* $1=\([^ ]*\).*/\1/p" "$out"; }

timeout 60 "$sim" -- "$client" --info >"$out" 2>&1
check "GET_INFO and the serial string descriptor through libusb" \
	"grep -q 'serial=TP-SIM-0001 descriptor_serial=TP-SIM-0001 .*simulated=1 sensors=3 plate_max=44.00 plate_min=8.00' '$out'"

# --host-wait: a well-behaved client that a busy machine schedules late
# must not lose reports or miss its heartbeat because of the time scale;
# the pad waits for it, as it does for the daemon in the demo
timeout 60 "$sim" --time-scale 20 --host-wait 5 -- "$client" --frames 60 >"$out" 2>&1
# (60 or one more: a report already on its way when the client stops counts)
check "telemetry streams: 60 frames, no gap, none rejected" \
	"[ \"\$(field frames)\" -ge 60 ] && [ \"\$(field frames)\" -le 61 ] && [ \"\$(field gaps)\" = 0 ] && [ \"\$(field rejected)\" = 0 ]"
check "reports every 100 ms of model time" \
	"awk -F'[ =]' '/^seq=/ { if (prev != \"\" && (\$4 - prev) * 10 + 0.5 < 1 || prev != \"\" && (\$4 - prev) * 10 - 0.5 > 1) bad = 1; prev = \$4 } END { exit bad }' '$out'"

timeout 60 "$sim" --time-scale 20 --host-wait 5 -- "$client" --quiet --drive 1.0 --seconds 10 --at 9.9:truth >"$out" 2>&1
plate=$(grep -o 'plate_c=[0-9.]*' "$out" | head -1 | cut -d= -f2)
check "full heating warms the true plate past 40 C within 10 s" "awk -v p='${plate:-0}' 'BEGIN { exit !(p > 40) }'"

# at 1x: the bound is 0.15 s past the watchdog's 1 s, and a client late by
# a few milliseconds of wall time on a busy machine would miss it at 20x
# (the pad cannot wait for a client that falls silent on purpose)
timeout 60 "$sim" --time-scale 1 -- "$client" --quiet --heartbeat-for 2 --seconds 4 --at 3.5:truth >"$out" 2>&1
fault_t=$(field fault_time) hb_t=$(field last_heartbeat)
check "the watchdog faults the pad within 1.0 s (+ one report) after the last SET_OUTPUT" \
	"grep -q 'fault at .*: watchdog' '$out' && awk -v f='$fault_t' -v h='$hb_t' 'BEGIN { exit !(f - h <= 1.15 && f - h >= 0.9) }'"
check "and the firmware's drive is zero" "grep -q 'fw_drive=0 .*fw_state=fault' '$out'"

timeout 60 "$sim" --time-scale 20 -- "$client" --quiet --seconds 6 --at 1:'fault usb:unplug' \
	--on-departure 'fault usb:replug' >"$out" 2>&1
check "unplug and replug reach libusb's hot-plug callbacks" \
	"grep -q 'pad left' '$out' && grep -q 'pad arrived' '$out' && [ \"\$(field departures)\" = 1 ] && [ \"\$(field arrivals)\" = 1 ]"
check "telemetry resumes after the replug" "[ \$(grep -c '^pad serial=' '$out') = 2 ] && [ \"\$(field frames)\" -gt 30 ]"

timeout 60 "$sim" --time-scale 20 -- "$client" --quiet --seconds 3 --at 1:'fault usb:malformed=5' >"$out" 2>&1
check "five malformed reports rejected, each for its reason" \
	"[ \"\$(field rejected)\" = 5 ] && grep -q 'unknown protocol version' '$out' && grep -q 'length field' '$out' \
	 && grep -q 'frame too short' '$out' && grep -q 'reserved byte' '$out' && grep -q 'unexpected frame type' '$out'"

timeout 60 "$sim" --time-scale 20 -- "$client" --quiet --seconds 5 --at 1:'fault usb:stall=1.5' >"$out" 2>&1
check "a telemetry stall shows as a sequence gap" "[ \"\$(field gaps)\" -ge 13 ]"

timeout 60 "$sim" --time-scale 20 -- "$client" --frames 40 --at 1:'fault usb:replay=5' >"$out" 2>&1
check "replayed reports: the same report five times more" \
	"[ \"\$(awk -F'[ =]' '/^seq=/ { n[\$2]++ } END { for (s in n) if (n[s] == 6) k++; print k + 0 }' '$out')\" = 1 ]"

timeout 60 "$sim" --time-scale 20 --host-wait 5 -- "$client" --quiet --drive 1.0 --seconds 8 --at 2:exposure-mark \
	--at 7.9:exposure --at 7.95:truth >"$out" 2>&1
check "the exposure record: the peak true plate since the mark, kept at every tick" \
	"awk '/since_s=/ { for (i = 1; i <= NF; i++) { split(\$i, kv, \"=\"); e[kv[1]] = kv[2] } }
	      /plate_c=/ && /serial=/ { for (i = 1; i <= NF; i++) { split(\$i, kv, \"=\"); t[kv[1]] = kv[2] } }
	      END { exit !(e[\"since_s\"] >= 1.9 && e[\"since_s\"] < 4 && e[\"plate_max_c\"] > 40 &&
	                   e[\"plate_max_c\"] >= t[\"plate_c\"] - 0.5 && e[\"last_drive_s\"] > e[\"since_s\"] + 3 && e[\"cem43_min\"] > 0) }' '$out'"

timeout 60 "$sim" -- "$client" --info --try-widen 1 >"$out" 2>&1
check "SET_LIMITS that would widen a hard limit is STALLed" "grep -q 'set-limits plate_max=45.00: LIBUSB_ERROR_PIPE' '$out'"

timeout 60 "$sim" --time-scale 20 --fault sensor-a:open -- "$client" --quiet --frames 5 >"$out" 2>&1
check "an injected open sensor is reported by the firmware" "grep -q 'sensor-a-open' '$out'"

timeout 60 "$sim" --pads 2 -- bash -c "\"$sim\" --ctl \"\$TP_SIM_CONTROL\" serials" >"$out" 2>&1
check "several pads, told apart by serial" "grep -q TP-SIM-0001 '$out' && grep -q TP-SIM-0002 '$out'"

# Truthful poll: a client that waits in libusb_handle_events must sleep
# between reports (at scale 1, 2 s of wall time).
timeout 60 "$sim" -- "$client" --quiet --frames 20 >"$out" 2>&1
cpu=$(field cpu_s) wall=$(field wall_s)
limit=0.05
[ "${TP_SAN:-0}" = 1 ] && limit=0.25
check "an idle libusb client does not spin (cpu ${cpu:-?} s over ${wall:-?} s)" \
	"awk -v c='${cpu:-9}' -v w='${wall:-1}' -v l=$limit 'BEGIN { exit !(c / w < l) }'"

# A host that misbehaves on purpose, judged on the model's truth (the
# simulator's `truth`), never on what the firmware reports. About 35 s of
# wall time in all.
truth() { sed -n "s/^truth.* $1=\([^ ]*\).*/\1/p" "$out"; }
below() { awk -v a="${1:-999}" -v b="$2" 'BEGIN { exit !(a < b) }'; }

timeout 120 "$sim" --time-scale 70 -- "$client" --quiet --drive 1 --keep-driving --clear-spam --replay \
	--garbage --watchdog 5000 --seconds 700 --truth-every 0.5 >"$out" 2>&1
check "full heat forever, clear-spam, replayed seq, garbage: true plate below 43.5 C ($(truth plate_max_c) C)" \
	"below '$(truth plate_max_c)' 43.5 && [ \"\$(truth above_43_5_s)\" = 0.0 ]"
check "... and the firmware's heat-clamp bound cut it (the host rode the plate limit), held through the clears" \
	"grep -q 'fault at .*heat-clamp' '$out' && [ \$(( \$(field faults) & 0x80000 )) != 0 ]"

timeout 120 "$sim" --time-scale 150 -- "$client" --quiet --drive -1 --keep-driving --clear-spam \
	--watchdog 5000 --seconds 1800 --truth-every 1 >"$out" 2>&1
check "full cold forever with clear-spam: true plate above 8 C ($(truth plate_min_c) C), below 15 C for $(truth below_15_s) s" \
	"! below '$(truth plate_min_c)' 8.5 && below '$(truth below_15_s)' 1650 && [ \$(( \$(field faults) & 0x4000 )) != 0 ]"

for level in 0.25 -0.8; do
	timeout 60 "$sim" --time-scale 20 -- "$client" --quiet --seconds 12 --truth-every 0.2 \
		--at 3:"fault tec:stuck=$level" --at 5:truth >"$out" 2>&1
	check "a bridge stuck at $level while the host commands zero: the load switch open within 2 s, plate $(truth plate_min_c)..$(truth plate_max_c) C" \
		"grep -q 'sim truth: .*switch_closed=0' '$out' && ! below '$(truth plate_min_c)' 8 && below '$(truth plate_max_c)' 43.5 && [ \$(( \$(field faults) & 0x8000 )) != 0 ]"
done

# (--host-wait, as above: at 20x a client scheduled 50 ms late would miss
# its heartbeat by a second of model time)
timeout 60 "$sim" --time-scale 20 --host-wait 5 -- "$client" --drive -1 --ack-boot --seconds 16 --at 8:'fault mcu:reset' >"$out" 2>&1
check "an MCU reset on the bus is seen (the boot flag, device time restarted) and acknowledged" \
	"[ \$(grep -c '^boot seen' '$out') = 2 ] && [ \"\$(field boots_acked)\" -ge 2 ] && [ \"\$(field faults)\" = 0x0 ]"
check "... and the firmware rests at zero 2 s after it, whatever the host asks" \
	"awk -F'[ =]' '/^boot seen/ { n++ } n == 2 && /^seq=/ { if (\$4 < 1.9 && \$14 != 0) bad = 1; if (\$4 >= 2.2 && \$4 < 3 && \$14 == 0) bad = 1 } END { exit bad }' '$out'"

# (the host's --at times count device time, which restarts with the
# firmware: the truth at 8 s comes after the restart, and far enough from
# the hang at 5 s that a late host never sends both at once)
timeout 60 "$sim" --time-scale 20 --host-wait 5 -- "$client" --drive 0.5 --ack-boot --seconds 10 --at 5:'fault mcu:hang' \
	--at 8:truth >"$out" 2>&1
check "a hung MCU: the hardware watchdog resets it within 50 ms (drive and load switch off), the host sees it boot again" \
	"[ \$(grep -c '^boot seen' '$out') = 2 ] && grep -q 'sim truth: .* mcu_hung=0 watchdog_resets=1 ' '$out'"

timeout 60 "$sim" --time-scale 20 --fault relay:open -- "$client" --quiet --heartbeat-for 0 --seconds 10 --truth-every 1 >"$out" 2>&1
check "the interlock's relay open with the output at zero: a flag, no fault" \
	"[ \"\$(field faults)\" = 0x0 ] && [ \$(( \$(field flags) & 0x20 )) != 0 ]"

timeout 60 "$sim" --time-scale 20 --fault sink:stuck=160 -- "$client" --quiet --drive -1 --keep-driving \
	--seconds 5 --truth-every 0.5 --at 4:truth >"$out" 2>&1
check "a heat-sink reading beyond the range (160 C) is a sensor fault: no cooling runs on it" \
	"grep -q 'fault at .*sink-sensor-short' '$out' && grep -q 'sim truth: .*module_drive=0.0000 ' '$out'"

timeout 60 "$sim" -- "$client" --info --narrow 42 --try-widen 1 >"$out" 2>&1
check "SET_LIMITS cannot widen back what it narrowed" \
	"grep -q 'set-limits plate_max=42.00: accepted' '$out' && grep -q 'set-limits plate_max=43.00: LIBUSB_ERROR_PIPE' '$out'"

echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
