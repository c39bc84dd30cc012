#!/usr/bin/env bats
# What kubelet writes for a pod and binds into its containers: /etc/hosts (the
# pod's IP and name, hostAliases), /etc/resolv.conf (dnsPolicy, dnsConfig),
# and the termination message (terminationMessagePath and its policy); and
# what the runtime binds into each: the sandbox's /dev/shm.

load ../helpers
load podrun

setup() {
	podrun_setup
}

@test "/etc/hosts names the pod by its IP, with hostAliases; resolv.conf follows dnsPolicy None and dnsConfig" {
	f=$(pod_file files <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: files}
spec:
  hostname: web
  terminationGracePeriodSeconds: 1
  hostAliases:
  - {ip: "198.18.99.1", hostnames: [db.local, cache.local]}
  dnsPolicy: None
  dnsConfig:
    nameservers: ["198.18.99.53"]
    searches: [svc.example]
    options: [{name: ndots, value: "2"}]
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
YAML
	)
	podrun run -d "$f"
	run podrun exec files -- cat /etc/hosts
	assert_line --regexp "^$(state files ip)	web$"
	assert_line "198.18.99.1	db.local	cache.local"
	run podrun exec files -- cat /etc/resolv.conf
	assert_output "nameserver 198.18.99.53
search svc.example
options ndots:2"
	run podrun exec files -- cat /etc/hostname
	assert_output web
	run podrun get files -o json
	[ "$(jq -r .spec.dnsPolicy <<<"$output")" = None ]
	podrun rm -f files
	assert_host_clean
}

# The API server bounds no hostAliases list: all of it reaches /etc/hosts (a
# buffer of 4 KiB once cut it short, without a word).
@test "/etc/hosts holds every entry of a long hostAliases list" {
	local aliases="" i
	for ((i = 1; i <= 200; i++)); do
		aliases+="  - {ip: \"198.18.98.$((i % 250 + 1))\", hostnames: [alias-number-$i.example]}"$'\n'
	done
	f=$(pod_file manyhosts <<YAML
apiVersion: v1
kind: Pod
metadata: {name: manyhosts}
spec:
  terminationGracePeriodSeconds: 1
  hostAliases:
$aliases  containers:
  - {name: c, image: busybox, command: ["sleep", "3600"]}
YAML
	)
	podrun run -d "$f"
	run podrun exec manyhosts -- cat /etc/hosts
	assert_line "198.18.98.2	alias-number-1.example"
	assert_line "198.18.98.201	alias-number-200.example"
	[ "${#output}" -gt 4096 ]
	podrun rm -f manyhosts
	assert_host_clean
}

# The API server takes up to 32 searches of 2048 characters in all: each
# reaches resolv.conf (a buffer of 1024 once cut the list short).
@test "resolv.conf holds the whole of a long search list" {
	local searches="" want="search" i d
	for ((i = 1; i <= 32; i++)); do
		d=$(printf 'domain%02d-%s.example' "$i" "$(printf 'x%.0s' {1..40})")
		searches+="${searches:+, }$d"
		want+=" $d"
	done
	f=$(pod_file longsearch <<YAML
apiVersion: v1
kind: Pod
metadata: {name: longsearch}
spec:
  terminationGracePeriodSeconds: 1
  dnsPolicy: None
  dnsConfig:
    nameservers: ["198.18.99.53"]
    searches: [$searches]
  containers:
  - {name: c, image: busybox, command: ["sleep", "3600"]}
YAML
	)
	[ "${#want}" -gt 1800 ]
	podrun run -d "$f"
	run podrun exec longsearch -- cat /etc/resolv.conf
	assert_line "$want"
	podrun rm -f longsearch
	assert_host_clean
}

@test "dnsPolicy None without nameservers is refused as the API server refuses it" {
	none() { # DNSCONFIG-LINE
		pod_file none <<YAML
apiVersion: v1
kind: Pod
metadata: {name: none}
spec:
  dnsPolicy: None
  $1
  containers:
  - {name: c, image: busybox, command: ["true"]}
YAML
	}
	run podrun validate "$(none "")"
	assert_failure 2
	assert_output --regexp ":5:14: spec.dnsConfig: Required value: must provide .dnsConfig. when .dnsPolicy. is None"
	run podrun validate "$(none "dnsConfig: {searches: [svc.example]}")"
	assert_failure 2
	assert_output --partial "spec.dnsConfig.nameservers: Required value"
}

@test "terminationMessagePath is read back; FallbackToLogsOnError takes the log's end when it is empty" {
	f=$(pod_file term <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: term}
spec:
  restartPolicy: Never
  containers:
  - name: own
    image: busybox
    command: ["sh", "-c", "echo 'disk full' > /tmp/why; exit 2"]
    terminationMessagePath: /tmp/why
  - name: fallback
    image: busybox
    command: ["sh", "-c", "echo first; echo 'last words'; exit 3"]
    terminationMessagePolicy: FallbackToLogsOnError
YAML
	)
	run podrun run "$f"
	assert_failure 1
	[ "$(state term containers/own/message)" = "disk full" ]
	run cat "$PODRUN_ROOT/pods/term/containers/fallback/message"
	assert_output --partial "last words"
	run podrun validate "$(pod_file badpol <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: badpol}
spec:
  containers:
  - {name: c, image: busybox, terminationMessagePolicy: Sometimes}
