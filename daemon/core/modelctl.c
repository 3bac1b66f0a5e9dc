/* SPDX-License-Identifier: MIT */
#include "modelctl.h"

#include <math.h>
#include <string.h>

#define REACH_MARGIN_C 0.5 /* held this far inside full drive's balance */

void modelctl_config_default(struct modelctl_config *c)
{
	*c = (struct modelctl_config){
		.approach_s = 1.0,
		.approach_margin_c = 0.25,
		.settle_s = 8.0,
		.integral_s = 20.0,
		.integral_max_w = 15.0,
		.slew_per_s = 4.0,
		.rest_s = 2.5,
		.reverse_min = 0.05,
	};
}

void modelctl_init(struct modelctl *m, const struct modelctl_config *cfg)
{
	memset(m, 0, sizeof *m);
	m->cfg = *cfg;
	m->zero_since = -1e9;
	m->last_target = NAN;
}

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int sign(double v)
{
	return (v > 0) - (v < 0);
}

static double constrain(struct modelctl *m, double t, double dt, double want)
{
	if (sign(want) != 0 && m->last_sign != 0 && sign(want) != m->last_sign && fabs(want) < m->cfg.reverse_min)
		want = 0; /* not worth a reversal */
	double step = m->cfg.slew_per_s * dt;
	double out = clampd(want, m->output - step, m->output + step);
	/* never through zero in one go: stop at zero, rest, then reverse */
	if (sign(out) != 0 && m->last_sign != 0 && sign(out) != m->last_sign) {
		if (m->output != 0.0 || t - m->zero_since < m->cfg.rest_s)
			out = 0.0;
	}
	if (out == 0.0 && m->output != 0.0)
		m->zero_since = t;
	if (out != 0.0)
		m->last_sign = sign(out);
	m->output = out;
	return out;
}

double modelctl_step(struct modelctl *m, double t, double target, const struct estimator *e, double limit_cool)
{
	double dt = m->started ? t - m->last_t : 0.0;
	if (dt < 0 || dt > 5.0)
		dt = 0.0;
	m->started = true;
	m->last_t = t;
	if (target != m->last_target) {
		m->integral_w = 0; /* what the model missed at one target says little about the next */
		m->arrived = false;
	}
	m->last_target = target;

	struct thermal_params p;
	estimator_params(e, &p);
	double tp = e->x[EST_PLATE], tt = e->x[EST_TISSUE], ts = e->x[EST_SINK], ta = e->x[EST_AMBIENT];
	double err = target - tp;
	if (fabs(err) < 0.05)
		m->arrived = true;
	/* on the way: full speed to within the margin, then settle slowly,
	 * so that what the estimate still gets wrong about a pad it has just
	 * met lands short of the target rather than past it */
	double rate = err / m->cfg.approach_s;
	if (!m->arrived)
		rate = copysign(fmax((fabs(err) - m->cfg.approach_margin_c) / m->cfg.approach_s, fabs(err) / m->cfg.settle_s),
				err);
	double losses = p.plate_to_ambient_w_per_k * (tp - ta) + p.tissue_to_plate_w_per_k * (tp - tt);
	double heat = p.plate_j_per_k * rate + losses + m->integral_w;
	double i = thermal_current_for_heat(&p, heat, tp, ts);
	/* more than the bridge's current: full drive, its limit does the rest */
	double want = i >= p.current_max_a ? 1.0 : i <= -p.current_max_a ? -1.0 : thermal_drive_for(&p, i, tp, ts);
	double lo = -limit_cool, hi = 1.0;
	bool saturated = (want >= hi && err > 0) || (want <= lo && err < 0);
	if (fabs(err) < 1.0 && dt > 0 && !saturated) {
		double ki = p.plate_j_per_k / (m->cfg.approach_s * m->cfg.integral_s);
		m->integral_w = clampd(m->integral_w + ki * err * dt, -m->cfg.integral_max_w, m->cfg.integral_max_w);
	}
	return constrain(m, t, dt, clampd(want, lo, hi));
}

void modelctl_idle(struct modelctl *m, double t)
{
	if (m->output != 0.0)
		m->zero_since = t;
	m->output = 0.0;
	m->started = false;
}

double modelctl_reach(const struct estimator *e, double target, double sink_limit_c)
{
	struct thermal_params p;
	estimator_params(e, &p);
	double tp, tt, ts, ta = e->x[EST_AMBIENT];
	thermal_steady(&p, 0.0, ta, &tp, &tt, &ts); /* where the plate rests undriven */
	if (target > tp) {
		thermal_steady(&p, 1.0, ta, &tp, &tt, &ts);
		double hi = tp - REACH_MARGIN_C;
		return target > hi ? hi : target;
	}
	/* cooling heats the sink: the strongest drive whose balance keeps it
	 * within its limit (the core derates cooling beyond it) */
	double lo_u = 0, hi_u = 1;
	thermal_steady(&p, -1.0, ta, &tp, &tt, &ts);
	if (ts > sink_limit_c) {
		for (int i = 0; i < 20; i++) {
			double u = (lo_u + hi_u) / 2;
			thermal_steady(&p, -u, ta, &tp, &tt, &ts);
			if (ts > sink_limit_c)
				hi_u = u;
			else
				lo_u = u;
		}
		thermal_steady(&p, -lo_u, ta, &tp, &tt, &ts);
	}
	double lo = tp + REACH_MARGIN_C;
	return target < lo ? lo : target;
}
