/* SPDX-License-Identifier: MIT */
/*
 * The plate's true temperature from its sensors by inverting their lag:
 * while the plate moves at r C/s they read tau * r behind, so the reading
 * plus tau times the filtered rate is the plate now. The estimator the PID
 * controller (pid.h) was built on, kept so that the control bench can run
 * it beside the model-based estimator (estimator.h) that replaced it: it
 * differentiates the noise and knows one fixed lag for every pad.
 */
#ifndef THERMOPAD_LAGINV_H
#define THERMOPAD_LAGINV_H

#include <stdbool.h>

struct laginv {
	double lag_s; /* the sensors' time constant */
	double filter_s; /* smoothing of the rate */
	bool started;
	double last_t, last_y;
	double rate; /* filtered dy/dt */
	double estimate;
};

void laginv_init(struct laginv *e, double lag_s, double filter_s);
/* Feed a reading y at time t; returns the estimate. */
double laginv_update(struct laginv *e, double t, double y);

#endif
