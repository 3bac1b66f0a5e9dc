/* SPDX-License-Identifier: MIT */
/*
 * How well can ANY estimator know the skin? A measurement, not an
 * argument. For a scenario and a pad of the sweep, the model controller
 * runs the pad in the loop (firmware, sensors, codec, as the control
 * bench does) and the drive that reached the module is recorded tick by
 * tick. That drive is then replayed open-loop on the pure model (sim/model)
 * for the pad itself and for other pads within the sweep's ranges, and a
 * twin is searched for: a pad whose readings (plate A and B, heat sink,
 * module current, through the same sensor lag) stay within the sensors'
 * noise of the pad's for the whole run, while its tissue differs as much
 * as possible.
 *
 * Within the noise means: the two pads' noise-free readings differ by d
 * standard deviations in all (d^2 = the sum over every sample and sensor
 * of (difference / sigma)^2, sigma the pad's sensor noise with the
 * converter's resolution, 0.01 C and 1 mA, counted as noise too). With
 * Gaussian noise the best possible test between the two pads, knowing
 * both exactly, still errs with probability Phi(-d/2): 31 % at d = 1. An
 * estimator told only the readings then misses by at least half the two
 * tissues' difference on one of the two pads that often. So half the
 * largest difference found is a lower bound on the worst error of any
 * estimator over the ranges; the search can only under-state it.
 *
 * The search: the contact and blood-flow conductances are moved apart
 * along their ratio (G_c/G_p: how the heat's way splits), and at each
 * ratio a least-squares fit (Levenberg-Marquardt) of every other figure
 * the readings leave open (the series conductance, plate heat capacity,
 * module K, sensor lag, the plate sensors' common offset and the sink's,
 * the sink's figures, the room) minimises d. The ratio goes out in each
 * direction as long as d stays at most 1. The module's S and R and the
 * supply are kept: the voltage and the current pin them. Deterministic:
 * the loop's noise comes from the seed, the search has no randomness.
 *
 * The simulated pad's current sense has no noise beyond its 1 mA
 * resolution, and through the module's Seebeck voltage the current is a
 * fine thermometer of the plate less the sink: the limit is given for
 * that, and again with a real sense's noise (5 mA, --current-sigma-ma).
 *
 * Beside the limit, the same search with a looser test, sample by sample:
 * the readings' differences within the noise in RMS (at most 1 sigma) and
 * never beyond 3 sigma. That is what no single reading can show; a filter
 * that weighs the whole record can still tell such twins apart, so it is
 * not a bound, but it shows how far the record must be read to do better.
 *
 *   skin_limit [--seed N] [--sweep N] [--search N] [--pad K] [--scenario S] [--current-sigma-ma MA]
 *              [--profile FILE] [FILE.ini...]
 *
 * --search N: the twin is searched on the N pads where our estimator's
 * skin error is largest in each scenario, and on the N noisiest (the
 * limit is larger the more noise hides). --pad K: only pad K, every
 * step of its search printed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "model_ini.h"
#include "profile.h"
#include "sweep.h"

#define TICK_S (PAD_TICK_MS / 1000.0)
#define TICKS_PER_SAMPLE 10
#define MAX_TICKS 300000 /* 3000 s */
#define MAX_SAMPLES (MAX_TICKS / TICKS_PER_SAMPLE)
#define SKIN_AFTER_S 120.0 /* as the control bench judges the skin estimate */
static int fit_iter = 12;
static double sense_sigma_a = 0.005; /* --current-sigma-ma: a current sense as a real pad has it */
#define D_MAX 1.0                    /* the two pads' readings at most this many sigma apart in all */
#define RES_TEMP_C 0.01              /* the converter's resolution, as noise */
#define RES_CURRENT_A 0.001

enum scenario_kind { SC_HOLD, SC_STEP, SC_PROFILE };

struct scenario {
	const char *name;
	enum scenario_kind kind;
	double from_c, to_c, window_s;
};

static const struct scenario scenarios[] = {
	{"hold 12, 10 min", SC_HOLD, 12, 12, 600},
	{"40->12", SC_STEP, 40, 12, 420},
	{"contrast", SC_PROFILE, 32, NAN, 2400},
};
#define NSCEN (sizeof scenarios / sizeof scenarios[0])

/* ---- the pad in the loop, its drive recorded ---- */

static double rec_drive[MAX_TICKS];
static double rec_tissue_c[MAX_SAMPLES]; /* the pad's tissue at every telemetry period, in the loop */
static bool rec_open[MAX_TICKS];

