/*
 * step1_holder - the infra container: start pause in new namespaces and see
 * which namespaces it holds for the pod.
 *
 * pause does nothing at all; its only job is to exist, because a namespace
 * lives as long as something refers to it. The rows whose inode differs from
 * the host's are the pod's own namespaces, but for mnt: that one is pause's
 * own, for its private root, and no container joins it.
 *
 * Syscalls: clone(2) with CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS|CLONE_NEWNS
 * (and CLONE_NEWPID with --pid), sethostname(2), execve(2); stat(2) on
 * /proc/PID/ns/TYPE for the inodes.
 */
#include "common.h"
#include "hold.h"
#include "infra.h"

#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: step1_holder [OPTION]...\n"
	             "Start the pause holder in new namespaces and print its namespace inodes\n"
	             "next to the host's.\n\n"
	             "  --hostname NAME   the pod's hostname (default: lab2-pod)\n"
	             "  --pid             a new pid namespace too: pause becomes its PID 1\n"
	             "  --hold            keep the pod until stdin reaches EOF or Ctrl-C\n"
	             "  --help            show this help\n");
}

/* Once the holder runs, a failure must not leave it behind: stop it, then
 * die. errno is kept for the die_errno() that follows. */
static void stop_pod(struct infra *pod)
{
	int err = errno;
	infra_stop(pod, 1000);
	errno = err;
}

/* EOF on infra_start's report pipe means pause was executed, not that it
 * stays: a "pause" that exits at once may outlive the start by a moment. */
static void die_gone(struct infra *pod)
{
	pid_t pid = pod->pid;
	stop_pod(pod);
	die("the holder %s (pid %d) has exited: the pod is gone", infra_pause_path(), (int)pid);
}

int main(int argc, char **argv)
{
	struct infra_config cfg = {.hostname = "lab2-pod"};
	bool hold = false;
	static const struct option opts[] = {
	    {"hostname", required_argument, NULL, 'n'},
	    {"pid", no_argument, NULL, 'p'},
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			cfg.hostname = optarg;
			break;
		case 'p':
			cfg.share_pid = true;
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
	if (infra_check_config(&cfg) < 0)
		die_usage("%s", last_error());

	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */
	struct infra pod;
	step("starting %s", infra_pause_path());
	if (infra_start(&cfg, &pod) < 0)
		die_last();
	step_done_with("holder pid %d", (int)pod.pid);

	printf("\n%-6s %-12s %-12s %s\n", "ns", "host", "holder", "");
	for (int t = 0; t < NS_COUNT; t++) {
		ino_t host, holder;
		if (ns_inode(0, t, &host) < 0 || ns_inode(pod.pid, t, &holder) < 0) {
			if (!ns_supported(t))
				continue; /* a namespace type this kernel does not have */
			/* An exiting holder has no /proc/PID/ns links left
			 * (ENOENT), a moment before its pidfd says it is gone. */
			if (errno == ENOENT)
				die_gone(&pod);
			stop_pod(&pod);
			die_last();
		}
		const char *own = t == NS_MNT ? "<- pause's own" : "<- the pod's own";
		printf("%-6s %-12lu %-12lu %s\n", ns_table[t].name, (unsigned long)host,
		       (unsigned long)holder, host == holder ? "" : own);
	}
	/* The hostname is per uts namespace: ask from inside it. setns(2) in a
	 * child, so this program itself stays on the host. */
	fflush(stdout);
	pid_t child = fork();
	if (child < 0) {
		stop_pod(&pod);
		die_errno("fork");
	}
	if (child == 0) {
		char name[65] = "";
		if (setns(pod.nsfd[NS_UTS], CLONE_NEWUTS) < 0)
			die_errno("setns(/proc/%d/ns/uts)", (int)pod.pid);
		if (gethostname(name, sizeof(name)) < 0)
			die_errno("gethostname");
		printf("\nhostname inside the pod: %s\n", name);
		exit(0);
	}
	int st;
	if (waitpid(child, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		stop_pod(&pod);
		die("could not read the pod's hostname");
	}
	if (!infra_alive(&pod))
		die_gone(&pod);
	printf("holder pid %d (look: ls -l /proc/%d/ns; nsenter -t %d -u hostname)\n", (int)pod.pid,
	       (int)pod.pid, (int)pod.pid);
	fflush(stdout);

	if (hold) {
		hold_until_eof();
		/* killed meanwhile (the lesson does it), or a "pause" that
		 * outlived the start by a moment: either way, nothing held */
		if (!infra_alive(&pod))
			printf("the holder (pid %d) had exited: the pod was gone\n", (int)pod.pid);
	}

	step("stopping the holder");
	if (infra_stop(&pod, 1000) < 0)
		die_last();
	step_done();
	interrupt_check();
	return 0;
}
