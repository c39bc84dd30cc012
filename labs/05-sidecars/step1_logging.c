/*
 * step1_logging - the sidecar pattern: a logging sidecar beside an app.
 *
 * The app container only writes lines to /var/log/app.log, in an emptyDir it
 * shares with the logship container. logship follows the file (inotify),
 * survives the app rotating it, and forwards every line to logsink, the
 * collector, which runs outside the pod on the host, reached from the pod at
 * the bridge's address 198.18.5.1. A quarter of the way, this program kills
 * the sidecar with SIGKILL and starts it again: its checkpoint in the volume
 * makes it carry on where the collector's last ack left it.
 *
 * At the end every line must be in the collector's file exactly once.
 *
 * Concepts: a volume shared by two containers of a pod; a sidecar restarted
 * alone while the app runs on; checkpoint-after-ack.
 */
#include "common.h"
#include "sidekit.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define COLLECTOR SK_HOST_IP ":18510"

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: step1_logging [OPTION]...\n"
	        "An app and a logging sidecar in one pod; every line reaches the collector once.\n"
	        "\n"
	        "  --lines N     lines the app writes (default 200)\n"
	        "  --out FILE    a new file for the collector (default: in the run's directory)\n"
	        "  --dir DIR     the run's state directory (created; default: a new temp dir)\n"
	        "  -h, --help    show this help\n");
}

/* How many lines the collector has; seen[k] counts "line k". */
static long collected(const char *path, long n, int *seen)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char line[128];
	long count = 0;
	if (seen)
		memset(seen, 0, sizeof(int) * (size_t)(n + 1));
	while (fgets(line, sizeof(line), f)) {
		long k;
		count++;
		if (seen && sscanf(line, "line %ld", &k) == 1 && k >= 1 && k <= n)
			seen[k]++;
	}
	fclose(f);
	return count;
}

/* The app forks a sleep after each line: 50 to 200 lines a second, fewer
 * on a busy machine. Each wait gives every line 20 ms, and 10 s more. */
static int lines_ms(long lines)
{
	return (int)(10000 + 20 * lines);
}

/* Wait until the collector has want lines: their count, or the step fails. */
static long wait_collected(const char *path, long want, int timeout_ms)
{
	int64_t until = now_ms() + timeout_ms;
	long got;
	while ((got = collected(path, want, NULL)) < want) {
		if (now_ms() >= until)
			die("the collector has %ld of %ld lines after %d ms", got, want,
			    timeout_ms);
		sk_check_interrupt();
		sleep_ms(20);
	}
	return got;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"lines", required_argument, NULL, 'n'},
	    {"out", required_argument, NULL, 'o'},
	    {"dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	long n = 200;
	const char *out = NULL, *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_long(optarg, 4, 20000, &n) < 0)
				die_usage("--lines: '%s' is not a number from 4 to 20000", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			dir = optarg;
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
	/* The collector keeps each stream's position in OUT.state: a last run's
	 * would have it acknowledge this run's lines as repeats and store none,
	 * and the count at the end would be that run's. Every run starts with a
	 * collector of its own; a file named here is not the step's to delete. */
	if (out) {
		char state[PATH_MAX + 8];
		struct stat st;
		snprintf(state, sizeof(state), "%s.state", out);
		if (lstat(out, &st) == 0 || lstat(state, &st) == 0)
			die_usage("--out %s: a collector's file (or its .state) is there already, "
			          "and would take this run's lines for repeats: name a new one",
			          out);
	}

	sk_begin(dir);
	static struct sk_pod pod;
	step("starting the pod: sandbox on " SK_BRIDGE ", emptyDir 'logs'");
	sk_pod_up(&pod, "logdemo", 2, "logs");
	step_done_with("pod IP %s", pod.sandbox.ip);

	static char out_default[PATH_MAX];
	if (!out) {
		if (snprintf(out_default, sizeof(out_default), "%s/collected.log", pod.dir) >=
		    (int)sizeof(out_default))
			die("state path too long");
		out = out_default;
	}
	step("starting logsink on the host at " COLLECTOR);
	char *sink_argv[] = {
	    (char *)sk_sibling("logsink"), "--listen", COLLECTOR, "--out", (char *)out, NULL};
	sk_spawn(sink_argv, "/dev/null");
	sk_wait_port(COLLECTOR, 3000);
	step_done();

	/* The app knows nothing about shipping: it appends, and at the middle
	 * it rotates its file the way logrotate does (rename; the next write
	 * creates a new file). */
	char script[512];
	snprintf(script, sizeof(script),
	         "i=1; while [ $i -le %ld ]; do echo \"line $i\" >>/var/log/app.log;"
	         " [ $i -eq %ld ] && mv /var/log/app.log /var/log/app.log.1;"
	         " i=$((i+1)); sleep 0.005; done",
	         n, n / 2);
	char *app_argv[] = {"sh", "-c", script, NULL};
	char *ship_argv[] = {"logship", "--file", "/var/log/app.log", "--to", COLLECTOR, NULL};

	step("starting the logship sidecar and the app (%ld lines, rotation at %ld)", n, n / 2);
	struct ctr *ship = sk_run(&pod, "logship", "logship", ship_argv, "/var/log", -1);
	struct ctr *app = sk_run(&pod, "app", "busybox", app_argv, "/var/log", -1);
	step_done();

	step("waiting for a quarter of the lines at the collector");
	step_done_with("%ld lines", wait_collected(out, n / 4, lines_ms(n / 4)));

	step("killing the sidecar with SIGKILL, mid-stream");
	if (sys_pidfd_send_signal(ship->pidfd, SIGKILL, 0) < 0)
		die_errno("pidfd_send_signal(SIGKILL)");
	if (ctr_wait(ship) < 0)
		die_last();
	char ckpt[PATH_MAX], text[128] = "";
	if (snprintf(ckpt, sizeof(ckpt), "%s/.logship-app.log.ckpt", sk_volume_path(&pod)) >=
	    (int)sizeof(ckpt))
		die("state path too long");
	read_file(ckpt, text, sizeof(text));
	step_done_with("%s; checkpoint: %s", ship->reason, text);

	sleep_ms(200); /* the app writes on while no one ships */
	step("restarting the sidecar");
	sk_restart(&pod, ship);
	step_done();

	step("waiting for the app to finish and the collector to catch up");
	sk_wait(app, "app", lines_ms(n));
	wait_collected(out, n, lines_ms(0));
	step_done();

	int *seen = calloc((size_t)n + 1, sizeof(int));
	if (!seen)
		die_errno("calloc");
	long got = collected(out, n, seen), missing = 0, twice = 0;
	for (long k = 1; k <= n; k++) {
		missing += seen[k] == 0;
		twice += seen[k] > 1;
	}
	printf("written %ld, collected %ld, missing %ld, duplicated %ld\n", n, got, missing, twice);
	free(seen);
	if (got != n || missing || twice)
		die("lines were lost or repeated");
	return 0;
}
