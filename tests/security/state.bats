#!/usr/bin/env bats
# podrun's state: the root and every pod directory 0700, files 0600,
# spec.yaml exactly the bytes that were run; a root another user could
# write to or swap is refused; overlays, emptyDirs and logs live under
# PODRUN_DATA; ps, logs and inspect read only state, never the YAML again.

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
}

sleeper() { # NAME
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
  annotations:
    note: "kept byte for byte"   # a comment, kept too
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo hello from main; while true; do sleep 0.1; done"]
    env:
    - {name: SECRET, value: "s3cr3t"}
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
  volumes:
  - name: scratch
    emptyDir: {}
YAML
}

# Roots that do not exist yet, so that podrun creates them (mktemp made the
# usual ones 0700 already). Removed after the test like the usual ones.
fresh_roots() {
	local base=$PODRUN_ROOT
	export PODRUN_ROOT=$base/new/state PODRUN_DATA=$base/new/data
	defer "podrun_remove_all '$PODRUN_ROOT' '$PODRUN_DATA'"
}

# Proven: with the root created 0755 and not chmod'ed (state.c,
# check_root_dir: `mkdir_p(dir, 0755)` and `if (0 && create && ...chmod`) the
# root is 0755 under umask 022; with spec.yaml opened 0644 (pod.c,
# write_spec) its mode check fails.
@test "state: root, data root and pod directories 0700, files 0600, spec.yaml the bytes run" {
	umask 022
	fresh_roots
	local f
	f=$(sleeper keep)
	run podrun run -d "$f"
	assert_success
	[ "$(stat -c %a "$PODRUN_ROOT")" = 700 ]
	[ "$(stat -c %a "$PODRUN_DATA")" = 700 ]
	local d=$PODRUN_ROOT/pods/keep
	[ "$(stat -c %a "$d")" = 700 ]
	run find "$PODRUN_ROOT" -type d ! -perm 0700
	assert_output ""
	run find "$PODRUN_ROOT" -type f -perm /077
	assert_output ""
	[ "$(stat -c %a "$d/spec.yaml")" = 600 ]
	cmp "$f" "$d/spec.yaml"
	# the state tmpfs, every pod's: nothing on it runs, no device opens
	run findmnt -n -o FSTYPE,OPTIONS "$PODRUN_ROOT/pods"
	assert_output --regexp '^tmpfs .*nosuid,nodev,noexec'
	# the pod's data directories too (the overlays' and volumes' insides are the container's)
	[ "$(stat -c %a "$(data keep)")" = 700 ]
	[ "$(stat -c %a "$(data keep)/logs")" = 700 ]
	run find "$(data keep)/logs" -type f -perm /077
	assert_output ""
}

refused_root() { # what: podrun run refuses, and creates nothing anywhere
	run podrun run -d "$(sleeper refused)"
	assert_failure 1
	assert_output --partial "refusing to use it"
	run podrun ps
	assert_failure 1
	assert_output --partial "refusing to use it"
}

# Proven: with check_root_dir (state.c) reduced to the mkdir_p (`if (1)
# return 0;` after it) each of these roots is used: the run succeeds.
@test "state: a pre-existing root with mode 0777 is refused, nothing created" {
	chmod 0777 "$PODRUN_ROOT"
	refused_root
	assert_output --partial "0777"
	[ -z "$(ls -A "$PODRUN_ROOT")" ]
	[ "$(stat -c %a "$PODRUN_ROOT")" = 777 ]
	chmod 0700 "$PODRUN_ROOT"
	chmod 0775 "$PODRUN_DATA" 2>/dev/null || mkdir -m 0775 "$PODRUN_DATA"
	refused_root
	assert_output --partial "$PODRUN_DATA"
	[ -z "$(ls -A "$PODRUN_ROOT" "$PODRUN_DATA" | grep -v ':$')" ]
}

@test "state: a pre-existing root owned by another uid is refused, nothing created" {
	chown 65534 "$PODRUN_ROOT"
	refused_root
	assert_output --partial "owned by uid 65534"
	[ -z "$(ls -A "$PODRUN_ROOT")" ]
}

@test "state: a root that is a symlink is refused, nothing created behind it" {
	local target=$PODRUN_ROOT.target
	mkdir -m 0700 "$target"
	defer "rm -rf '$target'"
	rmdir "$PODRUN_ROOT"
	ln -s "$target" "$PODRUN_ROOT"
	refused_root
	assert_output --partial "symlink"
	[ -z "$(ls -A "$target")" ]
	[ -L "$PODRUN_ROOT" ]
}

# Proven: with state_data_root (state.c) returning state_root() the
# overlay, the emptyDir and the log are found under PODRUN_ROOT.
@test "state: overlays, emptyDirs and logs live under PODRUN_DATA, none under PODRUN_ROOT" {
	run podrun run -d "$(sleeper split)"
	assert_success
	wait_for grep -q "hello from main" "$(data split)/logs/main/0.log"
	# every mount of the pod's is under the data root
	local pid
	pid=$(state split containers/main/pid)
	run grep -c "$PODRUN_DATA/pods/split/volumes/scratch" "/proc/$pid/mountinfo"
	assert_output 1
	grep -q "upperdir=$PODRUN_DATA/pods/split/containers/main/" "/proc/$pid/mountinfo"
	run grep -E "($PODRUN_ROOT/| upperdir=$PODRUN_ROOT/)" "/proc/$pid/mountinfo"
	assert_failure
	# nothing but state files under the state root
	run find "$PODRUN_ROOT" -name '*.log' -o -name upper -o -name scratch -o -name volumes
	assert_output ""
}

# Proven: with pod_containers (podrun.c) parsing the pod's spec.yaml first
# (spec_parse_file on DIR/spec.yaml, die on error) logs and inspect fail.
@test "state: ps, logs, inspect keep working when spec.yaml is deleted or garbage" {
	run podrun run -d "$(sleeper nospec)"
	assert_success
	wait_for grep -q "hello from main" "$(data nospec)/logs/main/0.log"
	local spec=$PODRUN_ROOT/pods/nospec/spec.yaml
	local round
	for round in deleted garbage; do
		if [ $round = deleted ]; then
			rm -f "$spec"
		else
			printf 'kind: [unclosed\n\t- {{: %%\0\n' >"$spec"
		fi
		run podrun ps
		assert_success
		assert_line --regexp "^nospec +Running +1/1"
		run podrun logs nospec
		assert_success
		assert_output "hello from main"
		run podrun inspect nospec
		assert_success
		assert_output --partial "phase:       Running"
		run podrun exec nospec -- echo still
		assert_success
		assert_output still
	done
}
