/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "ini_util.h"

#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	safety_limits_default(&c->limits);
	c->watchdog_ms = 1000;
	snprintf(c->state_dir, sizeof c->state_dir, "/var/lib/thermopad");
	snprintf(c->socket_path, sizeof c->socket_path, "%s", CONFIG_SOCKET_DEFAULT);
	snprintf(c->socket_group, sizeof c->socket_group, "thermopad");
	c->max_clients = 64;
	c->max_message_bytes = 8192;
	c->idle_timeout_s = 300;
	c->max_output_bytes = 1 << 20;
	c->log_retention_days = 90;
	c->log_retention_mb = 200;
	gpio_config_defaults(&c->gpio);
}

struct parse {
	struct config *c;
	struct ini_error err;
};

/* [safety] keys: name in the file, field, unit scale (file unit -> s/C) */
struct safety_key {
	const char *name;
	size_t offset;
	double scale;
};

#define S(name, field, scale) {name, offsetof(struct safety_limits, field), scale}
static const struct safety_key safety_keys[] = {
	S("plate_max_c", plate_max_c, 1), S("plate_min_c", plate_min_c, 1),
	S("setpoint_max_c", setpoint_max_c, 1), S("setpoint_min_c", setpoint_min_c, 1),
	S("sensor_disagree_c", disagree_c, 1), S("sensor_frozen_s", frozen_s, 1),
	S("stale_zero_s", stale_zero_s, 1), S("stale_fault_s", stale_fault_s, 1),
	S("progress_s", progress_s, 1), S("hold_band_c", hold_band_c, 1), S("hold_s", hold_s, 1),
	S("wrong_way_s", wrong_way_s, 1), S("wrong_way_c", wrong_way_c, 1),
	S("off_current_a", off_current_a, 1), S("off_s", off_s, 1),
	S("sink_limit_c", sink_limit_c, 1), S("sink_max_c", sink_max_c, 1),
	S("dose_cem43_max_min", dose_cem43_min, 1), S("cold_below_c", cold_c, 1),
	S("cold_phase_max_min", cold_phase_max_s, 60), S("cold_session_max_min", cold_session_max_s, 60),
	S("session_max_min", session_max_s, 60),
};
#undef S

static int number(struct parse *ps, const char *section, const char *key, const char *value, double *out)
{
	if (!ini_number(value, out))
		return ini_fail(&ps->err, "[%s] %s: '%s' is not a number", section, key, value);
	return 1;
}

static int whole(struct parse *ps, const char *section, const char *key, const char *value, unsigned lo,
		 unsigned hi, unsigned *out)
{
	double v;
	if (!number(ps, section, key, value, &v))
		return 0;
	if (v != floor(v) || v < lo || v > hi)
		return ini_fail(&ps->err, "[%s] %s = %s: expected a whole number %u..%u", section, key, value, lo, hi);
	*out = (unsigned)v;
	return 1;
}

static int text(struct parse *ps, const char *section, const char *key, const char *value, char *out, size_t len,
		bool absolute)
{
	if (!*value || strlen(value) >= len)
		return ini_fail(&ps->err, "[%s] %s: empty or too long", section, key);
	if (absolute && value[0] != '/')
		return ini_fail(&ps->err, "[%s] %s = %s: expected an absolute path", section, key, value);
	snprintf(out, len, "%s", value);
	return 1;
}

