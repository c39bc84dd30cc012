/*
 * pod.c - the per-pod supervisor (see pod.h).
 *
 * Read pod_supervise() from top to bottom: it is kubelet's SyncPod for one
 * pod, in the same order -
 *
 *   1. compute what is wanted            (the spec, already parsed)
 *   2. kill a sandbox that is gone bad   (pause died -> recreate_sandbox)
 *   3. create the sandbox                (infra_start: pause, namespaces, pod IP)
 *   4. start init containers, in order   (init_pod_step)
 *   5. start app containers              (init_pod_step, once the inits are done)
 *   6. restart what exited, with backoff (init_pod_reaped schedules, step starts)
 *
 * - then an event loop that is the pod's conmon: one epoll set holding a
 * signalfd (SIGCHLD, SIGINT, SIGTERM), pause's pidfd, every container's
 * stdout/stderr pipe and every hostPort socket.
 *
 * Why a signalfd: SIGCHLD can arrive at any moment, and the work it asks for
 * (waitpid, restart, write state) is not async-signal-safe. Blocking the
 * signals and reading them from an fd turns them into ordinary events in the
 * loop. Children start with an empty mask again (lab 02 and 04 reset it).
 */
#include "pod.h"

#include "bridge.h"
#include "common.h"
#include "envexpand.h"
#include "fault.h"
#include "image.h"
#include "init.h"
#include "ipam.h"
#include "logs.h"
#include "podjson.h"
#include "ports.h"
#include "probe.h"
#include "resources.h"
#include "rootfs.h"
#include "state.h"
#include "status.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

struct sup;

/* What a container's image makes of it, Kubernetes' way (resolve_images):
 * the overlay's lowerdir stack, the argv from command/args over the image's
 * Entrypoint/Cmd, the image's Env under the container's, the WorkingDir and
 * the user unless the pod sets them. */
struct ctr_image {
	char image_id[160]; /* the config's digest: the image's ID */
	char *lower;
	char **argv, **env;
	char *workdir; /* NULL: "/" */
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* the supplementary groups (container_groups) */
	size_t n_groups;
	int stop_signal; /* the image's StopSignal; 0: none (SIGTERM) */
};

/* One pipe from a container (stdout or stderr) to its run's CRI log file
 * (logs.h: DATA/pods/POD/logs/C/N.log, rotated as kubelet rotates). */
struct logsrc {
	struct ev_watch w;
	struct sup *s;
	struct logsrc *next;
	int fd;
	struct logs_file *file; /* shared by the run's two streams */
	enum logs_stream stream;
	size_t member; /* whose: an index in sup.members */
};

/* A lifecycle handler (postStart, preStop) running in a child of the
 * supervisor (hook_spawn). */
struct hook_run {
	pid_t pid;      /* 0: none running */
	int pidfd, why; /* readable when it ended; the read end of its error pipe */
	bool sleep;     /* a sleep action: cut at the deadline, it did what it was asked */
};

/* A container on its way out, killed by the supervisor for a failed
 * liveness or startup probe or postStart (kill_member), as kubelet's
 * killContainer does it: its preStop
 * (hook), then SIGTERM, then SIGKILL once the grace period is over and at
 * least POD_MIN_GRACE_MS after the SIGTERM. */
struct member_kill {
	struct ev_watch w; /* hook.pidfd in the pod's epoll set while the hook runs */
	struct sup *s;
	size_t i;
	struct hook_run hook; /* also a pod stop's preStop of the member (hook_pre_stop) */
	int64_t deadline;     /* the end of its grace period; 0: no kill under way */
	int64_t grace_ms;
	int64_t kill_at; /* its SIGKILL, once its SIGTERM is sent; 0: not yet */
};

/* kubelet's minimumGracePeriodInSeconds: the least a container gets between
 * its SIGTERM and its SIGKILL when a grace period was given, however much of
 * it a preStop took. */
#define POD_MIN_GRACE_MS 2000

/* A run of a container that ended: what its lastState reports. */
struct ended {
	struct ctr c;
	int run;       /* its number, m->restarts then: its log is logs/C/RUN.log */
	char *message; /* its terminated.message (NULL: none) */
};

struct sup {
	const struct pod_spec *spec;
	const struct pod_opts *o;
	char dir[PATH_MAX];  /* STATE/pods/NAME */
	char data[PATH_MAX]; /* DATA/pods/NAME: overlays, emptyDirs, logs */
	int epfd, sigfd;
	int stopsig;   /* SIGTERM and SIGINT alone, another signalfd */
	int stop_epfd; /* the log pipes and stopsig (in a stop, the probes): stop_serve */
	int log_epfd;  /* the log pipes' own epoll set, itself watched in epfd (logs_w) */
	/* The probes' sockets and exec children, in an epoll set of their own
	 * (-1: no probes), watched in epfd (probes_w); during a stop in
	 * stop_epfd too, with probe_timer, when a readiness check is due. */
	int probe_epfd, probe_timer;
	bool stop_probing; /* a stop serves the readiness probes (stop_probes_begin) */
	struct ev_watch sig_w, stopsig_w, pause_w, logs_w, probes_w, probe_timer_w;
	struct infra_config icfg;
	struct infra infra;
	bool infra_up;
	char ip[INET_ADDRSTRLEN]; /* the pod's address (ipam.h), "" without one */
	struct volume *vols;
	size_t n_vols; /* prepared so far */
	struct init_member *members;
	/* One per container, resolved before anything exists; an image not in
	 * the store (lower NULL) is looked for again at each start of its
	 * container, which waits meanwhile (ErrImageNeverPull). */
	struct ctr_image *imgs;
	struct env_ctx ectx; /* what env_build needs, kept for an image found late */
	char node[HOST_NAME_MAX + 1], host_ip[INET_ADDRSTRLEN];
	struct ctr_mount *mounts;
	char **sub_paths; /* the subPathExprs, expanded (setup_members) */
	size_t n_sub_paths;
	struct init_pod pod;
	bool started;
	struct ports *ports;
	struct logsrc *logs;
	struct logs_limits log_limits;  /* rotation: PODRUN_LOG_MAX_SIZE, _FILES */
	struct res_pod *res;            /* the pod's cgroups (lab 06) */
	struct volume pod_files[3];     /* /etc/hosts, /etc/hostname, /etc/resolv.conf */
	struct volume shm;              /* the sandbox's /dev/shm: shm_up */
	struct probe_set **probes;      /* per container (probe.h) */
	struct probe_exec_target *ptgt; /* what an exec probe runs in */
	struct member_kill *kills;      /* per container: kill_member's kill, a stop's preStop */
	struct status_pod status;       /* conditions (status.h) */
	struct ended *last, *prev;      /* per container: its last two terminations */
	struct state_memo *memos;       /* per container: its status files (write_member) */
	struct state_memo memo;         /* the pod's files it rewrites: phase, deletion_at */
	char uid[37];
	struct res_member *cgroups; /* one per container: its cgroup, its oom_score_adj */
	struct member_ref *refs;    /* one per container: place_member's arg */
	int lock;                   /* the state root's: from admission to unlock_root */
	bool cgroups_early;         /* made while a container builds (res_moves_expedited) */
	char cg_error[1024];        /* why make_cgroups failed, to fail the pod with */
	bool adj_floored;           /* the OOMScoreAdjFloored event was written */
	bool critical_kept;         /* a critical pod over an emptyDir's sizeLimit: said so */
	uint64_t *oom_seen;         /* OOM kills counted so far, per container */
	int pending[2][2];       /* before_start -> after_start: the pipes of the member starting */
	int stop_grace_ms;       /* -1: no stop asked */
	int64_t deadline_at;     /* activeDeadlineSeconds, monotonic ms; 0: none */
	bool deadline_exceeded;  /* the pod is stopped and Failed: DeadlineExceeded */
	int64_t evict_period_ms; /* how often sized disk emptyDirs are measured */
	int64_t evict_at;        /* their next measure, monotonic ms; 0: none to measure */
	char evicted[256];       /* why the pod was evicted ("": it was not) */
	bool ready;              /* reported Running to a waiting parent */
	int64_t reset_count;
};

/* A container of the pod, for a hook that needs the pod too. */
struct member_ref {
	struct sup *s;
	size_t i;
};

/* ---- state files ------------------------------------------------------------- */

/* snprintf for paths; a path too long to fit is cut, and then not found. */
PRINTF(3, 4) static void pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

/* kubelet's reasons for a container it could not create or start; it
 * waits with one of them and is tried again. */
static bool start_error(const char *reason)
{
	return !strcmp(reason, "RunContainerError") || !strcmp(reason, "CreateContainerError") ||
	       !strcmp(reason, "CreateContainerConfigError");
}

static const char *ctr_state_name(enum ctr_state s)
{
	return s == CTR_RUNNING ? "Running" : s == CTR_TERMINATED ? "Terminated" : "Waiting";
}

/* Rewrite a small file in place (its inode may be bound into containers). */
static int put_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	size_t n = strlen(text);
	if (fd < 0)
		return fail_errno("open(%s)", path);
	if (ftruncate(fd, 0) < 0)
		return fail_errno("ftruncate(%s)", path);
	return write_whole(fd, text, n, path);
}

static void put_time(struct state_memo *f, const char *dir, const char *key, int64_t ms)
{
	char t[64] = "";
	if (ms > 0)
		state_time_rfc3339(ms * 1000000, t, sizeof(t));
	state_put_memo(f, dir, key, "%s", t);
}

static void event(struct sup *s, const char *fmt, ...) PRINTF(2, 3);
static void event(struct sup *s, const char *fmt, ...)
{
	if (!s->o->event)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o->event(s->spec->name, msg);
}

static void member_dir(struct sup *s, const struct init_member *m, char *out, size_t len)
{
	pathf(out, len, "%s/containers/%s", s->dir, m->cfg.name);
}

static void write_member(struct sup *s, struct init_member *m)
{
	char d[PATH_MAX];
	member_dir(s, m, d, sizeof(d));
	const struct ctr *c = &m->c;
	size_t i = (size_t)(m - s->members);
	/* kubelet shows a container that ended and waits for its restart as
	 * Waiting (CrashLoopBackOff), the run that ended as its lastState; a
	 * final termination is Terminated, with the run before it as lastState. */
	bool restarting = c->state == CTR_TERMINATED && m->waiting_reason[0];
	bool terminated = c->state == CTR_TERMINATED && !restarting;
	const struct ended *last = terminated ? &s->prev[i] : &s->last[i];
	struct state_memo *f = &s->memos[i]; /* a file whose value stays is not rewritten */
	/* one change of a dozen files: `podrun get`, `ps` and `inspect` read
	 * all of it or wait for it (state_change_begin, state.h) */
	state_change_begin(d);
	state_put_memo(f, d, "reason", "%s", terminated ? c->reason : m->waiting_reason);
	state_put_memo(f, d, "restarts", "%d", m->restarts);
	fault_hold("status-changing");
	if (c->state == CTR_RUNNING) {
		/* as state_put_pid("") writes them, which state_live_pid reads */
		state_put_memo(f, d, "pid", "%d", (int)c->pid);
		state_put_memo(f, d, "start", "%lld", state_proc_start(c->pid));
	} else {
		state_put_memo(f, d, "pid", "0");
	}
	state_put_memo(f, d, "exit_code", "%d", terminated ? c->exit_code : 0);
	state_put_memo(f, d, "signal", "%d", terminated ? c->signal : 0);
	if (restarting && !strcmp(m->waiting_reason, "CrashLoopBackOff"))
		state_put_memo(f, d, "message",
		               "back-off %llds restarting failed container=%s pod=%s_%s(%s)",
		               (long long)((m->not_before_ms - now_ms() + 999) / 1000), m->cfg.name,
		               s->spec->name, s->spec->namespace_, s->uid);
	else if (restarting) /* its restart failed: why (RunContainerError...) */
		state_put_memo(f, d, "message", "%s", m->message);
	else if (terminated) {
		/* kubelet's terminated.message: what it wrote to terminationMessagePath */
		char msg[4097] = "";
		state_get(d, "termination_message", msg, sizeof(msg));
		state_put_memo(f, d, "message", "%s", msg);
	} else {
		state_put_memo(f, d, "message", "%s", c->state == CTR_WAITING ? m->message : "");
	}
	put_time(f, d, "started_at", c->state == CTR_WAITING || restarting ? 0 : c->started_at);
	put_time(f, d, "finished_at", terminated ? c->finished_at : 0);
	/* ready and started as the probes say (without probes: running) */
	struct probe_set *ps = s->probes ? s->probes[i] : NULL;
	bool running = c->state == CTR_RUNNING;
	/* during a stop too, as kubelet's: the readiness probes go on. An init
	 * container (not a sidecar) that completed is ready, as kubelet's
	 * prober manager sets it (UpdatePodStatus); the pod's conditions and
	 * READY count the app containers and sidecars alone. */
	bool completed = terminated && m->is_init && !m->sidecar && c->exit_code == 0;
	state_put_memo(f, d, "ready", "%d", (running && (!ps || probe_set_ready(ps))) || completed);
	state_put_memo(f, d, "started", "%d", running && (!ps || probe_set_started(ps)));
	if (last->c.state == CTR_TERMINATED) {
		state_put_memo(f, d, "last_exit_code", "%d", last->c.exit_code);
		state_put_memo(f, d, "last_signal", "%d", last->c.signal);
		state_put_memo(f, d, "last_reason", "%s", last->c.reason);
		/* kubelet keeps the message with the rest of the run */
		state_put_memo(f, d, "last_message", "%s", last->message ? last->message : "");
		put_time(f, d, "last_started_at", last->c.started_at);
		put_time(f, d, "last_finished_at", last->c.finished_at);
		/* the run lastState is: what `podrun logs -p` reads, as kubelet
		 * serves --previous from lastState.terminated's container */
		state_put_memo(f, d, "last_run", "%d", last->run);
	}
	/* The state last: whoever waits for it (podrun's tests, a script) then
	 * finds the reason, the exit code and the pid of the same transition. */
	state_put_memo(f, d, "state", "%s", restarting ? "Waiting" : ctr_state_name(c->state));
	state_change_end(d);
}

static const char *phase_name(struct sup *s)
{
	return init_phase_name(s->pod.phase);
}

/* ---- logs: a pipe per stream into logs.h's writer ------------------------------- */

