/* SPDX-License-Identifier: MIT */
/*
 * Where profiles come from: the built-in directory, then
 * /etc/thermopad/profiles (a later one overrides a built-in of the same
 * name). A user's own profiles live in the user's home, which the daemon
 * (hardened, another user) does not read: the command line sends their
 * text with the request.
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

static int dirs(const struct daemon *d, const char *out[3])
{
	int n = 0;
	out[n++] = d->opts.profiles_dir ? d->opts.profiles_dir
		   : d->cfg.profiles_dir[0] ? d->cfg.profiles_dir
					     : THERMOPAD_DATADIR "/profiles";
	out[n++] = "/etc/thermopad/profiles";
	return n;
}

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

int profiles_load(const struct daemon *d, const char *name, struct profile *out, char *err, size_t errlen)
{
	const char *ds[3];
	int n = dirs(d, ds);
	char path[600], found[600] = "";
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s.ini", ds[i], name);
		FILE *f = fopen(path, "r");
		if (f) {
			fclose(f);
			snprintf(found, sizeof found, "%s", path);
		}
	}
	char check[PLAN_NAME_MAX];
	if (profile_name_from_filename(found[0] ? found : "x.ini", check, sizeof check) != 0 || !found[0] ||
	    strchr(name, '/')) {
		snprintf(err, errlen, "no profile '%s' (see: thermopad profiles list)", name);
		return -1;
	}
	char *text = slurp(found, 65536);
	if (!text) {
		snprintf(err, errlen, "%s: %s", found, strerror(errno));
		return -1;
	}
	struct profile_error pe;
	int rc = profile_parse(text, found, name, &d->cfg.limits, 32.0, out, &pe);
	free(text);
	if (rc != 0)
		snprintf(err, errlen, "%s", pe.text);
	return rc;
}

int profiles_list(const struct daemon *d, char names[][PLAN_NAME_MAX], int max)
{
	const char *ds[3];
	int n = dirs(d, ds), count = 0;
	for (int i = 0; i < n; i++) {
		DIR *dir = opendir(ds[i]);
		struct dirent *e;
		while (dir && (e = readdir(dir))) {
			char name[PLAN_NAME_MAX];
			if (profile_name_from_filename(e->d_name, name, sizeof name) != 0)
				continue;
			bool dup = false;
			for (int k = 0; k < count; k++)
				dup |= !strcmp(names[k], name);
			if (!dup && count < max)
				snprintf(names[count++], PLAN_NAME_MAX, "%s", name);
		}
		if (dir)
			closedir(dir);
	}
	return count;
}