struct ours {
	double err_c;                     /* worst |estimate - truth| from SKIN_AFTER_S on */
	double width_mean_c, width_max_c; /* the bounds' width */
	double outside;                   /* share of samples with the truth outside the bounds */
	bool tripped;
	size_t nticks;
};

static struct profile contrast;

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
	plan->phases[0] = (struct phase){
		.kind = sc->to_c > 32 ? PHASE_HEAT : PHASE_COLD, .target_c = sc->to_c, .duration_s = sc->window_s * 2};
	snprintf(plan->phases[0].name, sizeof plan->phases[0].name, "step");
}

/* The model controller on the pad, as the control bench runs it (the same
 * seed per pad), the module's drive recorded in rec_drive/rec_open. */
static void run_closed(const struct sweep_pad *pd, const struct scenario *sc, uint64_t seed, struct ours *o)
{
	static struct sweep_loop l;
	static struct core core;
	static struct sweep_record rec = {rec_drive, rec_open, 0, MAX_TICKS};
	memset(o, 0, sizeof *o);
	rec.n = 0;
	sweep_loop_init(&l, &pd->p, sc->from_c, seed);
	l.record = &rec;
	struct core_config cfg;
	core_config_default(&cfg);
	cfg.control = CORE_CONTROL_MODEL;
	core_init(&core, &cfg);
	estimator_fit_skin(&core.est, true);
	struct plan plan;
	make_plan(sc, &plan);
	bool started = false;
	int nskin = 0, nout = 0;
	double width = 0;
	for (double t = SWEEP_DT_S; t <= sc->window_s + 1e-9; t += SWEEP_DT_S) {
		struct tp_telemetry tel;
		struct core_sample s;
		bool sampled = sweep_loop_sample(&l, &tel, &s);
		size_t period = rec.n / TICKS_PER_SAMPLE;
		if (period >= 1 && period <= MAX_SAMPLES)
			rec_tissue_c[period - 1] = l.pad.model.tissue_c;
		if (!sampled)
			continue;
		struct core_output out;
		core_on_sample(&core, &s, &out);
		if (!started) {
			char err[256];
			if (core_start(&core, &plan, s.t, err, sizeof err) != 0) {
				fprintf(stderr, "skin_limit: %s\n", err);
				exit(1);
			}
			started = true;
		}
		if (sc->kind == SC_PROFILE && core.state == CORE_IDLE)
			break;
		o->tripped |= core.safety.latched;
		sweep_loop_send(&l, out.drive);
		struct pad_truth tr;
		pad_truth(&l.pad, &tr);
		double lo, hi;
		estimator_skin_bounds(&core.est, &lo, &hi);
		width += hi - lo;
		o->width_max_c = fmax(o->width_max_c, hi - lo);
		nout += tr.tissue_c < lo || tr.tissue_c > hi;
		nskin++;
		if (s.t >= SKIN_AFTER_S)
			o->err_c = fmax(o->err_c, fabs(estimator_tissue_c(&core.est) - tr.tissue_c));
	}
	o->width_mean_c = nskin ? width / nskin : NAN;
	o->outside = nskin ? (double)nout / nskin : NAN;
	o->nticks = rec.n;
}

/* ---- the recorded drive replayed on the pure model ---- */

struct trace {
	size_t n;
	double plate_c[MAX_SAMPLES], sink_c[MAX_SAMPLES], current_a[MAX_SAMPLES], tissue_c[MAX_SAMPLES];
};

/* What the sensors settle to (lag and offset, before noise), the module's
 * current and the tissue, at every telemetry sample. The plate's reading
 * is the mean of A and B: their split is the same on both pads. */
static void replay(const struct model_params *p, double from_c, size_t nticks, struct trace *tr)
{
	struct model m;
	model_init(&m, p, from_c);
	double alpha = p->sensor_lag_s > 0 ? 1.0 - exp(-TICK_S / p->sensor_lag_s) : 1.0;
	double lag_plate = m.plate_c, lag_sink = m.sink_c;
	double plate_offset = (p->sensor_offset_c[0] + p->sensor_offset_c[1]) / 2;
	tr->n = 0;
	for (size_t k = 0; k < nticks; k++) {
		m.open_circuit = rec_open[k];
		model_advance(&m, rec_drive[k], TICK_S);
		lag_plate += (m.plate_c - lag_plate) * alpha;
		lag_sink += (m.sink_c - lag_sink) * alpha;
		if ((k + 1) % TICKS_PER_SAMPLE == 0 && tr->n < MAX_SAMPLES) {
			tr->plate_c[tr->n] = lag_plate + plate_offset;
			tr->sink_c[tr->n] = lag_sink + p->sensor_offset_c[2];
			tr->current_a[tr->n] = m.current_a;
			tr->tissue_c[tr->n] = m.tissue_c;
			tr->n++;
		}
	}
}

