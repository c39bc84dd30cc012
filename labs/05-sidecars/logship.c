/*
 * logship - the logging sidecar: follow the app's log file in a volume the
 * two containers share, and forward every line, exactly once, to a collector
 * outside the pod (the role Fluent Bit or Filebeat plays beside an app that
 * only knows how to write to a file).
 *
 * Kernel ideas: inotify(7) to sleep until the file changes instead of polling
 * it; a file descriptor keeps naming the same inode after the file is renamed
 * away, which is what makes rotation safe; rename(2) replaces a file
 * atomically, which is what makes the checkpoint safe.
 *
 * Syscalls: inotify_init1, inotify_add_watch, pread, fstat, openat, fsync,
 * rename, socket, connect, send, recv, poll.
 *
 * The wire protocol, collector side in logsink.c:
 *
 *     logship -> collector   "L STREAM EPOCH OFFSET LEN\n" then LEN bytes of whole lines
 *     collector -> logship   "A EPOCH END\n"                   (END = OFFSET + LEN)
 *
 * LEN is at most 64 KiB, or up to 1 MiB for one long line, which goes whole
 * (FRAME_MAX below). EPOCH counts the files (and truncations) this stream
 * has read; OFFSET is where the lines start in that file. The pair names
 * every line uniquely, so the collector can drop a batch it already stored
 * when logship resends it after a crash. logship saves its checkpoint only
 * after the ack: a crash before the save resends (the collector drops the
 * repeat), never loses.
 */
#include "common.h"
#include "netutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* A batch is whole lines, up to BATCH_MAX. A longer line is read on, up to
 * FRAME_MAX, and goes out whole in one frame of its own: the collector stores
 * a frame as it comes and ends it with a newline, so a line sent in pieces
 * would arrive as several lines, and pieces of two streams could interleave
 * in its file. Only a line longer than FRAME_MAX is split (logsink takes
 * frames up to FRAME_MAX; kubelet's CRI logs split at 16 KiB). */
#define BATCH_MAX (64 * 1024)
#define FRAME_MAX (1024 * 1024)
/* The longest stream name: logsink reads it into 64 bytes ("%63s"), and a
 * longer one would be a header it refuses, resent forever. */
#define STREAM_MAX 63
/* logrotate's default renames the file, creates the new one, and only then
 * has the app reopen it (postrotate): until then the app writes on into the
 * renamed file. So the old file is read until it has been quiet this long
 * since the new one appeared (Fluent Bit's Rotate_Wait plays the same part). */
#define ROTATE_QUIET_MS 2000
/* A second rotation inside that window renames the file that replaced ours
 * away too (app.log -> app.log.1 -> app.log.2) before we read a line of it.
 * So each new file is opened as soon as the name is seen to lead to it, and
 * waits, open, for its turn: an fd follows its file through any rename, and
 * even an unlink (rotate 1). Up to this many may wait. */
#define PENDING_MAX 8

/* What the collector has acknowledged: lines of the file with inode ino, up
 * to offset, in epoch epoch. */
struct ckpt {
	uint64_t epoch;
	uint64_t ino;
	uint64_t offset;
};

struct shipper {
	const char *path;      /* the log file, e.g. /var/log/app.log */
	char dir[PATH_MAX];    /* its directory, watched for rotation */
	const char *ckpt_path; /* the checkpoint, in the volume too */
	const char *stream;    /* the name the collector files the lines under */
	struct sockaddr_in to; /* the collector */
	int fd;                /* the file being read: maybe already renamed away */
	int inotify;           /* inotify instance */
	int wd_file;           /* watch on the inode of fd */
	int sock;              /* connection to the collector, -1 when down */
	struct ckpt ck;
	int64_t rotated_ms;    /* the path names a new file: when fd last grew; 0: not rotated */
	uint64_t rotated_size; /* fd's size then */
	/* The files that had the name after fd's, oldest first, open; and the
	 * last one there was no room for (warned about once). */
	int pending[PENDING_MAX];
	uint64_t pending_ino[PENDING_MAX];
	size_t npending;
	uint64_t skipped_ino;
	char buf[FRAME_MAX];
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: logship --file PATH --to HOST:PORT [OPTION]...\n"
	        "Follow a log file and forward its lines to a collector, exactly once.\n"
	        "\n"
	        "  --file PATH          the log file to follow (its directory must exist)\n"
	        "  --to HOST:PORT       the collector (logsink) to send lines to\n"
	        "  --checkpoint PATH    where to keep the offset (default DIR/.logship-NAME.ckpt)\n"
	        "  --stream NAME        the name lines are filed under, at most 63 characters\n"
	        "                       (default: the file's name)\n"
	        "  -h, --help           show this help\n");
}

