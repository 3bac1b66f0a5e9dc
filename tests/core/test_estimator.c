/* SPDX-License-Identifier: MIT */
/*
 * The model-based estimator against the simulated pad (firmware and
 * physics in the loop), judged on the model's truth: it converges from a
 * wrong start, sets a stuck sensor aside, carries on when a sensor goes
 * invalid, comes back to a sensor it drifted from, keeps the skin within
 * its stated bounds, and learns a pad's figures from a session. Shipped pad
 * descriptions and hand-written ones only (the bench's sweep stays out).
 * About a second in all.
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

struct rig {
	struct pad pad;
	struct estimator est;
	uint16_t seq;
	double t;
};

static const char *const shipped_pads[] = {"reference.ini", "heavy-plate.ini", "loose-contact.ini", "tight-contact.ini",
					   "weak-fan.ini"};

static void load_pad(const char *name, struct model_params *p)
{
	char path[512], err[256];
	const char *top = getenv("TP_TOP");
	snprintf(path, sizeof path, "%s/sim/pads/%s", top ? top : ".", name);
	if (model_params_load(path, p, err, sizeof err) != 0)
		fail_msg("%s", err);
}

static void send(struct pad *pad, uint16_t *seq, double drive)
{
	struct tp_set_output o = {++*seq, (int16_t)lround(drive * TP_DRIVE_FULL)};
	uint8_t b[TP_SET_OUTPUT_LEN];
	assert_int_equal(proto_encode_set_output(&o, b, sizeof b), TP_SET_OUTPUT_LEN);
	pad_control_out(pad, TP_REQ_SET_OUTPUT, b, sizeof b);
}

/* One telemetry period of the pad; the sample as the core would get it. */
static bool sample(struct pad *pad, double *t, struct core_sample *s)
{
	uint8_t buf[TP_FRAME_MAX_LEN];
	struct tp_telemetry tel;
	pad_advance(pad, 100);
	*t += 0.1;
	size_t n = pad_take_report(pad, buf, sizeof buf);
	if (!n || proto_decode_telemetry(buf, n, &tel) != PROTO_OK)
		return false;
	*s = (struct core_sample){
		.t = *t,
		.plate_c = {tel.plate_a_cc / 100.0, tel.plate_b_cc / 100.0},
		.plate_ok = {tel.plate_a_cc != TP_TEMP_INVALID, tel.plate_b_cc != TP_TEMP_INVALID},
		.sink_c = tel.sink_cc / 100.0,
		.sink_ok = tel.sink_cc != TP_TEMP_INVALID,
		.current_a = tel.current_ma / 1000.0,
		.voltage_v = tel.voltage_mv / 1000.0,
		.voltage_ok = true,
		.drive_applied = tel.drive_applied / (double)TP_DRIVE_FULL,
		.fw_faults = tel.faults,
	};
	return true;
}

static void rig_init(struct rig *r, const struct model_params *p, double plate_c)
{
	struct fw_config cfg;
	fw_config_reference(&cfg, "TEST");
	pad_init(&r->pad, p, &cfg, 4242, plate_c);
	struct thermal_params prior;
	thermal_params_default(&prior);
	estimator_init(&r->est, &prior);
	estimator_fit_skin(&r->est, true);
	r->seq = 0;
	r->t = 0;
}

/* Drive for a while; returns the worst |plate estimate - truth| from
 * judge_after seconds on. */
static double rig_run(struct rig *r, double drive, double seconds, double judge_after)
{
	double worst = 0, until = r->t + seconds, from = r->t + judge_after;
	while (r->t < until - 1e-9) {
		struct core_sample s;
		if (!sample(&r->pad, &r->t, &s))
			continue;
		struct estimator_input in = {
			.t = s.t, .plate_c = {s.plate_c[0], s.plate_c[1]}, .plate_ok = {s.plate_ok[0], s.plate_ok[1]},
			.sink_c = s.sink_c, .sink_ok = s.sink_ok, .current_a = s.current_a, .voltage_v = s.voltage_v,
			.voltage_ok = true, .drive_applied = s.drive_applied,
		};
		estimator_update(&r->est, &in);
		send(&r->pad, &r->seq, drive);
		struct pad_truth tr;
		pad_truth(&r->pad, &tr);
		assert_true(isfinite(estimator_plate_c(&r->est)));
		if (r->t >= from)
			worst = fmax(worst, fabs(estimator_plate_c(&r->est) - tr.plate_c));
	}
	return worst;
}

