#!/usr/bin/env bats
# lifecycle hooks as kubelet runs them: postStart right after the start (a
# failure kills the container), preStop before the SIGTERM, within the grace
# period. What each hook writes lands in a hostPath the test reads.

load ../helpers
load podrun

setup() {
	podrun_setup
}

@test "postStart runs after the start, preStop before SIGTERM, in that order" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	f=$(pod_file lc <<YAML
apiVersion: v1
kind: Pod
metadata: {name: lc}
spec:
  terminationGracePeriodSeconds: 3
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap 'echo TERM >> /v/log; exit 0' TERM; echo started >> /v/log; while :; do sleep 0.1; done"]
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle:
      postStart: {exec: {command: ["sh", "-c", "echo poststart >> /v/log"]}}
      preStop: {exec: {command: ["sh", "-c", "echo prestop >> /v/log"]}}
YAML
	)
	podrun run -d "$f"
	wait_for grep -q poststart "$hp/log"
	# the trap is set before "started": a SIGTERM before it would be lost
	# (PID 1 of a pid namespace has no default action for it)
	wait_for grep -q started "$hp/log"
	podrun stop lc
	# the container's own line and postStart race (kubelet runs the hook
	# beside the command); preStop always comes before the SIGTERM
	[ "$(sed -n '$p' "$hp/log")" = TERM ]
	[ "$(sed -n '$=' "$hp/log")" = 4 ]
	[ "$(grep -n prestop "$hp/log" | cut -d: -f1)" = 3 ]
	podrun rm -f lc
	assert_host_clean
}

# Proven: with the postStart bound the grace period alone (pod.c,
# hook_on_change) the hook is "late" at once and kills the container; with
# pre_stop's grace check gone a FailedPreStopHook event is written.
@test "terminationGracePeriodSeconds: 0: postStart still runs (kubelet's 2 s at least), preStop is skipped as kubelet skips it" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	f=$(pod_file nograce <<YAML
apiVersion: v1
kind: Pod
metadata: {name: nograce}
spec:
  terminationGracePeriodSeconds: 0
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "while :; do sleep 0.1; done"]
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle:
      postStart: {exec: {command: ["sh", "-c", "sleep 0.2; echo poststart >> /v/log"]}}
      preStop: {exec: {command: ["sh", "-c", "echo prestop >> /v/log"]}}
YAML
	)
	podrun run -d "$f"
	wait_for grep -q poststart "$hp/log"
	sleep 0.5
	[ "$(state nograce containers/c/restarts)" = 0 ]
	run grep -c FailedPostStartHook "$PODRUN_ROOT/pods/nograce/events"
	assert_output 0
	podrun stop nograce
	assert_equal "$(cat "$hp/log")" poststart
	run grep -c FailedPreStopHook "$PODRUN_ROOT/pods/nograce/events"
	assert_output 0
	podrun rm -f nograce
	assert_host_clean
}

@test "a failing postStart kills the container, which is restarted by policy, with an event" {
	f=$(pod_file ps <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: ps}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      postStart: {exec: {command: ["false"]}}
YAML
	)
	podrun run -d "$f" || true
	wait_for grep -qv '^0$' "$PODRUN_ROOT/pods/ps/containers/c/restarts"
	grep -q "FailedPostStartHook" "$PODRUN_ROOT/pods/ps/events"
	podrun rm -f ps
	assert_host_clean
}

# kubelet kills a container whose postStart failed with killContainer: its
# preStop, then SIGTERM, SIGKILL only after the grace period.
# Proven: with pod.c's SIGKILL at once, as it was, in place of kill_member,
# the log holds "started" alone.
@test "a failing postStart kills as kubelet's killContainer does: preStop, then SIGTERM" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	f=$(pod_file psk <<YAML
apiVersion: v1
kind: Pod
metadata: {name: psk}
spec:
  terminationGracePeriodSeconds: 5
  restartPolicy: Never
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap 'echo TERM >> /v/log; exit 0' TERM; echo started >> /v/log; while :; do sleep 0.1; done"]
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle:
      postStart: {exec: {command: ["sh", "-c", "until grep -q started /v/log; do sleep 0.05; done; false"]}}
      preStop: {exec: {command: ["sh", "-c", "echo prestop >> /v/log"]}}
YAML
	)
	run podrun run -d "$f"
	wait_for grep -q FailedPostStartHook "$PODRUN_ROOT/pods/psk/events"
	wait_for grep -q TERM "$hp/log"
	[ "$(cat "$hp/log")" = "$(printf 'started\nprestop\nTERM')" ]
	grep -q "Killing.*FailedPostStartHook" "$PODRUN_ROOT/pods/psk/events"
	podrun rm -f psk
	assert_host_clean
}

