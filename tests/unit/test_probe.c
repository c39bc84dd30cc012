/*
 * test_probe.c - the probe module: kubelet's state machine on a fake clock
 * with fake results (startup gating, thresholds, restarts, delays), then the
 * real handlers - httpGet and tcpSocket against servers in a network
 * namespace of their own, exec through a substitute runner in the forked
 * probe child. Needs root (it makes network namespaces). Criterion runs each
 * test in its own process.
 */
#include "probe.h"

#include "common.h"
#include "ns.h"
#include "ports.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* ---- the state machine on a fake clock ------------------------------------------- */

#define MAXV 32
struct rec {
	int starts[PROBE_KINDS];
	struct probe_verdict v[MAXV];
	int n;
};

static void rec_verdict(void *arg, struct probe_set *ps, const struct probe_verdict *v)
{
	struct rec *r = arg;
	(void)ps;
	if (r->n < MAXV)
		r->v[r->n++] = *v;
}

static void rec_start(void *arg, struct probe_set *ps, enum probe_kind k)
{
	struct rec *r = arg;
	(void)ps;
	r->starts[k]++;
}

static struct probe_spec exec_spec(void)
{
	static char *cmd[] = {"true", NULL};
	struct probe_spec s;
	probe_spec_init(&s);
	s.handler = PROBE_EXEC;
	s.command = cmd;
	return s;
}

static struct probe_set *fake_set(struct rec *r, const struct probe_spec *st,
                                  const struct probe_spec *lv, const struct probe_spec *rd)
{
	const struct probe_spec *specs[PROBE_KINDS] = {st, lv, rd};
	struct probe_opts o = {.name = "web",
	                       .epfd = -1,
	                       .netns_fd = -1,
	                       .on_verdict = rec_verdict,
	                       .arg = r,
	                       .start = rec_start};
	struct probe_set *ps;
	cr_assert_eq(probe_set_create(specs, &o, &ps), 0, "%s", last_error());
	return ps;
}

/* Deliver a result to the check that runs (and check that one runs). */
static struct probe_verdict result(struct probe_set *ps, enum probe_kind k, int64_t now, bool ok)
{
	struct probe_verdict v;
	cr_assert(probe_set_running(ps, k), "no %s check running", probe_kind_name(k));
	probe_set_result(ps, k, now, ok ? PROBE_SUCCESS : PROBE_FAILURE, "boom", &v);
	return v;
}

Test(probe_state, defaults_are_kubernetes)
{
	struct rec r = {0};
	struct probe_spec lv = exec_spec();
	struct probe_set *ps = fake_set(&r, NULL, &lv, NULL);
	const struct probe_spec *s = probe_set_spec(ps, PROBE_LIVENESS);
	cr_expect_eq(s->initial_delay_s, 0);
	cr_expect_eq(s->period_s, 10);
	cr_expect_eq(s->timeout_s, 1);
	cr_expect_eq(s->success_threshold, 1);
	cr_expect_eq(s->failure_threshold, 3);
	cr_expect_null(probe_set_spec(ps, PROBE_READINESS));
	probe_set_free(ps);
}

Test(probe_state, startup_gates_liveness_and_readiness)
{
	struct rec r = {0};
	struct probe_spec st = exec_spec(), lv = exec_spec(), rd = exec_spec();
	st.period_s = 1;
	struct probe_set *ps = fake_set(&r, &st, &lv, &rd);
	probe_set_reset(ps, 1000);
	cr_expect_not(probe_set_started(ps));
	cr_expect_not(probe_set_ready(ps));
	cr_assert_eq(probe_set_tick(ps, 1000), 0);
	cr_expect_eq(r.starts[PROBE_STARTUP], 1);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 0, "liveness ran before startup passed");
	cr_expect_eq(r.starts[PROBE_READINESS], 0, "readiness ran before startup passed");
	result(ps, PROBE_STARTUP, 1100, false); /* 1 of 3 failures */
	probe_set_tick(ps, 2000);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 0);
	struct probe_verdict v = result(ps, PROBE_STARTUP, 2100, true);
	cr_expect(v.started_changed);
	cr_expect_not(v.kill);
	cr_expect(probe_set_started(ps));
	cr_expect_not(probe_set_ready(ps), "ready before the readiness probe passed");
	probe_set_tick(ps, 2100);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 1);
	cr_expect_eq(r.starts[PROBE_READINESS], 1);
	/* the startup probe never runs again in this run */
	probe_set_tick(ps, 60000);
	cr_expect_eq(r.starts[PROBE_STARTUP], 2);
	probe_set_free(ps);
}

Test(probe_state, startup_without_readiness_is_ready_once_started)
{
	struct rec r = {0};
	struct probe_spec st = exec_spec();
	struct probe_set *ps = fake_set(&r, &st, NULL, NULL);
	probe_set_reset(ps, 0);
	cr_expect_not(probe_set_ready(ps));
	probe_set_tick(ps, 0);
	struct probe_verdict v = result(ps, PROBE_STARTUP, 10, true);
	cr_expect(v.ready_changed);
	cr_expect(v.ready);
	probe_set_free(ps);

	/* no probes that gate it: ready at once */
	struct probe_spec lv = exec_spec();
	ps = fake_set(&r, NULL, &lv, NULL);
	probe_set_reset(ps, 0);
	cr_expect(probe_set_ready(ps));
	probe_set_free(ps);
}

Test(probe_state, startup_failure_kills_after_threshold)
{
	struct rec r = {0};
	struct probe_spec st = exec_spec(), lv = exec_spec();
	st.failure_threshold = 2;
	st.period_s = 1;
	st.grace_set = true;
	st.grace_s = 7;
	struct probe_set *ps = fake_set(&r, &st, &lv, NULL);
	probe_set_reset(ps, 0);
	probe_set_tick(ps, 0);
	struct probe_verdict v = result(ps, PROBE_STARTUP, 10, false);
	cr_expect_not(v.kill);
	cr_expect_str_eq(v.event, "Startup probe failed: boom");
	probe_set_tick(ps, 1000);
	v = result(ps, PROBE_STARTUP, 1010, false);
	cr_expect(v.kill);
	cr_expect_str_eq(v.reason, "Startup probe failed: boom");
	cr_expect_str_eq(v.message, "Container web failed startup probe");
	cr_expect_eq(v.grace_s, 7);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 0);
	probe_set_free(ps);
}

