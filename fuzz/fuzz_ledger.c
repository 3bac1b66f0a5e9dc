/* SPDX-License-Identifier: MIT */
/* The dose ledger file on arbitrary bytes: judged without a crash; a file
 * accepted as checked gives a ledger that writes back to the same check. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/dose_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= DOSE_FILE_TEXT_MAX)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct dose_file_text ft;
	char err[200];
	if (dose_file_judge(text, size, &ft, err, sizeof err) != 0) {
		assert(err[0] != '\0');
	} else {
		struct dose_ledger l;
		if (dose_file_ledger(text, &ft, &l, err, sizeof err) == 0) {
			assert(l.n >= 0 && l.n <= DOSE_DAY_MAX);
			assert(isfinite(l.heat_cem43_min) && l.heat_cem43_min >= 0);
			char again[DOSE_FILE_TEXT_MAX];
			uint32_t crc;
			assert(dose_file_format(&l, "TP-FUZZ", ft.seq + 1, again, sizeof again, &crc) > 0);
		} else {
			assert(err[0] != '\0');
		}
	}
	free(text);
	return 0;
}
