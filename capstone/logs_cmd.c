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
	fprintf(f, "Usage: podrun logs [-f] [-p] [--timestamps] [--tail N] [--since DURATION]\n"
	           "                   [--limit-bytes N] [--all-containers | -c CONTAINER] POD\n"
	           "Print a container's log (default: the first app container).\n"
	           "\nOptions:\n"
	           "  -f, --follow           keep printing until the container's run ends\n"
	           "  -p, --previous         the run before the latest one (after a restart: the\n"
	           "                         log of the run that ended)\n"
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

static int show(const char *pod, const char *dir, const char *data, const char *ctr,
                struct logs_read_opts o)
{
	struct follow_ctx c;
	snprintf(c.pod_dir, sizeof(c.pod_dir), "%s", dir);
	snprintf(c.ctr_dir, sizeof(c.ctr_dir), "%s/containers/%s", dir, ctr);
	o.still_running = still_running;
	o.arg = &c;
	int rc = logs_read(data, ctr, &o, emit, stdout);
	fflush(stdout);
	if (rc == 0)
		return 0;
	if (o.previous && errno == ENOENT)
		/* kubectl's words */
		fprintf(stderr,
		        "%s: previous terminated container \"%s\" in pod \"%s\" not found\n",
		        program_invocation_short_name, ctr, pod);
	else
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
	bool all = false;
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
			o.previous = true;
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
		rc = show(pod, dir, data, cli_pick_container(pod, dir, names, cname), o);
	} else if (!o.follow) {
		for (size_t i = 0; names[i]; i++)
			rc |= show(pod, dir, data, names[i], o);
	} else {
		/* Following them all means waiting on them all at once: one
		 * process each, their lines interleaved as they come. */
		size_t started = 0;
		for (size_t i = 0; names[i]; i++) {
			fflush(stdout);
			pid_t pid = fork();
			if (pid == 0)
				_exit(show(pod, dir, data, names[i], o));
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
