/*
 * resources.c - a pod's requests and limits with lab 06's cgroups (see
 * resources.h).
 */
#include "resources.h"

#include "common.h"
#include "state.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* kubelet's root is kubepods; ours podrun, or $PODRUN_CGROUP (a name of its
 * own keeps two podrun setups - tests running side by side - apart). */
static const char *root_cgroup(void)
{
	const char *r = getenv("PODRUN_CGROUP");
	return r && *r && !strchr(r, '/') && strcmp(r, ".") && strcmp(r, "..") ? r : "podrun";
}

/* ROOT/cgroup-root-made: where podrun made its root (note_root_made). */
#define ROOT_MADE     "cgroup-root-made"
#define ROOT_MADE_MAX 8192

/* "1.5Gi", "512Mi", "300" as kubectl prints a quantity, for messages. */
static void fmt_bytes(int64_t b, char *out, size_t len)
{
	static const char *const units[] = {"", "Ki", "Mi", "Gi", "Ti"};
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, v == (int64_t)v ? "%.0f%s" : "%.2f%s", v, units[u]);
}

int res_node(int64_t *memory, int64_t *cpu_milli)
{
	const char *m = getenv("PODRUN_NODE_MEMORY"), *c = getenv("PODRUN_NODE_CPUS");
	if (m && *m) {
		if (spec_parse_quantity(m, memory) < 0)
			return fail_msg(EINVAL, "PODRUN_NODE_MEMORY=%s: %s", m, last_error());
	} else if (cg_node_memory(memory) < 0) {
		return -1;
	}
	if (c && *c) {
		if (spec_parse_milli(c, cpu_milli) < 0)
			return fail_msg(EINVAL, "PODRUN_NODE_CPUS=%s: %s", c, last_error());
	} else {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		*cpu_milli = (n > 0 ? n : 1) * 1000;
	}
	return 0;
}

/* The requests of the running pods whose cgroup is beneath class_rel
 * ("podrun/burstable"; NULL: every pod), but the pod whose cgroup is skip_rel
 * (NULL: none). */
static int sum_requests(const char *class_rel, const char *skip_rel, int64_t *memory,
                        int64_t *cpu_milli)
{
	char **names;
	size_t n;
	size_t len = class_rel ? strlen(class_rel) : 0;
	*memory = *cpu_milli = 0;
	if (state_list(&names, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX], req[64] = "", rel[CG_REL_MAX] = "";
		long long cpu = 0, mem = 0;
		/* Requests first: a pod that asks for nothing adds nothing, alive
		 * or not, and is not worth the three reads that tell. */
		if (state_pod_dir(names[i], dir, sizeof(dir)) < 0 ||
		    state_get(dir, "requests", req, sizeof(req)) < 0 ||
		    sscanf(req, "%lld %lld", &cpu, &mem) != 2 || (cpu == 0 && mem == 0))
			continue;
		if ((class_rel || skip_rel) && state_get(dir, "cgroup", rel, sizeof(rel)) < 0)
			continue;
		if ((class_rel && (strncmp(rel, class_rel, len) || rel[len] != '/')) ||
		    (skip_rel && !strcmp(rel, skip_rel)) || !state_live_pid(dir, "supervisor"))
			continue;
		*cpu_milli += cpu;
		*memory += mem;
	}
	state_free_list(names, n);
	return 0;
}

int res_requested(int64_t *memory, int64_t *cpu_milli)
{
	return sum_requests(NULL, NULL, memory, cpu_milli);
}

/*
 * kubelet's QoS container manager: the class cgroups, podrun/burstable and
 * podrun/besteffort, compete for CPU with the Guaranteed pods beside them,
 * so each gets the weight its pods asked for (cg_qos_cpu): besteffort the
 * minimum, burstable the sum of its running pods' CPU requests. Set each
 * time a pod of the class comes (extra_milli: its request, which the sum
 * does not count yet) or goes (its cgroup gone, or going: pod_rel is
 * skipped). With the state lock held, so that the sum is that of the pods
 * there are: none is admitted or removed meanwhile.
 */
