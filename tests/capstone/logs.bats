#!/usr/bin/env bats
# podrun logs: every option, against pod state and log directories written by
# hand here (DATA/pods/POD/logs/C/N.log, CRI records), so that no pod runs.
# The command is capstone/logs_cmd.c, `podrun logs` (PODRUN_LOGS_BIN=...
# runs another build of it).

load ../helpers

LOGS_BIN="${PODRUN_LOGS_BIN:-$(bin capstone podrun) logs}"

logs() {
	$LOGS_BIN "$@"
}

setup() {
	[ -x "${LOGS_BIN%% *}" ] || skip "podrun is not built (make build-capstone)"
	PODRUN_ROOT=$(mktemp -d /tmp/podrun-logs-test.XXXXXX)
	PODRUN_DATA=$PODRUN_ROOT.data
	mkdir -m 0700 "$PODRUN_DATA"
	export PODRUN_ROOT PODRUN_DATA
	defer "rm -rf '$PODRUN_ROOT' '$PODRUN_DATA'"
	# web: an init container, the app container main, a sidecar that never ran
	make_pod web init:init main:app side:sidecar
	status web init Terminated Completed 0
	status web main Running '' 1 0
	status web side Waiting PodInitializing 0
	put web init/0.log <<-'EOF'
		2026-11-27T22:00:00.000000000Z stdout F init done
	EOF
	# main's first run, then its second: 1.log.1 rotated out of 1.log
	put web main/0.log <<-'EOF'
		2026-11-27T21:00:00.000000000Z stdout F first run
		2026-11-27T21:00:01.000000000Z stderr F crashed
	EOF
	put web main/1.log.1 <<-'EOF'
		2026-11-27T22:00:01.100000000Z stdout F line 1
		2026-11-27T22:00:02.020000000Z stdout P li
		2026-11-27T22:00:03.003000000Z stderr F line 2 (err)
	EOF
	# "line 3" is joined across the two files; a broken line is skipped; the
	# last line was cut by the end of the stream
	put web main/1.log <<-'EOF'
		2026-11-27T22:00:04.000400000Z stdout F ne 3
		2026-11-27T22:00:05.000000000Z stdout F line 4
		not a record
		2026-11-27T22:00:06.000000000Z stdout F line 5
		2026-11-27T22:00:07.000000000Z stderr P no newline at the end
	EOF
}

# make_pod POD NAME:KIND... - the state podrun's supervisor writes
make_pod() {
	local pod=$1 c
	shift
	mkdir -p -m 0700 "$PODRUN_ROOT/pods/$pod/containers" "$PODRUN_DATA/pods/$pod/logs"
	chmod 0700 "$PODRUN_ROOT/pods" "$PODRUN_DATA/pods"
	: >"$PODRUN_ROOT/pods/$pod/container_names"
	for c in "$@"; do
		printf '%s\0' "${c%%:*}" >>"$PODRUN_ROOT/pods/$pod/container_names"
		mkdir -p "$PODRUN_ROOT/pods/$pod/containers/${c%%:*}"
		echo "${c#*:}" >"$PODRUN_ROOT/pods/$pod/containers/${c%%:*}/kind"
	done
}

# status POD C STATE REASON RESTARTS [LAST_RUN] - a container's status as the
# supervisor writes it: the current run is RESTARTS, lastState run LAST_RUN
status() {
	local d="$PODRUN_ROOT/pods/$1/containers/$2"
	echo "$3" >"$d/state"
	echo "$4" >"$d/reason"
	echo "$5" >"$d/restarts"
	if [ "$3" = Waiting ]; then : >"$d/started_at"; else echo 2026-11-27T22:00:00Z >"$d/started_at"; fi
	rm -f "$d/last_exit_code" "$d/last_run"
	if [ -n "${6:-}" ]; then
		echo 1 >"$d/last_exit_code"
		echo "$6" >"$d/last_run"
	fi
}

# put POD C/FILE <<EOF - a log file
put() {
	local f="$PODRUN_DATA/pods/$1/logs/$2"
	mkdir -p -m 0700 "$(dirname "$f")"
	cat >"$f"
}

