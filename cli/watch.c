/* SPDX-License-Identifier: MIT */
/*
 * thermopad watch: on a terminal, a screen that updates in place (a chart
 * of target and plate temperature, the phase timeline with the current
 * position, the numbers) and quits on q or Ctrl-C; otherwise one line a
 * second, or with --json the daemon's stream as it comes.
 */
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "chart.h"
#include "cli.h"

#define HISTORY 7200 /* points: two hours at one a second */

struct screen {
	struct cli *c;
	struct client query; /* a second connection, for status between stream lines */
	double t[HISTORY], target[HISTORY], plate[HISTORY];
	int n;
	json_t *pad; /* the last telemetry's pad object */
	json_t *plan; /* the running session's steps */
	char plan_key[96]; /* profile + session start: when to ask for the steps again */
	char last_event[300];
	int rows, cols;
};

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

static void draw(struct screen *s)
{
	json_t *p = s->pad, *ph = json_object_get(p, "phase"), *tel = json_object_get(p, "telemetry");
	json_t *fault = json_object_get(p, "fault");
	char left[16], total[16], line[1200];
	int w = s->cols > 20 ? s->cols : 20;
	printf("\033[H");
#define ROW(...) (snprintf(line, sizeof line, __VA_ARGS__), printf("%.*s\033[K\r\n", w + 40, line))
	ROW("%sthermopad%s  pad %s  %s  %s%s%s%*s", cli_sgr(s->c, "1"), cli_sgr(s->c, "0"), cli_str(p, "serial", "?"),
	    cli_str(p, "profile", "-"), cli_sgr(s->c, "1"), cli_str(p, "state", "?"), cli_sgr(s->c, "0"), 12, "q quits");
	if (ph) {
		output_clock(cli_num(ph, "phase_left_s"), left, sizeof left);
		output_clock(cli_num(ph, "session_left_s"), total, sizeof total);
		ROW("phase %.0f/%.0f %s (%s), cycle %.0f/%.0f   target %.1f C %s", cli_num(ph, "step"), cli_num(ph, "steps"),
		    cli_str(ph, "name", "?"), cli_str(ph, "kind", "?"), cli_num(ph, "cycle"), cli_num(ph, "cycles"), cli_num(ph, "target_c"),
		    json_is_true(json_object_get(ph, "in_band")) ? "(at target)" : "(approaching)");
		ROW("time left: %s in this phase, %s in the session", left, total);
	} else {
		ROW("no session%s", cli_str(p, "outcome", "")[0] ? "" : "");
		ROW("last: %s", cli_str(p, "outcome", "-"));
	}
	if (tel)
		ROW("plate %.2f / %.2f C   heat sink %.1f C   drive %+.0f %%   %.2f A   dose %.2f CEM43 min",
		    cli_num(tel, "plate_a_c"), cli_num(tel, "plate_b_c"), cli_num(tel, "sink_c"), cli_num(p, "drive") * 100,
		    cli_num(tel, "current_a"), cli_num(p, "dose_cem43_min"));
	else
		ROW("no telemetry");
	if (json_is_object(fault))
		ROW("%sFAULT %s%s  (thermopad clear-faults)", cli_sgr(s->c, "1;31"), cli_str(fault, "message", ""),
		    cli_sgr(s->c, "0"));
	else
		ROW("%s", s->last_event);
	char bar[512], mark[512];
	timeline(s, w - 10, bar, mark, sizeof mark);
	ROW("timeline  %s", bar);
	ROW("          %s", mark);

	/* the chart: what is left of the screen */
	int chart_h = s->rows - 9, chart_w = w - 9;
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
		lo = floor(lo - 1), hi = ceil(hi + 1);
		chart_init(&ch, chart_w, chart_h, s->t[0], s->t[s->n - 1], lo, hi);
		chart_line(&ch, s->t, s->target, s->n, 0);
		chart_line(&ch, s->t, s->plate, s->n, 1);
		char row[4096];
		for (int r = 0; r < ch.h; r++) {
			chart_row(&ch, r, s->c->color ? colors : NULL, row, sizeof row);
			double y = hi - (hi - lo) * r / (ch.h > 1 ? ch.h - 1 : 1);
			printf("%5.1f C  %s\033[K\r\n", y, row);
		}
		printf("%s-- target%s  %s-- plate%s   last %.0f min\033[K", cli_sgr(s->c, "33"), cli_sgr(s->c, "0"),
		       cli_sgr(s->c, "36"), cli_sgr(s->c, "0"), (s->t[s->n - 1] - s->t[0]));
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
		s->n--;
	}
	json_t *ph = json_object_get(pad, "phase");
	s->t[s->n] = t / 60.0;
	s->target[s->n] = ph ? cli_num(ph, "target_c") : NAN;
	s->plate[s->n] = cli_num(json_object_get(pad, "telemetry"), "plate_a_c");
	s->n++;
}

