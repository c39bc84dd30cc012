/*
 * step4_setns - join another process's namespaces and run a command there:
 * nsenter in miniature, and how `kubectl exec` gets into a container.
 *
 * Concept: a namespace lives as long as something refers to it: a process in
 * it, a bind mount of its /proc/PID/ns file, an open fd of that file (or, for
 * a network namespace, of a socket made in it).
 * setns(2) takes such an fd and moves the caller into that namespace, with
 * one exception: pid moves only the caller's future children (a process never
 * changes its own PID). So when pid is joined we fork, and the child runs the
 * command. (time, which unshare(2) also applies to children only, is joined
 * at once by setns(2).)
 *
 * All the files are opened first, while /proc is still ours to read. The order
 * of the joins matters (ns_join does it): the capabilities a join is checked
 * against change when the user namespace is joined, so everything the caller
 * may join already goes first, then user, then what needed user's
 * capabilities; mnt last, because joining it also changes root and cwd.
 *
 * Syscalls: pidfd_open(2), open(2) of /proc/PID/ns/<type>, setns(2), fork(2),
 * execvp(3).
 */
#include "common.h"
#include "ns.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: step4_setns PID NS[,NS...] -- CMD [ARG...]\n"
	             "Join namespaces of process PID and run CMD in them.\n"
	             "  PID        the process whose namespaces to join\n"
	             "  NS         user, mnt, uts, ipc, pid, net, cgroup, time, or all:\n"
	             "             every type PID does not share with us\n"
	             "  CMD        the command to run (looked up in PATH)\n"
	             "  --help     show this help\n");
}

/* Was "all" among the names? ns_parse gives the same set for "all" as for
 * a list of every type, which is taken as given. */
static bool names_all(const char *list)
{
	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, "all", 3) && (p[3] == ',' || !p[3]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (argc < 3)
		die_usage("expected PID NS[,NS...] -- CMD [ARG...]");
	long pid;
	if (parse_long(argv[1], 1, INT32_MAX, &pid) < 0)
		die_usage("PID must be a positive number, not '%s'", argv[1]);
	unsigned set;
	if (ns_parse(argv[2], &set) < 0)
		die_usage("%s", last_error());
	if (argc < 4 || strcmp(argv[3], "--"))
		die_usage("missing '--' before the command");
	if (argc < 5)
		die_usage("missing CMD after '--'");
	char **cmd = argv + 4;

	/* A pidfd pins the process: if it exits while we open its namespace
	 * files and the PID is reused, the pidfd says so (see below). */
	_cleanup_close_ int pidfd = sys_pidfd_open((pid_t)pid, 0);
	if (pidfd < 0 && errno == ESRCH)
		die("no such process: %ld", pid);
	if (pidfd < 0)
		die_errno("pidfd_open(%ld)", pid);

	/* Joining a namespace we are already in is harmless for most types but
	 * not for user (EINVAL), so "all" keeps only the ones PID has of its own.
	 * A list is taken as given: name a user namespace we share, and setns(2)
	 * says EINVAL. */
	if (names_all(argv[2]) && ns_differing((pid_t)pid, 0, &set) < 0)
		die_last();
	char joined[128];
	ns_names(set, joined, sizeof(joined));
	if (!set)
		printf("   %ld shares every namespace with us: nothing to join\n", pid);

	int fds[NS_COUNT];
	step("opening /proc/%ld/ns/{%s}", pid, joined);
	if (ns_open((pid_t)pid, set, fds) < 0)
		die_last();
	/* Signal 0 checks for life: if the process is gone, these fds may
	 * belong to a newcomer that got the same PID. (EPERM: alive, not ours.) */
	if (sys_pidfd_send_signal(pidfd, 0, 0) < 0 && errno == ESRCH)
		die("process %ld exited while its namespaces were being opened", pid);
	step_done();

	step("setns into %s", joined);
	if (ns_join(fds) < 0)
		die_last();
	step_done();
	ns_close(fds);
	closep(&pidfd);

	/* The command gets stdin, stdout, stderr and nothing else of ours. */
	fflush(stdout);
	if (close_fds_from(3) < 0)
		die_last();

	if (!(set & NS_BIT(NS_PID))) {
		execvp(cmd[0], cmd);
		die_errno("execvp(%s)", cmd[0]);
	}

	/* pid applies to children only: the command runs in a child. */
	pid_t child = fork();
	if (child < 0)
		die_errno("fork");
	if (child == 0) {
		execvp(cmd[0], cmd);
		die_errno("execvp(%s)", cmd[0]);
	}
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid(%d)", (int)child);
	/* _exit, not exit: we only relay the status, and exit handlers that
	 * start a thread (LeakSanitizer's, under make SAN=1) would find it born
	 * into the joined PID namespace, unable to see us. */
	_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}
