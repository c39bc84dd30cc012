/*
 * step5_pin - the other way to keep a pod's namespace alive: pin it with a
 * bind mount, as CRI-O's pinns and `ip netns add` do, instead of a process.
 *
 * /proc/PID/ns/net is a handle on the namespace itself. Bind-mounting it onto
 * an ordinary file keeps the namespace alive after every process in it has
 * exited; opening the file later gives an fd for setns(2). The namespace dies
 * when the last reference goes: the mount is unmounted and no process or fd
 * refers to it.
 *
 * Syscalls: unshare(2) with CLONE_NEWNET, mount(2) with MS_BIND,
 * umount2(2), open(2) + setns(2) on the pinned file; rtnetlink (nl.c) to
 * leave a mark inside the namespace.
 */
#include "common.h"
#include "hold.h"
#include "infra.h"
#include "nl.h"

#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define MARK "lab2pinmark"

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: step5_pin [OPTION]... FILE\n"
	        "Pin a network namespace on FILE (created, then removed at the end), let its\n"
	        "processes exit, and join it again through the file.\n\n"
	        "  --hold   with the namespace pinned and empty, wait until stdin reaches EOF\n"
	        "  --help   show this help\n");
}

/* Undo everything, whatever state we are in: nothing is left behind. */
static void unpin(const char *file)
{
	umount2(file, MNT_DETACH);
	unlink(file);
}

/* Run fn in a child and wait for it; on failure remove the pin and die. */
static void in_child(void (*fn)(const char *), const char *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		unpin(arg);
		errno = err;
		die_errno("fork");
	}
	if (pid == 0) {
		fn(arg);
		exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0) {
		int err = errno;
		unpin(arg);
		errno = err;
		die_errno("waitpid");
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		unpin(arg);
		die("child %d failed", (int)pid);
	}
}

/* The first process of the namespace: make it, mark it, pin it, exit. */
static void create_and_pin(const char *file)
{
	if (unshare(CLONE_NEWNET) < 0)
		die_errno("unshare(CLONE_NEWNET)");
	/* A mark to recognise the namespace by later: a bridge that exists only
	 * in this namespace. */
	if (nl_bridge_add(MARK) < 0)
		die_last();
	if (mount("/proc/self/ns/net", file, NULL, MS_BIND, NULL) < 0)
		die_errno("mount(/proc/self/ns/net, %s, MS_BIND)", file);
	struct stat st;
	if (stat("/proc/self/ns/net", &st) < 0)
		die_errno("stat(/proc/self/ns/net)");
	printf("   pid %d made net namespace %lu, pinned it on %s, and exits\n", (int)getpid(),
	       (unsigned long)st.st_ino, file);
}

/* A later process: no process is in the namespace any more, only the file. */
static void join_through_file(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("open(%s)", file);
	if (setns(fd, CLONE_NEWNET) < 0)
		die_errno("setns(%s)", file);
	close(fd);
	struct stat st;
	if (stat("/proc/self/ns/net", &st) < 0)
		die_errno("stat(/proc/self/ns/net)");
	printf("   pid %d joined net namespace %lu through %s; %s is %s\n", (int)getpid(),
	       (unsigned long)st.st_ino, file, MARK,
	       if_nametoindex(MARK) ? "there: the namespace survived" : "missing");
	if (!if_nametoindex(MARK))
		exit(1);
}

int main(int argc, char **argv)
{
	bool hold = false;
	static const struct option opts[] = {
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
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
	if (optind != argc - 1)
		die_usage("want exactly one FILE to pin the namespace on");
	const char *file = argv[optind];

	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */

	/* The mount point must exist; an empty file, like /run/netns/NAME. */
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		die_errno("open(%s, O_CREAT|O_EXCL)", file);
	close(fd);

	step("creating a net namespace in a child and pinning it");
	printf("\n");
	in_child(create_and_pin, file);
	struct stat st;
	if (stat(file, &st) < 0) {
		unpin(file);
		die_errno("stat(%s)", file);
	}
	printf("the child is gone; %s is now nsfs inode %lu (see /proc/self/mountinfo)\n", file,
	       (unsigned long)st.st_ino);

	step("joining it through the file");
	printf("\n");
	in_child(join_through_file, file);

	if (hold)
		hold_until_eof();

	/* Unpinning is the namespace's end: no process is in it, so the kernel
	 * destroys it, and the mark with it. */
	step("unpinning");
	if (umount2(file, MNT_DETACH) < 0) {
		/* unpinned by hand meanwhile (umount during --hold)? the file
		 * is still ours to remove */
		int err = errno;
		unlink(file);
		errno = err;
		die_errno("umount2(%s)", file);
	}
	if (unlink(file) < 0)
		die_errno("unlink(%s)", file);
	step_done();
	interrupt_check();
	return 0;
}
