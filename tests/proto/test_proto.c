/* SPDX-License-Identifier: MIT */
/* The codec: round trips, and every malformed frame refused for its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "thermopad_proto.h"
#include "usb_descriptors.h"

static struct tp_telemetry sample_telemetry(void)
{
	return (struct tp_telemetry){.seq = 65535, .last_cmd_seq = 7, .device_time_ms = 4000000000u,
				     .plate_a_cc = 4012, .plate_b_cc = TP_TEMP_INVALID, .sink_cc = -1234,
				     .current_ma = -6000, .voltage_mv = 11999, .drive_applied = -10000,
				     .faults = TP_FAULT_SENSOR_B_OPEN | (1u << 31), .state = TP_STATE_FAULT,
				     .flags = TP_FLAG_LIMITING};
}

static struct tp_info sample_info(void)
{
	struct tp_info i = {.fw_major = 1, .fw_minor = 2, .fw_patch = 300, .capabilities = TP_CAP_SIMULATED | TP_CAP_HEAT,
			    .sensor_count = 3, .hard_limits = {4500, 500, 7000, 6000}, .watchdog_default_ms = 1000,
			    .watchdog_min_ms = 100, .watchdog_max_ms = 5000, .polarity_rest_ms = 2000,
			    .telemetry_period_ms = 100, .supply_mv = 12000, .dose_max_cmin = 500,
			    .cold_below_cc = 1500, .cold_max_s = 1500, .sensor_lag_max_ms = 3500,
			    .clear_holdoff_ms = 2000, .clear_interval_ms = 1000};
	strcpy(i.serial, "TP-SIM-0001");
	return i;
}

static void telemetry_round_trip(void **state)
{
	(void)state;
	struct tp_telemetry in = sample_telemetry(), out;
	uint8_t buf[TP_TELEMETRY_LEN];
	assert_int_equal(proto_encode_telemetry(&in, buf, sizeof buf), TP_TELEMETRY_LEN);
	/* the layout is the documented one, byte for byte */
	assert_int_equal(buf[0], TP_PROTO_VERSION);
	assert_int_equal(buf[1], TP_FRAME_TELEMETRY);
	assert_int_equal(buf[2] | buf[3] << 8, TP_TELEMETRY_LEN);
	assert_int_equal(buf[4] | buf[5] << 8, 65535);
	assert_int_equal(buf[12] | buf[13] << 8, 4012);
	assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &out), PROTO_OK);
	assert_int_equal(out.seq, in.seq);
	assert_int_equal(out.last_cmd_seq, in.last_cmd_seq);
	assert_int_equal(out.device_time_ms, in.device_time_ms);
	assert_int_equal(out.plate_a_cc, in.plate_a_cc);
	assert_int_equal(out.plate_b_cc, in.plate_b_cc);
	assert_int_equal(out.sink_cc, in.sink_cc);
	assert_int_equal(out.current_ma, in.current_ma);
	assert_int_equal(out.voltage_mv, in.voltage_mv);
	assert_int_equal(out.drive_applied, in.drive_applied);
	assert_int_equal(out.faults, in.faults);
	assert_int_equal(out.state, in.state);
	assert_int_equal(out.flags, in.flags);
	/* unknown fault bits pass: the host treats them as faults */
	assert_true(out.faults & (1u << 31));
}

static void info_round_trip(void **state)
{
	(void)state;
	struct tp_info in = sample_info(), out;
	uint8_t buf[TP_INFO_LEN];
	assert_int_equal(proto_encode_info(&in, buf, sizeof buf), TP_INFO_LEN);
	assert_int_equal(proto_decode_info(buf, sizeof buf, &out), PROTO_OK);
	assert_string_equal(out.serial, "TP-SIM-0001");
	assert_int_equal(out.hard_limits.plate_max_cc, 4500);
	assert_int_equal(out.fw_patch, 300);
	assert_int_equal(out.dose_max_cmin, 500);
	assert_int_equal(out.cold_below_cc, 1500);
	assert_int_equal(out.cold_max_s, 1500);
	assert_int_equal(out.sensor_lag_max_ms, 3500);
	assert_int_equal(out.clear_holdoff_ms, 2000);
	assert_int_equal(out.clear_interval_ms, 1000);
	/* a 16-character serial fills the field exactly */
	strcpy(in.serial, "ABCDEFGHIJKLMNOP");
	assert_int_equal(proto_encode_info(&in, buf, sizeof buf), TP_INFO_LEN);
	assert_int_equal(proto_decode_info(buf, sizeof buf, &out), PROTO_OK);
	assert_string_equal(out.serial, "ABCDEFGHIJKLMNOP");
}

