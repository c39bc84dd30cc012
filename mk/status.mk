# The pod's status files (capstone/status.c): conditions and events.
#
#   make $(BUILD)/tests/unit/test_status   the events file stays bounded
#
# status.o needs state.o (times) and what it links: the capstone's objects.
STATUS_OBJ := $(BUILD)/capstone/status.o

$(BUILD)/tests/unit/test_status.o: DEFS += -I$(SRC)/capstone
$(BUILD)/tests/unit/test_status: $(BUILD)/tests/unit/test_status.o $(STATUS_OBJ) \
	$(filter-out $(STATUS_OBJ),$(CAP_OBJS)) $(IMAGE_OBJ) $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) \
		$(JSONC_LIBS) $(CRITERION_LIBS)

UNIT_TESTS += $(BUILD)/tests/unit/test_status
