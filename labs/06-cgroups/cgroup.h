/*
 * cgroup.h - control groups: what a Pod may use. Detect the host's layout
 * (cgroup v1, v2 or hybrid), build kubelet's tree beneath the cgroup the
 * caller runs in, put a container in before it execs, set its limits
 * (memory, CPU, pids, devices), read back OOM kills and usage, and remove
 * everything again.
 *
 * A cgroup is named by a path relative to the caller's own cgroup, the same
 * in every hierarchy: "podrun/burstable/pod-web/app". On v2 that is one
 * directory; on v1 and hybrid hosts it is one directory per controller
 * (memory, cpu, cpuacct, pids, devices) plus one in the unified hierarchy
 * when it is mounted (hybrid), where BPF device programs attach.
 *
 * How a runtime uses it (podrun's order):
 *
 *   struct cg_host host;  cg_detect(&host, NULL, NULL);        once
 *   cg_qos_class(ctrs, n, &qos); cg_pod_resources(ctrs, n, &res);
 *   struct cg pod, sb, app;
 *   cg_create(&host, "podrun/burstable/pod-web", &pod);         once pause runs
 *   cg_create(&host, "podrun/burstable/pod-web/POD", &sb); cg_attach(&sb, pause);
 *   cg_cpu_config(res.cpu_request, res.cpu_limit, &cpu);
 *   cg_set_cpu(&pod, &cpu); cg_set_pod_memory(&pod, res.memory_limit);
 *   cg_qos_cpu(qos, class_requests, &cpu); cg_set_cpu(&class, &cpu);
 *                           podrun/burstable itself, as pods come and go
 *   cg_create(&host, "podrun/burstable/pod-web/app", &app);     per container
 *   cg_set_memory(&app, ...); cg_set_cpu(&app, ...); cg_set_pids(&app, ...);
 *   cg_set_devices(&app, cg_default_devices, cg_n_default_devices);
 *   fork/clone  ->  in the child, before execve: cg_enter(&app)
 *   (or clone3 with CLONE_INTO_CGROUP and cg_clone_fd(&app) on pure v2)
 *   after waitpid: SIGKILL and cg_oom_kills(&app, &n) > 0  ->  "OOMKilled"
 *   podrun top: cg_stats(&app, &st)
 *   stop: cg_remove(&pod)   kill whatever is left, rmdir bottom-up
 */
#ifndef PODLAB_CGROUP_H
#define PODLAB_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- the host's layout ------------------------------------------------------ */

enum cg_layout {
	CG_V1,     /* one cgroup (v1) mount per controller, or per group of them */
	CG_V2,     /* one cgroup2 mount holds every controller */
	CG_HYBRID, /* v1 controllers, plus a cgroup2 mount (usually .../unified) */
};

/* The controllers podrun uses. On v2, cpuacct is the cpu.stat every cgroup
 * has, and devices is a BPF program, not a controller. */
enum cg_ctrl { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_PIDS, CG_DEVICES, CG_NCTRL };

extern const char *const cg_ctrl_names[CG_NCTRL + 1]; /* "memory", "cpu", ..., NULL */

struct cg_host {
	enum cg_layout layout;
	/* Per controller: the directory of the cgroup the caller runs in, in
	 * the hierarchy that has the controller ("" when none has it), and
	 * whether that hierarchy is cgroup2. On v1 these differ per controller:
	 * memory may be /sys/fs/cgroup/memory/some/where while pids is
	 * /sys/fs/cgroup/pids. */
	char dir[CG_NCTRL][PATH_MAX];
	bool v2[CG_NCTRL];
	/* The caller's cgroup in the cgroup2 hierarchy ("" when none is
	 * mounted): every controller on v2; on hybrid, only where BPF device
	 * programs attach, cgroup.kill works and CLONE_INTO_CGROUP could aim. */
	char unified[PATH_MAX];
};

