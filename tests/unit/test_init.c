/*
 * test_init.c - the init-container state machine, driven with plain child
 * processes through init.h's start seam: ordering, restarts, backoff, phases,
 * native sidecars and the stop order, without any container machinery.
 */
#include "init.h"

#include "common.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- init_backoff_ms ------------------------------------------------------------- */

Test(init_backoff, doubles_from_10s_and_caps_at_300s)
{
	unsetenv("PODLAB_BACKOFF_SCALE");
	const int64_t want[] = {10000, 20000, 40000, 80000, 160000, 300000, 300000, 300000};
	for (int n = 1; n <= 8; n++)
		cr_expect_eq(init_backoff_ms(n), want[n - 1], "restart %d", n);
	/* A shift by n - 1 wraps (x86 masks the count to 5 bits, and it is
	 * undefined past 31): 33 would shift by 0 and give 10 s again. */
	for (int n = 7; n <= 70; n++)
		cr_expect_eq(init_backoff_ms(n), 300000, "no overflow at restart %d", n);
	cr_expect_eq(init_backoff_ms(1000), 300000, "no overflow for large n");
	cr_expect_eq(init_backoff_ms(0), 10000, "n < 1 counts as the first restart");
}

Test(init_backoff, scales)
{
	setenv("PODLAB_BACKOFF_SCALE", "0.001", 1);
	cr_expect_eq(init_backoff_ms(1), 10);
	cr_expect_eq(init_backoff_ms(3), 40);
	cr_expect_eq(init_backoff_ms(9), 300);
	setenv("PODLAB_BACKOFF_SCALE", "0.5", 1);
	cr_expect_eq(init_backoff_ms(2), 10000);
	setenv("PODLAB_BACKOFF_SCALE", "0", 1);
	cr_expect_eq(init_backoff_ms(4), 0);
	setenv("PODLAB_BACKOFF_SCALE", "fast", 1);
	cr_expect_eq(init_backoff_ms(1), 10000, "a scale that is not a number is ignored");
	unsetenv("PODLAB_BACKOFF_SCALE");
}

/* ---- init_restart_parse, init_phase_name ----------------------------------------- */

Test(init_restart, parses_kubernetes_names)
{
	enum init_restart r;
	cr_expect_eq(init_restart_parse("Always", &r), 0);
	cr_expect_eq(r, INIT_RESTART_ALWAYS);
	cr_expect_eq(init_restart_parse("OnFailure", &r), 0);
	cr_expect_eq(r, INIT_RESTART_ON_FAILURE);
	cr_expect_eq(init_restart_parse("Never", &r), 0);
	cr_expect_eq(r, INIT_RESTART_NEVER);
}

Test(init_restart, rejects_others_with_a_message)
{
	enum init_restart r;
	cr_expect_eq(init_restart_parse("always", &r), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect(strstr(last_error(), "'always'"), "message: %s", last_error());
	cr_expect(strstr(last_error(), "OnFailure"), "lists the valid values: %s", last_error());
	cr_expect_eq(init_restart_parse("", &r), -1);
	cr_expect_eq(init_restart_parse(NULL, &r), -1);
}

Test(init_phase, names)
{
	cr_expect_str_eq(init_phase_name(INIT_PHASE_PENDING), "Pending");
	cr_expect_str_eq(init_phase_name(INIT_PHASE_RUNNING), "Running");
	cr_expect_str_eq(init_phase_name(INIT_PHASE_SUCCEEDED), "Succeeded");
	cr_expect_str_eq(init_phase_name(INIT_PHASE_FAILED), "Failed");
}

/* ---- the ordering rule and phases on hand-made states ---------------------------- */

static void set_state(struct init_member *m, enum ctr_state s, int exit_code)
{
	m->c.state = s;
	m->c.exit_code = exit_code;
	m->started_once |= s != CTR_WAITING; /* running or ended: it was started */
}

Test(init_next, skips_completed_inits_and_running_sidecars)
{
	struct init_member m[4] = {{.is_init = true},
	                           {.is_init = true, .sidecar = true},
	                           {.is_init = true},
	                           {.is_init = false}};
	struct init_pod p = {.members = m, .n_members = 4};
	size_t next;
	cr_assert_eq(init_next_init(&p, &next), 0);
	cr_expect_eq(next, 0, "nothing ran yet: the first");
	m[0].completed = true;
	init_next_init(&p, &next);
	cr_expect_eq(next, 1, "the sidecar is next");
	set_state(&m[1], CTR_RUNNING, 0);
	init_next_init(&p, &next);
	cr_expect_eq(next, 2, "a running sidecar does not block");
	/* kubelet looks at the last init container started: a sidecar that
	 * stopped before the one after it started is restarted first */
	set_state(&m[1], CTR_TERMINATED, 1);
	init_next_init(&p, &next);
	cr_expect_eq(next, 1, "a sidecar that stopped before the next one started comes first");
	set_state(&m[1], CTR_RUNNING, 0);
	set_state(&m[2], CTR_TERMINATED, 1);
	init_next_init(&p, &next);
	cr_expect_eq(next, 2, "a failed init container blocks until it succeeds");
	m[2].completed = true;
	init_next_init(&p, &next);
	cr_expect_eq(next, 3, "all done: the first app container");
	/* ... but once the order passed it, a sidecar that stops is restarted
	 * beside the others, and holds nothing back */
	set_state(&m[1], CTR_TERMINATED, 0);
	init_next_init(&p, &next);
	cr_expect_eq(next, 3, "a sidecar the order passed does not block again");
	m[2].completed = false;
	set_state(&m[2], CTR_RUNNING, 0);
	init_next_init(&p, &next);
	cr_expect_eq(next, 2, "nor does it while the init container after it runs");
}

Test(init_phase, from_member_states)
{
	struct init_member m[3] = {{.is_init = true}, {.is_init = false}, {.is_init = false}};
	struct init_pod p = {.members = m, .n_members = 3, .policy = INIT_RESTART_NEVER};
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_PENDING);
	p.initialized = true;
	set_state(&m[1], CTR_RUNNING, 0);
	/* kubelet's getPhase: an app container never started (its image
	 * missing, not yet created) keeps the pod Pending */
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_PENDING, "m[2] was never started");
	set_state(&m[2], CTR_RUNNING, 0);
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_RUNNING);
	set_state(&m[1], CTR_TERMINATED, 0);
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_RUNNING, "m[2] still runs");
	set_state(&m[2], CTR_TERMINATED, 0);
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_SUCCEEDED);
	set_state(&m[2], CTR_TERMINATED, 2);
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_FAILED);
	p.policy = INIT_RESTART_ON_FAILURE;
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_RUNNING, "OnFailure restarts the failed one");
	set_state(&m[2], CTR_TERMINATED, 0);
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_SUCCEEDED);
	p.policy = INIT_RESTART_ALWAYS;
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_RUNNING, "Always never finishes");
	p.init_failed = true;
	cr_expect_eq(init_pod_phase(&p), INIT_PHASE_FAILED);
}

