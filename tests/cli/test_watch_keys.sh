#!/usr/bin/env bash
# The full-screen watch as a person uses it, in a real terminal (tmux on
# the run's own server): the keys pause and resume, skip, extend, stop
# only after a confirmation, ? shows the keys; the time axis, the finish
# time, the phases shaded on the chart, and the bell at a phase change. About 15 s of wall time.
set -u
. tests/daemon/harness.sh
scenario $S '
J='"$work"'
state() { tp --json status | python3 -c "import json,sys; p=json.load(sys.stdin)[\"pads\"][0]; print(p[\"state\"], p.get(\"phase\", {}).get(\"step\"), round(p.get(\"phase\", {}).get(\"phase_left_s\", 0)))"; }
tp start contrast >/dev/null
tmux -f /dev/null new-session -d -s w -x 110 -y 36 "$top/$build/thermopad watch; sleep 600"
tmux set-option -t w bell-action any >/dev/null
wait_for "tmux capture-pane -p -t w | grep -q \"ends at\""
tmux send-keys -t w "?"
wait_for "tmux capture-pane -p -t w | grep -q \"keys: p pause\""
tmux capture-pane -p -t w >$J/help.txt
wait_for "tmux capture-pane -e -p -t w | grep -q \"48;5;52m\"" && echo "heat shaded"
tmux send-keys -t w p
wait_for "tp status | grep -q \"TP-SIM-0001: paused\"" && echo "key p: paused"
wait_for "tmux capture-pane -p -t w | grep -q \"paused\""
tmux send-keys -t w p
wait_for "tp status | grep -q \"TP-SIM-0001: running\"" && echo "key p again: running"
before=$(state | cut -d" " -f3)
tmux send-keys -t w e
wait_for "tmux capture-pane -p -t w | grep -q \"extend: done\"" && echo "key e: $before -> $(state | cut -d" " -f3)"
tmux send-keys -t w s
wait_for "[ \"\$(state | cut -d\" \" -f2)\" = 2 ]" && echo "key s: phase 2"
wait_for "tmux capture-pane -e -p -t w | grep -q \"48;5;17m\"" && echo "cold shaded"
tmux send-keys -t w x
wait_for "tmux capture-pane -p -t w | grep -q \"stop the session?\"" && echo "key x: asks"
tmux send-keys -t w n
wait_for "tmux capture-pane -p -t w | grep -q \"not stopped\"" && echo "key n: $(state | cut -d" " -f1)"
tmux send-keys -t w x
wait_for "tmux capture-pane -p -t w | grep -q \"stop the session?\""
tmux send-keys -t w y
wait_for "tp status | grep -q \"TP-SIM-0001: idle\"" && echo "key x y: idle"
wait_for "tmux capture-pane -p -t w | grep -q \"session ended\"" && echo "summary on screen"
tmux capture-pane -p -t w >$J/end.txt
tmux list-windows -t w -F "#{window_bell_flag}" >$J/bell.txt
tmux send-keys -t w q'
has() { grep -q -- "$2" "$work/$1"; }
check "? shows the keys; the screen has a time axis (min) and the finish time" \
	"has help.txt 'keys: p pause/resume' && has help.txt ' min\$' && has help.txt 'ends at [0-9][0-9]:[0-9][0-9]'"
check "p pauses, p again resumes" "has out 'key p: paused' && has out 'key p again: running'"
check "s skips to the next phase" "has out 'key s: phase 2'"
check "e asks the daemon to extend the phase, which accepts (extend: done on screen)" "has out 'key e: '"
check "x asks first: n keeps the session, y stops it" \
	"has out 'key x: asks' && has out 'key n: running' && has out 'key x y: idle'"
check "the session's summary stays on screen when it ends" "has end.txt 'session ended: '"
check "the chart shades the phases: heat, then cold after the skip" "has out 'heat shaded' && has out 'cold shaded'"
check "the bell rang (a phase change, the end)" "grep -q 1 '$work/bell.txt'"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
