/* SPDX-License-Identifier: MIT */
/*
 * The one place that decides how the daemon's messages are reported.
 * Under systemd (stderr is the journal's stream, JOURNAL_STREAM says so)
 * an event goes to the journal with structured fields that a person can
 * filter on (journalctl THERMOPAD_PAD=... THERMOPAD_FAULT=...); elsewhere
 * to stderr with a syslog priority prefix.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "io/report.h"

static bool to_journal; /* decided once, before the loop starts */

void report_init(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	to_journal = stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
		     (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void journal_send(int priority, const struct report_fields *f, const char *msg)
{
	char buf[8][700];
	struct iovec iov[8];
	int n = 0;
#define FIELD(...)                                                                   \
	do {                                                                         \
		int len_ = snprintf(buf[n], sizeof buf[n], __VA_ARGS__);             \
		iov[n].iov_base = buf[n];                                            \
		iov[n].iov_len = len_ < (int)sizeof buf[n] ? (size_t)len_ : sizeof buf[n] - 1; \
		n++;                                                                 \
	} while (0)
	FIELD("MESSAGE=%s", msg);
	FIELD("PRIORITY=%d", priority);
	FIELD("SYSLOG_IDENTIFIER=thermopadd");
	if (f && f->pad)
		FIELD("THERMOPAD_PAD=%s", f->pad);
	if (f && f->session && f->session[0])
		FIELD("THERMOPAD_SESSION=%s", f->session);
	if (f && f->event)
		FIELD("THERMOPAD_EVENT=%s", f->event);
	if (f && f->fault)
		FIELD("THERMOPAD_FAULT=%s", f->fault);
#undef FIELD
	if (sd_journal_sendv(iov, n) < 0) /* the journal is gone: stderr still is */
		fprintf(stderr, "<%d>%s\n", priority, msg);
}

void report_event(int priority, const struct report_fields *f, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (to_journal)
		journal_send(priority, f, msg);
	else
		fprintf(stderr, "<%d>%s\n", priority, msg);
}

void report_log(int priority, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report_event(priority, NULL, "%s", msg);
}
