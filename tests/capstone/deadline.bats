#!/usr/bin/env bats
# activeDeadlineSeconds: the node kills a pod that ran longer, and the pod is
# Failed with reason DeadlineExceeded, whatever its containers say.

load ../helpers
load podrun

setup() {
	podrun_setup
}

@test "activeDeadlineSeconds: the pod is stopped and Failed, reason DeadlineExceeded" {
	f=$(pod_file dl <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: dl}
spec:
  activeDeadlineSeconds: 1
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100 & wait"]
YAML
	)
	run podrun run "$f"
	assert_failure 1
	assert_output --partial "DeadlineExceeded"
	[ "$(state dl)" = Failed ]
	run podrun get dl -o json
	[ "$(jq -r .status.reason <<<"$output")" = DeadlineExceeded ]
	# the container itself exited 0 when told to: the deadline decides
	[ "$(state dl containers/c/exit_code)" = 0 ]
	grep -q "DeadlineExceeded" "$PODRUN_ROOT/pods/dl/events"
	podrun rm -f dl
	assert_host_clean
}
