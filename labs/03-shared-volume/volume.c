/*
 * volume.c - emptyDir and hostPath volumes, and the safe way to mount them
 * into a container root (see volume.h).
 *
 * Syscalls: openat2(2) (RESOLVE_IN_ROOT, RESOLVE_BENEATH), mkdirat(2),
 * open_tree(2) (OPEN_TREE_CLONE), mount_setattr(2), move_mount(2), mount(2)
 * (tmpfs), fsopen(2)/fsconfig(2)/fsmount(2) (a detached tmpfs), umount2(2).
 *
 * The rule behind vol_mount: a path inside a directory that a container can
 * write is never handed to the kernel as a string to be resolved later. It
 * is resolved once, beneath the right root, into an fd, and everything after
 * that works on the fd. A string is resolved again at every use, and a
 * container that swaps a directory for a symlink in between wins the race.
 */
#include "volume.h"

#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

/* ---- hostPath types ---------------------------------------------------------- */

static const char *const hp_names[] = {
    [VOL_HP_ANY] = "",
    [VOL_HP_DIRECTORY_OR_CREATE] = "DirectoryOrCreate",
    [VOL_HP_DIRECTORY] = "Directory",
    [VOL_HP_FILE_OR_CREATE] = "FileOrCreate",
    [VOL_HP_FILE] = "File",
    [VOL_HP_SOCKET] = "Socket",
    [VOL_HP_CHAR_DEVICE] = "CharDevice",
    [VOL_HP_BLOCK_DEVICE] = "BlockDevice",
};

int vol_hostpath_type_parse(const char *s, enum vol_hostpath_type *out)
{
	if (!s)
		s = "";
	for (size_t t = 0; t < ARRAY_SIZE(hp_names); t++) {
		if (!strcmp(s, hp_names[t])) {
			*out = (enum vol_hostpath_type)t;
			return 0;
		}
	}
	return fail_msg(EINVAL,
	                "hostPath type '%s': unknown (known: \"\", DirectoryOrCreate, Directory, "
	                "FileOrCreate, File, Socket, CharDevice, BlockDevice)",
	                s);
}

const char *vol_hostpath_type_name(enum vol_hostpath_type t)
{
	if ((size_t)t >= ARRAY_SIZE(hp_names))
		return "?";
	return hp_names[t];
}

static const char *file_kind(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFIFO:
		return "a FIFO";
	case S_IFLNK:
		return "a symlink";
	}
	return "an unknown kind of file";
}

/* What each checking type demands of what exists at the path. */
static mode_t hp_wanted(enum vol_hostpath_type t)
{
	switch (t) {
	case VOL_HP_DIRECTORY_OR_CREATE:
	case VOL_HP_DIRECTORY:
		return S_IFDIR;
	case VOL_HP_FILE_OR_CREATE:
	case VOL_HP_FILE:
		return S_IFREG;
	case VOL_HP_SOCKET:
		return S_IFSOCK;
	case VOL_HP_CHAR_DEVICE:
		return S_IFCHR;
	case VOL_HP_BLOCK_DEVICE:
		return S_IFBLK;
	case VOL_HP_ANY:
		break;
	}
	return 0;
}

/* Is a file of mode m what type t demands? If not, the message says what
 * it is, and ends with when. */
static int hostpath_kind_ok(const char *p, enum vol_hostpath_type t, mode_t m, const char *when)
{
	mode_t want = hp_wanted(t);
	if (!want || (m & S_IFMT) == want)
		return 0;
	int err = want == S_IFDIR ? ENOTDIR : (S_ISDIR(m) ? EISDIR : EINVAL);
	return fail_msg(err, "hostPath %s: type %s: is %s%s", p, vol_hostpath_type_name(t),
	                file_kind(m), when);
}

/* Kubernetes' semantics (pkg/volume/hostpath): the *OrCreate types create
 * what is missing, every other type only checks. kubelet checks nothing for
 * "", and hands the runtime a path that may not exist: containerd and CRI-O
 * then create it as a directory (MkdirAll, 0755), and so do we. stat
 * follows symlinks, as kubelet's does: the node's administrator owns the
 * host path. */
