/* SPDX-License-Identifier: MIT */
/* How the command line shows what the daemon says. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thermopad_proto.h"

static char *next_buf(void)
{
	static char bufs[8][48];
	static unsigned next;
	return bufs[next++ % 8];
}

const char *output_temp(const struct cli *c, double celsius, int decimals)
{
	char *b = next_buf();
	/* the sensor's "not read" (-327.68 C) can reach a file written before
	 * it was mapped; no temperature of a pad is near it */
	if (!isfinite(celsius) || celsius <= -273.0)
		return "--";
	if (c->fahrenheit)
		snprintf(b, 48, "%.*f F", decimals, celsius * 9.0 / 5.0 + 32.0);
	else
		snprintf(b, 48, "%.*f C", decimals, celsius);
	return b;
}

const char *output_num(bool sign, int decimals, double v)
{
	char *b = next_buf();
	if (!isfinite(v))
		return "--";
	snprintf(b, 48, sign ? "%+.*f" : "%.*f", decimals, v);
	return b;
}

/* What each firmware fault bit means, in the order of the protocol's bits */
static const char *const fw_bit_meaning[] = {
	("the pad heard no command from the daemon within its watchdog time and cut the drive: the daemon was "
	 "stopped, stalled or unplugged"),
	"a plate sensor read above the firmware's hard maximum",
	"a plate sensor read below the firmware's hard minimum",
	"the heat sink read above its hard maximum: check the fan and the air flow",
	"plate sensor A reads open: a broken wire or connector",
	"plate sensor A reads shorted",
	"plate sensor B reads open: a broken wire or connector",
	"plate sensor B reads shorted",
	"the heat-sink sensor reads open: a broken wire or connector",
	"the heat-sink sensor reads shorted",
	"the module drew more current than its limit: a wiring or module fault",
	"the supply voltage is out of range: check the power adapter",
	"the hardware thermal fuse is open: the pad needs service",
	("the plate's heat dose reached the firmware's own bound: let the skin rest, then unplug and replug the "
	 "pad"),
	("the plate stayed below 15 C, or below 9.5 C, as long as the firmware allows: let the skin rewarm, then "
	 "unplug and replug the pad"),
	("the module's current did not follow the drive (a stuck bridge) and the load switch opened: the pad needs "
	 "service"),
	("both plate sensors disagree with the module's own Seebeck voltage (frozen or off the plate): check that the "
	 "sensors sit on the plate, then clear"),
	("current flowed with the load switch open: the switch is welded shut and the pad has lost its second layer; "
	 "unplug the pad, it needs service"),
	("the supply went while the pad was heating or cooling, and the pad does not resume by itself: check the power "
	 "supply, its cable and the power relay, then clear the fault and start again"),
	("the host kept asking for more heat than the firmware's plate limit let through (its bound of the true "
	 "plate, over plate sensors A and B, at 1 C under the plate maximum in force), 30 s of full drive "
	 "withheld against a bound of 30: the host was not controlling the plate. Stop whatever program "
	 "drives the pad, check the daemon's log, then clear; a second time within 30 min needs an unplug "
	 "and replug"),
};

