/* SPDX-License-Identifier: MIT */
/*
 * The interlock end to end, in one process: the daemon's own loop
 * (daemon_init/sd_event_run, as thermopadd runs it), the simulated pad
 * reached through the real libusb, and the emulated GPIO chip reached
 * through the real libgpiod, both in one umockdev testbed. A session runs,
 * the button is pressed mid-phase: in the very loop iteration that handles
 * the edge the drive goes to zero and the relay opens; the fault latches,
 * cannot be cleared while the button is held, and can once it is released.
 * The relay line is wired to the pads' supply, as docs/gpio.md wires it:
 * the firmware sees no supply whenever the relay is open.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon.h"
#include "gpio_emul.h"
#include "simusb.h"

enum { RELAY = 0, ESTOP = 1, LIGHT_HEAT = 2, LIGHT_COLD = 3, LIGHT_FAULT = 4 };
static const char *const line_names[] = {"RELAY", "ESTOP", "LED_HEAT", "LED_COLD", "LED_FAULT", NULL, NULL, NULL};

struct rig {
	struct simusb *sim;
	struct gpio_emul *chip;
	struct daemon d;
	char dir[64], conf[128], run[128], state[128];
};

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One iteration of the daemon's loop; then the relay line, as the daemon
 * left it, switches the pads' supply. */
static void pump(struct rig *r)
{
	sd_event_run(r->d.event, 10000);
	simusb_set_relay(r->sim, gpio_emul_output(r->chip, RELAY) == 1);
}

/* Runs the daemon's loop until cond holds (or 20 s of wall time pass). */
#define PUMP_UNTIL(r, cond)                                                 \
	do {                                                                \
		double limit_ = wall() + 20.0;                              \
		while (!(cond) && wall() < limit_)                          \
			pump(r);                                            \
		assert_true(cond);                                          \
	} while (0)

/* One request on the daemon's socket, answered by pumping its loop. */
static void request(struct rig *r, const char *line, char *reply, size_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%.100s", r->d.server.socket_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_true(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
	size_t got = 0;
	reply[0] = '\0';
	double limit = wall() + 10.0;
	while (!strchr(reply, '\n') && wall() < limit) {
		pump(r);
		ssize_t n = recv(fd, reply + got, len - 1 - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			reply[got] = '\0';
		}
	}
	close(fd);
	assert_non_null(strchr(reply, '\n'));
}

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof *r);
	snprintf(r->dir, sizeof r->dir, "/tmp/tp-e2e-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->conf, sizeof r->conf, "%s/thermopad.conf", r->dir);
	snprintf(r->run, sizeof r->run, "%s/run", r->dir);
	snprintf(r->state, sizeof r->state, "%s/state", r->dir);
	FILE *f = fopen(r->conf, "w");
	assert_non_null(f);
	fprintf(f, "[pad]\nwatchdog_ms = 5000\n[gpio]\nchip = gpiochip0\nestop_line = ESTOP\n"
		   "estop_debounce_ms = 20\nrelay_line = RELAY\nlight_heat_line = LED_HEAT\n"
		   "light_cold_line = LED_COLD\nlight_fault_line = LED_FAULT\n");
	fclose(f);
	struct simusb_opts o;
	simusb_opts_default(&o);
	o.time_scale = 20;
	char err[600];
	if (simusb_start(&o, &r->sim, err, sizeof err) != 0)
		fail_msg("%s", err);
	r->chip = gpio_emul_attach(simusb_testbed(r->sim), "gpiochip0", "thermopad-e2e", 8, line_names);
	assert_non_null(r->chip);
	r->d.opts = (struct daemon_opts){.config_path = r->conf, .runtime_dir = r->run, .state_dir = r->state,
					 .profiles_dir = "profiles", .time_scale = 20};
	if (daemon_init(&r->d, err, sizeof err) != 0)
		fail_msg("daemon_init: %s", err);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;
	daemon_fini(&r->d);
	assert_int_equal(gpio_emul_last_output(r->chip, RELAY), 0); /* open on exit */
	gpio_emul_free(r->chip);
	simusb_stop(r->sim);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", r->dir);
	assert_int_equal(system(cmd), 0);
	free(r);
	return 0;
}

