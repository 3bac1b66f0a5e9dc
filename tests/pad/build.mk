# The pad module with a fake link (no libusb): device time, repeats, restarts.
$(B)/tests/pad/test_pad_time: $(B)/tests/pad/test_pad_time.o $(B)/libthermopadd.a $(B)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(DAEMON_LDLIBS)

TESTS += tests/pad/test_pad_time
VALGRIND_TESTS += tests/pad/test_pad_time
