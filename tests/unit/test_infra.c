/*
 * test_infra.c - the sandbox module's error paths: a holder that cannot
 * start, a dead sandbox, bad subnets and configs, stopping twice; and the pod
 * network: eth0 configured from outside, the veth left to the kernel, a veth
 * name still taken, a start that died making the bridge, starts that make it
 * at once.
 * Needs root (it creates namespaces). Criterion runs each test in its own
 * process, so a join that succeeds does not leak into the next test.
 */
#include "common.h"
#include "deny_syscall.h"
#include "infra.h"
#include "nl.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void no_child_left(void)
{
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child was left behind");
	cr_assert_eq(errno, ECHILD);
}

static void same_netns_as_self(pid_t pid, bool want)
{
	char path[64];
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	cr_assert_eq(stat(path, &a), 0);
	cr_assert_eq(stat("/proc/self/ns/net", &b), 0);
	cr_assert_eq(a.st_ino == b.st_ino, want);
}

Test(infra, bad_pause_path_fails_and_leaves_nothing)
{
	struct infra in;
	struct infra_config cfg = {.hostname = "t", .pause_path = "/nonexistent/pause"};
	cr_assert_eq(infra_start(&cfg, &in), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(last_error(), "open(/nonexistent/pause): No such file or directory");
	cr_assert_eq(in.pid, 0);
	cr_assert_eq(in.pidfd, -1);
	for (int t = 0; t < NS_COUNT; t++)
		cr_assert_eq(in.nsfd[t], -1);
	no_child_left();
}

Test(infra, pause_env_overrides_default)
{
	setenv("PODLAB_PAUSE", "/nonexistent/from-env", 1);
	cr_assert_str_eq(infra_pause_path(), "/nonexistent/from-env");
	struct infra in;
	struct infra_config cfg = {.hostname = "t"};
	cr_assert_eq(infra_start(&cfg, &in), -1);
	cr_assert(strstr(last_error(), "open(/nonexistent/from-env)"), "%s", last_error());
	unsetenv("PODLAB_PAUSE");
	no_child_left();
}

Test(infra, relative_pause_path_is_the_callers)
{
	/* The holder moves to / before it execs: a relative path must still
	 * mean the caller's working directory. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", infra_pause_path());
	char *slash = strrchr(dir, '/');
	cr_assert_not_null(slash);
	*slash = '\0';
	cr_assert_eq(chdir(dir), 0, "chdir(%s): %s", dir, strerror(errno));
	struct infra in;
	struct infra_config cfg = {.hostname = "t", .pause_path = slash + 1};
	cr_assert_eq(infra_start(&cfg, &in), 0, "%s", last_error());
	cr_assert(infra_alive(&in));
	cr_assert_eq(infra_stop(&in, 1000), 0, "%s", last_error());
	no_child_left();
}

Test(infra, holder_that_exits_at_once_leaves_nothing)
{
	/* Seen before or after the start's checks, depending on the race: a
	 * failure that names it, or a sandbox that is not alive. Never a child
	 * left behind. */
	struct infra in;
	/* pause runs alone in a root of its own, so it must be static: busybox
	 * is, and as "true" (its argv[0]) it exits at once. */
	char dir[] = "/tmp/podlab-test-true.XXXXXX", path[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/true", dir);
	cr_assert_eq(symlink("/bin/busybox", path), 0);
	struct infra_config cfg = {.hostname = "t", .pause_path = path};
	int rc = infra_start(&cfg, &in);
	unlink(path);
	rmdir(dir);
	if (rc < 0) {
		cr_assert(strstr(last_error(), "exited at once with status 0"), "%s", last_error());
	} else {
		/* It outlived the start by a moment; infra_alive must see it go. */
		struct pollfd pfd = {.fd = in.pidfd, .events = POLLIN};
		cr_assert_eq(poll(&pfd, 1, 5000), 1, "the holder did not exit");
		cr_assert_not(infra_alive(&in));
		cr_assert_eq(infra_stop(&in, 1000), 0, "%s", last_error());
	}
	no_child_left();
}

/* A caller of infra_start, forked: the holder's parent. It writes the
 * holder's pid into `report` once the start returns, then exits without
 * stopping the sandbox, as a supervisor killed with SIGKILL would. We are the
 * subreaper: the holder it leaves becomes our child, to reap. */
static pid_t fork_caller(const char *pause, bool share_pid, int report)
{
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	pid_t caller = fork();
	cr_assert_geq(caller, 0);
	if (caller == 0) {
		struct infra in;
		struct infra_config cfg = {
		    .hostname = "t", .pause_path = pause, .share_pid = share_pid};
		pid_t pid = infra_start(&cfg, &in) == 0 ? in.pid : -1;
		_exit(write(report, &pid, sizeof(pid)) == sizeof(pid) ? 0 : 1);
	}
	return caller;
}

/* Did `pid`, our child, end within `ms`? Reaped either way: killed if not. */
static bool ended_within(pid_t pid, int ms, int *status)
{
	for (int t = 0; t < ms; t++, usleep(1000))
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return false;
}

Test(infra, caller_killed_while_the_holder_sets_up_takes_it_along)
{
	/* The caller sleeps until the holder's exec (CLONE_VFORK) and records
	 * its pid only then (on_clone): killed before, it must leave no holder
	 * nobody knows of. A FIFO for pause stops the holder in the open(2) of
	 * its setup, until a writer comes - none will. */
	char dir[] = "/tmp/podlab-test-fifo.XXXXXX", fifo[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/pause", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	for (int share_pid = 0; share_pid <= 1; share_pid++) {
		int report[2];
		cr_assert_eq(pipe2(report, O_CLOEXEC), 0);
		pid_t caller = fork_caller(fifo, share_pid, report[1]);
		close(report[1]);
		/* its holder, once in open(2) (openat: 257 on x86-64, 56 on arm64) */
		char path[96], buf[64] = "";
		pid_t holder = 0;
		for (int t = 0; t < 5000; t++, usleep(1000)) {
			snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)caller,
			         (int)caller);
			if (!holder && read_file(path, buf, sizeof(buf)) > 0)
				holder = atoi(buf);
			snprintf(path, sizeof(path), "/proc/%d/syscall", (int)holder);
			if (holder && read_file(path, buf, sizeof(buf)) > 0 &&
			    atoi(buf) == SYS_openat)
				break;
		}
		cr_assert_gt(holder, 0, "no holder in open(2)");
		cr_assert_eq(kill(caller, SIGKILL), 0);
		cr_assert_eq(waitpid(caller, NULL, 0), caller);
		close(report[0]);
		int st = 0;
		cr_assert(ended_within(holder, 2000, &st) && WIFSIGNALED(st) &&
		              WTERMSIG(st) == SIGKILL,
		          "the holder (pid %d, share_pid %d) outlived its caller", (int)holder,
		          share_pid);
	}
	unlink(fifo);
	rmdir(dir);
	no_child_left();
}