static void log_close(struct logsrc *l)
{
	struct sup *s = l->s;
	/* Out of the epoll set first: close() alone takes it out only when no
	 * other fd refers to the pipe, and a child forked meanwhile (a hook, a
	 * container not yet exec'd) still holds a copy. Its events would then
	 * keep coming, with l freed. */
	epoll_ctl(s->log_epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	logs_close(l->file, l->stream);
	for (struct logsrc **pp = &s->logs; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	free(l);
}

static int log_handle(struct ev_watch *w, uint32_t events)
{
	struct logsrc *l = (struct logsrc *)w;
	(void)events;
	char buf[LOGS_LINE_MAX];
	ssize_t r = read(l->fd, buf, sizeof(buf));
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0) {
		log_close(l); /* every writer closed: the container (and its children) ended */
		return 0;
	}
	logs_write(l->file, l->stream, buf, (size_t)r); /* a lost line never stops the pod */
	return 0;
}

/* Handle what is ready in the epoll set epfd, without waiting. */
static void serve_ready(int epfd)
{
	struct epoll_event evs[32];
	int n = epoll_wait(epfd, evs, 32, 0);
	for (int i = 0; i < n; i++) {
		struct ev_watch *w = evs[i].data.ptr;
		w->handle(w, evs[i].events);
	}
}

/* Read every log pipe that has something, without waiting: in the main
 * loop (logs_w), and whenever the supervisor waits for something else - a
 * hook, the containers of a stop. A container writes to a pipe of 64 KiB:
 * unread, its next write blocks, whatever it was doing. */
static void logs_serve(void *arg)
{
	serve_ready(((struct sup *)arg)->log_epfd);
}

static int logs_handle(struct ev_watch *w, uint32_t events)
{
	(void)events;
	logs_serve((char *)w - offsetof(struct sup, logs_w));
	return 0;
}

/* `podrun stop -t` and `rm -f` send SIGTERM with sigqueue(3), the grace
 * period riding along as the signal's value. A second stop may shorten the
 * grace period, never lengthen it, as a second delete does in Kubernetes;
 * during a stop it cuts the wait. */
static void stop_asked(struct sup *s, const struct signalfd_siginfo *si)
{
	int grace = si->ssi_code == SI_QUEUE && si->ssi_int >= 0
	                ? si->ssi_int
	                : (int)(s->spec->grace_seconds * 1000);
	if (s->stop_grace_ms < 0 || grace < s->stop_grace_ms) {
		s->stop_grace_ms = grace;
		/* The API server's graceful delete: metadata.deletionTimestamp is
		 * when the grace period ends, deletionGracePeriodSeconds the
		 * period; a shorter second delete moves both. kubectl then shows
		 * the pod Terminating. */
		put_time(&s->memo, s->dir, "deletion_at",
		         state_now_realtime_ns() / 1000000 + grace);
		state_put(s->dir, "deletion_grace", "%d", (grace + 999) / 1000);
	}
	init_pod_hasten(&s->pod, s->stop_grace_ms);
}

/* The stop requests alone, while the supervisor waits for something of its
 * own (stop_serve): SIGCHLD stays pending for the main loop, whose reap()
 * may not run in the middle of a container's start. */
static int stopsig_handle(struct ev_watch *w, uint32_t events)
{
	struct sup *s = (struct sup *)((char *)w - offsetof(struct sup, stopsig_w));
	struct signalfd_siginfo si;
	(void)events;
	while (read(s->stopsig, &si, sizeof(si)) == sizeof(si))
		stop_asked(s, &si);
	return 0;
}

static void stop_probes_tick(struct sup *s);

/* What the supervisor keeps doing while it waits for something of its own -
 * a stop's containers (init_pod_stop's stop_fd), a postStart hook: reading
 * the log pipes, and the stop requests; in a pod's stop, the readiness
 * probes too (stop_probes_begin). A `podrun rm -f` during a graceful
 * stop, a sandbox change's stop or a postStart must not wait that out. */
static void stop_serve(void *arg)
{
	struct sup *s = arg;
	serve_ready(s->stop_epfd);
	if (s->stop_probing)
		stop_probes_tick(s);
}

/* Write what l's pipe holds now to its log, without waiting for more: at
 * most what a pipe can hold (64 KiB), so that a writer that lives on and
 * never stops cannot hold the supervisor. 0 once every writer is gone (the
 * pipe's end). */
static ssize_t log_pump(struct logsrc *l)
{
	fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK);
	char buf[LOGS_LINE_MAX];
	ssize_t r = -1;
	for (size_t got = 0; got < (1 << 20) && (r = read(l->fd, buf, sizeof(buf))) > 0;
	     got += (size_t)r)
		logs_write(l->file, l->stream, buf, (size_t)r);
	return r;
}

/* A container ended: what its pipes still hold goes to its log now, and a
 * pipe whose every writer is gone is closed, which writes a last line cut
 * short (P): all of it before its state says Terminated, as containerd's
 * shim reports an exit once the output is copied. When PID 1 of a pid
 * namespace exits, the kernel has killed and waited for every other process
 * in it, so only a process left in a shared pid namespace can still hold a
 * pipe: the main loop reads that one on. */
static void logs_finish(struct sup *s, size_t member)
{
	for (struct logsrc *l = s->logs, *next; l; l = next) {
		next = l->next;
		if (l->member == member && log_pump(l) == 0)
			log_close(l);
	}
}

/* Read whatever the pipes still hold, without waiting for writers that live on. */
static void logs_drain(struct sup *s)
{
	while (s->logs) {
		log_pump(s->logs);
		log_close(s->logs);
	}
}

/* ---- hooks called by the init module ------------------------------------------- */

static int member_image(struct sup *s, struct init_member *m); /* images, below */

static int hook_before_start(void *arg, struct init_member *m)
{
	struct sup *s = arg;
	if (member_image(s, m) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (pipe2(s->pending[i], O_CLOEXEC) < 0) {
			/* no start follows (after_start is not called): the other pipe goes too */
			fail_errno("container %s: pipe2", m->cfg.name);
			s->pending[i][0] = s->pending[i][1] = -1;
			for (int k = 0; k < i; k++) {
				closep(&s->pending[k][0]);
				closep(&s->pending[k][1]);
			}
			return -1;
		}
	}
	m->cfg.stdout_fd = s->pending[0][1];
	m->cfg.stderr_fd = s->pending[1][1];
	return 0;
}

/* Is every layer of an overlay's lowerdir ("L1:L2:...") still there? */
static bool layers_present(const char *lower)
{
	char layer[PATH_MAX];
	for (const char *p = lower; p && *p;) {
		size_t n = strcspn(p, ":");
		if (n < sizeof(layer)) {
			memcpy(layer, p, n);
			layer[n] = '\0';
			if (access(layer, F_OK) < 0 && errno == ENOENT)
				return false;
		}
		p += n + (p[n] == ':');
	}
	return true;
}

/* A start that failed because the image left the store between
 * member_image's look and the overlay's mount names the image and the store:
 * the path of a layer alone tells a user neither. The next try finds the
 * image missing (ErrImageNeverPull). */
static void explain_image_gone(const struct sup *s, const struct init_member *m)
{
	if (layers_present(m->cfg.rootfs_lower))
		return; /* every layer is there: the failure was something else */
	/* What to do first: a container's message keeps 255 bytes. */
	char why[1024];
	snprintf(why, sizeof(why), "%s", last_error());
	if (access(s->o->images, F_OK) < 0)
		fail_msg(ENOENT, "image %s: the image store %s is gone (podrun image load): %s",
		         m->cfg.image, s->o->images, why);
	else
		fail_msg(ENOENT,
		         "image %s: no longer in the image store %s (podrun image load): %s",
		         m->cfg.image, s->o->images, why);
}

static void hook_after_start(void *arg, struct init_member *m)
{
	struct sup *s = arg;
	if (m->c.state != CTR_RUNNING)
		explain_image_gone(s, m);
	/* One file per run: m->restarts is this run's number (0 for the first).
	 * A file that cannot be opened loses this run's lines, not the pod: the
	 * pipes are still drained (logs_write takes NULL). */
	struct logs_file *file = m->c.state == CTR_RUNNING
	                             ? logs_open(s->data, m->cfg.name, m->restarts, &s->log_limits)
	                             : NULL;
	for (int i = 0; i < 2; i++) {
		/* Our copy of the write end must go, or the pipe never reports EOF. */
		closep(&s->pending[i][1]);
		struct logsrc *l = NULL;
		if (m->c.state == CTR_RUNNING && (l = calloc(1, sizeof(*l)))) {
			struct epoll_event e = {.events = EPOLLIN, .data.ptr = &l->w};
			if (epoll_ctl(s->log_epfd, EPOLL_CTL_ADD, s->pending[i][0], &e) < 0) {
				free(l);
				l = NULL;
			}
		}
		if (!l) {
			logs_close(file, (enum logs_stream)i);
			closep(&s->pending[i][0]);
			continue;
		}
		l->w.handle = log_handle;
		l->s = s;
		l->fd = s->pending[i][0];
		l->file = file;
		l->stream = (enum logs_stream)i;
		l->member = (size_t)(m - s->members);
		l->next = s->logs;
		s->logs = l;
		s->pending[i][0] = -1;
	}
	m->cfg.stdout_fd = m->cfg.stderr_fd = -1;
}

/* ---- lifecycle hooks ------------------------------------------------------------ */

/* In a child the supervisor just forked to do one thing (a hook, a
 * volume's measure): a fork holds copies of all the supervisor's fds - the
 * hostPort sockets, the log pipes - and so would what it forks in turn:
 * only those in keep stay (-1 keeps nothing). And a supervisor SIGKILLed
 * meanwhile takes the child along; parent is its pid, from before the fork. */
static void become_helper(const int *keep, size_t n, pid_t parent)
{
	close_fds_except(keep, n);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

/* Start a postStart or preStop handler of a running container in a child
 * (r->pid; 0 when there is nothing to run): exec steps into the container
 * and blocks until its command ends, httpGet steps into the pod's netns,
 * sleep sleeps - none of it the supervisor may do, which must neither
 * block past a deadline nor leave its own netns. The child ends by
 * deadline_ms at the latest (hook_finish cuts it), and its last_error()
 * comes back through a pipe. */
static int hook_spawn(struct sup *s, struct init_member *m, const struct spec_hook *h,
                      int64_t deadline_ms, struct hook_run *r)
{
	*r = (struct hook_run){.pidfd = -1, .why = -1};
	if (h->kind == SPEC_HOOK_NONE || m->c.state != CTR_RUNNING)
		return 0;
	int why[2];
	if (pipe2(why, O_CLOEXEC) < 0)
		return fail_errno("pipe2 (hook)");
	pid_t parent = getpid(), child = fork();
	if (child < 0) {
		close(why[0]);
		close(why[1]);
		return fail_errno("fork (hook)");
	}
	if (child == 0) {
		int keep[] = {why[1], h->kind == SPEC_HOOK_HTTP_GET ? s->infra.nsfd[NS_NET] : -1};
		/* held here, the child still has a copy of every fd of ours: the
		 * window log_close must allow for (lifecycle.bats) */
		fault_hold("hook-child");
		become_helper(keep, ARRAY_SIZE(keep), parent);
		int rc = 0;
		if (h->kind == SPEC_HOOK_SLEEP) {
			int64_t until = now_ms() + (int64_t)h->seconds * 1000;
			sleep_ms((long)((until < deadline_ms ? until : deadline_ms) - now_ms()));
		} else if (h->kind == SPEC_HOOK_HTTP_GET) {
			rc = probe_http_hook(h->http, s->infra.nsfd[NS_NET], s->infra.ip,
			                     deadline_ms);
		} else {
			struct ctr_config cfg = m->cfg;
			cfg.stdin_fd = cfg.stdout_fd = cfg.stderr_fd =
			    -1; /* a hook's output is dropped */
			/* in the container's cgroups, as runc exec puts it and as
			 * podrun exec does: not outside its limits and devices */
			cfg.setup_child = res_enter;
			cfg.setup_arg = &s->cgroups[m - s->members];
			rc = ctr_exec(&m->c, &cfg, h->command);
			if (rc > 0)
				fail_msg(EIO, "command '%s' exited with %d", h->command[0], rc);
		}
		if (rc != 0) {
			const char *e = last_error();
			if (write(why[1], e, strlen(e)) < 0) {
				/* the supervisor reports the exit status alone */
			}
		}
		_exit(rc < 0 ? 126 : rc);
	}
	close(why[1]);
	r->why = why[0];
	r->pid = child;
	r->sleep = h->kind == SPEC_HOOK_SLEEP;
	r->pidfd = sys_pidfd_open(child, 0);
	if (r->pidfd < 0) {
		int err = errno;
		kill(child, SIGKILL); /* our own unreaped child: its pid is not reused */
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
		}
		closep(&r->why);
		r->pid = 0;
		errno = err;
		return fail_errno("pidfd_open(hook %d)", (int)child);
	}
	return 0;
}

/* Reap a hook hook_spawn started, cut first when late (its deadline
 * passed). 0 when it succeeded; -1 with last_error() saying why. */
static int hook_finish(struct hook_run *r, bool late)
{
	if (!r->pid)
		return 0;
	if (late)
		kill(r->pid, SIGKILL);
	int st = 0;
	while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR) {
	}
	char msg[PROBE_MSG_MAX] = "";
	ssize_t n = late ? 0 : read(r->why, msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	closep(&r->pidfd);
	closep(&r->why);
	r->pid = 0;
	if ((WIFEXITED(st) && WEXITSTATUS(st) == 0) || (late && r->sleep))
		return 0;
	if (late)
		return fail_msg(ETIMEDOUT, "did not end within the grace period");
	if (msg[0])
		return fail_msg(EIO, "%s", msg);
	return fail_msg(EIO, "exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* Wait until fd is readable (a pidfd: its process ended) or deadline_ms
 * (monotonic) passes, reading the log pipes meanwhile: a container must not
 * block on a full stdout while the supervisor waits for something of its
 * own. A stop asked meanwhile is recorded; with until_stop it ends the wait.
 * false: the deadline passed, or the stop came, first. */
static bool wait_serving_logs(struct sup *s, int fd, int64_t deadline_ms, bool until_stop)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = s->stop_epfd, .events = POLLIN}};
	for (;;) {
		int64_t left = deadline_ms - now_ms();
		if (left <= 0 || (until_stop && s->stop_grace_ms >= 0))
			return false;
		if (poll(p, 2, (int)left) <= 0)
			continue;
		if (p[0].revents)
			return true;
		if (p[1].revents & POLLIN)
			stop_serve(s);
	}
}

/* Run a postStart handler until it ends or deadline_ms (monotonic) passes,
 * reading the log pipes meanwhile: a hook that waits for its container to
 * be ready must not find it blocked on a full stdout. */
static int run_hook(struct sup *s, struct init_member *m, const struct spec_hook *h,
                    int64_t deadline_ms)
{
	struct hook_run r;
	if (hook_spawn(s, m, h, deadline_ms, &r) < 0)
		return -1;
	return hook_finish(&r, r.pid && !wait_serving_logs(s, r.pidfd, deadline_ms, true));
}

/* A native sidecar has started when its startupProbe passed (at once without
 * one); init_pod_step holds the next init container back until then. */
static bool hook_started(void *arg, const struct init_member *m)
{
	struct sup *s = arg;
	const struct probe_set *ps = s->probes ? s->probes[m - s->members] : NULL;
	return !ps || probe_set_started(ps);
}

/* A container's preStop, started when a stop begins (init_pod_stop, for
 * every container at once) or kill_member kills it (a probe, a postStart). kubelet runs none with a
 * grace period of 0: there is no time to run it in. The hook's pidfd, or -1
 * when none runs. */
static int pre_stop(struct sup *s, struct init_member *m, int64_t grace_ms, int64_t deadline_ms)
{
	struct member_kill *k = &s->kills[m - s->members];
	const struct spec_container *sc = &s->spec->ctrs[m - s->members];
	if (k->hook.pid)
		return k->hook.pidfd; /* kill_member's kill runs it already */
	if (grace_ms <= 0 || sc->pre_stop.kind == SPEC_HOOK_NONE)
		return -1;
	if (hook_spawn(s, m, &sc->pre_stop, deadline_ms, &k->hook) < 0) {
		status_event(s->dir, "Warning", "FailedPreStopHook", "pod",
		             "PreStopHook failed for container %s: %s", m->cfg.name, last_error());
		return -1;
	}
	return k->hook.pid ? k->hook.pidfd : -1;
}

static void pre_stop_end(struct sup *s, struct init_member *m, bool late)
{
	if (hook_finish(&s->kills[m - s->members].hook, late) < 0)
		status_event(s->dir, "Warning", "FailedPreStopHook", "pod",
		             "PreStopHook failed for container %s: %s", m->cfg.name, last_error());
}

static int hook_pre_stop(void *arg, struct init_member *m, int64_t deadline_ms)
{
	struct sup *s = arg;
	struct member_kill *k = &s->kills[m - s->members];
	/* the stop waits for kill_member's hook now, not the main loop */
	if (k->hook.pid)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, k->hook.pidfd, NULL);
	k->deadline = k->kill_at = 0;
	return pre_stop(s, m, s->pod.grace_ms, deadline_ms);
}

