#!/usr/bin/env bats
# resources: requests and limits made real with lab 06's cgroups. Every check
# reads the kernel: /proc/PID/cgroup, the limit files, the OOM kill count, the
# device controller's answer to an open.

load ../helpers
load podrun

setup() {
	podrun_setup
}

# The directory of a container's cgroup in controller C's hierarchy.
cgdir() { # C PID
	echo "/sys/fs/cgroup/$1$(awk -F: -v c="$1" '$2 == c {print $3}' "/proc/$2/cgroup")"
}

qos_pod() { # NAME RESOURCES-YAML (for both containers, or "" for none)
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    image: busybox
    command: ["sleep", "3600"]
    resources: {$2}
  - name: b
    image: busybox
    command: ["sleep", "3600"]
    resources: {$2}
YAML
}

@test "QoS classes by Kubernetes' rules; kubelet's tree, podrun/<qos>/pod-NAME/CONTAINER, pause in pod-NAME/POD" {
	# (podrun/ is $PODRUN_CGROUP here: a root of the test's own)
	podrun run -d "$(qos_pod be "")"
	podrun run -d "$(qos_pod bu "requests: {memory: 16Mi}")"
	podrun run -d "$(qos_pod gu "limits: {memory: 32Mi, cpu: 250m}")"
	[ "$(state be qos)" = BestEffort ]
	[ "$(state bu qos)" = Burstable ]
	[ "$(state gu qos)" = Guaranteed ] # requests default to the limits
	run podrun ps
	assert_line --regexp "^gu +Running +2/2 +0 +Guaranteed "
	local c pid
	for c in memory pids cpu; do
		pid=$(state be containers/a/pid)
		[[ "$(cgdir $c "$pid")" == */$PODRUN_CGROUP/besteffort/pod-be/a ]]
		pid=$(state bu containers/b/pid)
		[[ "$(cgdir $c "$pid")" == */$PODRUN_CGROUP/burstable/pod-bu/b ]]
		pid=$(state gu containers/a/pid)
		[[ "$(cgdir $c "$pid")" == */$PODRUN_CGROUP/pod-gu/a ]]
		# pause is the pod's too, in a leaf of its own
		pid=$(state gu pause.pid)
		[[ "$(cgdir $c "$pid")" == */$PODRUN_CGROUP/pod-gu/POD ]]
		# the supervisor stays where podrun runs: it is not the pod's
		[ "$(cgdir $c "$(state gu supervisor.pid)")" = "$(cgdir $c $$)" ]
	done
	podrun rm -f be
	podrun rm -f bu
	podrun rm -f gu
	assert_host_clean
}

@test "a container is in its cgroups from its first instruction: the command reads its own" {
	# podrun builds a container before its cgroups exist, and writes it into
	# them before its execve (container.h: place); then the container gets a
	# cgroup namespace of its own and its cgroups at /sys/fs/cgroup, as runc
	# mounts them. What the command reads at once must be its own cgroup:
	# its limit, and no process but itself (v1's files, or v2's on a node of
	# cgroup v2 alone). /proc/self/cgroup says "/".
	look='["sh", "-c", "cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes 2>/dev/null || cat memory.max; f=pids/cgroup.procs; [ -f $f ] || f=cgroup.procs; ps=; while read -r p; do ps=$ps,$p; done <$f; echo procs:$ps; grep -c . /proc/self/cgroup; grep -vc :/\\$ /proc/self/cgroup; true"]'
	pod_file first <<YAML >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: first}
spec:
  restartPolicy: Never
  initContainers:
  - name: i
    image: busybox
    command: $look
    resources: {limits: {memory: 48Mi}}
  containers:
  - name: a
    image: busybox
    command: $look
    resources: {limits: {memory: 64Mi}}
  - name: b
    image: busybox
    command: $look
    resources: {limits: {memory: 80Mi}}
YAML
	run podrun run "$BATS_TEST_TMPDIR/first.yaml"
	assert_success
	local ctr mib
	for ctr in i:48 a:64 b:80; do
		mib=${ctr#*:}
		run podrun logs first -c "${ctr%:*}"
		assert_success
		# the limit; itself alone (pid 1 of its pid namespace: the shell's
		# builtins read the list); then how many hierarchies, none of them
		# off the namespace's root
		[ "${lines[0]}" = $((mib * 1024 * 1024)) ]
		[ "${lines[1]}" = procs:,1 ]
		[ "${lines[2]}" -gt 0 ]
		[ "${lines[3]}" = 0 ]
		[ "${#lines[@]}" = 4 ]
	done
	podrun rm -f first
	assert_host_clean
}

