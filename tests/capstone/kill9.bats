#!/usr/bin/env bats
# Crashes and exhaustion: podrun killed with SIGKILL at every fault point of
# capstone/fault.h, then out of disk space in its state directory, out of
# fds, out of pids. After each, `podrun rm -f` (or nothing, when podrun
# itself reported the failure) must leave the host as it was: no state, no
# mount, no veth, no bridge, no process, no cgroup of the pod.

load ../helpers
load podrun

setup() {
	podrun_setup
}

# The fault points, as the code names them.
fault_points() {
	grep -oh 'fault_point("[a-z0-9-]*")' "$PODLAB_SRC"/capstone/*.c |
		sed 's/fault_point("\(.*\)")/\1/' | sort -u
}

# Was the podrun under test built with its fault points (-DPODLAB_FAULTS)?
# Only then is the variable's name in the binary.
has_fault_points() {
	grep -q PODRUN_DIE_AT "$PODRUN_BIN"
}

# Everything a dead supervisor can leave: an init container, a tmpfs
# emptyDir (a mount on the host), a hostPort ($PORT, a socket), a veth.
PORT=$((TEST_PORT_BASE + 40))
pod_with_everything() { # NAME
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
    command: ["sh", "-c", "echo init > /scratch/init"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    ports: [{containerPort: 80, hostPort: $PORT}]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes:
  - name: scratch
    emptyDir: {medium: Memory}
  - name: disk
    emptyDir: {}
YAML
}

# No process of pod NAME is left (uts_pids).
assert_no_pod_processes() { # NAME
	local p
	for p in $(uts_pids "$1"); do
		echo "a process of pod $1 is left: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		return 1
	done
}

# No cgroup of the pod or of this test's podrun ($PODRUN_CGROUP, its cgroup
# root), in any hierarchy (v1 or v2). Another podrun on the machine is not
# this test's business.
assert_no_cgroups() { # NAME
	local left
	left=$(find /sys/fs/cgroup/ -mindepth 1 -maxdepth 4 -type d \
		\( -name "*$1*" -o -name "$PODRUN_CGROUP" \) 2>/dev/null)
	if [ -n "$left" ]; then
		echo "cgroups left: $left"
		return 1
	fi
}

# Chained: its callers run it in an || list, where bash's errexit does not
# stop at a failed line, and only the last one would count.
assert_all_clean() { # NAME
	assert_host_clean && assert_no_pod_processes "$1" && assert_no_cgroups "$1" || return 1
	# the hostPort is free again
	if ss -ltnH "sport = :$PORT" | grep -q .; then
		echo "hostPort $PORT is still bound"
		return 1
	fi
}

# One fault point: podrun runs in the foreground (it is the supervisor, its
# stderr is ours) with PODRUN_DIE_AT set. A point on the way up kills it
# before Running; one on the way down kills it when SIGTERM stops the pod;
# sandbox-down when pause is killed; a point in `podrun stop`/`rm` itself is
# tried last. Then rm -f cleans up.
die_at() { # POINT
	local point=$1 name="k9-$1" f out="$BATS_TEST_TMPDIR/$1.out" pid rc pids
	f=$(pod_with_everything "$name")
	PODRUN_DIE_AT=$point "$PODRUN_BIN" run "$f" >"$out" 2>&1 &
	pid=$!
	up_or_dead() {
		! kill -0 "$pid" 2>/dev/null || [ "$(state "$name" 2>/dev/null)" = Running ]
	}
	wait_for up_or_dead
	pids=$(pod_pids "$name")
	# a point on the way to a new sandbox: pause dies first
	if [ "$point" = sandbox-down ] && kill -0 "$pid" 2>/dev/null; then
		kill -9 "$(state "$name" pause.pid)"
		supervisor_gone() { ! kill -0 "$pid" 2>/dev/null; }
		wait_for supervisor_gone || true
	fi
	kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	if ! grep -q "fault point $point: SIGKILL" "$out"; then
		# not in the supervisor: in the command that stops a pod?
		[ "$rc" = 0 ] || { echo "$point: podrun run failed without reaching it ($rc):"; cat "$out"; return 1; }
		"$PODRUN_BIN" run -d "$f" >/dev/null
		pids=$(pod_pids "$name")
		rc=0
		PODRUN_DIE_AT=$point "$PODRUN_BIN" rm -f "$name" >"$out" 2>&1 || rc=$?
		grep -q "fault point $point: SIGKILL" "$out" ||
			{ echo "$point: never reached (run, SIGTERM, rm -f)"; return 1; }
	fi
	[ "$rc" = 137 ] || { echo "$point: reached, but podrun exited $rc, not 137 (SIGKILL)"; return 1; }
	pids="$pids $(pod_pids "$name")"
	if ! "$PODRUN_BIN" rm -f "$name"; then
		echo "$point: rm -f failed"
		return 1
	fi
	assert_gone $pids || return 1
	assert_all_clean "$name"
}

@test "SIGKILL at every fault point, then rm -f: host clean" {
	local points p failed=()
	points=$(fault_points)
	[ -n "$points" ] || skip "no fault_point() in capstone/*.c yet"
	has_fault_points || skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	for p in $points; do
		echo "# fault point $p" >&3
		die_at "$p" || failed+=("$p")
		# a failed point must not leave anything to the next one
		"$PODRUN_BIN" rm -f "k9-$p" >/dev/null 2>&1 || true
	done
	[ ${#failed[@]} -eq 0 ] || { echo "failed at: ${failed[*]}"; false; }
}

# ---- exhaustion: every failure is one clear line, and leaves nothing behind ------------

# Run pod NAME from FILE under a limit set up by the caller's command prefix
# (ulimit, a cgroup, a full disk): either it starts (then rm -f removes it)
# or it fails with exit 1, with WHAT (strerror) in one "podrun: " line, and
# the host is clean at once. Echoes "failed" or "started".
run_limited() { # WHAT NAME FILE CMD...
	local what=$1 name=$2 f=$3
	shift 3
	local out="$BATS_TEST_TMPDIR/limited.out" rc=0
	"$@" "$PODRUN_BIN" run -d "$f" >"$out" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		"$PODRUN_BIN" rm -f "$name" >/dev/null || { echo "rm -f failed" >&2; return 1; }
		assert_all_clean "$name" >&2 || return 1
		echo started
		return 0
	fi
	if [ "$rc" != 1 ] || ! grep -q "^podrun: .*$what" "$out"; then
		{
			echo "exit $rc, expected 1 and a 'podrun: ... $what' line; got:"
			cat "$out"
		} >&2
		return 1
	fi
	# A container that could not start keeps its pod, as kubelet keeps it
	# (RunContainerError, retried with backoff): run -d says so, and rm -f
	# removes it. Otherwise podrun said it failed, and cleaned up after itself.
	if grep -q "the pod goes on" "$out"; then
		"$PODRUN_BIN" rm -f "$name" >/dev/null || { echo "rm -f failed" >&2; return 1; }
	fi
	assert_all_clean "$name" >&2 || { cat "$out" >&2; return 1; }
	echo failed
}

@test "ENOSPC in the state directory: a clear error, and nothing left behind" {
	# Every pod's state is on one tmpfs, which the first pod mounts and the
	# last one's rm unmounts (state.h): with no other pod, PODRUN_STATE_SIZE
	# makes it too small for the pod's state files, then big enough.
	local f size r failures=0 starts=0
	f=$(pod_with_everything nospace)
	for size in 4Ki 8Ki 16Ki 32Ki 64Ki 96Ki 128Ki 192Ki 256Ki 1Mi 16Mi; do
		r=$(PODRUN_STATE_SIZE=$size run_limited "No space left on device" nospace "$f" env) || {
			echo "with a state tmpfs of $size"
			false
		}
		[ "$r" = failed ] && failures=$((failures + 1))
		[ "$r" = started ] && starts=$((starts + 1))
	done
	# the limit was hit at least once, and the pod ran once there was room
	[ "$failures" -ge 2 ]
	[ "$starts" -ge 1 ]
}

@test "PODRUN_STATE_SIZE: a size or a clear error, and nothing left behind" {
	local f
	f=$(pod_with_everything badsize)
	for size in 0 -1 16x 1mm m; do
		PODRUN_STATE_SIZE=$size run "$PODRUN_BIN" run -d "$f"
		[ "$status" = 1 ]
		[[ "$output" == *"PODRUN_STATE_SIZE=$size: a quantity of bytes above 0 (512Mi)"* ]]
		assert_all_clean badsize
	done
}

@test "EMFILE in the supervisor: a clear error, and nothing left behind" {
	local f n r failures=0 starts=0
	f=$(pod_with_everything nofiles)
	for n in $(seq 8 44) 64 1024; do # each fd the start opens, one by one
		r=$(run_limited "Too many open files" nofiles "$f" prlimit --nofile="$n") || {
			echo "with ulimit -n $n"
			false
		}
		[ "$r" = failed ] && failures=$((failures + 1))
		[ "$r" = started ] && starts=$((starts + 1))
	done
	[ "$failures" -ge 1 ]
	[ "$starts" -ge 1 ]
}

# In a pids cgroup of its own (cgroup v1 or v2, wherever the pids controller
# is), with pids.max processes at most. In the sanitizer build, LeakSanitizer
# checks a process at its exit from a thread of its own, which the full
# cgroup may refuse: its fatal error would stand in for what podrun said.
# Leaks are the other tests' to find.
in_pids_cgroup() { # CGROUP MAX CMD...
	local cg=$1 max=$2
	shift 2
	echo "$max" >"$cg/pids.max"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"
}

# A pids cgroup for this test, beneath the one it runs in, removed by
# teardown: in $cg.
make_pids_cgroup() {
	local base
	if [ -f /sys/fs/cgroup/pids/cgroup.procs ]; then
		base=/sys/fs/cgroup/pids$(awk -F: '$2 == "pids" {print $3}' /proc/self/cgroup)
	else
		base=/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
		grep -qw pids "$base/cgroup.subtree_control" 2>/dev/null || skip "no pids cgroup controller"
	fi
	cg="${base%/}/podlab-kill9-$$"
	mkdir "$cg"
	# processes left in it go back where they came from first, or rmdir fails (EBUSY)
	defer "while read -r p; do echo \$p > '${base%/}/cgroup.procs'; done < '$cg/cgroup.procs'; rmdir '$cg'"
}

@test "a full pids limit: a clear error, and nothing left behind" {
	local cg f n r failures=0 starts=0
	make_pids_cgroup
	f=$(pod_with_everything nopids)
	for n in 3 4 5 6 8 10 12 16 64; do
		r=$(run_limited "Resource temporarily unavailable" nopids "$f" in_pids_cgroup "$cg" "$n") || {
			echo "with pids.max $n"
			false
		}
		[ "$r" = failed ] && failures=$((failures + 1))
		[ "$r" = started ] && starts=$((starts + 1))
	done
	[ "$failures" -ge 1 ]
	[ "$starts" -ge 1 ]
}

@test "pids.max 2: run -d says that its second fork failed" {
	# With 2 pids, `podrun run -d` (1) forks its child (2), whose fork of the
	# supervisor fails with EAGAIN: the child must say so on the pipe, not
	# leave the user with "the supervisor died while starting".
	local cg f r
	make_pids_cgroup
	f=$(pod_with_everything nopids)
	r=$(run_limited "Resource temporarily unavailable" nopids "$f" in_pids_cgroup "$cg" 2)
	[ "$r" = failed ]
}
