/* SPDX-License-Identifier: MIT */
/*
 * Telemetry in, drive out. The order inside a sample is the safety order:
 * estimate, supervise, then (only if nothing is latched) advance the plan
 * and ask the controller; the very last line zeroes the drive if anything
 * is latched, whatever happened above.
 */
#include "core.h"

#include "approach.h"
#include "tunecheck.h"

#include "thermopad_proto.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void core_config_default(struct core_config *c)
{
	memset(c, 0, sizeof *c);
	safety_limits_default(&c->limits);
	thermal_params_default(&c->model);
	modelctl_config_default(&c->modelctl);
	pid_config_default(&c->pid);
	c->sensor_lag_s = 1.5;
	c->rate_filter_s = 0.5;
	c->stop_ramp_per_s = 0.5;
	c->report_period_s = 0.1;
}

void core_init(struct core *c, const struct core_config *cfg)
{
	memset(c, 0, sizeof *c);
	c->cfg = *cfg;
	safety_init(&c->safety, &cfg->limits);
	estimator_init(&c->est, &cfg->model);
	laginv_init(&c->lag, cfg->sensor_lag_s, cfg->rate_filter_s);
	modelctl_init(&c->mctl, &cfg->modelctl);
	c->reach_step = -1;
	pid_init(&c->pid, &cfg->pid);
	c->state = CORE_IDLE;
	c->estimate_c = NAN;
	snprintf(c->outcome, sizeof c->outcome, "none");
}

