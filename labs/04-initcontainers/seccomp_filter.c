/*
 * seccomp_filter.c - seccomp profiles for containers (see seccomp_filter.h).
 *
 * A seccomp filter is a small program the kernel runs on every system call
 * the process makes, before the call does anything: it sees the syscall
 * number, the architecture and the six raw argument registers - never the
 * memory they point to - and answers allow, fail with an errno, or kill.
 * libseccomp writes that program for us from rules ("mkdir -> EPERM"), once,
 * in the parent; the container's process only hands the finished program to
 * the kernel with seccomp(2), without a line of libseccomp.
 *
 * RuntimeDefault is an allow-list, as containerd's and Docker's profile is:
 * every syscall fails with EPERM unless a rule below allows it. A deny-list
 * (allow by default, refuse the dangerous ones) reads more easily, but:
 *   - it fails open: each new kernel brings syscalls it has never heard of
 *     (open_tree_attr, a mount API call, came in 6.15), all allowed;
 *   - "anything but these values" cannot be said with libseccomp 2.5, which
 *     refuses two comparisons on one argument in one rule: personality()
 *     would take dozens of range rules instead of five equalities.
 * So the allow-list it is, grouped by what the syscalls are for. The
 * interesting part - what is refused, and what a capability buys back - is
 * in cap_rules[] and add_special_rules().
 */
#include "seccomp_filter.h"

#include "common.h"

#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <seccomp.h> /* libseccomp's */

#define CAP(c)    (UINT64_C(1) << (c))
#define WARN_MAX  512
#define MAX_ERRNO 4095
#define MAX_NR    512       /* the syscall tables end below 512 (x86_64's x32 calls start there) */
#define MAX_SIZE  (1 << 20) /* a profile bigger than 1 MiB is a mistake */
#define NS_FLAGS                                                                                   \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)

struct ctr_seccomp {
	scmp_filter_ctx ctx;       /* the rules, while they are being built; then NULL */
	struct sock_filter *insns; /* the BPF program libseccomp made of them */
	unsigned short len;        /* its instructions */
	unsigned flags;            /* SECCOMP_FILTER_FLAG_* the profile asked for */
	char warnings[WARN_MAX];
};

/* ---- RuntimeDefault ------------------------------------------------------- */

/* What every process may do. Names that do not exist on this architecture
 * (the 32-bit "*_time64" calls, "chown32", ARM's "cacheflush") are skipped. */
/* One line per topic reads better than one name per line. */
/* clang-format off */
static const char *const allowed[] = {
	/* paths: look up, create, remove, rename, inspect */
	"access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "chmod", "fchmod",
	"fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown",
	"lchown32", "creat", "open", "openat", "openat2", "close", "close_range", "mkdir", "mkdirat",
	"mknod", "mknodat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
	"symlinkat", "unlink", "unlinkat", "readlink", "readlinkat", "stat", "stat64", "lstat",
	"lstat64", "fstat", "fstat64", "fstatat64", "newfstatat", "statx", "statfs", "statfs64",
	"fstatfs", "fstatfs64", "truncate", "truncate64", "ftruncate", "ftruncate64", "umask", "utime",
	"utimes", "utimensat", "utimensat_time64", "futimesat", "getdents", "getdents64",
	"name_to_handle_at",
	/* extended attributes */
	"getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr", "listxattr",
	"llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
	/* reading and writing fds */
	"read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev",
	"pwritev2", "lseek", "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "ioctl", "flock",
	"fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fadvise64", "fadvise64_64",
	"fallocate", "readahead", "sendfile", "sendfile64", "splice", "tee", "vmsplice",
	"copy_file_range", "pipe", "pipe2", "cachestat",
	/* waiting for fds and events */
	"select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait", "epoll_wait_old",
	"epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4",
	"timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
	"timerfd_settime64", "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"fanotify_mark",
	/* asynchronous I/O, the old kind. Not io_uring_*: its rings run
	 * operations no seccomp filter sees, and its bugs have been a way out of
	 * containers (moby PR #46762) */
	"io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
	"io_pgetevents_time64",
	/* memory */
	"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync", "mlock",
	"mlock2", "mlockall", "munlock", "munlockall", "membarrier", "memfd_create", "memfd_secret",
	"remap_file_pages", "pkey_alloc", "pkey_free", "pkey_mprotect", "map_shadow_stack",
	/* processes and threads (clone: see add_special_rules) */
	"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid",
	"getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
	"set_tid_address", "set_robust_list", "get_robust_list", "rseq", "futex", "futex_time64",
	"futex_waitv", "futex_wake", "futex_wait", "futex_requeue", "get_thread_area",
	"set_thread_area", "prctl", "capget", "capset", "seccomp", "landlock_create_ruleset",
	"landlock_add_rule", "landlock_restrict_self", "pidfd_open", "pidfd_send_signal",
	"process_mrelease", "restart_syscall", "uname", "sysinfo", "getrandom", "getcpu", "getrusage",
	"getrlimit", "setrlimit", "ugetrlimit", "prlimit64", "getpriority", "setpriority",
	"ioprio_get", "ioprio_set",
	/* ptrace: open to all since seccomp runs again after a tracer changed a
	 * syscall (kernel 4.8); the kernel's own ptrace checks still confine it
	 * to processes the container could signal anyway */
	"ptrace", "process_vm_readv", "process_vm_writev",
	/* scheduling */
	"sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
	"sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
	"sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
	"sched_rr_get_interval_time64",
	/* identity: the capabilities (SETUID, SETGID) decide what succeeds */
	"getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
	"getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32", "setuid",
	"setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid", "setregid32",
	"setresuid", "setresuid32", "setresgid", "setresgid32", "setfsuid", "setfsuid32", "setfsgid",
	"setfsgid32", "setgroups", "setgroups32",
	/* signals */
	"kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo",
	"rt_tgsigqueueinfo", "sigaltstack", "sigprocmask", "sigreturn", "pause", "alarm",
	/* time: reading clocks, sleeping, timers. adjtimex and clock_adjtime
	 * also read the clock; the kernel wants CAP_SYS_TIME to change it */
	"time", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres",
	"clock_getres_time64", "clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "times",
	"getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
	"timer_gettime64", "timer_settime", "timer_settime64", "adjtimex", "clock_adjtime",
	"clock_adjtime64",
	/* sockets (socket itself: see add_special_rules) */
	"socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname", "getpeername",
	"getsockopt", "setsockopt", "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom",
	"recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown", "socketcall",
	/* System V and POSIX IPC: the pod's IPC namespace bounds them */
	"ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
	"semtimedop_time64", "semctl", "shmget", "shmat", "shmdt", "shmctl", "mq_open", "mq_unlink",
	"mq_timedsend", "mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64",
	"mq_notify", "mq_getsetattr",
	/* one architecture's own */
	"arch_prctl", "modify_ldt",                                              /* x86 */
	"arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "set_tls", /* arm */
	"sync_file_range2", "swapcontext",                                       /* ppc64le, arm */
	"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr",       /* s390x */
	"riscv_flush_icache",                                                    /* riscv64 */
	NULL,
};
/* clang-format on */

