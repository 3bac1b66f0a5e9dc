/* SPDX-License-Identifier: MIT */
/* Every decoder on arbitrary bytes; whatever one accepts must encode back
 * to the very same bytes (the codec has one representation per frame). */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "thermopad_proto.h"

#define ROUND_TRIP(type, decode, encode)                                                \
	do {                                                                            \
		struct type v;                                                          \
		if (decode(data, size, &v) == PROTO_OK) {                               \
			uint8_t again[TP_FRAME_MAX_LEN];                                \
			size_t n = encode(&v, again, sizeof again);                     \
			assert(n == size && memcmp(again, data, size) == 0);            \
		}                                                                       \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ROUND_TRIP(tp_telemetry, proto_decode_telemetry, proto_encode_telemetry);
	ROUND_TRIP(tp_info, proto_decode_info, proto_encode_info);
	ROUND_TRIP(tp_status, proto_decode_status, proto_encode_status);
	ROUND_TRIP(tp_set_output, proto_decode_set_output, proto_encode_set_output);
	ROUND_TRIP(tp_set_watchdog, proto_decode_set_watchdog, proto_encode_set_watchdog);
	ROUND_TRIP(tp_set_limits, proto_decode_set_limits, proto_encode_set_limits);
	ROUND_TRIP(tp_clear_faults, proto_decode_clear_faults, proto_encode_clear_faults);
	return 0;
}
