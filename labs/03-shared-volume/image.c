/*
 * image.c - OCI images in a content-addressed store (see image.h).
 *
 * Syscalls: openat2(2) (RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, RESOLVE_IN_ROOT),
 * mkdirat(2), mknodat(2), symlinkat(2), linkat(2), fsetxattr(2),
 * fchownat(2), renameat(2), flock(2).
 * Libraries: libarchive (tar; gzip and zstd, bzip2 and xz too for a whole
 * archive; opened when first needed, see archive_dl.h), json-c, nettle
 * (sha256).
 *
 * The one rule of unpacking hostile input: every file is created by a *at()
 * call on the fd of its parent directory, and that fd was opened one
 * component at a time beneath the layer's root with RESOLVE_NO_SYMLINKS. A
 * path string is never handed to the kernel whole: "a/../../etc" is refused
 * before, and a symlink planted by an earlier entry is never followed.
 */
#include "image.h"

#include "archive_dl.h"
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <linux/openat2.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/xattr.h>

#define JSON_MAX (4 << 20) /* a manifest, index or config larger than this is refused */

/* ---- small helpers ------------------------------------------------------------- */

void img_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* An empty vector. Not calloc: gcc 12's -fanalyzer does not know calloc
 * zeroes, and would see the terminator as uninitialized (`make lint`). */
static char **strv_new(void)
{
	char **v = malloc(sizeof(*v));
	if (v)
		v[0] = NULL;
	return v;
}

/* Append a copy of s to *v (NULL-terminated, *n entries). */
static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (!nv)
		return fail_errno("realloc");
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return fail_errno("strdup");
	nv[++*n] = NULL;
	return 0;
}

/* Replace entry j of v by a copy of s. */
static int strv_set(char **v, size_t j, const char *s)
{
	char *copy = strdup(s);
	if (!copy)
		return fail_errno("strdup");
	free(v[j]);
	ANALYZER_REALLOC_LEAK_FP_BEGIN
	v[j] = copy;
	ANALYZER_REALLOC_LEAK_FP_END
	return 0;
}

static void hex_of(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha256_final_digest(struct sha256_ctx *c, char out[IMG_DIGEST_MAX])
{
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(c, sizeof(d), d);
	memcpy(out, "sha256:", 7);
	hex_of(d, sizeof(d), out + 7);
}

static void sha256_of(const void *p, size_t n, char out[IMG_DIGEST_MAX])
{
	struct sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, n, p);
	sha256_final_digest(&c, out);
}

/* "sha256:" and 64 lowercase hex digits: the only digests accepted, and so the
 * only strings that ever become a file name in the store. */
static bool digest_ok(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static const char *hex(const char *digest)
{
	return digest + 7;
}

/* Keep the first failure's message across a clean-up that may record its own. */
static void cleanup_keep_error(const char *path)
{
	char saved[1024];
	int err = errno;
	snprintf(saved, sizeof(saved), "%s", last_error());
	rm_rf(path);
	set_last_error(saved);
	errno = err;
}

/* Read a whole small file from fd: NUL-terminated, at most JSON_MAX bytes. */
static char *read_fd_all(int fd, const char *what, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf) {
		fail_errno("malloc");
		return NULL;
	}
	for (;;) {
		if (n + 1 == cap) {
			if (cap > JSON_MAX) {
				free(buf);
				fail_msg(EFBIG, "%s: larger than %d bytes", what, JSON_MAX);
				return NULL;
			}
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				fail_errno("realloc");
				return NULL;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			fail_errno("read(%s)", what);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int write_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = pwrite(fd, c, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w, n -= (size_t)w, off += w;
	}
	return 0;
}

/* Write a file so that readers see the old content or the new, never half. */
static int write_file_atomic(const char *path, const char *data, size_t n)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return fail_msg(ENAMETOOLONG, "%s: path too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail_errno("open(%s)", tmp);
	if (write_all(fd, data, n, 0) < 0 || fsync(fd) < 0) {
		fail_errno("write(%s)", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		fail_errno("rename(%s, %s)", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- references ------------------------------------------------------------------ */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component of a repository name: [a-z0-9]+ joined by '.', '_', '__'
 * or '-'s (docker's distribution/reference grammar). */
static bool name_component_ok(const char *s, size_t n)
{
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i], prev = s[i - 1];
		if (is_lower_alnum(c) || c == '-')
			continue;
		if (c == '.' && is_lower_alnum(prev))
			continue;
		if (c == '_' && (is_lower_alnum(prev) || (prev == '_' && is_lower_alnum(s[i - 2]))))
			continue; /* "_" or "__"; i >= 2 when prev is '_', s[0] being alnum */
		return false;
	}
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(is_lower_alnum(t[i]) || (t[i] >= 'A' && t[i] <= 'Z') || t[i] == '_' ||
		      t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

int img_ref_parse(const char *s, struct img_ref *out)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return fail_msg(EINVAL, "empty image reference");
	if (strlen(s) >= IMG_REF_MAX - 32)
		return fail_msg(ENAMETOOLONG, "image reference %.40s...: too long", s);
	char buf[IMG_REF_MAX];
	snprintf(buf, sizeof(buf), "%s", s);

	char *at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		if (!digest_ok(at + 1))
			return fail_msg(
			    EINVAL, "image %s: the digest must be sha256: and 64 hex digits", s);
		snprintf(out->digest, sizeof(out->digest), "%s", at + 1);
	}
	/* The tag is after a ':' that follows the last '/': the ':' of
	 * "localhost:5000/x" is a port. */
	char *slash = strrchr(buf, '/');
	char *colon = strchr(slash ? slash : buf, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_ok(colon + 1))
			return fail_msg(EINVAL, "image %s: bad tag '%s'", s, colon + 1);
		snprintf(out->tag, sizeof(out->tag), "%s", colon + 1);
	}
	if (!out->tag[0] && !out->digest[0])
		snprintf(out->tag, sizeof(out->tag), "latest");

	/* The first component is a registry when it looks like a host: it has a
	 * '.' or a ':' (a port), or it is "localhost". Otherwise docker.io, and a
	 * one-component name lives in docker.io's "library/". */
	const char *path = buf, *domain = "docker.io";
	char dom[256];
	char *first = strchr(buf, '/');
	if (first) {
		size_t dn = (size_t)(first - buf);
		if (memchr(buf, '.', dn) || memchr(buf, ':', dn) ||
		    (dn == 9 && !strncmp(buf, "localhost", 9))) {
			if (dn >= sizeof(dom))
				return fail_msg(EINVAL, "image %s: registry name too long", s);
			memcpy(dom, buf, dn);
			dom[dn] = '\0';
			domain = !strcmp(dom, "index.docker.io") ? "docker.io" : dom;
			path = first + 1;
		}
	}
	for (const char *p = path;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!name_component_ok(p, n)) {
			for (size_t i = 0; i < n; i++)
				if (p[i] >= 'A' && p[i] <= 'Z')
					return fail_msg(
					    EINVAL, "image %s: repository names are lowercase", s);
			return fail_msg(EINVAL, "image %s: bad name component '%.*s'", s, (int)n,
			                p);
		}
		if (!e)
			break;
		p = e + 1;
	}
	bool library = !strcmp(domain, "docker.io") && !strchr(path, '/');
	if (snprintf(out->name, sizeof(out->name), "%s/%s%s", domain, library ? "library/" : "",
	             path) >= (int)sizeof(out->name))
		return fail_msg(ENAMETOOLONG, "image %s: name too long", s);
	int n = snprintf(out->full, sizeof(out->full), "%s", out->name);
	if (out->tag[0])
		n += snprintf(out->full + n, sizeof(out->full) - (size_t)n, ":%s", out->tag);
	if (out->digest[0])
		snprintf(out->full + n, sizeof(out->full) - (size_t)n, "@%s", out->digest);
	return 0;
}

/* ---- whiteouts --------------------------------------------------------------------- */

enum img_wh img_whiteout_kind(const char *name, const char **hidden)
{
	*hidden = NULL;
	if (strncmp(name, ".wh.", 4) != 0)
		return IMG_WH_NONE;
	if (!strcmp(name, ".wh..wh..opq"))
		return IMG_WH_OPAQUE;
	if (!strncmp(name, ".wh..wh.", 8))
		return IMG_WH_IGNORE;
	*hidden = name + 4;
	return IMG_WH_FILE;
}

int img_whiteout_apply(int dirfd, enum img_wh kind, const char *hidden)
{
	/* BEGIN EXERCISE: img-whiteout (easy, 20 min): a whiteout entry in its overlayfs form
	 * Hint: README.md "An image is a stack of layers"; man 2 mknodat, man 2 fsetxattr,
	 * makedev(3); the kernel's Documentation/filesystems/overlayfs.rst */
	/* STUB: (void)dirfd; (void)kind; (void)hidden; return exercise_todo(3, "img-whiteout"); */
	switch (kind) {
	case IMG_WH_FILE:
		/* overlayfs reads a character device with device number 0:0 in an
		 * upper layer as "this name is deleted": lookups below it stop. */
		if (!hidden || !*hidden || strchr(hidden, '/') || !strcmp(hidden, ".") ||
		    !strcmp(hidden, ".."))
			return fail_msg(EINVAL, "whiteout of '%s': not a name",
			                hidden ? hidden : "");
		if (mknodat(dirfd, hidden, S_IFCHR | 0, makedev(0, 0)) < 0)
			return fail_errno("mknodat(%s, S_IFCHR, 0:0)", hidden);
		return 0;
	case IMG_WH_OPAQUE:
		/* An opaque directory hides everything the lower layers have in the
		 * directory of the same path, and keeps its own entries. Only root
		 * may set trusted.* xattrs, which is why an unprivileged user cannot
		 * forge one on a filesystem it shares with the host. */
		if (fsetxattr(dirfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return fail_errno("fsetxattr(trusted.overlay.opaque=y)");
		return 0;
	case IMG_WH_IGNORE:
	case IMG_WH_NONE:
		return 0;
	}
	return fail_msg(EINVAL, "unknown whiteout kind %d", (int)kind);
	/* END EXERCISE */
}

/* ---- unpacking beneath a root ---------------------------------------------------------- */

struct dir_times {
	char *path; /* beneath the root, "" for the root */
	struct timespec ts[2];
};

struct unpack {
	int root;         /* the directory every entry goes beneath */
	bool layer;       /* a layer: owners, modes and whiteouts are honoured */
	const char *what; /* "layer sha256:..." or the archive's path, for messages */
	uint64_t entries, max_entries;
	uint64_t file_bytes, max_bytes; /* file bytes written, and the bound */
	/* each directory entry's times, set once every entry is in: an entry
	 * made in a directory changes its mtime */
	struct dir_times *dirs;
	size_t n_dirs;
};

/* "./a//b/./c" -> "a/b/c"; "" for the root itself. Absolute paths and ".."
 * anywhere are refused: no entry names anything outside its layer. */
static int clean_path(const struct unpack *u, const char *in, char *out, size_t len)
{
	if (!in)
		return fail_msg(EINVAL, "%s: an entry without a name", u->what);
	if (in[0] == '/')
		return fail_msg(EPERM, "%s: entry '%s': absolute path", u->what, in);
	size_t o = 0;
	for (const char *p = in; *p;) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return fail_msg(EPERM, "%s: entry '%s': '..' leaves the layer", u->what,
			                in);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o + n + 2 > len)
				return fail_msg(ENAMETOOLONG, "%s: entry '%.60s...': name too long",
				                u->what, in);
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = *e ? e + 1 : e;
	}
	out[o] = '\0';
	return 0;
}

/* Open directory `rel` beneath u->root one component at a time, making the
 * missing ones (0755) when create. No component may be a symlink or leave
 * the root: RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH make the kernel refuse. */
static int open_dir_beneath(const struct unpack *u, const char *rel, const char *entry, bool create)
{
	int fd = fcntl(u->root, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return fail_errno("dup");
	char comp[NAME_MAX + 1];
	for (const char *p = rel; *p;) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n > NAME_MAX) {
			close(fd);
			return fail_msg(ENAMETOOLONG, "%s: entry '%s': component too long", u->what,
			                entry);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		bool made = create && mkdirat(fd, comp, 0755) == 0;
		if (create && !made && errno != EEXIST) {
			fail_errno("%s: entry '%s': mkdirat(%s)", u->what, entry, comp);
			close(fd);
			return -1;
		}
		struct open_how how = {
		    .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
		               RESOLVE_NO_XDEV,
		};
		int next = sys_openat2(fd, comp, &how, sizeof(how));
		int err = errno;
		close(fd);
		if (next < 0) {
			if (err == ELOOP)
				return fail_msg(EPERM,
				                "%s: entry '%s': goes through the symlink '%.*s'",
				                u->what, entry, (int)(e - rel), rel);
			if (err == ENOTDIR)
				return fail_msg(ENOTDIR,
				                "%s: entry '%s': '%.*s' is not a directory",
				                u->what, entry, (int)(e - rel), rel);
			errno = err;
			return fail_errno("%s: entry '%s': openat2(%.*s)", u->what, entry,
			                  (int)(e - rel), rel);
		}
		fd = next;
		/* A directory the tar did not list: 0755 whatever our umask is. */
		if (made && fchmod(fd, 0755) < 0) {
			fail_errno("%s: entry '%s': chmod(%.*s)", u->what, entry, (int)(e - rel),
			           rel);
			close(fd);
			return -1;
		}
		p = *e ? e + 1 : e;
	}
	return fd;
}

/* Make room for a new entry `name` in dirfd: a later tar entry replaces an
 * earlier one of the same name, a directory with all it holds (as docker's
 * and containerd's appliers do), except a directory stays a directory. */
static int make_room(const struct unpack *u, int dirfd, const char *name, bool want_dir,
                     const char *entry)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail_errno("%s: fstatat(%s)", u->what, entry);
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 1; /* exists: keep it */
		if (rm_rf_beneath(dirfd, name) < 0)
			return fail_msg(errno, "%s: entry '%s' replaces a directory: %s", u->what,
			                entry, last_error());
		return 0;
	}
	if (unlinkat(dirfd, name, 0) < 0)
		return fail_errno("%s: unlinkat(%s)", u->what, entry);
	return 0;
}

/* Owner, mode and times of a layer entry; an archive's own files keep ours. */
static int set_meta(const struct unpack *u, int dirfd, const char *name, int fd,
                    struct archive_entry *e, const char *entry)
{
	if (!u->layer)
		return 0;
	mode_t type = archive_entry_filetype(e);
	/* chown first: it clears the set-user-ID bit that chmod then sets. */
	if (fchownat(dirfd, name, archive_entry_uid(e), archive_entry_gid(e),
	             AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH)) < 0)
		return fail_errno("%s: entry '%s': chown", u->what, entry);
	if (type == AE_IFLNK)
		return 0; /* a symlink's mode means nothing; its times are kept below */
	mode_t mode = archive_entry_perm(e) & 07777;
	if (fd >= 0 ? fchmod(fd, mode) < 0 : fchmodat(dirfd, name, mode, 0) < 0)
		return fail_errno("%s: entry '%s': chmod", u->what, entry);
	/* Extended attributes the image may carry: file capabilities (ping's
	 * cap_net_raw) and user.*. Never trusted.*: trusted.overlay.* in a layer
	 * would be read by overlayfs as its own metadata (redirects, opaque). */
	const char *xn;
	const void *xv;
	size_t xs;
	archive_entry_xattr_reset(e);
	while (fd >= 0 && archive_entry_xattr_next(e, &xn, &xv, &xs) == ARCHIVE_OK)
		if ((!strncmp(xn, "user.", 5) || !strcmp(xn, "security.capability")) &&
		    fsetxattr(fd, xn, xv, xs, 0) < 0)
			return fail_errno("%s: entry '%s': fsetxattr(%s)", u->what, entry, xn);
	return 0;
}

