#!/usr/bin/env bash
# clean-host.sh - remove what podlab can leave on a host when a lab, a check
# or a pod supervisor crashes (kill -9, a panic in the middle of a check).
#
#   clean-host.sh              dry run: print what would be done, do nothing
#   CLEAN_FORCE=1 clean-host.sh   do it (make clean-host FORCE=1)
#
# In this order, each line saying what it is and why it is podlab's:
#   processes  whose executable is under the build directory ($PODLAB_BUILD:
#              podrun supervisors, step programs, the lab 05 sidecars), podlab's
#              pause (its root is a tmpfs that holds nothing but "pause"), and
#              the processes of podlab's containers (their root is an overlay
#              whose upper directory is one of the places below): SIGTERM, then
#              SIGKILL after 5 s
#   mounts     under the build directory, /run/podrun ($PODRUN_ROOT),
#              /var/lib/podrun ($PODRUN_DATA), /tmp/podrun-*, /tmp/podlab-*:
#              detached (umount -l), deepest first
#   links      veth<PID> attached to a podlab bridge, when PID is gone; then the
#              bridges podlab makes (podlab0, podrun0, podrunt0, podrunb0,
#              podsoak0, lab2br0, lab5br0, lab2b<PID>, $PODRUN_BRIDGE,
#              $PODLAB_TEST_BRIDGE) once nothing is attached to them. A link
#              podlab did not make is never touched: a veth of another bridge,
#              a podlab bridge with another port, are left and named.
#   cgroups    podrun/ and podlab*/ below the cgroup this script runs in, in
#              every hierarchy (v2, and each v1 controller), deepest first
#   state      /run/podrun ($PODRUN_ROOT), /var/lib/podrun ($PODRUN_DATA, the
#              image store too: make images loads it again)
#   tmp        /tmp/podrun-* and /tmp/podlab-* (also under $TMPDIR), except a
#              build directory, the build directory and anything in use (a
#              process's cwd, root or open file is in it, or a lock is held)
#
# CLEAN_MATCH=WORD limits everything to what has WORD in its name or path (the
# checks of tests/course.bats use it to touch nothing but their own fakes).
# Exit status: 0, or 1 when something could not be removed.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${PODLAB_BUILD:-$here/build}")
FORCE=${CLEAN_FORCE:-0}
MATCH=${CLEAN_MATCH:-}
ROOT_DIR=$(realpath -m "${PODRUN_ROOT:-/run/podrun}")
DATA_DIR=$(realpath -m "${PODRUN_DATA:-/var/lib/podrun}")
TMPS=(/tmp)
[ -n "${TMPDIR:-}" ] && [ "$(realpath -m "$TMPDIR")" != /tmp ] && TMPS+=("$(realpath -m "$TMPDIR")")

