/* SPDX-License-Identifier: MIT */
/*
 * The host side here does what thermopadd does with a pad, and no more:
 * limits and watchdog at plug-in, a sample per telemetry report into the
 * core and its drive back, the core's tick when reports are late, the
 * zero acknowledgement by sequence number. A misbehaving host (host:...)
 * and a faulty link (usb:...) replace that part; everything else is
 * injected into the pad through the simulator's own grammar.
 */
#include "scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core.h"
#include "faults.h"
#include "pad.h"

enum host_mode {
	HOST_NORMAL,
	HOST_HEAT_FOREVER,
	HOST_COLD_FOREVER,
	HOST_SILENT,
	HOST_HUNG,
	HOST_SLOW,
	HOST_ESTOP,
	HOST_BACK_TO_BACK,
};

static const struct {
	const char *name;
	enum host_mode mode;
	bool value;
} host_modes[] = {
	{"host:heat-forever", HOST_HEAT_FOREVER, false}, {"host:cold-forever", HOST_COLD_FOREVER, false},
	{"host:silent", HOST_SILENT, false}, {"host:hung", HOST_HUNG, true}, {"host:slow", HOST_SLOW, true},
	{"host:emergency-stop", HOST_ESTOP, false}, {"host:back-to-back", HOST_BACK_TO_BACK, false},
};

#define MAX_FAULTS 4

struct injection {
	int npad;
	struct pad_fault pad[MAX_FAULTS];
	enum host_mode host;
	double host_value;
	bool hard_limits; /* limits:hard: the widest configuration allowed */
	double stall_s;
	int malformed, replay;
};

struct phase_setup {
	const char *name;
	double target_c; /* NAN: none */
	double fault_at_s; /* after the start (reversing: at the switch to cold) */
};

static const struct phase_setup phases[] = {
	{"idle", NAN, 30}, {"heating", 40, 4}, {"hot", 40, 120}, {"cooling", 12, 30},
	{"cold", 12, 300}, {"reversing", 40, 0}, {"autotune", NAN, 60},
};

struct host {
	struct pad pad;
	struct core core;
	struct config cfg;
	uint16_t cmd_seq, zero_seq;
	bool zero_sent;
	double last_sample_t;
	bool have_last;
	uint8_t last_frame[TP_FRAME_MAX_LEN];
	size_t last_len;
	struct injection inj;
	bool faulty; /* the injection is in force */
	double stall_until;
	double next_slow_t, hung_until;
	double boot_acked_t;
	/* host:back-to-back: the session asked for, started again whenever
	 * the last one ended, as soon as the host admits one */
	const struct phase_setup *ps;
	double target, next_start_t;
	int sessions, refusals;
};

static int parse_injection(const char *spec, struct injection *inj, char *why, size_t whylen)
{
	memset(inj, 0, sizeof *inj);
	if (!spec)
		return 0;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", spec);
	for (char *save = NULL, *tok = strtok_r(buf, " +", &save); tok; tok = strtok_r(NULL, " +", &save)) {
		if (strcmp(tok, "limits:hard") == 0) {
			inj->hard_limits = true;
			continue;
		}
		bool known = false;
		for (size_t i = 0; i < sizeof host_modes / sizeof host_modes[0]; i++) {
			size_t n = strlen(host_modes[i].name);
			if (strncmp(tok, host_modes[i].name, n) != 0 || (tok[n] && tok[n] != '='))
				continue;
			if (host_modes[i].value != (tok[n] == '=')) {
				snprintf(why, whylen, "'%s': %s", tok, host_modes[i].value ? "needs =SECONDS" : "takes no value");
				return -1;
			}
			inj->host = host_modes[i].mode;
			inj->host_value = host_modes[i].value ? atof(tok + n + 1) : 0;
			known = true;
		}
		if (known)
			continue;
		if (inj->npad == MAX_FAULTS) {
			snprintf(why, whylen, "more than %d faults", MAX_FAULTS);
			return -1;
		}
		struct pad_fault f;
		char err[200];
		if (faults_parse(tok, &f, err, sizeof err) != 0) {
			snprintf(why, whylen, "no injection in the simulator yet: %s", err);
			return -1;
		}
		if (faults_is_usb(&f)) {
			if (f.kind == FAULT_KIND_STALL)
				inj->stall_s = f.value;
			else if (f.kind == FAULT_KIND_MALFORMED)
				inj->malformed = (int)f.value;
			else if (f.kind == FAULT_KIND_REPLAY)
				inj->replay = (int)f.value;
			else {
				snprintf(why, whylen, "'%s' needs the daemon's USB edge: an end-to-end row", tok);
				return -1;
			}
			continue;
		}
		inj->pad[inj->npad++] = f;
	}
	return 0;
}

