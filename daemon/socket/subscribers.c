/* SPDX-License-Identifier: MIT */
/* Subscribers (subscribers.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "socket/handlers.h"
#include "socket/server.h"
#include "socket/subscribers.h"
#include "socket/views.h"
#include "store/session_log.h"

bool subscribers_due(double *due, double period_s, double now)
{
	/* judged by the gap since the last line, arrival jitter dropped a
	 * third of the lines at 10 Hz */
	const double early = 0.05; /* half the firmware's report period */
	if (now < *due - fmin(early, period_s / 2))
		return false;
	*due = *due + period_s < now ? now + period_s : *due + period_s;
	return true;
}

static void telemetry(struct server *srv, const struct pad_slot *p, double now)
{
	size_t slot = (size_t)(p - p->table->slots);
	char *text = NULL; /* the same line for all: made once, when first due */
	size_t n = 0;
	for (struct api_client *c = srv->clients, *next; c; c = next) {
		next = c->next;
		if (!c->subscribed || c->closing || !subscribers_due(&c->sub_due[slot], c->sub_period, now))
			continue;
		if (!text) {
			json_t *m = json_pack("{s:i, s:s, s:f}", "v", API_VERSION, "event", "telemetry", "t", now);
			if (m)
				json_object_set_new(m, "pad",
						    view_pad(p, srv->env.log ? session_log_path(srv->env.log, p) : NULL));
			text = m ? json_dumps(m, JSON_COMPACT) : NULL;
			json_decref(m);
			if (!text)
				return; /* a line is skipped, the subscribers stay */
			n = strlen(text);
		}
		if (!server_send_stream_text(c, text, n))
			server_drop(c);
	}
	free(text);
}

static void event(struct server *srv, const struct pad_slot *p, const struct core_event *e)
{
	static const char *const sev[] = {"info", "warning", "fault"};
	for (struct api_client *c = srv->clients, *next; c; c = next) {
		next = c->next;
		if (!c->subscribed || c->closing)
			continue;
		if (!server_send_stream(c, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "v", API_VERSION, "event", "event", "pad",
					      p->serial, "severity", sev[e->severity], "code", e->code, "message",
					      e->message)))
			server_drop(c);
	}
}

static void on_event(void *ctx, const struct pad_slot *p, const struct pad_event *e)
{
	if (e->kind == PAD_SAMPLE)
		telemetry(ctx, p, e->t);
	else if (e->kind == PAD_CORE_EVENT) {
		event(ctx, p, e->core);
		handle_clear_judged(ctx, p, e->core);
	}
}

struct pad_sink subscribers_sink(struct server *srv)
{
	return (struct pad_sink){.ctx = srv, .on_event = on_event};
}
