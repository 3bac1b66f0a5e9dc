/* SPDX-License-Identifier: MIT */
/*
 * thermopadd: the daemon that runs the pad.
 *   thermopadd [--config FILE] [--runtime-dir DIR] [--state-dir DIR]
 *              [--profiles-dir DIR] [--time-scale N]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"

static int load_config(struct daemon *d, char *err, size_t errlen)
{
	config_defaults(&d->cfg);
	const char *path = d->opts.config_path ? d->opts.config_path : "/etc/thermopad/thermopad.conf";
	FILE *f = fopen(path, "r");
	if (!f) {
		if (d->opts.config_path) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		return 0; /* no file: the defaults */
	}
	static char text[65536];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	struct config_error ce;
	if (config_parse(text, path, &d->cfg, &ce) != 0) {
		snprintf(err, errlen, "%s", ce.text);
		return -1;
	}
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *user)
{
	struct daemon *d = user;
	(void)s;
	if (si->ssi_signo == SIGHUP) {
		char err[512];
		struct config old = d->cfg;
		if (load_config(d, err, sizeof err) != 0) {
			d->cfg = old;
			daemon_log(3, "reload: %s; the previous configuration stays", err);
		} else {
			daemon_log(5, "configuration reloaded");
		}
		return 0;
	}
	daemon_log(5, "%s: stopping, drive to zero first", strsignal((int)si->ssi_signo));
	sd_notify(0, "STOPPING=1");
	d->stopping = true;
	usb_zero_all_sync(d);
	sd_event_exit(d->event, 0);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, 0, 'c'},     {"runtime-dir", required_argument, 0, 'r'},
		{"state-dir", required_argument, 0, 's'},  {"profiles-dir", required_argument, 0, 'p'},
		{"time-scale", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	static struct daemon d;
	d.opts.time_scale = 1.0;
	d.listen_fd = -1;
	const char *state_env = getenv("STATE_DIRECTORY"), *runtime_env = getenv("RUNTIME_DIRECTORY");
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d.opts.config_path = optarg; break;
		case 'r': d.opts.runtime_dir = optarg; break;
		case 's': d.opts.state_dir = optarg; break;
		case 'p': d.opts.profiles_dir = optarg; break;
		case 't': d.opts.time_scale = atof(optarg); break;
		default:
			printf("usage: thermopadd [--config FILE] [--runtime-dir DIR] [--state-dir DIR]\n"
			       "                  [--profiles-dir DIR] [--time-scale N (simulated pads only)]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (!(d.opts.time_scale >= 1.0 && d.opts.time_scale <= 1000.0)) {
		fprintf(stderr, "thermopadd: --time-scale must be 1..1000\n");
		return 2;
	}
	char err[600];
	if (load_config(&d, err, sizeof err) != 0) {
		fprintf(stderr, "thermopadd: %s\n", err);
		return 1;
	}
	if (!d.opts.state_dir)
		d.opts.state_dir = state_env ? state_env : d.cfg.state_dir;
	if (!d.opts.runtime_dir)
		d.opts.runtime_dir = runtime_env ? runtime_env : "/run/thermopad";
	d.start_wall = daemon_wall();

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sd_event_source *sig_src[3] = {NULL, NULL, NULL};
	if (sd_event_new(&d.event) < 0) {
		fprintf(stderr, "thermopadd: cannot create the event loop\n");
		return 1;
	}
	sd_event_add_signal(d.event, &sig_src[0], SIGTERM, on_signal, &d);
	sd_event_add_signal(d.event, &sig_src[1], SIGINT, on_signal, &d);
	sd_event_add_signal(d.event, &sig_src[2], SIGHUP, on_signal, &d);
	sd_event_set_watchdog(d.event, 1);
	int rc = 1;
	if (logsync_start() != 0) {
		fprintf(stderr, "thermopadd: cannot start the log thread\n");
		return 1;
	}
	if (api_start(&d, err, sizeof err) != 0 || usb_start(&d, err, sizeof err) != 0 || control_tick_start(&d) < 0) {
		fprintf(stderr, "thermopadd: %s\n", err);
		usb_zero_all_sync(&d);
		goto out;
	}
	daemon_log(5, "listening on %s (time scale %g)", d.socket_path, d.opts.time_scale);
	sd_notify(0, "READY=1\nSTATUS=waiting for a pad");
	rc = sd_event_loop(d.event) < 0 ? 1 : 0;
out:
	d.stopping = true;
	usb_zero_all_sync(&d);
	usb_stop(&d);
	api_stop(&d);
	logsync_stop();
	for (int i = 0; i < 3; i++)
		sd_event_source_unref(sig_src[i]);
	sd_event_source_unref(d.tick);
	sd_event_unref(d.event);
	return rc;
}
