#!/usr/bin/env bats
# The benchmarks (make bench-podrun, bench-scale, bench-steps) as an
# instructor runs them, with the fewest rounds they take: each runs through,
# prints a number for every row and PASS, MISS or SKIP for every goal, and
# leaves nothing on the host - nor when it is stopped halfway. Their numbers
# are not checked here: speed is for the benchmarks to measure, never for a
# test (the machine is shared and noisy).

load ../helpers
load podrun

setup() {
	require_root
	[ -x "$PODRUN_BIN" ] || skip "podrun is not built (make build-capstone)"
	require_images
	# the bench's directory (its state and data roots, an ext4 image) in
	# one of the test's own; its pods on the lane's bridge and subnet, as
	# every capstone test's, under a cgroup root of the test's own
	BENCH_TMP=$(mktemp -d /tmp/podlab-bench-test.XXXXXX)
	export TMPDIR=$BENCH_TMP
	export BENCH_BRIDGE=$TEST_BRIDGE BENCH_SUBNET=$TEST_SUBNET BENCH_CGROUP=${BENCH_TMP##*/}
	defer remove_bench_dirs
}

# After a failed test, what its bench may have left: the pods of each bench
# directory, then every mount beneath the test's directory, and the directory.
remove_bench_dirs() {
	local d
	for d in "$BENCH_TMP"/podlab-*/; do
		[ -d "$d/root" ] && podrun_remove_all "${d}root" "${d}data"
	done
	podrun_remove_all "$BENCH_TMP" "$BENCH_TMP"
}

# Nothing of the bench is left: its directory and mounts, its pods (their
# cgroups hold any process of theirs), its bridge.
assert_bench_clean() {
	local left
	left=$(ls -A "$BENCH_TMP")
	if [ -n "$left" ]; then
		echo "left in $BENCH_TMP: $left"
		return 1
	fi
	if grep -q " $BENCH_TMP/" /proc/self/mountinfo; then
		echo "mounts left:"
		grep " $BENCH_TMP/" /proc/self/mountinfo
		return 1
	fi
	left=$(PODRUN_CGROUP=$BENCH_CGROUP pod_cgroups)
	if [ -n "$left" ]; then
		echo "cgroups left: $left"
		return 1
	fi
	if ip link show "$TEST_BRIDGE" >/dev/null 2>&1; then
		echo "bridge left: $TEST_BRIDGE"
		return 1
	fi
}

bench() { # SCRIPT: run capstone/SCRIPT, its output into $output
	run bash "$PODLAB_SRC/capstone/$1"
	printf '%s\n' "$output"
}

# A goal line of the bench's: "PASS TEXT...", MISS or SKIP, TEXT verbatim.
assert_goal() { # TEXT
	grep -E '^ *(PASS|MISS|SKIP) ' <<<"$output" | grep -qF -- " $1" ||
		{ echo "no PASS, MISS or SKIP line for: $1"; return 1; }
}

@test "make bench-podrun, one round: every row measured, every goal PASS, MISS or SKIP, nothing left" {
	BENCH_RUNS=1 bench bench.sh
	assert_success
	assert_line --regexp '^  floor: unshare .* [0-9]+\.[0-9]+ ms$'
	assert_line --regexp "^  podrun run, 1 container 'true', no network +[0-9]+\.[0-9]+ ms +[0-9]+\.[0-9]+x floor$"
	assert_line --regexp '^  podrun rm -f, the last pod .* [0-9]+\.[0-9]+ ms +[0-9]+\.[0-9]+x floor$'
	assert_line --regexp '^  supervisor VmRSS, one running 2-container pod +[1-9][0-9]* kB$'
	# the link placed supervisor.ld's sections (none when it matches nothing)
	assert_line --regexp "^    the supervisor's code and data, placed together +[1-9][0-9]* kB$"
	local goal
	for goal in "one container, no network, to completion <= crun" \
		"with the pod network <= 1.5x without (bridge kept)" \
		"with the pod network <= 1.5x without (the only pod)" \
		"rm -f, another pod on the bridge <= 10x floor" \
		"rm -f, the last pod <= 10x floor" \
		"supervisor VmRSS <= 1024 kB per pod" \
		"what a pod holds alone (supervisor + pause) <= 1024 kB"; do
		assert_goal "$goal"
	done
	assert_bench_clean
}

@test "make bench-scale, three pods: every goal PASS or MISS, nothing left" {
	SCALE_N=3 bench bench-scale.sh
	assert_success
	assert_line --regexp '^ +3 +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2} '
	# crun's start beside the pods over beside none, where crun is installed
	if command -v crun >/dev/null && command -v jq >/dev/null; then
		assert_line --regexp "^  N=3: [0-9]+\.[0-9]{2}, where podrun's starts went [0-9]+\.[0-9]{2} "
	else
		assert_line --partial "bench-scale: no crun witness"
	fi
	local goal
	for goal in "the Nth start within 1.2x the first" "every rm -f within 10x the floor" \
		"podrun ps under 50 ms" "supervisor VmRSS <= 1024 kB per pod" \
		"what a supervisor holds alone <= 1024 kB per pod"; do
		assert_goal "$goal"
	done
	assert_bench_clean
}

@test "make bench-steps, one run: both tables with their totals, nothing left" {
	command -v strace >/dev/null || skip "strace is not installed (scripts/deps.sh)"
	STEPS_RUNS=1 bench bench-steps.sh
	assert_success
	assert_line --regexp '^\| container: execve, the command looked for in PATH +\| +[0-9]+\.[0-9]+ \|'
	# every step's marker still found: a step whose syscall changed (the
	# sandbox's /dev/shm, mount(2) then fsopen(2)) lost its row, its time
	# going to the step before
	assert_line --regexp '^\| sandbox: its /dev/shm \(a tmpfs\) +\| +[0-9]+\.[0-9]+ \| +[0-9.]+% \| +[0-9]+\.[0-9]+ \|'
	assert_line --regexp '^\| stop pause \(SIGTERM, reap\) +\| +[0-9]+\.[0-9]+ \|'
	[ "$(grep -cE '^\| total, not traced \(median of as many runs\) +\| +[0-9]+\.[0-9]+ \|' <<<"$output")" = 2 ]
	assert_bench_clean
}

# bench-lib.sh's trap: SIGTERM (a background job ignores SIGINT; Ctrl-C at a
# terminal takes the same way out) while the bench's pods run.
@test "make bench-podrun stopped halfway by SIGTERM leaves nothing either" {
	BENCH_RUNS=50 bash "$PODLAB_SRC/capstone/bench.sh" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	defer "kill $pid 2>/dev/null || true"
	pods() { compgen -G "$BENCH_TMP/podlab-bench-podrun.*/root/pods/*" >/dev/null; }
	wait_for pods
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 143 ] || { cat "$BATS_TEST_TMPDIR/out"; false; }
	assert_bench_clean
}

