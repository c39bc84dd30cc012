#!/usr/bin/env bats
# LAB: 06 cgroups: what a Pod may use
#
# Every check looks at the kernel: /proc/PID/cgroup, the limit files, the
# OOM and throttling counters, pids.current, and opens of device nodes made
# with mknod from a shell the check itself puts into the cgroup (and the
# unit tests of cg_oom_kills, for the layout this host does not have). Programs
# run with --hold keep their cgroups until their stdin closes. Each check
# names its cgroups lab6t<pid>-<n>; teardown kills what is left in them,
# removes them, and fails the check if anything was left.

load helpers

L6=
setup() {
	require_root
	L6=$(bin 06-cgroups)
	L6=${L6%/}
	N=lab6t$$-$BATS_TEST_NUMBER
}

# Every directory named $N in any cgroup hierarchy (the memory cgroup of
# this process may be deep: /sys/fs/cgroup/memory/some/where/$N).
cg_dirs() {
	find /sys/fs/cgroup -mindepth 1 -maxdepth 7 -type d -name "$N" 2>/dev/null
}

teardown() {
	run_deferred
	local d left
	left=$(cg_dirs)
	for d in $left; do
		find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		sleep 0.1
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	if [ -n "$left" ]; then
		echo "left behind: $left" >&2
		return 1
	fi
	! ls -d /tmp/lab6-dev.* 2>/dev/null | grep -q . || {
		echo "left behind: $(ls -d /tmp/lab6-dev.*)" >&2
		return 1
	}
}

# value OUTFILE PREFIX: the rest of the line that starts with "PREFIX: "
value() {
	sed -n "s|^$2: ||p" "$1" | head -1
}

# key FILE KEY: the number after "KEY " in a flat keyed cgroup file
key() {
	awk -v k="$2" '$1 == k {print $2}' "$1"
}

# cg_of PID CONTROLLER: the cgroup path of PID in the hierarchy of CONTROLLER
cg_of() {
	awk -F: -v c="$2" '{n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3}' \
		"/proc/$1/cgroup"
}

# in_cgroup DIR CMD: run CMD (bash) in a shell that first enters cgroup DIR
in_cgroup() {
	bash -c 'echo 0 >"$1/cgroup.procs" && eval "$2"' _ "$1" "$2"
}

# ---- step 1: the layout ---------------------------------------------------------

@test "step1: every controller's cgroup is the one /proc/self/cgroup names, in its own mount" {
	run "$L6/step1_hierarchy"
	assert_success
	local layout
	layout=$(sed -n 's/^layout: //p' <<<"$output")
	if grep -q ' - cgroup ' /proc/self/mountinfo; then
		[ "$layout" = v1 ] || [ "$layout" = hybrid ]
	else
		[ "$layout" = v2 ]
	fi
	local c dir want
	for c in memory cpu cpuacct pids devices; do
		dir=$(awk -v c="$c" '$1 == c {print $3}' <<<"$output")
		if [ "$layout" = v2 ]; then
			want=$(sed -n 's/^0:://p' /proc/$$/cgroup)
		else
			want=$(cg_of $$ "$c")
		fi
		# the directory exists, is a cgroup, and is this process's cgroup
		[ -d "$dir" ]
		[ "${dir%"$want"}" != "$dir" ] || [ "$want" = / ]
		grep -qx "$$" "$dir/cgroup.procs" || fail "$$ not in $dir/cgroup.procs"
	done
}

# ---- step 2: memory ---------------------------------------------------------------

@test "[cg-oom] step2: past the memory limit the process is killed, and the kill is counted" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step2_memory" --memory 32M --alloc 128M --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "memory cgroup")
	[ -d "$dir" ]
	grep -q "process [0-9]* killed by SIGKILL" "$BATS_TEST_TMPDIR/out"
	local kernel
	if [ -f "$dir/memory.events" ]; then
		kernel=$(key "$dir/memory.events" oom_kill)
	else
		kernel=$(key "$dir/memory.oom_control" oom_kill)
	fi
	[ "$kernel" -ge 1 ]
	grep -q "^oom_kill $kernel, reason: OOMKilled$" "$BATS_TEST_TMPDIR/out" ||
		fail "the kernel counted $kernel OOM kills; the step said: $(grep oom_kill "$BATS_TEST_TMPDIR/out")"
	release
}

