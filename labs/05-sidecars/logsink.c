/*
 * logsink - a small log collector, the role Fluentd or Elasticsearch plays
 * outside the pod: accept logship connections, append their lines to one
 * file, acknowledge each batch.
 *
 * It drops what it already stored: each batch names its place in the
 * stream (EPOCH, OFFSET, see logship.c), and the sink remembers, per stream,
 * how far it got. A shipper that crashed after our ack but before saving its
 * checkpoint resends lines we have; they are acked again and not stored twice.
 *
 * The positions are kept in OUT.state, with OUT's length when they were
 * saved: saving OUT.state is the commit. A sink killed after appending a
 * batch but before saving finds OUT longer than committed when it restarts,
 * and cuts the tail off; that batch was never acked, so the shipper sends it
 * again, and it is stored once.
 *
 * Syscalls: socket, bind, listen, accept4, epoll_create1, epoll_ctl,
 * epoll_wait, read, write, fdatasync, fsync, rename, fstat, ftruncate.
 */
#include "common.h"
#include "netutil.h"

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* A client's buffer holds a header and a frame: a batch of whole lines, or
 * one line of up to FRAME_MAX, which logship sends whole (logship.c). It is
 * allocated whole: malloc maps a buffer this big, and the kernel gives it
 * pages only where a frame that long was written, so a client of short
 * lines holds what a 64 KiB batch needs. */
#define FRAME_MAX   (1024 * 1024)
#define HDR_MAX     256
#define MAX_STREAMS 64

struct stream {
	char name[64];
	uint64_t epoch; /* the newest epoch stored */
	uint64_t end;   /* and how far in it */
};

struct client {
	int fd;
	size_t len;
	char *buf; /* HDR_MAX + FRAME_MAX */
};

static struct stream streams[MAX_STREAMS];
static size_t n_streams;
static int out_fd = -1;
static const char *out_path;
static uint64_t out_len; /* OUT's length at the last commit */
static char state_path[PATH_MAX];

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: logsink --listen HOST:PORT --out FILE\n"
	        "Collect lines from logship and append them to FILE, each line once.\n"
	        "\n"
	        "  --listen HOST:PORT   address to accept logship connections on\n"
	        "  --out FILE           file the lines are appended to (FILE.state: positions)\n"
	        "  -h, --help           show this help\n");
}

static uint64_t out_size(void)
{
	struct stat st;
	if (fstat(out_fd, &st) < 0)
		die_errno("fstat(out)");
	return (uint64_t)st.st_size;
}

/* Written whole and renamed into place, like logship's checkpoint. OUT's
 * data is made durable first: after a power cut, a state that names bytes
 * the disk never got would make the sink skip them as repeats. */
