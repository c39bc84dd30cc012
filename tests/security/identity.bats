#!/usr/bin/env bats
# Who a container's processes are: runAsUser/runAsGroup, supplementalGroups,
# fsGroup, runAsNonRoot, allowPrivilegeEscalation (no_new_privs), and empty
# inheritable and ambient capability sets (runc CVE-2022-24769).

load ../helpers
load ../capstone/podrun

setup() {
	podrun_setup
}

loop='["sh", "-c", "id; while true; do sleep 0.1; done"]'

# sc_pod NAME POD-SC CONTAINER-SC: a pod of one looping busybox container,
# with these securityContexts (flow maps, {} for none).
sc_pod() {
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  securityContext: $2
  containers:
  - name: main
    image: busybox
    command: $loop
    securityContext: $3
YAML
}

user_pod() {
	pod_file user <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: user
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    supplementalGroups: [4000]
    fsGroup: 2000
  containers:
  - name: main
    image: busybox
    command: $loop
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    emptyDir: {}
YAML
}

# Proven: with set_user skipped (container.c, exec_in_container:
# `if (0 && set_user(cfg) < 0)`) id says uid=0 in the container and in exec.
@test "identity: runAsUser, runAsGroup, supplementalGroups and fsGroup, for the container and for exec" {
	run podrun run -d "$(user_pod)"
	assert_success
	wait_for grep -q uid= "$(data user)/logs/main/0.log"
	run podrun logs user
	assert_output --regexp "^uid=1000 gid=3000 groups=.*"
	assert_output --regexp "groups=.*\b2000\b"
	assert_output --regexp "groups=.*\b4000\b"
	run podrun exec user -- id
	assert_success
	assert_output --regexp "^uid=1000 gid=3000 groups=.*"
	assert_output --regexp "groups=.*\b2000\b"
	assert_output --regexp "groups=.*\b4000\b"
	refute_output --regexp "groups=.*\b0\("
	# the container's PID 1 too, seen from the host
	local main
	main=$(state user containers/main/pid)
	run grep -E '^(Uid|Gid|Groups):' "/proc/$main/status"
	assert_line --regexp '^Uid:\s+1000\s+1000\s+1000\s+1000$'
	assert_line --regexp '^Gid:\s+3000\s+3000\s+3000\s+3000$'
}

# 64 supplementalGroups (the most the spec takes), fsGroup and the primary
# group: 66. Proven: with podrun exec reading the container's groups into 64
# slots, as it once did, exec has 64.
@test "identity: exec gets every one of the container's groups, more than 64 too" {
	local g
	g=$(seq -s, 5001 5064)
	pod_file many <<YAML >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: many}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [$g]}
  containers:
  - {name: main, image: busybox, command: $loop}
YAML
	run podrun run -d "$BATS_TEST_TMPDIR/many.yaml"
	assert_success
	local main want
	main=$(state many containers/main/pid)
	want=$(awk '/^Groups:/ {$1 = ""; print}' "/proc/$main/status")
	[ "$(wc -w <<<"$want")" -eq 66 ]
	run podrun exec many -- sh -c 'awk "/^Groups:/ {\$1 = \"\"; print}" /proc/self/status'
	assert_success
	assert_output "$want"
}

# kubelet makes a missing subPath with its volume's mode: an emptyDir's 0777.
# Proven: with open_beneath's mkdirat mode 0755 and no fchmod, as it was,
# the touch is refused.
@test "identity: a non-root container writes in a subPath of an emptyDir it made" {
	pod_file sub <<YAML >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: sub}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "touch /data/f && ls -ldn /data"]
    volumeMounts: [{name: v, mountPath: /data, subPath: x/y}]
  volumes: [{name: v, emptyDir: {}}]
YAML
	run podrun run "$BATS_TEST_TMPDIR/sub.yaml"
	assert_success
	run podrun logs sub
	assert_output --regexp '^drwxrwxrwx +[0-9]+ 0 +0 '
	podrun rm sub
	assert_host_clean
}

# Proven: with the fsGroup block of pod.c skipped (`if (0 && sp->fs_group >= 0 ...)`)
# the emptyDir is group 0 without setgid, and the write as uid 1000 fails.
@test "identity: fsGroup makes the emptyDir the pod's group, setgid; files made in it are the group's" {
	run podrun run -d "$(user_pod)"
	assert_success
	run stat -c '%g %A' "$(data user)/volumes/data"
	assert_output --regexp '^2000 d.....s...$'
	run podrun exec user -- sh -c 'touch /data/f && stat -c %g /data/f'
	assert_success
	assert_output 2000
}

