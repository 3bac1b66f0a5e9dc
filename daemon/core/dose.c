/* SPDX-License-Identifier: MIT */
/* The dose ledger (dose.h). */
#include "dose.h"

#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dose_rules_from_limits(struct dose_rules *r, const struct safety_limits *lim)
{
	*r = (struct dose_rules){
		.heat_day_cem43_min = 2.0 * lim->dose_cem43_min,
		.cold_day_s = 1.5 * lim->cold_session_max_s,
	};
}

void dose_ledger_init(struct dose_ledger *l)
{
	memset(l, 0, sizeof *l);
}

static void decay(struct dose_ledger *l, double t)
{
	double dt = t - l->t;
	if (dt > 0) {
		l->heat_cem43_min *= exp2(-dt / DOSE_HEAT_HALF_LIFE_S);
		l->cold_s *= exp2(-dt / DOSE_COLD_HALF_LIFE_S);
		l->t = t;
	}
}

void dose_ledger_at(struct dose_ledger *l, double t)
{
	decay(l, t);
	int keep = 0;
	while (keep < l->n && l->day[keep].t <= t - DOSE_DAY_S)
		keep++;
	memmove(l->day, l->day + keep, (size_t)(l->n - keep) * sizeof l->day[0]);
	l->n -= keep;
}

void dose_ledger_add(struct dose_ledger *l, double t, double heat_cem43_min, double cold_s)
{
	dose_ledger_at(l, t);
	l->heat_cem43_min += heat_cem43_min;
	l->cold_s += cold_s;
	if (l->n == DOSE_DAY_MAX) { /* full: the two oldest become one, at the later time (stricter) */
		l->day[1].heat_cem43_min += l->day[0].heat_cem43_min;
		l->day[1].cold_s += l->day[0].cold_s;
		memmove(l->day, l->day + 1, (size_t)(l->n - 1) * sizeof l->day[0]);
		l->n--;
	}
	l->day[l->n++] = (struct dose_entry){t, heat_cem43_min, cold_s};
}

double dose_ledger_day_heat(const struct dose_ledger *l, double t)
{
	double sum = 0;
	for (int i = 0; i < l->n; i++)
		if (l->day[i].t > t - DOSE_DAY_S)
			sum += l->day[i].heat_cem43_min;
	return sum;
}

double dose_ledger_day_cold(const struct dose_ledger *l, double t)
{
	double sum = 0;
	for (int i = 0; i < l->n; i++)
		if (l->day[i].t > t - DOSE_DAY_S)
			sum += l->day[i].cold_s;
	return sum;
}

void dose_ledger_worst(struct dose_ledger *l, double t, const struct safety_limits *lim)
{
	struct dose_rules r;
	dose_rules_from_limits(&r, lim);
	dose_ledger_init(l);
	l->t = t;
	l->heat_cem43_min = lim->dose_cem43_min;
	l->cold_s = lim->cold_session_max_s;
	l->day[l->n++] = (struct dose_entry){t, r.heat_day_cem43_min, r.cold_day_s};
}

/* a cold phase this close above cold_c counts as cold exposure */
#define DOSE_COLD_NEAR_C 0.5

void dose_plan_estimate(const struct plan_run *run, const struct safety_limits *lim, double *heat_cem43_min,
			double *cold_s)
{
	*heat_cem43_min = *cold_s = 0;
	for (int i = 0; i < run->nsteps; i++) {
		const struct phase *ph = &run->steps[i];
		if (ph->kind == PHASE_HEAT) {
			double r = ph->target_c >= 43.0 ? 0.5 : 0.25;
			*heat_cem43_min += ph->duration_s / 60.0 * pow(r, 43.0 - ph->target_c);
		} else if (ph->kind == PHASE_COLD && ph->target_c < lim->cold_c + DOSE_COLD_NEAR_C) {
			/* a hold at the threshold itself spends about half its
			 * time below it (the sensors' noise and the hold band):
			 * counted whole, so that a full day refuses it at the
			 * start rather than ending it at once */
			*cold_s += ph->duration_s;
		}
	}
}

/* How long until a pool of v, halving every h, is at most room. */
static double pool_wait(double v, double room, double h)
{
	if (v <= room)
		return 0;
	return room > 0 ? h * log2(v / room) : INFINITY;
}

/* How long until the last day's entries, the oldest falling out first,
 * leave room for add under cap. */
static double day_wait(const struct dose_ledger *l, double t, bool heat, double add, double cap)
{
	if (add > cap)
		return INFINITY;
	double sum = heat ? dose_ledger_day_heat(l, t) : dose_ledger_day_cold(l, t);
	for (int i = 0; i < l->n && sum + add > cap; i++) {
		if (l->day[i].t <= t - DOSE_DAY_S)
			continue;
		sum -= heat ? l->day[i].heat_cem43_min : l->day[i].cold_s;
		if (sum + add <= cap)
			return l->day[i].t + DOSE_DAY_S - t;
	}
	return sum + add <= cap ? 0 : INFINITY;
}

static void say_wait(char *buf, size_t len, double s)
{
	if (isinf(s))
		snprintf(buf, len, "never as planned: the session alone is more than that; shorten it or choose a milder target");
	else if (s < 3600)
		snprintf(buf, len, "in %.0f min", ceil(s / 60));
	else
		snprintf(buf, len, "in %.0f h %02.0f min", floor(s / 3600), ceil(fmod(s, 3600) / 60));
}

