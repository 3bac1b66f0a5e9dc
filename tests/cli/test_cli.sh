#!/usr/bin/env bash
# thermopad, every command against the daemon under thermopad-sim: --json
# output parsed (python3's json) and checked against the daemon's state,
# the watch screen driven in tmux, and the error paths a person meets.
set -u
. tests/daemon/harness.sh
chmod 755 "$work"
# jq-like checks: py 'expression over j' < file.json
cat >"$work/py.sh" <<'PY'
py() { python3 -c "import json,sys; j=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
PY

mkdir -p "$work/xdg/thermopad/profiles"
printf '[profile]\ndescription = mine\n[phase.w]\nkind = heat\ntarget_c = 38\nduration_min = 2\n' >"$work/good.ini"
printf '[profile]\ndescription = bad\n[phase.w]\nkind = heat\ntarget_c = 55\nduration_min = 2\n' >"$work/bad.ini"
printf '#!/bin/sh\nsed -i "s/^target_c = 40/target_c = 39/" "$1"\n' >"$work/editor-good.sh"
printf '#!/bin/sh\nsed -i "s/^target_c = 40/target_c = 60/" "$1"\n' >"$work/editor-bad.sh"
chmod +x "$work"/editor-*.sh
scenario $S '
. '"$work"'/py.sh
J='"$work"'
export XDG_CONFIG_HOME=$J/xdg
r() { echo "$1 rc $2"; }
tp --json version >$J/version.json; r version $?
# completion asks the daemon within 3 s of wall time (a person waits no
# longer at a tab); a loaded machine under the sanitizers may need more
complete_words() { THERMOPAD_COMPLETION_TIMEOUT=120 PATH=$top/$build:$PATH bash -c ". $top/completion/thermopad.bash; COMP_WORDS=($1); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _thermopad; echo \"\${COMPREPLY[*]}\""; }
echo "complete start: $(complete_words "thermopad start \"\"")"
echo "complete tune: $(complete_words "thermopad tune \"\"")"
echo "complete pad: $(complete_words "thermopad stop --pad \"\"")"
echo "complete down: $(THERMOPAD_SOCKET=$J/nowhere complete_words "thermopad start \"\"" 2>&1)"
fish_words() { PATH=$top/$build:$PATH fish --no-config -c "source $top/completion/thermopad.fish; complete -C '"'"'$1'"'"'" 2>&1 | cut -f1 | tr "\n" " "; }
# zsh: its helpers, with compadd printing what it is given (the last line
# of the file, the call into the completion system, left out)
zsh_words() { PATH=$top/$build:$PATH zsh -f -c "compadd() { print -rn -- \"\${(P)\${@[-1]}} \" }; source <(sed \"\\\$d\" $top/completion/_thermopad); $1" 2>&1; }
echo "fish start: $(fish_words "thermopad start ")" >>$J/shells.txt
echo "fish pad: $(fish_words "thermopad stop --pad ")" >>$J/shells.txt
echo "zsh profiles: $(zsh_words _thermopad_profiles)" >>$J/shells.txt
echo "zsh pads: $(zsh_words _thermopad_serials)" >>$J/shells.txt
echo "zsh down: $(THERMOPAD_SOCKET=$J/nowhere zsh_words _thermopad_profiles)" >>$J/shells.txt
tp --json start contrast >$J/start.json; r start $?
tp --json status >$J/s1.json
tp pause; tp --json status >$J/paused.json
tp resume; tp skip; wait_model 1; tp --json status >$J/skipped.json
tp pause; tp --json status >$J/before-extend.json # the phase clock held: the extension is all the difference
tp extend 2; tp --json status >$J/extended.json; tp resume
tp --json devices >$J/devices.json
tp --json faults >$J/nofaults.json
tp --json profiles list >$J/profiles.json
tp --json profiles show contrast >$J/show.json
tp profiles validate $J/good.ini >$J/valid.txt; r validate-good $?
tp profiles validate $J/bad.ini 2>$J/invalid.txt; r validate-bad $?
EDITOR=$J/editor-bad.sh tp profiles edit heat </dev/null 2>$J/edit-bad.txt; r edit-bad $?
rm -f $XDG_CONFIG_HOME/thermopad/profiles/heat.ini
EDITOR=$J/editor-good.sh tp profiles edit heat </dev/null >$J/edit-good.txt; r edit-good $?
tp start nosuch 2>$J/unknown.txt; r unknown-profile $?
tp start heat --set warm.target_c=60 2>$J/override.txt; r bad-override $?
tp start heat --pad NOSUCH 2>$J/nopad.txt; r no-such-pad $?
tp start 2>/dev/null; r start-usage $?
tp frobnicate 2>/dev/null; r unknown-command $?
tp extend lots 2>/dev/null; r extend-usage $?
tp tune --help >$J/help.txt; r help $?
tp stop
wait_for "tp status | grep -q \"TP-SIM-0001: idle\""
tp --json log list >$J/sessions.json
tp log show latest --csv >$J/session.csv; r log-show $?
tp --json log show latest >$J/session.json
tp log plot latest -o $J/chart.png >$J/plot.txt; r plot-png $?
tp log plot latest -o $J/chart.svg >/dev/null; r plot-svg $?
sim fault sensor-b:offset=3
tp start heat; wait_for "tp status | grep -q FAULT"
tmux -f /dev/null new-session -d -s tpcolor -x 100 -y 20 "$top/$build/thermopad status; sleep 600"
tmux -f /dev/null new-session -d -s tpnocolor -x 100 -y 20 "NO_COLOR=1 $top/$build/thermopad status; sleep 600"
wait_for "tmux capture-pane -p -t tpcolor | grep -q FAULT && tmux capture-pane -p -t tpnocolor | grep -q FAULT"
tmux capture-pane -e -p -t tpcolor >$J/color.txt
tmux capture-pane -e -p -t tpnocolor >$J/nocolor.txt
tmux kill-server
tp --json faults >$J/faults.json
tp start heat 2>/dev/null; r start-while-fault $?
tp clear-faults 2>$J/clear.txt; r clear-while-cause $?
THERMOPAD_SOCKET=$J/nowhere.sock tp status 2>$J/down.txt; r daemon-down $?
chmod 0666 $THERMOPAD_SOCKET
setpriv --reuid=65534 --regid=65534 --clear-groups "$top/$build/thermopad" stop 2>$J/nobody.txt; r nobody $?
'
rc() { grep -q "^$1 rc $2\$" "$work/out"; }
py() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$work/$1" 2>/dev/null; }
check "version --json: the daemon's API and protocol" "py version.json 'j[\"daemon\"][\"api\"] == 1 and j[\"daemon\"][\"protocol\"] >= 1'"
check "start --json, then status --json: running contrast, phase 1 of 8" \
	"rc start 0 && py s1.json 'j[\"pads\"][0][\"state\"] == \"running\" and j[\"pads\"][0][\"profile\"] == \"contrast\" and j[\"pads\"][0][\"phase\"][\"steps\"] == 8 and j[\"pads\"][0][\"phase\"][\"step\"] == 1'"
