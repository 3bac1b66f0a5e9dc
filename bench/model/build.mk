$(B)/bench/bench_model: $(call objs,bench/model/bench_model.c) $(B)/libmodel_ini.a $(B)/libmodel.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,inih) -lm

.PHONY: bench-model
bench-model: $(B)/bench/bench_model
	@{ echo "# Model bench"; echo; echo "Measured by \`make bench\` (bench/model)."; echo; \
	   for f in sim/pads/*.ini; do $(B)/bench/bench_model --model $$f; echo; done; } | tee docs/bench/model.md

TEST_BINS += $(B)/bench/bench_model
BENCH_TARGETS += bench-model
