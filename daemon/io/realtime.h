/* SPDX-License-Identifier: MIT */
/*
 * The control loop's thread at a real-time priority, when the system lets
 * it: the shipped unit gives the daemon SCHED_FIFO at REALTIME_PRIORITY
 * before it starts (CPUSchedulingPolicy=, while RestrictRealtime= keeps it
 * from asking for more); run by hand, root, CAP_SYS_NICE or an
 * RLIMIT_RTPRIO let the daemon set it itself. The kernel then runs the
 * tick as soon as it is due, however busy the machine. Clients cannot turn
 * this against the machine: the socket server uses at most half of each
 * 100 ms (socket/server.c).
 */
#ifndef THERMOPAD_IO_REALTIME_H
#define THERMOPAD_IO_REALTIME_H

#include <stddef.h>

#define REALTIME_PRIORITY 10 /* SCHED_FIFO, low among real-time tasks */

enum realtime_outcome {
	REALTIME_ENTERED, /* the daemon set SCHED_FIFO REALTIME_PRIORITY itself */
	REALTIME_GIVEN, /* it already ran at a real-time policy (its service manager); *priority is it */
	REALTIME_REFUSED, /* normal priority; why says in words why and what would grant it */
};

enum realtime_outcome realtime_enter(int *priority, char *why, size_t len);

#endif
