/*
 * test_envexpand.c - unit tests of capstone/envexpand.c: Kubernetes' $(VAR)
 * expansion with its corner cases, and a container's env and argv at start
 * with fieldRef and resourceFieldRef resolved.
 */
#include "common.h"
#include "envexpand.h"
#include "spec.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static char *const vars[] = {"A=x", "EMPTY=", "B=$(A)", "P(Q=odd", "A=last", "K=V=w", NULL};

static void expands(const char *in, const char *want)
{
	char *got = env_expand(in, env_lookup_strv, (void *)vars);
	cr_assert_not_null(got);
	cr_assert_str_eq(got, want, "\"%s\": got \"%s\", want \"%s\"", in, got, want);
	free(got);
}

Test(expand, references)
{
	expands("", "");
	expands("plain", "plain");
	expands("$(A)", "last"); /* the last definition wins */
	expands("-$(A)-$(A)-", "-last-last-");
	expands("$(EMPTY)", "");
	expands("$(A)$(EMPTY)$(A)", "lastlast");
	/* a value is not expanded again */
	expands("$(B)", "$(A)");
}

Test(expand, undefined_stays_as_written)
{
	expands("$(NOPE)", "$(NOPE)");
	expands("a $(NOPE) b", "a $(NOPE) b");
	expands("$()", "$()");
	/* no name holds a '=': K's value "V=w" is not a variable "K=V" of value w */
	expands("$(K)", "V=w");
	expands("$(K=V)", "$(K=V)");
	expands("$(A=)", "$(A=)");
}

Test(expand, escapes)
{
	expands("$$(A)", "$(A)");
	expands("$$$(A)", "$last");
	expands("$$$$(A)", "$$(A)");
	expands("$$", "$");
	expands("a$$b", "a$b");
}

Test(expand, operators_that_begin_nothing)
{
	expands("$A", "$A");
	expands("$ (A)", "$ (A)");
	expands("${A}", "${A}");
	/* a '$' at the end stays */
	expands("$", "$");
	expands("x$", "x$");
	expands("$(A)$", "last$");
	/* '$' then a multibyte character, kept whole */
	expands("$\xc3\xa9", "$\xc3\xa9");
	/* an invalid byte after '$' becomes U+FFFD, as Go's rune decoding does */
	expands("$\xff", "$\xef\xbf\xbd");
	expands("a\xff", "a\xff");
}

Test(expand, unclosed_and_nested)
{
	expands("$(A", "$(A");
	expands("$(", "$(");
	expands("x $(A $(A)", "x $(A $(A)");
	/* the name runs to the first ')' */
	expands("$(P(Q)", "odd");
	expands("$(A(B))", "$(A(B))");
	expands("$(P(Q))", "odd)");
	expands("$((A))", "$((A))");
}

/* ---- a container's env at start ----------------------------------------------- */

static struct pod_spec *parse(const char *text, size_t *n)
{
	struct pod_spec *pods = NULL;
	cr_assert_eq(spec_parse_buffer("t.yaml", text, strlen(text), NULL, NULL, &pods, n), 0, "%s",
	             last_error());
	return pods;
}

static const char *get(char **env, const char *name)
{
	return env_lookup_strv(env, name, strlen(name));
}

