/* SPDX-License-Identifier: MIT */
/* thermopad profiles list | show NAME | validate FILE | edit NAME. The
 * daemon parses and checks every profile (one parser, one set of limits);
 * this side reads and writes the user's own files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "thermopad_api.h"
#include "cli.h"

void cli_user_profile_path(const char *name, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(buf, len, "%s/thermopad/profiles/%s.ini", xdg, name);
	else
		snprintf(buf, len, "%s/.config/thermopad/profiles/%s.ini", home ? home : "", name);
}

char *cli_read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *text = malloc(65537);
	size_t n = text ? fread(text, 1, 65536, f) : 0;
	bool too_big = text && n == 65536 && fgetc(f) != EOF;
	fclose(f);
	if (!text || too_big) {
		snprintf(err, errlen, "%s: larger than 64 KiB", path);
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

static int list(struct cli *c)
{
	json_t *r;
	int rc = cli_call(c, json_pack("{s:s}", "cmd", "profiles-list"), &r);
	if (rc)
		return rc;
	if (c->json) {
		cli_print_json(r);
	} else {
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(r, "profiles"), i, p)
		{
			const char *desc = json_string_value(json_object_get(p, "description"));
			const char *err = json_string_value(json_object_get(p, "error"));
			printf("%-18s %s\n", json_string_value(json_object_get(p, "name")), desc ? desc : "");
			if (err)
				printf("%-18s %s%s%s\n", "", cli_sgr(c, "33"), err, cli_sgr(c, "0"));
		}
	}
	json_decref(r);
	return 0;
}

static void print_plan(json_t *plan)
{
	size_t i;
	json_t *s;
	char dur[16], total[16];
	printf("runs:\n");
	json_array_foreach(json_object_get(plan, "steps"), i, s)
	{
		output_clock(json_number_value(json_object_get(s, "duration_s")), dur, sizeof dur);
		json_t *t = json_object_get(s, "target_c");
		printf("  %2zu. cycle %lld  %-7s %-12s %s  %s\n", i + 1,
		       (long long)json_integer_value(json_object_get(s, "cycle")),
		       json_string_value(json_object_get(s, "kind")), json_string_value(json_object_get(s, "name")),
		       json_is_number(t) ? "" : "", dur);
		if (json_is_number(t))
			printf("      target %.1f C\n", json_number_value(t));
	}
	output_clock(json_number_value(json_object_get(plan, "hold_total_s")), total, sizeof total);
	printf("time at target in all: %s (plus the time the plate takes to get there)\n", total);
}

static int show(struct cli *c, const char *name)
{
	char path[600], err[300];
	cli_user_profile_path(name, path, sizeof path);
	char *mine = cli_read_file(path, err, sizeof err);
	json_t *req = mine ? json_pack("{s:s, s:s, s:s}", "cmd", "profiles-validate", "profile", name, "profile_text", mine)
			   : json_pack("{s:s, s:s}", "cmd", "profiles-show", "profile", name);
	json_t *r;
	int rc = cli_call(c, req, &r);
	if (rc) {
		free(mine);
		return rc;
	}
	json_t *prof = json_object_get(r, "profile");
	if (c->json) {
		cli_print_json(r);
	} else {
		printf("# %s\n", mine ? path : json_string_value(json_object_get(prof, "path")));
		fputs(mine ? mine : json_string_value(json_object_get(prof, "text")), stdout);
		printf("\n");
		const char *perr = json_string_value(json_object_get(prof, "error"));
		if (perr)
			printf("%sthis file does not load: %s%s\n", cli_sgr(c, "33"), perr, cli_sgr(c, "0"));
		json_t *plan = mine ? json_object_get(r, "plan") : json_object_get(prof, "plan");
		if (json_is_object(plan))
			print_plan(plan);
	}
	free(mine);
	json_decref(r);
	return 0;
}

/* Asks the daemon to check text as profile NAME; reports errors as
 * PATH:LINE: the daemon names the profile, the person needs the file.
 * Returns 0 when it is valid. */
