/* SPDX-License-Identifier: MIT */
/*
 * daemon/gpio.c, the libgpiod adapter, against the emulated chip of
 * gpio_emul.c. Run under umockdev-wrapper.
 *
 * The chip: gpiochip0, label "thermopad-io", 8 lines. The base [gpio]
 * section names some lines and gives others by offset, so both lookups run
 * in every test.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "io/gpio.h"
#include "gpio_config.h"
#include "gpio_emul.h"

enum { L_SPARE = 0, L_ESTOP = 1, L_RELAY = 3, L_HEAT = 4, L_COLD = 5, L_FAULT = 6, NLINES = 8 };

static const char *const names[NLINES] = {"", "ESTOP", "", "RELAY", "LED_HEAT", "LED_COLD", "LED_FAULT", ""};

struct fx {
	struct gpio_emul *emul;
	struct gpio_config cfg;
	struct gpio_lines *g;
	char err[256];
};

static void set(struct fx *f, const char *key, const char *value)
{
	char err[256] = "";
	if (gpio_config_set(&f->cfg, key, value, err, sizeof err) != 0)
		fail_msg("config %s = %s: %s", key, value, err);
}

static int setup(void **state)
{
	struct fx *f = test_calloc(1, sizeof *f);
	f->emul = gpio_emul_new("gpiochip0", "thermopad-io", NLINES, names);
	assert_non_null(f->emul);
	gpio_config_defaults(&f->cfg);
	set(f, "chip", "gpiochip0");
	set(f, "estop_line", "ESTOP"); /* by name */
	set(f, "relay_line", "3");     /* by offset */
	set(f, "light_heat_line", "LED_HEAT");
	set(f, "light_cold_line", "5");
	set(f, "light_fault_line", "LED_FAULT");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	gpio_close(f->g);
	gpio_emul_free(f->emul);
	test_free(f);
	return 0;
}

static void open_ok(struct fx *f)
{
	char err[256] = "";
	if (gpio_open(&f->cfg, "thermopadd", &f->g, err, sizeof err) != 0)
		fail_msg("gpio_open: %s", err);
	assert_non_null(f->g);
}

static int open_fails(struct fx *f)
{
	struct gpio_lines *g = NULL;
	f->err[0] = '\0';
	int rc = gpio_open(&f->cfg, "thermopadd", &g, f->err, sizeof f->err);
	assert_null(g);
	return rc;
}

static void assert_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("'%s' does not contain '%s'", s, part);
}

static void assert_nothing_requested(struct fx *f)
{
	for (int i = 0; i < NLINES; i++)
		if (gpio_emul_requested(f->emul, i))
			fail_msg("line %d still requested", i);
}

static bool estop(struct fx *f)
{
	char err[256] = "";
	bool pressed = false;
	if (gpio_estop_read(f->g, &pressed, err, sizeof err) != 0)
		fail_msg("gpio_estop_read: %s", err);
	return pressed;
}

static bool event_pending(struct fx *f)
{
	struct pollfd p = {.fd = gpio_event_fd(f->g), .events = POLLIN};
	int n = poll(&p, 1, 0);
	assert_true(n >= 0);
	return n == 1 && (p.revents & POLLIN);
}

/* ---- opening ------------------------------------------------------------- */

static void check_all_requested(struct fx *f)
{
	int lines[] = {L_RELAY, L_HEAT, L_COLD, L_FAULT, L_ESTOP};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (!gpio_emul_requested(f->emul, lines[i]))
			fail_msg("line %d not requested", lines[i]);
	assert_false(gpio_emul_requested(f->emul, L_SPARE));
}

static void test_open_by_name(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	check_all_requested(f);
	/* the relay is requested before anything else */
	int relay = gpio_emul_request_order(f->emul, L_RELAY);
	assert_int_equal(relay, 1);
	assert_true(gpio_emul_request_order(f->emul, L_HEAT) > relay);
	assert_true(gpio_emul_request_order(f->emul, L_ESTOP) > gpio_emul_request_order(f->emul, L_FAULT));
}

