/*
 * podctl - run a pod described on the command line, for the lab's checks and
 * for experiments: init containers, native sidecars and app containers, each
 * a shell command in an image, with one emptyDir at /work, under a restart
 * policy. Prints what happened as machine-readable lines:
 *
 *   event NAME running pid=PID            as it happens
 *   event NAME terminated exit=N reason=R
 *   phase=Succeeded                       at the end (the phase before the stop)
 *   NAME kind=init starts=1 restarts=0 exit=0 reason=Completed
 *
 * --processes runs every member as a plain host process (no sandbox, no
 * image; $WORK is a host directory) through init.h's start seam: the
 * ordering and restart rules alone, without any container machinery.
 */
#include "podkit.h"

#include "common.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

static void usage(void)
{
	printf(
	    "usage: %s [options] (--init|--sidecar|--app NAME=COMMAND)...\n"
	    "Run a pod; each COMMAND runs as `sh -c COMMAND` with $WORK the pod's emptyDir.\n"
	    "  --init NAME=CMD      an init container (spec order is command-line order)\n"
	    "  --sidecar NAME=CMD   an init container with restartPolicy: Always\n"
	    "  --app NAME=CMD       an app container\n"
	    "  --policy POLICY      the pod's restartPolicy: Always (default), OnFailure, Never\n"
	    "  --image IMAGE        the image of every container (default busybox)\n"
	    "  --raw                run COMMAND split on spaces, without sh -c\n"
	    "  --share-pid          shareProcessNamespace: true\n"
	    "  --cap-add CAP        add a capability to every container (repeatable)\n"
	    "  --cap-drop CAP       drop a capability from every container (repeatable)\n"
	    "  --user UID           runAsUser (and runAsGroup) of every container\n"
	    "  --allow-escalation   allowPrivilegeEscalation: true (no no_new_privs)\n"
	    "  --grace MS           termination grace period (default 1000)\n"
	    "  --until running      stop the pod once every app container runs\n"
	    "  --until NAME:N       stop the pod once container NAME was restarted N times\n"
	    "  --timeout MS         stop the pod after MS whatever happens\n"
	    "  --dir DIR            the pod's state directory (must not exist; removed)\n"
	    "  --processes          members are host processes, not containers\n"
	    "  --backoff-table N    print init_backoff_ms(1..N) and exit (backoff N is the\n"
	    "                       wait before restart N+1: the first restart is at once)\n"
	    "  -h, --help           this help\n",
	    program_invocation_short_name);
}

struct opts {
	enum init_restart policy;
	const char *image;
	bool raw, share_pid, processes;
	const char *cap_add[16], *cap_drop[16];
	int n_add, n_drop;
	long uid;
	bool allow_escalation;
	int grace_ms;
	const char *until;
	long until_restarts; /* N of --until NAME:N */
	long timeout_ms;
	const char *dir;
};

static struct opts o = {.policy = INIT_RESTART_ALWAYS, .grace_ms = 1000};
static struct init_member members[KIT_MAX_CONTAINERS];
static char *commands[KIT_MAX_CONTAINERS]; /* each member's COMMAND */
static size_t n_members;
static char work_env[PATH_MAX + 16];
static char *env[] = {work_env, NULL};

/* ---- --processes: the start seam ----------------------------------------------- */

static int start_process(void *arg, struct init_member *m)
{
	(void)arg;
	pid_t pid = fork();
	if (pid < 0)
		return fail_errno("fork");
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* --raw: the split command itself, found in our PATH (env has none). */
		if (o.raw) {
			execvpe(m->cfg.argv[0], m->cfg.argv, env);
			warn_errno("execvpe(%s)", m->cfg.argv[0]);
		} else {
			execve("/bin/sh", m->cfg.argv, env);
			warn_errno("execve(/bin/sh)");
		}
		_exit(127);
	}
	m->c = (struct ctr){.state = CTR_RUNNING, .pid = pid, .pidfd = sys_pidfd_open(pid, 0)};
	return m->c.pidfd < 0 ? fail_errno("pidfd_open(%d)", (int)pid) : 0;
}

/* ---- events and stop conditions --------------------------------------------------- */

static const char *kind(const struct init_member *m)
{
	return m->sidecar ? "sidecar" : m->is_init ? "init" : "app";
}

static bool until_reached(void)
{
	if (!o.until)
		return false;
	if (!strcmp(o.until, "running")) {
		for (size_t i = 0; i < n_members; i++) {
			if (!members[i].is_init && members[i].c.state != CTR_RUNNING)
				return false;
		}
		return true;
	}
	const char *colon = strrchr(o.until, ':');
	for (size_t i = 0; i < n_members; i++) {
		const char *name = members[i].cfg.name;
		if (strlen(name) == (size_t)(colon - o.until) &&
		    !strncmp(name, o.until, strlen(name)))
			return members[i].restarts >= o.until_restarts;
	}
	return false;
}