__attribute__((format(printf, 4, 5))) static void emit(struct core_output *out, enum core_severity sev,
						       const char *code, const char *fmt, ...)
{
	if (!out || out->nevents >= CORE_MAX_EVENTS)
		return;
	struct core_event *e = &out->events[out->nevents++];
	e->severity = sev;
	snprintf(e->code, sizeof e->code, "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int core_check_phase(const struct safety_limits *lim, const struct phase *ph, double neutral_c, char *err,
		     size_t errlen)
{
	if (ph->kind == PHASE_OFF)
		return 0;
	double t = ph->kind == PHASE_NEUTRAL ? neutral_c : ph->target_c;
	if (!(t >= lim->setpoint_min_c && t <= lim->setpoint_max_c))
		return refuse(err, errlen, "phase '%s': target %.2f C is outside the allowed %.2f..%.2f C", ph->name, t,
			      lim->setpoint_min_c, lim->setpoint_max_c);
	if (ph->kind == PHASE_HEAT && t <= neutral_c)
		return refuse(err, errlen, "phase '%s': a heat phase needs a target above %.1f C", ph->name, neutral_c);
	if (ph->kind == PHASE_COLD && t >= neutral_c)
		return refuse(err, errlen, "phase '%s': a cold phase needs a target below %.1f C", ph->name, neutral_c);
	if (ph->kind == PHASE_COLD && ph->duration_s > lim->cold_phase_max_s)
		return refuse(err, errlen, "phase '%s': %.0f min of cold is more than the %.0f min allowed (cold_phase_max_min): "
			      "shorten the phase", ph->name,
			      ph->duration_s / 60, lim->cold_phase_max_s / 60);
	return 0;
}

int core_check_plan(const struct safety_limits *lim, const struct plan_run *run, char *err, size_t errlen)
{
	double total = 0, cold = 0;
	for (int i = 0; i < run->nsteps; i++) {
		total += run->steps[i].duration_s;
		if (run->steps[i].kind == PHASE_COLD)
			cold += run->steps[i].duration_s;
	}
	/* phases count from reaching their band, so the session runs longer
	 * than this sum: the caps still end it in order if it does */
	if (total > lim->session_max_s)
		return refuse(err, errlen, "the profile's phases last %.1f min in all, more than the session cap of %.0f min "
				      "(session_max_min): shorten the profile", total / 60, lim->session_max_s / 60);
	if (cold > lim->cold_session_max_s)
		return refuse(err, errlen, "the profile's cold phases last %.1f min in all, more than the %g min of cold "
				      "a session allows (cold_session_max_min): shorten its cold phases", cold / 60, lim->cold_session_max_s / 60);
	return 0;
}

static const char *kind_verb(const struct phase *ph)
{
	switch (ph->kind) {
	case PHASE_HEAT: return "heating toward";
	case PHASE_COLD: return "cooling toward";
	case PHASE_NEUTRAL: return "holding neutral at";
	case PHASE_OFF: break;
	}
	return "resting with the drive off";
}

/* "what the controller was doing", for fault messages */
static void describe(const struct core *c, char *buf, size_t len)
{
	const struct phase *ph = plan_current(&c->run);
	if (c->state == CORE_TUNING)
		snprintf(buf, len, "tuning the %s gains around %.2f C, drive %+.0f %%", c->tune_heating ? "heating" : "cooling",
			 c->tune_target, c->drive * 100);
	else if (c->state == CORE_IDLE || !ph)
		snprintf(buf, len, "idle (no session, drive %+.0f %%)", c->drive * 100);
	else if (c->state == CORE_PAUSED)
		snprintf(buf, len, "paused in phase %d (%s)", c->run.step + 1, ph->name);
	else if (c->state == CORE_STOPPING)
		snprintf(buf, len, "stopping (drive %+.0f %%)", c->drive * 100);
	else if (ph->kind == PHASE_OFF)
		snprintf(buf, len, "in phase %d (%s) with the drive off", c->run.step + 1, ph->name);
	else
		snprintf(buf, len, "%s %.2f C in phase %d (%s, %s), drive %+.0f %%", kind_verb(ph),
			 c->run.setpoint, c->run.step + 1, ph->name, c->run.state == PLAN_HOLD ? "holding" : "approaching",
			 c->drive * 100);
}

/* What the supervisor's session added goes to the ledger when it ends. */
static void ledger_settle(struct core *c)
{
	if (!c->safety.session_running)
		return;
	dose_ledger_add(&c->ledger, c->last_t + c->epoch_offset_s, c->safety.cem43_min - c->safety.heat_carried,
			c->safety.cold_session_s - c->safety.cold_carried);
	safety_session_end(&c->safety);
}

/* Between sessions the plate still counts, as the firmware counts it: a
 * cold session leaves the plate below cold_c for a minute or more while it
 * warms back, a heat session above 37 C while it cools. Gathered while it
 * lasts, into the ledger when the plate is out of it again or a session
 * starts. */
#define IDLE_HEAT_FROM_C 37.0

static void idle_settle(struct core *c)
{
	if (c->idle_heat_cem43_min <= 0 && c->idle_cold_s <= 0)
		return;
	dose_ledger_add(&c->ledger, c->last_t + c->epoch_offset_s, c->idle_heat_cem43_min, c->idle_cold_s);
	c->idle_heat_cem43_min = c->idle_cold_s = 0;
}

static void idle_exposure(struct core *c, const struct core_sample *s, double dt)
{
	if (c->safety.session_running || !(dt > 0))
		return;
	dt = fmin(dt, 1.0); /* across a gap, what the plate did is not known */
	double hot = NAN, cold = NAN;
	for (int i = 0; i < 2; i++)
		if (s->plate_ok[i] && isfinite(s->plate_c[i])) {
			hot = isnan(hot) ? s->plate_c[i] : fmax(hot, s->plate_c[i]);
			cold = isnan(cold) ? s->plate_c[i] : fmin(cold, s->plate_c[i]);
		}
	bool heat = hot >= IDLE_HEAT_FROM_C, chill = cold < c->cfg.limits.cold_c;
	if (heat)
		c->idle_heat_cem43_min += dt / 60.0 * pow(hot >= 43.0 ? 0.5 : 0.25, 43.0 - hot);
	if (chill)
		c->idle_cold_s += dt;
	if (!heat && !chill)
		idle_settle(c);
}

void core_ledger_snapshot(const struct core *c, struct dose_ledger *out)
{
	*out = c->ledger;
	if (c->idle_heat_cem43_min > 0 || c->idle_cold_s > 0)
		dose_ledger_add(out, c->last_t + c->epoch_offset_s, c->idle_heat_cem43_min, c->idle_cold_s);
	if (c->safety.session_running)
		dose_ledger_add(out, c->last_t + c->epoch_offset_s, c->safety.cem43_min - c->safety.heat_carried,
				c->safety.cold_session_s - c->safety.cold_carried);
}

/* The session starts from what recent sessions left, with the room the
 * last 24 h leave under the daily ceilings. */
static void ledger_carry(struct core *c, double now)
{
	struct dose_ledger *l = &c->ledger;
	struct dose_rules r;
	double t = now + c->epoch_offset_s;
	dose_ledger_at(l, t);
	dose_rules_from_limits(&r, &c->cfg.limits);
	safety_session_carry(&c->safety, l->heat_cem43_min, l->cold_s, r.heat_day_cem43_min - dose_ledger_day_heat(l, t),
			     r.cold_day_s - dose_ledger_day_cold(l, t));
}

/* The configured controller, one step; and its rest at zero. */
static double control_step(struct core *c, double t, double target, double limit_cool)
{
	if (c->cfg.control == CORE_CONTROL_PID)
		return pid_step(&c->pid, t, target, c->estimate_c, limit_cool);
	return modelctl_step(&c->mctl, t, target, &c->est, limit_cool);
}

#define REACH_CLAIM_C 1.5

/* The temperature the controller aims at: the plan's, or, when the model
 * says the pad cannot hold it (within the heat sink's limit), the closest
 * it can, said once per phase. Toward neutral only: never a hotter or a
 * colder target than the plan's. */
static double control_setpoint(struct core *c, struct core_output *out)
{
	double sp = c->run.setpoint;
	if (c->cfg.control != CORE_CONTROL_MODEL || !c->est.started || isnan(sp))
		return sp;
	double reach = modelctl_reach(&c->est, sp, c->cfg.limits.sink_limit_c);
	/* where the plate is now is within reach, whatever figures not yet
	 * learned may say */
	if (sp < c->cfg.pid.neutral_c)
		reach = fmin(reach, fmax(c->estimate_c, sp));
	else
		reach = fmax(reach, fmin(c->estimate_c, sp));

	if (!(fabs(reach - sp) > 0.05) || (reach - sp) * (c->cfg.pid.neutral_c - sp) < 0)
		return sp;
	/* claimed only once the plate is near what the model calls the limit:
	 * figures not yet learned must not pull a phase off its target */
	if (c->reach_step != c->run.step && fabs(c->estimate_c - reach) > REACH_CLAIM_C)
		return sp;
	if (c->reach_step != c->run.step) {
		c->reach_step = c->run.step;
		const struct phase *ph = plan_current(&c->run);
		emit(out, CORE_WARNING, "target-out-of-reach",
		     "phase %d (%s): %.2f C is beyond this pad by its model (its module in balance, the heat sink "
		     "within %.0f C): holding %.2f C instead",
		     c->run.step + 1, ph ? ph->name : "?", sp, c->cfg.limits.sink_limit_c, reach);
	}
	return reach;
}

static void control_idle(struct core *c, double t)
{
	pid_idle(&c->pid, t);
	modelctl_idle(&c->mctl, t);
}

static void end_session(struct core *c, const char *outcome, struct core_output *out)
{
	if (c->state == CORE_IDLE)
		return;
	c->state = CORE_IDLE;
	c->run.state = PLAN_DONE;
	snprintf(c->outcome, sizeof c->outcome, "%s", outcome);
	ledger_settle(c);
	control_idle(c, c->last_t);
	emit(out, CORE_INFO, "session-end", "session '%s' ended: %s", c->plan.name, outcome);
}

/* A start refused by a cap says why the cap is where it is when the
 * firmware put it there. */
static int refuse_cap(const struct core *c, char *err, size_t errlen)
{
	const struct safety_fw_bounds *fw = &c->fw;
	size_t n = strlen(err);
	if (fw->dose_cem43_min > 0 && n < errlen)
		snprintf(err + n, errlen - n,
			 " (this pad's firmware cuts heat by itself at %.1f CEM43 min and cold after %.0f min below "
			 "%.1f C, until it is replugged; the caps stay below that: heat %.1f CEM43 min, cold %g min "
			 "a session, %g min a phase)",
			 fw->dose_cem43_min, fw->cold_max_s / 60, fw->cold_below_c, c->cfg.limits.dose_cem43_min,
			 c->cfg.limits.cold_session_max_s / 60, c->cfg.limits.cold_phase_max_s / 60);
	return -1;
}

/* The model's approach to each step's target from here on, starting from
 * the estimated pad now */
static void estimate_approaches(struct core *c)
{
	struct thermal_params p;
	estimator_params(&c->est, &p);
	struct approach_state st = {.plate_c = c->estimate_c, .tissue_c = c->estimate_c, .sink_c = c->estimate_c,
				    .ambient_c = c->estimate_c};
	if (c->est.started)
		st.tissue_c = c->est.x[EST_TISSUE], st.sink_c = c->est.x[EST_SINK], st.ambient_c = c->est.x[EST_AMBIENT];
	c->step_start_c = c->estimate_c;
	double last_sign = 0;
	for (int i = 0; i < c->run.nsteps; i++)
		c->approach_s[i] = 0;
	for (int i = c->run.step; i >= 0 && i < c->run.nsteps && isfinite(st.plate_c); i++) {
		const struct phase *ph = &c->run.steps[i];
		if (ph->kind == PHASE_OFF)
			continue;
		double sign = ph->target_c > st.plate_c ? 1 : -1;
		double rest = last_sign && sign != last_sign && fabs(ph->target_c - st.plate_c) > c->run.band_c
				      ? APPROACH_REST_S
				      : 0;
		c->approach_s[i] = rest + approach_time_s(&p, &st, ph->target_c, c->run.band_c);
		last_sign = sign;
	}
}

int core_start(struct core *c, const struct plan *plan, double now, char *err, size_t errlen)
{
	if (c->safety.latched)
		return refuse(err, errlen, "a fault is latched (%s): clear it first", c->safety.code);
	if (c->state != CORE_IDLE)
		return refuse(err, errlen, "a session is already running");
	if (!c->have_sample || isnan(c->estimate_c))
		return refuse(err, errlen, "no temperature from the pad yet");
	if (now - c->safety.last_arrival_t >= c->cfg.limits.stale_zero_s)
		return refuse(err, errlen, "no fresh telemetry from the pad (the last report is %.1f s old, limit %.1f s): "
				      "check the USB cable, then start again", now - c->safety.last_arrival_t,
			      c->cfg.limits.stale_zero_s);
	for (int i = 0; i < plan->nphases; i++)
		if (core_check_phase(&c->cfg.limits, &plan->phases[i], c->cfg.pid.neutral_c, err, errlen) != 0)
			return plan->phases[i].kind == PHASE_COLD ? refuse_cap(c, err, errlen) : -1;
	struct plan_run run;
	if (plan_expand(plan, &run, err, errlen) != 0)
		return -1;
	if (core_check_plan(&c->cfg.limits, &run, err, errlen) != 0)
		return refuse_cap(c, err, errlen);
	/* across sessions: what recent ones left, and what this one adds */
	idle_settle(c);
	double heat, cold, wait;
	struct dose_rules rules;
	dose_rules_from_limits(&rules, &c->cfg.limits);
	dose_plan_estimate(&run, &c->cfg.limits, &heat, &cold);
	if (dose_ledger_admit(&c->ledger, now + c->epoch_offset_s, &rules, &c->cfg.limits, heat, cold, &wait, err,
			      errlen) != 0)
		return refuse_cap(c, err, errlen);
	c->plan = *plan;
	c->run = run;
	for (int i = 0; i < c->run.nsteps; i++)
		if (c->run.steps[i].kind == PHASE_NEUTRAL)
			c->run.steps[i].target_c = c->cfg.pid.neutral_c;
	plan_begin(&c->run, now, c->estimate_c);
	estimate_approaches(c);
	safety_session_start(&c->safety, now);
	ledger_carry(c, now);
	safety_phase_start(&c->safety);
	safety_windows_restart(&c->safety, now);
	c->session_start = now;
	c->reach_step = -1; /* what the last session found out of reach is its own */
	c->state = CORE_RUNNING;
	snprintf(c->outcome, sizeof c->outcome, "running");
	return 0;
}

int core_tune(struct core *c, bool heating, double now, char *err, size_t errlen)
{
	if (c->safety.latched)
		return refuse(err, errlen, "a fault is latched (%s): clear it first", c->safety.code);
	if (c->state != CORE_IDLE)
		return refuse(err, errlen, "a session is running: stop it before tuning");
	if (!c->have_sample || isnan(c->estimate_c))
		return refuse(err, errlen, "no temperature from the pad yet");
	memset(&c->tune, 0, sizeof c->tune);
	c->tune_heating = heating;
	c->tune_target = heating ? 38.0 : 20.0; /* well inside the envelope */
	c->tune_started = now;
	c->tune_hold_since = -1;
	c->tune_drive_sum = 0;
	c->tune_drive_n = 0;
	c->state = CORE_TUNING;
	idle_settle(c);
	safety_session_start(&c->safety, now);
	ledger_carry(c, now);
	snprintf(c->plan.name, sizeof c->plan.name, "tune-%s", heating ? "heat" : "cool");
	return 0;
}

/* However a tune ends, the supervisor's session (its caps, its doses)
 * ends with it. */
static void tune_end(struct core *c)
{
	c->tune_judging = false;
	c->state = CORE_IDLE;
	c->drive = 0;
	ledger_settle(c);
}

/* The figures a tune has learned become the pad's starting point only if
 * the model controller does no worse from them than from the figures it
 * started with (tunecheck.h); otherwise they are forgotten, and said so.
 * It keeps only the figures it has measured better than a session's
 * online identification does (tunecheck_measured). The check runs a
 * bounded slice per sample, the drive resting at zero meanwhile: the
 * tune's figures apply only once it has passed. */
static void tune_judge_begin(struct core *c)
{
	struct thermal_params learned;
	estimator_params(&c->est, &learned);
	tunecheck_measured(&c->est, &c->cfg.model, &c->tune_figures);
	tunecheck_begin(&c->tunecheck, &learned, c->est.x[EST_AMBIENT], c->est.noise_c, &c->cfg.model,
			&c->tune_figures, &c->cfg.modelctl);
	c->tune_judging = true;
}

static void tune_accept(struct core *c, struct core_output *out)
{
	struct pid_gains *g = c->tune_heating ? &c->cfg.pid.heat : &c->cfg.pid.cool;
	*g = c->tune.result;
	c->pid.cfg = c->cfg.pid;
	emit(out, CORE_INFO, "tune-done", "%s gains: kp %.3f, ki %.4f, kd %.3f, ff %.4f", c->tune_heating ? "heating" : "cooling",
	     g->kp, g->ki, g->kd, g->ff_per_c);
	tune_end(c);
}

static void tune_judge_step(struct core *c, struct core_output *out)
{
	c->drive = 0.0;
	enum tunecheck_state st = tunecheck_advance(&c->tunecheck, CORE_TUNECHECK_SLICE_SAMPLES);
	if (st == TUNECHECK_BUSY)
		return;
	c->tune_judging = false;
	if (st == TUNECHECK_PASSED) {
		estimator_set_prior(&c->est, &c->tune_figures);
		tune_accept(c, out);
		return;
	}
	char why[SAFETY_MESSAGE_MAX - 40];
	tunecheck_describe(&c->tunecheck, why, sizeof why);
	estimator_set_prior(&c->est, &c->cfg.model);
	emit(out, CORE_WARNING, "tune-refused", "%s tune refused: %s", c->tune_heating ? "heating" : "cooling", why);
	tune_end(c);
}

/* First hold the target with the present gains to learn the drive that
 * holds it (the relay's bias), then run the relay test around it. */
static void tune_sample(struct core *c, double t, struct core_output *out)
{
	if (c->tune_judging) {
		tune_judge_step(c, out);
		return;
	}
	if (c->tune.state == TUNE_IDLE) {
		c->drive = control_step(c, t, c->tune_target, 1.0);
		if (fabs(c->estimate_c - c->tune_target) < 0.3) {
			if (c->tune_hold_since < 0)
				c->tune_hold_since = t;
			c->tune_drive_sum += c->drive;
			c->tune_drive_n++;
		}
		if (c->tune_hold_since >= 0 && t - c->tune_hold_since >= 30 && c->tune_drive_n > 0) {
			double bias = c->tune_drive_sum / c->tune_drive_n;
			if ((bias > 0) != c->tune_heating || fabs(bias) < 0.02) {
				emit(out, CORE_WARNING, "tune-aborted", "tune aborted: holding %.1f C takes %+.0f %% drive, "
					"too little to tune on", c->tune_target, bias * 100);
				tune_end(c);
				return;
			}
			tune_start(&c->tune, t, c->tune_target, bias, fmin(0.5 * fabs(bias) + 0.05, fabs(bias)));
		} else if (t - c->tune_started > 600) {
			emit(out, CORE_WARNING, "tune-aborted", "tune aborted: %.1f C not reached in 10 min", c->tune_target);
			tune_end(c);
		}
		return;
	}
	c->drive = tune_step(&c->tune, t, c->estimate_c);
	if (c->tune.state == TUNE_DONE && c->cfg.control == CORE_CONTROL_MODEL) {
		c->drive = 0.0;
		tune_judge_begin(c);
	} else if (c->tune.state == TUNE_DONE) {
		tune_accept(c, out);
	} else if (c->tune.state == TUNE_ABORTED) {
		emit(out, CORE_WARNING, "tune-aborted", "tune aborted: %s", c->tune.reason);
		tune_end(c);
	}
}

int core_pause(struct core *c, double now, char *err, size_t errlen)
{
	if (c->state != CORE_RUNNING)
		return refuse(err, errlen, "no running session to pause");
	c->state = CORE_PAUSED;
	plan_pause(&c->run, now);
	control_idle(c, now);
	c->drive = 0;
	return 0;
}

int core_resume(struct core *c, double now, char *err, size_t errlen)
{
	if (c->safety.latched)
		return refuse(err, errlen, "a fault is latched (%s): clear it first", c->safety.code);
	if (c->state != CORE_PAUSED)
		return refuse(err, errlen, "no paused session to resume");
	c->state = CORE_RUNNING;
	plan_resume(&c->run, now);
	/* the pause was nobody's runaway: the windows start again */
	safety_windows_restart(&c->safety, now);
	return 0;
}

int core_skip(struct core *c, double now, char *err, size_t errlen)
{
	if (c->state != CORE_RUNNING && c->state != CORE_PAUSED)
		return refuse(err, errlen, "no session to skip in");
	plan_skip(&c->run, now, c->estimate_c);
	estimate_approaches(c);
	safety_phase_start(&c->safety);
	return 0;
}

int core_extend(struct core *c, double seconds, char *err, size_t errlen)
{
	if (c->state != CORE_RUNNING && c->state != CORE_PAUSED)
		return refuse(err, errlen, "no session to extend");
	if (!(seconds > 0 && seconds <= 3600))
		return refuse(err, errlen, "extend by 1 s to 60 min");
	const struct phase *ph = plan_current(&c->run);
	if (ph && ph->kind == PHASE_COLD && ph->duration_s + seconds > c->cfg.limits.cold_phase_max_s)
		return refuse(err, errlen, "a cold phase of %.0f min is more than the %.0f min allowed",
			      (ph->duration_s + seconds) / 60, c->cfg.limits.cold_phase_max_s / 60);
	plan_extend(&c->run, seconds);
	return 0;
}

int core_stop(struct core *c, double now, char *err, size_t errlen)
{
	(void)now;
	if (c->state == CORE_IDLE)
		return refuse(err, errlen, "no session to stop");
	if (c->state == CORE_TUNING) {
		tune_end(c);
		return 0;
	}
	if (c->safety.latched || c->state == CORE_PAUSED || c->drive == 0.0) {
		/* the drive is already zero: nothing to ramp down */
		c->drive = 0;
		end_session(c, "stopped", NULL);
		return 0;
	}
	c->state = CORE_STOPPING;
	snprintf(c->stop_outcome, sizeof c->stop_outcome, "stopped");
	return 0;
}

static int clear_now(struct core *c, double now, char *err, size_t errlen)
{
	struct safety_clear_context ctx = {
		.last = c->have_sample ? &c->last_input : NULL, .now = now, .pad_present = !c->pad_away};
	return safety_clear(&c->safety, &ctx, err, errlen);
}

/* How long the pad's reports are watched after CLEAR_FAULTS for its fault
 * bits to go: the reports already on their way were built before it,
 * and a firmware that keeps the bit for a hold-off shows it for that long. */
#define CLEAR_JUDGE_S 1.0
/* ... and how long the host waits for any report at all (its clock). */
#define CLEAR_WAIT_S 2.0

int core_clear_faults(struct core *c, double now, char *err, size_t errlen)
{
	uint32_t bits = c->have_sample ? c->last_input.fw_faults : 0;
	if (!c->safety.latched && !bits)
		return 0; /* nothing latched: nothing changes */
	if (c->clear_pending)
		return CORE_CLEAR_PENDING;
	if (!bits)
		return clear_now(c, now, err, errlen);
	/* the host's own conditions first, on a copy: the latch stays until
	 * the pad's reports show its bits gone */
	struct safety trial = c->safety;
	struct safety_clear_context ctx = {.last = &c->last_input, .now = now, .pad_present = !c->pad_away};
	if (strcmp(trial.code, "firmware-fault") != 0 && safety_clear(&trial, &ctx, err, errlen) != 0)
		return -1;
	if (c->pad_away)
		return refuse(err, errlen, "the pad is disconnected: plug it back in first");
	c->clear_pending = true;
	c->clear_seen_frame = false;
	c->clear_asked_t = now;
	return CORE_CLEAR_PENDING;
}

void core_clear_abandon(struct core *c, const char *why, struct core_output *out)
{
	if (!c->clear_pending)
		return;
	c->clear_pending = false;
	emit(out, CORE_WARNING, "clear-refused", "clear-refused: %s is still latched: %s", c->safety.code, why);
}

/* The reports after CLEAR_FAULTS: the bits gone, then the host's latch is
 * cleared too (its conditions judged on this very sample); the bits still
 * there after CLEAR_JUDGE_S, the firmware latched again: the cause is
 * present, named by the bits. */
static void judge_clear(struct core *c, const struct core_sample *s, struct core_output *out)
{
	if (!c->clear_pending)
		return;
	if (!c->clear_seen_frame) {
		c->clear_seen_frame = true;
		c->clear_first_t = s->t;
	}
	char why[SAFETY_MESSAGE_MAX];
	if (s->fw_faults == 0) {
		c->clear_pending = false;
		c->last_input.fw_faults = 0;
		if (c->safety.latched && clear_now(c, s->arrival_t > 0 ? s->arrival_t : s->t, why, sizeof why) != 0)
			emit(out, CORE_WARNING, "clear-refused", "clear-refused: %s", why);
		else
			emit(out, CORE_INFO, "faults-cleared", "faults cleared: the pad reports no fault bit");
	} else if (s->t - c->clear_first_t >= CLEAR_JUDGE_S) {
		c->clear_pending = false;
		char bits[400];
		safety_describe_firmware(s->fw_faults, bits, sizeof bits);
		emit(out, CORE_WARNING, "clear-refused",
		     "clear-refused: the pad's firmware still latches %s %.1f s after CLEAR_FAULTS: the cause is still "
		     "present; remove it and clear again",
		     bits, s->t - c->clear_first_t);
	}
}

/* A latched fault: the session holds (paused) so that a person decides;
 * caps on dose and length end it. */
static void on_fault(struct core *c, double now, struct core_output *out)
{
	emit(out, CORE_FAULT, c->safety.code, "%s", c->safety.message);
	c->drive = 0;
	control_idle(c, now);
	if (c->state == CORE_STOPPING) {
		end_session(c, c->stop_outcome, out); /* it was ending anyway */
	} else if (c->state == CORE_RUNNING) {
		c->state = CORE_PAUSED;
		plan_pause(&c->run, now);
	} else if (c->state == CORE_TUNING) {
		tune_end(c); /* a fault aborts a tune */
	}
}

/* A cap reached: the session ends in order, the drive ramping down, and
 * nothing latches: it is the end of a session, not a hazard. */
static void on_cap(struct core *c, struct core_output *out)
{
	if (!c->safety.cap_reached || (c->state != CORE_RUNNING && c->state != CORE_PAUSED))
		return;
	emit(out, CORE_WARNING, c->safety.cap_code, "%s", c->safety.cap_message);
	snprintf(c->stop_outcome, sizeof c->stop_outcome, "cap reached");
	if (c->state == CORE_PAUSED || c->drive == 0.0) {
		end_session(c, c->stop_outcome, out);
		return;
	}
	c->state = CORE_STOPPING;
}

void core_set_limits(struct core *c, const struct safety_limits *lim)
{
	c->cfg.limits = *lim;
	safety_limits_within_firmware(&c->cfg.limits, &c->fw);
	c->safety.lim = c->cfg.limits;
}

void core_set_firmware_bounds(struct core *c, const struct safety_fw_bounds *fw)
{
	c->fw = *fw;
	safety_limits_within_firmware(&c->cfg.limits, &c->fw);
	c->safety.lim = c->cfg.limits;
}

void core_external_fault(struct core *c, double now, const char *code, const char *message, struct core_output *out)
{
	bool was = c->safety.latched;
	char doing[200];
	describe(c, doing, sizeof doing);
	safety_latch(&c->safety, code, "%s: %s, while %s", code, message, doing);
	if (out)
		memset(out, 0, sizeof *out);
	if (!strcmp(code, "disconnected")) {
		c->pad_away = true;
		core_clear_abandon(c, "the pad left the bus", out);
	}
	if (!was)
		on_fault(c, now, out);
	c->drive = 0;
}

static double mean_plate(const struct core_sample *s, bool *any)
{
	double sum = 0;
	int n = 0;
	for (int i = 0; i < 2; i++)
		if (s->plate_ok[i] && isfinite(s->plate_c[i])) {
			sum += s->plate_c[i];
			n++;
		}
	*any = n > 0;
	return n ? sum / n : NAN;
}

/* Cooling authority falls to zero between the heat sink's warning and
 * fault temperatures: a hot sink is how a cooler becomes a heater. */
static double cooling_authority(const struct core *c, const struct core_sample *s)
{
	const struct safety_limits *l = &c->cfg.limits;
	if (!s->sink_ok || s->sink_c <= l->sink_limit_c)
		return 1.0;
	double f = (l->sink_max_c - s->sink_c) / (l->sink_max_c - l->sink_limit_c);
	return f < 0 ? 0 : f;
}

static void track_warnings(struct core *c, struct core_output *out)
{
	const struct safety *s = &c->safety;
	for (int i = 0; i < s->nwarn; i++) {
		bool known = false;
		for (int j = 0; j < c->nwarnings; j++)
			known |= strcmp(c->warnings[j], s->warn_code[i]) == 0;
		if (!known)
			emit(out, CORE_WARNING, s->warn_code[i], "%s", s->warn_message[i]);
	}
	c->nwarnings = s->nwarn;
	for (int i = 0; i < s->nwarn; i++)
		snprintf(c->warnings[i], sizeof c->warnings[i], "%s", s->warn_code[i]);
}

static void run_plan(struct core *c, double t, struct core_output *out)
{
	int before = c->run.step;
	if (plan_update(&c->run, t, c->estimate_c)) {
		if (c->run.state == PLAN_DONE) {
			end_session(c, "completed", out);
			return;
		}
		safety_phase_start(&c->safety);
	}
	if (c->run.step != before) {
		estimate_approaches(c);
		const struct phase *ph = plan_current(&c->run);
		emit(out, CORE_INFO, "phase", "phase %d of %d: %s '%s'%s, cycle %d", c->run.step + 1, c->run.nsteps,
		     plan_kind_name(ph->kind), ph->name, "", c->run.cycle_of[c->run.step]);
	}
}

void core_on_sample(struct core *c, const struct core_sample *s, struct core_output *out)
{
	memset(out, 0, sizeof *out);
	bool any;
	double y = mean_plate(s, &any);
	struct estimator_input ein = {
		.t = s->t,
		.plate_c = {s->plate_c[0], s->plate_c[1]},
		.plate_ok = {s->plate_ok[0], s->plate_ok[1]},
		.sink_c = s->sink_c,
		.sink_ok = s->sink_ok,
		.current_a = s->current_a,
		.voltage_v = s->voltage_v,
		.voltage_ok = s->voltage_ok,
		.drive_applied = s->drive_applied,
	};
	estimator_update(&c->est, &ein);
	if (any)
		laginv_update(&c->lag, s->t, y);
	if (c->cfg.control == CORE_CONTROL_PID)
		c->estimate_c = any ? c->lag.estimate : c->estimate_c;
	else if (c->est.started)
		c->estimate_c = estimator_plate_c(&c->est);
	double dt = c->have_sample ? s->t - c->last_t : c->cfg.report_period_s;
	c->have_sample = true;
	c->last_t = s->t;
	c->pad_away = false;
	idle_exposure(c, s, dt);
	judge_clear(c, s, out);

	char doing[200];
	describe(c, doing, sizeof doing);
	const struct phase *ph = plan_current(&c->run);
	bool active = c->state == CORE_RUNNING && ph && ph->kind != PHASE_OFF;
	bool tuning = c->state == CORE_TUNING;
	double sp_model = active ? control_setpoint(c, out) : NAN;
	struct safety_input in = {
		.t = s->t,
		.arrival_t = s->arrival_t,
		.plate_c = {s->plate_c[0], s->plate_c[1]},
		.plate_ok = {s->plate_ok[0], s->plate_ok[1]},
		.sink_c = s->sink_c,
		.sink_ok = s->sink_ok,
		.current_a = s->current_a,
		.fw_faults = s->fw_faults,
		.estimate_c = isnan(c->estimate_c) ? y : c->estimate_c,
		.target_c = active ? ph->target_c : tuning ? c->tune_target : NAN,
		.setpoint_c = active ? sp_model : tuning ? c->tune_target : NAN,
		.resting = s->fw_state == TP_STATE_REST,
		.holding = (active && c->run.state == PLAN_HOLD) || (tuning && c->tune.state == TUNE_RELAY),
		.cold_phase = active && ph->kind == PHASE_COLD,
		.cooling_limited = cooling_authority(c, s) < 1.0,
		.drive = c->drive,
		.drive_applied = s->drive_applied,
		.zero_received = s->zero_received,
		.doing = doing,
	};
	c->last_input = in;
	c->last_input.doing = NULL;
	bool was = c->safety.latched;
	if (safety_check(&c->safety, &in)) {
		if (!was)
			on_fault(c, s->t, out);
	}
	track_warnings(c, out);
	on_cap(c, out);
	if (!isnan(c->safety.reach_c) && c->state == CORE_RUNNING && c->run.state == PLAN_APPROACH)
		plan_hold_here(&c->run); /* out of reach: the phase runs at the closest band */
	if (active && c->reach_step == c->run.step && c->run.state == PLAN_APPROACH &&
	    fabs(c->estimate_c - sp_model) <= c->run.band_c)
		plan_hold_here(&c->run); /* the same, known from the model */

	if (!c->safety.latched) {
		if (c->state == CORE_RUNNING)
			run_plan(c, s->t, out);
		ph = plan_current(&c->run);
		if (c->state == CORE_RUNNING && ph && ph->kind != PHASE_OFF && !isnan(c->estimate_c)) {
			double sp = c->run.step == c->reach_step ? control_setpoint(c, out) : c->run.setpoint;
			/* belt and braces: the controller never sees a target
			 * outside the envelope, whatever the plan says */
			if (sp > c->cfg.limits.setpoint_max_c)
				sp = c->cfg.limits.setpoint_max_c;
			if (sp < c->cfg.limits.setpoint_min_c)
				sp = c->cfg.limits.setpoint_min_c;
			c->drive = control_step(c, s->t, sp, cooling_authority(c, s));
		} else if (c->state == CORE_TUNING && !isnan(c->estimate_c)) {
			tune_sample(c, s->t, out);
		} else if (c->state == CORE_STOPPING) {
			double step = c->cfg.stop_ramp_per_s * (dt > 0 && dt < 1.0 ? dt : c->cfg.report_period_s);
			c->drive = fabs(c->drive) <= step ? 0 : c->drive - copysign(step, c->drive);
			if (c->drive == 0)
				end_session(c, c->stop_outcome, out);
		} else {
			control_idle(c, s->t);
			c->drive = 0;
		}
	}
	if (!(c->drive >= -1.0 && c->drive <= 1.0))
		c->drive = isnan(c->drive) ? 0.0 : c->drive > 0 ? 1.0 : -1.0;
	if (c->safety.latched)
		c->drive = 0; /* the last word, whatever happened above */
	out->drive = c->drive;
}

void core_on_tick(struct core *c, double now, struct core_output *out)
{
	memset(out, 0, sizeof *out);
	char doing[200];
	describe(c, doing, sizeof doing);
	if (c->clear_pending && now - c->clear_asked_t >= CLEAR_WAIT_S && !c->clear_seen_frame)
		core_clear_abandon(c, "no report came from the pad after CLEAR_FAULTS", out);
	bool was = c->safety.latched;
	if (safety_check_time(&c->safety, now, doing)) {
		if (c->safety.latched && !was)
			on_fault(c, now, out);
		c->drive = 0;
		control_idle(c, now);
	}
	track_warnings(c, out);
	if (c->safety.latched)
		c->drive = 0;
	out->drive = c->drive;
}

static const char *state_name(enum core_state s)
{
	switch (s) {
	case CORE_IDLE: return "idle";
	case CORE_RUNNING: return "running";
	case CORE_PAUSED: return "paused";
	case CORE_STOPPING: return "stopping";
	case CORE_TUNING: return "tuning";
	}
	return "?";
}

void core_status(const struct core *c, struct core_status *st)
{
	memset(st, 0, sizeof *st);
	st->state = c->state;
	st->state_name = state_name(c->state);
	st->fault = c->safety.latched;
	snprintf(st->fault_code, sizeof st->fault_code, "%s", c->safety.code);
	snprintf(st->fault_message, sizeof st->fault_message, "%s", c->safety.message);
	snprintf(st->plan_name, sizeof st->plan_name, "%s", c->plan.name);
	const struct phase *ph = c->state == CORE_IDLE ? NULL : plan_current(&c->run);
	st->step = ph ? c->run.step + 1 : 0;
	st->nsteps = c->run.nsteps;
	st->cycle = ph ? c->run.cycle_of[c->run.step] : 0;
	st->ncycles = c->plan.cycles;
	st->phase_kind = ph ? plan_kind_name(ph->kind) : NULL;
	if (ph)
		snprintf(st->phase_name, sizeof st->phase_name, "%s", ph->name);
	st->target_c = ph && ph->kind != PHASE_OFF ? ph->target_c : NAN;
	st->setpoint_c = ph && ph->kind != PHASE_OFF ? c->run.setpoint : NAN;
	st->in_band = ph && c->run.state == PLAN_HOLD;
	st->phase_left_s = ph ? plan_phase_left(&c->run) : 0;
	st->session_left_s = ph ? plan_session_left(&c->run) : 0;
	st->approach_left_s = 0;
	if (ph && c->run.state == PLAN_APPROACH && ph->kind != PHASE_OFF) { /* the part of the way still to go */
		double way = fabs(ph->target_c - c->step_start_c), to_go = fabs(ph->target_c - c->estimate_c);
		double part = way > 1e-6 && isfinite(to_go) ? fmin(1.0, to_go / way) : 1.0;
		st->approach_left_s = c->approach_s[c->run.step] * part;
	}
	st->session_total_left_s = st->session_left_s + st->approach_left_s;
	for (int i = c->run.step + 1; ph && i < c->run.nsteps; i++)
		st->session_total_left_s += c->approach_s[i];
	st->session_elapsed_s = c->state == CORE_IDLE ? 0 : c->last_t - c->session_start;
	st->estimate_c = c->estimate_c;
	st->drive = c->drive;
	st->skin_c = estimator_tissue_c(&c->est);
	estimator_skin_bounds(&c->est, &st->skin_lo_c, &st->skin_hi_c);
	st->dose_cem43_min = safety_dose(&c->safety);
	st->cold_session_s = c->safety.cold_session_s;
	struct dose_ledger l;
	struct dose_rules r;
	core_ledger_snapshot(c, &l);
	double lt = c->last_t + c->epoch_offset_s;
	dose_ledger_at(&l, lt);
	dose_rules_from_limits(&r, &c->cfg.limits);
	st->dose_recent_cem43_min = l.heat_cem43_min;
	st->cold_recent_s = l.cold_s;
	st->dose_day_cem43_min = dose_ledger_day_heat(&l, lt);
	st->cold_day_s = dose_ledger_day_cold(&l, lt);
	st->dose_day_max_cem43_min = r.heat_day_cem43_min;
	st->cold_day_max_s = r.cold_day_s;
	st->nwarnings = c->nwarnings;
	for (int i = 0; i < c->nwarnings; i++)
		snprintf(st->warnings[i], sizeof st->warnings[i], "%s", c->warnings[i]);
	st->outcome = c->outcome;
}

void core_calibration(const struct core *c, struct calibration *out)
{
	out->pid = c->cfg.pid;
	if (c->est.started)
		estimator_params(&c->est, &out->model);
	else
		out->model = c->cfg.model;
}

void core_calibrate(struct core *c, const struct calibration *cal)
{
	c->cfg.pid = cal->pid;
	c->pid.cfg = cal->pid;
	c->cfg.model = cal->model;
	estimator_set_prior(&c->est, &cal->model);
}