/* ---- the state machine with fake members ----------------------------------------- */

/* Each fake member is a child process: it exits with script[i][attempt], or
 * with -1 it runs until signalled (ignoring SIGTERM when -2; when -3, it
 * writes FLOOD_BYTES into flood_pipe on SIGTERM and exits 0; when -4, it
 * exits 0 on SIGTERM: an init container that completes when told). */
#define MAXM        6
#define FLOOD_BYTES (256 * 1024)
static int script[MAXM][8];
static struct init_member fm[MAXM];
static char order[256]; /* "s:NAME " for each start, "t:NAME " for each end */
static int flood_pipe[2] = {-1, -1};

static int fake_start(void *arg, struct init_member *m)
{
	(void)arg;
	size_t i = (size_t)(m - fm);
	int attempt = m->started_once ? m->restarts : 0;
	int code = script[i][attempt < 8 ? attempt : 7];
	/* The child is born with SIGTERM blocked and ignores it before it
	 * unblocks: a stop right after the start cannot kill it by accident. */
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	pid_t pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return fail_errno("fork");
	}
	if (pid == 0) {
		/* A test that fails before its stop must not leave a member that
		 * ignores SIGTERM running, holding the runner's stdout. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (code == -3) {
			/* on SIGTERM, write more than a pipe holds on its way out */
			int sig;
			sigwait(&term, &sig);
			static char flood[FLOOD_BYTES];
			memset(flood, 'x', sizeof(flood));
			_exit(write_whole(flood_pipe[1], flood, sizeof(flood), "flood") < 0);
		}
		if (code == -4) {
			int sig;
			sigwait(&term, &sig);
			_exit(0);
		}
		if (code == -2)
			signal(SIGTERM, SIG_IGN);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (code < 0)
			for (;;)
				pause();
		_exit(code);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	m->c = (struct ctr){.state = CTR_RUNNING, .pid = pid, .pidfd = sys_pidfd_open(pid, 0)};
	return 0;
}

static void log_change(void *arg, struct init_member *m)
{
	(void)arg;
	char *end = order + strlen(order);
	snprintf(end, sizeof(order) - strlen(order), "%s:%s ",
	         m->c.state == CTR_RUNNING ? "s" : "t", m->cfg.name);
}

static struct init_pod fake_pod(size_t n, enum init_restart policy)
{
	static const char *names[MAXM] = {"a", "b", "c", "d", "e", "f"};
	order[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		bool is_init = fm[i].is_init, sidecar = fm[i].sidecar;
		fm[i] = (struct init_member){.is_init = is_init, .sidecar = sidecar};
		fm[i].cfg.name = names[i];
	}
	setenv("PODLAB_BACKOFF_SCALE", "0.0001", 1);
	return (struct init_pod){.members = fm,
	                         .n_members = n,
	                         .policy = policy,
	                         .grace_ms = 50,
	                         .start = fake_start,
	                         .on_change = log_change};
}

static void layout(const bool *is_init, const bool *sidecar, size_t n)
{
	memset(fm, 0, sizeof(fm));
	memset(script, 0, sizeof(script));
	for (size_t i = 0; i < n; i++) {
		fm[i].is_init = is_init[i];
		fm[i].sidecar = sidecar[i];
	}
}

