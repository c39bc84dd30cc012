/*
 * step7_oomscore - whom the OOM killer takes when the whole node is out of
 * memory: /proc/PID/oom_score, and the oom_score_adj kubelet sets from the
 * QoS class.
 *
 * A cgroup's limit keeps an OOM kill inside the cgroup (step2_memory). When
 * the node itself runs out, the kernel picks one victim among all its
 * processes: the one with the highest badness, the thousandths of the
 * node's memory (RAM and swap) it uses plus its oom_score_adj (-1000 to
 * 1000). /proc/PID/oom_score shows (1000 + badness) x 2/3: 0 to 2000, a
 * scale kept for old readers. kubelet writes the adjustment of every
 * container: BestEffort 1000, Guaranteed -997, Burstable 1000 - 1000 x its
 * memory request / the node's memory. So of two containers that use as
 * much, the one that asked for less goes first, and one that uses more
 * than it asked for has a badness of about 1000, a BestEffort one's.
 *
 * Here the study note's two containers (App asks 1Gi, LogController 256Mi)
 * are two processes: each sets its own oom_score_adj as kubelet would on this
 * node, touches --use of memory, and waits; the step reads the kernel's
 * oom_score of each and says whom it would take first. Nothing is killed,
 * and no cgroup is made.
 *
 * Lowering an oom_score_adj below what a process may go down to needs
 * CAP_SYS_RESOURCE: without it (some VMs' root), -997 stays at the step's own
 * value, and the step says so.
 *
 * Syscalls: fork(2), mmap(2) of anonymous memory and a write to each page,
 * write(2) to /proc/self/oom_score_adj, read(2) of /proc/PID/oom_score.
 */
#include "lab6.h"

#include <getopt.h>
#include <sys/mman.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: step7_oomscore [OPTION]...\n"
	             "Show the oom_score kubelet's oom_score_adj gives a pod's containers.\n\n"
	             "  --qos CLASS      guaranteed, burstable (default) or besteffort: which\n"
	             "                   requests and limits the pod's containers have\n"
	             "  --use SIZE       memory each container touches (default 16M)\n"
	             "  --help           show this help\n");
}

#define MI (1LL << 20)
#define GI (1LL << 30)

struct container {
	const char *name;
	struct cg_resources res;
	pid_t pid;
	int want, got; /* oom_score_adj: kubelet's, and what the kernel took */
};

/* The child: the adjustment first (it is inherited, so a container's first
 * process sets it before anything else runs), then the memory, then "ready"
 * with what it got, and wait to be killed. */
static void contain(struct container *c, int64_t use, int ready)
{
	int got;
	if (cg_set_oom_score_adj(0, c->want, &got) < 0) {
		warn("%s", last_error());
		_exit(1);
	}
	char *mem =
	    mmap(NULL, (size_t)use, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		warn("mmap(%lld bytes): %s", (long long)use, strerror(errno));
		_exit(1);
	}
	/* a page counts once it is touched: malloc alone charges nothing */
	for (int64_t off = 0; off < use; off += 4096)
		mem[off] = 1;
	if (write(ready, &got, sizeof(got)) != sizeof(got))
		_exit(1);
	for (;;)
		pause();
}

static int read_proc_long(pid_t pid, const char *file, long *v)
{
	char path[64], buf[32];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (read_file(path, buf, sizeof(buf)) < 0 || parse_long(buf, -2000, 2000, v) < 0)
		return fail_msg(errno, "%s: %s", path, last_error());
	return 0;
}

