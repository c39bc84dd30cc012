#!/usr/bin/env bash
# doctor.sh - can this machine run podlab? A preflight, before lab 01.
#
#   doctor.sh        one line per fact: OK, WARN (works, with a difference to
#                    know about) or FAIL (a lab will not work), and under each
#                    WARN and FAIL a "fix:" line. Exit 1 on any FAIL.
#
# What it looks at: the kernel version (5.6: openat2, pidfd_open, clone3;
# 5.12: mount_setattr), root, the cgroup layout (v2, v1 or hybrid), overlayfs,
# the restrictions on unprivileged user namespaces (Ubuntu 24.04's AppArmor
# kernel.apparmor_restrict_unprivileged_userns, Debian's
# kernel.unprivileged_userns_clone, user.max_user_namespaces), WSL2, the
# architecture (arm64 has no assembly pause) and the Debian packages of
# scripts/deps.sh. It changes nothing.
#
# To see what it says about another machine, each fact can be overridden
# (the checks of tests/course.bats use them; nothing else should):
#   DOCTOR_KERNEL=5.4.0        the kernel release (uname -r)
#   DOCTOR_UID=1000            the user id
#   DOCTOR_CGROUP=v1|v2|hybrid|none   the cgroup layout
#   DOCTOR_OVERLAY=0|1         overlayfs available
#   DOCTOR_APPARMOR_USERNS=0|1 kernel.apparmor_restrict_unprivileged_userns
#   DOCTOR_USERNS_CLONE=0|1    kernel.unprivileged_userns_clone
#   DOCTOR_MAX_USERNS=N        user.max_user_namespaces
#   DOCTOR_WSL=0|1             running under WSL2
#   DOCTOR_ARCH=x86_64|aarch64|...    uname -m
#   DOCTOR_MISSING="pkg ..."   the packages of deps.sh that are missing
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
nfail=0 nwarn=0

ok() { printf 'OK    %s\n' "$1"; }
warn() {
	printf 'WARN  %s\n' "$1"
	shift
	for l in "$@"; do printf '      fix: %s\n' "$l"; done
	nwarn=$((nwarn + 1))
}
fail() {
	printf 'FAIL  %s\n' "$1"
	shift
	for l in "$@"; do printf '      fix: %s\n' "$l"; done
	nfail=$((nfail + 1))
}
# sysctl_of PATH: the value of /proc/sys/PATH, "" when the knob does not exist
sysctl_of() { cat "/proc/sys/$1" 2>/dev/null || true; }

# ---- the kernel ----------------------------------------------------------------
kernel=${DOCTOR_KERNEL:-$(uname -r)}
IFS=. read -r kmaj kmin _ <<<"${kernel%%-*}"
kmaj=${kmaj//[!0-9]/} kmin=${kmin//[!0-9]/}
kver=$((${kmaj:-0} * 1000 + ${kmin:-0}))
if [ "$kver" -lt 5006 ]; then
	fail "kernel $kernel: podlab needs 5.6 or newer (openat2, pidfd_open, clone3)" \
		"use Debian 12 (6.1) or Ubuntu 22.04 (5.15) or newer: docs/setup.md makes a VM"
elif [ "$kver" -lt 5012 ]; then
	warn "kernel $kernel: no mount_setattr(2) before 5.12 (read-only volumes fall back to a bind remount)" \
		"a 5.12 or newer kernel shows lab 03's recursive read-only mounts as the lesson does (Debian 12: 6.1)"
else
	ok "kernel $kernel (openat2, pidfd_open, clone3, mount_setattr)"
fi

# ---- root ----------------------------------------------------------------------
uid=${DOCTOR_UID:-$(id -u)}
if [ "$uid" -eq 0 ]; then
	ok "running as root (namespaces, mounts, links need it)"
else
	fail "not root (uid $uid): labs 01 to 05 and podrun create namespaces, mounts and links (lab 00 needs no root)" \
		"work in a root shell of a VM: sudo -i, then cd to podlab (docs/setup.md)"
fi

# ---- cgroups -------------------------------------------------------------------
cgroup_layout() {
	local t
	t=$(stat -fc %T /sys/fs/cgroup 2>/dev/null)
	if [ "$t" = cgroup2fs ]; then
		echo v2
	elif [ "$t" = tmpfs ]; then
		if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
			echo hybrid
		elif grep -q ' - cgroup ' /proc/self/mountinfo; then
			echo v1
		else
			echo none
		fi
	else
		echo none
	fi
}
cg=${DOCTOR_CGROUP:-$(cgroup_layout)}
case $cg in
v2) ok "cgroup v2 (unified hierarchy at /sys/fs/cgroup)" ;;
hybrid) ok "cgroup hybrid: v1 controllers, v2 at /sys/fs/cgroup/unified (lab 06 handles it; Kubernetes' own default is v2)" ;;
v1) ok "cgroup v1 (lab 06 handles it; Kubernetes' own default is v2)" ;;
*) warn "no cgroup hierarchy mounted at /sys/fs/cgroup: lab 06 and podrun's resource limits cannot work" \
	"mount -t cgroup2 none /sys/fs/cgroup (or boot a distribution with systemd: docs/setup.md)" ;;
esac

# ---- overlayfs -----------------------------------------------------------------
if [ -n "${DOCTOR_OVERLAY:-}" ]; then
	overlay=$DOCTOR_OVERLAY
