/* SPDX-License-Identifier: MIT */
/*
 * thermopad: the command line. It talks only to the daemon, over its
 * socket; errors name the cause and the fix; exit codes are stable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thermopad_api.h"
#include "cli.h"

static const struct command commands[] = {
	{"start", cmd_start, "PROFILE [--pad SERIAL] [--set KEY=VALUE]...",
	 "Start a session with PROFILE (a built-in, one in /etc/thermopad/profiles, or your own in\n"
	 "~/.config/thermopad/profiles, which is sent with the request). --set overrides one value,\n"
	 "for example --set cycles=3 or --set hot.target_c=39; the daemon checks every value\n"
	 "against the safety limits. --pad names the pad when several are connected."},
	{"stop", cmd_session_op, "[--pad SERIAL]", "End the session: the drive ramps to zero, then off."},
	{"pause", cmd_session_op, "[--pad SERIAL]", "Drive zero, the session's clock held until resume."},
	{"resume", cmd_session_op, "[--pad SERIAL]", "Continue a paused session (refused while a fault is latched)."},
	{"skip", cmd_session_op, "[--pad SERIAL]", "Go on to the next phase."},
	{"extend", cmd_extend, "MINUTES [--pad SERIAL]", "Lengthen the current phase (a cold phase stays within its cap)."},
	{"status", cmd_status, "[--pad SERIAL]",
	 "The pad, profile, phase and cycle, target, plate and heat-sink temperatures, drive, time\n"
	 "left in the phase and the session, faults and warnings."},
	{"watch", cmd_watch, "[--until-idle]",
	 "A live view: a chart of target and plate temperature, the phase timeline with the current\n"
	 "position, and the numbers. q or Ctrl-C quits. When the output is not a terminal, one line\n"
	 "a second instead (--json: the raw stream). --until-idle returns when the session ends."},
	{"devices", cmd_status, "", "The pads the daemon sees, by serial number."},
	{"faults", cmd_faults, "", "The latched faults: which check, which sensor, the value and the limit."},
	{"clear-faults", cmd_session_op, "[--pad SERIAL]",
	 "Clear latched faults once their cause is gone (refused, with the cause, while it is not)."},
	{"tune", cmd_tune, "heat|cool [--pad SERIAL]",
	 "Autotune the controller on the pad (a relay test, a few minutes); the result is saved by\n"
	 "the pad's serial number and used from then on."},
	{"profiles", cmd_profiles, "list | show NAME | validate FILE | edit NAME",
	 "list: the profiles the daemon knows. show: a profile's text and the steps it will run.\n"
	 "validate: check a file without starting anything (errors as FILE:LINE). edit: copy a\n"
	 "built-in profile to ~/.config/thermopad/profiles, open $EDITOR, check it on save."},
	{"log", cmd_log, "list | show SESSION [--csv] | plot SESSION [-o FILE.png|FILE.svg]",
	 "list: the stored sessions with date, profile, duration and outcome. show: a session's\n"
	 "samples (--csv: as CSV). plot: a chart in the terminal, and with -o an image made by\n"
	 "gnuplot. SESSION is an id from the list, or \"latest\"."},
	{"version", cmd_version, "", "The versions of this program, the daemon, its API and the pad protocol."},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fprintf(out, "usage: thermopad [--socket PATH] [--json] [--no-color] COMMAND [ARGS]\n\n");
	for (int i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].args);
	fprintf(out,
		"\n`thermopad COMMAND --help` explains one command. The socket is --socket, else\n"
		"$THERMOPAD_SOCKET, else %s.\n"
		"Exit codes: 0 ok, 1 error, 2 usage, 3 daemon unreachable, 4 not permitted,\n"
		"5 refused because of an active fault.\n",
		API_DEFAULT_SOCKET);
}

const char *cli_sgr(const struct cli *c, const char *code)
{
	static char buf[4][16];
	static int next;
	if (!c->color)
		return "";
	char *b = buf[next++ % 4];
	snprintf(b, sizeof buf[0], "\033[%sm", code);
	return b;
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "thermopad %s: ", command);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (thermopad %s --help)\n", command);
	return EXIT_USAGE;
}

void cli_print_json(json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	puts(text ? text : "null");
	free(text);
	fflush(stdout);
}

int cli_connect(struct cli *c)
{
	char err[256];
	if (c->client.fd >= 0)
		return 0;
	if (client_connect(&c->client, c->socket, err, sizeof err) == 0)
		return 0;
	fprintf(stderr,
		"thermopad: cannot reach thermopadd at %s: %s.\n"
		"Is the service running? Try: systemctl status thermopadd (or set --socket / $THERMOPAD_SOCKET)\n",
		c->socket, err);
	return EXIT_UNREACHABLE;
}

int cli_call(struct cli *c, json_t *req, json_t **reply)
{
	int rc = cli_connect(c);
	if (rc) {
		json_decref(req);
		return rc;
	}
	json_t *r = client_call(&c->client, req);
	if (!r) {
		fprintf(stderr, "thermopad: the daemon at %s closed the connection\n", c->socket);
		return EXIT_UNREACHABLE;
	}
	if (json_is_true(json_object_get(r, "ok"))) {
		*reply = r;
		return 0;
	}
	json_t *e = json_object_get(r, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	snprintf(c->last_error, sizeof c->last_error, "%s", msg ? msg : "the daemon refused");
	snprintf(c->last_code, sizeof c->last_code, "%s", code ? code : "");
	rc = EXIT_ERROR;
	if (code && !strcmp(code, API_ERR_NOT_PERMITTED))
		rc = EXIT_NOT_PERMITTED;
	else if (code && !strcmp(code, API_ERR_FAULT_ACTIVE))
		rc = EXIT_FAULT;
	if (c->silent) {
		json_decref(r);
		return rc;
	}
	if (c->json)
		cli_print_json(r);
	else
		fprintf(stderr, "thermopad: %s\n", c->last_error);
	if (code && !strcmp(code, API_ERR_NOT_PERMITTED)) {
		if (!c->json)
			fprintf(stderr, "Ask an administrator to add you to the group: sudo usermod -aG thermopad $USER\n");
	} else if (code && !strcmp(code, API_ERR_FAULT_ACTIVE)) {
		if (!c->json)
			fprintf(stderr, "See the fault with: thermopad faults\n");
	} else if (code && !strcmp(code, API_ERR_UNKNOWN_PROFILE) && !c->json) {
		fprintf(stderr, "See the profiles with: thermopad profiles list\n");
	} else if (code && !strcmp(code, API_ERR_NO_PAD) && !c->json) {
		fprintf(stderr, "Plug the pad in, then check: thermopad devices\n");
	}
	json_decref(r);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c = {.socket = getenv("THERMOPAD_SOCKET")};
	c.client.fd = -1;
	const char *no_color = getenv("NO_COLOR");
	c.color = isatty(1) && !(no_color && *no_color);
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			c.socket = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			c.json = true;
		else if (!strcmp(argv[i], "--no-color"))
			c.color = false;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("thermopad " THERMOPAD_VERSION "\n");
			return 0;
		} else {
			fprintf(stderr, "thermopad: unknown option '%s'\n\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!c.socket || !*c.socket)
		c.socket = API_DEFAULT_SOCKET;
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const struct command *cmd = NULL;
	for (int k = 0; k < NCOMMANDS; k++)
		if (!strcmp(commands[k].name, argv[i]))
			cmd = &commands[k];
	if (!cmd) {
		fprintf(stderr, "thermopad: no command '%s' (thermopad --help lists them)\n", argv[i]);
		return EXIT_USAGE;
	}
	for (int k = i + 1; k < argc; k++)
		if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			printf("usage: thermopad %s %s\n\n%s\n", cmd->name, cmd->args, cmd->help);
			return 0;
		}
	/* --json also after the command, where people tend to put it */
	int n = 0;
	for (int k = i; k < argc; k++)
		if (!strcmp(argv[k], "--json"))
			c.json = true;
		else
			argv[i + n++] = argv[k];
	int rc = cmd->run(&c, n, argv + i);
	client_close(&c.client);
	return rc;
}
