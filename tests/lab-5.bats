#!/usr/bin/env bats
# LAB: 05 sidecar patterns
#
# The sidecars are ordinary programs, so most checks run them on the host
# with temporary directories and 127.0.0.1 (cheap, seconds), and look at what
# they leave in files and sockets: the collector's file line by line, the
# checkpoint, byte-exact checksums through the proxy, HTTP status codes. The
# step checks then run the same programs as containers of real pods.
# Ports: 18500-18599 (lab 05's range).

load helpers

setup() {
	L5="$PODLAB_BUILD/labs/05-sidecars"
	T="$BATS_TEST_TMPDIR"
}

# bg NAME CMD...: run CMD in the background, output in $T/NAME.out; killed
# (SIGKILL) at teardown. Sets BG.
bg() {
	local name=$1
	shift
	# 3>&-: bats waits for fd 3 to close; a background process must not keep it.
	"$@" >"$T/$name.out" 2>&1 3>&- &
	BG=$!
	defer "kill -9 $BG; wait $BG"
}

listening() {
	ss -Hltn "sport = :$1" | grep -q LISTEN
}

# lines FILE: how many lines FILE has (0 when missing).
lines() {
	[ -f "$1" ] && wc -l <"$1" || echo 0
}

has_lines() {
	[ "$(lines "$1")" -ge "$2" ]
}

# write_lines FILE FROM TO: append "line FROM" .. "line TO".
write_lines() {
	seq -f 'line %g' "$2" "$3" >>"$1"
}

# exactly_once FILE N: FILE holds "line 1" .. "line N", each exactly once.
exactly_once() {
	local dups
	dups=$(sort "$1" | uniq -d | head -3)
	[ -z "$dups" ] || { echo "repeated: $dups"; return 1; }
	diff <(sed 's/^line //' "$1" | sort -n) <(seq 1 "$2") >/dev/null ||
		{ echo "$(lines "$1") lines, expected $2"; return 1; }
}

start_sink() { # PORT OUTFILE
	bg sink "$L5/logsink" --listen "127.0.0.1:$1" --out "$2"
	SINK=$BG
	wait_for listening "$1"
}

start_ship() { # PORT FILE [ARGS...]
	local port=$1 file=$2
	shift 2
	bg ship "$L5/logship" --file "$file" --to "127.0.0.1:$port" "$@"
	SHIP=$BG
}

# ---- logship + logsink -------------------------------------------------------

@test "logship forwards every line once across a rotation (rename, then a new file)" {
	mkdir "$T/vol"
	start_sink 18501 "$T/got"
	start_ship 18501 "$T/vol/app.log"
	write_lines "$T/vol/app.log" 1 500
	wait_for has_lines "$T/got" 500
	mv "$T/vol/app.log" "$T/vol/app.log.1"
	# the app still writes to the file it has open, after the rename ...
	write_lines "$T/vol/app.log.1" 501 700
	# ... then reopens: a new file under the old name
	write_lines "$T/vol/app.log" 701 1000
	wait_for has_lines "$T/got" 1000
	run exactly_once "$T/got" 1000
	assert_success
}

@test "logship reads the renamed file until the app reopens (logrotate creates the new file first)" {
	mkdir "$T/vol"
	start_sink 18560 "$T/got"
	start_ship 18560 "$T/vol/app.log"
	write_lines "$T/vol/app.log" 1 500
	wait_for has_lines "$T/got" 500
	# logrotate's create: rename, a new empty file, and only then the app is
	# told to reopen; logship sees the new file at once ...
	mv "$T/vol/app.log" "$T/vol/app.log.1"
	: >"$T/vol/app.log"
	sleep 0.3
	# ... while the app still writes to the file it has open
	write_lines "$T/vol/app.log.1" 501 700
	write_lines "$T/vol/app.log" 701 1000
	wait_for has_lines "$T/got" 1000
	run exactly_once "$T/got" 1000
	assert_success
}

@test "logship: two rotations inside its quiet window lose no file (app.log -> .1 -> .2)" {
	mkdir "$T/vol"
	start_sink 18522 "$T/got"
	start_ship 18522 "$T/vol/app.log"
	write_lines "$T/vol/app.log" 1 100
	wait_for has_lines "$T/got" 100
	mv "$T/vol/app.log" "$T/vol/app.log.1"
	write_lines "$T/vol/app.log" 101 200
	sleep 0.3 # logship sees the new file, and waits 2 s for the old one to be quiet ...
	# ... while the next rotation renames that new file away before a line of it is read
	mv "$T/vol/app.log.1" "$T/vol/app.log.2"
	mv "$T/vol/app.log" "$T/vol/app.log.1"
	write_lines "$T/vol/app.log" 201 300
	wait_tries 200 has_lines "$T/got" 300 # two quiet windows, 2 s each
	sleep 0.2
	run exactly_once "$T/got" 300
	assert_success
}

