# make check-system: the units, make install and the Debian packages under
# a real systemd (PID 1 in a container); see tests/system/test_system.sh.
# Part of make check; where the machine cannot boot a container it says
# why and counts as skipped. About a minute and a half on two cores.
.PHONY: check-system
check-system: all
	@tests/run.sh $(B) build/test-results -- -- -- tests/system/test_system.sh
	@sed -n 's/^# the units under systemd are not tested here: /thermopad: the system test did not run: /p' \
		$(B)/test-logs/tests_system_test_system.sh.log

CHECK_EXTRA += check-system
