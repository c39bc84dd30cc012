/*
 * fuzz_duration - Go durations ("300ms", "2h45m", "-1.5h"), as `podrun stop
 * -t` and the spec's timeouts read them.
 */
#include "fuzz.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	int64_t ns;
	(void)spec_parse_duration(s, &ns);
	free(s);
	return 0;
}
