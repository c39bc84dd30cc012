/*
 * step4_javaweb - the study note's javaweb pod: an init container prepares a
 * volume that the app container then serves.
 *
 *   initContainers:  war     image simple:v2   cp /simple.war /app
 *   containers:      tomcat  image tomcat:7.0  .../bin/start.sh, port 8080
 *                    client  image busybox     fetches the war over localhost
 *   volumes:         app-volume (emptyDir): /app in war,
 *                    /root/apache-tomcat-7.0.42-v2/webapps in tomcat
 *
 * Two images that know nothing of each other meet in one directory: the init
 * container is done before tomcat starts, so the war is there when the server
 * looks. The client shares the pod's network namespace, so 127.0.0.1:8080 is
 * tomcat's socket; it prints the sha256 of what it fetched, which must equal
 * the sha256 of /simple.war in the image (printed by the init container).
 *
 * Syscalls: those of ctr_start (step1), waitpid, sigtimedwait
 */
#include "podkit.h"

#include "common.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
	printf("usage: %s [options]\n"
	       "The javaweb pod: an init container copies a war into a volume that a web\n"
	       "server container serves on 8080; a client in the pod fetches it.\n"
	       "  -h, --help       this help\n",
	       program_invocation_short_name);
}

static int64_t t0;

static void show(void *arg, struct init_member *m)
{
	(void)arg;
	char buf[128];
	printf("   %5lld ms  %-6s %s\n", (long long)(now_ms() - t0), m->cfg.name,
	       kit_describe(m, buf, sizeof(buf)));
	fflush(stdout);
	/* The web server never exits: the pod's work is done when the client is. */
	if (!strcmp(m->cfg.name, "client") && m->c.state == CTR_TERMINATED)
		kill(getpid(), SIGTERM);
}

/* The first word of the line after "label: " in text, or "". */
static const char *field(const char *text, const char *label, char *out, size_t len)
{
	const char *p = strstr(text, label);
	out[0] = '\0';
	if (p)
		sscanf(p + strlen(label), "%127s", out);
	(void)len;
	return out;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage();
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	struct kit k;
	step("starting the sandbox and the emptyDir app-volume");
	kit_up(&k, NULL, "javaweb-2", false, "app-volume");
	step_done();

	/* What the init container and the client print comes back through a pipe. */
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		kit_die(&k, "pipe2: %s", strerror(errno));

	char *war[] = {"sh", "-c", "cp /simple.war /app && echo image: $(sha256sum /simple.war)",
	               NULL};
	char *tomcat[] = {"sh", "-c", "/root/apache-tomcat-7.0.42-v2/bin/start.sh", NULL};
	/* The server may need a moment to listen: retry, for a few seconds at most. */
	char *client[] = {
	    "sh", "-c",
	    "for i in $(seq 50); do "
	    "wget -q -O /tmp/simple.war http://127.0.0.1:8080/simple.war 2>/dev/null && break; "
	    "sleep 0.1; done; echo fetched: $(sha256sum /tmp/simple.war)",
	    NULL};
	struct init_member m[3] = {{.is_init = true}, {.is_init = false}, {.is_init = false}};
	kit_container(&k, &m[0].cfg, "war", "simple:v2", war, "/app");
	kit_container(&k, &m[1].cfg, "tomcat", "tomcat:7.0", tomcat,
	              "/root/apache-tomcat-7.0.42-v2/webapps");
	kit_container(&k, &m[2].cfg, "client", "busybox", client, NULL);
	m[0].cfg.stdout_fd = out[1];
	m[2].cfg.stdout_fd = out[1];

	struct init_pod pod = {
	    .sandbox = &k.sandbox,
	    .members = m,
	    .n_members = 3,
	    .policy = INIT_RESTART_NEVER,
	    .grace_ms = 1000,
	    .on_change = show,
	};
	printf("=> running the pod:\n");
	t0 = now_ms();
	int rc = init_pod_run(&pod);
	close(out[1]);
	char text[1024];
	ssize_t n = read(out[0], text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	close(out[0]);
	if (rc < 0)
		kit_die(&k, "%s", last_error());

	char want[128], got[128];
	field(text, "image: ", want, sizeof(want));
	field(text, "fetched: ", got, sizeof(got));
	printf("=> sha256 of /simple.war in the image:   %s\n", want[0] ? want : "(none)");
	printf("=> sha256 of what the client fetched:    %s\n", got[0] ? got : "(none)");
	bool same = want[0] && !strcmp(want, got);
	printf("=> %s\n", same ? "they match: tomcat served the war the init container copied"
	                       : "they differ");

	step("tearing down");
	kit_down(&k);
	step_done();
	return same ? 0 : 1;
}
