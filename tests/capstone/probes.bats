#!/usr/bin/env bats
# Probes as kubelet runs them (capstone/probe.c), modelled on Kubernetes' node
# e2e tests: a liveness failure restarts the container, readiness flips READY,
# a startup probe holds the others back. Backoff is scaled down for tests.

load ../helpers
load podrun

setup() {
	podrun_setup
}

# [probe-threshold] grades probe_count (capstone/probe.c) through the unit
# tests of the probe state machine (tests/unit/test_probe.c): they feed a
# probe set the results they choose, so no container is needed.
unit_probe() { # TEST-NAME...: each of probe_state/TEST-NAME passes
	local t
	for t in "$@"; do
		run "$PODLAB_BUILD/tests/unit/test_probe" --jobs 1 --filter "probe_state/$t"
		assert_success
		assert_output --partial 'Tested: 1 | Passing: 1'
	done
}

@test "[probe-threshold] liveness and startup: failureThreshold failures in a row kill; a success between them starts the count over" {
	unit_probe liveness_kills_after_n_failures_in_a_row startup_failure_kills_after_threshold
}

@test "[probe-threshold] startup passes on one success; readiness flips after successThreshold successes or failureThreshold failures in a row" {
	unit_probe startup_gates_liveness_and_readiness readiness_flips_with_thresholds
}

@test "liveness: an exec probe that fails twice kills the container; restartCount counts it" {
	f=$(pod_file live <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "touch /tmp/healthy; sleep 3600"]
    livenessProbe: {exec: {command: ["cat", "/tmp/healthy"]}, periodSeconds: 1, failureThreshold: 2}
YAML
	)
	podrun run -d "$f"
	sleep 2 # a few probe periods: no restart while healthy
	[ "$(state live containers/c/restarts)" = 0 ]
	podrun exec live -- rm /tmp/healthy
	wait_for grep -qv '^0$' "$PODRUN_ROOT/pods/live/containers/c/restarts"
	grep -q "Liveness probe failed" "$PODRUN_ROOT/pods/live/events"
	grep -q "Container c failed liveness probe, will be restarted" "$PODRUN_ROOT/pods/live/events"
	podrun rm -f live
	assert_host_clean
}

# Proven: with kill_children (probe.c) killing the timed-out command alone, not
# its process group, the sleep its shell forked in the container lives on,
# reparented to the container's init: one more at each timeout.
@test "an exec probe that times out takes along what its command started in the container" {
	f=$(pod_file hang <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: hang}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    # one check, which times out: the shell forks sleep and waits for it
    livenessProbe: {exec: {command: ["sh", "-c", "sleep 7301; true"]}, timeoutSeconds: 1, periodSeconds: 3600}
YAML
	)
	podrun run -d "$f"
	wait_for grep -q 'Liveness probe failed: command "sh -c sleep 7301; true" timed out' \
		"$PODRUN_ROOT/pods/hang/events"
	# killed: at most a zombie ("[sleep]") stays, sleep 3600 reaps nothing
	no_sleep_left() {
		local out
		out=$(podrun exec hang -- ps -o stat,args) || return 1
		! grep -q 'sleep 7301' <<<"$out"
	}
	wait_for no_sleep_left
	podrun rm -f hang
	assert_host_clean
}

