#!/usr/bin/env bats
# LAB: 04 containers, init containers and restart policy
#
# The driver is podctl, which runs a pod described on its command line and
# prints machine-readable lines: "event NAME running pid=N", "event NAME
# terminated exit=N reason=R", then "phase=P" and one "NAME kind=K starts=N
# restarts=N [exit=N reason=R]" line per container. The checks read the
# kernel's side - /proc/PID/status and /proc/PID/ns of a running container,
# the mount table, the process table, the state directory - from outside.
#
# [init-order] and [init-backoff] grade the exercises in init.c; they use
# podctl --processes (members are host processes: the state machine without
# any container machinery) or the backoff table, so they depend on nothing
# but their own exercise. [ctr-drop] grades container.c's drop of
# privileges in a running container: it needs init-order and labs 02-03's
# exercises done first (its marker says so: "Needs:"), as the other checks do.
# [ctr-exec-pid] grades how ctr_exec enters a running container's pid
# namespace, through step1_container's exec; it needs lab 01's ns-join and
# ctr-drop.

load helpers

setup() {
	require_root
	L4="$PODLAB_BUILD/labs/04-initcontainers"
	PODCTL="$L4/podctl"
	# Every pod run below ends by itself when the feature works; --timeout
	# (SIGTERM, then an orderly stop) ends it when the feature is broken, so a
	# broken exercise fails its check instead of hanging the whole lab. The
	# pods of host processes (--processes) end in well under a second: they
	# get 10 s, the pods of containers 20.
	export PODLAB_BACKOFF_SCALE=0.001
	D="$BATS_TEST_TMPDIR/pod"
}

