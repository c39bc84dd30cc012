# The pod state (capstone/state.c): the liveness check every command and
# admission trust, and admission's sum of what running pods request; and
# the pod addresses kept beside it (capstone/ipam.c): one O_EXCL file per
# address taken, round the subnet, leftovers taken over.
#
#   make $(BUILD)/tests/unit/test_state   a recorded pid is alive only while that process runs
#   make $(BUILD)/tests/unit/test_ipam    ipam_reserve and ipam_release in a state root of their own
#
# state.o, ipam.o and resources.o are among the capstone's objects, and
# link them all.
STATE_TESTS := $(BUILD)/tests/unit/test_state $(BUILD)/tests/unit/test_ipam
$(STATE_TESTS:=.o): DEFS += -I$(SRC)/capstone
$(STATE_TESTS): %: %.o $(CAP_OBJS) $(IMAGE_OBJ) $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) \
		$(JSONC_LIBS) $(CRITERION_LIBS)

UNIT_TESTS += $(STATE_TESTS)
