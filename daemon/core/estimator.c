/* SPDX-License-Identifier: MIT */
/*
 * The filter's transition is the model integrated over the sample interval
 * with the measured current; its Jacobian is taken by differences (the
 * model is small, and a hand-written one would be a second copy of the
 * physics to keep in step). Measurements are applied one at a time, each
 * gated on its own innovation, so that one bad sensor never spoils the
 * others' update.
 */
#include "estimator.h"

#include <math.h>
#include <string.h>

#define GATE_SIGMA 4.0 /* a reading this far off the prediction is set aside */
#define FROZEN_S 3.0 /* an unchanged reading for this long, while ... */
#define FROZEN_MOVED_C 0.3 /* ... the model says it should have moved this much */
#define FROZEN_OTHER_S 0.5 /* unchanged this long while the other sensor moved */
#define REJECT_RESYNC 20 /* every plate reading set aside this many times: trust them again */
#define GAP_S 5.0
#define AMBIENT_FROM_SINK_C 10.0 /* a room this far from the sink would take a sink far hotter or colder */
#define SUBSTEP_S 0.05
#define RATE_REL_SD 0.15 /* the share of the plate's rate the model may miss */
#define LN_RANGE 1.4 /* figures stay within e^1.4 (4x) of the prior either way */

/* Spread of the prior (as logarithms), and how fast each figure may
 * wander (per square root of a second): contact changes when a strap is
 * loosened; a heat capacity hardly ever. */
static const struct {
	double sd0, walk;
} figure_noise[EST_N] = {
	[EST_LN_PLATE_J] = {0.45, 0.0005},  [EST_LN_LAG] = {0.5, 0.0005},       [EST_LN_CONTACT] = {0.6, 0.004},
	[EST_LN_PERFUSION] = {0.45, 0.002}, [EST_LN_TISSUE_J] = {0.3, 0.0005},  [EST_LN_SINK_J] = {0.45, 0.0005},
	[EST_LN_SINK_G] = {0.45, 0.001},     [EST_LN_CONDUCTANCE] = {0.15, 0.0005}, [EST_LN_SEEBECK] = {0.15, 0.0002},
	[EST_LN_RESISTANCE] = {0.15, 0.0002},
};

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The figures a state vector stands for. */
static void params_of(const struct estimator *e, const double *x, struct thermal_params *p)
{
	const struct thermal_params *q = &e->prior;
	*p = *q;
	p->plate_j_per_k = q->plate_j_per_k * exp(x[EST_LN_PLATE_J]);
	p->sensor_lag_s = q->sensor_lag_s * exp(x[EST_LN_LAG]);
	p->tissue_to_plate_w_per_k = q->tissue_to_plate_w_per_k * exp(x[EST_LN_CONTACT]);
	p->tissue_to_core_w_per_k = q->tissue_to_core_w_per_k * exp(x[EST_LN_PERFUSION]);
	p->tissue_j_per_k = q->tissue_j_per_k * exp(x[EST_LN_TISSUE_J]);
	p->sink_j_per_k = q->sink_j_per_k * exp(x[EST_LN_SINK_J]);
	p->sink_to_ambient_w_per_k = q->sink_to_ambient_w_per_k * exp(x[EST_LN_SINK_G]);
	p->conductance_w_per_k = q->conductance_w_per_k * exp(x[EST_LN_CONDUCTANCE]);
	p->seebeck_v_per_k = q->seebeck_v_per_k * exp(x[EST_LN_SEEBECK]);
	p->resistance_ohm = q->resistance_ohm * exp(x[EST_LN_RESISTANCE]);
	p->supply_v = e->supply_v;
}

/* x advanced by dt under current i. */
static void transition(const struct estimator *e, double *x, double current_a, double dt)
{
	struct thermal_params p;
	params_of(e, x, &p);
	struct thermal_state s = {x[EST_PLATE], x[EST_TISSUE], x[EST_SINK], x[EST_LAG_PLATE], x[EST_LAG_SINK], x[EST_AMBIENT]};
	thermal_advance(&p, &s, current_a, dt, (int)ceil(dt / SUBSTEP_S - 1e-9));
	x[EST_PLATE] = s.plate_c;
	x[EST_TISSUE] = s.tissue_c;
	x[EST_SINK] = s.sink_c;
	x[EST_LAG_PLATE] = s.lag_plate_c;
	x[EST_LAG_SINK] = s.lag_sink_c;
}