# expect FORMAT ARGS... - logs ARGS prints exactly printf FORMAT, to the byte
# (run would drop a trailing newline), and succeeds
expect() {
	local fmt=$1
	shift
	# shellcheck disable=SC2059
	printf -- "$fmt" >"$BATS_TEST_TMPDIR/want"
	logs "$@" >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

# The start time of a process, as podrun's state records it (field 22).
start_of() {
	sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20
}

ALL_OF_RUN_1='line 1\nline 2 (err)\nline 3\nline 4\nline 5\nno newline at the end'

@test "logs: the latest run of the first app container, partial records joined" {
	expect "$ALL_OF_RUN_1" web
	expect "$ALL_OF_RUN_1" -c main web
	expect 'init done\n' -c init web
	expect 'init done\n' --container=init web
	# options after the pod, as kubectl takes them
	expect 'init done\n' web -c init
}

# kubelet's validateContainerLogStatus (kubelet_pods.go) picks the container
# whose log it serves from the status, never by counting files. Proven:
# podrun before this read "the latest run, -p the one before", so during a
# CrashLoopBackOff -p printed the run before lastState's, and a container
# waiting to start printed nothing with exit 0.
@test "logs -p: lastState's run; logs: the current one, else why there is none" {
	expect 'first run\ncrashed\n' -p web
	expect 'first run\ncrashed\n' --previous web
	run logs -p -c init web
	assert_failure 1
	assert_output 'podrun: previous terminated container "init" in pod "web" not found'
	# a container that waits to start has no log: kubelet says why
	run logs -c side web
	assert_failure 1
	assert_output 'podrun: container "side" in pod "web" is waiting to start: PodInitializing'
	run logs -p -c side web
	assert_failure 1
	assert_output 'podrun: previous terminated container "side" in pod "web" not found'
	# CrashLoopBackOff after run 1: lastState is run 1, and both show it
	status web main Waiting CrashLoopBackOff 1 1
	expect "$ALL_OF_RUN_1" -p web
	expect "$ALL_OF_RUN_1" web
	# run 2 waits for its image (never started): lastState is still run 1
	status web main Waiting ErrImageNeverPull 1 1
	expect "$ALL_OF_RUN_1" web
	# terminated for good: its own run; lastState's with -p
	status web main Terminated Error 1 0
	expect "$ALL_OF_RUN_1" web
	expect 'first run\ncrashed\n' -p web
	# a run that never started (StartError, no startedAt): lastState's
	status web main Terminated StartError 2 1
	: >"$PODRUN_ROOT/pods/web/containers/main/started_at"
	expect "$ALL_OF_RUN_1" web
	expect "$ALL_OF_RUN_1" -p web
}

@test "logs --timestamps: each line's time, as kubectl prints it" {
	expect '2026-11-27T22:00:00Z init done\n' --timestamps -c init web
	expect '2026-11-27T22:00:01.1Z line 1\n2026-11-27T22:00:03.003Z line 2 (err)\n2026-11-27T22:00:02.02Z line 3\n2026-11-27T22:00:05Z line 4\n2026-11-27T22:00:06Z line 5\n2026-11-27T22:00:07Z no newline at the end' \
		--timestamps web
}

@test "logs --tail N: the last N lines, across rotated files" {
	expect 'line 5\nno newline at the end' --tail 2 web
	# line 3 began in 1.log.1: it counts once
	expect 'line 3\nline 4\nline 5\nno newline at the end' --tail 4 web
	expect 'line 2 (err)\nline 3\nline 4\nline 5\nno newline at the end' --tail=5 web
	expect "$ALL_OF_RUN_1" --tail 100 web
	expect "$ALL_OF_RUN_1" --tail -1 web
	expect '' --tail 0 web
	expect 'crashed\n' --tail 1 -p web
}

@test "logs --since DURATION: lines newer than now - DURATION" {
	make_pod fresh main:app
	status fresh main Running '' 0
	local old new
	old=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%S.000000000Z)
	new=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%S.000000000Z)
	put fresh main/0.log <<-EOF
		$old stdout F two hours ago
		$new stdout F a minute ago
	EOF
	expect 'a minute ago\n' --since 1h fresh
	expect 'a minute ago\n' --since=90m fresh
	expect 'two hours ago\na minute ago\n' --since 3h fresh
	expect '' --since 10s fresh
	# tail first, then since (kubelet's order)
	expect '' --tail 1 --since 3h --since 10s fresh
}

@test "logs --limit-bytes N: the output stops after N bytes" {
	expect 'line 1\nli' --limit-bytes 9 web
	expect 'init done\n' --limit-bytes 100 -c init web
}

