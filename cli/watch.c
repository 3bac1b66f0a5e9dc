/* SPDX-License-Identifier: MIT */
/*
 * thermopad watch: on a terminal, a screen that updates in place (a chart
 * of target and plate temperature, the phase timeline with the current
 * position, the numbers), with keys to pause, skip, extend and stop, a
 * bell at each phase change, the end and a fault; otherwise one line a
 * second of wall time per pad (the stream comes in model time, which runs
 * faster under a time scale), or with --json the daemon's stream as it
 * comes. One pad is followed: --pad's, else the one with a session.
 */
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chart.h"
#include "cli.h"

#define HISTORY 7200 /* points: two hours at one a second */

struct screen {
	struct cli *c;
	struct client query; /* a second connection, for status between stream lines */
	double t[HISTORY], target[HISTORY], plate[HISTORY];
	unsigned char shade[HISTORY]; /* the phase's kind (enum chart_shade) */
	int n;
	json_t *pad; /* the last telemetry's pad object */
	json_t *plan; /* the running session's steps */
	char plan_key[96]; /* profile + session start: when to ask for the steps again */
	char last_event[300];
	int rows, cols;
	const char *want; /* --pad */
	char follow[64]; /* the serial followed */
	double time_scale; /* the daemon's: model seconds per wall second */
	/* what the bell and the summary watch for */
	int last_step;
	bool had_session, had_fault;
	char summary[360];
	bool help, confirm_stop;
	char key_reply[300];
};

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t interrupted, resized;
static struct termios saved_tty;
static bool tty_raw;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		interrupted = 1;
}

static void restore_terminal(void)
{
	if (!tty_raw)
		return;
	tcsetattr(0, TCSANOW, &saved_tty);
	fputs("\033[?25h\033[?1049l", stdout); /* cursor back, main screen back */
	fflush(stdout);
	tty_raw = false;
}

static bool enter_screen(void)
{
	if (!isatty(0) || tcgetattr(0, &saved_tty) != 0)
		return false;
	struct termios raw = saved_tty;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* keys one by one; Ctrl-C still a signal */
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSANOW, &raw) != 0)
		return false;
	tty_raw = true;
	atexit(restore_terminal);
	fputs("\033[?1049h\033[?25l", stdout); /* the alternate screen, no cursor */
	return true;
}

static void window_size(struct screen *s)
{
	struct winsize ws;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
		s->rows = ws.ws_row;
		s->cols = ws.ws_col;
	} else {
		s->rows = 24;
		s->cols = 80;
	}
}

/* The steps of the running session, asked for once per session. */
static void refresh_plan(struct screen *s)
{
	json_t *ph = json_object_get(s->pad, "phase");
	char key[96];
	snprintf(key, sizeof key, "%s/%s/%.0f", cli_str(s->pad, "serial", ""), cli_str(s->pad, "profile", ""),
		 cli_num(ph, "steps"));
	if (!ph || !strcmp(key, s->plan_key))
		return;
	snprintf(s->plan_key, sizeof s->plan_key, "%s", key);
	json_decref(s->plan);
	s->plan = NULL;
	char err[200];
	if (s->query.fd < 0 && client_connect(&s->query, s->c->socket, err, sizeof err) != 0)
		return;
	json_t *r = client_call(&s->query, json_pack("{s:s, s:s}", "cmd", "status", "pad", cli_str(s->pad, "serial", "")));
	json_t *plan = json_object_get(json_array_get(json_object_get(r, "pads"), 0), "plan");
	if (json_is_array(plan))
		s->plan = json_incref(plan);
	json_decref(r);
}

/* One row: each step a run of letters as long as its share of the time,
 * the current position marked below. */
