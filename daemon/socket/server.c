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
#include "socket/server.h"

/* Priorities in the loop: sd-event dispatches the most urgent pending
 * source first, one per iteration, so the control tick and the pads'
 * telemetry (priority 0) never wait behind more than one client's slice
 * of work. Clients come after them, and the slices of long replies last. */
#define API_PRIORITY_CLIENT (SD_EVENT_PRIORITY_NORMAL + 10)
#define API_PRIORITY_JOB API_PRIORITY_CLIENT /* in turn with the others */
/* Clients together may use at most API_BUDGET_S of each API_WINDOW_S of
 * the loop: past it, no client is served until the window ends. The loop
 * then sleeps at least half the time whatever clients ask, so that the
 * kernel wakes it promptly for the tick (and, at a real-time priority, it
 * never takes a core from the rest of the machine). */
#define API_WINDOW_S 0.1
#define API_BUDGET_S 0.05
/* A job's next slice is made while less than this is queued. */
#define API_JOB_LOW_WATER (64u << 10)
/* Slots beyond max_clients for clients that may control the pad and do not
 * subscribe: root and the group can always stop a session, however many
 * subscribers hold the others. The last of them is root's alone. */
#define API_CONTROL_SLOTS 4

static void job_end(struct api_client *c)
{
	if (c->job.free)
		c->job.free(c->job.state);
	c->job = (struct api_job){0};
	c->job_src = sd_event_source_unref(c->job_src);
}

static void client_free(struct api_client *c)
{
	struct server *srv = c->srv;
	if (srv->env.client_gone)
		srv->env.client_gone(c);
	for (struct api_client **p = &srv->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	srv->nclients--;
	job_end(c);
	sd_event_source_unref(c->src);
	/* unread input at close makes the kernel reset the connection, and
	 * the client would lose the error it was just sent */
	char sink[4096];
	while (read(c->fd, sink, sizeof sink) > 0)
		;
	close(c->fd);
	free(c->in);
	free(c->out.data);
	free(c->held.data);
	free(c);
}

/* Input is read (and handled) only while no job's reply is on its way and
 * the client has read its earlier replies down to max_output_bytes: a
 * client that sends requests without reading their replies waits, it does
 * not grow the daemon's memory. */
static bool wants_input(const struct api_client *c)
{
	return !c->eof && !c->closing && !c->job.step && c->out.len <= c->srv->env.cfg->max_output_bytes;
}

static void update_events(struct api_client *c)
{
	uint32_t ev = (wants_input(c) && c->in_len <= c->srv->env.cfg->max_message_bytes ? EPOLLIN : 0) |
		      (c->out.len ? EPOLLOUT : 0);
	sd_event_source_set_io_events(c->src, ev);
	if (c->job_src)
		sd_event_source_set_enabled(c->job_src, !c->srv->paused && c->out.len < API_JOB_LOW_WATER ? SD_EVENT_ON
												 : SD_EVENT_OFF);
}

static int on_resume(sd_event_source *s, uint64_t usec, void *user);

/* Counts a client callback's time against the window; past the budget,
 * every client source waits for the window's end. */
static void charge(struct server *srv, double t0, double cpu0)
{
	double now = clock_wall(), cpu_s = clock_thread_cpu() - cpu0;
	if (cpu_s > srv->slice_cpu_max_s)
		srv->slice_cpu_max_s = cpu_s;
	if (now - srv->window_start >= API_WINDOW_S) {
		srv->window_start = t0;
		srv->window_used_s = 0;
	}
	srv->window_used_s += now - t0;
	if (srv->window_used_s < API_BUDGET_S || srv->paused)
		return;
	uint64_t at = (uint64_t)((srv->window_start + API_WINDOW_S) * 1e6);
	if (!srv->resume_src) {
		if (sd_event_add_time(srv->event, &srv->resume_src, CLOCK_MONOTONIC, at, 1000, on_resume, srv) < 0 ||
		    sd_event_source_set_priority(srv->resume_src, API_PRIORITY_CLIENT) < 0)
			return; /* served without a budget rather than not at all */
	} else {
		sd_event_source_set_time(srv->resume_src, at);
	}
	sd_event_source_set_enabled(srv->resume_src, SD_EVENT_ONESHOT);
	srv->paused = true;
	sd_event_source_set_enabled(srv->listen_src, SD_EVENT_OFF);
	for (struct api_client *c = srv->clients; c; c = c->next) {
		sd_event_source_set_enabled(c->src, SD_EVENT_OFF);
		if (c->job_src)
			sd_event_source_set_enabled(c->job_src, SD_EVENT_OFF);
	}
}

static int on_resume(sd_event_source *s, uint64_t usec, void *user)
{
	struct server *srv = user;
	(void)s, (void)usec;
	srv->paused = false;
	srv->window_start = clock_wall();
	srv->window_used_s = 0;
	sd_event_source_set_enabled(srv->listen_src, SD_EVENT_ON);
	for (struct api_client *c = srv->clients; c; c = c->next) {
		sd_event_source_set_enabled(c->src, SD_EVENT_ON);
		update_events(c);
	}
	return 0;
}

static bool buffer_append(struct api_buffer *b, const char *bytes, size_t n, bool newline)
{
	size_t need = b->len + n + (newline ? 1 : 0);
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < need)
			cap *= 2;
		char *grown = realloc(b->data, cap);
		if (!grown)
			return false;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, bytes, n);
	if (newline)
		b->data[b->len + n] = '\n';
	b->len = need;
	return true;
}

