# podrun.bash - what every capstone test file loads (after ../helpers).
#
#   podrun_setup [--no-images]  per test: a fresh PODRUN_ROOT and PODRUN_DATA, the test bridge
#                        and subnet, fast backoff; teardown removes every pod.
#                        PODRUN_IMAGES is the build's image store, where
#                        `make images` loaded the project's images. Skips
#                        unless they are there (--no-images: for checks that
#                        only parse)
#   require_images       skip unless `make images` ran
#   podrun ARGS...       the podrun under test
#   pod_file NAME <<EOF  write a Pod YAML into the test's temp dir, print its path
#   state POD [KEY]      cat a pod's state file (KEY relative to its dir)
#   data POD             the pod's data directory (logs/, volumes/, containers/C/fs)
#   pod_pids POD         every pid the pod's state records (supervisor, pause, containers)
#   sup_stopped POD      is the pod's supervisor stopped (PODRUN_STOP_AT)? sets $sup
#   assert_gone PIDS...  none of these processes exists any more
#   uts_pids NAME        the pids of pod NAME's processes (their UTS namespace's hostname)
#   wait_retired         wait (10 s at most) until the last pod's bridge retire is done
#   assert_host_clean    no state dir, mount, veth or bridge of ours is left (after wait_retired)

PODRUN_BIN="$(bin capstone podrun)"
# Overridable so that two test runs on one machine do not share a bridge
# (PODLAB_TEST_BRIDGE, PODLAB_TEST_SUBNET) nor a host port: every hostPort
# the tests publish is PODLAB_TEST_PORT_BASE plus an offset below 100,
# $((TEST_PORT_BASE + 40)) say; the default keeps the ports they always had.
# The fixed YAML of examples/ and tests/capstone/bad/ keeps its own ports
# (examples.bats, spec.bats' bad corpus).
TEST_BRIDGE=${PODLAB_TEST_BRIDGE:-podrunt0}
TEST_SUBNET=${PODLAB_TEST_SUBNET:-198.18.7.128/25}
TEST_PORT_BASE=${PODLAB_TEST_PORT_BASE:-18700}
if ! [[ $TEST_PORT_BASE =~ ^[1-9][0-9]{0,4}$ ]] || ((TEST_PORT_BASE + 99 > 65535)); then
	echo "PODLAB_TEST_PORT_BASE=$TEST_PORT_BASE: want a port number from 1 to 65436" >&2
	return 1
fi

podrun() {
	"$PODRUN_BIN" "$@"
}

# The store of `make images` (capstone.mk): the directory images of lab 03
# and the store's layers/ configs/ refs/ side by side in BUILD/images.
PODLAB_IMAGE_STORE="$PODLAB_BUILD/images"

require_images() {
	[ -f "$PODLAB_IMAGE_STORE/.loaded-busybox-latest" ] || skip "no images (make images)"
}

