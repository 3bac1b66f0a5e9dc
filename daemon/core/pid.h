/* SPDX-License-Identifier: MIT */
/*
 * The temperature controller: one signed output (heat positive), with a
 * gain set for heating and one for cooling, since a Peltier pad is far
 * from symmetric. It acts on the lag inversion's estimate of the TRUE
 * plate temperature (laginv.h). The controller before the model-based one
 * (modelctl.h); kept selectable (core_config.control) for the control
 * bench's comparison, and autotune still sets its gains. Pure.
 */
#ifndef THERMOPAD_PID_H
#define THERMOPAD_PID_H

#include <stdbool.h>

/* Skin-neutral: where a plate against skin holds with no drive, and the
 * line between heat and cold phases. The one place this number is written. */
#define PID_NEUTRAL_C 32.0

struct pid_gains {
	double kp; /* drive per C of error */
	double ki; /* drive per C*s */
	double kd; /* drive per C/s of measured rate (derivative on measurement) */
	double ff_per_c; /* feed-forward: steady drive per C away from neutral */
};

struct pid_config {
	struct pid_gains heat, cool;
	double neutral_c; /* where holding needs no drive (skin, about 32 C) */
	double deriv_filter_s; /* time constant of the derivative filter */
	double slew_per_s; /* largest change of output per second */
	double rest_s; /* output held at zero before a change of sign */
	double integral_band_c; /* integrate only this close to the target */
};

void pid_config_default(struct pid_config *c);

struct pid {
	struct pid_config cfg;
	double integral; /* in drive units */
	double rate_c_per_s; /* filtered measured rate */
	double last_pv;
	double last_t;
	bool started;
	double output;
	int last_sign; /* sign of the last non-zero output */
	double zero_since; /* when the output last became zero */
};

void pid_init(struct pid *p, const struct pid_config *cfg);

/* One step at time t (seconds, the measured interval is used) towards
 * target with the estimated plate temperature pv; limit_cool in [0,1]
 * scales the cooling authority (a hot heat sink). Returns the output in
 * [-1, 1]. */
double pid_step(struct pid *p, double t, double target, double pv, double limit_cool);

/* Output zero now (pause, fault, off), remembering for the rest timer. */
void pid_idle(struct pid *p, double t);

#endif