# A child the supervisor forks holds a copy of every fd it has until it
# closes them: here a postStart hook's child, held there by
# PODRUN_STOP_AT=hook-child (capstone/fault.h, the sanitizer build). A log
# pipe that ends meanwhile stays in the supervisor's epoll set if only
# closed, and its end kept being reported after its reader was freed: a
# heap-use-after-free the sanitizer build caught, now and then, in CI.
# Container a ends while b's hook child is held; the supervisor must live
# on (and the sanitizer find nothing: scripts/test.sh fails the suite on
# any report). Proven: without the EPOLL_CTL_DEL in log_close (pod.c) the
# supervisor dies of an ASan report here.
@test "a log pipe that ends while a forked child still holds a copy: the supervisor lives on" {
	grep -q PODRUN_STOP_AT "$PODRUN_BIN" ||
		skip "podrun built without -DPODLAB_FAULTS (make san-build has them)"
	local f sup child apid
	f=$(pod_file held <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: held}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - {name: a, image: busybox, command: ["sh", "-c", "echo bye; sleep 0.5"]}
  - name: b
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      postStart: {exec: {command: ["true"]}}
YAML
	)
	PODRUN_STOP_AT=hook-child "$PODRUN_BIN" run -d "$f" >/dev/null 2>&1 &
	defer "podrun rm -f held"
	wait_for test -s "$PODRUN_ROOT/pods/held/supervisor.pid"
	sup=$(state held supervisor.pid)
	wait_for stopped_child "$sup"
	defer "kill -CONT $child 2>/dev/null || true"
	apid=$(state held containers/a/pid)
	ended() { ! grep -q '^State:.*[RS]' "/proc/$apid/status" 2>/dev/null; }
	wait_for ended # a zombie: its pipes are at their end
	wait_for grep -q bye "$(data held)/logs/a/0.log"
	sleep 0.3 # the supervisor polls its log pipes meanwhile
	kill -0 "$sup"
	kill -CONT "$child"
	wait_for grep -qx Running "$PODRUN_ROOT/pods/held/containers/b/state"
	kill -0 "$sup"
	podrun rm -f held
	assert_host_clean
}

@test "a preStop that outlives the grace period is cut at it: the pod's stop stays bounded" {
	f=$(pod_file slow <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: slow}
spec:
  terminationGracePeriodSeconds: 3600
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      preStop: {sleep: {seconds: 3600}}
YAML
	)
	podrun run -d "$f"
	# a bound, not a timing: without the grace period (1 s, the stop's -t, a
	# bare number of seconds as docker stop -t takes it) this would hang for
	# an hour
	run timeout 60 "$PODRUN_BIN" stop -t 1 slow
	assert_success
	podrun rm -f slow
	assert_host_clean
}

@test "httpGet hooks: GET from the pod's netns with kubelet's headers; any response succeeds, even a 500" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	# web answers every request with a 500 and keeps what it was sent. One
	# nc -ll holds the socket listening throughout and forks a serve.sh per
	# connection: a loop of nc -l would leave a moment between connections
	# where nothing listens, and the startupProbe's own connect (which holds
	# c back until web listens) ends the first nc just as the hook dials
	cat >"$hp/serve.sh" <<'SH'
