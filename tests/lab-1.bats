#!/usr/bin/env bats
# LAB: 01 namespaces
#
# Every check looks at the kernel from outside the program under test: the
# inodes under /proc/PID/ns, hostnames through nsenter, `ip -o link` inside a
# namespace, /proc/PID/status and uid_map. Programs that must be looked at
# while they run have a --hold mode that prints "holding: ... pid N".

load helpers

# A check that hangs (a join that never returns) fails instead of stalling the grade.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}

setup() {
	require_root
	L1="$PODLAB_BUILD/labs/01-namespaces"
}

# start_held PROGRAM [ARGS...]: run PROGRAM in the background until it prints
# its "holding:" line. Sets BG (the program's pid) and OUT (its output file);
# held_says WORD waits for "holding: WORD", held_pid WORD reads its pid.
start_held() {
	OUT=$(mktemp -p "$BATS_TEST_TMPDIR" held.XXXXXX) # one per program held
	# 3>&-: bats waits for fd 3 to close; a background process must not keep it.
	"$@" >"$OUT" 2>&1 3>&- &
	BG=$!
	defer "kill -9 $BG; wait $BG"
	held_says ""
}

# held_says WORD: wait for "holding: WORD" in OUT while the program runs.
# A program that has exited says nothing more (a stub, or a solution that
# failed): the check fails at once with what it said, not after 5 s.
held_says() {
	said_or_gone() { grep -q "^holding: $1" "$OUT" || ! kill -0 "$BG"; }
	wait_for said_or_gone "$1" || true
	grep -q "^holding: $1" "$OUT" || {
		cat "$OUT"
		return 1
	}
}

held_pid() {
	local pid
	pid=$(sed -n "s/^holding: $1 *pid \([0-9][0-9]*\).*/\1/p" "$OUT" | head -1)
	[ -n "$pid" ] || return 1
	defer "kill -9 $pid"
	echo "$pid"
}

# start_holder UNSHARE-OPTIONS... -- : a `sleep` in new namespaces, made by
# util-linux unshare (not by podlab), for step4_setns and nscmp to look at.
# Sets HOLDER to the pid of the sleep.
start_holder() {
	unshare "$@" sleep 1000 3>&- &
	local bg=$!
	defer "kill -9 $bg; wait $bg"
	HOLDER=$bg
	if [[ " $* " == *" --fork "* ]]; then
		wait_for pgrep -P "$bg" || return 1
		HOLDER=$(pgrep -P "$bg")
		defer "kill -9 $HOLDER"
	fi
	# unshare has created the namespaces once it runs sleep
	wait_for grep -q '^Name:.*sleep' "/proc/$HOLDER/status"
}

# A pid that no process has right now.
unused_pid() {
	local p=4242
	while [ -e "/proc/$p" ]; do p=$((p + 1)); done
	echo "$p"
}

@test "step1_uts: the new UTS namespace has its own hostname, the host keeps its own" {
	local host
	host=$(hostname)
	start_held "$L1/step1_uts" --hold lab1-uts-check
	pid=$(held_pid "")
	[ "$(ns_ino "$pid" uts)" != "$(ns_ino $$ uts)" ]
	run nsenter -t "$pid" -u hostname
	assert_success
	assert_output lab1-uts-check
	[ "$(hostname)" = "$host" ]
	# only uts was unshared
	[ "$(ns_ino "$pid" net)" = "$(ns_ino $$ net)" ]
	[ "$(ns_ino "$pid" mnt)" = "$(ns_ino $$ mnt)" ]
}

@test "step2_pid: the child is PID 1 of a new PID namespace and its /proc shows only its own processes" {
	# Other programs may mount things meanwhile: count only the mounts on /proc.
	local before
	before=$(awk '$5 == "/proc"' /proc/self/mountinfo | wc -l)
	start_held "$L1/step2_pid" --hold
	pid=$(held_pid "")
	[ "$(ns_ino "$pid" pid)" != "$(ns_ino $$ pid)" ]
	[ "$(ns_ino "$pid" mnt)" != "$(ns_ino $$ mnt)" ]
	# NSpid: its pid here, then its pid in the namespace it is init of
	run grep NSpid "/proc/$pid/status"
	assert_output --regexp "^NSpid:[[:space:]]+$pid[[:space:]]+1$"
	# the /proc mounted inside, seen through the child's root: PID 1 and its child
	run bash -c "ls /proc/$pid/root/proc | grep -E '^[0-9]+$' | sort -n"
	assert_output "$(printf '1\n2')"
	# and nothing of it in the host's mount table
	[ "$(awk '$5 == "/proc"' /proc/self/mountinfo | wc -l)" = "$before" ]
}

