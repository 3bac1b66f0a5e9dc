/* SPDX-License-Identifier: MIT */
/*
 * The pads over libusb: asynchronous transfers only in the running loop
 * (PAD_TRANSFERS telemetry transfers always queued, SET_OUTPUT as asynchronous
 * control transfers), libusb's descriptors in sd-event, and hot-plug.
 * Opening a pad (GET_INFO, limits, watchdog) runs from a deferred event,
 * never inside libusb's callbacks.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static int on_usb_fd(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct daemon *d = user;
	struct timeval zero = {0, 0};
	(void)s, (void)fd, (void)revents;
	libusb_handle_events_timeout_completed(d->usb, &zero, NULL);
	return 0;
}

static void fd_added(int fd, short events, void *user)
{
	struct daemon *d = user;
	uint32_t ev = (events & POLLIN ? EPOLLIN : 0) | (events & POLLOUT ? EPOLLOUT : 0);
	for (size_t i = 0; i < sizeof d->usb_fds / sizeof d->usb_fds[0]; i++)
		if (!d->usb_fds[i].src) {
			if (sd_event_add_io(d->event, &d->usb_fds[i].src, fd, ev, on_usb_fd, d) >= 0)
				d->usb_fds[i].fd = fd;
			else
				d->usb_fds[i].src = NULL;
			return;
		}
	daemon_log(2, "too many libusb descriptors: a pad will not be served");
}

static void fd_removed(int fd, void *user)
{
	struct daemon *d = user;
	/* a gone device's fd must leave the loop, or its hang-up spins it */
	for (size_t i = 0; i < sizeof d->usb_fds / sizeof d->usb_fds[0]; i++)
		if (d->usb_fds[i].src && d->usb_fds[i].fd == fd) {
			d->usb_fds[i].src = sd_event_source_disable_unref(d->usb_fds[i].src);
			d->usb_fds[i].fd = -1;
		}
}

static struct pad_conn *find_by_dev(struct daemon *d, libusb_device *dev)
{
	for (int i = 0; i < DAEMON_MAX_PADS; i++)
		if (d->pads[i].used && d->pads[i].dev == dev)
			return &d->pads[i];
	return NULL;
}

static void send_done(struct libusb_transfer *t)
{
	struct pad_conn *p = t->user_data;
	p->sends--;
	free(t->buffer);
	libusb_free_transfer(t);
}

void usb_send_drive(struct pad_conn *p, double drive)
{
	if (!p->present || !p->handle)
		return;
	if (p->d->stopping)
		drive = 0; /* once stopping, whatever completes late sends zero */
	struct tp_set_output cmd = {.seq = ++p->cmd_seq, .drive = (int16_t)lround(drive * TP_DRIVE_FULL)};
	uint8_t *buf = calloc(1, LIBUSB_CONTROL_SETUP_SIZE + TP_SET_OUTPUT_LEN);
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	if (!buf || !t || !proto_encode_set_output(&cmd, buf + LIBUSB_CONTROL_SETUP_SIZE, TP_SET_OUTPUT_LEN)) {
		free(buf);
		libusb_free_transfer(t);
		return;
	}
	libusb_fill_control_setup(buf, TP_REQTYPE_OUT, TP_REQ_SET_OUTPUT, 0, TP_USB_INTERFACE, TP_SET_OUTPUT_LEN);
	libusb_fill_control_transfer(t, p->handle, buf, send_done, p, 500);
	if (cmd.drive != 0)
		p->zero_sent = false;
	else if (!p->zero_sent)
		p->zero_sent = true, p->zero_seq = cmd.seq;
	if (libusb_submit_transfer(t) == 0) {
		p->sends++;
	} else {
		free(buf);
		libusb_free_transfer(t);
	}
}

static void on_telemetry(struct libusb_transfer *t)
{
	struct pad_conn *p = t->user_data;
	p->live--;
	if (t->status == LIBUSB_TRANSFER_COMPLETED && !p->d->stopping) {
		struct tp_telemetry tel;
		enum proto_err e = proto_decode_telemetry(t->buffer, (size_t)t->actual_length, &tel);
		if (e == PROTO_OK)
			control_on_telemetry(p, &tel);
		else if (p->rejected++ < 20)
			daemon_log(4, "pad %s: telemetry frame refused: %s (%d bytes)", p->serial, proto_strerror(e),
				   t->actual_length);
	} else if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
		control_on_departure(p);
		return;
	} else if (t->status == LIBUSB_TRANSFER_CANCELLED) {
		return;
	}
	if (p->present && !p->d->stopping && libusb_submit_transfer(t) == 0)
		p->live++;
}

