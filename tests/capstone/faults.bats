#!/usr/bin/env bats
# Faults: a supervisor killed with SIGKILL at several moments, pause killed
# under a running pod, a container that ignores SIGTERM, the image store
# vanishing mid-start. After each, the host must be clean (processes, mounts,
# veths, state) once `podrun rm` ran.

load ../helpers
load podrun

setup() {
	podrun_setup
}

# The hostPorts of pod_with_everything and of the relay's pod.
PORT=$((TEST_PORT_BASE + 20))
RELAY_PORT=$((TEST_PORT_BASE + 30))

# A pod with an init container, a tmpfs emptyDir (a mount on the host) and a
# hostPort (a listening socket): everything a dead supervisor can leave.
pod_with_everything() { # NAME INIT-COMMAND
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: init
    image: busybox
    command: ["sh", "-c", "$2"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    ports: [{containerPort: 80, hostPort: $PORT}]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes:
  - name: scratch
    emptyDir: {medium: Memory}
YAML
}

# An image store of the test's own, in PODRUN_IMAGES: hard links to the
# build's (a copy on another filesystem), which the test may take away.
own_store() { # DIR
	mkdir -p "$1"
	cp -al "$PODLAB_IMAGE_STORE"/{configs,layers,refs} "$1"/ 2>/dev/null ||
		cp -a "$PODLAB_IMAGE_STORE"/{configs,layers,refs} "$1"/
	export PODRUN_IMAGES=$1
}

# `run -d` of pod_with_everything NAME, from a store of the test's own, with
# PODRUN_STOP_AT=POINT (capstone/fault.h): returns once the supervisor is
# stopped there. Sets the caller's pid (run -d's), sup (the supervisor) and
# out (what podrun prints); the supervisor is sent SIGCONT at the end.
start_stopped() { # NAME POINT
	grep -q PODRUN_STOP_AT "$PODRUN_BIN" ||
		skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	own_store "$BATS_TEST_TMPDIR/images"
	out="$BATS_TEST_TMPDIR/$1.out"
	PODRUN_STOP_AT=$2 "$PODRUN_BIN" run -d "$(pod_with_everything "$1" true)" >"$out" 2>&1 &
	pid=$!
	wait_long sup_stopped "$1" || { echo "podrun never stopped at $2:"; cat "$out"; false; }
	defer "kill -CONT $sup"
}

kill_supervisor_then_rm() { # POD
	local pids sup
	pids=$(pod_pids "$1")
	sup=$(state "$1" supervisor.pid)
	kill -9 "$sup"
	wait_for assert_gone "$sup" # a zombie counts as gone: its reaper is not ours
	# the dead supervisor's pod shows as Unknown, like a node that went away
	run podrun ps
	assert_line --regexp "^$1 +Unknown"
	run podrun rm "$1"
	assert_success
	assert_gone $pids
	assert_host_clean
	# and the hostPort is free again
	! ss -ltnH "sport = :$PORT" | grep -q .
}

@test "kill -9 of the supervisor while an init container runs (Pending), then rm: host clean" {
	f=$(pod_with_everything pending "sleep 3600")
	"$PODRUN_BIN" run -d "$f" >/dev/null 2>&1 &
	defer "kill $!"
	wait_for grep -qx Running "$PODRUN_ROOT/pods/pending/containers/init/state"
	[ "$(state pending)" = Pending ]
	grep -q "$(data pending)/volumes/scratch" /proc/self/mountinfo
	kill_supervisor_then_rm pending
}

@test "kill -9 of the supervisor while the pod is Running, then rm: host clean" {
	f=$(pod_with_everything running "true")
	run podrun run -d "$f"
	assert_success
	kill_supervisor_then_rm running
}

@test "kill -9 of the supervisor during a graceful stop, then rm: host clean" {
	f=$(pod_with_everything stopping "true")
	podrun run -d "$f"
	# sleep as PID 1 ignores SIGTERM: the supervisor sits in its grace period,
	# where it is killed
	"$PODRUN_BIN" stop -t 30s stopping >/dev/null 2>&1 &
	defer "kill $!"
	sleep 0.2
	kill_supervisor_then_rm stopping
}

@test "rm -f of a pod whose supervisor hangs: SIGKILLed 10 s after the grace period, the host clean" {
	f=$(pod_with_everything hung "true")
	podrun run -d "$f"
	local pids sup
	pids=$(pod_pids hung)
	sup=$(state hung supervisor.pid)
	# a stopped process reads no signal: to rm -f, as good as hung
	kill -STOP "$sup"
	defer "kill -CONT $sup 2>/dev/null || true"
	run timeout 30 "$PODRUN_BIN" rm -f hung
	assert_success
	assert_line --partial "the supervisor of $PODRUN_ROOT/pods/hung ($sup) has not ended 10000 ms after the grace period: killing it"
	assert_line "pod hung: removed"
	assert_gone $pids
	assert_host_clean
	! ss -ltnH "sport = :$PORT" | grep -q .
}

# Proven: with state_clean deleting the veth by its recorded name (as it
# did), rm -f deletes the link that took the name meanwhile.
@test "kill -9 of the supervisor and pause, then rm -f: a link that took the dead pod's veth name meanwhile stays" {
	f=$(pod_file vname <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: vname}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
YAML
	)
	podrun run -d "$f"
	local veth sup
	veth=$(state vname veth)
	[ -n "$veth" ] # the tests' pods are on the pod network
	[ "$(state vname veth_ifindex)" = "$(cat /sys/class/net/$veth/ifindex)" ]
	sup=$(state vname supervisor.pid)
	kill -9 "$sup"
	wait_for assert_gone "$sup"
	# pause and the container gone, their netns goes and takes the veth
	# along; then a new pod's pause that got the same pid would name its
	# veth the same
	kill -9 $(pod_pids vname)
	wait_for test ! -e "/sys/class/net/$veth"
	ip link add "$veth" type bridge
	defer "ip link del '$veth' 2>/dev/null || true"
	run podrun rm -f vname
	assert_success
	[ -e "/sys/class/net/$veth" ]
	ip link del "$veth"
	assert_host_clean
}

