/* SPDX-License-Identifier: MIT */
/*
 * The socket's own logic, without a socket: a client whose replies are
 * read from its output queue. Cost: a few milliseconds.
 *   1 the dispatch table has a handler for every request kind
 *   2 a kind without a handler is refused in words, and no other handler
 *     runs (it used to fall through into clear-faults)
 *   3 a read-only client is refused a control request before any handler
 *   4 the subscription schedule keeps its rate under arrival jitter, at
 *     10 Hz and at 2 Hz, and never sends more lines than slots
 *   5 every request the parser knows reaches its own handler: status gets
 *     a status, and nothing a read-only client sends changes a pad
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "io/clock.h"
#include "socket/dispatch.h"
#include "socket/server.h"
#include "socket/subscribers.h"
#include "store/profiles.h"
#include "store/sessions.h"

static struct config cfg;
static struct server srv;
static struct pad_table pads;
static struct profiles profiles;
static struct sessions_store sessions = {.state_dir = "/nonexistent"};
static struct clock_model clk = {.scale = 1.0};
static struct clock_lateness ticks;

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	struct core_config cc;
	core_config_default(&cc);
	pad_table_init(&pads, &(struct pad_table_config){.limits = cc.limits, .time_scale = 1}, &(struct pad_link_ops){0});
	profiles_init(&profiles, "/nonexistent");
	memset(&srv, 0, sizeof srv);
	srv.env = (struct server_env){.cfg = &cfg, .pads = &pads, .profiles = &profiles, .sessions = &sessions,
				      .clock = &clk, .ticks = &ticks, .request = dispatch_request};
	srv.listen_fd = -1;
	return 0;
}

static struct api_client *client(bool control)
{
	struct api_client *c = calloc(1, sizeof *c);
	c->srv = &srv;
	c->fd = -1;
	c->control = control;
	return c;
}

static void client_free(struct api_client *c)
{
	free(c->out.data);
	free(c->held.data);
	free(c);
}

/* The replies queued so far, as text. */
static const char *replies(struct api_client *c)
{
	static char text[65536];
	snprintf(text, sizeof text, "%.*s", (int)c->out.len, c->out.data ? c->out.data : "");
	return text;
}

static void send_line(struct api_client *c, const char *line)
{
	struct request r;
	struct request_error err;
	json_t *id;
	if (request_parse(line, strlen(line), &r, &id, &err) != 0)
		fail_msg("%s: %s", line, err.message);
	dispatch_request(c, &r);
	request_free(&r);
}

/* ---- 1 ------------------------------------------------------------------ */

static void the_table_is_complete(void **state)
{
	(void)state;
	enum request_cmd missing = dispatch_missing(dispatch_table, REQ_COUNT);
	if (missing != REQ_COUNT)
		fail_msg("request kind %d has no handler in dispatch_table", (int)missing);
}

/* ---- 2 ------------------------------------------------------------------ */

static int handled[REQ_COUNT];

static void counting_handler(struct api_client *c, const struct request *r)
{
	(void)c;
	handled[r->cmd]++;
}

static void a_kind_without_handler_is_refused(void **state)
{
	(void)state;
	struct dispatch_entry table[REQ_COUNT];
	for (int i = 0; i < REQ_COUNT; i++)
		table[i].handle = counting_handler;
	table[REQ_SKIP].handle = NULL; /* as if skip were added to the parser only */
	assert_int_equal(dispatch_missing(table, REQ_COUNT), REQ_SKIP);
	memset(handled, 0, sizeof handled);
	struct api_client *c = client(true);
	struct request r = {.cmd = REQ_SKIP, .name = "skip", .control = true};
	dispatch_with(table, REQ_COUNT, c, &r);
	for (int i = 0; i < REQ_COUNT; i++)
		assert_int_equal(handled[i], 0); /* clear-faults least of all */
	assert_non_null(strstr(replies(c), "\"code\":\"unknown-command\""));
	assert_non_null(strstr(replies(c), "'skip'"));
	/* a kind past the table too */
	r.cmd = REQ_COUNT;
	r.name = "future";
	dispatch_with(table, REQ_COUNT, c, &r);
	assert_non_null(strstr(replies(c), "'future'"));
	client_free(c);
}

/* ---- 3 ------------------------------------------------------------------ */

