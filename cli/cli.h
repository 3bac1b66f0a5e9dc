/* SPDX-License-Identifier: MIT */
/* thermopad, the command line: shared between its files. */
#ifndef THERMOPAD_CLI_H
#define THERMOPAD_CLI_H

#include <jansson.h>
#include <stdbool.h>

#include "client.h"

/* exit codes (thermopad(1)) */
enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3, EXIT_NOT_PERMITTED = 4, EXIT_FAULT = 5 };

struct cli {
	const char *socket;
	bool json;
	bool color;
	struct client client;
};

/* One request; prints the error (with cause and fix) and returns its exit
 * code, or returns 0 with *reply set. */
int cli_call(struct cli *c, json_t *req, json_t **reply);
int cli_connect(struct cli *c);

/* output.c */
void output_status(const struct cli *c, json_t *reply);
void output_devices(const struct cli *c, json_t *reply);
void output_watch_line(const struct cli *c, json_t *pad);

#endif