static void press_mid_phase(void **state)
{
	struct rig *r = *state;
	struct pad_slot *p = &r->d.pads.slots[0];
	char reply[4096];
	assert_int_equal(gpio_emul_output(r->chip, RELAY), 0); /* open from the start */
	PUMP_UNTIL(r, p->used && p->present && p->have_tel);

	request(r, "{\"v\":1,\"id\":1,\"cmd\":\"start\",\"profile\":\"heat\"}\n", reply, sizeof reply);
	assert_non_null(strstr(reply, "\"ok\":true"));
	PUMP_UNTIL(r, gpio_emul_output(r->chip, RELAY) == 1 && p->core.drive > 0.1);
	double t_start = simusb_model_time(r->sim);
	PUMP_UNTIL(r, simusb_model_time(r->sim) > t_start + 20.0); /* mid-phase, heating */
	struct pad_truth mid;
	simusb_truth(r->sim, 0, &mid, NULL);
	/* the session runs on the supply the relay gives it, with no fault */
	assert_true(mid.relay_closed && mid.supply_v > 11.0);
	assert_int_equal(mid.fw_faults, 0);
	assert_true(mid.plate_c > 36.0);
	assert_int_equal(gpio_emul_output(r->chip, LIGHT_HEAT), 1);
	assert_int_equal(gpio_emul_output(r->chip, LIGHT_FAULT), 0);

	/* The pad's clock stands still from the press until the daemon has
	 * acted: the interlock acts on the daemon's own tick, with no frame
	 * of the pad and no model time passing, however busy the machine is
	 * (a bound in model time at a time scale is a few milliseconds of
	 * wall time, which a loaded machine misses). */
	simusb_hold(r->sim, true);
	double t_press = simusb_model_time(r->sim);
	gpio_emul_press(r->chip, ESTOP, true);
	/* every iteration either did not see the edge yet, or saw it and
	 * left the drive at zero and the relay open */
	for (int i = 0; i < 200 && !r->d.ilock.interlock.pressed; i++) {
		pump(r);
		if (r->d.ilock.interlock.pressed) {
			assert_true(p->core.drive == 0.0);
			assert_int_equal(gpio_emul_output(r->chip, RELAY), 0);
		}
	}
	assert_true(r->d.ilock.interlock.pressed);
	assert_true(simusb_model_time(r->sim) == t_press); /* no tick of the pad was needed */
	simusb_hold(r->sim, false);
	assert_int_equal(gpio_emul_output(r->chip, LIGHT_FAULT), 1);
	assert_int_equal(gpio_emul_output(r->chip, LIGHT_HEAT), 0);
	struct pad_truth truth;
	bool plugged;
	PUMP_UNTIL(r, (simusb_truth(r->sim, 0, &truth, &plugged), truth.fw_drive == 0));

	request(r, "{\"v\":1,\"id\":2,\"cmd\":\"status\"}\n", reply, sizeof reply);
	assert_non_null(strstr(reply, "\"code\":\"emergency-stop\""));
	/* the relay cut the supply: a state of the firmware, not its fault */
	PUMP_UNTIL(r, (simusb_truth(r->sim, 0, &truth, &plugged), truth.supply_v == 0.0));
	assert_false(truth.fw_faults & TP_FAULT_SUPPLY);
	request(r, "{\"v\":1,\"id\":3,\"cmd\":\"clear-faults\"}\n", reply, sizeof reply);
	assert_non_null(strstr(reply, "still pressed"));
	request(r, "{\"v\":1,\"id\":4,\"cmd\":\"start\",\"profile\":\"heat\"}\n", reply, sizeof reply);
	assert_non_null(strstr(reply, "\"code\":\"fault-active\""));
	assert_int_equal(gpio_emul_output(r->chip, RELAY), 0);

	gpio_emul_press(r->chip, ESTOP, false);
	PUMP_UNTIL(r, !r->d.ilock.interlock.pressed); /* after the debounce */
	request(r, "{\"v\":1,\"id\":5,\"cmd\":\"clear-faults\"}\n", reply, sizeof reply);
	assert_non_null(strstr(reply, "\"ok\":true"));
	assert_int_equal(gpio_emul_output(r->chip, RELAY), 0); /* no session: stays open */
}

