/* SPDX-License-Identifier: MIT */
/*
 * The pad as the controller believes it to be: a Peltier module between a
 * plate and a heat sink, the plate on tissue that blood flow ties to the
 * body core, sensors that trail what they watch by a first-order lag. The
 * structure is fixed by the physics; the figures are learned per pad
 * (estimator.h) and start from the reference pad's. Pure.
 */
#ifndef THERMOPAD_THERMAL_H
#define THERMOPAD_THERMAL_H

#include <stddef.h>

#define THERMAL_KELVIN 273.15

struct thermal_params {
	double plate_j_per_k, plate_to_ambient_w_per_k;
	double tissue_j_per_k, tissue_to_plate_w_per_k, tissue_to_core_w_per_k, core_c;
	double sink_j_per_k, sink_to_ambient_w_per_k;
	double seebeck_v_per_k, resistance_ohm, conductance_w_per_k;
	double supply_v, current_max_a;
	double sensor_lag_s;
};

/* The reference pad's figures: the prior for a pad never seen before. */
void thermal_params_default(struct thermal_params *p);

/* Heat the module pumps into the plate and into the sink at current i,
 * W (Peltier, half the Joule heat each, conduction back through it). */
void thermal_module_heat(const struct thermal_params *p, double current_a, double plate_c, double sink_c,
			 double *plate_w, double *sink_w);

/* The model's temperatures: the plate, the tissue under it, the heat
 * sink, what the plate and sink sensors read through their lag, and the
 * room's. */
struct thermal_state {
	double plate_c, tissue_c, sink_c, lag_plate_c, lag_sink_c, ambient_c;
};

/* s advanced by dt_s under current i, in n equal steps (at least one). */
void thermal_advance(const struct thermal_params *p, struct thermal_state *s, double current_a, double dt_s, int n);

/* The same for a stretch over which the current varied: its mean and
 * the mean of its square (the Joule heat). */
void thermal_module_heat_mean(const struct thermal_params *p, double current_a, double current_sq_a2, double plate_c,
			      double sink_c, double *plate_w, double *sink_w);

/* One longer step of h_s under a current of that mean and mean square,
 * the sensors exact for nodes that move in a straight line over it
 * (lag_decay = exp(-h_s / sensor_lag_s)). */
void thermal_step_mean(const struct thermal_params *p, struct thermal_state *s, double current_a, double current_sq_a2,
		       double h_s, double lag_decay);

/* One step of h_s, the sensors' share of the way to their node given
 * (lag_share = 1 - exp(-h_s / sensor_lag_s)): for a caller that takes
 * many steps of one length. */
void thermal_step(const struct thermal_params *p, struct thermal_state *s, double current_a, double h_s,
		  double lag_share);

/* The tissue in balance between a plate held at plate_c and the body's
 * core. */
double thermal_tissue_balance(const struct thermal_params *p, double plate_c);

/* The bridge's current for a drive in [-1, 1] (within its limit), and the
 * drive that makes a current. */
double thermal_current(const struct thermal_params *p, double drive, double plate_c, double sink_c);
double thermal_drive_for(const struct thermal_params *p, double current_a, double plate_c, double sink_c);

/* The current that puts plate_w into the plate: the root of the module's
 * quadratic nearest zero, or the strongest cooling the module has when no
 * current gives that much. */
double thermal_current_for_heat(const struct thermal_params *p, double plate_w, double plate_c, double sink_c);

/* Where a fixed drive takes the pad in the end (plate, tissue and sink in
 * balance) at this ambient temperature. */
void thermal_steady(const struct thermal_params *p, double drive, double ambient_c, double *plate_c,
		    double *tissue_c, double *sink_c);

/* The learned figures as INI text (section [model]) and back; other
 * sections are left to their readers. Parse takes only plausible values
 * (within 5x of the reference pad's) and changes nothing on an error. */
size_t thermal_format(const struct thermal_params *p, char *buf, size_t len);
int thermal_parse(const char *text, struct thermal_params *p, char *err, size_t errlen);

#endif
