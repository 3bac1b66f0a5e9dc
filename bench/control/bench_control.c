/* SPDX-License-Identifier: MIT */
/*
 * The control benchmark: the control core against the simulated pad's
 * physics (firmware in the loop, every frame through the codec), in model
 * time, judged on the TRUE plate temperature: what the skin gets. The
 * baselines run in the same process on the same model: an on/off
 * thermostat (what cheap pads do) and a textbook PID.
 *
 *   bench_control [--model FILE] [--json FILE] [--profile FILE]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "model_ini.h"
#include "pad.h"
#include "profile.h"

enum ctrl_kind { CTRL_CORE, CTRL_ONOFF, CTRL_TEXTBOOK };
static const char *const ctrl_names[] = {"thermopad", "on/off 0.5 C", "textbook PID"};

struct scenario {
	const char *name;
	double from_c, to_c; /* NaN to_c: a profile */
	double window_s;
	bool profile;
};

struct result {
	double overshoot, settle_s, limit_s, rms, iae, iae_reg, energy_kj;
	bool arrived; /* within 0.5 C of this target once: regulation */
	double last_target;
	int reversals;
	bool tripped;
	char trip[64];
	bool settled;
};

struct controller {
	enum ctrl_kind kind;
	struct core core;
	/* baselines, and the plan they follow in a profile run */
	struct plan_run run;
	double target;
	double integral, last_err;
	bool on;
};

static double physical_limit(const struct model_params *p, double from, double to)
{
	struct model m;
	model_init(&m, p, from);
	double t = 0, drive = to > from ? 1.0 : -1.0;
	while ((drive > 0 ? m.plate_c < to : m.plate_c > to) && t < 3600) {
		model_advance(&m, drive, 0.01);
		t += 0.01;
	}
	return t;
}

static void send_drive(struct pad *pad, double drive)
{
	static uint16_t seq;
	struct tp_set_output o = {.seq = ++seq, .drive = (int16_t)lround(drive * TP_DRIVE_FULL)};
	uint8_t buf[TP_SET_OUTPUT_LEN];
	if (proto_encode_set_output(&o, buf, sizeof buf))
		pad_control_out(pad, TP_REQ_SET_OUTPUT, buf, sizeof buf);
}

static double baseline_step(struct controller *c, const struct tp_telemetry *t, double dt)
{
	double y = (t->plate_a_cc + t->plate_b_cc) / 200.0;
	double err = c->target - y;
	if (c->kind == CTRL_ONOFF) {
		/* full drive toward the target until 0.25 C past it, then off */
		if (fabs(err) > 0.25)
			c->on = true;
		if ((c->target > 32 && err < -0.25) || (c->target < 32 && err > 0.25))
			c->on = false;
		return c->on ? (err > 0 ? 1.0 : -1.0) : 0.0;
	}
	/* textbook: fixed gains, raw derivative, no filter, no rest */
	c->integral += err * dt;
	if (c->integral > 60)
		c->integral = 60;
	if (c->integral < -60)
		c->integral = -60;
	double d = (err - c->last_err) / dt;
	c->last_err = err;
	double u = 0.5 * err + 0.01 * c->integral + 0.5 * d;
	return u > 1 ? 1 : u < -1 ? -1 : u;
}

static struct pid_config *gains_override;

static void run(const struct model_params *mp, const struct scenario *sc, const struct profile *prof,
		enum ctrl_kind kind, struct result *r)
{
	struct fw_config cfg;
	fw_config_reference(&cfg, "BENCH");
	static struct pad pad;
	pad_init(&pad, mp, &cfg, 12345, sc->from_c);
	static struct controller c;
	memset(&c, 0, sizeof c);
	c.kind = kind;
	c.target = sc->to_c;
	struct core_config ccfg;
	core_config_default(&ccfg);
	ccfg.sensor_lag_s = mp->sensor_lag_s;
	if (gains_override)
		ccfg.pid = *gains_override;
	core_init(&c.core, &ccfg);
	memset(r, 0, sizeof *r);
	r->limit_s = sc->profile ? 0 : physical_limit(mp, sc->from_c, sc->to_c);

