/*
 * deny_syscall.h - for the unit tests: make one system call fail from now
 * on in the calling process, with a seccomp filter that answers it with an
 * errno. A test makes a kernel refuse what this kernel allows (ENOSYS: an
 * older kernel; EPERM: a call the caller may not make) and checks the code
 * under test copes. Criterion runs each test in a process of its own, and
 * a test that needs the call afterwards forks first: a filter cannot be
 * taken back.
 */
#ifndef PODLAB_DENY_SYSCALL_H
#define PODLAB_DENY_SYSCALL_H

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

/* 0, or -1 with errno. Four instructions: no library for so small a filter
 * (the architecture is not checked: the test runs where it was built). */
static inline int deny_syscall(long nr, int err)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

#endif
