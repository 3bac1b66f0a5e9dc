# thermopadd: the edges (libusb, sd-event, the socket, files) around the
# pure core in daemon/core/. A folder per room: pad/ (the only user of the
# core and of the USB send), io/ (adapters), store/ (the state directory),
# socket/ (the API server); daemon.c and main.c put them together.
DAEMON_DIRS := daemon daemon/pad daemon/io daemon/store daemon/socket
DAEMON_SRCS := $(filter-out daemon/main.c,$(foreach d,$(DAEMON_DIRS),$(wildcard $(d)/*.c)))
DAEMON_CFLAGS := $(call pkg_cflags,libusb-1.0 libsystemd jansson inih libgpiod zlib) \
	-DTHERMOPAD_DATADIR='"$(PREFIX)/share/thermopad"'
$(foreach d,$(DAEMON_DIRS),$(eval EXTRA_CFLAGS_$(subst /,_,$(d))_ := $(DAEMON_CFLAGS)))
# The paths compiled in come from PREFIX: a build with another PREFIX
# rebuilds what uses them (the stamp changes only when the paths do).
$(B)/daemon-paths.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX)/share/thermopad' | cmp -s - $@ || echo '$(PREFIX)/share/thermopad' >$@
$(call objs,$(DAEMON_SRCS)): $(B)/daemon-paths.stamp
.PHONY: FORCE
FORCE:
DAEMON_LDLIBS = $(call pkg_libs,libusb-1.0 libsystemd jansson inih libgpiod zlib) -lpthread -lm

$(B)/libthermopadd.a: $(call objs,$(DAEMON_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(B)/thermopadd: $(call objs,daemon/main.c) $(B)/libthermopadd.a $(B)/libcore.a $(B)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LDLIBS)

BINS += $(B)/thermopadd

# the request parser is pure: fuzzed alone
FUZZERS += request
FUZZ_SRCS_request := daemon/socket/request.c
FUZZ_PKGS_request := jansson

# the dose ledger file's envelope and the ledger it holds, on any bytes
FUZZERS += ledger
FUZZ_SRCS_ledger := daemon/store/dose_file.c daemon/core/dose.c
FUZZ_PKGS_ledger := zlib inih
