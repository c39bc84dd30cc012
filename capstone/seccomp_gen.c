/*
 * seccomp_gen.c - a build step, not part of podrun: RuntimeDefault's BPF
 * program for the capability sets most containers run with, written as C
 * for podrun to embed (seccomp_default.h says why).
 *
 *   seccomp_gen > seccomp_default.c
 *
 * It calls what podrun would call at run time - ctr_caps_mask, then lab
 * 04's ctr_seccomp_build - linked with the same libseccomp, so it writes the
 * program podrun would have built. The capabilities come from the process
 * that runs it (ctr_caps_mask keeps only those it holds): the build runs
 * as root, as podrun does. Built as another user, the entries name other
 * sets, which podrun then never finds: it builds the filter itself.
 */
#include "common.h"
#include "container.h"
#include "seccomp_filter.h"

#include <linux/filter.h>
#include <stdio.h>

static const char *const drop_all[] = {"ALL", NULL};

static const struct {
	const char *what;
	struct ctr_config cfg;
} sets[] = {
    {"no capabilities added or dropped", {0}},
    {"capabilities: {drop: [ALL]}", {.cap_drop = drop_all}},
};

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		die("usage: seccomp_gen > seccomp_default.c");
	printf("/* Made by seccomp_gen (capstone/seccomp_gen.c) when podrun was built. */\n"
	       "#include \"seccomp_default.h\"\n\n"
	       "#include <linux/filter.h>\n");
	/* What the table at the end lists, one entry per distinct set. */
	uint64_t caps[ARRAY_SIZE(sets)];
	unsigned flags[ARRAY_SIZE(sets)];
	unsigned short len[ARRAY_SIZE(sets)];
	const char *what[ARRAY_SIZE(sets)];
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		if (ctr_caps_mask(&sets[i].cfg, &caps[n]) < 0)
			die("%s: %s", sets[i].what, last_error());
		bool again = false;
		for (size_t j = 0; j < n; j++)
			again |= caps[j] == caps[n];
		if (again)
			continue; /* the same set (a build as a user without capabilities) */
		struct ctr_seccomp *sc;
		if (ctr_seccomp_build(CTR_SECCOMP_RUNTIME_DEFAULT, NULL, caps[n], &sc) < 0)
			die("RuntimeDefault, %s: %s", sets[i].what, last_error());
		const struct sock_filter *insns = ctr_seccomp_program(sc, &len[n], &flags[n]);
		what[n] = sets[i].what;
		printf("\n/* %s */\nstatic const struct sock_filter insns%zu[] = {\n", what[n], n);
		for (unsigned short k = 0; k < len[n]; k++)
			printf("    {0x%04x, %u, %u, 0x%08x},\n", insns[k].code, insns[k].jt,
			       insns[k].jf, insns[k].k);
		printf("};\n");
		ctr_seccomp_free(sc);
		n++;
	}
	printf("\nconst struct ctr_seccomp_preset seccomp_presets[] = {\n");
	for (size_t i = 0; i < n; i++)
		printf("    {%#llxULL, %#x, %u, insns%zu},\n", (unsigned long long)caps[i],
		       flags[i], len[i], i);
	printf("};\nconst char *const seccomp_preset_names[] = {\n");
	for (size_t i = 0; i < n; i++)
		printf("    \"%s\",\n", what[i]);
	printf("};\nconst size_t seccomp_n_presets = %zu;\n", n);
	if (fflush(stdout) != 0 || ferror(stdout))
		die_errno("write");
	return 0;
}
