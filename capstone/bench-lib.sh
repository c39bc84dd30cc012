# shellcheck shell=bash
# bench-lib.sh - what the capstone's benchmarks share (sourced, not run).
#
#   bench_init NAME   root check, podrun built, a private state root, data
#                     root (on a journaled file system: bench_data_root),
#                     both in a directory of TMPDIR's (/tmp by default),
#                     cgroup root (benchPID), bridge (podrunbPID) and
#                     subnet (a free /25 of 198.19.128.0/17, a /bench_prefix
#                     when set; BENCH_CGROUP, BENCH_BRIDGE, BENCH_SUBNET
#                     override them), and a trap that removes everything
#   bench_wait_retired  wait until the last pod's bridge is deleted (bridge.h)
#   ns                now, in nanoseconds
#   median            the median of the numbers on stdin, one a line
#   pct N P           the P-th percentile (nearest rank)
#   bench_settle      a quiet moment before a timed run (BENCH_SETTLE, 0.1 s)
#   floor_ns          one run of the floor: unshare --pid --net --mount --uts --ipc --fork true
#   pod_yaml NAME CMD [MORE]   a one-container busybox pod on stdout; MORE:
#                     more lines (the container's, indented 4, then the spec's)
#   two_pod_yaml NAME the two-container pod of bench-podrun's start row
#   bench_oci_bundle RT DIR   an OCI bundle of busybox for crun or runc
#   bench_oci_run RT DIR      one timed run of it, in ns
#   bench_rss_kib PID its VmRSS; bench_pss_kib PID its Pss
#   bench_own_kib PID what it alone holds: RssAnon + its share of the sealed memfd copy
#   ratio A B         A / B with two decimals
#   goal NAME VALUE LIMIT TEXT   prints "PASS" or "MISS" (never fails)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PODLAB_BUILD:-$here/build}
podrun=$build/capstone/podrun

bench_init() {
	local name=$1
	[ "$(id -u)" -eq 0 ] || { echo "$name: needs root (namespaces, mounts, links)" >&2; exit 2; }
	[ -x "$podrun" ] || { echo "$name: $podrun is not built (make build-capstone)" >&2; exit 2; }
	[ -d "$build/images/busybox" ] || { echo "$name: no busybox image (make images)" >&2; exit 2; }
	bench_dir=$(mktemp -d "${TMPDIR:-/tmp}/podlab-$name.XXXXXX")
	export PODRUN_ROOT=$bench_dir/root PODRUN_DATA=$bench_dir/data
	export PODRUN_IMAGES=${PODRUN_IMAGES:-$build/images}
	# the pods' cgroups under a root of this run's own (podrun/ is shared
	# with whatever else runs pods here; kill9.bats looks for any cgroup
	# named *podrun* left behind: ours is not)
	export PODRUN_CGROUP=${BENCH_CGROUP:-bench$$}
	# A bridge and a subnet of this run's own: another benchmark or test
	# run on the machine must never share, or delete, ours.
	export PODRUN_BRIDGE=${BENCH_BRIDGE:-podrunb$$}
	export PODRUN_SUBNET=${BENCH_SUBNET:-$(bench_free_subnet "${bench_prefix:-25}")}
	mkdir -p "$PODRUN_ROOT" "$PODRUN_DATA"
	chmod 0700 "$bench_dir" "$PODRUN_ROOT" "$PODRUN_DATA"
	bench_cleanup_hooks=()
	bench_data_image=
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	bench_data_root
}