@test "limits in the kernel: memory, CFS quota, shares as kubelet converts them; the pod's sums" {
	podrun run -d "$(qos_pod lim "requests: {cpu: 100m, memory: 16Mi}, limits: {cpu: 500m, memory: 48Mi}")"
	local pid d
	pid=$(state lim containers/a/pid)
	d=$(cgdir memory "$pid")
	[ "$(cat "$d/memory.limit_in_bytes")" = $((48 << 20)) ]
	d=$(cgdir cpu "$pid")
	[ "$(cat "$d/cpu.cfs_quota_us")" = 50000 ] # 500m of a 100 ms period
	[ "$(cat "$d/cpu.cfs_period_us")" = 100000 ]
	[ "$(cat "$d/cpu.shares")" = 102 ] # 100m * 1024 / 1000
	# the pod cgroup: the sum of its containers' (both declare limits)
	[ "$(cat "$(dirname "$(cgdir memory "$pid")")/memory.limit_in_bytes")" = $((96 << 20)) ]
	[ "$(cat "$(dirname "$(cgdir cpu "$pid")")/cpu.cfs_quota_us")" = 100000 ]
	podrun rm -f lim
	assert_host_clean
}

@test "native sidecars: an init container declared after a sidecar runs beside it: the pod's limits and admission count both" {
	# kubelet (PodRequests, PodLimits): sidecar 100Mi/100m, then migrate
	# 500Mi/500m beside it, then the app 100Mi/100m: 600 at most at once
	sidecar_pod() { # NAME
		pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: proxy
    image: busybox
    restartPolicy: Always
    command: ["sleep", "3600"]
    resources: {limits: {cpu: 100m, memory: 100Mi}}
  - name: migrate
    image: busybox
    command: ["true"]
    resources: {limits: {cpu: 500m, memory: 500Mi}}
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    resources: {limits: {cpu: 100m, memory: 100Mi}}
YAML
	}
	PODRUN_NODE_MEMORY=550Mi run podrun run -d "$(sidecar_pod sc)"
	assert_failure 1
	assert_output --partial "pod sc: Insufficient memory: it requests 600Mi, the node has 550Mi"
	assert_host_clean
	podrun run -d "$(sidecar_pod sc)"
	[ "$(state sc qos)" = Guaranteed ]
	[ "$(state sc requests)" = "600 $((600 << 20))" ]
	local pid
	pid=$(state sc containers/app/pid)
	[ "$(cat "$(dirname "$(cgdir memory "$pid")")/memory.limit_in_bytes")" = $((600 << 20)) ]
	[ "$(cat "$(dirname "$(cgdir cpu "$pid")")/cpu.cfs_quota_us")" = 60000 ]
	[ "$(cat "$(dirname "$(cgdir cpu "$pid")")/cpu.shares")" = 614 ] # 600m
	podrun rm -f sc
	assert_host_clean
}

@test "QoS class cgroups weigh their pods' requests: besteffort 2 shares, burstable the sum, as pods come and go" {
	podrun run -d "$(qos_pod be "")"
	local cls
	cls=$(dirname "$(dirname "$(cgdir cpu "$(state be containers/a/pid)")")")
	cls=${cls%/besteffort}
	[ "$(cat "$cls/besteffort/cpu.shares")" = 2 ] # not the default 1024
	podrun run -d "$(qos_pod bu0 "requests: {memory: 16Mi}")"
	[ "$(cat "$cls/burstable/cpu.shares")" = 2 ] # no CPU requested: the minimum
	podrun run -d "$(qos_pod bu "requests: {cpu: 125m}")"
	[ "$(cat "$cls/burstable/cpu.shares")" = 256 ] # 250m
	# a pod that completes leaves the sum, though its state stays
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	podrun run -d "$(pod_file fin <<YAML
apiVersion: v1
kind: Pod
metadata: {name: fin}
spec:
  restartPolicy: Never
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "until [ -e /v/go ]; do sleep 0.05; done"]
    volumeMounts: [{name: v, mountPath: /v}]
    resources: {requests: {cpu: 300m}}
YAML
	)"
	[ "$(cat "$cls/burstable/cpu.shares")" = 563 ] # 550m
	touch "$hp/go"
	wait_for grep -qx Succeeded "$PODRUN_ROOT/pods/fin/phase"
	# the phase comes first: the supervisor sets the class again as it tears
	# the pod down, a moment later (a slow build's moment failed here)
	burstable_shares() { [ "$(cat "$cls/burstable/cpu.shares")" = "$1" ]; }
	wait_for burstable_shares 256
	podrun rm -f fin
	podrun run -d "$(qos_pod bu2 "requests: {cpu: 100m}")"
	[ "$(cat "$cls/burstable/cpu.shares")" = 460 ] # 450m
	# a Guaranteed pod sits beside the classes and changes neither
	podrun run -d "$(qos_pod gu "limits: {memory: 32Mi, cpu: 250m}")"
	[ "$(cat "$cls/burstable/cpu.shares")" = 460 ]
	[ "$(cat "$cls/besteffort/cpu.shares")" = 2 ]
	# a pod whose supervisor died is not running: rm -f counts the others
	local sup
	sup=$(state bu2 supervisor.pid)
	kill -9 "$sup"
	wait_for assert_gone "$sup"
	podrun rm -f bu2
	[ "$(cat "$cls/burstable/cpu.shares")" = 256 ]
	podrun rm -f bu
	[ "$(cat "$cls/burstable/cpu.shares")" = 2 ]
	# the last pod of a class takes the class along
	podrun rm -f bu0
	[ ! -e "$cls/burstable" ]
	podrun rm -f be
	[ ! -e "$cls/besteffort" ]
	podrun rm -f gu
	assert_host_clean
}

