#!/usr/bin/env bash
# bench.sh - `make bench-podrun`: podrun's start and teardown, side by side
# with the runtimes installed here, as ratios to a baseline measured in the
# same run (the machine is shared and noisy: only ratios mean something).
# Medians of BENCH_RUNS (11) rounds; each round runs every contestant once,
# so that a noisy moment hurts them all alike, and each after a quiet moment
# (bench_settle, bench-lib.sh: the first cgroup move or cgroup2 mount after
# one waits for an RCU grace period, whoever makes it - crun too).
#
#   floor      unshare --pid --net --mount --uts --ipc --fork true
#   nonet      `podrun run` (foreground) of one busybox container, `true`,
#              PODRUN_BRIDGE=none, to completion (the pod Succeeded)
#   crun, runc the same container from an OCI bundle on the same busybox
#              rootfs, the same namespaces (pid, net, ipc, uts, mount), `run`
#              to completion (the runtime deletes it); in a private mount
#              namespace with a cgroup2 of its own (this host's hybrid
#              cgroup layout stops crun's cgroup managers: crun runs with
#              --cgroup-manager=disabled and makes no cgroup, where podrun
#              makes the pod's and the container's; runc has no such switch)
#   net        nonet, on the pod network, another pod keeping the bridge
#   net, only  nonet, on the pod network, the only pod (it creates the
#              bridge; a detached retire deletes it after the pod's end, see
#              capstone/bridge.h). Each such start waits, untimed, for the
#              previous retire to finish; "right after" does not, and pays
#              the rest of that retire (the kernel holds RTNL meanwhile)
#   start      `podrun run -d` of two containers until both are Running
#   rm -f      of a running pod, another pod on the bridge / the last pod
#              (whose bridge is retired in the background: the kernel's
#              unregister is slow); "until the retire" is when it is gone
#   podman     `podman kube play` / `kube down` of the two-container YAML,
#              against podrun's run -d + rm -f of the same file
#   RSS        VmRSS of a running pod's supervisor, its RssAnon, its Pss,
#              and what it alone holds (RssAnon and its share of the memfd
#              copy of podrun, one for every pod); that copy's size;
#              pause's VmRSS; what the pod holds alone (its supervisor's
#              and pause's own memory: what one more pod costs)
#
# Goals, PASS or MISS (printed, never failing the build):
#   nonet <= crun; net <= 1.5 x nonet; every rm -f <= 10 x floor;
#   supervisor VmRSS <= 1024 kB (it counts every page the supervisor maps,
#   the shared copy's included); what a pod holds alone <= 1024 kB.
# A peer that is not installed is skipped, and the report says so.
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

runs=${BENCH_RUNS:-11}
bench_init bench-podrun
w=$bench_dir

pod_yaml oneshot '["true"]' >"$w/oneshot.yaml"
two_pod_yaml bench >"$w/two.yaml"
two_pod_yaml neighbour >"$w/neighbour.yaml"

# ---- the peers that are here -------------------------------------------------
peers=() skipped=()
for rt in crun runc; do
	if ! command -v "$rt" >/dev/null; then
		skipped+=("$rt (not installed)")
	elif ! command -v jq >/dev/null; then
		skipped+=("$rt (jq is not installed)")
	elif ! bench_oci_bundle "$rt" "$w/$rt"; then
		skipped+=("$rt ($rt spec failed)")
	else
		peers+=("$rt")
	fi
done
oci_run() { bench_oci_run "$1" "$w/$1"; }
for rt in "${peers[@]}"; do
	if ! oci_run "$rt" >/dev/null; then
		skipped+=("$rt (a run failed: $(head -c 200 "$w/$rt/err" | tr '\n' ' '))")
		peers=("${peers[@]/$rt/}")
	fi
done

# podman, with a store of its own under $w (vfs: no mounts to leave behind).
pm=()
rootfs=$build/images/busybox/latest/rootfs
if ! command -v podman >/dev/null; then
	skipped+=("podman kube play (not installed)")
else
	pm=(podman --root "$w/podman/root" --runroot "$w/podman/run" --storage-driver vfs)
	bench_cleanup_hooks+=('"${pm[@]}" kube down "$w/podman.yaml"' '"${pm[@]}" rm -af -t 0' '"${pm[@]}" pod rm -af -t 0')
	sed 's/image: busybox/image: localhost\/podlab-busybox:latest/' "$w/two.yaml" >"$w/podman.yaml"
	if ! tar -C "$rootfs" -c . | "${pm[@]}" import - localhost/podlab-busybox:latest >/dev/null 2>"$w/podman.err" ||
		! "${pm[@]}" kube play "$w/podman.yaml" >/dev/null 2>>"$w/podman.err" ||
		! "${pm[@]}" kube down "$w/podman.yaml" >/dev/null 2>>"$w/podman.err"; then
		skipped+=("podman kube play (failed: $(head -c 200 "$w/podman.err" | tr '\n' ' '))")
		pm=()
	fi