static const char pod_yaml[] =
    "apiVersion: v1\n"
    "kind: Pod\n"
    "metadata:\n"
    "  name: web\n"
    "  namespace: shop\n"
    "  labels: {app: web, tier: front}\n"
    "  annotations: {team.example.com/owner: ana}\n"
    "spec:\n"
    "  serviceAccountName: builder\n"
    "  initContainers:\n"
    "  - {name: init, image: busybox, command: [\"true\"]}\n"
    "  containers:\n"
    "  - name: app\n"
    "    image: busybox\n"
    "    command: [sh, -c, \"echo $(GREETING) $$(GREETING) $(PATH) $(NOPE)\"]\n"
    "    args: [\"$(POD)\"]\n"
    "    resources:\n"
    "      requests: {cpu: 250m, memory: 100Mi}\n"
    "      limits: {cpu: 1500m, memory: 1Gi}\n"
    "    env:\n"
    "    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
    "    - {name: NS, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}}\n"
    "    - {name: UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}\n"
    "    - {name: APP, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}}\n"
    "    - {name: NOLABEL, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['x']\"}}}\n"
    "    - name: OWNER\n"
    "      valueFrom: {fieldRef: {fieldPath: \"metadata.annotations['team.example.com/owner']\"}}\n"
    "    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}\n"
    "    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}\n"
    "    - {name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}\n"
    "    - {name: IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}\n"
    "    - {name: HOST, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}\n"
    "    - {name: HOSTS, valueFrom: {fieldRef: {fieldPath: status.hostIPs}}}\n"
    "    - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}\n"
    "    - name: CPU_LIMIT_M\n"
    "      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}\n"
    "    - {name: CPU_REQ, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}\n"
    "    - name: MEM_MI\n"
    "      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}\n"
    "    - name: MEM_REQ_G\n"
    "      valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1G}}\n"
    "    - name: SIDE_MEM\n"
    "      valueFrom: {resourceFieldRef: {containerName: side, resource: limits.memory}}\n"
    "    - name: SIDE_CPU_REQ\n"
    "      valueFrom: {resourceFieldRef: {containerName: side, resource: requests.cpu,"
    " divisor: \"0.001\"}}\n"
    "    - name: INIT_CPU\n"
    "      valueFrom: {resourceFieldRef: {containerName: init, resource: limits.cpu}}\n"
    "    - {name: GREETING, value: \"hi $(POD) in $(NS), $(LATER) $$(POD)\"}\n"
    "    - {name: LATER, value: later}\n"
    "    - {name: HOME, value: /home/$(POD)}\n"
    "    - {name: OPT, valueFrom: {configMapKeyRef: {name: cfg, key: k, optional: true}}}\n"
    "    - {name: REF, value: \"$(PATH):$(OPT)\"}\n"
    "    - {name: LATER, value: \"again $(LATER)\"}\n"
    "  - name: side\n"
    "    image: busybox\n"
    "    args: [\"$(X)\", \"$$(X)\"]\n"
    "    env: [{name: X, value: \"x\"}]\n";

static struct env_ctx ctx_for(const struct pod_spec *p)
{
	return (struct env_ctx){
	    .pod = p,
	    .uid = "0b3e1c1e-8d4c-4c8f-9a39-6ad1c7d0f001",
	    .pod_ip = "198.19.19.5",
	    .host_ip = "198.19.19.1",
	    .node_name = "node1",
	    .node_memory = 8LL << 30,
	    .node_cpu_milli = 4000,
	};
}

