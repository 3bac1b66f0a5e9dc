/* SPDX-License-Identifier: MIT */
/*
 * The safety supervisor: independent of the controller, run on every
 * sample, each check small enough to read in a minute. A fault latches
 * until a person clears it, zeroes the drive in the same call, and names
 * the check, the sensor, the value, the limit and what the controller was
 * doing. Warnings are separate and do not latch. Pure.
 */
#ifndef THERMOPAD_SAFETY_H
#define THERMOPAD_SAFETY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct safety_limits {
	double plate_max_c, plate_min_c; /* hard cut-off */
	double setpoint_max_c, setpoint_min_c; /* targets a plan may ask for */
	double disagree_c; /* plate sensors A and B */
	int bad_samples; /* consecutive invalid readings before a fault */
	double frozen_s, frozen_drive; /* identical readings this long under this drive */
	double stale_zero_s, stale_fault_s; /* no telemetry */
	double progress_s, progress_c; /* after a target change: progress due */
	double hold_band_c, hold_s; /* while holding: error band and its time */
	double wrong_way_s, wrong_way_c, strong_drive; /* moving against strong drive */
	double off_current_a, off_s; /* current while the drive is off */
	double sink_limit_c, sink_max_c; /* limit cooling, then fault */
	double dose_cem43_min; /* heat dose cap per session (CEM43 minutes) */
	double cold_c, cold_phase_max_s, cold_session_max_s; /* cold exposure */
	double session_max_s;
};

/* The defaults, and the widest values any configuration may set. */
void safety_limits_default(struct safety_limits *l);
void safety_limits_hard(struct safety_limits *l);
/* Within the hard limits and consistent; -1 with a message if not. */
int safety_limits_validate(const struct safety_limits *l, char *err, size_t errlen);

/* The pad's firmware's own exposure bounds (GET_INFO, PROTOCOL.md 6.10):
 * it latches HEAT_DOSE at dose_cem43_min and COLD_EXPOSURE after
 * cold_max_s below cold_below_c, held until a replug. 0: not announced. */
struct safety_fw_bounds {
	double dose_cem43_min, cold_below_c, cold_max_s;
};

/* The host's caps stay this far inside the firmware's, so that in a normal
 * session the host's cap ends it in order and the firmware's latch is
 * never the first to act. The two count alike on the shipped pads (a 42 C
 * hold to the host's heat cap: host 3.50, firmware 3.31-3.34 CEM43 min;
 * the longest cold phase: host 1038-1201 s, firmware 911-1107 s), but the
 * firmware integrates a bound of the true plate (its sensor plus the
 * slowest lag times its slope), which reads more on a noisier sensor or a
 * faster plate, and the dose rate grows fourfold per degree. The cold
 * share leaves the shipped profiles whole (intermittent-cold: 2 x 10 min
 * at 15 C, each with its approach). */
#define SAFETY_FW_HEAT_SHARE 0.7
#define SAFETY_FW_COLD_SHARE 0.9

/* Narrows l to what the firmware allows: the heat dose cap to
 * SAFETY_FW_HEAT_SHARE of its bound, the cold session cap to
 * SAFETY_FW_COLD_SHARE of its, the cold threshold at least its threshold
 * (the host then counts every second the firmware counts), and a cold
 * phase short enough that its approach fits the session cap. Never wider
 * than l; returns true when something was narrowed. */
bool safety_limits_within_firmware(struct safety_limits *l, const struct safety_fw_bounds *fw);

/* Every check, by its stable name, with what a person should do when it
 * fires and what a clear re-judges. One table: the safety case and the
 * documentation list the checks from it. */
struct safety_check_info {
	const char *code;
	const char *what_to_do;
	const char *clears_when;
};
extern const struct safety_check_info safety_checks[];
extern const size_t safety_ncheck;
const struct safety_check_info *safety_check_find(const char *code);

/* A phase of cold may be approached for this long below cold_c before its
 * clock starts; the phase's exposure cap is its allowed length plus this,
 * so a phase validation accepts never trips the cap by itself. */
