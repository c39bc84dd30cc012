#!/usr/bin/env bats
# Names from the command line are validated before any path is built from
# them: a pod name is a path component under $PODRUN_ROOT/pods (and
# $PODRUN_DATA/pods), so "../../x" would reach outside the state root.

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup --no-images
}

# A directory next to the state root that looks like a pod's state: a
# supervisor.pid naming a live process of ours, with its start time, so that
# stop and rm -f would signal it and rm would delete the directory.
make_victim() {
	VICTIM=$PODRUN_ROOT.victim
	mkdir -p "$VICTIM/containers/main"
	defer "rm -rf '$VICTIM'"
	sleep 600 &
	VICTIM_PID=$!
	defer "kill $VICTIM_PID"
	echo "$VICTIM_PID" >"$VICTIM/supervisor.pid"
	awk '{print $22}' "/proc/$VICTIM_PID/stat" >"$VICTIM/supervisor.start"
	echo Running >"$VICTIM/phase"
	printf 'main\0' >"$VICTIM/container_names"
	echo app >"$VICTIM/containers/main/kind"
	echo "$VICTIM_PID" >"$VICTIM/containers/main/pid"
	cp "$VICTIM/supervisor.start" "$VICTIM/containers/main/start"
	echo keep >"$VICTIM/keep"
	mkdir -p "$PODRUN_DATA.victim/logs/main"
	defer "rm -rf '$PODRUN_DATA.victim'"
	echo "2026-01-01T00:00:00Z stdout F leaked" >"$PODRUN_DATA.victim/logs/main/0.log"
	# the same directory, reached from $PODRUN_ROOT/pods
	VNAME=../../$(basename "$VICTIM")
	mkdir -p "$PODRUN_ROOT/pods" "$PODRUN_DATA/pods"
}

victim_untouched() {
	[ "$(cat "$VICTIM/keep")" = keep ] || { echo "victim directory changed"; return 1; }
	kill -0 "$VICTIM_PID" || { echo "the victim's process was signalled"; return 1; }
}

# Proven: with the name check removed from both pod_dir_arg (podrun.c) and
# state_pod_dir (state.c) - `if (0 && !spec_dns1123_subdomain(...))` - rm -f
# deletes the victim directory and stop kills its process (and exit != 2).
@test "rm, stop, logs, exec, inspect with a name that is a path: exit 2, victim untouched" {
	make_victim
	# the name really leads to the victim: the test is not vacuous
	[ -f "$PODRUN_ROOT/pods/$VNAME/keep" ]
	local name
	for name in "$VNAME" "../$(basename "$VICTIM")/../$(basename "$VICTIM")" "$VICTIM" "a/../.." ".." "."; do
		run podrun stop -t 0 "$name"
		assert_failure 2
		assert_output --partial "invalid pod name"
		victim_untouched
		run podrun logs "$name"
		assert_failure 2
		assert_output --partial "invalid pod name"
		refute_output --partial leaked
		run podrun exec "$name" -- true
		assert_failure 2
		assert_output --partial "invalid pod name"
		run podrun inspect "$name"
		assert_failure 2
		assert_output --partial "invalid pod name"
		run podrun rm -f "$name"
		assert_failure 2
		assert_output --partial "invalid pod name"
		victim_untouched
		run podrun rm "$name"
		assert_failure 2
		victim_untouched
	done
}

# Proven: same edit as above: `rm -f Web` then exits 0 (rm -f of nothing).
@test "names that are not DNS-1123 subdomains are refused before any path: upper case, too long, empty" {
	local long
	long=$(printf 'a%.0s' {1..254})
	local name
	for name in "Web" "$long" "" "web_1" "web/x" "web..x"; do
		run podrun rm -f "$name"
		assert_failure 2
		assert_output --partial "invalid pod name"
	done
	# nothing was created for them
	[ -z "$(ls -A "$PODRUN_ROOT/pods" 2>/dev/null)" ]
}
