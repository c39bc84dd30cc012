/*
 * nscmp - which namespaces do two processes share? Look before you join
 * (step4_setns): lsns in miniature.
 *
 * Concept: /proc/PID/ns/<type> is a magic link to the namespace the process
 * is in. stat(2) on it gives the namespace's identity: an inode number on the
 * nsfs pseudo-filesystem (and that filesystem's device). Two processes share
 * a namespace of a type exactly when these are equal; names and paths do not
 * matter, and there is no other ID.
 *
 * Syscalls: stat(2) on /proc/PID/ns/<type> (ns_inode, ns_same).
 */
#include "common.h"
#include "ns.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: nscmp PID1 [PID2]\n"
	             "For each namespace type, print both processes' namespace inodes and whether\n"
	             "they share it.\n"
	             "  PID1, PID2 the processes to compare (PID2 defaults to nscmp itself)\n"
	             "  --help     show this help\n");
}

static pid_t parse_pid(const char *s)
{
	long pid;
	if (parse_long(s, 1, INT32_MAX, &pid) < 0)
		die_usage("PID must be a positive number, not '%s'", s);
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		die("no such process: %ld", pid);
	return (pid_t)pid;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || argc > 3)
		die_usage("expected PID1 [PID2]");
	pid_t a = parse_pid(argv[1]);
	pid_t b = argc == 3 ? parse_pid(argv[2]) : 0; /* 0: ourselves */

	char bname[32];
	snprintf(bname, sizeof(bname), "%d", b ? (int)b : (int)getpid());
	printf("%-8s %-12d %-12s\n", "TYPE", (int)a, bname);
	for (int t = 0; t < NS_COUNT; t++) {
		ino_t ia, ib;
		if (ns_inode(a, t, &ia) < 0) {
			/* ENOENT is also what a process that exited since
			 * parse_pid() gives: skip only a type this kernel does
			 * not have, or the table would end short with exit 0. */
			if (errno == ENOENT && !ns_supported(t))
				continue;
			die_last();
		}
		if (ns_inode(b, t, &ib) < 0)
			die_last();
		int same = ns_same(a, b, t);
		if (same < 0)
			die_last();
		printf("%-8s %-12lu %-12lu %s\n", ns_table[t].name, (unsigned long)ia,
		       (unsigned long)ib, same ? "shared" : "different");
	}
	return 0;
}