static int control_in(libusb_device_handle *h, uint8_t req, uint8_t *buf, uint16_t len)
{
	return libusb_control_transfer(h, TP_REQTYPE_IN, req, 0, TP_USB_INTERFACE, buf, len, 1000);
}

static int control_out(libusb_device_handle *h, uint8_t req, uint8_t *buf, uint16_t len)
{
	return libusb_control_transfer(h, TP_REQTYPE_OUT, req, 0, TP_USB_INTERFACE, buf, len, 1000);
}

static void close_pad(struct pad_conn *p)
{
	for (int i = 0; i < PAD_TRANSFERS; i++)
		if (p->telemetry[i] && p->live)
			libusb_cancel_transfer(p->telemetry[i]);
	struct timeval tv = {0, 100000};
	for (int n = 0; (p->live > 0 || p->sends > 0) && n < 20; n++)
		libusb_handle_events_timeout_completed(p->d->usb, &tv, NULL);
	for (int i = 0; i < PAD_TRANSFERS; i++) {
		libusb_free_transfer(p->telemetry[i]);
		p->telemetry[i] = NULL;
	}
	if (p->handle) {
		libusb_release_interface(p->handle, TP_USB_INTERFACE);
		libusb_close(p->handle);
		p->handle = NULL;
	}
	p->present = false;
}

/* A pad that comes back (by serial) gets its old slot, with its core: a
 * session it left stays there, paused, until a person resumes or stops
 * it. Called before any transfer refers to the new slot. */
static struct pad_conn *adopt_slot(struct daemon *d, struct pad_conn *p, const char *serial)
{
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		struct pad_conn *old = &d->pads[i];
		if (old == p || !old->used || old->present || old->dev || old->handle || strcmp(old->serial, serial))
			continue;
		old->dev = p->dev;
		old->handle = p->handle;
		old->open_attempts = 0;
		p->dev = NULL;
		p->handle = NULL;
		p->open_src = sd_event_source_unref(p->open_src);
		p->release_src = sd_event_source_unref(p->release_src);
		p->used = false;
		return old;
	}
	return p;
}

/* GET_INFO, the protocol version, limits and watchdog; then telemetry.
 * Returns the slot the pad ended in (see adopt_slot), or NULL. */
