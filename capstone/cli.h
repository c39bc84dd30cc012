/*
 * cli.h - what podrun's commands (podrun.c, get_cmd.c, logs_cmd.c) share
 * when they turn their arguments into state: the dying side of state.h.
 */
#ifndef PODRUN_CLI_H
#define PODRUN_CLI_H

#include "common.h"
#include "state.h"

#include <stdbool.h>
#include <stddef.h>

/* A pod named on the command line: its state directory, or exit - 2 for a
 * name that is no pod name (it would be a path component), 1 otherwise (no
 * such pod, with must_exist). */
static inline void cli_pod_dir(const char *name, char *dir, size_t len, bool must_exist)
{
	int r = state_pod_arg(name, must_exist, dir, len);
	if (r == -2)
		die_usage("%s", last_error());
	if (r < 0)
		die_last();
}

#endif