/* Find the hierarchies and the caller's cgroup in each.
 *
 * root NULL: the cgroup mounts of /proc/self/mountinfo. root a directory:
 * a scratch tree standing in for /sys/fs/cgroup (unit tests): it is v2 when
 * it has a cgroup.controllers file; otherwise each subdirectory named for
 * its controllers, as mounted ("memory", "cpu,cpuacct"; a symlink is not
 * one), is a v1 hierarchy, and a subdirectory "unified" with a
 * cgroup.controllers file makes it hybrid. A v1 hierarchy is the line of
 * self that shares a controller with it: a line lists every controller of
 * its hierarchy, those the module does not use too ("cpuset,cpu,cpuacct").
 *
 * self NULL: /proc/self/cgroup. Otherwise text in that format (a copy saved
 * earlier, e.g. by the podrun that made a tree, so that a later process in
 * another cgroup can find and remove the tree that one made). */
int cg_detect(struct cg_host *h, const char *root, const char *self);

const char *cg_layout_name(enum cg_layout layout); /* "v1", "v2", "hybrid" */

/* ---- one cgroup ------------------------------------------------------------------ */

#define CG_REL_MAX 256

struct cg {
	const struct cg_host *host;
	char rel[CG_REL_MAX]; /* "podrun/burstable/pod-web/app" */
};

/* Check rel (relative; components of [A-Za-z0-9._-], none empty, "." or
 * "..") and fill out; touches nothing. */
int cg_open(const struct cg_host *h, const char *rel, struct cg *out);

/* cg_open, then mkdir -p rel in every hierarchy of a controller podrun uses
 * (and in the unified one). On v2 each level's parent gets the controllers
 * in cgroup.subtree_control (+cpu +memory +pids), as it must before its
 * children can use them; that fails with EBUSY when the parent still holds
 * processes (the "no internal processes" rule), as the caller's own cgroup
 * does: pure v2 is not supported yet (README, "v2's two rules"). On failure
 * what this call made is removed again. */
int cg_create(const struct cg_host *h, const char *rel, struct cg *out);

/* The directory of cg in the hierarchy of controller c, into buf; -1 with
 * ENOTSUP when no hierarchy has c. */
int cg_path(const struct cg *cg, enum cg_ctrl c, char *buf, size_t len);

/* The distinct hierarchy directories podrun uses, into out: on v1 one per
 * controller mount (cpu and cpuacct may share one), plus the unified one;
 * on v2 one. Returns how many. A cgroup rel is "BASE/rel" in each. */
size_t cg_bases(const struct cg_host *h, const char *out[CG_NCTRL + 1]);

/* Move the calling process into cg in every hierarchy: for the child between
 * fork and execve, so that the command never runs a moment outside its
 * limits. Writes "0" (= the writer) to each cgroup.procs. */
int cg_enter(const struct cg *cg);

/* Move process pid (as the caller's pid namespace numbers it) into cg in
 * every hierarchy, from outside: for a process that was started before its
 * cgroup existed, as runc's parent places its container's init. */
int cg_attach(const struct cg *cg, pid_t pid);

/* An O_PATH directory fd of cg in the cgroup2 hierarchy, for clone3(2)'s
 * CLONE_INTO_CGROUP (Linux 5.7): the child is born inside, with no window
 * at all. ENOTSUP on a v1 host; on hybrid the fd places the child only in
 * the unified hierarchy, its v1 cgroups still need cg_enter. */
int cg_clone_fd(const struct cg *cg);

/* ---- a pod's resources and its QoS class ------------------------------------ */

