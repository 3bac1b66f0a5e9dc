$(B)/tests/firmware/test_firmware: $(call objs,tests/firmware/test_firmware.c) $(B)/libfirmware.a $(B)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) -lm

TESTS += tests/firmware/test_firmware
VALGRIND_TESTS += tests/firmware/test_firmware
