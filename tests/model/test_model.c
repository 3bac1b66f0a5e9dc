/* SPDX-License-Identifier: MIT */
/* The physical model, its sensors, pad descriptions and the pad with the
 * firmware in the loop. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exposure.h"
#include "model.h"
#include "model_ini.h"
#include "pad.h"

static struct model_params ref(void)
{
	struct model_params p;
	model_params_reference(&p);
	return p;
}

/* Electrical energy in = heat stored + heat out, within 1 %, at several
 * drives and through a fan failure. */
static void energy_balance(void **state)
{
	(void)state;
	const double drives[] = {1.0, -1.0, 0.35, -0.6};
	for (size_t i = 0; i < sizeof drives / sizeof drives[0]; i++) {
		struct model_params p = ref();
		struct model m;
		model_init(&m, &p, 32.0);
		model_advance(&m, drives[i], 300.0);
		m.fan_failed = true;
		model_advance(&m, drives[i], 300.0);
		double out = model_stored_heat_j(&m) + m.heat_to_ambient_j + m.heat_to_core_j;
		assert_true(m.electrical_j > 100.0);
		assert_true(fabs(out - m.electrical_j) <= 0.01 * m.electrical_j);
	}
}

static double time_to(struct model_params p, double from, double to, double drive)
{
	struct model m;
	model_init(&m, &p, from);
	double t = 0;
	while ((drive > 0 ? m.plate_c < to : m.plate_c > to) && t < 3600) {
		model_advance(&m, drive, 0.01);
		t += 0.01;
	}
	return t;
}

/* The figures the pad's description promises (10 ms Euler steps, true
 * plate temperature, tissue in balance at the start). */
static void published_figures(void **state)
{
	(void)state;
	double up = time_to(ref(), 32, 40, 1.0), down = time_to(ref(), 40, 12, -1.0);
	printf("# 32->40 C at full heat: %.2f s; 40->12 C at full cooling: %.1f s\n", up, down);
	assert_true(up > 6.0 * 0.85 && up < 6.0 * 1.15);
	assert_true(down > 144.0 * 0.85 && down < 144.0 * 1.15);
}

static void steady_states(void **state)
{
	(void)state;
	struct model_params p = ref();
	struct model m;
	model_init(&m, &p, 32.0);
	model_advance(&m, 1.0, 3000);
	assert_true(m.plate_c > 100.0); /* why the firmware and a fuse must cut it */
	model_init(&m, &p, 32.0);
	model_advance(&m, -1.0, 3000);
	assert_true(m.plate_c < 10.0 && m.sink_c < 50.0);
	/* a dead fan turns the cooler into a heater of its own sink */
	model_init(&m, &p, 32.0);
	m.fan_failed = true;
	model_advance(&m, -1.0, 5000);
	assert_true(m.plate_c > 26.0);
	assert_true(m.sink_c > 100.0);
	/* no drive: the plate settles between skin and room */
	model_init(&m, &p, 32.0);
	model_advance(&m, 0.0, 5000);
	assert_true(m.plate_c > 25.0 && m.plate_c < 36.0);
}

static void sensor_statistics(void **state)
{
	(void)state;
	struct model_params p = ref();
	p.sensor_offset_c[0] = 0.5;
	struct model m;
	struct model_sensors s;
	model_init(&m, &p, 30.0);
	model_sensors_init(&s, &m, 42);
	double sum = 0, sq = 0, out[3];
	const int n = 20000;
	for (int i = 0; i < n; i++) {
		model_sensors_read(&s, &m, 0.01, out);
		sum += out[0];
		sq += out[0] * out[0];
		/* quantised to the resolution */
		assert_true(fabs(out[0] * 100.0 - round(out[0] * 100.0)) < 1e-6);
	}
	double mean = sum / n, sigma = sqrt(sq / n - mean * mean);
	assert_true(fabs(mean - 30.5) < 0.01); /* the offset */
	assert_true(sigma > 0.025 && sigma < 0.036); /* 0.03 C noise, plus quantisation */
	/* first-order lag: a step reaches 63 % after one time constant */
	p = ref();
	p.sensor_noise_c = 0;
	p.sensor_offset_c[0] = 0;
	p.sensor_resolution_c = 0;
	model_init(&m, &p, 30.0);
	model_sensors_init(&s, &m, 1);
	m.plate_c = 40.0;
	for (int i = 0; i < 150; i++)
		model_sensors_read(&s, &m, 0.01, out);
	assert_true(fabs(out[0] - (30.0 + 10.0 * (1 - exp(-1.0)))) < 0.01);
}

