/*
 * infra.c - the pod sandbox: start, join, watch and stop the pause holder
 * (see infra.h), and give the pod its one IP over a veth pair.
 *
 * Syscalls: clone(2) with CLONE_NEW{NET,IPC,UTS,NS,PID}, CLONE_PIDFD and
 * CLONE_VM | CLONE_VFORK, pidfd_open(2), prctl(2) PR_SET_PDEATHSIG,
 * sethostname(2), fsopen(2)/fsmount(2)/move_mount(2)/pivot_root(2) for
 * pause's own root, capset(2) through libcap, execve(2), setns(2),
 * pidfd_send_signal(2), poll(2) on a pidfd, waitpid(2); rtnetlink through nl.h
 * (setns(2) there, to make a netlink socket in the pod's netns); kill(2) with
 * signal 0, to tell a half-made bridge's starter is gone.
 */
#include "infra.h"

#include "common.h"
#include "nl.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

/* lab.mk compiles the path of the pause built beside podlab into infra.o. */
#ifndef PODLAB_PAUSE_PATH
#define PODLAB_PAUSE_PATH "pause"
#endif

const char *infra_pause_path(void)
{
	const char *p = getenv("PODLAB_PAUSE");
	return p && *p ? p : PODLAB_PAUSE_PATH;
}

static void infra_reset(struct infra *in)
{
	memset(in, 0, sizeof(*in));
	in->pidfd = -1;
	for (int t = 0; t < NS_COUNT; t++)
		in->nsfd[t] = -1;
}

/* ---- failures that happen in a child, reported through a pipe ------------- */

/* A child between fork and exec cannot return an error to the caller, so it
 * writes errno and last_error() into a pipe the parent reads. The pipe is
 * O_CLOEXEC: a successful execve(2) closes it, and the parent reads EOF. */
struct child_report {
	int err;
	char msg[512];
};

/* Returns the holder's exit status, for holder_main to return: the wrapper
 * of clone(2) ends the child with it. Not _exit(), nor any function that does
 * not return: the holder runs on a stack of its own in its caller's memory
 * (clone_holder), where a sanitizer's _exit() would look for leaks in the
 * caller's heap and its hook for a function that does not return would warn
 * of a stack it did not make - into a log it cannot open from pause's root,
 * which kills the holder. */
static int child_fail(int fd)
{
	struct child_report r = {.err = errno};
	snprintf(r.msg, sizeof(r.msg), "%s", last_error());
	if (write(fd, &r, sizeof(r)) < 0) {
		/* the parent sees EOF and a dead child: still a failure */
	}
	return 127;
}

/* Read the child's report. 0: nothing was sent (exec succeeded, or the child
 * finished its work). -1: errno and last_error() are the child's. */
static int read_report(int fd, pid_t child, const char *what)
{
	struct child_report r;
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t n = read(fd, (char *)&r + got, sizeof(r) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == 0)
		return 0;
	if (got < sizeof(r))
		return fail_msg(EIO, "%s (pid %d) failed without saying why", what, (int)child);
	r.msg[sizeof(r.msg) - 1] = '\0';
	set_last_error(r.msg);
	errno = r.err;
	return -1;
}

/* ---- the holder ---------------------------------------------------------------- */

/* pause's own root: a tmpfs that holds nothing but a copy of pause, read-only,
 * pivoted into in pause's own mount namespace. In a pod that shares its pid
 * namespace pause is PID 1, and every container can look at it: through
 * /proc/1/root, /proc/1/cwd, /proc/1/exe and /proc/1/mountinfo a container
 * with CAP_SYS_PTRACE would otherwise reach the host's whole filesystem.
 * (containerd and CRI-O give the sandbox its own mount namespace and its own
 * image for the same reason.)
 *
 * The tmpfs is made with the new mount API: fsopen/fsmount give a mount that
 * is attached nowhere yet, so no directory of the host is needed to build it;
 * it is then stacked over "/" and pivot_root(".", ".") makes it the root, the
 * old root lying over it until umount2 detaches it (crun's dance). */
