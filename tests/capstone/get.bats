#!/usr/bin/env bats
# podrun get, describe and wait: the pod as a v1 Pod object (capstone/podjson.c,
# capstone/get_cmd.c). Most checks run against pod state directories written
# by hand here, as the supervisor writes them (state.h, podjson.h), so no pod
# runs; the last one runs a real pod. Every -o json is checked against the
# Kubernetes v1 Pod schema (tests/schema, Draft 7, as schema.bats does).

load ../helpers
load podrun

SCHEMA=$PODLAB_SRC/tests/schema/pod-v1-strict.json

# validate FILE...: each file one Pod, or a List of Pods; "FILE: ok" or the errors.
# The vendored schema is older than Kubernetes 1.33 (tests/schema/README.md),
# and knows neither field of ContainerStopSignals, which podrun honours and
# reports: Lifecycle.stopSignal and ContainerStatus.stopSignal, both a
# signal's name. They are added to it here, and nothing else.
validate() {
	python3 - "$SCHEMA" "$@" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
def add_stop_signal(node):
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and ({"restartCount", "lastState"} <= props.keys() or
                                        {"postStart", "preStop"} <= props.keys()):
            props.setdefault("stopSignal", {"type": ["string", "null"]})
        for child in node.values():
            add_stop_signal(child)
    elif isinstance(node, list):
        for child in node:
            add_stop_signal(child)
add_stop_signal(schema)
v = jsonschema.Draft7Validator(schema)
bad = 0
for f in sys.argv[2:]:
    doc = json.load(open(f))
    pods = doc["items"] if doc.get("kind") == "List" else [doc]
    for p in pods:
        errs = sorted(v.iter_errors(p), key=lambda e: list(e.absolute_path))
        for e in errs:
            print("%s: %s: %s" % (f, "/".join(map(str, e.absolute_path)) or "(root)", e.message))
        bad += bool(errs)
    if not bad:
        print("%s: ok (%d pods)" % (f, len(pods)))
sys.exit(1 if bad else 0)
PY
}

# put DIR KEY=VALUE...: one state file per pair, as state_put writes them
put() {
	local d=$1 kv
	shift
	mkdir -p "$d"
	for kv in "$@"; do printf '%s\n' "${kv#*=}" >"$d/${kv%%=*}"; done
}

# mkpod NAME [CONTAINER:KIND...]: a pod's state directory with its supervisor
# alive (a sleep of ours, recorded with its start time as state_put_pid does)
# and the pod-level files; containers get dirs with kind and image only.
mkpod() {
	local name=$1 d=$PODRUN_ROOT/pods/$1 c
	shift
	mkdir -p "$d/containers"
	sleep 1000 &
	local pid=$!
	defer "kill $pid"
	put "$d" supervisor.pid=$pid "supervisor.start=$(cut -d' ' -f22 "/proc/$pid/stat")" \
		name="$name" created=2026-01-02T03:04:05.123456789Z phase=Running hostname="$name"
	: >"$d/container_names"
	for c in "$@"; do
		printf '%s\0' "${c%%:*}" >>"$d/container_names"
		put "$d/containers/${c%%:*}" kind="${c#*:}" image=busybox:1.36
	done
}

# ctr POD C KEY=VALUE...: a container's state files
ctr() {
	local d=$PODRUN_ROOT/pods/$1/containers/$2
	shift 2
	put "$d" "$@"
}

# The spec.json and metadata.json of each of test_podjson's examples
# (podjson_write_spec), in $SPECS/NAME/. Skips when test_podjson is not built.
SPECS=
write_examples() {
	local unit=$PODLAB_BUILD/tests/unit/test_podjson
	[ -x "$unit" ] || skip "test_podjson is not built"
	SPECS=$BATS_TEST_TMPDIR/specs
	mkdir -p "$SPECS"
	PODJSON_OUT=$SPECS "$unit" --filter 'podjson/examples_write_spec' >/dev/null
}

# example_pod NAME [CONTAINER:KIND...]: mkpod, with example NAME's spec (after write_examples)
example_pod() {
	mkpod "$@"
	cp "$SPECS/$1/spec.json" "$SPECS/$1/metadata.json" "$PODRUN_ROOT/pods/$1/"
}

T0=2026-01-02T03:04:06.500000000Z
T1=2026-01-02T03:04:07.000000000Z
T2=2026-01-02T03:05:00.250000000Z

# every condition True since T1
all_true() {
	local c
	for c in PodReadyToStartContainers PodScheduled Initialized ContainersReady Ready; do
		echo "$c True $T1"
	done >"$PODRUN_ROOT/pods/$1/conditions"
}