/* ---- the checkpoint ---------------------------------------------------------- */

/* 0 and *ck filled, 1 when there is no checkpoint yet, -1 on error. */
static int ckpt_load(const char *path, struct ckpt *ck)
{
	char text[128];
	if (read_file(path, text, sizeof(text)) < 0)
		return errno == ENOENT ? 1 : -1;
	if (sscanf(text, "epoch=%" SCNu64 " ino=%" SCNu64 " offset=%" SCNu64, &ck->epoch, &ck->ino,
	           &ck->offset) != 3)
		return fail_msg(EINVAL, "%s: not a logship checkpoint: '%s'", path, text);
	return 0;
}

/* Replace the checkpoint so that, whatever moment the process or the machine
 * dies, the file holds either the old state or the new one, never half. */
static int ckpt_save(const char *path, const struct ckpt *ck)
{
	/* BEGIN EXERCISE: logship-checkpoint (moderate, 30 min): atomic save: tmp, fsync, rename
	 * Hint: README.md "The checkpoint"; man 2 rename; man 2 fsync */
	/* STUB: (void)path; (void)ck; return exercise_todo(5, "logship-checkpoint"); */
	char tmp[PATH_MAX], dir[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return fail_msg(ENAMETOOLONG, "checkpoint path too long: %s", path);

	/* A fresh file, never the live one: a crash while writing it leaves
	 * the old checkpoint intact. */
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail_errno("open(%s)", tmp);
	if (dprintf(fd, "epoch=%" PRIu64 " ino=%" PRIu64 " offset=%" PRIu64 "\n", ck->epoch,
	            ck->ino, ck->offset) < 0)
		return fail_errno("write(%s)", tmp);
	/* Without the fsync a machine crash may leave the rename on disk but
	 * not the data it points to: an empty checkpoint. */
	if (fsync(fd) < 0)
		return fail_errno("fsync(%s)", tmp);
	if (rename(tmp, path) < 0)
		return fail_errno("rename(%s, %s)", tmp, path);

	/* The rename itself is a change to the directory: make it durable. */
	snprintf(dir, sizeof(dir), "%s", path);
	_cleanup_close_ int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail_errno("open(%s)", dir);
	if (fsync(dfd) < 0)
		return fail_errno("fsync(%s)", dir);
	return 0;
	/* END EXERCISE */
}

static void save_or_die(struct shipper *s)
{
	if (ckpt_save(s->ckpt_path, &s->ck) < 0)
		die("saving checkpoint: %s", last_error());
}

/* ---- the collector ------------------------------------------------------------ */

/* Block until the collector is reachable: it may be restarting, and the
 * lines wait safely in the file meanwhile. */
static void collector_connect(struct shipper *s)
{
	char where[NU_ADDRSTRLEN];
	bool warned = false;
	while (s->sock < 0) {
		s->sock = nu_connect(&s->to, 1000);
		if (s->sock >= 0)
			break;
		if (!warned)
			warn("collector %s: %s; retrying", nu_addr_str(&s->to, where),
			     last_error());
		warned = true;
		sleep_ms(100);
	}
	/* A collector that accepts but never answers must not hang us forever. */
	if (nu_set_timeout(s->sock, 5000) < 0)
		die_last();
	if (warned)
		warn("collector %s: connected", nu_addr_str(&s->to, where));
}

/* Read the ack line "A EPOCH END\n" byte by byte: it is short, and reading
 * past it would swallow nothing (the collector sends nothing else). */
static int read_ack(int sock, uint64_t *epoch, uint64_t *end)
{
	char line[64];
	size_t n = 0;
	while (n < sizeof(line) - 1) {
		ssize_t r = recv(sock, line + n, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail_errno("recv(ack)");
		if (r == 0)
			return fail_msg(ECONNRESET, "collector closed the connection");
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	if (sscanf(line, "A %" SCNu64 " %" SCNu64, epoch, end) != 2)
		return fail_msg(EPROTO, "bad ack from collector: '%s'", line);
	return 0;
}

/* Send one batch and wait for its ack, reconnecting as often as needed. */
static void ship_batch(struct shipper *s, const char *data, size_t len)
{
	/* Room for the longest: "L " STREAM_MAX, two 20-digit numbers, a length. */
	char hdr[STREAM_MAX + 64];
	int hl = snprintf(hdr, sizeof(hdr), "L %s %" PRIu64 " %" PRIu64 " %zu\n", s->stream,
	                  s->ck.epoch, s->ck.offset, len);
	if (hl < 0 || (size_t)hl >= sizeof(hdr))
		die("stream %s: batch header too long", s->stream);
	uint64_t want_end = s->ck.offset + len;
	for (;;) {
		collector_connect(s);
		uint64_t epoch, end;
		if (nu_send_all(s->sock, hdr, (size_t)hl) == 0 &&
		    nu_send_all(s->sock, data, len) == 0 && read_ack(s->sock, &epoch, &end) == 0) {
			if (epoch == s->ck.epoch && end == want_end)
				break;
			fail_msg(EPROTO,
			         "collector acked %" PRIu64 "/%" PRIu64 ", expected %" PRIu64
			         "/%" PRIu64,
			         epoch, end, s->ck.epoch, want_end);
		}
		warn("collector: %s; resending", last_error());
		closep(&s->sock);
		sleep_ms(100);
	}
	/* Only now are these lines safe outside the pod. */
	s->ck.offset = want_end;
	save_or_die(s);
}

/* ---- the file ------------------------------------------------------------------ */

/* Ship every complete line between the checkpoint and the end of the file.
 * final: the file was rotated away and will not grow, so a last line without
 * its newline is shipped too. */
static void ship_available(struct shipper *s, bool final)
{
	for (;;) {
		/* BATCH_MAX at a time; a chunk without a newline is the start of
		 * a long line: read on, to its end, in one buffer. */
		size_t got = 0, want = BATCH_MAX, len;
		for (;;) {
			ssize_t n =
			    pread(s->fd, s->buf + got, want - got, (off_t)(s->ck.offset + got));
			if (n < 0)
				die_errno("pread(%s)", s->path);
			char *nl = memrchr(s->buf + got, '\n', (size_t)n);
			got += (size_t)n;
			if (nl) {
				len = (size_t)(nl - s->buf) + 1;
				break;
			}
			if (got < want) {
				/* the end of the file, mid-line: the app is still
				 * writing it, unless the file is done */
				len = final ? got : 0;
				break;
			}
			if (want == FRAME_MAX) {
				len = got;
				warn("%s: a line longer than %d bytes at offset %" PRIu64
				     ": it arrives as several lines",
				     s->path, FRAME_MAX, s->ck.offset);
				break;
			}
			want = FRAME_MAX;
		}
		if (len == 0)
			return;
		ship_batch(s, s->buf, len);
	}
}

/* Watch the inode we hold, not the name: /proc/self/fd/N resolves to the very
 * file behind fd, so there is no window where the name points elsewhere. */
static void watch_fd(struct shipper *s)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->fd);
	if (s->wd_file >= 0)
		inotify_rm_watch(s->inotify, s->wd_file); /* EINVAL when the inode is gone */
	s->wd_file = inotify_add_watch(s->inotify, proc, IN_MODIFY);
	if (s->wd_file < 0)
		die_errno("inotify_add_watch(%s)", s->path);
}

/* Start reading the file now at s->path from its beginning: a new epoch. */
static void switch_to(struct shipper *s, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("fstat(%s)", s->path);
	closep(&s->fd);
	s->fd = fd;
	s->ck = (struct ckpt){.epoch = s->ck.epoch + 1, .ino = (uint64_t)st.st_ino, .offset = 0};
	save_or_die(s);
	watch_fd(s);
}

/* The inode of s->path now, 0 when there is no file by that name. */
static uint64_t path_ino(const struct shipper *s)
{
	struct stat st;
	if (stat(s->path, &st) < 0) {
		if (errno != ENOENT)
			die_errno("stat(%s)", s->path);
		return 0;
	}
	return (uint64_t)st.st_ino;
}

static bool is_pending(const struct shipper *s, uint64_t ino)
{
	for (size_t i = 0; i < s->npending; i++)
		if (s->pending_ino[i] == ino)
			return true;
	return false;
}

/* The path leads to inode now (0: to nothing). If that is a file we have not
 * seen, open it at once, while the name still leads to it, and queue it. */
static void note_new_file(struct shipper *s, uint64_t now)
{
	if (now == 0 || now == s->ck.ino || is_pending(s, now))
		return;
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		die_errno("open(%s)", s->path);
	}
	/* The name may have moved on since the stat: the file opened is the
	 * one that counts. */
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("fstat(%s)", s->path);
	uint64_t ino = (uint64_t)st.st_ino;
	if (ino == s->ck.ino || is_pending(s, ino)) {
		close(fd);
		return;
	}
	if (s->npending == PENDING_MAX) {
		if (ino != s->skipped_ino)
			warn("%s: rotated %d times while the file of inode %" PRIu64
			     " was still being read: skipping the file of inode %" PRIu64
			     "; its lines are lost",
			     s->path, PENDING_MAX + 1, s->ck.ino, ino);
		s->skipped_ino = ino;
		close(fd);
		return;
	}
	s->pending[s->npending] = fd;
	s->pending_ino[s->npending++] = ino;
}

