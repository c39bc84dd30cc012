#!/usr/bin/env bats
# Who a container's processes are: runAsUser/runAsGroup, supplementalGroups,
# fsGroup, runAsNonRoot, allowPrivilegeEscalation (no_new_privs), and empty
# inheritable and ambient capability sets (runc CVE-2022-24769).

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
}

loop='["sh", "-c", "id; while true; do sleep 0.1; done"]'

# sc_pod NAME POD-SC CONTAINER-SC: a pod of one looping busybox container,
# with these securityContexts (flow maps, {} for none).
sc_pod() {
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  securityContext: $2
  containers:
  - name: main
    image: busybox
    command: $loop
    securityContext: $3
YAML
}

user_pod() {
	pod_file user <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: user
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    supplementalGroups: [4000]
    fsGroup: 2000
  containers:
  - name: main
    image: busybox
    command: $loop
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    emptyDir: {}
YAML
}

# Proven: with set_user skipped (container.c, exec_in_container:
# `if (0 && set_user(cfg) < 0)`) id says uid=0 in the container and in exec.
@test "identity: runAsUser, runAsGroup, supplementalGroups and fsGroup, for the container and for exec" {
	run podrun run -d "$(user_pod)"
	assert_success
	wait_for grep -q uid= "$(data user)/logs/main/0.log"
	run podrun logs user
	assert_output --regexp "^uid=1000 gid=3000 groups=.*"
	assert_output --regexp "groups=.*\b2000\b"
	assert_output --regexp "groups=.*\b4000\b"
	run podrun exec user -- id
	assert_success
	assert_output --regexp "^uid=1000 gid=3000 groups=.*"
	assert_output --regexp "groups=.*\b2000\b"
	assert_output --regexp "groups=.*\b4000\b"
	refute_output --regexp "groups=.*\b0\("
	# the container's PID 1 too, seen from the host
	local main
	main=$(state user containers/main/pid)
	run grep -E '^(Uid|Gid|Groups):' "/proc/$main/status"
	assert_line --regexp '^Uid:\s+1000\s+1000\s+1000\s+1000$'
	assert_line --regexp '^Gid:\s+3000\s+3000\s+3000\s+3000$'
}

# Proven: with the fsGroup block of pod.c skipped (`if (0 && sp->fs_group >= 0 ...)`)
# the emptyDir is group 0 without setgid, and the write as uid 1000 fails.
@test "identity: fsGroup makes the emptyDir the pod's group, setgid; files made in it are the group's" {
	run podrun run -d "$(user_pod)"
	assert_success
	run stat -c '%g %A' "$(data user)/volumes/data"
	assert_output --regexp '^2000 d.....s...$'
	run podrun exec user -- sh -c 'touch /data/f && stat -c %g /data/f'
	assert_success
	assert_output 2000
}

# Proven: with inheritable and ambient sets filled (container.c, set_caps:
# CAP_INHERITABLE set beside CAP_PERMITTED and every capability of the mask
# raised with cap_set_ambient instead of cap_reset_ambient) the non-root
# process keeps CapEff non-zero and the root one has CapInh/CapAmb non-zero.
@test "identity: a non-root container has no effective capabilities, in exec too" {
	run podrun run -d "$(user_pod)"
	assert_success
	local main
	main=$(state user containers/main/pid)
	run grep -E '^Cap(Eff|Prm|Amb):' "/proc/$main/status"
	assert_line --regexp '^CapEff:\s+0+$'
	assert_line --regexp '^CapPrm:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
	run podrun exec user -- grep -E '^Cap(Eff|Amb):' /proc/self/status
	assert_line --regexp '^CapEff:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
}

@test "identity: a root container has empty inheritable and ambient sets (runc CVE-2022-24769), in exec too" {
	run podrun run -d "$(sc_pod root '{}' '{}')"
	assert_success
	local main
	main=$(state root containers/main/pid)
	run grep -E '^Cap(Inh|Amb|Eff):' "/proc/$main/status"
	assert_line --regexp '^CapInh:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
	# not vacuous: root does hold the default set
	refute_line --regexp '^CapEff:\s+0+$'
	run podrun exec root -- grep -E '^Cap(Inh|Amb):' /proc/self/status
	assert_line --regexp '^CapInh:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
}

# Proven: with the check in pod.c skipped (`if (0 && sc->sec.run_as_non_root
# > 0 ...)`) the pod runs as root (exit 0).
# A container's command is looked for with its own credentials, not as the
# root with every capability that sets the container up: in a hostPID pod a
# command under /proc/PID/root of a host process would otherwise tell
# whether the host has a file (found by a look as root, then refused by
# execve) or not (not found). PID: this test's own shell, root on the host.
# Proven: with the look done first thing in exec_in_container, as root
# (stat, then execve after the drop), the host's file gives "Permission
# denied" and the missing one "No such file or directory".
@test "identity: the command is looked for as the container's user: a hostPID pod cannot tell which host files exist" {
	local secret u f
	secret=$(mktemp /tmp/podlab-secret.XXXXXX)
	defer "rm -f '$secret'"
	for u in 1000 0; do
		for f in "$secret" "$secret-missing"; do
			pod_file peek <<YAML >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: peek}
