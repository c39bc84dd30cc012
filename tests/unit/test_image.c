/*
 * test_image.c - unit tests of labs/03-shared-volume/image.c: references,
 * Kubernetes' command/args/env rules, whiteouts, and the store (load, the
 * lowerdir stack, in-use refusal, hostile entries) on layouts written here
 * with libarchive and nettle. The overlay mounts are checked from outside by
 * tests/capstone/image.bats and tests/lab-3.bats.
 */
#include "image.h"

#include "common.h"
#include "deny_syscall.h"

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

static char dir[64], store[128], layout[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/podlab-test-image.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(store, sizeof(store), "%s/store", dir);
	snprintf(layout, sizeof(layout), "%s/oci", dir);
}

static void teardown(void)
{
	rm_rf(dir);
}

TestSuite(image, .init = setup, .fini = teardown);

/* ---- references ------------------------------------------------------------- */

Test(image, references_normalise_as_kubernetes)
{
	static const char *const cases[][2] = {
	    {"busybox", "docker.io/library/busybox:latest"},
	    {"busybox:1.36", "docker.io/library/busybox:1.36"},
	    {"library/busybox", "docker.io/library/busybox:latest"},
	    {"docker.io/busybox", "docker.io/library/busybox:latest"},
	    {"index.docker.io/library/busybox:1", "docker.io/library/busybox:1"},
	    {"bitnami/nginx:1.25", "docker.io/bitnami/nginx:1.25"},
	    {"quay.io/coreos/etcd:v3.5", "quay.io/coreos/etcd:v3.5"},
	    {"localhost:5000/app", "localhost:5000/app:latest"},
	    {"localhost/app:v2", "localhost/app:v2"},
	    {"registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"},
	    {"a_b__c.d-e--f", "docker.io/library/a_b__c.d-e--f:latest"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct img_ref r;
		cr_assert_eq(img_ref_parse(cases[i][0], &r), 0, "%s: %s", cases[i][0],
		             last_error());
		cr_expect_str_eq(r.full, cases[i][1], "%s", cases[i][0]);
	}
	struct img_ref r;
	const char *d = "sha256:4b8a2b8e6a2e7e7c9d3c5b7e1d0a6f2c8e9b1a3d5f7c9e1b3d5f7a9c1e3b5d7f";
	char ref[128];
	snprintf(ref, sizeof(ref), "busybox@%s", d);
	cr_assert_eq(img_ref_parse(ref, &r), 0, "%s", last_error());
	cr_expect_str_eq(r.tag, "");
	cr_expect_str_eq(r.digest, d);
	cr_expect_str_eq(r.name, "docker.io/library/busybox");
}

Test(image, bad_references_are_refused_with_the_reason)
{
	static const char *const cases[][2] = {
	    {"", "empty"},
	    {"BusyBox", "lowercase"},
	    {"busybox:", "bad tag"},
	    {"busybox:-x", "bad tag"},
	    {"busybox@sha256:abc", "64 hex"},
	    {"busybox@md5:0123", "64 hex"},
	    {"a..b", "bad name component"},
	    {"a//b", "bad name component"},
	    {"/busybox", "bad name component"},
	    {"busy box", "bad name component"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct img_ref r;
		cr_expect_eq(img_ref_parse(cases[i][0], &r), -1, "'%s' accepted", cases[i][0]);
		cr_expect_eq(errno, EINVAL, "'%s'", cases[i][0]);
		cr_expect_not_null(strstr(last_error(), cases[i][1]), "'%s': %s", cases[i][0],
		                   last_error());
	}
}

/* ---- Kubernetes' rules ------------------------------------------------------- */

static char *ep[] = {"/entry", "-e", NULL}, *cmd[] = {"default-arg", NULL};
static char *kcmd[] = {"/bin/true", NULL}, *kargs[] = {"a1", "a2", NULL}, *none[] = {NULL};

static void expect_argv(const struct img_config *cfg, char **command, char **args, const char *want)
{
	char **argv;
	cr_assert_eq(img_container_argv(cfg, command, args, &argv), 0, "%s", last_error());
	char got[256] = "";
	for (char **p = argv; *p; p++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", p == argv ? "" : " ",
		         *p);
	cr_expect_str_eq(got, want);
	img_strv_free(argv);
}

Test(image, command_replaces_entrypoint_and_drops_cmd_args_replace_cmd)
{
	struct img_config cfg = {.entrypoint = ep, .cmd = cmd};
	expect_argv(&cfg, NULL, NULL, "/entry -e default-arg");
	expect_argv(&cfg, none, none, "/entry -e default-arg"); /* [] is "not given" */
	expect_argv(&cfg, kcmd, NULL, "/bin/true");
	expect_argv(&cfg, NULL, kargs, "/entry -e a1 a2");
	expect_argv(&cfg, kcmd, kargs, "/bin/true a1 a2");
	struct img_config only_cmd = {.cmd = cmd};
	expect_argv(&only_cmd, NULL, kargs, "a1 a2");
	expect_argv(&only_cmd, NULL, NULL, "default-arg");
}

Test(image, nothing_to_run_is_an_error)
{
	struct img_config cfg = {0};
	char **argv;
	cr_expect_eq(img_container_argv(&cfg, NULL, NULL, &argv), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_not_null(strstr(last_error(), "nothing to run"));
}

Test(image, container_env_sits_over_the_image_env)
{
	char *ienv[] = {"PATH=/bin", "A=image", "B=image", NULL};
	char *cenv[] = {"B=pod", "C=pod", "PATH=/pod/bin:/bin", NULL};
	struct img_config cfg = {.env = ienv};
	char **out;
	cr_assert_eq(img_container_env(&cfg, cenv, &out), 0);
	const char *want[] = {"PATH=/pod/bin:/bin", "A=image", "B=pod", "C=pod", NULL};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (want[i])
			cr_expect_str_eq(out[i], want[i]);
		else
			cr_expect_null(out[i]);
	img_strv_free(out);
}

/* ---- whiteouts ---------------------------------------------------------------- */

Test(image, stop_signals_read_as_containerd_reads_them)
{
	static const struct {
		const char *s;
		int sig;
	} ok[] = {{"SIGQUIT", SIGQUIT},
	          {"QUIT", SIGQUIT},
	          {"sigquit", SIGQUIT},
	          {"3", SIGQUIT},
	          {"SIGTERM", SIGTERM},
	          {"USR1", SIGUSR1},
	          {"SIGCLD", SIGCHLD},
	          {"IOT", SIGABRT},
	          {"SIGWINCH", SIGWINCH},
	          {"SIGRTMIN", 34},
	          {"RTMIN+3", 37},
	          {"SIGRTMAX-1", 63},
	          {"64", 64}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int sig = -1;
		cr_expect_eq(img_signal_parse(ok[i].s, &sig), 0, "%s: %s", ok[i].s, last_error());
		cr_expect_eq(sig, ok[i].sig, "%s: %d", ok[i].s, sig);
	}
	static const char *const bad[] = {"",        "0",    "65",         "SIG",      "QUITS",
	                                  "-3",      " 3",   "RTMIN+16",   "RTMAX-15", "RTMIN-1",
	                                  "RTMAX+1", "SIGX", "SIGSIGTERM", "SIGRTMIN+"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int sig = -1;
		cr_expect_eq(img_signal_parse(bad[i], &sig), -1, "%s was taken as %d", bad[i], sig);
		cr_expect_eq(errno, EINVAL, "%s", bad[i]);
	}
}

/* Every signal that has a name back to the number it names, in the
 * spelling of Kubernetes' list (a container status reports it). */
Test(image, signal_names)
{
	static const struct {
		int sig;
		const char *name;
	} ok[] = {{SIGQUIT, "SIGQUIT"}, {SIGTERM, "SIGTERM"}, {SIGCHLD, "SIGCHLD"},
	          {34, "SIGRTMIN"},     {37, "SIGRTMIN+3"},   {49, "SIGRTMIN+15"},
	          {50, "SIGRTMAX-14"},  {63, "SIGRTMAX-1"},   {64, "SIGRTMAX"}};
	char buf[32];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_expect_eq(img_signal_name(ok[i].sig, buf, sizeof(buf)), 0, "%d", ok[i].sig);
		cr_expect_str_eq(buf, ok[i].name);
	}
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		int back = -1;
		if (img_signal_name(sig, buf, sizeof(buf)) < 0) {
			cr_expect(sig == 32 || sig == 33, "%d has no name", sig);
			continue;
		}
		cr_expect_eq(img_signal_parse(buf, &back), 0, "%s", buf);
		cr_expect_eq(back, sig, "%s", buf);
	}
	cr_expect_eq(img_signal_name(0, buf, sizeof(buf)), -1);
	cr_expect_eq(img_signal_name(SIGRTMAX + 1, buf, sizeof(buf)), -1);
}

Test(image, whiteout_names)
{
	const char *h;
	cr_expect_eq(img_whiteout_kind("motd", &h), IMG_WH_NONE);
	cr_expect_eq(img_whiteout_kind(".wh.motd", &h), IMG_WH_FILE);
	cr_expect_str_eq(h, "motd");
	cr_expect_eq(img_whiteout_kind(".wh..wh..opq", &h), IMG_WH_OPAQUE);
	cr_expect_eq(img_whiteout_kind(".wh..wh.plnk", &h), IMG_WH_IGNORE);
	cr_expect_eq(img_whiteout_kind(".whatever", &h), IMG_WH_NONE);
}

Test(image, whiteouts_take_their_overlay_form)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(img_whiteout_apply(fd, IMG_WH_FILE, "gone"), 0, "%s", last_error());
	struct stat st;
	cr_assert_eq(fstatat(fd, "gone", &st, AT_SYMLINK_NOFOLLOW), 0);
	cr_expect(S_ISCHR(st.st_mode));
	cr_expect_eq(st.st_rdev, makedev(0, 0));
	cr_assert_eq(img_whiteout_apply(fd, IMG_WH_OPAQUE, NULL), 0, "%s", last_error());
	char v[4] = "";
	cr_expect_eq(getxattr(dir, "trusted.overlay.opaque", v, sizeof(v)), 1);
	cr_expect_eq(v[0], 'y');
	cr_expect_eq(img_whiteout_apply(fd, IMG_WH_FILE, ".."), -1);
	cr_expect_eq(img_whiteout_apply(fd, IMG_WH_FILE, "a/b"), -1);
	close(fd);
}

