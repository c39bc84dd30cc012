/*
 * nl.h - the few rtnetlink requests a pod network needs, from C: what
 * `ip link add`, `ip addr add` and `ip route add` send to the kernel.
 *
 * Every request is made on a fresh NETLINK_ROUTE socket, so it acts on the
 * network namespace the calling thread is in at that moment (a netlink
 * socket belongs to the netns it was created in). The *_at ones take a
 * socket instead: one from nl_open_in acts on another namespace, without a
 * process having to live there. Like every podlab module, these never
 * print: -1 with errno and last_error() on failure.
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
/* ip link set NAME name NEWNAME (EEXIST when NEWNAME is taken; EBUSY when
 * NAME is up on a kernel before 6.2, which renamed only links that were down) */
int nl_link_rename(const char *name, const char *newname);
/* The index of link NAME in our namespace, asked with RTM_GETLINK (ENODEV
 * when there is none) */
int nl_link_index(const char *name);
/* ip link set NAME up */
int nl_link_up(const char *name);
/* ip link set NAME addrgenmode none: no IPv6 link-local address (and so no
 * duplicate address detection, router solicitation or MLD report) when the
 * link comes up. Set it while the link is down. Success, doing nothing, on a
 * kernel without IPv6. */
int nl_link_addrgenmode_none(const char *name);
/* ip link set NAME master MASTER */
int nl_link_set_master(const char *name, const char *master);
/* ip link set NAME nomaster */
int nl_link_set_nomaster(const char *name);
/* ip link del NAME (ENODEV when there is no such link) */
int nl_link_del(const char *name);
/* ip link del by ifindex (ENODEV when there is no such link) */
int nl_link_del_index(int index);
/* ip addr add ADDR/PREFIX dev NAME (EEXIST when it is already there) */
int nl_addr_add(const char *name, struct in_addr addr, int prefix);
/* ip route add default via GW */
int nl_route_add_default(struct in_addr gw);

/* A NETLINK_ROUTE socket of the network namespace behind netns_fd: setns
 * there, socket(2), setns back to home_fd (the calling thread's own netns,
 * opened before: /proc/thread-self/ns/net). The socket keeps acting on the
 * namespace it was made in; the thread is home again. If the way back fails,
 * errno is ENOTRECOVERABLE and the message says so: the thread is stranded
 * in the other namespace, every socket it made from then on would be that
 * namespace's, and the process must exit. */
int nl_open_in(int netns_fd, int home_fd);
/* On such a socket: the index of link NAME in its namespace (RTM_GETLINK) */
int nl_link_index_at(int sock, const char *name);
/* ip link set up, addrgenmode none, ip addr add, ip route add default;
 * name is for messages */
int nl_link_up_at(int sock, const char *name, int index);
int nl_link_addrgenmode_none_at(int sock, const char *name, int index);
int nl_addr_add_at(int sock, const char *name, int index, struct in_addr addr, int prefix);
int nl_route_add_default_at(int sock, struct in_addr gw);

#endif
