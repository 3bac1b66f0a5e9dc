/* SPDX-License-Identifier: MIT */
/*
 * safety-endurance: a day of realistic use on every pad, with no false
 * trip allowed, judged on the model's truth.
 *
 *   safety-endurance --pads DIR --profiles DIR [--hours H] [--noise C]
 *                    [--seed N] [--report FILE]
 *
 * The safety case's in-process host (the firmware core and the physical
 * model under the daemon's own pad module, scenario_host_*) runs each
 * shipped profile in turn, each started as soon as the last has ended and
 * the host admits it (its dose ledger asks for rests: a refused profile
 * gives way to the next one it admits; none, and it asks again a minute
 * later). Meanwhile the strap is loosened or
 * tightened a little now and then (the skin contact 0.8-1.25 of the pad's
 * own) and the room drifts (22 C, 3 C either way over the day, and a slow
 * wander of up to 1 C). Every fault either layer latches is a false trip:
 * it is printed whole, counted, cleared as a person would, and the day
 * goes on. The figures: the true plate and tissue extremes and the
 * heat dose on truth, each supervisor check's closest approach to its
 * limit (safety_nearest) and the firmware's own bounds' closest
 * approach, and the CPU time. Exit 1 on any trip or a truth bound missed.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "exposure.h"
#include "faults.h"
#include "model_ini.h"
#include "pad.h"
#include "pad/pad.h"
#include "pid.h"
#include "profile.h"
#include "safety.h"
#include "scenario.h"

#define MAX_PADS 16
#define REFUSALS_SHOWN 5 /* a pad's first refusals, whole */
#define MAX_PROFILES 16
#define REFUSED_RETRY_S 60.0 /* a refused start is asked again after this */
#define PERSON_GAP_S 120.0 /* between one session's end and the next start */
#define STRAP_MEAN_S 1500.0 /* the strap is touched every 25 min on average */
#define STRAP_MIN 0.8
#define STRAP_MAX 1.25
#define ROOM_MEAN_C 22.0
#define ROOM_SWING_C 3.0
#define ROOM_WANDER_C 1.0
/* the true plate's bounds a healthy day must keep (the hazard table's) */
#define TRUE_PLATE_MAX_C 43.5
#define TRUE_PLATE_MIN_C 8.0
#define TRUE_TISSUE_MAX_C 43.0

struct profile_file {
	char name[64];
	struct profile prof;
};

/* The firmware's own bounds: how close the day came to each. */
struct fw_near {
	double plate_hi_c, plate_lo_c, dose_cem43_min, cold_s, deep_cold_s;
	int bridge_unanswered, seebeck_disagreed;
};

struct day {
	double cpu_s, hours;
	int sessions, refusals, trips, strap_changes, ended_early;
	double room_min_c, room_max_c, strap_min, strap_max;
	struct exposure exp; /* the whole day, on truth */
	double session_cem43_max; /* the largest heat dose of one session, on truth */
	char outcomes[256];
	struct safety_nearest nearest[SAFETY_NEAR_N];
	struct fw_near fw;
	int warnings[8];
	bool ran[MAX_PROFILES];
};

static const char *const warning_codes[8] = {"out-of-reach", "cooling-limited", "sink-hot", "telemetry-gap",
					     "stale-telemetry", NULL, NULL, NULL};