/* Drive for a while; returns how far the model's tissue went outside the
 * skin's stated bounds (0 when always inside, the estimate too); the
 * bounds' width at the end in *width_c. */
static double rig_run_skin(struct rig *r, double drive, double seconds, double *width_c)
{
	double worst = 0, until = r->t + seconds;
	while (r->t < until - 1e-9) {
		struct core_sample s;
		if (!sample(&r->pad, &r->t, &s))
			continue;
		struct estimator_input in = {
			.t = s.t, .plate_c = {s.plate_c[0], s.plate_c[1]}, .plate_ok = {s.plate_ok[0], s.plate_ok[1]},
			.sink_c = s.sink_c, .sink_ok = s.sink_ok, .current_a = s.current_a, .voltage_v = s.voltage_v,
			.voltage_ok = true, .drive_applied = s.drive_applied,
		};
		estimator_update(&r->est, &in);
		send(&r->pad, &r->seq, drive);
		struct pad_truth tr;
		pad_truth(&r->pad, &tr);
		double lo, hi, est = estimator_tissue_c(&r->est);
		estimator_skin_bounds(&r->est, &lo, &hi);
		assert_true(lo <= est && est <= hi);
		worst = fmax(worst, fmax(lo - tr.tissue_c, tr.tissue_c - hi));
		*width_c = hi - lo;
	}
	return worst;
}

static double tissue_error(const struct rig *r)
{
	struct pad_truth tr;
	pad_truth(&r->pad, &tr);
	return fabs(estimator_tissue_c(&r->est) - tr.tissue_c);
}

static void converges_from_a_wrong_start(void **state)
{
	(void)state;
	static struct rig r;
	struct model_params p;
	model_params_reference(&p);
	rig_init(&r, &p, 32.0);
	rig_run(&r, 0.0, 1.0, 0);
	/* told the plate is 4 C warmer and the tissue 3 C cooler than they are */
	r.est.x[EST_PLATE] += 4;
	r.est.x[EST_LAG_PLATE] += 4;
	r.est.x[EST_TISSUE] -= 3;
	double tissue0 = tissue_error(&r);
	double worst = rig_run(&r, 0.3, 60.0, 15.0);
	assert_true(worst < 0.1);
	rig_run(&r, 0.3, 120.0, 0);
	assert_true(tissue_error(&r) < tissue0 / 3);
	assert_true(tissue_error(&r) < 0.5);
}

/* A pad lighter and tighter than the reference, met for the first time:
 * under full heat the prior's figures are far off, and the filter must
 * lean on the readings rather than jump the figures (once it put the
 * plate 2 C ahead of the truth, and the controller braked on that). */
static void follows_a_light_pad_from_the_prior(void **state)
{
	(void)state;
	static struct rig r;
	struct model_params p;
	model_params_reference(&p);
	p.plate_j_per_k *= 0.6;
	p.tissue_to_plate_w_per_k *= 1.6;
	p.sensor_lag_s = 1.2;
	p.sensor_noise_c = 0.08;
	rig_init(&r, &p, 32.0);
	rig_run(&r, 0.0, 1.0, 0);
	double worst = rig_run(&r, 1.0, 5.0, 0);
	/* 0.283 C (0.21 C while the room's temperature was let start 3 C off
	 * the sink's, which let a long cold hold drift: the control bench's
	 * sweep-13); 0.35 C when the plate's rate was taken as known */
	assert_true(worst < 0.30);
}

