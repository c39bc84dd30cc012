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

	char buf[64 * 1024];
	bool in_open = true;
	for (;;) {
		struct pollfd p[2] = {{.fd = s, .events = POLLIN},
		                      {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN}};
		int r = poll(p, 2, (int)timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die_errno("poll");
		if (r == 0)
			die("timed out: nothing moved for %ld ms", timeout);
		if (p[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0)
				die_errno("read(stdin)");
			if (n == 0) {
				/* "I have sent everything": the server sees EOF,
				 * and the connection stays open for its answer. */
				if (shutdown(s, SHUT_WR) < 0 && errno != ENOTCONN)
					die_errno("shutdown(SHUT_WR)");
				in_open = false;
			} else if (nu_send_all(s, buf, (size_t)n) < 0) {
				/* The server stopped reading; its answer may still be
				 * waiting for us, so stop sending, keep reading. */
				in_open = false;
			}
		}
		if (p[0].revents) {
			ssize_t n = recv(s, buf, sizeof(buf), 0);
			if (n < 0 && errno == ECONNRESET)
				die("connection reset by the server");
			if (n < 0)
				die_errno("recv");
			if (n == 0)
				return 0; /* the server is done too */
			for (ssize_t off = 0; off < n;) {
				ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
				if (w < 0)
					die_errno("write(stdout)");
				off += w;
			}
		}
	}
}
