/* SPDX-License-Identifier: MIT */
/*
 * The hardware interlock's GPIO lines (emergency-stop input, power relay,
 * status lights) through libgpiod. This is the only place that knows
 * libgpiod; the rest of the daemon sees these few calls. Nothing here
 * prints: every failure comes back as -1 with a message in err.
 */
#ifndef THERMOPAD_GPIO_H
#define THERMOPAD_GPIO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/gpio_config.h"

struct gpio_lines;

/* Open cfg->chip (name "gpiochip0", label, path "/dev/gpiochip0" or number)
 * and request, in this order: the relay as an output, released; the
 * configured lights as outputs, off; the e-stop as an input with events on
 * both edges. consumer is the name the kernel shows for the lines. On
 * failure nothing stays requested and *out is untouched. */
int gpio_open(const struct gpio_config *cfg, const char *consumer, struct gpio_lines **out, char *err,
	      size_t errlen);

/* The e-stop's event fd: readable when an edge is pending. For an event
 * loop; call gpio_estop_read when it fires. */
int gpio_event_fd(struct gpio_lines *g);

/* Consume the pending edge events (never blocks) and read the e-stop's
 * level now: *pressed is the logical level (active_low applied).
 * Debouncing is the caller's business. */
int gpio_estop_read(struct gpio_lines *g, bool *pressed, char *err, size_t errlen);

/* energised: the relay closes and the pad gets power. */
int gpio_set_relay(struct gpio_lines *g, bool energised, char *err, size_t errlen);

/* Lights that are not configured are ignored. */
int gpio_set_lights(struct gpio_lines *g, bool heat, bool cold, bool fault, char *err, size_t errlen);

/* Release the relay (de-energised), then every other line and the chip.
 * NULL is fine. */
void gpio_close(struct gpio_lines *g);

#endif
