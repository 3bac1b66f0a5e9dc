/* SPDX-License-Identifier: MIT */
/* What systemd is told (health.h). */
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "health.h"

void health_init(struct health *h)
{
	memset(h, 0, sizeof *h);
	if (sd_watchdog_enabled(0, &h->watchdog_usec) <= 0)
		h->watchdog_usec = 0;
}

bool health_status_line(const struct pad_table *t, double now, char *line, size_t len)
{
	bool healthy = true;
	size_t used = 0;
	line[0] = '\0';
	for (int i = 0; i < PAD_MAX; i++) {
		const struct pad_slot *p = &t->slots[i];
		if (!p->used || !p->serial[0])
			continue;
		if (p->present && now - p->last_sample_t > 1.0)
			healthy = false;
		struct core_status st;
		pad_status(p, &st);
		const char *sep = used ? "; " : "";
		int w;
		if (!p->present)
			w = snprintf(line + used, len - used, "%s%s: away", sep, p->serial);
		else if (st.fault)
			w = snprintf(line + used, len - used, "%s%s: fault %s", sep, p->serial, st.fault_code);
		else if (st.phase_kind)
			w = snprintf(line + used, len - used, "%s%s: %s %s, phase %d/%d %s, target %.1f C", sep, p->serial,
				     st.state_name, st.plan_name, st.step, st.nsteps, st.phase_kind, st.target_c);
		else
			w = snprintf(line + used, len - used, "%s%s: %s", sep, p->serial, st.state_name);
		if (w > 0 && (size_t)w < len - used)
			used += (size_t)w;
	}
	if (!used)
		snprintf(line, len, "waiting for a pad");
	return healthy;
}

void health_update(struct health *h, const struct pad_table *t, double now, double wall)
{
	char line[sizeof h->status_line];
	bool healthy = health_status_line(t, now, line, sizeof line);
	if (strcmp(line, h->status_line)) {
		snprintf(h->status_line, sizeof h->status_line, "%s", line);
		sd_notifyf(0, "STATUS=%s", line);
	}
	if (h->watchdog_usec && healthy && wall - h->watchdog_last >= h->watchdog_usec / 4e6) {
		h->watchdog_last = wall;
		sd_notify(0, "WATCHDOG=1");
	}
}