static void on_change(void *arg, struct init_member *m)
{
	(void)arg;
	if (m->c.state == CTR_RUNNING)
		printf("event %s running pid=%d\n", m->cfg.name, (int)m->c.pid);
	else if (m->c.state == CTR_TERMINATED)
		printf("event %s terminated exit=%d reason=%s\n", m->cfg.name, m->c.exit_code,
		       m->c.reason);
	fflush(stdout);
	/* init_pod_run waits for SIGTERM with sigtimedwait: a pending one stops the pod. */
	if (until_reached())
		kill(getpid(), SIGTERM);
}

static void on_alarm(int sig)
{
	(void)sig;
	kill(getpid(), SIGTERM);
}

/* ---- the command line ---------------------------------------------------------------- */

static char **split_words(char *s)
{
	char **v = calloc(strlen(s) / 2 + 2, sizeof(*v));
	if (!v)
		die("out of memory");
	size_t n = 0;
	char *save = NULL;
	for (char *w = strtok_r(s, " ", &save); w; w = strtok_r(NULL, " ", &save))
		v[n++] = w;
	return v;
}

static void add_member(char *spec, bool is_init, bool sidecar)
{
	char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1])
		die_usage("expected NAME=COMMAND, got '%s'", spec);
	if (n_members >= KIT_MAX_CONTAINERS)
		die_usage("at most %d containers", KIT_MAX_CONTAINERS);
	*eq = '\0';
	struct init_member *m = &members[n_members++];
	m->is_init = is_init;
	m->sidecar = sidecar;
	m->cfg.name = spec;
	commands[n_members - 1] = eq + 1;
}

/* A member's argv, once every option is known: --raw may come anywhere. */
static char **command_argv(char *cmd)
{
	if (o.raw)
		return split_words(cmd);
	char **argv = calloc(4, sizeof(*argv));
	if (!argv)
		die("out of memory");
	argv[0] = "sh", argv[1] = "-c", argv[2] = cmd;
	return argv;
}

