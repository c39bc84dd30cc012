/*
 * logs.c - container logs in the CRI format, one file per run, rotated; and
 * their reader (see logs.h).
 *
 * Syscalls: openat2(2) (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) for every name
 * under the pod's log directory, writev(2) on O_APPEND files (one record per
 * call: a reader never sees half a record, and two streams never interleave
 * inside one), renameat(2) for rotation and to put a file in place, flock(2)
 * for "the run is still being written".
 */
#include "logs.h"

#include "common.h"
#include "spec.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

/* A line being joined from "P" records is let out unjoined past this: a
 * stream that never ends its line must not take all of the reader's memory. */
#define JOIN_MAX (1 << 20)
/* The reader's buffer: a record longer than this is not one a CRI writer
 * makes (ours stop at LOGS_LINE_MAX), and is skipped. */
#define READ_BUF (256 * 1024)

static const char *const stream_names[] = {"stdout", "stderr"};

/* ---- limits ----------------------------------------------------------------- */

void logs_limits_default(struct logs_limits *l)
{
	l->max_size = LOGS_DEFAULT_MAX_SIZE;
	l->max_files = LOGS_DEFAULT_MAX_FILES;
}

int logs_limits_from_env(struct logs_limits *l)
{
	logs_limits_default(l);
	int rc = 0;
	const char *s = getenv("PODRUN_LOG_MAX_SIZE");
	int64_t size;
	if (s && *s) {
		if (spec_parse_quantity(s, &size) < 0 || size <= 0)
			rc = fail_msg(EINVAL,
			              "PODRUN_LOG_MAX_SIZE=%s: a quantity of bytes above 0 (10Mi)",
			              s);
		else
			l->max_size = size;
	}
	s = getenv("PODRUN_LOG_MAX_FILES");
	long n;
	if (s && *s) {
		/* kubelet refuses fewer than 2: rotation needs somewhere to go;
		 * more than the reader lists would leave holes in `podrun logs` */
		if (parse_long(s, 2, LOGS_MAX_FILES_LIMIT, &n) < 0)
			rc =
			    fail_msg(EINVAL,
			             "PODRUN_LOG_MAX_FILES=%s: a whole number of files, at least 2 "
			             "and at most %d",
			             s, LOGS_MAX_FILES_LIMIT);
		else
			l->max_files = (int)n;
	}
	return rc;
}

/* ---- time ---------------------------------------------------------------------- */

static int64_t now_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Seconds and a non-negative fraction, also before 1970. */
static void split_ns(int64_t ns, time_t *s, long *frac)
{
	int64_t sec = ns / 1000000000, rem = ns % 1000000000;
	if (rem < 0) {
		rem += 1000000000;
		sec--;
	}
	*s = (time_t)sec;
	*frac = (long)rem;
}

static void format_date(time_t s, char *out, size_t len)
{
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

void logs_format_time(int64_t ns, char *out, size_t len)
{
	time_t s;
	long frac;
	char date[64];
	split_ns(ns, &s, &frac);
	format_date(s, date, sizeof(date));
	snprintf(out, len, "%s.%09ldZ", date, frac);
}

void logs_format_time_nano(int64_t ns, char *out, size_t len)
{
	time_t s;
	long frac;
	char date[64], f[16] = "";
	split_ns(ns, &s, &frac);
	format_date(s, date, sizeof(date));
	if (frac) {
		snprintf(f, sizeof(f), ".%09ld", frac);
		for (size_t n = strlen(f); f[n - 1] == '0'; n--)
			f[n - 1] = '\0';
	}
	snprintf(out, len, "%s%sZ", date, f);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at p as a number; -1 when one is not a digit. */
static int digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* RFC 3339 at p (end: one past the last byte it may use); *used: its length. */
static int parse_time(const char *p, const char *end, int64_t *ns, size_t *used)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (end - p < 20 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't') ||
	    p[13] != ':' || p[16] != ':')
		return fail_msg(EINVAL, "timestamp is not RFC 3339 (2006-01-02T15:04:05Z)");
	int y = digits(p, 4), mo = digits(p + 5, 2), d = digits(p + 8, 2), h = digits(p + 11, 2),
	    mi = digits(p + 14, 2), s = digits(p + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 59)
		return fail_msg(EINVAL, "timestamp has a field out of range");
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return fail_msg(EINVAL, "timestamp has a field out of range");
	const char *q = p + 19;
	long frac = 0;
	if (q < end && *q == '.') {
		int n = 0;
		for (q++; q < end && *q >= '0' && *q <= '9'; q++, n++) {
			if (n >= 9)
				return fail_msg(EINVAL,
				                "timestamp has more than 9 fractional digits");
			frac = frac * 10 + (*q - '0');
		}
		if (n == 0)
			return fail_msg(EINVAL, "timestamp has a '.' without digits");
		for (; n < 9; n++)
			frac *= 10;
	}
	int64_t off = 0;
	if (q < end && (*q == 'Z' || *q == 'z')) {
		q++;
	} else if (q < end && (*q == '+' || *q == '-') && end - q >= 6 && q[3] == ':') {
		int oh = digits(q + 1, 2), om = digits(q + 4, 2);
		if (oh < 0 || om < 0 || oh > 23 || om > 59)
			return fail_msg(EINVAL, "timestamp has a bad zone offset");
		off = (oh * 3600 + om * 60) * (*q == '-' ? -1 : 1);
		q += 6;
	} else {
		return fail_msg(EINVAL, "timestamp has no zone (Z or +HH:MM)");
	}
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off, t;
	/* int64 nanoseconds reach from 1677 to 2262 */
	if (__builtin_mul_overflow(secs, (int64_t)1000000000, &t) ||
	    __builtin_add_overflow(t, (int64_t)frac, &t))
		return fail_msg(EINVAL, "timestamp out of range");
	*ns = t;
	*used = (size_t)(q - p);
	return 0;
}

