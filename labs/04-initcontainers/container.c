/*
 * container.c - one container in a pod's sandbox (see container.h).
 *
 * The process model:
 *
 *   caller ──clone(CLONE_NEWNS | CLONE_NEWPID)──> C ──setns(ipc, uts, net)
 *
 *   C joins the sandbox itself: setns() moves the caller into a net, ipc or
 *   uts namespace at once. Not into a pid namespace - that decides only where
 *   the caller's *children* go. So when the pod shares its pid namespace,
 *   the work takes one process more (the way runc's nsexec does it):
 *
 *   caller ──fork──> H ──setns(net, ipc, uts, pid)──> clone(CLONE_PARENT |
 *                                                       CLONE_NEWNS) ──> C
 *
 *   H, a short-lived helper, joins the sandbox and creates C; CLONE_PARENT
 *   makes C the caller's child, not H's: the caller can waitpid() its
 *   containers and receives SIGCHLD for them, even though they live in the
 *   pod's namespaces. H sends C's pid up a pipe and exits. H costs a fork and
 *   a clone of the caller (its page tables, then the pages both write to), so
 *   only a pod that shares its pid namespace pays for it.
 *
 *   C builds its root (overlay, volumes, /proc /dev /sys, pivot_root), drops
 *   what a container must not have (capabilities, the right to gain
 *   privileges, inherited fds) and execs. With a place hook, or in a pod
 *   that shares its pid namespace, C says "built" over a socket before it
 *   drops anything, and waits for the caller's word to go on: the caller
 *   places it, or holds its mount namespace (ctr_terminated), meanwhile.
 *   Until the execve succeeds, every failure is written to an O_CLOEXEC
 *   "error pipe": the caller's read() returns 0 (EOF) exactly when the
 *   execve closed it, and a message otherwise.
 */
#include "container.h"

#include "common.h"
#include "rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

const char *const ctr_default_caps[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
    NULL,
};

#define CTR_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ERRMSG_MAX       1024

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- capabilities --------------------------------------------------------------- */

/* "NET_ADMIN", "CAP_NET_ADMIN", "net_admin" -> CAP_NET_ADMIN. */
static int cap_lookup(const char *name, cap_value_t *out)
{
	char buf[64];
	const char *bare = strncasecmp(name, "CAP_", 4) ? name : name + 4;
	if (snprintf(buf, sizeof(buf), "cap_%s", bare) >= (int)sizeof(buf))
		return fail_msg(EINVAL, "unknown capability '%s'", name);
	for (char *p = buf; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	/* cap_from_name also takes numbers ("12"); a container spec names capabilities. */
	if (bare[0] >= '0' && bare[0] <= '9')
		return fail_msg(EINVAL, "unknown capability '%s'", name);
	if (cap_from_name(buf, out) < 0 || *out < 0 || *out >= 64)
		return fail_msg(EINVAL, "unknown capability '%s'", name);
	return 0;
}

static bool has_all(const char *const *names)
{
	for (size_t i = 0; names && names[i]; i++) {
		if (!strcasecmp(names[i], "ALL") || !strcasecmp(names[i], "CAP_ALL"))
			return true;
	}
	return false;
}

/* Add (or remove) every named capability except "ALL" to *mask. */
static int apply_names(const char *const *names, bool add, uint64_t *mask)
{
	for (size_t i = 0; names && names[i]; i++) {
		if (!strcasecmp(names[i], "ALL") || !strcasecmp(names[i], "CAP_ALL"))
			continue;
		cap_value_t v;
		if (cap_lookup(names[i], &v) < 0)
			return -1;
		if (add)
			*mask |= UINT64_C(1) << v;
		else
			*mask &= ~(UINT64_C(1) << v);
	}
	return 0;
}

int ctr_caps_mask(const struct ctr_config *cfg, uint64_t *mask)
{
	/* "All" is every capability this kernel knows that we hold ourselves: a
	 * process cannot give what it does not have (capset fails), and root
	 * in a container or a VM sandbox may lack some (CAP_SYS_RESOURCE...). */
	int bits = cap_max_bits(); /* what this kernel knows, CAP_LAST_CAP + 1 */
	uint64_t all = 0;
	cap_t ours = cap_get_proc();
	if (!ours)
		return fail_errno("capget");
	for (cap_value_t v = 0; v < bits && v < 64; v++) {
		cap_flag_value_t held = CAP_CLEAR;
		if (cap_get_flag(ours, v, CAP_PERMITTED, &held) == 0 && held == CAP_SET)
			all |= UINT64_C(1) << v;
	}
	cap_free(ours);
	uint64_t m = 0;
	if (apply_names(ctr_default_caps, true, &m) < 0)
		return -1;
	/* Check every name first, so a typo is an error even where ALL overrides it. */
	uint64_t scratch = 0;
	if (apply_names(cfg->cap_add, true, &scratch) < 0 ||
	    apply_names(cfg->cap_drop, true, &scratch) < 0)
		return -1;
	if (cfg->privileged) {
		m = all;
	} else {
		/* containerd's and CRI-O's order: add's ALL, then drop's ALL, then
		 * each name added, then each name dropped. So add: [ALL] with drop:
		 * [X] is everything but X, drop: [ALL] with add: [X] exactly X - and
		 * add: [ALL] with drop: [ALL] nothing at all: a policy that appends
		 * drop: [ALL] to every container wins over an add: [ALL]. */
		if (has_all(cfg->cap_add))
			m = all;
		if (has_all(cfg->cap_drop))
			m = 0;
		apply_names(cfg->cap_add, true, &m);
		apply_names(cfg->cap_drop, false, &m);
	}
	*mask = m & all;
	return 0;
}

/* The user the command runs as. PR_SET_KEEPCAPS: changing uid from 0 clears
 * the permitted set unless asked not to, and drop_privileges still needs it
 * (execve then clears what a non-root user may not keep). Groups first: after
 * the uid changes we may no longer set them. setgroups also drops every
 * supplementary group the supervisor had. */
static int set_user(const struct ctr_config *cfg)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return fail_errno("prctl(PR_SET_KEEPCAPS)");
	if (setgroups(cfg->n_groups, cfg->n_groups ? cfg->groups : NULL) < 0)
		return fail_errno("setgroups(%zu groups)", cfg->n_groups);
	if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0)
		return fail_errno("setresgid(%u)", (unsigned)cfg->gid);
	if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0)
		return fail_errno("setresuid(%u)", (unsigned)cfg->uid);
	return 0;
}