/* The range of pads the skin's bounds hold for, as factors of the
 * reference pad's figures; the loosest contact is a strap loosened to 0.4
 * on the loosest pad. */
#define SKIN_CONTACT_MIN 0.15
#define SKIN_CONTACT_MAX 2.5
#define SKIN_PERFUSION_MIN 0.5
#define SKIN_PERFUSION_MAX 2.0
#define SKIN_TISSUE_J_MIN 0.8
#define SKIN_TISSUE_J_MAX 1.25
#define SKIN_CORE_C 0.5 /* the body's core this much either way of the prior's */
#define SKIN_PLATE_SD 3.0 /* the true plate within this many of the estimate's deviations ... */
#define SKIN_PLATE_OFFSET_C 0.25 /* ... and the plate sensors' common offset, which no filter sees */

/* The fastest the tissue can warm (sign +1) or the slowest it can cool
 * (sign -1) at tissue_c, plate_c and core_c for any pad of the range. */
static double skin_rate_bound(double sign, double tissue_c, double plate_c, double core_c)
{
	struct thermal_params ref;
	thermal_params_default(&ref);
	double to_plate = plate_c - tissue_c, to_core = core_c - tissue_c;
	double g_tp = ref.tissue_to_plate_w_per_k * (sign * to_plate > 0 ? SKIN_CONTACT_MAX : SKIN_CONTACT_MIN);
	double g_tc = ref.tissue_to_core_w_per_k * (sign * to_core > 0 ? SKIN_PERFUSION_MAX : SKIN_PERFUSION_MIN);
	double w = g_tp * to_plate + g_tc * to_core;
	return w / (ref.tissue_j_per_k * (sign * w > 0 ? SKIN_TISSUE_J_MIN : SKIN_TISSUE_J_MAX));
}

static double skin_plate_margin(const struct estimator *e)
{
	return SKIN_PLATE_SD * sqrt(e->P[EST_PLATE][EST_PLATE]) + SKIN_PLATE_OFFSET_C;
}

/* In balance with a plate held at plate_c: the range's coldest and
 * warmest tissue. */
static void skin_bounds_steady(struct estimator *e, double plate_c)
{
	struct thermal_params ref;
	thermal_params_default(&ref);
	double m = skin_plate_margin(e);
	double lo_plate = plate_c - m, hi_plate = plate_c + m;
	double lo_core = e->prior.core_c - SKIN_CORE_C, hi_core = e->prior.core_c + SKIN_CORE_C;
	double lo = 1e9, hi = -1e9;
	static const double contact[] = {SKIN_CONTACT_MIN, SKIN_CONTACT_MAX};
	static const double perfusion[] = {SKIN_PERFUSION_MIN, SKIN_PERFUSION_MAX};
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++) {
			double g_tp = ref.tissue_to_plate_w_per_k * contact[a], g_tc = ref.tissue_to_core_w_per_k * perfusion[b];
			lo = fmin(lo, (g_tp * lo_plate + g_tc * lo_core) / (g_tp + g_tc));
			hi = fmax(hi, (g_tp * hi_plate + g_tc * hi_core) / (g_tp + g_tc));
		}
	e->skin_lo_c = lo;
	e->skin_hi_c = hi;
}

/* The bounds follow the plate as estimated from one sample to the next. */
static void skin_bounds_advance(struct estimator *e, double plate0_c, double plate1_c, double dt)
{
	int n = (int)ceil(dt / SUBSTEP_S - 1e-9);
	if (n < 1)
		n = 1;
	double h = dt / n, m = skin_plate_margin(e);
	double lo_core = e->prior.core_c - SKIN_CORE_C, hi_core = e->prior.core_c + SKIN_CORE_C;
	for (int k = 0; k < n; k++) {
		double plate = plate0_c + (plate1_c - plate0_c) * (k + 0.5) / n;
		double lo = e->skin_lo_c, hi = e->skin_hi_c;
		e->skin_lo_c += skin_rate_bound(-1.0, lo, plate - m, lo_core) * h;
		e->skin_hi_c += skin_rate_bound(+1.0, hi, plate + m, hi_core) * h;
	}
}

