$(B)/tests/proto/test_proto: $(call objs,tests/proto/test_proto.c) $(B)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka)

TESTS += tests/proto/test_proto
VALGRIND_TESTS += tests/proto/test_proto
