/* SPDX-License-Identifier: MIT */
/*
 * The tries run the estimator and the controller exactly as the core does,
 * at the telemetry's 10 Hz, against a plant that is the thermal model
 * itself: what differs between the two runs of a try is only where the
 * figures start (the plant, its sensors' offset and their noise are the
 * same for both).
 */
#include "tunecheck.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#define DT_S 0.1
#define SUBSTEPS 2
#define SETTLED_S 15.0
#define HOLD_SETTLED_C 0.05 /* a hold's overshoot counts from within this of the target, net */

static const struct {
	const char *name;
	double plate, lag, offset_c, split_c; /* sensor A reads offset + split, B offset - split */
} plants[] = {
	{"as learned", 1.0, 1.0, 0.0, 0.0},
	{"as learned, its plate sensors reading high", 1.0, 1.0, TUNECHECK_OFFSET_C, 0.0},
	{"as learned, its plate sensors reading low", 1.0, 1.0, -TUNECHECK_OFFSET_C, 0.0},
	{"as learned, its two plate sensors apart", 1.0, 1.0, 0.0, TUNECHECK_OFFSET_C * 0.75},
	{"a lighter plate with a slower sensor", 0.75, 1.3, 0.0, 0.0},
	{"a heavier plate with a faster sensor", 1.33, 0.75, 0.0, 0.0},
};
#define NPLANTS (sizeof plants / sizeof plants[0])

/* Holds have from == to. A strap loosened in a long hold is tried on the
 * pad as learned only: it is the longest try, and what it finds (how
 * the figures wander while little moves) is the pad's, not its sensors'. */
static const struct {
	double from_c, to_c, window_s;
	double loosen_at_s; /* the contact halves here; 0: never */
	bool as_learned_only;
} scenes[] = {
	{32.0, 40.0, 60.0, 0, false},
	{32.0, 20.0, 90.0, 0, false},
	{12.0, 40.0, 90.0, 0, false},
	{40.0, 40.0, 20.0, 0, false},
	{12.0, 12.0, 20.0, 0, false},
	{40.0, 40.0, TUNECHECK_LOOSEN_S + 60.0, TUNECHECK_LOOSEN_S, true},
};
#define NSCENES (sizeof scenes / sizeof scenes[0])

/* A reproducible Gaussian draw (xorshift64, Box-Muller): the two runs of
 * a try see the same noise. */
static double gauss(uint64_t *s)
{
	double u[2];
	for (int k = 0; k < 2; k++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		u[k] = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
	}
	return sqrt(-2.0 * log(u[0])) * cos(2.0 * M_PI * u[1]);
}

/* The plant over one sample interval at a fixed drive; the mean current
 * is what the firmware reports. */
static double plant_advance(const struct thermal_params *p, struct tunecheck_plant *x, double ambient_c, double drive)
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

static struct tunecheck_try *current_try(struct tunecheck *c)
{
	return &c->tries[c->run_try];
}

/* The run of the current try from the current starting point. */
static void run_begin(struct tunecheck *c)
{
	size_t k = c->try_plant[c->run_try], s = c->try_scene[c->run_try];
	struct tunecheck_try *tr = current_try(c);
	tr->plant = plants[k].name;
	tr->hold = scenes[s].from_c == scenes[s].to_c;
	tr->from_c = scenes[s].from_c;
	tr->to_c = scenes[s].to_c;
	c->run_plant = c->learned;
	c->run_plant.plate_j_per_k *= plants[k].plate;
	c->run_plant.sensor_lag_s *= plants[k].lag;
	c->run_offset_c = plants[k].offset_c;
	c->run_split_c = plants[k].split_c;
	c->run_window_s = scenes[s].window_s;
	c->run_loosen_at_s = scenes[s].loosen_at_s;
	estimator_init(&c->est, &c->start[c->run_start]);
	c->est.skin.enabled = false; /* the tries judge the plate's control, not the skin */
	modelctl_init(&c->ctl, &c->mc);
	const struct thermal_params *p = &c->run_plant;
	double g_tp = p->tissue_to_plate_w_per_k, g_tc = p->tissue_to_core_w_per_k, from = tr->from_c;
	c->x = (struct tunecheck_plant){.plate_c = from, .tissue_c = (g_tp * from + g_tc * p->core_c) / (g_tp + g_tc),
					.sink_c = c->ambient_c, .read_plate_c = from, .read_sink_c = c->ambient_c};
	c->run_n = 0;
	c->run_drive = 0;
	c->run_current = 0;
	c->run_settled = false;
	c->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(c->run_try + 1);
	tr->overshoot_c[c->run_start] = 0;
	tr->reach_s[c->run_start] = tr->hold ? 0.0 : INFINITY;
}

