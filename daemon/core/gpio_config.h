/* SPDX-License-Identifier: MIT */
/*
 * The [gpio] section of thermopad.conf: which chip and lines form the
 * hardware interlock (emergency-stop input, power relay, status lights).
 * Pure parsing; the daemon's config parser hands every key of [gpio] here.
 */
#ifndef THERMOPAD_GPIO_CONFIG_H
#define THERMOPAD_GPIO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GPIO_NAME_MAX 64

struct gpio_line_ref {
	bool set; /* configured at all */
	char name[GPIO_NAME_MAX]; /* a line name, or "" when by offset */
	int offset; /* line offset when name is "" */
	bool active_low;
};

struct gpio_config {
	bool enabled; /* true once a [gpio] section was seen */
	char chip[GPIO_NAME_MAX]; /* name ("gpiochip0"), label or path */
	struct gpio_line_ref estop; /* emergency-stop input (mandatory) */
	uint32_t estop_debounce_ms;
	struct gpio_line_ref relay; /* power relay output (mandatory) */
	struct gpio_line_ref light_heat, light_cold, light_fault; /* optional */
};

void gpio_config_defaults(struct gpio_config *c);

/* One key=value of [gpio]; returns 0, or -1 with a message in err
 * (without file:line, which the caller adds). */
int gpio_config_set(struct gpio_config *c, const char *key, const char *value, char *err, size_t errlen);

/* After the whole file: the section is complete and consistent. */
int gpio_config_validate(const struct gpio_config *c, char *err, size_t errlen);

#endif