n_do=0 n_left=0 n_err=0
# act WHAT CMD...: do CMD (FORCE) or say it would be done.
act() {
	local what=$1
	shift
	if [ "$FORCE" = 1 ]; then
		if "$@" >/dev/null 2>&1; then
			printf 'removed  %s\n' "$what"
		else
			printf 'FAILED   %s (%s)\n' "$what" "$*"
			n_err=$((n_err + 1))
		fi
	else
		printf 'would    %s\n' "$what"
	fi
	n_do=$((n_do + 1))
}
left() {
	printf 'left     %s\n' "$*"
	n_left=$((n_left + 1))
}
matches() { [ -z "$MATCH" ] || [[ $1 == *"$MATCH"* ]]; }
# under PATH DIR: is PATH DIR or inside it?
under() { [ "$1" = "$2" ] || [[ $1 == "$2"/* ]]; }

# The trees podlab writes, as patterns for a path: its mounts, its overlays.
tmp_globs() {
	local t
	for t in "${TMPS[@]}"; do
		compgen -G "$t/podrun-*"
		compgen -G "$t/podlab-*"
	done
	return 0
}
in_podlab_tree() {
	local p=$1 t
	under "$p" "$BUILD" || under "$p" "$ROOT_DIR" || under "$p" "$DATA_DIR" && return 0
	for t in "${TMPS[@]}"; do
		[[ $p == "$t"/podrun-* || $p == "$t"/podlab-* ]] && return 0
	done
	return 1
}

# ---- processes -------------------------------------------------------------------
# why_podlab PID: why PID is podlab's (printed), or fail.
why_podlab() {
	local pid=$1 exe comm upper
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	exe=${exe% (deleted)}
	if under "$exe" "$BUILD"; then
		echo "runs $exe"
		return 0
	fi
	comm=$(cat "/proc/$pid/comm" 2>/dev/null)
	# podlab's pause: its own root, a tmpfs with one file, pause
	if [ "$exe" = /pause ] && [[ $comm == pause* ]] &&
		[ "$(stat -fc %T "/proc/$pid/root/" 2>/dev/null)" = tmpfs ] &&
		[ "$(ls -A "/proc/$pid/root/" 2>/dev/null)" = pause ]; then
		echo "podlab's pause (its root holds nothing but /pause)"
		return 0
	fi
	# a container of podlab's: its root is an overlay with its upper dir in podlab's trees
	upper=$(awk '$5 == "/" { for (i = 1; i <= NF; i++) if ($i ~ /upperdir=/) print $i }' \
		"/proc/$pid/mountinfo" 2>/dev/null | tr ',' '\n' | sed -n 's/^upperdir=//p' | tail -1)
	if [ -n "$upper" ] && in_podlab_tree "$upper"; then
		echo "a container of podlab's (its root's upper directory is $upper)"
		return 0
	fi
	return 1
}

procs=()
for d in /proc/[0-9]*; do
	pid=${d#/proc/}
	[ "$pid" = $$ ] && continue
	why=$(why_podlab "$pid") || continue
	matches "$why" || continue
	procs+=("$pid")
	act "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null)): $why" kill -TERM "$pid"
done
if [ "$FORCE" = 1 ] && [ ${#procs[@]} -gt 0 ]; then
	for _ in $(seq 50); do
		alive=0
		for pid in "${procs[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for pid in "${procs[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null && echo "killed   process $pid (SIGKILL: it outlived SIGTERM by 5 s)"
	done
fi

# ---- mounts ----------------------------------------------------------------------
# mountinfo escapes space, tab, newline and backslash as octal: \040
while IFS= read -r m; do
	[ -n "$m" ] || continue
	matches "$m" || continue
	act "mount $m" umount -l "$m"
done < <(awk '{print $5}' /proc/self/mountinfo | while IFS= read -r m; do
	m=$(printf '%b' "$m")
	in_podlab_tree "$m" && printf '%s\n' "$m"
done | awk '{print length($0) "\t" $0}' | sort -rn | cut -f2- | uniq)

# ---- links -----------------------------------------------------------------------
is_podlab_bridge() {
	[[ $1 =~ ^(podlab|podrun|podsoak)[a-z]*[0-9]+$ || $1 =~ ^lab[0-9]br[0-9]+$ || $1 =~ ^lab2b[0-9]+$ ]] ||
		[ "$1" = "${PODRUN_BRIDGE:-}" ] || [ "$1" = "${PODLAB_TEST_BRIDGE:-}" ]
}
if command -v ip >/dev/null; then
	declare -A BRIDGES GONE # GONE: the veths this run removes (or would)
	while read -r br; do
		is_podlab_bridge "$br" && matches "$br" && BRIDGES[$br]=1
	done < <(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//')
	# veth<pid> -> the pause it was made for (infra.c names them so)
	while read -r veth master; do
		[[ $veth =~ ^veth([0-9]+)$ ]] || continue
		pid=${BASH_REMATCH[1]}
		matches "$veth" || matches "$master" || continue
		if [ -z "$master" ] || [ -z "${BRIDGES[$master]:-}" ]; then
			left "link $veth: not attached to a podlab bridge${master:+ ($master)}: not podlab's to remove"
		elif kill -0 "$pid" 2>/dev/null && { [ "$FORCE" = 1 ] || [[ " ${procs[*]} " != *" $pid "* ]]; }; then
			left "link $veth on $master: its pod's pause (pid $pid) is still running"
		else
			act "link $veth on $master (the veth of pause pid $pid)" ip link del "$veth"
			GONE[$veth]=1
		fi
	done < <(ip -o link show type veth 2>/dev/null |
		sed -n 's/^[0-9]*: \([^@:]*\)[@:].* master \([^ ]*\) .*/\1 \2/p; t; s/^[0-9]*: \([^@:]*\)[@:].*/\1/p')
	for br in "${!BRIDGES[@]}"; do
		ports=$(ls -A "/sys/class/net/$br/brif" 2>/dev/null | tr '\n' ' ')
		# a dry run removed no veth: the ports that would stay
		[ "$FORCE" = 1 ] || ports=$(for p in $ports; do [ -n "${GONE[$p]:-}" ] || echo "$p"; done | tr '\n' ' ')
		if [ -n "${ports// /}" ]; then
			left "bridge $br: still has ports: ${ports% }"
		else
			act "bridge $br (no ports left)" ip link del "$br"
		fi
	done
fi

# ---- cgroups ---------------------------------------------------------------------
cg_dirs() {
	local line hid ctrl path mnt
	while IFS= read -r line; do
		hid=${line%%:*} line=${line#*:} ctrl=${line%%:*} path=${line#*:}
		if [ "$hid" = 0 ]; then
			mnt=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
		else
			ctrl=${ctrl#name=}
			mnt=$(awk -v c="$ctrl" '$9 == "cgroup" { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c || o[i] == "name=" c) { print $5; exit } }' /proc/self/mountinfo)
		fi
		[ -n "$mnt" ] && [ -d "$mnt$path" ] || continue
		find "$mnt${path%/}" -mindepth 1 -maxdepth 1 -type d \( -name podrun -o -name 'podlab*' \) 2>/dev/null
	done </proc/self/cgroup | sort -u
}
while IFS= read -r cg; do
	[ -n "$cg" ] && matches "$cg" || continue
	if [ -n "$(find "$cg" -name cgroup.procs -exec grep -l . {} + 2>/dev/null | head -1)" ]; then
		left "cgroup $cg: processes still run in it"
		continue
	fi
	act "cgroup $cg (and the cgroups below it)" \
		sh -c 'find "$1" -depth -type d -exec rmdir {} +' sh "$cg"
done < <(cg_dirs)

# ---- state and /tmp --------------------------------------------------------------
# Every path a process has as its cwd, its root or an open file, once.
OPEN_PATHS=$(find /proc/[0-9]*/cwd /proc/[0-9]*/root /proc/[0-9]*/fd -maxdepth 1 -type l \
	-printf '%l\n' 2>/dev/null | grep '^/' | sort -u)
# in_use DIR: a process has its cwd, root or an open file in DIR, or holds a
# lock on it (check-handout's lock file).
in_use() {
	local d=$1 l
	while IFS= read -r l; do
		under "$l" "$d" && return 0
	done < <(grep -F -- "$d" <<<"$OPEN_PATHS")
	if [ -f "$d" ] && [[ $d == *.lock ]]; then
		flock -n "$d" true 2>/dev/null || return 0
	fi
	return 1
}
is_source_tree() { [ -e "$1/labs/common/common.h" ] || [ -e "$1/.git" ]; }
is_build_dir() { [ -e "$1/.deps-ok" ] || [ -e "$1/labs/common/common.o" ]; }

for d in "$ROOT_DIR" "$DATA_DIR" $(tmp_globs); do
	[ -e "$d" ] || [ -L "$d" ] || continue
	matches "$d" || continue
	if under "$BUILD" "$d" || under "$here" "$d"; then
		left "$d: holds the build directory or the source tree"
	elif is_source_tree "$d"; then
		left "$d: a source tree"
	elif is_build_dir "$d"; then
		left "$d: a build directory (make clean BUILD=$d removes it)"
	elif in_use "$d"; then
		left "$d: in use (a process works in it or holds it)"
	else
		act "$d" rm -rf --one-file-system -- "$d"
	fi
done

echo
if [ "$FORCE" = 1 ]; then
	echo "clean-host: $n_do removed, $n_left left, $n_err failed"
else
	echo "clean-host: $n_do to remove, $n_left left (a dry run: make clean-host FORCE=1 does it)"
fi
[ "$n_err" -eq 0 ]