Test(infra, pause_outlives_its_caller)
{
	/* die_with_caller is for the setup alone: pause itself stays when the
	 * process that started it dies (a supervisor killed: rm -f stops it). */
	int report[2];
	cr_assert_eq(pipe2(report, O_CLOEXEC), 0);
	pid_t caller = fork_caller(NULL, false, report[1]), holder = -1;
	close(report[1]);
	cr_assert_eq(read(report[0], &holder, sizeof(holder)), sizeof(holder));
	close(report[0]);
	cr_assert_eq(waitpid(caller, NULL, 0), caller);
	cr_assert_gt(holder, 0, "the start failed");
	int st = 0;
	cr_assert_not(ended_within(holder, 200, &st), "pause died with its caller (status %#x)",
	              st);
	no_child_left();
}

Test(infra, dynamic_pause_is_refused_with_a_reason)
{
	struct infra in;
	struct infra_config cfg = {.hostname = "t", .pause_path = "/bin/true"};
	cr_assert_eq(infra_start(&cfg, &in), -1);
	cr_assert(strstr(last_error(), "must be a static binary"), "%s", last_error());
	no_child_left();
}

Test(infra, bad_hostname_fails)
{
	struct infra in;
	struct infra_config cfg = {.hostname = NULL};
	cr_assert_eq(infra_start(&cfg, &in), -1);
	cr_assert_eq(errno, EINVAL);
	cfg.hostname =
	    "a-hostname-that-is-much-longer-than-the-sixty-four-bytes-a-uts-namespace-holds";
	cr_assert_eq(infra_start(&cfg, &in), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(last_error(), "longer than 64"), "%s", last_error());
	no_child_left();
}

