/* SPDX-License-Identifier: MIT */
/*
 * The hazard table (docs/safety/hazards.tsv): one row per single fault or
 * misuse, with the phases it is tried in, how it is injected, the layers
 * that must catch it and the bounds it must meet. Parsing only.
 */
#ifndef THERMOPAD_SAFETY_TABLE_H
#define THERMOPAD_SAFETY_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#define TABLE_MAX_ROWS 400

enum table_runner { TABLE_INPROC, TABLE_E2E };

struct hazard {
	int line;
	char id[48];
	char phases[160]; /* comma-separated: idle, heating, hot, cooling, cold, reversing, autotune */
	char fault[200]; /* the simulator's grammar, faults joined by " + ", or host:... */
	enum table_runner runner;
	char layers[128]; /* "fw|host" any of, "fw+host" all of, "-" none needed */
	/* bounds; NAN where the row sets none */
	double zero_s; /* fault to zero drive at the module, model time */
	double plate_max_c, plate_min_c, tissue_max_c;
	double cem43_min; /* added to the fault-free twin's dose */
	double cold_s; /* true plate below the cold threshold */
	bool latch; /* must stay latched once the cause is gone */
	char clear[16]; /* what clearing needs: person, replug, - */
	double watch_s; /* how long after the fault the run goes on */
	char open[16]; /* "#12": a known open hazard, closed by that issue; "-" */
	char hazard[400]; /* in words */
};

struct table {
	int nrows;
	struct hazard rows[TABLE_MAX_ROWS];
};

/* Reads the file; -1 with "file:line: what" on any malformed row. */
int table_load(const char *path, struct table *t, char *err, size_t errlen);

bool table_is_open(const struct hazard *h);

#endif
