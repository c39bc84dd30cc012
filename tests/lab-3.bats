#!/usr/bin/env bats
# LAB: 03 root filesystems and shared volumes
#
# Every step program works in mount namespaces of its own. The checks look
# from outside: the host's mount table before and after (it must not change),
# the image tree's checksum (it must not change), the upper and volume
# directories on the host, and what a command run INSIDE the container reads
# from the kernel (/proc/self/mountinfo, the errno of a write).

load helpers

setup() {
	require_root
	L3="$PODLAB_BUILD/labs/03-shared-volume"
	IMAGE="$PODLAB_BUILD/images/busybox/latest/rootfs"
	T="$BATS_TEST_TMPDIR"
	# On a systemd machine / is shared, and a step that forgot
	# "mount --make-rprivate /" would leak its mounts onto the host. This VM's
	# / may well be private, which would hide that bug: the check's own
	# directory is made a shared mount, so a leak really happens here, where
	# host_mounts_unchanged sees it, and teardown takes it all away.
	mount --bind "$T" "$T"
	defer "umount -R -l $T"
	mount --make-shared "$T"
	mount_snapshot >"$T/mounts.before"
}

# The host's mount table is what it was before the check, where this lab
# could have touched it: under the check's own directory, the steps' default
# /tmp/podlab-step* directories and the images. (Other labs' checks may run
# at the same time and mount elsewhere: the whole table is not ours to compare.)
ours() {
	awk -v t="$T" -v b="$PODLAB_BUILD/images" '
		$1 != t && (index($1, t "/") == 1 || index($1, "/tmp/podlab-step") == 1 ||
		            index($1, b "/") == 1)' "$1"
}
host_mounts_unchanged() {
	mount_snapshot >"$T/mounts.after"
	diff <(ours "$T/mounts.before") <(ours "$T/mounts.after")
	# and nothing of ours is mounted at all once the step is over
	[ -z "$(ours "$T/mounts.after")" ]
}

# Names, types, modes, link targets and contents of every file of a tree.
tree_sum() {
	(cd "$1" && find . -printf '%p %y %m %l\n' | sort && find . -type f -exec sha256sum {} + | sort) |
		sha256sum
}

@test "step1_bind: the bind is seen inside the namespace, not on the host" {
	mkdir -p "$T/d"
	run "$L3/step1_bind" --dir "$T/d" -- sh -c "grep -c ' $T/d/dst ' /proc/self/mountinfo; grep -c ' $T/d/dst ' /proc/1/mountinfo || true"
	assert_success
	# inside: 1 mount at dst; the host (PID 1's table): 0
	assert_line --index 5 "1"
	assert_line --index 6 "0"
	host_mounts_unchanged
}

# Proven: with --dir compared to mountinfo as given, each of these printed
# "here no" although the bind was there.
@test "step1_bind: the bind is found in mountinfo however --dir is spelled (a trailing /, relative, a space)" {
	run "$L3/step1_bind" --dir "$T/d/"
	assert_success
	assert_line --partial "dst: here yes, on the host no"
	run bash -c 'cd "$1" && "$2" --dir rel' - "$T" "$L3/step1_bind"
	assert_success
	assert_line "mounted at rel/dst: here yes, on the host no"
	# mountinfo writes the space as \040
	run "$L3/step1_bind" --dir "$T/a b"
	assert_success
	assert_line "mounted at $T/a b/dst: here yes, on the host no"
	host_mounts_unchanged
}

@test "step2_propagation: shared crosses both ways, slave one way, private none" {
	run "$L3/step2_propagation" --dir "$T"
	assert_success
	assert_line --regexp '^shared +yes +yes$'
	assert_line --regexp '^slave +yes +no$'
	assert_line --regexp '^private +no +no$'
	host_mounts_unchanged
}