while read -r line; do
	echo "$line" >>/v/requests
	[ ${#line} -le 1 ] && break
done
printf 'HTTP/1.0 500 Oops\r\n\r\n'
SH
	f=$(pod_file hh <<YAML
apiVersion: v1
kind: Pod
metadata: {name: hh}
spec:
  terminationGracePeriodSeconds: 3
  volumes: [{name: v, hostPath: {path: $hp}}]
  initContainers:
  - name: web
    image: busybox
    restartPolicy: Always
    command: ["nc", "-ll", "-p", "8080", "-e", "sh", "/v/serve.sh"]
    volumeMounts: [{name: v, mountPath: /v}]
    startupProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    ports: [{name: hooks, containerPort: 8080}]
    lifecycle:
      postStart: {httpGet: {path: /poststart, port: hooks, httpHeaders: [{name: X-Hook, value: post}]}}
      preStop: {httpGet: {path: /prestop, port: 8080}}
YAML
	)
	podrun run -d "$f"
	wait_for grep -q "GET /poststart HTTP/1.1" "$hp/requests"
	grep -q "User-Agent: kube-lifecycle/1.31" "$hp/requests"
	grep -q "X-Hook: post" "$hp/requests"
	# the pod IP, not the host's: the request came from inside the pod
	local ip
	ip=$(podrun get hh -o json | jq -r .status.podIP)
	grep -q "Host: $ip:8080" "$hp/requests"
	[ "$(cat "$PODRUN_ROOT/pods/hh/containers/c/restarts")" = 0 ]
	refute grep -q FailedPostStartHook "$PODRUN_ROOT/pods/hh/events"
	podrun stop hh
	grep -q "GET /prestop HTTP/1.1" "$hp/requests"
	refute grep -q FailedPreStopHook "$PODRUN_ROOT/pods/hh/events"
	podrun rm -f hh
	assert_host_clean
}

@test "an httpGet postStart that cannot connect kills the container, with Go's dial error in the event" {
	f=$(pod_file hf <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: hf}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      postStart: {httpGet: {path: /x, port: 9}}
YAML
	)
	podrun run -d "$f" || true
	wait_for grep -qv '^0$' "$PODRUN_ROOT/pods/hf/containers/c/restarts"
	grep -E "FailedPostStartHook.*PostStartHook failed: Get \"http://[0-9.]+:9/x\": dial tcp [0-9.]+:9: connect: connection refused" \
		"$PODRUN_ROOT/pods/hf/events"
	podrun rm -f hf
	assert_host_clean
}

@test "hooks as the API server checks them: a tcpSocket hook is refused (kubelet never runs it), an httpGet is validated" {
	refused_in_container 'lifecycle: {postStart: {tcpSocket: {port: 80}}}' \
		"spec.containers[0].lifecycle.postStart.tcpSocket: not run by kubelet"
	refused_in_container 'lifecycle: {postStart: {httpGet: {port: web}}}' \
		'spec.containers[0].lifecycle.postStart.httpGet.port: Invalid value: "web": port web not found'
	refused_in_container 'lifecycle: {postStart: {httpGet: {port: 0}}}' \
		"spec.containers[0].lifecycle.postStart.httpGet.port: Invalid value: 0: must be between 1 and 65535"
	refused_in_container 'lifecycle: {preStop: {httpGet: {port: 80}, exec: {command: ["true"]}}}' \
		"may not specify more than 1 handler type"
}

@test "the supervisor killed during a postStart hook: the hook's process goes too, and the hostPort is free" {
	# The hook runs in a fork of the supervisor, which holds copies of its
	# fds - the hostPort's listening socket among them. With the supervisor
	# gone the hook must not keep the port bound until it ends.
	local hp=$BATS_TEST_TMPDIR/hp sup pids port=$((TEST_PORT_BASE + 65))
	mkdir -p "$hp"
	f=$(pod_file hk <<YAML
apiVersion: v1
kind: Pod
metadata: {name: hk}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    ports: [{containerPort: 80, hostPort: $port}]
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle:
      postStart: {exec: {command: ["sh", "-c", "touch /v/hook; sleep 30"]}}
YAML
	)
	podrun run -d --wait none "$f"
	wait_for test -e "$hp/hook"
	ss -ltnH "sport = :$port" | grep -q .
	pids=$(pod_pids hk)
	sup=$(state hk supervisor.pid)
	kill -9 "$sup"
	port_free() { ! ss -ltnH "sport = :$port" | grep -q .; }
	wait_for port_free || { echo "hostPort $port still bound: $(ss -ltnpH "sport = :$port")"; false; }
	podrun rm -f hk
	assert_gone $pids
	assert_host_clean
}

