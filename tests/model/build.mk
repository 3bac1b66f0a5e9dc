$(B)/tests/model/test_model: $(call objs,tests/model/test_model.c) $(B)/libmodel_ini.a $(PAD_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka inih) -lm

TESTS += tests/model/test_model
VALGRIND_TESTS += tests/model/test_model
