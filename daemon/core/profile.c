/* SPDX-License-Identifier: MIT */
#include "profile.h"

#include <ctype.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "ini_util.h"

struct parse {
	struct profile *p;
	const struct safety_limits *lim;
	double neutral_c;
	const char *text;
	struct ini_error err;
	int fail_line; /* when known without inih (validation after parsing) */
	bool seen_profile;
	char bad_section[64]; /* reported at its header line, not its first key */
	bool phase_has_kind[PLAN_MAX_PHASES], phase_has_target[PLAN_MAX_PHASES], phase_has_duration[PLAN_MAX_PHASES];
};

static int number(struct parse *ps, const char *section, const char *key, const char *value, double lo, double hi,
		  double *out)
{
	double v;
	if (!ini_number(value, &v))
		return ini_fail(&ps->err, "[%s] %s: '%s' is not a number", section, key, value);
	if (v < lo || v > hi)
		return ini_fail(&ps->err, "[%s] %s = %s is outside %g..%g", section, key, value, lo, hi);
	*out = v;
	return 1;
}

static int kind_from(const char *s, enum phase_kind *k)
{
	static const char *const names[] = {"heat", "cold", "neutral", "off"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*k = (enum phase_kind)i;
			return 0;
		}
	return -1;
}

static int find_phase(struct profile *p, const char *name, bool create)
{
	for (int i = 0; i < p->plan.nphases; i++)
		if (strcmp(p->plan.phases[i].name, name) == 0)
			return i;
	if (!create || p->plan.nphases >= PLAN_MAX_PHASES)
		return -1;
	struct phase *ph = &p->plan.phases[p->plan.nphases];
	memset(ph, 0, sizeof *ph);
	snprintf(ph->name, sizeof ph->name, "%s", name);
	return p->plan.nphases++;
}

static int profile_key(struct parse *ps, const char *key, const char *value)
{
	struct plan *plan = &ps->p->plan;
	double v;
	if (strcmp(key, "description") == 0) {
		snprintf(ps->p->description, sizeof ps->p->description, "%s", value);
		return 1;
	}
	if (strcmp(key, "cycles") == 0) {
		if (!number(ps, "profile", key, value, 1, 20, &v))
			return 0;
		if (v != floor(v))
			return ini_fail(&ps->err, "[profile] cycles = %s is not a whole number", value);
		plan->cycles = (int)v;
		return 1;
	}
	if (strcmp(key, "end") == 0) {
		if (kind_from(value, &plan->end) != 0)
			return ini_fail(&ps->err, "[profile] end = %s: expected heat, cold, neutral or off", value);
		plan->has_end = true;
		return 1;
	}
	if (strcmp(key, "band_c") == 0)
		return number(ps, "profile", key, value, 0.1, 2.0, &plan->band_c);
	return ini_fail(&ps->err, "[profile]: unknown key '%s' (description, cycles, end, band_c)", key);
}

