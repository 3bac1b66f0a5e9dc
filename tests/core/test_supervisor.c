/* SPDX-License-Identifier: MIT */
/*
 * The supervisor's session paths: a fault cleared once its cause is gone
 * (judged on the pad's next reports when the firmware latched it), a stop
 * with a fault latched, a pause that is nobody's runaway, caps that end a
 * session in order and are checked before it starts, a tune that ends the
 * supervisor's session with it, targets out of reach, ramps, and the
 * telemetry gap that is not condition time. Each scenario is numbered
 * after the item it proves; all run in model time, in microseconds.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "profile.h"
#include "rig.h"
#include "thermopad_proto.h"

static void samples(struct rig *r, int n, double plate, double sink)
{
	for (int i = 0; i < n; i++)
		rig_sample(r, plate + (i % 2) * 0.01, sink);
}

static bool saw_event(struct rig *r, int n, double plate, double sink, const char *code)
{
	for (int i = 0; i < n; i++) {
		rig_sample(r, plate + (i % 2) * 0.01, sink);
		if (rig_event(r, code))
			return true;
	}
	return false;
}

/* 1. A firmware fault (the watchdog after a stall): the clear goes to the
 * pad, and the next reports without the bit clear the host's latch too. */
static void clear_firmware_fault_judged_on_the_next_reports(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	samples(&r, 5, 36, 25);
	r.s.fw_faults = TP_FAULT_WATCHDOG;
	r.s.fw_state = TP_STATE_FAULT;
	rig_sample(&r, 36, 25);
	const struct core_event *e = rig_event(&r, "firmware-fault");
	assert_non_null(e);
	assert_non_null(strstr(e->message, "watchdog (no command reached it"));
	assert_null(strstr(e->message, "0x1"));
	char why[512] = "";
	assert_int_equal(core_clear_faults(&r.core, r.t, why, sizeof why), CORE_CLEAR_PENDING);
	assert_true(r.core.safety.latched); /* until the reports say so */
	rig_sample(&r, 36, 25); /* a report built before the clear */
	assert_true(r.core.safety.latched);
	r.s.fw_faults = 0;
	r.s.fw_state = TP_STATE_IDLE;
	rig_sample(&r, 36, 25);
	assert_non_null(rig_event(&r, "faults-cleared"));
	assert_false(r.core.safety.latched);
	assert_int_equal(r.core.state, CORE_PAUSED); /* a person resumes */
	assert_true(r.out.drive == 0.0);
	assert_int_equal(core_resume(&r.core, r.t, why, sizeof why), 0);
	samples(&r, 5, 36, 25);
	assert_true(r.out.drive > 0.2);
}

/* 1b. The firmware latches again after CLEAR_FAULTS: refused, naming the
 * bit by its protocol name, and the latch stays. */
static void clear_refused_when_the_firmware_latches_again(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	r.s.fw_faults = TP_FAULT_SENSOR_A_OPEN;
	rig_sample(&r, 36, 25);
	assert_true(r.core.safety.latched);
	char why[512] = "";
	assert_int_equal(core_clear_faults(&r.core, r.t, why, sizeof why), CORE_CLEAR_PENDING);
	assert_true(saw_event(&r, 12, 36, 25, "clear-refused"));
	const struct core_event *e = rig_event(&r, "clear-refused");
	assert_non_null(strstr(e->message, "sensor-a-open"));
	assert_non_null(strstr(e->message, "check the cable"));
	assert_true(r.core.safety.latched);
	assert_true(r.out.drive == 0.0);
}

/* 2. Nothing latched: a clear changes nothing (and asks nothing of the
 * pad). */
static void clear_with_nothing_latched_changes_nothing(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	samples(&r, 5, 36, 25);
	double drive = r.out.drive;
	char why[256] = "";
	assert_int_equal(core_clear_faults(&r.core, r.t, why, sizeof why), 0);
	assert_int_equal(r.core.state, CORE_RUNNING);
	rig_sample(&r, 36, 25);
	assert_true(fabs(r.out.drive - drive) < 0.1);
}

/* 3. Unplugged: the clear is refused while the pad is away; once it is
 * back, the clear works and a stop ends the session at once. */
