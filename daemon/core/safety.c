/* SPDX-License-Identifier: MIT */
/*
 * Each check reads as: the condition, how long it may last, and a message
 * naming the check, the sensor, the value, the limit and what the
 * controller was doing. Numbers behind the defaults: docs/config.md.
 */
#include "safety.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const sensor_name[3] = {"plate A", "plate B", "heat sink"};

void safety_limits_hard(struct safety_limits *l)
{
	*l = (struct safety_limits){
		.plate_max_c = 45.0, .plate_min_c = 5.0,
		.setpoint_max_c = 42.0, .setpoint_min_c = 10.0,
		.disagree_c = 1.5, .bad_samples = 3,
		.frozen_s = 3.0, .frozen_drive = 0.3,
		.stale_zero_s = 0.5, .stale_fault_s = 2.0,
		.progress_s = 60.0, .progress_c = 1.0,
		.hold_band_c = 2.0, .hold_s = 60.0,
		.wrong_way_s = 10.0, .wrong_way_c = 1.0, .strong_drive = 0.5,
		.off_current_a = 1.5, .off_s = 1.0,
		.sink_limit_c = 50.0, .sink_max_c = 60.0,
		.dose_cem43_min = 30.0,
		.cold_c = 15.0, .cold_phase_max_s = 1200.0, .cold_session_max_s = 2400.0,
		.session_max_s = 7200.0,
	};
}

void safety_limits_default(struct safety_limits *l)
{
	safety_limits_hard(l);
	l->session_max_s = 3600.0; /* 60 min; a configuration may allow up to 120 */
}

/* Which way is narrower, per limit: +1 smaller is narrower, -1 larger. */
struct limit_desc {
	const char *name;
	size_t offset;
	int narrower;
};

#define L(f, dir) {#f, offsetof(struct safety_limits, f), dir}
static const struct limit_desc limit_descs[] = {
	L(plate_max_c, +1), L(plate_min_c, -1), L(setpoint_max_c, +1), L(setpoint_min_c, -1),
	L(disagree_c, +1), L(frozen_s, +1), L(stale_zero_s, +1), L(stale_fault_s, +1),
	L(progress_s, +1), L(hold_band_c, +1), L(hold_s, +1), L(wrong_way_s, +1), L(wrong_way_c, +1),
	L(off_current_a, +1), L(off_s, +1), L(sink_limit_c, +1), L(sink_max_c, +1),
	L(dose_cem43_min, +1), L(cold_c, -1), L(cold_phase_max_s, +1), L(cold_session_max_s, +1),
	L(session_max_s, +1),
};
#undef L

static double get(const struct safety_limits *l, size_t off)
{
	return *(const double *)((const char *)l + off);
}

int safety_limits_validate(const struct safety_limits *l, char *err, size_t errlen)
{
	struct safety_limits hard;
	safety_limits_hard(&hard);
	for (size_t i = 0; i < sizeof limit_descs / sizeof limit_descs[0]; i++) {
		const struct limit_desc *d = &limit_descs[i];
		double v = get(l, d->offset), h = get(&hard, d->offset);
		if (!isfinite(v) || v <= 0 || (d->narrower > 0 ? v > h : v < h)) {
			snprintf(err, errlen, "%s = %g is beyond the hard limit %g (limits can only be narrowed)",
				 d->name, v, h);
			return -1;
		}
	}
	if (l->plate_min_c >= l->plate_max_c || l->setpoint_min_c >= l->setpoint_max_c ||
	    l->setpoint_max_c >= l->plate_max_c || l->setpoint_min_c <= l->plate_min_c ||
	    l->sink_limit_c >= l->sink_max_c || l->stale_zero_s >= l->stale_fault_s) {
		snprintf(err, errlen, "the limits are not consistent (setpoints inside the plate cut-offs, "
				      "sink_limit below sink_max, stale_zero before stale_fault)");
		return -1;
	}
	if (l->bad_samples < 1 || l->bad_samples > 10) {
		snprintf(err, errlen, "bad_samples must be 1..10");
		return -1;
	}
	return 0;
}

void safety_init(struct safety *s, const struct safety_limits *lim)
{
	memset(s, 0, sizeof *s);
	s->lim = *lim;
	s->last_target = NAN;
}

void safety_session_start(struct safety *s, double t)
{
	s->session_running = true;
	s->session_start = t;
	s->cem43_min = 0;
	s->cold_session_s = 0;
	s->cold_phase_s = 0;
}

void safety_session_end(struct safety *s)
{
	s->session_running = false;
}

void safety_phase_start(struct safety *s)
{
	s->cold_phase_s = 0;
}

