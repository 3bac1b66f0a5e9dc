/* SPDX-License-Identifier: MIT */
/*
 * The skin from the whole record. A filter that moves its figures a
 * little at each sample weighs each reading once and forgets; how the
 * heat's way splits between the skin's contact and the blood flow shows
 * only in how a transient of minutes unfolds, and the filter's skin is
 * then still where its first guess put it. This fit keeps the record
 * (the module's current and the readings, the last 5 minutes) and finds
 * the pad's figures and the temperatures at the record's start that
 * explain all of it best, weighed against what was known before the
 * record began (a maximum a posteriori fit, Levenberg-Marquardt over the
 * thermal model, thermal.h). Its tissue at the record's end is the skin
 * estimate; between fits the tissue follows the filter's plate through
 * the fitted conductances.
 *
 * As the record slides, what the dropped part told is kept as the next
 * fit's prior: the figures' spread from the fit, and the tissue at the new
 * start as the fit had it, tied to the figures. When the newest part of
 * the record is explained far worse than the rest (a strap loosened, the
 * pad moved), the next fit may put a change of the contact there; a
 * change it finds starts the record again at it. A residual more than 3
 * of its spreads off counts linearly (Huber), so a stretch the model does
 * not explain pulls the fit without ruling it. The work is spread over
 * samples: a replay of the record runs in slices of 2000 samples, one a
 * sample; a fit takes 20 to 100 replays, one every 20 s of record. Pure: the caller hands in each sample and the filter's
 * view.
 */
#ifndef THERMOPAD_SKINFIT_H
#define THERMOPAD_SKINFIT_H

#include <stdbool.h>

#include "thermal.h"

#define SKINFIT_BIN_S 1.0          /* readings are averaged over this much of the record */
#define SKINFIT_BINS 300           /* the record a fit begins with: 5 minutes at most ... */
#define SKINFIT_BINS_MAX 420       /* ... and what it may have grown to while a fit ran */
#define SKINFIT_SAMPLES 4400       /* the samples behind it (10 a second) */
#define SKINFIT_EVERY_BINS 20      /* a new fit after this many new bins */
#define SKINFIT_SLIDE_BINS 60      /* a full record drops this much of its start at least */

/* What is fitted: the pad's figures the tissue depends on (natural
 * logarithms of factors of the prior's), the sensors' offsets, and the
 * record's start. */
enum skinfit_param {
	SKINFIT_LN_PLATE_J, SKINFIT_LN_LAG, SKINFIT_LN_CONTACT, SKINFIT_LN_PERFUSION, SKINFIT_LN_SINK_J,
	SKINFIT_LN_SINK_G, SKINFIT_LN_CONDUCTANCE,
	SKINFIT_PLATE_OFFSET, SKINFIT_SINK_OFFSET, /* C the sensors read above their node, as the pair's mean */
	SKINFIT_FIGURES,
	SKINFIT_PLATE0 = SKINFIT_FIGURES, /* C added to the start's plate and its sensor */
	SKINFIT_TISSUE0,                  /* C added to the start's tissue */
	SKINFIT_SINK0,                    /* C added to the start's sink and its sensor */
	SKINFIT_AMBIENT,                  /* the room, C */
	SKINFIT_LN_CONTACT_STEP,          /* the contact changed this much at step_sample (a strap) */
	SKINFIT_N
};

/* One sample as the filter saw it. */
struct skinfit_input {
	double dt_s;
	double current_a;
	double plate_c; /* the plate sensors' mean, their split taken out; NaN if none was used */
	double sink_c;  /* NaN if not used */
	double noise_c; /* plate_c's noise */
	double sink_noise_c;
	double plate_est_c; /* the filter's true plate */
	const struct thermal_params *now; /* the filter's figures (the module's S, R, the supply) */
	const struct thermal_state *state; /* the filter's temperatures, for a record's start */
	double tissue_sd_c; /* the filter's spread of the tissue then */
};

enum skinfit_phase { SKINFIT_WAIT, SKINFIT_BASE, SKINFIT_FILTER, SKINFIT_COLUMN, SKINFIT_TRY, SKINFIT_FINISH };

/* A replay of the record under way, done a slice per sample. */
struct skinfit_replay {
	bool running, to_end;
	double x[SKINFIT_N];
	double *r; /* its residuals go here */
	struct thermal_params p;
	struct thermal_state s, at_slide, at_step;
	int k, b, m; /* the sample, the bin, the sample in the bin */
	double sum_plate, sum_sink, cost;
	double step_s, lag_decay; /* the last step's length, and the sensors' decay over it */
};

struct skinfit {
	bool enabled;
	struct thermal_params prior; /* the figures the logarithms are of */
	struct thermal_params base;  /* S, R, the supply for the fit under way */
	/* the record */
	int nsamples, nbins;
	float current_a[SKINFIT_SAMPLES];
	float sample_dt_s[SKINFIT_SAMPLES];
	int bin_first[SKINFIT_BINS_MAX], bin_n[SKINFIT_BINS_MAX];
	float bin_plate_c[SKINFIT_BINS_MAX], bin_sink_c[SKINFIT_BINS_MAX]; /* NaN: nothing read */
	float bin_sd_c[SKINFIT_BINS_MAX], bin_sink_sd_c[SKINFIT_BINS_MAX];
	double acc_dt_s, acc_plate_c, acc_sink_c, acc_noise_c, acc_sink_noise_c; /* the bin being filled */
	int acc_n, acc_nplate, acc_nsink;
	/* the record's start and what was known there */
	struct thermal_state start;
	bool start_balanced; /* the tissue began in balance with the plate */
	double prior_x[SKINFIT_N];
	double prior_info[SKINFIT_N][SKINFIT_N]; /* the inverse of the prior's covariance */
	double anchor[SKINFIT_FIGURES]; /* the figures the start's tissue was taken at ... */
	double tissue_slope[SKINFIT_FIGURES]; /* ... and how it moves with them */
	/* the fit under way */
	enum skinfit_phase phase;
	int fit_bins, fit_samples, column, iteration, tries, since_fit_bins;
	int slide_sample, slide_bins; /* where the record will be cut after this fit; -1: not */
	int new_from_bin, check_from_bin; /* the first bin the last fit did not see */
	int step_bin, step_sample; /* where the contact may have changed; -1: nowhere */
	struct thermal_state at_step;
	struct thermal_params filter_figures; /* the filter's, as of the last sample */
	double x[SKINFIT_N], trial[SKINFIT_N];
	double lambda, cost;
	double r0[SKINFIT_BINS_MAX * 2], r_trial[SKINFIT_BINS_MAX * 2];
	double jac[SKINFIT_N][SKINFIT_BINS_MAX * 2];
	struct thermal_state at_slide, at_slide_lin, at_slide_col[SKINFIT_N];
	struct skinfit_replay job;
	/* the result */
	bool valid;
	double fitted[SKINFIT_N];
	struct thermal_params fitted_params;
	double tissue_c;
	unsigned long fits;
	unsigned long contact_changes; /* changes of the contact found and taken */
};

void skinfit_init(struct skinfit *f, const struct thermal_params *prior);

/* One sample; advances the fit by at most one replay of the record. */
void skinfit_update(struct skinfit *f, const struct skinfit_input *in);

/* The record starts again from the filter's state (after a gap in the
 * readings); what the fits learned stays as the prior. */
void skinfit_restart(struct skinfit *f);

/* The tissue as fitted, NaN before the first fit. */
double skinfit_tissue_c(const struct skinfit *f);

#endif
