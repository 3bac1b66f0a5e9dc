/* SPDX-License-Identifier: MIT */
/* docs/safety.md from the verdicts: worst rows first, open hazards on top. */
#ifndef THERMOPAD_SAFETY_REPORT_H
#define THERMOPAD_SAFETY_REPORT_H

#include <stdio.h>

#include "judge.h"

struct report_run {
	int npads;
	const char *pads[16];
	double cpu_s; /* the in-process rows */
	int inproc_runs, e2e_runs;
	const char *beyond_path; /* hand-written: what software cannot catch */
};

int report_write(FILE *f, struct row_result *rows, int n, const struct report_run *run);

#endif