# web: everything the supervisor writes. An init container that completed, a
# native sidecar running, the app running after an OOM kill.
make_web() {
	mkpod web init:init log:sidecar app:app
	local d=$PODRUN_ROOT/pods/web
	put "$d" uid=6f1c1a2e-1b6e-4c8e-9a53-2a1f0c7d9e11 start_time=2026-01-02T03:04:05Z \
		host_ip=192.168.1.10 ip=198.18.7.2 qos=Burstable
	all_true web
	cat >"$d/metadata.json" <<-'EOF'
		{"name": "web", "namespace": "default", "labels": {"app": "web", "flag": "true", "zip": "0123"}}
	EOF
	cat >"$d/spec.json" <<-'EOF'
		{"initContainers": [
		  {"name": "init", "image": "busybox:1.36", "command": ["true"], "resources": {},
		   "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
		   "imagePullPolicy": "IfNotPresent"},
		  {"name": "log", "image": "busybox:1.36", "restartPolicy": "Always",
		   "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
		   "imagePullPolicy": "IfNotPresent"}],
		 "containers": [
		  {"name": "app", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 1d"],
		   "env": [{"name": "MODE", "value": "prod"}],
		   "ports": [{"containerPort": 8080, "hostPort": 8001, "protocol": "TCP"}],
		   "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": true}],
		   "resources": {"limits": {"cpu": "500m", "memory": "64Mi"},
		                 "requests": {"cpu": "250m", "memory": "32Mi"}},
		   "livenessProbe": {"exec": {"command": ["cat", "/tmp/ok"]}, "initialDelaySeconds": 3,
		     "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
		   "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
		     "timeoutSeconds": 2, "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3},
		   "startupProbe": {"tcpSocket": {"port": 8080}, "timeoutSeconds": 1, "periodSeconds": 10,
		     "successThreshold": 1, "failureThreshold": 30},
		   "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
		   "imagePullPolicy": "IfNotPresent"}],
		 "volumes": [{"name": "data", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
		             {"name": "host", "hostPath": {"path": "/srv", "type": ""}}],
		 "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
		 "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
		 "enableServiceLinks": true, "securityContext": {}, "nodeName": "node1"}
	EOF
	ctr web init state=Terminated reason=Completed exit_code=0 signal=0 restarts=0 \
		started_at=$T0 finished_at=$T0 ready=0 started=0 image_id=sha256:aaa \
		container_id=podrun://web/init
	ctr web log state=Running reason= restarts=0 started_at=$T1 ready=1 started=1 \
		image_id=sha256:bbb container_id=podrun://web/log
	ctr web app state=Running reason= restarts=2 exit_code=0 started_at=$T2 ready=1 started=1 \
		image_id=sha256:ccc container_id=podrun://web/app \
		last_exit_code=137 last_signal=9 last_reason=OOMKilled last_started_at=$T1 \
		last_finished_at=2026-01-02T03:04:59.999999999Z
	printf '%s\t%s\t%s\t%s\t%s\n' \
		"$T0" Normal Scheduled pod "Successfully assigned default/web to node1" \
		"$T2" Normal Started 'spec.containers{app}' "Started container app" \
		"$T2" Warning BackOff 'spec.containers{app}' "Back-off	restarting (a tab)" \
		>"$d/events"
}

setup() {
	[ -x "$PODRUN_BIN" ] || skip "podrun is not built (make build-capstone)"
	python3 -c 'import jsonschema' 2>/dev/null || skip "needs python3-jsonschema"
	PODRUN_ROOT=$(mktemp -d /tmp/podrun-get-test.XXXXXX)
	PODRUN_DATA=$PODRUN_ROOT.data
	mkdir -m 0700 "$PODRUN_DATA"
	export PODRUN_ROOT PODRUN_DATA
	defer "rm -rf '$PODRUN_ROOT' '$PODRUN_DATA'"
}

