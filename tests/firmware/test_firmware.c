/* SPDX-License-Identifier: MIT */
/* The firmware core's duties: whatever the host sends, these must hold. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fw_core.h"

/* The module of the reference pad, for the current a healthy bridge draws. */
#define SEEBECK_V_PER_K 0.053
#define MODULE_OHM 2.1

struct bench {
	struct fw fw;
	struct fw_inputs in;
	uint32_t now;
	int16_t drive;
	bool switch_closed;
	double temps[3];
	bool current_fixed; /* the test sets in.current_ma itself (a stuck bridge: it flows while the switch conducts) */
	bool switch_welded; /* the load switch conducts whatever the firmware says */
	double current_noise_a; /* the current sense's noise, Gaussian sigma */
	double current_offset_a; /* ... and its offset */
	double true_plate_c; /* for the module's Seebeck voltage; NAN: as the plate sensors read */
	uint64_t rng;
	uint16_t seq;
};

static double gaussian(struct bench *b)
{
	double u[2];
	for (int k = 0; k < 2; k++) {
		uint64_t z = (b->rng += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		u[k] = ((double)((z ^ (z >> 31)) >> 11) + 1.0) / 9007199254740992.0;
	}
	return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* The temperature difference across the module, plate minus sink. */
static double module_dt_c(const struct bench *b)
{
	double plate = isnan(b->true_plate_c) ? (b->temps[0] + b->temps[1]) / 2 : b->true_plate_c;
	return plate - b->temps[2];
}

static void set_temps(struct bench *b, double a, double pb, double sink)
{
	b->temps[0] = a, b->temps[1] = pb, b->temps[2] = sink;
	b->in.adc[0] = fw_ntc_cc_to_code((int32_t)lround(a * 100));
	b->in.adc[1] = fw_ntc_cc_to_code((int32_t)lround(pb * 100));
	b->in.adc[2] = fw_ntc_cc_to_code((int32_t)lround(sink * 100));
}

/* What a healthy bridge and module draw at the applied drive. */
static int16_t healthy_current_ma(const struct bench *b)
{
	if (!b->switch_closed && !b->switch_welded)
		return 0;
	double i = (b->drive / 10000.0 * b->in.supply_mv / 1000.0 - SEEBECK_V_PER_K * module_dt_c(b)) / MODULE_OHM;
	return (int16_t)lround(fmax(-6.0, fmin(6.0, i)) * 1000);
}

static void tick(struct bench *b)
{
	b->now += 10;
	bool conducts = b->switch_closed || b->switch_welded;
	int16_t fixed_ma = b->in.current_ma;
	if (!b->current_fixed)
		b->in.current_ma = (int16_t)lround(healthy_current_ma(b) +
						   1000 * (b->current_offset_a + b->current_noise_a * gaussian(b)));
	else if (!conducts)
		b->in.current_ma = 0; /* a stuck bridge, cut by the switch */
	/* the terminals: the bridge's voltage, or (switch open) the module's own */
	double amps = conducts ? b->in.current_ma / 1000.0 : 0.0;
	b->in.voltage_mv = (int16_t)lround((amps * MODULE_OHM + SEEBECK_V_PER_K * module_dt_c(b)) * 1000);
	struct fw_outputs out;
	fw_tick(&b->fw, b->now, &b->in, &out);
	if (b->current_fixed)
		b->in.current_ma = fixed_ma; /* the stuck level, as the test set it */
	b->drive = out.drive;
	b->switch_closed = out.load_switch_closed;
}

static void run(struct bench *b, uint32_t ms)
{
	for (uint32_t t = 0; t < ms; t += 10)
		tick(b);
}

static int set_output(struct bench *b, int16_t drive)
{
	struct tp_set_output cmd = {.seq = ++b->seq, .drive = drive};
	uint8_t buf[TP_SET_OUTPUT_LEN];
	proto_encode_set_output(&cmd, buf, sizeof buf);
	return fw_control_out(&b->fw, TP_REQ_SET_OUTPUT, buf, sizeof buf);
}

static int clear_faults(struct bench *b, uint32_t mask)
{
	struct tp_clear_faults c = {.mask = mask};
	uint8_t buf[TP_CLEAR_FAULTS_LEN];
	proto_encode_clear_faults(&c, buf, sizeof buf);
	return fw_control_out(&b->fw, TP_REQ_CLEAR_FAULTS, buf, sizeof buf);
}

static int set_limits(struct bench *b, struct tp_limits l)
{
	struct tp_set_limits cmd = {l};
	uint8_t buf[TP_SET_LIMITS_LEN];
	proto_encode_set_limits(&cmd, buf, sizeof buf);
	return fw_control_out(&b->fw, TP_REQ_SET_LIMITS, buf, sizeof buf);
}

static struct tp_status get_status(struct bench *b)
{
	uint8_t buf[TP_STATUS_LEN];
	struct tp_status s;
	assert_int_equal(fw_control_in(&b->fw, TP_REQ_GET_STATUS, buf, sizeof buf), TP_STATUS_LEN);
	assert_int_equal(proto_decode_status(buf, sizeof buf, &s), PROTO_OK);
	return s;
}

/* A pad just booted, at 32 C on skin, its supply on. */
static void boot(struct bench *b)
{
	memset(b, 0, sizeof *b);
	struct fw_config cfg;
	fw_config_reference(&cfg, "TEST-1");
	fw_init(&b->fw, &cfg, 0);
	b->switch_closed = true;
	b->true_plate_c = NAN;
	b->rng = 12;
	set_temps(b, 32, 32, 22);
	b->in.supply_mv = 12000;
}

/* ... and past its boot: the rest after boot over, the boot acknowledged. */
static void start(struct bench *b)
{
	boot(b);
	run(b, 2100);
	assert_int_equal(clear_faults(b, 0), 0);
	run(b, 1000); /* and the next CLEAR_FAULTS may come */
}

/* The sensors move there over ms (a step would be no plate's), while the
 * host heartbeats drive at 10 Hz. */
static void ramp_temps(struct bench *b, double a, double pb, double sink, uint32_t ms, int16_t drive)
{
	double from[3] = {b->temps[0], b->temps[1], b->temps[2]}, to[3] = {a, pb, sink};
	for (uint32_t t = 0; t < ms; t += 10) {
		double f = (t + 10.0) / ms;
		set_temps(b, from[0] + (to[0] - from[0]) * f, from[1] + (to[1] - from[1]) * f,
			  from[2] + (to[2] - from[2]) * f);
		if (t % 100 == 0)
			set_output(b, drive);
		tick(b);
	}
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
	ramp_temps(&b, 44.2, 43.9, 30, 60000, 0); /* sensor A past the 44.00 C hard maximum */
	drive_for(&b, 10000, 100);
	assert_int_equal(b.drive, 0);
	assert_true(b.fw.faults & TP_FAULT_PLATE_OVER);
	/* clearing while still hot leaves it latched */
	assert_int_equal(clear_faults(&b, 0xffffffffu), 0);
	run(&b, 10);
	assert_true(b.fw.faults & TP_FAULT_PLATE_OVER);
	/* cooled down, and the cause gone for the hold-off: the clear holds,
	 * and the pad waits for a heartbeat */
	ramp_temps(&b, 38, 38, 30, 10000, 0);
	assert_int_equal(clear_faults(&b, 0xffffffffu), 0);
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
	set_temps(&b, 7.5, 9, 22);
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
	ramp_temps(&b, 43.2, 43.1, 30, 60000, 0); /* within 1 C of the maximum */
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
	struct tp_set_limits l = {{4500, 800, 7000, 6000}}; /* 45 C: wider */
	proto_encode_set_limits(&l, buf, sizeof buf);
	assert_int_equal(fw_control_out(&b.fw, TP_REQ_SET_LIMITS, buf, sizeof buf), -1);
	assert_int_equal(b.fw.last_request_error, TP_REQERR_WIDEN);
	assert_int_equal(b.fw.limits.plate_max_cc, 4400);
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
	b.current_fixed = true;
	b.in.current_ma = 6500;
	run(&b, 30); /* a short spike is tolerated */
	b.in.current_ma = 5700;
	run(&b, 30);
	assert_int_equal(b.fw.faults, 0);
	b.in.current_ma = 6500;
	drive_for(&b, 10000, 100);
	assert_true(b.fw.faults & TP_FAULT_OVERCURRENT);
	start(&b);
	drive_for(&b, 5000, 200);
	b.in.supply_mv = 8000; /* while driving */
	drive_for(&b, 5000, 600);
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
	uint32_t t0 = 0;
	for (int i = 0; i < 20; i++) {
		run(&b, 100);
		assert_int_equal(fw_take_report(&b.fw, buf, sizeof buf), TP_TELEMETRY_LEN);
		assert_int_equal(fw_take_report(&b.fw, buf, sizeof buf), 0); /* one per period */
		assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &t), PROTO_OK);
		if (i)
			assert_int_equal(proto_seq_gap(last, t.seq), 0);
		last = t.seq;
		if (!i)
			t0 = t.device_time_ms;
		assert_int_equal(t.device_time_ms, t0 + (uint32_t)i * 100);
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


/* ---- the duties of protocol version 2 -------------------------------- */

/* A plate as light as any plausible pad's (3.9 C/s at full heat) under a
 * sensor as slow as any (3.5 s): the firmware sees only the lagging reading,
 * the test judges the true plate. */
struct plant {
	double plate_c, sensor_c;
	double lag_s;
	double max_c, min_c, above_43_5_s, below_15_s, below_10_s, cem43_min;
};

static void plant_step(struct bench *b, struct plant *p)
{
	const double dt = 0.01;
	double d = b->drive / 10000.0;
	double rate = d > 0 ? 3.9 * d - 0.05 * (p->plate_c - 32.0) : 0.35 * d - 0.01 * (p->plate_c - 32.0);
	p->plate_c += rate * dt;
	p->sensor_c += (p->plate_c - p->sensor_c) * dt / p->lag_s;
	set_temps(b, p->sensor_c, p->sensor_c, 25.0);
	tick(b);
	p->max_c = fmax(p->max_c, p->plate_c);
	p->min_c = fmin(p->min_c, p->plate_c);
	p->above_43_5_s += p->plate_c > 43.5 ? dt : 0.0;
	p->below_15_s += p->plate_c < 15.0 ? dt : 0.0;
	p->below_10_s += p->plate_c < 10.0 ? dt : 0.0;
	if (p->plate_c > 37.0)
		p->cem43_min += pow(p->plate_c >= 43 ? 2.0 : 4.0, p->plate_c - 43.0) * dt / 60.0;
}

/* A host that wants one drive for `s` seconds, clearing every fault it
 * sees as fast as it may. */
static void plant_run(struct bench *b, struct plant *p, int16_t drive, double s)
{
	for (double t = 0; t < s; t += 0.1) {
		if (b->fw.faults)
			clear_faults(b, 0xffffffffu);
		set_output(b, b->fw.faults ? 0 : drive);
		for (int k = 0; k < 10; k++)
			plant_step(b, p);
	}
}

/* A host that controls: the drive in proportion to the reading's error. */
static void plant_hold(struct bench *b, struct plant *p, double target_c, double s)
{
	for (double t = 0; t < s; t += 0.1) {
		set_output(b, (int16_t)lround(fmax(0.0, fmin(1.0, 0.5 * (target_c - p->sensor_c))) * 10000));
		for (int k = 0; k < 10; k++)
			plant_step(b, p);
	}
}

/* Duty 1: full heat forever, on the true plate. */
static void heat_forever_is_bounded(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	struct plant p = {.plate_c = 32, .sensor_c = 32, .lag_s = 3.5, .max_c = 32, .min_c = 32};
	plant_run(&b, &p, 10000, 40 * 60.0);
	print_message("# full heat 40 min: true plate max %.2f C, %.1f s above 43.5 C, %.2f CEM43 min\n", p.max_c,
		      p.above_43_5_s, p.cem43_min);
	assert_true(p.max_c < 43.5);
	/* the host rides the plate limit: cut long before the dose bound,
	 * and the second ride after a clear is held until a power cycle */
	assert_true(p.cem43_min < 1.0);
	assert_true(b.fw.faults & TP_FAULT_HEAT_CLAMP);
	assert_false(b.fw.faults & TP_FAULT_HEAT_DOSE);
	assert_int_equal(b.drive, 0);
	struct tp_status st = get_status(&b);
	assert_true(st.faults_held & TP_FAULT_HEAT_CLAMP);
}

/* Duty 1: a host that asks for more heat than the plate limit lets through
 * is not controlling; the limit is. HEAT_CLAMP latches after 30 s of full
 * drive withheld, clears once the host asks for nothing more (after the
 * hold-off), and a second ride within 30 min of the clear is held. A host
 * that controls (to 42 C, the highest setpoint, and off, again and
 * again; the toy plate heats at 3.9 C/s, as a light one does) is left
 * alone. */
static void a_host_riding_the_plate_limit_is_cut(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	struct plant p = {.plate_c = 32, .sensor_c = 32, .lag_s = 1.5, .max_c = 32, .min_c = 32};
	double withheld_max = 0;
	for (int n = 0; n < 20; n++) {
		plant_hold(&b, &p, 42.0, 30.0);
		withheld_max = fmax(withheld_max, b.fw.heat_withheld_s);
		plant_hold(&b, &p, 0.0, 90.0);
	}
	print_message("# approaches to the limit: %.1f s of full drive withheld at most\n", withheld_max);
	assert_int_equal(b.fw.faults, 0);
	assert_true(withheld_max < 15.0); /* half the bound */
	/* a host that keeps asking for full heat: cut, the plate below 43.5 C */
	p.cem43_min = 0;
	uint32_t t0 = b.now;
	while (!b.fw.faults && b.now - t0 < 600000) {
		set_output(&b, 10000);
		for (int k = 0; k < 10; k++)
			plant_step(&b, &p);
	}
	print_message("# riding the limit: cut after %.1f s, true plate max %.2f C, %.2f CEM43 min\n",
		      (b.now - t0) / 1000.0, p.max_c, p.cem43_min);
	assert_int_equal(b.fw.faults, TP_FAULT_HEAT_CLAMP);
	assert_true(b.now - t0 < 90000);
	assert_true(p.max_c < 43.5);
	assert_true(p.cem43_min < 1.0);
	assert_int_equal(b.drive, 0);
	assert_int_equal(get_status(&b).faults_held, 0);
	/* the cause is gone once nothing more is asked: cleared after the hold-off */
	plant_hold(&b, &p, 0.0, 2.5);
	assert_int_equal(clear_faults(&b, TP_FAULT_HEAT_CLAMP), 0);
	run(&b, 20);
	assert_int_equal(b.fw.faults, 0);
	/* a session that controls runs on; riding again soon is held */
	for (int n = 0; n < 5; n++) {
		plant_hold(&b, &p, 40.0, 60.0);
		plant_hold(&b, &p, 0.0, 60.0);
	}
	assert_int_equal(b.fw.faults, 0);
	plant_run(&b, &p, 10000, 120.0);
	assert_true(b.fw.faults & TP_FAULT_HEAT_CLAMP);
	assert_true(get_status(&b).faults_held & TP_FAULT_HEAT_CLAMP);
}

/* Duty 1: full cold forever, on the true plate. */
static void cold_forever_is_bounded(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	struct plant p = {.plate_c = 32, .sensor_c = 32, .lag_s = 3.5, .max_c = 32, .min_c = 32};
	plant_run(&b, &p, -10000, 45 * 60.0);
	print_message("# full cold 45 min: true plate min %.2f C, %.0f s below 15 C, %.0f s below 10 C\n", p.min_c,
		      p.below_15_s, p.below_10_s);
	assert_true(p.min_c > 8.0);
	/* deep cold, where the skin is numb, has a bound of its own */
	assert_true(p.below_10_s < 60.0);
	assert_true(p.below_15_s < 1600.0);
	assert_true(b.fw.faults & TP_FAULT_COLD_EXPOSURE);
	assert_int_equal(b.drive, 0);
}

/* Duty 1 and 3: limits narrow relative to those in force, never widen back. */
static void limits_narrow_from_those_in_force(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	assert_int_equal(set_limits(&b, (struct tp_limits){4200, 1000, 6000, 3000}), 0);
	/* back to the hard limits: a widening of what is in force */
	assert_int_equal(set_limits(&b, (struct tp_limits){4400, 800, 7000, 6000}), -1);
	assert_int_equal(b.fw.last_request_error, TP_REQERR_WIDEN);
	assert_int_equal(set_limits(&b, (struct tp_limits){4300, 1000, 6000, 3000}), -1);
	assert_int_equal(get_status(&b).limits.plate_max_cc, 4200);
	assert_int_equal(get_status(&b).limits.current_max_ma, 3000);
	/* and the drive keeps the current inside the narrowed limit */
	drive_for(&b, 10000, 500);
	assert_true(b.fw.flags & TP_FLAG_CURRENT_LIMIT);
	assert_true(b.in.current_ma <= 3000);
	assert_int_equal(b.fw.faults, 0);
}

/* Duty 2: a bridge that conducts on its own, either way, any level from
 * 10 %: the load switch opens within 2 s, and stays open. */
static void stuck_bridge_opens_the_switch(void **state)
{
	(void)state;
	static const double levels[] = {0.1, 0.25, 0.8, -0.1, -0.5, -1.0};
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		struct bench b;
		start(&b);
		drive_for(&b, 0, 1000);
		b.current_fixed = true;
		double dt = 32.0 - 22.0;
		b.in.current_ma = (int16_t)lround((levels[i] * 12.0 - SEEBECK_V_PER_K * dt) / MODULE_OHM * 1000);
		uint32_t t0 = b.now;
		while (b.switch_closed && b.now - t0 < 5000) {
			set_output(&b, 0);
			run(&b, 10);
		}
		assert_false(b.switch_closed);
		assert_true(b.now - t0 <= 2000);
		assert_true(b.fw.faults & TP_FAULT_BRIDGE);
		b.in.current_ma = 0; /* cut: nothing flows */
		run(&b, 3000);
		clear_faults(&b, 0xffffffffu);
		run(&b, 100);
		assert_false(b.switch_closed);
		assert_true(get_status(&b).faults_held & TP_FAULT_BRIDGE);
	}
	/* with drive: a current of the wrong sign */
	struct bench b;
	start(&b);
	drive_for(&b, 5000, 1000);
	b.current_fixed = true;
	b.in.current_ma = -2000;
	drive_for(&b, 5000, 500);
	assert_false(b.switch_closed);
}

/* Duty 2, the quiet side: at zero drive the Seebeck current of a large
 * temperature difference is no disagreement; nor is a healthy drive. */
static void seebeck_current_is_not_a_stuck_bridge(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	ramp_temps(&b, 40, 40, 24, 40000, 0); /* 16 K across the module: -0.4 A at zero */
	drive_for(&b, 0, 5000);
	drive_for(&b, 7000, 5000);
	drive_for(&b, 0, 2500);
	drive_for(&b, -7000, 5000);
	assert_true(b.switch_closed);
	if (b.fw.faults)
		fail_msg("faults 0x%x", b.fw.faults);
}

/* Duty 3: clearing needs the cause gone for the hold-off, is rate-limited,
 * and an over-current again soon after a clear needs a power cycle. */
static void latches_a_host_cannot_defeat(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	drive_for(&b, 10000, 300);
	b.current_fixed = true;
	b.in.current_ma = 6500;
	drive_for(&b, 10000, 200);
	assert_true(b.fw.faults & TP_FAULT_OVERCURRENT);
	b.in.current_ma = 0;
	drive_for(&b, 0, 500);
	assert_int_equal(clear_faults(&b, TP_FAULT_OVERCURRENT), 0); /* cause gone 0.5 s: too soon */
	run(&b, 10);
	assert_true(b.fw.faults & TP_FAULT_OVERCURRENT);
	assert_int_equal(clear_faults(&b, TP_FAULT_OVERCURRENT), -1); /* again at once: rate */
	assert_int_equal(b.fw.last_request_error, TP_REQERR_RATE);
	drive_for(&b, 0, 2000);
	assert_int_equal(clear_faults(&b, TP_FAULT_OVERCURRENT), 0);
	run(&b, 10);
	if (b.fw.faults)
		fail_msg("faults 0x%x", b.fw.faults);
	/* the same over-current again within the window: held */
	b.current_fixed = false;
	drive_for(&b, 10000, 300);
	b.current_fixed = true;
	b.in.current_ma = 6500;
	drive_for(&b, 10000, 200);
	b.in.current_ma = 0;
	drive_for(&b, 0, 5000);
	assert_int_equal(clear_faults(&b, 0xffffffffu), 0);
	run(&b, 10);
	assert_true(b.fw.faults & TP_FAULT_OVERCURRENT);
	assert_true(get_status(&b).faults_held & TP_FAULT_OVERCURRENT);
	/* the fuse too */
	start(&b);
	b.in.fuse_open = true;
	run(&b, 10);
	b.in.fuse_open = false;
	run(&b, 3000);
	clear_faults(&b, 0xffffffffu);
	run(&b, 10);
	assert_true(b.fw.faults & TP_FAULT_FUSE);
}

/* Duty 4: every code that converts to no temperature latches a fault of
 * that sensor, the sink's included; every code that converts does not. */
static void every_invalid_conversion_is_a_fault(void **state)
{
	(void)state;
	/* every code near the edges of the range and the rails, a sample between */
	for (uint32_t code = 0; code <= FW_ADC_MAX;
	     code += (code < 1400 || (code > 63800 && code < 65000)) ? 1 : 97) {
		struct bench b;
		boot(&b);
		b.in.adc[FW_SENSOR_SINK] = (uint16_t)code;
		run(&b, 10);
		bool invalid = fw_ntc_code_to_cc((uint16_t)code) == TP_TEMP_INVALID;
		bool faulted = (b.fw.faults & (TP_FAULT_SINK_SENSOR_OPEN | TP_FAULT_SINK_SENSOR_SHORT)) != 0;
		if (invalid != faulted)
			fail_msg("sink code %u: converts %s, fault %s", code, invalid ? "to invalid" : "fine",
				 faulted ? "latched" : "not latched");
		if (invalid)
			assert_int_equal(b.drive, 0);
	}
}

/* Duty 5: after a reset the firmware rests at zero, says it booted until
 * the host acknowledges, and its device time starts again. */
static void reset_is_visible_and_rests(void **state)
{
	(void)state;
	struct bench b;
	boot(&b);
	struct fw_config cfg;
	fw_config_reference(&cfg, "TEST-1");
	b.now = 50000; /* a reset long after the pad was plugged in */
	fw_init(&b.fw, &cfg, b.now);
	drive_for(&b, -10000, 1900); /* a host that did not notice */
	assert_int_equal(b.drive, 0);
	assert_int_equal(b.fw.state, TP_STATE_REST);
	drive_for(&b, -10000, 300);
	assert_int_equal(b.drive, -10000);
	uint8_t buf[TP_TELEMETRY_LEN];
	struct tp_telemetry t;
	assert_int_equal(fw_take_report(&b.fw, buf, sizeof buf), TP_TELEMETRY_LEN);
	assert_int_equal(proto_decode_telemetry(buf, sizeof buf, &t), PROTO_OK);
	assert_true(t.flags & TP_FLAG_BOOT);
	assert_true(t.device_time_ms <= 2200); /* since the reset, not since the plug */
	assert_true(get_status(&b).uptime_ms <= 2200);
	assert_int_equal(clear_faults(&b, 0), 0); /* the acknowledgement */
	run(&b, 100);
	fw_take_report(&b.fw, buf, sizeof buf);
	proto_decode_telemetry(buf, sizeof buf, &t);
	assert_false(t.flags & TP_FLAG_BOOT);
	assert_int_equal(b.drive, -10000); /* clearing nothing changes nothing else */
}

/* Duty 6: a command counts as acknowledged only once its drive is applied. */
static void reports_are_one_tick(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	drive_for(&b, 8000, 500);
	assert_int_equal(set_output(&b, 0), 0);
	struct tp_status st = get_status(&b);
	assert_false(st.last_cmd_seq == b.seq && st.drive_applied != 0);
	run(&b, 10);
	st = get_status(&b);
	assert_int_equal(st.last_cmd_seq, b.seq);
	assert_int_equal(st.drive_applied, 0);
	/* the same in telemetry: a report due between the command and its tick
	 * still shows the old command with the old drive */
	uint8_t buf[TP_TELEMETRY_LEN];
	struct tp_telemetry t;
	drive_for(&b, 8000, 500);
	run(&b, 90);
	set_output(&b, 0);
	run(&b, 10);
	assert_int_equal(fw_take_report(&b.fw, buf, sizeof buf), TP_TELEMETRY_LEN);
	proto_decode_telemetry(buf, sizeof buf, &t);
	assert_true(t.last_cmd_seq != b.seq || t.drive_applied == 0);
}

/* Duty 7: an absent supply with the output at zero is a state; drive asked
 * of it is withheld and becomes a fault only if it is still wanted. */
static void supply_off_is_not_a_fault_at_zero(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	b.in.supply_mv = 0; /* the interlock's relay is open: no session */
	drive_for(&b, 0, 10000);
	assert_int_equal(b.fw.faults, 0);
	assert_true(b.fw.flags & TP_FLAG_SUPPLY_LOW);
	drive_for(&b, 6000, 300); /* a session starts as the relay closes */
	assert_int_equal(b.drive, 0);
	assert_int_equal(b.fw.faults, 0);
	b.in.supply_mv = 12000;
	drive_for(&b, 6000, 300);
	assert_int_equal(b.drive, 6000);
	assert_false(b.fw.flags & TP_FLAG_SUPPLY_LOW);
	b.in.supply_mv = 0; /* a session stops: the relay opens as the host ramps the drive down */
	for (int16_t d = 6000; d > 0; d -= 500)
		drive_for(&b, d, 100); /* 1.2 s: 0.5 of full scale a second */
	drive_for(&b, 0, 2000);
	assert_int_equal(b.drive, 0);
	assert_int_equal(b.fw.faults, 0);
	b.in.supply_mv = 12000;
	drive_for(&b, 0, 300);
	assert_int_equal(b.fw.faults, 0);
	drive_for(&b, 6000, 300);
	b.in.supply_mv = 9000; /* a sag while driving */
	drive_for(&b, 6000, 700);
	assert_true(b.fw.faults & TP_FAULT_SUPPLY);
}


/* Duty 6.14: the supply goes while the host still asks for drive (a power
 * cut, a plug pulled): safe in itself, but its return must not resume the
 * drive. A short cut latches SUPPLY_LOST as the supply returns, a long one
 * once supply_fault_ms has passed; the bit clears only with the supply
 * back for the hold-off, and then the pad waits in IDLE for a command. */
static void supply_loss_does_not_resume(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	drive_for(&b, 6000, 500);
	assert_int_equal(b.drive, 6000);
	b.in.supply_mv = 0; /* 200 ms without supply, the host unaware */
	drive_for(&b, 6000, 200);
	assert_int_equal(b.drive, 0);
	assert_int_equal(b.fw.faults, 0);
	b.in.supply_mv = 12000;
	drive_for(&b, 6000, 20);
	assert_int_equal(b.drive, 0); /* the supply is back: the drive is not */
	assert_true(b.fw.faults & TP_FAULT_SUPPLY_LOST);
	assert_string_equal(proto_fault_name(TP_FAULT_SUPPLY_LOST), "supply-lost");
	drive_for(&b, 0, 2500);
	assert_int_equal(clear_faults(&b, 0xffffffffu), 0);
	run(&b, 20);
	assert_int_equal(b.fw.faults, 0);
	assert_int_equal(b.fw.state, TP_STATE_IDLE);
	run(&b, 500);
	assert_int_equal(b.drive, 0); /* nothing until the host asks again */
	drive_for(&b, 6000, 300);
	assert_int_equal(b.drive, 6000);

	/* a long cut latches while the supply is away, and no clear works
	 * before it is back */
	b.in.supply_mv = 0;
	drive_for(&b, 6000, 600);
	assert_true(b.fw.faults & TP_FAULT_SUPPLY_LOST);
	run(&b, 3000);
	assert_int_equal(clear_faults(&b, 0xffffffffu), 0);
	run(&b, 20);
	assert_true(b.fw.faults & TP_FAULT_SUPPLY_LOST);
	b.in.supply_mv = 12000;
	run(&b, 1000);
	assert_int_equal(clear_faults(&b, 0xffffffffu), 0);
	run(&b, 20);
	assert_true(b.fw.faults & TP_FAULT_SUPPLY_LOST); /* back for 1 s: not yet */
	run(&b, 1500);
	assert_int_equal(clear_faults(&b, 0xffffffffu), 0);
	run(&b, 20);
	assert_int_equal(b.fw.faults, 0);
}

/* ---- the load switch's own proof: a weld found while driving ---------- */

/* The switch welded shut: the next switch-open proof finds current
 * flowing, the second latches LOAD_SWITCH_WELDED (held: a replug), drive
 * zero. Either way, at every drive that should carry 0.4 A or more (here
 * 20 % heating against a 10 C difference, 10 % cooling with it). */
static void welded_switch_is_found(void **state)
{
	(void)state;
	static const int16_t levels[] = {2000, 4000, 9000, -1000, -5000, -9000};
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		struct bench b;
		start(&b);
		b.switch_welded = true;
		uint32_t t0 = b.now;
		while (!b.fw.faults && b.now - t0 < 5000)
			drive_for(&b, levels[i], 10);
		print_message("# switch welded, drive %+d: found after %u ms\n", levels[i], b.now - t0);
		assert_int_equal(b.fw.faults, TP_FAULT_LOAD_SWITCH_WELDED);
		assert_true(b.now - t0 <= 1500);
		assert_int_equal(b.drive, 0);
		assert_true(get_status(&b).faults_held & TP_FAULT_LOAD_SWITCH_WELDED);
		run(&b, 3000);
		assert_int_equal(clear_faults(&b, 0xffffffffu), 0);
		run(&b, 20);
		assert_true(b.fw.faults & TP_FAULT_LOAD_SWITCH_WELDED);
	}
	/* a stuck bridge cut by a welded switch: the current goes on with the
	 * switch held open, and the firmware says that too */
	struct bench b;
	start(&b);
	b.switch_welded = true;
	drive_for(&b, 0, 500);
	b.current_fixed = true;
	b.in.current_ma = 3000;
	drive_for(&b, 0, 1000);
	assert_true(b.fw.faults & TP_FAULT_BRIDGE);
	assert_true(b.fw.faults & TP_FAULT_LOAD_SWITCH_WELDED);
}

