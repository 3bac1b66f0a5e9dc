#!/usr/bin/env bash
# The daemon's API and its dealings with systemd, end to end under
# thermopad-sim: requests beyond start/stop (profiles, reload, sessions),
# retention, idle and slow clients, credentials, sd_notify (READY, STATUS,
# a watchdog petted only while healthy) and the journal's fields.
set -u
. tests/daemon/harness.sh
printf '[pad]\nwatchdog_ms = 5000\n[socket]\nidle_timeout_s = 1\nmax_output_bytes = 4096\n' >"$work/test.conf"

# --- profiles, reload -------------------------------------------------------
mkdir -p "$work/profiles"
cp profiles/*.ini "$work/profiles/"
profiles_dir=$work/profiles
scenario $S '
req "{\"v\":1,\"id\":1,\"cmd\":\"profiles-show\",\"profile\":\"contrast\"}" >'"$work"'/show.json
req "{\"v\":1,\"id\":2,\"cmd\":\"profiles-validate\",\"profile\":\"mine\",\"profile_text\":\"[profile]\\ndescription = x\\n[phase.a]\\nkind = heat\\ntarget_c = 47\\nduration_min = 5\\n\"}" >'"$work"'/invalid.json
req "{\"v\":1,\"id\":3,\"cmd\":\"profiles-validate\",\"profile\":\"mine\",\"profile_text\":\"[profile]\\ndescription = x\\n[phase.a]\\nkind = heat\\ntarget_c = 40\\nduration_min = 5\\n\",\"set\":[\"a.duration_min=7\"]}" >'"$work"'/valid.json
printf "[profile]\nbroken\n" >'"$work"'/profiles/heat.ini
printf "[profile]\ndescription = new\n[phase.w]\nkind = heat\ntarget_c = 38\nduration_min = 1\n" >'"$work"'/profiles/fresh.ini
req "{\"v\":1,\"id\":4,\"cmd\":\"reload\"}" >'"$work"'/reload.json
tp start heat; echo "start heat rc $?"
tp stop
wait_for "tp status | grep -q \"TP-SIM-0001: idle\""
tp start fresh; echo "start fresh rc $?"
tp stop
wait_for "tp status | grep -q \"TP-SIM-0001: idle\""
printf "[pad]\nwatchdog_ms = 99\n" >'"$work"'/broken.conf
cp "$config" '"$work"'/good.conf; cp '"$work"'/broken.conf "$config"
req "{\"v\":1,\"id\":5,\"cmd\":\"reload\"}" >'"$work"'/reload-bad.json
kill -HUP $daemon_pid
wait_for "grep -q \"previous configuration stays\" '"$work"'/daemon.log"
cp '"$work"'/good.conf "$config"
tp status | grep -q "^pad TP-SIM" && echo "still serving"'
check "profiles-show: the file's text and the expanded plan" \
	"grep -q '\"text\":\"# Contrast' '$work/show.json' && grep -q '\"steps\":\[{' '$work/show.json' && grep -q '\"kind\":\"cold\"' '$work/show.json'"
check "profiles-validate: a target past the hard limit is refused with the line" \
	"grep -q '\"code\":\"invalid-profile\"' '$work/invalid.json' && grep -q 'mine:5: \[phase.a\] target_c = 47 is outside' '$work/invalid.json'"
check "profiles-validate: a good text with an override gives the plan" \
	"grep -q '\"ok\":true' '$work/valid.json' && grep -q '\"duration_s\":420' '$work/valid.json'"
check "reload: a broken profile is reported and its previous version stays in use" \
	"grep -q 'previous version stays in use' '$work/reload.json' && grep -q 'start heat rc 0' '$work/out'"
check "reload: a new profile is there at once" "grep -q 'start fresh rc 0' '$work/out'"
check "reload: a broken configuration is refused (request and SIGHUP), the daemon goes on" \
	"grep -q '\"code\":\"invalid-config\"' '$work/reload-bad.json' && grep -q 'watchdog_ms' '$work/reload-bad.json' && grep -q 'still serving' '$work/out'"
unset profiles_dir
printf '[pad]\nwatchdog_ms = 5000\n[socket]\nidle_timeout_s = 1\nmax_output_bytes = 4096\n' >"$work/test.conf"

# --- sessions and retention -------------------------------------------------
rm -rf "$work/state"
mkdir -p "$work/state/sessions"
printf 'time_s\n1\n' >"$work/state/sessions/20200101-000000-OLD.csv"
printf '{"id":"20200101-000000-OLD"}\n' >"$work/state/sessions/20200101-000000-OLD.json"
touch -d '2020-01-01' "$work/state/sessions/20200101-000000-OLD.csv"
head -c 300000 /dev/zero | tr '\0' '1' >"$work/state/sessions/20250101-000000-BIG.csv"
printf '[pad]\nwatchdog_ms = 5000\n[log]\nretention_mb = 1\n' >"$work/retention.conf"
for i in 2 3 4; do cp "$work/state/sessions/20250101-000000-BIG.csv" "$work/state/sessions/2025010$i-000000-BIG.csv"; done
config=$work/retention.conf keep_state=1
scenario $S '
ls '"$work"'/state/sessions > '"$work"'/after-start.txt
tp start heat
wait_model 30
tp stop
wait_for "tp status | grep -q \"TP-SIM-0001: idle\""
req "{\"v\":1,\"id\":1,\"cmd\":\"sessions-list\"}" >'"$work"'/sessions.json
id=$(grep -o "\"id\":\"[0-9-]*TP-SIM-0001\"" '"$work"'/sessions.json | head -1 | cut -d\" -f4)
req "{\"v\":1,\"id\":2,\"cmd\":\"session-samples\",\"session\":\"$id\"}" >'"$work"'/samples.json
req "{\"v\":1,\"id\":3,\"cmd\":\"session-samples\",\"session\":\"$id\",\"offset\":10,\"limit\":5}" >'"$work"'/page.json
req "{\"v\":1,\"id\":4,\"cmd\":\"session-samples\",\"session\":\"../../etc/passwd\"}" >'"$work"'/escape.json
echo "csv lines $(grep -c "^[0-9]" '"$work"'/state/sessions/$id.csv)"'
config=$work/test.conf keep_state=0
check "retention: a session older than retention_days is removed at start-up" \
	"! grep -q OLD '$work/after-start.txt'"
check "retention: the oldest sessions go until the store fits retention_mb" \
	"! grep -q 20250101-000000-BIG '$work/after-start.txt' && grep -q 20250102-000000-BIG '$work/after-start.txt'"
check "sessions-list: the session with its profile, outcome, duration and sample count" \
	"grep -q '\"profile\":\"heat\"' '$work/sessions.json' && grep -q '\"outcome\":\"session .heat. ended: stopped' '$work/sessions.json' && grep -q '\"samples\":[1-9]' '$work/sessions.json'"
total=$(sed -n 's/.*"total":\([0-9]*\).*/\1/p' "$work/samples.json")
check "session-samples: every line of the CSV (${total:-none})" "grep -q \"csv lines ${total:-x}\$\" '$work/out'"
check "session-samples: a page (offset 10, limit 5)" \
	"[ \$(grep -o '\\],\\[' '$work/page.json' | wc -l) = 4 ] && grep -q '\"offset\":10' '$work/page.json'"
