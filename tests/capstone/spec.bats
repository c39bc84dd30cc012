#!/usr/bin/env bats
# podrun's spec parser from outside: the bad corpus (tests/capstone/bad/,
# expectations in bad/EXPECTED), warnings for what podrun does not implement,
# and that a rejected pod leaves nothing behind.

load ../helpers
load podrun

BAD="$PODLAB_SRC/tests/capstone/bad"

setup() {
	podrun_setup --no-images
}

# The pauses of this test's pods: they run as a name of the test's own
# (PODLAB_PAUSE, a link to the build's pause), where the build's own name
# would count the pods of other suites running meanwhile (make test's lanes).
own_pause() {
	ln -s "$PODLAB_BUILD/labs/02-pause/pause" "$BATS_TEST_TMPDIR/pause"
	export PODLAB_PAUSE=$BATS_TEST_TMPDIR/pause
}
pause_count() {
	pgrep -c -f "^$PODLAB_PAUSE\$" || true
}

# One line of EXPECTED: the file fails with this status and this message,
# from `validate` (status 2 only) and from `run -d`, and leaves nothing.
check_bad() {
	local file=$1 status=$2 msg=$3
	cd "$BAD"
	if [ "$status" = 2 ]; then
		run podrun validate "$file"
		[ "$status" -eq 2 ] || { echo "$file: validate exited $status: $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$file: not one line: $output"; return 1; }
		[[ "$output" == "podrun: "*"$msg"* ]] || { echo "$file: want '$msg', got '$output'"; return 1; }
	else
		run podrun validate "$file"
		[ "$status" -eq 0 ] || { echo "$file: a run-time problem, yet validate said: $output"; return 1; }
	fi
	run podrun run -d "$file"
	[ "$status" -eq "$2" ] || { echo "$file: run exited $status, want $2: $output"; return 1; }
	[[ "$output" == *"$msg"* ]] || { echo "$file: run: want '$msg', got '$output'"; return 1; }
	# a container that cannot start keeps its pod, as on a cluster: rm -f it
	if [[ "$output" == *"(the pod goes on"* ]]; then
		"$PODRUN_BIN" rm -f "$(sed -n 's/^  name: //p; s/^metadata: {name: \([a-z0-9.-]*\)}/\1/p' "$file" | head -1)" >/dev/null
	fi
	assert_host_clean || { echo "after $file"; return 1; }
}

