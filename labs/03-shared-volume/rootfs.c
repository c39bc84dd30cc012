/*
 * rootfs.c - a container's root filesystem (see rootfs.h).
 *
 * Syscalls: mount(2) (MS_PRIVATE|MS_REC, overlay, MS_BIND, proc, tmpfs,
 * devpts, sysfs), openat2(2), mkdirat(2), symlinkat(2),
 * open_tree(2), mount_setattr(2), move_mount(2), pivot_root(2), umount2(2).
 *
 * Everything here runs in the container's own mount namespace, after
 * unshare(CLONE_NEWNS) or clone(CLONE_NEWNS): the mounts it makes vanish with
 * that namespace, and rootfs_make_private makes sure none of them propagates
 * back to the host first.
 */
#include "rootfs.h"

#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#ifndef PODLAB_IMAGES_DIR
#define PODLAB_IMAGES_DIR "build/images"
#endif

/* ---- image references ----------------------------------------------------- */

/* One path component of a reference: not empty, not "." or "..". */
static bool ref_part_ok(const char *s, size_t n)
{
	if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	return true;
}

int rootfs_image_path(const char *images_dir, const char *image, char *out, size_t len)
{
	if (!image || !*image)
		return fail_msg(EINVAL, "empty image reference");
	if (strchr(image, '@'))
		return fail_msg(EINVAL, "image %s: digests are not supported, use name:tag", image);

	/* Every '/'-separated part must be a real name: "a//b", "../x", "x/." are refused
	 * before any of it becomes a path. */
	for (const char *p = image;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!ref_part_ok(p, n))
			return fail_msg(
			    EINVAL, "image %s: empty, '.' or '..' part in the reference", image);
		if (!slash)
			break;
		p = slash + 1;
	}

	/* "[registry/]name[:tag]": the registry is everything up to the last '/'
	 * (it may hold a port: localhost:5000/busybox), the tag follows the ':'. */
	const char *last = strrchr(image, '/');
	last = last ? last + 1 : image;
	const char *colon = strchr(last, ':');
	char name[256];
	const char *tag = "latest";
	size_t nlen = colon ? (size_t)(colon - last) : strlen(last);
	if (nlen >= sizeof(name))
		return fail_msg(ENAMETOOLONG, "image %s: name too long", image);
	memcpy(name, last, nlen);
	name[nlen] = '\0';
	if (colon) {
		tag = colon + 1;
		if (strchr(tag, ':'))
			return fail_msg(EINVAL, "image %s: more than one ':' in name:tag", image);
	}
	if (!ref_part_ok(name, strlen(name)) || !ref_part_ok(tag, strlen(tag)))
		return fail_msg(EINVAL, "image %s: empty, '.' or '..' name or tag", image);

	if (!images_dir) {
		images_dir = getenv("PODRUN_IMAGES");
		if (!images_dir || !*images_dir)
			images_dir = PODLAB_IMAGES_DIR;
	}
	if (snprintf(out, len, "%s/%s/%s/rootfs", images_dir, name, tag) >= (int)len)
		return fail_msg(ENAMETOOLONG, "image %s: path too long", image);

	struct stat st;
	if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail_msg(ENOENT, "image %s: no rootfs directory at %s (run make images)",
		                image, out);
	return 0;
}

/* ---- mounts ------------------------------------------------------------------ */

