/* SPDX-License-Identifier: MIT */
/* What the daemon and its pads are doing: version, status, devices, and
 * the subscription to a stream of it. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "io/clock.h"
#include "socket/handlers.h"
#include "socket/views.h"
#include "store/session_log.h"

void handle_version(struct api_client *c, const struct request *r)
{
	const struct server_env *env = &c->srv->env;
	json_t *rep = server_reply(r->id, true);
	json_object_set_new(rep, "daemon", json_pack("{s:s, s:i, s:i, s:f}", "version", THERMOPAD_VERSION, "api",
						     API_VERSION, "protocol", TP_PROTO_VERSION, "time_scale",
						     env->clock->scale));
	server_send(c, rep);
}

void handle_subscribe(struct api_client *c, const struct request *r)
{
	if (c->reserved) {
		server_error(c, r->id, API_ERR_BUSY,
			     "every slot for subscribers is taken (max_clients %u); this connection is kept for control",
			     c->srv->env.cfg->max_clients);
		return;
	}
	c->subscribed = true;
	c->sub_period = 1.0 / r->rate_hz;
	for (int i = 0; i < PAD_MAX; i++)
		c->sub_due[i] = 0.0;
	server_ok(c, r->id);
}

/* status and devices */
void handle_status(struct api_client *c, const struct request *r)
{
	const struct server_env *env = &c->srv->env;
	json_t *rep = server_reply(r->id, true), *pads = json_array();
	for (int i = 0; i < PAD_MAX; i++) {
		const struct pad_slot *p = &env->pads->slots[i];
		if (!p->used || !p->serial[0] || (r->pad && strcmp(r->pad, p->serial)))
			continue;
		json_t *pj = view_pad(p, env->log ? session_log_path(env->log, p) : NULL);
		const struct plan_run *run = pad_plan(p);
		if (run) /* the steps as they run, for a timeline */
			json_object_set_new(pj, "plan", view_plan_run(run));
		json_array_append_new(pads, pj);
	}
	json_object_set_new(rep, "pads", pads);
	const struct clock_lateness *t = env->ticks;
	json_object_set_new(rep, "ticks",
			    json_pack("{s:I, s:I, s:f, s:f, s:I, s:f}", "count", (json_int_t)t->count, "late_2ms",
				      (json_int_t)t->late_2ms, "late_max_ms", t->max_ms, "late_p99_ms",
				      clock_lateness_p99(t), "skipped", (json_int_t)t->skipped, "client_slice_cpu_max_ms",
				      c->srv->slice_cpu_max_s * 1000.0));
	struct mallinfo2 mi = mallinfo2();
	json_t *d = json_pack("{s:I, s:i, s:f}", "heap_bytes", (json_int_t)mi.uordblks, "clients", c->srv->nclients,
			      "uptime_s", clock_wall() - env->clock->start_wall);
	/* where the session logs go, as the daemon (their writer) sees it */
	const char *state = env->sessions ? env->sessions->state_dir : NULL;
	if (state) {
		/* made with the first session: until then, judged by the folder
		 * it will be made in */
		char where[512];
		snprintf(where, sizeof where, "%s", state);
		if (access(where, F_OK) != 0 && strrchr(where, '/'))
			*(strrchr(where, '/') == where ? where + 1 : strrchr(where, '/')) = '\0';
		struct statvfs vfs;
		json_object_set_new(d, "state_dir", json_string(state));
		json_object_set_new(d, "state_writable", json_boolean(access(where, W_OK) == 0));
		if (statvfs(where, &vfs) == 0)
			json_object_set_new(d, "state_free_bytes",
					    json_integer((json_int_t)vfs.f_bavail * (json_int_t)vfs.f_frsize));
	}
	json_object_set_new(rep, "daemon", d);
	server_send(c, rep);
}