static void relay_opens_on_pause_stop_and_pad_loss(void **state)
{
	struct rig *r = *state;
	struct pad_slot *p = &r->d.pads.slots[0];
	char reply[4096];
	PUMP_UNTIL(r, p->used && p->present && p->have_tel);
	request(r, "{\"v\":1,\"id\":1,\"cmd\":\"start\",\"profile\":\"heat\"}\n", reply, sizeof reply);
	PUMP_UNTIL(r, gpio_emul_output(r->chip, RELAY) == 1);
	request(r, "{\"v\":1,\"id\":2,\"cmd\":\"pause\"}\n", reply, sizeof reply);
	PUMP_UNTIL(r, gpio_emul_output(r->chip, RELAY) == 0);
	request(r, "{\"v\":1,\"id\":3,\"cmd\":\"resume\"}\n", reply, sizeof reply);
	PUMP_UNTIL(r, gpio_emul_output(r->chip, RELAY) == 1);
	request(r, "{\"v\":1,\"id\":4,\"cmd\":\"stop\"}\n", reply, sizeof reply);
	PUMP_UNTIL(r, gpio_emul_output(r->chip, RELAY) == 0);
	PUMP_UNTIL(r, p->core.state == CORE_IDLE);
	request(r, "{\"v\":1,\"id\":5,\"cmd\":\"start\",\"profile\":\"heat\"}\n", reply, sizeof reply);
	PUMP_UNTIL(r, gpio_emul_output(r->chip, RELAY) == 1);
	struct pad_fault unplug;
	char err[200];
	assert_int_equal(faults_parse("usb:unplug", &unplug, err, sizeof err), 0);
	assert_int_equal(simusb_inject(r->sim, 0, &unplug, err, sizeof err), 0);
	PUMP_UNTIL(r, !p->present);
	PUMP_UNTIL(r, gpio_emul_output(r->chip, RELAY) == 0);
	assert_int_equal(gpio_emul_output(r->chip, LIGHT_FAULT), 1);
}

/* A line that fails while a session runs: a fault on the pad, drive zero,
 * relay open, and no clearing until the daemon restarts. */
static void a_line_failing_at_run_time_is_a_fault(void **state)
{
	struct rig *r = *state;
	struct pad_slot *p = &r->d.pads.slots[0];
	char reply[4096];
	PUMP_UNTIL(r, p->used && p->present && p->have_tel);
	request(r, "{\"v\":1,\"id\":1,\"cmd\":\"start\",\"profile\":\"heat\"}\n", reply, sizeof reply);
	PUMP_UNTIL(r, gpio_emul_output(r->chip, RELAY) == 1 && p->core.drive > 0.1);
	/* read on the daemon's own tick, with no frame of the pad needed: the
	 * pad's clock stands still until the failure is seen (a bound in
	 * model time is a few milliseconds of wall time at a time scale) */
	simusb_hold(r->sim, true);
	double t0 = simusb_model_time(r->sim);
	gpio_emul_set_fault(r->chip, ESTOP, EIO);
	for (int i = 0; i < 200 && !r->d.ilock.interlock.failed; i++)
		pump(r);
	assert_true(r->d.ilock.interlock.failed);
	assert_true(simusb_model_time(r->sim) == t0);
	simusb_hold(r->sim, false);
	assert_true(p->core.drive == 0.0);
	PUMP_UNTIL(r, gpio_emul_output(r->chip, RELAY) == 0);
	request(r, "{\"v\":1,\"id\":2,\"cmd\":\"status\"}\n", reply, sizeof reply);
	assert_non_null(strstr(reply, "\"code\":\"gpio-failure\""));
	request(r, "{\"v\":1,\"id\":3,\"cmd\":\"clear-faults\"}\n", reply, sizeof reply);
	assert_non_null(strstr(reply, "failed"));
	assert_null(strstr(reply, "\"ok\":true"));
}

/* A chip that is not there: the daemon does not start, and says which. */
static void missing_chip_stops_the_start(void **state)
{
	(void)state;
	struct simusb *sim;
	struct simusb_opts o;
	char err[600], dir[] = "/tmp/tp-e2e-XXXXXX", conf[64];
	simusb_opts_default(&o);
	assert_int_equal(simusb_start(&o, &sim, err, sizeof err), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof conf, "%s/thermopad.conf", dir);
	FILE *f = fopen(conf, "w");
	fprintf(f, "[gpio]\nchip = gpiochip9\nestop_line = 1\nrelay_line = 0\n");
	fclose(f);
	static struct daemon d;
	d.opts = (struct daemon_opts){.config_path = conf, .runtime_dir = dir, .state_dir = dir,
				      .profiles_dir = "profiles", .time_scale = 1};
	assert_int_equal(daemon_init(&d, err, sizeof err), -1);
	assert_non_null(strstr(err, "gpio chip 'gpiochip9' not found"));
	assert_int_equal(d.server.listen_fd, -1); /* nothing else was started */
	daemon_fini(&d);
	unlink(conf);
	rmdir(dir);
	simusb_stop(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(press_mid_phase, setup, teardown),
		cmocka_unit_test_setup_teardown(relay_opens_on_pause_stop_and_pad_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(a_line_failing_at_run_time_is_a_fault, setup, teardown),
		cmocka_unit_test(missing_chip_stops_the_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
