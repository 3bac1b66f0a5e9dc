/* SPDX-License-Identifier: MIT */
/*
 * The pad module on the pad's device time, with a fake link: a report
 * that did not advance is dropped (it used to reset the stale timer),
 * arrival jitter does not reach the core's windows, device time going
 * back is a restart (limits and watchdog sent again), the report period
 * is the one GET_INFO announced, a clear with nothing latched sends
 * nothing, and a reload reaches the pads already connected. Microseconds.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pad/pad.h"

struct fake {
	int drives, limits, watchdogs, clears;
	int resets_told;
};

static int send_drive(void *link, const struct tp_set_output *cmd)
{
	(void)cmd;
	((struct fake *)link)->drives++;
	return 0;
}
static int set_limits(void *link, const struct tp_set_limits *lim)
{
	(void)lim;
	((struct fake *)link)->limits++;
	return 0;
}
static int set_watchdog(void *link, const struct tp_set_watchdog *wd)
{
	(void)wd;
	((struct fake *)link)->watchdogs++;
	return 0;
}
static int clear_faults(void *link)
{
	((struct fake *)link)->clears++;
	return 0;
}
static void on_event(void *ctx, const struct pad_slot *p, const struct pad_event *e)
{
	(void)p;
	if (e->kind == PAD_RESET)
		((struct fake *)ctx)->resets_told++;
}

static struct pad_table table;
static struct fake fake;

static struct pad_slot *attach(unsigned period_ms)
{
	memset(&fake, 0, sizeof fake);
	struct pad_table_config cfg = {.watchdog_ms = 1000, .time_scale = 1.0};
	safety_limits_default(&cfg.limits);
	struct pad_link_ops ops = {.send_drive = send_drive, .send_drive_now = send_drive, .clear_faults = clear_faults,
				   .set_limits = set_limits, .set_watchdog = set_watchdog};
	pad_table_init(&table, &cfg, &ops);
	pad_table_add_sink(&table, &(struct pad_sink){.ctx = &fake, .on_event = on_event});
	struct tp_info info = {.telemetry_period_ms = (uint16_t)period_ms};
	snprintf(info.serial, sizeof info.serial, "TP-T1");
	info.hard_limits = (struct tp_limits){.plate_max_cc = 4500, .plate_min_cc = 500, .sink_max_cc = 7000,
					      .current_max_ma = 6000};
	char err[200];
	struct pad_slot *p = pad_attach(&table, &fake, &info, NULL, NULL, 0.0, err, sizeof err);
	if (!p)
		fail_msg("%s", err);
	return p;
}

static void frame(struct pad_slot *p, uint16_t seq, uint32_t device_ms, double arrival)
{
	struct tp_telemetry t = {.seq = seq, .device_time_ms = device_ms, .plate_a_cc = 3200, .plate_b_cc = 3201,
				 .sink_cc = 2500};
	pad_on_frame(p, &t, arrival);
}

/* 1. A report repeated (the same sequence and device time) is dropped:
 * the stale check sees that nothing new came. */
static void a_repeat_is_not_fresh(void **state)
{
	(void)state;
	struct pad_slot *p = attach(100);
	frame(p, 1, 1000, 0.0);
	for (int i = 1; i <= 30; i++) {
		frame(p, 1, 1000, i * 0.1);
		pad_tick(&table, i * 0.1);
	}
	assert_int_equal((int)p->repeated, 30);
	/* idle: told as a warning, not latched (tests/core/test_safety.c) */
	struct core_status st;
	core_status(&p->core, &st);
	assert_int_equal(st.nwarnings, 1);
	assert_string_equal(st.warnings[0], "stale-telemetry");
}

/* 2. Arrival jitter does not reach the core: its samples are 100 ms
 * apart as the pad measured them. */
static void the_core_runs_on_device_time(void **state)
{
	(void)state;
	struct pad_slot *p = attach(100);
	double last = NAN;
	for (int i = 0; i < 20; i++) {
		frame(p, (uint16_t)(i + 1), 5000 + 100 * (uint32_t)i, i * 0.1 + (i % 2 ? 0.06 : -0.04));
		if (!isnan(last))
			assert_true(fabs(p->core.last_t - last - 0.1) < 1e-9);
		last = p->core.last_t;
	}
	assert_false(p->core.safety.latched);
}

