/* SPDX-License-Identifier: MIT */
/*
 * What the skin got since a mark, from the model's truth at every firmware
 * tick: the extremes of the true plate and tissue, the thermal dose, the
 * time spent cold, when the drive last reached the module and when each
 * layer first acted. A safety case judges by it, never by what the
 * software reports. Pure; the in-process runner and the simulator's
 * control socket share it.
 */
#ifndef THERMOPAD_EXPOSURE_H
#define THERMOPAD_EXPOSURE_H

#include <stdbool.h>

#include "pad.h"

/* Skin at 10 C loses about a third of its nerve conduction: below it the
 * person no longer feels cold injury coming. */
#define EXPOSURE_COLD_C 10.0

struct exposure {
	double since_s; /* model time of the mark */
	double plate_max_c, plate_min_c, tissue_max_c, tissue_min_c;
	double cem43_min; /* on the true plate (the skin's surface) */
	double cold_s; /* true plate below EXPOSURE_COLD_C */
	double last_drive_s; /* last tick with drive reaching the module; < since_s if none */
	double fw_fault_s; /* first tick with a firmware fault bit; < 0 if none */
	unsigned fw_faults; /* every bit seen since the mark */
	double fuse_s; /* first tick with the fuse open; < 0 if none */
	bool fuse_was_open; /* at the mark (an injected or earlier opening) */
	double watchdog_s; /* first tick the hardware watchdog reset the MCU; < 0 if none */
	unsigned watchdog_resets; /* its count at the mark */
};

void exposure_mark(struct exposure *e, const struct pad_truth *t);
/* One firmware tick of dt seconds ending at t. */
void exposure_update(struct exposure *e, const struct pad_truth *t, double dt_s);

#endif
