/* SPDX-License-Identifier: MIT */
#include "judge.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* the skin's neutral temperature: distances to a bound count from here */
#define SKIN_C 32.0

void judge_init(struct row_result *r, const struct hazard *h)
{
	memset(r, 0, sizeof *r);
	r->h = h;
	r->zero_s = r->tissue_max_c = r->plate_max_c = -INFINITY;
	r->cem43_min = r->cold_s = 0;
	r->plate_min_c = INFINITY;
	r->fw.first_s = r->host.first_s = r->fuse.first_s = r->watchdog.first_s = INFINITY;
}

__attribute__((format(printf, 3, 4))) static void miss(struct row_result *r, const char *where, const char *fmt, ...)
{
	r->missed = true;
	/* the first few say enough; the report has the figures */
	if (++r->nmisses > 4)
		return;
	size_t used = strlen(r->misses);
	if (used + 8 >= sizeof r->misses)
		return;
	if (used)
		used += (size_t)snprintf(r->misses + used, sizeof r->misses - used, "; ");
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(r->misses + used, sizeof r->misses - used, "%s (%s)", what, where);
}

static void tally(struct layer_tally *t, double s)
{
	if (s < 0)
		return;
	t->runs++;
	if (s < t->first_s)
		t->first_s = s;
}

static void severity(struct row_result *r, double v)
{
	if (v > r->severity)
		r->severity = v;
}

/* Does the layer named act in this run? "host=CODE" asks for that check. */
static bool acted(const char *layer, const struct outcome *o)
{
	if (strcmp(layer, "-") == 0)
		return true; /* in a list: none needed, the others are named for coverage */
	if (strcmp(layer, "fw") == 0)
		return o->fw_s >= 0;
	if (strcmp(layer, "fuse") == 0)
		return o->fuse_s >= 0;
	if (strcmp(layer, "watchdog") == 0)
		return o->watchdog_s >= 0;
	if (strcmp(layer, "host") == 0)
		return o->host_code[0] != '\0';
	if (strncmp(layer, "host=", 5) == 0)
		return strcmp(o->host_code, layer + 5) == 0;
	return false; /* a layer the simulator does not model yet (loadswitch, gpio) */
}

/* "a|b" any of, "a+b" all of */
static bool layers_ok(const char *spec, const struct outcome *o)
{
	if (strcmp(spec, "-") == 0)
		return true;
	bool all = strchr(spec, '+') != NULL;
	char buf[128];
	snprintf(buf, sizeof buf, "%s", spec);
	bool any = false, every = true;
	for (char *save = NULL, *tok = strtok_r(buf, "|+", &save); tok; tok = strtok_r(NULL, "|+", &save)) {
		bool a = acted(tok, o);
		any |= a;
		every &= a;
	}
	return all ? every : any;
}

static void add_code(char *list, size_t len, const char *code)
{
	if (!code[0])
		return;
	char key[40];
	snprintf(key, sizeof key, "%s ", code);
	if (strstr(list, key))
		return;
	size_t used = strlen(list);
	snprintf(list + used, len - used, "%s", key);
}

