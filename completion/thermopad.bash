# bash completion for thermopad(1)                           -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Profile names, pad serials and session ids are asked of the daemon
# (thermopad --json ...). When it cannot be reached, or answers nothing
# useful, those words are simply not offered: completion never prints.
# The JSON is taken apart with grep and sed only, so jq is not needed.

# Runs thermopad --json ARGS, with the socket the command line names (if
# any), discarding errors and giving up after a few seconds.
_thermopad_query()
{
    command -v thermopad >/dev/null 2>&1 || return 0
    local -a cmd=(thermopad)
    [[ -n ${_thermopad_socket-} ]] && cmd+=(--socket "$_thermopad_socket")
    cmd+=(--json "$@")
    if command -v timeout >/dev/null 2>&1; then
        timeout "${THERMOPAD_COMPLETION_TIMEOUT:-3}" "${cmd[@]}" 2>/dev/null </dev/null
    else
        "${cmd[@]}" 2>/dev/null </dev/null
    fi
    return 0
}

# The string values of "KEY": in JSON text on stdin, one per line.
_thermopad_json_values()
{
    grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" 2>/dev/null |
        sed -e 's/^.*:[[:space:]]*"//' -e 's/"$//' 2>/dev/null
    return 0
}

_thermopad_profiles()
{
    _thermopad_query profiles list | _thermopad_json_values name
}

_thermopad_serials()
{
    _thermopad_query devices | _thermopad_json_values serial
}

_thermopad_sessions()
{
    _thermopad_query log list | _thermopad_json_values id
}

# The phases of profile $1: from its text ([phase.NAME]) and, for a user's
# own profile (sent as text, answered with its plan only), from its steps.
_thermopad_phases()
{
    local out
    out=$(_thermopad_query profiles show "$1")
    [[ -n $out ]] || return 0
    {
        grep -o '\[phase\.[A-Za-z0-9_-]*\]' <<<"$out" 2>/dev/null | sed 's/^\[phase\.//; s/\]$//'
        sed -n 's/.*"steps"[[:space:]]*:[[:space:]]*\[//p' <<<"$out" 2>/dev/null | _thermopad_json_values name
    } | sort -u 2>/dev/null
    return 0
}

# COMPREPLY from a list of words (one per line or space-separated).
_thermopad_words()
{
    local IFS=$' \t\n'
    COMPREPLY=($(compgen -W "$1" -- "$cur" 2>/dev/null))
}

# COMPREPLY: directories, and files whose names match the glob $1.
_thermopad_files()
{
    local pattern=$1 f
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$cur" 2>/dev/null))
    for f in $(compgen -f -- "$cur" 2>/dev/null); do
        [[ -d $f ]] && continue
        # shellcheck disable=SC2053
        [[ $f == $pattern ]] && COMPREPLY+=("$f")
    done
}

_thermopad()
{
    local cur prev words cword
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        # keep KEY=VALUE in one word
        _get_comp_words_by_ref -n =: cur prev words cword 2>/dev/null
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
    fi
    COMPREPLY=()

    local commands="start stop pause resume skip extend status watch devices
        faults clear-faults tune profiles log doctor version"
    local global_opts="--socket --json --no-color --fahrenheit --celsius --help -h --version"

    # The global options come first; the command is the first other word.
    local i cmd= at=0 _thermopad_socket=${THERMOPAD_SOCKET-}
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --socket)
                ((i + 1 < cword)) && _thermopad_socket=${words[i + 1]}
                ((i++))
                ;;
            -*) ;;
            *)
                cmd=${words[i]}
                at=$i
                break
                ;;
        esac
    done

    # an option's argument
    case $prev in
        --socket)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur" 2>/dev/null))
            return 0
            ;;
        --pad)
            [[ -n $cmd ]] && _thermopad_words "$(_thermopad_serials)"
            return 0
            ;;
        --set)
            if [[ $cmd == start && -n ${words[at + 1]-} && $cur != *=* ]]; then
                local p keys="cycles= end= band_c= description="
                for p in $(_thermopad_phases "${words[at + 1]}"); do
                    keys+=" $p.kind= $p.target_c= $p.duration_min= $p.duration_s= $p.ramp_c_per_min="
                done
                _thermopad_words "$keys"
                compopt -o nospace 2>/dev/null
            fi
            return 0
            ;;
        --from)
            [[ $cmd == profiles ]] && _thermopad_words "$(_thermopad_profiles)"
            return 0
            ;;
        -o)
            # [[ == ]] matches @(...) whether or not extglob is set
            [[ $cmd == log ]] && _thermopad_files '*.@(png|svg)'
            return 0
            ;;
        extend)
            [[ $cmd == extend ]] && return 0 # MINUTES
            ;;
    esac

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            _thermopad_words "$global_opts"
        else
            _thermopad_words "$commands"
        fi
        return 0
    fi

    # n: which word after the command this is (1 = the first argument)
    local n=$((cword - at)) sub=${words[at + 1]-}
    case $cmd in
        start)
            if ((n == 1)); then
                _thermopad_words "$(_thermopad_profiles)"
            else
                _thermopad_words "--pad --set --json --help"
            fi
            ;;
        stop | pause | resume | skip | status | faults | clear-faults)
            _thermopad_words "--pad --json --help"
            ;;
        extend)
            ((n > 1)) && _thermopad_words "--pad --json --help"
            ;;
        tune)
            if ((n == 1)); then
                _thermopad_words "heat cool"
            else
                _thermopad_words "--pad --json --help"
            fi
            ;;
        watch)
            _thermopad_words "--until-idle --pad --json --help"
            ;;
        devices | version | doctor)
            _thermopad_words "--json --help"
            ;;
        profiles)
            if ((n == 1)); then
                _thermopad_words "list show validate edit new revert --help"
            elif ((n == 2)); then
                case $sub in
                    show | edit | revert) _thermopad_words "$(_thermopad_profiles)" ;;
                    new) ;; # a new NAME
                    validate) _thermopad_files '*.ini' ;;
                    list) _thermopad_words "--json --help" ;;
                esac
            elif [[ $sub == new ]]; then
                _thermopad_words "--from --json --help"
            else
                _thermopad_words "--json --help"
            fi
            ;;
        log)
            if ((n == 1)); then
                _thermopad_words "list show plot --help"
            elif ((n == 2)); then
                case $sub in
                    show | plot) _thermopad_words "latest $(_thermopad_sessions)" ;;
                    list) _thermopad_words "--pad --json --help" ;;
                esac
            else
                case $sub in
                    show) _thermopad_words "--csv --pad --json --help" ;;
                    plot) _thermopad_words "-o --pad --json --help" ;;
                    list) _thermopad_words "--pad --json --help" ;;
                esac
            fi
            ;;
    esac
    return 0
}

complete -F _thermopad thermopad

# ex: filetype=sh
