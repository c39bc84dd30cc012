# Lab 01 - namespaces.
L1 := labs/01-namespaces
L1_STEPS := step1_uts step2_pid step3_net step4_setns step5_userns nscmp
L1_BINS := $(addprefix $(BUILD)/$(L1)/,$(L1_STEPS))

$(L1_BINS): $(BUILD)/$(L1)/%: $(BUILD)/$(L1)/%.o $(NS_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS)

$(BUILD)/tests/unit/test_ns: $(NS_OBJ) $(COMMON_OBJ)
$(BUILD)/tests/unit/test_common: $(COMMON_OBJ)

ALL += $(L1_BINS)
UNIT_TESTS += $(BUILD)/tests/unit/test_ns $(BUILD)/tests/unit/test_common

.PHONY: build-lab-1
build-lab-1: $(L1_BINS) $(BUILD)/tests/unit/test_ns $(BUILD)/tests/unit/test_common
