/* SPDX-License-Identifier: MIT */
#include "model_ini.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini_util.h"

struct key {
	const char *section, *name;
	size_t offset;
	double min, max; /* accepted range, inclusive */
};

#define P(field) offsetof(struct model_params, field)
static const struct key keys[] = {
	{"module", "supply_v", P(supply_v), 1, 48},
	{"module", "seebeck_v_per_k", P(seebeck_v_per_k), 0.001, 1},
	{"module", "resistance_ohm", P(resistance_ohm), 0.05, 100},
	{"module", "conductance_w_per_k", P(conductance_w_per_k), 0.01, 20},
	{"module", "current_max_a", P(current_max_a), 0.1, 30},
	{"plate", "heat_capacity_j_per_k", P(plate_j_per_k), 1, 10000},
	{"plate", "to_ambient_w_per_k", P(plate_to_ambient_w_per_k), 0, 50},
	{"tissue", "heat_capacity_j_per_k", P(tissue_j_per_k), 1, 100000},
	{"tissue", "to_plate_w_per_k", P(tissue_to_plate_w_per_k), 0.01, 50},
	{"tissue", "to_core_w_per_k", P(tissue_to_core_w_per_k), 0, 50},
	{"tissue", "core_c", P(core_c), 30, 42},
	{"sink", "heat_capacity_j_per_k", P(sink_j_per_k), 1, 100000},
	{"sink", "to_ambient_w_per_k", P(sink_to_ambient_w_per_k), 0.01, 100},
	{"sink", "to_ambient_fan_failed_w_per_k", P(sink_to_ambient_fan_failed_w_per_k), 0.01, 100},
	{"environment", "ambient_c", P(ambient_c), -10, 45},
	{"integration", "step_s", P(step_s), 0.0001, 0.1},
	{"sensors", "lag_s", P(sensor_lag_s), 0, 60},
	{"sensors", "noise_c", P(sensor_noise_c), 0, 5},
	{"sensors", "resolution_c", P(sensor_resolution_c), 0, 1},
	{"sensors", "offset_a_c", P(sensor_offset_c[0]), -5, 5},
	{"sensors", "offset_b_c", P(sensor_offset_c[1]), -5, 5},
	{"sensors", "offset_sink_c", P(sensor_offset_c[2]), -5, 5},
};
#undef P

struct parse {
	struct model_params *p;
	struct ini_error err;
};

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	bool section_known = false;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		section_known = true;
		if (strcmp(keys[i].name, name) != 0)
			continue;
		double v;
		if (!ini_number(value, &v))
			return ini_fail(&ps->err, "[%s] %s: '%s' is not a number", section, name, value);
		if (v < keys[i].min || v > keys[i].max)
			return ini_fail(&ps->err, "[%s] %s = %s is outside its range", section, name, value);
		*(double *)((char *)ps->p + keys[i].offset) = v;
		return 1;
	}
	if (!section_known)
		return ini_fail(&ps->err, "unknown section [%s]", section);
	return ini_fail(&ps->err, "[%s]: unknown key '%s'", section, name);
}

int model_params_from_string(const char *text, const char *filename, struct model_params *p, char *err,
			     size_t errlen)
{
	struct model_params tmp;
	model_params_reference(&tmp);
	struct parse ps = {.p = &tmp};
	int line = ini_parse_string(text, on_key, &ps);
	if (line != 0) {
		if (line < 0)
			snprintf(err, errlen, "%s: cannot parse", filename);
		else if (ps.err.failed)
			snprintf(err, errlen, "%s:%d: %s", filename, line, ps.err.msg);
		else
			snprintf(err, errlen, "%s:%d: syntax error", filename, line);
		return -1;
	}
	if (tmp.sink_to_ambient_fan_failed_w_per_k > tmp.sink_to_ambient_w_per_k) {
		snprintf(err, errlen, "%s: [sink] to_ambient_fan_failed_w_per_k exceeds to_ambient_w_per_k",
			 filename);
		return -1;
	}
	*p = tmp;
	return 0;
}

int model_params_load(const char *path, struct model_params *p, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	char buf[4096];
	size_t n;
	while (mem && (n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, mem);
	int read_failed = ferror(f);
	fclose(f);
	if (!mem || fclose(mem) != 0 || read_failed) {
		free(text);
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	int rc = model_params_from_string(text, path, p, err, errlen);
	free(text);
	return rc;
}
