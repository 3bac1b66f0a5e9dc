/* SPDX-License-Identifier: MIT */
/* The time to reach a target, from the controller's model of the
 * reference pad, against what the simulated reference pad takes
 * (docs/bench/control.md, at full drive: 32 to 40 C in 6.1 s, 40 to 12 C
 * in 142 s): within a third either way. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "approach.h"

static struct thermal_params ref;

static int setup(void **state)
{
	(void)state;
	thermal_params_default(&ref);
	return 0;
}

static void heating_as_the_pad_does(void **state)
{
	(void)state;
	struct approach_state st = {.plate_c = 32, .tissue_c = 33, .sink_c = 25, .ambient_c = 25};
	double t = approach_time_s(&ref, &st, 40, 0.0);
	assert_true(t > 6.1 / 1.33 && t < 6.1 * 1.33);
	assert_float_equal(st.plate_c, 40, 1e-9); /* left at the target */
}

static void cooling_as_the_pad_does(void **state)
{
	(void)state;
	struct approach_state st = {.plate_c = 40, .tissue_c = 38, .sink_c = 25, .ambient_c = 25};
	double t = approach_time_s(&ref, &st, 12, 0.0);
	assert_true(t > 142 / 1.33 && t < 142 * 1.33);
}

static void in_the_band_and_out_of_reach(void **state)
{
	(void)state;
	struct approach_state st = {.plate_c = 39.8, .tissue_c = 38, .sink_c = 25, .ambient_c = 25};
	assert_float_equal(approach_time_s(&ref, &st, 40, 0.5), 0, 1e-9);
	st = (struct approach_state){.plate_c = 30, .tissue_c = 33, .sink_c = 25, .ambient_c = 25};
	assert_float_equal(approach_time_s(&ref, &st, -40, 0.5), APPROACH_MAX_S, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(heating_as_the_pad_does),
		cmocka_unit_test(cooling_as_the_pad_does),
		cmocka_unit_test(in_the_band_and_out_of_reach),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
