# The capstone's diagnostic benchmarks, beside `make bench` (bench-podrun
# there compares podrun with crun, runc and podman when they are installed).
#
#   make bench-steps   where one container start and one pod teardown spend
#                      their time, step by step (strace --seccomp-bpf on the
#                      syscalls that mark the steps); STEPS_RUNS=N
#   make bench-scale   N pods at once: start, ps, memory, teardown per pod
#                      (SCALE_N, default "10 50 100": about half a minute)
#   make supervisor-layout   rewrites capstone/supervisor.ld from a trace of
#                      this build's supervisors (uprobes; about a minute):
#                      the next build of podrun places their code together
STEPS_RUNS ?= 9
SCALE_N ?= 10 50 100

.PHONY: bench-steps bench-scale supervisor-layout
bench-steps: build-capstone
	@PODLAB_BUILD=$(BUILD) STEPS_RUNS=$(STEPS_RUNS) bash $(CAP)/bench-steps.sh

bench-scale: build-capstone
	@PODLAB_BUILD=$(BUILD) SCALE_N="$(SCALE_N)" bash $(CAP)/bench-scale.sh

supervisor-layout: build-capstone
	@PODLAB_BUILD=$(BUILD) bash $(CAP)/supervisor-layout.sh

define PODLAB_HELP_BENCH
make bench-steps   one container start and one rm -f, step by step, as shares (STEPS_RUNS=9)
  make bench-scale   N pods: start, ps, memory and teardown per pod stay flat (SCALE_N="10 50 100")
  make supervisor-layout   trace the supervisors, rewrite capstone/supervisor.ld (root, a minute)
endef
export PODLAB_HELP_BENCH
HELP_EXTRA += $${PODLAB_HELP_BENCH}
