/* SPDX-License-Identifier: MIT */
/*
 * Reference firmware core: the device side of PROTOCOL.md, in portable C
 * with no I/O, no clock and no globals, so that the same code runs on a
 * microcontroller and inside the simulator.
 *
 * The hardware boundary is two small structs: what the board measured
 * (struct fw_inputs) and what the H-bridge must apply (struct fw_outputs).
 * The board support code (or the simulator) calls fw_tick() every
 * millisecond or so with the time in ms, hands control requests to
 * fw_control_in()/fw_control_out(), and sends a telemetry report whenever
 * fw_take_report() gives one.
 */
#ifndef THERMOPAD_FW_CORE_H
#define THERMOPAD_FW_CORE_H

#include "thermopad_proto.h"

/* NTC front end of the reference board: 10 kohm at 25 C, beta 3950, to
 * ground, under a 10 kohm pull-up from the ADC reference; a 16-bit
 * (oversampled) ADC. Codes near the rails mean a broken sensor. */
#define FW_ADC_MAX 65535u
#define FW_ADC_SHORT_BELOW 600u /* < this: sensor shorted */
#define FW_ADC_OPEN_ABOVE 64900u /* > this: sensor open */
/* Between the rails and the codes of the protocol's temperature range, a
 * code converts to no valid temperature either: that too is a sensor
 * fault (SHORT on the hot side, OPEN on the cold side). */

enum fw_sensor { FW_SENSOR_PLATE_A = 0, FW_SENSOR_PLATE_B = 1, FW_SENSOR_SINK = 2, FW_SENSOR_COUNT = 3 };

struct fw_inputs {
	uint16_t adc[FW_SENSOR_COUNT]; /* raw NTC divider codes */
	int16_t current_ma; /* TEC current, signed like the drive */
	int16_t voltage_mv; /* TEC terminal voltage, signed */
	uint16_t supply_mv; /* H-bridge supply */
	bool fuse_open; /* the independent thermal fuse has opened */
};

struct fw_outputs {
	int16_t drive; /* applied to the H-bridge, -10000..10000 */
	bool load_switch_closed; /* the high-side switch in series with the module */
	/* the independent hardware watchdog's input: it toggles once per
	 * tick; a level that stops toggling for the watchdog's timeout is a
	 * firmware that no longer runs (PROTOCOL.md 6.16) */
	bool watchdog_kick;
};

struct fw_config {
	char serial[TP_SERIAL_LEN + 1];
	uint8_t fw_major, fw_minor;
	uint16_t fw_patch;
	uint32_t capabilities; /* TP_CAP_*, incl. TP_CAP_SIMULATED in the sim */
	struct tp_limits hard_limits; /* never widened by anything */
	uint16_t watchdog_default_ms, watchdog_min_ms, watchdog_max_ms;
	uint16_t polarity_rest_ms;
	uint16_t telemetry_period_ms;
	uint16_t supply_mv; /* nominal */
	uint16_t supply_min_mv, supply_max_mv; /* outside: drive withheld */
	uint16_t supply_fault_ms; /* ... and a fault if drive is wanted this long */
	uint16_t overcurrent_ms; /* |I| above the limit this long: fault */
	uint32_t overcurrent_repeat_ms; /* again within this of a clear: held */
	/* the module, for the current the drive should give */
	uint32_t module_seebeck_uv_per_k;
	uint16_t module_resistance_mohm;
	uint16_t mismatch_ms; /* current disagreeing this long: load switch opens */
	/* the plate estimate: the slowest sensor time constant it bounds */
	uint16_t sensor_lag_max_ms;
	/* exposure bounds, and how fast exposure is forgotten */
	uint16_t dose_max_cmin; /* CEM43, hundredths of a minute */
	int16_t cold_below_cc;
	uint16_t cold_max_s;
	int16_t deep_cold_below_cc; /* deep cold: the skin numb, a bound of its own */
	uint16_t deep_cold_max_s;
	uint16_t exposure_half_life_s;
	/* a host that rides the plate limit: this many seconds of full drive
	 * withheld by it (forgotten with the half-life below while nothing
	 * is withheld) latch HEAT_CLAMP; again within the repeat time of a
	 * clear, held */
	uint16_t heat_withheld_max_s;
	uint16_t heat_withheld_half_life_s;
	uint32_t heat_clamp_repeat_ms;
	/* the proofs: a tick in every this many ms steps the drive or opens
	 * the load switch, and the next tick checks what the module did */
	uint16_t probe_period_ms;
	/* clearing faults */
	uint16_t clear_holdoff_ms, clear_interval_ms;
};

/* The reference pad's configuration (serial given by the caller). */
void fw_config_reference(struct fw_config *cfg, const char *serial);

/* What the firmware knows of one plate sensor's recent past: a short
 * window of conversions, from which its level and slope are fitted. The
 * fit's sums are kept as the window moves (integers: exact, so they never
 * drift), a sample in and a sample out per tick, whatever the window's
 * length; times count from base_ms. */
#define FW_TRACK_LEN 40
struct fw_track {
	uint32_t t_ms[FW_TRACK_LEN];
	int16_t cc[FW_TRACK_LEN];
	int n, next;
	uint32_t base_ms;
	int64_t sum_t, sum_c, sum_tt, sum_tc;
	double level_c, slope_c_per_s; /* fitted at the newest sample */
};

/* The proofs a tick can put out instead of its drive, for one tick. */
enum fw_probe { FW_PROBE_NONE = 0, FW_PROBE_DRIVE_STEP, FW_PROBE_SWITCH_OPEN };

/* Per fault bit: when its cause was last present (for the clear hold-off). */
#define FW_FAULT_BITS 32

