/*
 * probe.h - a container's startupProbe, livenessProbe and readinessProbe, as
 * kubelet's prober workers run them, for a supervisor with an event loop.
 *
 * The state machine is kubelet's (pkg/kubelet/prober/worker.go):
 *
 *   - No probe runs before initialDelaySeconds have passed since the
 *     container started; then one check every periodSeconds.
 *   - A startupProbe holds liveness and readiness back until it succeeds
 *     once; after that it never runs again for this run of the container.
 *   - A result counts only in a run of equal results: failureThreshold
 *     failures in a row (successThreshold successes) change the state.
 *     Startup or liveness failing failureThreshold times: the container is
 *     killed and restarted by the pod's restartPolicy; startup and liveness
 *     are then on hold until the next run (readiness goes on while the
 *     container is being stopped). Readiness flips `ready`: not ready at first
 *     when there is a readiness probe, ready at once when there is none (and
 *     never ready before the startup probe succeeded).
 *   - A check that could not even be run (the prober's own error: no fd
 *     left, setns failed, the command could not be started) is an event,
 *     "Liveness probe errored: ...", and is thrown away: it counts neither
 *     way, as in worker.doProbe.
 *   - A new run of the container starts everything over (probe_set_reset).
 *
 * Nothing here blocks the caller. httpGet and tcpSocket use a non-blocking
 * socket made in the pod's network namespace (the trick of ports.h) and
 * registered in the caller's epoll set; exec runs in a forked child whose
 * pidfd is in the epoll set. The caller's loop:
 *
 *     deadline = min(its own, probe_set_next(ps))   -> epoll_wait timeout
 *     epoll_wait; call each ev_watch's handle()      -> results, verdicts
 *     probe_set_tick(ps, now_ms())                   -> start what is due,
 *                                                      time out what is late
 *
 * Verdicts reach the caller through opts.on_verdict, from handle() or
 * probe_set_tick(). Never waitpid(-1) in a process that runs exec probes:
 * the probe child is the module's and is reaped through its pidfd.
 */
#ifndef PODLAB_PROBE_H
#define PODLAB_PROBE_H

#include "container.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum probe_kind { PROBE_STARTUP, PROBE_LIVENESS, PROBE_READINESS, PROBE_KINDS };

enum probe_handler { PROBE_HANDLER_NONE, PROBE_EXEC, PROBE_HTTP_GET, PROBE_TCP_SOCKET };

struct probe_header {
	const char *name; /* [-A-Za-z0-9]+ */
	const char *value;
};

/* One probe as the Pod YAML says it, filled by the spec parser; strings are
 * borrowed and must outlive the probe set. A 0 in a number field is
 * Kubernetes' "unset" (int32 zero value) and becomes the default. */
struct probe_spec {
	enum probe_handler handler;
	char **command;        /* exec.command, NULL-terminated, not empty */
	const char *path;      /* httpGet.path; NULL or "": "/" */
	int port;              /* httpGet/tcpSocket.port, 1-65535, resolved from port_name */
	const char *port_name; /* the name when the YAML gave one (for messages), else NULL */
	const char *host;      /* NULL or "": the pod IP; else an IPv4 address */
	bool https;            /* scheme: HTTPS (refused) */
	const struct probe_header *headers;
	size_t n_headers;
	int initial_delay_s;   /* 0 */
	int period_s;          /* 10 */
	int timeout_s;         /* 1 */
	int success_threshold; /* 1; must be 1 for liveness and startup */
	int failure_threshold; /* 3 */
	/* probe-level terminationGracePeriodSeconds: the grace of the kill a
	 * failed liveness/startup probe causes (grace_set false: the pod's).
	 * Not allowed on readiness. */
	bool grace_set;
	int64_t grace_s;
};

/* apimachinery's IsValidPortName (an IANA_SVC_NAME), its first complaint in
 * its order: at most 15 characters of [a-z0-9-], at least one letter, no
 * "--", no '-' at either end. NULL when the name is fine. A probe's named
 * port and a container port's name (spec.c) are both such names. */
const char *probe_port_name_error(const char *name);

/* Kubernetes' names, for messages: "Startup", "Liveness", "Readiness". */
const char *probe_kind_name(enum probe_kind k);

/* An empty spec: no handler, every number unset. */
void probe_spec_init(struct probe_spec *s);

