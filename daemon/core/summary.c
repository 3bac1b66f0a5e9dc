/* SPDX-License-Identifier: MIT */
#include "summary.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void summary_begin(struct session_summary *s)
{
	memset(s, 0, sizeof *s);
	s->plate_max_c = s->plate_min_c = NAN;
}

static void mark(struct session_summary *s, double t_s, const char *kind, const char *code)
{
	if (s->nmarks >= SUMMARY_MARKS_MAX) {
		s->marks_dropped++;
		return;
	}
	struct summary_mark *m = &s->marks[s->nmarks++];
	m->t_s = t_s;
	snprintf(m->kind, sizeof m->kind, "%s", kind);
	snprintf(m->code, sizeof m->code, "%s", code);
}

void summary_request(struct session_summary *s, double t_s, const char *request)
{
	static const char *const marked[] = {"pause", "resume", "skip", "extend", "stop"};
	for (size_t i = 0; i < sizeof marked / sizeof marked[0]; i++)
		if (!strcmp(request, marked[i]))
			mark(s, t_s, marked[i], "");
}

void summary_sample(struct session_summary *s, double t_s, const struct core_status *st, const double plate_c[2])
{
	/* the time since the last sample belongs to the state that sample
	 * reported: its phase, in the band and running or not */
	double dt = s->have_sample && t_s > s->last_t_s ? t_s - s->last_t_s : 0.0;
	if (s->last_counting && s->nphases)
		s->phases[s->nphases - 1].at_target_s += dt;
	s->last_counting = false;
	s->have_sample = true;
	s->last_t_s = t_s;
	for (int k = 0; k < 2; k++)
		if (isfinite(plate_c[k])) {
			s->plate_max_c = isfinite(s->plate_max_c) ? fmax(s->plate_max_c, plate_c[k]) : plate_c[k];
			s->plate_min_c = isfinite(s->plate_min_c) ? fmin(s->plate_min_c, plate_c[k]) : plate_c[k];
		}
	if (isfinite(st->dose_cem43_min))
		s->dose_cem43_min = st->dose_cem43_min;
	if (isfinite(st->cold_session_s))
		s->cold_s = st->cold_session_s;
	if (st->fault && !s->last_fault)
		mark(s, t_s, "fault", st->fault_code);
	s->last_fault = st->fault;
	if (!st->phase_kind)
		return;
	struct summary_phase *ph = s->nphases ? &s->phases[s->nphases - 1] : NULL;
	bool same = ph && s->nphases == st->step; /* steps count from 1 */
	if (!same && s->nphases < PLAN_MAX_STEPS) {
		if (ph)
			ph->end_s = t_s;
		ph = &s->phases[s->nphases++];
		snprintf(ph->name, sizeof ph->name, "%s", st->phase_name);
		ph->kind = st->phase_kind;
		ph->target_c = st->target_c;
		ph->start_s = t_s;
		ph->at_target_s = 0.0;
	} else if (!same) {
		return; /* more steps than a plan has: nothing to add to */
	}
	ph->end_s = t_s;
	s->last_counting = st->state == CORE_RUNNING && st->in_band;
}
