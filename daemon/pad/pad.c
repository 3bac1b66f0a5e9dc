/* SPDX-License-Identifier: MIT */
/*
 * Telemetry in, drive out (pad.h): each report is converted once, goes to
 * the pad's core, and the core's drive goes back as SET_OUTPUT (the
 * heartbeat) in the same call; pad_tick keeps the heartbeat and the stale
 * checks going when reports stop. Everything that happens is told to the
 * sinks, in the order they were registered.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pad/pad.h"

void pad_table_init(struct pad_table *t, const struct pad_table_config *cfg, const struct pad_link_ops *ops)
{
	memset(t, 0, sizeof *t);
	t->cfg = *cfg;
	t->ops = *ops;
	for (int i = 0; i < PAD_MAX; i++)
		t->slots[i].table = t;
}

int pad_table_add_sink(struct pad_table *t, const struct pad_sink *s)
{
	if (t->nsinks == PAD_MAX_SINKS)
		return -1;
	t->sinks[t->nsinks++] = *s;
	return 0;
}

void pad_table_set_clear_gate(struct pad_table *t, const struct pad_clear_gate *g)
{
	t->gate = *g;
}

void pad_table_set_start_gate(struct pad_table *t, const struct pad_start_gate *g)
{
	t->start_gate = *g;
}

static int set_up_firmware(const struct pad_table *t, void *link, const struct tp_info *info);
static void tell_kind(const struct pad_slot *p, enum pad_event_kind kind, double now, const char *text, long count);

void pad_table_configure(struct pad_table *t, const struct pad_table_config *cfg)
{
	double epoch = t->cfg.epoch_s; /* the ledger's clock does not move on a reload */
	t->cfg = *cfg;
	t->cfg.epoch_s = epoch;
	for (int i = 0; i < PAD_MAX; i++) {
		struct pad_slot *p = &t->slots[i];
		if (!p->used)
			continue;
		core_set_limits(&p->core, &cfg->limits);
		if (p->present && p->link && set_up_firmware(t, p->link, &p->info) != 0)
			tell_kind(p, PAD_SEND_FAILED, p->last_sample_t, "the reloaded limits or watchdog could not be set",
				  (long)++p->send_failures);
	}
}

double pad_table_period_s(const struct pad_table *t)
{
	double period = 0;
	for (int i = 0; i < PAD_MAX; i++) {
		const struct pad_slot *p = &t->slots[i];
		if (p->used && p->present && p->info.telemetry_period_ms) {
			double s = p->info.telemetry_period_ms / 1000.0;
			period = period > 0 ? fmin(period, s) : s;
		}
	}
	return period > 0 ? period : 0.1;
}

static void tell(const struct pad_slot *p, const struct pad_event *e)
{
	const struct pad_table *t = p->table;
	for (int i = 0; i < t->nsinks; i++)
		t->sinks[i].on_event(t->sinks[i].ctx, p, e);
}

static void tell_kind(const struct pad_slot *p, enum pad_event_kind kind, double now, const char *text, long count)
{
	tell(p, &(struct pad_event){.kind = kind, .t = now, .text = text, .count = count});
}

/* The core's events, and the end of a session among them. */
static void tell_core(struct pad_slot *p, double now, const struct core_output *out)
{
	for (int i = 0; i < out->nevents; i++) {
		const struct core_event *e = &out->events[i];
		tell(p, &(struct pad_event){.kind = PAD_CORE_EVENT, .t = now, .core = e});
		if (!strcmp(e->code, "session-end") && p->in_session) {
			p->in_session = false;
			tell_kind(p, PAD_SESSION_ENDED, now, e->message, 0);
		}
	}
}

/* The one place a drive goes to a pad, and where the zero-acknowledgement
 * anchor is kept: the first of the zero commands now in force. */