static void hook_pre_stop_end(void *arg, struct init_member *m, int fd, bool late)
{
	(void)fd; /* the hook's pidfd: hook_finish closes it */
	pre_stop_end(arg, m, late);
}

/* kill_member's kill, once its preStop has ended (or none ran): the stop signal,
 * and the SIGKILL set for the end of the grace period, as a stop sets it
 * (init_member_term). */
static void kill_term(struct member_kill *k)
{
	struct init_member *m = &k->s->members[k->i];
	if (m->c.state != CTR_RUNNING) {
		k->deadline = 0;
		return;
	}
	if (init_member_term(&k->s->pod, m, k->grace_ms, k->deadline, &k->kill_at) < 0)
		event(k->s, "%s: %s", m->cfg.name, last_error());
}

static int kill_hook_handle(struct ev_watch *w, uint32_t events)
{
	struct member_kill *k = (struct member_kill *)w;
	(void)events;
	pre_stop_end(k->s, &k->s->members[k->i], false); /* closing the pidfd unwatches it */
	kill_term(k);
	return 0;
}

/* What is due in kill_member's kills: a hook cut at its deadline, a SIGKILL.
 * Returns the next time something will be due, or -1. */
static int64_t kills_tick(struct sup *s)
{
	int64_t next = -1;
	for (size_t i = 0; s->kills && i < s->spec->n_ctrs; i++) {
		struct member_kill *k = &s->kills[i];
		if (!k->deadline)
			continue;
		if (k->hook.pid && now_ms() >= k->deadline) {
			pre_stop_end(s, &s->members[i], true);
			kill_term(k);
		}
		if (k->kill_at && now_ms() >= k->kill_at) {
			if (s->members[i].c.state == CTR_RUNNING)
				sys_pidfd_send_signal(s->members[i].c.pidfd, SIGKILL, 0);
			k->deadline = k->kill_at = 0;
		}
		int64_t due = k->kill_at ? k->kill_at : k->deadline;
		if (due && (next < 0 || due < next))
			next = due;
	}
	return next;
}

/* kubelet's killContainer of one container while the pod runs (a failed
 * liveness or startup probe, a failed postStart): as a stop kills it, its
 * preStop first, then SIGTERM, SIGKILL once grace_ms is over - the hook
 * watched in the pod's epoll set, the rest by kills_tick: the supervisor
 * goes on meanwhile. Its exit then goes through the init module (restart by
 * policy, with backoff) like any other. */
static void kill_member(struct sup *s, size_t i, int64_t grace_ms)
{
	struct init_member *m = &s->members[i];
	struct member_kill *k = &s->kills[i];
	if (k->deadline)
		return; /* under way */
	k->grace_ms = grace_ms;
	k->deadline = now_ms() + (k->grace_ms > 0 ? k->grace_ms : 0);
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &k->w};
	if (pre_stop(s, m, k->grace_ms, k->deadline) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, k->hook.pidfd, &e) < 0) {
		pre_stop_end(s, m, true); /* nothing to wait for, or no way to */
		kill_term(k);
	}
}

static void update_conditions(struct sup *s);

/* A probe's verdict: Unhealthy events, the ready bit, and kubelet's kill of a
 * container whose liveness or startup probe failed - by SIGTERM, SIGKILL after
 * the grace period; its exit then goes through the init module (restart by
 * policy, with backoff) like any other. */
static void probe_verdict(void *arg, struct probe_set *ps, const struct probe_verdict *v)
{
	struct sup *s = arg;
	size_t i = 0;
	while (i < s->pod.n_members && s->probes[i] != ps)
		i++;
	if (i == s->pod.n_members)
		return;
	struct init_member *m = &s->members[i];
	char object[128];
	snprintf(object, sizeof(object), "spec.%s{%s}",
	         m->is_init ? "initContainers" : "containers", m->cfg.name);
	if (v->event[0]) {
		const char *reason = v->warning ? "ProbeWarning" : "Unhealthy";
		status_event(s->dir, "Warning", reason, object, "%s", v->event);
		event(s, "%s: %s: %s", m->cfg.name, reason, v->event);
	}
	if (v->ready_changed || v->started_changed) {
		write_member(s, m);
		if (s->pod.stopping) /* the main loop's update is not running */
			update_conditions(s);
	}
	if (v->kill && m->c.state == CTR_RUNNING) {
		/* kubelet restarts it unless the policy is Never, whatever its exit
		 * code, and says so */
		bool restart = s->pod.policy != INIT_RESTART_NEVER;
		status_event(s->dir, "Normal", "Killing", object, "%s%s", v->message,
		             restart ? ", will be restarted" : "");
		event(s, "%s: Killing: %s%s", m->cfg.name, v->message,
		      restart ? ", will be restarted" : "");
		m->unhealthy = true;
		kill_member(s, i, v->grace_s >= 0 ? v->grace_s * 1000 : s->pod.grace_ms);
	}
}

static int probes_handle(struct ev_watch *w, uint32_t events)
{
	(void)events;
	serve_ready(((struct sup *)((char *)w - offsetof(struct sup, probes_w)))->probe_epfd);
	return 0;
}

static int setup_probes(struct sup *s)
{
	size_t n = s->spec->n_ctrs;
	s->probes = calloc(n, sizeof(*s->probes));
	s->ptgt = calloc(n, sizeof(*s->ptgt));
	if (!s->probes || !s->ptgt)
		return fail_msg(ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct spec_container *sc = &s->spec->ctrs[i];
		if (!sc->probes[PROBE_STARTUP] && !sc->probes[PROBE_LIVENESS] &&
		    !sc->probes[PROBE_READINESS])
			continue;
		if (s->probe_epfd < 0) {
			s->probe_epfd = epoll_create1(EPOLL_CLOEXEC);
			s->probes_w.handle = probes_handle;
			struct epoll_event e = {.events = EPOLLIN, .data.ptr = &s->probes_w};
			if (s->probe_epfd < 0 ||
			    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->probe_epfd, &e) < 0)
				return fail_errno("epoll (the probes' set)");
		}
		s->ptgt[i] = (struct probe_exec_target){&s->members[i].c, &s->members[i].cfg,
		                                        res_enter, &s->cgroups[i]};
		struct probe_opts o = {.name = sc->name,
		                       .epfd = s->probe_epfd,
		                       .netns_fd = s->infra.nsfd[NS_NET],
		                       .pod_ip = s->infra.ip,
		                       .run_arg = &s->ptgt[i],
		                       .on_verdict = probe_verdict,
		                       .arg = s};
		if (probe_set_create((const struct probe_spec *const *)sc->probes, &o,
		                     &s->probes[i]) < 0)
			return -1;
	}
	return 0;
}

/* ---- probes during a stop ---------------------------------------------------------- */

static int probe_timer_handle(struct ev_watch *w, uint32_t events)
{
	struct sup *s = (struct sup *)((char *)w - offsetof(struct sup, probe_timer_w));
	uint64_t expirations;
	(void)events;
	/* read to rearm it; stop_serve ticks the probes after every wake */
	ssize_t r = read(s->probe_timer, &expirations, sizeof(expirations));
	(void)r;
	return 0;
}

static void stop_probes_end(struct sup *s)
{
	if (!s->stop_probing)
		return;
	s->stop_probing = false;
	epoll_ctl(s->stop_epfd, EPOLL_CTL_DEL, s->probe_epfd, NULL);
	epoll_ctl(s->stop_epfd, EPOLL_CTL_DEL, s->probe_timer, NULL);
	timerfd_settime(s->probe_timer, 0, &(struct itimerspec){0}, NULL);
}

/* Every container's probes: start the checks that are due, time out the
 * late ones; *deadline (-1: none) becomes the next one's time when that is
 * sooner. -1 when the supervisor cannot go on (probe_set_tick). */
static int probes_tick(struct sup *s, int64_t *deadline)
{
	for (size_t i = 0; s->probes && i < s->pod.n_members; i++) {
		if (!s->probes[i])
			continue;
		if (probe_set_tick(s->probes[i], now_ms()) < 0)
			return -1;
		int64_t next = probe_set_next(s->probes[i]);
		if (next >= 0 && (*deadline < 0 || next < *deadline))
			*deadline = next;
	}
	return 0;
}

/* probes_tick in a stop, then the timer set for the next check (stop_serve,
 * after whatever woke the stop). */
static void stop_probes_tick(struct sup *s)
{
	int64_t next = -1;
	if (probes_tick(s, &next) < 0) {
		/* stranded in the pod's netns, maybe: no more checks */
		event(s, "probes: %s", last_error());
		stop_probes_end(s);
		return;
	}
	/* now_ms() is CLOCK_MONOTONIC's; a time already past fires at once,
	 * and 0 (none due) disarms */
	struct itimerspec at = {.it_value = {.tv_sec = next > 0 ? next / 1000 : 0,
	                                     .tv_nsec = next > 0 ? next % 1000 * 1000000 : 0}};
	timerfd_settime(s->probe_timer, TFD_TIMER_ABSTIME, &at, NULL);
}

/* A stop, as kubelet's since Kubernetes 1.25 (kubernetes#110191): startup
 * and liveness probes end, readiness probes go on until each container
 * exits, and the pod stays Ready as long as they pass - a Service keeps
 * sending it traffic while it drains. init_pod_stop waits on stop_epfd:
 * for the stop the probes' set joins it, with a timer for the next check. */
static void stop_probes_begin(struct sup *s)
{
	if (s->probe_epfd < 0)
		return;
	for (size_t i = 0; i < s->pod.n_members; i++)
		if (s->probes[i] && probe_set_terminating(s->probes[i], now_ms()))
			write_member(s, &s->members[i]);
	update_conditions(s);
	if (s->probe_timer < 0) {
		s->probe_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		s->probe_timer_w.handle = probe_timer_handle;
	}
	struct epoll_event p = {.events = EPOLLIN, .data.ptr = &s->probes_w};
	struct epoll_event t = {.events = EPOLLIN, .data.ptr = &s->probe_timer_w};
	if (s->probe_timer < 0 || epoll_ctl(s->stop_epfd, EPOLL_CTL_ADD, s->probe_epfd, &p) < 0 ||
	    epoll_ctl(s->stop_epfd, EPOLL_CTL_ADD, s->probe_timer, &t) < 0) {
		/* the ready bits stay as the last checks left them */
		event(s, "probes: no readiness checks during the stop: %s", strerror(errno));
		epoll_ctl(s->stop_epfd, EPOLL_CTL_DEL, s->probe_epfd, NULL);
		return;
	}
	s->stop_probing = true;
	stop_probes_tick(s);
}

/* The last cap bytes of what logs_read emits. */
struct tail {
	char *buf;
	size_t cap, len;
};

