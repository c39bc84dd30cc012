/*
 * ns.h - Linux namespaces: the table of types, and the operations every later
 * lab builds on: open a process's namespaces, join them, compare them.
 *
 * A namespace is named by a set bit: NS_BIT(NS_NET) | NS_BIT(NS_UTS) ...
 * A process's namespaces are the links under /proc/PID/ns/; two processes
 * share a namespace exactly when stat(2) on those links gives the same
 * (st_dev, st_ino): the inode on the nsfs pseudo-filesystem, and that
 * filesystem's device.
 */
#ifndef PODLAB_NS_H
#define PODLAB_NS_H

#include <stdbool.h>
#include <sys/types.h>

enum ns_type { NS_USER, NS_MNT, NS_UTS, NS_IPC, NS_PID, NS_NET, NS_CGROUP, NS_TIME, NS_COUNT };

#define NS_BIT(t) (1u << (t))
#define NS_ALL    ((1u << NS_COUNT) - 1)

struct ns_info {
	enum ns_type type;
	const char *name;     /* "net": the name used on command lines and in /proc/PID/ns/ */
	int clone_flag;       /* CLONE_NEWNET */
	const char *isolates; /* one line for usage() and the lesson */
};

/* Indexed by enum ns_type. */
extern const struct ns_info ns_table[NS_COUNT];

/* "net,ipc,uts" -> bit set. "all" is every type. An unknown name fails with
 * EINVAL and last_error() "unknown namespace 'foo' (known: user, mnt, ...)"; so does an
 * empty list or an empty name in it ("net,,uts"). */
int ns_parse(const char *list, unsigned *set);
/* The other way: a set -> "uts,ipc,net", in the table's order ("" for none),
 * cut short to fit len. */
void ns_names(unsigned set, char *buf, size_t len);
/* The CLONE_NEW* flags of a set, for clone(2)/unshare(2). */
int ns_clone_flags(unsigned set);
/* The type named name, or -1. */
int ns_lookup(const char *name);

/* The inode of /proc/PID/ns/<type> (pid 0 = self). */
int ns_inode(pid_t pid, enum ns_type type, ino_t *ino);
/* Does this kernel have namespaces of this type (time came in 5.6)? Asked of
 * our own /proc/self/ns/, because ENOENT on another process's link also means
 * that process has exited: only this tells the two apart. */
bool ns_supported(enum ns_type type);
/* 1 if a and b are in the same namespace of this type, 0 if not, -1 on error. */
int ns_same(pid_t a, pid_t b, enum ns_type type);
/* The set of types in which a and b differ. A type this kernel does not have
 * is left out; a process that does not exist is an error (ENOENT). */
int ns_differing(pid_t a, pid_t b, unsigned *set);

/* Open /proc/PID/ns/<type> for every type in set, O_RDONLY|O_CLOEXEC, into
 * fds[type]; the others are -1. On failure nothing stays open. */
int ns_open(pid_t pid, unsigned set, int fds[NS_COUNT]);
/* Join with setns(2) every namespace whose fd is >= 0, as util-linux nsenter
 * does: first every type but user, mnt last (joining it changes root and
 * cwd), as far as our own capabilities allow; then user (it trades our
 * capabilities for those we have in it); then again those setns refused with
 * EPERM the first time. The pid namespace applies to children only. */
int ns_join(const int fds[NS_COUNT]);
void ns_close(int fds[NS_COUNT]);

/* Bring the loopback interface of the current network namespace up. */
int ns_lo_up(void);

#endif
