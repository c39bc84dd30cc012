/*
 * step6_escape - a symlink in a shared volume, and why mounts are made on fds.
 *
 * Concept: a volume is shared, so a container can write into it what it
 * likes, symlinks included, while the runtime is still setting up another
 * container that uses the same volume. A runtime that joins strings
 * ("ROOT" + "/data/escape/etc") and passes them to mount(2) lets the kernel
 * follow that symlink on the node: out of the volume (kubelet's subPath,
 * CVE-2017-1002101), or out of the container root, mounting over a node
 * directory (runc, CVE-2021-30465). The safe way resolves each path once,
 * beneath the right root (openat2 RESOLVE_BENEATH for a subPath: refused if
 * it leads out; RESOLVE_IN_ROOT for a mountPath: the symlink means what it
 * would mean inside the container) and mounts fd to fd.
 *
 * It never touches the host: a child makes a throwaway mount namespace and
 * chroots into a scratch directory that plays the node, so the planted
 * symlink to "/" leads to the scratch directory, not the real root.
 *   SCRATCH/etc/shadow                the node's secret
 *   SCRATCH/pod/volumes/shared/       the emptyDir; the attacker plants
 *                                     escape -> /, and data/hello
 *   SCRATCH/pod/root/                 the victim container's root
 * The victim mounts the volume at /data, then the volume's SUB-PATH at MOUNT-PATH.
 *
 * Syscalls: unshare(CLONE_NEWNS), chroot(2), symlink(2), mount(MS_BIND) (the
 * naive way), openat2(RESOLVE_BENEATH / RESOLVE_IN_ROOT), open_tree(2),
 * move_mount(2) (the safe way).
 *
 *   step6_escape [--naive|--safe] [--sub-path P] [--mount-path P] [--scratch DIR]
 */
#include "volume.h"

#include "common.h"
#include "interrupt.h"

#include <fcntl.h>
#include <getopt.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: step6_escape [OPTION]...\n"
	        "Plant escape -> / in a shared volume and mount it naively, then safely.\n"
	        "  --naive          only the naive mount (path strings)\n"
	        "  --safe           only the safe mount (vol_mount: fds beneath a root)\n"
	        "  --sub-path P     the volume's subPath for the second mount (default: escape)\n"
	        "  --mount-path P   where the second mount goes (default: /mnt); try\n"
	        "                   --sub-path data --mount-path /data/escape/etc\n"
	        "  --scratch DIR    build the node in DIR (default: a new /tmp directory)\n"
	        "  --help           show this help\n");
}

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die_errno("write(%s)", path);
	close(fd);
}

/* The mounts this namespace has on the scratch node, named as the node
 * sees them. (The fd was opened before the chroot, so the kernel prints
 * paths from the real root: strip the scratch prefix.) */
static void show_mounts(int mountinfo_fd, const char *scratch)
{
	/* A read of mountinfo returns about a page of it, whole lines only:
	 * read on to its end, or a node with many mounts hides the last ones. */
	FILE *f = fdopen(mountinfo_fd, "r");
	if (!f)
		die_errno("fdopen(/proc/self/mountinfo)");
	size_t len = strlen(scratch);
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char mnt[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
		    !strncmp(mnt, scratch, len) && mnt[len] == '/')
			printf("   mounted on the node at %s\n", mnt + len);
	}
	if (ferror(f))
		die_errno("read(/proc/self/mountinfo)");
	free(line);
	fclose(f);
}

/* The two ways out: the node's files shown inside the container root (the
 * path resolved as the container will resolve it, its root /pod/root), or
 * a node directory covered by a mount. */
