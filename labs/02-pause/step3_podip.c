/*
 * step3_podip - one IP per pod: a veth pair from the holder's network
 * namespace to a bridge on the host; the host reaches a server inside.
 *
 * A veth pair is a virtual cable: what enters one end leaves the other. One
 * end stays on the host, attached to a bridge that has the subnet's .1; the
 * other is created inside the pod's netns as eth0 and given the pod's
 * address. Every container that joins the pod sees that same eth0: the IP
 * belongs to the pod, not to a container.
 *
 * Syscalls: rtnetlink (RTM_NEWLINK bridge and veth with IFLA_NET_NS_FD,
 * RTM_NEWADDR, RTM_NEWROUTE, RTM_DELLINK) through nl.c, setns(2),
 * getifaddrs(3), socket(2), connect(2).
 */
#include "common.h"
#include "hold.h"
#include "infra.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: step3_podip [OPTION]...\n"
	    "Give a pod one IP over a veth pair and reach a server inside from the host.\n\n"
	    "  --bridge NAME     the host bridge, created when missing (default: lab2br0)\n"
	    "  --subnet NET/LEN  the pod network; the bridge takes .1 (default: 198.18.2.0/24)\n"
	    "  --index N         the pod's address is subnet + N (default: 2)\n"
	    "  --port PORT       the port of the server in the pod (default: 18210)\n"
	    "  --hold            keep the pod until stdin reaches EOF or Ctrl-C\n"
	    "  --help            show this help\n");
}

/* What a container sees: eth0's address, from inside the pod. */
static void show_eth0(const char *who)
{
	struct ifaddrs *all;
	if (getifaddrs(&all) < 0)
		die_errno("getifaddrs");
	for (struct ifaddrs *i = all; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    strcmp(i->ifa_name, "eth0"))
			continue;
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a, sizeof(a));
		printf("%s (pid %d): eth0 ifindex %u, address %s\n", who, (int)getpid(),
		       if_nametoindex("eth0"), a);
	}
	freeifaddrs(all);
	fflush(stdout);
}

/* Container A: serve on every address of the pod, port PORT. */
NORETURN static void server(const struct infra *pod, int port, int ready)
{
	if (infra_join(pod) < 0)
		die_last();
	show_eth0("container A");
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die_errno("socket");
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die_errno("bind(0.0.0.0:%d)", port);
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
		int n = snprintf(msg, sizeof(msg), "hello from the pod at %s\n", pod->ip);
		if (write(c, msg, (size_t)n) < 0)
			warn_errno("write");
		close(c);
	}
}

/* Once the pod runs, a failure must not leave it behind: stop the holder (its
 * veth goes with its netns), remove the bridge if no other pod uses it, then
 * die. errno is kept for the die_errno() that follows. */
static void stop_pod(struct infra *pod, const char *bridge)
{
	int err = errno;
	infra_stop(pod, 1000);
	infra_remove_bridge_if_unused(bridge);
	errno = err;
}

/* infra_stop does not wait for the veth: the kernel destroys it with the
 * pod's netns, a moment later, from a work queue. Give it up to a second
 * before saying whether it is gone. */
static bool veth_gone(const char *name)
{
	for (int i = 0; i < 100; i++) {
		if (!if_nametoindex(name))
			return true;
		sleep_ms(10);
	}
	return false;
}

int main(int argc, char **argv)
{
	struct infra_config cfg = {
	    .hostname = "lab2-pod",
	    .bridge = "lab2br0",
	    .subnet = "198.18.2.0/24",
	    .host_index = 2,
	};
	long port = 18210, index = 2;
	bool hold = false;
	static const struct option opts[] = {
	    {"bridge", required_argument, NULL, 'b'},
	    {"subnet", required_argument, NULL, 's'},
	    {"index", required_argument, NULL, 'i'},
	    {"port", required_argument, NULL, 'p'},
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0; /* one message of our own, not getopt's too */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			cfg.bridge = optarg;
			break;
		case 's':
			cfg.subnet = optarg;
			break;
		case 'i':
			/* how far up it may go is the subnet's to say:
			 * infra_check_config, below */
			if (parse_long(optarg, 2, INT_MAX, &index) < 0)
				die_usage("bad index '%s' (2 or more)", optarg);
			cfg.host_index = (int)index;
			break;
		case 'p':
			if (parse_long(optarg, 1, 65535, &port) < 0)
				die_usage("bad port '%s' (1 to 65535)", optarg);
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
	step("starting the pod with an IP on %s", cfg.bridge);
	if (infra_start(&cfg, &pod) < 0)
		die_last();
	step_done_with("holder %d, %s/%d, host end %s", (int)pod.pid, pod.ip, pod.prefix,
	               pod.veth_host);
	fflush(stdout);

	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		stop_pod(&pod, cfg.bridge);
		die_errno("pipe2");
	}
	pid_t a = fork();
	if (a < 0) {
		stop_pod(&pod, cfg.bridge);
		die_errno("fork");
	}
	if (a == 0) {
		close(ready[0]);
		server(&pod, (int)port, ready[1]);
	}
	close(ready[1]);
	char x;
	int rc = read(ready[0], &x, 1) == 1 ? 0 : 1;
	close(ready[0]);

	/* Container B only looks: the same eth0, the same address. */
	pid_t b = rc ? -1 : fork();
	if (b == 0) {
		if (infra_join(&pod) < 0)
			die_last();
		show_eth0("container B");
		exit(0);
	}
	int st;
	if (b > 0 && (waitpid(b, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		printf("container B (pid %d) failed\n", (int)b);
		rc = 1;
	} else if (b < 0 && rc == 0) {
		warn_errno("fork (container B)");
		rc = 1;
	}

	/* The host, in its own netns, reaches the pod through the bridge. */
	if (rc == 0) {
		step("host connects to %s:%ld", pod.ip, port);
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		inet_pton(AF_INET, pod.ip, &sa.sin_addr);
		char buf[128] = "";
		ssize_t n = -1;
		if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			n = read(s, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			step_done();
			printf("host: got: %s", buf);
		} else {
			printf("failed: %s\n", n == 0
			                           ? "the pod closed the connection without a word"
			                           : strerror(errno));
			rc = 1;
		}
		if (s >= 0)
			close(s);
	}
	printf("holder pid %d, container A pid %d, pod ip %s, host veth %s, bridge %s\n",
	       (int)pod.pid, (int)a, pod.ip, pod.veth_host, pod.bridge);
	fflush(stdout);

	if (hold)
		hold_until_eof();

	step("stopping the pod");
	char veth[IF_NAMESIZE];
	snprintf(veth, sizeof(veth), "%s", pod.veth_host);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	if (infra_stop(&pod, 1000) < 0)
		die_last();
	/* Other pods may still use the bridge: remove it only when empty. */
	if (infra_remove_bridge_if_unused(cfg.bridge) < 0)
		die_last();
	step_done_with("%s %s", veth, veth_gone(veth) ? "is gone" : "is still there");
	interrupt_check();
	return rc;
}
