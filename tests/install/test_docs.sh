#!/usr/bin/env bash
# The man pages and the completions: groff reads every page without a
# warning, every command and every configuration key is documented, the
# bash, zsh and fish completions are valid in their shells and offer every
# command, and fish completes the fixed words (commands, tune's
# directions, the subcommands, an option of a subcommand).
set -u
if [ "${TP_SAN:-0}" = 1 ]; then
	echo "ok 1 - # SKIP the documents are checked in the plain pass"
	exit 0
fi
build=${TP_BUILD:-build}
n=0 failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; fi; }
for page in man/thermopad.1 man/thermopad-sim.1 man/thermopadd.8 man/thermopad.conf.5 man/thermopad-profile.5; do
	check "$page: groff reads it without a warning" "[ -f $page ] && [ -z \"\$(groff -man -ww -z $page 2>&1)\" ]"
done
missing=
page=$(sed 's/\\-/-/g' man/thermopad.1) # roff writes a hyphen as \-
for cmd in $("$build/thermopad" --help | sed -n 's/^  \([a-z-]*\) .*/\1/p'); do
	grep -q "^\.B[IR]* \"*$cmd\b" <<<"$page" || missing="$missing $cmd"
done
check "every command of thermopad --help is in thermopad(1)${missing:+ (missing:$missing)}" "[ -z '$missing' ]"
missing=
for key in $(grep -o '^#\?[a-z_]* =' etc/thermopad.conf | tr -d '#= ' | sort -u); do
	sed 's/\\-/-/g' man/thermopad.conf.5 | grep -q "$key" || missing="$missing $key"
done
check "every key of the shipped thermopad.conf is in thermopad.conf(5)${missing:+ (missing:$missing)}" "[ -z '$missing' ]"
missing=
for key in description cycles end band_c kind target_c duration_min duration_s ramp_c_per_min; do
	grep -q "$key" man/thermopad-profile.5 || missing="$missing $key"
done
check "every profile key is in thermopad-profile(5)${missing:+ (missing:$missing)}" "[ -z '$missing' ]"
check "the bash completion is valid bash" "bash -n completion/thermopad.bash"
commands=$("$build/thermopad" --help | sed -n 's/^  \([a-z-]*\) .*/\1/p')
for shell in zsh fish; do
	if ! command -v $shell >/dev/null; then
		n=$((n + 1))
		echo "ok $n - # SKIP $shell is not installed (scripts/deps.sh installs it)"
		continue
	fi
	file=completion/_thermopad
	[ $shell = fish ] && file=completion/thermopad.fish
	check "the $shell completion is valid $shell" "$shell -n $file"
done
missing=
for cmd in $commands; do
	for file in completion/thermopad.bash completion/_thermopad completion/thermopad.fish; do
		grep -q -- "\b$cmd\b" $file || missing="$missing $cmd($file)"
	done
done
check "every command of thermopad --help is in the three completions${missing:+ (missing:$missing)}" "[ -z '$missing' ]"
if command -v fish >/dev/null; then
	fish_complete() { # words -> the candidates, one line, no daemon asked
		PATH=$build:$PATH THERMOPAD_SOCKET=/nonexistent/socket fish --no-config -c \
			"source completion/thermopad.fish; complete -C '$1'" 2>&1 | cut -f1 | tr '\n' ' '
	}
	words=$(fish_complete 'thermopad ')
	missing=
	for cmd in $commands; do grep -qw -- "$cmd" <<<"$words" || missing="$missing $cmd"; done
	check "fish: the commands${missing:+ (missing:$missing)}" "[ -z '$missing' ]"
	check "fish: tune heat|cool" "[ \"\$(fish_complete 'thermopad tune ')\" = 'cool heat ' ]"
	check "fish: the subcommands of profiles, and --from after new" \
		"[ \"\$(fish_complete 'thermopad profiles ')\" = 'edit list new revert show validate ' ] && grep -q -- '--from' <<<\"\$(fish_complete 'thermopad profiles new mine --')\""
	check "fish: --csv after log show only" \
		"grep -q -- '--csv' <<<\"\$(fish_complete 'thermopad log show --')\" && ! grep -q -- '--csv' <<<\"\$(fish_complete 'thermopad log plot --')\""
fi
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