/* ---- the store, on layouts written here --------------------------------------------- */

struct entry {
	const char *name;
	mode_t type;
	const char *data; /* file content, or link target */
};

static void sha256_file(const char *path, char out[IMG_DIGEST_MAX], long *size)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	struct sha256_ctx c;
	sha256_init(&c);
	uint8_t buf[4096], d[SHA256_DIGEST_SIZE];
	size_t n;
	*size = 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		sha256_update(&c, n, buf);
		*size += (long)n;
	}
	fclose(f);
	sha256_digest(&c, sizeof(d), d);
	strcpy(out, "sha256:");
	for (size_t i = 0; i < sizeof(d); i++)
		sprintf(out + 7 + 2 * i, "%02x", d[i]);
}

/* Move path into the layout's blobs under its digest. */
static void to_blob(const char *path, char digest[IMG_DIGEST_MAX], long *size)
{
	sha256_file(path, digest, size);
	char dst[PATH_MAX];
	snprintf(dst, sizeof(dst), "%s/blobs/sha256/%s", layout, digest + 7);
	cr_assert_eq(rename(path, dst), 0);
}

static void write_text(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(s, f);
	fclose(f);
}

static void layout_of_blobs(const char *ref, const char *const *blobs, size_t n);

/* An OCI layout at `layout` naming ref, with one uncompressed tar layer per
 * NULL-terminated list of entries in layers[]. */
