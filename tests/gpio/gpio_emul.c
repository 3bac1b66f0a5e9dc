/* SPDX-License-Identifier: MIT */
/*
 * The emulated GPIO chip (see gpio_emul.h). The ioctl handlers run on
 * umockdev's worker thread while the test thread drives the pins, so all
 * line state sits behind one mutex.
 *
 * Whether a request is still held is decided from the fd the request handed
 * out: libgpiod releases a line by closing that fd, and umockdev tells the
 * handler about the closed connection only later, on its own thread. So the
 * emulator remembers the fd and the FIFO's inode and checks, when asked,
 * that the fd still refers to that FIFO: no waiting, no races with close.
 */
#include "gpio_emul.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/gpio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <umockdev.h>
#include <unistd.h>

enum line_state { LINE_FREE, LINE_OUTPUT, LINE_INPUT, LINE_EVENTS };

struct emul_line {
	char name[GPIO_MAX_NAME_SIZE];
	char devnode[96]; /* /dev/<chip>-line<N> */
	char fifo[512]; /* the same node inside the testbed directory */
	ino_t ino;
	dev_t dev;
	int wfd; /* our own end of the FIFO: queue and drain events */
	bool busy; /* held by "another program" */
	char busy_consumer[GPIO_MAX_NAME_SIZE];
	/* the current (or last) request */
	enum line_state state;
	int fd; /* fd handed to the requester */
	bool active_low;
	__u32 edges; /* GPIOEVENT_REQUEST_* of an event request */
	char consumer[GPIO_MAX_NAME_SIZE];
	int out_phys; /* physical level driven while an output */
	int in_phys; /* physical level on the pin as an input */
	int requests;
	int order;
	bool ever_output;
	int fault; /* errno for value ioctls, 0 = healthy */
};

struct gpio_emul {
	UMockdevTestbed *tb;
	char *root;
	UMockdevIoctlBase *chip_handler, *line_handler;
	char chip_name[GPIO_MAX_NAME_SIZE], label[GPIO_MAX_NAME_SIZE];
	GMutex lock;
	int nlines;
	int next_order;
	struct emul_line *lines;
};

/* The request that made the line ours is still open (lock held). */
static bool line_held(struct emul_line *l)
{
	if (l->state == LINE_FREE || l->fd < 0)
		return false;
	struct stat st;
	if (fstat(l->fd, &st) == 0 && st.st_ino == l->ino && st.st_dev == l->dev)
		return true;
	l->state = LINE_FREE; /* closed: the kernel would have freed it */
	l->fd = -1;
	return false;
}

static void drain(struct emul_line *l)
{
	char buf[256];
	while (read(l->wfd, buf, sizeof buf) > 0)
		;
}

static void queue_event(struct emul_line *l, int logical)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	struct gpioevent_data ev = {
		.timestamp = (__u64)ts.tv_sec * 1000000000u + (__u64)ts.tv_nsec,
		.id = logical ? GPIOEVENT_EVENT_RISING_EDGE : GPIOEVENT_EVENT_FALLING_EDGE,
	};
	if (write(l->wfd, &ev, sizeof ev) != (ssize_t)sizeof ev)
		g_warning("gpio_emul: event queue on %s full", l->devnode);
}

/* ---- ioctl handlers (umockdev worker thread) ----------------------------- */

static void *arg_struct(UMockdevIoctlClient *client, size_t size, UMockdevIoctlData **hold)
{
	GError *error = NULL;
	*hold = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0, size, &error);
	g_clear_error(&error);
	return *hold ? (*hold)->data : NULL;
}

static void finish(UMockdevIoctlClient *client, UMockdevIoctlData *hold, int err)
{
	umockdev_ioctl_client_complete(client, err ? -1 : 0, err);
	if (hold)
		g_object_unref(hold);
}

