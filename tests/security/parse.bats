#!/usr/bin/env bats
# The Pod YAML parser against hostile input: quantities are parsed in
# bounded steps (no signal, whatever the digits), duplicate keys are found
# in one pass with both lines named, nesting, annotations and what aliases
# expand to are bounded, a NUL never cuts a string short, and dnsConfig
# writes no line of its own into resolv.conf.
# Fields that bound or protect a pod and that podrun cannot honour fail
# closed: an error naming the line, unless --allow-unsupported.

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup --no-images
}

# A valid pod; $1 is inserted under metadata (annotations), $2 as a volume.
quantity_pod() { # NAME SIZELIMIT
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  containers:
  - name: main
    image: busybox
    command: ["true"]
  volumes:
  - name: v
    emptyDir: {sizeLimit: "$2"}
YAML
}

# Proven: with the bound on tiny fractions removed (spec.c,
# spec_parse_quantity: `} else if (0 && pow10 < -38) {`) "0.<130 zeros>1"
# makes 10^131 in 128 bits, which is 0: validate dies of SIGFPE (status 136).
@test "quantities: extreme sizeLimits give exit 0 or 2 with a message, never a signal" {
	local z130 z400 n400
	z130=$(printf '0%.0s' {1..130})
	z400=$(printf '0%.0s' {1..400})
	n400=$(printf '9%.0s' {1..400})
	local q
	for q in "0.$z130" "0.${z130}1" "0.${z400}1" "1.${z130}1" "0.${z130}1Ei" "${n400}" "1$z130" \
		"0.$n400" "1e-30" "1e30" "1e-999999999999999999999" "9Ei" "9223372036854775807" \
		"9223372036854775808" "18446744073709551615Ei" "-0.${z130}1" "1E" "1e" ".5" "5." \
		"" "+" "Ki" "0x10" "1.5.5" "1e+-3" "$(printf '1%.0s' {1..5000})k"; do
		run podrun validate "$(quantity_pod q "$q")"
		[ "$status" -lt 128 ] || { echo "sizeLimit \"${q:0:40}...\": status $status"; return 1; }
		[ "$status" -eq 0 ] || [ "$status" -eq 2 ]
		[ -n "$output" ]
	done
	# and the bounds are not the whole story: the value is right
	run podrun validate -v "$(quantity_pod q "0.${z130}1")"
	assert_success
	assert_output --partial "sizeLimit 1 bytes"
}

# 30,000 annotations "kN: v", one line each, from line 5 on
many_keys() { # NAME [DUPLICATE-OF-INDEX]
	{
		printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  annotations:\n' "$1"
		awk -v d="${2:-}" 'BEGIN { for (i = 0; i < 30000; i++) printf "    k%d: v\n", (d != "" && i == 29999) ? d : i }'
		printf 'spec:\n  containers:\n  - name: main\n    image: busybox\n    command: ["true"]\n'
	} >"$BATS_TEST_TMPDIR/$1.yaml"
	echo "$BATS_TEST_TMPDIR/$1.yaml"
}

# Proven: with the duplicate check skipped (spec.c, field_at: `if (0 && i == 0)`
# before check_duplicates) the duplicate validates (exit 0).
@test "keys: 30,000 annotations validate; a duplicate among them is reported with both lines" {
	run podrun validate "$(many_keys many)"
	assert_success
	assert_output --partial "pod many: valid"
	# k17 is on line 5 + 17 + 1 = 23; its duplicate is the last annotation, line 30005
	local f
	f=$(many_keys dup 17)
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "$f:30005:"
	assert_output --partial "duplicate key (first at line 23)"
}

# Proven: with MAX_DEPTH (spec.c) raised to 1000000, 100 levels give
# "spec.containers[0].env[0]: expected a mapping, got a list" instead.
@test "nesting: 100 levels deep is refused with file:line:col; 100,000 levels is no crash" {
	local f=$BATS_TEST_TMPDIR/deep.yaml
	{
		printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\n  annotations:\n    x: v\nspec:\n  containers:\n  - name: main\n    image: busybox\n    command: ["true"]\n    env: '
		printf '[%.0s' {1..100}
		printf ']%.0s' {1..100}
		printf '\n'
	} >"$f"
	run podrun validate "$f"
	assert_failure 2
	assert_output --regexp "^podrun: $f:[0-9]+:[0-9]+: nested more than [0-9]+ levels"
	{
		printf 'apiVersion: v1\nkind: Pod\nmetadata: '
		head -c 100000 /dev/zero | tr '\0' '['
		printf '\n'
	} >"$f"
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "nested more than"
}

