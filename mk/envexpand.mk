# A container's environment at start, as kubelet builds it (capstone/envexpand.c):
# fieldRef and resourceFieldRef resolved, $(VAR) expanded in env, command and args.
#
#   make $(BUILD)/tests/unit/test_envexpand   the module's unit tests
#
# The tests parse pods with spec.o, which needs what $(CONTAINER_OBJS) holds.
ENVEXPAND_OBJS := $(filter-out $(BUILD)/capstone/pod.o,$(CAP_OBJS)) $(IMAGE_OBJ) $(CONTAINER_OBJS)

$(BUILD)/tests/unit/test_envexpand.o: DEFS += -I$(SRC)/capstone
$(BUILD)/tests/unit/test_envexpand: $(BUILD)/tests/unit/test_envexpand.o $(ENVEXPAND_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) \
		$(JSONC_LIBS) $(CRITERION_LIBS)

UNIT_TESTS += $(BUILD)/tests/unit/test_envexpand