static void sets_a_stuck_sensor_aside(void **state)
{
	(void)state;
	static struct rig r;
	struct model_params p;
	model_params_reference(&p);
	rig_init(&r, &p, 32.0);
	rig_run(&r, 0.0, 5.0, 0);
	struct pad_fault f;
	char err[128];
	assert_int_equal(faults_parse("sensor-a:stuck", &f, err, sizeof err), 0);
	assert_int_equal(pad_inject(&r.pad, &f), 0);
	/* the plate goes up 8 C; sensor A stays at 32 */
	double worst = rig_run(&r, 1.0, 6.0, 0);
	worst = fmax(worst, rig_run(&r, 0.3, 60.0, 0));
	assert_true(worst < 0.25);
	assert_true(r.est.rejected[EST_SENSOR_PLATE_A]);
	assert_false(r.est.rejected[EST_SENSOR_PLATE_B]);
	assert_true(r.est.nrejected[EST_SENSOR_PLATE_A] > 100);
	/* the innovation tells the supervisor which sensor it is */
	assert_true(fabs(r.est.innovation_c[EST_SENSOR_PLATE_A]) > 4 * r.est.innovation_sd_c[EST_SENSOR_PLATE_A]);
}

static void survives_a_sensor_going_invalid(void **state)
{
	(void)state;
	static struct rig r;
	struct model_params p;
	model_params_reference(&p);
	rig_init(&r, &p, 32.0);
	rig_run(&r, 0.5, 20.0, 0);
	struct pad_fault f;
	char err[128];
	assert_int_equal(faults_parse("sensor-b:open", &f, err, sizeof err), 0);
	assert_int_equal(pad_inject(&r.pad, &f), 0);
	double worst = rig_run(&r, -0.6, 40.0, 0);
	assert_true(worst < 0.2);
	assert_true(isnan(r.est.innovation_c[EST_SENSOR_PLATE_B]));
	/* both gone for 2 s: the model carries the estimate, less sure of it */
	assert_int_equal(faults_parse("sensor-a:open", &f, err, sizeof err), 0);
	assert_int_equal(pad_inject(&r.pad, &f), 0);
	double sd_before = estimator_sd(&r.est, EST_PLATE);
	worst = rig_run(&r, -0.6, 2.0, 0);
	assert_true(worst < 0.3);
	assert_true(estimator_sd(&r.est, EST_PLATE) > sd_before);
	assert_true(isfinite(estimator_sd(&r.est, EST_PLATE)));
}

static struct core core;

/* A session through the core (heat, cold, heat) on a pad the estimator
 * starts out knowing nothing about; returns the figures it ends with. */
static void session(const struct model_params *p, struct thermal_params *learned)
{
	static struct pad pad;
	struct fw_config fcfg;
	fw_config_reference(&fcfg, "TEST");
	pad_init(&pad, p, &fcfg, 99, 32.0);
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&core, &cfg);
	struct plan plan = {.name = "id", .nphases = 3, .cycles = 1, .band_c = 0.5};
	plan.phases[0] = (struct phase){.kind = PHASE_HEAT, .name = "warm", .target_c = 40, .duration_s = 180};
	plan.phases[1] = (struct phase){.kind = PHASE_COLD, .name = "cold", .target_c = 15, .duration_s = 120};
	plan.phases[2] = (struct phase){.kind = PHASE_HEAT, .name = "warm", .target_c = 38, .duration_s = 60};
	double t = 0;
	uint16_t seq = 0;
	bool started = false;
	for (int k = 0; k < 12000; k++) {
		struct core_sample s;
		if (!sample(&pad, &t, &s))
			continue;
		struct core_output out;
		core_on_sample(&core, &s, &out);
		if (!started) {
			char err[256];
			assert_int_equal(core_start(&core, &plan, s.t, err, sizeof err), 0);
			started = true;
		} else if (core.state == CORE_IDLE) {
			break;
		}
		assert_false(core.safety.latched);
		send(&pad, &seq, out.drive);
	}
	assert_int_equal(core.state, CORE_IDLE);
	estimator_params(&core.est, learned);
}

static void within_10_percent(const char *what, double learned, double truth)
{
	if (!(fabs(learned / truth - 1) <= 0.10))
		fail_msg("%s learned as %g, the pad's is %g", what, learned, truth);
}

