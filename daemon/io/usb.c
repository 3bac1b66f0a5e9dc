/* SPDX-License-Identifier: MIT */
/*
 * The pads over libusb (usb.h). A link goes FREE -> OPENING (a deferred
 * open, retried for two seconds: a device node may get its permissions
 * from udev a moment after the arrival) -> OPEN (telemetry queued) ->
 * CLOSING (it left: every transfer cancelled; the loop completes them, and
 * only then, from a deferred event, is the handle closed) -> FREE. No
 * nested event loop runs inside a callback; only usb_stop, outside the
 * loop, waits for the last completions.
 */
#include <errno.h>
#include <stdarg.h>
#include <libusb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "io/usb.h"

enum link_state { LINK_FREE, LINK_OPENING, LINK_OPEN, LINK_CLOSING };

struct usb_link {
	struct usb *u;
	enum link_state state;
	libusb_device *dev;
	libusb_device_handle *handle;
	struct libusb_transfer *telemetry[PAD_TRANSFERS];
	bool inflight[PAD_TRANSFERS];
	uint8_t buf[PAD_TRANSFERS][64];
	int live; /* telemetry transfers in flight */
	int sends; /* SET_OUTPUT transfers in flight */
	int open_attempts;
	sd_event_source *open_src, *close_src; /* deferred work, owned here */
	void *user; /* from the arrived callback */
};

struct usb {
	sd_event *event;
	libusb_context *ctx;
	libusb_hotplug_callback_handle hotplug;
	bool hotplug_registered;
	bool stopping;
	struct usb_callbacks cb;
	struct usb_link links[USB_MAX_LINKS];
	struct {
		int fd;
		sd_event_source *src;
	} fds[16]; /* libusb's descriptors in the loop */
};

