/* SPDX-License-Identifier: MIT */
/*
 * The control core: samples with timestamps in, a drive level and events
 * out; time is whatever the caller says (model time under the simulator).
 * No I/O, no clock, no globals: the daemon, the benchmarks and the tests
 * all run this same code.
 *
 *   core_init(&core, &cfg);
 *   core_start(&core, &plan, now, err, sizeof err);
 *   for each telemetry sample: core_on_sample(&core, &sample, &out); send out.drive
 *   on a timer when samples stop: core_on_tick(&core, now, &out); send out.drive
 */
#ifndef THERMOPAD_CORE_H
#define THERMOPAD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dose.h"
#include "estimator.h"
#include "laginv.h"
#include "modelctl.h"
#include "pid.h"
#include "plan.h"
#include "safety.h"
#include "tune.h"
#include "tunecheck.h"

/* Which controller drives the pad: the model's (the default), or the PID
 * on the lag inversion that came before it, kept for comparison. */
enum core_control { CORE_CONTROL_MODEL, CORE_CONTROL_PID };

struct core_config {
	struct safety_limits limits;
	enum core_control control;
	struct thermal_params model; /* the pad's figures to start from */
	struct modelctl_config modelctl;
	struct pid_config pid;
	double sensor_lag_s; /* the lag inversion's sensor time constant */
	double rate_filter_s;
	double stop_ramp_per_s; /* how fast a stop brings the drive to zero */
	double report_period_s; /* the pad's telemetry period, from GET_INFO */
};

void core_config_default(struct core_config *c);

/* What is kept of a pad between sessions, by serial: the gains autotune
 * found and the figures the estimator has learned (tune_format and
 * thermal_format write them, tune_parse and thermal_parse read them). */
struct calibration {
	struct pid_config pid;
	struct thermal_params model;
};

struct core_sample {
	double t; /* seconds on the pad's device time (windows, plan, doses) */
	double arrival_t; /* when it reached the caller, its clock (staleness); 0: t */
	double plate_c[2]; /* sensors A, B */
	bool plate_ok[2];
	double sink_c;
	bool sink_ok;
	double current_a;
	double voltage_v; /* the module's terminal voltage */
	bool voltage_ok;
	double drive_applied; /* what the firmware applied, -1..1 */
	/* the firmware has acknowledged (by sequence number) a zero-drive
	 * command, and no other drive was sent since */
	bool zero_received;
	uint32_t fw_faults;
	uint8_t fw_state;
};

enum core_severity { CORE_INFO, CORE_WARNING, CORE_FAULT };

#define CORE_MAX_EVENTS 8

struct core_event {
	enum core_severity severity;
	char code[32]; /* stable: "phase", "session-end", "plate-over", ... */
	char message[SAFETY_MESSAGE_MAX];
};

struct core_output {
	double drive; /* -1..1, heat positive: send it as SET_OUTPUT */
	int nevents;
	struct core_event events[CORE_MAX_EVENTS];
};

enum core_state { CORE_IDLE, CORE_RUNNING, CORE_PAUSED, CORE_STOPPING, CORE_TUNING };

struct core {
	struct core_config cfg;
	struct safety safety;
	struct estimator est;
	struct laginv lag;
	struct modelctl mctl;
	int reach_step; /* the step whose target the model found out of reach; -1 */
	struct pid pid;
	struct plan plan;
	struct plan_run run;
	/* the model's time to reach each step's target from the one before
	 * (approach.h), made when a step begins; the plate when it began */
	double approach_s[PLAN_MAX_STEPS];
	double step_start_c;
	enum core_state state;
	double drive;
	double estimate_c;
	bool have_sample;
	struct safety_input last_input;
	double last_t;
	char outcome[32]; /* how the last session ended */
	char warnings[SAFETY_WARN_MAX][32]; /* active, for edge-triggered events */
	int nwarnings;
	double session_start;
	bool pad_away; /* a "disconnected" fault came, and no sample since */
	/* doses across sessions; its times are the core's plus epoch_offset_s */
	struct dose_ledger ledger;
	double epoch_offset_s;
	/* the pad's firmware's own exposure bounds, inside which the caps are
	 * kept (core_set_firmware_bounds) */
	struct safety_fw_bounds fw;
	/* exposure between sessions, not yet in the ledger (core.c,
	 * idle_exposure) */
	double idle_heat_cem43_min, idle_cold_s;
	/* a clear waiting for the pad's next reports to judge it */
	bool clear_pending, clear_seen_frame;
	double clear_asked_t, clear_first_t;
	char stop_outcome[32]; /* what a stop ramp ends as */
	/* autotune: hold at the tuning target to learn the bias, then relay */
	struct tune tune;
	bool tune_heating;
	double tune_target, tune_started, tune_hold_since, tune_drive_sum;
	int tune_drive_n;
	/* the tune's figures on trial (tunecheck.h), a slice per sample */
	bool tune_judging;
	struct thermal_params tune_figures;
	struct tunecheck tunecheck;
};

