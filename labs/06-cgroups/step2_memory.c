/*
 * step2_memory - a memory limit and the OOM killer: a process that touches
 * more memory than its cgroup may use is killed with SIGKILL, and the
 * cgroup counts the kill.
 *
 * The limit is on memory the process really uses: malloc(3) alone only
 * reserves addresses; the kernel charges a page to the cgroup when it is
 * first touched. Past the limit the kernel first reclaims (page cache,
 * swap); when nothing is left to reclaim it picks a process of the cgroup
 * and kills it. That is a container's "OOMKilled": exit code 137 (128 +
 * SIGKILL), and oom_kill in memory.events (v2) or memory.oom_control (v1).
 *
 * Syscalls: mkdir(2) of a cgroup, write(2) to memory.max or
 * memory.limit_in_bytes and to cgroup.procs, fork(2), mmap(2) through
 * malloc, waitpid(2); rmdir(2).
 */
#include "lab6.h"

#include <getopt.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: step2_memory [OPTION]...\n"
	             "Run a process that allocates memory in a cgroup with a memory limit.\n\n"
	             "  --memory BYTES   the limit (default 64M; K, M, G suffixes)\n"
	             "  --alloc BYTES    how much the process touches (default 256M)\n"
	             "  --cgroup NAME    the cgroup, one name below this process's own\n"
	             "                   (default lab6-PID)\n"
	             "  --hold           after the process ended, keep the cgroup until stdin\n"
	             "                   reaches EOF or Ctrl-C\n"
	             "  --help           show this help\n");
}

static int64_t alloc_bytes;

/* Touch alloc_bytes of memory, one MiB at a time; a page is charged to the
 * cgroup when it is first written. Nothing is freed: holding the memory until
 * the process ends is the point, so -fanalyzer's leak report is silenced. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int hog(void *arg)
{
	(void)arg;
	const size_t chunk = 1 << 20;
	for (int64_t done = 0; done < alloc_bytes; done += (int64_t)chunk) {
		char *p = malloc(chunk);
		if (!p) {
			fprintf(stderr, "malloc: out of memory after %lld MiB\n",
			        (long long)(done >> 20));
			return 1;
		}
		memset(p, 1, chunk);
	}
	printf("  the process touched %lld MiB and exits\n", (long long)(alloc_bytes >> 20));
	return 0;
}
#pragma GCC diagnostic pop

int main(int argc, char **argv)
{
	int64_t limit = 64 << 20;
	const char *rel = NULL;
	char relbuf[64];
	bool hold = false;
	alloc_bytes = 256 << 20;
	static const struct option opts[] = {
	    {"memory", required_argument, NULL, 'm'}, {"alloc", required_argument, NULL, 'a'},
	    {"cgroup", required_argument, NULL, 'c'}, {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},         {0},
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			limit = lab6_bytes("--memory", optarg);
			break;
		case 'a':
			alloc_bytes = lab6_bytes("--alloc", optarg);
			break;
		case 'c':
			rel = optarg;
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
	if (limit < (4 << 20))
		die_usage("option '--memory': at least 4M (the process itself needs some)");
	if (!rel) {
		snprintf(relbuf, sizeof(relbuf), "lab6-%d", (int)getpid());
		rel = relbuf;
	}
	lab6_check_name(rel);

	struct cg_host host;
	lab6_detect(&host);
	lab6_refuse_existing(&host, rel);
	interrupt_defer();
	struct cg cg;
	step("creating cgroup %s", rel);
	if (cg_create(&host, rel, &cg) < 0)
		die_last();
	char dir[PATH_MAX];
	if (cg_path(&cg, CG_MEMORY, dir, sizeof(dir)) < 0 || cg_set_memory(&cg, limit) < 0)
		lab6_die_removing(&cg);
	step_done_with("memory limit %lld MiB", (long long)(limit >> 20));
	printf("memory cgroup: %s\n", dir);
	printf("limit file: %s/%s\n", dir,
	       host.v2[CG_MEMORY] ? "memory.max" : "memory.limit_in_bytes");

	printf("=> a process in it touches %lld MiB\n", (long long)(alloc_bytes >> 20));
	pid_t pid = lab6_spawn(&cg, hog, NULL);
	if (pid < 0)
		lab6_die_removing(&cg);
	int st = lab6_wait(pid);
	char how[64];
	printf("process %d %s\n", (int)pid, lab6_status(st, how, sizeof(how)));

	uint64_t kills = 0;
	int rc = cg_oom_kills(&cg, &kills);
	if (rc == 0) {
		/* podrun's rule: killed by SIGKILL, and the cgroup counted an OOM
		 * kill. containerd's is the count alone, whatever the exit status:
		 * a worker killed, and a main process that then exited 1, is
		 * OOMKilled there and Error here. */
		const char *reason = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && kills > 0
		                         ? "OOMKilled"
		                     : WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "Completed"
		                                                             : "Error";
		printf("oom_kill %llu, reason: %s\n", (unsigned long long)kills, reason);
	}
	char why[1024] = "";
	if (rc < 0)
		snprintf(why, sizeof(why), "%s", last_error());
	fflush(stdout);
	if (hold)
		hold_until_eof();
	lab6_remove(&cg);
	if (rc < 0)
		die("%s", why);
	interrupt_check();
	return 0;
}
