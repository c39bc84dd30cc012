#!/usr/bin/env bats
# pause in a shared pid namespace: a container with SYS_PTRACE sees it as
# PID 1 and can reach /proc/1/root. Pause lives in a read-only root of its
# own holding only its binary, with no capabilities and no_new_privs, so
# that /proc/1/root leads nowhere on the host. It runs as uid 65535 and is
# not dumpable, so a container without SYS_PTRACE cannot trace it at all.

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
	MARK=podlab-escape-$BATS_TEST_NUMBER-$$
	defer "rm -f /tmp/$MARK"
	run podrun run -d "$(pod_file shared <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "while true; do sleep 0.1; done"]
    securityContext:
      capabilities:
        add: [SYS_PTRACE]
  - name: plain
    image: busybox
    command: ["sleep", "3600"]
  - name: nobody
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      runAsUser: 65535
      runAsGroup: 65535
YAML
)"
	assert_success
}

# Proven: with pause left in the host's root (infra.c, holder_main:
# `if ((0 && private_root(exe) < 0) || drop_everything() < 0)` and
# `execve(a->pause, ...)`), the write lands in the host's /tmp.
# This check fails against that tree, the next one passes.
@test "pause: /proc/1/root of a SYS_PTRACE container holds only pause, read-only; the host's /tmp is out of reach" {
	# PID 1 of the pod is pause, and the container may look at it
	run podrun exec shared -- sh -c "tr '\\0' ' ' </proc/1/cmdline"
	assert_success
	assert_output --partial pause
	run podrun exec shared -- sh -c "echo escaped >/proc/1/root/tmp/$MARK"
	assert_failure
	[ ! -e "/tmp/$MARK" ]
	run podrun exec shared -- ls /proc/1/root
	assert_success
	assert_output pause
	run podrun exec shared -- cat /proc/1/mountinfo
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp " / / ro,"
	run podrun exec shared -- sh -c "echo x >/proc/1/root/pause"
	assert_failure
}

# Proven: with drop_everything() skipped in holder_main (infra.c:
# `if (private_root(exe) < 0 || (0 && drop_everything() < 0))`) CapEff and
# CapBnd are non-zero and NoNewPrivs is 0: this check fails, the other passes.
@test "pause: no capabilities at all (effective, permitted, bounding, inheritable, ambient), no_new_privs" {
	local pause
	pause=$(state shared pause.pid)
	[ "$pause" -gt 1 ]
	grep -q pause "/proc/$pause/cmdline"
	run grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' "/proc/$pause/status"
	assert_line --regexp '^CapEff:\s+0+$'
	assert_line --regexp '^CapPrm:\s+0+$'
	assert_line --regexp '^CapBnd:\s+0+$'
	assert_line --regexp '^CapInh:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
	assert_line --regexp '^NoNewPrivs:\s+1$'
}

# Two things keep pause out of reach, each proven by leaving it out of
# infra.c: without the setresgid/setresuid of drop_everything the Uid line
# fails (pause would be root with no capabilities, which a root container's
# default ones include: the kernel's ptrace check would let it attach); and
# pause must not be dumpable, or the container of its own uid reads its
# environ (and could attach to it). Its execute-only copy makes it so when
# fs.suid_dumpable is 0, its own prctl(PR_SET_DUMPABLE, 0) whatever the
# sysctl says (lab 02's checks set it to 1).
@test "pause: uid 65535 and not dumpable: a container without SYS_PTRACE, root or 65535, cannot trace it" {
	local pause
	pause=$(state shared pause.pid)
	run grep -E '^(Uid|Gid|Groups):' "/proc/$pause/status"
	assert_line --regexp '^Uid:\s+65535\s+65535\s+65535\s+65535$'
	assert_line --regexp '^Gid:\s+65535\s+65535\s+65535\s+65535$'
	assert_line --regexp '^Groups:\s*$'
	# environ asks the kernel's ptrace check (PTRACE_MODE_READ), as an attach does
	local c
	for c in plain nobody; do
		run podrun exec -c "$c" shared -- cat /proc/1/environ
		assert_failure
		assert_output --partial "Permission denied"
		run podrun exec -c "$c" shared -- ls /proc/1/root
		assert_failure
	done
	# the container that was granted SYS_PTRACE still may, as in Kubernetes
	run podrun exec -c main shared -- cat /proc/1/environ
	assert_success
}
