#!/usr/bin/env bats
# [ports-netns] grades pod_socket() in ports.c: the hostPort relay makes its
# socket to the pod inside the pod's network namespace, and the supervisor is
# back in the host's at once. Seen from the host: the address the pod's
# server sees, the pod's own socket table (ss in its netns), the supervisor's
# /proc/PID/ns/net. A pod must start first: the exercise's marker names what
# it needs (ctr-drop, cg-cpu and what those need).

load ../helpers
load podrun

setup() {
	podrun_setup
}

PORT=$((TEST_PORT_BASE + 60))

# A pod whose httpd answers /cgi-bin/peer with the address the connection
# came from, behind hostPort $PORT.
peer_pod() {
	pod_file peer <<YAML
apiVersion: v1
kind: Pod
metadata: {name: peer}
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
      printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "\$REMOTE_ADDR"\n' >/www/cgi-bin/peer
      chmod +x /www/cgi-bin/peer
      exec httpd -f -p 8080 -h /www
    ports: [{containerPort: 8080, hostPort: $PORT}]
YAML
}

@test "[ports-netns] through the hostPort the pod's server sees the pod IP as the peer: the relay dials from inside the pod" {
	run podrun run -d "$(peer_pod)"
	assert_success
	ip=$(state peer ip)
	[ -n "$ip" ]
	wait_for timeout 5 busybox wget -q -O "$BATS_TEST_TMPDIR/peer" "http://127.0.0.1:$PORT/cgi-bin/peer"
	# a socket made on the host would reach the pod over the bridge, from
	# the host's address on it (httpd listens on IPv6 too: [::ffff:A.B.C.D])
	peer=$(sed -E 's/^\[(::ffff:)?//; s/\]$//' "$BATS_TEST_TMPDIR/peer")
	[ "$peer" = "$ip" ] || fail "the pod saw the connection come from $peer, not from its own $ip"
}

@test "[ports-netns] a relayed connection's pod side is in the pod's socket table, and the supervisor stays in the host's netns" {
	run podrun run -d "$(peer_pod)"
	assert_success
	sup=$(state peer supervisor.pid)
	pause=$(state peer pause.pid)
	[ "$(ns_ino "$sup" net)" = "$(ns_ino $$ net)" ]
	# run -d returns once httpd runs, maybe before it listens: a connection
	# relayed before that is refused in the pod and closed, and none is left
	# to find
	listening() {
		nsenter --net="/proc/$pause/ns/net" ss -tlnH "( sport = :8080 )" | grep -q .
	}
	wait_for listening
	# a client that holds its connection open (httpd waits for its request)
	exec {client}<>"/dev/tcp/127.0.0.1/$PORT"
	defer "exec $client>&-"
	# the supervisor's end of it, in the pod's netns: ss there names podrun
	# (ss finds the owner through the host's /proc)
	pod_side() {
		nsenter --net="/proc/$pause/ns/net" ss -tnpH state established "( dport = :8080 )" |
			grep -q "pid=$sup,"
	}
	wait_for pod_side || {
		nsenter --net="/proc/$pause/ns/net" ss -tnp
		false
	}
	# and none in the host's
	if ss -tnpH state established "( dport = :8080 )" | grep -q "pid=$sup,"; then
		fail "the supervisor has a socket of its own in the host's netns"
	fi
	# done, the supervisor is home: its next sockets (and the veth it
	# deletes at the end) are the host's
	[ "$(ns_ino "$sup" net)" = "$(ns_ino $$ net)" ]
	# a second connection works the same
	timeout 5 busybox wget -q -O /dev/null "http://127.0.0.1:$PORT/cgi-bin/peer"
	[ "$(ns_ino "$sup" net)" = "$(ns_ino $$ net)" ]
}

# The relay passes an EOF on as shutdown(SHUT_WR); once the other end's FIN
# comes too, a TCP socket is shut both ways and epoll reports EPOLLHUP on it
# at every epoll_wait, whatever the interest mask. Here the pod's server
# shuts its sending side at once and reads slowly, the client sends until
# the relay holds data the server has no room for, then half-closes: the
# relay's host-side socket hangs up while its buffer is full. A relay that
# only set that side's mask to 0 woke up for its HUP again and again, at 100%
# CPU, until the server read. (The same with the sides swapped: a client
# that half-closes after its request and reads a big reply slowly.)
@test "a half-closed connection whose reader is slow: the relay waits without spinning, and every byte arrives" {
	local dir=$BATS_TEST_TMPDIR/v f
	mkdir "$dir"
	# nc shuts its sending side when its stdin ends; the pipe's reader
	# reads nothing until /v/go exists, then counts what came
	f=$(pod_file slow <<YAML
apiVersion: v1
kind: Pod
metadata: {name: slow}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{name: v, hostPath: {path: $dir}}]
  containers:
  - name: sink
    image: busybox
    command:
    - sh
    - -c
    - |
      nc -l -p 8080 </dev/null | {
        until [ -e /v/go ]; do sleep 0.1; done
        n=\$(wc -c)
        echo \$n >/v/count
      }
    volumeMounts: [{name: v, mountPath: /v}]
    ports: [{containerPort: 8080, hostPort: $PORT}]
YAML
	)
	run podrun run -d "$f"
	assert_success
	local sup pause
	sup=$(state slow supervisor.pid)
	pause=$(state slow pause.pid)
	listening() {
		nsenter --net="/proc/$pause/ns/net" ss -tlnH "( sport = :8080 )" | grep -q .
	}
	wait_for listening
	# The client sends 64 KiB at a time until the relay's end of the
	# connection keeps unread bytes (the relay's buffer is full, the pod
	# takes no more), then half-closes and waits until its FIN is
	# acknowledged: the relay's socket has hung up. It prints what it sent.
	cat >"$BATS_TEST_TMPDIR/client.py" <<'PY'
