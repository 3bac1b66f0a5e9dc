/* SPDX-License-Identifier: MIT */
/*
 * thermopadd: the edges around the pure control core. One sd-event loop
 * carries libusb's file descriptors, the API socket, the signals and the
 * timers; telemetry comes in, the core decides, the drive goes out.
 */
#ifndef THERMOPAD_DAEMON_H
#define THERMOPAD_DAEMON_H

#include <libusb.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <systemd/sd-event.h>

#include "core/config.h"
#include "core/core.h"
#include "core/interlock.h"
#include "core/profile.h"
#include "thermopad_proto.h"

#define DAEMON_MAX_PADS 8
#define DAEMON_MAX_CLIENTS_HARD 1024
/* Telemetry transfers kept queued per pad: a report finds a transfer
 * waiting even when the loop is late by several report periods. (With 2,
 * two simulated pads at a time scale of 40 tripped stale-telemetry in 4
 * runs of 5; with 8, in none of 6.) */
#define PAD_TRANSFERS 8
#define PROFILES_MAX 64
#define CONFIG_TEXT_MAX 65536

struct daemon;

struct pad_conn {
	struct daemon *d;
	bool used;
	bool present; /* on the bus and opened */
	libusb_device *dev;
	libusb_device_handle *handle;
	struct libusb_transfer *telemetry[PAD_TRANSFERS];
	uint8_t buf[PAD_TRANSFERS][64];
	int live; /* telemetry transfers in flight */
	int sends; /* SET_OUTPUT transfers in flight */
	sd_event_source *open_src, *release_src; /* deferred work, owned here */
	int open_attempts;
	struct tp_info info;
	char serial[TP_SERIAL_LEN + 1];
	struct core core;
	bool have_tel;
	struct tp_telemetry last;
	double last_sample_t;
	uint16_t cmd_seq, last_seq;
	uint16_t zero_seq; /* the first of the zero-drive commands now in force */
	bool zero_sent;
	bool have_seq;
	unsigned long frames, gaps, rejected;
	/* the session log */
	FILE *log;
	int log_sync; /* its slot in the log syncer, -1 if none */
	char log_path[512];
	char session_id[40]; /* the start time, for people */
	char session_name[96]; /* session_id-serial: the stored session's id */
	char profile[PLAN_NAME_MAX];
	double session_start; /* daemon (model) time */
	time_t session_wall;
	unsigned long session_samples;
};

struct api_client;
struct profile_entry;

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
	libusb_context *usb;
	libusb_hotplug_callback_handle hotplug;
	struct logsync *logsync;
	struct pad_conn pads[DAEMON_MAX_PADS];
	struct {
		int fd;
		sd_event_source *src;
	} usb_fds[16]; /* libusb's descriptors in the loop */
	int listen_fd;
	bool listen_inherited; /* from systemd: not ours to unlink */
	sd_event_source *listen_src, *sweep_src;
	sd_event_source *tick;
	struct api_client *clients;
	int nclients;
	char socket_path[512];
	double start_wall;
	int exit_code;
	bool stopping;
	unsigned long tick_count, tick_late;
	double tick_late_max_ms;
	unsigned long tick_late_hist[64]; /* lateness in 0.1 ms buckets, last = beyond */
	sd_event_source *signal_src[3];
	struct profile_entry *profiles;
	int nprofiles;
	uint64_t watchdog_usec; /* systemd's WatchdogSec, 0 when off */
	double watchdog_last; /* wall time of the last pet */
	char status_line[200]; /* the last STATUS= sent */
	/* the hardware interlock, when [gpio] is configured */
	struct gpio_lines *gpio;
	sd_event_source *gpio_src;
	struct interlock interlock;
	struct interlock_outputs outputs; /* as last driven */
	bool outputs_known;
};

/* daemon.c: the daemon's life; a test may host it in its own process */
int daemon_init(struct daemon *d, char *err, size_t errlen);
int daemon_handle_signals(struct daemon *d);
int daemon_run(struct daemon *d);
void daemon_stop(struct daemon *d);
void daemon_fini(struct daemon *d);
/* Re-reads the configuration and the profiles; returns -1 when the
 * configuration is broken (the old one stays), else how many profiles are
 * broken, with what went wrong in report. */
int daemon_reload(struct daemon *d, char *report, size_t len);

/* clock.c: the daemon's time, scaled when the pad is simulated */
double daemon_now(const struct daemon *d);
double daemon_wall(void);

/* usb.c */
int usb_start(struct daemon *d, char *err, size_t errlen);
void usb_stop(struct daemon *d);
void usb_send_drive(struct pad_conn *p, double drive);
void usb_zero_all_sync(struct daemon *d);
int usb_clear_pad_faults(struct pad_conn *p);

/* control.c */
void control_on_telemetry(struct pad_conn *p, const struct tp_telemetry *t);
void control_on_departure(struct pad_conn *p);
void control_events(struct pad_conn *p, const struct core_output *out);
int control_tick_start(struct daemon *d);
void control_log_open(struct pad_conn *p);
void control_calibration_load(struct pad_conn *p);
void control_log_close(struct pad_conn *p, const char *outcome);

/* report.c: the journal with fields under systemd, else stderr "<N>" */
struct report_fields {
	const char *pad, *session, *event, *fault;
};
void report_init(void);
void daemon_report(int priority, const struct report_fields *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void daemon_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* control.c: health for systemd's watchdog and STATUS */
void control_health(struct daemon *d);

/* interlock_gpio.c: the emergency stop, the power relay, the lights */
int interlock_gpio_start(struct daemon *d, char *err, size_t errlen);
void interlock_gpio_update(struct daemon *d);
int interlock_gpio_clear_allowed(const struct daemon *d, char *err, size_t errlen);
void interlock_gpio_stop(struct daemon *d);

/* logsync.c: durability off the control loop. add gives a slot (-1 when
 * none is free: that log is flushed, not synced); release syncs it a last
 * time and lets it go. */
struct logsync;
struct logsync *logsync_start(void);
int logsync_add(struct logsync *ls, int fd);
void logsync_release(struct logsync *ls, int slot);
void logsync_stop(struct logsync *ls);

/* profiles.c: read at start and on reload, served from memory */
int profiles_reload(struct daemon *d, char *report, size_t reportlen);
void profiles_free(struct daemon *d);
int profiles_load(const struct daemon *d, const char *name, struct profile *out, char *err, size_t errlen);
int profiles_count(const struct daemon *d);
int profiles_find(const struct daemon *d, const char *name);
void profiles_get(const struct daemon *d, int i, const char **name, const char **path, const char **text,
		  const struct profile **prof, const char **error);

/* api.c */
int api_start(struct daemon *d, char *err, size_t errlen);
void api_stop(struct daemon *d);
void api_broadcast_telemetry(struct daemon *d, const struct pad_conn *p);
void api_broadcast_event(struct daemon *d, const struct pad_conn *p, const struct core_event *e);

#endif