@test "step2_pid: its /proc mount does not propagate back, even where / is a shared mount" {
	# In a mount namespace of our own whose mounts are shared (as systemd
	# leaves a host), run step2_pid and compare the mounts on and under /proc
	# before and after. Only those: where / is shared, whatever another
	# program mounts on the host meanwhile propagates into this namespace too.
	run unshare -m --propagation shared bash -c '
		proc_mounts() { awk '\''$5 == "/proc" || index($5, "/proc/") == 1 {print $5, $9, $10}'\'' /proc/self/mountinfo | sort; }
		before=$(proc_mounts)
		"$1" >/dev/null || exit 1
		[ "$(proc_mounts)" = "$before" ] || { echo "mounts on /proc changed"; exit 1; }
	' _ "$L1/step2_pid"
	assert_success
}

@test "step3_net: the new network namespace holds only lo, and it is UP" {
	start_held "$L1/step3_net" --hold
	pid=$(held_pid "")
	[ "$(ns_ino "$pid" net)" != "$(ns_ino $$ net)" ]
	# A host with a tunnel module loaded (ipip, gre, sit, ...) gives every new
	# netns that module's fallback device, DOWN and of no interface of the host's:
	# leave those out (net.core.fb_tunnels_only_for_init_net).
	local fallback='^[0-9]+: (tunl0|gre0|gretap0|erspan0|sit0|ip6tnl0|ip6gre0|ip_vti0|ip6_vti0)@NONE: '
	run nsenter -t "$pid" -n bash -c "ip -o link | grep -Ev '$fallback'"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp '^1: lo: <LOOPBACK,UP,LOWER_UP>'
	# 127.0.0.1 answers inside: lo really is up
	run nsenter -t "$pid" -n ip -o addr show lo
	assert_output --partial 'inet 127.0.0.1/8'
}

@test "[ns-join] step4_setns runs the command in the target's net and uts namespaces" {
	local host
	host=$(hostname)
	start_holder --net --uts sh -c 'hostname lab1-holder; exec "$0" "$@"'
	run "$L1/step4_setns" "$HOLDER" net,uts -- sh -c 'readlink /proc/self/ns/net /proc/self/ns/uts /proc/self/ns/ipc; hostname'
	assert_success
	assert_line "net:[$(ns_ino "$HOLDER" net)]"
	assert_line "uts:[$(ns_ino "$HOLDER" uts)]"
	assert_line "ipc:[$(ns_ino $$ ipc)]" # not asked for, not joined
	assert_line lab1-holder
	[ "$(hostname)" = "$host" ]
	# a command that cannot be run fails after the join, naming it
	run "$L1/step4_setns" "$HOLDER" net -- /nonexistent/lab1-cmd
	assert_failure 1
	assert_output --partial "execvp(/nonexistent/lab1-cmd)"
}

@test "[ns-join] step4_setns joins a pid namespace (for a child) and its mount namespace" {
	start_holder --pid --mount --fork --mount-proc
	run "$L1/step4_setns" "$HOLDER" pid,mnt -- sh -c 'echo "pid=$$"; readlink /proc/self/ns/pid /proc/self/ns/mnt'
	assert_success
	# the command is the second process of the holder's pid namespace
	assert_line "pid=2"
	assert_line "pid:[$(ns_ino "$HOLDER" pid)]"
	assert_line "mnt:[$(ns_ino "$HOLDER" mnt)]"
}

@test "[ns-join] step4_setns joins ipc, cgroup and time: the command reads the holder's shifted boot clock" {
	# the holder's clocks say it booted 1000000 s earlier than the host did
	start_holder --ipc --cgroup --time --boottime 1000000 --fork
	run "$L1/step4_setns" "$HOLDER" ipc,cgroup,time -- sh -c 'readlink /proc/self/ns/ipc /proc/self/ns/cgroup /proc/self/ns/time; cut -d. -f1 /proc/uptime'
	assert_success
	assert_line "ipc:[$(ns_ino "$HOLDER" ipc)]"
	assert_line "cgroup:[$(ns_ino "$HOLDER" cgroup)]"
	assert_line "time:[$(ns_ino "$HOLDER" time)]"
	# /proc/uptime is CLOCK_BOOTTIME as the reader's time namespace sees it
	[ "${lines[-1]}" -ge 1000000 ]
}

