#!/bin/sh
# mkoci.sh [OPTION]... OUT REF [LAYER...]
#
# Write an OCI image layout (image-spec's "image-layout.md") to OUT: the image
# REF whose layers are the LAYERs, bottom first. A LAYER that is a directory
# (a directory image mkimage.sh made, say) becomes one tar of its contents; a
# LAYER that is a file is a tar already and is taken as it is. Without LAYER
# the one layer is the busybox root filesystem mkimage.sh makes, so OUT is
# `make images`' busybox as an OCI image.
#
#   --entrypoint JSON   the config's Entrypoint (default ["/bin/sh","-c"];
#                       null: the image has none)
#   --cmd JSON          the config's Cmd (default ["echo hello from busybox"];
#                       null: none)
#   --env K=V           add to the config's Env (after PATH, Docker's default);
#                       repeatable
#   --workdir DIR       the config's WorkingDir (default /)
#   --user USER         the config's User (default: none, i.e. root)
#   --stop-signal SIG   the config's StopSignal (default: none, i.e. SIGTERM)
#   --plain             store the layers as plain tar, not tar+gzip
#
# A layout is files named by their sha256 under blobs/sha256/: every layer
# (compressed), the config (whose rootfs.diff_ids are the sha256 of each
# UNcompressed layer tar), the manifest (config + layers), and index.json
# pointing at the manifest with the reference as an annotation. A whiteout is
# just a file named .wh.NAME (or .wh..wh..opq) in a layer directory.
#
# Tools: tar, gzip, sha256sum and jq for the JSON. Layers are reproducible:
# names sorted, owner 0:0, mtime 0, gzip without a name or a time.
set -eu

usage() {
	sed -n '2,/^set/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

entrypoint='["/bin/sh","-c"]'
cmd='["echo hello from busybox"]'
env='["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'
workdir=/
user=
stop=
gzip=1
while [ $# -gt 0 ]; do
	case "$1" in
	--entrypoint) entrypoint=$2; shift 2 ;;
	--cmd) cmd=$2; shift 2 ;;
	--env) env=$(printf '%s' "$env" | jq -c --arg v "$2" '. + [$v]'); shift 2 ;;
	--workdir) workdir=$2; shift 2 ;;
	--user) user=$2; shift 2 ;;
	--stop-signal) stop=$2; shift 2 ;;
	--plain) gzip=0; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) echo "mkoci.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || usage
out=$1 ref=$2
shift 2
for j in "$entrypoint" "$cmd"; do
	printf '%s' "$j" | jq -e '. == null or (type == "array" and all(type == "string"))' \
		>/dev/null 2>&1 ||
		{ echo "mkoci.sh: '$j' is not null or a JSON array of strings" >&2; exit 2; }
done

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkoci.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ $# -eq 0 ]; then
	"$here/mkimage.sh" "$tmp/img" busybox latest
	set -- "$tmp/img/busybox/latest/rootfs"
fi

# Put a file into blobs/sha256/ under its digest; print "sha256:HEX SIZE".
blob() {
	d=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$tmp/oci/blobs/sha256/$d"
	echo "sha256:$d $(stat -c %s "$tmp/oci/blobs/sha256/$d")"
}

mkdir -p "$tmp/oci/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' >"$tmp/oci/oci-layout"
diffs='[]' layers='[]'
for dir in "$@"; do
	if [ -d "$dir" ]; then
		tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 \
			-C "$dir" -cf "$tmp/layer.tar" .
	elif [ -f "$dir" ]; then
		cp "$dir" "$tmp/layer.tar"
	else
		echo "mkoci.sh: $dir: no such directory or tar file" >&2
		exit 1
	fi
	diff="sha256:$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)"
	if [ "$gzip" = 1 ]; then
		gzip -n "$tmp/layer.tar"
		set -- $(blob "$tmp/layer.tar.gz")
		mt=application/vnd.oci.image.layer.v1.tar+gzip
	else
		set -- $(blob "$tmp/layer.tar")
		mt=application/vnd.oci.image.layer.v1.tar
	fi
	diffs=$(printf '%s' "$diffs" | jq -c --arg d "$diff" '. + [$d]')
	layers=$(printf '%s' "$layers" |
		jq -c --arg mt "$mt" --arg d "$1" --argjson s "$2" '. + [{mediaType: $mt, digest: $d, size: $s}]')
done

arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
jq -cn --arg arch "$arch" --argjson ep "$entrypoint" --argjson cmd "$cmd" --argjson env "$env" \
	--arg wd "$workdir" --arg user "$user" --arg stop "$stop" --argjson diffs "$diffs" '{
	architecture: $arch, os: "linux",
	config: ({Env: $env, WorkingDir: $wd}
	         + (if $ep == null then {} else {Entrypoint: $ep} end)
	         + (if $cmd == null then {} else {Cmd: $cmd} end)
	         + (if $user == "" then {} else {User: $user} end)
	         + (if $stop == "" then {} else {StopSignal: $stop} end)),
	rootfs: {type: "layers", diff_ids: $diffs}}' | tr -d '\n' >"$tmp/config"
set -- $(blob "$tmp/config")
jq -cn --arg d "$1" --argjson s "$2" --argjson layers "$layers" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $d, size: $s},
	layers: $layers}' | tr -d '\n' >"$tmp/manifest"
set -- $(blob "$tmp/manifest")
# The tag goes into ref.name, the whole reference into containerd's annotation.
tag=${ref##*/}
case "$tag" in *:*) tag=${tag##*:} ;; *) tag=latest ;; esac
jq -cn --arg d "$1" --argjson s "$2" --arg ref "$ref" --arg tag "$tag" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
	             annotations: {"io.containerd.image.name": $ref,
	                           "org.opencontainers.image.ref.name": $tag}}]}' >"$tmp/oci/index.json"

rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$tmp/oci" "$out"
