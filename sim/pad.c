/* SPDX-License-Identifier: MIT */
/*
 * The firmware sees the pad only through ADC codes, current, voltage and
 * supply readings, exactly as on the board; faults are applied at that
 * boundary (a broken wire drives the ADC to a rail, a stuck bridge ignores
 * the firmware), so the firmware's own checks are what catch them.
 */
#include "pad.h"

#include <math.h>
#include <string.h>

static void measure(struct pad *pad, struct fw_inputs *in);

void pad_init(struct pad *pad, const struct model_params *params, const struct fw_config *cfg, uint64_t seed,
	      double start_plate_c)
{
	memset(pad, 0, sizeof *pad);
	pad->nominal = *params;
	model_init(&pad->model, params, start_plate_c);
	model_sensors_init(&pad->sensors, &pad->model, seed);
	/* plugged in just before model time starts: the firmware's rest after
	 * boot is over when the caller's run begins (a reset or a replug
	 * later shows it) */
	/* A pad's firmware carries its own module's Seebeck coefficient and
	 * resistance, measured when the pad is made: its checks of current
	 * against drive and of the plate against the module's open voltage
	 * must hold on a module 25 % off the reference, not only on it. */
	struct fw_config calibrated = *cfg;
	calibrated.module_seebeck_uv_per_k = (uint32_t)lround(params->seebeck_v_per_k * 1e6);
	calibrated.module_resistance_mohm = (uint16_t)lround(params->resistance_ohm * 1000);
	fw_init(&pad->fw, &calibrated, 0u - cfg->polarity_rest_ms);
	pad->fault_rng = seed ^ 0xa5a5a5a5deadbeefull;
	pad->relay_commanded_closed = true;
	pad->supply_sag = 1.0;
	for (int i = 0; i < 3; i++) {
		pad->readings_c[i] = i == 2 ? pad->model.sink_c : pad->model.plate_c;
		pad->sensor_fault[i].kind = FAULT_KIND_OK;
	}
	pad->model.supply_scale = 1.0;
	pad->cutout_sensor_c = pad->model.plate_c;
	struct fw_inputs in;
	measure(pad, &in);
	fw_tick(&pad->fw, 0, &in, &pad->fw_out);
}