int cmd_watch(struct cli *c, int argc, char **argv)
{
	bool until_idle = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--until-idle"))
			until_idle = true;
		else
			return cli_usage_error("watch", "unexpected '%s'", argv[i]);
	}
	bool screen = !c->json && isatty(1);
	json_t *r;
	int rc = cli_call(c, json_pack("{s:s, s:f}", "cmd", "subscribe", "rate_hz", screen ? 2.0 : 1.0), &r);
	if (rc)
		return rc;
	json_decref(r);
	static struct screen s;
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
	rc = 0;
	while (!interrupted) {
		struct pollfd pf[2] = {{c->client.fd, POLLIN, 0}, {0, POLLIN, 0}};
		int ready = poll(pf, screen ? 2 : 1, 30000);
		if (ready == 0 && !screen) {
			fprintf(stderr, "thermopad: the daemon stopped answering\n");
			rc = EXIT_UNREACHABLE;
			break;
		}
		if (screen && (pf[1].revents & POLLIN)) {
			char key[16];
			ssize_t n = read(0, key, sizeof key);
			if (n > 0 && memchr(key, 'q', (size_t)n))
				break;
		}
		if (resized) {
			resized = 0;
			window_size(&s);
			if (s.pad)
				draw(&s);
		}
		if (!(pf[0].revents & (POLLIN | POLLHUP)))
			continue;
		json_t *m;
		bool redraw = false;
		while ((m = client_next(&c->client, 0))) {
			const char *ev = cli_str(m, "event", "");
			json_t *pad = json_object_get(m, "pad");
			if (c->json)
				cli_print_json(m);
			else if (!strcmp(ev, "telemetry") && screen)
				remember(&s, cli_num(m, "t"), pad), refresh_plan(&s), redraw = true;
			else if (!strcmp(ev, "telemetry"))
				output_watch_line(c, pad);
			else if (!strcmp(ev, "event") && screen)
				snprintf(s.last_event, sizeof s.last_event, "%s: %s", cli_str(m, "severity", ""),
					 cli_str(m, "message", "")),
					redraw = true;
			else if (!strcmp(ev, "event"))
				printf("%s: %s\n", cli_str(m, "severity", ""), cli_str(m, "message", "")), fflush(stdout);
			if (!strcmp(ev, "telemetry")) {
				const char *state = cli_str(pad, "state", "");
				seen_running |= strcmp(state, "idle") != 0;
				if (until_idle && seen_running && !strcmp(state, "idle"))
					interrupted = 1;
			}
			json_decref(m);
		}
		if (redraw)
			draw(&s);
		if (c->client.closed) {
			restore_terminal();
			fprintf(stderr, "thermopad: the daemon closed the connection\n");
			rc = EXIT_UNREACHABLE;
			break;
		}
	}
	restore_terminal();
	json_decref(s.pad);
	json_decref(s.plan);
	client_close(&s.query);
	return rc;
}