/* One sample of the run; false when the run is over. */
static bool run_sample(struct tunecheck *c)
{
	struct tunecheck_try *tr = current_try(c);
	const struct thermal_params *p = &c->run_plant;
	int j = c->run_start;
	double t = c->run_n * DT_S;
	if (t > c->run_window_s)
		return false;
	if (c->run_loosen_at_s > 0 && c->run_n == (int)lround(c->run_loosen_at_s / DT_S))
		c->run_plant.tissue_to_plate_w_per_k *= 0.5;
	double read = c->x.read_plate_c + c->run_offset_c;
	struct estimator_input in = {
		.t = t,
		.plate_c = {read + c->run_split_c + c->noise_c * gauss(&c->rng),
			    read - c->run_split_c + c->noise_c * gauss(&c->rng)},
		.plate_ok = {true, true},
		.sink_c = c->x.read_sink_c + c->noise_c * gauss(&c->rng),
		.sink_ok = true,
		.current_a = c->run_current,
		.voltage_v = c->run_current * p->resistance_ohm + p->seebeck_v_per_k * (c->x.plate_c - c->x.sink_c),
		.voltage_ok = true,
		.drive_applied = c->run_drive,
	};
	estimator_update(&c->est, &in);
	c->run_drive = modelctl_step(&c->ctl, t, tr->to_c, &c->est, 1.0);
	c->run_current = plant_advance(p, &c->x, c->ambient_c, c->run_drive);
	c->run_n++;
	/* net of the offset, as any judge of the true plate must count it:
	 * the sensors' common offset moves where every controller holds */
	double net = c->x.plate_c + c->run_offset_c - tr->to_c;
	if (tr->hold) {
		c->run_settled = c->run_settled || fabs(net) <= HOLD_SETTLED_C;
		if (c->run_settled)
			tr->overshoot_c[j] = fmax(tr->overshoot_c[j], fabs(net));
		return true;
	}
	double dir = tr->to_c > tr->from_c ? 1.0 : -1.0;
	tr->overshoot_c[j] = fmax(tr->overshoot_c[j], net * dir);
	if (isinf(tr->reach_s[j]) && fabs(c->x.plate_c - tr->to_c) <= TUNECHECK_BAND_C)
		tr->reach_s[j] = t + DT_S;
	/* an overshoot comes within seconds of the band */
	return !(t > tr->reach_s[j] + SETTLED_S);
}

static void judge(struct tunecheck *c)
{
	double worst_by = 0;
	c->worst = -1;
	for (int k = 0; k < c->ntries; k++) {
		const struct tunecheck_try *tr = &c->tries[k];
		/* how far past the allowance the tune is, in allowances */
		double by = fmax((tr->overshoot_c[1] - tr->overshoot_c[0]) / TUNECHECK_OVERSHOOT_C,
				 isinf(tr->reach_s[1]) && isinf(tr->reach_s[0])
					 ? 0.0
					 : (tr->reach_s[1] - tr->reach_s[0]) / TUNECHECK_REACH_S);
		if (by > 1.0 && by > worst_by) {
			worst_by = by;
			c->worst = k;
		}
	}
	c->state = c->worst < 0 ? TUNECHECK_PASSED : TUNECHECK_REFUSED;
}

void tunecheck_begin(struct tunecheck *c, const struct thermal_params *learned, double ambient_c, double noise_c,
		     const struct thermal_params *untuned, const struct thermal_params *tuned,
		     const struct modelctl_config *mc)
{
	c->state = TUNECHECK_BUSY;
	c->learned = *learned;
	c->start[0] = *untuned;
	c->start[1] = *tuned;
	c->mc = *mc;
	c->ambient_c = ambient_c;
	c->noise_c = isfinite(noise_c) && noise_c > 0 ? noise_c : 0.0;
	c->ntries = 0;
	for (size_t k = 0; k < NPLANTS; k++)
		for (size_t s = 0; s < NSCENES && c->ntries < TUNECHECK_TRIES; s++)
			if (k == 0 || !scenes[s].as_learned_only) {
				c->try_plant[c->ntries] = (unsigned char)k;
				c->try_scene[c->ntries] = (unsigned char)s;
				c->ntries++;
			}
	c->worst = -1;
	c->run_try = 0;
	c->run_start = 0;
	run_begin(c);
}

