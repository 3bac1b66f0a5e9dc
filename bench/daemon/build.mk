$(B)/bench/apibench: $(call objs,bench/daemon/apibench.c common/client.c)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,jansson)

EXTRA_CFLAGS_bench_daemon_ := $(call pkg_cflags,jansson)

.PHONY: bench-daemon
bench-daemon: $(B)/bench/apibench $(B)/thermopadd $(B)/thermopad $(B)/thermopad-sim
	@bench/daemon/bench_daemon.sh $(B)

TEST_BINS += $(B)/bench/apibench
BENCH_TARGETS += bench-daemon
