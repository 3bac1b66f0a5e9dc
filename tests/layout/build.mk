TEST_SCRIPTS += tests/layout/test_include_cycles.sh