__attribute__((format(printf, 3, 0))) static void vlatch(struct safety *s, const char *code, const char *fmt,
							   va_list ap)
{
	if (s->latched)
		return; /* the first cause is the one a person needs */
	s->latched = true;
	snprintf(s->code, sizeof s->code, "%s", code);
	vsnprintf(s->message, sizeof s->message, fmt, ap);
}

void safety_latch(struct safety *s, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlatch(s, code, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void warn(struct safety *s, const char *code, const char *fmt, ...)
{
	if (s->nwarn >= SAFETY_WARN_MAX)
		return;
	snprintf(s->warn_code[s->nwarn], sizeof s->warn_code[0], "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->warn_message[s->nwarn], sizeof s->warn_message[0], fmt, ap);
	va_end(ap);
	s->nwarn++;
}

/* ---- the checks ------------------------------------------------------ */

static void check_cutoff(struct safety *s, const struct safety_input *in)
{
	for (int i = 0; i < 2; i++) {
		if (!in->plate_ok[i])
			continue;
		if (in->plate_c[i] > s->lim.plate_max_c)
			safety_latch(s, "plate-over", "plate-over: sensor %s reads %.2f C, above the limit %.2f C, while %s",
				     sensor_name[i], in->plate_c[i], s->lim.plate_max_c, in->doing);
		if (in->plate_c[i] < s->lim.plate_min_c)
			safety_latch(s, "plate-under", "plate-under: sensor %s reads %.2f C, below the limit %.2f C, while %s",
				     sensor_name[i], in->plate_c[i], s->lim.plate_min_c, in->doing);
	}
}

static void check_sensors(struct safety *s, const struct safety_input *in)
{
	const bool ok[3] = {in->plate_ok[0], in->plate_ok[1], in->sink_ok};
	const double v[3] = {in->plate_c[0], in->plate_c[1], in->sink_c};
	for (int i = 0; i < 3; i++) {
		bool bad = !ok[i] || !isfinite(v[i]) || v[i] < -10.0 || v[i] > 100.0;
		s->bad[i] = bad ? s->bad[i] + 1 : 0;
		if (s->bad[i] >= s->lim.bad_samples)
			safety_latch(s, "sensor-invalid",
				     "sensor-invalid: sensor %s has given no valid reading for %d samples "
				     "(open, shorted or out of range; last %s), while %s",
				     sensor_name[i], s->bad[i], ok[i] ? "out of range" : "open or shorted", in->doing);
	}
	if (ok[0] && ok[1] && fabs(v[0] - v[1]) > s->lim.disagree_c) {
		if (++s->disagree >= s->lim.bad_samples)
			safety_latch(s, "sensor-disagree",
				     "sensor-disagree: plate A reads %.2f C and plate B %.2f C, %.2f C apart, "
				     "more than the limit %.2f C, while %s",
				     v[0], v[1], fabs(v[0] - v[1]), s->lim.disagree_c, in->doing);
	} else {
		s->disagree = 0;
	}
	/* a reading that does not move at all while the drive is high is a
	 * sensor that came loose or froze, not a plate */
	bool strong = fabs(in->drive) >= s->lim.frozen_drive;
	bool either_same = (ok[0] && fabs(v[0] - s->frozen_value[0]) < 0.005) ||
			   (ok[1] && fabs(v[1] - s->frozen_value[1]) < 0.005);
	if (!strong || !either_same) {
		s->frozen_since = in->t;
		s->frozen_value[0] = v[0];
		s->frozen_value[1] = v[1];
	} else if (in->t - s->frozen_since >= s->lim.frozen_s) {
		int which = fabs(v[0] - s->frozen_value[0]) < 0.005 ? 0 : 1;
		safety_latch(s, "sensor-frozen",
			     "sensor-frozen: sensor %s has read exactly %.2f C for %.1f s (limit %.1f s) "
			     "under a drive of %+.0f %%, while %s",
			     sensor_name[which], v[which], in->t - s->frozen_since, s->lim.frozen_s, in->drive * 100,
			     in->doing);
	}
}

static void check_sink(struct safety *s, const struct safety_input *in)
{
	if (!in->sink_ok)
		return;
	if (in->sink_c > s->lim.sink_max_c)
		safety_latch(s, "sink-over", "sink-over: heat sink reads %.2f C, above the limit %.2f C, while %s",
			     in->sink_c, s->lim.sink_max_c, in->doing);
	else if (in->sink_c > s->lim.sink_limit_c)
		warn(s, "sink-hot", "heat sink at %.1f C (cooling limited above %.1f C)", in->sink_c,
		     s->lim.sink_limit_c);
}

static void check_runaway(struct safety *s, const struct safety_input *in)
{
	double target = in->target_c;
	if (isnan(target)) {
		s->last_target = NAN;
	} else {
		double err = fabs(target - in->estimate_c);
		/* after a target change: real progress is due within a time */
		if (!(target == s->last_target)) {
			s->last_target = target;
			s->progress_t = in->t;
			s->progress_err = err;
		}
		if (in->cooling_limited && target < in->estimate_c) {
			/* no progress because cooling is held back on purpose:
			 * a warning, and the check waits until the sink recovers */
			warn(s, "cooling-limited",
			     "cooling held back by the hot heat sink: %.2f C may not be reachable (plate %.2f C)", target,
			     in->estimate_c);
			s->progress_t = in->t;
			s->progress_err = err;
		} else if (in->holding || err <= s->lim.hold_band_c) {
			s->progress_t = in->t;
			s->progress_err = err;
		} else if (s->progress_err - err >= s->lim.progress_c) {
			s->progress_t = in->t; /* progress made: the next is due */
			s->progress_err = err;
		} else if (in->t - s->progress_t >= s->lim.progress_s) {
			safety_latch(s, "runaway-no-progress",
				     "runaway-no-progress: the plate (%.2f C by the sensors' estimate) came less than "
				     "%.1f C closer to %.2f C in %.0f s, while %s",
				     in->estimate_c, s->lim.progress_c, target, s->lim.progress_s, in->doing);
		}
		/* while holding: the error may not stay outside the band */
		if (in->holding && err > s->lim.hold_band_c) {
			if (in->t - s->hold_out_since >= s->lim.hold_s)
				safety_latch(s, "runaway-hold",
					     "runaway-hold: the plate (%.2f C) has been more than %.1f C from %.2f C for "
					     "%.0f s, while %s",
					     in->estimate_c, s->lim.hold_band_c, target, s->lim.hold_s, in->doing);
		} else {
			s->hold_out_since = in->t;
		}
	}
	/* moving the wrong way under strong drive: a dead fan turns a cooler
	 * into a heater, a swapped wire turns heating into cooling */
	int dir = fabs(in->drive) >= s->lim.strong_drive ? (in->drive > 0 ? 1 : -1) : 0;
	if (dir == 0 || dir != s->wrong_sign) {
		s->wrong_sign = dir;
		s->wrong_t = in->t;
		s->wrong_temp = in->estimate_c;
	} else if (in->t - s->wrong_t >= s->lim.wrong_way_s) {
		double moved = (in->estimate_c - s->wrong_temp) * dir;
		if (moved <= -s->lim.wrong_way_c)
			safety_latch(s, "runaway-wrong-way",
				     "runaway-wrong-way: under %s drive of %+.0f %% the plate went %s by %.2f C in %.0f s "
				     "(limit %.1f C), now %.2f C, while %s",
				     dir > 0 ? "heating" : "cooling", in->drive * 100, dir > 0 ? "down" : "up", -moved,
				     in->t - s->wrong_t, s->lim.wrong_way_c, in->estimate_c, in->doing);
		s->wrong_t = in->t; /* next window */
		s->wrong_temp = in->estimate_c;
	}
	/* current while the drive is off, as commanded and as the firmware
	 * reports applying it: the bridge does what it was not told. (Until
	 * the firmware confirms the zero, current is the last command still in
	 * force, not a stuck bridge.) */
	if (in->drive == 0.0 && in->drive_applied == 0.0 && fabs(in->current_a) > s->lim.off_current_a) {
		if (in->t - s->off_since >= s->lim.off_s)
			safety_latch(s, "drive-while-off",
				     "drive-while-off: the module draws %.2f A (limit %.2f A) while the drive is off, "
				     "plate %.2f C, while %s",
				     in->current_a, s->lim.off_current_a, in->estimate_c, in->doing);
	} else {
		s->off_since = in->t;
	}
	/* ... and a firmware that has acknowledged the zero must apply it
	 * (within off_s: it applies a command at its next tick). Counting
	 * from the acknowledgement, not from the command, keeps a slow bus or
	 * a high time scale from looking like disobedience. */
	if (in->drive == 0.0 && in->zero_received && in->drive_applied != 0.0) {
		if (in->t - s->disobey_since >= s->lim.off_s)
			safety_latch(s, "drive-while-off",
				     "drive-while-off: the firmware acknowledged zero drive but applies %+.0f %% for "
				     "%.1f s (limit %.1f s), plate %.2f C, while %s",
				     in->drive_applied * 100, in->t - s->disobey_since, s->lim.off_s, in->estimate_c,
				     in->doing);
	} else {
		s->disobey_since = in->t;
	}
}

static void check_dose(struct safety *s, const struct safety_input *in, double dt)
{
	if (!s->session_running || dt <= 0)
		return;
	/* the hotter plate sensor, as measured: the dose must not depend on
	 * the controller's extrapolation */
	double t = in->estimate_c;
	if (in->plate_ok[0] || in->plate_ok[1])
		t = in->plate_ok[0] && (!in->plate_ok[1] || in->plate_c[0] > in->plate_c[1]) ? in->plate_c[0]
											: in->plate_c[1];
	/* CEM43: minutes at 43 C equivalent; R = 0.5 above 43 C, 0.25 below */
	double r = t >= 43.0 ? 0.5 : 0.25;
	s->cem43_min += dt / 60.0 * pow(r, 43.0 - t);
	if (s->cem43_min > s->lim.dose_cem43_min)
		safety_latch(s, "dose-heat",
			     "dose-heat: thermal dose %.1f CEM43 min exceeds the session cap %.1f (plate %.2f C), "
			     "while %s",
			     s->cem43_min, s->lim.dose_cem43_min, t, in->doing);
	if (t < s->lim.cold_c) {
		s->cold_phase_s += dt;
		s->cold_session_s += dt;
	}
	if (s->cold_phase_s > s->lim.cold_phase_max_s)
		safety_latch(s, "dose-cold-phase",
			     "dose-cold-phase: %.0f s below %.1f C in this phase, cap %.0f s (plate %.2f C), while %s",
			     s->cold_phase_s, s->lim.cold_c, s->lim.cold_phase_max_s, t, in->doing);
	if (s->cold_session_s > s->lim.cold_session_max_s)
		safety_latch(s, "dose-cold-session",
			     "dose-cold-session: %.0f s below %.1f C in this session, cap %.0f s, while %s",
			     s->cold_session_s, s->lim.cold_c, s->lim.cold_session_max_s, in->doing);
	if (in->t - s->session_start > s->lim.session_max_s)
		safety_latch(s, "session-length",
			     "session-length: the session has run %.0f min, the cap is %.0f min, while %s",
			     (in->t - s->session_start) / 60.0, s->lim.session_max_s / 60.0, in->doing);
}

bool safety_check(struct safety *s, const struct safety_input *in)
{
	double dt = s->have_sample ? in->t - s->last_sample_t : 0.0;
	if (!s->have_sample) /* windows open at the first sample, not at t = 0 */
		s->off_since = s->disobey_since = s->frozen_since = in->t;
	s->nwarn = 0;
	s->have_sample = true;
	s->last_sample_t = in->t;
	if (in->fw_faults) {
		char bits[16];
		snprintf(bits, sizeof bits, "0x%x", in->fw_faults);
		safety_latch(s, "firmware-fault", "firmware-fault: the pad reports fault bits %s, while %s", bits,
			     in->doing);
	}
	check_cutoff(s, in);
	check_sensors(s, in);
	check_sink(s, in);
	check_runaway(s, in);
	check_dose(s, in, dt > 0 && dt < 5.0 ? dt : 0.0);
	if (dt > 0.3)
		warn(s, "telemetry-gap", "%.2f s between samples", dt);
	return s->latched;
}

int safety_check_time(struct safety *s, double t, const char *doing)
{
	if (!s->have_sample)
		return 0;
	double quiet = t - s->last_sample_t;
	if (quiet >= s->lim.stale_fault_s)
		safety_latch(s, "stale-telemetry",
			     "stale-telemetry: no sample from the pad for %.2f s (limit %.2f s), while %s", quiet,
			     s->lim.stale_fault_s, doing);
	return quiet >= s->lim.stale_zero_s || s->latched;
}

int safety_clear(struct safety *s, const struct safety_input *last, char *why, size_t whylen)
{
	if (!s->latched)
		return 0;
	struct safety probe;
	safety_init(&probe, &s->lim);
	probe.bad[0] = probe.bad[1] = probe.bad[2] = s->lim.bad_samples; /* one bad sample is enough here */
	probe.disagree = s->lim.bad_samples;
	if (last) {
		struct safety_input in = *last;
		in.drive = 0;
		in.target_c = NAN;
		in.doing = "clearing faults";
		if (in.fw_faults)
			safety_latch(&probe, "firmware-fault", "the pad still reports fault bits 0x%x", in.fw_faults);
		check_cutoff(&probe, &in);
		check_sensors(&probe, &in);
		check_sink(&probe, &in);
	}
	if (probe.latched) {
		snprintf(why, whylen, "the cause is still present: %s", probe.message);
		return -1;
	}
	s->latched = false;
	s->code[0] = s->message[0] = '\0';
	memset(s->bad, 0, sizeof s->bad);
	s->disagree = 0;
	s->last_target = NAN;
	return 0;
}

double safety_dose(const struct safety *s)
{
	return s->cem43_min;
}
