/* SPDX-License-Identifier: MIT */
/*
 * The API socket: newline-delimited JSON (docs/api.md). Bad input never
 * reaches a pad: a message size limit, a client limit, a cap on each
 * client's unsent output (a slow subscriber is dropped, never waited for),
 * idle timeouts, and the peer's credentials decide who may control.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "daemon.h"

struct api_client {
	struct api_client *next;
	struct daemon *d;
	int fd;
	sd_event_source *src;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	bool control; /* may change the pad; else read-only */
	bool subscribed;
	double sub_period, sub_last;
	bool closing;
};

static void client_free(struct api_client *c)
{
	struct daemon *d = c->d;
	for (struct api_client **p = &d->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	d->nclients--;
	sd_event_source_unref(c->src);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void update_events(struct api_client *c)
{
	sd_event_source_set_io_events(c->src, EPOLLIN | (c->out_len ? EPOLLOUT : 0));
}

/* Queue a line; a client whose backlog passes the cap is dropped. */
static bool send_json(struct api_client *c, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return false;
	size_t n = strlen(text);
	if (c->out_len + n + 1 > c->d->cfg.max_output_bytes) {
		free(text);
		c->closing = true;
		return false;
	}
	if (c->out_len + n + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + n + 1)
			cap *= 2;
		char *grown = realloc(c->out, cap);
		if (!grown) {
			free(text);
			c->closing = true;
			return false;
		}
		c->out = grown;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	free(text);
	update_events(c);
	return true;
}

static json_t *reply(json_t *id, bool ok)
{
	return json_pack("{s:i, s:O?, s:b}", "v", API_VERSION, "id", id, "ok", ok);
}

static void send_error(struct api_client *c, json_t *id, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void send_error(struct api_client *c, json_t *id, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *r = reply(id, false);
	json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", code, "message", msg));
	send_json(c, r);
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null();
}

static json_t *pad_json(const struct pad_conn *p)
{
	struct core_status st;
	core_status(&p->core, &st);
	json_t *o = json_pack("{s:s, s:b, s:s, s:s?, s:o, s:o, s:o}", "serial", p->serial, "present", p->present,
			      "state", st.state_name, "profile", st.state == CORE_IDLE ? NULL : st.plan_name,
			      "estimate_c", num(st.estimate_c), "drive", num(st.drive), "dose_cem43_min",
			      num(st.dose_cem43_min));
	if (p->have_tel)
		json_object_set_new(o, "telemetry",
				    json_pack("{s:o, s:o, s:o, s:o, s:i, s:s}", "plate_a_c",
					      num(p->last.plate_a_cc == TP_TEMP_INVALID ? NAN : p->last.plate_a_cc / 100.0),
					      "plate_b_c",
					      num(p->last.plate_b_cc == TP_TEMP_INVALID ? NAN : p->last.plate_b_cc / 100.0),
					      "sink_c", num(p->last.sink_cc == TP_TEMP_INVALID ? NAN : p->last.sink_cc / 100.0),
					      "current_a", num(p->last.current_ma / 1000.0), "fw_faults", (int)p->last.faults,
					      "fw_state", proto_state_name(p->last.state)));
	json_object_set_new(o, "fault",
			    st.fault ? json_pack("{s:s, s:s}", "code", st.fault_code, "message", st.fault_message)
				     : json_null());
	if (st.phase_kind)
		json_object_set_new(o, "phase",
				    json_pack("{s:i, s:i, s:s, s:s, s:i, s:i, s:o, s:b, s:o, s:o, s:o}", "step", st.step,
					      "steps", st.nsteps, "kind", st.phase_kind, "name", st.phase_name, "cycle",
					      st.cycle, "cycles", st.ncycles, "target_c", num(st.target_c), "in_band",
					      st.in_band, "phase_left_s", num(st.phase_left_s), "session_left_s",
					      num(st.session_left_s), "elapsed_s", num(st.session_elapsed_s)));
	json_t *w = json_array();
	for (int i = 0; i < st.nwarnings; i++)
		json_array_append_new(w, json_string(st.warnings[i]));
	json_object_set_new(o, "warnings", w);
	json_object_set_new(o, "outcome", json_string(st.outcome));
	if (p->log_path[0])
		json_object_set_new(o, "log", json_string(p->log_path));
	return o;
}

static struct pad_conn *pick_pad(struct api_client *c, json_t *id, json_t *req)
{
	struct daemon *d = c->d;
	const char *want = json_string_value(json_object_get(req, "pad"));
	struct pad_conn *found = NULL;
	int n = 0;
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		struct pad_conn *p = &d->pads[i];
		if (!p->used || !p->serial[0])
			continue;
		if (want ? !strcmp(want, p->serial) : true) {
			found = p;
			n++;
		}
	}
	if (!found)
		send_error(c, id, API_ERR_NO_PAD, want ? "no pad with serial %s" : "no pad is connected%s",
			   want ? want : "");
	else if (n > 1)
		send_error(c, id, API_ERR_PAD_AMBIGUOUS, "%d pads are connected: name one with --pad SERIAL", n);
	return found && n == 1 ? found : NULL;
}

static void ok_reply(struct api_client *c, json_t *id)
{
	send_json(c, reply(id, true));
}

static void do_start(struct api_client *c, json_t *id, json_t *req, struct pad_conn *p)
{
	struct daemon *d = c->d;
	const char *name = json_string_value(json_object_get(req, "profile"));
	const char *text = json_string_value(json_object_get(req, "profile_text"));
	struct profile prof;
	char err[512];
	if (!name) {
		send_error(c, id, API_ERR_BAD_REQUEST, "start needs \"profile\"");
		return;
	}
	if (text) {
		struct profile_error pe;
		if (profile_parse(text, name, name, &d->cfg.limits, 32.0, &prof, &pe) != 0) {
			send_error(c, id, API_ERR_INVALID_PROFILE, "%s", pe.text);
			return;
		}
	} else if (profiles_load(d, name, &prof, err, sizeof err) != 0) {
		send_error(c, id, strstr(err, "no profile") ? API_ERR_UNKNOWN_PROFILE : API_ERR_INVALID_PROFILE, "%s", err);
		return;
	}
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(req, "set"), i, v)
	{
		struct profile_error pe;
		if (!json_is_string(v) || profile_override(&prof, json_string_value(v), &d->cfg.limits, 32.0, &pe) != 0) {
			send_error(c, id, API_ERR_INVALID_OVERRIDE, "%s", json_is_string(v) ? pe.text : "overrides are strings");
			return;
		}
	}
	if (!p->present) {
		send_error(c, id, API_ERR_NO_PAD, "pad %s is not connected", p->serial);
		return;
	}
	if (core_start(&p->core, &prof.plan, daemon_now(d), err, sizeof err) != 0) {
		send_error(c, id, p->core.safety.latched ? API_ERR_FAULT_ACTIVE : API_ERR_REFUSED, "%s", err);
		return;
	}
	snprintf(p->profile, sizeof p->profile, "%s", name);
	p->session_start = daemon_now(d);
	control_log_close(p, "replaced by a new session");
	control_log_open(p);
	daemon_log(5, "pad %s: session started, profile %s", p->serial, name);
	ok_reply(c, id);
}

static void session_op(struct api_client *c, json_t *id, json_t *req, const char *cmd, struct pad_conn *p)
{
	char err[400] = "";
	double now = daemon_now(c->d);
	int rc;
	if (!strcmp(cmd, "stop"))
		rc = core_stop(&p->core, now, err, sizeof err);
	else if (!strcmp(cmd, "pause"))
		rc = core_pause(&p->core, now, err, sizeof err);
	else if (!strcmp(cmd, "resume"))
		rc = core_resume(&p->core, now, err, sizeof err);
	else if (!strcmp(cmd, "skip"))
		rc = core_skip(&p->core, now, err, sizeof err);
	else if (!strcmp(cmd, "tune")) {
		const char *dir = json_string_value(json_object_get(req, "direction"));
		if (!dir || (strcmp(dir, "heat") && strcmp(dir, "cool"))) {
			send_error(c, id, API_ERR_BAD_REQUEST, "tune needs \"direction\": \"heat\" or \"cool\"");
			return;
		}
		rc = core_tune(&p->core, !strcmp(dir, "heat"), now, err, sizeof err);
	} else if (!strcmp(cmd, "extend"))
		rc = core_extend(&p->core, json_number_value(json_object_get(req, "minutes")) * 60.0, err, sizeof err);
	else {
		rc = core_clear_faults(&p->core, now, err, sizeof err);
		if (rc == 0 && p->present && usb_clear_pad_faults(p) != 0) {
			rc = -1;
			snprintf(err, sizeof err, "the pad refused CLEAR_FAULTS");
		}
	}
	if (rc != 0) {
		send_error(c, id, p->core.safety.latched && strcmp(cmd, "clear-faults") ? API_ERR_FAULT_ACTIVE : API_ERR_REFUSED,
			   "%s", err);
		return;
	}
	daemon_log(5, "pad %s: %s", p->serial, cmd);
	ok_reply(c, id);
}

static void handle(struct api_client *c, const char *line)
{
	struct daemon *d = c->d;
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	json_t *id = req ? json_object_get(req, "id") : NULL;
	const char *cmd = req ? json_string_value(json_object_get(req, "cmd")) : NULL;
	if (!req || !json_is_object(req)) {
		send_error(c, NULL, API_ERR_BAD_REQUEST, "not a JSON object: %s", req ? "" : jerr.text);
	} else if (json_integer_value(json_object_get(req, "v")) != API_VERSION) {
		send_error(c, id, API_ERR_VERSION, "this daemon speaks API version %d", API_VERSION);
	} else if (!cmd) {
		send_error(c, id, API_ERR_BAD_REQUEST, "missing \"cmd\"");
	} else if (!strcmp(cmd, "version")) {
		json_t *r = reply(id, true);
		json_object_set_new(r, "daemon", json_pack("{s:s, s:i, s:i, s:f}", "version", "0.1.0", "api", API_VERSION,
							   "protocol", TP_PROTO_VERSION, "time_scale", d->opts.time_scale));
		send_json(c, r);
	} else if (!strcmp(cmd, "status") || !strcmp(cmd, "devices")) {
		json_t *r = reply(id, true), *pads = json_array();
		for (int i = 0; i < DAEMON_MAX_PADS; i++)
			if (d->pads[i].used && d->pads[i].serial[0]) {
				json_t *pj = pad_json(&d->pads[i]);
				json_object_set_new(pj, "frames", json_integer((json_int_t)d->pads[i].frames));
				json_object_set_new(pj, "gaps", json_integer((json_int_t)d->pads[i].gaps));
				json_object_set_new(pj, "rejected", json_integer((json_int_t)d->pads[i].rejected));
				json_array_append_new(pads, pj);
			}
		json_object_set_new(r, "pads", pads);
		json_object_set_new(r, "ticks", json_pack("{s:I, s:I, s:f}", "count", (json_int_t)d->tick_count, "late_2ms",
							  (json_int_t)d->tick_late, "late_max_ms", d->tick_late_max_ms));
		send_json(c, r);
	} else if (!strcmp(cmd, "profiles-list")) {
		char names[64][PLAN_NAME_MAX];
		int n = profiles_list(d, names, 64);
		json_t *r = reply(id, true), *arr = json_array();
		for (int i = 0; i < n; i++) {
			struct profile p;
			char err[400];
			json_t *e = json_pack("{s:s}", "name", names[i]);
			if (profiles_load(d, names[i], &p, err, sizeof err) == 0)
				json_object_set_new(e, "description", json_string(p.description));
			else
				json_object_set_new(e, "error", json_string(err));
			json_array_append_new(arr, e);
		}
		json_object_set_new(r, "profiles", arr);
		send_json(c, r);
	} else if (!strcmp(cmd, "subscribe")) {
		double rate = json_number_value(json_object_get(req, "rate_hz"));
		c->subscribed = true;
		c->sub_period = rate > 0 && rate <= 10 ? 1.0 / rate : 1.0;
		c->sub_last = -1e9;
		ok_reply(c, id);
	} else if (!strcmp(cmd, "start") || !strcmp(cmd, "stop") || !strcmp(cmd, "pause") || !strcmp(cmd, "resume") ||
		   !strcmp(cmd, "skip") || !strcmp(cmd, "extend") || !strcmp(cmd, "clear-faults") ||
		   !strcmp(cmd, "tune")) {
		if (!c->control) {
			send_error(c, id, API_ERR_NOT_PERMITTED,
				   "only root and members of group '%s' may control the pad", d->cfg.socket_group);
		} else {
			struct pad_conn *p = pick_pad(c, id, req);
			if (p && !strcmp(cmd, "start"))
				do_start(c, id, req, p);
			else if (p)
				session_op(c, id, req, cmd, p);
		}
	} else {
		send_error(c, id, API_ERR_UNKNOWN_COMMAND, "unknown command '%s'", cmd);
	}
	json_decref(req);
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct api_client *c = user;
	(void)s;
	if (revents & EPOLLIN) {
		size_t max = c->d->cfg.max_message_bytes;
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_free(c);
			return 0;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				c->in[c->in_len] = '\0';
				if (c->in_len)
					handle(c, c->in);
				c->in_len = 0;
			} else if (c->in_len + 1 >= max) {
				send_error(c, NULL, API_ERR_TOO_LARGE, "a request may be at most %zu bytes", max);
				c->closing = true;
				break;
			} else {
				c->in[c->in_len++] = buf[i];
			}
		}
	}
	if (c->out_len) {
		ssize_t n = write(fd, c->out, c->out_len);
		if (n > 0) {
			memmove(c->out, c->out + n, c->out_len - (size_t)n);
			c->out_len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			client_free(c);
			return 0;
		}
		update_events(c);
	}
	if (c->closing && !c->out_len)
		client_free(c);
	return 0;
}

