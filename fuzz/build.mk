# Fuzz targets (libFuzzer, clang). Each component adds NAME to FUZZERS, with
# fuzz/fuzz_NAME.c, FUZZ_SRCS_NAME (the code under test) and optionally
# FUZZ_PKGS_NAME (pkg-config packages). Seeds live in fuzz/corpus/NAME/.
#   make fuzz             every fuzzer for FUZZ_SECONDS each
#   make fuzz-smoke       every fuzzer for FUZZ_SMOKE_SECONDS (part of check)
FUZZ_CFLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra -Werror -D_GNU_SOURCE $(INCLUDES)

define fuzz_rule
build/fuzz/fuzz_$(1): fuzz/fuzz_$(1).c $$(FUZZ_SRCS_$(1)) $$(wildcard firmware-spec/*.h daemon/core/*.h daemon/socket/*.h common/*.h)
	@mkdir -p $$(@D)
	$$(CLANG) $$(FUZZ_CFLAGS) $$(if $$(FUZZ_PKGS_$(1)),$$(call pkg_cflags,$$(FUZZ_PKGS_$(1)))) \
		$$< $$(FUZZ_SRCS_$(1)) -o $$@ \
		$$(if $$(FUZZ_PKGS_$(1)),$$(call pkg_libs,$$(FUZZ_PKGS_$(1)))) -lm
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

FUZZ_BINS = $(patsubst %,build/fuzz/fuzz_%,$(FUZZERS))

fuzz: $(FUZZ_BINS)
	@for f in $(FUZZERS); do \
		mkdir -p fuzz/corpus-run/$$f; \
		echo "fuzz_$$f: $(FUZZ_SECONDS) s"; \
		build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			fuzz/corpus-run/$$f fuzz/corpus/$$f || exit 1; \
	done

fuzz-smoke: $(FUZZ_BINS)
	@for f in $(FUZZERS); do \
		tmp=$$(mktemp -d); \
		tests/record.sh build/test-results fuzz/$$f -- \
			build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SMOKE_SECONDS) $$tmp fuzz/corpus/$$f; \
		rm -rf $$tmp; \
	done