/* Drop what the container must not have, and become its user. Afterwards
 * caps (ctr_caps_mask: the default set, plus securityContext's add, minus
 * its drop) is the whole story, in every set the kernel keeps:
 *   bounding    - the ceiling: what execve can ever grant again
 *   permitted, effective - what we hold now (cap_set_proc)
 *   inheritable, ambient - what a program could carry across execve: empty.
 *     A non-empty inheritable set lets a file with inheritable file
 *     capabilities gain them even as a non-root user (runc CVE-2022-24769).
 * Root still gets the bounding set back at execve: the kernel treats every
 * file as carrying all capabilities when root executes it. A non-root user
 * gets nothing, as in Kubernetes.
 * nnp: then PR_SET_NO_NEW_PRIVS, so that execve never adds a privilege again
 * (setuid bits and file capabilities are ignored). */
static int drop_privileges(const struct ctr_config *cfg, uint64_t caps, bool nnp)
{
	/* BEGIN EXERCISE: ctr-drop (hard, 60 min): drop capabilities, switch user, no_new_privs
	 * Needs: init-order, infra-join, rootfs-pivot, vol-safe-mount
	 * Hint: README.md "The order of the drop"; man 7 capabilities;
	 * man 3 cap_drop_bound, cap_init, cap_set_proc, cap_reset_ambient; man 2 prctl */
	/* STUB: (void)cfg; (void)caps; (void)nnp; (void)set_user;
	 * return exercise_todo(4, "ctr-drop"); */
	int bits = cap_max_bits(); /* what this kernel knows, CAP_LAST_CAP + 1 */
	/* The bounding set first: dropping from it needs CAP_SETPCAP in the
	 * effective set, which we have as root now and may not have after. */
	for (cap_value_t v = 0; v < bits; v++) {
		if (!(caps & (UINT64_C(1) << v)) && cap_drop_bound(v) < 0)
			return fail_errno("prctl(PR_CAPBSET_DROP, %d)", v);
	}
	/* Then the user: a uid that leaves 0 empties the effective set (the
	 * permitted set stays, thanks to PR_SET_KEEPCAPS in set_user). */
	if (set_user(cfg) < 0)
		return -1;
	/* Then the sets we hold, raised again from what stayed permitted.
	 * cap_init() starts with all three clear: inheritable stays empty. */
	cap_t c = cap_init();
	if (!c)
		return fail_errno("cap_init");
	for (cap_value_t v = 0; v < bits; v++) {
		if (!(caps & (UINT64_C(1) << v)))
			continue;
		cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
		cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
	}
	int rc = cap_set_proc(c);
	cap_free(c);
	if (rc < 0)
		return fail_errno("capset");
	if (cap_reset_ambient() < 0)
		return fail_errno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	/* Last: nothing after this may need a privilege that execve grants. */
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_errno("prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
	/* END EXERCISE */
}

/* The directory path beneath the current root, as an O_PATH fd (-1 and
 * errno): RESOLVE_IN_ROOT makes "/", ".." and absolute symlinks stop at the
 * root; resolve adds what else the caller refuses. */
static int open_dir_beneath_root(const char *path, unsigned long long resolve)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	                       .resolve = RESOLVE_IN_ROOT | resolve};
	return sys_openat2(root, path, &how, sizeof(how));
}

/* chdir(wd) beneath the current root: RESOLVE_NO_MAGICLINKS refuses
 * /proc/self/fd/N and /proc/1/root, which lead out of any root (runc
 * CVE-2024-21626: a working directory through a leaked fd). RESOLVE_IN_ROOT
 * refuses them too today, but openat2(2) does not promise it. */
static int chdir_beneath_root(const char *wd)
{
	_cleanup_close_ int fd = open_dir_beneath_root(wd, RESOLVE_NO_MAGICLINKS);
	if (fd < 0 || fchdir(fd) < 0)
		return fail_errno("openat2+fchdir(%s)", wd);
	return 0;
}

/* A working directory the image lacks is made, as runc makes it (0755, by
 * root, after the pivot and before the root may turn read-only): Kubernetes
 * starts such a container, it does not fail it. Each parent is opened
 * beneath "/" as chdir_beneath_root does, so that no symlink of the image
 * can make us create a directory outside the container. */
static int mkdir_beneath_root(const char *wd)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s%s", wd[0] == '/' ? "" : "/", wd) >= (int)sizeof(path))
		return fail_msg(ENAMETOOLONG, "mkdir(%s)", wd);
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return fail_errno("open(/)");
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	                       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	for (size_t i = 1, len = strlen(path); i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char end = path[i];
		path[i] = '\0';
		char *slash = strrchr(path, '/'), *name = slash + 1;
		int rc = 0;
		if (*name && strcmp(name, ".") && strcmp(name, "..")) {
			*slash = '\0';
			_cleanup_close_ int dir =
			    sys_openat2(root, *path ? path : "/", &how, sizeof(how));
			*slash = '/';
			if (dir < 0 || (mkdirat(dir, name, 0755) < 0 && errno != EEXIST))
				rc = fail_errno("openat2+mkdirat(%s)", path);
		}
		path[i] = end;
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void seccomp_freep(struct ctr_seccomp **sc)
{
	ctr_seccomp_free(*sc);
}
#define _cleanup_seccomp_ __attribute__((cleanup(seccomp_freep)))

/* ---- the child's side: report and die ----------------------------------------------- */

/* Write "what: last_error()" to the error pipe and exit. The message is one
 * write(2) below PIPE_BUF, so the parent reads it whole. */
static NORETURN void child_fail(int errfd, const char *what)
{
	char msg[ERRMSG_MAX];
	int n = snprintf(msg, sizeof(msg), "%s: %s", what, last_error());
	if (n >= (int)sizeof(msg))
		n = sizeof(msg) - 1;
	if (write(errfd, msg, (size_t)n) < 0) {
		/* the parent is gone; nobody to tell */
	}
	_exit(127);
}

/* ---- building the process ------------------------------------------------------ */

/* execvpe, but in the container's PATH (not the caller's) and with the
 * error kept: "not found" becomes an error the caller sees, not exit status
 * 127. Returns only on failure.
 *
 * It looks last, with execve itself and the command's own credentials, not
 * with stat() while we are still root with every capability: that would
 * answer questions the container may not ask. In a hostPID pod a command
 * "/proc/1/root/etc/x" would tell whether the host has /etc/x (stat found
 * it, the later execve was refused); now both kinds fail alike, EACCES. */
static void exec_cmd(char *const argv[], const char *path_env, char *const envp[])
{
	if (!*argv[0]) {
		fail_msg(EINVAL, "empty command");
		return;
	}
	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, envp);
		fail_errno("execve(%s)", argv[0]);
		return;
	}
	char dirs[4096], cmd[PATH_MAX], denied[PATH_MAX] = "";
	snprintf(dirs, sizeof(dirs), "%s", path_env);
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (snprintf(cmd, sizeof(cmd), "%s/%s", d, argv[0]) >= (int)sizeof(cmd))
			continue;
		execve(cmd, argv, envp);
		/* as execvp: a directory or file we may not run does not end the
		 * search, but is what we report if nothing else is found */
		if (errno == EACCES) {
			if (!*denied)
				snprintf(denied, sizeof(denied), "%s", cmd);
		} else if (errno != ENOENT && errno != ENOTDIR) {
			fail_errno("execve(%s)", cmd);
			return;
		}
	}
	if (*denied) {
		errno = EACCES;
		fail_errno("execve(%s)", denied);
	} else {
		fail_msg(ENOENT, "not found in PATH");
	}
}

