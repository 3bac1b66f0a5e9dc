/* SPDX-License-Identifier: MIT */
/*
 * The model-based controller: its constraints on a fixed estimate (the
 * rest before a reversal, the envelope, the slew, easing off at the
 * target, the reach of a weak module), then closed loop on every shipped
 * pad description, judged on the model's truth. Under a second.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"
#include "model_ini.h"
#include "pad.h"

/* An estimator that believes the plate is at plate_c, everything at rest. */
static void settled(struct estimator *e, const struct thermal_params *p, double plate_c)
{
	estimator_init(e, p);
	struct estimator_input in = {.t = 0, .plate_c = {plate_c, plate_c}, .plate_ok = {true, true}, .sink_c = 22,
				     .sink_ok = true};
	estimator_update(e, &in);
	assert_true(e->started);
}

static void rests_before_reversing(void **state)
{
	(void)state;
	struct thermal_params p;
	thermal_params_default(&p);
	static struct estimator e;
	settled(&e, &p, 40.0);
	struct modelctl m;
	struct modelctl_config cfg;
	modelctl_config_default(&cfg);
	modelctl_init(&m, &cfg);
	double t = 0, out = 0;
	for (int i = 0; i < 20; i++, t += 0.1)
		out = modelctl_step(&m, t, 40.0, &e, 1.0);
	assert_true(out > 0.1); /* holding 40 C takes heat */
	double last = out, zero_at = -1;
	bool reversed = false;
	for (int i = 0; i < 100; i++, t += 0.1) {
		out = modelctl_step(&m, t, 12.0, &e, 1.0);
		assert_true(fabs(out - last) <= cfg.slew_per_s * 0.1 + 1e-9);
		assert_false(out * last < 0); /* never through zero in one step */
		if (out == 0 && zero_at < 0)
			zero_at = t;
		if (out < 0 && !reversed) {
			reversed = true;
			assert_true(zero_at >= 0);
			assert_true(t - zero_at >= cfg.rest_s - 1e-9);
		}
		last = out;
	}
	assert_true(reversed);
	assert_true(out <= -0.99); /* then full cooling, 28 C away */
}

static void stays_within_the_envelope(void **state)
{
	(void)state;
	struct thermal_params p;
	thermal_params_default(&p);
	static struct estimator e;
	settled(&e, &p, 30.0);
	struct modelctl m;
	struct modelctl_config cfg;
	modelctl_config_default(&cfg);
	modelctl_init(&m, &cfg);
	double t = 0;
	for (int i = 0; i < 100; i++, t += 0.1) {
		double out = modelctl_step(&m, t, 12.0, &e, 0.3); /* a hot sink: cooling held to 30 % */
		assert_true(out >= -0.3 - 1e-12 && out <= 0);
	}
	modelctl_idle(&m, t);
	for (int i = 0; i < 100; i++, t += 0.1) {
		double out = modelctl_step(&m, t, 42.0, &e, 0.3);
		assert_true(out >= 0 && out <= 1.0);
	}
	assert_true(m.output == 1.0);
}

static void eases_off_at_the_target(void **state)
{
	(void)state;
	struct thermal_params p;
	thermal_params_default(&p);
	static struct estimator e;
	struct modelctl_config cfg;
	modelctl_config_default(&cfg);
	struct modelctl m;
	/* the drive that holds 40 C, from the model */
	settled(&e, &p, 40.0);
	modelctl_init(&m, &cfg);
	double hold = 0;
	for (int i = 0; i < 20; i++)
		hold = modelctl_step(&m, i * 0.1, 40.0, &e, 1.0);
	/* far below: full drive; a little below: little more than the hold */
	settled(&e, &p, 34.0);
	modelctl_init(&m, &cfg);
	double out = 0;
	for (int i = 0; i < 20; i++)
		out = modelctl_step(&m, i * 0.1, 40.0, &e, 1.0);
	assert_true(out == 1.0);
	settled(&e, &p, 39.95);
	modelctl_init(&m, &cfg);
	for (int i = 0; i < 20; i++)
		out = modelctl_step(&m, i * 0.1, 40.0, &e, 1.0);
	assert_true(out > hold && out < hold + 0.15);
	/* past it: less than the hold, never more heat */
	settled(&e, &p, 40.3);
	modelctl_init(&m, &cfg);
	for (int i = 0; i < 20; i++)
		out = modelctl_step(&m, i * 0.1, 40.0, &e, 1.0);
	assert_true(out < hold);
}