# Proven: without m->unhealthy set in probe_verdict (pod.c) the OnFailure
# pod ends Succeeded after the first kill; without its pre_stop call, no
# preStop file is written.
@test "liveness under OnFailure: a container that exits 0 on SIGTERM is restarted all the same; under Never it is not, and its preStop runs first" {
	local policy f hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	for policy in OnFailure Never; do
		f=$(pod_file "unhealthy-${policy,,}" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: unhealthy-${policy,,}}
spec:
  restartPolicy: $policy
  terminationGracePeriodSeconds: 5
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; touch /tmp/armed; while true; do sleep 0.1; done"]
    volumeMounts: [{name: v, mountPath: /v}]
    # fails once the trap is set: a SIGTERM before it would be lost on PID 1
    livenessProbe: {exec: {command: ["sh", "-c", "! test -e /tmp/armed"]}, periodSeconds: 1, failureThreshold: 1}
    lifecycle: {preStop: {exec: {command: ["sh", "-c", "echo stopping >>/v/prestop-$policy"]}}}
YAML
		)
		podrun run -d "$f"
		if [ "$policy" = OnFailure ]; then
			# killed, exits 0, started again: kubelet restarts it on purpose
			wait_for grep -qx 2 "$PODRUN_ROOT/pods/unhealthy-onfailure/containers/c/restarts"
			[ "$(state unhealthy-onfailure)" = Running ]
			grep -q "Container c failed liveness probe, will be restarted" \
				"$PODRUN_ROOT/pods/unhealthy-onfailure/events"
			podrun rm -f unhealthy-onfailure
		else
			wait_for grep -qx Succeeded "$PODRUN_ROOT/pods/unhealthy-never/phase"
			[ "$(state unhealthy-never containers/c/restarts)" = 0 ]
			grep -q "Container c failed liveness probe$" "$PODRUN_ROOT/pods/unhealthy-never/events"
			podrun rm -f unhealthy-never
		fi
		# the preStop ran before each kill
		[ -s "$hp/prestop-$policy" ]
	done
	assert_host_clean
}

# Proven: with the probe's kill running the preStop in probe_verdict, as it
# did, the supervisor restarts nothing while the hook runs: b is not started
# again, the hook waits for it until the grace period cuts it, and no
# "restarted" line is written.
@test "a probe's kill does not hold the supervisor: while the killed container's preStop runs, the pod goes on" {
	local hp=$BATS_TEST_TMPDIR/hp
	mkdir -p "$hp"
	f=$(pod_file goon <<YAML
apiVersion: v1
kind: Pod
metadata: {name: goon}
spec:
  terminationGracePeriodSeconds: 20
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: a
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts: [{name: v, mountPath: /v}]
    livenessProbe: {exec: {command: ["false"]}, periodSeconds: 1, failureThreshold: 1}
    lifecycle:
      preStop: {exec: {command: ["sh", "-c", "touch /v/go; until [ \$(grep -c b-start /v/log) -ge 2 ]; do sleep 0.05; done; echo restarted >> /v/seen"]}}
  - name: b
    image: busybox
    command: ["sh", "-c", "echo b-start >> /v/log; until [ -e /v/go ]; do sleep 0.05; done; rm /v/go; exit 1"]
    volumeMounts: [{name: v, mountPath: /v}]
YAML
	)
	podrun run -d "$f"
	# b's first restart comes at once (kubelet's), while a's hook still runs
	wait_long test -s "$hp/seen"
	grep -q "Container a failed liveness probe, will be restarted" "$PODRUN_ROOT/pods/goon/events"
	run podrun describe goon
	[[ "$output" != *FailedPreStopHook* ]]
	podrun rm -f goon
	assert_host_clean
}

@test "readiness: an httpGet probe on a named port drives READY and the Ready condition" {
	f=$(pod_file ready <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: ready}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www"]
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {httpGet: {path: /index.html, port: http}, periodSeconds: 1}
YAML
	)
	podrun run -d "$f"
	wait_for grep -qx 1 "$PODRUN_ROOT/pods/ready/containers/web/ready"
	run podrun ps
	assert_line --regexp "^ready +Running +1/1 "
	# the pod's conditions follow the container's ready at the supervisor's
	# next turn of its loop, a moment later
	wait_for grep -q "^Ready True" "$PODRUN_ROOT/pods/ready/conditions"
	podrun exec ready -- rm /www/index.html
	wait_for grep -qx 0 "$PODRUN_ROOT/pods/ready/containers/web/ready"
	run podrun ps
	assert_line --regexp "^ready +Running +0/1 "
	wait_for grep -q "^Ready False" "$PODRUN_ROOT/pods/ready/conditions"
	# not ready is not dead: no restart
	[ "$(state ready containers/web/restarts)" = 0 ]
	podrun rm -f ready
	assert_host_clean
}