@test "[rootfs-pivot] step3_rootfs: / is the overlay of the image and the host's root is gone" {
	run "$L3/step3_rootfs" --state "$T/st" --keep -- /bin/sh -c "cat /proc/self/mountinfo; test -e $T && echo HOST-VISIBLE; echo pid=\$\$"
	assert_success
	# the root mount is the overlay with the image as its lower layer
	assert_line --regexp "^[0-9]+ [0-9]+ [0-9:]+ / / .* - overlay overlay .*lowerdir=$IMAGE,upperdir=$T/st/upper"
	# the old root was detached: only /, /proc, /dev and /sys are mounted
	# (with the read-only and masking mounts under /proc and /sys)
	local mps
	mps=$(printf '%s\n' "${lines[@]}" | awk '$1 ~ /^[0-9]+$/ && NF > 8 {print $5}' | grep -Ev '^/$|^/(proc|dev|sys)(/.*)?$' || true)
	[ -z "$mps" ] || { echo "unexpected mounts: $mps"; false; }
	refute_line "HOST-VISIBLE"
	# its own pid namespace, its own /proc
	assert_line "pid=1"
	host_mounts_unchanged
}

@test "[rootfs-pivot] from the host: the container's mount namespace holds no old root, and setns(2) into it cannot escape" {
	# A process that joins a mount namespace starts at the namespace's root
	# mount, not at a chroot: after chroot(2) alone that is still the host's
	# tree, and any process with CAP_SYS_ADMIN that can setns(2) into its own
	# namespace walks out of the chroot. After pivot_root(2) and the detach,
	# the overlay is the namespace's root and nothing else is in it.
	local tag=1$$ c
	"$L3/step3_rootfs" --state "$T/st" -- /bin/sleep "$tag" >"$T/out" 2>&1 3>&- &
	local bg=$!
	defer "kill -9 $bg; wait $bg"
	wait_done "$T/out" pgrep -f "^/bin/sleep $tag\$" || { cat "$T/out"; false; }
	c=$(pgrep -f "^/bin/sleep $tag\$")
	defer "kill -9 $c"
	# the namespace's whole table, read at its root (-p: /proc there is the
	# container's, so cat must be in its pid namespace to find /proc/self)
	run nsenter -t "$c" -m -p cat /proc/self/mountinfo
	assert_success
	assert_line --regexp "^[0-9]+ [0-9]+ [0-9:]+ / / .* - overlay overlay .*lowerdir=$IMAGE,"
	local mps
	mps=$(printf '%s\n' "${lines[@]}" | awk '{print $5}' | grep -Ev '^/$|^/(proc|dev|sys)(/.*)?$' || true)
	[ -z "$mps" ] || fail "mounts of the old root left in the container's namespace: $mps"
	# the escape: join the namespace at its root and look for a host file
	run nsenter -t "$c" -m -- /bin/sh -c "test -e '$PODLAB_SRC/tests/helpers.bash' && echo ESCAPED; ls /"
	refute_line ESCAPED
	assert_line linuxrc # busybox's root, not the host's
}

@test "[rootfs-pivot] step3_rootfs: writes land in the upper dir, the image is untouched" {
	local before
	before=$(tree_sum "$IMAGE")
	run "$L3/step3_rootfs" --state "$T/st" --keep -- /bin/sh -c 'echo changed > /etc/passwd && rm /bin/ls && echo new > /new.txt && cat /etc/passwd'
	assert_success
	assert_line "changed"
	[ "$(tree_sum "$IMAGE")" = "$before" ]
	[ "$(cat "$T/st/upper/etc/passwd")" = "changed" ]
	[ "$(cat "$T/st/upper/new.txt")" = "new" ]
	# a deletion is a whiteout in upper: a 0/0 character device
	[ "$(stat -c '%F %t:%T' "$T/st/upper/bin/ls")" = "character special file 0:0" ]
	grep -q '^root:' "$IMAGE/etc/passwd"
	host_mounts_unchanged
}

@test "step3_rootfs: a fresh upper is mounted volatile; a kept one is not mounted again" {
	run "$L3/step3_rootfs" --state "$T/st" --keep -- /bin/sh -c 'grep " / / " /proc/self/mountinfo'
	assert_success
	# never synced: not at fsync(2), not at the unmount (the kernel shows
	# "volatile", or "fsync=volatile" in newer kernels)
	assert_line --regexp " - overlay overlay .*upperdir=$T/st/upper,.*volatile"
	[ -d "$T/st/work/work/incompat/volatile" ]
	# the kernel would refuse that upper with EINVAL; step3 says why
	run "$L3/step3_rootfs" --state "$T/st" -- /bin/true
	assert_failure
	assert_output --partial "state dir $T/st: its upper was mounted volatile"
	# and says nothing ran, not that a container exited and wrote the
	# kept run's files
	assert_output --partial "the container's setup failed (status 1): no command ran"
	refute_output --partial "its writes in"
	host_mounts_unchanged
	# a state dir of its own mounts again
	run "$L3/step3_rootfs" --state "$T/st2" -- /bin/true
	assert_success
}