/* The environment: the spec's, then PATH and HOSTNAME unless it set them. */
static char **build_env(char *const *env, const char **path_out)
{
	size_t n = 0;
	while (env && env[n])
		n++;
	char **out = calloc(n + 3, sizeof(*out));
	if (!out)
		return NULL;
	bool have_path = false, have_host = false;
	*path_out = CTR_DEFAULT_PATH;
	for (size_t i = 0; i < n; i++) {
		out[i] = env[i];
		if (!strncmp(env[i], "PATH=", 5)) {
			have_path = true;
			*path_out = env[i] + 5;
		}
		if (!strncmp(env[i], "HOSTNAME=", 9))
			have_host = true;
	}
	if (!have_path)
		out[n++] = "PATH=" CTR_DEFAULT_PATH;
	if (!have_host) {
		/* The pod's UTS namespace: the same name in every container. */
		char host[HOST_NAME_MAX + 1] = "";
		gethostname(host, sizeof(host));
		char *h = malloc(sizeof(host) + 9);
		if (!h)
			return NULL;
		snprintf(h, sizeof(host) + 9, "HOSTNAME=%s", host);
		out[n++] = h;
	}
	return out;
}

/* Give fd 0, 1, 2 their final meaning. Sources may sit anywhere, even on 0-2. */
static int setup_stdio(int in, int out, int err)
{
	int src[3] = {in, out, err};
	if (src[0] < 0) {
		src[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (src[0] < 0)
			return fail_errno("open(/dev/null)");
	}
	/* Lift every source above 2 first, so one dup2 cannot clobber another's source. */
	for (int i = 0; i < 3; i++) {
		if (src[i] >= 0 && (src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return fail_errno("fcntl(F_DUPFD_CLOEXEC)");
	}
	for (int i = 0; i < 3; i++) {
		if (src[i] >= 0 && dup2(src[i], i) < 0)
			return fail_errno("dup2(%d, %d)", src[i], i);
	}
	return 0;
}

/* C, built: "B" to the caller, then wait for its "G". EOF instead - the
 * caller died, or gave up on C - means the command must never run. */
static int wait_to_be_placed(int fd)
{
	char go = 0;
	ssize_t n;
	if (write(fd, "B", 1) != 1)
		return fail_errno("write(\"built\" to the caller)");
	while ((n = read(fd, &go, 1)) < 0 && errno == EINTR) {
	}
	if (n != 1 || go != 'G')
		return fail_msg(ECANCELED, "the caller did not let it start");
	close(fd);
	return 0;
}

/* Does the hierarchy of CTRLS ("cpu,cpuacct") hold one of names? */
static bool listed(const char *const *names, const char *ctrls)
{
	for (; *names; names++)
		if (in_list(ctrls, ',', *names))
			return true;
	return false;
}

/* A new mount of fstype, its options ("cpu,cpuacct", "none,name=systemd")
 * given one by one to fsconfig(2), attached with move_mount(2) on the
 * directory fd dst. No path is resolved: a symlink planted in a volume the
 * pod mounts at /sys/fs cannot send it elsewhere. The mount's root, or -1. */
static int mount_fs_on(int dst, const char *fstype, const char *opts, unsigned attrs)
{
	_cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail_errno("fsopen(%s)", fstype);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", fstype, 0) < 0)
		return fail_errno("fsconfig(%s, source)", fstype);
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", opts ? opts : "");
	for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		if (eq)
			*eq = '\0';
		if (fsconfig(fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o,
		             eq ? eq + 1 : NULL, 0) < 0)
			return fail_errno("fsconfig(%s, %s)", fstype, o);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail_errno("fsconfig(%s, FSCONFIG_CMD_CREATE)", fstype);
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	if (mnt < 0)
		return fail_errno("fsmount(%s)", fstype);
	if (move_mount(mnt, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		int err = errno;
		close(mnt);
		errno = err;
		return fail_errno("move_mount(%s)", fstype);
	}
	return mnt;
}

/* ctr_config.mount_cgroups, in the container's root, once it is in its
 * cgroups. The namespace first: what is mounted in it has the container's
 * cgroups as its root, so it shows neither the pod's nor a neighbour's.
 * Each hierarchy /proc/self/cgroup names is mounted where the node has it:
 * cgroup v1's under a tmpfs, one directory each ("cpu,cpuacct", with a link
 * per controller; a named one, "name=systemd", as "systemd"), v2's at
 * "unified" beside them, or at /sys/fs/cgroup itself when it is alone -
 * of v1's, only those ctrls names.
 *
 * We are root with every capability, past pivot_root, and a volume may sit
 * at /sys or /sys/fs: /sys/fs/cgroup is opened beneath the root with no
 * symlink followed, and everything after is done through fds. */
static int mount_own_cgroups(const char *const *ctrls, bool writable)
{
	if (unshare(CLONE_NEWCGROUP) < 0)
		return fail_errno("unshare(CLONE_NEWCGROUP)");
	char text[4096], *save = NULL;
	if (read_file("/proc/self/cgroup", text, sizeof(text)) < 0)
		return -1;
	const unsigned attrs = (writable ? 0 : MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID |
	                       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	_cleanup_close_ int top = open_dir_beneath_root("sys/fs/cgroup", RESOLVE_NO_SYMLINKS);
	if (top < 0)
		return fail_errno("openat2(/sys/fs/cgroup, RESOLVE_NO_SYMLINKS)");
	if (!strncmp(text, "0::", 3) && !strchr(text, '\n')) {
		_cleanup_close_ int v2 = mount_fs_on(top, "cgroup2", NULL, attrs);
		return v2 < 0 ? -1 : 0;
	}
	_cleanup_close_ int tmp =
	    mount_fs_on(top, "tmpfs", "mode=755,size=16k",
	                MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (tmp < 0)
		return -1;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		/* ID:CONTROLLERS:PATH, PATH "/" in the new namespace */
		char *ctrl = strchr(l, ':'), *end = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (!end)
			return fail_msg(EINVAL, "/proc/self/cgroup: \"%s\" is no cgroup", l);
		*end = '\0';
		ctrl++;
		bool v2 = !*ctrl, named = !strncmp(ctrl, "name=", 5);
		if (!v2 && !listed(ctrls, ctrl))
			continue;
		char name[128], opts[256];
		snprintf(name, sizeof(name), "%s", v2 ? "unified" : named ? ctrl + 5 : ctrl);
		snprintf(opts, sizeof(opts), "%s%s", named ? "none," : "", ctrl);
		if (mkdirat(tmp, name, 0555) < 0)
			return fail_errno("mkdir(/sys/fs/cgroup/%s)", name);
		_cleanup_close_ int dir =
		    openat(tmp, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dir < 0)
			return fail_errno("open(/sys/fs/cgroup/%s)", name);
		_cleanup_close_ int mnt =
		    mount_fs_on(dir, v2 ? "cgroup2" : "cgroup", v2 ? NULL : opts, attrs);
		if (mnt < 0)
			return -1;
		/* "cpu" -> "cpu,cpuacct", as the node links them */
		char *each = NULL;
		for (char *c = v2 || named || !strchr(ctrl, ',') ? NULL
		                                                 : strtok_r(ctrl, ",", &each);
		     c; c = strtok_r(NULL, ",", &each))
			if (symlinkat(name, tmp, c) < 0)
				return fail_errno("symlink(/sys/fs/cgroup/%s)", c);
	}
	/* the tmpfs itself: nothing more is made in it */
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	if (mount_setattr(tmp, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		return fail_errno("mount_setattr(/sys/fs/cgroup, MOUNT_ATTR_RDONLY)");
	return 0;
}

/* The last steps, common to a container's PID 1 and to ctr_exec: wait to be
 * placed (syncfd >= 0: ctr_config.place), mount its cgroups (pid1 only:
 * ctr_exec joins them), drop capabilities, no_new_privs, close stray fds,
 * then look for the command and execve it. Called in the container's root
 * and namespaces. Never returns. */
static NORETURN void exec_in_container(const struct ctr_config *cfg, uint64_t caps,
                                       const struct ctr_seccomp *filter, char *const argv[],
                                       int errfd, int syncfd, bool pid1)
{
	const char *path_env;
	char **envp = build_env(cfg->env, &path_env);
	if (!envp) {
		fail_errno("malloc");
		child_fail(errfd, "env");
	}

	/* Signals: the caller may block some (init_pod_run does) or ignore some,
	 * and both survive execve. A container starts with a clean slate. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* fails harmlessly for SIGKILL, SIGSTOP, 32, 33 */

	/* What came before needs no placing; what comes next, the command
	 * itself above all, must not run before it. */
	if (syncfd >= 0 && wait_to_be_placed(syncfd) < 0)
		child_fail(errfd, "place");
	if (pid1 && cfg->mount_cgroups &&
	    mount_own_cgroups(cfg->mount_cgroups, cfg->privileged) < 0)
		child_fail(errfd, "cgroups");

	/* no_new_privs: execve can never add a privilege again (setuid bits and
	 * file capabilities are ignored). allowPrivilegeEscalation: true, or a
	 * privileged container, keeps them working. */
	bool nnp = !cfg->privileged && !cfg->allow_privilege_escalation;
	/* Without no_new_privs the kernel takes a seccomp filter only from a
	 * process with CAP_SYS_ADMIN: load it now, while we are still root with
	 * every capability. The filter allows what the next steps call. */
	if (!nnp && ctr_seccomp_load(filter) < 0)
		child_fail(errfd, "seccomp");
	if (drop_privileges(cfg, caps, nnp) < 0)
		child_fail(errfd, "capabilities");
	/* With no_new_privs, as late as possible: the filter then also guards
	 * the last steps (it allows dup3, close_range and execve). */
	if (nnp && ctr_seccomp_load(filter) < 0)
		child_fail(errfd, "seccomp");
	/* Only 0, 1, 2 and the error pipe may reach the command; the pipe is
	 * O_CLOEXEC, so execve closes it - and that EOF is the caller's "exec'd". */
	if (errfd != 3) {
		if (dup3(errfd, 3, O_CLOEXEC) < 0) {
			fail_errno("dup3(%d, 3)", errfd);
			child_fail(errfd, "fds");
		}
		errfd = 3;
	}
	/* a supervisor's fd left open would reach the command: no exec then */
	if (close_fds_from(4) < 0)
		child_fail(errfd, "fds");
	exec_cmd(argv, path_env, envp);
	char what[PATH_MAX + 8];
	snprintf(what, sizeof(what), "exec %s", argv[0]);
	child_fail(errfd, what);
}

struct child_args {
	const struct ctr_config *cfg;
	const char *image_path;
	uint64_t caps;
	const struct ctr_seccomp *filter;
	int errfd;
	int syncfd;   /* C's end of the socket to the caller; -1 without place or share_pid */
	int callerfd; /* the caller's end: H closes it, or C would never see EOF */
};

/* C: runs in its new mount namespace (and pid namespace, as PID 1). */
static int container_main(void *arg)
{
	struct child_args *a = arg;
	const struct ctr_config *cfg = a->cfg;
	int errfd = a->errfd;
	struct rootfs rf;
	char what[128];

	/* Not dumpable: join_sandbox saw to it, in C or in H before the clone. */
	/* A session of its own: a Ctrl-C on the supervisor's terminal goes to the
	 * terminal's foreground process group, and must not reach the container
	 * behind the supervisor's back. The supervisor stops it, in order. */
	if (setsid() < 0) {
		fail_errno("setsid");
		child_fail(errfd, "session");
	}
	/* The umask is inherited too: the operator's 077 would make the
	 * directories made here (mount points, workingDir) and every file the
	 * command creates private to its owner. runc sets 022, whoever ran it. */
	umask(022);
	/* A caller with 0-2 closed gave our pipes those numbers: stdio would
	 * take their place, and a failed exec would be reported to the log as
	 * a run that exited 127. */
	if (fd_above_stdio(&errfd) < 0 || fd_above_stdio(&a->syncfd) < 0)
		child_fail(errfd, "fds");
	if (setup_stdio(cfg->stdin_fd, cfg->stdout_fd, cfg->stderr_fd) < 0)
		child_fail(errfd, "stdio");
	/* Nothing of the caller's from here on but stdio and the two pipes to
	 * it. Until execve this is root, resolving paths in the container's
	 * root, and the caller's fds (a log directory, the state root) would be
	 * ways out of it for a symlink planted in a volume: /proc/self/fd/N/..
	 * leads to the host, close-on-exec or not (runc CVE-2024-21626). A
	 * detached volume (vol_tmpfs_detached) is an fd too, and is kept: it
	 * leads nowhere but into its own tmpfs. */
	_cleanup_free_ int *keep = malloc((2 + cfg->n_mounts) * sizeof(*keep));
	if (!keep) {
		fail_errno("malloc");
		child_fail(errfd, "fds");
	}
	size_t n_keep = 0;
	keep[n_keep++] = errfd;
	keep[n_keep++] = a->syncfd;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cfg->mounts[i].volume->detached)
			keep[n_keep++] = cfg->mounts[i].volume->mnt_fd;
	if (close_fds_except(keep, n_keep) < 0)
		child_fail(errfd, "fds");
	/* Order matters: private first, or our mounts would propagate to the host;
	 * /proc, /dev and /sys before the volumes, so that a volume the pod mounts
	 * at /dev/shm, say, is what the container sees, not hidden beneath the
	 * container's own /dev (vol_mount refuses a mountPath in /proc);
	 * everything mounted before pivot_root, while the host paths are visible. */
	if (rootfs_make_private() < 0)
		child_fail(errfd, "rootfs");
	if (rootfs_mount_overlay(a->image_path, cfg->state_dir, &rf) < 0)
		child_fail(errfd, "rootfs");
	/* A mount at /dev/shm (the pod's, or a volume) stands in for the
	 * container's own. */
	bool own_shm = true;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		own_shm = own_shm && strcmp(cfg->mounts[i].mount_path, "/dev/shm");
	if (rootfs_mount_kernel_fs(rf.merged, own_shm, cfg->privileged) < 0)
		child_fail(errfd, "kernel filesystems");
	int root_fd = open(rf.merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		fail_errno("open(%s)", rf.merged);
		child_fail(errfd, "rootfs");
	}
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct ctr_mount *m = &cfg->mounts[i];
		if (vol_mount(m->volume, root_fd, m->mount_path, m->sub_path, m->readonly) < 0) {
			snprintf(what, sizeof(what), "volume %s at %s", m->volume->name,
			         m->mount_path);
			child_fail(errfd, what);
		}
	}
	/* The termination message file lives in /dev by default, which is a
	 * tmpfs of the container's: bound after it, not before. */
	if (cfg->termination_log) {
		struct volume log = {.name = "termination-log", .kind = VOL_HOSTPATH};
		snprintf(log.host_path, sizeof(log.host_path), "%s", cfg->termination_log);
		if (vol_mount(&log, root_fd, cfg->termination_path, NULL, false) < 0)
			child_fail(errfd, "terminationMessagePath");
	}
	close(root_fd);
	if (rootfs_pivot(rf.merged) < 0)
		child_fail(errfd, "pivot_root");
	const char *wd = cfg->working_dir && *cfg->working_dir ? cfg->working_dir : "/";
	if (mkdir_beneath_root(wd) < 0)
		child_fail(errfd, "workingDir");
	if (rootfs_finish(cfg->readonly_root) < 0)
		child_fail(errfd, "rootfs");

	/* After the pivot "/" is the container's, but a symlink or ".." could still
	 * lead out through a magic link in /proc: resolve beneath "/" anyway. */
	if (chdir_beneath_root(wd) < 0)
		child_fail(errfd, "workingDir");
	exec_in_container(cfg, a->caps, a->filter, cfg->argv, errfd, a->syncfd, true);
}

/* C's first steps, or H's: its cgroup (setup_child), then the sandbox. */
static void join_sandbox(const struct infra *sb, struct child_args *a)
{
	/* Not dumpable until execve (which resets it): a process of another
	 * container in a shared pid namespace, root too, could otherwise ptrace
	 * us while we still hold the host's fds and paths (runc CVE-2016-9962).
	 * First thing, before any clone, as runc's nsexec does: H's C inherits
	 * it, and is never dumpable from its first instruction in the pod's pid
	 * namespace, where the pod's other containers can see it. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		fail_errno("prctl(PR_SET_DUMPABLE, 0)");
		child_fail(a->errfd, "dumpable");
	}
	/* The caller's end of the socket: C must see EOF when the caller dies. */
	if (a->callerfd >= 0)
		close(a->callerfd);
	/* The cgroup before anything else, so that C is never outside it (C
	 * inherits what H joins). */
	if (a->cfg->setup_child && a->cfg->setup_child(a->cfg->setup_arg) < 0)
		child_fail(a->errfd, "setup");
	/* Lab 02's infra_join: the sandbox's net, ipc and uts, and its pid
	 * namespace when the pod shares one (for H's children only). */
	if (a->cfg->share_pid && (!sb || sb->nsfd[NS_PID] < 0)) {
		fail_msg(EINVAL, "the pod does not share its pid namespace");
		child_fail(a->errfd, "sandbox");
	}
	if (sb && infra_join(sb) < 0)
		child_fail(a->errfd, "sandbox");
}

/* C, cloned by the caller: joins the sandbox, then builds the container. It
 * runs nothing but podrun's code until then, as H would. */
static NORETURN void joining_main(const struct infra *sb, struct child_args *a)
{
	join_sandbox(sb, a);
	_exit(container_main(a));
}

/* H: joins the sandbox, clones C as the caller's child, reports C's pid. */
static NORETURN void helper_main(const struct infra *sb, struct child_args *a, int pidfd_w)
{
	join_sandbox(sb, a);
	unsigned long flags = CLONE_PARENT | CLONE_NEWNS | (a->cfg->share_pid ? 0 : CLONE_NEWPID);
	/* The raw clone(2) with no new stack returns twice, as fork(2) does: the
	 * child goes on with a copy of our stack (glibc's clone() wants a stack of
	 * its own, which AddressSanitizer cannot follow). With CLONE_PARENT the
	 * exit signal is ours, SIGCHLD, and it goes to our parent. */
	pid_t c = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0UL);
	if (c == 0)
		_exit(container_main(a));
	if (c < 0) {
		fail_errno("clone(CLONE_PARENT|CLONE_NEWNS%s)",
		           a->cfg->share_pid ? "" : "|CLONE_NEWPID");
		child_fail(a->errfd, "clone");
	}
	if (write(pidfd_w, &c, sizeof(c)) != sizeof(c))
		_exit(1);
	_exit(0);
}

/* Read the error pipe to EOF: "" when the command was exec'd. */
static void read_error(int fd, char *msg, size_t len)
{
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, msg + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (n += (size_t)r) == len - 1)
			break;
	}
	msg[n] = '\0';
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
	}
}

/* C's mount namespace, held open (an fd above 2: see struct ctr). */
static int hold_mnt_ns(pid_t c, int *fd)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)c);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return fail_errno("open(%s)", path);
	return fd_above_stdio(fd);
}

