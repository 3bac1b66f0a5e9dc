/* SPDX-License-Identifier: MIT */
/* What the daemon and its pads are doing: version, status, devices, and
 * the subscription to a stream of it. */
#include <malloc.h>
#include <math.h>
#include <string.h>

#include "socket/server.h"

json_t *api_number(double v)
{
	return isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null();
}

json_t *api_pad_json(const struct pad_conn *p)
{
	struct core_status st;
	core_status(&p->core, &st);
	json_t *o = json_pack("{s:s, s:b, s:s, s:s?, s:o, s:o, s:o}", "serial", p->serial, "present", p->present,
			      "state", st.state_name, "profile", st.state == CORE_IDLE ? NULL : st.plan_name,
			      "estimate_c", api_number(st.estimate_c), "drive", api_number(st.drive), "dose_cem43_min",
			      api_number(st.dose_cem43_min));
	if (p->have_tel)
		json_object_set_new(o, "telemetry",
				    json_pack("{s:o, s:o, s:o, s:o, s:i, s:s}", "plate_a_c",
					      api_number(p->last.plate_a_cc == TP_TEMP_INVALID ? NAN : p->last.plate_a_cc / 100.0),
					      "plate_b_c",
					      api_number(p->last.plate_b_cc == TP_TEMP_INVALID ? NAN : p->last.plate_b_cc / 100.0),
					      "sink_c", api_number(p->last.sink_cc == TP_TEMP_INVALID ? NAN : p->last.sink_cc / 100.0),
					      "current_a", api_number(p->last.current_ma / 1000.0), "fw_faults", (int)p->last.faults,
					      "fw_state", proto_state_name(p->last.state)));
	json_object_set_new(o, "fault",
			    st.fault ? json_pack("{s:s, s:s}", "code", st.fault_code, "message", st.fault_message)
				     : json_null());
	if (st.phase_kind)
		json_object_set_new(o, "phase",
				    json_pack("{s:i, s:i, s:s, s:s, s:i, s:i, s:o, s:b, s:o, s:o, s:o}", "step", st.step,
					      "steps", st.nsteps, "kind", st.phase_kind, "name", st.phase_name, "cycle",
					      st.cycle, "cycles", st.ncycles, "target_c", api_number(st.target_c), "in_band",
					      st.in_band, "phase_left_s", api_number(st.phase_left_s), "session_left_s",
					      api_number(st.session_left_s), "elapsed_s", api_number(st.session_elapsed_s)));
	json_t *w = json_array();
	for (int i = 0; i < st.nwarnings; i++)
		json_array_append_new(w, json_string(st.warnings[i]));
	json_object_set_new(o, "warnings", w);
	json_object_set_new(o, "outcome", json_string(st.outcome));
	if (p->log_path[0])
		json_object_set_new(o, "log", json_string(p->log_path));
	return o;
}

/* The control tick's lateness: 99th percentile from the histogram. */
static double tick_late_p99(const struct daemon *d)
{
	unsigned long total = 0, seen = 0;
	for (int i = 0; i < 64; i++)
		total += d->tick_late_hist[i];
	for (int i = 0; i < 64; i++) {
		seen += d->tick_late_hist[i];
		if (total && seen * 100 >= total * 99)
			return (i + 1) / 10.0;
	}
	return 0.0;
}

void api_handle_status(struct api_client *c, const struct request *r)
{
	struct daemon *d = c->d;
	if (r->cmd == REQ_VERSION) {
		json_t *rep = api_reply(r->id, true);
		json_object_set_new(rep, "daemon", json_pack("{s:s, s:i, s:i, s:f}", "version", THERMOPAD_VERSION, "api",
							     API_VERSION, "protocol", TP_PROTO_VERSION, "time_scale",
							     d->opts.time_scale));
		api_send(c, rep);
		return;
	}
	if (r->cmd == REQ_SUBSCRIBE) {
		c->subscribed = true;
		c->sub_period = 1.0 / r->rate_hz;
		for (int i = 0; i < DAEMON_MAX_PADS; i++)
			c->sub_due[i] = 0.0;
		api_ok(c, r->id);
		return;
	}
	json_t *rep = api_reply(r->id, true), *pads = json_array();
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		const struct pad_conn *p = &d->pads[i];
		if (!p->used || !p->serial[0] || (r->pad && strcmp(r->pad, p->serial)))
			continue;
		json_t *pj = api_pad_json(p);
		json_object_set_new(pj, "frames", json_integer((json_int_t)p->frames));
		json_object_set_new(pj, "gaps", json_integer((json_int_t)p->gaps));
		json_object_set_new(pj, "rejected", json_integer((json_int_t)p->rejected));
		if (p->core.state != CORE_IDLE && p->core.state != CORE_TUNING) {
			/* the steps as they run, for a timeline */
			json_t *steps = json_array();
			for (int k = 0; k < p->core.run.nsteps; k++) {
				const struct phase *ph = &p->core.run.steps[k];
				json_array_append_new(steps, json_pack("{s:s, s:s, s:o, s:o}", "kind", plan_kind_name(ph->kind),
								       "name", ph->name, "target_c",
								       ph->kind == PHASE_OFF ? json_null() : api_number(ph->target_c),
								       "duration_s", api_number(ph->duration_s)));
			}
			json_object_set_new(pj, "plan", steps);
		}
		json_array_append_new(pads, pj);
	}
	json_object_set_new(rep, "pads", pads);
	json_object_set_new(rep, "ticks",
			    json_pack("{s:I, s:I, s:f, s:f}", "count", (json_int_t)d->tick_count, "late_2ms",
				      (json_int_t)d->tick_late, "late_max_ms", d->tick_late_max_ms, "late_p99_ms",
				      tick_late_p99(d)));
	struct mallinfo2 mi = mallinfo2();
	json_object_set_new(rep, "daemon",
			    json_pack("{s:I, s:i, s:f}", "heap_bytes", (json_int_t)mi.uordblks, "clients", d->nclients,
				      "uptime_s", daemon_wall() - d->start_wall));
	api_send(c, rep);
}