# The command is PID 1 of its own PID namespace: the SIGINT a terminal
# sends it does nothing (no handler), so the step ends it with SIGKILL.
# Proven: with step3 waiting in waitpid alone, the step returns after the
# sleep's 30 s, not within the bound here.
@test "step3_rootfs: a Ctrl-C stops the command, PID 1 of its namespace, and the step removes what it made" {
	"$L3/step3_rootfs" --state "$T/st" -- /bin/sleep 30 >"$T/out" 2>&1 &
	local pid=$! rc=0 sleeper
	in_container() {
		sleeper=$(pgrep -P "$pid" -x sleep) && [ -n "$sleeper" ]
	}
	wait_for in_container
	# as a terminal does: SIGINT to the whole foreground group
	kill -INT "$pid" "$sleeper"
	timeout 10 tail --pid="$pid" -f /dev/null
	wait "$pid" || rc=$?
	[ "$rc" = 1 ]
	grep -q "container exited with status 137" "$T/out"
	grep -q "interrupted by SIGINT (everything it made was removed first)" "$T/out"
	[ ! -e "$T/st/upper" ]
	[ ! -e "$T/st/merged" ]
	host_mounts_unchanged
}

@test "step3_rootfs: /dev, /proc and a read-only /sys are there" {
	run "$L3/step3_rootfs" --state "$T/st" -- /bin/sh -c 'echo x >/dev/null && head -c 4 /dev/zero | wc -c; ls /dev/pts/ptmx /dev/shm /proc/self/status >/dev/null && echo kernel-fs-ok; touch /sys/x 2>&1; readlink /dev/fd'
	assert_success
	assert_line "4"
	assert_line "kernel-fs-ok"
	assert_line --partial "Read-only file system"
	assert_line "/proc/self/fd"
	# without --keep the state dir's upper, work and merged are gone
	[ ! -e "$T/st/upper" ]
	[ ! -e "$T/st/work" ]
	[ ! -e "$T/st/merged" ]
	host_mounts_unchanged
}

@test "step3_rootfs in a user namespace: /sys is the host's, read-only all the way down" {
	# sysfs refuses a new mount to a user namespace that does not own the
	# network namespace: rootfs falls back to a recursive read-only bind.
	run unshare --user --map-root-user "$L3/step3_rootfs" --state "$T/st" -- /bin/sh -c 'echo "rw-sys-mounts=$(grep " /sys" /proc/self/mountinfo | grep -vc " ro,")"; touch /sys/fs/cgroup/x'
	assert_failure 1
	assert_line --partial "touch: /sys/fs/cgroup/x: Read-only file system"
	assert_line "rw-sys-mounts=0"
	host_mounts_unchanged
}

# Proven: with rootfs_finish's mount_setattr replaced by
# mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), the root
# loses its nodev ("root: ro,relatime").
@test "step3_rootfs --read-only: the root refuses writes with EROFS, and stays nodev" {
	run "$L3/step3_rootfs" --state "$T/st" --read-only -- /bin/sh -c \
		'touch /x; echo ok > /dev/shm/y && cat /dev/shm/y; awk '"'"'$5 == "/" {print "root: " $6}'"'"' /proc/self/mountinfo'
	assert_success
	assert_line --partial "touch: /x: Read-only file system"
	assert_line "ok"
	assert_line --regexp '^root: ro,(.*,)?nodev(,|$)'
	host_mounts_unchanged
}

@test "step3_rootfs: a missing image names the path it looked for" {
	run "$L3/step3_rootfs" --image resource/nosuch:v9
	assert_failure 1
	assert_output --partial "$PODLAB_BUILD/images/nosuch/v9/rootfs"
	run "$L3/step3_rootfs" --image ../busybox
	assert_failure 1
	assert_output --partial "'..'"
}

@test "step4_emptydir: two containers see each other's file" {
	run "$L3/step4_emptydir" --pod-dir "$T/pod"
	assert_success
	assert_line "reader sees: hello from the writer"
	host_mounts_unchanged
	# the emptyDir and both containers' upper dirs are gone with the pod
	[ -d "$T/pod" ]
	[ -z "$(ls -A "$T/pod")" ]
}