import fcntl, socket, struct, subprocess, sys, termios, time
port = int(sys.argv[1])

def until(cond, what):
    end = time.monotonic() + 10
    while not cond():
        if time.monotonic() > end:
            sys.exit("timed out: " + what)
        time.sleep(0.01)

s = socket.create_connection(("127.0.0.1", port))
me = s.getsockname()[1]
if s.recv(1) != b"":
    sys.exit("expected the server's EOF")

def unacked():  # what we sent, FIN included, that the relay's socket has not acked
    return struct.unpack("i", fcntl.ioctl(s, termios.TIOCOUTQ, b"\0" * 4))[0]

def relay_unread():  # what the relay's socket holds that the relay has not read
    ss = subprocess.run(["ss", "-tnH", "( sport = :%d and dport = :%d )" % (port, me)],
                        capture_output=True, text=True, check=True)
    return int(ss.stdout.split()[1])

# The relay reads as soon as its buffer is empty: bytes that stay unread
# mean the buffer is full and the pod takes no more.
def relay_stuck():
    if not relay_unread():
        return False
    time.sleep(0.1)
    return relay_unread() > 0

sent = 0
while not relay_stuck():
    if sent > 1 << 28:
        sys.exit("the relay never stopped reading")
    s.sendall(b"x" * 65536)
    sent += 65536
    until(lambda: unacked() == 0, "the relay's socket took no more")
s.shutdown(socket.SHUT_WR)
until(lambda: unacked() == 0, "our FIN was not acknowledged")
print(sent)
PY
	run python3 "$BATS_TEST_TMPDIR/client.py" "$PORT"
	assert_success
	local sent=$output
	# the supervisor's CPU time (utime + stime, clock ticks of 10 ms) over a
	# second of the server reading nothing: a spin burns ~100
	cpu() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$sup/stat"; }
	local t0 t1
	t0=$(cpu)
	sleep 1
	t1=$(cpu)
	touch "$dir/go"
	[ $((t1 - t0)) -lt 20 ] ||
		fail "the supervisor used $((t1 - t0)) ticks of CPU in 1 s while the server read nothing"
	# once the server reads again, the rest and the EOF come through
	wait_long test -s "$dir/count"
	[ "$(cat "$dir/count")" = "$sent" ] || fail "the server got $(cat "$dir/count") bytes of $sent"
}

# The API server keys a hostPort on protocol/hostIP/hostPort
# (AccumulateUniqueHostPorts): one port on two addresses of the node is two
# ports, and each reaches its own containerPort. Proven: podrun before this
# compared the port alone and refused the pod ("18080 is already published").
@test "one hostPort on two hostIPs: both published, each to its own containerPort" {
	local port=$((TEST_PORT_BASE + 61))
	f=$(pod_file twoips <<YAML
apiVersion: v1
kind: Pod
metadata: {name: twoips}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command:
    - sh
    - -c
    - |
      mkdir -p /a /b && echo one >/a/who && echo two >/b/who
      httpd -p 8080 -h /a && exec httpd -f -p 8081 -h /b
    ports:
    - {containerPort: 8080, hostPort: $port, hostIP: 127.0.0.1}
    - {containerPort: 8081, hostPort: $port, hostIP: 127.0.0.2}
YAML
	)
	run podrun validate "$f"
	assert_success
	run podrun run -d "$f"
	assert_success
	wait_for timeout 5 busybox wget -q -O "$BATS_TEST_TMPDIR/one" "http://127.0.0.1:$port/who"
	wait_for timeout 5 busybox wget -q -O "$BATS_TEST_TMPDIR/two" "http://127.0.0.2:$port/who"
	[ "$(cat "$BATS_TEST_TMPDIR/one")" = one ]
	[ "$(cat "$BATS_TEST_TMPDIR/two")" = two ]
	podrun rm -f twoips
	# the same address twice is still one port published twice
	sed -i 's/hostIP: 127.0.0.2/hostIP: 127.0.0.1/' "$f"
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "spec.containers[0].ports[1].hostPort: $port is already published by spec.containers[0].ports[0]"
}