# A stop is a graceful delete: kubelet (since Kubernetes 1.25) keeps the
# readiness probes until each container exits, and stops liveness and
# startup. Before, podrun served no probe during a stop: the ready bits froze
# as the stop found them, and nothing said the pod was Terminating.
@test "during a stop the readiness probe goes on and liveness is off; the pod is Terminating, then not Ready (PodCompleted)" {
	f=$(pod_file drain <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: drain}
spec:
  terminationGracePeriodSeconds: 9
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'touch /v/draining; sleep 3; exit 0' TERM; while :; do sleep 0.1; done"]
    volumeMounts: [{name: v, mountPath: /v}]
  - name: side
    image: busybox
    command: ["sh", "-c", "trap 'sleep 5; exit 0' TERM; while :; do sleep 0.1; done"]
    volumeMounts: [{name: v, mountPath: /v}]
    readinessProbe: {exec: {command: ["test", "!", "-e", "/v/draining"]}, periodSeconds: 1, failureThreshold: 1}
    livenessProbe: {exec: {command: ["test", "!", "-e", "/v/draining"]}, periodSeconds: 1, failureThreshold: 1}
  volumes:
  - {name: v, emptyDir: {}}
YAML
	)
	podrun run -d "$f"
	wait_for grep -qx 1 "$PODRUN_ROOT/pods/drain/containers/side/ready"
	podrun stop drain &
	local stopper=$!
	wait_for test -s "$PODRUN_ROOT/pods/drain/deletion_at"
	run podrun get drain -o json
	assert_success
	[ "$(jq -r .metadata.deletionGracePeriodSeconds <<<"$output")" = 9 ]
	local first=$(date -d "$(jq -r .metadata.deletionTimestamp <<<"$output")" +%s)
	local left=$((first - $(date +%s)))
	((left >= 4 && left <= 9)) || fail "deletionTimestamp is ${left}s away, not the grace period's 9"
	# a second delete with a shorter grace period moves both (7 s: still
	# longer than the containers take to drain)
	podrun stop -t 7s drain &
	local second=$!
	wait_for grep -qx 7 "$PODRUN_ROOT/pods/drain/deletion_grace"
	run podrun get drain -o json
	[ "$(jq -r .metadata.deletionGracePeriodSeconds <<<"$output")" = 7 ]
	(($(date -d "$(jq -r .metadata.deletionTimestamp <<<"$output")" +%s) < first)) ||
		fail "the shorter stop did not move deletionTimestamp sooner"
	run podrun describe drain
	assert_line --regexp "^Status: +Terminating \(lasts [0-9]+s\)$"
	assert_line --regexp "^Termination Grace Period: +7s$"
	# the app drains: side's readiness probe fails while it still runs
	wait_for grep -qx 0 "$PODRUN_ROOT/pods/drain/containers/side/ready"
	[ "$(state drain containers/side/state)" = Running ]
	wait_for grep -q "^Ready False .* ContainersNotReady" "$PODRUN_ROOT/pods/drain/conditions"
	run podrun get drain
	assert_line --regexp "^drain +[01]/2 +Terminating "
	wait "$stopper" "$second"
	# liveness was off: side was not killed for it, and ended on its own
	[ "$(state drain containers/side/exit_code)" = 0 ]
	run podrun describe drain
	refute_output --partial "Liveness probe failed"
	assert_output --partial "Readiness probe failed"
	[ "$(state drain phase)" = Succeeded ]
	grep -q "^Ready False .* PodCompleted" "$PODRUN_ROOT/pods/drain/conditions"
	run podrun get drain
	assert_line --regexp "^drain +0/2 +Completed "
	podrun rm -f drain
	assert_host_clean
}

# Proven: with every 3xx taken for a success, as probe.c took it, the
# container was ready at once, though where busybox's httpd sends /app (its
# /app/) answered 404.
@test "readiness: an httpGet probe follows a redirect to the same host, as kubelet's client does" {
	f=$(pod_file redir <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: redir}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    # /app is a directory: httpd redirects /app to /app/, which has no index yet
    command: ["sh", "-c", "mkdir -p /www/app; exec httpd -f -p 8080 -h /www"]
    readinessProbe: {httpGet: {path: /app, port: 8080}, periodSeconds: 1, failureThreshold: 1}
YAML
	)
	podrun run -d "$f"
	wait_for grep -q "Readiness probe failed: HTTP probe failed with statuscode: 404" \
		"$PODRUN_ROOT/pods/redir/events"
	[ "$(state redir containers/web/ready)" = 0 ]
	podrun exec redir -- sh -c 'echo ok > /www/app/index.html'
	wait_for grep -qx 1 "$PODRUN_ROOT/pods/redir/containers/web/ready"
	podrun rm -f redir
	assert_host_clean
}

