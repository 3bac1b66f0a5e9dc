/* SPDX-License-Identifier: MIT */
/*
 * Therapy plans: phases (heat, cold, neutral, off) with a target, a
 * duration and an optional ramp, repeated for a number of cycles, ending on
 * a chosen kind of phase. A phase's time counts from the moment the plate
 * reaches the target band: three minutes of heat means three minutes AT the
 * temperature, not three minutes of trying. Pure: time is the caller's.
 */
#ifndef THERMOPAD_PLAN_H
#define THERMOPAD_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#define PLAN_MAX_PHASES 12
#define PLAN_MAX_STEPS 96
#define PLAN_NAME_MAX 32

enum phase_kind { PHASE_HEAT, PHASE_COLD, PHASE_NEUTRAL, PHASE_OFF };

struct phase {
	enum phase_kind kind;
	char name[PLAN_NAME_MAX];
	double target_c; /* unused for PHASE_OFF */
	double duration_s;
	double ramp_c_per_s; /* 0: go as fast as the controller can */
};

struct plan {
	char name[PLAN_NAME_MAX];
	struct phase phases[PLAN_MAX_PHASES];
	int nphases;
	int cycles;
	bool has_end;
	enum phase_kind end; /* the session ends after the last phase of this kind */
	double band_c; /* the target band that starts a phase's clock */
	double neutral_c;
};

enum plan_state { PLAN_IDLE, PLAN_APPROACH, PLAN_HOLD, PLAN_DONE };

struct plan_run {
	struct phase steps[PLAN_MAX_STEPS];
	int cycle_of[PLAN_MAX_STEPS];
	int nsteps;
	int step;
	enum plan_state state;
	double band_c;
	double phase_clock_s; /* time spent in the band (or in an OFF phase) */
	double setpoint; /* the ramped target the controller follows */
	double last_t;
	bool paused;
};

const char *plan_kind_name(enum phase_kind k);

/* Expands cycles and the chosen end into a list of steps. */
int plan_expand(const struct plan *plan, struct plan_run *run, char *err, size_t errlen);

/* Starts the first step; pv is the plate temperature now. */
void plan_begin(struct plan_run *run, double t, double pv);

/* Advances the plan; returns true when the step changed (or it ended). */
bool plan_update(struct plan_run *run, double t, double pv);

void plan_pause(struct plan_run *run, double t);
void plan_resume(struct plan_run *run, double t);
void plan_skip(struct plan_run *run, double t, double pv);
void plan_extend(struct plan_run *run, double seconds);
/* The target is out of reach: the phase's clock runs from here, at the
 * closest temperature the pad can hold. */
void plan_hold_here(struct plan_run *run);

const struct phase *plan_current(const struct plan_run *run);
/* Time left in this phase (its full duration while approaching) and in
 * the whole session, seconds. */
double plan_phase_left(const struct plan_run *run);
double plan_session_left(const struct plan_run *run);

#endif
