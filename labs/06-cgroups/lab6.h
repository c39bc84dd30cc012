/*
 * lab6.h - what the lab 6 step programs share: sizes on the command line,
 * the host's layout, a child that enters a cgroup before it runs, and
 * --hold (from lab 2) so that a check can look at a living cgroup.
 */
#ifndef PODLAB_LAB6_H
#define PODLAB_LAB6_H

#include "cgroup.h"
#include "common.h"
#include "hold.h"
#include "interrupt.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* "67108864", "64M", "64Mi", "1G", "1Gi" -> bytes (K, M, G are binary here:
 * a step program is not the place for Kubernetes' decimal units; the
 * capstone's spec parser is). Usage error on anything else. */
static inline int64_t lab6_bytes(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	int shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M')
		shift = 20;
	else if (*end == 'G')
		shift = 30;
	if (shift && (*++end == 'i'))
		end++;
	if (errno || end == s || *end || v < 0 || v > (INT64_MAX >> shift))
		die_usage("option '%s': '%s' is not a size (like 64M or 1Gi)", opt, s);
	return (int64_t)v << shift;
}

static inline int64_t lab6_number(const char *opt, const char *s, long min, long max)
{
	long v;
	if (parse_long(s, min, max, &v) < 0)
		die_usage("option '%s': '%s' is not a number in [%ld, %ld]", opt, s, min, max);
	return v;
}

/* --cgroup NAME of steps 2 to 5, checked before anything exists: a bad one
 * is the caller's mistake (exit 2), not a failure halfway. One name only: a
 * step removes its own cgroup and nothing above it, so the "a" of "a/b"
 * would stay behind in every hierarchy. */
static inline void lab6_check_name(const char *rel)
{
	/* cg_open only keeps the host; the name alone is checked here */
	static const struct cg_host no_host;
	struct cg cg;
	if (cg_open(&no_host, rel, &cg) < 0)
		die_usage("option '--cgroup': %s", last_error());
	if (strchr(rel, '/'))
		die_usage("option '--cgroup': '%s' is not one name: the step removes the cgroup it "
		          "made, and a parent made for it would stay behind",
		          rel);
}

static inline void lab6_detect(struct cg_host *h)
{
	if (cg_detect(h, NULL, NULL) < 0)
		die_last();
}

/* The directories of rel, one per hierarchy (cpu and cpuacct may share one:
 * then it comes twice), into dirs; how many. */
static inline size_t lab6_dirs_of(const struct cg_host *h, const char *rel, char dirs[][PATH_MAX])
{
	size_t n = 0;
	for (int c = 0; c <= CG_NCTRL; c++) {
		const char *base = c < CG_NCTRL ? h->dir[c] : h->unified;
		if (base[0] && snprintf(dirs[n], PATH_MAX, "%s/%s", base, rel) < PATH_MAX)
			n++;
	}
	return n;
}

/* Whether rel is a cgroup in any hierarchy. */
static inline bool lab6_exists_anywhere(const struct cg_host *h, const char *rel)
{
	char dirs[CG_NCTRL + 1][PATH_MAX];
	size_t n = lab6_dirs_of(h, rel, dirs);
	for (size_t i = 0; i < n; i++)
		if (access(dirs[i], F_OK) == 0)
			return true;
	return false;
}

/* Steps 2 to 5 kill what is in their cgroup and remove it at the end:
 * one that exists already, in any hierarchy, is another's (a pod's, a
 * service's, a step's still running), and would go with its processes. */
static inline void lab6_refuse_existing(const struct cg_host *h, const char *rel)
{
	if (lab6_exists_anywhere(h, rel))
		die_usage("option '--cgroup': cgroup %s exists already: the step would kill what "
		          "runs in it and remove it at the end",
		          rel);
}

/* Fork a child that enters cg (before anything else: it must never run a
 * moment outside it) and then runs fn, whose return value is its exit
 * status. Returns once the child is in the cgroup, so that whoever looks at
 * /proc/PID/cgroup afterwards sees it there; or -1 with last_error() when it
 * could not enter (the child is reaped), so that the step removes what it
 * made before it dies. */
static inline pid_t lab6_spawn(const struct cg *cg, int (*fn)(void *), void *arg)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return fail_errno("pipe2");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fail_errno("fork");
		closep(&p[0]);
		closep(&p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		interrupt_restore();
		if (cg_enter(cg) < 0) {
			/* The parent says why, in its one line: it is the one
			 * that cleans up and dies. */
			const char *why = last_error();
			if (write(p[1], why, strlen(why)) < 0) {
				/* then it says "it exited first" */
			}
			_exit(125);
		}
		char ok = 1;
		if (write(p[1], &ok, 1) != 1)
			_exit(125);
		close(p[1]);
		int rc = fn(arg);
		fflush(NULL); /* _exit does not flush stdio */
		_exit(rc);
	}
	close(p[1]);
	/* One byte 1: in. Anything else is the child's error message; nothing
	 * at all, a child that died before it could say. */
	char msg[1024];
	ssize_t got;
	while ((got = read(p[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR) {
	}
	int err = errno;
	close(p[0]);
	if (got == 1 && msg[0] == 1)
		return pid;
	kill(pid, SIGKILL); /* it has exited already, unless the read failed */
	waitpid(pid, NULL, 0);
	if (got < 0) {
		errno = err;
		return fail_errno("read(pipe from child %d)", (int)pid);
	}
	msg[got] = '\0';
	return fail_msg(EIO, "the child could not enter cgroup %s: %s", cg->rel,
	                got ? msg : "it exited first");
}

static inline int lab6_wait(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid(%d)", (int)pid);
	return st;
}

/* "exited with status 0", "killed by SIGKILL" */
static inline const char *lab6_status(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by SIG%s", sigabbrev_np(WTERMSIG(st)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	return buf;
}

/* Die with last_error(), after removing cg and killing what is in it: a step
 * that fails halfway leaves nothing behind (and says so when it must). */
static inline NORETURN void lab6_die_removing(const struct cg *cg)
{
	char why[1024];
	snprintf(why, sizeof(why), "%s", last_error());
	if (cg_remove(cg) < 0)
		warn("%s", last_error());
	die("%s", why);
}

/* Remove a step's tree, or say what is left. */
static inline void lab6_remove(const struct cg *cg)
{
	step("removing cgroup %s (kill, then rmdir bottom-up)", cg->rel);
	if (cg_remove(cg) < 0)
		die_last();
	step_done();
}

#endif