Test(probe_state, liveness_kills_after_n_failures_in_a_row)
{
	struct rec r = {0};
	struct probe_spec lv = exec_spec();
	lv.period_s = 1;
	struct probe_set *ps = fake_set(&r, NULL, &lv, NULL);
	probe_set_reset(ps, 0);
	bool seq[] = {false, false, true, false, false};
	int64_t t = 0;
	for (size_t i = 0; i < ARRAY_SIZE(seq); i++, t += 1000) {
		probe_set_tick(ps, t);
		struct probe_verdict v = result(ps, PROBE_LIVENESS, t + 1, seq[i]);
		cr_expect_not(v.kill, "killed after result %zu: a success must break the run", i);
	}
	probe_set_tick(ps, t);
	struct probe_verdict v = result(ps, PROBE_LIVENESS, t + 1, false);
	cr_expect(v.kill, "3 failures in a row: kill");
	cr_expect_str_eq(v.reason, "Liveness probe failed: boom");
	cr_expect_eq(v.grace_s, -1);
	cr_expect_eq(r.n, 6, "a verdict for every result");
	/* on hold until the next run */
	cr_expect_eq(probe_set_next(ps), -1);
	int before = r.starts[PROBE_LIVENESS];
	probe_set_tick(ps, t + 100000);
	cr_expect_eq(r.starts[PROBE_LIVENESS], before);
	probe_set_free(ps);
}

/* kubelet holds the worker that asked for the kill, not the others: while a
 * container killed for its liveness is being stopped (its preStop, its
 * grace period), its readiness probe still runs, and may take its ready. */
Test(probe_state, a_liveness_kill_holds_liveness_not_readiness)
{
	struct rec r = {0};
	struct probe_spec lv = exec_spec(), rd = exec_spec();
	lv.period_s = rd.period_s = 1;
	lv.failure_threshold = rd.failure_threshold = 1;
	struct probe_set *ps = fake_set(&r, NULL, &lv, &rd);
	probe_set_reset(ps, 0);
	probe_set_tick(ps, 0);
	cr_expect(result(ps, PROBE_READINESS, 10, true).ready);
	cr_expect(result(ps, PROBE_LIVENESS, 20, false).kill);
	/* the readiness check under way goes on, and so do the next ones */
	probe_set_tick(ps, 1000);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 1, "liveness ran again before the next run");
	cr_assert_eq(r.starts[PROBE_READINESS], 2, "readiness stopped with the liveness kill");
	struct probe_verdict v = result(ps, PROBE_READINESS, 1010, false);
	cr_expect(v.ready_changed && !v.ready);
	cr_expect_not(probe_set_ready(ps));
	cr_expect_not(v.kill, "readiness never kills");
	probe_set_free(ps);
}

/* kubelet's StopLivenessAndStartup, when the pod is being deleted */
Test(probe_state, terminating_ends_startup_and_liveness_and_keeps_readiness)
{
	struct rec r = {0};
	struct probe_spec st = exec_spec(), lv = exec_spec(), rd = exec_spec();
	st.period_s = lv.period_s = rd.period_s = 1;
	lv.failure_threshold = rd.failure_threshold = 1;
	struct probe_set *ps = fake_set(&r, &st, &lv, &rd);
	probe_set_reset(ps, 0);
	probe_set_tick(ps, 0);
	cr_assert_eq(r.starts[PROBE_STARTUP], 1);
	/* the startup check under way is cancelled, and its worker gone the
	 * container counts as started: readiness may run, liveness may not */
	cr_expect(probe_set_terminating(ps, 500), "started changed: the caller must hear it");
	cr_expect_not(probe_set_running(ps, PROBE_STARTUP));
	cr_expect(probe_set_started(ps));
	cr_expect_not(probe_set_ready(ps), "ready before the readiness probe passed");
	cr_assert_eq(probe_set_tick(ps, 500), 0);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 0, "liveness ran during a stop");
	cr_assert_eq(r.starts[PROBE_READINESS], 1, "readiness did not run during a stop");
	struct probe_verdict up = result(ps, PROBE_READINESS, 510, true);
	cr_expect(up.ready_changed && up.ready);
	probe_set_tick(ps, 1500);
	cr_expect_eq(r.starts[PROBE_STARTUP], 1);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 0);
	struct probe_verdict down = result(ps, PROBE_READINESS, 1510, false);
	cr_expect(down.ready_changed && !down.ready);
	cr_expect_not(down.kill);
	cr_expect_not(probe_set_terminating(ps, 1600), "a second call changed something");
	probe_set_free(ps);
}

/* prober.probe: a Warning (an httpGet's 3xx) is a success, and an event */
Test(probe_state, a_warning_is_a_success_with_an_event)
{
	struct rec r = {0};
	struct probe_spec lv = exec_spec(), rd = exec_spec();
	lv.failure_threshold = rd.failure_threshold = 1;
	struct probe_set *ps = fake_set(&r, NULL, &lv, &rd);
	probe_set_reset(ps, 0);
	probe_set_tick(ps, 0);
	struct probe_verdict v;
	cr_expect_eq(probe_set_result(ps, PROBE_LIVENESS, 10, PROBE_WARNING, "moved", &v), 1);
	cr_expect_not(v.kill, "a warning killed");
	cr_expect(v.warning);
	cr_expect_str_eq(v.event, "Liveness probe warning: moved");
	cr_expect_eq(probe_set_result(ps, PROBE_READINESS, 10, PROBE_WARNING, "moved", &v), 1);
	cr_expect(v.ready_changed && v.ready, "a warning did not make it ready");
	cr_expect_str_eq(v.event, "Readiness probe warning: moved");
	probe_set_free(ps);
}

Test(probe_state, readiness_flips_with_thresholds)
{
	struct rec r = {0};
	struct probe_spec rd = exec_spec();
	rd.success_threshold = 2;
	rd.failure_threshold = 2;
	rd.period_s = 1;
	struct probe_set *ps = fake_set(&r, NULL, NULL, &rd);
	probe_set_reset(ps, 0);
	cr_expect_not(probe_set_ready(ps), "a readiness probe: not ready at first");
	struct {
		bool ok, ready, changed;
	} steps[] = {
	    {true, false, false},  {true, true, true},   {false, true, false},
	    {true, true, false},   {false, true, false}, {false, false, true},
	    {false, false, false}, {true, false, false}, {true, true, true},
	};
	int64_t t = 0;
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++, t += 1000) {
		probe_set_tick(ps, t);
		struct probe_verdict v = result(ps, PROBE_READINESS, t + 1, steps[i].ok);
		cr_expect_eq(v.ready, steps[i].ready, "step %zu: ready", i);
		cr_expect_eq(v.ready_changed, steps[i].changed, "step %zu: changed", i);
		cr_expect_not(v.kill, "readiness never kills");
	}
	probe_set_free(ps);
}

