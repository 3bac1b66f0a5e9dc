/* SPDX-License-Identifier: MIT */
/*
 * thermopad-sim: runs a program with simulated pads plugged in.
 *
 *   thermopad-sim [OPTIONS] -- COMMAND [ARGS...]
 *   thermopad-sim --ctl SOCKET COMMAND-LINE...
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_client.h"
#include "model_ini.h"
#include "simusb.h"

#define MAX_FAULTS 16

static void usage(FILE *out)
{
	fprintf(out,
		"usage: thermopad-sim [OPTIONS] -- COMMAND [ARGS...]\n"
		"       thermopad-sim --ctl SOCKET fault SPEC [SERIAL] | truth [SERIAL] | time | serials\n"
		"\n"
		"Runs COMMAND with simulated thermopad pads plugged in: its libusb calls reach\n"
		"the pads' firmware through an emulated usbdevfs (umockdev).\n"
		"\n"
		"  --model FILE        pad description (INI); default: the reference pad\n"
		"  --time-scale N      model seconds per wall-clock second (default 1)\n"
		"  --host-wait S       model time stands still, up to S wall seconds, for a host\n"
		"                      late with its commands (default 0: never; see simulator.md)\n"
		"  --pads N            number of pads (default 1, at most %d)\n"
		"  --serial S          serial of the next pad (repeatable)\n"
		"  --fault SPEC[@SERIAL]  inject at start, e.g. sensor-a:open, fan:fail (repeatable)\n"
		"  --start-temp C      plate temperature at start (default 32)\n"
		"  --seed N            sensor noise seed (default 1)\n"
		"  --control PATH      control socket (default: in the testbed, exported as TP_SIM_CONTROL)\n"
		"  --ctl SOCKET ...    send one command to a running simulator and print the reply\n"
		"\n"
		"COMMAND gets UMOCKDEV_DIR, TP_SIM_CONTROL, TP_SIM_TIME_SCALE, TP_SIM_CLOCK (model\n"
		"time in ms, a uint64_t in that file) and TP_SIM_SERIALS.\n"
		"The exit status is COMMAND's.\n",
		SIMUSB_MAX_PADS);
}

static int ctl_mode(int argc, char **argv)
{
	char line[512] = "", reply[8192];
	size_t used = 0;
	for (int i = 0; i < argc; i++)
		used += (size_t)snprintf(line + used, used < sizeof line ? sizeof line - used : 0, "%s%s",
					 i ? " " : "", argv[i]);
	int rc = simctl_client(getenv("TP_SIM_CTL_PATH"), line, reply, sizeof reply);
	fputs(reply, rc == 0 ? stdout : stderr);
	return rc == 0 ? 0 : 1;
}

/* The preload shim sits beside the binary in the build tree, or in the
 * installed helper directory. */
static void shim_path(char *out, size_t len)
{
	const char *env = getenv("TP_SIMPOLL_LIB");
	if (env) {
		snprintf(out, len, "%s", env);
		return;
	}
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(out, len, "%s/libthermopad-simpoll.so", exe);
		if (access(out, R_OK) == 0)
			return;
		snprintf(out, len, "%s/../lib/thermopad/libthermopad-simpoll.so", exe);
		if (access(out, R_OK) == 0)
			return;
	}
	out[0] = '\0';
}

static int apply_start_fault(struct simusb *sim, const char *spec)
{
	char buf[128], err[256];
	snprintf(buf, sizeof buf, "%s", spec);
	char *at = strchr(buf, '@');
	if (at)
		*at++ = '\0';
	struct pad_fault f;
	int idx = at ? simusb_find(sim, at) : -1;
	if (faults_parse(buf, &f, err, sizeof err) != 0) {
		fprintf(stderr, "thermopad-sim: %s\n", err);
		return -1;
	}
	for (int i = 0; i < simusb_pad_count(sim); i++) {
		if (at && i != idx)
			continue;
		if (simusb_inject(sim, i, &f, err, sizeof err) != 0) {
			fprintf(stderr, "thermopad-sim: %s\n", err);
			return -1;
		}
	}
	if (at && idx < 0) {
		fprintf(stderr, "thermopad-sim: --fault %s: no pad with serial '%s'\n", spec, at);
		return -1;
	}
	return 0;
}

static int run_child(char **cmd, sigset_t *old)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("thermopad-sim: fork");
		return -1;
	}
	if (pid == 0) {
		/* its own process group: whatever it starts goes when it goes */
		setpgid(0, 0);
		sigprocmask(SIG_SETMASK, old, NULL);
		execvp(cmd[0], cmd);
		fprintf(stderr, "thermopad-sim: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Forwards SIGTERM/SIGINT/SIGHUP to the child until it exits. */
static int wait_child(pid_t pid, const sigset_t *set)
{
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(set, &info);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig == SIGCHLD) {
			int status;
			pid_t got = waitpid(pid, &status, WNOHANG);
			if (got == pid)
				return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			continue;
		}
		if (sig > 0)
			kill(-pid, sig); /* the whole group COMMAND started */
	}
}

/* Reaps every child until none is left or until `until` (CLOCK_MONOTONIC);
 * true when none is left. */
static bool reap_until(const struct timespec *until, const sigset_t *set)
{
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return true;
		struct timespec now, left;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = until->tv_sec - now.tv_sec;
		left.tv_nsec = until->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0)
			left.tv_sec--, left.tv_nsec += 1000000000L;
		if (left.tv_sec < 0)
			return false;
		sigtimedwait(set, NULL, &left);
	}
}

/* What COMMAND left running (a daemon in the background) must not outlive
 * the pads it drives, and must be gone before they are: a program still
 * talking to a pad while it is torn down would reach freed memory. SIGTERM
 * first, so that a daemon zeroes its drive through the pad; SIGKILL after a
 * grace period. The simulator is a subreaper, so it can wait for orphans. */
