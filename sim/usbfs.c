/* SPDX-License-Identifier: MIT */
/*
 * usbdevfs as the kernel would answer it for one pad: URBs are queued per
 * endpoint, interrupt-IN URBs complete only when the firmware has a report,
 * REAPURBNDELAY says EAGAIN while nothing is done, DISCARDURB cancels, and
 * an unplugged device answers ENODEV. The client's URB struct and buffer are
 * written back when it reaps, as the kernel copies them out at that moment.
 */
#include "usbfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usbdevice_fs.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usb_descriptors.h"

struct urb {
	struct urb *next;
	UMockdevIoctlClient *client; /* the fd that submitted it */
	UMockdevIoctlData *urb_data; /* the client's struct usbdevfs_urb */
	UMockdevIoctlData *buf_data; /* its buffer, NULL when empty */
	struct usbdevfs_urb *u; /* == urb_data->data */
};

static void urb_free(struct urb *r)
{
	if (r->buf_data)
		g_object_unref(r->buf_data);
	g_object_unref(r->urb_data);
	g_object_unref(r->client);
	g_free(r);
}

static void append(struct urb **list, struct urb *r)
{
	r->next = NULL;
	while (*list)
		list = &(*list)->next;
	*list = r;
}

/* ---- readiness: the FIFO holds one byte exactly while a URB is reapable */

static bool reapable(struct usbfs_dev *d)
{
	return d->completed != NULL || d->gone;
}

static void update_ready(struct usbfs_dev *d)
{
	bool want = reapable(d);
	char byte = 1;
	if (d->ready_fd < 0 || want == d->ready_signalled)
		return;
	if (want ? write(d->ready_fd, &byte, 1) == 1 : read(d->ready_fd, &byte, 1) == 1)
		d->ready_signalled = want;
}

static void complete_urb(struct usbfs_dev *d, struct urb *r, int status, int actual)
{
	r->u->status = status;
	r->u->actual_length = actual;
	append(&d->completed, r);
	update_ready(d);
	if (d->blocked_reaper) {
		/* a blocking REAPURB waits: it will pick this one up by retrying */
		UMockdevIoctlClient *c = d->blocked_reaper;
		d->blocked_reaper = NULL;
		umockdev_ioctl_client_complete(c, -1, EINTR);
		g_object_unref(c);
	}
}

/* ---- control requests ---------------------------------------------------- */

/* Returns the IN length, 0 for OUT, or -EPIPE for a STALL. */
static int control(struct usbfs_dev *d, const uint8_t *setup, uint8_t *data)
{
	uint8_t type = setup[0], req = setup[1];
	uint16_t value = (uint16_t)(setup[2] | setup[3] << 8);
	uint16_t index = (uint16_t)(setup[4] | setup[5] << 8);
	uint16_t length = (uint16_t)(setup[6] | setup[7] << 8);
	uint8_t buf[256];
	size_t n = 0;

	if ((type & USB_TYPE_MASK) == USB_TYPE_STANDARD) {
		switch (req) {
		case USB_REQ_GET_DESCRIPTOR:
			if (value >> 8 == USB_DT_DEVICE)
				n = usbdesc_device(buf, sizeof buf, d->pad->fw.cfg.fw_major, d->pad->fw.cfg.fw_minor);
			else if (value >> 8 == USB_DT_CONFIG)
				n = usbdesc_config(buf, sizeof buf);
			else if (value >> 8 == USB_DT_STRING)
				n = usbdesc_string((uint8_t)value, d->serial, buf, sizeof buf);
			if (!n)
				return -EPIPE;
			break;
		case USB_REQ_GET_STATUS: buf[0] = buf[1] = 0; n = 2; break;
		case USB_REQ_GET_CONFIGURATION: buf[0] = 1; n = 1; break;
		case USB_REQ_SET_CONFIGURATION:
		case USB_REQ_SET_INTERFACE:
		case USB_REQ_CLEAR_FEATURE: return 0;
		default: return -EPIPE;
		}
		if (n > length)
			n = length;
		memcpy(data, buf, n);
		return (int)n;
	}
	if ((type & USB_TYPE_MASK) != USB_TYPE_VENDOR || (type & USB_RECIP_MASK) != USB_RECIP_INTERFACE ||
	    index != TP_USB_INTERFACE)
		return -EPIPE;
	if (type & USB_DIR_IN) {
		int got = pad_control_in(d->pad, req, data, length);
		return got < 0 ? -EPIPE : got;
	}
	return pad_control_out(d->pad, req, data, length) < 0 ? -EPIPE : 0;
}

