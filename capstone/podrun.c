/*
 * podrun - run Kubernetes v1 Pod YAML on this machine, with the labs' modules.
 *
 *   podrun run [-d] POD.yaml       podrun ps
 *   podrun logs [-f] [-c C] POD    podrun exec [-c C] POD -- CMD...
 *   podrun stop [-t DUR] POD       podrun rm [-f] POD
 *   podrun inspect POD             podrun validate POD.yaml
 *   podrun image load|ls|inspect|rm (image_cmd.c: the image store)
 *
 * `run` becomes the pod's supervisor (pod.c); every other command reads the
 * state files the supervisor keeps (state.h) and, to stop a pod, signals it.
 * Exit status: 0 ok, 1 runtime failure, 2 usage or spec error.
 */
#include "bridge.h"
#include "cli.h"
#include "common.h"
#include "container.h"
#include "get_cmd.h"
#include "image_cmd.h"
#include "logs_cmd.h"
#include "ns.h"
#include "pod.h"
#include "podjson.h"
#include "resources.h"
#include "seccomp_default.h"
#include "spec.h"
#include "state.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

/* ---- help ----------------------------------------------------------------------- */

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *summary;
	const char *help; /* options, one per line */
	bool sealed;      /* it puts processes into pods: run from a sealed copy */
};

static const struct command *current;

static void usage(FILE *f);

static void command_usage(FILE *f, const struct command *c)
{
	fprintf(f, "Usage: podrun %s %s\n%s\n", c->name, c->args, c->summary);
	if (c->help[0])
		fprintf(f, "\nOptions:\n%s", c->help);
	fprintf(f, "  -h, --help    this help\n");
}

/* Parse a command's options; "h" and --help are handled here. */
static int next_opt(int argc, char **argv, const char *shortopts)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
	                                         {"detach", no_argument, NULL, 'd'},
	                                         {"follow", no_argument, NULL, 'f'},
	                                         {"container", required_argument, NULL, 'c'},
	                                         {"force", no_argument, NULL, 'F'},
	                                         {"time", required_argument, NULL, 'I'},
	                                         {"stdin", no_argument, NULL, 'i'},
	                                         {"tty", no_argument, NULL, 'T'},
	                                         {"allow-unsupported", no_argument, NULL, 'U'},
	                                         {"timeout", required_argument, NULL, 'M'},
	                                         {"wait", required_argument, NULL, 'w'},
	                                         {"verbose", no_argument, NULL, 'v'},
	                                         {NULL, 0, NULL, 0}};
	char opts[32];
	/* "+": stop at the first operand (exec's -- CMD); ":": getopt is silent,
	 * die_bad_option says it in one line. */
	snprintf(opts, sizeof(opts), "+:h%s", shortopts);
	int c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == 'h') {
		command_usage(stdout, current);
		exit(0);
	}
	if (c == '?' || c == ':')
		die_bad_option(c, argv);
	if (c == 'F')
		c = 'f';
	/* -t is stop's --time (a value) and exec's --tty (none): each long
	 * name stands for -t only where -t means it. */
	const char *t = strchr(shortopts, 't');
	if ((c == 'I' && t && t[1] == ':') || (c == 'T' && t && t[1] != ':'))
		c = 't';
	if ((c == 'U' || c == 'M' || c == 'w' || c == 'I' || c == 'T') && !strchr(shortopts, c))
		die_usage("%s: option --%s does not apply", current->name,
		          c == 'U'   ? "allow-unsupported"
		          : c == 'M' ? "timeout"
		          : c == 'I' ? "time"
		          : c == 'T' ? "tty"
		                     : "wait");
	if (c > 0 && !strchr(shortopts, c))
		die_usage("%s: option -%c does not apply", current->name, c);
	return c;
}

/* ---- loading specs -------------------------------------------------------------- */

static void print_warning(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "podrun: warning: %s\n", msg);
}

NORETURN static void die_spec(void)
{
	fprintf(stderr, "podrun: %s\n", last_error());
	exit(2);
}

/* ---- a pod's state ----------------------------------------------------------------
 * Every command but run and validate works from the state the supervisor
 * wrote when the pod started: it never parses YAML again. */

static void ctr_dir(const char *dir, const char *ctr, char *out, size_t len)
{
	snprintf(out, len, "%s/containers/%s", dir, ctr);
}

/* ---- validate ------------------------------------------------------------------- */

/* What podrun understood, defaults applied: the --dry-run of podrun. */
static void print_pod(const struct pod_spec *p)
{
	static const char *const policies[] = {"Always", "OnFailure", "Never"};
	printf("pod %s: hostname %s, restartPolicy %s, terminationGracePeriodSeconds %ld, "
	       "shareProcessNamespace %s\n",
	       p->name, p->hostname, policies[p->restart_policy], p->grace_seconds,
	       p->share_pid ? "true" : "false");
	for (size_t i = 0; i < p->n_ctrs; i++) {
		const struct spec_container *c = &p->ctrs[i];
		printf("  %s %s: image %s, argv",
		       c->sidecar   ? "sidecar"
		       : c->is_init ? "init"
		                    : "app",
		       c->name, c->image);
		if (!c->command)
			printf(" (the image's Entrypoint)");
		for (char **a = c->command; a && *a; a++)
			printf(" [%s]", *a);
		if (!c->args && !c->command)
			printf(" (the image's Cmd)");
		for (char **a = c->args; a && *a; a++)
			printf(" [%s]", *a);
		printf("\n");
		for (size_t k = 0; k < c->n_envs; k++) {
			char d[1024];
			spec_env_describe(&c->envs[k], d, sizeof(d));
			printf("    env %s\n", d);
		}
		for (size_t k = 0; k < c->n_mounts; k++) {
			const struct spec_mount *m = &c->mounts[k];
			printf("    mount %s at %s%s%s%s%s%s\n", m->name, m->mount_path,
			       m->sub_path ? " subPath " : "", m->sub_path ? m->sub_path : "",
			       m->sub_path_expr ? " subPathExpr " : "",
			       m->sub_path_expr ? m->sub_path_expr : "",
			       m->read_only ? " (read-only)" : "");
		}
		for (size_t k = 0; k < c->n_ports; k++) {
			if (c->ports[k].host_port)
				printf("    port %d, published on %s:%d\n",
				       c->ports[k].container_port, c->ports[k].host_ip,
				       c->ports[k].host_port);
			else
				printf("    port %d\n", c->ports[k].container_port);
		}
	}
	for (size_t i = 0; i < p->n_volumes; i++) {
		const struct vol_spec *v = &p->volumes[i].v;
		if (v->kind == VOL_EMPTYDIR)
			printf("  volume %s: emptyDir%s, sizeLimit %llu bytes\n", v->name,
			       v->memory ? " (tmpfs)" : "", (unsigned long long)v->size_limit);
		else
			printf("  volume %s: hostPath %s, type \"%s\"\n", v->name, v->path,
			       vol_hostpath_type_name(v->type));
	}
}

