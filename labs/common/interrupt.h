/*
 * interrupt.h - Ctrl-C without leftovers, for the step programs.
 *
 * A step makes things the host must not keep: a holder process, a veth, a
 * pinned namespace, a scratch directory. Killed by SIGINT halfway, it would
 * leave them all behind. So a step blocks SIGINT, SIGTERM and SIGHUP as soon
 * as its arguments are parsed: a signal that comes stays pending, the step
 * runs to its end (they all take well under a second) and cleans up, and
 * interrupt_check() then reports the signal in one line and exits 1.
 *
 * SIGPIPE too: `step3_cpu | head -1` closes the step's stdout after one
 * line, and the kernel kills a process that writes to a pipe nobody reads -
 * at whichever printf comes next, cgroup made and child spinning. Blocked,
 * SIGPIPE waits like the others and the write fails with EPIPE instead
 * (stdio drops the rest of the output).
 *
 * The blocked mask is inherited by fork(2) and survives execve(2): a child
 * that execs a command must call interrupt_restore() first, or the command
 * could not be stopped with Ctrl-C or SIGTERM.
 */
#ifndef PODLAB_INTERRUPT_H
#define PODLAB_INTERRUPT_H

#include "common.h"

#include <signal.h>
#include <string.h>

static inline void interrupt_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGPIPE);
}

static inline void interrupt_defer(void)
{
	sigset_t set;
	interrupt_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die_errno("sigprocmask(SIG_BLOCK, INT TERM HUP PIPE)");
}

/* In a child, before it execs: the command gets the usual signals back. */
static inline void interrupt_restore(void)
{
	sigset_t set;
	interrupt_set(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* At the end of a step, after its clean-up: was it interrupted meanwhile? */
static inline void interrupt_check(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	sigset_t pending;
	if (sigpending(&pending) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigismember(&pending, sigs[i]) == 1)
			die("interrupted by SIG%s (everything it made was removed first)",
			    sigabbrev_np(sigs[i]));
}

#endif
