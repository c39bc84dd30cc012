/*
 * step7_image - an image is a stack of layers: load one, mount its stack.
 *
 * Concept: an OCI image is a config plus tar layers. Each layer is unpacked
 * once into its own directory, named by its digest; a container's root is an
 * overlay with every layer directory as a lower layer (the topmost first) and
 * an upper of its own. A file a layer deletes is a "whiteout" in that layer -
 * for overlayfs a 0:0 character device - and hides the lower file; a
 * directory a layer replaces is "opaque" (xattr trusted.overlay.opaque=y) and
 * hides the lower directory's contents.
 *
 * Syscalls: openat2(2) (unpacking beneath the layer directory), mknodat(2)
 * (whiteouts), fsetxattr(2) (opaque), unshare(CLONE_NEWNS),
 * mount(MS_PRIVATE|MS_REC), mount("overlay", "lowerdir=A:B:C,upperdir=,workdir="),
 * chroot(2), execvp(3).
 *
 *   step7_image [--store DIR] [--state DIR] [--tag REF] PATH [REF] [-- CMD [ARG...]]
 */
#include "image.h"
#include "rootfs.h"

#include "common.h"
#include "interrupt.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: step7_image [OPTION]... PATH [REF] [-- CMD [ARG...]]\n"
	    "Load the image at PATH (OCI layout, OCI archive or docker archive), mount\n"
	    "its layers as one overlay and run CMD chrooted in it (default: ls /).\n"
	    "  --store DIR   the image store (default: a new /tmp directory, removed after)\n"
	    "  --state DIR   put upper/, work/, merged/ in DIR (default: a new /tmp directory)\n"
	    "  --tag REF     name the image REF when the archive names none\n"
	    "  --help        show this help\n"
	    "REF defaults to the first image PATH holds; CMD is looked up in PATH, in the "
	    "image.\n");
}

/* Print what one layer directory deletes from the layers below it: 0:0
 * character devices (whiteouts) and directories marked opaque. */
static void show_whiteouts(const char *layer, const char *rel, const char *merged, int depth)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s%s", layer, rel);
	DIR *d = opendir(path);
	if (!d || depth > 64) {
		if (d)
			closedir(d);
		return;
	}
	char y;
	if (getxattr(path, "trusted.overlay.opaque", &y, 1) == 1 && y == 'y')
		printf("   opaque dir  %s/  (the lower layers' entries are hidden)\n", rel);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[PATH_MAX], full[PATH_MAX];
		struct stat st;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		snprintf(full, sizeof(full), "%s%s", layer, sub);
		if (lstat(full, &st) < 0)
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			char seen[PATH_MAX];
			snprintf(seen, sizeof(seen), "%s%s", merged, sub);
			printf("   whiteout    %s  (in the merged root: %s)\n", sub,
			       lstat(seen, &st) == 0 ? "still there" : "hidden");
		} else if (S_ISDIR(st.st_mode)) {
			show_whiteouts(layer, sub, merged, depth + 1);
		}
	}
	closedir(d);
}

/* The temporary store and state this process made, removed when it exits -
 * by die() too, which a bad image leads to. Not by the child: its overlay is
 * mounted on the state, and the parent removes it once the child is gone. */
static char tmp_store[] = "/tmp/podlab-step7-store.XXXXXX";
static char tmp_state[] = "/tmp/podlab-step7.XXXXXX";
static bool made_store, made_state;
static pid_t maker;

static void remove_tmp(void)
{
	if (getpid() != maker)
		return;
	if (made_store)
		rm_rf(tmp_store);
	if (made_state)
		rm_rf(tmp_state);
	made_store = made_state = false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 's'},
	    {"state", required_argument, NULL, 'S'},
	    {"tag", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *store = NULL, *state = NULL, *tag = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			store = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 't':
			tag = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (optind >= argc)
		die_usage("expected the PATH of an image");
	const char *path = argv[optind++];
	const char *ref = NULL;
	if (optind < argc && strcmp(argv[optind], "--") != 0)
		ref = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	static char *default_cmd[] = {"/bin/ls", "/", NULL};
	char **cmd = optind < argc ? argv + optind : default_cmd;

	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */
	maker = getpid();
	atexit(remove_tmp);
	if (!store && !(made_store = (store = mkdtemp(tmp_store)) != NULL))
		die_errno("mkdtemp(%s)", tmp_store);
	if (!state && !(made_state = (state = mkdtemp(tmp_state)) != NULL))
		die_errno("mkdtemp(%s)", tmp_state);

	step("loading %s into %s", path, store);
	char **refs;
	if (img_load(store, path, tag, NULL, &refs) < 0)
		die_last();
	step_done_with("%s", refs[0]);
	if (!ref)
		ref = refs[0];

	struct img_image img;
	if (img_get(store, ref, &img) < 0)
		die_last();
	printf("   image %s: %zu layers, bottom first:\n", img.ref, img.n_layers);
	for (size_t i = 0; i < img.n_layers; i++)
		printf("   %zu  %s\n", i, img.layers[i]);

	/* overlayfs stacks its lowerdirs left (top) to right (bottom). */
	char lower[4096];
	if (img_lowerdir(store, ref, lower, sizeof(lower)) < 0)
		die_last();

	/* A Ctrl-C during the load: no command to start (remove_tmp runs at exit). */
	interrupt_check();
	fflush(stdout); /* or the child's copy of the buffer prints it twice */
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		/* The child: a mount namespace of its own, so the overlay vanishes
		 * with it and never shows on the host. */
		if (unshare(CLONE_NEWNS) < 0)
			die_errno("unshare(CLONE_NEWNS)");
		if (rootfs_make_private() < 0)
			die_last();
		char upper[PATH_MAX], work[PATH_MAX], merged[PATH_MAX];
		snprintf(upper, sizeof(upper), "%s/upper", state);
		snprintf(work, sizeof(work), "%s/work", state);
		snprintf(merged, sizeof(merged), "%s/merged", state);
		const char *dirs[] = {upper, work, merged};
		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
			if (mkdir(dirs[i], 0755) < 0 && errno != EEXIST)
				die_errno("mkdir(%s)", dirs[i]);
		char opts[8192];
		if (snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper,
		             work) >= (int)sizeof(opts))
			die("overlay options too long");
		step("mounting the layer stack");
		if (mount("overlay", merged, "overlay", 0, opts) < 0)
			die_errno("mount(overlay on %s, %s)", merged, opts);
		step_done_with("lowerdir=%s", lower);

		printf("   what each layer deletes from the layers below it:\n");
		for (size_t i = 0; i < img.n_layers; i++) {
			char layer[PATH_MAX];
			snprintf(layer, sizeof(layer), "%s/layers/%s", store, img.layers[i] + 7);
			show_whiteouts(layer, "", merged, 0);
		}
		fflush(stdout);
		if (chroot(merged) < 0)
			die_errno("chroot(%s)", merged);
		if (chdir("/") < 0)
			die_errno("chdir(/)");
		interrupt_restore();
		execvp(cmd[0], cmd);
		die_errno("execvp(%s)", cmd[0]);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0)
		die_errno("waitpid");
	img_image_free(&img);
	img_strv_free(refs);
	remove_tmp();
	interrupt_check();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