static void send_drive(struct pad_slot *p, double now, double drive)
{
	struct pad_table *t = p->table;
	if (!p->present || !p->link)
		return;
	if (t->stopping)
		drive = 0; /* once stopping, whatever comes late sends zero */
	struct tp_set_output cmd = {.seq = ++p->cmd_seq, .drive = (int16_t)lround(drive * TP_DRIVE_FULL)};
	if (cmd.drive != 0)
		p->zero_sent = false;
	else if (!p->zero_sent)
		p->zero_sent = true, p->zero_seq = cmd.seq;
	int rc = t->ops.send_drive(p->link, &cmd);
	if (rc != 0) {
		p->send_failures++;
		tell_kind(p, PAD_SEND_FAILED, now, t->ops.strerror ? t->ops.strerror(rc) : "failed",
			  (long)p->send_failures);
	}
}

/* ---- arrival and departure ------------------------------------------- */

static struct pad_slot *slot_for(struct pad_table *t, const char *serial, const struct dose_ledger *ledger)
{
	for (int i = 0; i < PAD_MAX; i++) {
		struct pad_slot *p = &t->slots[i];
		if (p->used && !p->present && !strcmp(p->serial, serial))
			return p; /* it came back: its core, and a session it left */
	}
	for (int i = 0; i < PAD_MAX; i++) {
		struct pad_slot *p = &t->slots[i];
		if (p->used)
			continue;
		memset(p, 0, sizeof *p);
		p->table = t;
		struct core_config cc;
		core_config_default(&cc);
		cc.limits = t->cfg.limits;
		core_init(&p->core, &cc);
		p->core.epoch_offset_s = t->cfg.epoch_s;
		if (ledger)
			p->core.ledger = *ledger;
		p->used = true;
		snprintf(p->serial, sizeof p->serial, "%s", serial);
		return p;
	}
	return NULL;
}

static struct pad_slot *find_present(struct pad_table *t, const char *serial)
{
	for (int i = 0; i < PAD_MAX; i++)
		if (t->slots[i].used && t->slots[i].present && !strcmp(t->slots[i].serial, serial))
			return &t->slots[i];
	return NULL;
}

/* The envelope, narrowed into the firmware too (never past its own hard
 * limits, and it only narrows): the plate to the setpoints plus a 2 C
 * margin (PROTOCOL.md 3, SET_LIMITS), the heat sink to the daemon's own
 * maximum; and the firmware's watchdog. */
static void envelope(const struct pad_table *t, const struct tp_info *info, struct tp_set_limits *lim,
		     struct tp_set_watchdog *wd)
{
	const struct safety_limits *l = &t->cfg.limits;
	const struct tp_limits *hard = &info->hard_limits;
	long plate_max = lround(fmin(l->plate_max_c, l->setpoint_max_c + 2.0) * 100);
	long plate_min = lround(fmax(l->plate_min_c, l->setpoint_min_c - 2.0) * 100);
	long sink_max = lround(l->sink_max_c * 100);
	lim->limits = (struct tp_limits){
		.plate_max_cc = (int16_t)(plate_max < hard->plate_max_cc ? plate_max : hard->plate_max_cc),
		.plate_min_cc = (int16_t)(plate_min > hard->plate_min_cc ? plate_min : hard->plate_min_cc),
		.sink_max_cc = (int16_t)(sink_max < hard->sink_max_cc ? sink_max : hard->sink_max_cc),
		.current_max_ma = hard->current_max_ma};
	wd->timeout_ms = (uint16_t)t->cfg.watchdog_ms;
}

static int set_up_firmware(const struct pad_table *t, void *link, const struct tp_info *info)
{
	struct tp_set_limits lim;
	struct tp_set_watchdog wd;
	envelope(t, info, &lim, &wd);
	if (t->ops.set_limits(link, &lim) != 0 || t->ops.set_watchdog(link, &wd) != 0)
		return -1;
	return 0;
}

/* The firmware says it booted (its BOOT flag stays until a CLEAR_FAULTS
 * acknowledges it): it came back with its hard limits and its default
 * watchdog. Ours again, then the acknowledgement; at most once a second,
 * the rate the firmware takes CLEAR_FAULTS at. */
