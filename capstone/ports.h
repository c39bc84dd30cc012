/*
 * ports.h - hostPort forwarding: the supervisor listens on hostIP:hostPort on
 * the host and relays each connection to containerPort on the pod IP, the
 * address Kubernetes' hostPort DNAT rule rewrites the destination to.
 *
 * The trick is where the second socket lives. A socket belongs to the
 * network namespace of the thread that created it, for its whole life; so the
 * supervisor steps into the pod's netns with setns(2), creates the socket,
 * and steps back. Connecting it to the pod IP then happens inside the pod's
 * network: no NAT, no iptables, no route from the host to the pod needed.
 *
 * Why the pod IP and not the pod's 127.0.0.1: a server that binds only to
 * the pod's loopback is saying "private to this pod" (a sidecar's admin port,
 * a database for the app next to it). Dialing loopback would hand every such
 * server to the network through any hostPort naming its port, and every
 * client would look like 127.0.0.1, the most trusted address there is. Only
 * a pod without an IP (PODRUN_BRIDGE=none) is dialed on its loopback: it has
 * nothing else.
 *
 * The kernel behaviour to know: the connection never crosses the pod's eth0.
 * The pod IP is a local address of the pod's netns, so the local routing
 * table sends the SYN over `lo`, and the source address the kernel picks for
 * the relay's socket is the pod IP itself. The server sees its own IP as the
 * peer - not 127.0.0.1, and not the real client either.
 */
#ifndef PODLAB_PORTS_H
#define PODLAB_PORTS_H

#include "spec.h"

#include <stdint.h>

/* Something in the supervisor's epoll set: the event loop calls handle(). A
 * negative return is fatal for the supervisor (last_error says why). */
struct ev_watch {
	int (*handle)(struct ev_watch *w, uint32_t events);
};

struct ports;

/* A connect to the pod that has not completed after this long is abandoned
 * and its client closed: a SYN the pod drops (its listen backlog is full) is
 * retried by the kernel for about two minutes before connect fails. */
#define PORTS_CONNECT_TIMEOUT_MS 10000

/* Bind every hostPort of the pod on the host, before anything else of the
 * pod exists: a port in use fails here (EADDRINUSE, "hostPort 8001 ...").
 * *out is NULL-safe to ports_close. */
int ports_listen(const struct pod_spec *spec, struct ports **out);
/* Number of listening sockets. */
size_t ports_count(const struct ports *ps);
/* Start accepting. netns_fd is the pod's /proc/PAUSE/ns/net (borrowed);
 * pod_ip its IPv4 address as text (copied), NULL or "" when the pod has none
 * (then the pod's loopback is dialed). Both may change when the sandbox is
 * recreated: ports_set_netns. Adds a timerfd to epfd (connect deadlines, the
 * resting listeners' retry). */
int ports_start(struct ports *ps, int epfd, int netns_fd, const char *pod_ip);
/* The sandbox's netns and pod IP, as for ports_start; the next connection
 * uses them. -1 (EINVAL) when pod_ip is not an IPv4 address: nothing changed. */
int ports_set_netns(struct ports *ps, int netns_fd, const char *pod_ip);
/* Free the connections closed during the last batch of events: call it
 * after handling everything one epoll_wait returned. */
void ports_collect(struct ports *ps);
/* Close every connection and listener. */
void ports_close(struct ports *ps);

#endif
