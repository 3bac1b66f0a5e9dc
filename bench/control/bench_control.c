/* SPDX-License-Identifier: MIT */
/*
 * The control benchmark: the control core against the simulated pad's
 * physics (firmware in the loop, every frame through the codec), in model
 * time, judged on the TRUE plate and tissue temperatures: what the skin
 * gets. Pads: the shipped descriptions given on the command line, and a
 * sweep drawn from a seed across the ranges of a pad anyone may buy
 * (sweep_draw, sweep.c); none of the sweep's pads is a test fixture. Every
 * controller runs every scenario on every pad in the same process:
 *
 *   model        the model-based controller (estimator.h, modelctl.h), untuned
 *   model+tune   the same after `thermopad tune` (heating, then cooling)
 *   pid          the controller before it: PID on the lag inversion
 *   textbook     a fixed-gain PID on the raw mean of the plate sensors
 *   on/off       full drive until 0.25 C past the target
 *
 * Figures per run: time to within 0.3 C of the target against the
 * full-drive physical limit, overshoot, hold RMS, the skin estimate's
 * error and how its stated bounds hold, trips. The table gives, per
 * scenario and controller, the worst pad for each figure; then the tune
 * pad by pad against no tune, and a summary line per controller. The
 * baselines have no estimator: no skin figures.
 *
 *   bench_control [--seed N] [--sweep N] [--pad K] [--profile FILE] [FILE.ini...]
 *
 * --pad K runs only pad K of the list (shipped first, then the sweep) and
 * prints its description and every run: to look at a worst pad. For a
 * quicker look: --scenario S and --controller C run only those, --list
 * prints a line per run, --trace S [--fine SECONDS] follows scenario S of
 * the model controller in time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "model_ini.h"
#include "pad.h"
#include "profile.h"
#include "sweep.h"

#define DT_S SWEEP_DT_S
#define REACH_BAND_C 0.3

enum ctrl_kind { CTRL_MODEL, CTRL_MODEL_TUNED, CTRL_PID, CTRL_TEXTBOOK, CTRL_ONOFF, CTRL_N };
static const char *const ctrl_names[CTRL_N] = {"model", "model+tune", "pid (before)", "textbook PID", "on/off"};

enum scenario_kind { SC_STEP, SC_HOLD, SC_LOOSEN, SC_PROFILE };

struct scenario {
	const char *name;
	enum scenario_kind kind;
	double from_c, to_c;
	double window_s;
};

static const struct scenario scenarios[] = {
	{"warm-up 32->40", SC_STEP, 32, 40, 150},
	{"40->12", SC_STEP, 40, 12, 420},
	{"12->40", SC_STEP, 12, 40, 240},
	{"hold 40, 10 min", SC_HOLD, 40, 40, 600},
	{"hold 12, 10 min", SC_HOLD, 12, 12, 600},
	{"contrast", SC_PROFILE, 32, NAN, 2400},
	{"strap loosened at 40", SC_LOOSEN, 40, 40, 600},
};
#define NSCEN (sizeof scenarios / sizeof scenarios[0])
#define LOOSEN_AT_S 300.0
#define LOOSEN_FACTOR 0.4 /* the contact conductance drops to this */
#define SKIN_AFTER_S 120.0
#define HOLD_SETTLED_C 0.05 /* a hold's net overshoot counts from within this of the target */ /* the skin estimate is judged from here on */

struct result {
	double limit_s; /* full drive, to within the band; INFINITY if never */
	double reach_s; /* first time within the band; NAN if never */
	double overshoot_c;
	double overshoot_net_c; /* less the plate sensors' mean offset */
	double rms_c; /* hold, on the true plate */
	double rms_net_c; /* the same, less the plate sensors' mean offset: what no estimate can see */
	double skin_err_c; /* worst |estimate - model| after SKIN_AFTER_S */
	double skin_filter_err_c; /* the same for the filter's own tissue, without the record fit */
	double skin_out_c; /* worst distance of the model's tissue outside the stated bounds */
	double skin_inside; /* share of the samples with the model's tissue inside them */
	double skin_width_c; /* the bounds' mean width */
	int nskin;
	double closest_c; /* where full drive is at the window's end, if the target is out of reach */
	bool out_of_reach; /* the pad cannot hold the target at all: judged apart */
	double final_c; /* the true plate at the end */
	double window_s; /* how long the run went */
	bool tripped;
	char trip[40];
};

/* Full drive as the safety envelope allows it: cooling is derated
 * between the heat sink's limit and its maximum (a hot sink is how a
 * cooler becomes a heater), as the core does. */
