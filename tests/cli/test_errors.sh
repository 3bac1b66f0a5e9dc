#!/usr/bin/env bash
# What a person is told, against the daemon under thermopad-sim with two
# pads: the group message (exit 4) when the socket refuses them, JSON errors
# on stdout even with no daemon, "did you mean" for commands, profiles and
# serials, an option without its value, status and faults exiting 5 while a
# fault is latched, the firmware's bits by name, "--" for a sensor not read,
# --pad on status, faults, watch and log, the pad with a session chosen when
# a command names none, and log plot -o checked before anything is drawn.
# About 20 s of wall time.
set -u
. tests/daemon/harness.sh
chmod 755 "$work"
sim_args="--pads 2"
scenario $S '
J='"$work"'
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
tp log plot latest -o $J/no/such/dir/chart.png >$J/plot-nodir.txt 2>&1; r plot-nodir $?
tp log plot latest -o $J/chart.pdf >$J/plot-pdf.txt 2>&1; r plot-pdf $?
timeout 4 "$top/$build/thermopad" watch --pad TP-SIM-0002 >$J/watch-pad.txt 2>&1
sim fault sensor-a:open TP-SIM-0001
wait_for "tp status --pad TP-SIM-0001 | grep -q FAULT"
tp status --pad TP-SIM-0001 >$J/fault-status.txt; r status-fault $?
tp faults >$J/faults.txt; r faults-fault $?
tp --json faults >$J/faults.json
tp faults --pad TP-SIM-0002 >/dev/null; r faults-other $?
chmod 0600 $THERMOPAD_SOCKET
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" status 2>$J/eacces.txt; r eacces $?
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" --json status >$J/eacces.json; r eacces-json $?
chmod 0660 $THERMOPAD_SOCKET'
rc() { grep -q "^$1 rc $2\$" "$work/out"; }
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
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
