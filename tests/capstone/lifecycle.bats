#!/usr/bin/env bats
# lifecycle hooks as kubelet runs them: postStart right after the start (a
# failure kills the container), preStop before the SIGTERM, within the grace
# period. What each hook writes lands in a hostPath the test reads.

load ../helpers
load podrun

setup() {
	podrun_setup
}

@test "postStart runs after the start, preStop before SIGTERM, in that order" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	f=$(pod_file lc <<YAML
apiVersion: v1
kind: Pod
metadata: {name: lc}
spec:
  terminationGracePeriodSeconds: 3
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap 'echo TERM >> /v/log; exit 0' TERM; echo started >> /v/log; while :; do sleep 0.1; done"]
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle:
      postStart: {exec: {command: ["sh", "-c", "echo poststart >> /v/log"]}}
      preStop: {exec: {command: ["sh", "-c", "echo prestop >> /v/log"]}}
YAML
	)
	podrun run -d "$f"
	wait_for grep -q poststart "$hp/log"
	podrun stop lc
	# the container's own line and postStart race (kubelet runs the hook
	# beside the command); preStop always comes before the SIGTERM
	[ "$(sed -n '$p' "$hp/log")" = TERM ]
	[ "$(sed -n '$=' "$hp/log")" = 4 ]
	[ "$(grep -n prestop "$hp/log" | cut -d: -f1)" = 3 ]
	podrun rm -f lc
	assert_host_clean
}

@test "a failing postStart kills the container, which is restarted by policy, with an event" {
	f=$(pod_file ps <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: ps}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      postStart: {exec: {command: ["false"]}}
YAML
	)
	podrun run -d "$f" || true
	wait_for grep -qv '^0$' "$PODRUN_ROOT/pods/ps/containers/c/restarts"
	grep -q "FailedPostStartHook" "$PODRUN_ROOT/pods/ps/events"
	podrun rm -f ps
	assert_host_clean
}

@test "a preStop that outlives the grace period is cut at it: the pod's stop stays bounded" {
	f=$(pod_file slow <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: slow}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      preStop: {sleep: {seconds: 3600}}
YAML
	)
	podrun run -d "$f"
	# a bound, not a timing: without the grace period this would hang for an hour
	run timeout 60 "$PODRUN_BIN" stop slow
	assert_success
	podrun rm -f slow
	assert_host_clean
}
