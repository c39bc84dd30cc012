/*
 * step4_emptydir - two containers of one pod share an emptyDir.
 *
 * Concept: each container has its own mount namespace and its own root (an
 * overlay of its image), so neither sees the other's files... except in a
 * volume. An emptyDir is one directory of the pod on the node, bind-mounted
 * into both roots: the same inodes at /data in each. One container writes a
 * file there, the other reads it. The pod's teardown deletes the emptyDir
 * and each container's upper directory, also when a container failed to start.
 *
 * Syscalls: unshare(CLONE_NEWNS), mount("overlay"), openat2(RESOLVE_IN_ROOT),
 * open_tree(OPEN_TREE_CLONE), move_mount(2), pivot_root(2), execl(3), mount("tmpfs")
 * for --memory.
 *
 *   step4_emptydir [--pod-dir DIR] [--memory] [--reader-mount-path PATH] [--keep]
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: step4_emptydir [OPTION]...\n"
	    "Start a writer and a reader container that share the emptyDir 'shared'.\n"
	    "  --pod-dir DIR             the pod's directory on the node (default: new in /tmp)\n"
	    "  --memory                  medium: Memory (the emptyDir is a tmpfs)\n"
	    "  --reader-mount-path PATH  where the reader mounts it (default /data; a file such\n"
	    "                            as /etc/passwd makes its start fail)\n"
	    "  --keep                    skip the teardown (to look at the pod dir)\n"
	    "  --help                    show this help\n");
}

/* One container: own mount namespace, overlay root, the volume, pivot, exec. */
static NORETURN void container(const char *image_root, const char *state, struct volume *vol,
                               const char *mount_path, const char *script)
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
	if (vol_mount(vol, root_fd, mount_path, NULL, false) < 0)
		die_last();
	close(root_fd);
	if (rootfs_pivot(rfs.merged) < 0)
		die_last();
	interrupt_restore();
	execl("/bin/sh", "sh", "-c", script, (char *)NULL);
	die_errno("execl(/bin/sh)");
}

static int run(const char *name, const char *image_root, const char *pod_dir, struct volume *vol,
               const char *mount_path, const char *script)
{
	char state[PATH_MAX];
	snprintf(state, sizeof(state), "%s/containers/%s", pod_dir, name);
	printf("=> container %s, emptyDir at %s\n", name, mount_path);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0)
		container(image_root, state, vol, mount_path, script);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		die_errno("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* What kubelet does when the pod goes: each container's upper/work/merged,
 * then the volumes, then the pod's directory. */
static void teardown(const char *pod_dir, struct volume *vol)
{
	static const char *const names[] = {"writer", "reader"};
	char path[PATH_MAX];
	step("tearing the pod down");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/containers/%s", pod_dir, names[i]);
		if (rootfs_cleanup(path) < 0 || (rmdir(path) < 0 && errno != ENOENT))
			die_errno("cleanup(%s)", path);
	}
	snprintf(path, sizeof(path), "%s/containers", pod_dir);
	if (rmdir(path) < 0 && errno != ENOENT)
		die_errno("rmdir(%s)", path);
	if (vol_teardown(vol) < 0)
		die_last();
	step_done();
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pod-dir", required_argument, NULL, 'p'},
	    {"memory", no_argument, NULL, 'm'},
	    {"reader-mount-path", required_argument, NULL, 'r'},
	    {"keep", no_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *pod_dir = NULL, *reader_path = "/data";
	bool memory = false, keep = false;
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pod_dir = optarg;
			break;
		case 'm':
			memory = true;
			break;
		case 'r':
			reader_path = optarg;
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
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	char image_root[PATH_MAX];
	if (rootfs_image_path(NULL, "busybox", image_root, sizeof(image_root)) < 0)
		die_last();
	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */

	/* The node's side of the pod lives in a mount namespace of its own too,
	 * so that the tmpfs of a medium: Memory emptyDir never appears on the host.
	 * Made first: without the privilege for it (not root) the step stops
	 * here, before it has made a pod directory it would leave behind. */
	if (unshare(CLONE_NEWNS) < 0)
		die_errno("unshare(CLONE_NEWNS)");
	if (rootfs_make_private() < 0)
		die_last();

	char tmp[] = "/tmp/podlab-step4.XXXXXX";
	bool own = !pod_dir;
	if (own && !(pod_dir = mkdtemp(tmp)))
		die_errno("mkdtemp(%s)", tmp);
	if (mkdir_p(pod_dir, 0700) < 0)
		die_last();

	struct vol_spec spec = {.name = "shared", .kind = VOL_EMPTYDIR, .memory = memory};
	struct volume vol;
	step("preparing emptyDir 'shared'");
	if (vol_prepare(&spec, pod_dir, &vol) < 0)
		die_last();
	step_done_with("%s%s", vol.host_path, vol.tmpfs ? " (tmpfs)" : "");

	int rc = run("writer", image_root, pod_dir, &vol, "/data",
	             "echo \"hello from the writer\" > /data/msg");
	if (rc == 0) {
		char script[PATH_MAX + 64];
		snprintf(script, sizeof(script), "echo \"reader sees: $(cat %s/msg)\"",
		         reader_path);
		rc = run("reader", image_root, pod_dir, &vol, reader_path, script);
	}
	if (rc != 0)
		warn("a container failed (status %d): tearing the pod down anyway", rc);

	if (!keep) {
		teardown(pod_dir, &vol);
		if (own && rmdir(pod_dir) < 0)
			die_errno("rmdir(%s)", pod_dir);
	}
	interrupt_check();
	return rc == 0 ? 0 : 1;
}
