/* SPDX-License-Identifier: MIT */
/*
 * safety-case: runs the hazard table and judges it (the gate), optionally
 * writing the report.
 *
 *   safety-case --table FILE --pads DIR [--rows TEXT] [--e2e FILE]
 *               [--checks CODE,CODE...] [--coverage] [--report FILE --beyond FILE]
 *
 * In-process rows run here; end-to-end rows are read from --e2e (written
 * by safety/e2e.sh; "-": standard input, read once the in-process rows
 * are done). Prints a TAP line per row and a summary; exits 1 when
 * a row misses its bound or has no run without an open mark, or when a
 * supervisor check (safety_checks[], and any named by --checks) or a
 * simulator fault kind has no row.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faults.h"
#include "judge.h"
#include "model_ini.h"
#include "report.h"
#include "safety.h"
#include "table.h"

#define MAX_PADS 16
#define MAX_TWINS 256

struct pad_desc {
	char name[64];
	struct model_params params;
};

struct twin {
	char key[128];
	struct outcome o;
};

struct runner {
	struct table table;
	struct pad_desc pads[MAX_PADS];
	int npads;
	struct twin *twins;
	int ntwins;
	int inproc_runs, e2e_runs;
	FILE *e2e;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct pad_desc *)a)->name, ((const struct pad_desc *)b)->name);
}

static int load_pads(struct runner *r, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "safety-case: %s: cannot open the pad descriptions\n", dir);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)) && r->npads < MAX_PADS) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".ini") != 0)
			continue;
		struct pad_desc *p = &r->pads[r->npads];
		char path[512], err[300];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (model_params_load(path, &p->params, err, sizeof err) != 0) {
			fprintf(stderr, "safety-case: %s\n", err);
			closedir(d);
			return -1;
		}
		snprintf(p->name, sizeof p->name, "%.*s", (int)(len - 4), e->d_name);
		r->npads++;
	}
	closedir(d);
	qsort(r->pads, (size_t)r->npads, sizeof r->pads[0], by_name);
	return r->npads ? 0 : -1;
}

/* Seeds depend on the phase and the pad only, so that twins are shared
 * between rows and every run repeats exactly. */
static uint64_t seed_of(const char *phase, int pad)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *c = phase; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	return h + (uint64_t)pad;
}

/* The twin keeps what is configuration (limits:hard), drops every fault. */
static void twin_spec(const char *fault, char *out, size_t len)
{
	snprintf(out, len, "%s", strstr(fault, "limits:hard") ? "limits:hard" : "");
}

static const struct outcome *twin_of(struct runner *r, int pad, const char *phase, const struct hazard *h)
{
	char spec[32], key[128];
	twin_spec(h->fault, spec, sizeof spec);
	snprintf(key, sizeof key, "%d|%s|%g|%s", pad, phase, h->watch_s, spec);
	for (int i = 0; i < r->ntwins; i++)
		if (strcmp(r->twins[i].key, key) == 0)
			return &r->twins[i].o;
	struct twin *t = &r->twins[r->ntwins < MAX_TWINS ? r->ntwins++ : MAX_TWINS - 1];
	snprintf(t->key, sizeof t->key, "%s", key);
	struct scenario sc = {.pad = &r->pads[pad].params, .phase = phase, .faults = spec[0] ? spec : NULL,
			      .watch_s = h->watch_s, .clear = "-", .seed = seed_of(phase, pad)};
	scenario_run(&sc, &t->o);
	r->inproc_runs++;
	return &t->o;
}

static void run_inproc(struct runner *r, struct row_result *res)
{
	const struct hazard *h = res->h;
	char phases[sizeof h->phases];
	snprintf(phases, sizeof phases, "%s", h->phases);
	for (char *save = NULL, *ph = strtok_r(phases, ",", &save); ph; ph = strtok_r(NULL, ",", &save)) {
		for (int p = 0; p < r->npads; p++) {
			struct scenario sc = {.pad = &r->pads[p].params, .phase = ph, .faults = h->fault,
					      .watch_s = h->watch_s, .clear = h->clear, .latch = h->latch,
					      .seed = seed_of(ph, p)};
			struct outcome o;
			scenario_run(&sc, &o);
			r->inproc_runs++;
			if (!o.runnable) {
				judge_not_runnable(res, o.why);
				break;
			}
			const struct outcome *twin = twin_of(r, p, ph, h);
			if (!twin->runnable) {
				judge_not_runnable(res, twin->why);
				break;
			}
			char where[64];
			snprintf(where, sizeof where, "%s, %s", r->pads[p].name, ph);
			judge_run(res, where, &o, twin);
		}
	}
}