static double fault_noise(struct pad *pad)
{
	/* a second, independent source so injected noise never shifts the
	 * nominal noise sequence */
	uint64_t z = (pad->fault_rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	double u1 = ((double)(z >> 11) + 1.0) / 9007199254740992.0;
	double u2 = ((double)((z * 0x2545f4914f6cdd1dull) >> 11) + 1.0) / 9007199254740992.0;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static uint16_t sensor_code(struct pad *pad, int i)
{
	const struct pad_sensor_fault *f = &pad->sensor_fault[i];
	switch (f->kind) {
	case FAULT_KIND_OPEN: return FW_ADC_MAX;
	case FAULT_KIND_SHORT: return 0;
	case FAULT_KIND_STUCK: return fw_ntc_cc_to_code((int32_t)lround(f->stuck_c * 100.0));
	case FAULT_KIND_DETACHED: return fw_ntc_cc_to_code((int32_t)lround(f->air_c * 100.0));
	default: break;
	}
	double c = pad->readings_c[i] + f->extra_offset_c;
	if (f->extra_noise_c > 0)
		c += f->extra_noise_c * fault_noise(pad);
	return fw_ntc_cc_to_code((int32_t)lround(c * 100.0));
}

static int16_t clamp_i16(double v)
{
	if (v > 32767.0)
		return 32767;
	if (v < -32767.0)
		return -32767;
	return (int16_t)lround(v);
}

static bool relay_conducts(const struct pad *pad)
{
	return pad->relay_welded || (!pad->relay_failed_open && pad->relay_commanded_closed);
}

static void measure(struct pad *pad, struct fw_inputs *in)
{
	memset(in, 0, sizeof *in);
	for (int i = 0; i < 3; i++)
		in->adc[i] = sensor_code(pad, i);
	double sensed_a = pad->model.current_a + pad->current_offset_a;
	if (pad->current_noise_a > 0)
		sensed_a += pad->current_noise_a * fault_noise(pad);
	in->current_ma = clamp_i16(sensed_a * 1000.0);
	in->voltage_mv = clamp_i16(pad->model.voltage_v * 1000.0);
	in->supply_mv = (uint16_t)lround(pad->model.p.supply_v * pad->model.supply_scale * 1000.0);
	/* the fuse and the cold cut-out are in series: one sense line */
	in->fuse_open = pad->fuse_open || pad->cold_cutout_open;
}

static void restart_mcu(struct pad *pad)
{
	struct fw_config cfg = pad->fw.cfg; /* fw_init clears the struct */
	fw_init(&pad->fw, &cfg, pad->time_ms);
	pad->fw_out = (struct fw_outputs){0};
	pad->watchdog_level = false;
	pad->watchdog_kicked_ms = pad->time_ms;
}

/* The hardware watchdog, on a clock of its own: a kick line that stopped
 * changing is a firmware that no longer runs. It resets the MCU, and
 * while the reset lasts (and while a firmware that hangs again at boot
 * never comes back) the pull-downs hold the bridge's gates and the load
 * switch's enable off. */
static void watch_mcu(struct pad *pad)
{
	if (pad->unpowered)
		return;
	if (!pad->mcu_hung && pad->fw_out.watchdog_kick != pad->watchdog_level) {
		pad->watchdog_level = pad->fw_out.watchdog_kick;
		pad->watchdog_kicked_ms = pad->time_ms;
	}
	if ((uint32_t)(pad->time_ms - pad->watchdog_kicked_ms) < PAD_MCU_WATCHDOG_MS)
		return;
	pad->watchdog_resets++;
	restart_mcu(pad);
	/* a hang a reset cures (most software hangs) boots again; a dead one
	 * stays in reset, its outputs off */
	pad->mcu_hung = pad->mcu_dead;
}

static void tick(struct pad *pad)
{
	const double dt = PAD_TICK_MS / 1000.0;
	pad->model.supply_scale = relay_conducts(pad) ? pad->supply_sag : 0.0;
	struct fw_inputs in;
	measure(pad, &in);
	pad->time_ms += PAD_TICK_MS;
	/* unpowered logic drives nothing: bridge off, load switch open; a hung
	 * MCU leaves both as they were */
	if (pad->unpowered)
		pad->fw_out = (struct fw_outputs){0};
	else if (!pad->mcu_hung)
		fw_tick(&pad->fw, pad->time_ms, &in, &pad->fw_out);
	watch_mcu(pad);
	pad->fw_drive = pad->fw_out.drive;

	double drive = pad->fw_out.drive / (double)TP_DRIVE_FULL;
	if (pad->tec_stuck)
		drive = pad->tec_stuck_drive;
	if (pad->tec_reversed)
		drive = -drive;
	pad->switch_closed =
		pad->switch_welded || (!pad->switch_failed_open && pad->fw_out.load_switch_closed);
	/* the fuse is in series with the module: nothing passes it once open */
	if (pad->model.plate_c >= PAD_FUSE_OPEN_C && !pad->fuse_shorted)
		pad->fuse_open = true;
	/* the cold cut-out has a sensor of its own, as slow as the others */
	if (pad->model.p.sensor_lag_s > 0)
		pad->cutout_sensor_c += (pad->model.plate_c - pad->cutout_sensor_c) *
					(1.0 - exp(-dt / pad->model.p.sensor_lag_s));
	else
		pad->cutout_sensor_c = pad->model.plate_c;
	if (pad->cutout_sensor_c <= PAD_COLD_CUTOUT_C && !pad->unpowered)
		pad->cold_cutout_open = true;
	bool open = pad->fuse_open || pad->cold_cutout_open || !pad->switch_closed;
	if (open)
		drive = 0.0;
	pad->model.open_circuit = open;
	pad->module_drive = drive;
	model_advance(&pad->model, drive, dt);
	model_sensors_read(&pad->sensors, &pad->model, dt, pad->readings_c);
	for (int i = 0; i < 3; i++) {
		struct pad_sensor_fault *f = &pad->sensor_fault[i];
		f->extra_offset_c += f->drift_c_per_min * dt / 60.0;
		/* a sensor hanging in the air near the pad: it settles toward
		 * the room with a time constant of its own (about 20 s) */
		f->air_c += (pad->model.p.ambient_c - f->air_c) * dt / 20.0;
	}
}

void pad_advance(struct pad *pad, uint32_t dt_ms)
{
	for (uint32_t t = PAD_TICK_MS; t <= dt_ms; t += PAD_TICK_MS)
		tick(pad);
}

void pad_mcu_reset(struct pad *pad)
{
	restart_mcu(pad);
	pad->mcu_hung = pad->mcu_dead = false;
}

void pad_set_powered(struct pad *pad, bool on)
{
	if (on && pad->unpowered)
		pad_mcu_reset(pad);
	if (!on)
		pad->cold_cutout_open = false; /* its latch is powered with the logic */
	pad->unpowered = !on;
}

void pad_set_relay(struct pad *pad, bool closed)
{
	pad->relay_commanded_closed = closed;
}

/* A hung MCU answers nothing: the host's transfers fail. */
int pad_control_in(struct pad *pad, uint8_t request, uint8_t *buf, size_t cap)
{
	return pad->mcu_hung ? -1 : fw_control_in(&pad->fw, request, buf, cap);
}

int pad_control_out(struct pad *pad, uint8_t request, const uint8_t *data, size_t len)
{
	return pad->mcu_hung ? -1 : fw_control_out(&pad->fw, request, data, len);
}

size_t pad_take_report(struct pad *pad, uint8_t *buf, size_t cap)
{
	return pad->mcu_hung ? 0 : fw_take_report(&pad->fw, buf, cap);
}

static void clear_all(struct pad *pad)
{
	for (int i = 0; i < 3; i++)
		pad->sensor_fault[i] = (struct pad_sensor_fault){.kind = FAULT_KIND_OK};
	pad->model.fan_failed = false;
	pad->tec_stuck = false;
	pad->tec_reversed = false;
	pad->model.p = pad->nominal;
	pad->supply_sag = 1.0;
	if (pad->fuse_injected)
		pad->fuse_open = false;
	pad->fuse_injected = false;
	pad->fuse_shorted = false;
	pad->switch_welded = pad->switch_failed_open = false;
	pad->relay_welded = pad->relay_failed_open = false;
	if (pad->mcu_hung)
		pad_mcu_reset(pad);
}

int pad_inject(struct pad *pad, const struct pad_fault *f)
{
	switch (f->target) {
	case FAULT_SENSOR_A:
	case FAULT_SENSOR_B:
	case FAULT_SENSOR_SINK: {
		struct pad_sensor_fault *s = &pad->sensor_fault[f->target];
		if (f->kind == FAULT_KIND_OK) {
			*s = (struct pad_sensor_fault){.kind = FAULT_KIND_OK};
		} else if (f->kind == FAULT_KIND_NOISY) {
			s->extra_noise_c = f->value;
		} else if (f->kind == FAULT_KIND_OFFSET) {
			s->extra_offset_c = f->value;
		} else if (f->kind == FAULT_KIND_DRIFT) {
			s->drift_c_per_min = f->value;
		} else if (f->kind == FAULT_KIND_DETACHED) {
			s->kind = f->kind;
			s->air_c = pad->readings_c[f->target];
		} else {
			s->kind = f->kind;
			/* stuck without a value: frozen where it reads now */
			s->stuck_c = f->has_value ? f->value : pad->readings_c[f->target];
		}
		return 0;
	}
	case FAULT_FAN: {
		/* half a fan: the heat sink's conductance halfway to a dead fan's */
		double share = f->kind == FAULT_KIND_SLOW ? f->value : 1.0;
		const struct model_params *n = &pad->nominal;
		pad->model.p.sink_to_ambient_w_per_k = n->sink_to_ambient_fan_failed_w_per_k +
			share * (n->sink_to_ambient_w_per_k - n->sink_to_ambient_fan_failed_w_per_k);
		pad->model.fan_failed = f->kind == FAULT_KIND_FAIL;
		return 0;
	}
	case FAULT_TEC:
		pad->tec_stuck = f->kind == FAULT_KIND_STUCK;
		pad->tec_stuck_drive = f->value;
		pad->tec_reversed = f->kind == FAULT_KIND_REVERSED;
		/* shorted pellets: a fifth of the resistance, and the current
		 * bypasses the bridge's limiter (up to three times it) */
		pad->model.p.resistance_ohm = pad->nominal.resistance_ohm * (f->kind == FAULT_KIND_SHORT ? 0.2 : 1.0);
		pad->model.p.current_max_a = pad->nominal.current_max_a * (f->kind == FAULT_KIND_SHORT ? 3.0 : 1.0);
		return 0;
	case FAULT_CONTACT:
		/* the strap: looser or tighter contact with the skin; 0 is the
		 * pad lifted off (the plate then meets only the air) */
		pad->model.p.tissue_to_plate_w_per_k = pad->nominal.tissue_to_plate_w_per_k *
						       (f->kind == FAULT_KIND_SCALE ? f->value : 1.0);
		return 0;
	case FAULT_SUPPLY: pad->supply_sag = f->kind == FAULT_KIND_SAG ? f->value : 1.0; return 0;
	case FAULT_FUSE:
		/* fuse:ok is a new fuse fitted: a blown one never recovers alone */
		pad->fuse_injected = f->kind == FAULT_KIND_OPEN;
		pad->fuse_open = f->kind == FAULT_KIND_OPEN;
		pad->fuse_shorted = f->kind == FAULT_KIND_SHORT;
		return 0;
	case FAULT_SWITCH:
		pad->switch_welded = f->kind == FAULT_KIND_WELDED;
		pad->switch_failed_open = f->kind == FAULT_KIND_OPEN;
		return 0;
	case FAULT_RELAY:
		pad->relay_welded = f->kind == FAULT_KIND_WELDED;
		pad->relay_failed_open = f->kind == FAULT_KIND_OPEN;
		return 0;
	case FAULT_MCU:
		/* a hung MCU comes back only through a reset (the hardware
		 * watchdog's, or mcu:ok); a dead one only through mcu:ok */
		if (f->kind == FAULT_KIND_HANG || f->kind == FAULT_KIND_DEAD) {
			pad->mcu_hung = !pad->unpowered;
			pad->mcu_dead = pad->mcu_hung && f->kind == FAULT_KIND_DEAD;
		} else if (f->kind == FAULT_KIND_RESET || pad->mcu_hung) {
			pad_mcu_reset(pad);
		}
		return 0;
	case FAULT_ALL: clear_all(pad); return 0;
	case FAULT_USB: return -1;
	}
	return -1;
}

void pad_truth(const struct pad *pad, struct pad_truth *out)
{
	const struct model *m = &pad->model;
	*out = (struct pad_truth){
		.time_s = pad->time_ms / 1000.0,
		.plate_c = m->plate_c,
		.tissue_c = m->tissue_c,
		.sink_c = m->sink_c,
		.current_a = m->current_a,
		.voltage_v = m->voltage_v,
		.module_drive = pad->module_drive,
		.fw_drive = pad->fw_drive,
		.fw_faults = pad->fw.faults,
		.fw_state = pad->fw.state,
		.fan_failed = m->fan_failed,
		.fuse_open = pad->fuse_open,
		.cold_cutout_open = pad->cold_cutout_open,
		.switch_closed = pad->switch_closed,
		.relay_closed = relay_conducts(pad),
		.mcu_hung = pad->mcu_hung,
		.watchdog_resets = pad->watchdog_resets,
		.supply_v = m->p.supply_v * m->supply_scale,
		.electrical_j = m->electrical_j,
		.heat_to_ambient_j = m->heat_to_ambient_j,
		.heat_to_core_j = m->heat_to_core_j,
		.stored_j = model_stored_heat_j(m),
	};
}
