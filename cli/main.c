/* SPDX-License-Identifier: MIT */
/*
 * thermopad: the command line. It talks only to the daemon, over its
 * socket; errors name the cause and the fix; exit codes are stable.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
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
	 "left in the phase and the session, faults and warnings. Exit 5 while a fault is latched."},
	{"watch", cmd_watch, "[--until-idle] [--pad SERIAL]",
	 "A live view of the pad named, else of the one with a session: a chart of target and plate\n"
	 "temperature with a time axis, the phase timeline with the current position, the numbers and\n"
	 "the time the session ends. Keys: p pause/resume, s skip, e extend 1 min, x stop (asks), ? help,\n"
	 "q or Ctrl-C quits. A bell and a desktop notification at each phase, the end and a fault.\n"
	 "When the output is not a terminal, one line a second instead (--json: the raw stream).\n"
	 "--until-idle returns when the session ends (exit 5 if it ended with a fault)."},
	{"devices", cmd_status, "", "The pads the daemon sees, by serial number."},
	{"faults", cmd_faults, "[--pad SERIAL]",
	 "The latched faults: which check, which sensor, the value and the limit. Exit 5 while one is."},
	{"clear-faults", cmd_session_op, "[--pad SERIAL]",
	 "Clear latched faults once their cause is gone (refused, with the cause, while it is not)."},
	{"tune", cmd_tune, "heat|cool [--pad SERIAL]",
	 "Autotune the controller on the pad (a relay test, a few minutes); the result is saved by\n"
	 "the pad's serial number and used from then on."},
	{"profiles", cmd_profiles, "list | show NAME | validate FILE | edit NAME | new NAME [--from PROFILE] | revert NAME",
	 "list: the daemon's profiles and your own (marked). show: a profile's text and the steps it\n"
	 "will run. validate: check a file without starting anything and without the daemon (its own\n"
	 "parser, the limits of /etc/thermopad/thermopad.conf or $THERMOPAD_CONFIG; errors as\n"
	 "FILE:LINE). edit: open your copy in $EDITOR (made from the daemon's profile, or new), check it\n"
	 "on save. new: your own profile in ~/.config/thermopad/profiles, from PROFILE or a template.\n"
	 "revert: set aside your copy that shadows the daemon's profile (kept as NAME.ini.reverted)."},
	{"log", cmd_log, "list | show [SESSION] [--csv] | plot [SESSION] [-o FILE.png|FILE.svg] [--pad SERIAL]",
	 "list: the stored sessions with date, profile, duration and outcome. show: a session's\n"
	 "samples (--csv: as CSV). plot: a chart in the terminal, and with -o an image made by\n"
	 "gnuplot. SESSION is an id from the list, or \"latest\"."},
	{"doctor", cmd_doctor, "",
	 "Checks, in order, what using the pad needs: the daemon running and its socket answering, your\n"
	 "group membership (and whether you must log in again), the pad on USB, the udev rule installed\n"
	 "and applied to it, the pad taken by the daemon and its firmware's protocol, latched faults,\n"
	 "the profiles (the daemon's and yours), the space for session logs, the daemon's clock. Each\n"
	 "line is a verdict (ok, warn, FAIL) with what to do. Exit: 0 when nothing fails, else the\n"
	 "first failure's class: 3 daemon unreachable, 4 not permitted (group), 5 a fault latched,\n"
	 "1 anything else."},
	{"version", cmd_version, "", "The versions of this program, the daemon, its API and the pad protocol."},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fprintf(out, "usage: thermopad [--socket PATH] [--json] [--no-color] [--fahrenheit|--celsius] COMMAND [ARGS]\n\n");
	for (int i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].args);
	fprintf(out,
		"\n`thermopad COMMAND --help` explains one command. The socket is --socket, else\n"
		"$THERMOPAD_SOCKET, else %s.\n"
		"Exit codes: 0 ok, 1 error, 2 usage, 3 daemon unreachable, 4 not permitted,\n"
		"5 a fault is latched (status, faults) or refused because of one.\n",
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

static void __attribute__((format(printf, 5, 0)))
vreport(struct cli *c, int rc, const char *code, const char *hint, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (c && c->json) {
		json_t *o = json_pack("{s:b, s:{s:s, s:s}, s:i}", "ok", 0, "error", "code", code, "message", msg, "exit", rc);
		if (hint)
			json_object_set_new(json_object_get(o, "error"), "hint", json_string(hint));
		cli_print_json(o);
		json_decref(o);
		return;
	}
	fprintf(stderr, "thermopad: %s\n", msg);
	if (hint)
		fprintf(stderr, "%s\n", hint);
}

/* The one place that reports an error of the command line's own. */
int cli_error(struct cli *c, int rc, const char *code, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(c, rc, code, hint, fmt, ap);
	va_end(ap);
	return rc;
}

