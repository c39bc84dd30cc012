/*
 * test_seccomp.c - seccomp profiles, observed from inside: a child loads the
 * filter and tries the calls itself. Every test that loads a filter also
 * checks something only a loaded filter explains (/proc/self/status says
 * "Seccomp: 2", a call fails with the filter's errno, the child dies of
 * SIGSYS), so a filter that silently did not load fails the test.
 */
#include "seccomp_filter.h"

#include "common.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define BIT(c)       (UINT64_C(1) << (c))
#define DEFAULT_MASK UINT64_C(0xa80425fb) /* the container default set, see test_container.c */
#define MISSING      "/nonexistent-podlab-seccomp-test"

/* ---- the child's side ------------------------------------------------------- */

static int report_fd = -1;

/* In the child: tell the parent what went wrong, and stop. */
#define FAIL(...)                                                                                  \
	do {                                                                                       \
		char m_[512];                                                                      \
		int n_ = snprintf(m_, sizeof(m_), __VA_ARGS__);                                    \
		if (write(report_fd, m_, n_ < (int)sizeof(m_) ? (size_t)n_ : sizeof(m_) - 1) <     \
		    0) {                                                                           \
		}                                                                                  \
		_exit(1);                                                                          \
	} while (0)

/* call must return -1 with errno err. */
#define EXPECT_ERR(call, err)                                                                      \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(call);                                                            \
		int e_ = errno;                                                                    \
		if (r_ != -1 || e_ != (err))                                                       \
			FAIL("%s: got %ld (%s), want -1 (%s)", #call, r_,                          \
			     r_ == -1 ? strerror(e_) : "no error", strerror(err));                 \
	} while (0)

/* call must not fail. */
#define EXPECT_OK(call)                                                                            \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(call);                                                            \
		if (r_ < 0)                                                                        \
			FAIL("%s: %s", #call, strerror(errno));                                    \
	} while (0)

/* The kernel's word for it: "Seccomp: 2" is filter mode. */
static void expect_filtered(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		FAIL("read /proc/self/status: %s", strerror(errno));
	close(fd);
	buf[n] = '\0';
	if (!strstr(buf, "\nSeccomp:\t2\n"))
		FAIL("no seccomp filter is loaded (/proc/self/status)");
}

/* clone(2) with flags, as fork does; the grandchild exits at once. */
static long clone_flags(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

static long keyctl_session(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}

static long kcmp_self(void)
{
	return syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0);
}

/* ---- the parent's side ------------------------------------------------------ */

struct result {
	int status;
	char msg[512];
};

enum order { NNP_THEN_LOAD, LOAD_WITHOUT_NNP, NNP_NO_LIBSECCOMP_THEN_LOAD };

/* In the child: libseccomp's code made inaccessible (PROT_NONE), so that the
 * first call into it dies of SIGSEGV. Its other segments stay readable: the
 * dynamic linker reads every library's symbol tables when it binds a call
 * to any function. */
static void hide_libseccomp(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		FAIL("fopen(/proc/self/maps): %s", strerror(errno));
	char line[512];
	int hidden = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];
		if (!strstr(line, "/libseccomp.so") ||
		    sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[2] != 'x')
			continue;
		if (mprotect((void *)lo, hi - lo, PROT_NONE) < 0)
			FAIL("mprotect(libseccomp, PROT_NONE): %s", strerror(errno));
		hidden++;
	}
	fclose(f);
	if (!hidden)
		FAIL("libseccomp is not mapped in this process: nothing to prove");
}