/* Give up on C, which is not to run: kill it, reap it, remove what it made.
 * By pid, safely: c is our child and not reaped, so the pid cannot have been
 * reused. errno is kept, for the caller's message. */
static void abandon(pid_t c, const struct ctr_config *cfg)
{
	int err = errno;
	kill(c, SIGKILL);
	reap(c);
	ctr_cleanup(cfg);
	errno = err;
}

int ctr_start(const struct infra *sandbox, const struct ctr_config *cfg, struct ctr *out)
{
	const char *name = cfg->name ? cfg->name : "?";
	char image_path[PATH_MAX];
	uint64_t caps;

	memset(out, 0, sizeof(*out));
	out->pid = -1;
	out->pidfd = -1;
	if (!cfg->argv || !cfg->argv[0])
		return fail_msg(EINVAL, "container %s: no command", name);
	/* What can be checked from here is checked before anything exists. */
	if (cfg->rootfs_lower) {
		if (snprintf(image_path, sizeof(image_path), "%s", cfg->rootfs_lower) >=
		    (int)sizeof(image_path))
			return fail_msg(ENAMETOOLONG, "container %s: image %s: lowerdir too long",
			                name, cfg->image ? cfg->image : "?");
	} else if (rootfs_image_path(cfg->images_dir, cfg->image, image_path, sizeof(image_path)) <
	           0) {
		char why[ERRMSG_MAX];
		snprintf(why, sizeof(why), "%s", last_error());
		return fail_msg(errno, "container %s: %s", name, why); /* why names the image */
	}
	if (ctr_caps_mask(cfg, &caps) < 0) {
		char why[ERRMSG_MAX];
		snprintf(why, sizeof(why), "%s", last_error());
		return fail_msg(EINVAL, "container %s: capabilities: %s", name, why);
	}
	/* The filter is built here, where a bad profile is still an error to
	 * report, and only loaded in the child. */
	_cleanup_seccomp_ struct ctr_seccomp *filter = NULL;
	if (ctr_seccomp_build(cfg->seccomp, cfg->seccomp_profile, caps, &filter) < 0) {
		char why[ERRMSG_MAX];
		snprintf(why, sizeof(why), "%s", last_error());
		return fail_msg(EINVAL, "container %s: seccomp: %s", name, why);
	}

	_cleanup_close_ int err_r = -1, err_w = -1, pid_r = -1, pid_w = -1, sync = -1, sync_c = -1;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return fail_errno("container %s: pipe2", name);
	err_r = p[0], err_w = p[1];
	/* A pid namespace to join (the pod's shared one): H must make C. */
	bool helper = cfg->share_pid || (sandbox && sandbox->nsfd[NS_PID] >= 0);
	if (helper && pipe2(p, O_CLOEXEC) < 0)
		return fail_errno("container %s: pipe2", name);
	if (helper)
		pid_r = p[0], pid_w = p[1];
	/* C waits on it once built: to be placed, and in a pod that shares its
	 * pid namespace to have its mount namespace held (below). */
	bool wait_built = cfg->place || cfg->share_pid;
	if (wait_built && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return fail_errno("container %s: socketpair", name);
	if (wait_built)
		sync = p[0], sync_c = p[1];

	struct child_args args = {.cfg = cfg,
	                          .image_path = image_path,
	                          .caps = caps,
	                          .filter = filter,
	                          .errfd = err_w,
	                          .syncfd = sync_c,
	                          .callerfd = sync};
	pid_t c = helper ? fork()
	                 : (pid_t)syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, NULL,
	                                  NULL, NULL, 0UL); /* see helper_main on the raw clone */
	if (c < 0)
		return helper ? fail_errno("container %s: fork", name)
		              : fail_errno("container %s: clone(CLONE_NEWNS|CLONE_NEWPID)", name);
	if (c == 0 && helper)
		helper_main(sandbox, &args, pid_w);
	if (c == 0)
		joining_main(sandbox, &args);

	/* Only the children may hold the write ends, or EOF would never come. */
	closep(&err_w);
	closep(&pid_w);
	closep(&sync_c);
	if (cfg->place && cfg->building)
		cfg->building(cfg->place_arg);
	ssize_t got = sizeof(c);
	if (helper) {
		pid_t h = c;
		c = -1;
		while ((got = read(pid_r, &c, sizeof(c))) < 0 && errno == EINTR) {
		}
		reap(h);
	}

	/* "B": C is built and waits to be placed. EOF: C failed, and said why
	 * on the error pipe. */
	char built = 0;
	ssize_t n = 0;
	while (got == sizeof(c) && sync >= 0 && (n = read(sync, &built, 1)) < 0 && errno == EINTR) {
	}
	/* Its mount namespace now, while C has run nothing of the image: once
	 * the command runs it may be gone at any moment, and with it C's link
	 * to the namespace, but not what it left running (ctr_terminated). */
	_cleanup_close_ int mnt_ns = -1;
	if (n == 1 && cfg->share_pid && hold_mnt_ns(c, &mnt_ns) < 0) {
		char why[ERRMSG_MAX];
		snprintf(why, sizeof(why), "%s", last_error());
		abandon(c, cfg);
		return fail_msg(EIO, "container %s: %s", name, why);
	}
	int placed = 0;
	if (n == 1) {
		if (cfg->place)
			placed = cfg->place(cfg->place_arg, c);
		if (placed == 0 && write(sync, "G", 1) != 1)
			placed = fail_errno("write(\"go\" to C)");
	}
	if (placed < 0) {
		char why[ERRMSG_MAX];
		snprintf(why, sizeof(why), "%s", last_error());
		abandon(c, cfg);
		return fail_msg(EIO, "container %s: place: %s", name, why);
	}

	char msg[ERRMSG_MAX];
	read_error(err_r, msg, sizeof(msg));
	if (got != sizeof(c) || msg[0]) {
		if (got == sizeof(c))
			reap(c); /* it wrote its error and exited */
		ctr_cleanup(cfg);
		return fail_msg(EIO, "container %s: %s", name, msg[0] ? msg : "helper failed");
	}

	out->pid = c;
	out->pidfd = sys_pidfd_open(c, 0);
	if (out->pidfd < 0) {
		abandon(c, cfg);
		return fail_errno("container %s: pidfd_open(%d)", name, (int)c);
	}
	out->mnt_ns = mnt_ns > 2 ? mnt_ns : 0;
	mnt_ns = -1;
	out->state = CTR_RUNNING;
	out->started_at = wall_ms();
	return 0;
}