/* Simulated samples of the tune check per control sample: its cost in
 * one tick is bounded (the whole check takes a few seconds of ticks). */
#define CORE_TUNECHECK_SLICE_SAMPLES 50

struct core_status {
	enum core_state state;
	const char *state_name;
	bool fault;
	char fault_code[32];
	char fault_message[SAFETY_MESSAGE_MAX];
	char plan_name[PLAN_NAME_MAX];
	int step, nsteps, cycle, ncycles;
	const char *phase_kind; /* NULL between sessions */
	char phase_name[PLAN_NAME_MAX];
	double target_c, setpoint_c; /* NaN when off */
	bool in_band;
	double phase_left_s, session_left_s, session_elapsed_s;
	/* what the phases' clocks do not count: the time still to reach this
	 * step's target, and the whole session's time left with every
	 * approach (the pad's model) */
	double approach_left_s, session_total_left_s;
	double estimate_c, drive;
	double skin_c; /* the estimated tissue under the pad ... */
	double skin_lo_c, skin_hi_c; /* ... and where it is for certain (estimator_skin_bounds) */
	double dose_cem43_min, cold_session_s;
	/* across sessions (the dose ledger): the recent pools and the last 24 h */
	double dose_recent_cem43_min, cold_recent_s, dose_day_cem43_min, cold_day_s;
	double dose_day_max_cem43_min, cold_day_max_s;
	int nwarnings;
	char warnings[SAFETY_WARN_MAX][32];
	const char *outcome;
};

void core_init(struct core *c, const struct core_config *cfg);

/* Session operations: 0, or -1 with the reason (a latched fault, no pad
 * data yet, a plan outside the safety envelope, no session...). */
int core_start(struct core *c, const struct plan *plan, double now, char *err, size_t errlen);
int core_pause(struct core *c, double now, char *err, size_t errlen);
int core_resume(struct core *c, double now, char *err, size_t errlen);
int core_skip(struct core *c, double now, char *err, size_t errlen);
int core_extend(struct core *c, double seconds, char *err, size_t errlen);
int core_stop(struct core *c, double now, char *err, size_t errlen);
/* Clears a latched fault once its condition is gone. Returns -1 with the
 * reason when it is still present; 0 when done or nothing was latched
 * (nothing then changes); CORE_CLEAR_PENDING when the pad itself reports
 * fault bits: the caller sends CLEAR_FAULTS, and the core judges the next
 * reports, ending with a "faults-cleared" or a "clear-refused" event
 * naming the cause. core_clear_abandon ends a pending clear whose
 * CLEAR_FAULTS could not be sent. */
enum { CORE_CLEAR_PENDING = 1 };
int core_clear_faults(struct core *c, double now, char *err, size_t errlen);
void core_clear_abandon(struct core *c, const char *why, struct core_output *out);

/* Autotune of the heating (heating = true, around 38 C) or cooling gains
 * (around 20 C); the result replaces those gains and is reported in a
 * "tune-done" event (the daemon saves it per pad, calibration.h). Under
 * model control the relay's end is followed by the tune check
 * (tunecheck.h), a slice per sample at zero drive: "tune-done" when it
 * passes, with the figures the tune measured; "tune-refused" in words
 * when not, and the tune's figures are forgotten. */
int core_tune(struct core *c, bool heating, double now, char *err, size_t errlen);

/* A fault from outside the core: the pad is gone, the emergency stop. */
void core_external_fault(struct core *c, double now, const char *code, const char *message, struct core_output *out);

/* The ledger as it stands now, with the dose of a session in progress. */
void core_ledger_snapshot(const struct core *c, struct dose_ledger *out);

/* New limits (a reload) apply at once, to a session in progress too,
 * narrowed to the firmware's bounds as core_set_firmware_bounds does. */
void core_set_limits(struct core *c, const struct safety_limits *lim);
/* The pad announced its own exposure bounds (GET_INFO): the session caps
 * and the ledger's ceilings narrow to stay inside them
 * (safety_limits_within_firmware), so that the host's caps end a session
 * before the firmware's latch would, and a start it would cut is refused. */
void core_set_firmware_bounds(struct core *c, const struct safety_fw_bounds *fw);

void core_on_sample(struct core *c, const struct core_sample *s, struct core_output *out);
void core_on_tick(struct core *c, double now, struct core_output *out);

void core_status(const struct core *c, struct core_status *st);

/* A pad's calibration as it stands (the figures learned so far), and a
 * saved one applied between sessions: the gains, and the figures as the
 * estimator's new starting point. */
void core_calibration(const struct core *c, struct calibration *out);
void core_calibrate(struct core *c, const struct calibration *cal);

/* Is the envelope allowing this target for this kind of phase? */
int core_check_phase(const struct safety_limits *lim, const struct phase *ph, double neutral_c, char *err,
		     size_t errlen);
/* Does the whole plan, expanded, fit the session caps (its length, its
 * cold time)? The same numbers the supervisor applies while it runs. */
int core_check_plan(const struct safety_limits *lim, const struct plan_run *run, char *err, size_t errlen);

#endif
