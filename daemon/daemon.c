/* SPDX-License-Identifier: MIT */
/*
 * The daemon's life (daemon.h): configuration and profiles, the rooms put
 * together and their sinks registered, the event loop with everything in
 * it, the control tick, reload, and an orderly end (drive zero first).
 * main.c only parses options; a test can host the same daemon in its own
 * process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "io/logsync.h"
#include "io/realtime.h"
#include "io/report.h"
#include "io/usb.h"
#include "pad/journal.h"
#include "socket/dispatch.h"
#include "socket/handlers.h"
#include "socket/subscribers.h"
#include "thermopad_api.h"

static int read_config(const struct daemon *d, struct config *out, char *err, size_t errlen)
{
	config_defaults(out);
	const char *path = d->opts.config_path ? d->opts.config_path : "/etc/thermopad/thermopad.conf";
	FILE *f = fopen(path, "r");
	if (!f) {
		if (d->opts.config_path) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		return 0; /* no file: the defaults */
	}
	char *text = malloc(CONFIG_TEXT_MAX + 1);
	size_t n = text ? fread(text, 1, CONFIG_TEXT_MAX, f) : 0;
	fclose(f);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	text[n] = '\0';
	struct config_error ce;
	int rc = config_parse(text, path, out, &ce);
	free(text);
	if (rc != 0)
		snprintf(err, errlen, "%s", ce.text);
	return rc;
}

static struct pad_table_config pads_config(const struct daemon *d)
{
	struct pad_table_config pc = {.limits = d->cfg.limits, .watchdog_ms = d->cfg.watchdog_ms,
				      .time_scale = d->opts.time_scale};
	snprintf(pc.pad_serial, sizeof pc.pad_serial, "%s", d->cfg.pad_serial);
	return pc;
}

static void sessions_configure(struct daemon *d)
{
	d->sessions.state_dir = d->opts.state_dir;
	d->sessions.retention_days = d->cfg.log_retention_days;
	d->sessions.retention_mb = d->cfg.log_retention_mb;
}

int daemon_reload(struct daemon *d, char *report, size_t len)
{
	struct config fresh;
	if (read_config(d, &fresh, report, len) != 0) {
		report_log(LOG_ERR, "reload: %s; the previous configuration stays", report);
		return -1;
	}
	if (memcmp(&fresh.gpio, &d->cfg.gpio, sizeof fresh.gpio) != 0)
		report_log(LOG_WARNING, "reload: [gpio] changes take effect at the next start of the daemon");
	fresh.gpio = d->cfg.gpio;
	d->cfg = fresh;
	struct pad_table_config pc = pads_config(d);
	pad_table_configure(&d->pads, &pc);
	sessions_configure(d);
	int broken = profiles_reload(&d->profiles, &d->cfg.limits, report, len);
	if (broken > 0)
		report_log(LOG_ERR, "reload: %s", report);
	report_log(LOG_NOTICE, "configuration and profiles reloaded (%d profiles, %d broken)",
		   profiles_count(&d->profiles), broken);
	return broken;
}

static int reload_for_socket(void *ctx, char *report, size_t len)
{
	return daemon_reload(ctx, report, len);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *user)
{
	struct daemon *d = user;
	(void)s;
	if (si->ssi_signo == SIGHUP) {
		char report[1024];
		sd_notify(0, "RELOADING=1");
		daemon_reload(d, report, sizeof report);
		sd_notify(0, "READY=1");
		return 0;
	}
	report_log(LOG_NOTICE, "%s: stopping, drive to zero first", strsignal((int)si->ssi_signo));
	daemon_stop(d);
	return 0;
}

void daemon_stop(struct daemon *d)
{
	sd_notify(0, "STOPPING=1");
	d->stopping = true;
	pad_table_zero_all(&d->pads, clock_model_now(&d->clock));
	sd_event_exit(d->event, 0);
}

/* ---- the pads over libusb -------------------------------------------- */

