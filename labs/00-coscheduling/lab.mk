# Lab 00 - co-scheduling: why a Pod is the unit of scheduling. No root needed.
L0 := labs/00-coscheduling
L0_MODS := scenario sim greedy hoarding optimistic pod report
L0_OBJS := $(addprefix $(BUILD)/$(L0)/,$(addsuffix .o,$(L0_MODS))) $(COMMON_OBJ)
L0_BIN := $(BUILD)/$(L0)/cosched
L0_UNIT := $(BUILD)/tests/unit/test_cosched

$(L0_BIN): $(BUILD)/$(L0)/cosched.o $(L0_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@

$(L0_UNIT): $(L0_OBJS)

ALL += $(L0_BIN)
UNIT_TESTS += $(L0_UNIT)

.PHONY: build-lab-0
build-lab-0: $(L0_BIN) $(L0_UNIT)

