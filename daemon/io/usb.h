/* SPDX-License-Identifier: MIT */
/*
 * The pads over libusb: the only file that knows libusb. Hot-plug, opening
 * a pad (from a deferred event, never inside libusb's callbacks),
 * PAD_TRANSFERS telemetry transfers always queued, SET_OUTPUT as
 * asynchronous control transfers, and libusb's descriptors in the sd-event
 * loop. It reports through the callbacks it is given, about links (one
 * opened pad each): it knows nothing of the daemon or of what a pad does.
 */
#ifndef THERMOPAD_IO_USB_H
#define THERMOPAD_IO_USB_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "thermopad_proto.h"

/* Telemetry transfers kept queued per pad: a report finds a transfer
 * waiting even when the loop is late by several report periods. (With 2,
 * two simulated pads at a time scale of 40 tripped stale-telemetry in 4
 * runs of 5; with 8, in none of 6.) */
#define PAD_TRANSFERS 8
#define USB_MAX_LINKS 8

struct usb;
struct usb_link;

struct usb_callbacks {
	void *ctx;
	/* A pad answered GET_INFO. Return what the link's later callbacks
	 * get as their user pointer, or NULL to refuse the pad (with why in
	 * err; the open is tried again a few times, then given up). The link
	 * may be used (usb_set_limits ...) from inside this call. */
	void *(*arrived)(void *ctx, struct usb_link *link, const struct tp_info *info, char *err, size_t errlen);
	/* A telemetry frame, decoded. */
	void (*frame)(void *ctx, void *user, const struct tp_telemetry *t);
	/* A frame that does not decode. */
	void (*refused)(void *ctx, void *user, enum proto_err e, int length);
	/* The pad left: the link is gone once this returns (its transfers
	 * are cancelled and completed by the loop, then it is freed). */
	void (*departed)(void *ctx, void *user);
	/* The adapter's own trouble, in words (a pad that cannot be opened,
	 * too many descriptors); priority is syslog's. */
	void (*note)(void *ctx, int priority, const char *message);
};

int usb_start(sd_event *ev, const struct usb_callbacks *cb, struct usb **out, char *err, size_t errlen);
/* Cancels every transfer and waits (bounded) for them to complete, outside
 * any callback; then closes every link and libusb. NULL is fine. */
void usb_stop(struct usb *u);
/* Handles what libusb has completed, without waiting. */
void usb_pump(struct usb *u);

/* SET_OUTPUT, asynchronous. Returns 0 when submitted, else a libusb error
 * (negative): the caller decides how to report it. */
int usb_send_drive(struct usb_link *l, const struct tp_set_output *cmd);
/* SET_OUTPUT, synchronous (the last zero on exit). */
int usb_send_drive_now(struct usb_link *l, const struct tp_set_output *cmd);
int usb_clear_faults(struct usb_link *l);
int usb_set_limits(struct usb_link *l, const struct tp_set_limits *lim);
int usb_set_watchdog(struct usb_link *l, const struct tp_set_watchdog *wd);
/* After a firmware boot: limits, watchdog, then the acknowledgement (a
 * CLEAR_FAULTS that clears nothing), queued in that order, asynchronously:
 * it is called from a telemetry callback, where nothing may block. */
int usb_acknowledge_boot(struct usb_link *l, const struct tp_set_limits *lim, const struct tp_set_watchdog *wd);
const char *usb_strerror(int rc);

#endif
