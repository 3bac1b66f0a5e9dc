/* SPDX-License-Identifier: MIT */
/* The braille chart: dots land where the data says. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "chart.h"

static struct chart ch;

static void corners(void **state)
{
	(void)state;
	chart_init(&ch, 2, 1, 0, 1, 0, 1);
	double x[] = {0, 1}, y[] = {1, 0};
	chart_line(&ch, x, y, 1, 0); /* top left dot */
	chart_line(&ch, x + 1, y + 1, 1, 0); /* bottom right dot */
	assert_int_equal(ch.dots[0][0], 0x01);
	assert_int_equal(ch.dots[0][1], 0x80);
	char row[64];
	chart_row(&ch, 0, NULL, row, sizeof row);
	assert_string_equal(row, "\u2801\u2880");
}

static void a_line_is_continuous(void **state)
{
	(void)state;
	chart_init(&ch, 10, 5, 0, 10, 0, 10);
	double x[] = {0, 10}, y[] = {0, 10};
	chart_line(&ch, x, y, 2, 1);
	for (int col = 0; col < 10; col++) { /* the diagonal crosses every column */
		int on = 0;
		for (int r = 0; r < 5; r++)
			on += ch.dots[r][col] != 0;
		assert_true(on >= 1);
	}
	assert_int_equal(ch.series[4][0], 2);
	assert_true(ch.dots[4][0] & 0x40); /* bottom left */
	assert_true(ch.dots[0][9] & 0x08); /* top right */
}

static void nan_and_outside_break_the_line(void **state)
{
	(void)state;
	chart_init(&ch, 10, 2, 0, 10, 0, 10);
	double x[] = {0, 5, 10}, y[] = {5, NAN, 5};
	chart_line(&ch, x, y, 3, 0);
	int on = 0;
	for (int col = 0; col < 10; col++)
		on += ch.dots[0][col] != 0 || ch.dots[1][col] != 0;
	assert_int_equal(on, 2); /* only the two end points */
	double x2[] = {0, 10}, y2[] = {50, 60};
	chart_init(&ch, 10, 2, 0, 10, 0, 10);
	chart_line(&ch, x2, y2, 2, 0);
	for (int col = 0; col < 10; col++)
		assert_int_equal(ch.dots[0][col] | ch.dots[1][col], 0);
}

static void colours_only_when_asked(void **state)
{
	(void)state;
	static const char *const colors[] = {"31", "36"};
	chart_init(&ch, 3, 1, 0, 2, 0, 1);
	double x[] = {0}, y[] = {0};
	chart_line(&ch, x, y, 1, 1);
	char row[128];
	chart_row(&ch, 0, colors, row, sizeof row);
	assert_non_null(strstr(row, "\033[36m"));
	assert_non_null(strstr(row, "\033[0m"));
	chart_row(&ch, 0, NULL, row, sizeof row);
	assert_null(strchr(row, '\033'));
}

/* Phases shade their columns, as a background with colour and as letters
 * on the strip without; marks take their column on the strip. */
static void phases_shade_and_marks_show(void **state)
{
	(void)state;
	static const char *const colors[] = {"31", "36"};
	chart_init(&ch, 10, 1, 0, 10, 0, 1); /* a column per unit of x */
	chart_shade(&ch, 0, 3.9, CHART_SHADE_HEAT);
	chart_shade(&ch, 4, 6.9, CHART_SHADE_COLD);
	chart_mark(&ch, 5.5, 'P');
	chart_mark(&ch, 10, '!'); /* the right edge is the last column */
	chart_mark(&ch, 11, 'X'); /* outside: nowhere */
	char strip[256], row[512];
	chart_strip(&ch, false, strip, sizeof strip);
	assert_string_equal(strip, "++++-P-  !");
	chart_strip(&ch, true, strip, sizeof strip);
	assert_non_null(strstr(strip, "\033[0;31m++++"));
	chart_row(&ch, 0, colors, row, sizeof row);
	assert_non_null(strstr(row, "48;5;52m"));
	assert_non_null(strstr(row, "48;5;17m"));
	chart_row(&ch, 0, NULL, row, sizeof row);
	assert_null(strchr(row, '\033'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corners),
		cmocka_unit_test(a_line_is_continuous),
		cmocka_unit_test(nan_and_outside_break_the_line),
		cmocka_unit_test(colours_only_when_asked),
		cmocka_unit_test(phases_shade_and_marks_show),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