static void end_group(pid_t pgid, const sigset_t *set)
{
	kill(-pgid, SIGTERM);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 5;
	if (reap_until(&until, set))
		return;
	kill(-pgid, SIGKILL);
	until.tv_sec += 2;
	reap_until(&until, set);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, 0, 'm'},   {"time-scale", required_argument, 0, 't'},
		{"pads", required_argument, 0, 'p'},    {"serial", required_argument, 0, 's'},
		{"fault", required_argument, 0, 'f'},   {"start-temp", required_argument, 0, 'T'},
		{"seed", required_argument, 0, 'S'},    {"control", required_argument, 0, 'c'},
		{"ctl", required_argument, 0, 'C'},     {"help", no_argument, 0, 'h'},
		{"host-wait", required_argument, 0, 'w'},
		{0, 0, 0, 0},
	};
	struct simusb_opts o;
	simusb_opts_default(&o);
	const char *faults[MAX_FAULTS], *control = NULL;
	int nfaults = 0, nserials = 0, c;
	char err[512];
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 'm':
			if (model_params_load(optarg, &o.model, err, sizeof err) != 0) {
				fprintf(stderr, "thermopad-sim: %s\n", err);
				return 2;
			}
			break;
		case 't': o.time_scale = strtod(optarg, &end); break;
		case 'w': o.host_wait_s = strtod(optarg, &end); break;
		case 'p': o.pads = (int)strtol(optarg, &end, 10); break;
		case 'T': o.start_plate_c = strtod(optarg, &end); break;
		case 'S': o.seed = strtoull(optarg, &end, 10); break;
		case 's':
			if (nserials >= SIMUSB_MAX_PADS || strlen(optarg) > TP_SERIAL_LEN) {
				fprintf(stderr, "thermopad-sim: --serial: at most %d serials of %d characters\n",
					SIMUSB_MAX_PADS, TP_SERIAL_LEN);
				return 2;
			}
			o.serials[nserials++] = optarg;
			break;
		case 'f':
			if (nfaults >= MAX_FAULTS) {
				fprintf(stderr, "thermopad-sim: at most %d --fault options\n", MAX_FAULTS);
				return 2;
			}
			faults[nfaults++] = optarg;
			break;
		case 'c': control = optarg; break;
		case 'C': setenv("TP_SIM_CTL_PATH", optarg, 1); return ctl_mode(argc - optind, argv + optind);
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (end && *end) {
			fprintf(stderr, "thermopad-sim: bad number '%s'\n", optarg);
			return 2;
		}
	}
	if (nserials > o.pads)
		o.pads = nserials;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}

	/* The program under test inherits both preloads: umockdev's, and the
	 * shim that keeps usbdevfs poll truthful. The simulator runs under
	 * them too (re-executed once), since hot-plug uevents are built by
	 * libudev reading the testbed's sysfs. */
	if (!getenv("TP_SIM_PRELOADED")) {
		char shim[PATH_MAX], preload[PATH_MAX + 64];
		shim_path(shim, sizeof shim);
		if (!shim[0]) {
			fprintf(stderr, "thermopad-sim: libthermopad-simpoll.so not found (set TP_SIMPOLL_LIB)\n");
			return 2;
		}
		snprintf(preload, sizeof preload, "libumockdev-preload.so.0:%s", shim);
		setenv("LD_PRELOAD", preload, 1);
		setenv("TP_SIM_PRELOADED", "1", 1);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "thermopad-sim: re-executing: %s\n", strerror(errno));
		return 2;
	}
	unsetenv("TP_SIM_PRELOADED");

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old); /* every thread inherits this */

	struct simusb *sim;
	if (simusb_start(&o, &sim, err, sizeof err) != 0) {
		fprintf(stderr, "thermopad-sim: %s\n", err);
		return 2;
	}
	int status = 2;
	for (int i = 0; i < nfaults; i++)
		if (apply_start_fault(sim, faults[i]) != 0)
			goto out;
	char ctl_default[PATH_MAX];
	if (!control) {
		snprintf(ctl_default, sizeof ctl_default, "%s/thermopad-sim.sock", simusb_root(sim));
		control = ctl_default;
	}
	struct simctl *ctl;
	if (simctl_start(sim, control, &ctl, err, sizeof err) != 0) {
		fprintf(stderr, "thermopad-sim: %s\n", err);
		goto out;
	}
	char scale[32], serials[SIMUSB_MAX_PADS * (TP_SERIAL_LEN + 1) + 1] = "";
	snprintf(scale, sizeof scale, "%g", o.time_scale);
	for (int i = 0; i < simusb_pad_count(sim); i++) {
		strcat(serials, i ? "," : "");
		strcat(serials, simusb_serial(sim, i));
	}
	setenv("TP_SIM_CONTROL", control, 1);
	setenv("TP_SIM_TIME_SCALE", scale, 1);
	setenv("TP_SIM_SERIALS", serials, 1);
	setenv("TP_SIM_CLOCK", simusb_clock_path(sim), 1);

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t pid = run_child(argv + optind, &old);
	if (pid > 0) {
		setpgid(pid, pid);
		status = wait_child(pid, &set);
		end_group(pid, &set);
	}
	simctl_stop(ctl);
	double stood_s;
	unsigned waits, given_up;
	simusb_host_waits(sim, &stood_s, &waits, &given_up);
	if (waits)
		fprintf(stderr,
			"thermopad-sim: model time stood still %u times (%.2f s of wall time in all) for a late host%s\n",
			waits, stood_s, given_up ? ", and stopped waiting for a silent one" : "");
out:
	simusb_stop(sim);
	return status;
}
