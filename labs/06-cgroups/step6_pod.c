/*
 * step6_pod - kubelet's cgroup tree for a pod: a root, one directory per
 * QoS class, one cgroup per pod and one per container inside it.
 *
 *   ROOT/                         (kubelet: kubepods)
 *   ROOT/pod-NAME/APP             Guaranteed pods, directly under the root
 *   ROOT/burstable/pod-NAME/APP
 *   ROOT/besteffort/pod-NAME/APP
 *
 * The class cgroups get a CPU weight of their own, as kubelet's QoS manager
 * sets them: besteffort the minimum (2 shares), burstable its pods' CPU
 * requests together.
 *
 * The pod's cgroup gets limits of its own - the sum of its containers'
 * (when every container has one) - so that the pod as a whole, the unit the
 * scheduler placed, never takes more than it was scheduled for. The pod is
 * the study note's: App needs 1Gi, LogController 512Mi. Each container is a
 * process that entered its cgroup before running.
 *
 * The root is the step's own, lab6-PID, unless --root names another. At the
 * end the step removes what it made and nothing else: its pod's cgroup, then
 * the root and the QoS directory if this run created them and they are empty.
 * So --root podrun beside a running podrun (whose root is podrun too) never
 * touches podrun's pods.
 *
 * --remove ROOT removes a tree that a killed run left behind: the cgroups
 * are named by their path, so a later process finds them, kills what is in
 * them and removes them bottom-up.
 *
 * Syscalls: mkdir(2) and write(2) on cgroupfs files, fork(2) and a write
 * to cgroup.procs in each child, rmdir(2); /proc/PID/cgroup to look.
 */
#include "lab6.h"

#include <getopt.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: step6_pod [OPTION]...\n"
	             "Build kubelet's cgroup tree for a two-container pod and run it.\n\n"
	             "  --qos CLASS      guaranteed, burstable (default) or besteffort: which\n"
	             "                   requests and limits the pod's containers have\n"
	             "  --name NAME      the pod's name (default javaweb)\n"
	             "  --root NAME      the tree's root, below this process's cgroup (default\n"
	             "                   lab6-PID); only what this run makes in it is removed\n"
	             "  --remove ROOT    only remove the tree ROOT, all of it (left by a killed\n"
	             "                   run)\n"
	             "  --hold           keep the pod until stdin reaches EOF or Ctrl-C\n"
	             "  --help           show this help\n");
}

#define MI (1LL << 20)
#define GI (1LL << 30)

struct container {
	const char *name;
	struct cg_resources res;
};

/* The study note's pod, in three variants. */
static const struct container guaranteed[] = {
    {"app", {.cpu_request = 500, .cpu_limit = 500, .memory_request = GI, .memory_limit = GI}},
    {"log",
     {.cpu_request = 250, .cpu_limit = 250, .memory_request = 512 * MI, .memory_limit = 512 * MI}},
};
static const struct container burstable[] = {
    {"app", {.cpu_request = 500, .memory_request = GI, .memory_limit = GI}},
    {"log", {.cpu_request = 100, .memory_request = 256 * MI, .memory_limit = 512 * MI}},
};
static const struct container besteffort[] = {{"app", {0}}, {"log", {0}}};

static int sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* Set what res says on cg: memory limit, and CPU shares and quota. A pod's
 * cgroup gets its memory limit alone: memory.oom.group there would make one
 * container's OOM kill the whole pod. */
static int set_limits(const struct cg *cg, const struct cg_resources *res, bool pod)
{
	struct cg_cpu cpu;
	if (cg_res_cpu_config(res, &cpu) < 0 || cg_set_cpu(cg, &cpu) < 0)
		return -1;
	if ((pod ? cg_set_pod_memory : cg_set_memory)(cg, res->memory_limit) < 0)
		return -1;
	/* no limit is no number: the kernel's "max" (v2), -1 and 2^63 rounded
	 * down to a page (v1) */
	char quota[32] = "none", memory[32] = "none";
	if (cpu.quota >= 0)
		snprintf(quota, sizeof(quota), "%lld us", (long long)cpu.quota);
	if (res->memory_limit)
		snprintf(memory, sizeof(memory), "%lld MiB", (long long)(res->memory_limit / MI));
	printf("  %-40s cpu.shares %6llu  quota %10s  memory limit %s\n", cg->rel,
	       (unsigned long long)cpu.shares, quota, memory);
	return 0;
}

