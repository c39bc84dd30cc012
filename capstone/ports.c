/*
 * ports.c - hostPort -> containerPort relay (see ports.h).
 *
 * Each connection is two sockets and two one-way buffers. A side is read only
 * while its buffer is empty and written only while the other side's buffer
 * holds data, so a slow reader slows its writer down (back-pressure) instead
 * of growing memory. EOF on one side becomes shutdown(SHUT_WR) on the other,
 * so half-closed protocols (an HTTP client that shuts its sending side) work.
 *
 * The supervisor is also the pod's event loop (restarts, logs, signals), so
 * nothing here may block. The connect to the pod is non-blocking: connect(2)
 * returns EINPROGRESS, the socket waits in the same epoll set for EPOLLOUT,
 * and SO_ERROR says how it went - a refused connect is "writable" too. Until
 * then the client is accepted but not read: what it sends waits in its
 * socket. A pod whose listen backlog is full does not refuse a SYN, the
 * kernel drops it and the SYN is retried for about two minutes; one timerfd
 * in the epoll set abandons connects older than PORTS_CONNECT_TIMEOUT_MS.
 *
 * A side that hung up (EPOLLHUP) while its buffer still waits for a slow
 * reader leaves the epoll set until that buffer drains: see conn_rearm.
 *
 * Running out of fds is never fatal and loses no client: the pod-side socket
 * is made *before* accept4 (and kept as a spare while no client waits), so a
 * client leaves the kernel's backlog only once both of its fds exist. When
 * either call fails with EMFILE/ENFILE the listeners rest (out of epoll's
 * interest) until a connection closes or the same timer retries them: ENFILE
 * is the whole system's table, which other processes free too.
 */
#include "ports.h"

#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#define RELAY_BUF 65536
/* Each connection holds 2 fds and 2 buffers: past this many the listeners
 * rest, and new clients wait in the kernel's backlog. */
#define MAX_CONNS 1024
/* Resting listeners try again after this long even when none of our
 * connections closed. */
#define REST_RETRY_MS 250

struct ports;

struct listener {
	struct ev_watch w;
	struct ports *ps;
	int fd;
	int container_port;
};

struct conn;
struct half {
	struct ev_watch w;
	struct conn *c;
	int side;
};

struct conn {
	struct ports *ps;
	struct conn *next, *prev;
	int fd[2]; /* 0: the client on the host, 1: the pod side */
	struct half h[2];
	/* buf[i]: read from fd[i], to be written to fd[1 - i] */
	char buf[2][RELAY_BUF];
	size_t len[2], off[2];
	bool eof[2], shut[2];
	/* hup[i]: fd[i] reported EPOLLHUP, which it now does on every
	 * epoll_wait; parked[i]: so it is out of the epoll set (conn_rearm) */
	bool hup[2], parked[2];
	bool closed;
	/* Waiting for the pod side's connect: fd[1] watches EPOLLOUT, fd[0]
	 * nothing but errors (epoll always reports EPOLLERR and EPOLLHUP). */
	bool connecting;
	int64_t deadline_ms; /* CLOCK_MONOTONIC: give up the connect then */
};

struct ports {
	struct listener *ls;
	size_t n;
	int epfd;
	int netns;  /* the pod's (borrowed) */
	int hostns; /* ours, to step back into */
	/* What the pod side dials: the pod IP, or loopback without one. */
	struct in_addr pod_addr;
	/* A socket already made in the pod's netns for the next client, or -1.
	 * Like any socket it pins its netns: ports_set_netns drops it. */
	int spare;
	/* One timer for the connect deadlines and the resting listeners' retry,
	 * armed for the earliest (CLOCK_MONOTONIC, like now_ms). */
	int timer;
	struct ev_watch timer_w;
	int64_t timer_at; /* 0: not armed */
	struct conn *conns;
	size_t n_conns;
	bool resting;     /* listeners out of epoll's interest: out of fds */
	int64_t retry_at; /* resting: when the timer wakes them */
	/* Closed connections wait here until the event batch is over: another
	 * event of the same epoll_wait may still point at them. */
	struct conn *dead;
};

