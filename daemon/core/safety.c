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

#include "thermopad_proto.h"

static const char *const sensor_name[3] = {"plate A", "plate B", "heat sink"};

const struct safety_check_info safety_checks[] = {
	{"plate-over", "let the pad cool, then clear the fault; if it repeats, stop using the pad",
	 "both plate sensors read below plate_max_c"},
	{"plate-under", "let the pad warm, then clear the fault; if it repeats, stop using the pad",
	 "both plate sensors read above plate_min_c"},
	{"sensor-invalid", "check the pad's cable and connector, then clear the fault",
	 "every sensor gives a valid reading"},
	{"sensor-disagree", "check that the pad lies flat on the skin, then clear the fault",
	 "plate A and B agree within disagree_c"},
	{"sensor-frozen", "the sensor may have come loose: unplug and replug the pad",
	 "the sensors give valid readings (the window restarts)"},
	{"sensor-noisy", "the sensor is failing: unplug the pad and have it checked",
	 "the sensor's readings are steady again"},
	{"sink-over", "check the fan and that the vents are free, then clear the fault",
	 "the heat sink reads below sink_max_c"},
	{"runaway-no-progress", "check that the pad lies on the skin and the fan runs, then clear the fault",
	 "the heat sink is below sink_limit_c (the windows restart)"},
	{"runaway-hold", "check that the pad lies on the skin and the fan runs, then clear the fault",
	 "the heat sink is below sink_limit_c (the windows restart)"},
	{"runaway-wrong-way", "the module may be wired backwards or the fan dead: stop using the pad and have it checked",
	 "the heat sink is below sink_limit_c and the plate inside the setpoint range"},
	{"drive-while-off", "unplug the pad now: its output stage may be stuck",
	 "the module draws no more than the off-current limit"},
	{"drift-while-off", "unplug the pad now: its output stage may be stuck",
	 "the plate no longer drifts with the drive off"},
	{"firmware-fault", "see the fault named; clear it once its cause is gone",
	 "the pad accepts CLEAR_FAULTS and reports no fault bit after it"},
	{"stale-telemetry", "check the USB cable; if the daemon was stopped, clear the fault",
	 "telemetry arrives again"},
	{"disconnected", "plug the pad back in, then clear the fault", "the pad is back on the bus"},
	{"pad-reset", "the pad restarted by itself: clear the fault; if it repeats, have the pad checked",
	 "always (the host has sent the limits and the watchdog again)"},
	{"emergency-stop", "release the emergency-stop button, then clear the fault", "the button is released"},
	{"dose-ledger", "find out what changed the file, then clear the fault",
	 "always (the daemon has written the ledger again from what it counts: the doses it recorded, or the "
	 "worst the caps allow)"},
	{"dose-heat", "rest the skin before the next heat session", "a cap: ends the session, no latch"},
	{"dose-cold-phase", "rest the skin before more cold", "a cap: ends the session, no latch"},
	{"dose-cold-session", "rest the skin before more cold", "a cap: ends the session, no latch"},
	{"dose-heat-day", "rest the skin until tomorrow", "a cap: ends the session, no latch"},
	{"dose-cold-day", "rest the skin until tomorrow", "a cap: ends the session, no latch"},
	{"session-length", "rest before the next session", "a cap: ends the session, no latch"},
};
const size_t safety_ncheck = sizeof safety_checks / sizeof safety_checks[0];

const struct safety_near_info safety_near_info[SAFETY_NEAR_N] = {
	[SAFETY_NEAR_PLATE_OVER] = {"plate-over", "the hottest plate reading below plate_max_c", "C"},
	[SAFETY_NEAR_PLATE_UNDER] = {"plate-under", "the coldest plate reading above plate_min_c", "C"},
	[SAFETY_NEAR_DISAGREE] = {"sensor-disagree", "plate A and B apart, against disagree_c", "C"},
	[SAFETY_NEAR_FROZEN_ONE] = {"sensor-frozen", "fast, one: the other sensor's motion while one read the same "
						   "hundredth for 1 s or more", "C"},
	[SAFETY_NEAR_FROZEN_BOTH] = {"sensor-frozen", "fast, both: both the same while the plate had to move", "s"},
	[SAFETY_NEAR_FROZEN_SLOW] = {"sensor-frozen", "slow: the other sensor's motion at the end of a window with one "
						    "still", "C"},
	[SAFETY_NEAR_NOISY] = {"sensor-noisy", "a sensor's mean stray from the line through its last readings", "C"},
	[SAFETY_NEAR_SINK_OVER] = {"sink-over", "the heat sink below sink_max_c", "C"},
	[SAFETY_NEAR_NO_PROGRESS] = {"runaway-no-progress", "time without progress toward the setpoint (where the "
							    "window's end is a fault)", "s"},
	[SAFETY_NEAR_NO_PROGRESS_AWAY] = {"runaway-no-progress", "at full drive, once answered: the plate's motion "
								 "away from the target over a window", "C"},
	[SAFETY_NEAR_HOLD] = {"runaway-hold", "time outside the hold band while holding", "s"},
	[SAFETY_NEAR_WRONG_WAY] = {"runaway-wrong-way", "slow: the plate's motion against strong drive per window",
				   "C"},
	[SAFETY_NEAR_WRONG_WAY_FAST] = {"runaway-wrong-way", "fast: the plate's motion against strong drive in 1.5 s",
					"C"},
	[SAFETY_NEAR_DRIVE_OFF] = {"drive-while-off", "current beyond the Seebeck current with the drive off", "A"},
	[SAFETY_NEAR_DRIFT_OFF] = {"drift-while-off", "drift away from the rest band with the drive off", "C/s"},
	[SAFETY_NEAR_STALE] = {"stale-telemetry", "the longest wait for a sample in a session", "s"},
};

/* A check that fires at value >= limit (near), or at value <= limit
 * (near_below). */
static void near(struct safety *s, enum safety_near k, double value, double limit)
{
	struct safety_nearest *n = &s->nearest[k];
	if (isfinite(value) && limit - value < n->margin) {
		n->margin = limit - value;
		n->value = value;
		n->limit = limit;
	}
}

static void near_below(struct safety *s, enum safety_near k, double value, double limit)
{
	struct safety_nearest *n = &s->nearest[k];
	if (isfinite(value) && value - limit < n->margin) {
		n->margin = value - limit;
		n->value = value;
		n->limit = limit;
	}
}

void safety_near_reset(struct safety *s)
{
	for (int k = 0; k < SAFETY_NEAR_N; k++)
		s->nearest[k] = (struct safety_nearest){.margin = INFINITY, .value = NAN, .limit = NAN};
}

const struct safety_check_info *safety_check_find(const char *code)
{
	for (size_t i = 0; i < safety_ncheck; i++)
		if (strcmp(safety_checks[i].code, code) == 0)
			return &safety_checks[i];
	return NULL;
}