static int hostpath_check(const struct vol_spec *spec, struct stat *st)
{
	const char *p = spec->path, *tname = vol_hostpath_type_name(spec->type);
	if (stat(p, st) == 0)
		goto check;
	if (errno != ENOENT)
		return fail_errno("hostPath %s: stat", p);

	switch (spec->type) {
	case VOL_HP_ANY:
	case VOL_HP_DIRECTORY_OR_CREATE:
		/* MkdirAll: the parents too. */
		if (mkdir_p(p, 0755) < 0) {
			/* mkdir_p names the component that failed; keep it. */
			char why[512];
			snprintf(why, sizeof(why), "%s", last_error());
			return fail_msg(errno, "hostPath %s: type %s: %s", p, tname, why);
		}
		/* the umask must not take bits away */
		if (chmod(p, 0755) < 0)
			return fail_errno("hostPath %s: type %s: chmod", p, tname);
		break;
	case VOL_HP_FILE_OR_CREATE: {
		/* Only the file: a missing parent directory is an error. */
		int fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			return fail_errno("hostPath %s: type %s: create", p, tname);
		if (fchmod(fd, 0644) < 0) { /* the umask must not take bits away */
			int saved = errno;
			close(fd);
			errno = saved;
			return fail_errno("hostPath %s: type %s: fchmod", p, tname);
		}
		close(fd);
		break;
	}
	default:
		return fail_msg(ENOENT, "hostPath %s: type %s: does not exist", p, tname);
	}
	if (stat(p, st) < 0)
		return fail_errno("hostPath %s: stat", p);

check:
	return hostpath_kind_ok(p, spec->type, st->st_mode, "");
}

static int name_ok(const char *name)
{
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return fail_msg(EINVAL, "volume name '%s': must be one path component",
		                name ? name : "");
	if (strlen(name) >= sizeof(((struct volume *)0)->name))
		return fail_msg(ENAMETOOLONG, "volume name '%s': too long", name);
	return 0;
}

