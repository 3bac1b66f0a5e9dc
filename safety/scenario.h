/* SPDX-License-Identifier: MIT */
/*
 * One in-process run of a hazard row: the reference firmware core and the
 * physical model (sim/pad.c) with the daemon's own pad module (daemon/pad:
 * its control core, the limits it sends, its zero acknowledgement, its
 * tick when telemetry is late, its clearing) in charge, with the daemon's
 * configuration defaults, in model time at the firmware's 10 ms tick,
 * judged on the model's truth.
 * Pure: no I/O, no clock, no globals.
 */
#ifndef THERMOPAD_SAFETY_SCENARIO_H
#define THERMOPAD_SAFETY_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "exposure.h"
#include "model.h"

struct scenario {
	const struct model_params *pad;
	const char *phase; /* idle, heating, hot, cooling, cold, reversing, autotune; "hot=42" sets the target */
	const char *faults; /* the row's fault; NULL for the fault-free twin */
	double watch_s; /* after the fault */
	const char *clear; /* person, replug or - */
	bool latch; /* check that the latch holds once the cause is gone */
	uint64_t seed;
};

struct outcome {
	bool runnable; /* false: an injection that does not exist (why says which) */
	char why[400];
	double fault_t; /* model time of the injection */
	struct exposure exposure; /* from the fault to the end of the watch */
	double zero_s; /* fault to the last drive reaching the module; INFINITY if it still does */
	/* when each layer first acted, seconds after the fault; < 0: never */
	double fw_s, host_s, fuse_s, watchdog_s;
	char host_code[32]; /* the host's own check, "" if none fired */
	char host_any[32]; /* whatever the host latched, a relayed firmware fault too */
	unsigned fw_bits;
	/* any trip at all in the run, from its start (a twin must have none) */
	bool tripped;
	char trip[96];
	bool latch_held; /* drive zero and a fault latched for 10 s after the cause went */
	bool cleared; /* clearing as the row says worked */
	char clear_why[640];
	char note[96]; /* anything else wrong with the run (end to end: the daemon died) */
};

void scenario_run(const struct scenario *sc, struct outcome *out);

/* The same host on its own, for runs longer than a row (the endurance
 * run): a pad made from its description and seed, plugged into the
 * daemon's pad module with the daemon's defaults, at model time zero.
 * Each tick is the firmware's (10 ms), the host's report period every
 * tenth. The caller starts sessions on the slot and reads the pad's truth. */
struct scenario_host;
struct pad_slot;
struct scenario_host *scenario_host_new(const struct model_params *pad, uint64_t seed, char *err, size_t errlen);
void scenario_host_free(struct scenario_host *h);
void scenario_host_tick(struct scenario_host *h);
double scenario_host_now(const struct scenario_host *h);
struct pad *scenario_host_pad(struct scenario_host *h);
struct pad_slot *scenario_host_slot(struct scenario_host *h);

#endif
