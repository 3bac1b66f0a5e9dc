/* SPDX-License-Identifier: MIT */
#include "faults.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct name_map {
	const char *name;
	int value;
};

static const struct name_map targets[] = {
	{"sensor-a", FAULT_SENSOR_A}, {"sensor-b", FAULT_SENSOR_B}, {"sink", FAULT_SENSOR_SINK},
	{"fan", FAULT_FAN}, {"tec", FAULT_TEC}, {"supply", FAULT_SUPPLY}, {"fuse", FAULT_FUSE},
	{"switch", FAULT_SWITCH}, {"mcu", FAULT_MCU}, {"relay", FAULT_RELAY}, {"usb", FAULT_USB},
	{"contact", FAULT_CONTACT}, {"all", FAULT_ALL},
};

static const struct name_map kinds[] = {
	{"ok", FAULT_KIND_OK}, {"open", FAULT_KIND_OPEN}, {"short", FAULT_KIND_SHORT},
	{"stuck", FAULT_KIND_STUCK}, {"noisy", FAULT_KIND_NOISY}, {"offset", FAULT_KIND_OFFSET},
	{"fail", FAULT_KIND_FAIL}, {"sag", FAULT_KIND_SAG}, {"stall", FAULT_KIND_STALL},
	{"malformed", FAULT_KIND_MALFORMED}, {"unplug", FAULT_KIND_UNPLUG}, {"replug", FAULT_KIND_REPLUG},
	{"welded", FAULT_KIND_WELDED}, {"reset", FAULT_KIND_RESET}, {"hang", FAULT_KIND_HANG}, {"dead", FAULT_KIND_DEAD},
	{"detached", FAULT_KIND_DETACHED}, {"drift", FAULT_KIND_DRIFT}, {"reversed", FAULT_KIND_REVERSED},
	{"slow", FAULT_KIND_SLOW}, {"scale", FAULT_KIND_SCALE}, {"replay", FAULT_KIND_REPLAY},
};

/* Which kinds each target takes, and whether the value is required (2),
 * optional (1) or not allowed (0). */
struct rule {
	enum fault_target target;
	enum fault_kind kind;
	int value;
};

static const struct rule rules[] = {
	{FAULT_SENSOR_A, FAULT_KIND_OPEN, 0}, {FAULT_SENSOR_A, FAULT_KIND_SHORT, 0},
	{FAULT_SENSOR_A, FAULT_KIND_STUCK, 1}, {FAULT_SENSOR_A, FAULT_KIND_NOISY, 2},
	{FAULT_SENSOR_A, FAULT_KIND_OFFSET, 2}, {FAULT_SENSOR_A, FAULT_KIND_OK, 0},
	{FAULT_SENSOR_A, FAULT_KIND_DETACHED, 0}, {FAULT_SENSOR_A, FAULT_KIND_DRIFT, 2},
	{FAULT_FAN, FAULT_KIND_FAIL, 0}, {FAULT_FAN, FAULT_KIND_SLOW, 2}, {FAULT_FAN, FAULT_KIND_OK, 0},
	{FAULT_TEC, FAULT_KIND_STUCK, 2}, {FAULT_TEC, FAULT_KIND_REVERSED, 0}, {FAULT_TEC, FAULT_KIND_SHORT, 0},
	{FAULT_TEC, FAULT_KIND_OK, 0},
	{FAULT_CONTACT, FAULT_KIND_SCALE, 2}, {FAULT_CONTACT, FAULT_KIND_OK, 0},
	{FAULT_SUPPLY, FAULT_KIND_SAG, 2}, {FAULT_SUPPLY, FAULT_KIND_OK, 0},
	{FAULT_FUSE, FAULT_KIND_OPEN, 0}, {FAULT_FUSE, FAULT_KIND_SHORT, 0}, {FAULT_FUSE, FAULT_KIND_OK, 0},
	{FAULT_SWITCH, FAULT_KIND_WELDED, 0}, {FAULT_SWITCH, FAULT_KIND_OPEN, 0}, {FAULT_SWITCH, FAULT_KIND_OK, 0},
	{FAULT_MCU, FAULT_KIND_RESET, 0}, {FAULT_MCU, FAULT_KIND_HANG, 0}, {FAULT_MCU, FAULT_KIND_DEAD, 0},
	{FAULT_MCU, FAULT_KIND_OK, 0},
	{FAULT_RELAY, FAULT_KIND_OPEN, 0}, {FAULT_RELAY, FAULT_KIND_WELDED, 0}, {FAULT_RELAY, FAULT_KIND_OK, 0},
	{FAULT_USB, FAULT_KIND_STALL, 2}, {FAULT_USB, FAULT_KIND_MALFORMED, 2},
	{FAULT_USB, FAULT_KIND_UNPLUG, 0}, {FAULT_USB, FAULT_KIND_REPLUG, 0}, {FAULT_USB, FAULT_KIND_REPLAY, 2},
	{FAULT_USB, FAULT_KIND_OK, 0},
	{FAULT_ALL, FAULT_KIND_OK, 0},
};

