# The safety case: the hazard table (docs/safety/hazards.tsv) run in the
# simulator and judged on the model's truth. `make check` runs the gate
# (tests/safety/); `make safety-report` rewrites docs/safety.md.
SAFETY_SRCS := $(filter-out safety/endurance.c,$(wildcard safety/*.c))

$(B)/safety-case: $(call objs,$(SAFETY_SRCS) daemon/pad/pad.c) $(B)/libcore.a $(B)/libmodel_ini.a $(PAD_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LDLIBS)

TEST_BINS += $(B)/safety-case

.PHONY: safety-report
safety-report: $(B)/safety-case $(B)/thermopadd $(B)/thermopad $(B)/thermopad-sim
	@mkdir -p $(B)/safety
	@{ TP_BUILD=$(B) bash safety/e2e.sh $(B)/safety/e2e.txt >&2; cat $(B)/safety/e2e.txt; } | \
		$(B)/safety-case --e2e - --report docs/safety.md --beyond docs/safety/beyond-software.md || true

# The endurance run: 24 h of model time of every shipped profile on every
# pad at three sensor noises, no false trip allowed (docs/bench/endurance.md).
# make check runs a short day of it (tests/safety/test_endurance.sh).
$(B)/safety-endurance: $(call objs,safety/endurance.c safety/scenario.c daemon/pad/pad.c) $(B)/libcore.a \
		$(B)/libmodel_ini.a $(PAD_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LDLIBS)

TEST_BINS += $(B)/safety-endurance

.PHONY: endurance
endurance: $(B)/safety-endurance
	$(B)/safety-endurance --pads sim/pads --profiles profiles --hours 24 --report docs/bench/endurance.md
