/*
 * step5_userns - a user namespace: an unprivileged process becomes root, with
 * every capability, over the namespaces it owns and nothing else.
 *
 * Concept: unshare(CLONE_NEWUSER) needs no privilege. The process gets a full
 * capability set in the new user namespace, but its user ID is unmapped
 * (shown as 65534, the "overflow" ID) until a uid_map says which outside IDs
 * the inside IDs stand for. An unprivileged process may map exactly one ID:
 * its own. Before it may write gid_map it must give up setgroups(2) by
 * writing "deny" to /proc/PID/setgroups: otherwise it could drop a
 * supplementary group that a file's permissions deny access to.
 *
 * The capabilities count only against objects owned by the new user
 * namespace (namespaces created from inside it). The host's hostname still
 * belongs to the host's user namespace, so sethostname(2) is refused.
 *
 * Run as root, the program first drops to uid/gid 65534 (nobody), or to the
 * ids --as names, so what it shows is what any unprivileged user gets. It
 * forks: the parent stays outside, unprivileged, the child creates the user
 * namespace.
 *
 * Syscalls: setgroups(2), setgid(2), setuid(2), prctl(PR_SET_DUMPABLE),
 * unshare(CLONE_NEWUSER), writes to /proc/self/{uid_map,setgroups,gid_map},
 * sethostname(2), unshare(CLONE_NEWUTS); libcap: cap_get_proc, cap_to_text.
 */
#include "common.h"
#include "ns.h"

#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define NOBODY 65534

static void usage(FILE *out)
{
	fprintf(out, "usage: step5_userns [--hold] [--as UID:GID]\n"
	             "As an unprivileged user, create a user namespace, map uid 0 inside to our\n"
	             "uid outside, and compare the capabilities inside and outside.\n"
	             "  --hold     keep both processes alive until killed and print their pids:\n"
	             "             cat /proc/PID/uid_map; grep Cap /proc/PID/status\n"
	             "  --as UID:GID\n"
	             "             run as root, drop to these ids, not nobody's (65534:65534):\n"
	             "             a uid and a gid that differ show which map holds which\n"
	             "  --help     show this help\n");
}

/* "where: uid U gid G, capabilities =ep" */
static void show(const char *where)
{
	cap_t caps = cap_get_proc();
	if (!caps)
		die_errno("cap_get_proc");
	char *text = cap_to_text(caps, NULL);
	if (!text)
		die_errno("cap_to_text");
	/* cap_to_text says "=" for the empty set and "=ep" for all of them. */
	printf("   %-28s uid %-6d gid %-6d capabilities %s\n", where, (int)getuid(), (int)getgid(),
	       text);
	cap_free(text);
	cap_free(caps);
}

static void drop_root(uid_t uid, gid_t gid)
{
	step("dropping root: setgroups(0), setgid(%d), setuid(%d)", (int)gid, (int)uid);
	/* Groups and gid first: after setuid we no longer may change them. */
	if (setgroups(0, NULL) < 0)
		die_errno("setgroups(0)");
	if (setgid(gid) < 0)
		die_errno("setgid(%d)", (int)gid);
	if (setuid(uid) < 0)
		die_errno("setuid(%d)", (int)uid);
	/* Changing uid set our dumpable flag to fs.suid_dumpable: unless that is
	 * 1, we are "non-dumpable", which makes our /proc/self files root's,
	 * uid_map included: we could not write it. */
	if (prctl(PR_SET_DUMPABLE, 1) < 0)
		die_errno("prctl(PR_SET_DUMPABLE)");
	step_done();
}

/* Map uid 0 and gid 0 of our new user namespace to our own uid and gid
 * outside: the one mapping an unprivileged process may write. */
static int map_self(uid_t uid, gid_t gid)
{
	/* BEGIN EXERCISE: ns-map-self (moderate, 30 min): write uid_map, setgroups and gid_map
	 * Hint: README.md "step5_userns — a user namespace"; man 7 user_namespaces ("User and group
	 * ID mappings", "Interaction with system calls that change process UIDs or GIDs"): the
	 * format of a map line, and what must come before an unprivileged gid_map. */
	/* STUB: (void)uid; (void)gid; return exercise_todo(1, "ns-map-self"); */
	if (write_file("/proc/self/uid_map", "0 %d 1", (int)uid) < 0)
		return -1;
	if (write_file("/proc/self/setgroups", "deny") < 0)
		return -1;
	return write_file("/proc/self/gid_map", "0 %d 1", (int)gid);
	/* END EXERCISE */
}

