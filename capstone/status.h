/*
 * status.h - what kubelet reports about a pod besides its containers' states:
 * the pod's conditions with their transition times, and its events, kept as
 * state files for `podrun get -o json`, `describe` and `wait`:
 *
 *   STATE/pods/NAME/conditions   one line per condition:
 *                                TYPE STATUS LASTTRANSITIONTIME[ REASON]
 *   STATE/pods/NAME/events       appended, one line per event:
 *                                TIME\tTYPE\tREASON\tOBJECT\tMESSAGE
 */
#ifndef PODLAB_STATUS_H
#define PODLAB_STATUS_H

#include <stdbool.h>
#include <stdint.h>

/* Kubernetes' pod conditions, in the order kubectl describe lists them. */
enum status_cond {
	STATUS_READY_TO_START, /* PodReadyToStartContainers: the sandbox is up */
	STATUS_INITIALIZED,    /* every init container completed (sidecars started) */
	STATUS_READY,          /* the pod can serve: every container ready */
	STATUS_CONTAINERS_READY,
	STATUS_SCHEDULED, /* PodScheduled: admitted on the node */
	STATUS_NCOND,
};

struct status_pod {
	struct {
		bool known, status;
		int64_t since_ns; /* realtime: its lastTransitionTime */
		const char *reason;
	} cond[STATUS_NCOND];
};

/* Set a condition; true when it changed: its status (its transition time is
 * now), or only the reason a False one gives (the time stays, as kubelet
 * keeps lastTransitionTime while the status is the same). reason: a string
 * that lives as long as st (a literal). */
bool status_set(struct status_pod *st, enum status_cond c, bool status, const char *reason);

/* Write the conditions file of pod_dir. */
int status_write(const struct status_pod *st, const char *pod_dir);

/* Append one event. type: "Normal" or "Warning"; object: "pod",
 * "spec.containers{NAME}" or "spec.initContainers{NAME}" as kubectl shows it.
 * A full disk loses the event, never the pod. Past STATUS_EVENTS_MAX bytes
 * the file keeps its newer half. */
#define STATUS_EVENTS_MAX (256 * 1024)
void status_event(const char *pod_dir, const char *type, const char *reason, const char *object,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A random (version 4) UUID, as the API server gives every object. */
int status_uuid(char out[37]);

#endif
