/* SPDX-License-Identifier: MIT */
/* Shared by the API's transport (api.c) and its request handlers. */
#ifndef THERMOPAD_API_INTERNAL_H
#define THERMOPAD_API_INTERNAL_H

#include <jansson.h>

#include "thermopad_api.h"
#include "daemon.h"
#include "socket/request.h"

struct api_client {
	struct api_client *next;
	struct daemon *d;
	int fd;
	sd_event_source *src;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	bool control; /* may change the pad; else read-only */
	bool subscribed;
	double sub_period;
	double sub_due[DAEMON_MAX_PADS]; /* per pad: when the next line is due */
	double last_active; /* wall time of the last request */
	bool closing;
	bool dropped; /* its backlog passed the cap: freed at once */
};

/* Queue a line; false when the client was dropped for its backlog. */
bool api_send(struct api_client *c, json_t *msg);
json_t *api_reply(json_t *id, bool ok);
void api_ok(struct api_client *c, json_t *id);
void api_error(struct api_client *c, json_t *id, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
json_t *api_number(double v);
json_t *api_pad_json(const struct pad_conn *p);

/* The profile a request names or sends as text, with its overrides;
 * replies with the error itself and returns -1 when it is unusable. */
int api_profile_from_request(struct api_client *c, const struct request *r, struct profile *prof);

/* api_status.c: version, status, devices, subscribe */
void api_handle_status(struct api_client *c, const struct request *r);
/* api_control.c: start, stop, pause, resume, skip, extend, clear-faults, tune */
void api_handle_control(struct api_client *c, const struct request *r);
/* api_files.c: profiles, reload, sessions */
void api_handle_files(struct api_client *c, const struct request *r);

#endif
