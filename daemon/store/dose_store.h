/* SPDX-License-Identifier: MIT */
/*
 * A pad's dose ledger, by serial (STATE/dose/SERIAL.ini): written when a
 * session or a tune ends, when the pad leaves and when the daemon stops
 * (a sink of the pads' events), read when the pad arrives, so that a
 * restart or a reload never resets the doses counted across sessions.
 */
#ifndef THERMOPAD_STORE_DOSE_STORE_H
#define THERMOPAD_STORE_DOSE_STORE_H

#include <stddef.h>

#include "core/dose.h"
#include "pad/pad.h"

struct dose_store {
	const char *state_dir;
};

/* 1 with *l filled, 0 when the pad has no ledger yet, -1 with why in err
 * when the file is broken. */
int dose_store_load(const struct dose_store *s, const char *serial, struct dose_ledger *l, char *path, size_t pathlen,
		    char *err, size_t errlen);
int dose_store_save(const struct dose_store *s, const char *serial, const struct dose_ledger *l, char *path,
		    size_t pathlen, char *err, size_t errlen);
struct pad_sink dose_store_sink(struct dose_store *s);

#endif
