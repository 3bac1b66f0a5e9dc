/* SPDX-License-Identifier: MIT */
/*
 * Pad descriptions: every model parameter from an INI file, so that another
 * pad is described without code changes. Unknown sections and keys are
 * errors; every error names the file and the line.
 */
#ifndef THERMOPAD_MODEL_INI_H
#define THERMOPAD_MODEL_INI_H

#include <stddef.h>

#include "model.h"

/* Starts from the reference pad, so a file names only what differs. */
int model_params_load(const char *path, struct model_params *p, char *err, size_t errlen);
int model_params_from_string(const char *text, const char *filename, struct model_params *p, char *err,
			     size_t errlen);

#endif
