/*
 * init.c - a pod's containers over time (see init.h).
 *
 * Everything here is bookkeeping over struct init_member; the only kernel
 * calls are the ones that start, signal and reap containers. That split is
 * what lets the same state machine run the step programs (init_pod_run) and
 * the capstone's supervisor, and lets the unit tests drive it with plain
 * child processes instead of containers.
 */
#include "init.h"

#include "common.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define BACKOFF_BASE_MS 10000  /* kubelet: the first restart waits 10 s ... */
#define BACKOFF_MAX_MS  300000 /* ... doubling up to 5 minutes */

int64_t init_backoff_ms(int n)
{
	/* BEGIN EXERCISE: init-backoff (easy, 20 min): crash-loop backoff, capped and scaled
	 * Hint: README.md "Restart policy and backoff"; getenv(3), strtod(3) */
	/* STUB: (void)n; return exercise_todo(4, "init-backoff"); */
	if (n < 1)
		n = 1;
	int64_t ms = BACKOFF_MAX_MS;
	/* Shift only while the result stays under the cap: 10 s << 30 would overflow an int. */
	if (n <= 6)
		ms = (int64_t)BACKOFF_BASE_MS << (n - 1);
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;

	/* A scale lets tests and demos see the shape of the backoff in milliseconds. */
	const char *s = getenv("PODLAB_BACKOFF_SCALE");
	if (s && *s) {
		char *end;
		double scale = strtod(s, &end);
		if (*end == '\0' && scale >= 0)
			ms = (int64_t)((double)ms * scale + 0.5);
	}
	return ms;
	/* END EXERCISE */
}

int init_restart_parse(const char *s, enum init_restart *out)
{
	static const struct {
		const char *name;
		enum init_restart policy;
	} names[] = {
	    {"Always", INIT_RESTART_ALWAYS},
	    {"OnFailure", INIT_RESTART_ON_FAILURE},
	    {"Never", INIT_RESTART_NEVER},
	};
	for (size_t i = 0; s && i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].policy;
			return 0;
		}
	}
	return fail_msg(EINVAL, "unknown restartPolicy '%s' (Always, OnFailure, Never)",
	                s ? s : "");
}

const char *init_phase_name(enum init_phase phase)
{
	switch (phase) {
	case INIT_PHASE_PENDING:
		return "Pending";
	case INIT_PHASE_RUNNING:
		return "Running";
	case INIT_PHASE_SUCCEEDED:
		return "Succeeded";
	case INIT_PHASE_FAILED:
		return "Failed";
	}
	return "Unknown";
}

/* ---- the rules ---------------------------------------------------------------- */

static bool is_regular_init(const struct init_member *m)
{
	return m->is_init && !m->sidecar;
}

static bool is_app(const struct init_member *m)
{
	return !m->is_init;
}

int init_next_init(const struct init_pod *p, size_t *next)
{
	/* BEGIN EXERCISE: init-order (moderate, 30 min): which init container may start next
	 * Hint: README.md "Init containers: one at a time, in order"; init.h */
	/* STUB: (void)p; (void)next; return exercise_todo(4, "init-order"); */
	/* How far the order has come: one past the last init container that
	 * has been started (kubelet decides by the last one with a status). */
	size_t reached = 0;
	for (size_t k = 0; k < p->n_members && p->members[k].is_init; k++) {
		if (p->members[k].c.state != CTR_WAITING)
			reached = k + 1;
	}
	size_t i = 0;
	for (; i < p->n_members && p->members[i].is_init; i++) {
		const struct init_member *m = &p->members[i];
		/* A regular init container must have run to completion; a native
		 * sidecar must be running - or be behind an init container that
		 * has started already: one that stops then is restarted beside
		 * the others, it holds back nothing that already passed it. */
		bool done =
		    m->sidecar ? m->c.state == CTR_RUNNING || i + 1 < reached : m->completed;
		if (!done)
			break;
	}
	*next = i;
	return 0;
	/* END EXERCISE */
}

