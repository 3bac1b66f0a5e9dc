/* SPDX-License-Identifier: MIT */
/*
 * A tune never makes control worse: before its figures become the pad's
 * starting point, the controller is tried from them and from the figures
 * it would start from without them, on the model of the pad as the tune
 * has learned it and on that model's neighbours (a lighter plate with a
 * slower sensor, a heavier one with a faster sensor: what a tune may still
 * have wrong), each try with a fresh estimator from its own figures and
 * the model controller, a heating step and a cooling step each. The tune
 * passes when on every try it overshoots at most TUNECHECK_OVERSHOOT_C
 * more, and reaches the band at most TUNECHECK_REACH_S later, than the
 * untuned figures. Pure; about 40 ms of one core, once at the end of a tune.
 */
#ifndef THERMOPAD_TUNECHECK_H
#define THERMOPAD_TUNECHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "modelctl.h"
#include "thermal.h"

#define TUNECHECK_OVERSHOOT_C 0.02
#define TUNECHECK_REACH_S 1.0
#define TUNECHECK_BAND_C 0.3

/* One try: a step on a plant, from the two starting points. */
struct tunecheck_try {
	const char *plant; /* "as learned", "lighter plate, slower sensor", ... */
	double from_c, to_c;
	double overshoot_c[2]; /* [0] untuned, [1] tuned: past the target on the plant's plate */
	double reach_s[2]; /* to within TUNECHECK_BAND_C; INFINITY if never in the window */
};

#define TUNECHECK_TRIES 6

struct tunecheck {
	struct tunecheck_try tries[TUNECHECK_TRIES];
	int ntries;
	int worst; /* the try that refused the tune; -1 when it passed */
};

/* Tries untuned and tuned figures on the pad as learned (plant, with the
 * room at ambient_c); true when the tune is no worse anywhere. */
bool tunecheck_run(const struct thermal_params *plant, double ambient_c, const struct thermal_params *untuned,
		   const struct thermal_params *tuned, const struct modelctl_config *mc, struct tunecheck *out);

/* The verdict in words: what was compared, and where the tune lost. */
size_t tunecheck_describe(const struct tunecheck *c, char *buf, size_t len);

#endif