elif grep -qw overlay /proc/filesystems 2>/dev/null; then
	overlay=1
elif modinfo overlay >/dev/null 2>&1; then
	overlay=1 # a module the first mount loads
else
	overlay=0
fi
if [ "$overlay" = 1 ]; then
	ok "overlayfs (container root filesystems, lab 03)"
	# An overlay's upper directory cannot itself be on overlayfs.
	for d in "${PODLAB_BUILD:-$here/build}" "${PODRUN_DATA:-/var/lib/podrun}"; do
		p=$d
		while [ ! -e "$p" ]; do p=$(dirname "$p"); done
		if [ -z "${DOCTOR_OVERLAY:-}" ] && [ "$(stat -fc %T "$p" 2>/dev/null)" = overlayfs ]; then
			warn "$d is on overlayfs: an overlay's upper directory cannot be (a container inside a container?)" \
				"put it on another filesystem (BUILD=/some/ext4/dir, PODRUN_DATA=...), or use a VM (docs/setup.md)"
		fi
	done
else
	fail "no overlayfs: lab 03 and podrun build container roots with it" \
		"modprobe overlay (Debian: it ships in linux-image-*; a custom kernel needs CONFIG_OVERLAY_FS)"
fi

# ---- unprivileged user namespaces (lab 01 step5_userns drops to nobody) --------
aa=${DOCTOR_APPARMOR_USERNS:-$(sysctl_of kernel/apparmor_restrict_unprivileged_userns)}
clone=${DOCTOR_USERNS_CLONE:-$(sysctl_of kernel/unprivileged_userns_clone)}
maxns=${DOCTOR_MAX_USERNS:-$(sysctl_of user/max_user_namespaces)}
userns_ok=1
if [ "$aa" = 1 ]; then
	userns_ok=0
	warn "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu 24.04): lab 01 step5_userns, which runs as nobody, gets EPERM for what it needs" \
		"sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (for good: echo kernel.apparmor_restrict_unprivileged_userns=0 > /etc/sysctl.d/60-podlab-userns.conf)"
fi
if [ "$clone" = 0 ]; then
	userns_ok=0
	warn "unprivileged user namespaces are off (kernel.unprivileged_userns_clone = 0, Debian before 11): lab 01 step5_userns fails" \
		"sysctl -w kernel.unprivileged_userns_clone=1 (for good: in /etc/sysctl.d/60-podlab-userns.conf)"
fi
if [ "$maxns" = 0 ]; then
	userns_ok=0
	warn "user.max_user_namespaces = 0: no user namespace can be created, not even by root" \
		"sysctl -w user.max_user_namespaces=15000"
fi
[ "$userns_ok" = 0 ] || ok "unprivileged user namespaces are allowed (lab 01 step5_userns)"

# ---- WSL2 ----------------------------------------------------------------------
if [ -n "${DOCTOR_WSL:-}" ]; then
	wsl=$DOCTOR_WSL
elif grep -qiE 'microsoft|wsl' /proc/sys/kernel/osrelease 2>/dev/null; then
	wsl=1
else
	wsl=0
fi
if [ "$wsl" = 1 ]; then
	warn "WSL2: the kernel is Microsoft's build, its init is WSL's unless systemd is enabled, and its cgroup layout is its own" \
		"the labs are written for a Debian 12 VM: if a check fails here, compare in the VM of docs/setup.md (Lima or Vagrant)"
else
	ok "not WSL2"
fi

# ---- the architecture ----------------------------------------------------------
arch=${DOCTOR_ARCH:-$(uname -m)}
case $arch in
x86_64) ok "x86-64: pods run the C pause (labs/02-pause/pause.c); pause-asm, its assembly twin (pause.S), is built for bench-pause" ;;
aarch64 | arm64) ok "arm64: no assembly pause (pause.S is x86-64); pods run the C pause (pause.c), as everywhere" ;;
*) warn "architecture $arch: podlab is tested on x86-64 and arm64; pause is the C one" \
	"if a lab fails, try an x86-64 or arm64 VM (docs/setup.md)" ;;
esac

# ---- the Debian packages (scripts/deps.sh) -------------------------------------
if [ -n "${DOCTOR_MISSING+x}" ]; then
	missing=$DOCTOR_MISSING
elif command -v dpkg-query >/dev/null; then
	missing=""
	# the PACKAGES=( ... ) list of deps.sh, without its comments
	for p in $(sed -n '/^PACKAGES=(/,/^)/{s/#.*//; s/PACKAGES=(//; s/)//; p}' "$here/scripts/deps.sh"); do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+="$p "
	done
	missing=${missing% }
else
	missing=-
fi
if [ "$missing" = - ]; then
	warn "no dpkg: not a Debian system, scripts/deps.sh cannot check the packages" \
		"install the equivalents of the packages listed in scripts/deps.sh, or use Debian 12 (docs/setup.md)"
elif [ -n "$missing" ]; then
	fail "missing Debian packages: $missing" \
		"make deps (as root), or: apt-get update && apt-get install -y $missing"
else
	ok "every Debian package of scripts/deps.sh is installed"
fi

echo
if [ "$nfail" -gt 0 ]; then
	echo "doctor: $nfail FAIL, $nwarn WARN: fix the FAIL lines first (docs/setup.md)"
	exit 1
fi
echo "doctor: ready ($nwarn WARN). Next: make demo"
