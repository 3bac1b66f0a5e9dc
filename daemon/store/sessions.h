/* SPDX-License-Identifier: MIT */
/* The session store (sessions.c). */
#ifndef THERMOPAD_SESSIONS_H
#define THERMOPAD_SESSIONS_H

#include <jansson.h>
#include <time.h>

struct daemon;
struct pad_conn;

int sessions_write_meta(const struct pad_conn *p, const char *outcome, double duration_s, unsigned long samples);
json_t *sessions_list(const struct daemon *d);
int sessions_samples(const struct daemon *d, const char *id, long offset, long limit, json_t **out, char *err,
		     size_t errlen);
/* Removes sessions past the age or size limit, oldest first, never one in
 * use; returns how many. */
int sessions_prune(const struct daemon *d, time_t now);

#endif