static void timeline(struct screen *s, int width, char *bar, char *mark, size_t len)
{
	json_t *ph = json_object_get(s->pad, "phase");
	memset(bar, 0, len);
	memset(mark, 0, len);
	if (!json_is_array(s->plan) || !ph || width < 10)
		return;
	double total = 0;
	size_t i;
	json_t *step;
	json_array_foreach(s->plan, i, step) total += cli_num(step, "duration_s");
	if (!(total > 0))
		return;
	int current = (int)cli_num(ph, "step") - 1;
	double done = 0;
	int used = 0;
	size_t b = 0, m = 0;
	json_array_foreach(s->plan, i, step)
	{
		double d = cli_num(step, "duration_s");
		int cells = (int)lround((done + d) / total * width) - used;
		const char *kind = cli_str(step, "kind", "off");
		char letter = !strcmp(kind, "heat") ? 'H' : !strcmp(kind, "cold") ? 'C' : !strcmp(kind, "neutral") ? 'N' : '.';
		const char *col = letter == 'H' ? "31" : letter == 'C' ? "36" : "37";
		b += (size_t)snprintf(bar + b, len - b, "%s", cli_sgr(s->c, col));
		for (int k = 0; k < cells && b + 2 < len; k++)
			bar[b++] = k == 0 && cells > 1 ? '|' : letter;
		if ((int)i == current) {
			double into = d - cli_num(ph, "phase_left_s");
			int pos = used + (int)(fmax(0, fmin(d, into)) / total * width);
			for (; (int)m < pos && m + 2 < len; m++)
				mark[m] = ' ';
			if (m + 2 < len)
				mark[m++] = '^';
		}
		used += cells;
		done += d;
	}
	b += (size_t)snprintf(bar + b, len - b, "%s", cli_sgr(s->c, "0"));
}

/* "ends 14:32" in wall-clock time, from model seconds left */
static void finish_time(const struct screen *s, double left_s, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!isfinite(left_s) || !(s->time_scale > 0))
		return;
	time_t at = time(NULL) + (time_t)lround(left_s / s->time_scale);
	struct tm tm;
	if (localtime_r(&at, &tm))
		strftime(buf, len, ", ends at %H:%M:%S", &tm);
}

