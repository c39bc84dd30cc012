/*
 * state.h - podrun's state: small text files under a state root that anyone
 * can cat, and the clean-up that works from them alone.
 *
 *   ROOT/pods/NAME/                      one directory per pod
 *       spec.yaml                        the file the pod was run from
 *       supervisor.pid  supervisor.start the supervisor (pid, start time)
 *       pause.pid       pause.start      the sandbox holder
 *       phase  ip  veth  bridge  hostname  created
 *       containers/C/                    one per container
 *           state reason pid start restarts exit_code started_at finished_at
 *           fs/                          its overlay (upper, work, merged)
 *       logs/C.log                       CRI log lines
 *       volumes/V/                       emptyDirs
 *
 * A pid alone names nothing for long: the kernel reuses it. Every recorded
 * pid comes with the process's start time (field 22 of /proc/PID/stat), and
 * a pid is only trusted, or signalled, while both still match.
 */
#ifndef PODLAB_STATE_H
#define PODLAB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STATE_DEFAULT_ROOT "/run/podrun"

/* $PODRUN_ROOT, else /run/podrun. */
const char *state_root(void);

/* ROOT/pods/NAME. */
int state_pod_dir(const char *pod, char *out, size_t len);

/* Write dir/key atomically (a temporary file renamed over it), with a newline. */
int state_put(const char *dir, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Read dir/key without its newline; -1 (ENOENT) when missing. */
int state_get(const char *dir, const char *key, char *buf, size_t len);
long state_get_long(const char *dir, const char *key, long dflt);

/* The start time of a process (clock ticks since boot), or -1. */
long long state_proc_start(pid_t pid);
/* Record dir/KEY.pid and dir/KEY.start (key "": dir/pid and dir/start). */
int state_put_pid(const char *dir, const char *key, pid_t pid);
/* The recorded pid if that very process still runs, else 0. */
pid_t state_live_pid(const char *dir, const char *key);

/* Names of the pods under the root, sorted; free with state_free_list. */
int state_list(char ***names, size_t *n);
void state_free_list(char **names, size_t n);

/* Clean up what a pod left on the host, from its state alone (a supervisor
 * that was kill -9'd): SIGKILL its recorded container processes and pause,
 * delete its veth, unmount anything under its directory, and remove the
 * directory when remove_dir. Safe to run on a pod that is already clean.
 * The bridge stays: it is the host's, shared by every pod. */
int state_clean(const char *pod_dir, bool remove_dir);

/* RFC 3339 UTC with nanoseconds, as CRI logs and kubectl print time. */
void state_time_rfc3339(int64_t ns_since_epoch, char *out, size_t len);
int64_t state_now_realtime_ns(void);

#endif
