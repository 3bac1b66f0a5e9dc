/* SPDX-License-Identifier: MIT */
#include "plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *plan_kind_name(enum phase_kind k)
{
	switch (k) {
	case PHASE_HEAT: return "heat";
	case PHASE_COLD: return "cold";
	case PHASE_NEUTRAL: return "neutral";
	case PHASE_OFF: return "off";
	}
	return "?";
}

int plan_expand(const struct plan *plan, struct plan_run *run, char *err, size_t errlen)
{
	memset(run, 0, sizeof *run);
	if (plan->nphases < 1 || plan->cycles < 1) {
		snprintf(err, errlen, "a plan needs at least one phase and one cycle");
		return -1;
	}
	if ((long)plan->nphases * plan->cycles > PLAN_MAX_STEPS) {
		snprintf(err, errlen, "%d phases x %d cycles is more than %d steps", plan->nphases, plan->cycles,
			 PLAN_MAX_STEPS);
		return -1;
	}
	for (int c = 0; c < plan->cycles; c++)
		for (int i = 0; i < plan->nphases; i++) {
			run->cycle_of[run->nsteps] = c + 1;
			run->steps[run->nsteps++] = plan->phases[i];
		}
	if (plan->has_end) {
		/* end on the last phase of the chosen kind: drop what follows */
		while (run->nsteps > 0 && run->steps[run->nsteps - 1].kind != plan->end)
			run->nsteps--;
		if (run->nsteps == 0) {
			snprintf(err, errlen, "the plan ends on %s, but has no %s phase", plan_kind_name(plan->end),
				 plan_kind_name(plan->end));
			return -1;
		}
	}
	run->band_c = plan->band_c > 0 ? plan->band_c : 0.5;
	run->state = PLAN_IDLE;
	return 0;
}

static void enter(struct plan_run *run, double pv)
{
	const struct phase *ph = &run->steps[run->step];
	run->phase_clock_s = 0;
	/* a ramp starts from where the plate is */
	run->setpoint = ph->kind == PHASE_OFF ? NAN : ph->ramp_c_per_s > 0 ? pv : ph->target_c;
	run->state = ph->kind == PHASE_OFF ? PLAN_HOLD : PLAN_APPROACH;
}

void plan_begin(struct plan_run *run, double t, double pv)
{
	run->step = 0;
	run->last_t = t;
	run->paused = false;
	enter(run, pv);
}

static bool next_step(struct plan_run *run, double pv)
{
	if (++run->step >= run->nsteps) {
		run->state = PLAN_DONE;
		run->setpoint = NAN;
		return true;
	}
	enter(run, pv);
	return true;
}

bool plan_update(struct plan_run *run, double t, double pv)
{
	double dt = t - run->last_t;
	run->last_t = t;
	if (run->state == PLAN_DONE || run->state == PLAN_IDLE || run->paused || dt <= 0)
		return false;
	const struct phase *ph = &run->steps[run->step];
	if (ph->kind != PHASE_OFF && ph->ramp_c_per_s > 0) {
		double room = ph->target_c - run->setpoint, step = ph->ramp_c_per_s * dt;
		run->setpoint += fabs(room) <= step ? room : copysign(step, room);
	}
	if (run->state == PLAN_APPROACH && fabs(pv - ph->target_c) <= run->band_c)
		run->state = PLAN_HOLD;
	if (run->state == PLAN_HOLD) {
		run->phase_clock_s += dt;
		if (run->phase_clock_s >= ph->duration_s)
			return next_step(run, pv);
	}
	return false;
}

void plan_pause(struct plan_run *run, double t)
{
	run->paused = true;
	run->last_t = t;
}

void plan_resume(struct plan_run *run, double t)
{
	run->paused = false;
	run->last_t = t; /* the clock was held */
}

void plan_skip(struct plan_run *run, double t, double pv)
{
	if (run->state == PLAN_DONE || run->state == PLAN_IDLE)
		return;
	run->last_t = t;
	next_step(run, pv);
}

void plan_extend(struct plan_run *run, double seconds)
{
	if (run->state != PLAN_DONE && run->state != PLAN_IDLE)
		run->steps[run->step].duration_s += seconds;
}

void plan_hold_here(struct plan_run *run)
{
	if (run->state == PLAN_APPROACH)
		run->state = PLAN_HOLD;
}

const struct phase *plan_current(const struct plan_run *run)
{
	return run->state == PLAN_DONE || run->state == PLAN_IDLE ? NULL : &run->steps[run->step];
}

double plan_phase_left(const struct plan_run *run)
{
	const struct phase *ph = plan_current(run);
	if (!ph)
		return 0;
	double left = ph->duration_s - run->phase_clock_s;
	return left > 0 ? left : 0;
}

double plan_session_left(const struct plan_run *run)
{
	double left = plan_phase_left(run);
	for (int i = run->step + 1; plan_current(run) && i < run->nsteps; i++)
		left += run->steps[i].duration_s;
	return left;
}
