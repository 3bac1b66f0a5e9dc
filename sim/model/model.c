/* SPDX-License-Identifier: MIT */
/*
 * Lumped thermal model of a Peltier pad on skin. Explicit Euler with every
 * flow of a step computed from the same state, and the energy ledger fed
 * from those very flows: the balance then holds to rounding, which is what
 * lets a test catch a wrong sign or a lost term.
 */
#include "model.h"

#include <math.h>
#include <string.h>

#define KELVIN 273.15

void model_params_reference(struct model_params *p)
{
	memset(p, 0, sizeof *p);
	p->supply_v = 12.0;
	p->seebeck_v_per_k = 0.053;
	p->resistance_ohm = 2.1;
	p->conductance_w_per_k = 0.55;
	p->current_max_a = 6.0;
	p->plate_j_per_k = 80.0;
	p->plate_to_ambient_w_per_k = 0.1;
	p->tissue_j_per_k = 350.0;
	p->tissue_to_plate_w_per_k = 1.5;
	p->tissue_to_core_w_per_k = 0.8;
	p->core_c = 37.0;
	p->sink_j_per_k = 200.0;
	p->sink_to_ambient_w_per_k = 4.0;
	p->sink_to_ambient_fan_failed_w_per_k = 0.6;
	p->ambient_c = 22.0;
	p->step_s = 0.01;
	p->sensor_lag_s = 1.5;
	p->sensor_noise_c = 0.03;
	p->sensor_resolution_c = 0.01;
	p->sensor_offset_c[0] = 0.04;
	p->sensor_offset_c[1] = -0.03;
	p->sensor_offset_c[2] = 0.05;
}

void model_init(struct model *m, const struct model_params *p, double plate_c)
{
	memset(m, 0, sizeof *m);
	m->p = *p;
	m->plate_c = plate_c;
	double g_tp = p->tissue_to_plate_w_per_k, g_tc = p->tissue_to_core_w_per_k;
	m->tissue_c = (g_tp * plate_c + g_tc * p->core_c) / (g_tp + g_tc);
	m->sink_c = p->ambient_c;
	m->supply_scale = 1.0;
	m->plate0_c = m->plate_c;
	m->tissue0_c = m->tissue_c;
	m->sink0_c = m->sink_c;
}

static void step(struct model *m, double drive, double dt)
{
	const struct model_params *p = &m->p;
	double dT = m->plate_c - m->sink_c;
	double s = p->seebeck_v_per_k, r = p->resistance_ohm;
	double i = (drive * p->supply_v * m->supply_scale - s * dT) / r;
	if (i > p->current_max_a)
		i = p->current_max_a;
	if (i < -p->current_max_a)
		i = -p->current_max_a;
	/* an open circuit carries nothing: even the Seebeck current stops */
	if (m->open_circuit)
		i = 0.0;
	/* the bridge sets the terminal voltage that drives this current (open:
	 * the module's own Seebeck voltage) */
	double v = i * r + s * dT;
	double joule_half = i * i * r / 2.0;
	double back = p->conductance_w_per_k * dT;
	double q_plate = s * i * (m->plate_c + KELVIN) + joule_half - back;
	double q_sink = -s * i * (m->sink_c + KELVIN) + joule_half + back;

	double plate_amb = p->plate_to_ambient_w_per_k * (m->plate_c - p->ambient_c);
	double plate_tis = p->tissue_to_plate_w_per_k * (m->plate_c - m->tissue_c);
	double tis_core = p->tissue_to_core_w_per_k * (m->tissue_c - p->core_c);
	double g_sink = m->fan_failed ? p->sink_to_ambient_fan_failed_w_per_k : p->sink_to_ambient_w_per_k;
	double sink_amb = g_sink * (m->sink_c - p->ambient_c);

	m->plate_c += (q_plate - plate_amb - plate_tis) * dt / p->plate_j_per_k;
	m->tissue_c += (plate_tis - tis_core) * dt / p->tissue_j_per_k;
	m->sink_c += (q_sink - sink_amb) * dt / p->sink_j_per_k;

	m->current_a = i;
	m->voltage_v = v;
	m->electrical_j += v * i * dt;
	m->heat_to_ambient_j += (plate_amb + sink_amb) * dt;
	m->heat_to_core_j += tis_core * dt;
	m->time_s += dt;
}

void model_advance(struct model *m, double drive, double dt_s)
{
	if (drive > 1.0)
		drive = 1.0;
	if (drive < -1.0)
		drive = -1.0;
	if (!(drive == drive))
		drive = 0.0; /* NaN: no drive */
	double h = m->p.step_s > 0 ? m->p.step_s : 0.01;
	while (dt_s > 1e-12) {
		double dt = dt_s < h ? dt_s : h;
		step(m, drive, dt);
		dt_s -= dt;
	}
}

double model_stored_heat_j(const struct model *m)
{
	const struct model_params *p = &m->p;
	return p->plate_j_per_k * (m->plate_c - m->plate0_c) +
	       p->tissue_j_per_k * (m->tissue_c - m->tissue0_c) +
	       p->sink_j_per_k * (m->sink_c - m->sink0_c);
}