bool server_send_bytes(struct api_client *c, const char *bytes, size_t n)
{
	if (!buffer_append(&c->out, bytes, n, false)) {
		c->closing = c->dropped = true;
		return false;
	}
	update_events(c);
	return true;
}

/* Text that jansson will take: a message cut by a fixed-size buffer may
 * end inside a character, and text from a file may not be UTF-8 at all.
 * A sequence cut at the end is dropped, any other bad byte becomes '?'. */
static void utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 2 : (*p & 0xf0) == 0xe0 ? 3
			: (*p & 0xf8) == 0xf0 && *p <= 0xf4 ? 4 : 0;
		int i = 1;
		while (n > 1 && i < n && (p[i] & 0xc0) == 0x80)
			i++;
		if (n > 1 && i < n && !p[i]) { /* cut short by the end of the text */
			*p = '\0';
			return;
		}
		bool overlong = (n == 3 && *p == 0xe0 && p[1] < 0xa0) || (n == 4 && *p == 0xf0 && p[1] < 0x90) ||
				(n == 3 && *p == 0xed && p[1] >= 0xa0) || (n == 4 && *p == 0xf4 && p[1] >= 0x90);
		if (n == 0 || i < n || overlong) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

static void send_internal_error(struct api_client *c)
{
	static const char line[] = "{\"v\":1,\"id\":null,\"ok\":false,\"error\":{\"code\":\"" API_ERR_INTERNAL
				   "\",\"message\":\"the reply could not be encoded\"}}";
	report_log(LOG_ERR, "a reply could not be encoded: sent an error in its place");
	if (!buffer_append(&c->out, line, sizeof line - 1, true))
		c->closing = c->dropped = true;
	update_events(c);
}

bool server_send(struct api_client *c, json_t *msg)
{
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!text) {
		send_internal_error(c);
		return false;
	}
	bool ok = buffer_append(c->job.step ? &c->held : &c->out, text, strlen(text), true);
	free(text);
	if (!ok)
		c->closing = c->dropped = true;
	update_events(c);
	return ok;
}

bool server_send_stream_text(struct api_client *c, const char *text, size_t n);

bool server_send_stream(struct api_client *c, json_t *msg)
{
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!text)
		return false; /* a stream line is skipped, the client stays */
	bool ok = server_send_stream_text(c, text, strlen(text));
	free(text);
	return ok;
}

