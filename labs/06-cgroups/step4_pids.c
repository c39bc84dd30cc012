/*
 * step4_pids - a fork bomb stopped by pids.max.
 *
 * Every process and every thread is a task the kernel must track; a fork
 * bomb (each process forking as fast as it can) takes them all, and with
 * them the machine. pids.max caps the number of tasks in a cgroup and its
 * descendants: once it is reached, fork(2) and clone(2) fail with EAGAIN
 * inside the cgroup - and only there. The kernel counts the refusals in
 * pids.events ("max N").
 *
 * Here every process of the bomb forks until fork fails, or until it has
 * no forks left (BOMB_FORKS), then waits; the step reports what the cgroup holds, and
 * removing the cgroup kills them all.
 *
 * The step is a child subreaper (prctl(2)): the bomb's orphans become its
 * children, not init's, and it reaps every one of them at the end.
 *
 * Syscalls: mkdir(2) of a cgroup, write(2) to pids.max, fork(2) until it
 * fails with EAGAIN, pipe(2), prctl(PR_SET_CHILD_SUBREAPER), waitpid(2);
 * reads pids.current and pids.events.
 */
#include "lab6.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/prctl.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: step4_pids [OPTION]...\n"
	             "Run a fork bomb in a cgroup with pids.max.\n\n"
	             "  --max N          pids.max (default 16)\n"
	             "  --cgroup NAME    the cgroup, one name below this process's own\n"
	             "                   (default lab6-PID)\n"
	             "  --hold           keep the bomb until stdin reaches EOF or Ctrl-C\n"
	             "  --help           show this help\n");
}

/* How many forks the first process of the bomb may try. Each child goes on
 * with what its parent had left, so the bomb is 2^BOMB_FORKS processes at
 * most: finite even without pids.max, and more than the largest --max, so
 * it always meets the limit. (A child that started over with a full count
 * would make the bomb endless but for pids.max.) */
#define BOMB_FORKS 11
#define MAX_LIMIT  1024 /* --max */
_Static_assert((1 << BOMB_FORKS) > MAX_LIMIT, "a bomb that cannot fill the largest --max");

static int report_fd = -1;

static int bomb(void *arg)
{
	(void)arg;
	for (int left = BOMB_FORKS; left > 0; left--) {
		if (fork() < 0) {
			/* EAGAIN: the cgroup is full. Tell the step once per
			 * process, then stay, holding a pid. */
			char e = (char)errno;
			if (write(report_fd, &e, 1) < 0)
				_exit(1);
			break;
		}
		/* parent and child alike: one fork less left */
	}
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	int64_t max = 16;
	const char *rel = NULL;
	char relbuf[64];
	bool hold = false;
	static const struct option opts[] = {
	    {"max", required_argument, NULL, 'm'},
	    {"cgroup", required_argument, NULL, 'c'},
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			max = lab6_number("--max", optarg, 1, MAX_LIMIT);
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

	/* Before the cgroup exists: a failure here has nothing to remove. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_CHILD_SUBREAPER)");
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno("pipe2");
	struct cg_host host;
	lab6_detect(&host);
	lab6_refuse_existing(&host, rel);
	interrupt_defer();
	struct cg cg;
	char dir[PATH_MAX];
	step("creating cgroup %s", rel);
	if (cg_create(&host, rel, &cg) < 0)
		die_last();
	if (cg_path(&cg, CG_PIDS, dir, sizeof(dir)) < 0 || cg_set_pids(&cg, max) < 0)
		lab6_die_removing(&cg);
	step_done_with("pids.max %lld", (long long)max);
	printf("pids cgroup: %s\n", dir);

	report_fd = p[1];
	pid_t pid = lab6_spawn(&cg, bomb, NULL);
	if (pid < 0)
		lab6_die_removing(&cg);
	close(p[1]);
	printf("=> fork bomb %d started\n", (int)pid);
	/* The first refused fork: the cgroup is full. */
	char e;
	ssize_t got;
	while ((got = read(p[0], &e, 1)) < 0 && errno == EINTR) {
	}
	if (got == 1)
		printf("fork failed inside the cgroup: %s\n", strerror(e));
	struct cg_stats st;
	char path[PATH_MAX + 32], events[256] = "";
	snprintf(path, sizeof(path), "%s/pids.events", dir);
	if (cg_stats(&cg, &st) < 0 || read_file(path, events, sizeof(events)) < 0)
		lab6_die_removing(&cg);
	printf("pids.current %llu of pids.max %lld; pids.events: %s\n", (unsigned long long)st.pids,
	       (long long)max, events);
	fflush(stdout);
	if (hold)
		hold_until_eof();
	lab6_remove(&cg);
	close(p[0]);
	int status = lab6_wait(pid);
	char how[64];
	printf("bomb %d %s\n", (int)pid, lab6_status(status, how, sizeof(how)));
	/* the orphans of the bomb, killed with it, are ours to reap */
	int reaped = 0;
	for (;;) {
		if (waitpid(-1, NULL, 0) > 0)
			reaped++;
		else if (errno != EINTR) /* an interrupted wait reaped nobody */
			break;
	}
	if (errno != ECHILD)
		die_errno("waitpid(-1)");
	printf("reaped %d more processes of the bomb\n", reaped);
	interrupt_check();
	return 0;
}
