/* SPDX-License-Identifier: MIT */
/*
 * The interlock lines through libgpiod 1.6 (GPIO character device).
 *
 * Fail-safe ordering: the relay is requested FIRST, with its initial value
 * "released" set in the request itself (the kernel drives the pin before
 * the request returns; active_low goes into the request flags, so the
 * physical level is right from the first instant). Every later failure and
 * gpio_close drive it released again before letting go of it.
 *
 * If the daemon dies, the kernel frees its lines; nothing drives them any
 * more. So the wiring must make "released" the de-energised state: the
 * relay coil is off when the line is not actively driven to "energised"
 * (e.g. a pull resistor to the coil-off level on the driver input). Then a
 * crash, a kill -9 or a reboot leaves the pad without power, which is the
 * point of the interlock. Software cannot guarantee this; the hardware must.
 */
#include "io/gpio.h"

#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct gpio_lines {
	struct gpiod_chip *chip;
	struct gpiod_line *relay, *estop;
	struct gpiod_line *light[3]; /* heat, cold, fault; NULL when unset */
	char chip_name[GPIO_NAME_MAX];
};

static const char *const light_names[3] = {"light_heat", "light_cold", "light_fault"};

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A path, a number, a name (/dev/<name>) or a label. Labels: every
 * /dev/gpiochipN is opened and asked. (gpiod_chip_open_lookup does much
 * the same, but it tries a failing open for every miss and finds labels
 * with scandir(), which umockdev's test preload does not see; checking
 * first keeps "not found" a clean ENOENT.) */
static struct gpiod_chip *open_chip(const char *descr)
{
	if (descr[0] == '/')
		return gpiod_chip_open(descr);
	if (all_digits(descr))
		return gpiod_chip_open_by_number((unsigned)strtoul(descr, NULL, 10));
	char path[GPIO_NAME_MAX + 8];
	snprintf(path, sizeof path, "/dev/%s", descr);
	if (access(path, F_OK) == 0)
		return gpiod_chip_open(path);
	DIR *dir = opendir("/dev");
	struct dirent *d;
	while (dir && (d = readdir(dir))) {
		if (strncmp(d->d_name, "gpiochip", 8) != 0 || !all_digits(d->d_name + 8))
			continue;
		struct gpiod_chip *chip = gpiod_chip_open_by_name(d->d_name);
		if (chip && !strcmp(gpiod_chip_label(chip), descr)) {
			closedir(dir);
			return chip;
		}
		if (chip)
			gpiod_chip_close(chip);
	}
	if (dir)
		closedir(dir);
	errno = ENOENT;
	return NULL;
}

/* "gpio line 'relay' (RELAY, offset 3 on gpiochip0)" */
static void describe(char *buf, size_t len, const char *what, const struct gpio_line_ref *ref,
		     struct gpiod_line *line, const char *chip)
{
	if (ref->name[0])
		snprintf(buf, len, "gpio line '%s' (%s, offset %u on %s)", what, ref->name, gpiod_line_offset(line),
			 chip);
	else
		snprintf(buf, len, "gpio line '%s' (offset %u on %s)", what, gpiod_line_offset(line), chip);
}

static struct gpiod_line *find_line(struct gpio_lines *g, const char *what, const struct gpio_line_ref *ref,
				    char *err, size_t errlen)
{
	struct gpiod_line *line;
	if (ref->name[0]) {
		errno = 0;
		line = gpiod_chip_find_line(g->chip, ref->name);
		if (!line && (errno == ENOENT || errno == 0))
			snprintf(err, errlen, "gpio line name '%s' (%s) not found on chip %s", ref->name, what,
				 g->chip_name);
		else if (!line)
			snprintf(err, errlen, "gpio line name '%s' (%s) on chip %s: %s", ref->name, what,
				 g->chip_name, strerror(errno));
		return line;
	}
	line = gpiod_chip_get_line(g->chip, (unsigned)ref->offset);
	if (!line && errno == EINVAL)
		snprintf(err, errlen, "gpio line '%s': offset %d does not exist on chip %s (%u lines)", what,
			 ref->offset, g->chip_name, gpiod_chip_num_lines(g->chip));
	else if (!line)
		snprintf(err, errlen, "gpio line '%s' (offset %d on %s): %s", what, ref->offset, g->chip_name,
			 strerror(errno));
	return line;
}

static void request_error(struct gpio_lines *g, const char *what, const struct gpio_line_ref *ref,
			  struct gpiod_line *line, int e, char *err, size_t errlen)
{
	char desc[160];
	describe(desc, sizeof desc, what, ref, line, g->chip_name);
	if (e == EBUSY) {
		const char *by = gpiod_line_update(line) == 0 ? gpiod_line_consumer(line) : NULL;
		if (by)
			snprintf(err, errlen, "%s is busy (used by another program: '%s')", desc, by);
		else
			snprintf(err, errlen, "%s is busy (used by another program)", desc);
	} else {
		snprintf(err, errlen, "%s: cannot request it: %s", desc, strerror(e));
	}
}

static int flags_of(const struct gpio_line_ref *ref)
{
	return ref->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
}

