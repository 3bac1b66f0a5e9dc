/* SPDX-License-Identifier: MIT */
/* What the socket shows of a pad and a plan (views.h). */
#include <math.h>
#include <stdio.h>

#include "socket/views.h"

json_t *view_number(double v)
{
	return isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null();
}

json_t *view_pad(const struct pad_slot *p, const char *log_path)
{
	struct core_status st;
	pad_status(p, &st);
	json_t *o = json_pack("{s:s, s:b, s:s, s:s?, s:o, s:o, s:o}", "serial", p->serial, "present", p->present,
			      "state", st.state_name, "profile", st.state == CORE_IDLE ? NULL : st.plan_name,
			      "estimate_c", view_number(st.estimate_c), "drive", view_number(st.drive), "dose_cem43_min",
			      view_number(st.dose_cem43_min));
	/* the skin under the pad: the model's estimate, and the bounds it is
	 * within for any pad of the range the model is made for */
	json_object_set_new(o, "skin_c", view_number(st.skin_c));
	json_object_set_new(o, "skin_lo_c", view_number(st.skin_lo_c));
	json_object_set_new(o, "skin_hi_c", view_number(st.skin_hi_c));
	json_object_set_new(o, "dose",
			    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "recent_cem43_min",
				      view_number(st.dose_recent_cem43_min), "day_cem43_min", view_number(st.dose_day_cem43_min),
				      "day_max_cem43_min", view_number(st.dose_day_max_cem43_min), "cold_recent_s",
				      view_number(st.cold_recent_s), "cold_day_s", view_number(st.cold_day_s), "cold_day_max_s",
				      view_number(st.cold_day_max_s)));
	if (p->have_tel) {
		const struct pad_reading *r = &p->last;
		json_object_set_new(o, "telemetry",
				    json_pack("{s:o, s:o, s:o, s:o, s:i, s:s}", "plate_a_c", view_number(r->plate_c[0]),
					      "plate_b_c", view_number(r->plate_c[1]), "sink_c", view_number(r->sink_c),
					      "current_a", view_number(r->current_a), "fw_faults", (int)r->fw_faults,
					      "fw_state", proto_state_name(r->fw_state)));
	}
	json_object_set_new(o, "fault",
			    st.fault ? json_pack("{s:s, s:s}", "code", st.fault_code, "message", st.fault_message)
				     : json_null());
	if (st.phase_kind)
		json_object_set_new(o, "phase",
				    json_pack("{s:i, s:i, s:s, s:s, s:i, s:i, s:o, s:b, s:o, s:o, s:o}", "step", st.step,
					      "steps", st.nsteps, "kind", st.phase_kind, "name", st.phase_name, "cycle",
					      st.cycle, "cycles", st.ncycles, "target_c", view_number(st.target_c), "in_band",
					      st.in_band, "phase_left_s", view_number(st.phase_left_s), "session_left_s",
					      view_number(st.session_left_s), "elapsed_s", view_number(st.session_elapsed_s)));
	if (st.phase_kind) { /* with the time the plate takes to reach the targets (the pad's model) */
		json_t *phj = json_object_get(o, "phase");
		json_object_set_new(phj, "approach_left_s", view_number(st.approach_left_s));
		json_object_set_new(phj, "session_total_left_s", view_number(st.session_total_left_s));
	}
	json_t *w = json_array();
	for (int i = 0; i < st.nwarnings; i++)
		json_array_append_new(w, json_string(st.warnings[i]));
	json_object_set_new(o, "warnings", w);
	json_object_set_new(o, "outcome", json_string(st.outcome));
	if (log_path)
		json_object_set_new(o, "log", json_string(log_path));
	json_object_set_new(o, "frames", json_integer((json_int_t)p->frames));
	json_object_set_new(o, "gaps", json_integer((json_int_t)p->gaps));
	json_object_set_new(o, "rejected", json_integer((json_int_t)p->rejected));
	/* a pad that speaks another protocol is refused at attach: one here
	 * speaks this daemon's */
	char fw[32];
	snprintf(fw, sizeof fw, "%u.%u.%u", p->info.fw_major, p->info.fw_minor, p->info.fw_patch);
	json_object_set_new(o, "firmware", json_pack("{s:s, s:i}", "version", fw, "protocol", TP_PROTO_VERSION));
	return o;
}

json_t *view_plan_run(const struct plan_run *run)
{
	json_t *steps = json_array();
	for (int k = 0; k < run->nsteps; k++) {
		const struct phase *ph = &run->steps[k];
		json_array_append_new(steps, json_pack("{s:s, s:s, s:o, s:o}", "kind", plan_kind_name(ph->kind), "name",
						       ph->name, "target_c",
						       ph->kind == PHASE_OFF ? json_null() : view_number(ph->target_c),
						       "duration_s", view_number(ph->duration_s)));
	}
	return steps;
}

json_t *view_plan(const struct plan *plan)
{
	static struct plan_run run; /* 6 KiB; the loop is single-threaded */
	char err[200];
	json_t *steps = json_array();
	double total = 0;
	if (plan_expand(plan, &run, err, sizeof err) == 0)
		for (int i = 0; i < run.nsteps; i++) {
			const struct phase *s = &run.steps[i];
			total += s->duration_s;
			json_array_append_new(steps, json_pack("{s:s, s:s, s:o, s:o, s:i}", "name", s->name, "kind",
							       plan_kind_name(s->kind), "target_c",
							       s->kind == PHASE_OFF ? json_null() : view_number(s->target_c),
							       "duration_s", view_number(s->duration_s), "cycle",
							       run.cycle_of[i]));
		}
	return json_pack("{s:s, s:i, s:o, s:o}", "name", plan->name, "cycles", plan->cycles, "hold_total_s",
			 view_number(total), "steps", steps);
}

double view_plan_hold_s(const struct plan *plan)
{
	static struct plan_run run;
	char err[200];
	double total = 0;
	if (plan_expand(plan, &run, err, sizeof err) == 0)
		for (int i = 0; i < run.nsteps; i++)
			total += run.steps[i].duration_s;
	return total;
}