static void acknowledge_boot(struct pad_slot *p, const struct tp_telemetry *t, double now)
{
	if (!(t->flags & TP_FLAG_BOOT) || !p->table->ops.ack_boot)
		return;
	if (p->boot_acked_t >= 0 && now - p->boot_acked_t < 1.0)
		return;
	p->boot_acked_t = now;
	struct tp_set_limits lim;
	struct tp_set_watchdog wd;
	envelope(p->table, &p->info, &lim, &wd);
	if (p->table->ops.ack_boot(p->link, &lim, &wd) != 0)
		tell_kind(p, PAD_SEND_FAILED, now, "the firmware's boot could not be acknowledged",
			  (long)++p->send_failures);
}

struct pad_slot *pad_attach(struct pad_table *t, void *link, const struct tp_info *info, const struct calibration *tuned,
			    const struct dose_ledger *ledger, double now, char *err, size_t errlen)
{
	if (t->cfg.time_scale != 1.0 && !(info->capabilities & TP_CAP_SIMULATED)) {
		snprintf(err, errlen, "pad %s refused: --time-scale is for simulated pads only, and this one is real",
			 info->serial);
		return NULL;
	}
	if (t->cfg.pad_serial[0] && strcmp(t->cfg.pad_serial, info->serial) != 0) {
		snprintf(err, errlen, "pad %s ignored: the configuration names pad %s", info->serial, t->cfg.pad_serial);
		return NULL;
	}
	if (find_present(t, info->serial)) {
		snprintf(err, errlen, "pad %s refused: a pad with the same serial is already connected", info->serial);
		return NULL;
	}
	if (set_up_firmware(t, link, info) != 0) {
		snprintf(err, errlen, "pad %s refused: its limits or watchdog could not be set", info->serial);
		return NULL;
	}
	struct pad_slot *p = slot_for(t, info->serial, ledger);
	if (!p) {
		snprintf(err, errlen, "pad %s ignored: more than %d pads", info->serial, PAD_MAX);
		return NULL;
	}
	p->info = *info;
	/* the firmware's own exposure bounds: the caps stay inside them */
	core_set_firmware_bounds(&p->core, &(struct safety_fw_bounds){.dose_cem43_min = info->dose_max_cmin / 100.0,
								    .cold_below_c = info->cold_below_cc / 100.0,
								    .cold_max_s = info->cold_max_s});
	if (info->telemetry_period_ms)
		p->core.cfg.report_period_s = info->telemetry_period_ms / 1000.0;
	if (tuned)
		core_calibrate(&p->core, tuned);
	p->link = link;
	p->present = true;
	p->boot_acked_t = -1;
	p->have_seq = false;
	p->zero_sent = false;
	tell_kind(p, PAD_ARRIVED, now, NULL, 0);
	return p;
}

void pad_detach(struct pad_slot *p, double now)
{
	if (!p->present)
		return;
	p->present = false;
	p->link = NULL;
	struct core_output out;
	char msg[120];
	snprintf(msg, sizeof msg, "pad %s left the bus", p->serial);
	core_external_fault(&p->core, now, "disconnected", msg, &out);
	tell_kind(p, PAD_DEPARTED, now, NULL, 0);
	tell_core(p, now, &out);
}

/* ---- telemetry in, drive out ----------------------------------------- */

/* Centidegrees to degrees, once: the invalid code is NAN, never -327.68. */
static double degrees(int16_t cc)
{
	return cc == TP_TEMP_INVALID ? NAN : cc / 100.0;
}

static void reading_from(const struct tp_telemetry *t, struct pad_reading *r)
{
	*r = (struct pad_reading){
		.plate_c = {degrees(t->plate_a_cc), degrees(t->plate_b_cc)},
		.plate_ok = {t->plate_a_cc != TP_TEMP_INVALID, t->plate_b_cc != TP_TEMP_INVALID},
		.sink_c = degrees(t->sink_cc),
		.sink_ok = t->sink_cc != TP_TEMP_INVALID,
		.current_a = t->current_ma / 1000.0,
		.drive_applied = t->drive_applied / (double)TP_DRIVE_FULL,
		.fw_faults = t->faults,
		.fw_state = t->state,
		.device_time_ms = t->device_time_ms,
	};
}

/* The pad's device time carries the windows: 1 ms of scheduling jitter at
 * a time scale of 100 is 100 ms of arrival time, none of device time. A
 * report whose sequence number or device time did not move is a repeat,
 * dropped (it would look fresh); device time going back is the pad
 * restarting: its limits and watchdog are sent again, and a session in
 * progress latches the reset. False for a report not to be fed. */
