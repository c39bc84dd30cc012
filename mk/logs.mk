# Container logs as kubelet keeps them (capstone/logs.c): one CRI log file per
# run of a container, rotated at a size, and the reader of `podrun logs`
# (capstone/logs_cmd.c; both are in podrun, see capstone/capstone.mk).
#
#   make $(BUILD)/tests/unit/test_logs   the module's unit tests
#
# logs.o needs spec.o (quantities, durations, names), and spec.o what
# $(CONTAINER_OBJS) holds.
LOGS_OBJS := $(BUILD)/capstone/logs.o $(BUILD)/capstone/spec.o $(BUILD)/capstone/probe.o \
	$(IMAGE_OBJ) $(CONTAINER_OBJS)

$(BUILD)/tests/unit/test_logs.o: DEFS += -I$(SRC)/capstone
$(BUILD)/tests/unit/test_logs: $(BUILD)/tests/unit/test_logs.o $(LOGS_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) \
		$(JSONC_LIBS) $(CRITERION_LIBS)

UNIT_TESTS += $(BUILD)/tests/unit/test_logs
