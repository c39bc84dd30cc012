/*
 * init.h - a pod's containers over time: init containers one at a time, in
 * order, each to completion; native sidecars (init containers with
 * restartPolicy: Always) started in order and kept running; then the app
 * containers; restarts by the pod's restartPolicy with Kubernetes' backoff;
 * and a stop that ends app containers first, sidecars last, in reverse.
 *
 * The module is a state machine driven by its caller, so the same code runs
 * the lab's step programs (init_pod_run) and the capstone's supervisor, which
 * has its own event loop (log pipes, ports, signals):
 *
 *     for (;;) {
 *         init_pod_step(pod, now_ms(), &deadline);   start what is due
 *         wait for SIGCHLD or the deadline
 *         for each member m that is running:
 *             if (waitpid(m->c.pid, &st, WNOHANG) == m->c.pid)
 *                 init_pod_reaped(pod, m->c.pid, st);
 *     }
 */
#ifndef PODLAB_INIT_H
#define PODLAB_INIT_H

#include "container.h"

#include <stdbool.h>
#include <stdint.h>

enum init_restart { INIT_RESTART_ALWAYS, INIT_RESTART_ON_FAILURE, INIT_RESTART_NEVER };
enum init_phase { INIT_PHASE_PENDING, INIT_PHASE_RUNNING, INIT_PHASE_SUCCEEDED, INIT_PHASE_FAILED };

struct init_member {
	struct ctr_config cfg; /* set by the caller */
	bool is_init;          /* listed under spec.initContainers */
	bool sidecar;          /* an init container with restartPolicy: Always */
	int stop_signal;       /* what a stop sends first (the image's StopSignal); 0: SIGTERM */
	/* kept by the module */
	struct ctr c;
	int restarts;
	int64_t not_before_ms;   /* backoff: do not start before this (monotonic ms) */
	bool completed;          /* an init container that exited 0 */
	bool started_once;       /* started at least once (a later start is a restart) */
	char waiting_reason[32]; /* "PodInitializing", "CrashLoopBackOff", "Error"... */
	char message[256];       /* why the last start failed ("" when it did not) */
	int crash_loop;          /* failures since the last long run: the backoff's n */
	/* killed for a failed liveness or startup probe: restarted whatever its
	 * exit code, unless the policy is Never (kubelet restarts it on
	 * purpose: a trap of SIGTERM that exits 0 must not end it under
	 * OnFailure). Cleared when it starts again. */
	bool unhealthy;
};

struct init_pod {
	const struct infra *sandbox;
	struct init_member *members; /* init containers in spec order, then app containers */
	size_t n_members;
	enum init_restart policy;
	int grace_ms;
	/* Optional hooks. before_start may set m->cfg.stdout_fd/stderr_fd
	 * (log pipes); after_start may close its copies of them. before_start
	 * returns -1 when the container cannot even be created, with kubelet's
	 * reason in m->waiting_reason ("ErrImageNeverPull"; none given:
	 * "CreateContainerError") and the message in last_error(); with
	 * retry_failed_starts it is tried again init_backoff_ms(1) later, every
	 * time, as kubelet's pod worker retries a failed sync. */
	void *arg;
	int (*before_start)(void *arg, struct init_member *m);
	void (*after_start)(void *arg, struct init_member *m);
	void (*on_change)(void *arg, struct init_member *m);
	/* The stop (init_pod_stop), as kubelet's: pre_stop is called for every
	 * running member at once, when the stop begins, with its deadline
	 * (monotonic ms), and starts the member's preStop hook, which runs beside
	 * the others'. It returns an fd that becomes readable when the hook has
	 * ended (a pidfd), or -1: no hook. The member's SIGTERM waits for it;
	 * pre_stop_end is called once, when the fd is readable or the deadline
	 * passed (late: the hook is to be cut), and closes the fd. */
	int (*pre_stop)(void *arg, struct init_member *m, int64_t deadline_ms);
	void (*pre_stop_end)(void *arg, struct init_member *m, int fd, bool late);
	/* With a grace period that is not 0, the least time from a member's
	 * SIGTERM to its SIGKILL, however much of the grace period its preStop
	 * or its turn took: kubelet gives 2000 (minimumGracePeriodInSeconds).
	 * 0: none, the SIGKILL comes at the deadline. */
	int min_grace_ms;
	/* Something else a stop must keep doing while it waits: on_stop_fd is
	 * called whenever stop_fd is readable (podrun: its log pipes - a
	 * container that writes on its way out must not block on a full pipe
	 * until its SIGKILL). on_stop_fd NULL: nothing. */
	int stop_fd;
	void (*on_stop_fd)(void *arg);
	/* Test seam: how a member is started. NULL: ctr_start(sandbox, &m->cfg,
	 * &m->c). A replacement must fill m->c as ctr_start does (state RUNNING,
	 * pid, pidfd) with a child of the caller, so waiting and stopping work. */
	int (*start)(void *arg, struct init_member *m);
	/* Has a running native sidecar started? NULL: running is started. podrun
	 * answers with the sidecar's startupProbe: until it passes, the init
	 * container just after it (or, after the last one, the app containers)
	 * does not start (KEP-753); a restart later on holds nothing back. */
	bool (*started)(void *arg, const struct init_member *m);
	/* A container that cannot be started: false (the step programs) makes
	 * init_pod_step fail with its error; true (podrun): its run ended, as
	 * containerd records it (ctr_start_failed: exit code 128, StartError,
	 * the error in m->message), and the restart policy decides, as
	 * kubelet's does - a restart with the backoff, or under Never the end. */
	bool retry_failed_starts;
	/* kept by the module */
	enum init_phase phase;
	bool stopping;
	int64_t stop_deadline_ms; /* the stop's, monotonic; init_pod_hasten lowers it */
	bool hastened;
	bool initialized; /* every init container done once: app containers may run */
	bool init_failed; /* an init container failed under restartPolicy: Never */
};