/* ---- ioctls ------------------------------------------------------------ */

static void *arg_struct(UMockdevIoctlClient *client, size_t size, UMockdevIoctlData **out)
{
	GError *error = NULL;
	UMockdevIoctlData *d = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0, size, &error);
	g_clear_error(&error);
	if (out)
		*out = d;
	return d ? d->data : NULL;
}

static int submit(struct usbfs_dev *d, UMockdevIoctlClient *client)
{
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	UMockdevIoctlData *urb_data;
	struct usbdevfs_urb *u = arg_struct(client, sizeof *u, &urb_data);
	GError *error = NULL;
	if (!u)
		return EFAULT;
	if (u->buffer_length < 0 || u->buffer_length > 4096)
		return EINVAL;
	UMockdevIoctlData *buf_data = NULL;
	if (u->buffer_length > 0) {
		buf_data = umockdev_ioctl_data_resolve(urb_data, offsetof(struct usbdevfs_urb, buffer),
						       (gsize)u->buffer_length, &error);
		g_clear_error(&error);
		if (!buf_data)
			return EFAULT;
	}
	(void)arg;
	struct urb *r = g_new0(struct urb, 1);
	r->client = g_object_ref(client);
	r->urb_data = g_object_ref(urb_data);
	r->buf_data = buf_data ? g_object_ref(buf_data) : NULL;
	r->u = u;

	if (u->type == USBDEVFS_URB_TYPE_CONTROL && u->endpoint == 0) {
		if (u->buffer_length < 8) {
			urb_free(r);
			return EINVAL;
		}
		uint8_t *b = buf_data->data;
		int rc = control(d, b, b + 8);
		complete_urb(d, r, rc < 0 ? rc : 0, rc < 0 ? 0 : rc);
		return 0;
	}
	if (u->type == USBDEVFS_URB_TYPE_INTERRUPT && u->endpoint == TP_EP_TELEMETRY) {
		append(&d->pending, r);
		return 0;
	}
	urb_free(r);
	return ENOENT; /* no such endpoint on this device */
}

static int discard(struct usbfs_dev *d, UMockdevIoctlClient *client)
{
	gulong addr = *(gulong *)umockdev_ioctl_client_get_arg(client)->data;
	for (struct urb **p = &d->pending; *p; p = &(*p)->next) {
		struct urb *r = *p;
		if (r->client == client && r->urb_data->client_addr == addr) {
			*p = r->next;
			complete_urb(d, r, -ENOENT, 0);
			return 0;
		}
	}
	return EINVAL; /* already completed, as the kernel says */
}

/* Drop URBs of clients that went away: nobody will ever reap them. */
static void purge_disconnected(struct urb **list)
{
	while (*list) {
		struct urb *r = *list;
		if (!umockdev_ioctl_client_get_connected(r->client)) {
			*list = r->next;
			urb_free(r);
		} else {
			list = &r->next;
		}
	}
}

static int reap(struct usbfs_dev *d, UMockdevIoctlClient *client, bool block, bool *deferred)
{
	purge_disconnected(&d->completed);
	struct urb **p = &d->completed;
	while (*p && (*p)->client != client)
		p = &(*p)->next;
	if (!*p) {
		update_ready(d);
		if (d->gone)
			return ENODEV;
		if (block && !d->blocked_reaper) {
			d->blocked_reaper = g_object_ref(client);
			*deferred = true;
			return 0;
		}
		d->reap_eagain++;
		return EAGAIN;
	}
	struct urb *r = *p;
	*p = r->next;
	update_ready(d);
	GError *error = NULL;
	UMockdevIoctlData *slot =
		umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0, sizeof(void *), &error);
	g_clear_error(&error);
	if (!slot) {
		urb_free(r);
		return EFAULT;
	}
	/* the slot now points at the URB: completing the ioctl writes the URB
	 * struct (status, length) and its buffer back to the client */
	umockdev_ioctl_data_set_ptr(slot, 0, r->urb_data);
	urb_free(r);
	return 0;
}

/* Fetches every piece of the client's memory that the request will read,
 * before the pad's lock is taken. Fetching is a round trip to the client: a
 * client stopped in the middle of its ioctl (SIGSTOP, a debugger) never
 * answers, and with the lock held that froze the pad's model time and its
 * `truth` for every other client. umockdev keeps what was fetched, so the
 * handlers below find it without asking again. */
