/* SPDX-License-Identifier: MIT */
/*
 * An emulated GPIO chip for tests: a umockdev testbed in this process that
 * answers the GPIO character-device uAPI v1 (the one libgpiod 1.6 speaks),
 * so the unchanged adapter in daemon/gpio.c runs against it.
 *
 * Every line has its own emulated node, /dev/<chip>-line<N>, which is a FIFO
 * inside the testbed: a line request hands libgpiod an fd on it. Its ioctls
 * (get/set values) are answered here; reads fall through to the FIFO, so
 * edge events are real bytes that poll() sees. Requests are single-line,
 * which is all the adapter makes.
 *
 * Levels given to and returned by this API are PHYSICAL (what a voltmeter
 * on the pin would show); the emulator applies each request's active-low
 * flag the way the kernel does. Run the test under umockdev-wrapper.
 */
#ifndef THERMOPAD_TESTS_GPIO_EMUL_H
#define THERMOPAD_TESTS_GPIO_EMUL_H

#include <stdbool.h>

struct gpio_emul;

/* A chip called chip_name (e.g. "gpiochip0", reachable as /dev/<chip_name>)
 * with the given label and nlines lines; line_names may be NULL or hold
 * nlines entries (NULL or "" for unnamed). NULL on failure. */
struct gpio_emul *gpio_emul_new(const char *chip_name, const char *label, int nlines,
				const char *const *line_names);
/* The same chip in an existing testbed (a UMockdevTestbed *), so that one
 * process can hold the simulated pad and the chip together. */
struct gpio_emul *gpio_emul_attach(void *testbed, const char *chip_name, const char *label, int nlines,
				   const char *const *line_names);
void gpio_emul_free(struct gpio_emul *e);

/* The testbed's directory ($UMOCKDEV_DIR). */
const char *gpio_emul_root(const struct gpio_emul *e);

/* Another program holds the line: requests fail with EBUSY and line info
 * reports it used, with this consumer. */
void gpio_emul_set_busy(struct gpio_emul *e, int offset, const char *consumer);

/* Drive an input to a physical level. If the line is requested for edge
 * events and its logical level changes in a requested direction, an event
 * is queued on its fd. */
void gpio_emul_press(struct gpio_emul *e, int offset, bool level);

/* Physical level driven on an output line; -1 when the line is not
 * requested as an output (never requested, or released). */
int gpio_emul_output(struct gpio_emul *e, int offset);

/* Physical level last driven on the line as an output, also after the
 * request was released (the kernel leaves the pin as it was); -1 if never
 * an output. */
int gpio_emul_last_output(struct gpio_emul *e, int offset);

/* From now on the line's value ioctls fail with errno err (0: heal). */
void gpio_emul_set_fault(struct gpio_emul *e, int offset, int err);

/* The line is held by a request at this moment. */
bool gpio_emul_requested(struct gpio_emul *e, int offset);

/* How many requests the line has had (to check ordering and retries). */
int gpio_emul_request_count(struct gpio_emul *e, int offset);

/* Sequence number (1, 2, ...) of the line's latest request across the
 * chip, 0 if never requested: shows which line was requested first. */
int gpio_emul_request_order(struct gpio_emul *e, int offset);

#endif