static void send_out(struct host *h, uint8_t request, const uint8_t *buf, size_t len)
{
	pad_control_out(&h->pad, request, buf, len);
}

static void send_drive(struct host *h, double drive)
{
	struct tp_set_output cmd = {.seq = ++h->cmd_seq, .drive = (int16_t)lround(drive * TP_DRIVE_FULL)};
	uint8_t buf[TP_SET_OUTPUT_LEN];
	if (!proto_encode_set_output(&cmd, buf, sizeof buf))
		return;
	if (cmd.drive != 0)
		h->zero_sent = false;
	else if (!h->zero_sent)
		h->zero_sent = true, h->zero_seq = cmd.seq;
	send_out(h, TP_REQ_SET_OUTPUT, buf, sizeof buf);
}

/* What the daemon's pad module does (daemon/pad/pad.c, envelope()): the
 * plate narrowed to the setpoints plus 2 C, the heat sink to the daemon's
 * maximum, never past the firmware's hard limits; and the watchdog. */
static void envelope(const struct host *h, struct tp_set_limits *lim, struct tp_set_watchdog *wd)
{
	const struct safety_limits *l = &h->cfg.limits;
	const struct tp_limits *hard = &h->pad.fw.cfg.hard_limits;
	long plate_max = lround(fmin(l->plate_max_c, l->setpoint_max_c + 2.0) * 100);
	long plate_min = lround(fmax(l->plate_min_c, l->setpoint_min_c - 2.0) * 100);
	long sink_max = lround(l->sink_max_c * 100);
	lim->limits = (struct tp_limits){
		.plate_max_cc = (int16_t)(plate_max < hard->plate_max_cc ? plate_max : hard->plate_max_cc),
		.plate_min_cc = (int16_t)(plate_min > hard->plate_min_cc ? plate_min : hard->plate_min_cc),
		.sink_max_cc = (int16_t)(sink_max < hard->sink_max_cc ? sink_max : hard->sink_max_cc),
		.current_max_ma = hard->current_max_ma};
	wd->timeout_ms = (uint16_t)h->cfg.watchdog_ms;
}

static void send_envelope(struct host *h)
{
	struct tp_set_limits lim;
	struct tp_set_watchdog wd;
	envelope(h, &lim, &wd);
	uint8_t buf[TP_FRAME_MAX_LEN];
	if (proto_encode_set_limits(&lim, buf, sizeof buf))
		send_out(h, TP_REQ_SET_LIMITS, buf, TP_SET_LIMITS_LEN);
	if (proto_encode_set_watchdog(&wd, buf, sizeof buf))
		send_out(h, TP_REQ_SET_WATCHDOG, buf, TP_SET_WATCHDOG_LEN);
}

static void plug_in(struct host *h)
{
	send_envelope(h);
	h->zero_sent = false;
	h->have_last = false;
	h->boot_acked_t = -1;
}

/* The firmware booted (its BOOT flag): our envelope again, then the
 * acknowledgement (a CLEAR_FAULTS of no bit), at most once a second, as
 * the daemon does (acknowledge_boot). */
