#!/usr/bin/env bats
# A disk emptyDir's sizeLimit, as kubelet honours it: its eviction manager
# measures the volume every 10 s (here PODRUN_EVICTION_PERIOD, shorter) and
# evicts the pod that outgrew it - containers killed at once, the pod
# Failed, reason Evicted. (A Memory emptyDir is a tmpfs of that size: the
# kernel says ENOSPC instead; lab 03 tests that.)

load ../helpers
load podrun

setup() {
	podrun_setup
	export PODRUN_EVICTION_PERIOD=200ms
}

writer() { # NAME KIB: a pod that writes KIB KiB into a 1Mi disk emptyDir, then waits
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 30
  volumes: [{name: scratch, emptyDir: {sizeLimit: 1Mi}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "dd if=/dev/zero of=/scratch/f bs=1024 count=$2 2>/dev/null; echo written; exec sleep 3600"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
YAML
}

# Proven: with check_evictions (pod.c) never called, the pod stays Running.
@test "a disk emptyDir over its sizeLimit evicts the pod: Failed, reason Evicted, at once" {
	podrun run -d "$(writer big 2048)"
	wait_for grep -qx Failed "$PODRUN_ROOT/pods/big/phase"
	[ "$(state big reason)" = Evicted ]
	[ "$(state big message)" = 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ' ]
	grep -q 'Warning.*Evicted.*Usage of EmptyDir volume "scratch" exceeds the limit "1Mi"' \
		"$PODRUN_ROOT/pods/big/events"
	run podrun get big -o json
	assert_success
	assert_output --partial '"reason": "Evicted"'
	# killed at once, not after the 30 s grace period: the whole stop is
	# already over
	run podrun ps
	assert_output --partial Failed
	podrun rm -f big
	assert_host_clean
}

# kubelet's eviction manager never evicts a critical pod (priority
# 2000000000 or more: the built-in system-*-critical classes); it says so
# and the pod runs on. Proven: with check_evictions not asking
# spec_critical, the pod is Failed, Evicted.
@test "a critical pod over its emptyDir's sizeLimit is not evicted: it runs on, and the supervisor says why" {
	local pid
	sed 's/^spec:$/spec:\n  priorityClassName: system-cluster-critical/' "$(writer crit 2048)" \
		>"$BATS_TEST_TMPDIR/crit-class.yaml"
	"$PODRUN_BIN" run "$BATS_TEST_TMPDIR/crit-class.yaml" >"$BATS_TEST_TMPDIR/fg.out" 2>&1 &
	pid=$!
	defer "kill $pid 2>/dev/null || true"
	wait_for grep -q "crit: cannot evict a critical pod (priority 2000000000): Usage of EmptyDir volume \"scratch\" exceeds the limit \"1Mi\"" \
		"$BATS_TEST_TMPDIR/fg.out"
	sleep 1 # five more measures
	[ "$(state crit)" = Running ]
	[ ! -e "$PODRUN_ROOT/pods/crit/reason" ]
	[ "$(grep -c "cannot evict" "$BATS_TEST_TMPDIR/fg.out")" = 1 ]
	podrun rm -f crit
	wait $pid || true
	assert_host_clean
}

@test "a disk emptyDir under its sizeLimit: the pod runs on" {
	podrun run -d "$(writer small 256)"
	wait_for grep -q written "$(data small)/logs/c/0.log"
	sleep 1 # five measures
	[ "$(state small)" = Running ]
	[ ! -e "$PODRUN_ROOT/pods/small/reason" ]
	podrun rm -f small
	assert_host_clean
}

@test "PODRUN_EVICTION_PERIOD: a duration or a clear error, and nothing left behind" {
	PODRUN_EVICTION_PERIOD=soon run podrun run -d "$(writer bad 1)"
	assert_failure 1
	assert_output --partial "PODRUN_EVICTION_PERIOD=soon: a duration of 1ms or more (10s)"
	assert_host_clean
}

# The measure runs in a child, for at most 5 s; meanwhile the supervisor
# reads the containers' log pipes (wait_serving_logs in pod.c), or a
# container that writes more than a pipe holds blocks until the measure
# ends. PODRUN_STOP_AT=volume-measuring (capstone/fault.h, the sanitizer
# build) holds the measuring child stopped; the container writes 300 KB
# then; all of it must be in its log while that child still waits.
# Proven: with measure_volume polling its pipe alone, the last line comes
# only once the child was killed at its 5 s bound.
@test "while a volume is measured, the containers' logs are read: a container never blocks on its stdout" {
	grep -q PODRUN_STOP_AT "$PODRUN_BIN" ||
		skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	local f sup child
	f=$(pod_file chatty <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: scratch, emptyDir: {sizeLimit: 1Gi}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "until [ -e /scratch/go ]; do sleep 0.05; done; yes 0123456789 | head -c 300000; echo; echo LAST-LINE; exec sleep 3600"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
YAML
	)
	PODRUN_STOP_AT=volume-measuring podrun run -d "$f"
	sup=$(state chatty supervisor.pid)
	wait_for stopped_child "$sup"
	defer "kill -CONT $child 2>/dev/null || true"
	touch "$(data chatty)/volumes/scratch/go"
	wait_for grep -q LAST-LINE "$(data chatty)/logs/c/0.log"
	# the measure still waits: it was not over before the logs were read
	grep -q '^State:.*T' "/proc/$child/status"
	kill -CONT "$child"
	podrun rm -f chatty
	assert_host_clean
}

# A measure that fails says why; only one that never answered says it took
# too long. Here the measuring child, held stopped, is killed: the pod's
# events (the foreground run prints them) name the signal. Proven: with
# measure_volume taking every failure for a timeout, the line reads "no
# answer within 5 s" - and comes at once, not after 5 s.
@test "a volume measure that fails says why: the measuring process killed is not a timeout" {
	grep -q PODRUN_STOP_AT "$PODRUN_BIN" ||
		skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	local f sup child pid
	f=$(writer measured 1)
	PODRUN_STOP_AT=volume-measuring "$PODRUN_BIN" run "$f" >"$BATS_TEST_TMPDIR/fg.out" 2>&1 &
	pid=$!
	defer "kill $pid 2>/dev/null || true"
	wait_for test -s "$PODRUN_ROOT/pods/measured/supervisor.pid"
	sup=$(state measured supervisor.pid)
	wait_for stopped_child "$sup"
	kill -KILL "$child"
	wait_for grep -q "measured: emptyDir scratch: measuring " "$BATS_TEST_TMPDIR/fg.out"
	grep -q "measuring .*/volumes/scratch: the measuring process was killed by SIGKILL$" \
		"$BATS_TEST_TMPDIR/fg.out"
	refute grep -q "no answer within" "$BATS_TEST_TMPDIR/fg.out"
	[ "$(state measured)" = Running ]
	# the next measure is held too; rm -f takes the stopped child along
	podrun rm -f measured
	wait $pid || true
	assert_host_clean
}