# groups_image TAG GROUP-FILE: the image groups:TAG in a store of the test's
# own (PODRUN_IMAGES: never the build's, which other tests use): busybox,
# then a layer whose /etc/passwd names uid 1000 "app" and whose /etc/group
# (a symlink that climbs out of the image: it means the image's file) is
# the text given.
groups_image() {
	local l=$BATS_TEST_TMPDIR/layer-$1
	[ -d "$PODLAB_BUILD/images/busybox/latest/rootfs" ] || skip "no images (make images)"
	mkdir -p "$l/etc"
	printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n' >"$l/etc/passwd"
	printf '%b' "$2" >"$l/etc/group.img"
	ln -s ../../../../../../etc/group.img "$l/etc/group"
	export PODRUN_IMAGES=$BATS_TEST_TMPDIR/store
	"$PODLAB_SRC/labs/03-shared-volume/mkoci.sh" --entrypoint null --cmd null \
		"$BATS_TEST_TMPDIR/$1.oci" "groups:$1" "$PODLAB_BUILD/images/busybox/latest/rootfs" "$l"
	podrun image load "$BATS_TEST_TMPDIR/$1.oci" >/dev/null
}

# app (uid 1000) is in extra (50000) and in a group named app (1500: its own
# by name, which containerd leaves out); root in wheel (10).
GROUPS_OK='root:x:0:\nwheel:x:10:root\napp:x:1500:app\nextra:x:50000:bob,app\nother:x:60000:bob\n'

# groups_pod NAME POLICY TAG: uid 1000 (app) and uid 0 of groups:TAG, with
# supplementalGroups [4000] and this supplementalGroupsPolicy ('' none).
groups_pod() {
	pod_file "$1" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsUser: 1000
    supplementalGroups: [4000]
    ${2:+supplementalGroupsPolicy: $2}
  containers:
  - name: app
    image: groups:$3
    command: $loop
  - name: root
    image: groups:$3
    command: $loop
    securityContext: {runAsUser: 0}
YAML
}

# Proven: with pod.c's container_groups asking for the image's groups
# under Strict as well (`if (1 || !sp->groups_strict)`) the Strict pod has
# 50000 and 10; with them never asked for (`if (0 && ...)`) the default one
# lacks them; with write_exec_config recording the pod's groups alone, as
# it did, exec's id says groups=4000.
@test "identity: Merge, the default, adds the groups the image's /etc/group lists the user in, in exec too; Strict does not" {
	groups_image ok "$GROUPS_OK"
	local pol want_app want_root
	for pol in '' Merge Strict; do
		if [ "$pol" = Strict ]; then
			want_app='uid=1000(app) gid=1000 groups=1000,4000'
			want_root='uid=0(root) gid=0(root) groups=0(root),4000'
		else
			want_app='uid=1000(app) gid=1000 groups=1000,4000,50000(extra)'
			want_root='uid=0(root) gid=0(root) groups=0(root),10(wheel),4000'
		fi
		run podrun run -d "$(groups_pod merge "$pol" ok)"
		assert_success
		wait_for grep -q uid= "$(data merge)/logs/app/0.log"
		wait_for grep -q uid= "$(data merge)/logs/root/0.log"
		run podrun logs -c app merge
		assert_output "$want_app"
		run podrun logs -c root merge
		assert_output "$want_root"
		run podrun exec -c app merge -- id
		assert_output "$want_app"
		run podrun exec -c root merge -- id
		assert_output "$want_root"
		# the kernel's view of the container's PID 1
		run grep '^Groups:' "/proc/$(state merge containers/app/pid)/status"
		if [ "$pol" = Strict ]; then
			assert_output --regexp '^Groups:\s+1000 4000\s*$'
		else
			assert_output --regexp '^Groups:\s+1000 4000 50000\s*$'
		fi
		podrun rm -f merge
	done
	assert_host_clean
}

# Proven: with groups_listing (image.c) skipping a bad line that lists the
# user, as it skips the others, the pod runs (exit 0) without group 7.
@test "identity: a bad /etc/group line that lists the user fails the run (exit 1) naming the image and the file; Strict does not read it" {
	groups_image bad 'root:x:0:\nextra:x:50000:app\nseven:x:7x:app\n'
	local f
	f=$(groups_pod bad '' bad)
	run podrun run -d "$f"
	assert_failure 1
	assert_output --partial "bad.yaml:11:5: container app: image docker.io/library/groups:bad: /etc/group in the image, line 3: lists app but is not name:password:GID:members"
	run podrun rm -f bad
	assert_host_clean
	run podrun run -d "$(groups_pod bad Strict bad)"
	assert_success
	wait_for grep -q uid= "$(data bad)/logs/app/0.log"
	run podrun logs -c app bad
	assert_output 'uid=1000(app) gid=1000 groups=1000,4000'
	podrun rm -f bad
	assert_host_clean
}