/* What this run made: the pod's cgroup always (it refuses one that exists),
 * and of its parents those that did not exist before, deepest first
 * (ROOT/burstable, ROOT), each as the length of its prefix of pod.rel. */
struct made {
	struct cg pod;
	size_t parents[CG_REL_MAX / 2];
	size_t n_parents;
};

/* rmdir rel in every hierarchy, unless something else came to live in it
 * meanwhile (another pod, a process): then rmdir fails with EBUSY and it
 * stays, as it must. */
static int rmdir_if_unused(const struct cg_host *h, const char *rel)
{
	char dirs[CG_NCTRL + 1][PATH_MAX];
	size_t n = lab6_dirs_of(h, rel, dirs);
	for (size_t i = 0; i < n; i++)
		if (rmdir(dirs[i]) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY)
			return fail_errno("rmdir(%s)", dirs[i]);
	return 0;
}

/* Kill and remove the pod's cgroup, then the parents this run made. Never
 * the whole root: it may be shared (--root podrun), and what others keep
 * there is theirs. */
static int remove_made(const struct made *m)
{
	if (cg_remove(&m->pod) < 0)
		return -1;
	for (size_t i = 0; i < m->n_parents; i++) {
		char rel[CG_REL_MAX];
		snprintf(rel, sizeof(rel), "%.*s", (int)m->parents[i], m->pod.rel);
		if (rmdir_if_unused(m->pod.host, rel) < 0)
			return -1;
	}
	return 0;
}

/*
 * The class cgroup (ROOT/burstable, ROOT/besteffort) competes for CPU with
 * the Guaranteed pods beside it under the root. kubelet's QoS manager gives
 * it the weight of what its pods asked for (cg_qos_cpu): besteffort the
 * minimum, burstable the sum of its pods' CPU requests, updated as pods
 * come and go. Left at the default 1024, all BestEffort pods together would
 * weigh as much as a pod that requested a whole CPU. This run's pod is the
 * only one of a class the run made; a class that was there already is
 * another's (podrun's, under --root podrun), which keeps it for its pods.
 */
static int set_class(const struct made *m, enum cg_qos qos, int64_t request_milli)
{
	size_t len = (size_t)(strrchr(m->pod.rel, '/') - m->pod.rel);
	bool made = false;
	for (size_t i = 0; i < m->n_parents; i++)
		made = made || m->parents[i] == len;
	char rel[CG_REL_MAX];
	snprintf(rel, sizeof(rel), "%.*s", (int)len, m->pod.rel);
	if (!made) {
		printf("  %-40s kept: another's class, set for its pods\n", rel);
		return 0;
	}
	struct cg_cpu cpu;
	struct cg cls;
	if (cg_qos_cpu(qos, request_milli, &cpu) < 0 || cg_open(m->pod.host, rel, &cls) < 0 ||
	    cg_set_cpu(&cls, &cpu) < 0)
		return -1;
	printf("  %-40s cpu.shares %6llu  (the class: %s)\n", rel, (unsigned long long)cpu.shares,
	       qos == CG_BURSTABLE ? "its pods' CPU requests" : "the minimum");
	return 0;
}

static NORETURN void fail_and_remove(const struct made *m)
{
	char why[1024];
	snprintf(why, sizeof(why), "%s", last_error());
	if (remove_made(m) < 0)
		warn("%s", last_error());
	die("%s", why);
}

