TEST_SCRIPTS += tests/install/test_install.sh
TEST_SCRIPTS += tests/install/test_udev.sh tests/install/test_units.sh
TEST_SCRIPTS += tests/install/test_docs.sh
