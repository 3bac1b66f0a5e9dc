/* SPDX-License-Identifier: MIT */
/*
 * Session logs reach the disk at least once a second, from a thread of
 * their own: fdatasync can take tens of milliseconds on a slow disk, and
 * the control loop must never wait for it (under a time-scaled simulator
 * that would be seconds of model time without a heartbeat).
 * The thread syncs its own duplicates of the log descriptors, so a log can
 * be closed by the loop at any time without waiting.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define LOGSYNC_MAX 16

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stop;
	int fds[LOGSYNC_MAX];
	bool closing[LOGSYNC_MAX];
} ls = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *syncer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ls.lock);
	while (!ls.stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&ls.wake, &ls.lock, &until);
		int fds[LOGSYNC_MAX];
		bool closing[LOGSYNC_MAX];
		for (int i = 0; i < LOGSYNC_MAX; i++) {
			fds[i] = ls.fds[i];
			closing[i] = ls.closing[i];
			if (closing[i]) {
				ls.fds[i] = -1;
				ls.closing[i] = false;
			}
		}
		pthread_mutex_unlock(&ls.lock);
		for (int i = 0; i < LOGSYNC_MAX; i++)
			if (fds[i] >= 0) {
				fdatasync(fds[i]);
				if (closing[i])
					close(fds[i]);
			}
		pthread_mutex_lock(&ls.lock);
	}
	pthread_mutex_unlock(&ls.lock);
	return NULL;
}

int logsync_start(void)
{
	for (int i = 0; i < LOGSYNC_MAX; i++)
		ls.fds[i] = -1;
	if (pthread_create(&ls.thread, NULL, syncer, NULL) != 0)
		return -1;
	ls.running = true;
	return 0;
}

void logsync_add(int fd)
{
	int dup_fd = dup(fd);
	if (dup_fd < 0)
		return;
	pthread_mutex_lock(&ls.lock);
	for (int i = 0; i < LOGSYNC_MAX; i++)
		if (ls.fds[i] < 0) {
			ls.fds[i] = dup_fd;
			dup_fd = -1;
			break;
		}
	pthread_mutex_unlock(&ls.lock);
	if (dup_fd >= 0)
		close(dup_fd); /* full: this log is flushed, not synced */
}

/* The log behind fd is closing: one last sync, then the duplicate goes. */
void logsync_release(int fd)
{
	pthread_mutex_lock(&ls.lock);
	for (int i = 0; i < LOGSYNC_MAX; i++) {
		if (ls.fds[i] < 0)
			continue;
		/* the duplicate shares the open file: compare what it points to */
		char a[64], b[64], pa[256], pb[256];
		snprintf(a, sizeof a, "/proc/self/fd/%d", ls.fds[i]);
		snprintf(b, sizeof b, "/proc/self/fd/%d", fd);
		ssize_t na = readlink(a, pa, sizeof pa - 1), nb = readlink(b, pb, sizeof pb - 1);
		if (na > 0 && na == nb && memcmp(pa, pb, (size_t)na) == 0)
			ls.closing[i] = true;
	}
	pthread_cond_signal(&ls.wake);
	pthread_mutex_unlock(&ls.lock);
}

void logsync_stop(void)
{
	if (!ls.running)
		return;
	pthread_mutex_lock(&ls.lock);
	ls.stop = true;
	pthread_cond_signal(&ls.wake);
	pthread_mutex_unlock(&ls.lock);
	pthread_join(ls.thread, NULL);
	for (int i = 0; i < LOGSYNC_MAX; i++)
		if (ls.fds[i] >= 0) {
			fdatasync(ls.fds[i]);
			close(ls.fds[i]);
			ls.fds[i] = -1;
		}
	ls.running = false;
}