static int tail_emit(void *arg, const char *b, size_t n)
{
	struct tail *t = arg;
	if (n >= t->cap) {
		b += n - t->cap;
		n = t->cap;
	}
	if (t->len + n > t->cap) {
		size_t drop = t->len + n - t->cap;
		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, b, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return 0;
}

/* A container in the pod's pid namespace (shareProcessNamespace, hostPID)
 * is not that namespace's init: its PID 1 ending kills nothing, and what it
 * started lives on in its cgroup - counted against its limits, holding the
 * run's log pipes open - beside its next run. runc kills them when such a
 * container goes; so does hook_on_change, once it has ended. */
/* Container i's run has ended: it becomes its last termination, the one
 * before that its previous. A message that cannot be copied is lost, not
 * the run. */
static void keep_ended(struct sup *s, size_t i, const struct init_member *m, const char *msg)
{
	char *copy = msg[0] ? strdup(msg) : NULL;
	free(s->prev[i].message);
	s->prev[i] = s->last[i];
	s->last[i].c = m->c;
	s->last[i].run = m->restarts;
	/* gcc 12's analyzer loses the pointer stored in a slot of the calloc'd
	 * s->last and calls it a leak: the next keep_ended or sup_free frees it */
	ANALYZER_REALLOC_LEAK_FP_BEGIN
	s->last[i].message = copy;
}
ANALYZER_REALLOC_LEAK_FP_END

static void hook_on_change(void *arg, struct init_member *m)
{
	struct sup *s = arg;
	/* kubelet's reasons: a container killed by the OOM killer is OOMKilled
	 * (exit code 137); killed by anything else it is an Error like any
	 * other non-zero exit - the signal shows in the exit code, 128 + N. */
	if (m->c.state == CTR_TERMINATED && m->c.signal) {
		size_t i = (size_t)(m - s->members);
		bool oom =
		    m->c.signal == SIGKILL && res_oom_killed(&s->cgroups[i].cg, &s->oom_seen[i]);
		snprintf(m->c.reason, sizeof(m->c.reason), "%s", oom ? "OOMKilled" : "Error");
	}
	size_t i = (size_t)(m - s->members);
	char object[128];
	snprintf(object, sizeof(object), "spec.%s{%s}",
	         m->is_init ? "initContainers" : "containers", m->cfg.name);
	if (s->probes && s->probes[i]) {
		if (m->c.state == CTR_RUNNING)
			probe_set_reset(s->probes[i], now_ms());
		else
			probe_set_stop(s->probes[i]);
	}
	/* kill_member's kill is over with the run it was for: no SIGKILL for
	 * the next one. Its preStop may outlive the container (in a pod's shared pid
	 * namespace, nothing kills it): kills_tick still cuts it at its deadline,
	 * and a new run cuts it at once. A stop's own hooks are the stop's. */
	struct member_kill *k = &s->kills[i];
	if (!s->pod.stopping) {
		k->kill_at = 0;
		if (m->c.state == CTR_RUNNING && k->hook.pid)
			pre_stop_end(s, m, true);
		if (!k->hook.pid)
			k->deadline = 0;
	}
	if (m->c.state == CTR_RUNNING) {
		status_event(s->dir, "Normal", "Pulled", object,
		             "Container image \"%s\" already present on machine", m->cfg.image);
		status_event(s->dir, "Normal", "Created", object, "Created container %s",
		             m->cfg.name);
		status_event(s->dir, "Normal", "Started", object, "Started container %s",
		             m->cfg.name);
		/* postStart: kubelet runs it right after the start, and a failure
		 * kills the container (restarted by policy) as any kill of
		 * kubelet's does: preStop, SIGTERM, SIGKILL after the pod's grace
		 * period. It holds the supervisor for at most the grace period,
		 * and at least kubelet's shortest one (2 s): a pod with
		 * terminationGracePeriodSeconds: 0 has hooks too. */
		const struct spec_container *sc = &s->spec->ctrs[i];
		int64_t bound = s->spec->grace_seconds * 1000 > POD_MIN_GRACE_MS
		                    ? s->spec->grace_seconds * 1000
		                    : POD_MIN_GRACE_MS;
		/* A stop asked meanwhile cuts the hook, as kubelet cancels the
		 * sync it runs in: the stop, not the hook, ends the container. */
		if (sc->post_start.kind != SPEC_HOOK_NONE &&
		    run_hook(s, m, &sc->post_start, now_ms() + bound) < 0 && s->stop_grace_ms < 0) {
			status_event(s->dir, "Warning", "FailedPostStartHook", object,
			             "PostStartHook failed: %s", last_error());
			status_event(s->dir, "Normal", "Killing", object, "FailedPostStartHook");
			kill_member(s, i, s->pod.grace_ms);
		}
	} else if (!strcmp(m->waiting_reason, "ErrImageNeverPull")) {
		status_event(s->dir, "Warning", "ErrImageNeverPull", object, "%s", m->message);
		status_event(s->dir, "Warning", "Failed", object, "Error: ErrImageNeverPull");
	} else if (start_error(m->waiting_reason) || ctr_never_ran(&m->c)) {
		status_event(s->dir, "Warning", "Failed", object, "Error: %s", m->message);
	} else if (!strcmp(m->waiting_reason, "CrashLoopBackOff")) {
		status_event(s->dir, "Warning", "BackOff", object,
		             "Back-off restarting failed container %s in pod %s_%s(%s)",
		             m->cfg.name, s->spec->name, s->spec->namespace_, s->uid);
	}
	if (m->c.state == CTR_TERMINATED && m->cfg.share_pid && s->res && s->res->created &&
	    cg_kill(&s->cgroups[i].cg, 1000) < 0)
		event(s, "%s: what its run left could not all be killed: %s", m->cfg.name,
		      last_error());
	if (m->c.state == CTR_TERMINATED) {
		logs_finish(s, i);
		/* terminationMessagePath: what the container left there (kubelet
		 * reads at most 4096 bytes), then emptied for its next run */
		char msg[4097] = "";
		if (ctr_never_ran(&m->c)) /* containerd's message: the start's error */
			snprintf(msg, sizeof(msg), "%s", m->message);
		else if (m->cfg.termination_log &&
		         read_file(m->cfg.termination_log, msg, sizeof(msg)) > 0)
			put_file(m->cfg.termination_log, "");
		/* FallbackToLogsOnError: a failed container that left no message
		 * gets the end of its log (kubelet: 80 lines, 2048 bytes at most) */
		const struct spec_container *sc = &s->spec->ctrs[i];
		if (!msg[0] && sc->term_fallback && m->c.exit_code != 0) {
			struct tail t = {.buf = msg, .cap = 2048};
			struct logs_read_opts o = {.tail = 80, .limit_bytes = -1};
			logs_read(s->data, m->cfg.name, &o, tail_emit, &t);
		}
		char d[PATH_MAX];
		member_dir(s, m, d, sizeof(d));
		state_put(d, "termination_message", "%s", msg);
		keep_ended(s, i, m, msg);
	}
	write_member(s, m);
	if (m->c.state == CTR_TERMINATED) {
		fault_hold("container-ended"); /* its log is whole, its state says so */
		event(s, "%s: Terminated (%s, exit code %d)%s", m->cfg.name, m->c.reason,
		      m->c.exit_code, m->waiting_reason[0] ? ", restart scheduled" : "");
	} else {
		event(s, "%s: %s%s%s", m->cfg.name, ctr_state_name(m->c.state),
		      m->waiting_reason[0] ? " " : "", m->waiting_reason);
	}
	if (s->pod.stopping) /* the main loop's update is not running */
		update_conditions(s);
}

/* ---- the sandbox ------------------------------------------------------------------ */

static int pause_handle(struct ev_watch *w, uint32_t events);
static int write_pod_files(struct sup *s);

/* pause runs: named in the state at once, before the pod IP's setup, so
 * that a supervisor killed meanwhile leaves it to rm -f (killed before, while
 * pause set itself up, it took pause along: lab 02, die_with_caller). */
static void record_pause(void *arg, pid_t pid)
{
	struct sup *s = arg;
	state_put_pid(s->dir, "pause", pid);
	fault_point("pause-cloned");
}

/* The sandbox's /dev/shm. A pod shares one IPC namespace, so its containers
 * share System V shared memory and POSIX message queues (each container's
 * /dev/mqueue is that namespace's). POSIX shared memory (shm_open) is files
 * in /dev/shm, a plain tmpfs, shared only where the runtime binds one tmpfs
 * into every container: containerd and CRI-O make one for the sandbox
 * (64 MiB) and do that. It goes with the sandbox, as the IPC namespace's
 * objects do. A container that mounts a volume of its own at /dev/shm (an
 * emptyDir of medium Memory, for more room) gets that instead; hostIPC gets
 * the node's /dev/shm, as with containerd.
 *
 * The tmpfs is in no mount table but the containers': a mount in the host's
 * table would be copied into every container's new mount namespace on the
 * node, every other pod's included, and walked again as each one detaches
 * its old root. A kernel that cannot clone a detached mount into another
 * namespace gets it mounted in the pod's directory instead. */
static int shm_up(struct sup *s)
{
	struct volume *v = &s->shm;
	*v = (struct volume){.name = "shm", .kind = VOL_EMPTYDIR, .is_dir = true, .mnt_fd = -1};
	if (s->spec->host_ipc) {
		snprintf(v->host_path, sizeof(v->host_path), "/dev/shm");
		return 0;
	}
	if (vol_tmpfs_detached("shm", "1777", "64m", v) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
	pathf(v->host_path, sizeof(v->host_path), "%s/shm", s->data);
	if (mkdir(v->host_path, 0700) < 0 && errno != EEXIST)
		return fail_errno("mkdir(%s)", v->host_path);
	if (mount("shm", v->host_path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "mode=1777,size=65536k") < 0)
		return fail_errno("mount(tmpfs on %s, mode=1777,size=65536k)", v->host_path);
	v->tmpfs = true;
	return 0;
}

static void shm_down(struct sup *s)
{
	struct volume *v = &s->shm;
	if (v->detached) {
		vol_teardown(v);
		return;
	}
	if (!v->tmpfs)
		return;
	/* MNT_DETACH: a process of the pod may still hold a file of it open. */
	if (umount2(v->host_path, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
		warn_errno("umount2(%s)", v->host_path);
	else if (rmdir(v->host_path) < 0)
		warn_errno("rmdir(%s)", v->host_path);
	v->tmpfs = false;
}

static int sandbox_up(struct sup *s)
{
	/* From "is the bridge there?" to "our veth is on it": a retire must
	 * not delete the bridge in between (bridge.h). */
	_cleanup_close_ int lock = s->icfg.bridge ? bridge_lock() : -1;
	/* A sandbox made again (pause died) goes into the pod's cgroup at once.
	 * The first one is placed as the cgroups are made, with the first
	 * container (make_cgroups). */
	bool again = s->res && s->res->created;
	s->icfg.on_clone = record_pause;
	s->icfg.on_clone_arg = s;
	if ((s->icfg.bridge && lock < 0) || infra_start(&s->icfg, &s->infra) < 0)
		return -1;
	closep(&lock);
	s->infra_up = true; /* and pause.pid recorded: record_pause */
	if (again && res_place_sandbox(s->res, s->infra.pid) < 0)
		return -1;
	if (shm_up(s) < 0)
		return -1;
	state_put(s->dir, "veth", "%s", s->infra.veth_host);
	state_put(s->dir, "veth_ifindex", "%u",
	          s->infra.veth_host[0] ? if_nametoindex(s->infra.veth_host) : 0);
	state_put(s->dir, "bridge", "%s", s->infra.bridge);
	/* hostIP: the node's address the pod reaches it by, the bridge's */
	struct in_addr net;
	int prefix;
	char host_ip[INET_ADDRSTRLEN] = "";
	if (s->infra.ip[0] && infra_parse_subnet(s->icfg.subnet, &net, &prefix) == 0) {
		net.s_addr = htonl(ntohl(net.s_addr) + 1);
		inet_ntop(AF_INET, &net, host_ip, sizeof(host_ip));
	}
	state_put(s->dir, "host_ip", "%s", host_ip);
	if (status_set(&s->status, STATUS_READY_TO_START, true, NULL))
		status_write(&s->status, s->dir);
	s->pause_w.handle = pause_handle;
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &s->pause_w};
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->infra.pidfd, &e) < 0)
		return fail_errno("epoll_ctl(pause pidfd)");
	for (size_t i = 0; s->probes && i < s->spec->n_ctrs; i++)
		if (s->probes[i] &&
		    probe_set_netns(s->probes[i], s->infra.nsfd[NS_NET], s->infra.ip) < 0)
			return -1;
	return ports_set_netns(s->ports, s->infra.nsfd[NS_NET], s->infra.ip);
}

/* The pod's address is not the sandbox's: a sandbox made again (pause
 * died) has the same, and it stays taken meanwhile (release_ip). */
static void sandbox_down(struct sup *s)
{
	if (!s->infra_up)
		return;
	/* infra_stop closes the pidfd, which also takes it out of the epoll set. */
	infra_stop(&s->infra, 1000);
	s->infra_up = false;
	shm_down(s);
	state_put(s->dir, "pause.pid", "0");
	state_put(s->dir, "veth", "%s", "");
	state_put(s->dir, "veth_ifindex", "0");
	/* kubelet reports PodReadyToStartContainers False once the sandbox is
	 * gone (KEP-3085): at the pod's end too, not only when pause died */
	if (status_set(&s->status, STATUS_READY_TO_START, false, NULL))
		status_write(&s->status, s->dir);
}

/* Given back before the state stops saying it: until then no other pod's
 * start takes the address's file over (ipam.h). Not under the root's lock:
 * nobody else removes a file that names this pod while its state agrees.
 * A failure costs nothing for good: the file is a leftover once the state
 * says "", and the next search takes it over. */
static void release_ip(struct sup *s)
{
	if (!s->ip[0])
		return;
	(void)ipam_release(s->ip, s->spec->name);
	s->ip[0] = '\0';
	state_put(s->dir, "ip", "%s", "");
}

/* Pause died: the namespaces it held are going or gone. Kubelet's answer is
 * to kill the pod's containers and create a new sandbox; the containers then
 * start again in it (init containers too), their restart counts kept. */
static int pause_handle(struct ev_watch *w, uint32_t events)
{
	struct sup *s = (struct sup *)((char *)w - offsetof(struct sup, pause_w));
	(void)events;
	event(s, "sandbox: pause %d died, killing the containers and recreating it",
	      (int)s->infra.pid);
	status_event(s->dir, "Normal", "SandboxChanged", "pod",
	             "Pod sandbox changed, it will be killed and re-created.");
	status_set(&s->status, STATUS_READY_TO_START, false, NULL);
	init_pod_stop(&s->pod);
	if (s->stop_grace_ms >= 0)
		return 0; /* stopped meanwhile: no new sandbox, the pod ends */
	sandbox_down(s);
	fault_point("sandbox-down");
	if (sandbox_up(s) < 0)
		return -1;
	init_pod_reset(&s->pod);
	write_pod_files(s); /* the new sandbox's IP; in place, the binds follow */
	s->reset_count++;
	state_put(s->dir, "sandbox_restarts", "%lld", (long long)s->reset_count);
	event(s, "sandbox: pause %d, %s", (int)s->infra.pid,
	      s->infra.ip[0] ? s->infra.ip : "lo only");
	return 0;
}

/* ---- signals -------------------------------------------------------------------------- */

static void reap(struct sup *s)
{
	/* Reap only our containers, by pid: pause is reaped by infra_stop, and a
	 * waitpid(-1) here would steal it. */
	for (size_t i = 0; i < s->pod.n_members; i++) {
		struct init_member *m = &s->members[i];
		int st;
		if (m->c.state == CTR_RUNNING && waitpid(m->c.pid, &st, WNOHANG) == m->c.pid)
			init_pod_reaped(&s->pod, m->c.pid, st);
	}
}

static int sig_handle(struct ev_watch *w, uint32_t events)
{
	struct sup *s = (struct sup *)((char *)w - offsetof(struct sup, sig_w));
	struct signalfd_siginfo si;
	(void)events;
	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(s);
		else
			stop_asked(s, &si);
	}
	return 0;
}

/* ---- start and stop ------------------------------------------------------------------- */

static void notify(struct sup *s, const char *fmt, ...) PRINTF(2, 3);
static void notify(struct sup *s, const char *fmt, ...)
{
	if (s->o->notify_fd < 0 || s->ready)
		return;
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0 && write(s->o->notify_fd, msg, strlen(msg)) < 0) {
		/* the parent is gone; nobody to tell */
	}
	s->ready = true;
	close(s->o->notify_fd);
}

/* The pod's conditions from its members, kubelet's rules: an app container
 * or native sidecar is ready when it runs and its readinessProbe (if any)
 * passed - during a stop too. A pod that ended is not ready, and says why
 * (kubelet's PodCompleted, PodFailed). */
static void update_conditions(struct sup *s)
{
	bool ready = true;
	for (size_t i = 0; i < s->pod.n_members; i++) {
		const struct init_member *m = &s->members[i];
		struct probe_set *ps = s->probes ? s->probes[i] : NULL;
		if (!m->is_init || m->sidecar)
			ready = ready && m->c.state == CTR_RUNNING && (!ps || probe_set_ready(ps));
	}
	const char *why = "ContainersNotReady";
	if (s->pod.phase == INIT_PHASE_SUCCEEDED || s->pod.phase == INIT_PHASE_FAILED) {
		ready = false;
		why = s->pod.phase == INIT_PHASE_SUCCEEDED ? "PodCompleted" : "PodFailed";
	}
	bool changed = status_set(&s->status, STATUS_INITIALIZED, s->pod.initialized,
	                          "ContainersNotInitialized");
	changed |= status_set(&s->status, STATUS_CONTAINERS_READY, ready, why);
	changed |= status_set(&s->status, STATUS_READY, ready, why);
	if (changed)
		status_write(&s->status, s->dir);
}

/* A container that cannot get to Running on its own: run -d stops waiting
 * for it and says why (the pod goes on, as on a cluster). */
static const struct init_member *stuck(const struct sup *s)
{
	for (size_t i = 0; i < s->pod.n_members; i++) {
		const struct init_member *m = &s->members[i];
		if (!strcmp(m->waiting_reason, "CrashLoopBackOff") ||
		    !strcmp(m->waiting_reason, "ErrImageNeverPull") ||
		    start_error(m->waiting_reason) ||
		    (ctr_never_ran(&m->c) && !m->waiting_reason[0]))
			return m;
	}
	return NULL;
}

/* Why it is stuck: what it waits with, or how it ended (StartError, under
 * Never: it will not run at all). */
static const char *stuck_reason(const struct init_member *m)
{
	return m->waiting_reason[0] ? m->waiting_reason : m->c.reason;
}

static bool all_apps_running(const struct sup *s)
{
	for (size_t i = s->spec->n_init; i < s->pod.n_members; i++)
		if (s->members[i].c.state != CTR_RUNNING)
			return false;
	return true;
}

static const char *kind_name(const struct spec_container *sc)
{
	return sc->sidecar ? "sidecar" : sc->is_init ? "init" : "app";
}

/* What `podrun ps`, `logs`, `inspect` and `exec` need to know of a container,
 * kept as state when the pod starts: those commands never parse YAML again
 * (the spec could be huge, or hostile, or changed since). */
static int write_exec_config(const char *d, const struct pod_spec *sp,
                             const struct spec_container *sc, const struct ctr_image *ci)
{
	/* What the status reports as the effective stop signal (Kubernetes
	 * 1.33's ContainerStopSignals): the container's, else the image's,
	 * else SIGTERM. */
	char stop[32] = "";
	if (sc->stop_signal)
		snprintf(stop, sizeof(stop), "%s", sc->stop_signal);
	else if (img_signal_name(ci->stop_signal ? ci->stop_signal : SIGTERM, stop, sizeof(stop)) <
	         0)
		stop[0] = '\0'; /* 32 or 33: no name to report */
	/* every group, however many, as a list (state_get_list reads it
	 * whole): state_put would cut a line, and a gid cut short is another
	 * group */
	char *groups = malloc(ci->n_groups * 11 + 1), *p = groups;
	if (!groups)
		return fail_msg(ENOMEM, "out of memory");
	for (size_t i = 0; i < ci->n_groups; i++)
		p += sprintf(p, "%u", (unsigned)ci->groups[i]) + 1;
	int rc = state_put_bytes(d, "groups", groups, (size_t)(p - groups));
	free(groups);
	if (rc < 0 || state_put(d, "kind", "%s", kind_name(sc)) < 0 ||
	    state_put(d, "image", "%s", sc->image) < 0 ||
	    state_put(d, "image_id", "%s", ci->image_id) < 0 ||
	    state_put(d, "stop_signal", "%s", stop) < 0 ||
	    state_put(d, "container_id", "podrun://%s/%s", sp->name, sc->name) < 0 ||
	    state_put_list(d, "env", ci->env) < 0 ||
	    state_put_list(d, "cap_add", (char *const *)sc->cap_add) < 0 ||
	    state_put_list(d, "cap_drop", (char *const *)sc->cap_drop) < 0 ||
	    state_put(d, "privileged", "%d", sc->privileged) < 0 ||
	    state_put(d, "workdir", "%s", ci->workdir ? ci->workdir : "") < 0 ||
	    state_put(d, "share_pid", "%d", sp->share_pid) < 0 ||
	    state_put(d, "uid", "%u", (unsigned)ci->uid) < 0 ||
	    state_put(d, "gid", "%u", (unsigned)ci->gid) < 0 ||
	    state_put(d, "no_new_privs", "%d", !sc->sec.allow_privilege_escalation) < 0 ||
	    state_put(d, "seccomp", "%s", ctr_seccomp_type_name(sc->sec.seccomp)) < 0 ||
	    state_put(d, "seccomp_profile", "%s",
	              sc->sec.seccomp_profile ? sc->sec.seccomp_profile : "") < 0)
		return -1;
	return 0;
}

