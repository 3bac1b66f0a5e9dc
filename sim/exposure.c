/* SPDX-License-Identifier: MIT */
#include "exposure.h"

#include <math.h>

void exposure_mark(struct exposure *e, const struct pad_truth *t)
{
	*e = (struct exposure){
		.since_s = t->time_s,
		.plate_max_c = t->plate_c, .plate_min_c = t->plate_c,
		.tissue_max_c = t->tissue_c, .tissue_min_c = t->tissue_c,
		.last_drive_s = t->module_drive != 0.0 ? t->time_s : t->time_s - 1.0,
		.fw_fault_s = -1.0,
		.fuse_s = -1.0,
		.fuse_was_open = t->fuse_open || t->cold_cutout_open,
		.watchdog_s = -1.0,
		.watchdog_resets = t->watchdog_resets,
	};
}

void exposure_update(struct exposure *e, const struct pad_truth *t, double dt_s)
{
	e->plate_max_c = fmax(e->plate_max_c, t->plate_c);
	e->plate_min_c = fmin(e->plate_min_c, t->plate_c);
	e->tissue_max_c = fmax(e->tissue_max_c, t->tissue_c);
	e->tissue_min_c = fmin(e->tissue_min_c, t->tissue_c);
	/* CEM43 (Sapareto and Dewey): R = 0.5 at or above 43 C, 0.25 below */
	double r = t->plate_c >= 43.0 ? 0.5 : 0.25;
	e->cem43_min += dt_s / 60.0 * pow(r, 43.0 - t->plate_c);
	if (t->plate_c < EXPOSURE_COLD_C)
		e->cold_s += dt_s;
	if (t->module_drive != 0.0)
		e->last_drive_s = t->time_s;
	if (t->fw_faults && e->fw_fault_s < 0)
		e->fw_fault_s = t->time_s;
	e->fw_faults |= t->fw_faults;
	/* the hardware chain in series with the module: the thermal fuse and
	 * the cold cut-out (the safety case's layer "fuse") */
	if ((t->fuse_open || t->cold_cutout_open) && !e->fuse_was_open && e->fuse_s < 0)
		e->fuse_s = t->time_s;
	/* the hardware watchdog (the safety case's layer "watchdog") */
	if (t->watchdog_resets != e->watchdog_resets && e->watchdog_s < 0)
		e->watchdog_s = t->time_s;
}