# The lowest oom_score_adj podrun can give: below its own value the kernel
# wants CAP_SYS_RESOURCE (capability 24), which some VMs' root lacks.
oom_floor() {
	if (($((16#$(awk '/^CapEff/ {print $2}' /proc/self/status))) >> 24 & 1)); then
		echo -1000
	else
		cat /proc/self/oom_score_adj
	fi
}
# what VALUE becomes on this machine; a container's value
at_least() { echo $(($1 > floor ? $1 : floor)); }
adj() { cat "/proc/$(state "$1" "containers/$2/pid")/oom_score_adj"; }

# oom_score_adj, as kubelet asks for it (cg_oom_score_adj, lab 06): the
# node-wide OOM killer takes BestEffort first, then Burstable by how much of
# the node each container requested, Guaranteed and the pod's infra last.
# Below podrun's own value the kernel needs CAP_SYS_RESOURCE (some VMs'
# root lacks it): then podrun's own value is what they get, and an event
# says so. Proven: with res_place not writing oom_score_adj, every process
# has podrun's 0.
@test "oom_score_adj by QoS class as kubelet gives it: BestEffort 1000, Burstable by its request, a sidecar as its app, Guaranteed -997, pause -998" {
	local floor f p
	floor=$(oom_floor)
	export PODRUN_NODE_MEMORY=1000Mi
	f=$(pod_file burst <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: burst}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: side
    image: busybox
    restartPolicy: Always
    command: ["sleep", "3600"]
    resources: {requests: {memory: 10Mi}}
  containers:
  - name: small
    image: busybox
    command: ["sleep", "3600"]
    resources: {requests: {memory: 100Mi}}
  - name: big
    image: busybox
    command: ["sleep", "3600"]
    resources: {requests: {memory: 200Mi}, limits: {memory: 300Mi}}
YAML
	)
	podrun run -d "$f"
	# 1000 - 1000 * request / node memory; the sidecar no higher than the
	# app that requests least (its own would be 990)
	[ "$(adj burst small)" = 900 ]
	[ "$(adj burst big)" = 800 ]
	[ "$(adj burst side)" = 900 ]
	# what enters the container from outside weighs as the container
	run podrun exec -c big burst -- cat /proc/self/oom_score_adj
	assert_output 800
	[ "$(cat "/proc/$(state burst pause.pid)/oom_score_adj")" = "$(at_least -998)" ]
	podrun run -d "$(qos_pod be "")"
	[ "$(adj be a)" = 1000 ]
	[ "$(adj be b)" = 1000 ]
	podrun run -d "$(qos_pod gu "limits: {memory: 16Mi, cpu: 100m}")"
	[ "$(adj gu a)" = "$(at_least -997)" ]
	if [ "$floor" != -1000 ]; then
		grep -q "OOMScoreAdjFloored.*oom_score_adj -997 (Guaranteed) of container a is $floor" \
			"$PODRUN_ROOT/pods/gu/events"
	fi
	for p in burst be gu; do podrun rm -f "$p"; done
	assert_host_clean
}

# kubelet asks before the QoS class: is the pod node-critical (priority
# class system-node-critical)? Then it is the OOM killer's last choice,
# -997, even when BestEffort; system-cluster-critical alone changes nothing.
# Proven: with res_ctr_create not asking spec_node_critical, the
# node-critical pod's containers have 1000.
@test "oom_score_adj of a node-critical pod is Guaranteed's whatever its class; a cluster-critical one keeps its class's" {
	local floor
	floor=$(oom_floor)
	sed 's/^spec:$/spec:\n  priorityClassName: system-node-critical/' "$(qos_pod node "")" \
		>"$BATS_TEST_TMPDIR/node-critical.yaml"
	sed 's/^spec:$/spec:\n  priorityClassName: system-cluster-critical/' "$(qos_pod cluster "")" \
		>"$BATS_TEST_TMPDIR/cluster-critical.yaml"
	podrun run -d "$BATS_TEST_TMPDIR/node-critical.yaml"
	podrun run -d "$BATS_TEST_TMPDIR/cluster-critical.yaml"
	[ "$(state node qos)" = BestEffort ]
	[ "$(adj node a)" = "$(at_least -997)" ]
	[ "$(adj node b)" = "$(at_least -997)" ]
	if [ "$floor" != -1000 ]; then
		grep -q "OOMScoreAdjFloored.*oom_score_adj -997 (system-node-critical) of container a is $floor" \
			"$PODRUN_ROOT/pods/node/events"
	fi
	[ "$(adj cluster a)" = 1000 ]
	podrun rm -f node
	podrun rm -f cluster
	assert_host_clean
}

@test "OOMKilled: a container past its memory limit ends with reason OOMKilled, exit 137, and is restarted" {
	f=$(pod_file oom <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: busybox
    command: ["sh", "-c", "x=$(head -c 67108864 /dev/zero | tr '\\0' a); echo survived"]
    resources: {limits: {memory: 16Mi}}
YAML
	)
	podrun run -d "$f" || true
	# kubelet's view while it waits for its restart: Waiting (CrashLoopBackOff),
	# the run that ended as its lastState
	wait_for grep -qx OOMKilled "$PODRUN_ROOT/pods/oom/containers/hog/last_reason"
	[ "$(state oom containers/hog/last_exit_code)" = 137 ]
	# restartPolicy Always: it comes back, with backoff (scaled down for tests)
	wait_for grep -qv '^0$' "$PODRUN_ROOT/pods/oom/containers/hog/restarts"
	run podrun logs -c hog oom
	refute_output --partial survived
	podrun rm -f oom
	assert_host_clean
}

@test "a killed container that was not OOM-killed is an Error with exit code 137, as kubelet says" {
	f=$(pod_file killed <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: killed}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    resources: {limits: {memory: 64Mi}}
YAML
	)
	podrun run -d "$f"
	# PID 1 of its pid namespace ignores a SIGKILL from inside: from the host, then
	kill -KILL "$(state killed containers/c/pid)"
	wait_for grep -qx Terminated "$PODRUN_ROOT/pods/killed/containers/c/state"
	# the reason and the exit code are written after the state, in that order
	wait_for grep -qx 137 "$PODRUN_ROOT/pods/killed/containers/c/exit_code"
	[ "$(state killed containers/c/reason)" = Error ]
	podrun rm -f killed
	assert_host_clean
}

@test "the study note's Node_A: App (1Gi) and LogController (512Mi) do not fit 1.25Gi, fit 2Gi, the second copy does not; what a pod does not request is not checked" {
	PODRUN_NODE_MEMORY=1.25Gi run podrun run -d "$PODLAB_SRC/examples/cosched.yaml"
	assert_failure 1
	assert_output --partial "pod cosched: Insufficient memory: it requests 1.50Gi, the node has 1.25Gi"
	assert_host_clean # refused before anything of it existed
	PODRUN_NODE_MEMORY=2Gi podrun run -d "$PODLAB_SRC/examples/cosched.yaml"
	sed 's/name: cosched$/name: cosched-2/' "$PODLAB_SRC/examples/cosched.yaml" >"$BATS_TEST_TMPDIR/c2.yaml"
	PODRUN_NODE_MEMORY=2Gi run podrun run -d "$BATS_TEST_TMPDIR/c2.yaml"
	assert_failure 1
	assert_output --partial "1.50Gi of it requested by running pods"
	# NodeResourcesFit checks only what a pod requests: with the node's
	# memory now under what cosched requested, a pod that asks for CPU alone
	# fits, and so does one that asks for nothing; one that asks for memory not
	asking_pod() { # NAME REQUESTS
		pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    resources: {requests: $2}
YAML
	}
	PODRUN_NODE_MEMORY=1Gi podrun run -d "$(asking_pod cpu-only '{cpu: 100m}')"
	PODRUN_NODE_MEMORY=1Gi podrun run -d "$(asking_pod nothing '{}')"
	[ "$(state nothing qos)" = BestEffort ]
	PODRUN_NODE_MEMORY=1Gi run podrun run -d "$(asking_pod memory '{memory: 1Mi}')"
	assert_failure 1
	assert_output --partial "pod memory: Insufficient memory: it requests 1Mi, the node has 1Gi"
	podrun rm -f cpu-only
	podrun rm -f nothing
	# the first one's log shows the two containers cooperating
	wait_for sh -c "'$PODRUN_BIN' logs -c logcontroller cosched | grep -q UTC"
	podrun rm -f cosched
	PODRUN_NODE_MEMORY=3Gi run podrun run -d "$PODLAB_SRC/examples/cosched.yaml"
	assert_success # its requests went with it
	podrun rm -f cosched
	assert_host_clean
}

@test "devices: the cgroup refuses a device the allow-list does not name, even on a mount that allows devices" {
	# /dev/loop-control (10:237): the host opens it; a hostPath of type
	# CharDevice is the one volume mounted without nodev (lab 03), so only
	# the device cgroup stands between the container and the device.
	[ -c /dev/loop-control ] || skip "no /dev/loop-control"
	dev_pod() { # NAME PRIVILEGED
		pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "cat /lc; echo 'rc='\$?; cat /dev/null && echo null-ok; sleep 3600"]
    securityContext: {privileged: $2}
    volumeMounts: [{name: lc, mountPath: /lc}]
  volumes:
  - name: lc
    hostPath: {path: /dev/loop-control, type: CharDevice}
YAML
	}
	podrun run -d "$(dev_pod dev false)"
	wait_for grep -q null-ok "$(data dev)/logs/c/0.log"
	run podrun logs dev
	assert_output --partial "can't open '/lc': Operation not permitted"
	# podrun exec joins the container's cgroups: the same answer
	run podrun exec dev -- cat /lc
	assert_output --partial "can't open '/lc': Operation not permitted"
	podrun run -d "$(dev_pod devpriv true)"
	wait_for grep -q null-ok "$(data devpriv)/logs/c/0.log"
	run podrun logs devpriv
	refute_output --partial "Operation not permitted"
	podrun rm -f dev
	podrun rm -f devpriv
	assert_host_clean
}

# Proven: without setup_child in pod.c's hook_spawn and the probe's target
# (res_enter), the hook and the probe run in the supervisor's cgroups: they
# open /lc, and their memory and devices lines are not the container's. In
# the container's cgroup namespace every line ends at its root, ":/"; a
# process of another cgroup, or of the node's namespace, shows a path.
@test "exec hooks and exec probes run in the container's cgroups, as podrun exec does: its limits and device allow-list hold them" {
	[ -c /dev/loop-control ] || skip "no /dev/loop-control"
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	look() { echo "[\"sh\", \"-c\", \"cat /lc 2> /v/$1-err; grep -E 'memory|devices|pids' /proc/self/cgroup > /v/$1-cg\"]"; }
	f=$(pod_file inside <<YAML
apiVersion: v1
kind: Pod
metadata: {name: inside}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "grep -E 'memory|devices|pids' /proc/self/cgroup > /v/main-cg; sleep 3600"]
    resources: {limits: {memory: 64Mi}}
    volumeMounts: [{name: lc, mountPath: /lc}, {name: v, mountPath: /v}]
    lifecycle: {postStart: {exec: {command: $(look hook)}}}
    readinessProbe: {exec: {command: $(look probe)}, periodSeconds: 1}
  volumes:
  - name: lc
    hostPath: {path: /dev/loop-control, type: CharDevice}
  - name: v
    hostPath: {path: $hp}
YAML
	)
	podrun run -d "$f"
	wait_for test -s "$hp/probe-cg"
	wait_for test -s "$hp/main-cg"
	grep -q "pod-inside/c" "/proc/$(state inside containers/c/pid)/cgroup"
	[ "$(grep -c ':/$' "$hp/main-cg")" = 3 ]
	for who in hook probe; do
		diff "$hp/main-cg" "$hp/$who-cg"
		grep -q "Operation not permitted" "$hp/$who-err"
	done
	podrun rm -f inside
	assert_host_clean
}

