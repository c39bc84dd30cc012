/*
 * pod.h - podrun's supervisor: one process per pod that does for it what
 * kubelet's SyncPod and a CRI runtime (containerd, CRI-O, conmon) do for a
 * node's pods, built from the labs' modules:
 *
 *   hostPorts (ports.h)       bind hostIP:hostPort before anything exists
 *   sandbox   (lab 02 infra)  pause in new net/ipc/uts (+pid) ns, the pod IP
 *   volumes   (lab 03 volume) emptyDirs and hostPaths
 *   containers(lab 04 init)   init containers, sidecars, app containers,
 *                             restarts with backoff, stop in order
 *   logs                      per-container pipes -> CRI log files
 *
 * and keeps the pod's state in files (state.h) for the other commands.
 */
#ifndef PODLAB_POD_H
#define PODLAB_POD_H

#include "spec.h"

#include <stdbool.h>

/* The pod network podrun uses unless $PODRUN_BRIDGE / $PODRUN_SUBNET say
 * otherwise ($PODRUN_BRIDGE=none: the pod gets only its loopback). */
#define POD_DEFAULT_BRIDGE "podrun0"
#define POD_DEFAULT_SUBNET "198.18.7.0/24"

struct pod_opts {
	const char *images; /* the image store (image.h): $PODRUN_IMAGES or $PODRUN_DATA/images */
	const char *bridge; /* NULL: no pod IP */
	const char *subnet;
	int notify_fd;       /* -d: "ok" or "error: ..." is written here once, then closed */
	bool notify_sandbox; /* --wait=none: say "Pending" once the sandbox is up */
	/* Events for a person watching ("war: Terminated (Completed)"); NULL: quiet. */
	void (*event)(const char *pod, const char *msg);
};

/* Fill bridge/subnet from the environment. */
void pod_opts_from_env(struct pod_opts *o);

/* Run the pod until it ends (Succeeded/Failed) or SIGINT/SIGTERM stops it.
 * The caller has blocked nothing; this installs its own signal mask.
 * Returns 0 when the pod was stopped on request or Succeeded, 1 when it
 * failed or could not start (last_error says why; nothing is left behind
 * when it could not start). spec_text is stored as STATE/spec.yaml. */
int pod_supervise(const struct pod_spec *spec, const char *spec_text, size_t spec_len,
                  const struct pod_opts *o);

/* Ask the supervisor of a pod to stop, with this grace period (ms, -1: the
 * pod's own), and wait until it exited - or, when it has not ended 10 s
 * after the grace period, SIGKILL it (the caller then cleans up from the
 * state, as after a kill -9). 0 also when it was not running. */
int pod_stop(const char *pod_dir, int grace_ms);

/* Take the state root's lock (flock on ROOT/lock), creating the roots if
 * needed; close the fd to release it. Pod creation, rm and stop hold it while
 * they change what another podrun could be looking at. */
int pod_lock_root(void);

#endif
