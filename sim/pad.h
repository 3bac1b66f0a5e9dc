/* SPDX-License-Identifier: MIT */
/*
 * One simulated pad: the reference firmware core in the loop with the
 * physical model, its sensors, the NTC front end, the independent thermal
 * fuse, and whatever faults were injected. Pure: the caller advances model
 * time; the USB side, the control benchmark and the tests all drive it.
 */
#ifndef THERMOPAD_PAD_H
#define THERMOPAD_PAD_H

#include "faults.h"
#include "fw_core.h"
#include "model.h"

#define PAD_TICK_MS 10 /* the firmware's main loop period */
#define PAD_FUSE_OPEN_C 48.0 /* the hardware fuse's trip temperature */
/* The hardware cold cut-out (firmware-spec/PROTOCOL.md, the reference
 * design): a comparator on an NTC of its own on the plate opens the
 * module's circuit, in series with the fuse, when that sensor reads below
 * this; it latches until the pad loses power (unplugged). */
#define PAD_COLD_CUTOUT_C 9.0
/* The independent hardware watchdog (PROTOCOL.md 6.16, the reference
 * design): its own clock; the firmware's kick line must change at least
 * this often, else it holds the MCU in reset, and the reset's pull-downs
 * hold the bridge's gates and the load switch's enable off. */
#define PAD_MCU_WATCHDOG_MS 50

struct pad_sensor_fault {
	enum fault_kind kind; /* OK, OPEN, SHORT, STUCK, DETACHED */
	double stuck_c;
	double extra_noise_c;
	double extra_offset_c;
	double drift_c_per_min; /* added to the offset as time goes by */
	double air_c; /* DETACHED: the sensor's own temperature in the air */
};

struct pad {
	struct model model;
	struct model_params nominal; /* as described, before faults changed it */
	struct model_sensors sensors;
	struct fw fw;
	uint32_t time_ms; /* model time */
	double readings_c[3]; /* last sensor outputs before faults */
	struct pad_sensor_fault sensor_fault[3];
	bool tec_stuck; /* the bridge stuck at a level, either polarity */
	double tec_stuck_drive;
	bool tec_reversed; /* wired backwards: heat where cooling was asked */
	bool fuse_open; /* latched by heat, or injected */
	bool fuse_injected;
	/* the high-side load switch in series with the module: the firmware
	 * opens it; a welded one stays closed, a failed one stays open */
	bool switch_welded, switch_failed_open, switch_closed;
	/* the supply relay of the GPIO interlock: closed unless a host that
	 * owns the relay line opens it (pad_set_relay) */
	bool relay_commanded_closed, relay_welded, relay_failed_open;
	double supply_sag; /* supply:sag, times nominal */
	bool mcu_hung; /* the firmware no longer runs; outputs stay as they were */
	bool mcu_dead; /* ... and it hangs again at every boot (mcu:dead) */
	struct fw_outputs fw_out; /* the firmware's last outputs */
	/* the hardware watchdog: the kick line's last level, when it last
	 * changed, and how often the watchdog has reset the MCU */
	bool watchdog_level;
	uint32_t watchdog_kicked_ms;
	unsigned watchdog_resets;
	bool fuse_shorted; /* bridged: it never opens, whatever the heat */
	double cutout_sensor_c; /* the cold cut-out's own sensor (lags like the others) */
	bool cold_cutout_open; /* latched until power goes */
	uint64_t fault_rng;
	bool unpowered; /* unplugged: no firmware, no drive */
	/* the current sense as the firmware reads it: Gaussian noise and an
	 * offset (0 by default: the model's current exactly) */
	double current_noise_a, current_offset_a;
	int16_t fw_drive; /* what the firmware commanded */
	double module_drive; /* what reached the module */
};

struct pad_truth {
	double time_s;
	double plate_c, tissue_c, sink_c;
	double current_a, voltage_v;
	double module_drive; /* -1..1, after stuck-TEC and fuse */
	int16_t fw_drive;
	uint32_t fw_faults;
	uint8_t fw_state;
	bool fan_failed, fuse_open;
	bool cold_cutout_open; /* the hardware cold cut-out has opened */
	bool switch_closed; /* the load switch conducts */
	bool relay_closed; /* the supply relay conducts */
	bool mcu_hung;
	unsigned watchdog_resets; /* the hardware watchdog has acted this often */
	double supply_v; /* what the bridge gets */
	double electrical_j, heat_to_ambient_j, heat_to_core_j, stored_j;
};

void pad_init(struct pad *pad, const struct model_params *params, const struct fw_config *cfg, uint64_t seed,
	      double start_plate_c);

/* Advance model time by whole firmware ticks (dt_ms rounded down to them). */
void pad_advance(struct pad *pad, uint32_t dt_ms);

int pad_control_in(struct pad *pad, uint8_t request, uint8_t *buf, size_t cap);
int pad_control_out(struct pad *pad, uint8_t request, const uint8_t *data, size_t len);
size_t pad_take_report(struct pad *pad, uint8_t *buf, size_t cap);

/* USB unplug cuts the pad's logic power; a replug boots the firmware
 * afresh (limits, faults and watchdog back to their defaults). */
void pad_set_powered(struct pad *pad, bool on);

/* The GPIO interlock's relay line, as a host that owns it drives it: open
 * cuts the pad's supply (the firmware then sees its supply at zero). */
void pad_set_relay(struct pad *pad, bool closed);

/* The MCU restarts while staying on the bus (a brown-out or its own
 * watchdog): the firmware boots afresh, USB stays attached. */
void pad_mcu_reset(struct pad *pad);

/* Physical faults only (faults_is_usb() ones are refused with -1). */
int pad_inject(struct pad *pad, const struct pad_fault *fault);

void pad_truth(const struct pad *pad, struct pad_truth *out);

#endif
