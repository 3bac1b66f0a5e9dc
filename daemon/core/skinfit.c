/* SPDX-License-Identifier: MIT */
/*
 * The fit is Gauss-Newton with Marquardt's damping on the residuals of
 * the record (each bin's mean reading against the model's, over its
 * spread) and the prior's; its Jacobian is taken by differences, one
 * replay per column, for the reason the filter gives (estimator.c).
 */
#include "skinfit.h"

#include <math.h>
#include <string.h>

#define MODEL_FLOOR_C 0.01 /* what a bin's mean cannot say better than: the converter, the model's own error */
#define ITERATIONS 10 /* accepted steps per fit at most ... */
#define CONVERGED 1e-4 /* ... until a step gains less than this share of the cost */
#define TRIES 8            /* damped steps tried before a fit ends where it is */
#define GROUP_SAMPLES 5 /* samples replayed as one step of the model (0.5 s) */
#define REPLAY_SAMPLES_PER_CALL 2000 /* a replay's share of one sample's work (400 steps of the model): a full record takes two */
#define HUBER 3.0 /* a bin further off than this many of its spreads counts linearly, not squared */
#define LN_RANGE 1.4      /* figures within e^1.4 (4x) of the prior's either way, as the filter's */
#define OFFSET_RANGE_C 0.5 /* a sensor further off than this is a fault, not an offset */
#define START_RANGE_C 10.0 /* the start's temperatures within this of the filter's */

/* Spread of the prior, as logarithms of the reference pad's figures (the
 * range a pad anyone may buy lies in), and how fast a figure may wander
 * per square root of a second: a strap is loosened, a heat capacity
 * hardly changes. */
static const struct {
	double sd0, walk;
} figure_noise[SKINFIT_FIGURES] = {
	[SKINFIT_LN_PLATE_J] = {0.45, 0.0005},   [SKINFIT_LN_LAG] = {0.5, 0.0005}, [SKINFIT_LN_CONTACT] = {0.6, 0.004},
	[SKINFIT_LN_PERFUSION] = {0.45, 0.002}, [SKINFIT_LN_SINK_J] = {0.45, 0.0005}, [SKINFIT_LN_SINK_G] = {0.45, 0.001},
	[SKINFIT_LN_CONDUCTANCE] = {0.15, 0.0005}, [SKINFIT_PLATE_OFFSET] = {0.12, 0}, [SKINFIT_SINK_OFFSET] = {0.12, 0},
};

#define START_PLATE_SD_C 0.3
#define START_SINK_SD_C 0.3
#define START_TISSUE_SD_C 1.0 /* a start in balance: how far from it the tissue may be */
#define START_AMBIENT_SD_C 3.0
#define SLID_PLATE_SD_C 0.1 /* a slid start: the fit's own temperatures there */
#define SLID_SINK_SD_C 0.1
#define SLID_TISSUE_MIN_SD_C 0.1
#define RESTART_TISSUE_SD_C 0.5 /* the tissue after a gap of a few seconds */
#define STEP_SD 0.5       /* a contact change, as a logarithm: a strap loosened to 0.4 is -0.9 */
#define STEP_OFF_INFO 1e6 /* no change looked for: the step held at zero */
#define STEP_TAKEN 0.3    /* a change this large (35 %) is taken: the record starts again there */
#define CHANGE_MIN 9.0    /* the new bins' mean square, in their spreads, that may be a change ... */
#define CHANGE_FACTOR 10.0 /* ... when it is this many times the older bins' */
#define SLID_AMBIENT_MIN_SD_C 0.2

static const double column_step[SKINFIT_N] = {
	[SKINFIT_LN_PLATE_J] = 1e-4, [SKINFIT_LN_LAG] = 1e-4,  [SKINFIT_LN_CONTACT] = 1e-4,
	[SKINFIT_LN_PERFUSION] = 1e-4, [SKINFIT_LN_SINK_J] = 1e-4, [SKINFIT_LN_SINK_G] = 1e-4,
	[SKINFIT_LN_CONDUCTANCE] = 1e-4, [SKINFIT_PLATE_OFFSET] = 1e-4, [SKINFIT_SINK_OFFSET] = 1e-4, [SKINFIT_PLATE0] = 1e-4, [SKINFIT_TISSUE0] = 1e-4,
	[SKINFIT_SINK0] = 1e-4,      [SKINFIT_AMBIENT] = 1e-4, [SKINFIT_LN_CONTACT_STEP] = 1e-4,
};

