/* SPDX-License-Identifier: MIT */
/*
 * Physical model of a Peltier pad on skin: lumped thermal nodes (plate,
 * tissue, heat sink) driven by a thermoelectric module from an H-bridge,
 * plus the sensors that watch them. Pure: no I/O, no clock, no globals;
 * time is whatever the caller integrates. The simulator, the control
 * benchmark and the tests share it.
 */
#ifndef THERMOPAD_MODEL_H
#define THERMOPAD_MODEL_H

#include <stdbool.h>
#include <stdint.h>

struct model_params {
	/* thermoelectric module and H-bridge */
	double supply_v; /* 12 V */
	double seebeck_v_per_k; /* S = 0.053 */
	double resistance_ohm; /* R = 2.1 */
	double conductance_w_per_k; /* K = 0.55 */
	double current_max_a; /* 6 A: the bridge's current limit */
	/* plate (skin side, with gel) */
	double plate_j_per_k; /* 80 */
	double plate_to_ambient_w_per_k; /* 0.1 */
	/* tissue under the pad */
	double tissue_j_per_k; /* 350 */
	double tissue_to_plate_w_per_k; /* 1.5 */
	double tissue_to_core_w_per_k; /* 0.8 (blood flow) */
	double core_c; /* 37 */
	/* heat sink and fan */
	double sink_j_per_k; /* 200 */
	double sink_to_ambient_w_per_k; /* 4.0 */
	double sink_to_ambient_fan_failed_w_per_k; /* 0.6 */
	double ambient_c; /* 22 */
	/* integration */
	double step_s; /* fixed inner step, 0.01 s (or smaller) */
	/* sensors: plate A, plate B, heat sink */
	double sensor_lag_s; /* first-order time constant, 1.5 s */
	double sensor_noise_c; /* Gaussian sigma, 0.03 C */
	double sensor_resolution_c; /* 0.01 C */
	double sensor_offset_c[3]; /* a small fixed offset each */
};

/* The shipped reference pad (the figures in the comments above). */
void model_params_reference(struct model_params *p);

struct model {
	struct model_params p;
	double plate_c, tissue_c, sink_c; /* true temperatures */
	double current_a; /* last step's TEC current, signed */
	double voltage_v; /* last step's TEC voltage, signed */
	bool fan_failed;
	bool open_circuit; /* no current path (load switch or fuse open) */
	double supply_scale; /* 1.0 nominal; < 1 for a supply sag, 0 off */
	/* energy bookkeeping since model_init, joules */
	double electrical_j; /* integral of V*I */
	double heat_to_ambient_j; /* plate and sink losses to ambient */
	double heat_to_core_j; /* tissue to core (negative: core warms tissue) */
	double time_s; /* model time since model_init */
	double plate0_c, tissue0_c, sink0_c; /* at model_init, for the balance */
};

/* Start with the plate at plate_c, the heat sink at ambient and the tissue
 * in balance between the body core and the plate. */
void model_init(struct model *m, const struct model_params *p, double plate_c);

/* Advance dt seconds with drive in [-1, 1] (heat positive), integrating in
 * fixed steps of p.step_s (the last one shortened). */
void model_advance(struct model *m, double drive, double dt_s);

/* Heat stored in the three nodes relative to model_init, joules: with the
 * bookkeeping above, electrical_j = stored + to_ambient + to_core (the
 * energy-balance test). */
double model_stored_heat_j(const struct model *m);

/* Sensors: first-order lag, Gaussian noise, fixed offset, resolution. The
 * random source is a state in the struct (seeded), never a global. */
enum model_sensor { MODEL_SENSOR_PLATE_A = 0, MODEL_SENSOR_PLATE_B = 1, MODEL_SENSOR_SINK = 2 };

struct model_sensors {
	double lagged_c[3];
	uint64_t rng;
};

void model_sensors_init(struct model_sensors *s, const struct model *m, uint64_t seed);
/* Advance the lag by dt and return the three readings (deg C, quantised). */
void model_sensors_read(struct model_sensors *s, const struct model *m, double dt_s, double out_c[3]);

#endif
