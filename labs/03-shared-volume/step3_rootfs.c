/*
 * step3_rootfs - a container's root: an overlay of the image, pivot_root into it.
 *
 * Concept: the image is the read-only lower layer of an overlayfs; the
 * container's writes land in its own upper directory. /proc, a small /dev and
 * a read-only /sys are mounted into it, then pivot_root makes it "/" and the
 * host's root is detached: the host's files are no longer reachable at all
 * (unlike chroot, which only changes where "/" starts for path lookups).
 *
 * Syscalls: clone(CLONE_NEWPID), unshare(CLONE_NEWNS),
 * mount(MS_PRIVATE|MS_REC), mount("overlay"), mount("proc"/"tmpfs"/"sysfs"),
 * pivot_root(".", "."), umount2(".", MNT_DETACH), execvp; pidfd_open,
 * signalfd, poll and kill(SIGKILL) to stop it on Ctrl-C.
 *
 *   step3_rootfs [--image REF] [--state DIR] [--read-only] [--keep] [-- CMD [ARG...]]
 */
#include "rootfs.h"

#include "common.h"
#include "interrupt.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: step3_rootfs [OPTION]... [-- CMD [ARG...]]\n"
	    "Run CMD with an overlay of an image as its root, after pivot_root.\n"
	    "  --image REF    image reference (default: busybox)\n"
	    "  --state DIR    put upper/, work/, merged/ in DIR (default: a new /tmp directory)\n"
	    "  --read-only    remount the root read-only after the pivot\n"
	    "  --keep         leave the state directory (to look at upper/ afterwards)\n"
	    "  --help         show this help\n"
	    "CMD (looked up in PATH, in the image) defaults to:\n"
	    "  /bin/sh -c 'echo hello > /hello.txt; ls /'\n");
}

/* The container: its own mount namespace, the root filesystem, then CMD.
 * One byte on `built` says the setup is done and CMD comes next. */
static NORETURN void container(const char *image_root, const char *state, bool ro, char **cmd,
                               int built)
{
	struct rootfs rfs;
	if (unshare(CLONE_NEWNS) < 0)
		die_errno("unshare(CLONE_NEWNS)");
	step("making mounts private");
	if (rootfs_make_private() < 0)
		die_last();
	step_done();

	step("mounting the overlay");
	if (rootfs_mount_overlay(image_root, state, &rfs) < 0)
		die_last();
	step_done_with("lower=%s upper=%s", image_root, rfs.upper);

	step("mounting /proc, /dev, /sys");
	if (rootfs_mount_kernel_fs(rfs.merged, true, false) < 0)
		die_last();
	step_done();

	step("pivot_root into %s", rfs.merged);
	if (rootfs_pivot(rfs.merged) < 0)
		die_last();
	step_done();

	/* The proof that the host's root is gone, not just hidden: the state dir
	 * is a host path, and no path from here reaches it any more. */
	struct stat st;
	printf("host path %s visible inside: %s\n", state, stat(state, &st) == 0 ? "yes" : "no");

	if (rootfs_finish(ro) < 0)
		die_last();
	fflush(stdout);
	interrupt_restore();
	if (write(built, "", 1) != 1)
		die_errno("write(setup-done pipe)");
	execvp(cmd[0], cmd);
	die_errno("execvp(%s)", cmd[0]);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"image", required_argument, NULL, 'i'}, {"state", required_argument, NULL, 's'},
	    {"read-only", no_argument, NULL, 'r'},   {"keep", no_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},        {0},
	};
	const char *image = "busybox", *state = NULL;
	bool ro = false, keep = false;
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			image = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'r':
			ro = true;
			break;
		case 'k':
			keep = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	static char *default_cmd[] = {"/bin/sh", "-c", "echo hello > /hello.txt; ls /", NULL};
	char **cmd = optind < argc ? argv + optind : default_cmd;

	char image_root[PATH_MAX];
	if (rootfs_image_path(NULL, image, image_root, sizeof(image_root)) < 0)
		die_last();
	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */
	char tmp[] = "/tmp/podlab-step3.XXXXXX";
	bool own = !state;
	if (own && !(state = mkdtemp(tmp)))
		die_errno("mkdtemp(%s)", tmp);

	/* fork() into a new PID namespace, so the child's /proc shows it as PID 1:
	 * clone(2) with CLONE_NEWPID and no stack of its own. unshare(CLONE_NEWPID)
	 * would send every later child of ours there too, and once its PID 1
	 * exits that namespace takes no new process. */
	int built[2];
	if (pipe2(built, O_CLOEXEC) < 0)
		die_errno("pipe2");
	fflush(stdout);
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0) {
		/* Without the privilege for a namespace (not root) the step stops
		 * here. The container that needs the state directory never started,
		 * so the directory this step made goes first. */
		int err = errno;
		if (own)
			rmdir(state);
		errno = err;
		die_errno("clone(CLONE_NEWPID)");
	}
	if (pid == 0)
		container(image_root, state, ro, cmd, built[1]);
	close(built[1]);

	/* The command is PID 1 of its PID namespace, and the kernel gives a
	 * namespace's init no signal it has no handler for: the Ctrl-C that
	 * reaches it does nothing (`sleep 30` sleeps on). So the step waits for
	 * the command or for a signal of its own - blocked, so it stays pending
	 * for interrupt_check - and then ends the command with SIGKILL, the one
	 * signal PID 1 cannot refuse. */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		die_errno("pidfd_open(%d)", (int)pid);
	sigset_t stop;
	interrupt_set(&stop);
	int sigfd = signalfd(-1, &stop, SFD_CLOEXEC);
	if (sigfd < 0)
		die_errno("signalfd");
	struct pollfd ready[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
	while (poll(ready, 2, -1) < 0)
		if (errno != EINTR)
			die_errno("poll");
	if (!ready[0].revents && kill(pid, SIGKILL) < 0)
		die_errno("kill(%d, SIGKILL)", (int)pid);
	close(sigfd);
	close(pidfd);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		die_errno("waitpid");
	/* The child is gone, so this read does not block: the byte, or EOF when
	 * its setup failed (it said why on stderr) and no command ran. */
	char b;
	bool ran = read(built[0], &b, 1) == 1;
	close(built[0]);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (!ran) {
		printf("the container's setup failed (status %d): no command ran\n", code);
	} else {
		/* The container's mount namespace died with it: merged/ is an
		 * empty directory again on the host, and upper/ holds what it
		 * wrote. */
		printf("container exited with status %d; its writes in %s/upper:\n", code, state);
		char upper[PATH_MAX + 8];
		snprintf(upper, sizeof(upper), "%s/upper", state);
		DIR *d = opendir(upper);
		if (!d)
			die_errno("opendir(%s)", upper);
		for (struct dirent *e; (e = readdir(d));)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				printf("  %s\n", e->d_name);
		closedir(d);
	}
	fflush(stdout);

	if (!keep) {
		if (rootfs_cleanup(state) < 0)
			warn("cleanup of %s: %s", state, last_error());
		else if (rmdir(state) < 0)
			warn_errno("rmdir(%s)", state);
	}
	interrupt_check();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
