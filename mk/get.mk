# A pod as data (capstone/podjson.c, capstone/get_cmd.c): the v1 Pod object
# built from the state directory, and `podrun get`, `describe`, `wait` on it.
# Both are in podrun (capstone/capstone.mk: podjson.o and get_cmd.o in
# CAP_OBJS).
#
#   make $(BUILD)/tests/unit/test_podjson   podjson_spec's defaults
#
# podjson.o needs what the spec parser's test links ($(CAP_OBJS): spec.o,
# state.o, their labs' modules) and json-c.
PODJSON_OBJ := $(BUILD)/capstone/podjson.o

$(BUILD)/tests/unit/test_podjson.o: DEFS += -I$(SRC)/capstone
# filter-out: once CAP_OBJS holds podjson.o too, it is linked once.
$(BUILD)/tests/unit/test_podjson: $(BUILD)/tests/unit/test_podjson.o $(PODJSON_OBJ) \
	$(filter-out $(PODJSON_OBJ),$(CAP_OBJS)) $(IMAGE_OBJ) $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) \
		$(JSONC_LIBS) $(CRITERION_LIBS)

UNIT_TESTS += $(BUILD)/tests/unit/test_podjson
