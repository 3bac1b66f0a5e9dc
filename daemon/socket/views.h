/* SPDX-License-Identifier: MIT */
/*
 * What the socket shows of a pad and a plan, as JSON (docs/api.md). A
 * value that was not read (a sensor open, no target while idle) is null.
 */
#ifndef THERMOPAD_SOCKET_VIEWS_H
#define THERMOPAD_SOCKET_VIEWS_H

#include <jansson.h>

#include "core/plan.h"
#include "pad/pad.h"

/* A number rounded to its resolution, or null when it is not finite. */
json_t *view_number(double v);
/* log_path: the pad's session log, or NULL. */
json_t *view_pad(const struct pad_slot *p, const char *log_path);
/* The plan as it will run: cycles expanded, the chosen end applied. */
json_t *view_plan(const struct plan *plan);
double view_plan_hold_s(const struct plan *plan);
/* The steps of a running plan, for a timeline. */
json_t *view_plan_run(const struct plan_run *run);

#endif