/* An app container that ended and will not be restarted under the pod's policy. */
static bool app_finished(const struct init_pod *p, const struct init_member *m)
{
	if (m->c.state != CTR_TERMINATED)
		return false;
	if (m->unhealthy && p->policy != INIT_RESTART_NEVER)
		return false;
	return p->policy == INIT_RESTART_NEVER ||
	       (p->policy == INIT_RESTART_ON_FAILURE && m->c.exit_code == 0);
}

enum init_phase init_pod_phase(const struct init_pod *p)
{
	if (p->init_failed)
		return INIT_PHASE_FAILED;
	if (!p->initialized)
		return INIT_PHASE_PENDING;
	bool all_finished = true, all_zero = true, any_app = false;
	for (size_t i = 0; i < p->n_members; i++) {
		const struct init_member *m = &p->members[i];
		if (!is_app(m))
			continue;
		any_app = true;
		/* kubelet's getPhase: an app container that never ran (not yet
		 * created, its image missing) keeps the pod Pending */
		if (!m->started_once)
			return INIT_PHASE_PENDING;
		if (!app_finished(p, m))
			all_finished = false;
		else if (m->c.exit_code != 0)
			all_zero = false;
	}
	/* Kubernetes: Succeeded when every container ended in success and none will
	 * be restarted; Failed when they all ended and at least one failed. */
	if (!any_app || !all_finished)
		return INIT_PHASE_RUNNING;
	return all_zero ? INIT_PHASE_SUCCEEDED : INIT_PHASE_FAILED;
}

static void changed(struct init_pod *p, struct init_member *m)
{
	if (p->on_change)
		p->on_change(p->arg, m);
}

static void set_reason(struct init_member *m, const char *reason)
{
	snprintf(m->waiting_reason, sizeof(m->waiting_reason), "%s", reason);
}

/* kubelet's backoff: the first failure of a loop is retried at once; the
 * next waits init_backoff_ms(1), 10 s, then 20 s, 40 s... up to 300 s.
 * reason is what the member waits with meanwhile ("CrashLoopBackOff" after a
 * crash, the start error's own reason after a failed start). */
static void schedule_retry(struct init_member *m, int64_t now, const char *reason)
{
	int64_t delay = m->crash_loop++ ? init_backoff_ms(m->crash_loop - 1) : 0;
	if (delay < 0)
		delay = 0; /* the exercise is not done yet: retry at once */
	m->not_before_ms = now + delay;
	set_reason(m, delay ? reason : "");
}

static void schedule_restart(struct init_member *m, int64_t now)
{
	/* kubelet forgets a crash loop once the container ran for twice the
	 * longest delay, 10 minutes (60 first delays): it starts over.
	 * started_at is 0 when a test seam did not record it, or the start
	 * failed. */
	int64_t forget = 60 * init_backoff_ms(1);
	if (forget >= 0 && m->c.started_at > 0 && m->c.finished_at - m->c.started_at >= forget)
		m->crash_loop = 0;
	schedule_retry(m, now, "CrashLoopBackOff");
}

/* m's run has ended, reaped or failed to start (m->c says how): what the
 * pod's restartPolicy makes of it. */
static void member_ended(struct init_pod *p, struct init_member *m)
{
	bool restart = false;
	if (p->stopping) {
		/* stopped on purpose: nothing restarts */
	} else if (is_regular_init(m)) {
		if (m->c.exit_code == 0)
			m->completed = true;
		else if (p->policy == INIT_RESTART_NEVER)
			p->init_failed = true; /* the pod fails, no app container starts */
		else
			restart = true;
	} else {
		restart = m->sidecar || !app_finished(p, m);
	}
	if (restart)
		schedule_restart(m, now_ms());
	/* A failed start waits with kubelet's reason for it, its retry at once
	 * too: whoever watches sees why (CrashLoopBackOff comes with the
	 * backoff's delays in kubelet; the reason here stays the cause). */
	if (restart && ctr_never_ran(&m->c))
		set_reason(m, "RunContainerError");
	if (!p->stopping)
		p->phase = init_pod_phase(p);
	changed(p, m);
}

