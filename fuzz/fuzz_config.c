/* SPDX-License-Identifier: MIT */
/* thermopad.conf on arbitrary text: accepted means within the hard limits. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct config c;
	struct config_error e;
	if (config_parse(text, "fuzz.conf", &c, &e) == 0) {
		char err[256];
		assert(safety_limits_validate(&c.limits, err, sizeof err) == 0);
	} else {
		assert(e.text[0] != '\0');
	}
	free(text);
	return 0;
}