int ports_listen(const struct pod_spec *spec, struct ports **out)
{
	*out = NULL;
	struct ports *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return fail_msg(ENOMEM, "ports: out of memory");
	ps->epfd = ps->netns = ps->hostns = ps->timer = ps->spare = -1;
	ps->pod_addr.s_addr = htonl(INADDR_LOOPBACK);
	size_t total = 0;
	for (size_t i = 0; i < spec->n_ctrs; i++)
		for (size_t k = 0; k < spec->ctrs[i].n_ports; k++)
			total += spec->ctrs[i].ports[k].host_port != 0;
	ps->ls = calloc(total ? total : 1, sizeof(*ps->ls));
	if (!ps->ls) {
		free(ps);
		return fail_msg(ENOMEM, "ports: out of memory");
	}
	for (size_t i = 0; i < spec->n_ctrs; i++) {
		for (size_t k = 0; k < spec->ctrs[i].n_ports; k++) {
			const struct spec_port *pt = &spec->ctrs[i].ports[k];
			if (!pt->host_port)
				continue;
			struct sockaddr_in a = {.sin_family = AF_INET,
			                        .sin_port = htons((uint16_t)pt->host_port)};
			inet_pton(AF_INET, pt->host_ip, &a.sin_addr);
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0) {
				fail_errno("hostPort %d: socket", pt->host_port);
				goto fail;
			}
			int one = 1;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0) {
				fail_errno("%s:%d:%d: hostPort %d: bind(%s:%d)", spec->file,
				           pt->mark.line, pt->mark.col, pt->host_port, pt->host_ip,
				           pt->host_port);
				close(fd);
				goto fail;
			}
			ps->ls[ps->n++] = (struct listener){
			    .ps = ps, .fd = fd, .container_port = pt->container_port};
		}
	}
	*out = ps;
	return 0;
fail:;
	int err = errno;
	ports_close(ps);
	errno = err;
	return -1;
}

size_t ports_count(const struct ports *ps)
{
	return ps ? ps->n : 0;
}

static void timer_arm(struct ports *ps, int64_t at_ms)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = at_ms / 1000, .tv_nsec = (at_ms % 1000) * 1000000}};
	/* An absolute time already past fires at once, which is what we want;
	 * an it_value of 0 would disarm the timer instead. */
	if (ps->timer >= 0 && timerfd_settime(ps->timer, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		ps->timer_at = at_ms;
}

/* Make sure the timer fires by at_ms. */
static void timer_want(struct ports *ps, int64_t at_ms)
{
	if (!ps->timer_at || at_ms < ps->timer_at)
		timer_arm(ps, at_ms);
}

/* Stop or resume accepting. A level-triggered listener whose accept4 keeps
 * failing with EMFILE would wake epoll_wait at once, forever: the supervisor
 * would spin. Resting it leaves the client in the kernel's backlog until a
 * connection closes and frees its fds, or the retry timer fires. */
static void listeners_rest(struct ports *ps, bool rest)
{
	if (ps->resting == rest || ps->epfd < 0)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		struct epoll_event e = {.events = rest ? 0 : EPOLLIN, .data.ptr = &ps->ls[i].w};
		epoll_ctl(ps->epfd, EPOLL_CTL_MOD, ps->ls[i].fd, &e);
	}
	ps->resting = rest;
	ps->retry_at = rest ? now_ms() + REST_RETRY_MS : 0;
	if (rest)
		timer_want(ps, ps->retry_at);
}

static void conn_close(struct conn *c)
{
	/* Out of the epoll set before the close, which alone would not take
	 * it out while a child forked meanwhile still holds a copy (pod.c,
	 * log_close). */
	for (int i = 0; i < 2; i++)
		if (c->fd[i] >= 0) {
			epoll_ctl(c->ps->epfd, EPOLL_CTL_DEL, c->fd[i], NULL);
			close(c->fd[i]);
		}
	c->fd[0] = c->fd[1] = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->ps->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->closed = true;
	c->next = c->ps->dead;
	c->ps->dead = c;
	c->ps->n_conns--;
	listeners_rest(c->ps, false);
}