/* Fork; the child sets no_new_privs (or not), loads sc, runs body, exits 0. */
static struct result run_filtered(const struct ctr_seccomp *sc, enum order order,
                                  void (*body)(void))
{
	struct result res = {.status = -1};
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		if (order != LOAD_WITHOUT_NNP && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			FAIL("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		if (order == NNP_NO_LIBSECCOMP_THEN_LOAD)
			hide_libseccomp();
		if (ctr_seccomp_load(sc) < 0)
			FAIL("ctr_seccomp_load: %s", last_error());
		body();
		_exit(0);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	while ((r = read(p[0], res.msg + n, sizeof(res.msg) - 1 - n)) > 0)
		n += (size_t)r;
	res.msg[n] = '\0';
	close(p[0]);
	waitpid(pid, &res.status, 0);
	return res;
}

#define EXPECT_CHILD_OK(res)                                                                       \
	cr_expect(WIFEXITED((res).status) && WEXITSTATUS((res).status) == 0,                       \
	          "child: %s (status %#x)", (res).msg[0] ? (res).msg : "no message", (res).status)

static struct ctr_seccomp *runtime_default(uint64_t caps)
{
	struct ctr_seccomp *sc = NULL;
	cr_assert_eq(ctr_seccomp_build(CTR_SECCOMP_RUNTIME_DEFAULT, NULL, caps, &sc), 0, "%s",
	             last_error());
	cr_assert_not_null(sc);
	cr_expect_str_eq(ctr_seccomp_warnings(sc), "");
	return sc;
}

static void need_root(void)
{
	/* Without root most of these calls fail without any filter. */
	if (geteuid() != 0)
		cr_skip_test("needs root: the calls must succeed without the filter");
}

/* ---- RuntimeDefault ----------------------------------------------------------- */

static void body_default_blocks(void)
{
	expect_filtered();
	EXPECT_ERR(unshare(CLONE_NEWUSER), EPERM);
	EXPECT_ERR(unshare(CLONE_NEWNS), EPERM);
	EXPECT_ERR(keyctl_session(), EPERM);
	EXPECT_ERR(syscall(SYS_add_key, "user", "podlab", "x", 1, KEY_SPEC_PROCESS_KEYRING), EPERM);
	EXPECT_ERR(mount("none", MISSING, "tmpfs", 0, NULL), EPERM); /* unfiltered: ENOENT */
	EXPECT_ERR(umount2(MISSING, 0), EPERM);
	EXPECT_ERR(syscall(SYS_fsopen, "tmpfs", 0), EPERM);
	EXPECT_ERR(syscall(SYS_pivot_root, MISSING, MISSING), EPERM);
	EXPECT_ERR(syscall(SYS_swapoff, MISSING), EPERM);
	EXPECT_ERR(kcmp_self(), EPERM); /* no CAP_SYS_PTRACE */
	EXPECT_ERR(syscall(SYS_userfaultfd, O_CLOEXEC), EPERM);
	EXPECT_ERR(syscall(SYS_io_uring_setup, 1, NULL), EPERM); /* unfiltered: EFAULT */
	EXPECT_ERR(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	EXPECT_ERR(personality(ADDR_NO_RANDOMIZE), EPERM);
	EXPECT_ERR(clone_flags(CLONE_NEWNET), EPERM);
	EXPECT_ERR(clone_flags(CLONE_NEWUSER), EPERM);
	EXPECT_ERR(clone_flags(CLONE_NEWPID | CLONE_NEWNS), EPERM);
	/* clone3's flags live in memory the filter cannot read: ENOSYS, so that
	 * libc falls back to clone. Unfiltered, a NULL struct is EINVAL. */
	EXPECT_ERR(syscall(SYS_clone3, NULL, 0), ENOSYS);
	/* AF_VSOCK, also dressed up with high bits the kernel ignores for an int */
	EXPECT_ERR(syscall(SYS_socket, AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), EPERM);
	EXPECT_ERR(syscall(SYS_socket, (1UL << 32) | AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0),
	           EPERM);
}

Test(runtime_default, blocks_without_sys_admin)
{
	need_root();
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK);
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_default_blocks);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

static void *thread_main(void *arg)
{
	return arg;
}

static void body_default_allows(void)
{
	expect_filtered();
	EXPECT_ERR(keyctl_session(), EPERM); /* the filter is there... */
	int p[2];
	char c = 0;
	EXPECT_OK(getpid()); /* ...and ordinary life goes on */
	EXPECT_OK(pipe2(p, O_CLOEXEC));
	EXPECT_OK(write(p[1], "x", 1));
	EXPECT_OK(read(p[0], &c, 1));
	if (c != 'x')
		FAIL("read back '%c'", c);
	EXPECT_OK(personality(0xffffffff));
	EXPECT_OK(personality(PER_LINUX));
	int fd;
	EXPECT_OK(fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	close(fd);
	EXPECT_OK(fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	close(fd);
	EXPECT_OK(fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0));
	close(fd);
	/* fork is clone without namespace flags */
	pid_t pid;
	int st;
	EXPECT_OK(pid = fork());
	if (pid == 0)
		_exit(3);
	EXPECT_OK(waitpid(pid, &st, 0));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 3)
		FAIL("fork: child status %#x", st);
	/* glibc tries clone3 for a thread first; ENOSYS sends it to clone */
	pthread_t t;
	int rc = pthread_create(&t, NULL, thread_main, NULL);
	if (rc)
		FAIL("pthread_create: %s", strerror(rc));
	pthread_join(t, NULL);
	/* and a dynamically linked program runs: ld.so, libc start-up, exit */
	char *argv[] = {"true", NULL}, *envp[] = {NULL};
	execve("/bin/true", argv, envp);
	FAIL("execve(/bin/true): %s", strerror(errno));
}

Test(runtime_default, leaves_ordinary_calls_alone)
{
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK);
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_default_allows);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

static void body_with_sys_admin(void)
{
	expect_filtered();
	EXPECT_ERR(keyctl_session(), EPERM); /* no capability buys these back */
	EXPECT_ERR(syscall(SYS_swapoff, MISSING), EPERM);
	EXPECT_ERR(kcmp_self(), EPERM); /* CAP_SYS_PTRACE's, not CAP_SYS_ADMIN's */
	EXPECT_ERR(mount("none", MISSING, "tmpfs", 0, NULL), ENOENT); /* the kernel's answer */
	EXPECT_ERR(syscall(SYS_clone3, NULL, 0), EINVAL);             /* likewise */
	EXPECT_OK(clone_flags(CLONE_NEWNET));
	EXPECT_OK(unshare(CLONE_NEWUSER)); /* last: it changes who we are */
}

Test(runtime_default, sys_admin_opens_mount_and_namespaces)
{
	need_root();
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK | BIT(CAP_SYS_ADMIN));
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_with_sys_admin);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

