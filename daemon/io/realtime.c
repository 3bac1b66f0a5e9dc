/* SPDX-License-Identifier: MIT */
/* The control loop's priority (realtime.h). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "io/realtime.h"

int realtime_enter(char *why, size_t len)
{
	/* the calling thread only, and never a child it forks */
	struct sched_param sp = {.sched_priority = REALTIME_PRIORITY};
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0) {
		snprintf(why, len, "SCHED_FIFO %d: %s", REALTIME_PRIORITY, strerror(errno));
		return -1;
	}
	return 0;
}