int rootfs_make_private(void)
{
	/* systemd makes / shared: without this, every mount below would also
	 * appear in the host's namespace (mount_namespaces(7), "shared subtrees"). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail_errno("mount(/, MS_REC|MS_PRIVATE)");
	return 0;
}

/* The overlay's option string separates its fields with ',' and lowerdir's
 * layers with ':': a path holding either would be split in the wrong place. */
static int overlay_path_ok(const char *what, const char *p)
{
	if (strpbrk(p, ",:\\"))
		return fail_msg(EINVAL, "overlay %s %s: ',', ':' or '\\' in the path", what, p);
	return 0;
}

/* mount(2) copies its option string into one page: a longer one is cut. */
#define OVERLAY_OPTS_MAX 4096

/* Check every layer of "top:...:bottom": a path with no ',' or backslash,
 * and a directory. *n_out: how many layers. */
static int lower_stack_ok(const char *stack, size_t *n_out)
{
	size_t n = 0;
	for (const char *p = stack;; n++) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char layer[PATH_MAX];
		if (len == 0)
			return fail_msg(EINVAL, "overlay lowerdir %s: an empty layer", stack);
		if (len >= sizeof(layer))
			return fail_msg(ENAMETOOLONG, "overlay lowerdir: a layer path is too long");
		memcpy(layer, p, len);
		layer[len] = '\0';
		if (overlay_path_ok("lowerdir", layer) < 0)
			return -1;
		struct stat st;
		if (stat(layer, &st) < 0)
			return fail_errno("stat(%s)", layer);
		if (!S_ISDIR(st.st_mode))
			return fail_msg(ENOTDIR, "overlay lowerdir %s: not a directory", layer);
		if (!colon)
			break;
		p = colon + 1;
	}
	*n_out = n + 1;
	return 0;
}

/* A read-only overlay of the layers alone (no upper, so nothing can be
 * written), mounted over the top layer's directory: that path is a mount
 * point then, as pivot_root wants, and only in this mount namespace. The
 * kernel looks the layers up before it attaches the mount, so the top layer
 * is still what it stacks. */
static int mount_lower_stack(const char *stack, struct rootfs *out)
{
	size_t top = strcspn(stack, ":");
	if (top >= sizeof(out->merged))
		return fail_msg(ENAMETOOLONG, "overlay lowerdir: a layer path is too long");
	memcpy(out->merged, stack, top);
	out->merged[top] = '\0';
	char opts[OVERLAY_OPTS_MAX];
	if (snprintf(opts, sizeof(opts), "lowerdir=%s", stack) >= (int)sizeof(opts))
		return fail_msg(ENAMETOOLONG, "overlay options: %zu bytes or more (one page)",
		                sizeof(opts));
	if (mount("overlay", out->merged, "overlay", MS_RDONLY | MS_NODEV, opts) < 0)
		return fail_errno("mount(overlay on %s, MS_RDONLY|MS_NODEV, %s)", out->merged,
		                  opts);
	return 0;
}

