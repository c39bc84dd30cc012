#!/usr/bin/env bats
# hostPort relay (capstone/ports.c), seen from the host as an attacker would:
# a server bound to the pod's 127.0.0.1 stays private to the pod, the pod
# sees the relay's connections coming from the pod IP (not from 127.0.0.1),
# a pod that never accepts cannot freeze its supervisor, and running out of
# file descriptors is survived.

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
}

# The hostPorts: private_pod's two servers (the pod's 127.0.0.1:8081 and
# its every address's 8082), the stuck pod's and out_of_fds' pod's.
PRIVATE_PORT=$((TEST_PORT_BASE + 41))
PUBLIC_PORT=$((TEST_PORT_BASE + 42))
STUCK_PORT=$((TEST_PORT_BASE + 43))
FDS_PORT=$((TEST_PORT_BASE + 44))

# GET http://127.0.0.1:PORT/PATH from the host, print the body. Bounded: a
# client the relay never serves waits in the kernel's backlog, and wget would
# wait with it.
get() { # PORT [PATH]
	timeout 5 busybox wget -q -O - "http://127.0.0.1:$1/${2:-}"
}

# The body of GET http://127.0.0.1:PORT/ is exactly WANT.
get_is() { # PORT WANT
	[ "$(get "$1")" = "$2" ]
}

# A client on the host: send an HTTP request to 127.0.0.1:PORT, print what
# comes back. A closed connection prints nothing (a reset is no output either).
http_get() { # PORT
	timeout 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && cat <&3" 2>/dev/null
}

# Lines of a container's CRI log so far (the supervisor writes them).
log_lines() { # POD CONTAINER
	podrun logs -c "$2" "$1" | wc -l
}

test_more_lines() { # POD N: the ticker logged more than N lines
	[ "$(log_lines "$1" ticker)" -gt "$2" ]
}

# N clients connected to 127.0.0.1:PORT and held open by one background
# process ($HOLDER), not by the test's shell: every command the test forks
# would inherit the shell's sockets and keep them open after it closed them.
# Killing the holder closes them all.
hold_clients() { # PORT N
	bash -c 'for ((i = 0; i < $2; i++)); do exec {fd}<>"/dev/tcp/127.0.0.1/$1" || exit 1; done
		echo ready; exec sleep 3600' _ "$1" "$2" >"$BATS_TEST_TMPDIR/holder" 3>&- &
	HOLDER=$!
	defer "kill $HOLDER"
	wait_for grep -qx ready "$BATS_TEST_TMPDIR/holder"
}

# Kill a process only if it is still the one we saw (pid and start time).
kill_same() { # SIGNAL PID START
	[ "$(awk '{print $22}' "/proc/$2/stat" 2>/dev/null)" = "$3" ] && kill "-$1" "$2"
}

# The server in the pod: busybox httpd serving "secret", once on the pod's
# 127.0.0.1 only and once on every address, with -vv so that it logs each
# client's address to stderr (the container's log).
private_pod() {
	pod_file private <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: private
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo secret >/www/index.html && httpd -vv -p 127.0.0.1:8081 -h /www && exec httpd -f -vv -p 8082 -h /www"]
    ports:
    - {containerPort: 8081, hostPort: $PRIVATE_PORT}
    - {containerPort: 8082, hostPort: $PUBLIC_PORT}
YAML
}

@test "hostPort: a server on the pod's 127.0.0.1 is not reachable; the same server on 0.0.0.0 is" {
	run podrun run -d "$(private_pod)"
	assert_success
	# the server on every address answers through its hostPort: the relay works
	wait_for get_is "$PUBLIC_PORT" secret
	run http_get "$PUBLIC_PORT"
	assert_output --partial secret
	# both servers run in the pod: the private one answers inside it
	run timeout 10 "$PODRUN_BIN" exec -c web private -- wget -q -O - http://127.0.0.1:8081/
	assert_output secret
	# through the hostPort the relay dials the pod IP, where nothing listens
	# on 8081: the client is closed, not a byte of the private server's
	run http_get "$PRIVATE_PORT"
	[ "$status" -ne 124 ] || { echo "the relay neither answered nor closed"; false; }
	assert_output ""
	podrun rm -f private
	assert_host_clean
}

@test "hostPort: the pod sees the relay's connections coming from the pod IP, not 127.0.0.1" {
	run podrun run -d "$(private_pod)"
	assert_success
	local ip
	ip=$(state private ip)
	[ -n "$ip" ]
	wait_for get_is "$PUBLIC_PORT" secret
	# httpd -vv logs "[::ffff:ADDR]:PORT: url:/" per client (it listens on
	# IPv6 too, so IPv4 peers are mapped addresses)
	wait_for sh -c "'$PODRUN_BIN' logs -c web private | grep -q url:/"
	run sh -c "'$PODRUN_BIN' logs -c web private | grep url:/"
	assert_output --partial "[::ffff:$ip]:"
	refute_output --partial "127.0.0.1"
	podrun rm -f private
	assert_host_clean
}