/* An end-to-end result line: "run ID PHASE PAD fault|twin key=value..." */
static void parse_e2e(const char *line, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->runnable = o->latch_held = o->cleared = true;
	o->fw_s = o->host_s = o->fuse_s = o->watchdog_s = -1;
	o->zero_s = INFINITY;
	const char *p = line;
	for (int skip = 0; skip < 5 && p; skip++)
		p = strchr(p + 1, ' ');
	struct exposure *e = &o->exposure;
	for (; p && *p; p = strchr(p + 1, ' ')) {
		char key[32], val[128];
		if (sscanf(p, " %31[^= ]=%127s", key, val) != 2)
			continue;
		double v = atof(val);
		if (!strcmp(key, "zero_s"))
			o->zero_s = strcmp(val, "inf") == 0 ? INFINITY : v;
		else if (!strcmp(key, "plate_max_c"))
			e->plate_max_c = v;
		else if (!strcmp(key, "plate_min_c"))
			e->plate_min_c = v;
		else if (!strcmp(key, "tissue_max_c"))
			e->tissue_max_c = v;
		else if (!strcmp(key, "cem43_min"))
			e->cem43_min = v;
		else if (!strcmp(key, "cold_s"))
			e->cold_s = v;
		else if (!strcmp(key, "fw_s"))
			o->fw_s = v;
		else if (!strcmp(key, "fuse_s"))
			o->fuse_s = v;
		else if (!strcmp(key, "host_s"))
			o->host_s = v;
		else if (!strcmp(key, "host_code") && strcmp(val, "-")) {
			snprintf(o->host_any, sizeof o->host_any, "%.31s", val);
			if (strcmp(val, "firmware-fault"))
				snprintf(o->host_code, sizeof o->host_code, "%.31s", val);
		}
		else if (!strcmp(key, "tripped"))
			o->tripped = v != 0;
		else if (!strcmp(key, "trip"))
			snprintf(o->trip, sizeof o->trip, "%.95s", val);
		else if (!strcmp(key, "latch_held"))
			o->latch_held = v != 0;
		else if (!strcmp(key, "cleared"))
			o->cleared = v != 0;
		else if (!strcmp(key, "note") && strcmp(val, "-"))
			for (size_t i = 0; i < sizeof o->note - 1 && val[i]; i++)
				o->note[i] = val[i] == '-' ? ' ' : val[i];
		else if (!strcmp(key, "why")) {
			o->runnable = false;
			snprintf(o->why, sizeof o->why, "%s", strstr(p, "why=") + 4);
			break;
		}
	}
}

static void run_e2e(struct runner *r, struct row_result *res)
{
	if (!r->e2e) {
		judge_not_runnable(res, "no end-to-end results (safety/e2e.sh did not run)");
		return;
	}
	rewind(r->e2e);
	char line[1024], id[64], phase[32], pad[64], kind[8];
	struct outcome fault = {0};
	bool have_fault = false;
	while (fgets(line, sizeof line, r->e2e)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "run %63s %31s %63s %7s", id, phase, pad, kind) != 4 || strcmp(id, res->h->id))
			continue;
		struct outcome o;
		parse_e2e(line, &o);
		if (!o.runnable) {
			judge_not_runnable(res, o.why);
			continue;
		}
		if (!strcmp(kind, "fault")) {
			fault = o;
			have_fault = true;
		} else if (have_fault) { /* the twin follows its run */
			char where[128];
			snprintf(where, sizeof where, "%s, %s, end to end", pad, phase);
			judge_run(res, where, &fault, &o);
			r->e2e_runs += 2;
			have_fault = false;
		}
	}
	if (!res->ran && !res->no_run[0])
		judge_not_runnable(res, "no end-to-end run recorded");
}

