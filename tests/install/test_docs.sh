#!/usr/bin/env bash
# The man pages and the completion: groff reads every page without a
# warning, every command and every configuration key is documented, and
# the completion script is valid bash.
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
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
