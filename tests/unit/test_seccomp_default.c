/*
 * test_seccomp_default.c - the RuntimeDefault programs podrun embeds
 * (capstone/seccomp_default.h) are what lab 04 builds at run time, and
 * podrun finds the one for a container that sets no capabilities.
 */
#include "seccomp_default.h"

#include "common.h"
#include "container.h"

#include <criterion/criterion.h>
#include <linux/filter.h>
#include <string.h>
#include <unistd.h>

Test(seccomp_default, each_embedded_program_is_what_lab_04_builds)
{
	cr_assert_geq(seccomp_n_presets, 1);
	for (size_t i = 0; i < seccomp_n_presets; i++) {
		const struct ctr_seccomp_preset *p = &seccomp_presets[i];
		struct ctr_seccomp *sc = NULL;
		cr_assert_eq(ctr_seccomp_build(CTR_SECCOMP_RUNTIME_DEFAULT, NULL, p->caps, &sc), 0,
		             "%s", last_error());
		unsigned short len;
		unsigned flags;
		const struct sock_filter *insns = ctr_seccomp_program(sc, &len, &flags);
		const char *what = seccomp_preset_names[i];
		cr_expect_eq(len, p->len, "%s: %u instructions built, %u embedded", what, len,
		             p->len);
		cr_expect_eq(flags, p->flags, "%s: flags %#x built, %#x embedded", what, flags,
		             p->flags);
		cr_expect(len == p->len && !memcmp(insns, p->insns, len * sizeof(*insns)),
		          "%s: the program differs", what);
		ctr_seccomp_free(sc);
	}
}

/* The key is ctr_caps_mask's, as the supervisor computes it: a table keyed
 * by any other mask would be embedded and never used. */
Test(seccomp_default, a_container_without_capabilities_settings_finds_its_program)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: podrun and its build run as root");
	static const char *const drop_all[] = {"ALL", NULL};
	const struct ctr_config none = {0}, dropped = {.cap_drop = drop_all};
	const struct ctr_config *cfgs[] = {&none, &dropped};
	for (size_t c = 0; c < ARRAY_SIZE(cfgs); c++) {
		uint64_t caps;
		cr_assert_eq(ctr_caps_mask(cfgs[c], &caps), 0, "%s", last_error());
		bool found = false;
		for (size_t i = 0; i < seccomp_n_presets; i++)
			found |= seccomp_presets[i].caps == caps;
		cr_expect(found, "no embedded program for capabilities %#llx",
		          (unsigned long long)caps);
	}
}
