/* SPDX-License-Identifier: MIT */
/*
 * Doses across sessions: back-to-back sessions share the caps (they used
 * to start from zero each time), a start that would pass one is refused
 * naming when it will be allowed, the daily ceiling does not decay, and
 * the ledger survives a restart as text, and one that cannot be trusted
 * counts as the worst the caps allow. Model time, microseconds.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "rig.h"

static void run_until_idle(struct rig *r, double plate, int max)
{
	for (int i = 0; i < max && r->core.state != CORE_IDLE; i++)
		rig_sample(r, plate + (i % 2) * 0.01, 25);
}

/* 1. A second session right after one that reached the heat cap is
 * refused, with when; once the pool has decayed it starts, and counts on
 * from what is left. */
static void back_to_back_sessions_share_the_heat_cap(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 42, 42);
	r.core.cfg.limits.dose_cem43_min = r.core.safety.lim.dose_cem43_min = 2.0;
	run_until_idle(&r, 42, 20 * 600);
	assert_string_equal(r.core.outcome, "cap reached");
	struct plan p = rig_plan(PHASE_HEAT, 42, 2); /* adds 0.5 CEM43 min */
	char why[512];
	assert_int_equal(core_start(&r.core, &p, r.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "heat dose: 2.0 CEM43 min of recent sessions"));
	assert_non_null(strstr(why, "allowed again in 1 h 4")); /* 4 h x log2(2.0 / 1.5) = 1.66 h */
	r.t += 1.6 * 3600;
	rig_sample(&r, 32, 25);
	assert_int_equal(core_start(&r.core, &p, r.t, why, sizeof why), -1);
	r.t += 0.1 * 3600;
	rig_sample(&r, 32, 25);
	if (core_start(&r.core, &p, r.t, why, sizeof why) != 0)
		fail_msg("refused: %s", why);
	assert_true(r.core.safety.cem43_min > 1.4 && r.core.safety.cem43_min < 1.5); /* carried on */
	struct core_status st;
	core_status(&r.core, &st);
	assert_true(st.dose_recent_cem43_min > 1.4);
	assert_true(st.dose_day_cem43_min > 2.0); /* the day does not decay */
}

/* 2. Cold: the daily ceiling (1.5 x the session cap) holds even when
 * the recent pool has decayed. */
static void the_daily_cold_ceiling_does_not_decay(void **state)
{
	(void)state;
	struct dose_ledger l;
	dose_ledger_init(&l);
	struct safety_limits lim;
	safety_limits_default(&lim);
	struct dose_rules rules;
	dose_rules_from_limits(&rules, &lim);
	assert_true(rules.cold_day_s == 3600); /* 1.5 x 40 min */
	for (int i = 0; i < 5; i++)
		dose_ledger_add(&l, i * 4 * 3600.0, 0, 12 * 60); /* 12 min of cold every 4 h */
	double wait;
	char why[512];
	/* 60 min in the last 24 h: another 10 min waits for the oldest to go */
	assert_int_equal(dose_ledger_admit(&l, 16 * 3600.0 + 600, &rules, &lim, 0, 600, &wait, why, sizeof why), -1);
	assert_non_null(strstr(why, "cold exposure: 60.0 min in the last 24 h"));
	assert_true(fabs(wait - (24 * 3600.0 - 16 * 3600.0 - 600)) < 1);
	assert_int_equal(dose_ledger_admit(&l, 24 * 3600.0 + 1, &rules, &lim, 0, 600, &wait, why, sizeof why), 0);
	/* a session that alone is more than the ceiling: never */
	assert_int_equal(dose_ledger_admit(&l, 0, &rules, &lim, 0, 2 * 3600, &wait, why, sizeof why), -1);
	assert_true(isinf(wait));
}

/* 3. The ledger as text and back, a session in progress included; a
 * broken file is refused with its line. */
static void the_ledger_survives_a_restart(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 12);
	r.core.epoch_offset_s = 1.7e9;
	for (int i = 0; i < 3000; i++)
		rig_sample(&r, 12 + (i % 2) * 0.01, 25);
	struct dose_ledger snap, back;
	core_ledger_snapshot(&r.core, &snap);
	assert_true(snap.cold_s > 290 && snap.cold_s < 310);
	char text[8192], err[200];
	assert_int_equal(dose_ledger_format(&snap, "TP-1", text, sizeof text), 0);
	assert_int_equal(dose_ledger_parse(text, &back, err, sizeof err), 0);
	assert_int_equal(back.n, snap.n);
	assert_true(fabs(back.cold_s - snap.cold_s) < 0.01 && fabs(back.t - snap.t) < 0.01);
	assert_true(fabs(back.day[0].cold_s - snap.day[0].cold_s) < 0.01);
	assert_int_equal(dose_ledger_parse("[ledger]\ncold_s = lots\n", &back, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(dose_ledger_parse("[session]\ncold_s = 3\n", &back, err, sizeof err), -1);
	/* a new core (the daemon restarted) with that ledger: the cold counts */
	struct rig fresh;
	rig_start(&fresh, PHASE_OFF, 0, 32);
	char why[512];
	core_stop(&fresh.core, fresh.t, why, sizeof why);
	fresh.core.ledger = back;
	fresh.core.epoch_offset_s = 1.7e9 + r.t - fresh.t; /* the same ledger time */
	struct plan p = rig_plan(PHASE_COLD, 12, 18);
	p.cycles = 2; /* 36 min of cold: with 5 min carried, more than the 40 allowed */
	assert_int_equal(core_start(&fresh.core, &p, fresh.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "cold exposure"));
	assert_non_null(strstr(why, "allowed again in 20 min")); /* 1 h x log2(5 / 4) */
}

/* 4. A cold session's end leaves the plate below cold_c while it warms
 * back; the firmware counts that time, so the ledger must too (it used to
 * count only inside sessions); and heat above 37 C alike. */
static void the_plate_counts_between_sessions(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 12);
	char why[512];
	core_stop(&r.core, r.t, why, sizeof why);
	run_until_idle(&r, 12, 600);
	assert_int_equal(r.core.state, CORE_IDLE);
	struct dose_ledger before;
	core_ledger_snapshot(&r.core, &before);
	for (int i = 0; i < 900; i++) /* 90 s warming from 12 to 14.7 C */
		rig_sample(&r, 12 + i * 0.003, 25);
	for (int i = 0; i < 600; i++) /* 60 s above 37 C, at 41 C */
		rig_sample(&r, 41, 25);
	rig_sample(&r, 33, 25);
	struct dose_ledger after;
	core_ledger_snapshot(&r.core, &after);
	dose_ledger_at(&before, after.t);
	assert_true(after.cold_s - before.cold_s > 89.0 && after.cold_s - before.cold_s < 91.0);
	/* 1 min at 41 C: 0.25^2 CEM43 min */
	assert_true(fabs(after.heat_cem43_min - before.heat_cem43_min - 0.0625) < 0.002);
	struct core_status st;
	core_status(&r.core, &st);
	assert_true(st.cold_recent_s > 89.0);
}

