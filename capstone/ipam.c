/*
 * ipam.c - pod addresses, one O_EXCL file each (see ipam.h).
 *
 * Syscalls: openat(2) with O_CREAT|O_EXCL, the one atomic "take it if free"
 * a directory offers; unlinkat(2) to give one back; pread/pwrite(2) of the
 * round-robin hint; mkdir(2) and rename(2) to make the directory whole or
 * not at all.
 */
#include "ipam.h"

#include "common.h"
#include "infra.h"
#include "state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ROOT/pods/.ips: on the state's tmpfs, where a file costs microseconds
 * (on this VM's ext4 an O_EXCL create took 0.4 ms), and which a reboot
 * empties along with the pods that held the addresses. No pod is named
 * ".ips": a pod's name starts with a letter or a digit. */
static void ips_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/pods/" IPAM_DIR "%s%s", state_root(), name ? "/" : "",
	         name ? name : "");
}

/* call's errno, with the path it failed on */
static int fail_at(const char *call, const char *name)
{
	int e = errno;
	char path[PATH_MAX];
	ips_path(path, sizeof(path), name);
	errno = e;
	return fail_errno("%s(%s)", call, path);
}

/* NAME of the pod ip's file names, or "" (no file, or an empty one: its
 * taker was killed before it wrote). -1 for a file that cannot be read:
 * kept, never taken over. */
static int holder(int dir, const char *ip, char *name, size_t len)
{
	name[0] = '\0';
	_cleanup_close_ int fd = openat(dir, ip, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : fail_at("open", ip);
	ssize_t n = read(fd, name, len - 1);
	if (n < 0)
		return fail_at("read", ip);
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return 0;
}

/* A leftover: its pod is gone, or records no address or another one. The
 * pod's directory is read, not its supervisor's liveness: a pod whose
 * supervisor was killed keeps its address until `podrun stop` or `rm`
 * cleans its state, as its veth stays until then. */
static bool leftover(int dir, const char *ip)
{
	char name[256], pod[PATH_MAX], has[INET_ADDRSTRLEN + 2];
	if (holder(dir, ip, name, sizeof(name)) < 0)
		return false;
	if (state_pod_dir(name, pod, sizeof(pod)) < 0)
		return true; /* "" or a name no pod can have */
	if (state_get(pod, "ip", has, sizeof(has)) < 0)
		return errno == ENOENT;
	return strcmp(has, ip) != 0;
}

/* 1: ip is pod's now; 0: another pod's; -1: an error. */
static int take(int dir, const char *ip, const char *pod)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	_cleanup_close_ int fd = openat(dir, ip, flags, 0600);
	if (fd < 0 && errno == EEXIST) {
		if (!leftover(dir, ip))
			return 0;
		/* Under the root's lock nobody else takes or judges: the
		 * leftover removed is the file just read, not a newer one. */
		if (unlinkat(dir, ip, 0) < 0 && errno != ENOENT)
			return fail_at("unlink", ip);
		fd = openat(dir, ip, flags, 0600);
	}
	if (fd < 0)
		return fail_at("open", ip);
	/* a pod's name is at most 253 characters (state_pod_dir checks it) */
	char line[256], what[PATH_MAX];
	int n = snprintf(line, sizeof(line), "%.253s\n", pod);
	ips_path(what, sizeof(what), ip);
	if (write_whole(fd, line, (size_t)n, what) < 0) {
		unlinkat(dir, ip, 0);
		return -1;
	}
	return 1;
}

/* The directory, made whole from the pods' own records the first time: a
 * pod started by a podrun without this module has its address in
 * pods/NAME/ip only. Made under another name and renamed, so that a start
 * killed halfway leaves no half list that would be trusted. */
