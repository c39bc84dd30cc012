/*
 * sidekit.c - scaffolding for the lab 05 step programs (see sidekit.h).
 */
#include "sidekit.h"
#include "netutil.h"
#include "rootfs.h"

#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>

#define SK_MAX_PODS    4
#define SK_MAX_HELPERS 8

static char run_dir[PATH_MAX];
static bool own_dir;
static pid_t owner; /* a forked child that exits must not tear the pods down */
static struct sk_pod *pods[SK_MAX_PODS];
static int n_pods;
static pid_t helpers[SK_MAX_HELPERS];
static int n_helpers;

void sk_begin(const char *dir)
{
	/* Ctrl-C must reach the teardown, not kill us with the pods up. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (dir) {
		if (mkdir(dir, 0700) < 0)
			die_errno("mkdir(%s)", dir);
		snprintf(run_dir, sizeof(run_dir), "%s", dir);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(run_dir, sizeof(run_dir), "%s/podlab-lab5.XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(run_dir))
			die_errno("mkdtemp(%s)", run_dir);
	}
	own_dir = true;
	owner = getpid();
	atexit(sk_end);
}

void sk_pod_up(struct sk_pod *p, const char *name, int host_index, const char *volume)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	if (n_pods == SK_MAX_PODS)
		die("too many pods");
	pods[n_pods++] = p;
	if (snprintf(p->dir, sizeof(p->dir), "%s/%s", run_dir, name) >= (int)sizeof(p->dir))
		die("state path too long");
	if (mkdir(p->dir, 0700) < 0)
		die_errno("mkdir(%s)", p->dir);

	struct infra_config ic = {
	    .hostname = name,
	    .bridge = SK_BRIDGE,
	    .subnet = SK_SUBNET,
	    .host_index = host_index,
	};
	if (infra_start(&ic, &p->sandbox) < 0)
		die("pod %s: %s", name, last_error());
	p->up = true;
	if (volume) {
		struct vol_spec vs = {.name = volume, .kind = VOL_EMPTYDIR};
		if (vol_prepare(&vs, p->dir, &p->volume) < 0)
			die("pod %s: volume %s: %s", name, volume, last_error());
		p->volume_up = true;
	}
}

struct ctr *sk_run(struct sk_pod *p, const char *name, const char *image, char *const argv[],
                   const char *mount_path, int stdout_fd)
{
	if (p->n == SK_MAX_CONTAINERS)
		die("pod %s: too many containers", p->name);
	int i = p->n++;
	if (snprintf(p->state[i], sizeof(p->state[i]), "%s/containers/%s", p->dir, name) >=
	    (int)sizeof(p->state[i]))
		die("state path too long");
	p->cfg[i] = (struct ctr_config){
	    .name = name,
	    .image = image,
	    .state_dir = p->state[i],
	    .argv = argv,
	    .stdin_fd = -1,
	    .stdout_fd = stdout_fd,
	    .stderr_fd = -1,
	};
	if (mount_path && p->volume_up) {
		p->mount[i] = (struct ctr_mount){.volume = &p->volume, .mount_path = mount_path};
		p->cfg[i].mounts = &p->mount[i];
		p->cfg[i].n_mounts = 1;
	}
	if (ctr_start(&p->sandbox, &p->cfg[i], &p->ctr[i]) < 0)
		die("pod %s: container %s: %s", p->name, name, last_error());
	return &p->ctr[i];
}

void sk_restart(struct sk_pod *p, struct ctr *c)
{
	int i = (int)(c - p->ctr);
	/* A restarted container starts from its image again, as in Kubernetes:
	 * only the volume carries state across. */
	if (ctr_cleanup(&p->cfg[i]) < 0)
		die("pod %s: %s", p->name, last_error());
	if (ctr_start(&p->sandbox, &p->cfg[i], c) < 0)
		die("pod %s: container %s: %s", p->name, p->cfg[i].name, last_error());
}

pid_t sk_spawn(char *const argv[], const char *out_path)
{
	if (n_helpers == SK_MAX_HELPERS)
		die("too many helper processes");
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (out_path) {
			int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (fd < 0)
				die_errno("open(%s)", out_path);
			if (dup2(fd, STDOUT_FILENO) < 0)
				die_errno("dup2(%s, stdout)", out_path);
		}
		execv(argv[0], argv);
		die_errno("execv(%s)", argv[0]);
	}
	helpers[n_helpers++] = pid;
	return pid;
}

const char *sk_sibling(const char *name)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		die_errno("readlink(/proc/self/exe)");
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dirname(self), name);
	if (access(path, X_OK) < 0)
		die_errno("%s (build it with make build-lab-5)", path);
	return path;
}

int sk_interrupted(void)
{
	sigset_t pending;
	if (sigpending(&pending) < 0)
		return 0;
	if (sigismember(&pending, SIGINT) == 1)
		return SIGINT;
	return sigismember(&pending, SIGTERM) == 1 ? SIGTERM : 0;
}

void sk_check_interrupt(void)
{
	int sig = sk_interrupted();
	if (sig)
		die("interrupted by SIG%s: stopping the pods", sigabbrev_np(sig));
}

void sk_wait(struct ctr *c, const char *name, int timeout_ms)
{
	int64_t until = now_ms() + timeout_ms;
	/* The pidfd turns readable when the process exits; poll it in short
	 * slices because the signals we also wait for are blocked, not caught. */
	struct pollfd p = {.fd = c->pidfd, .events = POLLIN};
	while (c->state == CTR_RUNNING && poll(&p, 1, 50) == 0) {
		sk_check_interrupt();
		if (now_ms() > until)
			die("container %s did not finish within %d ms", name, timeout_ms);
	}
	if (ctr_wait(c) < 0)
		die_last();
}

void sk_wait_port(const char *addr, int timeout_ms)
{
	struct sockaddr_in a;
	if (nu_parse_hostport(addr, &a) < 0)
		die_last();
	int64_t until = now_ms() + timeout_ms;
	for (;;) {
		int fd = nu_connect(&a, 200);
		if (fd >= 0) {
			close(fd);
			return;
		}
		if (now_ms() > until)
			die("nothing listens at %s: %s", addr, last_error());
		sk_check_interrupt();
		sleep_ms(20);
	}
}

const char *sk_volume_path(const struct sk_pod *p)
{
	return p->volume.host_path;
}

void sk_end(void)
{
	if (getpid() != owner)
		return;
	for (int i = n_pods - 1; i >= 0; i--) {
		struct sk_pod *p = pods[i];
		for (int j = p->n - 1; j >= 0; j--) {
			if (ctr_stop(&p->ctr[j], 1000) < 0 || ctr_cleanup(&p->cfg[j]) < 0)
				warn("pod %s: %s", p->name, last_error());
		}
		p->n = 0;
		if (p->volume_up && vol_teardown(&p->volume) < 0)
			warn("pod %s: %s", p->name, last_error());
		p->volume_up = false;
		if (p->up && infra_stop(&p->sandbox, 1000) < 0)
			warn("pod %s: %s", p->name, last_error());
		p->up = false;
	}
	n_pods = 0;
	for (int i = 0; i < n_helpers; i++) {
		kill(helpers[i], SIGTERM);
		waitpid(helpers[i], NULL, 0);
	}
	n_helpers = 0;
	if (infra_remove_bridge_if_unused(SK_BRIDGE) < 0 && errno != ENOENT && errno != ENODEV)
		warn("%s", last_error());
	if (own_dir && rm_rf(run_dir) < 0)
		warn("%s", last_error());
	own_dir = false;
}