/* 5. A ledger that cannot be trusted counts as the worst the caps allow:
 * a mild session of either kind waits a day, and says so. */
static void an_untrusted_ledger_counts_as_the_worst(void **state)
{
	(void)state;
	struct safety_limits lim;
	safety_limits_default(&lim);
	struct dose_rules rules;
	dose_rules_from_limits(&rules, &lim);
	struct dose_ledger l;
	dose_ledger_worst(&l, 1000.0, &lim);
	assert_true(l.heat_cem43_min == lim.dose_cem43_min && l.cold_s == lim.cold_session_max_s);
	assert_true(dose_ledger_day_heat(&l, 1000.0) == rules.heat_day_cem43_min);
	double wait;
	char why[512];
	assert_int_equal(dose_ledger_admit(&l, 1000.0, &rules, &lim, 0.1, 0, &wait, why, sizeof why), -1);
	assert_true(fabs(wait - 24 * 3600.0) < 1);
	assert_non_null(strstr(why, "in the last 24 h"));
	assert_int_equal(dose_ledger_admit(&l, 1000.0, &rules, &lim, 0, 60, &wait, why, sizeof why), -1);
	assert_true(fabs(wait - 24 * 3600.0) < 1);
	/* a day on, it is all gone */
	assert_int_equal(dose_ledger_admit(&l, 1001.0 + 24 * 3600.0, &rules, &lim, 0.1, 60, &wait, why, sizeof why), 0);
}

/* 6. A cap reached on one kind of exposure holds that kind only: with the
 * day's cold a hair over its ceiling (where a cold cap ended the last
 * session), a heat session starts and runs without a cold cap, and a cold
 * one is refused; the heat caps likewise leave a cold session alone. (It
 * used to refuse every session for the rest of the day.) */
static void a_cap_of_one_kind_leaves_the_other_alone(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 32);
	char why[512];
	core_stop(&r.core, r.t, why, sizeof why);
	struct dose_rules rules;
	dose_rules_from_limits(&rules, &r.core.cfg.limits);
	dose_ledger_init(&r.core.ledger);
	dose_ledger_add(&r.core.ledger, r.t + r.core.epoch_offset_s, 0, rules.cold_day_s + 1);
	struct plan cold = rig_plan(PHASE_COLD, 12, 5);
	assert_int_equal(core_start(&r.core, &cold, r.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "cold exposure"));
	struct plan heat = rig_plan(PHASE_HEAT, 40, 3);
	if (core_start(&r.core, &heat, r.t, why, sizeof why) != 0)
		fail_msg("a heat session refused for cold: %s", why);
	for (int i = 0; i < 600; i++) /* a minute at 40 C */
		rig_sample(&r, 40 + (i % 2) * 0.01, 25);
	assert_false(r.core.safety.cap_reached);
	core_stop(&r.core, r.t, why, sizeof why);
	run_until_idle(&r, 32, 600);
	/* and the other way round: heat over its cap, a cold session runs */
	dose_ledger_init(&r.core.ledger);
	dose_ledger_add(&r.core.ledger, r.t + r.core.epoch_offset_s, rules.heat_day_cem43_min + 0.01, 0);
	assert_int_equal(core_start(&r.core, &heat, r.t, why, sizeof why), -1);
	if (core_start(&r.core, &cold, r.t, why, sizeof why) != 0)
		fail_msg("a cold session refused for heat: %s", why);
	for (int i = 0; i < 600; i++) /* a minute on its way down from 32 C */
		rig_sample(&r, 32 - i * 0.02, 25);
	assert_false(r.core.safety.cap_reached);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(back_to_back_sessions_share_the_heat_cap),
		cmocka_unit_test(the_daily_cold_ceiling_does_not_decay),
		cmocka_unit_test(the_ledger_survives_a_restart),
		cmocka_unit_test(the_plate_counts_between_sessions),
		cmocka_unit_test(an_untrusted_ledger_counts_as_the_worst),
		cmocka_unit_test(a_cap_of_one_kind_leaves_the_other_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