Test(infra, bad_network_config_fails_before_starting)
{
	struct infra in;
	struct infra_config cfg = {.hostname = "t", .bridge = "lab2ut0", .subnet = "198.18.2.0/24"};
	cfg.host_index = 1; /* .1 is the bridge */
	cr_assert_eq(infra_start(&cfg, &in), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(last_error(), "host index 1"), "%s", last_error());
	cfg.host_index = 255;
	cr_assert_eq(infra_start(&cfg, &in), -1);
	cfg.host_index = 2;
	cfg.bridge = "a-bridge-name-too-long";
	cr_assert_eq(infra_start(&cfg, &in), -1);
	cr_assert(strstr(last_error(), "bad bridge name"), "%s", last_error());
	cfg.bridge = "lab2ut0";
	cfg.subnet = "10.0.0.0/8";
	cr_assert_eq(infra_start(&cfg, &in), -1);
	cr_assert(strstr(last_error(), "10.0.0.0/8"), "%s", last_error());
	no_child_left();
}

/* The names the kernel refuses (dev_valid_name), refused before a holder
 * starts: the kernel would say EINVAL only at the bridge's rename. */
Test(infra, bridge_names_the_kernel_refuses_are_refused_up_front)
{
	static const char *const bad[] = {"",
	                                  "a b",
	                                  "x:y",
	                                  ".",
	                                  "..",
	                                  "/",
	                                  "a/b",
	                                  "a\tb",
	                                  "a\xa0"
	                                  "b",
	                                  "sixteen-bytes-xx"};
	static const char *const good[] = {"lab2ut0", "fifteen-bytes-x", "a.b", "...", ".x",
	                                   "x_-y"};
	struct infra_config cfg = {.hostname = "t", .subnet = "198.18.2.0/24", .host_index = 2};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cfg.bridge = bad[i];
		cr_assert_eq(infra_check_config(&cfg), -1, "'%s' was accepted", bad[i]);
		cr_assert_eq(errno, EINVAL);
		cr_assert(strstr(last_error(), "bad bridge name"), "%s", last_error());
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		cfg.bridge = good[i];
		cr_assert_eq(infra_check_config(&cfg), 0, "'%s': %s", good[i], last_error());
	}
}

/* A /15 has room for 131070 pods: the index may go that far, and no further. */
Test(infra, host_index_goes_as_far_as_the_subnet)
{
	struct infra_config cfg = {.hostname = "t", .bridge = "lab2ut0", .subnet = "198.18.0.0/15"};
	cfg.host_index = 65535;
	cr_assert_eq(infra_check_config(&cfg), 0, "%s", last_error());
	cfg.host_index = 131070;
	cr_assert_eq(infra_check_config(&cfg), 0, "%s", last_error());
	cfg.host_index = 131071;
	cr_assert_eq(infra_check_config(&cfg), -1);
	cr_assert(strstr(last_error(), "2 to 131070"), "%s", last_error());
}

Test(infra, start_stop_twice)
{
	struct infra in;
	struct infra_config cfg = {.hostname = "unit-pod"};
	cr_assert_eq(infra_start(&cfg, &in), 0, "%s", last_error());
	cr_assert(in.pid > 0);
	cr_assert(infra_alive(&in));
	cr_assert(in.nsfd[NS_NET] >= 0 && in.nsfd[NS_IPC] >= 0 && in.nsfd[NS_UTS] >= 0);
	cr_assert_eq(in.nsfd[NS_PID], -1);
	cr_assert_eq(in.nsfd[NS_MNT], -1);
	same_netns_as_self(in.pid, false);
	pid_t pid = in.pid;
	cr_assert_eq(infra_stop(&in, 1000), 0, "%s", last_error());
	cr_assert_eq(kill(pid, 0), -1, "the holder still exists");
	cr_assert_not(infra_alive(&in));
	cr_assert_eq(infra_stop(&in, 1000), 0, "second stop: %s", last_error());
	cr_assert_eq(in.pidfd, -1);
	no_child_left();
}

/* A holder that cannot be signalled (here: a seccomp filter answers EPERM
 * to pidfd_send_signal) is not waited for forever: infra_stop says why,
 * returns, and the holder is still there for someone else to end. */
