/*
 * ports.h - hostPort forwarding: the supervisor listens on hostIP:hostPort on
 * the host and relays each connection to containerPort on the pod's
 * localhost.
 *
 * The trick is where the second socket lives. A socket belongs to the
 * network namespace of the thread that created it, for its whole life; so the
 * supervisor steps into the pod's netns with setns(2), creates the socket,
 * and steps back. Connecting it to 127.0.0.1 then reaches the pod's loopback,
 * not the host's. No NAT, no iptables, no route to the pod needed.
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

/* Bind every hostPort of the pod on the host, before anything else of the
 * pod exists: a port in use fails here (EADDRINUSE, "hostPort 8001 ...").
 * *out is NULL-safe to ports_close. */
int ports_listen(const struct pod_spec *spec, struct ports **out);
/* Number of listening sockets. */
size_t ports_count(const struct ports *ps);
/* Start accepting: netns_fd is the pod's /proc/PAUSE/ns/net (borrowed; it
 * may be replaced when the sandbox is recreated). */
int ports_start(struct ports *ps, int epfd, int netns_fd);
void ports_set_netns(struct ports *ps, int netns_fd);
/* Free the connections closed during the last batch of events: call it
 * after handling everything one epoll_wait returned. */
void ports_collect(struct ports *ps);
/* Close every connection and listener. */
void ports_close(struct ports *ps);

#endif
