/* SPDX-License-Identifier: MIT */
/* The stored sessions (sessions.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/sessions.h"

static void path_of(const struct sessions_store *s, const char *id, const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%s/sessions/%s.%s", s->state_dir, id, ext);
}

int sessions_write_meta(const struct sessions_store *s, const struct session_meta *m)
{
	char path[600], tmp[610], started[40];
	path_of(s, m->id, "json", path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	struct tm tm;
	localtime_r(&m->started, &tm);
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%S%z", &tm);
	json_t *meta = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s?, s:f, s:I}", "id", m->id, "pad", m->pad, "profile",
				 m->profile, "started", started, "started_unix", (json_int_t)m->started, "outcome",
				 m->outcome, "duration_s", m->duration_s, "samples", (json_int_t)m->samples);
	if (m->summary)
		json_object_set(meta, "summary", m->summary);
	/* written whole then renamed: a reader never sees half a file. The
	 * temporary is a new file (a link at its name is removed, not
	 * followed), and rename replaces a link at the final name. */
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	bool ok = fd >= 0 && json_dumpfd(meta, fd, JSON_INDENT(1)) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	ok = ok && rename(tmp, path) == 0;
	if (!ok && fd >= 0)
		unlink(tmp);
	json_decref(meta);
	return ok ? 0 : -1;
}

/* A CSV field: a number, a string (the phase, the fault bits), or null
 * for a value not read (an empty field; "nan" in files of older
 * versions). */
static json_t *cell_json(const char *tok)
{
	char *end;
	double x = strtod(tok, &end);
	if (!*tok || (!*end && !isfinite(x)))
		return json_null();
	return *end || end == tok || !strncmp(tok, "0x", 2) ? json_string(tok) : json_real(x);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of stored sessions, oldest first (ids start with the time). */
static int list_ids(const struct sessions_store *s, char ***out)
{
	char dir[520];
	snprintf(dir, sizeof dir, "%s/sessions", s->state_dir);
	*out = NULL;
	DIR *dh = opendir(dir);
	if (!dh)
		return 0;
	int n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(dh))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".csv") || e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **grown = realloc(*out, (size_t)cap * sizeof **out);
			if (!grown)
				break;
			*out = grown;
		}
		(*out)[n++] = strndup(e->d_name, len - 4);
	}
	closedir(dh);
	if (n)
		qsort(*out, (size_t)n, sizeof **out, by_name);
	return n;
}

static void free_ids(char **ids, int n)
{
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

struct sessions_lister {
	const struct sessions_store *s;
	char **ids;
	int n, next; /* next counts down: newest first */
};

struct sessions_lister *sessions_list_open(const struct sessions_store *s)
{
	struct sessions_lister *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->s = s;
	l->n = list_ids(s, &l->ids);
	l->next = l->n - 1;
	return l;
}

json_t *sessions_list_next(struct sessions_lister *l)
{
	if (l->next < 0)
		return NULL;
	const char *id = l->ids[l->next--];
	char path[600];
	path_of(l->s, id, "json", path, sizeof path);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	json_t *meta = fd >= 0 ? json_loadfd(fd, 0, NULL) : NULL;
	if (fd >= 0)
		close(fd);
	if (!json_is_object(meta)) { /* a crash before the first write */
		json_decref(meta);
		meta = json_pack("{s:s, s:s}", "id", id, "outcome", "unknown (no metadata)");
	}
	struct stat st;
	path_of(l->s, id, "csv", path, sizeof path);
	if (meta && stat(path, &st) == 0)
		json_object_set_new(meta, "bytes", json_integer((json_int_t)st.st_size));
	return meta;
}

void sessions_list_close(struct sessions_lister *l)
{
	if (!l)
		return;
	free_ids(l->ids, l->n);
	free(l);
}

struct sessions_reader {
	FILE *f;
	char *line;
	size_t cap;
	json_t *columns;
};

/* The next line that is not a comment, or NULL at the end. */
static char *next_line(struct sessions_reader *r)
{
	while (getline(&r->line, &r->cap, r->f) >= 0) {
		r->line[strcspn(r->line, "\n")] = '\0';
		if (r->line[0] != '#')
			return r->line;
	}
	return NULL;
}

struct sessions_reader *sessions_read_open(const struct sessions_store *s, const char *id, char *err, size_t errlen)
{
	char path[600];
	path_of(s, id, "csv", path, sizeof path);
	struct sessions_reader *r = calloc(1, sizeof *r);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (!r || fd < 0 || !(r->f = fdopen(fd, "r")) || !(r->columns = json_array())) {
		snprintf(err, errlen, "no session %s", id);
		if (fd >= 0 && (!r || !r->f))
			close(fd);
		sessions_read_close(r);
		return NULL;
	}
	/* the header names the columns; a file cut before it has none */
	long at = ftell(r->f);
	char *line = next_line(r);
	if (line && ((line[0] >= '0' && line[0] <= '9') || line[0] == '-'))
		fseek(r->f, at, SEEK_SET);
	else if (line)
		for (char *save, *tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			json_array_append_new(r->columns, json_string(tok));
	return r;
}

const json_t *sessions_read_columns(const struct sessions_reader *r)
{
	return r->columns;
}

int sessions_read_row(struct sessions_reader *r, json_t **row)
{
	char *line = next_line(r);
	if (!line)
		return 0;
	if (row) {
		*row = json_array();
		for (char *rest = line, *tok; (tok = strsep(&rest, ","));)
			json_array_append_new(*row, cell_json(tok));
	}
	return 1;
}

void sessions_read_close(struct sessions_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->line);
	json_decref(r->columns);
	free(r);
}

static bool in_use(const struct sessions_store *s, const char *id)
{
	return s->in_use && s->in_use(s->in_use_ctx, id);
}

static void remove_session(const struct sessions_store *s, const char *id)
{
	char path[600];
	path_of(s, id, "csv", path, sizeof path);
	unlink(path);
	path_of(s, id, "json", path, sizeof path);
	unlink(path);
}

int sessions_prune(const struct sessions_store *s, time_t now)
{
	char **ids;
	int n = list_ids(s, &ids), removed = 0;
	unsigned long long total = 0;
	time_t *mtime = calloc((size_t)n + 1, sizeof *mtime);
	unsigned long long *size = calloc((size_t)n + 1, sizeof *size);
	for (int i = 0; mtime && size && i < n; i++) {
		char path[600];
		struct stat st;
		path_of(s, ids[i], "csv", path, sizeof path);
		if (stat(path, &st) == 0) {
			mtime[i] = st.st_mtime;
			size[i] = (unsigned long long)st.st_size;
			total += size[i];
		}
	}
	const unsigned long long max_bytes = (unsigned long long)s->retention_mb << 20;
	const time_t max_age = (time_t)s->retention_days * 86400;
	for (int i = 0; mtime && size && i < n; i++) { /* oldest first */
		bool too_old = max_age > 0 && now - mtime[i] > max_age;
		bool too_big = max_bytes > 0 && total > max_bytes;
		if ((too_old || too_big) && !in_use(s, ids[i])) {
			remove_session(s, ids[i]);
			total -= size[i];
			removed++;
		}
	}
	free(mtime);
	free(size);
	free_ids(ids, n);
	return removed;
}