static struct cli *current; /* for cli_usage_error, called from everywhere */

int cli_usage_error(const char *command, const char *fmt, ...)
{
	char msg[800], hint[100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(hint, sizeof hint, "thermopad %s --help explains it", command);
	return cli_error(current, EXIT_USAGE, "usage", hint, "%s: %s", command, msg);
}

void cli_print_json(json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(10));
	puts(text ? text : "null");
	free(text);
	fflush(stdout);
}

/* Edit distance with transpositions (optimal string alignment), for "did
 * you mean": "stauts" is one step from "status" */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 60 || lb > 60)
		return 99;
	int d[61][61];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *cli_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	int best_d = 99, limit = (int)strlen(word) / 3 + 1;
	for (size_t i = 0; i < n; i++) {
		if (!candidates[i])
			continue;
		int d = distance(word, candidates[i]);
		if (strncmp(word, candidates[i], strlen(word)) == 0 && strlen(word) >= 2)
			d = 1; /* a prefix */
		if (d < best_d)
			best = candidates[i], best_d = d;
	}
	return best_d <= limit ? best : NULL;
}

/* Whether the user has the group: in this login, or in /etc/group only
 * (a group is given at login, so a new member logs in again first). */
/* The group's entry in the group database; $THERMOPAD_GROUP_FILE, a file
 * in group(5)'s format, replaces the database, so that "joined but not
 * logged in again" (in the member list, not in this process's groups) can
 * be judged without editing the system's /etc/group */
static struct group *group_entry(void)
{
	const char *file = getenv("THERMOPAD_GROUP_FILE");
	if (!file || !*file)
		return getgrnam(CLI_GROUP);
	FILE *f = fopen(file, "re");
	struct group *g = NULL;
	while (f && (g = fgetgrent(f)) != NULL && strcmp(g->gr_name, CLI_GROUP) != 0)
		;
	if (f)
		fclose(f); /* g points into fgetgrent's own buffer, not the stream's */
	return g;
}

