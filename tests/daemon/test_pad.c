/* SPDX-License-Identifier: MIT */
/*
 * The daemon's pad module with fakes: a fake link records every command
 * and can be told to fail, a recording sink keeps every event. No USB, no
 * loop, no clock: time is the argument. Cost: a few milliseconds.
 *   1 pad choice: none, the only one, several, by serial
 *   2 attach: the envelope narrowed into the firmware, refusals (a real pad
 *     under a time scale, another serial, limits that cannot be set)
 *   3 a pad that comes back gets its slot, its core and its session
 *   4 a frame is converted once: an invalid sensor is NAN, never -327.68
 *   5 the zero-acknowledgement anchor: first zero, follows the acks
 *   6 a drive that cannot be sent is told, with the link's words
 *   7 start refusals: away, fault latched, a plan the core refuses
 *   8 an external fault (the GPIO interlock's path): zero sent at once
 *   9 clear-faults asks the gate first
 *  10 exit: zero synchronously, nothing but zero afterwards
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/pid.h"
#include "pad/pad.h"

/* ---- fakes ----------------------------------------------------------- */

struct fake_link {
	int sends, sends_now, clears;
	struct tp_set_output last;
	struct tp_set_limits limits;
	struct tp_set_watchdog watchdog;
	int fail_send, fail_limits;
};

static int fake_send(void *link, const struct tp_set_output *cmd)
{
	struct fake_link *l = link;
	if (l->fail_send)
		return -4;
	l->sends++;
	l->last = *cmd;
	return 0;
}

static int fake_send_now(void *link, const struct tp_set_output *cmd)
{
	struct fake_link *l = link;
	l->sends_now++;
	l->last = *cmd;
	return 0;
}

static int fake_clear(void *link)
{
	((struct fake_link *)link)->clears++;
	return 0;
}

static int fake_limits(void *link, const struct tp_set_limits *lim)
{
	struct fake_link *l = link;
	l->limits = *lim;
	return l->fail_limits ? -1 : 0;
}

static int fake_watchdog(void *link, const struct tp_set_watchdog *wd)
{
	((struct fake_link *)link)->watchdog = *wd;
	return 0;
}

static const char *fake_strerror(int rc)
{
	return rc == -4 ? "the fake link is gone" : "fake error";
}

static int fake_ack_boot(void *link, const struct tp_set_limits *lim, const struct tp_set_watchdog *wd)
{
	return fake_limits(link, lim) || fake_watchdog(link, wd);
}

static const struct pad_link_ops fake_ops = {.send_drive = fake_send,
					     .send_drive_now = fake_send_now,
					     .clear_faults = fake_clear,
					     .set_limits = fake_limits,
					     .set_watchdog = fake_watchdog,
					     .ack_boot = fake_ack_boot,
					     .strerror = fake_strerror};

#define MAX_EVENTS 256
struct recorder {
	int n;
	struct {
		enum pad_event_kind kind;
		char text[200];
		long count;
		const struct pad_slot *pad;
		struct pad_reading reading;
	} ev[MAX_EVENTS];
};

static void record(void *ctx, const struct pad_slot *p, const struct pad_event *e)
{
	struct recorder *r = ctx;
	if (r->n == MAX_EVENTS)
		return;
	r->ev[r->n].kind = e->kind;
	r->ev[r->n].pad = p;
	r->ev[r->n].count = e->count;
	snprintf(r->ev[r->n].text, sizeof r->ev[r->n].text, "%s",
		 e->kind == PAD_CORE_EVENT ? e->core->code : e->text ? e->text : "");
	if (e->reading)
		r->ev[r->n].reading = *e->reading;
	r->n++;
}

static int count(const struct recorder *r, enum pad_event_kind kind, const char *text)
{
	int n = 0;
	for (int i = 0; i < r->n; i++)
		if (r->ev[i].kind == kind && (!text || !strcmp(r->ev[i].text, text)))
			n++;
	return n;
}

struct world {
	struct pad_table t;
	struct recorder rec;
	struct fake_link link[3];
};

