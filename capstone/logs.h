/*
 * logs.h - container logs as kubelet keeps them: one file per run of a
 * container, in the CRI log format, rotated at a size; and the reader behind
 * `podrun logs` (the previous run, follow, tail, since, timestamps).
 *
 *   DATA/pods/POD/logs/C/N.log     run N of container C (N = its restart
 *                                  count, 0 for the first run), as kubelet's
 *                                  /var/log/pods/NS_POD_UID/C/N.log
 *   DATA/pods/POD/logs/C/N.log.1   rotated out of N.log; N.log.2 is older ...
 *
 * Every line of a file is one record, "TIMESTAMP STREAM TAG CONTENT":
 *
 *   2026-11-27T22:00:00.123456789Z stdout F a whole line
 *   2026-11-27T22:00:00.123456789Z stderr P a piece of a line; the next
 *                                           stderr record continues it
 *
 * Knowing when a run has ended: the writer holds an exclusive flock(2) on its
 * N.log from before the file has that name until after its last byte. A
 * reader that can take the lock knows nothing more will be written, and a
 * supervisor killed with SIGKILL releases it too (the kernel drops the lock
 * with the last fd). A writer that finds N.log already there (the run
 * opened again) takes the lock on it, waiting out a reader's momentary
 * shared lock. The reader asks its caller as well (still_running), for
 * what only the supervisor's state knows.
 */
#ifndef PODLAB_LOGS_H
#define PODLAB_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A line longer than this is written as "P" records of this size. */
#define LOGS_LINE_MAX 16384
/* kubelet's containerLogMaxSize (10Mi) and containerLogMaxFiles (5). */
#define LOGS_DEFAULT_MAX_SIZE  (10LL << 20)
#define LOGS_DEFAULT_MAX_FILES 5
/* The most files (N.log and its rotations) PODRUN_LOG_MAX_FILES may keep:
 * what the reader lists (kubelet has no upper bound; a rotation costs a
 * rename per file kept, so hundreds would be no better). */
#define LOGS_MAX_FILES_LIMIT 64

enum logs_stream { LOGS_STDOUT, LOGS_STDERR };

/* ---- limits ----------------------------------------------------------------- */

struct logs_limits {
	int64_t max_size; /* bytes: N.log is rotated before it would grow past this */
	int max_files;    /* N.log and its rotations together, 2..LOGS_MAX_FILES_LIMIT */
};

/* kubelet's defaults. */
void logs_limits_default(struct logs_limits *l);
/* The defaults, overridden by PODRUN_LOG_MAX_SIZE (a quantity: 10Mi, 1M,
 * 4096) and PODRUN_LOG_MAX_FILES (an integer from 2 to LOGS_MAX_FILES_LIMIT).
 * A bad value: -1 with EINVAL and a message naming the variable; that limit
 * keeps its default. */
int logs_limits_from_env(struct logs_limits *l);

/* ---- the writer (the supervisor) ------------------------------------------------- */

/* One run's log file, written by the run's stdout and stderr pipes. */
struct logs_file;

/* Open DATA/pods/POD/logs/C/N.log for run `run` of container ctr (pod_data_dir
 * is DATA/pods/POD), creating logs/C (0700) and the file (0600), beneath the
 * pod's log directory without following a symlink: a link planted at the
 * file's path is replaced, never written through. Logs of runs before
 * run - 1 are deleted (kubelet keeps the current and the previous one).
 *
 * A file that cannot be opened now (a full disk) is not an error: its
 * records are lost and the open is retried at the next record. NULL (EINVAL,
 * ENOMEM) only for a bad name or run; logs_write and logs_close accept NULL
 * and do nothing, so the pipes can be drained all the same. */
struct logs_file *logs_open(const char *pod_data_dir, const char *ctr, int run,
                            const struct logs_limits *lim);

/* Bytes read from stream st's pipe: every complete line becomes an "F"
 * record, a line longer than LOGS_LINE_MAX "P" records; the rest waits for
 * more. One writev(2) per record on an O_APPEND file. Returns 0, or -1 when a
 * record was lost (last_error says why: a full disk...) - the file stays
 * usable and later records are written again when they can be: the caller
 * may report it, never stop for it. */
