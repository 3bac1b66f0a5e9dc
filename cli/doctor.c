/* SPDX-License-Identifier: MIT */
/*
 * thermopad doctor: the chain from the person to the pad, link by link in
 * the order a problem hides the next one (no daemon: nothing else can be
 * asked), each a verdict with what to do. Checks are a table; each reads
 * what the ones before it learnt. The exit code is the class of the first
 * failure (thermopad(1)): 3 unreachable, 4 not permitted, 5 a fault
 * latched, 1 anything else; 0 when nothing fails (warnings included).
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-device.h>
#include <unistd.h>

#include "thermopad_api.h"
#include "thermopad_proto.h"
#include "cli.h"

enum doctor_verdict { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL, DOCTOR_SKIP };
static const char *const verdict_names[] = {"ok", "warn", "FAIL", "skip"};
static const char *const verdict_json[] = {"ok", "warn", "fail", "skip"};

#define DOCTOR_USB_MAX 8
/* below these, the session logs (a few MiB an hour) are at risk */
#define DOCTOR_FREE_FAIL_BYTES (20ll << 20)
#define DOCTOR_FREE_WARN_BYTES (200ll << 20)

struct doctor {
	struct cli *c;
	json_t *version, *status, *profiles; /* the daemon's answers; NULL when not had */
	struct {
		char node[128], serial[64];
	} usb[DOCTOR_USB_MAX];
	int nusb;
	json_t *results;
	int rc; /* the first failure's class */
};

static void __attribute__((format(printf, 6, 7)))
verdict(struct doctor *d, const char *check, enum doctor_verdict v, int rc, const char *fix, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (v == DOCTOR_FAIL && !d->rc)
		d->rc = rc;
	json_t *o = json_pack("{s:s, s:s, s:s}", "check", check, "verdict", verdict_json[v], "message", msg);
	if (fix)
		json_object_set_new(o, "fix", json_string(fix));
	json_array_append_new(d->results, o);
	if (d->c->json)
		return;
	const char *color = v == DOCTOR_OK ? "32" : v == DOCTOR_WARN ? "33" : v == DOCTOR_FAIL ? "1;31" : "2";
	printf("%s%-5s%s %-9s %s\n", cli_sgr(d->c, color), verdict_names[v], cli_sgr(d->c, "0"), check, msg);
	if (fix && v != DOCTOR_OK) /* a fix over several lines, each indented */
		for (const char *p = fix; *p;) {
			size_t n = strcspn(p, "\n");
			printf("%16s%s%.*s\n", "", p == fix ? "-> " : "   ", (int)n, p);
			p += n + (p[n] == '\n');
		}
}

/* A question to the daemon, quietly; NULL when it does not answer */
static json_t *ask(struct doctor *d, const char *cmd)
{
	json_t *r = NULL;
	bool silent = d->c->silent;
	d->c->silent = true;
	if (cli_call(d->c, json_pack("{s:s}", "cmd", cmd), &r) != 0)
		r = NULL;
	d->c->silent = silent;
	return r;
}

static void check_daemon(struct doctor *d)
{
	char err[256];
	const char *sock = d->c->socket;
	if (client_connect(&d->c->client, sock, err, sizeof err) != 0) {
		int e = errno;
		if (e == EACCES || e == EPERM) {
			char hint[400];
			cli_group_hint(hint, sizeof hint);
			verdict(d, "daemon", DOCTOR_FAIL, EXIT_NOT_PERMITTED, hint,
				"the socket %s is there but refuses you (%s)", sock, strerror(e));
		} else
			verdict(d, "daemon", DOCTOR_FAIL, EXIT_UNREACHABLE,
				"Start it: sudo systemctl start thermopadd (plugging the pad in starts it too);\n"
				"why it stopped: journalctl -u thermopadd. Another socket: --socket or $THERMOPAD_SOCKET.",
				"thermopadd does not answer at %s: %s", sock,
				e == ENOENT ? "no socket there (the daemon is not running)"
				: e == ECONNREFUSED ? "nothing listens on it (the daemon stopped)"
						    : strerror(e));
		return;
	}
	d->version = ask(d, "version");
	if (!d->version) {
		bool refused = !strcmp(d->c->last_code, API_ERR_NOT_PERMITTED);
		char hint[400];
		cli_group_hint(hint, sizeof hint);
		verdict(d, "daemon", DOCTOR_FAIL, refused ? EXIT_NOT_PERMITTED : EXIT_UNREACHABLE,
			refused ? hint : "Restart it: sudo systemctl restart thermopadd; journalctl -u thermopadd says why",
			"thermopadd at %s %s", sock, refused ? "refuses you" : "accepted the connection but did not answer");
		return;
	}
	json_t *v = json_object_get(d->version, "daemon");
	long long api = (long long)json_integer_value(json_object_get(v, "api"));
	if (api != API_VERSION)
		verdict(d, "daemon", DOCTOR_FAIL, EXIT_ERROR,
			"Install the daemon and the command line from the same release.",
			"thermopadd %s at %s speaks API %lld, this program %d", cli_str(v, "version", "?"), sock, api,
			API_VERSION);
	else
		verdict(d, "daemon", DOCTOR_OK, 0, NULL, "thermopadd %s answers at %s (API %lld)", cli_str(v, "version", "?"),
			sock, api);
	d->status = ask(d, "status");
	d->profiles = ask(d, "profiles-list");
}

