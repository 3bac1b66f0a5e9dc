/* SPDX-License-Identifier: MIT */
/*
 * thermopad wire protocol, version 2: the one header that the pad's firmware
 * and every host program compile. PROTOCOL.md beside this file is the
 * normative text; this header is its machine-readable half.
 *
 * Every frame, in either direction, is a fixed little-endian layout that
 * starts with a four-byte header: version, type, total length. The C structs
 * below are the host's view of a frame, never its byte image: frames are
 * always converted with the proto_encode_* and proto_decode_* functions,
 * which check every field and say why a frame was refused.
 *
 * Units: temperatures in hundredths of a degree Celsius ("cC"), drive in
 * hundredths of a percent of full scale (+10000 = full heating,
 * -10000 = full cooling), currents in mA, voltages in mV, times in ms.
 */
#ifndef THERMOPAD_PROTO_H
#define THERMOPAD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pid.codes test PID: for development only; a production pad needs a PID of
 * its own allocated under 0x1209 (or a vendor ID of its own). */
#define TP_USB_VID 0x1209
#define TP_USB_PID 0x0001

#define TP_PROTO_VERSION 4

/* One vendor-specific interface (class 0xff) with one interrupt-IN endpoint
 * for telemetry; commands travel as control transfers on endpoint 0. */
#define TP_USB_INTERFACE 0
#define TP_EP_TELEMETRY 0x81
#define TP_EP_TELEMETRY_SIZE 32 /* wMaxPacketSize */
#define TP_EP_TELEMETRY_INTERVAL 10 /* bInterval, ms (full speed) */

/* Control requests: bmRequestType vendor | interface recipient. */
#define TP_REQTYPE_IN 0xc1 /* device-to-host, vendor, interface */
#define TP_REQTYPE_OUT 0x41 /* host-to-device, vendor, interface */

enum tp_request {
	TP_REQ_GET_INFO = 0x01, /* IN: struct tp_info */
	TP_REQ_GET_STATUS = 0x02, /* IN: struct tp_status */
	TP_REQ_SET_OUTPUT = 0x10, /* OUT: struct tp_set_output; also the heartbeat */
	TP_REQ_SET_WATCHDOG = 0x11, /* OUT: struct tp_set_watchdog */
	TP_REQ_SET_LIMITS = 0x12, /* OUT: struct tp_set_limits; narrows only */
	TP_REQ_CLEAR_FAULTS = 0x13, /* OUT: struct tp_clear_faults */
};

/* The type byte of each frame. */
enum tp_frame_type {
	TP_FRAME_INFO = 0x01,
	TP_FRAME_STATUS = 0x02,
	TP_FRAME_SET_OUTPUT = 0x10,
	TP_FRAME_SET_WATCHDOG = 0x11,
	TP_FRAME_SET_LIMITS = 0x12,
	TP_FRAME_CLEAR_FAULTS = 0x13,
	TP_FRAME_TELEMETRY = 0x20,
};

/* Exact total length of each frame type, header included. */
#define TP_HEADER_LEN 4
#define TP_INFO_LEN 64
#define TP_STATUS_LEN 40
#define TP_SET_OUTPUT_LEN 8
#define TP_SET_WATCHDOG_LEN 8
#define TP_SET_LIMITS_LEN 12
#define TP_CLEAR_FAULTS_LEN 8
#define TP_TELEMETRY_LEN 32
#define TP_FRAME_MAX_LEN 64

#define TP_DRIVE_FULL 10000 /* |drive| <= TP_DRIVE_FULL */
#define TP_TEMP_INVALID INT16_MIN /* sensor reading not available (see faults) */
/* A valid temperature lies in this range (cC); anything else is refused. */
#define TP_TEMP_MIN_CC (-4000)
#define TP_TEMP_MAX_CC 15000
#define TP_SERIAL_LEN 16 /* printable ASCII, NUL-padded, at least 1 char */

/* Capability bits (tp_info.capabilities). */
#define TP_CAP_SIMULATED (1u << 0) /* not hardware: a simulator answers */
#define TP_CAP_HEAT (1u << 1)
#define TP_CAP_COOL (1u << 2)
#define TP_CAP_CURRENT_SENSE (1u << 3)
#define TP_CAP_VOLTAGE_SENSE (1u << 4)
#define TP_CAP_THERMAL_FUSE (1u << 5) /* independent fuse fitted (mandatory) */
#define TP_CAP_KNOWN_MASK 0x3fu

/* Device state (tp_telemetry.state, tp_status.state). */
enum tp_state {
	TP_STATE_IDLE = 0, /* output zero, no heartbeat seen since reset/clear */
	TP_STATE_RUN = 1, /* output follows SET_OUTPUT */
	TP_STATE_REST = 2, /* output held at zero before a polarity change */
	TP_STATE_FAULT = 3, /* a fault is latched; output zero until cleared */
};
#define TP_STATE_MAX TP_STATE_FAULT