void judge_run(struct row_result *r, const char *where, const struct outcome *o, const struct outcome *twin)
{
	const struct hazard *h = r->h;
	const struct exposure *e = &o->exposure;
	r->runs++;
	r->ran = true;
	if (o->zero_s > r->zero_s) {
		r->zero_s = o->zero_s;
		snprintf(r->zero_where, sizeof r->zero_where, "%s", where);
	}
	if (e->plate_max_c > r->plate_max_c) {
		r->plate_max_c = e->plate_max_c;
		snprintf(r->plate_max_where, sizeof r->plate_max_where, "%s", where);
	}
	r->plate_min_c = fmin(r->plate_min_c, e->plate_min_c);
	r->tissue_max_c = fmax(r->tissue_max_c, e->tissue_max_c);
	double added = e->cem43_min - twin->exposure.cem43_min;
	r->cem43_min = fmax(r->cem43_min, added);
	r->cold_s = fmax(r->cold_s, e->cold_s);
	tally(&r->fw, o->fw_s);
	tally(&r->host, o->host_code[0] ? o->host_s : -1);
	tally(&r->fuse, o->fuse_s);
	tally(&r->watchdog, o->watchdog_s);
	add_code(r->host_codes, sizeof r->host_codes, o->host_code);
	add_code(r->host_fired, sizeof r->host_fired, o->host_any);

	if (!isnan(h->zero_s)) {
		severity(r, o->zero_s / h->zero_s);
		if (o->zero_s > h->zero_s)
			isinf(o->zero_s) ? miss(r, where, "the drive never reached zero (bound %g s)", h->zero_s)
					 : miss(r, where, "zero drive after %.2f s > %g s", o->zero_s, h->zero_s);
	}
	if (!isnan(h->plate_max_c)) {
		severity(r, (e->plate_max_c - SKIN_C) / (h->plate_max_c - SKIN_C));
		if (e->plate_max_c > h->plate_max_c)
			miss(r, where, "true plate %.2f C > %g C", e->plate_max_c, h->plate_max_c);
	}
	if (!isnan(h->plate_min_c)) {
		severity(r, (SKIN_C - e->plate_min_c) / (SKIN_C - h->plate_min_c));
		if (e->plate_min_c < h->plate_min_c)
			miss(r, where, "true plate %.2f C < %g C", e->plate_min_c, h->plate_min_c);
	}
	if (!isnan(h->tissue_max_c) && e->tissue_max_c > h->tissue_max_c)
		miss(r, where, "tissue %.2f C > %g C", e->tissue_max_c, h->tissue_max_c);
	if (!isnan(h->cem43_min)) {
		severity(r, added / h->cem43_min);
		if (added > h->cem43_min)
			miss(r, where, "added dose %.2f CEM43 min > %g", added, h->cem43_min);
	}
	if (!isnan(h->cold_s) && e->cold_s > h->cold_s)
		miss(r, where, "%.0f s below %.0f C > %g s", e->cold_s, EXPOSURE_COLD_C, h->cold_s);
	if (!layers_ok(h->layers, o))
		miss(r, where, "no %s acted", h->layers);
	if (h->latch && !o->latch_held)
		miss(r, where, "the latch did not hold the drive at zero once the cause was gone");
	if (!o->cleared)
		miss(r, where, "clearing (%s) failed: %s", h->clear, o->clear_why);
	if (o->note[0])
		miss(r, where, "%s", o->note);
	if (twin->tripped)
		miss(r, where, "the fault-free twin tripped: %s", twin->trip);
}

void judge_not_runnable(struct row_result *r, const char *why)
{
	if (!r->no_run[0])
		snprintf(r->no_run, sizeof r->no_run, "%.399s", why);
}

void judge_finish(struct row_result *r)
{
	bool open = table_is_open(r->h);
	if (!r->ran)
		r->verdict = open ? VERDICT_OPEN : VERDICT_NO_RUN;
	else if (r->missed || r->no_run[0])
		r->verdict = open ? VERDICT_OPEN : VERDICT_MISS;
	else
		r->verdict = open ? VERDICT_OPEN_PASSES : VERDICT_PASS;
	if (r->nmisses > 4) {
		size_t used = strlen(r->misses);
		snprintf(r->misses + used, sizeof r->misses - used, "; and %d more", r->nmisses - 4);
	}
	if (r->no_run[0] && r->ran && !r->missed)
		snprintf(r->misses, sizeof r->misses, "part of its runs could not run: %s", r->no_run);
}

const char *judge_verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_MISS: return "MISS";
	case VERDICT_NO_RUN: return "NO RUN";
	case VERDICT_OPEN: return "OPEN";
	case VERDICT_OPEN_PASSES: return "OPEN, NOW PASSES";
	case VERDICT_PASS: return "pass";
	}
	return "?";
}
