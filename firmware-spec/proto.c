/* SPDX-License-Identifier: MIT */
/*
 * The reference codec of the thermopad wire protocol (PROTOCOL.md).
 * Every byte is placed explicitly: frames never depend on the compiler's
 * struct layout or the host's endianness.
 */
#include "thermopad_proto.h"

#include <stdio.h>
#include <string.h>

/* ---- little-endian primitives ---------------------------------------- */

static void put_u8(uint8_t *b, size_t off, uint8_t v)
{
	b[off] = v;
}

static void put_u16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = (uint8_t)(v & 0xffu);
	b[off + 1] = (uint8_t)(v >> 8);
}

static void put_i16(uint8_t *b, size_t off, int16_t v)
{
	put_u16(b, off, (uint16_t)v);
}

static void put_u32(uint8_t *b, size_t off, uint32_t v)
{
	put_u16(b, off, (uint16_t)(v & 0xffffu));
	put_u16(b, off + 2, (uint16_t)(v >> 16));
}

static uint16_t get_u16(const uint8_t *b, size_t off)
{
	return (uint16_t)(b[off] | (b[off + 1] << 8));
}

static int16_t get_i16(const uint8_t *b, size_t off)
{
	uint16_t u = get_u16(b, off);
	/* two's complement without implementation-defined conversion */
	return u < 0x8000u ? (int16_t)u : (int16_t)(-(int32_t)(0x10000u - u));
}

static uint32_t get_u32(const uint8_t *b, size_t off)
{
	return (uint32_t)get_u16(b, off) | ((uint32_t)get_u16(b, off + 2) << 16);
}

/* ---- shared checks --------------------------------------------------- */

static size_t put_header(uint8_t *buf, size_t cap, uint8_t type, size_t len)
{
	if (cap < len)
		return 0;
	memset(buf, 0, len);
	put_u8(buf, 0, TP_PROTO_VERSION);
	put_u8(buf, 1, type);
	put_u16(buf, 2, (uint16_t)len);
	return len;
}

/* The documented order: too short for a header, version, type, length
 * field, then the actual byte count against the layout. */
static enum proto_err check_header(const uint8_t *buf, size_t len, uint8_t type, size_t want)
{
	if (!buf || len < TP_HEADER_LEN)
		return PROTO_ERR_SHORT;
	if (buf[0] != TP_PROTO_VERSION)
		return PROTO_ERR_VERSION;
	if (buf[1] != type)
		return PROTO_ERR_TYPE;
	if (get_u16(buf, 2) != want)
		return PROTO_ERR_LENGTH;
	if (len < want)
		return PROTO_ERR_SHORT;
	if (len > want)
		return PROTO_ERR_LONG;
	return PROTO_OK;
}

static bool all_zero(const uint8_t *buf, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (buf[i])
			return false;
	return true;
}

static bool temp_ok(int16_t cc)
{
	return cc == TP_TEMP_INVALID || (cc >= TP_TEMP_MIN_CC && cc <= TP_TEMP_MAX_CC);
}

static bool drive_ok(int16_t d)
{
	return d >= -TP_DRIVE_FULL && d <= TP_DRIVE_FULL;
}

/* Limits are real temperatures (never the invalid marker), ordered. */
static bool limits_ok(const struct tp_limits *l)
{
	return l->plate_max_cc >= TP_TEMP_MIN_CC && l->plate_max_cc <= TP_TEMP_MAX_CC &&
	       l->plate_min_cc >= TP_TEMP_MIN_CC && l->plate_min_cc <= TP_TEMP_MAX_CC &&
	       l->sink_max_cc >= TP_TEMP_MIN_CC && l->sink_max_cc <= TP_TEMP_MAX_CC &&
	       l->plate_min_cc < l->plate_max_cc && l->current_max_ma > 0;
}

static void put_limits(uint8_t *b, size_t off, const struct tp_limits *l)
{
	put_i16(b, off, l->plate_max_cc);
	put_i16(b, off + 2, l->plate_min_cc);
	put_i16(b, off + 4, l->sink_max_cc);
	put_u16(b, off + 6, l->current_max_ma);
}

static void get_limits(const uint8_t *b, size_t off, struct tp_limits *l)
{
	l->plate_max_cc = get_i16(b, off);
	l->plate_min_cc = get_i16(b, off + 2);
	l->sink_max_cc = get_i16(b, off + 4);
	l->current_max_ma = get_u16(b, off + 6);
}

/* Printable ASCII, at least one character, NUL padding after the first
 * NUL and nothing else: a serial is how the host tells pads apart. */
