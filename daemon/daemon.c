/* SPDX-License-Identifier: MIT */
/*
 * The daemon's life: configuration and profiles, the event loop with
 * everything in it, reload, and an orderly end (drive zero first). main.c
 * only parses options; a test can host the same daemon in its own process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "thermopad_api.h"
#include "daemon.h"
#include "store/sessions.h"

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

int daemon_reload(struct daemon *d, char *report, size_t len)
{
	struct config fresh;
	if (read_config(d, &fresh, report, len) != 0) {
		daemon_log(3, "reload: %s; the previous configuration stays", report);
		return -1;
	}
	if (memcmp(&fresh.gpio, &d->cfg.gpio, sizeof fresh.gpio) != 0)
		daemon_log(4, "reload: [gpio] changes take effect at the next start of the daemon");
	fresh.gpio = d->cfg.gpio;
	d->cfg = fresh;
	int broken = profiles_reload(d, report, len);
	if (broken > 0)
		daemon_log(3, "reload: %s", report);
	daemon_log(5, "configuration and profiles reloaded (%d profiles, %d broken)", profiles_count(d), broken);
	return broken;
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
	daemon_log(5, "%s: stopping, drive to zero first", strsignal((int)si->ssi_signo));
	daemon_stop(d);
	return 0;
}

void daemon_stop(struct daemon *d)
{
	sd_notify(0, "STOPPING=1");
	d->stopping = true;
	usb_zero_all_sync(d);
	sd_event_exit(d->event, 0);
}

int daemon_init(struct daemon *d, char *err, size_t errlen)
{
	d->listen_fd = -1;
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
	if (d->opts.runtime_dir)
		snprintf(d->socket_path, sizeof d->socket_path, "%s/%s", d->opts.runtime_dir, API_SOCKET_NAME);
	else if (runtime_env && !strcmp(d->cfg.socket_path, CONFIG_SOCKET_DEFAULT))
		snprintf(d->socket_path, sizeof d->socket_path, "%s/%s", runtime_env, API_SOCKET_NAME);
	else
		snprintf(d->socket_path, sizeof d->socket_path, "%s", d->cfg.socket_path);
	d->start_wall = daemon_wall();
	char report[1024];
	if (profiles_reload(d, report, sizeof report) > 0)
		daemon_log(3, "profiles: %s", report);
	if (sd_event_new(&d->event) < 0) {
		snprintf(err, errlen, "cannot create the event loop");
		return -1;
	}
	/* the relay is requested (open) before anything can drive a pad */
	if (interlock_gpio_start(d, err, errlen) != 0)
		return -1;
	if (!(d->logsync = logsync_start())) {
		snprintf(err, errlen, "cannot start the log thread");
		return -1;
	}
	if (api_start(d, err, errlen) != 0 || usb_start(d, err, errlen) != 0)
		return -1;
	if (control_tick_start(d) < 0) {
		snprintf(err, errlen, "cannot start the control tick");
		return -1;
	}
	sessions_prune(d, time(NULL));
	daemon_log(5, "listening on %s (time scale %g)", d->socket_path, d->opts.time_scale);
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
	sd_notify(0, "READY=1\nSTATUS=waiting for a pad");
	return sd_event_loop(d->event) < 0 ? 1 : 0;
}

void daemon_fini(struct daemon *d)
{
	d->stopping = true;
	if (d->usb)
		usb_zero_all_sync(d);
	usb_stop(d);
	interlock_gpio_stop(d);
	api_stop(d);
	logsync_stop(d->logsync);
	d->logsync = NULL;
	profiles_free(d);
	for (int i = 0; i < 3; i++)
		d->signal_src[i] = sd_event_source_unref(d->signal_src[i]);
	d->tick = sd_event_source_unref(d->tick);
	d->event = sd_event_unref(d->event);
}