static void probe(const char *mount_path)
{
	char inside[PATH_MAX];
	snprintf(inside, sizeof(inside), "%s/etc/shadow", mount_path);
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
	_cleanup_close_ int root = open("/pod/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = root < 0 ? -1 : sys_openat2(root, inside, &how, sizeof(how));
	if (fd >= 0)
		printf("   ESCAPE: the container reads the node's secret at %s\n", inside);
	if (access("/etc/shadow", F_OK) < 0)
		printf("   ESCAPE: the node's /etc is mounted over (its shadow is gone)\n");
}

static int naive(const char *sub, const char *mount_path)
{
	/* Strings all the way: the kernel resolves them when mount(2) runs, and
	 * follows escape -> "/" on the node. */
	char src[PATH_MAX], dst[PATH_MAX];
	snprintf(src, sizeof(src), "/pod/volumes/shared/%s", sub);
	snprintf(dst, sizeof(dst), "/pod/root%s", mount_path);
	if (mount("/pod/volumes/shared", "/pod/root/data", NULL, MS_BIND, NULL) < 0)
		die_errno("mount(/pod/volumes/shared, /pod/root/data)");
	step("naive: mount(\"%s\", \"%s\", MS_BIND)", src, dst);
	if (mkdir_p(dst, 0755) < 0)
		die_last();
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		die_errno("mount(%s, %s, MS_BIND)", src, dst);
	step_done();
	return 0;
}

static int safe(const char *sub, const char *mount_path)
{
	struct volume vol = {.name = "shared", .kind = VOL_EMPTYDIR, .is_dir = true};
	snprintf(vol.host_path, sizeof(vol.host_path), "/pod/volumes/shared");
	_cleanup_close_ int root_fd = open("/pod/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		die_errno("open(/pod/root)");
	if (vol_mount(&vol, root_fd, "/data", NULL, false) < 0)
		die_last();
	step("safe: vol_mount(subPath \"%s\", mountPath \"%s\")", sub, mount_path);
	if (vol_mount(&vol, root_fd, mount_path, sub, false) < 0) {
		step_done_with("refused");
		printf("   %s\n", last_error());
		return 1;
	}
	step_done();
	return 0;
}

static int attempt(const char *scratch, bool is_safe, const char *sub, const char *mount_path)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0)
			die_errno("unshare(CLONE_NEWNS)");
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			die_errno("mount(/, MS_REC|MS_PRIVATE)");
		int mi = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
		if (mi < 0)
			die_errno("open(/proc/self/mountinfo)");
		/* From here on "/" is the scratch node. */
		if (chroot(scratch) < 0 || chdir("/") < 0)
			die_errno("chroot(%s)", scratch);
		int rc = is_safe ? safe(sub, mount_path) : naive(sub, mount_path);
		probe(mount_path);
		show_mounts(mi, scratch);
		fflush(stdout);
		_exit(rc);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0)
		die_errno("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"naive", no_argument, NULL, 'n'},
	    {"safe", no_argument, NULL, 's'},
	    {"sub-path", required_argument, NULL, 'p'},
	    {"mount-path", required_argument, NULL, 'm'},
	    {"scratch", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool do_naive = true, do_safe = true;
	const char *sub = "escape", *mount_path = "/mnt", *scratch = NULL;
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			do_safe = false;
			break;
		case 's':
			do_naive = false;
			break;
		case 'p':
			sub = optarg;
			break;
		case 'm':
			mount_path = optarg;
			break;
		case 'd':
			scratch = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (!do_naive && !do_safe)
		die_usage("--naive and --safe exclude each other");
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (mount_path[0] != '/')
		die_usage("--mount-path %s: must be absolute", mount_path);

	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */
	char tmp[] = "/tmp/podlab-step6.XXXXXX", real[PATH_MAX];
	bool own = !scratch;
	if (own && !(scratch = mkdtemp(tmp)))
		die_errno("mkdtemp(%s)", tmp);
	if (mkdir_p(scratch, 0755) < 0)
		die_last();
	if (!realpath(scratch, real))
		die_errno("realpath(%s)", scratch);
	scratch = real;

	/* The node, and what the attacking container wrote into the volume. */
	char p[PATH_MAX + 64];
	const char *dirs[] = {"etc", "pod/volumes/shared/data", "pod/root/data"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(p, sizeof(p), "%s/%s", scratch, dirs[i]);
		if (mkdir_p(p, 0755) < 0)
			die_last();
	}
	snprintf(p, sizeof(p), "%s/etc/shadow", scratch);
	put_file(p, "the node's secret\n");
	snprintf(p, sizeof(p), "%s/pod/volumes/shared/data/hello", scratch);
	put_file(p, "hello from the volume\n");
	snprintf(p, sizeof(p), "%s/pod/volumes/shared/escape", scratch);
	step("attacker: symlink(\"/\", \"volumes/shared/escape\")");
	if (symlink("/", p) < 0 && errno != EEXIST)
		die_errno("symlink(/, %s)", p);
	step_done();

	int rc = 0;
	if (do_naive)
		rc = attempt(scratch, false, sub, mount_path);
	if (do_safe)
		rc = attempt(scratch, true, sub, mount_path);

	if (own && rm_rf(tmp) < 0)
		die_last();
	interrupt_check();
	return rc;
}
