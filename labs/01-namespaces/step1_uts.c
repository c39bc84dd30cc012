/*
 * step1_uts - a UTS namespace: one process renames "the machine", the host
 * does not notice.
 *
 * Concept: unshare(2) moves the calling process into a new namespace of the
 * given type, a copy of the one it was in. From then on sethostname(2) changes
 * the copy. A UTS namespace holds only two strings, the hostname and the NIS
 * domain name, which makes it the simplest namespace to watch.
 *
 * The program forks. The child unshares and renames; the parent stays behind
 * in the host's namespace as a witness and reads the hostname after the child
 * changed "its" one.
 *
 * Syscalls: fork(2), unshare(CLONE_NEWUTS), sethostname(2), uname(2),
 * stat(2) on /proc/self/ns/uts.
 */
#include "common.h"
#include "ns.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: step1_uts [--hold] [HOSTNAME]\n"
	             "Rename the machine in a new UTS namespace; the host keeps its name.\n"
	             "  HOSTNAME   the name to set inside (default: podlab-uts)\n"
	             "  --hold     keep the renamed process alive until killed, and print\n"
	             "             its pid, so you can look at it from outside:\n"
	             "             nsenter -t PID -u hostname; ls -l /proc/PID/ns/uts\n"
	             "  --help     show this help\n");
}

static void show(const char *who)
{
	struct utsname u;
	ino_t ino;
	if (uname(&u) < 0)
		die_errno("uname");
	if (ns_inode(0, NS_UTS, &ino) < 0)
		die_last();
	printf("   %-7s pid %-7d hostname %-20s uts:[%lu]\n", who, (int)getpid(), u.nodename,
	       (unsigned long)ino);
}

int main(int argc, char **argv)
{
	bool hold = false;
	const char *name = "podlab-uts";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--hold")) {
			hold = true;
		} else {
			die_usage("unknown option '%s'", argv[i]);
		}
	}
	if (i < argc)
		name = argv[i++];
	if (i < argc)
		die_usage("unexpected argument '%s'", argv[i]);
	if (!*name || strlen(name) > HOST_NAME_MAX)
		die_usage("HOSTNAME must be 1 to %d characters", HOST_NAME_MAX);

	show("host");

	/* The child tells the parent "renamed" through a pipe, so the witness
	 * looks only after the change. */
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		die_errno("pipe2");
	fflush(stdout); /* or the child inherits, and prints again, what is still buffered */
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0)
		die_errno("fork");
	if (child == 0) {
		close(ready[0]);
		/* If the parent dies (Ctrl-C, kill), do not linger. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			die_errno("prctl(PR_SET_PDEATHSIG)");
		if (getppid() != parent)
			return 1; /* it died before the signal was armed */
		step("unshare(CLONE_NEWUTS)");
		if (unshare(CLONE_NEWUTS) < 0)
			die_errno("unshare(CLONE_NEWUTS)");
		step_done();
		show("child");
		step("sethostname(%s)", name);
		if (sethostname(name, strlen(name)) < 0)
			die_errno("sethostname(%s)", name);
		step_done();
		show("child");
		if (write(ready[1], "r", 1) != 1)
			die_errno("write(pipe)");
		close(ready[1]);
		if (hold) {
			printf("holding: pid %d (kill it to end)\n", (int)getpid());
			fflush(stdout);
			for (;;)
				pause();
		}
		return 0;
	}

	close(ready[1]);
	char c;
	ssize_t n = read(ready[0], &c, 1);
	close(ready[0]);
	if (n == 1)
		show("host"); /* the witness: still the old name, a different inode */
	int status;
	if (waitpid(child, &status, 0) < 0)
		die_errno("waitpid");
	if (WIFSIGNALED(status))
		return hold ? 0 : 1; /* --hold ends by a signal: that is the normal way out */
	return WEXITSTATUS(status);
}
