/*
 * rootfs.h - a container's root filesystem: an overlay of its image, the
 * kernel filesystems a process expects (/proc, /dev, /dev/shm, /sys), and the
 * pivot_root that makes it "/".
 *
 * All of it runs inside the container's own, new mount namespace, in this
 * order:
 *   rootfs_make_private -> rootfs_mount_overlay -> rootfs_mount_kernel_fs
 *   -> (volumes: vol_mount) -> rootfs_pivot -> rootfs_finish
 * and rootfs_cleanup runs on the host once that namespace is gone.
 */
#ifndef PODLAB_ROOTFS_H
#define PODLAB_ROOTFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct rootfs {
	char merged[PATH_MAX]; /* where the new root is mounted before the pivot */
	char upper[PATH_MAX];  /* "" when the image is used read-only directly */
	char work[PATH_MAX];
};

/* Resolve an image reference "[registry/]name[:tag]" to IMAGES/name/tag/rootfs.
 * images_dir NULL: $PODRUN_IMAGES, else the build's images directory.
 * A missing image fails with ENOENT and a message naming the path looked for. */
int rootfs_image_path(const char *images_dir, const char *image, char *out, size_t len);

/* mount --make-rprivate /: nothing we mount propagates back to the host. */
int rootfs_make_private(void);

/* Mount lower under state_dir/merged as an overlay with state_dir/upper and
 * state_dir/work. lower is one directory (a directory image, lab 03) or a
 * stack of layer directories "TOP:...:BOTTOM" (an OCI image: img_lowerdir),
 * each checked: a directory, no ',' or '\' in its path. The whole option
 * string must fit in one page (4096 bytes, mount(2)'s limit): ENAMETOOLONG
 * otherwise. state_dir NULL: no upper, the root is read-only - one directory
 * is bound onto itself, a stack becomes a read-only overlay of the layers
 * mounted over the top layer's path (in this mount namespace only). Creates
 * the directories it needs. The root is nodev: a device node made in it
 * cannot be opened. An upper made by this call is mounted volatile (never
 * synced: it is thrown away with its container); an upper that was mounted
 * so cannot be mounted again (EEXIST, with a message saying why). */
int rootfs_mount_overlay(const char *lower, const char *state_dir, struct rootfs *out);

/* Mount /proc, a minimal /dev (a nodev tmpfs; null zero full random urandom
 * tty bound from the host; /dev/pts, /dev/shm, /dev/mqueue, the std* links)
 * and /sys read-only under root. Without own_shm /dev/shm is left an empty
 * directory, for a volume to be mounted on: the pod's shared one. A
 * privileged container's are containerd's: /proc with nothing masked or
 * read-only, /sys writable, and every device node of the host in a /dev
 * that is not nodev. */
int rootfs_mount_kernel_fs(const char *root, bool own_shm, bool privileged);

/* pivot_root into root and detach the old root, the way crun does it:
 * chdir(root); pivot_root(".", "."); umount2(".", MNT_DETACH); chdir("/"). */
int rootfs_pivot(const char *root);

/* After the pivot: remount / read-only if asked. */
int rootfs_finish(bool readonly_root);

/* Remove what rootfs_mount_overlay created under state_dir (upper, work,
 * merged), from the host, after the container's mount namespace is gone. */
int rootfs_cleanup(const char *state_dir);

#endif
