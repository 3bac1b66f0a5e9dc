/* SPDX-License-Identifier: MIT */
/*
 * A pad's calibration, by serial (STATE/calibration/SERIAL.ini): the tuned
 * gains and the figures the estimator learned, written when a tune or a
 * session ends (a sink of the pads' events), read when the pad arrives,
 * so that both are used from then on.
 */
#ifndef THERMOPAD_STORE_CALIBRATION_H
#define THERMOPAD_STORE_CALIBRATION_H

#include <stddef.h>

#include "core/core.h"
#include "pad/pad.h"

struct calibration_store {
	const char *state_dir;
};

/* 1 with *cal filled (from the defaults in *cal), 0 when the pad was
 * never seen, -1 with why in err when the file is broken. */
int calibration_load(const struct calibration_store *s, const char *serial, struct calibration *cal, char *path,
		     size_t pathlen, char *err, size_t errlen);
int calibration_save(const struct calibration_store *s, const char *serial, const struct calibration *cal, char *path,
		     size_t pathlen, char *err, size_t errlen);
struct pad_sink calibration_sink(struct calibration_store *s);

#endif