/* One container's requests and limits: milliCPU and bytes, 0 = not set. A
 * request not set defaults to the limit, as the API server's SetDefaults_Pod
 * does - but only when the key is absent: requests.cpu: "0" beside a limit
 * stays 0 (2 shares; and the container is not Guaranteed, ComputePodQOS
 * counts no zero request). So a request given as 0 says so in *_set; a
 * nonzero request is set whatever *_set says (a limit of 0 is no limit).
 *
 * init: an init container. sidecar: a native sidecar, an init container
 * with restartPolicy: Always (init may be set too or not). A regular init
 * container runs alone among the init containers, before the app
 * containers; a sidecar starts in the init sequence and keeps running beside
 * everything that comes after it - the init containers declared after it
 * and the app containers. So the order matters: give the init containers in
 * the spec's order (where the app containers are among them does not). */
struct cg_resources {
	int64_t cpu_request, cpu_limit;
	int64_t memory_request, memory_limit;
	bool cpu_request_set, memory_request_set;
	bool init;
	bool sidecar;
};

enum cg_qos { CG_GUARANTEED, CG_BURSTABLE, CG_BESTEFFORT };

/* Kubernetes' rules, over every container (init ones too): BestEffort when
 * no container has any request or limit; Guaranteed when every container
 * has a CPU and a memory limit and its requests equal them; else Burstable.
 * A request above its limit is invalid: EINVAL naming the container. */
int cg_qos_class(const struct cg_resources *ctrs, size_t n, enum cg_qos *qos);
const char *cg_qos_name(enum cg_qos qos); /* "Guaranteed", "Burstable", "BestEffort" */
/* Where kubelet puts the class's pods below its root: "", "burstable",
 * "besteffort" (Guaranteed pods sit directly under the root). */
const char *cg_qos_dir(enum cg_qos qos);

/* The pod cgroup's own values, as kubelet's ResourceConfigForPod (with
 * k8s.io/component-helpers' PodRequests and PodLimits): walking the init
 * containers in order, a sidecar adds to the sum of the app containers and
 * to a running total of sidecars; a regular init container needs its own
 * value plus the sidecars declared before it. The pod's value is the larger
 * of that sum and the largest such need, for requests and for limits alike.
 * A limit counts only when every container declares one (else 0: the pod is
 * not limited in that resource). BestEffort gets 0 everywhere, which
 * cg_cpu_config turns into the minimum shares. The pod's requests are
 * sums, never defaulted again: pod->*_request_set are true. */
int cg_pod_resources(const struct cg_resources *ctrs, size_t n, struct cg_resources *pod);

/* ---- the OOM killer's choice ------------------------------------------------------- */

/* When the whole node runs out of memory (not one cgroup: its own limit
 * makes a kill within it), the kernel kills the process with the highest
 * badness: the thousandths of the node's memory it uses, plus its
 * oom_score_adj, from -1000 (never) to 1000. kubelet picks the adj from the
 * QoS class, so the class decides who goes first. */
#define CG_OOM_ADJ_GUARANTEED (-997) /* kubelet's own is -999 */
#define CG_OOM_ADJ_SANDBOX    (-998) /* the pod's infra: containerd's, CRI-O's */
#define CG_OOM_ADJ_BESTEFFORT 1000

/* kubelet's GetContainerOOMScoreAdjust for container i of ctrs (given as
 * for cg_qos_class) on a node of node_memory bytes: Guaranteed -997,
 * BestEffort 1000; Burstable 1000 - 1000 * memory request / node_memory,
 * from 3 (above any Guaranteed container's score) to 999 (below a
 * BestEffort one's), so that a container using more than it requested
 * scores about 1000 - the first to go. A native sidecar no higher than
 * the app container that requests least: the app must not outlive the
 * sidecar it needs. EINVAL for node_memory <= 0 or i >= n. */
int cg_oom_score_adj(const struct cg_resources *ctrs, size_t n, size_t i, int64_t node_memory,
                     int *adj);

/* The node's memory as kubelet takes it (cadvisor's machine capacity):
 * MemTotal of /proc/meminfo, in bytes. */
int cg_node_memory(int64_t *bytes);

