# Lab 02 - the pause holder and the pod sandbox.
L2 := labs/02-pause
L2_B := $(BUILD)/$(L2)
L2_STEPS := step1_holder step2_localhost step3_podip step4_pidns step5_pin
L2_BINS := $(addprefix $(L2_B)/,$(L2_STEPS))
L2_NL_OBJ := $(L2_B)/nl.o
INFRA_OBJ := $(L2_B)/infra.o
# What a program using the sandbox links (lab 04, 05 and the capstone too).
INFRA_OBJS := $(INFRA_OBJ) $(L2_NL_OBJ) $(NS_OBJ) $(COMMON_OBJ)

# Where infra_start finds pause unless $PODLAB_PAUSE says otherwise.
$(INFRA_OBJ): DEFS += -DPODLAB_PAUSE_PATH='"$(L2_B)/pause"'

$(L2_BINS): $(L2_B)/%: $(L2_B)/%.o $(INFRA_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS)

# The holders: static, small, no labs/common. `pause`, the one every pod runs
# (infra_start's default), is built from pause.c: the C pause whose reaper
# you write in exercise infra-reap, so a wrong reaper shows up in the pods.
# pause-c is the same binary under the name the checks and bench-pause use.
# On x86-64 pause-asm is its assembly twin (pause.S), for bench-pause and for
# whoever asks for it: PODLAB_PAUSE=$(L2_B)/pause-asm. A static glibc costs
# ~650 KB whatever the program does (its start-up code brings locales, stdio
# and dynamic-loading support along); musl, when installed (Debian:
# musl-tools), links only what pause calls. "=", not ":=": asked when the
# recipe runs, after deps.sh installed musl-tools.
L2_PAUSE_CC = $(or $(shell command -v musl-gcc 2>/dev/null),$(CC))
$(L2_B)/pause-c: $(L2)/pause.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(L2_PAUSE_CC) $(STATIC_CFLAGS) $(STATIC_LDFLAGS) $< -o $@
# (lab.mk too: a build from before pause was the C one must not keep the old one)
$(L2_B)/pause: $(L2_B)/pause-c $(L2)/lab.mk
	cp $< $@
L2_HOLDERS := $(L2_B)/pause-c $(L2_B)/pause

L2_ASM := $(if $(findstring x86_64,$(shell $(CC) -dumpmachine)),x86_64)
ifeq ($(L2_ASM),x86_64)
$(L2_B)/pause-asm: $(L2)/pause.S | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -nostdlib -static -s -Wl,--build-id=none -Wl,-z,noseparate-code -Wl,-z,noexecstack \
		$< -o $@
L2_HOLDERS += $(L2_B)/pause-asm
endif

# The baseline of bench-pause: the same source built the Kubernetes way
# (glibc, static, -O2, not stripped).
$(L2_B)/pause-glibc: $(L2)/pause.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CSTD) -O2 -static $< -o $@

$(BUILD)/tests/unit/test_infra: $(INFRA_OBJS) | $(L2_HOLDERS)

ALL += $(L2_BINS) $(L2_HOLDERS)
UNIT_TESTS += $(BUILD)/tests/unit/test_infra
BENCHES += bench-pause

.PHONY: build-lab-2 bench-pause
build-lab-2: $(L2_BINS) $(L2_HOLDERS) $(BUILD)/tests/unit/test_infra

bench-pause: $(L2_HOLDERS) $(L2_B)/pause-glibc
	@PODLAB_BUILD=$(BUILD) bash $(L2)/bench.sh