@test "[cg-oom] step2: under the limit nothing is killed and nothing is counted" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step2_memory" --memory 64M --alloc 8M --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "memory cgroup")
	grep -q "exited with status 0" "$BATS_TEST_TMPDIR/out"
	grep -q "^oom_kill 0, reason: Completed$" "$BATS_TEST_TMPDIR/out"
	release
}

# The checks above read the kernel's count on this host's layout only (v1's
# memory.oom_control here, memory.events on a v2 runner): the unit tests give
# cg_oom_kills the other file too, on a scratch tree.
@test "[cg-oom] unit tests cg_oom/*: oom_kill of memory.events (v2) and of memory.oom_control (v1)" {
	run "$PODLAB_BUILD/tests/unit/test_cgroup" --jobs 1 --filter 'cg_oom/*'
	assert_success
	assert_output --partial 'Tested: 2 | Passing: 2'
}

@test "step2: the limit is in the kernel's file, in bytes" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step2_memory" --memory 48M --alloc 1M --cgroup "$N"
	local f
	f=$(value "$BATS_TEST_TMPDIR/out" "limit file")
	run cat "$f"
	assert_output $((48 << 20))
	release || true # its last line needs cg-oom: graded above
}

# ---- step 3: cpu ------------------------------------------------------------------

# v1 cpu.shares/cfs_quota_us or v2 cpu.weight/cpu.max of DIR
cpu_quota() {
	if [ -f "$1/cpu.max" ]; then awk '{print $1}' "$1/cpu.max"; else cat "$1/cpu.cfs_quota_us"; fi
}
cpu_period() {
	if [ -f "$1/cpu.max" ]; then awk '{print $2}' "$1/cpu.max"; else cat "$1/cpu.cfs_period_us"; fi
}
cpu_shares() {
	if [ -f "$1/cpu.weight" ]; then cat "$1/cpu.weight"; else cat "$1/cpu.shares"; fi
}

@test "[cg-cpu] step3: 250m request, 500m limit: shares 256 (weight 35), quota 50 ms per 100 ms, and throttling" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step3_cpu" --cpu-request 250 --cpu-limit 500 --cgroup "$N"
	local dir pid
	dir=$(value "$BATS_TEST_TMPDIR/out" "cpu cgroup")
	pid=$(sed -n 's/^spinning process //p' "$BATS_TEST_TMPDIR/out")
	[ "$(cg_of "$pid" cpu)" = "$(cg_of $$ cpu | sed 's|/$||')/$N" ] || [ -f "$dir/cpu.max" ]
	if [ -f "$dir/cpu.weight" ]; then
		assert_equal "$(cpu_shares "$dir")" 35 # 1 + 254 * 9999 / 262142 = 10 before 2025
	else
		assert_equal "$(cpu_shares "$dir")" 256
	fi
	assert_equal "$(cpu_quota "$dir")" 50000
	assert_equal "$(cpu_period "$dir")" 100000
	# A process that spins is stopped each period once its 50 ms are used,
	# if it gets them: beside the processes of a busy machine (make test
	# runs its suites side by side) the request's 256 shares may give it
	# less than 50 ms a period, and then the quota never bites. The shares
	# are asserted above; raised to the most, the quota alone bounds it.
	if [ -f "$dir/cpu.weight" ]; then echo 10000 >"$dir/cpu.weight"; else echo 262144 >"$dir/cpu.shares"; fi
	throttled_above() { [ "$(key "$dir/cpu.stat" nr_throttled)" -gt "$1" ]; }
	wait_for throttled_above 0
	local first
	first=$(key "$dir/cpu.stat" nr_throttled)
	wait_for throttled_above "$first"
	release
}

@test "[cg-cpu] step3: a limit alone is the request too; 5m is the minimum quota of 1 ms" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step3_cpu" --cpu-limit 5 --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "cpu cgroup")
	if [ -f "$dir/cpu.weight" ]; then
		assert_equal "$(cpu_shares "$dir")" 2 # 5 shares; the minimum 2 would be weight 1
	else
		assert_equal "$(cpu_shares "$dir")" 5
	fi
	assert_equal "$(cpu_quota "$dir")" 1000
	release
}

@test "[cg-cpu] step3: 2 CPUs of limit with a 100m request: shares 102, quota 200 ms per period" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step3_cpu" --cpu-request 100 --cpu-limit 2000 --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "cpu cgroup")
	if [ -f "$dir/cpu.weight" ]; then
		assert_equal "$(cpu_shares "$dir")" 17
	else
		assert_equal "$(cpu_shares "$dir")" 102
	fi
	assert_equal "$(cpu_quota "$dir")" 200000
	release
}

