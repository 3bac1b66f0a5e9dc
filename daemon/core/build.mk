# The control core: pure (no I/O, no clock, no globals). inih's
# ini_parse_string parses memory, so profile and configuration parsing
# belong here too; the daemon reads the files.
# the codec too: the supervisor names firmware fault bits by their protocol names
CORE_SRCS := $(wildcard daemon/core/*.c) common/ini_util.c firmware-spec/proto.c
EXTRA_CFLAGS_daemon_core_ := $(call pkg_cflags,inih)

$(B)/libcore.a: $(call objs,$(CORE_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

FUZZERS += profile config
FUZZ_SRCS_profile := $(CORE_SRCS)
FUZZ_PKGS_profile := inih
FUZZ_SRCS_config := $(CORE_SRCS)
FUZZ_PKGS_config := inih