/* ---- the end of a container in the pod's pid namespace ------------------------ */

/*
 * A container with a pid namespace of its own ends whole: when its PID 1
 * exits, the kernel kills every other process of the namespace. In a pod
 * that shares its pid namespace PID 1 is pause, and what the command left
 * running (`sleep 9 &`) would outlive it, reparented to pause, on the
 * container's old root - whose upper directory a restart's ctr_cleanup then
 * deletes under it. containerd's shim kills those when the container's init
 * exits; it finds them in the container's cgroup. This lab has no cgroups
 * (lab 06), but the kernel marks them as well: every process of a container
 * is in the container's mount namespace (C made it, what C starts inherits
 * it, ctr_exec joins it), and no other process is, as neither entering nor
 * leaving one is allowed without CAP_SYS_ADMIN. So the container's
 * processes are those whose /proc/PID/ns/mnt is C's. ctr_start holds the
 * namespace open: once C is gone, so is its link to it, and a namespace
 * nobody holds is freed and its inode number given to the next one made -
 * to someone else's processes.
 */

/* SIGKILL every process in the mount namespace ns; how many there were. */
static int kill_pass(const struct stat *ns)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int found = 0;
	for (struct dirent *e; (e = readdir(d));) {
		long pid;
		if (parse_long(e->d_name, 1, INT_MAX, &pid) < 0)
			continue;
		/* The pidfd first, then the look: should the pid be reused in
		 * between, the look sees the newcomer, but the SIGKILL goes to
		 * the process the pidfd names, which is gone then. */
		int pidfd = sys_pidfd_open((pid_t)pid, 0);
		if (pidfd < 0)
			continue;
		char link[64];
		struct stat st;
		snprintf(link, sizeof(link), "/proc/%ld/ns/mnt", pid);
		if (stat(link, &st) == 0 && st.st_dev == ns->st_dev && st.st_ino == ns->st_ino) {
			sys_pidfd_send_signal(pidfd, SIGKILL, 0);
			found++;
		}
		close(pidfd);
	}
	closedir(d);
	return found;
}