check "session-samples: a path is not a session id" "grep -q '\"code\":\"bad-request\"' '$work/escape.json'"

# --- clients: idle, never reading, outside the group ------------------------
chmod 755 "$work"
scenario $S '
tp start heat
t0=$(date +%s.%N)
sleep 600 | socat -t 1 - UNIX-CONNECT:$THERMOPAD_SOCKET >'"$work"'/idle.txt &
idle_pid=$!
wait_for "grep -q idle-timeout '"$work"'/idle.txt"
printf "{\"v\":1,\"id\":1,\"cmd\":\"subscribe\",\"rate_hz\":10}\n" > '"$work"'/sub.req
(cat '"$work"'/sub.req; exec sleep 600) | socat -u - UNIX-CONNECT:$THERMOPAD_SOCKET &
wait_for "grep -q \"does not read was dropped\" '"$work"'/daemon.log"
chmod 0666 $THERMOPAD_SOCKET
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" status; echo "nobody status rc $?"
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" stop; echo "nobody stop rc $?"
wait_model 10
tp status | grep -q "TP-SIM-0001: running" && echo "still running"
tp --json status | grep -o "\"late_p99_ms\":[0-9.]*"
pkill -P $$ sleep 2>/dev/null; true'
check "a client that asks nothing for idle_timeout_s is told and closed" "grep -q '\"code\":\"idle-timeout\"' '$work/idle.txt'"
check "a subscriber that never reads is dropped at max_output_bytes" "grep -q 'does not read was dropped' '$work/daemon.log'"
check "a user outside the group is refused (exit 4), the session goes on" \
	"grep -q 'nobody status rc 4' '$work/out' && grep -q 'nobody stop rc 4' '$work/out' && grep -q 'still running' '$work/out'"
