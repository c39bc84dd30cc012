# Capstone - podrun, a pod runner for Kubernetes v1 Pod YAML, built from the
# labs' modules: lab 02's sandbox, lab 03's root filesystems and volumes, lab
# 04's containers and init/restart state machine ($(CONTAINER_OBJS) holds them
# all, with ns and common).
CAP := capstone
CAP_B := $(BUILD)/$(CAP)
CAP_OBJS := $(addprefix $(CAP_B)/,spec.o state.o ipam.o cli.o ports.o pod.o logs.o logs_cmd.o resources.o status.o \
	podjson.o get_cmd.o envexpand.o probe.o bridge.o seccomp_default.o) \
	$(CGROUP_OBJ)
PODRUN := $(CAP_B)/podrun

# image_cmd.o and lab 03's image.o: `podrun image`, and the store every
# container's image is resolved in (libarchive, json-c, nettle: $(IMAGE_LIBS)).
#
# podrun is one static position-independent executable (ASLR kept): every
# `run` executes it twice (the file, then its sealed copy), and each pod's
# supervisor lives from it. Without the loader mapping and relocating six
# shared libraries at each start, `podrun run` of one container is about
# 5 ms faster and a supervisor maps 1.1 MB less (README, "Where a
# supervisor's memory goes"). The sanitizer build stays dynamic: ASan
# cannot be static. libarchive is still dlopen'd (lab 03, archive_dl.c), by
# `podrun image load` alone, and ld warns that a static program's dlopen
# needs the glibc it was linked with at run time: the machine's own, which
# the libarchive it loads uses too. That one warning is left out of the
# link's output; any other shows, and a failed link shows all.
#
# Its file is also what every pod's supervisor runs from: the sealed copy
# (podrun.c) is memory each node holds once for all pods, and the bench
# counts a share of it in what a pod holds alone. So podrun's objects are
# built for size, as pause is (the Makefile's STATIC_CFLAGS), and its link
# keeps only what is used: -Os, one section per function for
# --gc-sections to drop the unused ones, no unwind tables (C that neither
# throws nor cancels threads needs none; -g keeps .debug_frame for gdb and
# perf, outside the loaded segments), and relative relocations packed
# (DT_RELR, glibc 2.36): a static PIE relocates itself, and 2,500
# Elf64_Rela of 24 bytes each become a 560-byte bitmap. Together 188 kB
# less copy; the README ("Where a supervisor's memory goes") has the
# measures, each flag's share and the start's time before and after.
#
# And the supervisor's code and read-only data are placed together
# (supervisor.ld, made by `make supervisor-layout`): the kernel maps up to
# 64 kB around each page a process faults in, so a supervisor whose 640
# functions lay all over the copy mapped nearly all of it. The link map
# (podrun.map) is what that script reads to name the sections.
SUPERVISOR_LD := $(SRC)/$(CAP)/supervisor.ld
ifneq ($(SAN),1)
PODRUN_LDFLAGS := -static-pie -Wl,--gc-sections -Wl,-z,pack-relative-relocs
PODRUN_LAYOUT = -Wl,-T,$(SUPERVISOR_LD) -Wl,-Map,$@.map
$(CAP_B)/podrun.o $(CAP_B)/image_cmd.o $(CAP_OBJS) $(IMAGE_OBJ) $(CONTAINER_OBJS): \
	CFLAGS += -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
endif
# --build-id=sha1: a hash of the linked file, which tells a running pod's
# copy of podrun from another build's (is_our_copy in podrun.c).
$(PODRUN): $(CAP_B)/podrun.o $(CAP_B)/image_cmd.o $(CAP_OBJS) $(IMAGE_OBJ) $(CONTAINER_OBJS) \
	$(SUPERVISOR_LD)
	$(CC) $(LDFLAGS) $(PODRUN_LDFLAGS) $(PODRUN_LAYOUT) -Wl,--build-id=sha1 $(filter %.o,$^) -o $@ $(YAML_LIBS) \
		$(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS) 2>$@.ld || { cat $@.ld >&2; rm -f $@.ld; exit 1; }
	@grep -v -e "in function .img_archive_open" -e "Using 'dlopen' in statically linked" \
		$@.ld >&2; rm -f $@.ld