static int start_member(struct init_pod *p, struct init_member *m)
{
	if (m->started_once) {
		m->restarts++;
		/* A restarted container gets a fresh writable layer, as in Kubernetes:
		 * what the last run wrote outside its volumes is gone. */
		if (!p->start && m->cfg.state_dir)
			ctr_cleanup(&m->cfg);
	}
	set_reason(m, "");
	if (p->before_start && p->before_start(p->arg, m) < 0) {
		/* Not even created (its image is missing...): no run, no restart,
		 * no crash loop. kubelet's pod worker tries the pod again 10 s
		 * after a failed sync, every time: a flat retry, not the backoff. */
		if (m->started_once)
			m->restarts--;
		if (!m->waiting_reason[0])
			set_reason(m, "CreateContainerError");
		if (!p->retry_failed_starts) {
			changed(p, m);
			return -1;
		}
		snprintf(m->message, sizeof(m->message), "%s", last_error());
		int64_t delay = init_backoff_ms(1);
		m->not_before_ms = now_ms() + (delay > 0 ? delay : 0);
		changed(p, m);
		return 0;
	}
	int rc = p->start ? p->start(p->arg, m) : ctr_start(p->sandbox, &m->cfg, &m->c);
	if (p->after_start)
		p->after_start(p->arg, m);
	if (rc < 0 && !p->retry_failed_starts) {
		set_reason(m, "RunContainerError");
		changed(p, m);
		return -1;
	}
	if (rc < 0) {
		/* Created, then its start failed (a missing command...): containerd
		 * records a run that ended, exit code 128, and kubelet's restart
		 * policy takes it as any other end (kubernetes#14491). Under Never
		 * the pod fails; otherwise it is a restart like any other, with
		 * the backoff. The message says what failed. */
		snprintf(m->message, sizeof(m->message), "%s", last_error());
		ctr_start_failed(&m->c);
		m->started_once = true;
		member_ended(p, m);
		return 0;
	}
	m->message[0] = '\0';
	m->started_once = true;
	m->unhealthy = false;
	set_reason(m, "");
	changed(p, m);
	return 0;
}

/* Is m due to be (re)started once the pod is initialized? */
static bool wants_start(const struct init_pod *p, const struct init_member *m)
{
	if (m->c.state == CTR_RUNNING)
		return false;
	if (m->sidecar)
		return true; /* a native sidecar is restarted whatever its exit code */
	if (is_regular_init(m))
		return false;
	return m->c.state == CTR_WAITING || !app_finished(p, m);
}

static void note_deadline(int64_t *deadline, int64_t t)
{
	if (*deadline < 0 || t < *deadline)
		*deadline = t;
}

/* May member `next`, which the order says comes now, start? Not while the
 * native sidecar just before it has not started, as the started hook says
 * (a startupProbe that has not passed yet): kubelet starts the init
 * container after a sidecar, or the app containers after the last one, once
 * the sidecar has started. Only the sidecar just before, and only for a
 * member not started yet: a sidecar restarted after the order passed it
 * holds nothing back again, and neither does one before it. */
static bool sidecar_started(const struct init_pod *p, size_t next)
{
	if (!p->started || next == 0 || !p->members[next - 1].sidecar)
		return true;
	if (next < p->n_members && p->members[next].c.state != CTR_WAITING)
		return true; /* reached already: its restart waits for no one */
	return p->started(p->arg, &p->members[next - 1]);
}

