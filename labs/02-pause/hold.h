/*
 * hold.h - `--hold` for the lab 2 step programs: keep the pod up so you (or a
 * check) can look at it from outside, until stdin reaches EOF or Ctrl-C.
 *
 *   $ ./step1_holder --hold          # press Ctrl-D or Ctrl-C to end
 *   $ sleep 60 | ./step1_holder --hold &
 */
#ifndef PODLAB_LAB2_HOLD_H
#define PODLAB_LAB2_HOLD_H

#include "common.h"
#include "interrupt.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>

static void hold_wake(int sig)
{
	(void)sig; /* only here so that ppoll(2) returns EINTR */
}

/* Returns when stdin is at EOF, or on SIGINT/SIGTERM/SIGHUP: while the pod is
 * held, Ctrl-C is the normal way to end it, not an interruption. The step
 * keeps these signals blocked (interrupt_defer); ppoll unblocks them only
 * while it waits, so one that arrives is taken here and nowhere else. */
static inline void hold_until_eof(void)
{
	struct sigaction sa = {.sa_handler = hold_wake};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigset_t during;
	sigprocmask(SIG_SETMASK, NULL, &during);
	sigdelset(&during, SIGINT);
	sigdelset(&during, SIGTERM);
	sigdelset(&during, SIGHUP);

	printf("holding the pod: Ctrl-D or Ctrl-C ends it\n");
	fflush(stdout);
	struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};
	char buf[256];
	for (;;) {
		if (ppoll(&in, 1, NULL, &during) < 0)
			break; /* EINTR: a signal ends the hold */
		if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
			break;
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

#endif