static void knows_what_is_out_of_reach(void **state)
{
	(void)state;
	struct thermal_params p;
	thermal_params_default(&p);
	static struct estimator e;
	settled(&e, &p, 32.0);
	assert_true(modelctl_reach(&e, 12.0, 50.0) == 12.0);
	assert_true(modelctl_reach(&e, 40.0, 50.0) == 40.0);
	/* a weak module on a weak fan in a warm room cannot make 12 C */
	p.supply_v = 10.0;
	p.seebeck_v_per_k *= 0.8;
	p.sink_to_ambient_w_per_k = 1.5;
	settled(&e, &p, 32.0);
	e.x[EST_AMBIENT] = 30.0;
	double reach = modelctl_reach(&e, 12.0, 50.0);
	assert_true(reach > 13.0 && reach < 32.0);
	/* and with the heat sink held cooler, less still */
	assert_true(modelctl_reach(&e, 12.0, 40.0) > reach);
	assert_true(modelctl_reach(&e, 20.0, 40.0) >= 20.0);
}

/* ---- closed loop on the shipped pads ---- */

static void send(struct pad *pad, uint16_t *seq, double drive)
{
	struct tp_set_output o = {++*seq, (int16_t)lround(drive * TP_DRIVE_FULL)};
	uint8_t b[TP_SET_OUTPUT_LEN];
	assert_int_equal(proto_encode_set_output(&o, b, sizeof b), TP_SET_OUTPUT_LEN);
	pad_control_out(pad, TP_REQ_SET_OUTPUT, b, sizeof b);
}

static double full_drive_s(const struct model_params *p, double from, double to)
{
	struct model m;
	model_init(&m, p, from);
	double t = 0;
	while (fabs(m.plate_c - to) > 0.3 && t < 600) {
		model_advance(&m, to > from ? 1 : -1, 0.01);
		t += 0.01;
	}
	return t;
}

/* A step from one temperature to another through the core; the goals of
 * the control bench, on the true plate. */
static void step_meets_goals(const struct model_params *p, const char *name, double from, double to)
{
	static struct pad pad;
	static struct core core;
	struct fw_config fcfg;
	fw_config_reference(&fcfg, "TEST");
	pad_init(&pad, p, &fcfg, 7, from);
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&core, &cfg);
	struct plan plan = {.name = "step", .nphases = 1, .cycles = 1, .band_c = 0.5};
	plan.phases[0] = (struct phase){.kind = to > 32 ? PHASE_HEAT : PHASE_COLD, .name = "step", .target_c = to,
					.duration_s = 600};
	double t = 0, reach_s = -1, overshoot = 0, sq = 0, dir = to > from ? 1 : -1;
	int nsq = 0;
	uint16_t seq = 0;
	bool started = false;
	double window = full_drive_s(p, from, to) + 90;
	while (t < window) {
		uint8_t buf[TP_FRAME_MAX_LEN];
		struct tp_telemetry tel;
		pad_advance(&pad, 100);
		t += 0.1;
		size_t n = pad_take_report(&pad, buf, sizeof buf);
		if (!n || proto_decode_telemetry(buf, n, &tel) != PROTO_OK)
			continue;
		struct core_sample s = {
			.t = t, .plate_c = {tel.plate_a_cc / 100.0, tel.plate_b_cc / 100.0}, .plate_ok = {true, true},
			.sink_c = tel.sink_cc / 100.0, .sink_ok = true, .current_a = tel.current_ma / 1000.0,
			.voltage_v = tel.voltage_mv / 1000.0, .voltage_ok = true,
			.drive_applied = tel.drive_applied / (double)TP_DRIVE_FULL, .fw_faults = tel.faults,
		};
		struct core_output out;
		core_on_sample(&core, &s, &out);
		if (!started) {
			char err[200];
			assert_int_equal(core_start(&core, &plan, t, err, sizeof err), 0);
			started = true;
		}
		assert_false(core.safety.latched);
		send(&pad, &seq, out.drive);
		struct pad_truth tr;
		pad_truth(&pad, &tr);
		double e = tr.plate_c - to;
		if (reach_s < 0 && fabs(e) <= 0.3)
			reach_s = t;
		overshoot = fmax(overshoot, e * dir);
		if (t > window - 60) {
			sq += e * e;
			nsq++;
		}
	}
	double limit = full_drive_s(p, from, to), allowed = fmax(1.3 * limit, limit + 5);
	double rms = sqrt(sq / nsq);
	if (!(reach_s > 0 && reach_s <= allowed && overshoot <= 0.2 && rms <= 0.05))
		fail_msg("%s %.0f->%.0f C: within 0.3 C after %.1f s (allowed %.1f), overshoot %.3f C, hold RMS %.3f C",
			 name, from, to, reach_s, allowed, overshoot, rms);
}