/* The entry's times, to the nanosecond (a pax header's fraction). Its atime
 * is never older than its mtime, as containerd's applier sets it: a ustar
 * header has no atime, and 0 would make every file look read in 1970. */
static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[0] = (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)};
	ts[1] = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
	if (!archive_entry_atime_is_set(e) || ts[0].tv_sec < ts[1].tv_sec ||
	    (ts[0].tv_sec == ts[1].tv_sec && ts[0].tv_nsec < ts[1].tv_nsec))
		ts[0] = ts[1];
}

/* ... on fd, or for a symlink (fd -1) on name itself. */
static int set_times(const struct unpack *u, int dirfd, const char *name, int fd,
                     struct archive_entry *e, const char *entry)
{
	struct timespec ts[2];
	entry_times(e, ts);
	if (fd >= 0 ? futimens(fd, ts) < 0 : utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_errno("%s: entry '%s': %s", u->what, entry,
		                  fd >= 0 ? "futimens" : "utimensat");
	return 0;
}

/* A directory's times, for set_dir_times once every entry is in. */
static int note_dir_times(struct unpack *u, const char *parent, const char *name,
                          struct archive_entry *e)
{
	if (!(u->n_dirs & (u->n_dirs + 1))) { /* 0, 1, 3, 7...: full, double it */
		struct dir_times *more = realloc(u->dirs, (2 * u->n_dirs + 1) * sizeof(*more));
		if (!more)
			return fail_errno("%s: realloc", u->what);
		u->dirs = more;
	}
	struct dir_times *d = &u->dirs[u->n_dirs];
	if (asprintf(&d->path, "%s%s%s", parent, *parent ? "/" : "", name) < 0)
		return fail_errno("%s: asprintf", u->what);
	entry_times(e, d->ts);
	u->n_dirs++;
	return 0;
}

/* Open the directory name of dirfd, never through a symlink. */
static int open_subdir_beneath(const struct unpack *u, int dirfd, const char *name,
                               const char *entry)
{
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
	                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
	int fd = sys_openat2(dirfd, name, &how, sizeof(how));
	return fd >= 0 ? fd : fail_errno("%s: entry '%s': openat2(%s)", u->what, entry, name);
}

static int set_meta_dir(const struct unpack *u, int dirfd, const char *name,
                        struct archive_entry *e, const char *entry)
{
	_cleanup_close_ int fd = open_subdir_beneath(u, dirfd, name, entry);
	return fd < 0 ? -1 : set_meta(u, dirfd, name, fd, e, entry);
}

/* This layer's directory name stands alone: what the layers below have in
 * a directory of that path is hidden (a whiteout of the name in the same
 * layer deleted it). */
static int make_opaque(const struct unpack *u, int dirfd, const char *name, const char *entry)
{
	_cleanup_close_ int fd = open_subdir_beneath(u, dirfd, name, entry);
	if (fd < 0)
		return -1;
	if (img_whiteout_apply(fd, IMG_WH_OPAQUE, NULL) < 0)
		return fail_msg(errno, "%s: entry '%s': %s", u->what, entry, last_error());
	return 0;
}

static int unpack_file(struct unpack *u, struct archive *a, int dirfd, const char *name,
                       struct archive_entry *e, const char *entry)
{
	_cleanup_close_ int fd =
	    openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno("%s: entry '%s': openat", u->what, entry);
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
		u->file_bytes += size;
		if (u->file_bytes > u->max_bytes)
			return fail_msg(EFBIG, "%s: over the limit of %llu bytes at '%s'", u->what,
			                (unsigned long long)u->max_bytes, entry);
		if (write_all(fd, buf, size, off) < 0)
			return fail_errno("%s: entry '%s': write", u->what, entry);
	}
	if (r != ARCHIVE_EOF)
		return fail_msg(EIO, "%s: entry '%s': %s", u->what, entry, archive_error_string(a));
	/* A sparse file may end in a hole: the size is the header's. */
	if (ftruncate(fd, archive_entry_size(e)) < 0)
		return fail_errno("%s: entry '%s': ftruncate", u->what, entry);
	if (set_meta(u, dirfd, name, fd, e, entry) < 0)
		return -1;
	return set_times(u, dirfd, name, fd, e, entry);
}