static void params_of(const struct skinfit *f, const double *x, struct thermal_params *p)
{
	const struct thermal_params *q = &f->prior;
	*p = f->base;
	p->plate_j_per_k = q->plate_j_per_k * exp(x[SKINFIT_LN_PLATE_J]);
	p->sensor_lag_s = q->sensor_lag_s * exp(x[SKINFIT_LN_LAG]);
	p->tissue_to_plate_w_per_k = q->tissue_to_plate_w_per_k * exp(x[SKINFIT_LN_CONTACT]);
	p->tissue_to_core_w_per_k = q->tissue_to_core_w_per_k * exp(x[SKINFIT_LN_PERFUSION]);
	p->sink_j_per_k = q->sink_j_per_k * exp(x[SKINFIT_LN_SINK_J]);
	p->sink_to_ambient_w_per_k = q->sink_to_ambient_w_per_k * exp(x[SKINFIT_LN_SINK_G]);
	p->conductance_w_per_k = q->conductance_w_per_k * exp(x[SKINFIT_LN_CONDUCTANCE]);
	p->tissue_j_per_k = q->tissue_j_per_k;
	p->plate_to_ambient_w_per_k = q->plate_to_ambient_w_per_k;
	p->core_c = q->core_c;
}

static void start_of(const struct skinfit *f, const double *x, const struct thermal_params *p, struct thermal_state *s)
{
	*s = f->start;
	s->plate_c += x[SKINFIT_PLATE0];
	s->lag_plate_c += x[SKINFIT_PLATE0];
	s->sink_c += x[SKINFIT_SINK0];
	s->lag_sink_c += x[SKINFIT_SINK0];
	s->ambient_c = x[SKINFIT_AMBIENT];
	if (f->start_balanced) {
		s->tissue_c = thermal_tissue_balance(p, s->plate_c) + x[SKINFIT_TISSUE0];
		return;
	}
	double t = f->start.tissue_c + x[SKINFIT_TISSUE0];
	for (int j = 0; j < SKINFIT_FIGURES; j++)
		t += f->tissue_slope[j] * (x[j] - f->anchor[j]);
	s->tissue_c = t;
}

/* A residual as Huber's loss counts it, so that a stretch the model does
 * not explain (the firmware chopping the drive at its cold limit, where
 * the sampled current is not what flowed) pulls the fit, but does not
 * rule it. */
static double robust(double r)
{
	double a = fabs(r);
	return a <= HUBER ? r : copysign(sqrt(2 * HUBER * a - HUBER * HUBER), r);
}

static double prior_cost(const struct skinfit *f, const double *x)
{
	double c = 0;
	for (int i = 0; i < SKINFIT_N; i++)
		for (int j = 0; j < SKINFIT_N; j++)
			c += (x[i] - f->prior_x[i]) * f->prior_info[i][j] * (x[j] - f->prior_x[j]);
	return c;
}

static void replay_begin(struct skinfit *f, const double *x, double *r, bool to_end)
{
	struct skinfit_replay *j = &f->job;
	memcpy(j->x, x, sizeof j->x);
	j->r = r;
	j->to_end = to_end;
	params_of(f, j->x, &j->p);
	start_of(f, j->x, &j->p, &j->s);
	j->at_slide = j->at_step = j->s;
	j->k = j->b = j->m = 0;
	j->sum_plate = j->sum_sink = j->cost = 0;
	j->step_s = -1;
	j->running = true;
}

/* The next few samples of the record (up to GROUP_SAMPLES, never past
 * sample `until`) as one step under their mean current; the states to be
 * kept along the way taken. Returns how many, and in *plate_c, *sink_c
 * the sensors' mean over them: the step's start and end weighed as the
 * samples lie between. */
static int replay_group(const struct skinfit *f, struct skinfit_replay *j, int until, double *plate_c, double *sink_c)
{
	if (j->k == f->slide_sample)
		j->at_slide = j->s;
	if (j->k == f->step_sample) {
		j->at_step = j->s;
		j->p.tissue_to_plate_w_per_k *= exp(j->x[SKINFIT_LN_CONTACT_STEP]);
	}
	int n = until - j->k < GROUP_SAMPLES ? until - j->k : GROUP_SAMPLES;
	for (int m = 1; m < n; m++)
		if (j->k + m == f->slide_sample || j->k + m == f->step_sample) {
			n = m;
			break;
		}
	double h = 0, charge = 0, charge_sq = 0;
	for (int m = 0; m < n; m++) {
		double dt = f->sample_dt_s[j->k + m], i = f->current_a[j->k + m];
		h += dt;
		charge += i * dt;
		charge_sq += i * i * dt;
	}
	if (!(h > 0)) {
		*plate_c = j->s.lag_plate_c;
		*sink_c = j->s.lag_sink_c;
		j->k += n;
		return n;
	}
	if (h != j->step_s) {
		j->step_s = h;
		j->lag_decay = exp(-h / j->p.sensor_lag_s);
	}
	double plate0 = j->s.lag_plate_c, sink0 = j->s.lag_sink_c;
	thermal_step_mean(&j->p, &j->s, charge / h, charge_sq / h, h, j->lag_decay);
	double w = (n + 1) / (2.0 * n); /* samples at the ends of n equal parts of the step */
	*plate_c = plate0 + w * (j->s.lag_plate_c - plate0);
	*sink_c = sink0 + w * (j->s.lag_sink_c - sink0);
	j->k += n;
	return n;
}

