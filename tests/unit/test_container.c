/*
 * test_container.c - the parts of a container that need no kernel: the
 * capability arithmetic, exit reasons, and the errors ctr_start reports
 * before anything is created; and, with the busybox image, what a container
 * holds of its caller while it is built.
 */
#include "container.h"

#include "common.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define DEFAULT_MASK UINT64_C(0xa80425fb) /* what Docker's containers show as CapEff */
#define BIT(c)       (UINT64_C(1) << (c))

Test(ctr_caps, default_set)
{
	struct ctr_config cfg = {0};
	uint64_t m;
	cr_assert_eq(ctr_caps_mask(&cfg, &m), 0);
	cr_expect_eq(m, DEFAULT_MASK, "mask %llx", (unsigned long long)m);
	size_t n = 0;
	while (ctr_default_caps[n])
		n++;
	cr_expect_eq(n, 14);
}

Test(ctr_caps, add_and_drop_with_or_without_prefix)
{
	const char *add[] = {"NET_ADMIN", "cap_sys_ptrace", NULL};
	const char *drop[] = {"CAP_NET_RAW", "mknod", NULL};
	struct ctr_config cfg = {.cap_add = add, .cap_drop = drop};
	uint64_t m;
	cr_assert_eq(ctr_caps_mask(&cfg, &m), 0, "%s", last_error());
	uint64_t want = (DEFAULT_MASK | BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_PTRACE)) &
	                ~(BIT(CAP_NET_RAW) | BIT(CAP_MKNOD));
	cr_expect_eq(m, want, "mask %llx", (unsigned long long)m);
}

Test(ctr_caps, all)
{
	const char *all[] = {"ALL", NULL};
	const char *chown_only[] = {"CHOWN", NULL};
	uint64_t m;
	struct ctr_config cfg = {.cap_drop = all, .cap_add = chown_only};
	cr_assert_eq(ctr_caps_mask(&cfg, &m), 0);
	cr_expect_eq(m, BIT(CAP_CHOWN), "drop ALL + add CHOWN");
	cfg = (struct ctr_config){.cap_add = all, .cap_drop = chown_only};
	cr_assert_eq(ctr_caps_mask(&cfg, &m), 0);
	cr_expect(m & BIT(CAP_SYS_ADMIN));
	cr_expect_not(m & BIT(CAP_CHOWN), "add ALL then drop CHOWN");
	cfg = (struct ctr_config){.privileged = true, .cap_drop = chown_only};
	cr_assert_eq(ctr_caps_mask(&cfg, &m), 0);
	cr_expect(m & BIT(CAP_CHOWN), "privileged keeps everything");
	cr_expect(m & BIT(CAP_SYS_ADMIN));
	/* containerd and CRI-O apply add's ALL first, then drop's ALL: both
	 * together leave nothing but the names added (a policy that appends
	 * drop: [ALL] to every container must win over an add: [ALL]) */
	cfg = (struct ctr_config){.cap_add = all, .cap_drop = all};
	cr_assert_eq(ctr_caps_mask(&cfg, &m), 0);
	cr_expect_eq(m, 0, "add ALL + drop ALL: mask %llx", (unsigned long long)m);
	const char *all_and_chown[] = {"ALL", "CHOWN", NULL};
	cfg = (struct ctr_config){.cap_add = all_and_chown, .cap_drop = all};
	cr_assert_eq(ctr_caps_mask(&cfg, &m), 0);
	cr_expect_eq(m, BIT(CAP_CHOWN), "add [ALL, CHOWN] + drop ALL: mask %llx",
	             (unsigned long long)m);
}