static struct pad_conn *open_pad(struct daemon *d, struct pad_conn *p)
{
	uint8_t buf[TP_FRAME_MAX_LEN];
	int rc = libusb_open(p->dev, &p->handle);
	if (rc != 0 || libusb_claim_interface(p->handle, TP_USB_INTERFACE) != 0) {
		daemon_log(3, "a thermopad pad arrived but cannot be opened: %s (is the udev rule installed?)",
			   libusb_error_name(rc));
		return NULL;
	}
	rc = control_in(p->handle, TP_REQ_GET_INFO, buf, sizeof buf);
	struct tp_info info;
	enum proto_err e = rc < 0 ? PROTO_ERR_SHORT : proto_decode_info(buf, (size_t)rc, &info);
	if (e == PROTO_ERR_VERSION) {
		daemon_log(3, "pad refused: it speaks protocol version %u, this daemon speaks %d", buf[0],
			   TP_PROTO_VERSION);
		return NULL;
	}
	if (e != PROTO_OK) {
		daemon_log(3, "pad refused: GET_INFO %s", rc < 0 ? libusb_error_name(rc) : proto_strerror(e));
		return NULL;
	}
	if (d->opts.time_scale != 1.0 && !(info.capabilities & TP_CAP_SIMULATED)) {
		daemon_log(2, "pad %s refused: --time-scale is for simulated pads only, and this one is real",
			   info.serial);
		return NULL;
	}
	if (d->cfg.pad_serial[0] && strcmp(d->cfg.pad_serial, info.serial) != 0) {
		daemon_log(6, "pad %s ignored: the configuration names pad %s", info.serial, d->cfg.pad_serial);
		return NULL;
	}
	p->info = info;
	snprintf(p->serial, sizeof p->serial, "%s", info.serial);
	/* the envelope, narrowed into the firmware too */
	struct tp_set_limits lim = {{.plate_max_cc = (int16_t)lround(d->cfg.limits.plate_max_c * 100),
				     .plate_min_cc = (int16_t)lround(d->cfg.limits.plate_min_c * 100),
				     .sink_max_cc = info.hard_limits.sink_max_cc,
				     .current_max_ma = info.hard_limits.current_max_ma}};
	if (lim.limits.plate_max_cc > info.hard_limits.plate_max_cc)
		lim.limits.plate_max_cc = info.hard_limits.plate_max_cc;
	if (lim.limits.plate_min_cc < info.hard_limits.plate_min_cc)
		lim.limits.plate_min_cc = info.hard_limits.plate_min_cc;
	struct tp_set_watchdog wd = {.timeout_ms = (uint16_t)d->cfg.watchdog_ms};
	if (!proto_encode_set_limits(&lim, buf, sizeof buf) || control_out(p->handle, TP_REQ_SET_LIMITS, buf, TP_SET_LIMITS_LEN) < 0 ||
	    !proto_encode_set_watchdog(&wd, buf, sizeof buf) ||
	    control_out(p->handle, TP_REQ_SET_WATCHDOG, buf, TP_SET_WATCHDOG_LEN) < 0) {
		daemon_log(3, "pad %s refused: its limits or watchdog could not be set", p->serial);
		return NULL;
	}
	p = adopt_slot(d, p, info.serial);
	p->info = info;
	snprintf(p->serial, sizeof p->serial, "%s", info.serial);
	control_calibration_load(p);
	p->present = true;
	p->have_seq = false;
	p->zero_sent = false;
	for (int i = 0; i < PAD_TRANSFERS; i++) {
		p->telemetry[i] = libusb_alloc_transfer(0);
		libusb_fill_interrupt_transfer(p->telemetry[i], p->handle, TP_EP_TELEMETRY, p->buf[i], sizeof p->buf[i],
					       on_telemetry, p, 0);
		if (libusb_submit_transfer(p->telemetry[i]) == 0)
			p->live++;
	}
	daemon_report(5, &(struct report_fields){.pad = p->serial, .event = "arrival"}, "pad %s ready (firmware %u.%u.%u%s)", p->serial, info.fw_major, info.fw_minor, info.fw_patch,
		   info.capabilities & TP_CAP_SIMULATED ? ", simulated" : "");
	return p;
}

static int on_deferred_open(sd_event_source *s, void *user);

static int on_open_retry(sd_event_source *s, uint64_t usec, void *user)
{
	(void)usec;
	return on_deferred_open(s, user);
}

static int on_deferred_open(sd_event_source *s, void *user)
{
	struct pad_conn *p = user;
	(void)s;
	p->open_src = sd_event_source_unref(p->open_src);
	if (p->present || !p->used || !p->dev)
		return 0;
	if (!open_pad(p->d, p)) {
		close_pad(p);
		/* a device node may get its permissions (udev) or its handler
		 * a moment after the arrival: try again for two seconds */
		if (++p->open_attempts < 10) {
			uint64_t now;
			sd_event_now(p->d->event, CLOCK_MONOTONIC, &now);
			if (sd_event_add_time(p->d->event, &p->open_src, CLOCK_MONOTONIC, now + 200000, 1000, on_open_retry,
					      p) >= 0)
				return 0;
			p->open_src = NULL;
		}
		libusb_unref_device(p->dev);
		p->dev = NULL;
		/* a slot that remembers a session (or a fault) stays, waiting
		 * for its pad; an empty one is freed */
		if (p->core.state == CORE_IDLE && !p->core.safety.latched)
			p->used = false;
	}
	return 0;
}

/* A new slot; which pad it is shows only once it is open (adopt_slot). */
static struct pad_conn *slot_for(struct daemon *d)
{
	for (int i = 0; i < DAEMON_MAX_PADS; i++)
		if (!d->pads[i].used)
			return &d->pads[i];
	return NULL;
}