Test(init_pod, runs_init_containers_in_order_then_apps)
{
	layout((bool[]){true, true, false, false}, (bool[]){false, false, false, false}, 4);
	struct init_pod p = fake_pod(4, INIT_RESTART_NEVER);
	cr_assert_eq(init_pod_run(&p), 0, "%s", last_error());
	cr_expect_eq(p.phase, INIT_PHASE_SUCCEEDED);
	/* a ends before b starts; both apps start after b ended */
	cr_expect(strncmp(order, "s:a t:a s:b t:b s:c ", 20) == 0, "order: %s", order);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(fm[i].restarts, 0);
}

Test(init_pod, failing_init_fails_a_never_pod)
{
	layout((bool[]){true, true, false}, (bool[]){false, false, false}, 3);
	script[1][0] = 3;
	struct init_pod p = fake_pod(3, INIT_RESTART_NEVER);
	cr_assert_eq(init_pod_run(&p), 0, "%s", last_error());
	cr_expect_eq(p.phase, INIT_PHASE_FAILED);
	cr_expect_eq(fm[1].c.exit_code, 3);
	cr_expect_str_eq(fm[1].c.reason, "Error");
	cr_expect_not(fm[2].started_once, "the app never starts");
}

Test(init_pod, failing_init_restarts_then_apps_run)
{
	layout((bool[]){true, false}, (bool[]){false, false}, 2);
	script[0][0] = 1, script[0][1] = 1, script[0][2] = 0;
	struct init_pod p = fake_pod(2, INIT_RESTART_ON_FAILURE);
	cr_assert_eq(init_pod_run(&p), 0, "%s", last_error());
	cr_expect_eq(p.phase, INIT_PHASE_SUCCEEDED);
	cr_expect_eq(fm[0].restarts, 2);
	cr_expect_str_eq(order, "s:a t:a s:a t:a s:a t:a s:b t:b ");
}

Test(init_pod, app_restarts_per_policy)
{
	layout((bool[]){false}, (bool[]){false}, 1);
	script[0][0] = 4, script[0][1] = 0;
	struct init_pod p = fake_pod(1, INIT_RESTART_ON_FAILURE);
	cr_assert_eq(init_pod_run(&p), 0, "%s", last_error());
	cr_expect_eq(p.phase, INIT_PHASE_SUCCEEDED);
	cr_expect_eq(fm[0].restarts, 1);

	layout((bool[]){false}, (bool[]){false}, 1);
	script[0][0] = 4;
	p = fake_pod(1, INIT_RESTART_NEVER);
	cr_assert_eq(init_pod_run(&p), 0, "%s", last_error());
	cr_expect_eq(p.phase, INIT_PHASE_FAILED);
	cr_expect_eq(fm[0].restarts, 0);
}

Test(init_pod, always_keeps_restarting_and_step_sets_a_deadline)
{
	layout((bool[]){false}, (bool[]){false}, 1);
	struct init_pod p = fake_pod(1, INIT_RESTART_ALWAYS);
	setenv("PODLAB_BACKOFF_SCALE", "1", 1);
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_expect_eq(fm[0].c.state, CTR_RUNNING);
	int st;
	cr_assert_eq(waitpid(fm[0].c.pid, &st, 0), fm[0].c.pid);
	cr_expect_eq(init_pod_reaped(&p, fm[0].c.pid, st), 1);
	cr_expect_eq(init_pod_reaped(&p, 1, 0), 0, "not a member");
	/* kubelet restarts the first crash of a loop at once ... */
	cr_expect_str_eq(fm[0].waiting_reason, "");
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_expect_eq(fm[0].c.state, CTR_RUNNING, "the first restart does not wait");
	cr_expect_eq(fm[0].restarts, 1);
	cr_assert_eq(waitpid(fm[0].c.pid, &st, 0), fm[0].c.pid);
	cr_expect_eq(init_pod_reaped(&p, fm[0].c.pid, st), 1);
	/* ... and waits 10 s before the second */
	cr_expect_str_eq(fm[0].waiting_reason, "CrashLoopBackOff");
	int64_t now = now_ms();
	cr_assert_eq(init_pod_step(&p, now, &deadline), 0);
	cr_expect_eq(fm[0].c.state, CTR_TERMINATED, "not before the backoff");
	cr_expect(deadline >= now + 9000 && deadline <= now + 10000, "deadline in ~10 s");
	cr_assert_eq(init_pod_step(&p, deadline, &deadline), 0);
	cr_expect_eq(fm[0].c.state, CTR_RUNNING, "restarted once due");
	cr_expect_eq(fm[0].restarts, 2);
	cr_expect_eq(p.phase, INIT_PHASE_RUNNING);
	init_pod_stop(&p);
	cr_expect_eq(fm[0].c.state, CTR_TERMINATED);
}

