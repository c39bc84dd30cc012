# Lab 06 - cgroups: what a Pod may use.
L6 := labs/06-cgroups
L6_B := $(BUILD)/$(L6)
L6_STEPS := step1_hierarchy step2_memory step3_cpu step4_pids step5_devices step6_pod \
	step7_oomscore
L6_BINS := $(addprefix $(L6_B)/,$(L6_STEPS))
CGROUP_OBJ := $(L6_B)/cgroup.o
# What a program using cgroups links (the capstone too).
CGROUP_OBJS := $(CGROUP_OBJ) $(COMMON_OBJ)

$(L6_BINS): $(L6_B)/%: $(L6_B)/%.o $(CGROUP_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@

$(BUILD)/tests/unit/test_cgroup: $(CGROUP_OBJS)

ALL += $(L6_BINS)
UNIT_TESTS += $(BUILD)/tests/unit/test_cgroup

.PHONY: build-lab-6
build-lab-6: $(L6_BINS) $(BUILD)/tests/unit/test_cgroup