static void acknowledge_boot(struct host *h, const struct tp_telemetry *t, double now)
{
	if (!(t->flags & TP_FLAG_BOOT) || (h->boot_acked_t >= 0 && now - h->boot_acked_t < 1.0))
		return;
	h->boot_acked_t = now;
	send_envelope(h);
	struct tp_clear_faults ack = {.mask = 0};
	uint8_t buf[TP_CLEAR_FAULTS_LEN];
	if (proto_encode_clear_faults(&ack, buf, sizeof buf))
		send_out(h, TP_REQ_CLEAR_FAULTS, buf, sizeof buf);
}

static void clear_firmware(struct host *h)
{
	struct tp_clear_faults cmd = {.mask = 0xffffffffu};
	uint8_t buf[TP_CLEAR_FAULTS_LEN];
	if (proto_encode_clear_faults(&cmd, buf, sizeof buf))
		send_out(h, TP_REQ_CLEAR_FAULTS, buf, sizeof buf);
}

static void to_sample(struct host *h, const struct tp_telemetry *t, double now, struct core_sample *s)
{
	bool zero_received = h->zero_sent && (int16_t)(uint16_t)(t->last_cmd_seq - h->zero_seq) >= 0;
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
	if (zero_received)
		h->zero_seq = t->last_cmd_seq;
}

/* A session that reaches its heat dose or length cap ends by design: that
 * is the cap working, not a false trip (the cold caps are judged: a
 * profile that validation allowed must not trip them). */

/* One report period of the host: the report through the (possibly faulty)
 * link, then the core, then the drive. */
static void host_step(struct host *h, double now)
{
	uint8_t frame[TP_FRAME_MAX_LEN];
	size_t n = pad_take_report(&h->pad, frame, sizeof frame);
	const struct injection *inj = &h->inj;
	enum host_mode mode = h->faulty ? inj->host : HOST_NORMAL;
	if (mode == HOST_HEAT_FOREVER || mode == HOST_COLD_FOREVER) {
		send_drive(h, mode == HOST_HEAT_FOREVER ? 1.0 : -1.0);
		return;
	}
	if (mode == HOST_SILENT || (mode == HOST_HUNG && now < h->hung_until))
		return;
	if (mode == HOST_SLOW) {
		/* a host this late only ever sees the newest report */
		if (n) {
			memcpy(h->last_frame, frame, n);
			h->last_len = n;
		}
		if (now < h->next_slow_t)
			return;
		h->next_slow_t = now + inj->host_value;
		n = h->last_len;
		memcpy(frame, h->last_frame, n);
	}
	if (h->faulty && now < h->stall_until)
		n = 0;
	if (n && h->faulty && h->inj.replay > 0 && h->last_len) {
		h->inj.replay--;
		memcpy(frame, h->last_frame, h->last_len);
		n = h->last_len;
	} else if (n && mode != HOST_SLOW) {
		memcpy(h->last_frame, frame, n);
		h->last_len = n;
	}
	if (n && h->faulty && h->inj.malformed > 0) {
		h->inj.malformed--;
		frame[0] ^= 0x5a; /* the version byte: the codec must refuse it */
	}
	struct tp_telemetry tel;
	struct core_output out;
	if (n && proto_decode_telemetry(frame, n, &tel) == PROTO_OK) {
		acknowledge_boot(h, &tel, now);
		struct core_sample s;
		to_sample(h, &tel, now, &s);
		core_on_sample(&h->core, &s, &out);
		h->last_sample_t = now;
		h->have_last = true;
		send_drive(h, out.drive);
	} else if (h->have_last && now - h->last_sample_t >= 0.15) {
		core_on_tick(&h->core, now, &out);
		send_drive(h, out.drive);
	}
}

