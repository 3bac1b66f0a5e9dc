/* SPDX-License-Identifier: MIT */
/*
 * The hardware interlock at the edge: reads the emergency stop (its edge
 * events wake the loop at once; the control tick reads the level too, in
 * case an edge was lost), asks the pure interlock (core/interlock.h) what
 * to do, and drives the relay and the lights (io/gpio.h). A press is a
 * fault on every pad (pad_fault: drive zero in the same callback); a line
 * that fails at run time too, and the relay stays open. It is the pads'
 * clear gate: no clearing while the button is held.
 */
#ifndef THERMOPAD_INTERLOCK_GPIO_H
#define THERMOPAD_INTERLOCK_GPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "core/gpio_config.h"
#include "core/interlock.h"
#include "io/clock.h"
#include "pad/pad.h"

struct gpio_lines;

struct interlock_gpio {
	struct gpio_lines *gpio; /* NULL when [gpio] is not configured */
	sd_event_source *src;
	struct interlock interlock;
	struct interlock_outputs outputs; /* as last driven */
	bool outputs_known;
	struct pad_table *pads;
	const struct clock_model *clock;
};

/* Requests the lines (the relay open) when cfg is enabled; else nothing. */
int interlock_gpio_start(struct interlock_gpio *ig, sd_event *ev, const struct gpio_config *cfg,
			 struct pad_table *pads, const struct clock_model *clock, char *err, size_t errlen);
void interlock_gpio_update(struct interlock_gpio *ig);
void interlock_gpio_stop(struct interlock_gpio *ig);

#endif