Test(infra, stop_of_a_holder_that_cannot_be_killed_returns, .timeout = 10)
{
	struct infra in;
	struct infra_config cfg = {.hostname = "unit-pod"};
	cr_assert_eq(infra_start(&cfg, &in), 0, "%s", last_error());
	pid_t pid = in.pid;
	cr_assert_eq(deny_syscall(SYS_pidfd_send_signal, EPERM), 0, "%s", strerror(errno));
	cr_assert_eq(infra_stop(&in, 100), -1, "a stop that could not signal succeeded");
	cr_assert(strstr(last_error(), "pidfd_send_signal"), "%s", last_error());
	cr_assert_eq(kill(pid, 0), 0, "the holder is gone");
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	no_child_left();
}

Test(infra, join_enters_the_pod)
{
	struct infra in;
	struct infra_config cfg = {.hostname = "unit-join"};
	cr_assert_eq(infra_start(&cfg, &in), 0, "%s", last_error());
	cr_assert_eq(infra_join(&in), 0, "%s", last_error());
	same_netns_as_self(in.pid, true);
	char host[65] = "";
	gethostname(host, sizeof(host));
	cr_assert_str_eq(host, "unit-join");
	infra_stop(&in, 1000);
}

Test(infra, join_a_dead_sandbox_fails)
{
	struct infra in;
	struct infra_config cfg = {.hostname = "unit-dead"};
	cr_assert_eq(infra_start(&cfg, &in), 0, "%s", last_error());
	cr_assert_eq(kill(in.pid, SIGKILL), 0);
	struct pollfd pfd = {.fd = in.pidfd, .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 5000), 1);
	cr_assert_not(infra_alive(&in));
	cr_assert_eq(infra_join(&in), -1);
	cr_assert_eq(errno, ESRCH);
	cr_assert(strstr(last_error(), "not running"), "%s", last_error());
	same_netns_as_self(getpid(), true);
	cr_assert_eq(infra_stop(&in, 1000), 0, "%s", last_error());
	cr_assert_eq(infra_stop(&in, 1000), 0);
	no_child_left();
}

Test(infra, shared_pid_makes_pause_pid_1)
{
	struct infra in;
	struct infra_config cfg = {.hostname = "unit-pid", .share_pid = true};
	cr_assert_eq(infra_start(&cfg, &in), 0, "%s", last_error());
	cr_assert(in.nsfd[NS_PID] >= 0);
	cr_assert(in.shared & NS_BIT(NS_PID));
	char path[64], status[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)in.pid);
	cr_assert(read_file(path, status, sizeof(status)) > 0);
	/* NSpid: the pid in each namespace from the outermost in; the last is 1. */
	const char *ns = strstr(status, "NSpid:");
	cr_assert(ns);
	const char *eol = strchr(ns, '\n');
	cr_assert(eol && eol[-1] == '1' && eol[-2] == '\t', "%.*s", (int)(eol - ns), ns);
	cr_assert_eq(infra_stop(&in, 1000), 0);
}

Test(infra, parse_subnet)
{
	struct in_addr net;
	int prefix;
	cr_assert_eq(infra_parse_subnet("198.18.2.0/24", &net, &prefix), 0);
	cr_assert_eq(prefix, 24);
	cr_assert_eq(ntohl(net.s_addr), 0xc6120200u);
	cr_assert_eq(infra_parse_subnet("198.19.255.252/30", &net, &prefix), 0);
	static const char *bad[] = {
	    "",
	    "198.18.2.0",
	    "198.18.2.0/",
	    "198.18.2.0/33",
	    "198.18.2.0/-1",
	    "198.18.2.0/24x",
	    "198.18.2.1/24",
	    "198.18.2.0/31",
	    "10.0.0.0/8",
	    "192.168.1.0/24",
	    "198.20.0.0/24",
	    "abc/24",
	    "198.18.2/24",
	    "198.18.2.0.1/24",
	    "/24",
	    "198.18.0.0/14",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		cr_assert_eq(infra_parse_subnet(bad[i], &net, &prefix), -1, "accepted '%s'",
		             bad[i]);
		cr_assert_eq(errno, EINVAL, "'%s'", bad[i]);
		char quoted[64];
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		cr_assert(strstr(last_error(), quoted), "'%s': %s", bad[i], last_error());
	}
	cr_assert_eq(infra_parse_subnet(NULL, &net, &prefix), -1);
}

Test(infra, remove_missing_links_is_done)
{
	cr_assert_eq(infra_remove_veth("lab2nosuch0"), 0, "%s", last_error());
	cr_assert_eq(infra_remove_veth(""), 0);
	cr_assert_eq(infra_remove_bridge_if_unused("lab2nosuch0"), 0, "%s", last_error());
	/* lo is not a bridge: refuse, do not delete */
	cr_assert_eq(infra_remove_bridge_if_unused("lo"), -1);
}