# A limit of 0 is no limit: no quota at all, not the 1 ms minimum (which would
# hold an unlimited container to 1% of a CPU). Nothing requested and nothing
# limited is the minimum of 2 shares (the kernel would raise a 0 to 2 in v1's
# cpu.shares itself, so the step's own line says what the module computed).
@test "[cg-cpu] step3: no limit is no quota, not the minimum one; no request and no limit is 2 shares" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step3_cpu" --cpu-request 250 --cpu-limit 0 --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "cpu cgroup")
	if [ -f "$dir/cpu.max" ]; then
		assert_equal "$(cpu_quota "$dir")" max
		assert_equal "$(cpu_shares "$dir")" 35
	else
		assert_equal "$(cpu_quota "$dir")" -1
		assert_equal "$(cpu_shares "$dir")" 256
	fi
	release
	run "$L6/step3_cpu" --cpu-limit 0 --spin-ms 1 --cgroup "$N"
	assert_success
	assert_line "request 0m, limit 0m -> shares 2 (v2 weight 1), quota -1 us per 100000 us"
}

# `step3_cpu | head -1`: the reader goes away after a line, and a write to
# a pipe nobody reads raises SIGPIPE, which would kill the step at its next
# flush, between making the cgroup and removing it (labs/common/interrupt.h).
# Here the pipe has no reader from the start, so that every write fails.
@test "step3: a reader that went away (| head -1) does not leave the cgroup behind" {
	run python3 -c 'import os, signal, sys
r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # python ignores it, and execv keeps that
os.execv(sys.argv[1], sys.argv[1:])' "$L6/step3_cpu" --cgroup "$N" --spin-ms 100
	[ "$status" = 1 ] || fail "exit status $status, not 1 (141: killed by SIGPIPE): $output"
	assert_output --partial "interrupted by SIGPIPE (everything it made was removed first)"
	run cg_dirs
	assert_output ""
}

# ---- step 4: pids -----------------------------------------------------------------

@test "step4: a fork bomb stops at pids.max, and removing the cgroup kills it all" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step4_pids" --max 8 --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "pids cgroup")
	grep -q "fork failed inside the cgroup: Resource temporarily unavailable" "$BATS_TEST_TMPDIR/out"
	assert_equal "$(cat "$dir/pids.max")" 8
	# (a function: wait_for runs it again at each try, $(...) in its words once)
	pids_are() { [ "$(cat "$dir/pids.current")" = "$1" ]; }
	wait_for pids_are 8 || true
	assert_equal "$(cat "$dir/pids.current")" 8
	[ "$(key "$dir/pids.events" max)" -ge 1 ]
	local procs
	procs=$(cat "$dir/cgroup.procs")
	[ "$(wc -w <<<"$procs")" = 8 ]
	release
	local p
	for p in $procs; do
		[ ! -e "/proc/$p" ] || [ "$(cg_of "$p" pids)" != "$(cg_of $$ pids | sed 's|/$||')/$N" ]
	done
	[ ! -d "$dir" ]
}

# ---- step 5: devices --------------------------------------------------------------

