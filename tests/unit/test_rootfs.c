/*
 * test_rootfs.c - unit tests of rootfs_image_path (labs/03-shared-volume/rootfs.c):
 * image references and where they lead. The mounting half of rootfs.c is
 * checked by tests/lab-3.bats, from outside, on the real kernel.
 */
#include "rootfs.h"

#include "common.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/podlab-test-rootfs.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	const char *images[] = {"busybox/latest/rootfs", "simple/v2/rootfs", "tomcat/7.0/rootfs"};
	for (size_t i = 0; i < ARRAY_SIZE(images); i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", dir, images[i]);
		cr_assert_eq(mkdir_p(p, 0755), 0);
	}
}

static void teardown(void)
{
	rm_rf(dir);
}

TestSuite(image, .init = setup, .fini = teardown);

static void expect_path(const char *ref, const char *rel)
{
	char out[PATH_MAX], want[PATH_MAX];
	snprintf(want, sizeof(want), "%s/%s", dir, rel);
	cr_assert_eq(rootfs_image_path(dir, ref, out, sizeof(out)), 0, "%s: %s", ref, last_error());
	cr_assert_str_eq(out, want);
}

Test(image, references_resolve_to_name_tag_rootfs)
{
	expect_path("busybox", "busybox/latest/rootfs");
	expect_path("busybox:latest", "busybox/latest/rootfs");
	expect_path("resource/simple:v2", "simple/v2/rootfs");
	expect_path("resouces/tomcat:7.0", "tomcat/7.0/rootfs");
	expect_path("localhost:5000/library/busybox", "busybox/latest/rootfs");
}

Test(image, bad_references_are_einval)
{
	const char *bad[] = {"",         "../busybox", "a//busybox", "busybox:",          ":v1",
	                     "busybox/", "x/..",       "busybox:..", "busybox@sha256:00", "a:b:c"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char out[PATH_MAX];
		cr_expect_eq(rootfs_image_path(dir, bad[i], out, sizeof(out)), -1, "'%s' accepted",
		             bad[i]);
		cr_expect_eq(errno, EINVAL, "'%s': %s", bad[i], strerror(errno));
	}
}

Test(image, missing_image_names_the_path)
{
	char out[PATH_MAX], want[PATH_MAX];
	cr_assert_eq(rootfs_image_path(dir, "nginx:1.25", out, sizeof(out)), -1);
	cr_assert_eq(errno, ENOENT);
	snprintf(want, sizeof(want), "%s/nginx/1.25/rootfs", dir);
	cr_assert_not_null(strstr(last_error(), want), "%s", last_error());
}

Test(image, podrun_images_is_the_default)
{
	setenv("PODRUN_IMAGES", dir, 1);
	char out[PATH_MAX], want[PATH_MAX];
	cr_assert_eq(rootfs_image_path(NULL, "busybox", out, sizeof(out)), 0, "%s", last_error());
	snprintf(want, sizeof(want), "%s/busybox/latest/rootfs", dir);
	cr_assert_str_eq(out, want);
}

/* ---- the mounts, in a child with its own mount namespace ---------------------- */

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

/* Runs fn in a child that has its own private mount namespace; its exit
 * status is the result. pivot_root would move the test runner's root too if
 * it shared the namespace. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || rootfs_make_private() < 0)
			_exit(100);
		_exit(fn());
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static char lower[PATH_MAX];

/* No state dir: the image itself, bound read-only, becomes the root. */
static int readonly_image_root(void)
{
	struct rootfs r;
	if (rootfs_mount_overlay(lower, NULL, &r) < 0 || strcmp(r.merged, lower) || r.upper[0])
		return 1;
	if (rootfs_mount_kernel_fs(r.merged, true, false) < 0 || rootfs_pivot(r.merged) < 0)
		return 2;
	if (open("/new", O_CREAT | O_WRONLY | O_CLOEXEC, 0644) >= 0 || errno != EROFS)
		return 3;
	if (access("/proc/self/status", F_OK) < 0 || access("/dev/null", F_OK) < 0)
		return 4;
	/* the kernel filesystems stay writable where they should */
	int fd = open("/dev/shm/x", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return 5;
	close(fd);
	return 0;
}

Test(image, readonly_image_as_root)
{
	snprintf(lower, sizeof(lower), "%s/busybox/latest/rootfs", dir);
	/* a read-only image must already have /proc, /dev and /sys (make images makes them) */
	const char *dirs[] = {"proc", "dev", "sys"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char p[PATH_MAX + 8];
		snprintf(p, sizeof(p), "%s/%s", lower, dirs[i]);
		cr_assert_eq(mkdir(p, 0755), 0);
	}
	cr_assert_eq(in_child(readonly_image_root), 0);
}

/* No state dir, and the images on a nosuid, noexec mount (a /tmp or a
 * home mounted so) with a mount of their own beneath the image: the bind
 * that becomes the root keeps the flags it inherits, and all of it is
 * read-only, the mount beneath too. */
static int readonly_image_keeps_its_flags(void)
{
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") < 0)
		return 1;
	char sub[PATH_MAX + 8];
	snprintf(lower, sizeof(lower), "%s/image", dir);
	snprintf(sub, sizeof(sub), "%s/sub", lower);
	if (mkdir(lower, 0755) < 0 || mkdir(sub, 0755) < 0 ||
	    mount("tmpfs", sub, "tmpfs", 0, "mode=0755") < 0)
		return 2;
	struct rootfs r;
	if (rootfs_mount_overlay(lower, NULL, &r) < 0)
		return 3;
	struct statvfs sv;
	const unsigned long want = ST_RDONLY | ST_NODEV | ST_NOSUID | ST_NOEXEC;
	if (statvfs(lower, &sv) < 0 || (sv.f_flag & want) != want)
		return 4; /* a flag of the image's mount was lost */
	strcat(sub, "/x");
	if (open(sub, O_CREAT | O_WRONLY | O_CLOEXEC, 0644) >= 0 || errno != EROFS)
		return 5; /* the mount beneath the image stayed writable */
	return 0;
}

Test(image, readonly_image_keeps_its_flags_all_the_way_down)
{
	int rc = in_child(readonly_image_keeps_its_flags);
	cr_assert_eq(rc, 0, "failed at step %d", rc);
}

static int overlay_and_cleanup(void)
{
	struct rootfs r;
	char state[PATH_MAX];
	snprintf(state, sizeof(state), "%s/state", dir);
	if (rootfs_mount_overlay(lower, state, &r) < 0)
		return 1;
	int fd = open(strcat(r.merged, "/written"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return 2;
	close(fd);
	return 0;
}

Test(image, overlay_writes_go_to_upper_and_cleanup_removes_them)
{
	snprintf(lower, sizeof(lower), "%s/busybox/latest/rootfs", dir);
	cr_assert_eq(in_child(overlay_and_cleanup), 0);
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/state/upper/written", dir);
	cr_assert_eq(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/written", lower);
	cr_assert_eq(access(p, F_OK), -1, "the image was written");
	snprintf(p, sizeof(p), "%s/state", dir);
	cr_assert_eq(rootfs_cleanup(p), 0, "%s", last_error());
	const char *parts[] = {"upper", "work", "merged"};
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		snprintf(p, sizeof(p), "%s/state/%s", dir, parts[i]);
		cr_assert_eq(access(p, F_OK), -1, "%s left", p);
	}
}

Test(image, overlay_refuses_option_separators_in_paths)
{
	struct rootfs r;
	cr_assert_eq(rootfs_mount_overlay(dir, "/tmp/a,upperdir=/x", &r), -1);
	cr_assert_eq(errno, EINVAL);
}
