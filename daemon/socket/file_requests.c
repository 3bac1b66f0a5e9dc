/* SPDX-License-Identifier: MIT */
/* Profiles (list, show, validate), reload, and the stored sessions. */
#include <string.h>

#include "socket/handlers.h"
#include "socket/views.h"
#include "store/profiles.h"
#include "store/sessions.h"

void handle_profiles_list(struct api_client *c, const struct request *r)
{
	const struct profiles *ps = c->srv->env.profiles;
	json_t *rep = server_reply(r->id, true), *arr = json_array();
	for (int i = 0; i < profiles_count(ps); i++) {
		const char *name, *path, *text, *error;
		const struct profile *prof;
		profiles_get(ps, i, &name, &path, &text, &prof, &error);
		json_t *e = json_pack("{s:s, s:s}", "name", name, "path", path);
		if (prof) {
			json_object_set_new(e, "description", json_string(prof->description));
			json_object_set_new(e, "hold_total_s", view_number(view_plan_hold_s(&prof->plan)));
		}
		if (error[0])
			json_object_set_new(e, "error", json_string(error));
		json_array_append_new(arr, e);
	}
	json_object_set_new(rep, "profiles", arr);
	server_send(c, rep);
}

void handle_profiles_show(struct api_client *c, const struct request *r)
{
	const struct profiles *ps = c->srv->env.profiles;
	int i = profiles_find(ps, r->profile);
	if (i < 0) {
		server_error(c, r->id, API_ERR_UNKNOWN_PROFILE, "no profile '%s' (see: thermopad profiles list)",
			     r->profile);
		return;
	}
	const char *name, *path, *text, *error;
	const struct profile *prof;
	profiles_get(ps, i, &name, &path, &text, &prof, &error);
	json_t *rep = server_reply(r->id, true);
	json_object_set_new(rep, "profile",
			    json_pack("{s:s, s:s, s:s?, s:s?, s:o}", "name", name, "path", path, "text", text, "error",
				      error[0] ? error : NULL, "plan", prof ? view_plan(&prof->plan) : json_null()));
	if (prof)
		json_object_set_new(json_object_get(rep, "profile"), "description", json_string(prof->description));
	server_send(c, rep);
}

void handle_profiles_validate(struct api_client *c, const struct request *r)
{
	struct profile prof;
	if (handle_profile_from_request(c, r, &prof) != 0)
		return;
	json_t *rep = server_reply(r->id, true);
	json_object_set_new(rep, "plan", view_plan(&prof.plan));
	server_send(c, rep);
}

void handle_reload(struct api_client *c, const struct request *r)
{
	const struct server_env *env = &c->srv->env;
	char report[1024];
	int rc = env->reload(env->reload_ctx, report, sizeof report);
	if (rc < 0) {
		server_error(c, r->id, API_ERR_INVALID_CONFIG, "%s; the previous configuration stays", report);
		return;
	}
	json_t *rep = server_reply(r->id, true);
	json_object_set_new(rep, "profiles", json_integer(profiles_count(env->profiles)));
	json_object_set_new(rep, "broken", json_integer(rc));
	if (rc > 0)
		json_object_set_new(rep, "problems", json_string(report));
	server_send(c, rep);
}

void handle_sessions_list(struct api_client *c, const struct request *r)
{
	json_t *rep = server_reply(r->id, true);
	json_object_set_new(rep, "sessions", sessions_list(c->srv->env.sessions));
	server_send(c, rep);
}

void handle_session_samples(struct api_client *c, const struct request *r)
{
	json_t *samples;
	char err[200];
	if (sessions_samples(c->srv->env.sessions, r->session, r->offset, r->limit, &samples, err, sizeof err) != 0) {
		server_error(c, r->id, API_ERR_NO_SESSION, "%s (see: thermopad log list)", err);
		return;
	}
	json_t *rep = server_reply(r->id, true);
	json_object_update(rep, samples);
	json_decref(samples);
	server_send(c, rep);
}
