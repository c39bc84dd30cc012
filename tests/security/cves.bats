#!/usr/bin/env bats
# Known container-runtime escapes, replayed against podrun:
#   CVE-2019-5736  a container overwrites the runtime's binary through /proc/PID/exe
#   CVE-2016-9962  a process entering the container is ptrace-able before execve
#   CVE-2024-21626 a working directory through a leaked fd (exec.bats); the
#                  runtime's own mounts through a symlink and a leaked fd
#   CVE-2021-30465 a symlink swapped in while a volume is mounted beneath it
#   CVE-2017-1002101 / CVE-2021-25741  a subPath that is a symlink out of the volume
#   CVE-2019-16884 / CVE-2025-52881  a mount that a symlink leads into /proc

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
}

# Bounded wait for slow things (restarts): only a hang guard, no assertion on time.
wait_long() {
	local i
	for ((i = 0; i < 600; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# CVE-2019-5736 / CVE-2016-9962. The attacker shares the pod's pid namespace
# and has SYS_PTRACE: for every process it sees it opens /proc/PID/exe and
# keeps writing to that file through /proc/self/fd until it works (ETXTBSY
# while the binary runs). The process `podrun exec` forks into the
# container runs podrun's binary until its execve. podrun and pause run
# from copies here (PODLAB_PAUSE), so that a failure harms only the copies.
#
# Not proven by a mutant: with PR_SET_DUMPABLE removed from ctr_exec
# (container.c, `if (0 && prctl(PR_SET_DUMPABLE, ...` in the forked child)
# it still passes: the attacker did not win the window before execve.
# Root with CAP_SYS_PTRACE passes the kernel's dumpable check anyway; what
# keeps the binary intact is ETXTBSY while podrun runs and writers that die
# with the pod.
@test "CVE-2019-5736: a SYS_PTRACE container writing to every /proc/*/exe leaves podrun and pause intact" {
	local bindir=$BATS_TEST_TMPDIR/bin
	mkdir -p "$bindir"
	cp "$PODRUN_BIN" "$bindir/podrun"
	cp "$PODLAB_BUILD/labs/02-pause/pause" "$bindir/pause"
	export PODLAB_PAUSE=$bindir/pause
	# The attacker forks a writer for every pid it sees, its own sleeps'
	# included: past a thousand processes, where the pod's pids limit would
	# refuse the exec that is this test's point.
	export PODRUN_POD_PIDS_LIMIT=-1
	local before_podrun before_pause
	before_podrun=$(sha256sum <"$bindir/podrun")
	before_pause=$(sha256sum <"$bindir/pause")
	local orig_podrun orig_pause
	orig_podrun=$(sha256sum <"$PODRUN_BIN")
	orig_pause=$(sha256sum <"$PODLAB_BUILD/labs/02-pause/pause")
	run "$bindir/podrun" run -d "$(pod_file exe <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: exe
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: target
    image: busybox
    command: ["sh", "-c", "while true; do sleep 0.1; done"]
  - name: attacker
    image: busybox
    securityContext:
      capabilities:
        add: [SYS_PTRACE]
    command:
    - sh
    - -c
    - |
      seen=" $$ "
      while true; do
        for d in /proc/[0-9]*; do
          p=${d#/proc/}
          case "$seen" in *" $p "*) continue;; esac
          seen="$seen$p "
          ( exec 7<"$d/exe" || exit 0
            echo "opened $p $(readlink $d/exe)"
            i=0
            while [ $i -lt 400 ]; do
              echo podlab-pwned 2>/dev/null >>/proc/self/fd/7 && { echo "WROTE $p"; exit 0; }
              i=$((i + 1)); sleep 0.01
            done ) 2>/dev/null &
        done
      done
YAML
)"
	assert_success
	# the attacker is at work: it opened pause's (PID 1) exe at least
	wait_for grep -q "opened 1 " "$(data exe)/logs/attacker/0.log"
	local i
	for ((i = 0; i < 30; i++)); do
		run "$bindir/podrun" exec -c target exe -- true
		assert_success
	done
	# not one write went through, into whatever the attacker opened (the
	# sealed copy of podrun that each exec runs from included: its hash is
	# no file's on the disk)
	run grep -c WROTE "$(data exe)/logs/attacker/0.log"
	assert_output 0
	# stop the pod: writers waiting for ETXTBSY to end are killed with it
	run "$bindir/podrun" rm -f exe
	assert_success
	[ "$(sha256sum <"$bindir/podrun")" = "$before_podrun" ]
	[ "$(sha256sum <"$bindir/pause")" = "$before_pause" ]
	[ "$(sha256sum <"$PODRUN_BIN")" = "$orig_podrun" ]
	[ "$(sha256sum <"$PODLAB_BUILD/labs/02-pause/pause")" = "$orig_pause" ]
}

# CVE-2017-1002101 / CVE-2021-25741: the init container plants
# /vol/escape -> / in the emptyDir; the app mounts the volume with
# subPath: escape. The subPath is resolved beneath the volume, so "/" is the
# volume's root, never the host's.
#
# Not yet proven by a mutant: with RESOLVE_IN_ROOT dropped from open_beneath
# (volume.c, the no-in-root edit of tests/mutants/vol-safe-mount) this check
# still passes: the start is refused by the separate "subPath ... leads out
# of the volume" check. Both would have to go for it to fail.
# What closes the window the check above cannot win on demand: podrun runs
# from a sealed memfd copy of itself (run_from_sealed_copy in podrun.c), so
# /proc/PID/exe of every process it forks names that copy, which no one can
# write. Proven: with run_from_sealed_copy returning at once, exe is the file
# in build/ and this check fails.
@test "CVE-2019-5736: podrun and what it forks run from a sealed copy, not from the host's file" {
	f=$(pod_file sealed <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: sealed}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: busybox, command: ["sleep", "100"]}
YAML
	)
	podrun run -d "$f"
	local sup
	sup=$(state sealed supervisor.pid)
	run readlink "/proc/$sup/exe"
	assert_output "/memfd:podrun (deleted)"
	# writing through it fails, whoever asks: the kernel refuses a write to a
	# file being executed anyway, so read the seals that refuse it for good
	# (F_SEAL_SEAL|SHRINK|GROW|FUTURE_WRITE = 0x17)
	run sh -c "echo x >> /proc/$sup/exe"
	assert_failure
	run python3 -c 'import fcntl, os, sys
print(hex(fcntl.fcntl(os.open(sys.argv[1], os.O_RDONLY), fcntl.F_GET_SEALS) & 0x17))' "/proc/$sup/exe"
	assert_output 0x17
	run podrun exec sealed -- true
	assert_success
}

