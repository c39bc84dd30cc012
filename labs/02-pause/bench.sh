#!/usr/bin/env bash
# bench.sh - bench-pause: what a pod's holder costs, on disk and in memory.
#
# Starts each holder, reads its size on disk and its VmRSS (the resident set:
# pages of the process actually in RAM), and prints each as a ratio to the
# baseline built in the same run: pause.c compiled the way Kubernetes builds
# its pause image (glibc, -static -O2, not stripped).
# Goal: podlab's holders at most 16 KiB on disk and 64 kB resident. Printed, not asserted.
set -euo pipefail
dir="${PODLAB_BUILD:?}/labs/02-pause"

holders=(pause-glibc)
[ -x "$dir/pause-asm" ] && holders+=(pause-asm)
holders+=(pause-c)

declare -A size rss
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap stop_all EXIT
for h in "${holders[@]}"; do
	"$dir/$h" 2>/dev/null &
	pids+=($!)
	size[$h]=$(stat -c %s "$dir/$h")
done
# Let each one reach pause(2) (its resident set is complete by then).
for i in "${!holders[@]}"; do
	p=${pids[$i]}
	for _ in $(seq 100); do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = S ] && break
		sleep 0.01
	done
	rss[${holders[$i]}]=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")
done

base=pause-glibc
printf '%-12s %10s %8s %10s %8s   %s\n' holder "disk (B)" ratio "VmRSS kB" ratio goal
for h in "${holders[@]}"; do
	goal=""
	if [ "$h" != "$base" ]; then
		goal="disk <= 16384: $([ "${size[$h]}" -le 16384 ] && echo yes || echo NO)"
		goal+=", rss <= 64: $([ "${rss[$h]}" -le 64 ] && echo yes || echo NO)"
	fi
	printf '%-12s %10d %8s %10d %8s   %s\n' "$h" "${size[$h]}" \
		"$(awk -v a="${size[$h]}" -v b="${size[$base]}" 'BEGIN {printf "%.3f", a / b}')" \
		"${rss[$h]}" \
		"$(awk -v a="${rss[$h]}" -v b="${rss[$base]}" 'BEGIN {printf "%.3f", a / b}')" \
		"$goal"
done