/* The oldest waiting file, out of the queue. */
static int next_pending(struct shipper *s)
{
	int fd = s->pending[0];
	s->npending--;
	memmove(s->pending, s->pending + 1, s->npending * sizeof(s->pending[0]));
	memmove(s->pending_ino, s->pending_ino + 1, s->npending * sizeof(s->pending_ino[0]));
	return fd;
}

/* One pass over the file's state; every inotify event only wakes us up for
 * this, so a lost or merged event (IN_Q_OVERFLOW) cannot lose a line. */
static void catch_up(struct shipper *s)
{
	if (s->fd < 0) {
		/* No file yet: the app has not written its first line. */
		int fd = open(s->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT)
				die_errno("open(%s)", s->path);
			return;
		}
		switch_to(s, fd);
	}
	for (;;) {
		struct stat st;
		if (fstat(s->fd, &st) < 0)
			die_errno("fstat(%s)", s->path);
		if ((uint64_t)st.st_size < s->ck.offset) {
			/* Truncated (copytruncate): the file starts over, in place. */
			s->ck =
			    (struct ckpt){.epoch = s->ck.epoch + 1, .ino = s->ck.ino, .offset = 0};
			save_or_die(s);
		}
		uint64_t now = path_ino(s);
		note_new_file(s, now);
		ship_available(s, false);
		if (now == s->ck.ino || s->npending == 0) {
			/* Not rotated; or renamed away and no new file yet: keep
			 * the old one open. */
			s->rotated_ms = 0;
			return;
		}
		/* Rotated: a new file has the name, but the app may still write
		 * to the old one through its own fd, until it reopens. Read the
		 * old one through ours until it has been quiet for a while ... */
		if (!s->rotated_ms || (uint64_t)st.st_size != s->rotated_size) {
			s->rotated_ms = now_ms();
			s->rotated_size = (uint64_t)st.st_size;
		}
		if (now_ms() - s->rotated_ms < ROTATE_QUIET_MS)
			return;
		/* ... then to its very end, a last line without its newline too,
		 * and switch to the file that came next, wherever it is now. */
		ship_available(s, true);
		s->rotated_ms = 0;
		switch_to(s, next_pending(s));
	}
}