static void reset_temperatures(struct estimator *e, const struct estimator_input *in, double plate_c)
{
	skin_bounds_steady(e, plate_c);
	struct thermal_params p;
	params_of(e, e->x, &p);
	double sink = in->sink_ok && isfinite(in->sink_c) ? in->sink_c : plate_c;
	e->x[EST_PLATE] = plate_c;
	e->x[EST_LAG_PLATE] = plate_c;
	e->x[EST_TISSUE] = thermal_tissue_balance(&p, plate_c);
	e->x[EST_SINK] = sink;
	e->x[EST_LAG_SINK] = sink;
	e->x[EST_AMBIENT] = sink; /* a sink at rest sits at room temperature */
	static const double sd0[EST_LN_PLATE_J] = {
		[EST_PLATE] = 0.3, [EST_TISSUE] = 2.0, [EST_SINK] = 0.3, [EST_LAG_PLATE] = 0.3,
		[EST_LAG_SINK] = 0.3, [EST_SPLIT] = 0.15, [EST_AMBIENT] = 1.0,
	};
	for (int i = 0; i < EST_LN_PLATE_J; i++) {
		for (int j = 0; j < EST_N; j++)
			e->P[i][j] = e->P[j][i] = 0;
		e->P[i][i] = sd0[i] * sd0[i];
	}
	/* a sensor at rest reads its node: what is unknown is the pair's
	 * common offset, not a difference between them */
	e->P[EST_PLATE][EST_LAG_PLATE] = e->P[EST_LAG_PLATE][EST_PLATE] = 0.95 * sd0[EST_PLATE] * sd0[EST_LAG_PLATE];
	e->P[EST_SINK][EST_LAG_SINK] = e->P[EST_LAG_SINK][EST_SINK] = 0.95 * sd0[EST_SINK] * sd0[EST_LAG_SINK];
	for (int i = 0; i < EST_SENSORS; i++) {
		e->frozen_s[i] = 0;
		e->reject_run[i] = 0;
		e->last_reading_c[i] = NAN;
	}
}

void estimator_init(struct estimator *e, const struct thermal_params *prior)
{
	memset(e, 0, sizeof *e);
	e->prior = *prior;
	e->supply_v = prior->supply_v;
	e->noise_c = 0.05;
	skinfit_init(&e->skin, prior);
	for (int i = EST_LN_PLATE_J; i < EST_N; i++)
		e->P[i][i] = figure_noise[i].sd0 * figure_noise[i].sd0;
	for (int i = 0; i < EST_SENSORS; i++)
		e->last_reading_c[i] = NAN;
}

void estimator_set_prior(struct estimator *e, const struct thermal_params *prior)
{
	e->prior = *prior;
	e->supply_v = prior->supply_v;
	bool fit = e->skin.enabled;
	skinfit_init(&e->skin, prior);
	e->skin.enabled = fit;
	e->skin.start_balanced = !e->started;
	for (int i = EST_LN_PLATE_J; i < EST_N; i++) {
		e->x[i] = 0;
		for (int j = 0; j < EST_N; j++)
			e->P[i][j] = e->P[j][i] = 0;
		e->P[i][i] = figure_noise[i].sd0 * figure_noise[i].sd0;
	}
}