static int on_job(sd_event_source *s, void *user);

void server_start_job(struct api_client *c, const struct api_job *job)
{
	c->job = *job;
	if (sd_event_add_defer(c->srv->event, &c->job_src, on_job, c) < 0 ||
	    sd_event_source_set_priority(c->job_src, API_PRIORITY_JOB) < 0) {
		job_end(c);
		c->closing = true; /* nothing of the reply was sent: the client sees the close */
		report_log(LOG_ERR, "event loop: cannot schedule a reply");
		return;
	}
	update_events(c);
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
	utf8_clean(msg);
	json_t *r = server_reply(id, false);
	json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
	if (!r || !e || json_object_set_new(r, "error", e) != 0) {
		json_decref(r);
		send_internal_error(c);
		return;
	}
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
	c->srv->env.request(c, &r);
	request_free(&r);
}

/* Handles the complete lines received, while input is wanted. A request
 * is at most max_message_bytes, its newline not counted. */
static void serve_input(struct api_client *c)
{
	size_t max = c->srv->env.cfg->max_message_bytes;
	while (wants_input(c)) {
		char *nl = memchr(c->in, '\n', c->in_len);
		if (!nl) {
			if (c->in_len > max) {
				server_error(c, NULL, API_ERR_TOO_LARGE, "a request may be at most %zu bytes", max);
				c->closing = true;
			}
			break;
		}
		size_t len = (size_t)(nl - c->in);
		*nl = '\0';
		if (len)
			handle(c, c->in, len);
		c->in_len -= len + 1;
		memmove(c->in, nl + 1, c->in_len);
	}
	update_events(c);
}

/* Once the client has said all it will (end of input) and has all its
 * replies, or it is being closed and its last words are out. */
static bool finished(const struct api_client *c)
{
	if (c->dropped)
		return true;
	if (c->out.len || c->job.step)
		return false;
	for (int i = 0; i < PAD_MAX; i++) /* a clear-faults answered when the pad has judged it */
		if (c->srv->clear_waiter[i].client == c)
			return false;
	return c->closing || (c->eof && !memchr(c->in, '\n', c->in_len));
}

static void client_io(struct api_client *c, int fd, uint32_t revents);

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct api_client *c = user;
	struct server *srv = c->srv;
	double t0 = clock_wall(), cpu0 = clock_thread_cpu();
	(void)s;
	client_io(c, fd, revents);
	charge(srv, t0, cpu0);
	return 0;
}

static void client_io(struct api_client *c, int fd, uint32_t revents)
{
	if ((revents & EPOLLIN) && wants_input(c)) {
		size_t room = c->srv->env.cfg->max_message_bytes + 1 - c->in_len;
		ssize_t n = room ? read(fd, c->in + c->in_len, room) : 0;
		if (n == 0 && room) {
			c->eof = true; /* a half-close: what it asked for is still sent */
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			client_free(c);
			return;
		} else if (n > 0) {
			c->in_len += (size_t)n;
		}
		serve_input(c);
	}
	if (c->out.len) {
		ssize_t n = send(fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			memmove(c->out.data, c->out.data + n, c->out.len - (size_t)n);
			c->out.len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			client_free(c);
			return;
		}
		if (c->out.len <= c->srv->env.cfg->max_output_bytes)
			serve_input(c); /* it read: requests held back are handled */
		update_events(c);
	} else if (revents & (EPOLLHUP | EPOLLERR)) {
		client_free(c); /* gone both ways: nothing can reach it */
		return;
	}
	if (finished(c))
		client_free(c);
}

static void job_io(struct api_client *c);

static int on_job(sd_event_source *s, void *user)
{
	struct api_client *c = user;
	struct server *srv = c->srv;
	double t0 = clock_wall(), cpu0 = clock_thread_cpu();
	(void)s;
	job_io(c);
	charge(srv, t0, cpu0);
	return 0;
}