static struct tp_info info_of(const char *serial)
{
	struct tp_info info = {.fw_major = 1, .capabilities = TP_CAP_SIMULATED, .sensor_count = 3,
			       .hard_limits = {.plate_max_cc = 4500, .plate_min_cc = 500, .sink_max_cc = 7000,
					       .current_max_ma = 6000},
			       .telemetry_period_ms = 100};
	snprintf(info.serial, sizeof info.serial, "%s", serial);
	return info;
}

static struct pad_table_config config(void)
{
	struct core_config cc;
	core_config_default(&cc);
	return (struct pad_table_config){.limits = cc.limits, .watchdog_ms = 1000, .time_scale = 1.0};
}

static int setup(void **state)
{
	static struct world w;
	memset(&w, 0, sizeof w);
	struct pad_table_config cfg = config();
	pad_table_init(&w.t, &cfg, &fake_ops);
	pad_table_add_sink(&w.t, &(struct pad_sink){.ctx = &w.rec, .on_event = record});
	*state = &w;
	return 0;
}

static struct pad_slot *attach(struct world *w, int i, const char *serial)
{
	struct tp_info info = info_of(serial);
	char err[200];
	struct pad_slot *p = pad_attach(&w->t, &w->link[i], &info, NULL, NULL, 0.0, err, sizeof err);
	if (!p)
		fail_msg("attach %s: %s", serial, err);
	return p;
}

/* A healthy frame at plate_c, the last command acknowledged. */
static struct tp_telemetry frame(const struct pad_slot *p, double plate_c)
{
	return (struct tp_telemetry){.seq = (uint16_t)(p->last_seq + 1), .last_cmd_seq = p->cmd_seq,
				     .device_time_ms = p->last_device_ms + 100,
				     .plate_a_cc = (int16_t)lround(plate_c * 100), .plate_b_cc = (int16_t)lround(plate_c * 100),
				     .sink_cc = 2500, .state = TP_STATE_RUN};
}

static struct profile heat_profile(const struct pad_table *t)
{
	struct profile prof;
	struct profile_error pe;
	const char *text = "[profile]\ndescription = test\n[phase.warm]\nkind = heat\ntarget_c = 40\nduration_min = 20\n";
	if (profile_parse(text, "test.ini", "test", &t->cfg.limits, PID_NEUTRAL_C, &prof, &pe) != 0)
		fail_msg("%s", pe.text);
	return prof;
}

/* n healthy frames, 100 ms apart. */
static void feed(struct pad_slot *p, double *now, int n)
{
	for (int i = 0; i < n; i++) {
		struct tp_telemetry t = frame(p, 30.0);
		pad_on_frame(p, &t, *now += 0.1);
	}
}

/* A few healthy frames, then a start that must be accepted. */
static void start_ok(struct world *w, struct pad_slot *p, double *now)
{
	feed(p, now, 5);
	struct profile prof = heat_profile(&w->t);
	char err[300];
	if (pad_start(p, &prof, "test", *now, 0, err, sizeof err) != PAD_OK)
		fail_msg("start refused: %s", err);
}

/* ---- 1 ------------------------------------------------------------------ */

static void pad_choice(void **state)
{
	struct world *w = *state;
	struct pad_slot *p;
	int n;
	assert_int_equal(pad_choose(&w->t, NULL, &p, &n), PAD_NOT_FOUND);
	assert_null(p);
	struct pad_slot *a = attach(w, 0, "A-1");
	assert_int_equal(pad_choose(&w->t, NULL, &p, &n), PAD_OK);
	assert_ptr_equal(p, a);
	struct pad_slot *b = attach(w, 1, "B-2");
	assert_int_equal(pad_choose(&w->t, NULL, &p, &n), PAD_AMBIGUOUS);
	assert_int_equal(n, 2);
	assert_null(p);
	assert_int_equal(pad_choose(&w->t, "B-2", &p, &n), PAD_OK);
	assert_ptr_equal(p, b);
	assert_int_equal(pad_choose(&w->t, "C-3", &p, &n), PAD_NOT_FOUND);
	/* a pad away is still a pad to talk about (its session waits) */
	pad_detach(b, 1.0);
	assert_int_equal(pad_choose(&w->t, "B-2", &p, &n), PAD_OK);
}

/* ---- 2 ------------------------------------------------------------------ */

