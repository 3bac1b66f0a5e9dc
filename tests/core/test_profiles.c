/* SPDX-License-Identifier: MIT */
/* Profiles and plans: the built-ins, a corpus of broken files each with the
 * error it must give, overrides, and plan timing. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rig.h"
#include "profile.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static int parse_file(const char *path, struct profile *p, struct profile_error *e)
{
	struct safety_limits lim;
	safety_limits_default(&lim);
	char name[64];
	if (profile_name_from_filename(path, name, sizeof name) != 0)
		snprintf(name, sizeof name, "x");
	return profile_parse(slurp(path), path, name, &lim, 32.0, p, e);
}

static void builtins_load(void **state)
{
	(void)state;
	const char *names[] = {"heat", "cold", "contrast", "warmup", "intermittent-cold"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[128];
		snprintf(path, sizeof path, "profiles/%s.ini", names[i]);
		struct profile p;
		struct profile_error e;
		if (parse_file(path, &p, &e) != 0)
			fail_msg("%s", e.text);
		assert_string_equal(p.plan.name, names[i]);
		assert_true(strlen(p.description) > 0);
	}
}

static void contrast_is_what_it_says(void **state)
{
	(void)state;
	struct profile p;
	struct profile_error e;
	assert_int_equal(parse_file("profiles/contrast.ini", &p, &e), 0);
	struct plan_run run;
	char err[128];
	assert_int_equal(plan_expand(&p.plan, &run, err, sizeof err), 0);
	assert_int_equal(run.nsteps, 8); /* 4 cycles of hot and cold */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(run.steps[i].kind, i % 2 ? PHASE_COLD : PHASE_HEAT);
		assert_true(run.steps[i].target_c == (i % 2 ? 12.0 : 40.0));
		assert_true(run.steps[i].duration_s == (i % 2 ? 60.0 : 180.0));
	}
	assert_int_equal(run.steps[7].kind, PHASE_COLD); /* ending cold */
	/* intermittent cold: on, off, on */
	assert_int_equal(parse_file("profiles/intermittent-cold.ini", &p, &e), 0);
	assert_int_equal(plan_expand(&p.plan, &run, err, sizeof err), 0);
	assert_int_equal(run.nsteps, 3);
	assert_int_equal(run.steps[1].kind, PHASE_OFF);
}

static void broken_corpus(void **state)
{
	(void)state;
	const char *dir = "tests/core/profiles-bad";
	DIR *d = opendir(dir);
	assert_non_null(d);
	int checked = 0;
	struct dirent *ent;
	while ((ent = readdir(d))) {
		if (!strstr(ent->d_name, ".ini"))
			continue;
		char path[300];
		snprintf(path, sizeof path, "%s/%.200s", dir, ent->d_name);
		const char *text = slurp(path);
		const char *expect = strstr(text, "# expect: ");
		assert_non_null(expect);
		int line = atoi(expect + 10);
		const char *msg = strchr(expect + 10, ':') + 2;
		char want[600];
		int n = (int)(strchr(msg, '\n') - msg);
		if (line)
			snprintf(want, sizeof want, "%s:%d: %.*s", path, line, n, msg);
		else
			snprintf(want, sizeof want, "%s: %.*s", path, n, msg);
		struct profile p;
		struct profile_error e;
		if (parse_file(path, &p, &e) == 0)
			fail_msg("%s was accepted", path);
		if (strcmp(e.text, want) != 0)
			fail_msg("%s:\n  got  %s\n  want %s", path, e.text, want);
		checked++;
	}
	closedir(d);
	assert_true(checked >= 12);
}

static void overrides(void **state)
{
	(void)state;
	struct profile p;
	struct profile_error e;
	struct safety_limits lim;
	safety_limits_default(&lim);
	assert_int_equal(parse_file("profiles/contrast.ini", &p, &e), 0);
	assert_int_equal(profile_override(&p, "cycles=3", &lim, 32, &e), 0);
	assert_int_equal(p.plan.cycles, 3);
	assert_int_equal(profile_override(&p, "hot.target_c=41", &lim, 32, &e), 0);
	assert_true(p.plan.phases[0].target_c == 41);
	struct profile before = p;
	assert_int_equal(profile_override(&p, "hot.target_c=44", &lim, 32, &e), -1);
	assert_non_null(strstr(e.text, "outside the safety envelope"));
	assert_int_equal(profile_override(&p, "warm.target_c=40", &lim, 32, &e), -1);
	assert_non_null(strstr(e.text, "no phase 'warm'"));
	assert_int_equal(profile_override(&p, "cycles", &lim, 32, &e), -1);
	assert_non_null(strstr(e.text, "KEY=VALUE"));
	assert_int_equal(profile_override(&p, "cold.duration_min=30", &lim, 32, &e), -1);
	assert_true(memcmp(&p, &before, sizeof p) == 0); /* a refused override changes nothing */
	char name[32];
	assert_int_equal(profile_name_from_filename("/etc/thermopad/profiles/my-heat.ini", name, sizeof name), 0);
	assert_string_equal(name, "my-heat");
	assert_int_equal(profile_name_from_filename("notes.txt", name, sizeof name), -1);
	assert_int_equal(profile_name_from_filename(".hidden.ini", name, sizeof name), -1);
}