static void check_group(struct doctor *d)
{
	char hint[400];
	cli_group_hint(hint, sizeof hint);
	if (getuid() == 0) {
		verdict(d, "group", DOCTOR_OK, 0, NULL, "you are root: you may control the pad");
		return;
	}
	switch (cli_group_membership()) {
	case CLI_MEMBER: verdict(d, "group", DOCTOR_OK, 0, NULL, "you are in the group " CLI_GROUP); return;
	case CLI_MEMBER_NEXT_LOGIN:
		verdict(d, "group", DOCTOR_FAIL, EXIT_NOT_PERMITTED, hint,
			"you joined the group " CLI_GROUP " but this login does not have it yet");
		return;
	case CLI_NOT_MEMBER:
		verdict(d, "group", DOCTOR_FAIL, EXIT_NOT_PERMITTED, hint,
			"you are not in the group " CLI_GROUP ": you may not control the pad");
		return;
	case CLI_NO_GROUP:
		verdict(d, "group", DOCTOR_FAIL, EXIT_ERROR,
			"Install the package (or make install), then: sudo systemd-sysusers",
			"there is no group " CLI_GROUP " on this system");
		return;
	}
	verdict(d, "group", DOCTOR_FAIL, EXIT_ERROR, NULL, "the group could not be judged");
}

/* The pads on the USB bus, as sysfs shows them */
static void check_usb(struct doctor *d)
{
	sd_device_enumerator *e = NULL;
	char vid[8], pid[8];
	snprintf(vid, sizeof vid, "%04x", TP_USB_VID);
	snprintf(pid, sizeof pid, "%04x", TP_USB_PID);
	if (sd_device_enumerator_new(&e) >= 0 && sd_device_enumerator_add_match_subsystem(e, "usb", true) >= 0 &&
	    sd_device_enumerator_add_match_sysattr(e, "idVendor", vid, true) >= 0 &&
	    sd_device_enumerator_add_match_sysattr(e, "idProduct", pid, true) >= 0)
		for (sd_device *dev = sd_device_enumerator_get_device_first(e); dev && d->nusb < DOCTOR_USB_MAX;
		     dev = sd_device_enumerator_get_device_next(e)) {
			const char *node = NULL, *serial = NULL, *type = NULL;
			if (sd_device_get_devtype(dev, &type) >= 0 && strcmp(type, "usb_device"))
				continue; /* its interfaces */
			sd_device_get_devname(dev, &node);
			sd_device_get_sysattr_value(dev, "serial", &serial);
			snprintf(d->usb[d->nusb].node, sizeof d->usb[0].node, "%s", node ? node : "");
			snprintf(d->usb[d->nusb].serial, sizeof d->usb[0].serial, "%.*s", (int)strcspn(serial ? serial : "", "\n"),
				 serial ? serial : "");
			d->nusb++;
		}
	sd_device_enumerator_unref(e);
	if (!d->nusb) {
		verdict(d, "usb", DOCTOR_FAIL, EXIT_ERROR,
			"Plug the pad in (a data cable, not a charge-only one); lsusb -d " "1209:0001 shows it then.",
			"no pad (USB %s:%s) on the USB bus", vid, pid);
		return;
	}
	for (int i = 0; i < d->nusb; i++)
		verdict(d, "usb", DOCTOR_OK, 0, NULL, "a pad on USB: %s%s%s", d->usb[i].node[0] ? d->usb[i].node : "(no node)",
			d->usb[i].serial[0] ? ", serial " : "", d->usb[i].serial);
}