static int cmd_validate(int argc, char **argv)
{
	bool verbose = false;
	int c;
	while ((c = next_opt(argc, argv, "vU")) != -1) {
		if (c == 'v')
			verbose = true;
		else if (c == 'U')
			spec_allow_unsupported(true);
	}
	if (optind != argc - 1)
		die_usage("validate: expected one file");
	struct pod_spec *pods;
	size_t n;
	if (spec_parse_file(argv[optind], print_warning, NULL, &pods, &n) < 0)
		die_spec();
	for (size_t i = 0; i < n; i++) {
		printf("%s: pod %s: valid (%zu init containers, %zu containers, %zu volumes)\n",
		       argv[optind], pods[i].name, pods[i].n_init, pods[i].n_ctrs - pods[i].n_init,
		       pods[i].n_volumes);
		if (verbose)
			print_pod(&pods[i]);
	}
	spec_free(pods, n);
	return 0;
}

/* ---- run ---------------------------------------------------------------------------- */

static void print_event(const char *pod, const char *msg)
{
	printf("%s: %s\n", pod, msg);
	fflush(stdout);
}

/* Start one pod's supervisor in the background: fork, setsid, fork again (so
 * it is nobody's child and has no terminal), and wait on a pipe until it says
 * the pod is Running, or has ended, or could not start. */
/* How long run -d waits for Running (-1: until it is, or ends, or is stuck). */
static int64_t run_timeout_ms = -1;

static int run_detached(const struct pod_spec *p, const char *text, size_t len, struct pod_opts *o)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die_errno("pipe2");
	fflush(NULL);
	pid_t child = fork();
	if (child < 0)
		die_errno("fork");
	if (child == 0) {
		close(pfd[0]);
		if (setsid() < 0)
			_exit(1);
		pid_t sup = fork();
		if (sup < 0) {
			/* out of processes (a pids limit): say so, not "died while starting" */
			dprintf(pfd[1], "error: pod %s: fork: %s\n", p->name, strerror(errno));
			_exit(1);
		}
		if (sup != 0)
			_exit(0);
		/* Hold no directory busy: the caller's cwd may be a mount it wants gone. */
		if (chdir("/") < 0)
			_exit(1);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) {
			dprintf(pfd[1], "error: pod %s: /dev/null as the supervisor's stdio: %s\n",
			        p->name, strerror(errno));
			_exit(1);
		}
		if (null > 2)
			close(null);
		o->notify_fd = pfd[1];
		o->event = NULL;
		_exit(pod_supervise(p, text, len, o));
	}
	close(pfd[1]);
	waitpid(child, NULL, 0);
	char msg[1400];
	size_t got = 0;
	ssize_t r;
	int64_t end = run_timeout_ms >= 0 ? now_ms() + run_timeout_ms : -1;
	struct pollfd pf = {.fd = pfd[0], .events = POLLIN};
	for (;;) {
		int left = end < 0 ? -1 : (int)(end > now_ms() ? end - now_ms() : 0);
		int ready = poll(&pf, 1, left);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0) {
			close(pfd[0]);
			fprintf(
			    stderr,
			    "podrun: pod %s: not Running after --timeout (its supervisor goes on: "
			    "podrun describe %s, podrun rm -f %s)\n",
			    p->name, p->name, p->name);
			return 1;
		}
		if (got >= sizeof(msg) - 1 ||
		    (r = read(pfd[0], msg + got, sizeof(msg) - 1 - got)) <= 0)
			break;
		got += (size_t)r;
	}
	close(pfd[0]);
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	if (!strncmp(msg, "error: ", 7)) {
		fprintf(stderr, "podrun: %s\n", msg + 7);
		return 1;
	}
	if (!msg[0]) {
		fprintf(stderr, "podrun: pod %s: the supervisor died while starting\n", p->name);
		return 1;
	}
	printf("pod %s: %s\n", p->name, msg);
	return !strcmp(msg, "Failed");
}

static int cmd_run(int argc, char **argv)
{
	bool detach = false, wait_none = false;
	int c;
	while ((c = next_opt(argc, argv, "dUMw")) != -1) {
		if (c == 'd') {
			detach = true;
		} else if (c == 'U') {
			spec_allow_unsupported(true);
		} else if (c == 'M') {
			int64_t ns;
			if (spec_parse_duration(optarg, &ns) < 0 || ns < 0)
				die_usage("run: --timeout %s: a duration like 30s or 2m", optarg);
			run_timeout_ms = ns / 1000000;
		} else if (c == 'w') {
			if (strcmp(optarg, "none") && strcmp(optarg, "running"))
				die_usage("run: --wait %s: none or running", optarg);
			wait_none = !strcmp(optarg, "none");
		}
	}
	if (optind != argc - 1)
		die_usage("run: expected one file");
	if (!detach && (wait_none || run_timeout_ms >= 0))
		die_usage("run: --wait and --timeout go with -d");
	const char *file = argv[optind];
	struct pod_spec *pods;
	size_t n, len;
	/* One read: the bytes parsed are the bytes kept as the pod's spec.yaml. */
	char *text;
	if (spec_read_file(file, &text, &len) < 0 ||
	    spec_parse_buffer(file, text, len, print_warning, NULL, &pods, &n) < 0)
		die_spec();
	struct pod_opts o = {.notify_fd = -1, .event = print_event, .notify_sandbox = wait_none};
	pod_opts_from_env(&o);

	int rc = 0;
	if (detach) {
		for (size_t i = 0; i < n; i++)
			rc |= run_detached(&pods[i], text, len, &o);
	} else if (n == 1) {
		if ((rc = pod_supervise(&pods[0], text, len, &o)) != 0)
			fprintf(stderr, "podrun: %s\n", last_error());
	} else {
		/* several pods in the foreground: one supervisor each, Ctrl-C reaches all */
		fflush(NULL);
		for (size_t i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid < 0)
				die_errno("fork");
			if (pid == 0) {
				int r = pod_supervise(&pods[i], text, len, &o);
				if (r)
					fprintf(stderr, "podrun: %s\n", last_error());
				_exit(r);
			}
		}
		signal(SIGINT, SIG_IGN);
		int st;
		while (wait(&st) > 0)
			rc |= !WIFEXITED(st) || WEXITSTATUS(st);
	}
	free(text);
	spec_free(pods, n);
	return rc;
}

/* ---- ps -------------------------------------------------------------------------------- */

static void age(const char *created, char *out, size_t len)
{
	int64_t t;
	if (podjson_time(created, NULL, 0, &t) < 0) {
		snprintf(out, len, "?");
		return;
	}
	long s = (long)(time(NULL) - t);
	if (s < 120)
		snprintf(out, len, "%lds", s);
	else if (s < 7200)
		snprintf(out, len, "%ldm", s / 60);
	else
		snprintf(out, len, "%ldh", s / 3600);
}

/* What ps and inspect show of a container, read as one change of its
 * supervisor's (state_read_begin, state.h). */
struct ctr_row {
	char state[32], reason[64], kind[16];
	long restarts, ready, exit_code;
	pid_t pid; /* with_pid only: a live one, else 0 */
};