static void check_figures(const struct model_params *p, const struct thermal_params *q)
{
	within_10_percent("plate heat capacity", q->plate_j_per_k, p->plate_j_per_k);
	within_10_percent("skin contact", q->tissue_to_plate_w_per_k, p->tissue_to_plate_w_per_k);
	within_10_percent("blood flow", q->tissue_to_core_w_per_k, p->tissue_to_core_w_per_k);
	within_10_percent("tissue heat capacity", q->tissue_j_per_k, p->tissue_j_per_k);
	within_10_percent("sink to ambient", q->sink_to_ambient_w_per_k, p->sink_to_ambient_w_per_k);
	within_10_percent("sink heat capacity", q->sink_j_per_k, p->sink_j_per_k);
	within_10_percent("Seebeck", q->seebeck_v_per_k, p->seebeck_v_per_k);
	within_10_percent("resistance", q->resistance_ohm, p->resistance_ohm);
	within_10_percent("module conductance", q->conductance_w_per_k, p->conductance_w_per_k);
	within_10_percent("supply", q->supply_v, p->supply_v);
	within_10_percent("sensor lag", q->sensor_lag_s, p->sensor_lag_s);
}

static void identifies_a_shipped_pad(void **state)
{
	(void)state;
	const char *names[] = {"heavy-plate.ini", "loose-contact.ini", "weak-fan.ini"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct model_params p;
		load_pad(names[i], &p);
		struct thermal_params q;
		session(&p, &q);
		check_figures(&p, &q);
	}
}

static void identifies_a_pad_unlike_the_reference(void **state)
{
	(void)state;
	struct model_params p;
	model_params_reference(&p);
	p.plate_j_per_k = 55;
	p.sensor_lag_s = 2.8;
	p.seebeck_v_per_k = 0.062;
	p.resistance_ohm = 1.8;
	p.conductance_w_per_k = 0.62;
	p.supply_v = 11.0;
	p.tissue_to_plate_w_per_k = 2.4;
	p.sensor_noise_c = 0.08;
	struct thermal_params q;
	session(&p, &q);
	check_figures(&p, &q);
}

static void a_saved_calibration_starts_the_next_session(void **state)
{
	(void)state;
	struct model_params p;
	load_pad("heavy-plate.ini", &p);
	struct thermal_params learned;
	session(&p, &learned);
	/* the text the daemon keeps for the serial */
	struct calibration cal;
	core_calibration(&core, &cal);
	static char text[4096];
	size_t n = tune_format(&cal.pid, "TEST", text, sizeof text);
	n += thermal_format(&cal.model, text + n, sizeof text - n);
	assert_true(n < sizeof text);
	assert_non_null(strstr(text, "[model]"));
	struct core_config cfg;
	core_config_default(&cfg);
	struct calibration back = {.pid = cfg.pid, .model = cfg.model};
	char err[200];
	assert_int_equal(tune_parse(text, &back.pid, err, sizeof err), 0);
	assert_int_equal(thermal_parse(text, &back.model, err, sizeof err), 0);
	static struct core next;
	core_init(&next, &cfg);
	core_calibrate(&next, &back);
	within_10_percent("plate heat capacity, saved", next.cfg.model.plate_j_per_k, p.plate_j_per_k);
	within_10_percent("plate heat capacity, the estimator's start", next.est.prior.plate_j_per_k, p.plate_j_per_k);
	/* a broken file changes nothing */
	struct thermal_params kept = back.model;
	assert_int_equal(thermal_parse("[model]\nplate_j_per_k = 1e9\n", &back.model, err, sizeof err), -1);
	assert_non_null(strstr(err, "plate_j_per_k"));
	assert_true(back.model.plate_j_per_k == kept.plate_j_per_k);
	assert_int_equal(thermal_parse("[model]\nwarmth = 3\n", &back.model, err, sizeof err), -1);
}

/* A sink estimate that has drifted away from its sensor, sure of itself
 * (the filter once traded the sink's figures against the room's
 * temperature in a long cold hold and then set the healthy sink sensor
 * aside for the rest of the session): it comes back to the readings. */