/* Allowed only to a container that holds one of the capabilities: with the
 * capability, the kernel would let the call succeed anyway, so the filter
 * gets out of the way; without it, the filter removes the code path from
 * the container's reach altogether (a kernel bug behind a capability check
 * is still a bug the container can reach). */
static const struct {
	uint64_t any_of;
	const char *const *names;
} cap_rules[] = {
    {CAP(CAP_SYS_ADMIN),
     (const char *const[]){"mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick",
                           "move_mount", "open_tree", "mount_setattr", "setns", "unshare",
                           "quotactl", "quotactl_fd", "sethostname", "setdomainname",
                           "fanotify_init", "lookup_dcookie", NULL}},
    {CAP(CAP_SYS_ADMIN) | CAP(CAP_BPF), (const char *const[]){"bpf", NULL}},
    {CAP(CAP_SYS_ADMIN) | CAP(CAP_PERFMON), (const char *const[]){"perf_event_open", NULL}},
    {CAP(CAP_SYS_ADMIN) | CAP(CAP_SYSLOG), (const char *const[]){"syslog", NULL}},
    {CAP(CAP_DAC_READ_SEARCH), (const char *const[]){"open_by_handle_at", NULL}},
    {CAP(CAP_SYS_BOOT), (const char *const[]){"reboot", NULL}},
    {CAP(CAP_SYS_CHROOT), (const char *const[]){"chroot", NULL}},
    {CAP(CAP_SYS_MODULE),
     (const char *const[]){"init_module", "finit_module", "delete_module", NULL}},
    {CAP(CAP_SYS_PACCT), (const char *const[]){"acct", NULL}},
    {CAP(CAP_SYS_PTRACE), (const char *const[]){"kcmp", "pidfd_getfd", "process_madvise", NULL}},
    {CAP(CAP_SYS_RAWIO), (const char *const[]){"iopl", "ioperm", NULL}},
    {CAP(CAP_SYS_TIME),
     (const char *const[]){"settimeofday", "stime", "clock_settime", "clock_settime64", NULL}},
    {CAP(CAP_SYS_TTY_CONFIG), (const char *const[]){"vhangup", NULL}},
    {CAP(CAP_SYS_NICE), (const char *const[]){"mbind", "get_mempolicy", "set_mempolicy",
                                              "set_mempolicy_home_node", NULL}},
};

/* Not in any list, so refused to everyone, even with every capability:
 * keyctl, add_key, request_key (the kernel keyring is not namespaced),
 * userfaultfd (stalls the kernel at will: a favourite of exploits),
 * kexec_load, kexec_file_load, swapon, swapoff, pivot_root, migrate_pages,
 * move_pages, uselib, ustat, sysfs, _sysctl, vm86, nfsservctl, create_module,
 * get_kernel_syms, query_module, io_uring_*, and any syscall newer than this
 * table (ENOSYS, below). Kubernetes runs privileged containers Unconfined,
 * whatever their profile says. */

static int resolve(const char *name)
{
	return seccomp_syscall_resolve_name(name);
}

/* Add one rule; names absent from this architecture are skipped. *max_nr
 * tracks the highest syscall number named, for the ENOSYS tail below. */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, int *max_nr,
                    unsigned n_cmp, const struct scmp_arg_cmp *cmp)
{
	int nr = resolve(name);
	if (nr < 0)
		return 0; /* unknown (__NR_SCMP_ERROR), or another architecture's ("pseudo" number)
		           */
	if (nr > *max_nr)
		*max_nr = nr;
	int rc = seccomp_rule_add_array(ctx, action, nr, n_cmp, cmp);
	if (rc < 0)
		return fail_msg(-rc, "seccomp rule for %s: %s", name, strerror(-rc));
	return 0;
}

static int allow_all(scmp_filter_ctx ctx, const char *const *names, int *max_nr)
{
	for (size_t i = 0; names[i]; i++) {
		if (add_rule(ctx, SCMP_ACT_ALLOW, names[i], max_nr, 0, NULL) < 0)
			return -1;
	}
	return 0;
}

/* Allow syscall `name` when argument `arg`, an int, is in [lo, hi]. The
 * filter compares all 64 bits of the register, but the kernel reads only the
 * low 32 of an int: a plain "!= 40" would let 0x100000028 - AF_VSOCK to the
 * kernel - through. So the range is cut into aligned blocks, like an IP range
 * into CIDR prefixes, each one rule "(arg & mask) == base" whose mask also
 * demands that the high 32 bits be zero. */