static void read_ctr_row(const char *cdir, bool writer_alive, bool with_pid, struct ctr_row *r)
{
	for (int tries = 0;; tries++) {
		long seq = state_read_begin(cdir, writer_alive);
		state_get(cdir, "state", r->state, sizeof(r->state));
		state_get(cdir, "reason", r->reason, sizeof(r->reason));
		state_get(cdir, "kind", r->kind, sizeof(r->kind));
		r->restarts = state_get_long(cdir, "restarts", 0);
		r->ready = state_get_long(cdir, "ready", 0);
		r->exit_code = state_get_long(cdir, "exit_code", 0);
		r->pid = with_pid ? state_live_pid(cdir, "") : 0;
		if (!state_read_changed(cdir, seq) || tries == STATE_READ_TRIES)
			return;
	}
}

static int cmd_ps(int argc, char **argv)
{
	while (next_opt(argc, argv, "") != -1) {
	}
	if (optind != argc)
		die_usage("ps: takes no arguments");
	char **names;
	size_t n;
	if (state_check_roots(false) < 0 || state_list(&names, &n) < 0)
		die_last();
	printf("%-24s %-10s %-6s %-9s %-11s %-6s %s\n", "POD", "PHASE", "READY", "RESTARTS", "QOS",
	       "AGE", "IP");
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX], phase[32], created[64], ip[32] = "", a[32];
		if (state_pod_dir(names[i], dir, sizeof(dir)) < 0)
			continue; /* not a name podrun would have made */
		bool writer = state_live_pid(dir, "supervisor") != 0;
		state_pod_phase(dir, writer, phase, sizeof(phase));
		state_get(dir, "created", created, sizeof(created));
		state_get(dir, "ip", ip, sizeof(ip));
		age(created, a, sizeof(a));
		char **ctrs;
		if (state_get_list(dir, "container_names", &ctrs) < 0) {
			printf("%-24s %-10s\n", names[i], "Unknown");
			continue;
		}
		int ready = 0, total = 0;
		long restarts = 0;
		char rows[4096] = "";
		for (size_t k = 0; ctrs[k]; k++) {
			char cdir[PATH_MAX + 300];
			struct ctr_row r;
			ctr_dir(dir, ctrs[k], cdir, sizeof(cdir));
			read_ctr_row(cdir, writer, false, &r);
			restarts += r.restarts;
			if (strcmp(r.kind, "init")) {
				total++;
				/* READY as kubectl counts it: ready, as the probes say */
				ready += r.ready == 1 && strcmp(phase, "Unknown");
			}
			snprintf(rows + strlen(rows), sizeof(rows) - strlen(rows),
			         "  %-22s %-10s %-6s %-9ld %s\n", ctrs[k], r.state,
			         !strcmp(r.kind, "sidecar") ? "side"
			         : !strcmp(r.kind, "init")  ? "init"
			                                    : "",
			         r.restarts, r.reason);
		}
		free(ctrs);
		char rd[32];
		snprintf(rd, sizeof(rd), "%d/%d", ready, total);
		char qos[16] = "";
		state_get(dir, "qos", qos, sizeof(qos));
		printf("%-24s %-10s %-6s %-9ld %-11s %-6s %s\n%s", names[i], phase, rd, restarts,
		       qos[0] ? qos : "-", a, ip[0] ? ip : "-", rows);
	}
	state_free_list(names, n);
	return 0;
}

/* ---- exec ------------------------------------------------------------------------------------ */

/* Put our terminal in raw mode for exec -t: every key goes to the
 * container's pty as typed (its line discipline echoes and edits). */
static struct termios saved_tty;
static bool tty_raw;

static void tty_restore(void)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tty);
	tty_raw = false;
}

static void tty_make_raw(void)
{
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return;
	struct termios raw = saved_tty;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0) {
		tty_raw = true;
		atexit(tty_restore);
	}
}

static int cmd_exec(int argc, char **argv)
{
	const char *cname = NULL;
	bool in = false, tty = false;
	int c;
	while ((c = next_opt(argc, argv, "c:it")) != -1) {
		if (c == 'c')
			cname = optarg;
		else if (c == 'i')
			in = true;
		else if (c == 't')
			tty = true;
	}
	if (optind >= argc)
		die_usage("exec: expected a pod and a command");
	const char *name = cli_pod_name(argv[optind++]);
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		die_usage("exec: expected a command after the pod");
	char dir[PATH_MAX], cdir[PATH_MAX + 300];
	cli_pod_dir(name, dir, sizeof(dir), true);
	char **names = cli_pod_containers(dir);
	const char *ct = cli_pick_container(name, dir, names, cname);
	ctr_dir(dir, ct, cdir, sizeof(cdir));
	pid_t pid = state_live_pid(cdir, "");
	if (!pid)
		die("pod %s: container %s is not running", name, ct);

	/* What the container was started with, as the supervisor recorded it. */
	char **env = NULL, **cap_add = NULL, **cap_drop = NULL, wd[PATH_MAX] = "";
	if (state_get_list(cdir, "env", &env) < 0 ||
	    state_get_list(cdir, "cap_add", &cap_add) < 0 ||
	    state_get_list(cdir, "cap_drop", &cap_drop) < 0)
		die("pod %s: container %s: %s", name, ct, last_error());
	state_get(cdir, "workdir", wd, sizeof(wd));
	/* every group the container has, not some: a group missing here is
	 * one the exec'd process lacks */
	char **gids = NULL;
	if (state_get_list(cdir, "groups", &gids) < 0)
		die("pod %s: container %s: %s", name, ct, last_error());
	size_t n_groups = 0;
	while (gids[n_groups])
		n_groups++;
	gid_t *groups = calloc(n_groups + 1, sizeof(*groups));
	if (!groups)
		die("out of memory");
	for (size_t i = 0; i < n_groups; i++)
		groups[i] = (gid_t)strtoul(gids[i], NULL, 10);
	free(gids);
	long uid = state_get_long(cdir, "uid", -1), gid = state_get_long(cdir, "gid", -1);
	/* the container's seccomp filter, RuntimeDefault unless it said otherwise */
	char sc_type[32] = "", sc_file[PATH_MAX] = "", sc_path[2 * PATH_MAX];
	enum ctr_seccomp_type seccomp = CTR_SECCOMP_RUNTIME_DEFAULT;
	state_get(cdir, "seccomp", sc_type, sizeof(sc_type));
	state_get(cdir, "seccomp_profile", sc_file, sizeof(sc_file));
	if (sc_type[0] && ctr_seccomp_parse_type(sc_type, &seccomp) < 0)
		die("pod %s: container %s: %s", name, ct, last_error());
	snprintf(sc_path, sizeof(sc_path), "%s/seccomp/%s", state_data_root(), sc_file);
	struct ctr ctr = {.state = CTR_RUNNING, .pid = pid, .pidfd = -1};
	struct ctr_config cfg = {
	    .name = ct,
	    .env = env,
	    .working_dir = wd[0] ? wd : NULL,
	    .share_pid = state_get_long(cdir, "share_pid", 0),
	    .cap_add = (const char *const *)cap_add,
	    .cap_drop = (const char *const *)cap_drop,
	    .privileged = state_get_long(cdir, "privileged", 0),
	    .uid = uid < 0 ? 0 : (uid_t)uid,
	    .gid = gid < 0 ? 0 : (gid_t)gid,
	    .groups = groups,
	    .n_groups = n_groups,
	    .allow_privilege_escalation = !state_get_long(cdir, "no_new_privs", 1),
	    .seccomp = seccomp,
	    .seccomp_profile = sc_path,
	    .stdin_fd = in ? STDIN_FILENO : -1,
	    .stdout_fd = STDOUT_FILENO,
	    .stderr_fd = STDERR_FILENO,
	    .tty = tty,
	};
	/* The command joins the container's cgroups, as kubectl exec's does:
	 * its limits and its device allow-list hold it too, and the OOM killer
	 * weighs it as the container. The paths are the supervisor's, which
	 * may run in another cgroup than we do. */
	char cgrel[CG_REL_MAX], self[4096], rel[CG_REL_MAX * 2];
	struct cg_host *host = malloc(sizeof(*host));
	struct res_member rm;
	if (!host)
		die("out of memory");
	if (state_get(dir, "cgroup", cgrel, sizeof(cgrel)) == 0 && cgrel[0] &&
	    state_get(dir, "cgroup_self", self, sizeof(self)) == 0) {
		snprintf(rel, sizeof(rel), "%s/%s", cgrel, ct);
		if (cg_detect(host, NULL, self) < 0 || cg_open(host, rel, &rm.cg) < 0)
			die("pod %s: container %s: cgroup: %s", name, ct, last_error());
		rm.oom_score_adj = (int)state_get_long(cdir, "oom_score_adj", RES_ADJ_NONE);
		cfg.setup_child = res_enter;
		cfg.setup_arg = &rm;
	}
	fflush(NULL);
	/* A closed reader of our output must not kill us mid-relay. */
	signal(SIGPIPE, SIG_IGN);
	if (tty && in)
		tty_make_raw();
	int rc = ctr_exec(&ctr, &cfg, argv + optind);
	tty_restore();
	if (rc < 0)
		die("pod %s: %s", name, last_error());
	free(host);
	free(groups);
	free(env);
	free(cap_add);
	free(cap_drop);
	free(names);
	return rc;
}

