/* SPDX-License-Identifier: MIT */
/* Commands on sessions and pads: start, stop, pause, resume, skip, extend,
 * clear-faults, tune, status, devices, faults, version. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thermopad_api.h"
#include "cli.h"

const char *cli_pad_option(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--pad"))
			return argv[i + 1];
	return NULL;
}

/* Only --pad SERIAL besides what the command itself takes (first n). */
static int only_pad_option(int argc, char **argv, int n)
{
	for (int i = 1 + n; i < argc; i++) {
		if (!strcmp(argv[i], "--pad") && i + 1 < argc)
			i++;
		else if (!strcmp(argv[i], "--pad"))
			return cli_usage_error(argv[0], "--pad needs a value (a serial: thermopad devices lists them)");
		else
			return cli_usage_error(argv[0], "unexpected '%s' (--pad SERIAL)", argv[i]);
	}
	return 0;
}

/* The request, for the pad named, or else the only one with a session */
static json_t *request(struct cli *c, const char *cmd, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd);
	char buf[64];
	const char *pad = cli_pad_option(argc, argv);
	if (!pad && strcmp(cmd, "start") && strcmp(cmd, "status"))
		pad = cli_default_pad(c, buf, sizeof buf);
	if (pad)
		json_object_set_new(req, "pad", json_string(pad));
	return req;
}

/* Sends req; prints the reply as JSON, or done_text when it is not NULL. */
static int act(struct cli *c, json_t *req, const char *done_text)
{
	json_t *r;
	int rc = cli_call(c, req, &r);
	if (rc)
		return rc;
	if (c->json)
		cli_print_json(r);
	else if (done_text)
		printf("%s\n", done_text);
	json_decref(r);
	return 0;
}

int cmd_start(struct cli *c, int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-')
		return cli_usage_error("start", "which profile? (thermopad profiles list)");
	const char *name = argv[1];
	json_t *req = json_pack("{s:s, s:s, s:[]}", "cmd", "start", "profile", name, "set");
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--pad") && i + 1 < argc) {
			json_object_set_new(req, "pad", json_string(argv[++i]));
		} else if (!strcmp(argv[i], "--set") && i + 1 < argc && strchr(argv[i + 1], '=')) {
			json_array_append_new(json_object_get(req, "set"), json_string(argv[++i]));
		} else if (!strcmp(argv[i], "--set") || !strcmp(argv[i], "--pad")) {
			json_decref(req);
			return cli_usage_error("start", "%s needs a value (%s)", argv[i],
					       !strcmp(argv[i], "--set") ? "KEY=VALUE, for example --set cycles=3"
									: "a serial: thermopad devices lists them");
		} else {
			json_decref(req);
			return cli_usage_error("start", "unexpected '%s' (--pad SERIAL, --set KEY=VALUE)", argv[i]);
		}
	}
	/* a profile of the user's own: the daemon cannot read the user's
	 * home, so its text goes with the request */
	char path[600], err[300];
	cli_user_profile_path(name, path, sizeof path);
	char *text = strchr(name, '/') ? NULL : cli_read_file(path, err, sizeof err);
	if (text) {
		json_object_set_new(req, "profile_text", json_string(text));
		free(text);
		if (!c->json)
			printf("using your profile %s\n", path);
	}
	char done[300];
	snprintf(done, sizeof done, "started %s (follow it with: thermopad watch)", name);
	return act(c, req, done);
}

int cmd_session_op(struct cli *c, int argc, char **argv)
{
	int rc = only_pad_option(argc, argv, 0);
	if (rc)
		return rc;
	char done[64];
	snprintf(done, sizeof done, "%s: done", argv[0]);
	return act(c, request(c, argv[0], argc, argv), done);
}

int cmd_extend(struct cli *c, int argc, char **argv)
{
	char *end = NULL;
	double minutes = argc >= 2 ? strtod(argv[1], &end) : NAN;
	if (argc < 2 || *end || !(minutes >= 0.1 && minutes <= 60))
		return cli_usage_error("extend", "MINUTES must be a number from 0.1 to 60");
	int rc = only_pad_option(argc, argv, 1);
	if (rc)
		return rc;
	json_t *req = request(c, "extend", argc, argv);
	json_object_set_new(req, "minutes", json_real(minutes));
	return act(c, req, "extend: done");
}

