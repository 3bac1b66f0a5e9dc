/* SPDX-License-Identifier: MIT */
/*
 * Every safety check made to fire: the drive is zero in that very call,
 * the fault is latched, and its message names the check, the sensor, the
 * value, the limit and what the controller was doing.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "rig.h"

static void assert_fault(struct rig *r, const char *code, const char *must_mention[])
{
	const struct core_event *e = rig_event(r, code);
	if (!e)
		fail_msg("no '%s' event (latched: '%s' %s)", code, r->core.safety.code, r->core.safety.message);
	assert_int_equal(e->severity, CORE_FAULT);
	assert_true(r->out.drive == 0.0); /* in the same call */
	assert_true(r->core.safety.latched);
	assert_string_equal(r->core.safety.code, code);
	for (int i = 0; must_mention && must_mention[i]; i++)
		if (!strstr(e->message, must_mention[i]))
			fail_msg("message lacks '%s': %s", must_mention[i], e->message);
	/* and it stays latched: later samples keep the drive at zero */
	struct rig copy = *r;
	rig_sample(&copy, 38, 25);
	assert_true(copy.out.drive == 0.0);
	assert_true(copy.core.safety.latched);
}

/* A cap reached: a warning naming it, no latch, and the session ends in
 * order (the drive ramps down) with the outcome "cap reached". */
static void assert_cap(struct rig *r, const char *code, const char *must_mention[])
{
	const struct core_event *e = rig_event(r, code);
	if (!e)
		fail_msg("no '%s' event (latched: '%s' %s)", code, r->core.safety.code, r->core.safety.message);
	assert_int_equal(e->severity, CORE_WARNING);
	assert_false(r->core.safety.latched);
	for (int i = 0; must_mention && must_mention[i]; i++)
		if (!strstr(e->message, must_mention[i]))
			fail_msg("message lacks '%s': %s", must_mention[i], e->message);
	double last = fabs(r->out.drive);
	for (int i = 0; i < 100 && r->core.state != CORE_IDLE; i++) {
		rig_sample(r, r->s.plate_c[0], r->s.sink_c);
		assert_true(fabs(r->out.drive) <= last + 1e-9); /* down, never up */
		last = fabs(r->out.drive);
	}
	assert_int_equal(r->core.state, CORE_IDLE);
	assert_string_equal(r->core.outcome, "cap reached");
	assert_true(r->out.drive == 0.0);
}

/* Drives the rig until the core asks for a strong drive. */
static void warm_up(struct rig *r, double plate)
{
	for (int i = 0; i < 5; i++)
		rig_sample(r, plate, 25);
	assert_true(r->out.drive > 0.2);
}

static void plate_over(void **state)
{
	(void)state;
	struct rig r;
	assert_int_equal(rig_start(&r, PHASE_HEAT, 40, 36), 0);
	warm_up(&r, 36);
	r.s.plate_c[1] = 36;
	r.t += 0.1;
	r.s.t = r.t;
	r.s.plate_c[0] = 45.3;
	core_on_sample(&r.core, &r.s, &r.out);
	const char *words[] = {"plate-over", "plate A", "45.30", "45.00", "heating toward 40.00", NULL};
	assert_fault(&r, "plate-over", words);
}

static void plate_under(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 14);
	rig_sample(&r, 14, 25);
	rig_sample(&r, 4.8, 25);
	const char *words[] = {"plate-under", "4.80", "5.00", "cooling toward 12.00", NULL};
	assert_fault(&r, "plate-under", words);
}

static void sensor_invalid(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	warm_up(&r, 36);
	r.s.plate_ok[1] = false;
	for (int i = 0; i < 2; i++) {
		r.t += 0.1, r.s.t = r.t;
		core_on_sample(&r.core, &r.s, &r.out);
		assert_false(r.core.safety.latched); /* one or two bad readings: not yet */
	}
	r.t += 0.1, r.s.t = r.t;
	core_on_sample(&r.core, &r.s, &r.out);
	const char *words[] = {"sensor-invalid", "plate B", "3 samples", "open or shorted", NULL};
	assert_fault(&r, "sensor-invalid", words);
}

static void sensor_disagree(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	warm_up(&r, 36);
	for (int i = 0; i < 3; i++) {
		r.t += 0.1, r.s.t = r.t;
		r.s.plate_c[0] = 36.0;
		r.s.plate_c[1] = 37.7;
		core_on_sample(&r.core, &r.s, &r.out);
	}
	const char *words[] = {"sensor-disagree", "36.00", "37.70", "1.70", "1.50", NULL};
	assert_fault(&r, "sensor-disagree", words);
}

static void sensor_frozen(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 33);
	for (int i = 0; i < 400 && !r.core.safety.latched; i++)
		rig_sample(&r, 33.0, 25); /* full drive and not a hundredth of movement */
	assert_true(r.t >= 20.0);
	const char *words[] = {"sensor-frozen", "33.00", "20.0 s", "start of the approach", NULL};
	assert_fault(&r, "sensor-frozen", words);
}

/* One sensor stuck while the other follows the plate up. */
static void sensor_frozen_one_of_two(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 30);
	double plate = 30;
	for (int i = 0; i < 400 && !r.core.safety.latched; i++) {
		plate += 0.005;
		r.s.plate_c[0] = 30.0;
		r.t += 0.1, r.s.t = r.t;
		r.s.plate_c[1] = plate;
		core_on_sample(&r.core, &r.s, &r.out);
	}
	const char *words[] = {"sensor-frozen", "sensor plate A", "30.00", "while plate B moved", NULL};
	assert_fault(&r, "sensor-frozen", words);
}

