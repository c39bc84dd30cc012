/*
 * podkit.h - the scaffolding every lab 04 program needs and none of them is
 * about: a private state directory, the sandbox (lab 02), one emptyDir
 * (lab 03), container descriptions with their own state directories, and a
 * teardown that leaves nothing behind. The step programs use it so that their
 * own code is only the idea they show.
 */
#ifndef PODLAB_PODKIT_H
#define PODLAB_PODKIT_H

#include "common.h"
#include "container.h"
#include "infra.h"
#include "init.h"
#include "volume.h"

#include <limits.h>
#include <stdbool.h>

#define KIT_MAX_CONTAINERS 16

struct kit {
	char dir[PATH_MAX]; /* this run's state: containers/NAME, volumes/NAME */
	bool own_dir;       /* we made it (and remove it) */
	struct infra sandbox;
	bool sandbox_up;
	struct volume volume; /* the pod's one emptyDir */
	bool volume_up;
	char state[KIT_MAX_CONTAINERS][PATH_MAX];
	int n_state;
};

/* Block SIGINT and SIGTERM (see kit_up) and make the state directory (dir
 * NULL: a fresh mkdtemp), nothing else: for pods of plain processes. */
void kit_dir(struct kit *k, const char *dir);

/* Block SIGINT and SIGTERM (Ctrl-C then reaches init_pod_run, or waits for
 * the teardown), make the state directory (dir NULL: a fresh mkdtemp), start
 * the sandbox with hostname and share_pid, and prepare an emptyDir named
 * volume (NULL: none). Dies with a clear message, after cleaning up. */
void kit_up(struct kit *k, const char *dir, const char *hostname, bool share_pid,
            const char *volume);

/* A container description with defaults: busybox, its own state directory
 * under the kit's, the emptyDir (if any) mounted at mount_path (NULL: none). */
void kit_container(struct kit *k, struct ctr_config *cfg, const char *name, const char *image,
                   char *const argv[], const char *mount_path);

/* Stop the sandbox, tear down the emptyDir, remove the state directory. */
void kit_down(struct kit *k);

/* The kit is torn down, then "prog: message" and exit 1. */
NORETURN void kit_die(struct kit *k, const char *fmt, ...) PRINTF(2, 3);

/* A one-line summary of a container: "exit 0 (Completed)", "running", ... */
const char *kit_describe(const struct init_member *m, char *buf, size_t len);

#endif
