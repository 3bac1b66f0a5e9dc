/* SPDX-License-Identifier: MIT */
/* A pad's dose ledger on disk (dose_store.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/report.h"
#include "store/dose_store.h"

static void path_of(const struct dose_store *s, const char *serial, char *buf, size_t len)
{
	snprintf(buf, len, "%s/dose/%s.ini", s->state_dir, serial);
}

int dose_store_load(const struct dose_store *s, const char *serial, struct dose_ledger *l, char *path, size_t pathlen,
		    char *err, size_t errlen)
{
	char text[16384];
	path_of(s, serial, path, pathlen);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0; /* no session yet */
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	return dose_ledger_parse(text, l, err, errlen) == 0 ? 1 : -1;
}

/* Written whole to a temporary file, synced, then renamed over the old
 * one: a crash leaves the old ledger or the new, never half of one. */
int dose_store_save(const struct dose_store *s, const char *serial, const struct dose_ledger *l, char *path,
		    size_t pathlen, char *err, size_t errlen)
{
	char text[16384];
	char dir[520], tmp[620];
	snprintf(dir, sizeof dir, "%s/dose", s->state_dir);
	mkdir(s->state_dir, 0755);
	mkdir(dir, 0755);
	path_of(s, serial, path, pathlen);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (dose_ledger_format(l, serial, text, sizeof text) != 0) {
		snprintf(err, errlen, "the ledger does not fit its buffer");
		return -1;
	}
	FILE *f = fopen(tmp, "w");
	int rc = f && fputs(text, f) >= 0 && fflush(f) == 0 && fdatasync(fileno(f)) == 0 ? 0 : -1;
	if (rc != 0)
		snprintf(err, errlen, "%s", strerror(errno));
	if (f && fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		rc = -1;
	}
	return rc;
}

static bool worth_saving(const struct pad_event *e)
{
	if (e->kind == PAD_SESSION_ENDED || e->kind == PAD_DEPARTED)
		return true;
	return e->kind == PAD_CORE_EVENT &&
	       (!strcmp(e->core->code, "session-end") || !strcmp(e->core->code, "tune-done") ||
		!strcmp(e->core->code, "tune-aborted"));
}

static void on_event(void *ctx, const struct pad_slot *p, const struct pad_event *e)
{
	if (!worth_saving(e))
		return;
	struct dose_ledger l;
	core_ledger_snapshot(&p->core, &l);
	char path[600], err[200];
	if (dose_store_save(ctx, p->serial, &l, path, sizeof path, err, sizeof err) != 0)
		report_log(LOG_ERR, "pad %s: cannot save its dose ledger to %s: %s", p->serial, path, err);
}

struct pad_sink dose_store_sink(struct dose_store *s)
{
	return (struct pad_sink){.ctx = s, .on_event = on_event};
}