/* A live sensor's noise brings it back to where a window began now and
 * then: a reading that strayed in between is not frozen (seen on a noisy
 * pad held at the edge of its cooling, plate B's noise 0.2 C away). */
static void sensor_noisy_not_frozen(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 30);
	static const double wobble[4] = {0, 0.03, 0, -0.03};
	double plate = 30;
	for (int i = 0; i < 250; i++) {
		plate += 0.005;
		r.s.plate_c[0] = 30.0 + wobble[i % 4];
		r.t += 0.1, r.s.t = r.t;
		r.s.plate_c[1] = plate;
		core_on_sample(&r.core, &r.s, &r.out);
	}
	assert_false(r.core.safety.latched);
}

/* One sample of two plate readings, quantised to the hundredth as a pad
 * reports them. */
static void sample2(struct rig *r, double a, double b)
{
	r->t += 0.1, r->s.t = r->t;
	r->s.plate_c[0] = round(a * 100) / 100;
	r->s.plate_c[1] = round(b * 100) / 100;
	r->s.plate_ok[0] = r->s.plate_ok[1] = r->s.sink_ok = true;
	r->s.sink_c = 25;
	core_on_sample(&r->core, &r->s, &r->out);
}

/* The tight strap while cooling: the plate falls 0.14 C/s and plate A
 * stops at one reading. The other sensor's motion proves it frozen in
 * seconds (the 20 s window took 11-12 s through the disagreement). */
static void a_frozen_sensor_is_caught_in_seconds(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 28);
	double plate = 28;
	for (int i = 0; i < 100; i++, plate -= 0.014)
		sample2(&r, plate, plate);
	assert_false(r.core.safety.latched);
	double stuck = r.s.plate_c[0], t0 = r.t;
	for (int i = 0; i < 100 && !r.core.safety.latched; i++, plate -= 0.014)
		sample2(&r, stuck, plate);
	if (r.t - t0 > 4.0)
		fail_msg("caught after %.1f s (latched: '%s')", r.t - t0, r.core.safety.code);
	const char *words[] = {"sensor-frozen", "sensor plate A", "read exactly", "while plate B moved", "cooling toward",
			       NULL};
	assert_fault(&r, "sensor-frozen", words);
}

/* Both plate sensors stop where they read while the module pulls the
 * plate down: the plate was moving 0.14 C/s, the drive keeps pushing, and
 * no live sensor reads the same hundredth for 2 s of that. */
static void both_frozen_while_the_plate_moves(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 28);
	double plate = 28;
	for (int i = 0; i < 100; i++, plate -= 0.014)
		sample2(&r, plate, plate);
	assert_true(r.out.drive < -0.3);
	double a = r.s.plate_c[0], b = r.s.plate_c[1], t0 = r.t;
	for (int i = 0; i < 100 && !r.core.safety.latched; i++)
		sample2(&r, a, b);
	if (r.t - t0 > 3.0)
		fail_msg("caught after %.1f s (latched: '%s')", r.t - t0, r.core.safety.code);
	const char *words[] = {"sensor-frozen", "plate A and B", "read exactly", "C/s", "cooling toward", NULL};
	assert_fault(&r, "sensor-frozen", words);
}

/* What a clean (noise-free) pair of live sensors does: the same hundredth
 * for seconds on a plate that has come to rest under full drive (a target
 * out of reach), and on a ramp behind lags of 1 s and 4 s, where the slow
 * one moves later but moves. Neither is frozen. */
static void clean_live_sensors_are_not_frozen(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 8.5, 28);
	/* the plate slows to a stop at 14 C (its time constant 20 s) */
	double plate = 28;
	for (int i = 0; i < 1200; i++) {
		plate += (14.0 - plate) * (0.1 / 20.0);
		sample2(&r, plate, plate + 0.2);
		if (r.core.safety.latched && !strcmp(r.core.safety.code, "sensor-frozen"))
			fail_msg("at %.1f s: %s", r.t, r.core.safety.message);
	}
	rig_start(&r, PHASE_HEAT, 40, 30);
	double truth = 30, fast = 30, slow = 30;
	for (int i = 0; i < 100; i++) {
		truth += 0.1; /* 1 C/s */
		fast += (truth - fast) * (0.1 / 1.0);
		slow += (truth - slow) * (0.1 / 4.0);
		sample2(&r, fast, slow);
		if (r.core.safety.latched && !strcmp(r.core.safety.code, "sensor-frozen"))
			fail_msg("at %.1f s: %s", r.t, r.core.safety.message);
	}
}

/* The end of an approach on a clean pad: the plate arrives at 40 C and
 * turns round, and a noise-free pair reads the same hundredth for seconds
 * while the drive that holds the plate there stays on (found by the
 * endurance run: a tight strap, noise 0, +64 % at the hold). That drive
 * balances the plate's losses and moves nothing: no frozen sensor, at the
 * hold nor with the setpoint less than 1 C ahead. */
static void a_plate_turning_round_is_not_frozen(void **state)
{
	(void)state;
	for (int holding = 0; holding < 2; holding++) {
		struct safety_limits lim;
		safety_limits_default(&lim);
		struct safety s;
		safety_init(&s, &lim);
		struct safety_input in = {.plate_ok = {true, true}, .sink_c = 30, .sink_ok = true, .target_c = 40,
					  .setpoint_c = 40, .drive = 0.64, .drive_applied = 0.64, .doing = "heating"};
		double plate = 39.5;
		for (int i = 0; i < 200; i++) {
			in.t = 10 + 0.1 * i;
			if (i < 100)
				plate += 0.006; /* 0.06 C/s, then it stands */
			in.holding = holding && i >= 100;
			in.plate_c[0] = round(plate * 100) / 100;
			in.plate_c[1] = round((plate - 0.07) * 100) / 100;
			in.estimate_c = plate;
			safety_check(&s, &in);
			if (s.latched)
				fail_msg("%s, at %.1f s: %s", holding ? "holding" : "approaching", in.t, s.message);
		}
	}
}

