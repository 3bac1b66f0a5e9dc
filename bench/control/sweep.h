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
#include "profile.h"

#define SWEEP_DT_S 0.1 /* the telemetry period */
#define SWEEP_PADS_MAX 128

/* The next pad of the sweep; *rng is the seed's running state. */
void sweep_draw(uint64_t *rng, struct model_params *p);

struct sweep_pad {
	char name[48];
	struct model_params p;
};

/* The pad descriptions named (shown by their file names), then nsweep
 * drawn from seed (sweep-0, sweep-1, ...), at most SWEEP_PADS_MAX in all:
 * how many, or -1 with err when a description does not load. */
int sweep_pads(const char *const *paths, int npaths, int nsweep, uint64_t seed, struct sweep_pad *pads,
	       char *err, size_t errlen);

/* The profile `name` from the file at path, under the default limits,
 * from a plate at 32 C: 0, or -1 with err. */
int sweep_profile(const char *path, const char *name, struct profile *out, char *err, size_t errlen);

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
