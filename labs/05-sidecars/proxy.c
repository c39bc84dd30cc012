/*
 * proxy - the ambassador sidecar: the app connects to 127.0.0.1:PORT, a
 * port inside its own pod, and the ambassador carries each connection to one
 * of several upstream servers outside it, round robin, skipping one that
 * refuses. The app needs no list of servers, no retry logic, no TLS: all of
 * that lives in the ambassador, which the pod shares localhost with.
 *
 * One thread serves every connection: epoll(7) says which socket is ready,
 * and every socket is non-blocking, so no read or write ever waits.
 *
 * A TCP connection is two independent byte streams. When the client is done
 * sending it may shutdown(SHUT_WR) and still read the reply (HTTP/1.0
 * clients, `nc -N`, rsync do); so on EOF from one side the proxy shuts down
 * only the write side of the other, and closes the pair when both directions
 * are done. Closing both at the first EOF would cut the reply off.
 *
 * A server may also answer before it has read the whole request (an HTTP
 * 413 to a body too large) and close: its kernel resets the connection, and
 * the proxy's next send to it fails. Its answer is already in the proxy's
 * socket, so the proxy forwards it and ends the client's stream after it,
 * and drops what the client still sends rather than reset the client too.
 *
 * An upstream that never answers a SYN (a dead host, a firewall's DROP)
 * would cost the client the kernel's two minutes of SYN retries: each
 * connect gets --connect-timeout, then the next upstream is tried.
 *
 * A connection may also go quiet for good: a client that connected and
 * hung, a peer that vanished without a FIN. Nothing in TCP ends it, and it
 * holds two sockets and 128 KiB of buffers, so a connection that moved no
 * byte either way for --idle-timeout (Envoy's idle_timeout, an hour) is
 * closed. Bytes the proxy drops (dst_gone) do not count as moving.
 *
 * Syscalls: socket, connect (non-blocking: EINPROGRESS, then SO_ERROR),
 * accept4, epoll_create1, epoll_ctl, epoll_wait (its timeout is the next
 * connect or idle deadline), recv, send, shutdown.
 */
#include "common.h"
#include "netutil.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define MAX_UPSTREAMS 16
#define HALF_BUF      (64 * 1024)
/* Envoy's default connect_timeout: long enough for a loaded server's accept
 * queue, short against the kernel's ~2 minutes of SYN retries. */
#define CONNECT_TIMEOUT_MS 5000
/* Envoy's default idle_timeout for its TCP proxy. */
#define IDLE_TIMEOUT_MS (3600 * 1000)

/* One direction of a proxied connection: bytes read from src wait in buf
 * until dst takes them. */
struct half {
	int src, dst;
	char buf[HALF_BUF];
	size_t off, len; /* buf[off..len) is still to be written to dst */
	bool eof;        /* src sent FIN: nothing more will come */
	bool shut;       /* and we passed the FIN on: shutdown(dst, SHUT_WR) */
	bool dst_gone;   /* dst stopped reading (EPIPE, ECONNRESET): drop what src sends */
};

struct conn;
/* What an epoll event points to: one socket of one connection. */
struct endpoint {
	struct conn *c;
	int fd;
	uint32_t events; /* what we wait for now; 0: not in the epoll set */
};

struct conn {
	struct endpoint client, upstream;
	int first, tried;         /* upstream index we started at, how many we tried */
	bool connecting;          /* upstream connect() still in progress */
	struct timers *in;        /* the list of its deadline: connects, idlers, NULL */
	int64_t deadline;         /* when (now_ms()) the connect or idle time is up */
	struct conn *prev, *next; /* neighbours in that list */
	struct half up;           /* client -> upstream */
	struct half down;         /* upstream -> client */
	bool dead;                /* closed; freed after this batch of events */
	struct conn *next_dead;
};

/* Connections waiting for a deadline of one kind, each ms after it joined
 * the list at the tail. All are equally long, so the list is also in the
 * order of the deadlines: the first expires next, epoll_wait sleeps no
 * longer than until then, and a connection active again moves to the tail
 * in O(1), where deadlines of different lengths would need a heap. */
struct timers {
	struct conn *first, *last;
	int ms; /* 0: no deadline of this kind */
};

static struct sockaddr_in upstreams[MAX_UPSTREAMS];
static int n_upstreams, next_upstream;
static int ep;
static bool verbose;
/* The connections whose upstream connect() is under way, oldest first. */
static struct timers connects = {.ms = CONNECT_TIMEOUT_MS};
/* The connected ones, the one idle longest first. */
static struct timers idlers = {.ms = IDLE_TIMEOUT_MS};
/* Closed connections wait here until the end of the epoll batch: a later
 * event of the same batch may still point at them. */