# One copy for every pod (borrow_sealed_copy in podrun.c): a start runs
# from the copy a running pod's supervisor runs from, when it is the copy it
# would make (the same size and build ID, a hash of the linked file),
# and makes its own otherwise - here a podrun with one byte of its text
# changed and so its build ID, as an upgrade since the first pod would be.
# Proven: with a borrowed copy taken unchecked, the changed podrun runs the
# first pod's code and its supervisor shares the first's copy.
@test "CVE-2019-5736: pods share one sealed copy of podrun; another build of podrun makes its own" {
	local p f sup_a sup_b sup_c other=$BATS_TEST_TMPDIR/podrun-other
	for p in a b c; do
		f=$(pod_file "copy-$p" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: copy-$p}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: busybox, command: ["sleep", "100"]}
YAML
		)
	done
	podrun run -d "$BATS_TEST_TMPDIR/copy-a.yaml"
	podrun run -d "$BATS_TEST_TMPDIR/copy-b.yaml"
	sup_a=$(state copy-a supervisor.pid)
	sup_b=$(state copy-b supervisor.pid)
	[ "$(stat -L -c %d:%i "/proc/$sup_a/exe")" = "$(stat -L -c %d:%i "/proc/$sup_b/exe")" ]
	# the usage text, within the loaded part of the file, and the build ID
	# the linker would have given it: another build
	local id
	id=$(readelf -n "$PODRUN_BIN" | sed -n 's/^ *Build ID: //p')
	[ -n "$id" ]
	python3 - "$PODRUN_BIN" "$other" "$id" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(b"expected a command")
b[i] = ord("E")
i = b.index(bytes.fromhex(sys.argv[3]))
b[i] ^= 0xff
open(sys.argv[2], "wb").write(b)
PY
	chmod +x "$other"
	run "$other" run -d "$BATS_TEST_TMPDIR/copy-c.yaml"
	assert_success
	sup_c=$(state copy-c supervisor.pid)
	[ "$(stat -L -c %d:%i "/proc/$sup_c/exe")" != "$(stat -L -c %d:%i "/proc/$sup_a/exe")" ]
	run readlink "/proc/$sup_c/exe"
	assert_output "/memfd:podrun (deleted)"
	# and it runs its own code: the changed text is in its copy
	grep -q "Expected a command" "/proc/$sup_c/exe"
}

@test "CVE-2017-1002101: a subPath that an init container made a symlink to / does not reach the host" {
	local mark=podlab-subpath-marker-$$
	touch "/$mark"
	defer "rm -f '/$mark'"
	run podrun run -d "$(pod_file subpath <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: subpath
spec:
  restartPolicy: Never
  initContainers:
  - name: plant
    image: busybox
    command: ["sh", "-c", "ln -s / /vol/escape && ls -l /vol"]
    volumeMounts:
    - {name: vol, mountPath: /vol}
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "ls -a /mnt; echo listed"]
    volumeMounts:
    - {name: vol, mountPath: /mnt, subPath: escape}
  volumes:
  - name: vol
    emptyDir: {}
