/* SPDX-License-Identifier: MIT */
/*
 * The control loop's thread at a real-time priority, when the system lets
 * it (root, CAP_SYS_NICE, or an RLIMIT_RTPRIO such as systemd's
 * LimitRTPRIO=): the kernel then runs the tick as soon as it is due,
 * however busy the machine. Clients cannot turn this against the machine:
 * the socket server uses at most half of each 100 ms (socket/server.c).
 */
#ifndef THERMOPAD_IO_REALTIME_H
#define THERMOPAD_IO_REALTIME_H

#include <stddef.h>

#define REALTIME_PRIORITY 10 /* SCHED_FIFO, low among real-time tasks */

/* 0, or -1 with why the loop stays at a normal priority. */
int realtime_enter(char *why, size_t len);

#endif