/* ---- records --------------------------------------------------------------------- */

int logs_parse_record(const char *line, size_t len, struct logs_record *r)
{
	const char *p = line, *end = line + len;
	size_t used = 0;
	if (parse_time(p, end, &r->ts_ns, &used) < 0)
		return -1;
	p += used;
	if (p == end || *p++ != ' ')
		return fail_msg(EINVAL, "no space after the timestamp");
	if (end - p >= 7 && !memcmp(p, "stdout ", 7))
		r->stream = LOGS_STDOUT;
	else if (end - p >= 7 && !memcmp(p, "stderr ", 7))
		r->stream = LOGS_STDERR;
	else
		return fail_msg(EINVAL, "stream is not stdout or stderr");
	p += 7;
	/* TAG: F or P, then maybe ":more:tags" (CRI keeps room for them) */
	if (p == end || (*p != 'F' && *p != 'P'))
		return fail_msg(EINVAL, "tag is not F or P");
	r->partial = *p++ == 'P';
	if (p < end && *p == ':')
		while (p < end && *p != ' ')
			p++;
	if (p < end && *p != ' ')
		return fail_msg(EINVAL, "tag is not F or P");
	/* "TS stdout F" with nothing after it: an empty line whose space was lost */
	if (p < end)
		p++;
	r->content = p;
	r->len = (size_t)(end - p);
	return 0;
}

/* ---- names under logs/C ------------------------------------------------------------ */

/* A canonical decimal number (no sign, no leading zero) at s, up to INT_MAX. */
static const char *parse_num(const char *s, int *out)
{
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return NULL;
	long v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return NULL;
	}
	*out = (int)v;
	return s;
}

/* "N.log" (rot 0) or "N.log.J" (rot J >= 1): true, else false. */
static bool parse_log_name(const char *name, int *run, int *rot)
{
	const char *p = parse_num(name, run);
	if (!p || strncmp(p, ".log", 4))
		return false;
	p += 4;
	*rot = 0;
	if (!*p)
		return true;
	if (*p++ != '.' || !(p = parse_num(p, rot)) || *p || *rot == 0)
		return false;
	return true;
}

static int open_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
	    .mode = (flags & O_CREAT) ? mode : 0,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = sys_openat2(dirfd, name, &how, sizeof(how));
	/* Before Linux 5.6: our names are single components that are never
	 * "..", so O_NOFOLLOW alone keeps them beneath dirfd. */
	if (fd < 0 && errno == ENOSYS)
		fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	return fd;
}

/* DATA/pods/POD/logs/C as a directory fd; create: make what is missing. */
static int open_ctr_dir(const char *pod_data_dir, const char *ctr, bool create)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/logs", pod_data_dir) >= sizeof(path))
		return fail_msg(ENAMETOOLONG, "%s/logs: path too long", pod_data_dir);
	int ld = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ld < 0 && errno == ENOENT && create && (mkdir(path, 0700) == 0 || errno == EEXIST))
		ld = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ld < 0)
		return fail_errno("open(%s)", path);
	if (create && mkdirat(ld, ctr, 0700) < 0 && errno != EEXIST) {
		int rc = fail_errno("mkdir(%s/%s)", path, ctr);
		close(ld);
		return rc;
	}
	int fd = open_beneath(ld, ctr, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		fail_errno("open(%s/%s)", path, ctr);
	closep(&ld);
	return fd;
}

