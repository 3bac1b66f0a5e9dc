TEST_SCRIPTS += tests/daemon/test_daemon.sh
TEST_BINS += $(B)/thermopadd $(B)/thermopad $(B)/thermopad-sim
TEST_SCRIPTS += tests/daemon/test_api.sh tests/daemon/test_supervisor.sh
TEST_SCRIPTS += tests/daemon/test_api_limits.sh

# The daemon's own logic with fakes (a fake link, a recording sink): no
# USB, no loop; the socket's pure pieces (lateness histogram, request ids).
# Each program runs in milliseconds.
EXTRA_CFLAGS_tests_daemon_ := $(call pkg_cflags,cmocka jansson libsystemd libusb-1.0)
DAEMON_UNIT_TESTS := test_pad test_store test_socket test_socket_units

$(B)/tests/daemon/%: $(B)/tests/daemon/%.o $(B)/libthermopadd.a $(B)/libcore.a $(B)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(DAEMON_LDLIBS)

TESTS += $(addprefix tests/daemon/,$(DAEMON_UNIT_TESTS))
VALGRIND_TESTS += $(addprefix tests/daemon/,$(DAEMON_UNIT_TESTS))

# The end-to-end scripts alone (the daemon and the command line under the
# simulator), plain and under the sanitizers side by side as in make check:
# what tests/hermetic.sh runs where a whole make check would take too long.
E2E_SCRIPTS = $(filter tests/daemon/%.sh tests/cli/%.sh,$(TEST_SCRIPTS))
.PHONY: check-e2e
check-e2e:
	@$(MAKE) --no-print-directory build-tests
	@$(MAKE) --no-print-directory SAN=1 build-tests
	@rm -f build/e2e-results
	@$(call check_pair,tests/run.sh build build/e2e-results -- -- -- $(E2E_SCRIPTS),\
		tests/run.sh build-san build/e2e-results -- -- -- $(E2E_SCRIPTS))
	@tests/summary.sh build/e2e-results
