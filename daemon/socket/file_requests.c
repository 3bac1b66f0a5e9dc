/* SPDX-License-Identifier: MIT */
/* Profiles (list, show, validate), reload, and the stored sessions. */
#include <string.h>

#include "socket/server.h"
#include "store/sessions.h"


/* The plan as it will run: cycles expanded, the chosen end applied. */
static json_t *plan_json(const struct plan *plan)
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
							       s->kind == PHASE_OFF ? json_null() : api_number(s->target_c),
							       "duration_s", api_number(s->duration_s), "cycle",
							       run.cycle_of[i]));
		}
	return json_pack("{s:s, s:i, s:o, s:o}", "name", plan->name, "cycles", plan->cycles, "hold_total_s",
			 api_number(total), "steps", steps);
}

static double plan_hold_s(const struct plan *plan)
{
	static struct plan_run run;
	char err[200];
	double total = 0;
	if (plan_expand(plan, &run, err, sizeof err) == 0)
		for (int i = 0; i < run.nsteps; i++)
			total += run.steps[i].duration_s;
	return total;
}

static void profiles_list_reply(struct api_client *c, const struct request *r)
{
	json_t *rep = api_reply(r->id, true), *arr = json_array();
	for (int i = 0; i < profiles_count(c->d); i++) {
		const char *name, *path, *text, *error;
		const struct profile *prof;
		profiles_get(c->d, i, &name, &path, &text, &prof, &error);
		json_t *e = json_pack("{s:s, s:s}", "name", name, "path", path);
		if (prof) {
			json_object_set_new(e, "description", json_string(prof->description));
			json_object_set_new(e, "hold_total_s", api_number(plan_hold_s(&prof->plan)));
		}
		if (error[0])
			json_object_set_new(e, "error", json_string(error));
		json_array_append_new(arr, e);
	}
	json_object_set_new(rep, "profiles", arr);
	api_send(c, rep);
}

static void profiles_show(struct api_client *c, const struct request *r)
{
	int i = profiles_find(c->d, r->profile);
	if (i < 0) {
		api_error(c, r->id, API_ERR_UNKNOWN_PROFILE, "no profile '%s' (see: thermopad profiles list)", r->profile);
		return;
	}
	const char *name, *path, *text, *error;
	const struct profile *prof;
	profiles_get(c->d, i, &name, &path, &text, &prof, &error);
	json_t *rep = api_reply(r->id, true);
	json_object_set_new(rep, "profile",
			    json_pack("{s:s, s:s, s:s?, s:s?, s:o}", "name", name, "path", path, "text", text, "error",
				      error[0] ? error : NULL, "plan", prof ? plan_json(&prof->plan) : json_null()));
	if (prof)
		json_object_set_new(json_object_get(rep, "profile"), "description", json_string(prof->description));
	api_send(c, rep);
}

static void profiles_validate(struct api_client *c, const struct request *r)
{
	struct profile prof;
	if (api_profile_from_request(c, r, &prof) != 0)
		return;
	json_t *rep = api_reply(r->id, true);
	json_object_set_new(rep, "plan", plan_json(&prof.plan));
	api_send(c, rep);
}

static void reload(struct api_client *c, const struct request *r)
{
	char report[1024];
	int rc = daemon_reload(c->d, report, sizeof report);
	if (rc < 0) {
		api_error(c, r->id, API_ERR_INVALID_CONFIG, "%s; the previous configuration stays", report);
		return;
	}
	json_t *rep = api_reply(r->id, true);
	json_object_set_new(rep, "profiles", json_integer(profiles_count(c->d)));
	json_object_set_new(rep, "broken", json_integer(rc));
	if (rc > 0)
		json_object_set_new(rep, "problems", json_string(report));
	api_send(c, rep);
}

void api_handle_files(struct api_client *c, const struct request *r)
{
	switch (r->cmd) {
	case REQ_PROFILES_LIST: profiles_list_reply(c, r); break;
	case REQ_PROFILES_SHOW: profiles_show(c, r); break;
	case REQ_PROFILES_VALIDATE: profiles_validate(c, r); break;
	case REQ_RELOAD: reload(c, r); break;
	case REQ_SESSIONS_LIST: {
		json_t *rep = api_reply(r->id, true);
		json_object_set_new(rep, "sessions", sessions_list(c->d));
		api_send(c, rep);
		break;
	}
	default: {
		json_t *samples;
		char err[200];
		if (sessions_samples(c->d, r->session, r->offset, r->limit, &samples, err, sizeof err) != 0) {
			api_error(c, r->id, API_ERR_NO_SESSION, "%s (see: thermopad log list)", err);
			return;
		}
		json_t *rep = api_reply(r->id, true);
		json_object_update(rep, samples);
		json_decref(samples);
		api_send(c, rep);
	}
	}
}