/* ---- the files kubelet writes for a pod ---------------------------------------- */

/* /etc/hosts with the pod's IP and hostname, /etc/hostname, /etc/resolv.conf:
 * written once per pod (and again when a new sandbox brings a new IP), bound
 * into every container. A file is rewritten in place: a bind mount holds its
 * inode, and a rename would leave the containers with the old one. */
static const struct {
	const char *name, *path;
} pod_files[] = {
    {"etc-hosts", "/etc/hosts"},
    {"etc-hostname", "/etc/hostname"},
    {"etc-resolv.conf", "/etc/resolv.conf"},
};

/* dnsPolicy None: only what dnsConfig says; else dnsConfig's nameservers,
 * search domains and options join the node's, as kubelet merges them. */
static void dns_config(const struct pod_spec *sp, char *resolv, size_t len)
{
	if (!sp->dns_none && !sp->dns_nameservers && !sp->dns_searches && !sp->dns_options)
		return;
	/* search: the API server's 2048 characters of the pod's, and the node's */
	char ns[1024] = "", search[2048 + 1024] = "", opts[1024] = "";
	if (!sp->dns_none) {
		for (char *save = NULL, *l = strtok_r(resolv, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(l, "nameserver", 10))
				snprintf(ns + strlen(ns), sizeof(ns) - strlen(ns), "%s\n", l);
			else if (!strncmp(l, "search", 6))
				snprintf(search + strlen(search), sizeof(search) - strlen(search),
				         "%s", l + 6);
			else if (!strncmp(l, "options", 7))
				snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), "%s",
				         l + 7);
		}
	}
	for (char **p = sp->dns_nameservers; p && *p; p++)
		snprintf(ns + strlen(ns), sizeof(ns) - strlen(ns), "nameserver %s\n", *p);
	for (char **p = sp->dns_searches; p && *p; p++)
		snprintf(search + strlen(search), sizeof(search) - strlen(search), " %s", *p);
	for (char **p = sp->dns_options; p && *p; p++)
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), " %s", *p);
	snprintf(resolv, len, "%s%s%s%s%s%s", ns, search[0] ? "search" : "", search,
	         search[0] ? "\n" : "", opts[0] ? "options" : "", opts);
	if (opts[0])
		snprintf(resolv + strlen(resolv), len - strlen(resolv), "\n");
}

/* The node's file at path, whole, onto out; false when it cannot be read. */
static bool copy_node_file(const char *path, FILE *out)
{
	FILE *in = fopen(path, "re");
	if (!in)
		return false;
	char buf[4096];
	for (size_t n; (n = fread(buf, 1, sizeof(buf), in)) > 0;)
		fwrite(buf, 1, n, out);
	fclose(in);
	return true;
}

static int write_pod_files(struct sup *s)
{
	const struct pod_spec *sp = s->spec;
	char line[256];
	/* kubelet's managed hosts file: the pod's name resolves to its IP. A
	 * stream, not a fixed buffer: the node's file and the pod's hostAliases
	 * have no size the API server bounds, and a cut would go unnoticed. */
	_cleanup_free_ char *text = NULL;
	size_t text_len = 0;
	FILE *hosts = open_memstream(&text, &text_len);
	if (!hosts)
		return fail_errno("open_memstream(hosts)");
	char node[HOST_NAME_MAX + 1] = "localhost";
	gethostname(node, sizeof(node));
	const char *hostname = sp->host_network ? node : sp->hostname;
	/* hostNetwork: the node's own hosts file, copied (kubelet copies it too:
	 * a bind of the node's file would let the container write it) */
	if (!sp->host_network || !copy_node_file("/etc/hosts", hosts))
		fprintf(hosts,
		        "# Kubernetes-managed hosts file (written by podrun).\n"
		        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
		        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\n"
		        "fe00::2\tip6-allrouters\n%s\t%s\n",
		        s->infra.ip[0] ? s->infra.ip : "127.0.1.1", hostname);
	if (sp->n_host_aliases)
		fprintf(hosts, "\n# Entries added by HostAliases.\n");
	for (size_t a = 0; a < sp->n_host_aliases; a++) {
		fprintf(hosts, "%s", sp->host_aliases[a].ip);
		for (char **h = sp->host_aliases[a].hostnames; h && *h; h++)
			fprintf(hosts, "\t%s", *h);
		fprintf(hosts, "\n");
	}
	if (fclose(hosts) != 0)
		return fail_errno("the pod's hosts file");
	/* dnsPolicy ClusterFirst with no cluster DNS falls back to the node's
	 * resolv.conf, as kubelet does ("Default"); a stub resolver on the node's
	 * loopback is useless in the pod's netns, so systemd's real file first. */
	char resolv[8192] = "";
	if (read_file("/run/systemd/resolve/resolv.conf", resolv, 4096) < 0 &&
	    read_file("/etc/resolv.conf", resolv, 4096) < 0)
		resolv[0] = '\0';
	if (resolv[0])
		strcat(resolv, "\n"); /* read_file took the last newline away */
	dns_config(sp, resolv, sizeof(resolv));
	for (size_t k = 0; k < ARRAY_SIZE(pod_files); k++) {
		struct volume *v = &s->pod_files[k];
		snprintf(v->name, sizeof(v->name), "%s", pod_files[k].name);
		v->kind = VOL_HOSTPATH;
		v->is_dir = false;
		pathf(v->host_path, sizeof(v->host_path), "%s/%s", s->data, pod_files[k].name);
		const char *content = k == 0 ? text : k == 1 ? line : resolv;
		if (k == 1)
			snprintf(line, sizeof(line), "%s\n", hostname);
		if (put_file(v->host_path, content) < 0)
			return -1;
	}
	return 0;
}

/* ---- images ---------------------------------------------------------------------- */

/* The image's User without the pod's say: kubelet's verifyRunAsNonRoot. The
 * uid is the pod's runAsUser, else the number in the image's User; a name
 * there cannot be verified before the container runs, and is refused. */
static int check_non_root(const struct pod_spec *sp, const struct spec_container *sc,
                          const struct img_image *img)
{
	if (sc->sec.run_as_non_root <= 0)
		return 0;
	const char *user = img->config.user ? img->config.user : "";
	size_t ul = strcspn(user, ":");
	bool numeric = strspn(user, "0123456789") >= ul;
	bool root = sc->sec.run_as_user >= 0
	                ? sc->sec.run_as_user == 0
	                : ul == 0 || (numeric && strtoull(user, NULL, 10) == 0);
	if (sc->sec.run_as_user < 0 && ul > 0 && !numeric)
		return fail_msg(EPERM,
		                "%s:%d:%d: container %s: CreateContainerConfigError: container has "
		                "runAsNonRoot and image has non-numeric user (%.*s), cannot verify "
		                "user is non-root",
		                sp->file, sc->sec_mark.line, sc->sec_mark.col, sc->name, (int)ul,
		                user);
	if (root)
		return fail_msg(EPERM,
		                "%s:%d:%d: container %s: CreateContainerConfigError: container has "
		                "runAsNonRoot and image will run as root",
		                sp->file, sc->sec_mark.line, sc->sec_mark.col, sc->name);
	return 0;
}

static void ctr_image_free(struct ctr_image *ci)
{
	free(ci->lower);
	img_strv_free(ci->argv);
	img_strv_free(ci->env);
	free(ci->workdir);
	free(ci->groups);
	*ci = (struct ctr_image){0};
}

/* The container's supplementary groups, as containerd gives them: its
 * primary gid first (a process that changes its gid keeps that group);
 * under supplementalGroupsPolicy Merge, Kubernetes' default, the groups the
 * image's /etc/group lists its user in; then the pod's supplementalGroups
 * and fsGroup. Strict leaves the image's out: an image cannot grant its
 * user a group the pod did not ask for. Each gid once. */
static int container_groups(const struct pod_spec *sp, const struct spec_container *sc,
                            const struct img_image *img, struct ctr_image *ci)
{
	gid_t *mine = NULL;
	size_t n_mine = 0;
	if (!sp->groups_strict) {
		/* the user containerd looks up: runAsUser, else the image's
		 * User without its group, else root */
		char user[256] = "0";
		const char *u = img->config.user;
		if (sc->sec.run_as_user >= 0)
			snprintf(user, sizeof(user), "%lld", (long long)sc->sec.run_as_user);
		else if (u && *u && *u != ':')
			snprintf(user, sizeof(user), "%.*s", (int)strcspn(u, ":"), u);
		if (img_user_groups(ci->lower, user, &mine, &n_mine) < 0)
			return -1;
	}
	size_t want = 1 + n_mine + sc->n_groups, n = 0;
	if (want > NGROUPS_MAX) {
		free(mine);
		return fail_msg(E2BIG,
		                "%zu supplementary groups (the image's /etc/group gives %zu): "
		                "more than the kernel's NGROUPS_MAX (%d)",
		                want, n_mine, NGROUPS_MAX);
	}
	gid_t *g = malloc(want * sizeof(*g));
	if (!g) {
		free(mine);
		return fail_msg(ENOMEM, "out of memory");
	}
	g[n++] = ci->gid;
	for (size_t i = 0; i < n_mine; i++)
		if (mine[i] != ci->gid)
			g[n++] = mine[i];
	free(mine);
	for (size_t i = 0; i < sc->n_groups; i++) {
		size_t k = 0;
		while (k < n && g[k] != (gid_t)sc->groups[i])
			k++;
		if (k == n)
			g[n++] = (gid_t)sc->groups[i];
	}
	ci->groups = g;
	ci->n_groups = n;
	return 0;
}

/* One container's image, found in the store and applied to it, into *out
 * (empty before the call). -3: the image is not in the store; -2: refused,
 * the message is complete; -1: any other error. On failure *out is left as
 * it was. */
static int resolve_image(const char *store, const struct pod_spec *sp,
                         const struct spec_container *sc, struct ctr_image *out)
{
	struct img_image img;
	if (img_get(store, sc->image, &img) < 0)
		return errno == ENOENT ? -3 : -1;
	int rc = -1;
	struct ctr_image c = {0}, *ci = &c;
	char lower[4096];
	snprintf(ci->image_id, sizeof(ci->image_id), "%s", img.id);
	if (img_lowerdir(store, sc->image, lower, sizeof(lower)) < 0)
		goto out;
	if (!(ci->lower = strdup(lower))) {
		fail_msg(ENOMEM, "out of memory");
		goto out;
	}
	char why[1024];
	if (check_non_root(sp, sc, &img) < 0) {
		rc = -2;
		goto out;
	}
	if (img_container_argv(&img.config, sc->command, sc->args, &ci->argv) < 0) {
		snprintf(why, sizeof(why), "%s", last_error());
		fail_msg(EINVAL, "image %s: %s", img.ref, why);
		goto out;
	}
	if (img_container_env(&img.config, sc->env, &ci->env) < 0)
		goto out;
	const char *wd = sc->working_dir ? sc->working_dir : img.config.working_dir;
	if (wd && *wd && !(ci->workdir = strdup(wd))) {
		fail_msg(ENOMEM, "out of memory");
		goto out;
	}
	/* The user: the pod's runAsUser/runAsGroup win; what they leave open
	 * comes from the image's User, names looked up in the image's files.
	 * With runAsUser alone the group is that uid's in the image's
	 * /etc/passwd, as containerd does it. */
	char uidstr[24];
	const char *user = img.config.user;
	if (sc->sec.run_as_user >= 0) {
		snprintf(uidstr, sizeof(uidstr), "%lld", (long long)sc->sec.run_as_user);
		user = uidstr;
	}
	if (img_resolve_user(ci->lower, user, true, sc->sec.run_as_group < 0, &ci->uid, &ci->gid) <
	    0) {
		int err = errno;
		snprintf(why, sizeof(why), "%s", last_error());
		fail_msg(err, "image %s: %s", img.ref, why);
		goto out;
	}
	if (sc->sec.run_as_group >= 0)
		ci->gid = (gid_t)sc->sec.run_as_group;
	if (container_groups(sp, sc, &img, ci) < 0) {
		int err = errno;
		snprintf(why, sizeof(why), "%s", last_error());
		fail_msg(err, "image %s: %s", img.ref, why);
		goto out;
	}
	ci->stop_signal = img.config.stop_signo;
	rc = 0;
	*out = c;
out:
	img_image_free(&img);
	if (rc < 0)
		ctr_image_free(&c);
	return rc;
}

/* Each container must have something to run before anything of the pod
 * exists. An image that is not in the store does not stop the pod: as
 * kubelet does with imagePullPolicy Never (podrun pulls nothing), the
 * sandbox comes up and that container waits, ErrImageNeverPull, looked for
 * again at each try to start it (member_image): `podrun image load` lets it
 * start. */
static int resolve_images(struct sup *s)
{
	const struct pod_spec *sp = s->spec;
	s->imgs = calloc(sp->n_ctrs ? sp->n_ctrs : 1, sizeof(*s->imgs));
	if (!s->imgs)
		return fail_msg(ENOMEM, "out of memory");
	for (size_t i = 0; i < sp->n_ctrs; i++) {
		const struct spec_container *c = &sp->ctrs[i];
		int r = resolve_image(s->o->images, sp, c, &s->imgs[i]);
		if (r == -2)
			return -1;
		if (r == -3)
			continue;
		if (r < 0) {
			char why[1024];
			int err = errno;
			snprintf(why, sizeof(why), "%s", last_error());
			return fail_msg(err, "%s:%d:%d: container %s: %s", sp->file, c->mark.line,
			                c->mark.col, c->name, why);
		}
	}
	return 0;
}

/* Give a container what its image makes of it (resolve_image): Kubernetes'
 * env and argv (valueFrom resolved, $(VAR) expanded in env, command and
 * args), the overlay's lower layers, the working directory and the user; and
 * the state `podrun exec` and `get` read. The state's env (what exec uses)
 * is the result. An image not found yet (lower NULL) gives only the state. */