/* The rule file in udev's directories ($THERMOPAD_UDEV_RULES_DIRS, a
 * colon-separated list, replaces them), and the pad's node as the rule
 * leaves it: group thermopad */
static void check_udev(struct doctor *d)
{
	const char *dirs = getenv("THERMOPAD_UDEV_RULES_DIRS");
	if (!dirs || !*dirs)
		dirs = "/etc/udev/rules.d:/run/udev/rules.d:/usr/lib/udev/rules.d:/lib/udev/rules.d:"
		       "/usr/local/lib/udev/rules.d";
	char found[600] = "";
	for (const char *p = dirs; *p && !found[0];) {
		size_t n = strcspn(p, ":");
		char path[600];
		snprintf(path, sizeof path, "%.*s/70-thermopad.rules", (int)n, p);
		if (access(path, R_OK) == 0)
			snprintf(found, sizeof found, "%s", path);
		p += n + (p[n] == ':');
	}
	if (!found[0]) {
		verdict(d, "udev", DOCTOR_FAIL, EXIT_ERROR,
			"Install the package (or sudo make install), then:\n"
			"sudo udevadm control --reload && sudo udevadm trigger --subsystem-match=usb",
			"no udev rule for the pad (70-thermopad.rules): the daemon's user may not open it");
		return;
	}
	struct group *g = getgrnam(CLI_GROUP);
	for (int i = 0; i < d->nusb; i++) {
		struct stat st;
		if (!d->usb[i].node[0] || stat(d->usb[i].node, &st) != 0)
			continue;
		if (g && st.st_gid == g->gr_gid)
			verdict(d, "udev", DOCTOR_OK, 0, NULL, "%s, applied to %s (group " CLI_GROUP ")", found, d->usb[i].node);
		else
			verdict(d, "udev", DOCTOR_WARN, 0,
				"Apply it: sudo udevadm trigger --subsystem-match=usb --attr-match=idVendor=1209\n"
				"(or unplug the pad and plug it in again)",
				"%s is installed but %s is not in the group " CLI_GROUP " (mode %04o)", found, d->usb[i].node,
				(unsigned)(st.st_mode & 07777));
		return;
	}
	verdict(d, "udev", DOCTOR_OK, 0, NULL, "%s is installed", found);
}

static json_t *pads(struct doctor *d)
{
	return json_object_get(d->status, "pads");
}

static void check_pad(struct doctor *d)
{
	if (!d->status) {
		verdict(d, "pad", DOCTOR_SKIP, 0, NULL, "the daemon could not be asked");
		return;
	}
	size_t i;
	json_t *p;
	if (!json_array_size(pads(d))) {
		if (d->nusb)
			verdict(d, "pad", DOCTOR_FAIL, EXIT_ERROR,
				"See why: journalctl -u thermopadd (a firmware speaking another protocol version is refused\n"
				"there, by name); check the udev rule (above); then unplug the pad and plug it in again.",
				"the pad is on USB but the daemon has not taken it");
		else
			verdict(d, "pad", DOCTOR_FAIL, EXIT_ERROR, "Plug the pad in.", "the daemon sees no pad");
		return;
	}
	json_array_foreach(pads(d), i, p)
	{
		const char *serial = cli_str(p, "serial", "?");
		if (!json_is_true(json_object_get(p, "present")))
			verdict(d, "pad", DOCTOR_FAIL, EXIT_ERROR,
				"Plug it in again, then: thermopad clear-faults, thermopad resume",
				"pad %s was unplugged (its session, if any, waits paused)", serial);
		else
			verdict(d, "pad", DOCTOR_OK, 0, NULL, "pad %s is taken by the daemon (%s)", serial,
				cli_str(p, "state", "?"));
	}
}

