/* SPDX-License-Identifier: MIT */
/*
 * tpstream: a small asynchronous libusb client of the pad, for the demo,
 * the simulator's tests and its bench. It finds the pad (hot-plug too),
 * reads GET_INFO, keeps one telemetry transfer always queued, answers each
 * report with a SET_OUTPUT heartbeat, and prints what it sees.
 *
 * It can also be the host the firmware must survive: one that keeps
 * driving while faulted, answers every fault with CLEAR_FAULTS, replays an
 * old sequence number, sends garbage frames, or tries to widen limits it
 * narrowed; and it can follow the simulator's truth while it does, to judge
 * the firmware on what the skin gets.
 */
#include <errno.h>
#include <getopt.h>
#include <libusb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ctl_client.h"
#include "thermopad_proto.h"

#define IN_FLIGHT 2 /* telemetry transfers queued: one is always waiting */
#define MAX_AT 8

struct stream {
	libusb_context *ctx;
	libusb_device_handle *dev;
	struct libusb_transfer *telemetry[IN_FLIGHT];
	uint8_t buf[IN_FLIGHT][64];
	int live; /* transfers submitted and not yet back */
	bool arrived, left, stop;
	/* simulator commands at given model times, and on a departure */
	struct {
		double at_s;
		const char *cmd;
		bool done;
	} at[MAX_AT];
	int nat;
	const char *on_departure;
	/* options */
	long frames_max;
	double drive, seconds_max, heartbeat_for_s, widen, narrow_c, truth_every_s;
	long watchdog_ms;
	bool quiet, info_only, until_fault;
	bool clear_spam, keep_driving, replay, garbage, ack_boot;
	struct tp_info info;
	/* what was seen */
	long frames, gaps, rejected, arrivals, departures;
	bool have_seq;
	uint16_t last_seq;
	uint16_t cmd_seq;
	double first_time_s, last_time_s;
	uint32_t faults_seen;
	uint8_t flags_seen, last_flags;
	double fault_time_s, last_heartbeat_s;
	long stalls, clears, boots_acked;
	/* the simulator's truth, followed */
	double next_truth_s, truth_max_c, truth_min_c, above_43_5_s, below_15_s, below_8_s, truth_current_max_a;
	bool have_truth;
	double truth_last_s;
};

