/* SPDX-License-Identifier: MIT */
/* The firmware core's duties: whatever the host sends, these must hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fw_core.h"

struct bench {
	struct fw fw;
	struct fw_inputs in;
	uint32_t now;
	int16_t drive;
};

static void set_temps(struct bench *b, double a, double pb, double sink)
{
	b->in.adc[0] = fw_ntc_cc_to_code((int32_t)(a * 100));
	b->in.adc[1] = fw_ntc_cc_to_code((int32_t)(pb * 100));
	b->in.adc[2] = fw_ntc_cc_to_code((int32_t)(sink * 100));
}

static void start(struct bench *b)
{
	memset(b, 0, sizeof *b);
	struct fw_config cfg;
	fw_config_reference(&cfg, "TEST-1");
	fw_init(&b->fw, &cfg, 0);
	set_temps(b, 32, 32, 22);
	b->in.supply_mv = 12000;
}

static void run(struct bench *b, uint32_t ms)
{
	for (uint32_t t = 0; t < ms; t += 10) {
		b->now += 10;
		struct fw_outputs out;
		fw_tick(&b->fw, b->now, &b->in, &out);
		b->drive = out.drive;
	}
}

static int set_output(struct bench *b, int16_t drive)
{
	static uint16_t seq;
	struct tp_set_output cmd = {.seq = ++seq, .drive = drive};
	uint8_t buf[TP_SET_OUTPUT_LEN];
	proto_encode_set_output(&cmd, buf, sizeof buf);
	return fw_control_out(&b->fw, TP_REQ_SET_OUTPUT, buf, sizeof buf);
}

/* Keep heartbeating at 10 Hz for ms. */
static void drive_for(struct bench *b, int16_t drive, uint32_t ms)
{
	for (uint32_t t = 0; t < ms; t += 100) {
		set_output(b, drive);
		run(b, 100);
	}
}

static void idle_until_heartbeat(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	run(&b, 5000);
	/* no heartbeat yet: no watchdog to miss, no drive */
	assert_int_equal(b.fw.state, TP_STATE_IDLE);
	assert_int_equal(b.fw.faults, 0);
	assert_int_equal(b.drive, 0);
	drive_for(&b, 5000, 300);
	assert_int_equal(b.fw.state, TP_STATE_RUN);
	assert_int_equal(b.drive, 5000);
}

static void watchdog_fires_at_timeout(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	drive_for(&b, 8000, 500);
	run(&b, 880); /* 980 ms since the last heartbeat: still alive */
	assert_int_equal(b.drive, 8000);
	assert_int_equal(b.fw.faults, 0);
	run(&b, 30); /* 1010 ms: the 1000 ms watchdog has fired */
	assert_int_equal(b.drive, 0);
	assert_true(b.fw.faults & TP_FAULT_WATCHDOG);
	assert_int_equal(b.fw.state, TP_STATE_FAULT);
	/* latched: heartbeats with drive are refused until cleared */
	assert_int_equal(set_output(&b, 8000), -1);
	assert_int_equal(b.fw.last_request_error, TP_REQERR_FAULTED);
	assert_int_equal(set_output(&b, 0), 0);
	run(&b, 100);
	assert_true(b.fw.faults & TP_FAULT_WATCHDOG);
}

static void watchdog_setting(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	uint8_t buf[TP_SET_WATCHDOG_LEN];
	struct tp_set_watchdog w = {.timeout_ms = 50}; /* below the minimum */
	proto_encode_set_watchdog(&w, buf, sizeof buf);
	assert_int_equal(fw_control_out(&b.fw, TP_REQ_SET_WATCHDOG, buf, sizeof buf), -1);
	assert_int_equal(b.fw.last_request_error, TP_REQERR_RANGE);
	w.timeout_ms = 300;
	proto_encode_set_watchdog(&w, buf, sizeof buf);
	assert_int_equal(fw_control_out(&b.fw, TP_REQ_SET_WATCHDOG, buf, sizeof buf), 0);
	drive_for(&b, 1000, 200);
	run(&b, 310);
	assert_true(b.fw.faults & TP_FAULT_WATCHDOG);
}

