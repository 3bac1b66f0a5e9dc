/* SPDX-License-Identifier: MIT */
#include "thermal.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void thermal_params_default(struct thermal_params *p)
{
	*p = (struct thermal_params){
		.plate_j_per_k = 80.0, .plate_to_ambient_w_per_k = 0.1,
		.tissue_j_per_k = 350.0, .tissue_to_plate_w_per_k = 1.5, .tissue_to_core_w_per_k = 0.8, .core_c = 37.0,
		.sink_j_per_k = 200.0, .sink_to_ambient_w_per_k = 4.0,
		.seebeck_v_per_k = 0.053, .resistance_ohm = 2.1, .conductance_w_per_k = 0.55,
		.supply_v = 12.0, .current_max_a = 6.0,
		.sensor_lag_s = 1.5,
	};
}

void thermal_module_heat(const struct thermal_params *p, double current_a, double plate_c, double sink_c,
			 double *plate_w, double *sink_w)
{
	thermal_module_heat_mean(p, current_a, current_a * current_a, plate_c, sink_c, plate_w, sink_w);
}

void thermal_module_heat_mean(const struct thermal_params *p, double current_a, double current_sq_a2, double plate_c,
			      double sink_c, double *plate_w, double *sink_w)
{
	double s = p->seebeck_v_per_k, i = current_a;
	double joule_half = current_sq_a2 * p->resistance_ohm / 2.0;
	double back = p->conductance_w_per_k * (plate_c - sink_c);
	*plate_w = s * i * (plate_c + THERMAL_KELVIN) + joule_half - back;
	*sink_w = -s * i * (sink_c + THERMAL_KELVIN) + joule_half + back;
}

/* The plate, the tissue and the sink moved on by h_s, at their rates at
 * the step's start. */
static void euler_step(const struct thermal_params *p, struct thermal_state *s, double current_a, double current_sq_a2,
		       double h_s)
{
	double tp = s->plate_c, tt = s->tissue_c, ts = s->sink_c, ta = s->ambient_c;
	double qp, qs;
	thermal_module_heat_mean(p, current_a, current_sq_a2, tp, ts, &qp, &qs);
	double contact = p->tissue_to_plate_w_per_k * (tp - tt);
	double dtp = (qp - p->plate_to_ambient_w_per_k * (tp - ta) - contact) / p->plate_j_per_k;
	double dtt = (contact - p->tissue_to_core_w_per_k * (tt - p->core_c)) / p->tissue_j_per_k;
	double dts = (qs - p->sink_to_ambient_w_per_k * (ts - ta)) / p->sink_j_per_k;
	s->plate_c += dtp * h_s;
	s->tissue_c += dtt * h_s;
	s->sink_c += dts * h_s;
}

void thermal_step(const struct thermal_params *p, struct thermal_state *s, double current_a, double h_s,
		  double lag_share)
{
	euler_step(p, s, current_a, current_a * current_a, h_s);
	/* the sensors follow the temperature at the step's end */
	s->lag_plate_c += (s->plate_c - s->lag_plate_c) * lag_share;
	s->lag_sink_c += (s->sink_c - s->lag_sink_c) * lag_share;
}

/* A sensor of time constant tau after h, its node going in a straight
 * line from u0 to u1: exact, where the end value alone would lead it. */
static double lag_over_ramp(double y0, double u0, double u1, double h, double decay, double tau)
{
	double rate_tau = (u1 - u0) / h * tau;
	return u1 - rate_tau + (y0 - u0 + rate_tau) * decay;
}

void thermal_step_mean(const struct thermal_params *p, struct thermal_state *s, double current_a, double current_sq_a2,
		       double h_s, double lag_decay)
{
	double tp = s->plate_c, ts = s->sink_c;
	euler_step(p, s, current_a, current_sq_a2, h_s);
	s->lag_plate_c = lag_over_ramp(s->lag_plate_c, tp, s->plate_c, h_s, lag_decay, p->sensor_lag_s);
	s->lag_sink_c = lag_over_ramp(s->lag_sink_c, ts, s->sink_c, h_s, lag_decay, p->sensor_lag_s);
}

void thermal_advance(const struct thermal_params *p, struct thermal_state *s, double current_a, double dt_s, int n)
{
	if (n < 1)
		n = 1;
	double h = dt_s / n;
	double lag_share = 1.0 - exp(-h / p->sensor_lag_s);
	for (int k = 0; k < n; k++)
		thermal_step(p, s, current_a, h, lag_share);
}

double thermal_tissue_balance(const struct thermal_params *p, double plate_c)
{
	double g_tp = p->tissue_to_plate_w_per_k, g_tc = p->tissue_to_core_w_per_k;
	return (g_tp * plate_c + g_tc * p->core_c) / (g_tp + g_tc);
}

double thermal_current(const struct thermal_params *p, double drive, double plate_c, double sink_c)
{
	double i = (drive * p->supply_v - p->seebeck_v_per_k * (plate_c - sink_c)) / p->resistance_ohm;
	return fmax(-p->current_max_a, fmin(p->current_max_a, i));
}

double thermal_drive_for(const struct thermal_params *p, double current_a, double plate_c, double sink_c)
{
	return (current_a * p->resistance_ohm + p->seebeck_v_per_k * (plate_c - sink_c)) / p->supply_v;
}