/* The cgroup a pod's cgroup is in: ROOT/CLASS of ROOT/CLASS/pod-NAME, or
 * ROOT of ROOT/pod-NAME (Guaranteed). false when pod_rel has no parent. */
static bool parent_rel(const char *pod_rel, char *out, size_t len)
{
	snprintf(out, len, "%s", pod_rel);
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
	return slash != NULL;
}

static int set_class_cpu(const struct cg_host *h, const char *pod_rel, int64_t extra_milli)
{
	char class_rel[CG_REL_MAX];
	if (!parent_rel(pod_rel, class_rel, sizeof(class_rel)))
		return 0;
	const char *name = strrchr(class_rel, '/');
	if (!name)
		return 0; /* Guaranteed: directly under the root */
	enum cg_qos qos;
	if (!strcmp(name + 1, cg_qos_dir(CG_BURSTABLE)))
		qos = CG_BURSTABLE;
	else if (!strcmp(name + 1, cg_qos_dir(CG_BESTEFFORT)))
		qos = CG_BESTEFFORT;
	else
		return 0; /* no class of kubelet's: nothing to weigh */
	int64_t cpu = 0, mem;
	if (qos == CG_BURSTABLE && sum_requests(class_rel, pod_rel, &mem, &cpu) < 0)
		return -1;
	struct cg_cpu c;
	struct cg cls;
	if (cg_qos_cpu(qos, cpu + extra_milli, &c) < 0 || cg_open(h, class_rel, &cls) < 0)
		return -1;
	return cg_set_cpu(&cls, &c);
}

/* After a pod's cgroup went: its class's weight without it, if the class
 * cgroup is still there (the last pod takes it along). Nothing to report
 * when it fails: the pod is gone either way, and the next pod sets it. */
static void reset_class_cpu(const struct cg_host *h, const char *pod_rel)
{
	char class_rel[CG_REL_MAX], path[PATH_MAX];
	struct cg cls;
	if (!parent_rel(pod_rel, class_rel, sizeof(class_rel)))
		return;
	if (cg_open(h, class_rel, &cls) < 0 || cg_path(&cls, CG_CPU, path, sizeof(path)) < 0 ||
	    access(path, F_OK) < 0)
		return;
	set_class_cpu(h, pod_rel, 0);
}

static void to_cg(const struct spec_container *sc, struct cg_resources *r)
{
	*r = (struct cg_resources){
	    .cpu_request = sc->res.cpu_request,
	    .cpu_limit = sc->res.cpu_limit,
	    .memory_request = sc->res.memory_request,
	    .memory_limit = sc->res.memory_limit,
	    /* spec.c defaulted the requests as the API server does: a 0 now
	     * is a request of 0 (asked for, or no request and no limit). */
	    .cpu_request_set = true,
	    .memory_request_set = true,
	    .init = sc->is_init,
	    /* A native sidecar runs beside the app containers and beside the
	     * init containers declared after it: cg_pod_resources adds it up
	     * with them, in the spec's order (sp->ctrs keeps it). */
	    .sidecar = sc->sidecar,
	};
}

/*
 * kubelet's podPidsLimit (--pod-max-pids): how many processes and threads
 * the pod's cgroup may hold at once. A fork bomb in a container takes every
 * pid of the node otherwise, and the host's own daemons fail to fork: the
 * pod reaches the host. kubelet leaves the limit off by default; podrun,
 * like CRI-O (pids_limit) and podman, does not.
 */
#define POD_PIDS_DEFAULT 1024
#define PID_MAX_LIMIT    4194304 /* the kernel's ceiling of pid_max */