/* The end-to-end results, from a file or ("-") all of standard input,
 * kept where they can be read again for every row. */
static int open_e2e(struct runner *r, const char *path)
{
	if (strcmp(path, "-") != 0)
		return (r->e2e = fopen(path, "r")) ? 0 : -1;
	if (!(r->e2e = tmpfile()))
		return -1;
	char buf[4096];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, stdin)) > 0)
		if (fwrite(buf, 1, got, r->e2e) != got)
			return -1;
	return ferror(stdin) ? -1 : 0;
}

/* Every kind of the simulator's grammar must be tried by some row. */
static int uncovered_faults(const struct table *t)
{
	int missing = 0;
	char name[64];
	for (size_t i = 0; faults_rule_name(i, name, sizeof name) == 0; i++) {
		if (strstr(name, ":ok"))
			continue; /* clearing is every row's second half */
		bool found = false;
		size_t len = strlen(name);
		for (int k = 0; k < t->nrows && !found; k++)
			for (const char *p = t->rows[k].fault; (p = strstr(p, name)) && !found; p += len)
				found = p[len] == '\0' || p[len] == '=' || p[len] == ' ';
		if (!found) {
			printf("# simulator fault %s has no row in the table\n", name);
			missing++;
		}
	}
	return missing;
}

/* Every supervisor check must fire in some row (or be named host=CODE). */
static int uncovered_checks(const char *checks, const struct table *t, const struct row_result *res, int n)
{
	if (!checks)
		return 0;
	int missing = 0;
	char buf[2048];
	snprintf(buf, sizeof buf, "%s", checks);
	for (char *save = NULL, *c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		char key[48], named[48];
		snprintf(key, sizeof key, "%s ", c);
		snprintf(named, sizeof named, "host=%s", c);
		bool found = false;
		for (int i = 0; i < n && !found; i++)
			found = strstr(res[i].host_fired, key) != NULL;
		for (int i = 0; i < t->nrows && !found; i++)
			found = strstr(t->rows[i].layers, named) != NULL;
		if (!found) {
			printf("# supervisor check %s has no row that makes it fire\n", c);
			missing++;
		}
	}
	return missing;
}

static void print_row(int i, const struct row_result *r)
{
	const struct hazard *h = r->h;
	const char *detail = r->ran ? r->misses : r->no_run;
	switch (r->verdict) {
	case VERDICT_PASS: printf("ok %d - %s: pass (%d runs)\n", i, h->id, r->runs); return;
	case VERDICT_OPEN_PASSES:
		printf("ok %d - %s: marked open (%s) but passes now: remove the mark\n", i, h->id, h->open);
		return;
	case VERDICT_OPEN: printf("ok %d - %s # TODO open %s: %s\n", i, h->id, h->open, detail); return;
	case VERDICT_MISS: printf("not ok %d - %s: MISS: %s\n", i, h->id, detail); return;
	case VERDICT_NO_RUN: printf("not ok %d - %s: NO RUN: %s\n", i, h->id, detail); return;
	}
}

