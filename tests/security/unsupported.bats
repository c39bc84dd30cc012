#!/usr/bin/env bats
# Fail closed: a field that bounds or protects a pod (the host's namespaces,
# probes, a storage limit, a runtime class) and that podrun cannot honour is an error
# naming its line, unless --allow-unsupported: then a warning, and the pod runs.
# So is a field nobody knows where a typo would drop a protection.

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

# A pod whose container mounts volume v ($2: its mount's fields after name,
# $3: the volume's source) and writes a file into it.
mount_pod() { # NAME MOUNT-FIELDS SOURCE
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo written >/v/file"]
    volumeMounts: [{name: v, mountPath: /v, $2}]
  volumes: [{name: v, $3}]
YAML
}

# A typo in a volumeMount or a volume source drops what it asked for:
# `readonly: true` mounted the volume writable, `sizelimit` left it
# unbounded, `tpye` the host's file unchecked. Proven: with ignored() in
# place of unknown_refused() in parse_mounts and parse_volume (spec.c),
# each run -d exits 0 and the first writes the host's directory.
@test "fail closed: an unknown field in a volumeMount, emptyDir or hostPath: exit 2 with the line, nothing created" {
	local host=$BATS_TEST_TMPDIR/host case f
	mkdir "$host"
	for case in "readonly: true|hostPath: {path: $host}|readonly" \
		"readOnly: true|emptyDir: {sizelimit: 1Mi}|sizelimit" \
		"readOnly: true|hostPath: {path: $host, tpye: File}|tpye"; do
		IFS='|' read -r -a c <<<"$case"
		f=$(mount_pod typo "${c[0]}" "${c[1]}")
		run podrun run -d "$f"
		assert_failure 2
		assert_output --regexp "^podrun: $f:1[01]:[0-9]+: spec\.[a-z]+\[0\]\.[a-zA-Z]+(\[0\])?\.${c[2]}: unknown field \(podrun run --allow-unsupported runs the pod without it\)$"
		[ ! -e "$PODRUN_ROOT/pods/typo" ]
		[ ! -e "$PODRUN_DATA/pods/typo" ]
		assert_host_clean
	done
	[ ! -e "$host/file" ]
	# what --allow-unsupported then means: the volume is writable
	run podrun run --allow-unsupported "$(mount_pod typo "readonly: true" "hostPath: {path: $host}")"
	assert_success
	assert_output --partial "spec.containers[0].volumeMounts[0].readonly: unknown field; ignored (--allow-unsupported)"
	[ "$(cat "$host/file")" = written ]
	podrun rm -f typo
}
