# The libgpiod adapter (daemon/io/gpio.c) against an emulated GPIO chip that a
# umockdev testbed answers in-process (tests/gpio/gpio_emul.c).
EXTRA_CFLAGS_tests_gpio_ := $(call pkg_cflags,cmocka umockdev-1.0 libgpiod)

# daemon/io/gpio.c is compiled into the test itself, so the test does not need
# the whole daemon library.
$(B)/tests/gpio/gpio.o: daemon/io/gpio.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pkg_cflags,libgpiod) -MMD -MP -c $< -o $@

$(B)/tests/gpio/test_gpio: $(call objs,tests/gpio/test_gpio.c tests/gpio/gpio_emul.c) $(B)/tests/gpio/gpio.o \
		$(B)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka umockdev-1.0 gobject-2.0 glib-2.0 libgpiod) $(CORE_LDLIBS)

TESTS_UMOCKDEV += tests/gpio/test_gpio

# The interlock end to end: the daemon's loop hosted in the test process
# with the simulated pad and the emulated chip in one testbed.
$(B)/tests/gpio/test_interlock_e2e: $(call objs,tests/gpio/test_interlock_e2e.c tests/gpio/gpio_emul.c) \
		$(B)/libthermopadd.a $(B)/libcore.a $(SIM_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka umockdev-1.0 gobject-2.0 glib-2.0) $(DAEMON_LDLIBS) \
		$(SIM_LDLIBS)

EXTRA_CFLAGS_tests_gpio_ += $(call pkg_cflags,libusb-1.0 libsystemd jansson)
TESTS_UMOCKDEV += tests/gpio/test_interlock_e2e
