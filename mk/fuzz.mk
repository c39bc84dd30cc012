# Fuzzing - every parser that reads what a student or an attacker wrote, run
# under libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   make fuzz            each target for FUZZ_SECONDS (60) from its corpus;
#                        FUZZ_TARGETS="spec http" picks some
#   make fuzz-regress    what `make test` runs: each target over its corpus,
#                        FUZZ_RUNS (20000; the image loader's
#                        FUZZ_IMAGE_RUNS, 5000) new inputs from a fixed seed, then
#                        every input in tests/fuzz/regressions/NAME/
#   make fuzz-pending    the crashes found and not fixed yet
#                        (tests/fuzz/pending/NAME/): fails while one crashes
#
# The targets are tests/fuzz/fuzz_NAME.c. Their seeds are the hand-written
# tests/fuzz/corpus/NAME/ and, for the Pod parser, examples/ and
# tests/capstone/bad/; the image loader's (layer, archive) are made by
# tests/fuzz/image_seeds.py. libFuzzer writes the inputs it finds
# interesting into the first corpus directory it is given: that is
# $(FUZZ_B)/corpus/NAME, so the source tree is never written to. A crash
# lands in $(FUZZ_B)/crashes/.
#
# Everything here is built with clang into $(FUZZ_B), apart from the normal
# build: libFuzzer comes with clang (-fsanitize=fuzzer), and coverage
# instrumentation has to be in every object the fuzzer should steer through.
FUZZ_CC ?= clang
FUZZ_B := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 20000
# The image loader writes a store for each input (about 1 ms, on a tmpfs):
# fewer runs keep its regression run as short as a parser's.
FUZZ_IMAGE_RUNS ?= 5000
FUZZ_IMAGE_TARGETS := layer archive
fuzz_runs = $(if $(filter $(FUZZ_IMAGE_TARGETS),$(1)),$(FUZZ_IMAGE_RUNS),$(FUZZ_RUNS))
# Where the image fuzzers make their scratch directory (tests/fuzz/fuzz_image.h):
# a crash leaves it behind, empty, here rather than in /tmp.
FUZZ_RUN := TMPDIR=$(FUZZ_B)/tmp
FUZZ_SRC := tests/fuzz
FUZZ_ALL := spec quantity duration scenario http addr words cri_log layer archive seccomp
FUZZ_TARGETS ?= $(FUZZ_ALL)

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# No -Werror for the modules: clang warns about things gcc does not, and a
# warning in someone else's file must not stop the fuzzing of a parser.
FUZZ_CFLAGS := -g -O1 $(CSTD) -Wall -Wextra $(INCLUDES) -I$(SRC)/capstone $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link
FUZZ_LDFLAGS := -fsanitize=fuzzer $(FUZZ_SAN)

# A module's fuzz object: the same source as $(BUILD)/X.o, at $(FUZZ_B)/obj/X.o.
fuzz_obj = $(patsubst $(BUILD)/%,$(FUZZ_B)/obj/%,$(1))

$(FUZZ_B)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_B)/obj/$(FUZZ_SRC)/%.o: $(FUZZ_SRC)/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -MMD -MP -c $< -o $@

# What each target links besides its own object.
FUZZ_SPEC_OBJS := $(call fuzz_obj,$(CAP_B)/spec.o $(CAP_B)/probe.o $(IMAGE_OBJ) $(CONTAINER_OBJS))
FUZZ_LIBS_spec = $(YAML_LIBS) $(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS)
FUZZ_OBJS_spec := $(FUZZ_SPEC_OBJS)
FUZZ_OBJS_quantity := $(FUZZ_SPEC_OBJS)
FUZZ_OBJS_duration := $(FUZZ_SPEC_OBJS)
FUZZ_OBJS_words := $(FUZZ_SPEC_OBJS)
FUZZ_OBJS_cri_log := $(call fuzz_obj,$(CAP_B)/logs.o) $(FUZZ_SPEC_OBJS)
FUZZ_LIBS_cri_log = $(FUZZ_LIBS_spec)
FUZZ_OBJS_scenario := $(call fuzz_obj,$(L0_OBJS))
FUZZ_OBJS_http := $(call fuzz_obj,$(L5_NET_OBJS) $(COMMON_OBJ))
FUZZ_OBJS_addr := $(call fuzz_obj,$(INFRA_OBJS) $(L5_B)/netutil.o)
FUZZ_LIBS_quantity = $(FUZZ_LIBS_spec)
FUZZ_LIBS_duration = $(FUZZ_LIBS_spec)
FUZZ_LIBS_words = $(FUZZ_LIBS_spec)
FUZZ_LIBS_addr := $(CAP_LIBS)
# The image loader (lab 03); libarchive is opened with dlopen, as podrun does.
FUZZ_OBJS_layer := $(call fuzz_obj,$(IMAGE_OBJ) $(COMMON_OBJ))
FUZZ_OBJS_archive := $(FUZZ_OBJS_layer)
FUZZ_LIBS_layer = $(IMAGE_LIBS)
FUZZ_LIBS_archive = $(IMAGE_LIBS)
# Localhost seccomp profiles (lab 04), built by the distribution's libseccomp.
FUZZ_OBJS_seccomp := $(call fuzz_obj,$(SECCOMP_OBJ) $(COMMON_OBJ))
FUZZ_LIBS_seccomp = $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS)

FUZZ_BINS := $(addprefix $(FUZZ_B)/fuzz_,$(FUZZ_ALL))

.SECONDEXPANSION:
$(FUZZ_BINS): $(FUZZ_B)/fuzz_%: $(FUZZ_B)/obj/$(FUZZ_SRC)/fuzz_%.o $$(FUZZ_OBJS_$$*)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $^ -o $@ $(FUZZ_LIBS_$*)