enum tunecheck_state tunecheck_advance(struct tunecheck *c, int max_samples)
{
	for (int n = 0; n < max_samples && c->state == TUNECHECK_BUSY; n++) {
		if (run_sample(c))
			continue;
		if (++c->run_start == 2) {
			c->run_start = 0;
			if (++c->run_try == c->ntries) {
				judge(c);
				break;
			}
		}
		run_begin(c);
	}
	return c->state;
}

bool tunecheck_run(struct tunecheck *c, const struct thermal_params *learned, double ambient_c, double noise_c,
		   const struct thermal_params *untuned, const struct thermal_params *tuned,
		   const struct modelctl_config *mc)
{
	tunecheck_begin(c, learned, ambient_c, noise_c, untuned, tuned, mc);
	while (tunecheck_advance(c, 1000) == TUNECHECK_BUSY)
		;
	return c->state == TUNECHECK_PASSED;
}

void tunecheck_measured(const struct estimator *tuned, const struct thermal_params *untuned,
			struct thermal_params *out)
{
	static const struct {
		enum estimator_index i;
		size_t field;
	} figures[] = {
		{EST_LN_PLATE_J, offsetof(struct thermal_params, plate_j_per_k)},
		{EST_LN_LAG, offsetof(struct thermal_params, sensor_lag_s)},
		{EST_LN_CONTACT, offsetof(struct thermal_params, tissue_to_plate_w_per_k)},
		{EST_LN_PERFUSION, offsetof(struct thermal_params, tissue_to_core_w_per_k)},
		{EST_LN_TISSUE_J, offsetof(struct thermal_params, tissue_j_per_k)},
		{EST_LN_SINK_J, offsetof(struct thermal_params, sink_j_per_k)},
		{EST_LN_SINK_G, offsetof(struct thermal_params, sink_to_ambient_w_per_k)},
		{EST_LN_CONDUCTANCE, offsetof(struct thermal_params, conductance_w_per_k)},
		{EST_LN_SEEBECK, offsetof(struct thermal_params, seebeck_v_per_k)},
		{EST_LN_RESISTANCE, offsetof(struct thermal_params, resistance_ohm)},
	};
	estimator_params(tuned, out);
	/* a fresh estimator's spread is the prior's: what nothing measured */
	struct estimator fresh;
	estimator_init(&fresh, untuned);
	for (size_t k = 0; k < sizeof figures / sizeof figures[0]; k++) {
		if (estimator_sd(tuned, figures[k].i) <= TUNECHECK_EVIDENCE * estimator_sd(&fresh, figures[k].i))
			continue;
		*(double *)((char *)out + figures[k].field) = *(const double *)((const char *)untuned + figures[k].field);
	}
}

size_t tunecheck_describe(const struct tunecheck *c, char *buf, size_t len)
{
	if (c->worst < 0)
		return (size_t)snprintf(buf, len,
					"the tune's figures control this pad's model no worse than the untuned ones "
					"(%d tries: heating and cooling steps and holds, on the pad as learned, with its "
					"sensors' offset either way, and its neighbours)",
					c->ntries);
	const struct tunecheck_try *t = &c->tries[c->worst];
	char scene[48];
	if (t->hold)
		snprintf(scene, sizeof scene, "a hold at %.0f C%s", t->to_c,
			 scenes[c->try_scene[c->worst]].loosen_at_s > 0 ? ", the strap loosened" : "");
	else
		snprintf(scene, sizeof scene, "%.0f->%.0f C", t->from_c, t->to_c);
	return (size_t)snprintf(buf, len,
				"the tune's figures would control worse than the untuned ones on this pad's model (%s, "
				"%s: overshoot %.2f C against %.2f C, within %.1f C after %.1f s against %.1f s; "
				"allowed %.2f C and %.1f s more): the tune is not used; the pad keeps learning its figures "
				"in every session, so tune again only if control is poor",
				t->plant, scene, t->overshoot_c[1], t->overshoot_c[0], TUNECHECK_BAND_C, t->reach_s[1], t->reach_s[0],
				TUNECHECK_OVERSHOOT_C, TUNECHECK_REACH_S);
}
