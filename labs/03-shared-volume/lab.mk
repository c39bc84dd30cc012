# Lab 03 - container root filesystems and shared volumes.
L3 := labs/03-shared-volume
L3_STEPS := step1_bind step2_propagation step3_rootfs step4_emptydir step5_hostpath step6_escape
L3_BINS := $(addprefix $(BUILD)/$(L3)/,$(L3_STEPS))
L3_OBJS := $(BUILD)/$(L3)/rootfs.o $(BUILD)/$(L3)/volume.o
ROOTFS_OBJ := $(BUILD)/$(L3)/rootfs.o
VOLUME_OBJ := $(BUILD)/$(L3)/volume.o

# Where rootfs_image_path looks when neither its caller nor $PODRUN_IMAGES says.
$(BUILD)/$(L3)/rootfs.o: DEFS += -DPODLAB_IMAGES_DIR='"$(BUILD)/images"'

$(L3_BINS): $(BUILD)/$(L3)/%: $(BUILD)/$(L3)/%.o $(L3_OBJS) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS)

$(BUILD)/tests/unit/test_volume: $(L3_OBJS) $(COMMON_OBJ)
$(BUILD)/tests/unit/test_rootfs: $(L3_OBJS) $(COMMON_OBJ)

ALL += $(L3_BINS)
UNIT_TESTS += $(BUILD)/tests/unit/test_volume $(BUILD)/tests/unit/test_rootfs

# ---- images: IMAGES/name/tag/rootfs, one stamp per image ---------------------
# The stamp sits next to rootfs/, outside the image, so a container never sees it.
L3_IMAGES := $(BUILD)/images
L3_MKIMAGE := $(L3)/mkimage.sh
# /bin/busybox is not a prerequisite: on a fresh machine make would decide it
# is missing before deps.sh installed it. mkimage.sh checks it; the deps stamp
# (order-only, below) runs the install first.
L3_IMAGE_DEPS := $(L3_MKIMAGE) $(L3)/lab.mk

$(L3_IMAGES)/busybox/latest/.built: $(L3_IMAGE_DEPS)
	$(L3_MKIMAGE) $(L3_IMAGES) busybox latest
	@touch $@

# The study note's javaweb pod: resource/simple:v2 and resouces/tomcat:7.0.
$(L3_IMAGES)/simple/v2/.built: $(L3_IMAGE_DEPS) $(L3)/files/simple.war
	$(L3_MKIMAGE) $(L3_IMAGES) simple v2 $(L3)/files/simple.war:/simple.war
	@touch $@

$(L3_IMAGES)/tomcat/7.0/.built: $(L3_IMAGE_DEPS) $(L3)/files/tomcat-start.sh
	$(L3_MKIMAGE) $(L3_IMAGES) tomcat 7.0 \
		$(L3)/files/tomcat-start.sh:/root/apache-tomcat-7.0.42-v2/bin/start.sh
	@mkdir -p $(L3_IMAGES)/tomcat/7.0/rootfs/root/apache-tomcat-7.0.42-v2/webapps
	@touch $@

L3_IMAGE_STAMPS := $(addprefix $(L3_IMAGES)/,busybox/latest/.built simple/v2/.built tomcat/7.0/.built)
$(L3_IMAGE_STAMPS): | $(DEPS_STAMP)
images: $(L3_IMAGE_STAMPS)

.PHONY: build-lab-3
build-lab-3: $(L3_BINS) $(L3_IMAGE_STAMPS) $(BUILD)/tests/unit/test_volume $(BUILD)/tests/unit/test_rootfs


# ---- images as OCI: image.o and its libraries, step7, the OCI busybox layout ----
# image.o reads tars with libarchive, JSON with json-c and hashes with nettle.
# libarchive is not linked: archive_dl.o opens it with dlopen when an archive
# is first read (archive_dl.h says why). The unit test writes tars with it.
ARCHIVE_LIBS = $(eval ARCHIVE_LIBS := $(call pkg,--libs,libarchive,-larchive))$(ARCHIVE_LIBS)
JSON_LIBS = $(eval JSON_LIBS := $(call pkg,--libs,json-c,-ljson-c))$(JSON_LIBS)
NETTLE_LIBS = $(eval NETTLE_LIBS := $(call pkg,--libs,nettle,-lnettle))$(NETTLE_LIBS)
IMAGE_OBJ := $(BUILD)/$(L3)/image.o $(BUILD)/$(L3)/archive_dl.o
IMAGE_LIBS = $(JSON_LIBS) $(NETTLE_LIBS)