static void make_layout(const char *ref, const struct entry *const *layers, size_t n)
{
	char tars[8][PATH_MAX];
	const char *blobs[8];
	cr_assert_leq(n, 8);
	for (size_t l = 0; l < n; l++) {
		char *tar = tars[l];
		snprintf(tar, PATH_MAX, "%s/layer%zu.tar", dir, l);
		blobs[l] = tar;
		struct archive *a = archive_write_new();
		archive_write_set_format_pax_restricted(a);
		cr_assert_eq(archive_write_open_filename(a, tar), ARCHIVE_OK);
		for (const struct entry *e = layers[l]; e->name; e++) {
			struct archive_entry *ae = archive_entry_new();
			archive_entry_set_pathname(ae, e->name);
			archive_entry_set_filetype(ae, e->type);
			archive_entry_set_perm(ae, 0644);
			if (e->type == AE_IFREG)
				archive_entry_set_size(ae, (la_int64_t)strlen(e->data));
			if (e->type == AE_IFLNK)
				archive_entry_set_symlink(ae, e->data);
			if (e->type == 0) { /* a hard link */
				archive_entry_set_filetype(ae, AE_IFREG);
				archive_entry_set_hardlink(ae, e->data);
			}
			cr_assert_eq(archive_write_header(a, ae), ARCHIVE_OK);
			if (e->type == AE_IFREG)
				archive_write_data(a, e->data, strlen(e->data));
			archive_entry_free(ae);
		}
		archive_write_free(a);
	}
	layout_of_blobs(ref, blobs, n);
}

/* The same around files given as they are: each the blob of one layer
 * (moved into the layout), its diffID its own digest. */
static void layout_of_blobs(const char *ref, const char *const *blobs, size_t n)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/blobs/sha256", layout);
	cr_assert_eq(mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/oci-layout", layout);
	write_text(p, "{\"imageLayoutVersion\":\"1.0.0\"}");
	char diffs[4096] = "", descs[4096] = "";
	for (size_t l = 0; l < n; l++) {
		char d[IMG_DIGEST_MAX];
		long size;
		to_blob(blobs[l], d, &size);
		snprintf(diffs + strlen(diffs), sizeof(diffs) - strlen(diffs), "%s\"%s\"",
		         l ? "," : "", d);
		snprintf(descs + strlen(descs), sizeof(descs) - strlen(descs),
		         "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
		         "\"digest\":\"%s\",\"size\":%ld}",
		         l ? "," : "", d, size);
	}
	char cfgd[IMG_DIGEST_MAX], mand[IMG_DIGEST_MAX], json[8192];
	long cfgs, mans;
	snprintf(p, sizeof(p), "%s/config", dir);
	snprintf(json, sizeof(json),
	         "{\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/bin/sh\"],\"Env\":[\"A=1\"]},"
	         "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}",
	         diffs);
	write_text(p, json);
	to_blob(p, cfgd, &cfgs);
	snprintf(json, sizeof(json),
	         "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
	         "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%ld},"
	         "\"layers\":[%s]}",
	         cfgd, cfgs, descs);
	snprintf(p, sizeof(p), "%s/manifest", dir);
	write_text(p, json);
	to_blob(p, mand, &mans);
	snprintf(json, sizeof(json),
	         "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
	         "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%ld,"
	         "\"annotations\":{\"io.containerd.image.name\":\"%s\"}}]}",
	         mand, mans, ref);
	snprintf(p, sizeof(p), "%s/index.json", layout);
	write_text(p, json);
}

/* An in_use callback: a copy of the NULL-terminated list arg. */
static char **copy_of(void *arg)
{
	const char *const *list = arg;
	size_t n = 0;
	while (list[n])
		n++;
	char **v = calloc(n + 1, sizeof(*v));
	cr_assert_not_null(v);
	for (size_t i = 0; i < n; i++)
		cr_assert_not_null(v[i] = strdup(list[i]));
	return v;
}

static bool store_is_empty(void)
{
	static const char *const sub[] = {"layers", "configs", "refs", "tmp"};
	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", store, sub[i]);
		if (rmdir(p) < 0 && errno != ENOENT)
			return false; /* ENOTEMPTY: something was left */
	}
	return true;
}

static const struct entry base[] = {{"etc", AE_IFDIR, NULL},
                                    {"etc/motd", AE_IFREG, "hello\n"},
                                    {"etc/keep", AE_IFREG, "kept\n"},
                                    {NULL, 0, NULL}};
