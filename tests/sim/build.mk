TEST_SCRIPTS += tests/sim/test_sim.sh
TEST_BINS += $(B)/thermopad-sim $(B)/tpstream $(B)/libthermopad-simpoll.so
