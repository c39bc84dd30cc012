/*
 * step2_order - init containers run one at a time, in order, each to
 * completion, before any app container starts.
 *
 * Three init containers append their names to /work/order, a file in the
 * pod's emptyDir; the app container prints it. Because init_pod_step() starts
 * init container N+1 only after N exited 0 (init_next_init() decides which
 * comes next), the file always reads init-1, init-2, init-3 - even though
 * init-1 is the slowest. That ordering is what lets an init container prepare
 * a volume that a later container relies on.
 *
 * Syscalls: those of ctr_start (step1), waitpid, sigtimedwait
 */
#include "podkit.h"

#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
	printf("usage: %s [options]\n"
	       "Three init containers append their names to a file; the app prints it.\n"
	       "  --share-pid      the pod shares one pid namespace\n"
	       "  -h, --help       this help\n",
	       program_invocation_short_name);
}

static int64_t t0;

/* The pod's timeline: every change of a container, as the module reports it. */
static void show(void *arg, struct init_member *m)
{
	(void)arg;
	char buf[128];
	printf("   %5lld ms  %-6s %s\n", (long long)(now_ms() - t0), m->cfg.name,
	       kit_describe(m, buf, sizeof(buf)));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"share-pid", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool share_pid = false;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			share_pid = true;
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
	step("starting the sandbox and an emptyDir named work");
	kit_up(&k, NULL, "step2-pod", share_pid, "work");
	step_done_with("%s", k.volume.host_path);

	/* init-1 sleeps first: if the runtime started them together, init-2 and
	 * init-3 would write before it. */
	char *i1[] = {"sh", "-c", "sleep 0.2; echo init-1 >> /work/order", NULL};
	char *i2[] = {"sh", "-c", "echo init-2 >> /work/order", NULL};
	char *i3[] = {"sh", "-c", "echo init-3 >> /work/order", NULL};
	char *app[] = {"sh", "-c",
	               "echo \"  | the app reads /work/order: $(cat /work/order | tr '\\n' ' ')\"",
	               NULL};
	struct init_member m[4] = {
	    {.is_init = true}, {.is_init = true}, {.is_init = true}, {.is_init = false}};
	kit_container(&k, &m[0].cfg, "init-1", NULL, i1, "/work");
	kit_container(&k, &m[1].cfg, "init-2", NULL, i2, "/work");
	kit_container(&k, &m[2].cfg, "init-3", NULL, i3, "/work");
	kit_container(&k, &m[3].cfg, "app", NULL, app, "/work");
	for (int i = 0; i < 4; i++)
		m[i].cfg.share_pid = share_pid;

	struct init_pod pod = {
	    .sandbox = &k.sandbox,
	    .members = m,
	    .n_members = 4,
	    .policy = INIT_RESTART_NEVER,
	    .grace_ms = 1000,
	    .on_change = show,
	};
	printf("=> running the pod (restartPolicy: Never):\n");
	t0 = now_ms();
	if (init_pod_run(&pod) < 0)
		kit_die(&k, "%s", last_error());
	printf("=> pod phase: %s\n", init_phase_name(pod.phase));

	step("tearing down");
	kit_down(&k);
	step_done();
	return pod.phase == INIT_PHASE_SUCCEEDED ? 0 : 1;
}