static bool device_time_in(struct pad_slot *p, const struct tp_telemetry *t, double now)
{
	if (!p->have_seq) {
		p->dev_offset_s = now - t->device_time_ms / 1000.0;
		p->last_device_ms = t->device_time_ms;
		return true;
	}
	int32_t moved = (int32_t)(t->device_time_ms - p->last_device_ms);
	if (t->seq == p->last_seq || moved == 0) {
		tell_kind(p, PAD_FRAME_REPEATED, now, NULL, (long)++p->repeated);
		return false;
	}
	/* the sequence number moves one per report period, delivered or
	 * not: one that jumped far from what the device time says is a
	 * firmware that started counting again */
	unsigned period_ms = p->info.telemetry_period_ms ? p->info.telemetry_period_ms : 100;
	long expected = moved > 0 ? moved / (long)period_ms : 0;
	long stepped = (uint16_t)(t->seq - p->last_seq);
	bool recounted = moved > 0 && expected < 30000 && labs(stepped - expected) > 10;
	if (moved < 0 || recounted) {
		char what[200];
		if (moved < 0)
			snprintf(what, sizeof what, "pad %s restarted (its device time went back from %u to %u ms)",
				 p->serial, p->last_device_ms, t->device_time_ms);
		else
			snprintf(what, sizeof what,
				 "pad %s restarted (its report sequence went from %u to %u in %d ms of device time)",
				 p->serial, p->last_seq, t->seq, (int)moved);
		double last_t = p->last_device_ms / 1000.0 + p->dev_offset_s;
		p->dev_offset_s = last_t + p->core.cfg.report_period_s - t->device_time_ms / 1000.0;
		p->resets++;
		p->last_seq_reset = true;
		tell_kind(p, PAD_RESET, now, what, (long)p->resets);
		if (set_up_firmware(p->table, p->link, &p->info) != 0)
			tell_kind(p, PAD_SEND_FAILED, now, "its limits or watchdog could not be set again after the reset",
				  (long)++p->send_failures);
		if (p->core.state != CORE_IDLE)
			pad_fault(p, now, "pad-reset", what);
	}
	p->last_device_ms = t->device_time_ms;
	return true;
}

void pad_on_frame(struct pad_slot *p, const struct tp_telemetry *t, double now)
{
	if (p->table->stopping || !p->present)
		return;
	if (!device_time_in(p, t, now))
		return;
	acknowledge_boot(p, t, now);
	if (p->have_seq && p->last_seq_reset) {
		p->last_seq_reset = false; /* a restart is not reports lost */
	} else if (p->have_seq && proto_seq_gap(p->last_seq, t->seq)) {
		unsigned lost = proto_seq_gap(p->last_seq, t->seq);
		p->gaps += lost;
		tell_kind(p, PAD_FRAMES_LOST, now, NULL, (long)lost);
	}
	p->have_seq = true;
	p->last_seq = t->seq;
	p->frames++;
	struct pad_reading r;
	reading_from(t, &r);
	/* sequence numbers wrap: "at or after" is a signed 16-bit difference */
	bool zero_received = p->zero_sent && (int16_t)(uint16_t)(t->last_cmd_seq - p->zero_seq) >= 0;
	if (zero_received) /* keep the anchor near: sequence numbers wrap */
		p->zero_seq = t->last_cmd_seq;
	struct core_sample s = {
		.t = t->device_time_ms / 1000.0 + p->dev_offset_s,
		.arrival_t = now,
		.plate_c = {r.plate_c[0], r.plate_c[1]},
		.plate_ok = {r.plate_ok[0], r.plate_ok[1]},
		.sink_c = r.sink_c,
		.sink_ok = r.sink_ok,
		.current_a = r.current_a,
		.voltage_v = t->voltage_mv / 1000.0,
		.voltage_ok = true,
		.drive_applied = r.drive_applied,
		.zero_received = zero_received,
		.fw_faults = r.fw_faults,
		.fw_state = r.fw_state,
	};
	struct core_output out;
	core_on_sample(&p->core, &s, &out);
	send_drive(p, now, out.drive);
	p->last = r;
	p->have_tel = true;
	p->last_sample_t = now;
	tell(p, &(struct pad_event){.kind = PAD_SAMPLE, .t = now, .reading = &p->last});
	tell_core(p, now, &out);
}

