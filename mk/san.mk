# The sanitizer build that `make test` runs the unit tests and the capstone's
# tests on: ASan and UBSan (SAN=1, see SANFLAGS in the root Makefile) and the
# fault points of capstone/fault.h (-DPODLAB_FAULTS), in $(SAN_B), apart from
# the normal build.
#
#   make san-build       build it
#
# The images are the normal build's (a symlink): the binaries inside pods
# are static and carry no sanitizer, so there is nothing to rebuild there.
SAN_B := $(BUILD)/san

.PHONY: san-build san-targets
san-build: $(DEPS_STAMP) images
	@mkdir -p $(SAN_B)
	@cp -p $(DEPS_STAMP) $(SAN_B)/.deps-ok
	@ln -sfn $(BUILD)/images $(SAN_B)/images
	@$(MAKE) --no-print-directory -j$(NPROC) SAN=1 BUILD=$(SAN_B) \
		CFLAGS="-O1 -g -DPODLAB_FAULTS" san-targets

# What the sanitizer build holds (made by the make above, inside $(SAN_B)).
# $$(UNIT_TESTS): read when the rule is run, not here - the mk files after
# this one (state.mk, status.mk) add their unit tests to it later.
.SECONDEXPANSION:
san-targets: $$(UNIT_TESTS) $(PODRUN) $(L2_HOLDERS)

define PODLAB_HELP_SAN
make san-build     podrun and the unit tests with ASan, UBSan and fault points, in build/san
endef
export PODLAB_HELP_SAN
HELP_EXTRA += $${PODLAB_HELP_SAN}
