/* SPDX-License-Identifier: MIT */
/*
 * The simulator's control socket: one text line per command, for tests,
 * benches and the demo to inject faults and read the model's truth while a
 * program under test runs.
 *   fault SPEC [SERIAL]   inject (grammar of faults.h)
 *   truth [SERIAL]        key=value line of the pad's true state
 *   time                  model time, s
 *   serials               the pads' serial numbers
 * Every reply ends with a line "ok" or "error: ...".
 */
#ifndef THERMOPAD_SIM_CTL_H
#define THERMOPAD_SIM_CTL_H

#include <stddef.h>

#include "simusb.h"

struct simctl;

int simctl_start(struct simusb *s, const char *path, struct simctl **out, char *err, size_t errlen);
void simctl_stop(struct simctl *c);

/* Runs one command line against the simulator; writes the reply (with its
 * final ok/error line) into out. Shared by the socket and the tests. */
void simctl_execute(struct simusb *s, const char *line, char *out, size_t outlen);

#endif