int main(int argc, char **argv)
{
	const char *qos_arg = "burstable", *name = "javaweb", *root_name = NULL, *remove = NULL;
	char root_buf[64];
	bool hold = false;
	static const struct option opts[] = {
	    {"qos", required_argument, NULL, 'q'},
	    {"name", required_argument, NULL, 'n'},
	    {"root", required_argument, NULL, 'r'},
	    {"remove", required_argument, NULL, 'R'},
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			qos_arg = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'r':
			root_name = optarg;
			break;
		case 'R':
			remove = optarg;
			break;
		case 'H':
			hold = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	if (!root_name) {
		snprintf(root_buf, sizeof(root_buf), "lab6-%d", (int)getpid());
		root_name = root_buf;
	}

	struct cg_host host;
	lab6_detect(&host);
	struct cg root;
	if (remove) {
		if (cg_open(&host, remove, &root) < 0)
			die_usage("%s", last_error());
		lab6_remove(&root);
		return 0;
	}

	const struct container *ctrs;
	size_t n = 2;
	if (!strcmp(qos_arg, "guaranteed"))
		ctrs = guaranteed;
	else if (!strcmp(qos_arg, "burstable"))
		ctrs = burstable;
	else if (!strcmp(qos_arg, "besteffort"))
		ctrs = besteffort;
	else
		die_usage("option '--qos': '%s' is not guaranteed, burstable or besteffort",
		          qos_arg);
	if (cg_open(&host, root_name, &root) < 0)
		die_usage("option '--root': %s", last_error());

	struct cg_resources res[2], pod_res;
	for (size_t i = 0; i < n; i++)
		res[i] = ctrs[i].res;
	enum cg_qos qos;
	if (cg_qos_class(res, n, &qos) < 0 || cg_pod_resources(res, n, &pod_res) < 0)
		die_last();
	printf("pod %s: QoS class %s\n", name, cg_qos_name(qos));

	char rel[CG_REL_MAX];
	const char *dir = cg_qos_dir(qos);
	if (snprintf(rel, sizeof(rel), "%s/%s%spod-%s", root_name, dir, *dir ? "/" : "", name) >=
	    (int)sizeof(rel))
		die_usage("the pod's cgroup path is too long");
	struct made m = {0};
	if (cg_open(&host, rel, &m.pod) < 0)
		die_usage("option '--name': %s", last_error());
	/* A pod cgroup already there is another run's (or a live pod's, under
	 * --root podrun): this run would remove it at the end. */
	if (lab6_exists_anywhere(&host, rel))
		die("cgroup %s exists already: another pod's (remove a killed run's tree with "
		    "--remove %s)",
		    rel, root_name);
	for (char *slash = strrchr(rel, '/'); slash;
	     slash = memrchr(rel, '/', (size_t)(slash - rel))) {
		*slash = '\0';
		bool there = lab6_exists_anywhere(&host, rel);
		*slash = '/';
		if (there)
			break; /* and so are the ones above it */
		m.parents[m.n_parents++] = (size_t)(slash - rel);
	}

	interrupt_defer();
	struct cg ctr[2];
	printf("=> the pod's cgroup and its containers'\n");
	if (cg_create(&host, rel, &m.pod) < 0)
		fail_and_remove(&m);
	if (qos != CG_GUARANTEED && set_class(&m, qos, pod_res.cpu_request) < 0)
		fail_and_remove(&m);
	if (set_limits(&m.pod, &pod_res, true) < 0)
		fail_and_remove(&m);
	for (size_t i = 0; i < n; i++) {
		char crel[CG_REL_MAX + 8];
		snprintf(crel, sizeof(crel), "%s/%s", rel, ctrs[i].name);
		if (cg_create(&host, crel, &ctr[i]) < 0 ||
		    set_limits(&ctr[i], &res[i], false) < 0 ||
		    cg_set_devices(&ctr[i], cg_default_devices, cg_n_default_devices) < 0)
			fail_and_remove(&m);
	}
	pid_t pids[2] = {0, 0};
	for (size_t i = 0; i < n; i++) {
		pids[i] = lab6_spawn(&ctr[i], sleeper, NULL);
		if (pids[i] < 0)
			fail_and_remove(&m);
		printf("container %s pid %d in %s\n", ctrs[i].name, (int)pids[i], ctr[i].rel);
	}
	printf("look: cat /proc/%d/cgroup\n", (int)pids[0]);
	fflush(stdout);
	if (hold)
		hold_until_eof();
	step("removing cgroup %s (kill, then rmdir bottom-up)%s", rel,
	     m.n_parents ? ", then the parents this run made" : "");
	if (remove_made(&m) < 0)
		die_last();
	step_done();
	for (size_t i = 0; i < n; i++)
		lab6_wait(pids[i]);
	interrupt_check();
	return 0;
}
