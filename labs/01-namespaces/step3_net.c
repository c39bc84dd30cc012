/*
 * step3_net - a network namespace starts with nothing but a loopback
 * interface, and even that one is down.
 *
 * Concept: unshare(CLONE_NEWNET) gives the process its own network stack:
 * interfaces, addresses, routes, ports, firewall rules. A new one holds only
 * "lo", DOWN, so even 127.0.0.1 is unreachable until someone brings lo up.
 * Every Pod's sandbox does exactly that first (lab 02). (One exception: a
 * host that has loaded a tunnel module - ipip, gre, sit, ip6_tunnel; Calico's
 * IPIP mode loads ipip - gives every new namespace that module's fallback
 * device too, tunl0@NONE and the like, DOWN, unless the sysctl
 * net.core.fb_tunnels_only_for_init_net says otherwise.)
 *
 * Interfaces are listed with if_nameindex(3), which asks the kernel over
 * netlink in the *current* network namespace. /sys/class/net would not do:
 * sysfs shows the network namespace it was mounted in, so after unshare it
 * still lists the host's interfaces until sysfs is mounted again.
 *
 * Syscalls: unshare(CLONE_NEWNET), socket(2) + ioctl(SIOCGIFFLAGS,
 * SIOCSIFFLAGS) (through ns_lo_up), if_nameindex(3).
 */
#include "common.h"
#include "ns.h"

#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: step3_net [--hold]\n"
	             "Unshare a network namespace, list its interfaces, bring lo up, list again.\n"
	             "  --hold     stay alive in the namespace until killed and print the pid:\n"
	             "             nsenter -t PID -n ip -o link\n"
	             "  --help     show this help\n");
}

static void list_interfaces(void)
{
	_cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die_errno("socket(AF_INET)");
	struct if_nameindex *ifs = if_nameindex();
	if (!ifs)
		die_errno("if_nameindex");
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		struct ifreq ifr = {0};
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
			die_errno("ioctl(%s, SIOCGIFFLAGS)", i->if_name);
		short f = ifr.ifr_flags;
		printf("   %u: %-8s %s%s%s\n", i->if_index, i->if_name, f & IFF_UP ? "UP" : "DOWN",
		       f & IFF_LOOPBACK ? ",LOOPBACK" : "", f & IFF_RUNNING ? ",RUNNING" : "");
	}
	if_freenameindex(ifs);
}

int main(int argc, char **argv)
{
	bool hold = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--hold")) {
			hold = true;
		} else {
			die_usage("unknown argument '%s'", argv[i]);
		}
	}

	printf("   the host's interfaces:\n");
	list_interfaces();

	step("unshare(CLONE_NEWNET)");
	if (unshare(CLONE_NEWNET) < 0)
		die_errno("unshare(CLONE_NEWNET)");
	step_done();
	printf("   the new namespace's interfaces:\n");
	list_interfaces();

	step("bringing lo up (ioctl SIOCSIFFLAGS, IFF_UP)");
	if (ns_lo_up() < 0)
		die_last();
	step_done();
	list_interfaces();

	if (hold) {
		printf("holding: pid %d (kill it to end)\n", (int)getpid());
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0;
}