/* Hand the requester an fd on the line's node (lock held). */
static int grant(struct gpio_emul *e, struct emul_line *l, enum line_state state, __u32 flags,
		 const char *consumer, int *fd_out)
{
	int fd = open(l->devnode, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno;
	l->state = state;
	l->fd = fd;
	l->active_low = (flags & GPIOHANDLE_REQUEST_ACTIVE_LOW) != 0;
	snprintf(l->consumer, sizeof l->consumer, "%s", consumer);
	l->requests++;
	l->order = ++e->next_order;
	*fd_out = fd;
	return 0;
}

static int chip_request(struct gpio_emul *e, UMockdevIoctlClient *client, UMockdevIoctlData **hold)
{
	switch (umockdev_ioctl_client_get_request(client)) {
	case GPIO_GET_CHIPINFO_IOCTL: {
		struct gpiochip_info *info = arg_struct(client, sizeof *info, hold);
		if (!info)
			return EFAULT;
		memset(info, 0, sizeof *info);
		snprintf(info->name, sizeof info->name, "%s", e->chip_name);
		snprintf(info->label, sizeof info->label, "%s", e->label);
		info->lines = (__u32)e->nlines;
		return 0;
	}
	case GPIO_GET_LINEINFO_IOCTL: {
		struct gpioline_info *info = arg_struct(client, sizeof *info, hold);
		if (!info)
			return EFAULT;
		if (info->line_offset >= (__u32)e->nlines)
			return EINVAL;
		struct emul_line *l = &e->lines[info->line_offset];
		__u32 off = info->line_offset;
		memset(info, 0, sizeof *info);
		info->line_offset = off;
		snprintf(info->name, sizeof info->name, "%s", l->name);
		if (l->busy) {
			info->flags |= GPIOLINE_FLAG_KERNEL;
			snprintf(info->consumer, sizeof info->consumer, "%s", l->busy_consumer);
		} else if (line_held(l)) {
			info->flags |= GPIOLINE_FLAG_KERNEL;
			info->flags |= l->state == LINE_OUTPUT ? GPIOLINE_FLAG_IS_OUT : 0;
			info->flags |= l->active_low ? GPIOLINE_FLAG_ACTIVE_LOW : 0;
			snprintf(info->consumer, sizeof info->consumer, "%s", l->consumer);
		}
		return 0;
	}
	case GPIO_GET_LINEHANDLE_IOCTL: {
		struct gpiohandle_request *req = arg_struct(client, sizeof *req, hold);
		if (!req)
			return EFAULT;
		if (req->lines != 1 || req->lineoffsets[0] >= (__u32)e->nlines)
			return EINVAL; /* the adapter requests one line at a time */
		struct emul_line *l = &e->lines[req->lineoffsets[0]];
		if (l->busy || line_held(l))
			return EBUSY;
		bool out = (req->flags & GPIOHANDLE_REQUEST_OUTPUT) != 0;
		int rc = grant(e, l, out ? LINE_OUTPUT : LINE_INPUT, req->flags, req->consumer_label, &req->fd);
		if (rc == 0 && out) {
			l->out_phys = !!req->default_values[0] ^ l->active_low;
			l->ever_output = true;
		}
		return rc;
	}
	case GPIO_GET_LINEEVENT_IOCTL: {
		struct gpioevent_request *req = arg_struct(client, sizeof *req, hold);
		if (!req)
			return EFAULT;
		if (req->lineoffset >= (__u32)e->nlines || (req->handleflags & GPIOHANDLE_REQUEST_OUTPUT))
			return EINVAL;
		struct emul_line *l = &e->lines[req->lineoffset];
		if (l->busy || line_held(l))
			return EBUSY;
		drain(l); /* nothing from an earlier request */
		l->edges = req->eventflags;
		return grant(e, l, LINE_EVENTS, req->handleflags, req->consumer_label, &req->fd);
	}
	default:
		return ENOTTY;
	}
}

static gboolean on_chip_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *client, gpointer data)
{
	(void)base;
	struct gpio_emul *e = data;
	UMockdevIoctlData *hold = NULL;
	g_mutex_lock(&e->lock);
	int err = chip_request(e, client, &hold);
	g_mutex_unlock(&e->lock);
	finish(client, hold, err);
	return TRUE;
}