static void disconnected_unplug_replug_clear_stop(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	samples(&r, 5, 36, 25);
	core_external_fault(&r.core, r.t, "disconnected", "pad TP-1 left the bus", &r.out);
	char why[512] = "";
	r.t += 5;
	core_on_tick(&r.core, r.t, &r.out);
	assert_int_equal(core_clear_faults(&r.core, r.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "still disconnected"));
	/* back on the bus after a long absence: no second fault for the gap */
	samples(&r, 3, 36, 25);
	assert_string_equal(r.core.safety.code, "disconnected");
	if (core_clear_faults(&r.core, r.t, why, sizeof why) != 0)
		fail_msg("clear refused: %s", why);
	assert_false(r.core.safety.latched);
	assert_int_equal(core_stop(&r.core, r.t, why, sizeof why), 0);
	assert_int_equal(r.core.state, CORE_IDLE);
	samples(&r, 3, 36, 25);
	assert_false(r.core.safety.latched);
}

/* 4. A clear re-judges the condition of the fault it clears: the bridge
 * still drawing current with the drive off. */
static void clear_rejudges_drive_while_off(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 32);
	r.s.current_a = 4.0;
	for (int i = 0; i < 30 && !r.core.safety.latched; i++)
		rig_sample(&r, 32, 25);
	assert_string_equal(r.core.safety.code, "drive-while-off");
	char why[512] = "";
	assert_int_equal(core_clear_faults(&r.core, r.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "still draws 4.00 A"));
	r.s.current_a = 0.0;
	rig_sample(&r, 32, 25);
	if (core_clear_faults(&r.core, r.t, why, sizeof why) != 0)
		fail_msg("clear refused: %s", why);
}

/* 4b. ... and a runaway with the heat sink still hot. */
static void clear_rejudges_runaway(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 30);
	double plate = 30;
	for (int i = 0; i < 400 && !r.core.safety.latched; i++) {
		plate += 0.02;
		rig_sample(&r, plate, 45);
	}
	assert_string_equal(r.core.safety.code, "runaway-wrong-way");
	rig_sample(&r, plate, 52); /* the sink still heating */
	char why[512] = "";
	assert_int_equal(core_clear_faults(&r.core, r.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "heat sink still reads"));
	rig_sample(&r, 30, 30);
	if (core_clear_faults(&r.core, r.t, why, sizeof why) != 0)
		fail_msg("clear refused: %s", why);
}

/* 5. A 90 s pause, then resume: the hold window starts again (it tripped
 * at once). */
static void a_long_pause_is_not_a_runaway(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 15, 15);
	samples(&r, 20, 15, 25);
	assert_int_equal(r.core.run.state, PLAN_HOLD);
	char why[256];
	assert_int_equal(core_pause(&r.core, r.t, why, sizeof why), 0);
	samples(&r, 900, 27.85, 25); /* the plate warms while paused */
	assert_int_equal(core_resume(&r.core, r.t, why, sizeof why), 0);
	samples(&r, 20, 27.85, 25);
	if (r.core.safety.latched)
		fail_msg("latched at resume: %s", r.core.safety.message);
}

/* 6. Stop with a fault latched: the session ends (it stayed "stopping"). */
static void stop_with_a_fault_latched(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_HEAT, 40, 36);
	samples(&r, 5, 36, 25);
	rig_sample(&r, 45.5, 25);
	assert_true(r.core.safety.latched);
	char why[256];
	assert_int_equal(core_stop(&r.core, r.t, why, sizeof why), 0);
	samples(&r, 3, 45.5, 25);
	assert_int_equal(r.core.state, CORE_IDLE);
	assert_string_equal(r.core.outcome, "stopped");
}

/* 7. A tune that aborts ends the supervisor's session: no session-length
 * an hour later, no dose while idle. */
static void an_aborted_tune_ends_the_supervisor_session(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 38.25);
	char why[256];
	assert_int_equal(core_stop(&r.core, r.t, why, sizeof why), 0);
	assert_int_equal(r.core.state, CORE_IDLE);
	assert_int_equal(core_tune(&r.core, true, r.t, why, sizeof why), 0);
	/* above the tuning target the hold needs no heat: too little to tune on */
	assert_true(saw_event(&r, 2000, 38.25, 25, "tune-aborted"));
	assert_int_equal(r.core.state, CORE_IDLE);
	assert_false(r.core.safety.session_running);
	double dose = safety_dose(&r.core.safety);
	samples(&r, 20, 42, 25);
	assert_true(safety_dose(&r.core.safety) == dose);
}