static struct conn *graveyard;

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: proxy --listen HOST:PORT --upstream HOST:PORT [--upstream ...]\n"
	        "Forward each connection to the next upstream server, round robin.\n"
	        "\n"
	        "  --listen HOST:PORT      where the app connects (normally 127.0.0.1:PORT)\n"
	        "  --upstream HOST:PORT    an upstream server; repeat for several (max 16)\n"
	        "  --connect-timeout MS    try the next upstream when one has not answered\n"
	        "                          the connect in MS milliseconds (default %d)\n"
	        "  --idle-timeout MS       close a connection when no byte moved either way\n"
	        "                          for MS milliseconds (default %d; 0: never)\n"
	        "  -v, --verbose           print one line per connection\n"
	        "  -h, --help              show this help\n",
	        CONNECT_TIMEOUT_MS, IDLE_TIMEOUT_MS);
}

/* Move whatever can move now from h->src to h->dst: write what is buffered,
 * read more when the buffer is empty, and pass an EOF on as a half-close.
 * A dst that stopped reading (send fails with EPIPE or ECONNRESET) does not
 * end src's stream: what src sends from then on is read and dropped, until
 * its EOF (h->dst_gone). Returns 0 when nothing more can move without
 * waiting (EAGAIN), or the direction is done (h->shut); -1 when src failed
 * (a reset), or another error. */
static int relay(struct half *h)
{
	/* BEGIN EXERCISE: proxy-forward (hard, 75 min): relay one way; EOF becomes SHUT_WR
	 * Hint: README.md "The ambassador", "An answer before the request ends"; man 2 recv;
	 * man 2 shutdown; man 7 epoll */
	/* STUB: (void)h; return exercise_todo(5, "proxy-forward"); */
	for (;;) {
		if (h->off < h->len) {
			ssize_t n = send(h->dst, h->buf + h->off, h->len - h->off, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EPIPE && errno != ECONNRESET)
					return errno == EAGAIN ? 0 : -1;
				/* dst will read no more: it answered early (a 413)
				 * or died. Its answer, if any, comes the other way,
				 * and src must not be reset for bytes it still
				 * sends: read them on and drop them. */
				h->dst_gone = true;
				h->off = h->len;
				continue;
			}
			h->off += (size_t)n;
			continue;
		}
		h->off = h->len = 0;
		if (h->eof) {
			/* Everything src sent has reached dst: now tell dst
			 * "no more", but keep reading its answer. */
			if (!h->shut && shutdown(h->dst, SHUT_WR) < 0 && errno != ENOTCONN)
				return -1;
			h->shut = true;
			return 0;
		}
		ssize_t n = recv(h->src, h->buf, sizeof(h->buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		if (n == 0)
			h->eof = true;
		h->len = h->dst_gone ? 0 : (size_t)n;
	}
	/* END EXERCISE */
}

/* Wait for exactly the events that can make progress: readable when the
 * half reading from this socket has room, writable when the half writing to
 * it has bytes pending. A socket we wait for nothing on leaves the epoll set,
 * or its EPOLLHUP would wake us in a loop. */
static void watch(struct endpoint *e, uint32_t events)
{
	if (events == e->events)
		return;
	struct epoll_event ev = {.events = events, .data.ptr = e};
	int op = !e->events ? EPOLL_CTL_ADD : !events ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (epoll_ctl(ep, op, e->fd, &ev) < 0)
		die_errno("epoll_ctl(%d)", e->fd);
	e->events = events;
}

static uint32_t wants(const struct half *reading, const struct half *writing)
{
	uint32_t ev = 0;
	if (!reading->eof && reading->len == 0)
		ev |= EPOLLIN;
	if (writing->off < writing->len)
		ev |= EPOLLOUT;
	return ev;
}

static void timer_del(struct conn *c)
{
	struct timers *t = c->in;
	if (!t)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		t->first = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->last = c->prev;
	c->in = NULL;
}

/* (Re)start c's deadline of kind t, t->ms from now: to the tail of t. */
static void timer_set(struct conn *c, struct timers *t)
{
	timer_del(c);
	if (!t->ms)
		return;
	c->in = t;
	c->deadline = now_ms() + t->ms;
	c->prev = t->last;
	c->next = NULL;
	if (t->last)
		t->last->next = c;
	else
		t->first = c;
	t->last = c;
}

static void conn_close(struct conn *c)
{
	timer_del(c);
	watch(&c->client, 0);
	watch(&c->upstream, 0);
	close(c->client.fd);
	if (c->upstream.fd >= 0)
		close(c->upstream.fd);
	c->dead = true;
	c->next_dead = graveyard;
	graveyard = c;
}

/* Start connecting to the next upstream that does not refuse at once.
 * Returns -1 when every upstream was tried. */
static int connect_next(struct conn *c)
{
	char where[NU_ADDRSTRLEN];
	while (c->tried < n_upstreams) {
		const struct sockaddr_in *a = &upstreams[(c->first + c->tried++) % n_upstreams];
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			warn_errno("socket");
			return -1;
		}
		/* Non-blocking: the answer comes later as EPOLLOUT, and the
		 * result is in SO_ERROR. Over loopback a refusal may come now. */
		if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0 ||
		    errno == EINPROGRESS) {
			c->upstream = (struct endpoint){.c = c, .fd = fd};
			c->up.dst = c->down.src = fd;
			c->connecting = true;
			timer_set(c, &connects);
			watch(&c->upstream, EPOLLOUT);
			if (verbose)
				printf("proxy: connecting to %s\n", nu_addr_str(a, where));
			return 0;
		}
		warn_errno("connect(%s)", nu_addr_str(a, where));
		close(fd);
	}
	return -1;
}

