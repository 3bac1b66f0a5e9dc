/* SPDX-License-Identifier: MIT */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct simctl {
	struct simusb *sim;
	int listen_fd;
	int wake[2];
	pthread_t thread;
	char path[108];
};

static void truth_line(struct simusb *s, int i, char *out, size_t len)
{
	struct pad_truth t;
	bool plugged;
	simusb_truth(s, i, &t, &plugged);
	snprintf(out, len,
		 "serial=%s time_s=%.3f plate_c=%.4f tissue_c=%.4f sink_c=%.4f module_drive=%.4f fw_drive=%d "
		 "current_a=%.4f voltage_v=%.4f fw_faults=0x%x fw_state=%s plugged=%d fan_failed=%d fuse_open=%d "
		 "cold_cutout_open=%d switch_closed=%d relay_closed=%d supply_v=%.2f mcu_hung=%d watchdog_resets=%u "
		 "electrical_j=%.2f\n",
		 simusb_serial(s, i), t.time_s, t.plate_c, t.tissue_c, t.sink_c, t.module_drive, t.fw_drive,
		 t.current_a, t.voltage_v, t.fw_faults, proto_state_name(t.fw_state), plugged, t.fan_failed,
		 t.fuse_open, t.cold_cutout_open, t.switch_closed, t.relay_closed, t.supply_v, t.mcu_hung, t.watchdog_resets,
		 t.electrical_j);
}

void simctl_execute(struct simusb *s, const char *line, char *out, size_t outlen)
{
	char cmd[32] = "", a[128] = "", b[64] = "";
	int n = sscanf(line, "%31s %127s %63s", cmd, a, b);
	char err[256] = "";
	if (n >= 1 && strcmp(cmd, "time") == 0) {
		snprintf(out, outlen, "%.3f\nok\n", simusb_model_time(s));
	} else if (n >= 1 && strcmp(cmd, "serials") == 0) {
		size_t used = 0;
		for (int i = 0; i < simusb_pad_count(s) && used < outlen; i++)
			used += (size_t)snprintf(out + used, outlen - used, "%s\n", simusb_serial(s, i));
		if (used < outlen)
			snprintf(out + used, outlen - used, "ok\n");
	} else if (n >= 1 && strcmp(cmd, "truth") == 0) {
		int i = simusb_find(s, n >= 2 ? a : NULL);
		if (i < 0) {
			snprintf(out, outlen, "error: no pad '%s' (name one when there are several)\n", a);
			return;
		}
		char tl[512];
		truth_line(s, i, tl, sizeof tl);
		snprintf(out, outlen, "%sok\n", tl);
	} else if (n >= 1 && (strcmp(cmd, "exposure") == 0 || strcmp(cmd, "exposure-mark") == 0 ||
			      (n >= 2 && strcmp(cmd, "mark-fault") == 0))) {
		/* mark-fault SPEC [SERIAL]: the exposure marked and the fault
		 * injected in one request, so that no model time passes between
		 * them however late the caller runs */
		bool fault = strcmp(cmd, "mark-fault") == 0;
		int i = simusb_find(s, fault ? (n >= 3 ? b : NULL) : n >= 2 ? a : NULL);
		if (i < 0) {
			snprintf(out, outlen, "error: no pad '%s' (name one when there are several)\n", a);
			return;
		}
		struct exposure e;
		struct pad_fault f;
		if (fault && faults_parse(a, &f, err, sizeof err) != 0) {
			snprintf(out, outlen, "error: %s\n", err);
			return;
		}
		simusb_exposure(s, i, strcmp(cmd, "exposure") != 0, &e);
		if (fault && simusb_inject(s, i, &f, err, sizeof err) != 0) {
			snprintf(out, outlen, "error: %s\n", err);
			return;
		}
		snprintf(out, outlen,
			 "since_s=%.3f plate_max_c=%.4f plate_min_c=%.4f tissue_max_c=%.4f tissue_min_c=%.4f "
			 "cem43_min=%.6f cold_s=%.2f last_drive_s=%.3f fw_fault_s=%.3f fw_faults=0x%x fuse_s=%.3f\nok\n",
			 e.since_s, e.plate_max_c, e.plate_min_c, e.tissue_max_c, e.tissue_min_c, e.cem43_min, e.cold_s,
			 e.last_drive_s, e.fw_fault_s, e.fw_faults, e.fuse_s);
	} else if (n >= 2 && strcmp(cmd, "clock") == 0 && (strcmp(a, "hold") == 0 || strcmp(a, "release") == 0)) {
		/* clock hold: a test's own injection (a signal to the host)
		 * between its mark and the release costs no model time */
		simusb_hold(s, strcmp(a, "hold") == 0);
		snprintf(out, outlen, "%.3f\nok\n", simusb_model_time(s));
	} else if (n >= 2 && strcmp(cmd, "fault") == 0) {
		struct pad_fault f;
		int i = simusb_find(s, n >= 3 ? b : NULL);
		if (i < 0)
			snprintf(out, outlen, "error: no pad '%s' (name one when there are several)\n", b);
		else if (faults_parse(a, &f, err, sizeof err) != 0 || simusb_inject(s, i, &f, err, sizeof err) != 0)
			snprintf(out, outlen, "error: %s\n", err);
		else
			snprintf(out, outlen, "ok\n");
	} else {
		snprintf(out, outlen, "error: unknown command '%s' (fault, mark-fault, truth, exposure, exposure-mark, time, "
			 "clock hold|release, serials)\n", cmd);
	}
}

