/* SPDX-License-Identifier: MIT */
/*
 * How long the plate takes to reach a target: the pad's thermal model
 * (thermal.h, with the figures learned for this pad) run forward at the
 * module's full current toward the target until the plate is in the
 * target band. It is what a plan's phases do not count: a phase's clock
 * starts in the band. Pure; a few thousand model steps a call, so it is
 * computed when a step begins, not for every status.
 */
#ifndef THERMOPAD_APPROACH_H
#define THERMOPAD_APPROACH_H

#include "thermal.h"

#define APPROACH_MAX_S 1800.0 /* beyond this a target is not reached in a session */
#define APPROACH_REST_S 2.5 /* the rest at zero before the module reverses */

struct approach_state {
	double plate_c, tissue_c, sink_c, ambient_c;
};

/* Seconds from st to within band_c of target_c; APPROACH_MAX_S when the
 * model does not get there. st is left where the plate arrives. */
double approach_time_s(const struct thermal_params *p, struct approach_state *st, double target_c, double band_c);

#endif
