#!/usr/bin/env bash
# What a person is told, against the daemon under thermopad-sim with two
# pads: the group message (exit 4) when the socket refuses them, JSON errors
# on stdout even with no daemon, "did you mean" for commands, profiles and
# serials, an option without its value, status and faults exiting 5 while a
# fault is latched, the firmware's bits by name, "--" for a sensor not read,
# --pad on status, faults, watch and log, the pad with a session chosen when
# a command names none, log plot -o checked before anything is drawn;
# doctor link by link (a fault, no udev rule, the socket refusing, a broken
# profile of the user's, joined the group but not logged in again, no
# daemon), profiles new/edit/revert, and validate with no daemon against the
# configuration's limits; session summaries and shaded charts; desktop
# notifications at a phase change, a fault and a session's end, received by
# a mock notification service on a private bus.
# About 8 s of wall time.
set -u
. tests/daemon/harness.sh
chmod 755 "$work"
# the simulator waits for a late host (as the demo does): the checks here are
# about what a person is told, not about the watchdog on a busy machine
sim_args="--pads 2 --host-wait 2"
scenario $S '
J='"$work"'
export XDG_CONFIG_HOME=$J/xdg
r() { echo "$1 rc $2"; }
THERMOPAD_SOCKET=$J/nowhere.sock tp --json status >$J/down.json; r json-down $?
tp stauts 2>$J/typo-cmd.txt; r typo-cmd $?
tp start contrst --pad TP-SIM-0001 2>$J/typo-profile.txt; r typo-profile $?
tp status --pad TP-SIM-001 2>$J/typo-pad.txt; r typo-pad $?
tp start heat --set 2>$J/set-novalue.txt; r set-novalue $?
tp status --pad 2>$J/pad-novalue.txt; r pad-novalue $?
tp --socket 2>$J/socket-novalue.txt; r socket-novalue $?
tp --json stauts >$J/typo-json.json; r typo-json $?
tp start heat --pad TP-SIM-0002 >/dev/null
wait_model 5
tp stop >$J/stop-default.txt 2>&1; r stop-default $?
wait_for "tp --json status --pad TP-SIM-0002 | grep -q \"\\\"state\\\":\\\"idle\\\"\""
tp --json status >$J/status.json; r status-healthy $?
tp --json log list --pad TP-SIM-0002 >$J/log-pad.json; r log-pad $?
tp --json log list --pad TP-SIM-0001 >$J/log-pad1.json; r log-pad1 $?
tp start contrast --pad TP-SIM-0002 >/dev/null
tp --json status --pad TP-SIM-0002 >$J/left.json
tp status --pad TP-SIM-0002 >$J/left.txt
wait_for "tp --json status --pad TP-SIM-0002 | grep -q \"\\\"in_band\\\":true\""
wait_model 10
tp pause --pad TP-SIM-0002 >/dev/null; wait_model 1; tp resume --pad TP-SIM-0002 >/dev/null
# the skip and the stop with the pad'"'"'s clock held: the cold phase they
# bound lasts no model time, however slowly a busy machine starts each
# command (at this time scale a second of wall time is a minute of model
# time, and the plate would reach 12 C before a late stop)
wait_model 1; sim clock hold >/dev/null; tp skip --pad TP-SIM-0002 >/dev/null; tp stop --pad TP-SIM-0002 >/dev/null
sim clock release >/dev/null
wait_for "tp --json status --pad TP-SIM-0002 | grep -q \"\\\"state\\\":\\\"idle\\\"\""
tp --json log list --pad TP-SIM-0002 >$J/log-summary.json
tp log list --pad TP-SIM-0002 >$J/log-list.txt
tp log show latest --pad TP-SIM-0002 >$J/log-show.txt
tp --json log show latest --pad TP-SIM-0002 >$J/log-show.json
tp log plot latest --pad TP-SIM-0002 -o $J/shaded.svg >$J/plot-shaded.txt; r plot-shaded $?
# notifications: a notification service (python3-dbusmock) on a bus of
# this run'"'"'s own, both stopped by their PIDs
dbus-daemon --session --address=unix:path=$J/bus --nofork --nopidfile >/dev/null 2>&1 & bus_pid=$!
owner() { dbus-send --bus=unix:path=$J/bus --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null | grep -q true; }
wait_for "[ -S $J/bus ]"
DBUS_SESSION_BUS_ADDRESS=unix:path=$J/bus /usr/bin/python3 -m dbusmock --session -t notification_daemon -l $J/notify.log >/dev/null 2>&1 & mock_pid=$!
wait_for owner
# each watch is listening (it has printed its pad'"'"'s line) before the session
# starts: a short session started first can end before a watch slowed by a
# busy machine has seen it run, and the watch would then wait for nothing
DBUS_SESSION_BUS_ADDRESS=unix:path=$J/bus timeout 120 "$top/$build/thermopad" watch --until-idle --pad TP-SIM-0002 >$J/watch-notify.txt 2>&1 & notify_watch_pid=$!
wait_for "grep -q \"^TP-SIM-0002 \" $J/watch-notify.txt"
tp start heat --pad TP-SIM-0002 --set warm.duration_s=3 >/dev/null
wait $notify_watch_pid; r watch-notify $?
wait_for "grep -q \"session ended\" $J/notify.log"
# a phase change, then a fault in the next phase, each reaching the service
# (on the other pad, whose fault the checks below find latched anyway)
DBUS_SESSION_BUS_ADDRESS=unix:path=$J/bus timeout 120 "$top/$build/thermopad" watch --until-idle --pad TP-SIM-0001 >$J/watch-fault.txt 2>&1 & fault_watch_pid=$!
wait_for "grep -q \"^TP-SIM-0001 \" $J/watch-fault.txt"
tp start contrast --pad TP-SIM-0001 --set hot.duration_s=3 >/dev/null
wait_for "grep -q \"TP-SIM-0001: phase 2/\" $J/notify.log"
sim fault sensor-a:open TP-SIM-0001
wait_for "grep -q \"TP-SIM-0001: FAULT\" $J/notify.log" 30
kill $fault_watch_pid; wait $fault_watch_pid 2>/dev/null
kill $mock_pid $bus_pid; wait $mock_pid $bus_pid 2>/dev/null
tp log plot latest -o $J/no/such/dir/chart.png >$J/plot-nodir.txt 2>&1; r plot-nodir $?
tp log plot latest -o $J/chart.pdf >$J/plot-pdf.txt 2>&1; r plot-pdf $?
"$top/$build/thermopad" watch --pad TP-SIM-0002 >$J/watch-pad.txt 2>&1 &
watch_pid=$!
wait_for "[ \$(grep -c \"^TP-SIM-0002 \" $J/watch-pad.txt) -ge 3 ]" # three seconds of lines, by the lines
kill $watch_pid; wait $watch_pid
sim fault sensor-a:open TP-SIM-0001
wait_for "tp status --pad TP-SIM-0001 | grep -q FAULT"
tp status --pad TP-SIM-0001 >$J/fault-status.txt; r status-fault $?
tp faults >$J/faults.txt; r faults-fault $?
tp --json faults >$J/faults.json
tp faults --pad TP-SIM-0002 >/dev/null; r faults-other $?
THERMOPAD_UDEV_RULES_DIRS=$top/$build/udev tp doctor >$J/doctor-fault.txt; r doctor-fault $?
tp --json doctor >$J/doctor-fault.json
tp profiles new mine --from contrast >$J/new-from.txt; r new-from $?
tp profiles new mine 2>$J/new-again.txt; r new-again $?
tp profiles new heat >$J/new-shadow.txt; r new-shadow $?
tp --json profiles list >$J/list-own.json
tp profiles revert heat >$J/revert.txt; r revert $?
tp --json profiles list >$J/list-reverted.json
tp profiles revert mine 2>$J/revert-own.txt; r revert-own $?
printf "[profile]\ndescription = x\n[phase.a]\nkind = cold\n" >$XDG_CONFIG_HOME/thermopad/profiles/broken.ini
THERMOPAD_UDEV_RULES_DIRS=$top/$build/udev tp doctor >$J/doctor-broken.txt; r doctor-broken $?
chmod 0600 $THERMOPAD_SOCKET
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" doctor >$J/doctor-eacces.txt; r doctor-eacces $?
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" status 2>$J/eacces.txt; r eacces $?
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" --json status >$J/eacces.json; r eacces-json $?
# the group database (a file of this run'"'"'s own) lists the user, the login
# does not have the group: joined, not yet logged in again; a list without
# the user is the other message
nobody=$(id -nu 65534)
printf "thermopad:x:4242:root,%s\n" "$nobody" >$J/group-joined
printf "thermopad:x:4242:root\n" >$J/group-other
THERMOPAD_GROUP_FILE=$J/group-joined setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" doctor >$J/doctor-relogin.txt; r doctor-relogin $?
THERMOPAD_GROUP_FILE=$J/group-joined setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" status 2>$J/relogin.txt; r relogin $?
THERMOPAD_GROUP_FILE=$J/group-other setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" doctor >$J/doctor-notjoined.txt; r doctor-notjoined $?
chmod 0660 $THERMOPAD_SOCKET
# profiles edit of a name not there yet: made from the template, then the
# editor (a script that appends a line), then validated
printf "#!/bin/sh\necho \"# changed in the editor\" >>\"\$1\"\n" >$J/editor; chmod 755 $J/editor
VISUAL= EDITOR=$J/editor tp profiles edit fresh </dev/null >$J/edit-new.txt 2>&1; r edit-new $?
tp profiles validate $XDG_CONFIG_HOME/thermopad/profiles/fresh.ini >$J/edit-valid.txt 2>&1; r edit-valid $?'
# offline: no daemon anywhere, the daemon's own parser, the limits of the
# configuration file the daemon reads
printf '[profile]\ndescription = d\n[phase.w]\nkind = heat\ntarget_c = 40\nduration_min = 2\n' >"$work/forty.ini"
printf '[safety]\nsetpoint_max_c = 39\n' >"$work/narrow.conf"
export THERMOPAD_SOCKET=$work/nowhere.sock
"$build/thermopad" profiles validate "$work/forty.ini" >"$work/offline-good.txt" 2>&1
echo "offline-good rc $?" >>"$work/out"
THERMOPAD_CONFIG=$work/narrow.conf "$build/thermopad" profiles validate "$work/forty.ini" >"$work/offline-narrow.txt" 2>&1
echo "offline-narrow rc $?" >>"$work/out"
"$build/thermopad" --json doctor >"$work/doctor-down.json"
echo "doctor-down rc $?" >>"$work/out"
unset THERMOPAD_SOCKET
rc() { grep -q "^$1 rc $2\$" "$work/out"; }
line() { grep -q "^$2 *$3 .*${4-}" "$work/$1"; } # FILE VERDICT CHECK TEXT
has() { grep -q -- "$2" "$work/$1"; }
py() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$work/$1" 2>/dev/null; }
check "--json with no daemon: a JSON error object on stdout, exit 3" \
	"rc json-down 3 && py down.json 'j[\"ok\"] is False and j[\"error\"][\"code\"] == \"unreachable\" and \"nowhere.sock\" in j[\"error\"][\"message\"] and j[\"exit\"] == 3'"
