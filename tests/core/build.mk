CORE_TESTS := test_safety test_profiles test_random test_config

$(B)/tests/core/%: $(B)/tests/core/%.o $(B)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(CORE_LDLIBS)

TESTS += $(addprefix tests/core/,$(CORE_TESTS))
VALGRIND_TESTS += $(addprefix tests/core/,$(CORE_TESTS))
