/*
 * podjson.h - a pod as Kubernetes prints it: the v1 Pod object, in json-c.
 *
 * Two halves. When a pod starts, its supervisor calls podjson_write_spec: the
 * parsed spec, with the defaults the API server fills in, becomes
 * STATE/pods/NAME/spec.json (and its name, namespace, labels and annotations
 * metadata.json), so that `podrun get` and `describe` never parse YAML again.
 * Later, podjson_pod builds the whole Pod - metadata, spec, status - from
 * those two files and the state files the supervisor keeps (state.h).
 *
 * The state files podjson_pod reads. A missing file means "not set": the
 * field is left out (or takes the value a fresh Kubernetes object has), never
 * an error. Times are RFC 3339 UTC; podjson prints them to the second, as
 * metav1.Time marshals.
 *
 *   pod dir   name created phase ip hostname qos container_names
 *             supervisor.pid supervisor.start   alive, or the phase is Unknown
 *             uid          a UUID                  -> metadata.uid
 *             start_time   RFC 3339                -> status.startTime
 *             host_ip      an address              -> status.hostIP, hostIPs
 *             spec.json metadata.json              (podjson_write_spec)
 *             conditions   one line per condition: "TYPE STATUS TIME[ REASON]",
 *                          STATUS True|False|Unknown, TIME RFC 3339 or "-"
 *             events       "TIME\tTYPE\tREASON\tOBJECT\tMESSAGE" per line (get_cmd.c)
 *   container dir (containers/C/)
 *             kind image state reason restarts exit_code started_at finished_at
 *             ready started     0|1 (missing: Running, and the pod's supervisor alive)
 *             signal message image_id container_id
 *             last_exit_code last_signal last_reason last_started_at last_finished_at
 *                               the previous termination (no last_exit_code: none)
 */
#ifndef PODRUN_PODJSON_H
#define PODRUN_PODJSON_H

#include "spec.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* The largest spec.json or metadata.json podjson_pod reads: the YAML it came
 * from is at most SPEC_MAX_BYTES, and JSON of it is of the same order. */
#define PODJSON_MAX_BYTES (4 * 1024 * 1024)

/* The Pod's `spec`, Kubernetes' defaults filled in for what podrun parses.
 * *out is a new object (json_object_put it). -1 (ENOMEM) on failure. */
int podjson_spec(const struct pod_spec *p, struct json_object **out);

/* The Pod's declared `metadata`: name, namespace, labels, annotations. */
int podjson_metadata(const struct pod_spec *p, struct json_object **out);

/* Write spec.json (podjson_spec, plus nodeName: this machine) and
 * metadata.json into the pod's state directory: each atomically (a temporary
 * file renamed over it), O_NOFOLLOW, mode 0600. */
int podjson_write_spec(const struct pod_spec *p, const char *pod_dir);

/* The whole v1 Pod of the pod whose state is in pod_dir (STATE/pods/NAME).
 * A pod started before spec.json existed gets a spec made of its state
 * (containers with name and image; sidecars with restartPolicy Always).
 * -1 with last_error() when the directory is not a pod's. */
int podjson_pod(const char *pod_dir, struct json_object **out);

/* Quantities as Kubernetes prints them: milliCPU "500m", "2"; bytes with the
 * largest exact binary suffix ("64Mi"), else decimal ("1G"), else plain. */
void podjson_cpu_quantity(int64_t milli, char *out, size_t len);
void podjson_bytes_quantity(int64_t bytes, char *out, size_t len);

/* An RFC 3339 time as metav1.Time prints it, "2026-01-02T03:04:05Z": 0, or
 * -1 when s is no such time. *epoch gets the seconds since the epoch (may be NULL). */
int podjson_time(const char *s, char *out, size_t len, int64_t *epoch);

/* kubectl's image pull policy default: Always for ":latest" or no tag (and
 * no digest), else IfNotPresent. */
const char *podjson_pull_policy(const char *image);

#endif