static int link_send_drive(void *link, const struct tp_set_output *cmd)
{
	return usb_send_drive(link, cmd);
}

static int link_send_drive_now(void *link, const struct tp_set_output *cmd)
{
	return usb_send_drive_now(link, cmd);
}

static int link_clear_faults(void *link)
{
	return usb_clear_faults(link);
}

static int link_set_limits(void *link, const struct tp_set_limits *lim)
{
	return usb_set_limits(link, lim);
}

static int link_set_watchdog(void *link, const struct tp_set_watchdog *wd)
{
	return usb_set_watchdog(link, wd);
}

static int link_ack_boot(void *link, const struct tp_set_limits *lim, const struct tp_set_watchdog *wd)
{
	return usb_acknowledge_boot(link, lim, wd);
}

static const struct pad_link_ops usb_link_ops = {
	.send_drive = link_send_drive,
	.send_drive_now = link_send_drive_now,
	.clear_faults = link_clear_faults,
	.set_limits = link_set_limits,
	.set_watchdog = link_set_watchdog,
	.ack_boot = link_ack_boot,
	.strerror = usb_strerror,
};

/* A pad answered: its calibration, then its slot. */
static void *on_arrived(void *ctx, struct usb_link *link, const struct tp_info *info, char *err, size_t errlen)
{
	struct daemon *d = ctx;
	struct core_config defaults;
	core_config_default(&defaults);
	struct calibration cal = {.pid = defaults.pid, .model = defaults.model};
	char path[600], why[200];
	int tuned = calibration_load(&d->calibration, info->serial, &cal, path, sizeof path, why, sizeof why);
	/* a pad the daemon remembers keeps the doses of its memory */
	struct pad_slot *known = NULL;
	bool remembered = pad_choose(&d->pads, info->serial, &known, NULL) == PAD_OK;
	struct dose_ledger ledger;
	char dose_why[300];
	double now = clock_model_now(&d->clock);
	int dosed = dose_guard_load(&d->guard, info->serial, now, &ledger, dose_why, sizeof dose_why);
	struct pad_slot *p = pad_attach(&d->pads, link, info, tuned == 1 ? &cal : NULL, dosed != 0 ? &ledger : NULL,
					now, err, errlen);
	if (p && tuned == 1)
		report_log(LOG_NOTICE, "pad %s: calibration loaded from %s", p->serial, path);
	else if (p && tuned < 0)
		report_log(LOG_ERR, "pad %s: calibration %s ignored: %s", p->serial, path, why);
	if (p)
		dose_guard_arrived(&d->guard, p, dosed, remembered, dose_why, now);
	return p;
}

static void on_frame(void *ctx, void *user, const struct tp_telemetry *t)
{
	struct daemon *d = ctx;
	pad_on_frame(user, t, clock_model_now(&d->clock));
}

static void on_refused(void *ctx, void *user, enum proto_err e, int length)
{
	(void)ctx;
	pad_frame_refused(user, e, length);
}

static void on_departed(void *ctx, void *user)
{
	struct daemon *d = ctx;
	pad_detach(user, clock_model_now(&d->clock));
}

static void on_usb_note(void *ctx, int priority, const char *message)
{
	(void)ctx;
	report_log(priority, "%s", message);
}

/* ---- the control tick -------------------------------------------------- */

/* Every 100 ms of model time: the stale checks, and the heartbeat when no
 * report came to carry it. */
static int on_tick(sd_event_source *s, uint64_t usec, void *user)
{
	struct daemon *d = user;
	/* judged when the tick runs, not when the loop woke */
	uint64_t now_us = (uint64_t)(clock_wall() * 1e6);
	clock_lateness_add(&d->ticks, (now_us > usec ? (double)(now_us - usec) : 0.0) / 1000.0);
	/* reports that arrived while the loop was busy are read before their
	 * absence is judged */
	usb_pump(d->usb);
	double now = clock_model_now(&d->clock);
	pad_tick(&d->pads, now);
	dose_guard_tick(&d->guard, now);
	interlock_gpio_update(&d->ilock);
	health_update(&d->health, &d->pads, now, clock_wall());
	uint64_t period = (uint64_t)(pad_table_period_s(&d->pads) * 1e6 / d->opts.time_scale);
	sd_event_source_set_time(s, clock_tick_next(&d->ticks, usec, period, (uint64_t)(clock_wall() * 1e6)));
	return 0;
}

