/* SPDX-License-Identifier: MIT */
/*
 * Reference firmware core: the normative duties of PROTOCOL.md. Whatever the
 * host sends, the drive reaching the module is decided here last: faults
 * latch and zero it, the watchdog zeroes it when the host falls silent, and
 * a polarity change always passes through a rest at zero.
 */
#include "fw_core.h"

#include <string.h>

/* Heating stops this close to the plate maximum (and cooling this close to
 * the minimum), so that a host overshooting never reaches the hard trip. */
#define FW_LIMIT_MARGIN_CC 100
/* Cooling is inhibited this close to the heat-sink maximum: a hot sink is
 * how a cooler turns into a heater. */
#define FW_SINK_MARGIN_CC 500

void fw_config_reference(struct fw_config *cfg, const char *serial)
{
	memset(cfg, 0, sizeof *cfg);
	strncpy(cfg->serial, serial, TP_SERIAL_LEN);
	cfg->fw_major = 1;
	cfg->fw_minor = 0;
	cfg->fw_patch = 0;
	cfg->capabilities = TP_CAP_HEAT | TP_CAP_COOL | TP_CAP_CURRENT_SENSE | TP_CAP_VOLTAGE_SENSE |
			    TP_CAP_THERMAL_FUSE;
	cfg->hard_limits = (struct tp_limits){
		.plate_max_cc = 4500, .plate_min_cc = 500, .sink_max_cc = 7000, .current_max_ma = 6000};
	cfg->watchdog_default_ms = 1000;
	cfg->watchdog_min_ms = 100;
	cfg->watchdog_max_ms = 5000;
	cfg->polarity_rest_ms = 2000;
	cfg->telemetry_period_ms = 100;
	cfg->supply_mv = 12000;
	cfg->supply_min_mv = 10000;
	cfg->supply_max_mv = 14000;
	cfg->overcurrent_ms = 50;
}

void fw_init(struct fw *fw, const struct fw_config *cfg, uint32_t now_ms)
{
	memset(fw, 0, sizeof *fw);
	fw->cfg = *cfg;
	fw->limits = cfg->hard_limits;
	fw->watchdog_ms = cfg->watchdog_default_ms;
	fw->now_ms = now_ms;
	fw->state = TP_STATE_IDLE;
	fw->next_report_ms = now_ms + cfg->telemetry_period_ms;
	for (int i = 0; i < FW_SENSOR_COUNT; i++)
		fw->temp_cc[i] = TP_TEMP_INVALID;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static bool elapsed(uint32_t now, uint32_t since, uint32_t span)
{
	return (uint32_t)(now - since) >= span; /* wrap-safe */
}

/* Convert the sensors and latch every fault whose condition holds now. */
static void check_faults(struct fw *fw, const struct fw_inputs *in)
{
	static const uint32_t open_bit[FW_SENSOR_COUNT] = {
		TP_FAULT_SENSOR_A_OPEN, TP_FAULT_SENSOR_B_OPEN, TP_FAULT_SINK_SENSOR_OPEN};
	static const uint32_t short_bit[FW_SENSOR_COUNT] = {
		TP_FAULT_SENSOR_A_SHORT, TP_FAULT_SENSOR_B_SHORT, TP_FAULT_SINK_SENSOR_SHORT};

	for (int i = 0; i < FW_SENSOR_COUNT; i++) {
		uint16_t code = in->adc[i];
		if (code > FW_ADC_OPEN_ABOVE)
			fw->faults |= open_bit[i];
		else if (code < FW_ADC_SHORT_BELOW)
			fw->faults |= short_bit[i];
		fw->temp_cc[i] = fw_ntc_code_to_cc(code);
	}
	for (int i = FW_SENSOR_PLATE_A; i <= FW_SENSOR_PLATE_B; i++) {
		int16_t t = fw->temp_cc[i];
		if (t == TP_TEMP_INVALID)
			continue;
		if (t > fw->limits.plate_max_cc)
			fw->faults |= TP_FAULT_PLATE_OVER;
		if (t < fw->limits.plate_min_cc)
			fw->faults |= TP_FAULT_PLATE_UNDER;
	}
	int16_t sink = fw->temp_cc[FW_SENSOR_SINK];
	if (sink != TP_TEMP_INVALID && sink > fw->limits.sink_max_cc)
		fw->faults |= TP_FAULT_SINK_OVER;
	if (in->supply_mv < fw->cfg.supply_min_mv || in->supply_mv > fw->cfg.supply_max_mv)
		fw->faults |= TP_FAULT_SUPPLY;
	if (in->fuse_open)
		fw->faults |= TP_FAULT_FUSE;

	int32_t amps = in->current_ma < 0 ? -(int32_t)in->current_ma : in->current_ma;
	if (amps > fw->limits.current_max_ma) {
		if (!fw->overcurrent_timing) {
			fw->overcurrent_timing = true;
			fw->overcurrent_since_ms = fw->now_ms;
		} else if (elapsed(fw->now_ms, fw->overcurrent_since_ms, fw->cfg.overcurrent_ms)) {
			fw->faults |= TP_FAULT_OVERCURRENT;
		}
	} else {
		fw->overcurrent_timing = false;
	}
	if (fw->heartbeat_seen && elapsed(fw->now_ms, fw->last_heartbeat_ms, fw->watchdog_ms))
		fw->faults |= TP_FAULT_WATCHDOG;
}

/* Heating near the plate maximum, cooling near the minimum or with a hot
 * heat sink: the firmware withholds the drive before a hard trip. */
static int16_t limit_drive(struct fw *fw, int16_t drive)
{
	int16_t a = fw->temp_cc[FW_SENSOR_PLATE_A], b = fw->temp_cc[FW_SENSOR_PLATE_B];
	int16_t sink = fw->temp_cc[FW_SENSOR_SINK];
	int16_t hot = a > b ? a : b, cold = a < b ? a : b;
	if (a == TP_TEMP_INVALID || b == TP_TEMP_INVALID)
		return 0;
	if (drive > 0 && hot >= fw->limits.plate_max_cc - FW_LIMIT_MARGIN_CC)
		drive = 0;
	if (drive < 0 && (cold <= fw->limits.plate_min_cc + FW_LIMIT_MARGIN_CC ||
			  (sink != TP_TEMP_INVALID && sink >= fw->limits.sink_max_cc - FW_SINK_MARGIN_CC)))
		drive = 0;
	return drive;
}

static void schedule_reports(struct fw *fw)
{
	/* A due report overwrites one the host has not taken: seq moves on. */
	while ((int32_t)(fw->now_ms - fw->next_report_ms) >= 0) {
		fw->report_seq++;
		fw->report_ready = true;
		fw->next_report_ms += fw->cfg.telemetry_period_ms;
	}
}

void fw_tick(struct fw *fw, uint32_t now_ms, const struct fw_inputs *in, struct fw_outputs *out)
{
	fw->now_ms = now_ms;
	fw->last_in = *in;
	check_faults(fw, in);

	int16_t applied = 0;
	fw->flags = 0;
	if (fw->faults) {
		fw->state = TP_STATE_FAULT;
		fw->requested = 0;
	} else if (!fw->heartbeat_seen) {
		fw->state = TP_STATE_IDLE;
	} else {
		fw->flags |= TP_FLAG_WATCHDOG_ARMED;
		int16_t want = limit_drive(fw, fw->requested);
		if (want != fw->requested)
			fw->flags |= TP_FLAG_LIMITING;
		int s = sign(want);
		bool reversing = s != 0 && fw->last_polarity != 0 && s != fw->last_polarity;
		if (reversing && (int32_t)(now_ms - fw->rest_until_ms) < 0) {
			fw->resting = true;
			fw->state = TP_STATE_REST;
			fw->flags |= TP_FLAG_POLARITY_REST;
		} else {
			fw->resting = false;
			fw->state = TP_STATE_RUN;
			applied = want;
		}
	}
	if (applied != 0) {
		fw->last_polarity = (int8_t)sign(applied);
		/* the rest counts from the last moment current flowed */
		fw->rest_until_ms = now_ms + fw->cfg.polarity_rest_ms;
	}
	fw->applied = applied;
	out->drive = applied;
	out->load_switch_closed = true;
	schedule_reports(fw);
}

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
}