static int apply_image(struct sup *s, struct init_member *m)
{
	const struct pod_spec *sp = s->spec;
	size_t i = (size_t)(m - s->members);
	const struct spec_container *sc = &sp->ctrs[i];
	struct ctr_image *ci = &s->imgs[i];
	if (ci->lower) {
		char **env, **argv;
		if (env_build(&s->ectx, sc, ci->env, ci->argv, &env, &argv) < 0) {
			char why[1024];
			int err = errno;
			snprintf(why, sizeof(why), "%s", last_error());
			return fail_msg(err,
			                "%s:%d:%d: container %s: CreateContainerConfigError: %s",
			                sp->file, sc->mark.line, sc->mark.col, sc->name, why);
		}
		img_strv_free(ci->env);
		ci->env = env;
		img_strv_free(ci->argv);
		ci->argv = argv;
		m->cfg.rootfs_lower = ci->lower;
		m->cfg.argv = ci->argv;
		m->cfg.env = ci->env;
		m->cfg.working_dir = ci->workdir;
		m->cfg.uid = ci->uid;
		m->cfg.gid = ci->gid;
		m->cfg.groups = ci->groups;
		m->cfg.n_groups = ci->n_groups;
		/* the container's lifecycle.stopSignal over the image's */
		m->stop_signal = sc->stop_signo ? sc->stop_signo : ci->stop_signal;
	}
	char d[PATH_MAX];
	member_dir(s, m, d, sizeof(d));
	return write_exec_config(d, sp, sc, ci);
}

/* kubelet makes sure of a container's image at each start
 * (EnsureImageExists): one found when the pod started and still whole is
 * used as it is; one missing then, or gone since (podrun image rm, the store
 * moved away), is looked for again - it may have been loaded meanwhile - and
 * applied. -1 with kubelet's reason in m->waiting_reason and its message in
 * last_error(). */
static void forget_image(struct sup *s, struct init_member *m)
{
	ctr_image_free(&s->imgs[m - s->members]);
	/* and what the container's config borrowed of it */
	m->cfg.rootfs_lower = m->cfg.working_dir = NULL;
	m->cfg.argv = m->cfg.env = NULL;
	m->cfg.groups = NULL;
	m->cfg.n_groups = 0;
}

static int member_image(struct sup *s, struct init_member *m)
{
	const struct spec_container *sc = &s->spec->ctrs[m - s->members];
	struct ctr_image *ci = &s->imgs[m - s->members];
	if (ci->lower && layers_present(ci->lower))
		return 0;
	forget_image(s, m);
	int r = resolve_image(s->o->images, s->spec, sc, ci);
	if (r == 0 && apply_image(s, m) == 0)
		return 0;
	if (r == 0)
		forget_image(s, m); /* half applied: the next try starts over */
	snprintf(m->waiting_reason, sizeof(m->waiting_reason), "%s",
	         r == -3 ? "ErrImageNeverPull" : "CreateContainerConfigError");
	if (r == -3)
		return fail_msg(ENOENT,
		                "Container image \"%s\" is not present with pull policy of Never",
		                sc->image);
	return -1;
}

/* ---- eviction: a disk emptyDir over its sizeLimit -------------------------------- */

/* How often kubelet's eviction manager looks: every 10 s, or
 * $PODRUN_EVICTION_PERIOD (a duration). */
static int eviction_period(int64_t *ms)
{
	const char *e = getenv("PODRUN_EVICTION_PERIOD");
	int64_t ns = 10 * 1000000000LL;
	if (e && *e && (spec_parse_duration(e, &ns) < 0 || ns < 1000000))
		return fail_msg(EINVAL,
		                "PODRUN_EVICTION_PERIOD=%s: a duration of 1ms or more (10s)", e);
	*ms = ns / 1000000;
	return 0;
}

/* What the eviction manager measures: a disk emptyDir with a sizeLimit. */
static bool sized_on_disk(const struct vol_spec *v)
{
	return v->kind == VOL_EMPTYDIR && !v->memory && v->size_limit;
}

/* vol_usage in a child: fts changes directory as it walks, and a walk of a
 * big volume must not hold the supervisor past a bound, nor the containers'
 * logs meanwhile. The child writes the byte count, or why it has none. */
static int measure_volume(struct sup *s, const char *dir, uint64_t *bytes)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return fail_errno("pipe2");
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return fail_errno("fork");
	}
	if (pid == 0) {
		become_helper(&p[1], 1, parent);
		fault_hold("volume-measuring");
		uint64_t b = 0;
		if (vol_usage(dir, &b) == 0)
			_exit(write(p[1], &b, sizeof(b)) == sizeof(b) ? 0 : 1);
		const char *e = last_error();
		if (write(p[1], e, strlen(e)) < 0) {
			/* the supervisor reports the exit status alone */
		}
		_exit(1);
	}
	close(p[1]);
	bool answered = wait_serving_logs(s, p[0], now_ms() + 5000, false);
	char got[PATH_MAX];
	ssize_t n = answered ? read(p[0], got, sizeof(got) - 1) : 0;
	close(p[0]);
	if (!answered)
		kill(pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	if (!answered)
		return fail_msg(ETIMEDOUT, "measuring %s: no answer within 5 s", dir);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == sizeof(*bytes)) {
		memcpy(bytes, got, sizeof(*bytes));
		return 0;
	}
	got[n > 0 ? n : 0] = '\0';
	if (WIFEXITED(st) && got[0])
		return fail_msg(EIO, "measuring %s: %s", dir, got);
	if (WIFSIGNALED(st))
		return fail_msg(EIO, "measuring %s: the measuring process was killed by SIG%s", dir,
		                sigabbrev_np(WTERMSIG(st)));
	return fail_msg(EIO, "measuring %s: the measuring process exited %d", dir, WEXITSTATUS(st));
}

/* kubelet's eviction manager, for the one signal that is a pod's own: a
 * disk emptyDir that outgrew its sizeLimit evicts the pod - its containers
 * killed at once, the pod Failed, reason Evicted. (A Memory emptyDir is a
 * tmpfs of that size: the kernel answers ENOSPC instead.) */
static void check_evictions(struct sup *s)
{
	for (size_t i = 0; i < s->n_vols && !s->evicted[0]; i++) {
		const struct vol_spec *v = &s->spec->volumes[i].v;
		uint64_t used;
		if (!sized_on_disk(v))
			continue;
		if (measure_volume(s, s->vols[i].host_path, &used) < 0) {
			event(s, "emptyDir %s: %s", v->name, last_error());
			continue;
		}
		if (used <= v->size_limit)
			continue;
		char limit[32], why[sizeof(s->evicted)];
		podjson_bytes_quantity((int64_t)v->size_limit, limit, sizeof(limit));
		snprintf(why, sizeof(why),
		         "Usage of EmptyDir volume \"%s\" exceeds the limit \"%s\". ", v->name,
		         limit);
		/* kubelet's evictPod refuses a critical pod: what the node cannot
		 * run without is not evicted to save its disk. Said once. */
		if (spec_critical(s->spec)) {
			if (!s->critical_kept)
				event(s, "cannot evict a critical pod (priority %d): %s",
				      (int)s->spec->priority, why);
			s->critical_kept = true;
			continue;
		}
		snprintf(s->evicted, sizeof(s->evicted), "%s", why);
		s->stop_grace_ms = 0;
		state_put(s->dir, "reason", "Evicted");
		state_put(s->dir, "message", "%s", s->evicted);
		status_event(s->dir, "Warning", "Evicted", "pod", "%s", s->evicted);
		event(s, "Evicted: %s", s->evicted);
	}
}

/* The state root's lock, taken before admission, is let go once what the
 * next pod's start reads of this one is recorded: its requests (admission:
 * res_pod_create writes them) and its address (ipam.h: the file of the
 * address pod_create took is the pod's while "ip" says so). */
static void unlock_root(struct sup *s)
{
	if (s->res->created && s->infra_up)
		closep(&s->lock);
}

/* The pod's cgroup and pause's in it (pause runs already: placed from
 * here), then each container's, which place_member puts it in. Once: the
 * first container placed makes them, or the pod's first step when it
 * started none - or, on a kernel that expedites grace periods, the first
 * container as soon as it is cloned (member_building). Under the lock
 * pod_create took. */
static int make_cgroups(struct sup *s, pid_t pause)
{
	if (s->cg_error[0])
		return fail_msg(EIO, "%s", s->cg_error);
	if (s->res->created)
		return 0;
	bool ok =
	    res_pod_create(s->res, s->spec, s->dir) == 0 && res_place_sandbox(s->res, pause) == 0;
	for (size_t i = 0; ok && i < s->spec->n_ctrs; i++)
		ok = res_ctr_create(s->res, s->spec, i, &s->cgroups[i]) == 0;
	if (!ok) {
		snprintf(s->cg_error, sizeof(s->cg_error), "pod %s: cgroups: %s", s->spec->name,
		         last_error());
		return fail_msg(errno, "%s", s->cg_error);
	}
	fault_point("cgroup-created");
	unlock_root(s);
	return 0;
}

/* ctr_config.building: the container is cloned and builds its root. Where
 * the first move into a cgroup waits for nothing worth hiding (an expedited
 * grace period, resources.h), the pod's cgroups are made now, on this CPU
 * while the container builds on the other, not once it is built. A failure
 * is kept (cg_error) for place_member to report. */
static void member_building(void *arg)
{
	const struct member_ref *r = arg;
	if (r->s->cgroups_early)
		make_cgroups(r->s, r->s->infra.pid);
}

/* ctr_config.place: the container is built, its execve waits for this.
 * The first container placed makes the pod's cgroups: by then the grace
 * period the first of them waits for (res_warm_moves) has passed, or most
 * of it, while the container was built. Then it is written into its own,
 * from outside, before its command runs its first instruction, and given
 * its oom_score_adj, which `podrun exec` reads from the state. */
static int place_member(void *arg, pid_t pid)
{
	const struct member_ref *r = arg;
	struct sup *s = r->s;
	struct res_member *rm = &s->cgroups[r->i];
	fault_point("container-built");
	if (make_cgroups(s, s->infra.pid) < 0)
		return -1;
	int want = rm->oom_score_adj;
	if (res_place(rm, pid) < 0)
		return -1;
	if (rm->oom_score_adj != want && !s->adj_floored) {
		s->adj_floored = true;
		status_event(
		    s->dir, "Warning", "OOMScoreAdjFloored", "pod",
		    "oom_score_adj %d (%s) of container %s is %d, podrun's own: the kernel "
		    "lets no lower one be set without CAP_SYS_RESOURCE",
		    want,
		    spec_node_critical(s->spec) ? s->spec->priority_class
		                                : cg_qos_name(s->res->qos),
		    s->members[r->i].cfg.name, rm->oom_score_adj);
	}
	char d[PATH_MAX];
	member_dir(s, &s->members[r->i], d, sizeof(d));
	return state_put(d, "oom_score_adj", "%d", rm->oom_score_adj);
}

/* Does the container mount a volume of its own at path? Then what podrun
 * would bind there for every container (/dev/shm, /etc/hosts...) is left out. */
static bool mounts_at(const struct spec_container *sc, const char *path)
{
	for (size_t j = 0; j < sc->n_mounts; j++)
		if (!strcmp(sc->mounts[j].mount_path, path))
			return true;
	return false;
}

static int setup_members(struct sup *s)
{
	const struct pod_spec *sp = s->spec;
	size_t nm = 0;
	for (size_t i = 0; i < sp->n_ctrs; i++)
		nm += sp->ctrs[i].n_mounts + ARRAY_SIZE(pod_files) + 1;
	s->members = calloc(sp->n_ctrs, sizeof(*s->members));
	s->mounts = calloc(nm ? nm : 1, sizeof(*s->mounts));
	s->sub_paths = calloc(nm ? nm : 1, sizeof(*s->sub_paths));
	if (!s->members || !s->mounts || !s->sub_paths)
		return fail_msg(ENOMEM, "out of memory");
	s->refs = calloc(sp->n_ctrs, sizeof(*s->refs));
	s->oom_seen = calloc(sp->n_ctrs, sizeof(*s->oom_seen));
	s->last = calloc(sp->n_ctrs, sizeof(*s->last));
	s->prev = calloc(sp->n_ctrs, sizeof(*s->prev));
	s->memos = calloc(sp->n_ctrs, sizeof(*s->memos));
	s->kills = calloc(sp->n_ctrs, sizeof(*s->kills));
	if (!s->cgroups || !s->refs || !s->oom_seen || !s->last || !s->prev || !s->memos ||
	    !s->kills)
		return fail_msg(ENOMEM, "out of memory");
	for (size_t i = 0; i < sp->n_ctrs; i++)
		s->kills[i] = (struct member_kill){
		    .w.handle = kill_hook_handle, .s = s, .i = i, .hook = {.pidfd = -1, .why = -1}};
	struct ctr_mount *mt = s->mounts;
	char **names = calloc(sp->n_ctrs + 1, sizeof(*names));
	if (!names)
		return fail_msg(ENOMEM, "out of memory");
	for (size_t i = 0; i < sp->n_ctrs; i++)
		names[i] = (char *)sp->ctrs[i].name;
	int rc = state_put_list(s->dir, "container_names", names);
	free(names);
	if (rc < 0)
		return -1;
	/* The container kubectl logs and exec pick when none is named (cli.c);
	 * written only when the pod has the annotation, a file less to write
	 * at every start otherwise. */
	static const char dflt[] = "kubectl.kubernetes.io/default-container=";
	for (char **a = sp->annotations; *a; a++)
		if (!strncmp(*a, dflt, sizeof(dflt) - 1) &&
		    state_put(s->dir, "default_container", "%s", *a + sizeof(dflt) - 1) < 0)
			return -1;
	/* What valueFrom fieldRef/resourceFieldRef and $(VAR) need: the pod's
	 * IP is known now, the sandbox is up. */
	int64_t node_mem = 0, node_cpu = 0;
	if (res_node(&node_mem, &node_cpu) < 0)
		return -1;
	snprintf(s->node, sizeof(s->node), "localhost");
	gethostname(s->node, sizeof(s->node));
	state_get(s->dir, "host_ip", s->host_ip, sizeof(s->host_ip));
	s->ectx = (struct env_ctx){.pod = sp,
	                           .uid = s->uid,
	                           .pod_ip = s->infra.ip,
	                           .host_ip = s->host_ip,
	                           .node_name = s->node,
	                           .node_memory = node_mem,
	                           .node_cpu_milli = node_cpu};
	for (size_t i = 0; i < sp->n_ctrs; i++) {
		const struct spec_container *sc = &sp->ctrs[i];
		struct init_member *m = &s->members[i];
		char d[PATH_MAX], fs[PATH_MAX + 300];
		member_dir(s, &(struct init_member){.cfg.name = sc->name}, d, sizeof(d));
		if (mkdir_p(d, 0700) < 0)
			return -1;
		snprintf(fs, sizeof(fs), "%s/containers/%s/fs", s->data, sc->name);
		char *profile = NULL;
		if (sc->sec.seccomp == CTR_SECCOMP_LOCALHOST &&
		    asprintf(&profile, "%s/seccomp/%s", state_data_root(),
		             sc->sec.seccomp_profile) < 0)
			return fail_msg(ENOMEM, "out of memory");
		/* the file behind terminationMessagePath, 0666: any user may write it */
		char *termlog = NULL;
		if (asprintf(&termlog, "%s/containers/%s/termination-log", s->data, sc->name) < 0) {
			free(profile);
			return fail_msg(ENOMEM, "out of memory");
		}
		char cdir[PATH_MAX + 300];
		snprintf(cdir, sizeof(cdir), "%s/containers/%s", s->data, sc->name);
		if (mkdir_p(cdir, 0700) < 0 || put_file(termlog, "") < 0 ||
		    (chmod(termlog, 0666) < 0 && fail_errno("chmod(%s, 0666)", termlog) < 0)) {
			free(termlog);
			free(profile);
			return -1;
		}
		char *state_dir = strdup(fs);
		if (!state_dir) {
			free(termlog);
			free(profile);
			return fail_msg(ENOMEM, "out of memory");
		}
		m->cfg = (struct ctr_config){
		    .name = sc->name,
		    .image = sc->image,
		    .state_dir = state_dir,
		    .mounts = mt,
		    .n_mounts = 0, /* counted below */
		    .share_pid = sp->share_pid || sp->host_pid,
		    .cap_add = sc->cap_add,
		    .cap_drop = sc->cap_drop,
		    .privileged = sc->privileged,
		    .readonly_root = sc->read_only_root,
		    /* .groups: the image's /etc/group may add some, apply_image */
		    .allow_privilege_escalation = sc->sec.allow_privilege_escalation > 0,
		    .seccomp = (enum ctr_seccomp_type)sc->sec.seccomp,
		    .seccomp_profile = profile,
		    .stdin_fd = -1,
		    .stdout_fd = -1,
		    .stderr_fd = -1,
		    .place = place_member,
		    .place_arg = &s->refs[i],
		    .building = member_building,
		    .termination_log = termlog,
		    .termination_path = sc->term_path ? sc->term_path : "/dev/termination-log",
		    /* the hierarchies of the cgroups podrun makes it (lab 06) */
		    .mount_cgroups = cg_ctrl_names,
		};
		if (apply_image(s, m) < 0)
			return -1;
		/* The sandbox's /dev/shm first: a volume of the container's own
		 * at /dev/shm, or within it, then goes on top. */
		if (!mounts_at(sc, "/dev/shm")) {
			*mt++ = (struct ctr_mount){.volume = &s->shm, .mount_path = "/dev/shm"};
			m->cfg.n_mounts++;
		}
		for (size_t k = 0; k < sc->n_mounts; k++, mt++) {
			const struct spec_mount *sm = &sc->mounts[k];
			const char *sub = sm->sub_path;
			/* a subPathExpr is a subPath once the container's env is known */
			if (sm->sub_path_expr) {
				sub = s->sub_paths[s->n_sub_paths] =
				    env_sub_path(&s->ectx, sc, sm->sub_path_expr);
				if (!sub) {
					char why[1024];
					int err = errno;
					snprintf(why, sizeof(why), "%s", last_error());
					return fail_msg(err,
					                "%s:%d:%d: container %s: "
					                "CreateContainerConfigError: %s",
					                sp->file, sm->mark.line, sm->mark.col,
					                sc->name, why);
				}
				s->n_sub_paths++;
			}
			*mt = (struct ctr_mount){.volume = &s->vols[sm->volume],
			                         .mount_path = sm->mount_path,
			                         .sub_path = sub,
			                         .readonly = sm->read_only};
		}
		m->cfg.n_mounts += sc->n_mounts;
		/* The files kubelet manages in every container - unless the pod
		 * mounts something of its own there. */
		for (size_t k = 0; k < ARRAY_SIZE(pod_files); k++) {
			if (mounts_at(sc, pod_files[k].path))
				continue;
			*mt++ = (struct ctr_mount){.volume = &s->pod_files[k],
			                           .mount_path = pod_files[k].path};
			m->cfg.n_mounts++;
		}
		s->refs[i] = (struct member_ref){.s = s, .i = i};
		m->is_init = sc->is_init;
		m->sidecar = sc->sidecar;
		m->c.pidfd = -1;
		strcpy(m->waiting_reason, sc->is_init ? "" : "PodInitializing");
		write_member(s, m);
	}
	s->pod = (struct init_pod){
	    .sandbox = &s->infra,
	    .members = s->members,
	    .n_members = sp->n_ctrs,
	    .policy = sp->restart_policy,
	    .grace_ms = (int)(sp->grace_seconds * 1000),
	    .arg = s,
	    .before_start = hook_before_start,
	    .after_start = hook_after_start,
	    .on_change = hook_on_change,
	    .retry_failed_starts = true,
	    .pre_stop = hook_pre_stop,
	    .pre_stop_end = hook_pre_stop_end,
	    .min_grace_ms = POD_MIN_GRACE_MS,
	    .stop_fd = s->stop_epfd,
	    .on_stop_fd = stop_serve,
	    .started = hook_started,
	};
	return 0;
}

