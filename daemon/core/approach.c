/* SPDX-License-Identifier: MIT */
#include "approach.h"

#include <math.h>

#define APPROACH_DT_S 0.25
/* slower than this the plate is where the module can hold it: a target
 * still beyond is out of reach */
#define APPROACH_STALL_C_PER_S 0.002

double approach_time_s(const struct thermal_params *p, struct approach_state *st, double target_c, double band_c)
{
	if (!isfinite(target_c) || !isfinite(st->plate_c))
		return 0.0;
	double band = band_c > 0 ? band_c : 0.5;
	if (fabs(st->plate_c - target_c) <= band)
		return 0.0;
	double sign = target_c > st->plate_c ? 1.0 : -1.0;
	for (double t = 0; t < APPROACH_MAX_S; t += APPROACH_DT_S) {
		double plate_w, sink_w, current = thermal_current(p, sign, st->plate_c, st->sink_c);
		thermal_module_heat(p, current, st->plate_c, st->sink_c, &plate_w, &sink_w);
		double to_tissue = p->tissue_to_plate_w_per_k * (st->plate_c - st->tissue_c);
		double d_plate =
			(plate_w - to_tissue - p->plate_to_ambient_w_per_k * (st->plate_c - st->ambient_c)) / p->plate_j_per_k;
		double d_tissue = (to_tissue - p->tissue_to_core_w_per_k * (st->tissue_c - p->core_c)) / p->tissue_j_per_k;
		double d_sink = (sink_w - p->sink_to_ambient_w_per_k * (st->sink_c - st->ambient_c)) / p->sink_j_per_k;
		st->plate_c += d_plate * APPROACH_DT_S;
		st->tissue_c += d_tissue * APPROACH_DT_S;
		st->sink_c += d_sink * APPROACH_DT_S;
		if (sign * (target_c - st->plate_c) <= band) {
			st->plate_c = target_c;
			return t + APPROACH_DT_S;
		}
		if (sign * d_plate < APPROACH_STALL_C_PER_S) /* the module can take it no further */
			break;
	}
	return APPROACH_MAX_S;
}
