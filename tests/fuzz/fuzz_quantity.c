/*
 * fuzz_quantity - Kubernetes quantities ("512Mi", "1.5Gi", "1e3"), as
 * emptyDir.sizeLimit carries them.
 */
#include "fuzz.h"
#include "spec.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	int64_t v = -1;
	errno = 0;
	if (spec_parse_quantity(s, &v) == 0)
		FUZZ_CHECK(v >= 0); /* "-1" is refused: a size is never negative */
	else
		FUZZ_CHECK(errno == EINVAL || errno == ERANGE); /* spec.h */
	free(s);
	return 0;
}
