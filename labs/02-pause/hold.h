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
 * while it waits, so one that arrives is taken here and nowhere else.
 *
 * One that came before, while the step was still setting up, is pending
 * already: it interrupted the step, and was not meant to end a hold that
 * had not begun. ppoll would unblock it and hold_wake take it at once, and
 * interrupt_check would then find nothing: the step would exit 0 as if held.
 * So then there is no hold, and the signal stays pending for
 * interrupt_check to report, once the step has cleaned up. */
static inline void hold_until_eof(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	sigset_t pending;
	if (sigpending(&pending) == 0)
		for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
			if (sigismember(&pending, sigs[i]) == 1)
				return;

	struct sigaction sa = {.sa_handler = hold_wake};
	sigemptyset(&sa.sa_mask);
	sigset_t during;
	sigprocmask(SIG_SETMASK, NULL, &during);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigdelset(&during, sigs[i]);
	}

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
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
}

#endif
