/*
 * http.h - just enough HTTP/1.x for the adapter sidecar: parse a request
 * head, write a response, GET a page. Every request is answered with
 * "Connection: close", so there is no keep-alive, no chunking, no pipelining.
 *
 * The parser is strict on purpose: a sidecar faces whatever reaches the pod's
 * port, so anything that is not a well-formed request head is an error (400),
 * never a guess.
 */
#ifndef PODLAB_HTTP_H
#define PODLAB_HTTP_H

#include <netinet/in.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 8192

struct http_request {
	char method[16]; /* "GET" */
	char path[256];  /* "/healthz", without the query string */
};

/* Parse the request head in buf[0..len): request line, header lines, blank
 * line (CRLF or bare LF). Returns the head's length when it is complete, 0
 * when more bytes are needed, -1 (EINVAL, last_error says why) when it is not
 * a request, or is longer than HTTP_HEAD_MAX. */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* "OK", "Not Found"... for the status codes the sidecars use. */
const char *http_reason(int status);

/* Send a complete response with Content-Length and Connection: close (and
 * Allow: GET with a 405). */
int http_respond(int fd, int status, const char *content_type, const char *body);

/* GET path from addr with HTTP/1.0; the body (NUL-terminated, cut to size-1)
 * in body. Returns the status code, or -1 when there was no valid response. */
int http_get(const struct sockaddr_in *addr, const char *path, int timeout_ms, char *body,
             size_t size);

#endif
