/* SPDX-License-Identifier: MIT */
/*
 * Reference firmware core: the normative duties of PROTOCOL.md. Whatever the
 * host sends, the drive reaching the module is decided here last: faults
 * latch and zero it, the watchdog zeroes it when the host falls silent, a
 * polarity change always passes through a rest at zero, the plate is held
 * inside its limits on a bound of the TRUE plate (the sensor lags), the
 * exposure is integrated and bounded, a host that rides the plate limit
 * is cut, a current that disagrees with the drive opens the load switch,
 * a current through the open switch says it is welded, a supply lost
 * under drive does not bring the drive back, and every tick that ran to
 * its end kicks the hardware watchdog.
 *
 * Everything happens at a tick: requests only record what they ask for, and
 * a tick takes it into account, so that a report is one moment's state.
 */
#include "fw_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Heating is withheld entirely this close to the plate maximum (and
 * cooling this close to the minimum), on the bound of the true plate. */
#define FW_LIMIT_MARGIN_CC 100
/* ... and reduced in proportion over this band before it: the plate then
 * approaches the limit slowly, where a lagging sensor is least wrong. */
#define FW_HEAT_BAND_C 1.5
#define FW_COLD_BAND_C 0.4
/* Cooling is inhibited this close to the heat-sink maximum: a hot sink is
 * how a cooler turns into a heater. */
#define FW_SINK_MARGIN_CC 500
/* The current may differ from what the drive should give by this much
 * before it counts as a disagreement (measurement, module tolerance), plus
 * what the sensors' lag leaves unknown of the temperature difference. */
#define FW_MISMATCH_BASE_A 0.30
#define FW_MISMATCH_REL 0.15
#define FW_MISMATCH_TEMP_C 1.0
/* Over-current is judged this far above the limit in force: the bridge's
 * own limiter holds a healthy module at the hard limit, and a current
 * sense reads it with noise and offset (tens of mA); a reading that far
 * past the limit is a current no limiter held. */
#define FW_OVERCURRENT_SENSE_A 0.20
/* The drive is held so that the current the module should draw stays this
 * far inside the limit in force. */
#define FW_CURRENT_HEADROOM 0.95
/* No plausible plate moves faster than its module can move it: at rest
 * this fast (the skin and the room pull it), and this much faster per
 * ampere through the module in that direction (a light plate heats at
 * 3.9 C/s at 6 A). A steeper slope is a sensor's step or noise (an offset
 * appearing, a contact settling), not heat, and is not extrapolated. */
#define FW_PLATE_RATE_REST_C_PER_S 0.5
#define FW_PLATE_RATE_PER_A 0.75
#define FW_PLATE_RATE_MAX_C_PER_S 6.0
/* Below this the supply is absent (its relay open), not sagging. */
#define FW_SUPPLY_ABSENT_MV 1000
/* The heat dose is forgotten only below this. */
#define FW_DOSE_RECOVERY_C 39.0
/* The drive step of a proof: this much toward zero (at most all of it);
 * a step that should move the current less than the minimum proves
 * nothing and is not put out. The module answers within the tick (its
 * electrical time is microseconds, its thermal one seconds): an answer
 * under the share below, or of the wrong sign, is a bridge that does not
 * follow its command, and after this many such steps in a row the load
 * switch opens. */
#define FW_PROBE_STEP 2000
#define FW_PROBE_MIN_STEP_A 0.30
#define FW_PROBE_ANSWER_SHARE 0.4
#define FW_PROBE_UNANSWERED_MAX 2
/* With the load switch open the module's terminals show its Seebeck
 * voltage, S * (plate - sink), whatever the sensors say: the plate it
 * gives may differ from a plate sensor's reading by the sink sensor's and
 * the module's tolerance (S within 15 %), plus what the sensors' lag
 * leaves unknown. Both plate sensors that far off, this many times in a
 * row, are both wrong (frozen, detached): the firmware is blind and
 * stops. A current above the last figure while the switch is open leaves
 * the voltage unjudged. */
#define FW_SEEBECK_BASE_C 1.5
#define FW_SEEBECK_REL 0.15
#define FW_SEEBECK_DISAGREED_MAX 3
#define FW_SEEBECK_OPEN_MAX_A 0.2
/* The same tick proves the load switch itself (the second layer for a
 * stuck bridge must be known to work): with the switch open no current
 * can flow, so a current of at least this share of what the drive put
 * out should give, of its sign, is a switch welded shut. Only a drive
 * that should give at least the minimum is judged (below it a welded
 * switch and the sense's noise and offset look alike), and this many
 * such proofs in a row latch. With the switch held open after a fault, a
 * current above the minimum for mismatch_ms is the same weld. */
#define FW_WELD_MIN_A 0.4
#define FW_WELD_SHARE 0.5
#define FW_WELD_SEEN_MAX 2

void fw_config_reference(struct fw_config *cfg, const char *serial)
{
	memset(cfg, 0, sizeof *cfg);
	strncpy(cfg->serial, serial, TP_SERIAL_LEN);
	cfg->fw_major = 2;
	cfg->fw_minor = 0;
	cfg->fw_patch = 0;
	cfg->capabilities = TP_CAP_HEAT | TP_CAP_COOL | TP_CAP_CURRENT_SENSE | TP_CAP_VOLTAGE_SENSE |
			    TP_CAP_THERMAL_FUSE;
	cfg->hard_limits = (struct tp_limits){
		.plate_max_cc = 4400, .plate_min_cc = 800, .sink_max_cc = 7000, .current_max_ma = 6000};
	cfg->watchdog_default_ms = 1000;
	cfg->watchdog_min_ms = 100;
	cfg->watchdog_max_ms = 5000;
	cfg->polarity_rest_ms = 2000;
	cfg->telemetry_period_ms = 100;
	cfg->supply_mv = 12000;
	cfg->supply_min_mv = 10000;
	cfg->supply_max_mv = 14000;
	cfg->supply_fault_ms = 500;
	cfg->overcurrent_ms = 50;
	cfg->overcurrent_repeat_ms = 60000;
	cfg->module_seebeck_uv_per_k = 53000;
	cfg->module_resistance_mohm = 2100;
	cfg->mismatch_ms = 200;
	cfg->sensor_lag_max_ms = 3500;
	cfg->dose_max_cmin = 500;
	cfg->cold_below_cc = 1500;
	cfg->cold_max_s = 1500;
	cfg->deep_cold_below_cc = 950;
	cfg->deep_cold_max_s = 30;
	cfg->probe_period_ms = 250;
	cfg->exposure_half_life_s = 1800;
	cfg->heat_withheld_max_s = 30;
	cfg->heat_withheld_half_life_s = 300;
	cfg->heat_clamp_repeat_ms = 1800000;
	cfg->clear_holdoff_ms = 2000;
	cfg->clear_interval_ms = 1000;
}

