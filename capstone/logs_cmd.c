/*
 * logs_cmd.c - `podrun logs`: a container's log as `kubectl logs` prints it.
 *
 *   podrun logs [-f] [-p] [--timestamps] [--tail N] [--since DURATION]
 *               [--limit-bytes N] [--all-containers | -c CONTAINER] POD
 *
 * Everything comes from the pod's state (which containers it has, which is
 * the default one, whether a run still goes on) and its log directory,
 * DATA/pods/POD/logs/C/N.log (capstone/logs.h): no YAML is parsed again.
 */
#include "logs_cmd.h"

#include "cli.h"
#include "common.h"
#include "logs.h"
#include "spec.h"
#include "state.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: podrun logs [-f] [-p] [--timestamps] [--tail N] [--since DURATION]\n"
	        "                   [--limit-bytes N] [--all-containers | -c CONTAINER] POD\n"
	        "Print a container's log (default: the annotated default container, else the\n"
	        "first app container).\n"
	        "\nOptions:\n"
	        "  -f, --follow           keep printing until the container's run ends\n"
	        "  -p, --previous         the run the container's lastState is (after a restart:\n"
	        "                         the run that ended)\n"
	        "  -c, --container NAME   the container\n"
	        "  --all-containers       every container of the pod, init containers first\n"
	        "  --timestamps           start each line with its time (RFC 3339, UTC)\n"
	        "  --tail N               only the last N lines (-1: all)\n"
	        "  --since DURATION       only lines newer than that (10s, 5m, 1h)\n"
	        "  --limit-bytes N        stop after N bytes\n"
	        "  -h, --help             this help\n");
}

/* What the follow callback needs to tell whether a run still goes on. */
struct follow_ctx {
	char pod_dir[PATH_MAX];
	char ctr_dir[PATH_MAX + 300];
};

/* The supervisor writes containers/C/restarts (the run number) and
 * containers/C/pid (0 once the run ended); both are trusted only while the
 * supervisor itself lives (a dead one writes no log either). The log's own
 * lock covers the bytes still in the pipes after the process ended. */
static bool still_running(void *arg, int run)
{
	const struct follow_ctx *c = arg;
	if (!state_live_pid(c->pod_dir, "supervisor"))
		return false;
	return state_get_long(c->ctr_dir, "restarts", -1) == run && state_live_pid(c->ctr_dir, "");
}

static int emit(void *arg, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -1;
}

/* What a container's status says of its runs, read as one change. */
struct runs {
	char state[32], reason[256], started_at[64];
	long current;  /* restarts: the current run's number */
	long last_run; /* lastState.terminated's run; -1: no lastState */
};

static void read_runs(const char *pod_dir, const char *ctr_dir, struct runs *r)
{
	bool alive = state_live_pid(pod_dir, "supervisor") > 0;
	for (int tries = 0;; tries++) {
		long seq = state_read_begin(ctr_dir, alive);
		*r = (struct runs){.current = state_get_long(ctr_dir, "restarts", 0)};
		state_get(ctr_dir, "state", r->state, sizeof(r->state));
		state_get(ctr_dir, "reason", r->reason, sizeof(r->reason));
		state_get(ctr_dir, "started_at", r->started_at, sizeof(r->started_at));
		char probe[64];
		r->last_run = state_get(ctr_dir, "last_exit_code", probe, sizeof(probe)) < 0
		                  ? -1
		                  : state_get_long(ctr_dir, "last_run", -1);
		if (!state_read_changed(ctr_dir, seq) || tries == STATE_READ_TRIES)
			return;
	}
}

/* Which run `kubectl logs` shows, as kubelet's validateContainerLogStatus
 * (kubelet_pods.go) picks a container from the status: with --previous,
 * lastState.terminated's, or an error; else the running run, the
 * terminated one (lastState's if it never started), lastState's while the
 * container waits for its restart, or an error that says why there is no
 * log. -1 with the message (kubelet's words) written. */
static int pick_run(const char *pod, const char *ctr, const struct runs *r, bool previous)
{
	const char *me = program_invocation_short_name;
	if (previous) {
		if (r->last_run < 0)
			fprintf(
			    stderr,
			    "%s: previous terminated container \"%s\" in pod \"%s\" not found\n",
			    me, ctr, pod);
		return (int)r->last_run;
	}
	if (!strcmp(r->state, "Running"))
		return (int)r->current;
	if (!strcmp(r->state, "Terminated")) {
		/* a run that never started (StartError) has no log of its own */
		if (!r->started_at[0] && r->last_run >= 0)
			return (int)r->last_run;
		return (int)r->current;
	}
	if (r->last_run >= 0)
		return (int)r->last_run;
	if (r->state[0])
		fprintf(stderr, "%s: container \"%s\" in pod \"%s\" is waiting to start: %s\n", me,
		        ctr, pod, r->reason);
	else
		fprintf(stderr,
		        "%s: container \"%s\" in pod \"%s\" is waiting to start - no logs yet\n",
		        me, ctr, pod);
	return -1;
}