check "a misspelled command: did you mean status? (exit 2); as JSON with --json" \
	"rc typo-cmd 2 && has typo-cmd.txt 'Did you mean status?' && rc typo-json 2 && py typo-json.json 'j[\"error\"][\"code\"] == \"usage\"'"
check "a misspelled profile: did you mean contrast?, the list hint once" \
	"rc typo-profile 1 && has typo-profile.txt 'Did you mean contrast?' && [ \$(grep -c 'profiles list' '$work/typo-profile.txt') = 1 ]"
check "a misspelled serial: did you mean TP-SIM-0001? (exit 1, not 'no pad connected' with 0)" \
	"rc typo-pad 1 && has typo-pad.txt 'Did you mean TP-SIM-0001?'"
check "an option without its value says so (--set, --pad, --socket; exit 2)" \
	"rc set-novalue 2 && has set-novalue.txt '\\-\\-set needs a value' && rc pad-novalue 2 && has pad-novalue.txt '\\-\\-pad needs a value' && rc socket-novalue 2 && has socket-novalue.txt '\\-\\-socket needs a value'"
check "two pads, one session: stop naming no pad stops that one" "rc stop-default 0 && has stop-default.txt 'stop: done'"
check "status exits 0 while healthy" "rc status-healthy 0"
check "log list --pad: the sessions of that pad only, as an object" \
	"rc log-pad 0 && py log-pad.json 'len(j[\"sessions\"]) == 1 and j[\"sessions\"][0][\"pad\"] == \"TP-SIM-0002\"' && py log-pad1.json 'j[\"sessions\"] == []'"
