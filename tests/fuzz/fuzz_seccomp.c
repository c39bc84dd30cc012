/*
 * fuzz_seccomp - a Localhost seccomp profile (lab 04, seccomp_filter.h):
 * the JSON file of the node that a Pod names in
 * securityContext.seccompProfile.localhostProfile, read and turned into a
 * filter by libseccomp before the container starts. The filter is built,
 * not loaded: the fuzzer's own process stays unfiltered.
 *
 * The input is the file, in a memfd named by its /proc/self/fd path (no
 * file on disk per input). Each input is built twice, for a container with
 * no capability and for one with all of them: "includes" and "excludes"
 * take a rule in or out by the capabilities.
 */
#include "fuzz.h"
#include "seccomp_filter.h"

#include "common.h"

#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("profile.json", MFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

	static const uint64_t caps[] = {0, ~0ULL};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct ctr_seccomp *sc = NULL;
		if (ctr_seccomp_build(CTR_SECCOMP_LOCALHOST, path, caps[i], &sc) < 0) {
			/* "A bad profile fails with a message that starts with the
			 * file's path" (seccomp_filter.h) */
			FUZZ_CHECK(sc == NULL);
			FUZZ_CHECK(!strncmp(last_error(), path, strlen(path)));
			continue;
		}
		FUZZ_CHECK(sc != NULL);
		FUZZ_CHECK(strlen(ctr_seccomp_warnings(sc)) < 1 << 20);
		ctr_seccomp_free(sc);
	}
	return 0;
}
