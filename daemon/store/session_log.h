/* SPDX-License-Identifier: MIT */
/*
 * The session log, a sink of the pads' events: a session's CSV file
 * (STATE/sessions/ID.csv, a line per sample) and its metadata, opened when
 * the session starts and closed with its outcome when it ends. A value not
 * read (a sensor open or shorted, no target while idle) is an empty field:
 * every row has every column.
 */
#ifndef THERMOPAD_STORE_SESSION_LOG_H
#define THERMOPAD_STORE_SESSION_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "core/summary.h"
#include "pad/pad.h"
#include "store/sessions.h"

struct logsync;

struct session_log_slot {
	FILE *f;
	int sync_slot;
	char path[512]; /* the last log of this pad, kept for status */
	char id[96];
	unsigned long samples;
	struct session_summary summary;
};

struct session_log {
	struct sessions_store *store;
	struct logsync *sync; /* may be NULL: flushed, not synced */
	struct session_log_slot slots[PAD_MAX];
};

void session_log_init(struct session_log *l, struct sessions_store *store, struct logsync *sync);
/* The sink to register with the pads. */
struct pad_sink session_log_sink(struct session_log *l);
/* The pad's current or last log file, or NULL. */
const char *session_log_path(const struct session_log *l, const struct pad_slot *p);
/* For the store's retention: is this session being written? */
bool session_log_in_use(void *ctx, const char *id);
/* One CSV row (no newline) of a sample, as the log writes it. */
int session_log_format_row(char *buf, size_t len, double t, const struct core_status *st,
			   const struct pad_reading *r);

#endif
