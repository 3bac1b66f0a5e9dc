/* SPDX-License-Identifier: MIT */
/*
 * The request handlers, one per request kind, by what they act on:
 * status_requests.c (what the daemon and its pads are doing),
 * control_requests.c (what changes a pad), file_requests.c (profiles,
 * reload, stored sessions). dispatch.c's table names them.
 */
#ifndef THERMOPAD_SOCKET_HANDLERS_H
#define THERMOPAD_SOCKET_HANDLERS_H

#include "socket/server.h"

void handle_version(struct api_client *c, const struct request *r);
void handle_status(struct api_client *c, const struct request *r);
void handle_subscribe(struct api_client *c, const struct request *r);

void handle_start(struct api_client *c, const struct request *r);
void handle_stop(struct api_client *c, const struct request *r);
void handle_pause(struct api_client *c, const struct request *r);
void handle_resume(struct api_client *c, const struct request *r);
void handle_skip(struct api_client *c, const struct request *r);
void handle_extend(struct api_client *c, const struct request *r);
void handle_clear_faults(struct api_client *c, const struct request *r);
void handle_tune(struct api_client *c, const struct request *r);
/* A clear the pad's reports judge is answered when the core says how
 * (its "faults-cleared" or "clear-refused" event); a client that goes
 * first is forgotten. */
void handle_clear_judged(struct server *srv, const struct pad_slot *p, const struct core_event *e);
void handle_client_gone(struct api_client *c);

void handle_profiles_list(struct api_client *c, const struct request *r);
void handle_profiles_show(struct api_client *c, const struct request *r);
void handle_profiles_validate(struct api_client *c, const struct request *r);
void handle_reload(struct api_client *c, const struct request *r);
void handle_sessions_list(struct api_client *c, const struct request *r);
void handle_session_samples(struct api_client *c, const struct request *r);

/* The profile a request names or sends as text, with its overrides;
 * replies with the error itself and returns -1 when it is unusable. */
int handle_profile_from_request(struct api_client *c, const struct request *r, struct profile *prof);

#endif