Test(init_pod, a_long_run_resets_the_backoff)
{
	layout((bool[]){false}, (bool[]){false}, 1);
	struct init_pod p = fake_pod(1, INIT_RESTART_ALWAYS);
	setenv("PODLAB_BACKOFF_SCALE", "1", 1);
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	fm[0].crash_loop = 3; /* deep in a crash loop: the next delay would be 80 s */
	int st;
	cr_assert_eq(waitpid(fm[0].c.pid, &st, 0), fm[0].c.pid);
	/* ... but this run lasted 11 minutes: kubelet starts over at 10 s */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fm[0].c.started_at = (int64_t)ts.tv_sec * 1000 - 11 * 60 * 1000;
	int64_t now = now_ms();
	cr_expect_eq(init_pod_reaped(&p, fm[0].c.pid, st), 1);
	cr_expect_eq(fm[0].crash_loop, 1);
	cr_expect(fm[0].not_before_ms <= now + 1000, "a new loop: at once again, not 80 s");
	cr_expect_str_eq(fm[0].waiting_reason, "");
	init_pod_stop(&p);
}

/* before_start: the image is missing until the third try */
static int tries;
static int image_missing(void *arg, struct init_member *m)
{
	(void)arg;
	if (++tries >= 3)
		return 0;
	snprintf(m->waiting_reason, sizeof(m->waiting_reason), "ErrImageNeverPull");
	return fail_msg(ENOENT, "Container image \"x\" is not present with pull policy of Never");
}

Test(init_pod, a_container_that_cannot_be_created_waits_and_is_retried_every_10s)
{
	layout((bool[]){false}, (bool[]){false}, 1);
	script[0][0] = -1;
	struct init_pod p = fake_pod(1, INIT_RESTART_ALWAYS);
	setenv("PODLAB_BACKOFF_SCALE", "1", 1);
	p.before_start = image_missing;
	p.retry_failed_starts = true;
	tries = 0;
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0, "the pod goes on");
	cr_expect_eq(fm[0].c.state, CTR_WAITING);
	cr_expect_str_eq(fm[0].waiting_reason, "ErrImageNeverPull");
	cr_expect(strstr(fm[0].message, "not present") != NULL, "message: %s", fm[0].message);
	int64_t wait = deadline - now_ms();
	cr_expect(wait > 9000 && wait <= 10000, "retried in ~10 s, not %lld ms", (long long)wait);
	/* nothing was created: a flat 10 s again, no crash loop, no restart
	 * (the step is told the time is due; the module takes the next 10 s
	 * from the clock) */
	cr_assert_eq(init_pod_step(&p, deadline, &deadline), 0);
	cr_expect_str_eq(fm[0].waiting_reason, "ErrImageNeverPull");
	wait = deadline - now_ms();
	cr_expect(wait > 9000 && wait <= 10000, "flat, not doubled: %lld ms", (long long)wait);
	cr_expect_eq(fm[0].crash_loop, 0);
	cr_expect_eq(fm[0].restarts, 0);
	cr_assert_eq(init_pod_step(&p, deadline, &deadline), 0);
	cr_expect_eq(fm[0].c.state, CTR_RUNNING, "started once created");
	cr_expect_str_eq(fm[0].waiting_reason, "");
	cr_expect_eq(fm[0].restarts, 0, "its first run");
	init_pod_stop(&p);

	/* without retries (the step programs) it is an error, with a reason */
	layout((bool[]){false}, (bool[]){false}, 1);
	p = fake_pod(1, INIT_RESTART_NEVER);
	p.before_start = image_missing;
	tries = 0;
	cr_expect_eq(init_pod_step(&p, now_ms(), &deadline), -1);
	cr_expect_str_eq(fm[0].waiting_reason, "ErrImageNeverPull");
}

/* start: the command is not found twice, then it runs */
static int start_fails_twice(void *arg, struct init_member *m)
{
	if (++tries <= 2)
		return fail_msg(ENOENT, "exec: \"nope\": executable file not found in $PATH");
	return fake_start(arg, m);
}

/* containerd records a failed start as a run that ended: exit code 128,
 * reason StartError, the error as its message; kubelet's restart policy
 * then decides (kubernetes#14491). */
static void expect_start_error(const struct init_member *m)
{
	cr_expect_eq(m->c.state, CTR_TERMINATED, "a failed start is a run that ended");
	cr_expect_eq(m->c.exit_code, 128);
	cr_expect_str_eq(m->c.reason, "StartError");
	cr_expect_eq(m->c.started_at, 0, "it never started");
	cr_expect(m->c.finished_at > 0, "it ended");
	cr_expect(strstr(m->message, "executable file not found"), "message: %s", m->message);
}