/* Pass after pass (a process may fork meanwhile), until one finds nobody
 * left in the namespace - an exited process is in none - or a second has
 * passed (one stuck in the kernel dies when it comes back). Then the
 * namespace is let go, and with it the container's overlay. */
static void end_the_rest(struct ctr *c)
{
	if (c->mnt_ns <= 2)
		return;
	struct stat ns;
	if (fstat(c->mnt_ns, &ns) == 0) {
		int64_t give_up = now_ms() + 1000;
		while (kill_pass(&ns) > 0 && now_ms() < give_up)
			sleep_ms(1);
	}
	close(c->mnt_ns);
	c->mnt_ns = 0;
}

void ctr_terminated(struct ctr *c, int wstatus)
{
	if (c->state == CTR_RUNNING)
		closep(&c->pidfd);
	end_the_rest(c);
	c->state = CTR_TERMINATED;
	c->finished_at = wall_ms();
	if (WIFSIGNALED(wstatus)) {
		c->signal = WTERMSIG(wstatus);
		c->exit_code = 128 + c->signal;
		const char *abbrev = sigabbrev_np(c->signal);
		if (abbrev)
			snprintf(c->reason, sizeof(c->reason), "SIG%s", abbrev);
		else
			snprintf(c->reason, sizeof(c->reason), "signal %d", c->signal);
	} else {
		c->signal = 0;
		c->exit_code = WEXITSTATUS(wstatus);
		snprintf(c->reason, sizeof(c->reason), "%s", c->exit_code ? "Error" : "Completed");
	}
}

