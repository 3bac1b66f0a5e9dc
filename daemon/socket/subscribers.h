/* SPDX-License-Identifier: MIT */
/*
 * Subscribers, a sink of the pads' events: a telemetry line per pad at
 * each subscriber's rate, and every event of the core as it happens.
 */
#ifndef THERMOPAD_SOCKET_SUBSCRIBERS_H
#define THERMOPAD_SOCKET_SUBSCRIBERS_H

#include <stdbool.h>

#include "pad/pad.h"

struct server;

struct pad_sink subscribers_sink(struct server *srv);
/* The schedule: is a line due now, for a subscriber whose next line was
 * due at *due with this period? Updates *due when it is. Lines are due on
 * a fixed schedule, and a report that arrives up to half a report period
 * early still counts for its slot. */
bool subscribers_due(double *due, double period_s, double now);

#endif