/* ---- stop, rm ------------------------------------------------------------------------------- */

/* Each pod in turn, as kubectl delete and docker rm take several: one that
 * fails is said and the others go on; 1 if any failed. Every name is checked
 * first (cli_check_pod_names). */
static int each_pod(int n, char **names, int (*one)(const char *name, void *arg), void *arg)
{
	cli_check_pod_names(n, names);
	int rc = 0;
	for (int i = 0; i < n; i++)
		if (one(names[i], arg) < 0) {
			warn("%s", last_error());
			rc = 1;
		}
	return rc;
}

static int stop_one(const char *name, void *arg)
{
	char dir[PATH_MAX];
	if (state_pod_arg(name, true, dir, sizeof(dir)) < 0)
		return -1;
	if (pod_stop(dir, *(int *)arg) < 0)
		return -1;
	/* A supervisor that was killed left its processes: end them now, under
	 * the lock, so that a `run` of the same pod is not cleaned up midway. */
	_cleanup_close_ int lock = pod_lock_root();
	if (lock < 0)
		return -1;
	bool alive = state_live_pid(dir, "supervisor") != 0;
	if (!alive)
		state_clean(dir, false);
	char phase[32];
	state_pod_phase(dir, alive, phase, sizeof(phase));
	printf("pod %s: stopped (%s)\n", name, phase);
	return 0;
}

static int cmd_stop(int argc, char **argv)
{
	int grace = -1, c;
	while ((c = next_opt(argc, argv, "t:")) != -1) {
		if (c == 't') {
			/* a bare number is seconds, as docker stop -t and kubectl
			 * delete --grace-period take it */
			int64_t ns;
			long secs;
			if (parse_long(optarg, 0, INT32_MAX / 1000, &secs) == 0)
				ns = (int64_t)secs * 1000000000;
			else if (spec_parse_duration(optarg, &ns) < 0 || ns < 0 ||
			         ns / 1000000 > INT32_MAX)
				die_usage("stop: -t %s: seconds, or a duration like 5s or 300ms",
				          optarg);
			grace = (int)(ns / 1000000);
		}
	}
	optind = cli_pod_operands(argc, argv, optind, false);
	if (optind == argc)
		die_usage("stop: expected a pod");
	return each_pod(argc - optind, argv + optind, stop_one, &grace);
}

static int rm_one(const char *name, void *arg)
{
	bool force = *(bool *)arg;
	char dir[PATH_MAX];
	cli_pod_dir(name, dir, sizeof(dir), false);
	if (access(dir, F_OK) < 0) {
		if (!force)
			return fail_msg(ENOENT, "no pod named %s (under %s)", name, state_root());
		/* rm -f of nothing is fine, as with rm(1). But a reboot empties the
		 * state's tmpfs, not the pod's data on disk: what is left of it goes. */
		char data[PATH_MAX];
		if (state_data_dir(name, data, sizeof(data)) < 0)
			return -1;
		if (access(data, F_OK) < 0)
			return 0;
		_cleanup_close_ int lock = pod_lock_root();
		if (lock < 0)
			return -1;
		if (access(dir, F_OK) == 0)
			return fail_msg(EBUSY, "pod %s was started while it was being removed",
			                name);
		if (state_clean(dir, true) < 0)
			return -1;
		printf("pod %s: removed (its data, from before its state was lost)\n", name);
		return 0;
	}
	char phase[32] = "";
	state_get(dir, "phase", phase, sizeof(phase));
	bool ended = !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed");
	if (state_live_pid(dir, "supervisor")) {
		/* an ended pod's supervisor is only tearing down: wait for it */
		if (!force && !ended)
			return fail_msg(EBUSY, "pod %s is running: stop it first, or rm -f", name);
		/* Not under the lock: the supervisor takes it to release the bridge. */
		if (pod_stop(dir, 0) < 0)
			return -1;
	}
	_cleanup_close_ int lock = pod_lock_root();
	if (lock < 0)
		return -1;
	if (state_live_pid(dir, "supervisor"))
		return fail_msg(EBUSY, "pod %s was started again while it was being removed", name);
	char bridge[IF_NAMESIZE + 1] = "";
	state_get(dir, "bridge", bridge, sizeof(bridge));
	if (state_clean(dir, true) < 0)
		return -1;
	closep(&lock);
	/* A supervisor that ended retired the bridge; one that was killed
	 * left its veth, which state_clean just deleted. */
	bridge_retire(bridge);
	printf("pod %s: removed\n", name);
	return 0;
}

static int cmd_rm(int argc, char **argv)
{
	bool force = false;
	int c;
	while ((c = next_opt(argc, argv, "f")) != -1)
		force = c == 'f' ? true : force;
	optind = cli_pod_operands(argc, argv, optind, false);
	if (optind == argc)
		die_usage("rm: expected a pod");
	return each_pod(argc - optind, argv + optind, rm_one, &force);
}