/* The record replayed under the job's x, about budget samples of it in
 * this call: the residuals of the fit's bins, the states where the record
 * may be cut and where the contact may have changed, and (to_end) the
 * state after every sample kept. True when it is done, its cost (the
 * prior's included) in j->cost. */
static bool replay_advance(struct skinfit *f, int budget)
{
	struct skinfit_replay *j = &f->job;
	while (budget > 0) {
		double plate, sink;
		if (j->b < f->fit_bins) {
			int b = j->b, n = f->bin_n[b];
			int done = replay_group(f, j, f->bin_first[b] + n, &plate, &sink);
			budget -= done;
			j->sum_plate += plate * done;
			j->sum_sink += sink * done;
			j->m += done;
			if (j->m < n)
				continue;
			plate = j->sum_plate / n + j->x[SKINFIT_PLATE_OFFSET];
			sink = j->sum_sink / n + j->x[SKINFIT_SINK_OFFSET];
			double rp = isnan(f->bin_plate_c[b]) ? 0 : robust((plate - f->bin_plate_c[b]) / f->bin_sd_c[b]);
			double rs = isnan(f->bin_sink_c[b]) ? 0 : robust((sink - f->bin_sink_c[b]) / f->bin_sink_sd_c[b]);
			j->r[2 * b] = rp;
			j->r[2 * b + 1] = rs;
			j->cost += rp * rp + rs * rs;
			j->b++;
			j->m = 0;
			j->sum_plate = j->sum_sink = 0;
		} else if (j->to_end && j->k < f->nsamples) {
			budget -= replay_group(f, j, f->nsamples, &plate, &sink);
		} else {
			j->cost += prior_cost(f, j->x);
			if (!isfinite(j->cost))
				j->cost = INFINITY;
			j->running = false;
			return true;
		}
	}
	return false;
}

/* The replay under x, begun if none is under way, carried on for this
 * sample's share of the work; true when it is done. */
static bool replay_run(struct skinfit *f, const double *x, double *r, bool to_end)
{
	if (!f->job.running)
		replay_begin(f, x, r, to_end);
	return replay_advance(f, REPLAY_SAMPLES_PER_CALL);
}

/* A's Cholesky factor, in place (its lower triangle); false if A is not
 * positive definite. */
static bool cholesky(int n, double A[SKINFIT_N][SKINFIT_N])
{
	for (int j = 0; j < n; j++) {
		double d = A[j][j];
		for (int k = 0; k < j; k++)
			d -= A[j][k] * A[j][k];
		if (!(d > 0))
			return false;
		A[j][j] = sqrt(d);
		for (int i = j + 1; i < n; i++) {
			double v = A[i][j];
			for (int k = 0; k < j; k++)
				v -= A[i][k] * A[j][k];
			A[i][j] = v / A[j][j];
		}
	}
	return true;
}

/* b = (L L')^-1 b for a factor L. */
static void cholesky_solve(int n, const double L[SKINFIT_N][SKINFIT_N], double *b)
{
	for (int i = 0; i < n; i++) {
		double v = b[i];
		for (int k = 0; k < i; k++)
			v -= L[i][k] * b[k];
		b[i] = v / L[i][i];
	}
	for (int i = n - 1; i >= 0; i--) {
		double v = b[i];
		for (int k = i + 1; k < n; k++)
			v -= L[k][i] * b[k];
		b[i] = v / L[i][i];
	}
}

/* out = A^-1 over A's first n rows and columns. */
static bool invert_spd(int n, const double A[SKINFIT_N][SKINFIT_N], double out[SKINFIT_N][SKINFIT_N])
{
	double L[SKINFIT_N][SKINFIT_N];
	memcpy(L, A, sizeof L);
	if (!cholesky(n, L))
		return false;
	for (int c = 0; c < n; c++) {
		double e[SKINFIT_N] = {0};
		e[c] = 1;
		cholesky_solve(n, L, e);
		for (int i = 0; i < n; i++)
			out[i][c] = e[i];
	}
	return true;
}

/* The curvature of the cost at the linearisation point (J'J and the prior's). */
static void curvature(const struct skinfit *f, double H[SKINFIT_N][SKINFIT_N])
{
	int m = 2 * f->fit_bins;
	for (int i = 0; i < SKINFIT_N; i++)
		for (int j = 0; j <= i; j++) {
			double s = 0;
			for (int k = 0; k < m; k++)
				s += f->jac[i][k] * f->jac[j][k];
			H[i][j] = H[j][i] = s + f->prior_info[i][j];
		}
}

