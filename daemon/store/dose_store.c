/* SPDX-License-Identifier: MIT */
/* A pad's dose ledger on disk (dose_store.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/logsync.h"
#include "io/report.h"
#include "store/dose_file.h"
#include "store/dose_store.h"

void dose_store_path(const struct dose_store *s, const char *serial, char *path, size_t pathlen)
{
	snprintf(path, pathlen, "%s/dose/%s.ini", s->state_dir, serial);
}

static const struct dose_store_known *known_of(const struct dose_store *s, const char *serial)
{
	for (int i = 0; i < PAD_MAX; i++)
		if (s->files[i].serial[0] && !strcmp(s->files[i].serial, serial))
			return &s->files[i];
	return NULL;
}

static struct dose_store_known *file_of(struct dose_store *s, const char *serial)
{
	struct dose_store_known *free_slot = NULL;
	for (int i = 0; i < PAD_MAX; i++) {
		struct dose_store_known *f = &s->files[i];
		if (f->serial[0] && !strcmp(f->serial, serial))
			return f;
		if (!f->serial[0] && !free_slot)
			free_slot = f;
	}
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, sizeof *free_slot);
	snprintf(free_slot->serial, sizeof free_slot->serial, "%s", serial);
	return free_slot;
}

/* One file, as found. */
struct found {
	bool absent;
	struct dose_file_text ft;
};

/* Reads the file and checks its text: 0, or -1 with what is wrong in err
 * (a phrase that follows the file's name). A file that is not there is
 * found->absent, not an error. */