@test "[ns-join] step4_setns joins user first: without CAP_SYS_ADMIN, the owner of a user namespace gets into its mnt and net" {
	# root makes the holder, so root owns its user namespace. step4_setns then
	# runs as uid 0 with no capability at all: the host's namespaces refuse it,
	# the holder's user namespace gives it every capability over the holder's
	# mnt and net, but only once it has joined that user namespace.
	start_holder --user --map-root-user --mount --net
	local nocap="setpriv --bounding-set=-all --inh-caps=-all"
	run $nocap "$L1/step4_setns" "$HOLDER" user,mnt,net -- sh -c 'readlink /proc/self/ns/user /proc/self/ns/mnt /proc/self/ns/net'
	assert_success
	assert_line "user:[$(ns_ino "$HOLDER" user)]"
	assert_line "mnt:[$(ns_ino "$HOLDER" mnt)]"
	assert_line "net:[$(ns_ino "$HOLDER" net)]"
	# the same joins without the user namespace: refused by the kernel
	run $nocap "$L1/step4_setns" "$HOLDER" mnt,net -- true
	assert_failure 1
	assert_output --partial "Operation not permitted"
	# and the user namespace we are in already cannot be joined again
	run "$L1/step4_setns" $$ user -- true
	assert_failure 1
	assert_output --partial "setns(user): Invalid argument"
}

@test "[ns-join] step4_setns joins user last when a namespace belongs to the outer user namespace" {
	# The holder's net namespace is made first, by root: the host's user
	# namespace owns it. Its user namespace is made after, inside it. Root
	# may join both, but only net first: once in the holder's user namespace
	# it has no capability left over the namespaces the host's owns.
	start_holder --net -- unshare --user --map-root-user
	[ "$(ns_ino "$HOLDER" user)" != "$(ns_ino $$ user)" ]
	run "$L1/step4_setns" "$HOLDER" user,net -- readlink /proc/self/ns/user /proc/self/ns/net
	assert_success
	assert_line "user:[$(ns_ino "$HOLDER" user)]"
	assert_line "net:[$(ns_ino "$HOLDER" net)]"
}

@test "step4_setns all: joins exactly the types the target does not share" {
	start_holder --net --uts --ipc
	run "$L1/step4_setns" "$HOLDER" all -- readlink /proc/self/ns/net /proc/self/ns/uts /proc/self/ns/ipc /proc/self/ns/mnt
	assert_success
	assert_line "net:[$(ns_ino "$HOLDER" net)]"
	assert_line "uts:[$(ns_ino "$HOLDER" uts)]"
	assert_line "ipc:[$(ns_ino "$HOLDER" ipc)]"
	assert_line "mnt:[$(ns_ino $$ mnt)]"
	# a list is taken as given, even one naming every type: the user
	# namespace we share cannot be joined (setns(2) says EINVAL)
	run "$L1/step4_setns" "$HOLDER" user,mnt,uts,ipc,pid,net,cgroup,time -- true
	assert_failure 1
	assert_output --partial "setns(user): Invalid argument"
}

@test "step4_setns all: joins the target's user namespace and the namespaces it owns" {
	start_holder --user --map-root-user --net
	run "$L1/step4_setns" "$HOLDER" all -- sh -c 'readlink /proc/self/ns/user /proc/self/ns/net; id -u'
	assert_success
	assert_line "user:[$(ns_ino "$HOLDER" user)]"
	assert_line "net:[$(ns_ino "$HOLDER" net)]"
	assert_line 0 # our uid, as the holder's user namespace maps it
}

@test "step4_setns: bad input gets one clear line and exit status 2 (usage) or 1 (failure)" {
	start_holder --net
	run "$L1/step4_setns" "$HOLDER" net,bogus -- true
	assert_failure 2
	assert_output --partial "unknown namespace 'bogus'"
	run "$L1/step4_setns" "$HOLDER" net true
	assert_failure 2
	assert_output --partial "missing '--'"
	run "$L1/step4_setns" "$HOLDER" net --
	assert_failure 2
	run "$L1/step4_setns" x net -- true
	assert_failure 2
	assert_output --partial "PID must be a positive number, not 'x'"
	local dead
	dead=$(unused_pid)
	run "$L1/step4_setns" "$dead" net -- true
	assert_failure 1
	assert_output "step4_setns: no such process: $dead"
}