void ports_collect(struct ports *ps)
{
	while (ps && ps->dead) {
		struct conn *c = ps->dead;
		ps->dead = c->next;
		free(c);
	}
}

/* Set what each side waits for: to be read while its buffer is empty, to be
 * written while the other side's buffer holds data. -1: a side could not go
 * back into the epoll set (out of memory), nothing would wake it again.
 *
 * The kernel behaviour that surprises: an interest mask of 0 does not make
 * a socket quiet. epoll reports EPOLLHUP (and EPOLLERR) whatever the mask,
 * and a TCP socket reports EPOLLHUP for good once it is shut both ways - the
 * peer's FIN, plus our shutdown(SHUT_WR) that passed the other side's EOF on
 * (a client that half-closed after its request, a server that answered and
 * closed). If its buffer is still full, waiting for a slow reader on the other
 * side, this side wants nothing - but the same HUP comes back from every
 * epoll_wait, at once, and the supervisor spins at 100% CPU until the reader
 * catches up. So a side that hung up and wants nothing leaves the epoll set
 * (parked): the other side's EPOLLOUT drains its buffer, and then it comes
 * back to be read - what the kernel still holds for us, then the EOF. It
 * never needs EPOLLOUT: its HUP means nothing more goes to it. */
static int conn_rearm(struct conn *c)
{
	if (c->connecting)
		return 0; /* its interest is set by conn_connected */
	for (int i = 0; i < 2; i++) {
		uint32_t ev = 0;
		if (!c->eof[i] && c->len[i] == 0)
			ev |= EPOLLIN;
		if (c->len[1 - i] > c->off[1 - i])
			ev |= EPOLLOUT;
		struct epoll_event e = {.events = ev, .data.ptr = &c->h[i].w};
		bool park = c->hup[i] && !ev;
		if (park && !c->parked[i])
			epoll_ctl(c->ps->epfd, EPOLL_CTL_DEL, c->fd[i], NULL);
		else if (!park && c->parked[i]) {
			if (epoll_ctl(c->ps->epfd, EPOLL_CTL_ADD, c->fd[i], &e) < 0)
				return -1;
		} else if (!park)
			epoll_ctl(c->ps->epfd, EPOLL_CTL_MOD, c->fd[i], &e);
		c->parked[i] = park;
	}
	return 0;
}

/* Returns 1 when the connection is finished, 0 to go on. */
static int conn_pump(struct conn *c, int side, uint32_t events)
{
	if (events & EPOLLERR)
		return 1;
	if (events & EPOLLHUP)
		c->hup[side] = true;
	if ((events & (EPOLLIN | EPOLLHUP)) && !c->eof[side] && c->len[side] == 0) {
		ssize_t r = read(c->fd[side], c->buf[side], RELAY_BUF);
		if (r == 0)
			c->eof[side] = true;
		else if (r > 0)
			c->len[side] = (size_t)r, c->off[side] = 0;
		else if (errno != EAGAIN && errno != EINTR)
			return 1;
	}
	for (int d = 0; d < 2; d++) {
		while (c->off[d] < c->len[d]) {
			ssize_t w = send(c->fd[1 - d], c->buf[d] + c->off[d], c->len[d] - c->off[d],
			                 MSG_NOSIGNAL);
			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (w < 0)
				return 1;
			c->off[d] += (size_t)w;
		}
		if (c->off[d] == c->len[d])
			c->len[d] = c->off[d] = 0;
		if (c->eof[d] && c->len[d] == 0 && !c->shut[d]) {
			shutdown(c->fd[1 - d], SHUT_WR);
			c->shut[d] = true;
		}
	}
	/* HUP: the peer closed both ways; nothing more can go to it. */
	if ((events & EPOLLHUP) && c->eof[side] && c->len[side] == 0)
		return 1;
	return c->shut[0] && c->shut[1];
}

/* The pod side's connect finished, one way or the other. Returns 1 when it
 * failed (the connection is finished), 0 when the relay can start. */