printf '[pad]\nwatchdog_ms = 5000\n[socket]\nread_only_others = yes\n' >"$work/readonly.conf"
config=$work/readonly.conf
scenario $S '
chmod 0666 $THERMOPAD_SOCKET
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" status; echo "nobody status rc $?"
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" start heat; echo "nobody start rc $?"'
config=$work/test.conf
check "read_only_others: others may read status but not control" \
	"grep -q 'nobody status rc 0' '$work/out' && grep -q 'nobody start rc 4' '$work/out'"

# --- subscriptions keep their rate ---------------------------------------------
# Every line that is due arrives: at 10 Hz each report, at 2 Hz every fifth,
# counted over the model time the lines themselves carry.
# readers the machine schedules late must not meet the 4096-byte cap
printf '[pad]\nwatchdog_ms = 5000\n[socket]\nmax_output_bytes = 1048576\n' >"$work/rate.conf"
config=$work/rate.conf
scenario 4 '
tp start heat
for hz in 10 2; do
	(printf "{\"v\":1,\"id\":1,\"cmd\":\"subscribe\",\"rate_hz\":$hz}\n"; exec sleep 600) |
		socat - UNIX-CONNECT:$THERMOPAD_SOCKET >'"$work"'/sub$hz.txt &
done
wait_model 30
pkill -P $$ sleep 2>/dev/null; true'
config=$work/test.conf
rate_ok() { # file, rate: lines per model second within 5 %
	python3 - "$1" "$2" <<'PY'
import json, sys
t = [m["t"] for m in map(json.loads, open(sys.argv[1])) if m.get("event") == "telemetry"]
want = (t[-1] - t[0]) * float(sys.argv[2]) if len(t) > 1 else 0
got = len(t) - 1
ok = want >= 40 and 0.95 * want <= got <= 1.05 * want + 1
if not ok:
    print(f"#   {got} lines for {want:.0f} due at {sys.argv[2]} Hz")
sys.exit(0 if ok else 1)
PY
}
check "subscribe: 10 Hz gets every report, 2 Hz every fifth" \
	"rate_ok '$work/sub10.txt' 10 && rate_ok '$work/sub2.txt' 2"

# --- the socket where the configuration says, before systemd's directory ------
socket_path=$work/sockets/pad.sock
printf '[pad]\nwatchdog_ms = 5000\n[socket]\npath = %s\n' "$socket_path" >"$work/path.conf"
config=$work/path.conf
daemon_env="RUNTIME_DIRECTORY=$work/rt"
scenario $S '
tp status >/dev/null; echo "status at the configured path rc $?"
[ -e '"$work"'/rt/thermopad.sock ] && echo "socket in RUNTIME_DIRECTORY too"
kill -TERM $daemon_pid; wait $daemon_pid'
unset socket_path daemon_env
config=$work/test.conf
check "[socket] path: the daemon listens there (over RUNTIME_DIRECTORY), dirs made" \
	"grep -q 'status at the configured path rc 0' '$work/out' && ! grep -q 'socket in RUNTIME' '$work/out'"

# --- two pads, told apart by serial ------------------------------------------
# two pads are twice the USB traffic per second of wall time: half the scale
sim_args="--pads 2"
scenario $((S / 2)) '
wait_for "tp devices | grep -q \"^TP-SIM-0002  connected\" && tp devices | grep -q \"^TP-SIM-0001  connected\""
tp start heat 2>'"$work"'/ambiguous.txt; echo "start without pad rc $?"
tp start heat --pad TP-SIM-0002; echo "start pad 2 rc $?"
tp start cold --pad TP-SIM-0001; echo "start pad 1 rc $?"
wait_model 10
tp --json status >'"$work"'/two.json
sim fault usb:unplug TP-SIM-0002
wait_for "tp status | grep -q disconnected"
wait_model 5
tp --json status >'"$work"'/one-gone.json'
unset sim_args
check "two pads: a command that names none is refused and says how to name one" \
	"grep -q 'start without pad rc 1' '$work/out' && grep -q '2 pads are connected: name one with --pad SERIAL' '$work/ambiguous.txt'"
check "two pads: each runs its own session, by serial" \
	"grep -q 'start pad 2 rc 0' '$work/out' && grep -q 'start pad 1 rc 0' '$work/out' &&
	 python3 -c \"import json; p={x['serial']: x for x in json.load(open('$work/two.json'))['pads']}; exit(0 if p['TP-SIM-0001']['profile'] == 'cold' and p['TP-SIM-0002']['profile'] == 'heat' and p['TP-SIM-0001']['state'] == p['TP-SIM-0002']['state'] == 'running' else 1)\""