void output_fw_bits(unsigned bits, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < 32 && used < len; i++) {
		if (!(bits & (1u << i)))
			continue;
		const char *meaning = i < sizeof fw_bit_meaning / sizeof fw_bit_meaning[0] && fw_bit_meaning[i]
					      ? fw_bit_meaning[i]
					      : "a fault this program does not know";
		int n = snprintf(buf + used, len - used, "%s%s (%s)", used ? "; " : "", proto_fault_name(1u << i), meaning);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

void output_fault_text(json_t *fault, char *buf, size_t len)
{
	const char *msg = cli_str(fault, "message", "");
	const char *bits = strstr(msg, "fault bits 0x");
	if (!bits) {
		snprintf(buf, len, "%s", msg);
		return;
	}
	char *end;
	unsigned long v = strtoul(bits + 11, &end, 16);
	char names[1024];
	output_fw_bits((unsigned)v, names, sizeof names);
	snprintf(buf, len, "%.*s%s%s", (int)(bits - msg), msg, names, end);
}

double cli_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *cli_str(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

void output_clock(double s, char *buf, size_t len)
{
	if (!isfinite(s) || s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, len, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
	else
		snprintf(buf, len, "%d:%02d", (int)s / 60, (int)s % 60);
}

void output_status(const struct cli *c, json_t *reply)
{
	size_t i;
	json_t *pad;
	json_t *pads = json_object_get(reply, "pads");
	if (!json_array_size(pads)) {
		printf("no pad connected: plug the pad in (thermopad devices lists what the daemon sees)\n");
		return;
	}
	json_array_foreach(pads, i, pad)
	{
		json_t *tel = json_object_get(pad, "telemetry"), *ph = json_object_get(pad, "phase");
		json_t *fault = json_object_get(pad, "fault");
		printf("pad %s%s: %s", cli_str(pad, "serial", "?"), json_is_true(json_object_get(pad, "present")) ? "" : " (disconnected)",
		       cli_str(pad, "state", "?"));
		if (json_is_string(json_object_get(pad, "profile")))
			printf(", profile %s", cli_str(pad, "profile", ""));
		printf("\n");
		if (ph) {
			char left[16], total[16], reach[16];
			/* the phases' clocks run at target; the way there is the
			 * pad's model's estimate, counted in (an older daemon: not) */
			double with = cli_num(ph, "session_total_left_s"), approach = cli_num(ph, "approach_left_s");
			output_clock(cli_num(ph, "phase_left_s") + (isfinite(approach) ? approach : 0), left, sizeof left);
			output_clock(isfinite(with) ? with : cli_num(ph, "session_left_s"), total, sizeof total);
			output_clock(approach, reach, sizeof reach);
			printf("  phase %d/%d: %s '%s', cycle %d/%d, target %s%s\n", (int)cli_num(ph, "step"),
			       (int)cli_num(ph, "steps"), cli_str(ph, "kind", "?"), cli_str(ph, "name", "?"), (int)cli_num(ph, "cycle"),
			       (int)cli_num(ph, "cycles"), output_temp(c, cli_num(ph, "target_c"), 1),
			       json_is_true(json_object_get(ph, "in_band")) ? ", at target" : ", approaching");
			printf("  time left: %s in this phase, %s in the session", left, total);
			if (isfinite(approach) && approach >= 1)
				printf(" (%s of it to reach the target)", reach);
			printf("\n");
		}
		if (tel)
			printf("  plate %s / %s, heat sink %s, drive %s %%, %s A\n", output_temp(c, cli_num(tel, "plate_a_c"), 2),
			       output_temp(c, cli_num(tel, "plate_b_c"), 2), output_temp(c, cli_num(tel, "sink_c"), 2),
			       output_num(true, 0, cli_num(pad, "drive") * 100), output_num(false, 2, cli_num(tel, "current_a")));
		double skin = cli_num(pad, "skin_c"), skin_lo = cli_num(pad, "skin_lo_c"), skin_hi = cli_num(pad, "skin_hi_c");
		if (isfinite(skin) && isfinite(skin_lo) && isfinite(skin_hi))
			printf("  skin about %s, within %s to %s for any pad (the pad's model)\n", output_temp(c, skin, 1),
			       output_temp(c, skin_lo, 1), output_temp(c, skin_hi, 1));
		printf("  heat dose %s CEM43 min\n", output_num(false, 2, cli_num(pad, "dose_cem43_min")));
		json_t *dose = json_object_get(pad, "dose");
		if (json_is_object(dose))
			printf("  across sessions: heat %s CEM43 min recent, %s of %s in 24 h; cold %s min recent, "
			       "%s of %s min in 24 h\n",
			       output_num(false, 2, cli_num(dose, "recent_cem43_min")), output_num(false, 2, cli_num(dose, "day_cem43_min")),
			       output_num(false, 0, cli_num(dose, "day_max_cem43_min")), output_num(false, 1, cli_num(dose, "cold_recent_s") / 60),
			       output_num(false, 1, cli_num(dose, "cold_day_s") / 60), output_num(false, 0, cli_num(dose, "cold_day_max_s") / 60));
		if (json_is_object(fault)) {
			char text[2048];
			output_fault_text(fault, text, sizeof text);
			printf("  %sFAULT%s %s\n  clear it, once the cause is gone, with: thermopad clear-faults%s%s\n",
			       cli_sgr(c, "1;31"), cli_sgr(c, "0"), text, json_array_size(pads) > 1 ? " --pad " : "",
			       json_array_size(pads) > 1 ? cli_str(pad, "serial", "") : "");
		}
		size_t k;
		json_t *w;
		json_array_foreach(json_object_get(pad, "warnings"), k, w)
			printf("  warning: %s\n", json_string_value(w));
		if (json_is_string(json_object_get(pad, "log")))
			printf("  session log: %s\n", cli_str(pad, "log", ""));
	}
}

void output_devices(const struct cli *c, json_t *reply)
{
	size_t i;
	json_t *pad;
	(void)c;
	json_array_foreach(json_object_get(reply, "pads"), i, pad)
		printf("%s  %s  frames %.0f, lost %.0f, refused %.0f\n", cli_str(pad, "serial", "?"),
		       json_is_true(json_object_get(pad, "present")) ? "connected" : "disconnected", cli_num(pad, "frames"),
		       cli_num(pad, "gaps"), cli_num(pad, "rejected"));
	if (!json_array_size(json_object_get(reply, "pads")))
		printf("no pad: is it plugged in? (lsusb shows 1209:0001)\n");
}

void output_watch_line(const struct cli *c, json_t *pad)
{
	json_t *tel = json_object_get(pad, "telemetry"), *ph = json_object_get(pad, "phase");
	char left[16] = "--", bar[16] = "";
	if (ph) {
		double rest = cli_num(ph, "session_total_left_s");
		if (!isfinite(rest))
			rest = cli_num(ph, "session_left_s");
		output_clock(rest, left, sizeof left);
		double done = cli_num(ph, "elapsed_s");
		if (isfinite(done) && isfinite(rest) && done + rest > 0) {
			int cells = (int)lround(10.0 * done / (done + rest));
			for (int i = 0; i < 10; i++)
				bar[i] = i < cells ? '#' : '.';
			bar[10] = '\0';
		}
	}
	printf("%s %-8s %-5s target %7s  plate %8s  sink %7s  drive %4s %%  left %s%s%s%s", cli_str(pad, "serial", "?"),
	       cli_str(pad, "state", "?"), ph ? cli_str(ph, "kind", "") : "-", output_temp(c, ph ? cli_num(ph, "target_c") : NAN, 1),
	       output_temp(c, tel ? cli_num(tel, "plate_a_c") : NAN, 2), output_temp(c, tel ? cli_num(tel, "sink_c") : NAN, 1),
	       output_num(true, 0, cli_num(pad, "drive") * 100), left, bar[0] ? " [" : "", bar, bar[0] ? "]" : "");
	printf("%s\n", json_is_object(json_object_get(pad, "fault")) ? "  FAULT" : "");
	fflush(stdout);
}
