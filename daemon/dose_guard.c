/* SPDX-License-Identifier: MIT */
/* The dose ledger kept honest (dose_guard.h). */
#include <stdio.h>
#include <string.h>

#include "dose_guard.h"
#include "io/report.h"

void dose_guard_init(struct dose_guard *g, struct pad_table *pads, struct dose_store *store)
{
	memset(g, 0, sizeof *g);
	g->pads = pads;
	g->store = store;
}

static int slot_index(const struct dose_guard *g, const struct pad_slot *p)
{
	return (int)(p - g->pads->slots);
}

int dose_guard_load(struct dose_guard *g, const char *serial, double now, struct dose_ledger *l, char *why,
		    size_t whylen)
{
	char path[600];
	int rc = dose_store_load(g->store, serial, l, path, sizeof path, why, whylen);
	if (rc < 0)
		dose_ledger_worst(l, now + g->pads->cfg.epoch_s, &g->pads->cfg.limits);
	return rc;
}

/* The fault for a file the daemon cannot trust; the file found is kept
 * aside and the ledger (what the daemon counts) written again at once. */
static void untrusted(struct dose_guard *g, struct pad_slot *p, double now, const char *why, bool recorded)
{
	char path[600], kept[640], werr[300];
	dose_store_path(g->store, p->serial, path, sizeof path);
	bool aside = dose_store_keep_aside(g->store, p->serial, kept, sizeof kept) == 0;
	struct dose_ledger l;
	core_ledger_snapshot(&p->core, &l);
	char written[400];
	if (dose_store_save(g->store, p->serial, &l, werr, sizeof werr) == 0)
		snprintf(written, sizeof written, ", written again%s",
			 aside ? " (the file found is kept beside it, .untrusted)" : "");
	else if (snprintf(written, sizeof written, "; it cannot be written again (%s)", werr) >= (int)sizeof written)
		written[sizeof written - 1] = '\0';
	/* a message longer than the fault holds is cut at its end: the file
	 * and what is wrong come first */
	char msg[2048];
	if (recorded)
		snprintf(msg, sizeof msg,
			 "the dose ledger %s %s. The doses this daemon recorded are kept%s. Find out what changed it "
			 "(the disk, a copy put back, a person), then clear the fault",
			 path, why, written);
	else
		snprintf(msg, sizeof msg,
			 "the dose ledger %s %s. Its doses count as the worst the caps allow (%.1f CEM43 min of heat, "
			 "%.0f min of cold in the last 24 h, just ended)%s. Clear the fault to go on from there; if "
			 "you know the skin has rested a day, stop the daemon and remove the file to start from zero",
			 path, why, l.n ? l.day[l.n - 1].heat_cem43_min : 0.0, l.n ? l.day[l.n - 1].cold_s / 60.0 : 0.0,
			 written);
	g->reported[slot_index(g, p)] = true;
	pad_fault(p, now, "dose-ledger", msg);
}

void dose_guard_arrived(struct dose_guard *g, struct pad_slot *p, int dosed, bool known, const char *why,
			double now)
{
	if (dosed < 0) {
		untrusted(g, p, now, why, known);
		return;
	}
	if (dosed > 0 || known)
		return;
	/* a first start: the file begins now, so that from here on one gone
	 * or put back is seen */
	struct dose_ledger l;
	core_ledger_snapshot(&p->core, &l);
	char err[300], path[600];
	dose_store_path(g->store, p->serial, path, sizeof path);
	if (dose_store_save(g->store, p->serial, &l, err, sizeof err) == 0)
		report_log(LOG_INFO, "pad %s: its dose ledger begins at %s", p->serial, path);
	else
		report_log(LOG_ERR, "pad %s: cannot begin its dose ledger at %s: %s", p->serial, path, err);
}

/* 0 when the pad's file is what the daemon wrote (or already reported). */
static int check_one(struct dose_guard *g, struct pad_slot *p, double now)
{
	if (g->reported[slot_index(g, p)])
		return 0;
	char why[300];
	if (dose_store_verify(g->store, p->serial, why, sizeof why) == 0)
		return 0;
	untrusted(g, p, now, why, true);
	return -1;
}

void dose_guard_tick(struct dose_guard *g, double now)
{
	bool check = now >= g->next_check_t, save = now >= g->next_checkpoint_t;
	if (check)
		g->next_check_t = now + DOSE_GUARD_CHECK_S;
	if (save)
		g->next_checkpoint_t = now + DOSE_STORE_CHECKPOINT_S;
	for (int i = 0; i < PAD_MAX && (check || save); i++) {
		struct pad_slot *p = &g->pads->slots[i];
		if (!p->used || !p->present)
			continue;
		if ((check || save) && check_one(g, p, now) != 0)
			continue;
		if (!save || g->reported[i])
			continue;
		struct dose_ledger l;
		core_ledger_snapshot(&p->core, &l);
		char err[300];
		if (dose_store_checkpoint(g->store, p->serial, &l, err, sizeof err) != 0)
			report_log(LOG_ERR, "pad %s: cannot save its dose ledger: %s", p->serial, err);
	}
}

static int start_allowed(void *ctx, struct pad_slot *p, double now, char *err, size_t errlen)
{
	if (check_one(ctx, p, now) == 0)
		return 0;
	snprintf(err, errlen, "%s", p->core.safety.message);
	return -1;
}

struct pad_start_gate dose_guard_start_gate(struct dose_guard *g)
{
	return (struct pad_start_gate){.ctx = g, .allowed = start_allowed};
}

static void on_event(void *ctx, const struct pad_slot *p, const struct pad_event *e)
{
	struct dose_guard *g = ctx;
	bool cleared = (e->kind == PAD_REQUEST_DONE && !strcmp(e->text, "clear-faults")) ||
		       (e->kind == PAD_CORE_EVENT && !strcmp(e->core->code, "faults-cleared"));
	int i = slot_index(g, p);
	if (!cleared || !g->reported[i] || pad_fault_latched(p))
		return;
	g->reported[i] = false;
	struct dose_ledger l;
	core_ledger_snapshot(&p->core, &l);
	char err[300];
	if (dose_store_save(g->store, p->serial, &l, err, sizeof err) != 0)
		report_log(LOG_ERR, "pad %s: cannot write its dose ledger again: %s", p->serial, err);
}

struct pad_sink dose_guard_sink(struct dose_guard *g)
{
	return (struct pad_sink){.ctx = g, .on_event = on_event};
}