check "pause: the daemon says paused, drive zero" "py paused.json 'j[\"pads\"][0][\"state\"] == \"paused\" and j[\"pads\"][0][\"drive\"] == 0'"
check "resume + skip: running again, in phase 2 (cold)" "py skipped.json 'j[\"pads\"][0][\"state\"] == \"running\" and j[\"pads\"][0][\"phase\"][\"step\"] == 2 and j[\"pads\"][0][\"phase\"][\"kind\"] == \"cold\"'"
check "extend 2: two more minutes in the phase" \
	"python3 -c \"import json; a=json.load(open('$work/before-extend.json'))['pads'][0]['phase']; b=json.load(open('$work/extended.json'))['pads'][0]['phase']; exit(0 if 119.5 < b['phase_left_s'] - a['phase_left_s'] <= 120.5 else 1)\""
check "devices --json: the pad by serial, connected" "py devices.json 'j[\"pads\"][0][\"serial\"] == \"TP-SIM-0001\" and j[\"pads\"][0][\"present\"]'"
check "faults --json: none while healthy" "py nofaults.json 'j == {\"faults\": []}'"
check "profiles list --json: the five built-ins" \
	"py profiles.json 'set(p[\"name\"] for p in j[\"profiles\"]) >= {\"heat\", \"cold\", \"contrast\", \"warmup\", \"intermittent-cold\"}'"