	struct plan plan;
	if (sc->profile) {
		plan = prof->plan;
	} else {
		memset(&plan, 0, sizeof plan);
		snprintf(plan.name, sizeof plan.name, "bench");
		plan.cycles = 1;
		plan.nphases = 1;
		plan.band_c = 0.5;
		plan.phases[0] = (struct phase){.kind = sc->to_c > 32 ? PHASE_HEAT : PHASE_COLD,
						.target_c = sc->to_c, .duration_s = sc->window_s * 2};
		snprintf(plan.phases[0].name, sizeof plan.phases[0].name, "step");
	}
	double last_drive = 0, sq = 0;
	int nsq = 0;
	bool started = false;
	double last_out_t = -1;
	uint8_t buf[TP_FRAME_MAX_LEN];
	for (double t = 0.1; t <= sc->window_s + 1e-9; t += 0.1) {
		pad_advance(&pad, 100);
		size_t n = pad_take_report(&pad, buf, sizeof buf);
		struct tp_telemetry tel;
		if (!n || proto_decode_telemetry(buf, n, &tel) != PROTO_OK)
			continue;
		double drive;
		if (kind == CTRL_CORE) {
			struct core_sample s = {
				.t = t,
				.plate_c = {tel.plate_a_cc / 100.0, tel.plate_b_cc / 100.0},
				.plate_ok = {tel.plate_a_cc != TP_TEMP_INVALID, tel.plate_b_cc != TP_TEMP_INVALID},
				.sink_c = tel.sink_cc / 100.0,
				.sink_ok = tel.sink_cc != TP_TEMP_INVALID,
				.current_a = tel.current_ma / 1000.0,
				.drive_applied = tel.drive_applied / (double)TP_DRIVE_FULL,
				.fw_faults = tel.faults,
				.fw_state = tel.state,
			};
			struct core_output out;
			core_on_sample(&c.core, &s, &out);
			if (!started) {
				char err[256];
				if (core_start(&c.core, &plan, t, err, sizeof err) != 0) {
					fprintf(stderr, "bench: %s\n", err);
					exit(1);
				}
				started = true;
			}
			drive = out.drive;
			if (c.core.safety.latched && !r->tripped) {
				r->tripped = true;
				snprintf(r->trip, sizeof r->trip, "%s", c.core.safety.code);
			}
			if (c.core.state == CORE_IDLE && sc->profile && started) {
				last_out_t = t;
				break;
			}
		} else {
			if (sc->profile) {
				double y = (tel.plate_a_cc + tel.plate_b_cc) / 200.0;
				if (!started) {
					char err[256];
					plan_expand(&plan, &c.run, err, sizeof err);
					plan_begin(&c.run, t, y);
					started = true;
				}
				plan_update(&c.run, t, y);
				const struct phase *ph = plan_current(&c.run);
				if (!ph)
					break;
				c.target = ph->kind == PHASE_OFF ? NAN : ph->target_c;
			}
			drive = isnan(c.target) ? 0.0 : baseline_step(&c, &tel, 0.1);
			if (tel.faults && !r->tripped) {
				r->tripped = true;
				snprintf(r->trip, sizeof r->trip, "firmware 0x%x", tel.faults);
			}
		}
		send_drive(&pad, drive);
		struct pad_truth tr;
		pad_truth(&pad, &tr);
		if (tr.module_drive * last_drive < 0)
			r->reversals++;
		if (tr.module_drive != 0)
			last_drive = tr.module_drive;
		double target = sc->to_c;
		if (sc->profile && kind == CTRL_CORE) {
			struct core_status st;
			core_status(&c.core, &st);
			target = st.target_c;
		} else if (sc->profile) {
			target = c.target;
		}
		if (isnan(target))
			continue;
		double e = tr.plate_c - target;
		r->iae += fabs(e) * 0.1;
		if (target != r->last_target)
			r->arrived = false; /* a new target: travel until it is reached */
		r->last_target = target;
		if (fabs(e) < 0.5)
			r->arrived = true;
		if (r->arrived)
			r->iae_reg += fabs(e) * 0.1;
		if (!sc->profile) {
			double past = sc->to_c > sc->from_c ? e : -e;
			if (past > r->overshoot)
				r->overshoot = past;
			if (fabs(e) > 0.2)
				r->settle_s = t; /* last time outside the band */
			if (t > sc->window_s - 60) {
				sq += e * e;
				nsq++;
			}
		}
		r->energy_kj = tr.electrical_j / 1000.0;
	}
	(void)last_out_t;
	r->rms = nsq ? sqrt(sq / nsq) : NAN;
	r->settled = r->settle_s < sc->window_s - 60;
}

