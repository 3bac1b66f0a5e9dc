#!/usr/bin/env bash
# make install into a private DESTDIR: the tree it makes matches the
# manifest kept beside this test, the installed simulator finds its shim,
# an edited configuration survives, and uninstall leaves nothing else.
set -u
if [ "${TP_SAN:-0}" = 1 ]; then
	echo "ok 1 - # SKIP install is checked in the plain pass"
	exit 0
fi
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
n=0 failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; fi; }
prefix=/usr/local
make --no-print-directory -s install DESTDIR="$dest" PREFIX=$prefix >/dev/null 2>&1
eval "$(make --no-print-directory -s install-paths PREFIX=$prefix)"
installed() { # the tree, with this machine's udev and systemd directories as names
	(cd "$dest" && find . -type f -o -type l) | sed -e 's|^\.||' \
		-e "s|^$UDEVRULESDIR/|@UDEVRULESDIR@/|" -e "s|^$SYSTEMDUNITDIR/|@SYSTEMDUNITDIR@/|" \
		-e "s|^$SYSUSERSDIR/|@SYSUSERSDIR@/|" -e "s|^$TMPFILESDIR/|@TMPFILESDIR@/|" \
		-e "s|^$COMPLETIONDIR/|@COMPLETIONDIR@/|" -e "s|^$prefix/|@PREFIX@/|" | LC_ALL=C sort
}
manifest=tests/install/manifest
check "the installed tree is the manifest ($(wc -l <$manifest) files)" \
	"diff -u $manifest <(installed) >&2"
p=$dest$prefix
check "programs are executable" "[ -x $p/bin/thermopad ] && [ -x $p/bin/thermopadd ] && [ -x $p/bin/thermopad-sim ]"
check "the default configuration is the commented one" "cmp -s etc/thermopad.conf $p/etc/thermopad/thermopad.conf"
check "the unit runs the installed daemon with the installed configuration" \
	"grep -qx 'ExecStart=$prefix/bin/thermopadd --config $prefix/etc/thermopad/thermopad.conf' $dest$SYSTEMDUNITDIR/thermopadd.service"
echo "# an administrator's edit" >>"$p/etc/thermopad/thermopad.conf"
make --no-print-directory -s install DESTDIR="$dest" PREFIX=$prefix >/dev/null 2>&1
check "a second install keeps an edited configuration" "grep -q \"administrator's edit\" $p/etc/thermopad/thermopad.conf"
check "the installed simulator finds its shim and runs a program" \
	"env -u TP_SIMPOLL_LIB $p/bin/thermopad-sim -- true"
make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX=$prefix >/dev/null 2>&1
check "uninstall removes what install added, keeps the edited configuration" \
	"[ \"\$(find $dest -type f)\" = $p/etc/thermopad/thermopad.conf ]"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