/* Claim ROOT/pods/NAME: clean what a dead supervisor left there; refuse
 * when a live one runs the pod. Called with the root locked. */
static int claim_dir(struct sup *s)
{
	char dir[PATH_MAX], data[PATH_MAX];
	if (state_pod_dir(s->spec->name, dir, sizeof(dir)) < 0 ||
	    state_data_dir(s->spec->name, data, sizeof(data)) < 0)
		return -1;
	/* What an earlier pod of this name left: its state, or only its data -
	 * a reboot empties the state's tmpfs, not the disk, and an overlay of
	 * the old run or an emptyDir with its files must not be taken over. */
	if (access(dir, F_OK) == 0 || access(data, F_OK) == 0) {
		pid_t pid = state_live_pid(dir, "supervisor");
		if (pid)
			return fail_msg(EEXIST, "pod %s is already running (supervisor %d)",
			                s->spec->name, (int)pid);
		if (state_clean(dir, true) < 0)
			return -1;
	}
	if (state_make_pod_dir(dir) < 0)
		return -1;
	/* From here on the directories are ours, and a failure removes them.
	 * The supervisor is named at once: a second run of this pod, or an
	 * rm -f, must see the directory taken from its first moment. */
	memcpy(s->dir, dir, sizeof(dir));
	memcpy(s->data, data, sizeof(data));
	if (state_put_pid(s->dir, "supervisor", getpid()) < 0)
		return -1;
	char sub[PATH_MAX + 16];
	snprintf(sub, sizeof(sub), "%s/containers", s->dir);
	if (mkdir_p(sub, 0700) < 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s/logs", s->data);
	if (mkdir_p(sub, 0700) < 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s/containers", s->data);
	if (mkdir_p(sub, 0700) < 0)
		return -1;
	return 0;
}

int pod_lock_root(void)
{
	char path[PATH_MAX];
	if (state_check_roots(true) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pods", state_root());
	if (mkdir_p(path, 0700) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/lock", state_root());
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno("open(%s)", path);
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return fail_errno("flock(%s)", path);
	}
	return fd;
}

static int write_spec(struct sup *s, const char *text, size_t len)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/spec.yaml", s->dir);
	_cleanup_close_ int fd =
	    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno("open(%s)", path);
	return write_whole(fd, text, len, path);
}

/* The first container's RuntimeDefault filter, built now, while the grace
 * period res_warm_moves started passes (2 ms of libseccomp; res_pod_create
 * waits for its end), and the container's start then only copies it
 * (seccomp_filter.c keeps the last one built). Where grace periods are
 * expedited there is none to pass: it is only built earlier, not twice.
 * For the capabilities the build made a program for (seccomp_default.h)
 * there is nothing to build: this only copies it, a few microseconds. A
 * failure is the start's to report: it builds the filter again. */
static void warm_seccomp(const struct pod_spec *sp)
{
	if (sp->n_ctrs == 0)
		return;
	const struct spec_container *sc = &sp->ctrs[0];
	struct ctr_config cfg = {
	    .cap_add = sc->cap_add, .cap_drop = sc->cap_drop, .privileged = sc->privileged};
	uint64_t caps;
	struct ctr_seccomp *filter = NULL;
	if (sc->sec.seccomp == CTR_SECCOMP_RUNTIME_DEFAULT && ctr_caps_mask(&cfg, &caps) == 0 &&
	    ctr_seccomp_build(CTR_SECCOMP_RUNTIME_DEFAULT, NULL, caps, &filter) == 0)
		ctr_seccomp_free(filter);
}

/* Bring up everything before the containers, in SyncPod's order (but for
 * the cgroups: see below). */
static int pod_create(struct sup *s, const char *text, size_t len)
{
	const struct pod_spec *sp = s->spec;
	/* The image store stays as it is until the pod's state names its
	 * images (setup_members): `podrun image rm` asks which images pods use
	 * under the store's lock, and would otherwise not see the ones this pod
	 * has found and not yet recorded - and take their layers from under it. */
	_cleanup_close_ int hold = img_store_hold(s->o->images);
	if (hold < 0 && errno != ENOENT)
		return -1;
	/* A bad bound is refused, not ignored: it says how much disk logs may take. */
	if (logs_limits_from_env(&s->log_limits) < 0 || eviction_period(&s->evict_period_ms) < 0 ||
	    res_moves_expedited(&s->cgroups_early) < 0 || resolve_images(s) < 0)
		return -1;
	/* the containers' cgroups may be made as soon as the first is cloned */
	s->res = calloc(1, sizeof(*s->res));
	s->cgroups = calloc(sp->n_ctrs ? sp->n_ctrs : 1, sizeof(*s->cgroups));
	if (!s->res || !s->cgroups)
		return fail_msg(ENOMEM, "out of memory");
	/* Does it fit the node? Asked before anything of the pod exists, under
	 * the lock (held until unlock_root): two pods cannot both take what is
	 * left. */
	s->lock = pod_lock_root();
	if (s->lock < 0 || res_admit(sp, s->res) < 0 || claim_dir(s) < 0)
		return -1;
	fault_point("dir-claimed");
	/* Host ports next: the one resource another process may hold, found
	 * taken before anything of the pod runs. */
	/* hostNetwork: the containers bind the host's ports themselves, no relay */
	if (!sp->host_network && ports_listen(sp, &s->ports) < 0)
		return -1;
	char tbuf[64];
	state_time_rfc3339(state_now_realtime_ns(), tbuf, sizeof(tbuf));
	if (write_spec(s, text, len) < 0 || podjson_write_spec(sp, s->dir) < 0 ||
	    state_put(s->dir, "name", "%s", sp->name) < 0 ||
	    state_put(s->dir, "created", "%s", tbuf) < 0 ||
	    state_put(s->dir, "hostname", "%s", sp->hostname) < 0 ||
	    state_put_memo(&s->memo, s->dir, "phase", "Pending") < 0 ||
	    state_put(s->dir, "grace_seconds", "%ld", sp->grace_seconds) < 0 ||
	    status_uuid(s->uid) < 0 || state_put(s->dir, "uid", "%s", s->uid) < 0 ||
	    state_put(s->dir, "start_time", "%s", tbuf) < 0)
		return -1;
	char node[HOST_NAME_MAX + 1] = "localhost";
	gethostname(node, sizeof(node));
	status_event(s->dir, "Normal", "Scheduled", "pod", "Successfully assigned %s/%s to %s",
	             sp->namespace_, sp->name, node);
	status_set(&s->status, STATUS_SCHEDULED, true, NULL);
	status_write(&s->status, s->dir);
	fault_point("state-written");
	warm_seccomp(sp);

	/* Kubelet makes the pod's cgroup first; podrun makes the cgroups last.
	 * The first one made waits until the grace period res_warm_moves
	 * started is over (resources.h), and none of the rest needs a cgroup:
	 * pause's clone, its own root, the pod network, the volumes, the state
	 * files, the first containers up to their execve. They are done
	 * meanwhile; then pause and those containers are placed in their
	 * cgroups from here, as runc places a container's init (make_cgroups,
	 * place_member). On a kernel that expedites grace periods there is
	 * no wait to hide: the cgroups are made while the first container
	 * builds its root (member_building), beside it on another CPU
	 * (s->cgroups_early, asked above). */
	s->icfg = (struct infra_config){
	    .hostname = sp->hostname,
	    .share_pid = sp->share_pid || sp->host_pid,
	    .host_ns = (sp->host_network ? NS_BIT(NS_NET) | NS_BIT(NS_UTS) : 0) |
	               (sp->host_ipc ? NS_BIT(NS_IPC) : 0) | (sp->host_pid ? NS_BIT(NS_PID) : 0)};
	/* hostNetwork: no veth, no pod IP, the host's network as it is */
	if (s->o->bridge && !sp->host_network) {
		int idx = ipam_reserve(s->o->subnet, sp->name, s->ip);
		if (idx < 0)
			return -1;
		s->icfg.bridge = s->o->bridge;
		s->icfg.subnet = s->o->subnet;
		s->icfg.host_index = idx;
	}
	/* Recorded under the lock: the record is what makes the address's
	 * file ours, not a leftover for the next pod's start to take. */
	if (state_put(s->dir, "ip", "%s", s->ip) < 0)
		return -1;
	if (sandbox_up(s) < 0)
		return -1;
	fault_point("sandbox-created");
	event(s, "sandbox: pause %d, hostname %s, %s", (int)s->infra.pid, sp->hostname,
	      s->infra.ip[0] ? s->infra.ip : "lo only");

	s->vols = calloc(sp->n_volumes ? sp->n_volumes : 1, sizeof(*s->vols));
	if (!s->vols)
		return fail_msg(ENOMEM, "out of memory");
	for (; s->n_vols < sp->n_volumes; s->n_vols++) {
		const struct spec_volume *v = &sp->volumes[s->n_vols];
		if (vol_prepare(&v->v, s->data, &s->vols[s->n_vols]) < 0) {
			char why[512];
			snprintf(why, sizeof(why), "%s", last_error());
			return fail_msg(errno, "%s:%d:%d: volume %s: %s", sp->file, v->mark.line,
			                v->mark.col, v->v.name, why);
		}
		/* fsGroup: kubelet gives an emptyDir to the pod's group, setgid so
		 * that what is created in it stays the group's. */
		if (sp->fs_group >= 0 && v->v.kind == VOL_EMPTYDIR) {
			const char *path = s->vols[s->n_vols].host_path;
			if (chown(path, (uid_t)-1, (gid_t)sp->fs_group) < 0 ||
			    chmod(path, 02777) < 0) {
				s->n_vols++; /* prepared: teardown removes it */
				return fail_errno("volume %s: fsGroup %lld on %s", v->v.name,
				                  (long long)sp->fs_group, path);
			}
		}
	}
	fault_point("volumes-prepared");
	if (write_pod_files(s) < 0 || setup_members(s) < 0)
		return -1;
	closep(&hold);
	if (setup_probes(s) < 0)
		return -1;
	if (ports_start(s->ports, s->epfd, s->infra.nsfd[NS_NET], s->infra.ip) < 0)
		return -1;
	fault_point("pod-created");
	return 0;
}

/* Everything pod_create made, in reverse; state files stay unless remove_dir. */
static void pod_teardown(struct sup *s, bool remove_dir)
{
	if (s->started) {
		s->pod.grace_ms = s->stop_grace_ms >= 0 ? s->stop_grace_ms : s->pod.grace_ms;
		for (size_t i = 0; i < s->pod.n_members; i++)
			if (s->members[i].c.state == CTR_RUNNING)
				status_event(s->dir, "Normal", "Killing", "pod",
				             "Stopping container %s", s->members[i].cfg.name);
		/* with no grace period (rm -f) every container is killed at once:
		 * no check could change a thing */
		if (s->pod.grace_ms > 0)
			stop_probes_begin(s);
		init_pod_stop(&s->pod);
		stop_probes_end(s);
		fault_point("containers-stopped");
	}
	/* kill_member's preStop whose container ended before the stop */
	for (size_t i = 0; s->kills && i < s->spec->n_ctrs; i++)
		if (s->kills[i].hook.pid)
			pre_stop_end(s, &s->members[i], true);
	closep(&s->lock); /* a start that failed before its cgroups: taken again below */
	logs_drain(s);
	ports_close(s->ports);
	s->ports = NULL;
	for (size_t i = 0; s->probes && i < s->spec->n_ctrs; i++) {
		probe_set_free(s->probes[i]);
		s->probes[i] = NULL;
	}
	/* The containers' writable layers stay: a pod that stays (it ended,
	 * or was stopped) keeps them until it is removed, as kubelet keeps a
	 * dead container and `docker run` without --rm its layer - what a
	 * command wrote can still be looked at. They go with the pod's data
	 * (state_clean, below, or `podrun rm`). Removed here, they held up the
	 * end of a foreground `podrun run` by 1.5 to 2 ms after its command
	 * ended. A restart gets a fresh layer all the same (init.c,
	 * start_member). */
	sandbox_down(s);
	release_ip(s);
	fault_point("sandbox-removed");
	while (s->n_vols > 0)
		vol_teardown(&s->vols[--s->n_vols]);
	fault_point("volumes-removed");
	{
		/* What pods share - the cgroup parents - goes with the last
		 * pod, under the lock pod creation holds. */
		_cleanup_close_ int lock = pod_lock_root();
		if (s->res)
			res_pod_remove(s->res);
		if (s->dir[0] && remove_dir)
			state_clean(s->dir, true);
	}
	/* The bridge too, but the kernel takes its time to delete it: a
	 * detached retire waits for that, not us (bridge.h). */
	bridge_retire(s->icfg.bridge);
	if (s->dir[0] && !remove_dir)
		state_put(s->dir, "supervisor.pid", "0");
}

/* Once the pod first runs, give back what starting it took. The supervisor
 * lives as long as the pod, but most of what it allocated to start it (the
 * YAML's parse in the podrun it was forked from, the images' configs, the
 * seccomp filters' compilation, the containers' setup) is free by now:
 *  - glibc keeps freed memory for the next malloc and returns only a large
 *    free top of the heap; malloc_trim(0) also returns the free pages inside
 *    it (madvise(MADV_DONTNEED) on them).
 *  - the kernel never shrinks a stack: a page touched once, by the deepest
 *    call of the start, stays resident. Below this function's frame
 *    nothing is live in a single-threaded process whose signals come
 *    through a signalfd, but for the madvise call itself (a page is kept
 *    for it): MADV_DONTNEED drops those pages, and a later call that goes
 *    deeper gets fresh zero pages. noinline, or the frame would be the
 *    loop's, whose locals lie below its frame address too.
 * About a third of the supervisor's anonymous memory (bench.sh: RssAnon). */
__attribute__((noinline)) static void trim_once(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	malloc_trim(0);
	char line[256];
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	uintptr_t lo = 0, hi = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") &&
		    sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2)
			break;
	fclose(f);
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t below =
	    ((uintptr_t)__builtin_frame_address(0) - 2 * (uintptr_t)page) & ~(uintptr_t)(page - 1);
	if (lo && below > lo && below < hi && madvise((void *)lo, below - lo, MADV_DONTNEED) < 0)
		warn_errno("madvise(stack below the supervisor loop, MADV_DONTNEED)");
}

static void sup_free(struct sup *s)
{
	for (size_t i = 0; s->imgs && i < s->spec->n_ctrs; i++)
		ctr_image_free(&s->imgs[i]);
	free(s->imgs);
	for (size_t i = 0; s->members && i < s->spec->n_ctrs; i++) {
		free((char *)s->members[i].cfg.state_dir);
		free((char *)s->members[i].cfg.seccomp_profile);
		free((char *)s->members[i].cfg.termination_log);
	}
	free(s->members);
	free(s->mounts);
	for (size_t i = 0; i < s->n_sub_paths; i++)
		free(s->sub_paths[i]);
	free(s->sub_paths);
	free(s->res);
	free(s->cgroups);
	free(s->refs);
	free(s->oom_seen);
	for (size_t i = 0; s->last && s->prev && i < s->spec->n_ctrs; i++) {
		free(s->last[i].message);
		free(s->prev[i].message);
	}
	free(s->last);
	free(s->prev);
	for (size_t i = 0; s->memos && i < s->spec->n_ctrs; i++)
		state_memo_free(&s->memos[i]);
	free(s->memos);
	state_memo_free(&s->memo);
	free(s->probes);
	free(s->ptgt);
	free(s->kills);
	free(s->vols);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->log_epfd >= 0)
		close(s->log_epfd);
	if (s->stop_epfd >= 0)
		close(s->stop_epfd);
	if (s->probe_epfd >= 0)
		close(s->probe_epfd);
	if (s->probe_timer >= 0)
		close(s->probe_timer);
	if (s->stopsig >= 0)
		close(s->stopsig);
	if (s->sigfd >= 0)
		close(s->sigfd);
	free(s);
}

