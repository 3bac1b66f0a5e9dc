/* SPDX-License-Identifier: MIT */
/*
 * The state directory's rooms, in a temporary directory of their own.
 * Cost: a few milliseconds.
 *   1 a profile that breaks on reload keeps its last good version, and says so
 *   2 a CSV row: an invalid sensor and no target are empty fields, every
 *     column is there (never -327.68, never nan)
 *   3 the reader gives every column back, null where nothing was read,
 *     also for a file an older daemon wrote with "nan"
 *   4 the session log through its sink: header, rows, outcome, metadata
 *   5 the dose ledger: a first start (no file) and a healthy file are
 *     quiet, a file written by the older unchecked format is read once
 *   6 the dose ledger refused, in words: corrupt, cut short, unreadable (a
 *     directory), gone, an older copy, changed outside the daemon; kept
 *     aside for a look; a checkpoint writes only what changed
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/pid.h"
#include "store/dose_store.h"
#include "store/profiles.h"
#include "store/session_log.h"
#include "store/sessions.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/tp-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct safety_limits limits(void)
{
	struct core_config cc;
	core_config_default(&cc);
	return cc.limits;
}

/* ---- 1 ------------------------------------------------------------------ */

static void reload_keeps_the_last_good_profile(void **state)
{
	(void)state;
	struct profiles ps;
	struct safety_limits lim = limits();
	char report[1024];
	profiles_init(&ps, dir);
	write_file("warm.ini", "[profile]\ndescription = warm\n[phase.a]\nkind = heat\ntarget_c = 39\nduration_min = 5\n");
	assert_int_equal(profiles_reload(&ps, &lim, report, sizeof report), 0);
	assert_int_equal(profiles_count(&ps), 1);
	struct profile prof;
	char err[300];
	assert_int_equal(profiles_load(&ps, "warm", &prof, err, sizeof err), 0);
	assert_true(fabs(prof.plan.phases[0].target_c - 39.0) < 1e-9);

	write_file("warm.ini", "[profile]\ndescription = warm\n[phase.a]\nkind = heat\ntarget_c = 90\nduration_min = 5\n");
	assert_int_equal(profiles_reload(&ps, &lim, report, sizeof report), 1);
	assert_non_null(strstr(report, "the previous version stays in use"));
	memset(&prof, 0, sizeof prof);
	assert_int_equal(profiles_load(&ps, "warm", &prof, err, sizeof err), 0);
	assert_true(fabs(prof.plan.phases[0].target_c - 39.0) < 1e-9); /* the old one */
	const char *name, *path, *text, *error;
	const struct profile *p;
	profiles_get(&ps, profiles_find(&ps, "warm"), &name, &path, &text, &p, &error);
	assert_non_null(p);
	assert_true(error[0]); /* and what is wrong with the file now */

	/* a profile that was never good is not usable, and says why */
	write_file("cold.ini", "[profile]\n[phase.a]\nkind = sideways\n");
	assert_int_equal(profiles_reload(&ps, &lim, report, sizeof report), 2);
	assert_int_not_equal(profiles_load(&ps, "cold", &prof, err, sizeof err), 0);
	assert_non_null(strstr(err, "sideways"));
	profiles_free(&ps);
}

/* ---- 2 ------------------------------------------------------------------ */

static int fields(const char *row)
{
	int n = 1;
	for (; *row; row++)
		n += *row == ',';
	return n;
}

static void a_row_has_every_column(void **state)
{
	(void)state;
	struct core_status st = {.state_name = "idle", .target_c = NAN, .drive = 0.0, .skin_c = 33.456, .skin_lo_c = NAN,
				 .skin_hi_c = NAN};
	struct pad_reading r = {.plate_c = {31.5, NAN}, .plate_ok = {true, false}, .sink_c = NAN, .current_a = 0.25,
				.fw_faults = 0x10, .device_time_ms = 61234};
	char row[300];
	assert_int_equal(session_log_format_row(row, sizeof row, 12.34, &st, &r), 0);
	assert_string_equal(row, "12.340,idle,,31.50,,,0.0000,0.250,33.46,,,0x10,61.234");
	assert_int_equal(fields(row), 13); /* as many as the header names */
	assert_null(strstr(row, "nan"));
	assert_null(strstr(row, "-327"));
}

