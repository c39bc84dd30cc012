/*
 * step2_propagation - shared, slave and private mounts.
 *
 * Concept: a new mount namespace starts as a copy of its parent's mounts,
 * and each copied mount keeps a propagation type (mount_namespaces(7)):
 *   shared   mounts made later under it, on either side, appear on both;
 *   slave    mounts made later on the master side appear here, not back;
 *   private  nothing crosses, either way.
 * This is why a container runtime makes everything private (or slave) first,
 * and why a "rshared" volume can pass a mount into a running container.
 *
 * Shown with two namespaces this program creates, A ("the node") and B
 * ("the container", a copy of A), never the host's: A mounts a tmpfs on a
 * scratch directory and three mount points in it, shared/, slave/ and
 * private/; B is made; then each side mounts something NEW under each, and
 * the other side looks.
 *
 * Syscalls: unshare(CLONE_NEWNS), mount(MS_SHARED / MS_SLAVE / MS_PRIVATE),
 * mount(MS_BIND), mount("tmpfs"), stat(2) (st_dev tells a mount point).
 *
 *   step2_propagation [--dir DIR]
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
	fprintf(out,
	        "usage: step2_propagation [OPTION]...\n"
	        "Show which new mounts cross between two mount namespaces.\n"
	        "  --dir DIR   scratch directory (default: a new /tmp directory, removed after)\n"
	        "  --help      show this help\n");
}

static const char *const kinds[] = {"shared", "slave", "private"};
static char base[PATH_MAX];

static void path_of(char *buf, size_t len, const char *kind, const char *leaf)
{
	snprintf(buf, len, "%s/%s%s%s", base, kind, leaf ? "/" : "", leaf ? leaf : "");
}

/* A tmpfs is its own device: dir is a mount point when its st_dev differs
 * from its parent's. */
static bool is_mounted(const char *kind, const char *leaf)
{
	char dir[PATH_MAX + 64], parent[PATH_MAX + 64];
	struct stat a, b;
	path_of(dir, sizeof(dir), kind, leaf);
	path_of(parent, sizeof(parent), kind, NULL);
	if (stat(dir, &a) < 0 || stat(parent, &b) < 0)
		die_errno("stat(%s)", dir);
	return a.st_dev != b.st_dev;
}

static void mount_new(const char *kind, const char *leaf)
{
	char dir[PATH_MAX + 64];
	path_of(dir, sizeof(dir), kind, leaf);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") < 0)
		die_errno("mount(tmpfs on %s)", dir);
}

/* One byte through a pipe: "your turn". */
static void signal_fd(int fd)
{
	if (write(fd, "x", 1) != 1)
		die_errno("write(pipe)");
}
static void wait_fd(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		die("the other side went away");
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
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */

	/* The namespace first: without the privilege for it (not root) the step
	 * stops here, before it has made a directory it would leave behind. */
	step("namespace A: unshare(CLONE_NEWNS), everything private");
	if (unshare(CLONE_NEWNS) < 0)
		die_errno("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("mount(/, MS_REC|MS_PRIVATE)");
	step_done();

	char tmp[] = "/tmp/podlab-step2.XXXXXX";
	bool own = !dir;
	if (own && !(dir = mkdtemp(tmp)))
		die_errno("mkdtemp(%s)", tmp);
	snprintf(base, sizeof(base), "%s", dir);

	/* Propagation is a property of a mount, not of a directory: each of the
	 * three is bound onto itself to become a mount of its own. */
	step("A: tmpfs on %s; shared/, slave/, private/ bound onto themselves", base);
	if (mount("tmpfs", base, "tmpfs", 0, "size=64k") < 0)
		die_errno("mount(tmpfs on %s)", base);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		char p[PATH_MAX + 64];
		path_of(p, sizeof(p), kinds[i], NULL);
		if (mkdir(p, 0755) < 0)
			die_errno("mkdir(%s)", p);
		if (mount(p, p, NULL, MS_BIND, NULL) < 0)
			die_errno("mount(%s, MS_BIND)", p);
		/* slave starts shared: B's copy can only become a slave of a peer. */
		unsigned long type = strcmp(kinds[i], "private") ? MS_SHARED : MS_PRIVATE;
		if (mount(NULL, p, NULL, type, NULL) < 0)
			die_errno("mount(%s, %s)", p,
			          type == MS_SHARED ? "MS_SHARED" : "MS_PRIVATE");
		const char *leaves[] = {"fromA", "fromB"};
		for (size_t j = 0; j < ARRAY_SIZE(leaves); j++) {
			char l[PATH_MAX + 64];
			path_of(l, sizeof(l), kinds[i], leaves[j]);
			if (mkdir(l, 0755) < 0)
				die_errno("mkdir(%s)", l);
		}
	}
	step_done();

	int to_b[2], to_a[2];
	if (pipe2(to_b, O_CLOEXEC) < 0 || pipe2(to_a, O_CLOEXEC) < 0)
		die_errno("pipe2");
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		/* Each side keeps only its own ends: with A's write end still open
		 * here, B's reads would never see EOF should A die (and the other way
		 * round in A). */
		close(to_a[0]);
		close(to_b[1]);
		/* B: a copy of A. The copies of shared/ and slave/ join A's peer groups. */
		if (unshare(CLONE_NEWNS) < 0)
			die_errno("unshare(CLONE_NEWNS)");
		char p[PATH_MAX + 64];
		path_of(p, sizeof(p), "slave", NULL);
		if (mount(NULL, p, NULL, MS_SLAVE, NULL) < 0)
			die_errno("mount(%s, MS_SLAVE)", p);
		signal_fd(to_a[1]); /* B exists */
		wait_fd(to_b[0]);   /* A has mounted fromA */
		bool seen[3];
		for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
			seen[i] = is_mounted(kinds[i], "fromA");
			mount_new(kinds[i], "fromB");
		}
		if (write(to_a[1], seen, sizeof(seen)) != sizeof(seen))
			die_errno("write(pipe)");
		wait_fd(to_b[0]); /* A has looked */
		_exit(0);
	}

	close(to_a[1]);
	close(to_b[0]);
	wait_fd(to_a[0]);
	step("A: mounting a new tmpfs on */fromA, after B was made");
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		mount_new(kinds[i], "fromA");
	step_done();
	signal_fd(to_b[1]);
	bool b_saw[3];
	if (read(to_a[0], b_saw, sizeof(b_saw)) != sizeof(b_saw))
		die("namespace B failed");

	printf("\n%-10s %-22s %s\n", "mount", "A's new mount in B?", "B's new mount in A?");
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		printf("%-10s %-22s %s\n", kinds[i], b_saw[i] ? "yes" : "no",
		       is_mounted(kinds[i], "fromB") ? "yes" : "no");
	signal_fd(to_b[1]);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		die_errno("waitpid");

	/* The tmpfs and everything in it go with A; on the host, base was an
	 * empty directory all along. */
	if (umount2(base, MNT_DETACH) < 0)
		die_errno("umount2(%s)", base);
	if (own && rmdir(base) < 0)
		die_errno("rmdir(%s)", base);
	interrupt_check();
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