/* The reference pad is held to the full targets; other pad descriptions
 * (after tuning) to safety: no trip and overshoot <= 0.5 C. */
/* Autotune on a fresh pad of this description, in model time: heating,
 * then cooling. Returns 0 with the tuned gains. */
static int autotune(const struct model_params *mp, struct pid_config *out, char *report, size_t len)
{
	struct fw_config cfg;
	fw_config_reference(&cfg, "TUNE");
	static struct pad pad;
	static struct core core;
	struct core_config ccfg;
	core_config_default(&ccfg);
	ccfg.sensor_lag_s = mp->sensor_lag_s;
	core_init(&core, &ccfg);
	pad_init(&pad, mp, &cfg, 777, 32.0);
	size_t used = 0;
	for (int pass = 0; pass < 2; pass++) {
		bool started = false;
		for (double t = 0.1; t < 1800; t += 0.1) {
			uint8_t buf[TP_FRAME_MAX_LEN];
			pad_advance(&pad, 100);
			size_t n = pad_take_report(&pad, buf, sizeof buf);
			struct tp_telemetry tel;
			if (!n || proto_decode_telemetry(buf, n, &tel) != PROTO_OK)
				continue;
			struct core_sample s = {.t = t + pass * 1800,
						.plate_c = {tel.plate_a_cc / 100.0, tel.plate_b_cc / 100.0},
						.plate_ok = {true, true}, .sink_c = tel.sink_cc / 100.0, .sink_ok = true,
						.current_a = tel.current_ma / 1000.0, .fw_faults = tel.faults};
			struct core_output o;
			core_on_sample(&core, &s, &o);
			for (int i = 0; i < o.nevents; i++)
				if (!strncmp(o.events[i].code, "tune", 4) || o.events[i].severity == CORE_FAULT)
					used += (size_t)snprintf(report + used, used < len ? len - used : 0, "%s: %s. ",
								 o.events[i].code, o.events[i].message);
			if (!started) {
				char err[256];
				if (core_tune(&core, pass == 0, s.t, err, sizeof err) != 0)
					return -1;
				started = true;
			} else if (core.state == CORE_IDLE) {
				send_drive(&pad, 0);
				break;
			}
			send_drive(&pad, o.drive);
		}
		if (core.safety.latched)
			return -1;
	}
	*out = core.cfg.pid;
	return 0;
}

static bool meets(const struct scenario *sc, const struct result *r, bool reference)
{
	if (sc->profile)
		return !r->tripped;
	if (!reference)
		return !r->tripped && r->overshoot <= 0.5;
	double allowed = fmax(1.3 * r->limit_s, r->limit_s + 10.0);
	return r->overshoot <= 0.3 && r->settled && r->settle_s <= allowed && r->rms <= 0.05 && !r->tripped;
}

