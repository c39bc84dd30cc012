/*
 * test_logs.c - unit tests of the container log module (capstone/logs.c):
 * the CRI records it writes (F and P), rotation at a size with a number of
 * files kept, the reader's options (partial lines joined, tail across rotated
 * files, since, previous, timestamps, limit-bytes, follow until the run
 * ends), a symlink planted where a log goes, and a full disk.
 */
#include "common.h"
#include "logs.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* ---- helpers ----------------------------------------------------------------- */

static char tmp[PATH_MAX]; /* this test's directory: the pod's data dir is tmp/pod */
static char pod[PATH_MAX + 8];

static void make_tmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_logs.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(pod, sizeof(pod), "%s/pod", tmp);
	cr_assert_eq(mkdir(pod, 0700), 0);
}

/* What a test allocated, freed when it ends: assertions stay one-liners. */
static void *kept[256];
static size_t n_kept;

static void *keep(void *p)
{
	cr_assert_not_null(p, "out of memory");
	cr_assert_lt(n_kept, ARRAY_SIZE(kept));
	return kept[n_kept++] = p;
}

static void remove_tmp(void)
{
	/* the full-disk test's tmpfs (in its own mount namespace): rm_rf
	 * does not cross into another mount */
	umount2(pod, MNT_DETACH);
	if (tmp[0])
		rm_rf(tmp);
	while (n_kept)
		free(kept[--n_kept]);
}

TestSuite(logs, .init = make_tmp, .fini = remove_tmp, .timeout = 20);

static char *path_of(const char *rel)
{
	static char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/logs/%s", pod, rel);
	return p;
}