Test(build, fields_resources_and_expansion)
{
	size_t n;
	struct pod_spec *p = parse(pod_yaml, &n);
	struct env_ctx ctx = ctx_for(p);
	const struct spec_container *app = spec_find_container(p, "app");
	char *const image_env[] = {"PATH=/bin:/usr/bin", "HOME=/root", "LANG=C", NULL};
	char *const image_argv[] = {"sh", "-c", "echo $(GREETING) $$(GREETING) $(PATH) $(NOPE)",
	                            "$(POD)", NULL};
	char **env, **argv;
	cr_assert_eq(env_build(&ctx, app, image_env, image_argv, &env, &argv), 0, "%s",
	             last_error());
	cr_assert_str_eq(get(env, "POD"), "web");
	cr_assert_str_eq(get(env, "NS"), "shop");
	cr_assert_str_eq(get(env, "UID"), "0b3e1c1e-8d4c-4c8f-9a39-6ad1c7d0f001");
	cr_assert_str_eq(get(env, "APP"), "web");
	cr_assert_str_eq(get(env, "NOLABEL"), "");
	cr_assert_str_eq(get(env, "OWNER"), "ana");
	cr_assert_str_eq(get(env, "NODE"), "node1");
	cr_assert_str_eq(get(env, "SA"), "builder");
	cr_assert_str_eq(get(env, "IP"), "198.19.19.5");
	cr_assert_str_eq(get(env, "IPS"), "198.19.19.5");
	cr_assert_str_eq(get(env, "HOST"), "198.19.19.1");
	cr_assert_str_eq(get(env, "HOSTS"), "198.19.19.1");
	/* 1500m in whole CPUs, rounded up */
	cr_assert_str_eq(get(env, "CPU_LIMIT"), "2");
	cr_assert_str_eq(get(env, "CPU_LIMIT_M"), "1500");
	cr_assert_str_eq(get(env, "CPU_REQ"), "1");
	cr_assert_str_eq(get(env, "MEM_MI"), "1024");
	/* 100Mi = 104857600 bytes: 0.1048576 G, rounded up */
	cr_assert_str_eq(get(env, "MEM_REQ_G"), "1");
	/* side sets no limit: the node's allocatable; no request: 0 */
	cr_assert_str_eq(get(env, "SIDE_MEM"), "8589934592");
	cr_assert_str_eq(get(env, "SIDE_CPU_REQ"), "0");
	/* an init container named by containerName keeps its unset limit */
	cr_assert_str_eq(get(env, "INIT_CPU"), "0");
	/* earlier variables expand, later and escaped ones do not */
	cr_assert_str_eq(get(env, "GREETING"), "hi web in shop, $(LATER) $(POD)");
	/* the pod's HOME replaces the image's, in place */
	cr_assert_str_eq(env[1], "HOME=/home/web");
	/* the image's Env is not a source for $(VAR); an optional reference
	 * sets nothing */
	cr_assert_str_eq(get(env, "REF"), "$(PATH):$(OPT)");
	cr_assert_null(get(env, "OPT"));
	cr_assert_str_eq(get(env, "PATH"), "/bin:/usr/bin");
	cr_assert_str_eq(get(env, "LANG"), "C");
	/* a name defined twice: one variable, the second value, which saw the first */
	size_t later = 0;
	for (char **e = env; *e; e++)
		later += !strncmp(*e, "LATER=", 6);
	cr_assert_eq(later, 1);
	cr_assert_str_eq(get(env, "LATER"), "again later");
	/* command and args see the container's variables, not the image's */
	cr_assert_str_eq(argv[0], "sh");
	cr_assert_str_eq(argv[2],
	                 "echo hi web in shop, $(LATER) $(POD) $(GREETING) $(PATH) $(NOPE)");
	cr_assert_str_eq(argv[3], "web");
	cr_assert_null(argv[4]);
	env_strv_free(env);
	env_strv_free(argv);
	spec_free(p, n);
}

Test(build, only_what_the_pod_wrote_is_expanded)
{
	size_t n;
	struct pod_spec *p = parse(pod_yaml, &n);
	struct env_ctx ctx = ctx_for(p);
	const struct spec_container *side = spec_find_container(p, "side");
	/* args alone: after the image's Entrypoint, which is not expanded */
	char *const image_argv[] = {"/entry", "$(X)", "$(X)", "$$(X)", NULL};
	char **env, **argv;
	cr_assert_eq(env_build(&ctx, side, NULL, image_argv, &env, &argv), 0, "%s", last_error());
	cr_assert_str_eq(argv[0], "/entry");
	cr_assert_str_eq(argv[1], "$(X)");
	cr_assert_str_eq(argv[2], "x");
	cr_assert_str_eq(argv[3], "$(X)");
	cr_assert_str_eq(env[0], "X=x");
	cr_assert_null(env[1]);
	env_strv_free(env);
	env_strv_free(argv);
	/* neither command nor args: the image's argv as it is */
	struct spec_container bare = *side;
	bare.args = NULL;
	cr_assert_eq(env_build(&ctx, &bare, NULL, image_argv, &env, &argv), 0);
	cr_assert_str_eq(argv[1], "$(X)");
	cr_assert_str_eq(argv[2], "$(X)");
	cr_assert_str_eq(argv[3], "$$(X)");
	env_strv_free(env);
	env_strv_free(argv);
	spec_free(p, n);
}