static void print_trimmed(char *line)
{
	size_t n = strlen(line);
	while (n > 0 && line[n - 1] == ' ')
		line[--n] = '\0';
	puts(line);
}

/* ---- inspect ------------------------------------------------------------------------------------
 */

static int cmd_inspect(int argc, char **argv)
{
	while (next_opt(argc, argv, "") != -1) {
	}
	optind = cli_pod_operands(argc, argv, optind, false);
	if (optind != argc - 1)
		die_usage("inspect: expected one pod");
	const char *name = argv[optind];
	char dir[PATH_MAX];
	cli_pod_dir(name, dir, sizeof(dir), true);
	char **names = cli_pod_containers(dir);
	char phase[32], ip[32] = "", veth[32] = "", bridge[32] = "", host[80] = "";
	pid_t sup = state_live_pid(dir, "supervisor");
	state_pod_phase(dir, sup != 0, phase, sizeof(phase));
	state_get(dir, "ip", ip, sizeof(ip));
	state_get(dir, "veth", veth, sizeof(veth));
	state_get(dir, "bridge", bridge, sizeof(bridge));
	state_get(dir, "hostname", host, sizeof(host));
	pid_t pause = state_live_pid(dir, "pause");
	printf("pod:         %s\n", name);
	printf("phase:       %s\n", phase);
	printf("hostname:    %s\n", host);
	char qos[16] = "-", req[64] = "", cg[256] = "";
	state_get(dir, "qos", qos, sizeof(qos));
	state_get(dir, "requests", req, sizeof(req));
	state_get(dir, "cgroup", cg, sizeof(cg));
	long long rcpu = 0, rmem = 0;
	sscanf(req, "%lld %lld", &rcpu, &rmem);
	printf("qos:         %s (requests: cpu %lldm, memory %lld bytes; cgroup %s)\n", qos, rcpu,
	       rmem, cg[0] ? cg : "-");
	printf("supervisor:  %d\n", (int)sup);
	printf("pause:       %d\n", (int)pause);
	if (ip[0])
		printf("ip:          %s (eth0; host side %s on %s)\n", ip, veth, bridge);
	else
		printf("ip:          none (lo only)\n");
	printf("containers:\n");
	size_t n = 0;
	while (names[n])
		n++;
	pid_t pids[n + 1];
	for (size_t i = 0; i < n; i++) {
		char cdir[PATH_MAX + 300];
		struct ctr_row r;
		ctr_dir(dir, names[i], cdir, sizeof(cdir));
		read_ctr_row(cdir, sup != 0, true, &r);
		pids[i] = r.pid;
		printf("  %-20s %-6s %-10s pid %-7d restarts %ld  exit %ld  %s\n", names[i],
		       !strcmp(r.kind, "sidecar") ? "side" : r.kind, r.state, (int)r.pid,
		       r.restarts, r.exit_code, r.reason);
	}
	/* The kernel's answer to "which namespaces are shared": equal inodes
	 * under /proc/PID/ns. A namespace pause did not create is the host's,
	 * the one podrun itself runs in. */
	printf(
	    "namespaces:  inode per process; '=' the pod's (pause's), '*' the container's own\n");
	char line[1024];
	int at = snprintf(line, sizeof(line), "  %-7s %-18s", "type", "pause");
	for (size_t i = 0; i < n; i++)
		if (pids[i])
			at += snprintf(line + at, sizeof(line) - (size_t)at, " %-13s", names[i]);
	print_trimmed(line);
	static const enum ns_type types[] = {NS_NET, NS_IPC,    NS_UTS, NS_PID,
	                                     NS_MNT, NS_CGROUP, NS_USER};
	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		ino_t pi = 0, hostns = 0;
		if (pause)
			ns_inode(pause, types[t], &pi);
		ns_inode(0, types[t], &hostns); /* ours: podrun runs on the host */
		char cell[48];
		snprintf(cell, sizeof(cell), "%lu%s", (unsigned long)pi,
		         pi == hostns ? " (host)" : "");
		at = snprintf(line, sizeof(line), "  %-7s %-18s", ns_table[types[t]].name, cell);
		for (size_t i = 0; i < n; i++) {
			ino_t ci = 0;
			if (!pids[i])
				continue;
			if (ns_inode(pids[i], types[t], &ci) < 0)
				snprintf(cell, sizeof(cell), "?");
			else
				snprintf(cell, sizeof(cell), "%lu%c", (unsigned long)ci,
				         ci == pi ? '=' : '*');
			at += snprintf(line + at, sizeof(line) - (size_t)at, " %-13s", cell);
		}
		print_trimmed(line);
	}
	free(names);
	return 0;
}

/* ---- image
 * ---------------------------------------------------------------------------------------
 */

/* The images pods use now: the `image` state file of every container of a
 * pod whose supervisor is alive (a pod that ended holds no image: `podrun
 * rm` of it would not need one). `image rm` refuses to remove these. */
static char **images_in_use(void)
{
	char **names;
	size_t n;
	/* A state it cannot read is fatal, as out of memory is: a list cut
	 * short would let rm take an image in use. */
	if (state_check_roots(false) < 0 || state_list(&names, &n) < 0)
		die("which images pods use: %s", last_error());
	char **refs = calloc(1, sizeof(*refs));
	size_t nr = 0;
	if (!refs)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX], **ctrs;
		if (state_pod_dir(names[i], dir, sizeof(dir)) < 0 ||
		    !state_live_pid(dir, "supervisor") ||
		    state_get_list(dir, "container_names", &ctrs) < 0)
			continue;
		for (size_t k = 0; ctrs[k]; k++) {
			char cdir[PATH_MAX + 300], ref[1024];
			ctr_dir(dir, ctrs[k], cdir, sizeof(cdir));
			if (state_get(cdir, "image", ref, sizeof(ref)) < 0 || !ref[0])
				continue;
			char **grown = realloc(refs, (nr + 2) * sizeof(*refs));
			ANALYZER_REALLOC_LEAK_FP_BEGIN
			if (!grown || !(grown[nr] = strdup(ref)))
				die("out of memory");
			ANALYZER_REALLOC_LEAK_FP_END
			refs = grown;
			refs[++nr] = NULL;
		}
		free(ctrs);
	}
	state_free_list(names, n);
	return refs;
}

static int cmd_image_fn(int argc, char **argv)
{
	image_cmd_set_in_use(images_in_use);
	return cmd_image(argc, argv);
}

/* ---- top ------------------------------------------------------------------------------------ */

/* `kubectl top pod --containers`: CPU as a rate over a short window (two
 * reads of the cgroup's usage), memory as the working set kubelet evicts on. */
