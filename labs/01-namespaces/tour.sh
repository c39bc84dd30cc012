#!/usr/bin/env bash
# tour.sh - a guided tour of lab 01: runs each step program and says what to
# look for in its output (`make demo` tours podrun instead). Run it as root:
#     PODLAB_BUILD=build bash labs/01-namespaces/tour.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${PODLAB_BUILD:-$here/../../build}
B="$build/labs/01-namespaces"

if [ -t 1 ]; then bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'; else bold='' dim='' off=''; fi
title() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
say() { printf '%s%s%s\n' "$dim" "$*" "$off"; }
show() {
	local a line=
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./,=:+-]+$ ]]; then line+=" $a"; else line+=" '$a'"; fi
	done
	printf '%s$%s%s\n' "$bold" "$line" "$off"
	"$@"
}

for p in step1_uts step2_pid step3_net step4_setns step5_userns nscmp; do
	[ -x "$B/$p" ] || { echo "tour: $B/$p is missing: run 'make' first" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	echo "tour: the namespace labs need root (run it as root)" >&2
	exit 1
fi

holder=
cleanup() { [ -z "$holder" ] || { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; } || true; }
trap cleanup EXIT

title "Lab 01: namespaces - each step program shows one kernel idea (lesson: labs/01-namespaces/README.md)"

title "Step 1: a UTS namespace"
say "A child process unshares its UTS namespace and renames the machine. Look at the"
say "uts:[inode] column: the child's changes after unshare, and the host, asked again"
say "afterwards, still has its old name and its old inode."
show "$B/step1_uts" podlab-tour

title "Step 2: a PID namespace"
say "clone(CLONE_NEWPID|CLONE_NEWNS) starts a child that is PID 1 inside (and has an"
say "ordinary PID outside). getppid() says 0: its parent lives in another namespace."
say "After mounting its own /proc, the process list holds only PID 1 and its child."
show "$B/step2_pid"

title "Step 3: a network namespace"
say "A new network namespace has one interface, lo, and it is DOWN (a host with a tunnel"
say "module loaded adds its fallback device, tunl0@NONE or the like, DOWN). One ioctl brings lo"
say "UP. The host's interfaces are not there at all."
show "$B/step3_net"

title "Step 4: joining namespaces (nscmp, then step4_setns)"
say "A holder process, made by util-linux unshare, lives in its own net and uts namespaces:"
unshare --net --uts sh -c 'hostname tour-holder; exec sleep 600' &
holder=$!
for _ in $(seq 50); do
	[ "$(readlink "/proc/$holder/exe" 2>/dev/null)" = "$(command -v sleep)" ] && break
	sleep 0.05
done
say "nscmp compares its namespaces with its own (nscmp's), inode by inode: net and uts differ, the rest is shared."
show "$B/nscmp" "$holder"
say "step4_setns opens /proc/$holder/ns/{net,uts}, joins them with setns(2) and runs a"
say "command there: it sees the holder's hostname and the holder's lone lo."
show "$B/step4_setns" "$holder" net,uts -- sh -c 'hostname; ip -o link | cut -d" " -f2,3'
say "'all' joins exactly the types the holder does not share with us:"
show "$B/step4_setns" "$holder" all -- hostname

title "Step 5: a user namespace"
say "Running as root, the program first becomes nobody (65534), so what follows is what"
say "any user gets: no capabilities outside, all of them inside a new user namespace once"
say "uid_map maps 0 inside to 65534 outside - and yet the host's hostname stays out of reach."
show "$B/step5_userns"

title "Done. Grade the lab with: make lab-1"
