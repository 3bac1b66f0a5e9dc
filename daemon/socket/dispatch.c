/* SPDX-License-Identifier: MIT */
/* Which handler serves which request (dispatch.h). */
#include "socket/dispatch.h"
#include "socket/handlers.h"
#include "socket/server.h"

const struct dispatch_entry dispatch_table[REQ_COUNT] = {
	[REQ_VERSION] = {handle_version},
	[REQ_STATUS] = {handle_status},
	[REQ_DEVICES] = {handle_status},
	[REQ_START] = {handle_start},
	[REQ_STOP] = {handle_stop},
	[REQ_PAUSE] = {handle_pause},
	[REQ_RESUME] = {handle_resume},
	[REQ_SKIP] = {handle_skip},
	[REQ_EXTEND] = {handle_extend},
	[REQ_CLEAR_FAULTS] = {handle_clear_faults},
	[REQ_TUNE] = {handle_tune},
	[REQ_PROFILES_LIST] = {handle_profiles_list},
	[REQ_PROFILES_SHOW] = {handle_profiles_show},
	[REQ_PROFILES_VALIDATE] = {handle_profiles_validate},
	[REQ_RELOAD] = {handle_reload},
	[REQ_SESSIONS_LIST] = {handle_sessions_list},
	[REQ_SESSION_SAMPLES] = {handle_session_samples},
	[REQ_SUBSCRIBE] = {handle_subscribe},
};

void dispatch_with(const struct dispatch_entry *table, size_t n, struct api_client *c, const struct request *r)
{
	if (r->control && !c->control) {
		server_error(c, r->id, API_ERR_NOT_PERMITTED, "only root and members of group '%s' may %s",
			     c->srv->env.cfg->socket_group,
			     r->cmd == REQ_RELOAD ? "reload the daemon" : "control the pad");
		return;
	}
	if ((size_t)r->cmd >= n || !table[r->cmd].handle) {
		server_error(c, r->id, API_ERR_UNKNOWN_COMMAND, "'%s' is known but not served by this daemon",
			     r->name ? r->name : "?");
		return;
	}
	table[r->cmd].handle(c, r);
}

void dispatch_request(struct api_client *c, const struct request *r)
{
	dispatch_with(dispatch_table, REQ_COUNT, c, r);
}

enum request_cmd dispatch_missing(const struct dispatch_entry *table, size_t n)
{
	for (size_t i = 0; i < REQ_COUNT; i++)
		if (i >= n || !table[i].handle)
			return (enum request_cmd)i;
	return REQ_COUNT;
}
