/* SPDX-License-Identifier: MIT */
/* The session log (session_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/logsync.h"
#include "io/report.h"
#include "store/session_log.h"

void session_log_init(struct session_log *l, struct sessions_store *store, struct logsync *sync)
{
	memset(l, 0, sizeof *l);
	l->store = store;
	l->sync = sync;
	for (int i = 0; i < PAD_MAX; i++)
		l->slots[i].sync_slot = -1;
}

static int slot_of(const struct pad_slot *p)
{
	return (int)(p - p->table->slots);
}

const char *session_log_path(const struct session_log *l, const struct pad_slot *p)
{
	const char *path = l->slots[slot_of(p)].path;
	return path[0] ? path : NULL;
}

bool session_log_in_use(void *ctx, const char *id)
{
	const struct session_log *l = ctx;
	for (int i = 0; i < PAD_MAX; i++)
		if (l->slots[i].f && !strcmp(l->slots[i].id, id))
			return true;
	return false;
}

/* A number, or nothing when it was not read. */
static int field(char *buf, size_t len, int decimals, double v)
{
	return isfinite(v) ? snprintf(buf, len, ",%.*f", decimals, v) : snprintf(buf, len, ",");
}

int session_log_format_row(char *buf, size_t len, double t, const struct core_status *st,
			   const struct pad_reading *r)
{
	size_t used = 0;
	/* to the millisecond: samples come every 100 ms */
	int w = snprintf(buf, len, "%.3f,%s", t, st->phase_kind ? st->phase_kind : st->state_name);
	const struct {
		int decimals;
		double v;
	} cols[] = {
		{2, st->target_c}, {2, r->plate_c[0]}, {2, r->plate_c[1]}, {2, r->sink_c}, {4, st->drive}, {3, r->current_a},
		{2, st->skin_c},   {2, st->skin_lo_c},  {2, st->skin_hi_c},
	};
	for (size_t i = 0; w >= 0 && (used += (size_t)w) < len && i < sizeof cols / sizeof cols[0]; i++)
		w = field(buf + used, len - used, cols[i].decimals, cols[i].v);
	if (w < 0 || used >= len)
		return -1;
	/* and the pad's own clock, by which a gap is judged */
	w = snprintf(buf + used, len - used, ",0x%x,%u.%03u", r->fw_faults, (unsigned)(r->device_time_ms / 1000u),
		     (unsigned)(r->device_time_ms % 1000u));
	return w < 0 || used + (size_t)w >= len ? -1 : 0;
}

static json_t *number(double v)
{
	return isfinite(v) ? json_real(round(v * 100) / 100) : json_null();
}

/* The summary as sessions-list gives it (docs/api.md) */
static json_t *summary_json(const struct session_summary *s)
{
	json_t *phases = json_array(), *marks = json_array();
	for (int i = 0; i < s->nphases; i++) {
		const struct summary_phase *ph = &s->phases[i];
		json_array_append_new(phases, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "name", ph->name, "kind",
							ph->kind, "target_c", number(ph->target_c), "start_s",
							number(ph->start_s), "end_s", number(ph->end_s), "at_target_s",
							number(ph->at_target_s)));
	}
	for (int i = 0; i < s->nmarks; i++) {
		json_t *m = json_pack("{s:o, s:s}", "t_s", number(s->marks[i].t_s), "kind", s->marks[i].kind);
		if (s->marks[i].code[0])
			json_object_set_new(m, "code", json_string(s->marks[i].code));
		json_array_append_new(marks, m);
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "phases", phases, "plate_max_c", number(s->plate_max_c),
			 "plate_min_c", number(s->plate_min_c), "dose_cem43_min", number(s->dose_cem43_min), "cold_s",
			 number(s->cold_s), "marks", marks);
}

static void write_meta(struct session_log *l, const struct pad_slot *p, const char *outcome, double duration_s)
{
	struct session_log_slot *s = &l->slots[slot_of(p)];
	struct session_meta m = {.id = s->id, .pad = p->serial, .profile = p->profile, .started = p->session_wall,
				 .outcome = outcome, .duration_s = duration_s, .samples = s->samples,
				 .summary = outcome ? summary_json(&s->summary) : NULL};
	if (sessions_write_meta(l->store, &m) != 0)
		report_log(LOG_WARNING, "session %s: cannot write its metadata", p->session_name);
	json_decref(m.summary);
}