static void inject(struct host *h, double now)
{
	for (int i = 0; i < h->inj.npad; i++)
		pad_inject(&h->pad, &h->inj.pad[i]);
	h->faulty = true;
	if (h->inj.host == HOST_ESTOP) {
		/* what the daemon does when the interlock's button is pressed
		 * (the GPIO edge itself is proven in tests/gpio) */
		struct core_output out;
		core_external_fault(&h->core, now, "emergency-stop", "the emergency-stop button is pressed", &out);
		send_drive(h, out.drive);
	}
	h->stall_until = now + h->inj.stall_s;
	h->hung_until = now + h->inj.host_value;
	h->next_slow_t = now;
}

static void remove_faults(struct host *h)
{
	struct pad_fault all = {.target = FAULT_ALL, .kind = FAULT_KIND_OK};
	pad_inject(&h->pad, &all);
	h->faulty = false;
}

static void note_trip(struct host *h, struct outcome *o, const struct pad_truth *t)
{
	if (o->tripped)
		return;
	if (t->fw_faults)
		snprintf(o->trip, sizeof o->trip, "firmware fault bits 0x%x at %.1f s", t->fw_faults, t->time_s);
	else if (h->core.safety.latched && strcmp(h->core.safety.code, "dose-heat") != 0 &&
		 strcmp(h->core.safety.code, "session-length") != 0)
		snprintf(o->trip, sizeof o->trip, "host %s at %.1f s", h->core.safety.code, t->time_s);
	else if (t->fuse_open)
		snprintf(o->trip, sizeof o->trip, "fuse open at %.1f s", t->time_s);
	else
		return;
	o->tripped = true;
}

static bool start_session(struct host *h, const struct phase_setup *ps, double target, double length_s, double now,
			  char *err, size_t errlen)
{
	if (strcmp(ps->name, "idle") == 0)
		return true;
	if (strcmp(ps->name, "autotune") == 0)
		return core_tune(&h->core, true, now, err, errlen) == 0;
	struct plan p;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "safety-%s", ps->name);
	p.cycles = 1;
	p.band_c = 0.5;
	bool cold = ps->target_c < 32;
	if (strcmp(ps->name, "reversing") == 0) {
		p.nphases = 2;
		p.phases[0] = (struct phase){.kind = PHASE_HEAT, .target_c = target, .duration_s = 60};
		p.phases[1] = (struct phase){.kind = PHASE_COLD, .target_c = 12, .duration_s = 900};
		snprintf(p.phases[0].name, sizeof p.phases[0].name, "hot");
		snprintf(p.phases[1].name, sizeof p.phases[1].name, "cold");
	} else {
		p.nphases = 1;
		bool whole = cold && h->inj.host != HOST_BACK_TO_BACK;
		p.phases[0] = (struct phase){.kind = cold ? PHASE_COLD : PHASE_HEAT, .target_c = target,
					     .duration_s = whole ? h->core.cfg.limits.cold_phase_max_s : length_s};
		snprintf(p.phases[0].name, sizeof p.phases[0].name, "%s", ps->name);
	}
	return core_start(&h->core, &p, now, err, errlen) == 0;
}

/* Sessions one after another, each as soon as the last has ended and the
 * host admits one: 5 min, or as much of it as the dose ledger allows (a
 * minute less at a time, 2 min at the least), else asked again a minute
 * later; a latched fault ends the series. */
#define B2B_SESSION_S 300.0

static void back_to_back(struct host *h, double now)
{
	if (!h->faulty || h->inj.host != HOST_BACK_TO_BACK || h->core.state != CORE_IDLE || h->core.safety.latched ||
	    now < h->next_start_t)
		return;
	char err[400];
	for (double len = B2B_SESSION_S; len >= 120; len -= 60)
		if (start_session(h, h->ps, h->target, len, now, err, sizeof err)) {
			h->sessions++;
			return;
		}
	h->refusals++;
	h->next_start_t = now + 60;
}