L3_IMAGE_STEP := $(BUILD)/$(L3)/step7_image
$(L3_IMAGE_STEP): $(BUILD)/$(L3)/step7_image.o $(IMAGE_OBJ) $(L3_OBJS) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(IMAGE_LIBS) $(CAP_LIBS)

$(BUILD)/tests/unit/test_image: $(BUILD)/tests/unit/test_image.o $(IMAGE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(IMAGE_LIBS) $(ARCHIVE_LIBS) $(CRITERION_LIBS)

ALL += $(L3_IMAGE_STEP)
UNIT_TESTS += $(BUILD)/tests/unit/test_image

# make oci-images: the busybox image as an OCI image layout (one layer, an
# Entrypoint and a Cmd), for `podrun image load` and the tests.
L3_OCI := $(BUILD)/oci
$(L3_OCI)/busybox/.built: $(L3)/mkoci.sh $(L3)/lab.mk | $(DEPS_STAMP)
	$(L3)/mkoci.sh $(L3_OCI)/busybox busybox:latest
	@touch $@
.PHONY: oci-images
oci-images: $(L3_OCI)/busybox/.built
define PODLAB_HELP_OCI
make oci-images     the busybox image as an OCI image layout in BUILD/oci/busybox
endef
export PODLAB_HELP_OCI
HELP_EXTRA += $${PODLAB_HELP_OCI}

build-lab-3: $(L3_IMAGE_STEP) $(BUILD)/tests/unit/test_image $(L3_OCI)/busybox/.built

# ---- make images, the OCI half: what podrun runs ------------------------------
# Each directory image above becomes one OCI image layout, BUILD/oci/NAME-TAG:
# the directory is its one layer, and the config says what a container of it
# runs when the pod does not (Entrypoint, Cmd, Env, WorkingDir). The capstone
# loads them into podrun's image store (capstone.mk, `podrun image load`).
# L3_OCI_LAYOUTS lists NAME-TAG=REFERENCE for it.
L3_MKOCI := $(L3)/mkoci.sh
L3_OCI_DEPS := $(L3_MKOCI) $(L3)/lab.mk

# As Docker Hub's busybox: no Entrypoint, `sh` by default.
$(L3_OCI)/busybox-latest/.built: $(L3_IMAGES)/busybox/latest/.built $(L3_OCI_DEPS)
	$(L3_MKOCI) --entrypoint null --cmd '["sh"]' $(@D) busybox:latest \
		$(L3_IMAGES)/busybox/latest/rootfs
	@touch $@

# The war image: a data image, the war and busybox's cp to copy it out. It has
# nothing of its own to run (no Entrypoint, no Cmd): a container of it must
# say its command, as the study note's init container does.
$(L3_OCI)/simple-v2/.built: $(L3_IMAGES)/simple/v2/.built $(L3_OCI_DEPS)
	$(L3_MKOCI) --entrypoint null --cmd null $(@D) resource/simple:v2 \
		$(L3_IMAGES)/simple/v2/rootfs
	@touch $@

# The Tomcat stand-in starts its server by default, from Tomcat's home, as
# the tomcat images do (CATALINA_HOME, `catalina.sh run`).
L3_TOMCAT_HOME := /root/apache-tomcat-7.0.42-v2
$(L3_OCI)/tomcat-7.0/.built: $(L3_IMAGES)/tomcat/7.0/.built $(L3_OCI_DEPS)
	$(L3_MKOCI) --entrypoint null --cmd '["$(L3_TOMCAT_HOME)/bin/start.sh"]' \
		--env CATALINA_HOME=$(L3_TOMCAT_HOME) --workdir $(L3_TOMCAT_HOME) \
		$(@D) resouces/tomcat:7.0 $(L3_IMAGES)/tomcat/7.0/rootfs
	@touch $@

L3_OCI_LAYOUTS := busybox-latest simple-v2 tomcat-7.0