Test(build, no_env_at_all)
{
	size_t n;
	struct pod_spec *p = parse("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
	                           "  containers: [{name: a, image: busybox}]\n",
	                           &n);
	struct env_ctx ctx = ctx_for(p);
	char **env, **argv;
	cr_assert_eq(env_build(&ctx, &p->ctrs[0], NULL, NULL, &env, &argv), 0);
	cr_assert_null(env[0]);
	cr_assert_null(argv[0]);
	/* the API server's default service account */
	cr_assert_str_eq(p->service_account, "default");
	env_strv_free(env);
	env_strv_free(argv);
	spec_free(p, n);
}

Test(resource, divisors_round_up)
{
	size_t n;
	struct pod_spec *p =
	    parse("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
	          "  containers:\n"
	          "  - name: a\n"
	          "    image: busybox\n"
	          "    resources: {limits: {cpu: 1m, memory: 1001}}\n"
	          "    env:\n"
	          "    - {name: C, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}\n"
	          "    - {name: M, valueFrom: {resourceFieldRef: {resource: limits.memory, "
	          "divisor: 1k}}}\n"
	          "    - {name: K, valueFrom: {resourceFieldRef: {resource: limits.memory, "
	          "divisor: 1Ki}}}\n"
	          "    - {name: Z, valueFrom: {resourceFieldRef: {resource: limits.memory, "
	          "divisor: 0}}}\n"
	          "    - {name: O, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: "
	          "1000m}}}\n",
	          &n);
	struct env_ctx ctx = ctx_for(p);
	const struct spec_container *a = &p->ctrs[0];
	const char *want[] = {"1", "2", "1", "1001", "1"};
	for (size_t i = 0; i < a->n_envs; i++) {
		char *v = env_resource_value(&ctx, a, &a->envs[i]);
		cr_assert_str_eq(v, want[i], "%s: got %s, want %s", a->envs[i].name, v, want[i]);
		free(v);
	}
	spec_free(p, n);
}

/* ---- subPathExpr ---------------------------------------------------------------------- */

static void sub_path_fails(const struct env_ctx *ctx, const struct spec_container *c,
                           const char *expr, const char *want)
{
	char *got = env_sub_path(ctx, c, expr);
	cr_assert_null(got, "%s: got \"%s\", want an error", expr, got);
	cr_assert(strstr(last_error(), want), "%s: got '%s', want '%s'", expr, last_error(), want);
}

/* kubelet's ExpandContainerVolumeMounts: the container's variables (a
 * fieldRef's value among them), "$$" one "$"; a variable without a value is
 * an error, not "$(VAR)" as in env and args; what it expands to stays
 * beneath the volume. */
Test(sub_path, expands_from_the_container_env)
{
	size_t n;
	struct pod_spec *p =
	    parse("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
	          "  containers:\n"
	          "  - name: a\n"
	          "    image: busybox\n"
	          "    env:\n"
	          "    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
	          "    - {name: DIR, value: \"logs/$(POD)\"}\n"
	          "    - {name: EMPTY, value: \"\"}\n"
	          "    - {name: UP, value: \"..\"}\n"
	          "    - {name: ROOT, value: /etc}\n",
	          &n);
	struct env_ctx ctx = ctx_for(p);
	const struct spec_container *a = &p->ctrs[0];
	char *sub = env_sub_path(&ctx, a, "$(DIR)/$$(POD)/$(POD)");
	cr_assert_str_eq(sub, "logs/web/$(POD)/web");
	free(sub);
	sub_path_fails(&ctx, a, "x/$(NOPE)", "subPathExpr x/$(NOPE): missing value for NOPE");
	sub_path_fails(&ctx, a, "$(EMPTY)x", "missing value for EMPTY");
	/* the image's Env is not the container's: PATH is not defined here */
	sub_path_fails(&ctx, a, "$(PATH)", "missing value for PATH");
	sub_path_fails(&ctx, a, "$(UP)", "\"..\" must be a relative path without '..'");
	sub_path_fails(&ctx, a, "a/$(UP)/$(UP)/b", "\"a/../../b\" must be a relative path");
	sub_path_fails(&ctx, a, "$(ROOT)", "\"/etc\" must be a relative path");
	spec_free(p, n);
}
