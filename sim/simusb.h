/* SPDX-License-Identifier: MIT */
/*
 * The simulated pads as USB devices: a umockdev testbed in which each pad
 * is a device node whose usbdevfs ioctls are answered by the firmware core,
 * while the physics runs in model time on a thread of its own. A program
 * under test (spawned into the testbed, or in this very process) reaches
 * the pads through the real libusb, exactly as it would reach hardware.
 */
#ifndef THERMOPAD_SIMUSB_H
#define THERMOPAD_SIMUSB_H

#include <stdbool.h>
#include <stddef.h>

#include "exposure.h"
#include "pad.h"

#define SIMUSB_MAX_PADS 8

struct simusb_opts {
	struct model_params model;
	double time_scale; /* model seconds per wall second */
	int pads; /* how many, 1..SIMUSB_MAX_PADS */
	const char *serials[SIMUSB_MAX_PADS]; /* NULL: TP-SIM-0001 ... */
	double start_plate_c; /* plate temperature at start (skin, 32 C) */
	unsigned long long seed;
	/* At a time scale, how long (wall seconds) model time may stand still
	 * for a host that is late with its commands; 0: never (see physics()) */
	double host_wait_s;
};

struct simusb;

void simusb_opts_default(struct simusb_opts *o);

/* Creates the testbed (the caller has set LD_PRELOAD beforehand when it
 * will spawn a program into it), plugs the pads in, starts model time. */
int simusb_start(const struct simusb_opts *o, struct simusb **out, char *err, size_t errlen);
void simusb_stop(struct simusb *s);

/* The UMockdevTestbed itself, for a test that adds devices of its own. */
void *simusb_testbed(struct simusb *s);
/* The testbed's root directory (exported as UMOCKDEV_DIR to children). */
const char *simusb_root(const struct simusb *s);
int simusb_pad_count(const struct simusb *s);
const char *simusb_serial(const struct simusb *s, int index);
/* index of the pad with that serial, the only pad when serial is NULL and
 * there is one, or -1 */
int simusb_find(const struct simusb *s, const char *serial);

/* What the skin got since the last mark (mark: start a new one now). */
void simusb_exposure(struct simusb *s, int index, bool mark, struct exposure *out);

/* Any fault of the grammar in faults.h, physical or USB-level. */
int simusb_inject(struct simusb *s, int index, const struct pad_fault *f, char *err, size_t errlen);
void simusb_truth(struct simusb *s, int index, struct pad_truth *t, bool *plugged);
double simusb_model_time(struct simusb *s);
/* Model time stands still while held (for every pad and the published
 * clock), as it does for a late host; released, it runs on from there. */
void simusb_hold(struct simusb *s, bool held);
/* The GPIO interlock's relay, one for every pad: a test that hosts an
 * emulated GPIO chip beside the pads links its relay line here, so that an
 * open relay cuts the pads' supply as the wiring of docs/gpio.md does. */
void simusb_set_relay(struct simusb *s, bool closed);
/* A file holding model time in milliseconds (a uint64_t, updated in
 * place), so that a program under test can run on the pads' clock
 * (exported as TP_SIM_CLOCK). */
const char *simusb_clock_path(const struct simusb *s);
/* Wall seconds model time stood still for a late host, and how often. */
void simusb_host_waits(struct simusb *s, double *stood_s, unsigned *times, unsigned *given_up);

#endif
