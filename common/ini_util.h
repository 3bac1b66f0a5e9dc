/* SPDX-License-Identifier: MIT */
/*
 * What every INI reader of the project (configuration, profiles, pad
 * descriptions) needs beside inih: the first error with its wording, and
 * numbers read strictly. Pure.
 */
#ifndef THERMOPAD_INI_UTIL_H
#define THERMOPAD_INI_UTIL_H

#include <stdbool.h>

/* The first error of a parse: inih reports the line of the first handler
 * that returns 0, so the message kept is the first one too. */
struct ini_error {
	bool failed;
	char msg[256];
};

/* Records the message unless one is recorded already; returns 0, what an
 * inih handler returns for an error. */
__attribute__((format(printf, 2, 3))) int ini_fail(struct ini_error *e, const char *fmt, ...);

/* The whole text is one finite number (trailing blanks allowed): "40", "-2.5".
 * Not "40C", "", "nan", "1e999". */
bool ini_number(const char *text, double *out);

#endif