check "profiles show --json: the text and the eight steps" "py show.json 'len(j[\"profile\"][\"plan\"][\"steps\"]) == 8 and \"[profile]\" in j[\"profile\"][\"text\"]'"
check "bash completion: profile names from the daemon, tune directions, pad serials" \
	"grep -q '^complete start: .*contrast' '$work/out' && grep -q '^complete tune: heat cool\$' '$work/out' && grep -q '^complete pad: TP-SIM-0001\$' '$work/out'"
check "bash completion: silent when the daemon is down" "grep -q '^complete down: \$' '$work/out'"
check "fish and zsh completion: profile names and pad serials from the daemon; zsh silent when it is down" \
	"grep -q '^fish start: .*contrast' '$work/shells.txt' && grep -q '^fish pad: TP-SIM-0001 \$' '$work/shells.txt' && grep -q '^zsh profiles: .*contrast' '$work/shells.txt' && grep -q '^zsh pads: TP-SIM-0001 \$' '$work/shells.txt' && grep -q '^zsh down:  *\$' '$work/shells.txt'"
check "profiles validate: a good file is valid, with its plan" "rc validate-good 0 && grep -q 'good.ini: valid' '$work/valid.txt'"
check "profiles validate: a bad file gives FILE:LINE and the limit (exit 1)" \
	"rc validate-bad 1 && grep -q '$work/bad.ini:5: \[phase.w\] target_c = 55 is outside the safety envelope' '$work/invalid.txt'"
check "profiles edit: a bad edit is named with the user's file and line (exit 1)" \
	"rc edit-bad 1 && grep -q '$work/xdg/thermopad/profiles/heat.ini:[0-9]*: .*target_c = 60' '$work/edit-bad.txt'"
check "profiles edit: a good edit is saved in the user's directory" \
	"rc edit-good 0 && grep -q '^target_c = 39' '$work/xdg/thermopad/profiles/heat.ini'"
check "error: unknown profile (exit 1, says where to look)" "rc unknown-profile 1 && grep -q 'profiles list' '$work/unknown.txt'"
check "error: an override past the limit (exit 1, names it)" "rc bad-override 1 && grep -q 'target_c = 60' '$work/override.txt'"
check "error: a pad that is not there (exit 1)" "rc no-such-pad 1 && grep -q 'no pad with serial NOSUCH' '$work/nopad.txt'"
check "usage errors exit 2" "rc start-usage 2 && rc unknown-command 2 && rc extend-usage 2"
check "--help on a command" "rc help 0 && grep -q 'usage: thermopad tune heat|cool' '$work/help.txt'"
check "log list --json: the session, stopped, with its samples" \
	"py sessions.json 'j[\"sessions\"][0][\"profile\"] == \"contrast\" and \"stopped\" in j[\"sessions\"][0][\"outcome\"] and j[\"sessions\"][0][\"samples\"] > 10'"
check "log show --csv: every sample the daemon counted" \
	"[ \$(grep -c '^[0-9]' '$work/session.csv') = \$(python3 -c \"import json; print(json.load(open('$work/sessions.json'))['sessions'][0]['samples'])\") ]"
check "log show --json: columns and samples" "py session.json 'j[\"columns\"][0] == \"time_s\" and len(j[\"samples\"]) > 10'"
check "log plot: a PNG by gnuplot, and a chart in the terminal" \
	"rc plot-png 0 && [ \"\$(head -c 4 '$work/chart.png' | tail -c 3)\" = PNG ] && grep -q '⠀' '$work/plot.txt'"