int main(int argc, char **argv)
{
	enum {
		OPT_INIT = 256,
		OPT_SIDECAR,
		OPT_APP,
		OPT_POLICY,
		OPT_IMAGE,
		OPT_RAW,
		OPT_SHARE,
		OPT_ADD,
		OPT_DROP,
		OPT_USER,
		OPT_ESCALATE,
		OPT_GRACE,
		OPT_UNTIL,
		OPT_TIMEOUT,
		OPT_DIR,
		OPT_PROC,
		OPT_TABLE
	};
	static const struct option longopts[] = {
	    {"init", required_argument, NULL, OPT_INIT},
	    {"sidecar", required_argument, NULL, OPT_SIDECAR},
	    {"app", required_argument, NULL, OPT_APP},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"image", required_argument, NULL, OPT_IMAGE},
	    {"raw", no_argument, NULL, OPT_RAW},
	    {"share-pid", no_argument, NULL, OPT_SHARE},
	    {"cap-add", required_argument, NULL, OPT_ADD},
	    {"cap-drop", required_argument, NULL, OPT_DROP},
	    {"user", required_argument, NULL, OPT_USER},
	    {"allow-escalation", no_argument, NULL, OPT_ESCALATE},
	    {"grace", required_argument, NULL, OPT_GRACE},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"processes", no_argument, NULL, OPT_PROC},
	    {"backoff-table", required_argument, NULL, OPT_TABLE},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	/* Members are added as they come; their commands (--raw) and image are
	 * applied once every option is read. */
	int c;
	long v;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_INIT:
		case OPT_SIDECAR:
		case OPT_APP:
			add_member(optarg, c != OPT_APP, c == OPT_SIDECAR);
			break;
		case OPT_POLICY:
			if (init_restart_parse(optarg, &o.policy) < 0)
				die_usage("%s", last_error());
			break;
		case OPT_IMAGE:
			o.image = optarg;
			break;
		case OPT_RAW:
			o.raw = true;
			break;
		case OPT_SHARE:
			o.share_pid = true;
			break;
		case OPT_ADD:
		case OPT_DROP:
			if ((c == OPT_ADD ? o.n_add : o.n_drop) >= 15)
				die_usage("too many capabilities");
			if (c == OPT_ADD)
				o.cap_add[o.n_add++] = optarg;
			else
				o.cap_drop[o.n_drop++] = optarg;
			break;
		case OPT_USER:
			if (parse_long(optarg, 0, 65535, &o.uid) < 0)
				die_usage("--user: expected a uid, got '%s'", optarg);
			break;
		case OPT_ESCALATE:
			o.allow_escalation = true;
			break;
		case OPT_GRACE:
			if (parse_long(optarg, 0, 600000, &v) < 0)
				die_usage("--grace: expected milliseconds, got '%s'", optarg);
			o.grace_ms = (int)v;
			break;
		case OPT_UNTIL: {
			const char *colon = strrchr(optarg, ':');
			if (strcmp(optarg, "running") &&
			    (!colon || colon == optarg ||
			     parse_long(colon + 1, 0, INT_MAX, &o.until_restarts) < 0))
				die_usage("--until: expected 'running' or NAME:N, got '%s'",
				          optarg);
			o.until = optarg;
			break;
		}
		case OPT_TIMEOUT:
			if (parse_long(optarg, 1, 3600000, &o.timeout_ms) < 0)
				die_usage("--timeout: expected milliseconds, got '%s'", optarg);
			break;
		case OPT_DIR:
			o.dir = optarg;
			break;
		case OPT_PROC:
			o.processes = true;
			break;
		case OPT_TABLE:
			if (parse_long(optarg, 1, 64, &v) < 0)
				die_usage("--backoff-table: expected 1..64, got '%s'", optarg);
			for (int n = 1; n <= v; n++) {
				int64_t ms = init_backoff_ms(n);
				if (ms < 0)
					die_last();
				printf("backoff %d: %lld ms\n", n, (long long)ms);
			}
			return 0;
		case 'h':
			usage();
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (n_members == 0)
		die_usage("no containers (--init, --sidecar or --app)");

	struct kit k = {0};
	if (o.processes) {
		/* No sandbox: a state directory with a work directory is all there is. */
		kit_dir(&k, o.dir);
		snprintf(work_env, sizeof(work_env), "WORK=%s/work", k.dir);
		if (mkdir(work_env + 5, 0755) < 0)
			kit_die(&k, "mkdir(%s): %s", work_env + 5, strerror(errno));
	} else {
		kit_up(&k, o.dir, "podctl", o.share_pid, "work");
		snprintf(work_env, sizeof(work_env), "WORK=/work");
	}

	for (size_t i = 0; i < n_members; i++) {
		struct init_member *m = &members[i];
		const char *name = m->cfg.name;
		m->cfg.argv = command_argv(commands[i]);
		char *const *cargv = m->cfg.argv;
		kit_container(&k, &m->cfg, name, o.image, cargv, "/work");
		if (o.processes)
			m->cfg.state_dir = NULL; /* nothing to clean up per member */
		m->cfg.env = env;
		m->cfg.share_pid = o.share_pid;
		o.cap_add[o.n_add] = NULL;
		o.cap_drop[o.n_drop] = NULL;
		m->cfg.cap_add = o.cap_add;
		m->cfg.cap_drop = o.cap_drop;
		m->cfg.uid = (uid_t)o.uid;
		m->cfg.gid = (gid_t)o.uid;
		m->cfg.allow_privilege_escalation = o.allow_escalation;
	}
	if (!o.processes)
		printf("sandbox pid=%d\n", (int)k.sandbox.pid);

	struct init_pod pod = {
	    .sandbox = &k.sandbox,
	    .members = members,
	    .n_members = n_members,
	    .policy = o.policy,
	    .grace_ms = o.grace_ms,
	    .on_change = on_change,
	    .start = o.processes ? start_process : NULL,
	};
	if (o.timeout_ms > 0) {
		signal(SIGALRM, on_alarm);
		struct itimerval it = {
		    .it_value = {o.timeout_ms / 1000, (o.timeout_ms % 1000) * 1000}};
		setitimer(ITIMER_REAL, &it, NULL);
	}
	int rc = init_pod_run(&pod);
	char err[1024];
	snprintf(err, sizeof(err), "%s", last_error());
	printf("phase=%s\n", init_phase_name(pod.phase));
	for (size_t i = 0; i < n_members; i++) {
		struct init_member *m = &members[i];
		printf("%s kind=%s starts=%d restarts=%d", m->cfg.name, kind(m),
		       m->started_once ? m->restarts + 1 : 0, m->restarts);
		if (m->c.state == CTR_TERMINATED)
			printf(" exit=%d reason=%s", m->c.exit_code, m->c.reason);
		printf("\n");
	}
	fflush(stdout);
	kit_down(&k);
	if (rc < 0)
		die("%s", err);
	return 0;
}
