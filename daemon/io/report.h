/* SPDX-License-Identifier: MIT */
/*
 * The one place that decides how the daemon's messages are reported: the
 * journal with structured fields under systemd, else stderr with a syslog
 * priority prefix ("<3>..."). Priorities are syslog's names (LOG_ERR ...).
 */
#ifndef THERMOPAD_IO_REPORT_H
#define THERMOPAD_IO_REPORT_H

#include <syslog.h>

struct report_fields {
	const char *pad, *session, *event, *fault;
};

/* Decides once, before the loop starts, whether stderr is the journal. */
void report_init(void);
void report_event(int priority, const struct report_fields *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
