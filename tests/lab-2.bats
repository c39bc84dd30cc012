#!/usr/bin/env bats
# LAB: 02 the pause holder and the pod sandbox
#
# Every check looks from outside: /proc/PID/ns inodes, nsenter, ip, ss,
# process states. Programs run with --hold keep their pod up until their
# stdin closes, so the checks can look at a living pod; teardown closes it
# and removes whatever a failed check left (links, mounts).

load helpers

L2=
setup() {
	require_root
	L2=$(bin 02-pause)
	L2=${L2%/}
	# A bridge of this run's own, and a /28 of the lab's 198.18.2.0/24 for each
	# check: a longer prefix than the /24 of a student's lab2br0, so several
	# runs at once (and step3's defaults) never share a bridge or an address.
	# lab2b + a pid: at most 12 characters of the 15 a link name may have.
	BR=lab2b$$
}

# field OUTFILE WORDS: the number after "WORDS " in OUTFILE, e.g. "holder pid"
field() {
	sed -n "s/.*$2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1
}

zombies_under() {
	ps -o stat= --ppid "$1" | grep -c '^Z' || true
}

# zombies_are PID N: PID has exactly N zombie children
zombies_are() {
	[ "$(zombies_under "$1")" = "$2" ]
}

# no_children PID: PID has no child at all, running or zombie
no_children() {
	[ -z "$(ps -o pid= --ppid "$1")" ]
}

link_gone() {
	! ip link show "$1" >/dev/null 2>&1
}

host_veths() {
	ip -o link show type veth | sed -n 's/^[0-9]*: \(veth[0-9_]*\)@.*/\1/p' | sort
}

# state_is PID STATE: PID's state in /proc/PID/stat (R, S, Z...) is STATE,
# read anew each time wait_for asks
state_is() {
	[ "$(awk '{print $3}' "/proc/$1/stat")" = "$2" ]
}

last_nspid() {
	awk '/^NSpid:/ {print $NF}' "/proc/$1/status"
}

# ---- the holder ---------------------------------------------------------------

# The holders built: pause (what every pod runs) and pause-c, both from
# pause.c, and pause-asm (pause.S) on x86-64.
holders() {
	echo pause pause-c
	[ ! -x "$L2/pause-asm" ] || echo pause-asm
}

@test "pause, pause-c (and pause-asm) print a version with -v" {
	for p in $(holders); do
		run "$L2/$p" -v
		assert_success
		assert_output --partial "pause (podlab"
	done
}

@test "pause, pause-c (and pause-asm) sleep until SIGTERM or SIGINT, then exit 0" {
	for p in $(holders); do
		for sig in TERM INT; do
			"$L2/$p" 2>/dev/null 3>&- &
			local pid=$!
			defer "kill -KILL $pid"
			wait_for state_is "$pid" S
			sleep 0.05
			kill -0 "$pid" # still there: it waits for a signal
			kill "-$sig" "$pid"
			local st=0
			wait "$pid" || st=$?
			assert_equal "$p $sig $st" "$p $sig 0"
		done
	done
}

@test "pause warns, but keeps running, when it is not PID 1" {
	"$L2/pause" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$!
	defer "kill -KILL $pid"
	wait_for grep -q "warning: not running as PID 1" "$BATS_TEST_TMPDIR/err"
	kill -0 "$pid"
	kill -TERM "$pid"
	wait "$pid"
}

# pod_pause_not_dumpable PAUSE: the holder of a pod, PAUSE run as uid 65535,
# is not dumpable even where fs.suid_dumpable is 1: no process of that uid,
# in any container, may ptrace it. Its execute-only copy is not enough: at
# execve the kernel sets such a process to fs.suid_dumpable. The sysctl is
# the host's: it is 1 only while the pod starts (dumpability is settled at
# execve), and back to what it was right after, failure or not. What shows
# it: the files under /proc/PID of a process that is not dumpable are root's.
pod_pause_not_dumpable() {
	local old h st=0
	old=$(sysctl -n fs.suid_dumpable)
	defer "sysctl -qw fs.suid_dumpable=$old"
	sysctl -qw fs.suid_dumpable=1
	PODLAB_PAUSE=$1 hold "$BATS_TEST_TMPDIR/out" "$L2/step1_holder" || st=$?
	sysctl -qw fs.suid_dumpable="$old"
	[ "$st" = 0 ]
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	assert_equal "uid $(awk '/^Uid:/ {print $2}' "/proc/$h/status")" "uid 65535"
	assert_equal "owner of /proc/$h/status: $(stat -c %u "/proc/$h/status")" \
		"owner of /proc/$h/status: 0"
	release
}