static void job_io(struct api_client *c)
{
	int rc = c->job.step(c, c->job.state);
	if (rc > 0 && !c->dropped) {
		update_events(c);
		return;
	}
	job_end(c);
	if (rc < 0 || c->dropped) {
		c->closing = true; /* the reply's line is left unfinished: the client sees the close */
		report_log(LOG_WARNING, "a reply could not be completed: its client is closed");
	} else if (c->held.len) { /* stream lines that waited for the reply */
		if (!buffer_append(&c->out, c->held.data, c->held.len, false))
			c->closing = c->dropped = true;
		c->held.len = 0;
	}
	serve_input(c);
	if (finished(c))
		client_free(c);
}

/* Whether uid's user belongs to group in the user database, however many
 * groups it has: for a kernel without SO_PEERGROUPS. */
static bool user_in_group(uid_t uid, gid_t want)
{
	struct passwd *pw = getpwuid(uid);
	if (!pw)
		return false;
	int n = 64;
	for (;;) {
		gid_t *groups = malloc((size_t)n * sizeof *groups);
		if (!groups)
			return false;
		int got = n;
		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &got) >= 0) {
			bool found = false;
			for (int i = 0; i < got && !found; i++)
				found = groups[i] == want;
			free(groups);
			return found;
		}
		free(groups);
		/* got is now the number needed (glibc); grow at least twofold */
		if (n >= 1 << 20)
			return false;
		n = got > n ? got : n * 2;
	}
}

/* Whether the peer's process holds the group, as the kernel says at
 * connection (the same credentials the socket file's mode was judged by):
 * its primary group or any of its supplementary groups, however many. The
 * user database is not asked, so that it works in the unit's private user
 * namespace (PrivateUsers=, where other users' ids are not mapped but the
 * unit's group is) and never waits on a directory service. */
static bool peer_in_group(int fd, const struct ucred *cred, const char *group)
{
	struct group *g = getgrnam(group);
	if (!g)
		return false;
	if (cred->gid == g->gr_gid)
		return true;
	socklen_t len = 64 * sizeof(gid_t);
	for (int tries = 0; tries < 4; tries++) {
		gid_t *groups = malloc(len ? len : sizeof(gid_t));
		if (!groups)
			return false;
		socklen_t got = len;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &got) == 0) {
			bool found = false;
			for (size_t i = 0; i < got / sizeof(gid_t) && !found; i++)
				found = groups[i] == g->gr_gid;
			free(groups);
			return found;
		}
		int e = errno;
		free(groups);
		if (e == ENOPROTOOPT)
			return user_in_group(cred->uid, g->gr_gid);
		if (e != ERANGE || got <= len)
			return false;
		len = got; /* the size the kernel needs */
	}
	return false;
}