int init_pod_step(struct init_pod *p, int64_t now, int64_t *deadline_ms)
{
	*deadline_ms = -1;
	if (p->stopping || p->phase == INIT_PHASE_SUCCEEDED || p->phase == INIT_PHASE_FAILED)
		return 0;

	size_t next = 0;
	while (!p->initialized) {
		if (init_next_init(p, &next) < 0)
			return -1;
		if (!sidecar_started(p, next))
			break; /* the supervisor steps again when a probe result comes */
		if (next >= p->n_members || !p->members[next].is_init) {
			p->initialized = true;
			break;
		}
		struct init_member *m = &p->members[next];
		if (m->c.state == CTR_RUNNING)
			break; /* a regular init container is still running: wait for it */
		if (now < m->not_before_ms) {
			note_deadline(deadline_ms, m->not_before_ms);
			break;
		}
		if (start_member(p, m) < 0)
			return -1;
		/* A sidecar is now running, so the loop moves on to the next one;
		 * a regular init container is running, so the loop stops there -
		 * and one whose start failed under Never failed the pod. */
		if (p->init_failed)
			break;
	}

	/* What runs beside the order: once the pod is initialized, every member
	 * that is due a (re)start; before, the native sidecars the order has
	 * passed - kubelet restarts one that stopped beside the init containers
	 * after it, with its backoff, and holds none of them back meanwhile. */
	size_t upto = p->initialized ? p->n_members : next;
	for (size_t i = 0; i < upto; i++) {
		struct init_member *m = &p->members[i];
		if (!wants_start(p, m))
			continue;
		if (now < m->not_before_ms) {
			note_deadline(deadline_ms, m->not_before_ms);
			continue;
		}
		if (start_member(p, m) < 0)
			return -1;
		/* it could not start: its retry, if the policy wants one */
		if (m->c.state != CTR_RUNNING && wants_start(p, m))
			note_deadline(deadline_ms, m->not_before_ms);
	}
	if (!p->initialized) {
		for (size_t i = 0; i < p->n_members; i++) {
			if (is_app(&p->members[i]))
				set_reason(&p->members[i], "PodInitializing");
		}
	}
	p->phase = init_pod_phase(p);
	return 0;
}

int init_pod_reaped(struct init_pod *p, pid_t pid, int wstatus)
{
	struct init_member *m = NULL;
	for (size_t i = 0; i < p->n_members && !m; i++) {
		if (p->members[i].c.state == CTR_RUNNING && p->members[i].c.pid == pid)
			m = &p->members[i];
	}
	if (!m)
		return 0;
	ctr_terminated(&m->c, wstatus);
	member_ended(p, m);
	return 1;
}

/* ---- stopping ------------------------------------------------------------------- */

/* May a running member have its SIGTERM yet? App containers (and an init
 * container caught running) at once; a native sidecar once every app
 * container and every sidecar declared after it has ended, so that a
 * sidecar outlives whatever may still use it (kubelet's termination order,
 * KEP-753). Not an init container caught running: kubelet's sidecars wait
 * for the app containers and the later sidecars only, or one that ignores
 * SIGTERM would leave them no grace period at all. Members are in spec
 * order: a later index was declared later. */
static bool turn_has_come(const struct init_pod *p, size_t i)
{
	if (!p->members[i].sidecar)
		return true;
	for (size_t k = 0; k < p->n_members; k++) {
		const struct init_member *o = &p->members[k];
		if (o->c.state == CTR_RUNNING && (is_app(o) || (o->sidecar && k > i)))
			return false;
	}
	return true;
}

