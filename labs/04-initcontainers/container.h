/*
 * container.h - one container: a process that joins the pod's sandbox
 * (net, ipc, uts; pid when the pod shares it), gets its own mount namespace
 * (and pid namespace unless shared), its image as "/", its volumes, the
 * default capability set, no_new_privs, no stray fds, and execs its command.
 *
 * Every failure before exec reaches the parent through a CLOEXEC pipe with
 * the failing step, so "image not found" or "no such command" is an error
 * from ctr_start(), not a silent exit 127.
 */
#ifndef PODLAB_CONTAINER_H
#define PODLAB_CONTAINER_H

#include "infra.h"
#include "seccomp_filter.h"
#include "volume.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ctr_mount {
	const struct volume *volume;
	const char *mount_path; /* absolute, inside the container */
	const char *sub_path;   /* NULL or "": the whole volume */
	bool readonly;
};

struct ctr_config {
	const char *name;
	const char *image;      /* "[registry/]name[:tag]", see rootfs_image_path() */
	const char *images_dir; /* NULL: the default directory of images */
	/* The root's lower layers, resolved by the caller: an OCI image's stack
	 * "TOP:...:BOTTOM" (img_lowerdir) or one directory. Set, it is used as
	 * it is and image/images_dir only name the image in messages; NULL: the
	 * directory image rootfs_image_path(images_dir, image) finds. */
	const char *rootfs_lower;
	const char *state_dir;   /* this container's directory: overlay upper/work/merged */
	char *const *argv;       /* command + args, NULL-terminated; argv[0] searched in PATH */
	char *const *env;        /* "K=V", NULL-terminated, may be NULL; PATH, HOSTNAME added */
	const char *working_dir; /* NULL: "/" */
	const struct ctr_mount *mounts;
	size_t n_mounts;
	bool share_pid; /* join the pod's pid namespace instead of a new one */
	const char *const
	    *cap_add; /* NULL-terminated names ("NET_ADMIN", "CAP_NET_ADMIN", "ALL") */
	const char *const *cap_drop;
	bool privileged; /* keep every capability */
	bool readonly_root;
	/* Who the command runs as (0: root, the default). groups replace every
	 * supplementary group the caller had; NULL/0: none. */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
	/* execve may grant privileges (setuid bits, file capabilities) only when
	 * this is true or the container is privileged: no_new_privs otherwise. */
	bool allow_privilege_escalation;
	/* The seccomp filter (seccomp_filter.h): Unconfined (the zero value) unless
	 * set; Localhost reads seccomp_profile, a path on the host. */
	enum ctr_seccomp_type seccomp;
	const char *seccomp_profile;
	/* For ctr_start: where stdio goes. -1: /dev/null for stdin, inherit for
	 * stdout and stderr. For ctr_exec: the caller's fds that the command's
	 * stdio is relayed from and to (-1: /dev/null); the command itself never
	 * holds them - it has a session of its own and pipes (or, with tty, a
	 * pseudo-terminal of the container's devpts). */
	int stdin_fd;
	int stdout_fd;
	int stderr_fd;
	bool tty; /* ctr_exec only */
	/* Optional: run first thing in C (in H, which clones C, for a pod
	 * that shares its pid namespace; and in the process ctr_exec forks the
	 * command from), while its mounts are still the host's and before
	 * anything joins the sandbox: for what must hold the command from its
	 * first instruction, e.g. its cgroup (lab 06). A failure stops the
	 * start with "setup: ...". */
	int (*setup_child)(void *arg);
	void *setup_arg;
	/* Optional, for ctr_start: the other way to the same end. Called in the
	 * caller with C's pid once C is built (its root, volumes, working
	 * directory and environment: steps 0 to 11 of the README's table) and
	 * before it drops its privileges and execs, for what the caller puts C
	 * into from outside, as runc's parent writes its init into its cgroups.
	 * What C built meanwhile needed none of it, so the caller may make it
	 * while C builds (building, below). A failure
	 * kills C and stops the start with "place: ...". */
	int (*place)(void *arg, pid_t pid);
	void *place_arg;
	/* Optional, with place: called in the caller with place_arg as soon as
	 * C is cloned (or H forked), while C builds: for what place needs and
	 * C's build does not, made on the caller's CPU beside C's (podrun: the
	 * pod's cgroups, when the first move into one waits for nothing worth
	 * hiding). It cannot stop the start: a failure is place's to report. */
	void (*building)(void *arg);
	/* The container's own cgroups at /sys/fs/cgroup, read-only (but for a
	 * privileged container), in a cgroup namespace of its own, as runc and
	 * containerd mount them: what sizes itself from its memory limit or CPU
	 * quota (a JVM, Go's automaxprocs) finds its own there, not the node's.
	 * Mounted once the container is in its cgroups (after place); ctr_exec
	 * joins that namespace. NULL: /sys/fs/cgroup stays empty. Else the
	 * cgroup v1 controllers in whose hierarchies the container has a cgroup
	 * of its own (NULL-terminated); the v2 hierarchy is mounted whenever
	 * there is one. A hierarchy not named is left out: the container is at
	 * the caller's cgroup there, and would see every cgroup beside it. */
	const char *const *mount_cgroups;
	/* Optional: a host file bound at termination_path in the container
	 * (Kubernetes' terminationMessagePath, /dev/termination-log): what the
	 * command writes there is read back when it ends. */
	const char *termination_log;
	const char *termination_path;
};

