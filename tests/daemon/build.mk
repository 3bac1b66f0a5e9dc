TEST_SCRIPTS += tests/daemon/test_daemon.sh
TEST_BINS += $(B)/thermopadd $(B)/thermopad $(B)/thermopad-sim
TEST_SCRIPTS += tests/daemon/test_api.sh tests/daemon/test_supervisor.sh
TEST_SCRIPTS += tests/daemon/test_api_limits.sh

# the socket's pure pieces (lateness histogram, request ids), no daemon
EXTRA_CFLAGS_tests_daemon_ := $(call pkg_cflags,cmocka jansson libsystemd libusb-1.0)
$(B)/tests/daemon/test_socket_units: $(B)/tests/daemon/test_socket_units.o $(B)/libthermopadd.a $(B)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(DAEMON_LDLIBS)

TESTS += tests/daemon/test_socket_units
VALGRIND_TESTS += tests/daemon/test_socket_units
