/*
 * envexpand.h - a container's environment and argv as kubelet makes them
 * when the container starts (makeEnvironmentVariables, then
 * ExpandContainerCommandAndArgs):
 *
 *   1. each env entry in order: a value has its $(VAR) references expanded
 *      against the entries before it (a later entry of the same name
 *      replaces an earlier one); a fieldRef or resourceFieldRef is resolved
 *      from the pod, the node and the container's resources, and is never
 *      expanded;
 *   2. command and args written in the pod are expanded against the result;
 *      what comes from the image (Entrypoint, Cmd) is not;
 *   3. the image's Env is the base the container's variables go over (the
 *      runtime's merge): a variable of the pod replaces the image's of the
 *      same name in place, new ones follow.
 *
 * $(VAR) references never see the image's Env: kubelet does not know it (its
 * mapping holds the container's variables and the service variables, which
 * podrun has none of). A pod behaves as it would on a cluster.
 *
 * Expansion is k8s.io/kubernetes/third_party/forked/golang/expansion's:
 * "$(NAME)" is NAME's value, or stays as written when NAME is not defined;
 * "$$" is one "$" (so "$$(NAME)" is the literal "$(NAME)"); a "$" before
 * anything else, an unclosed "$(", and a "$" at the end stay as they are.
 * The name runs to the first ')': "$(A(B))" looks up "A(B", then ")" follows.
 */
#ifndef PODLAB_ENVEXPAND_H
#define PODLAB_ENVEXPAND_H

#include "spec.h"

#include <stddef.h>
#include <stdint.h>

/* What the pod's env may refer to, known once the sandbox is up. */
struct env_ctx {
	const struct pod_spec *pod; /* name, namespace, labels, annotations,
	                             * serviceAccountName, containers' resources */
	const char *uid;            /* metadata.uid, as the supervisor made it */
	const char *pod_ip;         /* "" when the pod has only its loopback */
	const char *host_ip;        /* the node's address as the pod sees it */
	const char *node_name;      /* spec.nodeName: the node's hostname */
	/* The node's allocatable (res_node): a limit that is not set reads as
	 * this, as kubelet's defaultPodLimitsForDownwardAPI does. */
	int64_t node_memory;    /* bytes */
	int64_t node_cpu_milli; /* milliCPU */
};

/* A variable's value by name (len bytes, not NUL-terminated), or NULL when it
 * is not defined. */
typedef const char *(*env_lookup_fn)(void *arg, const char *name, size_t len);

/* in with its $(VAR) references expanded. A new string (free), NULL with
 * ENOMEM. */
char *env_expand(const char *in, env_lookup_fn lookup, void *arg);

/* The lookup over "NAME=value" entries (arg: char *const *, NULL-terminated);
 * the last entry of a name wins. */
const char *env_lookup_strv(void *arg, const char *name, size_t len);

/* A fieldRef's value (e->kind SPEC_ENV_FIELD). A new string (free). */
char *env_field_value(const struct env_ctx *ctx, const struct spec_env *e);

/* A resourceFieldRef's value (e->kind SPEC_ENV_RESOURCE) for container sc:
 * the resource in whole divisor units, rounded up ("1" for 250m of CPU with
 * the default divisor). A new string (free). */
char *env_resource_value(const struct env_ctx *ctx, const struct spec_container *sc,
                         const struct spec_env *e);

/* The container's environment and argv at start. image_env: the image's Env
 * ("NAME=value", may be NULL); image_argv: what img_container_argv made of
 * the pod's command/args and the image's Entrypoint/Cmd. *env and *argv are
 * new NULL-terminated arrays (img_strv_free, or free each and the array). */
int env_build(const struct env_ctx *ctx, const struct spec_container *sc, char *const *image_env,
              char *const *image_argv, char ***env, char ***argv);

/* A volumeMount's subPathExpr as kubelet expands it (kubecontainer's
 * ExpandContainerVolumeMounts): $(VAR) from the container's own variables,
 * as env_build makes them (never the image's Env); "$$" is one "$". A
 * variable not defined or empty is an error ("missing value for VAR"), and
 * so is a result that is absolute or has a ".." element. A new string
 * (free), or NULL with last_error(). */
char *env_sub_path(const struct env_ctx *ctx, const struct spec_container *sc, const char *expr);

/* Free what env_build made (NULL is fine). */
void env_strv_free(char **v);

#endif