/* Docker's and containerd's default set (names without CAP_), NULL-terminated. */
extern const char *const ctr_default_caps[];

/* The capabilities the container keeps, as a bit mask (bit n = capability n):
 * privileged: all; else the default set plus cap_add minus cap_drop, where
 * "ALL" in cap_add means every capability and "ALL" in cap_drop means start
 * from none - in that order, as containerd does it, so both together leave
 * only the names added. "All" is all that the caller holds itself. An unknown
 * name fails with EINVAL and a message naming it. */
int ctr_caps_mask(const struct ctr_config *cfg, uint64_t *mask);

enum ctr_state { CTR_WAITING, CTR_RUNNING, CTR_TERMINATED };

struct ctr {
	enum ctr_state state;
	pid_t pid; /* the container's PID 1 (or its process in the pod's pid ns) */
	int pidfd;
	int64_t started_at; /* wall clock, ms since the epoch */
	int64_t finished_at;
	int exit_code;   /* exit status, or 128 + signal */
	int signal;      /* the signal that ended it, or 0 */
	char reason[32]; /* "Completed", "Error", "OOMKilled", or the signal, e.g. "SIGKILL" */
	/* In a pod that shares its pid namespace: the container's mount
	 * namespace, held open from its start, for ctr_terminated to end what
	 * the container leaves running there. An fd above 2; 0, as in a struct
	 * that ctr_start did not fill: none. */
	int mnt_ns;
};

/* Start the container in the sandbox (placed by cfg->place before its
 * execve, when set). Returns once the command was exec'd;
 * on failure nothing is left (no process, no state_dir) and last_error() is
 * "container NAME: step: what failed". sandbox NULL: the host's namespaces
 * (only for experiments; share_pid then fails). The container is a child of
 * the caller: reap it with waitpid() and tell ctr_terminated(). */
int ctr_start(const struct infra *sandbox, const struct ctr_config *cfg, struct ctr *out);

/* Record the end of the container from a wait status (the caller reaped it).
 * In a pod that shares its pid namespace, the processes the container's
 * process left running there are killed first, as containerd's shim kills
 * them: a container's end is the end of all of it, as it is when its pid
 * namespace is its own. */
void ctr_terminated(struct ctr *c, int wstatus);

/* Record a start that failed (ctr_start returned -1) as containerd records
 * it: the container ended without running - exit code 128, reason
 * "StartError", a finish time and no start time. */
void ctr_start_failed(struct ctr *c);

/* Did c's run end so (ctr_start_failed)? */
bool ctr_never_ran(const struct ctr *c);

/* Block until the container exits and record it. */
int ctr_wait(struct ctr *c);

/* SIGTERM its PID 1, SIGKILL after grace_ms, reap it. Safe on a dead one. */
int ctr_stop(struct ctr *c, int grace_ms);

/* Run argv inside a running container (all its namespaces, its capabilities,
 * its user), as `kubectl exec` does, relaying stdio through the caller (see
 * ctr_config.stdin_fd); returns the command's exit code, or -1. The working
 * directory is resolved beneath the container's root, never through a
 * symlink the container planted (runc CVE-2024-21626). */
int ctr_exec(const struct ctr *c, const struct ctr_config *cfg, char *const argv[]);

/* Remove the container's overlay directories after it is gone. */
int ctr_cleanup(const struct ctr_config *cfg);

#endif
