/* SPDX-License-Identifier: MIT */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "thermopad_api.h"

int client_connect(struct client *c, const char *path, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof addr.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		int e = errno;
		snprintf(err, errlen, "%s", strerror(e));
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

json_t *client_next(struct client *c, int timeout_ms)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl) {
			*nl = '\0';
			json_t *msg = json_loads(c->buf, 0, NULL);
			size_t used = (size_t)(nl + 1 - c->buf);
			memmove(c->buf, nl + 1, c->len - used);
			c->len -= used;
			return msg ? msg : json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", "bad-reply", "message",
						     "the daemon sent something that is not JSON");
		}
		if (c->len == c->cap) { /* a long reply (session samples): grow */
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *grown = cap <= CLIENT_MAX_LINE ? realloc(c->buf, cap) : NULL;
			if (!grown) {
				c->closed = true;
				return NULL;
			}
			c->buf = grown;
			c->cap = cap;
		}
		struct pollfd p = {c->fd, POLLIN, 0};
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return NULL;
		if (n <= 0) {
			c->closed = true;
			return NULL;
		}
		c->len += (size_t)n;
	}
}

json_t *client_call(struct client *c, json_t *req)
{
	int id = ++c->next_id;
	json_object_set_new(req, "v", json_integer(API_VERSION));
	json_object_set_new(req, "id", json_integer(id));
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return NULL;
	size_t n = strlen(text);
	text[n] = '\n';
	ssize_t w = send(c->fd, text, n + 1, MSG_NOSIGNAL);
	free(text);
	/* a daemon that refused us at connect time may have closed already:
	 * its refusal is still there to be read */
	bool sent = w == (ssize_t)(n + 1);
	for (;;) {
		json_t *msg = client_next(c, sent ? 10000 : 1000);
		if (!msg)
			return NULL;
		json_t *mid = json_object_get(msg, "id");
		/* a refusal at connect time carries no id */
		if ((json_is_integer(mid) && json_integer_value(mid) == id) ||
		    ((!mid || json_is_null(mid)) && json_object_get(msg, "ok")))
			return msg;
		json_decref(msg);
	}
}
