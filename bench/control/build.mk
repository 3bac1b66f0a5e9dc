$(B)/bench/bench_control: $(call objs,bench/control/bench_control.c bench/control/sweep.c) $(B)/libcore.a $(B)/libmodel_ini.a $(PAD_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LDLIBS)

# The shipped pad descriptions and 50 drawn from seed 15; every controller,
# every scenario, in one process (about 3 minutes of one core: 184 s of
# CPU on the two-core machine, about 25 s of it the tune checks; it was 4.5 min
# before the baselines stopped running the core's estimator beside them).
CONTROL_SEED ?= 15
CONTROL_SWEEP ?= 50
.PHONY: bench-control
bench-control: $(B)/bench/bench_control
	@{ echo "# Control bench"; echo; \
	   echo "Measured by \`make bench\` (bench/control): the control core against the simulated pad, firmware in"; \
	   echo "the loop, judged on the true plate and tissue temperatures of the model; baselines in the same run."; echo; \
	   $(B)/bench/bench_control --seed $(CONTROL_SEED) --sweep $(CONTROL_SWEEP) sim/pads/*.ini; } \
	   | tee docs/bench/control.md

TEST_BINS += $(B)/bench/bench_control
BENCH_TARGETS += bench-control

# How well any estimator can know the skin: the controller's drive replayed
# on the pure model for the pad and for a twin within the sweep's ranges
# whose readings the sensors' noise cannot tell from the pad's
# (bench/control/skin_limit.c; docs/bench/skin.md). The same 55 pads as the
# control bench, the twin searched on 4 of them per scenario: about 2 min
# of CPU.
$(B)/bench/skin_limit: $(call objs,bench/control/skin_limit.c bench/control/sweep.c) $(B)/libcore.a $(B)/libmodel_ini.a $(PAD_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LDLIBS)

SKIN_SEARCH ?= 2
.PHONY: bench-skin
bench-skin: $(B)/bench/skin_limit
	@{ echo "# Skin bench"; echo; \
	   echo "Measured by \`make bench-skin\` (bench/control/skin_limit.c): how close any estimator can come to the"; \
	   echo "model's tissue temperature from the pad's readings, beside how close ours comes."; echo; \
	   $(B)/bench/skin_limit --seed $(CONTROL_SEED) --sweep $(CONTROL_SWEEP) --search $(SKIN_SEARCH) sim/pads/*.ini; } \
	   | tee docs/bench/skin.md

TEST_BINS += $(B)/bench/skin_limit
BENCH_TARGETS += bench-skin