static int conn_connected(struct conn *c, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	/* Writable with no error: connected. EPOLLERR or an error: refused
	 * (nothing listens on the pod IP, e.g. only on its 127.0.0.1),
	 * unreachable, or reset. */
	if (err || !(events & EPOLLOUT))
		return 1;
	c->connecting = false;
	return conn_rearm(c) < 0;
}

static int half_handle(struct ev_watch *w, uint32_t events)
{
	struct half *h = (struct half *)w;
	struct conn *c = h->c;
	if (c->closed)
		return 0; /* closed by another event in this same batch */
	if (c->connecting) {
		/* The client side only reports errors while we connect: it went
		 * away (a reset). The pod side reports the connect's outcome. */
		if (h->side == 0 || conn_connected(c, events))
			conn_close(c);
		return 0;
	}
	if (conn_pump(c, h->side, events) || conn_rearm(c) < 0)
		conn_close(c);
	return 0;
}

/* The timer: close every connect that is too old, wake the listeners when
 * their retry is due, re-arm for whatever comes next. */
static int timer_handle(struct ev_watch *w, uint32_t events)
{
	struct ports *ps = (struct ports *)((char *)w - offsetof(struct ports, timer_w));
	uint64_t ticks;
	(void)events;
	if (read(ps->timer, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return 0;
	ps->timer_at = 0;
	int64_t now = now_ms(), next = 0;
	for (struct conn *c = ps->conns, *nx; c; c = nx) {
		nx = c->next; /* conn_close moves c to the dead list */
		if (!c->connecting)
			continue;
		if (c->deadline_ms <= now)
			conn_close(c); /* the client sees its connection close */
		else if (!next || c->deadline_ms < next)
			next = c->deadline_ms;
	}
	if (next)
		timer_want(ps, next);
	/* Awake, the listeners try again; still out of fds, they rest again
	 * with a new retry. */
	if (ps->resting && ps->retry_at <= now)
		listeners_rest(ps, false);
	if (ps->resting)
		timer_want(ps, ps->retry_at);
	return 0;
}

/* A non-blocking TCP socket made in the pod's network namespace
 * (ps->netns), the supervisor back in its own (ps->hostns) when it returns.
 * -1: setns failed, and we may be stranded in the pod's netns (fatal);
 * -2: no socket this time (errno: EMFILE, ENFILE, ENOBUFS...). */
static int pod_socket(struct ports *ps)
{
	/* BEGIN EXERCISE: ports-netns (moderate, 30 min): a socket in the pod's netns, then home
	 * Needs: ctr-drop, cg-cpu
	 * Hint: ports.h (the trick); README.md "hostPort without NAT";
	 * man 2 setns; man 7 network_namespaces */
	/* STUB: (void)ps; return exercise_todo(7, "ports-netns"); */
	if (setns(ps->netns, CLONE_NEWNET) < 0)
		return fail_errno("setns(pod net)");
	/* The socket takes the netns of the thread that makes it, for life. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int err = errno;
	/* Back home before anything else: every later socket must be the host's. */
	if (setns(ps->hostns, CLONE_NEWNET) < 0) {
		if (fd >= 0)
			close(fd);
		return fail_errno("setns(host net)");
	}
	if (fd < 0) {
		errno = err;
		return -2;
	}
	return fd;
	/* END EXERCISE */
}

/* Start the pod side's connect: 1 connected at once, 0 in progress, -1
 * failed. The socket is the pod's: the pod IP is a local address to it, and
 * its 127.0.0.1 is the pod's loopback, not the host's. */
static int pod_connect(struct ports *ps, int fd, int port)
{
	struct sockaddr_in a = {
	    .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = ps->pod_addr};
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return 1;
	return errno == EINPROGRESS ? 0 : -1;
}

static int listener_handle(struct ev_watch *w, uint32_t events)
{
	struct listener *l = (struct listener *)w;
	struct ports *ps = l->ps;
	(void)events;
	for (;;) {
		if (ps->n_conns >= MAX_CONNS) {
			listeners_rest(ps, true);
			return 0;
		}
		/* The pod side first: if it cannot be made, the client is better
		 * off in the backlog than accepted and dropped. */
		if (ps->spare < 0) {
			int fd = pod_socket(ps);
			if (fd == -1)
				return -1; /* setns failed: we may be stranded in the pod's netns */
			if (fd < 0) {
				listeners_rest(ps, true); /* out of fds or buffers */
				return 0;
			}
			ps->spare = fd;
		}
		int cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && (errno == EMFILE || errno == ENFILE)) {
			listeners_rest(ps, true);
			return 0;
		}
		if (cfd < 0)
			return 0; /* EAGAIN: the spare waits for the next client */
		int pfd = ps->spare;
		ps->spare = -1;
		int done = pod_connect(ps, pfd, l->container_port);
		if (done < 0) {
			close(cfd); /* refused at once: the client sees the close */
			close(pfd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			close(pfd);
			continue;
		}
		c->ps = ps;
		c->fd[0] = cfd;
		c->fd[1] = pfd;
		c->connecting = !done;
		c->deadline_ms = now_ms() + PORTS_CONNECT_TIMEOUT_MS;
		bool added = true;
		for (int i = 0; i < 2; i++) {
			c->h[i] = (struct half){.w.handle = half_handle, .c = c, .side = i};
			/* Connecting: the client is not read yet, the pod side waits
			 * to be writable. Connected: both sides are read. */
			uint32_t ev = !done ? (i ? EPOLLOUT : 0) : EPOLLIN;
			struct epoll_event e = {.events = ev, .data.ptr = &c->h[i].w};
			added = added && epoll_ctl(ps->epfd, EPOLL_CTL_ADD, c->fd[i], &e) == 0;
		}
		c->next = ps->conns;
		if (ps->conns)
			ps->conns->prev = c;
		ps->conns = c;
		ps->n_conns++;
		if (!added) { /* out of memory for epoll's watches: drop this one */
			conn_close(c);
			continue;
		}
		if (c->connecting)
			timer_want(ps, c->deadline_ms);
	}
}

static int set_pod_addr(struct ports *ps, const char *pod_ip)
{
	struct in_addr a = {.s_addr = htonl(INADDR_LOOPBACK)};
	if (pod_ip && *pod_ip && inet_pton(AF_INET, pod_ip, &a) != 1)
		return fail_msg(EINVAL, "ports: pod IP %s: not an IPv4 address", pod_ip);
	ps->pod_addr = a;
	return 0;
}

int ports_start(struct ports *ps, int epfd, int netns_fd, const char *pod_ip)
{
	if (!ps)
		return 0;
	if (ports_set_netns(ps, netns_fd, pod_ip) < 0)
		return -1;
	ps->epfd = epfd;
	if (ps->hostns < 0 && (ps->hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		return fail_errno("open(/proc/self/ns/net)");
	if (ps->n && ps->timer < 0) {
		ps->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (ps->timer < 0)
			return fail_errno("timerfd_create");
		ps->timer_w.handle = timer_handle;
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = &ps->timer_w};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, ps->timer, &e) < 0)
			return fail_errno("epoll_ctl(hostPort timer)");
	}
	for (size_t i = 0; i < ps->n; i++) {
		ps->ls[i].w.handle = listener_handle;
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = &ps->ls[i].w};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, ps->ls[i].fd, &e) < 0)
			return fail_errno("epoll_ctl(hostPort)");
	}
	return 0;
}

int ports_set_netns(struct ports *ps, int netns_fd, const char *pod_ip)
{
	if (!ps)
		return 0;
	if (set_pod_addr(ps, pod_ip) < 0)
		return -1;
	ps->netns = netns_fd;
	/* A spare socket belongs to the old sandbox's netns, for good. */
	if (ps->spare >= 0)
		close(ps->spare);
	ps->spare = -1;
	return 0;
}

void ports_close(struct ports *ps)
{
	if (!ps)
		return;
	while (ps->conns)
		conn_close(ps->conns);
	ports_collect(ps);
	for (size_t i = 0; i < ps->n; i++)
		close(ps->ls[i].fd);
	if (ps->hostns >= 0)
		close(ps->hostns);
	if (ps->timer >= 0)
		close(ps->timer);
	if (ps->spare >= 0)
		close(ps->spare);
	free(ps->ls);
	free(ps);
}