/* Kubernetes' validation of a probe of this kind (after its defaults),
 * plus what podrun refuses. -1 with errno EINVAL and last_error() naming
 * the field relative to the probe, with the API server's wording where it
 * has one, starting with "." or ": " so that the caller puts the probe's
 * path in front: ".successThreshold: Invalid value: 2: must be 1". */
int probe_spec_check(const struct probe_spec *s, enum probe_kind kind);

/* The result of one check. */
enum probe_outcome {
	PROBE_SUCCESS,
	PROBE_FAILURE, /* counts towards failureThreshold */
	PROBE_ERROR,   /* the prober's own error: an event, not counted */
	PROBE_WARNING, /* a success with an event: an httpGet's 3xx not followed */
};

#define PROBE_MSG_MAX 1024

/* What one result means for the container. */
struct probe_verdict {
	enum probe_kind kind;
	enum probe_outcome outcome;
	/* The Warning event kubelet records for a failed or errored check
	 * (reason "Unhealthy"): "Liveness probe failed: HTTP probe failed with
	 * statuscode: 500"; with warning, for a success that warns (reason
	 * "ProbeWarning"): "Readiness probe warning: Probe terminated
	 * redirects, Response body: ...". "" after a plain success. */
	char event[PROBE_MSG_MAX];
	bool warning;
	bool started_changed; /* the startup probe just succeeded */
	bool ready_changed;
	bool ready; /* the container's ready state after this result */
	/* Kill the container now; the pod's restartPolicy decides whether it
	 * starts again. reason is "Liveness probe failed: <output>" or "Startup
	 * probe failed: <output>"; message begins kubelet's Killing event text,
	 * "Container web failed liveness probe" (the pod adds ", will be
	 * restarted" unless its restartPolicy is Never). */
	bool kill;
	char reason[PROBE_MSG_MAX];
	char message[256];
	int64_t grace_s; /* the probe's terminationGracePeriodSeconds, -1: the pod's */
};

struct probe_set;

/* How exec probes run a command: the exit code (0 = success), or -1 with
 * last_error() when it could not be run. stdout and stderr go to out_fd.
 * Called in a child of the supervisor (never in the supervisor itself), so
 * it may block. */
typedef int (*probe_run_fn)(void *arg, char *const argv[], int out_fd);

/* The default runner: ctr_exec in a running container, as `podrun exec`.
 * arg is a struct probe_exec_target (borrowed; c and cfg the container's
 * struct ctr and struct ctr_config, as the init module keeps them; enter,
 * when not NULL, runs as the config's setup_child with enter_arg: it puts
 * the command in the container's cgroups, as runc exec does, or it runs
 * outside the container's limits and device allow-list). */
struct probe_exec_target {
	const struct ctr *c;
	const struct ctr_config *cfg;
	int (*enter)(void *arg);
	void *enter_arg;
};
int probe_exec_ctr(void *arg, char *const argv[], int out_fd);

struct probe_opts {
	const char *name;   /* the container's, for messages (borrowed) */
	int epfd;           /* the caller's epoll set (struct ev_watch in data.ptr) */
	int netns_fd;       /* the pod's /proc/PAUSE/ns/net (borrowed); see probe_set_netns */
	const char *pod_ip; /* IPv4 text (copied); NULL or "": none, dial 127.0.0.1 */
	probe_run_fn run;   /* NULL: probe_exec_ctr */
	void *run_arg;
	/* Called with the verdict of every result that arrived (successes
	 * that change nothing too: act on event, ready_changed, kill), from
	 * handle(), probe_set_tick() or probe_set_result(). It may call
	 * probe_set_stop() on this set. */
	void (*on_verdict)(void *arg, struct probe_set *ps, const struct probe_verdict *v);
	void *arg;
	/* Test seam: how a check starts. NULL: the real handlers. A
	 * replacement delivers the result later with probe_set_result(); a
	 * check still running at its deadline times out (PROBE_FAILURE). */
	void (*start)(void *arg, struct probe_set *ps, enum probe_kind k);
};

/* A container's probes: specs[k] for each kind, NULL when the container has
 * none of that kind (specs checked with probe_spec_check, defaults
 * applied). Nothing runs before probe_set_reset. *out NULL-safe to free. */
int probe_set_create(const struct probe_spec *const specs[PROBE_KINDS], const struct probe_opts *o,
                     struct probe_set **out);

/* Cancel every check, kill and reap the exec children (this may wait for a
 * SIGKILLed child to die), free. Call it outside an event batch. */
