/*
 * http.c - the little HTTP/1.x the adapter needs (see http.h).
 */
#include "http.h"
#include "common.h"
#include "netutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* The next line of buf[*pos..len), without its CRLF or LF; NULL when there
 * is no complete line yet. */
static const char *next_line(const char *buf, size_t len, size_t *pos, size_t *line_len)
{
	const char *start = buf + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	if (!nl)
		return NULL;
	*line_len = (size_t)(nl - start);
	if (*line_len > 0 && start[*line_len - 1] == '\r')
		(*line_len)--;
	*pos = (size_t)(nl - buf) + 1;
	return start;
}

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return false;
		else if ((unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	size_t pos = 0, n;
	const char *line = next_line(buf, len, &pos, &n);
	if (!line)
		goto need_more;

	/* METHOD SP PATH SP HTTP/1.x */
	const char *sp1 = memchr(line, ' ', n);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line + n - sp1 - 1)) : NULL;
	if (!sp2 || !printable(line, n))
		return fail_msg(EINVAL, "bad request line");
	size_t mlen = (size_t)(sp1 - line), plen = (size_t)(sp2 - sp1 - 1);
	if (mlen == 0 || mlen >= sizeof(req->method))
		return fail_msg(EINVAL, "bad method");
	for (size_t i = 0; i < mlen; i++)
		if (!isupper((unsigned char)line[i]))
			return fail_msg(EINVAL, "bad method");
	if (plen == 0 || plen >= sizeof(req->path) || sp1[1] != '/' || memchr(sp1 + 1, ' ', plen))
		return fail_msg(EINVAL, "bad path");
	size_t vlen = (size_t)(line + n - sp2 - 1);
	if (vlen != 8 ||
	    (memcmp(sp2 + 1, "HTTP/1.0", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.1", 8) != 0))
		return fail_msg(EINVAL, "bad HTTP version");
	memcpy(req->method, line, mlen);
	req->method[mlen] = '\0';
	memcpy(req->path, sp1 + 1, plen);
	req->path[plen] = '\0';
	char *q = strchr(req->path, '?');
	if (q)
		*q = '\0';

	/* Header lines "Name: value" until the blank line. We need none of
	 * them, but each must be well formed. */
	for (;;) {
		line = next_line(buf, len, &pos, &n);
		if (!line)
			goto need_more;
		if (n == 0 && pos > HTTP_HEAD_MAX) /* complete, and too long all the same */
			return fail_msg(EINVAL, "request head longer than %d bytes", HTTP_HEAD_MAX);
		if (n == 0)
			return (int)pos;
		const char *colon = memchr(line, ':', n);
		if (!colon || colon == line || !printable(line, n))
			return fail_msg(EINVAL, "bad header line");
		for (const char *c = line; c < colon; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
				return fail_msg(EINVAL, "bad header name");
	}

need_more:
	if (len >= HTTP_HEAD_MAX)
		return fail_msg(EINVAL, "request head longer than %d bytes", HTTP_HEAD_MAX);
	return 0;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

int http_respond(int fd, int status, const char *content_type, const char *body)
{
	char head[256];
	size_t blen = strlen(body);
	/* A 405 must name the methods there are (RFC 9110, 15.5.6): the
	 * sidecars serve GET only. */
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	                 "%sConnection: close\r\n\r\n",
	                 status, http_reason(status), content_type, blen,
	                 status == 405 ? "Allow: GET\r\n" : "");
	if (nu_send_all(fd, head, (size_t)n) < 0 || nu_send_all(fd, body, blen) < 0)
		return -1;
	return 0;
}

int http_get(const struct sockaddr_in *addr, const char *path, int timeout_ms, char *body,
             size_t size)
{
	char where[NU_ADDRSTRLEN], req[512];
	_cleanup_close_ int fd = nu_connect(addr, timeout_ms);
	if (fd < 0)
		return -1;
	if (nu_set_timeout(fd, timeout_ms) < 0)
		return -1;
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path,
	                 nu_addr_str(addr, where));
	/* snprintf returns the length it needed: sent as is, a cut request
	 * would carry the bytes past req's end. */
	if (n < 0 || (size_t)n >= sizeof(req))
		return fail_msg(ENAMETOOLONG, "GET %.40s...: path too long", path);
	if (nu_send_all(fd, req, (size_t)n) < 0)
		return -1;

	/* HTTP/1.0: the server closes after the response, so read to EOF. */
	char resp[HTTP_HEAD_MAX + 64 * 1024];
	size_t len = 0;
	for (;;) {
		ssize_t r = recv(fd, resp + len, sizeof(resp) - 1 - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail_errno("recv(%s)", where);
		if (r == 0 || (len += (size_t)r) == sizeof(resp) - 1)
			break;
	}
	resp[len] = '\0';

	int status;
	if (sscanf(resp, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 100 || status > 599)
		return fail_msg(EPROTO, "%s%s: not an HTTP response", where, path);
	char *start = strstr(resp, "\r\n\r\n");
	size_t skip = 4;
	if (!start) {
		start = strstr(resp, "\n\n");
		skip = 2;
	}
	if (!start)
		return fail_msg(EPROTO, "%s%s: response without a header end", where, path);
	*start = '\0';
	start += skip;
	size_t blen = len - (size_t)(start - resp);

	/* Content-Length, when given, says where the body ends. */
	for (char *h = strchr(resp, '\n'); h; h = strchr(h + 1, '\n')) {
		unsigned long cl;
		if (strncasecmp(h + 1, "Content-Length:", 15) == 0 &&
		    sscanf(h + 16, " %lu", &cl) == 1) {
			if (cl > blen)
				return fail_msg(EPROTO, "%s%s: body shorter than Content-Length",
				                where, path);
			blen = cl;
		}
	}
	if (blen >= size)
		blen = size - 1;
	memcpy(body, start, blen);
	body[blen] = '\0';
	return status;
}
