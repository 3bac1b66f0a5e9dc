/* SPDX-License-Identifier: MIT */
/* A client of the daemon's socket: one JSON request, its reply; and the
 * stream of a subscription. */
#ifndef THERMOPAD_CLIENT_H
#define THERMOPAD_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CLIENT_MAX_LINE (16u << 20)

struct client {
	int fd;
	char *buf; /* grows to CLIENT_MAX_LINE */
	size_t len, cap;
	int next_id;
	bool closed; /* the daemon closed the connection */
};

/* 0, or -1 with the reason (errno kept). */
int client_connect(struct client *c, const char *path, char *err, size_t errlen);
void client_close(struct client *c);
/* Sends req (adds "v" and "id"; steals the reference) and returns the
 * reply (a new reference), skipping stream messages; NULL on a broken
 * connection. */
json_t *client_call(struct client *c, json_t *req);
/* The next line of a stream (a new reference), or NULL; waits up to
 * timeout_ms (-1: forever). */
json_t *client_next(struct client *c, int timeout_ms);

#endif
