/* SPDX-License-Identifier: MIT */
/* The interlock's decisions: a press acts at once, a release only after
 * the debounce; clearing waits for it; the relay closes only for a healthy
 * running session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "interlock.h"

static const struct interlock_pad running_heat = {.present = true, .running = true, .heating = true};

static void press_acts_at_once_release_after_debounce(void **state)
{
	(void)state;
	struct interlock il;
	char err[200];
	interlock_init(&il, 50, false, 0.0);
	assert_true(interlock_outputs(&il, &running_heat, 1).relay);
	assert_true(interlock_on_level(&il, true, 1.000)); /* a new press */
	assert_false(interlock_on_level(&il, true, 1.010)); /* not again */
	assert_false(interlock_outputs(&il, &running_heat, 1).relay);
	assert_true(interlock_outputs(&il, &running_heat, 1).fault);
	assert_int_equal(interlock_clear_allowed(&il, err, sizeof err), -1);
	assert_non_null(strstr(err, "still pressed"));
	/* contact bounce on release: each pressed reading restarts the wait */
	interlock_on_level(&il, false, 2.000);
	interlock_on_level(&il, true, 2.020);
	interlock_on_level(&il, false, 2.030);
	interlock_on_tick(&il, 2.070);
	assert_int_equal(interlock_clear_allowed(&il, err, sizeof err), -1);
	assert_non_null(strstr(err, "debounce"));
	interlock_on_tick(&il, 2.081);
	assert_int_equal(interlock_clear_allowed(&il, err, sizeof err), 0);
}

static void pressed_at_start_counts(void **state)
{
	(void)state;
	struct interlock il;
	char err[200];
	interlock_init(&il, 20, true, 0.0);
	assert_false(interlock_outputs(&il, &running_heat, 1).relay);
	assert_int_equal(interlock_clear_allowed(&il, err, sizeof err), -1);
}

static void relay_only_for_a_healthy_running_session(void **state)
{
	(void)state;
	struct interlock il;
	interlock_init(&il, 20, false, 0.0);
	struct interlock_pad p[2] = {running_heat, {.present = true}};
	struct interlock_outputs o = interlock_outputs(&il, p, 2);
	assert_true(o.relay && o.heat && !o.cold && !o.fault);
	p[0].running = false; /* stopped, paused or idle */
	assert_false(interlock_outputs(&il, p, 2).relay);
	p[0].running = true;
	p[1].fault = true; /* another pad's fault opens the one relay */
	o = interlock_outputs(&il, p, 2);
	assert_true(!o.relay && o.fault && !o.heat);
	p[1] = (struct interlock_pad){.present = false, .fault = true}; /* a pad lost, "disconnected" */
	assert_false(interlock_outputs(&il, p, 2).relay);
	p[1] = (struct interlock_pad){0};
	p[0].heating = false, p[0].cooling = true;
	o = interlock_outputs(&il, p, 2);
	assert_true(o.relay && o.cold && !o.heat);
	assert_false(interlock_outputs(&il, p, 0).relay); /* no pad at all */
}

static void a_failed_line_latches(void **state)
{
	(void)state;
	struct interlock il;
	char err[200];
	interlock_init(&il, 20, false, 0.0);
	interlock_fail(&il);
	assert_false(interlock_outputs(&il, &running_heat, 1).relay);
	assert_true(interlock_outputs(&il, &running_heat, 1).fault);
	assert_int_equal(interlock_clear_allowed(&il, err, sizeof err), -1);
	assert_non_null(strstr(err, "failed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(press_acts_at_once_release_after_debounce),
		cmocka_unit_test(pressed_at_start_counts),
		cmocka_unit_test(relay_only_for_a_healthy_running_session),
		cmocka_unit_test(a_failed_line_latches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