static void check_firmware(struct doctor *d)
{
	if (!d->status || !json_array_size(pads(d))) {
		verdict(d, "firmware", DOCTOR_SKIP, 0, NULL, "no pad to ask");
		return;
	}
	long long want = (long long)json_integer_value(json_object_get(json_object_get(d->version, "daemon"), "protocol"));
	size_t i;
	json_t *p;
	json_array_foreach(pads(d), i, p)
	{
		json_t *fw = json_object_get(p, "firmware");
		long long proto = (long long)json_integer_value(json_object_get(fw, "protocol"));
		if (!json_is_object(fw))
			verdict(d, "firmware", DOCTOR_SKIP, 0, NULL, "pad %s: this daemon does not report its firmware",
				cli_str(p, "serial", "?"));
		else if (proto != want)
			verdict(d, "firmware", DOCTOR_FAIL, EXIT_ERROR, "Update the pad's firmware or the daemon to match.",
				"pad %s: firmware %s speaks protocol %lld, the daemon %lld", cli_str(p, "serial", "?"),
				cli_str(fw, "version", "?"), proto, want);
		else
			verdict(d, "firmware", DOCTOR_OK, 0, NULL, "pad %s: firmware %s, protocol %lld (the daemon's)",
				cli_str(p, "serial", "?"), cli_str(fw, "version", "?"), proto);
	}
}

static void check_faults(struct doctor *d)
{
	if (!d->status || !json_array_size(pads(d))) {
		verdict(d, "faults", DOCTOR_SKIP, 0, NULL, "no pad to ask");
		return;
	}
	size_t i, n = 0;
	json_t *p;
	bool several = json_array_size(pads(d)) > 1;
	json_array_foreach(pads(d), i, p)
	{
		const char *serial = cli_str(p, "serial", "?");
		json_t *f = json_object_get(p, "fault");
		if (json_is_object(f)) {
			char text[2048], fix[300];
			output_fault_text(f, text, sizeof text);
			snprintf(fix, sizeof fix,
				 "Remove the cause it names, then: thermopad clear-faults%s%s\n"
				 "(refused, with the cause, while it is still there); thermopad faults shows it again.",
				 several ? " --pad " : "", several ? serial : "");
			verdict(d, "faults", DOCTOR_FAIL, EXIT_FAULT, fix, "pad %s: %s", serial, text);
			n++;
		}
		size_t k;
		json_t *w;
		json_array_foreach(json_object_get(p, "warnings"), k, w)
			verdict(d, "faults", DOCTOR_WARN, 0, "thermopad status explains it while it lasts.", "pad %s warns: %s",
				serial, json_string_value(w));
	}
	if (!n)
		verdict(d, "faults", DOCTOR_OK, 0, NULL, "no fault latched");
}

static void check_profiles(struct doctor *d)
{
	size_t i, bad = 0, n = 0;
	json_t *p;
	if (!d->profiles)
		verdict(d, "profiles", DOCTOR_SKIP, 0, NULL, "the daemon's profiles could not be asked");
	json_array_foreach(json_object_get(d->profiles, "profiles"), i, p)
	{
		n++;
		if (json_object_get(p, "error")) {
			bad++;
			verdict(d, "profiles", DOCTOR_FAIL, EXIT_ERROR,
				"Fix the file (thermopad profiles validate FILE checks it), then: sudo systemctl reload thermopadd",
				"the daemon's %s does not load: %s", cli_str(p, "name", "?"), cli_str(p, "error", ""));
		}
	}
	if (d->profiles && !n) {
		bad++;
		verdict(d, "profiles", DOCTOR_FAIL, EXIT_ERROR, "Reinstall the package (or sudo make install).",
			"the daemon has no profiles");
	}
	json_t *own = cli_own_profiles();
	size_t mine = json_array_size(own);
	json_array_foreach(own, i, p) if (json_object_get(p, "error"))
	{
		char fix[200];
		snprintf(fix, sizeof fix, "Fix it: thermopad profiles edit %s (or revert it: thermopad profiles revert %s)",
			 cli_str(p, "name", "?"), cli_str(p, "name", "?"));
		bad++;
		verdict(d, "profiles", DOCTOR_FAIL, EXIT_ERROR, fix, "yours does not load: %s", cli_str(p, "error", ""));
	}
	json_decref(own);
	if (!bad && d->profiles)
		verdict(d, "profiles", DOCTOR_OK, 0, NULL, "%zu of the daemon's and %zu of yours, all valid", n, mine);
	else if (!bad)
		verdict(d, "profiles", DOCTOR_OK, 0, NULL, "%zu of yours, all valid", mine);
}