Test(probe_state, reset_on_restart_forgets_everything)
{
	struct rec r = {0};
	struct probe_spec st = exec_spec(), lv = exec_spec(), rd = exec_spec();
	lv.period_s = 1;
	lv.failure_threshold = 2;
	struct probe_set *ps = fake_set(&r, &st, &lv, &rd);
	probe_set_reset(ps, 0);
	probe_set_tick(ps, 0);
	result(ps, PROBE_STARTUP, 1, true);
	probe_set_tick(ps, 1);
	result(ps, PROBE_READINESS, 2, true);
	cr_expect(probe_set_ready(ps));
	result(ps, PROBE_LIVENESS, 2, false);
	probe_set_tick(ps, 1001);
	cr_expect(result(ps, PROBE_LIVENESS, 1002, false).kill);
	probe_set_stop(ps); /* the container was killed */
	cr_expect_not(probe_set_ready(ps));
	probe_set_reset(ps, 50000);
	cr_expect_not(probe_set_started(ps), "startup again after a restart");
	cr_expect_not(probe_set_ready(ps));
	cr_expect_eq(probe_set_next(ps), 50000);
	probe_set_tick(ps, 50000);
	cr_expect(probe_set_running(ps, PROBE_STARTUP));
	cr_expect_not(probe_set_running(ps, PROBE_LIVENESS));
	result(ps, PROBE_STARTUP, 50001, true);
	probe_set_tick(ps, 50001);
	/* the old run's failure does not count: one failure is not two */
	cr_expect_not(result(ps, PROBE_LIVENESS, 50002, false).kill);
	probe_set_free(ps);

	/* a run that ended on its own, one failure short of a kill */
	memset(&r, 0, sizeof(r));
	ps = fake_set(&r, NULL, &lv, NULL);
	probe_set_reset(ps, 0);
	probe_set_tick(ps, 0);
	cr_expect_not(result(ps, PROBE_LIVENESS, 1, false).kill);
	probe_set_stop(ps);
	probe_set_reset(ps, 5000);
	probe_set_tick(ps, 5000);
	cr_expect_not(result(ps, PROBE_LIVENESS, 5001, false).kill,
	              "a failure of the previous run counted");
	probe_set_free(ps);
}

Test(probe_state, initial_delay_and_period)
{
	struct rec r = {0};
	struct probe_spec lv = exec_spec();
	lv.initial_delay_s = 5;
	lv.period_s = 3;
	struct probe_set *ps = fake_set(&r, NULL, &lv, NULL);
	cr_expect_eq(probe_set_next(ps), -1, "nothing before the first run");
	probe_set_reset(ps, 1000);
	cr_expect_eq(probe_set_next(ps), 6000);
	probe_set_tick(ps, 5999);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 0, "ran before initialDelaySeconds");
	probe_set_tick(ps, 6000);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 1);
	cr_expect_eq(probe_set_next(ps), 7000, "the running check's deadline (timeout 1s)");
	result(ps, PROBE_LIVENESS, 6100, true);
	cr_expect_eq(probe_set_next(ps), 9000, "one period after the check started");
	probe_set_tick(ps, 8999);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 1);
	probe_set_tick(ps, 9000);
	cr_expect_eq(r.starts[PROBE_LIVENESS], 2);
	probe_set_free(ps);
}

Test(probe_state, a_late_check_times_out_as_a_failure)
{
	struct rec r = {0};
	struct probe_spec lv = exec_spec();
	lv.failure_threshold = 1;
	lv.timeout_s = 2;
	struct probe_set *ps = fake_set(&r, NULL, &lv, NULL);
	probe_set_reset(ps, 0);
	probe_set_tick(ps, 0);
	probe_set_tick(ps, 1999);
	cr_expect_eq(r.n, 0);
	probe_set_tick(ps, 2000);
	cr_assert_eq(r.n, 1);
	cr_expect(r.v[0].kill);
	cr_expect(strstr(r.v[0].reason, "timed out"), "%s", r.v[0].reason);
	probe_set_free(ps);
}

Test(probe_state, an_errored_check_is_an_event_and_not_counted)
{
	struct rec r = {0};
	struct probe_spec lv = exec_spec();
	lv.failure_threshold = 1;
	struct probe_set *ps = fake_set(&r, NULL, &lv, NULL);
	probe_set_reset(ps, 0);
	probe_set_tick(ps, 0);
	struct probe_verdict v;
	cr_expect_eq(probe_set_result(ps, PROBE_LIVENESS, 1, PROBE_ERROR, "no fds", &v), 0);
	cr_expect_not(v.kill);
	cr_expect_str_eq(v.event, "Liveness probe errored: no fds");
	probe_set_free(ps);
}

Test(probe_spec, validation)
{
	struct probe_spec s = exec_spec();
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), 0, "%s", last_error());
	s.success_threshold = 2;
	cr_expect_eq(probe_spec_check(&s, PROBE_READINESS), 0);
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1);
	cr_expect_str_eq(last_error(), ".successThreshold: Invalid value: 2: must be 1");
	cr_expect_eq(probe_spec_check(&s, PROBE_STARTUP), -1);
	s = exec_spec();
	s.period_s = -1;
	cr_expect_eq(probe_spec_check(&s, PROBE_READINESS), -1);
	cr_expect_str_eq(last_error(),
	                 ".periodSeconds: Invalid value: -1: must be greater than or equal to 0");
	s = exec_spec();
	s.grace_set = true;
	s.grace_s = 3;
	cr_expect_eq(probe_spec_check(&s, PROBE_READINESS), -1);
	cr_expect(strstr(last_error(), "must not be set for readinessProbes"));
	s.grace_s = 0;
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1);
	probe_spec_init(&s);
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1);
	cr_expect_str_eq(last_error(), ": Required value: must specify a handler type");

	struct probe_header bad_name[] = {{"X Y", "v"}}, bad_value[] = {{"X-Y", "a\r\nEvil: 1"}};
	probe_spec_init(&s);
	s.handler = PROBE_HTTP_GET;
	s.port = 8080;
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), 0, "%s", last_error());
	s.https = true;
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1);
	cr_expect(strstr(last_error(), "HTTPS"), "%s", last_error());
	s.https = false;
	s.headers = bad_name;
	s.n_headers = 1;
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1);
	cr_expect(strstr(last_error(), "[-A-Za-z0-9]+"), "%s", last_error());
	s.headers = bad_value;
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1, "a CR LF in a header value");
	s.n_headers = 0;
	s.path = "/a b";
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1, "a space on the request line");
	s.path = "/ok?x=1";
	s.port = 0;
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1);
	cr_expect_str_eq(last_error(),
	                 ".httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive");
	s.port_name = "Http";
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1);
	s.port_name = "http";
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1);
	cr_expect(strstr(last_error(), "port http not found"), "%s", last_error());
	s.port = 80;
	s.host = "example.com";
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), -1);
	s.host = "10.1.2.3";
	cr_expect_eq(probe_spec_check(&s, PROBE_LIVENESS), 0, "%s", last_error());

	/* create names the probe */
	struct probe_spec lv = exec_spec();
	lv.success_threshold = 3;
	const struct probe_spec *specs[PROBE_KINDS] = {NULL, &lv, NULL};
	struct probe_opts o = {.epfd = -1, .netns_fd = -1};
	struct probe_set *ps;
	cr_expect_eq(probe_set_create(specs, &o, &ps), -1);
	cr_expect_str_eq(last_error(),
	                 "livenessProbe.successThreshold: Invalid value: 3: must be 1");
}