enum cli_membership cli_group_membership(void)
{
	struct group *g = group_entry();
	struct passwd *pw = getpwuid(getuid());
	if (!g)
		return CLI_NO_GROUP;
	gid_t groups[256];
	int n = getgroups(256, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return CLI_MEMBER;
	if (getgid() == g->gr_gid)
		return CLI_MEMBER;
	if (pw && pw->pw_gid == g->gr_gid)
		return CLI_MEMBER_NEXT_LOGIN;
	for (char **m = g->gr_mem; pw && m && *m; m++)
		if (!strcmp(*m, pw->pw_name))
			return CLI_MEMBER_NEXT_LOGIN;
	return CLI_NOT_MEMBER;
}

void cli_group_hint(char *buf, size_t len)
{
	if (cli_group_membership() == CLI_MEMBER_NEXT_LOGIN)
		snprintf(buf, len,
			 "You are in the group '" CLI_GROUP "' but this login is not yet: log out and in again (or\n"
			 "run: newgrp " CLI_GROUP "); a group is given at login.");
	else
		snprintf(buf, len,
			 "Only members of the group '" CLI_GROUP "' may use the pad. Ask an administrator:\n"
			 "  sudo usermod -aG " CLI_GROUP " $USER\n"
			 "then log out and in again (a new group is given at login).");
}

int cli_connect(struct cli *c)
{
	char err[256];
	if (c->client.fd >= 0)
		return 0;
	if (client_connect(&c->client, c->socket, err, sizeof err) == 0)
		return 0;
	if (errno == EACCES || errno == EPERM) {
		char hint[400];
		cli_group_hint(hint, sizeof hint);
		return cli_error(c, EXIT_NOT_PERMITTED, API_ERR_NOT_PERMITTED, hint,
				 "not permitted to use thermopadd's socket %s (%s)", c->socket, err);
	}
	return cli_error(c, EXIT_UNREACHABLE, "unreachable",
			 "Is the service running? Try: systemctl status thermopadd (or set --socket / $THERMOPAD_SOCKET);\n"
			 "thermopad doctor checks the whole chain.",
			 "cannot reach thermopadd at %s: %s", c->socket, err);
}

/* The suggestion for a daemon's refusal that names something unknown */
static void suggest_for(struct cli *c, const char *code, const char *msg, char *hint, size_t len);

int cli_call(struct cli *c, json_t *req, json_t **reply)
{
	int rc = cli_connect(c);
	if (rc) {
		json_decref(req);
		return rc;
	}
	json_t *r = client_call(&c->client, req);
	if (!r)
		return cli_error(c, EXIT_UNREACHABLE, "unreachable", NULL, "the daemon at %s closed the connection", c->socket);
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
	json_decref(r);
	if (c->silent)
		return rc;
	char hint[600] = "";
	if (rc == EXIT_NOT_PERMITTED)
		cli_group_hint(hint, sizeof hint);
	else if (rc == EXIT_FAULT)
		snprintf(hint, sizeof hint, "See the fault with: thermopad faults");
	else
		suggest_for(c, c->last_code, c->last_error, hint, sizeof hint);
	return cli_error(c, rc, c->last_code[0] ? c->last_code : "refused", hint[0] ? hint : NULL, "%s", c->last_error);
}

/* A second question to the daemon, quietly: what names does it know? */
static size_t known_names(struct cli *c, const char *cmd, const char *list, const char *key, const char **names,
			  size_t max, json_t **hold)
{
	bool silent = c->silent;
	c->silent = true;
	json_t *r;
	size_t n = 0;
	*hold = NULL;
	if (cli_call(c, json_pack("{s:s}", "cmd", cmd), &r) == 0) {
		size_t i;
		json_t *o;
		json_array_foreach(json_object_get(r, list), i, o) if (n < max) names[n++] = cli_str(o, key, NULL);
		*hold = r;
	} else { /* the daemon may have closed: the next request reconnects */
		client_close(&c->client);
		c->client.closed = false;
	}
	c->silent = silent;
	return n;
}

static void suggest_for(struct cli *c, const char *code, const char *msg, char *hint, size_t len)
{
	const char *names[64], *hit = NULL;
	json_t *hold = NULL;
	char word[128] = "";
	if (!strcmp(code, API_ERR_UNKNOWN_PROFILE)) {
		/* the daemon says: unknown profile 'NAME' ... */
		const char *q = strchr(msg, '\'');
		if (q)
			sscanf(q + 1, "%127[^']", word);
		size_t n = known_names(c, "profiles-list", "profiles", "name", names, 64, &hold);
		hit = word[0] ? cli_suggest(word, names, n) : NULL;
		/* the daemon's message may name the list already: the hint once */
		bool named = strstr(msg, "profiles list") != NULL;
		snprintf(hint, len, "%s%s%s%s", hit ? "Did you mean " : "", hit ? hit : "", hit ? "?" : "",
			 named ? "" : hit ? " See the profiles with: thermopad profiles list"
					 : "See the profiles with: thermopad profiles list");
	} else if (!strcmp(code, API_ERR_NO_PAD)) {
		const char *q = strstr(msg, "serial ");
		if (q)
			sscanf(q + 7, "%127[^ ,;:]", word);
		size_t n = known_names(c, "status", "pads", "serial", names, 64, &hold);
		hit = word[0] ? cli_suggest(word, names, n) : NULL;
		snprintf(hint, len, "%s%s%s%s", hit ? "Did you mean " : "", hit ? hit : "", hit ? "? " : "",
			 n ? "See the pads with: thermopad devices" : "Plug the pad in, then check: thermopad devices");
	} else if (!strcmp(code, API_ERR_PAD_AMBIGUOUS)) {
		snprintf(hint, len, "Name one with --pad SERIAL (thermopad devices lists them)");
	}
	json_decref(hold);
}

int cli_check_pad(struct cli *c, const char *serial)
{
	const char *names[64];
	json_t *hold;
	size_t n = known_names(c, "status", "pads", "serial", names, 64, &hold);
	if (!hold) /* the daemon could not be asked: the request says why */
		return cli_call(c, json_pack("{s:s}", "cmd", "status"), &hold) ? EXIT_UNREACHABLE : (json_decref(hold), 0);
	bool found = false;
	for (size_t i = 0; i < n; i++)
		found |= names[i] && !strcmp(names[i], serial);
	const char *hit = found ? NULL : cli_suggest(serial, names, n);
	char hint[200];
	snprintf(hint, sizeof hint, "%s%s%sSee the pads with: thermopad devices", hit ? "Did you mean " : "", hit ? hit : "",
		 hit ? "? " : "");
	int rc = found ? 0 : cli_error(c, EXIT_ERROR, API_ERR_NO_PAD, hint, "no pad with serial %s", serial);
	json_decref(hold);
	return rc;
}

/* The pad a command acts on when it names none: the only one with a
 * session, when there is exactly one and several pads (the daemon
 * refuses to guess); NULL: let the daemon choose. */
const char *cli_default_pad(struct cli *c, char *buf, size_t len)
{
	bool silent = c->silent;
	c->silent = true;
	json_t *r;
	const char *pick = NULL;
	if (cli_call(c, json_pack("{s:s}", "cmd", "status"), &r) == 0) {
		size_t i, busy = 0;
		json_t *pad, *pads = json_object_get(r, "pads");
		json_array_foreach(pads, i, pad) if (strcmp(cli_str(pad, "state", "idle"), "idle"))
		{
			busy++;
			snprintf(buf, len, "%s", cli_str(pad, "serial", ""));
		}
		pick = busy == 1 && json_array_size(pads) > 1 ? buf : NULL;
		json_decref(r);
	} else { /* the daemon may have closed: the next request reconnects */
		client_close(&c->client);
		c->client.closed = false;
	}
	c->silent = silent;
	return pick;
}

/* A desktop notification (freedesktop.org's Notify over the session bus),
 * sent without waiting for the answer; silent without a desktop session
 * or with THERMOPAD_NOTIFY=0. */
void cli_notify(struct cli *c, const char *text)
{
	static sd_bus *bus;
	static bool tried;
	const char *env = getenv("THERMOPAD_NOTIFY");
	if (env && !strcmp(env, "0"))
		return;
	if (!tried) {
		tried = true;
		if (!getenv("DBUS_SESSION_BUS_ADDRESS") || sd_bus_open_user(&bus) < 0)
			bus = NULL;
	}
	if (!bus)
		return;
	(void)c;
	sd_bus_message *m = NULL;
	if (sd_bus_message_new_method_call(bus, &m, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
					   "org.freedesktop.Notifications", "Notify") < 0)
		return;
	int r = sd_bus_message_append(m, "susssasa{sv}i", "thermopad", 0u, "", "thermopad", text, 0, 0, -1);
	if (r >= 0)
		r = sd_bus_call_async(bus, NULL, m, NULL, NULL, 0);
	sd_bus_message_unref(m);
	if (r >= 0)
		sd_bus_flush(bus);
}

/* The display setting: $XDG_CONFIG_HOME/thermopad/cli.conf (or
 * ~/.config/...), "units = fahrenheit" or "units = celsius". */
static void read_settings(struct cli *c)
{
	char path[600];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/thermopad/cli.conf", xdg);
	else if (home)
		snprintf(path, sizeof path, "%s/.config/thermopad/cli.conf", home);
	else
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[256], value[64];
	while (fgets(line, sizeof line, f))
		if (sscanf(line, " units = %63s", value) == 1)
			c->fahrenheit = !strcmp(value, "fahrenheit") || !strcmp(value, "F");
	fclose(f);
}

int main(int argc, char **argv)
{
	struct cli c = {.socket = getenv("THERMOPAD_SOCKET")};
	c.client.fd = -1;
	current = &c;
	const char *no_color = getenv("NO_COLOR");
	c.color = isatty(1) && !(no_color && *no_color);
	read_settings(&c);
	/* --json anywhere, so that even a usage error comes as JSON */
	for (int k = 1; k < argc; k++)
		if (!strcmp(argv[k], "--json"))
			c.json = true;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			c.socket = argv[++i];
		else if (!strcmp(argv[i], "--socket"))
			return cli_error(&c, EXIT_USAGE, "usage", "thermopad --help", "--socket needs a value (a path)");
		else if (!strcmp(argv[i], "--json"))
			c.json = true;
		else if (!strcmp(argv[i], "--no-color"))
			c.color = false;
		else if (!strcmp(argv[i], "--fahrenheit"))
			c.fahrenheit = true;
		else if (!strcmp(argv[i], "--celsius"))
			c.fahrenheit = false;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("thermopad " THERMOPAD_VERSION "\n");
			return 0;
		} else {
			static const char *const opts[] = {"--socket", "--json", "--no-color", "--fahrenheit", "--celsius",
							   "--help", "--version"};
			const char *hit = cli_suggest(argv[i], opts, sizeof opts / sizeof opts[0]);
			char hint[80];
			snprintf(hint, sizeof hint, "%s%s%sthermopad --help lists the options", hit ? "Did you mean " : "",
				 hit ? hit : "", hit ? "? " : "");
			return cli_error(&c, EXIT_USAGE, "usage", hint, "unknown option '%s'", argv[i]);
		}
	}
	if (!c.socket || !*c.socket)
		c.socket = API_DEFAULT_SOCKET;
	if (i >= argc) {
		if (c.json)
			return cli_error(&c, EXIT_USAGE, "usage", "thermopad --help", "which command?");
		usage(stderr);
		return EXIT_USAGE;
	}
	const struct command *cmd = NULL;
	const char *names[NCOMMANDS];
	for (int k = 0; k < NCOMMANDS; k++) {
		names[k] = commands[k].name;
		if (!strcmp(commands[k].name, argv[i]))
			cmd = &commands[k];
	}
	if (!cmd) {
		const char *hit = cli_suggest(argv[i], names, NCOMMANDS);
		char hint[80];
		snprintf(hint, sizeof hint, "%s%s%sthermopad --help lists them", hit ? "Did you mean " : "", hit ? hit : "",
			 hit ? "? " : "");
		return cli_error(&c, EXIT_USAGE, "usage", hint, "no command '%s'", argv[i]);
	}
	for (int k = i + 1; k < argc; k++)
		if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			printf("usage: thermopad %s %s\n\n%s\n", cmd->name, cmd->args, cmd->help);
			return 0;
		}
	/* --json and the units also after the command, where people tend to
	 * put them */
	int n = 0;
	for (int k = i; k < argc; k++)
		if (!strcmp(argv[k], "--json"))
			c.json = true;
		else if (!strcmp(argv[k], "--fahrenheit"))
			c.fahrenheit = true;
		else if (!strcmp(argv[k], "--celsius"))
			c.fahrenheit = false;
		else
			argv[i + n++] = argv[k];
	int rc = cmd->run(&c, n, argv + i);
	client_close(&c.client);
	return rc;
}
