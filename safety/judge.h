/* SPDX-License-Identifier: MIT */
/*
 * A row's runs against its bounds: every run of the row (each phase, each
 * pad) and its fault-free twin, judged on the model's truth. One place
 * decides pass or miss; the gate and the report only read the verdicts.
 */
#ifndef THERMOPAD_SAFETY_JUDGE_H
#define THERMOPAD_SAFETY_JUDGE_H

#include "scenario.h"
#include "table.h"

enum verdict {
	VERDICT_MISS, /* a bound missed, not marked open: the gate fails */
	VERDICT_NO_RUN, /* no run at all, not marked open: the gate fails */
	VERDICT_OPEN, /* marked open and still missing (or without its injection) */
	VERDICT_OPEN_PASSES, /* marked open, but now passes: remove the mark */
	VERDICT_PASS,
};

struct layer_tally {
	int runs; /* runs in which the layer acted */
	double first_s; /* the fastest, after the fault */
};

struct row_result {
	const struct hazard *h;
	enum verdict verdict;
	int runs;
	bool missed, ran;
	char no_run[400]; /* why there was no run */
	/* the worst figures over the runs, and where */
	double zero_s, plate_max_c, plate_min_c, tissue_max_c, cem43_min, cold_s;
	char plate_max_where[64], zero_where[64];
	struct layer_tally fw, host, fuse, watchdog;
	char host_codes[160]; /* the host's own checks that acted */
	char host_fired[200]; /* every code the host latched, for coverage */
	char misses[1200];
	int nmisses;
	double severity; /* 1.0: at a bound; more is past it */
};

void judge_init(struct row_result *r, const struct hazard *h);
/* One run and its twin (same phase, pad and seed, no fault). */
void judge_run(struct row_result *r, const char *where, const struct outcome *o, const struct outcome *twin);
void judge_not_runnable(struct row_result *r, const char *why);
void judge_finish(struct row_result *r);

const char *judge_verdict_name(enum verdict v);

#endif