# devices_refused DIR: in cgroup DIR, mknod of any node works (the default's
# "c *:* m" and "b *:* m"), but mknod is all those rules give: opening 10:237
# for reading, writing or both is refused. A rule is its type, major and minor
# together: c 1:11 (/dev/kmsg) shares its major with the allowed 1:3, b 1:3 its
# numbers, and both are refused; /dev/null, /dev/zero and /dev/ptmx open. The
# host opens the same 10:237 node.
devices_refused() {
	local node=$BATS_TEST_TMPDIR/lc
	run in_cgroup "$1" "mknod $node c 10 237 && echo made"
	assert_output made
	run in_cgroup "$1" "exec 3<>$node && echo opened"
	assert_failure
	assert_output --partial "Operation not permitted"
	run in_cgroup "$1" "exec 3<$node && echo opened"
	assert_failure
	assert_output --partial "Operation not permitted"
	run in_cgroup "$1" "exec 3>$node && echo opened"
	assert_failure
	assert_output --partial "Operation not permitted"
	run in_cgroup "$1" "exec 3<>/dev/null && exec 4</dev/zero && exec 5<>/dev/ptmx && echo opened"
	assert_output opened
	# same major as /dev/null, another minor: the host's node and one made inside
	run in_cgroup "$1" "exec 3</dev/kmsg && echo opened"
	assert_failure
	assert_output --partial "Operation not permitted"
	run in_cgroup "$1" "mknod $node-k c 1 11 && echo made && exec 3<>$node-k && echo opened"
	assert_failure
	assert_line made
	assert_output --partial "Operation not permitted"
	# the numbers of /dev/null, but a block device: refused before any driver is asked
	run in_cgroup "$1" "mknod $node-b b 1 3 && echo made && exec 3<$node-b && echo opened"
	assert_failure
	assert_line made
	assert_output --partial "Operation not permitted"
	run in_cgroup "$1" "exec 3<>$node-b && echo opened"
	assert_failure
	assert_output --partial "Operation not permitted"
	# the host is not in the cgroup: the same node opens
	run bash -c "exec 3<>$node && echo opened"
	assert_output opened
	rm -f "$node" "$node-k" "$node-b"
}

@test "step5 v1: devices.list is the default set; mknod works, open of 10:237 is refused" {
	[ -d /sys/fs/cgroup/devices ] || skip "no v1 devices controller on this host"
	hold "$BATS_TEST_TMPDIR/out" "$L6/step5_devices" --mode v1 --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "devices cgroup")
	run sort "$dir/devices.list"
	assert_output "$(printf '%s\n' 'b *:* m' 'c *:* m' 'c 1:3 rwm' 'c 1:5 rwm' 'c 1:7 rwm' \
		'c 1:8 rwm' 'c 1:9 rwm' 'c 136:* rwm' 'c 5:0 rwm' 'c 5:2 rwm' | sort)"
	grep -q "inside: open(.*loop-control, O_RDWR): Operation not permitted" "$BATS_TEST_TMPDIR/out"
	grep -q "host: open(.*loop-control, O_RDWR): ok" "$BATS_TEST_TMPDIR/out"
	devices_refused "$dir"
	release
}

# reads_kmsg_only DIR: in cgroup DIR, with the default set and "a 1:11 r":
# /dev/kmsg (c 1:11) opens for reading, not for writing nor for both; a
# b 1:11 node is not refused for reading by the cgroup (its driver, if any,
# answers) but is for writing; 10:237, another device, stays refused.
reads_kmsg_only() {
	local node=$BATS_TEST_TMPDIR/lc
	run in_cgroup "$1" "exec 3</dev/kmsg && echo opened"
	assert_output opened
	run in_cgroup "$1" "exec 3>/dev/kmsg && echo opened"
	assert_failure
	assert_output --partial "Operation not permitted"
	run in_cgroup "$1" "exec 3<>/dev/kmsg && echo opened"
	assert_failure
	assert_output --partial "Operation not permitted"
	run in_cgroup "$1" "mknod $node c 10 237 && echo made && exec 3<$node && echo opened"
	assert_failure
	assert_line made
	assert_output --partial "Operation not permitted"
	run in_cgroup "$1" "mknod $node-b b 1 11 && echo made && exec 3>$node-b && echo opened"
	assert_failure
	assert_line made
	assert_output --partial "Operation not permitted"
	run in_cgroup "$1" "exec 3<$node-b && echo opened"
	refute_output --partial "Operation not permitted"
	rm -f "$node" "$node-b"
}

# v1 reads any devices.allow line that starts with "a" as "a *:* rwm", numbers
# and access whatever they are: the rule is written as its 'c' and 'b' rules,
# and allows what the BPF program allows for it.
@test "step5 v1 --allow 'a 1:11 r': c 1:11 and b 1:11 for reading, not every device" {
	[ -d /sys/fs/cgroup/devices ] || skip "no v1 devices controller on this host"
	hold "$BATS_TEST_TMPDIR/out" "$L6/step5_devices" --mode v1 --allow 'a 1:11 r' --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "devices cgroup")
	run cat "$dir/devices.list"
	refute_line 'a *:* rwm'
	assert_line 'c 1:11 r'
	assert_line 'b 1:11 r'
	reads_kmsg_only "$dir"
	release
}

@test "step5 bpf --allow 'a 1:11 r': the program allows what v1 allows for it" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step5_devices" --mode bpf --allow 'a 1:11 r' --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "unified cgroup")
	[ -d "$dir" ]
	reads_kmsg_only "$dir"
	release
}

