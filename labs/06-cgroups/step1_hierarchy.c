/*
 * step1_hierarchy - where the cgroups are: v1, v2 or hybrid, which
 * controller lives in which hierarchy, and which cgroup this process is in,
 * per controller.
 *
 * A cgroup v1 host mounts one hierarchy per controller (or per group, like
 * "cpu,cpuacct"), and a process is in one cgroup of each: its memory cgroup
 * and its pids cgroup need not have the same path. A v2 host has a single
 * hierarchy, and a process is in one cgroup for everything. A hybrid host
 * has both: v1 controllers, plus an (often empty) cgroup2 mount.
 *
 * Syscalls: none beyond reading /proc/self/mountinfo (fstype cgroup and
 * cgroup2), /proc/self/cgroup ("ID:CONTROLLERS:PATH" per hierarchy) and
 * cgroup.controllers of the cgroup2 hierarchy.
 */
#include "lab6.h"

#include <getopt.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: step1_hierarchy [OPTION]...\n"
	             "Show the host's cgroup layout and the cgroups this process runs in.\n\n"
	             "  --root DIR   read a tree standing in for /sys/fs/cgroup, not the mounts\n"
	             "  --help       show this help\n");
}

int main(int argc, char **argv)
{
	const char *root = NULL;
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
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

	char text[8192];
	if (read_file("/proc/self/cgroup", text, sizeof(text)) < 0)
		die_last();
	printf("/proc/self/cgroup (hierarchy ID : controllers : path):\n%s\n\n", text);

	if (!root) {
		printf("cgroup mounts (/proc/self/mountinfo):\n");
		FILE *f = fopen("/proc/self/mountinfo", "re");
		if (!f)
			die_errno("open(/proc/self/mountinfo)");
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, f) > 0) {
			char mnt[PATH_MAX], type[32], super[512];
			const char *dash = strstr(line, " - ");
			if (!dash || sscanf(line, "%*d %*d %*s %*s %4095s", mnt) != 1 ||
			    sscanf(dash, " - %31s %*s %511s", type, super) != 2 ||
			    strncmp(type, "cgroup", 6) != 0)
				continue;
			printf("  %-8s %-32s %s\n", type, mnt, super);
		}
		free(line);
		fclose(f);
		printf("\n");
	}

	struct cg_host h;
	if (cg_detect(&h, root, NULL) < 0)
		die_last();
	printf("layout: %s\n", cg_layout_name(h.layout));
	printf("\n%-8s %-4s %s\n", "ctrl", "ver", "the cgroup this process is in");
	for (int i = 0; i < CG_NCTRL; i++) {
		const char *how = !h.dir[i][0] ? "-" : h.v2[i] ? "v2" : "v1";
		printf("%-8s %-4s %s\n", cg_ctrl_names[i], how, h.dir[i][0] ? h.dir[i] : "(none)");
	}
	printf("%-8s %-4s %s\n", "unified", h.unified[0] ? "v2" : "-",
	       h.unified[0] ? h.unified : "(none)");
	if (h.unified[0]) {
		char path[PATH_MAX + 32], list[512];
		snprintf(path, sizeof(path), "%s/cgroup.controllers", h.unified);
		if (read_file(path, list, sizeof(list)) < 0)
			die_last();
		printf("\ncontrollers the cgroup2 hierarchy offers here: %s\n",
		       list[0] ? list : "(none: every controller is on v1)");
	}
	if (h.layout == CG_HYBRID)
		printf("hybrid: limits go through v1; BPF device programs attach to the cgroup2 "
		       "hierarchy\n");
	return 0;
}