# The pods' data root - each container's overlay upper and work directories,
# emptyDirs, the pod's /etc/hosts: a dozen files and directories made at each
# start and removed at each rm -f - on a file system with a journal. ext4
# without one (these machines' disk) checks every inode freed in the last 30
# seconds before it hands out a new one (recently_deleted() in
# fs/ext4/ialloc.c): under a benchmark's churn a start spends more time
# there than in all its mounts (three runs of bench-podrun: 1.07 to 1.54x
# crun's time there, 0.83 to 1.19x on a journaled ext4). A node's disk has
# a journal; so does the 1 GiB sparse ext4 image this mounts instead,
# through a loop device. It says which it used; BENCH_DATA=host keeps the
# machine's own file system.
bench_data_root() {
	local dev jt
	dev=$(findmnt -n -o SOURCE,FSTYPE -T "$PODRUN_DATA" 2>/dev/null) || dev=
	case $dev in
	*" ext4") dev=${dev%% *} ;;
	*) echo "data root: $PODRUN_DATA (not ext4)"; return 0 ;;
	esac
	jt=$(cat "/sys/fs/ext4/${dev#/dev/}/journal_task" 2>/dev/null) || jt=
	if [ "$jt" != "<none>" ]; then
		echo "data root: $PODRUN_DATA (ext4 with a journal)"
		return 0
	fi
	if [ "${BENCH_DATA:-}" = host ]; then
		echo "data root: $PODRUN_DATA (ext4 without a journal, BENCH_DATA=host)"
		return 0
	fi
	bench_data_image=$bench_dir/data.ext4
	if truncate -s 1G "$bench_data_image" && mkfs.ext4 -q -F "$bench_data_image" &&
		mount -o loop "$bench_data_image" "$PODRUN_DATA" && chmod 0700 "$PODRUN_DATA"; then
		echo "data root: a journaled ext4 image on a loop device (the machine's ext4 has no journal; BENCH_DATA=host to use it)"
	else
		mountpoint -q "$PODRUN_DATA" && umount "$PODRUN_DATA"
		bench_data_image=
		echo "data root: $PODRUN_DATA (ext4 without a journal: no loop device for an image)"
	fi
}