/* One clean sensor beside one with 0.1 C of noise, on a still plate: the
 * noisy one's smoothed wander is no motion. */
static void noise_on_the_other_is_not_motion(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 39.5);
	uint64_t x = 12345;
	for (int i = 0; i < 6000; i++) {
		/* the sum of 12 uniforms, less 6: a unit normal, near enough */
		double g = -6;
		for (int k = 0; k < 12; k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			g += (double)(x >> 11) / 9007199254740992.0;
		}
		sample2(&r, 39.5, 39.5 + 0.1 * g);
		if (r.core.safety.latched && !strcmp(r.core.safety.code, "sensor-frozen"))
			fail_msg("at %.1f s: %s", r.t, r.core.safety.message);
	}
}

/* A unit normal from a seeded generator: the sum of 12 uniforms, less 6. */
static double gauss(uint64_t *x)
{
	double g = -6;
	for (int k = 0; k < 12; k++) {
		*x = *x * 6364136223846793005ull + 1442695040888963407ull;
		g += (double)(*x >> 11) / 9007199254740992.0;
	}
	return g;
}

/* A plate swinging as fast as a light plate can, under full drive each
 * way: +4 C/s for 0.9 s, then -3 C/s for 1.2 s, seen through a 1 s sensor
 * lag, with healthy noise on all three sensors and a frame lost now and
 * then; 50 s, short of the no-progress window. */
static void noisy_run(struct safety *s, int noisy_sensor, double sigma_noisy, double sigma_healthy, uint64_t seed)
{
	struct safety_limits lim;
	safety_limits_default(&lim);
	safety_init(s, &lim);
	struct safety_input in = {.plate_ok = {true, true}, .sink_ok = true, .target_c = 40, .setpoint_c = 40,
				  .drive = 0.3, .drive_applied = 0.3, .doing = "heating toward 40.00 C"};
	uint64_t x = seed;
	double plate = 34, lagged = 34, t = 10;
	for (int i = 0; i < 480 && !s->latched; i++) {
		t += (i % 37 == 36) ? 0.2 : 0.1; /* a lost frame */
		bool up = i % 21 < 9;
		double rate = up ? 4.0 : -3.0;
		plate += rate * 0.1;
		in.drive = in.drive_applied = up ? 1.0 : -1.0;
		lagged += (plate - lagged) * (1 - exp(-0.1 / 1.0));
		in.t = t;
		for (int k = 0; k < 3; k++) {
			double sigma = k == noisy_sensor ? sigma_noisy : sigma_healthy;
			double truth = k == 2 ? 30.0 + 0.01 * i : lagged;
			double v = truth + sigma * gauss(&x);
			if (k < 2)
				in.plate_c[k] = round(v * 100) / 100;
			else
				in.sink_c = round(v * 100) / 100;
		}
		in.estimate_c = plate;
		safety_check(s, &in);
	}
}

/* A sensor that turns noisy (sigma 0.5 C) is caught and named, whichever
 * of the three it is, even while the plate swings as fast as it can. */
static void a_noisy_sensor_is_named(void **state)
{
	(void)state;
	static const char *const names[] = {"plate A", "plate B", "heat sink"};
	for (int k = 0; k < 3; k++) {
		struct safety s;
		noisy_run(&s, k, 0.5, 0.1, 7 + (uint64_t)k);
		if (!s.latched)
			fail_msg("%s noisy: not caught", names[k]);
		assert_string_equal(s.code, "sensor-noisy");
		if (!strstr(s.message, names[k]) || !strstr(s.message, "0.50"))
			fail_msg("%s noisy: %s", names[k], s.message);
	}
}

/* The quiet side: the same swinging plate with healthy noise of 0 to
 * 0.1 C on every sensor: no trip, and the mean stray stays near twice
 * the noise (under 0.3 C against the 0.5 C bound). */
static void smooth_fast_motion_is_not_noise(void **state)
{
	(void)state;
	static const double sigmas[] = {0.0, 0.003, 0.03, 0.1};
	for (size_t k = 0; k < sizeof sigmas / sizeof sigmas[0]; k++) {
		struct safety s;
		noisy_run(&s, -1, 0, sigmas[k], 99 + k);
		if (s.latched)
			fail_msg("noise %.3f C: %s", sigmas[k], s.message);
		/* the line through the last readings follows the swing: what
		 * strays from it is the noise, about 2 sigma, and hardly
		 * anything on clean sensors */
		const struct safety_nearest *n = &s.nearest[SAFETY_NEAR_NOISY];
		print_message("noise %.3f C: mean stray at most %.3f C\n", sigmas[k], n->value);
		if (n->value > 0.05 + 2.5 * sigmas[k])
			fail_msg("noise %.3f C: mean stray %.3f C, more than the noise explains (bound %.2f C)", sigmas[k],
				 n->value, n->limit);
	}
}

static void stale_telemetry(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	warm_up(&r, 36);
	core_on_tick(&r.core, r.t + 0.3, &r.out);
	assert_true(r.out.drive != 0.0); /* 0.3 s: still fine */
	core_on_tick(&r.core, r.t + 0.6, &r.out);
	assert_true(r.out.drive == 0.0); /* 0.5 s: drive zero ... */
	assert_false(r.core.safety.latched); /* ... not yet a fault */
	core_on_tick(&r.core, r.t + 2.1, &r.out);
	assert_true(r.out.drive == 0.0);
	assert_true(r.core.safety.latched);
	const struct core_event *e = rig_event(&r, "stale-telemetry");
	assert_non_null(e);
	assert_non_null(strstr(e->message, "2.00 s"));
}

