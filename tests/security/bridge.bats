#!/usr/bin/env bats
# A bridge podrun did not create is never used nor deleted: podrun would
# otherwise put pods on (and later remove) someone else's network.

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
}

# Proven: with the check in infra.c (setup_pod_ip: the "did not create"
# refusal skipped, `if (0 && ...)`) the pod joins the foreign bridge (exit 0)
# and rm -f deletes it.
@test "bridge: one podrun did not create is refused (exit 1) and survives rm -f" {
	ip link show "$TEST_BRIDGE" >/dev/null 2>&1 && skip "$TEST_BRIDGE exists already"
	ip link add "$TEST_BRIDGE" type bridge
	defer "ip link del '$TEST_BRIDGE'"
	run podrun run -d "$(pod_file foreign <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: foreign
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "while true; do sleep 0.1; done"]
YAML
)"
	assert_failure 1
	assert_output --partial "did not create"
	run podrun rm -f foreign
	wait_retired # a retire would delete it after rm -f returned
	ip link show "$TEST_BRIDGE"
	[ -z "$(ip -o link show master "$TEST_BRIDGE")" ]
	[ ! -e "$PODRUN_ROOT/pods/foreign" ]
	# and a second attempt is refused the same way: nothing was adopted
	run podrun run -d "$(pod_file foreign2 <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: foreign2
spec:
  containers:
  - name: main
    image: busybox
    command: ["true"]
YAML
)"
	assert_failure 1
	ip link show "$TEST_BRIDGE"
}
