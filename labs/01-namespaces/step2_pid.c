/*
 * step2_pid - a PID namespace: the first process in it is PID 1 and sees
 * only its own processes.
 *
 * Concept: clone(2) with CLONE_NEWPID starts a child in a new PID namespace,
 * where it is PID 1: the init of that namespace, reaper of its orphans. The
 * same process still has an ordinary PID out in the host's namespace: a
 * process has one PID per namespace level (see NSpid in /proc/PID/status).
 *
 * What ps shows comes from /proc, and a proc filesystem shows the PID
 * namespace it was mounted for. So the child needs its own /proc, and to
 * mount it without touching the host's, its own mount namespace too
 * (CLONE_NEWNS). One more trap: a new mount namespace starts as a copy whose
 * mounts may still be "shared" with the host's (systemd makes / shared), so
 * a mount made in it would propagate back. Marking / recursively private
 * first cuts that link.
 *
 * Syscalls: clone(2) with CLONE_NEWPID|CLONE_NEWNS and a stack of our own,
 * mount(2) with MS_REC|MS_PRIVATE, mount(2) of "proc", fork(2), waitpid(2).
 */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define STACK_SIZE (1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: step2_pid [--hold]\n"
	        "Start a child in new PID and mount namespaces and list the processes it sees.\n"
	        "  --hold     keep the child alive until killed and print its host PID, so you\n"
	        "             can look at it from outside: grep NSpid /proc/PID/status;\n"
	        "             ls /proc/PID/root/proc\n"
	        "  --help     show this help\n");
}

struct child_args {
	bool hold;
	int ready_fd;     /* write end: "set up and listed" */
	int parent_pidfd; /* to notice a parent that died before we could watch it */
};

/* ps in miniature: every numeric directory of /proc is a process. */
static void list_processes(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		die_errno("opendir(/proc)");
	printf("   %5s %5s  %s\n", "PID", "PPID", "COMMAND");
	struct dirent *e;
	while ((e = readdir(d))) {
		long pid;
		if (parse_long(e->d_name, 1, INT32_MAX, &pid) < 0)
			continue;
		char path[64], stat[512];
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (read_file(path, stat, sizeof(stat)) < 0)
			continue; /* it exited while we looked */
		/* "PID (COMMAND) STATE PPID ...": the command may hold spaces and
		 * parentheses, so look for the LAST ')'. */
		char *lparen = strchr(stat, '('), *rparen = strrchr(stat, ')');
		int ppid;
		if (!lparen || !rparen || sscanf(rparen + 1, " %*c %d", &ppid) != 1)
			continue;
		*rparen = '\0';
		printf("   %5ld %5d  %s\n", pid, ppid, lparen + 1);
	}
	closedir(d);
}

static int child_main(void *arg)
{
	struct child_args *a = arg;
	/* Die with the parent. The parent may already be gone by the time the
	 * death signal is armed; its pidfd turns readable when it has exited. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG)");
	struct pollfd parent = {a->parent_pidfd, POLLIN, 0};
	if (poll(&parent, 1, 0) == 1)
		return 1;
	close(a->parent_pidfd);

	/* The parent is in another PID namespace: getppid() says 0. */
	printf("   in the child: getpid() = %d, getppid() = %d\n", (int)getpid(), (int)getppid());

	step("making / private (MS_REC|MS_PRIVATE), so no mount leaks to the host");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("mount(/, MS_REC|MS_PRIVATE)");
	step_done();

	step("mounting a proc for this PID namespace on /proc");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_errno("mount(proc, /proc)");
	step_done();

	/* One child of our own, so the list shows a parent and a child. */
	fflush(stdout);
	pid_t kid = fork();
	if (kid < 0)
		die_errno("fork");
	if (kid == 0)
		for (;;)
			pause(); /* when PID 1 dies, the kernel kills the rest of the namespace */
	printf("   forked a child: it is PID %d here\n", (int)kid);
	list_processes();
	fflush(stdout);

	if (write(a->ready_fd, "r", 1) != 1)
		die_errno("write(pipe)");
	close(a->ready_fd);
	if (a->hold)
		for (;;)
			pause(); /* PID 1 ignores signals it has no handler for, even
			          * SIGTERM from the host: kill the parent, or -9 */

	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct child_args args = {0};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--hold")) {
			args.hold = true;
		} else {
			die_usage("unknown argument '%s'", argv[i]);
		}
	}

	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		die_errno("pipe2");
	args.ready_fd = ready[1];
	args.parent_pidfd = sys_pidfd_open(getpid(), 0); /* pidfds are always O_CLOEXEC */
	if (args.parent_pidfd < 0)
		die_errno("pidfd_open(%d)", (int)getpid());

	/* clone(2), unlike fork(2), wants a stack for the child. It grows down,
	 * so the child starts at the top end. */
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		die_errno("mmap(stack)");

	printf("   in the parent: getpid() = %d\n", (int)getpid());
	step("clone(CLONE_NEWPID | CLONE_NEWNS)");
	fflush(stdout); /* without CLONE_VM the child gets a copy of our stdout buffer */
	pid_t child =
	    clone(child_main, stack + STACK_SIZE, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, &args);
	if (child < 0)
		die_errno("clone(CLONE_NEWPID|CLONE_NEWNS)");
	step_done_with("the child is PID %d out here", (int)child);
	close(ready[1]);

	char c;
	if (read(ready[0], &c, 1) == 1 && args.hold) {
		printf("holding: pid %d (it is PID 1 inside; kill %d to end)\n", (int)child,
		       (int)getpid());
		fflush(stdout);
	}
	close(ready[0]);
	close(args.parent_pidfd);

	int status;
	if (waitpid(child, &status, 0) < 0)
		die_errno("waitpid");
	munmap(stack, STACK_SIZE);
	if (WIFSIGNALED(status))
		return args.hold ? 0 : 1;
	return WEXITSTATUS(status);
}
