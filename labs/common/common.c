/*
 * common.c - error, progress, fd, file and time helpers (see common.h).
 */
#include "common.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

/* ---- dying ------------------------------------------------------------------- */

/* Set while a "=> step ... " line waits for its "done". */
static bool step_open;

/* A program dying in the middle of a step ends its line first, so the error
 * stands on a line of its own. */
static void step_failed(void)
{
	if (step_open) {
		fputs("failed\n", stdout);
		step_open = false;
	}
}

static void vreport(const char *fmt, va_list ap, int err)
{
	/* One write per message, so lines from several processes do not interleave. */
	char line[2048];
	int n = snprintf(line, sizeof(line), "%s: ", program_invocation_short_name);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (err && n < (int)sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(err));
	if (n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fflush(stdout);
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report */
	}
}

void die(const char *fmt, ...)
{
	va_list ap;
	step_failed();
	va_start(ap, fmt);
	vreport(fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	step_failed();
	va_start(ap, fmt);
	vreport(fmt, ap, err);
	va_end(ap);
	exit(1);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;
	step_failed();
	va_start(ap, fmt);
	vreport(fmt, ap, 0);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", program_invocation_short_name);
	exit(2);
}

void die_bad_option(int c, char *const argv[])
{
	const char *arg = argv[optind - 1];
	/* getopt advances optind past a cluster of short options ("-xy") only at
	 * its last letter: for an earlier one, argv[optind - 1] is the argument
	 * before the cluster, perhaps a long option, and the letter is optopt. */
	const char *next = argv[optind];
	size_t letters = next && next[0] == '-' && next[1] != '-' ? strlen(next + 1) : 0;
	bool in_cluster = optopt && letters > 1 && memchr(next + 1, optopt, letters - 1);
	bool is_long = !in_cluster && !strncmp(arg, "--", 2);
	if (c == ':' && is_long)
		die_usage("option '%s' needs a value", arg);
	if (c == ':')
		die_usage("option '-%c' needs a value", optopt);
	if (optopt && is_long) /* a known long option given "=value" it takes none of */
		die_usage("option '%s' takes no value", arg);
	if (optopt)
		die_usage("unknown option '-%c'", optopt);
	die_usage("unknown option '%s'", arg);
}

void die_last(void)
{
	die("%s", last_error());
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap, 0);
	va_end(ap);
}

void warn_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap, err);
	va_end(ap);
	errno = err;
}

/* ---- recorded errors ---------------------------------------------------------- */

static __thread char last_msg[1024];

/* Formatted aside, then copied: an argument may be last_msg itself (a
 * message wrapping the one before), which vsnprintf must not write over
 * while it reads it. */
int(fail_errno)(const char *fmt, ...)
{
	int err = errno;
	char msg[sizeof(last_msg)];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(err));
	memcpy(last_msg, msg, sizeof(msg));
	errno = err;
	return -1;
}