/* A target the module cannot make: the phase holds the closest it can,
 * says so, and its clock runs; no fault. */
static void holds_the_closest_it_can(void **state)
{
	(void)state;
	static struct pad pad;
	static struct core core;
	struct model_params p;
	model_params_reference(&p);
	p.supply_v = 10.2;
	p.seebeck_v_per_k *= 0.8;
	p.sink_to_ambient_w_per_k = 1.5;
	p.ambient_c = 28;
	struct fw_config fcfg;
	fw_config_reference(&fcfg, "TEST");
	pad_init(&pad, &p, &fcfg, 7, 32);
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&core, &cfg);
	struct plan plan = {.name = "cold", .nphases = 1, .cycles = 1, .band_c = 0.5};
	plan.phases[0] = (struct phase){.kind = PHASE_COLD, .name = "cold", .target_c = 12, .duration_s = 300};
	double t = 0;
	uint16_t seq = 0;
	bool started = false, said = false;
	while (t < 900 && (!started || core.state != CORE_IDLE)) {
		uint8_t buf[TP_FRAME_MAX_LEN];
		struct tp_telemetry tel;
		pad_advance(&pad, 100);
		t += 0.1;
		size_t n = pad_take_report(&pad, buf, sizeof buf);
		if (!n || proto_decode_telemetry(buf, n, &tel) != PROTO_OK)
			continue;
		struct core_sample s = {
			.t = t, .plate_c = {tel.plate_a_cc / 100.0, tel.plate_b_cc / 100.0}, .plate_ok = {true, true},
			.sink_c = tel.sink_cc / 100.0, .sink_ok = true, .current_a = tel.current_ma / 1000.0,
			.voltage_v = tel.voltage_mv / 1000.0, .voltage_ok = true,
			.drive_applied = tel.drive_applied / (double)TP_DRIVE_FULL, .fw_faults = tel.faults,
		};
		struct core_output out;
		core_on_sample(&core, &s, &out);
		for (int k = 0; k < out.nevents; k++)
			said |= strcmp(out.events[k].code, "target-out-of-reach") == 0;
		if (!started) {
			char err[200];
			assert_int_equal(core_start(&core, &plan, t, err, sizeof err), 0);
			started = true;
		}
		assert_false(core.safety.latched);
		send(&pad, &seq, out.drive);
	}
	assert_true(said);
	/* the phase ran its five minutes at what the pad could hold */
	assert_int_equal(core.state, CORE_IDLE);
	assert_string_equal(core.outcome, "completed");
}

static void meets_the_goals_on_every_shipped_pad(void **state)
{
	(void)state;
	const char *names[] = {"reference.ini", "heavy-plate.ini", "loose-contact.ini", "tight-contact.ini",
			       "weak-fan.ini"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[512], err[256];
		const char *top = getenv("TP_TOP");
		snprintf(path, sizeof path, "%s/sim/pads/%s", top ? top : ".", names[i]);
		struct model_params p;
		if (model_params_load(path, &p, err, sizeof err) != 0)
			fail_msg("%s", err);
		step_meets_goals(&p, names[i], 32, 40);
		step_meets_goals(&p, names[i], 12, 40);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rests_before_reversing),
		cmocka_unit_test(stays_within_the_envelope),
		cmocka_unit_test(eases_off_at_the_target),
		cmocka_unit_test(knows_what_is_out_of_reach),
		cmocka_unit_test(holds_the_closest_it_can),
		cmocka_unit_test(meets_the_goals_on_every_shipped_pad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
