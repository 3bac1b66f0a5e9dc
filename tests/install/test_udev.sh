#!/usr/bin/env bash
# The project's udev rules applied by real udev (udevadm test) to devices
# that exist only in a umockdev testbed: the pad gets its mode, group, tags
# and the daemon; a device with another VID:PID gets none of it.
# The rules and a group file that knows "thermopad" are bind-mounted in a
# private mount namespace, so the machine's own files are never touched.
set -u
if [ "${TP_SAN:-0}" = 1 ]; then
	echo "ok 1 - # SKIP the rules are checked in the plain pass"
	exit 0
fi
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "ok 1 - # SKIP needs root for a private mount namespace (unshare -m)"
	exit 0
fi
build=${TP_BUILD:-build}
rules=$build/udev/70-thermopad.rules
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; fi; }

vid=$(sed -n 's/^#define TP_USB_VID 0x\([0-9a-fA-F]*\).*/\1/p' firmware-spec/thermopad_proto.h)
pid=$(sed -n 's/^#define TP_USB_PID 0x\([0-9a-fA-F]*\).*/\1/p' firmware-spec/thermopad_proto.h)
device() { # vid pid devnum -> a umockdev description of one USB device
	cat <<DEV
P: /devices/pci0000:00/0000:00:14.0/usb1/1-$3
N: bus/usb/001/00$3
E: BUSNUM=001
E: DEVNAME=/dev/bus/usb/001/00$3
E: DEVNUM=00$3
E: DEVTYPE=usb_device
E: DRIVER=usb
E: PRODUCT=$1/$2/100
E: SUBSYSTEM=usb
A: idVendor=$1
A: idProduct=$2
A: busnum=1
A: devnum=$3
A: serial=TEST$3

DEV
}
mkdir "$work/rules.d"
cp "$rules" "$work/rules.d/"
cp /etc/group "$work/group"
grep -q '^thermopad:' "$work/group" || echo 'thermopad:x:4242:' >>"$work/group"
device "$vid" "$pid" 2 >"$work/pad.umockdev"
device 046d c52b 3 >"$work/other.umockdev"
udev_test() { # description sysfs-path
	unshare -m sh -c "mount --bind '$work/rules.d' /etc/udev/rules.d && mount --bind '$work/group' /etc/group &&
		umockdev-run -d '$1' -- udevadm test --action=add '$2'" 2>&1
}
pad=$(udev_test "$work/pad.umockdev" /sys/devices/pci0000:00/0000:00:14.0/usb1/1-2)
other=$(udev_test "$work/other.umockdev" /sys/devices/pci0000:00/0000:00:14.0/usb1/1-3)
gid=$(awk -F: '$1 == "thermopad" { print $3 }' "$work/group")

check "the rules match the VID:PID in thermopad_proto.h ($vid:$pid)" \
	"grep -q 'ATTR{idVendor}==\"$vid\", ATTR{idProduct}==\"$pid\"' $rules"
check "udev read the project's rules file" "grep -q 'Reading rules file: /etc/udev/rules.d/70-thermopad.rules' <<<\"\$pad\""
check "the pad's node gets mode 0660" "grep -q '70-thermopad.rules:[0-9]* MODE 0660' <<<\"\$pad\""
check "the pad's node gets group thermopad (gid $gid)" "grep -q '70-thermopad.rules:[0-9]* GROUP $gid' <<<\"\$pad\""
check "the pad is tagged uaccess" "grep -q '^TAGS=.*:uaccess:' <<<\"\$pad\""
check "the pad is tagged systemd" "grep -q '^TAGS=.*:systemd:' <<<\"\$pad\""
check "the pad asks systemd for thermopadd.service" "grep -q '^SYSTEMD_WANTS=.*thermopadd.service' <<<\"\$pad\""
check "udev orders the rules before 73-seat-late.rules (where uaccess takes effect)" \
	"[ \"\$(grep -o 'Reading rules file: .*\(70-thermopad\|73-seat-late\).rules' <<<\"\$pad\" | head -1 | grep -c thermopad)\" = 1 ]"
check "another USB device gets no mode or group from the rules" "! grep -q '70-thermopad.rules:[0-9]' <<<\"\$other\""
check "another USB device does not start the daemon" "! grep -q 'thermopadd' <<<\"\$other\""
check "another USB device is not tagged uaccess by the rules" "! grep -q '^TAGS=.*:uaccess:' <<<\"\$other\""
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
