CORE_TESTS := test_safety test_profiles test_random test_config test_interlock

$(B)/tests/core/%: $(B)/tests/core/%.o $(B)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(CORE_LDLIBS)

TESTS += $(addprefix tests/core/,$(CORE_TESTS))
VALGRIND_TESTS += $(addprefix tests/core/,$(CORE_TESTS))

# autotune runs against the simulated pad
$(B)/tests/core/test_tune: $(B)/tests/core/test_tune.o $(B)/libcore.a $(PAD_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(CORE_LDLIBS)

TESTS += tests/core/test_tune
VALGRIND_TESTS += tests/core/test_tune
