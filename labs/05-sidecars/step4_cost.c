/*
 * step4_cost - what does talking over localhost inside a pod cost, against a
 * hop over the bridge to another pod?
 *
 * A sidecar is only a good idea if reaching it is cheap. Inside a pod the
 * app and its sidecar talk over the pod's loopback device: one network
 * namespace, no veth, no bridge. Between pods every packet leaves through a
 * veth, crosses the bridge and enters the other pod's veth.
 *
 * Two sandboxes (lab 02), no containers: a forked client and server join
 * them with setns (infra_join) and measure, over TCP,
 *   - the round trip of a 1-byte message, many times (latency), and
 *   - a bulk stream (throughput),
 * first both in pod A over 127.0.0.1, then client in A, server in B over the
 * bridge. Each is run several times, alternating, and the best kept: the
 * machine is shared and noisy, and the ratio is what to read.
 *
 * Run it with `make bench-localhost`.
 */
#include "common.h"
#include "netutil.h"
#include "sidekit.h"

#include <fcntl.h>
#include <getopt.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

struct result {
	double rtt_us; /* one round trip of one byte */
	double mib_s;  /* bulk stream */
};

static long round_trips = 20000, megabytes = 256;

static void usage(FILE *out)
{
	fprintf(out, "Usage: step4_cost [OPTION]...\n"
	             "Latency and throughput: localhost in a pod against a veth hop between pods.\n"
	             "\n"
	             "  --round-trips N   1-byte round trips per measurement (default 20000)\n"
	             "  --megabytes N     MiB in the bulk stream (default 256)\n"
	             "  --runs N          measurements of each kind; the best is kept (default 3)\n"
	             "  -h, --help        show this help\n");
}

static void nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* In the server's pod: echo each byte of the first connection; swallow the
 * second to EOF and answer one byte. */
static void serve(int lfd)
{
	char buf[64 * 1024];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die_errno("accept4");
	nodelay(fd);
	while (recv(fd, buf, 1, 0) == 1)
		if (send(fd, buf, 1, 0) != 1)
			die_errno("send");
	close(fd);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die_errno("accept4");
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		;
	if (n < 0 || send(fd, "k", 1, 0) != 1)
		die_errno("bulk");
	close(fd);
}

static struct result client(const struct sockaddr_in *to)
{
	static char buf[64 * 1024];
	struct result r;
	int fd = nu_connect(to, 2000);
	if (fd < 0)
		die_last();
	nodelay(fd);
	int64_t t0 = now_ns();
	for (long i = 0; i < round_trips; i++)
		if (send(fd, "x", 1, 0) != 1 || recv(fd, buf, 1, 0) != 1)
			die_errno("round trip");
	r.rtt_us = (double)(now_ns() - t0) / 1e3 / (double)round_trips;
	close(fd);

	fd = nu_connect(to, 2000);
	if (fd < 0)
		die_last();
	t0 = now_ns();
	for (long left = megabytes * 1024 * 1024; left > 0; left -= (long)sizeof(buf))
		if (nu_send_all(fd, buf, sizeof(buf)) < 0)
			die_last();
	/* The time counts until the server has read it all: half-close, and
	 * wait for its one-byte answer. */
	shutdown(fd, SHUT_WR);
	if (recv(fd, buf, 1, 0) != 1)
		die_errno("bulk answer");
	r.mib_s = (double)megabytes / ((double)(now_ns() - t0) / 1e9);
	close(fd);
	return r;
}

/* One measurement: server in pod srv listening at addr, client in pod cli. */
static struct result measure(const struct sk_pod *cli, const struct sk_pod *srv, const char *addr)
{
	struct sockaddr_in a;
	if (nu_parse_hostport(addr, &a) < 0)
		die_last();
	int ready[2], res[2];
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
		die_errno("pipe2");

	pid_t server = fork();
	if (server < 0)
		die_errno("fork");
	if (server == 0) {
		/* The result pipe is the client's: were its write end open here
		 * too, a client that died before writing would leave the parent
		 * reading forever, this server waiting in accept. */
		close(res[0]);
		close(res[1]);
		close(ready[0]);
		if (infra_join(&srv->sandbox) < 0)
			die_last();
		int lfd = nu_listen(&a, 0);
		if (lfd < 0)
			die_last();
		/* "listening": a byte, where a server that died says nothing */
		if (write(ready[1], "1", 1) != 1)
			die_errno("write(ready)");
		close(ready[1]);
		serve(lfd);
		_exit(0);
	}
	close(ready[1]);
	char c;
	ssize_t started = read(ready[0], &c, 1);
	close(ready[0]);
	if (started != 1) {
		waitpid(server, NULL, 0);
		die("server did not start in %s", srv->name);
	}