static int child(bool hold)
{
	uid_t uid = getuid();
	gid_t gid = getgid();

	step("unshare(CLONE_NEWUSER)");
	if (unshare(CLONE_NEWUSER) < 0)
		die_errno("unshare(CLONE_NEWUSER)");
	step_done();
	show("inside, before the maps:");

	step("writing uid_map \"0 %d 1\", setgroups \"deny\", gid_map \"0 %d 1\"", (int)uid,
	     (int)gid);
	if (map_self(uid, gid) < 0)
		die_last();
	step_done();
	show("inside, after the maps:");

	/* Full capabilities, but the host's UTS namespace is not ours: the
	 * kernel asks for CAP_SYS_ADMIN in the user namespace that owns it, and
	 * refuses with EPERM. Only EPERM is that refusal. Any other errno (a
	 * seccomp filter's ENOSYS, say) is a failure that proves nothing about
	 * user namespaces, and must not be passed off as the lesson. */
	step("sethostname in the host's UTS namespace");
	if (sethostname("podlab-userns", 13) == 0)
		die("sethostname succeeded: the user namespace leaks privilege");
	if (errno != EPERM) {
		const char *name = strerrorname_np(errno);
		die_errno("sethostname(podlab-userns) in the host's UTS namespace: %s, where the "
		          "kernel's refusal is EPERM",
		          name ? name : "an unknown errno");
	}
	step_done_with("refused with EPERM, as it should be");
	step("unshare(CLONE_NEWUTS) and sethostname there");
	if (unshare(CLONE_NEWUTS) < 0)
		die_errno("unshare(CLONE_NEWUTS)");
	if (sethostname("podlab-userns", 13) < 0)
		die_errno("sethostname(podlab-userns)");
	step_done_with("allowed: this UTS namespace belongs to our user namespace");

	if (hold) {
		printf("holding: inside pid %d (kill it to end)\n", (int)getpid());
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0;
}

/* "UID:GID", neither of them root's */
static void parse_ids(const char *s, uid_t *uid, gid_t *gid)
{
	char buf[64];
	long u, g;
	const char *colon = strchr(s, ':');
	if (!colon || snprintf(buf, sizeof(buf), "%.*s", (int)(colon - s), s) >= (int)sizeof(buf) ||
	    parse_long(buf, 1, INT32_MAX, &u) < 0 || parse_long(colon + 1, 1, INT32_MAX, &g) < 0)
		die_usage("--as wants UID:GID, two ids other than 0, not '%s'", s);
	*uid = (uid_t)u;
	*gid = (gid_t)g;
}

int main(int argc, char **argv)
{
	bool hold = false, as = false;
	uid_t uid = NOBODY;
	gid_t gid = NOBODY;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--hold")) {
			hold = true;
		} else if (!strcmp(argv[i], "--as")) {
			if (++i == argc)
				die_usage("--as wants UID:GID");
			parse_ids(argv[i], &uid, &gid);
			as = true;
		} else {
			die_usage("unknown argument '%s'", argv[i]);
		}
	}
	if (as && geteuid() != 0)
		die_usage("--as needs root: it names the ids root drops to");

	show("at start:");
	if (geteuid() == 0)
		drop_root(uid, gid);
	show("outside, unprivileged:");

	/* Said before the fork: after it, this line could land in the middle
	 * of one of the child's step lines ("=> ... " waits for its "done"). */
	if (hold)
		printf("holding: outside pid %d\n", (int)getpid());
	fflush(stdout); /* the child would print our buffered lines again */
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			die_errno("prctl(PR_SET_PDEATHSIG)");
		if (getppid() != parent)
			return 1; /* the parent died before the death signal was armed */
		return child(hold);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid(%d)", (int)pid);
	if (WIFSIGNALED(status))
		return hold ? 0 : 1;
	return WEXITSTATUS(status);
}