static int show(const char *pod, const char *dir, const char *data, const char *ctr,
                struct logs_read_opts o, bool previous)
{
	struct follow_ctx c;
	snprintf(c.pod_dir, sizeof(c.pod_dir), "%s", dir);
	snprintf(c.ctr_dir, sizeof(c.ctr_dir), "%s/containers/%s", dir, ctr);
	struct runs r;
	read_runs(c.pod_dir, c.ctr_dir, &r);
	int run = pick_run(pod, ctr, &r, previous);
	if (run < 0)
		return 1;
	o.still_running = still_running;
	o.arg = &c;
	int rc = logs_read_run(data, ctr, run, &o, emit, stdout);
	fflush(stdout);
	if (rc == 0)
		return 0;
	fprintf(stderr, "%s: %s\n", program_invocation_short_name, last_error());
	return 1;
}

enum { OPT_TIMESTAMPS = 256, OPT_TAIL, OPT_SINCE, OPT_LIMIT, OPT_ALL };

int cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
	                                     {"follow", no_argument, NULL, 'f'},
	                                     {"previous", no_argument, NULL, 'p'},
	                                     {"container", required_argument, NULL, 'c'},
	                                     {"timestamps", no_argument, NULL, OPT_TIMESTAMPS},
	                                     {"tail", required_argument, NULL, OPT_TAIL},
	                                     {"since", required_argument, NULL, OPT_SINCE},
	                                     {"limit-bytes", required_argument, NULL, OPT_LIMIT},
	                                     {"all-containers", no_argument, NULL, OPT_ALL},
	                                     {NULL, 0, NULL, 0}};
	struct logs_read_opts o = {.tail = -1, .limit_bytes = -1};
	const char *cname = NULL;
	bool all = false, previous = false;
	int64_t since = 0;
	int c;
	/* ":": getopt is silent, die_bad_option says it in one line. Options may
	 * come after the pod too, as kubectl takes them. */
	while ((c = getopt_long(argc, argv, ":hfpc:", opts, NULL)) != -1) {
		long v;
		switch (c) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'f':
			o.follow = true;
			break;
		case 'p':
			previous = true;
			break;
		case 'c':
			cname = optarg;
			break;
		case OPT_TIMESTAMPS:
			o.timestamps = true;
			break;
		case OPT_TAIL:
			if (parse_long(optarg, -1, LONG_MAX, &v) < 0)
				die_usage("logs: --tail %s: a number of lines (-1: all)", optarg);
			o.tail = v;
			break;
		case OPT_SINCE:
			if (spec_parse_duration(optarg, &since) < 0 || since <= 0)
				die_usage(
				    "logs: --since %s: a duration above 0, like 10s, 5m or 1h",
				    optarg);
			break;
		case OPT_LIMIT:
			if (parse_long(optarg, 1, LONG_MAX, &v) < 0)
				die_usage("logs: --limit-bytes %s: a number of bytes above 0",
				          optarg);
			o.limit_bytes = v;
			break;
		case OPT_ALL:
			all = true;
			break;
		default:
			die_bad_option(c, argv);
		}
	}
	optind = cli_pod_operands(argc, argv, optind, false);
	if (optind != argc - 1)
		die_usage("logs: expected one pod");
	if (all && cname)
		die_usage("logs: --all-containers and -c %s: one or the other", cname);
	const char *pod = argv[optind];
	char dir[PATH_MAX], data[PATH_MAX];
	cli_pod_dir(pod, dir, sizeof(dir), true);
	if (state_data_dir(pod, data, sizeof(data)) < 0)
		die_last();
	char **names = cli_pod_containers(dir);
	if (since)
		o.since_ns = state_now_realtime_ns() - since;
	if (o.follow)
		setvbuf(stdout, NULL, _IOLBF, 0); /* a line is seen when it is written */

	int rc = 0;
	if (!all) {
		rc = show(pod, dir, data, cli_pick_container(pod, dir, names, cname), o, previous);
	} else if (!o.follow) {
		for (size_t i = 0; names[i]; i++)
			rc |= show(pod, dir, data, names[i], o, previous);
	} else {
		/* Following them all means waiting on them all at once: one
		 * process each, their lines interleaved as they come. */
		size_t started = 0;
		for (size_t i = 0; names[i]; i++) {
			fflush(stdout);
			pid_t pid = fork();
			if (pid == 0)
				_exit(show(pod, dir, data, names[i], o, previous));
			if (pid < 0) {
				warn_errno("fork");
				rc = 1;
				break;
			}
			started++;
		}
		for (; started > 0; started--) {
			int st;
			if (wait(&st) < 0)
				break;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				rc = 1;
		}
	}
	free(names);
	return rc;
}