static int unpack_entry(struct unpack *u, struct archive *a, struct archive_entry *e)
{
	char path[PATH_MAX];
	const char *raw = archive_entry_pathname(e);
	if (clean_path(u, raw, path, sizeof(path)) < 0)
		return -1;
	if (++u->entries > u->max_entries)
		return fail_msg(EFBIG, "%s: more than %llu entries", u->what,
		                (unsigned long long)u->max_entries);
	if (archive_entry_size_is_set(e) && archive_entry_size(e) < 0)
		return fail_msg(EINVAL, "%s: entry '%s': negative size", u->what, raw);
	if (archive_entry_size_is_set(e) &&
	    (uint64_t)archive_entry_size(e) > u->max_bytes - u->file_bytes)
		return fail_msg(EFBIG, "%s: entry '%s' declares %lld bytes, over the limit of %llu",
		                u->what, raw, (long long)archive_entry_size(e),
		                (unsigned long long)u->max_bytes);

	mode_t type = archive_entry_filetype(e);
	const char *hardlink = archive_entry_hardlink(e);
	char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	const char *parent = "";
	if (slash) {
		*slash = '\0';
		parent = path;
	}
	char shown[PATH_MAX];
	snprintf(shown, sizeof(shown), "%s", raw);

	if (!*name) { /* "./": the layer's root directory itself */
		if (type != AE_IFDIR)
			return fail_msg(EINVAL, "%s: entry '%s': the root is not a directory",
			                u->what, raw);
		if (set_meta(u, u->root, "", u->root, e, shown) < 0)
			return -1;
		return note_dir_times(u, "", "", e);
	}

	if (u->layer) {
		const char *hidden;
		enum img_wh kind = img_whiteout_kind(name, &hidden);
		if (kind == IMG_WH_IGNORE)
			return 0;
		if (kind != IMG_WH_NONE) {
			_cleanup_close_ int dfd = open_dir_beneath(u, parent, shown, true);
			if (dfd < 0)
				return -1;
			struct stat st;
			/* A name this layer itself has wins over its whiteout (image-spec:
			 * a whiteout applies only to the layers below). A file hides the
			 * lower one by itself; a directory would merge with the lower one
			 * the whiteout deletes, unless it is opaque. */
			if (kind == IMG_WH_FILE &&
			    fstatat(dfd, hidden, &st, AT_SYMLINK_NOFOLLOW) == 0)
				return S_ISDIR(st.st_mode) ? make_opaque(u, dfd, hidden, shown) : 0;
			if (img_whiteout_apply(dfd, kind, hidden) < 0)
				return fail_msg(errno, "%s: entry '%s': %s", u->what, shown,
				                last_error());
			return 0;
		}
	}

	_cleanup_close_ int dfd = open_dir_beneath(u, parent, shown, true);
	if (dfd < 0)
		return -1;

	if (hardlink) {
		/* The target is resolved beneath the root like any entry: a link to
		 * ../../etc/shadow is refused, not made. */
		char target[PATH_MAX];
		if (clean_path(u, hardlink, target, sizeof(target)) < 0)
			return -1;
		char *ts = strrchr(target, '/');
		const char *tname = ts ? ts + 1 : target, *tparent = "";
		if (ts) {
			*ts = '\0';
			tparent = target;
		}
		if (!*tname)
			return fail_msg(EPERM, "%s: entry '%s': hard link to the root", u->what,
			                raw);
		_cleanup_close_ int tfd = open_dir_beneath(u, tparent, shown, false);
		if (tfd < 0)
			return -1;
		if (make_room(u, dfd, name, false, shown) < 0)
			return -1;
		/* flags 0: a target that is a symlink is linked itself, never followed. */
		if (linkat(tfd, tname, dfd, name, 0) < 0)
			return fail_errno("%s: entry '%s': link to '%s'", u->what, raw, hardlink);
		return 0;
	}

	switch (type) {
	case AE_IFDIR: {
		/* A 0:0 device here is this layer's own whiteout of the name (no
		 * device of the tar is made): the layer deletes the lower directory
		 * and makes a new one, which must not merge with it. */
		struct stat st;
		bool deleted = u->layer && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		               S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
		int r = make_room(u, dfd, name, true, shown);
		if (r < 0)
			return -1;
		if (r == 0 && mkdirat(dfd, name, 0700) < 0)
			return fail_errno("%s: entry '%s': mkdirat", u->what, raw);
		if (set_meta_dir(u, dfd, name, e, shown) < 0 ||
		    note_dir_times(u, parent, name, e) < 0)
			return -1;
		return deleted ? make_opaque(u, dfd, name, shown) : 0;
	}
	case AE_IFREG:
		if (make_room(u, dfd, name, false, shown) < 0)
			return -1;
		return unpack_file(u, a, dfd, name, e, shown);
	case AE_IFLNK: {
		/* Stored as it is, never followed here: an absolute target means the
		 * container's own root once it is mounted. */
		const char *target = archive_entry_symlink(e);
		if (!target || !*target)
			return fail_msg(EINVAL, "%s: entry '%s': symlink without a target", u->what,
			                raw);
		if (make_room(u, dfd, name, false, shown) < 0)
			return -1;
		if (symlinkat(target, dfd, name) < 0)
			return fail_errno("%s: entry '%s': symlinkat", u->what, raw);
		if (set_meta(u, dfd, name, -1, e, shown) < 0)
			return -1;
		return set_times(u, dfd, name, -1, e, shown);
	}
	case AE_IFIFO:
		if (!u->layer)
			return 0;
		if (make_room(u, dfd, name, false, shown) < 0)
			return -1;
		if (mknodat(dfd, name, S_IFIFO | 0600, 0) < 0)
			return fail_errno("%s: entry '%s': mknodat(S_IFIFO)", u->what, raw);
		return set_meta(u, dfd, name, -1, e, shown);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFSOCK:
		/* Device nodes are not made: a container gets its /dev from the
		 * runtime, and a device file in an image would be a way around the
		 * device cgroup. (Whiteouts, the one 0:0 device, came above.) */
		return 0;
	default:
		return fail_msg(EINVAL, "%s: entry '%s': unknown file type 0%o", u->what, raw,
		                (unsigned)type);
	}
}

/* The directories' times, as containerd's applier sets them: after the
 * last entry. One that a later entry removed or replaced is skipped. */
static int set_dir_times(const struct unpack *u)
{
	for (size_t i = 0; i < u->n_dirs; i++) {
		const struct dir_times *d = &u->dirs[i];
		_cleanup_close_ int fd = open_dir_beneath(u, d->path, d->path, false);
		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == EPERM))
			continue; /* removed, or made a file or a symlink (EPERM, above) */
		if (fd < 0)
			return -1;
		if (futimens(fd, d->ts) < 0)
			return fail_errno("%s: entry '%s': futimens", u->what, d->path);
	}
	return 0;
}

/* Read every entry of a and unpack it beneath u->root. */
static int unpack_all(struct unpack *u, struct archive *a)
{
	struct archive_entry *e;
	int r, rc = 0;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if ((rc = unpack_entry(u, a, e)) < 0)
			break;
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = fail_msg(EIO, "%s: %s", u->what,
		              archive_error_string(a) ? archive_error_string(a) : "unreadable");
	if (rc == 0)
		rc = set_dir_times(u);
	for (size_t i = 0; i < u->n_dirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	u->dirs = NULL;
	u->n_dirs = 0;
	return rc;
}

/* ---- reading a blob while hashing it --------------------------------------------------
 *
 * A layer is read by two libarchive readers in a chain. The first reads the
 * blob's bytes from the fd (hashing them: the blob's digest, of the
 * compressed bytes) and decompresses them as a "raw" stream; the second reads
 * that uncompressed stream as a tar (hashing it: the diffID) and unpacks it.
 * One pass over the file: the bytes checked are the bytes unpacked. */

struct hashed_fd {
	int fd;
	struct sha256_ctx blob;
	uint64_t blob_bytes;
	char buf[64 << 10];
};

static la_ssize_t hashed_fd_read(struct archive *a, void *arg, const void **out)
{
	struct hashed_fd *h = arg;
	ssize_t n;
	do
		n = read(h->fd, h->buf, sizeof(h->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	sha256_update(&h->blob, (size_t)n, (const uint8_t *)h->buf);
	h->blob_bytes += (uint64_t)n;
	*out = h->buf;
	return n;
}

struct diff_stream {
	struct archive *raw; /* the decompressing reader */
	struct sha256_ctx diff;
	uint64_t bytes, max;
	bool over;
	char buf[64 << 10];
};

static la_ssize_t diff_stream_read(struct archive *a, void *arg, const void **out)
{
	struct diff_stream *d = arg;
	la_ssize_t n = archive_read_data(d->raw, d->buf, sizeof(d->buf));
	if (n < 0) {
		archive_set_error(a, EIO, "%s", archive_error_string(d->raw));
		return -1;
	}
	d->bytes += (uint64_t)n;
	/* A gzip bomb is small on disk and huge here: stop at the limit. */
	if (d->bytes > d->max) {
		d->over = true;
		archive_set_error(a, EFBIG, "more than %llu uncompressed bytes",
		                  (unsigned long long)d->max);
		return -1;
	}
	sha256_update(&d->diff, (size_t)n, (const uint8_t *)d->buf);
	*out = d->buf;
	return n;
}

/* The compressions a reader decodes: gzip and zstd for a layer (what the
 * OCI media types name, and all containerd's applier takes), bzip2 and xz
 * too for a whole archive (what docker load takes). Never
 * archive_read_support_filter_all: it adds lrzip, grzip, lzop and more,
 * some of which libarchive decodes by running the program of that name
 * from PATH - a blob of an image, hostile input, would pick a program for
 * the loader, root, to run on it. */
static void support_filters(struct archive *a, bool whole_archive)
{
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	if (whole_archive) {
		archive_read_support_filter_bzip2(a);
		archive_read_support_filter_xz(a);
	}
}

/* Unpack the blob open at fd beneath dirfd. blob_digest (may be "") and
 * diff_id are what the blob and its uncompressed tar must hash to. */
static int unpack_layer(int fd, const char *blob_digest, uint64_t blob_size, const char *diff_id,
                        int dirfd, const struct img_limits *lim)
{
	if (img_archive_open() < 0)
		return -1;
	char what[96];
	snprintf(what, sizeof(what), "layer %.19s", diff_id);
	int rc = -1;
	struct hashed_fd *h = calloc(1, sizeof(*h));
	struct diff_stream *d = calloc(1, sizeof(*d));
	struct archive *raw = archive_read_new(), *tar = archive_read_new();
	if (!h || !d || !raw || !tar) {
		fail_errno("out of memory");
		goto out;
	}
	h->fd = fd;
	sha256_init(&h->blob);
	sha256_init(&d->diff);
	d->raw = raw;
	d->max = lim->max_layer_bytes;

	support_filters(raw, false);
	archive_read_support_format_raw(raw);
	struct archive_entry *e;
	if (archive_read_open(raw, h, NULL, hashed_fd_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(raw, &e) != ARCHIVE_OK) {
		fail_msg(EIO, "%s: %s", what, archive_error_string(raw));
		goto out;
	}
	archive_read_support_format_tar(tar);
	if (archive_read_open(tar, d, NULL, diff_stream_read, NULL) != ARCHIVE_OK) {
		fail_msg(EIO, "%s: not a tar: %s", what, archive_error_string(tar));
		goto out;
	}
	struct unpack u = {.root = dirfd,
	                   .layer = true,
	                   .what = what,
	                   .max_entries = lim->max_layer_entries,
	                   .max_bytes = lim->max_layer_bytes};
	if (unpack_all(&u, tar) < 0) {
		if (d->over)
			fail_msg(EFBIG, "%s: more than %llu uncompressed bytes", what,
			         (unsigned long long)d->max);
		goto out;
	}
	/* The tar ended (two zero blocks); the digests cover every byte after
	 * that too, as the image's builder hashed them. */
	const void *dummy;
	for (la_ssize_t n; (n = diff_stream_read(tar, d, &dummy)) != 0;)
		if (n < 0) {
			fail_msg(EIO, "%s: %s", what, archive_error_string(tar));
			goto out;
		}
	for (la_ssize_t n; (n = hashed_fd_read(raw, h, &dummy)) != 0;)
		if (n < 0) {
			fail_msg(EIO, "%s: %s", what, archive_error_string(raw));
			goto out;
		}
	char got[IMG_DIGEST_MAX];
	if (*blob_digest) {
		sha256_final_digest(&h->blob, got);
		if (strcmp(got, blob_digest) != 0) {
			fail_msg(EINVAL, "%s: blob digest mismatch: expected %s, got %s", what,
			         blob_digest, got);
			goto out;
		}
		if (blob_size != h->blob_bytes) {
			fail_msg(EINVAL, "%s: blob is %llu bytes, its descriptor says %llu", what,
			         (unsigned long long)h->blob_bytes, (unsigned long long)blob_size);
			goto out;
		}
	}
	sha256_final_digest(&d->diff, got);
	if (strcmp(got, diff_id) != 0) {
		fail_msg(EINVAL, "%s: diffID mismatch: the uncompressed layer hashes to %s", what,
		         got);
		goto out;
	}
	rc = 0;
out:
	if (tar)
		archive_read_free(tar);
	if (raw)
		archive_read_free(raw);
	free(h);
	free(d);
	return rc;
}

/* ---- the store ------------------------------------------------------------------------- */

const char *img_store_default(void)
{
	static char path[PATH_MAX];
	const char *images = getenv("PODRUN_IMAGES");
	if (images && *images)
		return images;
	const char *data = getenv("PODRUN_DATA");
	snprintf(path, sizeof(path), "%s/images", data && *data ? data : "/var/lib/podrun");
	return path;
}

static int store_path(char *out, size_t len, const char *store, const char *fmt, ...) PRINTF(4, 5);
static int store_path(char *out, size_t len, const char *store, const char *fmt, ...)
{
	int n = snprintf(out, len, "%s/", store);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < len)
		n += vsnprintf(out + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return fail_msg(ENAMETOOLONG, "image store %s: path too long", store);
	return 0;
}

/* The store's lock file, made if missing (a store copied by hand has
 * none), locked how (flock LOCK_EX or LOCK_SH). Returns the fd; -1 with
 * errno ENOENT and no message when the store itself is not there. */
static int lock_store_file(const char *store, int how)
{
	char p[PATH_MAX];
	if (store_path(p, sizeof(p), store, "lock") < 0)
		return -1;
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno == ENOENT ? -1 : fail_errno("open(%s)", p);
	while (flock(fd, how) < 0) {
		if (errno != EINTR) {
			fail_errno("flock(%s, %s)", p, how == LOCK_SH ? "LOCK_SH" : "LOCK_EX");
			closep(&fd);
			return -1;
		}
	}
	return fd;
}

/* Create the store's directories and take its lock (LOCK_EX: a load or rm;
 * a reader sees a whole store without it, every change is a rename, but a
 * pod holds it shared until its state names its images: img_store_hold).
 * Returns the lock fd. */
static int store_lock(const char *store)
{
	char p[PATH_MAX];
	if (mkdir_p(store, 0700) < 0)
		return -1;
	static const char *const dirs[] = {"layers", "configs", "refs", "tmp"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (store_path(p, sizeof(p), store, "%s", dirs[i]) < 0)
			return -1;
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return fail_errno("mkdir(%s)", p);
	}
	int fd = lock_store_file(store, LOCK_EX);
	if (fd < 0 && errno == ENOENT) /* the store, made just now, went */
		return fail_errno("open(%s/lock)", store);
	return fd;
}

struct ref_entry {
	char ref[IMG_REF_MAX];
	char id[IMG_DIGEST_MAX];
	char manifest[IMG_DIGEST_MAX];
};

static int ref_file(const char *store, const char *full, char *out, size_t len)
{
	char h[IMG_DIGEST_MAX];
	sha256_of(full, strlen(full), h);
	return store_path(out, len, store, "refs/%s", hex(h));
}

static int ref_read(const char *path, struct ref_entry *r)
{
	char buf[IMG_REF_MAX + 2 * IMG_DIGEST_MAX + 8];
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	char *l1 = buf, *l2 = strchr(l1, '\n'), *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
	if (!l2 || !l3)
		return fail_msg(EINVAL, "%s: not a reference file", path);
	*l2++ = '\0';
	*l3++ = '\0';
	if (snprintf(r->ref, sizeof(r->ref), "%s", l1) >= (int)sizeof(r->ref) || !digest_ok(l2) ||
	    (*l3 && !digest_ok(l3)))
		return fail_msg(EINVAL, "%s: not a reference file", path);
	memcpy(r->id, l2, IMG_DIGEST_MAX);
	memcpy(r->manifest, l3, strlen(l3) + 1);
	return 0;
}

/* Every reference file of the store. */
static int refs_all(const char *store, struct ref_entry **out, size_t *n)
{
	char dir[PATH_MAX];
	*out = NULL;
	*n = 0;
	if (store_path(dir, sizeof(dir), store, "refs") < 0)
		return -1;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : fail_errno("opendir(%s)", dir);
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) != 64)
			continue; /* ".", "..", a "*.tmp" being written */
		char p[PATH_MAX];
		struct ref_entry *nr = realloc(*out, (*n + 1) * sizeof(**out));
		if (!nr) {
			rc = fail_errno("realloc");
			break;
		}
		*out = nr;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) < (int)sizeof(p) &&
		    ref_read(p, &nr[*n]) == 0)
			(*n)++;
	}
	closedir(d);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* The reference file entry a reference names. */