@test "[cg-devrule] step5 bpf: the BPF program refuses 10:237, c 1:11 and b 1:3, allows mknod and the default devices" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step5_devices" --mode bpf --cgroup "$N"
	local dir
	dir=$(value "$BATS_TEST_TMPDIR/out" "unified cgroup")
	[ -d "$dir" ]
	devices_refused "$dir"
	release
}

# A rule that allows some accesses, not all: "c 10:237 rm" lets an open for
# reading through (it asks for r alone), but not one for reading and writing
# (it asks for r and w at once, and w is not allowed) nor for writing. A rule
# that matches when any bit asked for is allowed, or only when the bits are
# exactly the rule's, gets one of them wrong: the default set cannot tell,
# its rules allow m alone or all of rwm.
@test "[cg-devrule] step5 bpf --allow 'c 10:237 rm': an open for reading is allowed, one that also writes is not" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step5_devices" --mode bpf --allow 'c 10:237 rm' --cgroup "$N"
	local dir node=$BATS_TEST_TMPDIR/lc
	dir=$(value "$BATS_TEST_TMPDIR/out" "unified cgroup")
	[ -d "$dir" ]
	run in_cgroup "$dir" "mknod $node c 10 237 && echo made && exec 3<$node && echo opened"
	assert_output "$(printf 'made\nopened')"
	run in_cgroup "$dir" "exec 3<>$node && echo opened"
	assert_failure
	assert_output --partial "Operation not permitted"
	run in_cgroup "$dir" "exec 3>$node && echo opened"
	assert_failure
	assert_output --partial "Operation not permitted"
	rm -f "$node"
	release
}

@test "[cg-devrule] step5 bpf --privileged: the program allows a device the default refuses (10:237)" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step5_devices" --mode bpf --privileged --cgroup "$N"
	local dir node=$BATS_TEST_TMPDIR/lc
	dir=$(value "$BATS_TEST_TMPDIR/out" "unified cgroup")
	run in_cgroup "$dir" "mknod $node c 10 237 && exec 3<>$node && echo opened"
	assert_output opened
	rm -f "$node"
	release
}

# ---- step 6: the pod ----------------------------------------------------------------