double thermal_current_for_heat(const struct thermal_params *p, double plate_w, double plate_c, double sink_c)
{
	/* R/2 i^2 + S T i - (K dT + plate_w) = 0 */
	double a = p->resistance_ohm / 2.0, b = p->seebeck_v_per_k * (plate_c + THERMAL_KELVIN);
	double c = -(p->conductance_w_per_k * (plate_c - sink_c) + plate_w);
	double disc = b * b - 4 * a * c;
	if (disc <= 0)
		return -b / (2 * a); /* the most cooling any current gives */
	return (-b + sqrt(disc)) / (2 * a);
}

void thermal_steady(const struct thermal_params *p, double drive, double ambient_c, double *plate_c,
		    double *tissue_c, double *sink_c)
{
	double g_tp = p->tissue_to_plate_w_per_k, g_tc = p->tissue_to_core_w_per_k;
	double g_ser = g_tp * g_tc / (g_tp + g_tc), kc = p->conductance_w_per_k, s = p->seebeck_v_per_k;
	double g_pa = p->plate_to_ambient_w_per_k, g_sa = p->sink_to_ambient_w_per_k;
	double tp = ambient_c, ts = ambient_c, i = 0;
	/* the current depends on the temperatures it makes: a damped fixed
	 * point, linear in the temperatures for a given current */
	for (int it = 0; it < 60; it++) {
		double i_before = i;
		i = 0.5 * i + 0.5 * thermal_current(p, drive, tp, ts);
		double j = i * i * p->resistance_ohm / 2.0;
		double a11 = s * i - kc - g_pa - g_ser, a12 = kc;
		double b1 = -s * i * THERMAL_KELVIN - j - g_pa * ambient_c - g_ser * p->core_c;
		double a21 = kc, a22 = -s * i - kc - g_sa;
		double b2 = s * i * THERMAL_KELVIN - j - g_sa * ambient_c;
		double det = a11 * a22 - a12 * a21;
		if (fabs(det) < 1e-12)
			break;
		double tp_next = (b1 * a22 - a12 * b2) / det, ts_next = (a11 * b2 - a21 * b1) / det;
		/* the same state twice is the fixed point itself: every further
		 * step would repeat it exactly */
		bool settled = tp_next == tp && ts_next == ts && i == i_before;
		tp = tp_next;
		ts = ts_next;
		if (settled)
			break;
	}
	*plate_c = tp;
	*sink_c = ts;
	*tissue_c = (g_tp * tp + g_tc * p->core_c) / (g_tp + g_tc);
}

#define F(name) {#name, offsetof(struct thermal_params, name)}
static const struct {
	const char *key;
	size_t offset;
} thermal_keys[] = {
	F(plate_j_per_k), F(plate_to_ambient_w_per_k), F(tissue_j_per_k), F(tissue_to_plate_w_per_k),
	F(tissue_to_core_w_per_k), F(sink_j_per_k), F(sink_to_ambient_w_per_k), F(seebeck_v_per_k),
	F(resistance_ohm), F(conductance_w_per_k), F(supply_v), F(sensor_lag_s),
};
#undef F
#define NKEYS (sizeof thermal_keys / sizeof thermal_keys[0])

static double *field(struct thermal_params *p, size_t i)
{
	return (double *)((char *)p + thermal_keys[i].offset);
}

size_t thermal_format(const struct thermal_params *p, char *buf, size_t len)
{
	size_t used = 0;
	int n = snprintf(buf, len, "[model]\n");
	used = n > 0 ? (size_t)n : 0;
	struct thermal_params copy = *p;
	for (size_t i = 0; i < NKEYS; i++) {
		n = snprintf(buf + (used < len ? used : len), used < len ? len - used : 0, "%s = %.6g\n",
			     thermal_keys[i].key, *field(&copy, i));
		used += n > 0 ? (size_t)n : 0;
	}
	return used;
}

static int parse_key(struct thermal_params *p, const char *key, const char *value, char *err, size_t errlen)
{
	struct thermal_params ref;
	thermal_params_default(&ref);
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(key, thermal_keys[i].key) != 0)
			continue;
		char *end;
		errno = 0;
		double v = strtod(value, &end);
		double r = *field(&ref, i);
		if (end == value || *end || errno || !isfinite(v) || v < r / 5 || v > r * 5) {
			snprintf(err, errlen, "[model] %s = %s: not within 5x of the reference pad's %g", key, value, r);
			return -1;
		}
		*field(p, i) = v;
		return 0;
	}
	snprintf(err, errlen, "[model]: unknown key '%s'", key);
	return -1;
}

struct model_parse {
	struct thermal_params p;
	char err[200];
};

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct model_parse *mp = user;
	if (strcmp(section, "model") != 0)
		return 1; /* another reader's section */
	return parse_key(&mp->p, key, value, mp->err, sizeof mp->err) == 0;
}

int thermal_parse(const char *text, struct thermal_params *p, char *err, size_t errlen)
{
	struct model_parse mp = {.p = *p};
	int line = ini_parse_string(text, on_key, &mp);
	if (line != 0) {
		snprintf(err, errlen, "line %d: %s", line, mp.err[0] ? mp.err : "syntax error");
		return -1;
	}
	*p = mp.p;
	return 0;
}