podrun_setup() {
	require_root
	[ -x "$PODRUN_BIN" ] || skip "podrun is not built (make build-capstone)"
	[ "${1:-}" = --no-images ] || require_images
	PODRUN_ROOT=$(mktemp -d /tmp/podrun-test.XXXXXX)
	PODRUN_DATA=$PODRUN_ROOT.data
	# the pods' cgroups under a root of this test's own: podrun/ is shared
	# with whatever else runs pods on this machine
	PODRUN_CGROUP=${PODRUN_ROOT##*/}
	export PODRUN_ROOT PODRUN_DATA PODRUN_CGROUP
	export PODRUN_IMAGES="$PODLAB_IMAGE_STORE"
	export PODRUN_BRIDGE=$TEST_BRIDGE PODRUN_SUBNET=$TEST_SUBNET
	export PODLAB_BACKOFF_SCALE=0.001
	defer "podrun_remove_all '$PODRUN_ROOT' '$PODRUN_DATA'"
}

# The cgroup tree podrun made for this test's pods ($PODRUN_CGROUP/<qos>/
# pod-NAME, lab 06), in the memory and pids hierarchies, beneath the cgroup
# this test runs in: the last pod takes it along.
pod_cgroups() {
	local c rel
	for c in memory pids; do
		rel=$(awk -F: -v c="$c" '$2 == c {print $3}' /proc/self/cgroup)
		[ -d "/sys/fs/cgroup/$c${rel%/}/$PODRUN_CGROUP" ] &&
			find "/sys/fs/cgroup/$c${rel%/}/$PODRUN_CGROUP" -type d
	done
	return 0
}

# Teardown: remove every pod under the root (rm -f stops it first), wait
# for the bridge's retire (the next test may start a pod on the bridge from
# another root, which this root's lock does not guard), then the root.
podrun_remove_all() {
	local d
	for d in "$1"/pods/*; do
		[ -d "$d" ] && PODRUN_ROOT="$1" PODRUN_DATA="$2" "$PODRUN_BIN" rm -f "$(basename "$d")"
	done
	PODRUN_ROOT="$1" wait_retired
	# The state tmpfs goes with the last pod, but a test that failed may
	# have left it, or a mount it hides (assert_host_clean says so there):
	# rm -rf cannot remove a mount point. Deepest first, and again for what
	# an unmount uncovered.
	local pass m left
	for pass in 1 2 3; do
		left=()
		while read -r _ _ _ _ m _; do
			[[ $m != "$1"* ]] || left+=("$m")
		done </proc/self/mountinfo
		[ ${#left[@]} -gt 0 ] || break # almost always: read in bash, no process
		for m in $(printf '%s\n' "${left[@]}" | sort -r); do
			umount -l "$m" 2>/dev/null || true
		done
	done
	rm -rf "$1" "$2"
}

pod_file() {
	local f="$BATS_TEST_TMPDIR/$1.yaml"
	cat >"$f"
	echo "$f"
}

# A pod of one container that runs `sh -c SCRIPT` with the host's DIR at /v:
# what the script writes there tells whether, and how far, it ran.
marking_pod() { # NAME DIR SCRIPT
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{name: v, hostPath: {path: $2}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "$3"]
    volumeMounts: [{name: v, mountPath: /v}]
YAML
}

# refused_in_container YAML EXPECTED: `podrun validate` of a pod whose one
# container carries YAML (a field, or a mapping key and its lines, at the
# container's indentation) fails, exit 2, with EXPECTED in its message.
refused_in_container() {
	local f
	f=$(pod_file refused <<YAML
apiVersion: v1
kind: Pod
metadata: {name: refused}
spec:
  containers:
  - name: c
    image: busybox
    command: ["true"]
    $1
YAML
	)
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "$2"
}

# For wait_for: is a child of process $1 stopped (held by PODRUN_STOP_AT at
# a fault_hold, capstone/fault.h)? Its pid goes into $child.
stopped_child() {
	child=$(ps -o pid=,stat= --ppid "$1" | awk '$2 ~ /^T/ {print $1; exit}')
	[ -n "$child" ]
}

# For wait_for: is pod $1's supervisor stopped (held by PODRUN_STOP_AT)?
# Its pid goes into $sup.
sup_stopped() { # POD
	sup=$(cat "$PODRUN_ROOT/pods/$1/supervisor.pid") &&
		grep -q '^State:.*T' "/proc/$sup/status"
}

state() {
	cat "$PODRUN_ROOT/pods/$1/${2:-phase}"
}

# For wait_for, after pod $1's pause (pid $2) was killed: does a new pause
# hold its sandbox, and does container $3 run in it again (a pid not $4)?
new_sandbox() { # POD OLD_PAUSE CONTAINER OLD_PID
	local p
	p=$(state "$1" pause.pid)
	[ "$p" != 0 ] && [ "$p" != "$2" ] && kill -0 "$p" &&
		[ "$(state "$1" "containers/$3/state")" = Running ] &&
		[ "$(state "$1" "containers/$3/pid")" != "$4" ]
}

restarted() { # POD CONTAINER OLD_PID: Running again, in a new process
	[ "$(state "$1" "containers/$2/state")" = Running ] &&
		[ "$(state "$1" "containers/$2/pid")" != "$3" ]
}

data() {
	echo "$PODRUN_DATA/pods/$1"
}

pod_pids() {
	local d="$PODRUN_ROOT/pods/$1" f
	for f in "$d/supervisor.pid" "$d/pause.pid" "$d"/containers/*/pid; do
		[ -f "$f" ] && [ "$(cat "$f")" != 0 ] && cat "$f"
	done
	return 0
}

# A pod's pause and containers share a UTS namespace whose hostname is the
# pod's name. (Their /proc/PID/root cannot tell: after pivot_root it reads
# "/".) One find(1) reads every process's namespace link, where a stat(1) a
# process would take seconds on a machine where a fork costs a millisecond.
uts_pids() { # NAME
	local host p ns
	host=$(readlink /proc/self/ns/uts)
	find /proc/[0-9]*/ns/uts -maxdepth 0 -printf '%h %l\n' 2>/dev/null |
		while read -r p ns; do
			[ "$ns" != "$host" ] || continue
			p=${p#/proc/} p=${p%/ns}
			[ "$(nsenter -t "$p" -u hostname 2>/dev/null)" != "$1" ] || echo "$p"
		done
}

assert_gone() {
	local p
	for p in "$@"; do
		if kill -0 "$p" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$p/status"; then
			echo "process $p is still there: $(tr '\0' ' ' <"/proc/$p/cmdline")"
			return 1
		fi
	done
}

# The last pod's bridge is deleted by a detached retire (capstone/bridge.h),
# which holds a shared lock on ROOT/bridge.retiring from before the podrun
# that started it returns until it is done: the exclusive lock waits for
# every retire of this root, and fails after 10 s.
wait_retired() {
	[ -e "$PODRUN_ROOT/bridge.retiring" ] || return 0
	flock -w 10 "$PODRUN_ROOT/bridge.retiring" true && return 0
	echo "a bridge retire of $PODRUN_ROOT still runs after 10 s: $(pgrep -a podrun-retire)"
	return 1
}

assert_host_clean() {
	if [ -n "$(ls -A "$PODRUN_ROOT/pods" "$PODRUN_DATA/pods" 2>/dev/null | grep -v ':$')" ]; then
		echo "state left: $(ls "$PODRUN_ROOT/pods" "$PODRUN_DATA/pods" 2>/dev/null)"
		return 1
	fi
	# $PODRUN_ROOT is a prefix of $PODRUN_DATA: this finds both
	if grep -q "$PODRUN_ROOT" /proc/self/mountinfo; then
		echo "mounts left:"
		grep "$PODRUN_ROOT" /proc/self/mountinfo
		return 1
	fi
	# no cgroup of a pod of this test
	local left
	left=$(pod_cgroups)
	if [ -n "$left" ]; then
		echo "cgroups left: $left"
		return 1
	fi
	# no pod's veth, and the last pod took the bridge along
	wait_retired || return 1
	if [ -n "$(ip -o link show master "$TEST_BRIDGE" 2>/dev/null)" ]; then
		echo "links left: $(ip -o link show master "$TEST_BRIDGE")"
		return 1
	fi
	if ip link show "$TEST_BRIDGE" >/dev/null 2>&1; then
		echo "bridge left: $TEST_BRIDGE"
		return 1
	fi
}

# Wait until a container's state file says $3 (Running, Terminated...).
wait_state() {
	wait_for grep -qx "$3" "$PODRUN_ROOT/pods/$1/containers/$2/state"
}

# After a file's tests: the test bridge goes too (nothing of ours stays).
teardown_file() {
	ip link del "$TEST_BRIDGE" 2>/dev/null || true
}
