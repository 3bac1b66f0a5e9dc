/* SPDX-License-Identifier: MIT */
/*
 * The API socket's transport (server.h). Bad input never reaches a pad: a
 * message size limit, a client limit, a cap on each client's unsent output
 * (a slow subscriber is dropped, never waited for), idle timeouts, and the
 * peer's credentials decide who may control. Requests are parsed and
 * checked whole (request.c) before the dispatch table sees them.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stddef.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "io/clock.h"
#include "io/report.h"
#include "socket/dispatch.h"
#include "socket/handlers.h"
#include "socket/server.h"

static void client_free(struct api_client *c)
{
	struct server *srv = c->srv;
	handle_client_gone(c);
	for (struct api_client **p = &srv->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	srv->nclients--;
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
bool server_send(struct api_client *c, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return false;
	size_t n = strlen(text);
	if (c->out_len + n + 1 > c->srv->env.cfg->max_output_bytes) {
		free(text);
		if (!c->closing)
			report_log(LOG_WARNING, "a client that does not read was dropped (%zu bytes unsent, max_output_bytes %u)",
				   c->out_len, c->srv->env.cfg->max_output_bytes);
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

json_t *server_reply(json_t *id, bool ok)
{
	return json_pack("{s:i, s:O?, s:b}", "v", API_VERSION, "id", id, "ok", ok);
}

void server_error(struct api_client *c, json_t *id, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *r = server_reply(id, false);
	json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", code, "message", msg));
	server_send(c, r);
}

void server_ok(struct api_client *c, json_t *id)
{
	server_send(c, server_reply(id, true));
}

void server_drop(struct api_client *c)
{
	if (c->dropped)
		client_free(c);
}

static void handle(struct api_client *c, const char *line, size_t len)
{
	struct request r;
	struct request_error err;
	json_t *id;
	c->last_active = clock_wall();
	if (request_parse(line, len, &r, &id, &err) != 0) {
		server_error(c, id, err.code, "%s", err.message);
		json_decref(id);
		return;
	}
	dispatch_request(c, &r);
	request_free(&r);
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct api_client *c = user;
	(void)s;
	if (revents & EPOLLIN) {
		size_t max = c->srv->env.cfg->max_message_bytes;
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
				server_error(c, NULL, API_ERR_TOO_LARGE, "a request may be at most %zu bytes", max);
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
	struct server *srv = user;
	const struct config *cfg = srv->env.cfg;
	(void)s, (void)revents;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return 0;
	struct ucred cred;
	socklen_t len = sizeof cred;
	bool control = false, readable = false;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		control = cred.uid == 0 || cred.uid == geteuid() || in_group(cred.uid, cfg->socket_group);
		readable = control || cfg->read_only_others;
	}
	struct api_client *c = calloc(1, sizeof *c);
	if (!c || !(c->in = malloc(cfg->max_message_bytes + 1))) {
		free(c);
		close(cfd);
		return 0;
	}
	c->srv = srv;
	c->fd = cfd;
	c->control = control;
	c->last_active = clock_wall();
	if (sd_event_add_io(srv->event, &c->src, cfd, EPOLLIN, on_client, c) < 0) {
		free(c->in);
		free(c);
		close(cfd);
		return 0;
	}
	c->next = srv->clients;
	srv->clients = c;
	srv->nclients++;
	if (!readable) {
		server_error(c, NULL, API_ERR_NOT_PERMITTED, "only root and members of group '%s' may use thermopad",
			     cfg->socket_group);
		c->closing = true;
	} else if ((unsigned)srv->nclients > cfg->max_clients) {
		server_error(c, NULL, API_ERR_BUSY, "too many clients (%u)", cfg->max_clients);
		c->closing = true;
	}
	return 0;
}

/* Under systemd the socket unit listens and hands the socket over, so a
 * client can reach the daemon before any pad is plugged in. */