static void read_only_is_refused_control(void **state)
{
	(void)state;
	struct dispatch_entry table[REQ_COUNT];
	for (int i = 0; i < REQ_COUNT; i++)
		table[i].handle = counting_handler;
	memset(handled, 0, sizeof handled);
	struct api_client *c = client(false);
	struct request r = {.cmd = REQ_CLEAR_FAULTS, .name = "clear-faults", .control = true};
	dispatch_with(table, REQ_COUNT, c, &r);
	assert_int_equal(handled[REQ_CLEAR_FAULTS], 0);
	assert_non_null(strstr(replies(c), "\"code\":\"not-permitted\""));
	r = (struct request){.cmd = REQ_STATUS, .name = "status"};
	dispatch_with(table, REQ_COUNT, c, &r);
	assert_int_equal(handled[REQ_STATUS], 1);
	client_free(c);
}

/* ---- 4 ------------------------------------------------------------------ */

/* Reports every 100 ms with up to +-jitter of arrival noise (a fixed
 * pseudo-random sequence); returns the lines sent in seconds. */
static int lines_in(double rate_hz, double jitter_s, double seconds)
{
	double due = 0;
	int n = 0;
	uint32_t x = 12345;
	for (int i = 0; i * 0.1 < seconds; i++) {
		x = x * 1103515245u + 12345u;
		double noise = ((x >> 8) / 16777216.0 * 2 - 1) * jitter_s;
		double now = i * 0.1 + noise;
		if (subscribers_due(&due, 1.0 / rate_hz, now))
			n++;
		assert_true(n <= now * rate_hz + 1.5); /* never more lines than slots */
	}
	return n;
}

static void the_schedule_keeps_its_rate(void **state)
{
	(void)state;
	/* 10 Hz from 10 Hz reports: every report makes a line */
	assert_int_equal(lines_in(10, 0.0, 10), 100);
	assert_true(lines_in(10, 0.03, 10) >= 98);
	/* 2 Hz: one line in five reports */
	int n = lines_in(2, 0.03, 10);
	assert_true(n >= 19 && n <= 21);
	/* a pause in the reports does not make a burst afterwards */
	double due = 0;
	assert_true(subscribers_due(&due, 0.1, 0.0));
	assert_true(subscribers_due(&due, 0.1, 5.0));
	assert_false(subscribers_due(&due, 0.1, 5.01));
	assert_true(subscribers_due(&due, 0.1, 5.1));
}

/* ---- 5 ------------------------------------------------------------------ */

static void every_request_reaches_its_own_handler(void **state)
{
	(void)state;
	struct api_client *c = client(false);
	send_line(c, "{\"v\":1,\"id\":1,\"cmd\":\"status\"}");
	assert_non_null(strstr(replies(c), "\"pads\":[]"));
	c->out.len = 0;
	send_line(c, "{\"v\":1,\"id\":2,\"cmd\":\"version\"}");
	assert_non_null(strstr(replies(c), "\"daemon\":{"));
	c->out.len = 0;
	send_line(c, "{\"v\":1,\"id\":3,\"cmd\":\"subscribe\",\"rate_hz\":2}");
	assert_true(c->subscribed);
	assert_true(fabs(c->sub_period - 0.5) < 1e-9);
	c->out.len = 0;
	send_line(c, "{\"v\":1,\"id\":4,\"cmd\":\"profiles-list\"}");
	assert_non_null(strstr(replies(c), "\"profiles\":[]"));
	c->out.len = 0;
	send_line(c, "{\"v\":1,\"id\":5,\"cmd\":\"stop\"}");
	assert_non_null(strstr(replies(c), "not-permitted"));
	client_free(c);
	c = client(true);
	send_line(c, "{\"v\":1,\"id\":6,\"cmd\":\"clear-faults\"}");
	assert_non_null(strstr(replies(c), "\"code\":\"no-pad\""));
	client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(the_table_is_complete, setup),
		cmocka_unit_test_setup(a_kind_without_handler_is_refused, setup),
		cmocka_unit_test_setup(read_only_is_refused_control, setup),
		cmocka_unit_test_setup(the_schedule_keeps_its_rate, setup),
		cmocka_unit_test_setup(every_request_reaches_its_own_handler, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
