/*
 * test_common.c - unit tests of the shared helpers (labs/common/common.c).
 *
 * Criterion runs each test in its own process: tests that unshare a mount
 * namespace leave nothing behind when they end.
 */
#include "common.h"
#include "deny_syscall.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* A fresh directory for one test; removed (by the test, with rm_rf) at the end. */
static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/podlab-test-common.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	rm_rf(dir);
}

static const char *at(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, rel);
	return buf[i];
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "create %s", path);
	close(fd);
}

/* ---- parse_long ----------------------------------------------------------- */

Test(parse_long, good)
{
	long v = 0;
	cr_assert_eq(parse_long("42", 0, 100, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(parse_long("-7", -10, 10, &v), 0);
	cr_assert_eq(v, -7);
	cr_assert_eq(parse_long("0", 0, 0, &v), 0);
	cr_assert_eq(parse_long("100", 0, 100, &v), 0, "max is inclusive");
}

Test(parse_long, not_a_number)
{
	long v = 99;
	const char *bad[] = {"", "x", "12x", "4 2", "0x10", "1.5"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		cr_assert_eq(parse_long(bad[i], 0, 1000, &v), -1, "'%s'", bad[i]);
		cr_assert_eq(errno, EINVAL, "'%s'", bad[i]);
	}
	cr_assert_eq(parse_long(NULL, 0, 1000, &v), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(v, 99, "out is untouched on failure");
}

Test(parse_long, out_of_range)
{
	long v = 99;
	cr_assert_eq(parse_long("101", 0, 100, &v), -1);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(parse_long("-1", 0, 100, &v), -1);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(parse_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v), -1);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(v, 99);
}

/* strtol skips leading white space; " 42" is not "a whole decimal string". */
Test(parse_long, rejects_leading_space)
{
	long v;
	cr_assert_eq(parse_long(" 42", 0, 100, &v), -1);
	cr_assert_eq(errno, EINVAL);
}

/* ---- in_list ----------------------------------------------------------------- */

Test(in_list, whole_items_only)
{
	cr_assert(in_list("cpu,cpuacct,memory", ',', "cpuacct"));
	cr_assert(in_list("cpu,cpuacct,memory", ',', "memory"));
	cr_assert(!in_list("cpu,cpuacct,memory", ',', "cpuac"), "a prefix is no item");
	cr_assert(!in_list("cpu,cpuacct", ',', "cpu,cpuacct"), "nor are two");
	cr_assert(in_list("/a/b\n/a/c\n", '\n', "/a/c"));
	cr_assert(!in_list("/a/b\n/a/c\n", '\n', "/a"));
	cr_assert(!in_list("", ',', "cpu"));
}

/* ---- mkdir_p ---------------------------------------------------------------- */

Test(mkdir_p, creates_every_component, .init = make_dir, .fini = remove_dir)
{
	mode_t old = umask(0);
	cr_assert_eq(mkdir_p(at("a/b/c"), 0750), 0, "%s", last_error());
	umask(old);
	struct stat st;
	cr_assert_eq(stat(at("a/b/c"), &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0750);
	cr_assert_eq(stat(at("a"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0750);
}

Test(mkdir_p, existing_and_trailing_slash, .init = make_dir, .fini = remove_dir)
{
	cr_assert_eq(mkdir_p(at("x/y"), 0755), 0);
	cr_assert_eq(mkdir_p(at("x/y"), 0755), 0, "an existing directory is fine");
	cr_assert_eq(mkdir_p(at("x/y/z/"), 0755), 0);
	cr_assert(exists(at("x/y/z")));
	cr_assert_eq(mkdir_p("/", 0755), 0);
}

Test(mkdir_p, file_in_the_way, .init = make_dir, .fini = remove_dir)
{
	touch(at("f"));
	cr_assert_eq(mkdir_p(at("f/sub"), 0755), -1);
	cr_assert_eq(errno, ENOTDIR);
	cr_assert(strstr(last_error(), "mkdir("), "got: %s", last_error());
}

/* When the LAST component exists as a file, mkdir's EEXIST is no success. */
Test(mkdir_p, last_component_is_a_file, .init = make_dir, .fini = remove_dir)
{
	touch(at("f"));
	cr_assert_eq(mkdir_p(at("f"), 0755), -1);
	cr_assert_eq(errno, ENOTDIR);
}

Test(mkdir_p, too_long)
{
	char path[PATH_MAX + 16];
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	cr_assert_eq(mkdir_p(path, 0755), -1);
	cr_assert_eq(errno, ENAMETOOLONG);
}

/* ---- rm_rf -------------------------------------------------------------------- */

Test(rm_rf, removes_a_tree_without_following_symlinks, .init = make_dir, .fini = remove_dir)
{
	cr_assert_eq(mkdir_p(at("tree/a/b"), 0755), 0);
	cr_assert_eq(mkdir_p(at("outside"), 0755), 0);
	touch(at("tree/a/b/file"));
	touch(at("tree/top"));
	touch(at("outside/keep"));
	/* links to a directory and a file outside the tree: removed, not followed */
	cr_assert_eq(symlink(at("outside"), at("tree/a/link-dir")), 0);
	cr_assert_eq(symlink(at("outside/keep"), at("tree/link-file")), 0);

	cr_assert_eq(rm_rf(at("tree")), 0, "%s", last_error());
	cr_assert_not(exists(at("tree")));
	cr_assert(exists(at("outside/keep")), "a symlink was followed");
}

Test(rm_rf, missing_is_fine_and_files_go, .init = make_dir, .fini = remove_dir)
{
	cr_assert_eq(rm_rf(at("nothing-here")), 0);
	touch(at("file"));
	cr_assert_eq(rm_rf(at("file")), 0);
	cr_assert_not(exists(at("file")));
	/* a symlink given as the path is removed itself */
	cr_assert_eq(mkdir_p(at("target"), 0755), 0);
	touch(at("target/keep"));
	cr_assert_eq(symlink(at("target"), at("link")), 0);
	cr_assert_eq(rm_rf(at("link")), 0);
	cr_assert_not(exists(at("link")));
	cr_assert(exists(at("target/keep")));
}

/* A mount namespace of this test process's own (Criterion runs each test in
 * a process of its own: its mounts go with it), where it needs root. */
static void private_mounts(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (a mount namespace, mounts)");
	cr_assert_eq(unshare(CLONE_NEWNS), 0);
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
}

/* In a private mount namespace of this test process: mount a tmpfs inside the
 * tree. rm_rf must refuse to descend into it and leave its files alone. */
Test(rm_rf, refuses_to_cross_a_mount_point, .init = make_dir, .fini = remove_dir)
{
	private_mounts();
	cr_assert_eq(mkdir_p(at("tree/mnt"), 0755), 0);
	touch(at("tree/plain"));
	cr_assert_eq(mount("tmpfs", at("tree/mnt"), "tmpfs", 0, "size=1m"), 0);
	touch(at("tree/mnt/precious"));

	errno = 0;
	cr_assert_eq(rm_rf(at("tree")), -1);
	cr_assert_eq(errno, EBUSY);
	cr_assert(strstr(last_error(), "mount point"), "got: %s", last_error());
	cr_assert(exists(at("tree/mnt/precious")), "rm_rf deleted files of another mount");

	cr_assert_eq(umount2(at("tree/mnt"), MNT_DETACH), 0);
	cr_assert_eq(rm_rf(at("tree")), 0, "%s", last_error());
}

/* A bind mount from the same filesystem keeps st_dev, so a change of st_dev
 * cannot spot it. This is the hostPath case: rm_rf on a pod directory must
 * not wipe the host directory bound into it. */
Test(rm_rf, refuses_to_cross_a_bind_mount, .init = make_dir, .fini = remove_dir)
{
	private_mounts();
	cr_assert_eq(mkdir_p(at("tree/mnt"), 0755), 0);
	cr_assert_eq(mkdir_p(at("host"), 0755), 0);
	touch(at("host/precious"));
	cr_assert_eq(mount(at("host"), at("tree/mnt"), NULL, MS_BIND, NULL), 0);

	cr_expect_eq(rm_rf(at("tree")), -1);
	cr_expect_eq(errno, EBUSY);
	cr_expect(exists(at("host/precious")), "rm_rf deleted files through a bind mount");
	umount2(at("tree/mnt"), MNT_DETACH);
}

/* The path itself a mount point (a bind of a host directory, still
 * mounted): nothing of it is deleted, and the error says which path. An
 * error deeper down names the entry where it happened. */
Test(rm_rf, refuses_a_path_that_is_a_mount_point, .init = make_dir, .fini = remove_dir)
{
	private_mounts();
	cr_assert_eq(mkdir_p(at("mnt"), 0755), 0);
	cr_assert_eq(mkdir_p(at("host/deep/er"), 0755), 0);
	touch(at("host/precious"));
	cr_assert_eq(mount(at("host"), at("mnt"), NULL, MS_BIND, NULL), 0);

	cr_expect_eq(rm_rf(at("mnt")), -1);
	cr_expect_eq(errno, EBUSY);
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "rm_rf(%s): is a mount point", at("mnt"));
	cr_expect_str_eq(last_error(), want);
	cr_expect(exists(at("host/precious")), "rm_rf deleted files through the mount");
	umount2(at("mnt"), MNT_DETACH);

	cr_assert_eq(mount("tmpfs", at("host/deep/er"), "tmpfs", 0, "size=1m"), 0);
	cr_expect_eq(rm_rf(at("host")), -1);
	snprintf(want, sizeof(want), "rm_rf(%s/er): is a mount point", at("host/deep"));
	cr_expect_str_eq(last_error(), want);
	umount2(at("host/deep/er"), MNT_DETACH);
}

/* ---- read_file / write_file -------------------------------------------------------- */

Test(files, write_then_read, .init = make_dir, .fini = remove_dir)
{
	touch(at("f"));
	cr_assert_eq(write_file(at("f"), "hello %d\n", 42), 0, "%s", last_error());
	char buf[64];
	cr_assert_eq(read_file(at("f"), buf, sizeof(buf)), 8, "the trailing newline goes");
	cr_assert_str_eq(buf, "hello 42");
}

Test(files, read_truncates_to_the_buffer, .init = make_dir, .fini = remove_dir)
{
	touch(at("f"));
	cr_assert_eq(write_file(at("f"), "0123456789"), 0);
	char buf[5];
	cr_assert_eq(read_file(at("f"), buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "0123");
}

Test(files, read_procfs)
{
	char buf[64];
	cr_assert_gt(read_file("/proc/self/comm", buf, sizeof(buf)), 0);
	cr_assert_eq(strchr(buf, '\n'), NULL);
}

Test(files, errors_name_the_path, .init = make_dir, .fini = remove_dir)
{
	char buf[16];
	errno = 0;
	cr_assert_eq(read_file(at("missing"), buf, sizeof(buf)), -1);
	cr_assert_eq(errno, ENOENT);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "open(%s): %s", at("missing"), strerror(ENOENT));
	cr_assert_str_eq(last_error(), want);

	/* write_file writes files that exist (procfs, sysfs): no O_CREAT */
	cr_assert_eq(write_file(at("missing"), "x"), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_not(exists(at("missing")));

	cr_assert_eq(read_file(dir, buf, sizeof(buf)), -1, "a directory cannot be read");
	cr_assert_eq(errno, EISDIR);
}

Test(files, write_too_long, .init = make_dir, .fini = remove_dir)
{
	touch(at("f"));
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(write_file(at("f"), "%s", big), -1);
	cr_assert_eq(errno, EOVERFLOW);
	struct stat st;
	cr_assert_eq(stat(at("f"), &st), 0);
	cr_assert_eq(st.st_size, 0, "nothing written");
}

/* procfs files take their content in one write(2), so write_file never
 * writes a remainder; a short write is an error, and one with an errno:
 * write(2) sets none when it writes some bytes. RLIMIT_FSIZE cuts a write to
 * a regular file short. */
Test(files, short_write_is_an_error_with_errno, .init = make_dir, .fini = remove_dir)
{
	touch(at("f"));
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit lim = {4, 4};
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	errno = 0;
	cr_assert_eq(write_file(at("f"), "0123456789"), -1);
	cr_assert_eq(errno, EIO, "errno %d", errno);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "write(%s): wrote 4 of 10 bytes", at("f"));
	cr_assert_str_eq(last_error(), want);
}

/* ---- recorded errors ----------------------------------------------------------------- */

Test(errors, fail_errno_formats_and_keeps_errno)
{
	errno = ENOENT;
	cr_assert_eq(fail_errno("mount(%s)", "/x"), -1);
	cr_assert_eq(errno, ENOENT);
	char want[128];
	snprintf(want, sizeof(want), "mount(/x): %s", strerror(ENOENT));
	cr_assert_str_eq(last_error(), want);
}

Test(errors, fail_msg_sets_errno)
{
	errno = 0;
	cr_assert_eq(fail_msg(EINVAL, "bad %s", "thing"), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_str_eq(last_error(), "bad thing");
	set_last_error("from a child");
	cr_assert_str_eq(last_error(), "from a child");
}

/* A module wraps what the call it made recorded: the last message is one
 * of the arguments, and must be read whole before it is written over. */
Test(errors, a_message_may_wrap_the_last_one)
{
	fail_msg(ENOENT, "open(%s): %s", "/a/path/of/some/length", "No such file or directory");
	fail_msg(EINVAL, "PODRUN_X=1: %s", last_error());
	cr_assert_str_eq(last_error(),
	                 "PODRUN_X=1: open(/a/path/of/some/length): No such file or directory");
	errno = EPERM;
	fail_errno("volume v: %s", last_error());
	cr_assert_str_eq(last_error(), "volume v: PODRUN_X=1: open(/a/path/of/some/length): No "
	                               "such file or directory: Operation not permitted");
}

Test(errors, long_messages_are_cut_not_overflowed)
{
	char big[4000];
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	errno = EPERM;
	cr_assert_eq(fail_errno("%s", big), -1);
	cr_assert_eq(errno, EPERM);
	size_t n = strlen(last_error());
	cr_assert_gt(n, 100);
	cr_assert_lt(n, sizeof(big));
	fail_msg(EIO, "%s", big);
	cr_assert_lt(strlen(last_error()), sizeof(big));
}

Test(errors, exercise_todo)
{
	cr_assert_eq(exercise_todo(1, "ns-join"), -1);
	cr_assert_eq(errno, ENOSYS);
	cr_assert_str_eq(last_error(), "lab-1 exercise not done: ns-join");
}

Test(die, die_exits_1, .exit_code = 1)
{
	die("boom");
}

Test(die, die_usage_exits_2, .exit_code = 2)
{
	die_usage("bad argument");
}

Test(die, die_last_exits_1, .exit_code = 1)
{
	fail_msg(EINVAL, "recorded");
	die_last();
}

/* The first line die_bad_option() writes for this command line, parsed as a
 * program with -v, --verbose and -d/--dir VALUE parses it; it must exit 2. */
static void bad_option_says(char *const argv[], const char *want)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		static const struct option opts[] = {{"verbose", no_argument, NULL, 'v'},
		                                     {"dir", required_argument, NULL, 'd'},
		                                     {0}};
		dup2(p[1], STDERR_FILENO);
		int argc = 0, c;
		while (argv[argc])
			argc++;
		while ((c = getopt_long(argc, argv, ":vd:", opts, NULL)) != -1)
			if (c != 'v' && c != 'd')
				die_bad_option(c, argv);
		_exit(0);
	}
	close(p[1]);
	char got[512] = "";
	ssize_t n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	got[n > 0 ? n : 0] = '\0';
	*strchrnul(got, '\n') = '\0';
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 2, "%s: status %#x", want, status);
	char line[256];
	snprintf(line, sizeof(line), "%s: %s", program_invocation_short_name, want);
	cr_expect_str_eq(got, line);
}

/* getopt leaves optind on a cluster of short options ("-xy") until its last
 * letter: an unknown first letter is not the long option before it. */
Test(die, bad_option_names_the_option_at_fault)
{
	bad_option_says((char *[]){"p", "--verbose", "-xy", NULL}, "unknown option '-x'");
	bad_option_says((char *[]){"p", "--dir=/a", "-zy", NULL}, "unknown option '-z'");
	bad_option_says((char *[]){"p", "-vd", NULL}, "option '-d' needs a value");
	bad_option_says((char *[]){"p", "-x", NULL}, "unknown option '-x'");
	bad_option_says((char *[]){"p", "--verbose=1", NULL},
	                "option '--verbose=1' takes no value");
	bad_option_says((char *[]){"p", "--dir", NULL}, "option '--dir' needs a value");
	bad_option_says((char *[]){"p", "--bogus", NULL}, "unknown option '--bogus'");
}

/* ---- fds and time -------------------------------------------------------------------- */

Test(fds, close_fds_from)
{
	/* In a child: the test runner has fds of its own open in this process. */
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int b = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int low = a < b ? a : b, high = a < b ? b : a;
		if (close_fds_from(high) < 0)
			_exit(2);
		_exit(fcntl(low, F_GETFD) != -1 && fcntl(high, F_GETFD) == -1 ? 0 : 1);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "fds from the limit up are closed, those below stay open");
}

Test(fds, close_fds_except)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd[4];
		for (int i = 0; i < 4; i++)
			fd[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* kept: the second and the last; -1 keeps nothing */
		int keep[] = {fd[3], -1, fd[1]};
		if (close_fds_except(keep, 3) < 0)
			_exit(2);
		bool open0 = fcntl(fd[0], F_GETFD) != -1, open1 = fcntl(fd[1], F_GETFD) != -1;
		bool open2 = fcntl(fd[2], F_GETFD) != -1, open3 = fcntl(fd[3], F_GETFD) != -1;
		_exit(!open0 && open1 && !open2 && open3 ? 0 : 1);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "every fd from 3 up is closed but those kept");
}