/* ---- the pod network ------------------------------------------------------------ */

/* A bridge of this process's own, and a /28 of lab 2's range no check uses. */
#define NET_SUBNET "198.18.2.224/28"
static char net_bridge[IF_NAMESIZE], net_taken[IF_NAMESIZE];

static void net_setup(void)
{
	snprintf(net_bridge, sizeof(net_bridge), "lab2u%d", (int)getpid());
}

/* Whatever a failed assertion left: our bridge, a link we made to collide. */
static void net_teardown(void)
{
	nl_link_del(net_bridge);
	if (net_taken[0])
		nl_link_del(net_taken);
}

static int bridge_ports(const char *br)
{
	char path[64];
	snprintf(path, sizeof(path), "/sys/class/net/%s/brif", br);
	DIR *d = opendir(path);
	cr_assert_not_null(d, "%s: %s", path, strerror(errno));
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The kernel destroys the veth with the pod's netns, in a worker thread: a
 * moment after the last reference went. Bounded: 5 s. */
static bool link_goes(const char *name)
{
	for (int i = 0; i < 500; i++) {
		if (!if_nametoindex(name))
			return true;
		usleep(10000);
	}
	return false;
}

/* In a child that joins the pod: the pod IP is local, a default route exists. */
static void pod_ip_works(const struct infra *in, const char *ip)
{
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		if (infra_join(in) < 0)
			_exit(2);
		struct sockaddr_in a = {.sin_family = AF_INET};
		inet_pton(AF_INET, ip, &a.sin_addr);
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(3); /* the address is not eth0's */
		a.sin_port = htons(9);
		inet_pton(AF_INET, "198.18.99.1", &a.sin_addr); /* outside the subnet */
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(4); /* ENETUNREACH: no default route */
		_exit(0);
	}
	int st;
	cr_assert_eq(waitpid(c, &st, 0), c);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the pod's network: status %#x", st);
}

Test(infra, pod_network_stop_leaves_the_veth_to_the_kernel, .init = net_setup, .fini = net_teardown)
{
	struct stat before, after;
	cr_assert_eq(stat("/proc/thread-self/ns/net", &before), 0);
	struct infra in;
	struct infra_config cfg = {
	    .hostname = "unit-net", .bridge = net_bridge, .subnet = NET_SUBNET, .host_index = 3};
	cr_assert_eq(infra_start(&cfg, &in), 0, "%s", last_error());
	/* eth0 was configured from here, through a socket made in the pod: we
	 * are back in our own netns, and the links we see are the host's. */
	cr_assert_eq(stat("/proc/thread-self/ns/net", &after), 0);
	cr_assert_eq(before.st_ino, after.st_ino, "infra_start left us in another netns");
	char veth[IF_NAMESIZE];
	snprintf(veth, sizeof(veth), "veth%d", (int)in.pid);
	cr_assert_str_eq(in.veth_host, veth);
	cr_assert_neq(if_nametoindex(veth), 0);
	cr_assert_eq(bridge_ports(net_bridge), 1);
	cr_assert_str_eq(in.ip, "198.18.2.227");
	pod_ip_works(&in, in.ip);
	cr_assert_eq(infra_stop(&in, 1000), 0, "%s", last_error());
	/* Off the bridge at once; gone with the netns a moment later. */
	cr_assert_eq(bridge_ports(net_bridge), 0, "the veth is still on the bridge");
	cr_assert_eq(infra_remove_bridge_if_unused(net_bridge), 0, "%s", last_error());
	cr_assert_eq(if_nametoindex(net_bridge), 0, "the bridge is still there");
	cr_assert(link_goes(veth), "%s is still there", veth);
	no_child_left();
}

/* A pid that comes round again while the veth of its last holder is still
 * being destroyed: the new veth takes a suffix. Made deterministic in a pid
 * namespace of our own, where ns_last_pid picks the holder's pid. */