static void predict(struct estimator *e, double current_a, double dt)
{
	double F[EST_N][EST_N], T[EST_N][EST_N];
	double x0[EST_N], x1[EST_N];
	memcpy(x0, e->x, sizeof x0);
	memcpy(x1, e->x, sizeof x1);
	transition(e, x1, current_a, dt);
	for (int j = 0; j < EST_N; j++) {
		double xj[EST_N];
		memcpy(xj, x0, sizeof xj);
		double h = j >= EST_LN_PLATE_J ? 1e-5 : 1e-4;
		xj[j] += h;
		transition(e, xj, current_a, dt);
		for (int i = 0; i < EST_N; i++)
			F[i][j] = (xj[i] - x1[i]) / h;
	}
	/* P = F P F' + Q, over F's nonzero entries only: a figure's row is
	 * its own column alone (the model does not move the figures), so most
	 * of F is exactly zero, and leaving out a product with an exact zero
	 * changes no bit of the sums */
	int nz[EST_N][EST_N], nnz[EST_N];
	for (int i = 0; i < EST_N; i++) {
		nnz[i] = 0;
		for (int k = 0; k < EST_N; k++)
			if (F[i][k] != 0.0)
				nz[i][nnz[i]++] = k;
	}
	for (int i = 0; i < EST_N; i++)
		for (int j = 0; j < EST_N; j++) {
			double s = 0;
			for (int m = 0; m < nnz[i]; m++)
				s += F[i][nz[i][m]] * e->P[nz[i][m]][j];
			T[i][j] = s;
		}
	for (int i = 0; i < EST_N; i++)
		for (int j = 0; j <= i; j++) {
			double s = 0;
			for (int m = 0; m < nnz[j]; m++)
				s += T[i][nz[j][m]] * F[j][nz[j][m]];
			e->P[i][j] = e->P[j][i] = s;
		}
	/* process noise, per second: what the model leaves out */
	static const double walk[EST_LN_PLATE_J] = {
		[EST_PLATE] = 0.02, [EST_TISSUE] = 0.003, [EST_SINK] = 0.01, [EST_LAG_PLATE] = 0.002,
		[EST_LAG_SINK] = 0.002, [EST_SPLIT] = 0.0002, [EST_AMBIENT] = 0.002,
	};
	for (int i = 0; i < EST_N; i++) {
		double w = i < EST_LN_PLATE_J ? walk[i] : figure_noise[i].walk;
		e->P[i][i] += w * w * dt;
	}
	/* and what it gets wrong about the plate's rate grows with that
	 * rate (a heat capacity not yet learned): a plate on its way is known
	 * less well than one in balance, however hard it is driven there */
	struct thermal_params p;
	params_of(e, x0, &p);
	double qp, qs;
	thermal_module_heat(&p, current_a, x0[EST_PLATE], x0[EST_SINK], &qp, &qs);
	double net_w = qp - p.plate_to_ambient_w_per_k * (x0[EST_PLATE] - x0[EST_AMBIENT]) -
		       p.tissue_to_plate_w_per_k * (x0[EST_PLATE] - x0[EST_TISSUE]);
	double rate_sd = RATE_REL_SD * fabs(net_w) / p.plate_j_per_k;
	e->P[EST_PLATE][EST_PLATE] += rate_sd * rate_sd * dt;
	memcpy(e->x, x1, sizeof x1);
}

/* One scalar measurement z = H x + r; returns false when gated out. */
static bool update_one(struct estimator *e, const double *H, double z, double predicted, double r, bool gate,
		       double *innov, double *innov_sd)
{
	double PH[EST_N];
	double s = r;
	for (int i = 0; i < EST_N; i++) {
		double v = 0;
		for (int j = 0; j < EST_N; j++)
			v += e->P[i][j] * H[j];
		PH[i] = v;
		s += H[i] * v;
	}
	double nu = z - predicted;
	*innov = nu;
	*innov_sd = sqrt(s);
	if (gate && nu * nu > GATE_SIGMA * GATE_SIGMA * s)
		return false;
	for (int i = 0; i < EST_N; i++)
		e->x[i] += PH[i] / s * nu;
	for (int i = 0; i < EST_N; i++)
		for (int j = 0; j <= i; j++) {
			double v = e->P[i][j] - PH[i] * PH[j] / s;
			e->P[i][j] = e->P[j][i] = v;
		}
	for (int i = 0; i < EST_N; i++)
		if (e->P[i][i] < 1e-12)
			e->P[i][i] = 1e-12;
	return true;
}

/* A live sink sensor set aside sample after sample is one the filter has
 * drifted away from (the sink's figures and the room's temperature trade
 * off against each other while the plate is held): the sink restarts from
 * its reading, with the room and the sink's figures as open as at the
 * start, so that the filter never rejects a healthy sensor for good. */
static void resync_sink(struct estimator *e, double reading_c)
{
	static const int rows[] = {EST_SINK, EST_LAG_SINK, EST_AMBIENT, EST_LN_SINK_J, EST_LN_SINK_G};
	static const double sd[] = {0.3, 0.3, 3.0, 0, 0};
	e->x[EST_SINK] += reading_c - e->x[EST_LAG_SINK];
	e->x[EST_LAG_SINK] = reading_c;
	e->x[EST_AMBIENT] = clampd(e->x[EST_AMBIENT], reading_c - AMBIENT_FROM_SINK_C, reading_c + AMBIENT_FROM_SINK_C);
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		int i = rows[r];
		for (int j = 0; j < EST_N; j++)
			e->P[i][j] = e->P[j][i] = 0;
		double s = i >= EST_LN_PLATE_J ? figure_noise[i].sd0 : sd[r];
		e->P[i][i] = s * s;
	}
	e->P[EST_SINK][EST_LAG_SINK] = e->P[EST_LAG_SINK][EST_SINK] = 0.95 * 0.3 * 0.3;
	e->reject_run[EST_SENSOR_SINK] = 0;
	e->resyncs++;
}

