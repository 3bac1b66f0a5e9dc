/* SPDX-License-Identifier: MIT */
/* A test rig for the control core: synthetic samples, a running session. */
#ifndef THERMOPAD_TEST_CORE_RIG_H
#define THERMOPAD_TEST_CORE_RIG_H

#include <string.h>

#include "core.h"

struct rig {
	struct core core;
	struct core_sample s;
	struct core_output out;
	double t;
};

static inline void rig_sample(struct rig *r, double plate, double sink)
{
	r->t += 0.1;
	r->s.t = r->t;
	r->s.plate_c[0] = r->s.plate_c[1] = plate;
	r->s.plate_ok[0] = r->s.plate_ok[1] = r->s.sink_ok = true;
	r->s.sink_c = sink;
	core_on_sample(&r->core, &r->s, &r->out);
}

static inline struct plan rig_plan(enum phase_kind kind, double target, double minutes)
{
	struct plan p;
	memset(&p, 0, sizeof p);
	strcpy(p.name, "test");
	p.cycles = 1;
	p.nphases = 1;
	p.band_c = 0.5;
	p.phases[0] = (struct phase){.kind = kind, .target_c = target, .duration_s = minutes * 60};
	strcpy(p.phases[0].name, "only");
	return p;
}

/* A core with a session running toward target, the plate at plate. */
static inline int rig_start(struct rig *r, enum phase_kind kind, double target, double plate)
{
	memset(r, 0, sizeof *r);
	struct core_config cfg;
	core_config_default(&cfg);
	core_init(&r->core, &cfg);
	rig_sample(r, plate, 25);
	struct plan p = rig_plan(kind, target, 10);
	char err[256];
	return core_start(&r->core, &p, r->t, err, sizeof err);
}

static inline const struct core_event *rig_event(const struct rig *r, const char *code)
{
	for (int i = 0; i < r->out.nevents; i++)
		if (strcmp(r->out.events[i].code, code) == 0)
			return &r->out.events[i];
	return NULL;
}

#endif