int main(int argc, char **argv)
{
	const char *qos = "burstable";
	int64_t use = 16 * MI;
	static const struct option opts[] = {
	    {"qos", required_argument, NULL, 'q'},
	    {"use", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			qos = optarg;
			break;
		case 'u':
			use = lab6_bytes("--use", optarg);
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
	if (use < 4096 || use > GI)
		die_usage("option '--use': from 4K to 1G");

	/* The study note's pod, in the class asked for. */
	struct container ctrs[2] = {{.name = "App"}, {.name = "LogController"}};
	if (!strcmp(qos, "guaranteed")) {
		ctrs[0].res = (struct cg_resources){.cpu_limit = 500, .memory_limit = GI};
		ctrs[1].res = (struct cg_resources){.cpu_limit = 100, .memory_limit = 512 * MI};
	} else if (!strcmp(qos, "burstable")) {
		ctrs[0].res = (struct cg_resources){.cpu_request = 500, .memory_request = GI};
		ctrs[1].res = (struct cg_resources){
		    .cpu_request = 100, .memory_request = 256 * MI, .memory_limit = 512 * MI};
	} else if (strcmp(qos, "besteffort")) {
		die_usage("option '--qos': guaranteed, burstable or besteffort, not '%s'", qos);
	}
	struct cg_resources res[2] = {ctrs[0].res, ctrs[1].res};
	enum cg_qos class;
	int64_t node;
	if (cg_node_memory(&node) < 0 || cg_qos_class(res, 2, &class) < 0)
		die_last();
	printf("node memory (MemTotal): %lld MiB; the pod is %s\n", (long long)(node / MI),
	       cg_qos_name(class));
	for (size_t i = 0; i < 2; i++) {
		if (cg_oom_score_adj(res, 2, i, node, &ctrs[i].want) < 0)
			die_last();
		printf("%s: memory request %lld MiB -> kubelet's oom_score_adj %d\n", ctrs[i].name,
		       (long long)((res[i].memory_request ? res[i].memory_request
		                                          : res[i].memory_limit) /
		                   MI),
		       ctrs[i].want);
	}

	interrupt_defer();
	size_t ready = 0;
	for (size_t i = 0; i < 2; i++) {
		/* a pipe each, whose write end only the child keeps: a child
		 * that dies before it answers ends the read with EOF */
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			warn("pipe2: %s", strerror(errno));
			break;
		}
		fflush(NULL);
		ctrs[i].pid = fork();
		if (ctrs[i].pid == 0) {
			interrupt_restore();
			close(p[0]);
			contain(&ctrs[i], use, p[1]);
		}
		close(p[1]);
		ssize_t got = ctrs[i].pid > 0 ? read(p[0], &ctrs[i].got, sizeof(ctrs[i].got)) : -1;
		close(p[0]);
		if (ctrs[i].pid < 0) {
			warn("fork: %s", strerror(errno));
			break;
		}
		if (got != (ssize_t)sizeof(ctrs[i].got)) {
			warn("%s died before it was ready", ctrs[i].name);
			break;
		}
		ready++;
	}
	long score[2] = {0, 0};
	bool shown = ready == 2;
	for (size_t i = 0; shown && i < 2; i++) {
		long adj;
		if (read_proc_long(ctrs[i].pid, "oom_score", &score[i]) < 0 ||
		    read_proc_long(ctrs[i].pid, "oom_score_adj", &adj) < 0) {
			/* not die(): the two containers are still there to kill */
			warn("%s", last_error());
			shown = false;
			break;
		}
		printf("=> %s, pid %d, uses %lld MiB: oom_score_adj %ld", ctrs[i].name,
		       (int)ctrs[i].pid, (long long)(use / MI), adj);
		if (ctrs[i].got != ctrs[i].want)
			printf(" (not %d: no CAP_SYS_RESOURCE, so no lower than this step's own)",
			       ctrs[i].want);
		printf(", oom_score %ld\n", score[i]);
	}
	if (shown) {
		/* Of equals, the kernel takes the last it scans: oom_evaluate_task
		 * passes over a task only when it scores less than the one chosen
		 * so far, and for_each_process walks from the oldest process to
		 * the newest - LogController, forked second. oom_score is rounded,
		 * though: the kernel compares pages, where a tie here may not be one. */
		size_t k = score[1] >= score[0];
		const char *tie =
		    ", a tie: of equals the kernel takes the last it scans, the newest";
		printf("the OOM killer would take %s first (oom_score %ld%s)\n", ctrs[k].name,
		       score[k], score[0] == score[1] ? tie : "");
	}
	for (size_t i = 0; i < 2; i++)
		if (ctrs[i].pid > 0) {
			kill(ctrs[i].pid, SIGKILL);
			lab6_wait(ctrs[i].pid);
		}
	interrupt_check();
	return shown ? 0 : 1;
}