static void commands_round_trip(void **state)
{
	(void)state;
	uint8_t buf[TP_FRAME_MAX_LEN];
	struct tp_set_output o = {.seq = 9, .drive = -10000}, o2;
	assert_int_equal(proto_encode_set_output(&o, buf, sizeof buf), TP_SET_OUTPUT_LEN);
	assert_int_equal(proto_decode_set_output(buf, TP_SET_OUTPUT_LEN, &o2), PROTO_OK);
	assert_int_equal(o2.drive, -10000);
	struct tp_set_watchdog w = {.timeout_ms = 250}, w2;
	assert_int_equal(proto_encode_set_watchdog(&w, buf, sizeof buf), TP_SET_WATCHDOG_LEN);
	assert_int_equal(proto_decode_set_watchdog(buf, TP_SET_WATCHDOG_LEN, &w2), PROTO_OK);
	assert_int_equal(w2.timeout_ms, 250);
	struct tp_set_limits l = {{4200, 1000, 6000, 4000}}, l2;
	assert_int_equal(proto_encode_set_limits(&l, buf, sizeof buf), TP_SET_LIMITS_LEN);
	assert_int_equal(proto_decode_set_limits(buf, TP_SET_LIMITS_LEN, &l2), PROTO_OK);
	assert_int_equal(l2.limits.plate_max_cc, 4200);
	assert_int_equal(l2.limits.plate_min_cc, 1000);
	assert_int_equal(l2.limits.sink_max_cc, 6000);
	assert_int_equal(l2.limits.current_max_ma, 4000);
	struct tp_clear_faults c = {.mask = 0xffffffffu}, c2;
	assert_int_equal(proto_encode_clear_faults(&c, buf, sizeof buf), TP_CLEAR_FAULTS_LEN);
	assert_int_equal(proto_decode_clear_faults(buf, TP_CLEAR_FAULTS_LEN, &c2), PROTO_OK);
	assert_int_equal(c2.mask, 0xffffffffu);
	struct tp_status s = {.state = TP_STATE_REST, .flags = 3, .watchdog_ms = 1000, .faults = 5,
			      .limits = {4500, 500, 7000, 6000}, .last_cmd_seq = 4, .drive_applied = 123,
			      .uptime_ms = 99, .last_request_error = TP_REQERR_RATE, .dose_cmin = 321,
			      .cold_s = 654, .faults_held = 4}, s2;
	assert_int_equal(proto_encode_status(&s, buf, sizeof buf), TP_STATUS_LEN);
	assert_int_equal(proto_decode_status(buf, TP_STATUS_LEN, &s2), PROTO_OK);
	assert_int_equal(s2.state, s.state);
	assert_int_equal(s2.flags, s.flags);
	assert_int_equal(s2.faults, s.faults);
	assert_int_equal(s2.limits.sink_max_cc, 7000);
	assert_int_equal(s2.drive_applied, 123);
	assert_int_equal(s2.uptime_ms, 99);
	assert_int_equal(s2.last_request_error, TP_REQERR_RATE);
	assert_int_equal(s2.dose_cmin, 321);
	assert_int_equal(s2.cold_s, 654);
	assert_int_equal(s2.faults_held, 4);
	/* a held bit is a latched one */
	s.faults_held = 8;
	assert_int_equal(proto_encode_status(&s, buf, sizeof buf), 0);
	/* version 1, the layout before the firmware's own bounds, is refused */
	s.faults_held = 4;
	proto_encode_status(&s, buf, sizeof buf);
	buf[0] = 1;
	assert_int_equal(proto_decode_status(buf, TP_STATUS_LEN, &s2), PROTO_ERR_VERSION);
}

/* Every truncation of a valid frame is refused, as SHORT. */
static void truncated_frames(void **state)
{
	(void)state;
	struct tp_telemetry t = sample_telemetry(), out;
	uint8_t buf[TP_TELEMETRY_LEN + 8];
	proto_encode_telemetry(&t, buf, sizeof buf);
	for (size_t len = 0; len < TP_TELEMETRY_LEN; len++)
		assert_int_equal(proto_decode_telemetry(buf, len, &out), PROTO_ERR_SHORT);
	assert_int_equal(proto_decode_telemetry(NULL, 0, &out), PROTO_ERR_SHORT);
	buf[TP_TELEMETRY_LEN] = 0;
	assert_int_equal(proto_decode_telemetry(buf, TP_TELEMETRY_LEN + 1, &out), PROTO_ERR_LONG);
}

