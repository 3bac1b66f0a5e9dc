/* SPDX-License-Identifier: MIT */
/*
 * The dose ledger: a pad's heat dose (CEM43 minutes) and cold exposure
 * (seconds below cold_c) across sessions, so that back-to-back sessions
 * cannot add up without limit. Two rules, both conservative because data
 * on repeated exposures of skin are scarce:
 *
 *  - a recent pool that decays with a half-life (heat 4 h, cold 1 h): a
 *    session starts only if the pool plus what its plan adds stays within
 *    the session caps (dose_cem43_max_min, cold_session_max_min), and the
 *    supervisor's session counts on from the pool. Skin recovers from a
 *    mild heat load over hours; reduced blood flow after cold persists
 *    for about as long as the cold lasted (10 min on, 10 min off did
 *    better than 20 min on).
 *  - a daily ceiling that does not decay: over any 24 h, twice the session
 *    heat cap and 1.5 times the session cold cap.
 *
 * Times are the ledger's own seconds (the daemon: epoch seconds of model
 * time), so that a file written before a restart reads on. Pure.
 */
#ifndef THERMOPAD_CORE_DOSE_H
#define THERMOPAD_CORE_DOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "safety.h"

#define DOSE_DAY_S 86400.0
#define DOSE_DAY_MAX 64

#define DOSE_HEAT_HALF_LIFE_S (4 * 3600.0)
#define DOSE_COLD_HALF_LIFE_S 3600.0

/* The daily ceilings, from the session caps. */
struct dose_rules {
	double heat_day_cem43_min, cold_day_s;
};

void dose_rules_from_limits(struct dose_rules *r, const struct safety_limits *lim);

struct dose_entry {
	double t, heat_cem43_min, cold_s;
};

struct dose_ledger {
	double t; /* the pools are as of this time */
	double heat_cem43_min, cold_s; /* the recent pools, decayed */
	int n;
	struct dose_entry day[DOSE_DAY_MAX]; /* the last 24 h, oldest first */
};

void dose_ledger_init(struct dose_ledger *l);
/* Decays the pools to t and forgets what is older than a day. */
void dose_ledger_at(struct dose_ledger *l, double t);
void dose_ledger_add(struct dose_ledger *l, double t, double heat_cem43_min, double cold_s);
double dose_ledger_day_heat(const struct dose_ledger *l, double t);
double dose_ledger_day_cold(const struct dose_ledger *l, double t);

/* A ledger that cannot be trusted counts as the worst the caps allow, as
 * of t: the recent pools at the session caps and the last 24 h at the
 * daily ceilings, all of it just ended. */
void dose_ledger_worst(struct dose_ledger *l, double t, const struct safety_limits *lim);

/* What a plan adds: heat at its targets for its durations, its cold
 * phases' time. */
void dose_plan_estimate(const struct plan_run *run, const struct safety_limits *lim, double *heat_cem43_min,
			double *cold_s);

/* May a session that adds this start at t? 0, or -1 with the reason and
 * *wait_s, how long until it may (INFINITY: never, it alone is too much). */
int dose_ledger_admit(const struct dose_ledger *l, double t, const struct dose_rules *r,
		      const struct safety_limits *lim, double heat_cem43_min, double cold_s, double *wait_s, char *why,
		      size_t whylen);

/* The ledger as text (an INI file) and back; -1 with why when broken. */
int dose_ledger_format(const struct dose_ledger *l, const char *serial, char *buf, size_t len);
int dose_ledger_parse(const char *text, struct dose_ledger *l, char *err, size_t errlen);

#endif