# Proven: with the stop's preStops one after another (each just before its
# container's SIGTERM), a's hook has ended before b's starts.
@test "a stop runs every preStop at once, the sidecar's too; each SIGTERM follows its own hook, the sidecar's the apps' exits" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	# a hook that starts, then waits until every other has started: run
	# one after another, the first waits out the grace period and is cut
	pre() { echo "{exec: {command: [\"sh\", \"-c\", \"echo $1-pre >> /v/log; until [ \$(grep -c pre /v/log) -ge 3 ]; do sleep 0.05; done; echo $1-pre-end >> /v/log\"]}}"; }
	run_() { echo "[\"sh\", \"-c\", \"trap 'echo $1-term >> /v/log; exit 0' TERM; echo $1-up >> /v/up; while :; do sleep 0.05; done\"]"; }
	f=$(pod_file side <<YAML
apiVersion: v1
kind: Pod
metadata: {name: side}
spec:
  terminationGracePeriodSeconds: 20
  volumes: [{name: v, hostPath: {path: $hp}}]
  initContainers:
  - name: s
    image: busybox
    restartPolicy: Always
    command: $(run_ s)
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle: {preStop: $(pre s)}
  containers:
  - name: a
    image: busybox
    command: $(run_ a)
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle: {preStop: $(pre a)}
  - name: b
    image: busybox
    command: $(run_ b)
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle: {preStop: $(pre b)}
YAML
	)
	podrun run -d "$f"
	# every trap is set: a SIGTERM before it would be lost on PID 1 (counted
	# at each try: a container may write its line after run -d returned)
	all_up() { [ "$(wc -l <"$hp/up")" = 3 ]; }
	wait_for all_up
	podrun stop side
	cat "$hp/log"
	line() { grep -nx "$1" "$hp/log" | cut -d: -f1; }
	for c in s a b; do
		[ -n "$(line $c-pre-end)" ] # no hook was cut
		[ "$(line $c-pre-end)" -lt "$(line $c-term)" ]
	done
	[ "$(line s-term)" -gt "$(line a-term)" ]
	[ "$(line s-term)" -gt "$(line b-term)" ]
	[ "$(sed -n '$=' "$hp/log")" = 9 ]
	run podrun describe side
	[[ "$output" != *FailedPreStopHook* ]]
	podrun rm -f side
	assert_host_clean
}

# Proven: without init.c's min_grace_ms the SIGKILL comes at the deadline,
# right after the SIGTERM, and "still" is never written.
@test "a preStop that took the whole grace period still leaves the container 2 s after its SIGTERM, as kubelet's minimum" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	f=$(pod_file late <<YAML
apiVersion: v1
kind: Pod
metadata: {name: late}
spec:
  terminationGracePeriodSeconds: 3600
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap 'echo term >> /v/log; sleep 0.5; echo still >> /v/log; exit 0' TERM; echo up >> /v/log; while :; do sleep 0.05; done"]
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle:
      preStop: {sleep: {seconds: 3600}}
YAML
	)
	podrun run -d "$f"
	wait_for grep -q up "$hp/log"
	podrun stop -t 1s late
	[ "$(cat "$hp/log")" = "up
term
still" ]
	[ "$(state late containers/c/exit_code)" = 0 ]
	# a sleep cut at the deadline did what it was asked: no failure
	run podrun describe late
	[[ "$output" != *FailedPreStopHook* ]]
	podrun rm -f late
	assert_host_clean
}

# Proven: with run_hook polling the hook's pidfd alone, c blocks on its full
# stdout pipe and the hook waits for "ready" until it is cut (FailedPostStartHook).
@test "a hook waits while its container fills its log pipe: the supervisor keeps reading the logs" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	f=$(pod_file chatty <<YAML
apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  terminationGracePeriodSeconds: 5
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "i=0; while [ \$i -lt 3000 ]; do echo starting-\$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=\$((i+1)); done; touch /v/ready; exec sleep 3600"]
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle:
      postStart: {exec: {command: ["sh", "-c", "until [ -e /v/ready ]; do sleep 0.05; done"]}}
YAML
	)
	podrun run -d "$f"
	wait_for test -e "$hp/ready"
	run podrun describe chatty
	[[ "$output" != *FailedPostStartHook* ]]
	[ "$(state chatty containers/c/restarts)" = 0 ]
	podrun rm -f chatty
	assert_host_clean
}

# Proven: with init_pod_stop waiting on the pidfds alone (no on_stop_fd), c
# blocks on its full stdout pipe, is SIGKILLed at the end of the grace period
# (exit code 137) and its last lines are lost.
@test "a container that writes on its way out is not blocked on its log pipe: it ends by itself, every line kept" {
	f=$(pod_file flood <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: flood}
spec:
  terminationGracePeriodSeconds: 10
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap 'i=0; while [ $i -lt 4000 ]; do echo bye-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; exit 0' TERM; echo up; while :; do sleep 0.05; done"]
YAML
	)
	podrun run -d "$f"
	wait_for grep -q up "$(data flood)/logs/c/0.log"
	podrun stop flood
	[ "$(state flood containers/c/exit_code)" = 0 ]
	[ "$(state flood containers/c/reason)" = Completed ]
	run podrun logs flood
	[ "${lines[-1]}" = bye-3999-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ]
	[ "${#lines[@]}" = 4001 ]
	podrun rm -f flood
	assert_host_clean
}

