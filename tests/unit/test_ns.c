/*
 * test_ns.c - unit tests of the namespace module (labs/01-namespaces/ns.c).
 *
 * Criterion runs each test in its own process, so a test may unshare or
 * fork without disturbing the others.
 */
#include "common.h"
#include "ns.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

Test(ns_parse, single_and_lists)
{
	unsigned set = 0;
	cr_assert_eq(ns_parse("net", &set), 0);
	cr_assert_eq(set, NS_BIT(NS_NET));
	cr_assert_eq(ns_parse("net,ipc,uts", &set), 0);
	cr_assert_eq(set, NS_BIT(NS_NET) | NS_BIT(NS_IPC) | NS_BIT(NS_UTS));
	cr_assert_eq(ns_parse("user,mnt,uts,ipc,pid,net,cgroup,time", &set), 0);
	cr_assert_eq(set, NS_ALL);
	/* a repeated name is harmless */
	cr_assert_eq(ns_parse("pid,pid", &set), 0);
	cr_assert_eq(set, NS_BIT(NS_PID));
}

Test(ns_names, the_table_order_and_back_through_ns_parse)
{
	char buf[128];
	ns_names(0, buf, sizeof(buf));
	cr_expect_str_eq(buf, "");
	ns_names(NS_BIT(NS_NET) | NS_BIT(NS_MNT) | NS_BIT(NS_UTS), buf, sizeof(buf));
	cr_expect_str_eq(buf, "mnt,uts,net");
	ns_names(NS_ALL, buf, sizeof(buf));
	cr_expect_str_eq(buf, "user,mnt,uts,ipc,pid,net,cgroup,time");
	unsigned set = 0;
	cr_assert_eq(ns_parse(buf, &set), 0);
	cr_expect_eq(set, NS_ALL);
	ns_names(NS_ALL, buf, 9);
	cr_expect_str_eq(buf, "user,mnt", "cut short to fit, NUL-terminated");
}

Test(ns_parse, all)
{
	unsigned set = 0;
	cr_assert_eq(ns_parse("all", &set), 0);
	cr_assert_eq(set, NS_ALL);
	cr_assert_eq(ns_parse("net,all", &set), 0);
	cr_assert_eq(set, NS_ALL);
}

Test(ns_parse, unknown_name_is_named)
{
	unsigned set = 0;
	errno = 0;
	cr_assert_eq(ns_parse("net,bogus,uts", &set), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(last_error(), "unknown namespace 'bogus'"), "got: %s", last_error());
	cr_assert(strstr(last_error(), "known: user"), "the message lists the known names");
	/* names are case sensitive, as in /proc/PID/ns */
	cr_assert_eq(ns_parse("NET", &set), -1);
	cr_assert_eq(ns_parse("net ", &set), -1);
}