/* What a person should do about one firmware bit, by its protocol name. */
static const struct {
	const char *bit, *meaning;
} firmware_bits[] = {
	{"watchdog", "no command reached it within its watchdog time (the host stalled)"},
	{"plate-over", "a plate sensor read above its hard maximum"},
	{"plate-under", "a plate sensor read below its hard minimum"},
	{"sink-over", "the heat sink read above its hard maximum: check the fan"},
	{"sensor-a-open", "plate sensor A is open: check the cable"},
	{"sensor-a-short", "plate sensor A is shorted: check the cable"},
	{"sensor-b-open", "plate sensor B is open: check the cable"},
	{"sensor-b-short", "plate sensor B is shorted: check the cable"},
	{"sink-sensor-open", "the heat-sink sensor is open: check the cable"},
	{"sink-sensor-short", "the heat-sink sensor is shorted: check the cable"},
	{"overcurrent", "the module drew more than its current limit"},
	{"supply", "the supply voltage was out of range: check the power supply"},
	{"fuse", "the thermal fuse opened: the pad needs service"},
	{"heat-dose", "the plate's heat dose reached the firmware's own bound: let the skin rest, then unplug and "
		      "replug the pad"},
	{"cold-exposure", "the plate stayed below 15 C, or below 9.5 C, as long as the firmware allows: let the "
			  "skin rewarm, then unplug and replug the pad"},
	{"bridge", "the module's current disagreed with the drive (a stuck bridge) and the load switch opened: "
		   "unplug the pad; it needs service"},
	{"plate-implausible", "both plate sensors disagree with the module's own Seebeck voltage (frozen, or off "
			      "the plate): check that the sensors sit on the plate, then clear"},
	{"load-switch-welded", "current flowed through the module with its load switch open: the switch is welded "
			       "shut, so nothing but the bridge stands between a fault and the skin; unplug the pad, it "
			       "needs service"},
	{"supply-lost", "the pad's 12 V supply went while it was heating or cooling, and the pad will not resume "
			"by itself: check the power supply and its cable (and the power relay), then clear the fault and "
			"start again"},
	{"heat-clamp", "the host kept asking for more heat than the firmware's plate limit let through (its bound "
		       "of the true plate, over plate sensors A and B, at 1 C under the plate maximum in force), "
		       "30 s of full drive withheld against a bound of 30: the host was not controlling the plate. "
		       "Stop whatever program drives the pad, check the daemon's log, then clear; a second time "
		       "within 30 min needs an unplug and replug"},
};

