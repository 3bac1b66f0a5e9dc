/* SPDX-License-Identifier: MIT */
/* The firmware core against a hostile host: arbitrary control requests
 * (any bRequest, any length, any bytes) between ticks, with sensor,
 * current and supply readings from the same bytes. Whatever arrives, the
 * duties hold: no drive while a fault is latched, a drive within full
 * scale, an opened load switch stays open, limits never wider than the
 * hard ones, no report claims a command its drive does not show, a held
 * fault stays latched until a replug, and the heat the plate limit
 * withholds from the host never passes its bound unlatched. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "fw_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw fw;
	struct fw_config cfg;
	fw_config_reference(&cfg, "FUZZ");
	fw_init(&fw, &cfg, 0);
	uint32_t now = 0;
	bool opened = false, kick = false;
	uint32_t held = 0;
	struct fw_inputs in = {.adc = {30000, 30000, 40000}, .supply_mv = 12000};
	size_t i = 0;
	while (i + 2 <= size) {
		uint8_t op = data[i], len = data[i + 1];
		i += 2;
		size_t n = len < size - i ? len : size - i;
		if (op & 0x80) { /* a tick, with readings from the bytes */
			if (n >= 8) {
				memcpy(&in.adc[op % 3], data + i, 2);
				memcpy(&in.current_ma, data + i + 2, 2);
				memcpy(&in.supply_mv, data + i + 4, 2);
				in.fuse_open = data[i + 6] == 0xff;
			}
			now += 10u * (1u + (op & 0x0f));
			struct fw_outputs out;
			fw_tick(&fw, now, &in, &out);
			assert(out.drive >= -TP_DRIVE_FULL && out.drive <= TP_DRIVE_FULL);
			assert(!fw.faults || out.drive == 0);
			/* the switch opened for a fault stays open until a replug;
			 * it also opens for one tick of a proof (the module's open
			 * voltage), which is not a latch */
			assert(!opened || (!fw.load_switch_closed && !out.load_switch_closed));
			opened = !fw.load_switch_closed;
			/* the hardware watchdog sees every tick that ran to its end */
			assert(out.watchdog_kick != kick);
			kick = out.watchdog_kick;
			/* a held bit (the weld, the bridge, the fuse, the doses, and
			 * an over-current or heat-clamp that repeated) outlives every
			 * request */
			assert((held & fw.faults) == held);
			held = fw.held & fw.faults;
			assert(fw.limits.plate_max_cc <= cfg.hard_limits.plate_max_cc);
			assert(fw.limits.plate_min_cc >= cfg.hard_limits.plate_min_cc);
			assert(fw.limits.sink_max_cc <= cfg.hard_limits.sink_max_cc);
			assert(fw.limits.current_max_ma <= cfg.hard_limits.current_max_ma);
			assert(fw.heat_withheld >= 0.0 && fw.heat_withheld <= 1.0);
			assert(fw.heat_withheld_s < cfg.heat_withheld_max_s || (fw.faults & TP_FAULT_HEAT_CLAMP));
			uint8_t rep[TP_TELEMETRY_LEN];
			struct tp_telemetry t;
			if (fw_take_report(&fw, rep, sizeof rep))
				assert(proto_decode_telemetry(rep, sizeof rep, &t) == PROTO_OK && (!t.faults || !t.drive_applied));
		} else if (op & 0x40) {
			uint8_t buf[TP_FRAME_MAX_LEN];
			int got = fw_control_in(&fw, op & 0x3f, buf, sizeof buf);
			assert(got == -1 || (got > 0 && got <= TP_FRAME_MAX_LEN));
		} else {
			fw_control_out(&fw, op, data + i, n);
		}
		i += n;
	}
	return 0;
}