int main(int argc, char **argv)
{
	const char *table_path = "docs/safety/hazards.tsv", *pads_dir = "sim/pads", *only = NULL;
	const char *e2e_path = NULL, *checks = NULL, *report_path = NULL, *beyond = NULL;
	int coverage = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--coverage")) {
			coverage = 2; /* even with --rows */
			continue;
		}
		const char **opt = !strcmp(argv[i], "--table")	 ? &table_path
				   : !strcmp(argv[i], "--pads")	 ? &pads_dir
				   : !strcmp(argv[i], "--rows")	 ? &only
				   : !strcmp(argv[i], "--e2e")	 ? &e2e_path
				   : !strcmp(argv[i], "--checks") ? &checks
				   : !strcmp(argv[i], "--report") ? &report_path
				   : !strcmp(argv[i], "--beyond") ? &beyond
								  : NULL;
		if (!opt || i + 1 == argc) {
			fprintf(stderr, "usage: safety-case [--table FILE] [--pads DIR] [--rows TEXT] [--e2e FILE] "
					"[--checks CODES] [--coverage] [--report FILE] [--beyond FILE]\n");
			return 2;
		}
		*opt = argv[++i];
	}
	struct runner *r = calloc(1, sizeof *r);
	struct row_result *res = calloc(TABLE_MAX_ROWS, sizeof *res);
	if (r)
		r->twins = calloc(MAX_TWINS, sizeof *r->twins);
	if (!r || !res || !r->twins) {
		fprintf(stderr, "safety-case: out of memory\n");
		return 2;
	}
	char err[400];
	if (table_load(table_path, &r->table, err, sizeof err) != 0) {
		fprintf(stderr, "safety-case: %s\n", err);
		return 2;
	}
	if (load_pads(r, pads_dir) != 0)
		return 2;
	clock_t cpu0 = clock();
	int n = 0;
	for (int i = 0; i < r->table.nrows; i++) {
		const struct hazard *h = &r->table.rows[i];
		if (only && !strstr(h->id, only))
			continue;
		judge_init(&res[n++], h);
	}
	/* the in-process rows first: the end-to-end results are read only
	 * then, so that safety/e2e.sh can run meanwhile and hand them over on
	 * a pipe ("--e2e -") */
	for (int i = 0; i < n; i++)
		if (res[i].h->runner == TABLE_INPROC)
			run_inproc(r, &res[i]);
	double cpu_s = (double)(clock() - cpu0) / CLOCKS_PER_SEC;
	if (e2e_path && open_e2e(r, e2e_path) != 0)
		fprintf(stderr, "safety-case: %s: no end-to-end results\n", e2e_path);
	for (int i = 0; i < n; i++) {
		if (res[i].h->runner != TABLE_INPROC)
			run_e2e(r, &res[i]);
		judge_finish(&res[i]);
		print_row(i + 1, &res[i]);
	}
	fflush(stdout);
	int count[VERDICT_PASS + 1] = {0};
	for (int i = 0; i < n; i++)
		count[res[i].verdict]++;
	/* coverage is the whole table's: a selection of rows skips it unless asked */
	char all_checks[2048] = "";
	for (size_t i = 0; i < safety_ncheck; i++) /* the supervisor's own list */
		snprintf(all_checks + strlen(all_checks), sizeof all_checks - strlen(all_checks), "%s%s", i ? "," : "",
			 safety_checks[i].code);
	if (checks)
		snprintf(all_checks + strlen(all_checks), sizeof all_checks - strlen(all_checks), ",%s", checks);
	int flagged = only && coverage < 2 ? 0 : uncovered_faults(&r->table) + uncovered_checks(all_checks, &r->table, res, n);
	printf("# safety case: %d rows: %d pass, %d open (known, marked), %d marked open but passing, %d miss, "
	       "%d without a run; %d uncovered fault kinds or checks; %d in-process runs in %.1f s of CPU\n",
	       n, count[VERDICT_PASS], count[VERDICT_OPEN], count[VERDICT_OPEN_PASSES], count[VERDICT_MISS],
	       count[VERDICT_NO_RUN], flagged, r->inproc_runs, cpu_s);
	if (flagged)
		printf("not ok %d - every simulator fault kind and supervisor check has a row\n", n + 1);
	if (report_path) {
		struct report_run rr = {.npads = r->npads, .cpu_s = cpu_s, .inproc_runs = r->inproc_runs,
					.e2e_runs = r->e2e_runs, .beyond_path = beyond};
		for (int i = 0; i < r->npads; i++)
			rr.pads[i] = r->pads[i].name;
		FILE *f = fopen(report_path, "w");
		if (!f || report_write(f, res, n, &rr) != 0 || fclose(f) != 0) {
			fprintf(stderr, "safety-case: %s: the report could not be written\n", report_path);
			return 2;
		}
	}
	bool fail = count[VERDICT_MISS] || count[VERDICT_NO_RUN] || flagged;
	if (r->e2e)
		fclose(r->e2e);
	free(r->twins);
	free(r);
	free(res);
	return fail ? 1 : 0;
}
