/*
 * seccomp_filter.h - securityContext.seccompProfile: which system calls a container
 * may make at all, enforced by the kernel on every syscall, whatever the
 * container's capabilities.
 *
 *   Unconfined      no filter (what Kubernetes does when nothing is set and
 *                   kubelet's --seccomp-default is off, and always for a
 *                   privileged container)
 *   RuntimeDefault  containerd's and Docker's default profile, built here
 *   Localhost       a profile file in the OCI/Docker JSON format
 *
 * RuntimeDefault follows moby's profiles/seccomp/default.json as of Docker
 * 25-27 (= containerd 2.0's contrib/seccomp): io_uring_* removed (moby PR
 * #46762), the syscalls of kernels 5.17-6.7 added (moby PR #47341),
 * name_to_handle_at open to all, socket(AF_VSOCK) refused, ptrace and
 * process_vm_* open to all (the profile's "minKernel 4.8" rule; podlab needs
 * 5.6 for openat2 anyway). Syscalls newer than that list fail with ENOSYS, as
 * runc makes them, so a libc falls back to an older call. The table is for
 * x86_64 (and names absent from another architecture are skipped there).
 * Syscalls of another ABI (int 0x80, x32) kill the caller: Docker also admits
 * the 32-bit ABIs, podlab's images are 64-bit.
 *
 * The filter is built in the parent, where errors can still be reported (a
 * bad profile is a spec error, not a container that dies), compiled there to
 * its BPF program once, and loaded in the container's process with a single
 * seccomp(2) call (no libseccomp work in the child), after no_new_privs and
 * before the fds are closed, so that the filter guards those last steps too:
 *
 *   struct ctr_seccomp *sc;
 *   ctr_seccomp_build(type, path, caps, &sc);    parent; sc is NULL for Unconfined
 *   ... fork/clone ...
 *   child:  drop capabilities, prctl(PR_SET_NO_NEW_PRIVS), ctr_seccomp_load(sc),
 *           dup3/close fds, execve
 *   parent: ctr_seccomp_free(sc) once no child needs it
 *
 * The kernel lets a process install a filter only if it has no_new_privs set
 * or CAP_SYS_ADMIN (otherwise a filter could fool a setuid program it then
 * execs). A container without no_new_privs (privileged, or
 * allowPrivilegeEscalation) must therefore load the filter *before* it drops
 * its capabilities, and the filter must then allow what follows: capset,
 * prctl, close_range, dup3, execve. RuntimeDefault does. ctr_seccomp_load never
 * sets no_new_privs itself (libseccomp would by default).
 */
#ifndef PODLAB_SECCOMP_FILTER_H
#define PODLAB_SECCOMP_FILTER_H

#include <stddef.h>
#include <stdint.h>

enum ctr_seccomp_type {
	CTR_SECCOMP_UNCONFINED,
	CTR_SECCOMP_RUNTIME_DEFAULT,
	CTR_SECCOMP_LOCALHOST,
};

/* A filter ready to load; opaque. */
struct ctr_seccomp;

/* "Unconfined", "RuntimeDefault", "Localhost" (Kubernetes' spelling, exact)
 * -> the type. Anything else fails with EINVAL and a message naming it. */
int ctr_seccomp_parse_type(const char *name, enum ctr_seccomp_type *out);
const char *ctr_seccomp_type_name(enum ctr_seccomp_type type);

/* Build the filter for a container that keeps the capabilities in caps
 * (bit n = capability n, as ctr_caps_mask() computes them): RuntimeDefault
 * allows some syscalls only with a capability, and Localhost profiles may say
 * so too ("includes": {"caps": [...]}). profile_path is the Localhost file
 * (ignored otherwise). Unconfined gives *out = NULL, which load and free
 * accept. A bad profile fails with EINVAL and a message that starts with the
 * file's path and says what is wrong, e.g.
 *   "p.json: syscalls[2].args[0].op: unknown operator 'SCMP_CMP_XX'". */
int ctr_seccomp_build(enum ctr_seccomp_type type, const char *profile_path, uint64_t caps,
                      struct ctr_seccomp **out);

/* Install the filter in the calling process (NULL: nothing to do). Needs
 * no_new_privs or CAP_SYS_ADMIN, see above. Irreversible, inherited by
 * children and kept across execve. */
int ctr_seccomp_load(const struct ctr_seccomp *sc);

/* What the profile contained that was skipped rather than refused, for the
 * caller to warn about: syscall names this libseccomp does not know (runc
 * skips them too) and unknown fields. "" when nothing; never NULL. */
const char *ctr_seccomp_warnings(const struct ctr_seccomp *sc);

void ctr_seccomp_free(struct ctr_seccomp *sc);

/* ---- RuntimeDefault, made ahead ----
 * libseccomp takes 2 to 4 ms to build RuntimeDefault, and the program
 * depends on the capabilities alone. A program that carries its own
 * libseccomp (podrun is linked static) can run this code when it is built
 * and embed what it made (capstone/seccomp_gen.c). */

struct sock_filter;

/* RuntimeDefault's program for the capabilities caps. */
struct ctr_seccomp_preset {
	uint64_t caps;
	unsigned flags; /* SECCOMP_FILTER_FLAG_* */
	unsigned short len;
	const struct sock_filter *insns;
};

/* From now on ctr_seccomp_build copies RuntimeDefault from the table's
 * entry for its caps, if there is one, rather than building it. The caller
 * vouches that each entry is what ctr_seccomp_build made for its caps, with
 * this very libseccomp; the table must outlive every build. */
void ctr_seccomp_use_presets(const struct ctr_seccomp_preset *table, size_t n);

/* A built filter's BPF program (never NULL), its number of instructions and
 * its flags: what a preset holds. */
const struct sock_filter *ctr_seccomp_program(const struct ctr_seccomp *sc, unsigned short *len,
                                              unsigned *flags);

#endif