# Proven: with pod.c taking the image's signal alone (ci->stop_signal), c
# ignores the SIGTERM it gets and is SIGKILLed at the end of the grace period.
@test "lifecycle.stopSignal is what a stop sends, with spec.os.name: linux; get shows both, and the status the effective one" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	f=$(pod_file sig <<YAML
apiVersion: v1
kind: Pod
metadata: {name: sig}
spec:
  os: {name: linux}
  terminationGracePeriodSeconds: 30
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap '' TERM; trap 'echo usr2 >> /v/log; exit 0' USR2; echo up >> /v/log; while :; do sleep 0.05; done"]
    volumeMounts: [{name: v, mountPath: /v}]
    lifecycle: {stopSignal: SIGUSR2}
YAML
	)
	podrun run -d "$f"
	wait_for grep -q up "$hp/log"
	run podrun get sig -o json
	assert_success
	[ "$(jq -r '.spec.os.name' <<<"$output")" = linux ]
	[ "$(jq -r '.spec.containers[0].lifecycle.stopSignal' <<<"$output")" = SIGUSR2 ]
	# and the status reports it as the effective one
	[ "$(jq -r '.status.containerStatuses[0].stopSignal' <<<"$output")" = SIGUSR2 ]
	# a bound, not a timing: a SIGTERM would be ignored for 30 s
	run timeout 20 "$PODRUN_BIN" stop sig
	assert_success
	[ "$(cat "$hp/log")" = "up
usr2" ]
	[ "$(state sig containers/c/exit_code)" = 0 ]
	podrun rm -f sig
	assert_host_clean
}

# A second stop may shorten the grace period, as a second delete does: the
# supervisor reads the stop requests while it waits for something of its
# own - a stop's containers, a postStart hook - not only between waits.
# Proven: with the log pipes alone as a stop's stop_fd, the first two rm -f
# wait out POD_STOP_SLACK_MS, then kill the supervisor ("has not ended ...
# killing it"); with the log pipes alone in wait_serving_logs, the third.
@test "rm -f during a graceful stop, a sandbox change's stop or a postStart hook cuts the grace period short" {
	# sleep, PID 1 of its pid namespace, ignores SIGTERM: only the grace
	# period's SIGKILL ends it
	slow_pod() { # [POSTSTART-COMMAND]
		local hook=
		[ -z "${1:-}" ] || hook="    lifecycle: {postStart: {exec: {command: $1}}}"
		pod_file slow <<YAML
apiVersion: v1
kind: Pod
metadata: {name: slow}
spec:
  terminationGracePeriodSeconds: 60
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
$hook
YAML
	}
	local f sup stopper runner
	# rm -f once the stop is under way (an event), and what it must not do
	rm_meanwhile() { # EVENT-REASON
		wait_for grep -q "$1" "$PODRUN_ROOT/pods/slow/events"
		run timeout 8 "$PODRUN_BIN" rm -f slow
		assert_success
		refute_output --partial "killing it"
		assert_gone "$sup"
		assert_host_clean
	}
	f=$(slow_pod)
	podrun run -d "$f"
	sup=$(state slow supervisor.pid)
	podrun stop slow 3>&- &
	stopper=$!
	rm_meanwhile Killing
	wait "$stopper"

	podrun run -d "$f"
	sup=$(state slow supervisor.pid)
	kill -9 "$(state slow pause.pid)"
	rm_meanwhile SandboxChanged

	# a postStart holds the supervisor for up to the grace period: the stop
	# cuts the hook, and run -d hears that the pod ended, not that it runs
	f=$(slow_pod '["sleep", "3601"]')
	"$PODRUN_BIN" run -d "$f" >"$BATS_TEST_TMPDIR/run.out" 2>&1 3>&- &
	runner=$!
	wait_for test -s "$PODRUN_ROOT/pods/slow/supervisor.pid"
	sup=$(state slow supervisor.pid)
	wait_for pgrep -xf "sleep 3601"
	rm_meanwhile Started
	wait "$runner" || true
	run cat "$BATS_TEST_TMPDIR/run.out"
	refute_output --partial Running
	assert_output --partial "pod slow: Failed"
	! pgrep -xf "sleep 3601"
}
