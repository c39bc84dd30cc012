#!/usr/bin/env bash
# supervisor-layout.sh - `make supervisor-layout`: writes capstone/supervisor.ld,
# the linker script that puts the code and read-only data a pod's supervisor
# runs next to each other in podrun (capstone.mk links podrun with it).
#
# Why: a supervisor runs from the sealed copy of podrun (podrun.c), all of it
# in memory. On a fault in a file's mapping the kernel maps the pages around
# it too, up to 64 kB (fault-around), so each 64 kB of podrun where the
# supervisor touches one function counts whole in its VmRSS. glibc's
# functions alone are spread over 850 kB; the supervisor's 640 functions
# touched nearly every 64 kB of the copy. Placed together they fill six.
#
# How: a uprobe on every function of the podrun just built (tracefs), armed
# on the sealed copy a running pod's supervisor maps (/proc/PID/exe: the
# copy's inode), and two pods run and removed: the bench's pod of two
# `sleep` containers, and one with an init container, an emptyDir, probes
# of both kinds, limits and a container that crashes and restarts. Every
# function a supervisor entered (or its pause before its exec, which runs in
# the supervisor's memory) is placed, in the order first entered, then:
#   - what uprobes cannot probe: the kernel refuses (ENOTSUPP) a probe on
#     some AVX instructions, the first of several of glibc's AVX2 string
#     functions (all are placed, but variants this CPU cannot run);
#   - the functions on the stack when the supervisor is forked
#     (FORK_CHAIN): the supervisor returns into them without entering them.
# Read-only data: the same objects' .rodata, and the objects read for their
# data alone (DATA_ONLY), found once by the page faults of a supervisor
# (the exceptions:page_fault_user tracepoint: uprobes see no data).
#
# The script names input sections, as the link map (podrun.map) shows
# them: a function of our objects is its own section (-ffunction-sections),
# one of a static library is its archive member's. A section the link does
# not find (another glibc, a renamed function) is left where it was: the
# layout can only get worse, never wrong. Needs root and tracefs; takes
# about a minute.
#
#   make supervisor-layout                 writes capstone/supervisor.ld
#   bash capstone/supervisor-layout.sh FILE  writes FILE instead
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

out=${1:-$here/capstone/supervisor.ld}
map=$podrun.map
FORK_CHAIN="_Fork __libc_fork run_detached"
DATA_ONLY="libc.a:C-ctype.o libc.a:varshift.o seccomp_default.o"

[ -r "$map" ] || { echo "supervisor-layout: no link map $map (make build-capstone)" >&2; exit 2; }
# podrun's symbols, one a line: address, size (where it has one), type, name.
syms=$(nm -S --defined-only "$podrun")
# The map must be this podrun's (a SAN=1 link writes none): main where nm says.
[ "$(awk '$2 == "main" && $1 ~ /^0x/ {print $1}' "$map" | sed 's/^0x0*//')" = \
	"$(awk '$NF == "main" {print $1}' <<<"$syms" | sed 's/^0*//')" ] ||
	{ echo "supervisor-layout: $map is not the map of $podrun (make build-capstone)" >&2; exit 2; }
bench_init supervisor-layout

tracefs=/sys/kernel/tracing
group=podrunlayout$$
inst=$tracefs/instances/$group
# Turning a uprobe off waits for RCU grace periods, tens of milliseconds
# here: two minutes for all of them, one with rcu_expedited set meanwhile
# (the rest is tasks-trace RCU, which nothing expedites). The machine's
# value is read once, before any change, and is what every path restores.
rcu=/sys/kernel/rcu_expedited
rcu_was=$(cat "$rcu" 2>/dev/null) || rcu_was=
rcu_restore() { if [ -n "$rcu_was" ]; then echo "$rcu_was" >"$rcu" 2>/dev/null || true; fi; }
events_off() {
	[ -d "$inst/events/$group" ] || return 0
	if [ -n "$rcu_was" ]; then echo 1 >"$rcu" 2>/dev/null || true; fi
	echo 0 >"$inst/events/$group/enable" 2>/dev/null || true
	rcu_restore
}
# Cleanup hooks run in order: the events off, our probes gone, then tracefs
# unmounted if we mounted it.
unprobe() {
	events_off
	if [ -d "$inst" ]; then rmdir "$inst" || true; fi
	if [ -s "$bench_dir/probes" ]; then
		sed 's/^p:\([^ ]*\) .*/-:\1/' "$bench_dir/probes" | write_lines
	fi
	return 0
}
# uprobe_events takes one definition a write(2): a line that a long write
# splits at a page's end can be refused (EINVAL).
write_lines() {
	local l
	while read -r l; do echo "$l" || true; done >>"$tracefs/uprobe_events" 2>/dev/null
}
bench_cleanup_hooks+=(unprobe)
if [ ! -e "$tracefs/uprobe_events" ]; then
	mount -t tracefs nodev "$tracefs" ||
		{ echo "supervisor-layout: cannot mount tracefs on $tracefs" >&2; exit 1; }
	bench_cleanup_hooks+=("umount $tracefs")
