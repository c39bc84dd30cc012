/*
 * cli.h - what podrun's commands (podrun.c, get_cmd.c, logs_cmd.c) share
 * when they turn their arguments into a pod's state. Unlike the modules,
 * these exit on an error: 2 for a usage error, 1 for a failure.
 */
#ifndef PODRUN_CLI_H
#define PODRUN_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* A pod named on the command line: its state directory, or exit - 2 for a
 * name that is no pod name (it would be a path component), 1 otherwise (no
 * such pod, with must_exist). */
void cli_pod_dir(const char *name, char *dir, size_t len, bool must_exist);

/* Several pods named on the command line: one that is no pod name is a
 * usage error (exit 2) before any pod is touched. */
void cli_check_pod_names(int n, char *const *names);

/* kubectl's ways of naming a pod, taken too: the resource before the names
 * ("get pods", "describe pod web") and TYPE/NAME ("pod/web"). Steps over the
 * resource word at argv[first] and strips "pod/", "pods/" or "po/" from the
 * names in argv[first..argc); returns the index of the first name. A word
 * alone is a pod's name, unless the command lists every pod when it names
 * none (list_all: get, describe, top), as `kubectl get pods` does. */
int cli_pod_operands(int argc, char **argv, int first, bool list_all);
const char *cli_pod_name(const char *arg);

/* The pod's containers, in spec order (init containers first); free(). */
char **cli_pod_containers(const char *dir);

/* The container called name, or (name NULL) the one the pod's
 * kubectl.kubernetes.io/default-container annotation names, else the first
 * app container, as kubectl picks; exit 2 when there is none. */
const char *cli_pick_container(const char *pod, const char *dir, char **names, const char *name);

#endif