/* ---- the twin's figures ---- */

/* What the fit may move, within the sweep's ranges. The contact and the
 * blood flow are set by the ratio (held for each fit) and the series
 * conductance. */
enum {
	U_LN_SERIES,
	U_LN_PLATE_J,
	U_LN_K,
	U_LAG,
	U_PLATE_OFFSET,
	U_SINK_OFFSET,
	U_LN_SINK_G,
	U_LN_SINK_J,
	U_AMBIENT,
	NU
};

struct fit_box {
	double lo[NU], hi[NU];
};

/* The reference pad's figures and the sweep's ranges (sweep.c). */
#define CONTACT_LO (1.5 * 0.4)
#define CONTACT_HI (1.5 * 2.5)
#define PERFUSION_LO (0.8 * 0.5)
#define PERFUSION_HI (0.8 * 2.0)

static void box_for(const struct model_params *orig, double rho, struct fit_box *b)
{
	double er = exp(rho);
	b->lo[U_LN_SERIES] = log(fmax(CONTACT_LO / (1 + er), PERFUSION_LO / (1 + 1 / er)));
	b->hi[U_LN_SERIES] = log(fmin(CONTACT_HI / (1 + er), PERFUSION_HI / (1 + 1 / er)));
	b->lo[U_LN_PLATE_J] = log(80 * 0.5), b->hi[U_LN_PLATE_J] = log(80 * 2.0);
	b->lo[U_LN_K] = log(0.55 * 0.75), b->hi[U_LN_K] = log(0.55 * 1.25);
	b->lo[U_LAG] = 1.0, b->hi[U_LAG] = 3.5;
	/* each plate sensor's offset stays within 0.2 C; their split is kept */
	double a = orig->sensor_offset_c[0], bb = orig->sensor_offset_c[1];
	b->lo[U_PLATE_OFFSET] = -0.2 - fmin(a, bb) + (a + bb) / 2;
	b->hi[U_PLATE_OFFSET] = 0.2 - fmax(a, bb) + (a + bb) / 2;
	b->lo[U_SINK_OFFSET] = -0.2, b->hi[U_SINK_OFFSET] = 0.2;
	b->lo[U_LN_SINK_G] = log(4.0 * 0.5), b->hi[U_LN_SINK_G] = log(4.0 * 1.5);
	b->lo[U_LN_SINK_J] = log(200 * 0.5), b->hi[U_LN_SINK_J] = log(200 * 1.5);
	b->lo[U_AMBIENT] = 15.0, b->hi[U_AMBIENT] = 32.0;
}

static bool box_empty(const struct fit_box *b)
{
	return b->lo[U_LN_SERIES] > b->hi[U_LN_SERIES];
}

static void u_of(const struct model_params *p, double *u)
{
	double gc = p->tissue_to_plate_w_per_k, gp = p->tissue_to_core_w_per_k;
	u[U_LN_SERIES] = log(gc * gp / (gc + gp));
	u[U_LN_PLATE_J] = log(p->plate_j_per_k);
	u[U_LN_K] = log(p->conductance_w_per_k);
	u[U_LAG] = p->sensor_lag_s;
	u[U_PLATE_OFFSET] = (p->sensor_offset_c[0] + p->sensor_offset_c[1]) / 2;
	u[U_SINK_OFFSET] = p->sensor_offset_c[2];
	u[U_LN_SINK_G] = log(p->sink_to_ambient_w_per_k);
	u[U_LN_SINK_J] = log(p->sink_j_per_k);
	u[U_AMBIENT] = p->ambient_c;
}

static void params_of(const struct model_params *orig, double rho, const double *u, struct model_params *p)
{
	*p = *orig;
	double gs = exp(u[U_LN_SERIES]);
	p->tissue_to_plate_w_per_k = gs * (1 + exp(rho));
	p->tissue_to_core_w_per_k = gs * (1 + exp(-rho));
	p->plate_j_per_k = exp(u[U_LN_PLATE_J]);
	p->conductance_w_per_k = exp(u[U_LN_K]);
	p->sensor_lag_s = u[U_LAG];
	double split = (orig->sensor_offset_c[0] - orig->sensor_offset_c[1]) / 2;
	p->sensor_offset_c[0] = u[U_PLATE_OFFSET] + split;
	p->sensor_offset_c[1] = u[U_PLATE_OFFSET] - split;
	p->sensor_offset_c[2] = u[U_SINK_OFFSET];
	p->sink_to_ambient_w_per_k = exp(u[U_LN_SINK_G]);
	p->sink_j_per_k = exp(u[U_LN_SINK_J]);
	p->ambient_c = u[U_AMBIENT];
}