static void draw(struct screen *s)
{
	json_t *p = s->pad, *ph = json_object_get(p, "phase"), *tel = json_object_get(p, "telemetry");
	json_t *fault = json_object_get(p, "fault");
	const struct cli *c = s->c;
	char left[16], total[16], ends[40], line[1200];
	int w = s->cols > 20 ? s->cols : 20;
	printf("\033[H");
#define ROW(...) (snprintf(line, sizeof line, __VA_ARGS__), printf("%.*s\033[K\r\n", w + 40, line))
	ROW("%sthermopad%s  pad %s  %s  %s%s%s%*s", cli_sgr(c, "1"), cli_sgr(c, "0"), cli_str(p, "serial", "?"),
	    cli_str(p, "profile", "-"), cli_sgr(c, "1"), cli_str(p, "state", "?"), cli_sgr(c, "0"), 12, "? help, q quits");
	if (s->help) {
		ROW("keys: p pause/resume   s skip to the next phase   e extend this phase by 1 min");
		ROW("      x stop the session (asks first)   ? this help   q quit (the session goes on)");
	}
	if (ph) {
		/* with the model's time to reach each target (an older daemon: without) */
		double approach = cli_num(ph, "approach_left_s"), rest = cli_num(ph, "session_total_left_s");
		if (!isfinite(rest))
			rest = cli_num(ph, "session_left_s");
		output_clock(cli_num(ph, "phase_left_s") + (isfinite(approach) ? approach : 0), left, sizeof left);
		output_clock(rest, total, sizeof total);
		finish_time(s, rest, ends, sizeof ends);
		ROW("phase %.0f/%.0f %s (%s), cycle %.0f/%.0f   target %s %s", cli_num(ph, "step"), cli_num(ph, "steps"),
		    cli_str(ph, "name", "?"), cli_str(ph, "kind", "?"), cli_num(ph, "cycle"), cli_num(ph, "cycles"),
		    output_temp(c, cli_num(ph, "target_c"), 1),
		    json_is_true(json_object_get(ph, "in_band")) ? "(at target)" : "(approaching)");
		ROW("time left: %s in this phase, %s in the session%s", left, total, ends);
	} else if (s->summary[0]) {
		ROW("%s", s->summary);
		ROW("q quits");
	} else {
		ROW("no session");
		ROW("last: %s", cli_str(p, "outcome", "-"));
	}
	if (tel)
		ROW("plate %s / %s   heat sink %s   drive %s %%   %s A   dose %s CEM43 min",
		    output_temp(c, cli_num(tel, "plate_a_c"), 2), output_temp(c, cli_num(tel, "plate_b_c"), 2),
		    output_temp(c, cli_num(tel, "sink_c"), 1), output_num(true, 0, cli_num(p, "drive") * 100),
		    output_num(false, 2, cli_num(tel, "current_a")), output_num(false, 2, cli_num(p, "dose_cem43_min")));
	else
		ROW("no telemetry");
	if (s->confirm_stop)
		ROW("%sstop the session? y stops, any other key keeps it%s", cli_sgr(c, "1"), cli_sgr(c, "0"));
	else if (json_is_object(fault)) {
		char text[1024];
		output_fault_text(fault, text, sizeof text);
		ROW("%sFAULT %s%s  (thermopad clear-faults)", cli_sgr(c, "1;31"), text, cli_sgr(c, "0"));
	} else
		ROW("%s", s->key_reply[0] ? s->key_reply : s->last_event);
	char bar[512], mark[512];
	timeline(s, w - 10, bar, mark, sizeof mark);
	ROW("timeline  %s", bar);
	ROW("          %s", mark);

	/* the chart: what is left of the screen, and a time axis below it */
	int chart_h = s->rows - 10 - (s->help ? 2 : 0), chart_w = w - 9;
	if (chart_h >= 3 && s->n >= 2) {
		static struct chart ch;
		static const char *const colors[] = {"33", "36"};
		double lo = 1e9, hi = -1e9;
		for (int i = 0; i < s->n; i++) {
			if (isfinite(s->target[i]))
				lo = fmin(lo, s->target[i]), hi = fmax(hi, s->target[i]);
			if (isfinite(s->plate[i]))
				lo = fmin(lo, s->plate[i]), hi = fmax(hi, s->plate[i]);
		}
		if (!(hi >= lo))
			lo = 20, hi = 40;
		lo = floor(lo - 1), hi = ceil(hi + 1);
		chart_init(&ch, chart_w, chart_h, s->t[0], s->t[s->n - 1], lo, hi);
		chart_line(&ch, s->t, s->target, s->n, 0);
		chart_line(&ch, s->t, s->plate, s->n, 1);
		for (int i = 0, from = 0; i < s->n; i++) /* the phases, a run of samples at a time */
			if (i == s->n - 1 || s->shade[i + 1] != s->shade[from]) {
				chart_shade(&ch, s->t[from], s->t[i], (enum chart_shade)s->shade[from]);
				from = i + 1;
			}
		char row[4096];
		for (int r = 0; r < ch.h; r++) {
			chart_row(&ch, r, c->color ? colors : NULL, row, sizeof row);
			double y = hi - (hi - lo) * r / (ch.h > 1 ? ch.h - 1 : 1);
			printf("%7s  %s\033[K\r\n", output_temp(c, y, 0), row);
		}
		/* the axis: minutes of model time, a label about every 12 columns */
		char axis[1024];
		memset(axis, ' ', sizeof axis);
		int cells = ch.w > 0 ? ch.w : chart_w, used = 0;
		for (int col = 0; col < cells && col + 8 < (int)sizeof axis - 1; col += 12) {
			double t = s->t[0] + (s->t[s->n - 1] - s->t[0]) * col / (cells > 1 ? cells - 1 : 1);
			int k = snprintf(axis + 9 + col, sizeof axis - 9 - (size_t)col, "|%.1f", t);
			axis[9 + col + k] = ' ';
			used = 9 + col + k;
		}
		axis[used] = '\0';
		printf("%s min\033[K\r\n", axis);
		printf("%s-- target%s  %s-- plate%s\033[K", cli_sgr(c, "33"), cli_sgr(c, "0"), cli_sgr(c, "36"), cli_sgr(c, "0"));
	}
	printf("\033[J");
	fflush(stdout);
#undef ROW
}