/* A file's bytes, NUL-terminated; the test fails when it cannot be read. */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open(%s): %s", path, strerror(errno));
	size_t len = 0, cap = 4096;
	char *b = malloc(cap);
	cr_assert_not_null(b, "out of memory");
	ssize_t r;
	while ((r = read(fd, b + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (cap - len < 2) {
			b = realloc(b, cap *= 2);
			cr_assert_not_null(b, "out of memory");
		}
	}
	close(fd);
	b[len] = '\0';
	return keep(b);
}

static void put(const char *rel, const char *text)
{
	char dir[PATH_MAX * 2];
	snprintf(dir, sizeof(dir), "%s", path_of(rel));
	*strrchr(dir, '/') = '\0';
	cr_assert_eq(mkdir_p(dir, 0700), 0);
	int fd = open(path_of(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

struct sink {
	char *p;
	size_t len;
};

static int to_sink(void *arg, const char *buf, size_t len)
{
	struct sink *s = arg;
	s->p = realloc(s->p, s->len + len + 1);
	memcpy(s->p + s->len, buf, len);
	s->len += len;
	s->p[s->len] = '\0';
	return 0;
}

/* What logs_read prints for ctr with options o ("" for nothing). */
static char *read_log(const char *ctr, struct logs_read_opts o)
{
	struct sink s = {.p = calloc(1, 1)};
	cr_assert_eq(logs_read(pod, ctr, &o, to_sink, &s), 0, "logs_read: %s", last_error());
	return keep(s.p);
}

#define ALL ((struct logs_read_opts){.tail = -1, .limit_bytes = -1})

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static bool matches(const char *re, const char *s)
{
	regex_t r;
	cr_assert_eq(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	bool ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

static struct logs_limits limits(int64_t size, int files)
{
	return (struct logs_limits){.max_size = size, .max_files = files};
}

/* ---- records: the parser ----------------------------------------------------------- */

Test(logs, parse_record_fields)
{
	const char *l = "2026-11-27T22:00:00.123456789Z stderr P some text";
	struct logs_record r;
	cr_assert_eq(logs_parse_record(l, strlen(l), &r), 0, "%s", last_error());
	cr_assert_eq(r.ts_ns, 1795816800123456789LL);
	cr_assert_eq(r.stream, LOGS_STDERR);
	cr_assert(r.partial);
	cr_assert_eq(r.len, 9);
	cr_assert_eq(memcmp(r.content, "some text", 9), 0);

	/* an offset, fewer digits, a CRI tag list, an empty line */
	l = "2026-11-27T23:30:00.5+01:30 stdout F:x ";
	cr_assert_eq(logs_parse_record(l, strlen(l), &r), 0, "%s", last_error());
	cr_assert_eq(r.ts_ns, 1795816800500000000LL);
	cr_assert_eq(r.stream, LOGS_STDOUT);
	cr_assert_not(r.partial);
	cr_assert_eq(r.len, 0);
	/* content is taken as it is: spaces, a NUL byte */
	const char nul[] = "2026-11-27T22:00:00Z stdout F  a\0b";
	cr_assert_eq(logs_parse_record(nul, sizeof(nul) - 1, &r), 0);
	cr_assert_eq(r.len, 4);
	cr_assert_eq(memcmp(r.content, " a\0b", 4), 0);
}

Test(logs, parse_record_rejects)
{
	static const char *const bad[] = {
	    "",
	    "2026-11-27T22:00:00.1Z",
	    "2026-11-27 22:00:00.1Z stdout F x",
	    "2026-11-27T22:00:00.1 stdout F x",           /* no zone */
	    "2026-13-27T22:00:00.1Z stdout F x",          /* month */
	    "2026-02-29T22:00:00Z stdout F x",            /* not a leap year */
	    "2026-11-27T24:00:00Z stdout F x",            /* hour */
	    "2026-11-27T22:00:00.Z stdout F x",           /* '.' without digits */
	    "2026-11-27T22:00:00.1234567891Z stdout F x", /* 10 digits */
	    "9999-11-27T22:00:00Z stdout F x",            /* beyond int64 ns */
	    "2026-11-27T22:00:00Z stdin F x",
	    "2026-11-27T22:00:00Z stdall F x",
	    "2026-11-27T22:00:00Z stdout X x",
	    "2026-11-27T22:00:00Z stdout FF x",
	    "2026-11-27T22:00:00Zstdout F x",
	};
	struct logs_record r;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_assert_eq(logs_parse_record(bad[i], strlen(bad[i]), &r), -1, "parsed '%s'",
		             bad[i]);
		cr_assert_eq(errno, EINVAL);
	}
	/* the parser reads no byte past len */
	const char *l = "2026-11-27T22:00:00Z stdout F x";
	cr_assert_eq(logs_parse_record(l, 20, &r), -1);
}

Test(logs, time_formats)
{
	char t[80];
	logs_format_time(1795816800123456789LL, t, sizeof(t));
	cr_assert_str_eq(t, "2026-11-27T22:00:00.123456789Z");
	logs_format_time(1795816800000000000LL, t, sizeof(t));
	cr_assert_str_eq(t, "2026-11-27T22:00:00.000000000Z");
	/* kubectl --timestamps: Go's RFC3339Nano drops the fraction's trailing zeros */
	logs_format_time_nano(1795816800120000000LL, t, sizeof(t));
	cr_assert_str_eq(t, "2026-11-27T22:00:00.12Z");
	logs_format_time_nano(1795816800000000000LL, t, sizeof(t));
	cr_assert_str_eq(t, "2026-11-27T22:00:00Z");
}

/* ---- the writer -------------------------------------------------------------------------- */

#define TS "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z"

Test(logs, writes_full_and_partial_records)
{
	struct logs_file *f = logs_open(pod, "main", 0, NULL);
	cr_assert_not_null(f, "%s", last_error());
	/* pieces of lines, as pipes deliver them */
	cr_assert_eq(logs_write(f, LOGS_STDOUT, "hel", 3), 0);
	cr_assert_eq(logs_write(f, LOGS_STDOUT, "lo\nwor", 6), 0);
	cr_assert_eq(logs_write(f, LOGS_STDERR, "oops\n\n", 6), 0);
	cr_assert_eq(logs_write(f, LOGS_STDOUT, "ld\nno newline", 13), 0);
	logs_close(f, LOGS_STDOUT); /* EOF mid-line: a P record */
	logs_close(f, LOGS_STDERR);
	char *s = slurp(path_of("main/0.log"));
	cr_assert_not_null(s);
	cr_assert(matches("^" TS " stdout F hello\n" TS " stderr F oops\n" TS " stderr F \n" TS
	                  " stdout F world\n" TS " stdout P no newline\n$",
	                  s),
	          "got:\n%s", s);
	struct stat st;
	cr_assert_eq(stat(path_of("main/0.log"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(stat(path_of("main"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
}

Test(logs, long_line_is_cut_into_partial_records)
{
	size_t n = LOGS_LINE_MAX + 10;
	char *line = keep(malloc(n + 1));
	memset(line, 'x', n);
	line[n] = '\n';
	struct logs_file *f = logs_open(pod, "main", 0, NULL);
	cr_assert_eq(logs_write(f, LOGS_STDOUT, line, n + 1), 0);
	logs_close(f, LOGS_STDOUT);
	logs_close(f, LOGS_STDERR);
	char *s = slurp(path_of("main/0.log"));
	char *nl = strchr(s, '\n');
	cr_assert_not_null(nl);
	/* the first record: a P with exactly the buffer's worth, then the rest F */
	cr_assert(matches("^" TS " stdout P x{16384}$", keep(strndup(s, (size_t)(nl - s)))));
	cr_assert(matches("^" TS " stdout F x{10}\n$", nl + 1), "got %s", nl + 1);
	/* and the reader joins them back into the one line */
	char *out = read_log("main", ALL);
	cr_assert_eq(strlen(out), n + 1);
	cr_assert_eq(memcmp(out, line, n + 1), 0);
}

Test(logs, one_file_per_run_and_old_runs_removed)
{
	for (int run = 0; run < 4; run++) {
		struct logs_file *f = logs_open(pod, "main", run, NULL);
		char l[32];
		int n = snprintf(l, sizeof(l), "run %d\n", run);
		logs_write(f, LOGS_STDOUT, l, (size_t)n);
		logs_close(f, LOGS_STDOUT);
		logs_close(f, LOGS_STDERR);
	}
	/* kubelet keeps the current run's log and the previous one */
	cr_assert_eq(access(path_of("main/0.log"), F_OK), -1);
	cr_assert_eq(access(path_of("main/1.log"), F_OK), -1);
	cr_assert(matches("stdout F run 2\n$", slurp(path_of("main/2.log"))));
	cr_assert(matches("stdout F run 3\n$", slurp(path_of("main/3.log"))));
	cr_assert_eq(logs_latest_run(pod, "main"), 3);
	cr_assert_str_eq(read_log("main", ALL), "run 3\n");
}

Test(logs, bad_names_are_refused)
{
	cr_assert_null(logs_open(pod, "..", 0, NULL));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(logs_open(pod, "a/b", 0, NULL));
	cr_assert_null(logs_open(pod, "main", -1, NULL));
	/* NULL is a writer that drops everything: the pipes can still be drained */
	cr_assert_eq(logs_write(NULL, LOGS_STDOUT, "x\n", 2), 0);
	logs_close(NULL, LOGS_STDOUT);
}

/* Write lines "line 0".."line n-1" to run 0 of main, with the given limits. */
static void write_lines(int n, struct logs_limits lim)
{
	struct logs_file *f = logs_open(pod, "main", 0, &lim);
	cr_assert_not_null(f);
	for (int i = 0; i < n; i++) {
		char l[32];
		int k = snprintf(l, sizeof(l), "line %d\n", i);
		cr_assert_eq(logs_write(f, LOGS_STDOUT, l, (size_t)k), 0);
	}
	logs_close(f, LOGS_STDOUT);
	logs_close(f, LOGS_STDERR);
}

/* "line a\n" .. "line b-1\n" */
static char *lines(int a, int b)
{
	static char s[65536];
	s[0] = '\0';
	for (int i = a; i < b; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "line %d\n", i);
	return s;
}

Test(logs, rotates_at_the_size_and_keeps_max_files)
{
	/* a record here is 30 (time) + 10 (" stdout F ") + "line NN" + 1 = 48 bytes */
	write_lines(40, limits(200, 3));
	struct stat st;
	for (int k = 0; k < 3; k++) {
		char rel[32];
		snprintf(rel, sizeof(rel), k ? "main/0.log.%d" : "main/0.log", k);
		cr_assert_eq(stat(path_of(rel), &st), 0, "%s is missing", rel);
		cr_assert_leq(st.st_size, 200, "%s: %lld bytes", rel, (long long)st.st_size);
		cr_assert_eq(st.st_mode & 07777, 0600);
	}
	/* 4 records of 48 bytes fill a file: 0.log has the last 4, .1 and .2 the 8 before */
	cr_assert_eq(access(path_of("main/0.log.3"), F_OK), -1, "more files than max_files");
	cr_assert_eq(count_lines(slurp(path_of("main/0.log.2"))), 4);
	cr_assert_str_eq(read_log("main", ALL), lines(28, 40));
}

/* The most files kept: every one is read, in order, without a hole. */
Test(logs, rotation_keeps_up_to_the_limit_and_reads_them_all)
{
	/* 4 records of 48 bytes fill a file (see above): 300 lines fill 75 */
	write_lines(300, limits(200, LOGS_MAX_FILES_LIMIT));
	cr_assert_eq(access(path_of("main/0.log.63"), F_OK), 0);
	cr_assert_eq(access(path_of("main/0.log.64"), F_OK), -1, "more files than max_files");
	cr_assert_str_eq(read_log("main", ALL), lines(300 - 4 * LOGS_MAX_FILES_LIMIT, 300));
}

/* Rotation moves the files before the first one missing, not max_files of
 * them: a file past a hole stays where it is. */
Test(logs, rotation_stops_at_the_first_missing_file)
{
	put("main/0.log.3", "2026-11-27T22:00:00Z stdout F three\n");
	struct logs_limits lim = limits(100, LOGS_MAX_FILES_LIMIT);
	struct logs_file *f = logs_open(pod, "main", 0, &lim);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(logs_write(f, LOGS_STDOUT, "a line of forty bytes or so\n", 28), 0);
	logs_close(f, LOGS_STDOUT);
	logs_close(f, LOGS_STDERR);
	/* two rotations: 0.log -> .1 -> .2; .3 untouched, nothing at .4 or .5 */
	cr_assert_eq(access(path_of("main/0.log.2"), F_OK), 0);
	cr_assert(matches("F three\n$", slurp(path_of("main/0.log.3"))));
	cr_assert_eq(access(path_of("main/0.log.4"), F_OK), -1);
	cr_assert_eq(access(path_of("main/0.log.5"), F_OK), -1);
}

/* More rotated files than the reader lists (left by an older podrun): it
 * reads the newest of them, without holes, whatever the directory order. */
Test(logs, reader_keeps_the_newest_rotated_files)
{
	char rel[32], line[96];
	for (int j = 80; j >= 1; j--) {
		snprintf(rel, sizeof(rel), "main/0.log.%d", j);
		snprintf(line, sizeof(line), "2026-11-27T22:00:00Z stdout F line %d\n", 80 - j);
		put(rel, line);
	}
	put("main/0.log", "2026-11-27T22:00:00Z stdout F line 80\n");
	/* 0.log.1 .. 0.log.64, oldest first, then 0.log */
	cr_assert_str_eq(read_log("main", ALL), lines(80 - LOGS_MAX_FILES_LIMIT, 81));
}

Test(logs, rotation_limits_from_env)
{
	struct logs_limits l;
	unsetenv("PODRUN_LOG_MAX_SIZE");
	unsetenv("PODRUN_LOG_MAX_FILES");
	cr_assert_eq(logs_limits_from_env(&l), 0);
	cr_assert_eq(l.max_size, 10 << 20);
	cr_assert_eq(l.max_files, 5);
	setenv("PODRUN_LOG_MAX_SIZE", "1Ki", 1);
	setenv("PODRUN_LOG_MAX_FILES", "7", 1);
	cr_assert_eq(logs_limits_from_env(&l), 0);
	cr_assert_eq(l.max_size, 1024);
	cr_assert_eq(l.max_files, 7);
	setenv("PODRUN_LOG_MAX_FILES", "1", 1);
	cr_assert_eq(logs_limits_from_env(&l), -1);
	cr_assert(strstr(last_error(), "PODRUN_LOG_MAX_FILES=1"));
	cr_assert_eq(l.max_files, 5);
	/* no more than the reader lists */
	setenv("PODRUN_LOG_MAX_FILES", "64", 1);
	cr_assert_eq(logs_limits_from_env(&l), 0);
	cr_assert_eq(l.max_files, 64);
	setenv("PODRUN_LOG_MAX_FILES", "65", 1);
	cr_assert_eq(logs_limits_from_env(&l), -1);
	cr_assert(strstr(last_error(), "PODRUN_LOG_MAX_FILES=65"), "%s", last_error());
	cr_assert(strstr(last_error(), "at least 2 and at most 64"), "%s", last_error());
	cr_assert_eq(l.max_files, 5);
	setenv("PODRUN_LOG_MAX_FILES", "2", 1);
	setenv("PODRUN_LOG_MAX_SIZE", "10MB", 1);
	cr_assert_eq(logs_limits_from_env(&l), -1);
	cr_assert(strstr(last_error(), "PODRUN_LOG_MAX_SIZE=10MB"));
	cr_assert_eq(l.max_size, 10 << 20);
}

Test(logs, symlink_at_the_log_path_is_not_followed)
{
	char target[PATH_MAX + 16];
	snprintf(target, sizeof(target), "%s/target", tmp);
	put("main/.keep", "");
	int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	cr_assert_eq(symlink(target, path_of("main/0.log")), 0);
	struct logs_file *f = logs_open(pod, "main", 0, NULL);
	cr_assert_eq(logs_write(f, LOGS_STDOUT, "secret\n", 7), 0);
	logs_close(f, LOGS_STDOUT);
	logs_close(f, LOGS_STDERR);
	struct stat st;
	cr_assert_eq(stat(target, &st), 0);
	cr_assert_eq(st.st_size, 0, "wrote through the symlink");
	cr_assert_eq(lstat(path_of("main/0.log"), &st), 0);
	cr_assert(S_ISREG(st.st_mode), "the link is still there");
	cr_assert(matches("stdout F secret\n$", slurp(path_of("main/0.log"))));
}

Test(logs, symlink_for_the_container_dir_is_not_followed)
{
	char elsewhere[PATH_MAX + 16];
	snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", tmp);
	cr_assert_eq(mkdir(elsewhere, 0700), 0);
	put(".keep", "");
	cr_assert_eq(symlink(elsewhere, path_of("main")), 0);
	struct logs_file *f = logs_open(pod, "main", 0, NULL);
	cr_assert_not_null(f);
	/* nowhere to write: the line is lost, not written through the link */
	cr_assert_eq(logs_write(f, LOGS_STDOUT, "secret\n", 7), -1);
	cr_assert_eq(logs_lost(f), 1);
	logs_close(f, LOGS_STDOUT);
	logs_close(f, LOGS_STDERR);
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/0.log", elsewhere);
	cr_assert_eq(access(p, F_OK), -1, "wrote through the symlink");
	/* the reader does not go through it either */
	struct sink s = {0};
	struct logs_read_opts o = ALL;
	cr_assert_eq(logs_read(pod, "main", &o, to_sink, &s), -1);
	cr_assert_null(s.p, "printed something");
}

/* A full disk: a tmpfs of 64 KiB in a mount namespace of this test's own. */
Test(logs, full_disk_loses_lines_not_the_writer)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (a tmpfs)");
	cr_assert_eq(unshare(CLONE_NEWNS), 0);
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount("tmpfs", pod, "tmpfs", 0, "size=64k,mode=0700"), 0);
	char filler[PATH_MAX + 16];
	snprintf(filler, sizeof(filler), "%s/filler", pod);
	int fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	char block[4096];
	memset(block, 'f', sizeof(block));
	for (int i = 0; i < 8; i++)
		cr_assert_eq(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	close(fd);

	struct logs_file *f = logs_open(pod, "main", 0, NULL);
	cr_assert_not_null(f);
	char line[101];
	memset(line, 'y', 100);
	line[100] = '\n';
	int failed = 0;
	for (int i = 0; i < 1000; i++)
		failed += logs_write(f, LOGS_STDOUT, line, sizeof(line)) < 0;
	cr_assert_gt(failed, 0, "the disk never filled up");
	cr_assert_eq(logs_lost(f), (uint64_t)failed);
	/* what is in the file is whole records, never a torn one */
	char *s = slurp(path_of("main/0.log"));
	cr_assert(matches("^(" TS " stdout F y{100}\n)+$", s), "torn record in:\n%.300s", s);
	size_t before = count_lines(s);

	/* space again: the writer goes on */
	cr_assert_eq(unlink(filler), 0);
	cr_assert_eq(logs_write(f, LOGS_STDOUT, "after\n", 6), 0);
	logs_close(f, LOGS_STDOUT);
	logs_close(f, LOGS_STDERR);
	s = slurp(path_of("main/0.log"));
	cr_assert_eq(count_lines(s), before + 1);
	cr_assert(matches("stdout F after\n$", s));
}

/* ---- the reader -------------------------------------------------------------------------------
 */

#define T0 "2026-11-27T22:00:00"

Test(logs, partial_records_are_joined_per_stream)
{
	put("main/0.log",
	    T0 ".1Z stdout P hel\n" T0 ".2Z stderr F err line\n" T0 ".3Z stdout P lo \n" T0
	       ".4Z stdout F world\n" T0 ".5Z stdout F next\n" T0 ".6Z stderr P cut at eof\n");
	cr_assert_str_eq(read_log("main", ALL), "err line\nhello world\nnext\ncut at eof");
	/* one time per line: that of its first record */
	struct logs_read_opts o = ALL;
	o.timestamps = true;
	cr_assert_str_eq(read_log("main", o), T0 ".2Z err line\n" T0 ".1Z hello world\n" T0
	                                         ".5Z next\n" T0 ".6Z cut at eof");
}

Test(logs, malformed_lines_are_skipped)
{
	put("main/0.log",
	    "garbage\n" T0 "Z stdout F ok\n" T0 "Z stdout Q no\n\n" T0 "Z stdout F last");
	cr_assert_str_eq(read_log("main", ALL), "ok\nlast\n");
}

Test(logs, tail_counts_lines_across_rotated_files)
{
	write_lines(40, limits(200, 3)); /* 0.log.2: 28-31, .1: 32-35, 0.log: 36-39 */
	struct logs_read_opts o = ALL;
	o.tail = 6;
	cr_assert_str_eq(read_log("main", o), lines(34, 40));
	o.tail = 1;
	cr_assert_str_eq(read_log("main", o), lines(39, 40));
	o.tail = 0;
	cr_assert_str_eq(read_log("main", o), "");
	o.tail = 100;
	cr_assert_str_eq(read_log("main", o), lines(28, 40));
	/* a joined line counts once */
	put("other/0.log",
	    T0 "Z stdout F a\n" T0 "Z stdout P b\n" T0 "Z stdout P c\n" T0 "Z stdout F d\n");
	o.tail = 1;
	cr_assert_str_eq(read_log("other", o), "bcd\n");
}

Test(logs, since_keeps_newer_lines)
{
	put("main/0.log.1", T0 ".000000000Z stdout F old\n");
	put("main/0.log", "2026-11-27T22:00:05.000000000Z stdout F five\n"
	                  "2026-11-27T22:00:10.000000000Z stdout F ten\n"
	                  "2026-11-27T22:00:10.000000001Z stdout F ten and a bit\n");
	struct logs_read_opts o = ALL;
	o.since_ns = 1795816810000000000LL; /* 22:00:10: at or after it */
	cr_assert_str_eq(read_log("main", o), "ten\nten and a bit\n");
	o.since_ns = 1795816801000000000LL;
	cr_assert_str_eq(read_log("main", o), "five\nten\nten and a bit\n");
	/* tail first, then since, as kubelet does */
	o.tail = 3;
	o.since_ns = 1795816806000000000LL;
	cr_assert_str_eq(read_log("main", o), "ten\nten and a bit\n");
}

Test(logs, a_run_is_read_by_its_number)
{
	put("main/0.log", T0 "Z stdout F first run\n");
	put("main/1.log", T0 "Z stdout F second run\n");
	put("main/2.log.1", T0 "Z stdout F third run, rotated\n");
	struct sink s = {0};
	cr_assert_eq(logs_read_run(pod, "main", 0, &ALL, to_sink, &s), 0);
	cr_assert_str_eq(s.p, "first run\n");
	free(s.p);
	s = (struct sink){0};
	cr_assert_eq(logs_read_run(pod, "main", 2, &ALL, to_sink, &s), 0);
	cr_assert_str_eq(s.p, "third run, rotated\n");
	free(s.p);
	/* the latest: the highest number there is */
	cr_assert_str_eq(read_log("main", ALL), "third run, rotated\n");
	/* a run with no file (it never started) and a container that has not
	 * run: nothing, and no error; which run to read is the caller's
	 * choice (logs_cmd.c, from the container's status) */
	s = (struct sink){0};
	cr_assert_eq(logs_read_run(pod, "main", 7, &ALL, to_sink, &s), 0);
	cr_assert_null(s.p, "printed something");
	cr_assert_eq(logs_read_run(pod, "sidecar", 0, &ALL, to_sink, &s), 0);
	cr_assert_null(s.p, "printed something");
	cr_assert_str_eq(read_log("sidecar", ALL), "");
	cr_assert_eq(logs_read_run(pod, "main", -1, &ALL, to_sink, &s), -1);
	cr_assert_eq(errno, EINVAL);
}

Test(logs, timestamps_prefix_each_line)
{
	put("main/0.log", T0 ".120000000Z stdout F a\n2026-11-27T23:30:00+01:30 stderr F b\n");
	struct logs_read_opts o = ALL;
	o.timestamps = true;
	cr_assert_str_eq(read_log("main", o), T0 ".12Z a\n" T0 "Z b\n");
}

Test(logs, limit_bytes_cuts_the_output)
{
	put("main/0.log", T0 "Z stdout F hello\n" T0 "Z stdout F world\n");
	struct logs_read_opts o = ALL;
	o.limit_bytes = 8;
	cr_assert_str_eq(read_log("main", o), "hello\nwo");
}

/* ---- follow ------------------------------------------------------------------------------------
 */

struct polls {
	int calls;
	int run;
};

/* Says "still running" twice, and writes a line the second time: a reader
 * that stops asking too early never sees it. */
static bool running_twice(void *arg, int run)
{
	struct polls *p = arg;
	p->run = run;
	if (++p->calls == 2) {
		int fd = open(path_of("main/0.log"), O_WRONLY | O_APPEND | O_CLOEXEC);
		const char *l = T0 "Z stdout F from the second poll\n";
		cr_assert_eq(write(fd, l, strlen(l)), (ssize_t)strlen(l));
		close(fd);
	}
	return p->calls <= 2;
}

Test(logs, follow_asks_whether_the_run_goes_on)
{
	put("main/0.log", T0 "Z stdout F first\n");
	struct polls p = {0};
	struct logs_read_opts o = ALL;
	o.follow = true;
	o.poll_ms = 1;
	o.still_running = running_twice;
	o.arg = &p;
	cr_assert_str_eq(read_log("main", o), "first\nfrom the second poll\n");
	cr_assert_eq(p.calls, 3);
	cr_assert_eq(p.run, 0);
}

/* A writer in another process, slower than the reader, rotating as it goes
 * (a file holds 4 lines, 3 files kept): the reader follows it through every
 * rotation, and ends when the writer closes the run - no callback asked. */
Test(logs, follow_reads_through_rotation_until_the_writer_closes)
{
	int go[2];
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct logs_limits lim = limits(200, 3);
		struct logs_file *f = logs_open(pod, "main", 0, &lim);
		close(go[1]); /* the file is there: the reader may start */
		for (int i = 0; i < 30; i++) {
			char l[32];
			int k = snprintf(l, sizeof(l), "line %d\n", i);
			logs_write(f, LOGS_STDOUT, l, (size_t)k);
			sleep_ms(10);
		}
		/* the last line cut by EOF: a P record, printed without its newline */
		logs_write(f, LOGS_STDOUT, "end", 3);
		logs_close(f, LOGS_STDOUT);
		logs_close(f, LOGS_STDERR);
		_exit(0);
	}
	close(go[1]);
	char c;
	cr_assert_eq(read(go[0], &c, 1), 0);
	struct logs_read_opts o = ALL;
	o.follow = true;
	o.poll_ms = 2;
	char want[4096];
	snprintf(want, sizeof(want), "%send", lines(0, 30));
	cr_assert_str_eq(read_log("main", o), want);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_eq(access(path_of("main/0.log.3"), F_OK), -1);
}

/* A run's file opened again while a reader's probe holds its shared lock
 * for a moment (another process here, for a few ms): the writer waits it
 * out and holds the lock as soon as the open returns. */
Test(logs, reopened_run_waits_out_a_readers_probe)
{
	write_lines(1, limits(1 << 20, 5));
	int go[2];
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* A probe of 3 ms, and the writer tries for 20: on a loaded machine
		 * a reader woken late would hold it past them. The real-time class
		 * runs it the moment its 3 ms are up (as root; else as it is). */
		struct sched_param rt = {.sched_priority = 1};
		sched_setscheduler(0, SCHED_FIFO, &rt);
		int fd = open(path_of("main/0.log"), O_RDONLY | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) < 0)
			_exit(1);
		close(go[1]); /* held: the writer may open */
		sleep_ms(3);
		flock(fd, LOCK_UN);
		_exit(0);
	}
	close(go[1]);
	char c;
	cr_assert_eq(read(go[0], &c, 1), 0);
	close(go[0]);
	struct logs_file *f = logs_open(pod, "main", 0, NULL);
	cr_assert_not_null(f);
	int fd = open(path_of("main/0.log"), O_RDONLY | O_CLOEXEC);
	cr_assert_eq(flock(fd, LOCK_SH | LOCK_NB), -1, "the writer runs without its lock");
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	logs_close(f, LOGS_STDOUT);
	logs_close(f, LOGS_STDERR);
	cr_assert_eq(flock(fd, LOCK_SH | LOCK_NB), 0);
	close(fd);
}

/* A shared lock held longer than the writer waits at the open: the writer
 * takes its lock at the next record. */
Test(logs, reopened_run_takes_the_lock_at_the_next_record)
{
	write_lines(1, limits(1 << 20, 5));
	int rfd = open(path_of("main/0.log"), O_RDONLY | O_CLOEXEC);
	cr_assert_eq(flock(rfd, LOCK_SH | LOCK_NB), 0);
	struct logs_file *f = logs_open(pod, "main", 0, NULL);
	cr_assert_not_null(f);
	flock(rfd, LOCK_UN);
	cr_assert_eq(logs_write(f, LOGS_STDOUT, "more\n", 5), 0);
	cr_assert_eq(flock(rfd, LOCK_SH | LOCK_NB), -1, "the writer runs without its lock");
	logs_close(f, LOGS_STDOUT);
	logs_close(f, LOGS_STDERR);
	cr_assert_eq(flock(rfd, LOCK_SH | LOCK_NB), 0);
	close(rfd);
	cr_assert_str_eq(read_log("main", ALL), "line 0\nmore\n");
}

Test(logs, writer_holds_a_lock_until_closed)
{
	struct logs_file *f = logs_open(pod, "main", 0, NULL);
	logs_write(f, LOGS_STDOUT, "x\n", 2);
	int fd = open(path_of("main/0.log"), O_RDONLY | O_CLOEXEC);
	cr_assert_eq(flock(fd, LOCK_SH | LOCK_NB), -1, "no lock while the run is written");
	logs_close(f, LOGS_STDOUT);
	cr_assert_eq(flock(fd, LOCK_SH | LOCK_NB), -1, "released with one stream still open");
	logs_close(f, LOGS_STDERR);
	cr_assert_eq(flock(fd, LOCK_SH | LOCK_NB), 0, "still locked after the last close");
	close(fd);
}