static int cmd_top(int argc, char **argv)
{
	while (next_opt(argc, argv, "") != -1) {
	}
	optind = cli_pod_operands(argc, argv, optind, true);
	if (optind < argc - 1)
		die_usage("top: expected at most one pod");
	char **pods;
	size_t n;
	if (optind == argc - 1) {
		char dir[PATH_MAX];
		cli_pod_dir(argv[optind], dir, sizeof(dir), true);
		if (!(pods = calloc(2, sizeof(*pods))) || !(pods[0] = strdup(argv[optind])))
			die("out of memory");
		n = 1;
	} else if (state_check_roots(false) < 0 || state_list(&pods, &n) < 0) {
		die_last();
	}
	struct row {
		char pod[256], ctr[256];
		struct cg cg;
		uint64_t cpu0;
	} *rows = NULL;
	size_t nr = 0;
	/* Each pod's cgroups lie beneath its supervisor's, which may not be
	 * ours (another session's scope): found from the state, as by exec. */
	struct cg_host **hosts = calloc(n ? n : 1, sizeof(*hosts));
	if (!hosts)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX], cgrel[CG_REL_MAX], self[4096], **ctrs;
		if (state_pod_dir(pods[i], dir, sizeof(dir)) < 0 ||
		    !state_live_pid(dir, "supervisor") ||
		    state_get(dir, "cgroup", cgrel, sizeof(cgrel)) < 0 ||
		    state_get(dir, "cgroup_self", self, sizeof(self)) < 0)
			continue;
		struct cg_host *h = hosts[i] = malloc(sizeof(*h));
		if (!h)
			die("out of memory");
		if (cg_detect(h, NULL, self) < 0)
			die("top: pod %s: %s", pods[i], last_error());
		if (state_get_list(dir, "container_names", &ctrs) < 0)
			continue;
		for (size_t k = 0; ctrs[k]; k++) {
			char cdir[PATH_MAX + 300], rel[CG_REL_MAX * 2];
			ctr_dir(dir, ctrs[k], cdir, sizeof(cdir));
			snprintf(rel, sizeof(rel), "%s/%s", cgrel, ctrs[k]);
			struct row r = {0};
			struct cg_stats st;
			if (!state_live_pid(cdir, "") || cg_open(h, rel, &r.cg) < 0 ||
			    cg_stats(&r.cg, &st) < 0)
				continue;
			snprintf(r.pod, sizeof(r.pod), "%s", pods[i]);
			snprintf(r.ctr, sizeof(r.ctr), "%s", ctrs[k]);
			r.cpu0 = st.cpu_usage_ns;
			struct row *grown = realloc(rows, (nr + 1) * sizeof(*rows));
			if (!grown)
				die("out of memory");
			rows = grown;
			rows[nr++] = r;
		}
		free(ctrs);
	}
	const int window_ms = 500;
	int64_t t0 = now_ns();
	sleep_ms(window_ms);
	int64_t dt = now_ns() - t0;
	printf("%-24s %-22s %-11s %s\n", "POD", "NAME", "CPU(cores)", "MEMORY(bytes)");
	for (size_t i = 0; i < nr; i++) {
		struct cg_stats st;
		if (cg_stats(&rows[i].cg, &st) < 0)
			continue;
		uint64_t milli =
		    dt > 0 ? (st.cpu_usage_ns - rows[i].cpu0) * 1000 / (uint64_t)dt : 0;
		char cpu[24];
		snprintf(cpu, sizeof(cpu), "%llum", (unsigned long long)milli);
		printf("%-24s %-22s %-11s %lluMi\n", rows[i].pod, rows[i].ctr, cpu,
		       (unsigned long long)(st.working_set >> 20));
	}
	free(rows);
	for (size_t i = 0; i < n; i++)
		free(hosts[i]);
	free(hosts);
	state_free_list(pods, n);
	return 0;
}

/* ---- what pods wrote, on the operator's terminal ------------------------------------------ */

/* describe and get print what a pod's author and its containers wrote:
 * annotations, a termination message, events. A terminal obeys the control
 * sequences in it (ESC [ ... rewrites the screen, OSC sets the title or the
 * clipboard): kubectl's CVE-2021-25743. So their stdout goes through this
 * filter, which writes each control character but newline and tab - C0,
 * DEL, and C1 (U+0080-U+009F, which some terminals take as ESC [ and the
 * like) - as \u00XX, JSON's own escape: -o json still reads back as the
 * same strings (json-c leaves C1 and DEL raw), and -o yaml has none left
 * (libyaml escapes them all). */
