/* SPDX-License-Identifier: MIT */
/*
 * The daemon's clocks: the wall (monotonic seconds) and the model time, N
 * times faster under a simulated pad (--time-scale), so that a 30-minute
 * session runs in seconds with every timer and every judgement of the core
 * in model time. Under thermopad-sim the model time can be the simulator's
 * own, published in a file: the pads and the daemon then share one clock,
 * which stands still for both while the simulator waits for a late host
 * (docs/simulator.md). And the control tick's lateness, kept as a histogram.
 */
#ifndef THERMOPAD_IO_CLOCK_H
#define THERMOPAD_IO_CLOCK_H

/* 0.1 ms steps up to 2 ms (where the goal is judged), then four buckets per
 * doubling up to about 4 s; beyond that the maximum stands in */
#define CLOCK_LATE_BUCKETS 64

#include <stdbool.h>
#include <stdint.h>

struct clock_model {
	double start_wall;
	double scale;
	uint64_t *shared_ms; /* the simulator's model time, mapped read-only */
	double start_shared_s;
};

struct clock_lateness {
	unsigned long count, late_2ms;
	/* ticks let go rather than made up in a burst (clock_tick_next) */
	unsigned long skipped;
	double max_ms;
	unsigned long hist[CLOCK_LATE_BUCKETS];
};

double clock_wall(void);
/* The seconds of CPU this thread has used: what the loop's own work costs,
 * whatever else the machine runs. */
double clock_thread_cpu(void);
/* shared: the file of a simulator's published clock (TP_SIM_CLOCK), used
 * at a time scale other than 1; NULL or unreadable: the wall times scale.
 * Returns whether the shared clock is in use. */
bool clock_model_init(struct clock_model *c, double scale, const char *shared);
void clock_model_fini(struct clock_model *c);
double clock_model_now(const struct clock_model *c);

void clock_lateness_add(struct clock_lateness *l, double late_ms);
/* The 99th percentile, from the histogram: the upper edge of the bucket
 * that holds it, never more than the largest lateness seen (so it does not
 * saturate). */
/* When the tick after one due at due_us runs: a period later, or, for a
 * loop a whole period behind at now_us (a machine too busy for the time
 * scale asked of it), a period from now, the missed ticks let go and
 * counted. Made up in a burst they would be due again at once, and every
 * source below the tick, the clients that would stop a session among
 * them, would wait for ever. */
uint64_t clock_tick_next(struct clock_lateness *l, uint64_t due_us, uint64_t period_us, uint64_t now_us);
double clock_lateness_p99(const struct clock_lateness *l);

#endif