# Proven: with inheritable and ambient sets filled (container.c, set_caps:
# CAP_INHERITABLE set beside CAP_PERMITTED and every capability of the mask
# raised with cap_set_ambient instead of cap_reset_ambient) the non-root
# process keeps CapEff non-zero and the root one has CapInh/CapAmb non-zero.
@test "identity: a non-root container has no effective capabilities, in exec too" {
	run podrun run -d "$(user_pod)"
	assert_success
	local main
	main=$(state user containers/main/pid)
	run grep -E '^Cap(Eff|Prm|Amb):' "/proc/$main/status"
	assert_line --regexp '^CapEff:\s+0+$'
	assert_line --regexp '^CapPrm:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
	run podrun exec user -- grep -E '^Cap(Eff|Amb):' /proc/self/status
	assert_line --regexp '^CapEff:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
}

@test "identity: a root container has empty inheritable and ambient sets (runc CVE-2022-24769), in exec too" {
	run podrun run -d "$(sc_pod root '{}' '{}')"
	assert_success
	local main
	main=$(state root containers/main/pid)
	run grep -E '^Cap(Inh|Amb|Eff):' "/proc/$main/status"
	assert_line --regexp '^CapInh:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
	# not vacuous: root does hold the default set
	refute_line --regexp '^CapEff:\s+0+$'
	run podrun exec root -- grep -E '^Cap(Inh|Amb):' /proc/self/status
	assert_line --regexp '^CapInh:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
}

# Proven: with the check in pod.c skipped (`if (0 && sc->sec.run_as_non_root
# > 0 ...)`) the pod runs as root (exit 0).
# A container's command is looked for with its own credentials, not as the
# root with every capability that sets the container up: in a hostPID pod a
# command under /proc/PID/root of a host process would otherwise tell
# whether the host has a file (found by a look as root, then refused by
# execve) or not (not found). PID: this test's own shell, root on the host.
# Proven: with the look done first thing in exec_in_container, as root
# (stat, then execve after the drop), the host's file gives "Permission
# denied" and the missing one "No such file or directory".
@test "identity: the command is looked for as the container's user: a hostPID pod cannot tell which host files exist" {
	local secret u f
	secret=$(mktemp /tmp/podlab-secret.XXXXXX)
	defer "rm -f '$secret'"
	for u in 1000 0; do
		for f in "$secret" "$secret-missing"; do
			pod_file peek <<YAML >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: peek}
spec:
  hostPID: true
  securityContext: {runAsUser: $u}
  containers:
  - {name: main, image: busybox, command: ["/proc/$$/root$f"]}
YAML
			run podrun run -d "$BATS_TEST_TMPDIR/peek.yaml"
			assert_failure 1
			assert_output --partial "execve(/proc/$$/root$f): Permission denied"
			podrun rm -f peek
		done
	done
}

@test "identity: runAsNonRoot without runAsUser on a root image: CreateContainerConfigError, exit 1, host clean" {
	run podrun run -d "$(sc_pod nonroot '{}' '{runAsNonRoot: true}')"
	assert_failure 1
	assert_output --partial CreateContainerConfigError
	run podrun rm -f nonroot
	assert_host_clean
}

# Proven: with no_new_privs never set (container.c, exec_in_container:
# `bool nnp = false;`) NoNewPrivs is 0 by default; the escalation case
# then still passes.
@test "identity: no_new_privs by default, in exec too; off with allowPrivilegeEscalation: true" {
	run podrun run -d "$(pod_file nnp <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: nnp
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: strict
    image: busybox
    command: $loop
  - name: lax
    image: busybox
    command: $loop
    securityContext:
      allowPrivilegeEscalation: true
YAML
)"
	assert_success
	run grep NoNewPrivs "/proc/$(state nnp containers/strict/pid)/status"
	assert_output --regexp '^NoNewPrivs:\s+1$'
	run podrun exec -c strict nnp -- grep NoNewPrivs /proc/self/status
	assert_output --regexp '^NoNewPrivs:\s+1$'
	run grep NoNewPrivs "/proc/$(state nnp containers/lax/pid)/status"
	assert_output --regexp '^NoNewPrivs:\s+0$'
	run podrun exec -c lax nnp -- grep NoNewPrivs /proc/self/status
	assert_output --regexp '^NoNewPrivs:\s+0$'
}

