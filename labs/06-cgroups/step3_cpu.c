/*
 * step3_cpu - a CPU request and limit as the kernel sees them: shares (or
 * weight) for the request, a CFS quota for the limit, and throttling
 * counted in cpu.stat.
 *
 * The two are different kinds of thing. Shares are relative: they decide
 * how CPU time is split only when CPUs are contended, and a container alone
 * on a machine may use every CPU whatever its shares. The quota is absolute:
 * in every period (100 ms) the cgroup may run for quota us, then its
 * processes are taken off the CPU until the next period - "throttled", even
 * on an idle machine. A process that spins in a cgroup limited to 200m runs
 * 20 ms of each 100 ms, and nr_throttled counts the periods it was stopped.
 *
 * Syscalls: mkdir(2) of a cgroup, write(2) to cpu.shares, cpu.cfs_period_us
 * and cpu.cfs_quota_us (v1) or cpu.weight and cpu.max (v2), fork(2); reads
 * cpu.stat and cpuacct.usage.
 */
#include "lab6.h"

#include <getopt.h>

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: step3_cpu [OPTION]...\n"
	        "Run a process that spins in a cgroup with a CPU request and limit.\n\n"
	        "  --cpu-request MILLI  the request in milliCPU, at most the limit (default: the\n"
	        "                       limit)\n"
	        "  --cpu-limit MILLI    the limit in milliCPU (default 200; 0: none)\n"
	        "  --spin-ms MS         how long to let it spin (default 500)\n"
	        "  --cgroup NAME        the cgroup, one name below this process's own\n"
	        "                       (default lab6-PID)\n"
	        "  --hold               let it spin until stdin reaches EOF or Ctrl-C\n"
	        "  --help               show this help\n");
}

static int spin(void *arg)
{
	(void)arg;
	for (volatile unsigned long i = 0;; i++) {
	}
	return 0;
}

/* The cgroup's counters now. A failure removes the cgroup (and the spinning
 * process in it) before dying: nothing of the step is left behind. */
static void show_stats(const struct cg *cg, const char *when, struct cg_stats *st)
{
	if (cg_stats(cg, st) < 0)
		lab6_die_removing(cg);
	printf("%-6s cpu usage %6llu ms, periods %4llu, throttled %4llu\n", when,
	       (unsigned long long)(st->cpu_usage_ns / 1000000), (unsigned long long)st->nr_periods,
	       (unsigned long long)st->nr_throttled);
}

int main(int argc, char **argv)
{
	int64_t request = 0, limit = 200, spin_ms = 500;
	const char *rel = NULL;
	char relbuf[64];
	bool hold = false;
	static const struct option opts[] = {
	    {"cpu-request", required_argument, NULL, 'r'},
	    {"cpu-limit", required_argument, NULL, 'l'},
	    {"spin-ms", required_argument, NULL, 's'},
	    {"cgroup", required_argument, NULL, 'c'},
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			request = lab6_number("--cpu-request", optarg, 0, 1000000);
			break;
		case 'l':
			limit = lab6_number("--cpu-limit", optarg, 0, 1000000);
			break;
		case 's':
			spin_ms = lab6_number("--spin-ms", optarg, 1, 60000);
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
	if (!rel) {
		snprintf(relbuf, sizeof(relbuf), "lab6-%d", (int)getpid());
		rel = relbuf;
	}
	lab6_check_name(rel);

	struct cg_cpu cpu;
	if (cg_cpu_config(request, limit, &cpu) < 0) {
		/* EINVAL is what the options asked for (a request above the
		 * limit); anything else is the module's to answer for. */
		if (errno == EINVAL)
			die_usage("%s", last_error());
		die_last();
	}
	printf("request %lldm, limit %lldm -> shares %llu (v2 weight %llu), quota %lld us per %llu "
	       "us\n",
	       (long long)request, (long long)limit, (unsigned long long)cpu.shares,
	       (unsigned long long)cpu.weight, (long long)cpu.quota,
	       (unsigned long long)cpu.period);

	struct cg_host host;
	lab6_detect(&host);
	lab6_refuse_existing(&host, rel);
	interrupt_defer();
	struct cg cg;
	step("creating cgroup %s", rel);
	char dir[PATH_MAX];
	if (cg_create(&host, rel, &cg) < 0)
		die_last();
	if (cg_path(&cg, CG_CPU, dir, sizeof(dir)) < 0 || cg_set_cpu(&cg, &cpu) < 0)
		lab6_die_removing(&cg);
	step_done();
	printf("cpu cgroup: %s\n", dir);

	struct cg_stats before, after;
	show_stats(&cg, "before", &before);
	pid_t pid = lab6_spawn(&cg, spin, NULL);
	if (pid < 0)
		lab6_die_removing(&cg);
	printf("spinning process %d\n", (int)pid);
	fflush(stdout);
	if (hold)
		hold_until_eof();
	else
		sleep_ms(spin_ms);
	show_stats(&cg, "after", &after);
	if (!hold) {
		double used =
		    (double)(after.cpu_usage_ns - before.cpu_usage_ns) / 1e4 / (double)spin_ms;
		if (cpu.quota > 0)
			printf("it ran %.0f%% of one CPU; the limit allows %.0f%%\n", used,
			       (double)cpu.quota * 100.0 / (double)cpu.period);
		else
			printf("it ran %.0f%% of one CPU; no limit\n", used);
	}
	lab6_remove(&cg);
	int st = lab6_wait(pid);
	char how[64];
	printf("process %d %s\n", (int)pid, lab6_status(st, how, sizeof(how)));
	interrupt_check();
	return 0;
}
