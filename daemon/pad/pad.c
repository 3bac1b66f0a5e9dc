/* SPDX-License-Identifier: MIT */
/*
 * Telemetry in, drive out: each report goes to the pad's core, whose drive
 * goes back as SET_OUTPUT (the heartbeat) in the same callback; a timer
 * keeps the heartbeat and the stale checks going when reports stop. Events
 * go to the journal's stderr protocol and to subscribers; every sample to
 * the session's CSV log.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "store/sessions.h"

void control_release_usb(struct pad_conn *p);

void control_log_open(struct pad_conn *p)
{
	struct daemon *d = p->d;
	char dir[400];
	snprintf(dir, sizeof dir, "%s/sessions", d->opts.state_dir);
	mkdir(d->opts.state_dir, 0750);
	mkdir(dir, 0750);
	p->session_wall = time(NULL);
	p->session_samples = 0;
	struct tm tm;
	localtime_r(&p->session_wall, &tm);
	strftime(p->session_id, sizeof p->session_id, "%Y%m%d-%H%M%S", &tm);
	snprintf(p->session_name, sizeof p->session_name, "%s-%s", p->session_id, p->serial);
	snprintf(p->log_path, sizeof p->log_path, "%s/%s.csv", dir, p->session_name);
	p->log = fopen(p->log_path, "w");
	if (!p->log) {
		daemon_log(3, "session log %s: %s", p->log_path, strerror(errno));
		return;
	}
	fprintf(p->log, "# thermopad session %s, pad %s, profile %s\n", p->session_id, p->serial, p->profile);
	fprintf(p->log, "time_s,phase,target_c,plate_a_c,plate_b_c,sink_c,drive,current_a,faults\n");
	fflush(p->log);
	p->log_sync = logsync_add(p->d->logsync, fileno(p->log));
	if (sessions_write_meta(p, NULL, 0.0, 0) != 0)
		daemon_log(4, "session %s: cannot write its metadata", p->session_name);
}

void control_log_close(struct pad_conn *p, const char *outcome)
{
	if (!p->log)
		return;
	fprintf(p->log, "# outcome: %s\n", outcome);
	fflush(p->log);
	logsync_release(p->d->logsync, p->log_sync);
	p->log_sync = -1;
	fclose(p->log);
	p->log = NULL;
	if (sessions_write_meta(p, outcome, daemon_now(p->d) - p->session_start, p->session_samples) != 0)
		daemon_log(4, "session %s: cannot write its metadata", p->session_name);
	int removed = sessions_prune(p->d, time(NULL));
	if (removed > 0)
		daemon_log(6, "log retention: %d old session(s) removed", removed);
}

static void log_sample(struct pad_conn *p, double t, const struct tp_telemetry *tel)
{
	if (!p->log)
		return;
	struct core_status st;
	core_status(&p->core, &st);
	fprintf(p->log, "%.1f,%s,%.2f,%.2f,%.2f,%.2f,%.4f,%.3f,0x%x\n", t - p->session_start,
		st.phase_kind ? st.phase_kind : st.state_name, st.target_c, tel->plate_a_cc / 100.0,
		tel->plate_b_cc / 100.0, tel->sink_cc / 100.0, st.drive, tel->current_ma / 1000.0, tel->faults);
	p->session_samples++;
	/* a line per sample reaches the kernel at once; the disk at least
	 * once a second (logsync.c), so a crash or power loss costs at most a
	 * second */
	fflush(p->log);
}

/* The calibration of a pad, by serial: written by a finished tune, read
 * when the pad arrives, so tuned gains are used from then on. */
static void calibration_path(const struct pad_conn *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/calibration/%s.ini", p->d->opts.state_dir, p->serial);
}

static void calibration_save(struct pad_conn *p)
{
	char path[600], dir[520], text[1024];
	snprintf(dir, sizeof dir, "%s/calibration", p->d->opts.state_dir);
	mkdir(p->d->opts.state_dir, 0755);
	mkdir(dir, 0755);
	calibration_path(p, path, sizeof path);
	tune_format(&p->core.cfg.pid, p->serial, text, sizeof text);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fflush(f) != 0 || fdatasync(fileno(f)) != 0) {
		daemon_log(3, "pad %s: cannot save its calibration to %s: %s", p->serial, path, strerror(errno));
	} else {
		daemon_log(5, "pad %s: calibration saved to %s", p->serial, path);
	}
	if (f)
		fclose(f);
}

