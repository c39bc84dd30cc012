/*
 * cli.c - a pod and its containers, named on podrun's command line.
 */
#include "cli.h"

#include "common.h"
#include "state.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

void cli_pod_dir(const char *name, char *dir, size_t len, bool must_exist)
{
	int r = state_pod_arg(name, must_exist, dir, len);
	if (r == -2)
		die_usage("%s", last_error());
	if (r < 0)
		die_last();
}

char **cli_pod_containers(const char *dir)
{
	char **names;
	if (state_get_list(dir, "container_names", &names) < 0)
		die("%s: no container list: %s", dir, last_error());
	return names;
}

const char *cli_pick_container(const char *pod, const char *dir, char **names, const char *name)
{
	for (size_t i = 0; names[i]; i++) {
		char d[PATH_MAX + 300], kind[16];
		snprintf(d, sizeof(d), "%s/containers/%s", dir, names[i]);
		if (name ? !strcmp(names[i], name)
		         : state_get(d, "kind", kind, sizeof(kind)) >= 0 && !strcmp(kind, "app"))
			return names[i];
	}
	char all[512] = "";
	for (size_t i = 0; names[i]; i++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? ", " : "",
		         names[i]);
	die_usage("pod %s has no container %s (it has: %s)", pod, name ? name : "(app)", all);
}