static void body_with_sys_ptrace(void)
{
	expect_filtered();
	EXPECT_OK(kcmp_self());
	EXPECT_ERR(mount("none", MISSING, "tmpfs", 0, NULL), EPERM);
	EXPECT_ERR(clone_flags(CLONE_NEWNET), EPERM);
}

Test(runtime_default, a_capability_opens_its_own_calls_only)
{
	need_root();
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK | BIT(CAP_SYS_PTRACE));
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_with_sys_ptrace);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

/* RuntimeDefault is kept once built (a pod's second container, a restart):
 * a copy outlives the filter it was copied from, and a filter built for
 * other capabilities is never handed out for these. Each run checks what
 * the capabilities decide (CAP_SYS_ADMIN: mount and namespaces). */
Test(runtime_default, kept_and_copied_by_capabilities)
{
	need_root();
	uint64_t masks[] = {DEFAULT_MASK | BIT(CAP_SYS_ADMIN), DEFAULT_MASK,
	                    DEFAULT_MASK | BIT(CAP_SYS_ADMIN), DEFAULT_MASK};
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		for (int twice = 0; twice < 2; twice++) {
			struct ctr_seccomp *sc = runtime_default(masks[i]);
			struct result res =
			    run_filtered(sc, NNP_THEN_LOAD,
			                 masks[i] & BIT(CAP_SYS_ADMIN) ? body_with_sys_admin
			                                               : body_default_blocks);
			EXPECT_CHILD_OK(res);
			ctr_seccomp_free(sc); /* the next copy must not need it */
		}
	}
}

/* A program made ahead (ctr_seccomp_use_presets) is copied for its
 * capabilities and for no others. The preset here is one instruction that
 * allows everything, which RuntimeDefault never is. */
Test(runtime_default, a_preset_is_copied_for_its_capabilities_only)
{
	static const struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	static const struct ctr_seccomp_preset table[] = {
	    {.caps = DEFAULT_MASK | BIT(CAP_SYS_BOOT), .len = 1, .insns = allow}};
	ctr_seccomp_use_presets(table, 1);
	unsigned short len;
	unsigned flags;
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK | BIT(CAP_SYS_BOOT));
	const struct sock_filter *insns = ctr_seccomp_program(sc, &len, &flags);
	cr_expect(len == 1 && insns[0].k == SECCOMP_RET_ALLOW && insns != allow);
	ctr_seccomp_free(sc);
	sc = runtime_default(DEFAULT_MASK);
	ctr_seccomp_program(sc, &len, &flags);
	cr_expect_gt(len, 100, "built, not the preset: %u instructions", len);
	ctr_seccomp_free(sc);
	ctr_seccomp_use_presets(NULL, 0);
}