static int phase_key(struct parse *ps, const char *section, const char *name, const char *key, const char *value)
{
	int i = find_phase(ps->p, name, true);
	if (i < 0)
		return ini_fail(&ps->err, "[%s]: more than %d phases", section, PLAN_MAX_PHASES);
	struct phase *ph = &ps->p->plan.phases[i];
	double v;
	if (strcmp(key, "kind") == 0) {
		if (kind_from(value, &ph->kind) != 0)
			return ini_fail(&ps->err, "[%s] kind = %s: expected heat, cold, neutral or off", section, value);
		ps->phase_has_kind[i] = true;
		return 1;
	}
	if (strcmp(key, "target_c") == 0) {
		/* the envelope, not a plausibility range: refused, never clamped */
		if (!number(ps, section, key, value, -100, 200, &v))
			return 0;
		if (v < ps->lim->setpoint_min_c || v > ps->lim->setpoint_max_c)
			return ini_fail(&ps->err, "[%s] target_c = %s is outside the safety envelope %.1f..%.1f C", section, value,
				    ps->lim->setpoint_min_c, ps->lim->setpoint_max_c);
		ph->target_c = v;
		ps->phase_has_target[i] = true;
		return 1;
	}
	if (strcmp(key, "duration_min") == 0) {
		if (!number(ps, section, key, value, 0.1, 120, &v))
			return 0;
		ph->duration_s = v * 60.0;
		ps->phase_has_duration[i] = true;
		return 1;
	}
	if (strcmp(key, "duration_s") == 0) {
		if (!number(ps, section, key, value, 1, 7200, &v))
			return 0;
		ph->duration_s = v;
		ps->phase_has_duration[i] = true;
		return 1;
	}
	if (strcmp(key, "ramp_c_per_min") == 0) {
		if (!number(ps, section, key, value, 0, 30, &v))
			return 0;
		ph->ramp_c_per_s = v / 60.0;
		return 1;
	}
	return ini_fail(&ps->err, "[%s]: unknown key '%s' (kind, target_c, duration_min or duration_s, ramp_c_per_min)", section,
		    key);
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse *ps = user;
	if (strcmp(section, "profile") == 0) {
		ps->seen_profile = true;
		return profile_key(ps, key, value);
	}
	if (strncmp(section, "phase.", 6) == 0 && section[6]) {
		for (const char *c = section + 6; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
				return ini_fail(&ps->err, "[%s]: a phase name is letters, digits, '-' and '_'", section);
		if (strlen(section + 6) >= PLAN_NAME_MAX)
			return ini_fail(&ps->err, "[%s]: phase name too long", section);
		return phase_key(ps, section, section + 6, key, value);
	}
	if (!ps->err.failed)
		snprintf(ps->bad_section, sizeof ps->bad_section, "%s", section);
	return ini_fail(&ps->err, "unknown section [%s] (expected [profile] and [phase.NAME])", section);
}

/* The line of "[section]" in the text, for errors found after parsing. */
static int section_line(const char *text, const char *section)
{
	int line = 1;
	size_t n = strlen(section);
	for (const char *p = text; *p; line++) {
		const char *q = p;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '[' && strncmp(q + 1, section, n) == 0 && q[1 + n] == ']')
			return line;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return 0;
}

/* inih reports the first bad line but keeps going, so our handler may have
 * failed on a later line: parse the text up to that line again; if the
 * handler has nothing to say about it, inih itself found bad syntax. */
static bool syntax_error_at(const char *text, int line, const struct safety_limits *lim)
{
	if (line <= 0)
		return false;
	size_t n = 0;
	for (int l = 0; l < line && text[n]; n++)
		if (text[n] == '\n')
			l++;
	char *head = strndup(text, n);
	if (!head)
		return false;
	struct profile scratch;
	memset(&scratch, 0, sizeof scratch);
	/* the same limits as the parse: a value refused only by a narrowed
	 * envelope is that refusal, not a syntax error */
	struct parse ps = {.p = &scratch, .lim = lim, .neutral_c = PID_NEUTRAL_C};
	ini_parse_string(head, on_key, &ps);
	free(head);
	return !ps.err.failed;
}

static void set_error(struct profile_error *err, const char *file, int line, const char *msg)
{
	snprintf(err->file, sizeof err->file, "%s", file);
	err->line = line;
	snprintf(err->message, sizeof err->message, "%s", msg);
	if (line > 0)
		snprintf(err->text, sizeof err->text, "%s:%d: %s", file, line, msg);
	else
		snprintf(err->text, sizeof err->text, "%s: %s", file, msg);
}

/* Everything inih cannot see: required keys, kinds against targets. */
static int validate(struct parse *ps, const char *text)
{
	struct plan *plan = &ps->p->plan;
	if (plan->nphases == 0)
		return ini_fail(&ps->err, "no phases: add at least one [phase.NAME] section");
	for (int i = 0; i < plan->nphases; i++) {
		struct phase *ph = &plan->phases[i];
		char section[PLAN_NAME_MAX + 8];
		snprintf(section, sizeof section, "phase.%s", ph->name);
		ps->fail_line = section_line(text, section);
		if (!ps->phase_has_kind[i])
			return ini_fail(&ps->err, "[%s]: missing 'kind' (heat, cold, neutral or off)", section);
		if (!ps->phase_has_duration[i])
			return ini_fail(&ps->err, "[%s]: missing 'duration_min'", section);
		if ((ph->kind == PHASE_HEAT || ph->kind == PHASE_COLD) && !ps->phase_has_target[i])
			return ini_fail(&ps->err, "[%s]: a %s phase needs 'target_c'", section, plan_kind_name(ph->kind));
		if ((ph->kind == PHASE_NEUTRAL || ph->kind == PHASE_OFF) && ps->phase_has_target[i])
			return ini_fail(&ps->err, "[%s]: %s phases take no 'target_c'", section, plan_kind_name(ph->kind));
		if (ph->kind == PHASE_NEUTRAL)
			ph->target_c = ps->neutral_c;
		char err[256];
		if (core_check_phase(ps->lim, ph, ps->neutral_c, err, sizeof err) != 0)
			return ini_fail(&ps->err, "%s", err);
	}
	ps->fail_line = section_line(text, "profile");
	struct plan_run run;
	char err[256];
	if (plan_expand(plan, &run, err, sizeof err) != 0)
		return ini_fail(&ps->err, "%s", err);
	if (core_check_plan(ps->lim, &run, err, sizeof err) != 0)
		return ini_fail(&ps->err, "%s", err);
	return 1;
}

int profile_parse(const char *text, const char *filename, const char *name, const struct safety_limits *lim,
		  double neutral_c, struct profile *out, struct profile_error *err)
{
	struct profile p;
	memset(&p, 0, sizeof p);
	memset(err, 0, sizeof *err);
	snprintf(p.plan.name, sizeof p.plan.name, "%s", name);
	p.plan.cycles = 1;
	p.plan.band_c = 0.5;
	p.plan.neutral_c = neutral_c;
	struct parse ps = {.p = &p, .lim = lim, .neutral_c = neutral_c, .text = text};
	int line = ini_parse_string(text, on_key, &ps);
	if (line != 0 && ps.bad_section[0] && section_line(text, ps.bad_section) > 0)
		line = section_line(text, ps.bad_section);
	if (line != 0) {
		set_error(err, filename, line > 0 ? line : 0, ps.err.failed && (ps.bad_section[0] || !syntax_error_at(text, line, lim)) ? ps.err.msg : "syntax error");
		return -1;
	}
	if (!ps.seen_profile && section_line(text, "profile") == 0) {
		set_error(err, filename, 0, "missing the [profile] section");
		return -1;
	}
	if (!validate(&ps, text)) {
		set_error(err, filename, ps.fail_line, ps.err.msg);
		return -1;
	}
	*out = p;
	return 0;
}

int profile_override(struct profile *p, const char *assignment, const struct safety_limits *lim, double neutral_c,
		     struct profile_error *err)
{
	char key[96], value[96];
	const char *eq = strchr(assignment, '=');
	memset(err, 0, sizeof *err);
	if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof key || strlen(eq + 1) >= sizeof value) {
		set_error(err, "--set", 0, "expected KEY=VALUE, e.g. cycles=3 or hot.target_c=41");
		return -1;
	}
	snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
	snprintf(value, sizeof value, "%s", eq + 1);
	struct profile copy = *p;
	struct parse ps = {.p = &copy, .lim = lim, .neutral_c = neutral_c};
	for (int i = 0; i < copy.plan.nphases; i++)
		ps.phase_has_kind[i] = ps.phase_has_duration[i] = true, ps.phase_has_target[i] =
			copy.plan.phases[i].kind == PHASE_HEAT || copy.plan.phases[i].kind == PHASE_COLD;
	char *dot = strchr(key, '.');
	int ok;
	if (!dot) {
		ok = profile_key(&ps, key, value);
	} else {
		*dot = '\0';
		char section[sizeof key + 8];
		snprintf(section, sizeof section, "phase.%s", key);
		if (find_phase(&copy, key, false) < 0) {
			char msg[160];
			snprintf(msg, sizeof msg, "no phase '%s' in profile '%s'", key, p->plan.name);
			set_error(err, "--set", 0, msg);
			return -1;
		}
		ok = phase_key(&ps, section, key, dot + 1, value);
	}
	if (!ok || !validate(&ps, "")) {
		set_error(err, "--set", 0, ps.err.msg);
		return -1;
	}
	*p = copy;
	return 0;
}

int profile_name_from_filename(const char *filename, char *name, size_t len)
{
	const char *base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	size_t n = strlen(base);
	if (n <= 4 || strcmp(base + n - 4, ".ini") != 0 || base[0] == '.' || n - 4 >= len)
		return -1;
	for (size_t i = 0; i < n - 4; i++)
		if (!isalnum((unsigned char)base[i]) && base[i] != '-' && base[i] != '_')
			return -1;
	snprintf(name, len, "%.*s", (int)(n - 4), base);
	return 0;
}