/* With no session, a stall is told, not latched: nothing is driven, the
 * drive stays zero, no session starts until reports come again, and the
 * next report ends it (it used to latch a fault a person had to clear on
 * an idle pad). In a session it still latches (stale_telemetry). */
static void stale_telemetry_while_idle(void **state)
{
	(void)state;
	struct rig r;
	memset(&r, 0, sizeof r);
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&r.core, &cfg);
	for (int i = 0; i < 10; i++)
		rig_sample(&r, 32 + (i % 2) * 0.01, 25);
	core_on_tick(&r.core, r.t + 2.1, &r.out);
	assert_true(r.out.drive == 0.0);
	assert_false(r.core.safety.latched);
	const struct core_event *e = rig_event(&r, "stale-telemetry");
	assert_non_null(e);
	assert_int_equal(e->severity, CORE_WARNING);
	assert_non_null(strstr(e->message, "2.10 s"));
	assert_non_null(strstr(e->message, "ends by itself when reports come again"));
	core_on_tick(&r.core, r.t + 2.2, &r.out);
	assert_null(rig_event(&r, "stale-telemetry")); /* told once */
	struct plan p = rig_plan(PHASE_HEAT, 40, 10);
	char why[300];
	assert_int_equal(core_start(&r.core, &p, r.t + 2.3, why, sizeof why), -1);
	assert_non_null(strstr(why, "no fresh telemetry"));
	r.t += 2.3;
	rig_sample(&r, 32, 25); /* reports again: the cause is gone */
	assert_non_null(rig_event(&r, "telemetry-gap")); /* the gap itself, named */
	rig_sample(&r, 32.01, 25);
	struct core_status st;
	core_status(&r.core, &st);
	assert_int_equal(st.nwarnings, 0);
	assert_false(st.fault);
	if (core_start(&r.core, &p, r.t, why, sizeof why) != 0)
		fail_msg("refused: %s", why);
}

static void runaway_no_progress(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 34);
	/* the plate creeps but never gains 1 C in 60 s */
	for (int i = 0; i < 700 && !r.core.safety.latched; i++)
		rig_sample(&r, 34 + i * 0.0012 + (i % 2) * 0.01, 25);
	const char *words[] = {"runaway-no-progress", "40.00", "60 s", NULL};
	assert_fault(&r, "runaway-no-progress", words);
}

static void runaway_hold(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 40);
	for (int i = 0; i < 20; i++)
		rig_sample(&r, 40 + (i % 2) * 0.01, 25); /* in band: holding */
	assert_int_equal(r.core.run.state, PLAN_HOLD);
	for (int i = 0; i < 400; i++) /* drifting off, slowly */
		rig_sample(&r, 40 - i * 0.00625 + (i % 2) * 0.01, 25);
	for (int i = 0; i < 700 && !r.core.safety.latched; i++)
		rig_sample(&r, 37.5 + (i % 2) * 0.01, 25); /* 2.5 C off, and it stays there */
	const char *words[] = {"runaway-hold", "40.00", "2.0 C", NULL};
	assert_fault(&r, "runaway-hold", words);
}

static void runaway_wrong_way(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 30);
	/* full cooling, and the plate warms: the dead-fan case */
	double plate = 30;
	for (int i = 0; i < 400 && !r.core.safety.latched; i++) {
		plate += 0.02;
		rig_sample(&r, plate, 40);
	}
	const char *words[] = {"runaway-wrong-way", "cooling drive", "went up", NULL};
	assert_fault(&r, "runaway-wrong-way", words);
}

/* The module wired backwards: cooling asked for, full cooling applied,
 * and the plate heats at the reference pad's 1.4 C/s. The fast window
 * (0.5 C in 1.5 s) must cut it within 2.5 s, while the true plate is
 * still short of 42.5 C from a start at 38 C; the slow window (1.0 C in
 * 10 s) alone would take 10 s. */
static void a_reversed_module_is_cut_by_the_fast_window(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 30);
	r.s.drive_applied = -1.0;
	double plate = 30, t0 = r.t;
	for (int i = 0; i < 100 && !r.core.safety.latched; i++) {
		plate += 0.14;
		rig_sample(&r, plate, 25);
	}
	const char *words[] = {"runaway-wrong-way", "cooling drive", "went up", "(limit 0.5 C)", NULL};
	assert_fault(&r, "runaway-wrong-way", words);
	if (r.t - t0 > 2.5)
		fail_msg("cut after %.1f s (%.2f C): the fast window should cut within 2.5 s", r.t - t0, plate);
}

static void drive_while_off(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 32);
	r.s.current_a = 4.0; /* a stuck bridge */
	for (int i = 0; i < 20 && !r.core.safety.latched; i++)
		rig_sample(&r, 32, 25);
	const char *words[] = {"drive-while-off", "4.00 A", "temperature difference alone drives -0.18 A", "unplug", NULL};
	assert_fault(&r, "drive-while-off", words);
}

/* A bridge stuck at 10 %, either polarity, on an idle pad: 0.57 A on the
 * reference module, well under the 1.5 A off-current limit, but beyond
 * the Seebeck current the temperature difference drives. Caught within
 * 5 s (the off-current limit alone never caught it). */
