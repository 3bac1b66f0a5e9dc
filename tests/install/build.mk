TEST_SCRIPTS += tests/install/test_install.sh
