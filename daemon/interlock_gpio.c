/* SPDX-License-Identifier: MIT */
/*
 * The hardware interlock at the edge: reads the emergency stop (its edge
 * events wake the loop at once; the control tick reads the level too, in
 * case an edge was lost), asks the pure interlock what to do, and drives
 * the relay and the lights. A press zeroes every pad's drive and latches
 * "emergency-stop" in the same callback. A line that fails at run time is
 * a fault on every pad, and the relay stays open.
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "io/gpio.h"

static void fault_all(struct daemon *d, const char *code, const char *message)
{
	double now = daemon_now(d);
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		struct pad_conn *p = &d->pads[i];
		if (!p->used)
			continue;
		struct core_output out;
		core_external_fault(&p->core, now, code, message, &out);
		if (p->present)
			usb_send_drive(p, out.drive);
		control_events(p, &out);
	}
}

static void line_failed(struct daemon *d, const char *what)
{
	if (!d->interlock.failed)
		daemon_log(2, "interlock: %s", what);
	interlock_fail(&d->interlock);
	char msg[300];
	snprintf(msg, sizeof msg, "interlock GPIO failure: %s", what);
	fault_all(d, "gpio-failure", msg);
}

static void read_button(struct daemon *d)
{
	bool pressed;
	char err[300];
	if (gpio_estop_read(d->gpio, &pressed, err, sizeof err) != 0) {
		line_failed(d, err);
		return;
	}
	if (interlock_on_level(&d->interlock, pressed, daemon_wall())) {
		daemon_log(2, "interlock: emergency stop pressed: drive zero, relay open");
		fault_all(d, "emergency-stop",
			  "the emergency-stop button was pressed: drive zero and the power relay opened; "
			  "release the button, then clear the fault");
	}
}

void interlock_gpio_update(struct daemon *d)
{
	if (!d->gpio)
		return;
	read_button(d);
	interlock_on_tick(&d->interlock, daemon_wall());
	struct interlock_pad pads[DAEMON_MAX_PADS];
	int n = 0;
	for (int i = 0; i < DAEMON_MAX_PADS; i++) {
		const struct pad_conn *p = &d->pads[i];
		if (!p->used)
			continue;
		struct core_status st;
		core_status(&p->core, &st);
		pads[n++] = (struct interlock_pad){
			.present = p->present,
			.running = st.state == CORE_RUNNING || st.state == CORE_TUNING,
			.fault = st.fault,
			.heating = st.phase_kind && !strcmp(st.phase_kind, "heat"),
			.cooling = st.phase_kind && !strcmp(st.phase_kind, "cold"),
		};
	}
	struct interlock_outputs o = interlock_outputs(&d->interlock, pads, n);
	if (d->outputs_known && !memcmp(&o, &d->outputs, sizeof o))
		return;
	char err[300];
	/* the relay first: opening it is what makes the pad safe */
	if (gpio_set_relay(d->gpio, o.relay, err, sizeof err) != 0) {
		line_failed(d, err);
		return;
	}
	if (!d->outputs_known || o.relay != d->outputs.relay)
		daemon_log(6, "interlock: relay %s", o.relay ? "closed (pad powered)" : "open (pad unpowered)");
	if (gpio_set_lights(d->gpio, o.heat, o.cold, o.fault, err, sizeof err) != 0) {
		line_failed(d, err);
		return;
	}
	d->outputs = o;
	d->outputs_known = true;
}

static int on_edge(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct daemon *d = user;
	(void)s, (void)fd;
	if (revents & (EPOLLERR | EPOLLHUP)) {
		d->gpio_src = sd_event_source_disable_unref(d->gpio_src);
		line_failed(d, "the emergency-stop line's events stopped");
	}
	interlock_gpio_update(d);
	return 0;
}

int interlock_gpio_start(struct daemon *d, char *err, size_t errlen)
{
	if (!d->cfg.gpio.enabled)
		return 0;
	if (gpio_open(&d->cfg.gpio, "thermopadd", &d->gpio, err, errlen) != 0)
		return -1;
	bool pressed;
	if (gpio_estop_read(d->gpio, &pressed, err, errlen) != 0)
		return -1;
	interlock_init(&d->interlock, d->cfg.gpio.estop_debounce_ms, pressed, daemon_wall());
	if (sd_event_add_io(d->event, &d->gpio_src, gpio_event_fd(d->gpio), EPOLLIN, on_edge, d) < 0) {
		snprintf(err, errlen, "event loop: cannot watch the emergency-stop line");
		return -1;
	}
	daemon_log(5, "interlock: on chip %s, relay open%s", d->cfg.gpio.chip,
		   pressed ? ", emergency stop pressed" : "");
	return 0;
}

int interlock_gpio_clear_allowed(const struct daemon *d, char *err, size_t errlen)
{
	return d->gpio ? interlock_clear_allowed(&d->interlock, err, errlen) : 0;
}

void interlock_gpio_stop(struct daemon *d)
{
	d->gpio_src = sd_event_source_disable_unref(d->gpio_src);
	gpio_close(d->gpio); /* the relay opens first */
	d->gpio = NULL;
}