static int check(struct cli *c, const char *name, const char *path, const char *text, bool quiet)
{
	json_t *r, *req = json_pack("{s:s, s:s, s:s}", "cmd", "profiles-validate", "profile", name, "profile_text", text);
	c->silent = true;
	int rc = cli_call(c, req, &r);
	c->silent = false;
	if (rc == 0) {
		if (c->json)
			cli_print_json(r);
		else if (!quiet) {
			printf("%s: valid\n", path);
			print_plan(json_object_get(r, "plan"));
		}
		json_decref(r);
		return 0;
	}
	if (rc == EXIT_UNREACHABLE)
		return rc;
	const char *msg = c->last_error;
	size_t n = strlen(name);
	if (!strncmp(msg, name, n) && msg[n] == ':')
		msg += n; /* ":LINE: message" */
	else
		path = NULL;
	if (c->json) {
		json_t *e = json_pack("{s:b, s:{s:s, s:s, s:s?}}", "ok", 0, "error", "code", c->last_code, "message",
				      c->last_error, "file", path);
		cli_print_json(e);
		json_decref(e);
	}
	else if (path)
		fprintf(stderr, "%s%s\n", path, msg);
	else
		fprintf(stderr, "thermopad: %s\n", msg);
	return rc;
}

static int validate(struct cli *c, const char *path)
{
	char err[300], name[64];
	char *text = cli_read_file(path, err, sizeof err);
	if (!text) {
		fprintf(stderr, "thermopad: %s\n", err);
		return EXIT_ERROR;
	}
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	snprintf(name, sizeof name, "%.*s", (int)strcspn(base, "."), base);
	if (!name[0])
		snprintf(name, sizeof name, "profile");
	int rc = check(c, name, path, text, false);
	free(text);
	return rc;
}

static int copy_builtin(struct cli *c, const char *name, const char *path)
{
	json_t *r;
	int rc = cli_call(c, json_pack("{s:s, s:s}", "cmd", "profiles-show", "profile", name), &r);
	if (rc)
		return rc;
	const char *text = json_string_value(json_object_get(json_object_get(r, "profile"), "text"));
	char dir[600];
	snprintf(dir, sizeof dir, "%s", path);
	for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) { /* mkdir -p */
		*s = '\0';
		mkdir(dir, 0755);
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f || fputs(text ? text : "", f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "thermopad: cannot write %s: %s\n", path, strerror(errno));
		json_decref(r);
		return EXIT_ERROR;
	}
	printf("copied the built-in profile %s to %s\n", name, path);
	json_decref(r);
	return 0;
}

static int edit(struct cli *c, const char *name)
{
	char path[600], err[300];
	if (strchr(name, '/') || name[0] == '.')
		return cli_usage_error("profiles", "a profile's NAME, not a path");
	cli_user_profile_path(name, path, sizeof path);
	int rc;
	if (access(path, F_OK) != 0 && (rc = copy_builtin(c, name, path)) != 0)
		return rc;
	const char *editor = getenv("VISUAL") && *getenv("VISUAL") ? getenv("VISUAL") : getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	for (;;) {
		char cmd[1400];
		snprintf(cmd, sizeof cmd, "%s '%s'", editor, path);
		int st = system(cmd);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 127) {
			fprintf(stderr, "thermopad: could not run the editor '%s' (set $EDITOR)\n", editor);
			return EXIT_ERROR;
		}
		char *text = cli_read_file(path, err, sizeof err);
		if (!text) {
			fprintf(stderr, "thermopad: %s\n", err);
			return EXIT_ERROR;
		}
		rc = check(c, name, path, text, true);
		free(text);
		if (rc == 0) {
			printf("%s: valid; start it with: thermopad start %s\n", path, name);
			return 0;
		}
		if (rc != EXIT_ERROR || !isatty(0))
			return rc;
		printf("Edit again? [Y/n] ");
		fflush(stdout);
		char answer[16] = "";
		if (!fgets(answer, sizeof answer, stdin) || answer[0] == 'n' || answer[0] == 'N')
			return rc;
	}
}

int cmd_profiles(struct cli *c, int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "list"))
		return list(c);
	if (argc == 3 && !strcmp(argv[1], "show"))
		return show(c, argv[2]);
	if (argc == 3 && !strcmp(argv[1], "validate"))
		return validate(c, argv[2]);
	if (argc == 3 && !strcmp(argv[1], "edit"))
		return edit(c, argv[2]);
	return cli_usage_error("profiles", "list, show NAME, validate FILE or edit NAME");
}