static void a_bridge_stuck_at_a_tenth_is_caught_while_idle(void **state)
{
	(void)state;
	const double seebeck_a = -0.053 * (32 - 25) / 2.1;
	for (int polarity = -1; polarity <= 1; polarity += 2) {
		struct rig r;
		rig_start(&r, PHASE_OFF, 0, 32);
		r.s.current_a = polarity * 0.1 * 12.0 / 2.1 + seebeck_a;
		double t0 = r.t;
		for (int i = 0; i < 100 && !r.core.safety.latched; i++)
			rig_sample(&r, 32 + (i % 2) * 0.01, 25);
		const char *words[] = {"drive-while-off", "temperature difference alone drives -0.1",
				       "over the limit 0.3", NULL};
		assert_fault(&r, "drive-while-off", words);
		if (r.t - t0 > 5.0)
			fail_msg("stuck at %+d0 %%: caught after %.1f s", polarity, r.t - t0);
	}
}

/* The 1-in-60 trip of the endurance bench, with no telemetry gap to
 * restart the windows (off_s narrowed to 0.3 s, a frame 0.4 s late):
 * the first frame after the firmware applied the zero still carries the
 * current measured before it, and one late frame with current is not
 * time the condition held, nor is the 0.4 s before it. All pass; current
 * that stays still latches. */
static void a_late_frame_after_the_zero_is_not_a_stuck_bridge(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 32);
	struct safety_limits lim = r.core.cfg.limits;
	lim.off_s = 0.3;
	core_set_limits(&r.core, &lim);
	/* the zero on its way: the firmware still applies the last drive */
	r.s.current_a = 3.0;
	r.s.drive_applied = 0.5;
	for (int i = 0; i < 20; i++)
		rig_sample(&r, 32, 25);
	/* the frame that reports the zero applied, 0.4 s late, with the
	 * current measured before it */
	r.t += 0.3;
	r.s.drive_applied = 0.0;
	rig_sample(&r, 32, 25);
	r.s.current_a = 0.0;
	for (int i = 0; i < 20; i++)
		rig_sample(&r, 32, 25);
	if (r.core.safety.latched)
		fail_msg("the first frame after the zero latched: %s", r.core.safety.message);
	/* a single late frame with current, the drive long off */
	r.t += 0.3;
	r.s.current_a = 3.0;
	rig_sample(&r, 32, 25);
	r.s.current_a = 0.0;
	rig_sample(&r, 32, 25);
	if (r.core.safety.latched)
		fail_msg("one late frame latched: %s", r.core.safety.message);
	/* a late frame with current and the next: the condition has held
	 * 0.1 s, counted from the first sample where it holds, not from the
	 * last sample before the gap where it did not */
	for (int i = 0; i < 10; i++)
		rig_sample(&r, 32, 25);
	r.t += 0.3;
	r.s.current_a = 3.0;
	rig_sample(&r, 32, 25);
	rig_sample(&r, 32, 25);
	r.s.current_a = 0.0;
	rig_sample(&r, 32, 25);
	if (r.core.safety.latched)
		fail_msg("0.1 s of current after a late frame latched: %s", r.core.safety.message);
	/* current that stays: two samples or more, 0.3 s from the first */
	r.s.current_a = 3.0;
	for (int i = 0; i < 10 && !r.core.safety.latched; i++)
		rig_sample(&r, 32, 25);
	const char *words[] = {"drive-while-off", "3.00 A", NULL};
	assert_fault(&r, "drive-while-off", words);
}

/* The zero is commanded but the firmware still reports the last drive (the
 * command on its way): no fault; once it reports zero, the current is a
 * stuck bridge. */
static void drive_while_off_counts_from_the_firmware_zero(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 32);
	r.s.current_a = 4.0;
	r.s.drive_applied = 0.3;
	for (int i = 0; i < 30; i++)
		rig_sample(&r, 32, 25);
	assert_false(r.core.safety.latched);
	r.s.drive_applied = 0.0;
	for (int i = 0; i < 20 && !r.core.safety.latched; i++)
		rig_sample(&r, 32, 25);
	const char *words[] = {"drive-while-off", "4.00 A", NULL};
	assert_fault(&r, "drive-while-off", words);
}

/* The firmware keeps reporting a drive after the zero: while the command
 * is on its way (not yet acknowledged) that is no fault however long it
 * takes; once the firmware acknowledges the zero it must apply it. */
static void drive_while_off_when_the_firmware_ignores_the_zero(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 32);
	r.s.current_a = 0.0;
	r.s.drive_applied = 0.6;
	for (int i = 0; i < 50; i++)
		rig_sample(&r, 32, 25);
	assert_false(r.core.safety.latched);
	r.s.zero_received = true;
	for (int i = 0; i < 5; i++)
		rig_sample(&r, 32, 25);
	assert_false(r.core.safety.latched);
	for (int i = 0; i < 10 && !r.core.safety.latched; i++)
		rig_sample(&r, 32, 25);
	const char *words[] = {"drive-while-off", "acknowledged zero", "+60 %", "limit 1.0 s", NULL};
	assert_fault(&r, "drive-while-off", words);
}

/* The drive off and the plate still warming above where an unpowered pad
 * goes (a bridge stuck on, its current sensor reading zero): a fault. */
static void drift_while_off(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 37);
	double plate = 37;
	for (int i = 0; i < 400 && !r.core.safety.latched; i++) {
		plate += 0.01; /* 0.1 C/s */
		rig_sample(&r, plate, 25);
	}
	assert_true(r.t < 20);
	const char *words[] = {"drift-while-off", "went up at 0.10 C/s", "24-36 C", "unplug the pad now", NULL};
	assert_fault(&r, "drift-while-off", words);
}