@test "step4_emptydir --memory: a tmpfs emptyDir that never shows on the host" {
	# Not even while the pod runs: the step's unmounts would hide from a
	# look afterwards a tmpfs mounted in the host's namespace. findmnt
	# --poll reports every mount and unmount in ours as it happens.
	findmnt --poll --raw -n -o ACTION,TARGET >"$T/events" 2>&1 &
	local poll=$!
	defer "kill $poll 2>/dev/null || true"
	# listening once it holds the mount table open
	wait_for bash -c "ls -l /proc/$poll/fd 2>/dev/null | grep -q mountinfo"
	run "$L3/step4_emptydir" --pod-dir "$T/pod" --memory
	assert_success
	assert_line --partial "(tmpfs)"
	assert_line "reader sees: hello from the writer"
	kill "$poll"
	run grep -F "$T/" "$T/events"
	assert_failure
	host_mounts_unchanged
	[ -z "$(ls -A "$T/pod")" ]
}

@test "step4_emptydir: after a failed start, emptyDir and upper dirs are gone too" {
	run "$L3/step4_emptydir" --pod-dir "$T/pod" --reader-mount-path /etc/passwd
	assert_failure 1
	assert_output --partial "mountPath /etc/passwd is a regular file"
	refute_line --partial "reader sees"
	host_mounts_unchanged
	[ -z "$(ls -A "$T/pod")" ]
}

# Proven: with mkdtemp before the first call that needs privilege (the
# namespace), each step left its /tmp/podlab-stepN.* behind.
@test "steps 1-4 without privileges: exit 1 naming the call refused, no scratch directory left" {
	local s
	# made by the user below, whom nothing else here runs as
	ours_left() { find /tmp -maxdepth 1 -name 'podlab-step[1-4].*' -user 65534; }
	defer "ours_left | xargs -r rm -rf"
	for s in step1_bind step2_propagation step3_rootfs step4_emptydir; do
		# an ordinary user; CAP_DAC_READ_SEARCH alone lets it reach the
		# build and its images wherever they are (a home of mode 700)
		run setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=+dac_read_search --ambient-caps=+dac_read_search "$L3/$s"
		assert_failure 1
		assert_output --partial "Operation not permitted"
		run ours_left
		assert_output ""
	done
}

# Proven: with die_last() again where die_removing() is (step5_hostpath.c),
# the scratch directory stays in /tmp.
@test "step5_hostpath --type File on its scratch directory: refused with the reason, and the directory removed" {
	local before after
	before=$(ls -d /tmp/podlab-step5.* 2>/dev/null || true)
	run "$L3/step5_hostpath" --type File
	assert_failure 1
	assert_output --regexp 'hostPath /tmp/podlab-step5\.[^ ]*: type File: is a directory'
	after=$(ls -d /tmp/podlab-step5.* 2>/dev/null || true)
	assert_equal "$after" "$before"
}

@test "step5_hostpath: read-only in the kernel: EROFS inside, the host unchanged" {
	mkdir -p "$T/node" && echo "the node's file" >"$T/node/node.txt"
	local before
	before=$(tree_sum "$T/node")
	run "$L3/step5_hostpath" --path "$T/node" -- /bin/sh -c 'cat /host/node.txt; echo x >> /host/node.txt; mkdir /host/d; grep " /host " /proc/self/mountinfo'
	assert_success
	assert_line --partial "refused: Read-only file system"
	assert_line "the node's file"
	assert_line --partial "/host/node.txt: Read-only file system"
	assert_line --regexp ' /host ro,'
	[ "$(tree_sum "$T/node")" = "$before" ]
	host_mounts_unchanged
}

@test "step5_hostpath --rw: the same mount without readOnly is written through" {
	mkdir -p "$T/node"
	run "$L3/step5_hostpath" --path "$T/node" --rw -- /bin/sh -c 'echo from-container > /host/f'
	assert_success
	[ "$(cat "$T/node/f")" = "from-container" ]
	host_mounts_unchanged
}