Test(ns_parse, empty)
{
	unsigned set = 0;
	cr_assert_eq(ns_parse("", &set), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(ns_parse(NULL, &set), -1);
	cr_assert_eq(ns_parse(",", &set), -1);
	cr_assert_eq(ns_parse("net,", &set), -1);
	cr_assert_eq(ns_parse("net,,uts", &set), -1);
	cr_assert(strstr(last_error(), "empty name"), "got: %s", last_error());
}

Test(ns_parse, too_long)
{
	char list[1024] = "";
	while (strlen(list) + 4 < sizeof(list))
		strcat(list, "net,");
	strcat(list, "net");
	unsigned set = 0;
	cr_assert_eq(ns_parse(list, &set), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(last_error(), "too long"), "got: %s", last_error());
}

Test(ns_clone_flags, maps_each_bit)
{
	cr_assert_eq(ns_clone_flags(0), 0);
	cr_assert_eq(ns_clone_flags(NS_BIT(NS_NET)), CLONE_NEWNET);
	cr_assert_eq(ns_clone_flags(NS_BIT(NS_MNT)), CLONE_NEWNS);
	cr_assert_eq(ns_clone_flags(NS_BIT(NS_NET) | NS_BIT(NS_UTS) | NS_BIT(NS_IPC)),
	             CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC);
	int all = ns_clone_flags(NS_ALL);
	int want = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID |
	           CLONE_NEWNET | CLONE_NEWCGROUP | ns_table[NS_TIME].clone_flag;
	cr_assert_eq(all, want);
}

Test(ns_lookup, names_and_table)
{
	for (int t = 0; t < NS_COUNT; t++) {
		cr_assert_eq(ns_table[t].type, (enum ns_type)t, "table row %d out of order", t);
		cr_assert_eq(ns_lookup(ns_table[t].name), t);
		cr_assert(ns_table[t].isolates && *ns_table[t].isolates);
	}
	cr_assert_eq(ns_lookup("mnt"), NS_MNT);
	cr_assert_eq(ns_lookup("mount"), -1); /* /proc/PID/ns calls it mnt */
	cr_assert_eq(ns_lookup(""), -1);
	cr_assert_eq(ns_lookup("all"), -1);
}

/* A child that exited and was reaped: its pid is free. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

Test(ns_open, dead_pid_leaves_nothing_open)
{
	pid_t pid = dead_pid();
	int fds[NS_COUNT];
	for (int t = 0; t < NS_COUNT; t++)
		fds[t] = 1234; /* garbage the call must overwrite */
	errno = 0;
	cr_assert_eq(ns_open(pid, NS_BIT(NS_NET) | NS_BIT(NS_UTS), fds), -1);
	cr_assert_eq(errno, ENOENT);
	for (int t = 0; t < NS_COUNT; t++)
		cr_assert_eq(fds[t], -1, "fds[%s] = %d", ns_table[t].name, fds[t]);
	char want[64];
	snprintf(want, sizeof(want), "/proc/%d/ns/", (int)pid);
	cr_assert(strstr(last_error(), want), "got: %s", last_error());
}

/* The second open fails after the first succeeded: the first fd must be
 * closed again. RLIMIT_NOFILE set just above the lowest free fd lets exactly
 * one more open(2) through; the next gets EMFILE. */
Test(ns_open, a_later_failure_closes_the_earlier_fds)
{
	int lowest = fcntl(0, F_DUPFD_CLOEXEC, 0);
	cr_assert_geq(lowest, 0);
	close(lowest);
	struct rlimit lim = {(rlim_t)lowest + 1, (rlim_t)lowest + 1};
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	int fds[NS_COUNT];
	errno = 0;
	cr_assert_eq(ns_open(0, NS_BIT(NS_UTS) | NS_BIT(NS_NET), fds), -1);
	cr_assert_eq(errno, EMFILE);
	cr_assert(strstr(last_error(), "open(/proc/self/ns/net)"), "got: %s", last_error());
	for (int t = 0; t < NS_COUNT; t++)
		cr_assert_eq(fds[t], -1, "fds[%s] = %d", ns_table[t].name, fds[t]);
	cr_assert_eq(fcntl(lowest, F_GETFD), -1, "the uts fd %d was left open", lowest);
}

Test(ns_open, opens_cloexec_and_closes)
{
	int fds[NS_COUNT];
	cr_assert_eq(ns_open(0, NS_BIT(NS_NET) | NS_BIT(NS_MNT), fds), 0);
	cr_assert_geq(fds[NS_NET], 0);
	cr_assert_geq(fds[NS_MNT], 0);
	cr_assert_eq(fds[NS_UTS], -1);
	cr_assert(fcntl(fds[NS_NET], F_GETFD) & FD_CLOEXEC);
	int net = fds[NS_NET];
	ns_close(fds);
	cr_assert_eq(fds[NS_NET], -1);
	cr_assert_eq(fcntl(net, F_GETFD), -1, "ns_close closed the fd");
}

Test(ns_inode, self_matches_stat)
{
	ino_t ino;
	struct stat st;
	cr_assert_eq(ns_inode(0, NS_NET, &ino), 0);
	cr_assert_eq(stat("/proc/self/ns/net", &st), 0);
	cr_assert_eq(ino, st.st_ino);
	cr_assert_eq(ns_inode(dead_pid(), NS_NET, &ino), -1);
	cr_assert_eq(errno, ENOENT);
}

Test(ns_same, self_is_self)
{
	for (int t = 0; t < NS_COUNT; t++) {
		cr_assert_eq(ns_same(0, 0, t), 1, "%s", ns_table[t].name);
		cr_assert_eq(ns_same(0, getpid(), t), 1, "%s", ns_table[t].name);
	}
	unsigned set = 1;
	cr_assert_eq(ns_differing(0, getpid(), &set), 0);
	cr_assert_eq(set, 0);
}

