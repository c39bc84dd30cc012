# make soak: a few hundred pod lifecycles, then proof that the supervisor's
# fds and memory, the host's mounts and links did not grow (capstone/soak.sh).
SOAK_SECONDS ?= 120
SOAK_CYCLES ?= 300

.PHONY: soak
soak: build-capstone
	@PODLAB_BUILD=$(BUILD) SOAK_SECONDS=$(SOAK_SECONDS) SOAK_CYCLES=$(SOAK_CYCLES) \
		bash $(CAP)/soak.sh

define PODLAB_HELP_SOAK
make soak          SOAK_SECONDS (120) of pod lifecycles: fds, memory, mounts, links stay flat
endef
export PODLAB_HELP_SOAK
HELP_EXTRA += $${PODLAB_HELP_SOAK}