static int tick_start(struct daemon *d)
{
	uint64_t now;
	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	health_init(&d->health);
	/* 1 us accuracy: sd-event would otherwise coalesce by 250 ms */
	int rc = sd_event_add_time(d->event, &d->tick, CLOCK_MONOTONIC, now, 1, on_tick, d);
	if (rc < 0)
		return rc;
	sd_event_source_set_enabled(d->tick, SD_EVENT_ON);
	return 0;
}

/* ---- life ---------------------------------------------------------------- */

int daemon_init(struct daemon *d, char *err, size_t errlen)
{
	d->server.listen_fd = -1;
	if (d->opts.time_scale == 0)
		d->opts.time_scale = 1.0;
	if (!(d->opts.time_scale >= 1.0 && d->opts.time_scale <= 1000.0)) {
		snprintf(err, errlen, "--time-scale must be 1..1000");
		return -1;
	}
	if (read_config(d, &d->cfg, err, errlen) != 0)
		return -1;
	const char *state_env = getenv("STATE_DIRECTORY"), *runtime_env = getenv("RUNTIME_DIRECTORY");
	if (!d->opts.state_dir)
		d->opts.state_dir = state_env ? state_env : d->cfg.state_dir;
	/* the socket: --runtime-dir, else a path the configuration names, else
	 * the runtime directory systemd made, else the default */
	char socket_path[512];
	if (d->opts.runtime_dir)
		snprintf(socket_path, sizeof socket_path, "%s/%s", d->opts.runtime_dir, API_SOCKET_NAME);
	else if (runtime_env && !strcmp(d->cfg.socket_path, CONFIG_SOCKET_DEFAULT))
		snprintf(socket_path, sizeof socket_path, "%s/%s", runtime_env, API_SOCKET_NAME);
	else
		snprintf(socket_path, sizeof socket_path, "%s", d->cfg.socket_path);
	if (clock_model_init(&d->clock, d->opts.time_scale, getenv("TP_SIM_CLOCK")))
		report_log(LOG_INFO, "on the simulator's clock (%s)", getenv("TP_SIM_CLOCK"));
	profiles_init(&d->profiles, profiles_builtin_dir(d->opts.profiles_dir, d->cfg.profiles_dir));
	if (profiles_check_dir(&d->profiles, err, errlen) != 0)
		return -1;
	char report[1024];
	if (profiles_reload(&d->profiles, &d->cfg.limits, report, sizeof report) > 0)
		report_log(LOG_ERR, "profiles: %s", report);
	struct pad_table_config pc = pads_config(d);
	pc.epoch_s = (double)time(NULL) - clock_model_now(&d->clock);
	pad_table_init(&d->pads, &pc, &usb_link_ops);
	if (sd_event_new(&d->event) < 0) {
		snprintf(err, errlen, "cannot create the event loop");
		return -1;
	}
	/* the relay is requested (open) before anything can drive a pad */
	if (interlock_gpio_start(&d->ilock, d->event, &d->cfg.gpio, &d->pads, &d->clock, err, errlen) != 0)
		return -1;
	if (!(d->logsync = logsync_start())) {
		snprintf(err, errlen, "cannot start the log thread");
		return -1;
	}
	sessions_configure(d);
	d->sessions.in_use = session_log_in_use;
	d->sessions.in_use_ctx = &d->log;
	session_log_init(&d->log, &d->sessions, d->logsync);
	d->calibration.state_dir = d->opts.state_dir;
	d->dose.state_dir = d->opts.state_dir;
	d->dose.sync = d->logsync;
	dose_guard_init(&d->guard, &d->pads, &d->dose);
	struct pad_start_gate dose_gate = dose_guard_start_gate(&d->guard);
	pad_table_set_start_gate(&d->pads, &dose_gate);
	/* the sinks, in the order they hear of everything */
	struct pad_sink sinks[] = {journal_sink(),
				   session_log_sink(&d->log),
				   calibration_sink(&d->calibration),
				   dose_store_sink(&d->dose),
				   dose_guard_sink(&d->guard),
				   subscribers_sink(&d->server)};
	for (size_t i = 0; i < sizeof sinks / sizeof sinks[0]; i++)
		pad_table_add_sink(&d->pads, &sinks[i]);
	struct server_env env = {.cfg = &d->cfg, .pads = &d->pads, .profiles = &d->profiles,
				 .sessions = &d->sessions, .log = &d->log, .clock = &d->clock, .ticks = &d->ticks,
				 .reload = reload_for_socket, .reload_ctx = d, .request = dispatch_request,
				 .client_gone = handle_client_gone};
	if (server_start(&d->server, d->event, &env, socket_path, err, errlen) != 0)
		return -1;
	struct usb_callbacks cb = {.ctx = d, .arrived = on_arrived, .frame = on_frame, .refused = on_refused,
				   .departed = on_departed, .note = on_usb_note};
	if (usb_start(d->event, &cb, &d->usb, err, errlen) != 0)
		return -1;
	if (tick_start(d) < 0) {
		snprintf(err, errlen, "cannot start the control tick");
		return -1;
	}
	sessions_prune(&d->sessions, time(NULL));
	report_log(LOG_NOTICE, "listening on %s (time scale %g)", d->server.socket_path, d->opts.time_scale);
	return 0;
}