/* The state of one tick, all of it taken at the same moment: reports and
 * GET_STATUS are built from it, never from fields a request changed since. */
struct fw_snapshot {
	uint32_t device_time_ms;
	uint16_t acked_seq;
	int16_t applied;
	int16_t temp_cc[FW_SENSOR_COUNT];
	int16_t current_ma, voltage_mv;
	uint32_t faults, faults_held;
	uint8_t state, flags;
	uint16_t dose_cmin, cold_s;
};

struct fw {
	struct fw_config cfg;
	struct tp_limits limits; /* in force: within cfg.hard_limits, only ever narrowed */
	uint16_t watchdog_ms;
	uint32_t boot_ms; /* device time counts from here */
	uint32_t now_ms;
	bool ticked;
	uint32_t last_heartbeat_ms;
	bool heartbeat_seen;
	uint16_t pending_seq; /* seq of the last accepted SET_OUTPUT ... */
	uint16_t acked_seq; /* ... and of the one whose drive a tick applied */
	int16_t requested; /* drive the host asked for */
	int16_t applied; /* drive applied at the last tick (reported) */
	int16_t out_drive; /* what that tick put out, a proof included: the current measured now follows it */
	int8_t last_polarity; /* sign of the last non-zero applied drive */
	uint32_t rest_until_ms; /* no drive of another sign (after boot: of any) before */
	bool boot_rest; /* the rest after boot is not over */
	uint32_t faults; /* latched */
	uint32_t held; /* latched until a power cycle */
	uint32_t cause_ms[FW_FAULT_BITS]; /* last tick each cause was present */
	uint32_t pending_clear; /* CLEAR_FAULTS mask, applied at the next tick */
	bool clear_pending;
	uint32_t last_clear_ms;
	bool cleared_once;
	uint32_t overcurrent_cleared_ms;
	bool overcurrent_was_cleared;
	uint8_t state;
	uint8_t flags;
	bool booted; /* TP_FLAG_BOOT until acknowledged */
	uint8_t last_request_error;
	uint32_t overcurrent_since_ms;
	bool overcurrent_timing;
	uint32_t supply_bad_since_ms;
	bool supply_bad_timing;
	/* the supply went while a drive it carried was still asked for: the
	 * drive does not come back with it (PROTOCOL.md 6.14) */
	bool supply_carried; /* a drive was applied on this supply, and is still asked */
	bool supply_gone; /* ... and the supply went since */
	uint32_t supply_gone_since_ms;
	int16_t supply_gone_drive; /* the least drive asked since (magnitude) */
	bool supply_gone_easing; /* the host brings it down: a stop in progress */
	uint8_t switch_leaked; /* switch-open proofs in a row with current flowing */
	uint32_t leak_since_ms; /* current flowing with the switch held open, since */
	bool leak_timing;
	bool watchdog_kick; /* the level last put out to the hardware watchdog */
	uint32_t mismatch_since_ms;
	bool mismatch_timing;
	bool load_switch_closed;
	int16_t temp_cc[FW_SENSOR_COUNT]; /* last conversions, TP_TEMP_INVALID if broken */
	struct fw_track track[FW_SENSOR_COUNT];
	double plate_hi_c, plate_lo_c; /* bounds on the true plate */
	double heat_amps_recent, cool_amps_recent; /* what bounds the plate's rate */
	double dose_cem43_min, cold_s, deep_cold_s;
	/* the share of full drive the plate limit took from the host's heat at
	 * the last tick, and all it took, in seconds of full drive */
	double heat_withheld, heat_withheld_s;
	uint32_t heat_clamp_cleared_ms;
	bool heat_clamp_was_cleared;
	/* the proofs (PROTOCOL.md 6.15): what the last tick put out, and how
	 * often in a row the module did not answer as physics says it must */
	uint8_t probe; /* enum fw_probe */
	uint8_t probe_turn; /* the kind due next */
	uint32_t next_probe_ms;
	int16_t probe_base_ma; /* the current as the drive step went out */
	double probe_step_a; /* the change of current the step must give */
	uint8_t bridge_unanswered, seebeck_disagreed;
	double seebeck_plate_c; /* the plate as the module's open voltage puts it */
	struct fw_inputs last_in; /* of the last tick that followed no proof */
	struct fw_snapshot snap; /* the last tick's */
	struct fw_snapshot report; /* the report due, as of its tick */
	uint16_t report_seq;
	uint32_t next_report_ms;
	bool report_ready;
};

void fw_init(struct fw *fw, const struct fw_config *cfg, uint32_t now_ms);

/* Advance to now_ms with fresh measurements; fills the drive to apply. */
void fw_tick(struct fw *fw, uint32_t now_ms, const struct fw_inputs *in, struct fw_outputs *out);

/* A control request. IN requests write the reply into buf and return its
 * length; OUT requests take the payload. Both return -1 for a STALL, with
 * the reason kept for GET_STATUS (tp_status.last_request_error). */
int fw_control_in(struct fw *fw, uint8_t request, uint8_t *buf, size_t cap);
int fw_control_out(struct fw *fw, uint8_t request, const uint8_t *data, size_t len);

/* If a telemetry report has become due, encode it into buf and return its
 * length (TP_TELEMETRY_LEN); else 0. A report not taken before the next one
 * is due is overwritten (the host sees a sequence gap). */
size_t fw_take_report(struct fw *fw, uint8_t *buf, size_t cap);

/* The NTC conversion both ways: the firmware reads codes, the simulator
 * makes them from temperatures. */
int16_t fw_ntc_code_to_cc(uint16_t code); /* TP_TEMP_INVALID near the rails */
uint16_t fw_ntc_cc_to_code(int32_t cc);

#endif