@test "step6: burstable containers sit in ROOT/burstable/pod-NAME/CTR in every hierarchy, beneath ours" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step6_pod" --qos burstable --root "$N"
	grep -q "QoS class Burstable" "$BATS_TEST_TMPDIR/out"
	local app log c mine
	app=$(sed -n 's/^container app pid \([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/out")
	log=$(sed -n 's/^container log pid \([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/out")
	for c in memory cpu pids devices; do
		mine=$(cg_of $$ "$c" | sed 's|/$||')
		assert_equal "$(cg_of "$app" "$c")" "$mine/$N/burstable/pod-javaweb/app"
		assert_equal "$(cg_of "$log" "$c")" "$mine/$N/burstable/pod-javaweb/log"
	done
	local mem pod
	mem=$(cg_dirs | grep '/memory/' | head -1)
	pod=$mem/burstable/pod-javaweb
	# the pod's limit: 1Gi + 512Mi, both containers have one
	assert_equal "$(cat "$pod/memory.limit_in_bytes")" $((1536 << 20))
	assert_equal "$(cat "$pod/app/memory.limit_in_bytes")" $((1 << 30))
	local cpu
	cpu=$(cg_dirs | grep '/cpu/' | head -1)
	assert_equal "$(cat "$cpu/burstable/pod-javaweb/cpu.shares")" 614 # 600m
	assert_equal "$(cat "$cpu/burstable/pod-javaweb/log/cpu.shares")" 102
	assert_equal "$(cat "$cpu/burstable/pod-javaweb/cpu.cfs_quota_us")" -1
	# the class weighs its pods' requests, as kubelet's QoS manager sets it:
	# the one pod's 600m, not the default 1024
	assert_equal "$(cat "$cpu/burstable/cpu.shares")" 614
	grep -q "^  $N/burstable  *cpu.shares  *614  (the class: its pods' CPU requests)$" \
		"$BATS_TEST_TMPDIR/out"
	# what the step says of them: no quota is "none", not -1
	grep -q "^  $N/burstable/pod-javaweb  *cpu.shares  *614  quota  *none  memory limit 1536 MiB$" \
		"$BATS_TEST_TMPDIR/out"
	release
	[ ! -e "/proc/$app" ]
}

@test "step6: a Guaranteed pod sits directly under the root, with a quota of the sum of its limits" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step6_pod" --qos guaranteed --root "$N"
	grep -q "QoS class Guaranteed" "$BATS_TEST_TMPDIR/out"
	local app
	app=$(sed -n 's/^container app pid \([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/out")
	assert_equal "$(cg_of "$app" pids)" "$(cg_of $$ pids | sed 's|/$||')/$N/pod-javaweb/app"
	local cpu
	cpu=$(cg_dirs | grep '/cpu/' | head -1)
	assert_equal "$(cat "$cpu/pod-javaweb/cpu.cfs_quota_us")" 75000
	assert_equal "$(cat "$cpu/pod-javaweb/app/cpu.cfs_quota_us")" 50000
	release
}

@test "step6: a tree left by a run killed with SIGKILL is removed by a later --remove, processes and all" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step6_pod" --qos besteffort --root "$N"
	# the besteffort class has the minimum weight, 2 shares, not the default
	# 1024: all BestEffort pods together weigh next to nothing
	assert_equal "$(cat "$(cg_dirs | grep '/cpu/' | head -1)/besteffort/cpu.shares")" 2
	local app log
	app=$(sed -n 's/^container app pid \([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/out")
	log=$(sed -n 's/^container log pid \([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/out")
	kill -KILL "$HELD"
	wait "$HELD" || true
	HOLD_FD= # nothing to release
	exec {HOLD_FD}>&- 2>/dev/null || true
	HOLD_FD=
	# the runner is gone; its containers and its cgroups are not
	kill -0 "$app"
	[ -n "$(cg_dirs)" ]
	run "$L6/step6_pod" --remove "$N"
	assert_success
	wait_for bash -c "! kill -0 $app && ! kill -0 $log"
	run cg_dirs
	assert_output ""
}

@test "step6: a run removes only what it made: a pod beside it in the same root stays, an existing pod is refused" {
	hold "$BATS_TEST_TMPDIR/out" "$L6/step6_pod" --root "$N" --name one
	local app mine
	app=$(sed -n 's/^container app pid \([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/out")
	mine=$(cg_of $$ pids | sed 's|/$||')
	# a second pod in the same root comes and goes; the first is untouched
	run "$L6/step6_pod" --root "$N" --name two
	assert_success
	# the class is the first run's, set for its pods: the second keeps it
	assert_line --regexp "^  $N/burstable +kept: another's class"
	assert_equal "$(cat "$(cg_dirs | grep '/cpu/' | head -1)/burstable/cpu.shares")" 614
	kill -0 "$app"
	assert_equal "$(cg_of "$app" pids)" "$mine/$N/burstable/pod-one/app"
	# the same pod again would remove the first one's at its end: refused
	run "$L6/step6_pod" --root "$N" --name one
	assert_failure 1
	assert_output --partial "exists already"
	kill -0 "$app"
	assert_equal "$(cg_of "$app" pids)" "$mine/$N/burstable/pod-one/app"
	release
	[ ! -e "/proc/$app" ]
	# the first run made the root and the QoS directory: it removed them
	run cg_dirs
	assert_output ""
}

@test "step6: the default root is the run's own, lab6-PID, and goes with it" {
	run "$L6/step6_pod" --qos besteffort
	assert_success
	local root
	root=$(sed -n 's|^container app pid [0-9]* in \(lab6-[0-9]*\)/besteffort/pod-javaweb/app$|\1|p' \
		<<<"$output")
	[ -n "$root" ] || fail "no lab6-PID root in: $output"
	run find /sys/fs/cgroup -mindepth 1 -maxdepth 7 -type d -name "$root"
	assert_output ""
}

# The kernel's own ranking: /proc/PID/oom_score of two processes that use
# as much memory, each with the oom_score_adj kubelet gives the study
# note's containers on this node. Below the step's own value the kernel
# wants CAP_SYS_RESOURCE, which some machines' root lacks: the step says so.
@test "step7: oom_score_adj by QoS: the Burstable container that asked for less scores higher; BestEffort 1000; Guaranteed -997 or the step's own" {
	local mem app log
	mem=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024))
	run "$L6/step7_oomscore" --qos burstable --use 8M
	assert_success
	# kubelet's formula, on this node: 1000 - 1000 * request / MemTotal
	app=$((1000 - 1000 * 1073741824 / mem))
	log=$((1000 - 1000 * 268435456 / mem))
	assert_line "App: memory request 1024 MiB -> kubelet's oom_score_adj $app"
	assert_line --regexp "^=> App, pid [0-9]+, uses 8 MiB: oom_score_adj $app, oom_score [0-9]+$"
	assert_line --regexp "^=> LogController, pid [0-9]+, uses 8 MiB: oom_score_adj $log, oom_score [0-9]+$"
	assert_line "the OOM killer would take LogController first (oom_score $(sed -n 's/^=> LogController.*oom_score \([0-9]*\)$/\1/p' <<<"$output"))"
	run "$L6/step7_oomscore" --qos besteffort
	assert_success
	assert_line --regexp "^=> App, .*: oom_score_adj 1000, oom_score [0-9]+$"
	assert_line --regexp "^=> LogController, .*: oom_score_adj 1000, oom_score [0-9]+$"
	run "$L6/step7_oomscore" --qos guaranteed
	assert_success
	if (($((16#$(awk '/^CapEff/ {print $2}' /proc/self/status))) >> 24 & 1)); then
		assert_line --regexp "^=> App, .*: oom_score_adj -997, oom_score [0-9]+$"
	else
		assert_line --regexp "^=> App, .*: oom_score_adj $(cat /proc/self/oom_score_adj) \(not -997: no CAP_SYS_RESOURCE"
	fi
}

# A --cgroup that exists is another's: made by hand, a pod's, a step's still
# running. Steps 2 to 5 kill what is in their cgroup and remove it at the end,
# so one that exists in any hierarchy (here the pids one alone) is refused, and
# what runs in it runs on.
@test "steps 2 to 5 refuse a --cgroup that exists in any hierarchy, and leave it and its process alone" {
	local victim sleeper s
	victim=$("$L6/step1_hierarchy" | awk '$1 == "pids" {print $3}')/$N
	mkdir "$victim"
	sleep 300 3>&- &
	sleeper=$!
	defer "kill -KILL $sleeper; wait $sleeper; rmdir $victim"
	echo "$sleeper" >"$victim/cgroup.procs"
	for s in "step2_memory --alloc 1M" "step3_cpu --spin-ms 1" step4_pids step5_devices; do
		run $L6/$s --cgroup "$N"
		assert_failure 2
		assert_output --partial "cgroup $N exists already"
		kill -0 "$sleeper" || fail "$s killed the process in $victim"
		assert_equal "$(cat "$victim/cgroup.procs")" "$sleeper"
		run cg_dirs
		assert_output "$victim"
	done
}

# A step removes the one cgroup it made: a --cgroup "a/b" would leave "a"
# behind in every hierarchy, so a name with '/' is refused like one that
# could climb out ("../x"), before anything is made.
@test "steps 2 to 5: --cgroup is one name: '../x' and 'NAME/b' are usage errors, and nothing is made" {
	local s
	for s in "step2_memory --alloc 1M" "step3_cpu --spin-ms 1" step4_pids step5_devices; do
		run $L6/$s --cgroup ../x
		assert_failure 2
		assert_output --partial "'..'"
		run $L6/$s --cgroup "$N/b"
		assert_failure 2
		assert_output --partial "'$N/b' is not one name"
		run cg_dirs
		assert_output ""
	done
}

@test "usage errors exit 2 and name the value" {
	run "$L6/step2_memory" --memory lots
	assert_failure 2
	assert_output --partial "'lots'"
	run "$L6/step3_cpu" --cpu-limit -5
	assert_failure 2
	# the API server refuses a request above the limit: shares of 500m with
	# the quota of 200m
	run "$L6/step3_cpu" --cpu-request 500 --cpu-limit 200 --spin-ms 1
	assert_failure 2
	assert_output --partial "request must be less than or equal to limit"
	run "$L6/step5_devices" --mode v3
	assert_failure 2
	assert_output --partial "'v3'"
	run "$L6/step5_devices" --allow 'c 10:237 rx'
	assert_failure 2
	assert_output --partial "'c 10:237 rx'"
	run "$L6/step6_pod" --remove ../escape
	assert_failure 2
	assert_output --partial "'..'"
	run "$L6/step7_oomscore" --qos silver
	assert_failure 2
	assert_output --partial "'silver'"
}