int vol_prepare(const struct vol_spec *spec, const char *pod_dir, struct volume *out)
{
	memset(out, 0, sizeof(*out));
	if (name_ok(spec->name) < 0)
		return -1;
	snprintf(out->name, sizeof(out->name), "%s", spec->name);
	out->kind = spec->kind;

	if (spec->kind == VOL_HOSTPATH) {
		if (!spec->path || spec->path[0] != '/')
			return fail_msg(EINVAL, "volume %s: hostPath '%s' must be absolute",
			                spec->name, spec->path ? spec->path : "");
		struct stat st;
		if (hostpath_check(spec, &st) < 0)
			return -1;
		if (snprintf(out->host_path, sizeof(out->host_path), "%s", spec->path) >=
		    (int)sizeof(out->host_path))
			return fail_msg(ENAMETOOLONG, "hostPath %s: too long", spec->path);
		out->is_dir = S_ISDIR(st.st_mode);
		out->devices =
		    spec->type == VOL_HP_CHAR_DEVICE || spec->type == VOL_HP_BLOCK_DEVICE;
		out->type = spec->type;
		return 0;
	}

	/* emptyDir: pod_dir/volumes/NAME, mode 0777 like kubelet's, so a container
	 * running as any user can write to it. */
	char vols[PATH_MAX];
	if (snprintf(vols, sizeof(vols), "%s/volumes", pod_dir) >= (int)sizeof(vols) ||
	    snprintf(out->host_path, sizeof(out->host_path), "%s/%s", vols, spec->name) >=
	        (int)sizeof(out->host_path))
		return fail_msg(ENAMETOOLONG, "pod dir %s: path too long", pod_dir);
	if (mkdir_p(vols, 0755) < 0)
		return -1;
	if (mkdir(out->host_path, 0777) < 0 && errno != EEXIST)
		return fail_errno("mkdir(%s)", out->host_path);
	if (chmod(out->host_path, 0777) < 0)
		return fail_errno("chmod(%s)", out->host_path);
	out->is_dir = true;

	if (spec->memory) {
		/* medium: Memory is a tmpfs; sizeLimit becomes its size, so the kernel
		 * answers ENOSPC at the limit, as kubelet sizes it since Kubernetes
		 * 1.22. Its pages are charged to the memory cgroup of whoever writes
		 * them. On disk a sizeLimit is not enforced: that needs filesystem
		 * quotas (vol_usage measures it instead). */
		char opts[64] = "mode=0777";
		if (spec->size_limit)
			snprintf(opts, sizeof(opts), "mode=0777,size=%llu",
			         (unsigned long long)spec->size_limit);
		if (mount("tmpfs", out->host_path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
			int saved = errno;
			rmdir(out->host_path);
			errno = saved;
			return fail_errno("mount(tmpfs on %s, %s)", out->host_path, opts);
		}
		out->tmpfs = true;
	}
	return 0;
}

/* ---- resolving beneath a root -------------------------------------------------- */

/*
 * Open path beneath root_fd with the given RESOLVE_ flags, creating missing
 * components when mkdirs: directories of mode dir_mode, whatever the umask
 * (kubelet makes a subPath with its volume's mode: an emptyDir's 0777 lets
 * a container of any user write there). RESOLVE_IN_ROOT treats root_fd as
 * "/": an absolute symlink or a ".." stops there, the way the container
 * itself would see the path. RESOLVE_BENEATH refuses (EXDEV) what would
 * leave root_fd instead.
 */
static int open_beneath(int root_fd, const char *path, bool mkdirs, bool want_dir, mode_t dir_mode,
                        unsigned long long resolve)
{
	/* BEGIN EXERCISE: vol-safe-mount (hard, 90 min): open beneath a root fd, mkdir the rest
	 * Hint: README.md "Resolving beneath a root"; man 2 openat2, man 2 mkdirat, man 2 fchmod */
	/* STUB: (void)root_fd; (void)path; (void)mkdirs; (void)want_dir; (void)dir_mode;
	 * (void)resolve; return exercise_todo(3, "vol-safe-mount"); */

	/* No magic links: /proc/self/root or /proc/PID/fd/N inside the root would
	 * jump anywhere. A scoped lookup (RESOLVE_IN_ROOT, RESOLVE_BENEATH)
	 * refuses them today (EXDEV), but openat2(2) keeps the right to change
	 * that: RESOLVE_NO_MAGICLINKS (ELOOP) says so for good. */
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC,
	    .resolve = resolve | RESOLVE_NO_MAGICLINKS,
	};
	int fd = sys_openat2(root_fd, path, &how, sizeof(how));
	if (fd >= 0)
		return fd;
	if (errno != ENOENT || !mkdirs)
		return fail_errno("openat2(%s)", path);

	/*
	 * Something is missing: walk again one component at a time. Each prefix
	 * is resolved from root_fd by the kernel (so ".." and symlinks keep their
	 * meaning), and a missing component is created with mkdirat in the
	 * directory fd the previous step returned, never through a path string.
	 */
	char buf[PATH_MAX], prefix[PATH_MAX] = "";
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return fail_msg(ENAMETOOLONG, "%s: path too long", path);
	_cleanup_close_ int dir = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	if (dir < 0)
		return fail_errno("fcntl(F_DUPFD_CLOEXEC)");

	char *save = NULL, *next;
	for (char *c = strtok_r(buf, "/", &save); c; c = next) {
		next = strtok_r(NULL, "/", &save);
		bool last = !next;
		size_t len = strlen(prefix);
		if (snprintf(prefix + len, sizeof(prefix) - len, "%s%s", len ? "/" : "", c) >=
		    (int)(sizeof(prefix) - len))
			return fail_msg(ENAMETOOLONG, "%s: path too long", path);

		how.flags = O_PATH | O_CLOEXEC | (last && !want_dir ? 0 : O_DIRECTORY);
		fd = sys_openat2(root_fd, prefix, &how, sizeof(how));
		bool made = false;
		if (fd < 0 && errno == ENOENT) {
			int rc;
			const char *call;
			if (!last || want_dir) {
				call = "mkdirat";
				rc = mkdirat(dir, c, dir_mode);
				made = rc == 0;
			} else {
				call = "openat(O_CREAT|O_EXCL)";
				rc = openat(dir, c,
				            O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
				            0644);
				if (rc >= 0)
					rc = close(rc);
			}
			/* EEXIST: made by someone else meanwhile, or a dangling symlink,
			 * which the second openat2 reports as missing. */
			if (rc < 0 && errno != EEXIST)
				return fail_errno("%s(%s)", call, prefix);
			fd = sys_openat2(root_fd, prefix, &how, sizeof(how));
			if (fd < 0 && errno == ENOENT)
				return fail_msg(ENOENT, "%s: %s is a dangling symlink", path,
				                prefix);
		}
		if (fd < 0)
			return fail_errno("openat2(%s)", prefix);
		/* mkdirat's mode passed through the umask: set it whole, on the
		 * directory just resolved (an O_PATH fd takes no fchmod, "." of
		 * it does), never through a path */
		if (made) {
			int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (d < 0 || fchmod(d, dir_mode) < 0) {
				fail_errno("fchmod(%s, %04o)", prefix, (unsigned)dir_mode);
				if (d >= 0)
					close(d);
				close(fd);
				return -1;
			}
			close(d);
		}
		if (last)
			return fd;
		close(dir);
		dir = fd;
	}
	/* An empty path, or only slashes: the root itself. */
	how.flags = O_PATH | O_CLOEXEC | O_DIRECTORY;
	fd = sys_openat2(root_fd, ".", &how, sizeof(how));
	return fd >= 0 ? fd : fail_errno("openat2(.)");
	/* END EXERCISE */
}