spec:
  hostPID: true
  securityContext: {runAsUser: $u}
  containers:
  - {name: main, image: busybox, command: ["/proc/$$/root$f"]}
YAML
			run podrun run -d "$BATS_TEST_TMPDIR/peek.yaml"
			assert_failure 1
			assert_output --partial "execve(/proc/$$/root$f): Permission denied"
			podrun rm -f peek
		done
	done
}

@test "identity: runAsNonRoot without runAsUser on a root image: CreateContainerConfigError, exit 1, host clean" {
	run podrun run -d "$(sc_pod nonroot '{}' '{runAsNonRoot: true}')"
	assert_failure 1
	assert_output --partial CreateContainerConfigError
	run podrun rm -f nonroot
	assert_host_clean
}

# Proven: with no_new_privs never set (container.c, exec_in_container:
# `bool nnp = false;`) NoNewPrivs is 0 by default; the escalation case
# then still passes.
@test "identity: no_new_privs by default, in exec too; off with allowPrivilegeEscalation: true" {
	run podrun run -d "$(pod_file nnp <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: nnp
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: strict
    image: busybox
    command: $loop
  - name: lax
    image: busybox
    command: $loop
    securityContext:
      allowPrivilegeEscalation: true
YAML
)"
	assert_success
	run grep NoNewPrivs "/proc/$(state nnp containers/strict/pid)/status"
	assert_output --regexp '^NoNewPrivs:\s+1$'
	run podrun exec -c strict nnp -- grep NoNewPrivs /proc/self/status
	assert_output --regexp '^NoNewPrivs:\s+1$'
	run grep NoNewPrivs "/proc/$(state nnp containers/lax/pid)/status"
	assert_output --regexp '^NoNewPrivs:\s+0$'
	run podrun exec -c lax nnp -- grep NoNewPrivs /proc/self/status
	assert_output --regexp '^NoNewPrivs:\s+0$'
}

# A null is not a false: the container's "runAsNonRoot: null" leaves the
# pod's true in force, its "allowPrivilegeEscalation: null" leaves
# no_new_privs on.
# Proven: with spec.c reading a null into an uninitialised bool (as it did
# until fuzz_spec found it), UBSan stops podrun at that load on the
# sanitizer build; on the regular build the result was whatever the stack
# held (test_spec's security/null_booleans_are_unset catches it there).
@test "identity: a container's null runAsNonRoot or allowPrivilegeEscalation is unset: the pod's runAsNonRoot holds, no_new_privs stays" {
	run podrun run -d "$(sc_pod nullroot '{runAsNonRoot: true}' '{runAsNonRoot: null}')"
	assert_failure 1
	assert_output --partial CreateContainerConfigError
	run podrun rm -f nullroot
	assert_host_clean
	run podrun run -d "$(sc_pod nullnnp '{}' '{allowPrivilegeEscalation: null}')"
	assert_success
	run grep NoNewPrivs "/proc/$(state nullnnp containers/main/pid)/status"
	assert_output --regexp '^NoNewPrivs:\s+1$'
}

# Proven: with the check in spec.c skipped (`if (0 && s->allow_privilege_escalation
# == 0 && ct->privileged)`) validate exits 0.
@test "identity: allowPrivilegeEscalation: false with privileged: true is a spec error (exit 2)" {
	local f
	f=$(sc_pod contra '{}' '{privileged: true, allowPrivilegeEscalation: false}')
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "allowPrivilegeEscalation"
	run podrun run -d "$f"
	assert_failure 2
	[ ! -e "$PODRUN_ROOT/pods/contra" ]
}

# runc's umask, 022, not the operator's: with 077 the workingDir the runtime
# makes and every file the command creates would be its owner's alone, and
# a container running as another user could not read them.
@test "identity: a container and its exec get umask 022 whatever podrun's is; a workingDir made for it is 0755" {
	f=$(pod_file mask <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: mask}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    workingDir: /srv/made/here
    command: ["sh", "-c", "umask; touch f; stat -c %a /srv/made/here f; sleep 3600"]
YAML
	)
	(umask 077 && podrun run -d "$f")
	wait_for grep -q " 644$" "$(data mask)/logs/main/0.log"
	run podrun logs mask
	assert_output "0022
755
644"
	run podrun exec mask -- sh -c 'umask'
	assert_output 0022
	podrun rm -f mask
	assert_host_clean
}
