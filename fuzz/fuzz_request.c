/* SPDX-License-Identifier: MIT */
/* An API request line from a hostile client: either a clear error with a
 * stable code, or a request whose every field is within its rules. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "thermopad_api.h"
#include "socket/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request r;
	struct request_error err;
	json_t *id;
	if (request_parse((const char *)data, size, &r, &id, &err) != 0) {
		assert(err.code && err.message[0]);
		assert(!strcmp(err.code, API_ERR_BAD_REQUEST) || !strcmp(err.code, API_ERR_VERSION) ||
		       !strcmp(err.code, API_ERR_UNKNOWN_COMMAND));
		json_decref(id);
		return 0;
	}
	assert(r.cmd < REQ_COUNT && r.name);
	assert(r.nsets >= 0 && r.nsets <= REQUEST_MAX_SETS);
	if (r.cmd == REQ_EXTEND)
		assert(isfinite(r.minutes) && r.minutes >= 0.1 && r.minutes <= 60.0);
	if (r.cmd == REQ_SUBSCRIBE)
		assert(r.rate_hz >= 0.1 && r.rate_hz <= 10.0);
	if (r.profile)
		assert(strlen(r.profile) < 32 && !strchr(r.profile, '/'));
	if (r.session)
		assert(!strchr(r.session, '/') && r.session[0] != '.' && r.offset >= 0 && r.limit >= 1);
	if (r.pad)
		assert(!strchr(r.pad, '/'));
	request_free(&r);
	return 0;
}