void safety_describe_firmware(uint32_t bits, char *buf, size_t len)
{
	size_t used = 0;
	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < 32; i++) {
		uint32_t bit = 1u << i;
		if (!(bits & bit))
			continue;
		const char *name = proto_fault_name(bit), *meaning = "a fault this host does not know";
		for (size_t j = 0; j < sizeof firmware_bits / sizeof firmware_bits[0]; j++)
			if (!strcmp(firmware_bits[j].bit, name))
				meaning = firmware_bits[j].meaning;
		int n = strcmp(name, "unknown-fault") == 0
				? snprintf(buf + used, len - used, "%sbit 0x%x (%s)", used ? "; " : "", bit, meaning)
				: snprintf(buf + used, len - used, "%s%s (%s)", used ? "; " : "", name, meaning);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

void safety_limits_hard(struct safety_limits *l)
{
	*l = (struct safety_limits){
		.plate_max_c = 45.0, .plate_min_c = 5.0,
		.setpoint_max_c = 42.0, .setpoint_min_c = 10.0,
		.disagree_c = 1.5, .bad_samples = 3,
		.frozen_s = 30.0, .frozen_drive = 0.3,
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
	l->frozen_s = 20.0; /* a clean filtered NTC may read the same for seconds */
}

bool safety_limits_within_firmware(struct safety_limits *l, const struct safety_fw_bounds *fw)
{
	struct safety_limits was = *l;
	if (fw->dose_cem43_min > 0)
		l->dose_cem43_min = fmin(l->dose_cem43_min, SAFETY_FW_HEAT_SHARE * fw->dose_cem43_min);
	if (fw->cold_max_s > 0) {
		l->cold_c = fmax(l->cold_c, fw->cold_below_c);
		l->cold_session_max_s = fmin(l->cold_session_max_s, SAFETY_FW_COLD_SHARE * fw->cold_max_s);
		l->cold_phase_max_s =
			fmin(l->cold_phase_max_s, fmax(60.0, l->cold_session_max_s - SAFETY_COLD_APPROACH_S));
	}
	return l->dose_cem43_min != was.dose_cem43_min || l->cold_c != was.cold_c ||
	       l->cold_session_max_s != was.cold_session_max_s || l->cold_phase_max_s != was.cold_phase_max_s;
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
	s->reach_c = NAN;
	s->slow_y = NAN;
	s->drift_y = NAN;
	/* the reference module; a pad's own figures may replace them */
	s->module_seebeck_v_per_k = 0.053;
	s->module_resistance_ohm = 2.1;
	safety_near_reset(s);
}

void safety_session_start(struct safety *s, double t)
{
	s->session_running = true;
	s->session_start = t;
	s->cap_reached = false;
	s->cap_code[0] = s->cap_message[0] = '\0';
	s->cem43_min = s->heat_carried = 0;
	s->cold_session_s = s->cold_carried = 0;
	s->cold_phase_s = 0;
	s->heat_day_room = s->cold_day_room = INFINITY;
}

void safety_session_carry(struct safety *s, double heat_cem43_min, double cold_s, double heat_day_room,
			  double cold_day_room)
{
	/* carried at most up to the caps, and no room below none: a ledger a
	 * hair over a cap (where a cap ended the last session) ends only a
	 * session that adds to it, never one that adds none of that kind */
	s->cem43_min = s->heat_carried = fmin(heat_cem43_min, s->lim.dose_cem43_min);
	s->cold_session_s = s->cold_carried = fmin(cold_s, s->lim.cold_session_max_s);
	s->heat_day_room = fmax(heat_day_room, 0);
	s->cold_day_room = fmax(cold_day_room, 0);
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
	const struct safety_check_info *info = safety_check_find(code);
	size_t n = strlen(s->message);
	if (info && n < sizeof s->message)
		snprintf(s->message + n, sizeof s->message - n, ": %s", info->what_to_do);
}

/* A cap ends the session in order: no latch, reported once. */
__attribute__((format(printf, 3, 4))) static void cap(struct safety *s, const char *code, const char *fmt, ...)
{
	if (s->cap_reached || !s->session_running)
		return;
	s->cap_reached = true;
	snprintf(s->cap_code, sizeof s->cap_code, "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->cap_message, sizeof s->cap_message, fmt, ap);
	va_end(ap);
	const struct safety_check_info *info = safety_check_find(code);
	size_t n = strlen(s->cap_message);
	if (info && n < sizeof s->cap_message)
		snprintf(s->cap_message + n, sizeof s->cap_message - n, ": %s", info->what_to_do);
}

void safety_windows_restart(struct safety *s, double t)
{
	s->frozen_since = s->progress_t = s->hold_out_since = s->wrong_t = t;
	s->off_since = s->disobey_since = t;
	s->off_samples = 0;
	s->wrong_sign = 0;
	s->fast_dir = s->fast_n = s->fast_head = 0;
	s->last_target = NAN;
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
		near(s, SAFETY_NEAR_PLATE_OVER, in->plate_c[i], s->lim.plate_max_c);
		near_below(s, SAFETY_NEAR_PLATE_UNDER, in->plate_c[i], s->lim.plate_min_c);
		if (in->plate_c[i] > s->lim.plate_max_c)
			safety_latch(s, "plate-over", "plate-over: sensor %s reads %.2f C, above the limit %.2f C, while %s",
				     sensor_name[i], in->plate_c[i], s->lim.plate_max_c, in->doing);
		if (in->plate_c[i] < s->lim.plate_min_c)
			safety_latch(s, "plate-under", "plate-under: sensor %s reads %.2f C, below the limit %.2f C, while %s",
				     sensor_name[i], in->plate_c[i], s->lim.plate_min_c, in->doing);
	}
}

/* A sensor that froze (came loose, a stuck converter) reads the same while
 * the plate must move: armed only while approaching a target under strong
 * drive, where a change is due, and over tens of seconds, because a clean
 * filtered NTC may read the same hundredth for seconds. One sensor still
 * while the other moves is frozen; both still from the start of an
 * approach is a plate that does not respond. A plateau reached after
 * moving (a target out of reach) is neither. */
#define FROZEN_STILL_C 0.02
#define FROZEN_OTHER_MOVED_C 0.2

static void frozen_restart(struct safety *s, const struct safety_input *in)
{
	s->frozen_since = in->t;
	s->frozen_value[0] = in->plate_c[0];
	s->frozen_value[1] = in->plate_c[1];
	s->frozen_spread[0] = s->frozen_spread[1] = 0;
}

static void check_frozen(struct safety *s, const struct safety_input *in)
{
	double sp = isnan(in->setpoint_c) ? in->target_c : in->setpoint_c;
	bool armed = !isnan(in->target_c) && !in->holding && fabs(in->drive) >= s->lim.frozen_drive &&
		     fabs(sp - in->estimate_c) > s->lim.hold_band_c;
	if (!(in->target_c == s->frozen_target)) {
		/* a new target: until the plate has responded, both sensors
		 * still is a plate that does not respond */
		s->frozen_target = in->target_c;
		s->frozen_from_change = true;
	}
	if (!armed || !s->frozen_armed) {
		frozen_restart(s, in);
		s->frozen_armed = armed;
		return;
	}
	double moved[2];
	bool still[2];
	for (int i = 0; i < 2; i++) {
		moved[i] = in->plate_ok[i] ? fabs(in->plate_c[i] - s->frozen_value[i]) : NAN;
		if (in->plate_ok[i] && moved[i] > s->frozen_spread[i])
			s->frozen_spread[i] = moved[i];
		/* still all along, not only at the window's two ends: a live
		 * sensor's noise comes back near where it was by chance */
		still[i] = in->plate_ok[i] && s->frozen_spread[i] < FROZEN_STILL_C;
		if (moved[i] >= FROZEN_OTHER_MOVED_C)
			s->frozen_from_change = false; /* it responded */
	}
	if (in->t - s->frozen_since < s->lim.frozen_s)
		return;
	for (int i = 0; i < 2; i++)
		if (still[i] && !still[!i])
			near(s, SAFETY_NEAR_FROZEN_SLOW, moved[!i], FROZEN_OTHER_MOVED_C);
	int which = -1;
	if (still[0] && !still[1] && moved[1] >= FROZEN_OTHER_MOVED_C)
		which = 0;
	else if (still[1] && !still[0] && moved[0] >= FROZEN_OTHER_MOVED_C)
		which = 1;
	if (which >= 0)
		safety_latch(s, "sensor-frozen",
			     "sensor-frozen: sensor %s has stayed at %.2f C for %.1f s (limit %.1f s) while plate %s "
			     "moved %.2f C, under a drive of %+.0f %%, while %s",
			     sensor_name[which], in->plate_c[which], in->t - s->frozen_since, s->lim.frozen_s,
			     which ? "A" : "B", moved[!which], in->drive * 100, in->doing);
	else if (still[0] && still[1] && s->frozen_from_change)
		safety_latch(s, "sensor-frozen",
			     "sensor-frozen: plate A and B have stayed at %.2f and %.2f C for %.1f s (limit %.1f s) "
			     "from the start of the approach, under a drive of %+.0f %%, while %s",
			     in->plate_c[0], in->plate_c[1], in->t - s->frozen_since, s->lim.frozen_s, in->drive * 100,
			     in->doing);
	s->frozen_from_change = false;
	frozen_restart(s, in);
}

/* The fast frozen check. A live converter's reading changes by at least
 * its resolution whenever the plate under it moves that much, whatever its
 * noise (a clean 16-bit front end may have almost none): a reading that
 * stays the very same hundredth while the plate moves is a stuck
 * converter, a broken wire or a sensor off the plate. Noise is no part of
 * the argument; motion is. Two witnesses that the plate moved:
 *  - the other plate sensor, smoothed over half a second, moved 0.3 C (15
 *    sigma of the smoothing of 0.1 C noise) while this one read the same
 *    hundredth for a second or more: one plate, two sensors, and a
 *    difference in their lags only delays the slower one, never holds it
 *    still while the other moves (a 1 s and a 4 s lag on a 1 C/s ramp:
 *    0.3 C against 0.09 C);
 *  - both readings the same for 2 s after the plate was moving at 0.05 C/s
 *    or more the way the drive pushes, while approaching a setpoint still
 *    1 C or more ahead, with the drive kept on it (30 % at least, and 80 %
 *    of what it was): under a drive that does not change, a plate's heat
 *    capacity keeps it moving (its rate decays over tens of seconds, a
 *    light plate's over some 5 s), so the plate moved 0.08 C or more in
 *    those 2 s: eight hundredths that a live sensor must show. Not at a
 *    hold, nor where the controller eases off near the setpoint: there
 *    the drive is what balances the plate's losses, and a plate turning
 *    round at the end of an approach stands still for seconds under it
 *    (seen in the endurance run, noise 0, a tight strap at 40 C, +64 %
 *    drive). The firmware's Seebeck proof
 *    sees the same when heating, but cooling with a hot sink it needs the
 *    plate 3-4 C past the readings.
 * Within 3 s of the freeze on every shipped pad (the slowest, a tight
 * strap while cooling, moves 0.14 C/s). */
#define SAME_C 0.005 /* half a hundredth: the same reading */
#define SAME_SMOOTH_S 0.5
#define SAME_ONE_S 1.0
#define SAME_OTHER_MOVED_C 0.3
#define SAME_BOTH_S 2.0
#define SAME_RATE_WINDOW_S 2.0
#define SAME_RATE_C_PER_S 0.05
#define SAME_FAR_C 1.0 /* the setpoint still this far ahead, the way the drive pushes */
#define SAME_KEPT 0.8 /* the drive kept at this share of what it was */

static void same_reset(struct safety *s, const struct safety_input *in)
{
	s->same_have = in->plate_ok[0] && in->plate_ok[1] && isfinite(in->plate_c[0]) && isfinite(in->plate_c[1]);
	s->same_n = s->same_head = 0;
	s->same_both = 0;
	s->same_t = in->t;
	for (int i = 0; i < 2; i++) {
		s->same_last[i] = s->same_smooth[i] = in->plate_c[i];
		s->same_since[i] = in->t;
	}
	for (int i = 0; i < 2; i++)
		s->same_other_from[i] = s->same_smooth[!i];
}

/* The smoothed mean's rate over the window that ended at t. */
static double same_rate_before(const struct safety *s, double t)
{
	double y1 = NAN, t1 = NAN;
	for (int k = 0; k < s->same_n; k++) {
		int i = (s->same_head + SAFETY_SAME_HISTORY - 1 - k) % SAFETY_SAME_HISTORY;
		if (s->same_hist_t[i] > t)
			continue;
		if (isnan(y1)) {
			y1 = s->same_hist_y[i];
			t1 = s->same_hist_t[i];
		} else if (t1 - s->same_hist_t[i] >= SAME_RATE_WINDOW_S - 1e-9) {
			return (y1 - s->same_hist_y[i]) / (t1 - s->same_hist_t[i]);
		}
	}
	return 0.0; /* not enough history: no motion known */
}

static void check_same(struct safety *s, const struct safety_input *in)
{
	bool both = in->plate_ok[0] && in->plate_ok[1] && isfinite(in->plate_c[0]) && isfinite(in->plate_c[1]);
	if (!both || !s->same_have || in->t <= s->same_t) {
		same_reset(s, in);
		return;
	}
	double a = fmin(1.0, (in->t - s->same_t) / SAME_SMOOTH_S);
	s->same_t = in->t;
	bool fresh[2];
	for (int i = 0; i < 2; i++) {
		s->same_smooth[i] += (in->plate_c[i] - s->same_smooth[i]) * a;
		fresh[i] = fabs(in->plate_c[i] - s->same_last[i]) >= SAME_C;
		s->same_last[i] = in->plate_c[i];
	}
	for (int i = 0; i < 2; i++)
		if (fresh[i]) {
			s->same_since[i] = in->t;
			s->same_other_from[i] = s->same_smooth[!i];
		}
	s->same_hist_t[s->same_head] = in->t;
	s->same_hist_y[s->same_head] = (s->same_smooth[0] + s->same_smooth[1]) / 2;
	s->same_head = (s->same_head + 1) % SAFETY_SAME_HISTORY;
	if (s->same_n < SAFETY_SAME_HISTORY)
		s->same_n++;

	/* one still while the other moved */
	for (int i = 0; i < 2; i++) {
		double still_s = in->t - s->same_since[i];
		double other_moved = fabs(s->same_smooth[!i] - s->same_other_from[i]);
		if (still_s >= SAME_ONE_S)
			near(s, SAFETY_NEAR_FROZEN_ONE, other_moved, SAME_OTHER_MOVED_C);
		if (still_s >= SAME_ONE_S && other_moved >= SAME_OTHER_MOVED_C)
			safety_latch(s, "sensor-frozen",
				     "sensor-frozen: sensor %s has read exactly %.2f C for %.1f s while plate %s moved "
				     "%.2f C (limit %.2f C), under a drive of %+.0f %%, while %s",
				     sensor_name[i], in->plate_c[i], still_s, i ? "A" : "B", other_moved,
				     SAME_OTHER_MOVED_C, in->drive * 100, in->doing);
	}

	/* both still while the plate must be moving: judged once per run of
	 * both (on the motion before it), then watched while the push lasts */
	if (fresh[0] || fresh[1] || in->resting) {
		s->same_both = 0;
		return;
	}
	double since = fmax(s->same_since[0], s->same_since[1]);
	if (s->same_both == 0) {
		double rate = same_rate_before(s, since);
		double dir = in->drive > 0 ? 1.0 : -1.0;
		double sp = isnan(in->setpoint_c) ? in->target_c : in->setpoint_c;
		bool far = !in->holding && !isnan(sp) && (sp - in->estimate_c) * dir >= SAME_FAR_C;
		bool moving = far && rate * dir >= SAME_RATE_C_PER_S && fabs(in->drive) >= s->lim.frozen_drive;
		s->same_both = moving ? 1 : -1;
		s->same_both_rate = rate;
		s->same_both_drive = in->drive;
	}
	if (s->same_both < 0)
		return;
	double dir = s->same_both_drive > 0 ? 1.0 : -1.0;
	if (in->drive * dir < fmax(s->lim.frozen_drive, SAME_KEPT * fabs(s->same_both_drive))) {
		s->same_both = -1; /* the push eased: the plate may stop */
		return;
	}
	near(s, SAFETY_NEAR_FROZEN_BOTH, in->t - since, SAME_BOTH_S);
	if (in->t - since >= SAME_BOTH_S)
		safety_latch(s, "sensor-frozen",
			     "sensor-frozen: plate A and B have read exactly %.2f and %.2f C for %.1f s (limit %.1f s) "
			     "although the plate was moving %.2f C/s under a drive of %+.0f %% that kept pushing it "
			     "(%+.0f %% now): a live sensor shows that motion, while %s",
			     in->plate_c[0], in->plate_c[1], in->t - since, SAME_BOTH_S, s->same_both_rate,
			     s->same_both_drive * 100, in->drive * 100, in->doing);
}

/* A failing sensor that turns noisy, judged sensor by sensor on its
 * innovation against the simplest model of a plate: that it moves
 * smoothly. Each reading is predicted by the straight line through the
 * two before it. A plate's heat capacity and the sensor's own lag (1 s or
 * more) bound how fast that line can bend: a light plate swinging from
 * +4 to -3 C/s bends it by some 0.07 C at 10 samples a second. What is
 * left is the sensor's noise: for white noise of sigma, the second
 * difference of three readings has sigma * sqrt(6), 1.95 sigma in mean
 * size. A healthy sensor at the worst noise of the pads' range, sigma
 * 0.1 C, strays 0.2 C in theory and 0.27-0.29 C at most on every shipped
 * pad in the simulator; the failing sensor of sigma 0.5 C strays 1 C.
 * An exponentially weighted mean over about 5 s of samples, against a
 * bound of 0.5 C, keeps a margin of 1.7x below and 2x above, and names
 * the sensor, since each is judged alone. A frame lost in between
 * lengthens the line's reach: the stray is scaled back to what the same
 * noise gives at equal spacing. Each sample counts at most 1.2 C: one
 * jump (a sensor shifted by an offset) is the disagreement check's, not
 * noise. */
#define NOISY_MEAN_C 0.5
#define NOISY_CLIP_C 1.2
#define NOISY_WEIGHT 0.02
#define NOISY_MIN_SAMPLES 50
#define NOISY_SPACING_MAX 4.0 /* past 4 sample spacings apart, the line starts again */

static void noisy_restart(struct safety *s, int i)
{
	s->noisy_n[i] = 0;
	s->noisy_mean_c[i] = 0;
}

/* The noisiest sensor over the bound once judged long enough, or -1. */
static int noisy_over(const struct safety *s)
{
	int worst = -1;
	for (int i = 0; i < 3; i++)
		if (s->noisy_n[i] >= NOISY_MIN_SAMPLES + 2 && s->noisy_mean_c[i] > NOISY_MEAN_C &&
		    (worst < 0 || s->noisy_mean_c[i] > s->noisy_mean_c[worst]))
			worst = i;
	return worst;
}

static void noisy_add(struct safety *s, int i, double t, double y)
{
	int n = s->noisy_n[i];
	double dt1 = n >= 1 ? t - s->noisy_t[i][1] : 0;
	if (n >= 1 && !(dt1 > 0))
		return; /* the same moment again: nothing new to judge */
	if (n >= 2) {
		double dt0 = s->noisy_t[i][1] - s->noisy_t[i][0];
		if (!(dt1 <= NOISY_SPACING_MAX * dt0)) {
			noisy_restart(s, i); /* too far apart to draw a line through */
			n = 0;
		} else {
			double r = dt1 / dt0;
			double predicted = s->noisy_y[i][1] + (s->noisy_y[i][1] - s->noisy_y[i][0]) * r;
			/* three readings' noise through that line, against equal spacing */
			double scale = sqrt((1.0 + (1.0 + r) * (1.0 + r) + r * r) / 6.0);
			double stray = fmin(fabs(y - predicted) / scale, NOISY_CLIP_C);
			s->noisy_mean_c[i] += NOISY_WEIGHT * (stray - s->noisy_mean_c[i]);
		}
	}
	s->noisy_t[i][0] = s->noisy_t[i][1];
	s->noisy_y[i][0] = s->noisy_y[i][1];
	s->noisy_t[i][1] = t;
	s->noisy_y[i][1] = y;
	if (n < NOISY_MIN_SAMPLES + 2)
		s->noisy_n[i] = n + 1;
}

static void check_noisy(struct safety *s, const struct safety_input *in)
{
	const bool ok[3] = {in->plate_ok[0], in->plate_ok[1], in->sink_ok};
	const double v[3] = {in->plate_c[0], in->plate_c[1], in->sink_c};
	if (!s->noisy_have) {
		s->noisy_have = true;
		for (int i = 0; i < 3; i++)
			noisy_restart(s, i);
	}
	for (int i = 0; i < 3; i++) {
		if (ok[i] && isfinite(v[i]))
			noisy_add(s, i, in->t, v[i]);
		else
			noisy_restart(s, i);
	}
	for (int i = 0; i < 3; i++)
		if (s->noisy_n[i] >= NOISY_MIN_SAMPLES + 2)
			near(s, SAFETY_NEAR_NOISY, s->noisy_mean_c[i], NOISY_MEAN_C);
	int worst = noisy_over(s);
	if (worst >= 0)
		safety_latch(s, "sensor-noisy",
			     "sensor-noisy: sensor %s is noisy: its readings stray %.2f C on average from the line "
			     "through the two before them (limit %.2f C; a plate moves smoothly, and a healthy "
			     "sensor strays twice its noise, some 0.2 C at most); last %.2f C, while %s",
			     sensor_name[worst], s->noisy_mean_c[worst], NOISY_MEAN_C, v[worst], in->doing);
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
	if (ok[0] && ok[1])
		near(s, SAFETY_NEAR_DISAGREE, fabs(v[0] - v[1]), s->lim.disagree_c);
	if (ok[0] && ok[1] && fabs(v[0] - v[1]) > s->lim.disagree_c) {
		if (++s->disagree >= s->lim.bad_samples)
			safety_latch(s, "sensor-disagree",
				     "sensor-disagree: plate A reads %.2f C and plate B %.2f C, %.2f C apart, "
				     "more than the limit %.2f C, while %s",
				     v[0], v[1], fabs(v[0] - v[1]), s->lim.disagree_c, in->doing);
	} else {
		s->disagree = 0;
	}
	check_frozen(s, in);
	check_same(s, in);
	check_noisy(s, in);
}

static void check_sink(struct safety *s, const struct safety_input *in)
{
	if (!in->sink_ok)
		return;
	near(s, SAFETY_NEAR_SINK_OVER, in->sink_c, s->lim.sink_max_c);
	if (in->sink_c > s->lim.sink_max_c)
		safety_latch(s, "sink-over", "sink-over: heat sink reads %.2f C, above the limit %.2f C, while %s",
			     in->sink_c, s->lim.sink_max_c, in->doing);
	else if (in->sink_c > s->lim.sink_limit_c)
		warn(s, "sink-hot", "heat sink at %.1f C (cooling limited above %.1f C)", in->sink_c,
		     s->lim.sink_limit_c);
}

/* The current a module with zero drive carries: the temperature
 * difference across it drives -S*dT/R through the bridge. Anything beyond
 * that, and a margin for the module's spread (S and R each +-25 %) and
 * the current sensor, is the bridge driving what it was not told to. */
#define OFF_MARGIN_A 0.3
#define OFF_SPREAD 0.5

static double seebeck_current(const struct safety *s, const struct safety_input *in, double plate)
{
	if (!in->sink_ok || !isfinite(plate))
		return 0.0;
	return -s->module_seebeck_v_per_k * (plate - in->sink_c) / s->module_resistance_ohm;
}

/* With the drive off, an unpowered plate relaxes toward somewhere between
 * the room and the body (about 24-36 C): a plate above that band still
 * warming, or below it still cooling, is being driven by something (a
 * bridge stuck on while its current sensor also lies: the current check
 * above is the first line). Judged over 5 s once the drive has been off
 * for 10 s, on the smoothed sensors; 0.05 C/s is half what a bridge stuck
 * at 10 % does to the reference plate, and far beyond what the skin under
 * it can do to a plate it is colder than. */
#define DRIFT_SETTLE_S 10.0
#define DRIFT_WINDOW_S 5.0
#define DRIFT_RATE_C_PER_S 0.05
#define DRIFT_REST_LOW_C 24.0
#define DRIFT_REST_HIGH_C 36.0

static void check_drift(struct safety *s, const struct safety_input *in, bool off)
{
	if (!off || isnan(s->slow_y)) {
		s->drift_since = in->t;
		s->drift_y = NAN;
		return;
	}
	double off_for = in->t - s->drift_since;
	if (off_for < DRIFT_SETTLE_S)
		return;
	if (isnan(s->drift_y)) {
		s->drift_y = s->slow_y; /* the window opens */
		s->drift_t = in->t;
		return;
	}
	if (in->t - s->drift_t < DRIFT_WINDOW_S)
		return;
	double rate = (s->slow_y - s->drift_y) / (in->t - s->drift_t);
	if (s->slow_y > DRIFT_REST_HIGH_C)
		near(s, SAFETY_NEAR_DRIFT_OFF, rate, DRIFT_RATE_C_PER_S);
	else if (s->slow_y < DRIFT_REST_LOW_C)
		near(s, SAFETY_NEAR_DRIFT_OFF, -rate, DRIFT_RATE_C_PER_S);
	bool away = (s->slow_y > DRIFT_REST_HIGH_C && rate >= DRIFT_RATE_C_PER_S) ||
		    (s->slow_y < DRIFT_REST_LOW_C && rate <= -DRIFT_RATE_C_PER_S);
	if (away)
		safety_latch(s, "drift-while-off",
			     "drift-while-off: with the drive off for %.0f s the plate went %s at %.2f C/s to %.2f C, away "
			     "from where an unpowered pad goes (%.0f-%.0f C; limit %.2f C/s), module current %.2f A, while %s",
			     off_for, rate > 0 ? "up" : "down", fabs(rate), s->slow_y, DRIFT_REST_LOW_C, DRIFT_REST_HIGH_C,
			     DRIFT_RATE_C_PER_S, in->current_a, in->doing);
	s->drift_y = s->slow_y;
	s->drift_t = in->t;
}

static void check_off(struct safety *s, const struct safety_input *in)
{
	/* current while the drive is off, as commanded and as the firmware
	 * reports applying it: the bridge does what it was not told. Until
	 * the firmware confirms the zero, current is the last command still
	 * in force; the first frame after it applies the zero may still carry
	 * the current measured before. The condition must then hold on two
	 * samples or more, counted from the first where it holds. */
	bool off = in->drive == 0.0 && in->drive_applied == 0.0;
	bool first_zero = off && s->last_applied != 0.0;
	double seebeck = seebeck_current(s, in, in->estimate_c);
	double excess = fabs(in->current_a - seebeck);
	double limit = OFF_MARGIN_A + OFF_SPREAD * fabs(seebeck);
	if (limit > s->lim.off_current_a)
		limit = s->lim.off_current_a;
	if (off && !first_zero)
		near(s, SAFETY_NEAR_DRIVE_OFF, excess, limit);
	if (first_zero) {
		/* neither counts nor restarts */
	} else if (off && excess > limit) {
		if (s->off_samples++ == 0)
			s->off_since = in->t;
		if (s->off_samples >= 2 && in->t - s->off_since >= s->lim.off_s)
			safety_latch(s, "drive-while-off",
				     "drive-while-off: the module draws %.2f A while the drive is off; the temperature "
				     "difference alone drives %.2f A, and %.2f A more is over the limit %.2f A "
				     "(for %.1f s), plate %.2f C, heat sink %.2f C, while %s",
				     in->current_a, seebeck, excess, limit, in->t - s->off_since, in->estimate_c, in->sink_c,
				     in->doing);
	} else {
		s->off_samples = 0;
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
	s->last_applied = in->drive_applied;
	check_drift(s, in, off);
}

/* The wrong way, fast: a module wired backwards heats at full rate while
 * cooling is asked for (about 1.4 C/s on the reference pad, up to 4 C/s
 * on a light plate; 0.8 C/s the other way). From a start at 38 C the
 * true plate must not pass 42.5 C: 4.5 C, some 3 s at 1.4 C/s, of which
 * the sensor's lag (1.5-3.5 s) takes most. So the plate sensors' mean,
 * lightly smoothed (0.3 s), may not move 0.5 C the wrong way in a
 * sliding 1.5 s under strong applied drive: the sensor shows that 1.2 to
 * 1.8 s after the module starts, and a healthy pad never does it (its
 * smoothed noise is some 0.04 C; thermal inertia moves the plate on after
 * a reversal, but the firmware's polarity rest lies between, and the
 * window starts after it). The slow window above (wrong_way_s) catches the
 * slow drift of a dead fan. */
#define FAST_WRONG_WINDOW_S 1.5
#define FAST_WRONG_C 0.5
#define FAST_SMOOTH_S 0.3

static void check_wrong_way_fast(struct safety *s, const struct safety_input *in)
{
	int dir = fabs(in->drive) >= s->lim.strong_drive ? (in->drive > 0 ? 1 : -1) : 0;
	double y = NAN, sum = 0;
	int n = 0;
	for (int i = 0; i < 2; i++)
		if (in->plate_ok[i] && isfinite(in->plate_c[i]))
			sum += in->plate_c[i], n++;
	if (n)
		y = sum / n;
	if (dir == 0 || dir != s->fast_dir || in->resting || in->drive_applied == 0.0 || isnan(y)) {
		s->fast_dir = in->resting || in->drive_applied == 0.0 ? 0 : dir;
		s->fast_n = s->fast_head = 0;
		s->fast_y = y;
		return;
	}
	double dt = s->fast_n ? in->t - s->fast_hist_t[(s->fast_head + SAFETY_FAST_HISTORY - 1) % SAFETY_FAST_HISTORY]
			      : 0.0;
	if (dt > FAST_SMOOTH_S) {
		/* reports lost: what the plate did meanwhile was under a
		 * drive nobody saw applied (the firmware may have cut it) */
		s->fast_n = s->fast_head = 0;
		s->fast_y = y;
		dt = 0;
	}
	s->fast_y += dt > 0 ? (y - s->fast_y) * fmin(1.0, dt / FAST_SMOOTH_S) : 0.0;
	s->fast_hist_t[s->fast_head] = in->t;
	s->fast_hist_y[s->fast_head] = s->fast_y;
	s->fast_head = (s->fast_head + 1) % SAFETY_FAST_HISTORY;
	if (s->fast_n < SAFETY_FAST_HISTORY)
		s->fast_n++;
	/* the newest entry at least a window old */
	for (int k = 1; k < s->fast_n; k++) {
		int i = (s->fast_head + SAFETY_FAST_HISTORY - 1 - k) % SAFETY_FAST_HISTORY;
		if (in->t - s->fast_hist_t[i] < FAST_WRONG_WINDOW_S)
			continue;
		double moved = (s->fast_y - s->fast_hist_y[i]) * dir;
		near(s, SAFETY_NEAR_WRONG_WAY_FAST, -moved, FAST_WRONG_C);
		if (moved <= -FAST_WRONG_C)
			safety_latch(s, "runaway-wrong-way",
				     "runaway-wrong-way: under %s drive of %+.0f %% the plate sensors went %s by %.2f C in "
				     "%.1f s (limit %.1f C), now %.2f C, while %s",
				     dir > 0 ? "heating" : "cooling", in->drive * 100, dir > 0 ? "down" : "up", -moved,
				     in->t - s->fast_hist_t[i], FAST_WRONG_C, y, in->doing);
		break;
	}
}

/* Progress toward a target, in windows of progress_s: the plate must come
 * progress_c closer to the ramped setpoint in each, or, under full drive
 * once it has answered the drive, be at rest no farther from the target
 * than at the last progress (its reach: out-of-reach). An approach at full
 * drive slows as the plate nears what the module can hold (on a tight
 * strap, contrast's 12 C took up to 58 s for a whole degree), and a ramp
 * past the reach leaves the plate at rest while the setpoint goes on;
 * neither is a hazard, and the time such a window runs is no margin to a
 * fault: there the check fires on motion away from the target, and that
 * is the margin kept. A plate answers the drive once it has come
 * progress_c closer to the target since the target changed, on the way or
 * within the band (a ramp it follows). What the window is for fires as
 * before: no answer to the drive after a target change, motion away from
 * the target under full drive, a drive short of full that does not move
 * the plate. */
static void check_runaway(struct safety *s, const struct safety_input *in)
{
	double target = in->target_c;
	if (isnan(target)) {
		/* no target: nothing to progress toward, and nothing held; the
		 * windows start again when a target returns (after a pause, an
		 * off phase) */
		s->last_target = NAN;
		s->progress_t = s->hold_out_since = in->t;
		s->reach_c = NAN;
	} else {
		double sp = isnan(in->setpoint_c) ? target : in->setpoint_c;
		double err = fabs(sp - in->estimate_c);
		double dist = fabs(target - in->estimate_c); /* to the phase's own target */
		/* after a target change: real progress is due within a time */
		if (!(target == s->last_target)) {
			s->last_target = target;
			s->progress_t = in->t;
			s->progress_err = err;
			s->progress_dist = s->start_dist = dist;
			s->progress_first = true;
			s->reach_c = NAN;
		}
		bool answered = !s->progress_first; /* before this sample */
		if (s->start_dist - dist >= s->lim.progress_c)
			s->progress_first = false; /* it answered the drive */
		double toward = target > in->estimate_c ? 1.0 : -1.0;
		bool saturated = in->drive * toward >= 0.95;
		bool sink_fine = in->sink_ok && in->sink_c <= s->lim.sink_limit_c;
		/* where the window's end is the reach, not a fault */
		bool at_reach = !s->progress_first && saturated && sink_fine;
		if (in->cooling_limited && target < in->estimate_c && !in->holding) {
			/* no progress because cooling is held back on purpose:
			 * a warning and no fault (the sink's own limits guard
			 * it); no progress for a window, and the closest band
			 * is what this pad can hold */
			warn(s, "cooling-limited",
			     "cooling held back by the hot heat sink: %.2f C may not be reachable (plate %.2f C)", target,
			     in->estimate_c);
			if (s->progress_err - err >= s->lim.progress_c || in->t - s->progress_t >= s->lim.progress_s) {
				if (s->progress_err - err < s->lim.progress_c)
					s->reach_c = in->estimate_c;
				s->progress_t = in->t;
				s->progress_err = err;
				s->progress_dist = dist;
			}
		} else if (in->holding || err <= s->lim.hold_band_c) {
			s->progress_t = in->t;
			s->progress_err = err;
			s->progress_dist = dist;
		} else if (s->progress_err - err >= s->lim.progress_c) {
			/* progress made, after this long: the next is due (a
			 * margin where the window's end would have been a fault) */
			if (!(answered && saturated && sink_fine))
				near(s, SAFETY_NEAR_NO_PROGRESS, in->t - s->progress_t, s->lim.progress_s);
			s->progress_t = in->t;
			s->progress_err = err;
			s->progress_dist = dist;
			s->progress_first = false;
		} else if (in->t - s->progress_t >= s->lim.progress_s) {
			if (at_reach)
				near(s, SAFETY_NEAR_NO_PROGRESS_AWAY, dist - s->progress_dist, s->lim.progress_c / 2);
			if (at_reach && dist <= s->progress_dist + s->lim.progress_c / 2) {
				/* full drive, the plate at rest no farther from the
				 * target than at the last progress (a setpoint that
				 * ramps on past it is no motion of the plate), the
				 * sink fine: the module's reach, not a hazard */
				s->reach_c = in->estimate_c;
				s->progress_t = in->t;
				s->progress_err = err;
				s->progress_dist = dist;
			} else {
				if (!at_reach)
					near(s, SAFETY_NEAR_NO_PROGRESS, in->t - s->progress_t, s->lim.progress_s);
				safety_latch(s, "runaway-no-progress",
					     "runaway-no-progress: the plate (%.2f C by the sensors' estimate) came less "
					     "than %.1f C closer to %.2f C in %.0f s under a drive of %+.0f %%, while %s",
					     in->estimate_c, s->lim.progress_c, sp, s->lim.progress_s, in->drive * 100,
					     in->doing);
			}
		}
		if (!isnan(s->reach_c)) {
			if ((target - in->estimate_c) * toward < (target - s->reach_c) * toward)
				s->reach_c = in->estimate_c; /* closer still */
			warn(s, "out-of-reach", "%.2f C is out of reach on this pad: holding at %.2f C", target,
			     s->reach_c);
		}
		/* while holding: the error may not stay outside the band (the
		 * band around the closest reachable temperature, if the target
		 * is out of reach) */
		double ref = isnan(s->reach_c) ? sp : s->reach_c;
		double herr = fabs(ref - in->estimate_c);
		if (in->holding && herr > s->lim.hold_band_c && in->cooling_limited && in->estimate_c > ref) {
			/* warmer than a cold hold because cooling is held back on
			 * purpose for the hot sink (a weak fan in a warm room): the
			 * safe side, guarded by the sink's own limits, as on the
			 * way down; a warning, not a fault */
			warn(s, "cooling-limited",
			     "cooling held back by the hot heat sink: %.2f C may not be reachable (plate %.2f C)", target,
			     in->estimate_c);
			s->hold_out_since = in->t;
		} else if (in->holding && herr > s->lim.hold_band_c) {
			near(s, SAFETY_NEAR_HOLD, in->t - s->hold_out_since, s->lim.hold_s);
			if (in->t - s->hold_out_since >= s->lim.hold_s)
				safety_latch(s, "runaway-hold",
					     "runaway-hold: the plate (%.2f C) has been more than %.1f C from %.2f C for "
					     "%.0f s, while %s",
					     in->estimate_c, s->lim.hold_band_c, ref, s->lim.hold_s, in->doing);
		} else {
			s->hold_out_since = in->t;
		}
	}
	/* moving the wrong way under strong drive, slowly: a dead fan turns
	 * a cooler into a heater. On the sensors' smoothed mean, not the
	 * lag-compensated estimate (which amplifies their noise); not while
	 * cooling is held back for the hot sink (the plate then warms by
	 * design, and the sink's limits guard it). */
	double y = NAN, sum = 0;
	int n = 0;
	for (int i = 0; i < 2; i++)
		if (in->plate_ok[i] && isfinite(in->plate_c[i]))
			sum += in->plate_c[i], n++;
	if (n)
		y = sum / n;
	if (isnan(s->slow_y) || isnan(y) || in->t - s->slow_t > 1.0)
		s->slow_y = y;
	else
		s->slow_y += (y - s->slow_y) * fmin(1.0, (in->t - s->slow_t) / 0.5);
	s->slow_t = in->t;
	int dir = fabs(in->drive) >= s->lim.strong_drive ? (in->drive > 0 ? 1 : -1) : 0;
	bool held_back = dir < 0 && in->cooling_limited;
	if (dir == 0 || dir != s->wrong_sign || in->resting || held_back || isnan(s->slow_y)) {
		s->wrong_sign = in->resting || held_back ? 0 : dir;
		s->wrong_t = in->t;
		s->wrong_temp = s->slow_y;
	} else if (in->t - s->wrong_t >= s->lim.wrong_way_s) {
		double moved = (s->slow_y - s->wrong_temp) * dir;
		near(s, SAFETY_NEAR_WRONG_WAY, -moved, s->lim.wrong_way_c);
		if (moved <= -s->lim.wrong_way_c)
			safety_latch(s, "runaway-wrong-way",
				     "runaway-wrong-way: under %s drive of %+.0f %% the plate went %s by %.2f C in %.1f s "
				     "(limit %.1f C), now %.2f C, while %s",
				     dir > 0 ? "heating" : "cooling", in->drive * 100, dir > 0 ? "down" : "up", -moved,
				     in->t - s->wrong_t, s->lim.wrong_way_c, s->slow_y, in->doing);
		s->wrong_t = in->t; /* next window */
		s->wrong_temp = s->slow_y;
	}
	check_wrong_way_fast(s, in);
	check_off(s, in);
}

static void check_dose(struct safety *s, const struct safety_input *in, double dt)
{
	if (!s->session_running || dt <= 0)
		return;
	/* as measured, not the controller's extrapolation: heat on the
	 * hotter plate sensor, cold on the colder one */
	double hot = NAN, cold = NAN;
	for (int i = 0; i < 2; i++)
		if (in->plate_ok[i] && isfinite(in->plate_c[i])) {
			hot = isnan(hot) ? in->plate_c[i] : fmax(hot, in->plate_c[i]);
			cold = isnan(cold) ? in->plate_c[i] : fmin(cold, in->plate_c[i]);
		}
	if (isnan(hot))
		hot = cold = in->estimate_c;
	/* CEM43: minutes at 43 C equivalent; R = 0.5 above 43 C, 0.25 below */
	double r = hot >= 43.0 ? 0.5 : 0.25;
	s->cem43_min += dt / 60.0 * pow(r, 43.0 - hot);
	if (cold < s->lim.cold_c) {
		s->cold_phase_s += dt;
		s->cold_session_s += dt;
	}
	double heat_added = s->cem43_min - s->heat_carried;
	if (s->cem43_min > s->lim.dose_cem43_min && heat_added > SAFETY_HEAT_ADDED_MIN_CEM43_MIN)
		cap(s, "dose-heat",
		    "dose-heat: thermal dose %.1f CEM43 min (%.1f of it from recent sessions) reached the cap %.1f "
		    "(plate %.2f C), while %s",
		    s->cem43_min, s->heat_carried, s->lim.dose_cem43_min, hot, in->doing);
	if (s->cold_phase_s > s->lim.cold_phase_max_s + SAFETY_COLD_APPROACH_S)
		cap(s, "dose-cold-phase",
		    "dose-cold-phase: %.0f s below %.1f C in this phase reached the cap %.0f s (%.0f s and %.0f s "
		    "for the approach; plate %.2f C), while %s",
		    s->cold_phase_s, s->lim.cold_c, s->lim.cold_phase_max_s + SAFETY_COLD_APPROACH_S,
		    s->lim.cold_phase_max_s, SAFETY_COLD_APPROACH_S, cold, in->doing);
	if (s->cold_session_s > s->lim.cold_session_max_s)
		cap(s, "dose-cold-session",
		    "dose-cold-session: %.0f s below %.1f C (%.0f s of it from recent sessions) reached the cap %.0f s, "
		    "while %s",
		    s->cold_session_s, s->lim.cold_c, s->cold_carried, s->lim.cold_session_max_s, in->doing);
	if (heat_added > fmax(s->heat_day_room, SAFETY_HEAT_ADDED_MIN_CEM43_MIN))
		cap(s, "dose-heat-day",
		    "dose-heat-day: this session's %.1f CEM43 min reached what the last 24 h left of the daily "
		    "ceiling (%.1f), while %s",
		    s->cem43_min - s->heat_carried, s->heat_day_room, in->doing);
	if (s->cold_session_s - s->cold_carried > s->cold_day_room)
		cap(s, "dose-cold-day",
		    "dose-cold-day: this session's %.0f s below %.1f C reached what the last 24 h left of the daily "
		    "ceiling (%.0f s), while %s",
		    s->cold_session_s - s->cold_carried, s->lim.cold_c, s->cold_day_room, in->doing);
	if (in->t - s->session_start > s->lim.session_max_s)
		cap(s, "session-length", "session-length: the session has run %.0f min, the cap is %.0f min, while %s",
		    (in->t - s->session_start) / 60.0, s->lim.session_max_s / 60.0, in->doing);
}

/* A gap this long between samples is not time any condition held: the
 * windows restart after it. Whether the gap itself is a fault is the
 * stale check's to say, on the host's clock, when samples stop
 * (safety_check_time); a host that stalled is the firmware watchdog's. */
#define GAP_RESTART_S 0.5

static double arrival(const struct safety_input *in)
{
	return in->arrival_t > 0 ? in->arrival_t : in->t;
}

bool safety_check(struct safety *s, const struct safety_input *in)
{
	double dt = s->have_sample ? in->t - s->last_sample_t : 0.0;
	double quiet = s->have_sample ? arrival(in) - s->last_arrival_t : 0.0;
	if (!s->have_sample) /* windows open at the first sample, not at t = 0 */
		safety_windows_restart(s, in->t);
	s->nwarn = 0;
	s->have_sample = true;
	s->last_sample_t = in->t;
	s->last_arrival_t = arrival(in);
	/* on the pad's time: the host's own scheduling jitter (multiplied by
	 * a time scale) is no gap in what the pad measured */
	if (dt > GAP_RESTART_S) {
		safety_windows_restart(s, in->t);
		s->fast_n = s->fast_head = 0;
		s->frozen_armed = false;
		s->noisy_have = false;
		s->same_have = false;
		s->last_applied = in->drive_applied;
	}
	if (in->fw_faults) {
		char bits[400];
		safety_describe_firmware(in->fw_faults, bits, sizeof bits);
		safety_latch(s, "firmware-fault", "firmware-fault: the pad's firmware latched %s, while %s", bits,
			     in->doing);
	}
	check_cutoff(s, in);
	check_sensors(s, in);
	check_sink(s, in);
	check_runaway(s, in);
	check_dose(s, in, dt > 0 && dt < 5.0 ? dt : 0.0);
	if (dt > GAP_RESTART_S)
		warn(s, "telemetry-gap",
		     "telemetry-gap: %.2f s of the pad's time between samples (%.2f s on arrival); the checks' windows "
		     "start again",
		     dt, quiet);
	return s->latched;
}

int safety_check_time(struct safety *s, double t, const char *doing)
{
	if (!s->have_sample)
		return 0;
	double quiet = t - s->last_arrival_t;
	if (s->session_running)
		near(s, SAFETY_NEAR_STALE, quiet, s->lim.stale_fault_s);
	if (quiet >= s->lim.stale_fault_s && s->session_running)
		safety_latch(s, "stale-telemetry",
			     "stale-telemetry: no sample from the pad for %.2f s (limit %.2f s), while %s", quiet,
			     s->lim.stale_fault_s, doing);
	/* With no session nothing is driven and nothing is lost: a person
	 * expects to be told, and that it is over once reports come again
	 * (the next sample ends the warning; no session starts before). */
	bool told = false;
	for (int i = 0; i < s->nwarn; i++)
		told |= strcmp(s->warn_code[i], "stale-telemetry") == 0;
	if (quiet >= s->lim.stale_fault_s && !s->session_running && !told)
		warn(s, "stale-telemetry",
		     "stale-telemetry: no sample from the pad for %.2f s (limit %.2f s) while %s: nothing is driven; "
		     "check the USB cable; this ends by itself when reports come again, and no session starts before",
		     quiet, s->lim.stale_fault_s, doing);
	return quiet >= s->lim.stale_zero_s || s->latched;
}

/* The condition of the latched fault, judged again on the last sample
 * with the drive off. Returns true with the reason when it still holds. */
static bool still_present(const struct safety *s, const struct safety_clear_context *ctx, char *why, size_t len)
{
	const char *code = s->code;
	const struct safety_input *in = ctx->last;
	if (!strcmp(code, "disconnected") && !ctx->pad_present) {
		snprintf(why, len, "the pad is still disconnected: plug it back in first");
		return true;
	}
	if (!ctx->pad_present)
		return false; /* the rest is judged on the pad's telemetry */
	if (!in) {
		snprintf(why, len, "no telemetry from the pad yet to judge the fault by");
		return true;
	}
	double quiet = ctx->now - arrival(in);
	if (quiet >= s->lim.stale_zero_s) {
		snprintf(why, len, "no fresh telemetry from the pad (the last sample is %.1f s old, limit %.1f s)",
			 quiet, s->lim.stale_zero_s);
		return true;
	}
	if (!strcmp(code, "drive-while-off")) {
		double seebeck = seebeck_current(s, in, in->estimate_c);
		double excess = fabs(in->current_a - seebeck);
		double limit = fmin(OFF_MARGIN_A + OFF_SPREAD * fabs(seebeck), s->lim.off_current_a);
		if (excess > limit) {
			snprintf(why, len, "the module still draws %.2f A with the drive off (%.2f A beyond the %.2f A "
					   "the temperature difference drives; limit %.2f A): unplug the pad",
				 in->current_a, excess, seebeck, limit);
			return true;
		}
		if (in->drive_applied != 0.0) {
			snprintf(why, len, "the firmware still applies %+.0f %% with the drive off: unplug the pad",
				 in->drive_applied * 100);
			return true;
		}
	}
	bool runaway = !strncmp(code, "runaway-", 8);
	if (runaway && in->sink_ok && in->sink_c > s->lim.sink_limit_c) {
		snprintf(why, len, "the heat sink still reads %.2f C, above %.2f C: check the fan", in->sink_c,
			 s->lim.sink_limit_c);
		return true;
	}
	if (!strcmp(code, "runaway-wrong-way") &&
	    !(in->estimate_c >= s->lim.setpoint_min_c && in->estimate_c <= s->lim.setpoint_max_c)) {
		snprintf(why, len, "the plate (%.2f C) is still outside %.2f..%.2f C", in->estimate_c,
			 s->lim.setpoint_min_c, s->lim.setpoint_max_c);
		return true;
	}
	if (!strcmp(code, "sensor-noisy")) {
		int i = noisy_over(s);
		if (i >= 0) {
			snprintf(why, len, "sensor %s still strays %.2f C on average from the line through its last "
				 "readings (limit %.2f C)", sensor_name[i], s->noisy_mean_c[i], NOISY_MEAN_C);
			return true;
		}
	}
	/* and whatever the fault was, every cut-off and sensor must be fine */
	struct safety probe;
	safety_init(&probe, &s->lim);
	probe.bad[0] = probe.bad[1] = probe.bad[2] = s->lim.bad_samples; /* one bad sample is enough here */
	probe.disagree = s->lim.bad_samples;
	struct safety_input q = *in;
	q.drive = 0;
	q.target_c = NAN;
	q.doing = "clearing faults";
	check_cutoff(&probe, &q);
	check_sensors(&probe, &q);
	check_sink(&probe, &q);
	if (probe.latched) {
		snprintf(why, len, "%s", probe.message);
		return true;
	}
	return false;
}

int safety_clear(struct safety *s, const struct safety_clear_context *ctx, char *why, size_t whylen)
{
	if (!s->latched)
		return 0;
	char reason[SAFETY_MESSAGE_MAX];
	if (still_present(s, ctx, reason, sizeof reason)) {
		snprintf(why, whylen, "%s is not cleared: the cause is still present: %s", s->code, reason);
		return -1;
	}
	s->latched = false;
	s->code[0] = s->message[0] = '\0';
	memset(s->bad, 0, sizeof s->bad);
	s->disagree = 0;
	s->noisy_have = false;
	s->same_have = false;
	safety_windows_restart(s, ctx->last ? ctx->last->t : 0.0);
	return 0;
}

double safety_dose(const struct safety *s)
{
	return s->cem43_min;
}
