/* SPDX-License-Identifier: MIT */
/* thermopad, the command line: shared between its files. */
#ifndef THERMOPAD_CLI_H
#define THERMOPAD_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "client.h"

/* exit codes (thermopad(1)) */
enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3, EXIT_NOT_PERMITTED = 4, EXIT_FAULT = 5 };

struct cli {
	const char *socket;
	bool json;
	bool color; /* a terminal, and NO_COLOR unset */
	bool silent; /* cli_call keeps the daemon's error to itself */
	char last_error[512], last_code[32]; /* the daemon's last refusal */
	struct client client;
};

struct command {
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv); /* argv[0] is the command */
	const char *args; /* after the name, for the synopsis */
	const char *help; /* a paragraph for `thermopad COMMAND --help` */
};

/* main.c */
int cli_connect(struct cli *c);
/* One request; prints the error (with cause and fix) and returns its exit
 * code, or returns 0 with *reply set. */
int cli_call(struct cli *c, json_t *req, json_t **reply);
void cli_print_json(json_t *v);
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ANSI SGR text when colour is on, "" otherwise */
const char *cli_sgr(const struct cli *c, const char *code);

/* commands.c: sessions and pads */
int cmd_start(struct cli *c, int argc, char **argv);
int cmd_session_op(struct cli *c, int argc, char **argv);
int cmd_extend(struct cli *c, int argc, char **argv);
int cmd_tune(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_faults(struct cli *c, int argc, char **argv);
int cmd_version(struct cli *c, int argc, char **argv);
/* "--pad SERIAL" anywhere in argv: the serial, or NULL */
const char *cli_pad_option(int argc, char **argv);

/* profiles.c */
int cmd_profiles(struct cli *c, int argc, char **argv);
/* $XDG_CONFIG_HOME/thermopad/profiles/NAME.ini (or ~/.config/...) */
void cli_user_profile_path(const char *name, char *buf, size_t len);
/* the file's text, or NULL (free it) */
char *cli_read_file(const char *path, char *err, size_t errlen);

/* log.c */
int cmd_log(struct cli *c, int argc, char **argv);

/* watch.c */
int cmd_watch(struct cli *c, int argc, char **argv);

/* output.c */
double cli_num(json_t *o, const char *key); /* NaN when absent */
const char *cli_str(json_t *o, const char *key, const char *dflt);
void output_status(const struct cli *c, json_t *reply);
void output_devices(const struct cli *c, json_t *reply);
void output_watch_line(const struct cli *c, json_t *pad);
void output_clock(double s, char *buf, size_t len);

#endif
