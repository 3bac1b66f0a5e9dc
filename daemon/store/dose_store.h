/* SPDX-License-Identifier: MIT */
/*
 * A pad's dose ledger, by serial (STATE/dose/SERIAL.ini): written when the
 * pad first arrives, when a session starts, every DOSE_STORE_CHECKPOINT_S
 * while its doses change (so a killed daemon or a lost power forgets at
 * most that much), when a session or a tune ends, when the pad leaves and
 * when the daemon stops (a sink of the pads' events); read when the pad
 * arrives, so that a restart or a reload never resets the doses counted
 * across sessions.
 *
 * The file is tamper-evident: it carries a number that grows with every
 * write and a CRC-32 of its content (zlib), and the store remembers both
 * for every file it wrote or read. A file it cannot trust (unreadable, not
 * a regular file, cut short, its check wrong, gone, an older copy, or
 * changed outside the daemon) is reported as such with why in words; the
 * daemon decides what follows (dose_guard.h). Rolling back the file and the
 * daemon's memory together (an older copy put back while the daemon is
 * stopped) is not visible here: see docs/config.md.
 */
#ifndef THERMOPAD_STORE_DOSE_STORE_H
#define THERMOPAD_STORE_DOSE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dose.h"
#include "pad/pad.h"

#define DOSE_STORE_CHECKPOINT_S 30.0 /* model seconds between writes in a session */

/* What the store knows of one pad's file. */
struct dose_store_known {
	char serial[TP_SERIAL_LEN + 1];
	bool known; /* it wrote or read this file: the file must be what it holds */
	unsigned long long seq; /* the file's number, as last written or read */
	uint32_t crc; /* the file's check, as last written or read */
};

struct logsync;

struct dose_store {
	const char *state_dir;
	struct logsync *sync; /* syncs written files off the control loop; NULL: synced in place */
	struct dose_store_known files[PAD_MAX];
};

/* Where the pad's ledger is. */
void dose_store_path(const struct dose_store *s, const char *serial, char *path, size_t pathlen);

/* 1 with *l filled (the file is trusted), 0 when the pad has no ledger and
 * the store knows of none (a first start), -1 with what is wrong in words
 * in err (l is untouched). */
int dose_store_load(struct dose_store *s, const char *serial, struct dose_ledger *l, char *path, size_t pathlen,
		    char *err, size_t errlen);

/* Is the file still what the store last wrote or read? 0 yes (or the
 * store knows no file of this pad yet), -1 with what is wrong in err. */
int dose_store_verify(const struct dose_store *s, const char *serial, char *err, size_t errlen);

/* Written whole, with the next number, to a temporary file, renamed over
 * the old one, the file and the directory synced (by the sync thread, off
 * the control loop, when one is given; before the rename when not): a
 * crash leaves the old ledger, the new, or (in the second after a write
 * synced by the thread) one that fails its check. 0, or -1 with why. */
int dose_store_save(struct dose_store *s, const char *serial, const struct dose_ledger *l, char *err, size_t errlen);

/* Written only if its content differs from what the file holds. */
int dose_store_checkpoint(struct dose_store *s, const char *serial, const struct dose_ledger *l, char *err,
			  size_t errlen);

/* The untrusted file kept aside (SERIAL.ini.untrusted, replacing an older
 * one) for a person to look at; 0, or -1 when there was nothing to keep. */
int dose_store_keep_aside(const struct dose_store *s, const char *serial, char *kept, size_t keptlen);

struct pad_sink dose_store_sink(struct dose_store *s);

#endif
