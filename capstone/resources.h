/*
 * resources.h - a pod's requests and limits, made real with lab 06's cgroups:
 * admission on the node (the scheduler's fit, for one node), the QoS class,
 * kubelet's cgroup tree beneath the cgroup podrun runs in
 *
 *     podrun/<qos>/pod-NAME/CONTAINER      (Guaranteed pods: podrun/pod-NAME)
 *     podrun/<qos>/pod-NAME/POD            pause, the sandbox
 *
 * with the pod's and each container's limits and the device allow-list, the
 * OOM kill behind a SIGKILL, and the clean-up of a tree whose supervisor died.
 *
 * The pod sequence (pod.c) calls, in SyncPod's order (podrun run has called
 * res_warm_moves first thing):
 *   res_admit         under the state lock, before anything exists
 *   res_pod_create    last, once pause runs (cg_attach places it in
 *                     pod-NAME/POD), the volumes are ready and the first
 *                     containers are built; as soon as the first
 *                     container is cloned, while it builds, when the
 *                     kernel expedites grace periods
 *   res_ctr_create    per container, which is then placed in it before its
 *                     execve (ctr_config.place: res_place); podrun exec's
 *                     command joins it (ctr_config.setup_child = res_enter)
 *   res_oom_killed    when a container ended by SIGKILL
 *   res_pod_remove    at the end (res_clean: from the state alone)
 */
#ifndef PODLAB_RESOURCES_H
#define PODLAB_RESOURCES_H

#include "cgroup.h"
#include "spec.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct res_pod {
	struct cg_host host;
	enum cg_qos qos;
	struct cg_resources total; /* the pod cgroup's values (cg_pod_resources) */
	int64_t pids_max;          /* the pod cgroup's pids.max; <= 0: no limit */
	struct cg pod;
	struct cg sandbox;   /* pod-NAME/POD: pause (placed by res_place_sandbox) */
	int64_t node_memory; /* res_node's: what a Burstable oom_score_adj is of */
	bool created;
};

/* The node podrun runs on: $PODRUN_NODE_MEMORY (a quantity) and
 * $PODRUN_NODE_CPUS (a quantity of CPUs: "2", "1500m"), else the machine's
 * MemTotal and online CPUs. */
int res_node(int64_t *memory, int64_t *cpu_milli);

/* The pod's QoS class and totals, its pids limit ($PODRUN_POD_PIDS_LIMIT,
 * kubelet's podPidsLimit: a number of processes, -1 for none, default 1024),
 * and whether its requests fit what the node has left once the running
 * pods' requests are taken: "Insufficient memory" / "Insufficient cpu"
 * (ENOSPC) otherwise, as the scheduler says it. Call
 * with the state root locked (pod_lock_root), so that two pods starting at
 * once cannot both take the last gigabyte. */
int res_admit(const struct pod_spec *sp, struct res_pod *rp);

/* The pod's cgroup, with its limits and pids.max, and the sandbox's in it; records in
 * the pod's state directory what res_clean needs: qos, requests, cgroup,
 * cgroup_self. Sets its QoS class cgroup's CPU weight (podrun/besteffort: 2
 * shares; podrun/burstable: the running Burstable pods' CPU requests, this
 * one's included), as kubelet's QoS manager does. With the state lock held,
 * as res_admit left it. */
int res_pod_create(struct res_pod *rp, const struct pod_spec *sp, const char *pod_dir);

/* Moving a process into a cgroup (a write to cgroup.procs: pause's, each
 * container's) takes the kernel's cgroup_threadgroup_rwsem for writing, and
 * the first writer after a quiet moment waits for an RCU grace period
 * (percpu_down_write -> rcu_sync_enter -> synchronize_rcu): 4 to 25 ms on a
 * kernel with normal grace periods, the longest step of a pod's start (make
 * bench-steps). A writer that comes within a grace period of the last one
 * does not wait. So podrun run and exec, first thing, fork a process that
 * writes "0" into the cgroup podrun runs in - moving itself to where it
 * already is, which moves nothing - and wait out the grace period while
 * podrun executes its sealed copy, parses the spec, writes the pod's state,
 * starts pause, prepares the volumes and builds the first containers up to
 * their execve. That process holds cgroup_mutex while it waits, so no
 * cgroup can be made meanwhile: the pod's are made after all that (pod.c),
 * and pause and the containers are placed in theirs from outside
 * (cg_attach). A failure only means a slower start: it is not reported.
 * Nobody waits for the process: it is a grandchild, reaped by init (or the
 * nearest subreaper). On a kernel that expedites grace periods
 * (res_moves_expedited) it does nothing. */
void res_warm_moves(void);

/* Does this kernel expedite its RCU grace periods (/sys/kernel/rcu_expedited
 * set, rcu_normal not)? Then synchronize_rcu forces one at once, with an IPI
 * to every CPU, and the first move into a cgroup waits 0.1 to 0.3 ms, not 4
 * to 25: there is nothing to hide, and pod.c makes the pod's cgroups as soon
 * as the first container is cloned, on one CPU while it builds its root on
 * the other, instead of after it is built. PODRUN_RCU_EXPEDITED=0 or 1
 * says instead what to take the kernel for (the tests run both orders on
 * one machine); any other value is EINVAL, said so. */
int res_moves_expedited(bool *expedited);

/* A container's place on the node: its cgroup, and the oom_score_adj
 * kubelet gives its processes (cg_oom_score_adj: the QoS class decides who
 * the OOM killer takes first when the node runs out of memory). */
struct res_member {
	struct cg cg;
	int oom_score_adj;
};

/* Container i's cgroup in the pod's, with its memory and CPU limits and the
 * device allow-list (everything when privileged); and its oom_score_adj on
 * a node of res_node's memory. */
int res_ctr_create(const struct res_pod *rp, const struct pod_spec *sp, size_t i,
                   struct res_member *out);

/* Put process pid (built, before its execve) in the member's cgroups, then
 * give it the member's oom_score_adj - or the supervisor's own when the
 * kernel refuses a lower one (cg_set_oom_score_adj): m->oom_score_adj is
 * then what it got, which its later runs and exec'd commands get too. */
int res_place(struct res_member *m, pid_t pid);

/* The same for pause in the sandbox's cgroup: oom_score_adj -998, as
 * containerd and CRI-O give the pod's infra (or the floor, as above). */
int res_place_sandbox(const struct res_pod *rp, pid_t pid);

/* For ctr_config.setup_child (arg: the container's struct res_member): from
 * the process that forks an exec'd command into the container, join its
 * cgroups and take its oom_score_adj, as runc exec does - so that the
 * command is inside its limits from its first instruction. An
 * oom_score_adj of RES_ADJ_NONE leaves the caller's. */
#define RES_ADJ_NONE INT_MIN
int res_enter(void *arg);

/* Did the OOM killer end the container's last run? *seen is the count at its
 * last look, updated. */
bool res_oom_killed(const struct cg *cg, uint64_t *seen);

/* Kill what is left in the pod's cgroups and remove them, and podrun/<qos>
 * and podrun when no other pod is left in them; a class cgroup that stays
 * gets its weight without this pod. With the state lock held. */
void res_pod_remove(struct res_pod *rp);

/* The same from the pod's state directory alone (its supervisor is gone),
 * with the state lock held. */
int res_clean(const char *pod_dir);

/* The requests of the running pods under the state root (their supervisors
 * alive): what is taken on the node. */
int res_requested(int64_t *memory, int64_t *cpu_milli);

#endif
