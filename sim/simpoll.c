/* SPDX-License-Identifier: MIT */
/*
 * Part of the simulated kernel interface, preloaded into the program under
 * test next to umockdev's own preload library.
 *
 * The kernel reports POLLOUT on a usbdevfs fd only while a URB is waiting
 * to be reaped. umockdev gives the program the testbed's file for the
 * device node (its ioctls travel over a socket of umockdev's own), and a
 * plain file is always writable: an unchanged libusb program
 * would spin at full CPU. The simulator keeps, per device, a FIFO that holds
 * one byte exactly while a URB is reapable; this library makes poll(),
 * ppoll() and epoll_ctl() look at that FIFO whenever the program asks for
 * POLLOUT on an emulated usbdevfs fd. Nothing else is touched.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_FDS 1024
#define LOCAL_FDS 64

struct cache_entry {
	dev_t dev;
	ino_t ino; /* identity of the socket behind the fd number */
	int ready_fd; /* -1: not an emulated usbdevfs fd */
	bool valid;
};

static struct cache_entry cache[CACHE_FDS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void resolve_real(void)
{
	real_poll = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
	real_ppoll = (int (*)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))dlsym(
		RTLD_NEXT, "ppoll");
	real_epoll_ctl = (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT, "epoll_ctl");
}

/* umockdev opens the testbed's copy of the device node for the program
 * (and talks ioctls over a socket of its own), so the fd to recognise is
 * a file under $UMOCKDEV_DIR/dev/bus/usb/. Returns its FIFO, or -1. */
static int lookup_ready_fd(int fd)
{
	const char *root = getenv("UMOCKDEV_DIR");
	char link[64], target[PATH_MAX], prefix[PATH_MAX], path[PATH_MAX];
	if (!root)
		return -1;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	snprintf(prefix, sizeof prefix, "%s/dev/bus/usb/", root);
	if (strncmp(target, prefix, strlen(prefix)) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/thermopad-ready/%s", root, strrchr(target, '/') + 1);
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static int ready_fd_for(int fd)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode))
		return -1;
	if (fd >= CACHE_FDS)
		return -1; /* the simulator's programs never get this far */
	pthread_mutex_lock(&cache_lock);
	struct cache_entry *e = &cache[fd];
	if (!e->valid || e->dev != st.st_dev || e->ino != st.st_ino) {
		if (e->valid && e->ready_fd >= 0)
			close(e->ready_fd);
		e->ready_fd = lookup_ready_fd(fd);
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->valid = true;
	}
	int r = e->ready_fd;
	pthread_mutex_unlock(&cache_lock);
	return r;
}

/* Rewrites the set; returns whether any entry was redirected. */
static bool translate(const struct pollfd *in, struct pollfd *out, bool *mapped, nfds_t n)
{
	bool any = false;
	for (nfds_t i = 0; i < n; i++) {
		out[i] = in[i];
		mapped[i] = false;
		if (!(in[i].events & POLLOUT))
			continue;
		int r = ready_fd_for(in[i].fd);
		if (r < 0)
			continue;
		out[i].fd = r;
		out[i].events = (short)((in[i].events & ~(POLLOUT | POLLWRNORM)) | POLLIN);
		mapped[i] = any = true;
	}
	return any;
}

static int untranslate(struct pollfd *fds, const struct pollfd *local, const bool *mapped, nfds_t n)
{
	int ready = 0;
	for (nfds_t i = 0; i < n; i++) {
		short rev = local[i].revents;
		if (mapped[i]) {
			/* a FIFO without its writer: the simulator is gone, which
			 * to the program is a device gone (POLLERR, as the kernel
			 * says after a disconnect) */
			short gone = rev & (POLLHUP | POLLERR) ? (short)(POLLERR | POLLHUP) : 0;
			short want = fds[i].events & (POLLOUT | POLLWRNORM);
			rev = (short)(((rev & POLLIN) ? want : 0) | gone);
		}
		fds[i].revents = rev;
		if (rev)
			ready++;
	}
	return ready;
}

static int poll_common(struct pollfd *fds, nfds_t n, int timeout, const struct timespec *ts,
		       const sigset_t *mask, bool is_ppoll)
{
	struct pollfd local_buf[LOCAL_FDS], *local = local_buf;
	bool mapped_buf[LOCAL_FDS], *mapped = mapped_buf;
	if (n > LOCAL_FDS) {
		local = malloc(n * sizeof *local);
		mapped = malloc(n * sizeof *mapped);
		if (!local || !mapped) {
			free(local == local_buf ? NULL : local);
			free(mapped == mapped_buf ? NULL : mapped);
			return is_ppoll ? real_ppoll(fds, n, ts, mask) : real_poll(fds, n, timeout);
		}
	}
	int rc;
	if (!translate(fds, local, mapped, n)) {
		rc = is_ppoll ? real_ppoll(fds, n, ts, mask) : real_poll(fds, n, timeout);
	} else {
		rc = is_ppoll ? real_ppoll(local, n, ts, mask) : real_poll(local, n, timeout);
		if (rc > 0)
			rc = untranslate(fds, local, mapped, n);
		else
			for (nfds_t i = 0; i < n; i++)
				fds[i].revents = 0;
	}
	if (local != local_buf) {
		free(local);
		free(mapped);
	}
	return rc;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	pthread_once(&once, resolve_real);
	return poll_common(fds, n, timeout, NULL, NULL, false);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	pthread_once(&once, resolve_real);
	return poll_common(fds, n, 0, ts, mask, true);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	pthread_once(&once, resolve_real);
	int r = ready_fd_for(fd);
	if (r < 0)
		return real_epoll_ctl(epfd, op, fd, ev);
	if (op == EPOLL_CTL_DEL) {
		/* whichever of the two was registered */
		int rc = real_epoll_ctl(epfd, op, r, ev);
		return rc == 0 ? 0 : real_epoll_ctl(epfd, op, fd, ev);
	}
	if (!ev || !(ev->events & EPOLLOUT))
		return real_epoll_ctl(epfd, op, fd, ev);
	struct epoll_event e = *ev;
	e.events = (ev->events & ~(uint32_t)EPOLLOUT) | EPOLLIN;
	return real_epoll_ctl(epfd, op, r, &e);
}
