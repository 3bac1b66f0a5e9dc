# The whole tree must also build clean with clang (warnings are errors).
.PHONY: check-clang
check-clang:
	@tests/record.sh build/test-results build-with-clang -- \
		$(MAKE) --no-print-directory INNER=1 CC=$(CLANG) B=build-clang build-tests

CHECK_EXTRA += check-clang
