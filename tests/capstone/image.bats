#!/usr/bin/env bats
# podrun image load|ls|inspect|rm: OCI layouts, OCI and docker archives, the
# content-addressed layer store, and archives built to attack the unpacker.
#
# Every image here is built by the test itself: layer directories (whiteouts
# are files named .wh.NAME, an opaque directory holds .wh..wh..opq), tarred
# and hashed into an OCI layout by labs/03-shared-volume/mkoci.sh (tar,
# sha256sum, jq); hostile tars are written with Python's tarfile, which
# writes whatever names and types it is given.

load ../helpers
load podrun

setup() {
	podrun_setup --no-images
	T=$BATS_TEST_TMPDIR
	# A store of the test's own: $PODRUN_DATA/images, the default when
	# PODRUN_IMAGES is unset (never the build's store, which pods use).
	unset PODRUN_IMAGES
	export PODRUN_DATA=$T/data
	S=$PODRUN_DATA/images
	MKOCI=$PODLAB_SRC/labs/03-shared-volume/mkoci.sh
	# Something outside every layer that an escape would reach.
	mkdir -p "$T/outside"
	echo "the host's file" >"$T/outside/victim"
}

# Three layers: the bottom has /etc/motd and /data/{a,b}; the middle deletes
# /etc/motd (whiteout), replaces /data (opaque) with /data/c, and adds
# /etc/new; the top adds /usr/bin/hello.
make_layers() {
	mkdir -p "$T/l1/etc" "$T/l1/data" "$T/l2/etc" "$T/l2/data" "$T/l3/usr/bin"
	echo "lower motd" >"$T/l1/etc/motd"
	echo "kept" >"$T/l1/etc/keep"
	echo "lower a" >"$T/l1/data/a"
	echo "lower b" >"$T/l1/data/b"
	: >"$T/l2/etc/.wh.motd"
	: >"$T/l2/data/.wh..wh..opq"
	echo "upper c" >"$T/l2/data/c"
	echo "new" >"$T/l2/etc/new"
	printf '#!/bin/sh\necho hello\n' >"$T/l3/usr/bin/hello"
	chmod 0755 "$T/l3/usr/bin/hello"
}

build_oci() { # OUT REF LAYER...
	"$MKOCI" --entrypoint '["/usr/bin/hello"]' --cmd '["--loud"]' --env GREETING=hi \
		--workdir /data --user 1000:1000 "$@"
}

# The same image as `docker save` writes it (the format before Docker 25):
# manifest.json, the config as HEX.json, each layer an uncompressed N/layer.tar.
build_docker() { # OCI DIR OUT.tar
	local oci=$1 out=$2 d=$T/docker.$RANDOM man cfg i=0 layers='[]' l
	mkdir -p "$d"
	man=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$oci/index.json")
	cfg=$(jq -r '.config.digest | sub("sha256:"; "")' "$oci/blobs/sha256/$man")
	cp "$oci/blobs/sha256/$cfg" "$d/$cfg.json"
	for l in $(jq -r '.layers[].digest | sub("sha256:"; "")' "$oci/blobs/sha256/$man"); do
		mkdir -p "$d/$i"
		gzip -dc "$oci/blobs/sha256/$l" >"$d/$i/layer.tar"
		layers=$(jq -c --arg p "$i/layer.tar" '. + [$p]' <<<"$layers")
		i=$((i + 1))
	done
	jq -cn --arg c "$cfg.json" --argjson l "$layers" --arg t "$3" \
		'[{Config: $c, RepoTags: [$t], Layers: $l}]' >"$d/manifest.json"
	tar -C "$d" -cf "$out" .
}

# Nothing of a refused load is left: the store's directories are empty.
store_empty() {
	run find "$S/layers" "$S/configs" "$S/refs" "$S/tmp" -mindepth 1
	assert_output ""
}

# Mount the overlay of REF's layers (plus an upper) in a private mount
# namespace and run CMD in the merged directory.
in_merged() { # REF CMD...
	local ref=$1 lower
	shift
	lower=$(podrun image inspect "$ref" | jq -r .LowerDir)
	mkdir -p "$T/ov/upper" "$T/ov/work" "$T/ov/merged"
	unshare -m --propagation private sh -c \
		'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/merged" &&
		 cd "$2/merged" && shift 2 && "$@"' sh "$lower" "$T/ov" "$@"
}

