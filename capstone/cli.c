/*
 * cli.c - a pod and its containers, named on podrun's command line.
 */
#include "cli.h"

#include "common.h"
#include "spec.h"
#include "state.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

void cli_pod_dir(const char *name, char *dir, size_t len, bool must_exist)
{
	/* a kind cli_pod_name did not take off: deployment/web, svc/web */
	const char *slash = strchr(name, '/');
	if (slash && *name >= 'a' && *name <= 'z' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz.") == (size_t)(slash - name) &&
	    spec_dns1123_subdomain(slash + 1))
		die_usage("invalid pod name \"%s\": podrun runs pods only (NAME, or pod/NAME)",
		          name);
	int r = state_pod_arg(name, must_exist, dir, len);
	if (r == -2)
		die_usage("%s", last_error());
	if (r < 0)
		die_last();
}

void cli_check_pod_names(int n, char *const *names)
{
	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX];
		cli_pod_dir(names[i], dir, sizeof(dir), false);
	}
}

/* kubectl's names of the pod resource: plural, singular, short. */
static const char *const pod_words[] = {"pods", "pod", "po"};

static bool is_pod_word(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(pod_words); i++)
		if (strlen(pod_words[i]) == len && !strncmp(s, pod_words[i], len))
			return true;
	return false;
}

const char *cli_pod_name(const char *arg)
{
	const char *slash = strchr(arg, '/');
	return slash && is_pod_word(arg, (size_t)(slash - arg)) ? slash + 1 : arg;
}

int cli_pod_operands(int argc, char **argv, int first, bool list_all)
{
	if (first < argc && is_pod_word(argv[first], strlen(argv[first])) &&
	    (first < argc - 1 || list_all))
		first++;
	for (int i = first; i < argc; i++)
		argv[i] = (char *)cli_pod_name(argv[i]);
	return first;
}

char **cli_pod_containers(const char *dir)
{
	char **names;
	if (state_get_list(dir, "container_names", &names) < 0)
		die("%s: no container list: %s", dir, last_error());
	return names;
}

static bool kind_is(const char *dir, const char *ctr, const char *want)
{
	char d[PATH_MAX + 300], kind[16];
	snprintf(d, sizeof(d), "%s/containers/%s", dir, ctr);
	return state_get(d, "kind", kind, sizeof(kind)) >= 0 && !strcmp(kind, want);
}

/* kubectl's AllContainerNames: the app containers, then the init
 * containers (native sidecars too) marked so. */
static void all_names(const char *dir, char **names, char *out, size_t len)
{
	out[0] = '\0';
	for (int init = 0; init < 2; init++)
		for (size_t i = 0; names[i]; i++)
			if (kind_is(dir, names[i], "app") == !init)
				snprintf(out + strlen(out), len - strlen(out), "%s%s%s",
				         out[0] ? ", " : "", names[i], init ? " (init)" : "");
}

/* The first app container of names, or NULL. */
static const char *first_app(const char *dir, char **names)
{
	for (size_t i = 0; names[i]; i++)
		if (kind_is(dir, names[i], "app"))
			return names[i];
	return NULL;
}

const char *cli_pick_container(const char *pod, const char *dir, char **names, const char *name)
{
	/* No name: the one the pod's kubectl.kubernetes.io/default-container
	 * annotation names (any of its containers, an init container too), as
	 * kubectl's FindOrDefaultContainerByName picks it; else the first app
	 * container. */
	char dflt[256] = "";
	if (!name && state_get(dir, "default_container", dflt, sizeof(dflt)) == 0 && dflt[0])
		name = dflt;
	for (size_t i = 0; name && names[i]; i++)
		if (!strcmp(names[i], name))
			return names[i];
	char all[512];
	if (!name || name == dflt) {
		const char *first = first_app(dir, names);
		/* an annotation that names no container: kubectl falls back to
		 * the first, and says so when there was a choice */
		if (first && name == dflt && names[1]) {
			all_names(dir, names, all, sizeof(all));
			fprintf(stderr, "Defaulted container \"%s\" out of: %s\n", first, all);
		}
		if (first)
			return first;
		name = NULL;
	}
	all[0] = '\0';
	for (size_t i = 0; names[i]; i++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? ", " : "",
		         names[i]);
	die_usage("pod %s has no container %s (it has: %s)", pod, name ? name : "(app)", all);
}
