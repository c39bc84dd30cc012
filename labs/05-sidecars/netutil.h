/*
 * netutil.h - the few TCP helpers the lab 05 sidecars share: parse
 * "HOST:PORT", listen, connect with a deadline, write everything.
 *
 * IPv4 only, numeric addresses only (plus "localhost"): a sidecar inside a
 * pod has no resolver to ask, and a name lookup that hangs is the last thing
 * a log shipper should do.
 *
 * Like every podlab module these functions never print and never exit: they
 * return -1 with errno set and a message for last_error().
 */
#ifndef PODLAB_NETUTIL_H
#define PODLAB_NETUTIL_H

#include <netinet/in.h>
#include <stddef.h>

/* "198.18.5.1:18500", "127.0.0.1:80", "localhost:80", "*:80" (any address). */
int nu_parse_hostport(const char *s, struct sockaddr_in *out);

/* "198.18.5.1:18500" into buf (at least NU_ADDRSTRLEN bytes). */
#define NU_ADDRSTRLEN 24
const char *nu_addr_str(const struct sockaddr_in *a, char *buf);

/* A listening TCP socket, SOCK_CLOEXEC plus extra socket flags
 * (SOCK_NONBLOCK), SO_REUSEADDR so a restarted server can bind at once. */
int nu_listen(const struct sockaddr_in *a, int sock_flags);

/* A connected, blocking TCP socket, or -1 after timeout_ms (ETIMEDOUT). */
int nu_connect(const struct sockaddr_in *a, int timeout_ms);

/* write() until all of buf is written (MSG_NOSIGNAL: a peer that went away is
 * EPIPE, not a SIGPIPE that kills the sidecar). */
int nu_send_all(int fd, const void *buf, size_t len);

/* The next connection on a blocking listener (accept4, SOCK_CLOEXEC), for a
 * server that must outlive a bad moment. accept(2) hands up a new
 * connection's pending network error (ENETDOWN, EPROTO, EHOSTUNREACH ...):
 * that connection's, not the listener's, so the next one is taken. Out of
 * fds or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), it waits 100 ms and tries
 * again - the connection stays in the backlog - rather than die or spin. -1
 * only for an error of the listener itself (EBADF, EINVAL ...). */
int nu_accept(int lfd);

/* Give blocking reads and writes on fd a deadline (SO_RCVTIMEO/SO_SNDTIMEO). */
int nu_set_timeout(int fd, int timeout_ms);

#endif