check "two pads: one unplugged faults alone; the other runs on" \
	"python3 -c \"import json; p={x['serial']: x for x in json.load(open('$work/one-gone.json'))['pads']}; exit(0 if p['TP-SIM-0002']['fault']['code'] == 'disconnected' and p['TP-SIM-0001']['state'] == 'running' and p['TP-SIM-0001']['fault'] is None else 1)\""

# --- systemd: READY, STATUS, the watchdog only while healthy ----------------
daemon_env="NOTIFY_SOCKET=$work/notify WATCHDOG_USEC=2000000"
# systemd's watchdog is wall time (a pet every 0.5 s here), the stall is
# judged in model time: at 40x the 60 model seconds of the stall are 1.5 s
# of wall time at least, three pets that must not come
scenario 40 '
socat -u UNIX-RECV:'"$work"'/notify OPEN:'"$work"'/notify.log,creat,append &
socat_pid=$!
wait_for "[ -S '"$work"'/notify ]"
kill -HUP $daemon_pid
wait_for "grep -q RELOADING=1 '"$work"'/notify.log"
tp start heat
wait_for "grep -q \"STATUS=TP-SIM-0001: running heat\" '"$work"'/notify.log"
wait_model 40
pets() { grep -o WATCHDOG=1 '"$work"'/notify.log | wc -l; }
echo "pets healthy $(pets)"
sim fault usb:stall=3600
wait_model 5
before=$(pets)
wait_model 60
echo "pets stalled $(( $(pets) - before ))"
kill -TERM $daemon_pid; wait $daemon_pid
kill $socat_pid'
unset daemon_env
check "sd_notify: STATUS says what the pad is doing" "grep -q 'STATUS=TP-SIM-0001: running heat, phase 1/1 heat, target 40.0 C' '$work/notify.log'"
check "sd_notify: RELOADING on SIGHUP, STOPPING at the end" "grep -q 'RELOADING=1' '$work/notify.log' && grep -q 'STOPPING=1' '$work/notify.log'"
check "the watchdog is petted while the loop and USB are healthy" \
	"awk '/^pets healthy/ { exit !(\$3 >= 2) }' '$work/out'"
check "and not while a pad on the bus stops reporting" "grep -q '^pets stalled 0\$' '$work/out'"

# --- the journal's fields, through a stand-in for journald ------------------
# journald's socket path is fixed: a private mount namespace puts a
# listening datagram socket there without touching the machine's /run.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	cat >"$work/journal-wrap.sh" <<WRAP
mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal || exit 1
socat -u UNIX-RECV:/run/systemd/journal/socket OPEN:$work/journal,creat,append &
socat_pid=\$!
for _ in \$(seq 1 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.02; done
"\$@"
rc=\$?
# the stand-in goes with the scenario, not left listening after the test
kill \$socat_pid; wait \$socat_pid
exit \$rc
WRAP
	: >"$work/daemon.log"
	daemon_env="JOURNAL_STREAM=\$(stat -c %d:%i $work/daemon.log)"
	scenario_wrap="unshare -m bash $work/journal-wrap.sh"
	scenario $S '
tp start heat
wait_model 30
sim fault sensor-b:offset=3
wait_for "tp status | grep -q FAULT"'
	unset daemon_env scenario_wrap
	check "the journal gets the fault with its fields (pad, session, fault, priority)" \
		"tr '\n' ' ' <'$work/journal' | grep -q 'MESSAGE=pad TP-SIM-0001 session [0-9]*-[0-9]*-TP-SIM-0001: sensor-disagree.* PRIORITY=2 SYSLOG_IDENTIFIER=thermopadd THERMOPAD_PAD=TP-SIM-0001 THERMOPAD_SESSION=[0-9-]*-TP-SIM-0001 THERMOPAD_EVENT=sensor-disagree THERMOPAD_FAULT=sensor-disagree'"
	check "and the arrival and the start, with the pad" \
		"grep -q 'THERMOPAD_EVENT=arrival' '$work/journal' && grep -q 'THERMOPAD_EVENT=start' '$work/journal'"
	check "nothing of it on stderr while the journal takes it" "! grep -q 'sensor-disagree' '$work/daemon.log'"
else
	ok "# SKIP the journal test needs root for a private mount namespace"
fi

echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