static const struct entry top[] = {{"etc/.wh.motd", AE_IFREG, ""},
                                   {"etc/new", AE_IFREG, "new\n"},
                                   {"./etc//link", 0, "etc/new"},
                                   {NULL, 0, NULL}};

Test(image, load_unpacks_each_layer_and_stacks_them_top_first)
{
	const struct entry *layers[] = {base, top};
	make_layout("example.com/app:2", layers, 2);
	char **refs;
	cr_assert_eq(img_load(store, layout, NULL, NULL, &refs), 0, "%s", last_error());
	cr_assert_str_eq(refs[0], "example.com/app:2");
	cr_assert_null(refs[1]);
	img_strv_free(refs);

	struct img_image img;
	cr_assert_eq(img_get(store, "example.com/app:2", &img), 0, "%s", last_error());
	cr_assert_eq(img.n_layers, 2);
	cr_expect_str_eq(img.config.entrypoint[0], "/bin/sh");
	cr_expect_null(img.config.cmd);
	char lower[4096], want[4096];
	cr_assert_eq(img_lowerdir(store, "example.com/app:2", lower, sizeof(lower)), 0);
	snprintf(want, sizeof(want), "%s/layers/%s:%s/layers/%s", store, img.layers[1] + 7, store,
	         img.layers[0] + 7);
	cr_expect_str_eq(lower, want);

	/* the whiteout became a 0:0 device; the hard link shares its target's inode */
	char p[PATH_MAX], q[PATH_MAX];
	struct stat a, b;
	snprintf(p, sizeof(p), "%s/layers/%s/etc/motd", store, img.layers[1] + 7);
	cr_assert_eq(lstat(p, &a), 0);
	cr_expect(S_ISCHR(a.st_mode) && a.st_rdev == makedev(0, 0));
	snprintf(p, sizeof(p), "%s/layers/%s/etc/link", store, img.layers[1] + 7);
	snprintf(q, sizeof(q), "%s/layers/%s/etc/new", store, img.layers[1] + 7);
	cr_assert_eq(lstat(p, &a), 0);
	cr_assert_eq(lstat(q, &b), 0);
	cr_expect_eq(a.st_ino, b.st_ino);
	img_image_free(&img);
}

/* A later entry replaces an earlier one of the same name, a directory with
 * everything in it, as docker's and containerd's appliers do; a symlink in
 * it is removed, never followed. Only a directory over a directory merges. */
Test(image, a_later_entry_replaces_a_directory_and_what_it_holds)
{
	static const struct entry layer[] = {{"a", AE_IFDIR, NULL},
	                                     {"a/in", AE_IFREG, "x"},
	                                     {"a/sub", AE_IFDIR, NULL},
	                                     {"a/sub/deep", AE_IFREG, "x"},
	                                     {"a/out", AE_IFLNK, "/"},
	                                     {"a", AE_IFREG, "file\n"},
	                                     {"b", AE_IFDIR, NULL},
	                                     {"b/x", AE_IFREG, "x"},
	                                     {"b", AE_IFLNK, "a"},
	                                     {"c", AE_IFDIR, NULL},
	                                     {"c/kept", AE_IFREG, "x"},
	                                     {"c", AE_IFDIR, NULL},
	                                     {NULL, 0, NULL}};
	const struct entry *layers[] = {layer};
	make_layout("replace:1", layers, 1);
	char **refs;
	cr_assert_eq(img_load(store, layout, NULL, NULL, &refs), 0, "%s", last_error());
	img_strv_free(refs);
	struct img_image img;
	cr_assert_eq(img_get(store, "replace:1", &img), 0, "%s", last_error());
	char p[PATH_MAX], buf[16] = "";
	struct stat st;
	snprintf(p, sizeof(p), "%s/layers/%s/a", store, img.layers[0] + 7);
	cr_assert_eq(lstat(p, &st), 0);
	cr_expect(S_ISREG(st.st_mode));
	cr_expect_gt(read_file(p, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "file");
	snprintf(p, sizeof(p), "%s/layers/%s/b", store, img.layers[0] + 7);
	cr_assert_eq(lstat(p, &st), 0);
	cr_expect(S_ISLNK(st.st_mode));
	snprintf(p, sizeof(p), "%s/layers/%s/c/kept", store, img.layers[0] + 7);
	cr_expect_eq(lstat(p, &st), 0);
	img_image_free(&img);
}

Test(image, in_use_images_are_not_removed)
{
	const struct entry *layers[] = {base};
	make_layout("app:1", layers, 1);
	char **refs;
	cr_assert_eq(img_load(store, layout, NULL, NULL, &refs), 0, "%s", last_error());
	img_strv_free(refs);
	const char *in_use[] = {"other:1", "docker.io/library/app:1", NULL};
	cr_expect_eq(img_remove(store, "app", NULL, NULL), -1, "app means app:latest, not loaded");
	cr_expect_eq(img_remove(store, "app:1", copy_of, in_use), -1);
	cr_expect_eq(errno, EBUSY);
	cr_expect_not_null(strstr(last_error(), "in use by a pod"), "%s", last_error());
	struct img_image img;
	cr_assert_eq(img_get(store, "app:1", &img), 0, "still there: %s", last_error());
	img_image_free(&img);
	cr_expect_eq(img_remove(store, "app:1", copy_of, in_use + 2), 0, "%s", last_error());
	cr_expect(store_is_empty());
}

/* The in_use callback below: is the store's lock free for a shared taker
 * (a pod, img_store_hold) at the moment rm asks? */
static char **asked_while_held(void *arg)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/lock", store);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open(%s): %s", p, strerror(errno));
	*(bool *)arg = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return NULL;
}