static int inherit(struct server *srv, char *err, size_t errlen)
{
	int n = sd_listen_fds(1);
	if (n <= 0)
		return 0;
	if (n > 1 || sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
		snprintf(err, errlen, "systemd passed %d sockets; expected one listening Unix stream socket", n);
		return -1;
	}
	srv->listen_fd = SD_LISTEN_FDS_START;
	srv->listen_inherited = true;
	int fl = fcntl(srv->listen_fd, F_GETFL);
	fcntl(srv->listen_fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(srv->listen_fd, F_SETFD, FD_CLOEXEC);
	struct sockaddr_un addr;
	socklen_t len = sizeof addr;
	if (getsockname(srv->listen_fd, (struct sockaddr *)&addr, &len) == 0 && len > offsetof(struct sockaddr_un, sun_path))
		snprintf(srv->socket_path, sizeof srv->socket_path, "%.*s",
			 (int)(len - offsetof(struct sockaddr_un, sun_path)), addr.sun_path);
	return 1;
}

static int listen_on(struct server *srv, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(srv->socket_path) >= sizeof addr.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", srv->socket_path);
		return -1;
	}
	memcpy(addr.sun_path, srv->socket_path, strlen(srv->socket_path) + 1);
	char dir[sizeof srv->socket_path];
	snprintf(dir, sizeof dir, "%s", srv->socket_path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755); /* its parent must exist: the runtime directory, made by systemd */
	}
	unlink(srv->socket_path);
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0 || bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    listen(srv->listen_fd, 64) != 0) {
		snprintf(err, errlen, "socket %s: %s", srv->socket_path, strerror(errno));
		return -1;
	}
	struct group *g = getgrnam(srv->env.cfg->socket_group);
	if (g && chown(srv->socket_path, (uid_t)-1, g->gr_gid) != 0)
		report_log(LOG_WARNING, "socket %s: cannot give it to group %s", srv->socket_path, srv->env.cfg->socket_group);
	chmod(srv->socket_path, 0660);
	return 0;
}

/* Once a second of wall time: a client that has asked nothing for
 * idle_timeout_s (and is not subscribed) is told so and closed, so that
 * forgotten connections cannot use up the client limit. */
static int on_sweep(sd_event_source *s, uint64_t usec, void *user)
{
	struct server *srv = user;
	double now = clock_wall();
	unsigned idle_s = srv->env.cfg->idle_timeout_s;
	for (struct api_client *c = srv->clients, *next; c; c = next) {
		next = c->next;
		if (!c->subscribed && !c->closing && now - c->last_active > idle_s) {
			server_error(c, NULL, API_ERR_IDLE, "no request for %u s: closing", idle_s);
			c->closing = true;
			if (!c->out_len)
				client_free(c);
		}
	}
	sd_event_source_set_time(s, usec + 1000000);
	return 0;
}

int server_start(struct server *srv, sd_event *ev, const struct server_env *env, const char *socket_path, char *err,
		 size_t errlen)
{
	memset(srv, 0, sizeof *srv);
	srv->env = *env;
	srv->event = ev;
	srv->listen_fd = -1;
	snprintf(srv->socket_path, sizeof srv->socket_path, "%s", socket_path);
	int inherited = inherit(srv, err, errlen);
	if (inherited < 0 || (inherited == 0 && listen_on(srv, err, errlen) != 0))
		return -1;
	uint64_t now;
	sd_event_now(srv->event, CLOCK_MONOTONIC, &now);
	if (sd_event_add_io(srv->event, &srv->listen_src, srv->listen_fd, EPOLLIN, on_accept, srv) < 0 ||
	    sd_event_add_time(srv->event, &srv->sweep_src, CLOCK_MONOTONIC, now + 1000000, 100000, on_sweep, srv) < 0 ||
	    sd_event_source_set_enabled(srv->sweep_src, SD_EVENT_ON) < 0) {
		snprintf(err, errlen, "event loop: cannot watch the socket");
		return -1;
	}
	return 0;
}

void server_stop(struct server *srv)
{
	while (srv->clients)
		client_free(srv->clients);
	srv->listen_src = sd_event_source_unref(srv->listen_src);
	srv->sweep_src = sd_event_source_unref(srv->sweep_src);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	srv->listen_fd = -1;
	if (!srv->listen_inherited && srv->socket_path[0]) /* systemd's socket stays for the next start */
		unlink(srv->socket_path);
}