static bool serial_ok(const uint8_t *raw)
{
	size_t n = 0;
	while (n < TP_SERIAL_LEN && raw[n])
		n++;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (raw[i] < 0x21 || raw[i] > 0x7e)
			return false;
	for (size_t i = n; i < TP_SERIAL_LEN; i++)
		if (raw[i])
			return false;
	return true;
}

/* ---- GET_INFO ---------------------------------------------------------- */

static bool info_ok(const struct tp_info *in)
{
	return in->sensor_count >= 1 && limits_ok(&in->hard_limits) && in->watchdog_min_ms > 0 &&
	       in->watchdog_min_ms <= in->watchdog_default_ms &&
	       in->watchdog_default_ms <= in->watchdog_max_ms && in->telemetry_period_ms > 0 &&
	       in->dose_max_cmin > 0 && in->cold_max_s > 0 && in->cold_below_cc >= TP_TEMP_MIN_CC &&
	       in->cold_below_cc <= TP_TEMP_MAX_CC && in->clear_interval_ms > 0;
}

size_t proto_encode_info(const struct tp_info *in, uint8_t *buf, size_t cap)
{
	size_t slen = strnlen(in->serial, sizeof in->serial);
	if (!info_ok(in) || slen == 0 || slen > TP_SERIAL_LEN)
		return 0;
	if (!put_header(buf, cap, TP_FRAME_INFO, TP_INFO_LEN))
		return 0;
	put_u8(buf, 4, in->fw_major);
	put_u8(buf, 5, in->fw_minor);
	put_u16(buf, 6, in->fw_patch);
	put_u32(buf, 8, in->capabilities);
	put_u8(buf, 12, in->sensor_count);
	memcpy(buf + 16, in->serial, slen);
	if (!serial_ok(buf + 16))
		return 0;
	put_limits(buf, 32, &in->hard_limits);
	put_u16(buf, 40, in->watchdog_default_ms);
	put_u16(buf, 42, in->watchdog_min_ms);
	put_u16(buf, 44, in->watchdog_max_ms);
	put_u16(buf, 46, in->polarity_rest_ms);
	put_u16(buf, 48, in->telemetry_period_ms);
	put_u16(buf, 50, in->supply_mv);
	put_u16(buf, 52, in->dose_max_cmin);
	put_i16(buf, 54, in->cold_below_cc);
	put_u16(buf, 56, in->cold_max_s);
	put_u16(buf, 58, in->sensor_lag_max_ms);
	put_u16(buf, 60, in->clear_holdoff_ms);
	put_u16(buf, 62, in->clear_interval_ms);
	return TP_INFO_LEN;
}

enum proto_err proto_decode_info(const uint8_t *buf, size_t len, struct tp_info *out)
{
	enum proto_err e = check_header(buf, len, TP_FRAME_INFO, TP_INFO_LEN);
	if (e)
		return e;
	if (!all_zero(buf, 13, 16))
		return PROTO_ERR_RESERVED;
	memset(out, 0, sizeof *out);
	out->fw_major = buf[4];
	out->fw_minor = buf[5];
	out->fw_patch = get_u16(buf, 6);
	out->capabilities = get_u32(buf, 8);
	out->sensor_count = buf[12];
	if (!serial_ok(buf + 16))
		return PROTO_ERR_RANGE;
	memcpy(out->serial, buf + 16, TP_SERIAL_LEN);
	out->serial[TP_SERIAL_LEN] = '\0';
	get_limits(buf, 32, &out->hard_limits);
	out->watchdog_default_ms = get_u16(buf, 40);
	out->watchdog_min_ms = get_u16(buf, 42);
	out->watchdog_max_ms = get_u16(buf, 44);
	out->polarity_rest_ms = get_u16(buf, 46);
	out->telemetry_period_ms = get_u16(buf, 48);
	out->supply_mv = get_u16(buf, 50);
	out->dose_max_cmin = get_u16(buf, 52);
	out->cold_below_cc = get_i16(buf, 54);
	out->cold_max_s = get_u16(buf, 56);
	out->sensor_lag_max_ms = get_u16(buf, 58);
	out->clear_holdoff_ms = get_u16(buf, 60);
	out->clear_interval_ms = get_u16(buf, 62);
	return info_ok(out) ? PROTO_OK : PROTO_ERR_RANGE;
}

/* ---- GET_STATUS -------------------------------------------------------- */

