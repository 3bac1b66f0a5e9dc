/* SPDX-License-Identifier: MIT */
/* The control loop's priority (realtime.h). */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io/realtime.h"

static bool has_sys_nice(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return (data[CAP_SYS_NICE / 32].effective >> (CAP_SYS_NICE % 32)) & 1;
}

/* Why the kernel said no, as far as the process can tell, and what would
 * grant it. */
static void explain(int err, char *why, size_t len)
{
	struct rlimit rt = {0};
	getrlimit(RLIMIT_RTPRIO, &rt);
	if (err != EPERM) {
		snprintf(why, len, "the kernel refused SCHED_FIFO %d: %s", REALTIME_PRIORITY, strerror(err));
		return;
	}
	if (rt.rlim_cur < REALTIME_PRIORITY && !has_sys_nice())
		snprintf(why, len,
			 "it may not use real-time scheduling: its real-time priority limit (RLIMIT_RTPRIO) is %llu, "
			 "below %d, and it lacks CAP_SYS_NICE; the shipped systemd unit grants SCHED_FIFO %d "
			 "(CPUSchedulingPolicy=fifo); by hand, raise its limit (ulimit -r %d, or systemd's LimitRTPRIO=%d) or run it as root",
			 (unsigned long long)rt.rlim_cur, REALTIME_PRIORITY, REALTIME_PRIORITY, REALTIME_PRIORITY,
			 REALTIME_PRIORITY);
	else
		snprintf(why, len,
			 "a sandbox forbids real-time scheduling although its limit allows it (systemd's "
			 "RestrictRealtime=yes without CPUSchedulingPolicy=fifo, another seccomp filter, or a "
			 "control group without a real-time budget): %s",
			 strerror(err));
}

enum realtime_outcome realtime_enter(int *priority, char *why, size_t len)
{
	int policy = sched_getscheduler(0);
	if (policy >= 0 && ((policy & ~SCHED_RESET_ON_FORK) == SCHED_FIFO || (policy & ~SCHED_RESET_ON_FORK) == SCHED_RR)) {
		struct sched_param now = {0};
		sched_getparam(0, &now);
		*priority = now.sched_priority;
		return REALTIME_GIVEN;
	}
	/* the calling thread only, and never a child it forks */
	struct sched_param sp = {.sched_priority = REALTIME_PRIORITY};
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0) {
		explain(errno, why, len);
		return REALTIME_REFUSED;
	}
	*priority = REALTIME_PRIORITY;
	return REALTIME_ENTERED;
}
