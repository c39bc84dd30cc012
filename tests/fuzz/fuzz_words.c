/*
 * fuzz_words - the small parsers of single words and numbers, all on the
 * same input: parse_long (labs/common), ns_parse (lab 01), the hostPath
 * type (lab 03), the restart policy (lab 04), DNS-1123 names and the
 * tab-in-indentation finder (capstone).
 */
#include "fuzz.h"
#include "common.h"
#include "init.h"
#include "ns.h"
#include "spec.h"
#include "volume.h"

#include <limits.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec_mark at;
	/* this one takes a length: the raw bytes */
	if (spec_find_tab_indent((const char *)data, size, INT_MAX, &at) == 0)
		FUZZ_CHECK((at.line == 0 && at.col == 0) || (at.line >= 1 && at.col >= 1));

	char *s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	long v;
	if (parse_long(s, -1000, 1000, &v) == 0)
		FUZZ_CHECK(v >= -1000 && v <= 1000);
	unsigned set;
	(void)ns_parse(s, &set);
	enum vol_hostpath_type t;
	(void)vol_hostpath_type_parse(s, &t);
	enum init_restart r;
	(void)init_restart_parse(s, &r);
	if (spec_dns1123_label(s))
		FUZZ_CHECK(size <= 63 && spec_dns1123_subdomain(s));
	if (spec_dns1123_subdomain(s))
		FUZZ_CHECK(size <= 253);
	free(s);
	return 0;
}