int vol_open_beneath(int root_fd, const char *path, bool mkdirs, bool want_dir)
{
	/* a mount point the image lacks: root's, 0755, as runc makes it */
	return open_beneath(root_fd, path, mkdirs, want_dir, 0755, RESOLVE_IN_ROOT);
}

/* ---- mounting -------------------------------------------------------------------- */

/* Kubernetes' API validation: a subPath is relative and has no ".." part. */
static int subpath_ok(const char *sub)
{
	if (sub[0] == '/')
		return fail_msg(EINVAL, "subPath %s: must be a relative path", sub);
	for (const char *p = sub; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (!strncmp(p, "..", 2) && (p[2] == '/' || p[2] == '\0'))
			return fail_msg(EINVAL, "subPath %s: must not contain '..'", sub);
	return 0;
}

/* The source of the bind, as an O_PATH fd. A subPath lies in the volume,
 * which a container may be writing right now: it is opened beneath the
 * volume with RESOLVE_BENEATH, so a symlink planted there that leads out of
 * the volume is refused (EXDEV), as kubelet refuses it since
 * CVE-2017-1002101. */
static int open_source(const struct volume *v, const char *sub)
{
	int flags = O_PATH | O_CLOEXEC | (sub ? O_DIRECTORY : 0);
	if (sub && subpath_ok(sub) < 0)
		return -1;
	int vol_fd = v->detached ? openat(v->mnt_fd, ".", flags) : open(v->host_path, flags);
	if (vol_fd < 0)
		return fail_errno("volume %s: open(%s)", v->name, v->host_path);
	struct stat st;
	if (fstat(vol_fd, &st) < 0) {
		fail_errno("volume %s: fstat", v->name);
		closep(&vol_fd);
		return -1;
	}
	/* vol_prepare checked a path, maybe long ago (a restarted container);
	 * what counts is the file mounted now, subPath or not. Above all for a
	 * device type, whose mount keeps device access: a directory swapped in
	 * there would let the container open any node it makes with mknod. */
	if (v->kind == VOL_HOSTPATH &&
	    hostpath_kind_ok(v->host_path, v->type, st.st_mode,
	                     " now, not what was checked: refused") < 0) {
		closep(&vol_fd);
		return -1;
	}
	if (!sub)
		return vol_fd;
	/* what the subPath lacks gets the volume's own mode, as kubelet makes
	 * it (GetMode of the volume, then SafeMakeDir) */
	int fd = open_beneath(vol_fd, sub, true, true, st.st_mode & 07777, RESOLVE_BENEATH);
	closep(&vol_fd); /* keeps open_beneath's errno */
	if (fd < 0 && errno == EXDEV)
		return fail_msg(EXDEV,
		                "volume %s: subPath %s leads out of the volume (a symlink or "
		                "'..'): refused",
		                v->name, sub);
	if (fd < 0 && errno == ELOOP)
		return fail_msg(ELOOP, "volume %s: subPath %s: too many levels of symlinks",
		                v->name, sub);
	return fd;
}

/* Does path, resolved beneath root_fd as the container would, lead into a
 * procfs? Asked of the deepest part of it that exists, since the rest would
 * be created there. The answer is the file system the path ends on, not its
 * spelling: an image's /data may be a symlink to /proc/sys. */
static bool inside_proc(int root_fd, const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		_cleanup_close_ int fd = vol_open_beneath(root_fd, p, false, false);
		if (fd >= 0) {
			struct statfs sfs;
			return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
		}
		char *slash = strrchr(p, '/');
		if (errno != ENOENT || !slash || slash == p)
			return false;
		*slash = '\0';
	}
}