static void header_checks(void **state)
{
	(void)state;
	struct tp_telemetry t = sample_telemetry(), out;
	uint8_t buf[TP_TELEMETRY_LEN];
	proto_encode_telemetry(&t, buf, sizeof buf);
	buf[0] = TP_PROTO_VERSION + 1;
	assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &out), PROTO_ERR_VERSION);
	buf[0] = 1; /* the version before */
	assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &out), PROTO_ERR_VERSION);
	buf[0] = TP_PROTO_VERSION;
	buf[1] = TP_FRAME_STATUS;
	assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &out), PROTO_ERR_TYPE);
	buf[1] = TP_FRAME_TELEMETRY;
	buf[2] = TP_TELEMETRY_LEN + 1;
	assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &out), PROTO_ERR_LENGTH);
	buf[2] = TP_TELEMETRY_LEN;
	for (size_t i = 30; i < TP_TELEMETRY_LEN; i++) {
		buf[i] = 1;
		assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &out), PROTO_ERR_RESERVED);
		buf[i] = 0;
	}
	assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &out), PROTO_OK);
}

static void range_checks(void **state)
{
	(void)state;
	uint8_t buf[TP_FRAME_MAX_LEN];
	struct tp_telemetry t = sample_telemetry(), out;
	t.plate_a_cc = TP_TEMP_MAX_CC + 1;
	assert_int_equal(proto_encode_telemetry(&t, buf, sizeof buf), 0); /* never produced */
	t = sample_telemetry();
	proto_encode_telemetry(&t, buf, sizeof buf);
	buf[12] = 0xa0; /* plate A: 0x0fa0 -> 0x0fa0 ok; make it 40000 cC */
	buf[13] = 0x9c;
	assert_int_equal(proto_decode_telemetry(buf, TP_TELEMETRY_LEN, &out), PROTO_ERR_RANGE);
	proto_encode_telemetry(&t, buf, sizeof buf);
	buf[28] = TP_STATE_MAX + 1;
	assert_int_equal(proto_decode_telemetry(buf, TP_TELEMETRY_LEN, &out), PROTO_ERR_RANGE);

	struct tp_set_output o = {.seq = 1, .drive = 10001};
	assert_int_equal(proto_encode_set_output(&o, buf, sizeof buf), 0);
	o.drive = 10000;
	proto_encode_set_output(&o, buf, sizeof buf);
	buf[6] = 0x12; /* 10002 */
	buf[7] = 0x27;
	struct tp_set_output o2;
	assert_int_equal(proto_decode_set_output(buf, TP_SET_OUTPUT_LEN, &o2), PROTO_ERR_RANGE);

	struct tp_set_limits l = {{1000, 4000, 7000, 6000}}; /* min above max */
	assert_int_equal(proto_encode_set_limits(&l, buf, sizeof buf), 0);
	struct tp_set_watchdog w = {0};
	assert_int_equal(proto_encode_set_watchdog(&w, buf, sizeof buf), 0);

	struct tp_info info = sample_info(), i2;
	proto_encode_info(&info, buf, sizeof buf);
	buf[16] = ' '; /* serial must be printable without spaces */
	assert_int_equal(proto_decode_info(buf, TP_INFO_LEN, &i2), PROTO_ERR_RANGE);
	proto_encode_info(&info, buf, sizeof buf);
	buf[16 + 12] = 'X'; /* text after the terminating NUL */
	assert_int_equal(proto_decode_info(buf, TP_INFO_LEN, &i2), PROTO_ERR_RANGE);
	proto_encode_info(&info, buf, sizeof buf);
	buf[13] = 1;
	assert_int_equal(proto_decode_info(buf, TP_INFO_LEN, &i2), PROTO_ERR_RESERVED);
	info.watchdog_min_ms = 2000; /* min above default */
	assert_int_equal(proto_encode_info(&info, buf, sizeof buf), 0);
}

static void small_buffers(void **state)
{
	(void)state;
	uint8_t buf[TP_FRAME_MAX_LEN];
	struct tp_telemetry t = sample_telemetry();
	assert_int_equal(proto_encode_telemetry(&t, buf, TP_TELEMETRY_LEN - 1), 0);
	struct tp_info i = sample_info();
	assert_int_equal(proto_encode_info(&i, buf, TP_INFO_LEN - 1), 0);
}

