$(B)/bench/bench_firmware: $(call objs,bench/firmware/bench_firmware.c) $(B)/libmodel_ini.a $(PAD_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,inih) -lm

.PHONY: bench-firmware
bench-firmware: $(B)/bench/bench_firmware
	@{ echo "# Firmware bench"; echo; \
	   echo "Measured by \`make bench\` (bench/firmware): the reference firmware core alone against a host"; \
	   echo "that misbehaves, on every pad description in sim/pads/ at half, once and twice its plate mass,"; \
	   echo "with its own sensor lag and with 3.5 s; judged on the model's true plate."; echo; \
	   $(B)/bench/bench_firmware sim/pads/*.ini; } | tee docs/bench/firmware.md

TEST_BINS += $(B)/bench/bench_firmware
BENCH_TARGETS += bench-firmware
