/* SPDX-License-Identifier: MIT */
#include "ini_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int ini_fail(struct ini_error *e, const char *fmt, ...)
{
	if (!e->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
		e->failed = true;
	}
	return 0;
}

bool ini_number(const char *text, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (end == text)
		return false;
	while (isspace((unsigned char)*end))
		end++;
	if (*end || errno || !isfinite(v))
		return false;
	*out = v;
	return true;
}