/* A reading that has not changed while the model says it should have,
 * or while the other plate sensor has moved well beyond its noise, is a
 * stuck sensor, however close it happens to be. */
static bool frozen(struct estimator *e, int k, const struct estimator_input *in, double lagged, double dt)
{
	double reading = k == EST_SENSOR_SINK ? in->sink_c : in->plate_c[k];
	int other = k == EST_SENSOR_PLATE_A ? EST_SENSOR_PLATE_B : EST_SENSOR_PLATE_A;
	bool has_other = k != EST_SENSOR_SINK && in->plate_ok[other] && isfinite(in->plate_c[other]);
	if (reading == e->last_reading_c[k]) {
		if (e->frozen_s[k] == 0) {
			e->frozen_from_c[k] = lagged;
			e->frozen_other_c[k] = has_other ? in->plate_c[other] : NAN;
		}
		e->frozen_s[k] += dt;
	} else {
		e->frozen_s[k] = 0;
	}
	e->last_reading_c[k] = reading;
	if (e->frozen_s[k] == 0)
		return false;
	bool other_moved = has_other && fabs(in->plate_c[other] - e->frozen_other_c[k]) > 4 * e->noise_c + 0.05;
	return (e->frozen_s[k] >= FROZEN_OTHER_S && other_moved) ||
	       (e->frozen_s[k] >= FROZEN_S && fabs(lagged - e->frozen_from_c[k]) >= FROZEN_MOVED_C);
}

static void learn_supply(struct estimator *e, const struct estimator_input *in)
{
	/* below the bridge's current limit the terminal voltage is the
	 * drive times the supply */
	if (!in->voltage_ok || fabs(in->drive_applied) < 0.2 || fabs(in->current_a) > 0.95 * e->prior.current_max_a)
		return;
	double v = in->voltage_v / in->drive_applied;
	if (v > 5.0 && v < 20.0)
		e->supply_v += 0.05 * (v - e->supply_v);
}

static void learn_noise(struct estimator *e, const struct estimator_input *in)
{
	if (!in->plate_ok[0] || !in->plate_ok[1] || e->rejected[0] || e->rejected[1])
		return;
	/* A - B is twice the split plus two sensors' noise: its spread about
	 * the split is the noise times the square root of two */
	double d = (in->plate_c[0] - in->plate_c[1]) - 2 * e->x[EST_SPLIT];
	double var = e->noise_c * e->noise_c;
	var += 0.01 * (d * d / 2.0 - var);
	e->noise_c = sqrt(clampd(var, 0.004 * 0.004, 0.5 * 0.5));
}

static double plate_prediction(const struct estimator *e, int k, double *H)
{
	double sign = k == 0 ? 1.0 : -1.0;
	memset(H, 0, EST_N * sizeof *H);
	H[EST_LAG_PLATE] = 1;
	H[EST_SPLIT] = sign;
	return e->x[EST_LAG_PLATE] + sign * e->x[EST_SPLIT];
}

/* The two plate sensors: a frozen one is out; when the two disagree
 * beyond their noise, the one the model finds further off is out; what
 * is left is gated on its innovation. When every reading has been set
 * aside for a while, the filter is the one that is wrong: its
 * temperatures restart from the readings (the figures are kept). */
