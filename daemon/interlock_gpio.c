/* SPDX-License-Identifier: MIT */
/* The hardware interlock at the edge (interlock_gpio.h). */
#include <stdio.h>
#include <string.h>

#include "interlock_gpio.h"
#include "io/gpio.h"
#include "io/report.h"

static void line_failed(struct interlock_gpio *ig, const char *what)
{
	if (!ig->interlock.failed)
		report_log(LOG_CRIT, "interlock: %s", what);
	interlock_fail(&ig->interlock);
	char msg[300];
	snprintf(msg, sizeof msg, "interlock GPIO failure: %s", what);
	pad_table_fault_all(ig->pads, clock_model_now(ig->clock), "gpio-failure", msg);
}

static void read_button(struct interlock_gpio *ig)
{
	bool pressed;
	char err[300];
	if (gpio_estop_read(ig->gpio, &pressed, err, sizeof err) != 0) {
		line_failed(ig, err);
		return;
	}
	if (interlock_on_level(&ig->interlock, pressed, clock_wall())) {
		report_log(LOG_CRIT, "interlock: emergency stop pressed: drive zero, relay open");
		pad_table_fault_all(ig->pads, clock_model_now(ig->clock), "emergency-stop",
			  "the emergency-stop button was pressed: drive zero and the power relay opened; "
			  "release the button, then clear the fault");
	}
}

void interlock_gpio_update(struct interlock_gpio *ig)
{
	if (!ig->gpio)
		return;
	read_button(ig);
	interlock_on_tick(&ig->interlock, clock_wall());
	struct interlock_pad pads[PAD_MAX];
	int n = 0;
	for (int i = 0; i < PAD_MAX; i++) {
		const struct pad_slot *p = &ig->pads->slots[i];
		if (!p->used)
			continue;
		struct core_status st;
		pad_status(p, &st);
		pads[n++] = (struct interlock_pad){
			.present = p->present,
			.running = st.state == CORE_RUNNING || st.state == CORE_TUNING,
			.fault = st.fault,
			.heating = st.phase_kind && !strcmp(st.phase_kind, "heat"),
			.cooling = st.phase_kind && !strcmp(st.phase_kind, "cold"),
		};
	}
	struct interlock_outputs o = interlock_outputs(&ig->interlock, pads, n);
	if (ig->outputs_known && !memcmp(&o, &ig->outputs, sizeof o))
		return;
	char err[300];
	/* the relay first: opening it is what makes the pad safe */
	if (gpio_set_relay(ig->gpio, o.relay, err, sizeof err) != 0) {
		line_failed(ig, err);
		return;
	}
	if (!ig->outputs_known || o.relay != ig->outputs.relay)
		report_log(LOG_INFO, "interlock: relay %s", o.relay ? "closed (pad powered)" : "open (pad unpowered)");
	if (gpio_set_lights(ig->gpio, o.heat, o.cold, o.fault, err, sizeof err) != 0) {
		line_failed(ig, err);
		return;
	}
	ig->outputs = o;
	ig->outputs_known = true;
}

static int on_edge(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct interlock_gpio *ig = user;
	(void)s, (void)fd;
	if (revents & (EPOLLERR | EPOLLHUP)) {
		ig->src = sd_event_source_disable_unref(ig->src);
		line_failed(ig, "the emergency-stop line's events stopped");
	}
	interlock_gpio_update(ig);
	return 0;
}

static int clear_allowed(void *ctx, char *err, size_t errlen)
{
	struct interlock_gpio *ig = ctx;
	return interlock_clear_allowed(&ig->interlock, err, errlen);
}

int interlock_gpio_start(struct interlock_gpio *ig, sd_event *ev, const struct gpio_config *cfg,
			 struct pad_table *pads, const struct clock_model *clock, char *err, size_t errlen)
{
	*ig = (struct interlock_gpio){.pads = pads, .clock = clock};
	if (!cfg->enabled)
		return 0;
	if (gpio_open(cfg, "thermopadd", &ig->gpio, err, errlen) != 0)
		return -1;
	bool pressed;
	if (gpio_estop_read(ig->gpio, &pressed, err, errlen) != 0)
		return -1;
	interlock_init(&ig->interlock, cfg->estop_debounce_ms, pressed, clock_wall());
	if (sd_event_add_io(ev, &ig->src, gpio_event_fd(ig->gpio), EPOLLIN, on_edge, ig) < 0) {
		snprintf(err, errlen, "event loop: cannot watch the emergency-stop line");
		return -1;
	}
	pad_table_set_clear_gate(pads, &(struct pad_clear_gate){.ctx = ig, .allowed = clear_allowed});
	report_log(LOG_NOTICE, "interlock: on chip %s, relay open%s", cfg->chip, pressed ? ", emergency stop pressed" : "");
	return 0;
}

void interlock_gpio_stop(struct interlock_gpio *ig)
{
	ig->src = sd_event_source_disable_unref(ig->src);
	gpio_close(ig->gpio); /* the relay opens first */
	ig->gpio = NULL;
}