static int ref_resolve(const char *store, const struct img_ref *r, struct ref_entry *out)
{
	if (r->tag[0]) {
		char full[IMG_REF_MAX], p[PATH_MAX];
		if (snprintf(full, sizeof(full), "%s:%s", r->name, r->tag) >= (int)sizeof(full))
			return fail_msg(ENAMETOOLONG, "image %s: too long", r->full);
		if (ref_file(store, full, p, sizeof(p)) < 0)
			return -1;
		if (access(p, F_OK) < 0)
			return fail_msg(ENOENT, "image %s: not loaded (podrun image load)",
			                r->full);
		if (ref_read(p, out) < 0)
			return -1;
		if (r->digest[0] && strcmp(out->manifest, r->digest) && strcmp(out->id, r->digest))
			return fail_msg(ENOENT, "image %s: loaded with another digest (%s)",
			                r->full, out->manifest[0] ? out->manifest : out->id);
		return 0;
	}
	/* name@sha256:...: a loaded tag of that name whose manifest (or image ID)
	 * has this digest. */
	struct ref_entry *all;
	size_t n;
	if (refs_all(store, &all, &n) < 0)
		return -1;
	size_t nl = strlen(r->name);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(all[i].ref, r->name, nl) && all[i].ref[nl] == ':' &&
		    (!strcmp(all[i].manifest, r->digest) || !strcmp(all[i].id, r->digest))) {
			*out = all[i];
			free(all);
			return 0;
		}
	free(all);
	return fail_msg(ENOENT, "image %s: not loaded (podrun image load)", r->full);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static json_object *json_parse(const char *buf, size_t len, const char *what)
{
	json_tokener *tok = json_tokener_new();
	if (!tok) {
		fail_errno("json_tokener_new");
		return NULL;
	}
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!o || err != json_tokener_success) {
		json_object_put(o);
		fail_msg(EINVAL, "%s: not JSON (%s)", what, json_tokener_error_desc(err));
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object) && !json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		fail_msg(EINVAL, "%s: not a JSON object", what);
		return NULL;
	}
	return o;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *jget(json_object *o, const char *key, enum json_type t)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* A JSON array of strings as a NULL-terminated array; NULL when absent or null. */
static int jstrv(json_object *o, const char *key, char ***out, const char *what)
{
	*out = NULL;
	json_object *a;
	if (!json_object_object_get_ex(o, key, &a) || json_object_is_type(a, json_type_null))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return fail_msg(EINVAL, "%s: %s is not an array", what, key);
	size_t n = 0, len = json_object_array_length(a);
	char **v = strv_new();
	if (!v)
		return fail_errno("malloc");
	for (size_t i = 0; i < len; i++) {
		json_object *s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_string)) {
			img_strv_free(v);
			return fail_msg(EINVAL, "%s: %s[%zu] is not a string", what, key, i);
		}
		if (strv_push(&v, &n, json_object_get_string(s)) < 0) {
			img_strv_free(v);
			return -1;
		}
	}
	*out = v;
	return 0;
}

/* Parse a config blob into img (layers and config). */
static int config_parse(const char *buf, size_t len, const char *what, struct img_image *img)
{
	json_object *root = json_parse(buf, len, what);
	if (!root)
		return -1;
	int rc = -1;
	json_object *rootfs = jget(root, "rootfs", json_type_object);
	json_object *ids = jget(rootfs, "diff_ids", json_type_array);
	const char *type = jstr(rootfs, "type");
	if (!ids || !type || strcmp(type, "layers") != 0) {
		fail_msg(EINVAL, "%s: no rootfs.diff_ids of type \"layers\"", what);
		goto out;
	}
	size_t n = json_object_array_length(ids);
	if (n == 0 || n > IMG_MAX_LAYERS) {
		fail_msg(EINVAL, "%s: %zu layers (1 to %d are supported)", what, n, IMG_MAX_LAYERS);
		goto out;
	}
	img->layers = calloc(n, sizeof(*img->layers));
	if (!img->layers) {
		fail_errno("calloc");
		goto out;
	}
	img->n_layers = n;
	for (size_t i = 0; i < n; i++) {
		const char *d = json_object_get_string(json_object_array_get_idx(ids, i));
		if (!json_object_is_type(json_object_array_get_idx(ids, i), json_type_string) ||
		    !digest_ok(d)) {
			fail_msg(EINVAL, "%s: diff_ids[%zu] is not a sha256 digest", what, i);
			goto out;
		}
		snprintf(img->layers[i], IMG_DIGEST_MAX, "%s", d);
	}
	json_object *c = jget(root, "config", json_type_object);
	if (c) {
		struct img_config *cfg = &img->config;
		if (jstrv(c, "Entrypoint", &cfg->entrypoint, what) < 0 ||
		    jstrv(c, "Cmd", &cfg->cmd, what) < 0 || jstrv(c, "Env", &cfg->env, what) < 0)
			goto out;
		const char *wd = jstr(c, "WorkingDir"), *user = jstr(c, "User");
		const char *stop = jstr(c, "StopSignal");
		if ((wd && *wd && !(cfg->working_dir = strdup(wd))) ||
		    (user && *user && !(cfg->user = strdup(user))) ||
		    (stop && *stop && !(cfg->stop_signal = strdup(stop)))) {
			fail_errno("strdup");
			goto out;
		}
		/* refused here, where the image is loaded, rather than when a
		 * pod is stopped, where no one would read why */
		if (cfg->stop_signal && img_signal_parse(cfg->stop_signal, &cfg->stop_signo) < 0) {
			fail_msg(EINVAL, "%s: StopSignal \"%s\" is not a signal", what,
			         cfg->stop_signal);
			goto out;
		}
	}
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

void img_image_free(struct img_image *img)
{
	free(img->layers);
	img_strv_free(img->config.entrypoint);
	img_strv_free(img->config.cmd);
	img_strv_free(img->config.env);
	free(img->config.working_dir);
	free(img->config.user);
	free(img->config.stop_signal);
	memset(img, 0, sizeof(*img));
}

int img_signal_parse(const char *s, int *sig)
{
	long n;
	if (parse_long(s, 1, SIGRTMAX, &n) == 0) {
		*sig = (int)n;
		return 0;
	}
	const char *name = strncasecmp(s, "SIG", 3) ? s : s + 3;
	/* the real-time signals: glibc keeps the first two of the kernel's
	 * for its threads, so SIGRTMIN is 34 here, as moby's table says */
	const char *plus;
	int base = 0, dir = 0;
	if (!strncasecmp(name, "RTMIN", 5))
		base = SIGRTMIN, dir = 1, plus = name + 5;
	else if (!strncasecmp(name, "RTMAX", 5))
		base = SIGRTMAX, dir = -1, plus = name + 5;
	if (base) {
		if (!*plus) {
			*sig = base;
			return 0;
		}
		/* moby's table: RTMIN+1 to RTMIN+15, RTMAX-14 to RTMAX-1 */
		if (*plus == (dir > 0 ? '+' : '-') &&
		    parse_long(plus + 1, 1, dir > 0 ? 15 : 14, &n) == 0) {
			*sig = base + dir * (int)n;
			return 0;
		}
		return fail_msg(EINVAL, "%s: not a signal", s);
	}
	for (int i = 1; i < SIGRTMIN; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev && !strcasecmp(name, abbrev)) {
			*sig = i;
			return 0;
		}
	}
	/* names Linux gives twice, which sigabbrev_np spells one way */
	static const struct {
		const char *name;
		int sig;
	} alias[] = {{"CLD", SIGCHLD}, {"IOT", SIGABRT}, {"POLL", SIGIO}};
	for (size_t i = 0; i < ARRAY_SIZE(alias); i++)
		if (!strcasecmp(name, alias[i].name)) {
			*sig = alias[i].sig;
			return 0;
		}
	return fail_msg(EINVAL, "%s: not a signal", s);
}