@test "kill -9 of the supervisor, then the next run of the same pod cleans up and starts afresh" {
	f=$(pod_with_everything again "true")
	podrun run -d "$f"
	local old
	old=$(pod_pids again)
	kill -9 "$(state again supervisor.pid)"
	run podrun run -d "$f"
	assert_success
	assert_output "pod again: Running"
	assert_gone $old
	[ "$(grep -c "$(data again)/volumes/scratch" /proc/self/mountinfo)" = 1 ]
	podrun rm -f again
	assert_host_clean
}

@test "kill -9 of pause: containers killed, sandbox recreated, containers restarted in it" {
	f=$(pod_with_everything phoenix "echo init ran >> /scratch/inits")
	podrun run -d "$f"
	local pause1 app1 net1
	pause1=$(state phoenix pause.pid)
	app1=$(state phoenix containers/app/pid)
	net1=$(ns_ino "$pause1" net)
	kill -9 "$pause1"
	wait_for new_sandbox phoenix "$pause1" app "$app1"
	local pause2 app2
	pause2=$(state phoenix pause.pid)
	app2=$(state phoenix containers/app/pid)
	assert_gone "$app1"
	# a new network namespace, and the restarted container is in it
	[ "$(ns_ino "$pause2" net)" != "$net1" ]
	[ "$(ns_ino "$app2" net)" = "$(ns_ino "$pause2" net)" ]
	# the new pause is placed in the pod's cgroup, as the first was
	local c
	for c in memory pids; do
		[[ "$(awk -F: -v c=$c '$2 == c {print $3}' "/proc/$pause2/cgroup")" == */pod-phoenix/POD ]]
	done
	[ "$(state phoenix containers/app/restarts)" = 1 ]
	[ "$(state phoenix containers/init/restarts)" = 1 ]
	[ "$(state phoenix sandbox_restarts)" = 1 ]
	# the init container ran again, in the new sandbox (the emptyDir survived)
	[ "$(grep -c 'init ran' "$(data phoenix)/volumes/scratch/inits")" = 2 ]
	# the pod IP moved to the new sandbox, on a new veth
	ip -o link show master "$TEST_BRIDGE" | grep -q "$(state phoenix veth)"
	podrun rm -f phoenix
	assert_host_clean
}

# A pod of one container that sleeps.
sleeper() { # NAME
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: busybox, command: ["sleep", "3600"]}]
YAML
}