void control_calibration_load(struct pad_conn *p)
{
	char path[600], text[4096], err[200];
	calibration_path(p, path, sizeof path);
	FILE *f = fopen(path, "r");
	if (!f)
		return; /* not tuned yet: the defaults */
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	struct pid_config cfg = p->core.cfg.pid;
	if (tune_parse(text, &cfg, err, sizeof err) != 0) {
		daemon_log(3, "pad %s: calibration %s ignored: %s", p->serial, path, err);
		return;
	}
	p->core.cfg.pid = cfg;
	p->core.pid.cfg = cfg;
	daemon_log(5, "pad %s: calibration loaded from %s", p->serial, path);
}

void control_events(struct pad_conn *p, const struct core_output *out)
{
	for (int i = 0; i < out->nevents; i++) {
		const struct core_event *e = &out->events[i];
		int prio = e->severity == CORE_FAULT ? 2 : e->severity == CORE_WARNING ? 4 : 6;
		struct report_fields f = {.pad = p->serial, .session = p->session_name, .event = e->code,
					  .fault = e->severity == CORE_FAULT ? e->code : NULL};
		daemon_report(prio, &f, "pad %s session %s: %s", p->serial, p->session_name[0] ? p->session_name : "-",
			      e->message);
		api_broadcast_event(p->d, p, e);
		if (!strcmp(e->code, "session-end"))
			control_log_close(p, e->message);
		if (!strcmp(e->code, "tune-done"))
			calibration_save(p);
	}
}

static void sample_from(const struct pad_conn *p, const struct tp_telemetry *t, double now, struct core_sample *s)
{
	/* sequence numbers wrap: "at or after" is a signed 16-bit difference */
	bool zero_received = p->zero_sent && (int16_t)(uint16_t)(t->last_cmd_seq - p->zero_seq) >= 0;
	*s = (struct core_sample){
		.t = now,
		.plate_c = {t->plate_a_cc / 100.0, t->plate_b_cc / 100.0},
		.plate_ok = {t->plate_a_cc != TP_TEMP_INVALID, t->plate_b_cc != TP_TEMP_INVALID},
		.sink_c = t->sink_cc / 100.0,
		.sink_ok = t->sink_cc != TP_TEMP_INVALID,
		.current_a = t->current_ma / 1000.0,
		.drive_applied = t->drive_applied / (double)TP_DRIVE_FULL,
		.zero_received = zero_received,
		.fw_faults = t->faults,
		.fw_state = t->state,
	};
}

void control_on_telemetry(struct pad_conn *p, const struct tp_telemetry *t)
{
	double now = daemon_now(p->d);
	if (p->have_seq && proto_seq_gap(p->last_seq, t->seq)) {
		p->gaps += proto_seq_gap(p->last_seq, t->seq);
		daemon_log(4, "pad %s: %u telemetry report(s) lost", p->serial, proto_seq_gap(p->last_seq, t->seq));
	}
	p->have_seq = true;
	p->last_seq = t->seq;
	p->frames++;
	struct core_sample s;
	sample_from(p, t, now, &s);
	if (s.zero_received) /* keep the anchor near: sequence numbers wrap */
		p->zero_seq = t->last_cmd_seq;
	struct core_output out;
	core_on_sample(&p->core, &s, &out);
	usb_send_drive(p, out.drive);
	p->last = *t;
	p->have_tel = true;
	p->last_sample_t = now;
	log_sample(p, now, t);
	control_events(p, &out);
	api_broadcast_telemetry(p->d, p);
}

static int on_release(sd_event_source *s, void *user)
{
	struct pad_conn *p = user;
	(void)s;
	p->release_src = sd_event_source_unref(p->release_src);
	control_release_usb(p);
	return 0;
}

void control_on_departure(struct pad_conn *p)
{
	if (!p->present)
		return;
	p->present = false;
	struct core_output out;
	char msg[120];
	snprintf(msg, sizeof msg, "pad %s left the bus", p->serial);
	core_external_fault(&p->core, daemon_now(p->d), "disconnected", msg, &out);
	daemon_report(3, &(struct report_fields){.pad = p->serial, .session = p->session_name, .event = "departure"},
		      "pad %s: disconnected", p->serial);
	control_events(p, &out);
	/* never inside libusb's own callback: release from the loop */
	p->release_src = sd_event_source_unref(p->release_src);
	if (sd_event_add_defer(p->d->event, &p->release_src, on_release, p) < 0)
		p->release_src = NULL;
}