int rootfs_mount_overlay(const char *lower, const char *state_dir, struct rootfs *out)
{
	memset(out, 0, sizeof(*out));
	bool stack = strchr(lower, ':') != NULL;
	size_t n_layers = 1;
	if (stack) {
		if (lower_stack_ok(lower, &n_layers) < 0)
			return -1;
	} else {
		struct stat st;
		if (stat(lower, &st) < 0)
			return fail_errno("stat(%s)", lower);
		if (!S_ISDIR(st.st_mode))
			return fail_msg(ENOTDIR, "image rootfs %s: not a directory", lower);
	}

	if (!state_dir && stack)
		return mount_lower_stack(lower, out);
	if (!state_dir) {
		/* No state: the image itself, bound onto itself so that it is a mount
		 * point (pivot_root needs one), then made read-only and nodev - the
		 * bind's flags, never the filesystem's underneath. mount_setattr, not
		 * MS_REMOUNT|MS_BIND: a remount sets exactly the flags it is given,
		 * and an image on a nosuid or noexec mount would lose those; and it
		 * changes the top mount only, where the bind took the mounts beneath
		 * the image along (MS_REC). */
		if (snprintf(out->merged, sizeof(out->merged), "%s", lower) >=
		    (int)sizeof(out->merged))
			return fail_msg(ENAMETOOLONG, "image rootfs %s: path too long", lower);
		if (mount(lower, lower, NULL, MS_BIND | MS_REC, NULL) < 0)
			return fail_errno("mount(%s, MS_BIND)", lower);
		struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV};
		if (mount_setattr(AT_FDCWD, lower, AT_RECURSIVE, &ro, sizeof(ro)) < 0)
			return fail_errno("mount_setattr(%s, MOUNT_ATTR_RDONLY|MOUNT_ATTR_NODEV)",
			                  lower);
		return 0;
	}

	if (snprintf(out->merged, sizeof(out->merged), "%s/merged", state_dir) >=
	        (int)sizeof(out->merged) ||
	    snprintf(out->upper, sizeof(out->upper), "%s/upper", state_dir) >=
	        (int)sizeof(out->upper) ||
	    snprintf(out->work, sizeof(out->work), "%s/work", state_dir) >= (int)sizeof(out->work))
		return fail_msg(ENAMETOOLONG, "state dir %s: path too long", state_dir);
	if ((!stack && overlay_path_ok("lowerdir", lower) < 0) ||
	    overlay_path_ok("state dir", state_dir) < 0)
		return -1;

	/* upper and work must be on the same filesystem (the kernel renames from
	 * work into upper); the image is never written: a change to a file of the
	 * image copies it up into upper first. One page is all mount(2) takes:
	 * a deep stack of long layer paths is refused here, before anything is made. */
	char opts[OVERLAY_OPTS_MAX];
	if (snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s,volatile", lower,
	             out->upper, out->work) >= (int)sizeof(opts))
		return fail_msg(ENAMETOOLONG,
		                "overlay options for %zu layers: %zu bytes or more (one page)",
		                n_layers, sizeof(opts));
	char *volatile_opt = opts + strlen(opts) - strlen(",volatile");

	if (mkdir_p(state_dir, 0700) < 0)
		return -1;
	const char *dirs[] = {out->upper, out->work, out->merged};
	bool fresh = true; /* the upper is made now, empty */
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (mkdir(dirs[i], 0755) == 0)
			continue;
		if (errno != EEXIST)
			return fail_errno("mkdir(%s)", dirs[i]);
		fresh = fresh && dirs[i] != out->upper;
	}
	/* volatile (Linux 5.10): the upper is never synced - not at fsync(2),
	 * not at the unmount when the container's mount namespace goes, which
	 * otherwise waits for the disk (a millisecond at each container's end
	 * here, far more on a busy disk). Nothing meant to last is lost: a
	 * fresh upper is the container's writable layer, which Kubernetes
	 * throws away with the container, and podrun after a crash. The kernel
	 * leaves work/work/incompat/volatile behind, and refuses to mount that
	 * upper again: its writes may never have reached the disk. */
	char marker[sizeof(out->work) + 32];
	snprintf(marker, sizeof(marker), "%s/work/incompat/volatile", out->work);
	if (!fresh && access(marker, F_OK) == 0)
		return fail_msg(EEXIST,
		                "state dir %s: its upper was mounted volatile, never synced to the "
		                "disk: start from a state dir of its own (or remove this one)",
		                state_dir);
	if (!fresh)
		*volatile_opt = '\0';

	/* nodev: the container may mknod (CAP_MKNOD is in the default set, as in
	 * Kubernetes), but a node it makes in its root cannot be opened. */
	int rc = mount("overlay", out->merged, "overlay", MS_NODEV, opts);
	if (rc < 0 && errno == EINVAL && fresh) {
		/* a kernel before 5.10: the same, synced */
		*volatile_opt = '\0';
		rc = mount("overlay", out->merged, "overlay", MS_NODEV, opts);
	}
	if (rc < 0)
		return fail_errno("mount(overlay on %s, MS_NODEV, %s)", out->merged, opts);
	return 0;
}

/* Open NAME (one component: "proc", "dev", "sys") directly under root_fd,
 * creating it when the image lacks it. RESOLVE_IN_ROOT: an image whose /proc
 * is a symlink to /etc gets its own /etc mounted over, never the host's. */