@test "logship: a line longer than a batch (64 KiB) arrives as one line, also while it is still being written" {
	mkdir "$T/vol"
	start_sink 18523 "$T/got"
	start_ship 18523 "$T/vol/app.log"
	write_lines "$T/vol/app.log" 1 10
	# 100000 bytes in two writes: the first 70000 have no newline yet
	head -c 70000 /dev/zero | tr '\0' A >>"$T/vol/app.log"
	sleep 0.3
	{ head -c 30000 /dev/zero | tr '\0' A; echo; } >>"$T/vol/app.log"
	write_lines "$T/vol/app.log" 11 20
	wait_for has_lines "$T/got" 21
	sleep 0.2
	run lines "$T/got"
	assert_output 21
	[ "$(sed -n 11p "$T/got")" = "$(head -c 100000 /dev/zero | tr '\0' A)" ]
	grep -v '^A' "$T/got" >"$T/short"
	run exactly_once "$T/short" 20
	assert_success
	# past 1 MiB (logsink's largest frame) a line is split, and logship says so
	{ head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' B; echo; } >>"$T/vol/app.log"
	wait_for has_lines "$T/got" 23
	grep -q "a line longer than 1048576 bytes" "$T/ship.out"
	[ "$(grep -c '^B' "$T/got")" = 2 ]
	[ "$(grep '^B' "$T/got" | tr -d '\n' | wc -c)" = $((1024 * 1024 + 10)) ]
}

@test "logship starts over after the file is truncated in place (copytruncate)" {
	mkdir "$T/vol"
	start_sink 18502 "$T/got"
	start_ship 18502 "$T/vol/app.log"
	write_lines "$T/vol/app.log" 1 600
	wait_for has_lines "$T/got" 600
	: >"$T/vol/app.log"
	write_lines "$T/vol/app.log" 601 700
	wait_for has_lines "$T/got" 700
	run exactly_once "$T/got" 700
	assert_success
}

@test "[logship-checkpoint] after kill -9, a restarted logship resumes at its checkpoint: no line lost, none repeated" {
	mkdir "$T/vol"
	start_sink 18503 "$T/first"
	start_ship 18503 "$T/vol/app.log"
	write_lines "$T/vol/app.log" 1 1000
	wait_done "$T/ship.out" has_lines "$T/first" 1000
	# the checkpoint names the file's inode and its acknowledged end
	ino=$(stat -c %i "$T/vol/app.log") size=$(stat -c %s "$T/vol/app.log")
	wait_done "$T/ship.out" grep -q "ino=$ino offset=$size\$" "$T/vol/.logship-app.log.ckpt"
	run grep -c . "$T/vol/.logship-app.log.ckpt"
	assert_output 1
	kill -9 "$SHIP"
	write_lines "$T/vol/app.log" 1001 1500
	# A collector that never saw this stream: it can only get 1001-1500
	# if logship starts from its checkpoint, not from 0 or from the end.
	kill -9 "$SINK"
	start_sink 18504 "$T/second"
	start_ship 18504 "$T/vol/app.log"
	wait_for has_lines "$T/second" 500
	sleep 0.2
	run diff <(sed 's/^line //' "$T/second") <(seq 1001 1500)
	assert_success
	[ ! -e "$T/vol/.logship-app.log.ckpt.tmp" ]
}

@test "[logship-checkpoint] kill -9 mid-stream and a rotation while down: every line arrives exactly once" {
	mkdir "$T/vol"
	start_sink 18505 "$T/got"
	start_ship 18505 "$T/vol/app.log"
	for i in $(seq 0 9); do write_lines "$T/vol/app.log" $((i * 100 + 1)) $((i * 100 + 100)); done
	wait_done "$T/ship.out" has_lines "$T/got" 300
	kill -9 "$SHIP"
	# while the sidecar is down the app writes on and rotates
	write_lines "$T/vol/app.log" 1001 1200
	mv "$T/vol/app.log" "$T/vol/app.log.1"
	write_lines "$T/vol/app.log" 1201 1500
	start_ship 18505 "$T/vol/app.log"
	wait_for has_lines "$T/got" 1500
	sleep 0.2
	run exactly_once "$T/got" 1500
	assert_success
}

@test "[logship-checkpoint] logship replaces its checkpoint atomically and durably: tmp, fsync, rename, fsync(dir)" {
	# A power cut cannot be staged in a check, so watch the syscalls: the order is
	# the whole point (a rename before the fsync may persist an empty file, and
	# the rename is durable only once the directory that holds it is fsynced).
	command -v strace >/dev/null || skip "strace is not installed"
	mkdir "$T/vol"
	bg strace strace -f -o "$T/trace" -e trace=openat,close,fsync,rename,renameat,renameat2 \
		"$L5/logship" --file "$T/vol/app.log" --to 127.0.0.1:18509
	# strace killed at teardown would only detach logship: kill it by name too
	defer "pkill -9 -f '^$L5/logship --file $T/vol/app.log'"
	wait_done "$T/strace.out" pgrep -P "$BG" -x logship
	wait_done "$T/strace.out" test -e "$T/vol/.logship-app.log.ckpt"
	kill -TERM "$(pgrep -P "$BG" -x logship)" # its handler exits; strace follows
	wait "$BG" || true
	# the fsync after the rename must be of the checkpoint's directory: of
	# the fd an open of "$T/vol" returned, and not closed since
	run awk -v tmp="$T/vol/.logship-app.log.ckpt.tmp" -v dir="$T/vol" '
		function ret() { match($0, /= [0-9]+$/); return substr($0, RSTART + 2) }
		index($0, "openat(") && index($0, "\"" dir "\"") && /O_DIRECTORY/ { dfd = ret(); next }
		dfd != "" && index($0, "close(" dfd ")") { dfd = "" }
		index($0, "openat(") && index($0, "\"" tmp "\"") && /O_CREAT/ && /O_CLOEXEC/ {
			fd = ret(); state = 1; next }
		state == 1 && index($0, "fsync(" fd ")") && / = 0$/ { state = 2; next }
		state == 2 && /rename/ && index($0, tmp) && / = 0$/ { state = 3; next }
		state == 3 && dfd != "" && index($0, "fsync(" dfd ")") && / = 0$/ { state = 4 }
		END { print "state=" state }' "$T/trace"
	assert_output "state=4"
}

@test "logship reconnects when the collector restarts, and loses nothing" {
	mkdir "$T/vol"
	start_sink 18506 "$T/got"
	start_ship 18506 "$T/vol/app.log"
	write_lines "$T/vol/app.log" 1 300
	wait_for has_lines "$T/got" 300
	kill -9 "$SINK"
	write_lines "$T/vol/app.log" 301 600
	start_sink 18506 "$T/got"
	wait_for has_lines "$T/got" 600
	run exactly_once "$T/got" 600
	assert_success
	grep -Eq "resending|retrying" "$T/ship.out"
}

@test "logsink killed between storing a batch and committing it: the batch is rolled back at restart and stored once" {
	# The crash is staged with strace: the sink's first rename commits at
	# start-up, its second would commit the first batch; SIGKILL it there.
	command -v strace >/dev/null || skip "strace is not installed"
	mkdir "$T/vol"
	bg strace strace -f -o "$T/trace" -e trace=rename,renameat,renameat2 \
		-e inject=rename,renameat,renameat2:signal=KILL:when=2 \
		"$L5/logsink" --listen 127.0.0.1:18550 --out "$T/got"
	# strace killed at teardown would only detach logsink: kill it by name too
	defer "pkill -9 -f '^$L5/logsink --listen 127.0.0.1:18550 --out $T/got'"
	wait_for listening 18550
	start_ship 18550 "$T/vol/app.log"
	write_lines "$T/vol/app.log" 1 300
	wait_for grep -q 'killed by SIGKILL' "$T/trace"
	has_lines "$T/got" 1 # stored, never acknowledged
	start_sink 18550 "$T/got"
	wait_for has_lines "$T/got" 300
	run exactly_once "$T/got" 300
	assert_success
	grep -q "never acknowledged: dropping them" "$T/sink.out"
}

# Proven: with the short write taken for a failed one (as it was), the sink
# died with "write(out): No such file or directory", a stale errno.
@test "logsink: a write cut short is one error that says why, and the restarted sink stores the batch once" {
	mkdir "$T/vol"
	write_lines "$T/vol/app.log" 1 300
	# RLIMIT_FSIZE: the write that crosses it is short, the next one fails
	# with EFBIG (and SIGXFSZ, ignored here, as a disk that is full sends none)
	bg sink bash -c 'trap "" XFSZ; exec prlimit --fsize=1000 "$0" --listen 127.0.0.1:18584 --out "$1"' \
		"$L5/logsink" "$T/got"
	wait_for listening 18584
	start_ship 18584 "$T/vol/app.log"
	wait_for grep -q "write($T/got): File too large" "$T/sink.out"
	start_sink 18584 "$T/got"
	wait_for has_lines "$T/got" 300
	run exactly_once "$T/got" 300
	assert_success
}

@test "logship and logsink: bad input is one clear error, no crash" {
	run "$L5/logship" --file /tmp/x.log --to nowhere:1
	assert_failure 2
	assert_output --partial "not an IPv4 address"
	run "$L5/logship" --file /tmp/x.log --to 127.0.0.1:99999
	assert_failure 2
	run "$L5/logship" --file "$T/no/such/dir/app.log" --to 127.0.0.1:18507
	assert_failure 1
	assert_output --partial "inotify_add_watch($T/no/such/dir)"
	assert_output --partial "No such file or directory"
	# an unreadable volume: a directory only root may enter, logship as nobody
	mkdir -m 0700 "$T/private"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$L5/logship" --file "$T/private/app.log" --to 127.0.0.1:18507
	assert_failure 1
	assert_output --partial "Permission denied"
	# logsink reads a stream's name as one word of at most 63 characters
	run "$L5/logship" --file "$T/app.log" --to 127.0.0.1:18507 --stream "$(printf 'x%.0s' {1..64})"
	assert_failure 2
	assert_output --partial "longer than 63 characters"
	run "$L5/logship" --file "$T/$(printf 'y%.0s' {1..64}).log" --to 127.0.0.1:18507
	assert_failure 2
	assert_output --partial "give a --stream"
	run "$L5/logship" --file "$T/app.log" --to 127.0.0.1:18507 --stream $'a\tb'
	assert_failure 2
	assert_output --partial "one word"
	run "$L5/logsink" --listen 127.0.0.1:18507
	assert_failure 2
	run "$L5/logsink" --listen 127.0.0.1:18507 --out "$T/no/such/dir/out"
	assert_failure 1
	assert_output --partial "open($T/no/such/dir/out)"
	# garbage on the wire: the sink drops that client and keeps serving
	start_sink 18508 "$T/got"
	printf 'GET / HTTP/1.0\r\n\r\n' >/dev/tcp/127.0.0.1/18508
	mkdir "$T/vol"
	start_ship 18508 "$T/vol/app.log" --stream "$(printf 'z%.0s' {1..63})" # the longest
	write_lines "$T/vol/app.log" 1 10
	wait_for has_lines "$T/got" 10
	kill -0 "$SINK"
	grep -q 'bad header' "$T/sink.out"
}

# ---- proxy -------------------------------------------------------------------

start_upstream() { # NAME PORT [--wc]
	bg "$1" "$L5/echod" --listen "127.0.0.1:$2" --name "$1" "${@:3}"
	wait_for listening "$2"
}

served() { # NAME N: has upstream NAME served exactly N connections?
	[ "$(grep -c "served" "$T/$1.out")" -eq "$2" ]
}

# own_netns [NAME]: a network namespace of the test's own, held by a sleep
# ($NS): it goes away with the last process in it, and with it every link
# and address it holds. Its loopback is up, and its ports are its own.
own_netns() {
	bg "${1:-netns}" unshare --net sleep 60
	NS=$BG
	# until unshare ran, $NS is in our namespace: nothing may enter it before
	wait_for bash -c "[ \"\$(readlink /proc/$NS/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
	in_ns ip link set lo up
}

in_ns() { # CMD...: run CMD in $NS
	nsenter -t "$NS" -n "$@"
}

in_ns_listening() { # PORT
	in_ns ss -Hltn "sport = :$1" | grep -q LISTEN
}

# in_ns_aborts: how many connections the sockets of $NS aborted, sending an
# RST because their process closed them with bytes unread or bytes came after
# (TCPAbortOnClose, TCPAbortOnData).
in_ns_aborts() {
	in_ns awk '$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == "TcpExt:" { print $col["TCPAbortOnClose"] + $col["TCPAbortOnData"] }' /proc/net/netstat
}

@test "[proxy-forward] round robin over two upstreams, bytes intact both ways (sha256)" {
	start_upstream up-a 18511
	start_upstream up-b 18512
	bg proxy "$L5/proxy" --listen 127.0.0.1:18510 --upstream 127.0.0.1:18511 \
		--upstream 127.0.0.1:18512
	wait_for listening 18510
	head -c 3000000 /dev/urandom >"$T/data"
	want=$(sha256sum <"$T/data")
	# pipefail: tcpcat that gives up waiting for the EOF fails the check
	for i in 1 2 3 4; do
		got=$(set -o pipefail && "$L5/tcpcat" 127.0.0.1:18510 <"$T/data" | sha256sum)
		[ "$got" = "$want" ]
	done
	wait_for served up-a 2
	wait_for served up-b 2
	grep -q 'served 3000000 bytes' "$T/up-a.out"
	grep -q 'served 3000000 bytes' "$T/up-b.out"
}

@test "[proxy-forward] an upstream that refuses is skipped: every connection still arrives intact" {
	start_upstream up-b 18514
	# nothing listens on 18513
	bg proxy "$L5/proxy" --listen 127.0.0.1:18515 --upstream 127.0.0.1:18513 \
		--upstream 127.0.0.1:18514
	wait_for listening 18515
	head -c 200000 /dev/urandom >"$T/data"
	want=$(sha256sum <"$T/data")
	for i in 1 2 3 4; do
		got=$(set -o pipefail && "$L5/tcpcat" 127.0.0.1:18515 <"$T/data" | sha256sum)
		[ "$got" = "$want" ]
	done
	wait_for served up-b 4
}

@test "[proxy-forward] half-close: the client shuts down its side and still reads the reply" {
	# echod --wc answers only after it saw EOF: the answer can only come
	# back if the proxy passed the client's FIN on and kept the other way open
	start_upstream counter 18517 --wc
	bg proxy "$L5/proxy" --listen 127.0.0.1:18516 --upstream 127.0.0.1:18517
	wait_for listening 18516
	head -c 1000000 /dev/zero >"$T/data"
	run "$L5/tcpcat" --timeout 3000 127.0.0.1:18516 <"$T/data"
	assert_success
	assert_output "counter 1000000"
}

# Proven: with a failed send to the upstream closing the pair at once (as it
# was), a client got an empty EOF instead of the answer (three runs failed at
# connections 1, 2 and 8); with the answer passed on but the client closed at
# the upstream's reset, one run of three counted 3 aborts (over loopback the
# client still got its answer).
@test "[proxy-forward] an upstream that answers early and resets: its answer still reaches the client" {
	require_root
	# echod --reject reads once, answers and closes with the rest unread, as
	# an HTTP server refusing a body too large (413): its kernel resets the
	# connection, and the proxy's next send to it fails. What it answered is
	# already in the proxy's socket, and must not be thrown away with it.
	# The upstream has a namespace of its own (a veth away), so that the
	# resets counted in the proxy's are the proxy's own.
	own_netns upns
	local upns=$NS
	own_netns
	in_ns ip link add l5up type veth peer name l5up netns "$upns"
	in_ns ip addr add 198.18.98.1/30 dev l5up
	in_ns ip link set l5up up
	nsenter -t "$upns" -n ip addr add 198.18.98.2/30 dev l5up
	nsenter -t "$upns" -n ip link set l5up up
	bg early nsenter -t "$upns" -n "$L5/echod" --listen 198.18.98.2:18568 --name early \
		--reject "413 too large"
	bg proxy nsenter -t "$NS" -n "$L5/proxy" --listen 127.0.0.1:18569 \
		--upstream 198.18.98.2:18568
	PROXY=$BG
	wait_for grep -q listening "$T/early.out"
	wait_for in_ns_listening 18569
	# the client means to send 32 MB, more than every buffer on the way
	# holds: it is still sending when the upstream resets (and stops when
	# the answer and the EOF come)
	for i in $(seq 20); do
		run in_ns bash -c "head -c 32000000 /dev/zero | '$L5/tcpcat' --timeout 3000 127.0.0.1:18569"
		[ "$status" -eq 0 ] && [ "$output" = "413 too large" ] ||
			fail "connection $i: status $status, output '$output'"
	done
	wait_for bash -c "[ \$(grep -c 'rejected after' '$T/early.out') -eq 20 ]"
	kill -0 "$PROXY"
	# and the proxy never reset a client: closing one with its bytes unread
	# would, and over a real network that RST can destroy the answer still
	# in flight (over loopback the answer is there before the RST)
	sleep 0.2
	run in_ns_aborts
	assert_output 0
}

@test "proxy: with every upstream down the client is closed, the proxy carries on" {
	bg proxy "$L5/proxy" --listen 127.0.0.1:18518 --upstream 127.0.0.1:18519
	PROXY=$BG
	wait_for listening 18518
	run "$L5/tcpcat" --timeout 3000 127.0.0.1:18518 </dev/null
	assert_success
	assert_output ""
	kill -0 "$PROXY"
	grep -q 'no upstream accepts connections' "$T/proxy.out"
}

# Proven: without the deadline (as it was), the client waited in silence
# until its own --timeout, while the kernel retried the SYN for two minutes.
@test "proxy: an upstream that drops SYNs costs --connect-timeout, then the next upstream is tried" {
	require_root
	# A veth pair in a namespace of the test's own, the far end up but with
	# no address, and a static neighbour: a SYN to 198.18.99.2 goes out and
	# is dropped, never answered - a firewall's DROP, a host that is gone.
	own_netns
	in_ns ip link add l5bh0 type veth peer name l5bh1
	in_ns ip addr add 198.18.99.1/24 dev l5bh0
	in_ns ip link set l5bh0 up
	in_ns ip link set l5bh1 up
	in_ns ip neigh replace 198.18.99.2 lladdr 02:00:00:00:00:02 dev l5bh0 nud permanent
	bg proxy nsenter -t "$NS" -n "$L5/proxy" --listen 127.0.0.1:18570 --connect-timeout 200 \
		--upstream 198.18.99.2:18571
	PROXY=$BG
	wait_for in_ns_listening 18570
	# closed at the deadline, long before the client's 3 s of silence end
	run in_ns "$L5/tcpcat" --timeout 3000 127.0.0.1:18570 </dev/null
	assert_success
	assert_output ""
	grep -q 'connect(198.18.99.2:18571): Connection timed out after 200 ms' "$T/proxy.out"
	grep -q 'no upstream accepts connections; closing the client' "$T/proxy.out"
	kill -0 "$PROXY"
	# with a second upstream, the connection goes on to it after the deadline
	bg live nsenter -t "$NS" -n "$L5/echod" --listen 127.0.0.1:18572 --name live
	bg proxy2 nsenter -t "$NS" -n "$L5/proxy" --listen 127.0.0.1:18573 --connect-timeout 200 \
		--upstream 198.18.99.2:18571 --upstream 127.0.0.1:18572
	wait_for in_ns_listening 18572
	wait_for in_ns_listening 18573
	run in_ns "$L5/tcpcat" --timeout 3000 127.0.0.1:18573 </dev/null
	wait_for grep -q 'live: served' "$T/live.out"
	grep -q 'connect(198.18.99.2:18571): Connection timed out' "$T/proxy2.out"
}

# proxy_sockets PID: how many sockets PID holds (a proxy: its listener, and
# two for each connection it carries).
proxy_sockets() {
	find "/proc/$1/fd" -lname 'socket:*' | wc -l
}

sockets_are() { # PID N
	[ "$(proxy_sockets "$1")" -eq "$2" ]
}

# Proven: without an idle timeout (as it was, the option read and ignored),
# the silent connection was still open after the read's 5 s; with the idle
# deadline set at the connect and never moved, the busy one was cut off at
# its 11th line.
@test "proxy: a connection silent for --idle-timeout is closed, one that keeps exchanging bytes is not" {
	start_upstream echo 18575
	bg proxy "$L5/proxy" --listen 127.0.0.1:18574 --upstream 127.0.0.1:18575 --idle-timeout 500
	PROXY=$BG
	bg never "$L5/proxy" --listen 127.0.0.1:18580 --upstream 127.0.0.1:18575 --idle-timeout 0
	wait_for listening 18574
	wait_for listening 18580
	# a fifo that no one writes to: reading it with a timeout is a pause
	# without a fork (a sleep's fork and exec take 100 ms on a busy machine)
	mkfifo "$T/quiet"
	# (opened after every bg: their processes must not inherit them)
	exec 5<>/dev/tcp/127.0.0.1/18574 6<>/dev/tcp/127.0.0.1/18574 \
		7<>/dev/tcp/127.0.0.1/18580 8<>"$T/quiet"
	# 5 exchanges a line every 50 ms and more for 1.25 s and more, two idle
	# timeouts and a half; 6 and 7 say nothing
	local i line
	for ((i = 1; i <= 25; i++)); do
		echo "ping $i" >&5
		read -r -t 3 line <&5 || true
		[ "$line" = "ping $i" ] || fail "the active connection, line $i: got '$line'"
		read -r -t 0.05 -u 8 || true
	done
	# 6 was closed: the read ends at EOF (1), not at its timeout (> 128)
	local status=0
	read -r -t 5 line <&6 || status=$?
	[ "$status" -eq 1 ] || fail "the silent connection is still open (read: $status)"
	# both of its sockets: the proxy keeps its listener and 5's two. Each
	# try exchanges a line on 5 first: a wait of more than 500 ms on a busy
	# machine would otherwise let 5 idle out too.
	five_open_and_sockets_are() { # N
		echo "still here" >&5 && read -r -t 3 line <&5 && [ "$line" = "still here" ] &&
			sockets_are "$PROXY" "$1"
	}
	wait_for five_open_and_sockets_are 3 ||
		fail "the proxy holds $(proxy_sockets "$PROXY") sockets (5 read: '$line')"
	# --idle-timeout 0: no deadline, 7 is as open as ever
	echo "and here" >&7
	read -r -t 3 line <&7
	assert_equal "$line" "and here"
	exec 5>&- 6>&- 7>&- 8>&-
}

# early_answer FD PORT: connect FD to the proxy at PORT, in front of an
# upstream with echod --reject "413 too large"; send more than it reads,
# take its answer, and send again: those bytes reach an upstream that reset
# the connection, and the proxy drops them (dst_gone). (Should the proxy
# have closed already, the second send fails: the check sees it closed.)
early_answer() {
	local answer
	eval "exec $1<>/dev/tcp/127.0.0.1/$2"
	head -c 200000 /dev/zero >&"$1"
	read -r -t 5 answer <&"$1" || true
	[ "$answer" = "413 too large" ] || fail "the answer: '$answer'"
	head -c 200000 /dev/zero >&"$1" 2>/dev/null || true
}

# drained PROXY-PORT UPSTREAM-PORT: a proxy with --idle-timeout 500 ($PROXY)
# before an upstream that answers early and resets; fd 5 is a client that
# got the answer and sent more, which the proxy now drops.
drained() {
	start_upstream early "$2" --reject "413 too large"
	bg proxy "$L5/proxy" --listen "127.0.0.1:$1" --upstream "127.0.0.1:$2" --idle-timeout 500
	PROXY=$BG
	wait_for listening "$1"
	early_answer 5 "$1"
}

# Proven: without an idle timeout (as it was, the option read and ignored),
# the proxy still held the client's and the upstream's sockets 5 s later.
@test "proxy: after an upstream answered early and reset, a silent client is closed after --idle-timeout" {
	drained 18576 18577
	wait_for grep -q 'early: rejected after' "$T/early.out"
	# the client keeps its connection and says nothing more: the proxy
	# lets go of both sockets, and keeps only its listener
	wait_for sockets_are "$PROXY" 1 || fail "the proxy holds $(proxy_sockets "$PROXY") sockets"
	exec 5>&-
}

# Proven: with every event counted as activity, the drain's too (and as it
# was), the proxy still held both sockets after the client's 60 writes.
@test "proxy: after an upstream answered early and reset, what the client still sends does not keep it open" {
	drained 18578 18579
	# the client goes on sending, a little every 50 ms, for 3 s and more
	# (six idle timeouts); once the proxy closed, its kernel resets the
	# connection and the client's next write fails
	local i
	for ((i = 0; i < 60; i++)); do
		sockets_are "$PROXY" 1 && break
		head -c 100 /dev/zero >&5 2>/dev/null || break
		sleep 0.05
	done
	# closed while the client was still sending
	[ "$i" -lt 60 ] || fail "after $i writes, the proxy holds $(proxy_sockets "$PROXY") sockets"
	wait_for sockets_are "$PROXY" 1 || fail "the proxy holds $(proxy_sockets "$PROXY") sockets"
	exec 5>&-
}

# Proven: with stdout left block-buffered, the file holds only the
# listening line while the proxy runs (and loses the rest at SIGTERM).
@test "proxy -v into a file: each connection's line is there as it happens" {
	start_upstream verbose-up 18582
	bg proxy "$L5/proxy" -v --listen 127.0.0.1:18581 --upstream 127.0.0.1:18582
	wait_for listening 18581
	echo hi | "$L5/tcpcat" 127.0.0.1:18581 >/dev/null
	wait_for grep -q "^proxy: connecting to 127.0.0.1:18582" "$T/proxy.out"
}

# Proven: with tcpcat's send blocking (as it was), tcpcat waited in send for
# the server to read, and the server in its send for tcpcat to read, until
# the timeout killed them.
@test "tcpcat reads while it sends: a server that sends 128 MiB before it reads does not deadlock it" {
	# more both ways than every socket buffer on the way holds (tcp_rmem's
	# largest, 32 MiB here, and tcp_wmem's, 4 MiB, at each end)
	bg talker /usr/bin/python3 -c '
import socket, sys
l = socket.create_server(("127.0.0.1", int(sys.argv[1])))
c, _ = l.accept()
for _ in range(128):
    c.sendall(b"x" * (1 << 20))
n = 0
while b := c.recv(1 << 16):
    n += len(b)
c.sendall(b"\ngot %d\n" % n)
' 18583
	wait_for listening 18583
	run bash -c "set -o pipefail; head -c 128M /dev/zero |
		timeout 20 '$L5/tcpcat' --timeout 3000 127.0.0.1:18583 | tail -n 1 | cut -c 1-40"
	assert_success
	assert_output "got $((128 << 20))"
}

@test "proxy and echod: bad input is one clear error" {
	run "$L5/proxy" --listen 127.0.0.1:18520
	assert_failure 2
	assert_output --partial "--upstream"
	run "$L5/proxy" --listen 127.0.0.1:18520 --upstream 300.1.1.1:80
	assert_failure 2
	assert_output --partial "not an IPv4 address"
	run "$L5/proxy" --listen 127.0.0.1:0x50 --upstream 127.0.0.1:80
	assert_failure 2
	assert_output --partial "port must be 1-65535"
	run "$L5/proxy" --listen 127.0.0.1:18520 --upstream 127.0.0.1:80 --idle-timeout 1h
	assert_failure 2
	assert_output --partial "--idle-timeout: '1h' is not a number of milliseconds"
	run "$L5/proxy" --listen 127.0.0.1:18520 --upstream 127.0.0.1:80 --idle-timeout -1
	assert_failure 2
	# echod's reply to --wc is "NAME BYTES": a name of 64 bytes fits, one of
	# 65 is refused (it ran, and sent the bytes past its buffer's end)
	bg named "$L5/echod" --listen 127.0.0.1:18585 --wc --name "$(printf 'n%.0s' {1..64})"
	wait_for listening 18585
	run "$L5/tcpcat" 127.0.0.1:18585 <<<"four"
	assert_output "$(printf 'n%.0s' {1..64}) 5"
	run timeout 5 "$L5/echod" --listen 127.0.0.1:18586 --wc --name "$(printf 'n%.0s' {1..65})"
	assert_failure 2
	assert_output --partial "--name: longer than 64 bytes"
	bg holder "$L5/echod" --listen 127.0.0.1:18521
	wait_for listening 18521
	run "$L5/proxy" --listen 127.0.0.1:18521 --upstream 127.0.0.1:80
	assert_failure 1
	assert_output --partial "bind(127.0.0.1:18521): Address already in use"
}

# ---- adapter -----------------------------------------------------------------

start_app_and_adapter() { # APP-PORT ADAPTER-PORT
	mkdir -p "$T/www"
	echo "requests=100 errors=1 queue_depth=3" >"$T/www/metrics"
	bg app busybox httpd -f -p "127.0.0.1:$1" -h "$T/www"
	APP=$BG
	wait_for listening "$1"
	bg adapter "$L5/adapter" --listen "127.0.0.1:$2" --app "127.0.0.1:$1" \
		--max-error-ratio 0.1 --max-queue 50
	ADAPTER=$BG
	wait_for listening "$2"
}

status_of() { # URL
	curl -s -o /dev/null -w '%{http_code}' "$1"
}

@test "[adapter-health] adapter: /healthz and /metrics follow the app's own metrics" {
	start_app_and_adapter 18530 18531
	run status_of http://127.0.0.1:18531/healthz
	assert_output 200
	run curl -s http://127.0.0.1:18531/metrics
	assert_line "# TYPE app_requests_total counter"
	assert_line "app_requests_total 100"
	assert_line "app_queue_depth 3"
	assert_line "app_up 1"
	echo "requests=200 errors=60 queue_depth=3" >"$T/www/metrics"
	run status_of http://127.0.0.1:18531/healthz
	assert_output 503
	run curl -s http://127.0.0.1:18531/healthz
	assert_output "error ratio 0.300 > 0.100"
	echo "requests=200 errors=1 queue_depth=80" >"$T/www/metrics"
	run curl -s http://127.0.0.1:18531/healthz
	assert_output "queue_depth 80 > 50"
	run curl -s http://127.0.0.1:18531/metrics
	assert_line "app_queue_depth 80"
	assert_line "app_healthy 0"
	# the app goes away: unhealthy, and app_up says why
	kill -9 "$APP"
	wait_for bash -c "! ss -Hltn 'sport = :18530' | grep -q LISTEN"
	run status_of http://127.0.0.1:18531/healthz
	assert_output 503
	run curl -s http://127.0.0.1:18531/metrics
	assert_line "app_up 0"
}

@test "[adapter-health] adapter: the limits are limits (at them is healthy), no requests is no ratio" {
	start_app_and_adapter 18534 18535
	local url=http://127.0.0.1:18535/healthz
	echo "requests=100 errors=10 queue_depth=50" >"$T/www/metrics" # 0.1 and 50: at the limits
	run curl -s "$url"
	assert_output ok
	run status_of "$url"
	assert_output 200
	echo "requests=0 errors=0 queue_depth=0" >"$T/www/metrics" # nothing served yet
	run status_of "$url"
	assert_output 200
	# no requests and errors all the same: still no ratio (0/0 is NaN, and
	# NaN > 0.1 is false, so only errors make a missing guard show)
	echo "requests=0 errors=2 queue_depth=0" >"$T/www/metrics"
	run curl -s "$url"
	assert_output ok
	# a number the app does not report sets no limit off
	echo "requests=100 errors=1" >"$T/www/metrics"
	run curl -s "$url"
	assert_output ok
	echo "requests=100 errors=11 queue_depth=50" >"$T/www/metrics"
	run curl -s "$url"
	assert_output "error ratio 0.110 > 0.100"
	echo "requests=100 errors=10 queue_depth=51" >"$T/www/metrics"
	run curl -s "$url"
	assert_output "queue_depth 51 > 50"
	run status_of "$url"
	assert_output 503
}

@test "adapter: garbage HTTP gets 400 and never crashes it" {
	start_app_and_adapter 18532 18533
	run "$L5/tcpcat" 127.0.0.1:18533 < <(printf 'hello\r\n\r\n')
	assert_line --index 0 --partial "HTTP/1.1 400 Bad Request"
	run "$L5/tcpcat" 127.0.0.1:18533 < <(printf 'GET /healthz HTTP/9.9\r\n\r\n')
	assert_line --index 0 --partial "HTTP/1.1 400 Bad Request"
	run "$L5/tcpcat" 127.0.0.1:18533 < <(printf 'GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n')
	assert_line --index 0 --partial "HTTP/1.1 400 Bad Request"
	run "$L5/tcpcat" 127.0.0.1:18533 < <(head -c 20000 /dev/urandom)
	assert_line --index 0 --partial "HTTP/1.1 400 Bad Request"
	run "$L5/tcpcat" 127.0.0.1:18533 < <(head -c 20000 /dev/zero | tr '\0' a)
	assert_line --index 0 --partial "HTTP/1.1 400 Bad Request"
	run curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:18533/healthz
	assert_output 405
	# a 405 must say what is allowed (RFC 9110, 15.5.6)
	run bash -c "curl -si -X POST http://127.0.0.1:18533/healthz | tr -d '\r'"
	assert_line "Allow: GET"
	run status_of http://127.0.0.1:18533/nothing
	assert_output 404
	# still alive and right
	kill -0 "$ADAPTER"
	run status_of http://127.0.0.1:18533/healthz
	assert_output 200
	# the app itself speaks garbage
	printf 'requests=lots\n' >"$T/www/metrics"
	run curl -s http://127.0.0.1:18533/healthz
	assert_output --partial "bad token 'requests=lots'"
}

@test "adapter: a request head sent a byte at a time gets 2 s in all, not 2 s per read" {
	start_app_and_adapter 18561 18562
	# a byte every 0.5 s, for 6 s: no single read ever waits 2 s
	bg slow bash -c "for i in \$(seq 12); do printf G; sleep 0.5; done |
		'$L5/tcpcat' --timeout 10000 127.0.0.1:18562"
	wait_for bash -c "ss -Htn state established 'dport = :18562' | grep -q ."
	# one connection at a time: this one waits until the slow one is cut off
	run curl -s -m 4 -o /dev/null -w '%{http_code}' http://127.0.0.1:18562/healthz
	assert_output 200
}

@test "adapter: /metrics stays valid exposition when the app's names collide with its own" {
	start_app_and_adapter 18563 18564
	echo "requests=100 errors=1 queue_depth=3 up=0 healthy=0 requests_total=7" >"$T/www/metrics"
	run curl -s http://127.0.0.1:18564/metrics
	assert_line "app_up 1"
	assert_line "app_requests_total 100"
	# Prometheus refuses a whole scrape with a family described twice, or
	# the same series twice
	run bash -c "curl -s http://127.0.0.1:18564/metrics |
		awk '\$1 == \"#\" { if (seen[\$2 \" \" \$3]++) print \"twice:\", \$0; next }
		     { if (sample[\$1]++) print \"twice:\", \$0 }'"
	assert_output ""
	# a name given twice: no number to judge health by
	echo "requests=100 errors=1 requests=200" >"$T/www/metrics"
	run curl -s http://127.0.0.1:18564/healthz
	assert_output --partial "'requests' given twice"
}

@test "adapter: bad input is one clear error" {
	run "$L5/adapter" --listen 127.0.0.1:18534
	assert_failure 2
	run "$L5/adapter" --listen 127.0.0.1:18534 --app 127.0.0.1:18535 --max-error-ratio much
	assert_failure 2
	assert_output --partial "not a non-negative number"
	run "$L5/adapter" --listen 127.0.0.1 --app 127.0.0.1:18535
	assert_failure 2
	assert_output --partial "expected HOST:PORT"
}

@test "every sidecar has --help" {
	for p in logship logsink proxy adapter echod tcpcat; do
		run "$L5/$p" --help
		assert_success
		assert_line --partial "  -h, --help"
	done
}

# ---- the pods ---------------------------------------------------------------

no_lab5_links() {
	! ip -o link | grep -q 'lab5'
}

@test "step1_logging: app and logship in one pod, collector on the host: N lines, N received, none twice" {
	require_root
	run "$L5/step1_logging" --lines 120 --out "$T/collected"
	assert_success
	assert_output --partial "written 120, collected 120, missing 0, duplicated 0"
	assert_output --partial "SIGKILL"
	run exactly_once "$T/collected" 120
	assert_success
	no_lab5_links
	# Proven: a second run on the same --out said "collected 120, missing 0"
	# and exited 0, though the sink had acknowledged its lines as repeats.
	run "$L5/step1_logging" --lines 120 --out "$T/collected"
	assert_failure 2
	assert_output --partial "--out $T/collected: a collector's file (or its .state) is there already"
	run exactly_once "$T/collected" 120
	assert_success
}

@test "step1_logging --out refuses a file there already, or its .state alone, before it makes anything" {
	require_root
	echo "line 1" >"$T/old"
	: >"$T/state-only.state"
	run "$L5/step1_logging" --out "$T/old" --dir "$T/run"
	assert_failure 2
	assert_output --partial "would take this run's lines for repeats"
	[ "$(cat "$T/old")" = "line 1" ]
	run "$L5/step1_logging" --out "$T/state-only" --dir "$T/run"
	assert_failure 2
	[ ! -e "$T/run" ]
	[ ! -e "$T/state-only" ]
	no_lab5_links
}

@test "step2_proxy: the app's connections to localhost reach both backends in another pod" {
	require_root
	run "$L5/step2_proxy" --requests 4
	assert_success
	assert_line "backend-a served 2, backend-b served 2 of 4 connections"
	no_lab5_links
}

@test "step3_adapter: a monitor outside the pod sees /healthz go from 200 to 503" {
	require_root
	run "$L5/step3_adapter"
	assert_success
	assert_output --partial "(200 ok)"
	assert_output --partial "(503 error ratio 0.300 > 0.100)"
	assert_output --partial "refused"
	no_lab5_links
}

# Proven: with step4_cost reading each measurement's result in one blocking
# read, the SIGINT waited, pending, until the whole benchmark was over.
@test "step4_cost: a Ctrl-C ends a long measurement within seconds, exit 1, nothing left behind" {
	require_root
	local pid rc=0
	# A job started with & ignores SIGINT; a terminal's foreground job does not.
	TMPDIR=$T env --default-signal=INT setsid "$L5/step4_cost" --round-trips 10000000 \
		--runs 1 >"$T/out" 2>&1 3>&- &
	pid=$!
	defer "kill -KILL -- -$pid"
	# measuring: its server and its client are there beside it
	measuring() { [ "$(pgrep -s "$pid" -x step4_cost | wc -l)" -ge 3 ]; }
	wait_for measuring
	# as a terminal does: SIGINT to the whole foreground group
	kill -INT -- "-$pid"
	timeout 5 tail --pid="$pid" -f /dev/null
	wait "$pid" || rc=$?
	[ "$rc" = 1 ]
	grep -q "interrupted by SIGINT" "$T/out"
	run pgrep -s "$pid"
	assert_failure
	run find "$T" -maxdepth 1 -name 'podlab-lab5.*'
	assert_output ""
	no_lab5_links
}

# Proven: with accept4's EMFILE fatal (as it was), the adapter dies with
# "accept4: Too many open files" at the first connection.
@test "adapter: out of fds it waits and serves again, instead of dying" {
	start_app_and_adapter 18565 18566
	local n=0 soft
	soft=$(prlimit --pid "$ADAPTER" --nofile --output SOFT --noheadings)
	# the lowest free fd: with the limit there, accept4 fails with EMFILE
	# (the accept4 under way took its fd before: one more is served)
	while [ -e "/proc/$ADAPTER/fd/$n" ]; do n=$((n + 1)); done
	prlimit --pid "$ADAPTER" --nofile="$n:"
	run curl -s -m 1 -o /dev/null http://127.0.0.1:18566/healthz
	run curl -s -m 1 -o /dev/null http://127.0.0.1:18566/healthz
	kill -0 "$ADAPTER" || fail "the adapter died: $(cat "$T/adapter.out")"
	prlimit --pid "$ADAPTER" --nofile="$soft:"
	run curl -s -m 4 -o /dev/null -w '%{http_code}' http://127.0.0.1:18566/healthz
	assert_output 200
}

# Proven: with fork's failure fatal (as it was), echod dies with "fork:
# Resource temporarily unavailable" at the second connection.
@test "echod: out of processes it closes that one connection and serves the next, instead of dying" {
	require_root
	# RLIMIT_NPROC counts the processes of a real uid (root's are exempt): a
	# uid of its own may have echod and one child, so while one client is
	# served the next fork fails
	local uid=65105
	wait_for bash -c "! pgrep -u $uid" || fail "uid $uid is taken: $(pgrep -a -u $uid)"
	# (registered first, run last: echod's children end once their client did)
	defer "wait_for bash -c '! pgrep -u $uid'"
	bg echod prlimit --nproc=2 setpriv --reuid=$uid --regid=$uid --clear-groups \
		"$L5/echod" --listen 127.0.0.1:18567
	ECHOD=$BG
	wait_for listening 18567
	# the first client holds its child: its stdin is a fifo it holds open
	# itself (bash gives a background command /dev/null unless told otherwise)
	mkfifo "$T/in"
	bg hold bash -c 'exec "$0" --timeout 20000 127.0.0.1:18567 <>"$1"' "$L5/tcpcat" "$T/in"
	HOLD=$BG
	wait_for pgrep -P "$ECHOD"
	run "$L5/tcpcat" --timeout 3000 127.0.0.1:18567 <<<"second"
	refute_output --partial "second"
	wait_for grep -q 'fork: Resource temporarily unavailable' "$T/echod.out"
	kill -0 "$ECHOD" || fail "echod died: $(cat "$T/echod.out")"
	# the first client leaves, its child ends: there is room again
	kill -9 "$HOLD"
	wait_for bash -c "! pgrep -P $ECHOD"
	run "$L5/tcpcat" --timeout 3000 127.0.0.1:18567 <<<"third"
	assert_success
	assert_output "third"
}