/* 8. Caps are checked before a session starts, with the numbers. */
static void caps_are_checked_at_start(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 32);
	char why[256];
	core_stop(&r.core, r.t, why, sizeof why);
	struct plan p = rig_plan(PHASE_HEAT, 40, 70);
	assert_int_equal(core_start(&r.core, &p, r.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "70.0 min"));
	assert_non_null(strstr(why, "session cap of 60 min"));
	/* two cold phases of 20 min, four cycles: more cold than a session allows */
	struct plan c = rig_plan(PHASE_COLD, 12, 20);
	c.cycles = 3;
	r.core.cfg.limits.session_max_s = 7200;
	assert_int_equal(core_start(&r.core, &c, r.t, why, sizeof why), -1);
	assert_non_null(strstr(why, "cold_session_max_min"));
	/* and profiles validate says the same */
	struct safety_limits lim;
	safety_limits_default(&lim);
	struct profile prof;
	struct profile_error pe;
	const char *text = "[profile]\ndescription = long\n[phase.h]\nkind = heat\ntarget_c = 40\nduration_min = 61\n";
	assert_int_equal(profile_parse(text, "long.ini", "long", &lim, 32.0, &prof, &pe), -1);
	assert_non_null(strstr(pe.text, "61.0 min"));
}

/* 9. A cold phase of the longest allowed length, with its approach, runs
 * to its end: validation and the cap agree. */
static void the_longest_cold_phase_completes(void **state)
{
	(void)state;
	struct rig r;
	memset(&r, 0, sizeof r);
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&r.core, &cfg);
	rig_sample(&r, 30, 25);
	struct plan p = rig_plan(PHASE_COLD, 12, 20);
	char why[256];
	if (core_start(&r.core, &p, r.t, why, sizeof why) != 0)
		fail_msg("refused: %s", why);
	double plate = 30;
	for (int i = 0; i < 60 * 10 * 30 && r.core.state != CORE_IDLE; i++) {
		if (plate > 12.0)
			plate -= 0.01; /* a slow pull-down: 180 s from 30 to 12 C */
		rig_sample(&r, plate + (i % 2) * 0.01, 25);
		if (rig_event(&r, "dose-cold-phase"))
			fail_msg("cap at %.0f s: %s", r.t, rig_event(&r, "dose-cold-phase")->message);
	}
	assert_string_equal(r.core.outcome, "completed");
	assert_false(r.core.safety.latched);
}

/* 10. A slow ramp (0.5 C/min) followed closely is progress: the check
 * compares with the ramped setpoint, not the final target. */
static void a_slow_ramp_is_progress(void **state)
{
	(void)state;
	struct rig r;
	memset(&r, 0, sizeof r);
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&r.core, &cfg);
	rig_sample(&r, 32, 25);
	struct plan p = rig_plan(PHASE_HEAT, 40, 2);
	p.phases[0].ramp_c_per_s = 0.5 / 60;
	char why[256];
	if (core_start(&r.core, &p, r.t, why, sizeof why) != 0)
		fail_msg("refused: %s", why);
	for (int i = 0; i < 10 * 60 * 10; i++) {
		double sp = isnan(r.core.run.setpoint) ? 32 : r.core.run.setpoint;
		rig_sample(&r, sp - 0.3 + (i % 2) * 0.01, 25);
		if (r.core.safety.latched)
			fail_msg("latched at %.0f s: %s", r.t, r.core.safety.message);
	}
}

/* 11. A target out of reach (a weak module, a warm room): full drive, the
 * plate steady short of it, the sink fine: a warning, the phase runs from
 * the closest band, no fault. */
static void a_target_out_of_reach_warns_and_holds(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 30);
	double plate = 30;
	bool warned = false;
	for (int i = 0; i < 15 * 60 * 10 && r.core.state != CORE_IDLE; i++) {
		if (plate > 14.2)
			plate -= 0.02;
		rig_sample(&r, plate + (i % 2) * 0.01, 30);
		const struct core_event *e = rig_event(&r, "out-of-reach");
		if (e) {
			warned = true;
			assert_non_null(strstr(e->message, "12.00 C is out of reach on this pad: holding at 14."));
		}
		if (r.core.safety.latched)
			fail_msg("latched at %.0f s: %s", r.t, r.core.safety.message);
	}
	assert_true(warned);
	assert_int_equal(r.core.state, CORE_IDLE); /* the 10 min phase ran at 14.2 C */
	assert_string_equal(r.core.outcome, "completed");
}

