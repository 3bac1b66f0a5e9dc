/* SPDX-License-Identifier: MIT */
#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void chart_init(struct chart *c, int w, int h, double x0, double x1, double y0, double y1)
{
	memset(c, 0, sizeof *c);
	c->w = w < 1 ? 1 : w > CHART_MAX_W ? CHART_MAX_W : w;
	c->h = h < 1 ? 1 : h > CHART_MAX_H ? CHART_MAX_H : h;
	c->x0 = x0, c->x1 = x1 > x0 ? x1 : x0 + 1;
	c->y0 = y0, c->y1 = y1 > y0 ? y1 : y0 + 1;
}

/* The dot bit for column dx (0, 1) and row dy (0..3, top first) of a cell,
 * in the order Unicode numbers braille dots. */
static const uint8_t dot_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

static void plot(struct chart *c, int px, int py, int series)
{
	if (px < 0 || py < 0 || px >= c->w * 2 || py >= c->h * 4)
		return;
	c->dots[py / 4][px / 2] |= dot_bit[py % 4][px % 2];
	c->series[py / 4][px / 2] = (uint8_t)(series + 1);
}

static bool to_dots(const struct chart *c, double x, double y, double *px, double *py)
{
	if (!isfinite(x) || !isfinite(y) || x < c->x0 || x > c->x1 || y < c->y0 || y > c->y1)
		return false;
	*px = (x - c->x0) / (c->x1 - c->x0) * (c->w * 2 - 1);
	*py = (c->y1 - y) / (c->y1 - c->y0) * (c->h * 4 - 1);
	return true;
}

void chart_line(struct chart *c, const double *x, const double *y, int n, int series)
{
	double ax = 0, ay = 0;
	bool have = false;
	for (int i = 0; i < n; i++) {
		double bx, by;
		if (!to_dots(c, x[i], y[i], &bx, &by)) {
			have = false;
			continue;
		}
		if (!have) {
			plot(c, (int)lround(bx), (int)lround(by), series);
		} else { /* every dot between the two points */
			int steps = (int)ceil(fmax(fabs(bx - ax), fabs(by - ay)));
			for (int k = 1; k <= steps; k++) {
				double f = (double)k / steps;
				plot(c, (int)lround(ax + (bx - ax) * f), (int)lround(ay + (by - ay) * f), series);
			}
		}
		ax = bx, ay = by, have = true;
	}
}

static int column_of(const struct chart *c, double x)
{
	if (!isfinite(x))
		return -1;
	return (int)floor((x - c->x0) / (c->x1 - c->x0) * c->w);
}

enum chart_shade chart_shade_for(const char *kind)
{
	static const struct {
		const char *kind;
		enum chart_shade shade;
	} kinds[] = {{"heat", CHART_SHADE_HEAT}, {"cold", CHART_SHADE_COLD}, {"neutral", CHART_SHADE_NEUTRAL}};
	for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kind, kinds[i].kind))
			return kinds[i].shade;
	return CHART_SHADE_NONE;
}

void chart_shade(struct chart *c, double x0, double x1, enum chart_shade shade)
{
	int a = column_of(c, x0), b = column_of(c, x1);
	if (a < 0 && b < 0)
		return;
	for (int col = a < 0 ? 0 : a; col <= b && col < c->w; col++)
		c->shade[col] = (uint8_t)shade;
}

void chart_mark(struct chart *c, double x, char letter)
{
	int col = column_of(c, x);
	if (col == c->w && x <= c->x1)
		col = c->w - 1; /* the window's right edge */
	if (col >= 0 && col < c->w)
		c->mark[col] = letter;
}

/* Backgrounds and strip colours of the shades (256-colour SGR): dim, so
 * the lines stay readable over them */
static const char *const shade_bg[CHART_SHADES] = {"", "48;5;52", "48;5;17", "48;5;236"};
static const char *const shade_fg[CHART_SHADES] = {"", "31", "34", "2"};
static const char shade_letter[CHART_SHADES] = {' ', '+', '-', '.'};

size_t chart_strip(const struct chart *c, bool color, char *buf, size_t len)
{
	size_t used = 0;
	int current = 0;
	buf[0] = '\0';
	for (int col = 0; col < c->w; col++) {
		int sh = c->shade[col] < CHART_SHADES ? c->shade[col] : 0;
		char piece[24];
		int n = 0;
		if (color && sh != current) {
			n += snprintf(piece, sizeof piece, "\033[0;%sm", sh ? shade_fg[sh] : "0");
			current = sh;
		}
		piece[n++] = c->mark[col] ? c->mark[col] : shade_letter[sh];
		if (used + (size_t)n + 5 >= len)
			break;
		memcpy(buf + used, piece, (size_t)n);
		used += (size_t)n;
	}
	if (color && current) {
		memcpy(buf + used, "\033[0m", 4);
		used += 4;
	}
	buf[used] = '\0';
	return used;
}

size_t chart_row(const struct chart *c, int r, const char *const *colors, char *buf, size_t len)
{
	size_t used = 0;
	int current = 0, current_bg = 0;
	buf[0] = '\0';
	for (int col = 0; r >= 0 && r < c->h && col < c->w; col++) {
		unsigned cp = 0x2800u + c->dots[r][col];
		int s = c->dots[r][col] ? c->series[r][col] : 0;
		int bg = c->shade[col] < CHART_SHADES ? c->shade[col] : 0;
		char piece[48];
		int n = 0;
		if (colors && (s != current || bg != current_bg)) {
			if (!bg) /* the series' colour alone, as without shading */
				n += snprintf(piece + n, sizeof piece - (size_t)n, "\033[%sm", s ? colors[s - 1] : "0");
			else
				n += snprintf(piece + n, sizeof piece - (size_t)n, "\033[0%s%s;%sm", s ? ";" : "",
					      s ? colors[s - 1] : "", shade_bg[bg]);
			current = s, current_bg = bg;
		}
		/* braille is U+2800..U+28FF: three bytes of UTF-8 */
		n += snprintf(piece + n, sizeof piece - (size_t)n, "%c%c%c", (char)(0xE0 | (cp >> 12)),
			      (char)(0x80 | ((cp >> 6) & 0x3F)), (char)(0x80 | (cp & 0x3F)));
		if (used + (size_t)n + 5 >= len)
			break;
		memcpy(buf + used, piece, (size_t)n);
		used += (size_t)n;
	}
	if (colors && (current || current_bg)) {
		memcpy(buf + used, "\033[0m", 4);
		used += 4;
	}
	buf[used] = '\0';
	return used;
}