/* The upstream connect under way failed (why, for the message): try the
 * next upstream, or close the client when every one was tried. */
static void connect_failed(struct conn *c, const char *why)
{
	char where[NU_ADDRSTRLEN];
	warn("connect(%s): %s",
	     nu_addr_str(&upstreams[(c->first + c->tried - 1) % n_upstreams], where), why);
	c->connecting = false;
	timer_del(c);
	watch(&c->upstream, 0);
	close(c->upstream.fd);
	c->upstream.fd = -1;
	if (connect_next(c) < 0) {
		warn("no upstream accepts connections; closing the client");
		conn_close(c);
	}
}

/* Give up on the connects whose deadline passed. Why a deadline of our own:
 * SO_SNDTIMEO bounds only a blocking connect(), and this one never blocks;
 * TCP_USER_TIMEOUT is checked only when a SYN retransmission timer fires
 * (the first after 1 s), and stays set on the connection once it is up,
 * where it would also cut a working one whose peer is slow to acknowledge. */
static void expire_connects(int64_t now)
{
	char why[64];
	while (connects.first && connects.first->deadline <= now) {
		snprintf(why, sizeof(why), "%s after %d ms", strerror(ETIMEDOUT), connects.ms);
		connect_failed(connects.first, why);
	}
}

/* Close the connections idle for --idle-timeout. Why not SO_KEEPALIVE: it
 * finds a peer that is gone, not one that is there and silent, and it costs
 * two hours and more of probes by default. */
static void expire_idle(int64_t now)
{
	while (idlers.first && idlers.first->deadline <= now) {
		if (verbose)
			printf("proxy: closing a connection idle for %d ms\n", idlers.ms);
		conn_close(idlers.first);
	}
}

/* How long epoll_wait may sleep: until the nearest deadline of either kind. */
static int next_timeout(void)
{
	const struct conn *next = connects.first;
	if (idlers.first && (!next || idlers.first->deadline < next->deadline))
		next = idlers.first;
	if (!next)
		return -1;
	int64_t left = next->deadline - now_ms();
	return left < 0 ? 0 : (int)left;
}

static void on_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of fds, the connection stays in the backlog and the
			 * level-triggered listener wakes us again at once: without a
			 * pause that is a loop at 100% CPU until an fd is freed. */
			if (errno == EMFILE || errno == ENFILE) {
				warn_errno("accept4");
				sleep_ms(100);
			}
			return; /* EAGAIN: no more waiting; others: the client left */
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c)
			die_errno("calloc");
		c->client = (struct endpoint){.c = c, .fd = fd};
		c->upstream.fd = -1;
		c->up.src = c->down.dst = fd;
		c->first = next_upstream;
		next_upstream = (next_upstream + 1) % n_upstreams;
		if (connect_next(c) < 0) {
			warn("no upstream accepts connections; closing the client");
			conn_close(c);
		}
	}
}

