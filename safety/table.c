/* SPDX-License-Identifier: MIT */
#include "table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NCOLS = 16 };

/* "-" is no bound; anything else must be a whole number */
static int number(const char *s, double *out)
{
	if (strcmp(s, "-") == 0) {
		*out = NAN;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int copy(char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len || !*src)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int parse_row(char *line, struct hazard *h, char *why, size_t whylen)
{
	char *col[NCOLS];
	int n = 0;
	for (char *p = line; n < NCOLS; n++) {
		col[n] = p;
		char *tab = strchr(p, '\t');
		if (!tab) {
			n++;
			break;
		}
		*tab = '\0';
		p = tab + 1;
	}
	if (n != NCOLS) {
		snprintf(why, whylen, "%d columns, %d expected", n, NCOLS);
		return -1;
	}
	memset(h, 0, sizeof *h);
	static const char *const names[] = {"id", "phases", "fault", "runner", "layers", "zero_s", "plate_max_c",
		"plate_min_c", "tissue_max_c", "cem43_min", "cold_s", "latch", "clear", "watch_s", "open", "hazard"};
	double *nums[] = {&h->zero_s, &h->plate_max_c, &h->plate_min_c, &h->tissue_max_c, &h->cem43_min, &h->cold_s};
	int bad = -1;
	if (copy(h->id, sizeof h->id, col[0]))
		bad = 0;
	else if (copy(h->phases, sizeof h->phases, col[1]))
		bad = 1;
	else if (copy(h->fault, sizeof h->fault, col[2]))
		bad = 2;
	else if (strcmp(col[3], "inproc") && strcmp(col[3], "e2e"))
		bad = 3;
	else if (copy(h->layers, sizeof h->layers, col[4]))
		bad = 4;
	for (int i = 0; bad < 0 && i < 6; i++)
		if (number(col[5 + i], nums[i]))
			bad = 5 + i;
	if (bad < 0 && strcmp(col[11], "yes") && strcmp(col[11], "no"))
		bad = 11;
	else if (bad < 0 && strcmp(col[12], "person") && strcmp(col[12], "replug") && strcmp(col[12], "-"))
		bad = 12;
	else if (bad < 0 && (number(col[13], &h->watch_s) || !(h->watch_s > 0 && h->watch_s <= 7200)))
		bad = 13;
	else if (bad < 0 && (copy(h->open, sizeof h->open, col[14]) || (strcmp(col[14], "-") && col[14][0] != '#')))
		bad = 14;
	else if (bad < 0 && copy(h->hazard, sizeof h->hazard, col[15]))
		bad = 15;
	if (bad >= 0) {
		snprintf(why, whylen, "column %s: '%s' is not understood", names[bad], col[bad]);
		return -1;
	}
	h->runner = strcmp(col[3], "e2e") == 0 ? TABLE_E2E : TABLE_INPROC;
	h->latch = strcmp(col[11], "yes") == 0;
	snprintf(h->clear, sizeof h->clear, "%s", col[12]);
	return 0;
}

int table_load(const char *path, struct table *t, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	t->nrows = 0;
	char line[2048];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		if (!len || line[0] == '#' || strncmp(line, "id\t", 3) == 0)
			continue;
		char why[200];
		if (t->nrows == TABLE_MAX_ROWS) {
			snprintf(err, errlen, "%s:%d: more than %d rows", path, lineno, TABLE_MAX_ROWS);
			rc = -1;
		} else if (parse_row(line, &t->rows[t->nrows], why, sizeof why) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			rc = -1;
		} else {
			struct hazard *h = &t->rows[t->nrows];
			h->line = lineno;
			for (int i = 0; i < t->nrows; i++)
				if (strcmp(t->rows[i].id, h->id) == 0) {
					snprintf(err, errlen, "%s:%d: row '%s' already on line %d", path, lineno, h->id,
						 t->rows[i].line);
					rc = -1;
				}
			t->nrows++;
		}
	}
	fclose(f);
	return rc;
}

bool table_is_open(const struct hazard *h)
{
	return h->open[0] == '#';
}