/* 11b. ... but the plate moving away from an unreachable target under full
 * drive is a fault. */
static void moving_away_from_an_unreachable_target_is_a_fault(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 30);
	double plate = 30;
	for (int i = 0; i < 15 * 60 * 10 && !r.core.safety.latched; i++) {
		if (i < 800)
			plate -= 0.02; /* down to 14 C */
		else
			plate += 0.0004; /* then warming, slowly, under full cooling */
		rig_sample(&r, plate + (i % 2) * 0.01, 30);
	}
	assert_true(r.core.safety.latched);
	assert_true(!strcmp(r.core.safety.code, "runaway-hold") || !strcmp(r.core.safety.code, "runaway-no-progress"));
}

/* 12. A telemetry gap (the daemon stopped for 3 s) is not time any
 * window counts: one frame after it, carrying the current measured before
 * the zero was applied, is not a stuck bridge (the 1-in-60 trip of the
 * endurance bench), and the gap is what the warning names. */
static void a_gap_is_not_condition_time(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_OFF, 0, 32);
	samples(&r, 50, 32, 25);
	r.t += 1.2;
	r.s.current_a = 2.0;
	rig_sample(&r, 32, 25);
	r.s.current_a = 0.0;
	rig_sample(&r, 32, 25);
	if (r.core.safety.latched)
		fail_msg("latched: %s", r.core.safety.message);
	/* a frozen sensor's window does not span the gap either: plate A
	 * still while B moves 0.25 C, short of the 0.3 C that proves A
	 * frozen; B's next 0.1 C comes after the gap */
	rig_start(&r, PHASE_HEAT, 40, 30);
	double plate = 30;
	for (int i = 0; i < 150; i++) {
		plate += 0.25 / 150;
		r.t += 0.1, r.s.t = r.t;
		r.s.plate_c[0] = 30.0;
		r.s.plate_c[1] = plate;
		core_on_sample(&r.core, &r.s, &r.out);
	}
	assert_false(r.core.safety.latched);
	r.t += 6.0, r.s.t = r.t + 0.1;
	r.s.plate_c[1] = plate + 0.1;
	core_on_sample(&r.core, &r.s, &r.out);
	const struct core_event *e = rig_event(&r, "telemetry-gap");
	assert_non_null(e);
	assert_non_null(strstr(e->message, "6.10 s of the pad's time between samples"));
	if (r.core.safety.latched)
		fail_msg("latched: %s", r.core.safety.message);
}

/* 13. The fast wrong-way window does not span lost reports: the plate
 * warmed while nobody saw the drive (the firmware had cut it). */
static void lost_reports_are_not_the_wrong_way(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, PHASE_COLD, 12, 14);
	r.s.drive_applied = -1.0; /* the firmware applies full cooling */
	for (int i = 0; i < 50; i++)
		rig_sample(&r, 14 - i * 0.002, 25);
	r.t += 1.2; /* twelve reports lost; meanwhile the plate warmed */
	for (int i = 0; i < 20; i++)
		rig_sample(&r, 14.6 - i * 0.002, 25);
	if (r.core.safety.latched)
		fail_msg("latched: %s", r.core.safety.message);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clear_firmware_fault_judged_on_the_next_reports),
		cmocka_unit_test(clear_refused_when_the_firmware_latches_again),
		cmocka_unit_test(clear_with_nothing_latched_changes_nothing),
		cmocka_unit_test(disconnected_unplug_replug_clear_stop),
		cmocka_unit_test(clear_rejudges_drive_while_off),
		cmocka_unit_test(clear_rejudges_runaway),
		cmocka_unit_test(a_long_pause_is_not_a_runaway),
		cmocka_unit_test(stop_with_a_fault_latched),
		cmocka_unit_test(an_aborted_tune_ends_the_supervisor_session),
		cmocka_unit_test(caps_are_checked_at_start),
		cmocka_unit_test(the_longest_cold_phase_completes),
		cmocka_unit_test(a_slow_ramp_is_progress),
		cmocka_unit_test(a_target_out_of_reach_warns_and_holds),
		cmocka_unit_test(moving_away_from_an_unreachable_target_is_a_fault),
		cmocka_unit_test(a_gap_is_not_condition_time),
		cmocka_unit_test(lost_reports_are_not_the_wrong_way),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
