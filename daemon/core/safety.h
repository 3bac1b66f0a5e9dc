/* SPDX-License-Identifier: MIT */
/*
 * The safety supervisor: independent of the controller, run on every
 * sample, each check small enough to read in a minute. A fault latches
 * until a person clears it, zeroes the drive in the same call, and names
 * the check, the sensor, the value, the limit and what the controller was
 * doing. Warnings are separate and do not latch. Pure.
 */
#ifndef THERMOPAD_SAFETY_H
#define THERMOPAD_SAFETY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct safety_limits {
	double plate_max_c, plate_min_c; /* hard cut-off */
	double setpoint_max_c, setpoint_min_c; /* targets a plan may ask for */
	double disagree_c; /* plate sensors A and B */
	int bad_samples; /* consecutive invalid readings before a fault */
	double frozen_s, frozen_drive; /* identical readings this long under this drive */
	double stale_zero_s, stale_fault_s; /* no telemetry */
	double progress_s, progress_c; /* after a target change: progress due */
	double hold_band_c, hold_s; /* while holding: error band and its time */
	double wrong_way_s, wrong_way_c, strong_drive; /* moving against strong drive */
	double off_current_a, off_s; /* current while the drive is off */
	double sink_limit_c, sink_max_c; /* limit cooling, then fault */
	double dose_cem43_min; /* heat dose cap per session (CEM43 minutes) */
	double cold_c, cold_phase_max_s, cold_session_max_s; /* cold exposure */
	double session_max_s;
};

/* The defaults, and the widest values any configuration may set. */
void safety_limits_default(struct safety_limits *l);
void safety_limits_hard(struct safety_limits *l);
/* Within the hard limits and consistent; -1 with a message if not. */
int safety_limits_validate(const struct safety_limits *l, char *err, size_t errlen);

/* What one sample tells the supervisor. */
struct safety_input {
	double t;
	double plate_c[2]; /* sensors A and B */
	bool plate_ok[2];
	double sink_c;
	bool sink_ok;
	double current_a;
	uint32_t fw_faults;
	double estimate_c; /* the controller's view of the true plate */
	double target_c; /* NaN when the drive is meant to be off */
	bool holding; /* in the target band's phase time */
	bool cold_phase;
	bool cooling_limited; /* the controller holds cooling back (hot heat sink) */
	double drive; /* the drive commanded at the previous sample */
	double drive_applied; /* what the firmware reports it applies */
	bool zero_received; /* ... and it has acknowledged the zero command */
	const char *doing; /* "heating toward 40.00 C in phase 1 (heat)" */
};

enum { SAFETY_WARN_MAX = 4 };

struct safety {
	struct safety_limits lim;
	bool latched;
	char code[32];
	char message[320];
	/* warnings raised by the last check (not latched) */
	int nwarn;
	char warn_code[SAFETY_WARN_MAX][32];
	char warn_message[SAFETY_WARN_MAX][200];
	/* check state */
	int bad[3], disagree;
	double frozen_since;
	double frozen_value[2];
	double last_sample_t;
	bool have_sample;
	double last_target;
	double progress_t, progress_err;
	double hold_out_since;
	double wrong_t, wrong_temp;
	int wrong_sign;
	double off_since, disobey_since;
	double cem43_min, cold_phase_s, cold_session_s;
	double session_start;
	bool session_running;
};

void safety_init(struct safety *s, const struct safety_limits *lim);
void safety_session_start(struct safety *s, double t);
void safety_session_end(struct safety *s);
void safety_phase_start(struct safety *s);

/* Runs every check on a sample. Returns true when a fault is latched (now
 * or before): the caller's drive is then zero. */
bool safety_check(struct safety *s, const struct safety_input *in);

/* Without a sample: returns 1 when the drive must be zero (stale), and
 * latches the stale fault past its limit. */
int safety_check_time(struct safety *s, double t, const char *doing);

/* A fault from outside the core (pad gone, emergency stop). */
void safety_latch(struct safety *s, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clears the latch unless its cause is still present in the last sample
 * (e.g. a plate still above the maximum); -1 with the reason then. */
int safety_clear(struct safety *s, const struct safety_input *last, char *why, size_t whylen);

/* The skin's thermal dose so far, CEM43 minutes. */
double safety_dose(const struct safety *s);

#endif
