/*
 * step3_failure - a failing init container: restarts and backoff, or, under
 * restartPolicy: Never, a failed pod.
 *
 * The init container "flaky" counts its attempts in a file on the pod's
 * emptyDir (the only thing that survives a restart: each run gets a fresh
 * overlay) and fails until attempt --fail-times + 1. Under Always or
 * OnFailure the module restarts it at once after the first failure, then
 * after init_backoff_ms(n): 10 s, 20 s, 40 s ... capped at 300 s, times
 * $PODLAB_BACKOFF_SCALE (0.01 here unless set, so 100 ms, 200 ms ...): with
 * the default two failures, one restart at once and one after 100 ms. The app
 * container starts only after flaky finally exits 0. Under Never, the first
 * failure fails the pod and the app never runs.
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
	       "An init container fails, is restarted with backoff, then succeeds.\n"
	       "  --fail-times N   how many attempts fail (default 2)\n"
	       "  --never          restartPolicy: Never: the first failure fails the pod\n"
	       "  -h, --help       this help\n"
	       "PODLAB_BACKOFF_SCALE scales the backoff (default here 0.01: 10 s -> 100 ms).\n",
	       program_invocation_short_name);
}

static int64_t t0, last_exit;

static void show(void *arg, struct init_member *m)
{
	(void)arg;
	int64_t t = now_ms();
	char buf[128];
	printf("   %5lld ms  %-6s %s", (long long)(t - t0), m->cfg.name,
	       kit_describe(m, buf, sizeof(buf)));
	if (m->c.state == CTR_RUNNING && m->restarts > 0)
		printf("  <- restart %d, %lld ms after the failure", m->restarts,
		       (long long)(t - last_exit));
	if (m->c.state == CTR_TERMINATED) {
		last_exit = t;
		if (m->waiting_reason[0])
			printf("  -> %s: next start in %lld ms", m->waiting_reason,
			       (long long)(m->not_before_ms - t));
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"fail-times", required_argument, NULL, 'f'},
	    {"never", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	long fail_times = 2;
	bool never = false;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_long(optarg, 0, 10, &fail_times) < 0)
				die_usage("--fail-times: expected 0..10, got '%s'", optarg);
			break;
		case 'n':
			never = true;
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
	setenv("PODLAB_BACKOFF_SCALE", "0.01", 0);

	struct kit k;
	step("starting the sandbox and an emptyDir named work");
	kit_up(&k, NULL, "step3-pod", false, "work");
	step_done();

	char flaky_cmd[256];
	snprintf(
	    flaky_cmd, sizeof(flaky_cmd),
	    "n=$(( $(cat /work/attempts 2>/dev/null || echo 0) + 1 )); echo $n > /work/attempts; "
	    "if [ $n -le %ld ]; then echo \"  | flaky: attempt $n fails\"; exit 1; fi; "
	    "echo \"  | flaky: attempt $n succeeds\"",
	    fail_times);
	char *flaky[] = {"sh", "-c", flaky_cmd, NULL};
	char *app[] = {"sh", "-c", "echo '  | app: started, after flaky succeeded'", NULL};
	struct init_member m[2] = {{.is_init = true}, {.is_init = false}};
	kit_container(&k, &m[0].cfg, "flaky", NULL, flaky, "/work");
	kit_container(&k, &m[1].cfg, "app", NULL, app, NULL);

	struct init_pod pod = {
	    .sandbox = &k.sandbox,
	    .members = m,
	    .n_members = 2,
	    .policy = never ? INIT_RESTART_NEVER : INIT_RESTART_ON_FAILURE,
	    .grace_ms = 1000,
	    .on_change = show,
	};
	printf("=> running the pod (restartPolicy: %s, backoff scale %s):\n",
	       never ? "Never" : "OnFailure", getenv("PODLAB_BACKOFF_SCALE"));
	t0 = now_ms();
	if (init_pod_run(&pod) < 0)
		kit_die(&k, "%s", last_error());
	printf("=> pod phase: %s; flaky restarted %d times; app %s\n", init_phase_name(pod.phase),
	       m[0].restarts, m[1].started_once ? "ran" : "never started");

	step("tearing down");
	kit_down(&k);
	step_done();
	return pod.phase == INIT_PHASE_SUCCEEDED ? 0 : 1;
}