/* ---- how far apart two pads' readings are ---- */

struct judge {
	const struct model_params *orig;
	double from_c;
	size_t nticks;
	struct trace ref; /* the pad itself, replayed */
	double sigma_c, sigma_a;
	size_t skin_from; /* the first sample judged for the skin */
	long evals;
};

static struct trace scratch;

/* The weighted differences, one per sample and sensor (plate A and B
 * count twice as one, both see the same difference); returns d^2. */
static double residuals(struct judge *j, double rho, const double *u, double *r, struct trace *tr)
{
	struct model_params p;
	params_of(j->orig, rho, u, &p);
	replay(&p, j->from_c, j->nticks, tr);
	j->evals++;
	double d2 = 0;
	size_t n = tr->n < j->ref.n ? tr->n : j->ref.n;
	for (size_t k = 0; k < n; k++) {
		double e[3] = {sqrt(2.0) * (tr->plate_c[k] - j->ref.plate_c[k]) / j->sigma_c,
			       (tr->sink_c[k] - j->ref.sink_c[k]) / j->sigma_c,
			       (tr->current_a[k] - j->ref.current_a[k]) / j->sigma_a};
		for (int c = 0; c < 3; c++) {
			if (r)
				r[3 * k + c] = e[c];
			d2 += e[c] * e[c];
		}
	}
	return d2;
}

/* ---- the fit: Levenberg-Marquardt within the box ---- */

static double rbuf[3 * MAX_SAMPLES], rtry[3 * MAX_SAMPLES];
static double jac[NU][3 * MAX_SAMPLES];

static void clamp_box(const struct fit_box *b, double *u)
{
	for (int i = 0; i < NU; i++)
		u[i] = u[i] < b->lo[i] ? b->lo[i] : u[i] > b->hi[i] ? b->hi[i] : u[i];
}

/* Solve A x = y for a small symmetric positive system (Cholesky). */
static bool solve(double A[NU][NU], const double *y, double *x)
{
	double L[NU][NU] = {{0}};
	for (int i = 0; i < NU; i++)
		for (int k = 0; k <= i; k++) {
			double s = A[i][k];
			for (int m = 0; m < k; m++)
				s -= L[i][m] * L[k][m];
			if (i == k) {
				if (s <= 0)
					return false;
				L[i][i] = sqrt(s);
			} else {
				L[i][k] = s / L[k][k];
			}
		}
	double z[NU];
	for (int i = 0; i < NU; i++) {
		double s = y[i];
		for (int m = 0; m < i; m++)
			s -= L[i][m] * z[m];
		z[i] = s / L[i][i];
	}
	for (int i = NU - 1; i >= 0; i--) {
		double s = z[i];
		for (int m = i + 1; m < NU; m++)
			s -= L[m][i] * x[m];
		x[i] = s / L[i][i];
	}
	return true;
}

/* The figures at this ratio whose readings come nearest the pad's,
 * starting from u; returns d^2. */
static double fit(struct judge *j, double rho, double *u, int max_iter, double d2_max)
{
	struct fit_box b;
	box_for(j->orig, rho, &b);
	clamp_box(&b, u);
	size_t m = 3 * j->ref.n;
	double f = residuals(j, rho, u, rbuf, &scratch);
	double lambda = 1e-3;
	for (int it = 0; it < max_iter && f > 0.05 * d2_max; it++) {
		for (int i = 0; i < NU; i++) {
			double h = 1e-4 * (b.hi[i] - b.lo[i]);
			if (h <= 0)
				h = 1e-6;
			double ui[NU];
			memcpy(ui, u, sizeof ui);
			if (ui[i] + h > b.hi[i])
				h = -h; /* step inside the box */
			ui[i] += h;
			residuals(j, rho, ui, jac[i], &scratch);
			for (size_t k = 0; k < m; k++)
				jac[i][k] = (jac[i][k] - rbuf[k]) / h;
		}
		double A[NU][NU], g[NU];
		for (int a = 0; a < NU; a++) {
			for (int c = 0; c <= a; c++) {
				double s = 0;
				for (size_t k = 0; k < m; k++)
					s += jac[a][k] * jac[c][k];
				A[a][c] = A[c][a] = s;
			}
			double s = 0;
			for (size_t k = 0; k < m; k++)
				s += jac[a][k] * rbuf[k];
			g[a] = -s;
		}
		bool better = false;
		for (int tries = 0; tries < 8 && !better; tries++) {
			double D[NU][NU], x[NU], un[NU];
			memcpy(D, A, sizeof D);
			for (int a = 0; a < NU; a++)
				D[a][a] += lambda * A[a][a] + 1e-12;
			if (!solve(D, g, x)) {
				lambda *= 10;
				continue;
			}
			for (int a = 0; a < NU; a++)
				un[a] = u[a] + x[a];
			clamp_box(&b, un);
			double fn = residuals(j, rho, un, rtry, &scratch);
			if (fn < f) {
				better = fn < f * (1 - 1e-4);
				memcpy(u, un, sizeof un);
				memcpy(rbuf, rtry, m * sizeof *rbuf);
				f = fn;
				lambda = fmax(lambda / 5, 1e-7);
				if (!better)
					break;
			} else {
				lambda *= 8;
			}
		}
		if (!better)
			break;
	}
	return f;
}

