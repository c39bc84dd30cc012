/*
 * test_volume.c - unit tests of labs/03-shared-volume/volume.c.
 *
 * Every test runs chrooted into a directory of its own, in a private mount
 * namespace (Criterion runs each test in its own process, so the namespace
 * and its mounts vanish with the test). The chroot is a seat belt: a
 * resolver that wrongly follows an absolute path or a symlink "out of the
 * root" lands in the test's directory, fails the test, and creates nothing
 * in the host's real /.
 */
#include "volume.h"

#include "common.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

static char host_dir[64]; /* the test's directory, as the host names it */
static char dir[64];      /* the same, as the test sees it: "" (it is "/") */
static int root_fd = -1, host_root = -1;

/* dir/root is the "container root" the resolution must not leave. */
static void setup(void)
{
	snprintf(host_dir, sizeof(host_dir), "/tmp/podlab-test-volume.XXXXXX");
	cr_assert_not_null(mkdtemp(host_dir));
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	host_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(host_root, 0);
	/* The magic-link test needs a /proc in there. */
	char proc[128];
	snprintf(proc, sizeof(proc), "%s/proc", host_dir);
	cr_assert_eq(mkdir(proc, 0555), 0);
	cr_assert_eq(mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), 0);
	cr_assert_eq(chroot(host_dir), 0, "chroot: %s", strerror(errno));
	cr_assert_eq(chdir("/"), 0);
	dir[0] = '\0';
	/* After the unshare: an fd keeps pointing into the mount namespace it
	 * was opened in, and move_mount refuses (EINVAL) a target in another. */
	cr_assert_eq(mkdir("/root", 0755), 0);
	root_fd = open("/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(root_fd, 0);
}

/* The mounts a test made under top, last first: rm_rf stops at mount points.
 * At most 64 at a time: returns how many, so the caller can call again. */
static int umount_under(const char *top)
{
	char mnts[64][PATH_MAX], line[4096];
	int n = 0;
	size_t len = strlen(top);
	FILE *f = fopen("/proc/self/mountinfo", "re");
	cr_assert_not_null(f, "fopen(/proc/self/mountinfo): %s", strerror(errno));
	while (n < 64 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnts[n]) == 1 &&
		    !strncmp(mnts[n], top, len) && mnts[n][len] == '/')
			n++;
	fclose(f);
	for (int i = n - 1; i >= 0; i--)
		umount2(mnts[i], MNT_DETACH);
	return n;
}

/* A child of a test's that renames in its tree: stopped before the tree is
 * removed, even when the test failed before it could stop it. */
static pid_t swapper = -1;