static void attach_narrows_and_refuses(void **state)
{
	struct world *w = *state;
	struct pad_table_config cfg = config();
	cfg.limits.plate_max_c = 43.0;
	cfg.limits.plate_min_c = 2.0; /* below the pad's own 5 C: the pad's stays */
	pad_table_configure(&w->t, &cfg);
	struct pad_slot *p = attach(w, 0, "A-1");
	/* never wider than what is configured, nor than the pad's own */
	assert_true(w->link[0].limits.limits.plate_max_cc <= 4300);
	assert_true(w->link[0].limits.limits.plate_max_cc > 0);
	assert_true(w->link[0].limits.limits.plate_min_cc >= 500);
	assert_int_equal(w->link[0].watchdog.timeout_ms, 1000);
	assert_true(p->present);
	assert_int_equal(count(&w->rec, PAD_ARRIVED, NULL), 1);

	char err[200];
	struct tp_info real = info_of("R-1");
	real.capabilities = 0;
	cfg.time_scale = 10;
	pad_table_configure(&w->t, &cfg);
	assert_null(pad_attach(&w->t, &w->link[1], &real, NULL, NULL, 0, err, sizeof err));
	assert_non_null(strstr(err, "--time-scale is for simulated pads only"));

	cfg.time_scale = 1;
	snprintf(cfg.pad_serial, sizeof cfg.pad_serial, "A-1");
	pad_table_configure(&w->t, &cfg);
	struct tp_info other = info_of("B-2");
	assert_null(pad_attach(&w->t, &w->link[1], &other, NULL, NULL, 0, err, sizeof err));
	assert_non_null(strstr(err, "the configuration names pad A-1"));

	cfg.pad_serial[0] = '\0';
	pad_table_configure(&w->t, &cfg);
	w->link[1].fail_limits = 1;
	assert_null(pad_attach(&w->t, &w->link[1], &other, NULL, NULL, 0, err, sizeof err));
	assert_non_null(strstr(err, "limits or watchdog could not be set"));
	assert_int_equal(pad_choose(&w->t, "B-2", &(struct pad_slot *){NULL}, NULL), PAD_NOT_FOUND);
}

/* ---- 3 ------------------------------------------------------------------ */

static void a_pad_that_comes_back_finds_its_session(void **state)
{
	struct world *w = *state;
	struct pad_slot *a = attach(w, 0, "A-1");
	struct pad_slot *b = attach(w, 1, "B-2");
	char err[200];
	double now = 0;
	start_ok(w, b, &now);
	pad_detach(b, now + 0.1);
	assert_false(b->present);
	assert_int_equal(count(&w->rec, PAD_CORE_EVENT, "disconnected"), 1);
	/* a new pad takes a fresh slot, not B's */
	struct pad_slot *c = attach(w, 2, "C-3");
	assert_ptr_not_equal(c, b);
	/* B returns, on another link: its old slot, its core, its session */
	struct pad_slot *b2 = attach(w, 1, "B-2");
	assert_ptr_equal(b2, b);
	assert_ptr_equal(b2->link, &w->link[1]);
	assert_true(b2->in_session);
	assert_true(pad_fault_latched(b2)); /* disconnected stays until a person clears it */
	assert_ptr_not_equal(a, b);
	/* and the same serial twice at once is refused */
	struct tp_info dup = info_of("A-1");
	assert_null(pad_attach(&w->t, &w->link[2], &dup, NULL, NULL, 0, err, sizeof err));
}

/* ---- 4 ------------------------------------------------------------------ */