int img_signal_name(int sig, char *buf, size_t len)
{
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		/* moby's table again: the first sixteen from SIGRTMIN, the rest
		 * from SIGRTMAX */
		int up = sig - SIGRTMIN, down = SIGRTMAX - sig;
		if (!up || !down)
			snprintf(buf, len, "SIGRT%s", up ? "MAX" : "MIN");
		else if (up <= 15)
			snprintf(buf, len, "SIGRTMIN+%d", up);
		else
			snprintf(buf, len, "SIGRTMAX-%d", down);
		return 0;
	}
	const char *abbrev = sig > 0 && sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;
	if (!abbrev)
		return fail_msg(EINVAL, "signal %d has no name", sig);
	snprintf(buf, len, "SIG%s", abbrev);
	return 0;
}

/* ---- reading an image source --------------------------------------------------------------- */

/* Open `rel` as a regular file beneath the source directory. RESOLVE_IN_ROOT:
 * a symlink in a docker archive (old ones link duplicate layers) is followed,
 * but never out of the archive. */
static int src_open(int srcfd, const char *rel, const char *what)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
	                       .resolve =
	                           RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
	int fd = sys_openat2(srcfd, rel, &how, sizeof(how));
	if (fd < 0)
		return fail_errno("%s: open(%s)", what, rel);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail_msg(EINVAL, "%s: %s is not a regular file", what, rel);
	}
	return fd;
}

/* A JSON file of the source, checked against digest when one is given. */
static json_object *src_json(int srcfd, const char *rel, const char *digest, char **raw,
                             size_t *rawlen)
{
	_cleanup_close_ int fd = src_open(srcfd, rel, "image");
	if (fd < 0)
		return NULL;
	size_t len;
	char *buf = read_fd_all(fd, rel, &len);
	if (!buf)
		return NULL;
	if (digest && *digest) {
		char got[IMG_DIGEST_MAX];
		sha256_of(buf, len, got);
		if (strcmp(got, digest) != 0) {
			fail_msg(EINVAL, "%s: digest mismatch: expected %s, got %s", rel, digest,
			         got);
			free(buf);
			return NULL;
		}
	}
	json_object *o = json_parse(buf, len, rel);
	if (o && raw) {
		*raw = buf;
		*rawlen = len;
	} else {
		free(buf);
	}
	return o;
}

/* One image found in the source, before it is committed. */
struct pending {
	char *ref; /* normalised reference */
	char manifest[IMG_DIGEST_MAX];
	char *config; /* the config blob */
	size_t config_len;
	char id[IMG_DIGEST_MAX];
	struct img_image img;                /* parsed config */
	char (*blob_path)[PATH_MAX];         /* per layer: its file in the source */
	char (*blob_digest)[IMG_DIGEST_MAX]; /* "" for docker's layer.tar */
	uint64_t *blob_size;
};

static void pending_free(struct pending *p)
{
	free(p->ref);
	free(p->config);
	img_image_free(&p->img);
	free(p->blob_path);
	free(p->blob_digest);
	free(p->blob_size);
}

static int blob_rel(const char *digest, char *out, size_t len)
{
	if (!digest_ok(digest))
		return fail_msg(EINVAL, "descriptor digest '%s': not sha256 and 64 hex digits",
		                digest ? digest : "");
	snprintf(out, len, "blobs/sha256/%s", hex(digest));
	return 0;
}

/* The config blob: parse it, its digest is the image ID. */
static int pending_config(struct pending *p, int srcfd, const char *rel, const char *digest)
{
	json_object *c = src_json(srcfd, rel, digest, &p->config, &p->config_len);
	if (!c)
		return -1;
	json_object_put(c);
	sha256_of(p->config, p->config_len, p->id);
	if (config_parse(p->config, p->config_len, rel, &p->img) < 0)
		return -1;
	size_t n = p->img.n_layers;
	p->blob_path = calloc(n, sizeof(*p->blob_path));
	p->blob_digest = calloc(n, sizeof(*p->blob_digest));
	p->blob_size = calloc(n, sizeof(*p->blob_size));
	if (!p->blob_path || !p->blob_digest || !p->blob_size)
		return fail_errno("calloc");
	return 0;
}

