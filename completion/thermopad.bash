# bash completion for thermopad(1). Profile names and pad serials come from
# the daemon; when it cannot be reached, nothing is offered for them.

_thermopad_names() { # the values of "key": in the daemon's JSON answer
	local key=$1
	shift
	thermopad --json "$@" 2>/dev/null | grep -o "\"$key\":\"[^\"]*\"" | cut -d'"' -f4
}

_thermopad() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	local commands="start stop pause resume skip extend status watch devices faults clear-faults tune profiles log version"

	# the command is the first word after the global options
	local i cmd= cmd_at=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--socket) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]} cmd_at=$i; break ;;
		esac
	done

	case $prev in
	--socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--pad) COMPREPLY=($(compgen -W "$(_thermopad_names serial devices)" -- "$cur")); return ;;
	--set) return ;;
	-o) COMPREPLY=($(compgen -f -X '!*.@(png|svg)' -- "$cur") $(compgen -d -- "$cur")); return ;;
	esac

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands --socket --json --no-color --help" -- "$cur"))
		return
	fi
	local sub=${words[cmd_at + 1]} nargs=$((cword - cmd_at))
	case $cmd in
	start)
		if ((nargs == 1)); then
			COMPREPLY=($(compgen -W "$(_thermopad_names name profiles list)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--pad --set --help" -- "$cur"))
		fi ;;
	stop | pause | resume | skip | status | clear-faults)
		COMPREPLY=($(compgen -W "--pad --json --help" -- "$cur")) ;;
	extend) ((nargs > 1)) && COMPREPLY=($(compgen -W "--pad --help" -- "$cur")) ;;
	tune)
		if ((nargs == 1)); then
			COMPREPLY=($(compgen -W "heat cool" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--pad --help" -- "$cur"))
		fi ;;
	watch) COMPREPLY=($(compgen -W "--until-idle --json --help" -- "$cur")) ;;
	profiles)
		if ((nargs == 1)); then
			COMPREPLY=($(compgen -W "list show validate edit --help" -- "$cur"))
		elif ((nargs == 2)); then
			case $sub in
			show | edit) COMPREPLY=($(compgen -W "$(_thermopad_names name profiles list)" -- "$cur")) ;;
			validate) COMPREPLY=($(compgen -f -X '!*.ini' -- "$cur") $(compgen -d -- "$cur")) ;;
			esac
		fi ;;
	log)
		if ((nargs == 1)); then
			COMPREPLY=($(compgen -W "list show plot --help" -- "$cur"))
		elif ((nargs == 2)) && [[ $sub == show || $sub == plot ]]; then
			COMPREPLY=($(compgen -W "latest $(_thermopad_names id log list)" -- "$cur"))
		elif ((nargs == 3)); then
			[[ $sub == show ]] && COMPREPLY=($(compgen -W "--csv" -- "$cur"))
			[[ $sub == plot ]] && COMPREPLY=($(compgen -W "-o" -- "$cur"))
		fi ;;
	*) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
	esac
}
complete -F _thermopad thermopad