static double now_s(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void out_done(struct libusb_transfer *t)
{
	struct stream *s = t->user_data;
	if (t->status == LIBUSB_TRANSFER_STALL)
		s->stalls++;
	free(t->buffer);
	libusb_free_transfer(t);
}

/* An OUT request, asynchronously: a control transfer never blocks the loop. */
static void send_out(struct stream *s, uint8_t request, const uint8_t *frame, size_t len)
{
	uint8_t *buf = calloc(1, LIBUSB_CONTROL_SETUP_SIZE + len);
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	if (!buf || !t) {
		free(buf);
		libusb_free_transfer(t);
		return;
	}
	libusb_fill_control_setup(buf, TP_REQTYPE_OUT, request, 0, TP_USB_INTERFACE, (uint16_t)len);
	memcpy(buf + LIBUSB_CONTROL_SETUP_SIZE, frame, len);
	libusb_fill_control_transfer(t, s->dev, buf, out_done, s, 1000);
	if (libusb_submit_transfer(t) != 0)
		out_done(t);
}

static void send_output(struct stream *s, int16_t drive)
{
	/* a replaying host sends the same old sequence number every time */
	struct tp_set_output cmd = {.seq = s->replay ? 1 : ++s->cmd_seq, .drive = drive};
	uint8_t f[TP_SET_OUTPUT_LEN];
	proto_encode_set_output(&cmd, f, sizeof f);
	send_out(s, TP_REQ_SET_OUTPUT, f, sizeof f);
}

static void send_clear(struct stream *s, uint32_t mask)
{
	struct tp_clear_faults c = {mask};
	uint8_t f[TP_CLEAR_FAULTS_LEN];
	proto_encode_clear_faults(&c, f, sizeof f);
	send_out(s, TP_REQ_CLEAR_FAULTS, f, sizeof f);
	s->clears++;
}

/* Frames no codec would make: each OUT request with a wrong version, a
 * wrong length field, a truncated frame, and bytes from nowhere. */
static void send_garbage(struct stream *s)
{
	static const uint8_t reqs[] = {TP_REQ_SET_OUTPUT, TP_REQ_SET_LIMITS, TP_REQ_CLEAR_FAULTS, TP_REQ_SET_WATCHDOG};
	for (size_t i = 0; i < sizeof reqs; i++) {
		uint8_t f[12] = {TP_PROTO_VERSION, reqs[i], 12, 0, 0xff, 0x7f, 0xff, 0x7f, 0, 0, 0, 0};
		f[(s->frames + i) % 3 == 0 ? 0 : 2] ^= 0x5a; /* a wrong version or length field */
		send_out(s, reqs[i], f, (s->frames % 2) ? sizeof f : 5);
	}
}

static void send_limits(struct stream *s, struct tp_limits l)
{
	struct tp_set_limits cmd = {l};
	uint8_t f[TP_SET_LIMITS_LEN];
	proto_encode_set_limits(&cmd, f, sizeof f);
	send_out(s, TP_REQ_SET_LIMITS, f, sizeof f);
}

static double truth_field(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	return p ? atof(p + strlen(key)) : NAN;
}

/* The model's truth, for the summary: what the skin got. */
static void follow_truth(struct stream *s, double time_s)
{
	char reply[1024];
	const char *path = getenv("TP_SIM_CONTROL");
	if (!path || simctl_client(path, "truth", reply, sizeof reply) != 0)
		return;
	double plate = truth_field(reply, " plate_c="), current = fabs(truth_field(reply, " current_a="));
	double t = truth_field(reply, " time_s=");
	if (!isfinite(plate) || !isfinite(t))
		return;
	double dt = s->have_truth ? t - s->truth_last_s : 0;
	if (!s->have_truth) {
		s->truth_max_c = s->truth_min_c = plate;
		s->have_truth = true;
	}
	s->truth_last_s = t;
	s->truth_max_c = fmax(s->truth_max_c, plate);
	s->truth_min_c = fmin(s->truth_min_c, plate);
	s->above_43_5_s += plate > 43.5 ? dt : 0;
	s->below_15_s += plate < 15.0 ? dt : 0;
	s->below_8_s += plate < 8.0 ? dt : 0;
	s->truth_current_max_a = fmax(s->truth_current_max_a, isfinite(current) ? current : 0);
	(void)time_s;
}

static void sim_command(const char *cmd)
{
	char reply[1024];
	const char *path = getenv("TP_SIM_CONTROL");
	int rc = path ? simctl_client(path, cmd, reply, sizeof reply) : -1;
	printf("sim %s: %s", cmd, path ? reply : "error: no TP_SIM_CONTROL\n");
	(void)rc;
}

static void on_report(struct stream *s, const uint8_t *data, int len)
{
	struct tp_telemetry t;
	enum proto_err e = proto_decode_telemetry(data, (size_t)len, &t);
	if (e != PROTO_OK) {
		s->rejected++;
		printf("rejected frame: %s (%d bytes)\n", proto_strerror(e), len);
		return;
	}
	double time_s = t.device_time_ms / 1000.0;
	if (s->have_seq && proto_seq_gap(s->last_seq, t.seq)) {
		s->gaps += proto_seq_gap(s->last_seq, t.seq);
		printf("gap: %u report(s) lost before seq %u\n", proto_seq_gap(s->last_seq, t.seq), t.seq);
	}
	if (!s->have_seq)
		s->first_time_s = time_s;
	s->have_seq = true;
	s->last_seq = t.seq;
	s->last_time_s = time_s;
	s->frames++;
	/* every kind of fault when it first shows: a watchdog fault of a host
	 * a busy machine made late must not hide the fault a test looks for */
	uint32_t fresh = t.faults & ~s->faults_seen;
	if (fresh) {
		if (!s->faults_seen)
			s->fault_time_s = time_s;
		char names[160];
		proto_faults_describe(fresh, names, sizeof names);
		printf("fault at %.1f s: %s (last heartbeat %.1f s)\n", time_s, names, s->last_heartbeat_s);
	}
	s->faults_seen |= t.faults;
	if ((t.flags & TP_FLAG_BOOT) && !(s->last_flags & TP_FLAG_BOOT))
		printf("boot seen at %.1f s\n", time_s);
	s->flags_seen |= t.flags;
	s->last_flags = t.flags;
	if (s->truth_every_s > 0 && time_s - s->first_time_s >= s->next_truth_s) {
		follow_truth(s, time_s);
		s->next_truth_s += s->truth_every_s;
	}
	/* a good host, after a reset: its limits and watchdog again, then the
	 * acknowledgement */
	if (s->ack_boot && (t.flags & TP_FLAG_BOOT)) {
		if (s->narrow_c) {
			struct tp_limits l = s->info.hard_limits;
			l.plate_max_cc = (int16_t)lround(s->narrow_c * 100);
			send_limits(s, l);
		}
		send_clear(s, 0);
		s->boots_acked++;
	}
	if (s->clear_spam && t.faults)
		send_clear(s, 0xffffffffu);
	if (s->garbage)
		send_garbage(s);
	for (int i = 0; i < s->nat; i++)
		if (!s->at[i].done && time_s - s->first_time_s >= s->at[i].at_s) {
			s->at[i].done = true;
			sim_command(s->at[i].cmd);
		}
	if (!s->quiet)
		printf("seq=%u t=%.1f plate_a=%.2f plate_b=%.2f sink=%.2f current=%.2f drive=%d state=%s faults=0x%x "
		       "flags=0x%x\n",
		       t.seq, time_s, t.plate_a_cc / 100.0, t.plate_b_cc / 100.0, t.sink_cc / 100.0,
		       t.current_ma / 1000.0, t.drive_applied, proto_state_name(t.state), t.faults, t.flags);
	bool heartbeat = s->heartbeat_for_s < 0 || time_s - s->first_time_s < s->heartbeat_for_s;
	if (heartbeat && (!t.faults || s->keep_driving)) {
		send_output(s, (int16_t)lround(s->drive * TP_DRIVE_FULL));
		s->last_heartbeat_s = time_s;
	}
	if ((s->frames_max > 0 && s->frames >= s->frames_max) ||
	    (s->seconds_max > 0 && time_s - s->first_time_s >= s->seconds_max) || (s->until_fault && t.faults))
		s->stop = true;
}

static void on_telemetry(struct libusb_transfer *t)
{
	struct stream *s = t->user_data;
	s->live--;
	if (t->status == LIBUSB_TRANSFER_COMPLETED)
		on_report(s, t->buffer, t->actual_length);
	else if (t->status == LIBUSB_TRANSFER_NO_DEVICE || t->status == LIBUSB_TRANSFER_CANCELLED)
		return;
	if (!s->stop && s->dev && libusb_submit_transfer(t) == 0)
		s->live++;
}

static int hotplug(libusb_context *ctx, libusb_device *d, libusb_hotplug_event ev, void *user)
{
	struct stream *s = user;
	(void)ctx;
	(void)d;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
		s->arrived = true;
		s->arrivals++;
		printf("pad arrived\n");
	} else {
		s->left = true;
		s->departures++;
		printf("pad left\n");
	}
	return 0;
}

