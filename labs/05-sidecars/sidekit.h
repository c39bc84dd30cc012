/*
 * sidekit.h - the scaffolding the lab 05 step programs share and none of them
 * is about: pods with an IP on the lab's bridge (lab 02), one emptyDir each
 * (lab 03), container descriptions (lab 04), host-side helper processes (the
 * collector, the monitor's peers), and a teardown that leaves nothing behind,
 * also when a step dies halfway.
 */
#ifndef PODLAB_SIDEKIT_H
#define PODLAB_SIDEKIT_H

#include "common.h"
#include "container.h"
#include "infra.h"
#include "volume.h"

#include <limits.h>
#include <stdbool.h>

#define SK_BRIDGE         "lab5br0"
#define SK_SUBNET         "198.18.5.0/24"
#define SK_HOST_IP        "198.18.5.1" /* the bridge's address: the host, seen from a pod */
#define SK_MAX_CONTAINERS 4

struct sk_pod {
	const char *name;
	char dir[PATH_MAX]; /* containers/NAME, volumes/NAME */
	struct infra sandbox;
	bool up;
	struct volume volume; /* the pod's one emptyDir, if any */
	bool volume_up;
	struct ctr_config cfg[SK_MAX_CONTAINERS];
	struct ctr ctr[SK_MAX_CONTAINERS];
	struct ctr_mount mount[SK_MAX_CONTAINERS];
	char state[SK_MAX_CONTAINERS][PATH_MAX];
	int n;
};

/* The run's state directory (dir NULL: a fresh one under $TMPDIR or /tmp). */
void sk_begin(const char *dir);

/* Start pod p: a sandbox at 198.18.5.<host_index> on lab5br0, and an emptyDir
 * named volume (NULL: none). Dies, after cleaning up, on failure. */
void sk_pod_up(struct sk_pod *p, const char *name, int host_index, const char *volume);

/* Describe container i of p (image, argv, the emptyDir at mount_path or
 * NULL) and start it. stdout_fd -1: inherit. */
struct ctr *sk_run(struct sk_pod *p, const char *name, const char *image, char *const argv[],
                   const char *mount_path, int stdout_fd);

/* Start container c of p again after it ended (a restart). */
void sk_restart(struct sk_pod *p, struct ctr *c);

/* Run a host program (a sidecar binary built beside this step) in the
 * background; it is killed at sk_end(). */
pid_t sk_spawn(char *const argv[], const char *out_path);

/* The path of a program built beside this one: sk_sibling("logsink"). */
const char *sk_sibling(const char *name);

/* Wait until something accepts TCP connections at addr ("IP:PORT"). */
void sk_wait_port(const char *addr, int timeout_ms);

/* SIGINT and SIGTERM are blocked while pods are up, so that Ctrl-C cannot
 * leave them behind; the steps' waiting loops call this to notice one and
 * die (the teardown runs from atexit). */
void sk_check_interrupt(void);

/* The signal sk_check_interrupt would die of (SIGINT, SIGTERM), or 0: for
 * a step that has processes of its own to end first. */
int sk_interrupted(void);

/* Wait for container c to exit, as ctr_wait() does, but give up (die) on
 * SIGINT/SIGTERM or after timeout_ms: a step must never hang on an app
 * whose sidecar is broken. */
void sk_wait(struct ctr *c, const char *name, int timeout_ms);

/* Stop every container, pod and host helper, remove the state directory
 * and the bridge. Registered with atexit() by sk_begin(), so die() cleans too. */
void sk_end(void);

/* The host path of p's emptyDir. */
const char *sk_volume_path(const struct sk_pod *p);

#endif