static void update_plate(struct estimator *e, const struct estimator_input *in, const bool ok[2], double r_plate,
			 double dt)
{
	double H[EST_N];
	bool usable[2];
	double score[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		e->rejected[k] = false;
		usable[k] = ok[k] && !frozen(e, k, in, e->x[EST_LAG_PLATE], dt);
		if (!ok[k]) {
			e->innovation_c[k] = NAN;
			e->innovation_sd_c[k] = NAN;
			continue;
		}
		double pred = plate_prediction(e, k, H);
		e->innovation_c[k] = in->plate_c[k] - pred;
		e->innovation_sd_c[k] = sqrt(e->P[EST_LAG_PLATE][EST_LAG_PLATE] + e->P[EST_SPLIT][EST_SPLIT] +
					     2 * (k == 0 ? 1 : -1) * e->P[EST_LAG_PLATE][EST_SPLIT] + r_plate);
		score[k] = fabs(e->innovation_c[k]) / e->innovation_sd_c[k];
	}
	if (usable[0] && usable[1]) {
		double d = in->plate_c[0] - in->plate_c[1] - 2 * e->x[EST_SPLIT];
		double sd = sqrt(2 * r_plate + 4 * e->P[EST_SPLIT][EST_SPLIT]);
		if (fabs(d) > GATE_SIGMA * sd + 0.05)
			usable[score[0] > score[1] ? 0 : 1] = false;
	}
	int offered = 0, used = 0;
	for (int k = 0; k < 2; k++) {
		if (!usable[k])
			continue;
		offered++;
		double pred = plate_prediction(e, k, H);
		double nu, sd;
		if (update_one(e, H, in->plate_c[k], pred, r_plate, true, &nu, &sd)) {
			used++;
			e->reject_run[k] = 0;
		} else {
			usable[k] = false;
		}
	}
	for (int k = 0; k < 2; k++)
		if (ok[k] && !usable[k]) {
			e->rejected[k] = true;
			e->nrejected[k]++;
			e->reject_run[k]++;
		}
	e->gated_run = offered > 0 && used == 0 ? e->gated_run + 1 : 0;
	if (e->gated_run >= REJECT_RESYNC) {
		double sum = 0;
		int n = 0;
		for (int k = 0; k < 2; k++)
			if (ok[k] && e->frozen_s[k] < FROZEN_S) {
				sum += in->plate_c[k] - (k == 0 ? 1 : -1) * e->x[EST_SPLIT];
				n++;
			}
		if (n) {
			double split = e->x[EST_SPLIT];
			reset_temperatures(e, in, sum / n);
			e->x[EST_SPLIT] = split;
			e->resyncs++;
		}
		e->gated_run = 0;
	}
}

/* The sample as the filter used it, to the record fit. */
static void feed_skinfit(struct estimator *e, const struct estimator_input *in, const bool ok[2], double current,
			 double dt)
{
	if (!e->skin.enabled)
		return;
	bool used[2] = {ok[0] && !e->rejected[0], ok[1] && !e->rejected[1]};
	double plate = NAN, noise = e->noise_c;
	if (used[0] && used[1]) {
		plate = (in->plate_c[0] + in->plate_c[1]) / 2;
		noise = e->noise_c / sqrt(2.0);
	} else if (used[0]) {
		plate = in->plate_c[0] - e->x[EST_SPLIT];
	} else if (used[1]) {
		plate = in->plate_c[1] + e->x[EST_SPLIT];
	}
	bool sink_used = in->sink_ok && isfinite(in->sink_c) && !e->rejected[EST_SENSOR_SINK];
	struct thermal_params now;
	params_of(e, e->x, &now);
	struct thermal_state state = {e->x[EST_PLATE], e->x[EST_TISSUE], e->x[EST_SINK], e->x[EST_LAG_PLATE],
				      e->x[EST_LAG_SINK], e->x[EST_AMBIENT]};
	struct skinfit_input fi = {
		.dt_s = dt,
		.current_a = current,
		.plate_c = plate,
		.sink_c = sink_used ? in->sink_c : NAN,
		.noise_c = noise,
		.sink_noise_c = e->noise_c,
		.plate_est_c = e->x[EST_PLATE],
		.now = &now,
		.state = &state,
		.tissue_sd_c = sqrt(e->P[EST_TISSUE][EST_TISSUE]),
	};
	skinfit_update(&e->skin, &fi);
}