/* The program was compiled once, by ctr_seccomp_build: the container's
 * process only hands it to the kernel. Proved by taking libseccomp away from
 * the child before the load: any call into it would kill the child with
 * SIGSEGV. */
Test(load, needs_no_libseccomp_in_the_child)
{
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK);
	struct result res = run_filtered(sc, NNP_NO_LIBSECCOMP_THEN_LOAD, body_default_allows);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

/* What exec_in_container does after the filter, in the order a container
 * without no_new_privs needs: the filter first (CAP_SYS_ADMIN still held),
 * then the bounding set, capset, no_new_privs, fds, execve. */
static void body_exec_tail(void)
{
	expect_filtered();
	EXPECT_OK(prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0));
	cap_t caps = cap_from_text("cap_chown,cap_kill,cap_setpcap=eip");
	if (!caps)
		FAIL("cap_from_text: %s", strerror(errno));
	EXPECT_OK(cap_set_proc(caps));
	cap_free(caps);
	EXPECT_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	EXPECT_OK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	EXPECT_OK(dup3(report_fd, 3, O_CLOEXEC));
	report_fd = 3;
	EXPECT_OK(syscall(SYS_close_range, 4U, ~0U, 0U));
	EXPECT_ERR(keyctl_session(), EPERM);
	char *argv[] = {"true", NULL}, *envp[] = {NULL};
	execve("/bin/true", argv, envp);
	FAIL("execve(/bin/true): %s", strerror(errno));
}

Test(runtime_default, exec_in_container_steps_after_the_load_work)
{
	need_root();
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK);
	struct result res = run_filtered(sc, LOAD_WITHOUT_NNP, body_exec_tail);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

#ifdef __x86_64__
static void body_newer_syscalls(void)
{
	expect_filtered();
	/* 457 is statmount (Linux 6.8), newer than the profile: ENOSYS, "no
	 * such call here", where a libc falls back; keyctl, older, is EPERM. */
	EXPECT_ERR(syscall(457, NULL, NULL, 0, 0), ENOSYS);
	EXPECT_ERR(keyctl_session(), EPERM);
}

Test(runtime_default, syscalls_newer_than_the_profile_are_enosys)
{
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK);
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_newer_syscalls);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

/* getpid (20 in the i386 table) through the 32-bit entry: another ABI,
 * another syscall table. */
static long int80_getpid(void)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static void body_int80(void)
{
	/* the filter does not describe the other table - so it kills */
	long ret = int80_getpid();
	FAIL("int 0x80 getpid returned %ld instead of killing us", ret);
}

/* Does this kernel take int 0x80 at all? A kernel built or booted without
 * IA32 emulation (ia32_emulation=false, Linux 6.7) answers it with a
 * general protection fault, SIGSEGV, filter or not. */
static bool has_int80_entry(void)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* the kernel's SIGSEGV, not a sanitizer's report and exit 1 */
		signal(SIGSEGV, SIG_DFL);
		_exit(int80_getpid() == getpid() ? 0 : 1);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)
		return false;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unfiltered int 0x80 getpid: status %#x",
	          st);
	return true;
}

Test(runtime_default, another_abi_is_killed)
{
	if (!has_int80_entry())
		cr_skip_test("this kernel has no 32-bit syscall entry: nothing to get around the "
		             "filter through");
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK);
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_int80);
	cr_expect(WIFSIGNALED(res.status) && WTERMSIG(res.status) == SIGSYS, "status %#x: %s",
	          res.status, res.msg);
	ctr_seccomp_free(sc);
}

/* The x32 ABI comes in through the native entry, with the same audit
 * architecture as x86_64 and bit 30 set in the syscall number: a filter
 * that checked the architecture alone would match none of its rules for the
 * x86_64 numbers against it - no deny rule of a Localhost profile either.
 * The filter kills it, as it kills int 0x80, whether or not this kernel was
 * built with x32 (the filter runs before the kernel's own check). */