/* ---- 3 ------------------------------------------------------------------ */

static void the_reader_keeps_every_column(void **state)
{
	(void)state;
	char sessions[128];
	snprintf(sessions, sizeof sessions, "%s/sessions", dir);
	assert_int_equal(mkdir(sessions, 0700), 0);
	write_file("sessions/s1.csv", "# thermopad session s1\n"
				      "time_s,phase,target_c,plate_a_c,plate_b_c,sink_c,drive,current_a,faults\n"
				      "0.1,heat,40.00,31.50,31.40,25.00,0.5000,1.000,0x0\n"
				      "0.2,idle,,31.50,,,0.0000,0.000,0x0\n"
				      "0.3,idle,nan,31.50,31.40,25.00,0.0000,0.000,0x0\n");
	struct sessions_store store = {.state_dir = dir};
	char err[200];
	struct sessions_reader *rd = sessions_read_open(&store, "s1", err, sizeof err);
	if (!rd)
		fail_msg("%s", err);
	json_t *rows = json_array(), *row;
	while (sessions_read_row(rd, &row) == 1)
		json_array_append_new(rows, row);
	assert_int_equal(json_array_size(sessions_read_columns(rd)), 9);
	assert_int_equal(json_array_size(rows), 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(json_array_size(json_array_get(rows, i)), 9);
	json_t *second = json_array_get(rows, 1), *third = json_array_get(rows, 2);
	assert_true(json_is_null(json_array_get(second, 2))); /* no target */
	assert_true(json_is_null(json_array_get(second, 5))); /* the sink not read: not 0 */
	assert_true(json_is_number(json_array_get(second, 3)));
	assert_string_equal(json_string_value(json_array_get(second, 1)), "idle");
	assert_true(json_is_null(json_array_get(third, 2))); /* an older file's nan */
	assert_true(json_is_number(json_array_get(third, 5)));
	json_decref(rows);
	sessions_read_close(rd);
}

/* ---- 4 ------------------------------------------------------------------ */

static void the_log_follows_the_session(void **state)
{
	(void)state;
	struct sessions_store store = {.state_dir = dir};
	struct session_log log;
	session_log_init(&log, &store, NULL);
	store.in_use = session_log_in_use;
	store.in_use_ctx = &log;
	static struct pad_table t;
	memset(&t, 0, sizeof t); /* eight pads with their cores: too large for a stack frame under valgrind */
	struct pad_slot *p = &t.slots[0];
	p->table = &t;
	p->used = true;
	snprintf(p->serial, sizeof p->serial, "S-1");
	snprintf(p->session_name, sizeof p->session_name, "20260101-000000-S-1");
	snprintf(p->profile, sizeof p->profile, "heat");
	struct core_config cc;
	core_config_default(&cc);
	core_init(&p->core, &cc);
	struct pad_sink sink = session_log_sink(&log);
	struct pad_reading r = {.plate_c = {30, 30}, .plate_ok = {true, true}, .sink_c = NAN};
	sink.on_event(sink.ctx, p, &(struct pad_event){.kind = PAD_SESSION_STARTED, .t = 0});
	assert_true(session_log_in_use(&log, "20260101-000000-S-1"));
	for (int i = 1; i <= 3; i++)
		sink.on_event(sink.ctx, p, &(struct pad_event){.kind = PAD_SAMPLE, .t = i * 0.1, .reading = &r});
	sink.on_event(sink.ctx, p, &(struct pad_event){.kind = PAD_SESSION_ENDED, .t = 0.4, .text = "completed"});
	assert_false(session_log_in_use(&log, "20260101-000000-S-1"));
	const char *path = session_log_path(&log, p);
	assert_non_null(path);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[300];
	int rows = 0;
	bool outcome = false;
	while (fgets(line, sizeof line, f)) {
		if (line[0] >= '0' && line[0] <= '9') {
			rows++;
			line[strcspn(line, "\n")] = '\0';
			assert_int_equal(fields(line), 13); /* the header's columns */
		}
		outcome |= !strcmp(line, "# outcome: completed\n");
	}
	fclose(f);
	assert_int_equal(rows, 3);
	assert_true(outcome);
	struct sessions_lister *lister = sessions_list_open(&store);
	json_t *meta = sessions_list_next(lister);
	assert_non_null(meta);
	assert_string_equal(json_string_value(json_object_get(meta, "outcome")), "completed");
	assert_int_equal(json_integer_value(json_object_get(meta, "samples")), 3);
	json_decref(meta);
	assert_null(sessions_list_next(lister)); /* the only one */
	sessions_list_close(lister);
}

/* ---- 5 ------------------------------------------------------------------ */

static struct dose_ledger some_doses(void)
{
	struct dose_ledger l;
	dose_ledger_init(&l);
	dose_ledger_add(&l, 1000.0, 0.75, 120.0);
	dose_ledger_add(&l, 5000.0, 0.5, 0.0);
	return l;
}

static char ledger_path[300];

static struct dose_store store_in_dir(void)
{
	struct dose_store s = {.state_dir = dir};
	dose_store_path(&s, "TP-1", ledger_path, sizeof ledger_path);
	return s;
}

static void a_healthy_ledger_is_quiet(void **state)
{
	(void)state;
	struct dose_store s = store_in_dir();
	struct dose_ledger l, back;
	char path[600], err[300];
	/* a first start: nothing there, nothing known, nothing wrong */
	assert_int_equal(dose_store_load(&s, "TP-1", &l, path, sizeof path, err, sizeof err), 0);
	assert_int_equal(dose_store_verify(&s, "TP-1", err, sizeof err), 0);
	l = some_doses();
	assert_int_equal(dose_store_save(&s, "TP-1", &l, err, sizeof err), 0);
	assert_int_equal(dose_store_verify(&s, "TP-1", err, sizeof err), 0);
	assert_int_equal(dose_store_save(&s, "TP-1", &l, err, sizeof err), 0);
	assert_int_equal(dose_store_verify(&s, "TP-1", err, sizeof err), 0);
	/* a new daemon reads it back whole */
	struct dose_store fresh = store_in_dir();
	assert_int_equal(dose_store_load(&fresh, "TP-1", &back, path, sizeof path, err, sizeof err), 1);
	assert_int_equal(back.n, 2);
	assert_float_equal(back.heat_cem43_min, l.heat_cem43_min, 1e-6);
	assert_float_equal(back.day[0].cold_s, 120.0, 1e-3);
	assert_int_equal(dose_store_verify(&fresh, "TP-1", err, sizeof err), 0);
	/* and writes on from its number */
	assert_int_equal(dose_store_save(&fresh, "TP-1", &back, err, sizeof err), 0);
	assert_int_equal(fresh.files[0].seq, 3);
	/* written before the files were checked: read once, checked from the next write */
	char text[4096];
	assert_int_equal(dose_ledger_format(&l, "TP-1", text, sizeof text), 0);
	write_file("dose/TP-1.ini", text);
	struct dose_store old = store_in_dir();
	assert_int_equal(dose_store_load(&old, "TP-1", &back, path, sizeof path, err, sizeof err), 1);
	assert_int_equal(back.n, 2);
}

/* ---- 6 ------------------------------------------------------------------ */

/* A store that wrote the ledger twice; then the file is damaged by cmd
 * and both a running store (verify) and a new one (load) judge it. */
static void refused(const char *cmd, const char *running, const char *fresh_says)
{
	struct dose_store s = store_in_dir();
	struct dose_ledger l = some_doses(), back;
	char err[300], path[600], shell[900];
	snprintf(shell, sizeof shell, "rm -rf %s/dose", dir); /* the case before's */
	assert_int_equal(system(shell), 0);
	if (dose_store_save(&s, "TP-1", &l, err, sizeof err) != 0)
		fail_msg("%s: %s", cmd, err);
	snprintf(shell, sizeof shell, "cp %s %s.older", ledger_path, ledger_path);
	assert_int_equal(system(shell), 0);
	l.heat_cem43_min += 0.25;
	assert_int_equal(dose_store_save(&s, "TP-1", &l, err, sizeof err), 0);
	snprintf(shell, sizeof shell, "f=%s; %s", ledger_path, cmd);
	assert_int_equal(system(shell), 0);
	err[0] = '\0';
	assert_int_equal(dose_store_verify(&s, "TP-1", err, sizeof err), -1);
	if (!strstr(err, running))
		fail_msg("running: '%s' lacks '%s'", err, running);
	struct dose_store fresh = store_in_dir();
	int rc = dose_store_load(&fresh, "TP-1", &back, path, sizeof path, err, sizeof err);
	if (fresh_says) {
		assert_int_equal(rc, -1);
		if (!strstr(err, fresh_says))
			fail_msg("fresh: '%s' lacks '%s'", err, fresh_says);
	} else {
		assert_int_not_equal(rc, -1); /* what only the running daemon can know */
	}
	/* the running store's load of a file it knows judges as verify does */
	assert_int_equal(dose_store_load(&s, "TP-1", &back, path, sizeof path, err, sizeof err), -1);
}

static void an_untrusted_ledger_is_refused(void **state)
{
	(void)state;
	refused("printf '#~!~' | dd of=$f bs=1 seek=150 conv=notrunc 2>/dev/null", "does not match its check",
		"does not match its check");
	refused("truncate -s 200 $f", "cut short", "cut short");
	refused(": >$f", "is empty", "is empty");
	refused("rm $f && mkdir $f", "not a regular file (a directory)", "not a regular file");
	refused("ln -sf $f.older $f.link && mv $f.link $f", "symbolic link", "symbolic link");
	refused("mv $f.older $f", "an older copy (rolled back): number 1, where this daemon last wrote number 2", NULL);
	refused("rm $f", "is gone: this daemon wrote it as number 2", NULL);
	refused("sed -i 's/^seq = 2/seq = 7/' $f", "changed outside the daemon: number 7", NULL);
	refused("rm $f.older && sed -i 's/^cold_s = 120.000$/cold_s = 0.000/' $f", "does not match its check",
		"does not match its check");
}

static void kept_aside_and_checkpoints(void **state)
{
	(void)state;
	struct dose_store s = store_in_dir();
	struct dose_ledger l = some_doses();
	char err[300], kept[640];
	assert_int_equal(dose_store_save(&s, "TP-1", &l, err, sizeof err), 0);
	/* the same doses again: not written */
	assert_int_equal(dose_store_checkpoint(&s, "TP-1", &l, err, sizeof err), 0);
	assert_int_equal(s.files[0].seq, 1);
	dose_ledger_add(&l, 6000.0, 0.1, 0.0);
	assert_int_equal(dose_store_checkpoint(&s, "TP-1", &l, err, sizeof err), 0);
	assert_int_equal(s.files[0].seq, 2);
	/* a directory in its place is moved aside, twice over */
	char shell[700];
	snprintf(shell, sizeof shell, "rm %s && mkdir %s", ledger_path, ledger_path);
	assert_int_equal(system(shell), 0);
	assert_int_equal(dose_store_keep_aside(&s, "TP-1", kept, sizeof kept), 0);
	assert_non_null(strstr(kept, "TP-1.ini.untrusted"));
	assert_int_equal(dose_store_save(&s, "TP-1", &l, err, sizeof err), 0);
	assert_int_equal(dose_store_verify(&s, "TP-1", err, sizeof err), 0);
	assert_int_equal(dose_store_keep_aside(&s, "TP-1", kept, sizeof kept), 0);
	struct stat st;
	assert_int_equal(stat(kept, &st), 0);
	assert_true(S_ISREG(st.st_mode)); /* the newer one; the directory kept by its time */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reload_keeps_the_last_good_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(a_row_has_every_column, setup, teardown),
		cmocka_unit_test_setup_teardown(the_reader_keeps_every_column, setup, teardown),
		cmocka_unit_test_setup_teardown(the_log_follows_the_session, setup, teardown),
		cmocka_unit_test_setup_teardown(a_healthy_ledger_is_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(an_untrusted_ledger_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(kept_aside_and_checkpoints, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
