#!/usr/bin/env bats
# podrun exec: the working directory is resolved beneath the container's
# root, never through a magic link (runc CVE-2024-21626: a cwd through a
# leaked fd or /proc/1/root starts the process in the host's filesystem),
# and the exec'd process never gets the caller's terminal: its own session,
# /dev/null or a pipe for stdin, a pty of the container's devpts for -t.

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
	# a directory of the host, with a marker the container must never list
	HOSTDIR=$(mktemp -d /tmp/podlab-hostdir.XXXXXX)
	defer "rm -rf '$HOSTDIR'"
	MARK=podlab-host-marker-$$
	touch "$HOSTDIR/$MARK"
}

wd_pod() { # NAME WORKINGDIR
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    workingDir: $2
    command: ["sh", "-c", "while true; do sleep 0.1; done"]
YAML
}

# exec's outcome is either a workingDir error or a listing made inside the
# container; never one that shows the host's directory.
refute_host_listing() {
	refute_output --partial "$MARK"
	if [ "$status" -ne 0 ]; then
		assert_output --partial "workingDir"
	fi
}

# The container replaces its own workingDir (/var) with a symlink to
# whatever the test writes into its emptyDir's "next" file: an exec cannot do
# it, an exec starts in that workingDir.
swap_pod() {
	pod_file swap <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: swap
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    workingDir: /var
    command: ["sh", "-c", "while true; do if [ -f /ctl/next ]; then t=$(cat /ctl/next); rm -f /ctl/next; rm -rf /var; ln -s \"$t\" /var; ls -ld /var >/ctl/done; fi; sleep 0.05; done"]
    volumeMounts:
    - {name: ctl, mountPath: /ctl}
  volumes:
  - name: ctl
    emptyDir: {}
YAML
}

swap_to() { # TARGET: the container makes /var a symlink to TARGET
	local ctl
	ctl="$(data swap)/volumes/ctl"
	rm -f "$ctl/done"
	# renamed into place whole: the container polls for next, and could
	# read it between its creation and the write, an empty target
	echo "$1" >"$ctl/next.new"
	mv "$ctl/next.new" "$ctl/next"
	wait_for test -s "$ctl/done"
	grep -q -- "-> $1" "$ctl/done"
}

# Proven: with chdir_beneath_root (container.c) reduced to a plain
# `chdir(wd)`, exec with fd 9 open on the host directory lists the marker.
@test "exec: a workingDir the container swapped for a symlink to /proc/self/fd/N does not start in the host" {
	run podrun run -d "$(swap_pod)"
	assert_success
	local t
	for t in /proc/self/fd/9 /proc/1/root /proc/self/root /proc/self/cwd \
		"../../../../../..$HOSTDIR"; do
		swap_to "$t"
		# podrun exec holds fd 9 on a directory of the host, as a careless caller might
		run podrun exec swap -- ls 9<"$HOSTDIR"
		refute_host_listing
	done
}

# The exec'd process looks for its command last, after every fd but stdio
# and its error pipe is closed: an fd of the caller's still open then would
# let the command's path, or a symlink the container planted on it, look at
# the host through /proc/self/fd/N (does this host file exist?).
@test "exec: the command is looked for with no fd of the caller's open: /proc/self/fd/N finds nothing of the host" {
	run podrun run -d "$(wd_pod plainwd /)"
	assert_success
	run podrun exec plainwd -- "/proc/self/fd/9/$MARK" 9<"$HOSTDIR"
	assert_failure
	assert_output --partial "execve(/proc/self/fd/9/$MARK): No such file or directory"
}

# Proven: same edit (plain chdir): with fd 9 open on the host directory the
# pod starts in it and its log lists the marker.
@test "run: workingDir /proc/self/fd/N fails the start (exit 1), and the host is left clean" {
	local n
	for n in 3 4 5 6 7 8 9; do
		run podrun run -d "$(wd_pod wdfd /proc/self/fd/$n)" 9<"$HOSTDIR"
		refute_output --partial "$MARK"
		assert_failure 1
		assert_output --partial workingDir
		run podrun rm -f wdfd
		assert_host_clean
	done
}

