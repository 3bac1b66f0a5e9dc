/* SPDX-License-Identifier: MIT */
/* The profiles the daemon serves (profiles.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pid.h"
#include "store/profiles.h"

#ifndef THERMOPAD_DATADIR
#define THERMOPAD_DATADIR "/usr/local/share/thermopad"
#endif
#define PROFILE_TEXT_MAX 65536

struct profile_entry {
	char name[PLAN_NAME_MAX];
	char path[600];
	char *text; /* the file as read, for `profiles show` */
	bool ok;
	struct profile profile;
	char error[400]; /* why the current file does not parse */
};

const char *profiles_builtin_dir(const char *option, const char *configured)
{
	return option ? option : configured && configured[0] ? configured : THERMOPAD_DATADIR "/profiles";
}

void profiles_init(struct profiles *ps, const char *builtin_dir)
{
	*ps = (struct profiles){.dirs = {builtin_dir, "/etc/thermopad/profiles"}, .ndirs = 2};
}

int profiles_check_dir(const struct profiles *ps, char *err, size_t errlen)
{
	const char *ds[1] = {ps->dirs[0]};
	DIR *dir = opendir(ds[0]);
	if (!dir) {
		snprintf(err, errlen,
			 "the profiles directory %s: %s (install the profiles there with make install, or name "
			 "the directory with --profiles-dir or profiles_dir in the configuration)",
			 ds[0], strerror(errno));
		return -1;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		char name[PLAN_NAME_MAX];
		n += profile_name_from_filename(e->d_name, name, sizeof name) == 0;
	}
	closedir(dir);
	if (!n)
		snprintf(err, errlen, "the profiles directory %s holds no profile (NAME.ini): reinstall them (make install)",
			 ds[0]);
	return n ? 0 : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(PROFILE_TEXT_MAX + 1);
	size_t n = buf ? fread(buf, 1, PROFILE_TEXT_MAX, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static struct profile_entry *find(struct profile_entry *list, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return &list[i];
	return NULL;
}

static void free_entries(struct profile_entry *list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i].text);
	free(list);
}

int profiles_reload(struct profiles *ps, const struct safety_limits *lim, char *report, size_t reportlen)
{
	struct profile_entry *fresh = calloc(PROFILES_MAX, sizeof *fresh);
	if (!fresh) {
		snprintf(report, reportlen, "out of memory");
		return -1;
	}
	int n = 0, broken = 0;
	size_t used = 0;
	report[0] = '\0';
	for (int k = 0; k < ps->ndirs; k++) {
		DIR *dir = opendir(ps->dirs[k]);
		struct dirent *e;
		while (dir && (e = readdir(dir))) {
			char name[PLAN_NAME_MAX];
			if (profile_name_from_filename(e->d_name, name, sizeof name) != 0)
				continue;
			struct profile_entry *p = find(fresh, n, name);
			if (!p && n == PROFILES_MAX)
				continue;
			if (!p) {
				p = &fresh[n++];
				snprintf(p->name, sizeof p->name, "%s", name);
			}
			free(p->text); /* /etc overrides the built-in one */
			snprintf(p->path, sizeof p->path, "%s/%s", ps->dirs[k], e->d_name);
			p->text = slurp(p->path);
			p->error[0] = '\0';
			if (!p->text)
				snprintf(p->error, sizeof p->error, "%.300s: %s", p->path, strerror(errno));
		}
		if (dir)
			closedir(dir);
	}
	for (int i = 0; i < n; i++) {
		struct profile_entry *p = &fresh[i];
		struct profile_error pe;
		if (!p->text)
			; /* the reason is in p->error already */
		else if (profile_parse(p->text, p->path, p->name, lim, PID_NEUTRAL_C, &p->profile, &pe) == 0)
			p->ok = true;
		else
			snprintf(p->error, sizeof p->error, "%s", pe.text);
		if (p->ok)
			continue;
		broken++;
		struct profile_entry *old = find(ps->list, ps->n, p->name);
		bool kept = old && old->ok;
		if (kept) { /* the last good version stays in use */
			char why[400];
			snprintf(why, sizeof why, "%s", p->error);
			free(p->text);
			*p = *old;
			old->text = NULL;
			snprintf(p->error, sizeof p->error, "%s", why);
		}
		int w = snprintf(report + used, reportlen - used, "%s%s%s", used ? "; " : "", p->error,
				 kept ? " (the previous version stays in use)" : "");
		if (w > 0 && (size_t)w < reportlen - used)
			used += (size_t)w;
	}
	free_entries(ps->list, ps->n);
	ps->list = fresh;
	ps->n = n;
	return broken;
}

void profiles_free(struct profiles *ps)
{
	free_entries(ps->list, ps->n);
	ps->list = NULL;
	ps->n = 0;
}

int profiles_load(const struct profiles *ps, const char *name, struct profile *out, char *err, size_t errlen)
{
	const struct profile_entry *p = find(ps->list, ps->n, name);
	if (!p) {
		snprintf(err, errlen, "no profile '%s' (see: thermopad profiles list)", name);
		return -1;
	}
	if (!p->ok) {
		snprintf(err, errlen, "%s", p->error);
		return -1;
	}
	*out = p->profile;
	return 0;
}

int profiles_count(const struct profiles *ps)
{
	return ps->n;
}

void profiles_get(const struct profiles *ps, int i, const char **name, const char **path, const char **text,
		  const struct profile **prof, const char **error)
{
	const struct profile_entry *p = &ps->list[i];
	*name = p->name;
	*path = p->path;
	*text = p->text;
	*prof = p->ok ? &p->profile : NULL;
	*error = p->error;
}

int profiles_find(const struct profiles *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (!strcmp(ps->list[i].name, name))
			return i;
	return -1;
}
