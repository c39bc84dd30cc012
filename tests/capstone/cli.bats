#!/usr/bin/env bats
# podrun's commands: run (foreground and -d), ps, logs, exec, inspect, stop,
# rm, --help; restart policies; CRI logs.

load ../helpers
load podrun

setup() {
	podrun_setup
}

sleeper() { # sleeper NAME [GRACE]: a pod with one container that exits 0 on SIGTERM
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: ${2:-5}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo started; while true; do sleep 0.1; done"]
    env:
    - name: WHO
      value: "the main container"
YAML
}

@test "--help on podrun and on every command; usage errors exit 2" {
	run podrun --help
	assert_success
	assert_output --partial "Usage: podrun COMMAND"
	local c
	for c in run ps logs exec stop rm inspect validate; do
		run podrun "$c" --help
		assert_success
		assert_output --partial "Usage: podrun $c"
	done
	run podrun frobnicate
	assert_failure 2
	run podrun run
	assert_failure 2
	run podrun exec
	assert_failure 2
	run podrun validate /nonexistent.yaml
	assert_failure 2
	assert_output "podrun: open(/nonexistent.yaml): No such file or directory"
	run podrun logs nosuchpod
	assert_failure 1
	assert_output --partial "no pod named nosuchpod"
	# -t is stop's --time and exec's --tty: neither long name means the other
	run podrun stop --tty nosuchpod
	assert_failure 2
	assert_output --partial "stop: option --tty does not apply"
	run podrun exec --time 5s nosuchpod -- true
	assert_failure 2
	assert_output --partial "exec: option --time does not apply"
	# every option the help shows is one the command takes
	run podrun validate --verbose /nonexistent.yaml
	assert_failure 2
	assert_output "podrun: open(/nonexistent.yaml): No such file or directory"
}

@test "run -d, ps, inspect: one pod IP on the bridge; net, ipc, uts shared with pause; mnt, pid its own" {
	run podrun run -d "$(sleeper web)"
	assert_success
	assert_output "pod web: Running"
	run podrun ps
	assert_success
	local pause main ip a b c d e f g h p
	pause=$(state web pause.pid)
	main=$(state web containers/main/pid)
	ip=$(state web ip)
	assert_line --regexp "^web +Running +1/1 +0 .* ${ip//./\\.}\$"
	# an address of the test's subnet (PODLAB_TEST_SUBNET), not the bridge's .1
	IFS=. read -r a b c d <<<"$ip"
	IFS=./ read -r e f g h p <<<"$TEST_SUBNET"
	[ $((((a << 24 | b << 16 | c << 8 | d) ^ (e << 24 | f << 16 | g << 8 | h)) >> (32 - p))) = 0 ]
	[ "$d" != "$((h + 1))" ]
	# the pod IP is eth0's in the pod, its host side veth is on the bridge
	[ "$(podrun exec web -- ip -o -4 addr show eth0 | awk '{print $4}')" = "$ip/$p" ]
	ip -o link show master "$TEST_BRIDGE" | grep -q "$(state web veth)"
	run podrun inspect web
	assert_success
	local t
	for t in net ipc uts; do
		[ "$(ns_ino "$main" $t)" = "$(ns_ino "$pause" $t)" ]
		assert_line --regexp "^  $t +$(ns_ino "$pause" $t) +$(ns_ino "$main" $t)=$"
	done
	# pid: pause keeps the host's (no shareProcessNamespace); mnt: pause has
	# its own (a root holding only itself), the container another
	[ "$(ns_ino "$main" pid)" != "$(ns_ino "$pause" pid)" ]
	assert_line --regexp "^  pid +[0-9]+ \(host\) +$(ns_ino "$main" pid)\*$"
	[ "$(ns_ino "$main" mnt)" != "$(ns_ino "$pause" mnt)" ]
	[ "$(ns_ino "$pause" mnt)" != "$(ns_ino $$ mnt)" ]
	assert_line --regexp "^  mnt +$(ns_ino "$pause" mnt) +$(ns_ino "$main" mnt)\*$"
	podrun rm -f web
	assert_host_clean
}