static void test_open_by_path(void **state)
{
	struct fx *f = *state;
	set(f, "chip", "/dev/gpiochip0");
	open_ok(f);
	check_all_requested(f);
}

static void test_open_by_number(void **state)
{
	struct fx *f = *state;
	set(f, "chip", "0");
	open_ok(f);
	check_all_requested(f);
}

static void test_open_by_label(void **state)
{
	struct fx *f = *state;
	set(f, "chip", "thermopad-io");
	open_ok(f);
	check_all_requested(f);
}

/* ---- relay --------------------------------------------------------------- */

static void test_relay_comes_up_released(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	assert_int_equal(gpio_emul_output(f->emul, L_RELAY), 0); /* active high: low = released */
	/* and was never driven otherwise: the request carried the value */
	assert_int_equal(gpio_emul_request_count(f->emul, L_RELAY), 1);
}

static void test_relay_active_low_comes_up_released(void **state)
{
	struct fx *f = *state;
	set(f, "relay_active_low", "yes");
	open_ok(f);
	assert_int_equal(gpio_emul_output(f->emul, L_RELAY), 1); /* active low: high = released */
}

static void test_relay_set(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	assert_int_equal(gpio_set_relay(f->g, true, f->err, sizeof f->err), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_RELAY), 1);
	assert_int_equal(gpio_set_relay(f->g, false, f->err, sizeof f->err), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_RELAY), 0);
}

static void test_relay_set_active_low(void **state)
{
	struct fx *f = *state;
	set(f, "relay_active_low", "yes");
	open_ok(f);
	assert_int_equal(gpio_set_relay(f->g, true, f->err, sizeof f->err), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_RELAY), 0);
	assert_int_equal(gpio_set_relay(f->g, false, f->err, sizeof f->err), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_RELAY), 1);
}

static void test_relay_failure_reported(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	gpio_emul_set_fault(f->emul, L_RELAY, EIO);
	assert_int_equal(gpio_set_relay(f->g, true, f->err, sizeof f->err), -1);
	assert_contains(f->err, "'relay'");
	assert_contains(f->err, strerror(EIO));
}

/* ---- lights -------------------------------------------------------------- */

static void test_lights(void **state)
{
	struct fx *f = *state;
	set(f, "light_cold_active_low", "yes");
	open_ok(f);
	assert_int_equal(gpio_emul_output(f->emul, L_HEAT), 0); /* all off */
	assert_int_equal(gpio_emul_output(f->emul, L_COLD), 1);
	assert_int_equal(gpio_emul_output(f->emul, L_FAULT), 0);
	assert_int_equal(gpio_set_lights(f->g, true, false, true, f->err, sizeof f->err), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_HEAT), 1);
	assert_int_equal(gpio_emul_output(f->emul, L_COLD), 1);
	assert_int_equal(gpio_emul_output(f->emul, L_FAULT), 1);
	assert_int_equal(gpio_set_lights(f->g, false, true, false, f->err, sizeof f->err), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_HEAT), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_COLD), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_FAULT), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_RELAY), 0); /* untouched */
}

static void test_unconfigured_lights_ignored(void **state)
{
	struct fx *f = *state;
	f->cfg.light_cold.set = false;
	f->cfg.light_fault.set = false;
	open_ok(f);
	assert_false(gpio_emul_requested(f->emul, L_COLD));
	assert_false(gpio_emul_requested(f->emul, L_FAULT));
	assert_int_equal(gpio_set_lights(f->g, true, true, true, f->err, sizeof f->err), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_HEAT), 1);
	assert_int_equal(gpio_emul_output(f->emul, L_COLD), -1);
	assert_int_equal(gpio_emul_output(f->emul, L_FAULT), -1);
}

/* ---- e-stop -------------------------------------------------------------- */