# nscmp prints "TYPE INODE-A INODE-B shared|different"; compare with what we stat.
check_nscmp() {
	local a=$1 b=$2 t want
	run "$L1/nscmp" "$a" "$b"
	assert_success
	for t in user mnt uts ipc pid net cgroup time; do
		want=different
		[ "$(stat -L -c %d:%i "/proc/$a/ns/$t")" = "$(stat -L -c %d:%i "/proc/$b/ns/$t")" ] && want=shared
		assert_line --regexp "^$t +$(ns_ino "$a" "$t") +$(ns_ino "$b" "$t") +$want\$"
	done
}

@test "[ns-same] nscmp tells the namespaces a holder has of its own from those it shares" {
	start_holder --net --uts
	check_nscmp "$HOLDER" $$
	assert_line --regexp '^net .* different$'
	assert_line --regexp '^mnt .* shared$'
}

@test "[ns-same] nscmp finds every namespace shared between a process and itself" {
	start_holder --ipc
	check_nscmp "$HOLDER" "$HOLDER"
	refute_line --regexp 'different$'
}

@test "[ns-map-self] step5_userns: uid and gid 0 inside map to our own outside (nobody's, or --as's); full capabilities inside, none outside" {
	start_held "$L1/step5_userns" --hold
	# parent and child each print their line, in either order
	held_says inside
	held_says outside
	inside=$(held_pid inside)
	outside=$(held_pid outside)
	[ "$(ns_ino "$inside" user)" != "$(ns_ino $$ user)" ]
	[ "$(ns_ino "$outside" user)" = "$(ns_ino $$ user)" ]
	# the maps, as the host reads them
	run cat "/proc/$inside/uid_map"
	assert_output --regexp '^ +0 +65534 +1$'
	run cat "/proc/$inside/gid_map"
	assert_output --regexp '^ +0 +65534 +1$'
	run cat "/proc/$inside/setgroups"
	assert_output deny
	# both are nobody to the host
	grep -Eq "^Uid:\s+65534\s+65534\s+65534\s+65534$" "/proc/$inside/status"
	grep -Eq "^Uid:\s+65534\s+65534\s+65534\s+65534$" "/proc/$outside/status"
	# every capability inside its user namespace, none outside
	local full
	full=$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))
	grep -q "^CapEff:[[:space:]]*$full$" "/proc/$inside/status"
	grep -q "^CapEff:[[:space:]]*0000000000000000$" "/proc/$outside/status"
	# Nobody's uid and gid are both 65534: a uid and a gid that differ show a
	# map of 65534 written as such, or of the uid written to gid_map.
	start_held "$L1/step5_userns" --hold --as 4242:4343
	held_says inside
	inside=$(held_pid inside)
	run cat "/proc/$inside/uid_map"
	assert_output --regexp '^ +0 +4242 +1$'
	run cat "/proc/$inside/gid_map"
	assert_output --regexp '^ +0 +4343 +1$'
}

# Only EPERM is the kernel's refusal the lesson shows. strace makes the
# kernel answer that first sethostname with EINVAL instead: a step5 that
# took any failure for the refusal would exit 0 here, "as it should be".
@test "step5_userns: the host's hostname is refused with EPERM; any other errno fails, naming sethostname" {
	run "$L1/step5_userns"
	assert_success
	assert_output --partial "refused with EPERM, as it should be"
	command -v strace >/dev/null || skip "strace is not installed"
	run strace -f -o /dev/null -e trace=sethostname -e inject=sethostname:error=EINVAL:when=1 \
		"$L1/step5_userns"
	assert_failure 1
	assert_output --partial "sethostname(podlab-userns) in the host's UTS namespace: EINVAL"
	refute_output --partial "as it should be"
}

@test "step programs: --help exits 0, an unknown option exits 2" {
	local p
	for p in step1_uts step2_pid step3_net step4_setns step5_userns nscmp; do
		run "$L1/$p" --help
		assert_success
		assert_output --partial "usage: $p"
		run "$L1/$p" --bogus-option
		assert_failure 2
	done
}
