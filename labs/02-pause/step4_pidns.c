/*
 * step4_pidns - shareProcessNamespace: pause as PID 1 of the pod, reaping
 * the pod's orphans; and what PID 1's death does to the pod.
 *
 * When a process exits, its children are handed to the PID 1 of their pid
 * namespace. When those orphans exit in turn, they stay zombies (an entry in
 * the process table, state Z) until that PID 1 calls wait. pause does; with
 * --no-reap the holder is a process that only sleeps, and the zombies stay.
 * Last, the holder is killed: when the PID 1 of a pid namespace dies, the
 * kernel sends SIGKILL to every other process in it.
 *
 * Syscalls: clone(2) with CLONE_NEWPID, setns(2) with CLONE_NEWPID (affects
 * only the children created afterwards), fork(2), kill(2), waitpid(2);
 * /proc/PID/task/PID/children and /proc/PID/stat to look from outside.
 */
#include "common.h"
#include "hold.h"
#include "infra.h"

#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define ORPHANS 3

static void usage(FILE *out)
{
	fprintf(out, "Usage: step4_pidns [OPTION]...\n"
	             "Orphans in a pod with a shared pid namespace, with and without a reaper.\n\n"
	             "  --no-reap   the holder is a process that never waits: zombies remain\n"
	             "  --hold      after the orphans exit, keep the pod until stdin reaches EOF\n"
	             "  --help      show this help\n");
}

/* The contrast: a PID 1 that sleeps and never calls wait. SIGCHLD's default
 * action is to ignore the signal, but that does not reap: only an explicit
 * SIG_IGN (or SA_NOCLDWAIT) makes the kernel discard zombies. */
static int lazy_init(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* The pod's holder: pause, started by infra_start, or with --no-reap
 * lazy_init, ours to kill. Kept here, not in main, so that a failure anywhere
 * once it runs can stop it (stop_holder) instead of leaving it behind. */
static struct infra pod;
static pid_t lazy = -1;

/* Killing the holder, PID 1, takes every other process of the pod with it.
 * errno is kept for the die_errno() that follows. */
static void stop_holder(void)
{
	int err = errno;
	if (lazy > 0) {
		kill(lazy, SIGKILL);
		waitpid(lazy, NULL, 0);
	} else {
		infra_stop(&pod, 1000);
	}
	errno = err;
}

/* Is the holder still running? A lazy one that has exited is looked at, not
 * reaped (WNOWAIT): stop_holder does that. */
static bool holder_alive(void)
{
	if (lazy < 0)
		return infra_alive(&pod);
	siginfo_t si = {0};
	return waitid(P_PID, (id_t)lazy, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0;
}

/* State of a process as the host sees it: 'R', 'S', 'Z'... or 0 when gone. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	const char *paren = strrchr(buf, ')'); /* the command name may contain spaces */
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* The holder's children, from /proc: running ones and zombies. */
static void count_children(pid_t holder, int *alive, int *zombies)
{
	char path[96], buf[4096];
	*alive = *zombies = 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)holder, (int)holder);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return;
	char *save = NULL;
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		long pid;
		if (parse_long(tok, 1, INT32_MAX, &pid) < 0)
			continue;
		if (proc_state((pid_t)pid) == 'Z')
			(*zombies)++;
		else
			(*alive)++;
	}
}

/* setns(CLONE_NEWPID) does not move us: it only says where our *next*
 * children are born (/proc/self/ns/pid_for_children). Point it at the pod for
 * one fork, then back at our own namespace: once the pod's PID 1 is dead, a
 * process still pointed at its namespace can fork no more. */
static pid_t fork_in_pod(int pod_ns, int own_ns)
{
	if (setns(pod_ns, CLONE_NEWPID) < 0) {
		stop_holder();
		die_errno("setns(pod pid namespace)");
	}
	pid_t pid = fork();
	if (pid < 0) {
		stop_holder();
		die_errno("fork");
	}
	if (pid > 0 && setns(own_ns, CLONE_NEWPID) < 0) {
		stop_holder();
		die_errno("setns(/proc/self/ns/pid)");
	}
	return pid;
}