static void a_frame_is_converted_once(void **state)
{
	struct world *w = *state;
	struct pad_slot *p = attach(w, 0, "A-1");
	struct tp_telemetry t = frame(p, 30.0);
	t.plate_b_cc = TP_TEMP_INVALID;
	t.current_ma = -1250;
	t.drive_applied = TP_DRIVE_FULL / 2;
	pad_on_frame(p, &t, 0.1);
	assert_int_equal(count(&w->rec, PAD_SAMPLE, NULL), 1);
	assert_true(p->have_tel);
	assert_true(p->last.plate_ok[0]);
	assert_true(fabs(p->last.plate_c[0] - 30.0) < 1e-9);
	assert_false(p->last.plate_ok[1]);
	assert_true(isnan(p->last.plate_c[1])); /* never -327.68 */
	assert_true(fabs(p->last.current_a + 1.25) < 1e-9);
	assert_true(fabs(p->last.drive_applied - 0.5) < 1e-9);
	assert_int_equal(p->frames, 1);
	/* a gap in the sequence is counted and told */
	t.seq = (uint16_t)(t.seq + 3);
	t.device_time_ms += 300;
	pad_on_frame(p, &t, 0.4);
	assert_int_equal(p->gaps, 2);
	assert_int_equal(count(&w->rec, PAD_FRAMES_LOST, NULL), 1);
}

/* ---- 5 ------------------------------------------------------------------ */

static void the_zero_anchor_follows_the_acknowledgements(void **state)
{
	struct world *w = *state;
	struct pad_slot *p = attach(w, 0, "A-1");
	struct tp_telemetry t = frame(p, 30.0);
	pad_on_frame(p, &t, 0.1); /* idle: the drive sent is zero */
	assert_int_equal(w->link[0].last.drive, 0);
	assert_true(p->zero_sent);
	uint16_t first = p->zero_seq;
	assert_int_equal(first, w->link[0].last.seq);
	for (int i = 0; i < 5; i++) {
		t = frame(p, 30.0); /* acknowledges the last zero */
		pad_on_frame(p, &t, 0.2 + 0.1 * i);
	}
	assert_true(p->zero_sent);
	/* the anchor moved up with the acknowledgements (sequence numbers wrap) */
	assert_true((int16_t)(uint16_t)(p->zero_seq - first) > 0);
	struct profile prof = heat_profile(&w->t);
	char err[200];
	assert_int_equal(pad_start(p, &prof, "test", 1.0, 0, err, sizeof err), PAD_OK);
	for (int i = 0; i < 20 && w->link[0].last.drive == 0; i++) {
		t = frame(p, 30.0);
		pad_on_frame(p, &t, 1.1 + 0.1 * i);
	}
	assert_true(w->link[0].last.drive > 0);
	assert_false(p->zero_sent); /* a drive was sent: no zero in force */
}

/* ---- 6 ------------------------------------------------------------------ */

static void a_failed_send_is_told(void **state)
{
	struct world *w = *state;
	struct pad_slot *p = attach(w, 0, "A-1");
	w->link[0].fail_send = 1;
	struct tp_telemetry t = frame(p, 30.0);
	pad_on_frame(p, &t, 0.1);
	assert_int_equal(p->send_failures, 1);
	assert_int_equal(count(&w->rec, PAD_SEND_FAILED, "the fake link is gone"), 1);
	pad_tick(&w->t, 0.5);
	assert_int_equal(p->send_failures, 2);
}

/* ---- 7 ------------------------------------------------------------------ */

static void start_refusals(void **state)
{
	struct world *w = *state;
	struct pad_slot *p = attach(w, 0, "A-1");
	struct profile prof = heat_profile(&w->t);
	char err[300];
	pad_detach(p, 0.5);
	assert_int_equal(pad_start(p, &prof, "test", 1.0, 0, err, sizeof err), PAD_AWAY);
	assert_non_null(strstr(err, "not connected"));
	p = attach(w, 0, "A-1"); /* back, with its disconnected fault latched */
	assert_int_equal(pad_start(p, &prof, "test", 1.0, 0, err, sizeof err), PAD_FAULT_ACTIVE);
	assert_int_equal(count(&w->rec, PAD_SESSION_STARTED, NULL), 0);
	double now = 2.0;
	feed(p, &now, 3); /* the core judges the fault by fresh reports */
	enum pad_refusal why = pad_clear_faults(p, now, err, sizeof err);
	if (why != PAD_OK)
		fail_msg("clear refused (%d): %s", why, err);
	start_ok(w, p, &now);
	assert_int_equal(count(&w->rec, PAD_SESSION_STARTED, "test"), 1);
	assert_string_equal(p->profile, "test");
	/* a second start while one runs: the core says no, not a fault */
	assert_int_equal(pad_start(p, &prof, "test", now + 0.1, 0, err, sizeof err), PAD_REFUSED);
	assert_true(err[0]);
	assert_int_equal(count(&w->rec, PAD_SESSION_STARTED, NULL), 1);
}