int dose_ledger_admit(const struct dose_ledger *l, double t, const struct dose_rules *r,
		      const struct safety_limits *lim, double heat_cem43_min, double cold_s, double *wait_s, char *why,
		      size_t whylen)
{
	struct dose_ledger now = *l;
	decay(&now, t);
	struct {
		double wait;
		const char *what;
		double have, add, cap;
		const char *unit, *rule;
		double scale;
	} c[4] = {
		{pool_wait(now.heat_cem43_min, lim->dose_cem43_min - heat_cem43_min, DOSE_HEAT_HALF_LIFE_S), "heat dose",
		 now.heat_cem43_min, heat_cem43_min, lim->dose_cem43_min, "CEM43 min", "of recent sessions (it halves every 4 h)", 1},
		{day_wait(&now, t, true, heat_cem43_min, r->heat_day_cem43_min), "heat dose", dose_ledger_day_heat(&now, t),
		 heat_cem43_min, r->heat_day_cem43_min, "CEM43 min", "in the last 24 h", 1},
		{pool_wait(now.cold_s, lim->cold_session_max_s - cold_s, DOSE_COLD_HALF_LIFE_S), "cold exposure", now.cold_s,
		 cold_s, lim->cold_session_max_s, "min", "of recent sessions (it halves every hour)", 60},
		{day_wait(&now, t, false, cold_s, r->cold_day_s), "cold exposure", dose_ledger_day_cold(&now, t), cold_s,
		 r->cold_day_s, "min", "in the last 24 h", 60},
	};
	int worst = -1;
	/* a session adds nothing of a kind it has no phase of: what the
	 * ledger holds of that kind (even a hair over its cap, where a cap
	 * ended the last session) is no reason to refuse it */
	for (int i = 0; i < 4; i++)
		if (c[i].add > 0 && c[i].wait > 0 && (worst < 0 || c[i].wait > c[worst].wait))
			worst = i;
	*wait_s = worst < 0 ? 0 : c[worst].wait;
	if (worst < 0)
		return 0;
	char when[128];
	say_wait(when, sizeof when, c[worst].wait);
	snprintf(why, whylen,
		 "%s: %.1f %s %s and about %.1f from this session would pass the cap of %.1f %s: rest the skin; "
		 "allowed again %s",
		 c[worst].what, c[worst].have / c[worst].scale, c[worst].unit, c[worst].rule, c[worst].add / c[worst].scale,
		 c[worst].cap / c[worst].scale, c[worst].unit, when);
	return -1;
}

int dose_ledger_format(const struct dose_ledger *l, const char *serial, char *buf, size_t len)
{
	size_t used = 0;
	int n = snprintf(buf, len,
			 "# thermopad dose ledger, pad %s: heat dose (CEM43 min) and cold exposure (s)\n"
			 "[ledger]\nt = %.3f\nheat_cem43_min = %.6f\ncold_s = %.3f\n",
			 serial, l->t, l->heat_cem43_min, l->cold_s);
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	for (int i = 0; i < l->n; i++) {
		n = snprintf(buf + used, len - used, "[session]\nt = %.3f\nheat_cem43_min = %.6f\ncold_s = %.3f\n", l->day[i].t,
			     l->day[i].heat_cem43_min, l->day[i].cold_s);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

struct parse {
	struct dose_ledger *l;
	bool in_session;
	char err[120];
};

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse *ps = user;
	char *end;
	double v = strtod(value, &end);
	if (end == value || *end || !isfinite(v) || v < 0) {
		snprintf(ps->err, sizeof ps->err, "[%s] %s = %s: not a number", section, key, value);
		return 0;
	}
	bool session = !strcmp(section, "session");
	if (!session && strcmp(section, "ledger") != 0) {
		snprintf(ps->err, sizeof ps->err, "unknown section [%s]", section);
		return 0;
	}
	struct dose_ledger *l = ps->l;
	if (session && !strcmp(key, "t")) {
		if (l->n == DOSE_DAY_MAX) {
			snprintf(ps->err, sizeof ps->err, "more than %d sessions", DOSE_DAY_MAX);
			return 0;
		}
		l->day[l->n++] = (struct dose_entry){.t = v};
		return 1;
	}
	struct dose_entry *e = session && l->n ? &l->day[l->n - 1] : NULL;
	if (session && !e) {
		snprintf(ps->err, sizeof ps->err, "[session] without its t first");
		return 0;
	}
	double *field = !strcmp(key, "t") ? &l->t
			: !strcmp(key, "heat_cem43_min") ? (e ? &e->heat_cem43_min : &l->heat_cem43_min)
			: !strcmp(key, "cold_s") ? (e ? &e->cold_s : &l->cold_s)
						 : NULL;
	if (!field) {
		snprintf(ps->err, sizeof ps->err, "[%s]: unknown key '%s'", section, key);
		return 0;
	}
	*field = v;
	return 1;
}

int dose_ledger_parse(const char *text, struct dose_ledger *l, char *err, size_t errlen)
{
	struct dose_ledger fresh;
	dose_ledger_init(&fresh);
	struct parse ps = {.l = &fresh};
	int line = ini_parse_string(text, on_key, &ps);
	if (line != 0) {
		snprintf(err, errlen, "line %d: %s", line, ps.err[0] ? ps.err : "syntax error");
		return -1;
	}
	*l = fresh;
	return 0;
}
