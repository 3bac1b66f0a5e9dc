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
	json_t *summary; /* borrowed; NULL until the session ends */
};

int sessions_write_meta(const struct sessions_store *s, const struct session_meta *m);
/* The stored sessions' metadata, newest first, one at a time so that a
 * reply is made in bounded slices: next gives a new object, or NULL at the
 * end. */
struct sessions_lister;
struct sessions_lister *sessions_list_open(const struct sessions_store *s);
json_t *sessions_list_next(struct sessions_lister *l);
void sessions_list_close(struct sessions_lister *l);
/* A stored session's samples, read a row at a time so that a reply is made
 * in bounded slices: open gives NULL with err filled when there is no such
 * session (or a link at its name); read_row gives 1 and the row (a new
 * array, in which an empty field, a sensor not read, is null, never 0; or
 * pass NULL to skip it), or 0 at the end. */
struct sessions_reader;
struct sessions_reader *sessions_read_open(const struct sessions_store *s, const char *id, char *err, size_t errlen);
const json_t *sessions_read_columns(const struct sessions_reader *r);
int sessions_read_row(struct sessions_reader *r, json_t **row);
void sessions_read_close(struct sessions_reader *r);
/* Removes sessions past the age or size limit, oldest first, never one in
 * use; returns how many. */
int sessions_prune(const struct sessions_store *s, time_t now);

#endif