static void fetch_args(UMockdevIoctlClient *client, gulong request)
{
	UMockdevIoctlData *top;
	GError *error = NULL;
	switch (request) {
	case USBDEVFS_GET_CAPABILITIES: arg_struct(client, sizeof(uint32_t), NULL); break;
	case USBDEVFS_CLAIMINTERFACE:
	case USBDEVFS_RELEASEINTERFACE: arg_struct(client, sizeof(unsigned int), NULL); break;
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY: arg_struct(client, sizeof(void *), NULL); break;
	case USBDEVFS_SUBMITURB: {
		struct usbdevfs_urb *u = arg_struct(client, sizeof *u, &top);
		if (u && u->buffer_length > 0 && u->buffer_length <= 4096)
			umockdev_ioctl_data_resolve(top, offsetof(struct usbdevfs_urb, buffer),
						    (gsize)u->buffer_length, &error);
		break;
	}
	case USBDEVFS_CONTROL: {
		struct usbdevfs_ctrltransfer *ct = arg_struct(client, sizeof *ct, &top);
		if (ct && ct->wLength)
			umockdev_ioctl_data_resolve(top, offsetof(struct usbdevfs_ctrltransfer, data),
						    ct->wLength, &error);
		break;
	}
	default: break; /* nothing to fetch: the handler reads no client memory */
	}
	g_clear_error(&error);
}

static gboolean on_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *client, gpointer user)
{
	struct usbfs_dev *d = user;
	gulong request = umockdev_ioctl_client_get_request(client);
	int err = 0;
	long result = 0;
	bool deferred = false;
	(void)base;

	fetch_args(client, request);
	pthread_mutex_lock(d->lock);
	if (d->gone) {
		if (request == USBDEVFS_REAPURBNDELAY || request == USBDEVFS_REAPURB)
			err = reap(d, client, false, &deferred);
		else
			err = ENODEV;
		goto done;
	}
	switch (request) {
	case USBDEVFS_GET_CAPABILITIES: {
		uint32_t *caps = arg_struct(client, sizeof *caps, NULL);
		if (caps)
			*caps = USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
				USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
		else
			err = EFAULT;
		break;
	}
	case USBDEVFS_CLAIMINTERFACE:
	case USBDEVFS_RELEASEINTERFACE: {
		unsigned int *iface = arg_struct(client, sizeof *iface, NULL);
		if (!iface)
			err = EFAULT;
		else if (*iface != TP_USB_INTERFACE)
			err = EINVAL;
		break;
	}
	case USBDEVFS_DISCONNECT_CLAIM:
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_RESET:
	case USBDEVFS_CLEAR_HALT:
		break;
	case USBDEVFS_GETDRIVER:
	case USBDEVFS_IOCTL: err = ENODATA; break; /* no kernel driver bound */
	case USBDEVFS_GET_SPEED: result = 2; break; /* USB_SPEED_FULL */
	case USBDEVFS_SUBMITURB: d->submitted++; err = submit(d, client); break;
	case USBDEVFS_DISCARDURB: err = discard(d, client); break;
	case USBDEVFS_REAPURBNDELAY: err = reap(d, client, false, &deferred); break;
	case USBDEVFS_REAPURB: err = reap(d, client, true, &deferred); break;
	case USBDEVFS_CONTROL: {
		d->submitted++;
		UMockdevIoctlData *ct_data;
		struct usbdevfs_ctrltransfer *ct = arg_struct(client, sizeof *ct, &ct_data);
		if (!ct) {
			err = EFAULT;
			break;
		}
		uint8_t setup[8] = {ct->bRequestType, ct->bRequest, (uint8_t)ct->wValue, (uint8_t)(ct->wValue >> 8),
				    (uint8_t)ct->wIndex, (uint8_t)(ct->wIndex >> 8), (uint8_t)ct->wLength,
				    (uint8_t)(ct->wLength >> 8)};
		uint8_t scratch[256] = {0};
		uint8_t *data = scratch;
		if (ct->wLength) {
			GError *error = NULL;
			UMockdevIoctlData *dd = umockdev_ioctl_data_resolve(
				ct_data, offsetof(struct usbdevfs_ctrltransfer, data), ct->wLength, &error);
			g_clear_error(&error);
			if (!dd) {
				err = EFAULT;
				break;
			}
			data = dd->data;
		}
		int rc = control(d, setup, data);
		if (rc < 0)
			err = -rc;
		else
			result = rc;
		break;
	}
	default:
		err = ENOTTY;
		break;
	}
done:
	pthread_mutex_unlock(d->lock);
	if (!deferred)
		umockdev_ioctl_client_complete(client, err ? -1 : result, err);
	return TRUE;
}