static void reference_file_matches_defaults(void **state)
{
	(void)state;
	struct model_params file, builtin = ref();
	char err[256];
	int rc = model_params_load("sim/pads/reference.ini", &file, err, sizeof err);
	if (rc)
		fail_msg("%s", err);
	assert_memory_equal(&file, &builtin, sizeof file);
	assert_int_equal(model_params_load("sim/pads/heavy-plate.ini", &file, err, sizeof err), 0);
	assert_true(file.plate_j_per_k == 160.0);
}

static void broken_descriptions(void **state)
{
	(void)state;
	static const struct {
		const char *text, *error;
	} cases[] = {
		{"[plate]\nheat_capacity_j_per_k = 80\nmass = 3\n", "pad.ini:3: [plate]: unknown key 'mass'"},
		{"\n[plates]\nx = 1\n", "pad.ini:3: unknown section [plates]"},
		{"[module]\nsupply_v = twelve\n", "pad.ini:2: [module] supply_v: 'twelve' is not a number"},
		{"[module]\nsupply_v = 400\n", "pad.ini:2: [module] supply_v = 400 is outside its range"},
		{"[sink]\nto_ambient_fan_failed_w_per_k = 9\n", "pad.ini: [sink] to_ambient_fan_failed_w_per_k exceeds"},
		{"[module\n", "pad.ini:1: syntax error"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct model_params p = ref(), before = p;
		char err[256] = "";
		assert_int_equal(model_params_from_string(cases[i].text, "pad.ini", &p, err, sizeof err), -1);
		if (strncmp(err, cases[i].error, strlen(cases[i].error)) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].error);
		assert_memory_equal(&p, &before, sizeof p); /* nothing half-applied */
	}
	char err[256];
	struct model_params p;
	assert_int_equal(model_params_load("no/such/pad.ini", &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "no/such/pad.ini"));
}