Test(image, rm_asks_which_images_pods_use_under_the_lock_pods_hold)
{
	const struct entry *layers[] = {base};
	make_layout("app:1", layers, 1);
	char **refs;
	cr_assert_eq(img_load(store, layout, NULL, NULL, &refs), 0, "%s", last_error());
	img_strv_free(refs);
	/* when rm asks, no pod can be between its lookup and its state */
	bool held = false;
	cr_assert_eq(img_remove(store, "app:1", asked_while_held, &held), 0, "%s", last_error());
	cr_expect(held, "in_use was asked while a pod could still take the store");
	/* no store at all: nothing to hold, and no message left behind */
	set_last_error("");
	cr_expect_eq(img_store_hold("/nonexistent/podlab-store"), -1);
	cr_expect_eq(errno, ENOENT);
	cr_expect_str_empty(last_error());
}

/* image-spec: a whiteout applies only to the layers below; what its own
 * layer has of that name stays. A directory deleted and made again in one
 * layer (".wh.d" and "d/", in either order) must then hide what the layers
 * below had in d: opaque, in overlayfs' terms. A file needs nothing: it
 * hides the lower one by itself. */
static bool opaque(const char *layer_hex, const char *rel)
{
	char p[PATH_MAX], v[4] = "";
	snprintf(p, sizeof(p), "%s/layers/%s/%s", store, layer_hex, rel);
	return getxattr(p, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

Test(image, a_directory_deleted_and_made_again_in_one_layer_is_opaque)
{
	static const struct entry lower[] = {
	    {"d", AE_IFDIR, NULL},          {"d/old", AE_IFREG, "deleted\n"},
	    {"e", AE_IFDIR, NULL},          {"e/old", AE_IFREG, "deleted\n"},
	    {"f", AE_IFREG, "old\n"},       {"k", AE_IFDIR, NULL},
	    {"k/kept", AE_IFREG, "kept\n"}, {NULL, 0, NULL}};
	static const struct entry upper[] = {
	    {".wh.d", AE_IFREG, ""}, /* whiteout first */
	    {"d", AE_IFDIR, NULL},        {"d/new", AE_IFREG, "new\n"},
	    {"e", AE_IFDIR, NULL}, /* whiteout after */
	    {"e/new", AE_IFREG, "new\n"}, {".wh.e", AE_IFREG, ""},
	    {"f", AE_IFREG, "new\n"},     {".wh.f", AE_IFREG, ""},
	    {"k", AE_IFDIR, NULL}, /* no whiteout: merged */
	    {"k/new", AE_IFREG, "new\n"}, {NULL, 0, NULL}};
	const struct entry *layers[] = {lower, upper};
	make_layout("again:1", layers, 2);
	char **refs;
	cr_assert_eq(img_load(store, layout, NULL, NULL, &refs), 0, "%s", last_error());
	img_strv_free(refs);
	struct img_image img;
	cr_assert_eq(img_get(store, "again:1", &img), 0, "%s", last_error());
	const char *top = img.layers[1] + 7;
	cr_expect(opaque(top, "d"), "d: whiteout, then the directory");
	cr_expect(opaque(top, "e"), "e: the directory, then its whiteout");
	cr_expect(!opaque(top, "k"), "k was never deleted");
	char p[PATH_MAX], buf[16] = "";
	snprintf(p, sizeof(p), "%s/layers/%s/d/new", store, top);
	cr_expect_gt(read_file(p, buf, sizeof(buf)), 0, "%s", p);
	snprintf(p, sizeof(p), "%s/layers/%s/f", store, top);
	cr_expect_gt(read_file(p, buf, sizeof(buf)), 0, "%s", p);
	cr_expect_str_eq(buf, "new");
	img_image_free(&img);
}

Test(image, hostile_entries_leave_nothing_in_the_store)
{
	static const struct entry slip[] = {
	    {"ok", AE_IFREG, "x"}, {"a/../../x", AE_IFREG, "x"}, {0}};
	static const struct entry abs[] = {{"/etc/x", AE_IFREG, "x"}, {0}};
	static const struct entry sym[] = {{"l", AE_IFLNK, "/"}, {"l/x", AE_IFREG, "x"}, {0}};
	static const struct entry hard[] = {{"h", 0, "../../etc/passwd"}, {0}};
	static const struct entry hardsym[] = {{"l", AE_IFLNK, "/etc"}, {"h", 0, "l/passwd"}, {0}};
	static const struct {
		const struct entry *layer;
		const char *why;
	} cases[] = {
	    {slip, "'..' leaves the layer"},           {abs, "absolute path"},
	    {sym, "goes through the symlink 'l'"},     {hard, "'..' leaves the layer"},
	    {hardsym, "goes through the symlink 'l'"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		rm_rf(layout);
		const struct entry *layers[] = {cases[i].layer};
		make_layout("evil:1", layers, 1);
		char **refs;
		cr_expect_eq(img_load(store, layout, NULL, NULL, &refs), -1, "case %zu loaded", i);
		cr_expect_not_null(strstr(last_error(), cases[i].why), "case %zu: %s", i,
		                   last_error());
		cr_expect(store_is_empty(), "case %zu left something", i);
	}
}

/* One layer of timed entries (pax: times to the nanosecond), loaded as ref
 * into the store; the layer's directory goes into layer_dir. at_sec < 0:
 * no atime in the header. */
struct timed {
	const char *name;
	int type;
	time_t at_sec;
	long at_nsec;
	time_t mt_sec;
	long mt_nsec;
};

static void load_timed(const char *ref, const struct timed *t, size_t n, char *layer_dir,
                       size_t len)
{
	char tar[PATH_MAX];
	snprintf(tar, sizeof(tar), "%s/timed.tar", dir);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax(a);
	cr_assert_eq(archive_write_open_filename(a, tar), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, t[i].name);
		archive_entry_set_filetype(ae, (unsigned)t[i].type);
		archive_entry_set_perm(ae, 0644);
		if (t[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, "target");
		else if (t[i].type == AE_IFREG)
			archive_entry_set_size(ae, 1);
		if (t[i].at_sec >= 0)
			archive_entry_set_atime(ae, t[i].at_sec, t[i].at_nsec);
		archive_entry_set_mtime(ae, t[i].mt_sec, t[i].mt_nsec);
		cr_assert_eq(archive_write_header(a, ae), ARCHIVE_OK);
		if (t[i].type == AE_IFREG)
			archive_write_data(a, "x", 1);
		archive_entry_free(ae);
	}
	archive_write_free(a);
	const char *blobs[] = {tar};
	layout_of_blobs(ref, blobs, 1);
	char **refs;
	cr_assert_eq(img_load(store, layout, NULL, NULL, &refs), 0, "%s", last_error());
	img_strv_free(refs);
	struct img_image img;
	cr_assert_eq(img_get(store, ref, &img), 0, "%s", last_error());
	snprintf(layer_dir, len, "%s/layers/%s", store, img.layers[0] + 7);
	img_image_free(&img);
}

/* containerd's applier: an entry's times to the nanosecond, and an atime
 * never older than the mtime - a ustar header has none, and 0 would date
 * every file's last read to 1970. Symlinks' own times too, and
 * directories' once every entry is in (an entry made in one changes its
 * mtime): the last entry of a name counts, and a directory a later entry
 * made a symlink is no error. */
Test(image, entry_times_are_kept_to_the_nanosecond_and_atime_is_never_older)
{
	static const struct timed t[] = {
	    {".", AE_IFDIR, -1, 0, 1000000001, 1},
	    {"dir", AE_IFDIR, -1, 0, 1000000002, 2},
	    {"dir/no-atime", AE_IFREG, -1, 0, 1234567890, 123456789},
	    {"dir/older-atime", AE_IFREG, 1000, 0, 1234567890, 500000000},
	    {"newer-atime", AE_IFREG, 1300000000, 7, 1234567890, 0},
	    {"link", AE_IFLNK, -1, 0, 1111111111, 250000000},
	    {"gone", AE_IFDIR, -1, 0, 1000000003, 3},
	    {"gone", AE_IFLNK, -1, 0, 1000000004, 4},
	};
	char layer[PATH_MAX], p[PATH_MAX + 32];
	load_timed("timed:1", t, ARRAY_SIZE(t), layer, sizeof(layer));
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		if (i == 6)
			continue; /* "gone" is the symlink */
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", layer, t[i].name);
		cr_assert_eq(lstat(p, &st), 0, "%s: %s", p, strerror(errno));
		cr_expect(st.st_mtim.tv_sec == t[i].mt_sec && st.st_mtim.tv_nsec == t[i].mt_nsec,
		          "%s: mtime %lld.%09ld", t[i].name, (long long)st.st_mtim.tv_sec,
		          st.st_mtim.tv_nsec);
		bool newer = t[i].at_sec > t[i].mt_sec;
		time_t at = newer ? t[i].at_sec : t[i].mt_sec;
		long atn = newer ? t[i].at_nsec : t[i].mt_nsec;
		cr_expect(st.st_atim.tv_sec == at && st.st_atim.tv_nsec == atn,
		          "%s: atime %lld.%09ld", t[i].name, (long long)st.st_atim.tv_sec,
		          st.st_atim.tv_nsec);
	}
}

/* A time that cannot be set fails the load, as containerd's applier fails,
 * and leaves nothing in the store. */
Test(image, a_time_that_cannot_be_set_fails_the_load)
{
	static const struct entry one[] = {{"f", AE_IFREG, "x"}, {0}};
	const struct entry *layers[] = {one};
	make_layout("untimed:1", layers, 1);
	cr_assert_eq(deny_syscall(SYS_utimensat, EPERM), 0, "%s", strerror(errno));
	char **refs;
	cr_expect_eq(img_load(store, layout, NULL, NULL, &refs), -1, "loaded");
	cr_expect(strstr(last_error(), "entry 'f': futimens: Operation not permitted"), "%s",
	          last_error());
	cr_expect(store_is_empty(), "the store keeps something");
}

/* A blob in lrzip's format (its magic, "LRZI"): libarchive decodes lrzip,
 * grzip and some others only by running the program of that name, found
 * in PATH. An image is hostile input, and the loader runs as root: it
 * decodes what the OCI media types and docker load name, in its own
 * process, and never runs a program an image picks. */
Test(image, no_blob_picks_a_program_to_run)
{
	char bin[128], lrzip[160], ran[160], path[8192];
	snprintf(bin, sizeof(bin), "%s/bin", dir);
	snprintf(lrzip, sizeof(lrzip), "%s/lrzip", bin);
	snprintf(ran, sizeof(ran), "%s/ran", dir);
	cr_assert_eq(mkdir(bin, 0755), 0);
	char script[PATH_MAX + 64];
	snprintf(script, sizeof(script), "#!/bin/sh\ntouch %s\nexec cat\n", ran);
	write_text(lrzip, script);
	cr_assert_eq(chmod(lrzip, 0755), 0);
	snprintf(path, sizeof(path), "%s:%s", bin, getenv("PATH") ? getenv("PATH") : "/usr/bin");
	cr_assert_eq(setenv("PATH", path, 1), 0);

	static const char lrz[] = "LRZI\x00\x06 not really lrzip, and no tar either";
	char blob[PATH_MAX];
	snprintf(blob, sizeof(blob), "%s/layer.lrz", dir);
	FILE *f = fopen(blob, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(lrz, 1, sizeof(lrz), f), sizeof(lrz));
	fclose(f);
	char archive[PATH_MAX];
	snprintf(archive, sizeof(archive), "%s/image.tar.lrz", dir);
	cr_assert_eq(link(blob, archive), 0);
	const char *blobs[] = {blob};
	layout_of_blobs("lrz:1", blobs, 1);

	char **refs;
	cr_expect_eq(img_load(store, layout, NULL, NULL, &refs), -1, "a layer of no tar loaded");
	cr_expect_eq(access(ran, F_OK), -1, "a layer had %s run", lrzip);
	cr_expect_eq(img_load(store, archive, "lrz:1", NULL, &refs), -1, "no tar loaded");
	cr_expect_eq(access(ran, F_OK), -1, "an archive had %s run", lrzip);
	cr_expect(store_is_empty());
}

/* ---- the image's groups for its user (supplementalGroupsPolicy Merge) ------ */

/* FILE (relative, "etc/group") beneath dir/NAME, its directories made. */
static void put_in(const char *name, const char *file, const char *text)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s/%s", dir, name, file);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	cr_assert_eq(mkdir_p(p, 0755), 0, "%s", last_error());
	*slash = '/';
	write_text(p, text);
}

static const char passwd_text[] = "root:x:0:0:root:/root:/bin/sh\n"
                                  "alice:x:1000:1000::/home/alice:/bin/sh\n"
                                  "bob:x:1001:1001::/home/bob:/bin/sh\n";

/* img_user_groups on dir/NAME for user: its groups, as "10 44 50". */
static int groups_of(const char *name, const char *user, char *out, size_t len)
{
	char root[PATH_MAX];
	snprintf(root, sizeof(root), "%s/%s", dir, name);
	gid_t *g = (gid_t *)1;
	size_t n = 99;
	out[0] = '\0';
	int rc = img_user_groups(root, user, &g, &n);
	if (rc < 0) {
		cr_assert_null(g);
		cr_assert_eq(n, 0);
		return rc;
	}
	cr_assert((n == 0) == (g == NULL), "n %zu with %p", n, (void *)g);
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%u", i ? " " : "",
		         (unsigned)g[i]);
	free(g);
	return rc;
}

