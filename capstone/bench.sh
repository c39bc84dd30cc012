#!/usr/bin/env bash
# bench.sh - `make bench-podrun`: how fast podrun starts and tears down a
# two-container pod, as ratios to `unshare --pid --net --mount --uts --ipc
# --fork true` measured in the same run (the machine is shared and noisy, so
# only ratios mean something). Goals: start < 10x, teardown < 10x.
#
#   start     `podrun run -d` until both containers are Running (it returns then)
#   teardown  `podrun rm -f` (no grace period), another pod still on the bridge:
#             the usual case on a node, whose pod network outlives each pod
#   last pod  the same for the last pod, which deletes the bridge too (the
#             kernel's unregister of a netdev is slow, and most of this)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${PODLAB_BUILD:-$here/build}
podrun=$build/capstone/podrun
runs=${RUNS:-15}

[ "$(id -u)" -eq 0 ] || { echo "bench-podrun: needs root" >&2; exit 1; }
export PODRUN_ROOT
PODRUN_ROOT=$(mktemp -d /tmp/podrun-bench.XXXXXX)
export PODRUN_IMAGES=$build/images PODRUN_BRIDGE=podrunb0 PODRUN_SUBNET=198.18.7.128/25
trap '"$podrun" rm -f bench >/dev/null 2>&1; "$podrun" rm -f neighbour >/dev/null 2>&1; rm -rf "$PODRUN_ROOT"; ip link del podrunb0 2>/dev/null || true' EXIT

pod=$PODRUN_ROOT/bench.yaml
cat >"$pod" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: bench
spec:
  containers:
  - {name: one, image: busybox, command: ["sleep", "3600"]}
  - {name: two, image: busybox, command: ["sleep", "3600"]}
YAML

sed 's/name: bench/name: neighbour/' "$pod" >"$PODRUN_ROOT/neighbour.yaml"

ns() { date +%s%N; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

base=() start=() stop=() last=()
"$podrun" run -d "$PODRUN_ROOT/neighbour.yaml" >/dev/null
for ((i = 0; i < runs; i++)); do
	t0=$(ns)
	unshare --pid --net --mount --uts --ipc --fork true
	t1=$(ns)
	base+=($((t1 - t0)))
	t0=$(ns)
	"$podrun" run -d "$pod" >/dev/null
	t1=$(ns)
	"$podrun" rm -f bench >/dev/null
	t2=$(ns)
	start+=($((t1 - t0)))
	stop+=($((t2 - t1)))
done
"$podrun" rm -f neighbour >/dev/null
for ((i = 0; i < (runs + 2) / 3; i++)); do
	"$podrun" run -d "$pod" >/dev/null
	t0=$(ns)
	"$podrun" rm -f bench >/dev/null
	t1=$(ns)
	last+=($((t1 - t0)))
done

b=$(printf '%s\n' "${base[@]}" | median)
s=$(printf '%s\n' "${start[@]}" | median)
d=$(printf '%s\n' "${stop[@]}" | median)
l=$(printf '%s\n' "${last[@]}" | median)
awk -v b="$b" -v s="$s" -v d="$d" -v l="$l" -v n="$runs" 'BEGIN {
	printf "bench-podrun (median of %d runs)\n", n
	printf "  baseline  unshare --pid --net --mount --uts --ipc --fork true  %7.2f ms\n", b / 1e6
	printf "  start     podrun run -d, two containers Running                %7.2f ms  %5.1fx  (goal < 10x)\n", s / 1e6, s / b
	printf "  teardown  podrun rm -f, another pod on the bridge              %7.2f ms  %5.1fx  (goal < 10x)\n", d / 1e6, d / b
	printf "  last pod  podrun rm -f, which also deletes the bridge          %7.2f ms  %5.1fx\n", l / 1e6, l / b
}'