/* Fork a process inside the pod that forks ORPHANS children and exits at
 * once: they become PID 1's. */
static void make_orphans(int pod_ns, int own_ns)
{
	pid_t parent = fork_in_pod(pod_ns, own_ns);
	if (parent == 0) {
		for (int i = 0; i < ORPHANS; i++) {
			pid_t o = fork();
			if (o < 0)
				die_errno("fork");
			if (o == 0) {
				sleep_ms(100); /* outlive the parent, then exit as an orphan */
				_exit(0);
			}
		}
		printf("   a pod process (pid %d inside the pod) forked %d children and exits\n",
		       (int)getpid(), ORPHANS);
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(parent, NULL, 0) < 0) {
		stop_holder();
		die_errno("waitpid");
	}
}

int main(int argc, char **argv)
{
	bool reap = true, hold = false;
	static const struct option opts[] = {
	    {"no-reap", no_argument, NULL, 'n'},
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			reap = false;
			break;
		case 'H':
			hold = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */
	pid_t holder;
	if (reap) {
		struct infra_config cfg = {.hostname = "lab2-pid", .share_pid = true};
		step("starting %s as PID 1 of a new pid namespace", infra_pause_path());
		if (infra_start(&cfg, &pod) < 0)
			die_last();
		holder = pod.pid;
	} else {
		step("starting a holder that never reaps, as PID 1 of a new pid namespace");
		static char stack[64 * 1024];
		lazy = clone(lazy_init, stack + sizeof(stack), CLONE_NEWPID | SIGCHLD, NULL);
		if (lazy < 0)
			die_errno("clone(CLONE_NEWPID)");
		holder = lazy;
	}
	step_done_with("holder pid %d", (int)holder);

	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)holder);
	int pod_ns = open(path, O_RDONLY | O_CLOEXEC);
	if (pod_ns < 0) {
		stop_holder();
		die_errno("open(%s)", path);
	}
	int own_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (own_ns < 0) {
		stop_holder();
		die_errno("open(/proc/self/ns/pid)");
	}

	step("making %d orphans inside the pod", ORPHANS);
	printf("\n");
	fflush(stdout); /* or the pod process would print this line again */
	make_orphans(pod_ns, own_ns);
	/* Wait (at most 3 s) until none of them is still running, and with a
	 * reaper until it has reaped them: an orphan that has just exited is a
	 * zombie until PID 1 gets the CPU to wait for it, and the count printed
	 * is the one a look from outside finds afterwards. */
	int alive, zombies;
	for (int i = 0; i < 300; i++) {
		count_children(holder, &alive, &zombies);
		if (!alive && (!zombies || !reap))
			break;
		sleep_ms(10);
	}
	step_done_with("zombies under the holder: %d, still running: %d", zombies, alive);
	printf("holder pid %d\n", (int)holder);
	fflush(stdout);
	if (hold) {
		hold_until_eof();
		/* Killed meanwhile (from another terminal, say): the pod is over,
		 * and its pid namespace, whose PID 1 is gone, takes no new
		 * process (fork fails with ENOMEM). */
		if (!holder_alive()) {
			stop_holder();
			die("the holder (pid %d) has exited: the pod is gone", (int)holder);
		}
	}

	/* One more pod process, then kill PID 1: the kernel kills the rest. */
	pid_t member = fork_in_pod(pod_ns, own_ns);
	if (member == 0) {
		for (;;)
			pause();
	}
	step("killing the holder (SIGKILL) while pod process %d runs", (int)member);
	if (kill(holder, SIGKILL) < 0) {
		stop_holder();
		die_errno("kill(%d)", (int)holder);
	}
	int st;
	if (waitpid(member, &st, 0) < 0) {
		stop_holder();
		die_errno("waitpid(%d)", (int)member);
	}
	if (WIFSIGNALED(st))
		step_done_with("pod process %d was killed by SIG%s", (int)member,
		               sigabbrev_np(WTERMSIG(st)));
	else
		step_done_with("pod process %d exited with %d", (int)member, WEXITSTATUS(st));

	if (reap)
		infra_stop(&pod, 0);
	else
		waitpid(holder, NULL, 0);
	interrupt_check();
	return 0;
}