int daemon_handle_signals(struct daemon *d)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	sigset_t mask;
	sigemptyset(&mask);
	for (int i = 0; i < 3; i++)
		sigaddset(&mask, sigs[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (int i = 0; i < 3; i++)
		if (sd_event_add_signal(d->event, &d->signal_src[i], sigs[i], on_signal, d) < 0)
			return -1;
	return 0;
}

int daemon_run(struct daemon *d)
{
	/* the tick's own deadline: first in the loop by priority (clients come
	 * after it, socket/server.c), and the loop's thread first on the
	 * machine */
	char why[400];
	int priority = 0;
	switch (realtime_enter(&priority, why, sizeof why)) {
	case REALTIME_ENTERED:
		report_log(LOG_INFO, "control loop at real-time priority (SCHED_FIFO %d)", priority);
		break;
	case REALTIME_GIVEN:
		report_log(LOG_INFO, "control loop at real-time priority %d, as its service manager started it", priority);
		break;
	case REALTIME_REFUSED:
		report_log(LOG_WARNING,
			   "control loop at normal priority, not real-time: %s. Its tick may then be late on a busy "
			   "machine (the pad's own watchdog still zeroes the drive)",
			   why);
		break;
	}
	sd_notify(0, "READY=1\nSTATUS=waiting for a pad");
	return sd_event_loop(d->event) < 0 ? 1 : 0;
}

void daemon_fini(struct daemon *d)
{
	d->stopping = true;
	double now = clock_model_now(&d->clock);
	if (d->usb)
		pad_table_zero_all(&d->pads, now);
	usb_stop(d->usb);
	d->usb = NULL;
	pad_table_fini(&d->pads, now);
	interlock_gpio_stop(&d->ilock);
	server_stop(&d->server);
	logsync_stop(d->logsync);
	d->logsync = NULL;
	d->dose.sync = NULL;
	profiles_free(&d->profiles);
	for (int i = 0; i < 3; i++)
		d->signal_src[i] = sd_event_source_unref(d->signal_src[i]);
	d->tick = sd_event_source_unref(d->tick);
	d->event = sd_event_unref(d->event);
	clock_model_fini(&d->clock);
}