static int private_root(int exe)
{
	struct stat st;
	if (fstat(exe, &st) < 0)
		return fail_errno("fstat(pause)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail_errno("mount(/, MS_REC|MS_PRIVATE)");
	_cleanup_close_ int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail_errno("fsopen(tmpfs)");
	char size[32];
	snprintf(size, sizeof(size), "%lld", (long long)st.st_size + 65536);
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail_errno("fsconfig(tmpfs)");
	_cleanup_close_ int mnt =
	    (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
	if (mnt < 0)
		return fail_errno("fsmount(tmpfs)");
	/* Execute-only: pause runs as INFRA_PAUSE_UID, which cannot read it.
	 * At execve the kernel sets a process whose program its user cannot
	 * read to fs.suid_dumpable (would_dump): non-dumpable with the default
	 * 0, but dumpable with 1. So pause also makes itself non-dumpable
	 * (pause.c): no process of that uid, in any container, may ptrace it
	 * or read its memory. */
	_cleanup_close_ int out =
	    openat(mnt, "pause", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0111);
	if (out < 0)
		return fail_errno("openat(pause in its root, O_CREAT|O_EXCL)");
	/* the caller's umask must not take the execute bits away (077 would
	 * leave root's alone, and pause runs as another uid) */
	if (fchmod(out, 0111) < 0)
		return fail_errno("fchmod(pause in its root, 0111)");
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(out, exe, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return fail_errno("sendfile(pause into its root)");
	}
	closep(&out); /* a file open for writing keeps the mount from going read-only */
	/* BEGIN EXERCISE: infra-private-root (moderate, 30 min): read-only root, host's detached
	 * Hint: README.md "The module: infra.h", "Exercises"; man 2 mount_setattr, move_mount */
	/* STUB: (void)exercise_todo(2, "infra-private-root");
	 * return fchdir(mnt) < 0 || chroot(".") < 0 ? -1 : 0; */
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	if (syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		return fail_errno("mount_setattr(pause's root, MOUNT_ATTR_RDONLY)");
	if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return fail_errno("move_mount(pause's root onto /)");
	if (fchdir(mnt) < 0)
		return fail_errno("fchdir(pause's root)");
	if (sys_pivot_root(".", ".") < 0)
		return fail_errno("pivot_root(pause's root)");
	if (umount2(".", MNT_DETACH) < 0)
		return fail_errno("umount2(the host's root, MNT_DETACH)");
	if (chdir("/") < 0)
		return fail_errno("chdir(/)");
	return 0;
	/* END EXERCISE */
}

/* pause needs no privilege to wait for signals and reap children: none in
 * any set, the bounding set emptied (execve can grant nothing back), and
 * no_new_privs. Nor root's uid: in a pod that shares its pid namespace every
 * container sees pause, and the kernel lets a process ptrace another of its
 * own uid whose capabilities are a subset of its own. A root container
 * without CAP_SYS_PTRACE could then attach to a root pause that has none,
 * and run what its own seccomp filter refuses inside pause. */
static int drop_everything(cap_t none)
{
	/* the running kernel's count, not the headers' CAP_LAST_CAP: a newer
	 * kernel's extra capabilities would stay in the bounding set */
	for (int v = 0, bits = cap_max_bits(); v < bits; v++)
		if (cap_drop_bound(v) < 0 && errno != EINVAL)
			return fail_errno("prctl(PR_CAPBSET_DROP, %d)", v);
	/* the group list first: setgroups needs CAP_SETGID, which setresuid
	 * away from root takes along with every other capability */
	if (setgroups(0, NULL) < 0)
		return fail_errno("setgroups(0)");
	if (setresgid(INFRA_PAUSE_UID, INFRA_PAUSE_UID, INFRA_PAUSE_UID) < 0)
		return fail_errno("setresgid(%d)", INFRA_PAUSE_UID);
	if (setresuid(INFRA_PAUSE_UID, INFRA_PAUSE_UID, INFRA_PAUSE_UID) < 0)
		return fail_errno("setresuid(%d)", INFRA_PAUSE_UID);
	if (cap_set_proc(none) < 0)
		return fail_errno("capset(none)");
	if (cap_reset_ambient() < 0)
		return fail_errno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_errno("prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
}

struct holder_args {
	const char *hostname;
	const char *pause;
	unsigned new_ns; /* the namespaces the holder was cloned into */
	int errfd;
	int caller;    /* a pidfd of the caller: readable once it has exited */
	cap_t no_caps; /* made by the caller: the holder must not malloc (clone_holder) */
};

/* Until its exec the holder is nobody's to find: the caller sleeps
 * (CLONE_VFORK) and names it to on_clone only when it runs again. A caller
 * killed meanwhile - SIGKILL, the one signal it cannot block - must take the
 * holder along, or a pause nobody recorded would hold the pod's namespaces
 * forever. The kernel forgets PR_SET_PDEATHSIG at every change of uid or gid
 * (drop_everything), so it is set again after, and cleared just before the
 * exec: pause itself outlives a killed supervisor, for rm -f to stop. The
 * pidfd closes the race with a caller gone before the prctl (getppid() cannot:
 * it says 0 to a holder in a pid namespace of its own). */
static int die_with_caller(const struct holder_args *a)
{
	struct pollfd pfd = {.fd = a->caller, .events = POLLIN};
	/* fails only for a signal number it does not know */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return poll(&pfd, 1, 0) == 0 ? 0 : 127; /* the caller is gone: nobody to report to */
}

/* Runs in the new namespaces, as the holder-to-be, in the caller's memory
 * (infra_start): it writes nothing there but its own stack, errno and, when
 * it fails, last_error(). */
static int holder_main(void *arg)
{
	struct holder_args own = *(const struct holder_args *)arg, *a = &own;
	int rc;
	if ((rc = die_with_caller(a)) != 0)
		return rc;
	/* Our report pipe and /dev/null above 2 (fd_above_stdio): on 0-2, the
	 * dup2s onto 0-2 below would close the pipe (a failed exec reported to
	 * /dev/null: a start that "succeeds" with no holder), or be
	 * dup2(fd, fd), a no-op that leaves it close-on-exec (pause without
	 * that fd). */
	if (fd_above_stdio(&a->errfd) < 0)
		return child_fail(a->errfd);
	/* Its own session, first thing: a Ctrl-C typed at the caller's terminal
	 * goes to the caller's process group, and the caller, not the terminal,
	 * decides when the pod's holder stops. The caller cloned us with every
	 * signal blocked, so one sent to its group before this point is only
	 * pending: it was meant for the caller, and is discarded below. */
	if (setsid() < 0) {
		fail_errno("setsid");
		return child_fail(a->errfd);
	}
	/* The host's UTS or network namespace (hostNetwork) is not ours to change. */
	if ((a->new_ns & NS_BIT(NS_UTS)) && sethostname(a->hostname, strlen(a->hostname)) < 0) {
		fail_errno("sethostname(%s)", a->hostname);
		return child_fail(a->errfd);
	}
	/* A new network namespace has only lo, and it is down: without it even
	 * 127.0.0.1 does not work inside the pod. */
	if ((a->new_ns & NS_BIT(NS_NET)) && ns_lo_up() < 0)
		return child_fail(a->errfd);

	/* The holder has nothing to say once it runs: keep it off the caller's
	 * terminal and pipes (a log pipe would never see EOF while it lives).
	 * /dev/null is opened here, while the host's /dev is in view, but put
	 * on 0-2 only after private_root: until then stderr is the caller's,
	 * so an exercise stub in there can still say it is not done. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		fail_errno("open(/dev/null)");
		return child_fail(a->errfd);
	}
	if (fd_above_stdio(&null) < 0)
		return child_fail(a->errfd);
	/* Nor anything of the host's filesystem: not its working directory (a
	 * holder sitting in a container's rootfs would keep that mount busy for
	 * the pod's whole life), not its root. A relative PODLAB_PAUSE means the
	 * caller's directory: open it before leaving. */
	_cleanup_close_ int exe = open(a->pause, O_RDONLY | O_CLOEXEC);
	if (exe < 0) {
		fail_errno("open(%s)", a->pause);
		return child_fail(a->errfd);
	}
	if (private_root(exe) < 0 || drop_everything(a->no_caps) < 0)
		return child_fail(a->errfd);
	if ((rc = die_with_caller(a)) != 0)
		return rc;
	for (int fd = 0; fd < 3; fd++)
		if (dup2(null, fd) < 0) {
			fail_errno("dup2(/dev/null, %d)", fd);
			return child_fail(a->errfd);
		}
	/* Every other inherited fd is marked close-on-exec, our report pipe
	 * included: pause keeps nothing of the caller's. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		fail_errno("close_range(3, ~0, CLOEXEC)");
		return child_fail(a->errfd);
	}
	/* The signal mask and ignored signals survive execve(2). A caller that
	 * blocks SIGTERM for its signalfd would give us a pause that cannot be
	 * stopped politely. Setting SIG_IGN discards a pending signal: then
	 * SIG_DFL, and only then the mask is cleared. */
	for (int sig = 1; sig < NSIG; sig++) {
		signal(sig, SIG_IGN); /* fails for SIGKILL, SIGSTOP and glibc's own: fine */
		signal(sig, SIG_DFL);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	char *argv[] = {(char *)a->pause, NULL};
	char *envp[] = {NULL};
	prctl(PR_SET_PDEATHSIG, 0);
	execve("/pause", argv, envp);
	if (errno == ENOENT)
		fail_errno("exec(%s) in pause's own root (nothing else is there: pause must be "
		           "a static binary)",
		           a->pause);
	else
		fail_errno("exec(%s)", a->pause);
	return child_fail(a->errfd);
}

/* The holder is cloned as posix_spawn(3) makes a process: CLONE_VM |
 * CLONE_VFORK, on a stack of its own. It borrows our memory until its execve,
 * and we sleep until then: we would wait for that exec anyway (read_report).
 * A clone that copies our memory, as fork(2) does, copied our page tables and
 * write-protected every page we had written, only for the exec to throw the
 * copy away; and then every such page we wrote cost a copy-on-write fault, 10
 * us each on the VMs podlab is measured on: `podrun run` of one container
 * took 1.5 to 1.9 ms longer. The holder's fd table, credentials, signal
 * handlers, root and namespaces stay its own (no CLONE_FILES, CLONE_FS or
 * CLONE_SIGHAND); what it shares is our memory, so it must not malloc
 * (libcap's cap_t is made here) nor write what we keep (holder_main copies
 * its arguments). */
#define HOLDER_STACK (256 * 1024)

static pid_t clone_holder(unsigned long flags, struct holder_args *args, int *pidfd)
{
	/* of which only the pages the holder touches are ever allocated */
	char *stack = mmap(NULL, HOLDER_STACK, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return fail_errno("mmap(the holder's stack)");
	pid_t pid = -1;
	args->no_caps = cap_init();
	args->caller = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (!args->no_caps)
		fail_errno("cap_init");
	else if (args->caller < 0)
		fail_errno("pidfd_open(self)");
	else if ((pid = clone(holder_main, stack + HOLDER_STACK,
	                      (int)(flags | CLONE_VM | CLONE_VFORK), args, pidfd)) < 0) {
		/* name all that was asked: one namespace this kernel lacks (or
		 * CLONE_PIDFD, before 5.2) fails the whole clone with EINVAL */
		int err = errno;
		char what[64];
		ns_names(args->new_ns | NS_BIT(NS_MNT), what, sizeof(what));
		errno = err;
		fail_errno("clone(new %s, CLONE_PIDFD)", what);
	}
	int err = errno;
#if defined(__SANITIZE_ADDRESS__)
	/* the holder's frames left their redzones marked in ASan's shadow, where
	 * the next mapping at this address would find them */
	__asan_unpoison_memory_region(stack, HOLDER_STACK);
#endif
	munmap(stack, HOLDER_STACK);
	cap_free(args->no_caps);
	if (args->caller >= 0)
		close(args->caller);
	errno = err;
	return pid;
}

static bool pidfd_exited(int pidfd, int timeout_ms);

/* EOF on the report pipe means execve(2) succeeded - or that the child died
 * without a word (SIGKILL), or that the program it ran exited at once (say
 * PODLAB_PAUSE naming a symlink "true" to a static busybox). Then its
 * /proc/PID/ns links are gone (ENOENT), or its pidfd is readable by the end
 * of the start: the holder is exiting. Give it a moment to finish, and look
 * at why without reaping it (infra_stop does that): a better message than
 * "open(/proc/PID/ns/uts): ENOENT". A holder that is not exiting keeps the
 * message of the failed open. */
static int holder_died(pid_t pid, int pidfd, const char *pause)
{
	siginfo_t si = {0};
	if (!pidfd_exited(pidfd, 1000) ||
	    waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
		return -1;
	if (si.si_code == CLD_EXITED)
		return fail_msg(ECHILD,
		                "the pause holder %s (pid %d) exited at once with status %d", pause,
		                (int)pid, si.si_status);
	return fail_msg(ECHILD, "the pause holder %s (pid %d) was killed by SIG%s at start", pause,
	                (int)pid, sigabbrev_np(si.si_status));
}

/* ---- the pod IP ------------------------------------------------------------------ */

static bool infra_in_subnet(struct in_addr a)
{
	/* 198.18.0.0/15: the benchmark range of RFC 2544, on nobody's LAN. */
	return (ntohl(a.s_addr) & 0xfffe0000u) == 0xc6120000u;
}

int infra_parse_subnet(const char *s, struct in_addr *net, int *prefix)
{
	if (!s)
		return fail_msg(EINVAL, "no subnet given");
	char buf[INET_ADDRSTRLEN + 4];
	const char *slash = strchr(s, '/');
	long p;
	if (!slash || (size_t)(slash - s) >= INET_ADDRSTRLEN ||
	    snprintf(buf, sizeof(buf), "%.*s", (int)(slash - s), s) < 0 ||
	    inet_pton(AF_INET, buf, net) != 1 || parse_long(slash + 1, 0, 32, &p) < 0)
		return fail_msg(EINVAL, "bad subnet '%s': want ADDRESS/PREFIX, e.g. 198.18.2.0/24",
		                s);
	/* The bridge takes .1 and a pod needs one more: a /30 is the smallest. */
	if (p < 15 || p > 30)
		return fail_msg(EINVAL, "bad subnet '%s': prefix must be 15 to 30", s);
	uint32_t mask = 0xffffffffu << (32 - p);
	if (ntohl(net->s_addr) & ~mask)
		return fail_msg(
		    EINVAL, "bad subnet '%s': host bits are set (network is %s/%ld?)", s,
		    inet_ntop(AF_INET, &(struct in_addr){htonl(ntohl(net->s_addr) & mask)}, buf,
		              sizeof(buf)),
		    p);
	if (!infra_in_subnet(*net))
		return fail_msg(EINVAL, "bad subnet '%s': podlab only uses 198.18.0.0/15", s);
	*prefix = (int)p;
	return 0;
}

/* In the pod's network namespace: eth0 gets its address, comes up, and
 * routes everything through the bridge's address. A netlink socket talks to
 * the namespace it was created in, so one is made there (setns in, socket,
 * setns back: nl_open_in) and used from here. No process has to live in the
 * pod for it: the child this once forked for it cost more (fork, wait) than
 * the three requests themselves. */
static int configure_inside(int netfd, struct in_addr addr, int prefix, struct in_addr gw)
{
	/* The calling thread's own netns, to come back to: with threads,
	 * /proc/self would name the main thread's. */
	_cleanup_close_ int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return fail_errno("open(/proc/thread-self/ns/net)");
	_cleanup_close_ int sock = nl_open_in(netfd, home);
	if (sock < 0)
		return -1;
	int eth0 = nl_link_index_at(sock, "eth0");
	if (eth0 < 0 || nl_link_addrgenmode_none_at(sock, "eth0", eth0) < 0 ||
	    nl_addr_add_at(sock, "eth0", eth0, addr, prefix) < 0 ||
	    nl_link_up_at(sock, "eth0", eth0) < 0 || nl_route_add_default_at(sock, gw) < 0)
		return -1;
	return 0;
}

/* The host end of the pod's veth: veth<holder pid>, unique while the holder
 * lives and findable again after a supervisor died (infra_remove_veth). But
 * a veth outlives its pod by a moment - infra_stop leaves it to the kernel,
 * which destroys it with the pod's network namespace, later - and pids wrap
 * (pid_max may be 32768): a new holder with the pid of one just stopped can
 * find the name still taken. EEXIST: the next name, veth<pid>_1 and on. */
#define VETH_SUFFIXES 9

static int add_veth(struct infra *in)
{
	for (int n = 0; n <= VETH_SUFFIXES; n++) {
		int len =
		    n ? snprintf(in->veth_host, sizeof(in->veth_host), "veth%d_%d", (int)in->pid, n)
		      : snprintf(in->veth_host, sizeof(in->veth_host), "veth%d", (int)in->pid);
		if (len < 0 || (size_t)len >= sizeof(in->veth_host))
			break;
		if (nl_veth_add(in->veth_host, "eth0", in->nsfd[NS_NET]) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	in->veth_host[0] = '\0'; /* not ours: never delete it */
	return -1;
}

/* ---- the pod bridge ---------------------------------------------------------------- */

/* A bridge is ours by its alias, and the kernel takes no alias when it
 * creates a link: an RTM_NEWLINK that creates one ignores IFLA_IFALIAS (`ip
 * link add x alias y type bridge` makes x without one). So marking a new
 * bridge is a second request, and a start that died between the two would
 * leave the pod bridge's name on a bridge without the mark: someone else's,
 * to every later pod, until a human deleted it. Hence the bridge is made
 * under a temporary name that says whose it is, marked, and only then
 * renamed. A rename is one request, and atomic: the pod bridge's name is
 * only ever on a bridge marked ours, and a crash leaves at worst a bridge
 * named INFRA_BRIDGE_TMP_PREFIX + the starter's thread id, which the next
 * start that makes a bridge deletes once that thread is gone.
 *
 * Not one request for both (IFLA_IFALIAS and IFLA_IFNAME in one setlink):
 * a setlink is no transaction. do_setlink renames before it sets the
 * alias, and one that fails in between keeps the new name. */

/* The thread whose temporary bridge name is name, or 0 if it is not one. */
static pid_t bridge_tmp_owner(const char *name)
{
	size_t n = strlen(INFRA_BRIDGE_TMP_PREFIX);
	long tid;
	if (strncmp(name, INFRA_BRIDGE_TMP_PREFIX, n) || name[n] < '1' || name[n] > '9' ||
	    parse_long(name + n, 1, INT_MAX, &tid) < 0)
		return 0;
	return (pid_t)tid;
}

/* Delete the temporary bridges of starters that are gone: a crash left
 * them. Best effort: a leftover is in nobody's way (the pod bridge's name is
 * free), only untidy. A thread id names a thread of our pid namespace only:
 * a starter in another one may be taken for dead, and its bridge deleted
 * under it; make_bridge then starts over (ENODEV). And a leftover whose id
 * a live process has by now waits until that one is gone too. */
static void sweep_abandoned_bridges(void)
{
	/* if_nameindex(3) asks over netlink: the links of our netns, each with
	 * its index, where /sys/class/net would show the netns sysfs was
	 * mounted in. */
	struct if_nameindex *links = if_nameindex();
	if (!links)
		return;
	for (struct if_nameindex *l = links; l->if_index; l++) {
		pid_t owner = bridge_tmp_owner(l->if_name);
		if (owner <= 0 || kill(owner, 0) == 0 || errno != ESRCH)
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", l->if_name);
		if (access(path, F_OK) < 0)
			continue; /* we only ever make bridges under that name */
		/* By the index listed: a thread that has the dead one's id now
		 * deletes that leftover itself and makes its own bridge under
		 * the same name, which is not ours to delete. ENODEV: done. */
		nl_link_del_index((int)l->if_index);
	}
	if_freenameindex(links);
}

#define BRIDGE_ATTEMPTS 3

/* The pod bridge called name: ours already (joined), or made now (*created).
 * Refused if a link of that name exists that podlab did not make. */
static int make_bridge(const char *name, bool *created)
{
	char tmp[IF_NAMESIZE];
	snprintf(tmp, sizeof(tmp), INFRA_BRIDGE_TMP_PREFIX "%d", (int)gettid());
	for (int attempt = 0; attempt < BRIDGE_ATTEMPTS; attempt++) {
		if (nl_link_index(name) > 0) {
			/* Never put an address on someone else's device, nor
			 * adopt it: the last pod would delete it. */
			if (!infra_bridge_is_ours(name))
				return fail_msg(
				    EEXIST,
				    "%s exists and podlab did not create it (its alias is "
				    "not \"%s\"): choose another bridge name",
				    name, INFRA_BRIDGE_ALIAS);
			return 0;
		}
		if (errno != ENODEV)
			return -1;
		sweep_abandoned_bridges();
		if (nl_bridge_add(tmp) < 0) {
			if (errno != EEXIST)
				return -1;
			/* Our own temporary name: left by a thread that had our
			 * id before us, and is gone (we have its id now). */
			if (nl_link_del(tmp) < 0 && errno != ENODEV)
				return -1;
			continue;
		}
		/* Renamed while still down: kernels before 6.2 rename no
		 * link that is up (EBUSY), and a bridge that is down carries
		 * nothing while it has its temporary name. */
		if (nl_link_set_alias(tmp, INFRA_BRIDGE_ALIAS) == 0 &&
		    nl_link_rename(tmp, name) == 0) {
			*created = true;
			return 0;
		}
		/* One we could not mark or rename is deleted here, while
		 * nothing can use it. */
		int err = errno;
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", last_error());
		nl_link_del(tmp);
		set_last_error(msg);
		errno = err;
		/* EEXIST: another start renamed its bridge first: join it,
		 * above. ENODEV: ours was swept from under us (see
		 * sweep_abandoned_bridges): make it again. */
		if (err != EEXIST && err != ENODEV)
			return -1;
	}
	/* each time the name was free, and then the bridge we made was not */
	return fail_msg(EAGAIN, "bridge %s: gave up after %d attempts: %s", name, BRIDGE_ATTEMPTS,
	                last_error());
}

/* The pod network is IPv4 only, and so are its links: the bridge and both
 * ends of the veth come up without an IPv6 link-local address (addrgenmode
 * none). Each such address costs duplicate address detection and MLD
 * reports, multicast that the bridge floods to every pod's eth0: beside 100
 * pods, about 4 ms of kernel work for every pod started, and growing with
 * the pods. Docker leaves a container's interface on an IPv4-only network
 * without IPv6 too. lo keeps ::1, so the pod's containers still talk over
 * [::1]. */
static int setup_pod_ip(const struct infra_config *cfg, struct infra *in, bool *created)
{
	struct in_addr net, gw, pod;
	int prefix;
	if (infra_parse_subnet(cfg->subnet ? cfg->subnet : INFRA_DEFAULT_SUBNET, &net, &prefix) < 0)
		return -1;
	gw.s_addr = htonl(ntohl(net.s_addr) + 1);
	pod.s_addr = htonl(ntohl(net.s_addr) + (uint32_t)cfg->host_index);

	snprintf(in->bridge, sizeof(in->bridge), "%s", cfg->bridge);
	if (make_bridge(in->bridge, created) < 0)
		return -1;
	if (*created && nl_link_addrgenmode_none(in->bridge) < 0)
		return -1;
	if (nl_addr_add(in->bridge, gw, prefix) < 0 && errno != EEXIST)
		return -1;
	if (nl_link_up(in->bridge) < 0)
		return -1;

	if (add_veth(in) < 0)
		return -1;
	if (nl_link_addrgenmode_none(in->veth_host) < 0 ||
	    nl_link_set_master(in->veth_host, in->bridge) < 0 || nl_link_up(in->veth_host) < 0)
		return -1;
	if (configure_inside(in->nsfd[NS_NET], pod, prefix, gw) < 0)
		return -1;
	inet_ntop(AF_INET, &pod, in->ip, sizeof(in->ip));
	in->prefix = prefix;
	return 0;
}

/* The kernel's rule for a link name (dev_valid_name): 1 to IF_NAMESIZE - 1
 * bytes, not "." or ".." (in /sys/class/net they are the directory and its
 * parent), no '/', no ':' (ifconfig's aliases, eth0:1) and no white space, as the
 * kernel's isspace() has it: byte 0xa0 too. Checked before anything starts:
 * the kernel would refuse the name only at the rename of the bridge, with
 * EINVAL and about its temporary name, after the holder had started. */
static bool link_name_valid(const char *name)
{
	if (!*name || strlen(name) >= IF_NAMESIZE || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *c = name; *c; c++)
		if (strchr("/: \t\n\v\f\r\xa0", *c))
			return false;
	return true;
}

int infra_check_config(const struct infra_config *cfg)
{
	if (!cfg || !cfg->hostname || !*cfg->hostname)
		return fail_msg(EINVAL, "the pod needs a hostname");
	if (strlen(cfg->hostname) > 64)
		return fail_msg(EINVAL, "hostname '%s' is longer than 64 bytes", cfg->hostname);
	if (!cfg->bridge)
		return 0;
	if (!link_name_valid(cfg->bridge))
		return fail_msg(EINVAL,
		                "bad bridge name '%s' (1 to %d bytes, not '.' or '..', no '/', ':' "
		                "or white space)",
		                cfg->bridge, IF_NAMESIZE - 1);
	struct in_addr net;
	int prefix;
	const char *subnet = cfg->subnet ? cfg->subnet : INFRA_DEFAULT_SUBNET;
	if (infra_parse_subnet(subnet, &net, &prefix) < 0)
		return -1;
	long hosts = (1L << (32 - prefix)) - 2; /* minus the network and broadcast addresses */
	if (cfg->host_index < 2 || cfg->host_index > hosts)
		return fail_msg(EINVAL, "host index %d is outside %s (2 to %ld; .1 is the bridge)",
		                cfg->host_index, subnet, hosts);
	return 0;
}

int infra_start(const struct infra_config *cfg, struct infra *out)
{
	infra_reset(out);
	if (infra_check_config(cfg) < 0)
		return -1;

	struct holder_args args = {.hostname = cfg->hostname,
	                           .pause = cfg->pause_path ? cfg->pause_path : infra_pause_path()};
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return fail_errno("pipe2");
	args.errfd = p[1];

	unsigned set = NS_BIT(NS_NET) | NS_BIT(NS_IPC) | NS_BIT(NS_UTS);
	if (cfg->share_pid)
		set |= NS_BIT(NS_PID);
	unsigned host = cfg->host_ns & (set | NS_BIT(NS_PID));
	set &= ~host;
	args.new_ns = set;
	/* CLONE_PIDFD hands us a pidfd for exactly this child: no window in
	 * which the pid could be reused. */
	int pidfd = -1;
	bool bridge_created = false;
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	/* CLONE_NEWNS too, for pause's own root; its mount namespace is not the
	 * pod's to share (containers get their own), so it is not in set. */
	pid_t pid =
	    clone_holder(ns_clone_flags(set) | CLONE_NEWNS | CLONE_PIDFD | SIGCHLD, &args, &pidfd);
	int err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		errno = err;
		return -1;
	}
	if (cfg->on_clone)
		cfg->on_clone(cfg->on_clone_arg, pid);
	int rc = read_report(p[0], pid, "the pause holder");
	close(p[0]);
	out->pid = pid;
	out->pidfd = pidfd;
	if (rc < 0)
		goto fail;
	if (ns_open(pid, set, out->nsfd) < 0) {
		if (errno == ENOENT)
			holder_died(pid, pidfd, args.pause);
		goto fail;
	}
	/* The host's own namespaces, held like the pod's: joining them is a no-op
	 * for a process already in them, and containers need no special case. */
	int hostfds[NS_COUNT];
	if (host && ns_open(getpid(), host, hostfds) < 0)
		goto fail;
	for (int t = 0; host && t < NS_COUNT; t++)
		if (host & NS_BIT(t))
			out->nsfd[t] = hostfds[t];
	out->shared = set | host;
	/* hostNetwork: the pod is the host on the network; no veth, no pod IP */
	if (cfg->bridge && !(host & NS_BIT(NS_NET)) && setup_pod_ip(cfg, out, &bridge_created) < 0)
		goto fail;
	/* Our fds hold the namespaces open, so everything above works for a
	 * holder that has exited since: a start that saw it gone makes no pod.
	 * One that goes later is infra_alive's to see. */
	if (pidfd_exited(pidfd, 0)) {
		holder_died(pid, pidfd, args.pause);
		goto fail;
	}
	return 0;

fail:
	/* Keep the first error, not what cleaning up might report. */
	err = errno;
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", last_error());
	infra_stop(out, 0);
	if (bridge_created)
		infra_remove_bridge_if_unused(cfg->bridge);
	set_last_error(msg);
	errno = err;
	return -1;
}

/* ---- joining ------------------------------------------------------------------------ */

int infra_join(const struct infra *in)
{
	/* The fds keep the namespaces alive after the holder died, so setns
	 * would still work: but the pod is over, and a process that joined it
	 * now would live in a sandbox nobody watches. */
	if (!infra_alive(in))
		return fail_msg(ESRCH, "the pod's holder (pid %d) is not running", (int)in->pid);
	/* BEGIN EXERCISE: infra-join (easy, 20 min): join the sandbox's namespaces with setns(2)
	 * Hint: README.md "Joining the pod"; man 2 setns (the nstype argument) */
	/* STUB: (void)in; return exercise_todo(2, "infra-join"); */
	/* The pid namespace applies only to children made afterwards; the order
	 * among the others does not matter when no user namespace is involved. */
	static const enum ns_type order[] = {NS_IPC, NS_UTS, NS_NET, NS_PID};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		enum ns_type t = order[i];
		if (in->nsfd[t] < 0)
			continue;
		if (setns(in->nsfd[t], ns_table[t].clone_flag) < 0)
			return fail_errno("setns(%s)", ns_table[t].name);
	}
	return 0;
	/* END EXERCISE */
}

/* ---- watching and stopping -------------------------------------------------------- */

/* A pidfd becomes readable when its process has exited. */
static bool pidfd_exited(int pidfd, int timeout_ms)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
	int64_t end = now_ms() + timeout_ms;
	for (;;) {
		int n = poll(&pfd, 1, timeout_ms);
		if (n > 0)
			return true;
		if (n == 0 || errno != EINTR)
			return false;
		if (timeout_ms > 0)
			timeout_ms = (int)(end - now_ms() > 0 ? end - now_ms() : 0);
	}
}

bool infra_alive(const struct infra *in)
{
	if (!in || in->pid <= 0)
		return false;
	if (in->pidfd >= 0)
		return !pidfd_exited(in->pidfd, 0);
	return kill(in->pid, 0) == 0;
}

int infra_stop(struct infra *in, int timeout_ms)
{
	int rc = 0;
	bool gone = false;
	if (in->pid > 0 && in->pidfd >= 0) {
		if (!pidfd_exited(in->pidfd, 0)) {
			/* pause exits 0 on SIGTERM. As PID 1 of a pid namespace it
			 * only receives the signals it has a handler for, so a holder
			 * that never installed one (or is stuck) needs SIGKILL. */
			if (sys_pidfd_send_signal(in->pidfd, SIGTERM, 0) < 0 && errno != ESRCH)
				rc = fail_errno("pidfd_send_signal(%d, SIGTERM)", (int)in->pid);
			if (!pidfd_exited(in->pidfd, timeout_ms < 0 ? 0 : timeout_ms)) {
				/* SIGKILL sent is an end that comes: wait for it. One
				 * that could not be sent is not: the holder lives on. */
				if (sys_pidfd_send_signal(in->pidfd, SIGKILL, 0) == 0 ||
				    errno == ESRCH)
					pidfd_exited(in->pidfd, -1);
				else
					rc = fail_errno("pidfd_send_signal(%d, SIGKILL)",
					                (int)in->pid);
			}
		}
		gone = pidfd_exited(in->pidfd, 0);
		/* Reap it if it is our child; a supervisor that inherited the
		 * sandbox from someone else gets ECHILD, and that is fine. */
		int st;
		while (gone && waitpid(in->pid, &st, 0) < 0 && errno == EINTR) {
		}
	}
	if (in->veth_host[0]) {
		if (gone) {
			/* pause is dead and our fds are the namespace's last
			 * references: closing them below lets the kernel destroy the
			 * namespace, and with it both ends of the veth (a veth dies
			 * with either end). Deleting it ourselves would wait for the
			 * kernel's reference drain (README "One IP per pod").
			 * Only take it off the bridge now, which does not
			 * wait: a port still attached would keep the last pod's
			 * bridge "in use" until the kernel got round to it. */
			if (nl_link_set_nomaster(in->veth_host) < 0 && errno != ENODEV)
				rc = -1;
		} else if (infra_remove_veth(in->veth_host) < 0) {
			/* pause may live on (it could not be signalled): its
			 * namespace stays, so the veth must be deleted by name. */
			rc = -1;
		}
	}
	ns_close(in->nsfd);
	closep(&in->pidfd);
	in->pid = 0;
	in->shared = 0;
	in->veth_host[0] = '\0';
	in->ip[0] = '\0';
	return rc;
}

/* ---- cleaning up after someone else -------------------------------------------------- */

bool infra_bridge_is_ours(const char *name)
{
	char path[PATH_MAX], alias[128];
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", name);
	if (access(path, F_OK) < 0)
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s/ifalias", name);
	return read_file(path, alias, sizeof(alias)) >= 0 && !strcmp(alias, INFRA_BRIDGE_ALIAS);
}

int infra_remove_veth(const char *name)
{
	if (!name || !*name)
		return 0;
	if (nl_link_del(name) < 0 && errno != ENODEV)
		return -1;
	return 0;
}

int infra_remove_veth_index(int index)
{
	if (index <= 0)
		return 0;
	if (nl_link_del_index(index) < 0 && errno != ENODEV)
		return -1;
	return 0;
}

int infra_bridge_ports(const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/sys/class/net/%s/brif", name);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open(%s): is %s a bridge?", path, name);
	/* brif/ holds one entry per port: a bridge with ports is still in use. */
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return fail_errno("fdopendir(%s)", path);
	}
	int ports = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			ports++;
	closedir(d);
	return ports;
}

int infra_remove_bridge_if_unused(const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	if (access(path, F_OK) < 0)
		return 0; /* already gone */
	if (!infra_bridge_is_ours(name))
		return fail_msg(EPERM, "%s is not a bridge podlab created: not removing it", name);
	int ports = infra_bridge_ports(name);
	if (ports != 0)
		return ports < 0 ? -1 : 0;
	if (nl_link_del(name) < 0 && errno != ENODEV)
		return -1;
	return 0;
}