/* ---- an event loop like the supervisor's ------------------------------------------- */

struct loop {
	int epfd;
	struct rec r;
	struct probe_set *ps;
};

static void loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	cr_assert_geq(l->epfd, 0);
}

/* Run until a verdict about a result arrives or max_ms passes. */
static struct probe_verdict *loop_until_result(struct loop *l, int max_ms)
{
	int64_t end = now_ms() + max_ms;
	int n0 = l->r.n;
	while (l->r.n == n0 && now_ms() < end) {
		cr_assert_eq(probe_set_tick(l->ps, now_ms()), 0, "%s", last_error());
		if (l->r.n != n0)
			break;
		int64_t next = probe_set_next(l->ps);
		int timeout = 50;
		if (next >= 0 && next - now_ms() < timeout)
			timeout = next > now_ms() ? (int)(next - now_ms()) : 0;
		struct epoll_event evs[8];
		int n = epoll_wait(l->epfd, evs, 8, timeout);
		for (int i = 0; i < n; i++) {
			struct ev_watch *w = evs[i].data.ptr;
			cr_assert_eq(w->handle(w, evs[i].events), 0);
		}
	}
	return l->r.n > n0 ? &l->r.v[l->r.n - 1] : NULL;
}

/* ---- httpGet and tcpSocket against servers in their own netns ---------------------- */

enum srv_mode { SRV_LISTEN, SRV_SILENT, SRV_REPLY, SRV_STALL, SRV_ROUTES };

/* SRV_ROUTES: the reply to "GET path " (the first whose path matches), 404
 * for any other; the server listens on port + 1 too. Set before
 * server_start. */
struct route {
	const char *path, *reply;
};
static const struct route *srv_routes;

static const char *route_reply(const char *req)
{
	for (const struct route *r = srv_routes; r && r->path; r++) {
		char line[512];
		snprintf(line, sizeof(line), "GET %s ", r->path);
		if (!strncmp(req, line, strlen(line)))
			return r->reply;
	}
	return "HTTP/1.1 404 Not Found\r\n\r\n";
}

struct server {
	pid_t pid;
	int netns;  /* its network namespace: the "pod's" */
	int req[2]; /* the request it received, sent back to us */
};

/* A child in a new network namespace whose lo is up, listening on
 * 127.0.0.1:port. Nothing listens on that port in the test's own netns, so a
 * socket that was not made in the server's netns is refused. */
static void server_start(struct server *s, int port, enum srv_mode mode, const char *reply)
{
	int ready[2];
	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(s->req, O_CLOEXEC), 0);
	s->pid = fork();
	cr_assert_geq(s->pid, 0);
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET) < 0 || ns_lo_up() < 0)
			_exit(1);
		/* SRV_ROUTES: a second listener, on port + 1, in a child */
		pid_t second = mode == SRV_ROUTES ? fork() : 1;
		if (second < 0)
			_exit(1);
		if (second == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			port++;
		}
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = {.sin_family = AF_INET,
		                        .sin_port = htons((uint16_t)port),
		                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;) {
			if (mode == SRV_LISTEN) {
				pause(); /* the kernel completes handshakes from the backlog */
				continue;
			}
			int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			if (mode == SRV_SILENT) {
				pause();
				continue;
			}
			char buf[4096];
			size_t len = 0;
			ssize_t n;
			while (len < sizeof(buf) - 1 &&
			       (n = read(c, buf + len, sizeof(buf) - 1 - len)) > 0) {
				len += (size_t)n;
				buf[len] = '\0';
				if (strstr(buf, "\r\n\r\n"))
					break;
			}
			const char *r = mode == SRV_ROUTES ? route_reply(buf) : reply;
			if (write(s->req[1], buf, len) < 0 || write(c, r, strlen(r)) < 0) {
				/* the test sees what it sees */
			}
			if (mode == SRV_STALL) {
				pause(); /* what was sent, and then nothing */
				continue;
			}
			close(c);
		}
	}
	close(ready[1]);
	close(s->req[1]);
	char x;
	for (int i = 0; i < (mode == SRV_ROUTES ? 2 : 1); i++)
		cr_assert_eq(read(ready[0], &x, 1), 1, "the server did not start");
	close(ready[0]);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)s->pid);
	s->netns = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(s->netns, 0);
}

/* What the server received, until it holds `until` (or a hang guard of 3 s
 * without a byte). */
