/* SPDX-License-Identifier: MIT */
/*
 * One API request line, parsed and checked before anything acts on it:
 * the JSON, the version, the command, and every field's type and range.
 * Pure (jansson only, no I/O) so that a fuzzer can drive it alone.
 */
#ifndef THERMOPAD_REQUEST_H
#define THERMOPAD_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define REQUEST_MAX_SETS 16

enum request_cmd {
	REQ_VERSION,
	REQ_STATUS,
	REQ_DEVICES,
	REQ_START,
	REQ_STOP,
	REQ_PAUSE,
	REQ_RESUME,
	REQ_SKIP,
	REQ_EXTEND,
	REQ_CLEAR_FAULTS,
	REQ_TUNE,
	REQ_PROFILES_LIST,
	REQ_PROFILES_SHOW,
	REQ_PROFILES_VALIDATE,
	REQ_RELOAD,
	REQ_SESSIONS_LIST,
	REQ_SESSION_SAMPLES,
	REQ_SUBSCRIBE,
	REQ_COUNT,
};

struct request {
	enum request_cmd cmd;
	const char *name; /* the command's name as sent */
	bool control; /* changes a pad or the daemon: the group only */
	json_t *root; /* owns every string below */
	json_t *id; /* borrowed from root; may be NULL */
	const char *pad; /* serial, or NULL */
	const char *profile; /* start, profiles-show, profiles-validate */
	const char *profile_text; /* start, profiles-validate */
	const char *sets[REQUEST_MAX_SETS];
	int nsets;
	double minutes; /* extend */
	bool heat; /* tune */
	double rate_hz; /* subscribe */
	const char *session; /* session-samples */
	long offset, limit; /* session-samples */
};

struct request_error {
	const char *code; /* API_ERR_* */
	char message[256];
};

/* Returns 0 with *out filled (request_free it), or -1 with *err filled;
 * err->code is API_ERR_BAD_REQUEST, API_ERR_VERSION or
 * API_ERR_UNKNOWN_COMMAND. On error, *id_out (if given) receives the id
 * to echo (a new reference, or NULL). */
int request_parse(const char *line, size_t len, struct request *out, json_t **id_out, struct request_error *err);
void request_free(struct request *r);

#endif