/* Phase time counts from reaching the band; pause holds the clock. */
static void plan_timing(void **state)
{
	(void)state;
	struct rig r;
	assert_int_equal(rig_start(&r, PHASE_HEAT, 40, 32), 0);
	r.core.run.steps[0].duration_s = 60;
	for (int i = 0; i < 100; i++) /* 10 s approaching: the clock does not run */
		rig_sample(&r, 32 + i * 0.05, 25);
	struct core_status st;
	core_status(&r.core, &st);
	assert_false(st.in_band);
	assert_true(st.phase_left_s == 60);
	for (int i = 0; i < 300; i++) /* 30 s in the band */
		rig_sample(&r, 39.8 + (i % 2) * 0.01, 25);
	core_status(&r.core, &st);
	assert_true(st.in_band);
	/* the estimator takes a moment to settle after the jump into the band */
	assert_true(st.phase_left_s > 29.0 && st.phase_left_s < 32.0);
	double held = st.phase_left_s;
	char err[200];
	assert_int_equal(core_pause(&r.core, r.t, err, sizeof err), 0);
	for (int i = 0; i < 200; i++) {
		rig_sample(&r, 39.8, 25);
		assert_true(r.out.drive == 0.0); /* paused: drive zero */
	}
	core_status(&r.core, &st);
	assert_true(fabs(st.phase_left_s - held) < 0.15); /* clock held */
	assert_int_equal(core_resume(&r.core, r.t, err, sizeof err), 0);
	assert_int_equal(core_extend(&r.core, 60, err, sizeof err), 0);
	core_status(&r.core, &st);
	assert_true(fabs(st.phase_left_s - (held + 60)) < 0.15);
	for (int i = 0; i < (int)(held + 60) * 10 + 20; i++)
		rig_sample(&r, 39.9 + (i % 2) * 0.01, 25);
	assert_int_equal(r.core.state, CORE_IDLE);
	assert_string_equal(r.core.outcome, "completed");
}

static void skip_and_stop(void **state)
{
	(void)state;
	struct rig r;
	memset(&r, 0, sizeof r);
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&r.core, &cfg);
	rig_sample(&r, 32, 25);
	struct profile p;
	struct profile_error e;
	assert_int_equal(parse_file("profiles/contrast.ini", &p, &e), 0);
	char err[200];
	assert_int_equal(core_start(&r.core, &p.plan, r.t, err, sizeof err), 0);
	rig_sample(&r, 32, 25);
	assert_int_equal(core_skip(&r.core, r.t, err, sizeof err), 0);
	rig_sample(&r, 32, 25);
	struct core_status st;
	core_status(&r.core, &st);
	assert_string_equal(st.phase_kind, "cold");
	assert_int_equal(st.step, 2);
	assert_true(fabs(st.session_left_s - (60 + 3 * 240)) < 1);
	for (int i = 0; i < 20; i++)
		rig_sample(&r, 32 - i * 0.05, 25);
	assert_true(r.out.drive < -0.3);
	assert_int_equal(core_stop(&r.core, r.t, err, sizeof err), 0);
	/* stop ends gently: the drive ramps to zero, then the session ends */
	double last = r.out.drive;
	int steps = 0;
	while (r.core.state != CORE_IDLE && steps < 100) {
		rig_sample(&r, 31, 25);
		assert_true(fabs(r.out.drive) <= fabs(last) + 1e-9);
		last = r.out.drive;
		steps++;
	}
	assert_true(steps > 3);
	assert_true(r.out.drive == 0.0);
	assert_string_equal(r.core.outcome, "stopped");
	assert_int_equal(core_stop(&r.core, r.t, err, sizeof err), -1);
}

static void start_checks(void **state)
{
	(void)state;
	struct core core;
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&core, &cfg);
	struct plan p = rig_plan(PHASE_HEAT, 40, 5);
	char err[200];
	assert_int_equal(core_start(&core, &p, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "no temperature")); /* no pad data yet */
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 32);
	p = rig_plan(PHASE_HEAT, 43, 5);
	r.core.state = CORE_IDLE;
	assert_int_equal(core_start(&r.core, &p, r.t, err, sizeof err), -1);
	assert_non_null(strstr(err, "outside the allowed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtins_load), cmocka_unit_test(contrast_is_what_it_says),
		cmocka_unit_test(broken_corpus), cmocka_unit_test(overrides),
		cmocka_unit_test(plan_timing),   cmocka_unit_test(skip_and_stop),
		cmocka_unit_test(start_checks),
	};
	return cmocka_run_group_tests_name("profiles", tests, NULL, NULL);
}