static void read_requests(struct server *s, char *buf, size_t size, const char *until)
{
	size_t len = 0;
	buf[0] = '\0';
	struct pollfd p = {.fd = s->req[0], .events = POLLIN};
	while (len < size - 1 && !strstr(buf, until) && poll(&p, 1, 3000) > 0) {
		ssize_t n = read(s->req[0], buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
}

/* The request that starts at from (NULL: none), to its blank line. */
static void one_request(const char *from, char *out, size_t len)
{
	const char *end = from ? strstr(from, "\r\n\r\n") : NULL;
	snprintf(out, len, "%.*s", from ? (int)(end ? end - from + 4 : (long)strlen(from)) : 0,
	         from ? from : "");
}

static void server_stop(struct server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	close(s->netns);
	close(s->req[0]);
}

static void net_set(struct loop *l, struct server *s, const struct probe_spec *lv)
{
	const struct probe_spec *specs[PROBE_KINDS] = {NULL, lv, NULL};
	struct probe_opts o = {.name = "web",
	                       .epfd = l->epfd,
	                       .netns_fd = s->netns,
	                       .pod_ip = "", /* none: the pod's loopback */
	                       .on_verdict = rec_verdict,
	                       .arg = &l->r};
	cr_assert_eq(probe_set_create(specs, &o, &l->ps), 0, "%s", last_error());
	probe_set_reset(l->ps, now_ms());
}

static struct probe_spec http_spec(int port)
{
	static const struct probe_header hdrs[] = {{"X-Probe", "yes"}, {"Host", "app.local"}};
	struct probe_spec s;
	probe_spec_init(&s);
	s.handler = PROBE_HTTP_GET;
	s.port = port;
	s.path = "/healthz";
	s.headers = hdrs;
	s.n_headers = 2;
	s.failure_threshold = 1;
	return s;
}

static struct probe_verdict *http_once(struct loop *l, struct server *s, int port)
{
	struct probe_spec lv = http_spec(port);
	net_set(l, s, &lv);
	return loop_until_result(l, 3000);
}

Test(probe_http, status_200_succeeds_and_sends_host_and_headers)
{
	struct server s;
	struct loop l;
	server_start(&s, 18080, SRV_REPLY, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	loop_init(&l);
	struct probe_spec lv = http_spec(18080);
	lv.failure_threshold = 1;
	const struct probe_spec *specs[PROBE_KINDS] = {NULL, NULL, &lv};
	struct probe_opts o = {.name = "web",
	                       .epfd = l.epfd,
	                       .netns_fd = s.netns,
	                       .on_verdict = rec_verdict,
	                       .arg = &l.r};
	cr_assert_eq(probe_set_create(specs, &o, &l.ps), 0, "%s", last_error());
	probe_set_reset(l.ps, now_ms());
	struct probe_verdict *v = loop_until_result(&l, 3000);
	cr_assert_not_null(v, "no verdict");
	cr_expect_eq(v->outcome, PROBE_SUCCESS, "%s", v->event);
	cr_expect(v->ready_changed && v->ready);
	char req[4096] = "";
	cr_assert_gt(read(s.req[0], req, sizeof(req) - 1), 0);
	cr_expect(!strncmp(req, "GET /healthz HTTP/1.1\r\n", 23), "%s", req);
	cr_expect(strstr(req, "\r\nHost: app.local\r\n"), "%s", req);
	cr_expect(strstr(req, "\r\nX-Probe: yes\r\n"), "%s", req);
	cr_expect(strstr(req, "\r\nUser-Agent: kube-probe/"), "%s", req);
	cr_expect(strstr(req, "\r\nAccept: */*\r\n"), "%s", req);
	probe_set_free(l.ps);
	server_stop(&s);
}

/* A 3xx kubelet does not follow (no Location here) is its Warning, a
 * success: kubelet's ProbeWarning event carries the body (chunked here,
 * decoded). */
Test(probe_http, status_302_succeeds_with_a_warning_that_carries_the_body)
{
	struct server s;
	struct loop l;
	server_start(&s, 18081, SRV_REPLY,
	             "HTTP/1.1 302 Found\r\nTransfer-Encoding: chunked\r\n\r\n"
	             "4\r\ngone\r\n6\r\n away!\r\n0\r\n\r\n");
	loop_init(&l);
	struct probe_verdict *v = http_once(&l, &s, 18081);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_WARNING, "%s", v->event);
	cr_expect(v->warning);
	cr_expect_str_eq(v->event,
	                 "Liveness probe warning: Probe terminated redirects, Response body: "
	                 "gone away!");
	cr_expect_not(v->kill);
	probe_set_free(l.ps);
	server_stop(&s);
}

Test(probe_http, status_500_fails)
{
	struct server s;
	struct loop l;
	server_start(&s, 18082, SRV_REPLY, "HTTP/1.1 500 Internal Server Error\r\n\r\n");
	loop_init(&l);
	struct probe_verdict *v = http_once(&l, &s, 18082);
	cr_assert_not_null(v);
	cr_expect(v->kill);
	cr_expect_str_eq(v->reason,
	                 "Liveness probe failed: HTTP probe failed with statuscode: 500");
	probe_set_free(l.ps);
	server_stop(&s);
}

/* DoHTTPProbe reads the body before it looks at the status, at most 10 KiB
 * of it, framed as Go frames it. Each server here keeps the connection open
 * (SRV_STALL) unless it says otherwise: a body must end by its framing, not
 * by the close. A body that cannot be read is an error, thrown away; Go's
 * words. The 10 KiB body is there to be cut: the server never ends it. */
Test(probe_http, the_body_is_read_as_kubelet_reads_it_and_a_broken_one_is_an_error)
{
	static char big[16 << 10];
	int n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n\r\n");
	memset(big + n, 'x', (10 << 10) + 1);
	static const char deadline[] = "Liveness probe errored: context deadline exceeded "
	                               "(Client.Timeout or context cancellation while reading "
	                               "body)";
	const struct {
		enum srv_mode mode;
		const char *reply;
		enum probe_outcome outcome;
		const char *event; /* "" after a success */
	} cases[] = {
	    {SRV_STALL, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", PROBE_SUCCESS, ""},
	    {SRV_STALL,
	     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n"
	     "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n",
	     PROBE_SUCCESS, ""},
	    {SRV_STALL, "HTTP/1.1 204 No Content\r\n\r\n", PROBE_SUCCESS, ""},
	    {SRV_REPLY, "HTTP/1.1 200 OK\r\n\r\nuntil the close", PROBE_SUCCESS, ""},
	    {SRV_STALL, big, PROBE_SUCCESS, ""},
	    {SRV_STALL, "HTTP/1.0 500 Oops\r\nContent-Length: 2\r\n\r\nno", PROBE_FAILURE,
	     "Liveness probe failed: HTTP probe failed with statuscode: 500"},
	    {SRV_REPLY, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", PROBE_ERROR,
	     "Liveness probe errored: unexpected EOF"},
	    {SRV_STALL, "HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\nshort", PROBE_ERROR,
	     deadline},
	    {SRV_STALL, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
	     PROBE_ERROR, deadline},
	    {SRV_STALL, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", PROBE_ERROR,
	     "Liveness probe errored: invalid byte in chunk length"},
	    {SRV_STALL, "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello", PROBE_FAILURE,
	     "bad Content-Length \"5x\""},
	    {SRV_STALL, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", PROBE_FAILURE,
	     "unsupported transfer encoding: \"gzip\""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct server s;
		struct loop l;
		server_start(&s, 18100, cases[i].mode, cases[i].reply);
		loop_init(&l);
		struct probe_verdict *v = http_once(&l, &s, 18100);
		cr_assert_not_null(v, "case %zu: no verdict", i);
		cr_expect_eq(v->outcome, cases[i].outcome, "case %zu: %d, %s", i, v->outcome,
		             v->event);
		if (cases[i].event[0])
			cr_expect(strstr(v->event, cases[i].event), "case %zu: %s", i, v->event);
		else
			cr_expect_str_empty(v->event, "case %zu", i);
		probe_set_free(l.ps);
		server_stop(&s);
		close(l.epfd);
	}
}

/* kubelet's Go client waits for the whole head, not its first line: a server
 * that sends its status line and nothing more times out. */
Test(probe_http, a_status_line_without_the_rest_of_the_head_times_out)
{
	struct server s;
	struct loop l;
	server_start(&s, 18093, SRV_STALL, "HTTP/1.1 200 OK\r\n");
	loop_init(&l);
	struct probe_verdict *v = http_once(&l, &s, 18093);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_FAILURE, "%s", v->event);
	cr_expect(strstr(v->reason, "Client.Timeout exceeded while awaiting headers"), "%s",
	          v->reason);
	probe_set_free(l.ps);
	server_stop(&s);
}

Test(probe_http, informational_responses_are_skipped)
{
	struct server s;
	struct loop l;
	server_start(&s, 18094, SRV_REPLY,
	             "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
	             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	loop_init(&l);
	struct probe_verdict *v = http_once(&l, &s, 18094);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_SUCCESS, "%s", v->event);
	probe_set_free(l.ps);
	server_stop(&s);
}

/* kubelet follows a redirect to the same host (any port), with the same
 * headers; the Host header given stays for a relative Location. */
Test(probe_http, a_redirect_to_the_same_host_is_followed)
{
	static const struct route routes[] = {
	    {"/healthz", "HTTP/1.1 301 Moved Permanently\r\nLocation: /healthz/\r\n\r\n"},
	    {"/healthz/",
	     "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:18096/deep?x=1\r\n\r\n"},
	    {"/deep?x=1", "HTTP/1.1 503 Service Unavailable\r\n\r\n"},
	    {NULL, NULL}};
	struct server s;
	struct loop l;
	srv_routes = routes;
	server_start(&s, 18095, SRV_ROUTES, NULL);
	loop_init(&l);
	struct probe_verdict *v = http_once(&l, &s, 18095);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_FAILURE, "%s", v->event);
	cr_expect_str_eq(v->reason,
	                 "Liveness probe failed: HTTP probe failed with statuscode: 503");
	char req[8192];
	read_requests(&s, req, sizeof(req), "GET /deep");
	char second[1024], third[1024];
	one_request(strstr(req, "GET /healthz/ HTTP/1.1\r\n"), second, sizeof(second));
	one_request(strstr(req, "GET /deep?x=1 HTTP/1.1\r\n"), third, sizeof(third));
	cr_assert(second[0] && third[0], "%s", req);
	/* relative: the Host given; absolute: the Location's */
	cr_expect(strstr(second, "\r\nHost: app.local\r\n"), "%s", second);
	cr_expect(strstr(third, "\r\nHost: 127.0.0.1:18096\r\n"), "%s", third);
	cr_expect(strstr(third, "\r\nX-Probe: yes\r\n"), "%s", third);
	cr_expect(strstr(third, "\r\nReferer: http://127.0.0.1:18095/healthz/\r\n"), "%s", third);
	probe_set_free(l.ps);
	server_stop(&s);
}

/* A Location is a reference from the request's URL, as Go's
 * URL.ResolveReference reads one: dot segments, a query alone, a
 * network-path reference ("//host:port/..."). */
Test(probe_http, a_relative_location_resolves_as_gos_client_resolves_it)
{
	static const struct route routes[] = {
	    {"/a/b/c", "HTTP/1.1 302 Found\r\nLocation: ../d?q=1#frag\r\n\r\n"},
	    {"/a/d?q=1", "HTTP/1.1 303 See Other\r\nLocation: ?r=2\r\n\r\n"},
	    {"/a/d?r=2", "HTTP/1.1 308 Permanent Redirect\r\nLocation: e/./f/..\r\n\r\n"},
	    {"/a/e/", "HTTP/1.1 307 Temporary Redirect\r\nLocation: //127.0.0.1:18099\r\n\r\n"},
	    {"/", "HTTP/1.1 204 No Content\r\n\r\n"},
	    {NULL, NULL}};
	struct server s;
	struct loop l;
	srv_routes = routes;
	server_start(&s, 18098, SRV_ROUTES, NULL);
	loop_init(&l);
	struct probe_spec lv = http_spec(18098);
	lv.path = "/a/b/c";
	net_set(&l, &s, &lv);
	struct probe_verdict *v = loop_until_result(&l, 3000);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_SUCCESS, "%s", v->event);
	char req[8192];
	read_requests(&s, req, sizeof(req), "GET / ");
	cr_expect(strstr(req, "GET /a/d?q=1 HTTP/1.1\r\n"), "%s", req);
	cr_expect(strstr(req, "GET /a/d?r=2 HTTP/1.1\r\n"), "%s", req);
	cr_expect(strstr(req, "GET /a/e/ HTTP/1.1\r\n"), "%s", req);
	/* no scheme: the Host given stays */
	char last[1024];
	one_request(strstr(req, "GET / HTTP/1.1\r\n"), last, sizeof(last));
	cr_expect(strstr(last, "\r\nHost: app.local\r\n"), "%s", last);
	probe_set_free(l.ps);
	server_stop(&s);
}

/* A redirect elsewhere is kubelet's Warning, a success; one that never ends
 * is a failure after 10. */
Test(probe_http, a_redirect_elsewhere_succeeds_and_a_loop_fails)
{
	static const struct route routes[] = {
	    {"/healthz", "HTTP/1.1 302 Found\r\nLocation: http://10.9.9.9/healthz\r\n"
	                 "Content-Length: 9\r\n\r\nelsewhere"},
	    {"/loop", "HTTP/1.1 307 Temporary Redirect\r\nLocation: loop\r\n\r\n"},
	    {"/ctl", "HTTP/1.1 302 Found\r\nLocation: /a\rX-Evil: 1\r\n\r\n"},
	    {NULL, NULL}};
	struct server s;
	struct loop l;
	srv_routes = routes;
	server_start(&s, 18097, SRV_ROUTES, NULL);
	loop_init(&l);
	struct probe_verdict *v = http_once(&l, &s, 18097);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_WARNING, "%s", v->event);
	cr_expect_str_eq(v->event, "Liveness probe warning: Probe terminated redirects, "
	                           "Response body: elsewhere");
	probe_set_free(l.ps);
	struct probe_spec lv = http_spec(18097);
	lv.path = "/loop";
	loop_init(&l);
	net_set(&l, &s, &lv);
	v = loop_until_result(&l, 3000);
	cr_assert_not_null(v);
	cr_expect_str_eq(v->reason,
	                 "Liveness probe failed: Get \"loop\": stopped after 10 redirects");
	probe_set_free(l.ps);
	/* a CR in a Location would end the next request's line early: refused */
	lv.path = "/ctl";
	loop_init(&l);
	net_set(&l, &s, &lv);
	v = loop_until_result(&l, 3000);
	cr_assert_not_null(v);
	cr_expect(strstr(v->reason, "invalid control character in URL"), "%s", v->reason);
	probe_set_free(l.ps);
	server_stop(&s);
}

