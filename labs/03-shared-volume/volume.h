/*
 * volume.h - Pod volumes: emptyDir and hostPath, prepared on the host and
 * bind-mounted into each container that names them.
 *
 * The mount is the dangerous part: the destination lies inside a root the
 * container controls, so it is resolved beneath that root without following
 * any symlink out of it (openat2 RESOLVE_IN_ROOT) and the mount is made on
 * the resulting fd (open_tree, move_mount), never on a path string that could
 * be swapped between check and use (runc CVE-2021-30465, kubelet
 * CVE-2017-1002101, CVE-2021-25741).
 */
#ifndef PODLAB_VOLUME_H
#define PODLAB_VOLUME_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

enum vol_kind { VOL_EMPTYDIR, VOL_HOSTPATH };

/* hostPath.type, with Kubernetes' semantics. */
enum vol_hostpath_type {
	VOL_HP_ANY,                 /* "" : no check */
	VOL_HP_DIRECTORY_OR_CREATE, /* created 0755 when missing */
	VOL_HP_DIRECTORY,
	VOL_HP_FILE_OR_CREATE, /* created 0644 when missing (not its parent) */
	VOL_HP_FILE,
	VOL_HP_SOCKET,
	VOL_HP_CHAR_DEVICE,
	VOL_HP_BLOCK_DEVICE,
};

struct vol_spec {
	const char *name;
	enum vol_kind kind;
	/* emptyDir */
	bool memory;         /* medium: Memory -> tmpfs */
	uint64_t size_limit; /* bytes, 0 = none; a tmpfs's size= (on disk: vol_usage) */
	/* hostPath */
	const char *path;
	enum vol_hostpath_type type;
};

struct volume {
	char name[64];
	enum vol_kind kind;
	char host_path[PATH_MAX]; /* what gets bind-mounted */
	bool is_dir;
	bool tmpfs; /* a tmpfs we mounted and must unmount */
	/* A hostPath of type CharDevice or BlockDevice: the one volume whose mount
	 * keeps device access. Every other one is mounted nodev, so a device node
	 * a container makes with mknod in it cannot be opened. */
	bool devices;
	/* A hostPath's type, checked again at vol_mount on the file that is
	 * mounted: the path may have changed since vol_prepare (VOL_HP_ANY:
	 * no check, as for a volume made by hand). */
	enum vol_hostpath_type type;
	/* A tmpfs in no mount table (vol_tmpfs_detached): the volume is the
	 * mount mnt_fd holds, and host_path only names it in messages. */
	bool detached;
	int mnt_fd;
};

/* "DirectoryOrCreate" -> VOL_HP_DIRECTORY_OR_CREATE; EINVAL + message otherwise. */
int vol_hostpath_type_parse(const char *s, enum vol_hostpath_type *out);
const char *vol_hostpath_type_name(enum vol_hostpath_type t);

/* Make the volume exist on the host: emptyDir as pod_dir/volumes/NAME (a
 * tmpfs for medium Memory), hostPath checked against its type. A failed check
 * says what was expected and what was found. */
int vol_prepare(const struct vol_spec *spec, const char *pod_dir, struct volume *out);

/* Open path beneath root_fd, never leaving it (RESOLVE_IN_ROOT, no magic
 * links: an absolute symlink or ".." stops at root_fd), creating missing
 * directories on the way when mkdirs, and the last component as a directory
 * (want_dir) or an empty file. Returns an O_PATH|O_CLOEXEC fd. */
int vol_open_beneath(int root_fd, const char *path, bool mkdirs, bool want_dir);

/* Bind v (or its sub_path, resolved beneath v with RESOLVE_BENEATH: a subPath
 * leading out of the volume fails with EXDEV) onto mount_path resolved beneath
 * root_fd, read-only in the kernel when readonly. A hostPath that is no longer
 * of its type is refused (ENOTDIR, EISDIR or EINVAL). The mount goes fd to fd
 * (open_tree, mount_setattr, move_mount). root_fd must have been opened in
 * the mount namespace the mount is for (after the unshare): an fd keeps
 * pointing into the namespace it was opened in, and move_mount refuses
 * (EINVAL) a target in another one. */
int vol_mount(const struct volume *v, int root_fd, const char *mount_path, const char *sub_path,
              bool readonly);

/* A tmpfs that is in no mount table, the host's included: fsopen and fsmount
 * make it, nothing attaches it, out->mnt_fd (O_CLOEXEC) holds it, and
 * vol_mount clones it into each container that names it, nosuid, nodev and
 * noexec. The kernel frees it when that fd and the last container's mount of
 * it are gone, so nothing can be left on the host, even when its holder is
 * killed. name is also the mount's source, what mountinfo shows. size as
 * tmpfs takes it ("64m"). EINVAL: this kernel clones only a mount of the
 * caller's own mount namespace, and a detached mount is in one of its own
 * (older kernels: the volume must then be mounted on the host). */
int vol_tmpfs_detached(const char *name, const char *mode, const char *size, struct volume *out);

/* Close a detached tmpfs's fd; unmount a tmpfs emptyDir and delete an
 * emptyDir's directory; leave hostPath alone. */
int vol_teardown(struct volume *v);

/* What the files under dir take on its disk, in bytes, as `du -sx` counts
 * it: allocated blocks, symlinks not followed, other mounts not entered, a
 * file with several links counted once (its blocks shared among its
 * links). Walks with fts(3), which changes directory as it descends (a
 * tree of any depth, where a path would outgrow PATH_MAX): run it in a
 * process of its own. kubelet measures a disk emptyDir's sizeLimit so. */
int vol_usage(const char *dir, uint64_t *bytes);

#endif
