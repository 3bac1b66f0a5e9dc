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
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "io/logsync.h"

#define LOGSYNC_MAX 16

struct logsync {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool stop;
	int fds[LOGSYNC_MAX]; /* duplicates, owned here; -1 when free */
	bool closing[LOGSYNC_MAX]; /* one last sync, then close */
};

static void *syncer(void *arg)
{
	struct logsync *ls = arg;
	pthread_mutex_lock(&ls->lock);
	while (!ls->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&ls->wake, &ls->lock, &until);
		int fds[LOGSYNC_MAX];
		bool closing[LOGSYNC_MAX];
		for (int i = 0; i < LOGSYNC_MAX; i++) {
			fds[i] = ls->fds[i];
			closing[i] = ls->closing[i];
			if (closing[i]) {
				ls->fds[i] = -1;
				ls->closing[i] = false;
			}
		}
		pthread_mutex_unlock(&ls->lock);
		for (int i = 0; i < LOGSYNC_MAX; i++)
			if (fds[i] >= 0) {
				fdatasync(fds[i]);
				if (closing[i])
					close(fds[i]);
			}
		pthread_mutex_lock(&ls->lock);
	}
	pthread_mutex_unlock(&ls->lock);
	return NULL;
}

struct logsync *logsync_start(void)
{
	struct logsync *ls = calloc(1, sizeof *ls);
	if (!ls)
		return NULL;
	pthread_mutex_init(&ls->lock, NULL);
	pthread_cond_init(&ls->wake, NULL);
	for (int i = 0; i < LOGSYNC_MAX; i++)
		ls->fds[i] = -1;
	if (pthread_create(&ls->thread, NULL, syncer, ls) != 0) {
		pthread_cond_destroy(&ls->wake);
		pthread_mutex_destroy(&ls->lock);
		free(ls);
		return NULL;
	}
	return ls;
}

int logsync_add(struct logsync *ls, int fd)
{
	int dup_fd = dup(fd);
	if (dup_fd < 0)
		return -1;
	int slot = -1;
	pthread_mutex_lock(&ls->lock);
	for (int i = 0; i < LOGSYNC_MAX && slot < 0; i++)
		if (ls->fds[i] < 0 && !ls->closing[i]) {
			ls->fds[i] = dup_fd;
			slot = i;
		}
	pthread_mutex_unlock(&ls->lock);
	if (slot < 0)
		close(dup_fd); /* full: this log is flushed, not synced */
	return slot;
}

void logsync_release(struct logsync *ls, int slot)
{
	if (slot < 0 || slot >= LOGSYNC_MAX)
		return;
	pthread_mutex_lock(&ls->lock);
	if (ls->fds[slot] >= 0)
		ls->closing[slot] = true;
	pthread_cond_signal(&ls->wake);
	pthread_mutex_unlock(&ls->lock);
}

void logsync_stop(struct logsync *ls)
{
	if (!ls)
		return;
	pthread_mutex_lock(&ls->lock);
	ls->stop = true;
	pthread_cond_signal(&ls->wake);
	pthread_mutex_unlock(&ls->lock);
	pthread_join(ls->thread, NULL);
	for (int i = 0; i < LOGSYNC_MAX; i++)
		if (ls->fds[i] >= 0) {
			fdatasync(ls->fds[i]);
			close(ls->fds[i]);
		}
	pthread_cond_destroy(&ls->wake);
	pthread_mutex_destroy(&ls->lock);
	free(ls);
}