@test "a pod's pause is not dumpable, even with fs.suid_dumpable=1" {
	pod_pause_not_dumpable "$L2/pause"
}

@test "a pod's pause-asm (x86-64) is not dumpable, even with fs.suid_dumpable=1" {
	[ -x "$L2/pause-asm" ] || skip "no assembly pause on $(uname -m)"
	pod_pause_not_dumpable "$L2/pause-asm"
}

# reaps_merged_sigchld HOLDER: HOLDER as PID 1 of a new pid namespace is
# handed three orphans that exit while it is stopped. Their three SIGCHLDs
# merge into one pending signal (standard signals do not queue): a handler
# that waits for one child per signal leaves two zombies.
reaps_merged_sigchld() {
	unshare --pid --fork --kill-child "$1" 2>"$BATS_TEST_TMPDIR/pause.err" 3>&- &
	local u=$!
	defer "kill -KILL $u"
	local p name=${1##*/}
	wait_for pgrep -P "$u" -x "$name"
	p=$(pgrep -P "$u" -x "$name")
	[ "$(last_nspid "$p")" = 1 ]
	kill -STOP "$p"
	defer "kill -CONT $p"
	# sh (pid 2 inside) starts three sleepers and exits: they become PID 1's.
	nsenter -t "$p" -p -- sh -c 'sleep 0.1 & sleep 0.1 & sleep 0.1 & exit 0'
	wait_for zombies_are "$p" 3
	run zombies_under "$p"
	assert_output 3
	kill -CONT "$p"
	wait_done "$BATS_TEST_TMPDIR/pause.err" no_children "$p"
	run zombies_under "$p"
	assert_output 0
}

@test "[infra-reap] pause-c as PID 1 reaps every orphan, also when their SIGCHLDs merge" {
	reaps_merged_sigchld "$L2/pause-c"
}

@test "[infra-reap] pause-c reaps without blocking: with a child still running it idles with SIGCHLD unblocked, and SIGTERM ends it" {
	unshare --pid --fork --kill-child "$L2/pause-c" 2>"$BATS_TEST_TMPDIR/pause.err" 3>&- &
	local u=$! p
	defer "kill -KILL $u"
	wait_for pgrep -P "$u" -x pause-c
	p=$(pgrep -P "$u" -x pause-c)
	# one orphan that stays, one that exits at once: its SIGCHLD runs the
	# handler while the other is still running
	nsenter -t "$p" -p -- sh -c 'sleep 1000 & sleep 0.1 & exit 0'
	children_are() { [ "$(ps -o pid= --ppid "$p" | wc -l)" = "$1" ]; }
	wait_done "$BATS_TEST_TMPDIR/pause.err" children_are 1
	run zombies_under "$p"
	assert_output 0
	# A handler that blocks in waitpid(2) never returns: the kernel keeps
	# SIGCHLD in the blocked mask (SigBlk, bit 17 - 1) for as long as it runs.
	sigchld_unblocked() {
		local blk
		blk=$(awk '/^SigBlk:/ {print $2}' "/proc/$p/status")
		(((16#$blk & (1 << 16)) == 0))
	}
	wait_for sigchld_unblocked || fail "pause-c still has SIGCHLD blocked: $(grep SigBlk "/proc/$p/status")"
	kill -TERM "$p"
	wait_for test ! -e "/proc/$p"
}

@test "pause-asm (the assembly twin, x86-64) as PID 1 reaps every orphan, also when their SIGCHLDs merge" {
	[ -x "$L2/pause-asm" ] || skip "no assembly pause on $(uname -m)"
	reaps_merged_sigchld "$L2/pause-asm"
}

@test "[infra-reap] step4 with the pause every pod runs (built from pause.c): zero zombies after the pod's orphans exit" {
	# infra_start's pause is the one you wrote, not the assembly twin
	cmp "$L2/pause" "$L2/pause-c"
	unset PODLAB_PAUSE
	hold "$BATS_TEST_TMPDIR/out" "$L2/step4_pidns"
	local h
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	[ "$(last_nspid "$h")" = 1 ]
	grep -q "forked 3 children" "$BATS_TEST_TMPDIR/out"
	run zombies_under "$h"
	assert_output 0
	release
}

@test "step4 --no-reap: a holder that never waits collects zombies (the contrast)" {
	hold "$BATS_TEST_TMPDIR/out" "$L2/step4_pidns" --no-reap
	local h
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	run zombies_under "$h"
	assert_output 3
	release
}

@test "step4 with the assembly twin (PODLAB_PAUSE=pause-asm, x86-64) reaps too" {
	[ -x "$L2/pause-asm" ] || skip "no assembly pause on $(uname -m)"
	PODLAB_PAUSE="$L2/pause-asm" hold "$BATS_TEST_TMPDIR/out" "$L2/step4_pidns"
	local h
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	[ "$(last_nspid "$h")" = 1 ]
	run zombies_under "$h"
	assert_output 0
	release
	grep -q "was killed by SIGKILL" "$BATS_TEST_TMPDIR/out"
}

# holder_killed_during_hold ARGS...: step4 ARGS --hold, whose holder is
# killed while it holds. The pod is gone: step4 says so and exits 1, with
# nothing left in the pod's pid namespace (no fork into it, which fails
# with ENOMEM once its PID 1 is dead).
holder_killed_during_hold() {
	hold "$BATS_TEST_TMPDIR/out" "$L2/step4_pidns" "$@"
	local h ino st=0
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	ino=$(ns_ino "$h" pid)
	kill -KILL "$h"
	# dead (a zombie: step4 reaps it) before the hold ends; SIGKILL takes
	# a moment, and a step that looked before would still find it alive
	wait_for state_is "$h" Z
	release || st=$?
	run cat "$BATS_TEST_TMPDIR/out"
	assert_equal "$st" 1
	assert_output --partial "the holder (pid $h) has exited: the pod is gone"
	refute_output --regexp "(^|[[:space:]])failed"
	refute_output --partial "Cannot allocate memory"
	[ ! -e "/proc/$h" ] || fail "the holder $h was not reaped"
	run bash -c "stat -L -c %i /proc/[0-9]*/ns/pid 2>/dev/null | grep -cx $ino"
	assert_output 0
}

@test "step4 --hold whose holder is killed meanwhile says the pod is gone, exits 1 and leaves nothing" {
	holder_killed_during_hold
}

@test "step4 --no-reap --hold whose holder is killed meanwhile says the pod is gone, exits 1 and leaves nothing" {
	holder_killed_during_hold --no-reap
}

@test "killing the holder of a shared pid namespace kills every process in the pod" {
	hold "$BATS_TEST_TMPDIR/out" "$L2/step1_holder" --pid
	local h member n
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	nsenter -t "$h" -p -- sleep 60 3>&- &
	n=$!
	defer "kill -KILL $n"
	wait_for pgrep -P "$n" -x sleep
	member=$(pgrep -P "$n" -x sleep)
	kill -KILL "$h"
	wait_for bash -c "! kill -0 $member"
	run wait "$n"
	assert_equal "$status" 137 # nsenter reports its child's SIGKILL
	release
}

# ---- the sandbox ----------------------------------------------------------------

@test "[infra-private-root] the holder sees nothing of the host: its own read-only root holding only pause, no capabilities" {
	hold "$BATS_TEST_TMPDIR/out" "$L2/step1_holder" --hostname lab2-root
	local h
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	# its own mount namespace, whose only mount is its root
	[ "$(ns_ino "$h" mnt)" != "$(ns_ino $$ mnt)" ]
	assert_equal "$(wc -l <"/proc/$h/mountinfo")" 1
	grep -q ' / / ro,' "/proc/$h/mountinfo"
	# through /proc/PID/root (what a container with SYS_PTRACE would use) only pause
	assert_equal "$(ls -A "/proc/$h/root/")" pause
	run touch "/proc/$h/root/written"
	assert_failure
	# and nothing to do anything with
	grep -q '^CapEff:[[:space:]]*0000000000000000$' "/proc/$h/status"
	grep -q '^CapBnd:[[:space:]]*0000000000000000$' "/proc/$h/status"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$h/status"
	release
}

@test "step1: the holder has its own net, ipc and uts namespaces and the pod's hostname" {
	hold "$BATS_TEST_TMPDIR/out" "$L2/step1_holder" --hostname lab2-check
	local h
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	for t in net ipc uts; do
		[ "$(ns_ino "$h" $t)" != "$(ns_ino $$ $t)" ]
	done
	for t in pid user; do
		[ "$(ns_ino "$h" $t)" = "$(ns_ino $$ $t)" ]
	done
	run nsenter -t "$h" -u hostname
	assert_output lab2-check
	run nsenter -t "$h" -n ip -o link show up
	assert_output --partial "lo:"
	release
	run kill -0 "$h"
	assert_failure
}

# A Ctrl-C while a step sets up interrupts it, --hold or not: the step
# removes what it made and exits 1 (README "The step programs"). It must not
# be taken for the Ctrl-C that ends a hold, which has not begun yet. strace
# slows every clone(2) down, infra_start's and the fork after it, so that
# the signal comes after the step has blocked it ("=> starting") and well
# before the hold.
@test "a Ctrl-C before --hold holds interrupts the step: the pod is removed, exit 1" {
	command -v strace >/dev/null || skip "strace is not installed"
	local out=$BATS_TEST_TMPDIR/out s p h st=0 in
	mkfifo "$BATS_TEST_TMPDIR/stdin"
	strace -f -qq -o /dev/null -e trace=clone -e inject=clone:delay_exit=500000 \
		"$L2/step1_holder" --hold <"$BATS_TEST_TMPDIR/stdin" >"$out" 2>&1 3>&- &
	s=$!
	defer "kill -KILL $s"
	exec {in}>"$BATS_TEST_TMPDIR/stdin" # open: only a signal could end a hold
	wait_for grep -q "=> starting" "$out"
	p=$(pgrep -P "$s" -x step1_holder)
	kill -INT "$p"
	# stdin stays open until the step is past the hold: at EOF ppoll would
	# return before it unblocked the signal, and leave it pending
	wait_for grep -q "stopping the holder" "$out" || true
	exec {in}>&- # (a step that missed the signal would hold until EOF)
	wait "$s" || st=$?
	h=$(field "$out" "holder pid")
	run cat "$out"
	assert_equal "$st" 1
	assert_output --partial "interrupted by SIGINT"
	refute_output --partial "holding the pod"
	[ -n "$h" ] || fail "no holder was started"
	if kill -0 "$h" 2>/dev/null; then
		kill -KILL "$h"
		fail "the holder $h was left behind"
	fi
}

@test "a holder that cannot start fails with one clear line and leaves nothing" {
	PODLAB_PAUSE=/nonexistent/pause run "$L2/step1_holder"
	assert_failure 1
	assert_output --partial "open(/nonexistent/pause): No such file or directory"
	run pgrep -f "^$L2/step1_holder"
	assert_failure
}

@test "[infra-join] step2: both containers are in the holder's net, ipc and uts namespaces" {
	hold "$BATS_TEST_TMPDIR/out" "$L2/step2_localhost" --port 18201
	local h a b
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	a=$(field "$BATS_TEST_TMPDIR/out" "container A pid")
	b=$(field "$BATS_TEST_TMPDIR/out" "container B pid")
	for t in net ipc uts; do
		[ "$(ns_ino "$a" $t)" = "$(ns_ino "$h" $t)" ]
		[ "$(ns_ino "$b" $t)" = "$(ns_ino "$h" $t)" ]
		[ "$(ns_ino "$h" $t)" != "$(ns_ino $$ $t)" ]
	done
	# the mount namespace is not the pod's business
	[ "$(ns_ino "$a" mnt)" = "$(ns_ino $$ mnt)" ]
	run nsenter -t "$b" -u hostname
	assert_output lab2-pod
	release
}

@test "[infra-join] step2: localhost crosses inside the pod and fails from the host netns" {
	hold "$BATS_TEST_TMPDIR/out" "$L2/step2_localhost" --port 18202
	local a b
	a=$(field "$BATS_TEST_TMPDIR/out" "container A pid")
	b=$(field "$BATS_TEST_TMPDIR/out" "container B pid")
	wait_for grep -q "got: hello from container A (pid $a)" "$BATS_TEST_TMPDIR/out"
	# the listener is in the pod's netns, not the host's
	run nsenter -t "$a" -n ss -Htln 'sport = :18202'
	assert_output --partial "127.0.0.1:18202"
	run ss -Htln 'sport = :18202'
	assert_output ""
	# from the pod's localhost it answers; from the host's, nobody is there
	run nsenter -t "$b" -n bash -c 'exec 3<>/dev/tcp/127.0.0.1/18202 && cat <&3'
	assert_success
	assert_output --partial "hello from container A"
	run bash -c 'exec 3<>/dev/tcp/127.0.0.1/18202'
	assert_failure
	release
}

@test "[infra-join] step2 --pid: the containers' children are born in the pod's pid namespace" {
	hold "$BATS_TEST_TMPDIR/out" "$L2/step2_localhost" --pid --port 18203
	local h a b
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	a=$(field "$BATS_TEST_TMPDIR/out" "container A pid")
	b=$(field "$BATS_TEST_TMPDIR/out" "container B pid")
	[ "$(last_nspid "$h")" = 1 ]
	# setns(pid) moves where the caller's children go: pid_for_children
	for c in "$a" "$b"; do
		[ "$(ns_ino "$c" pid_for_children)" = "$(ns_ino "$h" pid)" ]
		[ "$(ns_ino "$c" pid)" = "$(ns_ino $$ pid)" ]
	done
	release
}

# "holding the pod" is when a check looks: container B must be in the pod by
# then. strace slows down every setns(2), B's joins too, by far more than
# step2 takes to print: a step2 that said it before B had joined shows B
# still in the host's namespaces here.
@test "[infra-join] step2 --hold holds the pod once both containers are in it, however slow their joins" {
	command -v strace >/dev/null || skip "strace is not installed"
	hold "$BATS_TEST_TMPDIR/out" strace -f -qq -o /dev/null -e trace=setns \
		-e inject=setns:delay_enter=100000 "$L2/step2_localhost" --port 18204
	local h a b
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	a=$(field "$BATS_TEST_TMPDIR/out" "container A pid")
	b=$(field "$BATS_TEST_TMPDIR/out" "container B pid")
	for t in net ipc uts; do
		[ "$(ns_ino "$a" $t)" = "$(ns_ino "$h" $t)" ]
		[ "$(ns_ino "$b" $t)" = "$(ns_ino "$h" $t)" ]
	done
	grep -q "got: hello from container A (pid $a)" "$BATS_TEST_TMPDIR/out"
	release
}

# A child that has been reaped is gone, and its pid may be another
# process's a moment later: signalling it then hits a stranger. strace logs
# step2's kill(2)s and wait4(2)s; the first execve is step2's own.
@test "step2 signals no container it has already reaped" {
	command -v strace >/dev/null || skip "strace is not installed"
	local log="$BATS_TEST_TMPDIR/strace"
	run strace -f -qq -o "$log" -e trace=execve,kill,wait4 "$L2/step2_localhost" --port 18205
	grep -q kill "$log" # it ended its containers (or, on the handout, container A)
	run awk '
		!main && /execve\(/ { main = $1 }
		$1 != main { next }
		/wait4/ && $(NF - 1) == "=" && $NF > 0 { reaped[$NF] = 1 }
		match($0, /kill\([0-9]+/) && (substr($0, RSTART + 5, RLENGTH - 5) in reaped) { print }
	' "$log"
	assert_output ""
}

@test "step3: the pod IP is on eth0 in the holder's netns, the host end on the bridge" {
	defer "ip link del $BR"
	hold "$BATS_TEST_TMPDIR/out" "$L2/step3_podip" --bridge $BR --subnet 198.18.2.16/28 --index 7 --port 18210
	local h
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	defer "ip link del veth$h"
	run nsenter -t "$h" -n ip -o -4 addr show dev eth0
	assert_output --partial "inet 198.18.2.23/28"
	run nsenter -t "$h" -n ip route show default
	assert_output --partial "default via 198.18.2.17 dev eth0"
	run ip -o link show master $BR
	assert_output --partial "veth$h@"
	run ip -o -4 addr show dev $BR
	assert_output --partial "inet 198.18.2.17/28"
	release || true # its containers need infra_join: graded below, not here
}

@test "step3: the pod network is IPv4 only: no IPv6 link-local address on eth0, its host end or the bridge; lo keeps ::1" {
	defer "ip link del $BR"
	hold "$BATS_TEST_TMPDIR/out" "$L2/step3_podip" --bridge $BR --subnet 198.18.2.96/28 --index 2 --port 18215
	local h
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	defer "ip link del veth$h"
	# Each link-local address would send duplicate address detection and
	# MLD reports, which the bridge floods to every pod (infra.c).
	run nsenter -t "$h" -n ip -o -6 addr show dev eth0
	assert_success
	assert_output ""
	run ip -o -6 addr show dev "veth$h"
	assert_success
	assert_output ""
	run ip -o -6 addr show dev $BR
	assert_success
	assert_output ""
	run nsenter -t "$h" -n ip -o -6 addr show dev lo
	assert_output --partial "inet6 ::1/128"
	release || true
}

@test "[infra-join] step3: both containers see the same eth0; the host reaches the pod IP" {
	defer "ip link del $BR"
	hold "$BATS_TEST_TMPDIR/out" "$L2/step3_podip" --bridge $BR --subnet 198.18.2.32/28 --index 8 --port 18211
	local h a
	h=$(field "$BATS_TEST_TMPDIR/out" "holder pid")
	a=$(field "$BATS_TEST_TMPDIR/out" "container A pid")
	defer "ip link del veth$h"
	[ "$(ns_ino "$a" net)" = "$(ns_ino "$h" net)" ]
	grep -q "container A (pid $a): eth0 .* address 198.18.2.40" "$BATS_TEST_TMPDIR/out"
	grep -q "container B (pid [0-9]*): eth0 .* address 198.18.2.40" "$BATS_TEST_TMPDIR/out"
	run bash -c 'exec 3<>/dev/tcp/198.18.2.40/18211 && cat <&3'
	assert_success
	assert_output --partial "hello from the pod at 198.18.2.40"
	release
}

@test "veth, bridge and addresses are gone after the sandbox stops" {
	defer "ip link del $BR"
	run "$L2/step3_podip" --bridge $BR --subnet 198.18.2.48/28 --index 9 --port 18212
	local h
	h=$(sed -n 's/.*holder \([0-9]*\),.*/\1/p' <<<"$output" | head -1)
	[ -n "$h" ]
	defer "ip link del veth$h"
	# The bridge went at once (infra_stop took the veth off it); the veth goes
	# with the pod's netns, which the kernel destroys a moment after the last
	# reference to it is gone: wait for that, within wait_for's bound.
	wait_for link_gone "veth$h" || fail "veth$h is still there: $(ip -o link show "veth$h")"
	run ip -o link show
	refute_output --partial "veth$h"
	refute_output --partial "$BR"
	run ip -o addr show
	refute_output --partial "198.18.2.49/28"
	refute_output --partial "198.18.2.57/28"
}

@test "a pod network refused at its bridge leaves no holder" {
	# a link by that name that podlab did not make: infra_start must refuse it
	# after the holder has started, and stop the holder
	local dum=lab2d$$
	ip link add "$dum" type veth peer name "${dum}p"
	defer "ip link del $dum"
	# step3 runs under a PID 1 of its own, which looks for a pause left
	# behind once step3 is done: other runs' pods are not in that pid
	# namespace, and from out here would look the same.
	run unshare --pid --fork --mount-proc sh -c "'$L2/step3_podip' --bridge '$dum' \
		--subnet 198.18.2.64/28 --port 18213; st=\$?; ! pgrep -a -x pause || exit 99; exit \$st"
	assert_failure 1
	assert_output --partial "$dum exists and podlab did not create it"
}

# The bridge and the veth exist before eth0 gets its address, which
# infra_start gives it over a netlink socket made in the pod's netns
# (nl_open_in): strace fails that setns(2), the start's first, and the start
# must undo all it made.
@test "a pod network that fails after its veth leaves no holder, bridge, veth or address" {
	command -v strace >/dev/null || skip "strace is not installed"
	local br=lab2f$$ before after v
	defer "ip link del $br 2>/dev/null || true"
	before=$(host_veths)
	run unshare --pid --fork --mount-proc sh -c "strace -f -qq -o /dev/null -e trace=setns \
		-e inject=setns:error=EPERM:when=1 '$L2/step3_podip' --bridge '$br' \
		--subnet 198.18.2.64/28 --port 18213; st=\$?; ! pgrep -a -x pause || exit 99; exit \$st"
	assert_failure 1
	assert_output --partial "setns(the pod's network namespace): Operation not permitted"
	link_gone "$br" || fail "the bridge $br was left behind"
	# other labs' pods may come and go meanwhile. A veth of step3's is named
	# after its holder's pid in step3's pid namespace (vethPID, vethPID_N):
	# a small one, as a new namespace counts from 1, where the host hands
	# out pids below 300 (RESERVED_PIDS) only before its first wrap, at boot.
	# It goes with the pod's netns, a moment after the start let go of it.
	after=$(host_veths)
	for v in $(comm -13 <(echo "$before") <(echo "$after")); do
		local p=${v#veth}
		[ "${p%_*}" -ge 300 ] && continue
		wait_for link_gone "$v" || {
			defer "ip link del $v"
			fail "$v, step3's, was left behind"
		}
	done
	run ip -o addr show
	refute_output --partial "198.18.2.65/28"
}

# A start that died while it made its bridge leaves at worst a bridge under
# the temporary name it makes it with, podlab~ and its thread id (infra.h),
# marked ours or not yet: never one with the pod bridge's name and no mark.
# Such leftovers, made here with ip for threads that no longer exist, are
# deleted by the next start that makes a bridge; the bridge it makes is its
# own, and goes when the pod does.
@test "bridges left half-made by a start that died are deleted by the next start that makes one" {
	local dead1 dead2
	dead1=$(sh -c 'echo $$') dead2=$(sh -c 'echo $$')
	ip link add "podlab~$dead1" type bridge
	defer "ip link del podlab~$dead1"
	ip link add "podlab~$dead2" type bridge
	defer "ip link del podlab~$dead2"
	ip link set "podlab~$dead2" alias "podlab pod network"
	run kill -0 "$dead1" "$dead2"
	assert_failure
	run "$L2/step3_podip" --bridge $BR --subnet 198.18.2.80/28 --index 2 --port 18214
	defer "ip link del $BR"
	local h
	h=$(sed -n 's/.*holder \([0-9]*\),.*/\1/p' <<<"$output" | head -1)
	[ -z "$h" ] || defer "ip link del veth$h"
	# the pod network came up (what runs in the pod afterwards needs infra_join).
	# The step's "done" line, not its whole "=> ... done": on a handout a
	# stub's line (infra-private-root's) comes between the two.
	[ -n "$h" ] || fail "the pod did not start: $output"
	assert_output --partial "done (holder $h, 198.18.2.82/28, host end veth$h"
	link_gone "podlab~$dead1" || fail "podlab~$dead1 is still there"
	link_gone "podlab~$dead2" || fail "podlab~$dead2 is still there"
	link_gone "$BR" || fail "$BR is still there"
}

@test "bad subnets, indexes, hostnames and ports are usage errors (exit 2) naming the value" {
	run "$L2/step3_podip" --subnet 10.0.0.0/8
	assert_failure 2
	assert_output --partial "'10.0.0.0/8'"
	run "$L2/step3_podip" --subnet 198.18.2.240/28 --index 20
	assert_failure 2
	assert_output --partial "host index 20 is outside 198.18.2.240/28"
	local long
	long=$(printf 'h%.0s' {1..65})
	run "$L2/step1_holder" --hostname "$long"
	assert_failure 2
	assert_output --partial "'$long' is longer than 64 bytes"
	run "$L2/step2_localhost" --port 0
	assert_failure 2
	assert_output --partial "'0'"
}

# The kernel refuses these link names (dev_valid_name): a step must refuse
# them as it reads its arguments, not start a pod and fail at the bridge.
@test "bridge names the kernel refuses are usage errors (exit 2), before anything starts" {
	local name
	for name in "lab2 b" "lab2:b" . .. / $'lab2\tb' $'lab2\xa0b'; do
		run "$L2/step3_podip" --bridge "$name" --subnet 198.18.2.112/28 --port 18216
		assert_equal "$name: $status" "$name: 2"
		assert_output --partial "bad bridge name '$name'"
		refute_output --partial "starting the pod"
	done
}

# A /15 has room for 131070 pods: --index is the subnet's to bound. The pod
# runs in a network namespace of its own (and a sysfs that shows it), where
# a /15 on its bridge is in nobody's way.
@test "step3 --index goes as far as the subnet: 65535 in a /15, and 131071 is outside it" {
	run unshare --net --mount sh -c "mount -t sysfs sysfs /sys &&
		'$L2/step3_podip' --bridge $BR --subnet 198.18.0.0/15 --index 65535 --port 18217"
	# what runs in the pod afterwards needs infra_join: graded elsewhere
	assert_output --regexp "done \(holder [0-9]+, 198\.18\.255\.255/15, host end veth"
	run "$L2/step3_podip" --subnet 198.18.0.0/15 --index 131071
	assert_failure 2
	assert_output --partial "host index 131071 is outside 198.18.0.0/15 (2 to 131070"
}

# ---- pinned namespaces ------------------------------------------------------------

@test "step5: a pinned netns survives its processes and is joined through the file" {
	local pin="$BATS_TEST_TMPDIR/netns"
	defer "umount -l $pin"
	hold "$BATS_TEST_TMPDIR/out" "$L2/step5_pin" "$pin"
	# the file is a mount of an nsfs inode ...
	run grep -c " $pin " /proc/self/mountinfo
	assert_output 1
	local ino
	ino=$(stat -c %i "$pin")
	grep -q "made net namespace $ino" "$BATS_TEST_TMPDIR/out"
	# ... that no process is in any more ...
	run bash -c "stat -L -c %i /proc/[0-9]*/ns/net 2>/dev/null | grep -cx $ino"
	assert_output 0
	# ... and that still holds what was made in it
	run nsenter --net="$pin" ip -o link show lab2pinmark
	assert_success
	release
	run grep -c " $pin " /proc/self/mountinfo
	assert_output 0
	[ ! -e "$pin" ]
	# A step5 that cannot fork leaves no file either. unshare --pid without
	# --fork: sh's children are born in a new pid namespace, whose PID 1,
	# true, exits at once; from then on a fork there fails (ENOMEM), and
	# step5, exec'd by sh, inherits that.
	run unshare --pid sh -c "/bin/true; exec '$L2/step5_pin' '$pin'"
	assert_failure 1
	assert_output --partial "fork: Cannot allocate memory"
	[ ! -e "$pin" ]
}
