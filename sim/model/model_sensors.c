/* SPDX-License-Identifier: MIT */
/*
 * The pad's temperature sensors as the firmware sees them: a first-order
 * lag (the sensor's own mass and the gel), Gaussian noise, a fixed offset,
 * and the converter's resolution. The random source lives in the struct
 * so that runs are reproducible from a seed.
 */
#include "model.h"

#include <math.h>

static uint64_t next_u64(uint64_t *state)
{
	/* splitmix64: small, fast, and good enough for sensor noise */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform01(uint64_t *state)
{
	/* (0, 1]: never zero, so log() below is finite */
	return ((double)(next_u64(state) >> 11) + 1.0) / 9007199254740992.0;
}

static double gaussian(uint64_t *state)
{
	double u1 = uniform01(state), u2 = uniform01(state);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double true_temp(const struct model *m, int i)
{
	return i == MODEL_SENSOR_SINK ? m->sink_c : m->plate_c;
}

void model_sensors_init(struct model_sensors *s, const struct model *m, uint64_t seed)
{
	for (int i = 0; i < 3; i++)
		s->lagged_c[i] = true_temp(m, i);
	s->rng = seed;
}

void model_sensors_read(struct model_sensors *s, const struct model *m, double dt_s, double out_c[3])
{
	const struct model_params *p = &m->p;
	double alpha = p->sensor_lag_s > 0 ? 1.0 - exp(-dt_s / p->sensor_lag_s) : 1.0;
	for (int i = 0; i < 3; i++) {
		s->lagged_c[i] += (true_temp(m, i) - s->lagged_c[i]) * alpha;
		double v = s->lagged_c[i] + p->sensor_offset_c[i] + p->sensor_noise_c * gaussian(&s->rng);
		if (p->sensor_resolution_c > 0)
			v = round(v / p->sensor_resolution_c) * p->sensor_resolution_c;
		out_c[i] = v;
	}
}