static int open_pad(struct stream *s)
{
	s->dev = libusb_open_device_with_vid_pid(s->ctx, TP_USB_VID, TP_USB_PID);
	if (!s->dev || libusb_claim_interface(s->dev, TP_USB_INTERFACE) != 0) {
		fprintf(stderr, "tpstream: cannot open the pad\n");
		return -1;
	}
	uint8_t buf[TP_FRAME_MAX_LEN];
	int n = libusb_control_transfer(s->dev, TP_REQTYPE_IN, TP_REQ_GET_INFO, 0, TP_USB_INTERFACE, buf, sizeof buf,
					1000);
	struct tp_info info;
	enum proto_err e = n < 0 ? PROTO_ERR_SHORT : proto_decode_info(buf, (size_t)n, &info);
	if (e != PROTO_OK) {
		fprintf(stderr, "tpstream: GET_INFO: %s\n", n < 0 ? libusb_error_name(n) : proto_strerror(e));
		return -1;
	}
	unsigned char serial[64] = "";
	struct libusb_device_descriptor dd;
	libusb_get_device_descriptor(libusb_get_device(s->dev), &dd);
	libusb_get_string_descriptor_ascii(s->dev, dd.iSerialNumber, serial, sizeof serial);
	printf("pad serial=%s descriptor_serial=%s fw=%u.%u.%u simulated=%d sensors=%u plate_max=%.2f "
	       "plate_min=%.2f sink_max=%.2f watchdog_ms=%u rest_ms=%u period_ms=%u\n",
	       info.serial, serial, info.fw_major, info.fw_minor, info.fw_patch,
	       !!(info.capabilities & TP_CAP_SIMULATED), info.sensor_count, info.hard_limits.plate_max_cc / 100.0,
	       info.hard_limits.plate_min_cc / 100.0, info.hard_limits.sink_max_cc / 100.0,
	       info.watchdog_default_ms, info.polarity_rest_ms, info.telemetry_period_ms);
	s->info = info;
	if (s->watchdog_ms) {
		/* at a time scale the host's jitter is multiplied: a longer watchdog
		 * keeps a loaded machine from tripping it */
		struct tp_set_watchdog w = {.timeout_ms = (uint16_t)s->watchdog_ms};
		uint8_t f[TP_SET_WATCHDOG_LEN];
		proto_encode_set_watchdog(&w, f, sizeof f);
		int rc = libusb_control_transfer(s->dev, TP_REQTYPE_OUT, TP_REQ_SET_WATCHDOG, 0, TP_USB_INTERFACE, f,
						 sizeof f, 1000);
		printf("set-watchdog %ld ms: %s\n", s->watchdog_ms, rc < 0 ? libusb_error_name(rc) : "accepted");
	}
	struct tp_limits in_force = info.hard_limits;
	if (s->narrow_c) {
		struct tp_set_limits l = {info.hard_limits};
		l.limits.plate_max_cc = (int16_t)lround(s->narrow_c * 100);
		uint8_t f[TP_SET_LIMITS_LEN];
		proto_encode_set_limits(&l, f, sizeof f);
		int rc = libusb_control_transfer(s->dev, TP_REQTYPE_OUT, TP_REQ_SET_LIMITS, 0, TP_USB_INTERFACE, f,
						 sizeof f, 1000);
		printf("set-limits plate_max=%.2f: %s\n", l.limits.plate_max_cc / 100.0,
		       rc < 0 ? libusb_error_name(rc) : "accepted");
		if (rc >= 0)
			in_force = l.limits;
	}
	if (s->widen) {
		/* widening from what is in force, not from the hard limits */
		struct tp_set_limits l = {in_force};
		l.limits.plate_max_cc = (int16_t)(l.limits.plate_max_cc + lround(s->widen * 100));
		uint8_t f[TP_SET_LIMITS_LEN];
		proto_encode_set_limits(&l, f, sizeof f);
		int rc = libusb_control_transfer(s->dev, TP_REQTYPE_OUT, TP_REQ_SET_LIMITS, 0, TP_USB_INTERFACE, f,
						 sizeof f, 1000);
		printf("set-limits plate_max=%.2f: %s\n", l.limits.plate_max_cc / 100.0,
		       rc < 0 ? libusb_error_name(rc) : "accepted");
	}
	if (s->info_only)
		return 0;
	s->have_seq = false;
	for (int i = 0; i < IN_FLIGHT; i++) {
		if (!s->telemetry[i])
			s->telemetry[i] = libusb_alloc_transfer(0);
		libusb_fill_interrupt_transfer(s->telemetry[i], s->dev, TP_EP_TELEMETRY, s->buf[i], sizeof s->buf[i],
					       on_telemetry, s, 0);
		if (libusb_submit_transfer(s->telemetry[i]) != 0)
			return -1;
		s->live++;
	}
	return 0;
}

