/* SPDX-License-Identifier: MIT */
/* Requests that change a pad: each goes through the pad, whose core
 * decides whether it is safe; the reply says why not when it is refused. */
#include <string.h>
#include <time.h>

#include "core/pid.h"
#include "io/clock.h"
#include "socket/handlers.h"
#include "store/profiles.h"

/* The pad a request means, or NULL after replying why none. */
static struct pad_slot *chosen(struct api_client *c, const struct request *r)
{
	struct pad_slot *p;
	int n;
	switch (pad_choose(c->srv->env.pads, r->pad, &p, &n)) {
	case PAD_OK: return p;
	case PAD_AMBIGUOUS:
		server_error(c, r->id, API_ERR_PAD_AMBIGUOUS, "%d pads are connected: name one with --pad SERIAL", n);
		return NULL;
	case PAD_NOT_FOUND:
	case PAD_REFUSED:
	case PAD_FAULT_ACTIVE:
	case PAD_AWAY:
	case PAD_PENDING: break;
	}
	server_error(c, r->id, API_ERR_NO_PAD, r->pad ? "no pad with serial %s" : "no pad is connected%s",
		     r->pad ? r->pad : "");
	return NULL;
}

int handle_profile_from_request(struct api_client *c, const struct request *r, struct profile *prof)
{
	const struct server_env *env = &c->srv->env;
	char err[512];
	if (r->profile_text) {
		struct profile_error pe;
		if (profile_parse(r->profile_text, r->profile, r->profile, &env->cfg->limits, PID_NEUTRAL_C, prof, &pe) !=
		    0) {
			server_error(c, r->id, API_ERR_INVALID_PROFILE, "%s", pe.text);
			return -1;
		}
	} else if (profiles_load(env->profiles, r->profile, prof, err, sizeof err) != 0) {
		server_error(c, r->id,
			     profiles_find(env->profiles, r->profile) < 0 ? API_ERR_UNKNOWN_PROFILE : API_ERR_INVALID_PROFILE,
			     "%s", err);
		return -1;
	}
	for (int i = 0; i < r->nsets; i++) {
		struct profile_error pe;
		if (profile_override(prof, r->sets[i], &env->cfg->limits, PID_NEUTRAL_C, &pe) != 0) {
			server_error(c, r->id, API_ERR_INVALID_OVERRIDE, "%s", pe.text);
			return -1;
		}
	}
	return 0;
}

/* The reply to what the pad said. */
static void answer(struct api_client *c, const struct request *r, enum pad_refusal why, const char *err)
{
	switch (why) {
	case PAD_OK: server_ok(c, r->id); return;
	case PAD_FAULT_ACTIVE: server_error(c, r->id, API_ERR_FAULT_ACTIVE, "%s", err); return;
	case PAD_AWAY: server_error(c, r->id, API_ERR_NO_PAD, "%s", err); return;
	case PAD_REFUSED:
	case PAD_NOT_FOUND:
	case PAD_PENDING:
	case PAD_AMBIGUOUS: server_error(c, r->id, API_ERR_REFUSED, "%s", err); return;
	}
	server_error(c, r->id, API_ERR_REFUSED, "%s", err);
}

static double now_of(const struct api_client *c)
{
	return clock_model_now(c->srv->env.clock);
}

void handle_start(struct api_client *c, const struct request *r)
{
	struct pad_slot *p = chosen(c, r);
	struct profile prof;
	char err[512] = "";
	if (!p || handle_profile_from_request(c, r, &prof) != 0)
		return;
	answer(c, r, pad_start(p, &prof, r->profile, now_of(c), time(NULL), err, sizeof err), err);
}

#define SESSION_OP(name, call)                                                \
	void handle_##name(struct api_client *c, const struct request *r)     \
	{                                                                     \
		struct pad_slot *p = chosen(c, r);                                 \
		char err[400] = "";                                           \
		if (p)                                                        \
			answer(c, r, call, err);                              \
	}

SESSION_OP(stop, pad_stop(p, now_of(c), err, sizeof err))
SESSION_OP(pause, pad_pause(p, now_of(c), err, sizeof err))
SESSION_OP(resume, pad_resume(p, now_of(c), err, sizeof err))
SESSION_OP(skip, pad_skip(p, now_of(c), err, sizeof err))
SESSION_OP(extend, pad_extend(p, r->minutes, now_of(c), err, sizeof err))
SESSION_OP(tune, pad_tune(p, r->heat, now_of(c), err, sizeof err))
static void forget_waiter(struct server *srv, size_t slot)
{
	json_decref(srv->clear_waiter[slot].id);
	srv->clear_waiter[slot].client = NULL;
	srv->clear_waiter[slot].id = NULL;
}

/* The waiter is registered before the pad is asked: CLEAR_FAULTS is a
 * synchronous transfer that runs libusb's events, and a report judged
 * during it answers at once. */
void handle_clear_faults(struct api_client *c, const struct request *r)
{
	struct pad_slot *p = chosen(c, r);
	if (!p)
		return;
	struct server *srv = c->srv;
	size_t slot = (size_t)(p - p->table->slots);
	if (srv->clear_waiter[slot].client) {
		server_error(c, r->id, API_ERR_REFUSED, "a clear of pad %s is already being judged", p->serial);
		return;
	}
	srv->clear_waiter[slot].client = c;
	srv->clear_waiter[slot].id = json_incref(r->id);
	char err[SAFETY_MESSAGE_MAX] = "";
	enum pad_refusal why = pad_clear_faults(p, now_of(c), err, sizeof err);
	if (why == PAD_PENDING || srv->clear_waiter[slot].client != c)
		return; /* answered when judged, or already */
	forget_waiter(srv, slot);
	answer(c, r, why, err);
}

void handle_clear_judged(struct server *srv, const struct pad_slot *p, const struct core_event *e)
{
	size_t slot = (size_t)(p - p->table->slots);
	bool cleared = !strcmp(e->code, "faults-cleared");
	struct api_client *c = srv->clear_waiter[slot].client;
	if (!c || (!cleared && strcmp(e->code, "clear-refused") != 0))
		return;
	json_t *id = json_incref(srv->clear_waiter[slot].id);
	forget_waiter(srv, slot);
	if (cleared)
		server_ok(c, id);
	else
		server_error(c, id, API_ERR_REFUSED, "%s", e->message);
	json_decref(id);
}

void handle_client_gone(struct api_client *c)
{
	for (size_t i = 0; i < PAD_MAX; i++)
		if (c->srv->clear_waiter[i].client == c)
			forget_waiter(c->srv, i);
}