void ctr_start_failed(struct ctr *c)
{
	*c = (struct ctr){.state = CTR_TERMINATED, .pid = -1, .pidfd = -1};
	c->finished_at = wall_ms();
	c->exit_code = 128;
	snprintf(c->reason, sizeof(c->reason), "StartError");
}

bool ctr_never_ran(const struct ctr *c)
{
	return c->state == CTR_TERMINATED && !strcmp(c->reason, "StartError");
}

int ctr_wait(struct ctr *c)
{
	if (c->state != CTR_RUNNING)
		return 0;
	int st;
	pid_t r;
	while ((r = waitpid(c->pid, &st, 0)) < 0 && errno == EINTR) {
	}
	if (r < 0)
		return fail_errno("waitpid(%d)", (int)c->pid);
	ctr_terminated(c, st);
	return 0;
}

int ctr_stop(struct ctr *c, int grace_ms)
{
	if (c->state != CTR_RUNNING)
		return 0;
	/* A container's PID 1 gets no default action for SIGTERM from the kernel:
	 * if it installed no handler, SIGTERM does nothing and SIGKILL is needed. */
	if (sys_pidfd_send_signal(c->pidfd, SIGTERM, 0) < 0 && errno != ESRCH)
		return fail_errno("pidfd_send_signal(%d, SIGTERM)", (int)c->pid);
	struct pollfd pfd = {.fd = c->pidfd, .events = POLLIN};
	int r;
	while ((r = poll(&pfd, 1, grace_ms > 0 ? grace_ms : 0)) < 0 && errno == EINTR) {
	}
	if (r == 0 && sys_pidfd_send_signal(c->pidfd, SIGKILL, 0) < 0 && errno != ESRCH)
		return fail_errno("pidfd_send_signal(%d, SIGKILL)", (int)c->pid);
	return ctr_wait(c);
}

/* A pseudo-terminal of the container's own devpts, for exec -t: its
 * /dev/ptmx opened beneath its root, from the host (a path the container
 * controls, so resolved as the kernel resolves it for the container). */
static int open_container_ptmx(pid_t pid)
{
	char root_path[64];
	snprintf(root_path, sizeof(root_path), "/proc/%d/root", (int)pid);
	_cleanup_close_ int root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return fail_errno("open(%s)", root_path);
	struct open_how how = {.flags = O_RDWR | O_NOCTTY | O_CLOEXEC,
	                       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = sys_openat2(root, "dev/ptmx", &how, sizeof(how));
	if (fd < 0)
		return fail_errno("open(%s/dev/ptmx)", root_path);
	if (unlockpt(fd) < 0) {
		int rc = fail_errno("unlockpt(%s/dev/ptmx)", root_path);
		close(fd);
		return rc;
	}
	return fd;
}

/* The exec'd command's fds 0-2: the slave of the pty (its controlling
 * terminal), or its ends of the pipes, /dev/null for what the caller does
 * not relay. Called in the container, after setsid(). */
static int exec_stdio(int master, const int in[2], const int out[2], const int err[2])
{
	if (master >= 0) {
		/* TIOCGPTPEER opens the slave from the master itself: no path a
		 * process of the container could swap under us. */
		int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0)
			return fail_errno("ioctl(TIOCGPTPEER)");
		if (ioctl(slave, TIOCSCTTY, 0) < 0)
			return fail_errno("ioctl(TIOCSCTTY)");
		return setup_stdio(slave, slave, slave);
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return fail_errno("open(/dev/null)");
	return setup_stdio(in[0], out[1] >= 0 ? out[1] : null, err[1] >= 0 ? err[1] : null);
}

/* Copy what is there from one fd to another; false at EOF or error. */
static bool relay_once(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false; /* EOF; EIO on a pty master: every slave fd is closed */
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return true; /* the caller's side is gone: drop, keep draining */
		off += w;
	}
	return true;
}

/* The caller's side of exec's stdio, until the command's output ends:
 * caller stdin -> command, command stdout/stderr (or the pty) -> caller. */
