/* SPDX-License-Identifier: MIT */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_ini.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform(uint64_t *s, double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng_next(s) >> 11) / 9007199254740992.0);
}

/* a factor drawn evenly on a log scale */
static double factor(uint64_t *s, double lo, double hi)
{
	return exp(uniform(s, log(lo), log(hi)));
}

/* The ranges of issue 15: any pad a person may buy, strapped as they
 * strap it, in the room they use it in. */
void sweep_draw(uint64_t *s, struct model_params *p)
{
	model_params_reference(p);
	p->plate_j_per_k *= factor(s, 0.5, 2.0);
	p->tissue_to_plate_w_per_k *= factor(s, 0.4, 2.5);
	p->tissue_to_core_w_per_k *= factor(s, 0.5, 2.0);
	p->sensor_lag_s = uniform(s, 1.0, 3.5);
	p->sensor_noise_c = uniform(s, 0.0, 0.1);
	for (int i = 0; i < 3; i++)
		p->sensor_offset_c[i] = uniform(s, -0.2, 0.2);
	p->supply_v = uniform(s, 10.1, 13.0); /* the firmware faults below 10 V */
	p->seebeck_v_per_k *= uniform(s, 0.75, 1.25);
	p->resistance_ohm *= uniform(s, 0.75, 1.25);
	p->conductance_w_per_k *= uniform(s, 0.75, 1.25);
	double sink = uniform(s, 0.5, 1.5);
	p->sink_to_ambient_w_per_k *= sink;
	p->sink_j_per_k *= uniform(s, 0.5, 1.5);
	p->ambient_c = uniform(s, 15.0, 32.0);
}

void sweep_loop_init(struct sweep_loop *l, const struct model_params *p, double plate_c, uint64_t seed)
{
	struct fw_config cfg;
	fw_config_reference(&cfg, "BENCH");
	/* the firmware knows its own module, as a pad's maker calibrates it:
	 * its check of the current against the drive (the stuck-bridge cut)
	 * is made with this pad's S and R, not the reference pad's */
	cfg.module_seebeck_uv_per_k = (uint32_t)lround(p->seebeck_v_per_k * 1e6);
	cfg.module_resistance_mohm = (uint16_t)lround(p->resistance_ohm * 1000);
	pad_init(&l->pad, p, &cfg, seed, plate_c);
	l->seq = 0;
	l->t = 0;
	l->record = NULL;
}

void sweep_loop_send(struct sweep_loop *l, double drive)
{
	struct tp_set_output o = {.seq = ++l->seq, .drive = (int16_t)lround(drive * TP_DRIVE_FULL)};
	uint8_t buf[TP_SET_OUTPUT_LEN];
	if (proto_encode_set_output(&o, buf, sizeof buf))
		pad_control_out(&l->pad, TP_REQ_SET_OUTPUT, buf, sizeof buf);
}

bool sweep_loop_sample(struct sweep_loop *l, struct tp_telemetry *tel, struct core_sample *s)
{
	uint8_t buf[TP_FRAME_MAX_LEN];
	uint32_t period_ms = (uint32_t)lround(SWEEP_DT_S * 1000);
	for (uint32_t t = PAD_TICK_MS; t <= period_ms; t += PAD_TICK_MS) {
		pad_advance(&l->pad, PAD_TICK_MS);
		struct sweep_record *r = l->record;
		if (r && r->n < r->cap) {
			r->drive[r->n] = l->pad.module_drive;
			r->open[r->n] = l->pad.model.open_circuit;
			r->n++;
		}
	}
	l->t += SWEEP_DT_S;
	size_t n = pad_take_report(&l->pad, buf, sizeof buf);
	if (!n || proto_decode_telemetry(buf, n, tel) != PROTO_OK)
		return false;
	*s = (struct core_sample){
		.t = l->t,
		.plate_c = {tel->plate_a_cc / 100.0, tel->plate_b_cc / 100.0},
		.plate_ok = {tel->plate_a_cc != TP_TEMP_INVALID, tel->plate_b_cc != TP_TEMP_INVALID},
		.sink_c = tel->sink_cc / 100.0,
		.sink_ok = tel->sink_cc != TP_TEMP_INVALID,
		.current_a = tel->current_ma / 1000.0,
		.voltage_v = tel->voltage_mv / 1000.0,
		.voltage_ok = true,
		.drive_applied = tel->drive_applied / (double)TP_DRIVE_FULL,
		.fw_faults = tel->faults,
		.fw_state = tel->state,
	};
	return true;
}

int sweep_pads(const char *const *paths, int npaths, int nsweep, uint64_t seed, struct sweep_pad *pads,
	       char *err, size_t errlen)
{
	int n = 0;
	for (int i = 0; i < npaths && n < SWEEP_PADS_MAX; i++, n++) {
		if (model_params_load(paths[i], &pads[n].p, err, errlen) != 0)
			return -1;
		const char *base = strrchr(paths[i], '/');
		snprintf(pads[n].name, sizeof pads[n].name, "%s", base ? base + 1 : paths[i]);
	}
	uint64_t rng = seed;
	for (int k = 0; k < nsweep && n < SWEEP_PADS_MAX; k++, n++) {
		sweep_draw(&rng, &pads[n].p);
		snprintf(pads[n].name, sizeof pads[n].name, "sweep-%d", k);
	}
	return n;
}

int sweep_profile(const char *path, const char *name, struct profile *out, char *err, size_t errlen)
{
	static char text[16384];
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot be read", path);
		return -1;
	}
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	struct profile_error perr;
	struct safety_limits lim;
	safety_limits_default(&lim);
	if (profile_parse(text, path, name, &lim, 32.0, out, &perr) != 0) {
		snprintf(err, errlen, "%s", perr.text);
		return -1;
	}
	return 0;
}
