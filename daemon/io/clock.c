/* SPDX-License-Identifier: MIT */
/* The daemon's clock: monotonic, and N times faster than the wall clock
 * under a simulated pad (--time-scale), so a 30-minute session runs in
 * seconds with every timer and every judgement of the core in model time. */
#include <time.h>

#include "daemon.h"

double daemon_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double daemon_now(const struct daemon *d)
{
	return (daemon_wall() - d->start_wall) * d->opts.time_scale;
}