/* A kernel without close_range (before 5.9): this process gets ENOSYS for
 * it from now on, and the helpers must fall back to walking /proc/self/fd. */
static void without_close_range(void)
{
	if (deny_syscall(SYS_close_range, ENOSYS) < 0 ||
	    syscall(SYS_close_range, 1000U, 1000U, 0) == 0 || errno != ENOSYS)
		_exit(3);
}

Test(fds, close_fds_without_close_range)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		without_close_range();
		int fd[4];
		for (int i = 0; i < 4; i++)
			fd[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int keep[] = {fd[1]};
		if (close_fds_except(keep, 1) < 0)
			_exit(2);
		bool open0 = fcntl(fd[0], F_GETFD) != -1, open1 = fcntl(fd[1], F_GETFD) != -1;
		bool open2 = fcntl(fd[2], F_GETFD) != -1, open3 = fcntl(fd[3], F_GETFD) != -1;
		if (open0 || !open1 || open2 || open3)
			_exit(1);
		int again = fcntl(fd[1], F_DUPFD_CLOEXEC, fd[1] + 5);
		if (close_fds_from(fd[1]) < 0)
			_exit(2);
		_exit(fcntl(fd[1], F_GETFD) == -1 && fcntl(again, F_GETFD) == -1 ? 0 : 1);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 3, "the filter did not load");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "without close_range, the /proc/self/fd walk closes the same fds");
}

Test(fds, cleanup_close)
{
	int seen;
	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		seen = fd;
		cr_assert_geq(fd, 0);
	}
	cr_assert_eq(fcntl(seen, F_GETFD), -1, "closed when it left scope");
}

Test(time, monotonic)
{
	int64_t a = now_ns();
	sleep_ms(2);
	int64_t b = now_ns();
	cr_assert_geq(b - a, 2000000);
	cr_assert_geq(now_ms(), a / 1000000);
}