static bool status_ok(const struct tp_status *s)
{
	return s->state <= TP_STATE_MAX && limits_ok(&s->limits) && drive_ok(s->drive_applied) &&
	       s->last_request_error <= TP_REQERR_MAX && !(s->faults_held & ~s->faults);
}

size_t proto_encode_status(const struct tp_status *in, uint8_t *buf, size_t cap)
{
	if (!status_ok(in) || !put_header(buf, cap, TP_FRAME_STATUS, TP_STATUS_LEN))
		return 0;
	put_u8(buf, 4, in->state);
	put_u8(buf, 5, in->flags);
	put_u16(buf, 6, in->watchdog_ms);
	put_u32(buf, 8, in->faults);
	put_limits(buf, 12, &in->limits);
	put_u16(buf, 20, in->last_cmd_seq);
	put_i16(buf, 22, in->drive_applied);
	put_u32(buf, 24, in->uptime_ms);
	put_u8(buf, 28, in->last_request_error);
	put_u16(buf, 30, in->dose_cmin);
	put_u16(buf, 32, in->cold_s);
	put_u32(buf, 36, in->faults_held);
	return TP_STATUS_LEN;
}

enum proto_err proto_decode_status(const uint8_t *buf, size_t len, struct tp_status *out)
{
	enum proto_err e = check_header(buf, len, TP_FRAME_STATUS, TP_STATUS_LEN);
	if (e)
		return e;
	if (!all_zero(buf, 29, 30) || !all_zero(buf, 34, 36))
		return PROTO_ERR_RESERVED;
	memset(out, 0, sizeof *out);
	out->state = buf[4];
	out->flags = buf[5];
	out->watchdog_ms = get_u16(buf, 6);
	out->faults = get_u32(buf, 8);
	get_limits(buf, 12, &out->limits);
	out->last_cmd_seq = get_u16(buf, 20);
	out->drive_applied = get_i16(buf, 22);
	out->uptime_ms = get_u32(buf, 24);
	out->last_request_error = buf[28];
	out->dose_cmin = get_u16(buf, 30);
	out->cold_s = get_u16(buf, 32);
	out->faults_held = get_u32(buf, 36);
	return status_ok(out) ? PROTO_OK : PROTO_ERR_RANGE;
}

/* ---- host-to-device commands ---------------------------------------- */

size_t proto_encode_set_output(const struct tp_set_output *in, uint8_t *buf, size_t cap)
{
	if (!drive_ok(in->drive) || !put_header(buf, cap, TP_FRAME_SET_OUTPUT, TP_SET_OUTPUT_LEN))
		return 0;
	put_u16(buf, 4, in->seq);
	put_i16(buf, 6, in->drive);
	return TP_SET_OUTPUT_LEN;
}

enum proto_err proto_decode_set_output(const uint8_t *buf, size_t len, struct tp_set_output *out)
{
	enum proto_err e = check_header(buf, len, TP_FRAME_SET_OUTPUT, TP_SET_OUTPUT_LEN);
	if (e)
		return e;
	out->seq = get_u16(buf, 4);
	out->drive = get_i16(buf, 6);
	return drive_ok(out->drive) ? PROTO_OK : PROTO_ERR_RANGE;
}

size_t proto_encode_set_watchdog(const struct tp_set_watchdog *in, uint8_t *buf, size_t cap)
{
	if (in->timeout_ms == 0 || !put_header(buf, cap, TP_FRAME_SET_WATCHDOG, TP_SET_WATCHDOG_LEN))
		return 0;
	put_u16(buf, 4, in->timeout_ms);
	return TP_SET_WATCHDOG_LEN;
}

enum proto_err proto_decode_set_watchdog(const uint8_t *buf, size_t len, struct tp_set_watchdog *out)
{
	enum proto_err e = check_header(buf, len, TP_FRAME_SET_WATCHDOG, TP_SET_WATCHDOG_LEN);
	if (e)
		return e;
	if (!all_zero(buf, 6, TP_SET_WATCHDOG_LEN))
		return PROTO_ERR_RESERVED;
	out->timeout_ms = get_u16(buf, 4);
	/* a watchdog that never fires is not a watchdog */
	return out->timeout_ms ? PROTO_OK : PROTO_ERR_RANGE;
}

size_t proto_encode_set_limits(const struct tp_set_limits *in, uint8_t *buf, size_t cap)
{
	if (!limits_ok(&in->limits) || !put_header(buf, cap, TP_FRAME_SET_LIMITS, TP_SET_LIMITS_LEN))
		return 0;
	put_limits(buf, 4, &in->limits);
	return TP_SET_LIMITS_LEN;
}