@test "top: a spinning container's CPU rate is capped near its limit; memory is its working set" {
	f=$(pod_file spin <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: spin}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: spin
    image: busybox
    command: ["sh", "-c", "while :; do :; done"]
    resources: {limits: {cpu: 200m}}
  - name: idle
    image: busybox
    command: ["sleep", "3600"]
YAML
	)
	podrun run -d "$f"
	run podrun top spin
	assert_success
	local spin idle
	spin=$(awk '$2 == "spin" {sub("m", "", $3); print $3}' <<<"$output")
	idle=$(awk '$2 == "idle" {sub("m", "", $3); print $3}' <<<"$output")
	# bounds, not timing: the quota lets it have at most 200m; a spinner gets some
	[ "$spin" -gt 20 ]
	[ "$spin" -le 260 ]
	[ "$idle" -le 20 ]
	assert_line --regexp "^spin +idle +[0-9]+m +[0-9]+Mi$"
	# from another cgroup (another session's scope, say): the pod's cgroups
	# are found beneath its supervisor's, not beneath top's own
	local c d dirs=()
	for c in memory cpuacct; do
		d="$(cgdir "$c" $$)/podrun-top-elsewhere"
		mkdir "$d"
		defer "rmdir '$d'"
		dirs+=("$d")
	done
	run bash -c 'for d in "${@:2}"; do echo $$ >"$d/cgroup.procs"; done
		exec "$1" top spin' _ "$PODRUN_BIN" "${dirs[@]}"
	assert_success
	assert_line --regexp "^spin +spin +[0-9]+m +[0-9]+Mi$"
	assert_line --regexp "^spin +idle +[0-9]+m +[0-9]+Mi$"
	podrun rm -f spin
	assert_host_clean
}

