#!/usr/bin/env bash
# The supervisor through the daemon's edges, under thermopad-sim and the
# real libusb: faults the firmware latched are cleared once their cause is
# gone and refused, by name, while it is present; unplug, replug, clear
# and stop are one path; a reload narrows the pads already connected; a
# dose ledger damaged, cut short, unreadable or removed latches dose-ledger
# and forgets no dose.
# About 15 s of wall time (40 s under the sanitizers).
set -u
. tests/daemon/harness.sh

# 1. A stalled host: the firmware's watchdog latches; once the host is
# back, clear-faults works (it was refused for as long as the pad reported
# the bit, which it did until a replug).
scenario $S '
tp start heat
wait_model 10
kill -STOP $daemon_pid
wait_model 7
kill -CONT $daemon_pid
wait_for "tp status | grep -q FAULT"
tp status
tp clear-faults; echo "clear rc $?"
tp status | grep -q FAULT && echo "still latched"
tp resume; echo "resume rc $?"
wait_model 3
tp status'
# the stall outlasts the waiting clock's bound (model time passes only
# once the simulator stops waiting), so the watchdog acts in model time
check "a watchdog fault after a stall: named by its protocol name" \
	"grep -q 'watchdog (no command reached it' '$work/out' && grep -q 'stopped waiting for a silent one' '$work/out'"
check "and cleared once the host is back; the session resumes" \
	"grep -q 'clear rc 0' '$work/out' && ! grep -q 'still latched' '$work/out' && grep -q 'resume rc 0' '$work/out' \
	 && grep '^pad TP-SIM-0001: ' '$work/out' | tail -n 1 | grep -q ': running'"

# 2. A sensor that went open: refused while the firmware latches it again,
# naming the bit; cleared once it is back.
scenario $S '
tp start heat
wait_model 5
sim fault sensor-a:open
wait_for "tp status | grep -q FAULT"
tp clear-faults; echo "clear rc $?"
sim fault sensor-a:ok
wait_model 3
tp clear-faults; echo "clear2 rc $?"
tp status | grep -q FAULT && echo "still latched"
tp stop; echo "stop rc $?"
wait_for "tp status | grep -q \"TP-SIM-0001: idle\"" && echo "idle"'
check "clear refused while the sensor is still open, naming sensor-a-open" \
	"grep -q 'clear rc [1-9]' '$work/out' && grep -q 'still latches sensor-a-open' '$work/out'"
check "cleared once the sensor is back, and a stop ends the paused session" \
	"grep -q 'clear2 rc 0' '$work/out' && ! grep -q 'still latched' '$work/out' && grep -q '^idle' '$work/out'"

# 3. Unplugged: no clear while away; replug, clear, stop: idle, no second
# fault for the time it was away.
unplug_replug() {
	scenario $S '
tp start heat
wait_model 10
sim fault usb:unplug
wait_for "tp status | grep -q disconnected"
tp clear-faults; echo "clear-away rc $?"
wait_model 2 # the daemon lets the old device go before the new one comes
sim fault usb:replug
wait_for "tp status | grep -q \"TP-SIM-0001: paused\""
wait_model 3
tp clear-faults; echo "clear rc $?"
tp stop; echo "stop rc $?"
wait_for "tp status | grep -q \"TP-SIM-0001: idle\"" && echo "idle"
wait_model 3
tp status'
}
unplug_replug
# (the simulator's handler listens before the new node exists: the daemon's
# open of it cannot race the replug any more, so no second try here)
check "clear refused while the pad is away" \
	"grep -q 'clear-away rc [1-9]' '$work/out' && grep -q 'still disconnected' '$work/out'"
check "replug, clear, stop: one clean path to idle with no fault" \
	"! grep -q 'libumockdev-preload' '$work/daemon.log' && grep -q 'clear rc 0' '$work/out' && grep -q 'stop rc 0' '$work/out' && grep -q '^idle' '$work/out' \
	 && ! tail -6 '$work/out' | grep -q FAULT"

# 4. A reload narrows a session in progress: session_max_min = 2 ends it,
# in order, at 2 minutes of model time.
cp "$config" "$work/narrow.conf"
printf '[safety]\nsession_max_min = 2\n' >>"$work/narrow.conf"
scenario $S '
tp start heat
wait_model 20
cp '"$work"'/narrow.conf $config
kill -HUP $daemon_pid; echo "reload rc $?"
wait_for "grep -q \"cap reached\" '"$work"'/daemon.log" && echo "capped"
echo "at $(field time_s)"'
printf '[pad]\nwatchdog_ms = 5000\n' >"$work/test.conf"
check "a reload narrows the running session: the session cap ends it in order" \
	"grep -q 'reload rc 0' '$work/out' && grep -q '^capped' '$work/out' && grep -q 'session-length' '$work/daemon.log'"

# 6. The microcontroller restarts on the bus (no hot-plug): the daemon sees
# it in the reports, sends the limits and the watchdog again, and the
# session latches the reset until a person clears it.
scenario $S '
tp start heat
wait_model 10
sim fault mcu:reset
wait_for "tp status | grep -q FAULT"
tp status
tp clear-faults; echo "clear rc $?"
tp resume; echo "resume rc $?"
wait_model 3
tp status'
check "an MCU reset mid-session: seen, named, limits and watchdog sent again" \
	"grep -q 'FAULT pad-reset: pad TP-SIM-0001 restarted' '$work/out' && grep -q 'limits and watchdog are sent again' '$work/daemon.log'"
