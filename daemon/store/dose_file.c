/* SPDX-License-Identifier: MIT */
/* The dose ledger file's text (dose_file.h). */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "store/dose_file.h"

static const char header[] = "# thermopad dose ledger file 2: numbered and checked; an edited file is refused\n";
static const char header_unchecked[] = "# thermopad dose ledger, pad ";
static const char trailer[] = "\n[file]\n";

static uint32_t check_of(const char *text, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)text, (uInt)n);
}

int dose_file_judge(const char *text, size_t n, struct dose_file_text *ft, char *err, size_t errlen)
{
	memset(ft, 0, sizeof *ft);
	if (n >= DOSE_FILE_TEXT_MAX - 1) {
		snprintf(err, errlen, "is larger than any ledger (%zu bytes or more)", n);
		return -1;
	}
	if (memchr(text, '\0', n)) {
		snprintf(err, errlen, "does not match its check (a zero byte inside: corrupt)");
		return -1;
	}
	if (n < sizeof header - 1 || memcmp(text, header, sizeof header - 1) != 0) {
		if (n >= sizeof header_unchecked - 1 && !memcmp(text, header_unchecked, sizeof header_unchecked - 1)) {
			ft->unchecked = true;
			ft->body_len = n;
			ft->crc = check_of(text, n);
			return 0;
		}
		snprintf(err, errlen, "%s", n == 0 ? "is empty (cut short: truncated)"
					    : "does not begin as a dose ledger does (corrupt, or not a ledger)");
		return -1;
	}
	const char *tail = NULL;
	for (const char *p = text; (p = memmem(p, n - (size_t)(p - text), trailer, sizeof trailer - 1)); p++)
		tail = p;
	if (!tail) {
		snprintf(err, errlen, "is cut short (truncated): it ends before its check");
		return -1;
	}
	char rest[64];
	size_t end = (size_t)(tail - text) + 1, after = n - end - (sizeof trailer - 2);
	if (after >= sizeof rest) {
		snprintf(err, errlen, "is damaged at its check (corrupt)");
		return -1;
	}
	memcpy(rest, tail + sizeof trailer - 1, after);
	rest[after] = '\0';
	unsigned long long seq;
	unsigned crc;
	int used = -1;
	if (sscanf(rest, "seq = %llu\ncrc32 = %8x\n%n", &seq, &crc, &used) != 2 || used < 0 || rest[used] != '\0') {
		snprintf(err, errlen, "is cut short or damaged at its check (truncated or corrupt)");
		return -1;
	}
	ft->seq = seq;
	ft->crc = (uint32_t)crc;
	ft->body = sizeof header - 1;
	ft->body_len = end - ft->body;
	if (check_of(text, end) != ft->crc) {
		snprintf(err, errlen, "does not match its check (corrupt, or edited by hand)");
		return -1;
	}
	return 0;
}

int dose_file_ledger(const char *text, const struct dose_file_text *ft, struct dose_ledger *l, char *err,
		     size_t errlen)
{
	char body[DOSE_FILE_TEXT_MAX];
	memcpy(body, text + ft->body, ft->body_len);
	body[ft->body_len] = '\0';
	char why[160];
	if (dose_ledger_parse(body, l, why, sizeof why) != 0) {
		snprintf(err, errlen, "does not read as a ledger (%s)", why);
		return -1;
	}
	return 0;
}

size_t dose_file_format(const struct dose_ledger *l, const char *serial, unsigned long long seq, char *text,
			size_t len, uint32_t *crc)
{
	size_t h = sizeof header - 1, tail_max = 64;
	if (len < h + tail_max + 1)
		return 0;
	memcpy(text, header, h);
	if (dose_ledger_format(l, serial, text + h, len - h - tail_max) != 0)
		return 0;
	size_t n = strlen(text);
	*crc = check_of(text, n);
	int t = snprintf(text + n, len - n, "[file]\nseq = %llu\ncrc32 = %08x\n", seq, (unsigned)*crc);
	return t > 0 && (size_t)t < len - n ? n + (size_t)t : 0;
}
