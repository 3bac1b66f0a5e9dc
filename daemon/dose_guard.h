/* SPDX-License-Identifier: MIT */
/*
 * The dose ledger kept honest: the daemon's policy over the file that
 * store/dose_store.c keeps. The file is judged when its pad arrives, every
 * DOSE_GUARD_CHECK_S of model time and before every start; while a pad's
 * doses change it is written every DOSE_STORE_CHECKPOINT_S.
 *
 * A file the daemon cannot trust (unreadable, cut short, corrupt, gone, an
 * older copy, changed outside the daemon) latches dose-ledger: heating and
 * cooling are refused until a person clears it, with a message naming the
 * file, what is wrong and what to do. No dose is forgotten: what this
 * daemon recorded stays (its memory of the pad), and a pad it knows nothing
 * of counts as the worst the caps allow (dose_ledger_worst). The file found
 * is kept aside (SERIAL.ini.untrusted) and the ledger written again at
 * once, so that a crash right after forgets nothing either.
 */
#ifndef THERMOPAD_DOSE_GUARD_H
#define THERMOPAD_DOSE_GUARD_H

#include <stdbool.h>

#include "pad/pad.h"
#include "store/dose_store.h"

#define DOSE_GUARD_CHECK_S 5.0 /* model seconds between looks at each pad's file */

struct dose_guard {
	struct pad_table *pads;
	struct dose_store *store;
	double next_check_t, next_checkpoint_t;
	bool reported[PAD_MAX]; /* dose-ledger raised for this slot's file, until a person clears it */
};

void dose_guard_init(struct dose_guard *g, struct pad_table *pads, struct dose_store *store);

/* The ledger for a pad about to be attached: its file's (1), none on a
 * first start (0), or when the file cannot be trusted (-1, with what is
 * wrong in why) the worst the caps allow. A pad the daemon remembers keeps
 * the doses in its memory instead (pad_attach). */
int dose_guard_load(struct dose_guard *g, const char *serial, double now, struct dose_ledger *l, char *why,
		    size_t whylen);
/* After the attach: a first file written, or the fault latched for what
 * dose_guard_load found (dosed, why); known: the daemon remembered the pad. */
void dose_guard_arrived(struct dose_guard *g, struct pad_slot *p, int dosed, bool known, const char *why,
			double now);
/* From the control tick. */
void dose_guard_tick(struct dose_guard *g, double now);

struct pad_start_gate dose_guard_start_gate(struct dose_guard *g);
/* Told of clears: the file written again, and judged again from then on. */
struct pad_sink dose_guard_sink(struct dose_guard *g);

#endif
