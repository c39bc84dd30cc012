/*
 * fault.h - fault injection: die at a named point, the way a crash or the
 * OOM killer would kill podrun there.
 *
 *     fault_point("sandbox-created");
 *
 * kills the calling process with SIGKILL when the environment variable
 * PODRUN_DIE_AT is "sandbox-created". SIGKILL, because it is what nothing can
 * catch: no handler runs, no atexit, no cleanup attribute, no flush; the
 * kernel closes the fds and nothing else happens. Whatever podrun made on
 * the host up to that point (mounts, links, processes, state files) stays,
 * and `podrun rm -f` must be able to clean it up.
 * tests/capstone/kill9.bats finds every point with grep and tries each one.
 *
 * PODRUN_STOP_AT names a point where podrun stops itself with SIGSTOP
 * instead, after the same kind of line: a test can then change the host
 * under it (remove the image store, fill a disk) at exactly that moment,
 * and SIGCONT it to see how it copes (tests/capstone/faults.bats).
 *
 * The points exist only in a build with -DPODLAB_FAULTS (the sanitizer
 * build, see mk/san.mk). Elsewhere fault_point() is an empty inline function:
 * no getenv, no string in the binary, so an environment variable left set by
 * accident cannot kill a production podrun.
 */
#ifndef PODLAB_FAULT_H
#define PODLAB_FAULT_H

#ifdef PODLAB_FAULTS
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "podrun: fault point NAME: WHAT", with one write(2): stdio may hold it in
 * a buffer that SIGKILL throws away. The tests read it to know the point was
 * reached. */
static inline void fault_say(const char *name, const char *what)
{
	char line[128] = "podrun: fault point ";
	size_t n = strlen(line);
	for (const char *c = name; *c && n < sizeof(line) - 12; c++)
		line[n++] = *c;
	n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s\n", what);
	if (write(STDERR_FILENO, line, n) < 0) {
		/* the line is a courtesy; the signal is the point */
	}
}

/* A point where a test may hold podrun (PODRUN_STOP_AT) but not kill it:
 * in a helper process whose death podrun handles as an ordinary failure,
 * not a crash to clean up after (kill9.bats kills at every fault_point). */
static inline void fault_hold(const char *name)
{
	const char *stop = getenv("PODRUN_STOP_AT");
	if (stop && !strcmp(stop, name)) {
		fault_say(name, "SIGSTOP");
		kill(getpid(), SIGSTOP);
	}
}

static inline void fault_point(const char *name)
{
	fault_hold(name);
	const char *at = getenv("PODRUN_DIE_AT");
	if (!at || strcmp(at, name) != 0)
		return;
	fault_say(name, "SIGKILL");
	kill(getpid(), SIGKILL);
	/* SIGKILL to oneself is delivered before kill(2) returns; should the
	 * process somehow still run, it must not go on as if nothing happened. */
	abort();
}
#else
static inline void fault_hold(const char *name)
{
	(void)name;
}

static inline void fault_point(const char *name)
{
	(void)name;
}
#endif

#endif