static void teardown(void)
{
	if (swapper > 0) {
		kill(swapper, SIGKILL);
		waitpid(swapper, NULL, 0);
	}
	if (root_fd >= 0)
		close(root_fd);
	/* Back to the host's root (root may leave a chroot through an fd). */
	if (host_root < 0 || fchdir(host_root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return;
	for (int i = 0; i < 16 && umount_under(host_dir) > 0; i++) {
	}
	rm_rf(host_dir);
}

static const char *at(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, rel);
	return buf[i];
}

/* Does fd refer to the file at path? (same device and inode) */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;
	cr_assert_eq(fstat(fd, &a), 0);
	if (stat(path, &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

TestSuite(resolve, .init = setup, .fini = teardown);

Test(resolve, dotdot_is_clamped_at_the_root)
{
	cr_assert_eq(mkdir(at("root/a"), 0755), 0);
	int fd = vol_open_beneath(root_fd, "../../../a", false, true);
	cr_assert_geq(fd, 0, "%s", last_error());
	cr_assert(same_file(fd, at("root/a")));
	close(fd);
}

Test(resolve, absolute_symlink_resolves_inside_the_root)
{
	cr_assert_eq(mkdir(at("root/a"), 0755), 0);
	cr_assert_eq(symlink("/a", at("root/link")), 0);
	int fd = vol_open_beneath(root_fd, "/link", false, true);
	cr_assert_geq(fd, 0, "%s", last_error());
	cr_assert(same_file(fd, at("root/a")));
	close(fd);
}

Test(resolve, symlink_to_a_host_path_stays_inside)
{
	/* /etc/passwd exists on the host, not in the root: not found. */
	cr_assert_eq(symlink("/etc", at("root/etc-link")), 0);
	int fd = vol_open_beneath(root_fd, "etc-link/passwd", false, false);
	cr_assert_eq(fd, -1);
	cr_assert_eq(errno, ENOENT);
}

Test(resolve, symlink_loop_is_eloop)
{
	cr_assert_eq(symlink("l2", at("root/l1")), 0);
	cr_assert_eq(symlink("l1", at("root/l2")), 0);
	cr_assert_eq(vol_open_beneath(root_fd, "l1", true, true), -1);
	cr_assert_eq(errno, ELOOP);
	cr_assert_str_neq(last_error(), "");
}

Test(resolve, long_path_is_enametoolong)
{
	static char p[PATH_MAX + 64];
	for (size_t i = 0; i + 2 < sizeof(p); i += 2)
		memcpy(p + i, "a/", 2);
	p[sizeof(p) - 1] = '\0';
	cr_assert_eq(vol_open_beneath(root_fd, p, true, true), -1);
	cr_assert_eq(errno, ENAMETOOLONG);
}

Test(resolve, path_of_4095_bytes_is_created)
{
	/* PATH_MAX counts the NUL: 4095 bytes is the longest path the kernel
	 * takes. Nineteen 210-byte components and a last one of 105. */
	static char p[PATH_MAX];
	size_t n = 0;
	for (int i = 0; i < 19; i++) {
		memset(p + n, 'a' + i, 210);
		n += 210;
		p[n++] = '/';
	}
	memset(p + n, 'z', PATH_MAX - 1 - n);
	p[PATH_MAX - 1] = '\0';
	cr_assert_eq(strlen(p), 4095);
	int fd = vol_open_beneath(root_fd, p, true, true);
	cr_assert_geq(fd, 0, "%s", last_error());
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	close(fd);
}

Test(resolve, missing_directories_are_created)
{
	int fd = vol_open_beneath(root_fd, "/x/y/z", true, true);
	cr_assert_geq(fd, 0, "%s", last_error());
	struct stat st;
	cr_assert_eq(stat(at("root/x/y/z"), &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert(same_file(fd, at("root/x/y/z")));
	close(fd);
}

Test(resolve, missing_file_is_created_empty)
{
	int fd = vol_open_beneath(root_fd, "etc/resolv.conf", true, false);
	cr_assert_geq(fd, 0, "%s", last_error());
	struct stat st;
	cr_assert_eq(stat(at("root/etc/resolv.conf"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_size, 0);
	close(fd);
}

Test(resolve, creation_through_a_symlink_lands_inside)
{
	/* "s -> /" inside the root: s/new is created as ROOT/new, not /new. */
	cr_assert_eq(symlink("/", at("root/s")), 0);
	int fd = vol_open_beneath(root_fd, "s/podlab-new/dir", true, true);
	cr_assert_geq(fd, 0, "%s", last_error());
	cr_assert(same_file(fd, at("root/podlab-new/dir")));
	cr_assert_eq(access("/podlab-new", F_OK), -1);
	close(fd);
}

Test(resolve, missing_without_mkdirs_is_enoent)
{
	cr_assert_eq(vol_open_beneath(root_fd, "nope/x", false, true), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(access(at("root/nope"), F_OK), -1);
}

Test(resolve, file_in_the_middle_is_enotdir)
{
	int fd = open(at("root/f"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(vol_open_beneath(root_fd, "f/x", true, true), -1);
	cr_assert_eq(errno, ENOTDIR);
}

Test(resolve, dangling_symlink_is_reported)
{
	cr_assert_eq(symlink("/nowhere/at/all", at("root/dangling")), 0);
	cr_assert_eq(vol_open_beneath(root_fd, "dangling", true, true), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_not_null(strstr(last_error(), "dangling"), "%s", last_error());
}

Test(resolve, magic_links_are_refused)
{
	/* /proc/self/root inside the root would lead to the real root. */
	cr_assert_eq(symlink("/proc/self/root", at("root/magic")), 0);
	cr_assert_eq(mkdir(at("root/proc"), 0755), 0);
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/root");
	/* The root's own /proc is an empty dir: nothing to follow, ENOENT. */
	cr_assert_eq(vol_open_beneath(root_fd, "magic/etc", false, true), -1);
	int cwd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(cwd, 0);
	/* Beneath the real /, the real /proc/self/root is a magic link: refused
	 * with ELOOP, RESOLVE_NO_MAGICLINKS' answer. A scoped lookup alone
	 * refuses it too today, with EXDEV, which openat2(2) says "may change
	 * in the future": the exercise asks for the flag that promises it. */
	cr_assert_eq(vol_open_beneath(cwd, self, false, true), -1);
	cr_assert_eq(errno, ELOOP, "%s", strerror(errno));
	close(cwd);
}

/* ---- hostPath types ---------------------------------------------------------- */

Test(hostpath, type_names_parse_and_round_trip)
{
	const char *names[] = {"",       "DirectoryOrCreate", "Directory",  "FileOrCreate", "File",
	                       "Socket", "CharDevice",        "BlockDevice"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		enum vol_hostpath_type t;
		cr_assert_eq(vol_hostpath_type_parse(names[i], &t), 0, "%s", names[i]);
		cr_assert_str_eq(vol_hostpath_type_name(t), names[i]);
	}
	enum vol_hostpath_type t = VOL_HP_FILE;
	cr_assert_eq(vol_hostpath_type_parse(NULL, &t), 0);
	cr_assert_eq(t, VOL_HP_ANY);
}

Test(hostpath, unknown_type_is_einval)
{
	enum vol_hostpath_type t;
	cr_assert_eq(vol_hostpath_type_parse("directory", &t), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_not_null(strstr(last_error(), "directory"));
}

TestSuite(prepare, .init = setup, .fini = teardown);

static int prep(enum vol_hostpath_type t, const char *path, struct volume *v)
{
	struct vol_spec s = {.name = "hp", .kind = VOL_HOSTPATH, .path = path, .type = t};
	return vol_prepare(&s, dir, v);
}

/* A socket, a char and a block device node, a FIFO, a file and a directory. */
static void make_fixtures(void)
{
	int fd = open(at("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(mkdir(at("dir"), 0700), 0);
	cr_assert_eq(mknod(at("chr"), S_IFCHR | 0600, makedev(1, 3)), 0);
	cr_assert_eq(mknod(at("blk"), S_IFBLK | 0600, makedev(7, 0)), 0);
	cr_assert_eq(mkfifo(at("fifo"), 0600), 0);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("sock"));
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
}

Test(prepare, each_type_accepts_and_rejects_like_kubernetes)
{
	make_fixtures();
	static const struct {
		enum vol_hostpath_type t;
		const char *ok[6];
		const char *bad[6];
	} table[] = {
	    {VOL_HP_ANY, {"file", "dir", "chr", "blk", "fifo", "sock"}, {NULL}},
	    {VOL_HP_DIRECTORY, {"dir"}, {"file", "chr", "blk", "sock", "missing"}},
	    {VOL_HP_DIRECTORY_OR_CREATE, {"dir"}, {"file", "chr", "sock"}},
	    {VOL_HP_FILE, {"file"}, {"dir", "chr", "sock", "missing"}},
	    {VOL_HP_FILE_OR_CREATE, {"file"}, {"dir", "sock"}},
	    {VOL_HP_SOCKET, {"sock"}, {"file", "dir", "fifo", "missing"}},
	    {VOL_HP_CHAR_DEVICE, {"chr"}, {"blk", "file", "missing"}},
	    {VOL_HP_BLOCK_DEVICE, {"blk"}, {"chr", "dir", "missing"}},
	};
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const char *tn = vol_hostpath_type_name(table[i].t);
		for (size_t j = 0; j < 6 && table[i].ok[j]; j++) {
			struct volume v;
			cr_expect_eq(prep(table[i].t, at(table[i].ok[j]), &v), 0, "%s %s: %s", tn,
			             table[i].ok[j], last_error());
		}
		for (size_t j = 0; j < 6 && table[i].bad[j]; j++) {
			struct volume v;
			cr_expect_eq(prep(table[i].t, at(table[i].bad[j]), &v), -1,
			             "%s %s accepted", tn, table[i].bad[j]);
			cr_expect_not_null(strstr(last_error(), tn), "%s", last_error());
		}
	}
}

Test(prepare, mismatch_message_names_type_and_what_was_found)
{
	make_fixtures();
	struct volume v;
	cr_assert_eq(prep(VOL_HP_DIRECTORY, at("file"), &v), -1);
	char want[256];
	snprintf(want, sizeof(want), "hostPath %s: type Directory: is a regular file", at("file"));
	cr_assert_str_eq(last_error(), want);
	cr_assert_eq(errno, ENOTDIR);
}

Test(prepare, directory_or_create_makes_0755_with_parents)
{
	umask(077);
	struct volume v;
	cr_assert_eq(prep(VOL_HP_DIRECTORY_OR_CREATE, at("new/sub"), &v), 0, "%s", last_error());
	struct stat st;
	cr_assert_eq(stat(at("new/sub"), &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0755);
	cr_assert(v.is_dir);
}

Test(prepare, file_or_create_makes_0644_but_not_its_parent)
{
	umask(077);
	struct volume v;
	cr_assert_eq(prep(VOL_HP_FILE_OR_CREATE, at("f"), &v), 0, "%s", last_error());
	struct stat st;
	cr_assert_eq(stat(at("f"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert(!v.is_dir);
	cr_assert_eq(prep(VOL_HP_FILE_OR_CREATE, at("nodir/f"), &v), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(access(at("nodir"), F_OK), -1);
}

Test(prepare, relative_hostpath_is_refused)
{
	struct volume v;
	cr_assert_eq(prep(VOL_HP_ANY, "relative/path", &v), -1);
	cr_assert_eq(errno, EINVAL);
}

Test(prepare, bad_volume_names_are_refused)
{
	const char *bad[] = {"", "a/b", "..", "."};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct vol_spec s = {.name = bad[i], .kind = VOL_EMPTYDIR};
		struct volume v;
		cr_expect_eq(vol_prepare(&s, dir, &v), -1, "'%s' accepted", bad[i]);
		cr_expect_eq(errno, EINVAL);
	}
}

Test(prepare, emptydir_is_0777_and_goes_with_teardown)
{
	struct vol_spec s = {.name = "cache", .kind = VOL_EMPTYDIR};
	struct volume v;
	cr_assert_eq(vol_prepare(&s, dir, &v), 0, "%s", last_error());
	cr_assert_str_eq(v.host_path, at("volumes/cache"));
	struct stat st;
	cr_assert_eq(stat(v.host_path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0777);
	int fd = open(at("volumes/cache/x"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(vol_teardown(&v), 0, "%s", last_error());
	cr_assert_eq(access(at("volumes"), F_OK), -1);
}

Test(prepare, memory_emptydir_is_a_sized_tmpfs)
{
	struct vol_spec s = {
	    .name = "mem", .kind = VOL_EMPTYDIR, .memory = true, .size_limit = 1 << 20};
	struct volume v;
	cr_assert_eq(vol_prepare(&s, dir, &v), 0, "%s", last_error());
	cr_assert(v.tmpfs);
	/* 1 MiB: a 2 MiB write hits ENOSPC in the kernel. */
	int fd = open(at("volumes/mem/big"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	static char block[1 << 16];
	ssize_t total = 0, n = 0;
	while (total < (2 << 20) && (n = write(fd, block, sizeof(block))) > 0)
		total += n;
	cr_assert_eq(n, -1);
	cr_assert_eq(errno, ENOSPC);
	close(fd);
	cr_assert_eq(vol_teardown(&v), 0, "%s", last_error());
	cr_assert_eq(access(at("volumes"), F_OK), -1);
}

/* Lines of /proc/self/mountinfo that hold what (" - tmpfs SOURCE "). */
static int mounts_of(const char *what)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* In a child, as a container's start does: a mount namespace of its own,
 * and the detached tmpfs mounted in it twice (the sandbox's /dev/shm, in
 * two containers). 0, or the step that failed. */
static int mount_twice_in_a_new_namespace(struct volume *v)
{
	int r;
	if (unshare(CLONE_NEWNS) < 0 || (r = open("/root", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 1;
	if (vol_mount(v, r, "/a", NULL, false) < 0 || vol_mount(v, r, "/b", NULL, false) < 0) {
		fprintf(stderr, "vol_mount: %s\n", last_error());
		return 2;
	}
	if (mounts_of(" - tmpfs podlab-shm ") != 2)
		return 3;
	int fd = open("/root/a/segment", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) < 0)
		return 4;
	/* the holder's fd goes: the tmpfs stays as long as a mount of it */
	if (vol_teardown(v) < 0 || v->detached || v->mnt_fd != -1)
		return 5;
	struct stat st;
	struct statvfs sv;
	if (stat("/root/b/segment", &st) < 0 || st.st_size != 1)
		return 6;
	if (stat("/root/b", &st) < 0 || (st.st_mode & 07777) != 01777)
		return 7;
	if (statvfs("/root/b", &sv) < 0 ||
	    (sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC)) != (ST_NOSUID | ST_NODEV | ST_NOEXEC))
		return 8;
	return 0;
}

Test(prepare, a_detached_tmpfs_is_in_no_mount_table_but_those_it_is_mounted_in)
{
	struct volume v;
	cr_assert_eq(vol_tmpfs_detached("podlab-shm", "1777", "1m", &v), 0, "%s", last_error());
	cr_assert(v.detached);
	cr_assert_eq(mounts_of(" - tmpfs podlab-shm "), 0);
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0)
		_exit(mount_twice_in_a_new_namespace(&v));
	int status;
	cr_assert_eq(waitpid(c, &status, 0), c);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "step %d failed",
	          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	cr_assert_eq(mounts_of(" - tmpfs podlab-shm "), 0);
	cr_assert_eq(vol_teardown(&v), 0, "%s", last_error());
	cr_assert_eq(v.mnt_fd, -1);
}

/* ---- vol_mount ------------------------------------------------------------------ */

/* A file of n bytes of data (allocated), or a hole of n bytes (sparse). */
static void make_file(const char *path, size_t n, bool data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	if (data) {
		static char block[65536];
		memset(block, 'x', sizeof(block));
		for (size_t off = 0; off < n; off += sizeof(block))
			cr_assert_eq(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	} else {
		cr_assert_eq(ftruncate(fd, (off_t)n), 0);
	}
	close(fd);
}

/* Counted as du -sx counts: what is allocated, a file with two links once,
 * not what a symlink points to, nor what is mounted beneath, and all of a
 * tree deeper than PATH_MAX. */
Test(prepare, usage_counts_like_du)
{
	cr_assert_eq(mkdir(at("v"), 0755), 0);
	make_file(at("v/data"), 1 << 20, true);
	cr_assert_eq(link(at("v/data"), at("v/data-again")), 0);
	make_file(at("v/sparse"), 64 << 20, false);
	make_file(at("outside"), 8 << 20, true);
	cr_assert_eq(symlink("/outside", at("v/link")), 0);
	cr_assert_eq(mkdir(at("v/mnt"), 0755), 0);
	cr_assert_eq(mount("tmpfs", at("v/mnt"), "tmpfs", 0, "size=16m"), 0);
	make_file(at("v/mnt/big"), 8 << 20, true);
	/* 40 levels of 200-byte names: 8 KiB of path, twice PATH_MAX */
	char name[201];
	memset(name, 'd', 200);
	name[200] = '\0';
	int d = open(at("v"), O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(d, 0);
	for (int i = 0; i < 40; i++) {
		cr_assert_eq(mkdirat(d, name, 0755), 0);
		int next = openat(d, name, O_DIRECTORY | O_CLOEXEC);
		cr_assert_geq(next, 0);
		close(d);
		d = next;
	}
	int f = openat(d, "deep", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(f, 0);
	static char block[65536];
	cr_assert_eq(write(f, block, sizeof(block)), (ssize_t)sizeof(block));
	close(f);
	close(d);

	uint64_t got = 0;
	cr_assert_eq(vol_usage(at("v"), &got), 0, "%s", last_error());
	uint64_t want = (1 << 20) + 65536; /* the data once, and the deep file */
	/* and the directories' own blocks: 44 of them, a few kB each */
	cr_assert_geq(got, want, "%llu bytes counted", (unsigned long long)got);
	cr_assert_lt(got, want + 44 * 16384, "%llu bytes counted", (unsigned long long)got);
	cr_assert_eq(umount(at("v/mnt")), 0);
}

TestSuite(mounting, .init = setup, .fini = teardown);

static struct volume emptydir(const char *name)
{
	struct vol_spec s = {.name = name, .kind = VOL_EMPTYDIR};
	struct volume v;
	cr_assert_eq(vol_prepare(&s, dir, &v), 0, "%s", last_error());
	return v;
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

Test(mounting, a_hundred_volumes_leak_no_fd)
{
	int before = open_fds();
	struct volume v[100];
	for (int i = 0; i < 100; i++) {
		char name[16], path[32];
		snprintf(name, sizeof(name), "v%d", i);
		snprintf(path, sizeof(path), "/mnt/%s", name);
		v[i] = emptydir(name);
		cr_assert_eq(vol_mount(&v[i], root_fd, path, NULL, i % 2), 0, "%s", last_error());
	}
	cr_assert_eq(open_fds(), before);
	for (int i = 0; i < 100; i++) {
		char path[32];
		snprintf(path, sizeof(path), "root/mnt/v%d/x", i);
		int fd = open(at(path), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		cr_assert_eq(fd < 0 ? errno : 0, i % 2 ? EROFS : 0, "v%d", i);
		if (fd >= 0)
			close(fd);
	}
}

Test(mounting, readonly_is_erofs_in_the_kernel)
{
	struct volume v = emptydir("data");
	cr_assert_eq(vol_mount(&v, root_fd, "/mnt/data", NULL, true), 0, "%s", last_error());
	int fd = open(at("root/mnt/data/x"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_eq(fd, -1);
	cr_assert_eq(errno, EROFS);
}

Test(mounting, readwrite_shows_the_same_files)
{
	struct volume v = emptydir("data");
	cr_assert_eq(vol_mount(&v, root_fd, "data", NULL, false), 0, "%s", last_error());
	int fd = open(at("root/data/x"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(access(at("volumes/data/x"), F_OK), 0);
}

Test(mounting, subpath_symlink_out_of_the_volume_is_refused)
{
	struct volume v = emptydir("data");
	cr_assert_eq(symlink("/", at("volumes/data/escape")), 0);
	cr_assert_eq(vol_mount(&v, root_fd, "/mnt", "escape", false), -1);
	cr_assert_eq(errno, EXDEV);
	cr_assert_not_null(strstr(last_error(), "leads out of the volume"), "%s", last_error());
	/* nothing was created or mounted in the root */
	cr_assert_eq(access(at("root/mnt"), F_OK), -1);
}

Test(mounting, subpath_inside_the_volume_is_created_and_mounted)
{
	struct volume v = emptydir("data");
	cr_assert_eq(vol_mount(&v, root_fd, "/app", "war/v2", false), 0, "%s", last_error());
	cr_assert_eq(mkdir(at("root/app/inside"), 0755), 0);
	cr_assert_eq(access(at("volumes/data/war/v2/inside"), F_OK), 0);
}

/* kubelet makes what a subPath lacks with its volume's mode (an emptyDir's
 * 0777), whatever the umask: a container of another user than root writes
 * there as it writes to the volume. A mount point the image lacks is 0755. */
Test(mounting, subpath_dirs_made_take_the_volume_mode_whatever_the_umask)
{
	struct volume v = emptydir("data");
	mode_t old = umask(077);
	int rc = vol_mount(&v, root_fd, "/app", "war/v2", false);
	umask(old);
	cr_assert_eq(rc, 0, "%s", last_error());
	struct stat st;
	cr_assert_eq(stat(at("volumes/data/war"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0777, "war: %04o", st.st_mode & 07777);
	cr_assert_eq(stat(at("volumes/data/war/v2"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0777, "war/v2: %04o", st.st_mode & 07777);
	cr_assert_eq(stat(at("root/app"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0777, "the mounted subPath: %04o", st.st_mode & 07777);
}

Test(mounting, a_missing_mount_point_is_made_0755_whatever_the_umask)
{
	struct volume v = emptydir("data");
	mode_t old = umask(077);
	int rc = vol_mount(&v, root_fd, "/srv/app", NULL, false);
	umask(old);
	cr_assert_eq(rc, 0, "%s", last_error());
	struct stat st;
	cr_assert_eq(umount2(at("root/srv/app"), MNT_DETACH), 0);
	cr_assert_eq(stat(at("root/srv"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0755, "srv: %04o", st.st_mode & 07777);
	cr_assert_eq(stat(at("root/srv/app"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0755, "srv/app: %04o", st.st_mode & 07777);
}

Test(mounting, subpath_with_dotdot_or_absolute_is_einval)
{
	struct volume v = emptydir("data");
	cr_assert_eq(vol_mount(&v, root_fd, "/app", "../x", false), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(vol_mount(&v, root_fd, "/app", "a/../../x", false), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(vol_mount(&v, root_fd, "/app", "/etc", false), -1);
	cr_assert_eq(errno, EINVAL);
}

/* However it is spelled: a symlink of the image into /proc, a path there
 * that would have to be created. */
Test(mounting, a_mount_path_inside_proc_is_refused)
{
	struct volume v = emptydir("data");
	cr_assert_eq(mkdir(at("root/proc"), 0555), 0);
	cr_assert_eq(mount("proc", at("root/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
	             0, "mount(proc): %s", strerror(errno));
	cr_assert_eq(symlink("/proc/sys", at("root/data")), 0);
	const char *const paths[] = {"/proc", "/proc/sys", "/proc/sys/new/dir", "/data/kernel",
	                             "/data"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		errno = 0;
		cr_assert_eq(vol_mount(&v, root_fd, paths[i], NULL, false), -1, "%s", paths[i]);
		cr_assert_eq(errno, EPERM, "%s: %s", paths[i], strerror(errno));
		cr_assert_not_null(strstr(last_error(), "is inside /proc: refused"), "%s",
		                   last_error());
	}
	/* nothing was mounted on the proc, or made in it */
	struct stat st;
	cr_assert_eq(stat(at("root/proc/sys/kernel/ostype"), &st), 0);
	cr_assert_eq(access(at("root/proc/sys/new"), F_OK), -1);
	/* beside it, a path is fine */
	cr_assert_eq(vol_mount(&v, root_fd, "/procfs/sys", NULL, false), 0, "%s", last_error());
}

/* CVE-2025-52881's shape: while the pod's containers are set up, one that
 * runs already swaps a directory of a shared volume with a symlink into
 * /proc/sys, over and over. A check of the path alone loses that race
 * within a few hundred mounts; the check must be of the file mounted on. */
Test(mounting, a_mount_path_swapped_into_proc_meanwhile_is_never_mounted_on)
{
	struct volume v = emptydir("data");
	cr_assert_eq(mkdir(at("root/proc"), 0555), 0);
	cr_assert_eq(mount("proc", at("root/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
	             0, "mount(proc): %s", strerror(errno));
	cr_assert_eq(mkdir(at("root/shared"), 0755), 0);
	cr_assert_eq(mkdir(at("root/shared/d"), 0755), 0);
	cr_assert_eq(symlink("/proc/sys", at("root/shared/l")), 0);
	char d[PATH_MAX], l[PATH_MAX];
	snprintf(d, sizeof(d), "%s", at("root/shared/d"));
	snprintf(l, sizeof(l), "%s", at("root/shared/l"));
	swapper = fork();
	cr_assert_geq(swapper, 0);
	if (swapper == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) /* EBUSY while the directory is a mount point */
			renameat2(AT_FDCWD, d, AT_FDCWD, l, RENAME_EXCHANGE);
	}
	/* 2000 tries at least, and on until both sides of the race were run
	 * into: a swapper the scheduler leaves out for a while (a busy machine,
	 * the sanitizer build) holds one name still, and every try meanwhile
	 * sees the same side. */
	int mounted = 0, refused = 0;
	int64_t give_up = now_ms() + 10000;
	for (int i = 0; i < 2000 || ((!mounted || !refused) && now_ms() < give_up); i++) {
		if (vol_mount(&v, root_fd, "/shared/d", NULL, false) < 0) {
			cr_assert_eq(errno, EPERM, "%s", last_error());
			refused++;
			continue;
		}
		/* on the directory, whichever name it has now; undone, so that
		 * it can be swapped again */
		mounted++;
		/* a rename that passed its mount point check just before the
		 * mount may still be moving the names: try them again */
		bool undone = false;
		for (int tries = 0; tries < 10 && !undone; tries++)
			undone = umount2(d, MNT_DETACH | UMOUNT_NOFOLLOW) == 0 ||
			         umount2(l, MNT_DETACH | UMOUNT_NOFOLLOW) == 0;
		cr_assert(undone, "mounted on neither %s nor %s: on the proc its symlink leads to?",
		          d, l);
	}
	kill(swapper, SIGKILL);
	waitpid(swapper, NULL, 0);
	swapper = -1;
	/* both sides of the race were run into... */
	cr_assert_gt(mounted, 0);
	cr_assert_gt(refused, 0);
	/* ... and none of the mounts is on the proc */
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	cr_assert_not_null(mi);
	char line[4096], proc[PATH_MAX];
	snprintf(proc, sizeof(proc), " %s/", at("root/proc"));
	while (fgets(line, sizeof(line), mi))
		cr_assert_null(strstr(line, proc), "mounted on the proc: %s", line);
	fclose(mi);
}

Test(mounting, directory_volume_onto_a_file_is_refused)
{
	struct volume v = emptydir("data");
	int fd = open(at("root/file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(vol_mount(&v, root_fd, "/file", NULL, false), -1);
	cr_assert_eq(errno, ENOTDIR);
}

Test(mounting, file_hostpath_gets_a_file_mount_point)
{
	int fd = open(at("hosts"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "127.0.0.1 x\n", 12), 12);
	close(fd);
	struct volume v;
	cr_assert_eq(prep(VOL_HP_FILE, at("hosts"), &v), 0, "%s", last_error());
	cr_assert_eq(vol_mount(&v, root_fd, "/etc/hosts", NULL, true), 0, "%s", last_error());
	struct stat st;
	cr_assert_eq(stat(at("root/etc/hosts"), &st), 0);
	cr_assert_eq(st.st_size, 12);
}

/* The node's path is checked at vol_prepare, mounted at vol_mount: for a
 * container that restarts, hours apart. A CharDevice hostPath is the one
 * mount left without nodev; swapped for a directory meanwhile (by whoever
 * can write its parent: another pod's hostPath), it would give the
 * container a directory where any node it makes with mknod opens. What
 * is mounted is what must be of the type. */
Test(mounting, a_hostpath_changed_since_its_check_is_refused)
{
	cr_assert_eq(mknod(at("chr"), S_IFCHR | 0600, makedev(1, 3)), 0);
	struct volume v;
	cr_assert_eq(prep(VOL_HP_CHAR_DEVICE, at("chr"), &v), 0, "%s", last_error());
	cr_assert(v.devices);
	cr_assert_eq(unlink(at("chr")), 0);
	cr_assert_eq(mkdir(at("chr"), 0755), 0);
	errno = 0;
	cr_assert_eq(vol_mount(&v, root_fd, "/dev-dir", NULL, false), -1, "mounted a directory");
	cr_assert_eq(errno, EISDIR, "%s", strerror(errno));
	cr_assert_not_null(strstr(last_error(), "type CharDevice: is a directory"), "%s",
	                   last_error());
	/* nor with a subPath, which needs a directory */
	cr_assert_eq(vol_mount(&v, root_fd, "/dev-dir", "sub", false), -1, "mounted a subPath");
	cr_assert_eq(errno, EISDIR, "%s", strerror(errno));
	/* nothing was made in the root, or in the directory */
	cr_assert_eq(access(at("root/dev-dir"), F_OK), -1);
	cr_assert_eq(access(at("chr/sub"), F_OK), -1);

	/* the other way round: a Directory that became a file */
	cr_assert_eq(prep(VOL_HP_DIRECTORY, at("d"), &v), -1);
	cr_assert_eq(mkdir(at("d"), 0755), 0);
	cr_assert_eq(prep(VOL_HP_DIRECTORY, at("d"), &v), 0, "%s", last_error());
	cr_assert_eq(rmdir(at("d")), 0);
	int fd = open(at("d"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(vol_mount(&v, root_fd, "/d", NULL, false), -1, "mounted a file");
	cr_assert_eq(errno, ENOTDIR, "%s", strerror(errno));
	/* a hostPath of type "" checks nothing, then or now */
	cr_assert_eq(prep(VOL_HP_ANY, at("d"), &v), 0, "%s", last_error());
	cr_assert_eq(vol_mount(&v, root_fd, "/d", NULL, false), 0, "%s", last_error());
}

/* Out of fds, every step that fails says so: an error path that sets no
 * message of its own would let an older one (a missing resolv.conf, say)
 * stand in for it. Each limit lets the mount get one fd further. */
static void mount_with_few_fds(const char *sub)
{
	struct volume v = emptydir("data");
	struct rlimit old;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	int failures = 0;
	for (rlim_t n = 3; n < 64; n++) {
		struct rlimit few = {.rlim_cur = n, .rlim_max = old.rlim_max};
		set_last_error("a message from before");
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &few), 0);
		int rc = vol_mount(&v, root_fd, "/mnt", sub, false);
		int err = errno;
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
		if (rc == 0)
			break;
		failures++;
		cr_assert_eq(err, EMFILE, "with %d fds: %s", (int)n, last_error());
		cr_assert_not_null(strstr(last_error(), strerror(EMFILE)), "with %d fds: %s",
		                   (int)n, last_error());
	}
	cr_assert_gt(failures, 0, "the first limit was already enough");
	/* and in the end the volume was mounted */
	cr_assert_eq(mkdir(at("root/mnt/seen"), 0755), 0, "%s", strerror(errno));
	char inside[64];
	snprintf(inside, sizeof(inside), "volumes/data/%s/seen", sub ? sub : ".");
	cr_assert_eq(access(at(inside), F_OK), 0, "%s: %s", inside, strerror(errno));
}

Test(mounting, out_of_fds_every_failure_says_emfile)
{
	mount_with_few_fds(NULL);
}

Test(mounting, out_of_fds_with_a_subpath_every_failure_says_emfile)
{
	mount_with_few_fds("war/v2");
}
