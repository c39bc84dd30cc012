# Lab 04 - containers, init containers and restart policy.
L4 := labs/04-initcontainers
L4_B := $(BUILD)/$(L4)
L4_STEPS := step1_container step2_order step3_failure step4_javaweb step5_native_sidecar podctl
L4_BINS := $(addprefix $(L4_B)/,$(L4_STEPS))
CONTAINER_OBJ := $(L4_B)/container.o
INIT_OBJ := $(L4_B)/init.o
# What a program running containers links (the capstone too): this lab's
# modules on top of lab 03's root filesystems and volumes and lab 02's sandbox.
CONTAINER_OBJS := $(CONTAINER_OBJ) $(INIT_OBJ) $(ROOTFS_OBJ) $(VOLUME_OBJ) $(INFRA_OBJS)

$(L4_BINS): $(L4_B)/%: $(L4_B)/%.o $(L4_B)/podkit.o $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS)

$(BUILD)/tests/unit/test_init: $(CONTAINER_OBJS)
$(BUILD)/tests/unit/test_container: $(CONTAINER_OBJS)

ALL += $(L4_BINS)
UNIT_TESTS += $(BUILD)/tests/unit/test_init $(BUILD)/tests/unit/test_container

# Running a container needs the pause holder (lab 02) and the images (lab 03).
.PHONY: build-lab-4
build-lab-4: $(L4_BINS) $(BUILD)/tests/unit/test_init $(BUILD)/tests/unit/test_container \
	$(L2_HOLDERS) $(L3_IMAGE_STAMPS)