static int allow_int_range(scmp_filter_ctx ctx, const char *name, unsigned arg, uint32_t lo,
                           uint32_t hi, int *max_nr)
{
	uint64_t base = lo, end = (uint64_t)hi + 1;
	while (base < end) {
		uint64_t size = base ? base & -base : UINT64_C(1) << 32; /* largest aligned block */
		while (base + size > end)
			size >>= 1;
		struct scmp_arg_cmp c = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, ~(size - 1), base);
		if (add_rule(ctx, SCMP_ACT_ALLOW, name, max_nr, 1, &c) < 0)
			return -1;
		base += size;
	}
	return 0;
}

/* The rules that look at arguments. */
static int add_special_rules(scmp_filter_ctx ctx, uint64_t caps, int *max_nr)
{
	/* personality: the execution domains a normal program asks for - Linux,
	 * Linux32, UNAME26, both, and 0xffffffff, which only reads the current
	 * one. Not ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC and friends, which
	 * weaken what the kernel does for the process. */
	static const uint64_t personas[] = {PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32,
	                                    0xffffffff};
	for (size_t i = 0; i < ARRAY_SIZE(personas); i++) {
		struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, personas[i], 0);
		if (add_rule(ctx, SCMP_ACT_ALLOW, "personality", max_nr, 1, &c) < 0)
			return -1;
	}
	/* socket: every address family but AF_VSOCK, which talks to the
	 * hypervisor and other VMs, outside any network namespace. */
	if (allow_int_range(ctx, "socket", 0, 0, AF_VSOCK - 1, max_nr) < 0 ||
	    allow_int_range(ctx, "socket", 0, AF_VSOCK + 1, UINT32_MAX, max_nr) < 0)
		return -1;
	if (caps & CAP(CAP_SYS_ADMIN)) {
		/* clone and clone3 with any flags: the container may make namespaces. */
		if (add_rule(ctx, SCMP_ACT_ALLOW, "clone", max_nr, 0, NULL) < 0 ||
		    add_rule(ctx, SCMP_ACT_ALLOW, "clone3", max_nr, 0, NULL) < 0)
			return -1;
		return 0;
	}
	/* clone: processes and threads, but no new namespace. A user namespace
	 * would hand the container a full set of capabilities over it - and with
	 * them the whole kernel surface the rest of this filter keeps away. The
	 * flags are an unsigned long: all 64 bits count, no masking trick needed.
	 * (On s390 the flags are the second argument; this table is x86_64's.) */
	struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS, 0);
	if (add_rule(ctx, SCMP_ACT_ALLOW, "clone", max_nr, 1, &c) < 0)
		return -1;
	/* clone3 passes its flags in a struct in memory, which a filter cannot
	 * read. EPERM would make glibc (2.34 and later) give up creating threads;
	 * ENOSYS makes it fall back to clone, whose flags the rule above sees. */
	return add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", max_nr, 0, NULL);
}

/* Syscalls numbered above everything the profile names are newer than the
 * profile: make them fail with ENOSYS, "this kernel does not have it", as
 * runc does, so that a libc falls back to the old call it knows. EPERM
 * would look like a refusal, and most code gives up. */
static int add_enosys_tail(scmp_filter_ctx ctx, int max_nr)
{
	for (int nr = max_nr + 1; nr < MAX_NR; nr++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		if (rc < 0)
			return fail_msg(-rc, "seccomp rule for syscall %d: %s", nr, strerror(-rc));
	}
	return 0;
}

/* ---- building and loading --------------------------------------------------- */

static struct ctr_seccomp *filter_new(uint32_t default_action)
{
	struct ctr_seccomp *sc = calloc(1, sizeof(*sc));
	if (!sc) {
		fail_errno("calloc");
		return NULL;
	}
	sc->ctx = seccomp_init(default_action);
	if (!sc->ctx) {
		free(sc);
		fail_msg(EINVAL, "seccomp_init: bad default action");
		return NULL;
	}
	/* libseccomp sets no_new_privs itself while loading unless told not to:
	 * whether a container gets it is the container's configuration. */
	int rc = seccomp_attr_set(sc->ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* And by default libseccomp turns every kernel error into ECANCELED:
	 * ask for the kernel's own errno (EACCES: no no_new_privs, no
	 * CAP_SYS_ADMIN), which is the one that explains. */
	if (rc == 0)
		rc = seccomp_attr_set(sc->ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (rc < 0) {
		ctr_seccomp_free(sc);
		fail_msg(-rc, "seccomp_attr_set: %s", strerror(-rc));
		return NULL;
	}
	return sc;
}

/* What seccomp_load would pass as flags, from the attributes the profile set
 * ("flags" of a Localhost profile); no_new_privs stays the caller's. */
static int filter_flags(const struct ctr_seccomp *sc, unsigned *out)
{
	static const struct {
		enum scmp_filter_attr attr;
		unsigned flag;
	} map[] = {
	    {SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC},
	    {SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG},
	    {SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW},
	};
	*out = 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		uint32_t v = 0;
		int rc = seccomp_attr_get(sc->ctx, map[i].attr, &v);
		if (rc < 0)
			return fail_msg(-rc, "seccomp_attr_get: %s", strerror(-rc));
		if (v)
			*out |= map[i].flag;
	}
	return 0;
}

/* Generate the BPF program once, now, in the parent: a filter the kernel
 * would refuse (more than BPF_MAXINSNS instructions) is found here, and the
 * container's process has nothing left to compute. libseccomp 2.5 exports
 * only to an fd (seccomp_export_bpf_mem came in 2.6): a memfd, read back. */