static bool layer_media_ok(const char *mt)
{
	static const char *const ok[] = {
	    "application/vnd.oci.image.layer.v1.tar",
	    "application/vnd.oci.image.layer.v1.tar+gzip",
	    "application/vnd.oci.image.layer.v1.tar+zstd",
	    "application/vnd.docker.image.rootfs.diff.tar.gzip",
	    "application/vnd.docker.image.rootfs.diff.tar",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (mt && !strcmp(mt, ok[i]))
			return true;
	return false;
}

static bool is_index(const char *mt)
{
	return mt && (!strcmp(mt, "application/vnd.oci.image.index.v1+json") ||
	              !strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json"));
}

static const char *host_arch(void)
{
	struct utsname u;
	static char m[65];
	uname(&u);
	snprintf(m, sizeof(m), "%s", u.machine);
	if (!strcmp(m, "x86_64"))
		return "amd64";
	if (!strcmp(m, "aarch64"))
		return "arm64";
	if (!strcmp(m, "i686") || !strcmp(m, "i386"))
		return "386";
	return m;
}

/* An OCI image manifest (digest known): its config and its layers. */
static int oci_manifest(struct pending *p, int srcfd, const char *digest)
{
	char rel[PATH_MAX];
	if (blob_rel(digest, rel, sizeof(rel)) < 0)
		return -1;
	json_object *m = src_json(srcfd, rel, digest, NULL, NULL);
	if (!m)
		return -1;
	int rc = -1;
	snprintf(p->manifest, sizeof(p->manifest), "%s", digest);
	json_object *cfg = jget(m, "config", json_type_object);
	json_object *layers = jget(m, "layers", json_type_array);
	const char *cmt = jstr(cfg, "mediaType");
	if (!cfg || !layers) {
		fail_msg(EINVAL, "manifest %.19s: no config or layers", digest);
		goto out;
	}
	if (!cmt || (strcmp(cmt, "application/vnd.oci.image.config.v1+json") &&
	             strcmp(cmt, "application/vnd.docker.container.image.v1+json"))) {
		fail_msg(EINVAL, "manifest %.19s: config type %s is not a container image", digest,
		         cmt ? cmt : "(none)");
		goto out;
	}
	char crel[PATH_MAX];
	if (blob_rel(jstr(cfg, "digest"), crel, sizeof(crel)) < 0 ||
	    pending_config(p, srcfd, crel, jstr(cfg, "digest")) < 0)
		goto out;
	if (json_object_array_length(layers) != p->img.n_layers) {
		fail_msg(EINVAL, "manifest %.19s: %zu layers, its config lists %zu diff_ids",
		         digest, json_object_array_length(layers), p->img.n_layers);
		goto out;
	}
	for (size_t i = 0; i < p->img.n_layers; i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		const char *mt = jstr(l, "mediaType"), *d = jstr(l, "digest");
		json_object *size = jget(l, "size", json_type_int);
		if (!layer_media_ok(mt)) {
			fail_msg(EINVAL, "manifest %.19s: layer %zu: unsupported media type %s",
			         digest, i, mt ? mt : "(none)");
			goto out;
		}
		if (!size || json_object_get_int64(size) < 0) {
			fail_msg(EINVAL, "manifest %.19s: layer %zu: no size", digest, i);
			goto out;
		}
		if (blob_rel(d, p->blob_path[i], PATH_MAX) < 0)
			goto out;
		snprintf(p->blob_digest[i], IMG_DIGEST_MAX, "%s", d);
		p->blob_size[i] = (uint64_t)json_object_get_int64(size);
	}
	rc = 0;
out:
	json_object_put(m);
	return rc;
}

/* An index entry: a manifest, or an index of manifests of which the one for
 * this machine is taken. */
static int oci_entry(struct pending *p, int srcfd, json_object *desc, int depth)
{
	const char *mt = jstr(desc, "mediaType"), *digest = jstr(desc, "digest");
	if (!is_index(mt))
		return oci_manifest(p, srcfd, digest);
	if (depth > 2)
		return fail_msg(EINVAL, "index %.19s: nested too deep", digest ? digest : "");
	char rel[PATH_MAX];
	if (blob_rel(digest, rel, sizeof(rel)) < 0)
		return -1;
	json_object *idx = src_json(srcfd, rel, digest, NULL, NULL);
	if (!idx)
		return -1;
	json_object *ms = jget(idx, "manifests", json_type_array);
	json_object *mine = NULL;
	for (size_t i = 0; ms && i < json_object_array_length(ms) && !mine; i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		json_object *plat = jget(m, "platform", json_type_object);
		const char *os = jstr(plat, "os"), *arch = jstr(plat, "architecture");
		if (os && arch && !strcmp(os, "linux") && !strcmp(arch, host_arch()))
			mine = m;
	}
	int rc =
	    mine ? oci_entry(p, srcfd, mine, depth + 1)
	         : fail_msg(ENOENT, "index %.19s: no manifest for linux/%s", digest, host_arch());
	json_object_put(idx);
	return rc;
}

/* The reference an OCI index entry names: containerd's full name, or
 * org.opencontainers.image.ref.name when it is one (podman writes a full
 * reference there, skopeo only a tag). */
static int oci_entry_ref(json_object *desc, const char *tag, char **out)
{
	json_object *ann = jget(desc, "annotations", json_type_object);
	const char *name = jstr(ann, "io.containerd.image.name");
	const char *refname = jstr(ann, "org.opencontainers.image.ref.name");
	if (tag)
		name = tag;
	else if (!name && refname && (strchr(refname, '/') || strchr(refname, ':')))
		name = refname;
	if (!name)
		return fail_msg(EINVAL, "the image names no reference%s%s%s: give one with --tag",
		                refname ? " (only the tag '" : "", refname ? refname : "",
		                refname ? "')" : "");
	struct img_ref r;
	if (img_ref_parse(name, &r) < 0)
		return -1;
	if (!r.tag[0])
		return fail_msg(EINVAL, "image %s: a loaded image needs a tag", name);
	char full[IMG_REF_MAX];
	if (snprintf(full, sizeof(full), "%s:%s", r.name, r.tag) >= (int)sizeof(full))
		return fail_msg(ENAMETOOLONG, "image %s: too long", name);
	if (!(*out = strdup(full)))
		return fail_errno("strdup");
	return 0;
}

static int read_oci(int srcfd, const char *tag, struct pending **out, size_t *n)
{
	json_object *lay = src_json(srcfd, "oci-layout", NULL, NULL, NULL);
	if (!lay)
		return -1;
	const char *v = jstr(lay, "imageLayoutVersion");
	bool ok = v && !strcmp(v, "1.0.0");
	json_object_put(lay);
	if (!ok)
		return fail_msg(EINVAL, "oci-layout: imageLayoutVersion is not 1.0.0");
	json_object *idx = src_json(srcfd, "index.json", NULL, NULL, NULL);
	if (!idx)
		return -1;
	int rc = -1;
	json_object *ms = jget(idx, "manifests", json_type_array);
	size_t len = ms ? json_object_array_length(ms) : 0;
	if (len == 0) {
		fail_msg(EINVAL, "index.json: no manifests");
		goto out;
	}
	if (tag && len > 1) {
		fail_msg(EINVAL, "--tag: the layout holds %zu images, name each in it", len);
		goto out;
	}
	*out = calloc(len, sizeof(**out));
	if (!*out) {
		fail_errno("calloc");
		goto out;
	}
	*n = len;
	for (size_t i = 0; i < len; i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		if (oci_entry_ref(d, tag, &(*out)[i].ref) < 0 ||
		    oci_entry(&(*out)[i], srcfd, d, 0) < 0)
			goto out;
	}
	rc = 0;
out:
	json_object_put(idx);
	return rc;
}

/* docker save / podman save: manifest.json lists each image's config, its
 * RepoTags and its layers (uncompressed tars, checked against the diffIDs). */
static int read_docker(int srcfd, const char *tag, struct pending **out, size_t *n)
{
	json_object *m = src_json(srcfd, "manifest.json", NULL, NULL, NULL);
	if (!m)
		return -1;
	int rc = -1;
	size_t len = json_object_is_type(m, json_type_array) ? json_object_array_length(m) : 0;
	if (len == 0) {
		fail_msg(EINVAL, "manifest.json: not a list of images");
		goto out;
	}
	if (tag && len > 1) {
		fail_msg(EINVAL, "--tag: the archive holds %zu images", len);
		goto out;
	}
	*out = calloc(len, sizeof(**out));
	if (!*out) {
		fail_errno("calloc");
		goto out;
	}
	*n = len;
	for (size_t i = 0; i < len; i++) {
		struct pending *p = &(*out)[i];
		json_object *im = json_object_array_get_idx(m, i);
		json_object *tags = jget(im, "RepoTags", json_type_array);
		json_object *layers = jget(im, "Layers", json_type_array);
		const char *cfg = jstr(im, "Config");
		const char *name = tag;
		if (!name && tags && json_object_array_length(tags) > 0)
			name = json_object_get_string(json_object_array_get_idx(tags, 0));
		if (!name) {
			fail_msg(EINVAL,
			         "manifest.json: image %zu has no RepoTags: give one with --tag",
			         i);
			goto out;
		}
		struct img_ref r;
		if (img_ref_parse(name, &r) < 0)
			goto out;
		char full[IMG_REF_MAX];
		if (snprintf(full, sizeof(full), "%s:%s", r.name, r.tag[0] ? r.tag : "latest") >=
		    (int)sizeof(full)) {
			fail_msg(ENAMETOOLONG, "image %s: too long", name);
			goto out;
		}
		if (!(p->ref = strdup(full))) {
			fail_errno("strdup");
			goto out;
		}
		if (!cfg || !layers) {
			fail_msg(EINVAL, "manifest.json: image %zu has no Config or Layers", i);
			goto out;
		}
		/* The config's file name is its digest: HEX.json, or blobs/sha256/HEX. */
		char want[IMG_DIGEST_MAX] = "";
		const char *base = strrchr(cfg, '/') ? strrchr(cfg, '/') + 1 : cfg;
		char cand[IMG_DIGEST_MAX + 8];
		snprintf(cand, sizeof(cand), "sha256:%.*s", (int)strcspn(base, "."), base);
		if (digest_ok(cand))
			memcpy(want, cand, IMG_DIGEST_MAX);
		if (pending_config(p, srcfd, cfg, want) < 0)
			goto out;
		if (json_object_array_length(layers) != p->img.n_layers) {
			fail_msg(EINVAL, "manifest.json: %zu layers, the config lists %zu diff_ids",
			         json_object_array_length(layers), p->img.n_layers);
			goto out;
		}
		for (size_t l = 0; l < p->img.n_layers; l++) {
			const char *lp =
			    json_object_get_string(json_object_array_get_idx(layers, l));
			if (!json_object_is_type(json_object_array_get_idx(layers, l),
			                         json_type_string)) {
				fail_msg(EINVAL, "manifest.json: Layers[%zu] is not a path", l);
				goto out;
			}
			snprintf(p->blob_path[l], PATH_MAX, "%s", lp);
			/* Newer docker writes blobs/sha256/HEX: then that is its digest too. */
			if (!strncmp(lp, "blobs/sha256/", 13)) {
				snprintf(cand, sizeof(cand), "sha256:%s", lp + 13);
				if (digest_ok(cand))
					memcpy(p->blob_digest[l], cand, IMG_DIGEST_MAX);
			}
		}
	}
	rc = 0;
out:
	json_object_put(m);
	return rc;
}

/* Unpack an archive's own files (not a layer: no owners, no devices, no
 * whiteouts) beneath dirfd, to read it as a layout directory. */
static int unpack_archive(const char *path, int dirfd, const struct img_limits *lim)
{
	if (img_archive_open() < 0)
		return -1;
	struct archive *a = archive_read_new();
	if (!a)
		return fail_errno("archive_read_new");
	support_filters(a, true);
	archive_read_support_format_tar(a);
	int rc = -1;
	if (archive_read_open_filename(a, path, 64 << 10) != ARCHIVE_OK) {
		fail_msg(EIO, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	struct unpack u = {.root = dirfd,
	                   .what = path,
	                   .max_entries = lim->max_layer_entries,
	                   .max_bytes = lim->max_archive_bytes};
	rc = unpack_all(&u, a);
out:
	archive_read_free(a);
	return rc;
}

/* ---- loading --------------------------------------------------------------------------------- */

static bool layer_present(const char *store, const char *diff_id)
{
	char p[PATH_MAX];
	struct stat st;
	return store_path(p, sizeof(p), store, "layers/%s", hex(diff_id)) == 0 &&
	       lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Unpack layer i of p into work/layers/HEX, unless the store or this load
 * already has it. */
static int stage_layer(const char *store, int srcfd, int workfd, const struct pending *p, size_t i,
                       const struct img_limits *lim)
{
	const char *diff = p->img.layers[i];
	if (layer_present(store, diff))
		return 0;
	char rel[96];
	snprintf(rel, sizeof(rel), "layers/%s", hex(diff));
	if (mkdirat(workfd, rel, 0755) < 0)
		return errno == EEXIST ? 0 : fail_errno("mkdirat(%s)", rel);
	/* mkdir's mode went through the umask: a layer's root is the
	 * container's "/", 0755 unless its tar says otherwise. */
	if (fchmodat(workfd, rel, 0755, 0) < 0)
		return fail_errno("chmod(%s)", rel);
	_cleanup_close_ int dirfd = openat(workfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return fail_errno("openat(%s)", rel);
	_cleanup_close_ int fd = src_open(srcfd, p->blob_path[i], "image");
	if (fd < 0)
		return -1;
	return unpack_layer(fd, p->blob_digest[i], p->blob_size[i], diff, dirfd, lim);
}

/* Layers that no config uses, configs that no reference names: what a
 * removal or a killed load leaves. Runs under the store lock. */
static int store_gc(const char *store)
{
	struct ref_entry *refs;
	size_t nrefs;
	if (refs_all(store, &refs, &nrefs) < 0)
		return -1;
	char **keep = NULL; /* diffIDs to keep, "HEX" */
	size_t nkeep = 0;
	int rc = 0;
	char dir[PATH_MAX], p[PATH_MAX];
	DIR *d;
	struct dirent *de;

	if (store_path(dir, sizeof(dir), store, "configs") < 0 || !(d = opendir(dir))) {
		free(refs);
		return fail_errno("opendir(%s/configs)", store);
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		bool used = false;
		for (size_t i = 0; i < nrefs && !used; i++)
			used = strlen(de->d_name) == 69 &&
			       !strncmp(hex(refs[i].id), de->d_name, 64) &&
			       !strcmp(de->d_name + 64, ".json");
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
			continue;
		if (!used) {
			if (unlink(p) < 0)
				rc = fail_errno("unlink(%s)", p);
			continue;
		}
		_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		size_t len;
		char *buf = fd >= 0 ? read_fd_all(fd, p, &len) : NULL;
		struct img_image img = {0};
		if (!buf || config_parse(buf, len, p, &img) < 0) {
			free(buf);
			rc = -1;
			continue;
		}
		free(buf);
		for (size_t i = 0; i < img.n_layers; i++)
			if (strv_push(&keep, &nkeep, hex(img.layers[i])) < 0)
				rc = -1;
		img_image_free(&img);
	}
	closedir(d);
	/* A config that failed to parse keeps every layer: never delete on doubt. */
	if (rc == 0 && store_path(dir, sizeof(dir), store, "layers") == 0 && (d = opendir(dir))) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			bool used = false;
			for (size_t i = 0; i < nkeep && !used; i++)
				used = !strcmp(keep[i], de->d_name);
			if (!used &&
			    snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) < (int)sizeof(p) &&
			    rm_rf(p) < 0)
				rc = -1;
		}
		closedir(d);
	}
	img_strv_free(keep);
	free(refs);
	return rc;
}

/* Move what a load staged into the store: layers, then configs, then the
 * references, so that a reference never names a config or a layer that is not there. */
static int commit(const char *store, int workfd, struct pending *ps, size_t n)
{
	char rel[96], dst[PATH_MAX];
	for (size_t i = 0; i < n; i++)
		for (size_t l = 0; l < ps[i].img.n_layers; l++) {
			snprintf(rel, sizeof(rel), "layers/%s", hex(ps[i].img.layers[l]));
			if (store_path(dst, sizeof(dst), store, "%s", rel) < 0)
				return -1;
			if (renameat(workfd, rel, AT_FDCWD, dst) < 0 && errno != ENOENT)
				return fail_errno("rename(%s)", dst);
		}
	for (size_t i = 0; i < n; i++) {
		if (store_path(dst, sizeof(dst), store, "configs/%s.json", hex(ps[i].id)) < 0 ||
		    write_file_atomic(dst, ps[i].config, ps[i].config_len) < 0)
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char body[IMG_REF_MAX + 2 * IMG_DIGEST_MAX + 8];
		int len = snprintf(body, sizeof(body), "%s\n%s\n%s\n", ps[i].ref, ps[i].id,
		                   ps[i].manifest);
		if (ref_file(store, ps[i].ref, dst, sizeof(dst)) < 0 ||
		    write_file_atomic(dst, body, (size_t)len) < 0)
			return -1;
	}
	return 0;
}

int img_load(const char *store, const char *path, const char *tag, const struct img_limits *lim,
             char ***refs)
{
	struct img_limits l = lim ? *lim : (struct img_limits){0};
	if (!l.max_layer_bytes)
		l.max_layer_bytes = IMG_DEFAULT_LAYER_BYTES;
	if (!l.max_layer_entries)
		l.max_layer_entries = IMG_DEFAULT_LAYER_ENTRIES;
	if (!l.max_archive_bytes)
		l.max_archive_bytes = IMG_DEFAULT_ARCHIVE_BYTES;
	*refs = NULL;

	struct stat st;
	if (stat(path, &st) < 0)
		return fail_errno("stat(%s)", path);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return fail_msg(EINVAL, "%s: neither an OCI layout directory nor an archive", path);

	_cleanup_close_ int lock = store_lock(store);
	if (lock < 0)
		return -1;
	/* What a killed load left in tmp/ is garbage now: we hold the lock. */
	char work[PATH_MAX];
	if (store_path(work, sizeof(work), store, "tmp") < 0)
		return -1;
	_cleanup_close_ int tmpfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0)
		return fail_errno("open(%s)", work);
	DIR *d = fdopendir(fcntl(tmpfd, F_DUPFD_CLOEXEC, 3));
	if (d) {
		struct dirent *de;
		char p[PATH_MAX];
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' &&
			    snprintf(p, sizeof(p), "%s/%s", work, de->d_name) < (int)sizeof(p))
				rm_rf(p);
		closedir(d);
	}
	if (store_path(work, sizeof(work), store, "tmp/load-XXXXXX") < 0)
		return -1;
	if (!mkdtemp(work))
		return fail_errno("mkdtemp(%s)", work);

	int rc = -1;
	struct pending *ps = NULL;
	size_t n = 0;
	int workfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int srcfd = -1;
	if (workfd < 0) {
		fail_errno("open(%s)", work);
		goto out;
	}
	if (mkdirat(workfd, "layers", 0700) < 0) {
		fail_errno("mkdirat(%s/layers)", work);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		srcfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (srcfd < 0) {
			fail_errno("open(%s)", path);
			goto out;
		}
	} else {
		if (mkdirat(workfd, "archive", 0700) < 0 ||
		    (srcfd = openat(workfd, "archive", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			fail_errno("mkdirat(%s/archive)", work);
			goto out;
		}
		if (unpack_archive(path, srcfd, &l) < 0)
			goto out;
	}

	if (faccessat(srcfd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (read_oci(srcfd, tag, &ps, &n) < 0)
			goto out;
	} else if (faccessat(srcfd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (read_docker(srcfd, tag, &ps, &n) < 0)
			goto out;
	} else {
		fail_msg(
		    EINVAL,
		    "%s: no oci-layout or manifest.json: not an OCI layout or a docker archive",
		    path);
		goto out;
	}

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ps[i].img.n_layers; j++)
			if (stage_layer(store, srcfd, workfd, &ps[i], j, &l) < 0)
				goto out;
	if (commit(store, workfd, ps, n) < 0)
		goto out;
	char **v = NULL;
	size_t nv = 0;
	for (size_t i = 0; i < n; i++)
		if (strv_push(&v, &nv, ps[i].ref) < 0) {
			img_strv_free(v);
			goto out;
		}
	*refs = v;
	rc = 0;
out:
	if (srcfd >= 0)
		close(srcfd);
	if (workfd >= 0)
		close(workfd);
	cleanup_keep_error(work);
	for (size_t i = 0; i < n; i++)
		pending_free(&ps[i]);
	free(ps);
	return rc;
}

/* ---- using the store --------------------------------------------------------------------- */

int img_get(const char *store, const char *ref, struct img_image *out)
{
	memset(out, 0, sizeof(*out));
	struct img_ref r;
	struct ref_entry e;
	if (img_ref_parse(ref, &r) < 0 || ref_resolve(store, &r, &e) < 0)
		return -1;
	char p[PATH_MAX];
	if (store_path(p, sizeof(p), store, "configs/%s.json", hex(e.id)) < 0)
		return -1;
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail_errno("image %s: open(%s)", r.full, p);
	size_t len;
	_cleanup_free_ char *buf = read_fd_all(fd, p, &len);
	if (!buf)
		return -1;
	if (config_parse(buf, len, p, out) < 0) {
		img_image_free(out);
		return -1;
	}
	snprintf(out->ref, sizeof(out->ref), "%s", e.ref);
	snprintf(out->id, sizeof(out->id), "%s", e.id);
	snprintf(out->manifest, sizeof(out->manifest), "%s", e.manifest);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int img_list(const char *store, char ***out)
{
	struct ref_entry *all;
	size_t n, nv = 0;
	*out = NULL;
	if (refs_all(store, &all, &n) < 0)
		return -1;
	char **v = strv_new();
	if (!v) {
		free(all);
		return fail_errno("malloc");
	}
	for (size_t i = 0; i < n; i++)
		if (strv_push(&v, &nv, all[i].ref) < 0) {
			free(all);
			img_strv_free(v);
			return -1;
		}
	free(all);
	qsort(v, nv, sizeof(char *), cmp_str);
	*out = v;
	return 0;
}

int img_lowerdir(const char *store, const char *ref, char *out, size_t len)
{
	struct img_image img;
	if (img_get(store, ref, &img) < 0)
		return -1;
	if (strpbrk(store, ",:\\")) {
		img_image_free(&img);
		return fail_msg(EINVAL, "image store %s: ',', ':' or '\\' in the path", store);
	}
	/* overlayfs lists lowerdirs top first; the config lists layers bottom
	 * first. A layer listed twice is stacked once, where it is highest: the
	 * lower copy could only show what the upper copy shows already. */
	size_t o = 0;
	int rc = 0;
	out[0] = '\0';
	for (size_t i = img.n_layers; i-- > 0;) {
		bool dup = false;
		for (size_t j = i + 1; j < img.n_layers && !dup; j++)
			dup = !strcmp(img.layers[i], img.layers[j]);
		if (dup)
			continue;
		char p[PATH_MAX];
		struct stat st;
		if (store_path(p, sizeof(p), store, "layers/%s", hex(img.layers[i])) < 0) {
			rc = -1;
			break;
		}
		if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			rc = fail_msg(ENOENT,
			              "image %s: layer %s missing from the store (load it again)",
			              img.ref, img.layers[i]);
			break;
		}
		int w = snprintf(out + o, len - o, "%s%s", o ? ":" : "", p);
		if (w < 0 || (size_t)w >= len - o) {
			rc = fail_msg(ENAMETOOLONG, "image %s: lowerdir longer than %zu bytes",
			              img.ref, len);
			break;
		}
		o += (size_t)w;
	}
	img_image_free(&img);
	return rc;
}

/* img_remove under the store's lock: the reference, then what only it kept. */
static int remove_ref(const char *store, struct img_ref *r, const char *const *in_use)
{
	struct ref_entry e;
	if (ref_resolve(store, r, &e) < 0)
		return -1;
	struct ref_entry *all;
	size_t n, same = 0;
	if (refs_all(store, &all, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		same += !strcmp(all[i].id, e.id);
	free(all);
	/* A pod's image may lose one of several names, never its last one. */
	for (size_t i = 0; in_use && in_use[i]; i++) {
		struct img_ref u;
		struct ref_entry ue;
		if (img_ref_parse(in_use[i], &u) < 0 || ref_resolve(store, &u, &ue) < 0)
			continue; /* not loaded: cannot be this one */
		if (!strcmp(ue.id, e.id) && (same == 1 || !strcmp(ue.ref, e.ref)))
			return fail_msg(EBUSY, "image %s: in use by a pod (as %s)", e.ref,
			                in_use[i]);
	}
	char p[PATH_MAX];
	if (ref_file(store, e.ref, p, sizeof(p)) < 0)
		return -1;
	if (unlink(p) < 0)
		return fail_errno("unlink(%s)", p);
	return store_gc(store);
}

int img_store_hold(const char *store)
{
	return lock_store_file(store, LOCK_SH);
}

int img_remove(const char *store, const char *ref, char **(*in_use_of)(void *arg), void *arg)
{
	struct img_ref r;
	if (img_ref_parse(ref, &r) < 0)
		return -1;
	_cleanup_close_ int lock = store_lock(store);
	if (lock < 0)
		return -1;
	/* Asked now, not before the lock: a pod that was looking its image up
	 * held the store until its state said which one it uses. */
	char **in_use = in_use_of ? in_use_of(arg) : NULL;
	int rc = remove_ref(store, &r, (const char *const *)in_use);
	img_strv_free(in_use);
	return rc;
}

/* ---- Kubernetes' rules ---------------------------------------------------------------------- */

int img_container_argv(const struct img_config *cfg, char *const *command, char *const *args,
                       char ***argv)
{
	/* kubelet (kuberuntime's container args): command given -> command +
	 * args, the image's Entrypoint and Cmd both ignored; only args given ->
	 * Entrypoint + args; neither -> Entrypoint + Cmd. */
	bool has_cmd = strv_len(command) > 0, has_args = strv_len(args) > 0;
	char *const *first = has_cmd ? command : cfg->entrypoint;
	char *const *second = has_args ? args : has_cmd ? NULL : cfg->cmd;
	char **v = strv_new();
	size_t n = 0;
	if (!v)
		return fail_errno("malloc");
	for (size_t i = 0; first && first[i]; i++)
		if (strv_push(&v, &n, first[i]) < 0)
			goto fail;
	for (size_t i = 0; second && second[i]; i++)
		if (strv_push(&v, &n, second[i]) < 0)
			goto fail;
	if (n == 0) {
		img_strv_free(v);
		return fail_msg(EINVAL, "nothing to run: no command in the container and no "
		                        "Entrypoint or Cmd in the image");
	}
	*argv = v;
	return 0;
fail:
	img_strv_free(v);
	return -1;
}

int img_container_env(const struct img_config *cfg, char *const *env, char ***out)
{
	char **v = strv_new();
	size_t n = 0;
	if (!v)
		return fail_errno("malloc");
	for (size_t i = 0; cfg->env && cfg->env[i]; i++)
		if (strv_push(&v, &n, cfg->env[i]) < 0)
			goto fail;
	for (size_t i = 0; env && env[i]; i++) {
		size_t klen = strcspn(env[i], "=");
		size_t j = 0;
		while (j < n && !(strncmp(v[j], env[i], klen) == 0 && v[j][klen] == '='))
			j++;
		if ((j == n ? strv_push(&v, &n, env[i]) : strv_set(v, j, env[i])) < 0)
			goto fail;
	}
	*out = v;
	return 0;
fail:
	img_strv_free(v);
	return -1;
}

/* ---- the image's user: runc's rules, its /etc/passwd and /etc/group ----------- */

#define ACCOUNT_FILE_MAX (4 << 20) /* a passwd or group file larger than this is refused */

/* The image's root, read-only: one layer is its own directory; a stack is a
 * detached overlay (fsopen/fsmount: it is mounted nowhere, no other process
 * sees it, and it goes when the fd is closed). Each layer is given on its
 * own ("lowerdir+", Linux 6.8), uppermost first: a string option of
 * fsconfig(2) holds at most 256 bytes. */
static int open_image_root(const char *lowerdir)
{
	if (!strchr(lowerdir, ':')) {
		int fd = open(lowerdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? fail_errno("open(%s)", lowerdir) : fd;
	}
	_cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail_errno("fsopen(overlay)");
	char layer[PATH_MAX];
	for (const char *p = lowerdir;;) {
		size_t n = strcspn(p, ":");
		if (n == 0 || n >= sizeof(layer))
			return fail_msg(EINVAL, "lowerdir %s: an empty or too long layer",
			                lowerdir);
		memcpy(layer, p, n);
		layer[n] = '\0';
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", layer, 0) < 0)
			return fail_errno("fsconfig(overlay, lowerdir+=%s)", layer);
		if (!p[n])
			break;
		p += n + 1;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail_errno("fsconfig(overlay, FSCONFIG_CMD_CREATE)");
	int mnt =
	    fsmount(fs, FSMOUNT_CLOEXEC,
	            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	return mnt < 0 ? fail_errno("fsmount(overlay of %s)", lowerdir) : mnt;
}

/* The whole of root/NAME ("etc/passwd"), resolved beneath root: a symlink
 * in the image means a path of the image, never one of the host. *text is
 * NULL when the image has no such file. */
static int read_account_file(int root, const char *name, char **text)
{
	*text = NULL;
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	                       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	_cleanup_close_ int fd = sys_openat2(root, name, &how, sizeof(how));
	if (fd < 0)
		return errno == ENOENT ? 0 : fail_errno("open(/%s) in the image", name);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return fail_errno("fstat(/%s)", name);
	if (!S_ISREG(st.st_mode))
		return fail_msg(EINVAL, "/%s in the image is not a regular file", name);
	if (st.st_size > ACCOUNT_FILE_MAX)
		return fail_msg(EFBIG, "/%s in the image: larger than %d bytes", name,
		                ACCOUNT_FILE_MAX);
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return fail_errno("malloc");
	size_t got = 0;
	ssize_t r;
	while (got < (size_t)st.st_size &&
	       (r = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return fail_errno("read(/%s)", name);
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	*text = buf;
	return 0;
}

/* A decimal id, 0 .. 2^32-2 (the last is (uid_t)-1, "no id"). */
static bool parse_id(const char *s, size_t n, uint32_t *out)
{
	if (n == 0 || n > 10)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Split one line at ':' into at most max fields. */
static size_t split_fields(const char *line, size_t len, const char **f, size_t *fl, size_t max)
{
	size_t nf = 0;
	const char *p = line, *end = line + len;
	while (nf < max) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		f[nf] = p;
		fl[nf] = (size_t)((c ? c : end) - p);
		nf++;
		if (!c)
			break;
		p = c + 1;
	}
	return nf;
}

/* Find the line of a passwd file (name:x:UID:GID:...; gid_out set) or a
 * group file (name:x:GID:members; gid_out NULL) whose name is name, or -
 * name NULL - whose id is id. 0 found (*line_out, unless NULL, is where its
 * line starts), 1 not. */
static int account_find(const char *text, const char *name, uint32_t id, uint32_t *id_out,
                        uint32_t *gid_out, const char **line_out)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *f[4];
		size_t fl[4], nf = split_fields(line, len, f, fl, 4);
		uint32_t v, g = 0;
		bool ok = nf >= 3 && line[0] != '#' && parse_id(f[2], fl[2], &v) &&
		          (!gid_out || (nf >= 4 && parse_id(f[3], fl[3], &g)));
		if (ok && (name ? fl[0] == strlen(name) && !memcmp(f[0], name, fl[0]) : v == id)) {
			*id_out = v;
			if (gid_out)
				*gid_out = g;
			if (line_out)
				*line_out = line;
			return 0;
		}
		line = end ? end + 1 : NULL;
	}
	return 1;
}

int img_resolve_user(const char *lowerdir, const char *user, bool want_uid, bool want_gid,
                     uid_t *uid, gid_t *gid)
{
	*uid = 0;
	*gid = 0;
	if (!user || !*user || (!want_uid && !want_gid))
		return 0;
	const char *colon = strchr(user, ':');
	size_t ul = colon ? (size_t)(colon - user) : strlen(user);
	const char *grp = colon ? colon + 1 : NULL;
	char uname[256], gname[256];
	if (ul == 0 || ul >= sizeof(uname) || (grp && (!*grp || strlen(grp) >= sizeof(gname))))
		return fail_msg(EINVAL, "image user \"%s\": not USER[:GROUP]", user);
	memcpy(uname, user, ul);
	uname[ul] = '\0';
	uint32_t u = 0, g = 0;
	bool u_num = parse_id(uname, ul, &u), g_num = grp && parse_id(grp, strlen(grp), &g);
	if (grp)
		snprintf(gname, sizeof(gname), "%s", grp);
	/* Numbers need no file, except for a uid's primary group, which runc
	 * takes from /etc/passwd when the image names no group. */
	bool need_passwd = (want_uid && !u_num) || (want_gid && !grp);
	bool need_group = want_gid && grp && !g_num;
	if (need_passwd || need_group) {
		_cleanup_close_ int root = open_image_root(lowerdir);
		if (root < 0)
			return -1;
		char *passwd = NULL, *group = NULL;
		int rc = 0;
		if ((need_passwd && read_account_file(root, "etc/passwd", &passwd) < 0) ||
		    (need_group && read_account_file(root, "etc/group", &group) < 0)) {
			rc = -1;
		} else if (need_passwd) {
			uint32_t pu, pg;
			if (account_find(passwd ? passwd : "", u_num ? NULL : uname, u, &pu, &pg,
			                 NULL) == 0) {
				u = pu;
				if (!grp)
					g = pg;
			} else if (!u_num && want_uid) {
				rc = fail_msg(
				    ENOENT,
				    "image user \"%s\": no user %s in the image's /etc/passwd",
				    user, uname);
			}
		}
		if (rc == 0 && need_group &&
		    account_find(group ? group : "", gname, 0, &g, NULL, NULL) != 0)
			rc = fail_msg(ENOENT,
			              "image user \"%s\": no group %s in the image's /etc/group",
			              user, gname);
		free(passwd);
		free(group);
		if (rc < 0)
			return -1;
	}
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* Does the member list of a group line (from members to end) name the
 * user? Items are split at ','; at ':' too, so that the members of a line
 * with a field too many are still seen (and the line refused, not passed
 * over). */
static bool group_lists(const char *members, const char *end, const char *name, size_t len)
{
	const char *item = members;
	for (const char *p = members;; p++) {
		if (p == end || *p == ',' || *p == ':') {
			if ((size_t)(p - item) == len && !memcmp(item, name, len))
				return true;
			if (p == end)
				return false;
			item = p + 1;
		}
	}
}

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
	return x < y ? -1 : x > y;
}

/* The groups of the group file text that list the user name (len bytes)
 * as a member, as containerd's WithAdditionalGIDs picks them. */
static int groups_listing(const char *text, const char *name, size_t len, gid_t **out, size_t *n)
{
	gid_t *v = NULL;
	size_t cap = 0, k = 0;
	unsigned lineno = 0;
	int shown = len > 64 ? 64 : (int)len; /* of a name the image chose */
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t ll = end ? (size_t)(end - line) : strlen(line);
		lineno++;
		const char *f[5];
		size_t fl[5], nf = split_fields(line, ll, f, fl, 5);
		/* Blank lines and comments, as glibc's files backend skips them;
		 * a line of three fields or fewer has no members to list. */
		if (ll == 0 || line[0] == '#' || nf < 4 ||
		    !group_lists(f[3], line + ll, name, len)) {
			line = end ? end + 1 : NULL;
			continue;
		}
		/* containerd would read a bad GID as 0 (Go's Atoi, its error
		 * dropped), the root group: refused instead. */
		uint32_t gid;
		if (nf != 4 || !parse_id(f[2], fl[2], &gid)) {
			free(v);
			return fail_msg(EINVAL,
			                "/etc/group in the image, line %u: lists %.*s but is not "
			                "name:password:GID:members",
			                lineno, shown, name);
		}
		/* a group named as the user is its own (often its primary): not
		 * a supplementary one, containerd leaves it out */
		if (!(fl[0] == len && !memcmp(f[0], name, len))) {
			if (k == NGROUPS_MAX) {
				free(v);
				return fail_msg(
				    E2BIG,
				    "/etc/group in the image lists %.*s in more than %d "
				    "groups (the kernel's NGROUPS_MAX)",
				    shown, name, NGROUPS_MAX);
			}
			if (k == cap) {
				cap = cap ? 2 * cap : 16;
				gid_t *nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					return fail_msg(ENOMEM, "out of memory");
				}
				v = nv;
			}
			v[k++] = (gid_t)gid;
		}
		line = end ? end + 1 : NULL;
	}
	/* The kernel keeps a process's groups sorted (groups_sort), so the
	 * order says nothing; a group listed twice grants nothing more. */
	if (k)
		qsort(v, k, sizeof(*v), cmp_gid);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (u == 0 || v[u - 1] != v[i])
			v[u++] = v[i];
	*out = v;
	*n = u;
	return 0;
}

int img_user_groups(const char *lowerdir, const char *user, gid_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!user || !*user)
		return 0;
	_cleanup_close_ int root = open_image_root(lowerdir);
	if (root < 0)
		return -1;
	char *passwd = NULL, *group = NULL;
	const char *name = user;
	size_t len = strlen(user);
	uint32_t uid;
	int rc = 0;
	/* A uid is known by the name of its line in the image's /etc/passwd:
	 * a uid without one (or an image without the file) has no groups. */
	if (parse_id(user, len, &uid)) {
		const char *line;
		uint32_t pu, pg;
		if (read_account_file(root, "etc/passwd", &passwd) < 0)
			return -1;
		if (!passwd || account_find(passwd, NULL, uid, &pu, &pg, &line) != 0)
			goto out;
		name = line;
		len = strcspn(line, ":");
	}
	if (len == 0)
		goto out;
	if (read_account_file(root, "etc/group", &group) < 0)
		rc = -1;
	else if (group)
		rc = groups_listing(group, name, len, out, n);
out:
	free(passwd);
	free(group);
	return rc;
}
