/* SPDX-License-Identifier: MIT */
/* The daemon's clocks (clock.h). */
#include <math.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "io/clock.h"

double clock_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double clock_thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

bool clock_model_init(struct clock_model *c, double scale, const char *shared)
{
	c->start_wall = clock_wall();
	c->scale = scale;
	c->shared_ms = NULL;
	if (scale == 1.0 || !shared || !*shared)
		return false;
	int fd = open(shared, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	void *map = mmap(NULL, sizeof(uint64_t), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return false;
	c->shared_ms = map;
	c->start_shared_s = (double)__atomic_load_n(c->shared_ms, __ATOMIC_ACQUIRE) / 1000.0;
	return true;
}

void clock_model_fini(struct clock_model *c)
{
	if (c->shared_ms)
		munmap(c->shared_ms, sizeof(uint64_t));
	c->shared_ms = NULL;
}

double clock_model_now(const struct clock_model *c)
{
	if (c->shared_ms)
		return (double)__atomic_load_n(c->shared_ms, __ATOMIC_ACQUIRE) / 1000.0 - c->start_shared_s;
	return (clock_wall() - c->start_wall) * c->scale;
}

#define LATE_LINEAR 20 /* 0.1 ms each, up to 2 ms */
#define LATE_PER_DOUBLING 4

static double late_upper_ms(int bucket)
{
	if (bucket < LATE_LINEAR)
		return (bucket + 1) / 10.0;
	return 2.0 * pow(2.0, (bucket - LATE_LINEAR + 1) / (double)LATE_PER_DOUBLING);
}

static int late_bucket(double late_ms)
{
	if (!(late_ms >= 0)) /* NaN, or a clock that went back */
		return 0;
	if (late_ms < 2.0)
		return (int)(late_ms * 10.0);
	int b = LATE_LINEAR + (int)floor(log2(late_ms / 2.0) * LATE_PER_DOUBLING);
	return b < CLOCK_LATE_BUCKETS - 1 ? b : CLOCK_LATE_BUCKETS - 1;
}

void clock_lateness_add(struct clock_lateness *l, double late_ms)
{
	l->count++;
	l->hist[late_bucket(late_ms)]++;
	if (late_ms > 2.0)
		l->late_2ms++;
	if (late_ms > l->max_ms)
		l->max_ms = late_ms;
}

uint64_t clock_tick_next(struct clock_lateness *l, uint64_t due_us, uint64_t period_us, uint64_t now_us)
{
	if (period_us == 0)
		period_us = 1;
	if (due_us + period_us > now_us)
		return due_us + period_us;
	l->skipped++;
	return now_us + period_us;
}

double clock_lateness_p99(const struct clock_lateness *l)
{
	unsigned long total = 0, seen = 0;
	for (int i = 0; i < CLOCK_LATE_BUCKETS; i++)
		total += l->hist[i];
	for (int i = 0; i < CLOCK_LATE_BUCKETS; i++) {
		seen += l->hist[i];
		if (total && seen * 100 >= total * 99)
			return i == CLOCK_LATE_BUCKETS - 1 || late_upper_ms(i) > l->max_ms ? l->max_ms : late_upper_ms(i);
	}
	return 0.0;
}