void estimator_update(struct estimator *e, const struct estimator_input *in)
{
	bool ok[2] = {in->plate_ok[0] && isfinite(in->plate_c[0]), in->plate_ok[1] && isfinite(in->plate_c[1])};
	double dt = e->started ? in->t - e->last_t : 0;
	if (!e->started || dt > GAP_S || dt < 0) {
		if (!ok[0] && !ok[1])
			return; /* nothing to start from */
		double y = ok[0] && ok[1] ? (in->plate_c[0] + in->plate_c[1]) / 2 : ok[0] ? in->plate_c[0] : in->plate_c[1];
		if (e->started)
			skinfit_restart(&e->skin);
		reset_temperatures(e, in, y);
		e->started = true;
		e->last_t = in->t;
		return;
	}
	e->last_t = in->t;
	if (dt <= 0)
		return;
	double current = isfinite(in->current_a) ? in->current_a : 0;
	learn_supply(e, in);
	double plate0 = e->x[EST_PLATE];
	predict(e, current, dt);

	double r_plate = e->noise_c * e->noise_c + 0.01 * 0.01 / 12;
	update_plate(e, in, ok, r_plate, dt);
	learn_noise(e, in);

	e->rejected[EST_SENSOR_SINK] = false;
	if (in->sink_ok && isfinite(in->sink_c)) {
		double H[EST_N] = {0};
		H[EST_LAG_SINK] = 1;
		bool stuck = frozen(e, EST_SENSOR_SINK, in, e->x[EST_LAG_SINK], dt);
		bool used = !stuck && update_one(e, H, in->sink_c, e->x[EST_LAG_SINK], r_plate, true,
						 &e->innovation_c[EST_SENSOR_SINK],
						 &e->innovation_sd_c[EST_SENSOR_SINK]);
		e->rejected[EST_SENSOR_SINK] = !used;
		if (!used)
			e->nrejected[EST_SENSOR_SINK]++;
		e->reject_run[EST_SENSOR_SINK] = used || stuck ? 0 : e->reject_run[EST_SENSOR_SINK] + 1;
		if (e->reject_run[EST_SENSOR_SINK] >= REJECT_RESYNC)
			resync_sink(e, in->sink_c);
	} else {
		e->innovation_c[EST_SENSOR_SINK] = NAN;
	}

	/* the terminal voltage: v = R i + S (plate - sink) */
	if (in->voltage_ok && isfinite(in->voltage_v) && fabs(current) < 0.98 * e->prior.current_max_a) {
		struct thermal_params p;
		params_of(e, e->x, &p);
		double dtemp = e->x[EST_PLATE] - e->x[EST_SINK];
		double ri = p.resistance_ohm * current, sd = p.seebeck_v_per_k * dtemp;
		double H[EST_N] = {0};
		H[EST_LN_RESISTANCE] = ri;
		H[EST_LN_SEEBECK] = sd;
		H[EST_PLATE] = p.seebeck_v_per_k;
		H[EST_SINK] = -p.seebeck_v_per_k;
		double iv, isd;
		update_one(e, H, in->voltage_v, ri + sd, 0.01 * 0.01, true, &iv, &isd);
	}
	for (int i = EST_LN_PLATE_J; i < EST_N; i++)
		e->x[i] = clampd(e->x[i], -LN_RANGE, LN_RANGE);
	skin_bounds_advance(e, plate0, e->x[EST_PLATE], dt);
	feed_skinfit(e, in, ok, current, dt);
}

void estimator_fit_skin(struct estimator *e, bool on)
{
	e->skin.enabled = on;
}

void estimator_params(const struct estimator *e, struct thermal_params *out)
{
	params_of(e, e->x, out);
}

double estimator_plate_c(const struct estimator *e)
{
	return e->started ? e->x[EST_PLATE] : NAN;
}

double estimator_tissue_c(const struct estimator *e)
{
	if (!e->started)
		return NAN;
	double fitted = skinfit_tissue_c(&e->skin);
	if (!isfinite(fitted))
		return e->x[EST_TISSUE];
	/* never past where any pad of the range could have the skin: a fit
	 * gone astray says no more than the bounds */
	return clampd(fitted, e->skin_lo_c, e->skin_hi_c);
}

double estimator_sd(const struct estimator *e, enum estimator_index i)
{
	return sqrt(e->P[i][i]);
}

void estimator_skin_bounds(const struct estimator *e, double *lo_c, double *hi_c)
{
	if (!e->started) {
		*lo_c = *hi_c = NAN;
		return;
	}
	double tissue = estimator_tissue_c(e);
	*lo_c = fmin(e->skin_lo_c, tissue);
	*hi_c = fmax(e->skin_hi_c, tissue);
}