void fw_init(struct fw *fw, const struct fw_config *cfg, uint32_t now_ms)
{
	memset(fw, 0, sizeof *fw);
	fw->cfg = *cfg;
	fw->limits = cfg->hard_limits;
	fw->watchdog_ms = cfg->watchdog_default_ms;
	fw->boot_ms = now_ms;
	fw->now_ms = now_ms;
	fw->state = TP_STATE_IDLE;
	fw->booted = true;
	/* no memory of the last polarity: rest before any drive */
	fw->boot_rest = true;
	fw->rest_until_ms = now_ms + cfg->polarity_rest_ms;
	fw->load_switch_closed = true;
	fw->next_report_ms = now_ms + cfg->telemetry_period_ms;
	fw->next_probe_ms = now_ms;
	for (int i = 0; i < FW_SENSOR_COUNT; i++)
		fw->temp_cc[i] = TP_TEMP_INVALID;
	fw->snap.state = TP_STATE_IDLE;
	fw->snap.flags = TP_FLAG_BOOT;
	memcpy(fw->snap.temp_cc, fw->temp_cc, sizeof fw->snap.temp_cc);
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static bool elapsed(uint32_t now, uint32_t since, uint32_t span)
{
	return (uint32_t)(now - since) >= span; /* wrap-safe */
}

static bool before(uint32_t now, uint32_t until)
{
	return (int32_t)(now - until) < 0;
}

static int bit_index(uint32_t bit)
{
	for (int i = 0; i < FW_FAULT_BITS; i++)
		if (bit == (1u << i))
			return i;
	return 0;
}

/* The cause of a fault is present now: latch it, and remember when. */
static void latch(struct fw *fw, uint32_t bit)
{
	fw->cause_ms[bit_index(bit)] = fw->now_ms;
	if (bit == TP_FAULT_OVERCURRENT && !(fw->faults & bit) && fw->overcurrent_was_cleared &&
	    !elapsed(fw->now_ms, fw->overcurrent_cleared_ms, fw->cfg.overcurrent_repeat_ms))
		fw->held |= bit; /* the same over-current soon after a clear: a power cycle */
	if (bit == TP_FAULT_HEAT_CLAMP && !(fw->faults & bit) && fw->heat_clamp_was_cleared &&
	    !elapsed(fw->now_ms, fw->heat_clamp_cleared_ms, fw->cfg.heat_clamp_repeat_ms))
		fw->held |= bit; /* a host that rides the limit again after a clear: a power cycle */
	fw->faults |= bit;
	fw->held |= bit & TP_FAULT_HELD_MASK;
}

/* ---- the sensors and the true plate -------------------------------- */

/* Times in the sums stay below this many ms after base_ms, so that the
 * sums (and n times them) fit in 64 bits; then the base moves up to the
 * window's oldest sample and the sums are taken again. */
#define TRACK_REBASE_MS (1u << 20)

static void track_add(struct fw_track *tr, uint32_t t_ms, int16_t cc, int sign)
{
	int64_t t = (int64_t)(uint32_t)(t_ms - tr->base_ms);
	tr->sum_t += sign * t;
	tr->sum_c += sign * cc;
	tr->sum_tt += sign * t * t;
	tr->sum_tc += sign * t * cc;
}

static void track_rebase(struct fw_track *tr, uint32_t t_ms)
{
	int oldest = tr->n < FW_TRACK_LEN ? 0 : tr->next;
	tr->base_ms = tr->n ? tr->t_ms[oldest] : t_ms;
	tr->sum_t = tr->sum_c = tr->sum_tt = tr->sum_tc = 0;
	for (int i = 0; i < tr->n; i++)
		track_add(tr, tr->t_ms[i], tr->cc[i], 1);
}

static void track_push(struct fw_track *tr, uint32_t t_ms, int16_t cc)
{
	if (tr->n == 0 || (uint32_t)(t_ms - tr->base_ms) >= TRACK_REBASE_MS)
		track_rebase(tr, t_ms);
	if (tr->n == FW_TRACK_LEN)
		track_add(tr, tr->t_ms[tr->next], tr->cc[tr->next], -1);
	else
		tr->n++;
	tr->t_ms[tr->next] = t_ms;
	tr->cc[tr->next] = cc;
	tr->next = (tr->next + 1) % FW_TRACK_LEN;
	track_add(tr, t_ms, cc, 1);
	/* least squares over the window, level taken at the newest sample */
	int64_t n = tr->n, den = n * tr->sum_tt - tr->sum_t * tr->sum_t;
	double slope_cc_per_ms = n >= 5 && den > 0 ? (double)(n * tr->sum_tc - tr->sum_t * tr->sum_c) / (double)den : 0.0;
	double mean_t = (double)tr->sum_t / (double)n - (double)(uint32_t)(t_ms - tr->base_ms);
	double mean_c = (double)tr->sum_c / (double)n;
	tr->level_c = n >= 5 ? (mean_c - slope_cc_per_ms * mean_t) / 100.0 : cc / 100.0;
	double slope = slope_cc_per_ms * 1000.0 / 100.0;
	tr->slope_c_per_s = fmax(-FW_PLATE_RATE_MAX_C_PER_S, fmin(FW_PLATE_RATE_MAX_C_PER_S, slope));
}

/* Convert every sensor; any reading that is not a valid temperature is a
 * fault of that sensor: the protections never run on a reading the
 * firmware cannot trust. */
static void read_sensors(struct fw *fw, const struct fw_inputs *in, uint32_t dt_ms)
{
	static const uint32_t open_bit[FW_SENSOR_COUNT] = {
		TP_FAULT_SENSOR_A_OPEN, TP_FAULT_SENSOR_B_OPEN, TP_FAULT_SINK_SENSOR_OPEN};
	static const uint32_t short_bit[FW_SENSOR_COUNT] = {
		TP_FAULT_SENSOR_A_SHORT, TP_FAULT_SENSOR_B_SHORT, TP_FAULT_SINK_SENSOR_SHORT};

	for (int i = 0; i < FW_SENSOR_COUNT; i++) {
		uint16_t code = in->adc[i];
		int16_t t = fw_ntc_code_to_cc(code);
		fw->temp_cc[i] = t;
		if (t == TP_TEMP_INVALID) /* low codes are hot (a short), high ones cold (open) */
			latch(fw, code < FW_ADC_MAX / 2 ? short_bit[i] : open_bit[i]);
		else
			track_push(&fw->track[i], fw->now_ms, t);
	}
	/* The true plate lies between the reading and where a first-order lag
	 * of at most sensor_lag_max says it is heading: T = Ts + tau * dTs/dt
	 * for a lag tau, so with tau unknown in [0, tau_max] the true plate is
	 * at most Ts + tau_max * slope while rising, at least that while
	 * falling. */
	double lag_s = fw->cfg.sensor_lag_max_ms / 1000.0;
	/* the sensor's slope lags the plate's as its reading does: the current
	 * of the last few lag times bounds it, not only the current now */
	double amps = in->current_ma / 1000.0, forget = exp(-(double)dt_ms / (1000.0 * lag_s));
	fw->heat_amps_recent = fmax(fmax(0.0, amps), fw->heat_amps_recent * forget);
	fw->cool_amps_recent = fmax(fmax(0.0, -amps), fw->cool_amps_recent * forget);
	double rise_max = FW_PLATE_RATE_REST_C_PER_S + FW_PLATE_RATE_PER_A * fw->heat_amps_recent;
	double fall_max = FW_PLATE_RATE_REST_C_PER_S + FW_PLATE_RATE_PER_A * fw->cool_amps_recent;
	double hi = -1e9, lo = 1e9;
	for (int i = FW_SENSOR_PLATE_A; i <= FW_SENSOR_PLATE_B; i++) {
		const struct fw_track *tr = &fw->track[i];
		if (fw->temp_cc[i] == TP_TEMP_INVALID)
			continue;
		double up = tr->level_c + lag_s * fmin(rise_max, fmax(0.0, tr->slope_c_per_s));
		double down = tr->level_c + lag_s * fmax(-fall_max, fmin(0.0, tr->slope_c_per_s));
		hi = fmax(hi, up);
		lo = fmin(lo, down);
	}
	fw->plate_hi_c = hi;
	fw->plate_lo_c = lo;
}

static void check_limits(struct fw *fw)
{
	for (int i = FW_SENSOR_PLATE_A; i <= FW_SENSOR_PLATE_B; i++) {
		int16_t t = fw->temp_cc[i];
		if (t == TP_TEMP_INVALID)
			continue;
		if (t > fw->limits.plate_max_cc)
			latch(fw, TP_FAULT_PLATE_OVER);
		if (t < fw->limits.plate_min_cc)
			latch(fw, TP_FAULT_PLATE_UNDER);
	}
	int16_t sink = fw->temp_cc[FW_SENSOR_SINK];
	if (sink != TP_TEMP_INVALID && sink > fw->limits.sink_max_cc)
		latch(fw, TP_FAULT_SINK_OVER);
}

/* ---- current: over-current, and a current the drive does not explain */

static double module_seebeck(const struct fw *fw)
{
	return fw->cfg.module_seebeck_uv_per_k / 1e6;
}

static double module_ohm(const struct fw *fw)
{
	return fw->cfg.module_resistance_mohm / 1000.0;
}

/* The temperature difference across the module, plate minus sink. */
static double module_dt(const struct fw *fw)
{
	const struct fw_track *a = &fw->track[FW_SENSOR_PLATE_A], *b = &fw->track[FW_SENSOR_PLATE_B];
	return (a->level_c + b->level_c) / 2.0 - fw->track[FW_SENSOR_SINK].level_c;
}

/* What the module draws at a drive: the bridge's voltage against the
 * Seebeck voltage of the temperature difference, clamped by the bridge. */
static double expected_current_a(const struct fw *fw, double drive, double supply_v)
{
	double i = (drive * supply_v - module_seebeck(fw) * module_dt(fw)) / module_ohm(fw);
	double imax = fw->cfg.hard_limits.current_max_ma / 1000.0;
	return fmax(-imax, fmin(imax, i));
}

static bool sensors_valid(const struct fw *fw)
{
	for (int i = 0; i < FW_SENSOR_COUNT; i++)
		if (fw->temp_cc[i] == TP_TEMP_INVALID)
			return false;
	return true;
}

static void check_current(struct fw *fw, const struct fw_inputs *in)
{
	double amps = fabs(in->current_ma / 1000.0);
	if (amps > fw->limits.current_max_ma / 1000.0 + FW_OVERCURRENT_SENSE_A) {
		if (!fw->overcurrent_timing) {
			fw->overcurrent_timing = true;
			fw->overcurrent_since_ms = fw->now_ms;
		} else if (elapsed(fw->now_ms, fw->overcurrent_since_ms, fw->cfg.overcurrent_ms)) {
			latch(fw, TP_FAULT_OVERCURRENT);
		}
	} else {
		fw->overcurrent_timing = false;
	}

	/* The current measured now flows from the drive applied at the tick
	 * before. At zero it can only be the Seebeck current of the
	 * temperature difference; anything more is a bridge that conducts on
	 * its own, and only the load switch can stop it. */
	if (!fw->load_switch_closed || !sensors_valid(fw) || fw->track[FW_SENSOR_SINK].n < 5)
		return;
	double d = fw->out_drive / (double)TP_DRIVE_FULL, supply_v = in->supply_mv / 1000.0;
	double want = fw->probe == FW_PROBE_SWITCH_OPEN ? 0.0 : expected_current_a(fw, d, supply_v);
	double lag_s = fw->cfg.sensor_lag_max_ms / 1000.0;
	double plate_slope = fmax(fabs(fw->track[FW_SENSOR_PLATE_A].slope_c_per_s),
				  fabs(fw->track[FW_SENSOR_PLATE_B].slope_c_per_s));
	double dt_unknown_c = FW_MISMATCH_TEMP_C + lag_s * (plate_slope + fabs(fw->track[FW_SENSOR_SINK].slope_c_per_s));
	double tol = FW_MISMATCH_BASE_A + FW_MISMATCH_REL * fabs(want) +
		     module_seebeck(fw) * dt_unknown_c / module_ohm(fw);
	if (fabs(in->current_ma / 1000.0 - want) > tol) {
		if (!fw->mismatch_timing) {
			fw->mismatch_timing = true;
			fw->mismatch_since_ms = fw->now_ms;
		} else if (elapsed(fw->now_ms, fw->mismatch_since_ms, fw->cfg.mismatch_ms)) {
			latch(fw, TP_FAULT_BRIDGE);
			fw->load_switch_closed = false;
		}
	} else {
		fw->mismatch_timing = false;
	}
}

/* ---- the proofs: the bridge follows its command, the sensors the plate */

/* A drive step went out at the last tick: the current must have followed. */
static void check_drive_step(struct fw *fw, const struct fw_inputs *in)
{
	double answer_a = (in->current_ma - fw->probe_base_ma) / 1000.0;
	bool answered = answer_a * fw->probe_step_a > 0 &&
			fabs(answer_a) >= FW_PROBE_ANSWER_SHARE * fabs(fw->probe_step_a);
	fw->bridge_unanswered = answered ? 0 : fw->bridge_unanswered + 1;
	if (fw->bridge_unanswered >= FW_PROBE_UNANSWERED_MAX) {
		latch(fw, TP_FAULT_BRIDGE);
		fw->load_switch_closed = false;
	}
}

/* The load switch was open for the last tick: the module's voltage is its
 * Seebeck voltage, a thermometer of its own across plate and sink. */
static void check_seebeck(struct fw *fw, const struct fw_inputs *in)
{
	if (!sensors_valid(fw) || fw->track[FW_SENSOR_SINK].n < 5 ||
	    fabs(in->current_ma / 1000.0) > FW_SEEBECK_OPEN_MAX_A)
		return;
	const struct fw_track *sink = &fw->track[FW_SENSOR_SINK];
	double dt_c = in->voltage_mv / 1000.0 / module_seebeck(fw);
	double plate_c = sink->level_c + dt_c, lag_s = fw->cfg.sensor_lag_max_ms / 1000.0;
	fw->seebeck_plate_c = plate_c;
	bool both_off = true;
	for (int i = FW_SENSOR_PLATE_A; i <= FW_SENSOR_PLATE_B; i++) {
		const struct fw_track *tr = &fw->track[i];
		double tol = FW_SEEBECK_BASE_C + FW_SEEBECK_REL * fabs(dt_c) +
			     lag_s * (fabs(tr->slope_c_per_s) + fabs(sink->slope_c_per_s));
		if (fabs(plate_c - tr->level_c) <= tol)
			both_off = false;
	}
	fw->seebeck_disagreed = both_off ? fw->seebeck_disagreed + 1 : 0;
	if (fw->seebeck_disagreed >= FW_SEEBECK_DISAGREED_MAX)
		latch(fw, TP_FAULT_PLATE_IMPLAUSIBLE);
}

/* The load switch was open for the last tick while the bridge put out a
 * drive: a current that flowed anyway went through a welded switch. */
static void check_switch_open(struct fw *fw, const struct fw_inputs *in)
{
	double d = fw->out_drive / (double)TP_DRIVE_FULL;
	double closed_a = expected_current_a(fw, d, in->supply_mv / 1000.0);
	if (fabs(closed_a) < FW_WELD_MIN_A || !sensors_valid(fw))
		return; /* this proof cannot tell a weld from the sense's noise */
	double amps = in->current_ma / 1000.0;
	bool flowed = amps * closed_a > 0 && fabs(amps) >= FW_WELD_SHARE * fabs(closed_a);
	fw->switch_leaked = flowed ? fw->switch_leaked + 1 : 0;
	if (fw->switch_leaked >= FW_WELD_SEEN_MAX) {
		latch(fw, TP_FAULT_LOAD_SWITCH_WELDED);
		fw->load_switch_closed = false;
	}
}

/* The switch held open by a fault: nothing may flow through it. */
static void check_switch_held_open(struct fw *fw, const struct fw_inputs *in)
{
	if (fw->load_switch_closed || fabs(in->current_ma / 1000.0) < FW_WELD_MIN_A) {
		fw->leak_timing = false;
		return;
	}
	if (!fw->leak_timing) {
		fw->leak_timing = true;
		fw->leak_since_ms = fw->now_ms;
	} else if (elapsed(fw->now_ms, fw->leak_since_ms, fw->cfg.mismatch_ms)) {
		latch(fw, TP_FAULT_LOAD_SWITCH_WELDED);
	}
}

static void check_probe(struct fw *fw, const struct fw_inputs *in)
{
	check_switch_held_open(fw, in);
	if (fw->probe == FW_PROBE_DRIVE_STEP) {
		check_drive_step(fw, in);
	} else if (fw->probe == FW_PROBE_SWITCH_OPEN) {
		check_switch_open(fw, in);
		check_seebeck(fw, in);
	}
}

static bool supply_ok(const struct fw *fw, const struct fw_inputs *in)
{
	return in->supply_mv >= fw->cfg.supply_min_mv && in->supply_mv <= fw->cfg.supply_max_mv;
}

/* A supply that goes while it carries a drive the host still asks for is
 * a power interruption: the drive must not come back with the supply by
 * itself. A host that brings its command to zero decided (a session that
 * stops opens the interlock's relay and ramps its drive down): nothing to
 * latch. A supply that returns while a drive is still asked latches
 * SUPPLY_LOST, and so does one away for supply_fault_ms while the host
 * holds or raises its drive, unaware; the bit's cause lasts as long as
 * the supply is absent. */
static void check_supply_lost(struct fw *fw, const struct fw_inputs *in)
{
	bool absent = in->supply_mv < FW_SUPPLY_ABSENT_MV;
	if (absent && (fw->faults & TP_FAULT_SUPPLY_LOST))
		latch(fw, TP_FAULT_SUPPLY_LOST); /* its cause: no supply yet */
	if (!fw->heartbeat_seen || fw->requested == 0) {
		fw->supply_carried = fw->supply_gone = false;
		return;
	}
	if (fw->applied != 0)
		fw->supply_carried = true; /* the last tick drove on this supply */
	if (!fw->supply_carried)
		return; /* a drive asked before the supply came: it never ran */
	int16_t asked = (int16_t)abs(fw->requested);
	if (absent && !fw->supply_gone) {
		fw->supply_gone = true;
		fw->supply_gone_since_ms = fw->now_ms;
		fw->supply_gone_drive = asked;
		fw->supply_gone_easing = false;
	}
	if (!fw->supply_gone)
		return;
	if (asked < fw->supply_gone_drive) {
		fw->supply_gone_easing = true;
		fw->supply_gone_drive = asked;
	}
	bool unaware = !fw->supply_gone_easing && elapsed(fw->now_ms, fw->supply_gone_since_ms, fw->cfg.supply_fault_ms);
	if (!absent || unaware)
		latch(fw, TP_FAULT_SUPPLY_LOST);
}

/* A supply out of range is a fault only while drive is wanted from it,
 * and only if there is a supply at all: an absent one (the interlock's
 * relay open, at rest or as a session stops) can drive nothing, and is a
 * state, flagged. A sag or an over-voltage under load is a fault. */
static void check_supply(struct fw *fw, const struct fw_inputs *in)
{
	check_supply_lost(fw, in);
	bool bad = !supply_ok(fw, in) && in->supply_mv >= FW_SUPPLY_ABSENT_MV && fw->heartbeat_seen &&
		   fw->requested != 0;
	if (!bad) {
		fw->supply_bad_timing = false;
		return;
	}
	if (!fw->supply_bad_timing) {
		fw->supply_bad_timing = true;
		fw->supply_bad_since_ms = fw->now_ms;
	} else if (elapsed(fw->now_ms, fw->supply_bad_since_ms, fw->cfg.supply_fault_ms)) {
		latch(fw, TP_FAULT_SUPPLY);
	}
}

/* ---- exposure ------------------------------------------------------ */

/* CEM43 minutes per minute at a temperature (Sapareto and Dewey: R = 0.5
 * above 43 C, 0.25 below); negligible below 37 C. */
static double cem43_rate(double c)
{
	if (c < 37.0)
		return 0.0;
	return c >= 43.0 ? pow(2.0, c - 43.0) : pow(4.0, c - 43.0);
}

/* Exposure is integrated on the bounds of the true plate (the hot one for
 * heat, the cold one for cold), and forgotten with a half-life only while
 * the plate is out of it (below 39 C, where the dose rate is under 1/256;
 * at or above the cold threshold), so that sessions spread over a day do
 * not add up as one, while an exposure that never ends is bounded. */
static void integrate_exposure(struct fw *fw, uint32_t dt_ms)
{
	if (fw->plate_hi_c < -1e8 || dt_ms == 0)
		return;
	double dt_s = dt_ms / 1000.0;
	double keep = exp2(-dt_s / fw->cfg.exposure_half_life_s);
	if (fw->plate_hi_c < FW_DOSE_RECOVERY_C)
		fw->dose_cem43_min *= keep;
	fw->dose_cem43_min += cem43_rate(fw->plate_hi_c) * dt_s / 60.0;
	if (fw->plate_lo_c * 100.0 < fw->cfg.cold_below_cc)
		fw->cold_s += dt_s;
	else
		fw->cold_s *= keep;
	if (fw->dose_cem43_min * 100.0 >= fw->cfg.dose_max_cmin)
		latch(fw, TP_FAULT_HEAT_DOSE);
	if (fw->plate_lo_c * 100.0 < fw->cfg.deep_cold_below_cc)
		fw->deep_cold_s += dt_s;
	else
		fw->deep_cold_s *= keep;
	if (fw->cold_s >= fw->cfg.cold_max_s || fw->deep_cold_s >= fw->cfg.deep_cold_max_s)
		latch(fw, TP_FAULT_COLD_EXPOSURE);
}

/* A host that keeps asking for more heat than the plate limit lets through
 * is not controlling the plate: the limit is, and it holds the plate at
 * its ceiling, where the dose runs fastest. The heat the limit withheld
 * (its share of full drive, as the last tick decided, times the tick) is
 * integrated, and forgotten with a half-life only while nothing is
 * withheld, so that the short touches of a host's approaches do not add
 * up while a host that rides the limit on and off does. */
static void integrate_heat_clamp(struct fw *fw, uint32_t dt_ms)
{
	double dt_s = dt_ms / 1000.0, half_life_s = fw->cfg.heat_withheld_half_life_s;
	if (fw->heat_withheld > 0.0)
		fw->heat_withheld_s += fw->heat_withheld * dt_s;
	else
		fw->heat_withheld_s *= half_life_s > 0 ? exp2(-dt_s / half_life_s) : 0.0;
	if (fw->heat_withheld_s >= fw->cfg.heat_withheld_max_s)
		latch(fw, TP_FAULT_HEAT_CLAMP);
}

/* ---- faults cleared at a tick ---------------------------------------- */

static void apply_clear(struct fw *fw)
{
	if (!fw->clear_pending)
		return;
	fw->clear_pending = false;
	fw->booted = false; /* any CLEAR_FAULTS acknowledges the boot */
	uint32_t cleared = 0;
	for (int i = 0; i < FW_FAULT_BITS; i++) {
		uint32_t bit = 1u << i;
		if (!(fw->pending_clear & fw->faults & bit) || (fw->held & bit))
			continue;
		if (!elapsed(fw->now_ms, fw->cause_ms[i], fw->cfg.clear_holdoff_ms))
			continue; /* the cause has not been gone long enough */
		fw->faults &= ~bit;
		cleared |= bit;
	}
	if (cleared & TP_FAULT_OVERCURRENT) {
		fw->overcurrent_was_cleared = true;
		fw->overcurrent_cleared_ms = fw->now_ms;
	}
	if (cleared & TP_FAULT_HEAT_CLAMP) {
		/* the next session starts its count over; a host that rides
		 * the limit again soon is held (latch) */
		fw->heat_clamp_was_cleared = true;
		fw->heat_clamp_cleared_ms = fw->now_ms;
		fw->heat_withheld_s = 0.0;
	}
	if (cleared && !fw->faults) {
		/* start over from IDLE: the host must heartbeat again */
		fw->heartbeat_seen = false;
		fw->requested = 0;
		fw->overcurrent_timing = false;
		fw->supply_bad_timing = false;
	}
}

static void check_watchdog(struct fw *fw)
{
	if (fw->heartbeat_seen && elapsed(fw->now_ms, fw->last_heartbeat_ms, fw->watchdog_ms)) {
		latch(fw, TP_FAULT_WATCHDOG);
		fw->heartbeat_seen = false; /* the cause is over once it has acted */
	}
}

/* ---- the drive ------------------------------------------------------- */

static int16_t clamp_drive(double v)
{
	if (v >= TP_DRIVE_FULL)
		return TP_DRIVE_FULL;
	if (v <= -TP_DRIVE_FULL)
		return -TP_DRIVE_FULL;
	return (int16_t)lround(v);
}

/* Near the plate's limits, on the bounds of the true plate, and with a hot
 * heat sink, the firmware withholds drive before a hard trip; and it keeps
 * the current the drive should give inside the limit in force. */
static int16_t limit_drive(struct fw *fw, int16_t drive, const struct fw_inputs *in)
{
	int16_t sink = fw->temp_cc[FW_SENSOR_SINK];
	if (drive > 0) {
		double ceiling = (fw->limits.plate_max_cc - FW_LIMIT_MARGIN_CC) / 100.0;
		double room = fmax(0.0, fmin(1.0, (ceiling - fw->plate_hi_c) / FW_HEAT_BAND_C));
		if (drive > room * TP_DRIVE_FULL) {
			fw->heat_withheld = drive / (double)TP_DRIVE_FULL - room;
			drive = clamp_drive(room * TP_DRIVE_FULL);
			fw->flags |= TP_FLAG_LIMITING;
		}
	} else if (drive < 0) {
		double floor_c = (fw->limits.plate_min_cc + FW_LIMIT_MARGIN_CC) / 100.0;
		double room = fmax(0.0, fmin(1.0, (fw->plate_lo_c - floor_c) / FW_COLD_BAND_C));
		if (sink >= fw->limits.sink_max_cc - FW_SINK_MARGIN_CC)
			room = 0.0;
		if (-drive > room * TP_DRIVE_FULL) {
			drive = clamp_drive(-room * TP_DRIVE_FULL);
			fw->flags |= TP_FLAG_LIMITING;
		}
	}
	/* below the bridge's own limit (the hard one), the firmware limits */
	double supply_v = in->supply_mv / 1000.0;
	if (drive != 0 && supply_v > 1.0 && fw->limits.current_max_ma < fw->cfg.hard_limits.current_max_ma) {
		double imax = FW_CURRENT_HEADROOM * fw->limits.current_max_ma / 1000.0;
		double seebeck_v = module_seebeck(fw) * module_dt(fw), r = module_ohm(fw);
		double top = (imax * r + seebeck_v) / supply_v * TP_DRIVE_FULL;
		double bottom = (-imax * r + seebeck_v) / supply_v * TP_DRIVE_FULL;
		if (drive > top || drive < bottom) {
			drive = clamp_drive(drive > top ? fmax(0.0, top) : fmin(0.0, bottom));
			fw->flags |= TP_FLAG_CURRENT_LIMIT;
		}
	}
	return drive;
}

static void decide_drive(struct fw *fw, const struct fw_inputs *in)
{
	int16_t applied = 0;
	fw->heat_withheld = 0.0;
	if (fw->faults) {
		fw->state = TP_STATE_FAULT;
		fw->requested = 0;
	} else if (!fw->heartbeat_seen) {
		fw->state = TP_STATE_IDLE;
	} else {
		fw->flags |= TP_FLAG_WATCHDOG_ARMED;
		int16_t want = fw->requested;
		if (want != 0 && !supply_ok(fw, in)) {
			want = 0;
			fw->flags |= TP_FLAG_LIMITING;
		}
		want = limit_drive(fw, want, in);
		int s = sign(want);
		bool rest_due = fw->boot_rest || (fw->last_polarity != 0 && s != fw->last_polarity);
		if (s != 0 && rest_due && before(fw->now_ms, fw->rest_until_ms)) {
			fw->state = TP_STATE_REST;
			fw->flags |= TP_FLAG_POLARITY_REST;
		} else {
			fw->state = TP_STATE_RUN;
			applied = want;
		}
	}
	if (!before(fw->now_ms, fw->rest_until_ms))
		fw->boot_rest = false;
	if (applied != 0) {
		fw->last_polarity = (int8_t)sign(applied);
		/* the rest counts from the last moment current flowed */
		fw->rest_until_ms = fw->now_ms + fw->cfg.polarity_rest_ms;
	}
	fw->applied = applied;
	/* the command in force is the one this tick applied */
	fw->acked_seq = fw->pending_seq;
}

/* Now and then, while driving, this tick puts out a proof instead of the
 * drive, for this one tick: a step toward zero, or the load switch open,
 * in turn. Thermally nothing happens in a tick (the plate's time is
 * seconds); the next tick reads the answer. */
static void choose_probe(struct fw *fw, const struct fw_inputs *in, struct fw_outputs *out)
{
	int16_t before_drive = fw->out_drive;
	out->drive = fw->applied;
	out->load_switch_closed = fw->load_switch_closed;
	fw->probe = FW_PROBE_NONE;
	if (fw->applied != 0 && fw->load_switch_closed && !before(fw->now_ms, fw->next_probe_ms)) {
		fw->next_probe_ms = fw->now_ms + fw->cfg.probe_period_ms;
		double supply_v = in->supply_mv / 1000.0;
		if (fw->probe_turn == FW_PROBE_DRIVE_STEP) {
			int step = abs(fw->applied) < FW_PROBE_STEP ? abs(fw->applied) : FW_PROBE_STEP;
			int16_t stepped = (int16_t)(fw->applied - sign(fw->applied) * step);
			double step_a = expected_current_a(fw, stepped / (double)TP_DRIVE_FULL, supply_v) -
					expected_current_a(fw, before_drive / (double)TP_DRIVE_FULL, supply_v);
			if (fabs(step_a) >= FW_PROBE_MIN_STEP_A) {
				out->drive = stepped;
				fw->probe = FW_PROBE_DRIVE_STEP;
				fw->probe_step_a = step_a;
				fw->probe_base_ma = in->current_ma;
			}
			fw->probe_turn = FW_PROBE_SWITCH_OPEN;
		} else {
			out->load_switch_closed = false;
			fw->probe = FW_PROBE_SWITCH_OPEN;
			fw->probe_turn = FW_PROBE_DRIVE_STEP;
		}
	}
	fw->out_drive = out->drive;
}

/* The hardware watchdog sees the firmware alive by a level that changes
 * at every tick, put out last, once every check of the tick has run. */
static void kick_watchdog(struct fw *fw, struct fw_outputs *out)
{
	fw->watchdog_kick = !fw->watchdog_kick;
	out->watchdog_kick = fw->watchdog_kick;
}

static void take_snapshot(struct fw *fw)
{
	struct fw_snapshot *s = &fw->snap;
	s->device_time_ms = fw->now_ms - fw->boot_ms;
	s->acked_seq = fw->acked_seq;
	s->applied = fw->applied;
	memcpy(s->temp_cc, fw->temp_cc, sizeof s->temp_cc);
	s->current_ma = fw->last_in.current_ma;
	s->voltage_mv = fw->last_in.voltage_mv;
	s->faults = fw->faults;
	s->faults_held = fw->held & fw->faults;
	s->state = fw->state;
	s->flags = fw->flags;
	double dose = fw->dose_cem43_min * 100.0;
	s->dose_cmin = dose >= 65535.0 ? 65535 : (uint16_t)lround(dose);
	s->cold_s = fw->cold_s >= 65535.0 ? 65535 : (uint16_t)lround(fw->cold_s);
}

static void schedule_reports(struct fw *fw)
{
	/* A due report overwrites one the host has not taken: seq moves on. */
	while (!before(fw->now_ms, fw->next_report_ms)) {
		fw->report_seq++;
		fw->report = fw->snap;
		fw->report.device_time_ms = fw->next_report_ms - fw->boot_ms;
		fw->report_ready = true;
		fw->next_report_ms += fw->cfg.telemetry_period_ms;
	}
}

void fw_tick(struct fw *fw, uint32_t now_ms, const struct fw_inputs *in, struct fw_outputs *out)
{
	uint32_t dt_ms = now_ms - fw->now_ms;
	fw->now_ms = now_ms;
	/* the input after a proof shows the proof's answer, not the drive's */
	if (fw->probe == FW_PROBE_NONE)
		fw->last_in = *in;
	fw->flags = 0;
	if (fw->booted)
		fw->flags |= TP_FLAG_BOOT;
	if (!supply_ok(fw, in))
		fw->flags |= TP_FLAG_SUPPLY_LOW;

	read_sensors(fw, in, dt_ms);
	check_limits(fw);
	check_current(fw, in);
	check_probe(fw, in);
	check_supply(fw, in);
	if (in->fuse_open)
		latch(fw, TP_FAULT_FUSE);
	check_watchdog(fw);
	integrate_exposure(fw, dt_ms);
	integrate_heat_clamp(fw, dt_ms);
	apply_clear(fw);
	decide_drive(fw, in);
	choose_probe(fw, in, out);
	take_snapshot(fw);
	schedule_reports(fw);
	kick_watchdog(fw, out);
}

/* ---- control requests ----------------------------------------------- */

static int refuse(struct fw *fw, enum tp_request_error why)
{
	fw->last_request_error = (uint8_t)why;
	return -1;
}

static int accept(struct fw *fw, int len)
{
	fw->last_request_error = TP_REQERR_NONE;
	return len;
}

static void fill_info(const struct fw *fw, struct tp_info *info)
{
	memset(info, 0, sizeof *info);
	info->fw_major = fw->cfg.fw_major;
	info->fw_minor = fw->cfg.fw_minor;
	info->fw_patch = fw->cfg.fw_patch;
	info->capabilities = fw->cfg.capabilities;
	info->sensor_count = FW_SENSOR_COUNT;
	memcpy(info->serial, fw->cfg.serial, sizeof info->serial);
	info->hard_limits = fw->cfg.hard_limits;
	info->watchdog_default_ms = fw->cfg.watchdog_default_ms;
	info->watchdog_min_ms = fw->cfg.watchdog_min_ms;
	info->watchdog_max_ms = fw->cfg.watchdog_max_ms;
	info->polarity_rest_ms = fw->cfg.polarity_rest_ms;
	info->telemetry_period_ms = fw->cfg.telemetry_period_ms;
	info->supply_mv = fw->cfg.supply_mv;
	info->dose_max_cmin = fw->cfg.dose_max_cmin;
	info->cold_below_cc = fw->cfg.cold_below_cc;
	info->cold_max_s = fw->cfg.cold_max_s;
	info->sensor_lag_max_ms = fw->cfg.sensor_lag_max_ms;
	info->clear_holdoff_ms = fw->cfg.clear_holdoff_ms;
	info->clear_interval_ms = fw->cfg.clear_interval_ms;
}

int fw_control_in(struct fw *fw, uint8_t request, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	if (request == TP_REQ_GET_INFO) {
		struct tp_info info;
		fill_info(fw, &info);
		n = proto_encode_info(&info, buf, cap);
	} else if (request == TP_REQ_GET_STATUS) {
		const struct fw_snapshot *s = &fw->snap;
		struct tp_status st = {
			.state = s->state,
			.flags = s->flags,
			.watchdog_ms = fw->watchdog_ms,
			.faults = s->faults,
			.limits = fw->limits,
			.last_cmd_seq = s->acked_seq,
			.drive_applied = s->applied,
			.uptime_ms = s->device_time_ms,
			.last_request_error = fw->last_request_error,
			.dose_cmin = s->dose_cmin,
			.cold_s = s->cold_s,
			.faults_held = s->faults_held,
		};
		n = proto_encode_status(&st, buf, cap);
	} else {
		return refuse(fw, TP_REQERR_UNKNOWN);
	}
	/* GET_STATUS reports the previous refusal; reading it does not clear it */
	return n ? (int)n : refuse(fw, TP_REQERR_MALFORMED);
}

/* Narrowing only, relative to the limits in force: a host can tighten
 * what it set, never loosen it again (a power cycle restores the hard
 * limits). */
static bool narrows(const struct tp_limits *want, const struct tp_limits *now)
{
	return want->plate_max_cc <= now->plate_max_cc && want->plate_min_cc >= now->plate_min_cc &&
	       want->sink_max_cc <= now->sink_max_cc && want->current_max_ma <= now->current_max_ma;
}

int fw_control_out(struct fw *fw, uint8_t request, const uint8_t *data, size_t len)
{
	switch (request) {
	case TP_REQ_SET_OUTPUT: {
		struct tp_set_output cmd;
		if (proto_decode_set_output(data, len, &cmd) != PROTO_OK)
			return refuse(fw, TP_REQERR_MALFORMED);
		if (fw->faults && cmd.drive != 0)
			return refuse(fw, TP_REQERR_FAULTED);
		fw->requested = cmd.drive;
		fw->pending_seq = cmd.seq;
		fw->last_heartbeat_ms = fw->now_ms;
		fw->heartbeat_seen = true;
		return accept(fw, 0);
	}
	case TP_REQ_SET_WATCHDOG: {
		struct tp_set_watchdog cmd;
		if (proto_decode_set_watchdog(data, len, &cmd) != PROTO_OK)
			return refuse(fw, TP_REQERR_MALFORMED);
		if (cmd.timeout_ms < fw->cfg.watchdog_min_ms || cmd.timeout_ms > fw->cfg.watchdog_max_ms)
			return refuse(fw, TP_REQERR_RANGE);
		fw->watchdog_ms = cmd.timeout_ms;
		return accept(fw, 0);
	}
	case TP_REQ_SET_LIMITS: {
		struct tp_set_limits cmd;
		if (proto_decode_set_limits(data, len, &cmd) != PROTO_OK)
			return refuse(fw, TP_REQERR_MALFORMED);
		if (!narrows(&cmd.limits, &fw->limits))
			return refuse(fw, TP_REQERR_WIDEN);
		fw->limits = cmd.limits;
		return accept(fw, 0);
	}
	case TP_REQ_CLEAR_FAULTS: {
		struct tp_clear_faults cmd;
		if (proto_decode_clear_faults(data, len, &cmd) != PROTO_OK)
			return refuse(fw, TP_REQERR_MALFORMED);
		if (fw->cleared_once && !elapsed(fw->now_ms, fw->last_clear_ms, fw->cfg.clear_interval_ms))
			return refuse(fw, TP_REQERR_RATE);
		fw->cleared_once = true;
		fw->last_clear_ms = fw->now_ms;
		/* judged at the next tick, against the causes as they are then */
		fw->pending_clear = cmd.mask;
		fw->clear_pending = true;
		return accept(fw, 0);
	}
	default:
		return refuse(fw, TP_REQERR_UNKNOWN);
	}
}

size_t fw_take_report(struct fw *fw, uint8_t *buf, size_t cap)
{
	if (!fw->report_ready)
		return 0;
	const struct fw_snapshot *s = &fw->report;
	struct tp_telemetry t = {
		.seq = fw->report_seq,
		.last_cmd_seq = s->acked_seq,
		.device_time_ms = s->device_time_ms,
		.plate_a_cc = s->temp_cc[FW_SENSOR_PLATE_A],
		.plate_b_cc = s->temp_cc[FW_SENSOR_PLATE_B],
		.sink_cc = s->temp_cc[FW_SENSOR_SINK],
		.current_ma = s->current_ma,
		.voltage_mv = s->voltage_mv,
		.drive_applied = s->applied,
		.faults = s->faults,
		.state = s->state,
		.flags = s->flags,
	};
	size_t n = proto_encode_telemetry(&t, buf, cap);
	if (n)
		fw->report_ready = false;
	return n;
}
