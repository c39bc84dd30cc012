/*
 * bridge.c - the pod network's bridge: the join lock and the detached retire
 * (see bridge.h).
 *
 * Syscalls: flock(2) on two files of the state root, fork(2) twice (the
 * retire is nobody's child: the caller reaps only the middle one), setsid(2),
 * close_range(2), prctl(PR_SET_NAME); the deletion itself is lab 02's
 * infra_remove_bridge_if_unused (RTM_DELLINK).
 */
#include "bridge.h"

#include "common.h"
#include "infra.h"
#include "state.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static int lock_file(const char *name, int op)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", state_root(), name);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno("open(%s)", path);
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		fail_errno("flock(%s, %s)", path, op == LOCK_SH ? "LOCK_SH" : "LOCK_EX");
		close(fd);
		return -1;
	}
	return fd;
}

int bridge_lock(void)
{
	return lock_file("bridge.lock", LOCK_EX);
}

/* The retire itself, in the detached grandchild. The bridge is looked at
 * again under the lock: a pod may have joined it since the caller looked (it
 * then keeps it), or another retire deleted it (nothing to do). */
NORETURN static void retire(const char *bridge, int retiring)
{
	/* Nothing of the caller's: not its terminal or pipes (a `podrun rm -f`
	 * whose output is read by $(...) must not wait for us), not its
	 * signal mask (the supervisor blocks SIGTERM for its signalfd). */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0)
		for (int fd = 0; fd < 3; fd++)
			dup2(null, fd);
	if (dup2(retiring, 3) < 0)
		_exit(1); /* fd 3: the LOCK_SH that says we are not done */
	close_fds_from(4);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	prctl(PR_SET_NAME, "podrun-retire", 0, 0, 0);
	int lock = bridge_lock();
	if (lock < 0)
		_exit(1);
	_exit(infra_remove_bridge_if_unused(bridge) < 0 ? 1 : 0);
}

void bridge_retire(const char *bridge)
{
	if (!bridge || !*bridge || !infra_bridge_is_ours(bridge))
		return;
	/* A port still attached is another pod's (a sandbox takes its own veth
	 * off the bridge before it retires): that pod retires the bridge when it
	 * ends. Of two pods ending at once, each looks after its own port is
	 * gone, so the one that looks last sees none. No lock is needed to
	 * decide not to retire. */
	if (infra_bridge_ports(bridge) != 0)
		return;
	/* Taken here, before the fork, and inherited: once we return, whoever
	 * takes LOCK_EX on bridge.retiring waits for this retire. */
	_cleanup_close_ int retiring = lock_file("bridge.retiring", LOCK_SH);
	if (retiring < 0)
		return;
	pid_t mid = fork();
	if (mid < 0)
		return;
	if (mid == 0) {
		/* The retire outlives its caller and must not be its child: a
		 * supervisor reaps its own children, and an `rm` exits at once.
		 * The middle process exits at once, and init (or the nearest
		 * subreaper) inherits the retire. */
		setsid();
		pid_t g = fork();
		if (g == 0)
			retire(bridge, retiring);
		_exit(g < 0 ? 1 : 0);
	}
	int st = 0;
	pid_t w;
	while ((w = waitpid(mid, &st, 0)) < 0 && errno == EINTR) {
	}
	/* The grandchild could not be made: retire here, waiting for it. */
	if (w == mid && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		_cleanup_close_ int lock = bridge_lock();
		if (lock >= 0)
			infra_remove_bridge_if_unused(bridge);
	}
}
