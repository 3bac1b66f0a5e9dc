/* SPDX-License-Identifier: MIT */
/*
 * The API socket's transport: newline-delimited JSON (docs/api.md). Bad
 * input never reaches a pad: a message size limit, a client limit, a cap
 * on each client's unsent output (a slow subscriber is dropped, never
 * waited for), idle timeouts, and the peer's credentials decide who may
 * control. Requests are parsed and checked whole (request.c) before a
 * handler sees them.
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
#include <stddef.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "socket/server.h"

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
	/* unread input at close makes the kernel reset the connection, and
	 * the client would lose the error it was just sent */
	char sink[4096];
	while (read(c->fd, sink, sizeof sink) > 0)
		;
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
bool api_send(struct api_client *c, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return false;
	size_t n = strlen(text);
	if (c->out_len + n + 1 > c->d->cfg.max_output_bytes) {
		free(text);
		if (!c->closing)
			daemon_log(4, "a client that does not read was dropped (%zu bytes unsent, max_output_bytes %u)",
				   c->out_len, c->d->cfg.max_output_bytes);
		c->closing = c->dropped = true;
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

json_t *api_reply(json_t *id, bool ok)
{
	return json_pack("{s:i, s:O?, s:b}", "v", API_VERSION, "id", id, "ok", ok);
}

void api_error(struct api_client *c, json_t *id, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *r = api_reply(id, false);
	json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", code, "message", msg));
	api_send(c, r);
}

void api_ok(struct api_client *c, json_t *id)
{
	api_send(c, api_reply(id, true));
}

static void handle(struct api_client *c, const char *line, size_t len)
{
	struct request r;
	struct request_error err;
	json_t *id;
	c->last_active = daemon_wall();
	if (request_parse(line, len, &r, &id, &err) != 0) {
		api_error(c, id, err.code, "%s", err.message);
		json_decref(id);
		return;
	}
	if (r.control && !c->control) {
		api_error(c, r.id, API_ERR_NOT_PERMITTED, "only root and members of group '%s' may %s",
			  c->d->cfg.socket_group, r.cmd == REQ_RELOAD ? "reload the daemon" : "control the pad");
	} else {
		switch (r.cmd) {
		case REQ_VERSION:
		case REQ_STATUS:
		case REQ_DEVICES:
		case REQ_SUBSCRIBE: api_handle_status(c, &r); break;
		case REQ_PROFILES_LIST:
		case REQ_PROFILES_SHOW:
		case REQ_PROFILES_VALIDATE:
		case REQ_RELOAD:
		case REQ_SESSIONS_LIST:
		case REQ_SESSION_SAMPLES: api_handle_files(c, &r); break;
		default: api_handle_control(c, &r); break;
		}
	}
	request_free(&r);
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
		/* a client being closed (refused, too large, idle, dropped) has
		 * nothing more handled */
		for (ssize_t i = 0; i < n && !c->closing; i++) {
			if (buf[i] == '\n') {
				c->in[c->in_len] = '\0';
				if (c->in_len)
					handle(c, c->in, c->in_len);
				c->in_len = 0;
			} else if (c->in_len + 1 >= max) {
				api_error(c, NULL, API_ERR_TOO_LARGE, "a request may be at most %zu bytes", max);
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
	if (c->dropped || (c->closing && !c->out_len))
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
	c->last_active = daemon_wall();
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
		api_error(c, NULL, API_ERR_NOT_PERMITTED, "only root and members of group '%s' may use thermopad",
			   d->cfg.socket_group);
		c->closing = true;
	} else if ((unsigned)d->nclients > d->cfg.max_clients) {
		api_error(c, NULL, API_ERR_BUSY, "too many clients (%u)", d->cfg.max_clients);
		c->closing = true;
	}
	return 0;
}

void api_broadcast_telemetry(struct daemon *d, const struct pad_conn *p)
{
	double now = daemon_now(d);
	size_t slot = (size_t)(p - d->pads);
	/* Lines are due on a fixed schedule per pad, and a report that arrives
	 * up to half a report period early still counts for its slot: judged
	 * by the gap since the last line, arrival jitter dropped about a
	 * third of the lines at 10 Hz. */
	const double early = 0.05; /* half the firmware's report period */
	for (struct api_client *c = d->clients, *next; c; c = next) {
		next = c->next;
		if (!c->subscribed || c->closing)
			continue;
		double *due = &c->sub_due[slot];
		if (now < *due - fmin(early, c->sub_period / 2))
			continue;
		*due = *due + c->sub_period < now ? now + c->sub_period : *due + c->sub_period;
		json_t *m = json_pack("{s:i, s:s, s:f}", "v", API_VERSION, "event", "telemetry", "t", now);
		json_object_set_new(m, "pad", api_pad_json(p));
		if (!api_send(c, m) && c->dropped)
			client_free(c);
	}
}

void api_broadcast_event(struct daemon *d, const struct pad_conn *p, const struct core_event *e)
{
	static const char *const sev[] = {"info", "warning", "fault"};
	for (struct api_client *c = d->clients, *next; c; c = next) {
		next = c->next;
		if (!c->subscribed || c->closing)
			continue;
		if (!api_send(c, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "v", API_VERSION, "event", "event", "pad",
					   p->serial, "severity", sev[e->severity], "code", e->code, "message",
					   e->message)) &&
		    c->dropped)
			client_free(c);
	}
}

/* Under systemd the socket unit listens and hands the socket over, so a
 * client can reach the daemon before any pad is plugged in. */
static int api_inherit(struct daemon *d, char *err, size_t errlen)
{
	int n = sd_listen_fds(1);
	if (n <= 0)
		return 0;
	if (n > 1 || sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
		snprintf(err, errlen, "systemd passed %d sockets; expected one listening Unix stream socket", n);
		return -1;
	}
	d->listen_fd = SD_LISTEN_FDS_START;
	d->listen_inherited = true;
	int fl = fcntl(d->listen_fd, F_GETFL);
	fcntl(d->listen_fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(d->listen_fd, F_SETFD, FD_CLOEXEC);
	struct sockaddr_un addr;
	socklen_t len = sizeof addr;
	if (getsockname(d->listen_fd, (struct sockaddr *)&addr, &len) == 0 && len > offsetof(struct sockaddr_un, sun_path))
		snprintf(d->socket_path, sizeof d->socket_path, "%.*s",
			 (int)(len - offsetof(struct sockaddr_un, sun_path)), addr.sun_path);
	return 1;
}

static int api_listen(struct daemon *d, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(d->socket_path) >= sizeof addr.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", d->socket_path);
		return -1;
	}
	memcpy(addr.sun_path, d->socket_path, strlen(d->socket_path) + 1);
	char dir[sizeof d->socket_path];
	snprintf(dir, sizeof dir, "%s", d->socket_path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755); /* its parent must exist: the runtime directory, made by systemd */
	}
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
	return 0;
}

/* Once a second of wall time: a client that has asked nothing for
 * idle_timeout_s (and is not subscribed) is told so and closed, so that
 * forgotten connections cannot use up the client limit. */
static int on_sweep(sd_event_source *s, uint64_t usec, void *user)
{
	struct daemon *d = user;
	double now = daemon_wall();
	for (struct api_client *c = d->clients, *next; c; c = next) {
		next = c->next;
		if (!c->subscribed && !c->closing && now - c->last_active > d->cfg.idle_timeout_s) {
			api_error(c, NULL, API_ERR_IDLE, "no request for %u s: closing", d->cfg.idle_timeout_s);
			c->closing = true;
			if (!c->out_len)
				client_free(c);
		}
	}
	sd_event_source_set_time(s, usec + 1000000);
	return 0;
}

int api_start(struct daemon *d, char *err, size_t errlen)
{
	int inherited = api_inherit(d, err, errlen);
	if (inherited < 0 || (inherited == 0 && api_listen(d, err, errlen) != 0))
		return -1;
	uint64_t now;
	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	if (sd_event_add_io(d->event, &d->listen_src, d->listen_fd, EPOLLIN, on_accept, d) < 0 ||
	    sd_event_add_time(d->event, &d->sweep_src, CLOCK_MONOTONIC, now + 1000000, 100000, on_sweep, d) < 0 ||
	    sd_event_source_set_enabled(d->sweep_src, SD_EVENT_ON) < 0) {
		snprintf(err, errlen, "event loop: cannot watch the socket");
		return -1;
	}
	return 0;
}

void api_stop(struct daemon *d)
{
	while (d->clients)
		client_free(d->clients);
	d->listen_src = sd_event_source_unref(d->listen_src);
	d->sweep_src = sd_event_source_unref(d->sweep_src);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	if (!d->listen_inherited) /* systemd's socket stays for the next start */
		unlink(d->socket_path);
}
