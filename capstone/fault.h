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
 * The points exist only in a build with -DPODLAB_FAULTS (the sanitizer
 * build, see mk/san.mk). Elsewhere fault_point() is an empty inline function:
 * no getenv, no string in the binary, so an environment variable left set by
 * accident cannot kill a production podrun.
 */
#ifndef PODLAB_FAULT_H
#define PODLAB_FAULT_H

#ifdef PODLAB_FAULTS
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void fault_point(const char *name)
{
	const char *at = getenv("PODRUN_DIE_AT");
	if (!at || strcmp(at, name) != 0)
		return;
	/* One line first, with one write(2): stdio may hold it in a buffer that
	 * SIGKILL throws away. The tests read it to know the point was reached. */
	char line[128] = "podrun: fault point ";
	size_t n = strlen(line);
	for (const char *c = name; *c && n < sizeof(line) - 10; c++)
		line[n++] = *c;
	memcpy(line + n, ": SIGKILL\n", 10);
	if (write(STDERR_FILENO, line, n + 10) < 0) {
		/* the line is a courtesy; the kill is the point */
	}
	kill(getpid(), SIGKILL);
	/* SIGKILL to oneself is delivered before kill(2) returns; should the
	 * process somehow still run, it must not go on as if nothing happened. */
	abort();
}
#else
static inline void fault_point(const char *name)
{
	(void)name;
}
#endif

#endif
