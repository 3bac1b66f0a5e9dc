/* SPDX-License-Identifier: MIT */
/*
 * The controller that uses the model: it asks the plate for a rate (the
 * distance to the target over a short time constant, so full drive while
 * far and easing off as it closes in, the last quarter degree slowly),
 * and turns that rate into the heat
 * the plate needs given what the tissue, the sink and the room take from
 * it now (all from the estimator), then into the module current that
 * pumps that heat and the drive that makes that current. Nothing in it is
 * tuned per pad: the pad's figures are the estimator's. A small integral
 * in watts takes up what the model still misses.
 *
 * Constraints: the drive stays within [-limit_cool, 1] (the hot-sink
 * derating), its change per second is bounded, and it rests at zero
 * before any change of sign, longer than the firmware's own rest. Pure.
 */
#ifndef THERMOPAD_MODELCTL_H
#define THERMOPAD_MODELCTL_H

#include <stdbool.h>

#include "estimator.h"

struct modelctl_config {
	double approach_s; /* time constant of the approach, and of the hold */
	double approach_margin_c; /* full speed to within this of the target, ... */
	double settle_s; /* ... then closing at this time constant (slow: the estimate may still trail a plate that has just slowed) */
	double integral_s; /* integral time of the hold */
	double integral_max_w;
	double slew_per_s; /* largest change of drive per second */
	double rest_s; /* drive held at zero before a change of sign */
	double reverse_min; /* a reversal is worth a rest only for this much drive */
};

void modelctl_config_default(struct modelctl_config *c);

struct modelctl {
	struct modelctl_config cfg;
	bool started;
	double last_t;
	double output;
	int last_sign;
	double zero_since;
	double integral_w;
	double last_target;
	bool arrived; /* at the target since it was set */
};

void modelctl_init(struct modelctl *m, const struct modelctl_config *cfg);

/* One step at time t towards target; limit_cool in [0, 1]. Returns the
 * drive in [-limit_cool, 1]. */
double modelctl_step(struct modelctl *m, double t, double target, const struct estimator *e, double limit_cool);

/* Drive zero now (pause, fault, off), remembered for the rest. */
void modelctl_idle(struct modelctl *m, double t);

/* The closest temperature to target that the pad can hold, by the model:
 * full heating in balance, or the strongest cooling that keeps the heat
 * sink at or below sink_limit_c in balance, less a margin to control with. */
double modelctl_reach(const struct estimator *e, double target, double sink_limit_c);

#endif
