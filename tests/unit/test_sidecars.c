/*
 * test_sidecars.c - the lab 05 helpers that need no network peer: address
 * parsing, the HTTP request parser, HTTP GET against a fake server.
 */
#include "common.h"
#include "http.h"
#include "netutil.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* ---- nu_parse_hostport ------------------------------------------------------ */

Test(netutil, parses_ip_and_port)
{
	struct sockaddr_in a;
	cr_assert_eq(nu_parse_hostport("198.18.5.1:18500", &a), 0);
	cr_assert_eq(a.sin_family, AF_INET);
	cr_assert_eq(ntohs(a.sin_port), 18500);
	cr_assert_eq(ntohl(a.sin_addr.s_addr), 0xC6120501u);
	char buf[NU_ADDRSTRLEN];
	cr_assert_str_eq(nu_addr_str(&a, buf), "198.18.5.1:18500");
}

Test(netutil, localhost_and_any)
{
	struct sockaddr_in a;
	cr_assert_eq(nu_parse_hostport("localhost:80", &a), 0);
	cr_assert_eq(ntohl(a.sin_addr.s_addr), INADDR_LOOPBACK);
	cr_assert_eq(nu_parse_hostport("*:80", &a), 0);
	cr_assert_eq(ntohl(a.sin_addr.s_addr), INADDR_ANY);
}

Test(netutil, rejects_bad_addresses)
{
	struct sockaddr_in a;
	const char *bad[] = {"",
	                     ":80",
	                     "127.0.0.1",
	                     "127.0.0.1:",
	                     "127.0.0.1:0",
	                     "127.0.0.1:65536",
	                     "127.0.0.1:8o",
	                     "example.com:80",
	                     "300.1.1.1:80",
	                     "127.0.0.1:80:90x"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		cr_assert_eq(nu_parse_hostport(bad[i], &a), -1, "accepted '%s'", bad[i]);
		cr_assert_eq(errno, EINVAL);
		cr_assert(strstr(last_error(), "bad address"), "message: %s", last_error());
	}
	cr_assert_eq(nu_parse_hostport(NULL, &a), -1);
}