static void test_estop_press_release(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	assert_false(estop(f));
	gpio_emul_press(f->emul, L_ESTOP, true);
	assert_true(estop(f));
	assert_true(estop(f)); /* a level, not an event */
	gpio_emul_press(f->emul, L_ESTOP, false);
	assert_false(estop(f));
}

static void test_estop_active_low(void **state)
{
	struct fx *f = *state;
	set(f, "estop_active_low", "yes");
	gpio_emul_press(f->emul, L_ESTOP, true); /* pulled up: not pressed */
	open_ok(f);
	assert_false(estop(f));
	gpio_emul_press(f->emul, L_ESTOP, false); /* shorted to ground */
	assert_true(estop(f));
	gpio_emul_press(f->emul, L_ESTOP, true);
	assert_false(estop(f));
}

static void test_estop_pressed_at_open(void **state)
{
	struct fx *f = *state;
	gpio_emul_press(f->emul, L_ESTOP, true);
	open_ok(f);
	assert_false(event_pending(f)); /* no edge happened while we watched */
	assert_true(estop(f));
}

static void test_event_fd_readable_on_press(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	assert_true(gpio_event_fd(f->g) >= 0);
	assert_false(event_pending(f));
	gpio_emul_press(f->emul, L_ESTOP, true);
	assert_true(event_pending(f));
	assert_true(estop(f));
	assert_false(event_pending(f)); /* the read drained it */
	gpio_emul_press(f->emul, L_ESTOP, false); /* the release is an edge too */
	assert_true(event_pending(f));
	assert_false(estop(f));
	assert_false(event_pending(f));
	/* several edges before the loop gets round to it: all drained at once */
	gpio_emul_press(f->emul, L_ESTOP, true);
	gpio_emul_press(f->emul, L_ESTOP, false);
	gpio_emul_press(f->emul, L_ESTOP, true);
	gpio_emul_press(f->emul, L_ESTOP, false);
	assert_true(event_pending(f));
	assert_false(estop(f));
	assert_false(event_pending(f));
}

static void test_estop_failure_reported(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	gpio_emul_set_fault(f->emul, L_ESTOP, EIO);
	bool pressed = false;
	assert_int_equal(gpio_estop_read(f->g, &pressed, f->err, sizeof f->err), -1);
	assert_contains(f->err, "'estop'");
	assert_contains(f->err, strerror(EIO));
}

/* ---- failures ------------------------------------------------------------ */

static void test_chip_missing(void **state)
{
	struct fx *f = *state;
	set(f, "chip", "gpiochip7");
	assert_int_equal(open_fails(f), -1);
	assert_contains(f->err, "gpio chip 'gpiochip7' not found");
	assert_int_equal(gpio_emul_request_count(f->emul, L_RELAY), 0);
}

static void test_chip_label_missing(void **state)
{
	struct fx *f = *state;
	set(f, "chip", "no-such-label");
	assert_int_equal(open_fails(f), -1);
	assert_contains(f->err, "gpio chip 'no-such-label' not found");
}

static void test_relay_busy(void **state)
{
	struct fx *f = *state;
	gpio_emul_set_busy(f->emul, L_RELAY, "other-daemon");
	assert_int_equal(open_fails(f), -1);
	assert_contains(f->err, "gpio line 'relay' (offset 3 on gpiochip0) is busy");
	assert_contains(f->err, "other-daemon");
	assert_nothing_requested(f);
	/* the relay comes first: nothing else was even tried */
	assert_int_equal(gpio_emul_request_count(f->emul, L_HEAT), 0);
	assert_int_equal(gpio_emul_request_count(f->emul, L_ESTOP), 0);
}

