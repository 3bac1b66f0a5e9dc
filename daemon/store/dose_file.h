/* SPDX-License-Identifier: MIT */
/*
 * The dose ledger file's text (store/dose_store.h writes and reads it): a
 * first line that names the format, the ledger as the core writes it
 * (core/dose.h), and at its end a number that grows with every write and
 * a CRC-32 (zlib) of everything before it:
 *
 *   # thermopad dose ledger file 2: ...
 *   [ledger] ... [session] ...
 *   [file]
 *   seq = 12
 *   crc32 = 0a1b2c3d
 *
 * Pure: text in, a judgment out.
 */
#ifndef THERMOPAD_STORE_DOSE_FILE_H
#define THERMOPAD_STORE_DOSE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dose.h"

#define DOSE_FILE_TEXT_MAX 16384

/* What a file's text says of itself. */
struct dose_file_text {
	bool unchecked; /* written before the files were numbered and checked */
	unsigned long long seq;
	uint32_t crc;
	size_t body; /* where the core's ledger text starts */
	size_t body_len;
};

/* The envelope of text[0, n) checked: 0, or -1 with what is wrong in err,
 * a phrase that follows the file's name ("is cut short ..."). */
int dose_file_judge(const char *text, size_t n, struct dose_file_text *ft, char *err, size_t errlen);
/* The ledger it holds (after dose_file_judge): 0, or -1 with why. */
int dose_file_ledger(const char *text, const struct dose_file_text *ft, struct dose_ledger *l, char *err,
		     size_t errlen);
/* The text of ledger l, number seq: its length, or 0 when it does not fit;
 * *crc is its check (the same for the same doses, whatever the number). */
size_t dose_file_format(const struct dose_ledger *l, const char *serial, unsigned long long seq, char *text,
			size_t len, uint32_t *crc);

#endif
