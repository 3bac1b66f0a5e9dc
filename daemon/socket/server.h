/* SPDX-License-Identifier: MIT */
/*
 * The API socket's transport: connections, newline-delimited JSON
 * (docs/api.md), limits on every client, and who may control. Each request
 * line is parsed whole (request.c) and handed to the dispatch table
 * (dispatch.c); the handlers reply through server_send and friends.
 * What the handlers act on comes in server_env: the socket reaches the
 * pads, the store and the daemon's reload only through it.
 */
#ifndef THERMOPAD_SOCKET_SERVER_H
#define THERMOPAD_SOCKET_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "core/config.h"
#include "pad/pad.h"
#include "socket/request.h"
#include "thermopad_api.h"

struct profiles;
struct sessions_store;
struct session_log;
struct clock_model;
struct clock_lateness;

struct server_env {
	const struct config *cfg; /* the live configuration */
	struct pad_table *pads;
	struct profiles *profiles;
	struct sessions_store *sessions;
	const struct session_log *log;
	const struct clock_model *clock;
	const struct clock_lateness *ticks; /* the control tick's lateness */
	/* the daemon's reload: -1 when the configuration is broken, else how
	 * many profiles are, with what in report */
	int (*reload)(void *ctx, char *report, size_t len);
	void *reload_ctx;
};

struct api_client {
	struct api_client *next;
	struct server *srv;
	int fd;
	sd_event_source *src;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	bool control; /* may change the pad; else read-only */
	bool subscribed;
	double sub_period;
	double sub_due[PAD_MAX]; /* per pad: when the next line is due */
	double last_active; /* wall time of the last request */
	bool closing;
	bool dropped; /* its backlog passed the cap: freed at once */
};

struct server {
	struct server_env env;
	sd_event *event;
	int listen_fd;
	bool listen_inherited; /* from systemd: not ours to unlink */
	sd_event_source *listen_src, *sweep_src;
	struct api_client *clients;
	int nclients;
	/* per pad slot: the client whose clear the pad's reports will judge */
	struct {
		struct api_client *client;
		json_t *id;
	} clear_waiter[PAD_MAX];
	char socket_path[512];
};

/* Listens on socket_path (or takes systemd's socket, whose path then
 * replaces it). */
int server_start(struct server *s, sd_event *ev, const struct server_env *env, const char *socket_path, char *err,
		 size_t errlen);
void server_stop(struct server *s);

/* Queue a line; false when the client was dropped for its backlog. */
bool server_send(struct api_client *c, json_t *msg);
json_t *server_reply(json_t *id, bool ok);
void server_ok(struct api_client *c, json_t *id);
void server_error(struct api_client *c, json_t *id, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Frees a client that was dropped while it was being written to. */
void server_drop(struct api_client *c);

#endif