static void body_x32(void)
{
	long ret = syscall(0x40000000L | SYS_getpid);
	FAIL("x32 getpid returned %ld (errno %d) instead of killing us", ret, errno);
}

Test(runtime_default, the_x32_abi_is_killed)
{
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK);
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_x32);
	cr_expect(WIFSIGNALED(res.status) && WTERMSIG(res.status) == SIGSYS, "status %#x: %s",
	          res.status, res.msg);
	ctr_seccomp_free(sc);
}
#endif

/* ---- loading: the no_new_privs rule --------------------------------------------- */

Test(load, needs_no_new_privs_or_cap_sys_admin)
{
	need_root();
	struct ctr_seccomp *sc = runtime_default(DEFAULT_MASK);
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	if (pid == 0) {
		report_fd = p[1];
		cap_t none = cap_init(); /* root without capabilities, no no_new_privs */
		if (!none || cap_set_proc(none) < 0)
			FAIL("cap_set_proc: %s", strerror(errno));
		if (ctr_seccomp_load(sc) == 0)
			FAIL("loaded without no_new_privs and without CAP_SYS_ADMIN");
		if (errno != EACCES || !strstr(last_error(), "no_new_privs"))
			FAIL("errno %s, message '%s'", strerror(errno), last_error());
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ctr_seccomp_load(sc) < 0)
			FAIL("with no_new_privs: %s", last_error());
		expect_filtered();
		_exit(0);
	}
	close(p[1]);
	struct result res = {0};
	ssize_t n = read(p[0], res.msg, sizeof(res.msg) - 1);
	res.msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, &res.status, 0);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

/* ---- Unconfined and the type names ---------------------------------------------- */

static void body_unconfined(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (!strstr(buf, "\nSeccomp:\t0\n"))
		FAIL("Unconfined loaded a filter");
}

Test(unconfined, is_no_filter)
{
	struct ctr_seccomp *sc = (struct ctr_seccomp *)1;
	cr_assert_eq(ctr_seccomp_build(CTR_SECCOMP_UNCONFINED, NULL, 0, &sc), 0);
	cr_expect_null(sc);
	cr_expect_str_eq(ctr_seccomp_warnings(sc), "");
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_unconfined);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