int(fail_msg)(int err, const char *fmt, ...)
{
	char msg[sizeof(last_msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(last_msg, msg, sizeof(msg));
	errno = err;
	return -1;
}

const char *last_error(void)
{
	return last_msg;
}

void set_last_error(const char *msg)
{
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

/* ---- progress ----------------------------------------------------------------- */

void step(const char *fmt, ...)
{
	va_list ap;
	fputs("=> ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs(" ... ", stdout);
	fflush(stdout);
	step_open = true;
}

void step_done(void)
{
	step_open = false;
	puts("done");
	fflush(stdout);
}

void step_done_with(const char *fmt, ...)
{
	va_list ap;
	step_open = false;
	fputs("done (", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	puts(")");
	fflush(stdout);
}

/* ---- course mode -------------------------------------------------------------- */

int exercise_todo(int lab, const char *id)
{
	/* The capstone's exercises count as lab 7 in the tooling; a student
	 * knows it as "the capstone". */
	char what[16];
	if (lab == 7)
		snprintf(what, sizeof(what), "capstone");
	else
		snprintf(what, sizeof(what), "lab-%d", lab);
	step_failed();
	fprintf(stderr, "%s exercise not done: %s\n", what, id);
	fail_msg(ENOSYS, "%s exercise not done: %s", what, id);
	return -1;
}

/* ---- fds ---------------------------------------------------------------------- */

/* Kernels before 5.9 have no close_range: walk /proc/self/fd, skipping the
 * directory's own fd and those in keep. */
static int close_fds_walk(int lowfd, const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return fail_errno("opendir(/proc/self/fd)");
	int self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		long fd;
		bool kept = false;
		if (parse_long(e->d_name, lowfd, INT_MAX, &fd) < 0 || fd == self)
			continue;
		for (size_t k = 0; k < n; k++)
			kept |= keep[k] == fd;
		if (!kept)
			close((int)fd);
	}
	closedir(d);
	return 0;
}

int close_fds_from(int lowfd)
{
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
		return 0;
	return close_fds_walk(lowfd, NULL, 0);
}

int close_fds_except(const int *keep, size_t n)
{
	/* close_range over each gap between the fds kept, lowest first */
	for (int lo = 3;;) {
		int next = INT_MAX;
		for (size_t k = 0; k < n; k++)
			if (keep[k] >= lo && keep[k] < next)
				next = keep[k];
		if (next > lo && syscall(SYS_close_range, (unsigned)lo,
		                         next == INT_MAX ? ~0U : (unsigned)next - 1, 0) < 0)
			return close_fds_walk(lo, keep, n);
		if (next == INT_MAX)
			return 0;
		lo = next + 1;
	}
}

int fd_above_stdio(int *fd)
{
	if (*fd < 0 || *fd > 2)
		return 0;
	int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (moved < 0)
		return fail_errno("fcntl(%d, F_DUPFD_CLOEXEC, 3)", *fd);
	close(*fd);
	*fd = moved;
	return 0;
}

/* ---- files -------------------------------------------------------------------- */

int write_whole(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno("write(%s)", what);
		if (n == 0)
			return fail_msg(EIO, "write(%s): nothing written", what);
		off += (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return fail_msg(EOVERFLOW, "write_file(%s): content too long", path);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open(%s)", path);
	/* procfs files such as uid_map must receive their content in one write(2):
	 * a remainder written after would be refused, or read as a second
	 * value. So a short write is an error, and write(2) sets no errno for one. */
	ssize_t w = write(fd, buf, (size_t)n);
	if (w < 0)
		return fail_errno("write(%s)", path);
	if (w != n)
		return fail_msg(EIO, "write(%s): wrote %zd of %d bytes", path, w, n);
	return 0;
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	if (size == 0)
		return fail_msg(EINVAL, "read_file(%s): no room in the buffer", path);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open(%s)", path);
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno("read(%s)", path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return (ssize_t)len;
}

void mountinfo_unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

bool in_list(const char *list, char sep, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; *p;) {
		const char *end = strchrnul(p, sep);
		if ((size_t)(end - p) == n && !strncmp(p, word, n))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	/* strtol would skip leading white space: " 42" is not a number here. */
	if (!s || !(isdigit((unsigned char)*s) || *s == '-' || *s == '+')) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* EEXIST says a name is there, not that it is a directory. */
static int is_dir_there(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return fail_errno("stat(%s)", path);
	if (!S_ISDIR(st.st_mode))
		return fail_msg(ENOTDIR, "mkdir(%s): exists and is not a directory", path);
	return 0;
}

/* mkdir's result rc for path: made, or a directory already there. */
static int made_or_there(int rc, const char *path)
{
	if (rc == 0)
		return 0;
	if (errno != EEXIST)
		return fail_errno("mkdir(%s)", path);
	return is_dir_there(path);
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (!*path)
		return fail_msg(EINVAL, "mkdir_p: empty path");
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return fail_msg(ENAMETOOLONG, "mkdir_p(%s): path too long", path);
	size_t len = strlen(buf);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	/* Deepest first: the directory, or all of it but the last component,
	 * is there most of the time, and one mkdir says so. Walking down from
	 * "/" cost two system calls a level, every time. Up while a parent is
	 * missing, cutting the path at its last '/', then down again. */
	int rc;
	while ((rc = mkdir(buf, mode)) < 0 && errno == ENOENT) {
		char *slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			break;
		*slash = '\0';
	}
	if (made_or_there(rc, buf) < 0)
		return -1;
	for (size_t at = strlen(buf); at < len; at = strlen(buf)) {
		buf[at] = '/';
		if (made_or_there(mkdir(buf, mode), buf) < 0)
			return -1;
	}
	return 0;
}

/* Open the directory name beneath dirfd, refusing to cross into another
 * mount. A change of st_dev would miss a bind mount from the same filesystem
 * (a hostPath bound into a pod's directory); RESOLVE_NO_XDEV does not. */
static int open_subdir(int dirfd, const char *name)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
	    .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS,
	};
	return sys_openat2(dirfd, name, &how, sizeof(how));
}

/* Remove the entries of dirfd (which it closes). */
static int rm_rf_at(int dirfd, const char *shown)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return fail_errno("fdopendir(%s)", shown);
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = fail_errno("fstatat(%s/%s)", shown, e->d_name);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dirfd, e->d_name, 0) < 0)
				rc = fail_errno("unlink(%s/%s)", shown, e->d_name);
			continue;
		}
		int sub = open_subdir(dirfd, e->d_name);
		if (sub < 0 && errno == EXDEV) {
			/* Deleting through it would wipe someone else's files. */
			rc = fail_msg(EBUSY, "rm_rf(%s/%s): is a mount point", shown, e->d_name);
			continue;
		}
		if (sub < 0) {
			rc = fail_errno("openat2(%s/%s)", shown, e->d_name);
			continue;
		}
		char inner[PATH_MAX];
		snprintf(inner, sizeof(inner), "%s/%s", shown, e->d_name);
		if (rm_rf_at(sub, inner) < 0) {
			rc = -1;
			continue;
		}
		if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0)
			rc = fail_errno("rmdir(%s/%s)", shown, e->d_name);
	}
	closedir(d);
	return rc;
}

