/* SPDX-License-Identifier: MIT */
/*
 * Where profiles come from: the built-in directory, then
 * /etc/thermopad/profiles (a later one overrides a built-in of the same
 * name). They are read at start-up and on reload, never in the middle of a
 * request; a file that breaks on reload is reported and its previous good
 * version kept. A user's own profiles live in the user's home, which the
 * daemon (hardened, another user) does not read: the command line sends
 * their text with the request.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

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

static int dirs(const struct daemon *d, const char *out[3])
{
	int n = 0;
	out[n++] = d->opts.profiles_dir ? d->opts.profiles_dir
		   : d->cfg.profiles_dir[0] ? d->cfg.profiles_dir
					     : THERMOPAD_DATADIR "/profiles";
	out[n++] = "/etc/thermopad/profiles";
	return n;
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

int profiles_reload(struct daemon *d, char *report, size_t reportlen)
{
	struct profile_entry *fresh = calloc(PROFILES_MAX, sizeof *fresh);
	if (!fresh) {
		snprintf(report, reportlen, "out of memory");
		return -1;
	}
	int n = 0, broken = 0;
	size_t used = 0;
	report[0] = '\0';
	const char *ds[3];
	int ndirs = dirs(d, ds);
	for (int k = 0; k < ndirs; k++) {
		DIR *dir = opendir(ds[k]);
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
			snprintf(p->path, sizeof p->path, "%s/%s", ds[k], e->d_name);
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
		else if (profile_parse(p->text, p->path, p->name, &d->cfg.limits, 32.0, &p->profile, &pe) == 0)
			p->ok = true;
		else
			snprintf(p->error, sizeof p->error, "%s", pe.text);
		if (p->ok)
			continue;
		broken++;
		struct profile_entry *old = find(d->profiles, d->nprofiles, p->name);
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
	free_entries(d->profiles, d->nprofiles);
	d->profiles = fresh;
	d->nprofiles = n;
	return broken;
}

void profiles_free(struct daemon *d)
{
	free_entries(d->profiles, d->nprofiles);
	d->profiles = NULL;
	d->nprofiles = 0;
}

int profiles_load(const struct daemon *d, const char *name, struct profile *out, char *err, size_t errlen)
{
	const struct profile_entry *p = find(d->profiles, d->nprofiles, name);
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

int profiles_count(const struct daemon *d)
{
	return d->nprofiles;
}

/* The i-th profile: its name, file, text (may be NULL), the parsed profile
 * when it is usable, and its current error ("" when none). */
void profiles_get(const struct daemon *d, int i, const char **name, const char **path, const char **text,
		  const struct profile **prof, const char **error)
{
	const struct profile_entry *p = &d->profiles[i];
	*name = p->name;
	*path = p->path;
	*text = p->text;
	*prof = p->ok ? &p->profile : NULL;
	*error = p->error;
}

int profiles_find(const struct daemon *d, const char *name)
{
	for (int i = 0; i < d->nprofiles; i++)
		if (!strcmp(d->profiles[i].name, name))
			return i;
	return -1;
}