/* The damped step from x: trial = x + d, (H + lambda diag H) d = -g. */
static bool propose(struct skinfit *f)
{
	double H[SKINFIT_N][SKINFIT_N], g[SKINFIT_N];
	curvature(f, H);
	int m = 2 * f->fit_bins;
	for (int i = 0; i < SKINFIT_N; i++) {
		double s = 0;
		for (int k = 0; k < m; k++)
			s += f->jac[i][k] * f->r0[k];
		for (int j = 0; j < SKINFIT_N; j++)
			s += f->prior_info[i][j] * (f->x[j] - f->prior_x[j]);
		g[i] = -s;
	}
	for (int i = 0; i < SKINFIT_N; i++)
		H[i][i] *= 1.0 + f->lambda;
	if (!cholesky(SKINFIT_N, H))
		return false;
	cholesky_solve(SKINFIT_N, H, g);
	for (int i = 0; i < SKINFIT_N; i++)
		f->trial[i] = f->x[i] + g[i];
	for (int i = 0; i < SKINFIT_FIGURES; i++) {
		double range = i == SKINFIT_PLATE_OFFSET || i == SKINFIT_SINK_OFFSET ? OFFSET_RANGE_C : LN_RANGE;
		f->trial[i] = fmax(-range, fmin(range, f->trial[i]));
	}
	for (int i = SKINFIT_FIGURES; i < SKINFIT_N; i++) {
		double mid = i == SKINFIT_AMBIENT ? f->start.ambient_c : 0;
		f->trial[i] = fmax(mid - START_RANGE_C, fmin(mid + START_RANGE_C, f->trial[i]));
	}
	return true;
}

static void prior_at_start(struct skinfit *f, double tissue_sd_c, double ambient_c)
{
	memset(f->prior_x, 0, sizeof f->prior_x);
	memset(f->prior_info, 0, sizeof f->prior_info);
	for (int j = 0; j < SKINFIT_FIGURES; j++)
		f->prior_info[j][j] = 1.0 / (figure_noise[j].sd0 * figure_noise[j].sd0);
	f->prior_x[SKINFIT_AMBIENT] = ambient_c;
	f->prior_info[SKINFIT_PLATE0][SKINFIT_PLATE0] = 1.0 / (START_PLATE_SD_C * START_PLATE_SD_C);
	f->prior_info[SKINFIT_SINK0][SKINFIT_SINK0] = 1.0 / (START_SINK_SD_C * START_SINK_SD_C);
	f->prior_info[SKINFIT_TISSUE0][SKINFIT_TISSUE0] = 1.0 / (tissue_sd_c * tissue_sd_c);
	f->prior_info[SKINFIT_AMBIENT][SKINFIT_AMBIENT] = 1.0 / (START_AMBIENT_SD_C * START_AMBIENT_SD_C);
	f->prior_info[SKINFIT_LN_CONTACT_STEP][SKINFIT_LN_CONTACT_STEP] = STEP_OFF_INFO;
}

/* A change of the contact looked for at bin b, or (b < 0) no more. */
static void step_at(struct skinfit *f, int b)
{
	f->step_bin = b;
	f->step_sample = b >= 0 ? f->bin_first[b] : -1;
	f->x[SKINFIT_LN_CONTACT_STEP] = f->prior_x[SKINFIT_LN_CONTACT_STEP] = 0;
	f->prior_info[SKINFIT_LN_CONTACT_STEP][SKINFIT_LN_CONTACT_STEP] = b >= 0 ? 1.0 / (STEP_SD * STEP_SD) : STEP_OFF_INFO;
}

void skinfit_init(struct skinfit *f, const struct thermal_params *prior)
{
	memset(f, 0, sizeof *f);
	f->enabled = false; /* until the caller asks (estimator_fit_skin) */
	f->prior = *prior;
	f->base = *prior;
	f->start_balanced = true;
	f->slide_sample = -1;
	f->step_bin = f->step_sample = -1;
	f->tissue_c = NAN;
	prior_at_start(f, START_TISSUE_SD_C, 0);
}

void skinfit_restart(struct skinfit *f)
{
	f->nsamples = f->nbins = 0;
	f->acc_n = f->acc_nplate = f->acc_nsink = 0;
	f->acc_dt_s = f->acc_plate_c = f->acc_sink_c = f->acc_noise_c = f->acc_sink_noise_c = 0;
	f->phase = SKINFIT_WAIT;
	f->job.running = false;
	f->since_fit_bins = 0;
	f->new_from_bin = 0;
	f->step_bin = f->step_sample = -1;
	f->start_balanced = false;
}

