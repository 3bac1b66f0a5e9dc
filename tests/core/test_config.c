/* SPDX-License-Identifier: MIT */
/* thermopad.conf: narrowing accepted, widening refused, errors with lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static void shipped_file_parses(void **state)
{
	(void)state;
	static char text[16384];
	FILE *f = fopen("etc/thermopad.conf", "r");
	assert_non_null(f);
	text[fread(text, 1, sizeof text - 1, f)] = '\0';
	fclose(f);
	struct config c, d;
	struct config_error e;
	if (config_parse(text, "etc/thermopad.conf", &c, &e) != 0)
		fail_msg("%s", e.text);
	config_defaults(&d);
	assert_memory_equal(&c.limits, &d.limits, sizeof c.limits); /* all commented: defaults */
	assert_false(c.gpio.enabled);
}

static void narrowing(void **state)
{
	(void)state;
	struct config c;
	struct config_error e;
	const char *ok = "[safety]\nplate_max_c = 43\nsetpoint_max_c = 40\nsession_max_min = 90\n"
			 "[socket]\nread_only_others = yes\n[pad]\nserial = TP-7\n";
	if (config_parse(ok, "t.conf", &c, &e) != 0)
		fail_msg("%s", e.text);
	assert_true(c.limits.plate_max_c == 43);
	assert_true(c.limits.session_max_s == 90 * 60); /* up to the 120 min hard cap */
	assert_true(c.read_only_others);
	assert_string_equal(c.pad_serial, "TP-7");
}

static void widening_refused(void **state)
{
	(void)state;
	static const struct {
		const char *text, *error;
	} cases[] = {
		{"[safety]\n\nplate_max_c = 46\n",
		 "t.conf:3: [safety] plate_max_c = 46 is beyond the hard limit 45: limits can only be narrowed"},
		{"[safety]\nsetpoint_min_c = 8\n", "t.conf:2: [safety] setpoint_min_c = 8 is beyond the hard limit 10"},
		{"[safety]\nsession_max_min = 121\n", "t.conf:2: [safety] session_max_min = 121 is beyond"},
		{"[safety]\nplate_max_c = hot\n", "t.conf:2: [safety] plate_max_c: 'hot' is not a number"},
		{"[safety]\nplate_maximum = 40\n", "t.conf:2: [safety]: unknown key 'plate_maximum'"},
		{"[sockets]\npath = /x\n", "t.conf:2: unknown section [sockets]"},
		{"[socket]\npath = relative\n", "t.conf:2: [socket] path = relative: expected an absolute path"},
		{"[safety]\nsetpoint_max_c = 41\nplate_max_c = 40.5\n", "t.conf: the limits are not consistent"},
		{"[gpio]\nchip = gpiochip0\nestop_line = 17\n", "t.conf: [gpio]: 'estop_line' and 'relay_line' are both required"},
		{"[gpio]\nchip = x\nestop_line = 3\nrelay_line = 3\n", "t.conf: [gpio]: two functions on the same line"},
		{"[gpio]\nestop_colour = red\n", "t.conf:2: [gpio]: unknown key 'estop_colour'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config c;
		struct config_error e;
		if (config_parse(cases[i].text, "t.conf", &c, &e) == 0)
			fail_msg("case %zu accepted", i);
		if (strncmp(e.text, cases[i].error, strlen(cases[i].error)) != 0)
			fail_msg("case %zu:\n  got  %s\n  want %s", i, e.text, cases[i].error);
	}
}

static void gpio_section(void **state)
{
	(void)state;
	struct config c;
	struct config_error e;
	const char *t = "[gpio]\nchip = gpiochip0\nestop_line = ESTOP\nestop_active_low = yes\nrelay_line = 27\n"
			"light_fault_line = 22\n";
	if (config_parse(t, "t.conf", &c, &e) != 0)
		fail_msg("%s", e.text);
	assert_true(c.gpio.enabled);
	assert_string_equal(c.gpio.estop.name, "ESTOP");
	assert_true(c.gpio.estop.active_low);
	assert_int_equal(c.gpio.relay.offset, 27);
	assert_true(c.gpio.light_fault.set);
	assert_false(c.gpio.light_heat.set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped_file_parses), cmocka_unit_test(narrowing),
		cmocka_unit_test(widening_refused), cmocka_unit_test(gpio_section),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
