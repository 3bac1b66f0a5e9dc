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
	uint16_t supply_min_mv, supply_max_mv; /* outside: TP_FAULT_SUPPLY */
	uint16_t overcurrent_ms; /* |I| above the limit this long: fault */
};

/* The reference pad's configuration (serial given by the caller). */
void fw_config_reference(struct fw_config *cfg, const char *serial);

struct fw {
	struct fw_config cfg;
	struct tp_limits limits; /* in force: within cfg.hard_limits */
	uint16_t watchdog_ms;
	uint32_t now_ms;
	uint32_t last_heartbeat_ms;
	bool heartbeat_seen;
	uint16_t last_cmd_seq;
	int16_t requested; /* drive the host asked for */
	int16_t applied; /* drive applied at the last tick */
	int8_t last_polarity; /* sign of the last non-zero applied drive */
	uint32_t rest_until_ms;
	bool resting;
	uint32_t faults; /* latched */
	uint8_t state;
	uint8_t flags;
	uint8_t last_request_error;
	uint32_t overcurrent_since_ms;
	bool overcurrent_timing;
	int16_t temp_cc[FW_SENSOR_COUNT]; /* last conversions, TP_TEMP_INVALID if broken */
	struct fw_inputs last_in;
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