Test(netutil, connect_refused_names_the_address)
{
	struct sockaddr_in a;
	/* a port nothing listens on: bind one, note it, close it */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(any);
	cr_assert_eq(bind(fd, (struct sockaddr *)&any, sizeof(any)), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	cr_assert_eq(nu_connect(&a, 500), -1);
	cr_assert_eq(errno, ECONNREFUSED);
	cr_assert(strstr(last_error(), "connect(127.0.0.1:"), "message: %s", last_error());
}

/* ---- http_parse_request ------------------------------------------------------ */

static int parse(const char *s, struct http_request *r)
{
	return http_parse_request(s, strlen(s), r);
}

Test(http, parses_a_request)
{
	struct http_request r;
	const char *req =
	    "GET /healthz?verbose=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: kubelet\r\n\r\n";
	cr_assert_eq(parse(req, &r), (int)strlen(req));
	cr_assert_str_eq(r.method, "GET");
	cr_assert_str_eq(r.path, "/healthz");
}

Test(http, bare_newlines_and_no_headers)
{
	struct http_request r;
	cr_assert_eq(parse("GET /metrics HTTP/1.0\n\n", &r), 23);
	cr_assert_str_eq(r.path, "/metrics");
}

Test(http, incomplete_head_needs_more)
{
	struct http_request r;
	cr_assert_eq(parse("", &r), 0);
	cr_assert_eq(parse("GET /healthz HT", &r), 0);
	cr_assert_eq(parse("GET /healthz HTTP/1.1\r\nHost: x\r\n", &r), 0);
}

Test(http, rejects_garbage)
{
	struct http_request r;
	const char *bad[] = {
	    "hello\r\n\r\n",
	    "GET\r\n\r\n",
	    "GET /x\r\n\r\n",
	    "get /x HTTP/1.1\r\n\r\n",
	    "GET x HTTP/1.1\r\n\r\n",
	    "GET /x HTTP/2.0\r\n\r\n",
	    "GET /x HTTP/1.1 extra\r\n\r\n",
	    "GET  /x HTTP/1.1\r\n\r\n",
	    "GET /x\x01 HTTP/1.1\r\n\r\n",
	    "GET /x HTTP/1.1\r\nno colon\r\n\r\n",
	    "GET /x HTTP/1.1\r\n: empty name\r\n\r\n",
	    "GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n",
	    "VERYLONGMETHODNAME /x HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		cr_assert_eq(parse(bad[i], &r), -1, "accepted '%s'", bad[i]);
		cr_assert_eq(errno, EINVAL);
	}
}

Test(http, rejects_an_endless_head)
{
	static char big[HTTP_HEAD_MAX + 10];
	struct http_request r;
	memset(big, 'a', sizeof(big));
	cr_assert_eq(http_parse_request(big, sizeof(big), &r), -1);
	cr_assert(strstr(last_error(), "longer than"), "message: %s", last_error());
}

Test(http, a_complete_head_is_at_most_head_max)
{
	static char req[HTTP_HEAD_MAX + 64];
	struct http_request r;
	const char *start = "GET / HTTP/1.1\r\nX-Big: ";
	size_t n = strlen(start);
	memcpy(req, start, n);
	/* exactly HTTP_HEAD_MAX bytes with the blank line: accepted */
	size_t fill = HTTP_HEAD_MAX - n - 4;
	memset(req + n, 'a', fill);
	memcpy(req + n + fill, "\r\n\r\n", 4);
	cr_assert_eq(http_parse_request(req, HTTP_HEAD_MAX, &r), HTTP_HEAD_MAX, "%s", last_error());
	/* one byte more, complete as well: too long all the same */
	memset(req + n, 'a', fill + 1);
	memcpy(req + n + fill + 1, "\r\n\r\n", 4);
	cr_assert_eq(http_parse_request(req, HTTP_HEAD_MAX + 1, &r), -1);
	cr_assert(strstr(last_error(), "longer than"), "message: %s", last_error());
}

Test(http, rejects_an_overlong_path)
{
	char req[600];
	struct http_request r;
	snprintf(req, sizeof(req), "GET /%0400d HTTP/1.1\r\n\r\n", 0);
	cr_assert_eq(parse(req, &r), -1);
}

/* ---- http_get against a one-shot fake server ----------------------------------- */

static struct sockaddr_in fake_server(const char *response, pid_t *pid)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int lfd = nu_listen(&a, 0);
	cr_assert_geq(lfd, 0, "%s", last_error());
	getsockname(lfd, (struct sockaddr *)&a, &len);
	*pid = fork();
	if (*pid == 0) {
		char buf[1024];
		int fd = accept(lfd, NULL, NULL);
		if (recv(fd, buf, sizeof(buf), 0) < 0)
			_exit(1);
		nu_send_all(fd, response, strlen(response));
		close(fd);
		_exit(0);
	}
	close(lfd);
	return a;
}

Test(http, get_reads_status_and_body)
{
	pid_t pid;
	struct sockaddr_in a =
	    fake_server("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello trailing", &pid);
	char body[64];
	cr_assert_eq(http_get(&a, "/metrics", 1000, body, sizeof(body)), 200);
	cr_assert_str_eq(body, "hello");
	waitpid(pid, NULL, 0);
}

Test(http, get_rejects_a_non_http_answer)
{
	pid_t pid;
	struct sockaddr_in a = fake_server("SSH-2.0-OpenSSH\r\n", &pid);
	char body[64];
	cr_assert_eq(http_get(&a, "/metrics", 1000, body, sizeof(body)), -1);
	cr_assert(strstr(last_error(), "not an HTTP response"), "message: %s", last_error());
	waitpid(pid, NULL, 0);
}

Test(http, get_rejects_a_short_body)
{
	pid_t pid;
	struct sockaddr_in a =
	    fake_server("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", &pid);
	char body[64];
	cr_assert_eq(http_get(&a, "/metrics", 1000, body, sizeof(body)), -1);
	waitpid(pid, NULL, 0);
}

Test(http, get_refuses_a_path_longer_than_its_request_buffer)
{
	pid_t pid;
	struct sockaddr_in a = fake_server("HTTP/1.0 200 OK\r\n\r\nok", &pid);
	char path[600], body[64];
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	errno = 0;
	cr_assert_eq(http_get(&a, path, 1000, body, sizeof(body)), -1);
	cr_assert_eq(errno, ENAMETOOLONG);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

Test(http, reasons)
{
	cr_assert_str_eq(http_reason(200), "OK");
	cr_assert_str_eq(http_reason(503), "Service Unavailable");
	cr_assert_str_eq(http_reason(400), "Bad Request");
}