enum proto_err proto_decode_set_limits(const uint8_t *buf, size_t len, struct tp_set_limits *out)
{
	enum proto_err e = check_header(buf, len, TP_FRAME_SET_LIMITS, TP_SET_LIMITS_LEN);
	if (e)
		return e;
	get_limits(buf, 4, &out->limits);
	return limits_ok(&out->limits) ? PROTO_OK : PROTO_ERR_RANGE;
}

size_t proto_encode_clear_faults(const struct tp_clear_faults *in, uint8_t *buf, size_t cap)
{
	if (!put_header(buf, cap, TP_FRAME_CLEAR_FAULTS, TP_CLEAR_FAULTS_LEN))
		return 0;
	put_u32(buf, 4, in->mask);
	return TP_CLEAR_FAULTS_LEN;
}

enum proto_err proto_decode_clear_faults(const uint8_t *buf, size_t len, struct tp_clear_faults *out)
{
	enum proto_err e = check_header(buf, len, TP_FRAME_CLEAR_FAULTS, TP_CLEAR_FAULTS_LEN);
	if (e)
		return e;
	out->mask = get_u32(buf, 4);
	return PROTO_OK;
}

/* ---- telemetry --------------------------------------------------------- */

static bool telemetry_ok(const struct tp_telemetry *t)
{
	return temp_ok(t->plate_a_cc) && temp_ok(t->plate_b_cc) && temp_ok(t->sink_cc) &&
	       drive_ok(t->drive_applied) && t->state <= TP_STATE_MAX;
}

size_t proto_encode_telemetry(const struct tp_telemetry *in, uint8_t *buf, size_t cap)
{
	if (!telemetry_ok(in) || !put_header(buf, cap, TP_FRAME_TELEMETRY, TP_TELEMETRY_LEN))
		return 0;
	put_u16(buf, 4, in->seq);
	put_u16(buf, 6, in->last_cmd_seq);
	put_u32(buf, 8, in->device_time_ms);
	put_i16(buf, 12, in->plate_a_cc);
	put_i16(buf, 14, in->plate_b_cc);
	put_i16(buf, 16, in->sink_cc);
	put_i16(buf, 18, in->current_ma);
	put_i16(buf, 20, in->voltage_mv);
	put_i16(buf, 22, in->drive_applied);
	put_u32(buf, 24, in->faults);
	put_u8(buf, 28, in->state);
	put_u8(buf, 29, in->flags);
	return TP_TELEMETRY_LEN;
}

enum proto_err proto_decode_telemetry(const uint8_t *buf, size_t len, struct tp_telemetry *out)
{
	enum proto_err e = check_header(buf, len, TP_FRAME_TELEMETRY, TP_TELEMETRY_LEN);
	if (e)
		return e;
	if (!all_zero(buf, 30, TP_TELEMETRY_LEN))
		return PROTO_ERR_RESERVED;
	out->seq = get_u16(buf, 4);
	out->last_cmd_seq = get_u16(buf, 6);
	out->device_time_ms = get_u32(buf, 8);
	out->plate_a_cc = get_i16(buf, 12);
	out->plate_b_cc = get_i16(buf, 14);
	out->sink_cc = get_i16(buf, 16);
	out->current_ma = get_i16(buf, 18);
	out->voltage_mv = get_i16(buf, 20);
	out->drive_applied = get_i16(buf, 22);
	out->faults = get_u32(buf, 24);
	out->state = buf[28];
	out->flags = buf[29];
	return telemetry_ok(out) ? PROTO_OK : PROTO_ERR_RANGE;
}

/* ---- names ------------------------------------------------------------- */

const char *proto_strerror(enum proto_err err)
{
	switch (err) {
	case PROTO_OK: return "ok";
	case PROTO_ERR_SHORT: return "frame too short";
	case PROTO_ERR_LONG: return "frame too long";
	case PROTO_ERR_VERSION: return "unknown protocol version";
	case PROTO_ERR_TYPE: return "unexpected frame type";
	case PROTO_ERR_LENGTH: return "length field does not match the frame type";
	case PROTO_ERR_RESERVED: return "reserved byte not zero";
	case PROTO_ERR_RANGE: return "field out of range";
	case PROTO_ERR_BUFFER: return "buffer too small";
	}
	return "unknown error";
}

const char *proto_state_name(uint8_t state)
{
	switch (state) {
	case TP_STATE_IDLE: return "idle";
	case TP_STATE_RUN: return "run";
	case TP_STATE_REST: return "rest";
	case TP_STATE_FAULT: return "fault";
	}
	return "unknown";
}