static int pod_pids_limit(int64_t *out)
{
	const char *v = getenv("PODRUN_POD_PIDS_LIMIT");
	long n = POD_PIDS_DEFAULT;
	if (v && *v && (parse_long(v, -1, PID_MAX_LIMIT, &n) < 0 || n == 0))
		return fail_msg(EINVAL,
		                "PODRUN_POD_PIDS_LIMIT=%s: a number of processes from 1 to %d, or "
		                "-1 for no limit (default %d)",
		                v, PID_MAX_LIMIT, POD_PIDS_DEFAULT);
	*out = n;
	return 0;
}

int res_admit(const struct pod_spec *sp, struct res_pod *rp)
{
	memset(rp, 0, sizeof(*rp));
	if (pod_pids_limit(&rp->pids_max) < 0)
		return -1;
	struct cg_resources *r = calloc(sp->n_ctrs, sizeof(*r));
	if (!r)
		return fail_msg(ENOMEM, "out of memory");
	for (size_t i = 0; i < sp->n_ctrs; i++)
		to_cg(&sp->ctrs[i], &r[i]);
	int rc = cg_qos_class(r, sp->n_ctrs, &rp->qos);
	if (rc == 0)
		rc = cg_pod_resources(r, sp->n_ctrs, &rp->total);
	free(r);
	if (rc < 0)
		return -1;

	/* The scheduler's fit, on the one node there is: what the pod requests
	 * against what the node has minus what the running pods requested. As
	 * in NodeResourcesFit, a resource the pod does not request is not
	 * checked, and a pod that requests nothing fits any node, however full:
	 * its start reads none of the other pods' requests. */
	int64_t mem, cpu, used_mem = 0, used_cpu = 0;
	if (res_node(&mem, &cpu) < 0)
		return -1;
	rp->node_memory = mem;
	const int64_t want_mem = rp->total.memory_request, want_cpu = rp->total.cpu_request;
	if ((want_mem > 0 || want_cpu > 0) && res_requested(&used_mem, &used_cpu) < 0)
		return -1;
	if (want_mem > 0 && want_mem > mem - used_mem) {
		char want[32], have[32], used[32];
		fmt_bytes(want_mem, want, sizeof(want));
		fmt_bytes(mem, have, sizeof(have));
		fmt_bytes(used_mem, used, sizeof(used));
		return fail_msg(ENOSPC,
		                "pod %s: Insufficient memory: it requests %s, the node has %s "
		                "(PODRUN_NODE_MEMORY), %s of it requested by running pods",
		                sp->name, want, have, used);
	}
	if (want_cpu > 0 && want_cpu > cpu - used_cpu)
		return fail_msg(ENOSPC,
		                "pod %s: Insufficient cpu: it requests %lldm, the node has %lldm "
		                "(PODRUN_NODE_CPUS), %lldm of it requested by running pods",
		                sp->name, (long long)want_cpu, (long long)cpu, (long long)used_cpu);
	return 0;
}

/* Limits of one cgroup: memory, CPU. The pod's memory is its limit alone
 * (cg_set_pod_memory: memory.oom.group on the pod would let one container's
 * OOM kill the whole pod); a container's also bounds swap and, on v2, makes
 * an OOM kill take the whole container. */
static int set_limits(const struct cg *cg, const struct cg_resources *r, bool pod)
{
	struct cg_cpu cpu;
	if (cg_res_cpu_config(r, &cpu) < 0 || cg_set_cpu(cg, &cpu) < 0)
		return -1;
	return pod ? cg_set_pod_memory(cg, r->memory_limit) : cg_set_memory(cg, r->memory_limit);
}

/*
 * podrun's root cgroup is podrun's to remove only where podrun made it. An
 * administrator may make it beforehand, to bound every pod together (a
 * memory or pids limit on the root): the last pod's clean-up must not take
 * it, and the bound, along. So before a pod's cgroups are made, the root's
 * directory in each hierarchy that does not have it yet is noted in
 * ROOT/cgroup-root-made, one path a line, and the clean-up removes only what
 * is listed there (remove_root). Both run with the state lock held. Noted
 * before the mkdir: a podrun killed right after it still leaves the note.
 */
