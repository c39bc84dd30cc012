/*
 * ports.c - hostPort -> containerPort relay (see ports.h).
 *
 * Each connection is two sockets and two one-way buffers. A side is read only
 * while its buffer is empty and written only while the other side's buffer
 * holds data, so a slow reader slows its writer down (back-pressure) instead
 * of growing memory. EOF on one side becomes shutdown(SHUT_WR) on the other,
 * so half-closed protocols (an HTTP client that shuts its sending side) work.
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

#define RELAY_BUF 65536
/* Each connection holds 2 fds and 2 buffers: past this many the listeners
 * rest, and new clients wait in the kernel's backlog. */
#define MAX_CONNS 1024

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
	bool closed;
};

struct ports {
	struct listener *ls;
	size_t n;
	int epfd;
	int netns;  /* the pod's (borrowed) */
	int hostns; /* ours, to step back into */
	struct conn *conns;
	size_t n_conns;
	bool resting; /* listeners out of epoll's interest: too many fds */
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
	ps->epfd = ps->netns = ps->hostns = -1;
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

/* Stop or resume accepting. A level-triggered listener whose accept4 keeps
 * failing with EMFILE would wake epoll_wait at once, forever: the supervisor
 * would spin. Resting it leaves the client in the kernel's backlog until a
 * connection closes and frees its fds. */
static void listeners_rest(struct ports *ps, bool rest)
{
	if (ps->resting == rest || ps->epfd < 0)
		return;
	/* Only a closing connection wakes the listeners: with none, resting
	 * would be for good. */
	if (rest && ps->n_conns == 0)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		struct epoll_event e = {.events = rest ? 0 : EPOLLIN, .data.ptr = &ps->ls[i].w};
		epoll_ctl(ps->epfd, EPOLL_CTL_MOD, ps->ls[i].fd, &e);
	}
	ps->resting = rest;
}

static void conn_close(struct conn *c)
{
	for (int i = 0; i < 2; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]); /* also removes it from the epoll set */
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

static void conn_rearm(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		uint32_t ev = 0;
		if (!c->eof[i] && c->len[i] == 0)
			ev |= EPOLLIN;
		if (c->len[1 - i] > c->off[1 - i])
			ev |= EPOLLOUT;
		struct epoll_event e = {.events = ev, .data.ptr = &c->h[i].w};
		epoll_ctl(c->ps->epfd, EPOLL_CTL_MOD, c->fd[i], &e);
	}
}

/* Returns 1 when the connection is finished, 0 to go on. */
static int conn_pump(struct conn *c, int side, uint32_t events)
{
	if (events & EPOLLERR)
		return 1;
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

static int half_handle(struct ev_watch *w, uint32_t events)
{
	struct half *h = (struct half *)w;
	struct conn *c = h->c;
	if (c->closed)
		return 0; /* closed by the other half's event in this same batch */
	if (conn_pump(c, h->side, events))
		conn_close(c);
	else
		conn_rearm(c);
	return 0;
}

/* A TCP socket in the pod's network namespace, connected to its localhost.
 * -1: setns failed, and we may be stranded in the pod's netns (fatal);
 * -2: no connection this time (errno: ECONNREFUSED, or EMFILE/ENFILE). */
static int pod_socket(struct ports *ps, int port)
{
	if (setns(ps->netns, CLONE_NEWNET) < 0)
		return fail_errno("setns(pod net)");
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Blocking is fine: the pod's loopback answers at once, yes or no. */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		errno = ECONNREFUSED;
		return -2;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
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
		int cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && (errno == EMFILE || errno == ENFILE)) {
			listeners_rest(ps, true);
			return 0;
		}
		if (cfd < 0)
			return 0; /* EAGAIN, or a client that went away already */
		int pfd = pod_socket(ps, l->container_port);
		if (pfd == -1) {
			close(cfd);
			return -1; /* setns failed: we may be stranded in the pod's netns */
		}
		if (pfd < 0 && (errno == EMFILE || errno == ENFILE)) {
			close(cfd);
			listeners_rest(ps, true);
			return 0;
		}
		if (pfd < 0) {
			close(cfd); /* nothing listens in the pod: the client sees the close */
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
		for (int i = 0; i < 2; i++) {
			c->h[i] = (struct half){.w.handle = half_handle, .c = c, .side = i};
			struct epoll_event e = {.events = EPOLLIN, .data.ptr = &c->h[i].w};
			epoll_ctl(ps->epfd, EPOLL_CTL_ADD, c->fd[i], &e);
		}
		c->next = ps->conns;
		if (ps->conns)
			ps->conns->prev = c;
		ps->conns = c;
		ps->n_conns++;
	}
}

int ports_start(struct ports *ps, int epfd, int netns_fd)
{
	if (!ps)
		return 0;
	ps->epfd = epfd;
	ps->netns = netns_fd;
	if (ps->hostns < 0 && (ps->hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		return fail_errno("open(/proc/self/ns/net)");
	for (size_t i = 0; i < ps->n; i++) {
		ps->ls[i].w.handle = listener_handle;
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = &ps->ls[i].w};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, ps->ls[i].fd, &e) < 0)
			return fail_errno("epoll_ctl(hostPort)");
	}
	return 0;
}

void ports_set_netns(struct ports *ps, int netns_fd)
{
	if (ps)
		ps->netns = netns_fd;
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
	free(ps->ls);
	free(ps);
}
