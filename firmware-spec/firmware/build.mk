# The reference firmware core: pure, portable C (links the codec).
FIRMWARE_SRCS := $(wildcard firmware-spec/firmware/*.c)

$(B)/libfirmware.a: $(call objs,$(FIRMWARE_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

FUZZERS += firmware
FUZZ_SRCS_firmware := $(FIRMWARE_SRCS) $(PROTO_SRCS)