static void close_pad(struct stream *s)
{
	if (!s->dev)
		return;
	for (int i = 0; i < IN_FLIGHT && s->live; i++)
		libusb_cancel_transfer(s->telemetry[i]);
	while (s->live > 0)
		if (libusb_handle_events(s->ctx) != 0)
			break;
	libusb_release_interface(s->dev, TP_USB_INTERFACE);
	libusb_close(s->dev);
	s->dev = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"frames", required_argument, 0, 'n'},    {"seconds", required_argument, 0, 's'},
		{"drive", required_argument, 0, 'd'},     {"heartbeat-for", required_argument, 0, 'H'},
		{"until-fault", no_argument, 0, 'F'},     {"quiet", no_argument, 0, 'q'},
		{"info", no_argument, 0, 'i'},            {"try-widen", required_argument, 0, 'W'},
		{"wait-departures", required_argument, 0, 'D'}, {"at", required_argument, 0, 'a'},
		{"on-departure", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
		{"narrow", required_argument, 0, 'N'},    {"truth-every", required_argument, 0, 'T'},
		{"clear-spam", no_argument, 0, 'C'},      {"keep-driving", no_argument, 0, 'K'},
		{"replay", no_argument, 0, 'R'},          {"garbage", no_argument, 0, 'G'},
		{"ack-boot", no_argument, 0, 'B'},        {"watchdog", required_argument, 0, 'w'},
		{0, 0, 0, 0},
	};
	struct stream s = {.heartbeat_for_s = -1};
	setvbuf(stdout, NULL, _IOLBF, 0); /* tests read it while it runs */
	long want_departures = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': s.frames_max = atol(optarg); break;
		case 's': s.seconds_max = atof(optarg); break;
		case 'd': s.drive = atof(optarg); break;
		case 'H': s.heartbeat_for_s = atof(optarg); break;
		case 'F': s.until_fault = true; break;
		case 'q': s.quiet = true; break;
		case 'i': s.info_only = true; break;
		case 'W': s.widen = atof(optarg); break;
		case 'D': want_departures = atol(optarg); break;
		case 'a': {
			char *colon = strchr(optarg, ':');
			if (!colon || s.nat >= MAX_AT) {
				fprintf(stderr, "tpstream: --at SECONDS:COMMAND (at most %d)\n", MAX_AT);
				return 2;
			}
			*colon = '\0';
			s.at[s.nat].at_s = atof(optarg);
			s.at[s.nat++].cmd = colon + 1;
			break;
		}
		case 'o': s.on_departure = optarg; break;
		case 'N': s.narrow_c = atof(optarg); break;
		case 'T': s.truth_every_s = atof(optarg); break;
		case 'C': s.clear_spam = true; break;
		case 'K': s.keep_driving = true; break;
		case 'R': s.replay = true; break;
		case 'G': s.garbage = true; break;
		case 'B': s.ack_boot = true; break;
		case 'w': s.watchdog_ms = atol(optarg); break;
		default:
			printf("usage: tpstream [--frames N] [--seconds S] [--drive -1..1] [--heartbeat-for S]\n"
			       "                [--until-fault] [--quiet] [--info] [--try-widen C] [--wait-departures N]\n"
			       "                [--at SECONDS:SIM-COMMAND]... [--on-departure SIM-COMMAND]\n"
			       "                [--narrow PLATE_MAX_C] [--truth-every S] [--ack-boot] [--watchdog MS]\n"
			       "  a host that misbehaves: [--keep-driving] [--clear-spam] [--replay] [--garbage]\n"
			       "SIM-COMMANDs go to the simulator's control socket ($TP_SIM_CONTROL).\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (fabs(s.drive) > 1.0) {
		fprintf(stderr, "tpstream: --drive must be within -1..1\n");
		return 2;
	}
	if (libusb_init(&s.ctx) != 0)
		return 1;
	libusb_hotplug_callback_handle hp;
	libusb_hotplug_register_callback(s.ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
					 0, TP_USB_VID, TP_USB_PID, LIBUSB_HOTPLUG_MATCH_ANY, hotplug, &s, &hp);
	double wall0 = now_s(CLOCK_MONOTONIC), cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	int rc = 0;
	if (open_pad(&s) != 0) {
		rc = 1;
		goto out;
	}
	if (s.info_only)
		goto out;
	/* After a replug the pad is opened afresh; the loop ends on the
	 * stopping condition, or when the wanted departures were seen. */
	while (!s.stop) {
		if (libusb_handle_events(s.ctx) != 0)
			break;
		if (s.left) {
			s.left = false;
			close_pad(&s);
			if (s.on_departure)
				sim_command(s.on_departure);
			if (want_departures && s.departures >= want_departures && !s.frames_max && !s.seconds_max)
				break;
		}
		if (s.arrived && !s.dev) {
			s.arrived = false;
			if (open_pad(&s) != 0) {
				rc = 1;
				break;
			}
		}
		s.arrived = false;
	}
	close_pad(&s);