static int read_file(const char *path, char *text, size_t len, struct found *fd, char *err, size_t errlen)
{
	memset(fd, 0, sizeof *fd);
	/* never blocks on a FIFO, never follows a link */
	int f = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (f < 0) {
		if (errno == ENOENT) {
			fd->absent = true;
			return 0;
		}
		snprintf(err, errlen, "cannot be read: %s", errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(f);
		snprintf(err, errlen, "cannot be read: it is not a regular file (%s)",
			 S_ISDIR(st.st_mode) ? "a directory" : "a device, socket or pipe");
		return -1;
	}
	size_t n = 0;
	ssize_t got;
	while (n < len - 1 && (got = read(f, text + n, len - 1 - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot be read: %s", strerror(errno));
			close(f);
			return -1;
		}
		n += (size_t)got;
	}
	close(f);
	text[n] = '\0';
	return dose_file_judge(text, n, &fd->ft, err, errlen);
}

/* The file against what the store last wrote or read. */
static int judge_known(const struct dose_store_known *k, const struct found *fd, char *err, size_t errlen)
{
	if (!k || !k->known)
		return 0;
	if (fd->absent) {
		snprintf(err, errlen, "is gone: this daemon wrote it as number %llu", k->seq);
		return -1;
	}
	if (fd->ft.seq < k->seq) {
		snprintf(err, errlen, "is an older copy (rolled back): number %llu, where this daemon last wrote number %llu",
			 fd->ft.seq, k->seq);
		return -1;
	}
	if (fd->ft.seq != k->seq || fd->ft.crc != k->crc) {
		snprintf(err, errlen, "changed outside the daemon: number %llu, where this daemon last wrote number %llu",
			 fd->ft.seq, k->seq);
		return -1;
	}
	return 0;
}

int dose_store_load(struct dose_store *s, const char *serial, struct dose_ledger *l, char *path, size_t pathlen,
		    char *err, size_t errlen)
{
	char text[DOSE_FILE_TEXT_MAX];
	struct found fd;
	dose_store_path(s, serial, path, pathlen);
	const struct dose_store_known *k = known_of(s, serial);
	if (read_file(path, text, sizeof text, &fd, err, errlen) != 0 || judge_known(k, &fd, err, errlen) != 0)
		return -1;
	if (fd.absent)
		return 0; /* no session yet */
	struct dose_ledger read;
	if (dose_file_ledger(text, &fd.ft, &read, err, errlen) != 0)
		return -1;
	struct dose_store_known *f = file_of(s, serial);
	if (!f) {
		snprintf(err, errlen, "cannot be followed: more pads than the daemon serves");
		return -1;
	}
	*l = read;
	f->known = true;
	f->seq = fd.ft.seq;
	f->crc = fd.ft.crc;
	return 1;
}

int dose_store_verify(const struct dose_store *s, const char *serial, char *err, size_t errlen)
{
	const struct dose_store_known *k = known_of(s, serial);
	if (!k || !k->known)
		return 0;
	char path[600], text[DOSE_FILE_TEXT_MAX];
	struct found fd;
	dose_store_path(s, serial, path, sizeof path);
	if (read_file(path, text, sizeof text, &fd, err, errlen) != 0)
		return -1;
	return judge_known(k, &fd, err, errlen);
}

static int write_all(int f, const char *text, size_t n)
{
	while (n > 0) {
		ssize_t put = write(f, text, n);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return -1;
		text += put;
		n -= (size_t)put;
	}
	return 0;
}

int dose_store_save(struct dose_store *s, const char *serial, const struct dose_ledger *l, char *err, size_t errlen)
{
	char text[DOSE_FILE_TEXT_MAX];
	char dir[520], path[600], tmp[620];
	struct dose_store_known *k = file_of(s, serial);
	if (!k) {
		snprintf(err, errlen, "more pads than the daemon serves");
		return -1;
	}
	unsigned long long seq = k->seq + 1;
	uint32_t crc;
	size_t n = dose_file_format(l, serial, seq, text, sizeof text, &crc);
	if (n == 0) {
		snprintf(err, errlen, "the ledger does not fit its buffer");
		return -1;
	}
	snprintf(dir, sizeof dir, "%s/dose", s->state_dir);
	mkdir(s->state_dir, 0755);
	mkdir(dir, 0755);
	dose_store_path(s, serial, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(tmp); /* one left by a crash, or a link someone put there */
	int f = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	int rc = f >= 0 && write_all(f, text, n) == 0 && (s->sync || fdatasync(f) == 0) ? 0 : -1;
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc != 0) {
		if (f >= 0)
			close(f);
		unlink(tmp);
		return -1;
	}
	/* the new file and the rename itself, on the disk: off the control
	 * loop where a sync thread is given (a crash before it leaves a file
	 * that fails its check: untrusted, never forgotten) */
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->sync) {
		logsync_release(s->sync, logsync_add(s->sync, f));
		if (d >= 0)
			logsync_release(s->sync, logsync_add(s->sync, d));
	} else if (d >= 0) {
		fsync(d);
	}
	close(f);
	if (d >= 0)
		close(d);
	k->known = true;
	k->seq = seq;
	k->crc = crc;
	return 0;
}

int dose_store_checkpoint(struct dose_store *s, const char *serial, const struct dose_ledger *l, char *err,
			  size_t errlen)
{
	const struct dose_store_known *k = known_of(s, serial);
	char text[DOSE_FILE_TEXT_MAX];
	uint32_t crc;
	if (k && k->known && dose_file_format(l, serial, k->seq, text, sizeof text, &crc) > 0 && crc == k->crc)
		return 0;
	return dose_store_save(s, serial, l, err, errlen);
}

int dose_store_keep_aside(const struct dose_store *s, const char *serial, char *kept, size_t keptlen)
{
	char path[600];
	dose_store_path(s, serial, path, sizeof path);
	snprintf(kept, keptlen, "%s.untrusted", path);
	struct stat st;
	if (lstat(kept, &st) == 0) { /* one kept before stays too, by its time */
		char older[640];
		snprintf(older, sizeof older, "%s.%ld", kept, (long)st.st_mtime);
		rename(kept, older);
	}
	return rename(path, kept);
}

static bool worth_saving(const struct pad_event *e)
{
	if (e->kind == PAD_SESSION_STARTED || e->kind == PAD_SESSION_ENDED || e->kind == PAD_DEPARTED)
		return true;
	return e->kind == PAD_CORE_EVENT &&
	       (!strcmp(e->core->code, "session-end") || !strcmp(e->core->code, "tune-done") ||
		!strcmp(e->core->code, "tune-refused") ||
		!strcmp(e->core->code, "tune-aborted"));
}

static void on_event(void *ctx, const struct pad_slot *p, const struct pad_event *e)
{
	if (!worth_saving(e))
		return;
	struct dose_ledger l;
	core_ledger_snapshot(&p->core, &l);
	char path[600], err[700];
	dose_store_path(ctx, p->serial, path, sizeof path);
	if (dose_store_checkpoint(ctx, p->serial, &l, err, sizeof err) != 0)
		report_log(LOG_ERR, "pad %s: cannot save its dose ledger to %s: %s", p->serial, path, err);
}

struct pad_sink dose_store_sink(struct dose_store *s)
{
	return (struct pad_sink){.ctx = s, .on_event = on_event};
}
