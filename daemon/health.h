/* SPDX-License-Identifier: MIT */
/*
 * What systemd is told, from the control tick. The watchdog is petted only
 * while the tick runs (it is calling this) and every pad on the bus keeps
 * reporting: a wedged loop or a wedged USB path gets the daemon restarted,
 * while a pad simply unplugged does not. STATUS= says what each pad does,
 * sent when it changes.
 */
#ifndef THERMOPAD_HEALTH_H
#define THERMOPAD_HEALTH_H

#include <stdint.h>

#include "pad/pad.h"

struct health {
	uint64_t watchdog_usec; /* systemd's WatchdogSec, 0 when off */
	double watchdog_last; /* wall time of the last pet */
	char status_line[200]; /* the last STATUS= sent */
};

void health_init(struct health *h);
/* The STATUS= line for these pads; true when every pad on the bus is
 * reporting. */
bool health_status_line(const struct pad_table *t, double now, char *line, size_t len);
void health_update(struct health *h, const struct pad_table *t, double now, double wall);

#endif
