/*
 * test_ipam.c - unit tests of capstone/ipam.c, the pod addresses: one file
 * per address taken, handed out round the subnet, leftovers of killed
 * supervisors taken over, and the addresses of pods an earlier podrun
 * started kept.
 *
 * Each test has a state root of its own in /tmp (PODRUN_ROOT). A "pod" is
 * only what ipam reads of one: ROOT/pods/NAME/ip.
 */
#include "common.h"
#include "ipam.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUBNET "198.19.200.0/29" /* .2 to .6: five addresses */

static char root[64];

static void make_root(void)
{
	snprintf(root, sizeof(root), "/tmp/podlab-test-ipam.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	cr_assert_eq(setenv("PODRUN_ROOT", root, 1), 0);
	/* as a start finds it: its own pod's directory is made first */
	char pods[128];
	snprintf(pods, sizeof(pods), "%s/pods", root);
	cr_assert_eq(mkdir(pods, 0700), 0);
}

static void remove_root(void)
{
	rm_rf(root);
}

TestSuite(ipam, .init = make_root, .fini = remove_root);

/* ROOT/pods/NAME/ip says ip ("" for a pod without one) */
static void record(const char *name, const char *ip)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/pods/%s", root, name);
	cr_assert_eq(mkdir_p(path, 0700), 0, "%s", last_error());
	strcat(path, "/ip");
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", ip);
	fclose(f);
}

/* What a pod's start does: take an address, record it. */
static int start(const char *name, char ip[INET_ADDRSTRLEN])
{
	int idx = ipam_reserve(SUBNET, name, ip);
	if (idx >= 0)
		record(name, ip);
	return idx;
}

/* What a pod's end does: give it back, then record none. */
static void end(const char *name, const char *ip)
{
	cr_assert_eq(ipam_release(ip, name), 0, "%s", last_error());
	record(name, "");
}

/* The pod NAME the file of ip names, "" when there is none. */
static const char *holder(const char *ip)
{
	static char name[256];
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/pods/.ips/%s", root, ip);
	name[0] = '\0';
	if (read_file(path, name, sizeof(name)) < 0)
		cr_assert_eq(errno, ENOENT, "%s", last_error());
	return name;
}

static void plant(const char *ip, const char *content)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/pods/.ips", root);
	cr_assert_eq(mkdir_p(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/pods/.ips/%s", root, ip);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(content, f);
	fclose(f);
}

Test(ipam, hands_out_addresses_round_the_subnet_not_the_lowest_free)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];
	cr_assert_eq(start("a", a), 2, "%s", last_error());
	cr_assert_str_eq(a, "198.19.200.2");
	cr_assert_eq(start("b", b), 3);
	cr_assert_str_eq(b, "198.19.200.3");
	cr_assert_str_eq(holder(a), "a");
	cr_assert_str_eq(holder(b), "b");
	/* a's address is free again, but the search goes on after b's */
	end("a", a);
	cr_assert_str_eq(holder(a), "");
	cr_assert_eq(start("c", c), 4);
	cr_assert_str_eq(c, "198.19.200.4");
}

Test(ipam, wraps_round_and_refuses_a_full_subnet_with_enospc)
{
	char ip[5][INET_ADDRSTRLEN], more[INET_ADDRSTRLEN];
	const char *names[] = {"p2", "p3", "p4", "p5", "p6"};
	for (int i = 0; i < 5; i++)
		cr_assert_eq(start(names[i], ip[i]), 2 + i, "%s", last_error());
	/* .7 is the broadcast's: the subnet is full */
	cr_assert_eq(ipam_reserve(SUBNET, "more", more), -1);
	cr_assert_eq(errno, ENOSPC);
	cr_assert_str_eq(last_error(), "no free address in " SUBNET);
	cr_assert_str_eq(more, "");
	/* the one given back, in the middle, is the one found after the wrap */
	end("p4", ip[2]);
	cr_assert_eq(start("more", more), 4);
	cr_assert_str_eq(holder(more), "more");
}