static void comes_back_to_a_sink_sensor_it_drifted_from(void **state)
{
	(void)state;
	static struct rig r;
	struct model_params p;
	model_params_reference(&p);
	rig_init(&r, &p, 32.0);
	rig_run(&r, 0.3, 10.0, 0);
	r.est.x[EST_SINK] += 6;
	r.est.x[EST_LAG_SINK] += 6;
	for (int j = 0; j < EST_N; j++)
		r.est.P[EST_SINK][j] = r.est.P[j][EST_SINK] = r.est.P[EST_LAG_SINK][j] = r.est.P[j][EST_LAG_SINK] = 0;
	r.est.P[EST_SINK][EST_SINK] = r.est.P[EST_LAG_SINK][EST_LAG_SINK] = 1e-4;
	unsigned long resyncs = r.est.resyncs;
	rig_run(&r, -0.5, 30.0, 0);
	struct pad_truth tr;
	pad_truth(&r.pad, &tr);
	assert_true(r.est.resyncs > resyncs);
	assert_true(fabs(r.est.x[EST_SINK] - tr.sink_c) < 0.5);
	assert_false(r.est.rejected[EST_SENSOR_SINK]);
}

/* The skin's bounds hold the model's tissue through heat, cold and heat
 * again on every shipped pad, the tissue estimate inside them, and say
 * something where the plate is warm (the tissue is then between the plate
 * and the core, a few degrees apart). */
static void the_skin_stays_within_its_bounds(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof shipped_pads / sizeof shipped_pads[0]; k++) {
		const char *name = shipped_pads[k];
		static struct rig r;
		struct model_params p;
		load_pad(name, &p);
		rig_init(&r, &p, 32.0);
		double width = 0, outside = rig_run_skin(&r, 0.3, 50.0, &width);
		assert_true(width < 8.0); /* not the whole range of a pad: 3.2 C at most holding 40 C on the bench */
		outside = fmax(outside, rig_run_skin(&r, -0.7, 60.0, &width));
		outside = fmax(outside, rig_run_skin(&r, 0.3, 40.0, &width));
		if (outside > 0)
			fail_msg("%s: the tissue was %.2f C outside the skin's bounds", name, outside);
	}
}

/* The record fit (skinfit.h) on every shipped pad, from a start the
 * prior knows nothing of: a cold transient and a warm one, then the skin
 * as fitted against the model's tissue, and the split of the heat's way
 * (contact, blood flow) against the pad's. The filter alone, on the same
 * run, is the baseline: the fit must do better where the filter is off. */
static void the_record_fit_finds_the_skin(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof shipped_pads / sizeof shipped_pads[0]; k++) {
		const char *name = shipped_pads[k];
		static struct rig r;
		struct model_params p;
		load_pad(name, &p);
		rig_init(&r, &p, 32.0);
		rig_run(&r, -0.4, 150.0, 0);
		rig_run(&r, 0.3, 150.0, 0);
		struct pad_truth tr;
		pad_truth(&r.pad, &tr);
		const struct skinfit *f = &r.est.skin;
		double fit_err = fabs(estimator_tissue_c(&r.est) - tr.tissue_c);
		double filter_err = fabs(r.est.x[EST_TISSUE] - tr.tissue_c);
		double contact = f->fitted_params.tissue_to_plate_w_per_k / p.tissue_to_plate_w_per_k;
		double blood = f->fitted_params.tissue_to_core_w_per_k / p.tissue_to_core_w_per_k;
		printf("# %s: skin fitted %.3f C off (the filter's %.3f C), contact x%.3f, blood flow x%.3f, %lu fits\n",
		       name, fit_err, filter_err, contact, blood, f->fits);
		assert_true(f->valid);
		assert_true(f->fits >= 13 && f->fits <= 16); /* one every 20 s of record */
		assert_int_equal(f->contact_changes, 0); /* nothing changed: no change found */
		if (!(fit_err < 0.1))
			fail_msg("%s: the fitted skin is %.2f C off the model's tissue", name, fit_err);
		if (!(fabs(contact - 1) < 0.15 && fabs(blood - 1) < 0.15))
			fail_msg("%s: contact x%.2f, blood flow x%.2f of the pad's", name, contact, blood);
	}
}

/* A strap loosened (the contact to 0.4 of what it was) while the pad
 * holds its drive: the fit finds the change, starts its record again
 * there, and learns the new contact. */
