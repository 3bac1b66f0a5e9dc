/* SPDX-License-Identifier: MIT */
#include "laginv.h"

#include <string.h>

#define LAGINV_MAX_RATE 3.0 /* C/s; full heating of the reference pad is 1.5 */

void laginv_init(struct laginv *e, double lag_s, double filter_s)
{
	memset(e, 0, sizeof *e);
	e->lag_s = lag_s;
	e->filter_s = filter_s;
}

double laginv_update(struct laginv *e, double t, double y)
{
	double dt = e->started ? t - e->last_t : 0.0;
	if (e->started && dt > 0.0 && dt < 5.0) {
		double raw = (y - e->last_y) / dt;
		e->rate += dt / (e->filter_s + dt) * (raw - e->rate);
	} else if (!e->started || dt >= 5.0) {
		e->rate = 0.0; /* first reading, or after a long gap */
	}
	e->started = true;
	e->last_t = t;
	e->last_y = y;
	/* a plate cannot move faster than its module can drive it: a jump
	 * in a reading is a sensor event, not a rate to extrapolate */
	if (e->rate > LAGINV_MAX_RATE)
		e->rate = LAGINV_MAX_RATE;
	if (e->rate < -LAGINV_MAX_RATE)
		e->rate = -LAGINV_MAX_RATE;
	e->estimate = y + e->lag_s * e->rate;
	return e->estimate;
}
