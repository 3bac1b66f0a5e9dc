/* SPDX-License-Identifier: MIT */
/*
 * thermopad.conf: the daemon's own configuration, INI text parsed from
 * memory. The safety envelope can only be narrowed (a value beyond a hard
 * limit is an error, never clamped); every error names the file and line.
 * Keys, units and defaults: docs/config.md.
 */
#ifndef THERMOPAD_CONFIG_H
#define THERMOPAD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "gpio_config.h"
#include "safety.h"

#define CONFIG_PATH_MAX 256

#define CONFIG_SOCKET_DEFAULT "/run/thermopad/thermopad.sock"

struct config {
	struct safety_limits limits;
	unsigned watchdog_ms; /* the firmware watchdog the daemon sets */
	char profiles_dir[CONFIG_PATH_MAX]; /* "" = the built-in default */
	char state_dir[CONFIG_PATH_MAX];
	char socket_path[CONFIG_PATH_MAX]; /* CONFIG_SOCKET_DEFAULT unless set */
	char socket_group[64];
	bool read_only_others; /* users outside the group may read status */
	unsigned max_clients, max_message_bytes, idle_timeout_s, max_output_bytes;
	unsigned log_retention_days, log_retention_mb;
	char pad_serial[32]; /* "" = any pad */
	struct gpio_config gpio;
};

struct config_error {
	int line;
	char text[400]; /* "file:line: message" */
};

void config_defaults(struct config *c);
int config_parse(const char *text, const char *filename, struct config *out, struct config_error *err);

#endif
