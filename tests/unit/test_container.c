/*
 * test_container.c - the parts of a container that need no kernel: the
 * capability arithmetic, exit reasons, and the errors ctr_start reports
 * before anything is created.
 */
#include "container.h"

#include "common.h"

#include <criterion/criterion.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
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