static int line_request(struct gpio_emul *e, UMockdevIoctlClient *client, UMockdevIoctlData **hold)
{
	const char *node = umockdev_ioctl_client_get_devnode(client);
	struct emul_line *l = NULL;
	for (int i = 0; i < e->nlines && !l; i++)
		if (!strcmp(e->lines[i].devnode, node))
			l = &e->lines[i];
	if (!l || !line_held(l))
		return EBADF;
	if (l->fault)
		return l->fault;
	unsigned long request = umockdev_ioctl_client_get_request(client);
	if (request != GPIOHANDLE_GET_LINE_VALUES_IOCTL && request != GPIOHANDLE_SET_LINE_VALUES_IOCTL)
		return ENOTTY;
	struct gpiohandle_data *v = arg_struct(client, sizeof *v, hold);
	if (!v)
		return EFAULT;
	if (request == GPIOHANDLE_GET_LINE_VALUES_IOCTL) {
		int phys = l->state == LINE_OUTPUT ? l->out_phys : l->in_phys;
		memset(v, 0, sizeof *v);
		v->values[0] = (__u8)(phys ^ l->active_low);
		return 0;
	}
	if (l->state != LINE_OUTPUT)
		return EPERM;
	l->out_phys = !!v->values[0] ^ l->active_low;
	return 0;
}

static gboolean on_line_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *client, gpointer data)
{
	(void)base;
	struct gpio_emul *e = data;
	UMockdevIoctlData *hold = NULL;
	g_mutex_lock(&e->lock);
	int err = line_request(e, client, &hold);
	g_mutex_unlock(&e->lock);
	finish(client, hold, err);
	return TRUE;
}

/* ---- test side ------------------------------------------------------------ */