static void hard_limit_beats_host(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	drive_for(&b, 10000, 300);
	assert_int_equal(b.drive, 10000);
	set_temps(&b, 45.2, 44.9, 30); /* sensor A past the 45.00 C hard maximum */
	drive_for(&b, 10000, 100);
	assert_int_equal(b.drive, 0);
	assert_true(b.fw.faults & TP_FAULT_PLATE_OVER);
	/* clearing while still hot re-latches at the next tick */
	struct tp_clear_faults c = {.mask = 0xffffffffu};
	uint8_t buf[TP_CLEAR_FAULTS_LEN];
	proto_encode_clear_faults(&c, buf, sizeof buf);
	assert_int_equal(fw_control_out(&b.fw, TP_REQ_CLEAR_FAULTS, buf, sizeof buf), 0);
	run(&b, 10);
	assert_true(b.fw.faults & TP_FAULT_PLATE_OVER);
	/* cooled down: the clear holds, and the pad waits for a heartbeat */
	set_temps(&b, 38, 38, 30);
	assert_int_equal(fw_control_out(&b.fw, TP_REQ_CLEAR_FAULTS, buf, sizeof buf), 0);
	run(&b, 100);
	assert_int_equal(b.fw.faults, 0);
	assert_int_equal(b.fw.state, TP_STATE_IDLE);
	assert_int_equal(b.drive, 0);
}

static void cold_and_sink_limits(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	set_temps(&b, 4.5, 9, 22);
	drive_for(&b, -10000, 100);
	assert_true(b.fw.faults & TP_FAULT_PLATE_UNDER);
	assert_int_equal(b.drive, 0);
	start(&b);
	set_temps(&b, 20, 20, 71);
	drive_for(&b, -10000, 100);
	assert_true(b.fw.faults & TP_FAULT_SINK_OVER);
	assert_int_equal(b.drive, 0);
}

static void limit_margin_withholds_drive(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	set_temps(&b, 44.2, 44.1, 30); /* within 1 C of the maximum */
	drive_for(&b, 10000, 200);
	assert_int_equal(b.drive, 0);
	assert_true(b.fw.flags & TP_FLAG_LIMITING);
	assert_int_equal(b.fw.faults, 0);
	drive_for(&b, -3000, 200); /* cooling is still allowed (after the rest) */
	drive_for(&b, -3000, 2500);
	assert_int_equal(b.drive, -3000);
	set_temps(&b, 20, 20, 66); /* hot heat sink: no more cooling */
	drive_for(&b, -3000, 200);
	assert_int_equal(b.drive, 0);
}

static void set_limits_only_narrow(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	uint8_t buf[TP_SET_LIMITS_LEN];
	struct tp_set_limits l = {{4600, 500, 7000, 6000}}; /* 46 C: wider */
	proto_encode_set_limits(&l, buf, sizeof buf);
	assert_int_equal(fw_control_out(&b.fw, TP_REQ_SET_LIMITS, buf, sizeof buf), -1);
	assert_int_equal(b.fw.last_request_error, TP_REQERR_WIDEN);
	assert_int_equal(b.fw.limits.plate_max_cc, 4500);
	l.limits = (struct tp_limits){4200, 1000, 6000, 5000};
	proto_encode_set_limits(&l, buf, sizeof buf);
	assert_int_equal(fw_control_out(&b.fw, TP_REQ_SET_LIMITS, buf, sizeof buf), 0);
	set_temps(&b, 42.5, 42.4, 30); /* above the narrowed maximum */
	drive_for(&b, 0, 100);
	assert_true(b.fw.faults & TP_FAULT_PLATE_OVER);
	/* GET_STATUS reports the limits in force */
	uint8_t st[TP_STATUS_LEN];
	struct tp_status s;
	assert_int_equal(fw_control_in(&b.fw, TP_REQ_GET_STATUS, st, sizeof st), TP_STATUS_LEN);
	assert_int_equal(proto_decode_status(st, sizeof st, &s), PROTO_OK);
	assert_int_equal(s.limits.plate_max_cc, 4200);
	assert_int_equal(s.state, TP_STATE_FAULT);
}

static void polarity_rest(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	drive_for(&b, 6000, 500);
	assert_int_equal(b.drive, 6000);
	drive_for(&b, -6000, 1900);
	assert_int_equal(b.drive, 0); /* resting */
	assert_int_equal(b.fw.state, TP_STATE_REST);
	assert_true(b.fw.flags & TP_FLAG_POLARITY_REST);
	drive_for(&b, -6000, 200);
	assert_int_equal(b.drive, -6000);
	assert_int_equal(b.fw.state, TP_STATE_RUN);
	/* the rest counts from the last current: zero for 2 s, then reverse at once */
	drive_for(&b, 0, 2100);
	drive_for(&b, 6000, 100);
	assert_int_equal(b.drive, 6000);
}