@test "bad corpus: at least 30 invalid pods, each with its exit status and one specific message" {
	require_images
	local n=0 file st msg holder
	# hostport-in-use.yaml needs its port taken by someone else
	busybox nc -l -p 18799 >/dev/null 2>&1 &
	holder=$!
	defer "kill $holder"
	wait_for ss -ltnH "sport = :18799"
	own_pause
	local before
	before=$(pause_count)
	while read -r file st msg; do
		case "$file" in '#'* | '') continue ;; esac
		[ -e "$BAD/$file" ] || { echo "EXPECTED names a missing file: $file"; return 1; }
		check_bad "$file" "$st" "$msg"
		n=$((n + 1))
	done <"$BAD/EXPECTED"
	[ "$n" -ge 30 ]
	# every file of the corpus has its expectation
	local f
	for f in "$BAD"/*; do
		[ "$(basename "$f")" = EXPECTED ] && continue
		grep -q "^$(basename "$f") " "$BAD/EXPECTED" || { echo "no expectation for $f"; return 1; }
	done
	[ "$(pause_count)" = "$before" ]
}

@test "[spec-tab] the study note's javaweb-2 as written: line 4, column 1, tab character in indentation" {
	cd "$BAD"
	# the file really is the note's text: a tab indents line 4
	[ "$(sed -n 4p javaweb-2-as-written.yaml)" = "$(printf '\tname: javaweb-2')" ]
	run podrun validate javaweb-2-as-written.yaml
	assert_failure 2
	assert_output "podrun: javaweb-2-as-written.yaml:4:1: tab character in indentation (YAML indents with spaces only)"
}

@test "[spec-tab] a tab after spaces is found at its column; a tab inside a string is no error" {
	f=$(pod_file tabs <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: tabs
spec:
  containers:
  - name: app
  $(printf '\t')  image: busybox
YAML
	)
	run podrun validate "$f"
	assert_failure 2
	assert_output "podrun: $f:8:3: tab character in indentation (YAML indents with spaces only)"
	# a tab inside a string indents nothing: the error is elsewhere
	f=$(pod_file string <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: string
  labels: {a: "b$(printf '\t')c"}
spec: [
YAML
	)
	run podrun validate "$f"
	assert_failure 2
	assert_output "podrun: $f:7:1: invalid YAML: did not find expected node content while parsing a flow node"
}

@test "[spec-quantity] sizeLimit is a Kubernetes quantity: binary and decimal suffixes, rounded up" {
	quantity() {
		pod_file "q" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: q
spec:
  containers: [{name: a, image: busybox, command: ["true"]}]
  volumes:
  - name: v
    emptyDir: {sizeLimit: $1}
YAML
	}
	local q want
	for q in 512Mi:536870912 1.5Gi:1610612736 1G:1000000000 1Ki:1024 100m:1 1e3:1000 2k:2000 \
		0.5M:500000; do
		run podrun validate -v "$(quantity "${q%%:*}")"
		assert_success
		assert_line "  volume v: emptyDir, sizeLimit ${q#*:} bytes"
	done
	run podrun validate "$(quantity 1GB)"
	assert_failure 2
	assert_output --partial 'quantity "1GB": unknown suffix "GB"'
	run podrun validate "$(quantity 16Ei)"
	assert_failure 2
	assert_output --partial 'quantity "16Ei": too large'
	run podrun validate "$(quantity Mi)"
	assert_failure 2
	assert_output --partial 'quantity "Mi": expected a number'
}

@test "a 10 MB document is refused before it is parsed (exit 2, nothing left)" {
	local big="$BATS_TEST_TMPDIR/big.yaml"
	{
		printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n  annotations:\n'
		yes '    padding-padding-padding-padding: "0123456789012345678901234567890123456789"' |
			head -c $((10 * 1024 * 1024 - 64))
	} >"$big"
	truncate -s 10M "$big"
	run podrun validate "$big"
	assert_failure 2
	assert_output "podrun: $big:1:1: 10485760 bytes is more than podrun reads (1048576, 1 MiB)"
	run podrun run -d "$big"
	assert_failure 2
	assert_host_clean
}

@test "informational fields are warned about by path, with file:line:col; bounding and unknown ones are refused" {
	f=$(pod_file warn <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: warn
spec:
  nodeSelector: {disk: ssd}
  containers:
  - name: app
    image: busybox
    command: ["true"]
    livenessProbe:
      grpc: {port: 9090}
    resources:
      limits: {memory: 512Mi}
    colour: blue
YAML
	)
	# A probe that is not run would look safe and not be, and a field nobody
	# knows may be a misspelt protection: exit 2 at the first one, with its
	# position. (A container's fields are read before its probes.)
	run podrun validate "$f"
	assert_failure 2
	assert_line "podrun: warning: $f:6:3: spec.nodeSelector: not supported, ignored"
	assert_line "podrun: $f:15:5: spec.containers[0].colour: unknown field (podrun run --allow-unsupported runs the pod without it)"
	sed -i '/colour/d' "$f"
	run podrun validate "$f"
	assert_failure 2
	assert_line "podrun: $f:12:7: spec.containers[0].livenessProbe.grpc: not supported yet (podrun run --allow-unsupported runs the pod without it)"
	echo "    colour: blue" >>"$f"
	run podrun validate --allow-unsupported "$f"
	assert_success
	assert_line "podrun: warning: $f:6:3: spec.nodeSelector: not supported, ignored"
	assert_line "podrun: warning: $f:12:7: spec.containers[0].livenessProbe.grpc: not supported yet; ignored (--allow-unsupported)"
	assert_line "podrun: warning: $f:15:5: spec.containers[0].colour: unknown field; ignored (--allow-unsupported)"
	assert_line "$f: pod warn: valid (0 init containers, 1 containers, 0 volumes)"
}

# Proven: with unknown_refused (spec.c) a warning (ignored()) again, the
# first validate succeeds and the pod would run without the five fields.
@test "an unknown field in a securityContext, resources or a probe is refused: a typo there drops a protection" {
	f=$(pod_file typo <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: typo}
spec:
  securityContext:
    runAsNonroot: true
  containers:
  - name: c
    image: busybox
    securityContext:
      readOnlyRootFileSystem: true
      capabilities: {drops: [ALL]}
    resources:
      limit: {memory: 64Mi}
    livenessProbe:
      exec: {command: ["true"]}
      failureTreshold: 1
YAML
	)
	run podrun validate "$f"
	assert_failure 2
	assert_output "podrun: $f:6:5: spec.securityContext.runAsNonroot: unknown field (podrun run --allow-unsupported runs the pod without it)"
	run podrun validate --allow-unsupported "$f"
	assert_success
	assert_line "podrun: warning: $f:6:5: spec.securityContext.runAsNonroot: unknown field; ignored (--allow-unsupported)"
	assert_line "podrun: warning: $f:11:7: spec.containers[0].securityContext.readOnlyRootFileSystem: unknown field; ignored (--allow-unsupported)"
	assert_line "podrun: warning: $f:12:22: spec.containers[0].securityContext.capabilities.drops: unknown field; ignored (--allow-unsupported)"
	assert_line "podrun: warning: $f:14:7: spec.containers[0].resources.limit: unknown field; ignored (--allow-unsupported)"
	assert_line "podrun: warning: $f:17:7: spec.containers[0].livenessProbe.failureTreshold: unknown field; ignored (--allow-unsupported)"
}

# Proven: with the Merge warning of spec.c back (podrun before it honoured
# Merge) the first validate prints it.
@test "supplementalGroupsPolicy: Merge and Strict are honoured without a word; another value is refused at its position" {
	local pol f
	for pol in Merge Strict null; do
		f=$(pod_file policy <<YAML
apiVersion: v1
kind: Pod
metadata: {name: policy}
spec:
  securityContext:
    supplementalGroupsPolicy: $pol
  containers:
  - {name: c, image: busybox, command: ["true"]}
YAML
		)
		run podrun validate "$f"
		assert_success
		refute_output --partial warning
		assert_output "$f: pod policy: valid (0 init containers, 1 containers, 0 volumes)"
	done
	sed -i 's/supplementalGroupsPolicy: null/supplementalGroupsPolicy: Loose/' "$f"
	run podrun validate "$f"
	assert_failure 2
	assert_output "podrun: $f:6:31: spec.securityContext.supplementalGroupsPolicy: Unsupported value: \"Loose\": supported values: \"Merge\", \"Strict\""
}

@test "an init container that runs to completion takes no probe and no lifecycle hook; a native sidecar takes both" {
	local f field
	for field in 'readinessProbe: {exec: {command: ["true"]}}' 'lifecycle: {preStop: {exec: {command: ["true"]}}}'; do
		f=$(pod_file forbidden <<YAML
apiVersion: v1
kind: Pod
metadata: {name: forbidden}
spec:
  initContainers:
  - name: init
    image: busybox
    command: ["true"]
    $field
  containers:
  - {name: c, image: busybox, command: ["true"]}
YAML
		)
		run podrun validate "$f"
		assert_failure 2
		assert_output "podrun: $f:9:5: spec.initContainers[0].${field%%:*}: Forbidden: may not be set for init containers without restartPolicy=Always"
		sed -i 's/^    command: \["true"\]$/    restartPolicy: Always\n    command: ["sleep", "1"]/' "$f"
		run podrun validate "$f"
		assert_success
	done
}

@test "several documents: each is a pod; an empty document between them is skipped" {
	f=$(pod_file multi <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: one}
spec:
  containers: [{name: a, image: busybox, command: ["true"]}]
---
---
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers: [{name: a, image: busybox, command: ["true"]}]
YAML
	)
	run podrun validate "$f"
	assert_success
	assert_line "$f: pod one: valid (0 init containers, 1 containers, 0 volumes)"
	assert_line "$f: pod two: valid (0 init containers, 1 containers, 0 volumes)"
}

@test "every example validates without a warning" {
	local f
	for f in "$PODLAB_SRC"/examples/*.yaml; do
		run podrun validate "$f"
		assert_success
		refute_output --partial warning
	done
}

@test "env valueFrom: fieldRef and resourceFieldRef are kept for the start; optional references set nothing" {
	f=$(pod_file envsrc <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: envsrc
  labels: {app: web}
spec:
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo $(POD) $$(POD)"]
    resources:
      limits: {memory: 64Mi}
    env:
    - {name: GREETING, value: "hello $(POD)"}
    - name: POD
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: APP
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
    - name: MEM
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
    - name: MODE
      valueFrom: {configMapKeyRef: {name: settings, key: mode, optional: true}}
    envFrom:
    - secretRef: {name: credentials, optional: true}
YAML
	)
	run podrun validate -v "$f"
	assert_success
	refute_output --partial warning
	# a value is shown as written: $(VAR) is expanded when the container starts
	assert_line '    env GREETING=hello $(POD)'
	assert_line '    env POD from fieldRef metadata.name'
	assert_line "    env APP from fieldRef metadata.labels['app']"
	assert_line '    env MEM from resourceFieldRef limits.memory (divisor 1Mi)'
	# podrun has no API server: an optional reference is a variable not set
	refute_output --partial MODE
	refute_output --partial credentials
}
