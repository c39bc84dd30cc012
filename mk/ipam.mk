# The pod addresses (capstone/ipam.c): one O_EXCL file per address taken,
# round the subnet, leftovers taken over.
#
#   make $(BUILD)/tests/unit/test_ipam   ipam_reserve and ipam_release in a state root of their own
#
# ipam.o reads the pods' state (state.o), among the capstone's objects.
$(BUILD)/tests/unit/test_ipam.o: DEFS += -I$(SRC)/capstone
$(BUILD)/tests/unit/test_ipam: $(BUILD)/tests/unit/test_ipam.o $(CAP_OBJS) $(IMAGE_OBJ) \
	$(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) \
		$(JSONC_LIBS) $(CRITERION_LIBS)

UNIT_TESTS += $(BUILD)/tests/unit/test_ipam
