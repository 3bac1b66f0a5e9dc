# thermopad, the command line: it talks only to the daemon.
# profiles validate and doctor parse profiles offline with the daemon's
# own pure parser (libcore)
EXTRA_CFLAGS_cli_ := $(call pkg_cflags,jansson libsystemd inih)
EXTRA_CFLAGS_common_ := $(call pkg_cflags,jansson)

$(B)/thermopad: $(call objs,$(wildcard cli/*.c) common/client.c) $(B)/libcore.a $(B)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,jansson libsystemd) $(CORE_LDLIBS)

BINS += $(B)/thermopad
