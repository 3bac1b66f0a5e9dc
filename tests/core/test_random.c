/* SPDX-License-Identifier: MIT */
/*
 * Randomized: random profiles, narrowed configurations, sensor faults,
 * gaps, firmware faults and operator actions, against a simple plant. After
 * every call: no drive while a fault is latched, no target outside the
 * envelope, never more than full drive. Seeded, so a failure reproduces.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double uniform(double lo, double hi)
{
	return lo + (hi - lo) * (double)(next() >> 11) / 9007199254740992.0;
}

static void random_plan(struct plan *p)
{
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "random");
	p->nphases = 1 + (int)(next() % 4);
	p->cycles = 1 + (int)(next() % 4);
	p->band_c = uniform(0.2, 1.0);
	for (int i = 0; i < p->nphases; i++) {
		struct phase *ph = &p->phases[i];
		ph->kind = (enum phase_kind)(next() % 4);
		/* sometimes outside the envelope on purpose: start must refuse */
		ph->target_c = ph->kind == PHASE_HEAT ? uniform(32.5, 44) : uniform(8, 31.5);
		ph->duration_s = uniform(5, 120);
		ph->ramp_c_per_s = next() % 3 == 0 ? uniform(0.01, 0.2) : 0;
		snprintf(ph->name, sizeof ph->name, "p%d", i);
	}
	p->has_end = next() % 2;
	p->end = (enum phase_kind)(next() % 4);
}

static void check(const struct core *c, const struct core_output *out, const struct safety_limits *lim)
{
	if (c->safety.latched && out->drive != 0.0)
		fail_msg("drive %.3f while '%s' is latched", out->drive, c->safety.code);
	if (!(fabs(out->drive) <= 1.0))
		fail_msg("drive %.3f beyond full scale", out->drive);
	struct core_status st;
	core_status(c, &st);
	if (!isnan(st.setpoint_c) && (st.setpoint_c < lim->setpoint_min_c - 1e-9 || st.setpoint_c > lim->setpoint_max_c + 1e-9))
		fail_msg("setpoint %.2f outside %.2f..%.2f", st.setpoint_c, lim->setpoint_min_c, lim->setpoint_max_c);
	for (int i = 0; c->state != CORE_IDLE && i < c->run.nsteps; i++) {
		const struct phase *ph = &c->run.steps[i];
		if (ph->kind != PHASE_OFF && (ph->target_c < lim->setpoint_min_c || ph->target_c > lim->setpoint_max_c))
			fail_msg("a running plan holds target %.2f outside the envelope", ph->target_c);
	}
}

static void random_sessions(void **state)
{
	(void)state;
	long samples = 0, faults = 0, starts = 0, refused = 0;
	/* Under valgrind and the sanitizers the point is memory errors, not
	 * coverage of the random space: a tenth (valgrind) or a third (ASan)
	 * of the runs, the same seed so the same first runs; the plain pass
	 * runs all 300. */
	const char *san = getenv("TP_SAN");
	int runs = getenv("TP_VALGRIND") ? 30 : san && !strcmp(san, "1") ? 100 : 300;
	for (int run = 0; run < runs; run++) {
		struct core_config cfg;
		core_config_default(&cfg);
		/* a narrowed envelope, as a configuration may set */
		cfg.limits.setpoint_max_c = uniform(36, 42);
		cfg.limits.setpoint_min_c = uniform(10, 20);
		cfg.limits.plate_max_c = uniform(cfg.limits.setpoint_max_c + 0.5, 45);
		static struct core c;
		core_init(&c, &cfg);
		double plate = uniform(20, 36), t = 0;
		struct core_output out = {0};
		for (int i = 0; i < 3000; i++) {
			t += 0.1;
			/* the plant: the drive moves the plate, the skin pulls it to 33 C */
			plate += (out.drive * (out.drive > 0 ? 1.2 : 0.4) - (plate - 33) * 0.01) * 0.1 + uniform(-0.02, 0.02);
			struct core_sample s = {.t = t, .plate_c = {plate, plate + uniform(-0.1, 0.1)},
						.plate_ok = {true, true}, .sink_c = uniform(25, 40), .sink_ok = true,
						.current_a = out.drive * 5};
			uint64_t dice = next() % 1000;
			if (dice < 3)
				s.plate_ok[next() % 2] = false;
			else if (dice < 5)
				s.plate_c[0] = uniform(-20, 60);
			else if (dice < 6)
				s.fw_faults = 1u << (next() % 32);
			else if (dice < 8)
				s.sink_c = uniform(50, 70);
			else if (dice < 10)
				t += uniform(0.3, 3); /* a gap in telemetry */
			char err[300];
			if (dice >= 990) {
				struct plan p;
				random_plan(&p);
				starts++;
				if (core_start(&c, &p, t, err, sizeof err) != 0)
					refused++;
			} else if (dice >= 980) {
				switch (next() % 6) {
				case 0: core_pause(&c, t, err, sizeof err); break;
				case 1: core_resume(&c, t, err, sizeof err); break;
				case 2: core_skip(&c, t, err, sizeof err); break;
				case 3: core_extend(&c, uniform(-10, 600), err, sizeof err); break;
				case 4: core_stop(&c, t, err, sizeof err); break;
				default: core_clear_faults(&c, t, err, sizeof err); break;
				}
			}
			if (next() % 50 == 0) {
				core_on_tick(&c, t + uniform(0, 3), &out);
				check(&c, &out, &cfg.limits);
			}
			core_on_sample(&c, &s, &out);
			check(&c, &out, &cfg.limits);
			samples++;
			faults += c.safety.latched;
		}
	}
	printf("# %ld samples, %ld with a fault latched, %ld starts (%ld refused)\n", samples, faults, starts, refused);
	assert_true(faults > 0 && refused > 0 && refused < starts); /* the test exercised both sides */
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(random_sessions)};
	return cmocka_run_group_tests_name("random", tests, NULL, NULL);
}