void pod_opts_from_env(struct pod_opts *o)
{
	const char *b = getenv("PODRUN_BRIDGE"), *n = getenv("PODRUN_SUBNET");
	o->bridge = b && *b ? b : POD_DEFAULT_BRIDGE;
	if (!strcmp(o->bridge, "none"))
		o->bridge = NULL;
	o->subnet = n && *n ? n : POD_DEFAULT_SUBNET;
	/* $PODRUN_IMAGES, else $PODRUN_DATA/images (image.h) */
	o->images = img_store_default();
}

int pod_supervise(const struct pod_spec *spec, const char *text, size_t len,
                  const struct pod_opts *o)
{
	struct sup *s = calloc(1, sizeof(*s));
	if (!s)
		return fail_msg(ENOMEM, "out of memory");
	s->spec = spec;
	s->o = o;
	s->stop_grace_ms = -1;
	s->sigfd = s->stopsig = s->log_epfd = s->stop_epfd = s->probe_epfd = s->probe_timer = -1;
	s->lock = -1;
	for (int i = 0; i < 2; i++)
		s->pending[i][0] = s->pending[i][1] = -1;
	s->infra.pidfd = -1;

	/* A client of a hostPort or a log reader that goes away must cost a
	 * write an EPIPE, never the supervisor its life (and the pod its own). */
	signal(SIGPIPE, SIG_IGN);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->log_epfd = epoll_create1(EPOLL_CLOEXEC);
	s->stop_epfd = epoll_create1(EPOLL_CLOEXEC);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	sigdelset(&set, SIGCHLD);
	s->stopsig = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->sig_w.handle = sig_handle;
	s->stopsig_w.handle = stopsig_handle;
	s->logs_w.handle = logs_handle;
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &s->sig_w};
	struct epoll_event se = {.events = EPOLLIN, .data.ptr = &s->stopsig_w};
	struct epoll_event le = {.events = EPOLLIN, .data.ptr = &s->logs_w};
	if (s->epfd < 0 || s->log_epfd < 0 || s->stop_epfd < 0 || s->sigfd < 0 || s->stopsig < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &e) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->log_epfd, &le) < 0 ||
	    epoll_ctl(s->stop_epfd, EPOLL_CTL_ADD, s->stopsig, &se) < 0 ||
	    epoll_ctl(s->stop_epfd, EPOLL_CTL_ADD, s->log_epfd, &le) < 0) {
		fail_errno("epoll/signalfd");
		goto failed;
	}
	if (pod_create(s, text, len) < 0)
		goto failed;
	if (o->notify_sandbox)
		notify(s, "Pending\n");

	int rc = 0;
	s->started = true;
	if (spec->active_deadline)
		s->deadline_at = now_ms() + (int64_t)spec->active_deadline * 1000;
	for (size_t i = 0; i < spec->n_volumes; i++)
		if (sized_on_disk(&spec->volumes[i].v))
			s->evict_at = now_ms() + s->evict_period_ms;
	for (;;) {
		int64_t deadline = -1;
		if (s->evict_at && now_ms() >= s->evict_at && s->stop_grace_ms < 0) {
			check_evictions(s);
			s->evict_at = now_ms() + s->evict_period_ms;
		}
		if (s->deadline_at && now_ms() >= s->deadline_at && s->stop_grace_ms < 0) {
			/* kubelet: the pod is killed and Failed, whatever its containers do */
			s->deadline_exceeded = true;
			s->stop_grace_ms = (int)(spec->grace_seconds * 1000);
			state_put(s->dir, "reason", "DeadlineExceeded");
			state_put(s->dir, "message",
			          "Pod was active on the node longer than the specified deadline");
			status_event(
			    s->dir, "Normal", "DeadlineExceeded", "pod",
			    "Pod was active on the node longer than the specified deadline");
		}
		if (s->stop_grace_ms >= 0)
			break;
		/* The first step builds the first containers and makes the
		 * cgroups as it places them; if it started none, they are made now. */
		if (init_pod_step(&s->pod, now_ms(), &deadline) < 0 ||
		    make_cgroups(s, s->infra.pid) < 0) {
			if (!s->ready)
				goto failed;
			rc = 1;
			break;
		}
		state_put_memo(&s->memo, s->dir, "phase", "%s", phase_name(s));
		update_conditions(s);
		if (s->pod.phase == INIT_PHASE_SUCCEEDED || s->pod.phase == INIT_PHASE_FAILED) {
			rc = s->pod.phase == INIT_PHASE_FAILED;
			/* under Never, a start that failed is stuck, or a native
			 * sidecar (restarted whatever the policy) */
			const struct init_member *m = rc ? stuck(s) : NULL;
			if (m) { /* run -d says why too, not only "Failed" */
				const struct spec_container *sc = &spec->ctrs[m - s->members];
				fail_msg(EIO,
				         "%s:%d:%d: pod %s: container %s: %s: %s (the pod Failed: "
				         "podrun describe %s)",
				         spec->file, sc->mark.line, sc->mark.col, spec->name,
				         m->cfg.name, stuck_reason(m), m->message, spec->name);
				notify(s, "error: %s\n", last_error());
			} else {
				notify(s, "%s\n", phase_name(s));
				if (rc)
					fail_msg(EIO, "pod %s: Failed (podrun describe %s)",
					         spec->name, spec->name);
			}
			break;
		}
		/* not when a stop came during a postStart: how the pod ended is
		 * what the parent hears */
		if (all_apps_running(s) && s->stop_grace_ms < 0) {
			notify(s, "Running\n");
			trim_once();
		}
		const struct init_member *m = stuck(s);
		if (m) {
			const struct spec_container *sc = &spec->ctrs[m - s->members];
			char hint[PATH_MAX + 64] = "";
			if (!strcmp(m->waiting_reason, "ErrImageNeverPull") &&
			    access(s->o->images, F_OK) < 0)
				snprintf(
				    hint, sizeof(hint),
				    "there is no image store %s (PODRUN_IMAGES), podrun image load "
				    "starts it; ",
				    s->o->images);
			else if (!strcmp(m->waiting_reason, "ErrImageNeverPull"))
				snprintf(hint, sizeof(hint),
				         "podrun pulls nothing, podrun image load starts it; ");
			notify(s,
			       "error: %s:%d:%d: pod %s: container %s: %s%s%s (the pod goes on: "
			       "%spodrun logs, podrun describe, podrun rm -f)\n",
			       spec->file, sc->mark.line, sc->mark.col, spec->name, m->cfg.name,
			       stuck_reason(m), m->message[0] ? ": " : "", m->message, hint);
		}
		if (s->deadline_at && (deadline < 0 || s->deadline_at < deadline))
			deadline = s->deadline_at;
		if (s->evict_at && (deadline < 0 || s->evict_at < deadline))
			deadline = s->evict_at;
		/* kill_member's kills: a preStop cut, a SIGKILL, when due */
		int64_t kill_due = kills_tick(s);
		if (kill_due >= 0 && (deadline < 0 || kill_due < deadline))
			deadline = kill_due;
		if (probes_tick(s, &deadline) < 0) {
			rc = 1;
			break;
		}
		/* a periodSeconds of years is a deadline past what an int of ms
		 * holds: wake at INT_MAX ms and look again */
		int timeout = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			timeout = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		}
		struct epoll_event evs[32];
		int n = epoll_wait(s->epfd, evs, 32, timeout);
		if (n < 0 && errno != EINTR) {
			fail_errno("epoll_wait");
			rc = 1;
			break;
		}
		bool fatal = false;
		for (int i = 0; i < n && !fatal; i++) {
			struct ev_watch *w = evs[i].data.ptr;
			fatal = w->handle(w, evs[i].events) < 0;
		}
		ports_collect(s->ports);
		if (fatal) {
			rc = 1;
			break;
		}
	}
	char err[1024];
	snprintf(err, sizeof(err), "%s", last_error());
	pod_teardown(s, false);
	if (s->deadline_exceeded) {
		s->pod.phase = INIT_PHASE_FAILED;
		rc = 1;
		fail_msg(ETIMEDOUT, "pod %s: Failed (DeadlineExceeded: active longer than %lds)",
		         spec->name, spec->active_deadline);
		snprintf(err, sizeof(err), "%s", last_error());
	} else if (s->evicted[0]) {
		s->pod.phase = INIT_PHASE_FAILED;
		rc = 1;
		fail_msg(EFBIG, "pod %s: Failed (Evicted: %s)", spec->name, s->evicted);
		snprintf(err, sizeof(err), "%s", last_error());
	} else if (s->pod.phase != INIT_PHASE_SUCCEEDED && s->pod.phase != INIT_PHASE_FAILED) {
		/* stopped on request: Succeeded only if every app container ran and
		 * said 0; one that never ran (its image missing...) fails the pod,
		 * as kubelet's ContainerStatusUnknown does */
		bool ok = true;
		for (size_t i = spec->n_init; i < spec->n_ctrs; i++)
			ok = ok && s->members[i].c.state == CTR_TERMINATED &&
			     s->members[i].c.exit_code == 0;
		s->pod.phase = ok ? INIT_PHASE_SUCCEEDED : INIT_PHASE_FAILED;
	}
	update_conditions(s); /* not ready: PodCompleted, PodFailed */
	state_put_memo(&s->memo, s->dir, "phase", "%s", phase_name(s));
	event(s, "pod %s", phase_name(s));
	/* A parent still waiting hears how it ended: stopped before it ran, or failed. */
	if (rc) {
		set_last_error(err);
		notify(s, "error: %s\n", err);
	} else {
		notify(s, "%s\n", phase_name(s));
	}
	sup_free(s);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;

failed:
	snprintf(err, sizeof(err), "%s", last_error());
	pod_teardown(s, true);
	notify(s, "error: %s\n", err);
	set_last_error(err);
	sup_free(s);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 1;
}

/* How long a supervisor may take, beyond the grace period, to tear its pod
 * down: milliseconds when all is well, seconds on a loaded machine. */
#define POD_STOP_SLACK_MS 10000

int pod_stop(const char *pod_dir, int grace_ms)
{
	pid_t pid = state_live_pid(pod_dir, "supervisor");
	if (!pid)
		return 0;
	_cleanup_close_ int fd = sys_pidfd_open(pid, 0);
	if (fd < 0)
		return errno == ESRCH ? 0 : fail_errno("pidfd_open(%d)", (int)pid);
	if (state_live_pid(pod_dir, "supervisor") != pid)
		return 0; /* it ended between the two looks */
	/* sigqueue(3) through the pidfd: the grace period rides along as the
	 * signal's value, and the signal cannot reach a process that reused the pid. */
	siginfo_t si = {.si_signo = SIGTERM, .si_code = SI_QUEUE};
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = grace_ms;
	if (syscall(SYS_pidfd_send_signal, fd, SIGTERM, &si, 0) < 0)
		return errno == ESRCH ? 0 : fail_errno("pidfd_send_signal(%d, SIGTERM)", (int)pid);
	/* A supervisor that has not ended well after the grace period (a
	 * preStop hook's time is in it), and the POD_MIN_GRACE_MS a container
	 * may still get after it when there is one, is hung: SIGKILL it, and
	 * the caller cleans up from the state, as after a kill -9. */
	int64_t grace =
	    grace_ms >= 0 ? grace_ms : (int64_t)state_get_long(pod_dir, "grace_seconds", 30) * 1000;
	int64_t slack = POD_STOP_SLACK_MS + (grace > 0 ? POD_MIN_GRACE_MS : 0);
	int64_t deadline = now_ms() + grace + slack;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	for (int64_t left; (left = deadline - now_ms()) > 0;) {
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return fail_errno("poll(pidfd %d)", (int)pid);
	}
	fprintf(stderr,
	        "podrun: the supervisor of %s (%d) has not ended %d ms after the grace "
	        "period: killing it\n",
	        pod_dir, (int)pid, (int)slack);
	sys_pidfd_send_signal(fd, SIGKILL, 0);
	poll(&p, 1, 2000);
	return 0;
}
