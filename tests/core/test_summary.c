/* SPDX-License-Identifier: MIT */
/* A session's summary: phases as they ran, time in the band while
 * running only, plate extremes over both sensors, marks in order. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "summary.h"

static struct session_summary sum;

/* A status at step (1-based) of kind and target, in the band or not */
static struct core_status status(int step, const char *kind, double target, bool in_band, enum core_state state)
{
	struct core_status st;
	memset(&st, 0, sizeof st);
	st.state = state;
	st.step = step;
	st.phase_kind = kind;
	snprintf(st.phase_name, sizeof st.phase_name, "%s%d", kind, step);
	st.target_c = target;
	st.in_band = in_band;
	return st;
}

static void phases_and_time_at_target(void **state)
{
	(void)state;
	summary_begin(&sum);
	double plate[2] = {33.0, 33.2};
	struct core_status st = status(1, "heat", 40, false, CORE_RUNNING);
	for (int i = 0; i <= 100; i++) { /* 10 s: 3 approaching, 5 in the band, 2 paused in it */
		double t = i * 0.1;
		st.in_band = t > 3.0;
		st.state = t > 8.0 ? CORE_PAUSED : CORE_RUNNING;
		plate[0] = 33 + 0.7 * t, plate[1] = NAN; /* sensor B not read */
		summary_sample(&sum, t, &st, plate);
	}
	st = status(2, "cold", 12, false, CORE_RUNNING);
	st.dose_cem43_min = 0.25, st.cold_session_s = 4;
	plate[0] = 20, plate[1] = 19.5;
	summary_sample(&sum, 10.1, &st, plate);
	assert_int_equal(sum.nphases, 2);
	assert_string_equal(sum.phases[0].kind, "heat");
	assert_float_equal(sum.phases[0].target_c, 40, 1e-9);
	assert_float_equal(sum.phases[0].at_target_s, 5.0, 0.11);
	assert_float_equal(sum.phases[0].end_s, 10.1, 1e-9);
	assert_float_equal(sum.phases[1].start_s, 10.1, 1e-9);
	assert_float_equal(sum.plate_max_c, 40.0, 1e-9);
	assert_float_equal(sum.plate_min_c, 19.5, 1e-9);
	assert_float_equal(sum.dose_cem43_min, 0.25, 1e-9);
	assert_float_equal(sum.cold_s, 4, 1e-9);
}

/* The same kind and target again (the next cycle) is a phase of its own;
 * the time until the next sample belongs to the phase a sample was in */
static void a_repeated_phase_is_a_new_one(void **state)
{
	(void)state;
	summary_begin(&sum);
	double plate[2] = {35, 35};
	struct core_status a = status(1, "heat", 40, true, CORE_RUNNING), b = status(2, "heat", 40, true, CORE_RUNNING);
	summary_sample(&sum, 0, &a, plate);
	summary_sample(&sum, 1, &a, plate);
	summary_sample(&sum, 2, &b, plate);
	summary_sample(&sum, 3, &b, plate);
	assert_int_equal(sum.nphases, 2);
	assert_float_equal(sum.phases[0].at_target_s, 2, 1e-9);
	assert_float_equal(sum.phases[1].at_target_s, 1, 1e-9);
}

static void marks_in_order_and_faults_once(void **state)
{
	(void)state;
	summary_begin(&sum);
	double plate[2] = {35, 35};
	struct core_status st = status(1, "heat", 40, false, CORE_RUNNING);
	summary_sample(&sum, 0, &st, plate);
	summary_request(&sum, 1, "pause");
	summary_request(&sum, 2, "clear-faults"); /* not a mark */
	summary_request(&sum, 3, "resume");
	st.fault = true;
	snprintf(st.fault_code, sizeof st.fault_code, "plate-over");
	summary_sample(&sum, 4, &st, plate);
	summary_sample(&sum, 5, &st, plate); /* still latched: not again */
	assert_int_equal(sum.nmarks, 3);
	assert_string_equal(sum.marks[0].kind, "pause");
	assert_string_equal(sum.marks[1].kind, "resume");
	assert_string_equal(sum.marks[2].kind, "fault");
	assert_string_equal(sum.marks[2].code, "plate-over");
	assert_float_equal(sum.marks[2].t_s, 4, 1e-9);
	for (int i = 0; i < SUMMARY_MARKS_MAX + 3; i++)
		summary_request(&sum, 6 + i, "skip");
	assert_int_equal(sum.nmarks, SUMMARY_MARKS_MAX);
	assert_int_equal(sum.marks_dropped, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(phases_and_time_at_target),
		cmocka_unit_test(a_repeated_phase_is_a_new_one),
		cmocka_unit_test(marks_in_order_and_faults_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
