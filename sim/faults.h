/* SPDX-License-Identifier: MIT */
/*
 * The simulator's fault grammar, one for the command line and the control
 * socket: TARGET:KIND[=VALUE], for example
 *   sensor-a:open  sensor-b:short  sink:stuck  sensor-a:stuck=41.5
 *   sensor-b:noisy=0.5  sensor-a:offset=2.0  sensor-a:ok
 *   fan:fail  fan:ok  tec:stuck=0.8  tec:ok  supply:sag=0.7  supply:ok
 *   fuse:open  fuse:ok  switch:welded  switch:open  switch:ok
 *   mcu:reset  mcu:hang  mcu:dead  mcu:ok  relay:open  relay:welded  relay:ok
 *   usb:stall=3  usb:malformed=5  usb:unplug  usb:replug  all:ok
 *   sensor-a:detached  sink:drift=0.5  tec:reversed  tec:short  fuse:short
 *   fan:slow=0.5  contact:scale=0.4  usb:replay=20
 * Pure parsing; pad.c applies the physical ones, the USB side the rest.
 */
#ifndef THERMOPAD_FAULTS_H
#define THERMOPAD_FAULTS_H

#include <stdbool.h>
#include <stddef.h>

enum fault_target {
	FAULT_SENSOR_A = 0, /* same order as the firmware's sensors */
	FAULT_SENSOR_B = 1,
	FAULT_SENSOR_SINK = 2,
	FAULT_FAN,
	FAULT_TEC,
	FAULT_SUPPLY,
	FAULT_FUSE,
	FAULT_SWITCH, /* the high-side load switch in series with the module */
	FAULT_MCU, /* the microcontroller the firmware runs on */
	FAULT_RELAY, /* the supply relay of the GPIO interlock */
	FAULT_USB,
	FAULT_CONTACT, /* the pad against the skin: the strap, or lifted off */
	FAULT_ALL,
};

enum fault_kind {
	FAULT_KIND_OK, /* clear this target's fault */
	FAULT_KIND_OPEN, /* sensor wire broken; fuse, switch or relay open */
	FAULT_KIND_SHORT, /* sensor shorted; tec: module shorted past the bridge's limiter; fuse bridged */
	FAULT_KIND_STUCK, /* sensor frozen (value: at that C, else where it was); tec at a drive */
	FAULT_KIND_NOISY, /* value: extra Gaussian sigma, C */
	FAULT_KIND_OFFSET, /* value: extra offset, C */
	FAULT_KIND_FAIL, /* fan stopped */
	FAULT_KIND_SAG, /* value: supply scale, 0..1 */
	FAULT_KIND_STALL, /* value: seconds of model time without telemetry */
	FAULT_KIND_MALFORMED, /* value: how many reports to corrupt */
	FAULT_KIND_UNPLUG,
	FAULT_KIND_REPLUG,
	FAULT_KIND_WELDED, /* a switch or relay that stays closed whatever it is told */
	FAULT_KIND_RESET, /* the MCU restarts, staying on the bus */
	FAULT_KIND_HANG, /* the MCU stops; the bridge keeps its last drive until the hardware watchdog acts */
	FAULT_KIND_DEAD, /* the MCU stops and hangs again at every boot: the watchdog keeps it in reset */
	FAULT_KIND_DETACHED, /* sensor off the plate: it reads the air near it */
	FAULT_KIND_DRIFT, /* value: offset growing at C per minute */
	FAULT_KIND_REVERSED, /* module wired backwards */
	FAULT_KIND_SLOW, /* fan: value is the share of its cooling left, 0..1 */
	FAULT_KIND_SCALE, /* contact: value times the skin contact (0: lifted) */
	FAULT_KIND_REPLAY, /* value: how many reports repeat the previous one */
};

struct pad_fault {
	enum fault_target target;
	enum fault_kind kind;
	bool has_value;
	double value;
};

/* Returns 0, or -1 with a message naming what was not understood. */
int faults_parse(const char *spec, struct pad_fault *out, char *err, size_t errlen);

/* The grammar as a list, for a safety case that must cover every fault:
 * rule i as "TARGET:KIND" (the sensor kinds once per sensor); -1 past the
 * end. */
int faults_rule_name(size_t i, char *buf, size_t len);

/* Physical faults are the pad's; usb:* ones belong to the USB side. */
bool faults_is_usb(const struct pad_fault *f);

#endif
