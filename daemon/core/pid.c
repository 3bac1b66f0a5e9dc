/* SPDX-License-Identifier: MIT */
/*
 * Bumpless by construction: a new target keeps the integral (the drive
 * the plate needs where it is) and the derivative acts on the measurement
 * (a target step kicks nothing), filtered;
 * conditional integration (no wind-up while saturated or far away);
 * output slew limit; and a rest at zero before the sign changes, longer
 * than the firmware's own so that the two never fight.
 */
#include "pid.h"

#include <math.h>
#include <string.h>

void pid_config_default(struct pid_config *c)
{
	memset(c, 0, sizeof *c);
	/* tuned on the reference pad by the control bench (docs/bench/control.md) */
	c->heat = (struct pid_gains){.kp = 0.8, .ki = 0.04, .kd = 0.5, .ff_per_c = 0.026};
	c->cool = (struct pid_gains){.kp = 2.0, .ki = 0.1, .kd = 0.5, .ff_per_c = 0.036};
	c->neutral_c = PID_NEUTRAL_C;
	c->deriv_filter_s = 0.6;
	c->slew_per_s = 4.0;
	c->rest_s = 2.5;
	c->integral_band_c = 3.0;
}

void pid_init(struct pid *p, const struct pid_config *cfg)
{
	memset(p, 0, sizeof *p);
	p->cfg = *cfg;
	p->zero_since = -1e9;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int sign(double v)
{
	return (v > 0) - (v < 0);
}

static double apply_slew_and_rest(struct pid *p, double t, double dt, double want)
{
	double step = p->cfg.slew_per_s * dt;
	double out = clamp(want, p->output - step, p->output + step);
	/* never through zero in one go: stop at zero, rest, then reverse */
	if (sign(out) != 0 && p->last_sign != 0 && sign(out) != p->last_sign) {
		if (p->output != 0.0)
			out = 0.0;
		else if (t - p->zero_since < p->cfg.rest_s)
			out = 0.0;
	}
	if (out == 0.0 && p->output != 0.0)
		p->zero_since = t;
	if (out != 0.0)
		p->last_sign = sign(out);
	p->output = out;
	return out;
}

double pid_step(struct pid *p, double t, double target, double pv, double limit_cool)
{
	double dt = p->started ? t - p->last_t : 0.0;
	if (dt < 0 || dt > 5.0)
		dt = 0.0; /* a clock jump or a long gap: no rate from it */
	if (p->started && dt > 0) {
		double raw = (pv - p->last_pv) / dt;
		double a = dt / (p->cfg.deriv_filter_s + dt);
		p->rate_c_per_s += a * (raw - p->rate_c_per_s);
	}
	p->started = true;
	p->last_t = t;
	p->last_pv = pv;

	double err = target - pv;
	const struct pid_gains *g = target >= p->cfg.neutral_c ? &p->cfg.heat : &p->cfg.cool;
	double ff = g->ff_per_c * (target - p->cfg.neutral_c);
	double unsat = ff + g->kp * err + p->integral - g->kd * p->rate_c_per_s;
	double lo = -limit_cool, hi = 1.0;
	/* conditional integration: only near the target and only when the
	 * integral would not push further into saturation */
	if (fabs(err) < p->cfg.integral_band_c && dt > 0) {
		double next = p->integral + g->ki * err * dt;
		bool pushing_out = (unsat >= hi && err > 0) || (unsat <= lo && err < 0);
		if (!pushing_out)
			p->integral = clamp(next, -0.5, 0.5);
	}
	double want = clamp(ff + g->kp * err + p->integral - g->kd * p->rate_c_per_s, lo, hi);
	return apply_slew_and_rest(p, t, dt, want);
}

void pid_idle(struct pid *p, double t)
{
	if (p->output != 0.0)
		p->zero_since = t;
	p->output = 0.0;
	p->started = false;
}