# Proven: with the annotation total skipped (spec.c: `if (0 && !labels &&
# (total += ...` ) 300 KiB of annotations validate (exit 0).
@test "annotations: more than 256 KiB in total is refused (exit 2)" {
	local f=$BATS_TEST_TMPDIR/big.yaml
	{
		printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n  annotations:\n'
		local i
		for i in 1 2 3; do
			printf '    big%d: "%s"\n' "$i" "$(head -c 102400 /dev/zero | tr '\0' a)"
		done
		printf 'spec:\n  containers:\n  - name: main\n    image: busybox\n    command: ["true"]\n'
	} >"$f"
	run podrun validate "$f"
	assert_failure 2
	assert_output --regexp "^podrun: $f:[0-9]+:[0-9]+: .*annotations total more than"
	# 200 KiB is fine
	sed -i '/big3:/d' "$f"
	run podrun validate "$f"
	assert_success
}

# One 500 KB value, named by 1000 aliases in a file under 1 MiB. Walked, each
# alias was a copy: validate took 1 GB, the supervisor 1.5 GB, and spec.json
# filled the state tmpfs every pod shares; 60,000 aliases ran out of memory.
# Proven: with the byte bound off (spec.c, check_events: `else if (0 && a &&
# (bytes += ...`) validate exits 0 ("valid") after a second, at 1 GB.
@test "aliases: their strings are bounded in bytes, at the alias that crosses 3 MiB (exit 2)" {
	local f=$BATS_TEST_TMPDIR/bomb.yaml
	{
		printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: bomb}\nspec:\n  containers:\n'
		printf '  - name: main\n    image: busybox\n    command: ["true"]\n'
		printf '    env: [&e {name: E, value: "%s"}' "$(head -c 500000 /dev/zero | tr '\0' v)"
		printf '%.0s, *e' {1..1000}
		printf ']\n'
	} >"$f"
	run podrun validate "$f"
	assert_failure 2
	# the 6th alias, at column 500,056: the anchor's 500,010 bytes seven
	# times and the pod's own 83 are more than 3 MiB
	assert_output "podrun: $f:9:500056: alias *e: with its aliases expanded, the file's strings are more than 3145728 bytes (3 MiB)"
	# an alias inside its own anchor never ends
	printf 'apiVersion: v1\nkind: Pod\nmetadata: &m {name: loop, labels: *m}\n' >"$f"
	run podrun validate "$f"
	assert_failure 2
	assert_output "podrun: $f:3:35: alias *m: inside the value of its own anchor"
}

# "\0" in a double-quoted string is a NUL byte, and C's strings end there:
# the hostPath "/tmp\0/x" mounted /tmp, where a raw NUL is refused as binary.
# Proven: with the check off (spec.c, check_events: `if (0 && memchr(...`)
# validate exits 0 and -v says "hostPath /tmp".
@test "a NUL from an escape in a double-quoted string is refused at its line (exit 2)" {
	local f=$BATS_TEST_TMPDIR/nul.yaml
	printf '%s\n' 'apiVersion: v1' 'kind: Pod' 'metadata: {name: nul}' 'spec:' \
		'  containers: [{name: main, image: busybox, volumeMounts: [{name: v, mountPath: /v}]}]' \
		'  volumes: [{name: v, hostPath: {path: "/tmp\0/x"}}]' >"$f"
	run podrun validate -v "$f"
	assert_failure 2
	assert_output "podrun: $f:6:40: a NUL character (\\0) in a string: refused, it would cut the string short"
	sed -i 's|\\0|\\x00|' "$f"
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "$f:6:40: a NUL character"
}

# dnsConfig.searches and options[].value are written into the pod's
# resolv.conf; a newline in one added a nameserver line of the author's.
# Proven: with check_searches and check_option (spec.c) returning 0 at
# once, each validates (exit 0).
@test "dnsConfig: a search that is no DNS name, or whitespace in an option, is refused (exit 2)" {
	local f=$BATS_TEST_TMPDIR/dns.yaml line
	for line in 'searches: ["svc.example\nnameserver 203.0.113.66"]' \
		'options: [{name: ndots, value: "1\nnameserver 203.0.113.66"}]' \
		'options: [{name: "ndots:1 debug"}]'; do
		printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: dns}\nspec:\n  dnsConfig:\n    %s\n  containers: [{name: main, image: busybox}]\n' \
			"$line" >"$f"
		run podrun validate "$f"
		assert_failure 2
		assert_output --regexp "^podrun: $f:6:[0-9]+: spec\.dnsConfig\.(searches\[0\]|options\[0\]\.(value|name)): Invalid value: \"[^\"]*\": "
		# one line: the newline is shown as \n
		[ "${#lines[@]}" -eq 1 ]
	done
	assert_output --partial "must not contain whitespace"
}