static void open_log(struct session_log *l, const struct pad_slot *p)
{
	struct session_log_slot *s = &l->slots[slot_of(p)];
	char dir[400];
	snprintf(dir, sizeof dir, "%s/sessions", l->store->state_dir);
	mkdir(l->store->state_dir, 0750);
	mkdir(dir, 0750);
	s->samples = 0;
	summary_begin(&s->summary);
	/* a new file only: never through a link planted at the predictable
	 * name, nor over an earlier file (a second session in the same second
	 * gets the next free suffix) */
	int fd = -1;
	for (int k = 1; fd < 0 && k <= 9; k++) {
		char id[sizeof s->id];
		snprintf(id, sizeof id, k > 1 ? "%s-%d" : "%s", p->session_name, k);
		snprintf(s->id, sizeof s->id, "%s", id);
		snprintf(s->path, sizeof s->path, "%s/%s.csv", dir, id);
		fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd < 0 && errno != EEXIST)
			break;
		if (fd < 0)
			report_log(LOG_WARNING, "session log %s: a file or a link is there already: not written to", s->path);
	}
	if (fd < 0 || !(s->f = fdopen(fd, "w"))) {
		report_log(LOG_ERR, "session log %s: %s", s->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		s->path[0] = '\0';
		return;
	}
	fprintf(s->f, "# thermopad session %s, pad %s, profile %s\n", p->session_id, p->serial, p->profile);
	fprintf(s->f, "time_s,phase,target_c,plate_a_c,plate_b_c,sink_c,drive,current_a,skin_c,skin_lo_c,skin_hi_c,faults,"
		   "device_time_s\n");
	fflush(s->f);
	s->sync_slot = l->sync ? logsync_add(l->sync, fileno(s->f)) : -1;
	write_meta(l, p, NULL, 0.0);
}

static void close_log(struct session_log *l, const struct pad_slot *p, const char *outcome, double now)
{
	struct session_log_slot *s = &l->slots[slot_of(p)];
	if (!s->f)
		return;
	fprintf(s->f, "# outcome: %s\n", outcome);
	fflush(s->f);
	if (l->sync)
		logsync_release(l->sync, s->sync_slot);
	s->sync_slot = -1;
	fclose(s->f);
	s->f = NULL;
	write_meta(l, p, outcome, now - p->session_start);
	int removed = sessions_prune(l->store, time(NULL));
	if (removed > 0)
		report_log(LOG_INFO, "log retention: %d old session(s) removed", removed);
}

static void log_sample(struct session_log *l, const struct pad_slot *p, double now, const struct pad_reading *r)
{
	struct session_log_slot *s = &l->slots[slot_of(p)];
	if (!s->f)
		return;
	struct core_status st;
	pad_status(p, &st);
	char row[400];
	if (session_log_format_row(row, sizeof row, now - p->session_start, &st, r) != 0)
		return;
	fprintf(s->f, "%s\n", row);
	s->samples++;
	summary_sample(&s->summary, now - p->session_start, &st, r->plate_c);
	/* a line per sample reaches the kernel at once; the disk at least
	 * once a second (logsync.c), so a crash or power loss costs at most a
	 * second */
	fflush(s->f);
}

static void on_event(void *ctx, const struct pad_slot *p, const struct pad_event *e)
{
	struct session_log *l = ctx;
	switch (e->kind) {
	case PAD_SESSION_STARTED: open_log(l, p); break;
	case PAD_SAMPLE: log_sample(l, p, e->t, e->reading); break;
	case PAD_SESSION_ENDED: close_log(l, p, e->text, e->t); break;
	case PAD_REQUEST_DONE:
		if (l->slots[slot_of(p)].f)
			summary_request(&l->slots[slot_of(p)].summary, e->t - p->session_start, e->text);
		break;
	default: break; /* the rest is not the log's business */
	}
}

struct pad_sink session_log_sink(struct session_log *l)
{
	return (struct pad_sink){.ctx = l, .on_event = on_event};
}
