/* SPDX-License-Identifier: MIT */
/*
 * The testbed, the pads on it, and model time. One mutex guards every pad
 * and every URB queue: the physics thread and umockdev's ioctl thread both
 * take it, so the firmware never sees two callers at once.
 */
#include "simusb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "usb_descriptors.h"
#include "usbfs.h"

struct sim_pad {
	struct pad pad;
	struct exposure exposure; /* what the skin got since the last mark */
	char serial[TP_SERIAL_LEN + 1];
	struct usbfs_dev *dev; /* NULL while unplugged */
	int port; /* 1-based port on the root hub */
	bool given_up; /* waited host_wait_s for a host that has since submitted */
	unsigned long given_up_submitted; /* nothing more than this */
};

struct simusb {
	UMockdevTestbed *tb;
	char *root;
	pthread_mutex_t lock;
	pthread_t thread;
	bool thread_started, stopping;
	double time_scale;
	uint32_t model_ms;
	struct timespec start;
	/* the clock waiting for a late host (physics()): wall seconds model
	 * time has stood still, since when it stands (-1: it runs) */
	double host_wait_s, stood_s, wait_since, stood_total_s;
	unsigned waits, given_up;
	/* held by a test for an injection of its own (a signal to the host):
	 * no model time passes between its mark and its fault */
	bool held;
	uint64_t *clock_map; /* model_ms, published */
	char clock_path[4096];
	int next_devnum;
	int npads;
	struct sim_pad pads[SIMUSB_MAX_PADS];
	/* unplugged instances: freed at stop, since clients may hold them */
	struct usbfs_dev *graveyard[64];
	int graveyard_n;
};

void simusb_opts_default(struct simusb_opts *o)
{
	memset(o, 0, sizeof *o);
	model_params_reference(&o->model);
	o->time_scale = 1.0;
	o->pads = 1;
	o->start_plate_c = 32.0;
	o->seed = 1;
}

static double wall_s(const struct simusb *s)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - s->start.tv_sec) + (now.tv_nsec - s->start.tv_nsec) / 1e9;
}

