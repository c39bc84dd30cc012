/*
 * common.h - the helpers every podlab program and module uses.
 *
 * Three conventions hold across the whole project:
 *
 *   1. Programs stop on error with die()/die_errno(): one line on stderr that
 *      names the program, what failed (the syscall, with its argument) and
 *      strerror(errno), then exit status 1. Usage errors use die_usage():
 *      exit status 2.
 *
 *   2. Modules (ns_, infra_, vol_, ...) never print and never exit. A failing
 *      module function returns -1 with errno set and records one message,
 *      e.g. "setns(/proc/42/ns/net): Operation not permitted", through
 *      fail_errno()/fail_msg(). The caller prints it with last_error().
 *
 *   3. Progress is printed as "=> what ... done" lines with step()/step_done().
 */
#ifndef PODLAB_COMMON_H
#define PODLAB_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define NORETURN      __attribute__((noreturn))
#define PRINTF(a, b)  __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- dying (programs only) -------------------------------------------- */

/* "prog: message" on stderr, exit 1. */
NORETURN void die(const char *fmt, ...) PRINTF(1, 2);
/* "prog: message: strerror(errno)" on stderr, exit 1. */
NORETURN void die_errno(const char *fmt, ...) PRINTF(1, 2);
/* "prog: message" and "Try 'prog --help'." on stderr, exit 2. */
NORETURN void die_usage(const char *fmt, ...) PRINTF(1, 2);
/* The one line for an option getopt_long(3) rejected - "unknown option
 * '--x'", "option '--dir' needs a value", "option '--help=x' takes no value" -
 * then exit 2. c is what getopt_long returned; its optstring must start with
 * ':' so that it prints nothing itself. */
NORETURN void die_bad_option(int c, char *const argv[]);
/* "prog: last_error()" on stderr, exit 1: for a failed module call. */
NORETURN void die_last(void);
/* Warnings keep going. */
void warn(const char *fmt, ...) PRINTF(1, 2);
void warn_errno(const char *fmt, ...) PRINTF(1, 2);

/* ---- recording an error (modules) ------------------------------------- */

/* Record "message: strerror(errno)"; errno is kept. Returns -1. The last
 * message may be an argument: "...: %s", last_error() wraps it. */
int fail_errno(const char *fmt, ...) PRINTF(1, 2);
/* Record "message" and set errno = err. Returns -1. Wraps as fail_errno. */
int fail_msg(int err, const char *fmt, ...) PRINTF(2, 3);
/* The -1 is spelled out at each call site: gcc's -fanalyzer reads one file at
 * a time, and without it would follow `return fail_errno(...)` as a success
 * path into code that only runs after one (`make lint`). */
#define fail_errno(...)                                                                            \
	({                                                                                         \
		fail_errno(__VA_ARGS__);                                                           \
		-1;                                                                                \
	})
#define fail_msg(e, ...)                                                                           \
	({                                                                                         \
		fail_msg(e, __VA_ARGS__);                                                          \
		-1;                                                                                \
	})
/* gcc 12's -fanalyzer forgets a pointer stored in a heap array once realloc
 * has moved the array, and reports it leaked (a loop that grows a string
 * vector with realloc and strdup()s into the new slot is enough). Around the
 * few stores that trip it, these silence that one warning; clang, which
 * builds the fuzz targets, has no such warning and does not see them. */
/* (clang-format would split the pragma's string.) */
// clang-format off
#if defined(__GNUC__) && !defined(__clang__)
#define ANALYZER_REALLOC_LEAK_FP_BEGIN \
	_Pragma("GCC diagnostic push") \
	_Pragma("GCC diagnostic ignored \"-Wanalyzer-malloc-leak\"")
#define ANALYZER_REALLOC_LEAK_FP_END _Pragma("GCC diagnostic pop")
#else
#define ANALYZER_REALLOC_LEAK_FP_BEGIN
#define ANALYZER_REALLOC_LEAK_FP_END
#endif
// clang-format on
/* The last recorded message ("" when none). */
const char *last_error(void);
/* Replace the last message by one received from elsewhere (a child's pipe). */
void set_last_error(const char *msg);