Test(infra, veth_name_taken_takes_a_suffix, .init = net_setup, .fini = net_teardown)
{
	int p[2], base = 30000 + (int)(getpid() % 2000);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(unshare(CLONE_NEWPID), 0, "%s", strerror(errno));
	pid_t c = fork(); /* PID 1 of the new pid namespace */
	cr_assert_geq(c, 0);
	if (c == 0) {
		char msg[256] = "";
		/* /proc must be this pid namespace's: ns_open reads /proc/PID/ns */
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			snprintf(msg, sizeof(msg), "mount /proc: %s", strerror(errno));
			goto out;
		}
		/* A free name for the link that is in the way. */
		int want = 0;
		for (int n = base; n < base + 500 && !want; n++) {
			snprintf(net_taken, sizeof(net_taken), "veth%d", n);
			if (nl_bridge_add(net_taken) == 0)
				want = n;
		}
		if (!want || write_file("/proc/sys/kernel/ns_last_pid", "%d", want - 1) < 0) {
			snprintf(msg, sizeof(msg), "ns_last_pid: %s", last_error());
			goto out;
		}
		struct infra in;
		struct infra_config cfg = {.hostname = "unit-suffix",
		                           .bridge = net_bridge,
		                           .subnet = NET_SUBNET,
		                           .host_index = 4};
		if (infra_start(&cfg, &in) < 0) {
			snprintf(msg, sizeof(msg), "infra_start: %s", last_error());
			goto out;
		}
		char expect[32]; /* longer than a name can be: a wrong one does not match */
		snprintf(expect, sizeof(expect), "veth%d_1", want);
		if (in.pid != want || strcmp(in.veth_host, expect))
			snprintf(msg, sizeof(msg), "holder %d, veth %s: want %d, %s", (int)in.pid,
			         in.veth_host, want, expect);
		else if (bridge_ports(net_bridge) != 1)
			snprintf(msg, sizeof(msg), "%s is not on the bridge", expect);
		infra_stop(&in, 1000);
		infra_remove_bridge_if_unused(net_bridge);
	out:
		nl_link_del(net_taken);
		if (write(p[1], msg, strlen(msg)) < 0) {
		}
		_exit(msg[0] ? 1 : 0);
	}
	close(p[1]);
	char msg[256] = "";
	ssize_t n = read(p[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int st;
	cr_assert_eq(waitpid(c, &st, 0), c);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (status %#x)", msg, st);
}

/* From the moment the holder exists, this process may not ioctl(2): the
 * bridge is still created (netlink alone), but marking it ours fails, since
 * the request needs its index and if_nametoindex(3) asks through
 * SIOCGIFINDEX. */
static void deny_ioctl_from_now(void *arg, pid_t pid)
{
	(void)arg;
	(void)pid;
	if (deny_syscall(SYS_ioctl, EPERM) < 0)
		cr_assert_fail("seccomp: %s", strerror(errno));
}

/* A bridge made but not marked would be "someone else's" to the failed
 * start's own cleanup, and to every pod after it: left forever, and in the
 * way of the pod network. */
Test(infra, bridge_that_cannot_be_marked_ours_is_not_left, .init = net_setup, .fini = net_teardown)
{
	struct infra in;
	struct infra_config cfg = {.hostname = "unit-alias",
	                           .on_clone = deny_ioctl_from_now,
	                           .bridge = net_bridge,
	                           .subnet = NET_SUBNET,
	                           .host_index = 5};
	cr_assert_eq(infra_start(&cfg, &in), -1, "started without marking the bridge ours");
	cr_assert_eq(errno, EPERM, "%s", last_error());
	char path[64];
	snprintf(path, sizeof(path), "/sys/class/net/%s", net_bridge);
	cr_assert_eq(access(path, F_OK), -1, "%s was left behind (%s)", net_bridge, last_error());
	char tmp[IF_NAMESIZE];
	snprintf(tmp, sizeof(tmp), INFRA_BRIDGE_TMP_PREFIX "%d", (int)getpid());
	cr_assert_eq(if_nametoindex(tmp), 0, "%s, the bridge before its rename, was left behind",
	             tmp);
	no_child_left();
}

/* From the moment the holder exists, the first ioctl(2) kills this process
 * (SIGSYS), as a crash would. No request before the bridge is made asks
 * through one; the first is if_nametoindex(3)'s (SIOCGIFINDEX), for the
 * index of the bridge just made, which the request that marks it ours needs.
 * Sends the holder's pid first: it lives on, as after a real crash, and the
 * test ends it. */
static void crash_at_first_ioctl(void *arg, pid_t pid)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = ARRAY_SIZE(f), .filter = f};
	if (write(*(int *)arg, &pid, sizeof(pid)) != sizeof(pid) ||
	    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0}) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		_exit(100);
}