@test "kill -9 of the supervisor: rm -f kills what is left in the pod's cgroups and removes them" {
	podrun run -d "$(qos_pod k9 "requests: {memory: 16Mi}")"
	local sup pid
	sup=$(state k9 supervisor.pid)
	pid=$(state k9 containers/a/pid)
	kill -9 "$sup"
	wait_for assert_gone "$sup"
	[ -d "$(cgdir memory "$pid")" ]
	podrun rm -f k9
	assert_gone "$pid"
	assert_host_clean
}

@test "a process moved out of the pod's cgroup2 tree alone is still found, killed and its cgroups removed" {
	# rm -f kills with cgroup.kill and trusts cgroup.events to say when the
	# pod's processes are gone; one that left the cgroup2 tree (root can
	# move it) is still in its v1 cgroups, and must not keep them alive.
	# hostPID: a child of the container is no pid namespace's to take along.
	local unified=/sys/fs/cgroup/unified
	[ -f "$unified/cgroup.procs" ] || skip "no cgroup2 hierarchy beside v1 here"
	f=$(pod_file esc <<YAML
apiVersion: v1
kind: Pod
metadata: {name: esc}
spec:
  hostPID: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    image: busybox
    command: ["sh", "-c", "sleep 3601 & wait"]
YAML
)
	podrun run -d "$f"
	local sup pid child
	sup=$(state esc supervisor.pid)
	pid=$(state esc containers/a/pid)
	wait_for pgrep -P "$pid" sleep
	child=$(pgrep -P "$pid" sleep)
	defer "kill -9 $child"
	kill -9 "$sup"
	wait_for assert_gone "$sup"
	echo "$child" >"$unified$(awk -F: '$1 == 0 {print $3}' /proc/$$/cgroup)/cgroup.procs"
	[ "$(cgdir memory "$child")" != "$(cgdir memory $$)" ] # still the pod's in v1
	podrun rm -f esc
	assert_gone "$child"
	assert_host_clean
}