@test "hostPort: without a pod IP (PODRUN_BRIDGE=none) the relay dials the pod's loopback" {
	export PODRUN_BRIDGE=none
	run podrun run -d "$(private_pod)"
	assert_success
	[ -z "$(state private ip)" ]
	wait_for get_is "$PUBLIC_PORT" secret
	run http_get "$PUBLIC_PORT"
	assert_output --partial secret
	podrun rm -f private
	assert_host_clean
}

@test "hostPort: a pod that never accepts does not freeze the supervisor; stuck connects are abandoned" {
	local f
	f=$(pod_file stuck <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: stuck
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
    ports: [{containerPort: 8080, hostPort: $STUCK_PORT}]
  - name: ticker
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while :; do i=\$((i + 1)); echo tick \$i; sleep 0.1; done"]
YAML
)
	run podrun run -d "$f"
	assert_success
	wait_for get "$STUCK_PORT" passwd
	local sup pause web
	sup=$(state stuck supervisor.pid)
	pause=$(state stuck pause.pid)
	web=$(state stuck containers/web/pid)
	defer "kill_same 9 $sup $(state stuck supervisor.start)"
	# A stopped server accepts nothing: once its listen backlog is full the
	# kernel drops further SYNs, and a connect to it would hang for minutes.
	kill -STOP "$web"
	defer "kill -CONT $web"
	hold_clients "$STUCK_PORT" 30
	# the relay is connecting to the pod and the pod drops its SYNs
	wait_for sh -c "nsenter --net=/proc/$pause/ns/net ss -tnH state syn-sent | grep -q :8080"
	# meanwhile the supervisor's event loop goes on: the ticker's lines reach its log
	local n
	n=$(log_lines stuck ticker)
	wait_for test_more_lines stuck $((n + 5))
	# the connects that never complete are given up: their clients are closed
	# (our side of those connections goes to CLOSE-WAIT)
	wait_long sh -c "ss -tnH state close-wait 'dport = :$STUCK_PORT' | grep -q ."
	wait_long sh -c "! nsenter --net=/proc/$pause/ns/net ss -tnH state syn-sent | grep -q :8080"
	# and the pod stops when asked, while clients still hang on the server
	run timeout 20 "$PODRUN_BIN" stop stuck
	assert_success
	assert_gone "$sup"
	podrun rm -f stuck
	assert_host_clean
}

# A pod whose supervisor runs with `ulimit -n LIMIT`, and 100 clients held
# open: 200 fds and more. Each relayed connection takes two fds (the pod side,
# made first, then the client), so which call runs out first depends on the
# parity of what the supervisor holds itself: socket() in the pod's netns
# with one limit, accept4 with the next. Both must leave the pod running.
out_of_fds() { # LIMIT
	local f
	f=$(pod_file fds <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: fds
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hello >/www/index.html && httpd -p 8080 -h /www && trap 'exit 0' TERM && while :; do sleep 1; done"]
    ports: [{containerPort: 8080, hostPort: $FDS_PORT}]
  - name: ticker
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while :; do i=\$((i + 1)); echo tick \$i; sleep 0.1; done"]
YAML
)
	# the supervisor inherits the limit
	(ulimit -n "$1" && podrun run -d "$f")
	local sup
	sup=$(state fds supervisor.pid)
	defer "kill_same 9 $sup $(state fds supervisor.start)"
	grep -q "^Max open files  *$1 " "/proc/$sup/limits"
	wait_for get_is "$FDS_PORT" hello
	hold_clients "$FDS_PORT" 100
	# the supervisor did run out: its fd table is full (or one short)
	wait_for sh -c "[ \$(ls /proc/$sup/fd | wc -l) -ge $(($1 - 1)) ]"
	# and goes on: the pod is Running, its containers too, its logs flow
	kill -0 "$sup"
	[ "$(state fds)" = Running ]
	[ "$(state fds containers/web/state)" = Running ]
	local n
	n=$(log_lines fds ticker)
	wait_for test_more_lines fds $((n + 5))
	# a new client now waits in the kernel's backlog; once the clients
	# close, their fds come back and the listener accepts it
	timeout 20 busybox wget -q -O "$BATS_TEST_TMPDIR/got" "http://127.0.0.1:$FDS_PORT/" &
	local waiting=$!
	kill "$HOLDER"
	wait "$waiting"
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = hello ]
	kill -0 "$sup"
	podrun rm -f fds
	assert_host_clean
}

@test "hostPort: a supervisor out of fds keeps the pod running and serves again when clients close (ulimit -n 64)" {
	out_of_fds 64
}

@test "hostPort: a supervisor out of fds keeps the pod running and serves again when clients close (ulimit -n 65)" {
	out_of_fds 65
}