static void start_heat(struct pad_slot *p)
{
	struct plan plan;
	memset(&plan, 0, sizeof plan);
	plan.cycles = plan.nphases = 1;
	plan.band_c = 0.5;
	plan.phases[0] = (struct phase){.kind = PHASE_HEAT, .target_c = 38, .duration_s = 600};
	struct profile prof = {.plan = plan};
	char err[300];
	assert_int_equal(pad_start(p, &prof, "test", 1.0, 0, err, sizeof err), PAD_OK);
}

/* 3. Device time going back: the pad restarted; its limits and watchdog
 * go out again, and a session in progress latches pad-reset. */
static void device_time_back_is_a_restart(void **state)
{
	(void)state;
	struct pad_slot *p = attach(100);
	for (int i = 0; i < 10; i++)
		frame(p, (uint16_t)(i + 1), 60000 + 100 * (uint32_t)i, i * 0.1);
	start_heat(p);
	int limits = fake.limits, watchdogs = fake.watchdogs;
	frame(p, 1, 100, 1.1); /* booted again */
	assert_int_equal(fake.resets_told, 1);
	assert_int_equal(fake.limits, limits + 1);
	assert_int_equal(fake.watchdogs, watchdogs + 1);
	assert_true(p->core.safety.latched);
	assert_string_equal(p->core.safety.code, "pad-reset");
	assert_non_null(strstr(p->core.safety.message, "went back from 60900 to 100 ms"));
}

/* 4. The report period GET_INFO announced (200 ms): the heartbeat tick
 * waits 1.5 periods, not 0.15 s, before speaking for the pad. */
static void the_announced_report_period(void **state)
{
	(void)state;
	struct pad_slot *p = attach(200);
	assert_true(p->core.cfg.report_period_s == 0.2);
	assert_true(pad_table_period_s(&table) == 0.2);
	frame(p, 1, 1000, 0.0);
	int drives = fake.drives;
	pad_tick(&table, 0.2); /* a report is due now, not missing */
	assert_int_equal(fake.drives, drives);
	pad_tick(&table, 0.35);
	assert_int_equal(fake.drives, drives + 1);
}


/* 5. A clear with nothing latched sends nothing to the pad (a
 * CLEAR_FAULTS dropped the firmware to idle until the next heartbeat)
 * and leaves the session running. */
static void a_clear_with_nothing_latched_sends_nothing(void **state)
{
	(void)state;
	struct pad_slot *p = attach(100);
	for (int i = 0; i < 10; i++)
		frame(p, (uint16_t)(i + 1), 60000 + 100 * (uint32_t)i, i * 0.1);
	start_heat(p);
	frame(p, 11, 61000, 1.0);
	char err[300] = "";
	assert_int_equal(pad_clear_faults(p, 1.05, err, sizeof err), PAD_OK);
	assert_int_equal(fake.clears, 0);
	assert_int_equal(p->core.state, CORE_RUNNING);
	frame(p, 12, 61100, 1.1);
	assert_false(p->core.safety.latched);
	assert_int_equal(p->core.state, CORE_RUNNING);
}

/* 6. A reload narrows the pads already connected: their cores take the
 * new limits at once, and SET_LIMITS and SET_WATCHDOG go out again (a
 * session started after a reload to session_max_min = 2 ran past 4 min). */
static void a_reload_narrows_the_pads_connected(void **state)
{
	(void)state;
	struct pad_slot *p = attach(100);
	frame(p, 1, 1000, 0.0);
	int limits = fake.limits, watchdogs = fake.watchdogs;
	struct pad_table_config cfg = table.cfg;
	cfg.limits.session_max_s = 120;
	pad_table_configure(&table, &cfg);
	assert_true(p->core.cfg.limits.session_max_s == 120);
	assert_true(p->core.safety.lim.session_max_s == 120);
	assert_int_equal(fake.limits, limits + 1);
	assert_int_equal(fake.watchdogs, watchdogs + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_repeat_is_not_fresh),
		cmocka_unit_test(the_core_runs_on_device_time),
		cmocka_unit_test(device_time_back_is_a_restart),
		cmocka_unit_test(the_announced_report_period),
		cmocka_unit_test(a_clear_with_nothing_latched_sends_nothing),
		cmocka_unit_test(a_reload_narrows_the_pads_connected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