void probe_set_free(struct probe_set *ps);

/* The sandbox was recreated: its netns and pod IP, for the next checks.
 * -1 (EINVAL) when pod_ip is not an IPv4 address: nothing changed. */
int probe_set_netns(struct probe_set *ps, int netns_fd, const char *pod_ip);

/* A new run of the container started at started_ms (CLOCK_MONOTONIC, as
 * now_ms()): cancel what runs, forget every count, not started, ready only
 * when there is neither a startup nor a readiness probe, first checks due
 * at started_ms + initialDelaySeconds. */
void probe_set_reset(struct probe_set *ps, int64_t started_ms);

/* The container is gone (exited, killed): cancel every check, not ready,
 * nothing due until the next probe_set_reset. */
void probe_set_stop(struct probe_set *ps);

/* The pod is being stopped (deleted, to Kubernetes), as kubelet's
 * StopLivenessAndStartup: startup and liveness checks end for good, the
 * readiness checks go on until the container exits. With its startup check
 * gone, a container not started yet counts as started (kubelet finds no
 * startup worker and says started), and so may become ready. true when its
 * started or ready bit changed. */
bool probe_set_terminating(struct probe_set *ps, int64_t now);

/* When something is due (a check to start, a check's deadline), monotonic
 * ms, or -1 when nothing is. */
int64_t probe_set_next(const struct probe_set *ps);

/* Time out the checks past their deadline, start the checks that are due.
 * -1 only when the supervisor cannot go on (setns back to its own netns
 * failed: it may be stranded in the pod's). Call it outside an event batch. */
int probe_set_tick(struct probe_set *ps, int64_t now);

/* Start a check of this kind now, whatever is due. 0 also when it could not
 * start (that is a PROBE_ERROR verdict); -1 as for probe_set_tick. */
int probe_start(struct probe_set *ps, enum probe_kind k, int64_t now);

/* A result arrived for the running check of kind k (the handlers call this;
 * tests with opts.start call it themselves). Fills *v (may be NULL) and calls
 * on_verdict. Returns 1 when the result counted, 0 when it was ignored (no
 * such probe, on hold, or errored). */
int probe_set_result(struct probe_set *ps, enum probe_kind k, int64_t now, enum probe_outcome o,
                     const char *output, struct probe_verdict *v);

bool probe_set_has(const struct probe_set *ps, enum probe_kind k);
bool probe_set_started(const struct probe_set *ps); /* startup probe passed, or none */
bool probe_set_ready(const struct probe_set *ps);
bool probe_set_running(const struct probe_set *ps, enum probe_kind k); /* a check in flight */
/* The effective spec after defaults (for tests and `podrun inspect`). */
const struct probe_spec *probe_set_spec(const struct probe_set *ps, enum probe_kind k);

/* A lifecycle hook's httpGet (postStart, preStop), as kubelet's
 * runHTTPHandler: the request a probe sends, with User-Agent
 * PROBE_HOOK_USER_AGENT, dialled from the pod's network namespace to host
 * (NULL or "": pod_ip). Unlike a probe, any HTTP response succeeds - kubelet
 * does not look at a hook's status code - a 3xx too, not followed (kubelet's
 * hook client would follow it, to any host); a failed dial, write or read,
 * or what is not an HTTP response, fails. Blocks until then or deadline_ms
 * (monotonic; kubelet's hook client has no timeout of its own). 0 on
 * success; -1 with last_error() saying why, in Go's words ("Get
 * \"http://10.0.0.5:8080/\": dial tcp 10.0.0.5:8080: connect: connection
 * refused"). It steps into the pod's netns and back: call it in a child. */
int probe_http_hook(const struct probe_spec *s, int netns_fd, const char *pod_ip,
                    int64_t deadline_ms);

/* How long an exec probe child may outlive its timeout before the
 * supervisor SIGKILLs it: the child times the command out itself (so it can
 * kill what the command left behind), this is the backstop. */
#define PROBE_EXEC_BACKSTOP_MS 2000
/* kubelet keeps this much of an exec probe's output (maxReadLength). */
#define PROBE_OUTPUT_MAX (10 * 1024)
/* The User-Agent kubelet sends ("kube-probe/MAJOR.MINOR"). */
#define PROBE_USER_AGENT      "kube-probe/1.31"
#define PROBE_HOOK_USER_AGENT "kube-lifecycle/1.31"

#endif