static int note_root_made(const struct cg_host *h)
{
	char list[ROOT_MADE_MAX], dir[PATH_MAX];
	const char *b[CG_NCTRL + 1];
	struct cg root;
	if (state_get(state_root(), ROOT_MADE, list, sizeof(list)) < 0 && errno != ENOENT)
		return -1;
	if (cg_open(h, root_cgroup(), &root) < 0)
		return -1;
	size_t len = strlen(list), was = len, nb = cg_bases(h, b);
	for (size_t i = 0; i < nb; i++) {
		if (snprintf(dir, sizeof(dir), "%s/%s", b[i], root.rel) >= (int)sizeof(dir) ||
		    in_list(list, '\n', dir) || access(dir, F_OK) == 0 || errno != ENOENT)
			continue;
		int n = snprintf(list + len, sizeof(list) - len, "%s\n", dir);
		if (n < 0 || (size_t)n >= sizeof(list) - len)
			return fail_msg(ENAMETOOLONG, "%s/%s: too long", state_root(), ROOT_MADE);
		len += (size_t)n;
	}
	return len == was ? 0 : state_put_bytes(state_root(), ROOT_MADE, list, len);
}

int res_pod_create(struct res_pod *rp, const struct pod_spec *sp, const char *pod_dir)
{
	if (cg_detect(&rp->host, NULL, NULL) < 0)
		return -1;
	char rel[CG_REL_MAX], self[4096];
	const char *qos = cg_qos_dir(rp->qos);
	if (snprintf(rel, sizeof(rel), "%s%s%s/pod-%s", root_cgroup(), *qos ? "/" : "", qos,
	             sp->name) >= (int)sizeof(rel))
		return fail_msg(ENAMETOOLONG, "cgroup for pod %s: name too long", sp->name);
	/* Where this supervisor runs, for the podrun that cleans up after it:
	 * the same relative path means something else from another cgroup. */
	if (read_file("/proc/self/cgroup", self, sizeof(self)) < 0 ||
	    state_put(pod_dir, "cgroup_self", "%s", self) < 0 ||
	    state_put(pod_dir, "cgroup", "%s", rel) < 0 ||
	    state_put(pod_dir, "qos", "%s", cg_qos_name(rp->qos)) < 0 ||
	    state_put(pod_dir, "requests", "%lld %lld", (long long)rp->total.cpu_request,
	              (long long)rp->total.memory_request) < 0)
		return -1;
	if (note_root_made(&rp->host) < 0 || cg_create(&rp->host, rel, &rp->pod) < 0)
		return -1;
	rp->created = true;
	if (set_limits(&rp->pod, &rp->total, true) < 0 || cg_set_pids(&rp->pod, rp->pids_max) < 0 ||
	    set_class_cpu(&rp->host, rel, rp->total.cpu_request) < 0)
		return -1;
	/* pause counts against the pod, as the sandbox does under kubelet. A
	 * leaf of its own: cgroup v2 allows no process in a cgroup whose
	 * controllers are given to children. "POD" is what Docker named
	 * kubelet's infra container (k8s_POD_...), and no container's name: a
	 * DNS label has no capital letter. */
	char leaf[CG_REL_MAX];
	if (snprintf(leaf, sizeof(leaf), "%s/POD", rel) >= (int)sizeof(leaf))
		return fail_msg(ENAMETOOLONG, "cgroup for pod %s: name too long", sp->name);
	return cg_create(&rp->host, leaf, &rp->sandbox);
}

int res_moves_expedited(bool *expedited)
{
	/* synchronize_rcu() is expedited when rcu_expedited is set, unless
	 * rcu_normal overrides it (kernel/rcu/update.c, rcu_gp_is_expedited and
	 * rcu_gp_is_normal). A kernel without the files: a normal one. */
	const char *forced = getenv("PODRUN_RCU_EXPEDITED");
	if (forced && *forced) {
		if (strcmp(forced, "0") != 0 && strcmp(forced, "1") != 0)
			return fail_msg(EINVAL,
			                "PODRUN_RCU_EXPEDITED=%s: 0 or 1 (the kernel's, unset)",
			                forced);
		*expedited = forced[0] == '1';
		return 0;
	}
	char v[16];
	long on;
	*expedited = read_file("/sys/kernel/rcu_expedited", v, sizeof(v)) >= 0 &&
	             parse_long(v, 0, INT_MAX, &on) == 0 && on != 0 &&
	             !(read_file("/sys/kernel/rcu_normal", v, sizeof(v)) >= 0 &&
	               parse_long(v, 0, INT_MAX, &on) == 0 && on != 0);
	return 0;
}

