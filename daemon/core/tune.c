/* SPDX-License-Identifier: MIT */
#include "tune.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tune_start(struct tune *t, double now, double target, double bias, double d)
{
	memset(t, 0, sizeof *t);
	t->state = TUNE_APPROACH;
	t->heating = bias >= 0;
	t->target = target;
	t->bias = bias;
	/* both relay positions keep the sign of the bias: no reversal */
	t->d = fmin(d, fmin(fabs(bias), 1.0 - fabs(bias)));
	t->hysteresis = 0.1;
	t->max_excursion_c = 3.0;
	t->time_limit_s = 900;
	t->start_t = now;
	t->extreme_hi = -1e9;
	t->extreme_lo = 1e9;
}

static double abort_with(struct tune *t, const char *why)
{
	t->state = TUNE_ABORTED;
	snprintf(t->reason, sizeof t->reason, "%s", why);
	return 0.0;
}

double tune_step(struct tune *t, double now, double pv)
{
	if (t->state != TUNE_APPROACH && t->state != TUNE_RELAY)
		return 0.0;
	if (now - t->start_t > t->time_limit_s)
		return abort_with(t, "time limit reached before the oscillation settled");
	if (t->state == TUNE_RELAY && fabs(pv - t->target) > t->max_excursion_c)
		return abort_with(t, "the plate left the allowed band around the tuning target");
	double err = t->target - pv;
	double sign = t->heating ? 1.0 : -1.0;
	if (t->state == TUNE_APPROACH) {
		/* full authority toward the target, of the tuning sign only */
		if (fabs(err) <= t->hysteresis) {
			t->state = TUNE_RELAY;
			t->high = err > 0 ? 1 : -1;
			t->last_switch_t = now;
		} else {
			double u = sign * 1.0;
			if ((err > 0) != (sign > 0))
				u = 0.0; /* on the wrong side: let it drift back */
			return u;
		}
	}
	if (pv > t->extreme_hi)
		t->extreme_hi = pv;
	if (pv < t->extreme_lo)
		t->extreme_lo = pv;
	int want = err > t->hysteresis ? 1 : err < -t->hysteresis ? -1 : t->high;
	if (want != t->high) {
		t->high = want;
		t->switches++;
		/* every second switch closes a period; skip the first one */
		if (t->switches >= 3 && t->switches % 2 == 1) {
			t->period_sum += now - t->last_switch_t;
			t->amp_sum += (t->extreme_hi - t->extreme_lo) / 2.0;
			t->samples_used++;
			t->extreme_hi = -1e9;
			t->extreme_lo = 1e9;
			t->last_switch_t = now;
		} else if (t->switches == 1) {
			t->last_switch_t = now;
			t->extreme_hi = -1e9;
			t->extreme_lo = 1e9;
		}
		if (t->samples_used >= TUNE_CYCLES) {
			double pu = t->period_sum / t->samples_used, a = t->amp_sum / t->samples_used;
			if (!(a > 0.005) || !(pu > 0.5))
				return abort_with(t, "no measurable oscillation");
			double ku = 4.0 * t->d / (M_PI * a);
			/* Tyreus-Luyben: a third of the ultimate gain and a long
			 * integral time, the conservative end of the relay rules:
			 * skin contact wants no overshoot more than speed */
			double kp = ku / 3.2, ti = 2.2 * pu, td = pu / 6.3;
			t->result = (struct pid_gains){.kp = kp, .ki = kp / ti, .kd = kp * td,
						       .ff_per_c = fabs(t->bias) / fmax(fabs(t->target - PID_NEUTRAL_C), 1.0)};
			t->state = TUNE_DONE;
			return 0.0;
		}
	}
	return t->bias + t->high * t->d;
}

size_t tune_format(const struct pid_config *cfg, const char *serial, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "# thermopad calibration of pad %s, written by autotune\n"
			 "[heat]\nkp = %.6g\nki = %.6g\nkd = %.6g\nff_per_c = %.6g\n\n"
			 "[cool]\nkp = %.6g\nki = %.6g\nkd = %.6g\nff_per_c = %.6g\n",
			 serial, cfg->heat.kp, cfg->heat.ki, cfg->heat.kd, cfg->heat.ff_per_c, cfg->cool.kp, cfg->cool.ki,
			 cfg->cool.kd, cfg->cool.ff_per_c);
	return n > 0 ? (size_t)n : 0;
}

struct tparse {
	struct pid_config *cfg;
	char msg[160];
};

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct tparse *tp = user;
	if (!strcmp(section, "model"))
		return 1; /* the estimator's figures: calibration.c reads them */
	struct pid_gains *g = !strcmp(section, "heat") ? &tp->cfg->heat : !strcmp(section, "cool") ? &tp->cfg->cool : NULL;
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (!g || end == value || *end || errno || !isfinite(v) || v < 0 || v > 100) {
		snprintf(tp->msg, sizeof tp->msg, "[%s] %s = %s: not a calibration value", section, key, value);
		return 0;
	}
	if (!strcmp(key, "kp"))
		g->kp = v;
	else if (!strcmp(key, "ki"))
		g->ki = v;
	else if (!strcmp(key, "kd"))
		g->kd = v;
	else if (!strcmp(key, "ff_per_c"))
		g->ff_per_c = v;
	else {
		snprintf(tp->msg, sizeof tp->msg, "[%s]: unknown key '%s'", section, key);
		return 0;
	}
	return 1;
}

int tune_parse(const char *text, struct pid_config *cfg, char *err, size_t errlen)
{
	struct pid_config tmp = *cfg;
	struct tparse tp = {.cfg = &tmp};
	int line = ini_parse_string(text, on_key, &tp);
	if (line != 0) {
		snprintf(err, errlen, "line %d: %s", line, tp.msg[0] ? tp.msg : "syntax error");
		return -1;
	}
	*cfg = tmp;
	return 0;
}