static void note(struct usb *u, int priority, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(struct usb *u, int priority, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (u->cb.note)
		u->cb.note(u->cb.ctx, priority, msg);
}

const char *usb_strerror(int rc)
{
	return libusb_error_name(rc);
}

static int on_usb_fd(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	(void)s, (void)fd, (void)revents;
	usb_pump(user);
	return 0;
}

void usb_pump(struct usb *u)
{
	struct timeval zero = {0, 0};
	if (u && u->ctx)
		libusb_handle_events_timeout_completed(u->ctx, &zero, NULL);
}

static void fd_added(int fd, short events, void *user)
{
	struct usb *u = user;
	uint32_t ev = (events & POLLIN ? EPOLLIN : 0) | (events & POLLOUT ? EPOLLOUT : 0);
	for (size_t i = 0; i < sizeof u->fds / sizeof u->fds[0]; i++)
		if (!u->fds[i].src) {
			if (sd_event_add_io(u->event, &u->fds[i].src, fd, ev, on_usb_fd, u) >= 0)
				u->fds[i].fd = fd;
			else
				u->fds[i].src = NULL;
			return;
		}
	note(u, LOG_CRIT, "too many libusb descriptors: a pad will not be served");
}

static void fd_removed(int fd, void *user)
{
	struct usb *u = user;
	/* a gone device's fd must leave the loop, or its hang-up spins it */
	for (size_t i = 0; i < sizeof u->fds / sizeof u->fds[0]; i++)
		if (u->fds[i].src && u->fds[i].fd == fd) {
			u->fds[i].src = sd_event_source_disable_unref(u->fds[i].src);
			u->fds[i].fd = -1;
		}
}

/* ---- closing ---------------------------------------------------------- */

/* The handle and the transfers go, once nothing is in flight. */
static void link_free(struct usb_link *l)
{
	for (int i = 0; i < PAD_TRANSFERS; i++) {
		libusb_free_transfer(l->telemetry[i]);
		l->telemetry[i] = NULL;
	}
	if (l->handle) {
		libusb_release_interface(l->handle, TP_USB_INTERFACE);
		libusb_close(l->handle);
		l->handle = NULL;
	}
	if (l->dev)
		libusb_unref_device(l->dev);
	l->dev = NULL;
	l->open_src = sd_event_source_disable_unref(l->open_src);
	l->close_src = sd_event_source_disable_unref(l->close_src);
	l->user = NULL;
	l->live = l->sends = 0;
	l->state = LINK_FREE;
}

static int on_deferred_close(sd_event_source *s, void *user)
{
	struct usb_link *l = user;
	(void)s;
	if (l->live == 0 && l->sends == 0)
		link_free(l);
	else
		l->close_src = sd_event_source_disable_unref(l->close_src);
	return 0;
}

/* Called when a transfer completes on a closing link. */
static void maybe_finish_close(struct usb_link *l)
{
	if (l->state != LINK_CLOSING || l->live > 0 || l->sends > 0 || l->close_src || l->u->stopping)
		return;
	/* never inside libusb's own callback: from the loop */
	if (sd_event_add_defer(l->u->event, &l->close_src, on_deferred_close, l) < 0)
		l->close_src = NULL;
}

static void cancel_all(struct usb_link *l)
{
	for (int i = 0; i < PAD_TRANSFERS; i++)
		if (l->telemetry[i] && l->inflight[i])
			libusb_cancel_transfer(l->telemetry[i]);
}

/* The pad left (hot-plug, or a transfer found no device). */
static void link_depart(struct usb_link *l)
{
	if (l->state == LINK_OPENING) {
		link_free(l);
		return;
	}
	if (l->state != LINK_OPEN)
		return;
	l->state = LINK_CLOSING;
	void *user = l->user;
	l->user = NULL;
	if (user && l->u->cb.departed)
		l->u->cb.departed(l->u->cb.ctx, user);
	cancel_all(l);
	maybe_finish_close(l);
}

/* ---- transfers -------------------------------------------------------- */

static void send_done(struct libusb_transfer *t)
{
	struct usb_link *l = t->user_data;
	l->sends--;
	free(t->buffer);
	libusb_free_transfer(t);
	maybe_finish_close(l);
}

/* An OUT request queued on the control pipe (which keeps their order). */
static int submit_out(struct usb_link *l, uint8_t request, const uint8_t *frame, uint16_t len)
{
	if (!l || l->state != LINK_OPEN)
		return LIBUSB_ERROR_NO_DEVICE;
	uint8_t *buf = calloc(1, LIBUSB_CONTROL_SETUP_SIZE + len);
	struct libusb_transfer *t = buf ? libusb_alloc_transfer(0) : NULL;
	if (!t) {
		free(buf);
		return LIBUSB_ERROR_NO_MEM;
	}
	memcpy(buf + LIBUSB_CONTROL_SETUP_SIZE, frame, len);
	libusb_fill_control_setup(buf, TP_REQTYPE_OUT, request, 0, TP_USB_INTERFACE, len);
	libusb_fill_control_transfer(t, l->handle, buf, send_done, l, 500);
	int rc = libusb_submit_transfer(t);
	if (rc != 0) {
		free(buf);
		libusb_free_transfer(t);
		return rc;
	}
	l->sends++;
	return 0;
}

int usb_send_drive(struct usb_link *l, const struct tp_set_output *cmd)
{
	uint8_t frame[TP_SET_OUTPUT_LEN];
	if (!proto_encode_set_output(cmd, frame, sizeof frame))
		return LIBUSB_ERROR_INVALID_PARAM;
	return submit_out(l, TP_REQ_SET_OUTPUT, frame, sizeof frame);
}

static int control_out(struct usb_link *l, uint8_t req, uint8_t *buf, uint16_t len, unsigned timeout_ms)
{
	if (!l || !l->handle || (l->state != LINK_OPEN && l->state != LINK_OPENING))
		return LIBUSB_ERROR_NO_DEVICE;
	int rc = libusb_control_transfer(l->handle, TP_REQTYPE_OUT, req, 0, TP_USB_INTERFACE, buf, len, timeout_ms);
	return rc < 0 ? rc : 0;
}

int usb_send_drive_now(struct usb_link *l, const struct tp_set_output *cmd)
{
	uint8_t buf[TP_SET_OUTPUT_LEN];
	if (!proto_encode_set_output(cmd, buf, sizeof buf))
		return LIBUSB_ERROR_INVALID_PARAM;
	return control_out(l, TP_REQ_SET_OUTPUT, buf, sizeof buf, 200);
}

int usb_clear_faults(struct usb_link *l)
{
	uint8_t buf[TP_CLEAR_FAULTS_LEN];
	struct tp_clear_faults c = {.mask = 0xffffffffu};
	if (!proto_encode_clear_faults(&c, buf, sizeof buf))
		return LIBUSB_ERROR_INVALID_PARAM;
	return control_out(l, TP_REQ_CLEAR_FAULTS, buf, sizeof buf, 1000);
}

int usb_set_limits(struct usb_link *l, const struct tp_set_limits *lim)
{
	uint8_t buf[TP_SET_LIMITS_LEN];
	if (!proto_encode_set_limits(lim, buf, sizeof buf))
		return LIBUSB_ERROR_INVALID_PARAM;
	return control_out(l, TP_REQ_SET_LIMITS, buf, sizeof buf, 1000);
}

int usb_acknowledge_boot(struct usb_link *l, const struct tp_set_limits *lim, const struct tp_set_watchdog *wd)
{
	uint8_t lb[TP_SET_LIMITS_LEN], wb[TP_SET_WATCHDOG_LEN], cb[TP_CLEAR_FAULTS_LEN];
	struct tp_clear_faults ack = {.mask = 0};
	if (!proto_encode_set_limits(lim, lb, sizeof lb) || !proto_encode_set_watchdog(wd, wb, sizeof wb) ||
	    !proto_encode_clear_faults(&ack, cb, sizeof cb))
		return LIBUSB_ERROR_INVALID_PARAM;
	int rc = submit_out(l, TP_REQ_SET_LIMITS, lb, sizeof lb);
	if (rc == 0)
		rc = submit_out(l, TP_REQ_SET_WATCHDOG, wb, sizeof wb);
	if (rc == 0)
		rc = submit_out(l, TP_REQ_CLEAR_FAULTS, cb, sizeof cb);
	return rc;
}

int usb_set_watchdog(struct usb_link *l, const struct tp_set_watchdog *wd)
{
	uint8_t buf[TP_SET_WATCHDOG_LEN];
	if (!proto_encode_set_watchdog(wd, buf, sizeof buf))
		return LIBUSB_ERROR_INVALID_PARAM;
	return control_out(l, TP_REQ_SET_WATCHDOG, buf, sizeof buf, 1000);
}

static void on_telemetry(struct libusb_transfer *t)
{
	struct usb_link *l = t->user_data;
	int slot = 0;
	while (slot < PAD_TRANSFERS && l->telemetry[slot] != t)
		slot++;
	l->live--;
	if (slot < PAD_TRANSFERS)
		l->inflight[slot] = false;
	struct usb *u = l->u;
	if (u->stopping || l->state != LINK_OPEN) {
		maybe_finish_close(l);
		return;
	}
	if (t->status == LIBUSB_TRANSFER_COMPLETED) {
		struct tp_telemetry tel;
		enum proto_err e = proto_decode_telemetry(t->buffer, (size_t)t->actual_length, &tel);
		if (e == PROTO_OK && u->cb.frame)
			u->cb.frame(u->cb.ctx, l->user, &tel);
		else if (e != PROTO_OK && u->cb.refused)
			u->cb.refused(u->cb.ctx, l->user, e, t->actual_length);
	} else if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
		link_depart(l);
		return;
	} else if (t->status == LIBUSB_TRANSFER_CANCELLED) {
		return;
	}
	/* the frame callback may have seen the pad leave */
	if (l->state == LINK_OPEN && libusb_submit_transfer(t) == 0) {
		l->live++;
		if (slot < PAD_TRANSFERS)
			l->inflight[slot] = true;
	}
}