/* Write /proc/PID/oom_score_adj (pid 0: the caller's). A value below what
 * the process may lower itself to (its oom_score_adj_min, the last value a
 * privileged writer set) needs CAP_SYS_RESOURCE; without it (EACCES) the
 * caller's own value is the floor, as containerd's restrict_oom_score_adj
 * and rootless podman clamp it. *got: the value written. */
int cg_set_oom_score_adj(pid_t pid, int want, int *got);

/* ---- limits ------------------------------------------------------------------------ */

/* A container's memory: memory.max (v2) or memory.limit_in_bytes (v1); bytes
 * <= 0: no limit. Swap is limited to nothing, as kubelet does without swap
 * support: memory.swap.max 0 (v2, with a memory limit or without),
 * memory.memsw.limit_in_bytes = the limit (v1, where the kernel has swap
 * accounting; -1 without a limit). On v2 memory.oom.group is set: an OOM
 * kill kills the whole container, not one of its processes (kubelet since
 * 1.28). For the pod's own cgroup: cg_set_pod_memory. */
int cg_set_memory(const struct cg *cg, int64_t bytes);

/* The pod cgroup's memory limit, as kubelet's pod container manager sets it:
 * memory.max or memory.limit_in_bytes alone (bytes <= 0: no limit). Not
 * memory.oom.group: the OOM killer kills the highest cgroup that has it
 * between its victim and the cgroup that ran out (the root when the node
 * did), so set on the pod it would kill every container of the pod, pause
 * included, for one container's excess. The swap settings are the
 * containers'. */
int cg_set_pod_memory(const struct cg *cg, int64_t bytes);

/* What a CPU request and limit become in the kernel. */
struct cg_cpu {
	uint64_t shares; /* v1 cpu.shares, from the request: 2..262144 */
	uint64_t weight; /* v2 cpu.weight, converted from shares: 1..10000 */
	int64_t quota;   /* us per period, from the limit; -1: none */
	uint64_t period; /* us: 100000 */
};

#define CG_CPU_PERIOD 100000
#define CG_MIN_SHARES 2
#define CG_MAX_SHARES 262144
#define CG_MIN_QUOTA  1000

/* kubelet's conversion. request_milli and limit_milli are milliCPU, 0 when
 * not set; a request not set defaults to the limit. shares = request * 1024
 * / 1000 in [2, 262144]; quota = limit * period / 1000, at least 1000 us, -1
 * without a limit; weight = cg_cpu_weight(shares). Negative, or a request
 * above a limit: EINVAL. */
int cg_cpu_config(int64_t request_milli, int64_t limit_milli, struct cg_cpu *out);

/* cg_cpu_config of r's request and limit, where a request set to 0 stays 0
 * (the minimum shares, kubelet's MilliCPUToShares(0)) instead of being
 * taken for one not set. For a container, and for cg_pod_resources' sums. */
int cg_res_cpu_config(const struct cg_resources *r, struct cg_cpu *out);

/* cgroup v2's cpu.weight for v1 cpu.shares, as the OCI runtimes convert
 * them since 2025 (runc 1.3.2 through opencontainers/cgroups, crun 1.23):
 * with L = log2(shares), weight = ceil(10^((L^2 + 125 L) / 612 - 7/34)), a
 * curve through (2, 1), (1024, 100) and (262144, 10000): one CPU's request
 * weighs what the kernel's default does on both versions. Below 2 shares:
 * 1; from 262144: 10000. */
uint64_t cg_cpu_weight(uint64_t shares);

/* The CPU of a QoS class's own cgroup (ROOT/burstable, ROOT/besteffort), as
 * kubelet's QoS container manager sets it: besteffort the minimum, 2
 * shares, whatever its pods; burstable the shares of requests_milli, the
 * sum of its running pods' CPU requests (at least 2). No quota. Guaranteed
 * pods have no class cgroup: EINVAL. */
int cg_qos_cpu(enum cg_qos qos, int64_t requests_milli, struct cg_cpu *out);

