/* SPDX-License-Identifier: MIT */
/* How the command line shows what the daemon says. */
#include <math.h>
#include <stdio.h>

#include "cli.h"

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
			char left[16], total[16];
			output_clock(cli_num(ph, "phase_left_s"), left, sizeof left);
			output_clock(cli_num(ph, "session_left_s"), total, sizeof total);
			printf("  phase %d/%d: %s '%s', cycle %d/%d, target %.1f C%s\n", (int)cli_num(ph, "step"),
			       (int)cli_num(ph, "steps"), cli_str(ph, "kind", "?"), cli_str(ph, "name", "?"), (int)cli_num(ph, "cycle"),
			       (int)cli_num(ph, "cycles"), cli_num(ph, "target_c"), json_is_true(json_object_get(ph, "in_band")) ? ", at target" : ", approaching");
			printf("  time left: %s in this phase, %s in the session\n", left, total);
		}
		if (tel)
			printf("  plate %.2f / %.2f C, heat sink %.2f C, drive %+.0f %%, %.2f A\n", cli_num(tel, "plate_a_c"),
			       cli_num(tel, "plate_b_c"), cli_num(tel, "sink_c"), cli_num(pad, "drive") * 100, cli_num(tel, "current_a"));
		printf("  heat dose %.2f CEM43 min\n", cli_num(pad, "dose_cem43_min"));
		json_t *dose = json_object_get(pad, "dose");
		if (json_is_object(dose))
			printf("  across sessions: heat %.2f CEM43 min recent, %.2f of %.0f in 24 h; cold %.1f min recent, "
			       "%.1f of %.0f min in 24 h\n",
			       cli_num(dose, "recent_cem43_min"), cli_num(dose, "day_cem43_min"), cli_num(dose, "day_max_cem43_min"),
			       cli_num(dose, "cold_recent_s") / 60, cli_num(dose, "cold_day_s") / 60,
			       cli_num(dose, "cold_day_max_s") / 60);
		if (json_is_object(fault))
			printf("  %sFAULT%s %s\n  clear it with: thermopad clear-faults\n", cli_sgr(c, "1;31"),
			       cli_sgr(c, "0"), cli_str(fault, "message", ""));
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
	char left[16] = "-";
	(void)c;
	if (ph)
		output_clock(cli_num(ph, "session_left_s"), left, sizeof left);
	printf("%s %-8s %-5s target %5.1f C  plate %6.2f C  sink %5.1f C  drive %+4.0f %%  left %s%s\n",
	       cli_str(pad, "serial", "?"), cli_str(pad, "state", "?"), ph ? cli_str(ph, "kind", "") : "-",
	       ph ? cli_num(ph, "target_c") : NAN, tel ? cli_num(tel, "plate_a_c") : NAN, tel ? cli_num(tel, "sink_c") : NAN,
	       cli_num(pad, "drive") * 100, left, json_is_object(json_object_get(pad, "fault")) ? "  FAULT" : "");
	fflush(stdout);
}
