/* SPDX-License-Identifier: MIT */
/*
 * thermopadd: the daemon that runs the pad.
 *   thermopadd [--config FILE] [--runtime-dir DIR] [--state-dir DIR]
 *              [--profiles-dir DIR] [--time-scale N]
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "io/report.h"

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
	report_init();
	signal(SIGPIPE, SIG_IGN);
	/* before any thread exists, so that the signals reach only the loop */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	char err[600];
	int rc = 1;
	if (daemon_init(&d, err, sizeof err) != 0)
		report_log(LOG_ERR, "thermopadd: %s", err);
	else if (daemon_handle_signals(&d) != 0)
		report_log(LOG_ERR, "thermopadd: cannot watch for signals");
	else
		rc = daemon_run(&d);
	daemon_fini(&d);
	return rc;
}
