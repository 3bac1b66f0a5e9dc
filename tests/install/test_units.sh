#!/usr/bin/env bash
# The systemd units as systemd itself reads them: systemd-analyze verify
# passes, and the service's exposure score stays at 2.0 or lower.
set -u
if [ "${TP_SAN:-0}" = 1 ]; then
	echo "ok 1 - # SKIP the units are checked in the plain pass"
	exit 0
fi
build=${TP_BUILD:-build}
top=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; fi; }
# verify wants the programs a unit runs to exist: point it at the build
sed -e "s|@BINDIR@|$top/$build|g" -e "s|@SYSCONFDIR@|$top/etc|g" systemd/thermopadd.service.in >"$work/thermopadd.service"
cp systemd/thermopadd.socket "$work/"
# verify exits 0 on unknown keys too, so any word from it is a failure
verify=$(systemd-analyze verify --man=no "$work/thermopadd.service" "$work/thermopadd.socket" 2>&1)
verify_rc=$?
[ -n "$verify" ] && echo "$verify" | sed 's/^/# /'
check "systemd-analyze verify passes on thermopadd.service and thermopadd.socket, silently" \
	"[ $verify_rc = 0 ] && [ -z \"\$verify\" ]"
score=$(systemd-analyze security --offline=yes "$work/thermopadd.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for thermopadd.service: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security: exposure $score"
check "the service's exposure score ($score) is at most 2.0" "awk -v s='$score' 'BEGIN { exit !(s != \"\" && s <= 2.0) }'"
check "the service is Type=notify with a watchdog and restarts on failure" \
	"grep -qx Type=notify $work/thermopadd.service && grep -q '^WatchdogSec=' $work/thermopadd.service && grep -qx Restart=on-failure $work/thermopadd.service"
check "the service runs as user thermopad, which sysusers.d creates" \
	"grep -qx User=thermopad $work/thermopadd.service && grep -q '^u thermopad ' systemd/thermopad.sysusers"
check "the socket is mode 0660, group thermopad, where the CLI looks by default" \
	"grep -qx SocketMode=0660 systemd/thermopadd.socket && grep -qx SocketGroup=thermopad systemd/thermopadd.socket &&
	 grep -qx \"ListenStream=\$(sed -n 's/#define API_DEFAULT_SOCKET \"\\(.*\\)\"/\\1/p' common/thermopad_api.h)\" systemd/thermopadd.socket"
check "device access is limited to USB and GPIO character devices" \
	"[ \"\$(grep '^Device' $work/thermopadd.service | sort | tr '\n' ' ')\" = 'DeviceAllow=char-gpiochip rw DeviceAllow=char-usb_device rw DevicePolicy=closed ' ]"
check "the control loop is granted SCHED_FIFO 10 by the unit (the priority the daemon asks for), its children none, and it cannot ask for more" \
	"grep -qx CPUSchedulingPolicy=fifo $work/thermopadd.service &&
	 grep -qx \"CPUSchedulingPriority=\$(sed -n 's/#define REALTIME_PRIORITY \([0-9]*\).*/\1/p' daemon/io/realtime.h)\" $work/thermopadd.service &&
	 grep -qx CPUSchedulingResetOnFork=yes $work/thermopadd.service && grep -qx RestrictRealtime=yes $work/thermopadd.service"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