/* ---- the search ---- */

struct twin {
	double half_c; /* half the largest tissue difference from SKIN_AFTER_S on */
	double at_s;   /* when */
	/* none found: the nearest twin tried, told apart (its ratio and d,
	 * and half its tissue difference) */
	double nearest_ratio, nearest_d, nearest_half_c;
	double d;         /* how far apart their readings are, in sigma, in all */
	double rms;       /* ... and per sample and sensor */
	double max_sigma; /* the largest single difference, in its sensor's sigma */
	struct model_params p;
	long evals;
};

static double tissue_apart(const struct judge *j, const struct trace *tr, double *at_s)
{
	double worst = 0;
	*at_s = NAN;
	for (size_t k = j->skin_from; k < tr->n && k < j->ref.n; k++) {
		double dd = fabs(tr->tissue_c[k] - j->ref.tissue_c[k]);
		if (dd > worst) {
			worst = dd;
			*at_s = (double)(k + 1) * SWEEP_DT_S;
		}
	}
	return worst;
}

static double max_sigma_of(const struct judge *j, const struct trace *tr)
{
	double w = 0;
	for (size_t k = 0; k < tr->n && k < j->ref.n; k++) {
		w = fmax(w, fabs(tr->plate_c[k] - j->ref.plate_c[k]) / j->sigma_c);
		w = fmax(w, fabs(tr->sink_c[k] - j->ref.sink_c[k]) / j->sigma_c);
		w = fmax(w, fabs(tr->current_a[k] - j->ref.current_a[k]) / j->sigma_a);
	}
	return w;
}

/* When two pads count as the same: at most d2_max in all (the sum of
 * squares), and no single difference beyond max_sigma. */
struct criterion {
	const char *name;
	bool per_sample; /* d2_max is per sample and sensor: the RMS */
	double d2_max, max_sigma;
	bool sensed; /* the current's noise: a real sense's (sense_sigma_a), else only its resolution */
};

enum { CRIT_LIMIT, CRIT_LIMIT_SENSED, CRIT_SAMPLE, NCRIT };
static const struct criterion crits[NCRIT] = {
	[CRIT_LIMIT] = {"the limit", false, D_MAX *D_MAX, INFINITY, false},
	[CRIT_LIMIT_SENSED] = {"the limit with a real current sense", false, D_MAX *D_MAX, INFINITY, true},
	[CRIT_SAMPLE] = {"sample by sample", true, 1.0, 3.0, false},
};

static double current_sigma(const struct criterion *crit)
{
	double s = crit->sensed ? sense_sigma_a : 0;
	return sqrt(s * s + RES_CURRENT_A * RES_CURRENT_A / 12);
}