/* ---- 7b ----------------------------------------------------------------- */

static struct profile profile_of(const struct pad_table *t, const char *kind, double target_c, int minutes)
{
	char text[200];
	snprintf(text, sizeof text, "[profile]\ndescription = test\n[phase.a]\nkind = %s\ntarget_c = %g\nduration_min = %d\n",
		 kind, target_c, minutes);
	struct profile prof;
	struct profile_error pe;
	if (profile_parse(text, "test.ini", "test", &t->cfg.limits, PID_NEUTRAL_C, &prof, &pe) != 0)
		fail_msg("%s", pe.text);
	return prof;
}

/* The pad announces its own exposure bounds (5 CEM43 min, 25 min below
 * 15 C): the caps narrow inside them, a reload keeps them there, and a
 * session the firmware would cut is refused at start, in words. */
static void the_firmware_bounds_narrow_the_caps(void **state)
{
	struct world *w = *state;
	struct tp_info info = info_of("A-1");
	info.dose_max_cmin = 500, info.cold_below_cc = 1600, info.cold_max_s = 1500;
	char err[600];
	struct pad_slot *p = pad_attach(&w->t, &w->link[0], &info, NULL, NULL, 0.0, err, sizeof err);
	assert_non_null(p);
	const struct safety_limits *l = &p->core.cfg.limits;
	assert_true(fabs(l->dose_cem43_min - 3.5) < 1e-9);
	assert_true(fabs(l->cold_session_max_s - 1350) < 1e-9);
	assert_true(fabs(l->cold_phase_max_s - 1200) < 1e-9);
	assert_true(fabs(l->cold_c - 16.0) < 1e-9); /* counts every second the firmware counts */
	assert_true(fabs(p->core.safety.lim.dose_cem43_min - 3.5) < 1e-9);
	struct pad_table_config cfg = config();
	pad_table_configure(&w->t, &cfg); /* a reload: still inside the firmware's */
	assert_true(fabs(l->dose_cem43_min - 3.5) < 1e-9);
	double now = 0;
	feed(p, &now, 5);
	/* 20 min at 42 C is 5 CEM43 min: the firmware would cut it */
	struct profile hot = profile_of(&w->t, "heat", 42, 20);
	assert_int_equal(pad_start(p, &hot, "test", now, 0, err, sizeof err), PAD_REFUSED);
	assert_non_null(strstr(err, "heat dose"));
	assert_non_null(strstr(err, "3.5 CEM43 min"));
	assert_non_null(strstr(err, "shorten it or choose a milder target"));
	assert_non_null(strstr(err, "firmware cuts heat by itself at 5.0 CEM43 min"));
	/* 24 min of cold, which the configuration allows (40) */
	struct profile cold;
	struct profile_error pe;
	const char *text = "[profile]\ndescription = test\n[phase.a]\nkind = cold\ntarget_c = 12\nduration_min = 12\n"
			   "[phase.b]\nkind = cold\ntarget_c = 12\nduration_min = 12\n";
	if (profile_parse(text, "test.ini", "test", &w->t.cfg.limits, PID_NEUTRAL_C, &cold, &pe) != 0)
		fail_msg("%s", pe.text);
	assert_int_equal(pad_start(p, &cold, "test", now, 0, err, sizeof err), PAD_REFUSED);
	assert_non_null(strstr(err, "cold phases last 24.0 min in all, more than the 22.5 min of cold"));
	assert_non_null(strstr(err, "25 min below 16.0 C"));
	assert_int_equal(count(&w->rec, PAD_SESSION_STARTED, NULL), 0);
	/* what fits is admitted */
	struct profile mild = profile_of(&w->t, "heat", 42, 12);
	if (pad_start(p, &mild, "test", now, 0, err, sizeof err) != PAD_OK)
		fail_msg("start refused: %s", err);
}

/* ---- 8 ------------------------------------------------------------------ */