void pad_frame_refused(struct pad_slot *p, enum proto_err e, int length)
{
	p->rejected++;
	tell_kind(p, PAD_FRAME_REFUSED, p->last_sample_t, proto_strerror(e), length);
}

void pad_tick(struct pad_table *t, double now)
{
	for (int i = 0; i < PAD_MAX; i++) {
		struct pad_slot *p = &t->slots[i];
		if (!p->used || now - p->last_sample_t < 1.5 * p->core.cfg.report_period_s)
			continue;
		struct core_output out;
		core_on_tick(&p->core, now, &out);
		send_drive(p, now, out.drive);
		tell_core(p, now, &out);
	}
}

/* ---- what people ask -------------------------------------------------- */

enum pad_refusal pad_choose(struct pad_table *t, const char *serial, struct pad_slot **out, int *count)
{
	struct pad_slot *found = NULL;
	int n = 0;
	for (int i = 0; i < PAD_MAX; i++) {
		struct pad_slot *p = &t->slots[i];
		if (!p->used || !p->serial[0])
			continue;
		if (!serial || !strcmp(serial, p->serial)) {
			found = p;
			n++;
		}
	}
	*out = found && n == 1 ? found : NULL;
	if (count)
		*count = n;
	return !found ? PAD_NOT_FOUND : n > 1 ? PAD_AMBIGUOUS : PAD_OK;
}

/* A refusal is "fault active" when a latched fault is why. */
static enum pad_refusal judged(struct pad_slot *p, int rc, const char *name, double now)
{
	if (rc != 0)
		return p->core.safety.latched ? PAD_FAULT_ACTIVE : PAD_REFUSED;
	tell_kind(p, PAD_REQUEST_DONE, now, name, 0);
	return PAD_OK;
}

static enum pad_refusal away(const struct pad_slot *p, char *err, size_t errlen)
{
	snprintf(err, errlen, "pad %s is not connected", p->serial);
	return PAD_AWAY;
}

enum pad_refusal pad_start(struct pad_slot *p, const struct profile *prof, const char *profile_name, double now,
			   time_t wall, char *err, size_t errlen)
{
	if (!p->present)
		return away(p, err, errlen);
	const struct pad_start_gate *g = &p->table->start_gate;
	if (!p->core.safety.latched && g->allowed && g->allowed(g->ctx, p, now, err, errlen) != 0)
		return p->core.safety.latched ? PAD_FAULT_ACTIVE : PAD_REFUSED;
	if (core_start(&p->core, &prof->plan, now, err, errlen) != 0)
		return p->core.safety.latched ? PAD_FAULT_ACTIVE : PAD_REFUSED;
	if (p->in_session)
		tell_kind(p, PAD_SESSION_ENDED, now, "replaced by a new session", 0);
	p->in_session = true;
	snprintf(p->profile, sizeof p->profile, "%s", profile_name);
	p->session_start = now;
	p->session_wall = wall;
	struct tm tm;
	localtime_r(&wall, &tm);
	strftime(p->session_id, sizeof p->session_id, "%Y%m%d-%H%M%S", &tm);
	snprintf(p->session_name, sizeof p->session_name, "%s-%s", p->session_id, p->serial);
	tell_kind(p, PAD_SESSION_STARTED, now, profile_name, 0);
	return PAD_OK;
}

enum pad_refusal pad_stop(struct pad_slot *p, double now, char *err, size_t errlen)
{
	return judged(p, core_stop(&p->core, now, err, errlen), "stop", now);
}

enum pad_refusal pad_pause(struct pad_slot *p, double now, char *err, size_t errlen)
{
	return judged(p, core_pause(&p->core, now, err, errlen), "pause", now);
}

enum pad_refusal pad_resume(struct pad_slot *p, double now, char *err, size_t errlen)
{
	return judged(p, core_resume(&p->core, now, err, errlen), "resume", now);
}

