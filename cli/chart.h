/* SPDX-License-Identifier: MIT */
/*
 * A line chart in braille characters: each character cell holds 2 x 4
 * dots, so a terminal of W x H cells draws 2W x 4H points. Spans of time
 * can be shaded (the phases: a background colour per column, and a strip
 * row of their letters for a screen without colour) and instants marked on
 * that strip. Pure: the caller gives the data and prints the rows.
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
	uint8_t shade[CHART_MAX_W]; /* enum chart_shade per column */
	char mark[CHART_MAX_W]; /* a mark's letter on the strip, 0: none */
};

enum chart_shade { CHART_SHADE_NONE, CHART_SHADE_HEAT, CHART_SHADE_COLD, CHART_SHADE_NEUTRAL, CHART_SHADES };

/* w, h are clamped to the maxima and to at least 1. */
void chart_init(struct chart *c, int w, int h, double x0, double x1, double y0, double y1);

/* A polyline through (x[i], y[i]); points outside the window and NaNs
 * break the line. */
void chart_line(struct chart *c, const double *x, const double *y, int n, int series);

/* The shade of a phase kind: "heat", "cold", "neutral"; none for others */
enum chart_shade chart_shade_for(const char *kind);
/* Shades the columns from x0 to x1 (a later span wins where they meet) */
void chart_shade(struct chart *c, double x0, double x1, enum chart_shade shade);
/* A letter on the strip at x (outside the window: nothing) */
void chart_mark(struct chart *c, double x, char letter);
/* The strip under the chart as UTF-8: per column the mark's letter, else
 * the shade's ('+' heat, '-' cold, '.' neutral, ' ' none), in the shade's
 * colour when color is true. Returns the length. */
size_t chart_strip(const struct chart *c, bool color, char *buf, size_t len);

/* Row r (0 = top) as UTF-8, with ANSI colours per series when colors is
 * not NULL (colors[s] is an SGR code such as "31"), and then the shaded
 * columns' background too. Returns the length. */
size_t chart_row(const struct chart *c, int r, const char *const *colors, char *buf, size_t len);

#endif