#define SAFETY_COLD_APPROACH_S 120.0
/* A session with no heat phase still adds a trace of heat dose (an idle
 * plate at 32-37 C): below this much added, a carried heat dose at its cap
 * is not this session's to end (about 2.5 min at 40 C) */
#define SAFETY_HEAT_ADDED_MIN_CEM43_MIN 0.01

/* What one sample tells the supervisor. */
struct safety_input {
	double t; /* the pad's device time (persistence windows, doses) */
	double arrival_t; /* when it reached the host (staleness); 0: t */
	double plate_c[2]; /* sensors A and B */
	bool plate_ok[2];
	double sink_c;
	bool sink_ok;
	double current_a;
	uint32_t fw_faults;
	double estimate_c; /* the controller's view of the true plate */
	double target_c; /* NaN when the drive is meant to be off */
	double setpoint_c; /* the ramped setpoint toward target_c (NaN: target_c) */
	bool holding; /* in the target band's phase time */
	bool resting; /* the firmware holds the drive at zero before a polarity change */
	bool cold_phase;
	bool cooling_limited; /* the controller holds cooling back (hot heat sink) */
	double drive; /* the drive commanded at the previous sample */
	double drive_applied; /* what the firmware reports it applies */
	bool zero_received; /* ... and it has acknowledged the zero command */
	const char *doing; /* "heating toward 40.00 C in phase 1 (heat)" */
};

/* How close each check came to firing on the samples it judged: the
 * smallest margin (limit less value, in the check's own unit; at or below
 * zero it fires) with the value and the limit then. The evidence that a
 * healthy pad stays quiet with room to spare (the endurance bench);
 * nothing acts on it. */
enum safety_near {
	SAFETY_NEAR_PLATE_OVER, SAFETY_NEAR_PLATE_UNDER, SAFETY_NEAR_DISAGREE, SAFETY_NEAR_FROZEN_ONE,
	SAFETY_NEAR_FROZEN_BOTH, SAFETY_NEAR_FROZEN_SLOW, SAFETY_NEAR_NOISY, SAFETY_NEAR_SINK_OVER,
	SAFETY_NEAR_NO_PROGRESS, SAFETY_NEAR_NO_PROGRESS_AWAY, SAFETY_NEAR_HOLD, SAFETY_NEAR_WRONG_WAY, SAFETY_NEAR_WRONG_WAY_FAST,
	SAFETY_NEAR_DRIVE_OFF, SAFETY_NEAR_DRIFT_OFF, SAFETY_NEAR_STALE,
	SAFETY_NEAR_N
};
struct safety_near_info {
	const char *check; /* its code in safety_checks[] */
	const char *what, *unit;
};
extern const struct safety_near_info safety_near_info[SAFETY_NEAR_N];
struct safety_nearest {
	double margin, value, limit; /* margin INFINITY: never judged */
};

enum { SAFETY_WARN_MAX = 4, SAFETY_MESSAGE_MAX = 512, SAFETY_FAST_HISTORY = 64, SAFETY_SAME_HISTORY = 32 };