YAML
)"
	refute_output --partial "$mark"
	if [ "$status" -eq 0 ]; then
		# it ran: whatever it listed is the volume's, not the host's
		wait_long grep -qE "Succeeded|Failed" "$PODRUN_ROOT/pods/subpath/phase"
		run podrun logs subpath
		refute_output --partial "$mark"
	else
		# or the start was refused, saying why
		assert_failure 1
		assert_output --partial "subPath escape"
	fi
	run podrun rm -f subpath
	assert_host_clean
}

# CVE-2019-16884 and CVE-2025-52881 (runc): a mount placed in /proc through
# a path the container controls, to cover a file the runtime reads or
# writes there, or what it made read-only or masked. runc answers by
# refusing any mount whose resolved destination is in /proc; podrun does
# the same (vol_mount). Here an init container plants a symlink to
# /proc/sys/kernel in a volume, and the app mounts a second volume through
# it: the app never starts (StartError, and under Never the pod fails), and
# the kernel's knobs stay read-only.
@test "CVE-2019-16884 / CVE-2025-52881: a volume mounted through a symlink into /proc is refused" {
	run podrun run -d "$(pod_file inproc <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: inproc
spec:
  restartPolicy: Never
  initContainers:
  - name: plant
    image: busybox
    command: ["ln", "-s", "/proc/sys/kernel", "/vol/knobs"]
    volumeMounts:
    - {name: vol, mountPath: /vol}
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo '|/tmp/x' > /vol/knobs/core_pattern && echo WROTE"]
    volumeMounts:
    - {name: vol, mountPath: /vol}
    - {name: cover, mountPath: /vol/knobs}
  volumes:
  - {name: vol, emptyDir: {}}
  - {name: cover, emptyDir: {}}
YAML
)"
	assert_failure 1
	assert_output --partial "mountPath /vol/knobs is inside /proc: refused"
	[ "$(state inproc containers/app/state)" = Terminated ]
	[ "$(state inproc containers/app/reason)" = StartError ]
	[ "$(state inproc containers/app/restarts)" = 0 ]
	[ "$(state inproc)" = Failed ]
	run podrun rm -f inproc
	assert_host_clean
}

# The same planted symlink as CVE-2017-1002101's, used for a mountPath: in
# the container, /vol/x -> / is the container's own root, and RESOLVE_IN_ROOT
# rightly stays there. But a mount on the root's own directory covers the
# whole image: the app would run the init container's files as its / and its
# /bin/sh. vol_mount refuses it; the app never starts.
@test "a volume mounted through a planted symlink to / onto the container's root is refused" {
	run podrun run -d "$(pod_file onroot <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: onroot
spec:
  restartPolicy: Never
  initContainers:
  - name: plant
    image: busybox
    command: ["sh", "-c", "ln -s / /vol/x && mkdir /vol/payload && echo owned > /vol/payload/owned"]
    volumeMounts:
    - {name: vol, mountPath: /vol}
  containers:
  - name: app
    image: busybox
    command: ["ls", "/"]
    volumeMounts:
    - {name: vol, mountPath: /vol}
    - {name: vol, mountPath: /vol/x, subPath: payload}
  volumes:
  - {name: vol, emptyDir: {}}
YAML
)"
	assert_failure 1
	assert_output --partial "mountPath /vol/x is the container's root (a symlink to / or '..'): refused"
	[ "$(state onroot containers/app/reason)" = StartError ]
	[ "$(state onroot)" = Failed ]
	run podrun logs onroot
	refute_output --partial owned
	run podrun rm -f onroot
	assert_host_clean
}

# The host's mounts, but for /tmp and /run/netns: there the checks of the
# other suites make test runs beside this one mount and unmount all the time.
# A mount that escaped the container through the swapped symlink would land
# on the host's own tree, / or beneath it, never in a test's directory.
host_mounts() {
	mount_snapshot | awk '$1 != "/tmp" && $1 !~ "^/tmp/" && $1 !~ "^/run/netns(/|$)"'
}

