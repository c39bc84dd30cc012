/*
 * tcpcat - connect, copy stdin to the socket and the socket to stdout. On
 * EOF of stdin it shuts down only its sending side (shutdown(SHUT_WR)) and
 * keeps reading the reply until the server closes: the client side of a
 * half-close. The lab's "app" uses it to talk through the ambassador.
 */
#include "common.h"
#include "netutil.h"

#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tcpcat [OPTION]... HOST:PORT\n"
	        "Send stdin to HOST:PORT, half-close, print the reply until the server closes.\n"
	        "\n"
	        "  --timeout MS   give up when nothing moves for MS milliseconds (default 5000)\n"
	        "  -h, --help     show this help\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	long timeout = 5000;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_long(optarg, 1, 3600000, &timeout) < 0)
				die_usage("--timeout: '%s' is not a number of milliseconds",
				          optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (argc - optind != 1)
		die_usage("expected one HOST:PORT");
	struct sockaddr_in addr;
	if (nu_parse_hostport(argv[optind], &addr) < 0)
		die_usage("%s", last_error());
	int s = nu_connect(&addr, (int)timeout);
	if (s < 0)
		die_last();

	/* What was read from stdin and not yet sent: stdin is read again only
	 * once it is all out. The sends never block: a blocking send to a server
	 * that echoes would wait, without a deadline, for the server to read,
	 * while the server waits in its own send for us to read its echo - a
	 * deadlock as soon as the data is more than the socket buffers on the
	 * way hold. */
	char in[64 * 1024], buf[64 * 1024];
	size_t off = 0, len = 0;
	bool in_open = true;
	for (;;) {
		struct pollfd p[2] = {
		    {.fd = s, .events = POLLIN | (off < len ? POLLOUT : 0)},
		    {.fd = in_open && off == len ? STDIN_FILENO : -1, .events = POLLIN}};
		int r = poll(p, 2, (int)timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die_errno("poll");
		if (r == 0)
			die("timed out: nothing moved for %ld ms", timeout);
		if (p[1].revents) {
			ssize_t n = read(STDIN_FILENO, in, sizeof(in));
			if (n < 0)
				die_errno("read(stdin)");
			if (n == 0) {
				/* "I have sent everything": the server sees EOF,
				 * and the connection stays open for its answer. */
				if (shutdown(s, SHUT_WR) < 0 && errno != ENOTCONN)
					die_errno("shutdown(SHUT_WR)");
				in_open = false;
			}
			off = 0;
			len = n > 0 ? (size_t)n : 0;
		}
		if (off < len) {
			ssize_t n = send(s, in + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n >= 0) {
				off += (size_t)n;
			} else if (errno != EAGAIN && errno != EINTR) {
				/* The server stopped reading; its answer may still be
				 * waiting for us, so stop sending, keep reading. */
				off = len = 0;
				in_open = false;
			}
		}
		if (p[0].revents & ~POLLOUT) {
			ssize_t n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0 && errno == ECONNRESET)
				die("connection reset by the server");
			if (n < 0)
				die_errno("recv");
			if (n == 0)
				return 0; /* the server is done too */
			if (write_whole(STDOUT_FILENO, buf, (size_t)n, "stdout") < 0)
				die_last();
		}
	}
}
