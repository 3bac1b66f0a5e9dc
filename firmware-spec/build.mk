# The wire protocol's codec and USB descriptors: pure, shared by the
# firmware core, the simulator and every host program.
PROTO_SRCS := $(wildcard firmware-spec/*.c)

$(B)/libproto.a: $(call objs,$(PROTO_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

FUZZERS += proto
FUZZ_SRCS_proto := $(PROTO_SRCS)
