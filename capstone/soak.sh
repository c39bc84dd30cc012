#!/usr/bin/env bash
# soak.sh - a few hundred pod lifecycles, then proof that nothing grew.
#
# Two things run side by side for SOAK_SECONDS (120) or SOAK_CYCLES (300)
# cycles, whichever ends first:
#   - one long-lived pod whose container exits at once and is restarted
#     (restartPolicy Always), and whose pause is killed every 25 cycles, so
#     the same supervisor creates and reaps containers and sandboxes over and
#     over;
#   - a second pod started with `podrun run -d` and removed with `rm -f`,
#     once a cycle.
# The long-lived supervisor's open fds and RSS, the host's mounts, network
# links and podrun's cgroups are measured after the first cycle and after the
# last (mounts under PODRUN_ROOT, links on podrun's bridge: others may use the
# host meanwhile). Exit 1 if any of them grew (RSS: by more than SOAK_RSS_KIB, 1024).
#
#   make soak [SOAK_SECONDS=N] [SOAK_CYCLES=N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${PODLAB_BUILD:-$here/build}
podrun=$build/capstone/podrun
seconds=${SOAK_SECONDS:-120}
cycles=${SOAK_CYCLES:-300}
rss_slack=${SOAK_RSS_KIB:-1024}

[ "$(id -u)" = 0 ] || { echo "soak: needs root (namespaces, mounts)" >&2; exit 2; }
[ -x "$podrun" ] || { echo "soak: $podrun is not built (make build-capstone)" >&2; exit 2; }

export PODRUN_ROOT PODRUN_IMAGES=${PODRUN_IMAGES:-$build/images}
export PODRUN_BRIDGE=${PODLAB_TEST_BRIDGE:-podsoak0}
export PODRUN_SUBNET=${PODLAB_TEST_SUBNET:-198.19.14.0/25}
export PODLAB_BACKOFF_SCALE=0.001 # crash-loop backoff in ms, not s
PODRUN_ROOT=$(mktemp -d /tmp/podrun-soak.XXXXXX)
work=$(mktemp -d /tmp/podlab-soak.XXXXXX)

cleanup() {
	local d
	for d in "$PODRUN_ROOT"/pods/*; do
		[ -d "$d" ] && "$podrun" rm -f "$(basename "$d")" >/dev/null 2>&1
	done
	rm -rf "$PODRUN_ROOT" "$work"
}
trap cleanup EXIT

cat >"$work/long.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: soak-long
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: blink
    image: busybox
    command: ["sh", "-c", "echo up; exit 0"]
  volumes:
  - name: scratch
    emptyDir: {medium: Memory}
YAML
cat >"$work/short.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: soak-short
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: init
    image: busybox
    command: ["true"]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    ports: [{containerPort: 80, hostPort: 18750}]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes:
  - name: scratch
    emptyDir: {medium: Memory}
YAML

"$podrun" run -d "$work/long.yaml" >/dev/null
sup=$(cat "$PODRUN_ROOT/pods/soak-long/supervisor.pid")

# The supervisor's open fds, the fewest of 40 looks 10 ms apart. Its
# container restarts a few times a second, and while a run lives the
# supervisor holds its pidfd and its log pipes: one look counted 13 fds, or
# 14, or 19, as it fell. Between two runs it holds only what it keeps; a
# leak raises that floor, a run in progress does not.
fewest_fds() {
	local n least=
	for _ in $(seq 40); do
		n=$(find "/proc/$sup/fd" -mindepth 1 -maxdepth 1 | wc -l)
		if [ -z "$least" ] || ((n < least)); then least=$n; fi
		sleep 0.01
	done
	echo "$least"
}

# One line of numbers: fds rss_kib mounts links cgroups restarts.
measure() {
	local fds rss mounts links cgroups restarts
	fds=$(fewest_fds)
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$sup/status")
	# Ours only: other programs on this host may mount and link meanwhile.
	mounts=$(grep -c "$PODRUN_ROOT" /proc/self/mountinfo || true)
	links=$(ip -o link show master "$PODRUN_BRIDGE" | wc -l)
	cgroups=$(find /sys/fs/cgroup/ -mindepth 1 -maxdepth 4 -type d -name '*podrun*' 2>/dev/null | wc -l)
	restarts=$(cat "$PODRUN_ROOT/pods/soak-long/containers/blink/restarts" 2>/dev/null || echo 0)
	echo "$fds $rss $mounts $links $cgroups $restarts"
}

cycle() { # N
	"$podrun" run -d "$work/short.yaml" >"$work/out" 2>&1 ||
		{ echo "soak: cycle $1: run failed:" >&2; cat "$work/out" >&2; exit 1; }
	"$podrun" rm -f soak-short >"$work/out" 2>&1 ||
		{ echo "soak: cycle $1: rm -f failed:" >&2; cat "$work/out" >&2; exit 1; }
	if (($1 % 25 == 24)); then
		kill -9 "$(cat "$PODRUN_ROOT/pods/soak-long/pause.pid")" 2>/dev/null || true
	fi
	kill -0 "$sup" 2>/dev/null || { echo "soak: cycle $1: the supervisor of soak-long died" >&2; exit 1; }
}

# A sandbox killed by a cycle may still be coming back: wait until the pod
# is whole again before measuring.
settle() {
	for _ in $(seq 50); do
		[ "$(cat "$PODRUN_ROOT/pods/soak-long/phase")" = Running ] &&
			[ "$(cat "$PODRUN_ROOT/pods/soak-long/pause.pid")" != 0 ] && return
		sleep 0.1
	done
}

cycle 0
settle
read -r fds0 rss0 mnt0 lnk0 cg0 rs0 < <(measure)
start=$SECONDS n=1
while ((n < cycles && SECONDS - start < seconds)); do
	cycle "$n"
	n=$((n + 1))
done
settle
read -r fds1 rss1 mnt1 lnk1 cg1 rs1 < <(measure)

bad=0
report() { # WHAT BEFORE AFTER SLACK
	local verdict=flat
	if (($3 > $2 + $4)); then verdict=GREW bad=1; fi
	printf '  %-26s %10s %10s   %s\n' "$1" "$2" "$3" "$verdict"
}
echo "soak: $n cycles of run -d/rm -f in $((SECONDS - start)) s;" \
	"soak-long restarted its container $((rs1 - rs0)) times, lost its sandbox $((n / 25)) times"
printf '  %-26s %10s %10s\n' "" "start" "end"
report "supervisor fds" "$fds0" "$fds1" 0
report "supervisor RSS (KiB)" "$rss0" "$rss1" "$rss_slack"
report "mounts of podrun" "$mnt0" "$mnt1" 0
report "links on the bridge" "$lnk0" "$lnk1" 0
report "podrun cgroups" "$cg0" "$cg1" 0
exit $bad
