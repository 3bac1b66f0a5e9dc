/* SPDX-License-Identifier: MIT */
/*
 * tpstream: a small asynchronous libusb client of the pad, for the demo,
 * the simulator's tests and its bench. It finds the pad (hot-plug too),
 * reads GET_INFO, keeps one telemetry transfer always queued, answers each
 * report with a SET_OUTPUT heartbeat, and prints what it sees.
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
	double drive, seconds_max, heartbeat_for_s, widen;
	bool quiet, info_only, until_fault;
	/* what was seen */
	long frames, gaps, rejected, arrivals, departures;
	bool have_seq;
	uint16_t last_seq;
	uint16_t cmd_seq;
	double first_time_s, last_time_s;
	uint32_t faults_seen;
	double fault_time_s, last_heartbeat_s;
};

static double now_s(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void heartbeat_done(struct libusb_transfer *t)
{
	free(t->buffer);
	libusb_free_transfer(t);
}

/* SET_OUTPUT, asynchronously: a control transfer never blocks the loop. */
static void send_output(struct stream *s, int16_t drive)
{
	struct tp_set_output cmd = {.seq = ++s->cmd_seq, .drive = drive};
	uint8_t *buf = calloc(1, LIBUSB_CONTROL_SETUP_SIZE + TP_SET_OUTPUT_LEN);
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	if (!buf || !t) {
		free(buf);
		libusb_free_transfer(t);
		return;
	}
	libusb_fill_control_setup(buf, TP_REQTYPE_OUT, TP_REQ_SET_OUTPUT, 0, TP_USB_INTERFACE, TP_SET_OUTPUT_LEN);
	proto_encode_set_output(&cmd, buf + LIBUSB_CONTROL_SETUP_SIZE, TP_SET_OUTPUT_LEN);
	libusb_fill_control_transfer(t, s->dev, buf, heartbeat_done, s, 1000);
	if (libusb_submit_transfer(t) != 0)
		heartbeat_done(t);
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
	if (t.faults && !s->faults_seen) {
		s->fault_time_s = time_s;
		char names[160];
		proto_faults_describe(t.faults, names, sizeof names);
		printf("fault at %.1f s: %s (last heartbeat %.1f s)\n", time_s, names, s->last_heartbeat_s);
	}
	s->faults_seen |= t.faults;
	for (int i = 0; i < s->nat; i++)
		if (!s->at[i].done && time_s - s->first_time_s >= s->at[i].at_s) {
			s->at[i].done = true;
			sim_command(s->at[i].cmd);
		}
	if (!s->quiet)
		printf("seq=%u t=%.1f plate_a=%.2f plate_b=%.2f sink=%.2f current=%.2f drive=%d state=%s faults=0x%x\n",
		       t.seq, time_s, t.plate_a_cc / 100.0, t.plate_b_cc / 100.0, t.sink_cc / 100.0,
		       t.current_ma / 1000.0, t.drive_applied, proto_state_name(t.state), t.faults);
	bool heartbeat = s->heartbeat_for_s < 0 || time_s - s->first_time_s < s->heartbeat_for_s;
	if (heartbeat && !t.faults) {
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
	if (s->widen) {
		struct tp_set_limits l = {info.hard_limits};
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
		default:
			printf("usage: tpstream [--frames N] [--seconds S] [--drive -1..1] [--heartbeat-for S]\n"
			       "                [--until-fault] [--quiet] [--info] [--try-widen C] [--wait-departures N]\n"
			       "                [--at SECONDS:SIM-COMMAND]... [--on-departure SIM-COMMAND]\n"
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
	       "last_heartbeat=%.1f model_s=%.1f wall_s=%.2f cpu_s=%.3f\n",
	       s.frames, s.gaps, s.rejected, s.arrivals, s.departures, s.faults_seen, s.fault_time_s,
	       s.last_heartbeat_s, s.last_time_s - s.first_time_s, wall, cpu);
	libusb_hotplug_deregister_callback(s.ctx, hp);
	for (int i = 0; i < IN_FLIGHT; i++)
		libusb_free_transfer(s.telemetry[i]);
	libusb_exit(s.ctx);
	return rc;
}
