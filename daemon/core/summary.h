/* SPDX-License-Identifier: MIT */
/*
 * A session's summary for a person, gathered sample by sample: each phase
 * as it ran (its target, when it began and ended, the time spent in the
 * target band), the peak and lowest plate, the dose and the cold
 * exposure, and the marks a chart shows (pause, resume, skip, extend,
 * stop, faults). Pure: the caller gives the times and the core's status.
 */
#ifndef THERMOPAD_SUMMARY_H
#define THERMOPAD_SUMMARY_H

#include <stdbool.h>

#include "core.h"

#define SUMMARY_MARKS_MAX 32

struct summary_phase {
	char name[PLAN_NAME_MAX];
	const char *kind; /* heat, cold, neutral, off */
	double target_c; /* NaN for an off phase */
	double start_s, end_s; /* since the session's start */
	double at_target_s; /* running inside the target band */
};

struct summary_mark {
	double t_s;
	char kind[16]; /* pause, resume, skip, extend, stop, fault */
	char code[32]; /* the fault's check, "" for the others */
};

struct session_summary {
	struct summary_phase phases[PLAN_MAX_STEPS];
	int nphases;
	double plate_max_c, plate_min_c; /* NaN until a plate sensor is read */
	double dose_cem43_min, cold_s; /* the session's */
	struct summary_mark marks[SUMMARY_MARKS_MAX];
	int nmarks, marks_dropped;
	double last_t_s;
	bool last_fault, have_sample, last_counting;
};

void summary_begin(struct session_summary *s);
/* A sample at t_s since the session's start; plate_c the two plate
 * sensors (NaN when not read). */
void summary_sample(struct session_summary *s, double t_s, const struct core_status *st, const double plate_c[2]);
/* A person's request that changed the session (pause, resume, skip,
 * extend, stop); others are not marked. */
void summary_request(struct session_summary *s, double t_s, const char *request);

#endif