static int safety_key(struct parse *ps, const char *key, const char *value)
{
	for (size_t i = 0; i < sizeof safety_keys / sizeof safety_keys[0]; i++) {
		if (strcmp(safety_keys[i].name, key) != 0)
			continue;
		double v;
		if (!number(ps, "safety", key, value, &v))
			return 0;
		struct safety_limits trial = ps->c->limits;
		*(double *)((char *)&trial + safety_keys[i].offset) = v * safety_keys[i].scale;
		char err[256];
		/* one key at a time against the hard limits: the message names it */
		struct safety_limits hard;
		safety_limits_hard(&hard);
		double h = *(double *)((char *)&hard + safety_keys[i].offset) / safety_keys[i].scale;
		bool min_type = !strcmp(key, "plate_min_c") || !strcmp(key, "setpoint_min_c") ||
				!strcmp(key, "cold_below_c");
		if (v <= 0 || (min_type ? v < h : v > h))
			return ini_fail(&ps->err, "[safety] %s = %s is beyond the hard limit %g: limits can only be narrowed", key,
				    value, h);
		(void)err;
		ps->c->limits = trial;
		return 1;
	}
	return ini_fail(&ps->err, "[safety]: unknown key '%s'", key);
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse *ps = user;
	struct config *c = ps->c;
	if (!strcmp(section, "safety"))
		return safety_key(ps, key, value);
	if (!strcmp(section, "pad")) {
		if (!strcmp(key, "serial"))
			return text(ps, section, key, value, c->pad_serial, sizeof c->pad_serial, false);
		if (!strcmp(key, "watchdog_ms"))
			return whole(ps, section, key, value, 100, 5000, &c->watchdog_ms);
	} else if (!strcmp(section, "paths")) {
		if (!strcmp(key, "profiles_dir"))
			return text(ps, section, key, value, c->profiles_dir, sizeof c->profiles_dir, true);
		if (!strcmp(key, "state_dir"))
			return text(ps, section, key, value, c->state_dir, sizeof c->state_dir, true);
	} else if (!strcmp(section, "socket")) {
		if (!strcmp(key, "path"))
			return text(ps, section, key, value, c->socket_path, sizeof c->socket_path, true);
		if (!strcmp(key, "group"))
			return text(ps, section, key, value, c->socket_group, sizeof c->socket_group, false);
		if (!strcmp(key, "read_only_others")) {
			if (!strcmp(value, "yes") || !strcmp(value, "no")) {
				c->read_only_others = !strcmp(value, "yes");
				return 1;
			}
			return ini_fail(&ps->err, "[socket] read_only_others = %s: expected yes or no", value);
		}
		if (!strcmp(key, "max_clients"))
			return whole(ps, section, key, value, 1, 1024, &c->max_clients);
		if (!strcmp(key, "max_message_bytes"))
			return whole(ps, section, key, value, 256, 1 << 20, &c->max_message_bytes);
		if (!strcmp(key, "max_output_bytes"))
			return whole(ps, section, key, value, 4096, 64 << 20, &c->max_output_bytes);
		if (!strcmp(key, "idle_timeout_s"))
			return whole(ps, section, key, value, 1, 86400, &c->idle_timeout_s);
	} else if (!strcmp(section, "log")) {
		if (!strcmp(key, "retention_days"))
			return whole(ps, section, key, value, 1, 3650, &c->log_retention_days);
		if (!strcmp(key, "retention_mb"))
			return whole(ps, section, key, value, 1, 100000, &c->log_retention_mb);
	} else if (!strcmp(section, "gpio")) {
		char err[300];
		if (gpio_config_set(&c->gpio, key, value, err, sizeof err) != 0)
			return ini_fail(&ps->err, "%s", err);
		return 1;
	} else {
		return ini_fail(&ps->err, "unknown section [%s] (safety, pad, paths, socket, log, gpio)", section);
	}
	return ini_fail(&ps->err, "[%s]: unknown key '%s'", section, key);
}

int config_parse(const char *text_in, const char *filename, struct config *out, struct config_error *err)
{
	struct config c;
	config_defaults(&c);
	struct parse ps = {.c = &c};
	memset(err, 0, sizeof *err);
	int line = ini_parse_string(text_in, on_key, &ps);
	char msg[300];
	if (line != 0) {
		err->line = line > 0 ? line : 0;
		snprintf(err->text, sizeof err->text, "%s:%d: %s", filename, err->line, ps.err.failed ? ps.err.msg : "syntax error");
		return -1;
	}
	if (safety_limits_validate(&c.limits, msg, sizeof msg) != 0 ||
	    gpio_config_validate(&c.gpio, msg, sizeof msg) != 0) {
		snprintf(err->text, sizeof err->text, "%s: %s", filename, msg);
		return -1;
	}
	*out = c;
	return 0;
}
