# Lab 05 - sidecar patterns: log shipper, ambassador proxy, adapter.
#
# The sidecars are static binaries (they run inside pods, from images), so
# they and the objects they link are compiled with STATIC_CFLAGS into their
# own directory, static/. The step programs are ordinary host programs that
# run pods with lab 02-04's modules.
L5 := labs/05-sidecars
L5_B := $(BUILD)/$(L5)
L5_S := $(L5_B)/static
L5_SIDECARS := logship logsink proxy adapter echod tcpcat
L5_SIDECAR_BINS := $(addprefix $(L5_B)/,$(L5_SIDECARS))
L5_STEPS := step1_logging step2_proxy step3_adapter step4_cost
L5_STEP_BINS := $(addprefix $(L5_B)/,$(L5_STEPS))
L5_NET_OBJS := $(L5_B)/netutil.o $(L5_B)/http.o

$(L5_S)/%.o: $(L5)/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -MMD -MP -c $< -o $@

$(L5_S)/common.o: labs/common/common.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -MMD -MP -c $< -o $@

$(L5_SIDECAR_BINS): $(L5_B)/%: $(L5_S)/%.o $(L5_S)/netutil.o $(L5_S)/common.o
	$(CC) $(STATIC_LDFLAGS) $^ -o $@
$(L5_B)/adapter: $(L5_S)/http.o

$(L5_STEP_BINS): $(L5_B)/%: $(L5_B)/%.o $(L5_B)/sidekit.o $(L5_NET_OBJS) $(CONTAINER_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(CAP_LIBS) $(SECCOMP_LIBS) $(JSONC_LIBS)

$(BUILD)/tests/unit/test_sidecars: $(L5_NET_OBJS) $(COMMON_OBJ)

# ---- images: the sidecars on top of busybox (lab 03's mkimage.sh) ---------------
L5_IMAGES := $(BUILD)/images
L5_IMAGE_DEPS := $(L3_MKIMAGE) $(L5)/lab.mk

$(L5_IMAGES)/logship/latest/.built: $(L5_IMAGE_DEPS) $(L5_B)/logship $(L5_B)/logsink
	$(L3_MKIMAGE) $(L5_IMAGES) logship latest $(L5_B)/logship:/usr/local/bin/logship \
		$(L5_B)/logsink:/usr/local/bin/logsink
	@touch $@

$(L5_IMAGES)/proxy/latest/.built: $(L5_IMAGE_DEPS) $(L5_B)/proxy $(L5_B)/echod $(L5_B)/tcpcat
	$(L3_MKIMAGE) $(L5_IMAGES) proxy latest $(L5_B)/proxy:/usr/local/bin/proxy \
		$(L5_B)/echod:/usr/local/bin/echod $(L5_B)/tcpcat:/usr/local/bin/tcpcat
	@touch $@

$(L5_IMAGES)/adapter/latest/.built: $(L5_IMAGE_DEPS) $(L5_B)/adapter
	$(L3_MKIMAGE) $(L5_IMAGES) adapter latest $(L5_B)/adapter:/usr/local/bin/adapter
	@touch $@

L5_IMAGE_STAMPS := $(addprefix $(L5_IMAGES)/,logship/latest/.built proxy/latest/.built \
	adapter/latest/.built)
$(L5_IMAGE_STAMPS): | $(DEPS_STAMP)
images: $(L5_IMAGE_STAMPS)

# The same three as OCI layouts (lab 03's mkoci.sh; capstone.mk loads them).
# Each runs its sidecar by default; a pod's `args` replace the flags (Cmd).
L5_OCI_DEPS := $(L3_OCI_DEPS) $(L5)/lab.mk
$(L3_OCI)/logship-latest/.built: $(L5_IMAGES)/logship/latest/.built $(L5_OCI_DEPS)
	$(L3_MKOCI) --entrypoint '["logship"]' \
		--cmd '["--file","/var/log/app/app.log","--to","127.0.0.1:5170"]' \
		$(@D) logship:latest $(L5_IMAGES)/logship/latest/rootfs
	@touch $@

$(L3_OCI)/proxy-latest/.built: $(L5_IMAGES)/proxy/latest/.built $(L5_OCI_DEPS)
	$(L3_MKOCI) --entrypoint '["proxy"]' \
		--cmd '["--listen","0.0.0.0:8000","--upstream","127.0.0.1:9001"]' \
		$(@D) proxy:latest $(L5_IMAGES)/proxy/latest/rootfs
	@touch $@

$(L3_OCI)/adapter-latest/.built: $(L5_IMAGES)/adapter/latest/.built $(L5_OCI_DEPS)
	$(L3_MKOCI) --entrypoint '["adapter"]' \
		--cmd '["--listen","0.0.0.0:9100","--app","127.0.0.1:8080"]' \
		$(@D) adapter:latest $(L5_IMAGES)/adapter/latest/rootfs
	@touch $@

L5_OCI_LAYOUTS := logship-latest proxy-latest adapter-latest

ALL += $(L5_SIDECAR_BINS) $(L5_STEP_BINS)
UNIT_TESTS += $(BUILD)/tests/unit/test_sidecars
BENCHES += bench-localhost

.PHONY: build-lab-5 bench-localhost
build-lab-5: $(L5_SIDECAR_BINS) $(L5_STEP_BINS) $(BUILD)/tests/unit/test_sidecars \
	$(L5_IMAGE_STAMPS) $(L2_HOLDERS) $(L3_IMAGE_STAMPS)

# What localhost inside a pod costs against a veth hop between two pods.
bench-localhost: $(L5_B)/step4_cost $(L2_HOLDERS)
	@$(L5_B)/step4_cost
