/*
 * infra.h - the pod sandbox: a tiny "pause" process that holds the pod's
 * network, IPC and UTS namespaces (and its pid namespace when the pod shares
 * one) open for as long as the pod lives. Every container joins it.
 *
 * The pod's lifecycle is the holder's: when it dies, the namespaces it held
 * die with the last process in them, and the pod must be rebuilt.
 */
#ifndef PODLAB_INFRA_H
#define PODLAB_INFRA_H

#include "ns.h"

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

/* The pod network: an address range on a host bridge. Default below is in
 * 198.18.0.0/15, reserved for network tests (RFC 2544): never someone's LAN. */
#define INFRA_DEFAULT_BRIDGE "podlab0"
#define INFRA_DEFAULT_SUBNET "198.18.0.0/24"

struct infra_config {
	const char *hostname; /* the pod's hostname (required) */
	bool share_pid;       /* new pid namespace, pause is its PID 1 */
	/* NS_BIT set of namespaces the pod takes from the host instead of new
	 * ones (hostNetwork: net and uts; hostIPC: ipc; hostPID: pid). The
	 * sandbox still holds them in nsfd, so containers join them alike. */
	unsigned host_ns;
	const char *pause_path; /* NULL: infra_pause_path() */
	/* Optional: called here, in the caller, as soon as the holder runs
	 * pause (the caller sleeps until its exec: infra.c, clone_holder) -
	 * before the pod IP's setup. podrun records the pid there: a podrun
	 * killed after leaves a holder its cleanup can find; killed before, it
	 * takes the holder along (die_with_caller). */
	void (*on_clone)(void *arg, pid_t pid);
	void *on_clone_arg;
	/* Optional pod IP. bridge == NULL: the pod has only lo. */
	const char *bridge; /* host bridge, created when missing */
	const char *subnet; /* "198.18.0.0/24": the bridge takes .1 */
	int host_index;     /* the pod's address: subnet + host_index (>= 2) */
};

struct infra {
	pid_t pid;          /* the holder, as seen from the caller's pid namespace */
	int pidfd;          /* pidfd of the holder (poll it: readable when it exits) */
	int nsfd[NS_COUNT]; /* the pod's namespaces (net, ipc, uts, pid when shared); others -1 */
	unsigned shared;    /* NS_BIT set of the namespaces in nsfd */
	char veth_host[IF_NAMESIZE]; /* host end of the pod's veth, "" without a pod IP */
	char bridge[IF_NAMESIZE];
	char ip[INET_ADDRSTRLEN]; /* the pod IP, "" without one */
	int prefix;               /* its prefix length */
};

/* The uid and gid pause runs as: 65535, as in Kubernetes' pause image
 * (USER 65535:65535); not nobody's, 65534 (lab 01). */
#define INFRA_PAUSE_UID 65535

/* The pause binary to run: $PODLAB_PAUSE, else the one built beside podlab. */
const char *infra_pause_path(void);

/* Start the holder in new net/ipc/uts (and pid) namespaces with the pod's
 * hostname and lo up, then (optionally) give it the pod IP. Returns once the
 * holder is running (its stdio is /dev/null, its cwd /). On failure nothing is
 * left: no process, no link, and *out is reset so infra_stop(out) is a no-op.
 * errno ENOTRECOVERABLE is the one failure to exit on: the thread could not
 * return from the pod's network namespace (nl_open_in), and every socket it
 * made from then on would be the pod's. The veth's host end is veth<pid>, or
 * veth<pid>_N while an older one of that name is still being destroyed.
 * A start and infra_remove_bridge_if_unused of the same bridge must be
 * serialised by the caller (podrun takes ROOT/bridge.lock): the removal looks
 * at the bridge's ports and then deletes it, and a start may come between
 * the two (a start that fails removes a bridge it made so, too). Making the
 * bridge needs no lock: each start makes a missing one under a name of its
 * own and marks it before it renames it (see INFRA_BRIDGE_TMP_PREFIX); the
 * first rename wins, the others join that bridge.
 * Link with $(INFRA_OBJS) (lab.mk): infra.o, nl.o, ns.o, common.o. */
int infra_start(const struct infra_config *cfg, struct infra *out);

/* What infra_start checks before it starts anything: the hostname, and with
 * a bridge its name, the subnet and the host index in it. EINVAL with the
 * reason; a program can refuse its arguments with it (exit 2). */
int infra_check_config(const struct infra_config *cfg);

/* Join the sandbox's namespaces from the calling process (setns). With a
 * shared pid namespace, only children created afterwards enter it. */
int infra_join(const struct infra *in);

/* Is the holder still running? */
bool infra_alive(const struct infra *in);

/* SIGTERM the holder, SIGKILL after timeout_ms, reap it, take the veth off
 * the bridge, close the fds. Closing them drops the last reference to the
 * pod's network namespace (the caller has ended the pod's other processes):
 * the kernel destroys it and the veth with it, a moment later and without
 * us waiting for it. A holder that could not be killed keeps its namespace:
 * then the veth is deleted here. Safe to call on a dead holder and twice (on
 * a struct that infra_start filled in, even when it failed). The bridge
 * stays: other pods may use it (infra_remove_bridge_if_unused). */
int infra_stop(struct infra *in, int timeout_ms);

/* Remove a pod's host-side veth by name (ENODEV counts as done), and wait
 * for the kernel to let go of it: for cleaning up after a supervisor that
 * died without stopping its pod, whose pause may still hold the namespace. */
int infra_remove_veth(const char *name);

/* The same for a veth known by the ifindex it had when the pod started.
 * After a crash its name (veth<pause's pid>) may be a new pod's by now,
 * whose pause got the same pid; the kernel hands an ifindex out once
 * (cyclically, not again until it wraps). */
int infra_remove_veth_index(int index);

/* A bridge infra_start creates carries this alias (ip link show: "alias
 * podlab pod network"). One that exists without it is someone else's: the
 * sandbox refuses it rather than adopt it. */
#define INFRA_BRIDGE_ALIAS "podlab pod network"
bool infra_bridge_is_ours(const char *name);
/* A bridge is made under this name and the starter's thread id (podlab~4242),
 * marked, then renamed: a start that dies halfway leaves no bridge with the
 * pod bridge's name and no alias, which every later pod would refuse. What it
 * may leave, a bridge named so whose thread is gone, the next start that
 * makes a bridge deletes. */
#define INFRA_BRIDGE_TMP_PREFIX "podlab~"

/* How many interfaces are attached to the bridge (its brif/ entries), or -1. */
int infra_bridge_ports(const char *name);

/* Remove the bridge if it is ours and no interface is attached to it any more.
 * The kernel's unregister of a net device is slow (tens of ms: RCU grace
 * periods under RTNL), and this waits for it. */
int infra_remove_bridge_if_unused(const char *name);

/* "198.18.0.0/24" -> network address and prefix; EINVAL with a message. */
int infra_parse_subnet(const char *s, struct in_addr *net, int *prefix);

#endif
