.PHONY: bench-sim
bench-sim: $(B)/thermopad-sim $(B)/tpstream $(B)/libthermopad-simpoll.so
	@bench/sim/bench_sim.sh $(B)

BENCH_TARGETS += bench-sim
