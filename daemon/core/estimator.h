/* SPDX-License-Identifier: MIT */
/*
 * What the plate and the skin are at now, and what the pad is: an extended
 * Kalman filter over the thermal model (thermal.h). Its state holds the
 * plate, the tissue under it, the heat sink, what the plate and sink
 * sensors read through their lag, the split between the two plate
 * sensors' offsets and the room's temperature, and beside them the pad's
 * figures (capacities, contact and blood-flow conductances, the module's
 * S, R and K, the sensors' lag), as logarithms, learned from the same
 * innovations and refined for as long as the pad runs: identification is
 * the filter's own work, with no test signal.
 *
 * Inputs each sample: both plate sensors, the sink sensor, the module's
 * current (the heat it pumps follows from it and the model) and voltage
 * (which pins S and R), and the drive applied (which gives the supply).
 * Noise is filtered through the model, never differentiated; a reading
 * that the model finds impossible (more than 4 sigma off, or frozen while
 * the other sensor moves) is set aside and counted. A live sensor set
 * aside twenty times in a row is one the filter has drifted from: the
 * filter restarts that part of its state from the reading.
 *
 * The skin it reports can be the record fit's (skinfit.h, estimator_fit_skin),
 * fed with the readings the filter used: the filter weighs each reading
 * once, and the split of the heat's way between contact and blood flow
 * shows only over minutes. Pure.
 */
#ifndef THERMOPAD_ESTIMATOR_H
#define THERMOPAD_ESTIMATOR_H

#include <stdbool.h>

#include "skinfit.h"
#include "thermal.h"

enum estimator_index {
	EST_PLATE, EST_TISSUE, EST_SINK, /* true temperatures, C */
	EST_LAG_PLATE, EST_LAG_SINK, /* what the sensors settle to, C */
	EST_SPLIT, /* plate A reads this much above the middle, B below */
	EST_AMBIENT,
	/* the pad's figures: natural logarithms of the thermal_params ones */
	EST_LN_PLATE_J, EST_LN_LAG, EST_LN_CONTACT, EST_LN_PERFUSION, EST_LN_TISSUE_J, EST_LN_SINK_J,
	EST_LN_SINK_G, EST_LN_CONDUCTANCE, EST_LN_SEEBECK, EST_LN_RESISTANCE,
	EST_N
};

enum estimator_sensor { EST_SENSOR_PLATE_A, EST_SENSOR_PLATE_B, EST_SENSOR_SINK, EST_SENSORS };

/* The skin's bounds. What the plate's readings tell of the skin is its
 * heat flow in series with the blood's, not how the two share the way:
 * the filter's figures pick one split, and the bounds say where any other
 * within the range this filter is made for could put the skin (the
 * contact from a strap left loose to a tight one, the blood flow from low
 * to high, the tissue's capacity and the body's core a little either
 * way, the plate anywhere its estimate may be). They are the solutions of
 * the tissue's equation with the worst of those at every instant: the
 * tissue of any such pad stays between them (a scalar comparison: the
 * lower one never rises faster than any pad's tissue could there). */

struct estimator_input {
	double t; /* s */
	double plate_c[2];
	bool plate_ok[2];
	double sink_c;
	bool sink_ok;
	double current_a; /* what flowed since the last sample */
	double voltage_v;
	bool voltage_ok;
	double drive_applied; /* -1..1 */
};

struct estimator {
	struct thermal_params prior;
	bool started;
	double last_t;
	double x[EST_N];
	double P[EST_N][EST_N];
	double supply_v; /* learned from voltage over drive */
	double noise_c; /* plate sensor noise, learned from A - B */
	double last_reading_c[EST_SENSORS];
	double frozen_s[EST_SENSORS]; /* how long a reading has not changed */
	double frozen_from_c[EST_SENSORS]; /* the lagged estimate when it froze */
	double frozen_other_c[EST_SENSORS]; /* the other plate sensor then */
	/* per sensor, for the controller and the supervisor */
	double innovation_c[EST_SENSORS]; /* reading minus prediction */
	double innovation_sd_c[EST_SENSORS]; /* its expected spread */
	bool rejected[EST_SENSORS]; /* the last reading was set aside */
	unsigned long nrejected[EST_SENSORS];
	int reject_run[EST_SENSORS];
	int gated_run; /* samples in a row with every plate reading set aside */
	unsigned long resyncs; /* restarts from the readings */
	double skin_lo_c, skin_hi_c;
	struct skinfit skin; /* the skin from the whole record (off: the filter's own tissue) */
};

/* Start from a pad's figures (the reference's, or a saved calibration). */
void estimator_init(struct estimator *e, const struct thermal_params *prior);

/* A new starting point for the figures (a saved calibration): they are
 * learned again from there, the temperatures are kept. */
void estimator_set_prior(struct estimator *e, const struct thermal_params *prior);

/* One telemetry sample. A gap of more than 5 s restarts the filter's
 * temperatures from the readings (the figures are kept). */
void estimator_update(struct estimator *e, const struct estimator_input *in);

/* The skin from the record fit (skinfit.h) or, off (the default), from the
 * filter's own tissue. Off in the daemon for now: at 1x it costs a pad
 * about 0.3 % of a core, but the end-to-end tests run the daemon at
 * 40-100x, where it added about a third to the test suite's CPU. */
void estimator_fit_skin(struct estimator *e, bool on);

/* The pad's figures as learned so far. */
void estimator_params(const struct estimator *e, struct thermal_params *out);

/* Estimates and their standard deviations. The tissue is the record
 * fit's once it has one (about 20 s after the start), the filter's before. */
double estimator_plate_c(const struct estimator *e);
double estimator_tissue_c(const struct estimator *e);
double estimator_sd(const struct estimator *e, enum estimator_index i);

/* Where the skin is for any pad within the range above: the tissue
 * estimate lies inside. NaN before the first reading. */
void estimator_skin_bounds(const struct estimator *e, double *lo_c, double *hi_c);

#endif
