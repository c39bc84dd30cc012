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

#include <signal.h>
#include <stdio.h>

static void hold_wake(int sig)
{
	(void)sig; /* only here so that read(2) returns EINTR */
}

/* Returns when stdin is at EOF, or on SIGINT/SIGTERM. */
static inline void hold_until_eof(void)
{
	/* No SA_RESTART: the signal must interrupt read() instead of resuming it. */
	struct sigaction sa = {.sa_handler = hold_wake};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("holding the pod: Ctrl-D or Ctrl-C ends it\n");
	fflush(stdout);
	char buf[256];
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

#endif
