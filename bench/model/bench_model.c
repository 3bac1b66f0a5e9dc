/* SPDX-License-Identifier: MIT */
/*
 * The published figures of a pad description: how fast the plate can go at
 * full drive (the physical limit every controller is compared with), and
 * where it ends up. Prints markdown.
 *   bench_model [--model FILE]
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "model_ini.h"

static double time_to(const struct model_params *p, double from, double to, double drive, struct model *m)
{
	model_init(m, p, from);
	double t = 0;
	while ((drive > 0 ? m->plate_c < to : m->plate_c > to) && t < 3600) {
		model_advance(m, drive, 0.01);
		t += 0.01;
	}
	return t;
}

int main(int argc, char **argv)
{
	struct model_params p;
	model_params_reference(&p);
	const char *name = "reference pad (built in)";
	if (argc == 3 && strcmp(argv[1], "--model") == 0) {
		char err[256];
		if (model_params_load(argv[2], &p, err, sizeof err) != 0) {
			fprintf(stderr, "bench_model: %s\n", err);
			return 2;
		}
		name = argv[2];
	}
	struct model m;
	printf("## Physical model: %s\n\n| figure | value |\n| --- | --- |\n", name);
	printf("| 32 -> 40 C at full heating | %.2f s |\n", time_to(&p, 32, 40, 1.0, &m));
	double cool = time_to(&p, 40, 12, -1.0, &m);
	printf("| 40 -> 12 C at full cooling | %.1f s (heat sink then %.1f C) |\n", cool, m.sink_c);
	printf("| 12 -> 40 C at full heating | %.2f s |\n", time_to(&p, 12, 40, 1.0, &m));
	model_init(&m, &p, 32);
	model_advance(&m, 1.0, 3000);
	printf("| full heating, steady plate (no limit) | %.1f C |\n", m.plate_c);
	model_init(&m, &p, 32);
	model_advance(&m, -1.0, 3000);
	printf("| full cooling, steady plate / heat sink | %.1f C / %.1f C |\n", m.plate_c, m.sink_c);
	model_init(&m, &p, 32);
	m.fan_failed = true;
	model_advance(&m, -1.0, 5000);
	printf("| fan failed, full cooling: plate / heat sink | %.1f C / %.1f C |\n", m.plate_c, m.sink_c);
	double balance = (model_stored_heat_j(&m) + m.heat_to_ambient_j + m.heat_to_core_j) / m.electrical_j;
	printf("| energy balance over that run (heat out / electrical in) | %.6f |\n", balance);
	return 0;
}
