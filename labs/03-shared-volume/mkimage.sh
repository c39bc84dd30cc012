#!/bin/sh
# mkimage.sh IMAGES_DIR NAME TAG [HOSTFILE:/DEST ...]
#
# Build the container image NAME:TAG as a plain directory tree,
# IMAGES_DIR/NAME/TAG/rootfs, from the host's static busybox: one binary that
# is every command. Each HOSTFILE is copied to /DEST inside the image with its
# mode (lab 05 adds its static sidecar binaries this way).
#
# The applet links are made INSIDE the rootfs and are relative (usr/bin/wc ->
# ../../bin/busybox), so they mean the image's busybox wherever the tree is
# mounted, never a file of the host. Running it again updates the tree in
# place: it is idempotent, and safe while a container uses the image as its
# overlay lower layer (nothing is deleted and re-created).
set -eu

usage() {
	echo "usage: mkimage.sh IMAGES_DIR NAME TAG [HOSTFILE:/DEST ...]" >&2
	exit 2
}
[ $# -ge 3 ] || usage
images=$1 name=$2 tag=$3
shift 3

busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "mkimage.sh: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }

# NAME and TAG become path components: one plain component each.
for part in "$name" "$tag"; do
	case "$part" in
	"" | . | .. | */*) echo "mkimage.sh: bad image name or tag '$part'" >&2; exit 2 ;;
	esac
done

here=$(pwd)
root=$images/$name/$tag/rootfs
mkdir -p "$root"
cd "$root"

mkdir -p bin sbin usr/bin usr/sbin etc root tmp proc dev sys var/tmp run
chmod 0700 root
chmod 1777 tmp var/tmp

# cmp first: rewriting busybox would change a file a running container executes.
cmp -s "$busybox" bin/busybox || install -m 0755 "$busybox" bin/busybox

# "usr/bin/wc" -> "../../bin/busybox": as many ".." as the link has directories.
"$busybox" --list-full | while IFS= read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	dir=${applet%/*} up=
	while [ -n "$dir" ] && [ "$dir" != "$applet" ]; do
		up="../$up"
		case "$dir" in */*) dir=${dir%/*} ;; *) dir= ;; esac
	done
	target=${up}bin/busybox
	[ "$(readlink "$applet" 2>/dev/null)" = "$target" ] || ln -sfn "$target" "$applet"
done

cat >etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >etc/group <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
cat >etc/hosts <<'HOSTS'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
HOSTS
chmod 0644 etc/passwd etc/group etc/hosts

for spec in "$@"; do
	src=${spec%%:*} dest=${spec#*:}
	case "$spec" in *:*) ;; *) echo "mkimage.sh: '$spec' is not HOSTFILE:/DEST" >&2; exit 2 ;; esac
	case "$dest" in
	/*) ;;
	*) echo "mkimage.sh: destination '$dest' must be absolute" >&2; exit 2 ;;
	esac
	case "/$dest/" in
	*/../* | */./*) echo "mkimage.sh: destination '$dest' must not contain . or .." >&2; exit 2 ;;
	esac
	case "$src" in /*) ;; *) src=$here/$src ;; esac
	[ -f "$src" ] || { echo "mkimage.sh: $src: no such file" >&2; exit 1; }
	mode=$(stat -c %a "$src")
	mkdir -p ".${dest%/*}"
	cmp -s "$src" ".$dest" || install -m "$mode" "$src" ".$dest"
	chmod "$mode" ".$dest"
done