@test "while pause is made again, its pod keeps its IP: a pod starting meanwhile gets another" {
	# PODRUN_STOP_AT=sandbox-down stops the supervisor between the old
	# sandbox's removal and the new one's start; the pod's address must
	# stay taken (its file, ROOT/pods/.ips/ADDRESS, still names the pod).
	grep -q PODRUN_STOP_AT "$PODRUN_BIN" ||
		skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	local ip sup pause other
	PODRUN_STOP_AT=sandbox-down podrun run -d "$(sleeper first)"
	ip=$(state first ip)
	[ -n "$ip" ]
	sup=$(state first supervisor.pid)
	pause=$(state first pause.pid)
	defer "kill -CONT $sup"
	kill -9 "$pause"
	wait_for sup_stopped first
	[ "$(state first ip)" = "$ip" ]
	podrun run -d "$(sleeper second)"
	other=$(state second ip)
	[ -n "$other" ] && [ "$other" != "$ip" ] || { echo "second got $other, first has $ip"; false; }
	kill -CONT "$sup"
	wait_for grep -qx Running "$PODRUN_ROOT/pods/first/containers/c/state"
	[ "$(state first pause.pid)" != "$pause" ]
	[ "$(state first ip)" = "$ip" ]
	podrun rm -f first
	podrun rm -f second
	assert_host_clean
}

@test "a container's last line cut short is in its log before its state says Terminated" {
	grep -q PODRUN_STOP_AT "$PODRUN_BIN" ||
		skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	# In the pod's pid namespace, what the command left running keeps its
	# stdout open until the supervisor kills it, as it records the end: the
	# pipe's end (which writes the P record) comes after the reap. The
	# supervisor stops itself once the container's state is written.
	local f sup
	f=$(pod_file cut <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: cut}
spec:
  restartPolicy: Never
  shareProcessNamespace: true
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "sleep 3600 & printf 'no newline'"]
YAML
	)
	PODRUN_STOP_AT=container-ended "$PODRUN_BIN" run -d "$f" >/dev/null 2>&1 &
	defer "kill $!"
	wait_long sup_stopped cut
	defer "kill -CONT $sup"
	[ "$(state cut containers/c/state)" = Terminated ]
	grep -q "stdout P no newline" "$(data cut)/logs/c/0.log"
	kill -CONT "$sup"
	wait_for grep -qx Succeeded "$PODRUN_ROOT/pods/cut/phase"
	podrun rm cut
	assert_host_clean
}

@test "get, ps and inspect wait for a container's status change under way, not for a dead supervisor" {
	grep -q PODRUN_STOP_AT "$PODRUN_BIN" ||
		skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	# The supervisor stops itself in the middle of each change of the
	# container's status: the reason and restart count written, the state
	# and the rest not yet, seq odd (state.h). A reader then would see half
	# of it; it must wait for the rest.
	local f sup seq
	f=$(sleeper torn)
	PODRUN_STOP_AT=status-changing "$PODRUN_BIN" run -d "$f" >/dev/null 2>&1 &
	defer "kill $!"
	mid_change() { # the supervisor stopped in a change after seq $1
		sup_stopped torn &&
			seq=$(state torn containers/c/seq) && [ "$seq" -gt "$1" ] && ((seq % 2))
	}
	wait_long mid_change 0
	defer "kill -9 $sup"
	local out=$BATS_TEST_TMPDIR
	"$PODRUN_BIN" get torn -o json >"$out/get" 2>&1 &
	local g=$!
	"$PODRUN_BIN" ps >"$out/ps" 2>&1 &
	local p=$!
	"$PODRUN_BIN" inspect torn >"$out/inspect" 2>&1 &
	local i=$!
	# Not a timing assertion: unheld, each reads and prints in milliseconds.
	sleep 0.3
	kill -0 "$g" "$p" "$i" || { echo "a reader did not wait: $(cat "$out"/*)"; false; }
	kill -CONT "$sup"
	wait "$g" && wait "$p" && wait "$i"
	[ "$(state torn containers/c/seq)" -gt "$seq" ]
	jq -e '.status.containerStatuses[0].name == "c"' "$out/get"
	grep -q '^  c ' "$out/ps"
	grep -q '^  c ' "$out/inspect"
	# Killed in its next change, the supervisor leaves seq odd for good:
	# readers take what is there at once (the wait is 2 s, state.h).
	wait_long mid_change "$seq"
	kill -9 "$sup"
	run timeout 1 "$PODRUN_BIN" get torn -o json
	assert_success
	[ "$(jq -r .status.phase <<<"$output")" = Unknown ]
	run timeout 1 "$PODRUN_BIN" inspect torn
	assert_success
	podrun rm -f torn
	assert_host_clean
}