static int filter_compile(struct ctr_seccomp *sc, const char *what)
{
	_cleanup_close_ int fd = memfd_create("podlab-seccomp-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return fail_errno("memfd_create");
	int rc = seccomp_export_bpf(sc->ctx, fd);
	if (rc < 0)
		return fail_msg(EINVAL, "%s: the filter cannot be generated: %s", what,
		                strerror(-rc));
	struct stat st;
	if (fstat(fd, &st) < 0)
		return fail_errno("fstat(memfd)");
	size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
	if (n == 0 || (size_t)st.st_size % sizeof(struct sock_filter))
		return fail_msg(EINVAL, "%s: the filter cannot be generated: %lld bytes of BPF",
		                what, (long long)st.st_size);
	if (n > BPF_MAXINSNS)
		return fail_msg(EINVAL,
		                "%s: the filter cannot be generated: %zu instructions, the kernel "
		                "takes at most %d",
		                what, n, BPF_MAXINSNS);
	struct sock_filter *insns = malloc(n * sizeof(*insns));
	if (!insns)
		return fail_errno("malloc(%zu BPF instructions)", n);
	for (size_t got = 0; got < n * sizeof(*insns);) {
		ssize_t r = pread(fd, (char *)insns + got, n * sizeof(*insns) - got, (off_t)got);
		if (r <= 0) {
			free(insns);
			return fail_errno("read(memfd)");
		}
		got += (size_t)r;
	}
	unsigned flags;
	if (filter_flags(sc, &flags) < 0) {
		free(insns);
		return -1;
	}
	free(sc->insns);
	sc->insns = insns;
	sc->len = (unsigned short)n;
	sc->flags = flags;
	/* The rules are not needed any more: only the program is loaded. */
	seccomp_release(sc->ctx);
	sc->ctx = NULL;
	return 0;
}

static int build_runtime_default(uint64_t caps, struct ctr_seccomp **out)
{
	struct ctr_seccomp *sc = filter_new(SCMP_ACT_ERRNO(EPERM));
	if (!sc)
		return -1;
	int max_nr = -1;
	if (allow_all(sc->ctx, allowed, &max_nr) < 0)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(cap_rules); i++) {
		/* Rules for calls the container may not make are still "named":
		 * they count for max_nr, so they get EPERM, not ENOSYS. */
		if (caps & cap_rules[i].any_of) {
			if (allow_all(sc->ctx, cap_rules[i].names, &max_nr) < 0)
				goto fail;
		} else {
			for (size_t j = 0; cap_rules[i].names[j]; j++) {
				int nr = resolve(cap_rules[i].names[j]);
				if (nr > max_nr)
					max_nr = nr;
			}
		}
	}
	if (add_special_rules(sc->ctx, caps, &max_nr) < 0 || add_enosys_tail(sc->ctx, max_nr) < 0 ||
	    filter_compile(sc, "RuntimeDefault") < 0)
		goto fail;
	*out = sc;
	return 0;
fail:
	ctr_seccomp_free(sc);
	return -1;
}

/* ---- Localhost: the OCI / Docker JSON profile ------------------------------- */

struct profile {
	const char *path;
	uint64_t caps;
	struct ctr_seccomp *sc;
	uint32_t default_action;
};

/* Every profile error: "PATH: where: what", errno EINVAL. */
PRINTF(2, 3) static int bad(const struct profile *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_msg(EINVAL, "%s: %s", p->path, msg);
}