/* ---- opening ---------------------------------------------------------- */

static int control_in(libusb_device_handle *h, uint8_t req, uint8_t *buf, uint16_t len)
{
	return libusb_control_transfer(h, TP_REQTYPE_IN, req, 0, TP_USB_INTERFACE, buf, len, 1000);
}

static void close_handle(struct usb_link *l)
{
	if (l->handle) {
		libusb_release_interface(l->handle, TP_USB_INTERFACE);
		libusb_close(l->handle);
		l->handle = NULL;
	}
}

/* GET_INFO and the protocol version; the caller says whether it wants
 * the pad (and sets its limits); then telemetry. 0, or -1 to try again. */
static int open_link(struct usb_link *l)
{
	struct usb *u = l->u;
	uint8_t buf[TP_FRAME_MAX_LEN];
	int rc = libusb_open(l->dev, &l->handle);
	if (rc != 0 || libusb_claim_interface(l->handle, TP_USB_INTERFACE) != 0) {
		note(u, LOG_ERR, "a thermopad pad arrived but cannot be opened: %s (is the udev rule installed?)",
		     libusb_error_name(rc));
		return -1;
	}
	rc = control_in(l->handle, TP_REQ_GET_INFO, buf, sizeof buf);
	struct tp_info info;
	enum proto_err e = rc < 0 ? PROTO_ERR_SHORT : proto_decode_info(buf, (size_t)rc, &info);
	if (e == PROTO_ERR_VERSION) {
		note(u, LOG_ERR, "pad refused: it speaks protocol version %u, this daemon speaks %d", buf[0],
		     TP_PROTO_VERSION);
		return -1;
	}
	if (e != PROTO_OK) {
		note(u, LOG_ERR, "pad refused: GET_INFO %s", rc < 0 ? libusb_error_name(rc) : proto_strerror(e));
		return -1;
	}
	for (int i = 0; i < PAD_TRANSFERS; i++)
		if (!l->telemetry[i] && !(l->telemetry[i] = libusb_alloc_transfer(0))) {
			note(u, LOG_ERR, "pad %s: out of memory for its telemetry transfers", info.serial);
			return -1;
		}
	char err[300] = "";
	void *user = u->cb.arrived ? u->cb.arrived(u->cb.ctx, l, &info, err, sizeof err) : NULL;
	if (!user) {
		if (err[0])
			note(u, LOG_NOTICE, "%s", err);
		return -1;
	}
	l->user = user;
	l->state = LINK_OPEN;
	for (int i = 0; i < PAD_TRANSFERS; i++) {
		libusb_fill_interrupt_transfer(l->telemetry[i], l->handle, TP_EP_TELEMETRY, l->buf[i], sizeof l->buf[i],
					       on_telemetry, l, 0);
		rc = libusb_submit_transfer(l->telemetry[i]);
		if (rc == 0) {
			l->live++;
			l->inflight[i] = true;
		} else {
			note(u, LOG_ERR, "pad %s: a telemetry transfer cannot be queued: %s", info.serial,
			     libusb_error_name(rc));
		}
	}
	return 0;
}