@test "a container that ignores SIGTERM is killed at the grace period; one that handles it exits 0" {
	f=$(pod_file grace <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: grace
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: stubborn
    image: busybox
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"]
  - name: polite
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; touch /trapped; while true; do sleep 0.1; done"]
YAML
	)
	podrun run -d "$f"
	# Running is the execve; a SIGTERM before the shell's trap would meet PID
	# 1 with no handler, which the kernel does not deliver
	wait_for podrun exec -c polite grace -- test -e /trapped
	run podrun stop grace
	assert_success
	# kubelet's words: an Error, the SIGKILL in its exit code (128 + 9)
	[ "$(state grace containers/stubborn/reason)" = Error ]
	[ "$(state grace containers/stubborn/exit_code)" = 137 ]
	[ "$(state grace containers/polite/reason)" = Completed ]
	[ "$(state grace containers/polite/exit_code)" = 0 ]
	[ "$(state grace)" = Failed ]
	podrun rm grace
	assert_host_clean
}

@test "hostPort relay out of fds: its listener rests instead of spinning, and serves again after" {
	local f
	f=$(pod_file relay <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: relay
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hello >/www/index.html && httpd -p 8080 -h /www && trap 'exit 0' TERM && while :; do sleep 1; done"]
    ports: [{containerPort: 8080, hostPort: $RELAY_PORT}]
YAML
)
	# the supervisor inherits this limit: 40 relayed connections need 80 fds
	(ulimit -n 48 && podrun run -d "$f")
	local sup
	sup=$(cat "$PODRUN_ROOT/pods/relay/supervisor.pid")
	wait_for busybox wget -q -O /dev/null "http://127.0.0.1:$RELAY_PORT/"
	local fds=() i fd running=0
	for ((i = 0; i < 40; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$RELAY_PORT" || break
		fds+=("$fd")
	done
	# A relay that kept polling a listener whose accept4 fails with EMFILE
	# would be runnable (R) nearly all the time; a resting one sleeps (S).
	for ((i = 0; i < 20; i++)); do
		[ "$(awk '{print $3}' "/proc/$sup/stat")" = R ] && running=$((running + 1))
		sleep 0.02
	done
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	[ "$running" -lt 10 ] || { echo "the supervisor was running in $running of 20 samples"; false; }
	wait_for busybox wget -q -O /dev/null "http://127.0.0.1:$RELAY_PORT/"
	run busybox wget -q -O - "http://127.0.0.1:$RELAY_PORT/"
	assert_output hello
	podrun rm -f relay
	assert_host_clean
}

@test "the image store vanishes mid-start: a clear error naming it; rm -f leaves the host clean" {
	# PODRUN_STOP_AT (capstone/fault.h) stops podrun at "pod-created": the
	# image was resolved (its layers' paths are in the containers' configs),
	# the sandbox, the tmpfs volume and the hostPort exist, and no rootfs
	# overlay is mounted yet. There the store goes away.
	local store="$BATS_TEST_TMPDIR/images" out sup pid rc=0 pids
	start_stopped vanish pod-created
	mv "$store" "$store.gone"
	kill -CONT "$sup"
	wait "$pid" || rc=$?
	# exit 1, and one line that names the image, the store and what to do:
	# kubelet looks for the image at each start, so one gone since the pod
	# started is missing, as one never loaded is
	[ "$rc" = 1 ] || { echo "run -d exited $rc, not 1:"; cat "$out"; false; }
	grep -q "^podrun: .*container init: ErrImageNeverPull: Container image \"busybox\" is not present with pull policy of Never (the pod goes on: there is no image store $store (PODRUN_IMAGES), podrun image load starts it; " "$out" ||
		{ echo "not the error expected:"; cat "$out"; false; }
	# The pod waits, as kubelet keeps a pod whose image is missing; with the
	# store back, the next try starts the containers.
	[ "$(state vanish containers/init/reason)" = ErrImageNeverPull ]
	mv "$store.gone" "$store"
	wait_long grep -qx Running "$PODRUN_ROOT/pods/vanish/containers/app/state"
	# Gone again, and for good: rm -f needs no image to leave a clean host.
	mv "$store" "$store.gone"
	pids=$(pod_pids vanish)
	run podrun rm -f vanish
	assert_success
	assert_gone $pids
	assert_host_clean
	! ss -ltnH "sport = :$PORT" | grep -q .
}

@test "image rm while a pod starts waits until the pod's state names its image, then refuses: the layers stay" {
	# Stopped at "sandbox-created", the pod has found its image's layers and
	# not yet written which image it uses: rm must wait for that (the store
	# lock, which the pod holds shared), not take the layers from under it.
	local out sup pid rm rc=0
	start_stopped race sandbox-created
	"$PODRUN_BIN" image rm busybox >"$BATS_TEST_TMPDIR/rm.out" 2>&1 &
	rm=$!
	# the kernel lists a process that waits for a lock: "N: -> FLOCK ... WRITE PID"
	waits() { grep -q "^[0-9]*: -> FLOCK  ADVISORY  WRITE $rm " /proc/locks; }
	wait_long waits || { echo "image rm did not wait for the pod:"; cat "$BATS_TEST_TMPDIR/rm.out"; false; }
	kill -CONT "$sup"
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || { echo "run -d exited $rc:"; cat "$out"; false; }
	rc=0
	wait "$rm" || rc=$?
	[ "$rc" = 1 ] && grep -q "busybox.*: in use by a pod" "$BATS_TEST_TMPDIR/rm.out" ||
		{ echo "image rm exited $rc:"; cat "$BATS_TEST_TMPDIR/rm.out"; false; }
	wait_long grep -qx Running "$PODRUN_ROOT/pods/race/containers/app/state"
	podrun exec -c app race -- cat /bin/busybox >/dev/null # its layers are whole
	podrun rm -f race
	# with the pod gone, the image goes
	run "$PODRUN_BIN" image rm busybox
	assert_success
	assert_host_clean
}

@test "after a reboot (the state's tmpfs empty, the data on disk kept) the pod starts afresh; rm -f removes what is left" {
	# A reboot takes every process, mount, cgroup and link, and /run (the
	# state); not /var/lib (the data: the running pod's overlay, marked by
	# overlayfs' volatile option, and its disk emptyDir with a file in it).
	local hp=$BATS_TEST_TMPDIR/hp f
	mkdir -p "$hp"
	f=$(pod_file reboot <<YAML
apiVersion: v1
kind: Pod
metadata: {name: reboot}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{name: v, hostPath: {path: $hp}}, {name: e, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "test ! -e /e/old && touch /e/old && echo ran >>/v/runs && exec sleep 3600"]
    volumeMounts: [{name: v, mountPath: /v}, {name: e, mountPath: /e}]
YAML
	)
	reboot() {
		local pids
		pids=$(pod_pids reboot)
		kill -9 $pids
		wait_for assert_gone $pids
		grep " $(data reboot)/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
			xargs -r -n1 umount -l
		# every pod's state is on the one tmpfs a reboot empties (state.h)
		umount -l "$PODRUN_ROOT/pods"
		find /sys/fs/cgroup -depth -type d -path "*/$PODRUN_CGROUP*" -exec rmdir {} +
		ip link del "$TEST_BRIDGE" 2>/dev/null || true
		[ -d "$(data reboot)" ] && [ -z "$(pod_cgroups)" ]
	}
	# run -d returns once the command runs, maybe before its first line: a
	# reboot before it would leave nothing to start afresh from
	ran_once() { [ "$(cat "$hp/runs" 2>/dev/null)" = ran ]; }
	podrun run -d "$f"
	wait_for ran_once
	reboot
	# a fresh emptyDir and a fresh overlay: the command runs again
	podrun run -d "$f"
	ran_twice() { [ "$(cat "$hp/runs")" = "$(printf 'ran\nran')" ]; }
	wait_for ran_twice
	reboot
	run podrun rm reboot # without -f: no pod of that name
	assert_failure 1
	run podrun rm -f reboot
	assert_success
	assert_output "pod reboot: removed (its data, from before its state was lost)"
	[ ! -e "$(data reboot)" ]
	assert_host_clean
}

# the mounts under the test's state root: mount point, type, source
state_mounts() {
	awk -v r="$PODRUN_ROOT/" 'index($5, r) == 1 {for (i = 7; $i != "-"; i++); print $5, $(i + 1), $(i + 2)}' \
		/proc/self/mountinfo
}

@test "every pod's state on one tmpfs: the first pod mounts it, the last one's rm takes it along" {
	# One mount for every pod, not one each: each new mount namespace (a
	# container's, pause's) copies all of the host's mounts (README, "scale").
	local a b
	a=$(marking_pod one "$BATS_TEST_TMPDIR" "sleep 3600")
	b=$(marking_pod two "$BATS_TEST_TMPDIR" "sleep 3600")
	podrun run -d "$a"
	podrun run -d "$b"
	assert_equal "$(state_mounts)" "$PODRUN_ROOT/pods tmpfs podrun-state"
	podrun rm -f one
	assert_equal "$(state_mounts)" "$PODRUN_ROOT/pods tmpfs podrun-state"
	# a stopped pod keeps its state, and so the tmpfs
	podrun stop two
	[ -f "$PODRUN_ROOT/pods/two/phase" ]
	assert_equal "$(state_mounts)" "$PODRUN_ROOT/pods tmpfs podrun-state"
	podrun rm two
	assert_equal "$(state_mounts)" ""
	assert_host_clean
	# and the next pod mounts a new one
	podrun run -d "$a"
	assert_equal "$(state_mounts)" "$PODRUN_ROOT/pods tmpfs podrun-state"
	podrun rm -f one
	assert_host_clean
}

@test "a pod directory of an earlier podrun (a tmpfs of its own) is not hidden by the state tmpfs" {
	# An earlier podrun mounted one tmpfs on each pod's directory: while
	# such a pod is there, a tmpfs on ROOT/pods would hide it from its
	# supervisor, and from ps and rm. New pods go beside it.
	local f
	mkdir -p "$PODRUN_ROOT/pods/old"
	mount -t tmpfs -o mode=0700 podrun-state "$PODRUN_ROOT/pods/old"
	defer "umount -l '$PODRUN_ROOT/pods/old' 2>/dev/null || true"
	echo Running >"$PODRUN_ROOT/pods/old/phase"
	f=$(marking_pod new "$BATS_TEST_TMPDIR" "sleep 3600")
	podrun run -d "$f"
	assert_equal "$(state old) $(state new)" "Running Running"
	assert_equal "$(state_mounts)" "$PODRUN_ROOT/pods/old tmpfs podrun-state"
	podrun rm -f new
	# rm -f of the old pod unmounts its tmpfs; then the pods go on one
	podrun rm -f old
	assert_host_clean
	podrun run -d "$f"
	assert_equal "$(state_mounts)" "$PODRUN_ROOT/pods tmpfs podrun-state"
	podrun rm -f new
	assert_host_clean
}

@test "rm finds an earlier podrun's pod tmpfs under a root whose path has a space" {
	# mountinfo writes that space as \040: read as it stands, the mount
	# point is not under the root, stays mounted, and rm cannot remove the
	# pod's directory (EBUSY).
	export PODRUN_ROOT="$PODRUN_ROOT/a root" PODRUN_DATA="$PODRUN_DATA/a root"
	mkdir -p "$PODRUN_ROOT/pods/old"
	mount -t tmpfs -o mode=0700 podrun-state "$PODRUN_ROOT/pods/old"
	defer "umount -l '$PODRUN_ROOT/pods/old' 2>/dev/null || true"
	echo Running >"$PODRUN_ROOT/pods/old/phase"
	run podrun rm -f old
	assert_success
	[ ! -e "$PODRUN_ROOT/pods/old" ]
	run grep -F 'a\040root' /proc/self/mountinfo
	assert_failure
}

@test "kill -9 of the supervisor while its first container waits to be placed: the command never runs" {
	# "container-built": the container's root is built, and its execve waits
	# for the supervisor's word, after the supervisor put it in its cgroups.
	# Killed there, the supervisor's end of the socket closes: the container
	# must take that EOF as a no, and exit without running its command.
	grep -q PODRUN_DIE_AT "$PODRUN_BIN" ||
		skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	local hp=$BATS_TEST_TMPDIR/hp f
	mkdir -p "$hp"
	f=$(marking_pod unplaced "$hp" "echo ran > /v/ran; sleep 3600")
	defer "podrun rm -f unplaced"
	run env PODRUN_DIE_AT=container-built "$PODRUN_BIN" run "$f"
	assert_failure 137
	assert_output --partial "fault point container-built: SIGKILL"
	# pause stays until rm; the container's process must go by itself
	only_pause_left() {
		[ -z "$(uts_pids unplaced | grep -vx "$(state unplaced pause.pid)")" ]
	}
	wait_for only_pause_left
	[ ! -e "$hp/ran" ]
	run podrun rm -f unplaced
	assert_success
	assert_host_clean
}
