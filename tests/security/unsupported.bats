#!/usr/bin/env bats
# Fail closed: a field that bounds or protects a pod (the host's namespaces,
# probes, a storage limit, a runtime class) and that podrun cannot honour is an error
# naming its line, unless --allow-unsupported: then a warning, and the pod runs.

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
}

# FIELD-LINE under spec (two spaces) or under the container (four)
fc_pod() { # NAME LINE
	local s="" c=""
	if [[ "$2" == "    "* ]]; then c=$2; else s=$2; fi
	printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  terminationGracePeriodSeconds: 1\n%s\n  containers:\n  - name: main\n    image: busybox\n    command: ["sh", "-c", "while true; do sleep 0.1; done"]\n%s\n' \
		"$1" "$s" "$c" | sed '/^$/d' >"$BATS_TEST_TMPDIR/$1.yaml"
	echo "$BATS_TEST_TMPDIR/$1.yaml"
}

# Proven: with refused() (spec.c) always taking the warning branch
# (`if (1 || allow_unsupported)`) every run exits 0 and creates the pod.
@test "fail closed: runtimeClassName, hostUsers, a grpc probe, ephemeral-storage: exit 2 with the line, nothing created" {
	local field f
	for field in "  runtimeClassName: gvisor" "  hostUsers: false" \
		'    livenessProbe: {grpc: {port: 9090}}' \
		"    resources: {limits: {memory: 64Mi, ephemeral-storage: 1Gi}}"; do
		f=$(fc_pod closed "$field")
		run podrun run -d "$f"
		assert_failure 2
		assert_output --regexp "^podrun: $f:[0-9]+:[0-9]+: spec\."
		assert_output --partial -- "--allow-unsupported"
		[ ! -e "$PODRUN_ROOT/pods/closed" ]
		[ ! -e "$PODRUN_DATA/pods/closed" ]
		assert_host_clean
		run podrun validate "$f"
		assert_failure 2
	done
}

# Proven: same edit only changes the first check; this one is the other
# half: with refused() always an error (`if (0 && allow_unsupported)`) the
# runs exit 2.
@test "fail closed: with --allow-unsupported each is a warning and the pod runs" {
	local field f
	for field in "  hostUsers: false" '    livenessProbe: {grpc: {port: 9090}}' \
		"    resources: {limits: {ephemeral-storage: 1Gi}}"; do
		f=$(fc_pod open "$field")
		run podrun run -d --allow-unsupported "$f"
		assert_success
		assert_output --partial "warning:"
		assert_output --partial "ignored (--allow-unsupported)"
		assert_output --partial "pod open: Running"
		# hostUsers: false ignored means no user namespace: the host's
		[ "$(ns_ino "$(state open containers/main/pid)" user)" = "$(ns_ino $$ user)" ]
		run podrun rm -f open
		assert_success
	done
}
