/* SPDX-License-Identifier: MIT */
/* Profiles (list, show, validate), reload, and the stored sessions. */
#include <stdlib.h>
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

/* sessions-list: a metadata file per stored session, read a slice at a
 * time like session-samples (below). */
#define SESSIONS_PER_SLICE 20

struct list_job {
	struct sessions_lister *lister;
	long sent;
};

static void list_free(void *state)
{
	struct list_job *j = state;
	sessions_list_close(j->lister);
	free(j);
}

/* One member of an open array (taken), a comma before all but the first. */
static bool send_array_item(struct api_client *c, json_t *item, long *sent)
{
	char *text = item ? json_dumps(item, JSON_COMPACT) : NULL;
	json_decref(item);
	if (!text)
		return false;
	bool ok = (!(*sent)++ || server_send_bytes(c, ",", 1)) && server_send_bytes(c, text, strlen(text));
	free(text);
	return ok;
}

static int list_step(struct api_client *c, void *state)
{
	struct list_job *j = state;
	for (int i = 0; i < SESSIONS_PER_SLICE; i++) {
		json_t *meta = sessions_list_next(j->lister);
		if (!meta)
			return server_send_bytes(c, "]}\n", 3) ? 0 : -1;
		if (!send_array_item(c, meta, &j->sent))
			return -1;
	}
	return 1;
}

/* Sends a reply's head (taken), its closing brace replaced by a last
 * member, an array left open for a job. */
static bool send_open_head(struct api_client *c, json_t *id, json_t *rep, const char *array)
{
	char *head = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
	json_decref(rep);
	size_t n = head ? strlen(head) : 0;
	if (!n) {
		server_error(c, id, API_ERR_BUSY, "out of memory: try again");
		return false;
	}
	char key[40];
	int k = snprintf(key, sizeof key, "%s\"%s\":[", n > 2 ? "," : "", array);
	/* a failure here is out of memory: the client is closed, its reply cut where it shows */
	bool ok = server_send_bytes(c, head, n - 1) && server_send_bytes(c, key, (size_t)k);
	free(head);
	return ok;
}

void handle_sessions_list(struct api_client *c, const struct request *r)
{
	struct list_job *j = calloc(1, sizeof *j);
	if (!j || !(j->lister = sessions_list_open(c->srv->env.sessions))) {
		free(j);
		server_error(c, r->id, API_ERR_BUSY, "out of memory: try again");
		return;
	}
	if (!send_open_head(c, r->id, server_reply(r->id, true), "sessions")) {
		list_free(j);
		return;
	}
	server_start_job(c, &(struct api_job){.step = list_step, .free = list_free, .state = j});
}

/* session-samples: the reply is one line that may hold 100,000 rows, so
 * it is made a slice at a time (server_start_job): the line's head at
 * once, then rows while the client reads, then the total. */
#define SAMPLES_ROWS_PER_SLICE 50
#define SAMPLES_SKIPS_PER_SLICE 5000

struct samples_job {
	struct sessions_reader *reader;
	long offset, limit;
	long index; /* data rows read so far */
	long sent;
};

static void samples_free(void *state)
{
	struct samples_job *j = state;
	sessions_read_close(j->reader);
	free(j);
}

static int samples_step(struct api_client *c, void *state)
{
	struct samples_job *j = state;
	for (int work = 0; work < SAMPLES_SKIPS_PER_SLICE;) {
		bool wanted = j->index >= j->offset && j->sent < j->limit;
		json_t *row = NULL;
		if (!sessions_read_row(j->reader, wanted ? &row : NULL)) {
			char tail[64];
			int n = snprintf(tail, sizeof tail, "],\"total\":%ld}\n", j->index);
			return server_send_bytes(c, tail, (size_t)n) ? 0 : -1;
		}
		j->index++;
		if (!wanted) {
			work++;
			continue;
		}
		if (!send_array_item(c, row, &j->sent))
			return -1;
		work += SAMPLES_SKIPS_PER_SLICE / SAMPLES_ROWS_PER_SLICE;
	}
	return 1;
}

void handle_session_samples(struct api_client *c, const struct request *r)
{
	char err[200];
	struct samples_job *j = calloc(1, sizeof *j);
	if (!j) {
		server_error(c, r->id, API_ERR_BUSY, "out of memory: try again");
		return;
	}
	if (!(j->reader = sessions_read_open(c->srv->env.sessions, r->session, err, sizeof err))) {
		free(j);
		server_error(c, r->id, API_ERR_NO_SESSION, "%s (see: thermopad log list)", err);
		return;
	}
	j->offset = r->offset;
	j->limit = r->limit;
	json_t *rep = server_reply(r->id, true);
	json_object_set_new(rep, "session", json_string(r->session));
	json_object_set_new(rep, "columns", json_deep_copy(sessions_read_columns(j->reader)));
	json_object_set_new(rep, "offset", json_integer((json_int_t)r->offset));
	if (!send_open_head(c, r->id, rep, "samples")) {
		samples_free(j);
		return;
	}
	server_start_job(c, &(struct api_job){.step = samples_step, .free = samples_free, .state = j});
}