/* Is fd the container's root itself: the same directory on the same mount?
 * 1, 0, or -1 (statx). */
static int is_root(int root_fd, int fd)
{
	struct statx r, f;
	const unsigned mask = STATX_INO | STATX_MNT_ID;
	if (statx(root_fd, "", AT_EMPTY_PATH, mask, &r) < 0 ||
	    statx(fd, "", AT_EMPTY_PATH, mask, &f) < 0)
		return fail_errno("statx");
	return r.stx_mnt_id == f.stx_mnt_id && r.stx_ino == f.stx_ino &&
	       r.stx_dev_major == f.stx_dev_major && r.stx_dev_minor == f.stx_dev_minor;
}

int vol_mount(const struct volume *v, int root_fd, const char *mount_path, const char *sub_path,
              bool readonly)
{
	if (!mount_path || !*mount_path)
		return fail_msg(EINVAL, "volume %s: empty mountPath", v->name);
	if (sub_path && !*sub_path)
		sub_path = NULL;
	/* A mount in /proc could cover what is read-only or masked there, or
	 * stand where the runtime writes a process's settings; runc refuses it
	 * too (its checkProcMount, CVE-2019-16884 and CVE-2025-52881). */
	if (inside_proc(root_fd, mount_path))
		return fail_msg(EPERM, "volume %s: mountPath %s is inside /proc: refused", v->name,
		                mount_path);

	_cleanup_close_ int src = open_source(v, sub_path);
	if (src < 0)
		return -1;
	struct stat sst, dst_st;
	if (fstat(src, &sst) < 0)
		return fail_errno("volume %s: fstat", v->name);

	/* The destination inside the container's root, created if missing: a
	 * directory for a directory volume, an empty file for a file. */
	_cleanup_close_ int dst = vol_open_beneath(root_fd, mount_path, true, S_ISDIR(sst.st_mode));
	if (dst < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", last_error());
		return fail_msg(errno, "volume %s: mountPath %s: %s", v->name, mount_path, why);
	}
	if (fstat(dst, &dst_st) < 0)
		return fail_errno("mountPath %s: fstat", mount_path);
	/* inside_proc looked at a path, which a container writing a shared
	 * volume can change before this open (a directory swapped for a
	 * symlink into /proc/sys): what counts is the file dst is. */
	struct statfs dst_fs;
	if (fstatfs(dst, &dst_fs) < 0)
		return fail_errno("volume %s: fstatfs(mountPath %s)", v->name, mount_path);
	if (dst_fs.f_type == PROC_SUPER_MAGIC)
		return fail_msg(EPERM, "volume %s: mountPath %s is inside /proc: refused", v->name,
		                mount_path);
	/* RESOLVE_IN_ROOT takes a symlink to / (or a ".." at the top) to the
	 * root, not out of it; but a mount on the root's own directory would
	 * cover the whole image, and pivot_root would enter the volume: a
	 * container that writes a shared volume could plant x -> / and hand
	 * its neighbour a root, and a /bin/sh, of its own. */
	int r = is_root(root_fd, dst);
	if (r < 0)
		return -1;
	if (r)
		return fail_msg(EPERM,
		                "volume %s: mountPath %s is the container's root (a symlink to / "
		                "or '..'): refused",
		                v->name, mount_path);
	if (S_ISDIR(sst.st_mode) != S_ISDIR(dst_st.st_mode))
		return fail_msg(S_ISDIR(sst.st_mode) ? ENOTDIR : EISDIR,
		                "volume %s: mountPath %s is %s, the volume is %s", v->name,
		                mount_path, file_kind(dst_st.st_mode), file_kind(sst.st_mode));

	/*
	 * The mount, from fd to fd. open_tree(OPEN_TREE_CLONE) makes a detached
	 * copy of the source (a bind mount nobody sees yet); mount_setattr makes
	 * it read-only before it is attached, recursively (a remount would change
	 * the top mount only); move_mount attaches it on the destination fd.
	 * This does what runc's mount("/proc/self/fd/S", "/proc/self/fd/D",
	 * MS_BIND) does, without a path string to resolve, and without the gap in
	 * which a read-only bind is still writable.
	 */
	_cleanup_close_ int tree =
	    open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return fail_errno("open_tree(%s, OPEN_TREE_CLONE)", v->host_path);
	/* nodev: a container with CAP_MKNOD may create any device node in a
	 * volume it can write; on this mount the kernel refuses to open it. */
	struct mount_attr attr = {.attr_set = (readonly ? MOUNT_ATTR_RDONLY : 0) |
	                                      (v->devices ? 0 : MOUNT_ATTR_NODEV)};
	if (attr.attr_set &&
	    mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return fail_errno(
		    "mount_setattr(%s, %s%s%s)", v->host_path, readonly ? "MOUNT_ATTR_RDONLY" : "",
		    readonly && !v->devices ? "|" : "", v->devices ? "" : "MOUNT_ATTR_NODEV");
	if (move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return fail_errno("move_mount(volume %s onto %s)", v->name, mount_path);
	return 0;
}

int vol_usage(const char *dir, uint64_t *bytes)
{
	char *const roots[] = {(char *)dir, NULL};
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_XDEV, NULL);
	if (!fts)
		return fail_errno("fts_open(%s)", dir);
	uint64_t sum = 0;
	int rc = 0;
	while (rc == 0) {
		errno = 0;
		FTSENT *e = fts_read(fts);
		if (!e) {
			if (errno)
				rc = fail_errno("fts_read(%s)", dir);
			break;
		}
		switch (e->fts_info) {
		case FTS_DP:
			break; /* a directory seen again on the way back up */
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			/* a file the container removed while we walked takes nothing */
			if (e->fts_errno != ENOENT)
				rc = fail_msg(e->fts_errno, "%s: %s", e->fts_path,
				              strerror(e->fts_errno));
			break;
		default:
			if (e->fts_statp->st_nlink > 1 && !S_ISDIR(e->fts_statp->st_mode))
				sum += (uint64_t)e->fts_statp->st_blocks * 512 /
				       e->fts_statp->st_nlink;
			else
				sum += (uint64_t)e->fts_statp->st_blocks * 512;
		}
	}
	fts_close(fts);
	*bytes = sum;
	return rc;
}

int vol_tmpfs_detached(const char *name, const char *mode, const char *size, struct volume *out)
{
	*out = (struct volume){.kind = VOL_EMPTYDIR, .is_dir = true, .mnt_fd = -1};
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->host_path, sizeof(out->host_path), "detached tmpfs %s", name);
	_cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail_errno("fsopen(tmpfs)");
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", name, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail_errno("fsconfig(tmpfs %s, mode=%s,size=%s)", name, mode, size);
	_cleanup_close_ int mnt =
	    fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return fail_errno("fsmount(tmpfs %s)", name);
	/* What vol_mount does with it, tried once here: a kernel that refuses
	 * says so now, not at a container's start. */
	_cleanup_close_ int copy =
	    open_tree(mnt, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (copy < 0)
		return fail_errno("open_tree(%s, OPEN_TREE_CLONE)", out->host_path);
	out->mnt_fd = mnt;
	mnt = -1;
	out->detached = true;
	return 0;
}

int vol_teardown(struct volume *v)
{
	if (v->detached) {
		closep(&v->mnt_fd);
		v->detached = false;
		return 0;
	}
	if (v->kind != VOL_EMPTYDIR || !v->host_path[0])
		return 0;
	if (v->tmpfs) {
		/* UMOUNT_NOFOLLOW: the path is ours, but never follow a symlink to unmount. */
		if (umount2(v->host_path, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
		    umount2(v->host_path, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
			return fail_errno("umount2(%s)", v->host_path);
		v->tmpfs = false;
	}
	if (rm_rf(v->host_path) < 0)
		return -1;
	/* pod_dir/volumes goes with its last volume. */
	char *slash = strrchr(v->host_path, '/');
	if (slash) {
		*slash = '\0';
		if (rmdir(v->host_path) < 0 && errno != ENOTEMPTY && errno != ENOENT &&
		    errno != EEXIST) {
			*slash = '/';
			return fail_errno("rmdir(%s)", v->host_path);
		}
		*slash = '/';
	}
	return 0;
}
