/*
 * step5_native_sidecar - an init container with restartPolicy: Always
 * (Kubernetes 1.29+ "native sidecar").
 *
 *   initContainers:  heartbeat  restartPolicy: Always  writes a line every 0.1 s
 *                    setup      a regular init container
 *   containers:      app        works for a while, reads the heartbeats, exits 0
 *
 * The sidecar is started in its place in the init order, but not waited for:
 * setup starts as soon as heartbeat is running. It keeps running beside the
 * app, is restarted if it exits, and is stopped only after the app containers
 * ended - SIGTERM (its shell traps it and says goodbye), SIGKILL after the
 * grace period - so it serves the app for the app's whole life.
 *
 * Syscalls: those of ctr_start (step1), pidfd_send_signal, poll, waitpid
 */
#include "podkit.h"

#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
	printf("usage: %s [options]\n"
	       "A native sidecar runs beside the app and is stopped after it.\n"
	       "  -h, --help       this help\n",
	       program_invocation_short_name);
}

static int64_t t0;

static void show(void *arg, struct init_member *m)
{
	(void)arg;
	char buf[128];
	printf("   %5lld ms  %-9s %s\n", (long long)(now_ms() - t0), m->cfg.name,
	       kit_describe(m, buf, sizeof(buf)));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
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
	kit_up(&k, NULL, "step5-pod", false, "work");
	step_done();

	/* PID 1 of a pid namespace gets no default action for SIGTERM: the trap
	 * is what lets the sidecar end gracefully instead of waiting for SIGKILL. */
	char *heartbeat[] = {
	    "sh", "-c",
	    "trap 'echo \"  | heartbeat: SIGTERM, last beat written\"; exit 0' TERM; "
	    "while :; do echo beat >> /work/heartbeat; sleep 0.1; done",
	    NULL};
	char *setup[] = {"sh", "-c", "echo \"  | setup: runs while heartbeat is running\"", NULL};
	char *app[] = {
	    "sh", "-c",
	    "sleep 0.5; echo \"  | app: done; heartbeats so far: $(wc -l < /work/heartbeat)\"",
	    NULL};
	struct init_member m[3] = {
	    {.is_init = true, .sidecar = true}, {.is_init = true}, {.is_init = false}};
	kit_container(&k, &m[0].cfg, "heartbeat", NULL, heartbeat, "/work");
	kit_container(&k, &m[1].cfg, "setup", NULL, setup, NULL);
	kit_container(&k, &m[2].cfg, "app", NULL, app, "/work");

	struct init_pod pod = {
	    .sandbox = &k.sandbox,
	    .members = m,
	    .n_members = 3,
	    .policy = INIT_RESTART_NEVER,
	    .grace_ms = 2000,
	    .on_change = show,
	};
	printf("=> running the pod (restartPolicy: Never; heartbeat: Always):\n");
	t0 = now_ms();
	if (init_pod_run(&pod) < 0)
		kit_die(&k, "%s", last_error());
	printf("=> pod phase: %s; heartbeat ended with %s after the app\n",
	       init_phase_name(pod.phase), m[0].c.reason);

	step("tearing down");
	kit_down(&k);
	step_done();
	return pod.phase == INIT_PHASE_SUCCEEDED ? 0 : 1;
}