static void names(void **state)
{
	(void)state;
	char buf[128];
	assert_string_equal(proto_fault_name(TP_FAULT_PLATE_OVER), "plate-over");
	assert_string_equal(proto_fault_name(1u << 20), "unknown-fault");
	assert_string_equal(proto_fault_name(TP_FAULT_BRIDGE), "bridge");
	assert_string_equal(proto_fault_name(TP_FAULT_HEAT_DOSE), "heat-dose");
	assert_string_equal(proto_fault_name(TP_FAULT_COLD_EXPOSURE), "cold-exposure");
	assert_string_equal(proto_fault_name(TP_FAULT_LOAD_SWITCH_WELDED), "load-switch-welded");
	assert_string_equal(proto_fault_name(TP_FAULT_SUPPLY_LOST), "supply-lost");
	assert_string_equal(proto_fault_name(TP_FAULT_HEAT_CLAMP), "heat-clamp");
	assert_int_equal(proto_faults_describe(0, buf, sizeof buf), 4);
	assert_string_equal(buf, "none");
	proto_faults_describe(TP_FAULT_WATCHDOG | TP_FAULT_SENSOR_A_OPEN, buf, sizeof buf);
	assert_string_equal(buf, "watchdog,sensor-a-open");
	/* snprintf-style: the length it needed even when cut */
	size_t need = proto_faults_describe(TP_FAULT_WATCHDOG | TP_FAULT_SENSOR_A_OPEN, buf, 5);
	assert_int_equal(need, strlen("watchdog,sensor-a-open"));
	assert_int_equal(strlen(buf), 4);
	assert_string_equal(proto_state_name(TP_STATE_REST), "rest");
	assert_string_equal(proto_strerror(PROTO_ERR_RESERVED), "reserved byte not zero");
}

static void sequence_gaps(void **state)
{
	(void)state;
	assert_int_equal(proto_seq_gap(1, 2), 0);
	assert_int_equal(proto_seq_gap(1, 5), 3);
	assert_int_equal(proto_seq_gap(65535, 0), 0); /* wraps */
	assert_int_equal(proto_seq_gap(65534, 1), 2);
}

static void descriptors(void **state)
{
	(void)state;
	uint8_t buf[256];
	assert_int_equal(usbdesc_device(buf, sizeof buf, 1, 2), USBDESC_DEVICE_LEN);
	assert_int_equal(buf[0], 18);
	assert_int_equal(buf[1], 1);
	assert_int_equal(buf[8] | buf[9] << 8, TP_USB_VID);
	assert_int_equal(buf[10] | buf[11] << 8, TP_USB_PID);
	assert_int_equal(buf[16], USBDESC_STR_SERIAL); /* the host tells pads apart by it */
	size_t n = usbdesc_config(buf, sizeof buf);
	assert_int_equal(n, USBDESC_CONFIG_TOTAL_LEN);
	assert_int_equal(buf[2] | buf[3] << 8, n);
	/* walk the descriptors: lengths chain to the total exactly */
	size_t off = 0;
	int endpoints = 0;
	while (off < n) {
		assert_true(buf[off] >= 2);
		if (buf[off + 1] == 5) {
			endpoints++;
			assert_int_equal(buf[off + 2], TP_EP_TELEMETRY);
			assert_int_equal(buf[off + 3], 3); /* interrupt */
			assert_int_equal(buf[off + 4], TP_EP_TELEMETRY_SIZE);
		}
		if (buf[off + 1] == 4)
			assert_int_equal(buf[off + 5], 0xff); /* vendor specific */
		off += buf[off];
	}
	assert_int_equal(off, n);
	assert_int_equal(endpoints, 1);
	n = usbdesc_string(3, "TP-1", buf, sizeof buf);
	assert_int_equal(n, 10);
	assert_int_equal(buf[1], 3);
	assert_int_equal(buf[2], 'T');
	assert_int_equal(buf[3], 0);
	assert_int_equal(usbdesc_string(0, "x", buf, sizeof buf), 4);
	assert_int_equal(buf[2] | buf[3] << 8, 0x0409);
	assert_int_equal(usbdesc_string(9, "x", buf, sizeof buf), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(telemetry_round_trip), cmocka_unit_test(info_round_trip),
		cmocka_unit_test(commands_round_trip), cmocka_unit_test(truncated_frames),
		cmocka_unit_test(header_checks),       cmocka_unit_test(range_checks),
		cmocka_unit_test(small_buffers),       cmocka_unit_test(names),
		cmocka_unit_test(sequence_gaps),       cmocka_unit_test(descriptors),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
