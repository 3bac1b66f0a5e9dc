$(B)/bench/bench_control: $(call objs,bench/control/bench_control.c) $(B)/libcore.a $(B)/libmodel_ini.a $(PAD_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LDLIBS)

.PHONY: bench-control
bench-control: $(B)/bench/bench_control
	@{ echo "# Control bench"; echo; \
	   echo "Measured by \`make bench\` (bench/control): the control core against the simulated pad, firmware in"; \
	   echo "the loop, judged on the true plate temperature; baselines in the same run."; echo; \
	   $(B)/bench/bench_control --model sim/pads/reference.ini --json $(B)/bench/control-reference.json; echo; \
	   echo "Other pad descriptions, each after an autotune in the same run:"; echo; \
	   for f in sim/pads/*.ini; do [ $$f = sim/pads/reference.ini ] && continue; \
	     $(B)/bench/bench_control --model $$f --autotune yes --json $(B)/bench/control-$$(basename $$f .ini).json; echo; done; } \
	   | tee docs/bench/control.md

TEST_BINS += $(B)/bench/bench_control
BENCH_TARGETS += bench-control