# Every pod under our root goes, then our bridge, then the directory. Safe to
# run twice, and after an interrupt at any point.
bench_cleanup() {
	local d h
	trap - EXIT INT TERM
	for h in "${bench_cleanup_hooks[@]}"; do eval "$h" >/dev/null 2>&1 || true; done
	# A supervisor interrupted while starting may not have its directory yet:
	# find ours by the state root in their environment, and stop them.
	local pids=() p
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = podrun ] &&
			{ tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "PODRUN_ROOT=$PODRUN_ROOT" &&
			pids+=("${p#/proc/}")
	done
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	done
	if [ -n "${PODRUN_ROOT:-}" ] && [ -d "$PODRUN_ROOT/pods" ]; then
		for d in "$PODRUN_ROOT"/pods/*; do
			[ -d "$d" ] && "$podrun" rm -f "$(basename "$d")" >/dev/null 2>&1
		done
	fi
	bench_wait_retired || true
	if [ -n "${PODRUN_BRIDGE:-}" ] && ip link show "$PODRUN_BRIDGE" >/dev/null 2>&1 &&
		[ "$(cat "/sys/class/net/$PODRUN_BRIDGE/ifalias" 2>/dev/null)" = "podlab pod network" ]; then
		ip link del "$PODRUN_BRIDGE" 2>/dev/null || true
	fi
	# the loop device goes with the unmount (mount -o loop sets autoclear)
	[ -n "${bench_data_image:-}" ] && mountpoint -q "$PODRUN_DATA" && umount "$PODRUN_DATA"
	[ -n "${bench_dir:-}" ] && rm -rf "$bench_dir"
	return 0
}

# A /PREFIX in 198.19.128.0/17 (RFC 2544's benchmark range) that no address
# of this host overlaps, starting at a block picked by our pid so that two
# runs started together look in different places.
bench_free_subnet() { # PREFIX
	ip -o -4 addr show | awk -v p="$1" -v seed=$$ '
		function ip2n(s, a) { split(s, a, "."); return ((a[1] * 256 + a[2]) * 256 + a[3]) * 256 + a[4] }
		{ split($4, x, "/"); size = 2 ^ (32 - x[2]); lo = int(ip2n(x[1]) / size) * size
		  used[NR] = lo " " lo + size }
		END {
			base = ip2n("198.19.128.0"); size = 2 ^ (32 - p); n = 2 ^ 15 / size
			for (k = 0; k < n; k++) {
				lo = base + ((seed + k) % n) * size; hi = lo + size; free = 1
				for (i in used) { split(used[i], u, " "); if (u[1] < hi && lo < u[2]) free = 0 }
				if (free) {
					printf "%d.%d.%d.%d/%d\n", int(lo / 16777216), int(lo / 65536) % 256,
						int(lo / 256) % 256, lo % 256, p
					exit
				}
			}
		}'
}

# Wait (10 s at most) until the retire of our last pod's bridge is done
# (capstone/bridge.h): its shared lock on bridge.retiring is taken before
# the podrun that started it returns.
bench_wait_retired() {
	[ -e "$PODRUN_ROOT/bridge.retiring" ] || return 0
	flock -w 10 "$PODRUN_ROOT/bridge.retiring" true
}

ns() { date +%s%N; }
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print 0}'; }
pct() { sort -n | awk -v p="$1" '{a[NR] = $1} END {i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; if (NR) print a[i]; else print 0}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
ms() { awk -v a="$1" 'BEGIN {printf "%.2f", a / 1e6}'; }

# A quiet moment before each timed run. The first process to write to
# cgroup.procs (podrun's pause, runc's container) or to mount a cgroup2
# (crun, for the container's /sys/fs/cgroup) after a quiet moment waits for
# an RCU grace period, 4 to 25 ms here (capstone/resources.h); whoever comes
# within a grace period of the last one does not. Timed back to back, each
# contestant would ride on the previous one's: each starts from quiet.
bench_settle() { sleep "${BENCH_SETTLE:-0.1}"; }

floor_ns() {
	local t0 t1
	bench_settle
	t0=$(ns)
	unshare --pid --net --mount --uts --ipc --fork true
	t1=$(ns)
	echo $((t1 - t0))
}

pod_yaml() {
	cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: busybox
    command: $2
${3:-}
YAML
}

# An OCI bundle for RUNTIME (crun, runc) in DIR, on the busybox image's
# rootfs: the runtime's own default spec (pid, network, ipc, uts, mount;
# /proc, /dev, /sys, masked paths), only the command (true), the tty and the
# root changed. Fails when the runtime or jq is missing.
bench_oci_bundle() { # RUNTIME DIR
	command -v "$1" >/dev/null && command -v jq >/dev/null || return 1
	mkdir -p "$2"
	(cd "$2" && "$1" spec >/dev/null 2>&1 || true)
	[ -f "$2/config.json" ] || return 1
	jq --arg r "$build/images/busybox/latest/rootfs" '.process.args = ["true"] |
		.process.terminal = false | .root = {path: $r, readonly: true} |
		.linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"}, {type: "mount"}]' \
		"$2/config.json" >"$2/config.new" && mv "$2/config.new" "$2/config.json"
}
# One run of RUNTIME on the bundle in DIR, its ns on stdout (DIR/err: what
# it said), timed inside a private mount namespace so that the namespace
# and its cgroup2 mount are not counted: this host's hybrid cgroup layout
# stops crun's cgroup managers, so crun runs with --cgroup-manager=disabled
# and makes no cgroup (runc has no such switch).
bench_oci_run() { # RUNTIME DIR
	local opts=""
	[ "$1" = crun ] && opts=--cgroup-manager=disabled
	unshare --mount --propagation private bash -c '
		umount -l /sys/fs/cgroup 2>/dev/null || true
		mount -t cgroup2 none /sys/fs/cgroup || exit 1
		sleep '"${BENCH_SETTLE:-0.1}"'
		t0=$(date +%s%N)
		'"$1"' '"$opts"' run --bundle "$1" "podlab-bench-$$" </dev/null >/dev/null 2>"$1/err" || exit 1
		t1=$(date +%s%N)
		echo $((t1 - t0))' - "$2"
}

# The pod of `make bench`'s "start" row: two busybox containers that sleep.
two_pod_yaml() { # NAME
	cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: one, image: busybox, command: ["sleep", "3600"]}
  - {name: two, image: busybox, command: ["sleep", "3600"]}
YAML
}

bench_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
bench_pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
# What one more supervisor costs: its anonymous memory, and its share of
# the sealed copy of podrun it runs from (a memfd, podrun.c: shmem, whose
# pages count in RssShmem only where mapped, yet all stay in memory). Every
# pod started by one build of podrun runs from one copy: it is split among
# the processes that run from it. Shared library pages are not in it: the
# other supervisors share them.
bench_own_kib() {
	local anon exe id users
	anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0)
	exe=$(stat -L -c %s "/proc/$1/exe" 2>/dev/null || echo 0)
	case $(readlink "/proc/$1/exe") in /memfd:*) ;; *) exe=0 ;; esac
	users=1
	if [ "$exe" != 0 ]; then
		id=$(stat -L -c %d:%i "/proc/$1/exe")
		users=$(stat -L -c %d:%i /proc/[0-9]*/exe 2>/dev/null | grep -cx "$id")
		[ "$users" -gt 0 ] || users=1
	fi
	echo $((anon + (exe + 1023) / 1024 / users))
}

# goal LABEL VALUE LIMIT: PASS when VALUE <= LIMIT (both numbers).
goal() {
	awk -v v="$2" -v l="$3" 'BEGIN {exit !(v <= l)}' && echo PASS || echo MISS
}
