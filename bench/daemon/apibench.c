/* SPDX-License-Identifier: MIT */
/*
 * Load for thermopadd's socket, for bench_daemon.sh:
 *   apibench SOCKET requests CMD SECONDS     one client, requests back to back
 *   apibench SOCKET pipelined CMD SECONDS N  one client, N requests in flight
 *   apibench SOCKET subscribers N SECONDS    N clients subscribed at 10 Hz
 *   apibench SOCKET socketpair SECONDS       the floor: a bare Unix round trip
 *   apibench SOCKET attack N SECONDS SESSION N clients at once, in four kinds:
 *       session-samples of SESSION, profiles-show, status (each client asks
 *       again as soon as its reply is whole), and subscribers at 10 Hz
 * Prints one line of key=value figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int requests(const char *sock, const char *cmd, double seconds)
{
	struct client c = {0};
	char err[200];
	if (client_connect(&c, sock, err, sizeof err) != 0) {
		fprintf(stderr, "apibench: %s\n", err);
		return 1;
	}
	long n = 0, failed = 0;
	double t0 = now_s(), t;
	while ((t = now_s()) - t0 < seconds) {
		json_t *r = client_call(&c, json_pack("{s:s}", "cmd", cmd));
		if (!r)
			return 1;
		failed += !json_is_true(json_object_get(r, "ok"));
		json_decref(r);
		n++;
	}
	printf("cmd=%s requests=%ld failed=%ld seconds=%.2f per_second=%.0f\n", cmd, n, failed, t - t0, n / (t - t0));
	client_close(&c);
	return failed != 0;
}

/* Many requests in flight on the one connection: the daemon's throughput
 * rather than the round trip's latency. */
static int pipelined(const char *sock, const char *cmd, double seconds, int depth)
{
	struct client c = {0};
	char err[200], line[128];
	if (client_connect(&c, sock, err, sizeof err) != 0) {
		fprintf(stderr, "apibench: %s\n", err);
		return 1;
	}
	int len = snprintf(line, sizeof line, "{\"v\":1,\"id\":1,\"cmd\":\"%s\"}\n", cmd);
	long n = 0, failed = 0;
	double t0 = now_s(), t;
	while ((t = now_s()) - t0 < seconds) {
		for (int i = 0; i < depth; i++)
			if (write(c.fd, line, (size_t)len) != len)
				return 1;
		for (int i = 0; i < depth; i++) {
			json_t *r = client_next(&c, 5000);
			if (!r)
				return 1;
			failed += !json_is_true(json_object_get(r, "ok"));
			json_decref(r);
			n++;
		}
	}
	printf("cmd=%s-pipelined requests=%ld failed=%ld seconds=%.2f per_second=%.0f\n", cmd, n, failed, t - t0,
	       n / (t - t0));
	client_close(&c);
	return failed != 0;
}

static int subscribers(const char *sock, int count, double seconds)
{
	struct client *cs = calloc((size_t)count, sizeof *cs);
	struct pollfd *pfd = calloc((size_t)count, sizeof *pfd);
	long *lines = calloc((size_t)count, sizeof *lines);
	char err[200];
	if (!cs || !pfd || !lines)
		return 1;
	for (int i = 0; i < count; i++) {
		if (client_connect(&cs[i], sock, err, sizeof err) != 0) {
			fprintf(stderr, "apibench: client %d: %s\n", i, err);
			return 1;
		}
		json_t *r = client_call(&cs[i], json_pack("{s:s, s:f}", "cmd", "subscribe", "rate_hz", 10.0));
		if (!json_is_true(json_object_get(r, "ok"))) {
			fprintf(stderr, "apibench: client %d: subscribe refused\n", i);
			return 1;
		}
		json_decref(r);
		pfd[i] = (struct pollfd){cs[i].fd, POLLIN, 0};
	}
	double t0 = now_s();
	char buf[65536];
	while (now_s() - t0 < seconds) {
		if (poll(pfd, (nfds_t)count, 100) < 0)
			break;
		for (int i = 0; i < count; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			ssize_t n = read(pfd[i].fd, buf, sizeof buf);
			if (n <= 0) {
				fprintf(stderr, "apibench: client %d was dropped\n", i);
				return 1;
			}
			for (ssize_t k = 0; k < n; k++)
				lines[i] += buf[k] == '\n';
		}
	}
	long min = lines[0], total = 0;
	for (int i = 0; i < count; i++) {
		total += lines[i];
		if (lines[i] < min)
			min = lines[i];
		client_close(&cs[i]);
	}
	printf("subscribers=%d seconds=%.1f lines=%ld min_per_client=%ld\n", count, seconds, total, min);
	free(cs);
	free(pfd);
	free(lines);
	return 0;
}

/* The cost of the transport alone: a request-sized line there and back. */
static int socketpair_floor(double seconds)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char b[256];
		ssize_t n;
		while ((n = read(sv[1], b, sizeof b)) > 0)
			if (write(sv[1], b, (size_t)n) != n)
				break;
		_exit(0);
	}
	const char msg[] = "{\"cmd\":\"status\",\"v\":1,\"id\":1}\n";
	char b[256];
	long n = 0;
	double t0 = now_s(), t;
	while ((t = now_s()) - t0 < seconds) {
		if (write(sv[0], msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1) || read(sv[0], b, sizeof b) <= 0)
			return 1;
		n++;
	}
	close(sv[0]);
	printf("cmd=socketpair requests=%ld seconds=%.2f per_second=%.0f\n", n, t - t0, n / (t - t0));
	return 0;
}

