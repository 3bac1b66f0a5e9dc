$(B)/bench/apibench: $(call objs,bench/daemon/apibench.c common/client.c)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,jansson)

EXTRA_CFLAGS_bench_daemon_ := $(call pkg_cflags,jansson)

.PHONY: bench-daemon
bench-daemon: $(B)/bench/apibench $(B)/thermopadd $(B)/thermopad $(B)/thermopad-sim
	@bench/daemon/bench_daemon.sh $(B)

# the control loop under attack, beside a quiet run (about 2 minutes)
.PHONY: bench-attack
bench-attack: $(B)/bench/apibench $(B)/thermopadd $(B)/thermopad $(B)/thermopad-sim
	@bench/daemon/bench_attack.sh $(B)

TEST_BINS += $(B)/bench/apibench
BENCH_TARGETS += bench-daemon bench-attack
