/*
 * fuzz_image.h - what the image fuzzers (fuzz_layer, fuzz_archive) share: a
 * scratch directory per process, an image store in it, and the promises
 * img_load (lab 03, image.h) makes about that store and what is around it.
 *
 * An image is what an attacker hands a node. Whatever its bytes, a load
 * either fails and leaves nothing of itself in the store, or succeeds and
 * leaves layers that hold no device node and no trusted.* attribute of the
 * image's own (overlayfs would read one as its metadata); and nothing is
 * ever written outside the store. The scratch directory holds the store and
 * the source the target wrote, nothing else: a path that escaped would most
 * likely land there. Needs root, as a load does (owners, whiteouts).
 */
#ifndef PODLAB_FUZZ_IMAGE_H
#define PODLAB_FUZZ_IMAGE_H

#include "fuzz.h"
#include "image.h"

#include "common.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

/* Small bounds: an input of a few kB must not write gigabytes. */
static const struct img_limits fuzz_image_limits = {
    .max_layer_bytes = 1 << 20, .max_layer_entries = 256, .max_archive_bytes = 1 << 20};

static char fuzz_image_base[PATH_MAX / 2], fuzz_image_store[PATH_MAX / 2 + 8];

static void fuzz_image_cleanup(void)
{
	if (!fuzz_image_base[0])
		return;
	umount2(fuzz_image_base, MNT_DETACH); /* fails when no tmpfs was made */
	rm_rf(fuzz_image_base);
}

/* The scratch directory, made on the first call and removed at exit: a
 * tmpfs in a mount namespace of this process's own when it may make one
 * (root). A load writes and syncs a dozen files: on tmpfs an input costs
 * an eighth of what it does on ext4, and what a crash leaves behind goes
 * with the process, but for the empty directory (`make fuzz` sets TMPDIR
 * to one of the build's). */
static void fuzz_image_init(void)
{
	if (fuzz_image_base[0])
		return;
	const char *tmp = getenv("TMPDIR");
	snprintf(fuzz_image_base, sizeof(fuzz_image_base), "%s/podlab-fuzz-image.XXXXXX",
	         tmp && *tmp && strlen(tmp) < PATH_MAX / 4 ? tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(fuzz_image_base) != NULL);
	snprintf(fuzz_image_store, sizeof(fuzz_image_store), "%s/store", fuzz_image_base);
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		FUZZ_CHECK(mount("tmpfs", fuzz_image_base, "tmpfs", 0, "size=256m,mode=0700") == 0);
	atexit(fuzz_image_cleanup);
}

static void fuzz_image_write(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "we");
	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(fwrite(p, 1, n, f) == n || n == 0);
	FUZZ_CHECK(fclose(f) == 0);
}

/* A copy of the input with the checksum of each tar header set right.
 * libarchive refuses a header whose checksum is wrong, and almost every
 * mutation of a header (a name, a type, a link, a mode) makes it wrong: the
 * mutations would never reach the unpacker. Headers are followed from the
 * start as long as they carry the ustar magic (the POSIX and GNU formats);
 * a compressed input is left as it is. NULL when out of memory. */
static uint8_t *fuzz_image_fix_tar(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);
	if (!b)
		return NULL;
	memcpy(b, data, size);
	for (size_t off = 0; off + 512 <= size;) {
		uint8_t *h = b + off;
		if (memcmp(h + 257, "ustar", 5) != 0)
			break;
		memset(h + 148, ' ', 8);
		unsigned sum = 0;
		for (size_t i = 0; i < 512; i++)
			sum += h[i];
		char field[8];
		snprintf(field, sizeof(field), "%06o", sum & 0777777);
		memcpy(h + 148, field, 7); /* six digits, a NUL, then the space */
		uint64_t len = 0;
		for (size_t i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
			len = len * 8 + (uint64_t)(h[i] - '0');
		if (len > size)
			break;
		off += 512 + (size_t)(len + 511) / 512 * 512;
	}
	return b;
}

/* Every entry of dir is one of the NULL-terminated names. */
static bool fuzz_image_only(const char *dir, const char *const *names)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT;
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		bool known = false;
		for (const char *const *n = names; *n && !known; n++)
			known = !strcmp(e->d_name, *n);
		if (!known)
			fprintf(stderr, "fuzz_image: unexpected %s/%s\n", dir, e->d_name);
		ok = known;
	}
	closedir(d);
	return ok;
}

/* Nothing of any image in the store: what a failed load, or the removal of
 * every reference, must leave. */
static bool fuzz_image_store_empty(void)
{
	static const char *const none[] = {NULL};
	static const char *const sub[] = {"layers", "configs", "refs", "tmp"};
	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", fuzz_image_store, sub[i]);
		if (!fuzz_image_only(p, none))
			return false;
	}
	return true;
}

/* An unpacked layer's entry: no device but a whiteout (0:0), no trusted.*
 * attribute but the opaque mark a whiteout makes. */
static int fuzz_image_entry_ok(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	FUZZ_CHECK(!S_ISBLK(st->st_mode) && !S_ISSOCK(st->st_mode));
	if (S_ISCHR(st->st_mode))
		FUZZ_CHECK(st->st_rdev == makedev(0, 0));
	char names[4096];
	ssize_t n = llistxattr(path, names, sizeof(names));
	for (ssize_t o = 0; o < n; o += (ssize_t)strlen(names + o) + 1)
		if (!strncmp(names + o, "trusted.", 8)) {
			char v[8];
			FUZZ_CHECK(!strcmp(names + o, "trusted.overlay.opaque"));
			FUZZ_CHECK(lgetxattr(path, names + o, v, sizeof(v)) == 1 && v[0] == 'y');
		}
	return 0;
}

/* After a load of the source named src (a name in the scratch directory):
 * check the promises, then empty the store for the next input. */
static void fuzz_image_after_load(int rc, char **refs, const char *src)
{
	const char *const around[] = {"store", src, NULL};
	FUZZ_CHECK(fuzz_image_only(fuzz_image_base, around));
	static const char *const in_store[] = {"layers", "configs", "refs", "tmp", "lock", NULL};
	FUZZ_CHECK(fuzz_image_only(fuzz_image_store, in_store));
	if (rc < 0) {
		FUZZ_CHECK(*last_error() != '\0' && refs == NULL);
		FUZZ_CHECK(fuzz_image_store_empty());
		return;
	}
	FUZZ_CHECK(refs && refs[0]);
	char layers[PATH_MAX];
	snprintf(layers, sizeof(layers), "%s/layers", fuzz_image_store);
	FUZZ_CHECK(access(layers, F_OK) < 0 ||
	           nftw(layers, fuzz_image_entry_ok, 16, FTW_PHYS) == 0);
	for (char **r = refs; *r; r++) {
		struct img_image img;
		FUZZ_CHECK(img_get(fuzz_image_store, *r, &img) == 0);
		img_image_free(&img);
	}
	/* A reference may be loaded twice by one archive: the second removal
	 * finds it gone. */
	for (char **r = refs; *r; r++)
		FUZZ_CHECK(img_remove(fuzz_image_store, *r, NULL, NULL) == 0 || errno == ENOENT);
	img_strv_free(refs);
	FUZZ_CHECK(fuzz_image_store_empty());
}

#endif