# field NAME KEY: the value of KEY= on NAME's summary line in $output.
field() {
	grep -E "^$1 kind=" <<<"$output" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# line_no PATTERN: the number of the first line of $output matching PATTERN.
line_no() {
	grep -n -m1 -E "$1" <<<"$output" | cut -d: -f1
}

# nothing_left: the pod's state directory, its mounts and its holder are gone.
nothing_left() {
	[ ! -e "$D" ] || { echo "left behind: $D"; find "$D"; return 1; }
	! grep -F "$D" /proc/self/mountinfo || { echo "mounts left behind"; return 1; }
	local sb
	sb=$(sed -n 's/^sandbox pid=//p' <<<"$output")
	[ -z "$sb" ] || ! kill -0 "$sb" 2>/dev/null || { echo "pause $sb still runs"; return 1; }
}

# start_pod ARGS...: podctl in the background until its app container runs.
# Sets BG, OUT, APP (the app container's pid on the host), SB (pause's pid).
start_pod() {
	OUT="$BATS_TEST_TMPDIR/pod.out"
	"$PODCTL" --dir "$D" --grace 100 "$@" >"$OUT" 2>&1 3>&- &
	BG=$!
	defer "kill_pod $BG"
	# a podctl that ended (a container it could not start) will not say it
	running_or_ended() { grep -q '^event app running' "$OUT" || ! kill -0 "$BG" 2>/dev/null; }
	wait_for running_or_ended
	if ! grep -q '^event app running' "$OUT"; then
		cat "$OUT"
		return 1
	fi
	APP=$(sed -n 's/^event app running pid=//p' "$OUT")
	SB=$(sed -n 's/^sandbox pid=//p' "$OUT")
}

# kill_pod PID: the clean-up of a check that failed with its pod running. A
# SIGTERM lets podctl stop the pod in order; should it hang, SIGKILL it, and
# then the holder it can no longer stop (a dead podctl orphans its pause).
gone() {
	! kill -0 "$1" 2>/dev/null
}
kill_pod() {
	kill -TERM "$1" 2>/dev/null
	wait_for gone "$1" || kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	local sb
	sb=$(sed -n 's/^sandbox pid=//p' "$OUT" 2>/dev/null)
	# the pid may have been reused since: kill it only if it is still a pause
	[ -z "$sb" ] || ! grep -q pause "/proc/$sb/cmdline" 2>/dev/null || kill -9 "$sb"
}

stop_pod() {
	kill -TERM "$BG"
	wait "$BG"
	output=$(cat "$OUT")
}

# ---- the exercises -------------------------------------------------------------------

@test "[init-order] init containers start one at a time, in spec order, before the app" {
	run "$PODCTL" --timeout 10000 --processes --dir "$D" --policy Never \
		--init 'i1=sleep 0.1; echo i1 >> $WORK/order' \
		--init 'i2=echo i2 >> $WORK/order' \
		--init 'i3=echo i3 >> $WORK/order' \
		--app "app=cat \$WORK/order > $BATS_TEST_TMPDIR/order"
	assert_success
	assert_line "phase=Succeeded"
	# i1 sleeps first: started together, i2 and i3 would have written before it
	[ "$(cat "$BATS_TEST_TMPDIR/order")" = "$(printf 'i1\ni2\ni3')" ]
	[ "$(line_no 'event i1 terminated')" -lt "$(line_no 'event i2 running')" ]
	[ "$(line_no 'event i3 terminated')" -lt "$(line_no 'event app running')" ]
	[ ! -e "$D" ]
}

@test "[init-order] a failing init container blocks the next one and the app" {
	run "$PODCTL" --timeout 10000 --processes --dir "$D" --policy Always --until i1:3 \
		--init 'i1=exit 1' --init 'i2=true' --app "app=touch $BATS_TEST_TMPDIR/app-ran"
	assert_success
	assert_line "phase=Pending"
	[ "$(field i1 restarts)" -ge 3 ]
	[ "$(field i2 starts)" = 0 ]
	[ "$(field app starts)" = 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/app-ran" ]
}

@test "[init-order] a native sidecar is not waited for" {
	run "$PODCTL" --timeout 10000 --processes --dir "$D" --policy Never --grace 100 \
		--sidecar 'side=exec sleep 30' --init 'i1=true' --app 'app=true'
	assert_success
	assert_line "phase=Succeeded"
	[ "$(line_no 'event side running')" -lt "$(line_no 'event i1 running')" ]
	[ "$(field side restarts)" = 0 ]
}

# kubelet decides by the last init container started: a sidecar that stopped
# before the one after it started is restarted first; once the order has
# passed it, one that stops is restarted beside the others and holds nothing
# back. podctl's sidecars never exit during init; the unit test stops one.
@test "[init-order] unit tests init_next/*: a stopped sidecar holds back the init container after it, not one already started" {
	run "$PODLAB_BUILD/tests/unit/test_init" --jobs 1 --filter 'init_next/*'
	assert_success
	assert_output --partial 'Tested: 1 | Passing: 1'
}

@test "[init-backoff] backoff doubles from 10 s and is capped at 300 s" {
	PODLAB_BACKOFF_SCALE= run "$PODCTL" --backoff-table 8
	assert_success
	assert_output "$(for ms in 10000 20000 40000 80000 160000 300000 300000 300000; do
		n=$((${n:-0} + 1)); echo "backoff $n: $ms ms"; done)"
}

@test "[init-backoff] PODLAB_BACKOFF_SCALE scales the backoff" {
	PODLAB_BACKOFF_SCALE=0.001 run "$PODCTL" --backoff-table 7
	assert_success
	assert_line "backoff 1: 10 ms"
	assert_line "backoff 3: 40 ms"
	assert_line "backoff 7: 300 ms"
	PODLAB_BACKOFF_SCALE=0.5 run "$PODCTL" --backoff-table 2
	assert_line "backoff 2: 10000 ms"
}

@test "[init-backoff] unit tests init_backoff/*: no overflow for a thousand restarts, n < 1 is the first" {
	run "$PODLAB_BUILD/tests/unit/test_init" --jobs 1 --filter 'init_backoff/*'
	assert_success
	assert_output --partial 'Tested: 2 | Passing: 2'
}

# ---- Kubernetes' node e2e scenarios for init containers (test/e2e/node/init_container.go)

@test "e2e: init containers run in order on a RestartNever pod and the pod succeeds" {
	run "$PODCTL" --timeout 20000 --dir "$D" --policy Never \
		--init 'init1=echo init1 >> /work/order' --init 'init2=echo init2 >> /work/order' \
		--app 'run1=cat /work/order'
	assert_success
	assert_line "phase=Succeeded"
	[ "$(field init1 exit)" = 0 ]
	[ "$(field init1 reason)" = Completed ]
	[ "$(field init2 exit)" = 0 ]
	[ "$(field run1 exit)" = 0 ]
	[ "$(line_no '^init1$')" -lt "$(line_no '^init2$')" ]
	[ "$(line_no 'event init1 terminated')" -lt "$(line_no 'event init2 running')" ]
	nothing_left
}

@test "e2e: init containers run in order on a RestartAlways pod, then the app runs" {
	run "$PODCTL" --timeout 20000 --dir "$D" --policy Always --until running --grace 100 \
		--init 'init1=true' --init 'init2=true' --app 'run1=exec sleep 30'
	assert_success
	assert_line "phase=Running"
	[ "$(field init1 reason)" = Completed ]
	[ "$(field init2 reason)" = Completed ]
	[ "$(field run1 starts)" = 1 ]
	[ "$(field run1 restarts)" = 0 ]
	[ "$(line_no 'event init2 terminated')" -lt "$(line_no 'event run1 running')" ]
	nothing_left
}

@test "e2e: app containers do not start while an init container keeps failing (RestartAlways)" {
	run "$PODCTL" --timeout 20000 --dir "$D" --policy Always --until init1:3 \
		--init 'init1=false' --init 'init2=true' --app 'run1=exec sleep 30'
	assert_success
	assert_line "phase=Pending"
	[ "$(field init1 restarts)" -ge 3 ]
	[ "$(field init1 reason)" = Error ]
	[ "$(field init2 starts)" = 0 ]
	[ "$(field run1 starts)" = 0 ]
	nothing_left
}

@test "e2e: a failing init container fails a RestartNever pod; the app never starts" {
	run "$PODCTL" --timeout 20000 --dir "$D" --policy Never \
		--init 'init1=true' --init 'init2=exit 1' --app 'run1=true'
	assert_success
	assert_line "phase=Failed"
	[ "$(field init2 exit)" = 1 ]
	[ "$(field init2 reason)" = Error ]
	[ "$(field init2 restarts)" = 0 ]
	[ "$(field run1 starts)" = 0 ]
	nothing_left
}

# ---- what a container is made of -----------------------------------------------------

# ---- ctr-drop: what a running container holds, read in /proc/PID/status ----------------

# The container default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID
# SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
DEFAULT_CAPS=00000000a80425fb
NONE=0000000000000000

# assert_privs PID INH PRM EFF BND AMB NNP: the capability sets and
# no_new_privs of PID, as the kernel keeps them.
assert_privs() {
	local want got
	want="CapInh=$2 CapPrm=$3 CapEff=$4 CapBnd=$5 CapAmb=$6 NoNewPrivs=$7"
	got=$(awk -F':\t' '/^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):/ {printf "%s%s=%s", sep, $1, $2; sep = " "}' \
		"/proc/$1/status")
	[ "$got" = "$want" ] || { echo "want $want"; echo " got $got"; false; }
}

@test "[ctr-drop] a container holds the default set in every set but inheritable and ambient, and no_new_privs" {
	start_pod --app 'app=exec sleep 30'
	assert_privs "$APP" $NONE $DEFAULT_CAPS $DEFAULT_CAPS $DEFAULT_CAPS $NONE 1
	stop_pod
}

@test "[ctr-drop] securityContext's add is kept and its drop is gone, bounding set included; the kernel agrees" {
	start_pod --cap-add NET_ADMIN --cap-drop CAP_NET_RAW \
		--app 'app=ip link set lo mtu 1300; echo "mtu=$?" >/tmp/mtu; exec sleep 30'
	# the default set, plus NET_ADMIN (bit 12), minus NET_RAW (bit 13)
	assert_privs "$APP" $NONE 00000000a80415fb 00000000a80415fb 00000000a80415fb $NONE 1
	# NET_ADMIN works: the pod's lo took the new MTU
	wait_for test -s "/proc/$APP/root/tmp/mtu"
	[ "$(cat "/proc/$APP/root/tmp/mtu")" = mtu=0 ]
	nsenter --net="/proc/$SB/ns/net" ip -o link show lo | grep -q 'mtu 1300'
	stop_pod
}

@test "[ctr-drop] drop ALL, add NET_BIND_SERVICE: exactly that one, bounding set included (no CAP_SETPCAP left to drop with)" {
	start_pod --cap-drop ALL --cap-add NET_BIND_SERVICE --app 'app=exec sleep 30'
	assert_privs "$APP" $NONE 0000000000000400 0000000000000400 0000000000000400 $NONE 1
	stop_pod
}

@test "[ctr-drop] runAsUser 1000: runs as 1000 with no capability, the bounding set still dropped" {
	start_pod --user 1000 --app 'app=exec sleep 30'
	grep -qx 'Uid:	1000	1000	1000	1000' "/proc/$APP/status"
	grep -qx 'Gid:	1000	1000	1000	1000' "/proc/$APP/status"
	assert_privs "$APP" $NONE $NONE $NONE $DEFAULT_CAPS $NONE 1
	stop_pod
}

@test "[ctr-drop] the supervisor's inheritable set does not reach the container; allowPrivilegeEscalation leaves no_new_privs off" {
	# CVE-2022-24769: an inheritable capability lets a program with
	# inheritable file capabilities gain it, even as a non-root user
	printf '#!/bin/sh\nexec setpriv --inh-caps +net_admin,+sys_admin %s "$@"\n' "$PODCTL" \
		>"$BATS_TEST_TMPDIR/podctl"
	chmod +x "$BATS_TEST_TMPDIR/podctl"
	PODCTL=$BATS_TEST_TMPDIR/podctl
	start_pod --allow-escalation --app 'app=exec sleep 30'
	grep -qx 'CapInh:	0000000000201000' "/proc/$BG/status" # podctl has NET_ADMIN, SYS_ADMIN
	assert_privs "$APP" $NONE $DEFAULT_CAPS $DEFAULT_CAPS $DEFAULT_CAPS $NONE 0
	stop_pod
}

@test "a capability outside the container's set is refused by the kernel" {
	start_pod --app 'app=ip link set lo mtu 1300; echo "mtu=$?" >/tmp/mtu; exec sleep 30'
	wait_for test -s "/proc/$APP/root/tmp/mtu"
	[ "$(cat "/proc/$APP/root/tmp/mtu")" != mtu=0 ]
	stop_pod
}

@test "kernel knobs stay out of reach: /proc/sys read-only, /proc/keys and /sys/firmware masked" {
	# A root container that could write /proc/sys/kernel/core_pattern would make
	# the HOST run a program of its choice at the next crash: runc's defaults
	# make /proc/sys read-only and mask what leaks the host's keys and firmware.
	# Should the protection be broken, the write must neither harm this host
	# nor outlive the check: a harmless pattern, and the old one put back.
	before=$(cat /proc/sys/kernel/core_pattern)
	cp /proc/sys/kernel/core_pattern "$BATS_TEST_TMPDIR/core_pattern"
	defer "cat '$BATS_TEST_TMPDIR/core_pattern' >/proc/sys/kernel/core_pattern"
	start_pod --app 'app=echo podlab-core 2>/dev/null >/proc/sys/kernel/core_pattern; echo "write=$?" >/tmp/w; exec sleep 30'
	wait_for test -s "/proc/$APP/root/tmp/w"
	[ "$(cat "/proc/$APP/root/tmp/w")" = "write=1" ]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
	# seen from the host, in the container's own mount table
	awk '$5 == "/proc/sys" && $6 ~ /(^|,)ro(,|$)/ {f=1} END {exit !f}' "/proc/$APP/mountinfo"
	for p in /proc/keys /proc/timer_list /sys/firmware; do
		awk -v p="$p" '$5 == p {f=1} END {exit !f}' "/proc/$APP/mountinfo" || {
			echo "$p is not masked"; false; }
	done
	[ -z "$(ls -A "/proc/$APP/root/sys/firmware")" ]
	stop_pod
}

@test "a container joins the pod's net, ipc, uts; has its own mnt and pid (or the pod's pid)" {
	start_pod --app 'app=exec sleep 30'
	for ns in net ipc uts; do
		[ "$(ns_ino "$APP" $ns)" = "$(ns_ino "$SB" $ns)" ]
		[ "$(ns_ino "$APP" $ns)" != "$(ns_ino 1 $ns)" ]
	done
	[ "$(ns_ino "$APP" mnt)" != "$(ns_ino "$SB" mnt)" ]
	[ "$(ns_ino "$APP" pid)" != "$(ns_ino "$SB" pid)" ]
	[ "$(ns_ino "$APP" pid)" != "$(ns_ino 1 pid)" ]
	# its root is its image: busybox's /bin/busybox, not the host's /bin
	[ "$(stat -L -c %i "/proc/$APP/root/bin/busybox")" != "$(stat -L -c %i /bin/sh)" ]
	stop_pod
	rm -rf "$D"
	start_pod --share-pid --app 'app=exec sleep 30'
	[ "$(ns_ino "$APP" pid)" = "$(ns_ino "$SB" pid)" ]
	stop_pod
}

@test "a missing image is reported before anything starts, naming what was looked for" {
	run "$PODCTL" --timeout 20000 --dir "$D" --image busybox:nope --app 'web=true'
	assert_failure 1
	assert_output --partial "container web: "
	assert_output --partial "images/busybox/nope/rootfs"
	nothing_left
}

# --raw after the container it applies to: podctl reads every option first
# (a --raw read as the container came would run it with sh -c: exit 127).
@test "a missing command is reported by the failing step, not as exit 127" {
	run "$PODCTL" --timeout 20000 --dir "$D" --app 'web=sh-nope now' --raw
	assert_failure 1
	assert_output --partial "container web: exec sh-nope: not found in PATH"
	refute_output --partial "event web running"
	nothing_left
}

@test "no process, mount or emptyDir survives a stop in the middle of a run" {
	start_pod --policy Always --sidecar 'side=exec sleep 31' --app 'app=exec sleep 32'
	[ -d "$D/volumes/work" ]
	kill -0 "$APP"
	SIDE=$(sed -n 's/^event side running pid=//p' "$OUT")
	stop_pod
	refute kill -0 "$APP" 2>/dev/null
	refute kill -0 "$SIDE" 2>/dev/null
	refute kill -0 "$SB" 2>/dev/null
	nothing_left
}

# Proven: without end_the_rest (container.c) the first run's sleep 4242 was
# still there after the restart, on the root the restart had deleted.
@test "--share-pid: what a container left running ends with it, before its restart" {
	start_pod --share-pid --policy Always --app 'app=sleep 4242 & exec sleep 30'
	local old
	wait_for pgrep -fx 'sleep 4242'
	old=$(pgrep -fx 'sleep 4242')
	kill -KILL "$APP"
	# the restarted run's own sleep 4242 is there: the first run's is not
	others() { pgrep -fx 'sleep 4242' | grep -vx "$old"; }
	wait_for others
	run pgrep -fx 'sleep 4242'
	assert_output "$(others)"
	[ "$(grep -c '^event app running' "$OUT")" = 2 ]
	stop_pod
	run pgrep -fx 'sleep 4242'
	assert_failure
	nothing_left
}

# ---- ctr-exec-pid: where an exec'd command lands ------------------------------------

# step1_container runs `sh -c 'echo ... as pid $$, in $(readlink
# /proc/$$/ns/pid) ...'` in its container with ctr_exec, and prints the
# container's namespaces as the host sees them. /proc/$$, not /proc/self: the
# $(...) is a child of the shell, and a child of a process that only
# setns()ed is in the new pid namespace even when its parent is not.
exec_line() { # [--share-pid]: the exec's line; $ctr_pidns: the container's pid ns inode
	run "$L4/step1_container" "$@"
	assert_success
	ctr_pidns=$(sed -nE 's/^   pid +host [0-9]+ +pause [0-9]+ +container ([0-9]+) .*/\1/p' <<<"$output")
	[ -n "$ctr_pidns" ]
	exec_out=$(grep '^  | exec: ' <<<"$output")
}

@test "[ctr-exec-pid] an exec'd command is in the container's pid namespace: its own, or the pod's when shared" {
	exec_line
	[[ "$exec_out" == *", in pid:[$ctr_pidns], "* ]] || { echo "$exec_out (container: $ctr_pidns)"; false; }
	exec_line --share-pid
	[[ "$exec_out" == *", in pid:[$ctr_pidns], "* ]] || { echo "$exec_out (container: $ctr_pidns)"; false; }
}

@test "[ctr-exec-pid] an exec'd command's pid is the container's numbering, not the host's" {
	local pid
	exec_line
	pid=$(sed -nE 's/.* as pid ([0-9]+),.*/\1/p' <<<"$exec_out")
	# a new pid namespace counts from 1; the host's pids wrap to 300 at the lowest
	[ -n "$pid" ] && [ "$pid" -lt 300 ] || { echo "$exec_out"; false; }
}

# Proven: with atoi, --until a:x stopped the pod at once and exited 0.
@test "podctl --until NAME:N wants a number of restarts: a usage error otherwise" {
	local bad
	for bad in a:x a: a:-1 :3 a; do
		run "$PODCTL" --processes --dir "$D" --until "$bad" --app 'a=sleep 5'
		assert_failure 2
		assert_output --partial "--until: expected 'running' or NAME:N, got '$bad'"
	done
	[ ! -e "$D" ]
}

# ---- the step programs -----------------------------------------------------------------

@test "step1_container: own mnt and pid namespaces, the pod's net; exec joins it" {
	run "$L4/step1_container"
	assert_success
	assert_line --regexp '^   net .* \(the pod.s\)$'
	assert_line --regexp '^   mnt .* \(its own\)$'
	assert_line --regexp '^   pid .* \(its own\)$'
	assert_line --regexp 'container  00000000a80425fb '
	assert_line --partial "  | exec: in step1-pod"
	run "$L4/step1_container" --share-pid
	assert_success
	assert_line --regexp '^   pid .* \(the pod.s\)$'
}

# Proven: with one slot for each, the last --cap-add and --cap-drop alone
# counted: NET_ADMIN and NET_RAW were not changed.
@test "step1_container: every --cap-add and --cap-drop counts" {
	run "$L4/step1_container" --cap-add NET_ADMIN --cap-add SYS_TIME \
		--cap-drop NET_RAW --cap-drop MKNOD
	assert_success
	# the default a80425fb, NET_ADMIN (12) and SYS_TIME (25) in, NET_RAW (13) and MKNOD (27) out
	assert_line --regexp '^   container +00000000a20415fb '
}

@test "step2_order: the app reads init-1 init-2 init-3 from the emptyDir" {
	run "$L4/step2_order"
	assert_success
	assert_line --partial "the app reads /work/order: init-1 init-2 init-3"
	assert_line "=> pod phase: Succeeded"
}

@test "step3_failure: two failures, an immediate restart and one after a backoff, then the app; --never fails" {
	run "$L4/step3_failure" --fail-times 2
	assert_success
	assert_line --partial "flaky: attempt 3 succeeds"
	assert_line --partial "<- restart 2,"
	# the first failure is restarted at once; the second waits out a backoff
	# (CrashLoopBackOff), and its restart comes no sooner
	assert_line --regexp '^ +[0-9]+ ms  flaky  exit 1 \(Error\)$'
	local wait after
	wait=$(sed -n 's/.*-> CrashLoopBackOff: next start in \([0-9]*\) ms$/\1/p' <<<"$output")
	after=$(sed -n 's/.*<- restart 2, \([0-9]*\) ms after the failure$/\1/p' <<<"$output")
	[ "$wait" -gt 0 ]
	[ "$after" -ge "$wait" ]
	assert_line "=> pod phase: Succeeded; flaky restarted 2 times; app ran"
	run "$L4/step3_failure" --never
	assert_failure 1
	assert_line "=> pod phase: Failed; flaky restarted 0 times; app never started"
	refute_output --partial "app: started"
}

@test "step4_javaweb: tomcat serves the war the init container copied (sha256 matches)" {
	run "$L4/step4_javaweb"
	assert_success
	want=$(sha256sum "$PODLAB_BUILD/images/simple/v2/rootfs/simple.war" | cut -d' ' -f1)
	assert_line --regexp "^=> sha256 of what the client fetched: +$want\$"
	# tomcat's stop is a clean one: its stand-in's shell reports nothing
	refute_line Terminated
}

@test "native sidecar: runs beside the app and is stopped after it" {
	run "$PODCTL" --timeout 20000 --dir "$D" --policy Never --grace 100 \
		--sidecar 'side=exec sleep 30' --init 'setup=true' --app 'app=sleep 0.2'
	assert_success
	assert_line "phase=Succeeded"
	[ "$(line_no 'event side running')" -lt "$(line_no 'event setup running')" ]
	[ "$(line_no 'event app terminated')" -lt "$(line_no 'event side terminated')" ]
	# sleep is PID 1 of its pid namespace with no SIGTERM handler: only SIGKILL ends it
	[ "$(field side reason)" = SIGKILL ]
	[ "$(field side restarts)" = 0 ]
	nothing_left
	run "$L4/step5_native_sidecar"
	assert_success
	assert_line "=> pod phase: Succeeded; heartbeat ended with Completed after the app"
}
