/*
 * state.c - podrun's state directory (see state.h).
 */
#include "state.h"

#include "common.h"
#include "infra.h"
#include "ipam.h"
#include "resources.h"
#include "spec.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

const char *state_root(void)
{
	const char *r = getenv("PODRUN_ROOT");
	return r && *r ? r : STATE_DEFAULT_ROOT;
}

const char *state_data_root(void)
{
	const char *r = getenv("PODRUN_DATA");
	return r && *r ? r : STATE_DEFAULT_DATA;
}

/* A root directory that another user could write to, or swap for a symlink,
 * would let that user steer where root's podrun writes and what it kills. */
static int check_root_dir(const char *dir, bool create)
{
	struct stat st;
	if (create && mkdir_p(dir, 0700) < 0)
		return -1;
	if (lstat(dir, &st) < 0)
		return errno == ENOENT && !create ? 0 : fail_errno("lstat(%s)", dir);
	if (!S_ISDIR(st.st_mode))
		return fail_msg(ENOTDIR, "%s: not a directory (a symlink?): refusing to use it",
		                dir);
	if (st.st_uid != geteuid())
		return fail_msg(EPERM,
		                "%s: owned by uid %u, not by us (uid %u): refusing to use it", dir,
		                (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail_msg(EPERM,
		                "%s: mode %04o lets others write to it: refusing to use it "
		                "(chmod 0700 %s)",
		                dir, (unsigned)(st.st_mode & 07777), dir);
	/* What we create is ours alone: spec.yaml holds env values, logs hold output. */
	if (create && (st.st_mode & 077) && chmod(dir, 0700) < 0)
		return fail_errno("chmod(%s, 0700)", dir);
	return 0;
}

int state_check_roots(bool create)
{
	if (check_root_dir(state_root(), create) < 0 ||
	    check_root_dir(state_data_root(), create) < 0)
		return -1;
	return 0;
}

int state_pod_dir(const char *pod, char *out, size_t len)
{
	/* A name is a path component here: "../.." would leave the root. */
	if (!spec_dns1123_subdomain(pod))
		return fail_msg(EINVAL,
		                "invalid pod name \"%s\" (a DNS-1123 subdomain: lowercase letters, "
		                "digits, '-' and '.', at most 253 characters)",
		                pod);
	if ((size_t)snprintf(out, len, "%s/pods/%s", state_root(), pod) >= len)
		return fail_msg(ENAMETOOLONG, "%s/pods/%s: path too long", state_root(), pod);
	return 0;
}

int state_pod_arg(const char *name, bool must_exist, char *dir, size_t len)
{
	/* Before any path is built: the name becomes a path component. */
	if (!spec_dns1123_subdomain(name)) {
		fail_msg(
		    EINVAL,
		    "invalid pod name \"%s\" (a DNS-1123 subdomain: lowercase letters, digits, "
		    "'-' and '.')",
		    name);
		return -2;
	}
	if (state_check_roots(false) < 0 || state_pod_dir(name, dir, len) < 0)
		return -1;
	if (must_exist && access(dir, F_OK) < 0)
		return fail_msg(ENOENT, "no pod named %s (under %s)", name, state_root());
	return 0;
}

int state_data_dir(const char *pod, char *out, size_t len)
{
	char check[PATH_MAX];
	if (state_pod_dir(pod, check, sizeof(check)) < 0)
		return -1;
	if ((size_t)snprintf(out, len, "%s/pods/%s", state_data_root(), pod) >= len)
		return fail_msg(ENAMETOOLONG, "%s/pods/%s: path too long", state_data_root(), pod);
	return 0;
}

static int pods_path(char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s/pods", state_root()) >= len)
		return fail_msg(ENAMETOOLONG, "%s/pods: path too long", state_root());
	return 0;
}

/* 1 when dir holds no pod's directory, 0 when it holds one, -1. A name
 * that starts with a dot is no pod's: ipam.h's addresses are there. */
static int no_pod_left(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return fail_errno("opendir(%s)", dir);
	struct dirent *e;
	int empty = 1;
	while (empty && (e = readdir(d)))
		if (e->d_name[0] != '.')
			empty = 0;
	closedir(d);
	return empty;
}

/* With no pod left, the addresses' files (ipam.h) go: any still there
 * was a leftover. And the list a start killed halfway began (ipam.c). */
static int forget_ips(const char *pods)
{
	for (int i = 0; i < 2; i++) {
		char ips[PATH_MAX + 16];
		snprintf(ips, sizeof(ips), "%s/%s%s", pods, IPAM_DIR, i ? ".new" : "");
		if (rm_rf(ips) < 0)
			return -1;
	}
	return 0;
}

/* The last pod's directory is gone: so goes the tmpfs (state_make_pod_dir
 * mounts a new one for the next pod), and the addresses' files with it.
 * MNT_DETACH: a `podrun ps` reading the directory this moment keeps its
 * view of an empty one. Where ROOT/pods is no mount (pods of an earlier
 * podrun have a tmpfs each), the files are removed from the disk. */
static void release_pods(void)
{
	char pods[PATH_MAX];
	if (pods_path(pods, sizeof(pods)) < 0 || no_pod_left(pods) != 1)
		return;
	int mounted = is_mount_point(pods);
	if (mounted == 1 && umount2(pods, MNT_DETACH) < 0)
		warn_errno("umount2(%s)", pods);
	else if (mounted == 0 && forget_ips(pods) < 0)
		warn("%s", last_error());
}

int state_make_pod_dir(const char *dir)
{
	/* 512 MiB: kubelet's 110 pods each at its largest - the spec three
	 * times (YAML, JSON, metadata) at its 1 MiB bound and the events of a
	 * long crash loop - where a pod usually takes a few hundred kB. A tmpfs
	 * takes RAM only for what is written to it. */
	const char *s = getenv("PODRUN_STATE_SIZE");
	int64_t size = 512 << 20;
	/* a quantity, as PODRUN_LOG_MAX_SIZE; size=0 would be a tmpfs without a limit */
	if (s && *s && (spec_parse_quantity(s, &size) < 0 || size <= 0))
		return fail_msg(EINVAL, "PODRUN_STATE_SIZE=%s: a quantity of bytes above 0 (512Mi)",
		                s);
	char pods[PATH_MAX];
	if (pods_path(pods, sizeof(pods)) < 0)
		return -1;
	int mounted = is_mount_point(pods);
	if (mounted < 0)
		return -1;
	/* Pod directories on the root's own file system - an earlier podrun's,
	 * each with a tmpfs of its own - would be hidden from their supervisors
	 * by a mount on top of them: the new pod goes beside them until they
	 * are gone. */
	int empty = mounted ? 0 : no_pod_left(pods);
	if (empty < 0)
		return -1;
	/* nothing under the tmpfs: what it would hide would stay for good */
	if (empty && forget_ips(pods) < 0)
		return -1;
	char opts[64];
	snprintf(opts, sizeof(opts), "mode=0700,size=%lld", (long long)size);
	if (empty &&
	    mount("podrun-state", pods, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return fail_errno("mount(tmpfs, %s)", pods);
	if (mkdir(dir, 0700) < 0) {
		int e = errno;
		release_pods();
		errno = e;
		return fail_errno("mkdir(%s)", dir);
	}
	return 0;
}

int state_put_bytes(const char *dir, const char *key, const void *buf, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, key) >= sizeof(path))
		return fail_msg(ENAMETOOLONG, "%s/%s: path too long", dir, key);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* rename(2) is atomic: a reader sees the old value or the new one, never half. */
	/* O_NOFOLLOW: a symlink planted in a pod's directory is never written through. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno("open(%s)", tmp);
	if (write_whole(fd, buf, len, tmp) < 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0) {
		int rc = fail_errno("close(%s)", tmp);
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, path) < 0) {
		int rc = fail_errno("rename(%s)", path);
		unlink(tmp);
		return rc;
	}
	return 0;
}

#define VALUE_MAX 4096 /* a formatted value, its newline and NUL included */

/* A state value: formatted, cut to what val holds, ended by a newline. */
static int format_value(char val[static VALUE_MAX], const char *key, const char *fmt, va_list ap)
{
	int n = vsnprintf(val, VALUE_MAX - 1, fmt, ap);
	if (n < 0)
		return fail_msg(EINVAL, "state %s: bad value", key);
	if (n > VALUE_MAX - 2)
		n = VALUE_MAX - 2;
	val[n++] = '\n';
	val[n] = '\0';
	return n;
}

int state_put(const char *dir, const char *key, const char *fmt, ...)
{
	char val[VALUE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = format_value(val, key, fmt, ap);
	va_end(ap);
	return n < 0 ? -1 : state_put_bytes(dir, key, val, (size_t)n);
}

int state_put_memo(struct state_memo *memo, const char *dir, const char *key, const char *fmt, ...)
{
	char val[VALUE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = format_value(val, key, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	struct state_memo_entry *e = memo->head;
	while (e && strcmp(e->key, key))
		e = e->next;
	if (e && e->val && !strcmp(e->val, val))
		return 0;
	if (!e) {
		e = calloc(1, sizeof(*e) + strlen(key) + 1);
		if (!e)
			return fail_msg(ENOMEM, "state %s: out of memory", key);
		strcpy(e->key, key);
		e->next = memo->head;
		memo->head = e;
	}
	free(e->val);
	e->val = NULL;
	if (state_put_bytes(dir, key, val, (size_t)n) < 0)
		return -1;
	e->val = strdup(val); /* none: written again the next time */
	return 0;
}

void state_memo_free(struct state_memo *memo)
{
	while (memo->head) {
		struct state_memo_entry *e = memo->head;
		memo->head = e->next;
		free(e->val);
		free(e);
	}
}

int state_put_list(const char *dir, const char *key, char *const *items)
{
	/* NUL after each item: a value may hold any other byte, newlines too. */
	size_t len = 0;
	for (size_t i = 0; items && items[i]; i++)
		len += strlen(items[i]) + 1;
	char *buf = malloc(len ? len : 1), *p = buf;
	if (!buf)
		return fail_msg(ENOMEM, "state %s: out of memory", key);
	for (size_t i = 0; items && items[i]; i++)
		p = stpcpy(p, items[i]) + 1;
	int rc = state_put_bytes(dir, key, buf, len);
	free(buf);
	return rc;
}

int state_get_list(const char *dir, const char *key, char ***items)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	*items = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return fail_errno("open(%s)", path);
	size_t len = (size_t)st.st_size, n = 0, got = 0;
	/* One block: the pointers, then the bytes they point into. */
	char *buf = malloc(len + 1);
	if (!buf)
		return fail_msg(ENOMEM, "out of memory");
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	for (size_t i = 0; i < got; i++)
		n += buf[i] == '\0';
	char **v = malloc((n + 1) * sizeof(*v) + got + 1);
	if (!v) {
		free(buf);
		return fail_msg(ENOMEM, "out of memory");
	}
	char *bytes = (char *)(v + n + 1);
	memcpy(bytes, buf, got + 1);
	free(buf);
	size_t k = 0;
	for (size_t i = 0; i < got && k < n; i += strlen(bytes + i) + 1)
		v[k++] = bytes + i;
	v[k] = NULL;
	*items = v;
	return 0;
}

int state_get(const char *dir, const char *key, char *buf, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	buf[0] = '\0';
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open(%s)", path);
	/* A state file is whole (state_put_bytes renames it into place), and
	 * a regular file's read returns less than asked only at its end: no
	 * second read just to hear that (admission reads one file of every
	 * pod on the node, `podrun ps` a dozen). */
	size_t n = 0;
	while (n + 1 < len) {
		size_t want = len - 1 - n;
		ssize_t r = read(fd, buf + n, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail_errno("read(%s)", path);
		n += (size_t)r;
		if ((size_t)r < want)
			break;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

void state_pod_phase(const char *dir, bool sup_alive, char *phase, size_t len)
{
	if (state_get(dir, "phase", phase, len) < 0 || !phase[0])
		snprintf(phase, len, "Pending");
	if (strcmp(phase, "Succeeded") && strcmp(phase, "Failed") && !sup_alive)
		snprintf(phase, len, "Unknown");
}

long state_get_long(const char *dir, const char *key, long dflt)
{
	char buf[64];
	long v;
	if (state_get(dir, key, buf, sizeof(buf)) < 0 ||
	    parse_long(buf, LONG_MIN, LONG_MAX, &v) < 0)
		return dflt;
	return v;
}

/* The writer counts its changes in the file itself: nothing to keep in
 * memory, and a count that only grows across everything that writes it. */
static int change_step(const char *dir, bool begin)
{
	long seq = state_get_long(dir, "seq", 0);
	if (seq < 0)
		seq = 0;
	/* begin makes it odd, end even, whatever a writer killed between the
	 * two left behind */
	seq += (seq % 2 == 0) == begin ? 1 : 2;
	return state_put(dir, "seq", "%ld", seq);
}

int state_change_begin(const char *dir)
{
	return change_step(dir, true);
}

int state_change_end(const char *dir)
{
	return change_step(dir, false);
}

long state_read_begin(const char *dir, bool writer_alive)
{
	int64_t give_up = now_ms() + STATE_READ_WAIT_MS;
	long seq;
	/* A change is a dozen renames on a tmpfs, well under a millisecond:
	 * a reader that finds one under way naps a millisecond at a time. */
	while ((seq = state_get_long(dir, "seq", 0)) % 2 && writer_alive && now_ms() < give_up)
		sleep_ms(1);
	return seq;
}

/* An odd seq that did not change is a writer that is dead or stuck past
 * the wait: reading again would find the same files. */
bool state_read_changed(const char *dir, long seq)
{
	return state_get_long(dir, "seq", 0) != seq;
}

/* The start time (field 22 of /proc/PID/stat) and the state letter (field
 * 3) of a process, from one read: -1 if there is no such process. */
static long long proc_stat(pid_t pid, char *state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	/* The command name (field 2) may hold spaces and ')': skip to the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	*state = p[2];
	/* after ") " come fields 3, 4, ...; starttime is field 22 */
	int field = 2;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoll(p, NULL, 10);
}

long long state_proc_start(pid_t pid)
{
	char state;
	return proc_stat(pid, &state);
}

int state_put_pid(const char *dir, const char *key, pid_t pid)
{
	char k[64];
	snprintf(k, sizeof(k), "%s%spid", key, *key ? "." : "");
	if (state_put(dir, k, "%d", (int)pid) < 0)
		return -1;
	snprintf(k, sizeof(k), "%s%sstart", key, *key ? "." : "");
	return state_put(dir, k, "%lld", state_proc_start(pid));
}

pid_t state_live_pid(const char *dir, const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "%s%spid", key, *key ? "." : "");
	long pid = state_get_long(dir, k, 0);
	snprintf(k, sizeof(k), "%s%sstart", key, *key ? "." : "");
	long start = state_get_long(dir, k, -2);
	if (pid <= 0 || start < 0)
		return 0;
	/* A zombie still has its start time but runs nothing any more. */
	char state;
	if (proc_stat((pid_t)pid, &state) != start || state == 'Z')
		return 0;
	return (pid_t)pid;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list(char ***names, size_t *n)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/pods", state_root());
	*names = NULL;
	*n = 0;
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : fail_errno("opendir(%s)", path);
	/* Out of memory fails the whole list: a list cut short would hide a
	 * pod from `get` and let `image rm` take an image it uses. */
	char **v = NULL;
	size_t len = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			char **grown = realloc(v, cap * sizeof(char *));
			if (!grown)
				goto oom;
			v = grown;
		}
		ANALYZER_REALLOC_LEAK_FP_BEGIN
		if (!(v[len] = strdup(e->d_name)))
			goto oom;
		ANALYZER_REALLOC_LEAK_FP_END
		len++;
	}
	closedir(d);
	if (len)
		qsort(v, len, sizeof(char *), cmp_str);
	*names = v;
	*n = len;
	return 0;
oom:
	closedir(d);
	state_free_list(v, len);
	return fail_msg(ENOMEM, "%s: out of memory", path);
}

void state_free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* SIGKILL a recorded process (if it is still that process) and wait for it to go. */
static void kill_recorded(const char *dir, const char *key)
{
	pid_t pid = state_live_pid(dir, key);
	if (!pid)
		return;
	/* pidfd first, then check it still is the recorded process: from then on
	 * the pidfd names that process even if the pid is reused. */
	_cleanup_close_ int fd = sys_pidfd_open(pid, 0);
	if (fd < 0 || state_live_pid(dir, key) != pid)
		return;
	sys_pidfd_send_signal(fd, SIGKILL, 0);
	/* Readable once it exited; it is not our child, init reaps it. */
	struct pollfd p = {.fd = fd, .events = POLLIN};
	poll(&p, 1, 2000);
}

/* Unmount every mount point under dir (and dir itself with self), deepest
 * first, lazily: a mount still in use somewhere is detached now and freed
 * when its last user goes. */
static void unmount_under(const char *dir, bool self)
{
	size_t dlen = strlen(dir);
	for (int pass = 0; pass < 64; pass++) {
		FILE *f = fopen("/proc/self/mountinfo", "re");
		if (!f)
			return;
		char line[4096], best[PATH_MAX] = "";
		while (fgets(line, sizeof(line), f)) {
			char mp[PATH_MAX];
			if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
				continue;
			/* A space in PODRUN_ROOT is "\040" there. */
			mountinfo_unescape(mp);
			if (strncmp(mp, dir, dlen) || (mp[dlen] != '/' && (mp[dlen] || !self)))
				continue;
			if (strlen(mp) > strlen(best))
				snprintf(best, sizeof(best), "%s", mp);
		}
		fclose(f);
		if (!best[0] || umount2(best, MNT_DETACH) < 0)
			return;
	}
}

int state_clean(const char *pod_dir, bool remove_dir)
{
	char cdir[PATH_MAX], buf[IF_NAMESIZE + 8];
	snprintf(cdir, sizeof(cdir), "%s/containers", pod_dir);
	DIR *d = opendir(cdir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char one[PATH_MAX + 256];
			snprintf(one, sizeof(one), "%s/%s", cdir, e->d_name);
			kill_recorded(one, "");
		}
		closedir(d);
	}
	/* With a shared pid namespace pause is its init: killing it kills the rest. */
	kill_recorded(pod_dir, "pause");
	/* Its veth by the index it had: by name (veth<pause's pid>) it may be a
	 * new pod's, whose pause got the pid again. A state without the index
	 * (an older podrun's) goes by the name. */
	long veth_index = state_get_long(pod_dir, "veth_ifindex", 0);
	if (veth_index > 0)
		infra_remove_veth_index((int)veth_index);
	else if (state_get(pod_dir, "veth", buf, sizeof(buf)) == 0 && buf[0])
		infra_remove_veth(buf);
	/* Its address, given back before its state stops saying it (ipam.h).
	 * One that stays is a leftover, which the next pod's start takes over. */
	const char *name = strrchr(pod_dir, '/');
	name = name ? name + 1 : pod_dir;
	char ip[INET_ADDRSTRLEN + 2];
	if (state_get(pod_dir, "ip", ip, sizeof(ip)) == 0 && ipam_release(ip, name) == 0 && ip[0] &&
	    !remove_dir)
		state_put(pod_dir, "ip", "%s", "");
	/* Its cgroups: whatever of the pod still runs in them dies first. One
	 * that cannot be removed is reported, and the state that names it is
	 * kept for the next podrun rm, never forgotten. */
	int rc = 0;
	if (res_clean(pod_dir) < 0) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", last_error());
		rc = fail_msg(
		    errno,
		    "its cgroups stay: %s (the pod's state is kept: podrun rm -f tries again)",
		    why);
	}
	/* The pod's data: its overlays and emptyDirs are mount points. */
	char data[PATH_MAX];
	if (state_data_dir(name, data, sizeof(data)) < 0)
		return -1;
	unmount_under(data, true);
	/* Nothing is mounted on the pod's state directory, unless the pod is an
	 * earlier podrun's, with a tmpfs of its own: it goes with the directory
	 * (a stopped pod's state stays readable until it is removed). */
	if (remove_dir && rc == 0 && is_mount_point(pod_dir) == 1)
		unmount_under(pod_dir, true);
	if (remove_dir && ((rm_rf(data) < 0 && errno != ENOENT) ||
	                   (rc == 0 && rm_rf(pod_dir) < 0 && errno != ENOENT)))
		return -1;
	if (remove_dir && rc == 0)
		release_pods();
	return rc;
}

void state_time_rfc3339(int64_t ns, char *out, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char date[32];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%09lldZ", date, (long long)(ns % 1000000000));
}

int64_t state_now_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