static void hexify(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* A device record as umockdev reads it: the N: line makes the /dev node,
 * sysfs attributes end in a newline as the kernel's do. */
static char *device_record(const struct sim_pad *sp, const struct usbfs_dev *d)
{
	uint8_t desc[USBDESC_DEVICE_LEN + USBDESC_CONFIG_TOTAL_LEN];
	size_t n = usbdesc_device(desc, sizeof desc, sp->pad.fw.cfg.fw_major, sp->pad.fw.cfg.fw_minor);
	n += usbdesc_config(desc + n, sizeof desc - n);
	char hex[2 * sizeof desc + 1];
	hexify(desc, n, hex);
	return g_strdup_printf(
		"P: %s\nN: bus/usb/001/%03d\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n"
		"E: DEVNAME=/dev/bus/usb/001/%03d\nE: BUSNUM=001\nE: DEVNUM=%03d\n"
		"E: PRODUCT=%x/%x/%x%02x\nE: ID_VENDOR_ID=%04x\nE: ID_MODEL_ID=%04x\nE: ID_SERIAL_SHORT=%s\n"
		"A: busnum=1\\n\nA: devnum=%d\\n\nA: idVendor=%04x\\n\nA: idProduct=%04x\\n\n"
		"A: bcdDevice=%02x%02x\\n\nA: speed=12\\n\nA: bConfigurationValue=1\\n\nA: bNumConfigurations=1\\n\n"
		"A: bMaxPacketSize0=64\\n\nA: manufacturer=%s\\n\nA: product=%s\\n\nA: serial=%s\\n\n"
		"A: devpath=%d\\n\nH: descriptors=%s\n",
		d->syspath, d->devnum, d->devnum, d->devnum, TP_USB_VID, TP_USB_PID, sp->pad.fw.cfg.fw_major,
		sp->pad.fw.cfg.fw_minor, TP_USB_VID, TP_USB_PID, sp->serial, d->devnum, TP_USB_VID, TP_USB_PID,
		sp->pad.fw.cfg.fw_major, sp->pad.fw.cfg.fw_minor, USBDESC_MANUFACTURER, USBDESC_PRODUCT,
		sp->serial, sp->port, hex);
}

/* Called with the lock held. */
static int plug(struct simusb *s, struct sim_pad *sp, char *err, size_t errlen)
{
	struct usbfs_dev *d = g_new0(struct usbfs_dev, 1);
	d->pad = &sp->pad;
	d->lock = &s->lock;
	d->serial = sp->serial;
	d->devnum = s->next_devnum++; /* a replugged device gets a new address */
	d->ready_fd = -1;
	snprintf(d->devnode, sizeof d->devnode, "/dev/bus/usb/001/%03d", d->devnum);
	snprintf(d->syspath, sizeof d->syspath, "/devices/usb1/1-%d", sp->port);
	if (usbfs_dev_init(d, s->root, err, errlen) != 0) {
		g_free(d);
		return -1;
	}
	/* The handler listens before the node exists. Under umockdev's preload
	 * (the simulator runs under it) adding the device also announces it: a
	 * host that opened the node before the handler was attached got the
	 * testbed's default handler (no such device: the pad was refused), or,
	 * between the socket's bind and listen, no connection at all, and
	 * umockdev's preload then ended the host ("Failed to connect to ioctl
	 * socket"), the replug flake of the end-to-end tests. */
	GError *error = NULL;
	bool attached = umockdev_testbed_attach_ioctl(s->tb, d->devnode, d->handler, &error);
	char *record = attached ? device_record(sp, d) : NULL;
	bool ok = attached && umockdev_testbed_add_from_string(s->tb, record, &error);
	g_free(record);
	if (!ok) {
		snprintf(err, errlen, "testbed: %s", error ? error->message : "cannot add the pad");
		g_clear_error(&error);
		if (attached)
			umockdev_testbed_detach_ioctl(s->tb, d->devnode, NULL);
		usbfs_dev_destroy(d);
		g_free(d);
		return -1;
	}
	pad_set_powered(&sp->pad, true);
	sp->dev = d;
	if (!umockdev_in_mock_environment()) { /* else adding it announced it */
		char sys[128];
		snprintf(sys, sizeof sys, "/sys%s", d->syspath);
		umockdev_testbed_uevent(s->tb, sys, "add");
	}
	return 0;
}

/* Called with the lock held. The old instance's queues stay until stop:
 * a client may still hold its fd and must keep getting ENODEV. */
static struct usbfs_dev *unplug(struct simusb *s, struct sim_pad *sp, bool announce)
{
	struct usbfs_dev *d = sp->dev;
	if (!d)
		return NULL;
	usbfs_dev_unplug(d);
	pad_set_powered(&sp->pad, false);
	char sys[128];
	snprintf(sys, sizeof sys, "/sys%s", d->syspath);
	if (announce)
		umockdev_testbed_uevent(s->tb, sys, "remove");
	umockdev_testbed_remove_device(s->tb, sys);
	sp->dev = NULL;
	return d;
}

/* Called with the lock held. The host is late when a pad whose firmware
 * has heard its heartbeat has heard nothing for two report periods (a
 * healthy host answers every report), or half its watchdog if that is
 * shorter, or when a report is due and the host has no read waiting for
 * it, or two reports wait for the host to reap them (at 1x a host reads
 * every report as it comes; the reads count also while the firmware is in
 * a fault state and hears no heartbeat: the host still judges its reports'
 * freshness). At a time scale that is an artefact of the
 * acceleration (a host scheduled 20 ms late on a busy machine is more than
 * a second late at 60x), so model time stands still, for the pads and for
 * a program on the published clock alike, until the host catches up or
 * host_wait_s of wall time has passed. A host that stays silent (stopped,
 * killed) then meets the firmware's watchdog in model time, exactly as it
 * would at 1x; it is waited for again only once it has submitted anything
 * since (a stopped host that is continued). */
static bool host_late(struct simusb *s, double wall)
{
	if (!(s->host_wait_s > 0))
		return false;
	bool late = false;
	for (int i = 0; i < s->npads; i++) {
		struct sim_pad *sp = &s->pads[i];
		const struct fw *fw = &sp->pad.fw;
		struct usbfs_dev *d = sp->dev;
		if (!d || !d->submitted) /* no host has asked this pad anything */
			continue;
		uint32_t lead = fw->watchdog_ms / 2u;
		if (fw->cfg.telemetry_period_ms && 2u * fw->cfg.telemetry_period_ms < lead)
			lead = 2u * fw->cfg.telemetry_period_ms;
		bool unread = fw->report_ready && !d->pending;
		bool silent = fw->heartbeat_seen && (uint32_t)(fw->now_ms - fw->last_heartbeat_ms) + PAD_TICK_MS >= lead;
		bool behind = usbfs_dev_unreaped(d) >= 2; /* two reports delivered, neither reaped */
		if (!unread && !silent && !behind)
			continue;
		if (sp->given_up && sp->given_up_submitted == d->submitted)
			continue;
		if (s->wait_since < 0) {
			s->wait_since = wall;
			s->waits++;
		}
		if (wall - s->wait_since >= s->host_wait_s) {
			sp->given_up = true;
			sp->given_up_submitted = d->submitted;
			s->given_up++;
			continue;
		}
		late = true;
	}
	return late;
}

static void *physics(void *arg)
{
	struct simusb *s = arg;
	for (;;) {
		double wall = wall_s(s);
		pthread_mutex_lock(&s->lock);
		if (s->stopping) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		double target_ms = (wall - s->stood_s) * s->time_scale * 1000.0;
		/* judged at every wake, not only when a tick is due: a wait ends
		 * when the host answers, never because no tick fell due */
		bool late = s->held || host_late(s, wall);
		while (!late && s->model_ms + PAD_TICK_MS <= target_ms) {
			s->model_ms += PAD_TICK_MS;
			for (int i = 0; i < s->npads; i++) {
				pad_advance(&s->pads[i].pad, PAD_TICK_MS);
				struct pad_truth t;
				pad_truth(&s->pads[i].pad, &t);
				exposure_update(&s->pads[i].exposure, &t, PAD_TICK_MS / 1000.0);
				if (s->pads[i].dev)
					usbfs_dev_deliver(s->pads[i].dev, s->model_ms);
			}
			late = host_late(s, wall);
		}
		if (late) /* the wall time it stands is not owed: it resumes from here */
			s->stood_s = wall - s->model_ms / 1000.0 / s->time_scale;
		else if (s->wait_since >= 0) {
			s->stood_total_s += wall - s->wait_since;
			s->wait_since = -1;
		}
		if (s->clock_map)
			__atomic_store_n(s->clock_map, (uint64_t)s->model_ms, __ATOMIC_RELEASE);
		double next_wall = s->stood_s + (s->model_ms + PAD_TICK_MS) / 1000.0 / s->time_scale;
		pthread_mutex_unlock(&s->lock);
		/* wake for the next tick, but never more often than every 0.5 ms
		 * of wall time: at high scales ticks are batched */
		double wait = late ? 0 : next_wall - wall_s(s);
		if (wait < 0.0005)
			wait = 0.0005;
		struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* The published clock: a file in the testbed with model_ms in place. */
static int clock_publish(struct simusb *s, char *err, size_t errlen)
{
	snprintf(s->clock_path, sizeof s->clock_path, "%s/model-clock", s->root);
	int fd = open(s->clock_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, sizeof(uint64_t)) != 0) {
		snprintf(err, errlen, "%s: %s", s->clock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	void *map = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", s->clock_path, strerror(errno));
		return -1;
	}
	s->clock_map = map;
	return 0;
}

const char *simusb_clock_path(const struct simusb *s)
{
	return s->clock_path;
}

void simusb_host_waits(struct simusb *s, double *stood_s, unsigned *times, unsigned *given_up)
{
	pthread_mutex_lock(&s->lock);
	*stood_s = s->stood_total_s;
	*times = s->waits;
	*given_up = s->given_up;
	pthread_mutex_unlock(&s->lock);
}

void *simusb_testbed(struct simusb *s)
{
	return s->tb;
}

int simusb_start(const struct simusb_opts *o, struct simusb **out, char *err, size_t errlen)
{
	if (o->pads < 1 || o->pads > SIMUSB_MAX_PADS || !(o->time_scale > 0) || !(o->host_wait_s >= 0)) {
		snprintf(err, errlen, "simulator: 1 to %d pads, a positive time scale, a host wait of 0 s or more",
			 SIMUSB_MAX_PADS);
		return -1;
	}
	struct simusb *s = g_new0(struct simusb, 1);
	pthread_mutex_init(&s->lock, NULL);
	s->time_scale = o->time_scale;
	s->host_wait_s = o->host_wait_s;
	s->wait_since = -1;
	s->next_devnum = 2; /* 1 is the root hub */
	s->tb = umockdev_testbed_new();
	s->root = umockdev_testbed_get_root_dir(s->tb);
	GError *error = NULL;
	static const char hub[] = "P: /devices/usb1\nN: bus/usb/001/001\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n"
				  "E: DEVNAME=/dev/bus/usb/001/001\nA: busnum=1\\n\nA: devnum=1\\n\n"
				  "A: speed=480\\n\nA: idVendor=1d6b\\n\nA: idProduct=0002\\n\n";
	if (!umockdev_testbed_add_from_string(s->tb, hub, &error)) {
		snprintf(err, errlen, "testbed: %s", error->message);
		g_clear_error(&error);
		simusb_stop(s);
		return -1;
	}
	if (clock_publish(s, err, errlen) != 0) {
		simusb_stop(s);
		return -1;
	}
	s->npads = o->pads;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < o->pads; i++) {
		struct sim_pad *sp = &s->pads[i];
		if (o->serials[i])
			snprintf(sp->serial, sizeof sp->serial, "%s", o->serials[i]);
		else
			snprintf(sp->serial, sizeof sp->serial, "TP-SIM-%04d", (i + 1) % 10000);
		sp->port = i + 1;
		struct fw_config cfg;
		fw_config_reference(&cfg, sp->serial);
		cfg.capabilities |= TP_CAP_SIMULATED;
		pad_init(&sp->pad, &o->model, &cfg, o->seed + (unsigned long long)i * 7919, o->start_plate_c);
		struct pad_truth t0;
		pad_truth(&sp->pad, &t0);
		exposure_mark(&sp->exposure, &t0);
		if (plug(s, sp, err, errlen) != 0) {
			pthread_mutex_unlock(&s->lock);
			simusb_stop(s);
			return -1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	pthread_mutex_unlock(&s->lock);
	if (pthread_create(&s->thread, NULL, physics, s) != 0) {
		snprintf(err, errlen, "simulator thread: %s", strerror(errno));
		simusb_stop(s);
		return -1;
	}
	s->thread_started = true;
	*out = s;
	return 0;
}

void simusb_stop(struct simusb *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_mutex_unlock(&s->lock);
	if (s->thread_started)
		pthread_join(s->thread, NULL);
	for (int i = 0; i < s->npads; i++) {
		pthread_mutex_lock(&s->lock);
		struct usbfs_dev *d = unplug(s, &s->pads[i], false);
		pthread_mutex_unlock(&s->lock);
		if (d && s->graveyard_n < (int)(sizeof s->graveyard / sizeof s->graveyard[0]))
			s->graveyard[s->graveyard_n++] = d;
	}
	if (s->clock_map)
		munmap(s->clock_map, sizeof(uint64_t));
	if (s->tb)
		g_object_unref(s->tb); /* removes the testbed directory */
	for (int i = 0; i < s->graveyard_n; i++) {
		usbfs_dev_destroy(s->graveyard[i]);
		g_free(s->graveyard[i]);
	}
	g_free(s->root);
	pthread_mutex_destroy(&s->lock);
	g_free(s);
}

const char *simusb_root(const struct simusb *s)
{
	return s->root;
}

int simusb_pad_count(const struct simusb *s)
{
	return s->npads;
}

const char *simusb_serial(const struct simusb *s, int index)
{
	return index >= 0 && index < s->npads ? s->pads[index].serial : NULL;
}

int simusb_find(const struct simusb *s, const char *serial)
{
	if (!serial)
		return s->npads == 1 ? 0 : -1;
	for (int i = 0; i < s->npads; i++)
		if (strcmp(s->pads[i].serial, serial) == 0)
			return i;
	return -1;
}

int simusb_inject(struct simusb *s, int index, const struct pad_fault *f, char *err, size_t errlen)
{
	if (index < 0 || index >= s->npads) {
		snprintf(err, errlen, "no such pad");
		return -1;
	}
	struct sim_pad *sp = &s->pads[index];
	int rc = 0;
	struct usbfs_dev *dead = NULL;
	pthread_mutex_lock(&s->lock);
	if (!faults_is_usb(f)) {
		if (f->target == FAULT_ALL && sp->dev) {
			sp->dev->stall_until_ms = s->model_ms;
			sp->dev->malformed_left = 0;
			sp->dev->replay_left = 0;
		}
		rc = pad_inject(&sp->pad, f);
	} else if (f->kind == FAULT_KIND_UNPLUG) {
		if (!sp->dev) {
			snprintf(err, errlen, "%s is already unplugged", sp->serial);
			rc = -1;
		} else {
			dead = unplug(s, sp, true);
		}
	} else if (f->kind == FAULT_KIND_REPLUG) {
		if (sp->dev) {
			snprintf(err, errlen, "%s is plugged in", sp->serial);
			rc = -1;
		} else {
			rc = plug(s, sp, err, errlen);
		}
	} else if (!sp->dev) {
		snprintf(err, errlen, "%s is unplugged", sp->serial);
		rc = -1;
	} else if (f->kind == FAULT_KIND_STALL) {
		sp->dev->stall_until_ms = s->model_ms + (uint32_t)(f->value * 1000.0);
	} else if (f->kind == FAULT_KIND_MALFORMED) {
		sp->dev->malformed_left = (int)f->value;
	} else if (f->kind == FAULT_KIND_REPLAY) {
		sp->dev->replay_left = (int)f->value;
	} else if (f->kind == FAULT_KIND_OK) {
		sp->dev->stall_until_ms = s->model_ms;
		sp->dev->malformed_left = 0;
		sp->dev->replay_left = 0;
	}
	if (dead && s->graveyard_n < (int)(sizeof s->graveyard / sizeof s->graveyard[0]))
		s->graveyard[s->graveyard_n++] = dead;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void simusb_truth(struct simusb *s, int index, struct pad_truth *t, bool *plugged)
{
	pthread_mutex_lock(&s->lock);
	pad_truth(&s->pads[index].pad, t);
	if (plugged)
		*plugged = s->pads[index].dev != NULL;
	pthread_mutex_unlock(&s->lock);
}

void simusb_set_relay(struct simusb *s, bool closed)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->npads; i++)
		pad_set_relay(&s->pads[i].pad, closed);
	pthread_mutex_unlock(&s->lock);
}

void simusb_exposure(struct simusb *s, int index, bool mark, struct exposure *out)
{
	pthread_mutex_lock(&s->lock);
	struct sim_pad *sp = &s->pads[index];
	if (mark) {
		struct pad_truth t;
		pad_truth(&sp->pad, &t);
		exposure_mark(&sp->exposure, &t);
	}
	*out = sp->exposure;
	pthread_mutex_unlock(&s->lock);
}

void simusb_hold(struct simusb *s, bool held)
{
	pthread_mutex_lock(&s->lock);
	s->held = held;
	pthread_mutex_unlock(&s->lock);
}

double simusb_model_time(struct simusb *s)
{
	pthread_mutex_lock(&s->lock);
	double t = s->model_ms / 1000.0;
	pthread_mutex_unlock(&s->lock);
	return t;
}