static void search(const struct sweep_pad *pd, const struct scenario *sc, size_t nticks, bool verbose,
		   const struct criterion *crit, struct twin *best)
{
	static struct judge j;
	j.orig = &pd->p;
	j.from_c = sc->from_c;
	j.nticks = nticks;
	j.evals = 0;
	replay(&pd->p, sc->from_c, nticks, &j.ref);
	/* the replay is the run: the pad's own figures and the recorded drive
	 * give back its tissue exactly, else the drive recorded is not the
	 * one that drove it */
	for (size_t k = 0; k < j.ref.n; k++)
		if (fabs(j.ref.tissue_c[k] - rec_tissue_c[k]) > 1e-9) {
			fprintf(stderr,
				"skin_limit: %s, %s: the replay's tissue is %.6f C at %.1f s, the run's %.6f C\n",
				pd->name, sc->name, j.ref.tissue_c[k], (double)(k + 1) * SWEEP_DT_S, rec_tissue_c[k]);
			exit(1);
		}
	j.sigma_c = sqrt(pd->p.sensor_noise_c * pd->p.sensor_noise_c + RES_TEMP_C * RES_TEMP_C / 12);
	j.sigma_a = current_sigma(crit);
	j.skin_from = (size_t)lround(SKIN_AFTER_S / SWEEP_DT_S);
	memset(best, 0, sizeof *best);
	best->p = pd->p;
	double rho0 = log(pd->p.tissue_to_plate_w_per_k / pd->p.tissue_to_core_w_per_k);
	double u0[NU];
	u_of(&pd->p, u0);
	double d2_max = crit->per_sample ? crit->d2_max * 3 * (double)j.ref.n : crit->d2_max;
	for (int dir = -1; dir <= 1; dir += 2) {
		double rho = rho0, step = 0.25, u[NU];
		memcpy(u, u0, sizeof u);
		while (step >= 0.01) {
			double rt = rho + dir * step, ut[NU];
			struct fit_box b;
			box_for(&pd->p, rt, &b);
			if (box_empty(&b)) {
				step /= 2;
				continue;
			}
			memcpy(ut, u, sizeof ut);
			double d2 = fit(&j, rt, ut, fit_iter, d2_max);
			bool told_apart = d2 > d2_max;
			if (!told_apart && isfinite(crit->max_sigma)) {
				residuals(&j, rt, ut, NULL, &scratch);
				told_apart = max_sigma_of(&j, &scratch) > crit->max_sigma;
			}
			if (verbose) {
				/* where the difference is: per sensor, the first minute and the rest */
				double part[3][2] = {{0}};
				for (size_t k = 0; k < 3 * j.ref.n; k++)
					part[k % 3][k / 3 >= 600] += rbuf[k] * rbuf[k];
				printf("  plate %.2f+%.2f sink %.2f+%.2f current %.2f+%.2f\n", part[0][0], part[0][1],
				       part[1][0], part[1][1], part[2][0], part[2][1]);
			}
			if (verbose)
				printf("  ratio %.3f (G_c %.3f, G_p %.3f): d %.3f%s\n", exp(rt),
				       exp(ut[U_LN_SERIES]) * (1 + exp(rt)), exp(ut[U_LN_SERIES]) * (1 + exp(-rt)),
				       sqrt(d2), told_apart ? " (told apart)" : "");
			if (told_apart) {
				double ratio_apart = fabs(rt - rho0);
				if (best->nearest_d == 0 || ratio_apart < best->nearest_ratio) {
					residuals(&j, rt, ut, NULL, &scratch);
					double at;
					best->nearest_ratio = ratio_apart;
					best->nearest_d = sqrt(d2);
					best->nearest_half_c = tissue_apart(&j, &scratch, &at) / 2;
				}
				step /= 2;
				continue;
			}
			rho = rt;
			memcpy(u, ut, sizeof u);
			residuals(&j, rho, u, NULL, &scratch);
			double at, apart = tissue_apart(&j, &scratch, &at);
			if (apart / 2 > best->half_c) {
				best->half_c = apart / 2;
				best->at_s = at;
				best->d = sqrt(d2);
				best->rms = sqrt(d2 / (3.0 * (double)j.ref.n));
				best->max_sigma = max_sigma_of(&j, &scratch);
				params_of(&pd->p, rho, u, &best->p);
			}
		}
	}
	best->evals = j.evals;
}

/* ---- the report ---- */

static void describe(const struct model_params *p, char *out, size_t len)
{
	snprintf(out, len,
		 "G_c %.2f, G_p %.2f W/K, plate %.0f J/K, K %.3f W/K, lag %.2f s, offsets %+.2f/%+.2f/%+.2f C, "
		 "sink %.2f W/K %.0f J/K, ambient %.1f C",
		 p->tissue_to_plate_w_per_k, p->tissue_to_core_w_per_k, p->plate_j_per_k, p->conductance_w_per_k,
		 p->sensor_lag_s, p->sensor_offset_c[0], p->sensor_offset_c[1], p->sensor_offset_c[2],
		 p->sink_to_ambient_w_per_k, p->sink_j_per_k, p->ambient_c);
}