YAML
	)"
	assert_failure 2
	assert_output --partial 'Unsupported value: "Sometimes"'
	podrun rm -f term
	assert_host_clean
}

# kubelet's lastState is the whole terminated state of the run before,
# message included (convertContainerStatus, kubelet_pods.go). Proven:
# podrun before this wrote every last_* file but last_message, so the
# lastState had no message and describe's Last State no Message line.
@test "lastState.terminated keeps the run's termination message" {
	f=$(pod_file again <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: again}
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 1
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "[ -e /d/f ] && { echo fine >/dev/termination-log; exit 0; }; touch /d/f; echo boom >/dev/termination-log; exit 1"]
    volumeMounts: [{name: d, mountPath: /d}]
YAML
	)
	podrun run -d "$f" || true
	wait_for grep -qx Succeeded "$PODRUN_ROOT/pods/again/phase"
	run podrun get again -o json
	assert_success
	[ "$(jq -r '.status.containerStatuses[0].state.terminated.message' <<<"$output")" = fine ]
	[ "$(jq -r '.status.containerStatuses[0].lastState.terminated.message' <<<"$output")" = boom ]
	run podrun describe again
	assert_success
	assert_output --regexp 'Last State: +Terminated
 +Reason: +Error
 +Message: +boom'
	podrun rm again
}

# POSIX shared memory is files in /dev/shm: the pod's containers share it
# only because one tmpfs, the sandbox's, is bound into each (containerd's
# and CRI-O's 64 MiB). Before, each container had a /dev/shm of its own.
# The tmpfs is in the containers' mount tables only, not the host's.
@test "the containers of a pod share one /dev/shm, the sandbox's: a restart keeps it, a new sandbox brings an empty one" {
	f=$(pod_file shm <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: shm}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: a, image: busybox, command: ["sleep", "3600"]}
  - {name: b, image: busybox, command: ["sleep", "3600"]}
YAML
	)
	podrun run -d "$f"
	podrun exec -c a shm -- sh -c 'echo from-a >/dev/shm/segment'
	run podrun exec -c b shm -- cat /dev/shm/segment
	assert_output from-a
	# one mount there, not the pod's over a container's own
	run podrun exec -c b shm -- grep " /dev/shm " /proc/self/mountinfo
	assert_equal "${#lines[@]}" 1
	assert_output --regexp " /dev/shm rw,nosuid,nodev,noexec,.* - tmpfs shm rw,size=65536k"
	# and in no mount table of the host's: the pod's directory has no shm
	# mount, and the host has no tmpfs of that size and source
	run grep -E " - tmpfs shm rw,size=65536k|$(data shm)" /proc/self/mountinfo
	assert_failure
	# a container's restart is not a new sandbox: the b that comes back
	# mounts the same tmpfs, a's segment in it
	local pause1 b1
	b1=$(state shm containers/b/pid)
	kill -9 "$b1"
	wait_for restarted shm b "$b1"
	run podrun exec -c b shm -- cat /dev/shm/segment
	assert_output from-a
	# the IPC namespace's objects go with the sandbox: so does this
	pause1=$(state shm pause.pid)
	b1=$(state shm containers/b/pid)
	kill -9 "$pause1"
	wait_for new_sandbox shm "$pause1" b "$b1"
	run podrun exec -c b shm -- ls -A /dev/shm
	assert_success
	assert_output ""
	run grep -E " - tmpfs shm rw,size=65536k|$(data shm)" /proc/self/mountinfo
	assert_failure
	podrun rm -f shm
	assert_host_clean
}

# The usual way to give a program more shared memory than 64 MiB: an
# emptyDir of medium Memory at /dev/shm. Before, the container's own /dev,
# mounted after the volumes, hid it.
@test "a volume mounted at /dev/shm is the container's /dev/shm, and a mountPath in /proc is refused" {
	f=$(pod_file bigshm <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: bigshm}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: dshm, emptyDir: {medium: Memory, sizeLimit: 256Mi}}
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - {name: dshm, mountPath: /dev/shm}
YAML
	)
	podrun run -d "$f"
	run podrun exec bigshm -- grep " /dev/shm " /proc/self/mountinfo
	assert_equal "${#lines[@]}" 1
	assert_output --regexp " - tmpfs tmpfs rw,.*size=262144k"
	podrun exec bigshm -- sh -c 'echo x >/dev/shm/f'
	[ -f "$(data bigshm)/volumes/dshm/f" ]
	podrun rm -f bigshm
	assert_host_clean

	# runc refuses a mount in /proc too: it could cover what is read-only
	# or masked there. The container cannot start, and says why; under
	# Never that ends it (StartError) and fails the pod.
	f=$(pod_file inproc <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: inproc}
spec:
  restartPolicy: Never
  volumes:
  - {name: v, emptyDir: {}}
  containers:
  - name: c
    image: busybox
    command: ["true"]
    volumeMounts:
    - {name: v, mountPath: /proc/sys}
YAML
	)
	run podrun run -d "$f"
	assert_failure 1
	assert_output --partial "inproc.yaml:9:5: pod inproc: container c: StartError"
	assert_output --partial "mountPath /proc/sys is inside /proc: refused"
	[ "$(state inproc containers/c/state)" = Terminated ]
	[ "$(state inproc containers/c/exit_code)" = 128 ]
	[ "$(state inproc)" = Failed ]
	podrun rm -f inproc
	assert_host_clean
}
