/* SPDX-License-Identifier: MIT */
/*
 * Therapy profiles: INI text (read with inih, from memory) into a plan.
 * Units are in the key names; unknown sections and keys are errors; every
 * error names the file and the line; a value outside the safety envelope
 * is refused with a message, never clamped. Format: docs/profiles.md.
 */
#ifndef THERMOPAD_PROFILE_H
#define THERMOPAD_PROFILE_H

#include <stddef.h>

#include "plan.h"
#include "safety.h"

#define PROFILE_DESC_MAX 160

struct profile {
	struct plan plan;
	char description[PROFILE_DESC_MAX];
};

struct profile_error {
	char file[128];
	int line; /* 0 when the error is about the whole file */
	char message[256];
	char text[400]; /* "file:line: message", ready to show */
};

/* lim: the envelope the targets must lie in; neutral_c: skin neutral. */
int profile_parse(const char *text, const char *filename, const char *name, const struct safety_limits *lim,
		  double neutral_c, struct profile *out, struct profile_error *err);

/* An override as given on the command line, KEY=VALUE, where KEY is
 * cycles, end, band_c, or PHASE.KEY (e.g. hot.target_c=41). */
int profile_override(struct profile *p, const char *assignment, const struct safety_limits *lim, double neutral_c,
		     struct profile_error *err);

/* "contrast" from ".../contrast.ini"; -1 when it is not a profile file. */
int profile_name_from_filename(const char *filename, char *name, size_t len);

#endif
