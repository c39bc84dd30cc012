/*
 * podkit.c - scaffolding for the lab 04 programs (see podkit.h).
 */
#include "podkit.h"

#include "common.h"
#include "rootfs.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static struct ctr_mount kit_mounts[KIT_MAX_CONTAINERS];

void kit_dir(struct kit *k, const char *dir)
{
	memset(k, 0, sizeof(*k));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (dir) {
		if (mkdir(dir, 0700) < 0)
			die_errno("mkdir(%s)", dir);
		snprintf(k->dir, sizeof(k->dir), "%s", dir);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(k->dir, sizeof(k->dir), "%s/podlab-lab4.XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(k->dir))
			die_errno("mkdtemp(%s)", k->dir);
	}
	k->own_dir = true;
}

void kit_up(struct kit *k, const char *dir, const char *hostname, bool share_pid,
            const char *volume)
{
	kit_dir(k, dir);
	struct infra_config ic = {.hostname = hostname, .share_pid = share_pid};
	if (infra_start(&ic, &k->sandbox) < 0)
		kit_die(k, "sandbox: %s", last_error());
	k->sandbox_up = true;

	if (volume) {
		struct vol_spec vs = {.name = volume, .kind = VOL_EMPTYDIR};
		if (vol_prepare(&vs, k->dir, &k->volume) < 0)
			kit_die(k, "volume %s: %s", volume, last_error());
		k->volume_up = true;
	}
}

void kit_container(struct kit *k, struct ctr_config *cfg, const char *name, const char *image,
                   char *const argv[], const char *mount_path)
{
	if (k->n_state >= KIT_MAX_CONTAINERS)
		kit_die(k, "too many containers (at most %d)", KIT_MAX_CONTAINERS);
	int i = k->n_state++;
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/containers/%s", k->dir, name) >= (int)sizeof(path))
		kit_die(k, "container %s: state path too long", name);
	memcpy(k->state[i], path, sizeof(path));
	*cfg = (struct ctr_config){
	    .name = name,
	    .image = image ? image : "busybox",
	    .state_dir = k->state[i],
	    .argv = argv,
	    .stdin_fd = -1,
	    .stdout_fd = -1,
	    .stderr_fd = -1,
	};
	if (mount_path && k->volume_up) {
		kit_mounts[i] = (struct ctr_mount){.volume = &k->volume, .mount_path = mount_path};
		cfg->mounts = &kit_mounts[i];
		cfg->n_mounts = 1;
	}
}

void kit_down(struct kit *k)
{
	/* The containers are gone (init_pod_stop or ctr_stop reaped them); what
	 * remains are their overlay directories, the volume, the holder. */
	for (int i = 0; i < k->n_state; i++) {
		if (rootfs_cleanup(k->state[i]) < 0)
			warn("%s", last_error());
	}
	if (k->volume_up && vol_teardown(&k->volume) < 0)
		warn("%s", last_error());
	k->volume_up = false;
	if (k->sandbox_up && infra_stop(&k->sandbox, 1000) < 0)
		warn("%s", last_error());
	k->sandbox_up = false;
	if (k->own_dir && rm_rf(k->dir) < 0)
		warn("%s", last_error());
	k->own_dir = false;
}

void kit_die(struct kit *k, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kit_down(k);
	die("%s", msg);
}

const char *kit_describe(const struct init_member *m, char *buf, size_t len)
{
	switch (m->c.state) {
	case CTR_WAITING:
		snprintf(buf, len, "waiting%s%s", m->waiting_reason[0] ? ": " : "",
		         m->waiting_reason);
		break;
	case CTR_RUNNING:
		snprintf(buf, len, "running (pid %d)", (int)m->c.pid);
		break;
	case CTR_TERMINATED:
		snprintf(buf, len, "exit %d (%s)", m->c.exit_code, m->c.reason);
		break;
	}
	return buf;
}
