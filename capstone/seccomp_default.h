/*
 * seccomp_default.h - RuntimeDefault's BPF program for the capability sets
 * most containers run with, made when podrun was built.
 *
 * libseccomp takes 2 to 4 ms to build RuntimeDefault: a tenth of a pod's
 * start on a slow machine, in every pod. The program depends on the
 * capabilities alone, and podrun carries its own libseccomp (it is linked
 * static), so the build runs lab 04's code once - seccomp_gen, a build step
 * - and podrun embeds what it made (BUILD/capstone/seccomp_default.c),
 * then hands the table to lab 04 (ctr_seccomp_use_presets). A
 * container with other capabilities gets its filter built as before. A
 * unit test builds each entry again and compares
 * (tests/unit/test_seccomp_default.c).
 */
#ifndef PODLAB_SECCOMP_DEFAULT_H
#define PODLAB_SECCOMP_DEFAULT_H

#include "seccomp_filter.h"

#include <stddef.h>

/* One entry per capability set: a container with nothing in
 * securityContext.capabilities, and one that drops ALL. */
extern const struct ctr_seccomp_preset seccomp_presets[];
extern const char *const seccomp_preset_names[];
extern const size_t seccomp_n_presets;

#endif