/* The record's start: the filter's temperatures, and the prior there. */
static void take_start(struct skinfit *f, const struct skinfit_input *in)
{
	f->start = *in->state;
	double tissue_sd = f->start_balanced ? START_TISSUE_SD_C : fmax(in->tissue_sd_c, SLID_TISSUE_MIN_SD_C);
	if (!f->start_balanced && f->valid && isfinite(f->tissue_c)) {
		/* after a gap the filter restarts its tissue in balance with
		 * the plate; the fit's, carried to the gap, is nearer */
		f->start.tissue_c = f->tissue_c;
		tissue_sd = RESTART_TISSUE_SD_C;
	}
	double fig[SKINFIT_FIGURES], info[SKINFIT_FIGURES][SKINFIT_FIGURES];
	for (int i = 0; i < SKINFIT_FIGURES; i++) {
		fig[i] = f->prior_x[i];
		for (int j = 0; j < SKINFIT_FIGURES; j++)
			info[i][j] = f->prior_info[i][j];
	}
	prior_at_start(f, tissue_sd, in->state->ambient_c);
	/* what earlier records taught of the figures stays */
	for (int i = 0; i < SKINFIT_FIGURES; i++) {
		f->prior_x[i] = f->valid ? f->fitted[i] : fig[i];
		for (int j = 0; j < SKINFIT_FIGURES; j++)
			f->prior_info[i][j] = info[i][j];
	}
	memset(f->tissue_slope, 0, sizeof f->tissue_slope);
	memcpy(f->x, f->prior_x, sizeof f->x);
}

static void record(struct skinfit *f, const struct skinfit_input *in)
{
	if (f->nsamples >= SKINFIT_SAMPLES || f->nbins >= SKINFIT_BINS_MAX) {
		/* a record the fits could not keep up with: start it again */
		skinfit_restart(f);
	}
	if (f->nsamples == 0 && f->acc_n == 0)
		take_start(f, in);
	f->current_a[f->nsamples] = (float)in->current_a;
	f->sample_dt_s[f->nsamples] = (float)in->dt_s;
	f->nsamples++;
	f->acc_n++;
	f->acc_dt_s += in->dt_s;
	if (isfinite(in->plate_c)) {
		f->acc_plate_c += in->plate_c;
		f->acc_noise_c += in->noise_c * in->noise_c;
		f->acc_nplate++;
	}
	if (isfinite(in->sink_c)) {
		f->acc_sink_c += in->sink_c;
		f->acc_sink_noise_c += in->sink_noise_c * in->sink_noise_c;
		f->acc_nsink++;
	}
	if (f->acc_dt_s < SKINFIT_BIN_S - 1e-9 && f->acc_n < SKINFIT_SAMPLES / SKINFIT_BINS_MAX)
		return;
	int b = f->nbins++;
	f->bin_first[b] = f->nsamples - f->acc_n;
	f->bin_n[b] = f->acc_n;
	double floor2 = MODEL_FLOOR_C * MODEL_FLOOR_C;
	/* a bin's plate is the mean of its readings: so is the model's */
	if (f->acc_nplate == f->acc_n) {
		f->bin_plate_c[b] = (float)(f->acc_plate_c / f->acc_n);
		f->bin_sd_c[b] = (float)sqrt(f->acc_noise_c / f->acc_n / f->acc_n + floor2);
	} else {
		f->bin_plate_c[b] = NAN;
		f->bin_sd_c[b] = 1;
	}
	if (f->acc_nsink == f->acc_n) {
		f->bin_sink_c[b] = (float)(f->acc_sink_c / f->acc_n);
		f->bin_sink_sd_c[b] = (float)sqrt(f->acc_sink_noise_c / f->acc_n / f->acc_n + floor2);
	} else {
		f->bin_sink_c[b] = NAN;
		f->bin_sink_sd_c[b] = 1;
	}
	f->acc_n = f->acc_nplate = f->acc_nsink = 0;
	f->acc_dt_s = f->acc_plate_c = f->acc_sink_c = f->acc_noise_c = f->acc_sink_noise_c = 0;
	f->since_fit_bins++;
}

static void begin_fit(struct skinfit *f)
{
	struct thermal_params now = f->filter_figures;
	f->base = now;
	f->fit_bins = f->nbins;
	f->fit_samples = f->bin_first[f->nbins - 1] + f->bin_n[f->nbins - 1];
	/* a record grown long while the last fit ran is cut back further */
	f->slide_bins = f->nbins - (SKINFIT_BINS - SKINFIT_SLIDE_BINS);
	if (f->slide_bins < SKINFIT_SLIDE_BINS)
		f->slide_bins = SKINFIT_SLIDE_BINS;
	f->slide_sample = f->nbins > SKINFIT_BINS - SKINFIT_EVERY_BINS ? f->bin_first[f->slide_bins] : -1;
	f->check_from_bin = f->new_from_bin;
	f->new_from_bin = f->nbins;
	f->since_fit_bins = 0;
	f->iteration = 0;
	if (!(f->lambda > 0))
		f->lambda = 1e-3;
	/* the filter's figures, the other start tried */
	memcpy(f->trial, f->x, sizeof f->trial);
	const struct thermal_params *q = &f->prior;
	const double filter[SKINFIT_LN_CONDUCTANCE + 1] = {
		[SKINFIT_LN_PLATE_J] = now.plate_j_per_k / q->plate_j_per_k,
		[SKINFIT_LN_LAG] = now.sensor_lag_s / q->sensor_lag_s,
		[SKINFIT_LN_CONTACT] = now.tissue_to_plate_w_per_k / q->tissue_to_plate_w_per_k,
		[SKINFIT_LN_PERFUSION] = now.tissue_to_core_w_per_k / q->tissue_to_core_w_per_k,
		[SKINFIT_LN_SINK_J] = now.sink_j_per_k / q->sink_j_per_k,
		[SKINFIT_LN_SINK_G] = now.sink_to_ambient_w_per_k / q->sink_to_ambient_w_per_k,
		[SKINFIT_LN_CONDUCTANCE] = now.conductance_w_per_k / q->conductance_w_per_k,
	};
	for (int i = 0; i <= SKINFIT_LN_CONDUCTANCE; i++)
		f->trial[i] = fmax(-LN_RANGE, fmin(LN_RANGE, log(filter[i])));
	f->phase = SKINFIT_BASE;
}