void res_warm_moves(void)
{
	bool expedited;
	if (res_moves_expedited(&expedited) < 0 || expedited)
		return; /* nothing to wait out (or a bad setting, the pod's to report) */
	struct cg_host *h = calloc(1, sizeof(*h));
	if (!h || cg_detect(h, NULL, NULL) < 0) {
		free(h);
		return;
	}
	const char *own = h->unified;
	for (int c = 0; c < CG_NCTRL; c++)
		if (h->dir[c][0])
			own = h->dir[c];
	char path[PATH_MAX];
	bool ok =
	    own[0] && snprintf(path, sizeof(path), "%s/cgroup.procs", own) < (int)sizeof(path);
	free(h);
	if (!ok)
		return;
	/* A process, not a thread: podrun forks and executes itself next, and a
	 * child of a process with other threads may find a lock they held (in
	 * libc, in a sanitizer) held forever. A grandchild, whose parent exits
	 * at once: nobody has to reap it later, in a podrun that has executed
	 * itself again meanwhile (init does, or the nearest subreaper). It only
	 * makes system calls. */
	pid_t pid = fork();
	if (pid == 0) {
		if (fork() == 0)
			_exit(write_file(path, "0") < 0); /* failed: pause waits instead */
		_exit(0);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
		}
}

int res_ctr_create(const struct res_pod *rp, const struct pod_spec *sp, size_t i,
                   struct res_member *out)
{
	const struct spec_container *sc = &sp->ctrs[i];
	char rel[CG_REL_MAX];
	if (snprintf(rel, sizeof(rel), "%s/%s", rp->pod.rel, sc->name) >= (int)sizeof(rel))
		return fail_msg(ENAMETOOLONG, "cgroup for container %s: name too long", sc->name);
	struct cg_resources *all = calloc(sp->n_ctrs, sizeof(*all));
	if (!all)
		return fail_msg(ENOMEM, "out of memory");
	for (size_t k = 0; k < sp->n_ctrs; k++)
		to_cg(&sp->ctrs[k], &all[k]);
	int rc = cg_oom_score_adj(all, sp->n_ctrs, i, rp->node_memory, &out->oom_score_adj);
	/* kubelet asks this first: a node-critical pod (a CNI plugin, a log
	 * agent the node needs) is the OOM killer's last choice whatever its
	 * class */
	if (spec_node_critical(sp))
		out->oom_score_adj = CG_OOM_ADJ_GUARANTEED;
	struct cg_resources r = all[i];
	free(all);
	if (rc < 0 || cg_create(&rp->host, rel, &out->cg) < 0 ||
	    set_limits(&out->cg, &r, false) < 0)
		return -1;
	/* The second wall behind nodev (lab 03): a device node the container
	 * makes cannot be opened unless the allow-list names it. */
	if (sc->privileged)
		return cg_set_devices(&out->cg, cg_all_devices, 1);
	return cg_set_devices(&out->cg, cg_default_devices, cg_n_default_devices);
}

int res_place(struct res_member *m, pid_t pid)
{
	return cg_attach(&m->cg, pid) < 0
	           ? -1
	           : cg_set_oom_score_adj(pid, m->oom_score_adj, &m->oom_score_adj);
}

int res_place_sandbox(const struct res_pod *rp, pid_t pid)
{
	int got;
	return cg_attach(&rp->sandbox, pid) < 0
	           ? -1
	           : cg_set_oom_score_adj(pid, CG_OOM_ADJ_SANDBOX, &got);
}