static int open_top_dir(int root_fd, const char *root, const char *name)
{
	if (mkdirat(root_fd, name, 0755) < 0 && errno != EEXIST)
		return fail_errno("mkdir(%s/%s)", root, name);
	struct open_how how = {
	    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = sys_openat2(root_fd, name, &how, sizeof(how));
	if (fd < 0)
		return fail_errno("openat2(%s/%s)", root, name);
	return fd;
}

static int mount_on_fd(const char *src, int fd, const char *shown, const char *type,
                       unsigned long flags, const char *data)
{
	char target[64];
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(src, target, type, flags, data) < 0)
		return fail_errno("mount(%s on %s)", type ? type : src, shown);
	return 0;
}

/* The devices every program may expect. Bind mounts of the host's nodes,
 * not mknod: a bind works in a user namespace too, and the device cgroup
 * of the host still applies. */
static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

/* Create NAME in the directory dir_fd (a directory, or an empty file for a
 * device node's bind) and return it as an O_PATH fd to mount on. */
static int make_at(int dir_fd, const char *dev, const char *name, bool dir, mode_t mode)
{
	if (dir) {
		if (mkdirat(dir_fd, name, mode) < 0)
			return fail_errno("mkdir(%s/%s)", dev, name);
	} else {
		int fd = openat(dir_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
		                mode);
		if (fd < 0)
			return fail_errno("create(%s/%s)", dev, name);
		close(fd);
	}
	int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open(%s/%s)", dev, name);
	return fd;
}

/*
 * A privileged container gets every device of the host, as containerd gives
 * it one (WithHostDevices): each character and block node under the host's
 * /dev made again in the container's, with the host's mode and owner. Its
 * device cgroup allows them all, and its /dev is not nodev. The container's
 * own pts, shm and mqueue stay its own, a name that exists already (the
 * nodes bound above) is kept, and the walk stops three directories down
 * (/dev/cpu/0/cpuid is the deepest the kernel makes).
 */
static const char *const host_dev_skip[] = {"pts", "shm", "mqueue", "fd", "console"};

static int copy_host_devices(int host, int dir, const char *shown, int depth);

static int copy_host_subdir(int host, int dir, const char *shown, const char *name, int depth)
{
	char deeper[PATH_MAX];
	snprintf(deeper, sizeof(deeper), "%s/%s", shown, name);
	if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
		return fail_errno("mkdir(%s)", deeper);
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	_cleanup_close_ int hsub = openat(host, name, flags);
	_cleanup_close_ int sub = hsub < 0 ? -1 : openat(dir, name, flags);
	if (sub < 0)
		return fail_errno("open(%s)", deeper);
	return copy_host_devices(hsub, sub, deeper, depth + 1);
}

static int copy_host_node(int dir, const char *shown, const char *name, const struct stat *st)
{
	if (mknodat(dir, name, st->st_mode, st->st_rdev) < 0)
		return errno == EEXIST ? 0 : fail_errno("mknod(%s/%s)", shown, name);
	/* mknod's mode went through the umask: the host's, exactly */
	if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(dir, name, st->st_mode & 07777, 0) < 0)
		return fail_errno("chown/chmod(%s/%s)", shown, name);
	return 0;
}

