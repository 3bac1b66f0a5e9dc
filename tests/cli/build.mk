$(B)/tests/cli/test_chart: $(call objs,tests/cli/test_chart.c cli/chart.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,cmocka) -lm

EXTRA_CFLAGS_tests_cli_ := -Icli
TESTS += tests/cli/test_chart
VALGRIND_TESTS += tests/cli/test_chart
TEST_SCRIPTS += tests/cli/test_cli.sh
TEST_SCRIPTS += tests/cli/test_demo.sh
TEST_SCRIPTS += tests/cli/test_late_host.sh
TEST_SCRIPTS += tests/cli/test_errors.sh
TEST_SCRIPTS += tests/cli/test_watch_keys.sh