static void cut_record(struct skinfit *f, int cut, int cut_bins);

/* The prior of a record cut where a fit stood: the start's temperatures
 * as that fit had them there, the room as it had it. */
static void prior_at_cut(struct skinfit *f, double tissue_sd_c, double ambient_c, double ambient_sd_c)
{
	for (int i = SKINFIT_FIGURES; i < SKINFIT_N; i++)
		for (int j = 0; j < SKINFIT_N; j++)
			f->prior_info[i][j] = f->prior_info[j][i] = 0;
	f->prior_x[SKINFIT_PLATE0] = f->prior_x[SKINFIT_TISSUE0] = f->prior_x[SKINFIT_SINK0] = 0;
	f->prior_x[SKINFIT_AMBIENT] = ambient_c;
	f->prior_info[SKINFIT_PLATE0][SKINFIT_PLATE0] = 1.0 / (SLID_PLATE_SD_C * SLID_PLATE_SD_C);
	f->prior_info[SKINFIT_SINK0][SKINFIT_SINK0] = 1.0 / (SLID_SINK_SD_C * SLID_SINK_SD_C);
	f->prior_info[SKINFIT_TISSUE0][SKINFIT_TISSUE0] = 1.0 / (tissue_sd_c * tissue_sd_c);
	f->prior_info[SKINFIT_AMBIENT][SKINFIT_AMBIENT] = 1.0 / (ambient_sd_c * ambient_sd_c);
}

/* The record cut at slide_sample: the start moves there, and what the
 * cut part told becomes the prior (the figures as fitted, with their
 * spread and how far they may have wandered since; the tissue there as
 * the fit had it, moving with the figures as the fit's replays showed). */
static void slide(struct skinfit *f, const double H[SKINFIT_N][SKINFIT_N])
{
	int cut = f->slide_sample, cut_bins = f->slide_bins;
	double cut_s = 0;
	for (int k = 0; k < cut; k++)
		cut_s += f->sample_dt_s[k];
	double cov[SKINFIT_N][SKINFIT_N];
	bool have_cov = invert_spd(SKINFIT_N, H, cov);
	double slope[SKINFIT_N];
	for (int j = 0; j < SKINFIT_N; j++)
		slope[j] = (f->at_slide_col[j].tissue_c - f->at_slide_lin.tissue_c) / column_step[j];
	double tissue_var = 0;
	for (int a = SKINFIT_FIGURES; a < SKINFIT_N; a++)
		for (int b = SKINFIT_FIGURES; b < SKINFIT_N; b++)
			tissue_var += have_cov ? slope[a] * slope[b] * cov[a][b] : 0;
	double tissue_sd = fmax(sqrt(fmax(tissue_var, 0)), SLID_TISSUE_MIN_SD_C);
	double ambient_sd = fmax(have_cov ? sqrt(cov[SKINFIT_AMBIENT][SKINFIT_AMBIENT]) : START_AMBIENT_SD_C,
				 SLID_AMBIENT_MIN_SD_C);
	double fig_info[SKINFIT_N][SKINFIT_N] = {{0}};
	bool have_info = have_cov;
	if (have_cov) {
		double A[SKINFIT_N][SKINFIT_N] = {{0}};
		for (int i = 0; i < SKINFIT_FIGURES; i++) {
			for (int j = 0; j < SKINFIT_FIGURES; j++)
				A[i][j] = cov[i][j];
			A[i][i] += figure_noise[i].walk * figure_noise[i].walk * cut_s;
		}
		have_info = invert_spd(SKINFIT_FIGURES, A, fig_info);
	}
	double ambient = f->x[SKINFIT_AMBIENT];
	for (int i = 0; i < SKINFIT_FIGURES; i++) {
		f->prior_x[i] = f->x[i];
		f->anchor[i] = f->x[i];
		f->tissue_slope[i] = slope[i];
		if (have_info)
			for (int j = 0; j < SKINFIT_FIGURES; j++)
				f->prior_info[i][j] = fig_info[i][j];
	}
	double step = f->x[SKINFIT_LN_CONTACT_STEP], step_info = f->prior_info[SKINFIT_LN_CONTACT_STEP][SKINFIT_LN_CONTACT_STEP];
	prior_at_cut(f, tissue_sd, ambient, ambient_sd);
	f->prior_x[SKINFIT_LN_CONTACT_STEP] = 0;
	f->prior_info[SKINFIT_LN_CONTACT_STEP][SKINFIT_LN_CONTACT_STEP] = step_info;
	f->start = f->at_slide;
	f->start_balanced = false;
	memcpy(f->x, f->prior_x, sizeof f->x);
	f->x[SKINFIT_LN_CONTACT_STEP] = step;
	cut_record(f, cut, cut_bins);
}

