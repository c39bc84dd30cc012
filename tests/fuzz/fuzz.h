/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share.
 *
 * libFuzzer hands a target arbitrary bytes with a length and no terminating
 * NUL. Most podlab parsers take a C string, so fuzz_cstr() copies the bytes
 * into a heap block of exactly len + 1 bytes: AddressSanitizer then catches a
 * parser that reads one byte past the string's end, which it would not if the
 * copy sat in a larger buffer.
 *
 * A target aborts (and libFuzzer reports a crash) when a parser breaks a
 * promise its header makes, not only when it crashes: FUZZ_CHECK states the
 * promise next to the call.
 */
#ifndef PODLAB_FUZZ_H
#define PODLAB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The input as a NUL-terminated string in a block of its own; NULL when the
 * input has a NUL inside (a C string cannot carry one: the caller would only
 * ever see the part before it) or when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size))
		return NULL;
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
