/* SPDX-License-Identifier: MIT */
/*
 * The plate's true temperature from its sensors. The sensors trail the
 * plate by a first-order lag (1.5 s on the reference pad): while the plate
 * moves at r C/s they read tau * r behind. Inverting the lag (reading plus
 * tau times the filtered rate) gives the controller the temperature the
 * skin gets now, which is what lets it stop heating before it overshoots.
 */
#ifndef THERMOPAD_ESTIMATOR_H
#define THERMOPAD_ESTIMATOR_H

#include <stdbool.h>

struct estimator {
	double lag_s; /* the sensors' time constant */
	double filter_s; /* smoothing of the rate */
	bool started;
	double last_t, last_y;
	double rate; /* filtered dy/dt */
	double estimate;
};

void estimator_init(struct estimator *e, double lag_s, double filter_s);
/* Feed a reading y at time t; returns the estimate. */
double estimator_update(struct estimator *e, double t, double y);

#endif