/* After a restart the file our checkpoint names may have been rotated while
 * we were down: look for its inode among the files beside it (app.log.1). */
static int open_by_inode(const char *dir, uint64_t ino)
{
	DIR *d = opendir(dir);
	if (!d)
		die_errno("opendir(%s)", dir);
	int fd = -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_ino != ino || e->d_type != DT_REG)
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
		break;
	}
	closedir(d);
	return fd;
}

static void resume(struct shipper *s)
{
	s->ck = (struct ckpt){0};
	int r = ckpt_load(s->ckpt_path, &s->ck);
	if (r < 0)
		die_last();
	if (r == 1 || s->ck.ino == 0)
		return; /* nothing read yet: catch_up() opens the file as the next epoch */

	uint64_t now = path_ino(s);
	s->fd = now == s->ck.ino ? open(s->path, O_RDONLY | O_CLOEXEC)
	                         : open_by_inode(s->dir, s->ck.ino);
	if (s->fd >= 0) {
		watch_fd(s);
		return;
	}
	if (now != s->ck.ino)
		warn("%s: the file of the checkpoint (inode %" PRIu64
		     ") is gone; lines may be lost",
		     s->path, s->ck.ino);
	else
		die_errno("open(%s)", s->path);
}

/* A container's PID 1 gets no default action for SIGTERM from the kernel:
 * without a handler, stopping the pod would wait out its whole grace period. */