Test(init_pod, a_failed_start_is_a_restart_at_once_then_after_10s_and_step_says_when)
{
	layout((bool[]){false}, (bool[]){false}, 1);
	script[0][2] = -1; /* the third start runs */
	struct init_pod p = fake_pod(1, INIT_RESTART_ALWAYS);
	setenv("PODLAB_BACKOFF_SCALE", "1", 1);
	p.start = start_fails_twice;
	p.retry_failed_starts = true;
	tries = 0;
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	expect_start_error(&fm[0]);
	cr_expect_str_eq(fm[0].waiting_reason, "RunContainerError");
	cr_expect_eq(p.phase, INIT_PHASE_RUNNING, "kubelet: restarting under Always is Running");
	/* the caller must come back: at once for the first retry */
	cr_expect(deadline >= 0 && deadline <= now_ms(), "due now, not %lld", (long long)deadline);
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_expect_eq(fm[0].restarts, 1, "the retry of a failed start is a restart");
	int64_t wait = deadline - now_ms();
	cr_expect(wait > 9000 && wait <= 10000, "then in 10 s, not %lld ms", (long long)wait);
	cr_assert_eq(init_pod_step(&p, deadline, &deadline), 0);
	cr_expect_eq(fm[0].c.state, CTR_RUNNING);
	cr_expect_eq(fm[0].restarts, 2);
	cr_expect_str_eq(fm[0].waiting_reason, "");
	init_pod_stop(&p);
}

static int start_never_works(void *arg, struct init_member *m)
{
	(void)arg;
	(void)m;
	tries++;
	return fail_msg(ENOENT, "exec: \"nope\": executable file not found in $PATH");
}

Test(init_pod, a_failed_start_under_never_ends_the_container_and_fails_the_pod)
{
	layout((bool[]){false}, (bool[]){false}, 1);
	struct init_pod p = fake_pod(1, INIT_RESTART_NEVER);
	p.start = start_never_works;
	p.retry_failed_starts = true;
	tries = 0;
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0, "the pod goes on to its end");
	expect_start_error(&fm[0]);
	cr_expect_str_eq(fm[0].waiting_reason, "", "no restart to wait for");
	cr_expect_eq(p.phase, INIT_PHASE_FAILED);
	cr_expect_eq(deadline, -1, "nothing is due");
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_expect_eq(tries, 1, "never tried again");
	cr_expect_eq(fm[0].restarts, 0);

	/* OnFailure: exit code 128 is a failure, restarted */
	layout((bool[]){false}, (bool[]){false}, 1);
	p = fake_pod(1, INIT_RESTART_ON_FAILURE);
	p.start = start_never_works;
	p.retry_failed_starts = true;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_expect_str_eq(fm[0].waiting_reason, "RunContainerError");
	cr_expect_eq(p.phase, INIT_PHASE_RUNNING);
}

/* The timeout: a step that tried it again and again would never return. */
Test(init_pod, an_init_container_that_cannot_start_fails_a_never_pod_and_no_app_runs, .timeout = 10)
{
	layout((bool[]){true, false}, (bool[]){false, false}, 2);
	script[1][0] = -1;
	struct init_pod p = fake_pod(2, INIT_RESTART_NEVER);
	p.start = start_never_works;
	p.retry_failed_starts = true;
	tries = 0;
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	expect_start_error(&fm[0]);
	cr_expect(p.init_failed);
	cr_expect_eq(p.phase, INIT_PHASE_FAILED);
	cr_expect_eq(tries, 1, "started once, not again in the same step");
	cr_expect_not(fm[1].started_once, "the app never starts");
	cr_expect_eq(deadline, -1);
}

Test(init_pod, sidecar_is_not_waited_for_and_stops_last)
{
	/* a: sidecar (runs until stopped), b: init, c: app, d: app */
	layout((bool[]){true, true, false, false}, (bool[]){true, false, false, false}, 4);
	script[0][0] = -1;
	struct init_pod p = fake_pod(4, INIT_RESTART_NEVER);
	cr_assert_eq(init_pod_run(&p), 0, "%s", last_error());
	cr_expect_eq(p.phase, INIT_PHASE_SUCCEEDED);
	cr_expect(strncmp(order, "s:a s:b ", 8) == 0, "b starts while a runs: %s", order);
	size_t len = strlen(order);
	cr_expect(len > 4 && !strcmp(order + len - 4, "t:a "), "a ends last: %s", order);
	cr_expect_str_eq(fm[0].c.reason, "SIGTERM");
}

/* kubelet (computeInitContainerActions) decides the next init container by
 * the last one started; a sidecar before it that stops is restarted beside
 * the others with its backoff, and holds back neither them nor the apps. */
Test(init_pod, a_sidecar_that_stops_after_the_order_passed_it_holds_nothing_back)
{
	/* a: sidecar, b: init (exits 0), c: app */
	layout((bool[]){true, true, false}, (bool[]){true, false, false}, 3);
	script[0][0] = script[0][1] = script[2][0] = -1;
	struct init_pod p = fake_pod(3, INIT_RESTART_ALWAYS);
	setenv("PODLAB_BACKOFF_SCALE", "1", 1);
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_assert_eq(fm[0].c.state, CTR_RUNNING);
	cr_assert_eq(fm[1].c.state, CTR_RUNNING, "b starts while a runs");
	/* a crashes while b runs, deep in a crash loop: its restart waits 40 s */
	fm[0].crash_loop = 3;
	kill(fm[0].c.pid, SIGKILL);
	int st;
	cr_assert_eq(waitpid(fm[0].c.pid, &st, 0), fm[0].c.pid);
	cr_assert_eq(init_pod_reaped(&p, fm[0].c.pid, st), 1);
	cr_expect_str_eq(fm[0].waiting_reason, "CrashLoopBackOff");
	cr_assert_eq(waitpid(fm[1].c.pid, &st, 0), fm[1].c.pid);
	cr_assert_eq(init_pod_reaped(&p, fm[1].c.pid, st), 1);
	cr_assert(fm[1].completed);
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_expect(p.initialized, "the last init container completed");
	cr_expect_eq(fm[2].c.state, CTR_RUNNING, "the app does not wait for a's restart");
	cr_expect_eq(fm[0].c.state, CTR_TERMINATED, "a waits out its backoff");
	cr_expect_eq(deadline, fm[0].not_before_ms, "and the step says when it is due");
	cr_assert_eq(init_pod_step(&p, fm[0].not_before_ms, &deadline), 0);
	cr_expect_eq(fm[0].c.state, CTR_RUNNING, "restarted once due, beside the app");
	cr_expect_eq(fm[0].restarts, 1);
	init_pod_stop(&p);
}