fi

# ---- the rounds ------------------------------------------------------------------
declare -A t
add() { t[$1]+="$2 "; }
timed_now() { # KEY CMD...: run, add its ns
	local a b
	a=$(ns)
	"${@:2}" >/dev/null
	b=$(ns)
	add "$1" $((b - a))
}
timed() { # KEY CMD...: the same after a quiet moment
	bench_settle
	timed_now "$@"
}
nonet() { PODRUN_BRIDGE=none "$podrun" run "$w/oneshot.yaml"; }
rss=() anon=() pss=() own=() copy=() pause=() pod_own=()
"$podrun" run -d "$w/neighbour.yaml" >/dev/null
for ((i = 0; i < runs; i++)); do
	add floor "$(floor_ns)"
	timed nonet nonet
	"$podrun" rm -f oneshot >/dev/null
	timed net "$podrun" run "$w/oneshot.yaml"
	"$podrun" rm -f oneshot >/dev/null
	for rt in "${peers[@]}"; do [ -n "$rt" ] && add "$rt" "$(oci_run "$rt")"; done
	timed start "$podrun" run -d "$w/two.yaml"
	sup=$(cat "$PODRUN_ROOT/pods/bench/supervisor.pid")
	rss+=("$(bench_rss_kib "$sup")")
	anon+=("$(awk '/^RssAnon:/ {print $2}' "/proc/$sup/status")")
	pss+=("$(bench_pss_kib "$sup")")
	own+=("$(bench_own_kib "$sup")")
	copy+=("$(($(stat -L -c %s "/proc/$sup/exe") / 1024))")
	pid=$(cat "$PODRUN_ROOT/pods/bench/pause.pid")
	pause+=("$(bench_rss_kib "$pid")")
	pod_own+=($(($(bench_own_kib "$sup") + $(bench_own_kib "$pid"))))
	timed rm "$podrun" rm -f bench