	pid_t cl = fork();
	if (cl < 0)
		die_errno("fork");
	if (cl == 0) {
		if (infra_join(&cli->sandbox) < 0)
			die_last();
		struct result r = client(&a);
		if (write(res[1], &r, sizeof(r)) != sizeof(r))
			die_errno("write(result)");
		_exit(0);
	}
	close(res[1]);
	/* A measurement can take minutes (--round-trips), and a Ctrl-C stays
	 * pending, blocked, in this process and in both of ours: wait for the
	 * result in slices and look. The pods' teardown knows nothing of these
	 * two processes, so they are ended here, before the step dies of it. */
	struct pollfd result = {.fd = res[0], .events = POLLIN};
	int polled;
	while ((polled = poll(&result, 1, 50)) <= 0) {
		int err = errno;
		if ((polled < 0 && err != EINTR) || sk_interrupted()) {
			kill(cl, SIGKILL);
			kill(server, SIGKILL);
			waitpid(cl, NULL, 0);
			waitpid(server, NULL, 0);
			sk_check_interrupt();
			errno = err;
			die_errno("poll(result pipe)");
		}
	}
	struct result r;
	ssize_t got = read(res[0], &r, sizeof(r));
	close(res[0]);
	int st1, st2;
	waitpid(cl, &st1, 0);
	/* A client that failed may have left the server waiting in accept. */
	if (got != sizeof(r) || st1 != 0)
		kill(server, SIGKILL);
	waitpid(server, &st2, 0);
	if (got != sizeof(r) || st1 != 0 || st2 != 0)
		die("measurement failed");
	return r;
}

static void keep_best(struct result *best, struct result r)
{
	if (best->rtt_us == 0 || r.rtt_us < best->rtt_us)
		best->rtt_us = r.rtt_us;
	if (r.mib_s > best->mib_s)
		best->mib_s = r.mib_s;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"round-trips", required_argument, NULL, 'r'},
	    {"megabytes", required_argument, NULL, 'm'},
	    {"runs", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	long runs = 3;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_long(optarg, 1, 10000000, &round_trips) < 0)
				die_usage("--round-trips: '%s' is not a number from 1 to 10000000",
				          optarg);
			break;
		case 'm':
			if (parse_long(optarg, 1, 100000, &megabytes) < 0)
				die_usage("--megabytes: '%s' is not a number from 1 to 100000",
				          optarg);
			break;
		case 'n':
			if (parse_long(optarg, 1, 100, &runs) < 0)
				die_usage("--runs: '%s' is not a number from 1 to 100", optarg);
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

	sk_begin(NULL);
	static struct sk_pod a, b;
	step("starting pods A and B on " SK_BRIDGE);
	sk_pod_up(&a, "pod-a", 2, NULL);
	sk_pod_up(&b, "pod-b", 3, NULL);
	step_done_with("%s, %s", a.sandbox.ip, b.sandbox.ip);

	char over_veth[64];
	snprintf(over_veth, sizeof(over_veth), "%s:18541", b.sandbox.ip);
	struct result lo = {0}, veth = {0};
	step("measuring %ld round trips and %ld MiB, %ld times each", round_trips, megabytes, runs);
	for (long i = 0; i < runs; i++) {
		sk_check_interrupt();
		keep_best(&lo, measure(&a, &a, "127.0.0.1:18540"));
		keep_best(&veth, measure(&a, &b, over_veth));
	}
	step_done();

	printf("localhost in pod A      round trip %7.2f us   bulk %8.0f MiB/s\n", lo.rtt_us,
	       lo.mib_s);
	printf("pod A -> pod B (veth)   round trip %7.2f us   bulk %8.0f MiB/s\n", veth.rtt_us,
	       veth.mib_s);
	printf("veth hop / localhost:   latency x%.2f, throughput x%.2f\n", veth.rtt_us / lo.rtt_us,
	       veth.mib_s / lo.mib_s);
	return 0;
}