/* Flag bits (tp_telemetry.flags, tp_status.flags). */
#define TP_FLAG_WATCHDOG_ARMED (1u << 0)
#define TP_FLAG_POLARITY_REST (1u << 1)
#define TP_FLAG_LIMITING (1u << 2) /* firmware reduced the drive (limit) */
#define TP_FLAG_CURRENT_LIMIT (1u << 3) /* current limiter active */
#define TP_FLAG_BOOT (1u << 4) /* restarted; until a CLEAR_FAULTS acknowledges it */
#define TP_FLAG_SUPPLY_LOW (1u << 5) /* supply out of range, drive withheld (no fault at zero) */
#define TP_FLAG_KNOWN_MASK 0x3fu

/* Fault bits: latched by the firmware until CLEAR_FAULTS; while any is
 * latched the output is zero. A host treats EVERY set bit, known or not,
 * as a fault. */
#define TP_FAULT_WATCHDOG (1u << 0) /* no SET_OUTPUT within the timeout */
#define TP_FAULT_PLATE_OVER (1u << 1) /* a plate sensor above the hard max */
#define TP_FAULT_PLATE_UNDER (1u << 2) /* a plate sensor below the hard min */
#define TP_FAULT_SINK_OVER (1u << 3) /* heat sink above its hard max */
#define TP_FAULT_SENSOR_A_OPEN (1u << 4)
#define TP_FAULT_SENSOR_A_SHORT (1u << 5)
#define TP_FAULT_SENSOR_B_OPEN (1u << 6)
#define TP_FAULT_SENSOR_B_SHORT (1u << 7)
#define TP_FAULT_SINK_SENSOR_OPEN (1u << 8)
#define TP_FAULT_SINK_SENSOR_SHORT (1u << 9)
#define TP_FAULT_OVERCURRENT (1u << 10)
#define TP_FAULT_SUPPLY (1u << 11) /* supply out of range */
#define TP_FAULT_FUSE (1u << 12) /* hardware thermal fuse open */
#define TP_FAULT_HEAT_DOSE (1u << 13) /* the plate's thermal dose reached its bound */
#define TP_FAULT_COLD_EXPOSURE (1u << 14) /* time below the cold threshold reached its bound */
#define TP_FAULT_BRIDGE (1u << 15) /* current disagrees with the drive: load switch opened */
#define TP_FAULT_PLATE_IMPLAUSIBLE (1u << 16) /* both plate sensors contradicted by the module's Seebeck voltage */
#define TP_FAULT_LOAD_SWITCH_WELDED (1u << 17) /* current flowed with the load switch open: it is welded */
#define TP_FAULT_SUPPLY_LOST (1u << 18) /* the supply went while drive was asked: no resuming by itself */
#define TP_FAULT_HEAT_CLAMP (1u << 19) /* the host asked for more heat than the plate limit let through, too long */
#define TP_FAULT_KNOWN_MASK 0xfffffu
/* Bits that only a power cycle clears (CLEAR_FAULTS leaves them set);
 * OVERCURRENT and HEAT_CLAMP join them when they latch again soon after a
 * clear. */
#define TP_FAULT_HELD_MASK                                                                                             \
	(TP_FAULT_FUSE | TP_FAULT_HEAT_DOSE | TP_FAULT_COLD_EXPOSURE | TP_FAULT_BRIDGE | TP_FAULT_LOAD_SWITCH_WELDED)

/* Why a control request was refused (STALLed); read back in GET_STATUS. */
enum tp_request_error {
	TP_REQERR_NONE = 0,
	TP_REQERR_MALFORMED = 1, /* frame failed to decode */
	TP_REQERR_RANGE = 2, /* a value outside what the firmware accepts */
	TP_REQERR_WIDEN = 3, /* SET_LIMITS would widen a limit in force */
	TP_REQERR_FAULTED = 4, /* non-zero drive while a fault is latched */
	TP_REQERR_UNKNOWN = 5, /* unknown request */
	TP_REQERR_RATE = 6, /* CLEAR_FAULTS sooner than clear_interval_ms after the last */
};
#define TP_REQERR_MAX TP_REQERR_RATE

struct tp_limits {
	int16_t plate_max_cc;
	int16_t plate_min_cc;
	int16_t sink_max_cc;
	uint16_t current_max_ma;
};