Test(ns_same, dead_pid_is_an_error)
{
	cr_assert_eq(ns_same(0, dead_pid(), NS_NET), -1);
	cr_assert(strstr(last_error(), "/ns/net"), "got: %s", last_error());
}

/* A child in a new network namespace, stopped until we kill it. */
static pid_t child_in_new_netns(void)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char c = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	char c = 0;
	cr_assert_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	cr_assert_eq(c, 'y', "unshare(CLONE_NEWNET) failed in the child");
	return pid;
}

Test(ns_same, new_netns_differs)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (unshare CLONE_NEWNET)");
	pid_t pid = child_in_new_netns();
	cr_expect_eq(ns_same(0, pid, NS_NET), 0);
	cr_expect_eq(ns_same(pid, pid, NS_NET), 1);
	cr_expect_eq(ns_same(0, pid, NS_UTS), 1);
	unsigned set = 0;
	cr_expect_eq(ns_differing(pid, 0, &set), 0);
	cr_expect_eq(set, NS_BIT(NS_NET));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

Test(ns_join, bad_fd_fails_and_names_the_type)
{
	int fds[NS_COUNT];
	for (int t = 0; t < NS_COUNT; t++)
		fds[t] = -1;
	cr_assert_eq(ns_join(fds), 0, "nothing to join is not an error");

	fds[NS_UTS] = 999; /* not open */
	errno = 0;
	cr_assert_eq(ns_join(fds), -1);
	cr_assert_eq(errno, EBADF);
	cr_assert(strstr(last_error(), "setns(uts)"), "got: %s", last_error());

	/* an open fd that is not a namespace of that type */
	_cleanup_close_ int f = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(f, 0);
	fds[NS_UTS] = f;
	cr_assert_eq(ns_join(fds), -1);
	cr_assert_eq(errno, EINVAL);
}

Test(ns_join, joins_a_netns)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (setns CLONE_NEWNET)");
	pid_t pid = child_in_new_netns();
	int fds[NS_COUNT];
	cr_assert_eq(ns_open(pid, NS_BIT(NS_NET), fds), 0);
	cr_assert_eq(ns_join(fds), 0, "%s", last_error());
	ns_close(fds);
	cr_expect_eq(ns_same(0, pid, NS_NET), 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

Test(ns_lo_up, in_a_new_netns)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (unshare CLONE_NEWNET)");
	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	_cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	cr_assert_eq(ioctl(sock, SIOCGIFFLAGS, &ifr), 0);
	cr_assert_eq(ifr.ifr_flags & IFF_UP, 0, "a new netns starts with lo down");
	cr_assert_eq(ns_lo_up(), 0, "%s", last_error());
	cr_assert_eq(ioctl(sock, SIOCGIFFLAGS, &ifr), 0);
	cr_assert(ifr.ifr_flags & IFF_UP);
	cr_assert_eq(ns_lo_up(), 0, "bringing up what is up is fine");
}

Test(ns_join, own_user_namespace_is_einval)
{
	/* setns(2) refuses to "re-enter" the user namespace we are in: it would
	 * hand us a full capability set again. */
	int fds[NS_COUNT];
	cr_assert_eq(ns_open(0, NS_BIT(NS_USER), fds), 0, "%s", last_error());
	errno = 0;
	cr_assert_eq(ns_join(fds), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect(strstr(last_error(), "setns(user)"), "got: %s", last_error());
	ns_close(fds);
}

Test(ns_inode, dead_pid_is_an_error)
{
	ino_t ino = 0;
	pid_t dead = dead_pid();
	char want[64];
	snprintf(want, sizeof(want), "stat(/proc/%d/ns/mnt)", (int)dead);
	errno = 0;
	cr_assert_eq(ns_inode(dead, NS_MNT, &ino), -1);
	cr_expect_eq(errno, ENOENT);
	cr_expect(strstr(last_error(), want), "got: %s", last_error());
}

Test(ns_differing, dead_pid_is_an_error)
{
	unsigned set = 0;
	/* ENOENT for every type: not to be mistaken for "this kernel lacks it" */
	cr_assert_eq(ns_differing(0, dead_pid(), &set), -1);
}
