# Container probes (capstone/probe.c): kubelet's startup, liveness and
# readiness probes for the supervisor's event loop.
#
#   make $(BUILD)/tests/unit/test_probe   the module's unit tests (root: they
#                                         make network namespaces)
#
# probe.o needs ctr_exec ($(CONTAINER_OBJS), with ns and common) for exec
# probes ($^ lists common.o once); whatever links them needs $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS).
PROBE_OBJ := $(BUILD)/capstone/probe.o
PROBE_OBJS := $(PROBE_OBJ) $(CONTAINER_OBJS) $(COMMON_OBJ)

$(BUILD)/tests/unit/test_probe.o: DEFS += -I$(SRC)/capstone
$(BUILD)/tests/unit/test_probe: $(BUILD)/tests/unit/test_probe.o $(PROBE_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS) $(CRITERION_LIBS)

.PHONY: build-probe
build-probe: $(BUILD)/tests/unit/test_probe

UNIT_TESTS += $(BUILD)/tests/unit/test_probe