PRINTF(2, 3) static void warn_note(struct ctr_seccomp *sc, const char *fmt, ...)
{
	size_t n = strlen(sc->warnings);
	if (n + 4 >= sizeof(sc->warnings))
		return; /* full: the first ones are the ones to fix first */
	if (n)
		n += (size_t)snprintf(sc->warnings + n, sizeof(sc->warnings) - n, "; ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sc->warnings + n, sizeof(sc->warnings) - n, fmt, ap);
	va_end(ap);
}

static const char *type_of(const json_object *o)
{
	return o ? json_type_to_name(json_object_get_type(o)) : "null";
}

static int get_string(const struct profile *p, const json_object *o, const char *where,
                      const char **out)
{
	if (!json_object_is_type(o, json_type_string))
		return bad(p, "%s: must be a string, not %s", where, type_of(o));
	*out = json_object_get_string((json_object *)o);
	return 0;
}

/* JSON numbers: integers only, 0..max. */
static int get_uint(const struct profile *p, const json_object *o, const char *where, uint64_t max,
                    uint64_t *out)
{
	if (!json_object_is_type(o, json_type_int))
		return bad(p, "%s: must be an integer, not %s", where, type_of(o));
	if (json_object_get_int64(o) < 0)
		return bad(p, "%s: must not be negative", where);
	uint64_t v = json_object_get_uint64(o);
	if (v > max)
		return bad(p, "%s: %llu is out of range (0..%llu)", where, (unsigned long long)v,
		           (unsigned long long)max);
	*out = v;
	return 0;
}

/* An array, or null / absent (Go reads both as an empty list). */
static int get_array(const struct profile *p, json_object *o, const char *where, size_t *len)
{
	if (!o) {
		*len = 0;
		return 0;
	}
	if (!json_object_is_type(o, json_type_array))
		return bad(p, "%s: must be an array, not %s", where, type_of(o));
	*len = json_object_array_length(o);
	return 0;
}

static json_object *field(json_object *obj, const char *key)
{
	json_object *v = NULL;
	json_object_object_get_ex(obj, key, &v);
	return v; /* NULL: absent or JSON null */
}

static void warn_unknown_keys(const struct profile *p, json_object *obj, const char *where,
                              const char *const *known)
{
	json_object_object_foreach(obj, key, val)
	{
		(void)val;
		bool ok = false;
		for (size_t i = 0; known[i] && !ok; i++)
			ok = !strcmp(key, known[i]);
		if (!ok)
			warn_note(p->sc, "%s: unknown field '%s' ignored", where, key);
	}
}

/* "SCMP_ACT_ERRNO" + errnoRet -> libseccomp's action. entry: "syscalls[N]",
 * or NULL for defaultAction. */
static int parse_action(const struct profile *p, const char *name, json_object *errno_ret,
                        const char *entry, uint32_t default_errno, uint32_t *out)
{
	uint64_t ret = default_errno;
	char where[96];
	snprintf(where, sizeof(where), "%s.errnoRet", entry ? entry : "");
	if (errno_ret && get_uint(p, errno_ret, where, MAX_ERRNO, &ret) < 0)
		return -1;
	snprintf(where, sizeof(where), "%s%s", entry ? entry : "defaultAction",
	         entry ? ".action" : "");
	if (!strcmp(name, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO((uint32_t)ret);
	else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL; /* the thread only, as in runc */
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE((uint32_t)ret); /* the value the tracer sees, as in runc */
	else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return bad(p, "%s: SCMP_ACT_NOTIFY is not supported (no seccomp agent)", where);
	else
		return bad(
		    p,
		    "%s: unknown action '%s' (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, "
		    "SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_LOG, "
		    "SCMP_ACT_TRACE)",
		    where, name);
	return 0;
}

static int parse_op(const struct profile *p, const char *name, const char *where,
                    enum scmp_compare *out)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
	    {"SCMP_CMP_NE", SCMP_CMP_NE},
	    {"SCMP_CMP_LT", SCMP_CMP_LT},
	    {"SCMP_CMP_LE", SCMP_CMP_LE},
	    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
	    {"SCMP_CMP_GE", SCMP_CMP_GE},
	    {"SCMP_CMP_GT", SCMP_CMP_GT},
	    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
	};
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (!strcmp(name, ops[i].name)) {
			*out = ops[i].op;
			return 0;
		}
	}
	return bad(p,
	           "%s: unknown operator '%s' (SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, "
	           "SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)",
	           where, name);
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token; 0 when unknown. */
static uint32_t arch_token(const char *name)
{
	char low[32];
	const char *s = strncmp(name, "SCMP_ARCH_", 10) ? name : name + 10;
	size_t i = 0;
	for (; i < sizeof(low) - 1 && s[i]; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	return s[i] ? 0 : seccomp_arch_resolve_name(low);
}

/* Architectures are accepted and checked, not added to the filter: only the
 * native one is (a syscall of another ABI kills the caller). */
static int check_arches(const struct profile *p, json_object *root)
{
	size_t n;
	json_object *a = field(root, "architectures");
	if (get_array(p, a, "architectures", &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char w[64];
		const char *name;
		snprintf(w, sizeof(w), "architectures[%zu]", i);
		if (get_string(p, json_object_array_get_idx(a, i), w, &name) < 0)
			return -1;
		if (!arch_token(name))
			return bad(p, "%s: unknown architecture '%s'", w, name);
	}
	json_object *m = field(root, "archMap");
	if (get_array(p, m, "archMap", &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char w[96];
		const char *name;
		json_object *e = json_object_array_get_idx(m, i);
		snprintf(w, sizeof(w), "archMap[%zu].architecture", i);
		if (!json_object_is_type(e, json_type_object))
			return bad(p, "archMap[%zu]: must be an object, not %s", i, type_of(e));
		if (get_string(p, field(e, "architecture"), w, &name) < 0)
			return -1;
		if (!arch_token(name))
			return bad(p, "%s: unknown architecture '%s'", w, name);
		json_object *subs = field(e, "subArchitectures");
		size_t ns;
		snprintf(w, sizeof(w), "archMap[%zu].subArchitectures", i);
		if (get_array(p, subs, w, &ns) < 0)
			return -1;
		for (size_t j = 0; j < ns; j++) {
			snprintf(w, sizeof(w), "archMap[%zu].subArchitectures[%zu]", i, j);
			if (get_string(p, json_object_array_get_idx(subs, j), w, &name) < 0)
				return -1;
			if (!arch_token(name))
				return bad(p, "%s: unknown architecture '%s'", w, name);
		}
	}
	return 0;
}

static int apply_flags(const struct profile *p, json_object *root)
{
	size_t n;
	json_object *a = field(root, "flags");
	if (get_array(p, a, "flags", &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char w[32];
		const char *name;
		snprintf(w, sizeof(w), "flags[%zu]", i);
		if (get_string(p, json_object_array_get_idx(a, i), w, &name) < 0)
			return -1;
		enum scmp_filter_attr attr;
		if (!strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC"))
			attr = SCMP_FLTATR_CTL_TSYNC;
		else if (!strcmp(name, "SECCOMP_FILTER_FLAG_LOG"))
			attr = SCMP_FLTATR_CTL_LOG;
		else if (!strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			attr = SCMP_FLTATR_CTL_SSB; /* leaves speculative store bypass open */
		else
			return bad(p, "%s: unknown flag '%s'", w, name);
		int rc = seccomp_attr_set(p->sc->ctx, attr, 1);
		if (rc < 0)
			return bad(p, "%s: %s: %s", w, name, strerror(-rc));
	}
	return 0;
}

/* The kernel's "major.minor" against "4.8". */
static int kernel_at_least(const char *version, bool *out)
{
	struct utsname u;
	int want_maj, want_min, maj, min;
	if (sscanf(version, "%d.%d", &want_maj, &want_min) != 2)
		return -1;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &maj, &min) != 2)
		return -1;
	*out = maj > want_maj || (maj == want_maj && min >= want_min);
	return 0;
}

/* The native architecture by Go's name, which Docker's "arches" use. */
static const char *native_goarch(void)
{
	switch (seccomp_arch_native()) {
	case SCMP_ARCH_X86_64:
		return "amd64";
	case SCMP_ARCH_X86:
		return "386";
	case SCMP_ARCH_AARCH64:
		return "arm64";
	case SCMP_ARCH_ARM:
		return "arm";
	case SCMP_ARCH_PPC64LE:
		return "ppc64le";
	case SCMP_ARCH_S390X:
		return "s390x";
	case SCMP_ARCH_RISCV64:
		return "riscv64";
	default:
		return "?";
	}
}

/* Docker's "includes"/"excludes": a rule meant only for some capabilities,
 * architectures or kernels. Ignoring them would apply every conditional
 * ALLOW unconditionally, so they are honoured: includes needs all of its
 * caps, its arch and the kernel; excludes drops the rule on any of them. */
static int rule_applies(const struct profile *p, json_object *sys, const char *where, bool *out)
{
	static const char *const keys[] = {"caps", "arches", "minKernel", NULL};
	static const char *const which[] = {"includes", "excludes"};
	*out = true;
	for (int inc = 0; inc < 2; inc++) {
		json_object *f = field(sys, which[inc]);
		char w[128];
		snprintf(w, sizeof(w), "%s.%s", where, which[inc]);
		if (!f)
			continue;
		if (!json_object_is_type(f, json_type_object))
			return bad(p, "%s: must be an object, not %s", w, type_of(f));
		warn_unknown_keys(p, f, w, keys);
		bool is_include = inc == 0;
		size_t n;
		json_object *caps = field(f, "caps");
		char wk[160];
		snprintf(wk, sizeof(wk), "%s.caps", w);
		if (get_array(p, caps, wk, &n) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			const char *name;
			cap_value_t v;
			char low[64];
			snprintf(wk, sizeof(wk), "%s.caps[%zu]", w, i);
			if (get_string(p, json_object_array_get_idx(caps, i), wk, &name) < 0)
				return -1;
			size_t k = 0;
			for (; k < sizeof(low) - 1 && name[k]; k++)
				low[k] = (char)tolower((unsigned char)name[k]);
			low[k] = '\0';
			if (strncmp(low, "cap_", 4) || cap_from_name(low, &v) < 0 || v < 0 ||
			    v >= 64)
				return bad(p, "%s: unknown capability '%s'", wk, name);
			bool has = p->caps & CAP(v);
			if (is_include && !has)
				*out = false;
			if (!is_include && has)
				*out = false;
		}
		json_object *arches = field(f, "arches");
		snprintf(wk, sizeof(wk), "%s.arches", w);
		if (get_array(p, arches, wk, &n) < 0)
			return -1;
		bool match = false;
		for (size_t i = 0; i < n; i++) {
			const char *name;
			snprintf(wk, sizeof(wk), "%s.arches[%zu]", w, i);
			if (get_string(p, json_object_array_get_idx(arches, i), wk, &name) < 0)
				return -1;
			match |= !strcmp(name, native_goarch());
		}
		if (n && is_include && !match)
			*out = false;
		if (n && !is_include && match)
			*out = false;
		json_object *mk = field(f, "minKernel");
		if (mk) {
			const char *v;
			bool ge;
			snprintf(wk, sizeof(wk), "%s.minKernel", w);
			if (get_string(p, mk, wk, &v) < 0)
				return -1;
			if (kernel_at_least(v, &ge) < 0)
				return bad(p, "%s: '%s' is not a kernel version like \"4.8\"", wk,
				           v);
			if (is_include != ge)
				*out = false;
		}
	}
	return 0;
}

static int parse_args(const struct profile *p, json_object *args, const char *where,
                      struct scmp_arg_cmp *cmp, unsigned *n_cmp, bool *repeated)
{
	static const char *const keys[] = {"index", "value", "valueTwo", "op", NULL};
	size_t n;
	char w[160];
	snprintf(w, sizeof(w), "%s.args", where);
	if (get_array(p, args, w, &n) < 0)
		return -1;
	if (n > 6)
		return bad(p, "%s: %zu conditions; a syscall has 6 arguments", w, n);
	bool seen[6] = {false};
	*repeated = false;
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(args, i);
		char wa[192], wf[224];
		snprintf(wa, sizeof(wa), "%s.args[%zu]", where, i);
		if (!json_object_is_type(a, json_type_object))
			return bad(p, "%s: must be an object, not %s", wa, type_of(a));
		warn_unknown_keys(p, a, wa, keys);
		uint64_t index, value = 0, value2 = 0;
		const char *opname;
		enum scmp_compare op = SCMP_CMP_EQ;
		json_object *f;
		snprintf(wf, sizeof(wf), "%s.index", wa);
		if (!(f = field(a, "index")))
			return bad(p, "%s: missing", wf);
		if (get_uint(p, f, wf, 5, &index) < 0)
			return -1;
		snprintf(wf, sizeof(wf), "%s.value", wa);
		if ((f = field(a, "value")) && get_uint(p, f, wf, UINT64_MAX, &value) < 0)
			return -1;
		snprintf(wf, sizeof(wf), "%s.valueTwo", wa);
		if ((f = field(a, "valueTwo")) && get_uint(p, f, wf, UINT64_MAX, &value2) < 0)
			return -1;
		snprintf(wf, sizeof(wf), "%s.op", wa);
		if (!(f = field(a, "op")))
			return bad(p, "%s: missing", wf);
		if (get_string(p, f, wf, &opname) < 0 || parse_op(p, opname, wf, &op) < 0)
			return -1;
		if (seen[index])
			*repeated = true;
		seen[index] = true;
		/* MASKED_EQ: value is the mask, valueTwo the result ("(arg & value)
		 * == valueTwo"), as in the OCI spec and runc. */
		cmp[i] = (struct scmp_arg_cmp){
		    .arg = (unsigned)index, .op = op, .datum_a = value, .datum_b = value2};
	}
	*n_cmp = (unsigned)n;
	return 0;
}

static int add_syscall_entry(const struct profile *p, json_object *sys, size_t idx)
{
	static const char *const keys[] = {"names",   "name",     "action",   "errnoRet", "args",
	                                   "comment", "includes", "excludes", NULL};
	char where[64];
	snprintf(where, sizeof(where), "syscalls[%zu]", idx);
	if (!json_object_is_type(sys, json_type_object))
		return bad(p, "%s: must be an object, not %s", where, type_of(sys));
	warn_unknown_keys(p, sys, where, keys);

	json_object *names = field(sys, "names"), *name = field(sys, "name");
	size_t n_names;
	char w[96];
	snprintf(w, sizeof(w), "%s.names", where);
	if (names && name)
		return bad(p, "%s: has both 'name' and 'names'", where);
	if (!names && !name)
		return bad(p, "%s: missing 'names'", where);
	if (names && get_array(p, names, w, &n_names) < 0)
		return -1;
	if (name)
		n_names = 1;

	const char *act_name;
	uint32_t action;
	json_object *a = field(sys, "action");
	snprintf(w, sizeof(w), "%s.action", where);
	if (!a)
		return bad(p, "%s: missing", w);
	if (get_string(p, a, w, &act_name) < 0 ||
	    parse_action(p, act_name, field(sys, "errnoRet"), where, EPERM, &action) < 0)
		return -1;

	struct scmp_arg_cmp cmp[6];
	unsigned n_cmp = 0;
	bool repeated = false, applies = false;
	if (parse_args(p, field(sys, "args"), where, cmp, &n_cmp, &repeated) < 0 ||
	    rule_applies(p, sys, where, &applies) < 0)
		return -1;
	const char *comment_text;
	json_object *comment = field(sys, "comment");
	snprintf(w, sizeof(w), "%s.comment", where);
	if (comment && get_string(p, comment, w, &comment_text) < 0)
		return -1;

	for (size_t i = 0; i < n_names; i++) {
		const char *sname;
		snprintf(w, sizeof(w), name ? "%s.name" : "%s.names[%zu]", where, i);
		if (get_string(p, name ? name : json_object_array_get_idx(names, i), w, &sname) < 0)
			return -1;
		if (!applies || action == p->default_action)
			continue; /* libseccomp refuses a rule that repeats the default */
		int nr = seccomp_syscall_resolve_name(sname);
		if (nr == __NR_SCMP_ERROR) {
			/* runc skips names its libseccomp does not know: a profile
			 * written for a newer kernel still loads. */
			warn_note(p->sc, "%s: unknown syscall '%s' skipped", w, sname);
			continue;
		}
		int rc = 0;
		if (repeated) {
			/* Two conditions on one argument: libseccomp cannot AND
			 * them, so runc makes one rule per condition - which ORs
			 * them. Do the same, so a profile means what it means
			 * under runc. */
			for (unsigned c = 0; c < n_cmp && rc == 0; c++)
				rc = seccomp_rule_add_array(p->sc->ctx, action, nr, 1, &cmp[c]);
		} else {
			rc = seccomp_rule_add_array(p->sc->ctx, action, nr, n_cmp, cmp);
		}
		if (rc < 0)
			return bad(p, "%s: %s: libseccomp refused the rule: %s", w, sname,
			           strerror(-rc));
	}
	return 0;
}

/* Read the whole file (O_CLOEXEC, bounded) and parse it; JSON errors get a
 * line and column. */
static json_object *read_json(const struct profile *p)
{
	_cleanup_close_ int fd = open(p->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fail_errno("%s", p->path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_SIZE) {
		bad(p, "%s", S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
		return NULL;
	}
	_cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fail_errno("malloc");
		return NULL;
	}
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail_errno("read(%s)", p->path);
			return NULL;
		}
		if (r == 0 || (len += (size_t)r) == (size_t)st.st_size)
			break;
	}
	buf[len] = '\0';

	struct json_tokener *tok = json_tokener_new();
	if (!tok) {
		fail_errno("json_tokener_new");
		return NULL;
	}
	/* Strict, as Go's encoding/json is: no comments, no trailing commas. A
	 * profile podrun accepts must mean the same to containerd. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root && err == json_tokener_continue)
		err = json_tokener_error_parse_eof;
	while (root && end < len && isspace((unsigned char)buf[end]))
		end++;
	if (!root || end < len) {
		int line = 1, col = 1;
		for (size_t i = 0; i < end && i < len; i++, col++) {
			if (buf[i] == '\n')
				line++, col = 0;
		}
		/* "FILE:LINE:COL: ...", as compilers say it */
		if (root) {
			json_object_put(root);
			fail_msg(EINVAL, "%s:%d:%d: bad JSON: text after the end of the profile",
			         p->path, line, col);
		} else {
			fail_msg(EINVAL, "%s:%d:%d: bad JSON: %s", p->path, line, col,
			         json_tokener_error_desc(err));
		}
		return NULL;
	}
	return root;
}

static int build_localhost(const char *path, uint64_t caps, struct ctr_seccomp **out)
{
	static const char *const keys[] = {"defaultAction", "defaultErrnoRet",  "architectures",
	                                   "archMap",       "syscalls",         "flags",
	                                   "listenerPath",  "listenerMetadata", NULL};
	struct profile p = {.path = path && *path ? path : "(no Localhost profile)", .caps = caps};
	if (!path || !*path)
		return bad(&p, "a Localhost profile needs a file");
	json_object *root = read_json(&p);
	if (!root)
		return -1;
	int rc = -1;
	const char *act_name, *lp;
	uint64_t def_errno = EPERM;
	json_object *f;

	if (!json_object_is_type(root, json_type_object)) {
		bad(&p, "must be a JSON object, not %s", type_of(root));
		goto out;
	}
	if (!(f = field(root, "defaultAction"))) {
		bad(&p, "defaultAction: missing");
		goto out;
	}
	if (get_string(&p, f, "defaultAction", &act_name) < 0)
		goto out;
	if ((f = field(root, "defaultErrnoRet")) &&
	    get_uint(&p, f, "defaultErrnoRet", MAX_ERRNO, &def_errno) < 0)
		goto out;
	if (parse_action(&p, act_name, NULL, NULL, (uint32_t)def_errno, &p.default_action) < 0)
		goto out;
	if ((f = field(root, "listenerPath"))) {
		if (get_string(&p, f, "listenerPath", &lp) < 0)
			goto out;
		if (*lp) {
			bad(&p, "listenerPath: seccomp agents (SCMP_ACT_NOTIFY) are not supported");
			goto out;
		}
	}
	if (check_arches(&p, root) < 0)
		goto out;
	if (!(p.sc = filter_new(p.default_action)))
		goto out;
	warn_unknown_keys(&p, root, "profile", keys);
	if (apply_flags(&p, root) < 0)
		goto out;
	json_object *sys = field(root, "syscalls");
	size_t n;
	if (get_array(&p, sys, "syscalls", &n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (add_syscall_entry(&p, json_object_array_get_idx(sys, i), i) < 0)
			goto out;
	}
	if (filter_compile(p.sc, path) < 0)
		goto out;
	*out = p.sc;
	p.sc = NULL;
	rc = 0;
out:
	ctr_seccomp_free(p.sc);
	json_object_put(root);
	return rc;
}

/* ---- the API ---------------------------------------------------------------- */

int ctr_seccomp_parse_type(const char *name, enum ctr_seccomp_type *out)
{
	for (int t = CTR_SECCOMP_UNCONFINED; t <= CTR_SECCOMP_LOCALHOST; t++) {
		if (name && !strcmp(name, ctr_seccomp_type_name(t))) {
			*out = t;
			return 0;
		}
	}
	return fail_msg(EINVAL,
	                "unknown seccomp profile type '%s' (RuntimeDefault, Localhost, Unconfined)",
	                name ? name : "");
}

const char *ctr_seccomp_type_name(enum ctr_seccomp_type type)
{
	switch (type) {
	case CTR_SECCOMP_UNCONFINED:
		return "Unconfined";
	case CTR_SECCOMP_RUNTIME_DEFAULT:
		return "RuntimeDefault";
	case CTR_SECCOMP_LOCALHOST:
		return "Localhost";
	}
	return "?";
}

/* A built filter's copy: the program and what goes with it, no rules. */
static struct ctr_seccomp *filter_copy(const struct ctr_seccomp *from)
{
	struct ctr_seccomp *sc = calloc(1, sizeof(*sc));
	if (sc && !(sc->insns = malloc(from->len * sizeof(*sc->insns)))) {
		free(sc);
		sc = NULL;
	}
	if (!sc) {
		fail_errno("calloc");
		return NULL;
	}
	memcpy(sc->insns, from->insns, from->len * sizeof(*sc->insns));
	sc->len = from->len;
	sc->flags = from->flags;
	memcpy(sc->warnings, from->warnings, sizeof(sc->warnings));
	return sc;
}

/* RuntimeDefault depends on the capabilities alone, and libseccomp takes
 * about 2 ms to build it: the last one built is kept and copied, so that a
 * pod's second container, or a container restarted in a crash loop, gets it
 * at once. (A Localhost profile is a file that may change: built each time.) */
static struct {
	uint64_t caps;
	struct ctr_seccomp *sc;
} last_default;

static struct {
	const struct ctr_seccomp_preset *table;
	size_t n;
} presets;

void ctr_seccomp_use_presets(const struct ctr_seccomp_preset *table, size_t n)
{
	presets.table = table;
	presets.n = n;
}

static int runtime_default_cached(uint64_t caps, struct ctr_seccomp **out)
{
	if (last_default.sc && last_default.caps == caps)
		return (*out = filter_copy(last_default.sc)) ? 0 : -1;
	for (size_t i = 0; i < presets.n; i++) {
		const struct ctr_seccomp_preset *p = &presets.table[i];
		if (p->caps != caps)
			continue;
		/* filter_copy only reads the program: the cast drops no promise */
		struct ctr_seccomp given = {
		    .insns = (struct sock_filter *)p->insns, .len = p->len, .flags = p->flags};
		return (*out = filter_copy(&given)) ? 0 : -1;
	}
	if (build_runtime_default(caps, out) < 0)
		return -1;
	struct ctr_seccomp *keep = filter_copy(*out);
	if (keep) {
		ctr_seccomp_free(last_default.sc);
		last_default.sc = keep;
		last_default.caps = caps;
	}
	return 0;
}

const struct sock_filter *ctr_seccomp_program(const struct ctr_seccomp *sc, unsigned short *len,
                                              unsigned *flags)
{
	*len = sc->len;
	*flags = sc->flags;
	return sc->insns;
}

int ctr_seccomp_build(enum ctr_seccomp_type type, const char *profile_path, uint64_t caps,
                      struct ctr_seccomp **out)
{
	*out = NULL;
	switch (type) {
	case CTR_SECCOMP_UNCONFINED:
		return 0;
	case CTR_SECCOMP_RUNTIME_DEFAULT:
		return runtime_default_cached(caps, out);
	case CTR_SECCOMP_LOCALHOST:
		return build_localhost(profile_path, caps, out);
	}
	return fail_msg(EINVAL, "unknown seccomp profile type %d", (int)type);
}

int ctr_seccomp_load(const struct ctr_seccomp *sc)
{
	if (!sc)
		return 0;
	/* The raw syscall, not seccomp_load(3): that one would generate the
	 * whole program again from the rules, in every container's process. */
	struct sock_fprog prog = {.len = sc->len, .filter = sc->insns};
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &prog);
	if (rc < 0) {
		if (errno == EACCES)
			return fail_errno("seccomp(SECCOMP_SET_MODE_FILTER) (needs no_new_privs or "
			                  "CAP_SYS_ADMIN)");
		return fail_errno("seccomp(SECCOMP_SET_MODE_FILTER)");
	}
	/* With TSYNC, a positive answer is the thread that could not be
	 * synchronized (it has a filter of its own that is no ancestor of
	 * ours): nothing was installed. */
	if (rc > 0)
		return fail_msg(ESRCH,
		                "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): thread %ld cannot "
		                "be synchronized",
		                rc);
	return 0;
}

const char *ctr_seccomp_warnings(const struct ctr_seccomp *sc)
{
	return sc ? sc->warnings : "";
}

void ctr_seccomp_free(struct ctr_seccomp *sc)
{
	if (!sc)
		return;
	if (sc->ctx)
		seccomp_release(sc->ctx);
	free(sc->insns);
	free(sc);
}