static bool valid_ctr(const char *ctr)
{
	/* a container name is a DNS-1123 label: never "..", never a '/' */
	return ctr && spec_dns1123_label(ctr);
}

/* ---- the writer ---------------------------------------------------------------------- */

struct wstream {
	size_t len;
	char buf[LOGS_LINE_MAX];
};

struct logs_file {
	char logs_dir[PATH_MAX]; /* DATA/pods/POD (logs/C is opened beneath it) */
	char ctr[64];
	int run;
	int dirfd;             /* logs/C; -1 until it could be opened */
	int fd;                /* N.log; -1 until it could be opened */
	bool locked;           /* fd holds the writer's LOCK_EX (see take_lock) */
	unsigned open_streams; /* bit per stream not closed yet */
	struct logs_limits lim;
	int64_t size; /* of N.log: what rotation compares with the limit */
	uint64_t lost;
	struct wstream s[2]; /* last: logs_open zeroes what comes before it */
};
_Static_assert(offsetof(struct logs_file, s) + 2 * sizeof(struct wstream) ==
                   sizeof(struct logs_file),
               "the line buffers end struct logs_file");

static void log_name(const struct logs_file *f, int rot, char *out, size_t len)
{
	if (rot)
		snprintf(out, len, "%d.log.%d", f->run, rot);
	else
		snprintf(out, len, "%d.log", f->run);
}

/* A fresh file, locked, under a name no reader looks at: it gets its real
 * name by rename(2), so the name N.log is never without a writer's lock
 * while the writer lives (see logs.h). */
static int create_locked(struct logs_file *f, char *tmp, size_t len)
{
	snprintf(tmp, len, ".%d.log.new", f->run);
	unlinkat(f->dirfd, tmp, 0); /* left by a supervisor that was killed */
	int fd = open_beneath(f->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0600);
	if (fd < 0)
		return fail_errno("create %s/logs/%s/%s", f->logs_dir, f->ctr, tmp);
	/* nobody else has this file yet: the lock cannot be refused */
	flock(fd, LOCK_EX | LOCK_NB);
	return fd;
}

/* Tries of take_lock when a run's file is opened again, 1 ms apart. */
#define LOCK_TRIES 20

/* The writer's exclusive lock on f->fd, which logs.h promises from the open
 * until the last byte. Nobody else writes this file, but a reader's probe
 * (writer_alive: LOCK_SH | LOCK_NB, then LOCK_UN) may hold a shared lock at
 * this very instant; left untaken, a follower would find the lock free and
 * stop while the run goes on. The probe lasts microseconds: up to `tries`
 * attempts a millisecond apart (the supervisor must not wait for a reader
 * that was stopped in between); failing that, f->locked stays false and
 * write_record tries once more before each record. */
static void take_lock(struct logs_file *f, int tries)
{
	for (int i = 0; !f->locked && i < tries; i++) {
		if (flock(f->fd, LOCK_EX | LOCK_NB) == 0)
			f->locked = true;
		else if (errno != EWOULDBLOCK && errno != EINTR)
			break; /* ENOLCK: no lock to be had, retrying will not help */
		else if (i + 1 < tries)
			sleep_ms(1);
	}
}

/* Open what is not open yet: after a full disk, retried at each record. */
static int ensure_open(struct logs_file *f)
{
	if (f->fd >= 0)
		return 0;
	if (f->dirfd < 0 && (f->dirfd = open_ctr_dir(f->logs_dir, f->ctr, true)) < 0)
		return -1;
	char name[64], tmp[64];
	log_name(f, 0, name, sizeof(name));
	/* O_NONBLOCK: a FIFO planted here must not hang the supervisor in open */
	int fd = open_beneath(f->dirfd, name, O_WRONLY | O_APPEND | O_NONBLOCK, 0);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		/* the same run opened again: append, under the writer's lock */
		f->fd = fd;
		f->locked = false;
		f->size = st.st_size;
		take_lock(f, LOCK_TRIES);
		return 0;
	}
	bool there = fd >= 0; /* but not a regular file */
	int open_errno = errno;
	closep(&fd);
	if (!there && open_errno != ENOENT && open_errno != ELOOP && open_errno != ENXIO &&
	    open_errno != EISDIR) {
		errno = open_errno;
		return fail_errno("open(%s/logs/%s/%s)", f->logs_dir, f->ctr, name);
	}
	/* Missing, or not a regular file of ours (a symlink, a FIFO): our own
	 * file takes the name. rename(2) replaces a link, never its target. */
	if ((fd = create_locked(f, tmp, sizeof(tmp))) < 0)
		return -1;
	if (renameat(f->dirfd, tmp, f->dirfd, name) < 0) {
		int rc = fail_errno("rename(%s, %s) in %s/logs/%s", tmp, name, f->logs_dir, f->ctr);
		unlinkat(f->dirfd, tmp, 0);
		close(fd);
		return rc;
	}
	f->fd = fd;
	f->locked = true;
	f->size = 0;
	return 0;
}