/* started hook: a sidecar's startupProbe passes on its first run only */
static bool first_run_started(void *arg, const struct init_member *m)
{
	(void)arg;
	return m->restarts == 0;
}

Test(init_pod, only_the_sidecar_just_before_holds_the_next_one_back_until_started)
{
	/* a: sidecar, b: init (runs until stopped, then exits 0), c: app */
	layout((bool[]){true, true, false}, (bool[]){true, false, false}, 3);
	script[0][0] = script[0][1] = script[2][0] = -1;
	script[1][0] = -4;
	struct init_pod p = fake_pod(3, INIT_RESTART_ALWAYS);
	p.started = first_run_started;
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_assert_eq(fm[1].c.state, CTR_RUNNING, "a started: b starts");
	/* a crashes while b runs and is restarted at once; its startupProbe
	 * has not passed on this run */
	kill(fm[0].c.pid, SIGKILL);
	int st;
	cr_assert_eq(waitpid(fm[0].c.pid, &st, 0), fm[0].c.pid);
	cr_assert_eq(init_pod_reaped(&p, fm[0].c.pid, st), 1);
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_assert_eq(fm[0].c.state, CTR_RUNNING);
	cr_assert_eq(fm[0].restarts, 1);
	kill(fm[1].c.pid, SIGTERM); /* b completes */
	cr_assert_eq(waitpid(fm[1].c.pid, &st, 0), fm[1].c.pid);
	cr_assert_eq(init_pod_reaped(&p, fm[1].c.pid, st), 1);
	cr_assert(fm[1].completed);
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_expect_eq(fm[2].c.state, CTR_RUNNING,
	             "the app follows b, not the startup of a sidecar the order passed");
	init_pod_stop(&p);
}

Test(init_pod, stop_ends_apps_then_sidecars_in_reverse_and_kills_at_the_deadline)
{
	/* a, b: sidecars; c: app; all end on SIGTERM */
	layout((bool[]){true, true, false}, (bool[]){true, true, false}, 3);
	script[0][0] = script[1][0] = script[2][0] = -1;
	struct init_pod p = fake_pod(3, INIT_RESTART_ALWAYS);
	p.grace_ms = 10000;
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_expect_eq(fm[2].c.state, CTR_RUNNING);
	order[0] = '\0';
	cr_assert_eq(init_pod_stop(&p), 0, "%s", last_error());
	cr_expect_str_eq(order, "t:c t:b t:a ");
	cr_expect_str_eq(fm[0].c.reason, "SIGTERM");

	/* b ignores SIGTERM: SIGKILL when the grace period is over, and a's
	 * turn comes then too, as kubelet's wait for its turn ends there */
	layout((bool[]){true, true, false}, (bool[]){true, true, false}, 3);
	script[0][0] = script[2][0] = -1, script[1][0] = -2;
	p = fake_pod(3, INIT_RESTART_ALWAYS);
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	order[0] = '\0';
	cr_assert_eq(init_pod_stop(&p), 0, "%s", last_error());
	cr_expect(!strncmp(order, "t:c ", 4), "%s", order);
	cr_expect_str_eq(fm[1].c.reason, "SIGKILL");
	cr_expect_eq(fm[1].c.exit_code, 137);
	cr_expect_str_eq(fm[0].c.reason, "SIGTERM");
}

/* on_change during a stop: when the sidecar a ends, note whether b, a
 * regular init container that ignores SIGTERM, still runs, and hasten the
 * stop so that b's SIGKILL comes at once */
static struct init_pod *hasten_pod;
static bool b_ran_on;
static void end_stop_when_a_ends(void *arg, struct init_member *m)
{
	log_change(arg, m);
	if (m == &fm[0] && m->c.state == CTR_TERMINATED && hasten_pod && hasten_pod->stopping) {
		b_ran_on = fm[1].c.state == CTR_RUNNING;
		init_pod_hasten(hasten_pod, 0);
	}
}

/* kubelet's termination order (newTerminationOrdering): a sidecar waits for
 * the app containers and the sidecars after it, not for a regular init
 * container a stop catches running. Were it to wait, this stop would wait
 * out the hour's grace period b takes and the test would time out. */