int main(int argc, char **argv)
{
	struct model_params mp;
	model_params_reference(&mp);
	const char *model_name = "reference", *json_path = NULL, *profile_path = "profiles/contrast.ini";
	bool reference = true, do_autotune = false;
	char err[256];
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--model") == 0) {
			if (model_params_load(argv[i + 1], &mp, err, sizeof err) != 0) {
				fprintf(stderr, "bench_control: %s\n", err);
				return 2;
			}
			model_name = argv[i + 1];
			const char *base = strrchr(model_name, '/');
			reference = strcmp(base ? base + 1 : model_name, "reference.ini") == 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			json_path = argv[i + 1];
		} else if (strcmp(argv[i], "--gains") == 0) {
			/* heat kp,ki,kd,ff then cool kp,ki,kd,ff: for tuning runs */
			static struct pid_config pc;
			pid_config_default(&pc);
			struct pid_gains *h = &pc.heat, *c = &pc.cool;
			if (sscanf(argv[i + 1], "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &h->kp, &h->ki, &h->kd, &h->ff_per_c,
				   &c->kp, &c->ki, &c->kd, &c->ff_per_c, &pc.integral_band_c) < 8) {
				fprintf(stderr, "bench_control: --gains hkp,hki,hkd,hff,ckp,cki,ckd,cff[,band]\n");
				return 2;
			}
			gains_override = &pc;
		} else if (strcmp(argv[i], "--autotune") == 0 && strcmp(argv[i + 1], "yes") == 0) {
			do_autotune = true;
		} else if (strcmp(argv[i], "--profile") == 0) {
			profile_path = argv[i + 1];
		}
	}
	static char text[16384];
	FILE *f = fopen(profile_path, "r");
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = '\0';
	struct profile prof;
	struct profile_error perr;
	struct safety_limits lim;
	safety_limits_default(&lim);
	if (profile_parse(text, profile_path, "contrast", &lim, 32.0, &prof, &perr) != 0) {
		fprintf(stderr, "bench_control: %s\n", perr.text);
		return 2;
	}
	const struct scenario scenarios[] = {
		{"warm-up 32->40 C", 32, 40, 180, false},
		{"40->12 C", 40, 12, 420, false},
		{"12->40 C", 12, 40, 240, false},
		{"hold 40 C, 10 min", 40, 40, 600, false},
		{"contrast session", 32, NAN, 2400, true},
	};
	static struct pid_config tuned;
	char tune_report[1024] = "";
	if (do_autotune) {
		if (autotune(&mp, &tuned, tune_report, sizeof tune_report) != 0) {
			printf("autotune failed on %s: %s\n", model_name, tune_report);
			return 1;
		}
		gains_override = &tuned;
	}
	FILE *json = json_path ? fopen(json_path, "w") : NULL;
	if (json)
		fprintf(json, "{\"model\": \"%s\", \"scenarios\": [", model_name);
	printf("## Control bench: %s\n\n", model_name);
	if (do_autotune)
		printf("After autotune: %s\n\n", tune_report);
	printf("| scenario | controller | overshoot C | settle s | limit s | ratio | steady RMS C | IAE C*s | "
	       "IAE after arrival | reversals | energy kJ | trip | targets |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	bool all_met = true;
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		struct result res[3];
		for (int k = 0; k < 3; k++)
			run(&mp, &scenarios[i], &prof, (enum ctrl_kind)k, &res[k]);
		for (int k = 0; k < 3; k++) {
			const struct result *r = &res[k];
			bool ok = meets(&scenarios[i], r, reference);
			const char *verdict = k == CTRL_CORE ? (ok ? "met" : "MISSED") : "";
			if (k == CTRL_CORE && !ok)
				all_met = false;
			printf("| %s | %s | %.2f | %.1f | %.1f | %.2f | %.3f | %.1f | %.1f | %d | %.1f | %s | %s |\n",
			       scenarios[i].name, ctrl_names[k], r->overshoot, r->settle_s, r->limit_s,
			       r->limit_s > 0 ? r->settle_s / r->limit_s : 0, r->rms, r->iae, r->iae_reg, r->reversals,
			       r->energy_kj, r->tripped ? r->trip : "none", verdict);
			if (json)
				fprintf(json,
					"%s{\"scenario\": \"%s\", \"controller\": \"%s\", \"overshoot_c\": %.3f, "
					"\"settle_s\": %.1f, \"limit_s\": %.1f, \"rms_c\": %.4f, \"iae\": %.2f, "
					"\"iae_after_arrival\": %.2f, \"reversals\": %d, \"energy_kj\": %.2f, "
					"\"trip\": \"%s\"}",
					i || k ? ", " : "", scenarios[i].name, ctrl_names[k], r->overshoot, r->settle_s,
					r->limit_s, isnan(r->rms) ? -1.0 : r->rms, r->iae, r->iae_reg, r->reversals,
					r->energy_kj, r->tripped ? r->trip : "none");
		}
		/* the travel itself is physics; the comparison is on regulation */
		if (reference && res[CTRL_ONOFF].iae_reg < 2 * res[CTRL_CORE].iae_reg) {
			printf("| %s | regulation IAE not 2x lower than on/off | | | | | | | | | | | MISSED |\n",
			       scenarios[i].name);
			all_met = false;
		}
	}
	printf("\n%s targets %s.\n", reference ? "Reference-pad" : "Pad-variant (no trip, overshoot <= 0.5 C)",
	       all_met ? "all met" : "NOT all met");
	if (json) {
		fprintf(json, "], \"all_targets_met\": %s}\n", all_met ? "true" : "false");
		fclose(json);
	}
	return 0;
}
