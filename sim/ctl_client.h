/* SPDX-License-Identifier: MIT */
/*
 * Client side of the simulator's control socket (see ctl.h): small enough
 * for any test program to link.
 */
#ifndef THERMOPAD_SIM_CTL_CLIENT_H
#define THERMOPAD_SIM_CTL_CLIENT_H

#include <stddef.h>

/* Sends one command line; the reply (ending in "ok" or "error: ...") goes
 * to reply. Returns 0 when it said ok. */
int simctl_client(const char *path, const char *line, char *reply, size_t replylen);

#endif
