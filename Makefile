# thermopad: build, test, demo, bench and install.
#
#   make            build everything (installs nothing: a packager runs this)
#   make deps       install the Debian packages that build, tests and demo need
#   make check      every test, plain and under ASan+UBSan, then the fuzzers briefly
#                   (installs missing Debian packages first, as demo and bench do)
#   make demo       the main job on the simulated pad
#   make deb        the Debian packages (dpkg-buildpackage), in build-deb
#   make bench      the benchmarks, with their baselines, in one run
#   make install    PREFIX=/usr/local DESTDIR=
#   make format     the house style on the lines changed since HEAD
#
# Each component keeps its own rules in <component>/build.mk; this file only
# holds what they share. Objects go to $(B) (build/ or build-san/).

PREFIX ?= /usr/local
DESTDIR ?=
B ?= build
SAN ?= 0
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 4
export PREFIX DESTDIR

.DEFAULT_GOAL := all
ENTRY_GOALS := check demo bench fuzz
OTHER_GOALS := install uninstall install-paths clean format

ifeq ($(INNER),)
# Outer make: for the goals a developer runs, make sure the packages are
# there, then re-enter so that every pkg-config query below runs with them
# installed. Plain `make` only names what is missing (a package build has
# its Build-Depends and must not run apt).
# Any other goal (build-tests, check-system, a test program, ...) goes to
# the inner make as it has it: always (judged here, with make's built-in
# rules, a stale test program was called up to date), and all such goals,
# with `all` if it is asked beside them, in one inner make (two would race
# on the libraries they share).
PASSED_GOALS := $(filter-out deps $(ENTRY_GOALS) $(OTHER_GOALS),$(MAKECMDGOALS))
.PHONY: all $(ENTRY_GOALS) $(OTHER_GOALS) deps $(PASSED_GOALS) passed-goals
ifeq ($(PASSED_GOALS),)
all:
	@scripts/deps.sh --check
	@$(MAKE) --no-print-directory INNER=1 $@
else
$(PASSED_GOALS): passed-goals ; @:
passed-goals:
	@scripts/deps.sh --check
	@$(MAKE) --no-print-directory INNER=1 $(PASSED_GOALS)
endif
$(ENTRY_GOALS): deps
	@$(MAKE) --no-print-directory INNER=1 $@
$(OTHER_GOALS):
	@$(MAKE) --no-print-directory INNER=1 $@
deps:
	@scripts/deps.sh
Makefile: ;
.DEFAULT:
	@$(MAKE) --no-print-directory INNER=1 $@
else

CC ?= cc
CLANG ?= clang
PKGS := libusb-1.0 libgpiod inih libsystemd jansson
TEST_PKGS := cmocka umockdev-1.0
# -isystem: warnings in the libraries' own headers are not ours to fix.
pkg_cflags = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(1)))
pkg_libs = $(shell pkg-config --libs $(1))

INCLUDES := -Ifirmware-spec -Ifirmware-spec/firmware -Isim/model -Isim -Idaemon/core -Idaemon -Icommon
CPPFLAGS += -D_GNU_SOURCE $(INCLUDES)
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wundef -Wpointer-arith -Wvla -Wcast-qual
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 $(WARNINGS) -fno-common
LDLIBS_M := -lm
ifeq ($(SAN),1)
B := build-san
CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
export B

objs = $(patsubst %.c,$(B)/%.o,$(1))

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS_$(subst /,_,$(dir $<))) -MMD -MP -c $< -o $@

# What the components add to.
BINS :=             # programs a user runs (installed)
LIBEXEC :=          # helper binaries and libraries (installed)
TESTS :=            # cmocka programs, run plain and under sanitizers
TESTS_UMOCKDEV :=   # cmocka programs that host a umockdev testbed in-process
TEST_SCRIPTS :=     # shell tests (get TP_BUILD=$(B) and TP_SAN=0/1)
TEST_BINS :=        # everything the tests need built
VALGRIND_TESTS :=   # pure tests also run under valgrind
FUZZERS :=          # names: fuzz/NAME.c + FUZZ_SRCS_NAME
BENCH_TARGETS :=    # phony targets that `make bench` runs
CHECK_EXTRA :=      # further phony targets `make check` runs (verifiers)

# Link sets used across components (defined before the components, whose
# rules expand them at once).
PAD_LIBS = $(B)/libpad.a $(B)/libfirmware.a $(B)/libproto.a $(B)/libmodel.a
CORE_LDLIBS = $(call pkg_libs,inih) -lm

include $(sort $(wildcard */build.mk) $(wildcard */*/build.mk) $(wildcard mk/*.mk))
-include $(shell find $(B) -name '*.d' 2>/dev/null)

# make check builds with a job per core (a plain `make check` has no -j).
CHECK_JOBS := $(shell nproc 2>/dev/null || echo 2)

# Two commands of `make check`, at once unless TP_CHECK_SERIAL=1; a
# failing command is counted in the results, never stops the other.
check_pair = if [ "$${TP_CHECK_SERIAL:-0}" = 1 ]; then { $(1); } || true; { $(2); } || true; \
	else { $(1); } & a=$$!; { $(2); } || true; wait $$a || true; fi

.PHONY: all build-tests check run-tests demo bench fuzz fuzz-smoke clean format install uninstall
all: $(BINS) $(LIBEXEC)
build-tests: all $(addprefix $(B)/,$(TESTS) $(TESTS_UMOCKDEV)) $(TEST_BINS)

check:
	@$(MAKE) -j$(CHECK_JOBS) --no-print-directory build-tests
	@$(MAKE) -j$(CHECK_JOBS) --no-print-directory SAN=1 build-tests
	@rm -f build/test-results
	@# The plain and the sanitizer passes side by side, then valgrind beside
	@# the fuzzers and the verifiers: the tests are hermetic and their
	@# simulators' clocks wait for a late host, so a second pass slows a
	@# test but cannot fail it. TP_CHECK_SERIAL=1 runs one thing at a time.
	@$(call check_pair,tests/run.sh build build/test-results -- $(TESTS) -- $(TESTS_UMOCKDEV) -- $(TEST_SCRIPTS),\
		tests/run.sh build-san build/test-results -- $(TESTS) -- $(TESTS_UMOCKDEV) -- $(TEST_SCRIPTS))
	@$(call check_pair,tests/run.sh --valgrind build build/test-results -- $(VALGRIND_TESTS) -- --,\
		$(MAKE) -k --no-print-directory fuzz-smoke $(CHECK_EXTRA))
	@tests/summary.sh build/test-results

demo: all
	@scripts/demo.sh $(B)

bench: all $(BENCH_TARGETS)

clean:
	rm -rf build build-san build-clang build-deb

# The house style (.clang-format) applied to the lines you changed since
# HEAD, never to the whole tree: hand-aligned tables stay as they are.
# Needs clang-format (Debian: clang-format).
format:
	git clang-format --style=file HEAD

endif