static void remember(struct screen *s, double t, json_t *pad)
{
	json_decref(s->pad);
	s->pad = json_incref(pad);
	if (s->n == HISTORY) {
		memmove(s->t, s->t + 1, (HISTORY - 1) * sizeof s->t[0]);
		memmove(s->target, s->target + 1, (HISTORY - 1) * sizeof s->t[0]);
		memmove(s->plate, s->plate + 1, (HISTORY - 1) * sizeof s->t[0]);
		memmove(s->shade, s->shade + 1, (HISTORY - 1) * sizeof s->shade[0]);
		s->n--;
	}
	json_t *ph = json_object_get(pad, "phase");
	s->t[s->n] = t / 60.0;
	s->target[s->n] = ph ? cli_num(ph, "target_c") : NAN;
	s->plate[s->n] = cli_num(json_object_get(pad, "telemetry"), "plate_a_c");
	s->shade[s->n] = (unsigned char)chart_shade_for(ph ? cli_str(ph, "kind", NULL) : NULL);
	s->n++;
}

/* Is this the pad to follow? --pad's; else the one with a session, kept
 * while its session runs; else the first seen. */
static bool follows(struct screen *s, json_t *pad)
{
	const char *serial = cli_str(pad, "serial", "");
	if (s->want)
		return !strcmp(serial, s->want);
	bool busy = strcmp(cli_str(pad, "state", "idle"), "idle") != 0;
	if (!s->follow[0] || (busy && !s->had_session && strcmp(serial, s->follow))) {
		if (strcmp(serial, s->follow)) {
			snprintf(s->follow, sizeof s->follow, "%s", serial);
			s->n = 0;
			s->plan_key[0] = '\0';
			s->last_step = 0;
		}
	}
	return !strcmp(serial, s->follow);
}

/* A person's ear and the desktop: the bell (on screen) and a notification
 * at a phase change, the session's end and a fault. Returns what happened,
 * or NULL. Fills the summary when the session ends. */
static const char *notice(struct screen *s, json_t *pad, char *what, size_t len)
{
	json_t *ph = json_object_get(pad, "phase");
	bool busy = strcmp(cli_str(pad, "state", "idle"), "idle") != 0;
	bool fault = json_is_object(json_object_get(pad, "fault"));
	const char *said = NULL;
	if (fault && !s->had_fault) {
		char text[300];
		output_fault_text(json_object_get(pad, "fault"), text, sizeof text);
		snprintf(what, len, "pad %s: FAULT %s", cli_str(pad, "serial", "?"), text);
		said = what;
	} else if (ph && busy && s->had_session && (int)cli_num(ph, "step") != s->last_step) {
		snprintf(what, len, "pad %s: phase %.0f/%.0f, %s at %s", cli_str(pad, "serial", "?"), cli_num(ph, "step"),
			 cli_num(ph, "steps"), cli_str(ph, "kind", "?"), output_temp(s->c, cli_num(ph, "target_c"), 1));
		said = what;
	} else if (!busy && s->had_session) {
		snprintf(s->summary, sizeof s->summary, "session ended: %s; heat dose %s CEM43 min",
			 cli_str(pad, "outcome", "?")[0] ? cli_str(pad, "outcome", "?") : "done",
			 output_num(false, 2, cli_num(pad, "dose_cem43_min")));
		snprintf(what, len, "pad %s: %s", cli_str(pad, "serial", "?"), s->summary);
		said = what;
	}
	s->had_fault = fault;
	if (busy && !s->had_session)
		s->summary[0] = '\0';
	s->had_session = busy;
	s->last_step = ph ? (int)cli_num(ph, "step") : 0;
	return said;
}

/* One request for a key, on the second connection; its answer on screen.
 * True when the daemon accepted it. */
