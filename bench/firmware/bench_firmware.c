/* SPDX-License-Identifier: MIT */
/*
 * What the firmware alone gives the skin when the host misbehaves: the
 * reference firmware core in the loop with the physical model, and a host
 * that heats or cools forever (also answering every fault with
 * CLEAR_FAULTS), or a bridge stuck at a level, judged on the model's truth.
 * Every pad description given, at its own plate mass and at half and twice
 * it, with its own sensor lag and with the slowest (3.5 s). Prints markdown.
 *   bench_firmware [--hours H] PAD.ini...
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_ini.h"
#include "pad.h"

struct figures {
	double peak_c, low_c; /* true plate */
	double above_43_s, above_43_5_s, below_cold_s, below_8_s;
	double cem43_min; /* on the true plate */
	double cut_s; /* stuck bridge: injection to the load switch opening */
	uint32_t faults;
};

static double cem43_rate(double c)
{
	if (c < 37.0)
		return 0.0;
	return c >= 43.0 ? pow(2.0, c - 43.0) : pow(4.0, c - 43.0);
}

static void host_request(struct pad *pad, uint8_t req, const uint8_t *buf, size_t len)
{
	pad_control_out(pad, req, buf, len);
}

static void send_output(struct pad *pad, uint16_t seq, int16_t drive)
{
	struct tp_set_output o = {seq, drive};
	uint8_t buf[TP_SET_OUTPUT_LEN];
	proto_encode_set_output(&o, buf, sizeof buf);
	host_request(pad, TP_REQ_SET_OUTPUT, buf, sizeof buf);
}

static void send_clear(struct pad *pad)
{
	struct tp_clear_faults c = {0xffffffffu};
	uint8_t buf[TP_CLEAR_FAULTS_LEN];
	proto_encode_clear_faults(&c, buf, sizeof buf);
	host_request(pad, TP_REQ_CLEAR_FAULTS, buf, sizeof buf);
}

static void account(struct figures *f, const struct pad_truth *t, double dt)
{
	f->peak_c = fmax(f->peak_c, t->plate_c);
	f->low_c = fmin(f->low_c, t->plate_c);
	f->above_43_s += t->plate_c > 43.0 ? dt : 0;
	f->above_43_5_s += t->plate_c > 43.5 ? dt : 0;
	f->below_cold_s += t->plate_c < 15.0 ? dt : 0;
	f->below_8_s += t->plate_c < 8.0 ? dt : 0;
	f->cem43_min += cem43_rate(t->plate_c) * dt / 60.0;
}

/* A host that asks for one drive at 10 Hz for the whole run; with spam, it
 * also sends CLEAR_FAULTS every 100 ms whenever a fault shows. */
static void forever(const struct model_params *mp, int16_t drive, bool spam, double hours, struct figures *f)
{
	struct fw_config cfg;
	fw_config_reference(&cfg, "BENCH");
	static struct pad pad;
	pad_init(&pad, mp, &cfg, 4242, 32.0);
	memset(f, 0, sizeof *f);
	f->low_c = 1e9;
	f->peak_c = -1e9;
	uint16_t seq = 0;
	for (double t = 0; t < hours * 3600.0; t += 0.1) {
		if (spam && pad.fw.faults)
			send_clear(&pad);
		send_output(&pad, ++seq, pad.fw.faults ? 0 : drive);
		pad_advance(&pad, 100);
		struct pad_truth tr;
		pad_truth(&pad, &tr);
		account(f, &tr, 0.1);
	}
	f->faults = pad.fw.faults;
}

/* A host heartbeating one drive (zero: idle; else a steady heat or cold
 * hold); a bridge sticks at the given level after 5 minutes; the run goes
 * on for 10 minutes after it. */
static void stuck(const struct model_params *mp, double host_drive, double level, struct figures *f)
{
	struct fw_config cfg;
	fw_config_reference(&cfg, "BENCH");
	static struct pad pad;
	pad_init(&pad, mp, &cfg, 99, 32.0);
	memset(f, 0, sizeof *f);
	f->low_c = 1e9;
	f->peak_c = -1e9;
	f->cut_s = -1;
	uint16_t seq = 0;
	const double at = 300.0;
	for (double t = 0; t < at + 600.0; t += 0.1) {
		if (fabs(t - at) < 0.05) {
			struct pad_fault fault = {.target = FAULT_TEC, .kind = FAULT_KIND_STUCK, .has_value = true,
						  .value = level};
			pad_inject(&pad, &fault);
		}
		/* a healthy host: zero once the pad is faulted (a non-zero drive
		 * would be refused, and feed no watchdog) */
		send_output(&pad, ++seq, pad.fw.faults ? 0 : (int16_t)lround(host_drive * TP_DRIVE_FULL));
		for (int k = 0; k < 10; k++) {
			pad_advance(&pad, PAD_TICK_MS);
			struct pad_truth tr;
			pad_truth(&pad, &tr);
			if (t >= at && f->cut_s < 0 && !tr.switch_closed)
				f->cut_s = t + (k + 1) * 0.01 - at;
			if (t >= at)
				account(f, &tr, 0.01);
		}
	}
	f->faults = pad.fw.faults;
}