@test "pod IPs: one file each names its pod; stop and rm -f give it back; the next pod gets the next one" {
	local a b c d
	podrun run -d "$(sleeper ipa)"
	podrun run -d "$(sleeper ipb)"
	a=$(state ipa ip) b=$(state ipb ip)
	[ "$(cat "$PODRUN_ROOT/pods/.ips/$a")" = ipa ]
	[ "$(cat "$PODRUN_ROOT/pods/.ips/$b")" = ipb ]
	# a stopped pod's state stays, its address does not
	podrun stop ipa
	[ -z "$(state ipa ip)" ]
	[ ! -e "$PODRUN_ROOT/pods/.ips/$a" ]
	# round the subnet, as CNI's host-local: not a's address again at once
	podrun run -d "$(sleeper ipc)"
	c=$(state ipc ip)
	[ "${c##*.}" = $((${b##*.} + 1)) ] || { echo "a $a, b $b, then c $c"; false; }
	# a supervisor killed: rm -f gives its pod's address back
	kill -9 "$(state ipb supervisor.pid)"
	podrun rm -f ipb
	[ ! -e "$PODRUN_ROOT/pods/.ips/$b" ]
	# a leftover (its pod gone, as after a crash mid-start) is taken over
	# when the search comes round to it
	echo gone >"$PODRUN_ROOT/pods/.ips/$a"
	printf '%6d\n' $((${a##*.} - 1)) >"$PODRUN_ROOT"/pods/.ips/last-*
	podrun run -d "$(sleeper ipd)"
	d=$(state ipd ip)
	[ "$d" = "$a" ]
	[ "$(cat "$PODRUN_ROOT/pods/.ips/$a")" = ipd ]
	# a start that fails after its address was taken (its volume, after
	# the sandbox) gives it back: two pods run, two files
	run podrun run -d "$(pod_file ipe <<YAML
apiVersion: v1
kind: Pod
metadata: {name: ipe}
spec:
  containers: [{name: c, image: busybox, command: ["true"]}]
  volumes: [{name: v, hostPath: {path: $BATS_TEST_TMPDIR/nosuch, type: Directory}}]
YAML
	)"
	assert_failure
	assert_output --partial "nosuch"
	[ "$(grep -lx ipe "$PODRUN_ROOT"/pods/.ips/* | wc -l)" = 0 ]
	[ "$(ls "$PODRUN_ROOT/pods/.ips" | grep -vc '^last-')" = 2 ]
	podrun rm -f ipe
	podrun rm -f ipa
	podrun rm -f ipc
	podrun rm -f ipd
	assert_host_clean
}

@test "exec: the container's namespaces, env and hostname; its exit code comes back" {
	podrun run -d "$(sleeper ex)"
	run podrun exec ex -- sh -c 'echo "$WHO on $(hostname)"'
	assert_success
	assert_output "the main container on ex"
	run podrun exec -c main ex -- sh -c 'exit 3'
	assert_failure 3
	# exec joins the container's mount namespace: it sees the image, not the host
	touch "$BATS_TEST_TMPDIR/on-the-host"
	podrun exec ex -- test -x /bin/busybox
	run podrun exec ex -- test -e "$BATS_TEST_TMPDIR/on-the-host"
	assert_failure 1
	run podrun exec -c nosuch ex -- true
	assert_failure 2
	assert_output --partial "has no container nosuch (it has: main)"
}

@test "logs: CRI format per container, full lines F, a line cut short P; logs -c picks one" {
	f=$(pod_file talk <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: talk
spec:
  restartPolicy: Never
  containers:
  - name: talker
    image: busybox
    command: ["sh", "-c", "echo hello; echo oops >&2; printf 'no newline'"]
YAML
	)
	run podrun run -d "$f"
	assert_success
	wait_for grep -qx Succeeded "$PODRUN_ROOT/pods/talk/phase"
	local log="$(data talk)/logs/talker/0.log"
	ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z'
	# the log is whole before the container's state says Terminated, the
	# line cut short too (faults.bats holds the supervisor there)
	grep -Eqx "$ts stdout P no newline" "$log"
	grep -Eqx "$ts stdout F hello" "$log"
	grep -Eqx "$ts stderr F oops" "$log"
	run podrun logs -c talker talk
	assert_success
	assert_line hello
	assert_line oops
	[ "$(state talk)" = Succeeded ]
	podrun rm talk
	assert_host_clean
}

@test "logs -f follows until the pod ends" {
	f=$(pod_file count <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: count
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.1; done"]
YAML
	)
	podrun run -d "$f"
	run timeout 10 "$PODRUN_BIN" logs -f count
	assert_success
	assert_line "line 3"
	podrun rm count
}

@test "restartPolicy: Always restarts with backoff, OnFailure stops at success, Never fails the pod" {
	f=$(pod_file crash <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: crash
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "exit 1"]
YAML
	)
	podrun run -d "$f" || true
	restarts() { [ "$(state crash containers/c/restarts)" -ge 3 ]; }
	wait_for restarts
	[ "$(state crash)" = Running ] # a crash-looping pod is still Running, as in Kubernetes
	podrun rm -f crash

	f=$(pod_file once <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: once
spec:
  restartPolicy: OnFailure
  containers:
  - name: c
    image: busybox
    # fails the first time, succeeds the second: the flag survives the
    # restart in the emptyDir (the container's own files do not)
    command: ["sh", "-c", "[ -e /flag/failed ] && exit 0; touch /flag/failed; exit 1"]
    volumeMounts:
    - {name: flag, mountPath: /flag}
  volumes:
  - {name: flag, emptyDir: {}}
YAML
	)
	podrun run -d "$f" || true
	wait_for grep -qx Succeeded "$PODRUN_ROOT/pods/once/phase"
	[ "$(state once containers/c/restarts)" = 1 ]
	[ "$(state once containers/c/reason)" = Completed ]
	podrun rm once

	f=$(pod_file never <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: never
spec:
  restartPolicy: Never
  initContainers:
  - name: setup
    image: busybox
    command: ["sh", "-c", "exit 7"]
  containers:
  - name: c
    image: busybox
    command: ["true"]
YAML
	)
	run podrun run -d "$f"
	assert_failure 1
	assert_output "pod never: Failed"
	[ "$(state never containers/setup/exit_code)" = 7 ]
	[ "$(state never containers/c/state)" = Waiting ]
	podrun rm never
	assert_host_clean
}

# kubelet serves `logs --previous` from lastState.terminated, whatever run
# that is (validateContainerLogStatus, kubelet_pods.go). Proven: podrun
# before this read the run before the latest log file, so in a
# CrashLoopBackOff (lastState: the run that just ended) -p printed run-1.
@test "logs -p in CrashLoopBackOff: the run lastState reports, not the one before" {
	# kubelet's backoff (not the tests' fast one): the first crash restarts
	# at once, the second waits 10 s, in CrashLoopBackOff
	export PODLAB_BACKOFF_SCALE=1
	f=$(pod_file loop <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: loop}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "n=$(($(cat /d/n 2>/dev/null || echo 0) + 1)); echo $n >/d/n; echo run-$n; exit 1"]
    volumeMounts: [{name: d, mountPath: /d}]
YAML
	)
	podrun run -d "$f" || true
	wait_for grep -qx CrashLoopBackOff "$PODRUN_ROOT/pods/loop/containers/c/reason"
	[ "$(state loop containers/c/restarts)" = 1 ]
	run podrun logs -p loop
	assert_success
	assert_output run-2
	run podrun logs loop
	assert_success
	assert_output run-2
	podrun rm -f loop
}

# kubectl logs and exec, without -c, take the container the pod's
# kubectl.kubernetes.io/default-container annotation names, else the first
# (FindOrDefaultContainerByName, kubectl's podcmd). Proven: podrun before
# this took the first app container whatever the annotation said.
@test "logs and exec without -c: the kubectl.kubernetes.io/default-container annotation's container" {
	two() { # NAME DEFAULT
		pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
  annotations: {kubectl.kubernetes.io/default-container: $2}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: first
    image: busybox
    env: [{name: WHO, value: first}]
    command: ["sh", "-c", "trap 'exit 0' TERM; echo I am first; while true; do sleep 0.1; done"]
  - name: second
    image: busybox
    env: [{name: WHO, value: second}]
    command: ["sh", "-c", "trap 'exit 0' TERM; echo I am second; while true; do sleep 0.1; done"]
YAML
	}
	podrun run -d "$(two dflt second)"
	wait_for grep -q 'I am second' "$(data dflt)/logs/second/0.log"
	run podrun logs dflt
	assert_success
	assert_output 'I am second'
	run podrun exec dflt -- sh -c 'echo $WHO'
	assert_success
	assert_output second
	# -c still wins
	run podrun exec -c first dflt -- sh -c 'echo $WHO'
	assert_output first
	# a name that is no container of the pod: the first, with kubectl's words
	podrun run -d "$(two nosuch third)"
	wait_for grep -q 'I am first' "$(data nosuch)/logs/first/0.log"
	[ "$(podrun logs nosuch 2>/dev/null)" = 'I am first' ]
	[ "$(podrun logs nosuch 2>&1 >/dev/null)" = 'Defaulted container "first" out of: first, second' ]
	[ "$(podrun exec nosuch -- sh -c 'echo $WHO' 2>/dev/null)" = first ]
	podrun rm -f dflt
	podrun rm -f nosuch
}

# containerd records a start that failed as the container's end: exit code
# 128, reason StartError, the error as its message; kubelet's restart policy
# then decides, as for any other end (kubernetes#14491). Proven: with the
# start's failure kept Waiting and retried (podrun before this), the pod
# under Never stays Pending and its command is tried again and again.
@test "a container that cannot start ends (StartError, exit code 128): Never fails the pod, Always restarts it" {
	never=$(pod_file nocmd <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: nocmd}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["/no/such/command"]
YAML
	)
	run podrun run -d "$never"
	assert_failure 1
	assert_output --partial "nocmd.yaml:7:5: pod nocmd: container c: StartError: "
	assert_output --partial "execve(/no/such/command): No such file or directory (the pod Failed: podrun describe nocmd)"
	[ "$(state nocmd)" = Failed ]
	run podrun get nocmd -o json
	assert_success
	[ "$(jq -r '.status.phase' <<<"$output")" = Failed ]
	[ "$(jq -c '.status.containerStatuses[0] | [.restartCount, .state.terminated.exitCode, .state.terminated.reason, .state.terminated.startedAt]' <<<"$output")" = '[0,128,"StartError",null]' ]
	jq -e '.status.containerStatuses[0].state.terminated.message | contains("/no/such/command")' <<<"$output"
	# a pod that ended is not ready, and kubelet says why
	[ "$(jq -c '[.status.conditions[] | select(.type == "Ready" or .type == "ContainersReady") | [.status, .reason]]' <<<"$output")" = '[["False","PodFailed"],["False","PodFailed"]]' ]
	run podrun describe nocmd
	assert_output --regexp "Warning +Failed .*Error: container c: exec /no/such/command"
	podrun rm nocmd
	assert_host_clean

	# beside a container that runs, the pod is Running: run -d does not
	# wait for the one that never will (timeout: a run -d that waits on;
	# before stuck() knew a StartError under Never, it did)
	f=$(pod_file half <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: half}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - {name: up, image: busybox, command: ["sleep", "3600"]}
  - {name: c, image: busybox, command: ["/no/such/command"]}
YAML
	)
	run timeout 30 "$PODRUN_BIN" run -d "$f"
	assert_failure 1
	assert_output --partial "half.yaml:9:5: pod half: container c: StartError: "
	assert_output --partial "(the pod goes on: "
	[ "$(state half)" = Running ]
	[ "$(state half containers/up/state)" = Running ]
	podrun rm -f half
	assert_host_clean

	# Always: a restart like any other, counted, with the backoff; the pod
	# is Running as a crash-looping one is, the failed run its lastState
	sed 's/restartPolicy: Never/restartPolicy: Always/' "$never" >"$BATS_TEST_TMPDIR/always.yaml"
	run podrun run -d "$BATS_TEST_TMPDIR/always.yaml"
	assert_failure 1
	assert_output --partial "container c: RunContainerError: "
	assert_output --partial "(the pod goes on: "
	restarts() { [ "$(state nocmd containers/c/restarts)" -ge 2 ]; }
	wait_for restarts
	[ "$(state nocmd)" = Running ]
	run podrun get nocmd -o json
	[ "$(jq -r '.status.containerStatuses[0].state.waiting.reason' <<<"$output")" = RunContainerError ]
	[ "$(jq -c '.status.containerStatuses[0].lastState.terminated | [.exitCode, .reason]' <<<"$output")" = '[128,"StartError"]' ]
	podrun rm -f nocmd
	assert_host_clean
}

@test "run in the foreground: SIGINT (Ctrl-C) stops the pod gracefully" {
	f=$(sleeper fg)
	"$PODRUN_BIN" run "$f" >"$BATS_TEST_TMPDIR/fg.out" 2>&1 &
	local pid=$!
	defer "kill $pid"
	wait_for grep -qx Running "$PODRUN_ROOT/pods/fg/containers/main/state"
	# Running is the execve; the trap is set before "started": a SIGTERM
	# before it would be lost (PID 1 of a pid namespace has no default
	# action for it), and the container killed at the grace period's end
	wait_for grep -q started "$(data fg)/logs/main/0.log"
	local pids
	pids=$(pod_pids fg)
	kill -INT $pid
	wait $pid
	grep -q "main: Running" "$BATS_TEST_TMPDIR/fg.out"
	# SIGTERM reached the container, whose trap exited 0
	[ "$(state fg containers/main/reason)" = Completed ]
	assert_gone $pids
	run podrun rm fg
	assert_success
	assert_host_clean
}

@test "a second run of a running pod is refused; rm of a running pod needs -f" {
	f=$(sleeper twice)
	podrun run -d "$f"
	run podrun run -d "$f"
	assert_failure 1
	assert_output --partial "pod twice is already running"
	run podrun rm twice
	assert_failure 1
	assert_output --partial "stop it first, or rm -f"
	run podrun stop twice
	assert_success
	[ "$(state twice containers/main/state)" = Terminated ]
	run podrun rm twice
	assert_success
	assert_host_clean
}

@test "stop and rm take several pods, as kubectl delete and docker rm do: one that fails is said, the others go on, exit 1" {
	podrun run -d "$(sleeper many-a)"
	podrun run -d "$(sleeper many-b)"
	# a bad name among them: a usage error before any pod is touched
	run podrun rm -f many-a ../many-b
	assert_failure 2
	[ "$(state many-a)" = Running ]
	run podrun rm many-a many-b
	assert_failure 1
	assert_line --partial 'pod many-a is running: stop it first, or rm -f'
	assert_line --partial 'pod many-b is running: stop it first, or rm -f'
	run podrun stop -t 0 many-a nope pod/many-b
	assert_failure 1
	assert_line --partial 'no pod named nope'
	assert_line --regexp '^pod many-a: stopped '
	assert_line --regexp '^pod many-b: stopped '
	[ "$(state many-b containers/main/state)" = Terminated ]
	run podrun rm many-a many-b
	assert_success
	assert_line 'pod many-a: removed'
	assert_line 'pod many-b: removed'
	run podrun rm
	assert_failure 2
	assert_host_clean
}

@test "a pod named as kubectl names it: get pods, pod/NAME, describe pod NAME, describe pods; another kind is a usage error" {
	podrun run -d "$(sleeper kube-a)"
	podrun run -d "$(sleeper kube-b)"
	run podrun get pods
	assert_success
	assert_line --regexp '^kube-a +1/1 +Running '
	assert_line --regexp '^kube-b +1/1 +Running '
	run podrun get pod/kube-b
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp '^kube-b +1/1 +Running '
	run podrun get po kube-a -o json
	assert_success
	assert_output --partial '"name": "kube-a"'
	run podrun describe pod kube-a
	assert_success
	assert_line --regexp '^Name: +kube-a$'
	run podrun exec pods/kube-a -- sh -c 'echo $WHO'
	assert_output "the main container"
	run podrun logs pod/kube-a
	assert_output "started"
	# a word alone names a pod where the command needs one
	run podrun logs pod
	assert_failure 1
	assert_output --partial 'no pod named pod'
	# and is every pod where the command takes a list: kubectl describe pods
	run podrun describe pod
	assert_success
	assert_line --regexp '^Name: +kube-a$'
	assert_line --regexp '^Name: +kube-b$'
	run podrun get deployment/kube-a
	assert_failure 2
	assert_output --partial 'invalid pod name "deployment/kube-a": podrun runs pods only'
	run podrun get ../kube-a
	assert_failure 2
	assert_output --partial 'invalid pod name "../kube-a" (a DNS-1123 subdomain'
	run podrun get pod/../kube-a
	assert_failure 2
	assert_output --partial 'invalid pod name "../kube-a" (a DNS-1123 subdomain'
	run podrun rm -f pod/kube-a
	assert_success
	run podrun rm -f pods kube-b
	assert_success
	assert_host_clean
}

@test "a pod that ended keeps what its containers wrote outside their volumes until rm takes it, as kubelet keeps a dead container" {
	f=$(pod_file layer <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: layer}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: busybox, command: ["sh", "-c", "echo written > /written"]}
YAML
	)
	run podrun run "$f"
	assert_success
	assert_line "layer: pod Succeeded"
	# no mount holds it: the container's mount namespace went with it
	assert_equal "$(cat "$(data layer)/containers/c/fs/upper/written")" written
	run grep -c " $(data layer)" /proc/self/mountinfo
	assert_output 0
	run podrun rm layer
	assert_success
	[ ! -e "$(data layer)" ]
	assert_host_clean
}

# Proven: without mkdir_beneath_root (container.c) neither container can
# start (StartError), and the pod fails.
@test "a workingDir the image lacks is made, 0755 and root's, as runc makes it - a read-only root too" {
	f=$(pod_file wd <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: wd}
spec:
  restartPolicy: Never
  containers:
  - name: rw
    image: busybox
    workingDir: /not/there/yet
    securityContext: {runAsUser: 1000}
    command: ["sh", "-c", "pwd; stat -c '%a %u' ."]
  - name: ro
    image: busybox
    workingDir: /srv/app
    securityContext: {readOnlyRootFilesystem: true}
    command: ["sh", "-c", "pwd; awk '$5 == \"/\" {print $6}' /proc/self/mountinfo"]
YAML
	)
	run podrun run -d "$f"
	wait_for grep -qx Succeeded "$PODRUN_ROOT/pods/wd/phase"
	run podrun logs wd -c rw
	assert_output "/not/there/yet
755 0"
	# read-only, and still nodev: a device node in the image must not open
	run podrun logs wd -c ro
	assert_output --regexp '^/srv/app
ro,(.*,)?nodev(,.*)?$'
	podrun rm -f wd
	assert_host_clean
}