Test(init_pod, a_stop_does_not_make_a_sidecar_wait_for_an_init_container, .timeout = 10)
{
	/* a: sidecar, b: init that ignores SIGTERM, c: app, never started */
	layout((bool[]){true, true, false}, (bool[]){true, false, false}, 3);
	script[0][0] = -1, script[1][0] = -2;
	struct init_pod p = fake_pod(3, INIT_RESTART_ALWAYS);
	p.grace_ms = 3600 * 1000;
	p.on_change = end_stop_when_a_ends;
	hasten_pod = &p;
	b_ran_on = false;
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_assert_eq(fm[1].c.state, CTR_RUNNING);
	cr_assert_eq(init_pod_stop(&p), 0, "%s", last_error());
	hasten_pod = NULL;
	cr_expect(b_ran_on, "a ended only once b had: %s", order);
	cr_expect_str_eq(fm[0].c.reason, "SIGTERM");
	cr_expect_str_eq(fm[1].c.reason, "SIGKILL");
}

/* pre_stop for the fake members: each hook is a child that sleeps
 * hook_ms[i]; "p:NAME " when it starts, "e:NAME " (or "late:NAME ") when it ends */
static int hook_ms[MAXM];
static pid_t hook_pid[MAXM];
static bool hook_late[MAXM];
static int64_t hook_end_at[MAXM];

static void say(const char *what, const struct init_member *m)
{
	size_t len = strlen(order);
	snprintf(order + len, sizeof(order) - len, "%s:%s ", what, m->cfg.name);
}

static int fake_pre_stop(void *arg, struct init_member *m, int64_t deadline_ms)
{
	(void)arg, (void)deadline_ms;
	size_t i = (size_t)(m - fm);
	if (!hook_ms[i])
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(hook_ms[i]);
		_exit(0);
	}
	hook_pid[i] = pid;
	say("p", m);
	return sys_pidfd_open(pid, 0);
}

static void fake_pre_stop_end(void *arg, struct init_member *m, int fd, bool late)
{
	(void)arg;
	size_t i = (size_t)(m - fm);
	if (late)
		kill(hook_pid[i], SIGKILL);
	waitpid(hook_pid[i], NULL, 0);
	close(fd);
	hook_late[i] = late;
	hook_end_at[i] = now_ms();
	say(late ? "late" : "e", m);
}

static void with_hooks(struct init_pod *p, const int *ms, size_t n)
{
	p->pre_stop = fake_pre_stop;
	p->pre_stop_end = fake_pre_stop_end;
	for (size_t i = 0; i < n; i++) {
		hook_ms[i] = ms[i];
		hook_late[i] = false;
	}
}

static size_t at(const char *what)
{
	const char *p = strstr(order, what);
	cr_assert(p != NULL, "%s in: %s", what, order);
	return (size_t)(p - order);
}

Test(init_pod, every_prestop_starts_at_once_and_each_sigterm_follows_its_own_hook)
{
	/* a: sidecar, b and c: apps; every one dies on SIGTERM */
	layout((bool[]){true, false, false}, (bool[]){true, false, false}, 3);
	script[0][0] = script[1][0] = script[2][0] = -1;
	struct init_pod p = fake_pod(3, INIT_RESTART_ALWAYS);
	p.grace_ms = 10000;
	with_hooks(&p, (int[]){10, 200, 10}, 3);
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_assert_eq(fm[2].c.state, CTR_RUNNING);
	order[0] = '\0';
	cr_assert_eq(init_pod_stop(&p), 0, "%s", last_error());
	/* kubelet runs them side by side: one after another, b's 200 ms would
	 * come between "p:b" and "p:c" */
	cr_expect(!strncmp(order, "p:a p:b p:c ", 12), "every hook first: %s", order);
	cr_expect(at("e:b") < at("t:b") && at("e:c") < at("t:c"), "SIGTERM after the hook: %s",
	          order);
	/* the sidecar's hook ran beside the apps' ... */
	cr_expect(at("e:a") < at("t:b"), "a's hook did not wait for the apps: %s", order);
	/* ... and the sidecar itself outlived them */
	size_t len = strlen(order);
	cr_expect(len > 4 && !strcmp(order + len - 4, "t:a "), "a ends last: %s", order);
	cr_expect(!hook_late[0] && !hook_late[1] && !hook_late[2]);
	cr_expect_str_eq(fm[1].c.reason, "SIGTERM");
}

