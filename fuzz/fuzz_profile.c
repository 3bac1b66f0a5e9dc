/* SPDX-License-Identifier: MIT */
/* The profile parser on arbitrary text: it must answer (accept or name an
 * error), never crash; an accepted profile must be a plan the core starts. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct safety_limits lim;
	safety_limits_default(&lim);
	struct profile p;
	struct profile_error e;
	if (profile_parse(text, "fuzz.ini", "fuzz", &lim, 32.0, &p, &e) == 0) {
		struct plan_run run;
		char err[256];
		assert(plan_expand(&p.plan, &run, err, sizeof err) == 0);
		for (int i = 0; i < p.plan.nphases; i++)
			if (p.plan.phases[i].kind != PHASE_OFF)
				assert(p.plan.phases[i].target_c >= lim.setpoint_min_c &&
				       p.plan.phases[i].target_c <= lim.setpoint_max_c);
	} else {
		assert(e.text[0] != '\0');
	}
	free(text);
	return 0;
}
