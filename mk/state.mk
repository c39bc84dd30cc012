# The pod state (capstone/state.c): the liveness check every command and
# admission trust, and admission's sum of what running pods request.
#
#   make $(BUILD)/tests/unit/test_state   a recorded pid is alive only while that process runs
#
# state.o and resources.o are among the capstone's objects, and link them all.
$(BUILD)/tests/unit/test_state.o: DEFS += -I$(SRC)/capstone
$(BUILD)/tests/unit/test_state: $(BUILD)/tests/unit/test_state.o $(CAP_OBJS) $(IMAGE_OBJ) \
	$(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) \
		$(JSONC_LIBS) $(CRITERION_LIBS)

UNIT_TESTS += $(BUILD)/tests/unit/test_state