/* GET_INFO reply. Layout (offset: field):
 *  0 u8 version, 1 u8 type, 2 u16 length (=64)
 *  4 u8 fw_major, 5 u8 fw_minor, 6 u16 fw_patch
 *  8 u32 capabilities
 * 12 u8 sensor_count, 13..15 reserved (0)
 * 16 char serial[16]
 * 32 i16 plate_max_cc, 34 i16 plate_min_cc, 36 i16 sink_max_cc,
 * 38 u16 current_max_ma          (the firmware's hard limits)
 * 40 u16 watchdog_default_ms, 42 u16 watchdog_min_ms, 44 u16 watchdog_max_ms
 * 46 u16 polarity_rest_ms, 48 u16 telemetry_period_ms, 50 u16 supply_mv
 * 52 u16 dose_max_cmin (heat dose bound, CEM43 hundredths of a minute)
 * 54 i16 cold_below_cc, 56 u16 cold_max_s (time below it, bound)
 * 58 u16 sensor_lag_max_ms, 60 u16 clear_holdoff_ms, 62 u16 clear_interval_ms */
struct tp_info {
	uint8_t fw_major;
	uint8_t fw_minor;
	uint16_t fw_patch;
	uint32_t capabilities;
	uint8_t sensor_count;
	char serial[TP_SERIAL_LEN + 1]; /* NUL-terminated on the host */
	struct tp_limits hard_limits;
	uint16_t watchdog_default_ms;
	uint16_t watchdog_min_ms;
	uint16_t watchdog_max_ms;
	uint16_t polarity_rest_ms;
	uint16_t telemetry_period_ms;
	uint16_t supply_mv;
	uint16_t dose_max_cmin; /* the firmware's own exposure bounds */
	int16_t cold_below_cc;
	uint16_t cold_max_s;
	uint16_t sensor_lag_max_ms; /* the slowest plate sensor it is made for */
	uint16_t clear_holdoff_ms; /* a cause absent this long before a clear */
	uint16_t clear_interval_ms; /* CLEAR_FAULTS at most this often */
};

/* GET_STATUS reply. Layout:
 *  0 header (=40)
 *  4 u8 state, 5 u8 flags, 6 u16 watchdog_ms
 *  8 u32 faults
 * 12 i16 plate_max_cc, 14 i16 plate_min_cc, 16 i16 sink_max_cc,
 * 18 u16 current_max_ma          (the limits in force now)
 * 20 u16 last_cmd_seq, 22 i16 drive_applied
 * 24 u32 uptime_ms
 * 28 u8 last_request_error, 29 reserved (0)
 * 30 u16 dose_cmin (heat dose so far), 32 u16 cold_s (cold exposure so far)
 * 34 u16 reserved (0), 36 u32 faults_held (set bits only a power cycle clears) */
struct tp_status {
	uint8_t state;
	uint8_t flags;
	uint16_t watchdog_ms;
	uint32_t faults;
	struct tp_limits limits;
	uint16_t last_cmd_seq;
	int16_t drive_applied;
	uint32_t uptime_ms; /* restarts at every boot */
	uint8_t last_request_error;
	uint16_t dose_cmin;
	uint16_t cold_s;
	uint32_t faults_held;
};

/* SET_OUTPUT: 0 header (=8), 4 u16 seq, 6 i16 drive */
struct tp_set_output {
	uint16_t seq;
	int16_t drive;
};

/* SET_WATCHDOG: 0 header (=8), 4 u16 timeout_ms, 6 u16 reserved (0) */
struct tp_set_watchdog {
	uint16_t timeout_ms;
};

/* SET_LIMITS: 0 header (=12), 4 i16 plate_max_cc, 6 i16 plate_min_cc,
 * 8 i16 sink_max_cc, 10 u16 current_max_ma */
struct tp_set_limits {
	struct tp_limits limits;
};

/* CLEAR_FAULTS: 0 header (=8), 4 u32 mask (bits to clear) */
struct tp_clear_faults {
	uint32_t mask;
};

/* Telemetry report, interrupt IN, every telemetry_period_ms (100 ms). Layout:
 *  0 header (=32)
 *  4 u16 seq, 6 u16 last_cmd_seq
 *  8 u32 device_time_ms (since boot: it restarts when the firmware does)
 * 12 i16 plate_a_cc, 14 i16 plate_b_cc, 16 i16 sink_cc
 * 18 i16 current_ma, 20 i16 voltage_mv, 22 i16 drive_applied
 * 24 u32 faults
 * 28 u8 state, 29 u8 flags, 30 u16 reserved (0) */
struct tp_telemetry {
	uint16_t seq;
	uint16_t last_cmd_seq;
	uint32_t device_time_ms;
	int16_t plate_a_cc;
	int16_t plate_b_cc;
	int16_t sink_cc;
	int16_t current_ma;
	int16_t voltage_mv;
	int16_t drive_applied;
	uint32_t faults;
	uint8_t state;
	uint8_t flags;
};