check "log plot -o into a missing folder: says so, writes nothing to the terminal" \
	"rc plot-nodir 1 && has plot-nodir.txt 'does not exist' && ! grep -q PNG '$work/plot-nodir.txt' && ! grep -q '⠀' '$work/plot-nodir.txt'"
check "log plot -o FILE.pdf: the usage error, no chart drawn first" \
	"rc plot-pdf 2 && has plot-pdf.txt '.png or .svg' && ! grep -q '⠀' '$work/plot-pdf.txt'"
check "watch --pad: that pad's lines only" \
	"grep -q '^TP-SIM-0002 ' '$work/watch-pad.txt' && ! grep -q '^TP-SIM-0001 ' '$work/watch-pad.txt'"
check "status and faults exit 5 while a fault is latched; faults of the other pad exit 0" \
	"rc status-fault 5 && rc faults-fault 5 && rc faults-other 0"
check "the firmware's bits by name and meaning, no raw hex" \
	"has faults.txt 'sensor-a-open (' && ! grep -q 'bits 0x' '$work/faults.txt'"
check "a sensor not read shows --, never nan or -327.68" \
	"has fault-status.txt 'plate -- /' && ! grep -q 'nan\\|327' '$work/fault-status.txt'"
check "faults --json: an object" "py faults.json 'isinstance(j, dict) and j[\"faults\"][0][\"pad\"] == \"TP-SIM-0001\"'"
check "the socket refusing the user: the group message and a new login (exit 4), JSON too" \
	"rc eacces 4 && has eacces.txt 'usermod -aG thermopad' && has eacces.txt 'log out and in again' && rc eacces-json 4 && py eacces.json 'j[\"error\"][\"code\"] == \"not-permitted\"'"
