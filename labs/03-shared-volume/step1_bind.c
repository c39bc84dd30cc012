/*
 * step1_bind - a bind mount, in a private mount namespace of its own.
 *
 * Concept: a bind mount makes a directory appear at a second place (the same
 * files, not a copy). Made inside a new mount namespace whose mounts are
 * private, it exists for this process and its children only: the host's
 * mount table never shows it.
 *
 * Syscalls: unshare(CLONE_NEWNS), mount(MS_REC|MS_PRIVATE), mount(MS_BIND).
 *
 *   step1_bind [--dir DIR] [-- CMD [ARG...]]
 */
#include "common.h"
#include "interrupt.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: step1_bind [OPTION]... [-- CMD [ARG...]]\n"
	    "Bind DIR/src onto DIR/dst in a new, private mount namespace.\n"
	    "  --dir DIR   work in DIR (default: a new directory under /tmp, removed after)\n"
	    "  --help      show this help\n"
	    "CMD runs inside the namespace after the bind, e.g. to read /proc/self/mountinfo.\n");
}

/* Is path listed as a mount point in this mountinfo file? (field 5) The
 * kernel lists the canonical path - no "//", "./" or trailing "/", no
 * symlink, never relative - so path is made canonical too. */
static bool mounted_at(const char *mountinfo, const char *path)
{
	char want[PATH_MAX];
	if (!realpath(path, want))
		die_errno("realpath(%s)", path);
	FILE *f = fopen(mountinfo, "re");
	if (!f)
		die_errno("fopen(%s)", mountinfo);
	char line[4096], mnt[PATH_MAX];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		mountinfo_unescape(mnt);
		found = !strcmp(mnt, want);
	}
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *dir = NULL;
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}

	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */

	/* The namespace first: without the privilege for it (not root) the step
	 * stops here, before it has made a directory it would leave behind. */
	step("unshare(CLONE_NEWNS): a copy of the host's mount table");
	if (unshare(CLONE_NEWNS) < 0)
		die_errno("unshare(CLONE_NEWNS)");
	step_done();

	/* The copy's mounts are still peers of the host's when / is shared (it is,
	 * under systemd): a bind made now would show up on the host too. */
	step("making every mount private (mount --make-rprivate /)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("mount(/, MS_REC|MS_PRIVATE)");
	step_done();

	char tmp[] = "/tmp/podlab-step1.XXXXXX";
	bool own_dir = !dir;
	if (own_dir && !(dir = mkdtemp(tmp)))
		die_errno("mkdtemp(%s)", tmp);
	char src[PATH_MAX], dst[PATH_MAX], file[PATH_MAX + 16];
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(dst, sizeof(dst), "%s/dst", dir);
	snprintf(file, sizeof(file), "%s/hello", src);
	if (mkdir_p(src, 0755) < 0 || mkdir_p(dst, 0755) < 0)
		die_last();
	int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "hello\n", 6) != 6)
		die_errno("write(%s)", file);
	close(fd);

	step("bind-mounting %s onto %s", src, dst);
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		die_errno("mount(%s, %s, MS_BIND)", src, dst);
	step_done();

	char seen[PATH_MAX + 16];
	snprintf(seen, sizeof(seen), "%s/hello", dst);
	step("reading %s", seen);
	if (access(seen, F_OK) < 0)
		die_errno("access(%s)", seen);
	step_done_with("same file as %s", file);

	/* PID 1 lives in the host's mount namespace: its mountinfo is the host's. */
	printf("mounted at %s: here %s, on the host %s\n", dst,
	       mounted_at("/proc/self/mountinfo", dst) ? "yes" : "no",
	       mounted_at("/proc/1/mountinfo", dst) ? "yes" : "no");
	fflush(stdout);

	int status = 0;
	if (optind < argc) {
		pid_t pid = fork();
		if (pid < 0)
			die_errno("fork");
		if (pid == 0) {
			interrupt_restore();
			execvp(argv[optind], argv + optind);
			die_errno("execvp(%s)", argv[optind]);
		}
		if (waitpid(pid, &status, 0) < 0)
			die_errno("waitpid");
	}

	if (umount2(dst, 0) < 0)
		die_errno("umount2(%s)", dst);
	if (own_dir && rm_rf(dir) < 0)
		die_last();
	interrupt_check();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