/* The quiet side of the weld proof: a healthy switch, a current sense with
 * 30 mA of noise and 60 mA of offset, every level either way and through
 * ramps: never a weld. */
static void healthy_switch_is_not_welded(void **state)
{
	(void)state;
	static const double offsets_a[] = {0.06, -0.06};
	for (size_t k = 0; k < sizeof offsets_a / sizeof offsets_a[0]; k++) {
		struct bench b;
		start(&b);
		b.current_noise_a = 0.03;
		b.current_offset_a = offsets_a[k];
		static const int16_t levels[] = {300, 900, 2000, 6000, 9000, 0, -300, -900, -4000, -9000};
		for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
			drive_for(&b, levels[i], 3000);
			drive_for(&b, 0, 2100);
		}
		ramp_temps(&b, 41, 41, 20, 20000, 6000);
		ramp_temps(&b, 12, 12, 34, 20000, -9000);
		if (b.fw.faults)
			fail_msg("offset %+.2f A: faults 0x%x", offsets_a[k], b.fw.faults);
		assert_true(b.switch_closed);
	}
}

/* ---- the proofs (6.15): a bridge that follows no command, blind sensors */

/* A bridge stuck at exactly the drive commanded: its current is what the
 * command should give, so only a step of the drive can tell: the current
 * does not follow it. Every level from 10 %, either way, full included. */