@test "logs --all-containers: each container in spec order, init containers first" {
	status web side Running '' 0
	expect "init done\\n$ALL_OF_RUN_1" --all-containers web
	run logs --all-containers -p web
	assert_failure 1
	assert_line 'podrun: previous terminated container "init" in pod "web" not found'
	assert_line 'first run'
	assert_line 'crashed'
	# following them all (one process each): every container's lines, whole
	make_pod two a:app b:app
	status two a Running '' 0
	status two b Running '' 0
	put two a/0.log <<-'EOF'
		2026-11-27T22:00:00.000000000Z stdout F a 1
		2026-11-27T22:00:01.000000000Z stdout F a 2
	EOF
	put two b/0.log <<-'EOF'
		2026-11-27T22:00:00.500000000Z stdout F b 1
	EOF
	run timeout 10 $LOGS_BIN -f --all-containers two
	assert_success
	[ "$(printf '%s\n' "$output" | sort)" = "$(printf 'a 1\na 2\nb 1\n')" ]
}

@test "logs -f: follows while the writer holds the file, ends when it lets go" {
	local f="$PODRUN_DATA/pods/web/logs/main/1.log"
	# the writer's lock, held by flock(1) for a second; it appends before letting go
	flock -x "$f" -c "sleep 1; echo '2026-11-27T22:00:08.000000000Z stderr F  and the rest' >>'$f'; echo '2026-11-27T22:00:09.000000000Z stdout F line 6' >>'$f'" &
	wait_for bash -c "! flock -n -s '$f' true"
	local t0=$SECONDS
	run timeout 10 $LOGS_BIN -f web
	assert_success
	assert_output "$(printf "$ALL_OF_RUN_1 and the rest\\nline 6")"
	[ $((SECONDS - t0)) -ge 1 ] || fail "did not wait for the writer"
	wait
}

@test "logs -f: follows while the state says the run goes on" {
	local c="$PODRUN_ROOT/pods/web/containers/main" f="$PODRUN_DATA/pods/web/logs/main/1.log"
	sleep 1.5 &
	local pid=$!
	# the supervisor (this shell) and the container's run 1 (the sleep)
	echo $$ >"$PODRUN_ROOT/pods/web/supervisor.pid"
	start_of $$ >"$PODRUN_ROOT/pods/web/supervisor.start"
	echo $pid >"$c/pid"
	start_of $pid >"$c/start"
	echo 1 >"$c/restarts"
	(
		sleep 0.5
		echo '2026-11-27T22:00:09.000000000Z stdout F written while it ran' >>"$f"
	) &
	run timeout 10 $LOGS_BIN -f web
	assert_success
	assert_line 'written while it ran'
	! kill -0 "$pid" 2>/dev/null || fail "returned while the container ran"
	# another run is not this one: -f on run 1 does not wait for run 2
	sleep 5 &
	pid=$!
	echo $pid >"$c/pid"
	start_of $pid >"$c/start"
	echo 2 >"$c/restarts"
	run timeout 3 $LOGS_BIN -f web
	assert_success
	kill "$pid"
	wait || true
}

@test "logs: symlinks under the log directory are not followed" {
	echo 'a secret' >"$BATS_TEST_TMPDIR/secret"
	rm "$PODRUN_DATA/pods/web/logs/init/0.log"
	ln -s "$BATS_TEST_TMPDIR/secret" "$PODRUN_DATA/pods/web/logs/init/0.log"
	expect '' -c init web
	mkdir "$BATS_TEST_TMPDIR/elsewhere"
	printf '2026-11-27T22:00:00Z stdout F a secret\n' >"$BATS_TEST_TMPDIR/elsewhere/0.log"
	rm -r "$PODRUN_DATA/pods/web/logs/init"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$PODRUN_DATA/pods/web/logs/init"
	run logs -c init web
	assert_failure 1
	refute_output --partial 'a secret'
}

@test "logs: usage errors exit 2, a missing pod 1" {
	run logs --help
	assert_success
	assert_output --partial 'Usage: podrun logs'
	run logs ../..
	assert_failure 2
	assert_output --partial 'invalid pod name "../.."'
	run logs nosuchpod
	assert_failure 1
	assert_output --partial 'no pod named nosuchpod'
	run logs -c nosuch web
	assert_failure 2
	assert_output --partial 'pod web has no container nosuch (it has: init, main, side)'
	run logs
	assert_failure 2
	run logs web web
	assert_failure 2
	local bad
	for bad in '--tail x' '--tail -2' '--since x' '--since 0' '--since -1s' '--limit-bytes 0' \
		'--all-containers -c main' '--frobnicate' '-c'; do
		# shellcheck disable=SC2086
		run logs $bad web
		assert_failure 2
	done
	run logs --tail x web
	assert_output --partial 'logs: --tail x: a number of lines'
}
