# The host: can this machine run podlab (make doctor), and remove what a
# crashed lab or pod left on it (make clean-host). Part of the student handout.
.PHONY: doctor clean-host

# OK/WARN/FAIL per fact, with how to fix it; exits 1 on a FAIL. Builds nothing,
# installs nothing.
doctor:
	@PODLAB_BUILD=$(BUILD) scripts/doctor.sh

# Dry run: what would be removed. FORCE=1 removes it.
clean-host:
	@PODLAB_BUILD=$(BUILD) CLEAN_FORCE=$(if $(filter 1,$(FORCE)),1,0) scripts/clean-host.sh

define PODLAB_HELP_DOCTOR
make doctor        can this machine run podlab? OK/WARN/FAIL per check, and how to fix each
  make clean-host    what a crash left (mounts, links, processes, cgroups, state): FORCE=1 removes it
endef
export PODLAB_HELP_DOCTOR
HELP_EXTRA += $${PODLAB_HELP_DOCTOR}
