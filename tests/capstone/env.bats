#!/usr/bin/env bats
# A container's environment as Kubernetes builds it, seen from inside the
# container: valueFrom resolved when it starts, $(VAR) expanded - in env,
# command and args, and in a volumeMount's subPathExpr.

load ../helpers
load podrun

setup() {
	podrun_setup
}

@test "env: fieldRef, resourceFieldRef and \$(VAR) resolve to the pod's own values; \$\$ escapes" {
	f=$(pod_file envp <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: envp, labels: {app: web}}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo \"$(GREETING)|$POD_IP|$MEM|$(APP)|$$(KEEP)|$UID_\""]
    env:
    - {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: UID_, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: GREETING, value: "hello $(NAME)"}
    resources: {limits: {memory: 64Mi}}
YAML
	)
	run podrun run "$f"
	assert_success
	run podrun logs envp
	# $$(KEEP) reaches sh as $(KEEP): a command substitution that fails; the
	# pod IP is gone from the state once the pod ended, its range is not
	assert_line --regexp "^hello envp\|198\.1[89]\.[0-9]+\.[0-9]+\|64\|web\|\|$(state envp uid)$"
	podrun rm -f envp
	assert_host_clean
}

@test "env: podrun exec sees the resolved environment too" {
	f=$(pod_file envx <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: envx}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    env:
    - {name: WHERE, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
YAML
	)
	podrun run -d "$f"
	run podrun exec envx -- sh -c 'echo "$WHERE"'
	assert_output "$(state envx ip)"
	podrun rm -f envx
	assert_host_clean
}

# subPathExpr was warned about and ignored: the container got the whole
# volume, another pod's directory with it. It is kubelet's now: $(VAR) from
# the container's env (the downward API's pod name here), then a subPath
# beneath the volume. Proven: with the expansion skipped (pod.c,
# setup_members: `if (0 && sm->sub_path_expr)`) the first pod lists
# "other" and reads its secret.
@test "env: subPathExpr expands the container's \$(POD_NAME); '..' or an absolute result fails the start (exit 1)" {
	local host=$BATS_TEST_TMPDIR/host
	mkdir -p "$host/subexpr" "$host/other"
	echo secret >"$host/other/secret"
	sub_pod() { # VALUE-OF-DIR SUBPATHEXPR
		pod_file subexpr <<YAML
apiVersion: v1
kind: Pod
metadata: {name: subexpr}
spec:
  restartPolicy: Never
  volumes: [{name: v, hostPath: {path: $host}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo mine >/v/own; ls /v; cat /v/secret 2>/dev/null; true"]
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: DIR, value: "$1"}
    volumeMounts: [{name: v, mountPath: /v, subPathExpr: "$2"}]
YAML
	}
	run podrun run "$(sub_pod x '$(POD_NAME)')"
	assert_success
	run podrun logs subexpr
	assert_output --partial own
	refute_output --partial other
	refute_output --partial secret
	[ "$(cat "$host/subexpr/own")" = mine ]
	podrun rm -f subexpr
	# each DIR, and the subPathExpr it goes into
	local dir_expr
	for dir_expr in '..|x/$(DIR)' '/tmp|$(DIR)' 'host/../..|x/$(DIR)'; do
		f=$(sub_pod "${dir_expr%%|*}" "${dir_expr#*|}")
		run podrun run -d "$f"
		assert_failure 1
		assert_output --regexp "^podrun: $f:14:20: container c: CreateContainerConfigError: subPathExpr .*: \".*\" must be a relative path without '\.\.'$"
		[ ! -e "$PODRUN_ROOT/pods/subexpr" ]
		assert_host_clean
	done
	run podrun run -d "$(sub_pod x '$(NOPE)')"
	assert_failure 1
	assert_output --partial "CreateContainerConfigError: subPathExpr \$(NOPE): missing value for NOPE"
	assert_host_clean
}
