/* SPDX-License-Identifier: MIT */
/* thermopad log list | show SESSION [--csv] | plot SESSION [-o FILE]: the
 * stored sessions, read through the daemon (their files belong to it),
 * each with the summary the daemon wrote when it ended: its phases and
 * the time at each target, peak and lowest plate, dose, cold exposure,
 * the marks (pause, skip, extend, stop, faults) that the charts show. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chart.h"
#include "cli.h"

#define PAGE 2000

static int list_sessions(struct cli *c, json_t **out)
{
	return cli_call(c, json_pack("{s:s}", "cmd", "sessions-list"), out);
}

/* "40.0 C 12:00, 12.0 C 4:00": the time at each target, in the order
 * first reached */
static void time_at_targets(const struct cli *c, json_t *summary, char *buf, size_t len)
{
	double target[32], at[32];
	int n = 0;
	size_t i;
	json_t *ph;
	json_array_foreach(json_object_get(summary, "phases"), i, ph)
	{
		double t = cli_num(ph, "target_c"), a = cli_num(ph, "at_target_s");
		if (!isfinite(t) || !isfinite(a) || !strcmp(cli_str(ph, "kind", ""), "off"))
			continue;
		int k = 0;
		while (k < n && fabs(target[k] - t) > 0.05)
			k++;
		if (k == n && n < 32)
			target[n] = t, at[n++] = 0;
		if (k < n)
			at[k] += a;
	}
	size_t used = 0;
	buf[0] = '\0';
	for (int k = 0; k < n && used < len; k++) {
		char clock[16];
		output_clock(at[k], clock, sizeof clock);
		int w = snprintf(buf + used, len - used, "%s%s %s", k ? ", " : "", output_temp(c, target[k], 1), clock);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* "sensor-a-open at 2:10, ..." */
static void faults_of(json_t *summary, char *buf, size_t len)
{
	size_t i, used = 0;
	json_t *m;
	buf[0] = '\0';
	json_array_foreach(json_object_get(summary, "marks"), i, m)
	{
		if (strcmp(cli_str(m, "kind", ""), "fault") || used >= len)
			continue;
		char clock[16];
		output_clock(cli_num(m, "t_s"), clock, sizeof clock);
		int w = snprintf(buf + used, len - used, "%s%s at %s", used ? ", " : "", cli_str(m, "code", "?"), clock);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* The summary's lines for a person (indent before each) */
static void print_summary(const struct cli *c, json_t *summary, const char *indent)
{
	if (!json_is_object(summary)) {
		printf("%sno summary (the session runs, or was stored by an older daemon)\n", indent);
		return;
	}
	char at[600], faults[600];
	time_at_targets(c, summary, at, sizeof at);
	faults_of(summary, faults, sizeof faults);
	printf("%sat target: %s\n", indent, at[0] ? at : "never reached");
	printf("%splate %s to %s, dose %s CEM43 min, cold exposure %s s\n", indent,
	       output_temp(c, cli_num(summary, "plate_min_c"), 1), output_temp(c, cli_num(summary, "plate_max_c"), 1),
	       output_num(false, 2, cli_num(summary, "dose_cem43_min")), output_num(false, 0, cli_num(summary, "cold_s")));
	printf("%sfaults: %s\n", indent, faults[0] ? faults : "none");
}

static int cmd_list(struct cli *c, const char *pad)
{
	json_t *r;
	int rc = list_sessions(c, &r);
	if (rc)
		return rc;
	json_t *sessions = json_object_get(r, "sessions");
	for (size_t i = 0; pad && i < json_array_size(sessions);)
		if (strcmp(cli_str(json_array_get(sessions, i), "pad", ""), pad))
			json_array_remove(sessions, i);
		else
			i++;
	if (c->json) {
		json_t *o = json_pack("{s:O}", "sessions", sessions);
		cli_print_json(o);
		json_decref(o);
	} else if (!json_array_size(sessions)) {
		printf("no sessions stored yet\n");
	} else {
		printf("%-28s %-19s %-18s %9s  %s\n", "SESSION", "STARTED", "PROFILE", "DURATION", "OUTCOME");
		size_t i;
		json_t *s;
		json_array_foreach(sessions, i, s)
		{
			char started[20] = "?", dur[16];
			const char *st = json_string_value(json_object_get(s, "started"));
			if (st)
				snprintf(started, sizeof started, "%.10s %.8s", st, st + (strlen(st) > 11 ? 11 : 0));
			output_clock(json_number_value(json_object_get(s, "duration_s")), dur, sizeof dur);
			const char *outcome = json_string_value(json_object_get(s, "outcome"));
			const char *colon = outcome ? strstr(outcome, "ended: ") : NULL;
			printf("%-28s %-19s %-18s %9s  %s\n", json_string_value(json_object_get(s, "id")), started,
			       json_string_value(json_object_get(s, "profile")) ? json_string_value(json_object_get(s, "profile"))
										 : "?",
			       dur, colon ? colon + 7 : outcome ? outcome : "running (or the daemon stopped)");
			print_summary(c, json_object_get(s, "summary"), "    ");
		}
	}
	json_decref(r);
	return 0;
}

/* "latest" is the newest session (of the pad, with --pad); anything
 * else is an id, checked against the list ("did you mean"). */
static int resolve(struct cli *c, const char *want, const char *pad, char *id, size_t len, json_t **meta)
{
	if (meta)
		*meta = NULL;
	json_t *r;
	int rc = list_sessions(c, &r);
	if (rc)
		return rc;
	const char *ids[256], *found = NULL;
	size_t n = 0, i;
	json_t *s;
	json_array_foreach(json_object_get(r, "sessions"), i, s)
	{
		if (pad && strcmp(cli_str(s, "pad", ""), pad))
			continue;
		if (n < 256)
			ids[n++] = cli_str(s, "id", "");
		if (!found && (!strcmp(want, "latest") || !strcmp(want, cli_str(s, "id", "")))) {
			found = cli_str(s, "id", "");
			if (meta)
				*meta = json_incref(s);
		}
	}
	if (found)
		snprintf(id, len, "%s", found);
	const char *hit = found ? NULL : cli_suggest(want, ids, n);
	char hint[300];
	snprintf(hint, sizeof hint, "%s%s%sthermopad log list shows the sessions", hit ? "Did you mean " : "", hit ? hit : "",
		 hit ? "? " : "");
	rc = found ? 0
	     : !strcmp(want, "latest")
		     ? cli_error(c, EXIT_ERROR, "no-session", NULL, "no sessions stored yet%s%s", pad ? " for pad " : "",
				 pad ? pad : "")
		     : cli_error(c, EXIT_ERROR, "no-session", hint, "no session '%s'", want);
	json_decref(r);
	return rc;
}

/* Every sample of a session, page by page. */
static int fetch(struct cli *c, const char *id, json_t **columns, json_t **samples)
{
	*samples = json_array();
	*columns = NULL;
	for (long offset = 0;; offset += PAGE) {
		json_t *r;
		int rc = cli_call(c, json_pack("{s:s, s:s, s:I, s:I}", "cmd", "session-samples", "session", id, "offset",
					       (json_int_t)offset, "limit", (json_int_t)PAGE),
				  &r);
		if (rc) {
			json_decref(*samples);
			json_decref(*columns);
			return rc;
		}
		if (!*columns)
			*columns = json_incref(json_object_get(r, "columns"));
		json_array_extend(*samples, json_object_get(r, "samples"));
		long total = (long)json_integer_value(json_object_get(r, "total"));
		json_decref(r);
		if (offset + PAGE >= total)
			return 0;
	}
}

static void print_value(json_t *v, bool csv)
{
	double x = json_number_value(v);
	if (json_is_string(v))
		printf(csv ? "%s" : "%-8s", json_string_value(v));
	else if (!json_is_number(v)) { /* not read: an empty field, never 0 */
		if (!csv)
			printf("%8s", "--");
	}
	else if (csv)
		printf("%g", x);
	else if (!json_is_number(v) || x <= -273.0) /* not read: never a number to a person */
		printf("%8s", "--");
	else
		printf("%8.2f", x);
}

/* The session's phases as they ran, and its marks */
static void print_phases(const struct cli *c, json_t *summary)
{
	size_t i;
	json_t *ph, *m;
	json_array_foreach(json_object_get(summary, "phases"), i, ph)
	{
		char from[16], to[16], at[16];
		output_clock(cli_num(ph, "start_s"), from, sizeof from);
		output_clock(cli_num(ph, "end_s"), to, sizeof to);
		output_clock(cli_num(ph, "at_target_s"), at, sizeof at);
		printf("  %2zu. %-7s %-12s %8s  %7s-%-7s at target %s\n", i + 1, cli_str(ph, "kind", "?"),
		       cli_str(ph, "name", "?"), output_temp(c, cli_num(ph, "target_c"), 1), from, to, at);
	}
	json_array_foreach(json_object_get(summary, "marks"), i, m)
	{
		char t[16];
		output_clock(cli_num(m, "t_s"), t, sizeof t);
		const char *code = cli_str(m, "code", "");
		printf("%s%s%s%s at %s", i ? ", " : "  marks: ", cli_str(m, "kind", "?"), code[0] ? " " : "", code, t);
	}
	if (json_array_size(json_object_get(summary, "marks")))
		printf("\n");
}

static int cmd_show(struct cli *c, const char *id, json_t *meta, bool csv)
{
	json_t *columns, *samples;
	int rc = fetch(c, id, &columns, &samples);
	if (rc)
		return rc;
	json_t *summary = json_object_get(meta, "summary");
	if (c->json) {
		json_t *o = json_pack("{s:s, s:O?, s:O, s:O}", "session", id, "summary", summary, "columns", columns,
				      "samples", samples);
		cli_print_json(o);
		json_decref(o);
	} else {
		if (!csv) { /* the summary first; CSV stays data only */
			char dur[16];
			output_clock(cli_num(meta, "duration_s"), dur, sizeof dur);
			printf("session %s: %s on pad %s, %s, %s\n", id, cli_str(meta, "profile", "?"), cli_str(meta, "pad", "?"),
			       dur, cli_str(meta, "outcome", "running"));
			print_summary(c, summary, "  ");
			print_phases(c, summary);
			printf("\n");
		}
		size_t i, k;
		json_t *v, *row;
		json_array_foreach(columns, k, v)
			printf(csv ? "%s%s" : "%s%8s", k ? (csv ? "," : " ") : "", json_string_value(v));
		printf("\n");
		json_array_foreach(samples, i, row)
		{
			json_array_foreach(row, k, v)
			{
				if (k)
					printf(csv ? "," : " ");
				print_value(v, csv);
			}
			printf("\n");
		}
	}
	json_decref(columns);
	json_decref(samples);
	return 0;
}

static int column(json_t *columns, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(columns, i, v) if (!strcmp(json_string_value(v), name)) return (int)i;
	return -1;
}

static double cell(json_t *row, int col)
{
	json_t *v = json_array_get(row, (size_t)col);
	return json_is_number(v) && json_number_value(v) > -273.0 ? json_number_value(v) : NAN;
}

/* The letter of a mark on the chart's strip */
static char mark_letter(const char *kind)
{
	static const struct {
		const char *kind;
		char letter;
	} letters[] = {{"pause", 'P'}, {"resume", 'R'}, {"skip", 'S'}, {"extend", 'E'}, {"stop", 'X'}, {"fault", '!'}};
	for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
		if (!strcmp(kind, letters[i].kind))
			return letters[i].letter;
	return '?';
}

static void terminal_chart(const struct cli *c, json_t *columns, json_t *samples, json_t *summary)
{
	int ct = column(columns, "time_s"), cg = column(columns, "target_c"), cp = column(columns, "plate_a_c");
	size_t n = json_array_size(samples);
	if (ct < 0 || cg < 0 || cp < 0 || n < 2)
		return;
	double *t = malloc(n * sizeof *t), *g = malloc(n * sizeof *g), *p = malloc(n * sizeof *p);
	double lo = 1e9, hi = -1e9;
	for (size_t i = 0; t && g && p && i < n; i++) {
		json_t *row = json_array_get(samples, i);
		t[i] = cell(row, ct) / 60.0, g[i] = cell(row, cg), p[i] = cell(row, cp);
		if (isfinite(p[i]))
			lo = fmin(lo, p[i]), hi = fmax(hi, p[i]);
		if (isfinite(g[i]))
			lo = fmin(lo, g[i]), hi = fmax(hi, g[i]);
	}
	if (t && g && p && hi > lo) {
		static struct chart ch;
		static const char *const colors[] = {"33", "36"};
		lo = floor(lo - 1), hi = ceil(hi + 1);
		chart_init(&ch, 70, 16, t[0], t[n - 1], lo, hi);
		chart_line(&ch, t, g, (int)n, 0);
		chart_line(&ch, t, p, (int)n, 1);
		size_t k;
		json_t *ph, *m;
		json_array_foreach(json_object_get(summary, "phases"), k, ph)
			chart_shade(&ch, cli_num(ph, "start_s") / 60.0, cli_num(ph, "end_s") / 60.0,
				    chart_shade_for(cli_str(ph, "kind", "")));
		json_array_foreach(json_object_get(summary, "marks"), k, m)
			chart_mark(&ch, cli_num(m, "t_s") / 60.0, mark_letter(cli_str(m, "kind", "")));
		char row[4096];
		for (int r = 0; r < ch.h; r++) {
			chart_row(&ch, r, c->color ? colors : NULL, row, sizeof row);
			double y = hi - (hi - lo) * r / (ch.h - 1);
			printf("%5.1f C %s\n", y, row);
		}
		if (json_is_object(summary)) {
			chart_strip(&ch, c->color, row, sizeof row);
			printf("        %s\n", row);
		}
		printf("        0%*s%.0f min   %starget%s  %splate%s\n", 62, "", t[n - 1], cli_sgr(c, "33"), cli_sgr(c, "0"),
		       cli_sgr(c, "36"), cli_sgr(c, "0"));
		if (json_is_object(summary))
			printf("        phases: + heat, - cold, . neutral; marks: P pause, R resume, S skip, E extend, X stop, ! fault\n");
	}
	free(t);
	free(g);
	free(p);
}

/* The image, by gnuplot: temperatures over time, drive on the second axis. */
static int image(const char *id, json_t *columns, json_t *samples, json_t *summary, const char *out)
{
	const char *ext = strrchr(out, '.');
	const char *term = ext && !strcmp(ext, ".svg") ? "svg size 1000,600 dynamic"
			   : ext && !strcmp(ext, ".png") ? "pngcairo size 1000,600"
							  : NULL;
	if (!term)
		return cli_usage_error("log", "-o takes a .png or .svg file name");
	char data[] = "/tmp/thermopad-plot-XXXXXX";
	int fd = mkstemp(data);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		fprintf(stderr, "thermopad: cannot write a temporary file: %s\n", strerror(errno));
		return EXIT_ERROR;
	}
	int ct = column(columns, "time_s"), cols[5] = {column(columns, "target_c"), column(columns, "plate_a_c"),
						      column(columns, "plate_b_c"), column(columns, "sink_c"),
						      column(columns, "drive")};
	size_t i;
	json_t *row;
	json_array_foreach(samples, i, row)
	{
		fprintf(f, "%g", cell(row, ct) / 60.0);
		for (int k = 0; k < 5; k++)
			fprintf(f, " %g", k == 4 ? cell(row, cols[k]) * 100 : cell(row, cols[k]));
		fprintf(f, "\n");
	}
	fclose(f);
	FILE *gp = popen("gnuplot", "w");
	if (!gp) {
		unlink(data);
		fprintf(stderr, "thermopad: cannot run gnuplot (install the gnuplot-nox package)\n");
		return EXIT_ERROR;
	}
	/* the phases shaded behind the lines, the marks as labelled lines */
	size_t k;
	json_t *ph, *m;
	static const char *const fill[CHART_SHADES] = {"", "#f4c7c3", "#c6dbf4", "#e4e4e4"};
	json_array_foreach(json_object_get(summary, "phases"), k, ph)
	{
		enum chart_shade sh = chart_shade_for(cli_str(ph, "kind", ""));
		if (sh != CHART_SHADE_NONE && isfinite(cli_num(ph, "start_s")) && isfinite(cli_num(ph, "end_s")))
			fprintf(gp, "set object rect from %g, graph 0 to %g, graph 1 behind fc rgb '%s' fs solid 0.6 noborder\n",
				cli_num(ph, "start_s") / 60.0, cli_num(ph, "end_s") / 60.0, fill[sh]);
	}
	json_array_foreach(json_object_get(summary, "marks"), k, m)
	{
		double x = cli_num(m, "t_s") / 60.0;
		if (!isfinite(x))
			continue;
		bool fault = !strcmp(cli_str(m, "kind", ""), "fault");
		fprintf(gp, "set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb '%s' dt 2\n", x, x,
			fault ? "#cc0000" : "#555555");
		fprintf(gp, "set label '%s' at %g, graph 0.97 rotate by 90 right font ',8' tc rgb '%s'\n",
			fault ? cli_str(m, "code", "fault") : cli_str(m, "kind", ""), x, fault ? "#cc0000" : "#555555");
	}
	fprintf(gp,
		"set terminal %s\nset output '%s'\nset title 'thermopad session %s'\n"
		"set xlabel 'minutes'\nset ylabel 'temperature (C)'\nset y2label 'drive (%%)'\n"
		"set y2range [-100:100]\nset y2tics\nset ytics nomirror\nset grid\nset key outside bottom center horizontal\n"
		"set datafile missing 'nan'\n"
		"plot '%s' using 1:2 with lines lw 2 title 'target', '' using 1:3 with lines title 'plate A', "
		"'' using 1:4 with lines title 'plate B', '' using 1:5 with lines title 'heat sink', "
		"'' using 1:6 axes x1y2 with lines lc rgb '#999999' title 'drive'\n",
		term, out, id, data);
	int st = pclose(gp);
	unlink(data);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "thermopad: gnuplot failed%s\n",
			WIFEXITED(st) && WEXITSTATUS(st) == 127 ? " (install the gnuplot-nox package)" : "");
		return EXIT_ERROR;
	}
	return 0;
}

/* -o is checked before anything is drawn: its kind, and a folder that
 * is there and writable (gnuplot would else write the image to stdout) */
static int check_output(struct cli *c, const char *out)
{
	const char *ext = strrchr(out, '.');
	if (!ext || (strcmp(ext, ".png") && strcmp(ext, ".svg")))
		return cli_usage_error("log", "-o takes a .png or .svg file name, not '%s'", out);
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", out);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK) != 0)
		return cli_error(c, EXIT_ERROR, "cannot-write", "Make the folder first, or name another with -o.",
				 "cannot write %s: the folder %s %s", out, dir,
				 errno == ENOENT ? "does not exist" : "is not writable");
	return 0;
}

static int cmd_plot(struct cli *c, const char *id, json_t *summary, const char *out)
{
	json_t *columns, *samples;
	int rc = out ? check_output(c, out) : 0;
	if (rc)
		return rc;
	rc = fetch(c, id, &columns, &samples);
	if (rc)
		return rc;
	if (!c->json)
		terminal_chart(c, columns, samples, summary);
	if (out && (rc = image(id, columns, samples, summary, out)) == 0) {
		if (c->json) {
			json_t *o = json_pack("{s:s, s:s}", "session", id, "image", out);
			cli_print_json(o);
			json_decref(o);
		} else {
			printf("chart written to %s\n", out);
		}
	}
	json_decref(columns);
	json_decref(samples);
	return rc;
}

int cmd_log(struct cli *c, int argc, char **argv)
{
	char id[128];
	const char *pad = NULL, *out = NULL, *what = argc > 1 ? argv[1] : NULL, *session = NULL;
	bool csv = false;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--pad") || !strcmp(argv[i], "-o")) {
			if (i + 1 >= argc)
				return cli_usage_error("log", "%s needs a value (%s)", argv[i],
						       !strcmp(argv[i], "-o") ? "FILE.png or FILE.svg" : "a serial");
			*(!strcmp(argv[i], "--pad") ? &pad : &out) = argv[i + 1];
			i++;
		} else if (!strcmp(argv[i], "--csv"))
			csv = true;
		else if (argv[i][0] != '-' && !session)
			session = argv[i];
		else
			return cli_usage_error("log", "unexpected '%s'", argv[i]);
	}
	int rc = pad ? cli_check_pad(c, pad) : 0;
	if (rc)
		return rc;
	static const char *const subs[] = {"list", "show", "plot"};
	if (what && !strcmp(what, "list") && !session && !out && !csv)
		return cmd_list(c, pad);
	if (what && !strcmp(what, "show") && !out) {
		json_t *meta;
		if ((rc = resolve(c, session ? session : "latest", pad, id, sizeof id, &meta)) != 0)
			return rc;
		rc = cmd_show(c, id, meta, csv);
		json_decref(meta);
		return rc;
	}
	if (what && !strcmp(what, "plot") && !csv) {
		if (out && (rc = check_output(c, out)) != 0)
			return rc;
		json_t *meta;
		if ((rc = resolve(c, session ? session : "latest", pad, id, sizeof id, &meta)) != 0)
			return rc;
		rc = cmd_plot(c, id, json_object_get(meta, "summary"), out);
		json_decref(meta);
		return rc;
	}
	const char *hit = what ? cli_suggest(what, subs, 3) : NULL;
	if (hit && strcmp(hit, what))
		return cli_usage_error("log", "no '%s': did you mean %s?", what, hit);
	return cli_usage_error("log", "list, show [SESSION] [--csv] or plot [SESSION] [-o FILE] (each with [--pad SERIAL])");
}