int init_member_term(const struct init_pod *p, struct init_member *m, int64_t grace_ms,
                     int64_t deadline, int64_t *kill_at)
{
	int64_t now = now_ms();
	*kill_at = deadline;
	if (grace_ms > 0 && *kill_at < now + p->min_grace_ms)
		*kill_at = now + p->min_grace_ms;
	/* A pidfd names the process itself, never a recycled pid. */
	int sig = m->stop_signal ? m->stop_signal : SIGTERM;
	if (sys_pidfd_send_signal(m->c.pidfd, sig, 0) < 0 && errno != ESRCH)
		return fail_errno("pidfd_send_signal(%s, SIG%s)", m->cfg.name,
		                  sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	return 0;
}

/* One member on its way out. */
struct leaving {
	int hook;        /* its preStop's fd while the hook runs, else -1 */
	bool termed;     /* SIGTERM sent */
	bool killed;     /* SIGKILL sent */
	int64_t kill_at; /* monotonic ms: its SIGKILL, once termed */
};

static void end_hook(struct init_pod *p, struct init_member *m, struct leaving *l, bool late)
{
	p->pre_stop_end(p->arg, m, l->hook, late);
	l->hook = -1;
}

/* What happens to each member, as kubelet's killContainer does it in a
 * goroutine per container: its preStop hook, beside everyone else's; its
 * SIGTERM once the hook ended and its turn came (or the grace period is
 * over); its SIGKILL when the grace period is over, or min_grace_ms after
 * its SIGTERM if that is later. One pass; returns the next time a pass has
 * something to do (-1: only an exit or a hook's end can move things). */
static int64_t stop_pass(struct init_pod *p, struct leaving *l, int *rc)
{
	int64_t now = now_ms(), wake = -1, deadline = p->stop_deadline_ms;
	for (size_t i = 0; i < p->n_members; i++) {
		struct init_member *m = &p->members[i];
		if (l[i].hook >= 0 && now >= deadline)
			end_hook(p, m, &l[i], true); /* cut at the deadline */
		if (m->c.state != CTR_RUNNING) {
			if (l[i].hook >= 0 && (wake < 0 || deadline < wake))
				wake = deadline; /* a hook outlives its container: wait, bounded */
			continue;
		}
		if (!l[i].termed && l[i].hook < 0 && (turn_has_come(p, i) || now >= deadline)) {
			if (init_member_term(p, m, p->grace_ms, deadline, &l[i].kill_at) < 0)
				*rc = -1;
			l[i].termed = true;
		}
		if (p->hastened && l[i].kill_at > deadline)
			l[i].kill_at = deadline;
		if (l[i].termed && !l[i].killed && now >= l[i].kill_at) {
			sys_pidfd_send_signal(m->c.pidfd, SIGKILL, 0);
			l[i].killed = true;
		}
		int64_t next = !l[i].termed ? deadline : l[i].killed ? -1 : l[i].kill_at;
		if (next >= 0 && (wake < 0 || next < wake))
			wake = next;
	}
	return wake;
}

int init_pod_stop(struct init_pod *p)
{
	p->stopping = true;
	/* One grace period for the whole pod, sidecars included, as kubelet
	 * bounds it: what the app containers used, the sidecars do not get. */
	p->stop_deadline_ms = now_ms() + (p->grace_ms > 0 ? p->grace_ms : 0);
	p->hastened = false;
	size_t n = p->n_members;
	struct leaving l[n ? n : 1];
	for (size_t i = 0; i < n; i++) {
		struct init_member *m = &p->members[i];
		l[i] = (struct leaving){.hook = -1};
		if (m->c.state == CTR_RUNNING && p->pre_stop && p->pre_stop_end)
			l[i].hook = p->pre_stop(p->arg, m, p->stop_deadline_ms);
	}
	int rc = 0;
	for (;;) {
		int64_t wake = stop_pass(p, l, &rc);
		/* what to wait for: exits (a pidfd becomes readable when its
		 * process exits), hooks' ends, and the caller's fd */
		struct pollfd pfd[2 * n + 1];
		size_t who[2 * n + 1], k = 0;
		for (size_t i = 0; i < n; i++) {
			if (p->members[i].c.state == CTR_RUNNING) {
				pfd[k] =
				    (struct pollfd){.fd = p->members[i].c.pidfd, .events = POLLIN};
				who[k++] = i;
			}
			if (l[i].hook >= 0) {
				pfd[k] = (struct pollfd){.fd = l[i].hook, .events = POLLIN};
				who[k++] = n + i;
			}
		}
		if (k == 0)
			break;
		if (p->on_stop_fd) {
			pfd[k] = (struct pollfd){.fd = p->stop_fd, .events = POLLIN};
			who[k++] = 2 * n;
		}
		int timeout = -1;
		if (wake >= 0) {
			int64_t left = wake - now_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		int r = poll(pfd, k, timeout);
		if (r < 0 && errno != EINTR)
			return fail_errno("poll(pidfds)");
		for (size_t j = 0; r > 0 && j < k; j++) {
			if (!(pfd[j].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (who[j] == 2 * n) {
				p->on_stop_fd(p->arg);
			} else if (who[j] >= n) {
				end_hook(p, &p->members[who[j] - n], &l[who[j] - n], false);
			} else {
				struct init_member *m = &p->members[who[j]];
				int st;
				pid_t got = waitpid(m->c.pid, &st, 0);
				if (got == m->c.pid)
					init_pod_reaped(p, got, st);
				else if (got < 0 && errno == ECHILD)
					ctr_terminated(&m->c, 0); /* someone else reaped it */
			}
		}
	}
	return rc;
}

void init_pod_hasten(struct init_pod *p, int grace_ms)
{
	int64_t deadline = now_ms() + (grace_ms > 0 ? grace_ms : 0);
	if (p->stopping && deadline < p->stop_deadline_ms) {
		p->stop_deadline_ms = deadline;
		p->hastened = true;
	}
}

void init_pod_reset(struct init_pod *p)
{
	for (size_t i = 0; i < p->n_members; i++) {
		struct init_member *m = &p->members[i];
		if (m->c.state == CTR_RUNNING)
			closep(&m->c.pidfd);
		m->c.state = CTR_WAITING;
		m->completed = false;
		m->not_before_ms = 0;
		set_reason(m, is_app(m) ? "PodInitializing" : "");
	}
	p->initialized = false;
	p->init_failed = false;
	p->stopping = false;
	p->phase = INIT_PHASE_PENDING;
}

/* ---- the loop for the step programs -------------------------------------------- */

int init_pod_run(struct init_pod *p)
{
	/* Signals become events we wait for, not handlers that interrupt us:
	 * blocked here, fetched with sigtimedwait(). Containers must not inherit
	 * this mask across execve (ctr_start unblocks everything in the child). */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return fail_errno("sigprocmask(SIG_BLOCK)");

	int rc = 0;
	for (;;) {
		int64_t deadline;
		if (init_pod_step(p, now_ms(), &deadline) < 0) {
			rc = -1;
			break;
		}
		if (p->phase == INIT_PHASE_SUCCEEDED || p->phase == INIT_PHASE_FAILED)
			break;

		struct timespec ts, *timeout = NULL;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left < 0)
				left = 0;
			ts = (struct timespec){left / 1000, (left % 1000) * 1000000};
			timeout = &ts;
		}
		int sig = sigtimedwait(&set, NULL, timeout);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			rc = fail_errno("sigtimedwait");
			break;
		}
		/* One SIGCHLD may stand for several exits: reap until nothing is left.
		 * Each member is waited for by pid rather than waitpid(-1): the sandbox's
		 * holder is our child too, and infra_stop() must be the one to reap it. */
		for (size_t i = 0; i < p->n_members; i++) {
			struct init_member *m = &p->members[i];
			int st;
			if (m->c.state == CTR_RUNNING &&
			    waitpid(m->c.pid, &st, WNOHANG) == m->c.pid)
				init_pod_reaped(p, m->c.pid, st);
		}
	}

	char saved[1024];
	snprintf(saved, sizeof(saved), "%s", last_error());
	if (init_pod_stop(p) < 0 && rc == 0)
		rc = -1;
	else if (rc < 0)
		set_last_error(saved); /* report the first failure, not the clean-up's */
	/* Drop the SIGCHLDs of what we reaped before restoring the mask. */
	struct timespec zero = {0, 0};
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (sigtimedwait(&chld, NULL, &zero) > 0) {
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
