#!/usr/bin/env bash
# bench-steps.sh - `make bench-steps`: where the time of one container start
# and of one pod teardown goes, step by step, without changing podrun.
#
# How: strace, but only on the syscalls that mark a step (clone, mount,
# pivot_root, capset, seccomp, execve, netlink sendto, rename, ...), with
# --seccomp-bpf so that every other syscall runs at full speed. A step runs
# from its marker to the next one; a step met twice (state files) is summed.
# The table prints the total with and without the trace: the trace costs
# little in the teardown, but about doubles the start, and mostly in the
# steps that make a process (fork, clone, execve: the tracer attaches to
# each child), so read those shares as upper bounds. Pod: one busybox
# container (sleep) with one emptyDir volume, on the pod network.
#
#   start      `podrun run -d` until it returns (the container Running)
#   teardown   `podrun rm -f` of that pod, the supervisor's side included
#
# Two cases, as on a node: another pod keeps the bridge (the usual one), and
# the only pod, whose start creates the bridge and whose end leaves it to a
# detached retire (capstone/bridge.h), waited for between runs, untimed.
# Medians over STEPS_RUNS (9) runs; shares are of the same case's total.
#
#   make bench-steps [STEPS_RUNS=N]     STEPS_KEEP=DIR keeps the traces
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

runs=${STEPS_RUNS:-9}
command -v strace >/dev/null || { echo "bench-steps: strace is not installed" >&2; exit 2; }
bench_init bench-steps
traces=$bench_dir/traces
mkdir -p "$traces"

pod_yaml steps '["sleep", "3600"]' '    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes:
  - {name: scratch, emptyDir: {}}' >"$bench_dir/steps.yaml"
pod_yaml neighbour '["sleep", "3600"]' >"$bench_dir/neighbour.yaml"

SYSCALLS=execve,clone,clone3,mount,fsopen,fsmount,move_mount,open_tree,pivot_root,umount2,sendto,rename
SYSCALLS+=,capset,setgroups,seccomp,wait4,pidfd_send_signal,exit_group,setns,unlinkat,rmdir,flock,unshare
# mkdir: for the pod's first cgroup, made once the grace period of the first
# move into a cgroup has passed, which the process podrun run forks first
# thing waits for (res_warm_moves, capstone/resources.h). (Tracing the write
# to cgroup.procs itself would stop every write of every state file.)
SYSCALLS+=,mkdir
# A step runs from its marker to the next, whatever process makes it: that
# needs the steps one after the other. On a kernel that expedites its grace
# periods podrun makes the cgroups beside the first container's build
# instead (the same resources.h, res_moves_expedited), and their time would
# land in the container's rows. The bench asks for the order of a kernel with normal grace
# periods, traced and untraced alike, and says so.
export PODRUN_RCU_EXPEDITED=0
trace() { # OUT CMD...
	local out=$1
	shift
	strace -f --seccomp-bpf -qq -ttt -e trace="$SYSCALLS" -e signal=none -o "$out" "$@"
}

# One traced start and teardown: start.N (run -d and its supervisor, to its
# end) and rm.N (the rm -f client).
traced_cycle() { # N
	trace "$traces/start.$1" "$podrun" run -d "$bench_dir/steps.yaml" >/dev/null &
	local tracer=$!
	# run -d returns at Running, but strace waits for the supervisor: wait
	# for the client's exit in the trace instead.
	local first
	for _ in $(seq 500); do
		first=$(awk 'NR == 1 {print $1; exit}' "$traces/start.$1" 2>/dev/null || true)
		[ -n "$first" ] && grep -q "^$first [0-9.]* exit_group(" "$traces/start.$1" && break
		sleep 0.02
	done
	trace "$traces/rm.$1" "$podrun" rm -f steps >/dev/null
	wait "$tracer"
	bench_wait_retired
}

untraced_cycle() {
	local t0 t1 t2
	t0=$(ns)
	"$podrun" run -d "$bench_dir/steps.yaml" >/dev/null
	t1=$(ns)
	"$podrun" rm -f steps >/dev/null
	t2=$(ns)
	bench_wait_retired
	echo "$((t1 - t0)) $((t2 - t1))"
}