int rm_rf_beneath(int dirfd, const char *name)
{
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return fail_msg(EINVAL, "rm_rf_beneath(%s): not one entry of its directory", name);
	int fd = open_subdir(dirfd, name);
	if (fd < 0)
		return errno == EXDEV ? fail_msg(EBUSY, "rm_rf(%s): is a mount point", name)
		                      : fail_errno("openat2(%s)", name);
	if (rm_rf_at(fd, name) < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		return fail_errno("rmdir(%s)", name);
	return 0;
}

int is_mount_point(const char *path)
{
	struct statx stx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
		return fail_errno("statx(%s)", path);
	/* Linux 5.8; an older kernel leaves the bit out of the mask */
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : fail_errno("lstat(%s)", path);
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? fail_errno("unlink(%s)", path) : 0;
	/* The top too: a directory something is still mounted on would be
	 * emptied through the mount (a volume, an overlay's merged view). */
	if (is_mount_point(path) == 1)
		return fail_msg(EBUSY, "rm_rf(%s): is a mount point", path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open(%s)", path);
	if (rm_rf_at(fd, path) < 0)
		return -1;
	if (rmdir(path) < 0)
		return fail_errno("rmdir(%s)", path);
	return 0;
}

/* ---- time --------------------------------------------------------------------- */

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t now_ms(void)
{
	return now_ns() / 1000000;
}

void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* ---- raw syscalls --------------------------------------------------------------- */

int sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

int sys_pidfd_send_signal(int pidfd, int sig, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

int sys_openat2(int dirfd, const char *path, struct open_how *how, size_t size)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, size);
}

int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}