check "doctor with a fault latched: every link ok up to the fault, named with what to do (exit 5)" \
	"rc doctor-fault 5 && line doctor-fault.txt ok daemon 'answers at' && line doctor-fault.txt ok group && line doctor-fault.txt '\\(ok\\|warn\\)' udev 70-thermopad.rules && line doctor-fault.txt ok pad 'TP-SIM-0002 is taken' && line doctor-fault.txt ok firmware 'protocol [0-9]' && line doctor-fault.txt FAIL faults 'TP-SIM-0001: .*sensor' && has doctor-fault.txt 'clear-faults --pad TP-SIM-0001' && line doctor-fault.txt ok logs 'MiB free' && line doctor-fault.txt warn clock 'times faster'"
check "doctor --json: an object with each check's verdict; no udev rule is the first failure (exit 1)" \
	"py doctor-fault.json 'j[\"exit\"] == 1 and \"fail\" in [c[\"verdict\"] for c in j[\"checks\"] if c[\"check\"] == \"faults\"] and [(c[\"verdict\"], \"fix\" in c) for c in j[\"checks\"] if c[\"check\"] == \"udev\"] == [(\"fail\", True)]'"
check "doctor: the socket refusing the user is exit 4 with the group message" \
	"rc doctor-eacces 4 && line doctor-eacces.txt FAIL daemon 'refuses you' && has doctor-eacces.txt 'usermod -aG thermopad'"
check "doctor: a profile of the user's that does not load, with FILE:LINE and the fix (exit 5 still first)" \
	"rc doctor-broken 5 && line doctor-broken.txt FAIL profiles 'broken.ini:[0-9]*: ' && has doctor-broken.txt 'profiles edit broken'"
check "log list: each session's summary (the phases, time at target, marks in order, plate, dose)" \
	"py log-summary.json 'len(j[\"sessions\"]) == 2 and (lambda m: [p[\"kind\"] for p in m[\"phases\"]][:2] == [\"heat\", \"cold\"] and m[\"phases\"][0][\"target_c\"] == 40 and 9 <= m[\"phases\"][0][\"at_target_s\"] <= m[\"phases\"][0][\"end_s\"] - m[\"phases\"][0][\"start_s\"] and [k[\"kind\"] for k in m[\"marks\"]] == [\"pause\", \"resume\", \"skip\", \"stop\"] and m[\"plate_max_c\"] >= 39.5 and m[\"dose_cem43_min\"] >= 0)(j[\"sessions\"][0][\"summary\"])' && has log-list.txt 'at target: 40.0 C [0-9]*:[0-9][0-9], 12.0 C 0:00' && has log-list.txt 'faults: none'"
check "log show: the summary, the phases as they ran and the marks before the samples" \
	"has log-show.txt '^  plate .* to .*, dose .* CEM43 min' && grep -q '^   1\\. heat .*40.0 C .*at target [0-9]*:[0-9][0-9]' '$work/log-show.txt' && has log-show.txt 'marks: pause at .*, resume at .*, skip at .*, stop at' && py log-show.json 'j[\"summary\"][\"phases\"][1][\"kind\"] == \"cold\"'"
check "log plot: the phases shaded and the marks on the terminal chart's strip, and in the image" \
	"rc plot-shaded 0 && grep -q '^        +*P*+*R*+*S*-*X' '$work/plot-shaded.txt' && grep -q 'skip' '$work/shaded.svg' && grep -q 'rgb(244, *199, *195)' '$work/shaded.svg' && grep -q 'rgb(198, *219, *244)' '$work/shaded.svg'"
