/* SPDX-License-Identifier: MIT */
/* thermopad profiles list | show NAME | validate FILE | edit NAME |
 * new NAME [--from PROFILE] | revert NAME. The daemon parses and checks
 * every profile it runs; validate uses the same pure parser here, with the
 * limits of the daemon's configuration file, so that it needs no daemon.
 * This side reads and writes the user's own files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "pid.h"
#include "profile.h"
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

/* The user's own profiles (NAME.ini in their directory), each parsed
 * here as the daemon will parse it when it is sent */
json_t *cli_own_profiles(void)
{
	char dir[600], path[900], err[512], note[400];
	cli_user_profile_path("x", dir, sizeof dir);
	*strrchr(dir, '/') = '\0';
	json_t *arr = json_array();
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char name[64];
		if (profile_name_from_filename(names[i]->d_name, name, sizeof name) == 0) {
			snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
			char *text = cli_read_file(path, err, sizeof err);
			static struct profile prof;
			json_t *e = json_pack("{s:s, s:s, s:b}", "name", name, "path", path, "own", 1);
			if (text && cli_profile_check(path, text, &prof, note, sizeof note, err, sizeof err) == 0)
				json_object_set_new(e, "description", json_string(prof.description));
			else
				json_object_set_new(e, "error", json_string(err));
			free(text);
			json_array_append_new(arr, e);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return arr;
}

static int list(struct cli *c)
{
	json_t *r;
	int rc = cli_call(c, json_pack("{s:s}", "cmd", "profiles-list"), &r);
	if (rc)
		return rc;
	/* the daemon's, each marked when one of the user's shadows it, then
	 * the user's own */
	json_t *all = json_object_get(r, "profiles"), *own = cli_own_profiles();
	size_t i, k;
	json_t *p, *o;
	json_array_foreach(all, i, p)
	{
		json_object_set_new(p, "own", json_false());
		json_array_foreach(own, k, o) if (!strcmp(cli_str(o, "name", ""), cli_str(p, "name", "")))
			json_object_set_new(p, "shadowed", json_true());
	}
	json_array_extend(all, own);
	json_decref(own);
	if (c->json) {
		cli_print_json(r);
	} else {
		json_array_foreach(all, i, p)
		{
			const char *desc = json_string_value(json_object_get(p, "description"));
			const char *err = json_string_value(json_object_get(p, "error"));
			const char *mark = json_is_true(json_object_get(p, "own"))	    ? "yours "
					   : json_is_true(json_object_get(p, "shadowed")) ? "(yours used) "
											   : "";
			printf("%-18s %s%s\n", cli_str(p, "name", "?"), mark, desc ? desc : "");
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

/* The envelope the daemon checks profiles against: its configuration
 * file's ($THERMOPAD_CONFIG, else the installed path), or the default
 * limits when that file cannot be read; which one, in note. */
static void daemon_limits(struct safety_limits *lim, char *note, size_t len)
{
	struct config cfg;
	config_defaults(&cfg);
	const char *path = getenv("THERMOPAD_CONFIG");
	if (!path || !*path)
		path = CLI_CONFIG_PATH;
	char err[300];
	char *text = cli_read_file(path, err, sizeof err);
	struct config_error ce;
	if (!text)
		snprintf(note, len, "the default limits (%s)", err);
	else if (config_parse(text, path, &cfg, &ce) != 0) {
		config_defaults(&cfg);
		snprintf(note, len, "the default limits (the configuration does not load: %s)", ce.text);
	} else
		snprintf(note, len, "the limits of %s", path);
	free(text);
	*lim = cfg.limits;
}

/* "contrast" from ".../contrast.ini" (or "profile") */
static void name_of_file(const char *path, char *name, size_t len)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	snprintf(name, len, "%.*s", (int)strcspn(base, "."), base);
	if (!name[0])
		snprintf(name, len, "profile");
}

int cli_profile_check(const char *path, const char *text, struct profile *out, char *note, size_t notelen, char *err,
		      size_t errlen)
{
	char name[64];
	struct safety_limits lim;
	struct profile_error pe;
	name_of_file(path, name, sizeof name);
	daemon_limits(&lim, note, notelen);
	if (profile_parse(text, path, name, &lim, PID_NEUTRAL_C, out, &pe) != 0) {
		snprintf(err, errlen, "%s", pe.text);
		return -1;
	}
	return 0;
}

/* The plan as the daemon shows it (docs/api.md): its steps, expanded */
static json_t *plan_json(const struct plan *plan)
{
	static struct plan_run run;
	char err[200];
	json_t *steps = json_array();
	double total = 0;
	if (plan_expand(plan, &run, err, sizeof err) == 0)
		for (int i = 0; i < run.nsteps; i++) {
			const struct phase *ph = &run.steps[i];
			json_t *step = json_pack("{s:s, s:s, s:f, s:i}", "name", ph->name, "kind", plan_kind_name(ph->kind),
						 "duration_s", ph->duration_s, "cycle", run.cycle_of[i]);
			if (ph->kind != PHASE_OFF)
				json_object_set_new(step, "target_c", json_real(ph->target_c));
			json_array_append_new(steps, step);
			total += ph->duration_s;
		}
	return json_pack("{s:s, s:i, s:o, s:f}", "name", plan->name, "cycles", plan->cycles, "steps", steps,
			 "hold_total_s", total);
}

/* Offline: the file, parsed here as the daemon would parse it */
static int validate(struct cli *c, const char *path)
{
	char err[512], note[400];
	char *text = cli_read_file(path, err, sizeof err);
	if (!text)
		return cli_error(c, EXIT_ERROR, "cannot-read", NULL, "%s", err);
	static struct profile prof;
	int rc = cli_profile_check(path, text, &prof, note, sizeof note, err, sizeof err);
	free(text);
	if (rc != 0) {
		if (c->json) {
			json_t *e = json_pack("{s:b, s:{s:s, s:s, s:s}, s:i}", "ok", 0, "error", "code",
					      API_ERR_INVALID_PROFILE, "message", err, "file", path, "exit", EXIT_ERROR);
			cli_print_json(e);
			json_decref(e);
		} else
			fprintf(stderr, "%s\nchecked against %s\n", err, note);
		return EXIT_ERROR;
	}
	json_t *plan = plan_json(&prof.plan);
	if (c->json) {
		json_t *o = json_pack("{s:b, s:s, s:s, s:O}", "ok", 1, "file", path, "limits", note, "plan", plan);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("%s: valid (checked against %s)\n", path, note);
		print_plan(plan);
	}
	json_decref(plan);
	return 0;
}

/* A name of the user's own profile: a file name, never a path */
static bool good_name(const char *name)
{
	if (!name[0] || name[0] == '.' || strlen(name) > 48)
		return false;
	for (const char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", *p))
			return false;
	return true;
}

static int write_profile(struct cli *c, const char *path, const char *text)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s", path);
	for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) { /* mkdir -p */
		*s = '\0';
		mkdir(dir, 0755);
		*s = '/';
	}
	/* a new file: never over one of the user's, nor through a link */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		int e = errno;
		if (fd >= 0 && !f)
			close(fd);
		return cli_error(c, EXIT_ERROR, "cannot-write", NULL, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

/* The text of profile NAME: the user's own file, else the daemon's (into
 * *text, to free); *builtin says which */
static int profile_text(struct cli *c, const char *name, char **text, bool *builtin)
{
	char path[600], err[300];
	cli_user_profile_path(name, path, sizeof path);
	*builtin = false;
	if ((*text = cli_read_file(path, err, sizeof err)) != NULL)
		return 0;
	json_t *r;
	int rc = cli_call(c, json_pack("{s:s, s:s}", "cmd", "profiles-show", "profile", name), &r);
	if (rc)
		return rc;
	const char *t = json_string_value(json_object_get(json_object_get(r, "profile"), "text"));
	*text = strdup(t ? t : "");
	*builtin = true;
	json_decref(r);
	return *text ? 0 : cli_error(c, EXIT_ERROR, "internal", NULL, "out of memory");
}

/* Is NAME one of the daemon's profiles? (quietly; false when it cannot
 * be asked) */
static bool daemon_has(struct cli *c, const char *name)
{
	json_t *r;
	bool silent = c->silent;
	c->silent = true;
	int rc = cli_call(c, json_pack("{s:s, s:s}", "cmd", "profiles-show", "profile", name), &r);
	c->silent = silent;
	if (rc == 0)
		json_decref(r);
	else if (rc != EXIT_ERROR) { /* the daemon may have closed: the next request reconnects */
		client_close(&c->client);
		c->client.closed = false;
	}
	return rc == 0;
}

static const char template_text[] =
	"# %s: your own profile; thermopad-profile(5) explains every key.\n"
	"[profile]\n"
	"description = %s: 15 min at 39 C\n"
	"\n"
	"[phase.warm]\n"
	"kind = heat\n"
	"target_c = 39\n"
	"duration_min = 15\n";

/* new NAME [--from PROFILE]: the user's own file, from a profile or a
 * short template */
static int create(struct cli *c, const char *name, const char *from)
{
	char path[600], *text = NULL;
	if (!good_name(name))
		return cli_usage_error("profiles", "a profile's NAME (letters, digits, - and _), not '%s'", name);
	cli_user_profile_path(name, path, sizeof path);
	if (access(path, F_OK) == 0)
		return cli_error(c, EXIT_ERROR, "exists", "Change it with: thermopad profiles edit NAME",
				 "%s is there already: not overwritten", path);
	bool builtin = false;
	int rc = 0;
	if (from)
		rc = profile_text(c, from, &text, &builtin);
	else if (asprintf(&text, template_text, name, name) < 0)
		text = NULL, rc = cli_error(c, EXIT_ERROR, "internal", NULL, "out of memory");
	if (rc == 0)
		rc = write_profile(c, path, text);
	free(text);
	if (rc)
		return rc;
	bool shadows = daemon_has(c, name);
	if (c->json) {
		json_t *o = json_pack("{s:b, s:s, s:s, s:s?, s:b}", "ok", 1, "profile", name, "file", path, "from", from,
				      "shadows", shadows);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("%s: made%s%s%s\n", path, from ? " from " : "", from ? from : " from a template",
		       from && builtin ? " (the daemon's)" : "");
		if (shadows)
			printf("It is used instead of the daemon's profile %s; thermopad profiles revert %s goes back.\n",
			       name, name);
		printf("Change it with: thermopad profiles edit %s; start it with: thermopad start %s\n", name, name);
	}
	return 0;
}

/* revert NAME: the user's copy that shadows the daemon's profile is set
 * aside (NAME.ini.reverted, never deleted), so the daemon's is used */
static int revert(struct cli *c, const char *name)
{
	char path[600], aside[640];
	if (!good_name(name))
		return cli_usage_error("profiles", "a profile's NAME, not '%s'", name);
	cli_user_profile_path(name, path, sizeof path);
	if (access(path, F_OK) != 0) {
		if (!c->json)
			printf("%s: you have no copy of it; the daemon's is used already\n", name);
		else {
			json_t *o = json_pack("{s:b, s:s, s:b}", "ok", 1, "profile", name, "reverted", 0);
			cli_print_json(o);
			json_decref(o);
		}
		return 0;
	}
	json_t *r;
	int rc = cli_call(c, json_pack("{s:s, s:s}", "cmd", "profiles-show", "profile", name), &r);
	if (rc == EXIT_ERROR && !strcmp(c->last_code, API_ERR_UNKNOWN_PROFILE))
		return rc; /* said: the daemon has no profile of that name */
	if (rc)
		return rc;
	json_decref(r);
	snprintf(aside, sizeof aside, "%s.reverted", path);
	if (rename(path, aside) != 0)
		return cli_error(c, EXIT_ERROR, "cannot-write", NULL, "cannot move %s aside: %s", path, strerror(errno));
	if (c->json) {
		json_t *o = json_pack("{s:b, s:s, s:b, s:s}", "ok", 1, "profile", name, "reverted", 1, "kept", aside);
		cli_print_json(o);
		json_decref(o);
	} else
		printf("%s: the daemon's profile is used again; your copy is kept as %s\n", name, aside);
	return 0;
}

static int edit(struct cli *c, const char *name)
{
	char path[600], err[300];
	if (!good_name(name))
		return cli_usage_error("profiles", "a profile's NAME, not a path");
	cli_user_profile_path(name, path, sizeof path);
	int rc;
	if (access(path, F_OK) != 0) { /* a copy of the daemon's, or a new one */
		if ((rc = daemon_has(c, name) ? create(c, name, name) : create(c, name, NULL)) != 0)
			return rc;
	}
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
	if (argc == 3 && !strcmp(argv[1], "revert"))
		return revert(c, argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "new")) {
		const char *from = NULL;
		for (int i = 3; i < argc; i++)
			if (!strcmp(argv[i], "--from") && i + 1 < argc)
				from = argv[++i];
			else if (!strcmp(argv[i], "--from"))
				return cli_usage_error("profiles", "--from needs a value (a profile's name)");
			else
				return cli_usage_error("profiles", "unexpected '%s'", argv[i]);
		return create(c, argv[2], from);
	}
	static const char *const subs[] = {"list", "show", "validate", "edit", "new", "revert"};
	const char *hit = argc > 1 ? cli_suggest(argv[1], subs, 6) : NULL;
	if (hit && strcmp(hit, argv[1]))
		return cli_usage_error("profiles", "no '%s': did you mean %s?", argv[1], hit);
	return cli_usage_error("profiles",
			       "list, show NAME, validate FILE, edit NAME, new NAME [--from PROFILE] or revert NAME");
}