/* Slots held, regular and reserved; a client being closed holds none. */
static void count_slots(const struct server *srv, unsigned *regular, unsigned *reserved)
{
	*regular = *reserved = 0;
	for (const struct api_client *c = srv->clients; c; c = c->next)
		if (!c->closing)
			*(c->reserved ? reserved : regular) += 1;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct server *srv = user;
	(void)s, (void)revents;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return 0;
	struct ucred cred;
	socklen_t len = sizeof cred;
	bool control = false, readable = false, root = false;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		root = cred.uid == 0 || cred.uid == geteuid();
		control = root || peer_in_group(cfd, &cred, srv->env.cfg->socket_group);
		readable = control || srv->env.cfg->read_only_others;
	}
	struct api_client *c = calloc(1, sizeof *c);
	if (!c || !(c->in = malloc(srv->env.cfg->max_message_bytes + 1))) {
		free(c);
		close(cfd);
		return 0;
	}
	c->srv = srv;
	c->fd = cfd;
	c->control = control;
	c->last_active = clock_wall();
	if (sd_event_add_io(srv->event, &c->src, cfd, EPOLLIN, on_client, c) < 0 ||
	    sd_event_source_set_priority(c->src, API_PRIORITY_CLIENT) < 0) {
		sd_event_source_unref(c->src);
		free(c->in);
		free(c);
		close(cfd);
		return 0;
	}
	/* the regular slots first; beyond them, the control slots */
	unsigned regular, reserved;
	count_slots(srv, &regular, &reserved);
	bool busy = false;
	if (regular >= srv->env.cfg->max_clients) {
		busy = !control || reserved >= API_CONTROL_SLOTS || (reserved == API_CONTROL_SLOTS - 1 && !root);
		c->reserved = !busy;
	}
	c->next = srv->clients;
	srv->clients = c;
	srv->nclients++;
	if (!readable) {
		server_error(c, NULL, API_ERR_NOT_PERMITTED, "only root and members of group '%s' may use thermopad",
			  srv->env.cfg->socket_group);
		c->closing = true;
	} else if (busy) {
		server_error(c, NULL, API_ERR_BUSY, "too many clients (%u)", srv->env.cfg->max_clients);
		c->closing = true;
	}
	return 0;
}

bool server_send_stream_text(struct api_client *c, const char *text, size_t n)
{
	struct api_buffer *b = c->job.step ? &c->held : &c->out;
	if (b->len + n + 1 > c->srv->env.cfg->max_output_bytes || !buffer_append(b, text, n, true)) {
		if (!c->closing)
			report_log(LOG_WARNING, "a subscriber that does not read was dropped (%zu bytes unsent, max_output_bytes %u)",
				   c->out.len + c->held.len, c->srv->env.cfg->max_output_bytes);
		c->closing = c->dropped = true;
		return false;
	}
	update_events(c);
	return true;
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
	return 0;
}

/* The socket's mode is what [socket] read_only_others needs: others must
 * be able to connect (0666) for the daemon to let them read; else only the
 * owner and the group reach it (0660). Who may do what is decided at
 * connection either way. */
static void socket_mode(struct server *srv)
{
	bool others = srv->env.cfg->read_only_others;
	mode_t mode = others ? 0666 : 0660;
	struct stat st;
	if (!srv->socket_path[0] || (stat(srv->socket_path, &st) == 0 && (st.st_mode & 07777) == mode))
		return;
	if (chmod(srv->socket_path, mode) != 0)
		report_log(others ? LOG_ERR : LOG_WARNING,
			   "socket %s: cannot set mode %04o (%s): read_only_others = %s needs it; the socket unit's "
			   "SocketUser must be the daemon's user",
			   srv->socket_path, (unsigned)mode, strerror(errno), others ? "yes" : "no");
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
		if (c->closing && now - c->last_active > 2.0 * idle_s) {
			client_free(c); /* its last words were never read */
		} else if (!c->subscribed && !c->closing && !c->job.step && now - c->last_active > idle_s) {
			server_error(c, NULL, API_ERR_IDLE, "no request for %u s: closing", idle_s);
			c->closing = true;
			if (!c->out.len)
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
	socket_mode(srv);
	if (sd_event_add_io(srv->event, &srv->listen_src, srv->listen_fd, EPOLLIN, on_accept, srv) < 0 ||
	    sd_event_source_set_priority(srv->listen_src, API_PRIORITY_CLIENT) < 0 ||
	    sd_event_add_time(srv->event, &srv->sweep_src, CLOCK_MONOTONIC, now + 1000000, 100000, on_sweep, srv) < 0 ||
	    sd_event_source_set_priority(srv->sweep_src, API_PRIORITY_CLIENT) < 0 ||
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
	srv->resume_src = sd_event_source_unref(srv->resume_src);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	srv->listen_fd = -1;
	if (!srv->listen_inherited && srv->socket_path[0]) /* systemd's socket stays for the next start */
		unlink(srv->socket_path);
}
