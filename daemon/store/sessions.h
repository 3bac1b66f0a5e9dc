/* SPDX-License-Identifier: MIT */
/*
 * The stored sessions under STATE/sessions/: ID.csv (a line per sample,
 * written by session_log.c) beside ID.json (who, what, when, how it
 * ended), ID = start time and pad serial. Listing, reading samples back,
 * and retention by age and total size, which never touches a session still
 * being written.
 */
#ifndef THERMOPAD_STORE_SESSIONS_H
#define THERMOPAD_STORE_SESSIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

struct sessions_store {
	const char *state_dir;
	unsigned retention_days, retention_mb; /* 0: no limit */
	/* is this session being written? (never pruned) */
	bool (*in_use)(void *ctx, const char *id);
	void *in_use_ctx;
};

struct session_meta {
	const char *id, *pad, *profile;
	time_t started;
	const char *outcome; /* NULL while it runs */
	double duration_s;
	unsigned long samples;
};

int sessions_write_meta(const struct sessions_store *s, const struct session_meta *m);
json_t *sessions_list(const struct sessions_store *s);
/* Rows from offset, at most limit; an empty field (a sensor not read) is
 * null, never 0. */
int sessions_samples(const struct sessions_store *s, const char *id, long offset, long limit, json_t **out, char *err,
		     size_t errlen);
/* Removes sessions past the age or size limit, oldest first, never one in
 * use; returns how many. */
int sessions_prune(const struct sessions_store *s, time_t now);

#endif