static void bridge_stuck_at_the_command_is_caught(void **state)
{
	(void)state;
	static const int16_t levels[] = {1000, 5000, 10000, -1000, -8000, -10000};
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		struct bench b;
		start(&b);
		drive_for(&b, levels[i], 1000);
		assert_true(b.switch_closed);
		/* now the bridge stays where it is, whatever the firmware puts out */
		b.current_fixed = true;
		b.drive = levels[i];
		b.in.current_ma = healthy_current_ma(&b);
		uint32_t t0 = b.now;
		while (!(b.fw.faults & TP_FAULT_BRIDGE) && b.now - t0 < 5000) {
			set_output(&b, levels[i]);
			run(&b, 10);
		}
		print_message("# stuck at the command %+d: switch open after %u ms\n", levels[i], b.now - t0);
		assert_false(b.fw.load_switch_closed);
		assert_true(b.now - t0 <= 2000);
		assert_true(b.fw.faults & TP_FAULT_BRIDGE);
		assert_true(get_status(&b).faults_held & TP_FAULT_BRIDGE);
	}
}

/* The quiet side: a healthy bridge answers every step, at every level and
 * through a ramp, with a current sense as noisy as a real one (20 mA),
 * and the Seebeck voltage agrees with the plate sensors. */
static void healthy_pad_passes_the_proofs(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	b.current_noise_a = 0.02;
	/* (below full: a noisy sense at the bridge's 6 A limit is an over-current) */
	static const int16_t levels[] = {600, 2000, 9000, 0, -600, -5000, -9000};
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		drive_for(&b, levels[i], 3000);
		drive_for(&b, 0, 2100); /* the rest before another sign */
	}
	ramp_temps(&b, 41, 41, 20, 20000, 6000); /* heating 0.45 C/s */
	ramp_temps(&b, 12, 12, 34, 20000, -9000); /* cooling, the sink warming */
	assert_true(b.switch_closed);
	if (b.fw.faults)
		fail_msg("faults 0x%x", b.fw.faults);
}