check "a desktop notification reaches the notification service when the session ends" \
	"rc watch-notify 0 && grep -q 'Notify \"thermopad\" 0 \"\" \"thermopad\" \"pad TP-SIM-0002: session ended: completed; heat dose' '$work/notify.log'"
check "a phase change and a fault each reach the notification service" \
	"grep -q 'Notify \"thermopad\" 0 \"\" \"thermopad\" \"pad TP-SIM-0001: phase 2/[0-9]*, cold at 12.0 C' '$work/notify.log' && grep -q 'Notify \"thermopad\" 0 \"\" \"thermopad\" \"pad TP-SIM-0001: FAULT .*sensor' '$work/notify.log'"
check "doctor: in the group's member list but not in this login's groups is 'joined, log in again' (exit 4)" \
	"rc doctor-relogin 4 && line doctor-relogin.txt FAIL group 'you joined the group thermopad but this login does not have it yet' && has doctor-relogin.txt 'log out and in again (or' && has doctor-relogin.txt 'newgrp thermopad' && rc relogin 4 && has relogin.txt 'this login is not yet' && rc doctor-notjoined 4 && line doctor-notjoined.txt FAIL group 'you are not in the group thermopad' && has doctor-notjoined.txt 'usermod -aG thermopad'"
check "profiles edit of a new name: made from the template, the editor run on it, valid" \
	"rc edit-new 0 && has edit-new.txt 'fresh.ini: made from a template' && has edit-new.txt 'fresh.ini: valid' && head -n 1 '$work/xdg/thermopad/profiles/fresh.ini' | grep -q '^# fresh: your own profile' && tail -n 1 '$work/xdg/thermopad/profiles/fresh.ini' | grep -q '^# changed in the editor\$' && rc edit-valid 0 && has edit-valid.txt 'fresh.ini: valid'"
check "time left counts the time to reach each target (the model: four cold approaches of minutes each)" \
	"py left.json '(lambda p: p[\"session_total_left_s\"] - p[\"session_left_s\"] > 4 * 60 and p[\"session_total_left_s\"] >= p[\"session_left_s\"] + p[\"approach_left_s\"])(j[\"pads\"][0][\"phase\"])' && has left.txt 'time left: .* in the session'"
check "profiles validate with no daemon: valid, with its plan and the limits it was checked against" \
	"rc offline-good 0 && has offline-good.txt 'forty.ini: valid (checked against the default limits' && has offline-good.txt 'cycle 1'"
check "profiles validate with no daemon: the configuration's narrowed limit, as FILE:LINE (exit 1)" \
	"rc offline-narrow 1 && has offline-narrow.txt 'forty.ini:5: \\[phase.w\\] target_c = 40' && has offline-narrow.txt 'narrow.conf'"
check "doctor with no daemon: exit 3, the daemon's check first, the rest skipped as JSON" \
	"rc doctor-down 3 && py doctor-down.json 'j[\"checks\"][0][\"check\"] == \"daemon\" and j[\"checks\"][0][\"verdict\"] == \"fail\" and \"nowhere.sock\" in j[\"checks\"][0][\"message\"] and [c[\"verdict\"] for c in j[\"checks\"] if c[\"check\"] == \"pad\"] == [\"skip\"]'"
check "profiles new --from: the user's copy of a profile; never over an existing one" \
	"rc new-from 0 && cmp -s '$work/xdg/thermopad/profiles/mine.ini' '$top/profiles/contrast.ini' && rc new-again 1 && has new-again.txt 'not overwritten'"
check "profiles new NAME of a built-in: shadows it, says how to revert; list marks both" \
	"rc new-shadow 0 && has new-shadow.txt 'profiles revert heat' && py list-own.json '[(p[\"own\"], p.get(\"shadowed\", False)) for p in j[\"profiles\"] if p[\"name\"] == \"heat\"] == [(False, True), (True, False)] and any(p[\"name\"] == \"mine\" and p[\"own\"] for p in j[\"profiles\"])'"
check "profiles revert: the daemon's is used again, the copy kept aside; a profile of the user's only is refused" \
	"rc revert 0 && [ -f '$work/xdg/thermopad/profiles/heat.ini.reverted' ] && [ ! -e '$work/xdg/thermopad/profiles/heat.ini' ] && py list-reverted.json 'not any(p[\"name\"] == \"heat\" and p[\"own\"] for p in j[\"profiles\"])' && rc revert-own 1 && has revert-own.txt \"no profile 'mine'\""
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
