/* SPDX-License-Identifier: MIT */
/*
 * A pad's calibration, by serial (STATE/calibration/SERIAL.ini): written
 * when a tune finishes (a sink of the pads' events), read when the pad
 * arrives, so that tuned gains are used from then on.
 */
#ifndef THERMOPAD_STORE_CALIBRATION_H
#define THERMOPAD_STORE_CALIBRATION_H

#include <stddef.h>

#include "core/pid.h"
#include "pad/pad.h"

struct calibration_store {
	const char *state_dir;
};

/* 1 with *cfg filled (from the defaults in *cfg), 0 when the pad was
 * never tuned, -1 with why in err when the file is broken. */
int calibration_load(const struct calibration_store *s, const char *serial, struct pid_config *cfg, char *path,
		     size_t pathlen, char *err, size_t errlen);
int calibration_save(const struct calibration_store *s, const char *serial, const struct pid_config *cfg, char *path,
		     size_t pathlen, char *err, size_t errlen);
struct pad_sink calibration_sink(struct calibration_store *s);

#endif
