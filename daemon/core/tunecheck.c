/* SPDX-License-Identifier: MIT */
/*
 * The tries run the estimator and the controller exactly as the core does,
 * at the telemetry's 10 Hz, against a plant that is the thermal model
 * itself with clean readings: what differs between two tries of a pair is
 * only where the figures start.
 */
#include "tunecheck.h"

#include <math.h>
#include <stdio.h>

#include "estimator.h"

#define DT_S 0.1
#define SUBSTEPS 2
#define SETTLED_S 15.0

static const struct {
	const char *name;
	double plate, lag;
} neighbours[] = {
	{"as learned", 1.0, 1.0},
	{"a lighter plate with a slower sensor", 0.75, 1.3},
	{"a heavier plate with a faster sensor", 1.33, 0.75},
};

static const struct {
	double from_c, to_c, window_s;
} steps[] = {
	{32.0, 40.0, 60.0},
	{32.0, 20.0, 90.0},
};

struct plant {
	double plate_c, tissue_c, sink_c, read_plate_c, read_sink_c;
};

/* The plant over one sample interval at a fixed drive; the mean current
 * is what the firmware reports. */
static double plant_advance(const struct thermal_params *p, struct plant *x, double ambient_c, double drive)
{
	double h = DT_S / SUBSTEPS, sum_a = 0;
	double alpha = 1.0 - exp(-h / p->sensor_lag_s);
	for (int k = 0; k < SUBSTEPS; k++) {
		double i = thermal_current(p, drive, x->plate_c, x->sink_c), qp, qs;
		thermal_module_heat(p, i, x->plate_c, x->sink_c, &qp, &qs);
		double contact = p->tissue_to_plate_w_per_k * (x->plate_c - x->tissue_c);
		double dtp = (qp - p->plate_to_ambient_w_per_k * (x->plate_c - ambient_c) - contact) / p->plate_j_per_k;
		double dtt = (contact - p->tissue_to_core_w_per_k * (x->tissue_c - p->core_c)) / p->tissue_j_per_k;
		double dts = (qs - p->sink_to_ambient_w_per_k * (x->sink_c - ambient_c)) / p->sink_j_per_k;
		x->plate_c += dtp * h;
		x->tissue_c += dtt * h;
		x->sink_c += dts * h;
		x->read_plate_c += (x->plate_c - x->read_plate_c) * alpha;
		x->read_sink_c += (x->sink_c - x->read_sink_c) * alpha;
		sum_a += i;
	}
	return sum_a / SUBSTEPS;
}

static void try_one(const struct thermal_params *plant, double ambient_c, const struct thermal_params *prior,
		    const struct modelctl_config *mc, double from_c, double to_c, double window_s, double *overshoot_c,
		    double *reach_s)
{
	struct estimator est;
	struct modelctl ctl;
	estimator_init(&est, prior);
	modelctl_init(&ctl, mc);
	double g_tp = plant->tissue_to_plate_w_per_k, g_tc = plant->tissue_to_core_w_per_k;
	struct plant x = {.plate_c = from_c, .tissue_c = (g_tp * from_c + g_tc * plant->core_c) / (g_tp + g_tc),
			  .sink_c = ambient_c, .read_plate_c = from_c, .read_sink_c = ambient_c};
	double dir = to_c > from_c ? 1.0 : -1.0, drive = 0, current = 0;
	*overshoot_c = 0;
	*reach_s = INFINITY;
	for (int n = 0; n * DT_S <= window_s; n++) {
		double t = n * DT_S;
		struct estimator_input in = {
			.t = t,
			.plate_c = {x.read_plate_c, x.read_plate_c},
			.plate_ok = {true, true},
			.sink_c = x.read_sink_c,
			.sink_ok = true,
			.current_a = current,
			.voltage_v = current * plant->resistance_ohm + plant->seebeck_v_per_k * (x.plate_c - x.sink_c),
			.voltage_ok = true,
			.drive_applied = drive,
		};
		estimator_update(&est, &in);
		drive = modelctl_step(&ctl, t, to_c, &est, 1.0);
		current = plant_advance(plant, &x, ambient_c, drive);
		double past = (x.plate_c - to_c) * dir;
		*overshoot_c = fmax(*overshoot_c, past);
		if (isinf(*reach_s) && fabs(x.plate_c - to_c) <= TUNECHECK_BAND_C)
			*reach_s = t + DT_S;
		if (t > *reach_s + SETTLED_S)
			break; /* an overshoot comes within seconds of the band */
	}
}

bool tunecheck_run(const struct thermal_params *plant, double ambient_c, const struct thermal_params *untuned,
		   const struct thermal_params *tuned, const struct modelctl_config *mc, struct tunecheck *out)
{
	out->ntries = 0;
	out->worst = -1;
	double worst_by = 0;
	for (size_t k = 0; k < sizeof neighbours / sizeof neighbours[0]; k++) {
		struct thermal_params p = *plant;
		p.plate_j_per_k *= neighbours[k].plate;
		p.sensor_lag_s *= neighbours[k].lag;
		for (size_t s = 0; s < sizeof steps / sizeof steps[0] && out->ntries < TUNECHECK_TRIES; s++) {
			struct tunecheck_try *tr = &out->tries[out->ntries];
			tr->plant = neighbours[k].name;
			tr->from_c = steps[s].from_c;
			tr->to_c = steps[s].to_c;
			const struct thermal_params *start[2] = {untuned, tuned};
			for (int j = 0; j < 2; j++)
				try_one(&p, ambient_c, start[j], mc, steps[s].from_c, steps[s].to_c, steps[s].window_s,
					&tr->overshoot_c[j], &tr->reach_s[j]);
			/* how far past the allowance the tune is, in allowances */
			double by = fmax((tr->overshoot_c[1] - tr->overshoot_c[0]) / TUNECHECK_OVERSHOOT_C,
					 isinf(tr->reach_s[1]) && isinf(tr->reach_s[0])
						 ? 0.0
						 : (tr->reach_s[1] - tr->reach_s[0]) / TUNECHECK_REACH_S);
			if (by > 1.0 && by > worst_by) {
				worst_by = by;
				out->worst = out->ntries;
			}
			out->ntries++;
		}
	}
	return out->worst < 0;
}

size_t tunecheck_describe(const struct tunecheck *c, char *buf, size_t len)
{
	if (c->worst < 0)
		return (size_t)snprintf(buf, len,
					"the tune's figures control this pad's model no worse than the untuned ones "
					"(%d tries: heating and cooling steps, on the pad as learned and its neighbours)",
					c->ntries);
	const struct tunecheck_try *t = &c->tries[c->worst];
	return (size_t)snprintf(buf, len,
				"the tune's figures would control worse than the untuned ones on this pad's model (%s, "
				"%.0f->%.0f C: overshoot %.2f C against %.2f C, within %.1f C after %.1f s against %.1f s; "
				"allowed %.2f C and %.1f s more): the tune is not used; the pad keeps learning its figures "
				"in every session, so tune again only if control is poor",
				t->plant, t->from_c, t->to_c, t->overshoot_c[1], t->overshoot_c[0], TUNECHECK_BAND_C,
				t->reach_s[1], t->reach_s[0], TUNECHECK_OVERSHOOT_C, TUNECHECK_REACH_S);
}