Test(types, names_round_trip)
{
	enum ctr_seccomp_type t;
	const char *names[] = {"Unconfined", "RuntimeDefault", "Localhost"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		cr_assert_eq(ctr_seccomp_parse_type(names[i], &t), 0, "%s", names[i]);
		cr_expect_str_eq(ctr_seccomp_type_name(t), names[i]);
	}
	cr_expect_eq(ctr_seccomp_parse_type("runtime/default", &t), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect(strstr(last_error(), "runtime/default"), "%s", last_error());
	cr_expect_eq(ctr_seccomp_parse_type("runtimedefault", &t), -1, "Kubernetes' spelling");
}

/* ---- Localhost -------------------------------------------------------------------- */

static char tmp[64];

static void make_tmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/podlab-seccomp-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void remove_tmp(void)
{
	rm_rf(tmp);
}

/* Write a profile into the test's directory; returns its path (static). */
static const char *profile(const char *json)
{
	static char path[128];
	static int n;
	snprintf(path, sizeof(path), "%s/profile-%d.json", tmp, n++);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	return path;
}

static struct ctr_seccomp *localhost(const char *json, uint64_t caps)
{
	struct ctr_seccomp *sc = NULL;
	cr_assert_eq(ctr_seccomp_build(CTR_SECCOMP_LOCALHOST, profile(json), caps, &sc), 0, "%s",
	             last_error());
	cr_assert_not_null(sc);
	return sc;
}

static void body_no_mkdir(void)
{
	char a[128], b[128], f[128];
	snprintf(a, sizeof(a), "%s/a", tmp);
	snprintf(b, sizeof(b), "%s/b", tmp);
	snprintf(f, sizeof(f), "%s/f", tmp);
	expect_filtered();
	EXPECT_ERR(mkdir(a, 0755), EPERM);
	EXPECT_ERR(syscall(SYS_mkdirat, AT_FDCWD, b, 0755), EPERM);
	/* everything else as without a filter */
	int fd;
	EXPECT_OK(fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	EXPECT_OK(write(fd, "x", 1));
	close(fd);
	EXPECT_OK(unlink(f));
	EXPECT_ERR(rmdir(a), ENOENT);
	EXPECT_OK(getpid());
	EXPECT_OK(keyctl_session()); /* RuntimeDefault's refusals are not Localhost's */
}

Test(localhost, denies_mkdir_and_nothing_else, .init = make_tmp, .fini = remove_tmp)
{
	struct ctr_seccomp *sc = localhost("{\n"
	                                   "  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
	                                   "  \"architectures\": [\"SCMP_ARCH_X86_64\", "
	                                   "\"SCMP_ARCH_X86\", \"SCMP_ARCH_AARCH64\"],\n"
	                                   "  \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], "
	                                   "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]\n"
	                                   "}\n",
	                                   DEFAULT_MASK);
	cr_expect_str_eq(ctr_seccomp_warnings(sc), "");
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_no_mkdir);
	EXPECT_CHILD_OK(res);
	char a[128];
	snprintf(a, sizeof(a), "%s/a", tmp);
	cr_expect_neq(access(a, F_OK), 0, "mkdir went through");
	ctr_seccomp_free(sc);
}

/* A second thread, started before the load, tries mkdir once told to. */
static sem_t *tsync_go;
static int tsync_err;

static void *tsync_thread(void *arg)
{
	(void)arg;
	while (sem_wait(tsync_go) < 0 && errno == EINTR) {
	}
	char a[128];
	snprintf(a, sizeof(a), "%s/t", tmp);
	tsync_err = mkdir(a, 0755) < 0 ? errno : 0;
	return NULL;
}

static void body_tsync(void)
{
	expect_filtered(); /* the loading thread's */
	if (sem_post(tsync_go) < 0)
		FAIL("sem_post: %s", strerror(errno));
}

static void no_mkdir_with_flags(const char *flags, bool other_thread_filtered)
{
	char json[512];
	snprintf(json, sizeof(json),
	         "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [%s], \"syscalls\": "
	         "[{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}",
	         flags);
	struct ctr_seccomp *sc = localhost(json, DEFAULT_MASK);
	static sem_t go;
	cr_assert_eq(sem_init(&go, 0, 0), 0);
	tsync_go = &go;
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		report_fd = p[1];
		pthread_t t;
		if (pthread_create(&t, NULL, tsync_thread, NULL) != 0)
			FAIL("pthread_create");
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ctr_seccomp_load(sc) < 0)
			FAIL("ctr_seccomp_load: %s", last_error());
		body_tsync();
		pthread_join(t, NULL);
		int want = other_thread_filtered ? EPERM : 0;
		if (tsync_err != want)
			FAIL("the other thread's mkdir: %s, want %s", strerror(tsync_err),
			     strerror(want));
		_exit(0);
	}
	close(p[1]);
	struct result res = {0};
	ssize_t n = read(p[0], res.msg, sizeof(res.msg) - 1);
	res.msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, &res.status, 0);
	EXPECT_CHILD_OK(res);
	char a[128];
	snprintf(a, sizeof(a), "%s/t", tmp);
	rmdir(a);
	ctr_seccomp_free(sc);
}

/* The profile's flags reach the kernel: TSYNC puts the filter on every
 * thread of the process, not only on the one that loads it. */
Test(localhost, flag_tsync_filters_every_thread, .init = make_tmp, .fini = remove_tmp)
{
	no_mkdir_with_flags("", false);
	no_mkdir_with_flags("\"SECCOMP_FILTER_FLAG_TSYNC\"", true);
}

static void body_args(void)
{
	expect_filtered();
	/* two conditions on one argument: either one matches, as under runc */
	EXPECT_ERR(personality(PER_LINUX32), EOPNOTSUPP);
	EXPECT_ERR(personality(UNAME26), EOPNOTSUPP);
	EXPECT_OK(personality(0xffffffff));
	/* MASKED_EQ: (domain & 0xffffffff) == AF_UNIX */
	EXPECT_ERR(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), EACCES);
	int fd;
	EXPECT_OK(fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	close(fd);
	EXPECT_ERR(syscall(SYS_getppid), EIO);     /* the legacy "name" */
	EXPECT_OK(syscall(SYS_getpgrp));           /* includes CAP_SYS_ADMIN: not us */
	EXPECT_ERR(syscall(SYS_getsid, 0), ENXIO); /* excludes CAP_SYS_ADMIN: applies */
	EXPECT_ERR(syscall(SYS_sched_yield), EBADF);
	EXPECT_ERR(syscall(SYS_getcwd, NULL, 0), ECHILD); /* LT: size 0 < 4 */
}

