# fish completion for thermopad(1)
# SPDX-License-Identifier: MIT
#
# As the bash completion: profile names, pad serials and session ids are
# asked of the daemon (thermopad --json ...); when it cannot be reached
# they are simply not offered, and nothing is printed.

# The words after the global options (the command first), without the
# token being completed
function __thermopad_words
    set -l tokens (commandline -opc)
    set -e tokens[1]
    while set -q tokens[1]
        switch $tokens[1]
            case --socket
                set -e tokens[1]
                set -q tokens[1]; and set -e tokens[1]
            case '-*'
                set -e tokens[1]
            case '*'
                break
        end
    end
    set -q tokens[1]; and printf '%s\n' $tokens
end

# The positional words after the command (the options that take a value
# and their values left out)
function __thermopad_args
    set -l words (__thermopad_words)
    set -e words[1]
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case --pad --set --from -o
                set skip 1
            case '-*'
            case '*'
                printf '%s\n' $w
        end
    end
end

function __thermopad_needs_command
    test (count (__thermopad_words)) -eq 0
end

# __thermopad_at CMD N [SUB]: completing the N-th argument of CMD (whose
# first argument is SUB, when given)
function __thermopad_at
    set -l words (__thermopad_words)
    test "$words[1]" = $argv[1]; or return 1
    set -l args (__thermopad_args)
    test (count $args) -eq (math $argv[2] - 1); or return 1
    test (count $argv) -lt 3; or test "$args[1]" = $argv[3]
end

function __thermopad_using
    set -l words (__thermopad_words)
    contains -- "$words[1]" $argv
end

function __thermopad_query
    set -l cmd thermopad
    command -q thermopad; or return 0
    set -l tokens (commandline -opc)
    set -l i (contains -i -- --socket $tokens)
    if test -n "$i"; and set -q tokens[(math $i + 1)]
        set cmd $cmd --socket $tokens[(math $i + 1)]
    end
    if command -q timeout
        timeout 3 $cmd --json $argv 2>/dev/null </dev/null
    else
        $cmd --json $argv 2>/dev/null </dev/null
    end
    return 0
end

# The string values of "KEY" in the JSON on stdin (a builtin in a
# function does not read the function's input: read takes it first)
function __thermopad_values
    read -z -l text
    string match -r -a -g -- '"'$argv[1]'"\s*:\s*"([^"]*)"' $text
end

complete -c thermopad -f
complete -c thermopad -n __thermopad_needs_command -l socket -r -F -d "the daemon's socket"
complete -c thermopad -l json -d 'output JSON'
complete -c thermopad -n __thermopad_needs_command -l no-color -d 'no colour'
complete -c thermopad -l fahrenheit -d 'show temperatures in Fahrenheit'
complete -c thermopad -l celsius -d 'show temperatures in Celsius'
complete -c thermopad -s h -l help -d 'the usage'
complete -c thermopad -n __thermopad_needs_command -l version -d 'the version'

complete -c thermopad -n __thermopad_needs_command -a start -d 'start a session with a profile'
complete -c thermopad -n __thermopad_needs_command -a stop -d 'end the session (the drive ramps to zero)'
complete -c thermopad -n __thermopad_needs_command -a pause -d 'drive zero, the clock held'
complete -c thermopad -n __thermopad_needs_command -a resume -d 'continue a paused session'
complete -c thermopad -n __thermopad_needs_command -a skip -d 'go on to the next phase'
complete -c thermopad -n __thermopad_needs_command -a extend -d 'lengthen the current phase'
complete -c thermopad -n __thermopad_needs_command -a status -d 'the pad, phase, temperatures, faults'
complete -c thermopad -n __thermopad_needs_command -a watch -d 'a live view of the session'
complete -c thermopad -n __thermopad_needs_command -a devices -d 'the pads the daemon sees'
complete -c thermopad -n __thermopad_needs_command -a faults -d 'the latched faults'
complete -c thermopad -n __thermopad_needs_command -a clear-faults -d 'clear faults once their cause is gone'
complete -c thermopad -n __thermopad_needs_command -a tune -d 'autotune the controller'
complete -c thermopad -n __thermopad_needs_command -a profiles -d 'list, show, validate, edit, new, revert'
complete -c thermopad -n __thermopad_needs_command -a log -d 'the stored sessions'
complete -c thermopad -n __thermopad_needs_command -a doctor -d 'check what using the pad needs'
complete -c thermopad -n __thermopad_needs_command -a version -d 'the versions'

# the pad, on every command that acts on one
complete -c thermopad -n '__thermopad_using start stop pause resume skip extend status watch faults clear-faults tune log' \
    -l pad -x -a '(__thermopad_query devices | __thermopad_values serial)' -d 'the pad'
complete -c thermopad -n '__thermopad_at start 1' -a '(__thermopad_query profiles list | __thermopad_values name)'
complete -c thermopad -n '__thermopad_using start' -l set -x -d 'override a value (KEY=VALUE)'
complete -c thermopad -n '__thermopad_at tune 1' -a 'heat cool'
complete -c thermopad -n '__thermopad_using watch' -l until-idle -d 'return when the session ends'

complete -c thermopad -n '__thermopad_at profiles 1' -a 'list show validate edit new revert'
complete -c thermopad -n '__thermopad_at profiles 2 show; or __thermopad_at profiles 2 edit; or __thermopad_at profiles 2 revert' \
    -a '(__thermopad_query profiles list | __thermopad_values name)'
complete -c thermopad -n '__thermopad_at profiles 2 validate' -F -a '(__fish_complete_suffix .ini)'
complete -c thermopad -n '__thermopad_using profiles; and contains -- new (__thermopad_args)' \
    -l from -x -a '(__thermopad_query profiles list | __thermopad_values name)' -d 'copy this profile'

complete -c thermopad -n '__thermopad_at log 1' -a 'list show plot'
complete -c thermopad -n '__thermopad_at log 2 show; or __thermopad_at log 2 plot' \
    -a '(echo latest; __thermopad_query log list | __thermopad_values id)'
complete -c thermopad -n '__thermopad_using log; and contains -- show (__thermopad_args)' -l csv -d 'as CSV'
complete -c thermopad -n '__thermopad_using log; and contains -- plot (__thermopad_args)' \
    -s o -r -F -a '(__fish_complete_suffix .png; __fish_complete_suffix .svg)' -d 'an image'