out:;
	double wall = now_s(CLOCK_MONOTONIC) - wall0, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	printf("summary frames=%ld gaps=%ld rejected=%ld arrivals=%ld departures=%ld faults=0x%x fault_time=%.1f "
	       "last_heartbeat=%.1f model_s=%.1f wall_s=%.2f cpu_s=%.3f flags=0x%x stalls=%ld clears=%ld "
	       "boots_acked=%ld\n",
	       s.frames, s.gaps, s.rejected, s.arrivals, s.departures, s.faults_seen, s.fault_time_s,
	       s.last_heartbeat_s, s.last_time_s - s.first_time_s, wall, cpu, s.flags_seen, s.stalls, s.clears,
	       s.boots_acked);
	if (s.have_truth)
		printf("truth plate_max_c=%.2f plate_min_c=%.2f above_43_5_s=%.1f below_15_s=%.1f below_8_s=%.1f "
		       "current_max_a=%.2f\n",
		       s.truth_max_c, s.truth_min_c, s.above_43_5_s, s.below_15_s, s.below_8_s, s.truth_current_max_a);
	libusb_hotplug_deregister_callback(s.ctx, hp);
	for (int i = 0; i < IN_FLIGHT; i++)
		libusb_free_transfer(s.telemetry[i]);
	libusb_exit(s.ctx);
	return rc;
}