static void the_record_fit_follows_a_loosened_strap(void **state)
{
	(void)state;
	static struct rig r;
	struct model_params p;
	load_pad("reference.ini", &p);
	rig_init(&r, &p, 32.0);
	rig_run(&r, -0.4, 150.0, 0);
	rig_run(&r, 0.3, 150.0, 0);
	assert_int_equal(r.est.skin.contact_changes, 0);
	r.pad.model.p.tissue_to_plate_w_per_k *= 0.4;
	rig_run(&r, 0.3, 200.0, 0);
	struct pad_truth tr;
	pad_truth(&r.pad, &tr);
	const struct skinfit *f = &r.est.skin;
	double err = fabs(estimator_tissue_c(&r.est) - tr.tissue_c), filter_err = fabs(r.est.x[EST_TISSUE] - tr.tissue_c);
	double contact = f->fitted_params.tissue_to_plate_w_per_k / r.pad.model.p.tissue_to_plate_w_per_k;
	printf("# strap loosened: %lu change(s) found, contact x%.3f of the new one, skin %.3f C off (the filter's %.3f C)\n",
	       f->contact_changes, contact, err, filter_err);
	assert_true(f->contact_changes >= 1);
	assert_true(fabs(contact - 1) < 0.15);
	assert_true(err < 0.5);
}

/* A plate sensor lost, then a gap in the readings: the fit goes on from
 * the sensor left, and after the gap starts its record again from the
 * filter, its figures kept. */
static void the_record_fit_survives_a_lost_sensor_and_a_gap(void **state)
{
	(void)state;
	static struct rig r;
	struct model_params p;
	load_pad("loose-contact.ini", &p);
	rig_init(&r, &p, 32.0);
	rig_run(&r, -0.4, 100.0, 0);
	struct pad_fault fault;
	char err[128];
	assert_int_equal(faults_parse("sensor-b:open", &fault, err, sizeof err), 0);
	assert_int_equal(pad_inject(&r.pad, &fault), 0);
	rig_run(&r, 0.3, 100.0, 0);
	struct pad_truth tr;
	pad_truth(&r.pad, &tr);
	double err_one_sensor = fabs(estimator_tissue_c(&r.est) - tr.tissue_c);
	printf("# one plate sensor: skin %.3f C off\n", err_one_sensor);
	assert_true(err_one_sensor < 0.4);
	unsigned long fits = r.est.skin.fits;
	double contact = r.est.skin.fitted_params.tissue_to_plate_w_per_k;
	/* 10 s with no telemetry */
	for (int k = 0; k < 100; k++) {
		struct core_sample s;
		sample(&r.pad, &r.t, &s);
		send(&r.pad, &r.seq, 0.3);
	}
	rig_run(&r, 0.3, 1.0, 0);
	assert_true(r.est.skin.nsamples < 20); /* the record started again */
	assert_true(r.est.skin.fitted_params.tissue_to_plate_w_per_k == contact);
	rig_run(&r, 0.3, 60.0, 0);
	assert_true(r.est.skin.fits > fits);
	pad_truth(&r.pad, &tr);
	double err_after = fabs(estimator_tissue_c(&r.est) - tr.tissue_c);
	printf("# after the gap: skin %.3f C off\n", err_after);
	assert_true(err_after < 0.4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(converges_from_a_wrong_start),
		cmocka_unit_test(follows_a_light_pad_from_the_prior),
		cmocka_unit_test(sets_a_stuck_sensor_aside),
		cmocka_unit_test(survives_a_sensor_going_invalid),
		cmocka_unit_test(identifies_a_shipped_pad),
		cmocka_unit_test(identifies_a_pad_unlike_the_reference),
		cmocka_unit_test(a_saved_calibration_starts_the_next_session),
		cmocka_unit_test(comes_back_to_a_sink_sensor_it_drifted_from),
		cmocka_unit_test(the_skin_stays_within_its_bounds),
		cmocka_unit_test(the_record_fit_finds_the_skin),
		cmocka_unit_test(the_record_fit_follows_a_loosened_strap),
		cmocka_unit_test(the_record_fit_survives_a_lost_sensor_and_a_gap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
