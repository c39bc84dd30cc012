# podlab - build, test and grade.
#
#   make              build every lab, the capstone and the unit tests
#   make demo         the guided tour
#   make test         everything that checks the project (what CI runs)
#   make lab-N        grade lab N: OK/FAIL per check, then Score: N/M
#   make help         all targets
#
# Each lab adds its programs, tests and benchmarks in its own labs/*/lab.mk;
# this file holds what they share.

BUILD ?= build
override BUILD := $(abspath $(BUILD))
SRC := $(CURDIR)
LABS := 0 1 2 3 4 5 6

CC ?= cc
ifeq ($(CC),cc)
CC := gcc
endif

# pkg-config is asked once, when a recipe first needs the answer: after the
# dependencies are installed, not when make reads this file.
pkg = $(or $(shell pkg-config $(1) $(2) 2>/dev/null),$(3))
CAP_LIBS = $(eval CAP_LIBS := $(call pkg,--libs,libcap,-lcap))$(CAP_LIBS)
YAML_LIBS = $(eval YAML_LIBS := $(call pkg,--libs,yaml-0.1,-lyaml))$(YAML_LIBS)
CRITERION_LIBS = $(eval CRITERION_LIBS := $(call pkg,--libs,criterion,-lcriterion))$(CRITERION_LIBS)

WARN := -Wall -Wextra -Werror
CSTD := -std=gnu11 -D_GNU_SOURCE
INCLUDES := -I$(SRC)/labs/common $(patsubst %,-I%,$(wildcard $(SRC)/labs/0*))
CFLAGS ?= -O2 -g
override CFLAGS += $(CSTD) $(WARN) $(INCLUDES)
LDFLAGS ?=

# make SAN=1: AddressSanitizer and UndefinedBehaviorSanitizer for everything
# but the static binaries (pause, the sidecars), which cannot carry them.
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override CFLAGS += $(SANFLAGS)
# The runtimes linked in, not loaded: a sanitized program starts about 10 ms
# sooner without relocating libasan.so, and make test starts thousands.
override LDFLAGS += $(SANFLAGS) -static-libasan -static-libubsan
endif

# Static, small binaries that run inside pods. No sanitizers here.
STATIC_CFLAGS := $(CSTD) $(WARN) -I$(SRC)/labs/common -Os -g0 -fno-asynchronous-unwind-tables
STATIC_LDFLAGS := -static -s -Wl,--gc-sections

COMMON_OBJ := $(BUILD)/labs/common/common.o
NS_OBJ := $(BUILD)/labs/01-namespaces/ns.o

# Filled in by the lab.mk files.
ALL :=
UNIT_TESTS :=
BENCHES :=
DEMO_SCRIPT := labs/01-namespaces/tour.sh

.PHONY: all deps test unit demo bench images clean help format lint $(addprefix lab-,$(LABS))
all:

DEPS_STAMP := $(BUILD)/.deps-ok
deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEFS) -MMD -MP -c $< -o $@

# Per-object defines: `$(BUILD)/labs/02-pause/infra.o: DEFS += -DX=...`
DEFS :=

# A unit test links its own object with the module objects its lab.mk names.
$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS) $(CRITERION_LIBS)

include $(sort $(wildcard labs/*/lab.mk))
-include capstone/capstone.mk
-include $(sort $(wildcard mk/*.mk))

all: $(ALL) $(UNIT_TESTS)

unit: $(UNIT_TESTS)
	@scripts/run-unit.sh $(UNIT_TESTS)

# make lab-N builds what lab N needs (its lab.mk says, as build-lab-N) and grades it.
$(addprefix lab-,$(LABS)): lab-%: build-lab-% FORCE
	@PODLAB_BUILD=$(BUILD) scripts/grade.sh $*

NPROC := $(shell nproc 2>/dev/null || echo 2)

# The build runs in parallel; the suites run one after the other (they create
# namespaces, links and mounts, and their output should read in order).
test: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory -j$(NPROC) all images
	@PODLAB_BUILD=$(BUILD) scripts/test.sh

demo: all
	@PODLAB_BUILD=$(BUILD) bash $(DEMO_SCRIPT)

bench: $(BENCHES)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Format check, cppcheck, and gcc's static analyzer (-fanalyzer: leaks, double
# close, use after free, NULL dereference along each path) on every C file of
# the labs, the capstone and the tests. `make test` runs it first (its first
# suite); about 40 s on 2 cores. Where gcc 12's analyzer is wrong, the code
# says so next to the lines (ANALYZER_REALLOC_LEAK_FP_BEGIN in common.h, or a
# pragma with the reason): no file is exempt as a whole.
lint:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem --suppress=unknownMacro:tests/unit/* \
		-D_GNU_SOURCE $(INCLUDES) -I$(SRC)/capstone \
		$$(git ls-files 'labs/*.c' 'capstone/*.c' 'tests/*.c')
	@# the analyzer, one file per compiler, as many at once as there are cores
	@git ls-files 'labs/*.c' 'capstone/*.c' 'tests/*.c' | \
		xargs -P "$$(nproc)" -n 1 $(CC) $(CSTD) $(WARN) $(INCLUDES) -I$(SRC)/capstone -O1 \
			-fanalyzer -c -o /dev/null

clean:
	rm -rf $(BUILD)

help:
	@echo "podlab targets:"
	@echo "  make               build every lab, the capstone and the unit tests"
	@echo "  make deps          install the Debian packages podlab needs (scripts/deps.sh)"
	@echo "  make demo          the guided tour"
	@echo "  make test          unit tests, every lab's checks, the capstone's tests"
	@echo "  make unit          the Criterion unit tests only"
	@echo "  make lab-N         grade lab N (N = $(LABS); 7: the capstone); FORMAT=tap or FORMAT=junit for autograders"
	@echo "  make images        build the container images (busybox-static, OCI) and load them"
	@echo "  make bench         every benchmark (printed as ratios to a baseline of the same run)"
	@echo "  make format        clang-format the sources; make lint: format check, cppcheck, gcc -fanalyzer"
	@echo "  make SAN=1 ...     build and test with ASan and UBSan"
	@echo "  make clean         remove build/"
	@$(foreach h,$(HELP_EXTRA),echo "  $(h)";)

FORCE:
.SECONDARY:
.DELETE_ON_ERROR:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