check "and cleared; the session resumes" \
	"grep -q 'clear rc 0' '$work/out' && grep -q 'resume rc 0' '$work/out' && grep '^pad TP-SIM-0001: ' '$work/out' | tail -n 1 | grep -q ': running'"

# 5. Doses across sessions, across a restart: a cold session at the
# (narrowed) cold cap, then a new daemon on the same state directory
# refuses the next one, naming when it will be allowed.
printf '[pad]\nwatchdog_ms = 5000\n[safety]\ncold_session_max_min = 5\n' >"$work/test.conf"
mkdir -p "$work/xdg/thermopad/profiles"
printf '[profile]\ndescription = brief cold\n[phase.cool]\nkind = cold\ntarget_c = 12\nduration_min = 3\n' \
	>"$work/xdg/thermopad/profiles/brief-cold.ini"
export XDG_CONFIG_HOME=$work/xdg
scenario $S '
tp start brief-cold; echo "start rc $?"
wait_for "tp status | grep -q \"TP-SIM-0001: idle\"" && echo "idle"
tp status'
keep_state=1 scenario $S '
tp status
tp start brief-cold; echo "again rc $?"'
check "after a daemon restart, the cold of the last session still counts: the next is refused, with when" \
	"grep -q 'again rc [1-9]' '$work/out' && grep -q 'cold exposure: .* of recent sessions' '$work/out' \
	 && grep -q 'allowed again in' '$work/out' && grep -q 'across sessions: heat' '$work/out' && [ -s '$work/state/dose/TP-SIM-0001.ini' ]"
check "a healthy ledger read after a restart is quiet (no dose-ledger fault)" "! grep -q dose-ledger '$work/daemon.log'"

# 8. The ledger damaged while the daemon is stopped: cut short (as a full
# disk or a crash of an editor leaves it), then a directory in its place
# (what no one can read, root included). The next daemon cannot trust it:
# dose-ledger latches, the doses count as the worst the caps allow (a
# clear does not make the skin's day forgettable), the file found is kept
# aside and the ledger is whole again.
ledger=$work/state/dose/TP-SIM-0001.ini
truncate -s $(($(stat -c %s "$ledger") / 2)) "$ledger"
keep_state=1 scenario $S '
wait_for "tp status | grep -q FAULT"
tp start heat; echo "start rc $?"
tp clear-faults
tp start heat; echo "after clear rc $?"'
check "a ledger cut short while the daemon was stopped: dose-ledger latched, naming the file and what is wrong" \
	"grep -q 'dose-ledger: the dose ledger $ledger is cut short (truncated)' '$work/daemon.log' && grep -q 'start rc [1-9]' '$work/out'"
check "its doses count as the worst the caps allow: after the clear, heat waits a day" \
	"grep -q 'count as the worst the caps allow' '$work/daemon.log' && grep -q 'after clear rc [1-9]' '$work/out' &&
	 grep -q 'in the last 24 h .*allowed again in 2[34] h' '$work/out'"
check "the file found is kept aside, the ledger written whole again" \
	"[ -s '$ledger.untrusted' ] && tail -n 3 '$ledger' | grep -q '^crc32 = '"
rm "$ledger" && mkdir "$ledger"
keep_state=1 scenario $S '
wait_for "tp status | grep -q FAULT"
tp status'
check "a directory in the ledger's place: dose-ledger, it cannot be read, moved aside" \
	"grep -q 'dose-ledger: the dose ledger $ledger cannot be read: it is not a regular file (a directory)' '$work/daemon.log' &&
	 [ -f '$ledger' ] && [ -d '$ledger.untrusted' ]"

# 9. A first start (no ledger) is quiet and begins one; removed while the
# daemon runs, it is missed within the check's 5 s of model time, and the
# daemon writes what it recorded again.
scenario $S '
wait_model 1
ls "'"$work"'/state/dose/TP-SIM-0001.ini" && echo "begun"
rm "'"$work"'/state/dose/TP-SIM-0001.ini"
wait_model 6
tp status
tp clear-faults; echo "clear rc $?"
wait_model 6
tp start heat; echo "start rc $?"'
check "a first start is quiet and begins the ledger" "grep -q '^begun' '$work/out' && grep -q 'its dose ledger begins at' '$work/daemon.log'"
check "removed while the daemon runs: dose-ledger within 6 s of model time, the doses it recorded kept" \
	"grep -q 'dose-ledger: the dose ledger .* is gone: this daemon wrote it as number 1. The doses this daemon recorded are kept' '$work/daemon.log'"
check "cleared by a person, the ledger is trusted again and a session starts" \
	"grep -q 'clear rc 0' '$work/out' && grep -q 'start rc 0' '$work/out' && [ \$(grep -c 'dose-ledger:' '$work/daemon.log') = 1 ]"
unset XDG_CONFIG_HOME
printf '[pad]\nwatchdog_ms = 5000\n' >"$work/test.conf"

echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
