/* SPDX-License-Identifier: MIT */
/*
 * What the control benches share: the sweep's pads, drawn from a seed
 * across the ranges of issue 15, and a pad in the loop (firmware, model
 * and sensors, every frame through the codec) sampled at the telemetry
 * period. The control bench and the skin-limit bench draw the very same
 * pads from the same seed.
 */
#ifndef THERMOPAD_BENCH_SWEEP_H
#define THERMOPAD_BENCH_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "pad.h"

#define SWEEP_DT_S 0.1 /* the telemetry period */

/* The next pad of the sweep; *rng is the seed's running state. */
void sweep_draw(uint64_t *rng, struct model_params *p);

/* What reached the module at every firmware tick, when asked for: the
 * drive, and whether its circuit was open (then nothing flows). */
struct sweep_record {
	double *drive;
	bool *open;
	size_t n, cap;
};

struct sweep_loop {
	struct pad pad;
	uint16_t seq;
	double t;
	struct sweep_record *record; /* NULL: nothing recorded */
};

void sweep_loop_init(struct sweep_loop *l, const struct model_params *p, double plate_c, uint64_t seed);
void sweep_loop_send(struct sweep_loop *l, double drive);
/* Advance one telemetry period; false when no report came. */
bool sweep_loop_sample(struct sweep_loop *l, struct tp_telemetry *tel, struct core_sample *s);

#endif