static double envelope_drive(const struct model *m, double toward)
{
	if (toward > 0)
		return 1.0;
	struct safety_limits l;
	safety_limits_default(&l);
	if (m->sink_c <= l.sink_limit_c)
		return -1.0;
	double f = (l.sink_max_c - m->sink_c) / (l.sink_max_c - l.sink_limit_c);
	return -(f < 0 ? 0 : f);
}

/* Full drive from the scenario's start to within the band, in the same
 * physics and envelope: the fastest any controller could be. */
static double physical_limit(const struct model_params *p, double from, double to)
{
	struct model m;
	model_init(&m, p, from);
	for (double t = 0; t < 1800; t += 0.01) {
		if (fabs(m.plate_c - to) <= REACH_BAND_C)
			return t;
		model_advance(&m, envelope_drive(&m, to - from), 0.01);
	}
	return INFINITY;
}

/* Where full drive toward a target (heating above 32 C, cooling below)
 * takes the plate in so many seconds from a start. */
static double full_drive_after(const struct model_params *p, double from, double to, double seconds)
{
	struct model m;
	model_init(&m, p, from);
	for (double t = 0; t < seconds; t += 0.05)
		model_advance(&m, envelope_drive(&m, to - 32.0), 0.05);
	return m.plate_c;
}

/* A target this pad cannot hold at all: full drive, in balance from a
 * start at the target, settles short of it. */
static bool out_of_reach(const struct model_params *p, double to)
{
	double balance = full_drive_after(p, to, to, 1800);
	return to < 32.0 ? balance > to + REACH_BAND_C : balance < to - REACH_BAND_C;
}

/* ---- the baselines ---- */

struct baseline {
	double integral, last_err;
	bool started, on;
};

static double baseline_step(enum ctrl_kind kind, struct baseline *b, const struct core_sample *s, double target)
{
	double y = (s->plate_c[0] + s->plate_c[1]) / 2.0;
	double err = target - y;
	if (kind == CTRL_ONOFF) {
		if (fabs(err) > 0.25)
			b->on = true;
		if ((target > 32 && err < -0.25) || (target < 32 && err > 0.25))
			b->on = false;
		return b->on ? (err > 0 ? 1.0 : -1.0) : 0.0;
	}
	/* textbook: fixed gains, raw derivative, no filter, no rest */
	b->integral = fmax(-60, fmin(60, b->integral + err * DT_S));
	double d = b->started ? (err - b->last_err) / DT_S : 0;
	b->started = true;
	b->last_err = err;
	double u = 0.5 * err + 0.01 * b->integral + 0.5 * d;
	return u > 1 ? 1 : u < -1 ? -1 : u;
}

/* ---- one run ---- */

static struct profile contrast;
static int only_scenario = -1; /* --scenario S: only that one */
static int only_ctrl = -1;
static bool show_trips; /* --pad: each trip's message on stderr */
static bool list_runs; /* --list: one line per run as well */ /* --controller K: only that one (a quick look) */
static int trace_scenario = -1; /* --trace S: every 10 s of scenario S, model controller */
static double trace_fine_s = 0; /* --fine S: every 0.5 s for the first S seconds */

static void make_plan(const struct scenario *sc, struct plan *plan)
{
	if (sc->kind == SC_PROFILE) {
		*plan = contrast.plan;
		return;
	}
	memset(plan, 0, sizeof *plan);
	snprintf(plan->name, sizeof plan->name, "bench");
	plan->cycles = 1;
	plan->nphases = 1;
	plan->band_c = 0.5;
	plan->phases[0] = (struct phase){.kind = sc->to_c > 32 ? PHASE_HEAT : PHASE_COLD, .target_c = sc->to_c,
					 .duration_s = sc->window_s * 2};
	snprintf(plan->phases[0].name, sizeof plan->phases[0].name, "step");
}

/* `thermopad tune` on a fresh pad of this description, heating then
 * cooling, in model time; what it leaves behind (the gains and the
 * figures learned) is the calibration the daemon saves for the serial. */
static int autotune(const struct model_params *mp, char *out, size_t len, int *refused)
{
	*refused = 0;
	static struct sweep_loop l;
	static struct core core;
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&core, &cfg);
	sweep_loop_init(&l, mp, 32.0, 777);
	for (int pass = 0; pass < 2; pass++) {
		bool started = false;
		for (int k = 0; k < 18000; k++) {
			struct tp_telemetry tel;
			struct core_sample s;
			if (!sweep_loop_sample(&l, &tel, &s))
				continue;
			struct core_output o;
			core_on_sample(&core, &s, &o);
			for (int e = 0; e < o.nevents; e++)
				*refused += !strcmp(o.events[e].code, "tune-refused");
			if (!started) {
				char err[256];
				if (core_tune(&core, pass == 0, s.t, err, sizeof err) != 0)
					return -1;
				started = true;
			} else if (core.state == CORE_IDLE) {
				sweep_loop_send(&l, 0);
				break;
			}
			sweep_loop_send(&l, o.drive);
		}
		if (core.safety.latched)
			return -1;
	}
	struct calibration cal;
	core_calibration(&core, &cal);
	size_t n = tune_format(&cal.pid, "BENCH", out, len);
	thermal_format(&cal.model, out + n, len - n);
	return 0;
}

