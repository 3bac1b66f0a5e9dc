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
#ifndef THERMOPAD_STORE_PROFILES_H
#define THERMOPAD_STORE_PROFILES_H

#include <stddef.h>

#include "core/profile.h"

#define PROFILES_MAX 64
#define PROFILES_DIRS_MAX 3

struct profile_entry;

struct profiles {
	const char *dirs[PROFILES_DIRS_MAX]; /* read in this order */
	int ndirs;
	struct profile_entry *list;
	int n;
};

/* The built-in directory: --profiles-dir, else the configuration's, else
 * the installed one. */
const char *profiles_builtin_dir(const char *option, const char *configured);
void profiles_init(struct profiles *ps, const char *builtin_dir);
/* 0 when the built-in directory is there and holds profiles, else -1
 * with the path and what to do: the daemon refuses to start */
int profiles_check_dir(const struct profiles *ps, char *err, size_t errlen);
/* Re-reads every directory; returns -1 when out of memory, else how many
 * profiles are broken, with what went wrong in report. */
int profiles_reload(struct profiles *ps, const struct safety_limits *lim, char *report, size_t reportlen);
void profiles_free(struct profiles *ps);
int profiles_load(const struct profiles *ps, const char *name, struct profile *out, char *err, size_t errlen);
int profiles_count(const struct profiles *ps);
int profiles_find(const struct profiles *ps, const char *name);
/* The i-th profile: its name, file, text (may be NULL), the parsed profile
 * when it is usable, and its current error ("" when none). */
void profiles_get(const struct profiles *ps, int i, const char **name, const char **path, const char **text,
		  const struct profile **prof, const char **error);

#endif