static ssize_t escape_write(void *cookie, const char *buf, size_t n)
{
	bool *lead = cookie; /* a 0xC2 held back: the next byte may make it a C1 */
	char out[4096];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (o + 16 > sizeof(out)) {
			if (write_whole(STDOUT_FILENO, out, o, "stdout") < 0)
				return -1;
			o = 0;
		}
		bool c1 = *lead && ch >= 0x80 && ch <= 0x9f;
		if (*lead && !c1)
			out[o++] = (char)0xc2;
		*lead = !c1 && ch == 0xc2;
		if (c1 || (ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\u%04x", ch);
		else if (!*lead)
			out[o++] = (char)ch;
	}
	return write_whole(STDOUT_FILENO, out, o, "stdout") < 0 ? -1 : (ssize_t)n;
}

static int escape_close(void *cookie)
{
	bool *lead = cookie;
	return *lead ? write_whole(STDOUT_FILENO, "\xc2", 1, "stdout") : 0;
}

static void escape_stdout(void)
{
	static bool lead;
	FILE *f = fopencookie(
	    &lead, "w", (cookie_io_functions_t){.write = escape_write, .close = escape_close});
	if (!f)
		die_errno("fopencookie");
	setvbuf(f, NULL, _IOLBF, 0); /* in step with what goes to stderr */
	fflush(stdout);
	stdout = f;
}

/* ---- main --------------------------------------------------------------------------------------
 */

static const struct command commands[] = {
    {"run", cmd_run, "[-d [--timeout DUR] [--wait none]] [--allow-unsupported] POD.yaml",
     "Start the pod(s) in a YAML file. In the foreground Ctrl-C stops them gracefully.",
     "  -d, --detach  run in the background; return once every app container runs,\n"
     "                the pod ended, or a container is stuck (CrashLoopBackOff...: exit 1)\n"
     "  --timeout DURATION  with -d: give up waiting after this long (exit 1)\n"
     "  --wait none   with -d: return once the sandbox is up\n"
     "  --allow-unsupported  run without the fields podrun cannot honour (gRPC\n"
     "                probes, seLinuxOptions...): each becomes a warning instead of an error\n",
     true},
    {"ps", cmd_ps, "", "List pods (phase, ready, restarts, QoS, age, IP) and their containers.", "",
     false},
    {"get", cmd_get, "[POD...] [-o wide|json|yaml]",
     "List pods as kubectl get pods does, or print a pod as a v1 Pod (JSON, YAML).", "", false},
    {"describe", cmd_describe, "[POD...]",
     "Show pods as kubectl describe does: containers, conditions, events.", "", false},
    {"wait", cmd_wait, "--for=COND [--timeout DUR] POD...",
     "Wait until pods' condition holds (condition=Ready, delete, jsonpath=...).", "", false},
    {"logs", cmd_logs, "[-f] [-p] [-c C] [OPTIONS] POD",
     "Print a container's log (default: the annotated default container, else the first "
     "app container); --help for all options.",
     "", false},
    {"exec", cmd_exec, "[-c CONTAINER] [-i] [-t] POD -- CMD [ARG...]",
     "Run CMD inside a running container (its namespaces, capabilities and user).",
     "  -c, --container NAME  the container (default: the annotated default container,\n"
     "                        else the first app container)\n"
     "  -i, --stdin   pass our stdin to CMD (else CMD reads /dev/null)\n"
     "  -t, --tty     give CMD a terminal of the container's own\n",
     true},
    {"stop", cmd_stop, "[-t DURATION] POD...",
     "Stop pods: SIGTERM to every container, SIGKILL after the grace period.",
     "  -t, --time DURATION  grace period instead of terminationGracePeriodSeconds (5s, "
     "300ms; a bare number is seconds)\n",
     false},
    {"rm", cmd_rm, "[-f] POD...",
     "Remove stopped pods' state; also cleans up after a supervisor that died.",
     "  -f, --force   stop the pod first, with no grace period\n", false},
    {"top", cmd_top, "[POD]",
     "CPU (over half a second) and memory working set per container, from its cgroup.", "", false},
    {"inspect", cmd_inspect, "POD",
     "Show the pod's phase, containers, IP and namespaces (shared or own).", "", false},
    {"validate", cmd_validate, "[-v] [--allow-unsupported] POD.yaml",
     "Parse and check a Pod YAML file; run nothing.",
     "  -v, --verbose  print what podrun understood, defaults filled in\n"
     "  --allow-unsupported  report fields podrun cannot honour as warnings\n",
     false},
    {"image", cmd_image_fn, "load|ls|inspect|rm ...",
     "Manage the image store: load OCI layouts and archives, list, inspect, remove.", "", false},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: podrun COMMAND [OPTIONS] [ARGS]\n"
	           "Run Kubernetes v1 Pod YAML on this machine.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %-36s %s\n", commands[i].name, commands[i].args,
		        commands[i].summary);
	fprintf(f,
	        "\nA POD may be written as kubectl writes it too: pod/NAME, or after the word\n"
	        "pod or pods (podrun get pods, podrun describe pod NAME).\n"
	        "\nEnvironment:\n"
	        "  PODRUN_ROOT    state directory (default " STATE_DEFAULT_ROOT ")\n"
	        "  PODRUN_DATA    overlays, emptyDirs, logs (default " STATE_DEFAULT_DATA ")\n"
	        "  PODRUN_STATE_SIZE  the size of the state tmpfs, every pod's (default 512Mi)\n"
	        "  PODRUN_POD_PIDS_LIMIT  a pod's processes at most (default 1024; -1: none)\n"
	        "  PODRUN_LOG_MAX_SIZE, PODRUN_LOG_MAX_FILES  log rotation (10Mi; 5 files, 2-64)\n"
	        "  PODRUN_EVICTION_PERIOD  how often a disk emptyDir's sizeLimit is checked (10s)\n"
	        "  PODRUN_NODE_MEMORY, PODRUN_NODE_CPUS  the node admission counts on\n"
	        "                 (default: MemTotal, the online CPUs)\n"
	        "  PODRUN_CGROUP  podrun's cgroup, beneath the caller's (default podrun)\n"
	        "  PODRUN_RCU_EXPEDITED  0 or 1: take the kernel's RCU grace periods for\n"
	        "                 expedited or not (default: as the kernel says)\n"
	        "  PODRUN_IMAGES  image store (default $PODRUN_DATA/images; podrun image load)\n"
	        "  PODRUN_BRIDGE  host bridge for pod IPs (default " POD_DEFAULT_BRIDGE
	        "; none: no pod IP)\n"
	        "  PODRUN_SUBNET  pod addresses (default " POD_DEFAULT_SUBNET ")\n"
	        "\nExit status: 0 ok, 1 runtime failure, 2 usage or spec error.\n"
	        "'podrun COMMAND --help' for a command's options.\n");
}

/* What a copy holds: the first `size` bytes of podrun's file `exe`, the ELF
 * header first, as `eh` says it (no section headers when `size` cut them);
 * id_len bytes at id_off are the linker's build ID, or id_len is 0. */
struct exe_copy {
	int exe;
	off_t size;
	ElfW(Ehdr) eh;
	off_t id_off;
	size_t id_len;
};

/* The GNU build ID in the note segment ph points to: where its bytes are in
 * the file. The build links podrun with --build-id=sha1 (capstone.mk): a
 * hash of the linked file, so two files with one build ID are one build. */
static void find_build_id(struct exe_copy *x, const ElfW(Phdr) * ph)
{
	unsigned char notes[512];
	size_t len = ph->p_filesz < sizeof(notes) ? ph->p_filesz : sizeof(notes);
	size_t align = ph->p_align == 8 ? 8 : 4;
	if (pread(x->exe, notes, len, (off_t)ph->p_offset) != (ssize_t)len)
		return;
	for (size_t off = 0; off + sizeof(ElfW(Nhdr)) <= len;) {
		ElfW(Nhdr) nh;
		memcpy(&nh, notes + off, sizeof(nh));
		size_t name = off + sizeof(nh);
		size_t desc = name + ((nh.n_namesz + align - 1) & ~(align - 1));
		if (nh.n_namesz > len || nh.n_descsz > len || desc + nh.n_descsz > len)
			return;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(notes + name, "GNU", 4) && nh.n_descsz >= 8 && nh.n_descsz <= 64) {
			x->id_off = (off_t)(ph->p_offset + desc);
			x->id_len = nh.n_descsz;
			return;
		}
		off = desc + ((nh.n_descsz + align - 1) & ~(align - 1));
	}
}

/* How much of the executable the kernel and the dynamic loader read: up to
 * the end of its last segment. What follows - the debug information, the
 * symbol table, the section headers - is for debuggers, and with -g it is
 * most of the file (1.6 MB of podrun's, 0.45 MB of which are loaded). The
 * copy is shmem that lives as long as the process: every supervisor, one a
 * pod, would hold the whole file in memory, out of sight of its RSS (only
 * the pages it maps count there). The whole file when it is not an ELF
 * file of ours. And its build ID, on the way. */
static off_t loaded_size(struct exe_copy *x, off_t file_size)
{
	const ElfW(Ehdr) *eh = &x->eh;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_phentsize != sizeof(ElfW(Phdr)) ||
	    eh->e_phnum == 0 || eh->e_phnum > 64)
		return file_size;
	ElfW(Phdr) ph[64];
	size_t len = (size_t)eh->e_phnum * sizeof(ph[0]);
	if (pread(x->exe, ph, len, (off_t)eh->e_phoff) != (ssize_t)len)
		return file_size;
	uint64_t end = eh->e_phoff + len;
	for (size_t i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_offset + ph[i].p_filesz > end)
			end = ph[i].p_offset + ph[i].p_filesz;
		if (ph[i].p_type == PT_NOTE && !x->id_len)
			find_build_id(x, &ph[i]);
	}
	if (x->id_off + (off_t)x->id_len > (off_t)end)
		x->id_len = 0;
	return end < (uint64_t)file_size ? (off_t)end : file_size;
}