static int add_line(struct gpio_emul *e, int i, const char *name)
{
	struct emul_line *l = &e->lines[i];
	snprintf(l->name, sizeof l->name, "%s", name ? name : "");
	snprintf(l->devnode, sizeof l->devnode, "/dev/%s-line%d", e->chip_name, i);
	snprintf(l->fifo, sizeof l->fifo, "%s%s", e->root, l->devnode);
	l->fd = -1;
	struct stat st;
	if (mkfifo(l->fifo, 0666) != 0 || stat(l->fifo, &st) != 0)
		return -1;
	l->ino = st.st_ino;
	l->dev = st.st_dev;
	l->wfd = open(l->fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (l->wfd < 0)
		return -1;
	GError *error = NULL;
	if (!umockdev_testbed_attach_ioctl(e->tb, l->devnode, e->line_handler, &error)) {
		g_clear_error(&error);
		return -1;
	}
	return 0;
}

static struct gpio_emul *emul_new(UMockdevTestbed *tb, const char *chip_name, const char *label, int nlines,
				   const char *const *line_names)
{
	if (nlines < 1 || nlines > GPIOHANDLES_MAX * 16)
		return NULL;
	struct gpio_emul *e = g_new0(struct gpio_emul, 1);
	g_mutex_init(&e->lock);
	snprintf(e->chip_name, sizeof e->chip_name, "%s", chip_name);
	snprintf(e->label, sizeof e->label, "%s", label);
	e->nlines = nlines;
	e->lines = g_new0(struct emul_line, nlines);
	for (int i = 0; i < nlines; i++)
		e->lines[i].wfd = -1;
	e->tb = tb ? g_object_ref(tb) : umockdev_testbed_new();
	e->root = umockdev_testbed_get_root_dir(e->tb);
	/* libgpiod checks that /dev/<name> is a character device whose numbers
	 * match /sys/bus/gpio/devices/<name>/dev */
	char *record = g_strdup_printf("P: /devices/platform/thermopad-gpio-emul/%s\nN: %s\n"
				       "E: SUBSYSTEM=gpio\nE: DEVNAME=/dev/%s\nA: dev=254:0\\n\n",
				       chip_name, chip_name, chip_name);
	GError *error = NULL;
	bool ok = umockdev_testbed_add_from_string(e->tb, record, &error);
	g_free(record);
	g_clear_error(&error);
	char *chipnode = g_strdup_printf("/dev/%s", chip_name);
	e->chip_handler = umockdev_ioctl_base_new();
	e->line_handler = umockdev_ioctl_base_new();
	g_signal_connect(e->chip_handler, "handle-ioctl", G_CALLBACK(on_chip_ioctl), e);
	g_signal_connect(e->line_handler, "handle-ioctl", G_CALLBACK(on_line_ioctl), e);
	ok = ok && umockdev_testbed_attach_ioctl(e->tb, chipnode, e->chip_handler, &error);
	g_clear_error(&error);
	g_free(chipnode);
	for (int i = 0; ok && i < nlines; i++)
		ok = add_line(e, i, line_names ? line_names[i] : NULL) == 0;
	if (!ok) {
		gpio_emul_free(e);
		return NULL;
	}
	return e;
}

struct gpio_emul *gpio_emul_new(const char *chip_name, const char *label, int nlines, const char *const *line_names)
{
	return emul_new(NULL, chip_name, label, nlines, line_names);
}

struct gpio_emul *gpio_emul_attach(void *testbed, const char *chip_name, const char *label, int nlines,
				   const char *const *line_names)
{
	return emul_new(testbed, chip_name, label, nlines, line_names);
}

void gpio_emul_free(struct gpio_emul *e)
{
	if (!e)
		return;
	if (e->tb)
		g_object_unref(e->tb); /* stops the handlers, removes the directory */
	if (e->chip_handler)
		g_object_unref(e->chip_handler);
	if (e->line_handler)
		g_object_unref(e->line_handler);
	for (int i = 0; i < e->nlines; i++)
		if (e->lines[i].wfd >= 0)
			close(e->lines[i].wfd);
	g_free(e->lines);
	g_free(e->root);
	g_mutex_clear(&e->lock);
	g_free(e);
}

const char *gpio_emul_root(const struct gpio_emul *e)
{
	return e->root;
}

static struct emul_line *lock_line(struct gpio_emul *e, int offset)
{
	g_assert(offset >= 0 && offset < e->nlines);
	g_mutex_lock(&e->lock);
	return &e->lines[offset];
}

void gpio_emul_set_busy(struct gpio_emul *e, int offset, const char *consumer)
{
	struct emul_line *l = lock_line(e, offset);
	l->busy = true;
	snprintf(l->busy_consumer, sizeof l->busy_consumer, "%s", consumer ? consumer : "");
	g_mutex_unlock(&e->lock);
}

void gpio_emul_press(struct gpio_emul *e, int offset, bool level)
{
	struct emul_line *l = lock_line(e, offset);
	int before = l->in_phys;
	l->in_phys = level;
	int logical = (int)level ^ l->active_low;
	__u32 edge = logical ? GPIOEVENT_REQUEST_RISING_EDGE : GPIOEVENT_REQUEST_FALLING_EDGE;
	if (before != (int)level && line_held(l) && l->state == LINE_EVENTS && (l->edges & edge))
		queue_event(l, logical);
	g_mutex_unlock(&e->lock);
}

int gpio_emul_output(struct gpio_emul *e, int offset)
{
	struct emul_line *l = lock_line(e, offset);
	int v = line_held(l) && l->state == LINE_OUTPUT ? l->out_phys : -1;
	g_mutex_unlock(&e->lock);
	return v;
}

int gpio_emul_last_output(struct gpio_emul *e, int offset)
{
	struct emul_line *l = lock_line(e, offset);
	int v = l->ever_output ? l->out_phys : -1;
	g_mutex_unlock(&e->lock);
	return v;
}

void gpio_emul_set_fault(struct gpio_emul *e, int offset, int err)
{
	struct emul_line *l = lock_line(e, offset);
	l->fault = err;
	g_mutex_unlock(&e->lock);
}

bool gpio_emul_requested(struct gpio_emul *e, int offset)
{
	struct emul_line *l = lock_line(e, offset);
	bool held = line_held(l);
	g_mutex_unlock(&e->lock);
	return held;
}

int gpio_emul_request_count(struct gpio_emul *e, int offset)
{
	struct emul_line *l = lock_line(e, offset);
	int n = l->requests;
	g_mutex_unlock(&e->lock);
	return n;
}

int gpio_emul_request_order(struct gpio_emul *e, int offset)
{
	struct emul_line *l = lock_line(e, offset);
	int n = l->order;
	g_mutex_unlock(&e->lock);
	return n;
}