static void sink_limits_then_faults(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 25);
	for (int i = 0; i < 50; i++)
		rig_sample(&r, 25 - i * 0.05, 30);
	double full = r.out.drive;
	assert_true(full < -0.5);
	for (int i = 0; i < 5; i++)
		rig_sample(&r, 22.4, 57); /* between the warning and the fault */
	assert_true(r.out.drive > full * 0.5); /* cooling held back */
	assert_non_null(rig_event(&r, "sink-hot") ? rig_event(&r, "sink-hot") : &r.out.events[0]);
	assert_false(r.core.safety.latched);
	rig_sample(&r, 22.4, 60.5);
	const char *words[] = {"sink-over", "heat sink", "60.50", "60.00", NULL};
	assert_fault(&r, "sink-over", words);
}

static void firmware_fault(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	warm_up(&r, 36);
	r.s.fw_faults = 1u << 20; /* a bit this host does not know: still a fault */
	rig_sample(&r, 36, 25);
	const char *words[] = {"firmware-fault", "0x100000", NULL};
	assert_fault(&r, "firmware-fault", words);
}

static void heat_dose(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 42, 42);
	/* a cap narrowed to 2 CEM43 min: 8 min at 42 C (0.25 per minute) */
	r.core.safety.lim.dose_cem43_min = 2.0;
	for (int i = 0; i < 20 * 600 && !rig_event(&r, "dose-heat"); i++)
		rig_sample(&r, 42 + (i % 2) * 0.01, 25);
	assert_true(r.t > 7.5 * 60 && r.t < 8.5 * 60);
	const char *words[] = {"dose-heat", "CEM43", "2.0", "rest the skin", NULL};
	assert_cap(&r, "dose-heat", words); /* a dose cap ends the session in order */
}

static void cold_dose(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 12);
	r.core.safety.lim.cold_phase_max_s = 300; /* narrowed: 5 min of a 10 min phase */
	for (int i = 0; i < 25 * 600 && !rig_event(&r, "dose-cold-phase"); i++)
		rig_sample(&r, 12 + (i % 2) * 0.01, 25);
	const char *words[] = {"dose-cold-phase", "15.0 C", "420 s", NULL};
	assert_cap(&r, "dose-cold-phase", words);
}

/* Cold exposure is counted on the colder plate sensor (it was the warmer),
 * heat dose on the hotter. */
static void cold_counts_on_the_colder_sensor(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 14, 15.5);
	for (int i = 0; i < 600; i++) {
		r.t += 0.1, r.s.t = r.t;
		r.s.plate_c[0] = 14.6 + (i % 2) * 0.01; /* A below cold_c (15 C) */
		r.s.plate_c[1] = 15.4 + (i % 3) * 0.01; /* B above it */
		core_on_sample(&r.core, &r.s, &r.out);
	}
	assert_false(r.core.safety.latched);
	assert_true(r.core.safety.cold_session_s > 59.0);
}

static void session_length(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 32);
	r.core.run.steps[0].duration_s = 5 * 3600; /* an off phase that never ends */
	for (int i = 0; i < 62 * 600 && !rig_event(&r, "session-length"); i++)
		rig_sample(&r, 32 + (i % 2) * 0.01, 25);
	const char *words[] = {"session-length", "60 min", NULL};
	assert_cap(&r, "session-length", words);
}

static void external_fault(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	warm_up(&r, 36);
	core_external_fault(&r.core, r.t, "disconnected", "the pad TP-1 left the bus", &r.out);
	assert_true(r.out.drive == 0.0);
	assert_true(r.core.safety.latched);
	assert_int_equal(r.core.state, CORE_PAUSED);
	const struct core_event *e = rig_event(&r, "disconnected");
	assert_non_null(e);
	assert_non_null(strstr(e->message, "TP-1"));
	assert_non_null(strstr(e->message, "heating toward"));
}

static void clear_refused_while_present(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	warm_up(&r, 36);
	rig_sample(&r, 45.5, 25);
	assert_true(r.core.safety.latched);
	char why[400];
	assert_int_equal(core_clear_faults(&r.core, r.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "still present"));
	assert_int_equal(core_resume(&r.core, r.t, why, sizeof why), -1);
	rig_sample(&r, 41, 25); /* cooled below the limit */
	assert_true(r.out.drive == 0.0);
	if (core_clear_faults(&r.core, r.t, why, sizeof why) != 0)
		fail_msg("clear refused: %s", why);
	assert_false(r.core.safety.latched);
	/* the session waits, paused, for a person to resume it */
	assert_int_equal(r.core.state, CORE_PAUSED);
	rig_sample(&r, 41, 25);
	assert_true(r.out.drive == 0.0);
	if (core_resume(&r.core, r.t, why, sizeof why) != 0)
		fail_msg("resume refused: %s (%s)", why, r.core.safety.message);
	assert_int_equal(core_start(&r.core, &r.core.plan, r.t, why, sizeof why), -1);
}

static void start_refused_while_latched(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	core_external_fault(&r.core, r.t, "emergency-stop", "button pressed", &r.out);
	char why[300];
	core_stop(&r.core, r.t, why, sizeof why);
	struct plan p = rig_plan(PHASE_HEAT, 40, 5);
	r.core.state = CORE_IDLE;
	assert_int_equal(core_start(&r.core, &p, r.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "emergency-stop"));
}

static void warnings_do_not_latch(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	rig_sample(&r, 36, 52);
	assert_non_null(rig_event(&r, "sink-hot"));
	assert_int_equal(rig_event(&r, "sink-hot")->severity, CORE_WARNING);
	rig_sample(&r, 36, 52);
	assert_null(rig_event(&r, "sink-hot")); /* reported once, on the edge */
	rig_sample(&r, 36, 30);
	assert_false(r.core.safety.latched);
	assert_true(r.out.drive > 0);
}

