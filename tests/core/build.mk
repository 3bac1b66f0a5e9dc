CORE_TESTS := test_safety test_supervisor test_dose test_profiles test_random test_config test_interlock test_summary test_approach

$(B)/tests/core/%: $(B)/tests/core/%.o $(B)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(CORE_LDLIBS)

TESTS += $(addprefix tests/core/,$(CORE_TESTS))
VALGRIND_TESTS += $(addprefix tests/core/,$(CORE_TESTS))

# autotune runs against the simulated pad
$(B)/tests/core/test_tune: $(B)/tests/core/test_tune.o $(B)/libcore.a $(PAD_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(CORE_LDLIBS)

TESTS += tests/core/test_tune
VALGRIND_TESTS += tests/core/test_tune

# the supervisor against the simulated pad, judged on the model's truth
$(B)/tests/core/test_supervisor_pad: $(B)/tests/core/test_supervisor_pad.o $(B)/libcore.a $(B)/libmodel_ini.a $(PAD_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(CORE_LDLIBS)

TESTS += tests/core/test_supervisor_pad

# The firmware's heat-clamp bound against the whole sweep of healthy
# sessions (every profile and the hottest, longest sessions at every
# noise); make check runs the worst cases of it.
.PHONY: check-heat-clamp
check-heat-clamp: $(B)/tests/core/test_supervisor_pad
	TP_SWEEP=full $(B)/tests/core/test_supervisor_pad

# the estimator against the simulated pad, with shipped pad descriptions
$(B)/tests/core/test_estimator: $(B)/tests/core/test_estimator.o $(B)/libcore.a $(B)/libmodel_ini.a $(PAD_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(CORE_LDLIBS)

TESTS += tests/core/test_estimator
VALGRIND_TESTS += tests/core/test_estimator

# the model-based controller: constraints, then closed loop on the shipped pads
$(B)/tests/core/test_modelctl: $(B)/tests/core/test_modelctl.o $(B)/libcore.a $(B)/libmodel_ini.a $(PAD_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) $(CORE_LDLIBS)

TESTS += tests/core/test_modelctl
VALGRIND_TESTS += tests/core/test_modelctl