@test "a cgroup that cannot be removed: rm -f says so, exits 1, keeps the pod's state; the next rm -f removes it" {
	# A mount on a cgroup's directory makes its rmdir fail (EBUSY) for as
	# long as it is there: the pod must not be reported removed meanwhile,
	# nor its state - the only record of where its cgroups are - deleted.
	podrun run -d "$(qos_pod stuck "")"
	local dir
	dir=$(cgdir memory "$(state stuck containers/a/pid)")
	mount -t tmpfs -o size=4k none "$dir"
	defer "umount '$dir'"
	run podrun rm -f stuck
	assert_failure 1
	assert_output --regexp "^podrun: its cgroups stay: rmdir\(.*/pod-stuck/a\): Device or resource busy \(the pod's state is kept: podrun rm -f tries again\)$"
	[ -d "$PODRUN_ROOT/pods/stuck" ]
	run podrun ps
	assert_line --regexp "^stuck "
	umount "$dir"
	podrun rm -f stuck
	assert_host_clean
}

@test "cgroups that cannot be made fail the start with the kernel's word; the container built meanwhile goes too" {
	# Where grace periods are normal, the first container is built before
	# the cgroups exist, and waits to be placed in them; where they are
	# expedited, the cgroups are made as the first container is cloned,
	# while it builds its root. When they cannot be made (here:
	# podrun's cgroup root denies every device, so no container's
	# allow-list can be written), the pod must fail with the write that
	# failed, in both orders, and what was built go with the rest.
	local d hp=$BATS_TEST_TMPDIR/hp mode
	d="/sys/fs/cgroup/devices$(awk -F: '$2 == "devices" {print $3}' /proc/$$/cgroup)/$PODRUN_CGROUP"
	[ -f "${d%/*}/devices.deny" ] || skip "no v1 devices controller here"
	mkdir -p "$hp" "$d"
	defer "rmdir '$d' 2>/dev/null || true"
	echo a >"$d/devices.deny"
	f=$(marking_pod nodev "$hp" "echo ran > /v/ran")
	for mode in 0 1; do
		# made once, for both: the first pod's clean-up keeps a root that
		# podrun did not make
		PODRUN_RCU_EXPEDITED=$mode run podrun run "$f"
		assert_failure 1
		assert_line --regexp '^podrun: pod nodev: cgroups: write\(.*/pod-nodev/c/devices.allow, "c \*:\* m"\): Operation not permitted$'
		[ ! -e "$hp/ran" ] # never outside its cgroups
		assert_host_clean
	done
}

@test "a cgroup root made beforehand stays, with its limit, when the last pod goes; one podrun made goes" {
	# An administrator bounds every pod together on podrun's root; the last
	# pod's clean-up must not take the root, and the bound, along - neither
	# from rm -f nor from the clean-up after a supervisor killed with -9.
	local own mem root made=$PODRUN_ROOT/cgroup-root-made sup
	own=$(cgdir pids $$) mem=$(cgdir memory $$)
	root=${own%/}/$PODRUN_CGROUP
	mkdir "$root"
	defer "rmdir '$root' 2>/dev/null || true"
	echo 512 >"$root/pids.max"
	podrun run -d "$(qos_pod kept "")" >/dev/null
	defer "podrun rm -f kept"
	wait_for grep -qx Running "$PODRUN_ROOT/pods/kept/phase"
	assert_equal "$(cgdir pids "$(state kept pause.pid)")" "$root/besteffort/pod-kept/POD"
	# noted: where podrun made it (memory...), not here
	run cat "$made"
	assert_success
	refute_line "$root"
	assert_line "${mem%/}/$PODRUN_CGROUP"
	podrun rm -f kept
	[ -d "$root" ]
	assert_equal "$(cat "$root/pids.max")" 512
	assert_equal "$(find "$root" -mindepth 1 -type d)" ""
	[ ! -d "${mem%/}/$PODRUN_CGROUP" ] # made by podrun: gone
	[ ! -e "$made" ]
	# the same after kill -9: rm -f cleans up from the state alone
	podrun run -d "$(qos_pod killed "")" >/dev/null
	defer "podrun rm -f killed"
	wait_for grep -qx Running "$PODRUN_ROOT/pods/killed/phase"
	sup=$(state killed supervisor.pid)
	kill -9 "$sup"
	podrun rm -f killed
	[ -d "$root" ]
	assert_equal "$(cat "$root/pids.max")" 512
	assert_equal "$(find "$root" -mindepth 1 -type d)" ""
	[ ! -e "$made" ]
	rmdir "$root"
	assert_host_clean
}

