# Capstone - podrun, a pod runner for Kubernetes v1 Pod YAML, built from the
# labs' modules: lab 02's sandbox, lab 03's root filesystems and volumes, lab
# 04's containers and init/restart state machine ($(CONTAINER_OBJS) holds them
# all, with ns and common).
CAP := capstone
CAP_B := $(BUILD)/$(CAP)
CAP_OBJS := $(addprefix $(CAP_B)/,spec.o state.o ports.o pod.o)
PODRUN := $(CAP_B)/podrun

$(PODRUN): $(CAP_B)/podrun.o $(CAP_OBJS) $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS)

# The spec parser's unit tests link the same objects, and libyaml (after the
# objects, where the linker looks for what they need).
$(BUILD)/tests/unit/test_spec.o: DEFS += -I$(SRC)/$(CAP)
$(BUILD)/tests/unit/test_spec: $(BUILD)/tests/unit/test_spec.o $(CAP_OBJS) $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS) $(CRITERION_LIBS)

ALL += $(PODRUN)
# podrun's tests run pods from the images, and `make test` builds only ALL.
ALL += $(L3_IMAGE_STAMPS) $(L5_IMAGE_STAMPS)
UNIT_TESTS += $(BUILD)/tests/unit/test_spec
BENCHES += bench-podrun
DEMO_SCRIPT := capstone/demo.sh

.PHONY: build-capstone bench-podrun
# What the capstone's tests need: podrun, the pause holder, the images.
build-capstone: $(PODRUN) $(BUILD)/tests/unit/test_spec \
	$(BUILD)/labs/02-pause/pause images

bench-podrun: build-capstone
	@PODLAB_BUILD=$(BUILD) bash $(CAP)/bench.sh
