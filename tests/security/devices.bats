#!/usr/bin/env bats
# Everything a container can write is mounted nodev. A root container keeps
# CAP_MKNOD (Kubernetes' default set), so it can make any device node; the
# node must not open. c 10 237 is /dev/loop-control, which root on the host
# can open (and with it, create loop devices over any file).

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
	[ -c /dev/loop-control ] || skip "no /dev/loop-control on this host"
	run podrun run -d "$(pod_file dev <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: dev
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "while true; do sleep 0.1; done"]
    volumeMounts:
    - {name: disk, mountPath: /disk}
    - {name: mem, mountPath: /mem}
  volumes:
  - name: disk
    emptyDir: {}
  - name: mem
    emptyDir: {medium: Memory}
YAML
)"
	assert_success
}

# mknod c 10 237 in DIR succeeds (CAP_MKNOD), opening it does not.
assert_node_refused() { # DIR
	run podrun exec dev -- mknod "$1/loopctl" c 10 237
	assert_success
	run podrun exec dev -- sh -c "ls -l $1/loopctl && : <$1/loopctl"
	assert_failure
	assert_output --partial "Permission denied"
	# the default devices still work
	run podrun exec dev -- sh -c 'echo x >/dev/null && head -c 3 /dev/zero | od -An -tx1'
	assert_success
	assert_output --partial "00 00 00"
}

# Proven: with MS_NODEV removed from the overlay mount (rootfs.c,
# rootfs_mount_overlay: `mount("overlay", ..., 0, opts)`) the node opens.
@test "devices: a node made in the container's root (/tmp) does not open" {
	# the host can open it: the node itself is not the obstacle
	: </dev/loop-control
	assert_node_refused /tmp
}

# Proven: with MS_NODEV removed from the /dev tmpfs (rootfs.c) the node opens.
@test "devices: a node made in /dev does not open" {
	assert_node_refused /dev
}

# Proven: with MOUNT_ATTR_NODEV never set on volume mounts (volume.c,
# vol_mount: `(v->devices ? 0 : 0)`) and MS_NODEV removed from the Memory
# emptyDir's tmpfs (volume.c) the nodes open. (Either edit alone leaves the
# Memory emptyDir nodev: it is protected twice.)
@test "devices: a node made in a disk emptyDir does not open" {
	assert_node_refused /disk
}

@test "devices: a node made in a Memory emptyDir does not open" {
	assert_node_refused /mem
}

# Proven: with MOUNT_ATTR_NODEV set on every volume (volume.c:
# `(v->devices ? MOUNT_ATTR_NODEV : MOUNT_ATTR_NODEV)`) the device reads fail.
@test "devices: a hostPath volume of type CharDevice stays usable (not nodev)" {
	run podrun run -d "$(pod_file chardev <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: chardev
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "while true; do sleep 0.1; done"]
    volumeMounts:
    - {name: zero, mountPath: /hostzero}
  volumes:
  - name: zero
    hostPath: {path: /dev/zero, type: CharDevice}
YAML
)"
	assert_success
	run podrun exec chardev -- sh -c 'head -c 3 /hostzero | od -An -tx1'
	assert_success
	assert_output --partial "00 00 00"
}