static int on_deferred_open(sd_event_source *s, void *user);

static int on_open_retry(sd_event_source *s, uint64_t usec, void *user)
{
	(void)usec;
	return on_deferred_open(s, user);
}

static int on_deferred_open(sd_event_source *s, void *user)
{
	struct usb_link *l = user;
	(void)s;
	l->open_src = sd_event_source_disable_unref(l->open_src);
	if (l->state != LINK_OPENING)
		return 0;
	if (open_link(l) == 0)
		return 0;
	close_handle(l);
	if (++l->open_attempts < 10) {
		uint64_t now;
		sd_event_now(l->u->event, CLOCK_MONOTONIC, &now);
		if (sd_event_add_time(l->u->event, &l->open_src, CLOCK_MONOTONIC, now + 200000, 1000, on_open_retry, l) >=
		    0)
			return 0;
		l->open_src = NULL;
	}
	link_free(l);
	return 0;
}

static struct usb_link *find_by_dev(struct usb *u, libusb_device *dev)
{
	for (int i = 0; i < USB_MAX_LINKS; i++)
		if (u->links[i].state != LINK_FREE && u->links[i].dev == dev)
			return &u->links[i];
	return NULL;
}

static int on_hotplug(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev, void *user)
{
	struct usb *u = user;
	(void)ctx;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT) {
		struct usb_link *l = find_by_dev(u, dev);
		if (l)
			link_depart(l);
		return 0;
	}
	struct usb_link *l = NULL;
	for (int i = 0; i < USB_MAX_LINKS && !l; i++)
		if (u->links[i].state == LINK_FREE)
			l = &u->links[i];
	if (!l) {
		note(u, LOG_ERR, "more than %d pads: one ignored", USB_MAX_LINKS);
		return 0;
	}
	*l = (struct usb_link){.u = u, .state = LINK_OPENING, .dev = libusb_ref_device(dev)};
	if (sd_event_add_defer(u->event, &l->open_src, on_deferred_open, l) < 0)
		link_free(l);
	return 0;
}

