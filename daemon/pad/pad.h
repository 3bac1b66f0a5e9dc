/* SPDX-License-Identifier: MIT */
/*
 * A pad, as the daemon runs it (struct pad_slot: the slot that remembers
 * one pad by serial, its core and its session, across unplug and replug;
 * not "struct pad", which is the simulator's pad, linked into the same
 * test programs): the one module that calls the control core
 * (core_*) and the one that sends to a pad. Telemetry enters at
 * pad_on_frame; the drive leaves through the link's send_drive, in the same
 * call. Frames are converted to degrees, amperes and seconds once, here
 * (an invalid sensor is NAN with its _ok flag false, never -327.68). The
 * zero-acknowledgement bookkeeping (a safety input) lives here alone.
 *
 * What happens is told to the sinks registered at start (the journal, the
 * session log, the calibration store, the socket's subscribers); the pad
 * does not know who listens. It reaches the pad hardware only through the
 * link operations it is given (libusb in the daemon, a fake in tests).
 */
#ifndef THERMOPAD_PAD_PAD_H
#define THERMOPAD_PAD_PAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/core.h"
#include "core/profile.h"
#include "thermopad_proto.h"

#define PAD_MAX 8
#define PAD_MAX_SINKS 8

/* One reading, in the units of its names; NAN where the sensor is invalid. */
struct pad_reading {
	double plate_c[2];
	bool plate_ok[2];
	double sink_c;
	bool sink_ok;
	double current_a;
	double drive_applied; /* -1..1 */
	uint32_t fw_faults;
	uint8_t fw_state;
	uint32_t device_time_ms;
};

struct pad_table;

struct pad_slot {
	struct pad_table *table;
	bool used; /* a slot that remembers a pad (its serial, its core) */
	bool present; /* on the bus and opened */
	void *link; /* the link's handle while present */
	struct tp_info info;
	char serial[TP_SERIAL_LEN + 1];
	struct core core;
	bool have_tel;
	struct pad_reading last; /* the last frame, converted */
	double last_sample_t;
	uint16_t cmd_seq, last_seq;
	uint16_t zero_seq; /* the first of the zero-drive commands now in force */
	bool zero_sent;
	bool have_seq;
	/* the pad's device time on the daemon's model-time axis: t =
	 * device_time_ms / 1000 + dev_offset_s, set at the first report and
	 * again after a reset */
	double dev_offset_s;
	double boot_acked_t; /* when the firmware's boot flag was last answered, -1 never */
	uint32_t last_device_ms;
	bool last_seq_reset; /* the last report was judged a restart */
	unsigned long frames, gaps, rejected, send_failures, repeated, resets;
	/* the session, for its log and for people */
	bool in_session; /* a session was started and has not ended */
	char session_id[40]; /* the start time, for people */
	char session_name[96]; /* session_id-serial: the stored session's id */
	char profile[PLAN_NAME_MAX];
	double session_start; /* model time */
	time_t session_wall;
};

/* What the sinks are told. */
enum pad_event_kind {
	PAD_ARRIVED, /* opened; the link is there */
	PAD_DEPARTED, /* left the bus (a disconnected fault follows as a core event) */
	PAD_SAMPLE, /* a frame was judged; reading is set */
	PAD_CORE_EVENT, /* core is set */
	PAD_SESSION_STARTED,
	PAD_SESSION_ENDED, /* text: the outcome */
	PAD_REQUEST_DONE, /* text: the request's name (stop, pause, ...) */
	PAD_FRAMES_LOST, /* count */
	PAD_FRAME_REPEATED, /* a report whose sequence or device time did not advance, dropped; count: so far */
	PAD_RESET, /* its device time went back: the pad restarted; text: what was seen */
	PAD_FRAME_REFUSED, /* text: why; count: its length */
	PAD_SEND_FAILED, /* text: the link's error; count: failures so far */
	PAD_ZEROED_ON_EXIT, /* count: the link's result (0 or its error); text: the error */
	PAD_EVENT_KINDS,
};

struct pad_event {
	enum pad_event_kind kind;
	double t; /* model time */
	const struct pad_reading *reading;
	const struct core_event *core;
	const char *text;
	long count;
};

struct pad_sink {
	void *ctx;
	void (*on_event)(void *ctx, const struct pad_slot *p, const struct pad_event *e);
};

/* How a pad is reached: 0 or a negative error of the link's own. */
struct pad_link_ops {
	int (*send_drive)(void *link, const struct tp_set_output *cmd); /* asynchronous */
	int (*send_drive_now)(void *link, const struct tp_set_output *cmd); /* synchronous, on exit */
	int (*clear_faults)(void *link);
	int (*set_limits)(void *link, const struct tp_set_limits *lim);
	int (*set_watchdog)(void *link, const struct tp_set_watchdog *wd);
	/* the firmware booted: limits, watchdog, acknowledgement; asynchronous */
	int (*ack_boot)(void *link, const struct tp_set_limits *lim, const struct tp_set_watchdog *wd);
	const char *(*strerror)(int rc);
};

/* May a person clear faults now? 0, or -1 with why in err (the GPIO
 * interlock registers one: not while the emergency stop is held). */
struct pad_clear_gate {
	void *ctx;
	int (*allowed)(void *ctx, char *err, size_t errlen);
};

