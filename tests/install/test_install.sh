#!/usr/bin/env bash
# make install into a private DESTDIR: the tree it makes, an installed
# simulator that finds its shim, and an uninstall that leaves nothing.
set -u
if [ "${TP_SAN:-0}" = 1 ]; then
	echo "ok 1 - # SKIP install is checked in the plain pass"
	exit 0
fi
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
n=0 failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; fi; }
make --no-print-directory -s install DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
p=$dest/usr/local
check "programs installed" "[ -x $p/bin/thermopad-sim ]"
check "the simulator's shim installed beside them" "[ -f $p/lib/thermopad/libthermopad-simpoll.so ]"
check "the five built-in profiles" "[ \$(ls $p/share/thermopad/profiles/*.ini | wc -l) = 5 ]"
check "the default configuration" "cmp -s etc/thermopad.conf $p/etc/thermopad/thermopad.conf"
echo "# an administrator's edit" >>"$p/etc/thermopad/thermopad.conf"
make --no-print-directory -s install DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
check "a second install keeps an edited configuration" "grep -q \"administrator's edit\" $p/etc/thermopad/thermopad.conf"
check "the installed simulator finds its shim and runs a program" \
	"env -u TP_SIMPOLL_LIB $p/bin/thermopad-sim -- true"
make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
check "uninstall removes what install added, keeps the edited configuration" \
	"[ \"\$(find $dest -type f)\" = $p/etc/thermopad/thermopad.conf ]"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
