#!/usr/bin/env bats
# A container's environment as Kubernetes builds it, seen from inside the
# container: valueFrom resolved when it starts, $(VAR) expanded.

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
