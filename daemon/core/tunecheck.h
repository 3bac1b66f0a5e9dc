/* SPDX-License-Identifier: MIT */
/*
 * A tune never makes control worse: before its figures become the pad's
 * starting point, the controller is tried from them and from the figures
 * it would start from without them, each try with a fresh estimator from
 * its own figures and the model controller, on plants that span what the
 * identification cannot know: the pad as the tune has learned it; the
 * same with both plate sensors reading high or low by the common offset
 * no estimate can see (up to TUNECHECK_OFFSET_C); and its neighbours (a
 * lighter plate with a slower sensor, a heavier one with a faster sensor:
 * what a tune may still have wrong), and with its two plate sensors
 * apart (a split each session learns anew). On each: heating and cooling
 * steps, and holds that begin at the target; on the pad as learned also a
 * long hold whose strap is loosened; the readings as noisy as the pad's
 * (the same noise for both starting points of a pair). The tune
 * passes when on every try it overshoots at most TUNECHECK_OVERSHOOT_C
 * more, and reaches the band at most TUNECHECK_REACH_S later, than the
 * untuned figures.
 *
 * The check is a state machine: tunecheck_advance does at most a given
 * number of simulated samples per call, so that the core spreads it over
 * its control ticks (a whole check is some 30000 samples, about a
 * quarter of a second of one core). Pure.
 */
#ifndef THERMOPAD_TUNECHECK_H
#define THERMOPAD_TUNECHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "estimator.h"
#include "modelctl.h"
#include "thermal.h"

/* Half of what a judge of the true plate allows (0.02 C, 1 s): the
 * plants here are the pad as learned, not the pad itself. */
#define TUNECHECK_OVERSHOOT_C 0.01
#define TUNECHECK_REACH_S 0.5
#define TUNECHECK_BAND_C 0.3
#define TUNECHECK_OFFSET_C 0.2 /* the plate sensors' common offset, either way */

/* One try: a step or a hold on a plant, from the two starting points. */
struct tunecheck_try {
	const char *plant; /* "as learned", "lighter plate, slower sensor", ... */
	bool hold; /* a hold begins at the target: its overshoot counts once settled */
	double from_c, to_c;
	double overshoot_c[2]; /* [0] untuned, [1] tuned: past the target on the plant's plate, net of the offset */
	double reach_s[2]; /* to within TUNECHECK_BAND_C; INFINITY if never in the window */
};

#define TUNECHECK_TRIES 32
#define TUNECHECK_LOOSEN_S 240.0 /* into a hold, the strap of one try is loosened */

enum tunecheck_state { TUNECHECK_IDLE, TUNECHECK_BUSY, TUNECHECK_PASSED, TUNECHECK_REFUSED };

/* The plant of a run in progress. */
struct tunecheck_plant {
	double plate_c, tissue_c, sink_c, read_plate_c, read_sink_c;
};

struct tunecheck {
	enum tunecheck_state state;
	struct tunecheck_try tries[TUNECHECK_TRIES];
	int ntries;
	int worst; /* the try that refused the tune; -1 when it passed */
	/* what is compared, as given to tunecheck_begin */
	struct thermal_params learned, start[2];
	struct modelctl_config mc;
	double ambient_c, noise_c;
	/* the run in progress: try, starting point, sample */
	unsigned char try_plant[TUNECHECK_TRIES], try_scene[TUNECHECK_TRIES];
	int run_try, run_start, run_n;
	bool run_settled;
	double run_drive, run_current;
	uint64_t rng;
	struct thermal_params run_plant;
	double run_offset_c, run_split_c, run_window_s, run_loosen_at_s;
	struct tunecheck_plant x;
	struct estimator est;
	struct modelctl ctl;
};

/* Starts a check of tuned against untuned figures on the pad as learned
 * (with the room at ambient_c and plate readings this noisy). */
void tunecheck_begin(struct tunecheck *c, const struct thermal_params *learned, double ambient_c, double noise_c,
		     const struct thermal_params *untuned, const struct thermal_params *tuned,
		     const struct modelctl_config *mc);

/* At most max_samples simulated samples of the check; its state after
 * them: TUNECHECK_BUSY until the verdict, then PASSED or REFUSED. */
enum tunecheck_state tunecheck_advance(struct tunecheck *c, int max_samples);

/* The whole check at once (tests and tools); true when the tune passes. */
bool tunecheck_run(struct tunecheck *c, const struct thermal_params *learned, double ambient_c, double noise_c,
		   const struct thermal_params *untuned, const struct thermal_params *tuned,
		   const struct modelctl_config *mc);

/* The figures a tune may keep: those it has measured (their spread in
 * the tune's estimator at most TUNECHECK_EVIDENCE of a fresh one's); the
 * others stay the untuned ones, since the tune's evidence on them is no
 * better than what every session learns online. */
#define TUNECHECK_EVIDENCE 0.5
void tunecheck_measured(const struct estimator *tuned, const struct thermal_params *untuned,
			struct thermal_params *out);

/* The verdict in words: what was compared, and where the tune lost. */
size_t tunecheck_describe(const struct tunecheck *c, char *buf, size_t len);

#endif