enum pad_refusal pad_skip(struct pad_slot *p, double now, char *err, size_t errlen)
{
	return judged(p, core_skip(&p->core, now, err, errlen), "skip", now);
}

enum pad_refusal pad_extend(struct pad_slot *p, double minutes, double now, char *err, size_t errlen)
{
	return judged(p, core_extend(&p->core, minutes * 60.0, err, errlen), "extend", now);
}

enum pad_refusal pad_tune(struct pad_slot *p, bool heat, double now, char *err, size_t errlen)
{
	return judged(p, core_tune(&p->core, heat, now, err, errlen), "tune", now);
}

/* The core re-judges its own conditions; when the pad itself reports
 * fault bits, CLEAR_FAULTS goes to it and its next reports decide (the
 * core's "faults-cleared" or "clear-refused"). A clear with nothing
 * latched sends nothing and changes nothing. */
enum pad_refusal pad_clear_faults(struct pad_slot *p, double now, char *err, size_t errlen)
{
	const struct pad_table *t = p->table;
	if (t->gate.allowed && t->gate.allowed(t->gate.ctx, err, errlen) != 0)
		return PAD_REFUSED;
	int rc = core_clear_faults(&p->core, now, err, errlen);
	if (rc < 0)
		return PAD_REFUSED;
	if (rc == CORE_CLEAR_PENDING) {
		if (!p->present || !p->link || t->ops.clear_faults(p->link) != 0) {
			struct core_output out = {0};
			core_clear_abandon(&p->core, "the pad did not accept CLEAR_FAULTS", &out);
			tell_core(p, now, &out);
			snprintf(err, errlen, "pad %s did not accept CLEAR_FAULTS", p->serial);
			return PAD_REFUSED;
		}
		tell_kind(p, PAD_REQUEST_DONE, now, "clear-faults", 0);
		return PAD_PENDING;
	}
	tell_kind(p, PAD_REQUEST_DONE, now, "clear-faults", 0);
	return PAD_OK;
}

void pad_fault(struct pad_slot *p, double now, const char *code, const char *message)
{
	struct core_output out;
	core_external_fault(&p->core, now, code, message, &out);
	send_drive(p, now, out.drive);
	tell_core(p, now, &out);
}

void pad_table_fault_all(struct pad_table *t, double now, const char *code, const char *message)
{
	for (int i = 0; i < PAD_MAX; i++)
		if (t->slots[i].used)
			pad_fault(&t->slots[i], now, code, message);
}

void pad_table_zero_all(struct pad_table *t, double now)
{
	t->stopping = true;
	for (int i = 0; i < PAD_MAX; i++) {
		struct pad_slot *p = &t->slots[i];
		if (!p->used || !p->present || !p->link)
			continue;
		struct tp_set_output cmd = {.seq = ++p->cmd_seq, .drive = 0};
		int rc = t->ops.send_drive_now(p->link, &cmd);
		tell_kind(p, PAD_ZEROED_ON_EXIT, now, rc < 0 && t->ops.strerror ? t->ops.strerror(rc) : NULL, rc);
	}
}

void pad_table_fini(struct pad_table *t, double now)
{
	for (int i = 0; i < PAD_MAX; i++) {
		struct pad_slot *p = &t->slots[i];
		if (p->used && p->in_session) {
			p->in_session = false;
			tell_kind(p, PAD_SESSION_ENDED, now, "daemon stopped", 0);
		}
	}
}

/* ---- what the pad is doing -------------------------------------------- */

void pad_status(const struct pad_slot *p, struct core_status *st)
{
	core_status(&p->core, st);
}

const struct plan_run *pad_plan(const struct pad_slot *p)
{
	return p->core.state != CORE_IDLE && p->core.state != CORE_TUNING ? &p->core.run : NULL;
}

const struct pid_config *pad_pid(const struct pad_slot *p)
{
	return &p->core.cfg.pid;
}

void pad_calibration(const struct pad_slot *p, struct calibration *out)
{
	core_calibration(&p->core, out);
}

bool pad_fault_latched(const struct pad_slot *p)
{
	return p->core.safety.latched;
}
