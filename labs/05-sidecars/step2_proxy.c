/*
 * step2_proxy - the ambassador pattern: the app talks to localhost only.
 *
 * Pod "backend" runs two upstream servers (echod --wc, answering "NAME
 * BYTES" to each connection) on its IP. Pod "frontend" runs the app and the
 * proxy sidecar: the app connects to 127.0.0.1:18520, which is the proxy,
 * because the two containers share the pod's network namespace; the proxy
 * spreads the connections over both backends, round robin.
 *
 * The app's code names no backend at all. Moving the backends, adding one,
 * retrying, TLS: all of that is the ambassador's job, changed without
 * touching the app's image.
 *
 * Concepts: localhost shared by a pod's containers; a sidecar as the pod's
 * client-side load balancer; pod-to-pod traffic over the bridge.
 */
#include "common.h"
#include "sidekit.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define BACKEND_IP "198.18.5.3"

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: step2_proxy [OPTION]...\n"
	        "An app reaches two backends in another pod through an ambassador on localhost.\n"
	        "\n"
	        "  --requests N  connections the app makes (default 6)\n"
	        "  --dir DIR     the run's state directory (created; default: a new temp dir)\n"
	        "  -h, --help    show this help\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"requests", required_argument, NULL, 'n'},
	    {"dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	long n = 6;
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_long(optarg, 2, 1000, &n) < 0)
				die_usage("--requests: '%s' is not a number from 2 to 1000",
				          optarg);
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

	sk_begin(dir);
	static struct sk_pod backend, frontend;
	step("starting pod 'backend' with two servers on :18521 and :18522");
	sk_pod_up(&backend, "backend", 3, NULL);
	char *a_argv[] = {"echod", "--listen", "*:18521", "--name", "backend-a", "--wc", NULL};
	char *b_argv[] = {"echod", "--listen", "*:18522", "--name", "backend-b", "--wc", NULL};
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		die_errno("open(/dev/null)");
	sk_run(&backend, "server-a", "proxy", a_argv, NULL, devnull);
	sk_run(&backend, "server-b", "proxy", b_argv, NULL, devnull);
	sk_wait_port(BACKEND_IP ":18521", 3000);
	sk_wait_port(BACKEND_IP ":18522", 3000);
	step_done_with("pod IP %s", backend.sandbox.ip);

	step("starting pod 'frontend': the proxy sidecar on 127.0.0.1:18520");
	sk_pod_up(&frontend, "frontend", 2, NULL);
	char *proxy_argv[] = {"proxy",
	                      "--listen",
	                      "127.0.0.1:18520",
	                      "--upstream",
	                      BACKEND_IP ":18521",
	                      "--upstream",
	                      BACKEND_IP ":18522",
	                      NULL};
	sk_run(&frontend, "proxy", "proxy", proxy_argv, NULL, devnull);
	step_done_with("pod IP %s", frontend.sandbox.ip);

	/* The app retries until its sidecar listens: containers of a pod start
	 * in parallel, and an app must not assume its sidecar is first. */
	char script[512];
	snprintf(
	    script, sizeof(script),
	    "i=1; while [ $i -le %ld ]; do"
	    " until echo \"request $i\" | tcpcat 127.0.0.1:18520 2>/dev/null; do sleep 0.02; done;"
	    " i=$((i+1)); done",
	    n);
	char *app_argv[] = {"sh", "-c", script, NULL};
	char out_path[PATH_MAX];
	if (snprintf(out_path, sizeof(out_path), "%s/app.out", frontend.dir) >=
	    (int)sizeof(out_path))
		die("state path too long");
	int out = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		die_errno("open(%s)", out_path);

	step("running the app: %ld connections to 127.0.0.1:18520", n);
	struct ctr *app = sk_run(&frontend, "app", "proxy", app_argv, NULL, out);
	sk_wait(app, "app", 30000);
	step_done_with("%s", app->reason);

	/* What the app received: one "backend-x BYTES" line per connection, as
	 * many as --requests asks for: read them all, a line at a time. */
	FILE *f = fopen(out_path, "re");
	if (!f)
		die_errno("open(%s)", out_path);
	char *line = NULL;
	size_t cap = 0;
	int na = 0, nb = 0;
	while (getline(&line, &cap, f) > 0) {
		fputs(line, stdout);
		if (!strncmp(line, "backend-a ", 10))
			na++;
		else if (!strncmp(line, "backend-b ", 10))
			nb++;
	}
	if (ferror(f))
		die_errno("read(%s)", out_path);
	free(line);
	fclose(f);
	printf("backend-a served %d, backend-b served %d of %ld connections\n", na, nb, n);
	if (na + nb != n || na == 0 || nb == 0)
		die("the connections were not spread over both backends");
	return 0;
}
