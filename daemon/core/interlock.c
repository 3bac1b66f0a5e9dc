/* SPDX-License-Identifier: MIT */
#include "interlock.h"

#include <stdio.h>

void interlock_init(struct interlock *il, uint32_t debounce_ms, bool pressed_at_start, double now)
{
	*il = (struct interlock){.debounce_s = debounce_ms / 1000.0, .released_at = now};
	interlock_on_level(il, pressed_at_start, now);
}

bool interlock_on_level(struct interlock *il, bool pressed, double now)
{
	bool was = il->pressed;
	if (pressed) {
		il->pressed = true;
	} else if (il->reading) {
		il->released_at = now; /* a released reading starts here */
	}
	il->reading = pressed;
	interlock_on_tick(il, now);
	return pressed && !was;
}

void interlock_on_tick(struct interlock *il, double now)
{
	if (il->pressed && !il->reading && now - il->released_at >= il->debounce_s)
		il->pressed = false;
}

void interlock_fail(struct interlock *il)
{
	il->failed = true;
}

int interlock_clear_allowed(const struct interlock *il, char *err, size_t errlen)
{
	if (il->failed) {
		snprintf(err, errlen, "a GPIO line of the interlock failed: the relay stays open until the daemon restarts");
		return -1;
	}
	if (il->pressed) {
		snprintf(err, errlen, "the emergency stop is %s: release it first",
			 il->reading ? "still pressed" : "released only just now (debounce)");
		return -1;
	}
	return 0;
}

struct interlock_outputs interlock_outputs(const struct interlock *il, const struct interlock_pad *pads, int n)
{
	struct interlock_outputs o = {.fault = il->pressed || il->failed};
	bool any_running = false, all_healthy = true;
	for (int i = 0; i < n; i++) {
		if (pads[i].fault) /* one relay feeds every pad: any fault opens it */
			o.fault = true, all_healthy = false;
		if (pads[i].present && pads[i].running && !pads[i].fault) {
			any_running = true;
			o.heat |= pads[i].heating;
			o.cold |= pads[i].cooling;
		}
	}
	o.relay = any_running && all_healthy && !il->pressed && !il->failed;
	if (!o.relay)
		o.heat = o.cold = false;
	return o;
}