static int on_hotplug(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev, void *user)
{
	struct daemon *d = user;
	(void)ctx;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
		struct pad_conn *p = slot_for(d);
		if (!p) {
			daemon_log(3, "more than %d pads: one ignored", DAEMON_MAX_PADS);
			return 0;
		}
		if (!p->used) {
			struct core_config cc;
			memset(p, 0, sizeof *p);
			core_config_default(&cc);
			cc.limits = d->cfg.limits;
			core_init(&p->core, &cc);
		}
		p->used = true;
		p->d = d;
		if (p->dev)
			libusb_unref_device(p->dev);
		p->dev = libusb_ref_device(dev);
		p->open_attempts = 0;
		p->open_src = sd_event_source_unref(p->open_src);
		if (sd_event_add_defer(d->event, &p->open_src, on_deferred_open, p) < 0)
			p->open_src = NULL;
	} else {
		struct pad_conn *p = find_by_dev(d, dev);
		if (p)
			control_on_departure(p);
	}
	return 0;
}

/* Called from the departure paths: the pad is gone, free its handle and
 * keep the slot (serial, core) for its return. */
void control_release_usb(struct pad_conn *p);
void control_release_usb(struct pad_conn *p)
{
	close_pad(p);
	if (p->dev) {
		libusb_unref_device(p->dev);
		p->dev = NULL;
	}
}

int usb_start(struct daemon *d, char *err, size_t errlen)
{
	int rc = libusb_init(&d->usb);
	if (rc != 0) {
		snprintf(err, errlen, "libusb: %s", libusb_error_name(rc));
		return -1;
	}
	if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
		snprintf(err, errlen, "libusb has no hot-plug support here");
		return -1;
	}
	libusb_set_pollfd_notifiers(d->usb, fd_added, fd_removed, d);
	const struct libusb_pollfd **fds = libusb_get_pollfds(d->usb);
	for (int i = 0; fds && fds[i]; i++)
		fd_added(fds[i]->fd, fds[i]->events, d);
	libusb_free_pollfds(fds);
	rc = libusb_hotplug_register_callback(d->usb,
					      LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
					      LIBUSB_HOTPLUG_ENUMERATE, TP_USB_VID, TP_USB_PID,
					      LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, d, &d->hotplug);
	if (rc != 0) {
		snprintf(err, errlen, "libusb hot-plug: %s", libusb_error_name(rc));
		return -1;
	}
	return 0;
}

/* Orderly exit: drive zero first, synchronously, to every pad. */
void usb_zero_all_sync(struct daemon *d)
{
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		struct pad_conn *p = &d->pads[i];
		if (!p->present || !p->handle)
			continue;
		uint8_t buf[TP_SET_OUTPUT_LEN];
		struct tp_set_output cmd = {.seq = ++p->cmd_seq, .drive = 0};
		proto_encode_set_output(&cmd, buf, sizeof buf);
		int rc = libusb_control_transfer(p->handle, TP_REQTYPE_OUT, TP_REQ_SET_OUTPUT, 0, TP_USB_INTERFACE, buf,
						 sizeof buf, 200);
		daemon_log(rc < 0 ? 3 : 6, "pad %s: drive zero on exit%s%s", p->serial, rc < 0 ? ": " : "",
			   rc < 0 ? libusb_error_name(rc) : "");
	}
}

int usb_clear_pad_faults(struct pad_conn *p)
{
	if (!p->present || !p->handle)
		return -1;
	uint8_t buf[TP_CLEAR_FAULTS_LEN];
	struct tp_clear_faults c = {.mask = 0xffffffffu};
	proto_encode_clear_faults(&c, buf, sizeof buf);
	return control_out(p->handle, TP_REQ_CLEAR_FAULTS, buf, sizeof buf) < 0 ? -1 : 0;
}

void usb_stop(struct daemon *d)
{
	if (!d->usb)
		return;
	libusb_hotplug_deregister_callback(d->usb, d->hotplug);
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		struct pad_conn *p = &d->pads[i];
		p->open_src = sd_event_source_unref(p->open_src);
		p->release_src = sd_event_source_unref(p->release_src);
		if (p->used) {
			control_release_usb(p);
			control_log_close(p, "daemon stopped");
		}
	}
	libusb_exit(d->usb);
	d->usb = NULL;
	for (size_t i = 0; i < sizeof d->usb_fds / sizeof d->usb_fds[0]; i++)
		d->usb_fds[i].src = sd_event_source_disable_unref(d->usb_fds[i].src);
}