/* Advances one firmware tick, the host every tenth; feeds the exposure. */
static void tick(struct host *h, uint32_t *ms, struct outcome *o, bool watching)
{
	pad_advance(&h->pad, PAD_TICK_MS);
	*ms += PAD_TICK_MS;
	if (*ms % 100 == 0) {
		host_step(h, *ms / 1000.0);
		back_to_back(h, *ms / 1000.0);
	}
	struct pad_truth t;
	pad_truth(&h->pad, &t);
	if (watching) {
		exposure_update(&o->exposure, &t, PAD_TICK_MS / 1000.0);
		/* the host acts by a latched fault, or by a cap that ends the session */
		const struct safety *sf = &h->core.safety;
		const char *code = sf->latched ? sf->code : sf->cap_reached ? sf->cap_code : NULL;
		if (code && o->host_s < 0) {
			o->host_s = t.time_s - o->fault_t;
			snprintf(o->host_any, sizeof o->host_any, "%s", code);
			if (strcmp(code, "firmware-fault") != 0)
				snprintf(o->host_code, sizeof o->host_code, "%s", code);
		}
	}
	note_trip(h, o, &t);
}

static void run(const struct scenario *sc, struct host *h, struct outcome *o);

void scenario_run(const struct scenario *sc, struct outcome *o)
{
	struct host *hp = calloc(1, sizeof *hp); /* large: kept off the stack */
	memset(o, 0, sizeof *o);
	if (!hp) {
		snprintf(o->why, sizeof o->why, "out of memory");
		return;
	}
	run(sc, hp, o);
	free(hp);
}