static int open_ips(void)
{
	char path[PATH_MAX], fresh[PATH_MAX + 8];
	ips_path(path, sizeof(path), NULL);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : fail_errno("open(%s)", path);
	snprintf(fresh, sizeof(fresh), "%s.new", path);
	if (rm_rf(fresh) < 0)
		return -1;
	if (mkdir(fresh, 0700) < 0)
		return fail_errno("mkdir(%s)", fresh);
	_cleanup_close_ int dir = open(fresh, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return fail_errno("open(%s)", fresh);
	char **names;
	size_t n;
	if (state_list(&names, &n) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		char pod[PATH_MAX], ip[INET_ADDRSTRLEN + 2];
		struct in_addr a;
		if (state_pod_dir(names[i], pod, sizeof(pod)) == 0 &&
		    state_get(pod, "ip", ip, sizeof(ip)) == 0 && inet_pton(AF_INET, ip, &a) == 1)
			rc = take(dir, ip, names[i]);
	}
	state_free_list(names, n);
	if (rc < 0)
		return -1;
	if (rename(fresh, path) < 0)
		return fail_errno("rename(%s, %s)", fresh, path);
	fd = dir; /* the same directory, under its new name */
	dir = -1;
	return fd;
}

int ipam_reserve(const char *subnet, const char *pod, char ip[INET_ADDRSTRLEN])
{
	ip[0] = '\0';
	struct in_addr net;
	int prefix;
	if (infra_parse_subnet(subnet, &net, &prefix) < 0)
		return -1;
	/* .0 is the network's, .1 the bridge's, the last the broadcast's: a
	 * /30 (the smallest infra_parse_subnet takes) has one for a pod */
	int count = (1 << (32 - prefix)) - 3;
	_cleanup_close_ int dir = open_ips();
	if (dir < 0)
		return -1;
	char netname[INET_ADDRSTRLEN], hint_name[INET_ADDRSTRLEN + 16], hint[16] = "";
	inet_ntop(AF_INET, &net, netname, sizeof(netname));
	snprintf(hint_name, sizeof(hint_name), "last-%s_%d", netname, prefix);
	_cleanup_close_ int hfd =
	    openat(dir, hint_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	ssize_t got = hfd < 0 ? -1 : pread(hfd, hint, sizeof(hint) - 1, 0);
	if (got < 0)
		return fail_at(hfd < 0 ? "open" : "pread", hint_name);
	hint[got] = '\0';
	/* Indices 2 .. count+1; the search starts after the last one given.
	 * Without a hint (or with one from a wider subnet) it starts at 2. */
	int last = atoi(hint);
	int off = last >= 2 && last <= count + 1 ? last - 2 : count - 1;
	for (int k = 1; k <= count; k++) {
		int idx = 2 + (off + k) % count;
		struct in_addr a = {.s_addr = htonl(ntohl(net.s_addr) + (uint32_t)idx)};
		char cand[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &a, cand, sizeof(cand));
		int r = take(dir, cand, pod);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		/* one width for every index of a /15 (131069 at most): each
		 * write covers the last, and the file needs no truncating */
		int len = snprintf(hint, sizeof(hint), "%6d\n", idx);
		if (pwrite(hfd, hint, (size_t)len, 0) != len) {
			int rc = fail_at("pwrite", hint_name);
			unlinkat(dir, cand, 0);
			return rc;
		}
		memcpy(ip, cand, sizeof(cand));
		return idx;
	}
	return fail_msg(ENOSPC, "no free address in %s", subnet);
}

int ipam_release(const char *ip, const char *pod)
{
	if (!ip[0])
		return 0;
	char path[PATH_MAX], name[256];
	ips_path(path, sizeof(path), NULL);
	_cleanup_close_ int dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return errno == ENOENT ? 0 : fail_errno("open(%s)", path);
	if (holder(dir, ip, name, sizeof(name)) < 0)
		return -1;
	if (strcmp(name, pod) != 0)
		return 0;
	if (unlinkat(dir, ip, 0) < 0 && errno != ENOENT)
		return fail_at("unlink", ip);
	return 0;
}
