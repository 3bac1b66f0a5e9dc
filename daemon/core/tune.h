/* SPDX-License-Identifier: MIT */
/*
 * Autotune: a relay test around a safe target, for heating and for cooling
 * separately. The relay swings the drive between bias - d and bias + d, both
 * of one sign (a Peltier module is never reversed to tune it); the plate
 * oscillates, and its period and amplitude give the ultimate gain, from
 * which the conservative "no overshoot" rules take the gains for skin
 * contact. Aborts on any excursion beyond the allowed band or after a time
 * limit. Pure: the core feeds it samples.
 */
#ifndef THERMOPAD_TUNE_H
#define THERMOPAD_TUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "pid.h"

#define TUNE_CYCLES 4

enum tune_state { TUNE_IDLE, TUNE_APPROACH, TUNE_RELAY, TUNE_DONE, TUNE_ABORTED };

struct tune {
	enum tune_state state;
	bool heating; /* tuning the heating gains (else cooling) */
	double target, bias, d, hysteresis;
	double max_excursion_c, time_limit_s;
	double start_t;
	int high; /* relay position: +1 or -1 */
	double last_switch_t, extreme_hi, extreme_lo;
	int switches;
	double period_sum, amp_sum;
	int samples_used;
	char reason[160];
	struct pid_gains result;
};

/* target: a safe temperature (e.g. 38 C to tune heating, 20 C cooling);
 * bias: the drive that roughly holds it (sign decides heat or cool). */
void tune_start(struct tune *t, double now, double target, double bias, double d);

/* One sample of the estimated plate temperature; returns the drive. */
double tune_step(struct tune *t, double now, double pv);

/* The calibration of a pad as INI text, and back (pure). */
size_t tune_format(const struct pid_config *cfg, const char *serial, char *buf, size_t len);
int tune_parse(const char *text, struct pid_config *cfg, char *err, size_t errlen);

#endif
