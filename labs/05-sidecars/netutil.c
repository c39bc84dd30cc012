/*
 * netutil.c - TCP helpers for the lab 05 sidecars (see netutil.h).
 */
#include "netutil.h"
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int nu_parse_hostport(const char *s, struct sockaddr_in *out)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!colon || colon == s)
		return fail_msg(EINVAL, "bad address '%s': expected HOST:PORT", s ? s : "");

	char host[64];
	size_t n = (size_t)(colon - s);
	if (n >= sizeof(host))
		return fail_msg(EINVAL, "bad address '%s': host too long", s);
	memcpy(host, s, n);
	host[n] = '\0';

	long port;
	if (parse_long(colon + 1, 1, 65535, &port) < 0)
		return fail_msg(EINVAL, "bad address '%s': port must be 1-65535", s);

	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0)
		out->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		out->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &out->sin_addr) != 1)
		return fail_msg(EINVAL, "bad address '%s': '%s' is not an IPv4 address", s, host);
	return 0;
}

const char *nu_addr_str(const struct sockaddr_in *a, char *buf)
{
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(buf, NU_ADDRSTRLEN, "%s:%u", ip, ntohs(a->sin_port));
	return buf;
}

int nu_listen(const struct sockaddr_in *a, int sock_flags)
{
	char where[NU_ADDRSTRLEN];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | sock_flags, 0);
	if (fd < 0)
		return fail_errno("socket");
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		closep(&fd);
		return fail_errno("setsockopt(SO_REUSEADDR)");
	}
	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		closep(&fd);
		return fail_errno("bind(%s)", nu_addr_str(a, where));
	}
	if (listen(fd, 128) < 0) {
		closep(&fd);
		return fail_errno("listen(%s)", nu_addr_str(a, where));
	}
	return fd;
}

int nu_connect(const struct sockaddr_in *a, int timeout_ms)
{
	char where[NU_ADDRSTRLEN];
	/* Non-blocking connect, so a silent peer costs timeout_ms, not the
	 * kernel's two minutes of SYN retries. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail_errno("socket");
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		if (errno != EINPROGRESS) {
			closep(&fd);
			return fail_errno("connect(%s)", nu_addr_str(a, where));
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int r = poll(&p, 1, timeout_ms);
		if (r <= 0) {
			closep(&fd);
			if (r == 0)
				errno = ETIMEDOUT;
			return fail_errno("connect(%s)", nu_addr_str(a, where));
		}
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			closep(&fd);
			errno = err;
			return fail_errno("connect(%s)", nu_addr_str(a, where));
		}
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		closep(&fd);
		return fail_errno("fcntl(O_NONBLOCK)");
	}
	return fd;
}

int nu_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail_errno("send");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int nu_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
		/* the ones accept(2) says TCP passes up: retry, like EAGAIN */
		case ENETDOWN:
		case EPROTO:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case EOPNOTSUPP:
		case ENETUNREACH:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			sleep_ms(100);
			continue;
		default:
			return fail_errno("accept4");
		}
	}
}

int nu_set_timeout(int fd, int timeout_ms)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return fail_errno("setsockopt(SO_RCVTIMEO)");
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return fail_errno("setsockopt(SO_SNDTIMEO)");
	return 0;
}
