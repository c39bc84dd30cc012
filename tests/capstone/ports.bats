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

PORT=18760

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
	! ss -tnpH state established "( dport = :8080 )" | grep -q "pid=$sup,"
	# done, the supervisor is home: its next sockets (and the veth it
	# deletes at the end) are the host's
	[ "$(ns_ino "$sup" net)" = "$(ns_ino $$ net)" ]
	# a second connection works the same
	timeout 5 busybox wget -q -O /dev/null "http://127.0.0.1:$PORT/cgi-bin/peer"
	[ "$(ns_ino "$sup" net)" = "$(ns_ino $$ net)" ]
}
