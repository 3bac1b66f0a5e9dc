#!/usr/bin/env bash
# Installs the Debian packages that building, testing and the demo need,
# when any is missing. Runs apt-get as root or through sudo; where neither
# is possible it prints the exact command and stops.
set -u
packages=(
	gcc make libc6-dev pkg-config clang libclang-rt-14-dev
	libusb-1.0-0-dev libgpiod-dev libinih-dev libsystemd-dev libjansson-dev
	libcmocka-dev umockdev libumockdev-dev libglib2.0-dev
	valgrind tmux gnuplot-nox udev systemd procps socat groff-base python3 util-linux
)
missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "thermopad: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	as_root=(sudo -n)
else
	echo "thermopad: cannot install packages (not root, no sudo). Run:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
	"${as_root[@]}" apt-get update >>"$log" 2>&1
	if ! "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "thermopad: apt-get failed; the command was:" >&2
		echo "  apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi
echo "thermopad: packages installed"