/* runc CVE-2019-5736: every process podrun forks into a pod (the container's
 * PID 1 before its execve, `exec`'s process, a probe) runs this very binary
 * until it execs, and a process of the pod with CAP_SYS_PTRACE can open it
 * through /proc/PID/exe - then write it once podrun exits, replacing the
 * host's podrun with its own code. So a podrun that puts processes into pods
 * (run, exec) never runs from its file: it re-executes itself from a sealed
 * in-memory copy, which no one can write (runc's answer too): one copy for
 * every pod started by the same build (borrow_sealed_copy). The other
 * commands only read state, signal and clean up from the host, and skip the
 * copy and the second start of the dynamic loader it costs.
 *
 * Not runc 1.2's newer answer, the file itself executed through a read-only
 * overlayfs attached nowhere: the kernel's ETXTBSY then guards only the
 * overlay's file, and a `cp` over the host's podrun would change the code
 * under every running supervisor (capstone README, "Where a supervisor's
 * memory goes"). */
static bool is_sealed_copy(void)
{
	char self[64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	return n > 0 && (self[n] = '\0', !strncmp(self, "/memfd:podrun", 13));
}

/* F_SEAL_FUTURE_WRITE, not F_SEAL_WRITE: both refuse every later write
 * through any fd (a reopened /proc/PID/exe too) and every new shared
 * writable mapping, which is all a copy that was never mapped shared and
 * writable needs. F_SEAL_WRITE must prove besides that nothing holds a page
 * of the file, and a page the kernel holds for a moment of its own (reclaim
 * or compaction isolating it) makes it wait 150 ms, then fail with EBUSY:
 * `run` failed so on a loaded machine. FUTURE_WRITE is Linux 5.1, and right
 * for private mappings (the loader's) since 5.5; podrun needs 5.6. */
#define COPY_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE)

static int make_sealed_copy(const struct exe_copy *x)
{
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
	/* MFD_EXEC: say it is meant to run (kernels since 6.3 ask; older ones
	 * do not know the flag, and every memfd may run there). */
	int copy = memfd_create("podrun", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (copy < 0 && errno == EINVAL)
		copy = memfd_create("podrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (copy < 0)
		die_errno("memfd_create(podrun)");
	for (off_t off = 0; off < x->size;) {
		if (sendfile(copy, x->exe, &off, (size_t)(x->size - off)) <= 0)
			die_errno("sendfile(/proc/self/exe into a memfd)");
	}
	if (pwrite(copy, &x->eh, sizeof(x->eh), 0) != (ssize_t)sizeof(x->eh))
		die_errno("pwrite(the memfd copy's ELF header)");
	if (fcntl(copy, F_ADD_SEALS, COPY_SEALS) < 0)
		die_errno("fcntl(memfd, F_ADD_SEALS)");
	return copy;
}

/* Is fd, sealed, the copy this podrun would make? Not when the pod was
 * started by another build of podrun (an upgrade since). */
static bool is_our_copy(int fd, const struct exe_copy *x)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & COPY_SEALS) != COPY_SEALS || fstat(fd, &st) < 0 ||
	    st.st_size != x->size || x->size <= (off_t)sizeof(x->eh))
		return false;
	/* The same size and build ID: the same build, without reading the
	 * 1.6 MB of both files at every `run` and `exec` beside a pod. A
	 * podrun linked without a build ID (not by capstone.mk) borrows none. */
	unsigned char theirs[64], ours[64];
	ssize_t n = (ssize_t)x->id_len;
	return n && pread(fd, theirs, x->id_len, x->id_off) == n &&
	       pread(x->exe, ours, x->id_len, x->id_off) == n && !memcmp(theirs, ours, x->id_len);
}

/* The copy a running pod's supervisor runs from, if it is ours: one copy
 * for every pod of a node, not one each (0.4 MB a pod). Only the recorded
 * supervisor of a pod of this root, that very process (state_live_pid), is
 * asked: its copy was made and sealed by a podrun, before any mapping of it
 * could be shared and writable - which FUTURE_WRITE would not take away.
 * The name is read before the file is opened, so no other kind of file is
 * opened on the way; and a root that others could write to, which could
 * name any process, is not read at all (the command refuses it later). The
 * fd, or -1. */
static int borrow_sealed_copy(const struct exe_copy *x)
{
	char pods[PATH_MAX];
	snprintf(pods, sizeof(pods), "%s/pods", state_root());
	DIR *d = state_check_roots(false) == 0 ? opendir(pods) : NULL;
	if (!d)
		return -1;
	int found = -1;
	struct stat other = {0};
	struct dirent *e;
	while (found < 0 && (e = readdir(d))) {
		char dir[PATH_MAX + 256], exe[64], name[64];
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", pods, e->d_name);
		pid_t pid = state_live_pid(dir, "supervisor");
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
		ssize_t len = pid > 0 ? readlink(exe, name, sizeof(name) - 1) : -1;
		if (len < 0 || (name[len] = '\0', strcmp(name, "/memfd:podrun (deleted)")))
			continue;
		int fd = open(exe, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0) {
			closep(&fd);
			continue;
		}
		/* the pods of another build share their copy: compare it once */
		if ((st.st_dev != other.st_dev || st.st_ino != other.st_ino) &&
		    is_our_copy(fd, x)) {
			found = fd;
		} else {
			other = st;
			close(fd);
		}
	}
	closedir(d);
	return found;
}

static void run_from_sealed_copy(char **argv)
{
	struct exe_copy x = {.exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)};
	struct stat st;
	if (x.exe < 0 || fstat(x.exe, &st) < 0)
		die_errno("open(/proc/self/exe)");
	if (pread(x.exe, &x.eh, sizeof(x.eh), 0) != (ssize_t)sizeof(x.eh))
		die_errno("pread(/proc/self/exe, its ELF header)");
	x.size = loaded_size(&x, st.st_size);
	if (x.size < st.st_size) {
		/* The section headers were cut off with the rest: say there are none. */
		x.eh.e_shoff = 0;
		x.eh.e_shnum = 0;
		x.eh.e_shstrndx = SHN_UNDEF;
	}
	int copy = borrow_sealed_copy(&x);
	if (copy < 0)
		copy = make_sealed_copy(&x);
	close(x.exe);
	fexecve(copy, argv, environ);
	die_errno("fexecve(sealed copy of podrun)");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die_usage("expected a command");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[1], commands[i].name)) {
			current = &commands[i];
			if (current->sealed && !is_sealed_copy()) {
				/* The first move into a cgroup will wait for a grace
				 * period: start that wait before anything else. */
				res_warm_moves();
				run_from_sealed_copy(argv);
			}
			/* RuntimeDefault as the build made it (seccomp_default.h) */
			ctr_seccomp_use_presets(seccomp_presets, seccomp_n_presets);
			bool escape = current->fn == cmd_describe || current->fn == cmd_get;
			if (escape)
				escape_stdout();
			int rc = commands[i].fn(argc - 1, argv + 1);
			/* the filter may hold a byte back (escape_close) */
			if (escape && fclose(stdout) != 0)
				die_errno("writing to stdout");
			return rc;
		}
	}
	die_usage("unknown command '%s'", argv[1]);
}