static bool in_group(uid_t uid, const char *group)
{
	struct group *g = getgrnam(group);
	struct passwd *pw = getpwuid(uid);
	if (!g || !pw)
		return false;
	gid_t groups[64];
	int n = 64;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return true;
	return false;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct daemon *d = user;
	(void)s, (void)revents;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return 0;
	struct ucred cred;
	socklen_t len = sizeof cred;
	bool control = false, readable = false;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		control = cred.uid == 0 || cred.uid == geteuid() || in_group(cred.uid, d->cfg.socket_group);
		readable = control || d->cfg.read_only_others;
	}
	struct api_client *c = calloc(1, sizeof *c);
	if (!c || !(c->in = malloc(d->cfg.max_message_bytes + 1))) {
		free(c);
		close(cfd);
		return 0;
	}
	c->d = d;
	c->fd = cfd;
	c->control = control;
	if (sd_event_add_io(d->event, &c->src, cfd, EPOLLIN, on_client, c) < 0) {
		free(c->in);
		free(c);
		close(cfd);
		return 0;
	}
	c->next = d->clients;
	d->clients = c;
	d->nclients++;
	if (!readable) {
		send_error(c, NULL, API_ERR_NOT_PERMITTED, "only root and members of group '%s' may use thermopad",
			   d->cfg.socket_group);
		c->closing = true;
	} else if ((unsigned)d->nclients > d->cfg.max_clients) {
		send_error(c, NULL, API_ERR_BUSY, "too many clients (%u)", d->cfg.max_clients);
		c->closing = true;
	}
	return 0;
}