static void run(const struct sweep_pad *pd, const char *tuned, const struct scenario *sc,
		enum ctrl_kind kind, uint64_t seed, struct result *r)
{
	static struct sweep_loop l;
	static struct core core;
	struct baseline b = {0};
	memset(r, 0, sizeof *r);
	r->reach_s = NAN;
	r->closest_c = NAN;
	double to = sc->to_c;
	r->limit_s = sc->kind == SC_STEP ? physical_limit(&pd->p, sc->from_c, to) : 0;
	/* a slow pad gets the time it needs, and a minute and a half to show its hold */
	double window = sc->window_s;
	if (sc->kind == SC_STEP && isfinite(r->limit_s))
		window = fmax(window, 1.3 * r->limit_s + 90);
	double offset = (pd->p.sensor_offset_c[0] + pd->p.sensor_offset_c[1]) / 2;
	sweep_loop_init(&l, &pd->p, sc->from_c, seed);

	struct core_config cfg;
	core_config_default(&cfg);
	cfg.control = kind == CTRL_PID ? CORE_CONTROL_PID : CORE_CONTROL_MODEL;
	core_init(&core, &cfg);
	estimator_fit_skin(&core.est, true); /* the skin as the record fit has it, beside the filter's own */
	char err[256];
	if (kind == CTRL_MODEL_TUNED && tuned) {
		struct calibration cal = {.pid = cfg.pid, .model = cfg.model};
		if (tune_parse(tuned, &cal.pid, err, sizeof err) != 0 || thermal_parse(tuned, &cal.model, err, sizeof err) != 0) {
			fprintf(stderr, "bench_control: the tune's calibration: %s\n", err);
			exit(1);
		}
		core_calibrate(&core, &cal);
	}
	struct plan plan;
	make_plan(sc, &plan);
	struct plan_run brun; /* the baselines follow the plan too */
	bool started = false, loosened = false, hold_settled = false;
	double sq = 0, sq_net = 0, last_target = NAN, dir = 0;
	int nsq = 0;
	for (double t = DT_S; t <= window + 1e-9; t += DT_S) {
		if (sc->kind == SC_LOOSEN && !loosened && t >= LOOSEN_AT_S) {
			l.pad.model.p.tissue_to_plate_w_per_k *= LOOSEN_FACTOR;
			loosened = true;
		}
		struct tp_telemetry tel;
		struct core_sample s;
		if (!sweep_loop_sample(&l, &tel, &s))
			continue;
		/* the core runs for the controllers that are the core's; the
		 * baselines have no estimator, so no skin figures */
		bool cored = kind <= CTRL_PID;
		struct core_output out;
		if (cored)
			core_on_sample(&core, &s, &out);
		double target = to, drive = 0;
		if (!started) {
			if ((cored && core_start(&core, &plan, s.t, err, sizeof err) != 0) ||
			    plan_expand(&plan, &brun, err, sizeof err) != 0) {
				fprintf(stderr, "bench_control: %s\n", err);
				exit(1);
			}
			double y = (s.plate_c[0] + s.plate_c[1]) / 2;
			plan_begin(&brun, s.t, y);
			started = true;
		}
		if (cored) {
			drive = out.drive;
			if (sc->kind == SC_PROFILE) {
				if (core.state == CORE_IDLE)
					break;
				struct core_status st;
				core_status(&core, &st);
				target = st.target_c;
			}
			if (core.safety.latched && !r->tripped) {
				r->tripped = true;
				snprintf(r->trip, sizeof r->trip, "%s", core.safety.code);
				if (show_trips)
					fprintf(stderr, "%s, %s, %s: %s\n", pd->name, sc->name, ctrl_names[kind], core.safety.message);
			}
		} else {
			double y = (s.plate_c[0] + s.plate_c[1]) / 2;
			if (sc->kind == SC_PROFILE) {
				plan_update(&brun, s.t, y);
				const struct phase *ph = plan_current(&brun);
				if (!ph)
					break;
				target = ph->kind == PHASE_OFF ? NAN : ph->target_c;
			}
			drive = isnan(target) ? 0.0 : baseline_step(kind, &b, &s, target);
			if (tel.faults && !r->tripped) {
				r->tripped = true;
				snprintf(r->trip, sizeof r->trip, "firmware 0x%x", tel.faults);
			}
		}
		sweep_loop_send(&l, drive);
		struct pad_truth tr;
		pad_truth(&l.pad, &tr);
		if (cored && s.t >= SKIN_AFTER_S) {
			double se = fabs(estimator_tissue_c(&core.est) - tr.tissue_c);
			if (se > r->skin_err_c)
				r->skin_err_c = se;
			r->skin_filter_err_c = fmax(r->skin_filter_err_c, fabs(core.est.x[EST_TISSUE] - tr.tissue_c));
		}
		if (cored) { /* the bounds the core states (core_status' skin_lo_c, skin_hi_c) */
			double lo, hi;
			estimator_skin_bounds(&core.est, &lo, &hi);
			double beyond = fmax(lo - tr.tissue_c, tr.tissue_c - hi);
			r->skin_out_c = fmax(r->skin_out_c, beyond);
			r->skin_inside += beyond <= 0;
			r->skin_width_c += hi - lo;
			r->nskin++;
		}
		if (trace_scenario >= 0 && kind == CTRL_MODEL && (t < trace_fine_s ? fmod(t + 1e-6, 0.5) < DT_S * 0.5 : fmod(t + 1e-6, 10.0) < DT_S * 0.5)) {
			struct thermal_params q;
			estimator_params(&core.est, &q);
			double blo, bhi;
			estimator_skin_bounds(&core.est, &blo, &bhi);
			const struct skinfit *sf = &core.est.skin;
			printf("t %6.1f plate %.3f est %.3f (sd %.3f) tissue %.3f est %.3f filter %.3f (%.2f..%.2f) fit %lu/%lu Gtp %.2f Gtc %.2f sink %.2f est %.2f amb %.2f "
			       "set aside %lu %lu %lu drive %+.2f sp %.2f rs %d | Cp %.0f lag %.2f Gtp %.2f Gtc %.2f Ct %.0f Cs %.0f Gsa %.2f K %.3f S %.4f R %.2f V %.2f\n",
			       t, tr.plate_c, core.est.x[EST_PLATE], estimator_sd(&core.est, EST_PLATE), tr.tissue_c,
			       estimator_tissue_c(&core.est), core.est.x[EST_TISSUE], blo, bhi, sf->fits, sf->contact_changes,
			       sf->fitted_params.tissue_to_plate_w_per_k, sf->fitted_params.tissue_to_core_w_per_k, tr.sink_c, core.est.x[EST_SINK],
			       core.est.x[EST_AMBIENT], core.est.nrejected[0], core.est.nrejected[1], core.est.nrejected[2], drive, core.run.setpoint, core.reach_step, q.plate_j_per_k, q.sensor_lag_s, q.tissue_to_plate_w_per_k,
			       q.tissue_to_core_w_per_k, q.tissue_j_per_k, q.sink_j_per_k, q.sink_to_ambient_w_per_k,
			       q.conductance_w_per_k, q.seebeck_v_per_k, q.resistance_ohm, q.supply_v);
		}
		if (isnan(target))
			continue;
		if (target != last_target) {
			dir = isnan(last_target) ? (target > sc->from_c ? 1 : target < sc->from_c ? -1 : 0)
						 : (target > last_target ? 1 : -1);
			last_target = target;
		}
		double e = tr.plate_c - target;
		if (isnan(r->reach_s) && fabs(e) <= REACH_BAND_C)
			r->reach_s = t;
		/* past the target in the direction of travel; for a hold, either way */
		double past = dir != 0 ? e * dir : fabs(e);
		/* a hold begins with the plate at the target and its sensors off
		 * by their offset: until the plate is where the sensors say the
		 * target is, the net error is where it began, not an overshoot */
		if (dir == 0 && fabs(e + offset) <= HOLD_SETTLED_C)
			hold_settled = true;
		double past_net = dir != 0 ? (e + offset) * dir : hold_settled ? fabs(e + offset) : 0.0;
		if (past > r->overshoot_c)
			r->overshoot_c = past;
		if (past_net > r->overshoot_net_c)
			r->overshoot_net_c = past_net;
		r->final_c = tr.plate_c;
		r->window_s = t;
		bool hold_window = sc->kind == SC_HOLD ? t >= 60
				   : sc->kind == SC_LOOSEN ? t >= LOOSEN_AT_S + 120
				   : sc->kind == SC_STEP ? t >= window - 60
							 : false;
		if (sc->kind == SC_LOOSEN && t > LOOSEN_AT_S) {
			r->overshoot_c = fmax(r->overshoot_c, fabs(e));
			r->overshoot_net_c = fmax(r->overshoot_net_c, fabs(e + offset));
		}
		if (hold_window) {
			sq += e * e;
			sq_net += (e + offset) * (e + offset);
			nsq++;
		}
	}
	r->skin_inside = r->nskin ? r->skin_inside / r->nskin : NAN;
	r->skin_width_c = r->nskin ? r->skin_width_c / r->nskin : NAN;
	r->rms_c = nsq ? sqrt(sq / nsq) : NAN;
	r->rms_net_c = nsq ? sqrt(sq_net / nsq) : NAN;
}