static bool key_request(struct screen *s, const char *cmd, double minutes)
{
	char err[200];
	if (s->query.fd < 0 && client_connect(&s->query, s->c->socket, err, sizeof err) != 0) {
		snprintf(s->key_reply, sizeof s->key_reply, "%s: %s", cmd, err);
		return false;
	}
	json_t *req = json_pack("{s:s, s:s}", "cmd", cmd, "pad", s->follow);
	if (minutes > 0)
		json_object_set_new(req, "minutes", json_real(minutes));
	json_t *r = client_call(&s->query, req);
	bool ok = json_is_true(json_object_get(r, "ok"));
	if (ok)
		snprintf(s->key_reply, sizeof s->key_reply, "%s: done", cmd);
	else
		snprintf(s->key_reply, sizeof s->key_reply, "%s: %s", cmd,
			 cli_str(json_object_get(r, "error"), "message", "no answer from the daemon"));
	json_decref(r);
	return ok;
}

/* p toggles from what the daemon last accepted, not only from the stream:
 * a second p pressed before the next stream line must resume, not pause
 * again. */
static void key_pause(struct screen *s)
{
	bool paused = !strcmp(cli_str(s->pad, "state", ""), "paused");
	const char *cmd = paused ? "resume" : "pause";
	if (key_request(s, cmd, 0) && json_is_object(s->pad))
		json_object_set_new(s->pad, "state", json_string(paused ? "running" : "paused"));
}

/* Keys on the screen; true to quit. */
static bool on_keys(struct screen *s, const char *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char k = keys[i];
		if (s->confirm_stop) {
			s->confirm_stop = false;
			if (k == 'y' || k == 'Y')
				key_request(s, "stop", 0);
			else
				snprintf(s->key_reply, sizeof s->key_reply, "stop: not stopped");
			continue;
		}
		s->key_reply[0] = '\0';
		switch (k) {
		case 'q': return true;
		case '?':
		case 'h': s->help = !s->help; break;
		case 'p': key_pause(s); break;
		case 's': key_request(s, "skip", 0); break;
		case 'e': key_request(s, "extend", 1.0); break;
		case 'x': s->confirm_stop = true; break;
		case '\033': break; /* arrows and the like: nothing */
		default: snprintf(s->key_reply, sizeof s->key_reply, "key '%c' does nothing (? lists the keys)", k >= 32 ? k : '?');
		}
	}
	return false;
}