static void an_external_fault_zeroes_at_once(void **state)
{
	struct world *w = *state;
	struct pad_slot *p = attach(w, 0, "A-1");
	struct pad_slot *q = attach(w, 1, "B-2");
	double now = 0;
	start_ok(w, p, &now);
	for (int i = 0; i < 20 && w->link[0].last.drive == 0; i++) {
		struct tp_telemetry t = frame(p, 30.0);
		pad_on_frame(p, &t, now += 0.1);
	}
	assert_true(w->link[0].last.drive > 0);
	int sends = w->link[0].sends;
	pad_table_fault_all(&w->t, now + 0.01, "emergency-stop", "the emergency-stop button was pressed");
	/* in the same call, with no frame or tick in between */
	assert_int_equal(w->link[0].sends, sends + 1);
	assert_int_equal(w->link[0].last.drive, 0);
	assert_int_equal(w->link[1].last.drive, 0);
	assert_true(pad_fault_latched(p) && pad_fault_latched(q));
	assert_int_equal(count(&w->rec, PAD_CORE_EVENT, "emergency-stop"), 2);
}

/* ---- 9 ------------------------------------------------------------------ */

static int gate_held(void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	snprintf(err, errlen, "the emergency-stop button is still pressed");
	return -1;
}

static void clear_faults_asks_the_gate(void **state)
{
	struct world *w = *state;
	struct pad_slot *p = attach(w, 0, "A-1");
	double now = 0;
	feed(p, &now, 3);
	pad_fault(p, now, "emergency-stop", "pressed");
	pad_table_set_clear_gate(&w->t, &(struct pad_clear_gate){.allowed = gate_held});
	char err[200];
	assert_int_equal(pad_clear_faults(p, now, err, sizeof err), PAD_REFUSED);
	assert_non_null(strstr(err, "still pressed"));
	assert_true(pad_fault_latched(p));
	assert_int_equal(w->link[0].clears, 0); /* the pad was not asked */
	pad_table_set_clear_gate(&w->t, &(struct pad_clear_gate){0});
	feed(p, &now, 3);
	enum pad_refusal why = pad_clear_faults(p, now, err, sizeof err);
	if (why != PAD_OK)
		fail_msg("clear refused (%d): %s", why, err);
	assert_false(pad_fault_latched(p));
	assert_int_equal(count(&w->rec, PAD_REQUEST_DONE, "clear-faults"), 1);
}

/* ---- 10 ----------------------------------------------------------------- */

static void exit_sends_zero_and_nothing_else(void **state)
{
	struct world *w = *state;
	struct pad_slot *p = attach(w, 0, "A-1");
	double now = 0;
	start_ok(w, p, &now);
	pad_table_zero_all(&w->t, now);
	assert_int_equal(w->link[0].sends_now, 1);
	assert_int_equal(w->link[0].last.drive, 0);
	assert_int_equal(count(&w->rec, PAD_ZEROED_ON_EXIT, NULL), 1);
	int frames = (int)p->frames;
	struct tp_telemetry t = frame(p, 30.0);
	pad_on_frame(p, &t, now + 0.1); /* late frames are not judged */
	assert_int_equal((int)p->frames, frames);
	pad_tick(&w->t, now + 1.0);
	assert_int_equal(w->link[0].last.drive, 0);
	pad_table_fini(&w->t, now + 1.0);
	assert_int_equal(count(&w->rec, PAD_SESSION_ENDED, "daemon stopped"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(pad_choice, setup),
		cmocka_unit_test_setup(attach_narrows_and_refuses, setup),
		cmocka_unit_test_setup(a_pad_that_comes_back_finds_its_session, setup),
		cmocka_unit_test_setup(a_frame_is_converted_once, setup),
		cmocka_unit_test_setup(the_zero_anchor_follows_the_acknowledgements, setup),
		cmocka_unit_test_setup(a_failed_send_is_told, setup),
		cmocka_unit_test_setup(start_refusals, setup),
		cmocka_unit_test_setup(the_firmware_bounds_narrow_the_caps, setup),
		cmocka_unit_test_setup(an_external_fault_zeroes_at_once, setup),
		cmocka_unit_test_setup(clear_faults_asks_the_gate, setup),
		cmocka_unit_test_setup(exit_sends_zero_and_nothing_else, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
