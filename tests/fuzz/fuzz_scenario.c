/*
 * fuzz_scenario - lab 00's scenario files (labs/00-coscheduling/scenario.c),
 * and what a strategy does with a scenario the parser accepted: every
 * strategy must run on anything the parser lets through.
 */
#include "fuzz.h"
#include "cosched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	static struct cosched_scenario s;
	if (cosched_scenario_parse("fuzz.txt", text, &s) == 0) {
		FUZZ_CHECK(s.nnodes >= 0 && s.nnodes <= COSCHED_MAX_NODES);
		FUZZ_CHECK(s.ncontainers >= 0 && s.ncontainers <= COSCHED_MAX_CONTAINERS);
		FUZZ_CHECK(s.ngroups >= 0 && s.ngroups <= s.ncontainers);
		for (int i = 0; i < s.ncontainers; i++)
			FUZZ_CHECK(s.containers[i].group >= 0 && s.containers[i].group < s.ngroups);
		/* the accepted scenario, written back, parses to the same thing */
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		FUZZ_CHECK(f);
		cosched_scenario_write(f, &s);
		FUZZ_CHECK(fclose(f) == 0);
		static struct cosched_scenario again;
		FUZZ_CHECK(cosched_scenario_parse("fuzz.txt", out, &again) == 0);
		FUZZ_CHECK(again.nnodes == s.nnodes && again.ncontainers == s.ncontainers &&
		           again.ngroups == s.ngroups);
		free(out);
	}
	free(text);
	return 0;
}