/* ---- reports ------------------------------------------------------------- */

/* Corruptions a real bus or a buggy firmware could produce, in turn. */
static int corrupt(struct usbfs_dev *d, uint8_t *buf, int len)
{
	switch (d->malformed_kind++ % 5) {
	case 0: buf[0] = TP_PROTO_VERSION + 1; return len; /* unknown version */
	case 1: buf[2] = (uint8_t)(len + 4); return len; /* length field wrong */
	case 2: return len / 2; /* truncated */
	case 3: buf[31] = 0x5a; return len; /* reserved byte set */
	default: buf[1] = 0x7f; return len; /* wrong type */
	}
}

void usbfs_dev_deliver(struct usbfs_dev *d, uint32_t model_ms)
{
	uint8_t report[TP_FRAME_MAX_LEN];
	if (d->gone)
		return;
	purge_disconnected(&d->pending);
	if ((int32_t)(d->stall_until_ms - model_ms) > 0) {
		/* a stalled endpoint: the firmware's reports go nowhere */
		if (pad_take_report(d->pad, report, sizeof report))
			d->reports_dropped++;
		return;
	}
	if (!d->pending)
		return; /* the report waits in the firmware (and may be overwritten) */
	int len = (int)pad_take_report(d->pad, report, sizeof report);
	if (!len)
		return;
	struct urb *r = d->pending;
	d->pending = r->next;
	if (d->replay_left > 0 && d->last_report_len > 0) {
		d->replay_left--;
		memcpy(report, d->last_report, (size_t)d->last_report_len);
		len = d->last_report_len;
	} else {
		memcpy(d->last_report, report, (size_t)len);
		d->last_report_len = len;
	}
	if (d->malformed_left > 0) {
		d->malformed_left--;
		len = corrupt(d, report, len);
	}
	if (len > r->u->buffer_length)
		len = r->u->buffer_length;
	memcpy(r->buf_data->data, report, (size_t)len);
	d->reports_delivered++;
	complete_urb(d, r, 0, len);
}

int usbfs_dev_unreaped(const struct usbfs_dev *d)
{
	int n = 0;
	for (const struct urb *r = d->completed; r; r = r->next)
		n += r->u->type == USBDEVFS_URB_TYPE_INTERRUPT && r->u->status == 0;
	return n;
}

void usbfs_dev_unplug(struct usbfs_dev *d)
{
	d->gone = true;
	while (d->pending) {
		struct urb *r = d->pending;
		d->pending = r->next;
		complete_urb(d, r, -ENODEV, 0);
	}
	update_ready(d);
	if (d->blocked_reaper) {
		umockdev_ioctl_client_complete(d->blocked_reaper, -1, ENODEV);
		g_object_unref(d->blocked_reaper);
		d->blocked_reaper = NULL;
	}
}

int usbfs_dev_init(struct usbfs_dev *d, const char *testbed_root, char *err, size_t errlen)
{
	snprintf(d->ready_path, sizeof d->ready_path, "%s/thermopad-ready", testbed_root);
	mkdir(d->ready_path, 0755);
	snprintf(d->ready_path, sizeof d->ready_path, "%s/thermopad-ready/%03d", testbed_root, d->devnum);
	unlink(d->ready_path);
	if (mkfifo(d->ready_path, 0644) != 0 ||
	    (d->ready_fd = open(d->ready_path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "readiness FIFO %s: %s", d->ready_path, strerror(errno));
		return -1;
	}
	d->handler = umockdev_ioctl_base_new();
	g_signal_connect(d->handler, "handle-ioctl", G_CALLBACK(on_ioctl), d);
	return 0;
}

void usbfs_dev_destroy(struct usbfs_dev *d)
{
	struct urb *lists[2] = {d->pending, d->completed};
	for (int i = 0; i < 2; i++)
		while (lists[i]) {
			struct urb *r = lists[i];
			lists[i] = r->next;
			urb_free(r);
		}
	d->pending = d->completed = NULL;
	if (d->blocked_reaper)
		g_object_unref(d->blocked_reaper);
	d->blocked_reaper = NULL;
	if (d->ready_fd >= 0)
		close(d->ready_fd);
	d->ready_fd = -1;
	unlink(d->ready_path);
	if (d->handler)
		g_object_unref(d->handler);
	d->handler = NULL;
}