/* Both plate sensors frozen while the module heats: the module's open
 * voltage says the plate is warming, the sensors do not: the drive stops
 * before the true plate is 4 C past them. */
static void frozen_plate_sensors_meet_the_seebeck_voltage(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	drive_for(&b, 10000, 1000);
	b.true_plate_c = 33.0; /* the sensors stay at 32, the plate goes on */
	uint32_t t0 = b.now;
	while (b.fw.applied != 0 && b.now - t0 < 20000) {
		set_output(&b, 10000);
		for (int k = 0; k < 10; k++) {
			b.true_plate_c += 0.7 * 0.01; /* 0.7 C/s */
			run(&b, 10);
		}
	}
	print_message("# frozen sensors at 32 C: drive zero at a true plate of %.2f C\n", b.true_plate_c);
	assert_int_equal(b.fw.applied, 0);
	assert_true(b.true_plate_c < 37.0);
	assert_true(b.fw.faults & (1u << 16)); /* plate-implausible */
}

/* The quiet side of deep cold: a hold at 10 C, the lowest setpoint, for
 * the longest cold phase (20 min) counts no deep cold. */
static void hold_at_ten_is_not_deep_cold(void **state)
{
	(void)state;
	struct bench b;
	start(&b);
	ramp_temps(&b, 10.3, 10.3, 30, 60000, -6000);
	for (int t = 0; t < 120000; t++) {
		double c = 10.0 + 0.03 * gaussian(&b);
		set_temps(&b, c + 0.04, c - 0.03, 30);
		if (t % 10 == 0)
			set_output(&b, -6000);
		tick(&b);
	}
	if (b.fw.faults)
		fail_msg("faults 0x%x after a 20 min hold at 10 C", b.fw.faults);
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
		cmocka_unit_test(heat_forever_is_bounded), cmocka_unit_test(a_host_riding_the_plate_limit_is_cut),
		cmocka_unit_test(cold_forever_is_bounded),
		cmocka_unit_test(limits_narrow_from_those_in_force),
		cmocka_unit_test(stuck_bridge_opens_the_switch), cmocka_unit_test(seebeck_current_is_not_a_stuck_bridge),
		cmocka_unit_test(latches_a_host_cannot_defeat), cmocka_unit_test(every_invalid_conversion_is_a_fault),
		cmocka_unit_test(reset_is_visible_and_rests), cmocka_unit_test(reports_are_one_tick),
		cmocka_unit_test(supply_off_is_not_a_fault_at_zero), cmocka_unit_test(supply_loss_does_not_resume),
		cmocka_unit_test(welded_switch_is_found), cmocka_unit_test(healthy_switch_is_not_welded),
		cmocka_unit_test(bridge_stuck_at_the_command_is_caught), cmocka_unit_test(healthy_pad_passes_the_proofs),
		cmocka_unit_test(frozen_plate_sensors_meet_the_seebeck_voltage),
		cmocka_unit_test(hold_at_ten_is_not_deep_cold),
	};
	return cmocka_run_group_tests_name("firmware", tests, NULL, NULL);
}
