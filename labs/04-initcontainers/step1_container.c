/*
 * step1_container - what a container is made of.
 *
 * One busybox container in a pod sandbox. ctr_start() clone()s the container
 * with CLONE_NEWNS | CLONE_NEWPID, and it joins the sandbox itself (setns:
 * net, ipc, uts). With --share-pid a helper joins (pid too) and clone()s the
 * container with CLONE_PARENT | CLONE_NEWNS as OUR child: setns(CLONE_NEWPID)
 * moves only the caller's children. The container mounts an overlay of its
 * image, /proc, /dev and /sys, pivot_root()s into it, drops capabilities
 * (libcap: bounding, permitted, effective, inheritable, ambient), sets
 * no_new_privs (prctl(PR_SET_NO_NEW_PRIVS)), closes stray fds and execve()s.
 *
 * The container shows its own root and its processes and then waits on its
 * stdin; meanwhile this program reads the container's /proc/PID/status and
 * /proc/PID/ns from the host, next to its own.
 *
 * Last, a second command enters the running container (ctr_exec: setns into
 * each of its namespaces, mnt last), as `kubectl exec` does.
 *
 * Syscalls: fork, setns, clone, mount, pivot_root, capset, prctl, execve,
 *           pidfd_open, waitpid
 */
#include "podkit.h"

#include "common.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

static void usage(void)
{
	printf("usage: %s [options]\n"
	       "Run one busybox container in a pod sandbox and look at it from both sides.\n"
	       "  --share-pid      the pod shares one pid namespace (pause is its PID 1)\n"
	       "  --image IMAGE    the image (default busybox)\n"
	       "  --cap-add CAP    add a capability (e.g. NET_ADMIN; repeatable)\n"
	       "  --cap-drop CAP   drop one (e.g. NET_RAW, or ALL; repeatable)\n"
	       "  -h, --help       this help\n",
	       program_invocation_short_name);
}

/* "CapEff:\t00000000a80425fb" from /proc/PID/status. */
static uint64_t read_caps(pid_t pid, const char *field)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		die_last();
	const char *p = strstr(buf, field);
	if (!p)
		die("%s: no %s line", path, field);
	return strtoull(p + strlen(field) + 2, NULL, 16);
}