/* ---- judging ---- */

static double allowed_s(double limit_s)
{
	return fmax(1.3 * limit_s, limit_s + 5.0);
}

struct worst {
	double value;
	int pad;
};

static void note(struct worst *w, double v, int pad)
{
	if (isnan(v))
		v = INFINITY; /* never reached counts as worst */
	if (w->pad < 0 || v > w->value) {
		w->value = v;
		w->pad = pad;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The spread of one skin figure over the pads: median, 90th percentile,
 * worst, and how many pads are past the goal. */
static void skin_spread(double *v, int n, char *out, size_t len)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	int over = 0;
	for (int k = 0; k < n; k++)
		over += v[k] > 0.5;
	snprintf(out, len, "%.2f / %.2f / %.2f | %d", v[n / 2], v[(int)(0.9 * n)], v[n - 1], over);
}

/* The skin estimate over every pad, the record fit (what the core
 * reports) beside the filter's own tissue (the baseline, the same runs). */
static void print_skin(const struct result (*res)[NSCEN][CTRL_N], int npads)
{
	printf("\nThe skin estimate of the model controller over every pad, |estimate - model tissue| from %.0f s on, "
	       "as median / 90th percentile / worst C, and the pads past 0.5 C: the record fit (skinfit.h; not yet "
	       "run by the daemon, whose skin_c is still the filter's) beside the filter's own tissue (estimator.h, the estimate before the fit), in "
	       "the same runs:\n\n",
	       SKIN_AFTER_S);
	printf("| scenario | record fit C | pads > 0.5 C | filter alone C | pads > 0.5 C |\n| --- | --- | --- | --- | --- |\n");
	static double fit[SWEEP_PADS_MAX], filter[SWEEP_PADS_MAX];
	for (size_t s = 0; s < NSCEN; s++) {
		if (only_scenario >= 0 && (int)s != only_scenario)
			continue;
		int n = 0;
		for (int k = 0; k < npads; k++) {
			const struct result *r = &res[k][s][CTRL_MODEL];
			if (!r->nskin)
				continue;
			fit[n] = r->skin_err_c;
			filter[n] = r->skin_filter_err_c;
			n++;
		}
		if (!n)
			continue;
		char a[96], b[96];
		skin_spread(fit, n, a, sizeof a);
		skin_spread(filter, n, b, sizeof b);
		printf("| %s | %s | %s |\n", scenarios[s].name, a, b);
	}
}

int main(int argc, char **argv)
{
	static struct sweep_pad pads[SWEEP_PADS_MAX];
	const char *paths[SWEEP_PADS_MAX];
	int npaths = 0;
	int npads = 0, nsweep = 50, only = -1;
	uint64_t seed = 15;
	const char *profile_path = "profiles/contrast.ini";
	char err[256];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--sweep") && i + 1 < argc)
			nsweep = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pad") && i + 1 < argc) {
			only = atoi(argv[++i]);
			show_trips = true;
		}
		else if (!strcmp(argv[i], "--list"))
			list_runs = true;
		else if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
			only_scenario = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--controller") && i + 1 < argc)
			only_ctrl = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--fine") && i + 1 < argc)
			trace_fine_s = atof(argv[++i]);
		else if (!strcmp(argv[i], "--trace") && i + 1 < argc)
			trace_scenario = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--profile") && i + 1 < argc)
			profile_path = argv[++i];
		else if (npaths < SWEEP_PADS_MAX)
			paths[npaths++] = argv[i];
	}
	int nshipped = npaths;
	npads = sweep_pads(paths, npaths, nsweep, seed, pads, err, sizeof err);
	if (npads < 0 || sweep_profile(profile_path, "contrast", &contrast, err, sizeof err) != 0) {
		fprintf(stderr, "bench_control: %s\n", err);
		return 2;
	}


	static struct result res[SWEEP_PADS_MAX][NSCEN][CTRL_N];
	static char tuned[SWEEP_PADS_MAX][4096];
	static bool tune_ok[SWEEP_PADS_MAX];
	static int tune_refused[SWEEP_PADS_MAX]; /* passes whose figures the tune check refused */
	for (int k = 0; k < npads; k++) {
		if (only >= 0 && k != only)
			continue;
		if (trace_scenario >= 0) {
			run(&pads[k], NULL, &scenarios[trace_scenario], CTRL_MODEL, seed * 1000 + (uint64_t)k,
			    &res[k][trace_scenario][0]);
			return 0;
		}
		tune_ok[k] = (only_ctrl < 0 || only_ctrl == CTRL_MODEL_TUNED) &&
			     autotune(&pads[k].p, tuned[k], sizeof tuned[k], &tune_refused[k]) == 0;
		for (size_t s = 0; s < NSCEN; s++) {
			if (only_scenario >= 0 && only_scenario != (int)s)
				continue;
			bool beyond = scenarios[s].kind != SC_PROFILE && out_of_reach(&pads[k].p, scenarios[s].to_c);
			for (int c = 0; c < CTRL_N; c++) {
				if (only_ctrl >= 0 && only_ctrl != c)
					continue;
				struct result *r = &res[k][s][c];
				run(&pads[k], tune_ok[k] ? tuned[k] : NULL, &scenarios[s], (enum ctrl_kind)c,
				    seed * 1000 + (uint64_t)k, r);
				r->out_of_reach = beyond;
				if (beyond)
					r->closest_c = full_drive_after(&pads[k].p, scenarios[s].from_c, scenarios[s].to_c,
									r->window_s);
			}
		}
	}

	if (only >= 0) {
		const struct model_params *p = &pads[only].p;
		printf("pad %d (%s): plate %.0f J/K, contact %.2f W/K, blood flow %.2f W/K, lag %.2f s, noise %.3f C, "
		       "offsets %+.2f %+.2f %+.2f C, supply %.2f V, S %.4f, R %.2f, K %.3f, sink %.0f J/K %.2f W/K, "
		       "ambient %.1f C; tune %s\n",
		       only, pads[only].name, p->plate_j_per_k, p->tissue_to_plate_w_per_k, p->tissue_to_core_w_per_k,
		       p->sensor_lag_s, p->sensor_noise_c, p->sensor_offset_c[0], p->sensor_offset_c[1],
		       p->sensor_offset_c[2], p->supply_v, p->seebeck_v_per_k, p->resistance_ohm, p->conductance_w_per_k,
		       p->sink_j_per_k, p->sink_to_ambient_w_per_k, p->ambient_c, tune_ok[only] ? "done" : "failed");
		printf("| scenario | controller | reach s | limit s | overshoot C | net C | hold RMS C | net C | skin error C "
		       "| skin inside bounds %% | outside by C | bounds width C | end C | trip |\n");
		printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
		for (size_t s = 0; s < NSCEN; s++)
			for (int c = 0; c < CTRL_N; c++) {
				const struct result *r = &res[only][s][c];
				if (only_ctrl >= 0 && c != only_ctrl)
					continue;
				printf("| %s | %s | %.1f | %.1f | %.3f | %.3f | %.3f | %.3f | %.2f | %.1f | %.2f | %.2f | %.2f | %s |\n",
				       scenarios[s].name, ctrl_names[c], r->reach_s, r->limit_s, r->overshoot_c, r->overshoot_net_c,
				       r->rms_c, r->rms_net_c, r->skin_err_c, 100 * r->skin_inside, r->skin_out_c, r->skin_width_c,
				       r->final_c, r->tripped ? r->trip : r->out_of_reach ? "none, out of reach" : "none");
			}
		return 0;
	}

	printf("Pads: %d shipped descriptions and %d drawn with seed %llu (bench_control --seed %llu --sweep %d; "
	       "--pad K shows pad K, counting from 0). For each figure, the worst pad of them all, judged on the "
	       "model's truth. Reach: time to within %.1f C of the target less the time allowed, max(1.3 x full-drive "
	       "limit, limit + 5 s), for targets full drive can reach (full drive as the envelope allows it: cooling "
	       "derated above the heat sink's limit). Hold RMS over the last minute of a step, "
	       "minutes 1-10 of a hold, the last 3 min after the strap is loosened. \"Net\": the same less the mean "
	       "offset of the two plate sensors (up to 0.2 C in the sweep), which no estimate can see: a common offset "
	       "moves the truth and both readings alike; for a hold, which starts with the true plate at the target, "
	       "the net overshoot counts from the first time the plate is within %.2f C of it net. Skin: |estimated - model "
	       "tissue| from %.0f s on; the skin's bounds (skin_lo_c..skin_hi_c, estimator_skin_bounds), stated to hold "
	       "the skin of any pad of the range: the share of samples with the model's tissue outside them, how far "
	       "outside at worst, and their mean width.\n\n",
	       nshipped, npads - nshipped, (unsigned long long)seed, (unsigned long long)seed, nsweep, REACH_BAND_C,
	       HOLD_SETTLED_C, SKIN_AFTER_S);
	printf("| scenario | controller | reach s over allowed | overshoot C | net C | hold RMS C | net C | skin error C "
	       "| skin outside bounds %% | by C | bounds width C | trips |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	enum { Q_REACH, Q_OVER, Q_OVER_NET, Q_RMS, Q_NET, Q_SKIN, Q_SKIN_MISS, Q_SKIN_OUT, Q_SKIN_WIDTH, NQ };
	struct worst total[CTRL_N][NQ];
	int trips_total[CTRL_N] = {0};
	for (int c = 0; c < CTRL_N; c++)
		for (int q = 0; q < NQ; q++)
			total[c][q] = (struct worst){-INFINITY, -1};
	for (size_t s = 0; s < NSCEN; s++) {
		if (only_scenario >= 0 && (int)s != only_scenario)
			continue;
		for (int c = 0; c < CTRL_N; c++) {
			if (only_ctrl >= 0 && c != only_ctrl)
				continue;
			struct worst w[NQ];
			for (int q = 0; q < NQ; q++)
				w[q] = (struct worst){-INFINITY, -1};
			int trips = 0;
			for (int k = 0; k < npads; k++) {
				const struct result *r = &res[k][s][c];
				if (!r->out_of_reach && scenarios[s].kind == SC_STEP && isfinite(r->limit_s))
					note(&w[Q_REACH], r->reach_s - allowed_s(r->limit_s), k);
				if (!r->out_of_reach) {
					note(&w[Q_OVER], r->overshoot_c, k);
					note(&w[Q_OVER_NET], r->overshoot_net_c, k);
				}
				if (!isnan(r->rms_c) && !r->out_of_reach) {
					note(&w[Q_RMS], r->rms_c, k);
					note(&w[Q_NET], r->rms_net_c, k);
				}
				if (r->nskin) {
					note(&w[Q_SKIN], r->skin_err_c, k);
					note(&w[Q_SKIN_MISS], 100.0 * (1.0 - r->skin_inside), k);
					note(&w[Q_SKIN_OUT], r->skin_out_c, k);
					note(&w[Q_SKIN_WIDTH], r->skin_width_c, k);
				}
				trips += r->tripped;
				if (list_runs)
					printf("run %s | %s | %s | reach %.1f limit %.1f | over %.3f net %.3f | rms %.3f net %.3f | skin %.2f "
					       "inside %.1f %% out %.2f width %.2f | %s\n",
					       pads[k].name, scenarios[s].name, ctrl_names[c], r->reach_s, r->limit_s, r->overshoot_c,
					       r->overshoot_net_c, r->rms_c, r->rms_net_c, r->skin_err_c, 100 * r->skin_inside,
					       r->skin_out_c, r->skin_width_c,
					       r->tripped ? r->trip : r->out_of_reach ? "out of reach" : "-");
			}
			char cell[NQ][48];
			for (int q = 0; q < NQ; q++) {
				if (w[q].pad < 0)
					snprintf(cell[q], sizeof cell[q], "-");
				else
					snprintf(cell[q], sizeof cell[q],
						 q == Q_REACH ? "%+.1f (%s)" : q >= Q_SKIN_MISS ? "%.2f (%s)" : "%.3f (%s)",
						 w[q].value, pads[w[q].pad].name);
				if (w[q].pad >= 0)
					note(&total[c][q], w[q].value, w[q].pad);
			}
			trips_total[c] += trips;
			printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", scenarios[s].name, ctrl_names[c],
			       cell[Q_REACH], cell[Q_OVER], cell[Q_OVER_NET], cell[Q_RMS], cell[Q_NET], cell[Q_SKIN],
			       cell[Q_SKIN_MISS], cell[Q_SKIN_OUT], cell[Q_SKIN_WIDTH], trips);
		}
	}
	if (only_ctrl < 0 || only_ctrl == CTRL_MODEL)
		print_skin(res, npads);
	printf("\nTargets out of the module's reach (full drive, cooling derated above the heat sink's limit as the core "
	       "does, settles more than %.1f C short of them), left out of the figures above and shown here: where full "
	       "drive from the same start is at the end of the run, and where each controller ended:\n\n", REACH_BAND_C);
	int unreachable = 0;
	for (int k = 0; k < npads; k++)
		for (size_t s = 0; s < NSCEN; s++) {
			const struct result *r0 = &res[k][s][only_ctrl >= 0 ? only_ctrl : 0];
			if (!r0->out_of_reach)
				continue;
			printf("- %s %s: full drive is at %.2f C by the end;", pads[k].name, scenarios[s].name, r0->closest_c);
			for (int c = 0; c < CTRL_N; c++)
				if (only_ctrl < 0 || c == only_ctrl)
					printf(" %s %.2f C%s%s;", ctrl_names[c], res[k][s][c].final_c,
					       res[k][s][c].tripped ? ", tripped " : "", res[k][s][c].tripped ? res[k][s][c].trip : "");
			printf("\n");
			unreachable++;
		}
	if (!unreachable)
		printf("none.\n");
	if (only_ctrl < 0) {
		/* the tune pad by pad: worse than untuned anywhere, by more than
		 * the tune check allows, on the model's truth */
		int tuned_pads = 0, refusals = 0, worse = 0;
		char worse_list[512] = "";
		for (int k = 0; k < npads; k++) {
			if (!tune_ok[k])
				continue;
			tuned_pads++;
			refusals += tune_refused[k];
			bool w = false;
			for (size_t s = 0; s < NSCEN; s++) {
				if (only_scenario >= 0 && (int)s != only_scenario)
					continue;
				const struct result *u = &res[k][s][CTRL_MODEL], *t = &res[k][s][CTRL_MODEL_TUNED];
				if (u->out_of_reach)
					continue;
				if (t->overshoot_net_c > u->overshoot_net_c + 0.02 || t->tripped > u->tripped ||
				    (scenarios[s].kind == SC_STEP && t->reach_s > u->reach_s + 1.0) ||
				    (!isnan(t->rms_net_c) && t->rms_net_c > u->rms_net_c + 0.01))
					w = true;
			}
			size_t used = strlen(worse_list);
			if (w && used + strlen(pads[k].name) + 2 < sizeof worse_list) {
				worse_list[used] = ' ';
				memcpy(worse_list + used + 1, pads[k].name, strlen(pads[k].name) + 1);
			}
			worse += w;
		}
		printf("\nThe tune, pad by pad: %d pads tuned (the others' tunes aborted), %d passes refused by the tune "
		       "check (tunecheck.h); model+tune worse than model (net overshoot more than 0.02 C, reach more than "
		       "1 s later, net hold RMS more than 0.01 C, or a trip, in any scenario) on %d pads%s%s\n",
		       tuned_pads, refusals, worse, worse ? ":" : "", worse_list);
	}
	printf("\nSummary, the worst over every pad and scenario (goals: reach within the time allowed, overshoot <= 0.2 C, "
	       "hold RMS <= 0.05 C, skin error <= 0.5 C, no trip):\n\n");
	for (int c = 0; c < CTRL_N; c++) {
		if (only_ctrl >= 0 && c != only_ctrl)
			continue;
		bool met = total[c][Q_REACH].value <= 0 && total[c][Q_OVER_NET].value <= 0.2 && total[c][Q_NET].value <= 0.05 &&
			   total[c][Q_SKIN].value <= 0.5 && trips_total[c] == 0;
		if (total[c][Q_REACH].pad < 0)
			total[c][Q_REACH] = (struct worst){0, 0}; /* no step scenario ran */
		char skin[160] = "no skin estimate";
		if (total[c][Q_SKIN].pad >= 0)
			snprintf(skin, sizeof skin, "skin %.2f C (%s), outside its bounds %.2f %% of samples (%s)",
				 total[c][Q_SKIN].value, pads[total[c][Q_SKIN].pad].name, total[c][Q_SKIN_MISS].value,
				 pads[total[c][Q_SKIN_MISS].pad].name);
		else
			met = false;
		printf("- %-13s reach %+.1f s (%s), overshoot %.3f C (%s), net %.3f C (%s), hold RMS %.3f C (%s), "
		       "net %.3f C (%s), %s, trips %d: %s\n",
		       ctrl_names[c], total[c][Q_REACH].value, pads[total[c][Q_REACH].pad].name, total[c][Q_OVER].value,
		       pads[total[c][Q_OVER].pad].name, total[c][Q_OVER_NET].value, pads[total[c][Q_OVER_NET].pad].name,
		       total[c][Q_RMS].value, pads[total[c][Q_RMS].pad].name, total[c][Q_NET].value,
		       pads[total[c][Q_NET].pad].name, skin, trips_total[c],
		       met ? "goals met (net of the sensors' offset)" : "goals NOT met");
	}
	return 0;
}
