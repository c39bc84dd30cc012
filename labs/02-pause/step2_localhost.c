/*
 * step2_localhost - two "containers" join the holder's namespaces and talk
 * over localhost, as the containers of one pod do.
 *
 * Container A listens on 127.0.0.1:PORT, container B connects to it. They are
 * separate processes, yet B reaches A through the loopback device of the pod's
 * network namespace, which both joined with setns(2). Both list the same
 * interfaces and see the same hostname. The host, in its own network
 * namespace, connects to its own 127.0.0.1 and finds nobody there.
 *
 * With --pid the pod shares its pid namespace (shareProcessNamespace: true):
 * pause is its PID 1, and the containers join that pid namespace too. A
 * process never changes its own pid namespace: setns(2) on a pid namespace
 * only decides where the caller's children are born (/proc/PID/ns/
 * pid_for_children), so container B forks a child to show a pid of the pod.
 *
 * Syscalls: setns(2) (through infra_join), socket(2), bind(2), listen(2),
 * accept4(2), connect(2), if_nameindex(3), gethostname(2), fork(2).
 */
#include "common.h"
#include "hold.h"
#include "infra.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: step2_localhost [OPTION]...\n"
	             "Two processes join one pod and talk over 127.0.0.1.\n\n"
	             "  --port PORT       the port container A listens on (default: 18200)\n"
	             "  --hostname NAME   the pod's hostname (default: lab2-pod)\n"
	             "  --pid             share a pid namespace: pause is its PID 1, the "
	             "containers join it\n"
	             "  --hold            keep the pod (and A listening) until stdin reaches EOF\n"
	             "  --help            show this help\n");
}

/* What a container sees of the pod: its hostname and its interfaces. */
static void show_view(const char *who)
{
	char host[65] = "", ifs[256] = "";
	if (gethostname(host, sizeof(host)) < 0)
		die_errno("gethostname");
	struct if_nameindex *list = if_nameindex();
	if (!list)
		die_errno("if_nameindex");
	for (struct if_nameindex *i = list; i->if_index; i++)
		snprintf(ifs + strlen(ifs), sizeof(ifs) - strlen(ifs), "%s%s", ifs[0] ? " " : "",
		         i->if_name);
	if_freenameindex(list);
	printf("%s (pid %d): hostname %s, interfaces: %s\n", who, (int)getpid(), host, ifs);
	fflush(stdout);
}

static struct sockaddr_in localhost(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* Container A: listen on the pod's 127.0.0.1, greet everyone who connects. */
NORETURN static void container_a(const struct infra *pod, int port, int ready)
{
	if (infra_join(pod) < 0)
		die_last();
	show_view("container A");
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die_errno("socket");
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = localhost(port);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die_errno("bind(127.0.0.1:%d)", port);
	if (listen(s, 8) < 0)
		die_errno("listen");
	if (write(ready, "x", 1) != 1)
		die_errno("write(ready pipe)");
	close(ready);
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			die_errno("accept4");
		char msg[128];
		int n =
		    snprintf(msg, sizeof(msg), "hello from container A (pid %d)\n", (int)getpid());
		if (write(c, msg, (size_t)n) < 0)
			warn_errno("write");
		close(c);
	}
}

/* Container B: connect to localhost:PORT and read A's greeting. It says
 * "done" on the done pipe once it has shown all it shows, before it waits in
 * the pod (--hold) or exits: only then is the pod worth holding and looking at. */
NORETURN static void container_b(const struct infra *pod, int port, bool hold, int done)
{
	if (infra_join(pod) < 0)
		die_last();
	show_view("container B");
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die_errno("socket");
	struct sockaddr_in sa = localhost(port);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die_errno("connect(127.0.0.1:%d)", port);
	char buf[128];
	ssize_t n = read(s, buf, sizeof(buf) - 1);
	if (n <= 0)
		die_errno("read(127.0.0.1:%d)", port);
	buf[n] = '\0';
	printf("container B: connected to 127.0.0.1:%d, got: %s", port, buf);
	fflush(stdout);
	close(s);
	if (pod->shared & NS_BIT(NS_PID)) {
		/* B itself stays in the host's pid namespace; its children are
		 * born in the pod's, where pause is 1. */
		fflush(stdout);
		pid_t child = fork();
		if (child < 0)
			die_errno("fork");
		if (child == 0) {
			printf(
			    "container B's child: pid %d in the pod's pid namespace (pause is 1)\n",
			    (int)getpid());
			fflush(stdout);
			_exit(0);
		}
		if (waitpid(child, NULL, 0) < 0)
			die_errno("waitpid(B's child)");
	}
	if (write(done, "x", 1) != 1)
		die_errno("write(done pipe)");
	close(done);
	if (hold)
		for (;;)
			pause(); /* stay in the pod until the parent ends us */
	exit(0);
}