/* May a session start on this pad now? 0, or -1 with why in err; a gate
 * that refuses latches the fault it names itself (the daemon's dose guard
 * registers one: not with a dose ledger it cannot trust). */
struct pad_start_gate {
	void *ctx;
	int (*allowed)(void *ctx, struct pad_slot *p, double now, char *err, size_t errlen);
};

struct pad_table_config {
	struct safety_limits limits; /* the configured envelope */
	unsigned watchdog_ms;
	char pad_serial[32]; /* serve only this pad, if set (as [pad] serial) */
	double time_scale; /* != 1: simulated pads only */
	double epoch_s; /* the dose ledger's time at model time zero (set once, at start) */
};

struct pad_table {
	struct pad_slot slots[PAD_MAX];
	struct pad_table_config cfg;
	struct pad_link_ops ops;
	struct pad_sink sinks[PAD_MAX_SINKS];
	int nsinks;
	struct pad_clear_gate gate;
	struct pad_start_gate start_gate;
	bool stopping; /* only zero is sent from now on */
};

/* Refusals, for the caller to name (the socket maps them to its codes). */
enum pad_refusal {
	PAD_OK = 0,
	PAD_REFUSED, /* the core said no, err says why */
	PAD_FAULT_ACTIVE, /* refused because a fault is latched */
	PAD_AWAY, /* the pad is not on the bus */
	PAD_NOT_FOUND, /* pad_choose: no such pad */
	PAD_AMBIGUOUS, /* pad_choose: several, none named */
	PAD_PENDING, /* pad_clear_faults: CLEAR_FAULTS sent; the pad's next
		      * reports decide, told as the core event "faults-cleared"
		      * or "clear-refused" */
};

void pad_table_init(struct pad_table *t, const struct pad_table_config *cfg, const struct pad_link_ops *ops);
int pad_table_add_sink(struct pad_table *t, const struct pad_sink *s);
void pad_table_set_clear_gate(struct pad_table *t, const struct pad_clear_gate *g);
void pad_table_set_start_gate(struct pad_table *t, const struct pad_start_gate *g);
/* Narrowed limits and the rest, from a reload: into every pad's core at
 * once (a session in progress too), and SET_LIMITS and SET_WATCHDOG sent
 * again to every pad on the bus. */
void pad_table_configure(struct pad_table *t, const struct pad_table_config *cfg);
/* The report period the pads announced (the shortest), 0.1 s before any. */
double pad_table_period_s(const struct pad_table *t);

/* The pad a request means: the one with that serial, or the only one. */
enum pad_refusal pad_choose(struct pad_table *t, const char *serial, struct pad_slot **out, int *count);

/* A pad answered GET_INFO on link: its slot (by serial, so that a pad
 * that comes back finds its core and a session it left paused), its
 * limits and watchdog sent. tuned: its calibration, if any; ledger: its
 * doses across sessions as stored, if any (a slot that remembers the pad
 * keeps its own, newer). NULL with why in err when it is not wanted or
 * cannot be set up. */
struct pad_slot *pad_attach(struct pad_table *t, void *link, const struct tp_info *info, const struct calibration *tuned,
			    const struct dose_ledger *ledger, double now, char *err, size_t errlen);
void pad_detach(struct pad_slot *p, double now);
void pad_on_frame(struct pad_slot *p, const struct tp_telemetry *t, double now);
void pad_frame_refused(struct pad_slot *p, enum proto_err e, int length);
/* The stale checks and the heartbeat for pads no report has carried. */
void pad_tick(struct pad_table *t, double now);

enum pad_refusal pad_start(struct pad_slot *p, const struct profile *prof, const char *profile_name, double now,
			   time_t wall, char *err, size_t errlen);
enum pad_refusal pad_stop(struct pad_slot *p, double now, char *err, size_t errlen);
enum pad_refusal pad_pause(struct pad_slot *p, double now, char *err, size_t errlen);
enum pad_refusal pad_resume(struct pad_slot *p, double now, char *err, size_t errlen);
enum pad_refusal pad_skip(struct pad_slot *p, double now, char *err, size_t errlen);
enum pad_refusal pad_extend(struct pad_slot *p, double minutes, double now, char *err, size_t errlen);
enum pad_refusal pad_tune(struct pad_slot *p, bool heat, double now, char *err, size_t errlen);
enum pad_refusal pad_clear_faults(struct pad_slot *p, double now, char *err, size_t errlen);
/* A fault from outside the pad (the emergency stop, a GPIO line): latched,
 * drive zero sent at once, told to the sinks. */
void pad_fault(struct pad_slot *p, double now, const char *code, const char *message);
void pad_table_fault_all(struct pad_table *t, double now, const char *code, const char *message);
/* Orderly exit: zero to every pad, synchronously; nothing else is sent
 * after (each told as PAD_ZEROED_ON_EXIT). */
void pad_table_zero_all(struct pad_table *t, double now);
/* Ends every open session ("daemon stopped"). */
void pad_table_fini(struct pad_table *t, double now);

void pad_status(const struct pad_slot *p, struct core_status *st);
const struct plan_run *pad_plan(const struct pad_slot *p); /* NULL when idle or tuning */
const struct pid_config *pad_pid(const struct pad_slot *p);
void pad_calibration(const struct pad_slot *p, struct calibration *out);
bool pad_fault_latched(const struct pad_slot *p);

#endif