static void sensor_faults(void **state)
{
	(void)state;
	static const struct {
		int sensor;
		uint16_t code;
		uint32_t fault;
	} cases[] = {
		{0, FW_ADC_MAX, TP_FAULT_SENSOR_A_OPEN},   {0, 0, TP_FAULT_SENSOR_A_SHORT},
		{1, FW_ADC_MAX, TP_FAULT_SENSOR_B_OPEN},   {1, 10, TP_FAULT_SENSOR_B_SHORT},
		{2, FW_ADC_MAX, TP_FAULT_SINK_SENSOR_OPEN}, {2, 0, TP_FAULT_SINK_SENSOR_SHORT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bench b;
		start(&b);
		drive_for(&b, 4000, 200);
		b.in.adc[cases[i].sensor] = cases[i].code;
		drive_for(&b, 4000, 100);
		assert_true(b.fw.faults & cases[i].fault);
		assert_int_equal(b.drive, 0);
		assert_int_equal(b.fw.temp_cc[cases[i].sensor], TP_TEMP_INVALID);
	}
}

static void overcurrent_supply_fuse(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	drive_for(&b, 10000, 200);
	b.in.current_ma = 6500;
	run(&b, 30); /* a short spike is tolerated */
	b.in.current_ma = 5000;
	run(&b, 30);
	assert_int_equal(b.fw.faults, 0);
	b.in.current_ma = -6500;
	drive_for(&b, 10000, 100);
	assert_true(b.fw.faults & TP_FAULT_OVERCURRENT);
	start(&b);
	b.in.supply_mv = 8000;
	run(&b, 10);
	assert_true(b.fw.faults & TP_FAULT_SUPPLY);
	start(&b);
	b.in.fuse_open = true;
	run(&b, 10);
	assert_true(b.fw.faults & TP_FAULT_FUSE);
}

static void reports_every_period(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	uint8_t buf[TP_TELEMETRY_LEN];
	struct tp_telemetry t;
	uint16_t last = 0;
	for (int i = 0; i < 20; i++) {
		run(&b, 100);
		assert_int_equal(fw_take_report(&b.fw, buf, sizeof buf), TP_TELEMETRY_LEN);
		assert_int_equal(fw_take_report(&b.fw, buf, sizeof buf), 0); /* one per period */
		assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &t), PROTO_OK);
		if (i)
			assert_int_equal(proto_seq_gap(last, t.seq), 0);
		last = t.seq;
		assert_int_equal(t.device_time_ms, (uint32_t)(i + 1) * 100);
		assert_true(t.plate_a_cc > 3190 && t.plate_a_cc < 3210);
	}
	run(&b, 300); /* three periods, not taken: overwritten */
	assert_int_equal(fw_take_report(&b.fw, buf, sizeof buf), TP_TELEMETRY_LEN);
	proto_decode_telemetry(buf, sizeof buf, &t);
	assert_int_equal(proto_seq_gap(last, t.seq), 2);
}

static void info_and_unknown_requests(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	uint8_t buf[TP_INFO_LEN];
	struct tp_info info;
	assert_int_equal(fw_control_in(&b.fw, TP_REQ_GET_INFO, buf, sizeof buf), TP_INFO_LEN);
	assert_int_equal(proto_decode_info(buf, sizeof buf, &info), PROTO_OK);
	assert_string_equal(info.serial, "TEST-1");
	assert_int_equal(info.watchdog_default_ms, 1000);
	assert_true(info.capabilities & TP_CAP_THERMAL_FUSE);
	assert_int_equal(fw_control_in(&b.fw, 0x77, buf, sizeof buf), -1);
	assert_int_equal(b.fw.last_request_error, TP_REQERR_UNKNOWN);
	uint8_t junk[5] = {1, 2, 3, 4, 5};
	assert_int_equal(fw_control_out(&b.fw, TP_REQ_SET_OUTPUT, junk, sizeof junk), -1);
	assert_int_equal(b.fw.last_request_error, TP_REQERR_MALFORMED);
}

static void ntc_round_trip(void **state)
{
	(void)state;
	for (int cc = -2000; cc <= 12000; cc += 37) {
		int16_t back = fw_ntc_code_to_cc(fw_ntc_cc_to_code(cc));
		assert_true(back >= cc - 2 && back <= cc + 2);
	}
	assert_int_equal(fw_ntc_code_to_cc(FW_ADC_MAX), TP_TEMP_INVALID);
	assert_int_equal(fw_ntc_code_to_cc(0), TP_TEMP_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idle_until_heartbeat),    cmocka_unit_test(watchdog_fires_at_timeout),
		cmocka_unit_test(watchdog_setting),        cmocka_unit_test(hard_limit_beats_host),
		cmocka_unit_test(cold_and_sink_limits),    cmocka_unit_test(limit_margin_withholds_drive),
		cmocka_unit_test(set_limits_only_narrow),  cmocka_unit_test(polarity_rest),
		cmocka_unit_test(sensor_faults),           cmocka_unit_test(overcurrent_supply_fuse),
		cmocka_unit_test(reports_every_period),    cmocka_unit_test(info_and_unknown_requests),
		cmocka_unit_test(ntc_round_trip),
	};
	return cmocka_run_group_tests_name("firmware", tests, NULL, NULL);
}