# RuntimeDefault's seccomp program for the usual capability sets, made by
# the build with the code and the libseccomp podrun links, so that no pod
# start spends 2 to 4 ms building it (seccomp_default.h). The generator is
# linked as podrun is: the same libseccomp.a.
SECCOMP_GEN := $(CAP_B)/seccomp_gen
$(SECCOMP_GEN): $(CAP_B)/seccomp_gen.o $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $(PODRUN_LDFLAGS) $^ -o $@ $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS)
$(CAP_B)/seccomp_default.c: $(SECCOMP_GEN)
	$(SECCOMP_GEN) >$@.tmp && mv $@.tmp $@
$(CAP_B)/seccomp_default.o: $(CAP_B)/seccomp_default.c
	$(CC) $(CFLAGS) -I$(SRC)/$(CAP) -MMD -MP -c $< -o $@

$(BUILD)/tests/unit/test_seccomp_default.o: DEFS += -I$(SRC)/$(CAP)
$(BUILD)/tests/unit/test_seccomp_default: $(BUILD)/tests/unit/test_seccomp_default.o \
	$(CAP_B)/seccomp_default.o $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS) $(CRITERION_LIBS)
UNIT_TESTS += $(BUILD)/tests/unit/test_seccomp_default

# The spec parser's unit tests link the same objects, and libyaml (after the
# objects, where the linker looks for what they need).
$(BUILD)/tests/unit/test_spec.o: DEFS += -I$(SRC)/$(CAP)
$(BUILD)/tests/unit/test_spec: $(BUILD)/tests/unit/test_spec.o $(CAP_OBJS) $(IMAGE_OBJ) \
	$(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(YAML_LIBS) $(IMAGE_LIBS) $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS) \
		$(CRITERION_LIBS)

ALL += $(PODRUN)

# ---- the image store: every project image, loaded with the podrun just built ----
# podrun runs OCI images from its store (DESIGN.md "Images"). The store is
# BUILD/images, beside the directory images of lab 03 (NAME/TAG/rootfs): its
# own entries are layers/, configs/, refs/, tmp/ and lock, so one
# PODRUN_IMAGES serves the labs' programs and podrun alike. One stamp per
# layout: a second `make images` loads nothing.
IMAGE_STORE := $(BUILD)/images
CAP_IMAGE_STAMPS := $(patsubst %,$(IMAGE_STORE)/.loaded-%,$(L3_OCI_LAYOUTS) $(L5_OCI_LAYOUTS))
$(IMAGE_STORE)/.loaded-%: $(L3_OCI)/%/.built | $(PODRUN)
	PODRUN_IMAGES=$(IMAGE_STORE) $(PODRUN) image load $(L3_OCI)/$*
	@touch $@
images: $(CAP_IMAGE_STAMPS)

# podrun's tests run pods from the images, and `make test` builds only ALL.
ALL += $(L3_IMAGE_STAMPS) $(L5_IMAGE_STAMPS) $(CAP_IMAGE_STAMPS)
UNIT_TESTS += $(BUILD)/tests/unit/test_spec
BENCHES += bench-podrun
DEMO_SCRIPT := capstone/demo.sh

.PHONY: build-capstone bench-podrun
# What the capstone's tests need: podrun, the pause holder, the images, and
# the unit tests they run (probes.bats, get.bats; mk/probe.mk, mk/get.mk).
build-capstone: $(PODRUN) $(BUILD)/tests/unit/test_spec $(BUILD)/tests/unit/test_probe \
	$(BUILD)/tests/unit/test_podjson $(BUILD)/labs/02-pause/pause images

# The course tooling counts the capstone as lab 7: make lab-7 grades its
# exercises (scripts/grade.sh 7: the tagged checks of tests/capstone/).
.PHONY: build-lab-7 lab-7
build-lab-7: build-capstone
lab-7: build-lab-7 FORCE
	@PODLAB_BUILD=$(BUILD) scripts/grade.sh 7

bench-podrun: build-capstone
	@PODLAB_BUILD=$(BUILD) bash $(CAP)/bench.sh
