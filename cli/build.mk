# thermopad, the command line: it talks only to the daemon.
EXTRA_CFLAGS_cli_ := $(call pkg_cflags,jansson libsystemd)
EXTRA_CFLAGS_common_ := $(call pkg_cflags,jansson)

$(B)/thermopad: $(call objs,$(wildcard cli/*.c) common/client.c) $(B)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,jansson libsystemd) -lm

BINS += $(B)/thermopad
