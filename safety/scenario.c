/* SPDX-License-Identifier: MIT */
/*
 * The host side here is thermopadd's own pad module (daemon/pad): limits
 * and watchdog at plug-in, the boot acknowledged, a sample per telemetry
 * report into the core and its drive back, the tick when reports are late,
 * the zero acknowledgement, clearing as a person asks for it. This file is
 * only its link (the requests go straight to the simulated pad's control
 * endpoint) and its clock. A misbehaving host (host:...) and a faulty link
 * (usb:...) replace that part; everything else is injected into the pad
 * through the simulator's own grammar.
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
#include "pad/pad.h"

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
	struct pad pad; /* the simulated pad: firmware core and model */
	struct pad_table table; /* the daemon's side of it */
	struct pad_slot *slot;
	struct config cfg;
	uint8_t last_frame[TP_FRAME_MAX_LEN];
	size_t last_len;
	struct injection inj;
	bool faulty; /* the injection is in force */
	double stall_until;
	double next_slow_t, hung_until;
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

/* ---- the link: the daemon's requests straight to the pad's endpoint */

static int send_out(struct host *h, uint8_t request, const uint8_t *buf, size_t len)
{
	if (!len)
		return -1;
	return pad_control_out(&h->pad, request, buf, len) < 0 ? -1 : 0;
}

static int link_send_drive(void *link, const struct tp_set_output *cmd)
{
	uint8_t buf[TP_SET_OUTPUT_LEN];
	return send_out(link, TP_REQ_SET_OUTPUT, buf, proto_encode_set_output(cmd, buf, sizeof buf));
}

static int link_clear_faults(void *link)
{
	struct tp_clear_faults cmd = {.mask = 0xffffffffu};
	uint8_t buf[TP_CLEAR_FAULTS_LEN];
	return send_out(link, TP_REQ_CLEAR_FAULTS, buf, proto_encode_clear_faults(&cmd, buf, sizeof buf));
}

static int link_set_limits(void *link, const struct tp_set_limits *lim)
{
	uint8_t buf[TP_FRAME_MAX_LEN];
	return proto_encode_set_limits(lim, buf, sizeof buf) ? send_out(link, TP_REQ_SET_LIMITS, buf, TP_SET_LIMITS_LEN)
							      : -1;
}

static int link_set_watchdog(void *link, const struct tp_set_watchdog *wd)
{
	uint8_t buf[TP_FRAME_MAX_LEN];
	return proto_encode_set_watchdog(wd, buf, sizeof buf)
		       ? send_out(link, TP_REQ_SET_WATCHDOG, buf, TP_SET_WATCHDOG_LEN)
		       : -1;
}

/* the limits and watchdog again, then a CLEAR_FAULTS of no bit, as the
 * daemon's USB edge answers a boot */
static int link_ack_boot(void *link, const struct tp_set_limits *lim, const struct tp_set_watchdog *wd)
{
	struct tp_clear_faults ack = {.mask = 0};
	uint8_t buf[TP_CLEAR_FAULTS_LEN];
	if (link_set_limits(link, lim) != 0 || link_set_watchdog(link, wd) != 0)
		return -1;
	return send_out(link, TP_REQ_CLEAR_FAULTS, buf, proto_encode_clear_faults(&ack, buf, sizeof buf));
}

static const struct pad_link_ops link_ops = {
	.send_drive = link_send_drive,
	.send_drive_now = link_send_drive,
	.clear_faults = link_clear_faults,
	.set_limits = link_set_limits,
	.set_watchdog = link_set_watchdog,
	.ack_boot = link_ack_boot,
};

/* A host gone wrong drives the pad itself, past the pad module. */
static void send_raw_drive(struct host *h, double drive)
{
	struct tp_set_output cmd = {.seq = ++h->slot->cmd_seq, .drive = (int16_t)lround(drive * TP_DRIVE_FULL)};
	link_send_drive(h, &cmd);
}

/* The pad answers GET_INFO and the daemon's pad module takes it on. */
static int plug_in(struct host *h, double now, char *err, size_t errlen)
{
	uint8_t buf[TP_FRAME_MAX_LEN];
	int n = pad_control_in(&h->pad, TP_REQ_GET_INFO, buf, sizeof buf);
	struct tp_info info;
	if (n <= 0 || proto_decode_info(buf, (size_t)n, &info) != PROTO_OK) {
		snprintf(err, errlen, "the pad did not answer GET_INFO");
		return -1;
	}
	h->slot = pad_attach(&h->table, h, &info, NULL, NULL, now, err, errlen);
	return h->slot ? 0 : -1;
}

