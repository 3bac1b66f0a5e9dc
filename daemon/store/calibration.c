/* SPDX-License-Identifier: MIT */
/* A pad's calibration (calibration.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/tune.h"
#include "io/report.h"
#include "store/calibration.h"

static void path_of(const struct calibration_store *s, const char *serial, char *buf, size_t len)
{
	snprintf(buf, len, "%s/calibration/%s.ini", s->state_dir, serial);
}

int calibration_load(const struct calibration_store *s, const char *serial, struct calibration *cal, char *path,
		     size_t pathlen, char *err, size_t errlen)
{
	char text[4096];
	path_of(s, serial, path, pathlen);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0; /* not tuned yet: the defaults */
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	struct calibration fresh = *cal;
	if (tune_parse(text, &fresh.pid, err, errlen) != 0 || thermal_parse(text, &fresh.model, err, errlen) != 0)
		return -1;
	*cal = fresh;
	return 1;
}

int calibration_save(const struct calibration_store *s, const char *serial, const struct calibration *cal, char *path,
		     size_t pathlen, char *err, size_t errlen)
{
	char dir[520], text[4096];
	snprintf(dir, sizeof dir, "%s/calibration", s->state_dir);
	mkdir(s->state_dir, 0755);
	mkdir(dir, 0755);
	path_of(s, serial, path, pathlen);
	size_t n = tune_format(&cal->pid, serial, text, sizeof text);
	if (n < sizeof text - 1)
		thermal_format(&cal->model, text + n, sizeof text - n);
	FILE *f = fopen(path, "w");
	int rc = f && fputs(text, f) >= 0 && fflush(f) == 0 && fdatasync(fileno(f)) == 0 ? 0 : -1;
	if (rc != 0)
		snprintf(err, errlen, "%s", strerror(errno));
	if (f)
		fclose(f);
	return rc;
}

static void on_event(void *ctx, const struct pad_slot *p, const struct pad_event *e)
{
	/* what a tune or a session taught the pad's estimator, for next time */
	if (e->kind != PAD_CORE_EVENT || (strcmp(e->core->code, "tune-done") && strcmp(e->core->code, "session-end")))
		return;
	char path[600], err[200];
	struct calibration cal;
	pad_calibration(p, &cal);
	if (calibration_save(ctx, p->serial, &cal, path, sizeof path, err, sizeof err) != 0)
		report_log(LOG_ERR, "pad %s: cannot save its calibration to %s: %s", p->serial, path, err);
	else
		report_log(LOG_NOTICE, "pad %s: calibration saved to %s", p->serial, path);
}

struct pad_sink calibration_sink(struct calibration_store *s)
{
	return (struct pad_sink){.ctx = s, .on_event = on_event};
}