static void exec_relay(const struct ctr_config *cfg, int master, int in_w, int out_r, int err_r)
{
	enum { IN, OUT, ERR };
	struct pollfd p[3] = {{.fd = -1}, {.fd = -1}, {.fd = -1}};
	int to[3] = {master >= 0 ? master : in_w, cfg->stdout_fd, cfg->stderr_fd};
	if (to[IN] >= 0 && cfg->stdin_fd >= 0)
		p[IN] = (struct pollfd){.fd = cfg->stdin_fd, .events = POLLIN};
	p[OUT] = (struct pollfd){.fd = master >= 0 ? master : out_r, .events = POLLIN};
	p[ERR] = (struct pollfd){.fd = master >= 0 ? -1 : err_r, .events = POLLIN};
	while (p[OUT].fd >= 0 || p[ERR].fd >= 0) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (int i = 0; i < 3; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (relay_once(p[i].fd, i == IN ? to[IN] : to[i]))
				continue;
			p[i].fd = -1;
			/* the caller's stdin ended: so does the command's (not the pty's,
			 * where EOF is a character the command reads) */
			if (i == IN && master < 0)
				closep(&in_w);
		}
	}
	closep(&in_w);
}

/* fork(2), but the child is inside the running container: in every
 * namespace of fds (lab 01's ns_join, in its safe order), its pid namespace
 * included. Returns as fork does: the child's pid, 0 in the child, -1. */
static pid_t enter_container(int fds[NS_COUNT])
{
	/* BEGIN EXERCISE: ctr-exec-pid (easy, 20 min): enter a container's pid namespace for real
	 * Needs: ns-join, ctr-drop
	 * Hint: README.md "Entering a running container"; setns(2), pid_namespaces(7) */
	/* STUB: (void)fds; return exercise_todo(4, "ctr-exec-pid"); */
	if (ns_join(fds) < 0)
		return -1;
	/* setns(CLONE_NEWPID) moved only our children-to-be: a process never
	 * changes its own pid namespace (its pid would change under it). */
	pid_t y = fork();
	if (y < 0)
		return fail_errno("fork");
	return y;
	/* END EXERCISE */
}

int ctr_exec(const struct ctr *c, const struct ctr_config *cfg, char *const argv[])
{
	const char *name = cfg->name ? cfg->name : "?";
	if (c->state != CTR_RUNNING)
		return fail_msg(ESRCH, "container %s is not running", name);
	if (!argv || !argv[0])
		return fail_msg(EINVAL, "exec in %s: no command", name);
	uint64_t caps;
	if (ctr_caps_mask(cfg, &caps) < 0)
		return -1;
	_cleanup_seccomp_ struct ctr_seccomp *filter = NULL;
	if (ctr_seccomp_build(cfg->seccomp, cfg->seccomp_profile, caps, &filter) < 0)
		return -1;
	/* The command's stdio, made before anything joins anything. */
	_cleanup_close_ int master = -1;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, p[2] = {-1, -1};
	if (cfg->tty) {
		if ((master = open_container_ptmx(c->pid)) < 0)
			return -1;
	} else if ((cfg->stdin_fd >= 0 && pipe2(in, O_CLOEXEC) < 0) ||
	           (cfg->stdout_fd >= 0 && pipe2(out, O_CLOEXEC) < 0) ||
	           (cfg->stderr_fd >= 0 && pipe2(err, O_CLOEXEC) < 0)) {
		fail_errno("pipe2");
		goto fail;
	}
	/* Everything but the user namespace (we never made one); mnt comes last in
	 * the loop below because joining it moves our root and cwd into the container. */
	int fds[NS_COUNT];
	/* its cgroup namespace too, after setup_child put us in its cgroups:
	 * with mount_cgroups the container has one of its own */
	unsigned want = NS_BIT(NS_IPC) | NS_BIT(NS_UTS) | NS_BIT(NS_NET) | NS_BIT(NS_PID) |
	                NS_BIT(NS_MNT) | NS_BIT(NS_CGROUP);
	if (ns_open(c->pid, want, fds) < 0)
		goto fail;
	if (pipe2(p, O_CLOEXEC) < 0) {
		fail_errno("pipe2");
		ns_close(fds);
		goto fail;
	}
	pid_t x = fork();
	if (x < 0) {
		fail_errno("fork");
		ns_close(fds);
		goto fail;
	}
	if (x == 0) {
		close(p[0]);
		/* Entering a running container: its processes must not ptrace us
		 * before execve (runc CVE-2016-9962). */
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
			fail_errno("prctl(PR_SET_DUMPABLE, 0)");
			child_fail(p[1], "dumpable");
		}
		umask(022); /* as for the container's own command */
		if (cfg->setup_child && cfg->setup_child(cfg->setup_arg) < 0)
			child_fail(p[1], "setup");
		pid_t y = enter_container(fds);
		if (y < 0)
			child_fail(p[1], "join");
		if (y == 0) {
			/* A session of its own, and never the caller's terminal: a
			 * process of the container holding the operator's tty could
			 * push input into it (TIOCSTI) or read what is typed. */
			if (setsid() < 0) {
				fail_errno("setsid");
				child_fail(p[1], "session");
			}
			if (exec_stdio(master, in, out, err) < 0)
				child_fail(p[1], "stdio");
			/* in the container now, still root: nothing of the
			 * supervisor's from here on (container_main's step 1') */
			int keep[] = {p[1]};
			if (close_fds_except(keep, 1) < 0)
				child_fail(p[1], "fds");
			const char *wd =
			    cfg->working_dir && *cfg->working_dir ? cfg->working_dir : "/";
			if (chdir_beneath_root(wd) < 0)
				child_fail(p[1], "workingDir");
			exec_in_container(cfg, caps, filter, argv, p[1], -1, false);
		}
		close(p[1]);
		/* x keeps no end of the command's stdio: EOF must come when the
		 * command (and what it started) is done. */
		for (int i = 0; i < 2; i++) {
			closep(&in[i]);
			closep(&out[i]);
			closep(&err[i]);
		}
		closep(&master);
		int st;
		while (waitpid(y, &st, 0) < 0) {
			if (errno != EINTR)
				_exit(126);
		}
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	ns_close(fds);
	closep(&p[1]);
	closep(&in[0]);
	closep(&out[1]);
	closep(&err[1]);
	char msg[ERRMSG_MAX];
	read_error(p[0], msg, sizeof(msg));
	closep(&p[0]);
	if (!msg[0])
		exec_relay(cfg, master, in[1], out[0], err[0]);
	else
		closep(&in[1]);
	in[1] = -1; /* exec_relay closed it */
	closep(&out[0]);
	closep(&err[0]);
	int st;
	while (waitpid(x, &st, 0) < 0) {
		if (errno != EINTR)
			return fail_errno("waitpid(%d)", (int)x);
	}
	if (msg[0])
		return fail_msg(EIO, "exec in %s: %s", name, msg);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);

fail:
	for (int i = 0; i < 2; i++) {
		closep(&in[i]);
		closep(&out[i]);
		closep(&err[i]);
		closep(&p[i]);
	}
	return -1;
}

int ctr_cleanup(const struct ctr_config *cfg)
{
	if (!cfg->state_dir)
		return 0;
	int rc = rootfs_cleanup(cfg->state_dir);
	if (rmdir(cfg->state_dir) < 0 && errno != ENOENT)
		rc = fail_errno("rmdir(%s)", cfg->state_dir);
	return rc;
}