/* N.log -> N.log.1 -> ... -> N.log.(max_files-1), which is deleted. Only
 * the files before the first one missing move: until max_files are there,
 * a rotation renames as many files as there are, not max_files. */
static int rotate(struct logs_file *f)
{
	char tmp[64], a[64], b[64];
	int nfd = create_locked(f, tmp, sizeof(tmp));
	if (nfd < 0)
		return -1;
	int keep = f->lim.max_files < 2 ? 2 : f->lim.max_files;
	if (keep > LOGS_MAX_FILES_LIMIT)
		keep = LOGS_MAX_FILES_LIMIT;
	int top = 1; /* the first N.log.J missing, else the oldest kept */
	struct stat st;
	for (; top < keep - 1; top++) {
		log_name(f, top, a, sizeof(a));
		if (fstatat(f->dirfd, a, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			break;
	}
	if (top == keep - 1) {
		log_name(f, top, a, sizeof(a));
		unlinkat(f->dirfd, a, 0);
	}
	for (int k = top - 1; k >= 0; k--) {
		log_name(f, k, a, sizeof(a));
		log_name(f, k + 1, b, sizeof(b));
		if (renameat(f->dirfd, a, f->dirfd, b) < 0 && errno != ENOENT)
			break;
	}
	log_name(f, 0, a, sizeof(a));
	if (renameat(f->dirfd, tmp, f->dirfd, a) < 0) {
		int rc = fail_errno("rotate %s/logs/%s/%s", f->logs_dir, f->ctr, a);
		unlinkat(f->dirfd, tmp, 0);
		close(nfd);
		return rc; /* the old file goes on, under its rotated name */
	}
	/* Closed only now, after the new file has the name: a reader that finds
	 * the old lock free already sees the new file at N.log. */
	close(f->fd);
	f->fd = nfd;
	f->locked = true;
	f->size = 0;
	return 0;
}

static int write_record(struct logs_file *f, enum logs_stream st, const char *p, size_t n, char tag)
{
	if (ensure_open(f) < 0) {
		f->lost++;
		return -1;
	}
	if (!f->locked)
		take_lock(f, 1);
	char head[96];
	logs_format_time(now_realtime_ns(), head, sizeof(head));
	size_t hl = strlen(head);
	hl += (size_t)snprintf(head + hl, sizeof(head) - hl, " %s %c ", stream_names[st], tag);
	size_t rec = hl + n + 1;
	if (f->lim.max_size > 0 && f->size > 0 && f->size + (int64_t)rec > f->lim.max_size)
		rotate(f); /* failing that, the file grows past its limit: better than a loss */
	struct iovec iov[3] = {{head, hl}, {(void *)p, n}, {"\n", 1}};
	/* One writev per record on an O_APPEND file: a reader never sees half a line. */
	ssize_t w = writev(f->fd, iov, 3);
	if (w == (ssize_t)rec) {
		f->size += w;
		return 0;
	}
	if (w >= 0)
		errno = ENOSPC; /* a short write: the disk filled up during it */
	int saved = errno;
	/* A torn record would be misread: cut it off again. */
	struct stat sb;
	if (w > 0 && ftruncate(f->fd, f->size) < 0 && fstat(f->fd, &sb) == 0)
		f->size = sb.st_size;
	f->lost++;
	errno = saved;
	return fail_errno("write(%s/logs/%s/%d.log)", f->logs_dir, f->ctr, f->run);
}

/* Write out every complete line; at_eof: the rest too, as a partial record. */
static int flush_stream(struct logs_file *f, enum logs_stream st, bool at_eof)
{
	struct wstream *w = &f->s[st];
	size_t start = 0;
	int rc = 0;
	for (size_t i = 0; i < w->len; i++) {
		if (w->buf[i] == '\n') {
			if (write_record(f, st, w->buf + start, i - start, 'F') < 0)
				rc = -1;
			start = i + 1;
		}
	}
	/* A line longer than the buffer, or the stream ended mid-line: "P" says
	 * the next record continues it (kubectl logs joins them). */
	if (start < w->len && (at_eof || (start == 0 && w->len == sizeof(w->buf)))) {
		if (write_record(f, st, w->buf + start, w->len - start, 'P') < 0)
			rc = -1;
		start = w->len;
	}
	memmove(w->buf, w->buf + start, w->len - start);
	w->len -= start;
	return rc;
}

/* Runs before run - 1 go, as kubelet removes dead containers' logs beyond
 * the previous one; so do temporary files a killed supervisor left. */
static void remove_old_runs(struct logs_file *f)
{
	int dfd = openat(f->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		closep(&dfd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		int run, rot;
		const char *n = e->d_name;
		if (parse_log_name(n, &run, &rot) && run < f->run - 1)
			unlinkat(f->dirfd, n, 0);
		else if (n[0] == '.' && strlen(n) > 9 && !strcmp(n + strlen(n) - 8, ".log.new"))
			unlinkat(f->dirfd, n, 0);
	}
	closedir(d);
}

struct logs_file *logs_open(const char *pod_data_dir, const char *ctr, int run,
                            const struct logs_limits *lim)
{
	if (!pod_data_dir || !valid_ctr(ctr) || run < 0) {
		fail_msg(EINVAL, "logs: container \"%s\", run %d: not a container name or run",
		         ctr ? ctr : "", run);
		return NULL;
	}
	/* Zero all but the two line buffers: they are written before they are
	 * read. calloc would touch all 32 kB of them (it clears a chunk the
	 * heap reuses), and a quiet container's supervisor would hold them:
	 * 20 kB more per container, measured. */
	struct logs_file *f = malloc(sizeof(*f));
	if (!f) {
		fail_msg(ENOMEM, "out of memory");
		return NULL;
	}
	memset(f, 0, offsetof(struct logs_file, s));
	f->s[LOGS_STDOUT].len = f->s[LOGS_STDERR].len = 0;
	if ((size_t)snprintf(f->logs_dir, sizeof(f->logs_dir), "%s", pod_data_dir) >=
	    sizeof(f->logs_dir)) {
		free(f);
		fail_msg(ENAMETOOLONG, "%s: path too long", pod_data_dir);
		return NULL;
	}
	snprintf(f->ctr, sizeof(f->ctr), "%s", ctr);
	f->run = run;
	f->dirfd = f->fd = -1;
	f->open_streams = 3;
	if (lim)
		f->lim = *lim;
	else
		logs_limits_default(&f->lim);
	if (ensure_open(f) == 0)
		remove_old_runs(f);
	return f;
}

int logs_write(struct logs_file *f, enum logs_stream st, const void *buf, size_t len)
{
	if (!f || (st != LOGS_STDOUT && st != LOGS_STDERR) || !(f->open_streams & (1u << st)))
		return 0;
	struct wstream *w = &f->s[st];
	const char *p = buf;
	int rc = 0;
	while (len > 0) {
		size_t k = sizeof(w->buf) - w->len;
		if (k > len)
			k = len;
		memcpy(w->buf + w->len, p, k);
		w->len += k;
		p += k;
		len -= k;
		if (flush_stream(f, st, false) < 0)
			rc = -1;
	}
	return rc;
}

void logs_close(struct logs_file *f, enum logs_stream st)
{
	if (!f || (st != LOGS_STDOUT && st != LOGS_STDERR) || !(f->open_streams & (1u << st)))
		return;
	flush_stream(f, st, true);
	f->open_streams &= ~(1u << st);
	if (f->open_streams)
		return;
	/* The last byte is written: closing releases the lock, and a reader
	 * following this run stops. */
	closep(&f->fd);
	closep(&f->dirfd);
	free(f);
}

uint64_t logs_lost(const struct logs_file *f)
{
	return f ? f->lost : 0;
}

/* ---- the reader ----------------------------------------------------------------------- */

struct rfile {
	int fd;
	ino_t ino;
	char *buf;
	size_t start, end;
	bool skipping; /* inside a record too long for buf: dropped up to its '\n' */
};

struct line {
	int64_t ts;
	char *data;
	size_t len;
	bool nl;
};

struct pending {
	char *buf;
	size_t len, cap;
	int64_t ts;
	bool active;
};

struct reader {
	const struct logs_read_opts *o;
	logs_emit_fn emit;
	void *arg;
	int64_t written;
	bool stop;
	int err;
	struct pending p[2];
	bool ringing; /* --tail: lines go to the ring until the snapshot is read */
	struct line *ring;
	size_t ring_alloc, ring_n, ring_head;
};

static void out(struct reader *rd, const char *p, size_t n)
{
	if (rd->stop)
		return;
	int64_t lim = rd->o->limit_bytes;
	if (lim >= 0 && rd->written + (int64_t)n >= lim) {
		n = (size_t)(lim - rd->written);
		rd->stop = true; /* --limit-bytes: the output ends here, mid-line or not */
	}
	if (n && rd->emit(rd->arg, p, n) < 0) {
		rd->stop = true;
		rd->err = errno ? errno : EPIPE;
	}
	rd->written += (int64_t)n;
}

static void out_line(struct reader *rd, int64_t ts, const char *p, size_t n, bool nl)
{
	if (rd->o->since_ns && ts < rd->o->since_ns)
		return;
	if (rd->o->timestamps) {
		char t[80];
		logs_format_time_nano(ts, t, sizeof(t));
		size_t tl = strlen(t);
		t[tl++] = ' ';
		out(rd, t, tl);
	}
	out(rd, p, n);
	if (nl)
		out(rd, "\n", 1);
}

static void ring_push(struct reader *rd, int64_t ts, const char *p, size_t n, bool nl)
{
	size_t want = (size_t)rd->o->tail;
	if (want == 0)
		return;
	struct line *slot;
	if (rd->ring_n < want) {
		if (rd->ring_n == rd->ring_alloc) {
			size_t a = rd->ring_alloc ? rd->ring_alloc * 2 : 64;
			if (a > want)
				a = want;
			struct line *g = realloc(rd->ring, a * sizeof(*g));
			if (!g)
				return; /* out of memory: the line is not among the tail */
			rd->ring = g;
			rd->ring_alloc = a;
		}
		slot = &rd->ring[rd->ring_n++];
	} else {
		/* full: the oldest line makes room */
		slot = &rd->ring[rd->ring_head];
		free(slot->data);
		rd->ring_head = (rd->ring_head + 1) % rd->ring_alloc;
	}
	slot->data = malloc(n ? n : 1);
	slot->len = slot->data ? n : 0;
	if (slot->data)
		memcpy(slot->data, p, n);
	slot->ts = ts;
	slot->nl = nl;
}

static void ring_emit(struct reader *rd)
{
	for (size_t i = 0; i < rd->ring_n; i++) {
		struct line *l = &rd->ring[(rd->ring_head + i) % rd->ring_alloc];
		out_line(rd, l->ts, l->data, l->len, l->nl);
		free(l->data);
	}
	free(rd->ring);
	rd->ring = NULL;
	rd->ring_n = rd->ring_alloc = rd->ring_head = 0;
	rd->ringing = false;
}

static void line_done(struct reader *rd, int64_t ts, const char *p, size_t n, bool nl)
{
	if (rd->ringing)
		ring_push(rd, ts, p, n, nl);
	else
		out_line(rd, ts, p, n, nl);
}

static void flush_pending(struct reader *rd, enum logs_stream st)
{
	struct pending *pd = &rd->p[st];
	if (pd->active)
		line_done(rd, pd->ts, pd->buf, pd->len, false);
	pd->active = false;
	pd->len = 0;
}

static void on_record(struct reader *rd, const struct logs_record *r)
{
	struct pending *pd = &rd->p[r->stream];
	if (pd->active && pd->len + r->len > JOIN_MAX)
		flush_pending(rd, r->stream);
	if (!r->partial && !pd->active) {
		line_done(rd, r->ts_ns, r->content, r->len, true);
		return;
	}
	if (!pd->active) {
		pd->active = true;
		pd->ts = r->ts_ns;
		pd->len = 0;
	}
	if (pd->len + r->len > pd->cap) {
		size_t cap = pd->cap ? pd->cap : 4096;
		while (cap < pd->len + r->len)
			cap *= 2;
		char *g = realloc(pd->buf, cap);
		if (!g) {
			/* out of memory: what was joined goes out unjoined */
			flush_pending(rd, r->stream);
			line_done(rd, r->ts_ns, r->content, r->len, !r->partial);
			return;
		}
		pd->buf = g;
		pd->cap = cap;
	}
	memcpy(pd->buf + pd->len, r->content, r->len);
	pd->len += r->len;
	if (!r->partial) {
		line_done(rd, pd->ts, pd->buf, pd->len, true);
		pd->active = false;
		pd->len = 0;
	}
}

static void on_line(struct reader *rd, const char *line, size_t n)
{
	struct logs_record r;
	/* a line that is not a record (a torn one, a hand edit) is skipped, as kubelet does */
	if (logs_parse_record(line, n, &r) == 0)
		on_record(rd, &r);
}

/* The next complete line of f: 1; 0 at the end of what is there now. */
static int rf_next(struct rfile *f, const char **line, size_t *n)
{
	for (;;) {
		char *nl = memchr(f->buf + f->start, '\n', f->end - f->start);
		if (nl) {
			*line = f->buf + f->start;
			*n = (size_t)(nl - *line);
			f->start = (size_t)(nl - f->buf) + 1;
			if (f->skipping) {
				f->skipping = false;
				continue;
			}
			return 1;
		}
		if (f->start) {
			memmove(f->buf, f->buf + f->start, f->end - f->start);
			f->end -= f->start;
			f->start = 0;
		}
		if (f->end == READ_BUF) {
			f->skipping = true;
			f->end = 0;
		}
		ssize_t r = read(f->fd, f->buf + f->end, READ_BUF - f->end);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		f->end += (size_t)r;
	}
}

/* Every line f has now; final: the file is complete, so an unterminated
 * last line is a record too. */
static void drain(struct reader *rd, struct rfile *f, bool final)
{
	const char *line;
	size_t n;
	if (f->fd < 0)
		return;
	while (!rd->stop && rf_next(f, &line, &n) == 1)
		on_line(rd, line, n);
	if (final && !rd->stop && f->end > f->start && !f->skipping)
		on_line(rd, f->buf + f->start, f->end - f->start);
	if (final) {
		f->start = f->end = 0;
		f->skipping = false;
	}
}

/* Open a log file for reading: regular files only (O_NONBLOCK: a FIFO
 * planted here must not hang the reader before fstat says what it is). */
static int rf_open(struct rfile *f, int dirfd, const char *name)
{
	int fd = open_beneath(dirfd, name, O_RDONLY | O_NONBLOCK, 0);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	closep(&f->fd);
	f->fd = fd;
	f->ino = st.st_ino;
	f->start = f->end = 0;
	f->skipping = false;
	return 0;
}

/* The rotated files of run, newest (1) first: rots[0..n), with their inodes;
 * past max of them, the newest max (the writer keeps no more than
 * LOGS_MAX_FILES_LIMIT, but an older podrun may have). */
static size_t list_rotated(int dirfd, int run, int *rots, ino_t *inos, size_t max)
{
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	size_t n = 0;
	if (!d) {
		closep(&dfd);
		return 0;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		int r, j;
		struct stat st;
		if (!parse_log_name(e->d_name, &r, &j) || r != run || j == 0 ||
		    (n == max && j > rots[n - 1]) ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		/* insertion sort: there are a handful; when full, the oldest goes */
		size_t i = n < max ? n++ : n - 1;
		for (; i > 0 && rots[i - 1] > j; i--) {
			rots[i] = rots[i - 1];
			inos[i] = inos[i - 1];
		}
		rots[i] = j;
		inos[i] = st.st_ino;
	}
	closedir(d);
	return n;
}

int logs_latest_run(const char *pod_data_dir, const char *ctr)
{
	if (!valid_ctr(ctr))
		return fail_msg(EINVAL, "logs: \"%s\" is not a container name", ctr ? ctr : "");
	int dirfd = open_ctr_dir(pod_data_dir, ctr, false);
	if (dirfd < 0)
		return -1;
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(dirfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		closep(&dfd);
		return fail_errno("opendir(%s/logs/%s)", pod_data_dir, ctr);
	}
	int latest = -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		int r, j;
		if (parse_log_name(e->d_name, &r, &j) && r > latest)
			latest = r;
	}
	closedir(d);
	if (latest < 0)
		return fail_msg(ENOENT, "container %s has no log yet", ctr);
	return latest;
}

/* Is a writer still holding f's lock (see logs.h)? */
static bool writer_alive(int fd)
{
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
		return false;
	}
	return errno == EWOULDBLOCK;
}

/* Follow: cur was rotated away. Go on with the file that came after it. */
static int advance(int dirfd, int run, struct rfile *cur)
{
	int rots[LOGS_MAX_FILES_LIMIT];
	ino_t inos[LOGS_MAX_FILES_LIMIT];
	size_t n = list_rotated(dirfd, run, rots, inos, ARRAY_SIZE(rots));
	int next = n ? rots[n - 1] : 0; /* ours is gone: the oldest there is */
	for (size_t i = 0; i < n; i++)
		if (inos[i] == cur->ino)
			next = rots[i] - 1;
	char name[64];
	if (next)
		snprintf(name, sizeof(name), "%d.log.%d", run, next);
	else
		snprintf(name, sizeof(name), "%d.log", run);
	ino_t was = cur->ino;
	if (rf_open(cur, dirfd, name) < 0 || cur->ino == was) {
		snprintf(name, sizeof(name), "%d.log", run);
		if (rf_open(cur, dirfd, name) < 0 || cur->ino == was)
			return -1;
	}
	return 0;
}

/* Has N.log another inode than cur now (rotated)? */
static bool rotated_away(int dirfd, int run, const struct rfile *cur)
{
	char name[64];
	struct stat st;
	snprintf(name, sizeof(name), "%d.log", run);
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino != cur->ino;
}

static void follow(struct reader *rd, int dirfd, int run, struct rfile *cur)
{
	const struct logs_read_opts *o = rd->o;
	int poll_ms = o->poll_ms > 0 ? o->poll_ms : 100;
	while (!rd->stop) {
		drain(rd, cur, false);
		if (rd->stop)
			break;
		if (rotated_away(dirfd, run, cur)) {
			/* written to before the rename, never after: complete now */
			drain(rd, cur, true);
			if (advance(dirfd, run, cur) < 0)
				break;
			continue;
		}
		if (writer_alive(cur->fd) || (o->still_running && o->still_running(o->arg, run))) {
			sleep_ms(poll_ms);
			continue;
		}
		/* The writer closes an old file only after the new one has the
		 * name: a free lock may mean a rotation we have not seen yet. */
		if (rotated_away(dirfd, run, cur))
			continue;
		drain(rd, cur, true);
		break;
	}
}

int logs_read(const char *pod_data_dir, const char *ctr, const struct logs_read_opts *o,
              logs_emit_fn emit, void *emit_arg)
{
	if (!valid_ctr(ctr))
		return fail_msg(EINVAL, "logs: \"%s\" is not a container name", ctr ? ctr : "");
	int latest = logs_latest_run(pod_data_dir, ctr);
	if (latest < 0)
		return errno == ENOENT ? 0 : -1; /* ENOENT: nothing logged yet */
	return logs_read_run(pod_data_dir, ctr, latest, o, emit, emit_arg);
}

int logs_read_run(const char *pod_data_dir, const char *ctr, int run,
                  const struct logs_read_opts *o, logs_emit_fn emit, void *emit_arg)
{
	if (!valid_ctr(ctr) || run < 0)
		return fail_msg(EINVAL,
		                "logs: container \"%s\", run %d: not a container name or run",
		                ctr ? ctr : "", run);
	int dirfd = open_ctr_dir(pod_data_dir, ctr, false);
	if (dirfd < 0)
		return errno == ENOENT ? 0 : -1; /* a run that never started logs nothing */
	struct reader rd = {.o = o, .emit = emit, .arg = emit_arg, .ringing = o->tail >= 0};
	struct rfile cur = {.fd = -1}, old = {.fd = -1};
	cur.buf = malloc(READ_BUF);
	old.buf = malloc(READ_BUF);
	int rc = 0;
	if (!cur.buf || !old.buf) {
		rc = fail_msg(ENOMEM, "out of memory");
		goto out;
	}
	/* N.log first, then the rotated files: a rotation in between leaves
	 * N.log's old inode among them, and it is read once, as cur. */
	char name[64];
	snprintf(name, sizeof(name), "%d.log", run);
	bool have_cur = rf_open(&cur, dirfd, name) == 0;
	int rots[LOGS_MAX_FILES_LIMIT];
	ino_t inos[LOGS_MAX_FILES_LIMIT];
	size_t n = list_rotated(dirfd, run, rots, inos, ARRAY_SIZE(rots));
	for (size_t i = n; i-- > 0 && !rd.stop;) {
		if (have_cur && inos[i] == cur.ino)
			continue;
		snprintf(name, sizeof(name), "%d.log.%d", run, rots[i]);
		if (rf_open(&old, dirfd, name) == 0)
			drain(&rd, &old, true);
	}
	if (have_cur)
		drain(&rd, &cur, !o->follow);
	if (!o->follow) {
		/* the stream ended mid-line: what there is, without a newline */
		flush_pending(&rd, LOGS_STDOUT);
		flush_pending(&rd, LOGS_STDERR);
	}
	if (rd.ringing)
		ring_emit(&rd);
	if (o->follow && have_cur)
		follow(&rd, dirfd, run, &cur);
	flush_pending(&rd, LOGS_STDOUT);
	flush_pending(&rd, LOGS_STDERR);
	if (rd.err) {
		errno = rd.err;
		rc = fail_errno("logs: writing the output");
	}
out:
	if (rd.ringing) {
		rd.stop = true;
		ring_emit(&rd);
	}
	closep(&cur.fd);
	closep(&old.fd);
	free(cur.buf);
	free(old.buf);
	free(rd.p[0].buf);
	free(rd.p[1].buf);
	close(dirfd);
	return rc;
}
