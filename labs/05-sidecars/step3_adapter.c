/*
 * step3_adapter - the adapter pattern: the platform's interface from the
 * app's own.
 *
 * The app (busybox httpd here) serves its numbers in its own format at
 * 127.0.0.1:18530/metrics: "requests=100 errors=1 queue_depth=3". Bound to
 * 127.0.0.1, it is not reachable from outside the pod at all. The adapter
 * sidecar reads it over the pod's localhost and serves, on the pod's IP,
 * /healthz (200 or 503 by a rule) and /metrics in Prometheus' format.
 *
 * This program is the monitor outside the pod: it polls /healthz on the pod
 * IP, finds the app's own port closed there, then makes the app report a
 * high error ratio (it rewrites the app's numbers, which live in an
 * emptyDir) and polls until it sees 503.
 *
 * Concepts: an adapter converts interfaces without changing the app; a
 * port bound to 127.0.0.1 in a pod is private to the pod's containers.
 */
#include "common.h"
#include "http.h"
#include "netutil.h"
#include "sidekit.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: step3_adapter [OPTION]...\n"
	        "A monitor outside the pod sees /healthz turn from 200 to 503.\n"
	        "\n"
	        "  --dir DIR     the run's state directory (created; default: a new temp dir)\n"
	        "  -h, --help    show this help\n");
}

/* Replace the app's numbers at once (rename): httpd never serves half a file. */
static void set_app_metrics(const struct sk_pod *p, const char *text)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s/metrics.tmp", sk_volume_path(p)) >= (int)sizeof(tmp) ||
	    snprintf(path, sizeof(path), "%s/metrics", sk_volume_path(p)) >= (int)sizeof(path))
		die("volume path too long");
	FILE *f = fopen(tmp, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die_errno("write(%s)", tmp);
	if (rename(tmp, path) < 0)
		die_errno("rename(%s)", path);
}

/* Poll url until it answers want (or 5 s pass); print the last answer. */
static int poll_until(const struct sockaddr_in *a, const char *path, int want, char *body,
                      size_t size)
{
	int status = -1;
	for (int64_t until = now_ms() + 5000; now_ms() < until; sleep_ms(50)) {
		status = http_get(a, path, 1000, body, size);
		if (status == want)
			break;
		sk_check_interrupt();
	}
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
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
	static struct sk_pod pod;
	step("starting the pod, emptyDir 'www' for the app's numbers");
	sk_pod_up(&pod, "webapp", 2, "www");
	set_app_metrics(&pod, "requests=100 errors=1 queue_depth=3\n");
	step_done_with("pod IP %s", pod.sandbox.ip);

	step("starting the app on 127.0.0.1:18530 and the adapter on :18531");
	char *app_argv[] = {"httpd", "-f", "-p", "127.0.0.1:18530", "-h", "/www", NULL};
	char *adapter_argv[] = {
	    "adapter",           "--listen", "*:18531",     "--app", "127.0.0.1:18530",
	    "--max-error-ratio", "0.1",      "--max-queue", "50",    NULL};
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		die_errno("open(/dev/null)");
	sk_run(&pod, "app", "busybox", app_argv, "/www", devnull);
	sk_run(&pod, "adapter", "adapter", adapter_argv, NULL, devnull);
	char where[64];
	snprintf(where, sizeof(where), "%s:18531", pod.sandbox.ip);
	sk_wait_port(where, 3000);
	step_done();

	struct sockaddr_in adapter, app;
	snprintf(where, sizeof(where), "%s:18531", pod.sandbox.ip);
	nu_parse_hostport(where, &adapter);
	snprintf(where, sizeof(where), "%s:18530", pod.sandbox.ip);
	nu_parse_hostport(where, &app);

	static char body[16384];
	step("the monitor polls http://%s:18531/healthz", pod.sandbox.ip);
	int s = poll_until(&adapter, "/healthz", 200, body, sizeof(body));
	if (s != 200)
		die("expected 200, got %d: %s", s, s < 0 ? last_error() : body);
	step_done_with("%d %s", s, strtok(body, "\n"));

	/* Only now: a 200 means the adapter read the app's numbers, so the app
	 * listens. A refusal before that could be an app not up yet. */
	step("the monitor asks the app directly at %s", where);
	s = http_get(&app, "/metrics", 1000, body, sizeof(body));
	if (s >= 0)
		die("the app answered from outside the pod: it should listen on 127.0.0.1 only");
	step_done_with("refused: %s", last_error());

	step("the monitor scrapes /metrics (Prometheus format)");
	s = http_get(&adapter, "/metrics", 1000, body, sizeof(body));
	step_done_with("%d", s);
	fputs(body, stdout);

	step("the app now reports 60 errors in 200 requests");
	set_app_metrics(&pod, "requests=200 errors=60 queue_depth=3\n");
	step_done();

	step("the monitor polls /healthz again");
	s = poll_until(&adapter, "/healthz", 503, body, sizeof(body));
	if (s != 503)
		die("expected 503, got %d: %s", s, s < 0 ? last_error() : body);
	step_done_with("%d %s", s, strtok(body, "\n"));
	return 0;
}