@test "PODRUN_RCU_EXPEDITED: 0 or 1, or a clear error, and nothing left behind" {
	PODRUN_RCU_EXPEDITED=yes run podrun run -d "$(qos_pod rcu "")"
	assert_failure 1
	assert_output --partial "PODRUN_RCU_EXPEDITED=yes: 0 or 1 (the kernel's, unset)"
	assert_host_clean
}

@test "expedited grace periods: the pod's cgroups are made while the first container builds; normal ones: once it is built" {
	# resources.h, res_moves_expedited: the first move into a cgroup waits
	# for a grace period. A normal one (4 to 25 ms) is hidden behind the
	# work that needs no cgroup, the first container's build included; an
	# expedited one hides nothing, and the cgroups are made as soon as the
	# first container is cloned, beside its build, not beside pause's (the
	# supervisor has the pod network and the state files to do then).
	# Where podrun is stopped, pause is in the pod's POD cgroup or still in
	# podrun's own; either way the pod then runs.
	grep -q PODRUN_STOP_AT "$PODRUN_BIN" ||
		skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	local mode point where name sup pause own n=0
	own=$(cgdir memory $$)
	go_on() { # NAME: SIGCONT the supervisor each time it stops (once per container), until Running
		if sup_stopped "$1"; then kill -CONT "$sup"; fi
		grep -qx Running "$PODRUN_ROOT/pods/$1/phase"
	}
	for mode_point_where in 1:sandbox-created:own 1:container-built:pod 0:container-built:own; do
		IFS=: read -r mode point where <<<"$mode_point_where"
		n=$((n + 1)) name=order$n
		PODRUN_RCU_EXPEDITED=$mode PODRUN_STOP_AT=$point \
			"$PODRUN_BIN" run -d "$(qos_pod "$name" "")" >/dev/null 2>&1 &
		defer "podrun rm -f $name"
		wait_long sup_stopped "$name"
		pause=$(state "$name" pause.pid)
		if [ "$where" = pod ]; then
			assert_equal "$(cgdir memory "$pause")" "$own/$PODRUN_CGROUP/besteffort/pod-$name/POD"
		else
			assert_equal "$(cgdir memory "$pause")" "$own"
		fi
		wait_for go_on "$name"
		assert_equal "$(cgdir memory "$pause")" "$own/$PODRUN_CGROUP/besteffort/pod-$name/POD"
		podrun rm -f "$name"
	done
	assert_host_clean
}

@test "shareProcessNamespace: what a container's run left behind is killed before its next run" {
	# Its PID 1 is not the pod's pid namespace's init: its exit kills
	# nothing. The first run leaves "sleep 1001" behind and fails; the
	# second must start alone in the container's cgroup.
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	podrun run -d "$(pod_file shared <<YAML
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  shareProcessNamespace: true
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 1
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo run >>/v/runs; [ \$(wc -l </v/runs) -gt 1 ] && exec sleep 1002; sleep 1001 & exit 1"]
    volumeMounts: [{name: v, mountPath: /v}]
YAML
	)"
	second_run() {
		# (the pid is written after the state: 0 until then)
		[ "$(wc -l <"$hp/runs")" = 2 ] &&
			grep -qx Running "$PODRUN_ROOT/pods/shared/containers/c/state" &&
			! grep -qx 0 "$PODRUN_ROOT/pods/shared/containers/c/pid"
	}
	wait_for second_run
	local pid procs p
	pid=$(state shared containers/c/pid)
	procs=$(cat "$(cgdir pids "$pid")/cgroup.procs")
	for p in $procs; do
		[ "$(tr '\0' ' ' <"/proc/$p/cmdline")" != "sleep 1001 " ] ||
			{ echo "the first run's sleep $p is still in the container's cgroup" >&2; false; }
	done
	[ "$procs" = "$pid" ]
	podrun rm -f shared
	assert_host_clean
}