static void serve(struct simctl *c, int fd)
{
	char line[512];
	size_t used = 0;
	for (;;) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {c->wake[0], POLLIN, 0}};
		if (poll(p, 2, 5000) <= 0 || p[1].revents)
			return; /* idle clients and shutdown end the conversation */
		ssize_t n = read(fd, line + used, sizeof line - 1 - used);
		if (n <= 0)
			return;
		used += (size_t)n;
		line[used] = '\0';
		char *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			char reply[4096];
			simctl_execute(c->sim, line, reply, sizeof reply);
			if (write(fd, reply, strlen(reply)) < 0)
				return;
			size_t rest = used - (size_t)(nl + 1 - line);
			memmove(line, nl + 1, rest + 1);
			used = rest;
		}
		if (used == sizeof line - 1)
			return; /* a line too long to be a command */
	}
}

static void *ctl_thread(void *arg)
{
	struct simctl *c = arg;
	for (;;) {
		struct pollfd p[2] = {{c->listen_fd, POLLIN, 0}, {c->wake[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(c, fd);
		close(fd);
	}
	return NULL;
}

int simctl_start(struct simusb *s, const char *path, struct simctl **out, char *err, size_t errlen)
{
	struct simctl *c = calloc(1, sizeof *c);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!c || strlen(path) >= sizeof addr.sun_path) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		free(c);
		return -1;
	}
	c->sim = s;
	snprintf(c->path, sizeof c->path, "%s", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	unlink(path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    listen(c->listen_fd, 8) != 0 || pipe2(c->wake, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		if (c->listen_fd >= 0)
			close(c->listen_fd);
		free(c);
		return -1;
	}
	if (pthread_create(&c->thread, NULL, ctl_thread, c) != 0) {
		snprintf(err, errlen, "control thread: %s", strerror(errno));
		close(c->listen_fd);
		close(c->wake[0]);
		close(c->wake[1]);
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void simctl_stop(struct simctl *c)
{
	if (!c)
		return;
	char byte = 1;
	if (write(c->wake[1], &byte, 1) != 1)
		perror("simctl wake");
	pthread_join(c->thread, NULL);
	close(c->listen_fd);
	close(c->wake[0]);
	close(c->wake[1]);
	unlink(c->path);
	free(c);
}

