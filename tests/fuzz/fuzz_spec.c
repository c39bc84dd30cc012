/*
 * fuzz_spec - the Pod YAML parser (capstone/spec.h), on whole files: what
 * `podrun run FILE` reads from a student or from anyone who can hand podrun a
 * file.
 */
#include "fuzz.h"
#include "spec.h"

#include "common.h"

static void no_warnings(void *arg, const char *msg)
{
	(void)arg;
	/* the message is read, so a bad pointer in it shows up under ASan */
	FUZZ_CHECK(strlen(msg) < 1 << 20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pod_spec *pods = NULL;
	size_t n = 0;
	/* spec_parse_buffer takes a length: no NUL-terminated copy, so a read
	 * past len is a read past the block libFuzzer owns. */
	if (spec_parse_buffer("fuzz.yaml", (const char *)data, size, no_warnings, NULL, &pods, &n) <
	    0) {
		/* "Every message starts with file:line:col: " (spec.h); reading it
		 * also proves it is a string */
		FUZZ_CHECK(*last_error() != '\0');
		return 0;
	}
	FUZZ_CHECK(n >= 1 && pods);
	for (size_t i = 0; i < n; i++) {
		const struct pod_spec *p = &pods[i];
		FUZZ_CHECK(p->name && spec_dns1123_subdomain(p->name));
		FUZZ_CHECK(p->n_ctrs > p->n_init);
		FUZZ_CHECK(p->labels && p->hostname);
		for (size_t c = 0; c < p->n_ctrs; c++) {
			const struct spec_container *ct = &p->ctrs[c];
			FUZZ_CHECK(ct->name && spec_dns1123_label(ct->name));
			FUZZ_CHECK(ct->image && ct->argv && ct->env);
			FUZZ_CHECK(ct->cap_add && ct->cap_drop);
			FUZZ_CHECK(ct->is_init == (c < p->n_init));
			FUZZ_CHECK(spec_find_container(p, ct->name) != NULL);
			for (size_t k = 0; k < ct->n_ports; k++)
				FUZZ_CHECK(ct->ports[k].container_port >= 1 &&
				           ct->ports[k].container_port <= 65535 &&
				           ct->ports[k].host_port >= 0 &&
				           ct->ports[k].host_port <= 65535 && ct->ports[k].host_ip);
			for (size_t k = 0; k < ct->n_mounts; k++)
				FUZZ_CHECK(ct->mounts[k].volume < p->n_volumes &&
				           ct->mounts[k].mount_path[0] == '/');
		}
		FUZZ_CHECK(p->grace_seconds >= 0);
	}
	spec_free(pods, n);
	return 0;
}