/* splitmix64: the day's own random source, from the seed */
static double uniform(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static int load_profiles(const char *dir, const struct safety_limits *lim, struct profile_file *out, int max)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "safety-endurance: %s: cannot open the profiles\n", dir);
		return -1;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		char name[64], path[512];
		if (profile_name_from_filename(e->d_name, name, sizeof name) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		char text[8192];
		size_t len = fread(text, 1, sizeof text - 1, f);
		fclose(f);
		text[len] = '\0';
		struct profile_error pe;
		if (profile_parse(text, path, name, lim, PID_NEUTRAL_C, &out[n].prof, &pe) != 0) {
			fprintf(stderr, "safety-endurance: %s\n", pe.text);
			closedir(d);
			return -1;
		}
		snprintf(out[n].name, sizeof out[n].name, "%s", name);
		n++;
	}
	closedir(d);
	/* in name order: the day repeats exactly */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(out[j - 1].name, out[j].name) > 0; j--) {
			struct profile_file t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static void set_room(struct pad *pad, double c)
{
	pad->model.p.ambient_c = c;
	pad->nominal.ambient_c = c;
}

static void set_strap(struct pad *pad, double scale)
{
	struct pad_fault f = {.target = FAULT_CONTACT, .kind = FAULT_KIND_SCALE, .has_value = true, .value = scale};
	pad_inject(pad, &f);
}

static void note_fw(struct day *d, const struct fw *fw)
{
	d->fw.plate_hi_c = fmax(d->fw.plate_hi_c, fw->plate_hi_c);
	d->fw.plate_lo_c = fmin(d->fw.plate_lo_c, fw->plate_lo_c);
	d->fw.dose_cem43_min = fmax(d->fw.dose_cem43_min, fw->dose_cem43_min);
	d->fw.cold_s = fmax(d->fw.cold_s, fw->cold_s);
	d->fw.deep_cold_s = fmax(d->fw.deep_cold_s, fw->deep_cold_s);
	if (fw->bridge_unanswered > d->fw.bridge_unanswered)
		d->fw.bridge_unanswered = fw->bridge_unanswered;
	if (fw->seebeck_disagreed > d->fw.seebeck_disagreed)
		d->fw.seebeck_disagreed = fw->seebeck_disagreed;
}

/* A trip: printed whole, counted, cleared as a person would (a firmware
 * latch held until a power cycle is replugged). */
static void on_trip(struct day *d, const char *pad_name, struct scenario_host *sh, const struct pad_truth *t)
{
	struct pad_slot *slot = scenario_host_slot(sh);
	const struct safety *sf = &slot->core.safety;
	char bits[400] = "";
	if (t->fw_faults)
		safety_describe_firmware(t->fw_faults, bits, sizeof bits);
	printf("# TRIP %s at %.1f s (%.2f h): host %s%s%s%s%s\n", pad_name, t->time_s, t->time_s / 3600,
	       sf->latched ? sf->message : "-", t->fw_faults ? "; firmware: " : "", bits, t->fuse_open ? "; fuse open" : "",
	       t->cold_cutout_open ? "; cold cut-out open" : "");
	d->trips++;
	char err[400];
	pad_clear_faults(slot, scenario_host_now(sh), err, sizeof err);
}

static void run_day(const char *pad_name, const struct model_params *params, double noise_c, uint64_t seed,
		    const struct profile_file *profiles, int nprofiles, int first_profile, double hours, struct day *d)
{
	memset(d, 0, sizeof *d);
	d->hours = hours;
	d->room_min_c = d->strap_min = INFINITY;
	d->room_max_c = d->strap_max = -INFINITY;
	d->fw.plate_lo_c = INFINITY;
	d->fw.plate_hi_c = -INFINITY;
	struct model_params p = *params;
	if (noise_c >= 0)
		p.sensor_noise_c = noise_c;
	char err[400];
	clock_t c0 = clock();
	struct scenario_host *sh = scenario_host_new(&p, seed, err, sizeof err);
	if (!sh) {
		printf("# %s: %s\n", pad_name, err);
		d->trips++;
		return;
	}
	struct pad *pad = scenario_host_pad(sh);
	struct pad_slot *slot = scenario_host_slot(sh);
	struct pad_truth t;
	pad_truth(pad, &t);
	exposure_mark(&d->exp, &t);
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 1;
	double wander = 0, next_strap = -STRAP_MEAN_S * log(uniform(&rng)), next_start = 60, session_start_dose = 0;
	int next_profile = first_profile % nprofiles, ticks = 0;
	bool running = false, tripped = false;
	const char *prev_profile = "-";
	const double end_s = hours * 3600;
	set_room(pad, ROOM_MEAN_C);
	while (scenario_host_now(sh) < end_s) {
		scenario_host_tick(sh);
		double now = scenario_host_now(sh);
		pad_truth(pad, &t);
		exposure_update(&d->exp, &t, PAD_TICK_MS / 1000.0);
		if (++ticks % 100)
			continue;
		/* once a second: the room, the strap, the sessions, the judges */
		note_fw(d, &pad->fw);
		if (ticks % 6000 == 0) {
			wander += 0.05 * (2 * uniform(&rng) - 1);
			wander = fmax(-ROOM_WANDER_C, fmin(ROOM_WANDER_C, wander));
			double room = ROOM_MEAN_C + ROOM_SWING_C * sin(2 * M_PI * now / 86400.0) + wander;
			set_room(pad, room);
			d->room_min_c = fmin(d->room_min_c, room);
			d->room_max_c = fmax(d->room_max_c, room);
		}
		if (now >= next_strap) {
			double scale = STRAP_MIN + (STRAP_MAX - STRAP_MIN) * uniform(&rng);
			set_strap(pad, scale);
			d->strap_min = fmin(d->strap_min, scale);
			d->strap_max = fmax(d->strap_max, scale);
			d->strap_changes++;
			next_strap = now - STRAP_MEAN_S * log(uniform(&rng));
		}
		const struct core *core = &slot->core;
		for (int i = 0; i < core->safety.nwarn; i++)
			for (int k = 0; warning_codes[k]; k++)
				if (!strcmp(core->safety.warn_code[i], warning_codes[k]))
					d->warnings[k]++;
		bool trip = core->safety.latched || t.fw_faults || t.fuse_open || t.cold_cutout_open;
		if (trip && !tripped)
			on_trip(d, pad_name, sh, &t);
		tripped = trip;
		if (running && core->state == CORE_IDLE) {
			running = false;
			double dose = d->exp.cem43_min - session_start_dose;
			d->session_cem43_max = fmax(d->session_cem43_max, dose);
			if (strcmp(core->outcome, "completed") != 0) {
				/* a cap that ends a session in order is the cap working,
				 * not a trip; which one, and how often, is told */
				char what[96];
				snprintf(what, sizeof what, "%s (%s)", core->outcome,
					 core->safety.cap_reached ? core->safety.cap_code : "-");
				if (!strstr(d->outcomes, what)) {
					size_t n = strlen(d->outcomes);
					snprintf(d->outcomes + n, sizeof d->outcomes - n, "%s%s", n ? ", " : "", what);
				}
				d->ended_early++;
				if (core->safety.cap_reached)
					printf("# %s at %.2f h, %s: %s\n", pad_name, now / 3600, prev_profile,
					       core->safety.cap_message);
			}
			next_start = now + PERSON_GAP_S;
		}
		/* the next profile in turn; one the host refuses (the ledger
		 * asks for a rest from heat, or from cold) gives way to the next
		 * it admits, as a person would choose; none: a minute later */
		for (int tries = 0; !running && core->state == CORE_IDLE && !core->safety.latched && now >= next_start;
		     tries++) {
			const struct profile_file *pf = &profiles[next_profile];
			next_profile = (next_profile + 1) % nprofiles;
			if (pad_start(slot, &pf->prof, pf->name, now, 0, err, sizeof err) == PAD_OK) {
				running = true;
				prev_profile = pf->name;
				d->ran[pf - profiles] = true;
				d->sessions++;
				session_start_dose = d->exp.cem43_min;
			} else {
				d->refusals++;
				if (d->refusals <= REFUSALS_SHOWN)
					printf("# %s at %.2f h, %s refused: %s\n", pad_name, now / 3600, pf->name, err);
				if (tries + 1 >= nprofiles)
					next_start = now + REFUSED_RETRY_S;
			}
		}
	}
	memcpy(d->nearest, slot->core.safety.nearest, sizeof d->nearest);
	scenario_host_free(sh);
	d->cpu_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

struct bench {
	const char *pads_dir;
	char names[MAX_PADS][64];
	struct model_params params[MAX_PADS];
	int npads;
	struct profile_file profiles[MAX_PROFILES];
	int nprofiles;
	double hours;
	uint64_t seed;
	int trips, missed;
	double cpu_s;
};

static const char *noise_words(double noise, char *buf, size_t len)
{
	if (noise < 0)
		snprintf(buf, len, "each pad's own (%s)", "0.03 C on the shipped ones");
	else
		snprintf(buf, len, "%.3g C on every sensor", noise);
	return buf;
}

/* Every pad through the day at one noise level; the figures on standard
 * output and, if f, as a section of the report. */
static void run_level(struct bench *b, double noise, FILE *f)
{
	static struct day days[MAX_PADS];
	char words[96];
	noise_words(noise, words, sizeof words);
	printf("# sensor noise: %s\n", words);
	int trips = 0, missed = 0;
	double cpu = 0;
	struct safety_nearest worst[SAFETY_NEAR_N];
	int worst_pad[SAFETY_NEAR_N];
	for (int k = 0; k < SAFETY_NEAR_N; k++) {
		worst[k].margin = INFINITY;
		worst_pad[k] = -1;
	}
	for (int i = 0; i < b->npads; i++) {
		struct day *d = &days[i];
		run_day(b->names[i], &b->params[i], noise, b->seed + (uint64_t)i, b->profiles, b->nprofiles, i, b->hours, d);
		const struct exposure *x = &d->exp;
		bool miss = x->plate_max_c > TRUE_PLATE_MAX_C || x->plate_min_c < TRUE_PLATE_MIN_C ||
			    x->tissue_max_c > TRUE_TISSUE_MAX_C;
		missed += miss;
		trips += d->trips;
		cpu += d->cpu_s;
		printf("%s %s: %.0f h, %d sessions, %d refused starts, %d trips; true plate %.2f..%.2f C, tissue max "
		       "%.2f C, %.2f CEM43 min in the day (%.2f the most in one session), %.0f s below 10 C; room "
		       "%.1f..%.1f C, strap %d changes %.2f..%.2f; %.1f s of CPU%s%s\n",
		       d->trips || miss ? "not ok" : "ok", b->names[i], d->hours, d->sessions, d->refusals, d->trips,
		       x->plate_min_c, x->plate_max_c, x->tissue_max_c, x->cem43_min, d->session_cem43_max, x->cold_s,
		       d->room_min_c, d->room_max_c, d->strap_changes, d->strap_min, d->strap_max, d->cpu_s,
		       d->outcomes[0] ? "; not completed: " : "", d->outcomes);
		printf("# %s ran:", b->names[i]);
		for (int k = 0; k < b->nprofiles; k++)
			if (d->ran[k])
				printf(" %s", b->profiles[k].name);
		printf("\n");
		for (int k = 0; k < SAFETY_NEAR_N; k++)
			if (d->nearest[k].margin < worst[k].margin) {
				worst[k] = d->nearest[k];
				worst_pad[k] = i;
			}
	}
	printf("# endurance: %d pads x %.0f h, %d trips, %d truth bounds missed, %.1f s of CPU\n", b->npads, b->hours,
	       trips, missed, cpu);
	for (int k = 0; k < SAFETY_NEAR_N; k++)
		if (worst_pad[k] >= 0)
			printf("# closest %-20s %-8.3g of %-8.3g %-4s margin %.3g (%s) - %s\n", safety_near_info[k].check,
			       worst[k].value, worst[k].limit, safety_near_info[k].unit, worst[k].margin,
			       b->names[worst_pad[k]], safety_near_info[k].what);
		else
			printf("# closest %-20s never judged - %s\n", safety_near_info[k].check, safety_near_info[k].what);
	b->trips += trips;
	b->missed += missed;
	b->cpu_s += cpu;
	if (!f)
		return;

	fprintf(f, "## Sensor noise: %s\n\n**%d trips, %d truth bounds missed**, %.0f s of CPU.\n\n", words, trips, missed,
		cpu);
	fprintf(f, "| pad | sessions | refused starts | not completed | trips | true plate C | tissue max C | CEM43 min "
		   "(day / one session) | s below 10 C | CPU s |\n|---|---|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < b->npads; i++) {
		const struct day *d = &days[i];
		fprintf(f, "| %s | %d | %d | %d%s%s | %d | %.2f..%.2f | %.2f | %.2f / %.2f | %.0f | %.1f |\n", b->names[i],
			d->sessions, d->refusals, d->ended_early, d->outcomes[0] ? ": " : "", d->outcomes, d->trips,
			d->exp.plate_min_c, d->exp.plate_max_c, d->exp.tissue_max_c, d->exp.cem43_min,
			d->session_cem43_max, d->exp.cold_s, d->cpu_s);
	}
	fprintf(f, "\nHow close each supervisor check came to firing, over every pad's day (the smallest margin to "
		   "its limit, in its own unit; the check fires at a margin of 0 or less):\n\n"
		   "| check | what is measured | closest value | limit | margin | pad |\n|---|---|---|---|---|---|\n");
	for (int k = 0; k < SAFETY_NEAR_N; k++) {
		if (worst_pad[k] < 0) {
			fprintf(f, "| %s | %s | never judged | | | |\n", safety_near_info[k].check, safety_near_info[k].what);
			continue;
		}
		fprintf(f, "| %s | %s | %.3g %s | %.3g | %.3g | %s |\n", safety_near_info[k].check, safety_near_info[k].what,
			worst[k].value, safety_near_info[k].unit, worst[k].limit, worst[k].margin, b->names[worst_pad[k]]);
	}
	fprintf(f, "\nThe firmware's own bounds, the most each pad's firmware reached over the day (its bound of the "
		   "true plate, its heat dose and cold exposure, and its proofs' runs of disagreement, which latch at 2 "
		   "unanswered drive steps and 3 Seebeck disagreements):\n\n"
		   "| pad | plate bound C | heat dose CEM43 min | cold s | deep cold s | drive steps unanswered | Seebeck "
		   "disagreements |\n|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < b->npads; i++) {
		const struct fw_near *w = &days[i].fw;
		fprintf(f, "| %s | %.2f..%.2f | %.2f | %.0f | %.0f | %d | %d |\n", b->names[i], w->plate_lo_c, w->plate_hi_c,
			w->dose_cem43_min, w->cold_s, w->deep_cold_s, w->bridge_unanswered, w->seebeck_disagreed);
	}
	fprintf(f, "\nWarnings (samples that carried each, over every pad): ");
	for (int k = 0; warning_codes[k]; k++) {
		int n = 0;
		for (int i = 0; i < b->npads; i++)
			n += days[i].warnings[k];
		fprintf(f, "%s%s %d", k ? ", " : "", warning_codes[k], n);
	}
	fprintf(f, ".\n\n");
}

static int load_pads(struct bench *b)
{
	DIR *dd = opendir(b->pads_dir);
	if (!dd) {
		fprintf(stderr, "safety-endurance: %s: cannot open the pad descriptions\n", b->pads_dir);
		return -1;
	}
	for (struct dirent *e; (e = readdir(dd)) && b->npads < MAX_PADS;) {
		size_t len = strlen(e->d_name);
		if (len > 4 && !strcmp(e->d_name + len - 4, ".ini"))
			snprintf(b->names[b->npads++], sizeof b->names[0], "%.*s", (int)(len - 4), e->d_name);
	}
	closedir(dd);
	qsort(b->names, (size_t)b->npads, sizeof b->names[0], by_name);
	for (int i = 0; i < b->npads; i++) {
		char path[512], err[300];
		snprintf(path, sizeof path, "%s/%s.ini", b->pads_dir, b->names[i]);
		if (model_params_load(path, &b->params[i], err, sizeof err) != 0) {
			fprintf(stderr, "safety-endurance: %s\n", err);
			return -1;
		}
	}
	return b->npads ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct bench b;
	setvbuf(stdout, NULL, _IOLBF, 0); /* each pad's line as it is done */
	const char *profiles_dir = NULL, *report = NULL, *noises = "pad,0,0.1";
	b.hours = 24;
	b.seed = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pads") && i + 1 < argc)
			b.pads_dir = argv[++i];
		else if (!strcmp(argv[i], "--profiles") && i + 1 < argc)
			profiles_dir = argv[++i];
		else if (!strcmp(argv[i], "--hours") && i + 1 < argc)
			b.hours = atof(argv[++i]);
		else if (!strcmp(argv[i], "--noise") && i + 1 < argc)
			noises = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			b.seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--report") && i + 1 < argc)
			report = argv[++i];
		else {
			fprintf(stderr, "usage: safety-endurance --pads DIR --profiles DIR [--hours H] [--noise pad|C,...] "
					"[--seed N] [--report FILE]\n");
			return 2;
		}
	}
	if (!b.pads_dir || !profiles_dir || !(b.hours > 0)) {
		fprintf(stderr, "safety-endurance: --pads and --profiles are needed, and --hours above 0\n");
		return 2;
	}
	struct core_config cc;
	core_config_default(&cc);
	b.nprofiles = load_profiles(profiles_dir, &cc.limits, b.profiles, MAX_PROFILES);
	if (b.nprofiles <= 0 || load_pads(&b) != 0)
		return 2;
	FILE *f = NULL;
	if (report && !(f = fopen(report, "w"))) {
		fprintf(stderr, "safety-endurance: %s: cannot write\n", report);
		return 2;
	}
	if (f) {
		fprintf(f, "# Endurance: a day of use on every pad, and no false trip\n\n");
		fprintf(f, "Written by `make endurance` (safety/endurance.c); do not edit by hand. Each shipped pad "
			   "(sim/pads/) runs %.0f h of model time in process, as the safety case's rows run (the "
			   "firmware core and the physical model under the daemon's own pad module, its defaults in "
			   "force): every shipped profile in turn (%d of them, in name order, each pad starting one further "
			   "along), each started %.0f s after the last ended, or, when the dose ledger refuses it, the next profile it admits (none: asked again a "
			   "minute later); the strap loosened or tightened now and then (skin contact %.2f-%.2f of the "
			   "pad's own, every %.0f min on average); the room at %.0f C, %.0f C either way over the day, with "
			   "a wander of up to %.0f C. Any fault either layer latches, or the fuse or the cold cut-out "
			   "opening, is a false trip: printed whole by the program, cleared as a person would, counted. "
			   "A session a cap ends in order is the cap working (counted under 'not completed', with the "
			   "cap). Judged on the model's truth: the true plate within %.1f..%.1f C, the tissue below "
			   "%.1f C.\n\n",
			   b.hours, b.nprofiles, PERSON_GAP_S, STRAP_MIN, STRAP_MAX, STRAP_MEAN_S / 60, ROOM_MEAN_C,
			   ROOM_SWING_C, ROOM_WANDER_C, TRUE_PLATE_MIN_C, TRUE_PLATE_MAX_C, TRUE_TISSUE_MAX_C);
	}
	char list[128];
	snprintf(list, sizeof list, "%s", noises);
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		run_level(&b, strcmp(tok, "pad") == 0 ? -1.0 : atof(tok), f);
	printf("# endurance in all: %d trips, %d truth bounds missed, %.1f s of CPU\n", b.trips, b.missed, b.cpu_s);
	if (f) {
		fprintf(f, "In all: %d trips, %d truth bounds missed, %.0f s of CPU.\n", b.trips, b.missed, b.cpu_s);
		fclose(f);
	}
	return b.trips || b.missed ? 1 : 0;
}
