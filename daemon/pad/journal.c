/* SPDX-License-Identifier: MIT */
/* The pads' events in words (journal.h). */
#include "io/report.h"
#include "pad/journal.h"

int journal_priority(enum core_severity severity)
{
	switch (severity) {
	case CORE_FAULT: return LOG_CRIT;
	case CORE_WARNING: return LOG_WARNING;
	case CORE_INFO: return LOG_INFO;
	}
	return LOG_CRIT; /* not a severity the core has: as loud as a fault */
}

static const char *session_of(const struct pad_slot *p)
{
	return p->session_name[0] ? p->session_name : "-";
}

static void on_event(void *ctx, const struct pad_slot *p, const struct pad_event *e)
{
	(void)ctx;
	struct report_fields f = {.pad = p->serial, .session = p->session_name};
	switch (e->kind) {
	case PAD_ARRIVED:
		f.event = "arrival";
		report_event(LOG_NOTICE, &f, "pad %s ready (firmware %u.%u.%u%s)", p->serial, p->info.fw_major,
			     p->info.fw_minor, p->info.fw_patch,
			     p->info.capabilities & TP_CAP_SIMULATED ? ", simulated" : "");
		return;
	case PAD_DEPARTED:
		f.event = "departure";
		report_event(LOG_ERR, &f, "pad %s: disconnected", p->serial);
		return;
	case PAD_CORE_EVENT:
		f.event = e->core->code;
		f.fault = e->core->severity == CORE_FAULT ? e->core->code : NULL;
		report_event(journal_priority(e->core->severity), &f, "pad %s session %s: %s", p->serial, session_of(p),
			     e->core->message);
		return;
	case PAD_SESSION_STARTED:
		f.event = "start";
		report_event(LOG_NOTICE, &f, "pad %s: session %s started, profile %s", p->serial, p->session_name,
			     e->text);
		return;
	case PAD_REQUEST_DONE:
		f.event = e->text;
		report_event(LOG_NOTICE, &f, "pad %s: %s", p->serial, e->text);
		return;
	case PAD_FRAMES_LOST:
		report_log(LOG_WARNING, "pad %s: %ld telemetry report(s) lost", p->serial, e->count);
		return;
	case PAD_FRAME_REPEATED:
		if (e->count <= 20)
			report_log(LOG_WARNING, "pad %s: a report that did not advance (sequence or device time) dropped",
				   p->serial);
		return;
	case PAD_RESET:
		f.event = "pad-reset";
		report_event(LOG_ERR, &f, "pad %s: %s; its limits and watchdog are sent again", p->serial, e->text);
		return;
	case PAD_FRAME_REFUSED:
		if (p->rejected <= 20) /* a pad that sends garbage does not flood the journal */
			report_log(LOG_WARNING, "pad %s: telemetry frame refused: %s (%ld bytes)", p->serial, e->text,
				   e->count);
		return;
	case PAD_SEND_FAILED:
		if (e->count <= 5 || e->count % 100 == 0)
			report_log(LOG_ERR, "pad %s: a drive command could not be sent (%s; %ld so far)", p->serial,
				   e->text, e->count);
		return;
	case PAD_ZEROED_ON_EXIT:
		report_log(e->count < 0 ? LOG_ERR : LOG_INFO, "pad %s: drive zero on exit%s%s", p->serial,
			   e->count < 0 ? ": " : "", e->count < 0 && e->text ? e->text : "");
		return;
	case PAD_SAMPLE:
	case PAD_SESSION_ENDED:
	case PAD_EVENT_KINDS: return; /* the log's and the subscribers' business */
	}
}

struct pad_sink journal_sink(void)
{
	return (struct pad_sink){.on_event = on_event};
}
