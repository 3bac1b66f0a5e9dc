TEST_SCRIPTS += tests/daemon/test_daemon.sh
TEST_BINS += $(B)/thermopadd $(B)/thermopad $(B)/thermopad-sim
TEST_SCRIPTS += tests/daemon/test_api.sh tests/daemon/test_supervisor.sh
TEST_SCRIPTS += tests/daemon/test_api_limits.sh