/* The record from sample cut (the first of bin cut_bins) on. */
static void cut_record(struct skinfit *f, int cut, int cut_bins)
{
	if (cut < 0 || cut > f->nsamples || cut_bins < 0 || cut_bins > f->nbins) {
		skinfit_restart(f); /* not a cut of this record: never meant to happen */
		return;
	}
	f->new_from_bin = f->new_from_bin > cut_bins ? f->new_from_bin - cut_bins : 0;
	if (f->step_bin >= cut_bins) {
		f->step_bin -= cut_bins;
		f->step_sample -= cut;
	} else if (f->step_bin >= 0) {
		step_at(f, -1);
	}
	int keep = f->nsamples - cut;
	memmove(f->current_a, f->current_a + cut, keep * sizeof f->current_a[0]);
	memmove(f->sample_dt_s, f->sample_dt_s + cut, keep * sizeof f->sample_dt_s[0]);
	f->nsamples = keep;
	int keep_bins = f->nbins - cut_bins;
	for (int b = 0; b < keep_bins; b++) {
		int o = b + cut_bins;
		f->bin_first[b] = f->bin_first[o] - cut;
		f->bin_n[b] = f->bin_n[o];
		f->bin_plate_c[b] = f->bin_plate_c[o];
		f->bin_sink_c[b] = f->bin_sink_c[o];
		f->bin_sd_c[b] = f->bin_sd_c[o];
		f->bin_sink_sd_c[b] = f->bin_sink_sd_c[o];
	}
	f->nbins = keep_bins;
}

/* A change of the contact found: the record starts again there, from
 * the fit's temperatures at the change, with the contact as it is after
 * it, less sure; what came before is another pad's. */
static void take_change(struct skinfit *f)
{
	f->x[SKINFIT_LN_CONTACT] += f->x[SKINFIT_LN_CONTACT_STEP];
	for (int i = 0; i < SKINFIT_FIGURES; i++) {
		f->prior_x[i] = f->x[i];
		f->anchor[i] = f->x[i];
		f->tissue_slope[i] = 0;
	}
	for (int j = 0; j < SKINFIT_N; j++)
		f->prior_info[SKINFIT_LN_CONTACT][j] = f->prior_info[j][SKINFIT_LN_CONTACT] = 0;
	f->prior_info[SKINFIT_LN_CONTACT][SKINFIT_LN_CONTACT] = 1.0 / (STEP_SD * STEP_SD);
	prior_at_cut(f, RESTART_TISSUE_SD_C, f->x[SKINFIT_AMBIENT], SLID_AMBIENT_MIN_SD_C);
	f->start = f->at_step;
	f->start_balanced = false;
	int cut = f->step_sample, cut_bins = f->step_bin;
	step_at(f, -1);
	memcpy(f->x, f->prior_x, sizeof f->x);
	cut_record(f, cut, cut_bins);
	f->contact_changes++;
}

/* The fit ends where it is: its state at the record's end is replayed
 * (SKINFIT_FINISH), then taken. */
static void finish_fit(struct skinfit *f)
{
	f->phase = SKINFIT_FINISH;
}

static void take_fit(struct skinfit *f)
{
	f->at_step = f->job.at_step;
	memcpy(f->fitted, f->x, sizeof f->fitted);
	params_of(f, f->x, &f->fitted_params);
	if (f->step_bin >= 0)
		f->fitted_params.tissue_to_plate_w_per_k *= exp(f->x[SKINFIT_LN_CONTACT_STEP]);
	f->tissue_c = f->job.s.tissue_c;
	f->valid = true;
	f->fits++;
	f->phase = SKINFIT_WAIT;
	if (f->step_bin >= 0 && fabs(f->x[SKINFIT_LN_CONTACT_STEP]) >= STEP_TAKEN) {
		take_change(f); /* the record is cut there: no slide besides */
		f->slide_sample = -1;
	} else if (f->step_bin >= 0 && f->step_bin < f->fit_bins - SKINFIT_EVERY_BINS) {
		step_at(f, -1); /* looked for over two fits, not found */
	}
	if (f->slide_sample >= 0) {
		double H[SKINFIT_N][SKINFIT_N];
		curvature(f, H);
		slide(f, H);
	}
	f->slide_sample = -1;
}