/* Every 100 ms of model time: the stale checks, and the heartbeat when no
 * report came to carry it. */
static int on_tick(sd_event_source *s, uint64_t usec, void *user)
{
	struct daemon *d = user;
	uint64_t now_us;
	sd_event_now(d->event, CLOCK_MONOTONIC, &now_us);
	double late_ms = (now_us > usec ? (double)(now_us - usec) : 0.0) / 1000.0;
	d->tick_count++;
	d->tick_late_hist[late_ms < 6.3 ? (int)(late_ms * 10.0) : 63]++;
	if (late_ms > 2.0)
		d->tick_late++;
	if (late_ms > d->tick_late_max_ms)
		d->tick_late_max_ms = late_ms;
	/* reports that arrived while the loop was busy are read before their
	 * absence is judged */
	struct timeval zero = {0, 0};
	libusb_handle_events_timeout_completed(d->usb, &zero, NULL);
	double now = daemon_now(d);
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		struct pad_conn *p = &d->pads[i];
		if (!p->used || now - p->last_sample_t < 0.15)
			continue;
		struct core_output out;
		core_on_tick(&p->core, now, &out);
		if (p->present)
			usb_send_drive(p, out.drive);
		control_events(p, &out);
	}
	interlock_gpio_update(d);
	control_health(d);
	uint64_t period = (uint64_t)(100000.0 / d->opts.time_scale);
	sd_event_source_set_time(s, usec + (period ? period : 1));
	return 0;
}

/* What systemd is told, from the control tick. The watchdog is petted only
 * while the tick runs (it is calling this) and every pad on the bus keeps
 * reporting: a wedged loop or a wedged USB path gets the daemon restarted,
 * while a pad simply unplugged does not. STATUS= says what each pad does,
 * sent when it changes. */
void control_health(struct daemon *d)
{
	double now = daemon_now(d), wall = daemon_wall();
	bool healthy = true;
	char line[sizeof d->status_line] = "";
	size_t used = 0;
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		const struct pad_conn *p = &d->pads[i];
		if (!p->used || !p->serial[0])
			continue;
		if (p->present && now - p->last_sample_t > 1.0)
			healthy = false;
		struct core_status st;
		core_status(&p->core, &st);
		int w;
		if (!p->present)
			w = snprintf(line + used, sizeof line - used, "%s%s: away", used ? "; " : "", p->serial);
		else if (st.fault)
			w = snprintf(line + used, sizeof line - used, "%s%s: fault %s", used ? "; " : "", p->serial,
				     st.fault_code);
		else if (st.phase_kind)
			w = snprintf(line + used, sizeof line - used, "%s%s: %s %s, phase %d/%d %s, target %.1f C",
				     used ? "; " : "", p->serial, st.state_name, st.plan_name, st.step, st.nsteps,
				     st.phase_kind, st.target_c);
		else
			w = snprintf(line + used, sizeof line - used, "%s%s: %s", used ? "; " : "", p->serial,
				     st.state_name);
		if (w > 0 && (size_t)w < sizeof line - used)
			used += (size_t)w;
	}
	if (!used)
		snprintf(line, sizeof line, "waiting for a pad");
	if (strcmp(line, d->status_line)) {
		snprintf(d->status_line, sizeof d->status_line, "%s", line);
		sd_notifyf(0, "STATUS=%s", line);
	}
	if (d->watchdog_usec && healthy && wall - d->watchdog_last >= d->watchdog_usec / 4e6) {
		d->watchdog_last = wall;
		sd_notify(0, "WATCHDOG=1");
	}
}

int control_tick_start(struct daemon *d)
{
	uint64_t now;
	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	if (sd_watchdog_enabled(0, &d->watchdog_usec) <= 0)
		d->watchdog_usec = 0;
	/* 1 us accuracy: sd-event would otherwise coalesce by 250 ms */
	int rc = sd_event_add_time(d->event, &d->tick, CLOCK_MONOTONIC, now, 1, on_tick, d);
	if (rc < 0)
		return rc;
	sd_event_source_set_enabled(d->tick, SD_EVENT_ON);
	return 0;
}