/* A start killed between making its bridge and marking it ours. What it
 * leaves must not be a bridge with the pod bridge's name and no mark, which
 * every later start would refuse as someone else's: the next start (after
 * the dead one is reaped) must get the pod network, and once it is done
 * nothing of either start may be left. */
Test(infra, start_killed_while_making_the_bridge_is_no_obstacle, .init = net_setup,
     .fini = net_teardown)
{
	/* the dead start's holder becomes ours, to end */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0, "%s", strerror(errno));
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		close(p[0]);
		struct infra in;
		struct infra_config cfg = {.hostname = "unit-crash",
		                           .on_clone = crash_at_first_ioctl,
		                           .on_clone_arg = &p[1],
		                           .bridge = net_bridge,
		                           .subnet = NET_SUBNET,
		                           .host_index = 7};
		_exit(infra_start(&cfg, &in) < 0 ? 101 : 102);
	}
	close(p[1]);
	pid_t holder = 0;
	ssize_t n = read(p[0], &holder, sizeof(holder));
	close(p[0]);
	int st;
	cr_assert_eq(waitpid(c, &st, 0), c);
	if (n == sizeof(holder) && holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
	}
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	          "the start did not die at its first ioctl (status %#x)", st);
	/* It died with a bridge made: under its temporary name, or (the
	 * window this closes) under the pod bridge's, unmarked. */
	snprintf(net_taken, sizeof(net_taken), INFRA_BRIDGE_TMP_PREFIX "%d", (int)c);
	bool tmp_left = if_nametoindex(net_taken) != 0;
	bool unmarked_left = if_nametoindex(net_bridge) != 0 && !infra_bridge_is_ours(net_bridge);
	cr_assert(tmp_left || unmarked_left,
	          "the start died before it made a bridge: this test tests nothing");

	struct infra in;
	struct infra_config cfg = {
	    .hostname = "unit-next", .bridge = net_bridge, .subnet = NET_SUBNET, .host_index = 8};
	cr_assert_eq(infra_start(&cfg, &in), 0, "the start after the one that died: %s",
	             last_error());
	cr_assert(infra_bridge_is_ours(net_bridge));
	cr_assert_eq(if_nametoindex(net_taken), 0, "%s, the dead start's bridge, is still there",
	             net_taken);
	cr_assert_eq(infra_stop(&in, 1000), 0, "%s", last_error());
	cr_assert_eq(infra_remove_bridge_if_unused(net_bridge), 0, "%s", last_error());
	cr_assert_eq(if_nametoindex(net_bridge), 0, "%s is still there", net_bridge);
	no_child_left();
}

/* Starts that make the same bridge at once: each makes its own under its
 * temporary name, and renames it; the first rename wins, the others get
 * EEXIST, delete theirs and join the winner's. None may fail, nor see the
 * bridge before it is marked ours. (With the bridge made under its own name
 * and marked next, most runs of this test see a start fail so: "exists and
 * podlab did not create it".) */
#define RACERS      4
#define RACE_ROUNDS 40

Test(infra, starts_that_make_the_bridge_at_once_all_get_it, .init = net_setup, .fini = net_teardown)
{
	for (int round = 0; round < RACE_ROUNDS; round++) {
		int go[2], report[2];
		cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
		cr_assert_eq(pipe2(report, O_CLOEXEC), 0);
		pid_t racer[RACERS];
		for (int i = 0; i < RACERS; i++) {
			racer[i] = fork();
			cr_assert_geq(racer[i], 0);
			if (racer[i] > 0)
				continue;
			close(go[1]);
			char c, msg[256] = "";
			if (read(go[0], &c, 1) < 0) /* EOF: all of them go at once */
				_exit(3);
			struct infra in;
			struct infra_config cfg = {.hostname = "unit-race",
			                           .bridge = net_bridge,
			                           .subnet = NET_SUBNET,
			                           .host_index = 2 + i};
			if (infra_start(&cfg, &in) < 0)
				snprintf(msg, sizeof(msg), "start %d: %s\n", i, last_error());
			else
				infra_stop(&in, 1000);
			if (msg[0] && write(report[1], msg, strlen(msg)) < 0) {
			}
			_exit(msg[0] ? 1 : 0);
		}
		close(go[0]);
		close(go[1]);
		close(report[1]);
		char msg[1024] = "";
		size_t got = 0;
		for (ssize_t n; got < sizeof(msg) - 1 &&
		                (n = read(report[0], msg + got, sizeof(msg) - 1 - got)) > 0;)
			got += (size_t)n;
		msg[got] = '\0';
		close(report[0]);
		for (int i = 0; i < RACERS; i++) {
			int st;
			cr_assert_eq(waitpid(racer[i], &st, 0), racer[i]);
			cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "round %d: %s(status %#x)",
			          round, msg, st);
			char tmp[IF_NAMESIZE];
			snprintf(tmp, sizeof(tmp), INFRA_BRIDGE_TMP_PREFIX "%d", (int)racer[i]);
			cr_assert_eq(if_nametoindex(tmp), 0, "round %d: %s was left behind", round,
			             tmp);
		}
		cr_assert(infra_bridge_is_ours(net_bridge), "round %d", round);
		cr_assert_eq(infra_remove_bridge_if_unused(net_bridge), 0, "%s", last_error());
		cr_assert_eq(if_nametoindex(net_bridge), 0, "%s is still there", net_bridge);
	}
	no_child_left();
}

