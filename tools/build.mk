# Small programs around the pad: tpstream, an asynchronous libusb client.
EXTRA_CFLAGS_tools_ := $(call pkg_cflags,libusb-1.0)

$(B)/tpstream: $(call objs,tools/tpstream.c) $(B)/libsimctl.a $(B)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,libusb-1.0) -lm

TEST_BINS += $(B)/tpstream
all: $(B)/tpstream