static struct core *core_of(struct host *h)
{
	return &h->slot->core;
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
		send_raw_drive(h, mode == HOST_HEAT_FOREVER ? 1.0 : -1.0);
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
	if (n) {
		enum proto_err e = proto_decode_telemetry(frame, n, &tel);
		if (e == PROTO_OK)
			pad_on_frame(h->slot, &tel, now);
		else
			pad_frame_refused(h->slot, e, (int)n);
	}
	pad_tick(&h->table, now); /* the stale checks, as the daemon's timer runs them */
}

static void inject(struct host *h, double now)
{
	for (int i = 0; i < h->inj.npad; i++)
		pad_inject(&h->pad, &h->inj.pad[i]);
	h->faulty = true;
	if (h->inj.host == HOST_ESTOP) {
		/* what the daemon does when the interlock's button is pressed
		 * (the GPIO edge itself is proven in tests/gpio) */
		pad_fault(h->slot, now, "emergency-stop", "the emergency-stop button is pressed");
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
	else if (core_of(h)->safety.latched && strcmp(core_of(h)->safety.code, "dose-heat") != 0 &&
		 strcmp(core_of(h)->safety.code, "session-length") != 0)
		snprintf(o->trip, sizeof o->trip, "host %s at %.1f s", core_of(h)->safety.code, t->time_s);
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
		return pad_tune(h->slot, true, now, err, errlen) == PAD_OK;
	struct profile *prof = calloc(1, sizeof *prof); /* large: off the stack; pad_start copies the plan */
	if (!prof) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	struct plan *pl = &prof->plan;
	snprintf(pl->name, sizeof pl->name, "safety-%s", ps->name);
	pl->cycles = 1;
	pl->band_c = 0.5;
	bool cold = ps->target_c < 32;
	if (strcmp(ps->name, "reversing") == 0) {
		pl->nphases = 2;
		pl->phases[0] = (struct phase){.kind = PHASE_HEAT, .target_c = target, .duration_s = 60};
		pl->phases[1] = (struct phase){.kind = PHASE_COLD, .target_c = 12, .duration_s = 900};
		snprintf(pl->phases[0].name, sizeof pl->phases[0].name, "hot");
		snprintf(pl->phases[1].name, sizeof pl->phases[1].name, "cold");
	} else {
		pl->nphases = 1;
		bool whole = cold && h->inj.host != HOST_BACK_TO_BACK;
		pl->phases[0] = (struct phase){.kind = cold ? PHASE_COLD : PHASE_HEAT, .target_c = target,
					     .duration_s = whole ? core_of(h)->cfg.limits.cold_phase_max_s : length_s};
		snprintf(pl->phases[0].name, sizeof pl->phases[0].name, "%s", ps->name);
	}
	bool started = pad_start(h->slot, prof, pl->name, now, 0, err, errlen) == PAD_OK;
	free(prof);
	return started;
}

/* Sessions one after another, each as soon as the last has ended and the
 * host admits one: 5 min, or as much of it as the dose ledger allows (a
 * minute less at a time, 2 min at the least), else asked again a minute
 * later; a latched fault ends the series. */
#define B2B_SESSION_S 300.0

static void back_to_back(struct host *h, double now)
{
	if (!h->faulty || h->inj.host != HOST_BACK_TO_BACK || core_of(h)->state != CORE_IDLE || core_of(h)->safety.latched ||
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
		const struct safety *sf = &core_of(h)->safety;
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

/* The pad made and plugged in, the daemon's defaults in force (or the
 * widest limits, limits:hard), at model time zero. */
static int host_setup(struct host *h, const struct model_params *params, uint64_t seed, char *err, size_t errlen)
{
	config_defaults(&h->cfg);
	if (h->inj.hard_limits)
		safety_limits_hard(&h->cfg.limits);
	struct fw_config fwc;
	fw_config_reference(&fwc, "TP-SAFETY-01");
	pad_init(&h->pad, params, &fwc, seed, 32.0);
	struct pad_table_config tc = {.limits = h->cfg.limits, .watchdog_ms = h->cfg.watchdog_ms, .time_scale = 1.0};
	pad_table_init(&h->table, &tc, &link_ops);
	char why[256];
	if (plug_in(h, 0, why, sizeof why) != 0) { /* its firmware's bounds narrow the caps, as GET_INFO's do */
		snprintf(err, errlen, "the daemon's pad module refused the pad: %s", why);
		return -1;
	}
	return 0;
}

static void run(const struct scenario *sc, struct host *h, struct outcome *o);

/* ---- the host alone, for runs longer than a row */

struct scenario_host {
	struct host h;
	uint32_t ms;
};

struct scenario_host *scenario_host_new(const struct model_params *params, uint64_t seed, char *err, size_t errlen)
{
	struct scenario_host *sh = calloc(1, sizeof *sh);
	if (!sh) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (host_setup(&sh->h, params, seed, err, errlen) != 0) {
		free(sh);
		return NULL;
	}
	return sh;
}

void scenario_host_free(struct scenario_host *sh)
{
	free(sh);
}

void scenario_host_tick(struct scenario_host *sh)
{
	pad_advance(&sh->h.pad, PAD_TICK_MS);
	sh->ms += PAD_TICK_MS;
	if (sh->ms % 100 == 0)
		host_step(&sh->h, sh->ms / 1000.0);
}

double scenario_host_now(const struct scenario_host *sh)
{
	return sh->ms / 1000.0;
}

struct pad *scenario_host_pad(struct scenario_host *sh)
{
	return &sh->h.pad;
}

struct pad_slot *scenario_host_slot(struct scenario_host *sh)
{
	return sh->h.slot;
}

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
	o->fw_s = o->host_s = o->fuse_s = o->watchdog_s = -1;
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
	char err[256];
	if (host_setup(h, sc->pad, sc->seed, err, sizeof err) != 0) {
		o->runnable = false;
		snprintf(o->why, sizeof o->why, "%s", err);
		return;
	}

	uint32_t ms = 0;
	while (ms < 1000)
		tick(h, &ms, o, false);
	double start = ms / 1000.0;
	double length_s = fmin(ps->fault_at_s + sc->watch_s + 120, core_of(h)->cfg.limits.session_max_s);
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
		if (reversing ? core_of(h)->run.step >= 1 || core_of(h)->state != CORE_RUNNING : now >= start + ps->fault_at_s)
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
	o->watchdog_s = e->watchdog_s >= 0 ? e->watchdog_s - o->fault_t : -1;
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
		if (t.module_drive != 0.0 || (!core_of(h)->safety.latched && !t.fw_faults))
			o->latch_held = false;
	}
	/* then what clearing needs, and the pad must come back clean */
	o->cleared = true;
	if (strcmp(sc->clear, "-") == 0)
		return;
	if (strcmp(sc->clear, "replug") == 0) {
		pad_set_powered(&h->pad, false);
		pad_detach(h->slot, ms / 1000.0); /* the daemon sees it leave the bus */
		for (uint32_t stop = ms + 1000; ms < stop;)
			tick(h, &ms, o, false);
		pad_set_powered(&h->pad, true);
		if (plug_in(h, ms / 1000.0, err, sizeof err) != 0) {
			o->cleared = false;
			snprintf(o->clear_why, sizeof o->clear_why, "replugged, the pad was refused: %s", err);
			return;
		}
		for (uint32_t stop = ms + 1000; ms < stop;)
			tick(h, &ms, o, false);
	}
	/* a person asks once, as `thermopad clear-faults` does; the pad's next
	 * reports decide (up to 10 s, as the end-to-end rows wait) */
	if (pad_clear_faults(h->slot, ms / 1000.0, err, sizeof err) == PAD_REFUSED) {
		o->cleared = false;
		snprintf(o->clear_why, sizeof o->clear_why, "%s", err);
	}
	for (uint32_t stop = ms + 10000; ms < stop;) {
		tick(h, &ms, o, false);
		pad_truth(&h->pad, &t);
		if (ms % 100 == 0 && !core_of(h)->safety.latched && !t.fw_faults)
			break;
	}
	for (uint32_t stop = ms + 3000; ms < stop;)
		tick(h, &ms, o, false);
	pad_truth(&h->pad, &t);
	if (o->cleared && (core_of(h)->safety.latched || t.fw_faults)) {
		o->cleared = false;
		snprintf(o->clear_why, sizeof o->clear_why, "still latched after clearing: %s",
			 core_of(h)->safety.latched ? core_of(h)->safety.message : "firmware fault bits");
	}
}