static void save_state(void)
{
	if (fdatasync(out_fd) < 0)
		die_errno("fdatasync(out)");
	out_len = out_size();
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		die_errno("fopen(%s)", tmp);
	fprintf(f, "%" PRIu64 "\n", out_len);
	for (size_t i = 0; i < n_streams; i++)
		fprintf(f, "%s %" PRIu64 " %" PRIu64 "\n", streams[i].name, streams[i].epoch,
		        streams[i].end);
	/* fflush is where stdio's write(2) happens, and where it fails. */
	if (fflush(f) != 0)
		die_errno("write(%s)", tmp);
	if (fsync(fileno(f)) < 0)
		die_errno("fsync(%s)", tmp);
	if (fclose(f) != 0)
		die_errno("close(%s)", tmp);
	if (rename(tmp, state_path) < 0)
		die_errno("rename(%s, %s)", tmp, state_path);
	/* The rename is the commit, and a change to the directory: until that
	 * is on disk, a power cut could bring back the old state, and cut off
	 * a batch already acknowledged. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", state_path);
	_cleanup_close_ int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die_errno("open(%s)", dir);
	if (fsync(dfd) < 0)
		die_errno("fsync(%s)", dir);
}

/* Load the last commit and roll OUT back to it. Without a state file this is
 * the first start: what OUT holds already is kept, and committed at once, so
 * that a crash in the very first batch is rolled back too. */
static void load_state(const char *out)
{
	FILE *f = fopen(state_path, "re");
	if (!f) {
		if (errno != ENOENT)
			die_errno("fopen(%s)", state_path);
		save_state();
		return;
	}
	if (fscanf(f, "%" SCNu64, &out_len) != 1)
		die("%s: no length of %s on its first line", state_path, out);
	struct stream st;
	while (n_streams < MAX_STREAMS &&
	       fscanf(f, "%63s %" SCNu64 " %" SCNu64, st.name, &st.epoch, &st.end) == 3)
		streams[n_streams++] = st;
	fclose(f);

	uint64_t len = out_size();
	if (len > out_len) {
		warn("%s: %" PRIu64 " bytes stored after the last commit, never acknowledged: "
		     "dropping them (the shipper sends them again)",
		     out, len - out_len);
		if (ftruncate(out_fd, (off_t)out_len) < 0)
			die_errno("ftruncate(%s)", out);
	} else if (len < out_len) {
		/* Someone else cut OUT (a reader emptying it): nothing to roll back. */
		warn("%s: shorter than committed (%" PRIu64 " < %" PRIu64 " bytes)", out, len,
		     out_len);
	}
}

static struct stream *find_stream(const char *name)
{
	for (size_t i = 0; i < n_streams; i++)
		if (strcmp(streams[i].name, name) == 0)
			return &streams[i];
	if (n_streams == MAX_STREAMS)
		return NULL;
	struct stream *st = &streams[n_streams++];
	snprintf(st->name, sizeof(st->name), "%s", name);
	st->epoch = st->end = 0;
	return st;
}

/* Store one batch (minus what we already have) and ack it. -1: drop the client. */
static int store_batch(struct client *c, const char *name, uint64_t epoch, uint64_t off,
                       const char *data, size_t len)
{
	struct stream *st = find_stream(name);
	if (!st)
		return fail_msg(ENOSPC, "too many streams");
	size_t skip = 0;
	if (epoch < st->epoch)
		skip = len; /* a file we finished long ago */
	else if (epoch == st->epoch && off < st->end)
		skip = st->end - off < len ? (size_t)(st->end - off) : len;
	else if (epoch == st->epoch && off > st->end)
		warn("stream %s: gap at epoch %" PRIu64 ": %" PRIu64 " bytes missing", name, epoch,
		     off - st->end);

	if (skip < len) {
		/* A write to a file may be short (a full disk, RLIMIT_FSIZE): the
		 * next one says why. Dying here leaves a tail past the commit,
		 * which the next start cuts off. */
		if (write_whole(out_fd, data + skip, len - skip, out_path) < 0 ||
		    (data[len - 1] != '\n' && write_whole(out_fd, "\n", 1, out_path) < 0))
			die_last();
		st->epoch = epoch;
		st->end = off + len;
		save_state();
	}
	char ack[64];
	int n = snprintf(ack, sizeof(ack), "A %" PRIu64 " %" PRIu64 "\n", epoch, off + len);
	return nu_send_all(c->fd, ack, (size_t)n);
}

/* Handle every complete frame in the client's buffer. -1: drop the client. */
static int process(struct client *c)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len < HDR_MAX ? c->len : HDR_MAX);
		if (!nl) {
			if (c->len >= HDR_MAX)
				return fail_msg(EPROTO, "header too long");
			return 0;
		}
		char name[64];
		uint64_t epoch, off;
		size_t len;
		*nl = '\0';
		if (sscanf(c->buf, "L %63s %" SCNu64 " %" SCNu64 " %zu", name, &epoch, &off,
		           &len) != 4 ||
		    len == 0 || len > FRAME_MAX) {
			return fail_msg(EPROTO, "bad header '%.60s'", c->buf);
		}
		size_t hl = (size_t)(nl - c->buf) + 1;
		if (c->len < hl + len) {
			*nl = '\n'; /* not all here yet: parse it again next time */
			return 0;
		}
		if (store_batch(c, name, epoch, off, c->buf + hl, len) < 0)
			return -1;
		c->len -= hl + len;
		memmove(c->buf, c->buf + hl + len, c->len);
	}
}

static void drop(int ep, struct client *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->buf);
	free(c);
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
	    {"listen", required_argument, NULL, 'l'},
	    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *listen_at = NULL, *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_at = optarg;
			break;
		case 'o':
			out = optarg;
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
	if (!listen_at || !out)
		die_usage("--listen and --out are required");
	struct sockaddr_in addr;
	if (nu_parse_hostport(listen_at, &addr) < 0)
		die_usage("%s", last_error());

	/* O_APPEND: every write lands at the end, even with a reader truncating. */
	out_path = out;
	out_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out_fd < 0)
		die_errno("open(%s)", out);
	snprintf(state_path, sizeof(state_path), "%s.state", out);
	load_state(out);

	signal(SIGTERM, on_sigterm);
	int lfd = nu_listen(&addr, SOCK_NONBLOCK);
	if (lfd < 0)
		die_last();
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die_errno("epoll_create1");
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die_errno("epoll_ctl(listen)");
	signal(SIGPIPE, SIG_IGN);
	char where[NU_ADDRSTRLEN];
	printf("logsink: listening on %s, storing in %s\n", nu_addr_str(&addr, where), out);
	fflush(stdout);

	for (;;) {
		struct epoll_event evs[32];
		int n = epoll_wait(ep, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct client *cl = evs[i].data.ptr;
			if (!cl) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (fd < 0) {
					/* Out of fds: the listener stays readable, pause
					 * rather than spin (level-triggered epoll). */
					if (errno == EMFILE || errno == ENFILE) {
						warn_errno("accept4");
						sleep_ms(100);
					}
					continue; /* EAGAIN, or a client that already left */
				}
				cl = calloc(1, sizeof(*cl));
				if (!cl)
					die_errno("calloc");
				cl->buf = malloc(HDR_MAX + FRAME_MAX);
				if (!cl->buf)
					die_errno("malloc");
				cl->fd = fd;
				struct epoll_event cev = {.events = EPOLLIN, .data.ptr = cl};
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0)
					die_errno("epoll_ctl(client)");
				continue;
			}
			ssize_t r = read(cl->fd, cl->buf + cl->len, HDR_MAX + FRAME_MAX - cl->len);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				drop(ep, cl); /* the shipper went away; it will reconnect */
				continue;
			}
			cl->len += (size_t)r;
			if (process(cl) < 0) {
				warn("client: %s; closing it", last_error());
				drop(ep, cl);
			}
		}
	}
}