/* End the containers still running. A pid <= 0 is one not started, or
 * already reaped: its number may be another process's by now. */
static void end_containers(pid_t a, pid_t b)
{
	pid_t ctr[] = {a, b};
	for (size_t i = 0; i < ARRAY_SIZE(ctr); i++)
		if (ctr[i] > 0) {
			kill(ctr[i], SIGKILL);
			waitpid(ctr[i], NULL, 0);
		}
}

/* Once the pod runs, a failure must not leave it behind: end the containers,
 * stop the holder, then die. errno is kept for the die_errno() that follows. */
static void stop_pod(struct infra *pod, pid_t a, pid_t b)
{
	int err = errno;
	end_containers(a, b);
	infra_stop(pod, 1000);
	errno = err;
}

int main(int argc, char **argv)
{
	struct infra_config cfg = {.hostname = "lab2-pod"};
	long port = 18200;
	bool hold = false;
	static const struct option opts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"hostname", required_argument, NULL, 'n'},
	    {"pid", no_argument, NULL, 'P'}, /* -p is --port */
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_long(optarg, 1, 65535, &port) < 0)
				die_usage("bad port '%s' (1 to 65535)", optarg);
			break;
		case 'n':
			cfg.hostname = optarg;
			break;
		case 'P':
			cfg.share_pid = true;
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
	if (infra_check_config(&cfg) < 0)
		die_usage("%s", last_error());

	interrupt_defer(); /* Ctrl-C from here on: finish, clean up, then report it */
	struct infra pod;
	step("starting the pod's holder");
	if (infra_start(&cfg, &pod) < 0)
		die_last();
	step_done_with("pid %d", (int)pod.pid);
	fflush(stdout);

	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		stop_pod(&pod, -1, -1);
		die_errno("pipe2");
	}
	pid_t a = fork();
	if (a < 0) {
		stop_pod(&pod, -1, -1);
		die_errno("fork");
	}
	if (a == 0) {
		close(ready[0]);
		container_a(&pod, (int)port, ready[1]);
	}
	close(ready[1]);
	char x;
	if (read(ready[0], &x, 1) != 1) {
		stop_pod(&pod, a, -1);
		die("container A did not start listening");
	}
	close(ready[0]);

	int done[2];
	if (pipe2(done, O_CLOEXEC) < 0) {
		stop_pod(&pod, a, -1);
		die_errno("pipe2");
	}
	pid_t b = fork();
	if (b < 0) {
		stop_pod(&pod, a, -1);
		die_errno("fork");
	}
	if (b == 0) {
		close(done[0]);
		container_b(&pod, (int)port, hold, done[1]);
	}
	close(done[1]);
	/* Held, B stays in the pod: wait for its "done", not its exit. EOF
	 * instead is a B that failed and exited. b_live is B while it runs. */
	int rc = read(done[0], &x, 1) == 1 ? 0 : 1;
	close(done[0]);
	pid_t b_live = b;
	if (!hold || rc) {
		int st;
		if (waitpid(b, &st, 0) < 0) {
			stop_pod(&pod, a, b);
			die_errno("waitpid(B)");
		}
		b_live = -1;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	}

	/* The same connection from the host's network namespace: its
	 * 127.0.0.1 is another loopback device, and nobody listens there. */
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		stop_pod(&pod, a, b_live);
		die_errno("socket");
	}
	struct sockaddr_in sa = localhost((int)port);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		printf("host: connect(127.0.0.1:%ld): %s (the host's localhost is not the pod's)\n",
		       port, strerror(errno));
	else
		printf("host: connect(127.0.0.1:%ld) succeeded: something on the host uses this "
		       "port\n",
		       port);
	close(s);
	printf("holder pid %d, container A pid %d, container B pid %d\n", (int)pod.pid, (int)a,
	       (int)b);
	fflush(stdout);

	if (hold)
		hold_until_eof();

	step("stopping the pod");
	end_containers(a, b_live);
	if (infra_stop(&pod, 1000) < 0)
		die_last();
	step_done();
	interrupt_check();
	return rc;
}
