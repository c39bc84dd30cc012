#!/usr/bin/env bats
# What kubelet writes for a pod and binds into its containers: /etc/hosts (the
# pod's IP and name, hostAliases), /etc/resolv.conf (dnsPolicy, dnsConfig),
# and the termination message (terminationMessagePath and its policy).

load ../helpers
load podrun

setup() {
	podrun_setup
}

@test "/etc/hosts names the pod by its IP, with hostAliases; resolv.conf follows dnsPolicy None and dnsConfig" {
	f=$(pod_file files <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: files}
spec:
  hostname: web
  terminationGracePeriodSeconds: 1
  hostAliases:
  - {ip: "198.18.99.1", hostnames: [db.local, cache.local]}
  dnsPolicy: None
  dnsConfig:
    nameservers: ["198.18.99.53"]
    searches: [svc.example]
    options: [{name: ndots, value: "2"}]
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
YAML
	)
	podrun run -d "$f"
	run podrun exec files -- cat /etc/hosts
	assert_line --regexp "^$(state files ip)	web$"
	assert_line "198.18.99.1	db.local	cache.local"
	run podrun exec files -- cat /etc/resolv.conf
	assert_output "nameserver 198.18.99.53
search svc.example
options ndots:2"
	run podrun exec files -- cat /etc/hostname
	assert_output web
	run podrun get files -o json
	[ "$(jq -r .spec.dnsPolicy <<<"$output")" = None ]
	podrun rm -f files
	assert_host_clean
}

@test "dnsPolicy None without nameservers is refused as the API server refuses it" {
	none() { # DNSCONFIG-LINE
		pod_file none <<YAML
apiVersion: v1
kind: Pod
metadata: {name: none}
spec:
  dnsPolicy: None
  $1
  containers:
  - {name: c, image: busybox, command: ["true"]}
YAML
	}
	run podrun validate "$(none "")"
	assert_failure 2
	assert_output --regexp ":5:14: spec.dnsConfig: Required value: must provide .dnsConfig. when .dnsPolicy. is None"
	run podrun validate "$(none "dnsConfig: {searches: [svc.example]}")"
	assert_failure 2
	assert_output --partial "spec.dnsConfig.nameservers: Required value"
}

@test "terminationMessagePath is read back; FallbackToLogsOnError takes the log's end when it is empty" {
	f=$(pod_file term <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: term}
spec:
  restartPolicy: Never
  containers:
  - name: own
    image: busybox
    command: ["sh", "-c", "echo 'disk full' > /tmp/why; exit 2"]
    terminationMessagePath: /tmp/why
  - name: fallback
    image: busybox
    command: ["sh", "-c", "echo first; echo 'last words'; exit 3"]
    terminationMessagePolicy: FallbackToLogsOnError
YAML
	)
	run podrun run "$f"
	assert_failure 1
	[ "$(state term containers/own/message)" = "disk full" ]
	run cat "$PODRUN_ROOT/pods/term/containers/fallback/message"
	assert_output --partial "last words"
	run podrun validate "$(pod_file badpol <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: badpol}
spec:
  containers:
  - {name: c, image: busybox, terminationMessagePolicy: Sometimes}
YAML
	)"
	assert_failure 2
	assert_output --partial 'Unsupported value: "Sometimes"'
	podrun rm -f term
	assert_host_clean
}
