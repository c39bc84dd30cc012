# Lab 04 - containers, init containers and restart policy.
L4 := labs/04-initcontainers
L4_B := $(BUILD)/$(L4)
L4_STEPS := step1_container step2_order step3_failure step4_javaweb step5_native_sidecar podctl
L4_BINS := $(addprefix $(L4_B)/,$(L4_STEPS))
CONTAINER_OBJ := $(L4_B)/container.o
INIT_OBJ := $(L4_B)/init.o
SECCOMP_OBJ := $(L4_B)/seccomp_filter.o
# What a program running containers links (the capstone too): this lab's
# modules on top of lab 03's root filesystems and volumes and lab 02's sandbox.
# Whatever links them needs $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS).
CONTAINER_OBJS := $(CONTAINER_OBJ) $(SECCOMP_OBJ) $(INIT_OBJ) $(ROOTFS_OBJ) $(VOLUME_OBJ) \
	$(INFRA_OBJS)

# libseccomp writes the seccomp filters, json-c reads Localhost profiles.
# Asked once, when a recipe first needs them (see CAP_LIBS in the Makefile).
SECCOMP_LIBS = $(eval SECCOMP_LIBS := $(call pkg,--libs,libseccomp,-lseccomp))$(SECCOMP_LIBS)
JSONC_LIBS = $(eval JSONC_LIBS := $(call pkg,--libs,json-c,-ljson-c))$(JSONC_LIBS)

$(L4_BINS): $(L4_B)/%: $(L4_B)/%.o $(L4_B)/podkit.o $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS)

L4_UNIT_TESTS := $(addprefix $(BUILD)/tests/unit/,test_init test_container test_seccomp)
$(BUILD)/tests/unit/test_init: $(CONTAINER_OBJS)
$(BUILD)/tests/unit/test_container: $(CONTAINER_OBJS)
$(BUILD)/tests/unit/test_seccomp: $(SECCOMP_OBJ) $(COMMON_OBJ)
$(L4_UNIT_TESTS): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS) $(CRITERION_LIBS)

ALL += $(L4_BINS)
UNIT_TESTS += $(L4_UNIT_TESTS)

# Running a container needs the pause holder (lab 02) and the images (lab 03).
.PHONY: build-lab-4
build-lab-4: $(L4_BINS) $(L4_UNIT_TESTS) \
	$(L2_HOLDERS) $(L3_IMAGE_STAMPS)