# make supervisor-layout as a maintainer runs it, into a file of the test's:
# the layout names the supervisor's loop, and the function it returns into
# from the fork without entering it; its data goes after .rodata (before,
# it would land in the code segment); and nothing of the trace is left: no
# uprobe, no tracing instance, rcu_expedited as it was.
@test "make supervisor-layout: the supervisor's functions placed, and no probe left" {
	[ -r "$PODLAB_BUILD/capstone/podrun.map" ] || skip "podrun was linked without its map (SAN=1)"
	local tracefs=/sys/kernel/tracing rcu
	if [ ! -e "$tracefs/uprobe_events" ]; then
		mount -t tracefs nodev "$tracefs" || skip "no tracefs"
		defer "umount $tracefs"
	fi
	rcu=$(cat /sys/kernel/rcu_expedited)
	run bash "$PODLAB_SRC/capstone/supervisor-layout.sh" "$BATS_TEST_TMPDIR/layout.ld"
	printf '%s\n' "$output"
	assert_success
	local ld=$BATS_TEST_TMPDIR/layout.ld
	grep -qxF '    */pod.o(.text.pod_supervise)' "$ld"
	grep -qxF '    */podrun.o(.text.run_detached)' "$ld"
	grep -qxF '} INSERT BEFORE .text;' "$ld"
	grep -qxF '} INSERT AFTER .rodata;' "$ld"
	run grep -c podrunlayout "$tracefs/uprobe_events"
	assert_output 0
	run compgen -G "$tracefs/instances/podrunlayout*"
	assert_failure
	[ "$(cat /sys/kernel/rcu_expedited)" = "$rcu" ]
	assert_bench_clean
}

teardown_file() {
	ip link del "$TEST_BRIDGE" 2>/dev/null || true
}
