/* SPDX-License-Identifier: MIT */
/*
 * The pads' events in words, for people: a sink that reports each one
 * through io/report.h (the journal, with THERMOPAD_* fields).
 */
#ifndef THERMOPAD_PAD_JOURNAL_H
#define THERMOPAD_PAD_JOURNAL_H

#include "pad/pad.h"

struct pad_sink journal_sink(void);
/* The syslog priority of a core event's severity. */
int journal_priority(enum core_severity severity);

#endif