Test(ipam, takes_over_the_leftovers_of_pods_that_are_gone_or_moved_on)
{
	record("alive", "198.19.200.2");
	plant("198.19.200.2", "alive\n"); /* its pod says so: kept */
	plant("198.19.200.3", "gone\n");  /* no such pod */
	plant("198.19.200.4", "");        /* its taker died before it wrote */
	record("moved", "198.19.200.6");  /* its pod says another address */
	plant("198.19.200.5", "moved\n");
	char ip[INET_ADDRSTRLEN];
	cr_assert_eq(start("new1", ip), 3, "%s", last_error());
	cr_assert_eq(start("new2", ip), 4);
	cr_assert_eq(start("new3", ip), 5);
	cr_assert_str_eq(holder("198.19.200.2"), "alive");
	cr_assert_str_eq(holder("198.19.200.5"), "new3");
}

Test(ipam, gives_back_only_its_own_address)
{
	char ip[INET_ADDRSTRLEN];
	cr_assert_eq(start("a", ip), 2);
	cr_assert_eq(ipam_release(ip, "b"), 0);
	cr_assert_str_eq(holder(ip), "a");
	cr_assert_eq(ipam_release("", "a"), 0);
	cr_assert_eq(ipam_release(ip, "a"), 0);
	cr_assert_str_eq(holder(ip), "");
	/* twice is fine: the file is gone */
	cr_assert_eq(ipam_release(ip, "a"), 0);
}

Test(ipam, keeps_the_addresses_of_pods_started_before_the_files_existed)
{
	/* pods an earlier podrun started: their address is in their state only */
	record("old2", "198.19.200.2");
	record("old3", "198.19.200.3");
	record("stopped", "");
	/* and a list a start killed halfway through its making left */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/pods/.ips.new", root);
	cr_assert_eq(mkdir_p(path, 0700), 0);
	strcat(path, "/198.19.200.4");
	cr_assert_eq(close(open(path, O_WRONLY | O_CREAT, 0600)), 0);
	char ip[INET_ADDRSTRLEN];
	cr_assert_eq(start("new", ip), 4, "%s", last_error());
	cr_assert_str_eq(holder("198.19.200.2"), "old2");
	cr_assert_str_eq(holder("198.19.200.3"), "old3");
	snprintf(path, sizeof(path), "%s/pods/.ips.new", root);
	cr_assert_eq(access(path, F_OK), -1, "the half-made list stayed");
}

Test(ipam, never_writes_through_a_symlink_planted_for_an_address)
{
	char dir[PATH_MAX], link[PATH_MAX + 16], target[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/pods/.ips", root);
	cr_assert_eq(mkdir_p(dir, 0700), 0);
	snprintf(target, sizeof(target), "%s/outside", root);
	snprintf(link, sizeof(link), "%s/198.19.200.2", dir);
	cr_assert_eq(symlink(target, link), 0);
	char ip[INET_ADDRSTRLEN];
	cr_assert_eq(start("a", ip), 3, "%s", last_error());
	cr_assert_eq(access(target, F_OK), -1, "the symlink was followed");
	struct stat st;
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the symlink was taken over");
}

Test(ipam, a_hint_that_is_not_a_host_index_of_the_subnet_starts_at_the_lowest)
{
	plant("last-198.19.200.0_29", "900\n"); /* a /24's, say */
	char ip[INET_ADDRSTRLEN];
	cr_assert_eq(start("a", ip), 2, "%s", last_error());
	end("a", ip);
	plant("last-198.19.200.0_29", "garbage");
	cr_assert_eq(start("b", ip), 2);
}

Test(ipam, a_slash_30_has_one_address_for_a_pod_and_a_slash_31_none)
{
	char ip[INET_ADDRSTRLEN];
	cr_assert_eq(ipam_reserve("198.19.200.0/30", "a", ip), 2, "%s", last_error());
	cr_assert_str_eq(ip, "198.19.200.2");
	record("a", ip);
	cr_assert_eq(ipam_reserve("198.19.200.0/30", "b", ip), -1);
	cr_assert_eq(errno, ENOSPC);
	cr_assert_eq(ipam_reserve("198.19.200.0/31", "b", ip), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_str_eq(last_error(), "bad subnet '198.19.200.0/31': prefix must be 15 to 30");
}