/* The heaviest requests a client may send, without pause, from N clients
 * at once. Replies are counted by their lines, not parsed: the load is on
 * the daemon, not here. A reply that is not ok, or a connection closed,
 * fails the run. */
enum attack_kind { ATTACK_SAMPLES, ATTACK_PROFILE, ATTACK_STATUS, ATTACK_SUBSCRIBE, ATTACK_KINDS };
static const char *const attack_names[ATTACK_KINDS] = {"session-samples", "profiles-show", "status", "subscribe"};

struct attacker {
	enum attack_kind kind;
	int fd;
	char head[48]; /* the start of the line being received */
	size_t head_len;
	long replies, bytes;
};

static int attack_ask(struct attacker *a, const char *session, int id)
{
	char line[256];
	int n;
	switch (a->kind) {
	case ATTACK_SAMPLES:
		n = snprintf(line, sizeof line, "{\"v\":1,\"id\":%d,\"cmd\":\"session-samples\",\"session\":\"%s\"}\n", id,
			     session);
		break;
	case ATTACK_PROFILE:
		n = snprintf(line, sizeof line, "{\"v\":1,\"id\":%d,\"cmd\":\"profiles-show\",\"profile\":\"contrast\"}\n", id);
		break;
	case ATTACK_STATUS: n = snprintf(line, sizeof line, "{\"v\":1,\"id\":%d,\"cmd\":\"status\"}\n", id); break;
	default: n = snprintf(line, sizeof line, "{\"v\":1,\"id\":%d,\"cmd\":\"subscribe\",\"rate_hz\":10}\n", id);
	}
	return write(a->fd, line, (size_t)n) == n ? 0 : -1;
}

static int attack(const char *sock, int count, double seconds, const char *session)
{
	struct attacker *as = calloc((size_t)count, sizeof *as);
	struct pollfd *pfd = calloc((size_t)count, sizeof *pfd);
	char err[200];
	if (!as || !pfd)
		return 1;
	for (int i = 0; i < count; i++) {
		struct client c;
		if (client_connect(&c, sock, err, sizeof err) != 0) {
			fprintf(stderr, "apibench: attacker %d: %s\n", i, err);
			return 1;
		}
		as[i] = (struct attacker){.kind = (enum attack_kind)(i % ATTACK_KINDS), .fd = c.fd};
		fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
		pfd[i] = (struct pollfd){c.fd, POLLIN, 0};
		if (attack_ask(&as[i], session, 1) != 0)
			return 1;
	}
	static char buf[1 << 16];
	double t0 = now_s();
	int failed = 0;
	while (!failed && now_s() - t0 < seconds) {
		if (poll(pfd, (nfds_t)count, 100) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < count && !failed; i++) {
			struct attacker *a = &as[i];
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(a->fd, buf, sizeof buf);
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				fprintf(stderr, "apibench: attacker %d (%s) was closed\n", i, attack_names[a->kind]);
				failed = 1;
				break;
			}
			for (ssize_t k = 0; k < n; k++) {
				if (buf[k] != '\n') {
					if (a->head_len < sizeof a->head - 1)
						a->head[a->head_len++] = buf[k];
					continue;
				}
				a->head[a->head_len] = '\0';
				a->head_len = 0;
				if (strstr(a->head, "\"event\""))
					continue; /* a stream line */
				if (!strstr(a->head, "\"ok\":true")) {
					fprintf(stderr, "apibench: attacker %d (%s): %s\n", i, attack_names[a->kind], a->head);
					failed = 1;
					break;
				}
				a->replies++;
				if (a->kind != ATTACK_SUBSCRIBE && attack_ask(a, session, (int)a->replies + 1) != 0)
					failed = 1;
			}
			a->bytes += n > 0 ? n : 0;
		}
	}
	double t = now_s() - t0;
	long replies[ATTACK_KINDS] = {0}, bytes = 0;
	for (int i = 0; i < count; i++) {
		replies[as[i].kind] += as[i].replies;
		bytes += as[i].bytes;
		close(as[i].fd);
	}
	printf("attack clients=%d seconds=%.1f samples=%ld profiles=%ld status=%ld mib=%.0f failed=%d\n", count, t,
	       replies[ATTACK_SAMPLES], replies[ATTACK_PROFILE], replies[ATTACK_STATUS], bytes / 1048576.0, failed);
	free(as);
	free(pfd);
	return failed;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[2], "socketpair"))
		return socketpair_floor(atof(argv[3]));
	if (argc == 6 && !strcmp(argv[2], "pipelined"))
		return pipelined(argv[1], argv[3], atof(argv[4]), atoi(argv[5]));
	if (argc == 5 && !strcmp(argv[2], "requests"))
		return requests(argv[1], argv[3], atof(argv[4]));
	if (argc == 6 && !strcmp(argv[2], "attack"))
		return attack(argv[1], atoi(argv[3]), atof(argv[4]), argv[5]);
	if (argc == 5 && !strcmp(argv[2], "subscribers"))
		return subscribers(argv[1], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: apibench SOCKET requests CMD SECONDS | pipelined CMD SECONDS N | subscribers N SECONDS |\n"
			"       attack N SECONDS SESSION | socketpair SECONDS\n");
	return 2;
}