# kubelet's client does not follow a redirect to another host: the 3xx
# stands, a success with a Warning event that carries its body. podrun took
# it for a success without a word.
@test "readiness: a redirect elsewhere is a success with kubelet's ProbeWarning event, its body in it" {
	f=$(pod_file moved <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: moved}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command:
    - sh
    - -c
    - |
      mkdir -p /www/cgi-bin
      cat > /www/cgi-bin/moved <<'EOF'
      #!/bin/sh
      printf 'HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/\r\nContent-Length: 14\r\n\r\nmoved, not me.'
      EOF
      chmod +x /www/cgi-bin/moved
      exec httpd -f -p 8080 -h /www
    readinessProbe: {httpGet: {path: /cgi-bin/moved, port: 8080}, periodSeconds: 1}
YAML
	)
	podrun run -d "$f"
	wait_for grep -q "ProbeWarning.*Readiness probe warning: Probe terminated redirects, Response body: moved, not me\.$" \
		"$PODRUN_ROOT/pods/moved/events"
	wait_for grep -qx 1 "$PODRUN_ROOT/pods/moved/containers/web/ready"
	run podrun describe moved
	assert_line --regexp "^  Warning +ProbeWarning +.* +Readiness probe warning: Probe terminated redirects, Response body: moved, not me\.$"
	podrun rm -f moved
	assert_host_clean
}

@test "startup: a startup probe holds liveness back until it passes" {
	f=$(pod_file slow <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: slow}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "sleep 3; touch /tmp/up; sleep 3600"]
    startupProbe: {exec: {command: ["cat", "/tmp/up"]}, periodSeconds: 1, failureThreshold: 30}
    livenessProbe: {exec: {command: ["cat", "/tmp/up"]}, periodSeconds: 1, failureThreshold: 1}
YAML
	)
	podrun run -d "$f"
	[ "$(state slow containers/c/started)" = 0 ]
	wait_for grep -qx 1 "$PODRUN_ROOT/pods/slow/containers/c/started"
	# liveness would have killed it at its first failure had it run before
	[ "$(state slow containers/c/restarts)" = 0 ]
	refute grep -q "Liveness probe failed" "$PODRUN_ROOT/pods/slow/events"
	podrun rm -f slow
	assert_host_clean
}

@test "startup: a native sidecar's startup probe holds the next init container back (KEP-753)" {
	# The init container after the sidecar fails unless the sidecar's file is
	# already there: started at the sidecar's exec, as without the probe, it
	# would find nothing and fail the pod (restartPolicy: Never).
	f=$(pod_file gate <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: gate}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{name: shared, emptyDir: {}}]
  initContainers:
  - name: proxy
    image: busybox
    restartPolicy: Always
    command: ["sh", "-c", "sleep 1; touch /shared/up; sleep 3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    startupProbe: {exec: {command: ["cat", "/shared/up"]}, periodSeconds: 1, failureThreshold: 30}
  - name: after
    image: busybox
    command: ["test", "-e", "/shared/up"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
YAML
	)
	podrun run -d "$f"
	[ "$(state gate)" = Running ]
	[ "$(state gate containers/after/reason)" = Completed ]
	[ "$(state gate containers/proxy/started)" = 1 ]
	podrun rm -f gate
	assert_host_clean
}

@test "probes are validated as the API server does" {
	refused_in_container 'livenessProbe: {exec: {command: ["true"]}, tcpSocket: {port: 80}}' \
		"may not specify more than 1 handler type"
	refused_in_container 'livenessProbe: {exec: {command: ["true"]}, successThreshold: 2}' \
		"successThreshold: Invalid value: 2: must be 1"
	refused_in_container 'readinessProbe: {httpGet: {port: http}}' "port http not found"
	refused_in_container 'readinessProbe: {periodSeconds: 3}' "must specify a handler type"
}
