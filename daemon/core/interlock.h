/* SPDX-License-Identifier: MIT */
/*
 * The hardware interlock's decisions, pure: when the emergency stop counts
 * as pressed or released, whether a fault may be cleared, whether the
 * power relay may close, and what the lights show. The daemon reads the
 * lines, calls these, and drives the lines with the answers.
 *
 * A press acts at once, without debounce: a bouncing contact must never
 * delay a stop. A release counts only after the button has read released
 * for debounce_ms without interruption.
 */
#ifndef THERMOPAD_INTERLOCK_H
#define THERMOPAD_INTERLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct interlock {
	double debounce_s;
	bool pressed; /* as acted on */
	bool reading; /* the last level read */
	double released_at; /* when the current released reading began */
	bool failed; /* a line failed at run time: latched */
};

/* What the relay and lights depend on, per pad. */
struct interlock_pad {
	bool present;
	bool running; /* a session is heating or cooling (not paused, not stopping) */
	bool fault; /* a fault is latched */
	bool heating, cooling; /* the phase under way */
};

struct interlock_outputs {
	bool relay; /* energised: the pad gets power */
	bool heat, cold, fault; /* lights */
};

void interlock_init(struct interlock *il, uint32_t debounce_ms, bool pressed_at_start, double now);

/* A level read at time now; true when this reading is a new press (the
 * caller zeroes the drive and latches "emergency-stop" on every pad). */
bool interlock_on_level(struct interlock *il, bool pressed, double now);

/* Time passing: a release becomes effective after the debounce. */
void interlock_on_tick(struct interlock *il, double now);

/* A line failed: from now on the relay stays open and faults stay. */
void interlock_fail(struct interlock *il);

/* 0, or -1 with why a person may not clear faults yet. */
int interlock_clear_allowed(const struct interlock *il, char *err, size_t errlen);

/* Energised only while some pad runs a session, every present pad is
 * healthy, the button is released and no line has failed. */
struct interlock_outputs interlock_outputs(const struct interlock *il, const struct interlock_pad *pads, int n);

#endif