static void fault_grammar(void **state)
{
	(void)state;
	struct pad_fault f;
	char err[200];
	assert_int_equal(faults_parse("sensor-b:noisy=0.5", &f, err, sizeof err), 0);
	assert_int_equal(f.target, FAULT_SENSOR_B);
	assert_int_equal(f.kind, FAULT_KIND_NOISY);
	assert_true(f.value == 0.5);
	assert_int_equal(faults_parse("sink:stuck", &f, err, sizeof err), 0);
	assert_false(f.has_value);
	assert_int_equal(faults_parse("usb:unplug", &f, err, sizeof err), 0);
	assert_true(faults_is_usb(&f));
	const char *good[] = {"tec:stuck=-0.1", "switch:welded", "switch:open", "switch:ok", "mcu:reset",
			      "mcu:hang", "mcu:dead", "mcu:ok", "relay:open", "relay:welded", "relay:ok"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (faults_parse(good[i], &f, err, sizeof err) != 0)
			fail_msg("'%s' was refused: %s", good[i], err);
	const char *bad[] = {"sensor-a", "sensor-c:open", "fan:open", "tec:stuck", "tec:stuck=2",
			     "supply:sag=x", "usb:malformed=1.5", "fan:fail=1", "switch:reset", "mcu:open",
			     "relay:hang", "mcu:reset=1", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (faults_parse(bad[i], &f, err, sizeof err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
}

static void heartbeat(struct pad *pad, int16_t drive, uint32_t ms)
{
	static uint16_t seq;
	for (uint32_t t = 0; t < ms; t += 100) {
		struct tp_set_output o = {++seq, drive};
		uint8_t buf[TP_SET_OUTPUT_LEN];
		proto_encode_set_output(&o, buf, sizeof buf);
		pad_control_out(pad, TP_REQ_SET_OUTPUT, buf, sizeof buf);
		pad_advance(pad, 100);
	}
}

static void pad_faults_reach_firmware(void **state)
{
	(void)state;
	struct model_params p = ref();
	struct fw_config cfg;
	fw_config_reference(&cfg, "PAD-1");
	struct pad pad;
	struct pad_fault f;
	char err[100];
	pad_init(&pad, &p, &cfg, 7, 32.0);
	heartbeat(&pad, 5000, 5000); /* the firmware rests 2 s after boot */
	struct pad_truth t;
	pad_truth(&pad, &t);
	assert_true(t.plate_c > 33.0); /* heating through the firmware */
	faults_parse("sensor-a:open", &f, err, sizeof err);
	assert_int_equal(pad_inject(&pad, &f), 0);
	heartbeat(&pad, 5000, 200);
	assert_true(pad.fw.faults & TP_FAULT_SENSOR_A_OPEN);
	pad_truth(&pad, &t);
	assert_true(t.module_drive == 0.0);

	/* a stuck bridge ignores the firmware: the load switch cuts it */
	pad_init(&pad, &p, &cfg, 7, 32.0);
	faults_parse("tec:stuck=1.0", &f, err, sizeof err);
	pad_inject(&pad, &f);
	pad_advance(&pad, 60000);
	pad_truth(&pad, &t);
	assert_false(t.switch_closed);
	assert_true(pad.fw.faults & TP_FAULT_BRIDGE);
	assert_true(t.plate_c < 33.0 && t.current_a == 0.0);
	/* ... and with the switch welded too, only the fuse saves the skin */
	pad_init(&pad, &p, &cfg, 7, 32.0);
	pad_inject(&pad, &f);
	faults_parse("switch:welded", &f, err, sizeof err);
	pad_inject(&pad, &f);
	pad_advance(&pad, 60000);
	pad_truth(&pad, &t);
	assert_true(pad.fw.faults & TP_FAULT_PLATE_OVER);
	assert_true(t.fuse_open);
	assert_true(t.plate_c < PAD_FUSE_OPEN_C + 2.0);
	assert_true(pad.fw.faults & TP_FAULT_FUSE);

	/* unplugged: no firmware, no drive; replugged: a fresh boot */
	pad_init(&pad, &p, &cfg, 7, 32.0);
	heartbeat(&pad, 5000, 500);
	pad_set_powered(&pad, false);
	pad_advance(&pad, 500);
	pad_truth(&pad, &t);
	assert_true(t.module_drive == 0.0);
	pad_set_powered(&pad, true);
	assert_int_equal(pad.fw.state, TP_STATE_IDLE);
	assert_int_equal(pad.fw.faults, 0);
}

/* The hardware around the firmware: the load switch in series with the
 * module, the supply relay, and the MCU itself. */
static void switch_relay_and_mcu(void **state)
{
	(void)state;
	struct model_params p = ref();
	struct fw_config cfg;
	fw_config_reference(&cfg, "PAD-3");
	struct pad pad;
	struct pad_fault f;
	struct pad_truth t;
	char err[100];

	/* a load switch failed open: no current at all, not even Seebeck's */
	pad_init(&pad, &p, &cfg, 7, 32.0);
	faults_parse("switch:open", &f, err, sizeof err);
	assert_int_equal(pad_inject(&pad, &f), 0);
	heartbeat(&pad, 8000, 4000);
	pad_truth(&pad, &t);
	assert_false(t.switch_closed);
	assert_true(t.current_a == 0.0);
	assert_true(t.plate_c < 32.5);
	/* no current for the drive: the firmware names the disagreement */
	assert_true(pad.fw.faults & TP_FAULT_BRIDGE);
	pad_init(&pad, &p, &cfg, 7, 32.0);
	heartbeat(&pad, 8000, 3000);
	pad_truth(&pad, &t);
	assert_true(t.switch_closed && t.current_a > 3.0);

	/* the relay opened by a host cuts the supply the firmware measures */
	pad_set_relay(&pad, false);
	pad_advance(&pad, 100);
	pad_truth(&pad, &t);
	assert_false(t.relay_closed);
	assert_true(t.supply_v == 0.0);
	assert_true(fabs(t.current_a) < 0.5); /* Seebeck only */
	faults_parse("relay:welded", &f, err, sizeof err);
	pad_inject(&pad, &f);
	pad_advance(&pad, 100);
	pad_truth(&pad, &t);
	assert_true(t.relay_closed && t.supply_v > 11.9); /* welded: the open command does nothing */

	/* a hung MCU leaves the bridge where it was and answers nothing, until
	 * the hardware watchdog's timeout: then the drive goes, the switch
	 * opens, and the MCU boots afresh (BOOT) */
	pad_init(&pad, &p, &cfg, 7, 32.0);
	heartbeat(&pad, 3000, 3000);
	faults_parse("mcu:hang", &f, err, sizeof err);
	pad_inject(&pad, &f);
	pad_advance(&pad, PAD_MCU_WATCHDOG_MS - 10);
	pad_truth(&pad, &t);
	assert_true(t.mcu_hung && fabs(t.module_drive - 0.3) < 1e-9 && t.watchdog_resets == 0);
	uint8_t buf[TP_FRAME_MAX_LEN];
	assert_int_equal(pad_control_in(&pad, TP_REQ_GET_STATUS, buf, sizeof buf), -1);
	assert_int_equal(pad_take_report(&pad, buf, sizeof buf), 0);
	pad_advance(&pad, 10);
	pad_truth(&pad, &t);
	assert_true(t.module_drive == 0.0 && !t.switch_closed && t.watchdog_resets == 1);
	assert_false(t.mcu_hung); /* a reset cures this hang */
	pad_advance(&pad, 1000);
	pad_truth(&pad, &t);
	assert_true(t.module_drive == 0.0 && t.watchdog_resets == 1);
	assert_int_equal(pad.fw.state, TP_STATE_IDLE);
	assert_true(pad.fw.flags & TP_FLAG_BOOT);
	/* mcu:dead hangs again at every boot: the watchdog holds it in reset,
	 * the drive off and the switch open, for as long as it lasts */
	heartbeat(&pad, 3000, 3000);
	faults_parse("mcu:dead", &f, err, sizeof err);
	pad_inject(&pad, &f);
	pad_advance(&pad, 5000);
	pad_truth(&pad, &t);
	assert_true(t.mcu_hung && t.module_drive == 0.0 && !t.switch_closed && t.watchdog_resets > 10);
	assert_int_equal(pad_take_report(&pad, buf, sizeof buf), 0);
	/* mcu:ok is a reset: the firmware boots afresh at zero */
	faults_parse("mcu:ok", &f, err, sizeof err);
	pad_inject(&pad, &f);
	pad_advance(&pad, 100);
	pad_truth(&pad, &t);
	assert_false(t.mcu_hung);
	assert_true(t.module_drive == 0.0);
	assert_int_equal(pad.fw.state, TP_STATE_IDLE);

	/* mcu:reset mid-drive: the firmware boots with no memory of it */
	heartbeat(&pad, 3000, 1000);
	faults_parse("mcu:reset", &f, err, sizeof err);
	pad_inject(&pad, &f);
	assert_int_equal(pad.fw.state, TP_STATE_IDLE);
	assert_int_equal(pad.fw.heartbeat_seen, false);
	pad_advance(&pad, 100);
	pad_truth(&pad, &t);
	assert_true(t.module_drive == 0.0);
}

static void fan_failure_heats_sink(void **state)
{
	(void)state;
	struct model_params p = ref();
	struct fw_config cfg;
	fw_config_reference(&cfg, "PAD-2");
	struct pad pad;
	struct pad_fault f;
	char err[100];
	pad_init(&pad, &p, &cfg, 3, 32.0);
	faults_parse("fan:fail", &f, err, sizeof err);
	pad_inject(&pad, &f);
	heartbeat(&pad, -10000, 300000);
	struct pad_truth t;
	pad_truth(&pad, &t);
	/* the firmware holds cooling back before the heat sink's hard limit */
	printf("# fan failed, full cooling asked for 300 s: sink %.1f C, plate %.1f C\n", t.sink_c, t.plate_c);
	assert_true(t.sink_c > 55.0 && t.sink_c < 70.5);
	assert_false(pad.fw.faults & TP_FAULT_SINK_OVER);
}

static struct pad_truth run_with(const char *spec, int16_t drive, uint32_t ms, struct pad *pad)
{
	struct model_params p = ref();
	struct fw_config cfg;
	fw_config_reference(&cfg, "PAD-3");
	struct pad_fault f;
	char err[200];
	pad_init(pad, &p, &cfg, 11, 32.0);
	heartbeat(pad, 0, 300);
	if (spec) {
		if (faults_parse(spec, &f, err, sizeof err) != 0)
			fail_msg("%s", err);
		assert_int_equal(pad_inject(pad, &f), 0);
	}
	heartbeat(pad, drive, ms);
	struct pad_truth t;
	pad_truth(pad, &t);
	return t;
}

/* The kinds the safety case needed: each does what it says, against the
 * same run without it, and all:ok takes it away. */
static void fault_kinds_for_the_safety_case(void **state)
{
	(void)state;
	static struct pad pad;
	struct pad_truth base = run_with(NULL, 3000, 120000, &pad);
	struct pad_truth t = run_with("tec:reversed", 3000, 120000, &pad);
	assert_true(base.plate_c > 34.0 && t.plate_c < 31.0); /* asked to heat, it cools */
	t = run_with("contact:scale=0", 3000, 120000, &pad);
	printf("# 30 %% heat for 120 s: plate %.2f C on the skin, %.2f C lifted off", base.plate_c, t.plate_c);
	assert_true(t.plate_c > base.plate_c + 0.3); /* off the skin: no tissue to warm */
	t = run_with("contact:scale=2.5", 3000, 120000, &pad);
	printf(", %.2f C strapped tight\n", t.plate_c);
	assert_true(t.plate_c < base.plate_c - 0.3);
	t = run_with("tec:short", 3000, 2000, &pad);
	assert_true(pad.fw.faults & TP_FAULT_OVERCURRENT);
	t = run_with("sensor-a:detached", 3000, 60000, &pad);
	assert_true(pad.fw.temp_cc[0] < 2400 && pad.fw.temp_cc[1] > 3400); /* A reads the room, B the plate */
	t = run_with("sink:drift=2", 0, 60000, &pad);
	assert_true(pad.fw.temp_cc[2] - lround(t.sink_c * 100) > 150); /* 2 C after a minute */
	struct pad_fault f; /* usb:replay is the USB side's: the pad refuses it */
	char err[200];
	faults_parse("usb:replay=3", &f, err, sizeof err);
	assert_int_equal(pad_inject(&pad, &f), -1);

	/* a dead MCU: the hardware watchdog keeps its drive off; a power
	 * cycle restarts it */
	run_with(NULL, 0, 0, &pad);
	heartbeat(&pad, 4000, 500);
	faults_parse("mcu:dead", &f, err, sizeof err);
	pad_inject(&pad, &f);
	pad_advance(&pad, 5000);
	pad_truth(&pad, &t);
	assert_true(t.module_drive == 0.0 && t.mcu_hung && !pad.fw.faults);
	pad_set_powered(&pad, false);
	pad_set_powered(&pad, true);
	pad_advance(&pad, 100);
	pad_truth(&pad, &t);
	assert_true(t.module_drive == 0.0 && !t.mcu_hung);

	/* a bridged fuse never opens (with the load switch welded too, nothing
	 * else can act); fan:slow sits between a good and a dead fan */
	t = run_with("fuse:short", 0, 0, &pad);
	faults_parse("switch:welded", &f, err, sizeof err);
	pad_inject(&pad, &f);
	faults_parse("tec:stuck=1", &f, err, sizeof err);
	pad_inject(&pad, &f);
	pad_advance(&pad, 90000);
	pad_truth(&pad, &t);
	assert_true(t.plate_c > PAD_FUSE_OPEN_C + 5.0 && !t.fuse_open);
	struct pad_truth good = run_with(NULL, -10000, 120000, &pad);
	struct pad_truth half = run_with("fan:slow=0.5", -10000, 120000, &pad);
	struct pad_truth dead = run_with("fan:fail", -10000, 120000, &pad);
	assert_true(good.sink_c < half.sink_c - 1.0 && half.sink_c < dead.sink_c - 1.0);
	faults_parse("all:ok", &f, err, sizeof err);
	pad_inject(&pad, &f);
	assert_true(pad.model.p.sink_to_ambient_w_per_k == ref().sink_to_ambient_w_per_k && !pad.model.fan_failed);
	char name[64];
	size_t n = 0;
	while (faults_rule_name(n, name, sizeof name) == 0)
		n++;
	assert_true(n > 40); /* the grammar as a list, the sensor kinds once per sensor */
	assert_int_equal(faults_rule_name(0, name, sizeof name), 0);
	assert_string_equal(name, "sensor-a:open");
}

/* The exposure record: extremes, dose, cold time and the last drive. */
static void exposure_record(void **state)
{
	(void)state;
	struct pad_truth t = {.time_s = 10, .plate_c = 43.0, .tissue_c = 40.0, .module_drive = 0.5};
	struct exposure e;
	exposure_mark(&e, &t);
	for (int i = 1; i <= 6000; i++) { /* one minute at 43 C: 1 CEM43 minute */
		t.time_s = 10 + i * 0.01;
		t.module_drive = i < 3000 ? 0.5 : 0.0;
		exposure_update(&e, &t, 0.01);
	}
	assert_true(fabs(e.cem43_min - 1.0) < 1e-6);
	assert_true(fabs(e.last_drive_s - 39.99) < 1e-9);
	t.plate_c = 9.0;
	t.fw_faults = 0x4;
	exposure_update(&e, &t, 2.0);
	assert_true(e.cold_s == 2.0 && e.plate_min_c == 9.0 && e.plate_max_c == 43.0 && e.fw_faults == 0x4);
	assert_true(e.fw_fault_s == t.time_s && e.fuse_s < 0);
}


/* The hardware cold cut-out: with the load switch welded and the bridge
 * stuck cooling, on the pad that gets coldest (loose contact), only it acts; the
 * true plate stays above 8 C, the fuse line shows it, and only an unplug
 * resets it. A hold at the lowest setpoint never reaches it. */
static void cold_cutout_acts_alone(void **state)
{
	(void)state;
	struct model_params p = ref();
	p.tissue_to_plate_w_per_k = 0.75;
	struct fw_config cfg;
	fw_config_reference(&cfg, "PAD-4");
	struct pad pad;
	struct pad_fault f;
	struct pad_truth t;
	char err[100];
	pad_init(&pad, &p, &cfg, 7, 14.0);
	faults_parse("switch:welded", &f, err, sizeof err); /* the firmware's cut cannot act */
	pad_inject(&pad, &f);
	faults_parse("tec:stuck=-0.8", &f, err, sizeof err);
	pad_inject(&pad, &f);
	double min_c = 99;
	for (int s = 0; s < 600; s++) {
		pad_advance(&pad, 1000);
		pad_truth(&pad, &t);
		min_c = fmin(min_c, t.plate_c);
	}
	print_message("# load switch welded, bridge stuck at -80 %%: lowest true plate %.2f C\n", min_c);
	assert_true(t.cold_cutout_open);
	assert_true(t.module_drive == 0.0 && t.current_a == 0.0);
	assert_true(min_c > 8.0);
	assert_true(t.plate_c > 10.0); /* and it stays open as the plate warms */
	pad_set_powered(&pad, false);
	pad_advance(&pad, 100);
	pad_truth(&pad, &t);
	assert_false(t.cold_cutout_open);

	/* the cut-out's sensor at 10 C, the lowest setpoint: closed */
	pad_init(&pad, &p, &cfg, 7, 10.0);
	pad_advance(&pad, 10000);
	pad_truth(&pad, &t);
	assert_false(t.cold_cutout_open);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(energy_balance),      cmocka_unit_test(published_figures),
		cmocka_unit_test(steady_states),       cmocka_unit_test(sensor_statistics),
		cmocka_unit_test(reference_file_matches_defaults), cmocka_unit_test(broken_descriptions),
		cmocka_unit_test(fault_grammar),       cmocka_unit_test(pad_faults_reach_firmware),
		cmocka_unit_test(fan_failure_heats_sink), cmocka_unit_test(switch_relay_and_mcu),
		cmocka_unit_test(cold_cutout_acts_alone),
		cmocka_unit_test(fault_kinds_for_the_safety_case), cmocka_unit_test(exposure_record),
	};
	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
