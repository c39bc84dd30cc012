/*
 * status.c - a pod's conditions and events as state files (see status.h).
 */
#include "status.h"

#include "common.h"
#include "state.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>

static const char *const cond_names[STATUS_NCOND] = {
    [STATUS_READY_TO_START] = "PodReadyToStartContainers",
    [STATUS_INITIALIZED] = "Initialized",
    [STATUS_READY] = "Ready",
    [STATUS_CONTAINERS_READY] = "ContainersReady",
    [STATUS_SCHEDULED] = "PodScheduled",
};

bool status_set(struct status_pod *st, enum status_cond c, bool status, const char *reason)
{
	const char *why = status ? NULL : reason;
	if (st->cond[c].known && st->cond[c].status == status) {
		const char *was = st->cond[c].reason;
		if (!why == !was && (!why || !strcmp(why, was)))
			return false;
		st->cond[c].reason = why;
		return true;
	}
	st->cond[c].known = true;
	st->cond[c].status = status;
	st->cond[c].since_ns = state_now_realtime_ns();
	st->cond[c].reason = why;
	return true;
}

int status_write(const struct status_pod *st, const char *pod_dir)
{
	char text[1024] = "";
	for (int c = 0; c < STATUS_NCOND; c++) {
		if (!st->cond[c].known)
			continue;
		char t[64];
		state_time_rfc3339(st->cond[c].since_ns, t, sizeof(t));
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s %s %s%s%s",
		         text[0] ? "\n" : "", cond_names[c], st->cond[c].status ? "True" : "False",
		         t, st->cond[c].reason ? " " : "",
		         st->cond[c].reason ? st->cond[c].reason : "");
	}
	return state_put(pod_dir, "conditions", "%s", text);
}

/* Past STATUS_EVENTS_MAX bytes the older half of the events goes, as the
 * API server lets events expire: a probe failing every second would
 * otherwise fill the state tmpfs in a day, and every pod's state write
 * after it. The newer half, from a whole line, replaces the file in one
 * rename: a reader sees the old file or the new one. */
static void events_trim(int in, const char *pod_dir)
{
	struct stat st;
	if (fstat(in, &st) < 0 || st.st_size <= STATUS_EVENTS_MAX)
		return;
	size_t keep = STATUS_EVENTS_MAX / 2;
	char *buf = malloc(keep);
	if (!buf)
		return;
	ssize_t n = pread(in, buf, keep, st.st_size - (off_t)keep);
	char *line = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
	if (line &&
	    state_put_bytes(pod_dir, "events", line + 1, (size_t)(buf + n - (line + 1))) < 0) {
		/* the events stay as they were, untrimmed */
	}
	free(buf);
}

void status_event(const char *pod_dir, const char *type, const char *reason, const char *object,
                  const char *fmt, ...)
{
	char path[PATH_MAX], head[256], msg[1024];
	snprintf(path, sizeof(path), "%s/events", pod_dir);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one line per event: the message's own newlines and tabs would split it */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	char t[64];
	state_time_rfc3339(state_now_realtime_ns(), t, sizeof(t));
	snprintf(head, sizeof(head), "%s\t%s\t%s\t%s\t", t, type, reason, object);
	/* O_RDWR: events_trim reads it back (pread ignores O_APPEND) */
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	/* one writev on an O_APPEND file: a reader never sees half an event */
	struct iovec iov[3] = {{head, strlen(head)}, {msg, strlen(msg)}, {"\n", 1}};
	if (writev(fd, iov, 3) < 0) {
		/* a full disk loses the event, not the pod */
	}
	events_trim(fd, pod_dir);
	close(fd);
}

int status_uuid(char out[37])
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return fail_errno("getrandom");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
	return 0;
}