int res_enter(void *arg)
{
	const struct res_member *m = arg;
	int got;
	if (cg_enter(&m->cg) < 0)
		return -1;
	return m->oom_score_adj == RES_ADJ_NONE ? 0
	                                        : cg_set_oom_score_adj(0, m->oom_score_adj, &got);
}

bool res_oom_killed(const struct cg *cg, uint64_t *seen)
{
	uint64_t kills;
	if (cg_oom_kills(cg, &kills) < 0 || kills <= *seen)
		return false;
	*seen = kills;
	return true;
}

/* Remove the root's directories that podrun made, once they are empty, and
 * forget those that are gone. */
static void remove_root(void)
{
	char list[ROOT_MADE_MAX], keep[ROOT_MADE_MAX], path[PATH_MAX];
	size_t k = 0, was;
	if (state_get(state_root(), ROOT_MADE, list, sizeof(list)) < 0)
		return; /* podrun made none: an administrator's root stays */
	was = strlen(list);
	for (char *p = list, *end; *p; p = end) {
		end = strchrnul(p, '\n');
		if (*end)
			*end++ = '\0';
		if (rmdir(p) < 0 && errno != ENOENT)
			k += (size_t)snprintf(keep + k, sizeof(keep) - k, "%s\n", p);
	}
	snprintf(path, sizeof(path), "%s/%s", state_root(), ROOT_MADE);
	if (k == 0)
		unlink(path);
	else if (k < was + 1) /* rewritten only when one went */
		state_put_bytes(state_root(), ROOT_MADE, keep, k);
}

/* podrun/<qos> and podrun stay while another pod uses them; the last pod
 * takes them along (rmdir fails on a cgroup that has children), podrun
 * itself where podrun made it. The caller holds the state lock, so no pod
 * is being created beneath them meanwhile. */
static void remove_empty_parents(const struct cg_host *h, const char *rel)
{
	char up[CG_REL_MAX];
	const char *b[CG_NCTRL + 1];
	size_t nb = cg_bases(h, b);
	snprintf(up, sizeof(up), "%s", rel);
	for (char *slash; (slash = strrchr(up, '/'));) {
		*slash = '\0';
		if (!strchr(up, '/')) {
			remove_root();
			return;
		}
		struct cg cg;
		char path[PATH_MAX];
		bool busy = false;
		if (cg_open(h, up, &cg) < 0) /* rel came from a state file: checked */
			return;
		for (size_t i = 0; i < nb; i++)
			if (snprintf(path, sizeof(path), "%s/%s", b[i], cg.rel) <
			        (int)sizeof(path) &&
			    rmdir(path) < 0)
				busy |= errno == EBUSY || errno == ENOTEMPTY;
		if (busy)
			return; /* another pod's: so is every level above it */
	}
}

void res_pod_remove(struct res_pod *rp)
{
	if (!rp->created)
		return;
	cg_remove(&rp->pod);
	remove_empty_parents(&rp->host, rp->pod.rel);
	reset_class_cpu(&rp->host, rp->pod.rel);
	rp->created = false;
}

int res_clean(const char *pod_dir)
{
	char rel[CG_REL_MAX], self[4096];
	if (state_get(pod_dir, "cgroup", rel, sizeof(rel)) < 0 || !rel[0] ||
	    state_get(pod_dir, "cgroup_self", self, sizeof(self)) < 0)
		return 0; /* the pod never got as far as its cgroup */
	struct cg_host *h = malloc(sizeof(*h));
	if (!h)
		return fail_msg(ENOMEM, "out of memory");
	struct cg cg;
	int rc = cg_detect(h, NULL, self);
	if (rc == 0)
		rc = cg_open(h, rel, &cg);
	if (rc == 0 && (rc = cg_remove(&cg)) == 0) {
		remove_empty_parents(h, rel);
		reset_class_cpu(h, rel);
	}
	free(h);
	return rc;
}
