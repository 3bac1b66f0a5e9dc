/* SPDX-License-Identifier: MIT */
/*
 * thermopad: the command line. It talks only to the daemon, over its
 * socket; errors name the cause and the fix; exit codes are stable (see
 * usage()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: thermopad [--socket PATH] [--json] [--no-color] COMMAND [ARGS]\n"
		"\n"
		"  start PROFILE [--pad SERIAL] [--set KEY=VALUE]...   start a session\n"
		"  stop | pause | resume | skip                          act on the session\n"
		"  extend MINUTES                                        lengthen the current phase\n"
		"  status                                                pad, phase, temperatures, faults\n"
		"  watch [--until-idle]                                  follow the session, a line a second\n"
		"  devices                                               the pads the daemon sees\n"
		"  faults | clear-faults                                 show or clear latched faults\n"
		"  profiles list                                         the profiles the daemon knows\n"
		"  tune heat|cool [--pad SERIAL]                         autotune the pad (saved by serial)\n"
		"  version\n"
		"\n"
		"The socket is --socket, else $THERMOPAD_SOCKET, else %s.\n"
		"Exit codes: 0 ok, 1 error, 2 usage, 3 daemon unreachable, 4 not permitted,\n"
		"5 refused because of an active fault.\n",
		API_DEFAULT_SOCKET);
}

int cli_connect(struct cli *c)
{
	char err[256];
	if (c->client.fd > 0)
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
	if (rc)
		return rc;
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
	if (c->json) {
		char *text = json_dumps(r, JSON_COMPACT);
		puts(text ? text : "{}");
		free(text);
	} else {
		fprintf(stderr, "thermopad: %s\n", msg ? msg : "the daemon refused");
	}
	rc = EXIT_ERROR;
	if (code && !strcmp(code, API_ERR_NOT_PERMITTED)) {
		rc = EXIT_NOT_PERMITTED;
		if (!c->json)
			fprintf(stderr, "Ask an administrator to add you to the group: sudo usermod -aG thermopad $USER\n");
	} else if (code && !strcmp(code, API_ERR_FAULT_ACTIVE)) {
		rc = EXIT_FAULT;
		if (!c->json)
			fprintf(stderr, "See the fault with: thermopad faults\n");
	}
	json_decref(r);
	return rc;
}

static int simple(struct cli *c, const char *cmd, json_t *req)
{
	json_t *r;
	if (!req)
		req = json_object();
	json_object_set_new(req, "cmd", json_string(cmd));
	int rc = cli_call(c, req, &r);
	if (rc)
		return rc;
	if (c->json) {
		char *text = json_dumps(r, JSON_COMPACT);
		puts(text);
		free(text);
	} else if (!strcmp(cmd, "status")) {
		output_status(c, r);
	} else if (!strcmp(cmd, "devices")) {
		output_devices(c, r);
	} else if (!strcmp(cmd, "version")) {
		json_t *d = json_object_get(r, "daemon");
		printf("thermopad " THERMOPAD_VERSION ", daemon %s (API %lld, protocol %lld)\n",
		       json_string_value(json_object_get(d, "version")),
		       (long long)json_integer_value(json_object_get(d, "api")),
		       (long long)json_integer_value(json_object_get(d, "protocol")));
	} else if (!strcmp(cmd, "profiles-list")) {
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(r, "profiles"), i, p)
			printf("%-20s %s\n", json_string_value(json_object_get(p, "name")),
			       json_string_value(json_object_get(p, "description"))
				       ? json_string_value(json_object_get(p, "description"))
				       : json_string_value(json_object_get(p, "error")));
	}
	json_decref(r);
	return 0;
}

static int cmd_faults(struct cli *c)
{
	json_t *r, *req = json_pack("{s:s}", "cmd", "status");
	int rc = cli_call(c, req, &r);
	if (rc)
		return rc;
	size_t i;
	json_t *pad;
	int n = 0;
	json_array_foreach(json_object_get(r, "pads"), i, pad)
	{
		json_t *f = json_object_get(pad, "fault");
		if (!json_is_object(f))
			continue;
		n++;
		if (c->json) {
			char *t = json_dumps(f, JSON_COMPACT);
			printf("%s\n", t);
			free(t);
		} else {
			printf("pad %s: %s\n", json_string_value(json_object_get(pad, "serial")),
			       json_string_value(json_object_get(f, "message")));
		}
	}
	if (!n && !c->json)
		printf("no fault latched\n");
	json_decref(r);
	return 0;
}

static int cmd_watch(struct cli *c, bool until_idle)
{
	json_t *r, *req = json_pack("{s:s, s:f}", "cmd", "subscribe", "rate_hz", 1.0);
	int rc = cli_call(c, req, &r);
	if (rc)
		return rc;
	json_decref(r);
	bool seen_running = false;
	for (;;) {
		json_t *m = client_next(&c->client, 30000);
		if (!m) {
			fprintf(stderr, "thermopad: the daemon stopped answering\n");
			return EXIT_UNREACHABLE;
		}
		const char *ev = json_string_value(json_object_get(m, "event"));
		if (c->json) {
			char *t = json_dumps(m, JSON_COMPACT);
			puts(t);
			free(t);
			fflush(stdout);
		} else if (ev && !strcmp(ev, "telemetry")) {
			output_watch_line(c, json_object_get(m, "pad"));
		} else if (ev && !strcmp(ev, "event")) {
			printf("%s: %s\n", json_string_value(json_object_get(m, "severity")),
			       json_string_value(json_object_get(m, "message")));
			fflush(stdout);
		}
		if (ev && !strcmp(ev, "telemetry")) {
			const char *state = json_string_value(json_object_get(json_object_get(m, "pad"), "state"));
			seen_running |= state && strcmp(state, "idle") != 0;
			if (until_idle && seen_running && state && !strcmp(state, "idle")) {
				json_decref(m);
				return 0;
			}
		}
		json_decref(m);
	}
}

static int cmd_start(struct cli *c, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "thermopad start: which profile? (thermopad profiles list)\n");
		return EXIT_USAGE;
	}
	json_t *req = json_pack("{s:s, s:s, s:[]}", "cmd", "start", "profile", argv[1], "set");
	/* a profile of the user's own: the daemon cannot read the user's
	 * home, so its text goes with the request */
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char path[512];
	if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/thermopad/profiles/%s.ini", xdg, argv[1]);
	else
		snprintf(path, sizeof path, "%s/.config/thermopad/profiles/%s.ini", home ? home : "", argv[1]);
	FILE *f = strchr(argv[1], '/') ? NULL : fopen(path, "r");
	if (f) {
		static char text[65536];
		size_t n = fread(text, 1, sizeof text - 1, f);
		fclose(f);
		text[n] = '\0';
		json_object_set_new(req, "profile_text", json_string(text));
		if (!c->json)
			printf("using your profile %s\n", path);
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--pad") && i + 1 < argc) {
			json_object_set_new(req, "pad", json_string(argv[++i]));
		} else if (!strcmp(argv[i], "--set") && i + 1 < argc) {
			json_array_append_new(json_object_get(req, "set"), json_string(argv[++i]));
		} else {
			fprintf(stderr, "thermopad start: unexpected '%s' (--pad SERIAL, --set KEY=VALUE)\n", argv[i]);
			json_decref(req);
			return EXIT_USAGE;
		}
	}
	json_t *r;
	int rc = cli_call(c, req, &r);
	if (rc)
		return rc;
	if (!c->json)
		printf("started %s\n", argv[1]);
	json_decref(r);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = {.socket = getenv("THERMOPAD_SOCKET")};
	c.client.fd = -1;
	c.color = isatty(1) && !getenv("NO_COLOR");
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
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!c.socket)
		c.socket = API_DEFAULT_SOCKET;
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[i];
	int rest = argc - i;
	char **args = argv + i;
	int rc;
	if (rest > 1 && !strcmp(args[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "start"))
		rc = cmd_start(&c, rest, args);
	else if (!strcmp(cmd, "stop") || !strcmp(cmd, "pause") || !strcmp(cmd, "resume") || !strcmp(cmd, "skip") ||
		 !strcmp(cmd, "clear-faults") || !strcmp(cmd, "status") || !strcmp(cmd, "devices") ||
		 !strcmp(cmd, "version"))
		rc = simple(&c, cmd, NULL);
	else if (!strcmp(cmd, "extend") && rest == 2 && atof(args[1]) > 0)
		rc = simple(&c, cmd, json_pack("{s:f}", "minutes", atof(args[1])));
	else if (!strcmp(cmd, "tune") && rest >= 2 && (!strcmp(args[1], "heat") || !strcmp(args[1], "cool")))
		rc = simple(&c, cmd, json_pack("{s:s}", "direction", args[1]));
	else if (!strcmp(cmd, "faults"))
		rc = cmd_faults(&c);
	else if (!strcmp(cmd, "watch"))
		rc = cmd_watch(&c, rest > 1 && !strcmp(args[1], "--until-idle"));
	else if (!strcmp(cmd, "profiles") && rest == 2 && !strcmp(args[1], "list"))
		rc = simple(&c, "profiles-list", NULL);
	else {
		fprintf(stderr, "thermopad: unknown command or arguments: %s (thermopad --help)\n", cmd);
		rc = EXIT_USAGE;
	}
	if (!rc && !c.json && (!strcmp(cmd, "stop") || !strcmp(cmd, "pause") || !strcmp(cmd, "resume") ||
			       !strcmp(cmd, "skip") || !strcmp(cmd, "clear-faults") || !strcmp(cmd, "extend") ||
			       !strcmp(cmd, "tune")))
		printf("%s: done\n", cmd);
	client_close(&c.client);
	return rc;
}