/* Why a frame was refused. */
enum proto_err {
	PROTO_OK = 0,
	PROTO_ERR_SHORT, /* fewer bytes than the header or the layout needs */
	PROTO_ERR_LONG, /* more bytes than the layout has */
	PROTO_ERR_VERSION, /* version byte is not TP_PROTO_VERSION */
	PROTO_ERR_TYPE, /* type byte is not the expected frame type */
	PROTO_ERR_LENGTH, /* length field disagrees with the layout */
	PROTO_ERR_RESERVED, /* a reserved byte is not zero */
	PROTO_ERR_RANGE, /* a field outside its documented range */
	PROTO_ERR_BUFFER, /* encode: output buffer too small */
};

const char *proto_strerror(enum proto_err err);

/* Encoders return the number of bytes written, or 0 when cap is too small
 * or a field is outside its range (a frame that would not decode is never
 * produced). Decoders return PROTO_OK and fill *out, or the first reason
 * the frame was refused (and leave *out unspecified). */
size_t proto_encode_info(const struct tp_info *in, uint8_t *buf, size_t cap);
enum proto_err proto_decode_info(const uint8_t *buf, size_t len, struct tp_info *out);
size_t proto_encode_status(const struct tp_status *in, uint8_t *buf, size_t cap);
enum proto_err proto_decode_status(const uint8_t *buf, size_t len, struct tp_status *out);
size_t proto_encode_set_output(const struct tp_set_output *in, uint8_t *buf, size_t cap);
enum proto_err proto_decode_set_output(const uint8_t *buf, size_t len, struct tp_set_output *out);
size_t proto_encode_set_watchdog(const struct tp_set_watchdog *in, uint8_t *buf, size_t cap);
enum proto_err proto_decode_set_watchdog(const uint8_t *buf, size_t len, struct tp_set_watchdog *out);
size_t proto_encode_set_limits(const struct tp_set_limits *in, uint8_t *buf, size_t cap);
enum proto_err proto_decode_set_limits(const uint8_t *buf, size_t len, struct tp_set_limits *out);
size_t proto_encode_clear_faults(const struct tp_clear_faults *in, uint8_t *buf, size_t cap);
enum proto_err proto_decode_clear_faults(const uint8_t *buf, size_t len, struct tp_clear_faults *out);
size_t proto_encode_telemetry(const struct tp_telemetry *in, uint8_t *buf, size_t cap);
enum proto_err proto_decode_telemetry(const uint8_t *buf, size_t len, struct tp_telemetry *out);

/* Names for logs and messages: "plate-over", "watchdog", ...; a bit that is
 * not known is named "unknown-fault". Inline, so that a pure component
 * (the host's safety supervisor) names the bits without linking the codec. */
static inline const char *proto_fault_name(uint32_t single_bit)
{
	static const char *const names[32] = {
		"watchdog", "plate-over", "plate-under", "sink-over", "sensor-a-open",
		"sensor-a-short", "sensor-b-open", "sensor-b-short", "sink-sensor-open",
		"sink-sensor-short", "overcurrent", "supply", "fuse", "heat-dose",
		"cold-exposure", "bridge", "plate-implausible", "load-switch-welded",
		"supply-lost", "heat-clamp",
	};
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (single_bit == (1u << i) && names[i])
			return names[i];
	return "unknown-fault";
}

/* Writes "plate-over,sensor-a-open" (or "none") into buf; returns the length
 * it needed, snprintf-style. */
static inline size_t proto_faults_describe(uint32_t faults, char *buf, size_t cap)
{
	size_t need = 0;
	if (cap)
		buf[0] = '\0';
	const char *none = "none";
	if (!faults) {
		for (need = 0; none[need]; need++)
			if (need + 1 < cap)
				buf[need] = none[need], buf[need + 1] = '\0';
		return need;
	}
	for (unsigned i = 0; i < 32; i++) {
		if (!(faults & (1u << i)))
			continue;
		const char *name = proto_fault_name(1u << i);
		for (const char *c = need ? "," : ""; *c; c++, need++)
			if (need + 1 < cap)
				buf[need] = *c, buf[need + 1] = '\0';
		for (const char *c = name; *c; c++, need++)
			if (need + 1 < cap)
				buf[need] = *c, buf[need + 1] = '\0';
	}
	return need;
}

const char *proto_state_name(uint8_t state);

/* The sequence gap between two telemetry reports: 0 when b
 * directly follows a, else the number of reports lost (modulo 2^16). */
static inline uint16_t proto_seq_gap(uint16_t a, uint16_t b)
{
	return (uint16_t)(b - a - 1u);
}

#endif
