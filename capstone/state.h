/*
 * state.h - podrun's state: small text files under a state root that root
 * can cat (and nobody else can read: the root is 0700), and the clean-up
 * that works from them alone.
 *
 *   ROOT/pods/                           one tmpfs for every pod's state
 *   ROOT/pods/NAME/                      a pod's runtime state
 *       spec.yaml                        the bytes the pod was parsed from
 *       supervisor.pid  supervisor.start the supervisor (pid, start time)
 *       pause.pid       pause.start      the sandbox holder
 *       phase  ip  veth  bridge  hostname  created  grace_seconds  container_names
 *       containers/C/                    one per container
 *           state reason pid start restarts exit_code started_at finished_at
 *           seq                          odd while the status above changes
 *           kind env workdir caps ...    what `podrun exec` needs (see pod.c)
 *   DATA/pods/NAME/                      the pod's data
 *       containers/C/fs/                 its overlay (upper, work, merged)
 *       logs/C/N.log                     CRI log lines, one file per run (logs.h)
 *       volumes/V/                       emptyDirs
 *
 * Files are written with O_NOFOLLOW and read with O_NOFOLLOW: a symlink in a
 * pod's directory is never followed.
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
#define STATE_DEFAULT_DATA "/var/lib/podrun"

/* $PODRUN_ROOT, else /run/podrun: runtime state, small files on a tmpfs. */
const char *state_root(void);
/* $PODRUN_DATA, else /var/lib/podrun: what is big or must not sit in RAM -
 * container overlays, disk emptyDirs, logs - as kubelet keeps /var/lib/kubelet. */
const char *state_data_root(void);

/* Both roots must be directories of ours that nobody else can write (0700
 * when we create them). create: make them; else a missing root is fine. */
int state_check_roots(bool create);

/* ROOT/pods/NAME, and DATA/pods/NAME. NAME must be a DNS-1123 subdomain: it
 * becomes a path component ("../.." never does): EINVAL otherwise. */
int state_pod_dir(const char *pod, char *out, size_t len);
int state_data_dir(const char *pod, char *out, size_t len);
/* Runtime state belongs in RAM, as under /run on most machines: a state
 * file is rewritten (a new file renamed over the old) dozens of times as a
 * pod starts, and a disk filesystem pays an inode allocation and a free for
 * each. So every pod's directory is on one tmpfs, which podrun mounts on
 * ROOT/pods for the first pod and unmounts when the last pod's directory
 * goes (state_clean), as the last pod takes the bridge along. One for all
 * pods, not one each: every new mount namespace copies the host's mounts,
 * and a hundred pods' would slow every start (capstone README).
 * state_make_pod_dir makes a pod's directory (dir, from state_pod_dir)
 * there, mounting the tmpfs first for the first pod; call it with the root
 * locked (pod_lock_root). $PODRUN_STATE_SIZE sets the tmpfs's size (a
 * quantity of bytes, 512Mi), and is checked even when it is mounted. */
int state_make_pod_dir(const char *dir);
/* A pod named on the command line: its directory, as state_pod_dir, and with
 * must_exist only if the pod is there. -2 when the name is no pod name (a
 * usage error), -1 on any other failure. */
int state_pod_arg(const char *name, bool must_exist, char *dir, size_t len);

/* Write dir/key atomically (a temporary file renamed over it): the bytes as
 * given, or (state_put) the formatted value with a newline. */
int state_put_bytes(const char *dir, const char *key, const void *buf, size_t len);
int state_put(const char *dir, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A file rewritten at every change of what it is part of (a container's
 * status: a dozen files, most of which a change leaves as they were) is
 * written only when its value changed: each write is four syscalls (open,
 * write, close, rename), tens of microseconds.
 * state_put_memo writes dir/key as state_put does, unless memo holds what
 * it last wrote there and that is the value again. Only for a key nothing
 * else writes: the memo is the writer's memory of the file, not the file.
 * A write that failed is forgotten, and tried again the next time. */
struct state_memo {
	struct state_memo_entry {
		struct state_memo_entry *next;
		char *val; /* what was written, newline included; NULL: unknown */
		char key[];
	} * head;
};
int state_put_memo(struct state_memo *memo, const char *dir, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void state_memo_free(struct state_memo *memo);
/* Read dir/key without its newline; -1 (ENOENT) when missing. */
int state_get(const char *dir, const char *key, char *buf, size_t len);
long state_get_long(const char *dir, const char *key, long dflt);
/* A list of strings (env, names), each ended by a NUL byte: a value may hold
 * newlines. state_get_list returns one allocation: free(*items). */
int state_put_list(const char *dir, const char *key, char *const *items);
int state_get_list(const char *dir, const char *key, char ***items);

/* Files that change together, read as one: a container's status is a dozen
 * files, and a reader between two of its writer's renames would see the
 * new exit code beside the old state. The writer brackets one change with
 * state_change_begin and state_change_end, which write dir/seq odd, then
 * even (a sequence lock made of one more file); a reader takes
 *
 *     for (int tries = 0;; tries++) {
 *         long seq = state_read_begin(dir, writer_alive);
 *         ... read the files ...
 *         if (!state_read_changed(dir, seq) || tries == STATE_READ_TRIES)
 *             break;
 *     }
 *
 * state_read_begin waits while a change is being written: up to
 * STATE_READ_WAIT_MS, and not at all when the writer is dead (an odd seq it
 * left will stay odd); a change still unfinished then is read as it is. A
 * reader never hangs on a writer. */
#define STATE_READ_TRIES   100
#define STATE_READ_WAIT_MS 2000
int state_change_begin(const char *dir);
int state_change_end(const char *dir);
long state_read_begin(const char *dir, bool writer_alive);
bool state_read_changed(const char *dir, long seq);

/* The start time of a process (clock ticks since boot), or -1. */
long long state_proc_start(pid_t pid);
/* Record dir/KEY.pid and dir/KEY.start (key "": dir/pid and dir/start). */
int state_put_pid(const char *dir, const char *key, pid_t pid);
/* The recorded pid if that very process still runs, else 0. */
pid_t state_live_pid(const char *dir, const char *key);

/* The pod phase a person should see: the recorded one ("Pending" before the
 * first is written), or "Unknown" when the pod has not ended and its
 * supervisor (state_live_pid, which the caller asked) is gone. */
void state_pod_phase(const char *dir, bool sup_alive, char *phase, size_t len);

/* Names of the pods under the root, sorted; free with state_free_list. */
int state_list(char ***names, size_t *n);
void state_free_list(char **names, size_t n);

/* Clean up what a pod left on the host, from its state alone (a supervisor
 * that was kill -9'd): SIGKILL its recorded container processes and pause,
 * delete its veth, kill and remove its cgroups, unmount anything under its
 * directories, and remove them when remove_dir (the last pod's directory
 * takes ROOT/pods' tmpfs along). Safe to run on a pod that is already clean. Call it with the state
 * lock held (pod_lock_root). The bridge stays: other pods may use it (bridge_retire). A cgroup that
 * cannot be removed fails it, and keeps the state directory, which names it. */
int state_clean(const char *pod_dir, bool remove_dir);

/* RFC 3339 UTC with nanoseconds, as CRI logs and kubectl print time. */
void state_time_rfc3339(int64_t ns_since_epoch, char *out, size_t len);
int64_t state_now_realtime_ns(void);

#endif