static void print_caps(const char *who, uint64_t mask)
{
	printf("   %-10s %016llx ", who, (unsigned long long)mask);
	int n = 0;
	for (int v = 0; v < 64; v++) {
		if (!(mask & (UINT64_C(1) << v)))
			continue;
		if (n++ == 14) {
			printf("... (%d in all)", __builtin_popcountll(mask));
			break;
		}
		char *name = cap_to_name(v);
		printf("%s ", name + 4); /* skip "cap_" */
		cap_free(name);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"share-pid", no_argument, NULL, 's'},     {"image", required_argument, NULL, 'i'},
	    {"cap-add", required_argument, NULL, 'a'}, {"cap-drop", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},          {0},
	};
	bool share_pid = false;
	const char *image = "busybox";
	/* Every --cap-add and --cap-drop counts, as every name in
	 * securityContext's lists does: NULL-terminated, for ctr_caps_mask. */
	const char *add[16] = {NULL}, *drop[16] = {NULL};
	size_t n_add = 0, n_drop = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			share_pid = true;
			break;
		case 'i':
			image = optarg;
			break;
		case 'a':
			if (n_add == ARRAY_SIZE(add) - 1)
				die_usage("too many --cap-add");
			add[n_add++] = optarg;
			break;
		case 'd':
			if (n_drop == ARRAY_SIZE(drop) - 1)
				die_usage("too many --cap-drop");
			drop[n_drop++] = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	struct kit k;
	step("starting the sandbox (pause)%s", share_pid ? " with a shared pid namespace" : "");
	kit_up(&k, NULL, "step1-pod", share_pid, NULL);
	step_done_with("pause is pid %d", (int)k.sandbox.pid);

	/* The container prints, then blocks reading its stdin: it stays alive
	 * while we look at it, and ends when we close the pipe. */
	char *cmd[] = {"sh", "-c",
	               "echo \"  | hostname: $(hostname)\"; "
	               "echo \"  | / holds: $(ls / | tr '\\n' ' ')\"; "
	               "echo '  | processes it can see:'; ps -o pid,comm | sed 's/^/  |   /'; "
	               "echo '  | --'; read line; exit 0",
	               NULL};
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		kit_die(&k, "pipe2: %s", strerror(errno));
	struct ctr_config cfg;
	kit_container(&k, &cfg, "demo", image, cmd, NULL);
	cfg.share_pid = share_pid;
	cfg.stdin_fd = in[0];
	cfg.stdout_fd = out[1];
	cfg.cap_add = add;
	cfg.cap_drop = drop;
	struct ctr ct;
	step("starting container demo from %s", image);
	if (ctr_start(&k.sandbox, &cfg, &ct) < 0)
		kit_die(&k, "%s", last_error()); /* ends the step line with "failed" */
	close(in[0]);
	close(out[1]);
	step_done_with("pid %d on the host", (int)ct.pid);
	/* Its stdout is a pipe to us: relay it up to the "--" it prints before
	 * blocking, so we look at it while it is surely alive and done talking. */
	FILE *from = fdopen(out[0], "r");
	char line[512];
	while (from && fgets(line, sizeof(line), from) && strcmp(line, "  | --\n"))
		fputs(line, stdout);

	printf("=> namespaces, seen from the host (same inode = shared):\n");
	static const enum ns_type shown[] = {NS_NET, NS_UTS, NS_IPC, NS_PID, NS_MNT};
	for (size_t i = 0; i < ARRAY_SIZE(shown); i++) {
		enum ns_type t = shown[i];
		ino_t host, pod, ctr;
		if (ns_inode(0, t, &host) < 0 || ns_inode(k.sandbox.pid, t, &pod) < 0 ||
		    ns_inode(ct.pid, t, &ctr) < 0)
			kit_die(&k, "%s", last_error());
		printf("   %-4s host %-11lu pause %-11lu container %-11lu %s\n", ns_table[t].name,
		       (unsigned long)host, (unsigned long)pod, (unsigned long)ctr,
		       ctr == pod    ? "(the pod's)"
		       : ctr == host ? "(the host's)"
		                     : "(its own)");
	}

	printf("=> capabilities (/proc/PID/status, CapEff):\n");
	print_caps("host", read_caps(getpid(), "CapEff"));
	print_caps("container", read_caps(ct.pid, "CapEff"));
	printf("   bounding set of the container (CapBnd): %016llx\n",
	       (unsigned long long)read_caps(ct.pid, "CapBnd"));
	printf("   NoNewPrivs of the container: %llu\n",
	       (unsigned long long)read_caps(ct.pid, "NoNewPrivs"));

	/* kubectl exec: a second process enters the running container's namespaces. */
	printf("=> a command run inside it with ctr_exec (what kubectl exec does):\n");
	char *ex[] = {"sh", "-c",
	              "echo \"  | exec: in $(hostname), as pid $$, in $(readlink /proc/$$/ns/pid), "
	              "with CapEff $(grep CapEff /proc/self/status | cut -f2)\"",
	              NULL};
	fflush(stdout); /* its output is relayed to our fd 1, past our buffer */
	/* For exec the fds are ours to relay from and to: the command gets pipes. */
	cfg.stdin_fd = -1;
	cfg.stdout_fd = STDOUT_FILENO;
	cfg.stderr_fd = STDERR_FILENO;
	int code = ctr_exec(&ct, &cfg, ex);
	if (code < 0)
		kit_die(&k, "%s", last_error());
	printf("   (exit %d)\n", code);

	step("closing its stdin, waiting for it");
	close(in[1]);
	if (from)
		fclose(from);
	if (ctr_wait(&ct) < 0)
		kit_die(&k, "%s", last_error());
	step_done_with("exit %d (%s)", ct.exit_code, ct.reason);

	step("tearing down");
	kit_down(&k);
	step_done();
	return 0;
}