# CVE-2021-30465: the sidecar swaps /shared/dir between a directory and a
# symlink to / as fast as it can, while the app, which mounts a second
# volume at /shared/dir, is restarted over and over (each start mounts it
# again). Whatever the mount resolves, it must land beneath the container's
# root: no new mount on the host, no new entry in the host's /.
#
# Not yet proven by a mutant: with the no-in-root edit (volume.c) it still
# passes - the container's mount namespace is private, so a mount that
# lands on the wrong path is still not the host's.
@test "CVE-2021-30465: a symlink swapped under a volume mount during restarts never mounts on the host" {
	local mounts_before root_before
	mounts_before=$(host_mounts)
	root_before=$(ls -A /)
	# The swapper starts swapping once the app ran once. A restart that
	# fails (the mount refused) ends the pod: then it is run again, for a
	# bounded number of rounds, until 25 restarts of the app were tried.
	local f restarts=$PODRUN_ROOT/pods/race/containers/app/restarts
	f=$(pod_file race <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: race
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: swapper
    image: busybox
    command: ["sh", "-c", "cd /shared; until [ -f go ]; do sleep 0.05; done; while true; do mkdir dir 2>/dev/null; mv dir d2 2>/dev/null; ln -sfn / dir; rm -f dir; mv d2 dir 2>/dev/null; done"]
    volumeMounts:
    - {name: shared, mountPath: /shared}
  - name: app
    image: busybox
    command: ["sh", "-c", "touch /shared/go; exit 0"]
    volumeMounts:
    - {name: shared, mountPath: /shared}
    - {name: other, mountPath: /shared/dir}
  volumes:
  - name: shared
    emptyDir: {}
  - name: other
    emptyDir: {}
YAML
)
	local round tried=0
	for ((round = 0; round < 10 && tried < 25; round++)); do
		run podrun run -d "$f"
		wait_long sh -c "[ \$(cat '$restarts' 2>/dev/null || echo 0) -ge 25 ] || grep -qE 'Succeeded|Failed' '$PODRUN_ROOT/pods/race/phase' || [ ! -d '$PODRUN_ROOT/pods/race' ]"
		tried=$((tried + 1 + $(cat "$restarts" 2>/dev/null || echo 0)))
		run podrun rm -f race
	done
	[ "$tried" -ge 25 ]
	assert_success
	assert_host_clean
	[ "$(host_mounts)" = "$mounts_before" ]
	[ "$(ls -A /)" = "$root_before" ]
}

# CVE-2016-9962: `podrun exec` forks into the container's namespaces with
# the host's fds and binary until its execve; a process of the container
# that could ptrace it then would act as the host. ctr_exec sets
# PR_SET_DUMPABLE 0 before joining (and container_main for a container's
# first process). Observable only inside a window that ends at execve: the
# checks here are what is observable without timing - the exec'd command,
# after execve, is dumpable again (the kernel resets it), and it runs in
# the container's pid namespace as a child of nothing the container can
# see. The pre-execve state is covered by reading the code (container.c,
# ctr_exec and container_main) and by the CVE-2019-5736 check above.
@test "CVE-2016-9962: the exec'd command is an ordinary process of the container after execve" {
	run podrun run -d "$(pod_file dumpable <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: dumpable
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "while true; do sleep 0.1; done"]
YAML
)"
	assert_success
	# its parent (podrun's helper, outside the pid namespace) shows as PPid 0
	run podrun exec dumpable -- sh -c 'grep PPid /proc/$$/status; readlink /proc/$$/exe; ls /proc | grep -c "^[0-9]"'
	assert_success
	assert_line --regexp '^PPid:\s+0$'
	assert_line /bin/busybox
}

# CVE-2024-21626's shape, against the runtime's own work: before its execve a
# container's first process is root with every capability, past pivot_root,
# and mounts the container's cgroups at /sys/fs/cgroup. A pod may mount a
# volume at /sys/fs, where an init container left a symlink "cgroup"; through
# an fd of the supervisor's still open there, /proc/self/fd/N/.. is the
# host. podrun opens /sys/fs/cgroup with no symlink followed and mounts
# through fds (container.c, mount_own_cgroups), and the process holds no fd
# of the supervisor's by then (test_container.c checks that part).
# Proven: with /sys/fs/cgroup opened through symlinks (RESOLVE_IN_ROOT alone)
# the app ran, its cgroups mounted at /run/memory and the like.
@test "CVE-2024-21626: a symlink planted at /sys/fs/cgroup does not lead the container's cgroup mounts elsewhere" {
	run podrun run -d "$(pod_file cgsym <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: cgsym
spec:
  restartPolicy: Never
  initContainers:
  - name: plant
    image: busybox
    command: ["ln", "-s", "/run", "/vol/cgroup"]
    volumeMounts:
    - {name: sysfs, mountPath: /vol}
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "grep ' /run/' /proc/self/mountinfo; echo RAN"]
    volumeMounts:
    - {name: sysfs, mountPath: /sys/fs}
  volumes:
  - {name: sysfs, emptyDir: {}}
YAML
)"
	assert_failure 1
	refute_output --partial RAN
	assert_output --partial "openat2(/sys/fs/cgroup, RESOLVE_NO_SYMLINKS): Too many levels of symbolic links"
	run podrun rm -f cgsym
	assert_host_clean
}