static const char *faults_text(uint32_t faults, char *buf, size_t len)
{
	proto_faults_describe(faults, buf, len);
	return buf;
}

int main(int argc, char **argv)
{
	double hours = 2.0;
	int first = 1;
	if (argc > 2 && strcmp(argv[1], "--hours") == 0) {
		hours = atof(argv[2]);
		first = 3;
	}
	printf("Host misbehaving for %.1f h of model time, firmware alone, judged on the true plate.\n\n", hours);
	printf("| pad | plate mass | lag s | host | peak C | s > 43 C | s > 43.5 C | CEM43 min | low C | s < 15 C | s < 8 C | firmware faults |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (int a = first; a < argc; a++) {
		struct model_params base;
		char err[256], names[200];
		if (model_params_load(argv[a], &base, err, sizeof err) != 0) {
			fprintf(stderr, "bench_firmware: %s\n", err);
			return 2;
		}
		const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
		static const double masses[] = {0.5, 1.0, 2.0};
		for (int m = 0; m < 3; m++)
			for (int l = 0; l < 2; l++) {
				struct model_params p = base;
				p.plate_j_per_k *= masses[m];
				if (l)
					p.sensor_lag_s = 3.5;
				static const struct {
					const char *what;
					int16_t drive;
					bool spam;
				} hosts[] = {{"full heat", TP_DRIVE_FULL, false},
					     {"full heat + clear spam", TP_DRIVE_FULL, true},
					     {"full cold", -TP_DRIVE_FULL, false},
					     {"full cold + clear spam", -TP_DRIVE_FULL, true}};
				for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++) {
					struct figures f;
					forever(&p, hosts[h].drive, hosts[h].spam, hours, &f);
					printf("| %s | %.0f J/K | %.1f | %s | %.2f | %.1f | %.1f | %.2f | %.2f | %.0f | %.0f | %s |\n",
					       name, p.plate_j_per_k, p.sensor_lag_s, hosts[h].what, f.peak_c,
					       f.above_43_s, f.above_43_5_s, f.cem43_min, f.low_c, f.below_cold_s,
					       f.below_8_s, faults_text(f.faults, names, sizeof names));
				}
			}
	}
	printf("\nA bridge stuck at a level while the host commands zero (the pad idle), +25 %% (a heat hold near\n"
	       "38 C) or -50 %% (a cold hold near 16 C), after 5 minutes; peak and low for the 10 minutes after it.\n"
	       "Stuck at the very drive commanded (+25 %% at +25 %%, -50 %% at -50 %%), its current is what the\n"
	       "command should give: the drive step the firmware puts out every 500 ms is what sees it.\n\n");
	printf("| pad | plate mass | lag s | host drive | stuck at | cut after s | peak C | low C | firmware faults |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (int a = first; a < argc; a++) {
		struct model_params base;
		char err[256], names[200];
		model_params_load(argv[a], &base, err, sizeof err);
		const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
		static const double masses[] = {0.5, 1.0, 2.0};
		static const double levels[] = {0.1, 0.25, 0.5, 0.8, 1.0, -0.1, -0.25, -0.5, -0.8, -1.0};
		for (int m = 0; m < 3; m++)
			for (int l = 0; l < 2; l++) {
				struct model_params p = base;
				p.plate_j_per_k *= masses[m];
				if (l)
					p.sensor_lag_s = 3.5;
				static const double host_drives[] = {0.0, 0.25, -0.5};
				for (size_t h = 0; h < sizeof host_drives / sizeof host_drives[0]; h++)
					for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
						/* the sessions: the reference mass and its own lag */
						if (h && (m != 1 || l))
							continue;
						struct figures f;
						stuck(&p, host_drives[h], levels[k], &f);
						printf("| %s | %.0f J/K | %.1f | %+.0f %% | %+.0f %% | %.2f | %.2f | %.2f | %s |\n",
						       name, p.plate_j_per_k, p.sensor_lag_s, host_drives[h] * 100,
						       levels[k] * 100, f.cut_s, f.peak_c, f.low_c,
						       faults_text(f.faults, names, sizeof names));
					}
			}
	}
	return 0;
}