static int copy_host_devices(int host, int dir, const char *shown, int depth)
{
	int fd = fcntl(host, F_DUPFD_CLOEXEC, 0); /* closedir closes it */
	DIR *dp = fd < 0 ? NULL : fdopendir(fd);
	if (!dp) {
		fail_errno("opendir(the host's /dev, for %s)", shown);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (errno = 0, e = readdir(dp))) {
		const char *name = e->d_name;
		struct stat st;
		bool skip = name[0] == '.'; /* . .. and udev's own */
		for (size_t i = 0; depth == 0 && i < ARRAY_SIZE(host_dev_skip); i++)
			skip = skip || !strcmp(name, host_dev_skip[i]);
		if (skip || fstatat(host, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* a node the host removed meanwhile */
		if (S_ISDIR(st.st_mode) && depth < 2)
			rc = copy_host_subdir(host, dir, shown, name, depth);
		else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			rc = copy_host_node(dir, shown, name, &st);
	}
	if (rc == 0 && errno)
		rc = fail_errno("readdir(the host's /dev, for %s)", shown);
	closedir(dp);
	return rc;
}

static int mount_dev(int root_fd, const char *root, bool own_shm, bool privileged)
{
	char dev[PATH_MAX + 8], shown[PATH_MAX + 64];
	snprintf(dev, sizeof(dev), "%s/dev", root);
	{
		_cleanup_close_ int under = open_top_dir(root_fd, root, "dev");
		if (under < 0 ||
		    mount_on_fd("tmpfs", under, dev, "tmpfs",
		                MS_NOSUID | MS_STRICTATIME | (privileged ? 0 : MS_NODEV),
		                "mode=755,size=65536k") < 0)
			return -1;
	}
	/* /dev is nodev: a node made in it with mknod cannot be opened. The nodes
	 * below work because each is a bind mount of the host's node, and a bind
	 * mount has flags of its own. */
	/* The fd we mounted on still means the directory under the tmpfs; a
	 * second lookup crosses into the new mount. From here on every name is
	 * created in that fresh tmpfs through its fd: nothing in it came from
	 * the image, so nothing can redirect us. */
	_cleanup_close_ int d = open_top_dir(root_fd, root, "dev");
	if (d < 0)
		return -1;

	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		char host[64];
		snprintf(host, sizeof(host), "/dev/%s", dev_nodes[i]);
		snprintf(shown, sizeof(shown), "%s/%s", dev, dev_nodes[i]);
		_cleanup_close_ int fd = make_at(d, dev, dev_nodes[i], false, 0666);
		if (fd < 0 || mount_on_fd(host, fd, shown, NULL, MS_BIND, NULL) < 0)
			return -1;
	}

	/* A devpts of its own (newinstance): the container's ptys are not the
	 * host's, and /dev/ptmx must point into it. Its ptys belong to group 5,
	 * tty in the images' /etc/group, as runc makes them: mode 0620 lets
	 * that group write to them (wall, write), no one else. In a user
	 * namespace that does not map gid 5 the kernel refuses gid=5 (EINVAL):
	 * then the ptys get the opener's group, as runc's rootless ones do. */
	snprintf(shown, sizeof(shown), "%s/pts", dev);
	_cleanup_close_ int pts = make_at(d, dev, "pts", true, 0755);
	if (pts < 0)
		return -1;
	if (mount_on_fd("devpts", pts, shown, "devpts", MS_NOSUID | MS_NOEXEC,
	                "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0 &&
	    (errno != EINVAL || mount_on_fd("devpts", pts, shown, "devpts", MS_NOSUID | MS_NOEXEC,
	                                    "newinstance,ptmxmode=0666,mode=0620") < 0))
		return -1;

	snprintf(shown, sizeof(shown), "%s/shm", dev);
	_cleanup_close_ int shm = make_at(d, dev, "shm", true, 01777);
	if (shm < 0 ||
	    (own_shm && mount_on_fd("shm", shm, shown, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	                            "mode=1777,size=65536k") < 0))
		return -1;

	/* POSIX message queues of the pod's IPC namespace (mq_open). The kernel
	 * allows the mount only to an admin of that namespace: a process in a
	 * user namespace that does not own it gets EPERM, and the container then
	 * simply has no /dev/mqueue, as with rootless runc. */
	snprintf(shown, sizeof(shown), "%s/mqueue", dev);
	_cleanup_close_ int mq = make_at(d, dev, "mqueue", true, 01777);
	if (mq < 0 || (mount_on_fd("mqueue", mq, shown, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	                           NULL) < 0 &&
	               errno != EPERM))
		return -1;

	static const char *const links[][2] = {
	    {"pts/ptmx", "ptmx"},          {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},  {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], d, links[i][1]) < 0)
			return fail_errno("symlink(%s, %s/%s)", links[i][0], dev, links[i][1]);
	if (!privileged)
		return 0;
	_cleanup_close_ int host = open("/dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (host < 0)
		return fail_errno("open(/dev)");
	return copy_host_devices(host, d, dev, 0);
}

/* What a container must not reach through /proc and /sys, even as root: the
 * kernel's knobs (/proc/sys: core_pattern runs a program ON THE HOST when any
 * process crashes; /proc/sysrq-trigger reboots the host) become read-only,
 * and what leaks the host's memory, keys or hardware is masked - a file by
 * /dev/null bound over it, a directory by an empty read-only tmpfs. The lists
 * are the ones runc and containerd apply by default. */
static const char *const proc_readonly[] = {"bus", "fs", "irq", "sys", "sysrq-trigger"};
static const char *const proc_masked[] = {"acpi",        "asound",        "kcore",
                                          "keys",        "latency_stats", "timer_list",
                                          "timer_stats", "sched_debug",   "scsi"};
static const char *const sys_masked[] = {"firmware", "devices/virtual/powercap"};

/* Bind dir_fd/name onto itself read-only. The copy is made read-only before it
 * is attached, so there is no moment at which it is writable. */
static int make_readonly(int dir_fd, const char *shown, const char *name)
{
	_cleanup_close_ int tree =
	    open_tree(dir_fd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (tree < 0)
		return errno == ENOENT ? 0 : fail_errno("open_tree(%s/%s)", shown, name);
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
	                                      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return fail_errno("mount_setattr(%s/%s, MOUNT_ATTR_RDONLY)", shown, name);
	if (move_mount(tree, "", dir_fd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return fail_errno("move_mount(%s/%s)", shown, name);
	return 0;
}

static int mask(int dir_fd, const char *shown, const char *name)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : fail_errno("open(%s/%s)", shown, name);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return fail_errno("fstat(%s/%s)", shown, name);
	char what[PATH_MAX + 64];
	snprintf(what, sizeof(what), "%s/%s", shown, name);
	if (S_ISDIR(st.st_mode))
		return mount_on_fd("tmpfs", fd, what, "tmpfs",
		                   MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=555");
	return mount_on_fd("/dev/null", fd, what, NULL, MS_BIND, NULL);
}

static int harden(int root_fd, const char *root, const char *top, const char *const *ro,
                  size_t n_ro, const char *const *masked, size_t n_masked)
{
	/* A fresh lookup: it crosses into the filesystem just mounted on top. */
	_cleanup_close_ int d = open_top_dir(root_fd, root, top);
	if (d < 0)
		return -1;
	char shown[PATH_MAX + 8];
	snprintf(shown, sizeof(shown), "%s/%s", root, top);
	for (size_t i = 0; i < n_ro; i++)
		if (make_readonly(d, shown, ro[i]) < 0)
			return -1;
	for (size_t i = 0; i < n_masked; i++)
		if (mask(d, shown, masked[i]) < 0)
			return -1;
	return 0;
}

int rootfs_mount_kernel_fs(const char *root, bool own_shm, bool privileged)
{
	_cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return fail_errno("open(%s)", root);
	char shown[PATH_MAX + 8];

	/* /proc shows the pid namespace of the process that mounts it. */
	_cleanup_close_ int proc_fd = open_top_dir(root_fd, root, "proc");
	if (proc_fd < 0)
		return -1;
	snprintf(shown, sizeof(shown), "%s/proc", root);
	if (mount_on_fd("proc", proc_fd, shown, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -1;
	/* A privileged container is the node's administrator: as containerd
	 * makes it, nothing of /proc is masked or read-only, and /sys is
	 * writable (an init container's `sysctl -w vm.max_map_count=...`). */
	if (!privileged && harden(root_fd, root, "proc", proc_readonly, ARRAY_SIZE(proc_readonly),
	                          proc_masked, ARRAY_SIZE(proc_masked)) < 0)
		return -1;

	if (mount_dev(root_fd, root, own_shm, privileged) < 0)
		return -1;

	/* A new sysfs shows the network devices of the mounter's network
	 * namespace, which is what a container of the pod should see. The kernel
	 * allows it only to a process that is admin over that netns; in a user
	 * namespace that does not own the netns it fails with EPERM, and then the
	 * host's /sys, bound read-only (all of it, recursively), is the fallback
	 * runc uses too. */
	_cleanup_close_ int sys_fd = open_top_dir(root_fd, root, "sys");
	if (sys_fd < 0)
		return -1;
	snprintf(shown, sizeof(shown), "%s/sys", root);
	const unsigned long ro = (privileged ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount_on_fd("sysfs", sys_fd, shown, "sysfs", ro, NULL) == 0)
		return privileged ? 0
		                  : harden(root_fd, root, "sys", NULL, 0, sys_masked,
		                           ARRAY_SIZE(sys_masked));
	if (errno != EPERM)
		return -1;
	/* A detached copy of the host's /sys and all its submounts, made
	 * read-only (recursively: a MS_REMOUNT would change the top mount only)
	 * before it is attached on the fd. */
	_cleanup_close_ int tree =
	    open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return fail_errno("open_tree(/sys, OPEN_TREE_CLONE)");
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	if (!privileged &&
	    mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return fail_errno("mount_setattr(/sys, MOUNT_ATTR_RDONLY)");
	if (move_mount(tree, "", sys_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return fail_errno("move_mount(/sys onto %s)", shown);
	return privileged
	           ? 0
	           : harden(root_fd, root, "sys", NULL, 0, sys_masked, ARRAY_SIZE(sys_masked));
}

/* ---- the pivot ----------------------------------------------------------------- */

int rootfs_pivot(const char *root)
{
	/* BEGIN EXERCISE: rootfs-pivot (moderate, 45 min): pivot_root, then detach the old root
	 * Hint: README.md "pivot_root, not chroot"; man 2 pivot_root, man 2 umount */
	/* STUB: (void)root; return exercise_todo(3, "rootfs-pivot"); */

	/* pivot_root wants new_root to be a mount point; the overlay (or the
	 * read-only bind of the image) is one. An fd keeps hold of it across the
	 * chdir, so nothing can swap the directory in between. */
	_cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open(%s)", root);
	if (fchdir(fd) < 0)
		return fail_errno("fchdir(%s)", root);

	/* pivot_root(".", "."): the old root is stacked on top of the new one, at
	 * the same place, so no put_old directory is needed inside the image. */
	if (sys_pivot_root(".", ".") < 0)
		return fail_errno("pivot_root(%s, %s)", root, root);

	/* "." is now the old root, lying over the new: detach it lazily (files
	 * still open on it stay valid) and the host's tree is gone from view. */
	if (umount2(".", MNT_DETACH) < 0)
		return fail_errno("umount2(old root, MNT_DETACH)");
	if (chdir("/") < 0)
		return fail_errno("chdir(/)");
	return 0;
	/* END EXERCISE */
}

int rootfs_finish(bool readonly_root)
{
	if (!readonly_root)
		return 0;
	/* Only the root's own mount: /proc, /dev and the volumes keep their
	 * flags. And only its read-only bit: mount(MS_REMOUNT | MS_BIND |
	 * MS_RDONLY) would set the mount's flags to exactly those given, and
	 * the root would lose its nodev - a device node in the image would open. */
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro)) < 0)
		return fail_errno("mount_setattr(/, MOUNT_ATTR_RDONLY)");
	return 0;
}

int rootfs_cleanup(const char *state_dir)
{
	if (!state_dir)
		return 0;
	const char *parts[] = {"merged", "upper", "work"};
	int rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", state_dir, parts[i]) >= (int)sizeof(path))
			return fail_msg(ENAMETOOLONG, "state dir %s: path too long", state_dir);
		/* rm_rf refuses a mount point, merged/ itself included: one still
		 * mounted here fails loudly instead of being emptied through the
		 * overlay (whiteouts in upper/, while a container may still run). */
		if (rm_rf(path) < 0)
			rc = -1;
	}
	return rc;
}
