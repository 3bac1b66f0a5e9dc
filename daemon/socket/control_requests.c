/* SPDX-License-Identifier: MIT */
/* Requests that change a pad: each goes through the core, which decides
 * whether it is safe; the reply says why not when it is refused. */
#include <string.h>

#include "socket/server.h"

static struct pad_conn *pick_pad(struct api_client *c, const struct request *r)
{
	struct daemon *d = c->d;
	struct pad_conn *found = NULL;
	int n = 0;
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		struct pad_conn *p = &d->pads[i];
		if (!p->used || !p->serial[0])
			continue;
		if (!r->pad || !strcmp(r->pad, p->serial)) {
			found = p;
			n++;
		}
	}
	if (!found)
		api_error(c, r->id, API_ERR_NO_PAD, r->pad ? "no pad with serial %s" : "no pad is connected%s",
			  r->pad ? r->pad : "");
	else if (n > 1)
		api_error(c, r->id, API_ERR_PAD_AMBIGUOUS, "%d pads are connected: name one with --pad SERIAL", n);
	return found && n == 1 ? found : NULL;
}

/* The profile a request names, or sends as text, with its overrides. */
int api_profile_from_request(struct api_client *c, const struct request *r, struct profile *prof)
{
	struct daemon *d = c->d;
	char err[512];
	if (r->profile_text) {
		struct profile_error pe;
		if (profile_parse(r->profile_text, r->profile, r->profile, &d->cfg.limits, 32.0, prof, &pe) != 0) {
			api_error(c, r->id, API_ERR_INVALID_PROFILE, "%s", pe.text);
			return -1;
		}
	} else if (profiles_load(d, r->profile, prof, err, sizeof err) != 0) {
		api_error(c, r->id, profiles_find(d, r->profile) < 0 ? API_ERR_UNKNOWN_PROFILE : API_ERR_INVALID_PROFILE,
			  "%s", err);
		return -1;
	}
	for (int i = 0; i < r->nsets; i++) {
		struct profile_error pe;
		if (profile_override(prof, r->sets[i], &d->cfg.limits, 32.0, &pe) != 0) {
			api_error(c, r->id, API_ERR_INVALID_OVERRIDE, "%s", pe.text);
			return -1;
		}
	}
	return 0;
}

static void start(struct api_client *c, const struct request *r, struct pad_conn *p)
{
	struct daemon *d = c->d;
	struct profile prof;
	char err[512];
	if (api_profile_from_request(c, r, &prof) != 0)
		return;
	if (!p->present) {
		api_error(c, r->id, API_ERR_NO_PAD, "pad %s is not connected", p->serial);
		return;
	}
	if (core_start(&p->core, &prof.plan, daemon_now(d), err, sizeof err) != 0) {
		api_error(c, r->id, p->core.safety.latched ? API_ERR_FAULT_ACTIVE : API_ERR_REFUSED, "%s", err);
		return;
	}
	control_log_close(p, "replaced by a new session");
	snprintf(p->profile, sizeof p->profile, "%s", r->profile);
	p->session_start = daemon_now(d);
	control_log_open(p);
	daemon_report(5, &(struct report_fields){.pad = p->serial, .session = p->session_name, .event = "start"},
		      "pad %s: session %s started, profile %s", p->serial, p->session_name, r->profile);
	api_ok(c, r->id);
}

static void session_op(struct api_client *c, const struct request *r, struct pad_conn *p)
{
	char err[400] = "";
	double now = daemon_now(c->d);
	int rc;
	switch (r->cmd) {
	case REQ_STOP: rc = core_stop(&p->core, now, err, sizeof err); break;
	case REQ_PAUSE: rc = core_pause(&p->core, now, err, sizeof err); break;
	case REQ_RESUME: rc = core_resume(&p->core, now, err, sizeof err); break;
	case REQ_SKIP: rc = core_skip(&p->core, now, err, sizeof err); break;
	case REQ_TUNE: rc = core_tune(&p->core, r->heat, now, err, sizeof err); break;
	case REQ_EXTEND: rc = core_extend(&p->core, r->minutes * 60.0, err, sizeof err); break;
	default:
		rc = interlock_gpio_clear_allowed(c->d, err, sizeof err);
		if (rc == 0)
			rc = core_clear_faults(&p->core, now, err, sizeof err);
		if (rc == 0 && p->present && usb_clear_pad_faults(p) != 0) {
			rc = -1;
			snprintf(err, sizeof err, "the pad refused CLEAR_FAULTS");
		}
	}
	if (rc != 0) {
		bool fault = p->core.safety.latched && r->cmd != REQ_CLEAR_FAULTS;
		api_error(c, r->id, fault ? API_ERR_FAULT_ACTIVE : API_ERR_REFUSED, "%s", err);
		return;
	}
	daemon_report(5, &(struct report_fields){.pad = p->serial, .session = p->session_name, .event = r->name},
		      "pad %s: %s", p->serial, r->name);
	api_ok(c, r->id);
}

void api_handle_control(struct api_client *c, const struct request *r)
{
	struct pad_conn *p = pick_pad(c, r);
	if (!p)
		return;
	if (r->cmd == REQ_START)
		start(c, r, p);
	else
		session_op(c, r, p);
}
