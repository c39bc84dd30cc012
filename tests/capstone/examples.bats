#!/usr/bin/env bats
# Each pod under examples/ runs, and does what its comment says, observed
# from the host: bytes through a hostPort, lines in a collector, inodes.

load ../helpers
load podrun

EX="$PODLAB_SRC/examples"

setup() {
	podrun_setup
}

@test "javaweb: the init container copies the war, tomcat serves it on hostPort 8001" {
	# 8001 is the note's port; the demo uses it too, so skip if it is taken
	! ss -ltnH "sport = :8001" | grep -q . || skip "port 8001 is in use"
	run podrun run -d "$EX/javaweb.yaml"
	assert_success
	assert_output "pod javaweb-2: Running"
	[ "$(state javaweb-2 containers/war/reason)" = Completed ]
	[ "$(state javaweb-2 containers/war/exit_code)" = 0 ]
	# Running is not yet serving: its readinessProbe says when
	run podrun wait --for=condition=Ready --timeout 20s javaweb-2
	assert_success
	busybox wget -q -O "$BATS_TEST_TMPDIR/simple.war" http://127.0.0.1:8001/simple.war
	cmp "$BATS_TEST_TMPDIR/simple.war" "$PODLAB_SRC/labs/03-shared-volume/files/simple.war"
	# the emptyDir is a directory of the pod's, on the host
	[ -f "$(data javaweb-2)/volumes/app-volume/simple.war" ]
	local pids
	pids=$(pod_pids javaweb-2)
	run podrun rm -f javaweb-2
	assert_success
	assert_gone $pids
	assert_host_clean
}

@test "logging sidecar: the app's file lines reach the collector through logship" {
	run podrun run -d "$EX/logging-sidecar.yaml"
	assert_success
	wait_for podrun exec -c collector logging-sidecar -- grep -q "request 3 served" /sink/all.log
	# the sink is a tmpfs (medium: Memory) of the pod's, mounted on the host side
	grep -q " $(data logging-sidecar)/volumes/sink .* tmpfs " /proc/self/mountinfo
	podrun rm -f logging-sidecar
	assert_host_clean
}

@test "proxy sidecar: connections through hostPort 18710 are spread over both upstreams" {
	run podrun run -d "$EX/proxy-sidecar.yaml"
	assert_success
	local a b
	wait_for sh -c 'echo x | busybox nc 127.0.0.1 18710 | grep -q upstream'
	a=$(printf 'hello' | busybox nc 127.0.0.1 18710)
	b=$(printf 'hello' | busybox nc 127.0.0.1 18710)
	# echod --wc answers "NAME BYTES" after our EOF: the half-close went through
	[[ "$a $b" == *"upstream-a 5"* ]]
	[[ "$a $b" == *"upstream-b 5"* ]]
	podrun rm -f proxy-sidecar
	assert_host_clean
}

@test "adapter sidecar: Prometheus metrics and /healthz from the app's own format" {
	run podrun run -d "$EX/adapter-sidecar.yaml"
	assert_success
	wait_for busybox wget -q -O /dev/null http://127.0.0.1:18711/healthz
	run busybox wget -q -O - http://127.0.0.1:18711/metrics
	assert_success
	assert_output --partial "app_up 1"
	assert_output --partial "120"
	podrun rm -f adapter-sidecar
	assert_host_clean
}

@test "shared pid namespace: pause is PID 1 and each container sees the other's processes" {
	run podrun run -d "$EX/shared-pid.yaml"
	assert_success
	run podrun exec -c shell shared-pid -- ps -o pid,args
	assert_success
	assert_output --regexp "  *1 .*pause"
	assert_output --partial "sleep 3600"
	local pause sleeper shell
	pause=$(state shared-pid pause.pid)
	sleeper=$(state shared-pid containers/sleeper/pid)
	shell=$(state shared-pid containers/shell/pid)
	[ "$(ns_ino "$sleeper" pid)" = "$(ns_ino "$pause" pid)" ]
	[ "$(ns_ino "$shell" pid)" = "$(ns_ino "$pause" pid)" ]
	[ "$(ns_ino "$sleeper" mnt)" != "$(ns_ino "$shell" mnt)" ]
	[ "$(podrun exec -c sleeper shared-pid -- hostname)" = sharing ]
	podrun rm -f shared-pid
	assert_host_clean
}

@test "native sidecar: runs during init and beside the app, the next init container waited for it" {
	run podrun run -d "$EX/native-sidecar.yaml"
	assert_success
	[ "$(state native-sidecar containers/heartbeat/state)" = Running ]
	[ "$(state native-sidecar containers/wait-for-beat/reason)" = Completed ]
	[ "$(state native-sidecar containers/app/state)" = Running ]
	run podrun logs -c wait-for-beat native-sidecar
	assert_output "sidecar is up"
	# the app's mount of the shared volume is read-only in the kernel
	run podrun exec -c app native-sidecar -- touch /shared/x
	assert_failure
	podrun stop native-sidecar
	# stopped after the app, gracefully (its trap exits 0)
	[ "$(state native-sidecar containers/heartbeat/reason)" = Completed ]
	[ "$(state native-sidecar containers/app/reason)" = Completed ]
	[[ ! "$(state native-sidecar containers/heartbeat/finished_at)" < \
		"$(state native-sidecar containers/app/finished_at)" ]]
	podrun rm native-sidecar
	assert_host_clean
}