stdio_pod() {
	run podrun run -d "$(pod_file term <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: term
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "while true; do sleep 0.1; done"]
YAML
)"
	assert_success
}

# Proven: with exec_stdio (container.c) handing over the caller's fds
# (`return (void)in, (void)out, (void)err, setup_stdio(0, 1, 2);`) the
# command's fds are script's terminal ("has-a-tty"); with the setsid() of the
# exec'd process removed (`if (0 && setsid() < 0)`), its session is podrun's
# and its tty_nr the host terminal's.
@test "exec without -t: never the caller's terminal, even when podrun has one; a session of its own" {
	stdio_pod
	run script -qec "$PODRUN_BIN exec term -- tty" /dev/null
	assert_output --partial "not a tty"
	refute_output --regexp "/dev/(pts|tty)"
	# none of its fds is a terminal (tty alone cannot tell: the host's pty
	# has no name in the container's /dev/pts)
	run script -qec "$PODRUN_BIN exec term -- sh -c '[ -t 0 ] || [ -t 1 ] || [ -t 2 ] && echo has-a-tty || echo no-tty'" /dev/null
	assert_output --partial "no-tty"
	refute_output --partial "has-a-tty"
	# /proc/self/stat: field 6 the session, field 7 the controlling tty
	run script -qec "$PODRUN_BIN exec term -- cat /proc/self/stat" /dev/null
	local pid sid tty
	read -r pid sid tty < <(echo "$output" | tr -d '\r' | awk '{print $1, $6, $7}')
	[ -n "$pid" ]
	[ "$sid" = "$pid" ]
	[ "$tty" = 0 ]
}

# Proven: with open_container_ptmx (container.c) opening the host's
# /dev/ptmx instead of the container's, tty does not print /dev/pts/0.
@test "exec -t: a pty of the container's own devpts, as its controlling terminal" {
	stdio_pod
	run script -qec "$PODRUN_BIN exec -t term -- tty" /dev/null
	assert_success
	[ "$(echo "$output" | tr -d '\r')" = /dev/pts/0 ]
	run script -qec "$PODRUN_BIN exec -t term -- cat /proc/self/stat" /dev/null
	local pid sid tty
	read -r pid sid tty < <(echo "$output" | tr -d '\r' | awk '{print $1, $6, $7}')
	[ "$sid" = "$pid" ]
	# the controlling tty is pts 0 of the container's devpts (major 136, minor 0)
	[ "$tty" = $((136 << 8)) ]
	# as runc makes it: group tty (5), which alone may write to it (0620)
	run script -qec "$PODRUN_BIN exec -t term -- stat -c '%g %a' /dev/pts/0" /dev/null
	[ "$(echo "$output" | tr -d '\r')" = "5 620" ]
}

# Proven: with cmd_exec (podrun.c) passing stdin without -i
# (`.stdin_fd = STDIN_FILENO`), `echo hello | exec -- cat` prints hello.
@test "exec -i passes stdin; without -i the command reads /dev/null" {
	stdio_pod
	run bash -c "echo hello | '$PODRUN_BIN' exec -i term -- cat"
	assert_success
	assert_output hello
	run bash -c "echo hello | '$PODRUN_BIN' exec term -- cat"
	assert_success
	assert_output ""
	run bash -c "echo hello | '$PODRUN_BIN' exec term -- readlink /proc/self/fd/0"
	assert_output /dev/null
}

# Proven: with mkdir_beneath_root (container.c) reduced to a plain mkdir()
# of each prefix, the start makes "escaped" in the host directory.
@test "run: a missing workingDir is made beneath the root, never through /proc/self/fd/N into the host" {
	local n
	for n in 3 9; do
		run podrun run -d "$(wd_pod wdmk /proc/self/fd/$n/escaped)" 9<"$HOSTDIR"
		assert_failure 1
		assert_output --partial workingDir
		[ ! -e "$HOSTDIR/escaped" ]
		run podrun rm -f wdmk
		assert_host_clean
	done
}