int cmd_watch(struct cli *c, int argc, char **argv)
{
	bool until_idle = false;
	static struct screen s;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--until-idle"))
			until_idle = true;
		else if (!strcmp(argv[i], "--pad") && i + 1 < argc)
			s.want = argv[++i];
		else if (!strcmp(argv[i], "--pad"))
			return cli_usage_error("watch", "--pad needs a value (a serial: thermopad devices lists them)");
		else
			return cli_usage_error("watch", "unexpected '%s' (--until-idle, --pad SERIAL)", argv[i]);
	}
	int rc = s.want ? cli_check_pad(c, s.want) : 0;
	if (rc)
		return rc;
	bool screen = !c->json && isatty(1);
	json_t *r;
	s.time_scale = 1.0;
	if (cli_call(c, json_pack("{s:s}", "cmd", "version"), &r) == 0) {
		double scale = cli_num(json_object_get(r, "daemon"), "time_scale");
		s.time_scale = scale > 0 ? scale : 1.0;
		json_decref(r);
	}
	rc = cli_call(c, json_pack("{s:s, s:f}", "cmd", "subscribe", "rate_hz", screen ? 2.0 : 1.0), &r);
	if (rc)
		return rc;
	json_decref(r);
	s.c = c;
	s.query.fd = -1;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	if (screen)
		screen = enter_screen();
	window_size(&s);
	bool seen_running = false;
	/* the plain output: one line per pad per wall second, the latest */
	struct {
		char serial[64];
		double printed;
		json_t *pending;
	} lines[8] = {{{0}, 0, NULL}};
	rc = 0;
	while (!interrupted) {
		struct pollfd pf[2] = {{c->client.fd, POLLIN, 0}, {0, POLLIN, 0}};
		int ready = poll(pf, screen ? 2 : 1, screen ? 30000 : 250);
		double now = mono_s();
		if (!screen) {
			for (int k = 0; k < 8; k++)
				if (lines[k].pending && now - lines[k].printed >= 1.0) {
					output_watch_line(c, lines[k].pending);
					json_decref(lines[k].pending);
					lines[k].pending = NULL;
					lines[k].printed = now;
				}
		}
		(void)ready;
		bool redraw = false;
		if (screen && (pf[1].revents & POLLIN)) {
			char key[16];
			ssize_t n = read(0, key, sizeof key);
			if (n > 0 && on_keys(&s, key, (size_t)n))
				break;
			redraw = n > 0;
		}
		if (resized) {
			resized = 0;
			window_size(&s);
			redraw = true;
		}
		if (pf[0].revents & (POLLIN | POLLHUP)) {
			json_t *m;
			while ((m = client_next(&c->client, 0))) {
				const char *ev = cli_str(m, "event", "");
				json_t *pad = json_object_get(m, "pad");
				bool mine = !strcmp(ev, "telemetry") ? follows(&s, pad)
					    : !s.follow[0] || !json_is_string(json_object_get(m, "serial")) ||
						      !strcmp(cli_str(m, "serial", ""), s.follow);
				if (c->json) {
					if (mine || !s.want)
						cli_print_json(m);
				} else if (!strcmp(ev, "telemetry") && screen) {
					if (mine) {
						char what[400];
						remember(&s, cli_num(m, "t"), pad), refresh_plan(&s), redraw = true;
						if (notice(&s, pad, what, sizeof what)) {
							fputs("\a", stdout);
							cli_notify(c, what);
						}
					}
				} else if (!strcmp(ev, "telemetry")) {
					if (s.want && !mine)
						;
					else {
						int k = 0;
						const char *serial = cli_str(pad, "serial", "");
						while (k < 7 && lines[k].serial[0] && strcmp(lines[k].serial, serial))
							k++;
						snprintf(lines[k].serial, sizeof lines[k].serial, "%s", serial);
						json_decref(lines[k].pending);
						lines[k].pending = json_incref(pad);
						if (now - lines[k].printed >= 1.0) {
							output_watch_line(c, pad);
							json_decref(lines[k].pending);
							lines[k].pending = NULL;
							lines[k].printed = now;
						}
					}
				} else if (!strcmp(ev, "event") && screen) {
					if (mine)
						snprintf(s.last_event, sizeof s.last_event, "%s: %s", cli_str(m, "severity", ""),
							 cli_str(m, "message", "")),
							redraw = true;
				} else if (!strcmp(ev, "event") && mine) {
					printf("%s: %s\n", cli_str(m, "severity", ""), cli_str(m, "message", ""));
					fflush(stdout);
				}
				if (!strcmp(ev, "telemetry") && mine) {
					if (!screen && !c->json) {
						char what[400];
						if (notice(&s, pad, what, sizeof what))
							cli_notify(c, what);
					}
					const char *state = cli_str(pad, "state", "");
					seen_running |= strcmp(state, "idle") != 0;
					if (until_idle && seen_running && !strcmp(state, "idle")) {
						interrupted = 1;
						json_t *f = json_object_get(pad, "fault");
						if (json_is_object(f)) {
							char text[1024];
							output_fault_text(f, text, sizeof text);
							restore_terminal();
							fprintf(stderr, "thermopad: the session on %s ended with a fault: %s\n",
								cli_str(pad, "serial", "?"), text);
							rc = EXIT_FAULT;
						}
					}
				}
				json_decref(m);
			}
		}
		if (redraw && s.pad)
			draw(&s);
		if (c->client.closed) {
			restore_terminal();
			fprintf(stderr, "thermopad: the daemon closed the connection\n");
			rc = EXIT_UNREACHABLE;
			break;
		}
		if (!screen && now - lines[0].printed > 30 && lines[0].printed > 0 && !lines[0].pending) {
			fprintf(stderr, "thermopad: the daemon stopped answering (nothing for 30 s)\n");
			rc = EXIT_UNREACHABLE;
			break;
		}
	}
	restore_terminal();
	for (int k = 0; k < 8; k++) {
		if (lines[k].pending)
			output_watch_line(c, lines[k].pending);
		json_decref(lines[k].pending);
	}
	json_decref(s.pad);
	json_decref(s.plan);
	client_close(&s.query);
	return rc;
}