struct safety {
	struct safety_limits lim;
	bool latched;
	char code[32];
	char message[SAFETY_MESSAGE_MAX];
	/* a cap reached (dose, cold, length): the session ends in order, no
	 * latch; set once per session, read by the core */
	bool cap_reached;
	char cap_code[32];
	char cap_message[SAFETY_MESSAGE_MAX];
	/* warnings raised by the last check (not latched) */
	int nwarn;
	char warn_code[SAFETY_WARN_MAX][32];
	char warn_message[SAFETY_WARN_MAX][240];
	/* check state */
	int bad[3], disagree;
	double frozen_since;
	double frozen_value[2];
	double frozen_spread[2]; /* the farthest each reading strayed from it since */
	double last_sample_t, last_arrival_t;
	bool have_sample;
	double last_applied;
	double last_target;
	double progress_t, progress_err;
	/* the estimate's distance to the phase's target at the target change
	 * and at the last progress */
	double start_dist, progress_dist;
	double hold_out_since;
	bool frozen_armed, frozen_from_change;
	double frozen_target;
	/* the fast frozen check: each plate reading's run of identical
	 * values, the sensors smoothed, their mean's recent history */
	bool same_have;
	double same_last[2], same_since[2], same_smooth[2], same_other_from[2];
	double same_t, same_both_rate, same_both_drive;
	int same_both; /* this run of both: 0 not judged yet, 1 watched, -1 not */
	int same_n, same_head;
	double same_hist_t[SAFETY_SAME_HISTORY], same_hist_y[SAFETY_SAME_HISTORY];
	/* the noisy check, per sensor (plate A, B, sink): its last two
	 * readings and their times, and its mean stray from their line */
	bool noisy_have;
	int noisy_n[3];
	double noisy_t[3][2], noisy_y[3][2], noisy_mean_c[3];
	bool progress_first;
	double reach_c; /* the closest the plate came to an unreachable target; NaN */
	double module_seebeck_v_per_k, module_resistance_ohm;
	double wrong_t, wrong_temp;
	/* the fast wrong-way window: the smoothed plate, a second of history */
	double slow_y, slow_t; /* the plate sensors' mean, smoothed, for the slow window */
	double drift_since, drift_y, drift_t; /* the drive off since; the window's start */
	int fast_dir, fast_n, fast_head;
	double fast_y, fast_hist_t[SAFETY_FAST_HISTORY], fast_hist_y[SAFETY_FAST_HISTORY];
	int wrong_sign;
	double off_since, disobey_since;
	int off_samples;
	double cem43_min, cold_phase_s, cold_session_s;
	/* carried in from earlier sessions (the dose ledger), and the room
	 * left under the daily ceilings when this one started */
	double heat_carried, cold_carried, heat_day_room, cold_day_room;
	double session_start;
	bool session_running;
	struct safety_nearest nearest[SAFETY_NEAR_N]; /* since safety_init or safety_near_reset */
};

void safety_init(struct safety *s, const struct safety_limits *lim);
void safety_session_start(struct safety *s, double t);
void safety_session_end(struct safety *s);
/* The session counts on from what earlier ones left (recent pools), with
 * this much room under the daily ceilings; call after session_start. */
void safety_session_carry(struct safety *s, double heat_cem43_min, double cold_s, double heat_day_room,
			  double cold_day_room);
void safety_phase_start(struct safety *s);

/* Runs every check on a sample. Returns true when a fault is latched (now
 * or before): the caller's drive is then zero. */
bool safety_check(struct safety *s, const struct safety_input *in);

/* Without a sample: returns 1 when the drive must be zero (stale), and
 * latches the stale fault past its limit. */
int safety_check_time(struct safety *s, double t, const char *doing);

/* A fault from outside the core (pad gone, emergency stop). */
void safety_latch(struct safety *s, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Restarts every persistence window at t: after a pause, a clear, a gap
 * in telemetry; time nobody watched is not time a condition held. */
void safety_windows_restart(struct safety *s, double t);

/* What a clear re-judges besides the last sample. */
struct safety_clear_context {
	const struct safety_input *last; /* NULL: no sample yet */
	double now; /* arrival time of the request */
	bool pad_present;
};

/* Clears the latch unless the condition of the fault it holds is still
 * present (a plate still above the maximum, current still flowing with the
 * drive off, the pad still away, no fresh telemetry); -1 with the reason
 * then. Firmware bits are not judged here: the pad judges them (see
 * core_clear_faults). */
int safety_clear(struct safety *s, const struct safety_clear_context *ctx, char *why, size_t whylen);

/* Fault bits by their protocol names, each with what it means. */
void safety_describe_firmware(uint32_t bits, char *buf, size_t len);

/* Forgets how close the checks came (the margins start again). */
void safety_near_reset(struct safety *s);

/* The skin's thermal dose so far, CEM43 minutes. */
double safety_dose(const struct safety *s);

#endif