@test "hostPath types accept and reject what Kubernetes does" {
	local d="$T/hp"
	mkdir -p "$d/dir" && : >"$d/file" && mkfifo "$d/fifo"
	mknod "$d/chr" c 1 3 && mknod "$d/blk" b 7 0
	python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$d/sock"
	# type path expected(ok|message)
	while read -r type path want; do
		[ "$type" = '""' ] && type=""
		run "$L3/step5_hostpath" --check-only --type "$type" --path "$d/$path"
		if [ "$want" = ok ]; then
			[ "$status" -eq 0 ] || { echo "type '$type' $path: $output"; false; }
		else
			[ "$status" -eq 1 ] || { echo "type '$type' $path accepted: $output"; false; }
			[[ "$output" == *"hostPath $d/$path: type $type: ${want//_/ }"* ]] ||
				{ echo "type '$type' $path: $output"; false; }
		fi
	done <<-EOF
		""                file   ok
		""                sock   ok
		""                new/e  ok
		Directory         dir    ok
		Directory         file   is_a_regular_file
		Directory         none   does_not_exist
		DirectoryOrCreate dir    ok
		DirectoryOrCreate new/d  ok
		DirectoryOrCreate file   is_a_regular_file
		File              file   ok
		File              dir    is_a_directory
		File              none   does_not_exist
		FileOrCreate      file   ok
		FileOrCreate      newf   ok
		FileOrCreate      dir    is_a_directory
		Socket            sock   ok
		Socket            fifo   is_a_FIFO
		Socket            file   is_a_regular_file
		CharDevice        chr    ok
		CharDevice        blk    is_a_block_device
		BlockDevice       blk    ok
		BlockDevice       chr    is_a_character_device
	EOF
	# what the *OrCreate types made, with Kubernetes' modes
	[ "$(stat -c %a "$d/new/d")" = 755 ]
	# "" too: the runtime makes a missing path a directory
	[ "$(stat -c '%a %F' "$d/new/e")" = "755 directory" ]
	[ "$(stat -c '%a %F' "$d/newf")" = "644 regular empty file" ]
	# FileOrCreate does not create the parent directory
	run "$L3/step5_hostpath" --check-only --type FileOrCreate --path "$d/nodir/f"
	assert_failure 1
	[ ! -e "$d/nodir" ]
	run "$L3/step5_hostpath" --check-only --type Bogus --path "$d/dir"
	assert_failure 2
	assert_output --partial "hostPath type 'Bogus': unknown"
}

@test "step6_escape --naive: a planted symlink takes a path-string mount out of the root" {
	run "$L3/step6_escape" --naive --scratch "$T/s"
	assert_success
	assert_line --partial "ESCAPE: the container reads the node's secret"
	run "$L3/step6_escape" --naive --scratch "$T/s2" --sub-path data --mount-path /data/escape/etc
	assert_success
	assert_line "   mounted on the node at /etc"
	assert_line --partial "ESCAPE: the node's /etc is mounted over"
	host_mounts_unchanged
}

@test "[vol-safe-mount] step6_escape --safe: a subPath symlink out of the volume is refused" {
	run "$L3/step6_escape" --safe --scratch "$T/s"
	assert_failure 1
	assert_line --partial "subPath escape leads out of the volume"
	refute_line --partial "ESCAPE"
	# the volume itself was mounted at /data; nothing at /mnt
	assert_line "   mounted on the node at /pod/root/data"
	refute_line "   mounted on the node at /pod/root/mnt"
	[ ! -e "$T/s/pod/root/mnt" ]
	host_mounts_unchanged
}

@test "[vol-safe-mount] step6_escape --safe: a mountPath through the symlink stays in the root" {
	run "$L3/step6_escape" --safe --scratch "$T/s" --sub-path data --mount-path /data/escape/etc
	assert_success
	refute_line --partial "ESCAPE"
	assert_line "   mounted on the node at /pod/root/etc"
	refute_line "   mounted on the node at /etc"
	# the mount point was created inside the root, not on the node
	[ -d "$T/s/pod/root/etc" ]
	[ "$(cat "$T/s/etc/shadow")" = "the node's secret" ]
	host_mounts_unchanged
}

@test "[vol-safe-mount] step6_escape --safe: a mountPath that resolves to the root itself is refused" {
	# escape -> / makes /data/escape the container's root: a mount there
	# would cover the whole image with the volume
	run "$L3/step6_escape" --safe --scratch "$T/s" --sub-path data --mount-path /data/escape
	assert_failure 1
	assert_line --partial "mountPath /data/escape is the container's root"
	assert_line "   mounted on the node at /pod/root/data"
	refute_line "   mounted on the node at /pod/root"
	refute_line --partial "ESCAPE"
	host_mounts_unchanged
}