void api_broadcast_telemetry(struct daemon *d, const struct pad_conn *p)
{
	double now = daemon_now(d);
	for (struct api_client *c = d->clients, *next; c; c = next) {
		next = c->next;
		if (!c->subscribed || c->closing || now - c->sub_last < c->sub_period * 0.999)
			continue;
		c->sub_last = now;
		json_t *m = json_pack("{s:i, s:s, s:f}", "v", API_VERSION, "event", "telemetry", "t", now);
		json_object_set_new(m, "pad", pad_json(p));
		send_json(c, m);
	}
}

void api_broadcast_event(struct daemon *d, const struct pad_conn *p, const struct core_event *e)
{
	static const char *const sev[] = {"info", "warning", "fault"};
	for (struct api_client *c = d->clients; c; c = c->next) {
		if (!c->subscribed || c->closing)
			continue;
		send_json(c, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "v", API_VERSION, "event", "event", "pad",
				       p->serial, "severity", sev[e->severity], "code", e->code, "message", e->message));
	}
}

int api_start(struct daemon *d, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(d->socket_path, sizeof d->socket_path, "%s/%s", d->opts.runtime_dir, API_SOCKET_NAME);
	if (strlen(d->socket_path) >= sizeof addr.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", d->socket_path);
		return -1;
	}
	memcpy(addr.sun_path, d->socket_path, strlen(d->socket_path) + 1);
	mkdir(d->opts.runtime_dir, 0755);
	unlink(d->socket_path);
	d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0 || bind(d->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    listen(d->listen_fd, 64) != 0) {
		snprintf(err, errlen, "socket %s: %s", d->socket_path, strerror(errno));
		return -1;
	}
	struct group *g = getgrnam(d->cfg.socket_group);
	if (g && chown(d->socket_path, (uid_t)-1, g->gr_gid) != 0)
		daemon_log(4, "socket %s: cannot give it to group %s", d->socket_path, d->cfg.socket_group);
	chmod(d->socket_path, 0660);
	if (sd_event_add_io(d->event, &d->listen_src, d->listen_fd, EPOLLIN, on_accept, d) < 0) {
		snprintf(err, errlen, "event loop: cannot watch the socket");
		return -1;
	}
	return 0;
}

void api_stop(struct daemon *d)
{
	while (d->clients)
		client_free(d->clients);
	sd_event_source_unref(d->listen_src);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	unlink(d->socket_path);
}
