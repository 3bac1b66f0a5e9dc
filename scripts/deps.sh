#!/usr/bin/env bash
# Installs the Debian packages that building, testing, the demo and the
# Debian package need, when any is missing. Runs apt-get as root or through
# sudo; where neither is possible it prints the exact command and stops.
#   scripts/deps.sh          install what is missing
#   scripts/deps.sh --check  only name what the build lacks, and fail (plain make)
set -u
build_packages=(
	gcc make libc6-dev pkg-config
	libusb-1.0-0-dev libgpiod-dev libinih-dev libsystemd-dev libjansson-dev zlib1g-dev
	libcmocka-dev umockdev libumockdev-dev libglib2.0-dev
)
# the tests, the demo, the system test in a container, the package, the
# proof that the tests are hermetic (tests/hermetic.sh), the zsh and fish
# completions' checks, and a notification service on a private bus
test_packages=(
	clang libclang-rt-14-dev valgrind tmux gnuplot-nox udev systemd procps socat
	groff-base python3 util-linux bsdutils systemd-container
	dpkg-dev debhelper lintian stress-ng git
	zsh fish python3-dbusmock dbus-daemon
)
lacking() { # packages... -> those not installed
	local p status
	for p in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
		[ "$status" = installed ] || echo "$p"
	done
}
if [ "${1:-}" = --check ]; then
	missing=$(lacking "${build_packages[@]}" | tr '\n' ' ')
	[ -z "$missing" ] && exit 0
	echo "thermopad: the build needs Debian packages that are missing: $missing" >&2
	echo "thermopad: \`make deps\` installs them (plain make installs nothing)" >&2
	exit 1
fi
mapfile -t missing < <(lacking "${build_packages[@]}" "${test_packages[@]}")
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
