/* SPDX-License-Identifier: MIT */
/*
 * The API socket's transport: connections, newline-delimited JSON
 * (docs/api.md), limits on every client, and who may control. Each request
 * line is parsed whole (request.c) and handed to env.request (the
 * dispatch table, dispatch.c); the handlers reply through server_send and
 * friends.
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

struct api_client;
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
	/* where a parsed request goes (dispatch_request): the transport
	 * does not know the handlers */
	void (*request)(struct api_client *c, const struct request *r);
	/* told before a client is freed (a handler may be waiting on it) */
	void (*client_gone)(struct api_client *c);
};

/* A reply too large to build at once (a stored session's samples): the
 * server calls step while the client's queue is short, in turn with the
 * other clients and after the tick by loop priority, so that each call is
 * a bounded slice of work. step appends with server_send_bytes and returns
 * 1 while there is more, 0 when the reply is whole, -1 when it cannot go
 * on (the connection is then closed: a cut reply never looks whole). */
struct api_client;

struct api_job {
	int (*step)(struct api_client *c, void *state);
	void (*free)(void *state);
	void *state;
};

struct api_buffer {
	char *data;
	size_t len, cap;
};

struct api_client {
	struct api_client *next;
	struct server *srv;
	int fd;
	sd_event_source *src;
	sd_event_source *job_src; /* runs job's slices */
	char *in;
	size_t in_len; /* received, not yet handled: up to max_message_bytes + newline */
	struct api_buffer out; /* queued for the socket */
	struct api_buffer held; /* stream lines that fall due while a job's reply is on its way */
	struct api_job job; /* job.step is NULL when none runs */
	bool control; /* may change the pad; else read-only */
	bool reserved; /* in a slot kept for control clients: may not subscribe */
	bool eof; /* the client sent its last byte: its replies still go out */
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
	/* the share of the loop clients may use: its window, and a pause */
	double window_start, window_used_s;
	bool paused;
	/* the longest a client's callback held the loop, in the loop thread's
	 * CPU time: the slice the tick can wait behind, whatever the machine's
	 * load (status reports it) */
	double slice_cpu_max_s;
	sd_event_source *resume_src;
};

/* Listens on socket_path (or takes systemd's socket, whose path then
 * replaces it). */
int server_start(struct server *s, sd_event *ev, const struct server_env *env, const char *socket_path, char *err,
		 size_t errlen);
void server_stop(struct server *s);

/* Queue a reply (taking msg): a reply is never dropped; a client with more
 * than max_output_bytes unsent is not read from until it reads. Returns
 * false only when the reply could not be made (an error reply is sent in
 * its place) or memory ran out (the client is then closed). */
bool server_send(struct api_client *c, json_t *msg);
/* Queue a stream line (taking msg); false when the client's backlog passed
 * max_output_bytes and it was dropped (then server_drop it). */
bool server_send_stream(struct api_client *c, json_t *msg);
/* The same stream line, made once, for each subscriber it is due to. */
bool server_send_stream_text(struct api_client *c, const char *text, size_t n);
/* A job's bytes, appended as they are (no newline added). */
bool server_send_bytes(struct api_client *c, const char *bytes, size_t n);
/* Hands the rest of the reply to a job; the client's input waits. */
void server_start_job(struct api_client *c, const struct api_job *job);
json_t *server_reply(json_t *id, bool ok);
void server_ok(struct api_client *c, json_t *id);
void server_error(struct api_client *c, json_t *id, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Frees a client that was dropped while it was being written to. */
void server_drop(struct api_client *c);

#endif
