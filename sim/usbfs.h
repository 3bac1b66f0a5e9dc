/* SPDX-License-Identifier: MIT */
/*
 * One plugged-in instance of a simulated pad on the emulated usbdevfs:
 * URB queues per client, control requests, and the readiness FIFO that the
 * poll shim (simpoll.c) turns into a truthful POLLOUT. Internal to sim/.
 */
#ifndef THERMOPAD_USBFS_H
#define THERMOPAD_USBFS_H

#include <pthread.h>
#include <stdbool.h>
#include <umockdev.h>

#include "pad.h"

struct urb;

struct usbfs_dev {
	struct pad *pad; /* owned by the caller, guarded by *lock */
	pthread_mutex_t *lock;
	const char *serial;
	int devnum;
	char devnode[64]; /* /dev/bus/usb/001/00N */
	char syspath[96];
	char ready_path[512];
	int ready_fd;
	bool ready_signalled;
	bool gone; /* unplugged: every ioctl answers ENODEV */
	UMockdevIoctlBase *handler;
	struct urb *pending; /* interrupt-IN URBs waiting for a report */
	struct urb *completed; /* waiting to be reaped */
	UMockdevIoctlClient *blocked_reaper; /* a blocking REAPURB */
	/* USB-level fault injection */
	uint32_t stall_until_ms;
	int malformed_left;
	int replay_left; /* reports replaced by the one before (an old frame again) */
	uint8_t last_report[TP_FRAME_MAX_LEN];
	int last_report_len;
	unsigned malformed_kind;
	/* URBs and control requests submitted by clients: a host's signs of
	 * life, for the clock that waits for a late one (simusb.c) */
	unsigned long submitted;
	/* counters for tests and benches */
	unsigned long reports_delivered, reports_dropped, reap_eagain;
};

/* Creates the readiness FIFO and connects the handler (not yet attached). */
int usbfs_dev_init(struct usbfs_dev *d, const char *testbed_root, char *err, size_t errlen);
/* Called with the lock held, after model time advanced: hand a due report
 * to a waiting interrupt URB, applying stall and corruption faults. */
void usbfs_dev_deliver(struct usbfs_dev *d, uint32_t model_ms);
/* Called with the lock held: reports delivered that no client has reaped. */
int usbfs_dev_unreaped(const struct usbfs_dev *d);
/* Called with the lock held: the device leaves the bus. */
void usbfs_dev_unplug(struct usbfs_dev *d);
/* Without the lock: drops queues, closes the FIFO, frees the handler. */
void usbfs_dev_destroy(struct usbfs_dev *d);

#endif