/* The n-th backoff of a crash loop (n >= 1): 10 s * 2^(n-1), capped at 300 s,
 * multiplied by $PODLAB_BACKOFF_SCALE (e.g. 0.001 turns 10 s into 10 ms).
 * As kubelet does, the first restart of a crash loop comes at once; the
 * (n+1)-th waits init_backoff_ms(n). A container that ran for 10 minutes
 * (scaled alike) starts a new loop: its next restart is immediate again. */
int64_t init_backoff_ms(int n);

/* The ordering rule (exercise init-order): the index of the init container
 * that comes next - the first one, in spec order, that has not completed
 * (a regular init container) or is not running (a native sidecar, unless an
 * init container after it has been started: kubelet decides by the last one
 * started, and restarts a sidecar the order passed beside the others) - or
 * the index of the first app container when every init container is done. */
int init_next_init(const struct init_pod *p, size_t *next);

/* The pod's phase from its members' states (Pending, Running, Succeeded, Failed). */
enum init_phase init_pod_phase(const struct init_pod *p);

/* Start whatever is due now; *deadline_ms gets the next time something will
 * be due (monotonic ms), or -1. Updates p->phase. A container that cannot be
 * started gets reason RunContainerError: -1, or with retry_failed_starts it
 * has ended (StartError) and is restarted by policy, waiting meanwhile with
 * reason RunContainerError (m->message says why). */
int init_pod_step(struct init_pod *p, int64_t now_ms, int64_t *deadline_ms);

/* Tell the pod a child was reaped. Returns 1 if it was one of its
 * containers (and records it, schedules its restart), 0 if not. */
int init_pod_reaped(struct init_pod *p, pid_t pid, int wstatus);

/* Stop the pod, all within one grace period: every running member's preStop
 * at once, then each one's SIGTERM when its hook has ended - app containers
 * at that, a native sidecar only once the app containers and the sidecars
 * declared after it have ended - and SIGKILL for whoever is left when the
 * grace period is over (at least min_grace_ms after its SIGTERM). Returns
 * when every member and every hook has ended, each member reaped. */
int init_pod_stop(struct init_pod *p);

/* A second stop, with a shorter grace period, while init_pod_stop waits (from
 * on_stop_fd): its deadline becomes now + grace_ms when that is sooner, and
 * no SIGKILL waits past it, min_grace_ms or not - kubelet's answer to a
 * delete with --grace-period=0 during a graceful one. */
void init_pod_hasten(struct init_pod *p, int grace_ms);

/* The first signal of a kill, kubelet's way for a stop and a probe's kill
 * alike: m's stop_signal (else SIGTERM), and *kill_at gets when its SIGKILL
 * is due - deadline, but with a grace period (grace_ms > 0) at least
 * p->min_grace_ms from now. -1 with last_error() when the signal could not
 * be sent (a process already gone is no error). */
int init_member_term(const struct init_pod *p, struct init_member *m, int64_t grace_ms,
                     int64_t deadline, int64_t *kill_at);

/* After the sandbox was recreated: every container waits to start again,
 * init containers run again; restart counts are kept. */
void init_pod_reset(struct init_pod *p);

/* The whole life of a pod for the step programs: step, wait, reap until the
 * pod Succeeded or Failed, or SIGINT/SIGTERM arrives (then init_pod_stop). */
int init_pod_run(struct init_pod *p);

const char *init_phase_name(enum init_phase phase);
int init_restart_parse(const char *s, enum init_restart *out);

#endif