Test(ctr_caps, unknown_name_is_an_error)
{
	const char *add[] = {"NET_WIZARD", NULL};
	struct ctr_config cfg = {.cap_add = add};
	uint64_t m;
	cr_expect_eq(ctr_caps_mask(&cfg, &m), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect(strstr(last_error(), "NET_WIZARD"), "message: %s", last_error());
	const char *num[] = {"12", NULL};
	cfg = (struct ctr_config){.cap_drop = num};
	cr_expect_eq(ctr_caps_mask(&cfg, &m), -1, "numbers are not names");
}

Test(ctr_terminated, reasons)
{
	struct ctr c = {.state = CTR_RUNNING, .pidfd = -1};
	ctr_terminated(&c, 0); /* exit 0 */
	cr_expect_eq(c.state, CTR_TERMINATED);
	cr_expect_eq(c.exit_code, 0);
	cr_expect_str_eq(c.reason, "Completed");
	c = (struct ctr){.state = CTR_RUNNING, .pidfd = -1};
	ctr_terminated(&c, 2 << 8); /* exit 2 */
	cr_expect_eq(c.exit_code, 2);
	cr_expect_str_eq(c.reason, "Error");
	c = (struct ctr){.state = CTR_RUNNING, .pidfd = -1};
	ctr_terminated(&c, SIGKILL); /* killed */
	cr_expect_eq(c.exit_code, 137);
	cr_expect_eq(c.signal, SIGKILL);
	cr_expect_str_eq(c.reason, "SIGKILL");
	cr_expect(c.finished_at > 0);
}

Test(ctr_start, missing_image_is_reported_first)
{
	char *argv[] = {"true", NULL};
	struct ctr_config cfg = {.name = "web",
	                         .image = "busybox:nope",
	                         .images_dir = "/nonexistent-podlab-images",
	                         .argv = argv};
	struct ctr c;
	cr_expect_eq(ctr_start(NULL, &cfg, &c), -1);
	cr_expect(strstr(last_error(), "container web: "), "message: %s", last_error());
	cr_expect(strstr(last_error(), "/nonexistent-podlab-images/busybox/nope/rootfs"),
	          "names the path: %s", last_error());
	cr_expect_eq(c.state, CTR_WAITING);
}

Test(ctr_start, no_command)
{
	char *argv[] = {NULL};
	struct ctr_config cfg = {.name = "web", .image = "busybox", .argv = argv};
	struct ctr c;
	cr_expect_eq(ctr_start(NULL, &cfg, &c), -1);
	cr_expect_eq(errno, EINVAL);
}

Test(ctr_stop, safe_on_a_container_that_never_ran)
{
	struct ctr c = {.state = CTR_WAITING, .pidfd = -1};
	cr_expect_eq(ctr_stop(&c, 10), 0);
	cr_expect_eq(ctr_wait(&c), 0);
}

/* setup_child: what PR_GET_DUMPABLE says where it runs (C, or H before it
 * clones C), in memory shared with the test. */
static int *dumpable_seen;
static int note_dumpable(void *arg)
{
	(void)arg;
	*dumpable_seen = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

/* runc's nsexec makes itself non-dumpable before it clones anything (runc
 * CVE-2016-9962): C must never be dumpable in the pod's pid namespace,
 * where the other containers' processes see it, while it holds the
 * caller's fds. setup_child runs at C's (or H's) first steps. */
Test(ctr_start, not_dumpable_from_the_first_step_in_c_and_in_h)
{
	dumpable_seen =
	    mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(dumpable_seen, MAP_FAILED);
	cr_assert_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1, "the test itself is dumpable");
	char dir[] = "/tmp/podlab-test-dumpable.XXXXXX", state[PATH_MAX];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	char *argv[] = {"true", NULL};
	struct ctr_config cfg = {.name = "dumpable",
	                         .image = "busybox",
	                         .state_dir = state,
	                         .argv = argv,
	                         .stdin_fd = -1,
	                         .stdout_fd = -1,
	                         .stderr_fd = -1,
	                         .setup_child = note_dumpable};
	/* C, cloned by the caller */
	*dumpable_seen = -1;
	struct ctr c;
	cr_assert_eq(ctr_start(NULL, &cfg, &c), 0, "%s", last_error());
	ctr_wait(&c);
	ctr_cleanup(&cfg);
	rmdir(dir);
	cr_expect_eq(*dumpable_seen, 0, "C was dumpable at its first step");
	/* H, which clones C in a pod that shares its pid namespace (here
	 * without a sandbox: H fails right after setup_child) */
	*dumpable_seen = -1;
	cfg.share_pid = true;
	cr_expect_eq(ctr_start(NULL, &cfg, &c), -1);
	cr_expect_eq(*dumpable_seen, 0, "H was dumpable before it cloned C");
	munmap(dumpable_seen, sizeof(int));
}

/* The fds C holds while it waits to be placed, seen from the caller. */
struct held {
	int n;
	char what[8][PATH_MAX];
};

static int look_at_fds(void *arg, pid_t pid)
{
	struct held *h = arg;
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "opendir(%s): %s", dir, strerror(errno));
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char link[PATH_MAX], target[PATH_MAX] = "";
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (h->n < 8)
			snprintf(h->what[h->n], PATH_MAX, "%s -> %.*s", e->d_name,
			         (int)(len > 0 ? len : 0), target);
		h->n++;
	}
	closedir(d);
	return 0;
}