/* cpu.shares + cpu.cfs_period_us + cpu.cfs_quota_us (v1) or cpu.weight +
 * cpu.max (v2). */
int cg_set_cpu(const struct cg *cg, const struct cg_cpu *cpu);

/* pids.max; max <= 0: no limit. */
int cg_set_pids(const struct cg *cg, int64_t max);

/* ---- devices ------------------------------------------------------------------------- */

/* The access bits are the kernel's BPF_DEVCG_ACC_* values. */
enum { CG_DEV_MKNOD = 1, CG_DEV_READ = 2, CG_DEV_WRITE = 4, CG_DEV_RWM = 7 };

struct cg_dev_rule {
	char type;       /* 'c', 'b', or 'a' (any) */
	int64_t major;   /* -1: any */
	int64_t minor;   /* -1: any */
	unsigned access; /* CG_DEV_* bits */
};

/* The container default, as runc's: mknod of any device; read, write and
 * mknod of null, zero, full, random, urandom, tty, ptmx and the ptys (136:*). */
extern const struct cg_dev_rule cg_default_devices[];
extern const size_t cg_n_default_devices;
/* privileged: everything (one rule). */
extern const struct cg_dev_rule cg_all_devices[];

/* Allow exactly rules, deny everything else. The v1 devices controller when
 * a v1 hierarchy has it (devices.deny "a", then devices.allow per rule),
 * else cg_set_devices_bpf. Call once, on a cgroup nothing is in yet. */
int cg_set_devices(const struct cg *cg, const struct cg_dev_rule *rules, size_t n);

/* The same as a BPF_PROG_TYPE_CGROUP_DEVICE program attached to cg in the
 * cgroup2 hierarchy: what v2 hosts have instead of devices.allow. On a
 * hybrid host both apply: the kernel asks the program, then v1. */
int cg_set_devices_bpf(const struct cg *cg, const struct cg_dev_rule *rules, size_t n);

/* The program's instructions for rules, into insns (room for max); returns
 * how many, or -1 (ENOSPC). Exposed for the tests and the lesson. */
struct bpf_insn;
int cg_dev_program(const struct cg_dev_rule *rules, size_t n, struct bpf_insn *insns, size_t max);

/* ---- what happened, what it uses ------------------------------------------------------ */

/* How many processes of cg the OOM killer killed: "oom_kill N" of
 * memory.events (v2) or memory.oom_control (v1, Linux 4.13+). */
int cg_oom_kills(const struct cg *cg, uint64_t *kills);

struct cg_stats {
	uint64_t cpu_usage_ns; /* CPU time used, all processes, since creation */
	uint64_t nr_periods;   /* CFS periods with a quota and runnable tasks */
	uint64_t nr_throttled; /* ... of which the quota ran out */
	uint64_t memory_usage; /* bytes charged (page cache included) */
	uint64_t working_set;  /* usage - inactive_file: what kubelet evicts on */
	uint64_t pids;         /* pids.current (0 without a pids controller) */
};

/* For `podrun top`, computed as kubelet and cAdvisor compute them. */
int cg_stats(const struct cg *cg, struct cg_stats *st);

/* ---- the end ------------------------------------------------------------------------------ */

/* SIGKILL every process in cg and in every cgroup beneath it, waiting until
 * they are gone (at most timeout_ms: ETIMEDOUT): where the cgroup2 hierarchy
 * has cgroup.kill, with it, until cgroup.events says "populated 0"; else
 * through each cgroup.procs of each hierarchy, until they are empty. */
int cg_kill(const struct cg *cg, int timeout_ms);

/* cg_kill, then rmdir the subtree bottom-up in every hierarchy (a cgroup
 * still busy: what it lists is killed, and rmdir tried again). A cgroup
 * that does not exist is fine: this removes what a process killed with
 * SIGKILL left behind, given the same relative path. */
int cg_remove(const struct cg *cg);

#endif
