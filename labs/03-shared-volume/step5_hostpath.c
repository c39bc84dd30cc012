/*
 * step5_hostpath - a hostPath volume, mounted read-only by the kernel.
 *
 * Concept: a hostPath is a path of the node, bind-mounted into the container.
 * Its `type` is checked first, with Kubernetes' meaning (DirectoryOrCreate
 * makes a missing directory 0755, Directory only checks, FileOrCreate makes a
 * missing file 0644, ...). `readOnly: true` is not a promise of the runtime
 * but a flag of the mount itself: every write under it fails with EROFS in
 * the kernel, whoever the writer is, and the node's files stay as they were.
 *
 * Syscalls: stat(2), mkdir(2)/open(O_CREAT) for the *OrCreate types,
 * unshare(CLONE_NEWNS), open_tree(2), mount_setattr(MOUNT_ATTR_RDONLY),
 * move_mount(2), pivot_root(2), open(2) -> EROFS.
 *
 *   step5_hostpath [--path P] [--type T] [--rw] [--check-only] [-- CMD [ARG...]]
 */
#include "rootfs.h"
#include "volume.h"

#include "common.h"
#include "interrupt.h"

#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: step5_hostpath [OPTION]... [-- CMD [ARG...]]\n"
	    "Mount a hostPath read-only at /host in a busybox container and try to write.\n"
	    "  --path P        the node's path (default: a new /tmp directory with node.txt)\n"
	    "  --type T        hostPath type: \"\", DirectoryOrCreate, Directory, FileOrCreate,\n"
	    "                  File, Socket, CharDevice, BlockDevice (default Directory)\n"
	    "  --rw            mount it read-write instead\n"
	    "  --check-only    only check (and create, for *OrCreate) the path; no container\n"
	    "  --help          show this help\n"
	    "CMD (looked up in PATH, in the image) runs in the container after the write\n"
	    "attempt.\n");
}

static NORETURN void container(const char *image_root, const char *state, struct volume *vol,
                               bool ro, char **cmd)
{
	struct rootfs rfs;
	if (unshare(CLONE_NEWNS) < 0)
		die_errno("unshare(CLONE_NEWNS)");
	if (rootfs_make_private() < 0 || rootfs_mount_overlay(image_root, state, &rfs) < 0 ||
	    rootfs_mount_kernel_fs(rfs.merged, true, false) < 0)
		die_last();
	int root_fd = open(rfs.merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		die_errno("open(%s)", rfs.merged);
	step("mounting hostPath %s at /host%s", vol->host_path, ro ? ", read-only" : "");
	if (vol_mount(vol, root_fd, "/host", NULL, ro) < 0)
		die_last();
	step_done();
	close(root_fd);
	if (rootfs_pivot(rfs.merged) < 0)
		die_last();

	/* The write is refused by the mount, not by permissions: we are root. */
	const char *probe = vol->is_dir ? "/host/written-by-container" : "/host";
	step("writing %s from inside", probe);
	int fd = open(probe, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		step_done_with("refused: %s", strerror(errno));
	else
		step_done_with("written");
	if (fd >= 0)
		close(fd);
	fflush(stdout);
	if (!cmd[0])
		exit(0);
	interrupt_restore();
	execvp(cmd[0], cmd);
	die_errno("execvp(%s)", cmd[0]);
}

/* A check that failed after the scratch directory was made: remove it,
 * then say why (the reason first: rm_rf may have one of its own). */
static NORETURN void die_removing(const char *scratch)
{
	char why[1024];
	snprintf(why, sizeof(why), "%s", last_error());
	if (scratch)
		rm_rf(scratch);
	die("%s", why);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"path", required_argument, NULL, 'p'}, {"type", required_argument, NULL, 't'},
	    {"rw", no_argument, NULL, 'w'},         {"check-only", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},       {0},
	};
	struct vol_spec spec = {.name = "node", .kind = VOL_HOSTPATH, .type = VOL_HP_DIRECTORY};
	bool ro = true, check_only = false;
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			spec.path = optarg;
			break;
		case 't':
			if (vol_hostpath_type_parse(optarg, &spec.type) < 0)
				die_usage("%s", last_error());
			break;
		case 'w':
			ro = false;
			break;
		case 'c':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}

	/* the image first: a missing one leaves nothing behind */
	char image_root[PATH_MAX];
	if (!check_only && rootfs_image_path(NULL, "busybox", image_root, sizeof(image_root)) < 0)
		die_last();
	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */
	char tmp[] = "/tmp/podlab-step5.XXXXXX";
	bool own = !spec.path;
	if (own) {
		if (!mkdtemp(tmp))
			die_errno("mkdtemp(%s)", tmp);
		spec.path = tmp;
		char f[sizeof(tmp) + 16];
		snprintf(f, sizeof(f), "%s/node.txt", tmp);
		int fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, "written by the node\n", 20) != 20)
			die_errno("write(%s)", f);
		close(fd);
	}

	struct volume vol;
	step("checking hostPath %s, type \"%s\"", spec.path, vol_hostpath_type_name(spec.type));
	struct stat st;
	if (vol_prepare(&spec, NULL, &vol) < 0 ||
	    (stat(vol.host_path, &st) < 0 && fail_errno("stat(%s)", vol.host_path) < 0))
		die_removing(own ? tmp : NULL);
	step_done_with("ok, mode %04o", (unsigned)(st.st_mode & 07777));
	if (check_only) {
		if (own && rm_rf(tmp) < 0)
			die_last();
		interrupt_check();
		return 0;
	}

	char state[] = "/tmp/podlab-step5-ctr.XXXXXX";
	if (!mkdtemp(state))
		die_errno("mkdtemp(%s)", state);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0)
		container(image_root, state, &vol, ro, argv + optind);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		die_errno("waitpid");
	if (rootfs_cleanup(state) < 0)
		warn("cleanup of %s: %s", state, last_error());
	else if (rmdir(state) < 0)
		warn_errno("rmdir(%s)", state);
	if (own && rm_rf(tmp) < 0)
		warn("%s", last_error());
	interrupt_check();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
