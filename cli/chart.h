/* SPDX-License-Identifier: MIT */
/*
 * A line chart in braille characters: each character cell holds 2 x 4
 * dots, so a terminal of W x H cells draws 2W x 4H points. Pure: the
 * caller gives the data and prints the rows.
 */
#ifndef THERMOPAD_CHART_H
#define THERMOPAD_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHART_MAX_W 240
#define CHART_MAX_H 80
#define CHART_SERIES 3

struct chart {
	int w, h; /* cells */
	double x0, x1, y0, y1; /* the data window */
	uint8_t dots[CHART_MAX_H][CHART_MAX_W]; /* braille bits per cell */
	uint8_t series[CHART_MAX_H][CHART_MAX_W]; /* 1 + the last series drawn there, 0: none */
};

/* w, h are clamped to the maxima and to at least 1. */
void chart_init(struct chart *c, int w, int h, double x0, double x1, double y0, double y1);

/* A polyline through (x[i], y[i]); points outside the window and NaNs
 * break the line. */
void chart_line(struct chart *c, const double *x, const double *y, int n, int series);

/* Row r (0 = top) as UTF-8, with ANSI colours per series when colors is
 * not NULL (colors[s] is an SGR code such as "31"). Returns the length. */
size_t chart_row(const struct chart *c, int r, const char *const *colors, char *buf, size_t len);

#endif