Test(probe_http, a_server_that_never_answers_times_out)
{
	struct server s;
	struct loop l;
	server_start(&s, 18083, SRV_SILENT, "");
	loop_init(&l);
	int64_t t0 = now_ms();
	struct probe_verdict *v = http_once(&l, &s, 18083);
	cr_assert_not_null(v);
	cr_expect_geq(now_ms() - t0, 1000, "gave up before timeoutSeconds");
	cr_expect(v->kill);
	cr_expect(strstr(v->reason, "Client.Timeout exceeded"), "%s", v->reason);
	probe_set_free(l.ps);
	server_stop(&s);
}

Test(probe_http, a_refused_port_fails)
{
	struct server s;
	struct loop l;
	server_start(&s, 18084, SRV_REPLY, "HTTP/1.1 200 OK\r\n\r\n");
	loop_init(&l);
	struct probe_verdict *v = http_once(&l, &s, 18085);
	cr_assert_not_null(v);
	cr_expect(v->kill);
	cr_expect(strstr(v->reason, "connection refused"), "%s", v->reason);
	probe_set_free(l.ps);
	server_stop(&s);
}

/* ---- a lifecycle hook's httpGet: one check, to the end -------------------------- */

Test(probe_hook, any_response_succeeds_with_kubelets_lifecycle_agent)
{
	struct server s;
	server_start(&s, 18086, SRV_REPLY, "HTTP/1.1 500 Internal Server Error\r\n\r\n");
	struct probe_spec h = http_spec(18086);
	cr_expect_eq(probe_http_hook(&h, s.netns, "", now_ms() + 3000), 0, "%s", last_error());
	char req[4096] = "";
	cr_assert_gt(read(s.req[0], req, sizeof(req) - 1), 0);
	cr_expect(!strncmp(req, "GET /healthz HTTP/1.1\r\n", 23), "%s", req);
	cr_expect(strstr(req, "\r\nUser-Agent: kube-lifecycle/"), "%s", req);
	cr_expect(strstr(req, "\r\nX-Probe: yes\r\n"), "%s", req);
	server_stop(&s);
}