/* e is ready for what ready says (epoll's events). */
static void on_event(struct endpoint *e, uint32_t ready)
{
	struct conn *c = e->c;
	if (c->dead)
		return;
	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(c->upstream.fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			connect_failed(c, strerror(err));
			return;
		}
		c->connecting = false;
	}
	/* We wait only for what can make progress, so an event is bytes
	 * moving (or an EOF): activity, the idle deadline starts over. Not so
	 * when it only lets us read the client to drop what it sends after the
	 * upstream went away (dst_gone; EPOLLOUT would be the upstream's answer
	 * still moving to the client): those bytes reach no one, and a drained
	 * client is closed --idle-timeout after the last byte forwarded to it,
	 * as any connection that carries nothing is. Not after a short limit of
	 * its own (nginx's lingering_time, 30 s): that would reset a slow client
	 * still writing its whole request before it reads (as many do), its
	 * answer unread - the reset the drain is there to avoid. */
	bool draining = e == &c->client && c->up.dst_gone && !(ready & EPOLLOUT);
	/* Whichever socket woke us, try both directions: cheap, and it keeps
	 * the state machine in one place. */
	if (relay(&c->up) < 0) {
		conn_close(c); /* the client reset: no one is left to answer */
		return;
	}
	if (relay(&c->down) < 0) {
		/* The upstream reset (it closed with our request unread, or
		 * died). recv() reports a reset only after the bytes that came
		 * before it, so whatever it answered is on its way to the
		 * client: end the client's stream after it as an EOF would,
		 * rather than reset the client, which could destroy that
		 * answer in flight. (The next send to the upstream fails, and
		 * the client's bytes are dropped from then on: dst_gone.) */
		c->down.eof = true;
		if (relay(&c->down) < 0) {
			conn_close(c);
			return;
		}
	}
	if (c->down.dst_gone) {
		/* The client reads no more: what the upstream still sends
		 * has nowhere to go, and it may never stop sending. */
		conn_close(c);
		return;
	}
	if (c->up.shut && c->down.shut) {
		conn_close(c); /* both directions finished */
		return;
	}
	if (!draining)
		timer_set(c, &idlers);
	watch(&c->client, wants(&c->up, &c->down));
	watch(&c->upstream, wants(&c->down, &c->up));
}

/* A container's PID 1 gets no default action for SIGTERM from the kernel:
 * without a handler, stopping the pod would wait out its whole grace period. */
static void on_sigterm(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"upstream", required_argument, NULL, 'u'},
	    {"connect-timeout", required_argument, NULL, 't'},
	    {"idle-timeout", required_argument, NULL, 'i'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *listen_at = NULL;
	long ms;
	int c;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_at = optarg;
			break;
		case 'u':
			if (n_upstreams == MAX_UPSTREAMS)
				die_usage("at most %d --upstream", MAX_UPSTREAMS);
			if (nu_parse_hostport(optarg, &upstreams[n_upstreams++]) < 0)
				die_usage("--upstream: %s", last_error());
			break;
		case 't':
			if (parse_long(optarg, 1, 3600000, &ms) < 0)
				die_usage("--connect-timeout: '%s' is not a number of milliseconds "
				          "(1-3600000)",
				          optarg);
			connects.ms = (int)ms;
			break;
		case 'i':
			if (parse_long(optarg, 0, 24 * IDLE_TIMEOUT_MS, &ms) < 0)
				die_usage("--idle-timeout: '%s' is not a number of milliseconds "
				          "(0-%d, 0: never)",
				          optarg, 24 * IDLE_TIMEOUT_MS);
			idlers.ms = (int)ms;
			break;
		case 'v':
			verbose = true;
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
	if (!listen_at || n_upstreams == 0)
		die_usage("--listen and at least one --upstream are required");
	struct sockaddr_in addr;
	if (nu_parse_hostport(listen_at, &addr) < 0)
		die_usage("--listen: %s", last_error());

	signal(SIGTERM, on_sigterm);
	int lfd = nu_listen(&addr, SOCK_NONBLOCK);
	if (lfd < 0)
		die_last();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die_errno("epoll_create1");
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die_errno("epoll_ctl(listen)");
	char where[NU_ADDRSTRLEN];
	/* one line per connection as it happens, into a file or a pipe too */
	if (verbose)
		setvbuf(stdout, NULL, _IOLBF, 0);
	printf("proxy: listening on %s, %d upstream(s)\n", nu_addr_str(&addr, where), n_upstreams);
	fflush(stdout);

	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, next_timeout());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			if (!evs[i].data.ptr)
				on_accept(lfd);
			else
				on_event(evs[i].data.ptr, evs[i].events);
		}
		int64_t now = now_ms();
		expire_connects(now);
		expire_idle(now);
		while (graveyard) {
			struct conn *dead = graveyard;
			graveyard = dead->next_dead;
			free(dead);
		}
	}
}