/* The bins from b on against the ones before, under the last fit: a
 * strap loosened (or tightened, or the pad moved) shows as a record the
 * fit explained until then and not after. */
static bool changed(const struct skinfit *f, int b)
{
	if (!f->valid || b <= 0 || b >= f->fit_bins)
		return false;
	double before = 0, after = 0;
	for (int k = 0; k < 2 * b; k++)
		before += f->r0[k] * f->r0[k];
	for (int k = 2 * b; k < 2 * f->fit_bins; k++)
		after += f->r0[k] * f->r0[k];
	before /= 2 * b;
	after /= 2 * (f->fit_bins - b);
	return after > CHANGE_MIN && after > CHANGE_FACTOR * fmax(before, 1.0);
}

static void start_columns(struct skinfit *f)
{
	f->at_slide_lin = f->at_slide;
	f->column = 0;
	f->phase = SKINFIT_COLUMN;
}

static void fit_step(struct skinfit *f)
{
	switch (f->phase) {
	case SKINFIT_WAIT:
		return;
	case SKINFIT_BASE:
		if (!replay_run(f, f->x, f->r0, false))
			return;
		f->cost = f->job.cost;
		f->at_slide = f->job.at_slide;
		if (f->step_bin < 0 && changed(f, f->check_from_bin)) {
			/* the fit is let find a change there (the base again, with
			 * the change): if there was none it finds none, and the
			 * record is kept whole */
			step_at(f, f->check_from_bin);
			return;
		}
		f->phase = SKINFIT_FILTER;
		return;
	case SKINFIT_FILTER:
		/* the filter's figures as they are now may explain the record
		 * better than the last fit's: the fit goes on from the better */
		if (!replay_run(f, f->trial, f->r_trial, false))
			return;
		if (f->job.cost < f->cost) {
			memcpy(f->x, f->trial, sizeof f->x);
			memcpy(f->r0, f->r_trial, sizeof f->r0);
			f->at_slide = f->job.at_slide;
			f->cost = f->job.cost;
		}
		start_columns(f);
		return;
	case SKINFIT_COLUMN: {
		int j = f->column;
		double xj[SKINFIT_N];
		memcpy(xj, f->x, sizeof xj);
		xj[j] += column_step[j];
		if (!replay_run(f, xj, f->jac[j], false))
			return;
		f->at_slide_col[j] = f->job.at_slide;
		for (int k = 0; k < 2 * f->fit_bins; k++)
			f->jac[j][k] = (f->jac[j][k] - f->r0[k]) / column_step[j];
		if (++f->column < SKINFIT_N)
			return;
		f->tries = 0;
		if (propose(f))
			f->phase = SKINFIT_TRY;
		else
			finish_fit(f);
		return;
	}
	case SKINFIT_TRY: {
		if (!replay_run(f, f->trial, f->r_trial, false))
			return;
		double c = f->job.cost;
		if (c < f->cost) {
			bool converged = f->cost - c < CONVERGED * c;
			memcpy(f->x, f->trial, sizeof f->x);
			memcpy(f->r0, f->r_trial, sizeof f->r0);
			f->at_slide = f->job.at_slide;
			f->cost = c;
			f->lambda = fmax(f->lambda / 3, 1e-6);
			if (++f->iteration < ITERATIONS && !converged)
				start_columns(f);
			else
				finish_fit(f);
			return;
		}
		f->lambda = fmin(f->lambda * 4, 1e6);
		if (++f->tries >= TRIES || !propose(f))
			finish_fit(f);
		return;
	}
	case SKINFIT_FINISH:
		if (replay_run(f, f->x, f->r_trial, true))
			take_fit(f);
		return;
	}
}

void skinfit_update(struct skinfit *f, const struct skinfit_input *in)
{
	if (!f->enabled)
		return;
	record(f, in);
	if (f->valid && isfinite(in->plate_est_c)) {
		const struct thermal_params *p = &f->fitted_params;
		double plate = in->plate_est_c - f->fitted[SKINFIT_PLATE_OFFSET]; /* the filter sees no common offset */
		double to_plate = p->tissue_to_plate_w_per_k * (plate - f->tissue_c);
		double to_core = p->tissue_to_core_w_per_k * (f->tissue_c - p->core_c);
		f->tissue_c += (to_plate - to_core) / p->tissue_j_per_k * in->dt_s;
	}
	f->filter_figures = *in->now;
	if (f->phase == SKINFIT_WAIT && f->since_fit_bins >= SKINFIT_EVERY_BINS)
		begin_fit(f);
	fit_step(f);
}

double skinfit_tissue_c(const struct skinfit *f)
{
	return f->valid ? f->tissue_c : NAN;
}
