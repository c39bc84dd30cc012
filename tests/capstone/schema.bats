#!/usr/bin/env bats
# Every example Pod is valid for Kubernetes: checked against the official v1
# Pod JSON schema, strict variant (tests/schema/README.md says where it comes
# from), with python3-jsonschema (Draft 7). YAML becomes JSON with
# python3-yaml; a file with several documents has each one checked.

load ../helpers

SCHEMA=$PODLAB_SRC/tests/schema/pod-v1-strict.json

# validate FILE...: one line per document, "FILE#N: ok" or "FILE#N: PATH: error".
validate() {
	python3 - "$SCHEMA" "$@" <<'PY'
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft7Validator(schema)
bad = 0
for f in sys.argv[2:]:
    for n, doc in enumerate(yaml.safe_load_all(open(f))):
        if doc is None:
            continue
        errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errs:
            print("%s#%d: %s: %s" % (f, n, "/".join(map(str, e.absolute_path)) or "(root)", e.message))
        if not errs:
            print("%s#%d: ok" % (f, n))
        bad += bool(errs)
sys.exit(1 if bad else 0)
PY
}

setup() {
	python3 -c 'import yaml, jsonschema' 2>/dev/null || skip "needs python3-yaml and python3-jsonschema"
}

@test "the vendored schema is the one its README names (sha256)" {
	run sha256sum "$SCHEMA"
	assert_output --partial 9691dc1944d72ff68967947df543c010ce87e279cb3a730c3d4a94e1f083c93f
}

@test "every example is a valid Kubernetes v1 Pod, every document of it" {
	local files=("$PODLAB_SRC"/examples/*.yaml)
	[ "${#files[@]}" -gt 0 ]
	[ -f "${files[0]}" ]
	run validate "${files[@]}"
	assert_success
	# every file produced at least one checked document
	for f in "${files[@]}"; do assert_line --partial "$f#0: ok"; done
}

@test "the schema is strict: an unknown field, a wrong type and a missing name are rejected" {
	cat >"$BATS_TEST_TMPDIR/ok.yaml" <<'Y'
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: c, image: busybox}
Y
	run validate "$BATS_TEST_TMPDIR/ok.yaml"
	assert_success
	# the same pod with one unknown field in the container
	sed 's/image: busybox/image: busybox, imagePullPolicyy: Always/' \
		"$BATS_TEST_TMPDIR/ok.yaml" >"$BATS_TEST_TMPDIR/unknown.yaml"
	run validate "$BATS_TEST_TMPDIR/unknown.yaml"
	assert_failure
	assert_output --partial "spec/containers/0: Additional properties are not allowed ('imagePullPolicyy' was unexpected)"
	# a second document that is wrong fails the file even when the first is right
	{ cat "$BATS_TEST_TMPDIR/ok.yaml"; echo ---; sed 's/name: c,/name: 7,/' "$BATS_TEST_TMPDIR/ok.yaml"; } >"$BATS_TEST_TMPDIR/two.yaml"
	run validate "$BATS_TEST_TMPDIR/two.yaml"
	assert_failure
	assert_line --partial "two.yaml#0: ok"
	assert_line --partial "two.yaml#1: spec/containers/0/name: 7 is not of type 'string'"
	sed 's/- {name: c, image: busybox}/- {image: busybox}/' "$BATS_TEST_TMPDIR/ok.yaml" >"$BATS_TEST_TMPDIR/noname.yaml"
	run validate "$BATS_TEST_TMPDIR/noname.yaml"
	assert_failure
	assert_output --partial "'name' is a required property"
}