static void test_estop_busy_releases_relay(void **state)
{
	struct fx *f = *state;
	gpio_emul_set_busy(f->emul, L_ESTOP, "");
	assert_int_equal(open_fails(f), -1);
	assert_contains(f->err, "gpio line 'estop' (ESTOP, offset 1 on gpiochip0) is busy");
	assert_int_equal(gpio_emul_request_count(f->emul, L_RELAY), 1);
	assert_nothing_requested(f);
	assert_int_equal(gpio_emul_last_output(f->emul, L_RELAY), 0);
}

static void test_estop_busy_releases_relay_active_low(void **state)
{
	struct fx *f = *state;
	set(f, "relay_active_low", "yes");
	gpio_emul_set_busy(f->emul, L_ESTOP, "");
	assert_int_equal(open_fails(f), -1);
	assert_nothing_requested(f);
	assert_int_equal(gpio_emul_last_output(f->emul, L_RELAY), 1);
}

static void test_line_name_not_found(void **state)
{
	struct fx *f = *state;
	set(f, "estop_line", "ESTOP_BUTTON");
	assert_int_equal(open_fails(f), -1);
	assert_contains(f->err, "gpio line name 'ESTOP_BUTTON'");
	assert_contains(f->err, "not found on chip gpiochip0");
	assert_int_equal(gpio_emul_request_count(f->emul, L_RELAY), 1);
	assert_nothing_requested(f);
}

static void test_light_name_not_found(void **state)
{
	struct fx *f = *state;
	set(f, "light_fault_line", "LED_RED");
	assert_int_equal(open_fails(f), -1);
	assert_contains(f->err, "gpio line name 'LED_RED'");
	assert_nothing_requested(f);
}

static void test_offset_out_of_range(void **state)
{
	struct fx *f = *state;
	set(f, "relay_line", "40");
	assert_int_equal(open_fails(f), -1);
	assert_contains(f->err, "'relay'");
	assert_contains(f->err, "offset 40");
	assert_nothing_requested(f);
}

/* ---- closing ------------------------------------------------------------- */

static void test_close_releases_relay_deenergised(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	assert_int_equal(gpio_set_relay(f->g, true, f->err, sizeof f->err), 0);
	assert_int_equal(gpio_emul_output(f->emul, L_RELAY), 1);
	gpio_close(f->g);
	f->g = NULL;
	assert_false(gpio_emul_requested(f->emul, L_RELAY));
	assert_int_equal(gpio_emul_output(f->emul, L_RELAY), -1);
	assert_int_equal(gpio_emul_last_output(f->emul, L_RELAY), 0); /* driven released first */
	assert_nothing_requested(f);
	gpio_close(NULL);
}

static void test_reopen_after_close(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	gpio_emul_press(f->emul, L_ESTOP, true); /* an edge nobody reads */
	gpio_close(f->g);
	f->g = NULL;
	gpio_emul_press(f->emul, L_ESTOP, false);
	open_ok(f); /* the lines are free again */
	assert_false(event_pending(f)); /* no stale event from the old request */
	assert_false(estop(f));
	assert_int_equal(gpio_emul_request_count(f->emul, L_RELAY), 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_by_name),
		T(test_open_by_path),
		T(test_open_by_number),
		T(test_open_by_label),
		T(test_relay_comes_up_released),
		T(test_relay_active_low_comes_up_released),
		T(test_relay_set),
		T(test_relay_set_active_low),
		T(test_relay_failure_reported),
		T(test_lights),
		T(test_unconfigured_lights_ignored),
		T(test_estop_press_release),
		T(test_estop_active_low),
		T(test_estop_pressed_at_open),
		T(test_event_fd_readable_on_press),
		T(test_estop_failure_reported),
		T(test_chip_missing),
		T(test_chip_label_missing),
		T(test_relay_busy),
		T(test_estop_busy_releases_relay),
		T(test_estop_busy_releases_relay_active_low),
		T(test_line_name_not_found),
		T(test_light_name_not_found),
		T(test_offset_out_of_range),
		T(test_close_releases_relay_deenergised),
		T(test_reopen_after_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
