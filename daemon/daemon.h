/* SPDX-License-Identifier: MIT */
/*
 * thermopadd put together: the one file that knows every room. One
 * sd-event loop carries libusb's descriptors (io/usb), the API socket
 * (socket/), the signals and the control tick; telemetry comes in through
 * io/usb to pad/pad.c, the core decides, the drive goes out from
 * pad/pad.c through io/usb. Only main.c and tests that host the daemon
 * include this header.
 */
#ifndef THERMOPAD_DAEMON_H
#define THERMOPAD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "core/config.h"
#include "health.h"
#include "interlock_gpio.h"
#include "io/clock.h"
#include "pad/pad.h"
#include "socket/server.h"
#include "store/calibration.h"
#include "dose_guard.h"
#include "store/dose_store.h"
#include "store/profiles.h"
#include "store/session_log.h"
#include "store/sessions.h"

#define CONFIG_TEXT_MAX 65536

struct usb;
struct logsync;

struct daemon_opts {
	const char *config_path;
	const char *runtime_dir; /* the socket lives here (overrides [socket] path) */
	const char *state_dir;
	const char *profiles_dir; /* built-in profiles */
	double time_scale;
	bool verbose;
};

struct daemon {
	struct daemon_opts opts;
	struct config cfg;
	sd_event *event;
	struct clock_model clock;
	struct clock_lateness ticks;
	struct usb *usb;
	struct logsync *logsync;
	struct pad_table pads;
	struct profiles profiles;
	struct sessions_store sessions;
	struct session_log log;
	struct calibration_store calibration;
	struct dose_store dose;
	struct dose_guard guard;
	struct server server;
	struct interlock_gpio ilock;
	struct health health;
	sd_event_source *tick;
	sd_event_source *signal_src[3];
	bool stopping;
};

/* The daemon's life; a test may host it in its own process. */
int daemon_init(struct daemon *d, char *err, size_t errlen);
int daemon_handle_signals(struct daemon *d);
int daemon_run(struct daemon *d);
void daemon_stop(struct daemon *d);
void daemon_fini(struct daemon *d);
/* Re-reads the configuration and the profiles; returns -1 when the
 * configuration is broken (the old one stays), else how many profiles are
 * broken, with what went wrong in report. */
int daemon_reload(struct daemon *d, char *report, size_t len);

#endif