static int lookup(const struct name_map *map, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(map[i].name) == len && strncmp(map[i].name, name, len) == 0)
			return map[i].value;
	return -1;
}

static bool value_ok(enum fault_kind kind, double v)
{
	switch (kind) {
	/* a drive (checked again for tec), or a temperature: beyond what the
	 * protocol's range holds too, where a reading converts to nothing */
	case FAULT_KIND_STUCK: return v >= -60.0 && v <= 200.0;
	case FAULT_KIND_NOISY: return v >= 0.0 && v <= 20.0;
	case FAULT_KIND_OFFSET: return v >= -50.0 && v <= 50.0;
	case FAULT_KIND_SAG: return v >= 0.0 && v <= 1.0;
	case FAULT_KIND_STALL: return v > 0.0 && v <= 3600.0;
	case FAULT_KIND_MALFORMED:
	case FAULT_KIND_REPLAY: return v >= 1.0 && v <= 1000.0 && v == floor(v);
	case FAULT_KIND_DRIFT: return v >= -10.0 && v <= 10.0;
	case FAULT_KIND_SLOW: return v >= 0.0 && v <= 1.0;
	case FAULT_KIND_SCALE: return v >= 0.0 && v <= 3.0;
	default: return true;
	}
}

int faults_parse(const char *spec, struct pad_fault *out, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	if (!colon) {
		snprintf(err, errlen, "fault '%s': expected TARGET:KIND[=VALUE]", spec);
		return -1;
	}
	int target = lookup(targets, sizeof targets / sizeof targets[0], spec, (size_t)(colon - spec));
	if (target < 0) {
		snprintf(err, errlen, "fault '%s': unknown target '%.*s' (sensor-a, sensor-b, sink, fan, tec, supply, fuse, switch, mcu, relay, usb, contact, all)",
			 spec, (int)(colon - spec), spec);
		return -1;
	}
	const char *kind_s = colon + 1, *eq = strchr(kind_s, '=');
	size_t kind_len = eq ? (size_t)(eq - kind_s) : strlen(kind_s);
	int kind = lookup(kinds, sizeof kinds / sizeof kinds[0], kind_s, kind_len);
	/* the sink sensor takes the same kinds as the plate sensors */
	enum fault_target rule_target = target == FAULT_SENSOR_B || target == FAULT_SENSOR_SINK ? FAULT_SENSOR_A
												 : (enum fault_target)target;
	const struct rule *rule = NULL;
	for (size_t i = 0; kind >= 0 && i < sizeof rules / sizeof rules[0]; i++)
		if (rules[i].target == rule_target && rules[i].kind == (enum fault_kind)kind)
			rule = &rules[i];
	if (!rule) {
		snprintf(err, errlen, "fault '%s': '%.*s' is not a fault of '%.*s'", spec, (int)kind_len, kind_s,
			 (int)(colon - spec), spec);
		return -1;
	}
	memset(out, 0, sizeof *out);
	out->target = (enum fault_target)target;
	out->kind = (enum fault_kind)kind;
	if (eq) {
		char *end;
		errno = 0;
		double v = strtod(eq + 1, &end);
		bool drive_ok = out->target != FAULT_TEC || (v >= -1.0 && v <= 1.0);
		if (rule->value == 0 || end == eq + 1 || *end || errno || !isfinite(v) || !value_ok(out->kind, v) ||
		    !drive_ok) {
			snprintf(err, errlen, "fault '%s': bad or unexpected value '%s'", spec, eq + 1);
			return -1;
		}
		out->has_value = true;
		out->value = v;
	} else if (rule->value == 2) {
		snprintf(err, errlen, "fault '%s': needs a value (%.*s=VALUE)", spec, (int)kind_len, kind_s);
		return -1;
	}
	return 0;
}

static const char *name_of(const struct name_map *map, size_t n, int value)
{
	for (size_t i = 0; i < n; i++)
		if (map[i].value == value)
			return map[i].name;
	return "?";
}

int faults_rule_name(size_t i, char *buf, size_t len)
{
	static const enum fault_target sensors[] = {FAULT_SENSOR_A, FAULT_SENSOR_B, FAULT_SENSOR_SINK};
	for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
		bool sensor = rules[r].target == FAULT_SENSOR_A;
		for (size_t k = 0; k < (sensor ? 3u : 1u); k++, i--) {
			if (i != 0)
				continue;
			int target = sensor ? (int)sensors[k] : (int)rules[r].target;
			snprintf(buf, len, "%s:%s", name_of(targets, sizeof targets / sizeof targets[0], target),
				 name_of(kinds, sizeof kinds / sizeof kinds[0], (int)rules[r].kind));
			return 0;
		}
	}
	return -1;
}

bool faults_is_usb(const struct pad_fault *f)
{
	return f->target == FAULT_USB;
}