static void envelope_narrowing(void **state)
{
	(void)state;
	struct safety_limits l;
	char err[256];
	safety_limits_default(&l);
	assert_int_equal(safety_limits_validate(&l, err, sizeof err), 0);
	l.plate_max_c = 43;
	l.setpoint_max_c = 40;
	assert_int_equal(safety_limits_validate(&l, err, sizeof err), 0);
	l.plate_max_c = 46; /* wider than the hard limit */
	assert_int_equal(safety_limits_validate(&l, err, sizeof err), -1);
	assert_non_null(strstr(err, "plate_max_c"));
	safety_limits_default(&l);
	l.setpoint_min_c = 8; /* colder than allowed */
	assert_int_equal(safety_limits_validate(&l, err, sizeof err), -1);
	safety_limits_default(&l);
	l.session_max_s = 7200; /* up to 120 min is allowed */
	assert_int_equal(safety_limits_validate(&l, err, sizeof err), 0);
	l.session_max_s = 7300;
	assert_int_equal(safety_limits_validate(&l, err, sizeof err), -1);
}

/* A cold hold that cooling held back for the hot sink lets warm (a weak
 * fan in a warm room) is the safe side, guarded by the sink's limits: a
 * warning, never runaway-hold (the 24 h endurance run tripped on it);
 * the same drift with the sink cool is still a fault. */
static void a_cold_hold_warmed_by_a_hot_sink_warns(void **state)
{
	(void)state;
	for (int hot_sink = 1; hot_sink >= 0; hot_sink--) {
		struct rig r;
		rig_start(&r, PHASE_COLD, 15, 15);
		for (int i = 0; i < 20; i++)
			rig_sample(&r, 15 + (i % 2) * 0.01, 25); /* in band: holding */
		assert_int_equal(r.core.run.state, PLAN_HOLD);
		double sink = hot_sink ? 54 : 25;
		for (int i = 0; i < 400; i++) /* drifting warm, slowly */
			rig_sample(&r, 15 + i * 0.00625 + (i % 2) * 0.01, sink);
		for (int i = 0; i < 700 && !r.core.safety.latched; i++)
			rig_sample(&r, 17.5 + (i % 2) * 0.01, sink); /* 2.5 C warm, and it stays there */
		if (hot_sink) {
			assert_false(r.core.safety.latched);
			bool warned = false;
			for (int i = 0; i < r.core.safety.nwarn; i++)
				warned |= strcmp(r.core.safety.warn_code[i], "cooling-limited") == 0;
			assert_true(warned);
		} else {
			const char *words[] = {"runaway-hold", "15.00", "2.0 C", NULL};
			assert_fault(&r, "runaway-hold", words);
		}
	}
}

/* The supervisor alone, fed one sample of a cold approach toward 12 C: the
 * plate at plate, each sensor with the shipped pads' noise (uniform within
 * 0.05 C: 0.03 C rms), the ramped setpoint at sp, the drive as given. */
static double approach_noise(uint64_t *x)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return ((double)(*x >> 11) / 9007199254740992.0 - 0.5) * 0.1;
}

static void approach_sample(struct safety *s, double t, double plate, double sp, double drive)
{
	static uint64_t x = 88172645463325252ull;
	struct safety_input in = {.t = t, .plate_ok = {true, true}, .sink_c = 30, .sink_ok = true, .target_c = 12,
				  .setpoint_c = sp, .cold_phase = true, .drive = drive, .drive_applied = drive,
				  .doing = "cooling toward 12.00 C"};
	in.plate_c[0] = round((plate + approach_noise(&x)) * 100) / 100;
	in.plate_c[1] = round((plate + approach_noise(&x)) * 100) / 100;
	in.estimate_c = plate;
	safety_check(s, &in);
}

static bool warned(const struct safety *s, const char *code)
{
	for (int i = 0; i < s->nwarn; i++)
		if (strcmp(s->warn_code[i], code) == 0)
			return true;
	return false;
}

/* A ramp down at 1 C/min toward 12 C on a pad that can pull the plate no
 * lower than 15 C: the plate follows the setpoint, then comes to rest at
 * its reach under full drive while the setpoint goes on to 12 C. The
 * plate answered the drive all the way down: out of reach, a warning,
 * never runaway-no-progress (which latched 60 s after the setpoint passed
 * 2 C beyond the plate: the band kept the plate's response from counting). */
static void a_ramp_past_the_pads_reach_is_out_of_reach(void **state)
{
	(void)state;
	struct safety_limits lim;
	safety_limits_default(&lim);
	struct safety s;
	safety_init(&s, &lim);
	double plate = 20.3;
	for (int i = 0; i < 9000; i++) { /* 15 min */
		double t = 10 + 0.1 * i, sp = fmax(12.0, 20.0 - (t - 10) / 60.0);
		double want = fmax(sp + 0.3, 15.0);
		plate += (want - plate) * (0.1 / 5.0);
		approach_sample(&s, t, plate, sp, plate - sp > 1.0 ? -1.0 : -0.6);
		if (s.latched)
			fail_msg("at %.1f s (setpoint %.2f C, plate %.2f C): %s", t, sp, plate, s.message);
	}
	assert_true(warned(&s, "out-of-reach"));
	assert_true(fabs(s.reach_c - 15.0) < 0.1);
}

/* The end of a full-drive approach on a tight strap (the endurance run:
 * contrast's 12 C on tight-contact, drive -100 %): the plate slows as it
 * nears what the module can hold (14.35 C, a time constant of 55 s), and
 * its last whole degree outside the band takes 51 s. Under full drive,
 * once the plate has answered, the window's end is its reach, not a
 * fault: that time is no margin (it was counted as one, 57.6 of 60 s);
 * the margin there is the motion away from the target, and this plate
 * moves only toward it. */
