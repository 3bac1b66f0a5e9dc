TEST_SCRIPTS += tests/safety/test_safety_case.sh
TEST_BINS += $(B)/safety-case $(B)/thermopadd $(B)/thermopad $(B)/thermopad-sim
TEST_SCRIPTS += tests/safety/test_endurance.sh