done
"$podrun" rm -f neighbour >/dev/null
bench_wait_retired
# The only pod: its start creates the bridge; at its end a detached retire
# deletes it (capstone/bridge.h). Each timed start below begins once the
# previous retire is done (untimed): one pod on a quiet host. retire: from
# the start of the last pod's rm -f until its bridge is gone. net_busy: a
# pod started right after it, while the retire (the kernel) still works.
for ((i = 0; i < runs; i++)); do
	add floor "$(floor_ns)"
	timed net_only "$podrun" run "$w/oneshot.yaml"
	"$podrun" rm -f oneshot >/dev/null
	bench_wait_retired
	timed start_only "$podrun" run -d "$w/two.yaml"
	bench_settle
	a=$(ns)
	"$podrun" rm -f bench >/dev/null
	b=$(ns)
	add rm_last $((b - a))
	bench_wait_retired
	add retire $(($(ns) - a))
	"$podrun" run -d "$w/two.yaml" >/dev/null
	"$podrun" rm -f bench >/dev/null
	timed_now net_busy "$podrun" run "$w/oneshot.yaml"
	"$podrun" rm -f oneshot >/dev/null
	bench_wait_retired
	if [ ${#pm[@]} -gt 0 ]; then
		timed podman "${pm[@]}" kube play "$w/podman.yaml"
		timed podman_down "${pm[@]}" kube down "$w/podman.yaml"
		bench_settle
		a=$(ns)
		"$podrun" run -d "$w/two.yaml" >/dev/null
		"$podrun" rm -f bench >/dev/null
		b=$(ns)
		add podrun_cycle $((b - a))
		bench_wait_retired
	fi
done

# ---- the report --------------------------------------------------------------------
m() { printf '%s\n' ${t[$1]} | median; }
declare -A med
for k in "${!t[@]}"; do med[$k]=$(m "$k"); done
f=${med[floor]}
row() { # LABEL KEY [REFERENCE-KEY REFERENCE-NAME]
	local ref=${3:-floor}
	printf '  %-58s %8.2f ms  %6.2fx %s\n' "$1" "$(awk -v a="${med[$2]}" 'BEGIN {print a / 1e6}')" \
		"$(ratio "${med[$2]}" "${med[$ref]}")" "${4:-floor}"
}
echo "bench-podrun: medians of $runs rounds; ratios to the floor of the same run unless named"
printf '  %-58s %8.2f ms\n' "floor: unshare --pid --net --mount --uts --ipc --fork true" "$(awk -v a="$f" 'BEGIN {print a / 1e6}')"
row "podrun run, 1 container 'true', no network" nonet
for rt in "${peers[@]}"; do [ -n "$rt" ] && row "$rt run, same bundle and namespaces" "$rt"; done
row "podrun run, same, pod network (bridge kept by another pod)" net
row "podrun run, same, pod network, the only pod (bridge made+retired)" net_only
row "  the same, right after the last pod's rm -f (retire running)" net_busy
row "podrun run -d, 2 containers Running (bridge exists)" start
row "podrun run -d, 2 containers Running, the only pod" start_only
row "podrun rm -f, another pod on the bridge" rm
row "podrun rm -f, the last pod (bridge retired in the background)" rm_last
row "  until the retire deleted the bridge (nobody waits for it)" retire
if [ ${#pm[@]} -gt 0 ]; then
	row "podman kube play, the same 2-container YAML" podman
	row "podman kube down" podman_down
	printf '  %-58s %8.2f ms  %6.2fx podman play+down\n' "podrun run -d + rm -f, the same YAML" \
		"$(awk -v a="${med[podrun_cycle]}" 'BEGIN {print a / 1e6}')" \
		"$(ratio "${med[podrun_cycle]}" "$((med[podman] + med[podman_down]))")"
fi
r=$(printf '%s\n' "${rss[@]}" | median)
a=$(printf '%s\n' "${anon[@]}" | median)
printf '  %-58s %8d kB\n' "supervisor VmRSS, one running 2-container pod" "$r"
printf '  %-58s %8d kB\n' "  of which anonymous (RssAnon)" "$a"
printf '  %-58s %8d kB\n' "  Pss (shared pages split with the neighbour's supervisor)" \
	"$(printf '%s\n' "${pss[@]}" | median)"
printf '  %-58s %8d kB\n' "  its own: RssAnon + its share of the sealed copy of podrun" \
	"$(printf '%s\n' "${own[@]}" | median)"
printf '  %-58s %8d kB\n' "  the sealed copy of podrun (one for every pod of the build)" \
	"$(printf '%s\n' "${copy[@]}" | median)"
# What supervisor.ld placed together (capstone.mk): a layout that no longer
# matches the code (a function renamed, another glibc) shows here shrunk.
placed=0
while read -r size; do placed=$((placed + 16#$size)); done < <(readelf -SW "$podrun" |
	sed 's/^ *\[ *[0-9]*\] *//' | awk '$1 ~ /^\.(text|rodata)\.supervisor$/ {print $5}')
printf '  %-58s %8d kB\n' "  the supervisor's code and data, placed together" $((placed / 1024))
printf '  %-58s %8d kB\n' "pause VmRSS" "$(printf '%s\n' "${pause[@]}" | median)"
po=$(printf '%s\n' "${pod_own[@]}" | median)
printf '  %-58s %8d kB\n' "what one more pod holds alone: its supervisor's + pause's" "$po"
if [ ${#skipped[@]} -gt 0 ]; then
	echo "  skipped: ${skipped[*]}"
fi

echo "goals"
g() { printf '  %-4s %-62s %s\n' "$(goal x "$2" "$3")" "$1" "$4"; }
have_crun=false
for rt in "${peers[@]}"; do [ "$rt" = crun ] && have_crun=true; done
if $have_crun; then
	g "one container, no network, to completion <= crun" "$(ratio "${med[nonet]}" "${med[crun]}")" 1 \
		"$(ratio "${med[nonet]}" "${med[crun]}")x crun"
else
	echo "  SKIP one container, no network, to completion <= crun (crun is not here)"
fi
g "with the pod network <= 1.5x without (bridge kept)" "$(ratio "${med[net]}" "${med[nonet]}")" 1.5 \
	"$(ratio "${med[net]}" "${med[nonet]}")x"
g "with the pod network <= 1.5x without (the only pod)" "$(ratio "${med[net_only]}" "${med[nonet]}")" 1.5 \
	"$(ratio "${med[net_only]}" "${med[nonet]}")x"
g "rm -f, another pod on the bridge <= 10x floor" "$(ratio "${med[rm]}" "$f")" 10 "$(ratio "${med[rm]}" "$f")x"
g "rm -f, the last pod <= 10x floor" "$(ratio "${med[rm_last]}" "$f")" 10 "$(ratio "${med[rm_last]}" "$f")x"
g "supervisor VmRSS <= 1024 kB per pod (every page it maps)" "$r" 1024 "${r} kB"
g "what a pod holds alone (supervisor + pause) <= 1024 kB" "$po" 1024 "${po} kB"