@test "get -o json: every field of the v1 Pod comes from its state file" {
	make_web
	run podrun get web -o json
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/web.json"
	j() { jq -r "$1" "$BATS_TEST_TMPDIR/web.json"; }
	[ "$(j .apiVersion)" = v1 ]
	[ "$(j .kind)" = Pod ]
	[ "$(j .metadata.name)" = web ]
	[ "$(j .metadata.namespace)" = default ]
	[ "$(j .metadata.uid)" = 6f1c1a2e-1b6e-4c8e-9a53-2a1f0c7d9e11 ]
	# metav1.Time: whole seconds
	[ "$(j .metadata.creationTimestamp)" = 2026-01-02T03:04:05Z ]
	[ "$(j '.metadata.labels | tojson')" = '{"app":"web","flag":"true","zip":"0123"}' ]
	[ "$(j .spec.nodeName)" = node1 ]
	[ "$(j .spec.containers[0].resources.limits.memory)" = 64Mi ]
	[ "$(j .status.phase)" = Running ]
	[ "$(j '.status.conditions | length')" = 5 ]
	[ "$(j '.status.conditions[] | select(.type == "Ready") | .status')" = True ]
	[ "$(j '.status.conditions[] | select(.type == "Ready") | .lastTransitionTime')" = 2026-01-02T03:04:07Z ]
	[ "$(j .status.podIP)" = 198.18.7.2 ]
	[ "$(j '.status.podIPs | tojson')" = '[{"ip":"198.18.7.2"}]' ]
	[ "$(j .status.hostIP)" = 192.168.1.10 ]
	[ "$(j '.status.hostIPs | tojson')" = '[{"ip":"192.168.1.10"}]' ]
	[ "$(j .status.startTime)" = 2026-01-02T03:04:05Z ]
	[ "$(j .status.qosClass)" = Burstable ]
	# init containers and sidecars under initContainerStatuses, in order
	[ "$(j '[.status.initContainerStatuses[].name] | join(",")')" = init,log ]
	[ "$(j '[.status.containerStatuses[].name] | join(",")')" = app ]
	local i='.status.initContainerStatuses[0]' s='.status.initContainerStatuses[1]'
	[ "$(j "$i.state.terminated | tojson")" = \
		'{"exitCode":0,"reason":"Completed","startedAt":"2026-01-02T03:04:06Z","finishedAt":"2026-01-02T03:04:06Z","containerID":"podrun://web/init"}' ]
	[ "$(j "$i.ready")" = false ]
	[ "$(j "$i.started")" = false ]
	[ "$(j "$i.lastState | tojson")" = '{}' ]
	[ "$(j "$s.state | tojson")" = '{"running":{"startedAt":"2026-01-02T03:04:07Z"}}' ]
	[ "$(j "$s.ready")" = true ]
	[ "$(j "$s.started")" = true ]
	local a='.status.containerStatuses[0]'
	[ "$(j "$a.image")" = busybox:1.36 ]
	[ "$(j "$a.imageID")" = sha256:ccc ]
	[ "$(j "$a.containerID")" = podrun://web/app ]
	[ "$(j "$a.ready")" = true ]
	[ "$(j "$a.started")" = true ]
	[ "$(j "$a.restartCount")" = 2 ]
	[ "$(j "$a.state | tojson")" = '{"running":{"startedAt":"2026-01-02T03:05:00Z"}}' ]
	# no "signal": kubelet's convertContainerStatus never sets it
	[ "$(j "$a.lastState | tojson")" = \
		'{"terminated":{"exitCode":137,"reason":"OOMKilled","startedAt":"2026-01-02T03:04:07Z","finishedAt":"2026-01-02T03:04:59Z"}}' ]
	run validate "$BATS_TEST_TMPDIR/web.json"
	assert_success
}

@test "get -o json: a missing state file means the field is not set" {
	# only what today's supervisor has always written
	mkpod bare app:app
	ctr bare app state=Waiting reason=ContainerCreating restarts=0
	run podrun get bare -o json
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/bare.json"
	j() { jq -c "$1" "$BATS_TEST_TMPDIR/bare.json"; }
	[ "$(j .metadata.uid)" = null ]
	[ "$(j .metadata.name)" = '"bare"' ]
	[ "$(j .status.conditions)" = null ]
	[ "$(j .status.podIP)" = null ]
	[ "$(j .status.hostIP)" = null ]
	[ "$(j .status.startTime)" = null ]
	[ "$(j .status.qosClass)" = null ]
	[ "$(j .status.initContainerStatuses)" = null ]
	# no spec.json: a spec made of the state, so the object is still a Pod
	[ "$(j .spec)" = '{"containers":[{"name":"app","image":"busybox:1.36"}]}' ]
	[ "$(j .status.containerStatuses[0].imageID)" = '""' ]
	[ "$(j .status.containerStatuses[0].containerID)" = null ]
	[ "$(j .status.containerStatuses[0].state)" = '{"waiting":{"reason":"ContainerCreating"}}' ]
	[ "$(j .status.containerStatuses[0].lastState)" = '{}' ]
	[ "$(j .status.containerStatuses[0].ready)" = false ]
	run validate "$BATS_TEST_TMPDIR/bare.json"
	assert_success
}

@test "a pod whose supervisor died is Unknown, and nothing of it is ready" {
	make_web
	kill "$(cat "$PODRUN_ROOT/pods/web/supervisor.pid")"
	wait_for sh -c "! kill -0 $(cat "$PODRUN_ROOT/pods/web/supervisor.pid")"
	run podrun get web -o json
	assert_success
	[ "$(jq -r .status.phase <<<"$output")" = Unknown ]
	[ "$(jq -r '.status.conditions[] | select(.type == "Ready") | .status' <<<"$output")" = False ]
	[ "$(jq -r '[.status.containerStatuses[].ready, .status.initContainerStatuses[].ready] | any' <<<"$output")" = false ]
}

@test "every example's spec.json (podjson_write_spec) in a pod validates against the v1 Pod schema" {
	local p n=0
	write_examples
	for p in "$SPECS"/*/; do
		p=$(basename "$p")
		example_pod "$p" app:app
		all_true "$p"
		ctr "$p" app state=Running restarts=1 started_at=$T1 last_exit_code=1 last_reason=Error \
			last_started_at=$T0 last_finished_at=$T1
		n=$((n + 1))
	done
	[ "$n" -ge 7 ]
	run podrun get -o json
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/list.json"
	[ "$(jq -r .kind "$BATS_TEST_TMPDIR/list.json")" = List ]
	[ "$(jq -r '.items | length' "$BATS_TEST_TMPDIR/list.json")" = "$n" ]
	run validate "$BATS_TEST_TMPDIR/list.json"
	assert_success
	assert_output --partial "ok ($n pods)"
	# the defaults are in each of them
	run jq -r '.items[] | .spec.containers[] | [.terminationMessagePath, .imagePullPolicy] | join(" ")' \
		"$BATS_TEST_TMPDIR/list.json"
	refute_output --partial null
	assert_line --regexp '^/dev/termination-log (Always|IfNotPresent)$'
}

@test "env from the downward API: -o json as Kubernetes keeps it, describe as kubectl shows it" {
	write_examples
	example_pod downward side:sidecar app:app
	ctr downward side state=Running restarts=0 started_at=$T1
	ctr downward app state=Running restarts=0 started_at=$T1
	run podrun get downward -o json
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/d.json"
	run jq -c '.spec.containers[0].env[]' "$BATS_TEST_TMPDIR/d.json"
	assert_line --index 0 '{"name":"PLAIN","value":"x"}'
	assert_line --index 1 '{"name":"EMPTY"}'
	assert_line --index 2 '{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}}'
	assert_line --index 4 '{"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}}'
	assert_line --index 5 '{"name":"CPU_LIMIT","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu","divisor":"1m"}}}'
	assert_line --index 6 '{"name":"SIDE_MEM","valueFrom":{"resourceFieldRef":{"containerName":"side","resource":"requests.memory","divisor":"1Mi"}}}'
	assert_line --index 7 '{"name":"MEM_LIMIT","valueFrom":{"resourceFieldRef":{"resource":"limits.memory","divisor":"0"}}}'
	[ "${#lines[@]}" = 9 ]
	[ "$(jq -r '.spec.containers[0].readinessProbe.httpGet.port' "$BATS_TEST_TMPDIR/d.json")" = http ]
	[ "$(jq -r '.spec.containers[0].lifecycle.preStop.sleep.seconds' "$BATS_TEST_TMPDIR/d.json")" = 2 ]
	run validate "$BATS_TEST_TMPDIR/d.json"
	assert_success
	# kubectl describe: the value it can know, then where it comes from
	run podrun describe downward
	assert_success
	assert_line '      PLAIN:  x'
	assert_line '      POD_NAME:  downward (v1:metadata.name)'
	assert_line "      APP:  web (v1:metadata.labels['app.kubernetes.io/name'])"
	assert_line '      POD_IP:   (v1:status.podIP)'
	assert_line '      CPU_LIMIT:  500 (limits.cpu)'
	assert_line '      SIDE_MEM:  32 (requests.memory)'
	assert_line '      MEM_LIMIT:  67108864 (limits.memory)'
	assert_line '      SIDE_CPU:  node allocatable (limits.cpu)'
}

@test "a pod with the node's namespaces: get -o json/yaml and describe show what an audit looks for, and podrun takes the YAML back" {
	write_examples
	example_pod audit c:app
	ctr audit c state=Running restarts=0 started_at=$T1
	run podrun get audit -o json
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/a.json"
	j() { jq -c "$1" "$BATS_TEST_TMPDIR/a.json"; }
	[ "$(j '.spec | [.hostNetwork, .hostPID, .hostIPC]')" = '[true,true,true]' ]
	[ "$(j .spec.activeDeadlineSeconds)" = 60 ]
	[ "$(j '.spec | [.serviceAccountName, .serviceAccount]')" = '["foo","foo"]' ]
	# the Priority admission's: the class's value
	[ "$(j '.spec | [.priorityClassName, .priority]')" = '["system-node-critical",2000001000]' ]
	[ "$(j .spec.hostAliases)" = '[{"ip":"10.0.0.1","hostnames":["db.example","db"]}]' ]
	[ "$(j .spec.dnsConfig)" = \
		'{"nameservers":["1.1.1.1"],"searches":["x.local"],"options":[{"name":"ndots","value":"2"},{"name":"edns0"}]}' ]
	# the node's network: the container's port is the node's port
	[ "$(j .spec.containers[0].ports[0])" = '{"containerPort":8080,"hostPort":8080,"protocol":"TCP"}' ]
	[ "$(j .metadata.annotations)" = \
		'{"example.com/owner":"team-a","note":"a=b","description":"first line\nsecond line\n"}' ]
	run validate "$BATS_TEST_TMPDIR/a.json"
	assert_success
	# -o yaml: the same object, a multi-line annotation a plain string (no
	# "!" tag), and podrun takes it back (test_podjson's
	# spec_parses_back_the_same: as the same spec)
	podrun get audit -o yaml >"$BATS_TEST_TMPDIR/audit.yaml"
	grep -qx '  hostNetwork: true' "$BATS_TEST_TMPDIR/audit.yaml"
	run grep -n "! '" "$BATS_TEST_TMPDIR/audit.yaml"
	assert_failure
	run python3 -c '
import json, sys, yaml
j = json.load(open(sys.argv[1])); y = yaml.safe_load(open(sys.argv[2]))
print("same" if j == y else "differ")' "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/audit.yaml"
	assert_output same
	run podrun validate "$BATS_TEST_TMPDIR/audit.yaml"
	assert_success
	assert_output --partial 'pod audit: valid'
	# describe: kubectl's Priority, Service Account and Annotations, keys in
	# order, a value with newlines under its key; "Priority Class Name:"
	# widens kubectl's column to 22
	run podrun describe audit
	assert_success
	assert_line 'Priority:             2000001000'
	assert_line 'Priority Class Name:  system-node-critical'
	assert_line --regexp '^Service Account: +foo$'
	assert_line --regexp '^Labels: {15}app=audit$'
	assert_line --regexp '^Annotations: +description:$'
	assert_line --regexp '^ {22}  first line$'
	assert_line --regexp '^ {22}  second line$'
	assert_line --regexp '^ {22}example\.com/owner: team-a$'
	assert_line --regexp '^ {22}note: a=b$'
	# kubectl sorts the keys: the block as a whole, in that order
	[ "$(sed -n '/^Annotations:/,/^Status:/p' <<<"$output" | sed '$d; s/^Annotations://; s/^ *//' | paste -sd'|')" = \
		'description:|first line|second line|example.com/owner: team-a|note: a=b' ]
	# before Status, after Labels, in kubectl's order
	[ "$(grep -nE '^(Namespace|Priority|Priority Class Name|Service Account|Node|Labels|Annotations|Status):' <<<"$output" | cut -d: -f2 | paste -sd,)" = \
		'Namespace,Priority,Priority Class Name,Service Account,Node,Labels,Annotations,Status' ]
	# a pod without annotations
	make_web
	run podrun describe web
	assert_line --regexp '^Annotations: +<none>$'
}

@test "get -o json/yaml: serviceAccountName \"\" beside serviceAccount is the alias, and dnsConfig {} is kept, as the API server stores them" {
	write_examples
	example_pod alias c:app
	ctr alias c state=Running restarts=0 started_at=$T1
	run podrun get alias -o json
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/alias.json"
	j() { jq -c "$1" "$BATS_TEST_TMPDIR/alias.json"; }
	[ "$(j '.spec | [.serviceAccountName, .serviceAccount]')" = '["foo","foo"]' ]
	[ "$(j '.spec | has("dnsConfig")')" = true ]
	[ "$(j .spec.dnsConfig)" = '{}' ]
	run validate "$BATS_TEST_TMPDIR/alias.json"
	assert_success
	podrun get alias -o yaml >"$BATS_TEST_TMPDIR/alias.yaml"
	grep -qx '  dnsConfig: {}' "$BATS_TEST_TMPDIR/alias.yaml"
	grep -qx '  serviceAccountName: foo' "$BATS_TEST_TMPDIR/alias.yaml"
	grep -qx '  serviceAccount: foo' "$BATS_TEST_TMPDIR/alias.yaml"
	run podrun describe alias
	assert_success
	assert_line --regexp '^Service Account: +foo$'
	# priority 0 without a class, no class line, and kubectl's column of 18
	assert_line 'Priority:         0'
	refute_line --partial 'Priority Class Name'
	[ "$(j '.spec | [has("priorityClassName"), .priority]')" = '[false,0]' ]
}

@test "the schema check in these tests fails on a field Kubernetes does not know" {
	make_web
	podrun get web -o json | jq '.status.containerStatuses[0].ready = "yes"' >"$BATS_TEST_TMPDIR/bad.json"
	run validate "$BATS_TEST_TMPDIR/bad.json"
	assert_failure
	assert_output --partial "status/containerStatuses/0/ready: 'yes' is not of type 'boolean'"
}

@test "-o yaml is the same object as -o json, strings that look like numbers or bools quoted" {
	make_web
	podrun get web -o json >"$BATS_TEST_TMPDIR/web.json"
	podrun get web -o yaml >"$BATS_TEST_TMPDIR/web.yaml"
	run python3 -c '
import json, sys, yaml
j = json.load(open(sys.argv[1])); y = yaml.safe_load(open(sys.argv[2]))
print("same" if j == y else "differ")' "$BATS_TEST_TMPDIR/web.json" "$BATS_TEST_TMPDIR/web.yaml"
	assert_output same
	grep -qx 'kind: Pod' "$BATS_TEST_TMPDIR/web.yaml"
	grep -q 'flag: "true"' "$BATS_TEST_TMPDIR/web.yaml"
	grep -q 'zip: "0123"' "$BATS_TEST_TMPDIR/web.yaml"
	# a List too, and podrun takes its items back as Pods, as kubectl apply
	# does (a List was "items: unknown field")
	podrun get -o yaml >"$BATS_TEST_TMPDIR/all.yaml"
	grep -qx 'kind: List' "$BATS_TEST_TMPDIR/all.yaml"
	run podrun validate "$BATS_TEST_TMPDIR/all.yaml"
	assert_success
	assert_output --partial "pod web: valid"
}

# status POD: the STATUS column of `podrun get POD`
status_of() {
	podrun get "$1" | awk 'NR == 2 {print $3}'
}

@test "get: kubectl's table, STATUS as kubectl computes it" {
	make_web
	run podrun get
	assert_success
	assert_line --index 0 --regexp '^NAME +READY +STATUS +RESTARTS +AGE$'
	# the sidecar counts in READY; restarts with the last one's age
	assert_line --index 1 --regexp '^web +2/2 +Running +2 \([0-9a-z]+ ago\) +[0-9a-z]+$'
	# an init container running: Init:0/2
	mkpod ini i1:init i2:init app:app
	ctr ini i1 state=Running started=1 ready=0 restarts=0
	ctr ini app state=Waiting reason=PodInitializing
	[ "$(status_of ini)" = Init:0/2 ]
	ctr ini i1 state=Terminated exit_code=0 reason=Completed
	ctr ini i2 state=Waiting reason=CrashLoopBackOff restarts=3
	[ "$(status_of ini)" = Init:CrashLoopBackOff ]
	ctr ini i2 state=Terminated exit_code=1 reason=Error
	[ "$(status_of ini)" = Init:Error ]
	ctr ini i2 state=Terminated exit_code=0 reason=Completed
	echo "Initialized True $T1" >"$PODRUN_ROOT/pods/ini/conditions"
	[ "$(status_of ini)" = PodInitializing ]
	ctr ini app state=Waiting reason=CrashLoopBackOff restarts=4 last_exit_code=1 \
		last_reason=Error last_finished_at=$T1
	[ "$(status_of ini)" = CrashLoopBackOff ]
	ctr ini app state=Terminated exit_code=137 signal=9 reason=OOMKilled
	[ "$(status_of ini)" = OOMKilled ]
	ctr ini app state=Terminated exit_code=2 reason=Error
	[ "$(status_of ini)" = Error ]
	ctr ini app state=Terminated exit_code=0 reason=Completed
	echo Succeeded >"$PODRUN_ROOT/pods/ini/phase"
	[ "$(status_of ini)" = Completed ]
	run podrun get ini
	assert_line --index 1 --regexp '^ini +0/1 +Completed +4 \([0-9a-z]+ ago\) '
	# a terminated container without a reason: ExitCode:N
	ctr ini app state=Terminated exit_code=3 signal=0 reason=
	[ "$(status_of ini)" = ExitCode:3 ]
	# its supervisor gone: Unknown
	mkpod gone app:app
	echo 999999999 >"$PODRUN_ROOT/pods/gone/supervisor.pid"
	ctr gone app state=Running
	[ "$(status_of gone)" = Unknown ]
	run podrun get gone
	assert_line --index 1 --regexp '^gone +0/1 +Unknown +0 '
}

@test "get -o wide adds IP and NODE" {
	make_web
	run podrun get -o wide
	assert_success
	assert_line --index 0 --regexp '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$'
	assert_line --index 1 --regexp '^web +2/2 +Running .* 198\.18\.7\.2 +node1 +<none> +<none>$'
}

@test "get and describe of a pod that is not there: exit 1, kubectl's NotFound" {
	run podrun get nope
	assert_failure 1
	assert_output --partial 'pods "nope" not found'
	run podrun describe nope
	assert_failure 1
	assert_output --partial 'pods "nope" not found'
	run podrun get
	assert_success
	assert_output --partial 'No resources found'
}

@test "get of several pods: their rows in the order named, -o json a List of them; one that is not there is said, exit 1" {
	make_web
	mkpod db app:app
	run podrun get db web
	assert_success
	assert_line --index 1 --regexp '^db +'
	assert_line --index 2 --regexp '^web +2/2 +Running '
	run podrun get pods web nope db
	assert_failure 1
	assert_line 'podrun: pods "nope" not found (under '"$PODRUN_ROOT"')'
	assert_line --regexp '^web +2/2 +Running '
	assert_line --regexp '^db +'
	run podrun get web db -o json
	assert_success
	[ "$(jq -c '[.kind, [.items[].metadata.name]]' <<<"$output")" = '["List",["web","db"]]' ]
	# one named is the Pod itself, as before
	run podrun get db -o json
	[ "$(jq -r .kind <<<"$output")" = Pod ]
}

@test "describe of several pods, or of every pod (podrun describe, describe pods): one after the other without their events, as kubectl describe pods" {
	run podrun describe
	assert_success
	assert_output 'No resources found in default namespace.'
	make_web
	mkpod db app:app
	for args in "" "pods" "po"; do
		run podrun describe $args
		assert_success
		# in the order of the names, two empty lines between, no events
		assert_equal "$(grep -c '^Name:' <<<"$output")" 2
		assert_line --index 0 --regexp '^Name: +db$'
		refute_line --partial 'Events:'
		grep -qzP '\n\n\nName: +web\n' <<<"$output"
	done
	# one pod in the list: its events, as for one named
	rm -r "$PODRUN_ROOT/pods/db"
	run podrun describe pods
	assert_line 'Events:'
	# named ones in their order; one that is not there is said, the others
	# are described, and the exit status is 1
	mkpod db app:app
	run podrun describe web nope pod/db
	assert_failure 1
	assert_line 'podrun: pods "nope" not found (under '"$PODRUN_ROOT"')'
	refute_line --partial 'Events:'
	assert_equal "$(grep -E '^Name:' <<<"$output" | tr -s ' ')" "$(printf 'Name: web\nName: db')"
	# a name podrun would not make is a usage error, before anything is shown
	run podrun describe web ../db
	assert_failure 2
	refute_line --partial 'Name:'
}

@test "get and describe of a pod whose state cannot be read: the reason, not NotFound" {
	mkpod broken app:app
	rm "$PODRUN_ROOT/pods/broken/container_names"
	local cmd
	for cmd in "get broken" "get broken -o json" "describe broken"; do
		run podrun $cmd
		assert_failure 1
		refute_output --partial 'not found'
		assert_output --partial "pods/broken: not a pod's state (no container list)"
	done
	# a link where the list should be: open(2)'s reason
	ln -s /dev/null "$PODRUN_ROOT/pods/broken/container_names"
	run podrun describe broken
	assert_failure 1
	refute_output --partial 'not found'
	assert_output --regexp 'reading its container list: open\(.*/container_names\): Too many levels of symbolic links'
	# in the list it is a row of Unknown, as in podrun ps
	run podrun get
	assert_success
	assert_line --regexp '^broken +0/0 +Unknown '
}

@test "bad pod names and options are usage errors (exit 2), before any path is built" {
	local bad
	for bad in ../.. 'a/b' UPPER ''; do
		run podrun get "$bad"
		assert_failure 2
		assert_output --partial 'invalid pod name'
		run podrun describe "$bad"
		assert_failure 2
		run podrun wait --for=delete "$bad"
		assert_failure 2
		assert_output --partial 'invalid pod name'
	done
	run podrun get -o xml
	assert_failure 2
	run podrun wait web
	assert_failure 2
	assert_output --partial -- '--for is required'
	run podrun wait --for=condition=Ready --timeout soon web
	assert_failure 2
	run podrun wait --for=bogus web
	assert_failure 2
}

@test "describe: kubectl describe's sections, from the state" {
	make_web
	run podrun describe web
	assert_success
	assert_line --regexp '^Name: +web$'
	assert_line --regexp '^Namespace: +default$'
	assert_line --regexp '^Node: +node1/192\.168\.1\.10$'
	assert_line --regexp '^Start Time: +[A-Z][a-z][a-z], 02 Jan 2026 [0-9:]+ [-+][0-9]{4}$'
	assert_line --regexp '^Labels: +app=web$'
	assert_line --regexp '^ +flag=true$'
	assert_line --regexp '^Status: +Running$'
	assert_line --regexp '^IP: +198\.18\.7\.2$'
	assert_line 'IPs:'
	assert_line '  IP:  198.18.7.2'
	assert_line 'Init Containers:'
	assert_line '  init:'
	assert_line 'Containers:'
	assert_line '  app:'
	assert_line --regexp '^    Container ID: +podrun://web/app$'
	assert_line --regexp '^    Image: +busybox:1\.36$'
	assert_line --regexp '^    Image ID: +sha256:ccc$'
	assert_line --regexp '^    Port: +8080/TCP$'
	assert_line --regexp '^    Host Port: +8001/TCP$'
	assert_line --regexp '^    State: +Running$'
	assert_line --regexp '^    Last State: +Terminated$'
	assert_line --regexp '^      Reason: +OOMKilled$'
	assert_line --regexp '^      Exit Code: +137$'
	# kubelet never sets terminated.signal (convertContainerStatus): no
	# Signal line, though the state says 9 (podrun before this printed it)
	refute_line --partial 'Signal:'
	assert_line --regexp '^      Finished: +.*2026'
	assert_line --regexp '^    State: +Terminated$'
	assert_line --regexp '^      Reason: +Completed$'
	assert_line --regexp '^    Ready: +True$'
	assert_line --regexp '^    Restart Count: +2$'
	assert_line '    Limits:'
	assert_line --regexp '^      cpu: +500m$'
	assert_line '    Requests:'
	assert_line --regexp '^      memory: +32Mi$'
	# kubectl's DescribeProbe
	assert_line --regexp '^    Liveness: +exec \[cat /tmp/ok\] delay=3s timeout=1s period=10s #success=1 #failure=3$'
	assert_line --regexp '^    Readiness: +http-get http://:8080/healthz delay=0s timeout=2s period=5s #success=1 #failure=3$'
	assert_line --regexp '^    Startup: +tcp-socket :8080 delay=0s timeout=1s period=10s #success=1 #failure=30$'
	assert_line '    Environment:'
	assert_line '      MODE:  prod'
	assert_line '      /data from data (ro)'
	assert_line 'Conditions:'
	assert_line --regexp '^  Type +Status$'
	assert_line --regexp '^  PodReadyToStartContainers +True$'
	assert_line --regexp '^  Ready +True$'
	assert_line 'Volumes:'
	assert_line --regexp '^    Type: +EmptyDir \(a temporary directory that shares a pod.s lifetime\)$'
	assert_line --regexp '^    Medium: +Memory$'
	assert_line --regexp '^    Path: +/srv$'
	assert_line --regexp '^QoS Class: +Burstable$'
	assert_line 'Events:'
	assert_line --regexp '^  Type +Reason +Age +From +Message$'
	assert_line --regexp '^  Normal +Scheduled +[0-9a-z]+ +podrun +Successfully assigned default/web to node1$'
	assert_line --regexp '^  Normal +Started +[0-9a-z]+ +podrun +Started container app$'
	# a tab in a message stays part of the message
	assert_line --regexp '^  Warning +BackOff +[0-9a-z]+ +podrun +Back-off.restarting \(a tab\)$'
	# no events: <none>
	rm "$PODRUN_ROOT/pods/web/events"
	run podrun describe web
	assert_line --regexp '^Events: +<none>$'
}

# Proven: with each line of the events file printed as it is (get_cmd.c,
# describe_events before read_events), the Unhealthy lines come three times.
@test "describe folds an event recorded again into one line, as the API server's correlator: (x3 over AGE), ordered by the last time" {
	make_web
	local d=$PODRUN_ROOT/pods/web
	printf '%s\t%s\t%s\t%s\t%s\n' \
		"$T0" Normal Scheduled pod "Successfully assigned default/web to node1" \
		"$T0" Warning Unhealthy 'spec.containers{app}' "Readiness probe failed: boom" \
		"$T1" Warning Unhealthy 'spec.containers{app}' "Readiness probe failed: boom" \
		"$T1" Normal Killing 'spec.containers{app}' "Stopping container app" \
		"$T2" Warning Unhealthy 'spec.containers{app}' "Readiness probe failed: boom" \
		"$T2" Warning Unhealthy 'spec.containers{log}' "Readiness probe failed: boom" \
		>"$d/events"
	run podrun describe web
	assert_success
	local events
	events=$(sed -n '/^Events:/,$p' <<<"$output")
	[ "$(grep -c Unhealthy <<<"$events")" = 2 ] # app's three, log's one
	assert_line --regexp '^  Warning +Unhealthy +[0-9a-z]+ \(x3 over [0-9a-z]+\) +podrun +Readiness probe failed: boom$'
	# in the order of their last record: Scheduled, Killing, app's, log's
	[ "$(awk 'NR > 3 {print $2}' <<<"$events" | paste -sd' ')" = "Scheduled Killing Unhealthy Unhealthy" ]
}

# Proven: with escape_stdout() (podrun.c) not called, describe prints the
# ESC, BEL, CR and the C1 CSI raw, and the first check fails.
@test "describe and get escape the control characters a pod wrote; -o json keeps the same strings" {
	make_web
	local d=$PODRUN_ROOT/pods/web
	# an annotation that turns a terminal red and clears it (C1 CSI), a
	# termination message that sets its title and rings its bell, an event
	printf '{"name": "web", "annotations": {"note": "a\\u001b[31mred\\u0007 \\u009b2J\\tb"}}\n' \
		>"$d/metadata.json"
	ctr web init state=Terminated reason=Error exit_code=1 finished_at=$T0 \
		"message=$(printf 'bye\033]0;pwned\007\r')"
	printf '%s\t%s\t%s\t%s\t%s\n' "$T2" Warning Failed pod "$(printf 'x\033[2Jy')" >>"$d/events"
	run podrun describe web
	assert_success
	if LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' <<<"$output"; then
		echo "a raw control character in: $output" | cat -v
		return 1
	fi
	assert_line --regexp '^Annotations: +note: a\\u001b\[31mred\\u0007 \\u009b2J	b$'
	assert_line --regexp '^      Message: +bye\\u001b\]0;pwned\\u0007\\u000d$'
	assert_line --regexp '^  Warning +Failed +[0-9a-z]+ +podrun +x\\u001b\[2Jy$'
	run podrun get web -o json
	assert_success
	[ "$(jq -r .metadata.annotations.note <<<"$output")" = "$(printf 'a\033[31mred\007 \302\2332J\tb')" ]
	[ "$(jq -r '.status.initContainerStatuses[0].state.terminated.message' <<<"$output")" = \
		"$(printf 'bye\033]0;pwned\007\r')" ]
}

@test "wait --for=condition=Ready: at once when met, at the change, or 1 after the timeout" {
	make_web
	run podrun wait --for=condition=Ready web
	assert_success
	assert_output 'pod/web condition met'
	run podrun wait --for=condition=ready=true --timeout 0 web
	assert_success
	# not ready: the timeout, kubectl's words
	sed -i 's/^Ready True/Ready False/' "$PODRUN_ROOT/pods/web/conditions"
	local t0=$(date +%s%N)
	run podrun wait --for=condition=Ready --timeout 300ms web
	assert_failure 1
	assert_output --partial 'timed out waiting for the condition on pods/web'
	[ $(($(date +%s%N) - t0)) -ge 300000000 ]
	run podrun wait --for=condition=Ready=False --timeout 0 web
	assert_success
	# ready while it waits
	(sleep 0.3 && all_true web) &
	run podrun wait --for=condition=Ready --timeout 5s web
	assert_success
	assert_output 'pod/web condition met'
	# a pod that is not there
	run podrun wait --for=condition=Ready --timeout 1s nope
	assert_failure 1
	assert_output --partial 'pods "nope" not found'
}

@test "wait --for=jsonpath and --for=delete" {
	make_web
	run podrun wait "--for=jsonpath={.status.phase}=Running" web
	assert_success
	run podrun wait "--for=jsonpath={.status.containerStatuses[0].restartCount}=2" --timeout 0 web
	assert_success
	run podrun wait "--for=jsonpath={.status.phase}=Succeeded" --timeout 200ms web
	assert_failure 1
	assert_output --partial 'timed out waiting for the condition on pods/web'
	run podrun wait --for=delete --timeout 200ms web
	assert_failure 1
	(sleep 0.3 && rm -rf "$PODRUN_ROOT/pods/web") &
	run podrun wait --for=delete --timeout 5s web
	assert_success
	assert_output 'pod/web deleted'
	run podrun wait --for=delete --timeout 0 web
	assert_success
}

@test "wait for several pods, as kubectl wait: each in turn, all within one timeout; one that is not there or times out fails the wait, the others are still said" {
	make_web
	mkpod db app:app
	all_true db
	run podrun wait --for=condition=Ready web pod/db
	assert_success
	assert_output $'pod/web condition met\npod/db condition met'
	# web turns ready 1 s in, db never: the timeout of 2 s is the wait's,
	# not each pod's - db gets what web left of it
	sed -i 's/^Ready True/Ready False/' "$PODRUN_ROOT/pods/web/conditions" \
		"$PODRUN_ROOT/pods/db/conditions"
	(sleep 1 && all_true web) &
	local t0=$(date +%s%N)
	run podrun wait --for=condition=Ready --timeout 2s web db
	assert_failure 1
	assert_line 'pod/web condition met'
	assert_line --partial 'timed out waiting for the condition on pods/db'
	local took=$(($(date +%s%N) - t0))
	[ "$took" -ge 2000000000 ]
	[ "$took" -lt 2900000000 ]
	all_true db
	sed -i 's/^Ready True/Ready False/' "$PODRUN_ROOT/pods/web/conditions"
	run podrun wait --for=condition=Ready --timeout 0 web nope db
	assert_failure 1
	assert_line --partial 'timed out waiting for the condition on pods/web'
	assert_line --partial 'pods "nope" not found'
	assert_line 'pod/db condition met'
	run podrun wait --for=condition=Ready web ../db
	assert_failure 2
}

@test "a real pod: get -o json validates, wait for Ready, describe shows its events" {
	podrun_setup
	local f
	f=$(pod_file real <<-'EOF'
		apiVersion: v1
		kind: Pod
		metadata:
		  name: real
		  labels: {app: real}
		spec:
		  terminationGracePeriodSeconds: 1
		  initContainers:
		  - {name: init, image: busybox, command: ["true"]}
		  containers:
		  - name: app
		    image: busybox
		    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
		    resources:
		      limits: {cpu: 500m, memory: 64Mi}
	EOF
	)
	run podrun run -d "$f"
	assert_success
	run podrun wait --for=condition=Ready --timeout 10s real
	assert_success
	run podrun get real -o json
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/real.json"
	run validate "$BATS_TEST_TMPDIR/real.json"
	assert_success
	j() { jq -r "$1" "$BATS_TEST_TMPDIR/real.json"; }
	[ "$(j .metadata.uid)" = "$(cat "$PODRUN_ROOT/pods/real/uid")" ]
	[ "$(j .status.phase)" = Running ]
	[ "$(j .status.initContainerStatuses[0].state.terminated.reason)" = Completed ]
	# a completed init container is ready (kubelet's prober manager,
	# UpdatePodStatus), not started; podrun before this said ready: false
	[ "$(j .status.initContainerStatuses[0].ready)" = true ]
	[ "$(j .status.initContainerStatuses[0].started)" = false ]
	[ "$(j .status.containerStatuses[0].ready)" = true ]
	[ "$(j '.status.conditions[] | select(.type == "Initialized") | .status')" = True ]
	[ "$(j '.status.conditions[] | select(.type == "Ready") | .status')" = True ]
	[ "$(j .status.containerStatuses[0].state.running.startedAt)" != null ]
	# the effective stop signal: neither the container nor busybox names one
	[ "$(j .status.containerStatuses[0].stopSignal)" = SIGTERM ]
	[ "$(j .status.podIP)" = "$(cat "$PODRUN_ROOT/pods/real/ip")" ]
	# spec.json and metadata.json: podjson_write_spec, as the pod starts
	[ -f "$PODRUN_ROOT/pods/real/spec.json" ]
	[ "$(j .metadata.labels.app)" = real ]
	[ "$(j .spec.containers[0].resources.limits.memory)" = 64Mi ]
	[ "$(j .spec.dnsPolicy)" = ClusterFirst ]
	run podrun get real
	assert_line --index 1 --regexp '^real +1/1 +Running +0 +[0-9]+s$'
	run podrun describe real
	assert_success
	assert_line --regexp '^  Normal +Started +[0-9a-z]+ +podrun +.*app'
	# Init Containers: init's Ready, then Containers: app's
	[ "$(printf '%s\n' "$output" | grep -E '^    Ready: ' | tr -s ' ')" = "$(printf ' Ready: True\n Ready: True')" ]
	podrun stop -t 5s real >/dev/null
	run podrun wait "--for=jsonpath={.status.phase}=Succeeded" --timeout 10s real
	assert_success
	# the sandbox is gone: PodReadyToStartContainers False, as kubelet
	# reports it (KEP-3085); podrun before this left it True
	run podrun get real -o json
	assert_success
	[ "$(jq -r '.status.conditions[] | select(.type == "PodReadyToStartContainers") | .status' <<<"$output")" = False ]
	podrun rm real >/dev/null
	run podrun wait --for=delete --timeout 0 real
	assert_success
}
