/*
 * fuzz_http - lab 05's request-head parser: the adapter sidecar runs it on
 * whatever reaches the pod's port.
 */
#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the exact bytes, in a block of their own: the parser takes a length
	 * and must not look past it */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct http_request req;
	int n = http_parse_request(buf, size, &req);
	FUZZ_CHECK(n >= -1 && (size_t)(n < 0 ? 0 : n) <= size && n <= HTTP_HEAD_MAX);
	if (n > 0) {
		FUZZ_CHECK(memchr(req.method, '\0', sizeof(req.method)));
		FUZZ_CHECK(memchr(req.path, '\0', sizeof(req.path)) && req.path[0] == '/');
		/* a complete head stays complete, and the same, with more bytes after it */
		struct http_request again;
		FUZZ_CHECK(http_parse_request(buf, (size_t)n, &again) == n);
		FUZZ_CHECK(!strcmp(again.path, req.path) && !strcmp(again.method, req.method));
	}
	free(buf);
	return 0;
}