int fw_control_in(struct fw *fw, uint8_t request, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	if (request == TP_REQ_GET_INFO) {
		struct tp_info info;
		fill_info(fw, &info);
		n = proto_encode_info(&info, buf, cap);
	} else if (request == TP_REQ_GET_STATUS) {
		struct tp_status st = {
			.state = fw->state,
			.flags = fw->flags,
			.watchdog_ms = fw->watchdog_ms,
			.faults = fw->faults,
			.limits = fw->limits,
			.last_cmd_seq = fw->last_cmd_seq,
			.drive_applied = fw->applied,
			.uptime_ms = fw->now_ms,
			.last_request_error = fw->last_request_error,
		};
		n = proto_encode_status(&st, buf, cap);
	} else {
		return refuse(fw, TP_REQERR_UNKNOWN);
	}
	/* GET_STATUS reports the previous refusal; reading it does not clear it */
	return n ? (int)n : refuse(fw, TP_REQERR_MALFORMED);
}

static bool narrows(const struct tp_limits *want, const struct tp_limits *hard)
{
	return want->plate_max_cc <= hard->plate_max_cc && want->plate_min_cc >= hard->plate_min_cc &&
	       want->sink_max_cc <= hard->sink_max_cc && want->current_max_ma <= hard->current_max_ma;
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
		fw->last_cmd_seq = cmd.seq;
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
		if (!narrows(&cmd.limits, &fw->cfg.hard_limits))
			return refuse(fw, TP_REQERR_WIDEN);
		fw->limits = cmd.limits;
		return accept(fw, 0);
	}
	case TP_REQ_CLEAR_FAULTS: {
		struct tp_clear_faults cmd;
		if (proto_decode_clear_faults(data, len, &cmd) != PROTO_OK)
			return refuse(fw, TP_REQERR_MALFORMED);
		/* a condition still present latches again at the next tick */
		fw->faults &= ~cmd.mask;
		if (!fw->faults) {
			/* start over from IDLE: the host must heartbeat again */
			fw->heartbeat_seen = false;
			fw->requested = 0;
			fw->overcurrent_timing = false;
		}
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
	struct tp_telemetry t = {
		.seq = fw->report_seq,
		.last_cmd_seq = fw->last_cmd_seq,
		.device_time_ms = fw->next_report_ms - fw->cfg.telemetry_period_ms,
		.plate_a_cc = fw->temp_cc[FW_SENSOR_PLATE_A],
		.plate_b_cc = fw->temp_cc[FW_SENSOR_PLATE_B],
		.sink_cc = fw->temp_cc[FW_SENSOR_SINK],
		.current_ma = fw->last_in.current_ma,
		.voltage_mv = fw->last_in.voltage_mv,
		.drive_applied = fw->applied,
		.faults = fw->faults,
		.state = fw->state,
		.flags = fw->flags,
	};
	size_t n = proto_encode_telemetry(&t, buf, cap);
	if (n)
		fw->report_ready = false;
	return n;
}