int logs_write(struct logs_file *f, enum logs_stream st, const void *buf, size_t len);

/* Stream st reached EOF: what is left of its last line becomes a "P" record.
 * Call it once per stream, for both streams, also for one whose pipe could
 * not be watched; after the second the file is closed (releasing the lock)
 * and f is freed. */
void logs_close(struct logs_file *f, enum logs_stream st);

/* How many records were lost so far (full disk, I/O error). */
uint64_t logs_lost(const struct logs_file *f);

/* ---- records ------------------------------------------------------------------- */

struct logs_record {
	int64_t ts_ns; /* the timestamp, nanoseconds since the epoch (UTC) */
	enum logs_stream stream;
	bool partial;        /* tag P: the next record of the stream continues the line */
	const char *content; /* points into the parsed line; not NUL-terminated */
	size_t len;
};

/* Parse one record: line holds len bytes without the '\n' (and may hold
 * anything, NUL bytes too). TIMESTAMP is RFC 3339 with up to 9 fractional
 * digits and Z or a +-HH:MM offset; STREAM stdout or stderr; TAG F or P,
 * possibly followed by ":more" tags (CRI reserves them). 0, or -1 with
 * EINVAL and a message saying what is wrong. */
int logs_parse_record(const char *line, size_t len, struct logs_record *r);

/* Time as CRI records carry it: 2026-11-27T22:00:00.123456789Z (9 digits). */
void logs_format_time(int64_t ns, char *out, size_t len);
/* Time as kubectl --timestamps prints it: Go's RFC3339Nano, trailing zeros of
 * the fraction dropped (2026-11-27T22:00:00.1234Z, 2026-11-27T22:00:00Z). */
void logs_format_time_nano(int64_t ns, char *out, size_t len);

/* ---- the reader (`podrun logs`) ------------------------------------------------------- */

/* Where the reader's output goes: 0, or -1 to stop reading (EPIPE...). */
typedef int (*logs_emit_fn)(void *arg, const char *buf, size_t len);

struct logs_read_opts {
	bool follow;         /* then wait for more until the run ends */
	bool timestamps;     /* each line starts with its timestamp and a space */
	long tail;           /* only the last `tail` lines (across rotated files); < 0: all */
	int64_t since_ns;    /* only lines at or after this time (ns since the epoch); 0: all */
	int64_t limit_bytes; /* stop after this many bytes of output; < 0: no limit */
	/* follow: does run `run` still go on? Asked when its writer holds no
	 * lock (before the file is open, say); NULL: the lock alone tells. */
	bool (*still_running)(void *arg, int run);
	void *arg;
	int poll_ms; /* follow: how often to look for more; 0: 100 ms */
};

/* The latest run of ctr that has a log file, or -1 with ENOENT. */
int logs_latest_run(const char *pod_data_dir, const char *ctr);

/* Write the log of ctr's latest run to emit, as `kubectl logs` prints it:
 * the contents of the records, a line's "P" records joined with the "F"
 * record that ends it (per stream), each line placed where it ends. Tail and
 * since pick lines as kubelet does: the last `tail` lines, then of those the
 * ones since since_ns; a line's time is the time of its first record. A
 * container with no log yet prints nothing (0). -1 when emit fails. */
int logs_read(const char *pod_data_dir, const char *ctr, const struct logs_read_opts *o,
              logs_emit_fn emit, void *emit_arg);

/* The same for run `run` of ctr. Which run kubectl means (-p: lastState's,
 * else the current one's...) only the container's status can say: the
 * caller picks it (logs_cmd.c), as kubelet picks a container ID from the
 * status before it opens a log. A run without a log file (one that never
 * started) prints nothing (0). */
int logs_read_run(const char *pod_data_dir, const char *ctr, int run,
                  const struct logs_read_opts *o, logs_emit_fn emit, void *emit_arg);

#endif