# A one-layer OCI image from a tar Python writes: py_tar OUT.tar <<'PY' ... PY
# (the script gets `t`, an open tarfile, and helpers reg/sym/hard).
py_tar() {
	python3 -c '
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT)
def reg(name, data=b"x", **kw):
    i = tarfile.TarInfo(name); i.size = len(data); [setattr(i, k, v) for k, v in kw.items()]
    t.addfile(i, io.BytesIO(data))
def other(name, type, **kw):
    i = tarfile.TarInfo(name); i.type = type; [setattr(i, k, v) for k, v in kw.items()]
    t.addfile(i)
exec(sys.stdin.read())
t.close()' "$1"
}

hostile() { # NAME: build $T/NAME.oci from the Python on stdin, a one-layer image
	py_tar "$T/$1.tar"
	"$MKOCI" --plain "$T/$1.oci" "evil/$1:1" "$T/$1.tar"
}

@test "image load: an OCI layout with three layers, its config and references" {
	make_layers
	build_oci "$T/img.oci" example.com/team/app:1.0 "$T/l1" "$T/l2" "$T/l3"
	run podrun image load "$T/img.oci"
	assert_success
	assert_output "Loaded image: example.com/team/app:1.0"
	# one directory per layer, named by the sha256 of its uncompressed tar
	[ "$(ls "$S/layers" | wc -l)" -eq 3 ]
	for l in $(jq -r '.rootfs.diff_ids[] | sub("sha256:"; "")' "$S"/configs/*.json); do
		[ -d "$S/layers/$l" ]
	done
	run podrun image inspect example.com/team/app:1.0
	assert_success
	[ "$(jq -c .Config.Entrypoint <<<"$output")" = '["/usr/bin/hello"]' ]
	[ "$(jq -c .Config.Cmd <<<"$output")" = '["--loud"]' ]
	[ "$(jq -r '.Config.Env[1]' <<<"$output")" = GREETING=hi ]
	[ "$(jq -r .Config.WorkingDir <<<"$output")" = /data ]
	[ "$(jq -r .Config.User <<<"$output")" = 1000:1000 ]
	# the lowerdir stack is top first: the third layer's directory leads
	local top
	top=$(jq -r '.Layers[2] | sub("sha256:"; "")' <<<"$output")
	[ "$(jq -r '.LowerDir | split(":")[0]' <<<"$output")" = "$S/layers/$top" ]
	[ "$(jq -r '.LowerDir | split(":") | length' <<<"$output")" = 3 ]
	run podrun image ls
	assert_line --partial "example.com/team/app:1.0"
	assert_line --partial "$(jq -r '.Id | sub("sha256:"; "") | .[0:12]' <<<"$(podrun image inspect example.com/team/app:1.0)")"
}

@test "image load: whiteouts become 0:0 devices, opaque dirs an xattr; the overlay shows the merged view" {
	make_layers
	build_oci "$T/img.oci" app:1 "$T/l1" "$T/l2" "$T/l3"
	podrun image load "$T/img.oci"
	local mid
	mid=$S/layers/$(jq -r '.rootfs.diff_ids[1] | sub("sha256:"; "")' "$S"/configs/*.json)
	# in the middle layer, as overlayfs wants them
	[ "$(stat -c '%F %t:%T' "$mid/etc/motd")" = "character special file 0:0" ]
	[ ! -e "$mid/etc/.wh.motd" ]
	[ ! -e "$mid/data/.wh..wh..opq" ]
	[ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$mid/data")" = y ]
	# and mounted: the whiteout hides the lower file, the opaque dir the lower entries
	run in_merged app:1 sh -c 'ls etc; echo --; ls data; echo --; cat etc/keep; ./usr/bin/hello'
	assert_success
	assert_output "$(printf 'keep\nnew\n--\nc\n--\nkept\nhello')"
}

@test "image load: a docker save archive of the same image shares its ID and its layers" {
	make_layers
	build_oci "$T/img.oci" app:1 "$T/l1" "$T/l2" "$T/l3"
	build_docker "$T/img.oci" "$T/img.tar" app:docker
	podrun image load "$T/img.oci"
	local layers_before
	layers_before=$(ls "$S/layers")
	run podrun image load "$T/img.tar"
	assert_success
	assert_output "Loaded image: docker.io/library/app:docker"
	[ "$(podrun image inspect app:1 | jq -r .Id)" = "$(podrun image inspect app:docker | jq -r .Id)" ]
	[ "$(ls "$S/layers")" = "$layers_before" ]
	# the docker image alone, in a fresh store, mounts the same merged view
	rm -rf "$S"
	podrun image load "$T/img.tar"
	run in_merged app:docker sh -c 'ls etc data'
	assert_output "$(printf 'data:\nc\n\netc:\nkeep\nnew')"
}

@test "image load: an OCI archive (a tar of the layout) loads like the layout" {
	make_layers
	build_oci "$T/img.oci" app:1 "$T/l1" "$T/l2"
	tar -C "$T/img.oci" -czf "$T/img.oci.tar.gz" .
	run podrun image load "$T/img.oci.tar.gz"
	assert_success
	assert_output "Loaded image: docker.io/library/app:1"
	run in_merged app:1 cat etc/keep
	assert_output kept
}

@test "image rm: a layer two images share stays until the last of them goes" {
	make_layers
	mkdir -p "$T/l4" && echo other >"$T/l4/other"
	build_oci "$T/a.oci" a:1 "$T/l1" "$T/l2"
	build_oci "$T/b.oci" b:1 "$T/l1" "$T/l4"
	podrun image load "$T/a.oci"
	podrun image load "$T/b.oci"
	[ "$(ls "$S/layers" | wc -l)" -eq 3 ]
	local shared
	shared=$(podrun image inspect a:1 | jq -r '.Layers[0] | sub("sha256:"; "")')
	run podrun image rm a:1
	assert_success
	assert_output "Deleted: a:1"
	[ "$(ls "$S/layers" | wc -l)" -eq 2 ]
	[ -d "$S/layers/$shared" ]
	run podrun image inspect a:1
	assert_failure 1
	assert_output --partial "docker.io/library/a:1: not loaded"
	run podrun image rm b:1
	assert_success
	store_empty
}

@test "image references: normalised as Kubernetes does, found by tag and by digest" {
	make_layers
	build_oci "$T/img.oci" busybox "$T/l1"
	podrun image load "$T/img.oci"
	for ref in busybox busybox:latest docker.io/busybox docker.io/library/busybox:latest; do
		run podrun image inspect "$ref"
		assert_success
		[ "$(jq -r .Reference <<<"$output")" = docker.io/library/busybox:latest ]
	done
	local digest
	digest=$(jq -r '.manifests[0].digest' "$T/img.oci/index.json")
	run podrun image inspect "busybox@$digest"
	assert_success
	run podrun image inspect "busybox@sha256:$(printf '0%.0s' {1..64})"
	assert_failure 1
	run podrun image inspect BusyBox
	assert_failure 1
	assert_output --partial "lowercase"
}

# ---- hostile input: refused with a clear error, nothing left in the store ----------

@test "hostile: an entry with .. (tar slip) is refused" {
	hostile slip <<<'reg("ok"); reg("a/../../../outside/victim", b"pwned")'
	run podrun image load "$T/slip.oci"
	assert_failure 1
	assert_output --partial "'..' leaves the layer"
	[ "$(cat "$T/outside/victim")" = "the host's file" ]
	store_empty
}

@test "hostile: an absolute path is refused" {
	hostile abs <<<"reg('$T/outside/victim', b'pwned')"
	run podrun image load "$T/abs.oci"
	assert_failure 1
	assert_output --partial "absolute path"
	[ "$(cat "$T/outside/victim")" = "the host's file" ]
	store_empty
}

@test "hostile: a file written through a symlink that points out is refused" {
	hostile symlink <<<"other('out', tarfile.SYMTYPE, linkname='$T/outside'); reg('out/victim', b'pwned')"
	run podrun image load "$T/symlink.oci"
	assert_failure 1
	assert_output --partial "goes through the symlink 'out'"
	[ "$(cat "$T/outside/victim")" = "the host's file" ]
	store_empty
}

@test "hostile: a symlink then a directory through a relative symlink is refused" {
	hostile relsym <<<"other('d', tarfile.SYMTYPE, linkname='../../../../../..$T/outside'); other('d/sub', tarfile.DIRTYPE); reg('d/sub/f')"
	run podrun image load "$T/relsym.oci"
	assert_failure 1
	assert_output --partial "goes through the symlink 'd'"
	[ ! -e "$T/outside/sub" ]
	store_empty
}

@test "hostile: hard links to files outside the layer are refused" {
	hostile hard1 <<<"other('h', tarfile.LNKTYPE, linkname='../../../../$T/outside/victim')"
	run podrun image load "$T/hard1.oci"
	assert_failure 1
	assert_output --partial "'..' leaves the layer"
	hostile hard2 <<<"other('h', tarfile.LNKTYPE, linkname='$T/outside/victim')"
	run podrun image load "$T/hard2.oci"
	assert_failure 1
	assert_output --partial "absolute path"
	# through a symlink of the layer's own
	hostile hard3 <<<"other('s', tarfile.SYMTYPE, linkname='$T/outside'); other('h', tarfile.LNKTYPE, linkname='s/victim')"
	run podrun image load "$T/hard3.oci"
	assert_failure 1
	assert_output --partial "goes through the symlink 's'"
	[ "$(stat -c %h "$T/outside/victim")" = 1 ]
	store_empty
}

@test "hostile: a blob whose bytes do not match its digest is refused" {
	make_layers
	build_oci "$T/img.oci" app:1 "$T/l1"
	local man layer
	man=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$T/img.oci/index.json")
	layer=$T/img.oci/blobs/sha256/$(jq -r '.layers[0].digest | sub("sha256:"; "")' "$T/img.oci/blobs/sha256/$man")
	# the same tar, compressed differently: a valid layer, but not these bytes
	gzip -dc "$layer" | gzip -1 >"$T/other.gz"
	cp "$T/other.gz" "$layer"
	run podrun image load "$T/img.oci"
	assert_failure 1
	assert_output --partial "blob digest mismatch"
	store_empty
	# a manifest edited after it was hashed
	build_oci "$T/img2.oci" app:1 "$T/l1"
	man=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$T/img2.oci/index.json")
	sed -i 's/"schemaVersion":2/"schemaVersion":2 /' "$T/img2.oci/blobs/sha256/$man"
	run podrun image load "$T/img2.oci"
	assert_failure 1
	assert_output --partial "digest mismatch"
	store_empty
}

@test "hostile: a layer whose tar is not the config's diffID is refused" {
	make_layers
	build_docker_bad() {
		build_oci "$T/img.oci" app:1 "$T/l1"
		build_docker "$T/img.oci" "$T/ok.tar" app:1
		mkdir "$T/d" && tar -C "$T/d" -xf "$T/ok.tar"
		# docker's layer.tar has no digest of its own: the diffID is all there is
		tar -C "$T/l2" -cf "$T/d/0/layer.tar" .
		tar -C "$T/d" -cf "$T/bad.tar" .
	}
	build_docker_bad
	run podrun image load "$T/bad.tar"
	assert_failure 1
	assert_output --partial "diffID mismatch"
	store_empty
}

@test "hostile: a truncated layer blob is refused" {
	make_layers
	head -c 300000 /dev/urandom >"$T/l1/big"
	build_oci "$T/img.oci" app:1 "$T/l1"
	local man layer
	man=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$T/img.oci/index.json")
	layer=$T/img.oci/blobs/sha256/$(jq -r '.layers[0].digest | sub("sha256:"; "")' "$T/img.oci/blobs/sha256/$man")
	truncate -s 100000 "$layer"
	run podrun image load "$T/img.oci"
	assert_failure 1
	assert_output --partial "layer sha256:"
	store_empty
	# and a truncated archive of the whole layout
	build_oci "$T/img2.oci" app:1 "$T/l1"
	tar -C "$T/img2.oci" -cf "$T/img2.tar" .
	truncate -s 200000 "$T/img2.tar"
	run podrun image load "$T/img2.tar"
	assert_failure 1
	store_empty
}

@test "hostile: a layer bomb - too many entries, or one entry declaring a huge size - is refused" {
	hostile many <<<'[reg("f%d" % i) for i in range(500)]'
	run podrun image load --max-entries 100 "$T/many.oci"
	assert_failure 1
	assert_output --partial "more than 100 entries"
	store_empty
	# the same layer under a roomier limit loads: the limit is what refused it
	run podrun image load --max-entries 1000 "$T/many.oci"
	assert_success
	podrun image rm evil/many:1
	# a header that declares 1 TiB (and then ends): refused before a byte is written
	python3 -c '
import sys, tarfile
i = tarfile.TarInfo("huge"); i.size = 1 << 40
with open(sys.argv[1], "wb") as f:
    f.write(i.tobuf(tarfile.GNU_FORMAT))' "$T/huge.tar"
	"$MKOCI" --plain "$T/huge.oci" evil/huge:1 "$T/huge.tar"
	run podrun image load "$T/huge.oci"
	assert_failure 1
	assert_output --partial "declares 1099511627776 bytes, over the limit"
	store_empty
	# a gzip bomb: 64 MiB of zeros in a 64 KiB blob, against a 16 MiB limit
	mkdir "$T/zeros" && head -c 64M /dev/zero >"$T/zeros/z"
	"$MKOCI" "$T/zeros.oci" evil/zeros:1 "$T/zeros"
	run podrun image load --max-layer-size 16777216 "$T/zeros.oci"
	assert_failure 1
	assert_output --partial "over the limit of 16777216"
	store_empty
}

@test "hostile: device nodes are not created (the layer loads without them)" {
	hostile dev <<<"other('dev', tarfile.DIRTYPE, mode=0o755); other('dev/sda', tarfile.BLKTYPE, devmajor=8, devminor=0); other('dev/mem', tarfile.CHRTYPE, devmajor=1, devminor=1); reg('etc/ok')"
	run podrun image load "$T/dev.oci"
	assert_success
	local layer
	layer=$S/layers/$(jq -r '.rootfs.diff_ids[0] | sub("sha256:"; "")' "$S"/configs/*.json)
	[ -f "$layer/etc/ok" ]
	[ -d "$layer/dev" ]
	run find "$layer/dev" -mindepth 1
	assert_output ""
}

@test "image load: not an image, a missing path and bad usage get clear errors" {
	mkdir "$T/empty"
	run podrun image load "$T/empty"
	assert_failure 1
	assert_output --partial "no oci-layout or manifest.json"
	store_empty
	run podrun image load "$T/nope"
	assert_failure 1
	assert_output --partial "$T/nope"
	run podrun image load
	assert_failure 2
	run podrun image frobnicate
	assert_failure 2
	assert_output --partial "unknown command 'frobnicate'"
	run podrun image load --max-entries many "$T/empty"
	assert_failure 2
}

# ---- pods run images: the config applied as Kubernetes does ---------------------------
# Each test loads what it runs into its own store: `make images`' busybox
# layout, or its directory image as the bottom layer of an image of the test's.

# The busybox layout `make images` built (lab 03's lab.mk), loaded here.
load_busybox() {
	[ -f "$PODLAB_BUILD/oci/busybox-latest/index.json" ] || skip "no images (make images)"
	podrun image load "$PODLAB_BUILD/oci/busybox-latest" >/dev/null
}

# app:1 - busybox, then a layer with /usr/bin/greet, which prints its
# arguments, three variables and its working directory.
build_greet() {
	[ -d "$PODLAB_BUILD/images/busybox/latest/rootfs" ] || skip "no images (make images)"
	mkdir -p "$T/greet/usr/bin" "$T/greet/srv"
	printf '#!/bin/sh\necho "args:$*"\necho "GREETING=$GREETING LEVEL=$LEVEL EXTRA=$EXTRA"\npwd\n' \
		>"$T/greet/usr/bin/greet"
	chmod 0755 "$T/greet/usr/bin/greet"
	"$MKOCI" --entrypoint '["/usr/bin/greet"]' --cmd '["--from-cmd"]' --env GREETING=hi \
		--env LEVEL=image --workdir /srv "$T/greet.oci" app:1 \
		"$PODLAB_BUILD/images/busybox/latest/rootfs" "$T/greet"
	podrun image load "$T/greet.oci" >/dev/null
}

@test "pod: no command runs the image's Entrypoint+Cmd; args replace Cmd; command drops Cmd; image Env under the pod's" {
	build_greet
	local f
	f=$(pod_file greet <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: greet
spec:
  restartPolicy: Never
  containers:
  - name: defaults
    image: app:1
  - name: with-args
    image: app:1
    args: ["--from-args", "two"]
    env:
    - name: LEVEL
      value: pod
    - name: EXTRA
      value: e
  - name: with-command
    image: app:1
    command: ["/usr/bin/greet"]
    workingDir: /tmp
EOF
	)
	run podrun validate -v "$f"
	assert_success
	assert_line "  app defaults: image app:1, argv (the image's Entrypoint) (the image's Cmd)"
	run podrun run "$f"
	assert_success
	[ "$(state greet)" = Succeeded ]
	run podrun logs -c defaults greet
	assert_output "$(printf 'args:--from-cmd\nGREETING=hi LEVEL=image EXTRA=\n/srv')"
	run podrun logs -c with-args greet
	assert_output "$(printf 'args:--from-args two\nGREETING=hi LEVEL=pod EXTRA=e\n/srv')"
	run podrun logs -c with-command greet
	assert_output "$(printf 'args:\nGREETING=hi LEVEL=image EXTRA=\n/tmp')"
	# the image's variables first, the pod's LEVEL in its place, EXTRA after
	run tr '\0' '\n' <"$PODRUN_ROOT/pods/greet/containers/with-args/env"
	assert_output "$(printf 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nGREETING=hi\nLEVEL=pod\nEXTRA=e')"
	podrun rm greet
	assert_host_clean
}

@test "pod: the image's User - names from its /etc/passwd and /etc/group, read beneath its layers" {
	load_busybox
	mkdir -p "$T/users/etc" "$T/users/srv"
	printf 'root:x:0:0::/root:/bin/sh\napp:x:1234:2345::/srv:/bin/sh\n' >"$T/users/etc/passwd.img"
	printf 'root:x:0:\nstaff:x:3456:app\n' >"$T/users/etc/group.img"
	# symlinks an image may hold: they mean the image's files, never the host's
	ln -s /etc/passwd.img "$T/users/etc/passwd"
	ln -s ../../../../../etc/group.img "$T/users/etc/group"
	local i
	for i in named:app:staff numeric:1234 ghost:ghost; do
		"$MKOCI" --entrypoint null --cmd '["id"]' --user "${i#*:}" "$T/${i%%:*}.oci" \
			"users:${i%%:*}" "$PODLAB_BUILD/images/busybox/latest/rootfs" "$T/users"
		podrun image load "$T/${i%%:*}.oci" >/dev/null
	done
	local f
	f=$(pod_file users <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: users
spec:
  restartPolicy: Never
  containers:
  - name: named
    image: users:named
  - name: numeric
    image: users:numeric
    securityContext:
      runAsNonRoot: true
  - name: pod-wins
    image: users:named
    securityContext:
      runAsUser: 1234
      runAsGroup: 77
  - name: busybox
    image: busybox
    command: ["id"]
EOF
	)
	run podrun run "$f"
	assert_success
	run podrun logs -c named users
	assert_output "uid=1234(app) gid=3456(staff) groups=3456(staff)"
	# a uid alone takes its primary group from the image's /etc/passwd
	run podrun logs -c numeric users
	assert_output "uid=1234(app) gid=2345 groups=2345,3456(staff)"
	run podrun logs -c pod-wins users
	assert_output "uid=1234(app) gid=77 groups=77,3456(staff)"
	run podrun logs -c busybox users
	assert_output "uid=0(root) gid=0(root) groups=0(root)"
	# what `podrun exec` will use, kept as state
	[ "$(state users containers/named/uid)" = 1234 ]
	[ "$(state users containers/named/gid)" = 3456 ]
	podrun rm users
	# a user the image does not have: refused before anything exists
	sed -i '0,/image: users:named/s//image: users:ghost/' "$f"
	run podrun run "$f"
	assert_failure 1
	assert_output --partial "users.yaml:8:5: container named: image docker.io/library/users:ghost: image user \"ghost\": no user ghost in the image's /etc/passwd"
	assert_host_clean
}

@test "pod: runAsNonRoot checks the image's User when runAsUser is unset" {
	load_busybox
	"$MKOCI" --entrypoint null --cmd '["id"]' --user app "$T/a.oci" named:1 \
		"$PODLAB_BUILD/images/busybox/latest/rootfs"
	podrun image load "$T/a.oci" >/dev/null
	local f
	f=$(pod_file nonroot <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: nonroot
spec:
  securityContext:
    runAsNonRoot: true
  containers:
  - name: app
    image: busybox
EOF
	)
	run podrun run -d "$f"
	assert_failure 1
	assert_output --partial "CreateContainerConfigError: container has runAsNonRoot and image will run as root"
	assert_host_clean
	sed -i 's/image: busybox/image: named:1/' "$f"
	run podrun run -d "$f"
	assert_failure 1
	assert_output --partial "CreateContainerConfigError: container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root"
	assert_host_clean
}

@test "pod: imagePullPolicy IfNotPresent and Never are accepted silently, Always is an error" {
	local f
	f=$(pod_file pull <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: pull
spec:
  containers:
  - name: a
    image: busybox
    imagePullPolicy: IfNotPresent
  - name: b
    image: busybox
    imagePullPolicy: Never
EOF
	)
	run podrun validate "$f"
	assert_success
	assert_output "$f: pod pull: valid (0 init containers, 2 containers, 0 volumes)"
	sed -i 's/Never/Always/' "$f"
	run podrun validate "$f"
	assert_failure 2
	assert_output "podrun: $f:12:22: spec.containers[1].imagePullPolicy: \"Always\": images must be loaded with podrun image load: podrun pulls nothing"
}

# A pod whose two containers name busybox by two spellings of its reference.
busybox_user() {
	pod_file user-of-busybox <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: user-of-busybox
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: init
    image: busybox
    command: ["true"]
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    command: ["sleep", "3600"]
EOF
}

@test "image rm: refused while a pod's container uses the image, allowed once the pod is gone" {
	load_busybox
	local f
	f=$(busybox_user)
	run podrun run -d "$f"
	assert_success
	# by any spelling of the reference
	run podrun image rm busybox:latest
	assert_failure 1
	assert_output --partial "image docker.io/library/busybox:latest: in use by a pod"
	run podrun image inspect busybox
	assert_success
	# a pod that ended holds nothing: stopped, its image may go
	podrun stop user-of-busybox
	run podrun image rm busybox
	assert_success
	assert_output "Deleted: busybox"
	podrun rm user-of-busybox
	# a state it cannot trust is no answer: rm refuses, the image stays
	chmod 0777 "$PODRUN_ROOT"
	defer "chmod 0700 '$PODRUN_ROOT'"
	load_busybox
	run podrun image rm busybox
	assert_failure 1
	assert_output --partial "which images pods use: $PODRUN_ROOT: mode 0777 lets others write to it"
	chmod 0700 "$PODRUN_ROOT"
	run podrun image inspect busybox
	assert_success
	assert_host_clean
}

# kubelet's getPhase: a pod whose app container was never started is
# Pending, whatever else runs (pause here). Proven: with init_pod_phase
# (lab 04) not asking started_once, the phase is Running, 0/1.
@test "a pod whose only app container has no image is Pending, not Running" {
	run podrun run -d "$PODLAB_SRC/tests/capstone/bad/image-not-built.yaml"
	assert_failure 1
	defer "podrun rm -f bad"
	run podrun get bad -o json
	assert_success
	jq -e '.status.phase == "Pending"' <<<"$output"
	jq -e '.status.containerStatuses[0].state.waiting.reason == "ErrImageNeverPull"' <<<"$output"
	run podrun ps
	assert_line --regexp '^bad +Pending +0/1 '
	run podrun get bad
	assert_line --regexp '^bad +0/1 +ErrImageNeverPull '
}

@test "a missing image keeps the pod: the container waits, ErrImageNeverPull, and starts once the image is loaded" {
	[ -f "$PODLAB_BUILD/oci/busybox-latest/index.json" ] || skip "no images (make images)"
	local f
	f=$(busybox_user)
	# kubelet with imagePullPolicy Never (podrun pulls nothing): the
	# sandbox comes up, the container waits, run -d says why
	run podrun run -d "$f"
	assert_failure 1
	assert_output --partial "user-of-busybox.yaml:8:5: pod user-of-busybox: container init: ErrImageNeverPull: Container image \"busybox\" is not present with pull policy of Never"
	assert_output --partial "podrun image load"
	defer "podrun rm -f user-of-busybox"
	run podrun get user-of-busybox -o json
	assert_success
	jq -e '.status.phase == "Pending"' <<<"$output"
	jq -e '.status.initContainerStatuses[0].state.waiting.reason == "ErrImageNeverPull"' <<<"$output"
	jq -e '.status.initContainerStatuses[0].state.waiting.message | test("not present with pull policy of Never")' <<<"$output"
	jq -e '.status.containerStatuses[0].state.waiting.reason == "PodInitializing"' <<<"$output"
	jq -e '.status.initContainerStatuses[0].restartCount == 0' <<<"$output"
	run podrun get user-of-busybox
	assert_output --partial "Init:ErrImageNeverPull"
	run podrun describe user-of-busybox
	assert_output --regexp "Warning +ErrImageNeverPull .*Container image \"busybox\" is not present"
	# the store is asked again at each try: once loaded, the pod runs
	load_busybox
	run podrun wait --for=condition=Ready --timeout 20s user-of-busybox
	assert_success
	run podrun get user-of-busybox -o json
	jq -e '.status.phase == "Running"' <<<"$output"
	jq -e '.status.initContainerStatuses[0].state.terminated.reason == "Completed"' <<<"$output"
	jq -e '.status.containerStatuses[0].imageID | startswith("sha256:")' <<<"$output"
	# and what uses it holds it
	run podrun image rm busybox
	assert_failure 1
	podrun rm -f user-of-busybox
	assert_host_clean
}

@test "a pod stopped while its container waits for its image is Failed: that container never ran" {
	local f
	f=$(pod_file never-ran <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: never-ran
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: nosuch:1
    command: ["true"]
EOF
	)
	run podrun run -d "$f"
	assert_failure 1
	defer "podrun rm -f never-ran"
	podrun stop never-ran
	[ "$(state never-ran)" = Failed ]
	podrun rm -f never-ran
	assert_host_clean
}

@test "an image gone from the store after its container ran: the restart waits, ErrImageNeverPull, lastState kept" {
	load_busybox
	local f
	f=$(pod_file flaky <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: flaky}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "sleep 0.3; exit 3"]
EOF
	)
	podrun run -d "$f"
	defer "podrun rm -f flaky"
	# the store goes away while the container runs (a moved store: image rm
	# refuses an image in use); its restart finds the image missing
	mv "$S" "$S.gone"
	defer "[ -d '$S.gone' ] && mv '$S.gone' '$S'"
	wait_for grep -qx ErrImageNeverPull "$PODRUN_ROOT/pods/flaky/containers/app/reason"
	# its message is written after the reason
	wait_for grep -q "not present with pull policy of Never" \
		"$PODRUN_ROOT/pods/flaky/containers/app/message"
	run podrun get flaky -o json
	jq -e '.status.containerStatuses[0].state.waiting.message | test("not present with pull policy of Never")' <<<"$output"
	jq -e '.status.containerStatuses[0].lastState.terminated.exitCode == 3' <<<"$output"
	# back: the next try runs it again
	mv "$S.gone" "$S"
	wait_for grep -qx Running "$PODRUN_ROOT/pods/flaky/containers/app/state"
	podrun rm -f flaky
	assert_host_clean
}

# Proven: with init.c sending SIGTERM whatever the member's stop_signal, the
# container ignores it and is SIGKILLed at the end of the grace period (137).
@test "pod: the image's StopSignal is what a stop sends, as containerd sends it, and the status reports; a StopSignal that is no signal is refused at load" {
	[ -d "$PODLAB_BUILD/images/busybox/latest/rootfs" ] || skip "no images (make images)"
	mkdir -p "$T/empty-layer"
	"$MKOCI" --stop-signal SIGUSR1 "$T/quits.oci" quits:1 \
		"$PODLAB_BUILD/images/busybox/latest/rootfs" "$T/empty-layer"
	podrun image load "$T/quits.oci" >/dev/null
	run podrun image inspect quits:1
	[ "$(jq -r .Config.StopSignal <<<"$output")" = SIGUSR1 ]
	local hp=$T/hp f
	mkdir -p "$hp"
	f=$(pod_file quits <<YAML
apiVersion: v1
kind: Pod
metadata: {name: quits}
spec:
  terminationGracePeriodSeconds: 30
  volumes: [{name: v, hostPath: {path: $hp}}]
  containers:
  - name: c
    image: quits:1
    command: ["sh", "-c", "trap '' TERM; trap 'echo usr1 >> /v/log; exit 0' USR1; echo up >> /v/log; while :; do sleep 0.05; done"]
    volumeMounts: [{name: v, mountPath: /v}]
YAML
	)
	podrun run -d "$f"
	# the traps are set before "up": a signal before them would be lost
	# (PID 1 of a pid namespace has no default action for it)
	wait_for grep -q up "$hp/log"
	# the status reports the image's as the effective stop signal
	run podrun get quits -o json
	[ "$(jq -r '.status.containerStatuses[0].stopSignal' <<<"$output")" = SIGUSR1 ]
	# a bound, not a timing: a SIGTERM would be ignored for 30 s
	run timeout 20 "$PODRUN_BIN" stop quits
	assert_success
	[ "$(cat "$hp/log")" = "up
usr1" ]
	[ "$(state quits containers/c/exit_code)" = 0 ]
	podrun rm -f quits

	"$MKOCI" --stop-signal SIGNOPE "$T/bad.oci" bad:1 "$T/empty-layer"
	run podrun image load "$T/bad.oci"
	assert_failure 1
	assert_output --partial 'StopSignal "SIGNOPE" is not a signal'
	run podrun image inspect bad:1
	assert_failure
	assert_host_clean
}