@test "[vol-safe-mount] step6_escape --safe: a subPath inside the volume is mounted" {
	run "$L3/step6_escape" --safe --scratch "$T/s" --sub-path data
	assert_success
	assert_line "   mounted on the node at /pod/root/mnt"
	host_mounts_unchanged
}

# A file is bound onto a file: the missing mountPath of a subPath that names
# a file (or of a File hostPath: the capstone's /etc/hosts and
# /dev/termination-log) must become an empty file, not a directory.
@test "[vol-safe-mount] step6_escape --safe: a subPath naming a file gets an empty file made to be mounted on" {
	run "$L3/step6_escape" --safe --scratch "$T/s" --sub-path data/hello
	assert_success
	assert_line "   mounted on the node at /pod/root/mnt"
	# the mount point, left behind in the root: a file, empty (not the volume's)
	[ -f "$T/s/pod/root/mnt" ]
	[ ! -s "$T/s/pod/root/mnt" ]
	[ "$(cat "$T/s/pod/volumes/shared/data/hello")" = "hello from the volume" ]
	host_mounts_unchanged
}

@test "[vol-safe-mount] unit test resolve/magic_links_are_refused: /proc/self/root beneath the root is ELOOP" {
	# a magic link leads out of any root. RESOLVE_IN_ROOT refuses it too
	# today (EXDEV), but only RESOLVE_NO_MAGICLINKS promises it (ELOOP). No
	# step program plants one; the unit test does
	run "$PODLAB_BUILD/tests/unit/test_volume" --jobs 1 --filter 'resolve/magic_links_are_refused'
	assert_success
	assert_output --partial 'Tested: 1 | Passing: 1'
}

@test "[vol-safe-mount] unit tests mounting/*_whatever_the_umask: what is made gets its mode whatever the umask (a subPath the volume's)" {
	# kubelet makes a missing subPath with its volume's mode (0777 for an
	# emptyDir): a container of another user than root writes there
	run "$PODLAB_BUILD/tests/unit/test_volume" --jobs 1 --filter 'mounting/*_whatever_the_umask'
	assert_success
	assert_output --partial 'Tested: 2 | Passing: 2'
}

@test "make images: busybox, simple:v2 and tomcat:7.0 with links inside the rootfs" {
	local img="$PODLAB_BUILD/images"
	# every applet link points into the image, never at a host path
	run find "$img/busybox/latest/rootfs" -type l -lname '/*'
	assert_output ""
	[ "$(readlink -f "$img/busybox/latest/rootfs/usr/bin/wc")" = "$(readlink -f "$img/busybox/latest/rootfs/bin/busybox")" ]
	for f in etc/passwd etc/group etc/hosts; do [ -s "$img/busybox/latest/rootfs/$f" ]; done
	for dd in tmp proc dev sys root; do [ -d "$img/busybox/latest/rootfs/$dd" ]; done
	[ "$(stat -c %a "$img/busybox/latest/rootfs/tmp")" = 1777 ]
	cmp "$img/simple/v2/rootfs/simple.war" "$PODLAB_SRC/labs/03-shared-volume/files/simple.war"
	[ -x "$img/tomcat/7.0/rootfs/root/apache-tomcat-7.0.42-v2/bin/start.sh" ]
	# idempotent: a second run changes nothing
	local before
	before=$(tree_sum "$img/busybox/latest/rootfs")
	"$PODLAB_SRC/labs/03-shared-volume/mkimage.sh" "$img" busybox latest
	[ "$(tree_sum "$img/busybox/latest/rootfs")" = "$before" ]
}

# ---- step7: an image is a stack of layers -----------------------------------------

# A two-layer OCI image: the busybox root, then a layer that deletes
# /etc/hosts (a .wh.hosts file) and replaces /root with an opaque directory.
make_layered_image() {
	mkdir -p "$T/top/etc" "$T/top/root"
	: >"$T/top/etc/.wh.hosts"
	: >"$T/top/root/.wh..wh..opq"
	echo "from the top layer" >"$T/top/root/note"
	mkdir -p "$T/lower/root"
	cp -a "$IMAGE/." "$T/lower/"
	echo "from the bottom layer" >"$T/lower/root/old"
	"$PODLAB_SRC/labs/03-shared-volume/mkoci.sh" "$T/oci" layered:1 "$T/lower" "$T/top"
}