Test(probe_hook, a_refused_dial_and_a_non_http_answer_fail_in_gos_words)
{
	struct server s;
	server_start(&s, 18087, SRV_REPLY, "SSH-2.0-OpenSSH\r\n");
	struct probe_spec h = http_spec(18088);
	cr_expect_eq(probe_http_hook(&h, s.netns, "", now_ms() + 3000), -1);
	cr_expect(strstr(last_error(), "dial tcp 127.0.0.1:18088: connect: connection refused"),
	          "%s", last_error());
	h = http_spec(18087);
	cr_expect_eq(probe_http_hook(&h, s.netns, "", now_ms() + 3000), -1);
	cr_expect(strstr(last_error(), "malformed HTTP response"), "%s", last_error());
	server_stop(&s);
}

Test(probe_hook, bounded_by_its_deadline_not_by_timeoutSeconds)
{
	struct server s;
	server_start(&s, 18089, SRV_SILENT, "");
	struct probe_spec h = http_spec(18089);
	h.timeout_s = 10; /* a hook has no timeout of its own: the deadline bounds it */
	int64_t t0 = now_ms();
	cr_expect_eq(probe_http_hook(&h, s.netns, "", t0 + 300), -1);
	int64_t took = now_ms() - t0;
	cr_expect(took >= 300 && took < 5000, "took %lld ms", (long long)took);
	cr_expect(strstr(last_error(), "context deadline exceeded"), "%s", last_error());
	server_stop(&s);
}

static struct probe_verdict *tcp_once(struct loop *l, struct server *s, int port)
{
	struct probe_spec lv;
	probe_spec_init(&lv);
	lv.handler = PROBE_TCP_SOCKET;
	lv.port = port;
	lv.failure_threshold = 1;
	net_set(l, s, &lv);
	return loop_until_result(l, 3000);
}

Test(probe_tcp, a_listener_in_the_pods_netns_succeeds)
{
	struct server s;
	struct loop l;
	server_start(&s, 18090, SRV_LISTEN, "");
	loop_init(&l);
	/* a listener on the same port in our own netns must not be what answers */
	struct probe_verdict *v = tcp_once(&l, &s, 18090);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_SUCCESS, "%s", v->event);
	probe_set_free(l.ps);
	server_stop(&s);
}