static void a_slow_end_of_approach_keeps_its_margin(void **state)
{
	(void)state;
	struct safety_limits lim;
	safety_limits_default(&lim);
	struct safety s;
	safety_init(&s, &lim);
	double plate = 30;
	for (int i = 0; i < 6000; i++) { /* 10 min */
		double t = 10 + 0.1 * i;
		plate += (14.35 - plate) * (0.1 / 55.0);
		approach_sample(&s, t, plate, 12, -1.0);
		if (s.latched)
			fail_msg("at %.1f s (plate %.2f C): %s", t, plate, s.message);
	}
	const struct safety_nearest *n = &s.nearest[SAFETY_NEAR_NO_PROGRESS];
	if (!(n->value <= 30.0))
		fail_msg("%.1f s without progress, of %.0f s", n->value, n->limit);
	const struct safety_nearest *away = &s.nearest[SAFETY_NEAR_NO_PROGRESS_AWAY];
	if (!(away->margin >= 0.4))
		fail_msg("%.2f C away from the target, of %.2f C", away->value, away->limit);
	assert_true(warned(&s, "out-of-reach"));
}

/* The hazards the window is for are caught as fast as before: on the same
 * ramp, a plate that never answers the drive (a dead module: it stays
 * where it was), and one that follows for a while and then drifts back
 * toward the skin with the drive still full (a drive stuck at zero
 * mid-ramp). Each latches runaway-no-progress within 60 s of falling
 * 2 C behind the setpoint (plus a sample). */
static void a_plate_that_stops_answering_the_drive_still_latches(void **state)
{
	(void)state;
	for (int follows = 0; follows < 2; follows++) {
		struct safety_limits lim;
		safety_limits_default(&lim);
		struct safety s;
		safety_init(&s, &lim);
		double plate = 20.3, behind_t = NAN;
		int i;
		for (i = 0; i < 9000 && !s.latched; i++) {
			double t = 10 + 0.1 * i, sp = fmax(12.0, 20.0 - (t - 10) / 60.0);
			if (follows && t < 10 + 180)
				plate += (sp + 0.3 - plate) * (0.1 / 5.0);
			else if (follows)
				plate += (32.0 - plate) * (0.1 / 300.0); /* warming toward the skin */
			if (isnan(behind_t) && plate - sp > lim.hold_band_c)
				behind_t = t;
			approach_sample(&s, t, plate, sp, -1.0);
		}
		if (!s.latched)
			fail_msg("%s: never latched", follows ? "stopped following" : "never followed");
		assert_string_equal(s.code, "runaway-no-progress");
		double t = 10 + 0.1 * (i - 1);
		if (t - behind_t > lim.progress_s + 0.15)
			fail_msg("%s: latched %.1f s after falling behind", follows ? "stopped following" : "never followed",
				 t - behind_t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plate_over),        cmocka_unit_test(plate_under),
		cmocka_unit_test(sensor_invalid),    cmocka_unit_test(sensor_disagree),
		cmocka_unit_test(sensor_frozen),     cmocka_unit_test(sensor_frozen_one_of_two),
		cmocka_unit_test(sensor_noisy_not_frozen),
		cmocka_unit_test(a_frozen_sensor_is_caught_in_seconds), cmocka_unit_test(both_frozen_while_the_plate_moves),
		cmocka_unit_test(clean_live_sensors_are_not_frozen), cmocka_unit_test(noise_on_the_other_is_not_motion),
		cmocka_unit_test(a_plate_turning_round_is_not_frozen),
		cmocka_unit_test(a_noisy_sensor_is_named), cmocka_unit_test(smooth_fast_motion_is_not_noise),
		cmocka_unit_test(stale_telemetry),
		cmocka_unit_test(stale_telemetry_while_idle),
		cmocka_unit_test(runaway_no_progress), cmocka_unit_test(runaway_hold),
		cmocka_unit_test(a_ramp_past_the_pads_reach_is_out_of_reach),
		cmocka_unit_test(a_slow_end_of_approach_keeps_its_margin),
		cmocka_unit_test(a_plate_that_stops_answering_the_drive_still_latches),
		cmocka_unit_test(a_cold_hold_warmed_by_a_hot_sink_warns),
		cmocka_unit_test(runaway_wrong_way), cmocka_unit_test(a_reversed_module_is_cut_by_the_fast_window),
		cmocka_unit_test(drive_while_off), cmocka_unit_test(a_bridge_stuck_at_a_tenth_is_caught_while_idle),
		cmocka_unit_test(a_late_frame_after_the_zero_is_not_a_stuck_bridge),
		cmocka_unit_test(drive_while_off_counts_from_the_firmware_zero),
		cmocka_unit_test(drive_while_off_when_the_firmware_ignores_the_zero),
		cmocka_unit_test(drift_while_off), cmocka_unit_test(sink_limits_then_faults), cmocka_unit_test(firmware_fault),
		cmocka_unit_test(heat_dose),         cmocka_unit_test(cold_dose),
		cmocka_unit_test(cold_counts_on_the_colder_sensor), cmocka_unit_test(session_length),    cmocka_unit_test(external_fault),
		cmocka_unit_test(clear_refused_while_present), cmocka_unit_test(start_refused_while_latched),
		cmocka_unit_test(warnings_do_not_latch), cmocka_unit_test(envelope_narrowing),
	};
	return cmocka_run_group_tests_name("safety", tests, NULL, NULL);
}