Test(localhost, args_includes_and_legacy_name, .init = make_tmp, .fini = remove_tmp)
{
	struct ctr_seccomp *sc = localhost(
	    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
	    " {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 95,\n"
	    "  \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},\n"
	    "           {\"index\": 0, \"value\": 131072, \"valueTwo\": 0, \"op\": "
	    "\"SCMP_CMP_EQ\"}]},\n"
	    " {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,\n"
	    "  \"args\": [{\"index\": 0, \"value\": 4294967295, \"valueTwo\": 1,\n"
	    "             \"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n"
	    " {\"name\": \"getppid\", \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5},\n"
	    " {\"names\": [\"getpgrp\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 6,\n"
	    "  \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
	    " {\"names\": [\"getsid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 6,\n"
	    "  \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"minKernel\": \"99.0\"}},\n"
	    " {\"names\": [\"sched_yield\", \"no_such_syscall\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
	    "  \"errnoRet\": 9, \"comment\": \"unknown names are skipped\"},\n"
	    " {\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 10,\n"
	    "  \"args\": [{\"index\": 1, \"value\": 4, \"op\": \"SCMP_CMP_LT\"}]},\n"
	    " {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}\n"
	    "], \"extra\": true}\n",
	    DEFAULT_MASK);
	const char *w = ctr_seccomp_warnings(sc);
	cr_expect(strstr(w, "no_such_syscall"), "warnings: %s", w);
	cr_expect(strstr(w, "'extra'"), "warnings: %s", w);
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_args);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

static void body_default_errno(void)
{
	/* An allow-list: I/O to check and report, exit, and what a sanitizer
	 * runtime needs (memory, signals); everything else gets the default. */
	expect_filtered();
	EXPECT_ERR(syscall(SYS_getppid), ENOSYS); /* defaultErrnoRet 38 */
	EXPECT_ERR(syscall(SYS_getuid), EPERM);   /* a rule's ERRNO without errnoRet */
}

Test(localhost, default_action_and_errno, .init = make_tmp, .fini = remove_tmp)
{
	struct ctr_seccomp *sc = localhost(
	    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"syscalls\": [\n"
	    " {\"names\": [\"write\", \"read\", \"openat\", \"close\", \"fstat\", \"newfstatat\",\n"
	    "            \"exit_group\", \"exit\", \"mmap\", \"munmap\", \"mprotect\", "
	    "\"madvise\",\n"
	    "            \"sigaltstack\", \"rt_sigaction\", \"rt_sigprocmask\", \"getpid\",\n"
	    "            \"gettid\", \"tgkill\", \"futex\", \"sched_yield\", \"prctl\",\n"
	    "            \"readlink\"],\n"
	    "  \"action\": \"SCMP_ACT_ALLOW\", \"args\": null},\n"
	    " {\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
	    DEFAULT_MASK);
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_default_errno);
	EXPECT_CHILD_OK(res);
	ctr_seccomp_free(sc);
}

static void body_getppid(void)
{
	syscall(SYS_getppid);
	FAIL("getppid did not kill");
}

Test(localhost, kill_process, .init = make_tmp, .fini = remove_tmp)
{
	struct ctr_seccomp *sc =
	    localhost("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
	              "[\"getppid\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}]}",
	              DEFAULT_MASK);
	struct result res = run_filtered(sc, NNP_THEN_LOAD, body_getppid);
	cr_expect(WIFSIGNALED(res.status) && WTERMSIG(res.status) == SIGSYS, "status %#x: %s",
	          res.status, res.msg);
	ctr_seccomp_free(sc);
}

/* Every malformed profile: -1, EINVAL, nothing built, and a message that
 * names the file and the place. */
