/* SPDX-License-Identifier: MIT */
/*
 * Durability off the control loop: a thread syncs the session logs at
 * least once a second. add gives a slot (-1 when none is free: that log is
 * flushed, not synced); release syncs it a last time and lets it go.
 */
#ifndef THERMOPAD_IO_LOGSYNC_H
#define THERMOPAD_IO_LOGSYNC_H

struct logsync;

struct logsync *logsync_start(void);
int logsync_add(struct logsync *ls, int fd);
void logsync_release(struct logsync *ls, int slot);
void logsync_stop(struct logsync *ls);

#endif
