/* SPDX-License-Identifier: MIT */
/* The daemon's clocks (clock.h). */
#include <time.h>

#include "io/clock.h"

double clock_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void clock_model_init(struct clock_model *c, double scale)
{
	c->start_wall = clock_wall();
	c->scale = scale;
}

double clock_model_now(const struct clock_model *c)
{
	return (clock_wall() - c->start_wall) * c->scale;
}

void clock_lateness_add(struct clock_lateness *l, double late_ms)
{
	l->count++;
	l->hist[late_ms < 6.3 ? (int)(late_ms * 10.0) : CLOCK_LATE_BUCKETS - 1]++;
	if (late_ms > 2.0)
		l->late_2ms++;
	if (late_ms > l->max_ms)
		l->max_ms = late_ms;
}

double clock_lateness_p99(const struct clock_lateness *l)
{
	unsigned long total = 0, seen = 0;
	for (int i = 0; i < CLOCK_LATE_BUCKETS; i++)
		total += l->hist[i];
	for (int i = 0; i < CLOCK_LATE_BUCKETS; i++) {
		seen += l->hist[i];
		if (total && seen * 100 >= total * 99)
			return (i + 1) / 10.0;
	}
	return 0.0;
}