# The seed directories of a target: its own, for the Pod parser every
# example and every known-bad spec, for the image loader the tars and images
# image_seeds.py makes (binary, with digests that must match: made, not kept).
FUZZ_IMAGE_SEEDS := $(FUZZ_B)/seeds/image
fuzz_seeds = $(wildcard $(FUZZ_SRC)/corpus/$(1)) \
	$(if $(filter spec,$(1)),examples tests/capstone/bad) \
	$(if $(filter $(FUZZ_IMAGE_TARGETS),$(1)),$(FUZZ_IMAGE_SEEDS)/$(1))

$(FUZZ_IMAGE_SEEDS)/.made: $(FUZZ_SRC)/image_seeds.py
	@rm -rf $(@D)
	python3 $< $(@D)
	@touch $@
# Made before either fuzzer runs, and again when the script changes or the
# seeds are gone.
$(addprefix fuzz-run-,$(FUZZ_IMAGE_TARGETS)) $(addprefix fuzz-regress-,$(FUZZ_IMAGE_TARGETS)): \
	$(FUZZ_IMAGE_SEEDS)/.made
# A dictionary (tests/fuzz/NAME.dict) where there is one: the words of the
# format, so mutations reach past "unknown field".
fuzz_dict = $(if $(wildcard $(FUZZ_SRC)/$(1).dict),-dict=$(FUZZ_SRC)/$(1).dict)
# Options for both runs. -max_len: the Pod parser's seeds are whole files.
fuzz_opts = $(call fuzz_dict,$(1)) -artifact_prefix=$(FUZZ_B)/crashes/$(1)- \
	$(if $(filter spec scenario,$(1)),-max_len=4096) \
	$(if $(filter $(FUZZ_IMAGE_TARGETS),$(1)),-max_len=16384) -print_final_stats=0

.PHONY: fuzz fuzz-build fuzz-regress fuzz-pending
fuzz-build: $(addprefix $(FUZZ_B)/fuzz_,$(FUZZ_TARGETS))

# A crash stops that target, not the others; the list of crashed targets
# comes at the end.
fuzz: fuzz-build
	@bad=; for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t: $(FUZZ_SECONDS) s"; \
		mkdir -p $(FUZZ_B)/corpus/$$t $(FUZZ_B)/crashes $(FUZZ_B)/tmp; \
		$(MAKE) --no-print-directory -s fuzz-run-$$t || bad="$$bad $$t"; \
	done; \
	if [ -n "$$bad" ]; then \
		echo "fuzz: crashes in:$$bad (inputs in $(FUZZ_B)/crashes/)"; exit 1; \
	fi

# One target for FUZZ_SECONDS. The corpus it grows stays in $(FUZZ_B), so the
# next `make fuzz` starts where this one stopped.
fuzz-run-%: FORCE
	$(FUZZ_RUN) $(FUZZ_B)/fuzz_$* $(call fuzz_opts,$*) -max_total_time=$(FUZZ_SECONDS) \
		$(FUZZ_B)/corpus/$* $(call fuzz_seeds,$*)

# Reproducible: a fresh output directory, the seeds, a fixed seed and number
# of runs. Then the regressions, each input once.
fuzz-regress: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		rm -rf $(FUZZ_B)/regress/$$t; mkdir -p $(FUZZ_B)/regress/$$t $(FUZZ_B)/crashes $(FUZZ_B)/tmp; \
		$(MAKE) --no-print-directory -s fuzz-regress-$$t; \
	done

fuzz-regress-%: FORCE
	@echo "== fuzz-regress $*: corpus, then $(call fuzz_runs,$*) runs from seed 1"
	$(FUZZ_RUN) $(FUZZ_B)/fuzz_$* $(call fuzz_opts,$*) -seed=1 -runs=$(call fuzz_runs,$*) \
		$(FUZZ_B)/regress/$* $(call fuzz_seeds,$*) 2>$(FUZZ_B)/regress/$*.log || \
		{ tail -n 60 $(FUZZ_B)/regress/$*.log; exit 1; }
	@if [ -n "$(wildcard $(FUZZ_SRC)/regressions/$*/*)" ]; then \
		echo "   regressions: $(words $(wildcard $(FUZZ_SRC)/regressions/$*/*)) input(s)"; \
		$(FUZZ_RUN) $(FUZZ_B)/fuzz_$* $(wildcard $(FUZZ_SRC)/regressions/$*/*) \
			2>$(FUZZ_B)/regress/$*.replay.log || \
			{ tail -n 60 $(FUZZ_B)/regress/$*.replay.log; exit 1; }; \
	fi

# Each pending input on its own: which still crash. Fails while any does.
fuzz-pending: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_B)/tmp; rc=0; for f in $(wildcard $(FUZZ_SRC)/pending/*/*); do \
		t=$$(basename $$(dirname $$f)); \
		if $(FUZZ_RUN) $(FUZZ_B)/fuzz_$$t $$f >$(FUZZ_B)/pending.log 2>&1; then \
			echo "fixed:   $$f (move it to $(FUZZ_SRC)/regressions/$$t/)"; \
		else \
			echo "crashes: $$f"; grep -m3 -E 'ERROR|runtime error|#[0-2] ' $(FUZZ_B)/pending.log; rc=1; \
		fi; \
	done; exit $$rc

define PODLAB_HELP_FUZZ
make fuzz          fuzz every parser for FUZZ_SECONDS (60) each; FUZZ_TARGETS="spec http"
  make fuzz-regress  the fuzzers' corpora, FUZZ_RUNS fixed-seed runs and the regressions
  make fuzz-pending  replay the crashes found but not fixed yet
endef
export PODLAB_HELP_FUZZ
HELP_EXTRA += $${PODLAB_HELP_FUZZ}
