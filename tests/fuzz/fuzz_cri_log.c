/*
 * fuzz_cri_log - one record of a CRI container log ("TIMESTAMP STREAM TAG
 * CONTENT"), as `podrun logs` reads them from DATA/pods/POD/logs/C/N.log.
 * Those files sit on disk where anything may have written them: the parser
 * must take any bytes, NUL included, and read none past the end.
 */
#include "fuzz.h"
#include "logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A block of exactly size bytes, no terminator: the parser takes a
	 * length, and AddressSanitizer sees a read one byte too far. */
	char *line = malloc(size ? size : 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	struct logs_record r;
	if (logs_parse_record(line, size, &r) == 0) {
		/* what the header promises of a record */
		FUZZ_CHECK(r.stream == LOGS_STDOUT || r.stream == LOGS_STDERR);
		FUZZ_CHECK(r.content >= line && r.content + r.len == line + size);
		/* a time that parses formats back to one that parses to the same */
		char t[80];
		logs_format_time(r.ts_ns, t, sizeof(t));
		struct logs_record again;
		char rec[128];
		int n = snprintf(rec, sizeof(rec), "%s stdout F ", t);
		FUZZ_CHECK(logs_parse_record(rec, (size_t)n, &again) == 0);
		FUZZ_CHECK(again.ts_ns == r.ts_ns && again.len == 0);
	}
	free(line);
	return 0;
}
