/*
 * nl.h - the few rtnetlink requests a pod network needs, from C: what
 * `ip link add`, `ip addr add` and `ip route add` send to the kernel.
 *
 * Every request is made on a fresh NETLINK_ROUTE socket, so it acts on the
 * network namespace the calling process is in at that moment (a netlink
 * socket belongs to the netns it was created in). Like every podlab module,
 * these never print: -1 with errno and last_error() on failure.
 */
#ifndef PODLAB_NL_H
#define PODLAB_NL_H

#include <netinet/in.h>

/* ip link add NAME type bridge */
int nl_bridge_add(const char *name);
/* ip link add HOST type veth peer name PEER netns NETNS_FD
 * The peer is created directly inside the namespace behind netns_fd. */
int nl_veth_add(const char *host, const char *peer, int netns_fd);
/* ip link set NAME alias ALIAS (read back from /sys/class/net/NAME/ifalias) */
int nl_link_set_alias(const char *name, const char *alias);
/* ip link set NAME up */
int nl_link_up(const char *name);
/* ip link set NAME master MASTER */
int nl_link_set_master(const char *name, const char *master);
/* ip link del NAME (ENODEV when there is no such link) */
int nl_link_del(const char *name);
/* ip addr add ADDR/PREFIX dev NAME (EEXIST when it is already there) */
int nl_addr_add(const char *name, struct in_addr addr, int prefix);
/* ip route add default via GW */
int nl_route_add_default(struct in_addr gw);

#endif