static void check_logs(struct doctor *d)
{
	json_t *dm = json_object_get(d->status, "daemon");
	const char *dir = cli_str(dm, "state_dir", NULL);
	if (!dir) {
		verdict(d, "logs", DOCTOR_SKIP, 0, NULL, "the daemon does not say where its logs go");
		return;
	}
	json_t *free_j = json_object_get(dm, "state_free_bytes");
	long long free_b = json_is_integer(free_j) ? (long long)json_integer_value(free_j) : -1;
	if (!json_is_true(json_object_get(dm, "state_writable")))
		verdict(d, "logs", DOCTOR_FAIL, EXIT_ERROR,
			"Make it: sudo systemd-tmpfiles --create (the package's tmpfiles.d), or name another\n"
			"with [paths] state_dir in thermopad.conf",
			"the daemon cannot write its session logs in %s", dir);
	else if (free_b >= 0 && free_b < DOCTOR_FREE_FAIL_BYTES)
		verdict(d, "logs", DOCTOR_FAIL, EXIT_ERROR,
			"Free some space, or keep fewer logs: [log] retention_mb in thermopad.conf",
			"%s: only %lld MiB free for session logs", dir, free_b >> 20);
	else if (free_b >= 0 && free_b < DOCTOR_FREE_WARN_BYTES)
		verdict(d, "logs", DOCTOR_WARN, 0, "Free some space, or keep fewer logs: [log] retention_mb",
			"%s: %lld MiB free for session logs", dir, free_b >> 20);
	else
		verdict(d, "logs", DOCTOR_OK, 0, NULL, "%s is writable by the daemon (%lld MiB free)", dir,
			free_b >= 0 ? free_b >> 20 : 0);
}

static void check_clock(struct doctor *d)
{
	json_t *v = json_object_get(d->version, "daemon");
	if (!v) {
		verdict(d, "clock", DOCTOR_SKIP, 0, NULL, "the daemon could not be asked");
		return;
	}
	double scale = json_number_value(json_object_get(v, "time_scale"));
	if (scale > 1.0001 || scale < 0.9999)
		verdict(d, "clock", DOCTOR_WARN, 0,
			"Only a simulated pad runs faster; restart the daemon without --time-scale for a real one.",
			"the daemon runs its clock %g times faster than real time (a simulated pad)", scale);
	else
		verdict(d, "clock", DOCTOR_OK, 0, NULL, "the daemon runs in real time");
}

/* In order: each may use what the ones before it learnt. */
static const struct {
	const char *name;
	void (*run)(struct doctor *d);
	bool needs_daemon;
} checks[] = {
	{"daemon", check_daemon, false},	 {"group", check_group, false},	   {"usb", check_usb, false},
	{"udev", check_udev, false},	 {"pad", check_pad, true},	   {"firmware", check_firmware, true},
	{"faults", check_faults, true},	 {"profiles", check_profiles, false}, {"logs", check_logs, true},
	{"clock", check_clock, true},
};

int cmd_doctor(struct cli *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		return cli_usage_error("doctor", "unexpected '%s'", argv[i]);
	struct doctor d = {.c = c, .results = json_array()};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		if (checks[i].needs_daemon && !d.version) {
			verdict(&d, checks[i].name, DOCTOR_SKIP, 0, NULL, "needs the daemon (above)");
			continue;
		}
		checks[i].run(&d);
	}
	if (c->json) {
		json_t *o = json_pack("{s:b, s:O, s:i}", "ok", d.rc == 0, "checks", d.results, "exit", d.rc);
		cli_print_json(o);
		json_decref(o);
	} else
		printf("%s\n", d.rc ? "Something above needs fixing (FAIL), the first one first."
				    : "Nothing fails: the pad is ready.");
	json_decref(d.results);
	json_decref(d.version);
	json_decref(d.status);
	json_decref(d.profiles);
	return d.rc;
}
