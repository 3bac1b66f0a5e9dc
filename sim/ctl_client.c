/* SPDX-License-Identifier: MIT */
#include "ctl_client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A reply is complete at its final line: "ok" or "error: ...". */
static bool reply_complete(const char *reply, size_t used)
{
	if (used == 0 || reply[used - 1] != '\n')
		return false;
	size_t start = used - 1;
	while (start > 0 && reply[start - 1] != '\n')
		start--;
	return strncmp(reply + start, "ok\n", 3) == 0 || strncmp(reply + start, "error: ", 7) == 0;
}

int simctl_client(const char *path, const char *line, char *reply, size_t replylen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof addr.sun_path) {
		snprintf(reply, replylen, "error: path too long\n");
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		snprintf(reply, replylen, "error: cannot reach the simulator at %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char msg[512];
	snprintf(msg, sizeof msg, "%s\n", line);
	size_t used = 0;
	int rc = -1;
	if (write(fd, msg, strlen(msg)) == (ssize_t)strlen(msg)) {
		while (used + 1 < replylen) {
			ssize_t n = read(fd, reply + used, replylen - 1 - used);
			if (n <= 0)
				break;
			used += (size_t)n;
			reply[used] = '\0';
			if (reply_complete(reply, used))
				break;
		}
		reply[used] = '\0';
		rc = used >= 3 && strcmp(reply + used - 3, "ok\n") == 0 ? 0 : -1;
	}
	close(fd);
	return rc;
}