static void on_sigterm(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"checkpoint", required_argument, NULL, 'c'},
	    {"stream", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	static struct shipper sh = {.fd = -1, .wd_file = -1, .sock = -1};
	struct shipper *s = &sh;
	const char *to = NULL;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			s->path = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'c':
			s->ckpt_path = optarg;
			break;
		case 's':
			s->stream = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!s->path || !to)
		die_usage("--file and --to are required");
	if (nu_parse_hostport(to, &s->to) < 0)
		die_usage("%s", last_error());

	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", s->path);
	snprintf(s->dir, sizeof(s->dir), "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", s->path);
	const char *base = basename(tmp);
	if (!*base || strcmp(base, "/") == 0)
		die_usage("--file must name a file: '%s'", s->path);
	static char ckpt_default[PATH_MAX], stream_default[NAME_MAX + 1];
	if (!s->ckpt_path) {
		if (snprintf(ckpt_default, sizeof(ckpt_default), "%s/.logship-%s.ckpt", s->dir,
		             base) >= (int)sizeof(ckpt_default))
			die_usage("--file path too long");
		s->ckpt_path = ckpt_default;
	}
	if (!s->stream) {
		snprintf(stream_default, sizeof(stream_default), "%s", base);
		s->stream = stream_default;
	}
	/* logsink reads the name as one word of at most STREAM_MAX characters:
	 * any other makes a header it refuses, and the batch is resent forever. */
	const char *from =
	    s->stream == stream_default ? "the file's name: give a --stream" : "--stream";
	if (!*s->stream || strpbrk(s->stream, " \t\n\v\f\r"))
		die_usage("stream name '%s' (%s) must be one word, without spaces", s->stream,
		          from);
	if (strlen(s->stream) > STREAM_MAX)
		die_usage("stream name '%s' (%s) is longer than %d characters", s->stream, from,
		          STREAM_MAX);

	signal(SIGTERM, on_sigterm);
	s->inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (s->inotify < 0)
		die_errno("inotify_init1");
	/* Rotation is a change to the directory: a rename away (IN_MOVED_FROM)
	 * and a new file (IN_CREATE). A missing or unreadable directory fails here. */
	if (inotify_add_watch(s->inotify, s->dir,
	                      IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ONLYDIR) < 0)
		die_errno("inotify_add_watch(%s)", s->dir);

	resume(s);
	save_or_die(s); /* fails now, not after the first batch, if we cannot write it */

	for (;;) {
		catch_up(s);
		struct pollfd p = {.fd = s->inotify, .events = POLLIN};
		/* The timeout is only a safety net (a file replaced by a
		 * bind mount, say); inotify wakes us for every real change,
		 * but not for a rotated file's quiet time running out. */
		int timeout = 2000;
		if (s->rotated_ms) {
			int64_t left = s->rotated_ms + ROTATE_QUIET_MS - now_ms();
			timeout = left < 0 ? 0 : (int)left + 1;
		}
		if (poll(&p, 1, timeout) < 0 && errno != EINTR)
			die_errno("poll");
		char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		while (read(s->inotify, ev, sizeof(ev)) > 0)
			; /* the events only say "look again" */
	}
}
