/*
 * echod - a tiny upstream server for the lab: echo every byte back, or with
 * --wc, read to EOF and answer with the byte count. One line per connection
 * on stdout tells who served what, so a test can see where the proxy sent
 * each connection.
 *
 * The --wc mode is the half-close test in one line: the answer can only be
 * written after the client's EOF arrived, so a client that does
 * shutdown(SHUT_WR) gets it only if every hop passes the half-close on.
 *
 * The --reject mode is a server that answers before the request is complete
 * (an HTTP server's "413 Content Too Large"): it reads once, answers, and
 * closes with the rest unread, so its kernel resets the connection. A proxy
 * in between must still deliver that answer.
 *
 * A process per connection (fork): the simplest correct server; the proxy is
 * the program in this lab that shows the event loop.
 */
#include "common.h"
#include "netutil.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Room for the reply to --wc, "NAME BYTES\n": a name of this length, a
 * space, 20 digits and the newline. */
#define NAME_MAX_LEN 64
#define WC_LINE_MAX  (NAME_MAX_LEN + 23)

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: echod --listen HOST:PORT [OPTION]...\n"
	        "Echo what each client sends (or count it), one log line per connection.\n"
	        "\n"
	        "  --listen HOST:PORT   address to listen on\n"
	        "  --name NAME          name printed in the log lines, at most 64 bytes\n"
	        "                       (default: echod)\n"
	        "  --wc                 read to EOF, then reply \"NAME BYTES\" instead of echoing\n"
	        "  --reject REPLY       read once, answer REPLY, close with the rest unread\n"
	        "  -h, --help           show this help\n");
}

/* Answer before the request is complete and close with its rest unread: the
 * kernel answers the unread bytes with RST, as it does for any server that
 * stops reading early. */
static void reject(int fd, const char *name, const char *reply)
{
	char buf[64 * 1024];
	ssize_t n;
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die_errno("recv");
	char line[256];
	int len = snprintf(line, sizeof(line), "%s\n", reply);
	if (nu_send_all(fd, line, (size_t)len) < 0)
		die_last();
	dprintf(STDOUT_FILENO, "%s: rejected after %zd bytes\n", name, n);
}

static void serve(int fd, const char *name, bool wc)
{
	char buf[64 * 1024];
	uint64_t total = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno("recv");
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (!wc && nu_send_all(fd, buf, (size_t)n) < 0)
			die_last();
	}
	if (wc) {
		char line[WC_LINE_MAX];
		int len =
		    snprintf(line, sizeof(line), "%s %llu\n", name, (unsigned long long)total);
		if (nu_send_all(fd, line, (size_t)len) < 0)
			die_last();
	}
	shutdown(fd, SHUT_WR);
	/* dprintf: one write(2) per line, so children never interleave. */
	dprintf(STDOUT_FILENO, "%s: served %llu bytes\n", name, (unsigned long long)total);
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
	/* clang-format off */
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"name", required_argument, NULL, 'n'},
	    {"wc", no_argument, NULL, 'w'},
	    {"reject", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	/* clang-format on */
	const char *listen_at = NULL, *name = "echod", *reply = NULL;
	bool wc = false;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_at = optarg;
			break;
		case 'n':
			if (strlen(optarg) > NAME_MAX_LEN)
				die_usage("--name: longer than %d bytes", NAME_MAX_LEN);
			name = optarg;
			break;
		case 'w':
			wc = true;
			break;
		case 'r':
			if (strlen(optarg) > 200)
				die_usage("--reject: the reply is longer than 200 bytes");
			reply = optarg;
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
	if (!listen_at)
		die_usage("--listen is required");
	if (wc && reply)
		die_usage("--wc and --reject exclude each other");
	struct sockaddr_in addr;
	if (nu_parse_hostport(listen_at, &addr) < 0)
		die_usage("--listen: %s", last_error());
	signal(SIGTERM, on_sigterm);
	int lfd = nu_listen(&addr, 0);
	if (lfd < 0)
		die_last();

	/* Children reap themselves: SA_NOCLDWAIT leaves no zombies. */
	struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	char where[NU_ADDRSTRLEN];
	dprintf(STDOUT_FILENO, "%s: listening on %s\n", name, nu_addr_str(&addr, where));

	for (;;) {
		int fd = nu_accept(lfd);
		if (fd < 0)
			die_last();
		pid_t pid = fork();
		if (pid < 0) {
			/* Out of processes (EAGAIN under a pids limit or
			 * RLIMIT_NPROC; ENOMEM): refuse this one client, not every
			 * later one, and pause as nu_accept does out of fds: our
			 * children free their slots as their clients finish, and
			 * without a pause the whole backlog would be refused in
			 * one burst. */
			warn("fork: %s; closing this connection", strerror(errno));
			close(fd);
			sleep_ms(100);
			continue;
		}
		if (pid == 0) {
			close(lfd);
			if (reply)
				reject(fd, name, reply);
			else
				serve(fd, name, wc);
			_exit(0);
		}
		close(fd);
	}
}