Test(init_pod, a_prestop_cut_at_the_deadline_still_leaves_min_grace_before_sigkill)
{
	layout((bool[]){false}, (bool[]){false}, 1);
	script[0][0] = -2; /* ignores SIGTERM */
	struct init_pod p = fake_pod(1, INIT_RESTART_ALWAYS);
	p.grace_ms = 100;
	p.min_grace_ms = 400;
	with_hooks(&p, (int[]){60000}, 1);
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	order[0] = '\0';
	int64_t t0 = now_ms();
	cr_assert_eq(init_pod_stop(&p), 0, "%s", last_error());
	int64_t took = now_ms() - t0;
	cr_expect(hook_late[0], "the hook was cut: %s", order);
	cr_expect(at("late:a") < at("t:a"), "%s", order);
	cr_expect_str_eq(fm[0].c.reason, "SIGKILL");
	/* bounds, not timings: its SIGTERM came at the deadline, its SIGKILL
	 * min_grace_ms later (without it, at once), and the hour-long hook
	 * did not hold the stop */
	cr_expect(took >= 100 + 400, "SIGKILL %lld ms after the stop began", (long long)took);
	cr_expect(took < 30000, "the hook held the stop for %lld ms", (long long)took);
	cr_expect(hook_end_at[0] - t0 >= 100, "cut at the deadline, not before");

	/* with a grace period of 0 there is no minimum: SIGKILL at once */
	layout((bool[]){false}, (bool[]){false}, 1);
	script[0][0] = -2;
	p = fake_pod(1, INIT_RESTART_ALWAYS);
	p.grace_ms = 0;
	p.min_grace_ms = 60000;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	t0 = now_ms();
	cr_assert_eq(init_pod_stop(&p), 0, "%s", last_error());
	cr_expect(now_ms() - t0 < 30000, "grace 0 waited for the minimum");
	cr_expect_str_eq(fm[0].c.reason, "SIGKILL");
}

static size_t flood_read;
static void drain_flood(void *arg)
{
	(void)arg;
	char buf[65536];
	ssize_t r;
	while ((r = read(flood_pipe[0], buf, sizeof(buf))) > 0)
		flood_read += (size_t)r;
}

Test(init_pod, a_stop_keeps_serving_stop_fd_so_a_member_writing_on_its_way_out_ends_by_itself)
{
	cr_assert_eq(pipe2(flood_pipe, O_CLOEXEC | O_NONBLOCK), 0);
	/* the writer's end blocks, as a container's stdout does */
	cr_assert_eq(fcntl(flood_pipe[1], F_SETFL, 0), 0);
	layout((bool[]){false}, (bool[]){false}, 1);
	script[0][0] = -3;
	struct init_pod p = fake_pod(1, INIT_RESTART_ALWAYS);
	p.grace_ms = 2000;
	p.stop_fd = flood_pipe[0];
	p.on_stop_fd = drain_flood;
	flood_read = 0;
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	cr_assert_eq(init_pod_stop(&p), 0, "%s", last_error());
	drain_flood(NULL);
	/* unserved, the pipe fills at 64 KiB and the member is SIGKILLed
	 * (137) when the grace period is over */
	cr_expect_str_eq(fm[0].c.reason, "Completed");
	cr_expect_eq(fm[0].c.exit_code, 0);
	cr_expect_eq(flood_read, (size_t)FLOOD_BYTES);
	close(flood_pipe[0]);
	close(flood_pipe[1]);
}

/* A second stop arrives on stop_fd (podrun: its signals) while the first
 * waits out an hour's grace period for a member that ignores SIGTERM. */
static int second_stop[2] = {-1, -1};
static void hasten_on_second_stop(void *arg)
{
	struct init_pod *p = arg;
	char c;
	if (read(second_stop[0], &c, 1) == 1)
		init_pod_hasten(p, 0);
}

Test(init_pod, a_second_stop_with_grace_0_kills_at_once_min_grace_or_not, .timeout = 10)
{
	cr_assert_eq(pipe2(second_stop, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(write(second_stop[1], "x", 1), 1);
	layout((bool[]){false}, (bool[]){false}, 1);
	script[0][0] = -2; /* ignores SIGTERM */
	struct init_pod p = fake_pod(1, INIT_RESTART_ALWAYS);
	p.grace_ms = 3600 * 1000;
	p.min_grace_ms = 2000;
	p.arg = &p;
	p.stop_fd = second_stop[0];
	p.on_stop_fd = hasten_on_second_stop;
	int64_t deadline;
	cr_assert_eq(init_pod_step(&p, now_ms(), &deadline), 0);
	int64_t t0 = now_ms();
	cr_assert_eq(init_pod_stop(&p), 0, "%s", last_error());
	cr_expect(now_ms() - t0 < 1000, "the stop took %lld ms", (long long)(now_ms() - t0));
	cr_expect_str_eq(fm[0].c.reason, "SIGKILL");
	/* outside a stop, a hasten changes nothing */
	init_pod_reset(&p);
	int64_t before = p.stop_deadline_ms;
	init_pod_hasten(&p, 0);
	cr_expect_eq(p.stop_deadline_ms, before);
	close(second_stop[0]);
	close(second_stop[1]);
}

Test(init_pod, reset_runs_init_again_and_keeps_counts)
{
	layout((bool[]){true, false}, (bool[]){false, false}, 2);
	struct init_pod p = fake_pod(2, INIT_RESTART_NEVER);
	cr_assert_eq(init_pod_run(&p), 0);
	fm[0].restarts = 2;
	init_pod_reset(&p);
	cr_expect_eq(p.phase, INIT_PHASE_PENDING);
	cr_expect_not(fm[0].completed);
	cr_expect_eq(fm[0].restarts, 2);
	cr_expect_str_eq(fm[1].waiting_reason, "PodInitializing");
}