Test(probe_tcp, a_refused_port_fails)
{
	struct server s;
	struct loop l;
	server_start(&s, 18091, SRV_LISTEN, "");
	loop_init(&l);
	/* listening here, in the test's netns: the probe must not see it */
	int here = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(18092),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	setsockopt(here, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(here, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(here, 4), 0);
	struct probe_verdict *v = tcp_once(&l, &s, 18092);
	cr_assert_not_null(v);
	cr_expect(v->kill, "connected to a listener outside the pod's netns");
	cr_expect_str_eq(v->reason, "Liveness probe failed: dial tcp 127.0.0.1:18092: connect: "
	                            "connection refused");
	close(here);
	probe_set_free(l.ps);
	server_stop(&s);
}

/* ---- exec: the child, its pidfd, its timeout ------------------------------------------ */

#define GRANDCHILD_FILE "/tmp/podlab-test-probe-grandchild"

/* Runners, called in the probe child (they may block). */
static int run_exit(void *arg, char *const argv[], int out)
{
	(void)arg;
	dprintf(out, "said %s", argv[0]);
	return atoi(argv[1]);
}

static int run_error(void *arg, char *const argv[], int out)
{
	(void)arg, (void)argv, (void)out;
	return fail_msg(ENOENT, "exec nosuch: no such file");
}

/* Like ctr_exec's command: a process in a session of its own that outlives
 * its parent, then hang. */
static int run_hang(void *arg, char *const argv[], int out)
{
	(void)arg, (void)argv, (void)out;
	pid_t g = fork();
	if (g == 0) {
		setsid();
		pid_t gg = fork();
		if (gg == 0) {
			for (;;)
				pause();
		}
		FILE *f = fopen(GRANDCHILD_FILE, "w");
		if (f) {
			fprintf(f, "%d\n", (int)gg);
			fclose(f);
		}
		_exit(0); /* gg is an orphan now, as a command whose parent died */
	}
	waitpid(g, NULL, 0);
	for (;;)
		pause();
}

/* Counts the fds it got: 0, 1, 2 and out only (the directory's own fd aside). */
static int run_count_fds(void *arg, char *const argv[], int out)
{
	(void)arg, (void)argv;
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		dprintf(out, "opendir(/proc/self/fd): %s", strerror(errno));
		return 1;
	}
	struct dirent *de;
	int extra = 0;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd <= 2 || fd == out || fd == dirfd(d))
			continue;
		dprintf(out, "fd %d ", fd);
		extra++;
	}
	closedir(d);
	return extra;
}

static void exec_set(struct loop *l, probe_run_fn run, char **cmd, int timeout_s)
{
	struct probe_spec lv = exec_spec();
	lv.command = cmd;
	lv.timeout_s = timeout_s;
	lv.failure_threshold = 1;
	const struct probe_spec *specs[PROBE_KINDS] = {NULL, &lv, NULL};
	struct probe_opts o = {.name = "web",
	                       .epfd = l->epfd,
	                       .netns_fd = -1,
	                       .run = run,
	                       .on_verdict = rec_verdict,
	                       .arg = &l->r};
	cr_assert_eq(probe_set_create(specs, &o, &l->ps), 0, "%s", last_error());
	probe_set_reset(l->ps, now_ms());
}

static void no_child_left(void)
{
	cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "a child was left behind");
	cr_expect_eq(errno, ECHILD);
}

Test(probe_exec, exit_0_succeeds_and_the_child_is_reaped_through_its_pidfd)
{
	struct loop l;
	loop_init(&l);
	/* a "container" of ours: the module must not reap it */
	pid_t ctr = fork();
	if (ctr == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	char *cmd[] = {"ok", "0", NULL};
	exec_set(&l, run_exit, cmd, 5);
	struct probe_verdict *v = loop_until_result(&l, 3000);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_SUCCESS, "%s", v->event);
	cr_expect(probe_set_ready(l.ps));
	cr_expect_eq(waitpid(ctr, NULL, WNOHANG), 0, "the container was reaped by someone else");
	kill(ctr, SIGKILL);
	cr_expect_eq(waitpid(ctr, NULL, 0), ctr);
	no_child_left();
	probe_set_free(l.ps);
}

Test(probe_exec, nonzero_exit_fails_with_the_output)
{
	struct loop l;
	loop_init(&l);
	char *cmd[] = {"bad", "3", NULL};
	exec_set(&l, run_exit, cmd, 5);
	struct probe_verdict *v = loop_until_result(&l, 3000);
	cr_assert_not_null(v);
	cr_expect(v->kill);
	cr_expect_str_eq(v->event, "Liveness probe failed: said bad");
	no_child_left();
	probe_set_free(l.ps);
}

Test(probe_exec, a_command_that_cannot_run_is_an_error_not_a_failure)
{
	struct loop l;
	loop_init(&l);
	char *cmd[] = {"nosuch", NULL};
	exec_set(&l, run_error, cmd, 5);
	struct probe_verdict *v = loop_until_result(&l, 3000);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_ERROR);
	cr_expect_not(v->kill);
	cr_expect_str_eq(v->event, "Liveness probe errored: exec nosuch: no such file");
	probe_set_free(l.ps);
}

Test(probe_exec, timeout_kills_the_command_and_what_it_left)
{
	struct loop l;
	loop_init(&l);
	unlink(GRANDCHILD_FILE);
	char *cmd[] = {"sleep", "forever", NULL};
	exec_set(&l, run_hang, cmd, 1);
	int64_t t0 = now_ms();
	struct probe_verdict *v = loop_until_result(&l, 1000 + PROBE_EXEC_BACKSTOP_MS + 2000);
	cr_assert_not_null(v);
	int64_t took = now_ms() - t0;
	cr_expect_geq(took, 1000, "timed out early: %lld ms", (long long)took);
	cr_expect_lt(took, 1000 + PROBE_EXEC_BACKSTOP_MS, "only the backstop ended it");
	cr_expect(v->kill);
	cr_expect_str_eq(v->reason, "Liveness probe failed: command \"sleep forever\" timed out");
	char buf[32] = "";
	cr_assert_gt(read_file(GRANDCHILD_FILE, buf, sizeof(buf)), 0);
	pid_t gg = (pid_t)atoi(buf);
	unlink(GRANDCHILD_FILE);
	cr_assert_gt(gg, 0);
	/* the probe child reaped what it killed before it reported */
	cr_expect_eq(kill(gg, 0), -1, "the orphaned command %d survived", (int)gg);
	cr_expect_eq(errno, ESRCH);
	/* and the probe child itself is reaped by its pidfd event */
	loop_until_result(&l, 200);
	no_child_left();
	probe_set_free(l.ps);
}

Test(probe_exec, the_child_keeps_none_of_the_supervisors_fds)
{
	struct loop l;
	loop_init(&l);
	int extra[2];
	cr_assert_eq(pipe2(extra, O_CLOEXEC), 0); /* O_CLOEXEC does nothing without exec */
	char *cmd[] = {"count", NULL};
	exec_set(&l, run_count_fds, cmd, 5);
	struct probe_verdict *v = loop_until_result(&l, 3000);
	cr_assert_not_null(v);
	cr_expect_eq(v->outcome, PROBE_SUCCESS, "%s", v->event);
	probe_set_free(l.ps);
}