int usb_start(sd_event *ev, const struct usb_callbacks *cb, struct usb **out, char *err, size_t errlen)
{
	struct usb *u = calloc(1, sizeof *u);
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	u->event = ev;
	u->cb = *cb;
	*out = u;
	int rc = libusb_init(&u->ctx);
	if (rc != 0) {
		u->ctx = NULL;
		snprintf(err, errlen, "libusb: %s", libusb_error_name(rc));
		return -1;
	}
	if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
		snprintf(err, errlen, "libusb has no hot-plug support here");
		return -1;
	}
	libusb_set_pollfd_notifiers(u->ctx, fd_added, fd_removed, u);
	const struct libusb_pollfd **fds = libusb_get_pollfds(u->ctx);
	for (int i = 0; fds && fds[i]; i++)
		fd_added(fds[i]->fd, fds[i]->events, u);
	libusb_free_pollfds(fds);
	rc = libusb_hotplug_register_callback(u->ctx,
					      LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
					      LIBUSB_HOTPLUG_ENUMERATE, TP_USB_VID, TP_USB_PID,
					      LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, u, &u->hotplug);
	if (rc != 0) {
		snprintf(err, errlen, "libusb hot-plug: %s", libusb_error_name(rc));
		return -1;
	}
	u->hotplug_registered = true;
	return 0;
}

void usb_stop(struct usb *u)
{
	if (!u)
		return;
	if (u->ctx) {
		u->stopping = true;
		if (u->hotplug_registered)
			libusb_hotplug_deregister_callback(u->ctx, u->hotplug);
		/* cancel, then let libusb complete what was in flight (as
		 * libusb's own examples do at exit): outside any callback */
		int busy = 0;
		for (int i = 0; i < USB_MAX_LINKS; i++) {
			cancel_all(&u->links[i]);
			busy += u->links[i].live + u->links[i].sends;
		}
		struct timeval tv = {0, 100000};
		for (int n = 0; busy > 0 && n < 20; n++) {
			libusb_handle_events_timeout_completed(u->ctx, &tv, NULL);
			busy = 0;
			for (int i = 0; i < USB_MAX_LINKS; i++)
				busy += u->links[i].live + u->links[i].sends;
		}
		for (int i = 0; i < USB_MAX_LINKS; i++)
			if (u->links[i].state != LINK_FREE)
				link_free(&u->links[i]);
		libusb_exit(u->ctx);
	}
	for (size_t i = 0; i < sizeof u->fds / sizeof u->fds[0]; i++)
		u->fds[i].src = sd_event_source_disable_unref(u->fds[i].src);
	free(u);
}