# A null is not a false: the container's "runAsNonRoot: null" leaves the
# pod's true in force, its "allowPrivilegeEscalation: null" leaves
# no_new_privs on.
# Proven: with spec.c reading a null into an uninitialised bool (as it did
# until fuzz_spec found it), UBSan stops podrun at that load on the
# sanitizer build; on the regular build the result was whatever the stack
# held (test_spec's security/null_booleans_are_unset catches it there).
@test "identity: a container's null runAsNonRoot or allowPrivilegeEscalation is unset: the pod's runAsNonRoot holds, no_new_privs stays" {
	run podrun run -d "$(sc_pod nullroot '{runAsNonRoot: true}' '{runAsNonRoot: null}')"
	assert_failure 1
	assert_output --partial CreateContainerConfigError
	run podrun rm -f nullroot
	assert_host_clean
	run podrun run -d "$(sc_pod nullnnp '{}' '{allowPrivilegeEscalation: null}')"
	assert_success
	run grep NoNewPrivs "/proc/$(state nullnnp containers/main/pid)/status"
	assert_output --regexp '^NoNewPrivs:\s+1$'
}

# Proven: with the check in spec.c skipped (`if (0 && s->allow_privilege_escalation
# == 0 && ct->privileged)`) validate exits 0.
@test "identity: allowPrivilegeEscalation: false with privileged: true is a spec error (exit 2)" {
	local f
	f=$(sc_pod contra '{}' '{privileged: true, allowPrivilegeEscalation: false}')
	run podrun validate "$f"
	assert_failure 2
	assert_output --partial "allowPrivilegeEscalation"
	run podrun run -d "$f"
	assert_failure 2
	[ ! -e "$PODRUN_ROOT/pods/contra" ]
}

# The Elasticsearch pattern: a privileged init container sets a sysctl.
# containerd gives a privileged container /proc with nothing masked or
# read-only, a writable /sys and every device of the host; the app beside it
# keeps all of that hardened. (The sysctl is of the pod's network namespace:
# the host's own stays as it was.) Proven: with rootfs_mount_kernel_fs given
# false for privileged (container.c), the init container's sysctl fails with
# "Read-only file system" and the pod fails.
@test "identity: privileged: true gets a writable /proc/sys and /sys, nothing masked, the host's devices; the app beside it does not" {
	local host_start
	host_start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	run podrun run "$(pod_file priv <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: priv
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: sysctl
    image: busybox
    securityContext: {privileged: true}
    command:
    - sh
    - -c
    - |
      sysctl -w net.ipv4.ip_unprivileged_port_start=80
      awk '$5 == "/sys" {print "sys", $6}' /proc/self/mountinfo
      [ -c /dev/net/tun ] && echo "tun $(stat -c %t:%T /dev/net/tun)"
      grep -q "Timer List" /proc/timer_list && echo "timer_list shown"
  containers:
  - name: app
    image: busybox
    command:
    - sh
    - -c
    - |
      sysctl -w net.ipv4.ip_unprivileged_port_start=90 || echo "sysctl refused"
      awk '$5 == "/sys" {print "sys", $6}' /proc/self/mountinfo
      [ -e /dev/net/tun ] || echo "no tun"
      grep -q "Timer List" /proc/timer_list || echo "timer_list masked"
YAML
)"
	assert_success
	run podrun logs priv -c sysctl
	assert_line "net.ipv4.ip_unprivileged_port_start = 80"
	assert_line --regexp '^sys rw,'
	assert_line "tun a:c8"
	assert_line "timer_list shown"
	run podrun logs priv -c app
	assert_line "sysctl refused"
	assert_line --regexp '^sys ro,'
	assert_line "no tun"
	assert_line "timer_list masked"
	[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$host_start" ]
	podrun rm -f priv
	assert_host_clean
}

# runc's umask, 022, not the operator's: with 077 the workingDir the runtime
# makes and every file the command creates would be its owner's alone, and
# a container running as another user could not read them.
@test "identity: a container and its exec get umask 022 whatever podrun's is; a workingDir made for it is 0755" {
	f=$(pod_file mask <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: mask}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    workingDir: /srv/made/here
    command: ["sh", "-c", "umask; touch f; stat -c %a /srv/made/here f; sleep 3600"]
YAML
	)
	(umask 077 && podrun run -d "$f")
	wait_for grep -q " 644$" "$(data mask)/logs/main/0.log"
	run podrun logs mask
	assert_output "0022
755
644"
	run podrun exec mask -- sh -c 'umask'
	assert_output 0022
	podrun rm -f mask
	assert_host_clean
}