static void run(const struct scenario *sc, struct host *h, struct outcome *o)
{
	o->fw_s = o->host_s = o->fuse_s = -1;
	o->runnable = true;

	char name[32];
	double target = NAN;
	snprintf(name, sizeof name, "%s", sc->phase);
	char *eq = strchr(name, '=');
	if (eq) {
		*eq = '\0';
		target = atof(eq + 1);
	}
	const struct phase_setup *ps = NULL;
	for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
		if (strcmp(phases[i].name, name) == 0)
			ps = &phases[i];
	if (!ps) {
		o->runnable = false;
		snprintf(o->why, sizeof o->why, "unknown phase '%s'", sc->phase);
		return;
	}
	if (isnan(target))
		target = ps->target_c;
	h->ps = ps;
	h->target = target;
	if (parse_injection(sc->faults, &h->inj, o->why, sizeof o->why) != 0) {
		o->runnable = false;
		return;
	}
	config_defaults(&h->cfg);
	if (h->inj.hard_limits)
		safety_limits_hard(&h->cfg.limits);
	struct fw_config fwc;
	fw_config_reference(&fwc, "TP-SAFETY-01");
	pad_init(&h->pad, sc->pad, &fwc, sc->seed, 32.0);
	struct core_config cc;
	core_config_default(&cc);
	cc.limits = h->cfg.limits;
	core_init(&h->core, &cc);
	/* as the daemon's pad module does with GET_INFO's bounds */
	const struct fw_config *fc = &h->pad.fw.cfg;
	core_set_firmware_bounds(&h->core, &(struct safety_fw_bounds){.dose_cem43_min = fc->dose_max_cmin / 100.0,
								      .cold_below_c = fc->cold_below_cc / 100.0,
								      .cold_max_s = fc->cold_max_s});
	plug_in(h);

	uint32_t ms = 0;
	while (ms < 1000)
		tick(h, &ms, o, false);
	char err[256];
	double start = ms / 1000.0;
	double length_s = fmin(ps->fault_at_s + sc->watch_s + 120, h->core.cfg.limits.session_max_s);
	if (h->inj.host == HOST_BACK_TO_BACK)
		length_s = B2B_SESSION_S;
	/* at the widest configuration: the longest session the host admits
	 * (its caps inside the firmware's bounds), a minute shorter at a time */
	bool started;
	while (!(started = start_session(h, ps, target, length_s, start, err, sizeof err)) && h->inj.hard_limits &&
	       length_s > 120)
		length_s -= 60;
	if (!started) {
		o->runnable = false;
		snprintf(o->why, sizeof o->why, "the session did not start: %s", err);
		return;
	}
	bool reversing = strcmp(ps->name, "reversing") == 0;
	for (;;) {
		double now = ms / 1000.0;
		if (reversing ? h->core.run.step >= 1 || h->core.state != CORE_RUNNING : now >= start + ps->fault_at_s)
			break;
		if (now > start + 1200)
			break; /* a reversal that never came: judged as it is */
		tick(h, &ms, o, false);
	}
	o->fault_t = ms / 1000.0;
	struct pad_truth t;
	pad_truth(&h->pad, &t);
	exposure_mark(&o->exposure, &t);
	if (sc->faults)
		inject(h, o->fault_t);
	uint32_t end = ms + (uint32_t)lround(sc->watch_s * 1000);
	while (ms < end)
		tick(h, &ms, o, true);
	pad_truth(&h->pad, &t);
	const struct exposure *e = &o->exposure;
	o->zero_s = t.module_drive != 0.0 ? INFINITY : fmax(0.0, e->last_drive_s - o->fault_t);
	o->fw_s = e->fw_fault_s >= 0 ? e->fw_fault_s - o->fault_t : -1;
	o->fuse_s = e->fuse_s >= 0 ? e->fuse_s - o->fault_t : -1;
	o->fw_bits = e->fw_faults;
	if (h->inj.host == HOST_BACK_TO_BACK) {
		/* the host's caps must end every one of them, never the firmware's */
		if (o->fw_bits & (TP_FAULT_HEAT_DOSE | TP_FAULT_COLD_EXPOSURE))
			snprintf(o->note, sizeof o->note, "the firmware's own exposure bound latched (0x%x) after %d sessions "
				 "back to back", o->fw_bits, h->sessions + 1);
		else if (h->sessions < 2 || !h->refusals)
			snprintf(o->note, sizeof o->note, "%d sessions back to back and %d refusals: the ledger was not "
				 "reached", h->sessions + 1, h->refusals);
	}

	/* the cause goes; a latch must hold the drive at zero for 10 s */
	remove_faults(h);
	o->latch_held = true;
	for (uint32_t stop = ms + 10000; ms < stop;) {
		tick(h, &ms, o, true);
		pad_truth(&h->pad, &t);
		if (t.module_drive != 0.0 || (!h->core.safety.latched && !t.fw_faults))
			o->latch_held = false;
	}
	/* then what clearing needs, and the pad must come back clean */
	o->cleared = true;
	if (strcmp(sc->clear, "-") == 0)
		return;
	if (strcmp(sc->clear, "replug") == 0) {
		pad_set_powered(&h->pad, false);
		for (uint32_t stop = ms + 1000; ms < stop;)
			tick(h, &ms, o, false);
		core_external_fault(&h->core, ms / 1000.0, "disconnected", "the pad was unplugged", NULL);
		pad_set_powered(&h->pad, true);
		plug_in(h);
	}
	clear_firmware(h);
	for (uint32_t stop = ms + 500; ms < stop;)
		tick(h, &ms, o, false);
	if (core_clear_faults(&h->core, ms / 1000.0, err, sizeof err) != 0) {
		o->cleared = false;
		snprintf(o->clear_why, sizeof o->clear_why, "%s", err);
	}
	for (uint32_t stop = ms + 3000; ms < stop;)
		tick(h, &ms, o, false);
	pad_truth(&h->pad, &t);
	if (o->cleared && (h->core.safety.latched || t.fw_faults)) {
		o->cleared = false;
		snprintf(o->clear_why, sizeof o->clear_why, "still latched after clearing: %s",
			 h->core.safety.latched ? h->core.safety.message : "firmware fault bits");
	}
}