static int by_desc(const void *a, const void *b, const double *key)
{
	double x = key[*(const int *)a], y = key[*(const int *)b];
	return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

static const double *sort_key;
static int cmp_key(const void *a, const void *b)
{
	return by_desc(a, b, sort_key);
}

int main(int argc, char **argv)
{
	static struct sweep_pad pads[SWEEP_PADS_MAX];
	const char *paths[SWEEP_PADS_MAX];
	int npaths = 0;
	int npads = 0, nsweep = 50, only = -1, nsearch = 2, only_sc = -1;
	uint64_t seed = 15;
	const char *profile_path = "profiles/contrast.ini";
	char err[256];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--sweep") && i + 1 < argc)
			nsweep = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--search") && i + 1 < argc)
			nsearch = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pad") && i + 1 < argc)
			only = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
			only_sc = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--current-sigma-ma") && i + 1 < argc)
			sense_sigma_a = atof(argv[++i]) / 1000.0;
		else if (!strcmp(argv[i], "--fit-iter") && i + 1 < argc)
			fit_iter = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--profile") && i + 1 < argc)
			profile_path = argv[++i];
		else if (npaths < SWEEP_PADS_MAX)
			paths[npaths++] = argv[i];
	}
	int nshipped = npaths;
	npads = sweep_pads(paths, npaths, nsweep, seed, pads, err, sizeof err);
	if (npads < 0 || sweep_profile(profile_path, "contrast", &contrast, err, sizeof err) != 0) {
		fprintf(stderr, "skin_limit: %s\n", err);
		return 2;
	}

	printf("Pads: %d shipped and %d drawn with seed %llu, the control bench's (skin_limit --seed %llu --sweep %d "
	       "--search %d). Our estimate: the model controller's estimator, worst |estimate - model tissue| from "
	       "%.0f s on, over every pad; its bounds' width (mean over the run, and the widest) and the share of "
	       "samples outside them. The limit: on the pads searched (the %d where our estimate is worst and the %d "
	       "noisiest, per scenario), the drive the controller applied, replayed on the pure model, and a twin pad "
	       "within the sweep's ranges whose readings (plate A and B, sink, current, through the sensors' lag) "
	       "differ from the pad's by at most d = %.0f sigma in all (d^2: the sum over every sample of the squared "
	       "differences over sigma^2, sigma the pad's sensor noise with the 0.01 C resolution, and %.2f mA for the "
	       "current, its 1 mA resolution: the simulated pad's current sense has no noise): even a test that knows "
	       "both pads exactly errs %.0f %% of the time, so any estimator misses by half their tissue difference "
	       "on one of the two that often. With a real current sense: the same, the current's sigma %.1f mA (the "
	       "current, through the module's Seebeck voltage, is a fine thermometer of the plate less the sink; a "
	       "real sense is noisier than its resolution). Sample by sample: the same search, the twin's readings "
	       "within 1 sigma RMS and 3 sigma at most of the pad's; what no single reading shows, not a bound for a "
	       "filter that weighs the whole record. None found: no twin passes on the pads searched, the nearest "
	       "tried (1.6 %% away in the contact/blood-flow ratio) is told apart, with half its tissue difference "
	       "given.\n\n",
	       nshipped, npads - nshipped, (unsigned long long)seed, (unsigned long long)seed, nsweep, nsearch,
	       SKIN_AFTER_S, nsearch, nsearch, D_MAX, 1000 * current_sigma(&crits[CRIT_LIMIT]),
	       100 * 0.5 * erfc(D_MAX / 2 / sqrt(2.0)), 1000 * current_sigma(&crits[CRIT_LIMIT_SENSED]));

	static struct ours ours[SWEEP_PADS_MAX];
	static double key[SWEEP_PADS_MAX];
	static int order[SWEEP_PADS_MAX];
	static bool searched[SWEEP_PADS_MAX];
	static struct twin twins[NCRIT][SWEEP_PADS_MAX];
	printf("| scenario | our worst error C | bounds width C, mean / widest | outside bounds %% | limit, d <= %.0f: "
	       "half the largest difference C | the same with a real current sense C | sample by sample within the "
	       "noise C | pads searched: limit / with a real sense / sample by sample / ours C |\n"
	       "| --- | --- | --- | --- | --- | --- | --- | --- |\n",
	       D_MAX);
	static char details[NSCEN][NCRIT][2048];
	for (size_t s = 0; s < NSCEN; s++) {
		if (only_sc >= 0 && (int)s != only_sc)
			continue;
		const struct scenario *sc = &scenarios[s];
		struct ours worst = {0};
		int worst_pad = -1;
		double wmean = 0;
		int nrun = 0;
		for (int k = 0; k < npads; k++) {
			searched[k] = false;
			if (only >= 0 && k != only)
				continue;
			run_closed(&pads[k], sc, seed * 1000 + (uint64_t)k, &ours[k]);
			if (worst_pad < 0 || ours[k].err_c > worst.err_c) {
				worst.err_c = ours[k].err_c;
				worst_pad = k;
			}
			worst.width_max_c = fmax(worst.width_max_c, ours[k].width_max_c);
			worst.outside = fmax(worst.outside, ours[k].outside);
			wmean += ours[k].width_mean_c;
			nrun++;
		}
		/* which pads to search: the worst for our estimate, the noisiest */
		int nord = 0;
		for (int k = 0; k < npads; k++)
			if (only < 0 || k == only)
				order[nord++] = k;
		for (int pass = 0; pass < 2; pass++) {
			for (int k = 0; k < npads; k++)
				key[k] = pass == 0 ? ours[k].err_c : pads[k].p.sensor_noise_c;
			sort_key = key;
			qsort(order, (size_t)nord, sizeof *order, cmp_key);
			for (int i = 0; i < nord && i < nsearch; i++)
				searched[order[i]] = true;
		}
		int best[NCRIT] = {-1, -1, -1};
		char list[1024] = "";
		for (int k = 0; k < npads; k++) {
			if (!searched[k])
				continue;
			run_closed(&pads[k], sc, seed * 1000 + (uint64_t)k, &ours[k]); /* the drive, recorded again */
			for (int c = 0; c < NCRIT; c++) {
				if (only >= 0)
					printf("%s, %s, %s:\n", pads[k].name, sc->name, crits[c].name);
				search(&pads[k], sc, ours[k].nticks, only >= 0, &crits[c], &twins[c][k]);
				if (best[c] < 0 || twins[c][k].half_c > twins[c][best[c]].half_c)
					best[c] = k;
			}
			size_t used = strlen(list);
			snprintf(list + used, sizeof list - used, "%s%s %.2f / %.2f / %.2f / %.2f", used ? "; " : "",
				 pads[k].name, twins[CRIT_LIMIT][k].half_c, twins[CRIT_LIMIT_SENSED][k].half_c,
				 twins[CRIT_SAMPLE][k].half_c, ours[k].err_c);
		}
		char cell[NCRIT][96];
		for (int c = 0; c < NCRIT; c++)
			if (best[c] >= 0 && twins[c][best[c]].half_c > 0)
				snprintf(cell[c], sizeof cell[c], "%.2f (%s)", twins[c][best[c]].half_c,
					 pads[best[c]].name);
			else if (best[c] >= 0) {
				double nh = 0, nr = -1;
				for (int k = 0; k < npads; k++)
					if (searched[k] && (nr < 0 || twins[c][k].nearest_ratio < nr)) {
						nr = twins[c][k].nearest_ratio;
						nh = twins[c][k].nearest_half_c;
					}
				snprintf(cell[c], sizeof cell[c], "none found; told apart at %.3f", nh);
			} else
				snprintf(cell[c], sizeof cell[c], "-");
		printf("| %s | %.2f (%s) | %.2f / %.2f | %.2f | %s | %s | %s | %s |\n", sc->name, worst.err_c,
		       pads[worst_pad].name, wmean / nrun, worst.width_max_c, 100 * worst.outside, cell[0], cell[1],
		       cell[2], list);
		for (int c = 0; c < NCRIT; c++) {
			if (best[c] < 0)
				continue;
			const struct twin *tw = &twins[c][best[c]];
			if (tw->half_c == 0) {
				double nr = 0, nd = 0, nh = 0;
				for (int k = 0; k < npads; k++)
					if (searched[k] && (nd == 0 || twins[c][k].nearest_ratio < nr)) {
						nr = twins[c][k].nearest_ratio;
						nd = twins[c][k].nearest_d;
						nh = twins[c][k].nearest_half_c;
					}
				snprintf(
					details[s][c], sizeof details[s][c],
					"- %s, %s: on no pad searched does a twin pass whose contact/blood-flow ratio is %.1f %% or "
					"more away from the pad's; the nearest tried is %.2f sigma apart, half its tissue difference "
					"%.3f C.\n",
					sc->name, crits[c].name, 100 * (exp(nr) - 1), nd, nh);
				continue;
			}
			char a[512], b[512];
			describe(&pads[best[c]].p, a, sizeof a);
			describe(&tw->p, b, sizeof b);
			snprintf(
				details[s][c], sizeof details[s][c],
				"- %s, %s: %s (noise %.3f C) and its twin differ in tissue by %.2f C at %.0f s, their readings "
				"%.2f sigma apart in all, %.3f sigma RMS, %.2f sigma at most.\n  - the pad: %s\n  - the twin: %s\n",
				sc->name, crits[c].name, pads[best[c]].name, pads[best[c]].p.sensor_noise_c,
				2 * tw->half_c, tw->at_s, tw->d, tw->rms, tw->max_sigma, a, b);
		}
	}
	printf("\nThe twins:\n\n");
	for (size_t s = 0; s < NSCEN; s++)
		for (int c = 0; c < NCRIT; c++)
			fputs(details[s][c], stdout);
	return 0;
}