fi

pod_yaml neighbour '["sleep", "3600"]' >"$bench_dir/neighbour.yaml"
two_pod_yaml two >"$bench_dir/two.yaml"
cat >"$bench_dir/busy.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: busy
spec:
  terminationGracePeriodSeconds: 2
  volumes:
  - {name: shared, emptyDir: {}}
  initContainers:
  - name: init
    image: busybox
    command: ["sh", "-c", "echo ok >/data/ok"]
    volumeMounts: [{name: shared, mountPath: /data}]
  containers:
  - name: web
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/data"]
    volumeMounts: [{name: shared, mountPath: /data}]
    readinessProbe: {httpGet: {path: /ok, port: 8080}, periodSeconds: 1}
    livenessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
    resources: {limits: {memory: 64Mi, cpu: 200m}}
  - name: crash
    image: busybox
    command: ["sh", "-c", "echo out; echo err >&2; sleep 1; exit 3"]
    env: [{name: A, value: b}]
YAML

# The copy every pod of this build runs from, held by a neighbour's supervisor.
"$podrun" run -d "$bench_dir/neighbour.yaml" >/dev/null
copy=/proc/$(cat "$PODRUN_ROOT/pods/neighbour/supervisor.pid")/exe

# uprobe offsets are file offsets: a function's address less its loadable
# segment's address, plus the segment's file offset.
readelf -lW "$podrun" | awk '$1 == "LOAD" && / R?E / {print $2, $3, $5}' >"$bench_dir/segs"
printf '%s\n' "$syms" >"$bench_dir/names"
# A function whose first instruction is EVEX-encoded (AVX-512: first byte
# 0x62) is not probed: uprobes take such a probe, and the function then
# goes wrong where the probe hits (kernel 6.18 on a CPU with AVX-512:
# glibc's __strchrnul_evex, probed, broke podrun's printf). Such functions
# go with the refused ones below.
objdump -d "$podrun" | awk '/^[0-9a-f]+ <.*>:$/ {
	a = $1; getline; split($0, f, "\t"); if (f[2] ~ /^62 /) print a }' | sort -u >"$bench_dir/evex"
awk 'NF == 4 && $3 ~ /^[tTwW]$/ && $2 !~ /^0+$/ {print $1}' "$bench_dir/names" | sort -u |
	comm -23 - "$bench_dir/evex" >"$bench_dir/funcs"
while read -r off va size; do
	while read -r f; do
		if ((0x$f >= va && 0x$f < va + size)); then
			printf 'p:%s/f%s %s:0x%x\n' "$group" "$f" "$copy" $((0x$f - va + off))
		fi
	done <"$bench_dir/funcs"
done <"$bench_dir/segs" >"$bench_dir/probes"
write_lines <"$bench_dir/probes"
mkdir "$inst"
# Room for the whole run, and no event overwritten if it overflows: the
# first ones are the start's (checked below).
echo 16384 >"$inst/buffer_size_kb"
echo 0 >"$inst/options/overwrite"
: >"$bench_dir/unprobed"
for e in "$inst/events/$group"/f*/enable; do
	echo 1 >"$e" 2>/dev/null || basename "$(dirname "$e")" | cut -c2- >>"$bench_dir/unprobed"
done
echo "supervisor-layout: $(wc -l <"$bench_dir/probes") functions probed," \
	"$(wc -l <"$bench_dir/unprobed") refused by uprobes, $(wc -l <"$bench_dir/evex") left (EVEX)"
cat "$bench_dir/evex" >>"$bench_dir/unprobed"

# Each supervisor, and its pod's pause: until its exec the holder runs in
# the supervisor's memory (lab 02, clone_holder), and the pages of podrun it
# runs are mapped there.
sups=()
for pod in two busy; do
	"$podrun" run -d "$bench_dir/$pod.yaml" >/dev/null
	sups+=("$(cat "$PODRUN_ROOT/pods/$pod/supervisor.pid")" "$(cat "$PODRUN_ROOT/pods/$pod/pause.pid")")
done
sleep 5 # probes, the crash's restart, the log lines
for pod in two busy; do "$podrun" rm -f "$pod" >/dev/null; done
events_off
lost=$(cat "$inst"/per_cpu/cpu*/stats | awk '/^(overrun|dropped events):/ {n += $NF} END {print n + 0}')
[ "$lost" = 0 ] || { echo "supervisor-layout: $lost trace events lost (buffer_size_kb)" >&2; exit 1; }