@test "a fork bomb stops at the pod's pids limit: PODRUN_POD_PIDS_LIMIT, 1024 by default, -1 for none" {
	local pid hp=$BATS_TEST_TMPDIR/hp
	podrun run -d "$(qos_pod dflt "")"
	pid=$(state dflt containers/a/pid)
	[ "$(cat "$(dirname "$(cgdir pids "$pid")")/pids.max")" = 1024 ]
	PODRUN_POD_PIDS_LIMIT=-1 podrun run -d "$(qos_pod nolimit "")"
	pid=$(state nolimit containers/a/pid)
	[ "$(cat "$(dirname "$(cgdir pids "$pid")")/pids.max")" = max ]
	podrun rm -f dflt
	podrun rm -f nolimit
	# 40 sleeps from a subshell, in a pod of 16 processes at most (pause,
	# the shell and the subshell among them): the forks past it fail in
	# the container, which goes on
	mkdir -p "$hp"
	PODRUN_POD_PIDS_LIMIT=16 podrun run -d "$(marking_pod bomb "$hp" \
		'(for i in $(seq 40); do sleep 600 & done) 2>/v/err; touch /v/done; sleep 600')"
	wait_for test -e "$hp/done"
	local ctr pod n
	pid=$(state bomb containers/c/pid)
	ctr=$(cgdir pids "$pid")
	pod=$(dirname "$ctr")
	[ "$(cat "$pod/pids.max")" = 16 ]
	n=$(cat "$pod/pids.current")
	[ "$n" -le 16 ] && [ "$n" -ge 12 ] || { echo "pids.current $n" >&2; false; }
	# the refused forks, counted where they were tried (v1), or where the
	# limit is (v2)
	refused() { awk '$1 == "max" {print $2}' "$1/pids.events"; }
	[ $(($(refused "$ctr") + $(refused "$pod"))) -ge 1 ]
	grep -q "can't fork" "$hp/err" || { cat "$hp/err" >&2; false; }
	[ "$(state bomb phase)" = Running ]
	podrun rm -f bomb
	assert_host_clean
}

@test "PODRUN_POD_PIDS_LIMIT: a number of processes or a clear error, and nothing left behind" {
	local v f
	f=$(qos_pod badpids "")
	for v in 0 -2 abc 1x 4194305; do
		PODRUN_POD_PIDS_LIMIT=$v run podrun run -d "$f"
		assert_failure 1
		assert_output "podrun: PODRUN_POD_PIDS_LIMIT=$v: a number of processes from 1 to 4194304, or -1 for no limit (default 1024)"
		assert_host_clean
	done
}

@test "resources the kernel is not asked to bound are refused; requests above limits are invalid" {
	f=$(qos_pod eph "limits: {ephemeral-storage: 1Gi}")
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "resources.limits.ephemeral-storage: only cpu and memory are enforced"
	f=$(qos_pod over "requests: {cpu: '2'}, limits: {cpu: '1'}")
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "requests.cpu: must be less than or equal to cpu limit"
	f=$(qos_pod milli "requests: {cpu: 0.5, memory: 1e6}")
	run podrun validate -v "$f"
	assert_success
}

# runc and containerd mount a container's own cgroups at /sys/fs/cgroup: a
# JVM or Go's automaxprocs sizes its heap or its threads from the limits it
# finds there. Without them it sizes itself from the node: a 64 Mi tomcat
# would take a heap of a quarter of the node's memory and be OOMKilled.
@test "a container sees its own cgroups at /sys/fs/cgroup, read-only: its limits, nothing of the node's or a neighbour's" {
	f=$(pod_file seen <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: seen}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    resources: {limits: {memory: 64Mi, cpu: 500m}}
  - name: d
    image: busybox
    command: ["sleep", "3600"]
YAML
	)
	podrun run -d "$f"
	local v1=/sys/fs/cgroup/memory/memory.limit_in_bytes v2=/sys/fs/cgroup/memory.max
	if [ -f "$v1" ]; then
		run podrun exec -c c seen -- cat "$v1" /sys/fs/cgroup/cpu/cpu.cfs_quota_us
		assert_output "67108864
50000"
		# the hierarchies of its own cgroups only (podrun makes none in
		# name=systemd, freezer...: there it would see the node's tree)
		run podrun exec -c c seen -- ls /sys/fs/cgroup
		refute_line systemd
		refute_line freezer
		assert_line memory
	else
		run podrun exec -c c seen -- cat "$v2" /sys/fs/cgroup/cpu.max
		assert_output "67108864
50000 100000"
	fi
	# its cgroup is the root of what it sees: no cgroup below or beside it
	run podrun exec -c c seen -- find /sys/fs/cgroup/ -mindepth 2 -type d
	assert_success
	assert_output ""
	run podrun exec -c c seen -- sh -c 'mkdir /sys/fs/cgroup/memory/x || mkdir /sys/fs/cgroup/x'
	assert_failure
	assert_output --partial "Read-only file system"
	# the neighbour without limits sees its own: no limit
	if [ -f "$v1" ]; then
		run podrun exec -c d seen -- cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us
		assert_output -- -1
	fi
	podrun rm -f seen
	assert_host_clean
}