/* Proven: with the member list matched by prefix (group_lists comparing
 * len bytes without the length check) "alicex" gives alice group 77 too;
 * with the name rule dropped, group "alice" (2000) is in the list. */
Test(image, user_groups_are_those_listing_the_user_but_its_own)
{
	put_in("img", "etc/passwd", passwd_text);
	put_in("img", "etc/group",
	       "root:x:0:root\n"
	       "wheel:x:10:root,alice\n"
	       "staff:x:50:bob,alice\n"
	       "audio:x:29:bob\n"
	       "alice:x:2000:alice\n" /* named as the user: containerd skips it */
	       "video:x:44:alice\n"
	       "near:x:77:alicex,xalice,Alice, alice\n"
	       "again:x:50:alice\n" /* 50 twice: once */
	       "empty:x:88:\n");
	char got[256];
	/* a uid is named by its /etc/passwd line */
	cr_assert_eq(groups_of("img", "1000", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "10 44 50");
	/* a name is taken as it is */
	cr_assert_eq(groups_of("img", "alice", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "10 44 50");
	/* root's own group "root" lists root: skipped as well */
	cr_assert_eq(groups_of("img", "0", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "10");
	cr_assert_eq(groups_of("img", "bob", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "29 50");
}

/* Proven: with img_user_groups taking a uid without a passwd line as its
 * decimal name ("4242"), the group listing "4242" is added. */
Test(image, user_groups_none_without_a_passwd_line_or_the_files)
{
	put_in("img", "etc/passwd", passwd_text);
	put_in("img", "etc/group", "wheel:x:10:alice,4242\n");
	char got[256];
	cr_assert_eq(groups_of("img", "4242", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "");
	/* a name with no passwd line is still a name (containerd does not look) */
	cr_assert_eq(groups_of("img", "alice", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "10");
	/* no /etc/passwd: a uid has no name; no /etc/group: no groups */
	put_in("nopasswd", "etc/group", "wheel:x:10:alice,root\n");
	cr_assert_eq(groups_of("nopasswd", "1000", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "");
	put_in("nogroup", "etc/passwd", passwd_text);
	cr_assert_eq(groups_of("nogroup", "1000", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "");
}

/* Proven: with the '#' test dropped from groups_listing the commented
 * lines add 66 and 67; with the nf != 4 check dropped the line of five
 * fields is taken (gid 5), not refused; with parse_id's result ignored the
 * bad GID lines are not refused. */
Test(image, user_groups_skip_comments_and_refuse_a_bad_line_that_lists_the_user)
{
	put_in("img", "etc/passwd", passwd_text);
	put_in("img", "etc/group",
	       "# wheel:x:66:alice\n"
	       "#old:x:67:alice\n"
	       "\n"
	       "short:x:3\n"
	       "noise:x:abc:bob\n" /* bad, but alice's groups do not hang on it */
	       "staff:x:50:alice\n");
	char got[256];
	cr_assert_eq(groups_of("img", "alice", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "50");
	static const char *const bad[] = {"staff:x:50:alice\nbroken:x:abc:alice\n",
	                                  "staff:x:50:alice\nbroken:x::alice\n",
	                                  "staff:x:50:alice\nbroken:x:4294967295:alice\n",
	                                  "staff:x:50:alice\nextra:x:5:bob:alice\n"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		put_in("img", "etc/group", bad[i]);
		errno = 0;
		cr_assert_eq(groups_of("img", "1000", got, sizeof(got)), -1, "%s", bad[i]);
		cr_assert_eq(errno, EINVAL);
		cr_assert(strstr(last_error(),
		                 "/etc/group in the image, line 2: lists alice but is "
		                 "not name:password:GID:members"),
		          "%s", last_error());
	}
	/* not a regular file, or too large: refused, naming the file */
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/img/etc/group", dir);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(mkdir(p, 0755), 0);
	cr_assert_eq(groups_of("img", "1000", got, sizeof(got)), -1);
	cr_assert(strstr(last_error(), "/etc/group in the image is not a regular file"), "%s",
	          last_error());
	cr_assert_eq(rmdir(p), 0);
	put_in("img", "etc/group", "staff:x:50:alice\n");
	cr_assert_eq(truncate(p, (4 << 20) + 1), 0);
	cr_assert_eq(groups_of("img", "1000", got, sizeof(got)), -1);
	cr_assert_eq(errno, EFBIG);
	cr_assert(strstr(last_error(), "/etc/group in the image: larger than"), "%s", last_error());
}

/* Proven: with the NGROUPS_MAX check dropped from groups_listing the
 * 65537 groups come back. */
Test(image, user_groups_more_than_ngroups_max_are_refused)
{
	put_in("img", "etc/passwd", passwd_text);
	size_t cap = 70000 * 24, len = 0;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	for (unsigned i = 1; i <= NGROUPS_MAX + 1; i++)
		len += (size_t)snprintf(text + len, cap - len, "g%u:x:%u:alice\n", i, i);
	put_in("img", "etc/group", text);
	char got[16];
	cr_assert_eq(groups_of("img", "1000", got, sizeof(got)), -1);
	cr_assert_eq(errno, E2BIG);
	cr_assert(strstr(last_error(), "lists alice in more than 65536 groups"), "%s",
	          last_error());
	/* exactly NGROUPS_MAX is what the kernel takes */
	text[len - strlen("g65537:x:65537:alice\n")] = '\0';
	put_in("img", "etc/group", text);
	free(text);
	char root[PATH_MAX];
	snprintf(root, sizeof(root), "%s/img", dir);
	gid_t *g;
	size_t n;
	cr_assert_eq(img_user_groups(root, "alice", &g, &n), 0, "%s", last_error());
	cr_assert_eq(n, NGROUPS_MAX);
	cr_assert_eq(g[0], 1);
	cr_assert_eq(g[n - 1], NGROUPS_MAX);
	free(g);
}

/* The files are the image's, whatever their symlinks say: a relative one
 * that climbs out of the layer and an absolute one both stay beneath it
 * (RESOLVE_IN_ROOT). On a stack of two layers the upper one's file wins.
 * Proven: with RESOLVE_IN_ROOT dropped from read_account_file the group
 * file next to the layer gives alice 666, and the absolute passwd link
 * leads to the host's (missing) /etc/passwd.real: uid 1000 has no groups. */
Test(image, user_groups_read_beneath_the_image_root)
{
	/* what a naive resolution would reach: dir/group.host, next to img/ */
	put_in(".", "group.host", "host:x:666:alice\n");
	put_in("img", "group.host", "inside:x:10:alice\n");
	put_in("img", "etc/passwd.real", passwd_text);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/img/etc/group", dir);
	cr_assert_eq(symlink("../../group.host", p), 0);
	snprintf(p, sizeof(p), "%s/img/etc/passwd", dir);
	cr_assert_eq(symlink("/etc/passwd.real", p), 0);
	char got[256];
	cr_assert_eq(groups_of("img", "alice", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "10");
	cr_assert_eq(groups_of("img", "1000", got, sizeof(got)), 0, "%s", last_error());
	cr_assert_str_eq(got, "10");
	/* two layers, mounted as a detached overlay: the upper's /etc/group */
	put_in("upper", "etc/group", "upper:x:20:alice\n");
	char stack[2 * PATH_MAX + 2];
	snprintf(stack, sizeof(stack), "%s/upper:%s/img", dir, dir);
	gid_t *g;
	size_t n;
	cr_assert_eq(img_user_groups(stack, "1000", &g, &n), 0, "%s", last_error());
	cr_assert_eq(n, 1);
	cr_assert_eq(g[0], 20);
	free(g);
}