/* Run `true` in a busybox container, with the hooks of cfg (place,
 * building), from a state directory of its own, to its end. */
static void run_true(const char *name, struct ctr_config cfg)
{
	char dir[] = "/tmp/podlab-test-ctr.XXXXXX", state[PATH_MAX];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	char *argv[] = {"true", NULL};
	cfg.name = name;
	cfg.image = "busybox";
	cfg.state_dir = state;
	cfg.argv = argv;
	cfg.stdin_fd = cfg.stdout_fd = cfg.stderr_fd = -1;
	struct ctr c;
	cr_assert_eq(ctr_start(NULL, &cfg, &c), 0, "%s", last_error());
	ctr_wait(&c);
	cr_expect_eq(c.exit_code, 0);
	ctr_cleanup(&cfg);
	rmdir(dir);
}

/* Until execve, C is root in the container's root, resolving paths there: a
 * caller's fd it still held, close-on-exec or not, would be a way out
 * through /proc/self/fd/N (runc CVE-2024-21626). It keeps stdio and its two
 * pipes to the caller, nothing else. */
Test(ctr_start, the_container_holds_none_of_its_callers_fds)
{
	int stray = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(stray, 3);
	struct held h = {0};
	run_true("fds", (struct ctr_config){.place = look_at_fds, .place_arg = &h});
	close(stray);
	for (int i = 0; i < h.n && i < 8; i++)
		cr_log_info("%s", h.what[i]);
	cr_assert_eq(h.n, 5, "C holds %d fds, not stdio and its two pipes (see the log)", h.n);
}

/* building runs in the caller once C is cloned, with place's argument, and
 * before place: the work it starts there is ready by the time C is built. */
struct order {
	int seq, building, place;
};

static void note_building(void *arg)
{
	struct order *o = arg;
	o->building = ++o->seq;
}

static int note_place(void *arg, pid_t pid)
{
	struct order *o = arg;
	cr_expect_gt(pid, 0);
	o->place = ++o->seq;
	return 0;
}

Test(ctr_start, building_runs_once_before_place)
{
	struct order o = {0};
	run_true("building", (struct ctr_config){
	                         .place = note_place, .place_arg = &o, .building = note_building});
	cr_expect_eq(o.seq, 2, "building and place were called %d times in all, not once each",
	             o.seq);
	cr_expect_eq(o.building, 1, "building was not called first");
	cr_expect_eq(o.place, 2, "place was not called after building");
}

/* A caller started with its stdio closed: the error pipe gets fds 0-2 in C,
 * where the command's stdio must go. Proven: without fd_above_stdio in
 * container_main the start "succeeds" and the exec's error lands in the
 * command's stdout pipe. */
Test(ctr_start, a_caller_with_stdio_closed_still_hears_why_the_start_failed)
{
	char dir[] = "/tmp/podlab-test-ctrstdio.XXXXXX", state[PATH_MAX];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	int out[2];
	cr_assert_eq(pipe2(out, O_CLOEXEC | O_NONBLOCK), 0);
	int saved[3];
	for (int fd = 0; fd < 3; fd++) {
		saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		cr_assert_geq(saved[fd], 3);
		close(fd);
	}
	char *argv[] = {"/no/such/command", NULL};
	struct ctr_config cfg = {.name = "stdio",
	                         .image = "busybox",
	                         .state_dir = state,
	                         .argv = argv,
	                         .stdin_fd = -1,
	                         .stdout_fd = out[1],
	                         .stderr_fd = out[1]};
	struct ctr c;
	int rc = ctr_start(NULL, &cfg, &c);
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", last_error());
	if (rc == 0)
		ctr_wait(&c);
	for (int fd = 0; fd < 3; fd++) {
		dup2(saved[fd], fd);
		close(saved[fd]);
	}
	close(out[1]);
	char got[256] = "";
	ssize_t n = read(out[0], got, sizeof(got) - 1);
	close(out[0]);
	ctr_cleanup(&cfg);
	rmdir(dir);
	cr_assert_eq(rc, -1, "the start succeeded (%zd bytes on stdout: %.*s)", n,
	             (int)(n > 0 ? n : 0), got);
	cr_expect(strstr(msg, "execve(/no/such/command)"), "message: %s", msg);
	cr_expect_leq(n, 0, "nothing on the command's stdout: %.*s", (int)(n > 0 ? n : 0), got);
}
