#!/usr/bin/env bats
# hostNetwork, hostPID, hostIPC: a pod that asks for the host's namespaces
# gets them (Kubernetes' semantics), seen from /proc/PID/ns: no veth, no pod
# IP, no relay with hostNetwork; the node's processes with hostPID; the
# node's /dev/shm with hostIPC.

load ../helpers
load podrun

setup() {
	podrun_setup
}

@test "hostNetwork: the host's net and uts namespaces, no veth, no pod IP; hostIPC: the host's ipc" {
	f=$(pod_file hn <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: hn}
spec:
  hostNetwork: true
  hostIPC: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "cat /etc/hostname; sleep 3600"]
YAML
	)
	podrun run -d "$f"
	local pid
	pid=$(state hn containers/c/pid)
	for t in net uts ipc; do
		[ "$(ns_ino "$pid" $t)" = "$(ns_ino $$ $t)" ]
	done
	# its own pid and mount namespaces still
	[ "$(ns_ino "$pid" pid)" != "$(ns_ino $$ pid)" ]
	[ -z "$(state hn ip)" ]
	[ -z "$(state hn veth)" ]
	wait_for grep -q " $(hostname)$" "$(data hn)/logs/c/0.log"
	# and with the host's ipc, the host's POSIX shared memory (containerd's
	# choice): its /dev/shm, not the pod's own
	local seg=/dev/shm/podlab-test-$$
	echo host >"$seg"
	run podrun exec hn -- cat "$seg"
	rm -f "$seg"
	assert_output host
	[ ! -e "$(data hn)/shm" ]
	podrun rm -f hn
	assert_host_clean
}

@test "hostPID: the containers see the node's processes; it excludes shareProcessNamespace" {
	f=$(pod_file hp <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: hp}
spec:
  hostPID: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
YAML
	)
	podrun run -d "$f"
	local pid
	pid=$(state hp containers/c/pid)
	[ "$(ns_ino "$pid" pid)" = "$(ns_ino $$ pid)" ]
	# this shell is a process of the node: the container sees it by its pid
	run podrun exec hp -- test -d "/proc/$$"
	assert_success
	podrun rm -f hp
	f=$(pod_file both <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: both}
spec:
  hostPID: true
  shareProcessNamespace: true
  containers: [{name: c, image: busybox, command: ["true"]}]
YAML
	)
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "ShareProcessNamespace and HostPID cannot both be enabled"
	assert_host_clean
}
