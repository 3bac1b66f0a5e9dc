# thermopadd: the edges (libusb, sd-event, the socket, files) around the
# pure core in daemon/core/.
DAEMON_SRCS := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
EXTRA_CFLAGS_daemon_ := $(call pkg_cflags,libusb-1.0 libsystemd jansson inih libgpiod) \
	-DTHERMOPAD_DATADIR='"$(PREFIX)/share/thermopad"'
DAEMON_LDLIBS = $(call pkg_libs,libusb-1.0 libsystemd jansson inih libgpiod) -lpthread -lm

$(B)/libthermopadd.a: $(call objs,$(DAEMON_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(B)/thermopadd: $(call objs,daemon/main.c) $(B)/libthermopadd.a $(B)/libcore.a $(B)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LDLIBS)

BINS += $(B)/thermopadd

# the request parser is pure: fuzzed alone
FUZZERS += request
FUZZ_SRCS_request := daemon/request.c
FUZZ_PKGS_request := jansson
