/* SPDX-License-Identifier: MIT */
#include "gpio_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gpio_config_defaults(struct gpio_config *c)
{
	memset(c, 0, sizeof *c);
	c->estop_debounce_ms = 20;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) {
		*out = false;
		return 0;
	}
	return -1;
}

/* A line is an offset ("17") or a line name ("ESTOP"). */
static int parse_line(const char *v, struct gpio_line_ref *ref, char *err, size_t errlen, const char *key)
{
	if (!*v || strlen(v) >= GPIO_NAME_MAX) {
		snprintf(err, errlen, "%s: expected a line offset or a line name", key);
		return -1;
	}
	bool digits = true;
	for (const char *p = v; *p; p++)
		digits &= isdigit((unsigned char)*p) != 0;
	ref->set = true;
	if (digits) {
		errno = 0;
		long off = strtol(v, NULL, 10);
		if (errno || off > 1023) {
			snprintf(err, errlen, "%s = %s: offset out of range (0..1023)", key, v);
			return -1;
		}
		ref->offset = (int)off;
		ref->name[0] = '\0';
	} else {
		snprintf(ref->name, sizeof ref->name, "%s", v);
		ref->offset = -1;
	}
	return 0;
}

static struct gpio_line_ref *line_for(struct gpio_config *c, const char *prefix)
{
	if (!strcmp(prefix, "estop"))
		return &c->estop;
	if (!strcmp(prefix, "relay"))
		return &c->relay;
	if (!strcmp(prefix, "light_heat"))
		return &c->light_heat;
	if (!strcmp(prefix, "light_cold"))
		return &c->light_cold;
	if (!strcmp(prefix, "light_fault"))
		return &c->light_fault;
	return NULL;
}

int gpio_config_set(struct gpio_config *c, const char *key, const char *value, char *err, size_t errlen)
{
	c->enabled = true;
	if (!strcmp(key, "chip")) {
		if (!*value || strlen(value) >= sizeof c->chip) {
			snprintf(err, errlen, "chip: expected a chip name, label or path");
			return -1;
		}
		snprintf(c->chip, sizeof c->chip, "%s", value);
		return 0;
	}
	if (!strcmp(key, "estop_debounce_ms")) {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (end == value || *end || errno || v < 0 || v > 1000) {
			snprintf(err, errlen, "estop_debounce_ms = %s: expected 0..1000", value);
			return -1;
		}
		c->estop_debounce_ms = (uint32_t)v;
		return 0;
	}
	/* <line>_line = ..., <line>_active_low = yes|no */
	char prefix[32];
	const char *suffix = strrchr(key, '_');
	if (suffix && !strcmp(suffix, "_line") && (size_t)(suffix - key) < sizeof prefix) {
		snprintf(prefix, sizeof prefix, "%.*s", (int)(suffix - key), key);
		struct gpio_line_ref *ref = line_for(c, prefix);
		if (ref)
			return parse_line(value, ref, err, errlen, key);
	}
	const char *al = strstr(key, "_active_low");
	if (al && !strcmp(al, "_active_low") && (size_t)(al - key) < sizeof prefix) {
		snprintf(prefix, sizeof prefix, "%.*s", (int)(al - key), key);
		struct gpio_line_ref *ref = line_for(c, prefix);
		if (ref) {
			if (parse_bool(value, &ref->active_low) != 0) {
				snprintf(err, errlen, "%s = %s: expected yes or no", key, value);
				return -1;
			}
			return 0;
		}
	}
	snprintf(err, errlen, "[gpio]: unknown key '%s' (chip, estop_line, estop_active_low, estop_debounce_ms, "
			      "relay_line, relay_active_low, light_heat_line, light_cold_line, light_fault_line, "
			      "light_..._active_low)", key);
	return -1;
}

int gpio_config_validate(const struct gpio_config *c, char *err, size_t errlen)
{
	if (!c->enabled)
		return 0;
	if (!c->chip[0]) {
		snprintf(err, errlen, "[gpio]: 'chip' is required");
		return -1;
	}
	if (!c->estop.set || !c->relay.set) {
		snprintf(err, errlen, "[gpio]: 'estop_line' and 'relay_line' are both required");
		return -1;
	}
	const struct gpio_line_ref *lines[] = {&c->estop, &c->relay, &c->light_heat, &c->light_cold, &c->light_fault};
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			if (lines[i]->set && lines[j]->set &&
			    (lines[i]->name[0] ? !strcmp(lines[i]->name, lines[j]->name)
					       : !lines[j]->name[0] && lines[i]->offset == lines[j]->offset)) {
				snprintf(err, errlen, "[gpio]: two functions on the same line");
				return -1;
			}
	return 0;
}
