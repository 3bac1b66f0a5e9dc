/* SPDX-License-Identifier: MIT */
/* thermopad, the command line: shared between its files. */
#ifndef THERMOPAD_CLI_H
#define THERMOPAD_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "client.h"

#define CLI_GROUP "thermopad" /* who may use the socket (sysusers) */
#define CLI_CONFIG_PATH "/etc/thermopad/thermopad.conf" /* the daemon's, unless $THERMOPAD_CONFIG */

/* exit codes (thermopad(1)) */
enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3, EXIT_NOT_PERMITTED = 4, EXIT_FAULT = 5 };

struct cli {
	const char *socket;
	bool json;
	bool color; /* a terminal, and NO_COLOR unset */
	bool silent; /* cli_call keeps the daemon's error to itself */
	bool fahrenheit; /* display only: values are stored and sent in Celsius */
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
/* The one place an error is reported: text on stderr with the hint on
 * its own lines, or with --json an object on stdout
 * {"ok":false,"error":{"code","message","hint"},"exit":N}. Returns rc. */
int cli_error(struct cli *c, int rc, const char *code, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The candidate closest to word, when close enough to be a typo; or NULL */
const char *cli_suggest(const char *word, const char *const *candidates, size_t n);
enum cli_membership { CLI_MEMBER, CLI_MEMBER_NEXT_LOGIN, CLI_NOT_MEMBER, CLI_NO_GROUP };
enum cli_membership cli_group_membership(void);
/* What to do about the group: join it, or log in again after joining */
void cli_group_hint(char *buf, size_t len);
/* 0 when the daemon knows a pad by that serial, else the error (with "did
 * you mean") reported */
int cli_check_pad(struct cli *c, const char *serial);
/* The only pad with a session when several are there (into buf), or NULL */
const char *cli_default_pad(struct cli *c, char *buf, size_t len);
/* A desktop notification, when a desktop session is there */
void cli_notify(struct cli *c, const char *text);
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
struct profile;
/* Parses a profile file's text as the daemon would (the same parser, the
 * limits of the daemon's configuration file, else the defaults: which, in
 * note): 0, or -1 with "FILE:LINE: message" in err. */
int cli_profile_check(const char *path, const char *text, struct profile *out, char *note, size_t notelen, char *err,
		      size_t errlen);

/* The user's own profiles, each parsed: name, path, own, description or
 * error (a new array) */
json_t *cli_own_profiles(void);

/* doctor.c */
int cmd_doctor(struct cli *c, int argc, char **argv);

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
/* A temperature for a person: "--" when not read (NaN, absent, the
 * sensor's invalid value), else with its unit ("38.25 C" or "100.85 F").
 * The text lives until eight more calls. */
const char *output_temp(const struct cli *c, double celsius, int decimals);
/* A number with its sign or not, or "--" when it is not one. */
const char *output_num(bool sign, int decimals, double v);
/* The meaning of each firmware fault bit named in a firmware-fault
 * message ("fault bits 0x11"): "watchdog (the pad heard ...); ...". */
void output_fw_bits(unsigned bits, char *buf, size_t len);
/* A fault for a person: the daemon's message, with firmware bits by name */
void output_fault_text(json_t *fault, char *buf, size_t len);

#endif