Test(localhost, malformed_profiles_are_clear_errors, .init = make_tmp, .fini = remove_tmp)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\",,}", ":1:36: bad JSON"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [}", ":2:16: bad JSON"},
	    {"{\"defaultAction\": ", "bad JSON"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\"} x", ":1:37: bad JSON"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", /* no */ \"syscalls\": []}", "bad JSON"},
	    {"[]", "must be a JSON object, not array"},
	    {"{}", "defaultAction: missing"},
	    {"{\"defaultAction\": 1}", "defaultAction: must be a string, not int"},
	    {"{\"defaultAction\": \"SCMP_ACT_MAYBE\"}", "unknown action 'SCMP_ACT_MAYBE'"},
	    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
	     "defaultErrnoRet: must not be negative"},
	    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 5000}", "out of range"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}",
	     "syscalls: must be an array, not object"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [3]}",
	     "syscalls[0]: must be an object, not int"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": "
	     "\"SCMP_ACT_ERRNO\"}]}",
	     "syscalls[0]: missing 'names'"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": \"mkdir\", "
	     "\"action\": \"SCMP_ACT_ERRNO\"}]}",
	     "syscalls[0].names: must be an array, not string"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"]}]}",
	     "syscalls[0].action: missing"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_FOO\"}]}",
	     "syscalls[0].action: unknown action 'SCMP_ACT_FOO'"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
	     "SCMP_ACT_NOTIFY is not supported"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"name\": \"mkdir\", \"action\": \"SCMP_ACT_ERRNO\"}]}",
	     "both 'name' and 'names'"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [7], "
	     "\"action\": \"SCMP_ACT_ERRNO\"}]}",
	     "syscalls[0].names[0]: must be a string, not int"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": \"1\"}]}",
	     "syscalls[0].errnoRet: must be an integer, not string"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
	     "\"SCMP_CMP_XX\"}]}]}",
	     "syscalls[0].args[0].op: unknown operator 'SCMP_CMP_XX'"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": "
	     "\"SCMP_CMP_EQ\"}]}]}",
	     "syscalls[0].args[0].index: 6 is out of range (0..5)"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"value\": 1, \"op\": "
	     "\"SCMP_CMP_EQ\"}]}]}",
	     "syscalls[0].args[0].index: missing"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1}]}]}",
	     "syscalls[0].args[0].op: missing"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": \"8\", "
	     "\"op\": \"SCMP_CMP_EQ\"}]}]}",
	     "syscalls[0].args[0].value: must be an integer, not string"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1.5, "
	     "\"op\": \"SCMP_CMP_EQ\"}]}]}",
	     "must be an integer, not double"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [1]}]}",
	     "syscalls[0].args[0]: must be an object, not int"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"caps\": [\"CAP_WIZARD\"]}}]}",
	     "unknown capability 'CAP_WIZARD'"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_Z80\"]}",
	     "architectures[0]: unknown architecture 'SCMP_ARCH_Z80'"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]}",
	     "flags[0]: unknown flag"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/agent.sock\"}",
	     "not supported"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *path = profile(cases[i].json);
		struct ctr_seccomp *sc = (struct ctr_seccomp *)1;
		errno = 0;
		cr_expect_eq(ctr_seccomp_build(CTR_SECCOMP_LOCALHOST, path, 0, &sc), -1,
		             "case %zu: %s", i, cases[i].json);
		cr_expect_eq(errno, EINVAL, "case %zu: errno %d", i, errno);
		cr_expect_null(sc, "case %zu", i);
		cr_expect(strstr(last_error(), path) == last_error(),
		          "case %zu: '%s' names no file", i, last_error());
		cr_expect(strstr(last_error(), cases[i].want), "case %zu: '%s' lacks '%s'", i,
		          last_error(), cases[i].want);
	}
}

Test(localhost, missing_file_or_path, .init = make_tmp, .fini = remove_tmp)
{
	struct ctr_seccomp *sc = NULL;
	char path[128];
	snprintf(path, sizeof(path), "%s/nope.json", tmp);
	cr_expect_eq(ctr_seccomp_build(CTR_SECCOMP_LOCALHOST, path, 0, &sc), -1);
	cr_expect_eq(errno, ENOENT);
	cr_expect(strstr(last_error(), path), "%s", last_error());
	cr_expect_eq(ctr_seccomp_build(CTR_SECCOMP_LOCALHOST, NULL, 0, &sc), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(ctr_seccomp_build(CTR_SECCOMP_LOCALHOST, tmp, 0, &sc), -1, "a directory");
	cr_expect(strstr(last_error(), "not a regular file"), "%s", last_error());
}
