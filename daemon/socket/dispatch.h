/* SPDX-License-Identifier: MIT */
/*
 * Which handler serves which request: one table indexed by the request
 * enum. A kind the table has no handler for is refused in words (never
 * passed to some other handler); dispatch_missing tells a test which kinds
 * lack one, so that the table is checked complete.
 */
#ifndef THERMOPAD_SOCKET_DISPATCH_H
#define THERMOPAD_SOCKET_DISPATCH_H

#include "socket/request.h"

struct api_client;

typedef void dispatch_handler(struct api_client *c, const struct request *r);

struct dispatch_entry {
	dispatch_handler *handle;
};

/* The daemon's table. */
extern const struct dispatch_entry dispatch_table[REQ_COUNT];

/* Permission first (a control request from a read-only client is
 * refused), then the table's handler, or an explicit refusal. */
void dispatch_request(struct api_client *c, const struct request *r);
void dispatch_with(const struct dispatch_entry *table, size_t n, struct api_client *c, const struct request *r);
/* The first kind without a handler, or REQ_COUNT when there is none. */
enum request_cmd dispatch_missing(const struct dispatch_entry *table, size_t n);

#endif