# Label every step of one traced cycle; prints "start|teardown STEP ms".
# Two passes over the start trace: the first finds who is who (the client,
# the supervisor, pause, the container, and the short-lived helpers by the
# namespace they join first), the second cuts the timeline at the markers.
analyse() { # START RM
	{
		sed 's/^/S /' "$1"
		sed 's/^/R /' "$2"
	} | sort -k3,3n -s >"$1.merged"
	awk '
	function newpid(line,   m) {
		if (match(line, /\) += [0-9]+/)) { m = substr(line, RSTART, RLENGTH); sub(/.*= /, "", m); return m }
		return ""
	}
	FNR == NR {
		src = $1; pid = $2
		if (!(src in client)) client[src] = pid
		if (src == "S" && sup == "" && $0 ~ /flock\(/) sup = pid
		if (src == "S" && $0 ~ /clone\(/) pending[pid] = $0
		if (src == "S" && ($0 ~ /clone\(/ || $0 ~ /clone resumed/) && (c = newpid($0)) != "") {
			if (pending[pid] ~ /CLONE_NEWNET/) pause = c
			else if (pending[pid] ~ /CLONE_PARENT|CLONE_NEWPID/) ctr = c
			else child_of_sup[c] = 1
		}
		# the first setns of a process: a container joins the pod ipc namespace
		# first; a netns alone is the supervisor, opening its netlink socket there
		if ($0 ~ /setns\(/ && !(pid in role)) role[pid] = ($0 ~ /CLONE_NEWIPC/) ? "ctrhelper" : "nethelper"
		if (src == "S" && pid == client["S"] && $0 ~ /exit_group\(/) start_end = $3
		if (src == "R" && pid == client["R"] && $0 ~ /execve\(/) rm_begin = $3
		if (src == "R" && pid == client["R"] && $0 ~ /exit_group\(/) rm_end = $3
		next
	}
	function cut(t, label) {
		if (cur != "" && t > at) spent[phase, cur] += t - at
		if (!((phase, label) in seen)) { seen[phase, label] = 1; order[phase, ++n[phase]] = label }
		cur = label; at = t
	}
	function stepof(   s) {
		s = $0
		if (src == "R") {
			if (s ~ /execve\(/) return "rm: exec podrun, find the pod"
			if (s ~ /pidfd_send_signal\(/) return "rm: signal the supervisor"
			if (s ~ /flock\(/) return "rm: lock, clean the state dir and the layers (mountinfo, rm -rf)"
			return ""
		}
		if (pid == client["S"] && s ~ /execve\(/) return "podrun: exec, parse the YAML, detach"
		if (pid == pause) {
			if (s ~ /sendto\(/) return "sandbox: pause sets its hostname, lo up"
			if (s ~ /mount\(NULL, "\/"/) return "sandbox: pause builds its own root (tmpfs, pivot_root)"
			if (s ~ /setgroups\(/) return "sandbox: pause drops capabilities and root, execs"
			if (s ~ /execve\(/) return "sandbox: exec pause, open its namespaces"
			return ""
		}
		if (pid == ctr) {
			if (s ~ /mount\(NULL, "\/"/ || s ~ /"overlay"/) return "container: overlay root"
			if (s ~ /open_tree\([0-9]+, "",/) return "container: volumes"
			if (s ~ /mount\("proc"/) return "container: /proc and its masks"
			if (s ~ /mode=755,size=65536k/) return "container: /dev (tmpfs, device binds, devpts, mqueue)"
			if (s ~ /mount\("sysfs"/) return "container: /sys"
			if (s ~ /pivot_root\(/) return "container: pivot_root"
			if (s ~ /umount2\(/) return "container: workdir, env, signals, bounding set"
			if (s ~ /unshare\(CLONE_NEWCGROUP/) return "container: its cgroups at /sys/fs/cgroup (cgroupns, mounts)"
			if (s ~ /setgroups\(/) return "container: user, capset, no_new_privs"
			if (s ~ /seccomp\(SECCOMP_SET_MODE_FILTER/) return "container: seccomp filter load"
			if (s ~ /execve\(/) return "container: execve, the command looked for in PATH"
			if (s ~ /execve resumed/) return "supervisor: state files"
			return ""
		}
		if (role[pid] == "nethelper" && s ~ /setns\(/) return "pod network: eth0 address, route (a socket in the netns)"
		if (role[pid] == "ctrhelper" && s ~ /setns\(/) return "container: clone, setns into the pod"
		if (pid != sup) return ""
		if (phase == "teardown" && s ~ /clone\(/) return "bridge: no port left, fork its retire (bridge.c)"
		if (s ~ /clone\(/ && s ~ /CLONE_NEWNET/) return "sandbox: clone pause (new net, ipc, uts, mnt)"
		if (s ~ /clone\(/ && (c = newpid(s)) != "") return role[c] == "nethelper" ? "pod network: eth0 address, route (a socket in the netns)" : "container: clone, setns into the pod"
		if (s ~ /flock\(/ && phase == "start") return "supervisor: lock, pod directories"
		# a detached tmpfs (lab 03, vol_tmpfs_detached), or on an older
		# kernel the host mount it falls back to
		if (phase == "start" && (s ~ /fsopen\("tmpfs"/ || s ~ /mount\("shm"/)) return "sandbox: its /dev/shm (a tmpfs)"
		if (phase == "start" && s ~ /mkdir\("\/sys\/fs\/cgroup/ && !cgmade++) return "supervisor: pod cgroups (after the first move'"'"'s grace period)"
		if (s ~ /seccomp\(/) return "supervisor: seccomp filter compiled (libseccomp)"
		if (s ~ /rename\(/) return "supervisor: state files"
		if (phase == "start" && s ~ /sendto\(/) return "pod network: bridge, veth (netlink)"
		if (phase == "teardown") {
			if (s ~ /pidfd_send_signal\(/ && !stopped) { stopped = 1; return "stop the container (SIGTERM, SIGKILL, reap)" }
			if (s ~ /rmdir\("\/sys\/fs\/cgroup/) return "lock, remove the pod'"'"'s cgroups"
			if (s ~ /rmdir\(/ || s ~ /unlinkat\(/) return "volumes: unmount, remove"
			if (s ~ /pidfd_send_signal\(/) return "stop pause (SIGTERM, reap)"
			if (s ~ /sendto\(/ && !locked) return "veth off the bridge (the kernel destroys it with the netns)"
			if (s ~ /umount2\(/) return "volumes: unmount, remove"
			if (s ~ /flock\(/ && !locked) { locked = 1; return "lock, remove the pod'"'"'s cgroups" }
			if (s ~ /flock\(/) return "bridge: no port left, fork its retire (bridge.c)"
			if (s ~ /exit_group\(/) return "supervisor exits"
		}
		return ""
	}
	{
		src = $1; pid = $2; t = $3 * 1000
		if (phase == "" && src == "S") { phase = "start"; cur = ""; cut(t, stepof()); next }
		if (phase == "start" && t >= start_end * 1000) { cut(start_end * 1000, "end"); phase = "gap" }
		if (phase == "gap" && src == "R") { phase = "teardown"; cur = ""; at = t }
		if (phase == "teardown" && t > rm_end * 1000) next
		if (phase == "gap") next
		l = stepof()
		if (l != "" && l != cur) cut(t, l)
	}
	END {
		if (phase == "teardown") cut(rm_end * 1000, "end")
		for (p = 1; p <= 2; p++) {
			ph = p == 1 ? "start" : "teardown"
			for (i = 1; i <= n[ph]; i++) {
				l = order[ph, i]
				if (l != "end") printf "%s|%s|%.3f\n", ph, l, spent[ph, l]
			}
		}
	}' "$1.merged" "$1.merged"
}

echo "bench-steps: $runs traced and $runs untraced runs per case (strace --seccomp-bpf)"
echo "  the order of a kernel with normal RCU grace periods (PODRUN_RCU_EXPEDITED=0): cgroups last"
for f in steps.usual steps.only wall.usual wall.only; do : >"$bench_dir/$f"; done
"$podrun" run -d "$bench_dir/neighbour.yaml" >/dev/null
for ((i = 0; i < runs; i++)); do
	untraced_cycle >>"$bench_dir/wall.usual"
	traced_cycle "u$i"
	analyse "$traces/start.u$i" "$traces/rm.u$i" | sed "s/^/$i|/" >>"$bench_dir/steps.usual"
done
"$podrun" rm -f neighbour >/dev/null
for ((i = 0; i < runs; i++)); do
	untraced_cycle >>"$bench_dir/wall.only"
	traced_cycle "o$i"
	analyse "$traces/start.o$i" "$traces/rm.o$i" | sed "s/^/$i|/" >>"$bench_dir/steps.only"
done
[ -n "${STEPS_KEEP:-}" ] && mkdir -p "$STEPS_KEEP" && cp -r "$traces" "$bench_dir"/steps.* "$STEPS_KEEP/"

# The table: per step, its median ms in each case (0 in a run without it)
# and that as a share of the case's median traced total.
report() { # PHASE WALLCOLUMN
	local phase=$1 col=$2
	local wu wo
	wu=$(awk -v c="$col" '{print $c}' "$bench_dir/wall.usual" | median)
	wo=$(awk -v c="$col" '{print $c}' "$bench_dir/wall.only" | median)
	awk -F'|' -v ph="$phase" -v wu="$wu" -v wo="$wo" '
	function med(v, m,   i, j, t) {
		for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return m ? v[int((m + 1) / 2)] : 0
	}
	$2 == ph {
		f = FILENAME ~ /usual/ ? "u" : "o"
		runs[f, $1] = 1
		if (!((f, $1) in counted)) { counted[f, $1] = 1; nr[f]++; rid[f, nr[f]] = $1 }
		ms[f, $1, $3] += $4
		tot[f, $1] += $4
		if (!($3 in known)) { known[$3] = 1; names[++nn] = $3 }
	}
	END {
		for (g = 0; g < 2; g++) {
			f = g ? "o" : "u"
			for (i = 1; i <= nr[f]; i++) v[i] = tot[f, rid[f, i]]
			total[f] = med(v, nr[f])
		}
		printf "| %-60s | %7s | %6s | %8s | %6s |\n", (ph == "start" ? "start: `podrun run -d` until Running" : "teardown: `podrun rm -f`"), "ms", "share", "only pod", "share"
		printf "|%s|%s|%s|%s|%s|\n", "--------------------------------------------------------------", "--------:", "-------:", "---------:", "-------:"
		for (k = 1; k <= nn; k++) {
			for (g = 0; g < 2; g++) {
				f = g ? "o" : "u"
				for (i = 1; i <= nr[f]; i++) v[i] = ms[f, rid[f, i], names[k]] + 0
				m[f] = med(v, nr[f])
			}
			printf "| %-60s | %7.2f | %5.1f%% | %8.2f | %5.1f%% |\n", names[k], m["u"], total["u"] ? 100 * m["u"] / total["u"] : 0, m["o"], total["o"] ? 100 * m["o"] / total["o"] : 0
		}
		printf "| %-60s | %7.2f | %6s | %8.2f | %6s |\n", "total, traced (median)", total["u"], "100%", total["o"], "100%"
		printf "| %-60s | %7.2f | %6s | %8.2f | %6s |\n", "total, not traced (median of as many runs)", wu / 1e6, "", wo / 1e6, ""
	}' "$bench_dir/steps.usual" "$bench_dir/steps.only"
}
echo
echo "Another pod keeps the bridge (\"ms\", \"share\"); the only pod creates it, and its end retires it (\"only pod\")."
echo "A step's share is of its case's traced total; a share of 0.0% in one case: the step does not happen there."
echo
report start 1
echo
report teardown 2