@test "[img-whiteout] step7_image: a whiteout in the top layer hides the lower file" {
	make_layered_image
	run "$L3/step7_image" --store "$T/store" "$T/oci" -- /bin/sh -c 'ls /etc; cat /etc/hosts'
	assert_failure 1 # cat: no such file
	assert_line "   whiteout    /etc/hosts  (in the merged root: hidden)"
	assert_line passwd
	refute_line hosts
	# on disk the top layer holds the overlay form, not the tar's name
	local top
	top=$T/store/layers/$(jq -r '.rootfs.diff_ids[1] | sub("sha256:"; "")' "$T"/store/configs/*.json)
	[ "$(stat -c '%F %t:%T' "$top/etc/hosts")" = "character special file 0:0" ]
	[ ! -e "$top/etc/.wh.hosts" ]
	host_mounts_unchanged
}

@test "[img-whiteout] step7_image: an opaque directory hides the lower directory's entries" {
	make_layered_image
	run "$L3/step7_image" --store "$T/store" "$T/oci" -- /bin/ls /root
	assert_success
	assert_line "   opaque dir  /root/  (the lower layers' entries are hidden)"
	assert_line note
	refute_line old
	host_mounts_unchanged
}

@test "step7_image: without the top layer's whiteout the lower file shows (the control)" {
	make_layered_image
	rm "$T/top/etc/.wh.hosts" "$T/top/root/.wh..wh..opq"
	"$PODLAB_SRC/labs/03-shared-volume/mkoci.sh" "$T/oci" layered:1 "$T/lower" "$T/top"
	run "$L3/step7_image" --store "$T/store" "$T/oci" -- /bin/sh -c 'ls /root; cat /etc/hosts'
	assert_success
	assert_line old
	assert_line note
	assert_line --partial localhost
	host_mounts_unchanged
}

@test "step7_image: a layer escaping its directory is refused, the host untouched" {
	python3 -c '
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
i = tarfile.TarInfo("../../escaped"); i.size = 1
t.addfile(i, io.BytesIO(b"x")); t.close()' "$T/evil.tar"
	"$PODLAB_SRC/labs/03-shared-volume/mkoci.sh" --plain "$T/evil" evil:1 "$T/evil.tar"
	local before
	before=$(ls -d /tmp/podlab-step7.* 2>/dev/null || true)
	run "$L3/step7_image" --store "$T/store" "$T/evil"
	assert_failure 1
	assert_output --partial "'..' leaves the layer"
	[ ! -e "$T/escaped" ]
	[ ! -e "$T/store/escaped" ]
	[ -z "$(find "$T/store/layers" "$T/store/tmp" -mindepth 1)" ]
	# the state directory it made for the overlay went with it, failure or not
	[ "$(ls -d /tmp/podlab-step7.* 2>/dev/null || true)" = "$before" ]
	host_mounts_unchanged
}

# Proven: without interrupt_defer (step7_image.c) the SIGINT killed the step
# at once, and its store and state stayed in /tmp.
@test "step7_image: a Ctrl-C stops the command, and the step removes its store and state" {
	local before pid rc=0
	step7_dirs() { ls -d /tmp/podlab-step7* 2>/dev/null || true; }
	before=$(step7_dirs)
	defer 'comm -13 <(echo "$before") <(step7_dirs) | xargs -r rm -rf'
	# an image of its own: BUILD/oci/busybox is make lab-3's, not make test's
	"$PODLAB_SRC/labs/03-shared-volume/mkoci.sh" "$T/oci" busybox:1 "$IMAGE"
	# A job started with & ignores SIGINT, and so would the command: a
	# terminal's foreground job does not.
	env --default-signal=INT setsid "$L3/step7_image" "$T/oci" \
		-- /bin/sleep 30 >"$T/out" 2>&1 &
	pid=$!
	defer "kill -KILL -- -$pid"
	# the image is unpacked first: on a loaded machine, seconds
	wait_long pgrep -s "$pid" -x sleep || {
		cat "$T/out"
		false
	}
	# as a terminal does: SIGINT to the whole foreground group
	kill -INT -- "-$pid"
	timeout 10 tail --pid="$pid" -f /dev/null
	wait "$pid" || rc=$?
	[ "$rc" = 1 ]
	grep -q "interrupted by SIGINT" "$T/out"
	[ "$(step7_dirs)" = "$before" ]
	host_mounts_unchanged
}