# The functions the supervisors entered, in the order first entered.
awk -v pids=" ${sups[*]} " '
	{
		pid = c[split($1, c, "-")]
		if (index(pids, " " pid " ") == 0) next
		for (i = 2; i <= NF; i++)
			if ($i ~ /^f[0-9a-f]+:$/) { a = substr($i, 2, length($i) - 2); if (!seen[a]++) print a }
	}' "$inst/trace" >"$bench_dir/entered"
[ -s "$bench_dir/entered" ] || { echo "supervisor-layout: no supervisor function was traced" >&2; exit 1; }
traced=$(wc -l <"$bench_dir/entered")
# The refused probes but the variants this CPU cannot run (glibc picks a
# string function's variant by the CPU's features: *_rtm needs rtm, evex
# and avx512 variants avx512vl).
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
while read -r a; do
	name=$(awk -v a="$a" '$1 == a && !n++ {print $NF}' "$bench_dir/names")
	case $name in *_rtm*) [[ $flags == *" rtm "* ]] || continue ;; esac
	case $name in *evex* | *avx512*) [[ $flags == *" avx512vl "* ]] || continue ;; esac
	echo "$a"
done <"$bench_dir/unprobed" >>"$bench_dir/entered"
for f in $FORK_CHAIN; do
	awk -v f="$f" '$NF == f && !n++ {print $1}' "$bench_dir/names"
done >>"$bench_dir/entered"

# Each address to the input section that holds it, as the link map says
# (a section's name may stand alone on its line, its address on the next).
awk -v data_only="$DATA_ONLY" -v date="$(date -u +%F)" -v n="$traced" '
	function hex(s, i, v, c) {
		v = 0; s = tolower(s); sub(/^0x/, "", s)
		for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); v = v * 16 + c - 1 }
		return v
	}
	function input(file, m) { # an archive member as *libc.a:vfprintf-internal.o, an object as */pod.o
		if (match(file, /[^\/]*\.a\(.*\)$/)) {
			m = substr(file, RSTART, RLENGTH); sub(/\(/, ":", m); sub(/\)$/, "", m)
			return "*" m
		}
		sub(/.*\//, "", file)
		return "*/" file
	}
	BEGIN { ns = 0 }
	function add(a, f, s) { start[ns] = a; size[ns] = s; file[ns] = f; name[ns] = sec; ns++ }
	NR == FNR { want[NR] = hex($1); nwant = NR; next }
	/^\.[^ ]/ { out = $1; next }
	out !~ /^\.text/ { next }
	/^ \.[^ ]+$/ { sec = $1; next }
	/^ \.[^ ]+ +0x[0-9a-f]+ +0x[0-9a-f]+ / { sec = $1; add(hex($2), $4, hex($3)); next }
	/^ +0x[0-9a-f]+ +0x[0-9a-f]+ / && sec != "" { add(hex($1), $3, hex($2)); sec = ""; next }
	END {
		printf "/* supervisor.ld - made by `make supervisor-layout` (capstone/supervisor-layout.sh)\n"
		printf " * on %s from the %d functions two pods%s supervisors entered, and\n", date, n, "\047"
		printf " * what uprobes do not see; run it again, do not edit. capstone.mk links\n"
		printf " * podrun with it. */\n"
		printf "SECTIONS {\n  .text.supervisor : {\n"
		for (w = 1; w <= nwant; w++) {
			for (k = 0; k < ns; k++)
				if (size[k] > 0 && want[w] >= start[k] && want[w] < start[k] + size[k]) break
			if (k == ns) { printf "supervisor-layout: %x is in no input section\n", want[w] > "/dev/stderr"; continue }
			key = input(file[k]) "(" name[k] ")"
			if (placed[key]++) continue
			printf "    %s\n", key
			if (!(input(file[k]) in obj)) { obj[input(file[k])] = 1; objs[nobj++] = input(file[k]) }
		}
		printf "  }\n} INSERT BEFORE .text;\n"
		# After .rodata, not before it: INSERT BEFORE .rodata lands in the
		# code segment (the default script starts the read-only one in .rodata).
		printf "SECTIONS {\n  .rodata.supervisor : {\n"
		for (i = 0; i < nobj; i++) printf "    %s(.rodata .rodata.*)\n", objs[i]
		m = split(data_only, d, " ")
		for (i = 1; i <= m; i++) {
			key = (d[i] ~ /\.a:/ ? "*" : "*/") d[i]
			if (!(key in obj)) printf "    %s(.rodata .rodata.*)\n", key
		}
		printf "  }\n} INSERT AFTER .rodata;\n"
	}' "$bench_dir/entered" "$map" >"$bench_dir/supervisor.ld"
mv "$bench_dir/supervisor.ld" "$out"
echo "supervisor-layout: wrote $out ($(grep -c '(.text' "$out") code sections)"