check "log plot: an SVG" "rc plot-svg 0 && grep -q '<svg' '$work/chart.svg'"
check "colour on a terminal; none with NO_COLOR" "grep -q \$'\\033\\[[0-9;]*31mFAULT' '$work/color.txt' && grep -q FAULT '$work/nocolor.txt' && ! grep -q \$'\\033\\[[0-9;]*31m' '$work/nocolor.txt'"
check "faults --json: the check, the sensor values and the limit" \
	"py faults.json 'j[\"faults\"][0][\"fault\"][\"code\"] == \"sensor-disagree\" and \"limit\" in j[\"faults\"][0][\"fault\"][\"message\"]'"
check "error: fault active (exit 5)" "rc start-while-fault 5"
check "error: clearing while the cause is present is refused with the cause" "rc clear-while-cause 1 && grep -q 'sensor' '$work/clear.txt'"
check "error: daemon down (exit 3) names the socket and the service" \
	"rc daemon-down 3 && grep -q 'nowhere.sock' '$work/down.txt' && grep -q 'systemctl status thermopadd' '$work/down.txt'"
check "error: not permitted (exit 4) says how to join the group" "rc nobody 4 && grep -q 'usermod -aG thermopad' '$work/nobody.txt'"

# --- the watch screen, in tmux ----------------------------------------------
scenario $S '
tp start contrast >/dev/null
tmux -f /dev/null new-session -d -s tpwatch -x 110 -y 34 "$top/$build/thermopad watch"
wait_model 40
wait_for "tmux capture-pane -p -t tpwatch | grep -q \"time left\""
tmux capture-pane -p -t tpwatch >'"$work"'/screen.txt
tp --json status >'"$work"'/at-screen.json
tmux send-keys -t tpwatch q
wait_for "! tmux has-session -t tpwatch 2>/dev/null" && echo "watch quit on q"
tmux -f /dev/null new-session -d -s tpwatch2 -x 110 -y 34 "$top/$build/thermopad watch"
wait_for "tmux capture-pane -p -t tpwatch2 | grep -q \"time left\""
tmux send-keys -t tpwatch2 C-c
wait_for "! tmux has-session -t tpwatch2 2>/dev/null" && echo "watch quit on Ctrl-C"
# three lines, however long a loaded machine takes to print them (the
# simulator ignores SIGPIPE, and so do the programs it starts: a pipe to
# head would not end the watch)
"$top/$build/thermopad" watch >'"$work"'/lines.txt 2>&1 &
watch_pid=$!
wait_for "[ \$(grep -c \"^TP-SIM-0001 running\" '"$work"'/lines.txt) -ge 3 ]"
kill $watch_pid; wait $watch_pid; true'
check "watch: the chart is on screen (braille dots), with its legend" \
	"python3 -c \"import sys; t=open('$work/screen.txt').read(); sys.exit(0 if sum(0x2801 <= ord(ch) <= 0x28FF for ch in t) > 30 else 1)\" && grep -q -- '-- target' '$work/screen.txt'"
check "watch: the phase and the timeline with the position" \
	"grep -q 'phase 1/8 hot (heat), cycle 1/4' '$work/screen.txt' && grep -q '^timeline  |HHH' '$work/screen.txt' && grep -q '^ *\\^' '$work/screen.txt'"
check "watch: the numbers (plate, sink, drive, time left)" \
	"grep -q 'plate [0-9.]* C / [0-9.]* C   heat sink' '$work/screen.txt' && grep -q 'time left: [0-9:]* in this phase' '$work/screen.txt'"
check "watch: quits on q and on Ctrl-C" "grep -q 'watch quit on q' '$work/out' && grep -q 'watch quit on Ctrl-C' '$work/out'"
check "watch: one line a second when not on a terminal" \
	"[ \$(grep -c '^TP-SIM-0001 running' '$work/lines.txt') -ge 3 ] && ! grep -q \$'\\033' '$work/lines.txt'"

echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