/* ---- progress lines ----------------------------------------------------- */

/* Prints "=> what ... " (no newline yet) on stdout. */
void step(const char *fmt, ...) PRINTF(1, 2);
/* Ends the current step line: "done", or "done (details)". */
void step_done(void);
void step_done_with(const char *fmt, ...) PRINTF(1, 2);

/* ---- course mode ------------------------------------------------------------
 * In a student handout every exercise region is replaced by a stub that calls
 * this: it prints "lab-N exercise not done: ID" on stderr, sets errno to
 * ENOSYS and returns -1, so the program fails loudly, never silently.
 */
int exercise_todo(int lab, const char *id);

/* ---- fds ---------------------------------------------------------------- */

/* Close every fd >= lowfd (close_range(2), or /proc/self/fd where it is missing). */
int close_fds_from(int lowfd);
/* Close every fd from 3 up but the n in keep (an entry of -1 keeps nothing). */
int close_fds_except(const int *keep, size_t n);
/* A caller started with 0, 1 or 2 closed hands those numbers out first, to
 * the pipes a child reports on among others: the child's dup2s onto 0-2
 * would then close them. Moves *fd, when it is 0-2, to a close-on-exec copy
 * above 2 and closes the old number; on failure (-1) *fd is left as it was,
 * to report on. */
int fd_above_stdio(int *fd);
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}
static inline void freep(void *p)
{
	free(*(void **)p);
}
/* bubblewrap-style cleanup attributes: run when the variable leaves scope. */
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_free_  __attribute__((cleanup(freep)))

/* ---- small files and numbers ---------------------------------------------- */

/* Write a string to a file that exists (procfs, sysfs). -1 + last_error. */
int write_file(const char *path, const char *fmt, ...) PRINTF(2, 3);
/* All len bytes to fd, however many write(2)s it takes; -1 + last_error
 * naming what (a short write sets no errno: one that writes nothing is EIO). */
int write_whole(int fd, const void *buf, size_t len, const char *what);
/* Read up to size-1 bytes, NUL-terminated, trailing newline removed. */
ssize_t read_file(const char *path, char *buf, size_t size);
/* Is word one of the items of list, which sep separates ("a,b,c" with ',',
 * lines with '\n')? */
bool in_list(const char *list, char sep, const char *word);
/* Undo, in place, the \ooo (octal) escapes /proc/self/mountinfo writes for
 * a space, tab, newline or backslash in a path, so that its fields stay
 * split by spaces. */
void mountinfo_unescape(char *s);
/* Parse a whole decimal string in [min, max]. 0 or -1 (errno EINVAL/ERANGE). */
int parse_long(const char *s, long min, long max, long *out);
/* mkdir -p with mode for each created component. */
int mkdir_p(const char *path, mode_t mode);
/* rm -rf that never follows a symlink and never crosses into another mount:
 * a mount point, path itself included, fails it with EBUSY. */
int rm_rf(const char *path);
/* The same for the directory name in dirfd (one component), reached without
 * a symlink: what a later tar entry replacing a directory removes. */
int rm_rf_beneath(int dirfd, const char *name);
/* Is path (not followed if a symlink) the root of a mount? 1, 0, or -1 +
 * last_error (statx). */
int is_mount_point(const char *path);

/* ---- time ----------------------------------------------------------------- */

/* CLOCK_MONOTONIC in milliseconds / nanoseconds. */
int64_t now_ms(void);
int64_t now_ns(void);
void sleep_ms(long ms);

/* ---- syscalls glibc 2.36 has no wrapper for ------------------------------ */

int sys_pidfd_open(pid_t pid, unsigned int flags);
int sys_pidfd_send_signal(int pidfd, int sig, unsigned int flags);
/* openat2(2); struct open_how comes from <linux/openat2.h>. */
struct open_how;
int sys_openat2(int dirfd, const char *path, struct open_how *how, size_t size);
int sys_pivot_root(const char *new_root, const char *put_old);

#endif