int cmd_tune(struct cli *c, int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "heat") && strcmp(argv[1], "cool")))
		return cli_usage_error("tune", "heat or cool?");
	int rc = only_pad_option(argc, argv, 1);
	if (rc)
		return rc;
	json_t *req = request(c, "tune", argc, argv);
	json_object_set_new(req, "direction", json_string(argv[1]));
	return act(c, req, "tune: started (thermopad watch follows it; the gains are saved when it ends)");
}

/* A latched fault on any pad the reply shows: exit 5 (thermopad(1)) */
static int fault_exit(json_t *reply)
{
	size_t i;
	json_t *pad;
	json_array_foreach(json_object_get(reply, "pads"), i, pad) if (json_is_object(json_object_get(pad, "fault")))
		return EXIT_FAULT;
	return 0;
}

/* status and devices for the pad named (checked, with "did you mean"),
 * or every pad */
static int pads_status(struct cli *c, int argc, char **argv, json_t **out)
{
	int rc = only_pad_option(argc, argv, 0);
	if (rc)
		return rc;
	const char *want = cli_pad_option(argc, argv);
	if (want && (rc = cli_check_pad(c, want)) != 0)
		return rc;
	if ((rc = cli_call(c, json_pack("{s:s}", "cmd", "status"), out)) != 0)
		return rc;
	json_t *pads = json_object_get(*out, "pads");
	for (size_t i = 0; want && i < json_array_size(pads);)
		if (strcmp(cli_str(json_array_get(pads, i), "serial", ""), want))
			json_array_remove(pads, i);
		else
			i++;
	return 0;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	json_t *r;
	int rc = pads_status(c, argc, argv, &r);
	if (rc)
		return rc;
	if (c->json)
		cli_print_json(r);
	else if (!strcmp(argv[0], "devices"))
		output_devices(c, r);
	else
		output_status(c, r);
	rc = strcmp(argv[0], "devices") ? fault_exit(r) : 0;
	json_decref(r);
	return rc;
}

int cmd_faults(struct cli *c, int argc, char **argv)
{
	json_t *r;
	int rc = pads_status(c, argc, argv, &r);
	if (rc)
		return rc;
	size_t i;
	json_t *pad, *faults = json_array();
	json_array_foreach(json_object_get(r, "pads"), i, pad)
	{
		json_t *f = json_object_get(pad, "fault");
		if (!json_is_object(f))
			continue;
		char text[2048];
		output_fault_text(f, text, sizeof text);
		json_array_append_new(faults, json_pack("{s:O, s:O, s:s}", "pad", json_object_get(pad, "serial"), "fault", f,
							"explained", text));
		if (!c->json)
			printf("pad %s: %s%s%s\n  clear it, once the cause is gone, with: thermopad clear-faults%s%s\n",
			       cli_str(pad, "serial", "?"), cli_sgr(c, "1;31"), text, cli_sgr(c, "0"),
			       json_array_size(json_object_get(r, "pads")) > 1 ? " --pad " : "",
			       json_array_size(json_object_get(r, "pads")) > 1 ? cli_str(pad, "serial", "") : "");
	}
	if (c->json) {
		json_t *o = json_pack("{s:O}", "faults", faults);
		cli_print_json(o);
		json_decref(o);
	} else if (!json_array_size(faults))
		printf("no fault latched\n");
	rc = json_array_size(faults) ? EXIT_FAULT : 0;
	json_decref(faults);
	json_decref(r);
	return rc;
}

int cmd_version(struct cli *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	json_t *r;
	int rc = cli_call(c, json_pack("{s:s}", "cmd", "version"), &r);
	if (rc)
		return rc;
	json_t *d = json_object_get(r, "daemon");
	if (c->json)
		cli_print_json(r);
	else
		printf("thermopad " THERMOPAD_VERSION ", daemon %s (API %lld, protocol %lld)\n",
		       json_string_value(json_object_get(d, "version")),
		       (long long)json_integer_value(json_object_get(d, "api")),
		       (long long)json_integer_value(json_object_get(d, "protocol")));
	json_decref(r);
	return 0;
}