static struct gpiod_line *request_output(struct gpio_lines *g, const char *what, const struct gpio_line_ref *ref,
					 const char *consumer, char *err, size_t errlen)
{
	struct gpiod_line *line = find_line(g, what, ref, err, errlen);
	if (!line)
		return NULL;
	/* value 0 = logical inactive: released / off, whatever active_low */
	if (gpiod_line_request_output_flags(line, consumer, flags_of(ref), 0) != 0) {
		request_error(g, what, ref, line, errno, err, errlen);
		return NULL;
	}
	return line;
}

int gpio_open(const struct gpio_config *cfg, const char *consumer, struct gpio_lines **out, char *err,
	      size_t errlen)
{
	struct gpio_lines *g = calloc(1, sizeof *g);
	if (!g) {
		snprintf(err, errlen, "gpio: out of memory");
		return -1;
	}
	g->chip = open_chip(cfg->chip);
	if (!g->chip) {
		if (errno == ENOENT)
			snprintf(err, errlen, "gpio chip '%s' not found", cfg->chip);
		else if (errno == ENOTTY || errno == ENODEV)
			snprintf(err, errlen, "gpio chip '%s': not a GPIO chip", cfg->chip);
		else
			snprintf(err, errlen, "gpio chip '%s': %s", cfg->chip, strerror(errno));
		free(g);
		return -1;
	}
	snprintf(g->chip_name, sizeof g->chip_name, "%s", gpiod_chip_name(g->chip));

	/* relay first: see the top of this file */
	g->relay = request_output(g, "relay", &cfg->relay, consumer, err, errlen);
	if (!g->relay)
		goto fail;
	const struct gpio_line_ref *lights[3] = {&cfg->light_heat, &cfg->light_cold, &cfg->light_fault};
	for (int i = 0; i < 3; i++) {
		if (!lights[i]->set)
			continue;
		g->light[i] = request_output(g, light_names[i], lights[i], consumer, err, errlen);
		if (!g->light[i])
			goto fail;
	}
	g->estop = find_line(g, "estop", &cfg->estop, err, errlen);
	if (!g->estop)
		goto fail;
	if (gpiod_line_request_both_edges_events_flags(g->estop, consumer, flags_of(&cfg->estop)) != 0) {
		request_error(g, "estop", &cfg->estop, g->estop, errno, err, errlen);
		g->estop = NULL;
		goto fail;
	}
	*out = g;
	return 0;
fail:
	gpio_close(g);
	return -1;
}

int gpio_event_fd(struct gpio_lines *g)
{
	return gpiod_line_event_get_fd(g->estop);
}

int gpio_estop_read(struct gpio_lines *g, bool *pressed, char *err, size_t errlen)
{
	/* Bounded: a line that bounces faster than we read cannot keep us
	 * here; the level read below is what counts. */
	for (int i = 0; i < 64; i++) {
		const struct timespec now = {0, 0};
		int ready = gpiod_line_event_wait(g->estop, &now);
		if (ready == 0)
			break;
		struct gpiod_line_event ev;
		if (ready < 0 || gpiod_line_event_read(g->estop, &ev) != 0) {
			snprintf(err, errlen, "gpio line 'estop' (offset %u on %s): reading events: %s",
				 gpiod_line_offset(g->estop), g->chip_name, strerror(errno));
			return -1;
		}
	}
	int v = gpiod_line_get_value(g->estop);
	if (v < 0) {
		snprintf(err, errlen, "gpio line 'estop' (offset %u on %s): reading the level: %s",
			 gpiod_line_offset(g->estop), g->chip_name, strerror(errno));
		return -1;
	}
	*pressed = v == 1;
	return 0;
}

static int set_line(struct gpio_lines *g, struct gpiod_line *line, const char *what, bool on, char *err,
		    size_t errlen)
{
	if (gpiod_line_set_value(line, on) != 0) {
		snprintf(err, errlen, "gpio line '%s' (offset %u on %s): setting it %s: %s", what,
			 gpiod_line_offset(line), g->chip_name, on ? "on" : "off", strerror(errno));
		return -1;
	}
	return 0;
}

int gpio_set_relay(struct gpio_lines *g, bool energised, char *err, size_t errlen)
{
	return set_line(g, g->relay, "relay", energised, err, errlen);
}

int gpio_set_lights(struct gpio_lines *g, bool heat, bool cold, bool fault, char *err, size_t errlen)
{
	const bool on[3] = {heat, cold, fault};
	int rc = 0;
	for (int i = 0; i < 3; i++) /* one failing light does not stop the others */
		if (g->light[i] && set_line(g, g->light[i], light_names[i], on[i], rc ? NULL : err,
					    rc ? 0 : errlen) != 0)
			rc = -1;
	return rc;
}

void gpio_close(struct gpio_lines *g)
{
	if (!g)
		return;
	if (g->relay) {
		gpiod_line_set_value(g->relay, 0); /* best effort: we are letting go anyway */
		gpiod_line_release(g->relay);
	}
	if (g->chip)
		gpiod_chip_close(g->chip); /* releases the lights and the e-stop */
	free(g);
}