/* A caller started with its stdio closed: the report pipe and /dev/null get
 * fds 0-2 in the holder-to-be, where pause's stdio must go. */
Test(infra, caller_with_stdio_closed)
{
	int saved[3];
	for (int fd = 0; fd < 3; fd++) {
		saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		cr_assert_geq(saved[fd], 3);
		close(fd);
	}
	struct infra bad, in;
	struct infra_config cfg = {.hostname = "t", .pause_path = "/bin/true"};
	int bad_rc = infra_start(&cfg, &bad);
	char bad_msg[1024];
	snprintf(bad_msg, sizeof(bad_msg), "%s", last_error());
	cfg.pause_path = NULL;
	int rc = infra_start(&cfg, &in);
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", last_error());
	/* /dev/null, whatever path it shows: pause opened it in a mount
	 * namespace whose copy of /dev is detached from every root now */
	bool null_fd[3] = {false, false, false};
	struct stat null_st;
	cr_assert_eq(stat("/dev/null", &null_st), 0);
	for (int fd = 0; rc == 0 && fd < 3; fd++) {
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)in.pid, fd);
		null_fd[fd] =
		    stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev;
	}
	if (rc == 0)
		infra_stop(&in, 1000);
	if (bad_rc == 0)
		infra_stop(&bad, 0);
	for (int fd = 0; fd < 3; fd++) {
		dup2(saved[fd], fd);
		close(saved[fd]);
	}
	/* the failure of the exec is still reported, not lost on /dev/null */
	cr_assert_eq(bad_rc, -1);
	cr_assert(strstr(bad_msg, "must be a static binary"), "%s", bad_msg);
	cr_assert_eq(rc, 0, "%s", msg);
	for (int fd = 0; fd < 3; fd++)
		cr_assert(null_fd[fd], "pause's fd %d is not /dev/null", fd);
	no_child_left();
}

/* From the moment the holder exists, this process may not setns(2): the
 * bridge and the veth are made, and the start fails at the last step,
 * configuring eth0 from inside the pod (nl_open_in). Records the holder's
 * pid, which names the veth. */
static void deny_setns_from_now(void *arg, pid_t pid)
{
	*(pid_t *)arg = pid;
	if (deny_syscall(SYS_setns, EPERM) < 0)
		cr_assert_fail("seccomp: %s", strerror(errno));
}

Test(infra, pod_network_that_fails_after_the_veth_leaves_nothing, .init = net_setup,
     .fini = net_teardown)
{
	struct infra in;
	pid_t holder = 0;
	struct infra_config cfg = {.hostname = "unit-late",
	                           .on_clone = deny_setns_from_now,
	                           .on_clone_arg = &holder,
	                           .bridge = net_bridge,
	                           .subnet = NET_SUBNET,
	                           .host_index = 6};
	cr_assert_eq(infra_start(&cfg, &in), -1, "started without configuring eth0");
	cr_assert(strstr(last_error(), "setns"), "%s", last_error());
	no_child_left();
	cr_assert_eq(if_nametoindex(net_bridge), 0, "%s was left behind", net_bridge);
	char veth[IF_NAMESIZE];
	snprintf(veth, sizeof(veth), "veth%d", (int)holder);
	cr_assert(link_goes(veth), "%s was left behind", veth);
}
