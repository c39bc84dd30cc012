/*
 * test_spec.c - unit tests of podrun's Pod YAML parser (capstone/spec.c):
 * quantities and durations as Kubernetes parses them, names, defaults, and
 * the error paths with their file:line:col.
 */
#include "common.h"
#include "spec.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int parse(const char *text, struct pod_spec **pods, size_t *n)
{
	return spec_parse_buffer("t.yaml", text, strlen(text), NULL, NULL, pods, n);
}

/* Parse text that must fail; its message must contain want. */
static void fails_with(const char *text, const char *want)
{
	struct pod_spec *pods = NULL;
	size_t n = 0;
	cr_assert_eq(parse(text, &pods, &n), -1, "parsed, want '%s'", want);
	cr_assert(strstr(last_error(), want), "got '%s', want '%s'", last_error(), want);
	cr_assert_null(pods);
}

#define POD(extra) "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" extra

Test(quantity, binary_decimal_and_milli)
{
	int64_t v;
	cr_assert_eq(spec_parse_quantity("512Mi", &v), 0);
	cr_assert_eq(v, 512LL << 20);
	cr_assert_eq(spec_parse_quantity("1G", &v), 0);
	cr_assert_eq(v, 1000000000LL);
	cr_assert_eq(spec_parse_quantity("1.5Gi", &v), 0);
	cr_assert_eq(v, 3LL << 29);
	cr_assert_eq(spec_parse_quantity("2E", &v), 0);
	cr_assert_eq(v, 2000000000000000000LL);
	cr_assert_eq(spec_parse_quantity("1Ei", &v), 0);
	cr_assert_eq(v, 1LL << 60);
	cr_assert_eq(spec_parse_quantity("1e3", &v), 0);
	cr_assert_eq(v, 1000);
	cr_assert_eq(spec_parse_quantity("129", &v), 0);
	cr_assert_eq(v, 129);
	/* a fraction of a byte rounds up, as Quantity.Value() does */
	cr_assert_eq(spec_parse_quantity("100m", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(spec_parse_quantity("0", &v), 0);
	cr_assert_eq(v, 0);
}

Test(quantity, errors)
{
	int64_t v;
	cr_assert_eq(spec_parse_quantity("1GB", &v), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(last_error(), "unknown suffix \"GB\""));
	cr_assert_eq(spec_parse_quantity("Mi", &v), -1);
	cr_assert_eq(spec_parse_quantity("", &v), -1);
	cr_assert_eq(spec_parse_quantity("-1Mi", &v), -1);
	cr_assert_eq(spec_parse_quantity("16Ei", &v), -1);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(spec_parse_quantity("99999999999999999999999", &v), -1);
	cr_assert_eq(errno, ERANGE);
}

Test(duration, go_syntax)
{
	int64_t ns;
	cr_assert_eq(spec_parse_duration("300ms", &ns), 0);
	cr_assert_eq(ns, 300000000LL);
	cr_assert_eq(spec_parse_duration("1.5h", &ns), 0);
	cr_assert_eq(ns, 5400LL * 1000000000LL);
	cr_assert_eq(spec_parse_duration("2h45m", &ns), 0);
	cr_assert_eq(ns, (2 * 3600 + 45 * 60) * 1000000000LL);
	cr_assert_eq(spec_parse_duration("1m30s", &ns), 0);
	cr_assert_eq(ns, 90 * 1000000000LL);
	cr_assert_eq(spec_parse_duration("-1.5s", &ns), 0);
	cr_assert_eq(ns, -1500000000LL);
	cr_assert_eq(spec_parse_duration("0", &ns), 0);
	cr_assert_eq(ns, 0);
	cr_assert_eq(spec_parse_duration("10us", &ns), 0);
	cr_assert_eq(ns, 10000);
}

Test(duration, errors)
{
	int64_t ns;
	cr_assert_eq(spec_parse_duration("5", &ns), -1); /* a unit is required but for 0 */
	cr_assert_eq(spec_parse_duration("", &ns), -1);
	cr_assert_eq(spec_parse_duration("1d", &ns), -1);
	cr_assert_eq(spec_parse_duration("s", &ns), -1);
	cr_assert_eq(spec_parse_duration("9999999999h", &ns), -1);
	cr_assert_eq(errno, ERANGE);
}

Test(names, dns1123)
{
	cr_assert(spec_dns1123_label("web-1"));
	cr_assert_not(spec_dns1123_label("Web"));
	cr_assert_not(spec_dns1123_label("-web"));
	cr_assert_not(spec_dns1123_label("web-"));
	cr_assert_not(spec_dns1123_label("a.b"));
	cr_assert_not(spec_dns1123_label(""));
	char long_name[80];
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	cr_assert_not(spec_dns1123_label(long_name));
	long_name[63] = '\0';
	cr_assert(spec_dns1123_label(long_name));
	cr_assert(spec_dns1123_subdomain("javaweb-2.example"));
	cr_assert_not(spec_dns1123_subdomain("a..b"));
	cr_assert_not(spec_dns1123_subdomain(".a"));
	cr_assert_not(spec_dns1123_subdomain("a_b"));
}

/* kubelet's default hostname: the pod's name, dots kept, cut to 63 bytes
 * without a '-' or '.' at its end */
Test(parse, default_hostname)
{
	static const struct {
		const char *name, *hostname;
	} cases[] = {
	    {"web.example", "web.example"},
	    {"a23456789-123456789-123456789-123456789-123456789-123456789-12.xyz",
	     "a23456789-123456789-123456789-123456789-123456789-123456789-12"},
	    {"a23456789-123456789-123456789-123456789-123456789-123456789x.b-cd",
	     "a23456789-123456789-123456789-123456789-123456789-123456789x.b"},
	    {"a23456789-123456789-123456789-123456789-123456789-123456789x.bcd",
	     "a23456789-123456789-123456789-123456789-123456789-123456789x.bc"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
		         "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n"
		         "  containers: [{name: c, image: busybox, command: [a]}]\n",
		         cases[i].name);
		struct pod_spec *pods;
		size_t n;
		cr_assert_eq(parse(text, &pods, &n), 0, "%s", last_error());
		cr_assert_str_eq(pods[0].hostname, cases[i].hostname);
		spec_free(pods, n);
	}
}

Test(parse, defaults_and_order)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(
	    parse(POD("  initContainers:\n"
	              "  - {name: side, image: busybox, command: [a], restartPolicy: Always}\n"
	              "  - {name: init, image: busybox, command: [b]}\n"
	              "  containers:\n"
	              "  - name: app\n"
	              "    image: busybox\n"
	              "    command: [sh, -c]\n"
	              "    args: [\"echo hi\"]\n"
	              "    env: [{name: A, value: x}, {name: B}]\n"
	              "    ports: [{containerPort: 80, hostPort: 18700}]\n"),
	          &pods, &n),
	    0, "%s", last_error());
	cr_assert_eq(n, 1);
	struct pod_spec *p = &pods[0];
	cr_assert_str_eq(p->name, "p");
	cr_assert_str_eq(p->hostname, "p");
	cr_assert_eq(p->restart_policy, INIT_RESTART_ALWAYS);
	cr_assert_eq(p->grace_seconds, 30);
	cr_assert_not(p->share_pid);
	cr_assert_eq(p->n_ctrs, 3);
	cr_assert_eq(p->n_init, 2);
	cr_assert(p->ctrs[0].is_init && p->ctrs[0].sidecar);
	cr_assert(p->ctrs[1].is_init && !p->ctrs[1].sidecar);
	const struct spec_container *app = &p->ctrs[2];
	cr_assert_not(app->is_init);
	/* command and args become one argv */
	cr_assert_str_eq(app->argv[0], "sh");
	cr_assert_str_eq(app->argv[1], "-c");
	cr_assert_str_eq(app->argv[2], "echo hi");
	cr_assert_null(app->argv[3]);
	cr_assert_str_eq(app->env[0], "A=x");
	cr_assert_str_eq(app->env[1], "B=");
	cr_assert_null(app->env[2]);
	cr_assert_eq(app->ports[0].container_port, 80);
	cr_assert_eq(app->ports[0].host_port, 18700);
	cr_assert_str_eq(app->ports[0].host_ip, "0.0.0.0");
	cr_assert_eq(app->mark.line, 10);
	cr_assert_eq(app->mark.col, 5);
	spec_free(pods, n);
}

Test(parse, volumes_and_mounts)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(POD("  containers:\n"
	                       "  - name: app\n"
	                       "    image: busybox\n"
	                       "    command: [x]\n"
	                       "    volumeMounts:\n"
	                       "    - {name: b, mountPath: /b, readOnly: true, subPath: logs/x}\n"
	                       "    - {name: a, mountPath: /a}\n"
	                       "  volumes:\n"
	                       "  - name: a\n"
	                       "    emptyDir:\n"
	                       "  - name: b\n"
	                       "    emptyDir: {medium: Memory, sizeLimit: 64Mi}\n"
	                       "  - name: c\n"
	                       "    hostPath: {path: /tmp, type: DirectoryOrCreate}\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	struct pod_spec *p = &pods[0];
	cr_assert_eq(p->n_volumes, 3);
	cr_assert_eq(p->volumes[0].v.kind, VOL_EMPTYDIR);
	cr_assert_not(p->volumes[0].v.memory);
	cr_assert(p->volumes[1].v.memory);
	cr_assert_eq(p->volumes[1].v.size_limit, 64ULL << 20);
	cr_assert_eq(p->volumes[2].v.kind, VOL_HOSTPATH);
	cr_assert_eq(p->volumes[2].v.type, VOL_HP_DIRECTORY_OR_CREATE);
	const struct spec_container *c = &p->ctrs[0];
	cr_assert_eq(c->mounts[0].volume, 1);
	cr_assert(c->mounts[0].read_only);
	cr_assert_str_eq(c->mounts[0].sub_path, "logs/x");
	cr_assert_eq(c->mounts[1].volume, 0);
	spec_free(pods, n);
}

Test(parse, types_are_checked)
{
	fails_with(
	    POD("  containers: [{name: a, image: busybox, command: [x],"
	        " ports: [{containerPort: \"80\"}]}]\n"),
	    "t.yaml:6:80: spec.containers[0].ports[0].containerPort: expected an integer, got "
	    "a string");
	fails_with(POD("  containers: [{name: a, image: busybox, command: [x],"
	               " env: [{name: V, value: 1.5}]}]\n"),
	           "spec.containers[0].env[0].value: expected a string, got a number (quote it: "
	           "\"1.5\")");
	fails_with(POD("  shareProcessNamespace: maybe\n  containers: []\n"),
	           "t.yaml:6:26: spec.shareProcessNamespace: expected a boolean");
	fails_with(POD("  containers: [{name: a, image: [busybox], command: [x]}]\n"),
	           "spec.containers[0].image: expected a string, got a list");
}

Test(parse, syntax_and_tabs)
{
	fails_with("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n",
	           "t.yaml:4:1: tab character in indentation");
	fails_with("a: [1, 2\n", "t.yaml:2:1: invalid YAML:");
	fails_with("", "t.yaml:1:1: no Pod in this file (it is empty)");
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(spec_parse_buffer("t.yaml", "abc\0def", 7, NULL, NULL, &pods, &n), -1);
	cr_assert_str_eq(last_error(), "t.yaml:1:4: binary data (a NUL byte), not YAML");
}

Test(parse, alias_bomb_is_cut_short)
{
	/* every level doubles the tree; walked naively it would never end. Of
	 * empty strings it is no bytes (aliases_are_bounded_in_bytes): the walk
	 * stops at the node count. */
	spec_allow_unsupported(true); /* the anchors sit in unknown fields */
	char text[4096] = "a0: &a0 [\"\", \"\"]\n";
	for (int i = 1; i < 40; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "a%d: &a%d [*a%d, *a%d]\n", i, i, i - 1, i - 1);
	strcat(text, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
	             "  containers: [{name: a, image: busybox, command: *a39}]\n");
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(text, &pods, &n), -1);
	cr_assert(strstr(last_error(), "spec.containers[0].command"), "%s", last_error());
}

Test(parse, too_big)
{
	size_t len = SPEC_MAX_BYTES + 1;
	char *text = malloc(len);
	cr_assert_not_null(text);
	memset(text, '#', len);
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(spec_parse_buffer("big.yaml", text, len, NULL, NULL, &pods, &n), -1);
	cr_assert_eq(errno, EFBIG);
	free(text);
}

static int warnings;
static void count_warning(void *arg, const char *msg)
{
	(void)arg;
	cr_assert(strstr(msg, "t.yaml:"), "%s", msg);
	warnings++;
}

/* Kubernetes' fields podrun does not act on are warned about, once each; a
 * field nobody knows is refused, as kubectl's strict validation does, and
 * only warned about with --allow-unsupported. */
Test(parse, unknown_fields_are_refused_known_ones_warned_about)
{
	struct pod_spec *pods;
	size_t n;
	const char *known =
	    POD("  schedulerName: other\n"
	        "  containers:\n"
	        "  - {name: a, image: busybox, command: [x], tty: true,\n"
	        "     resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]}\n");
	warnings = 0;
	cr_assert_eq(
	    spec_parse_buffer("t.yaml", known, strlen(known), count_warning, NULL, &pods, &n), 0,
	    "%s", last_error());
	cr_assert_eq(warnings, 3);
	spec_free(pods, n);
	const char *typo = POD("  containers:\n"
	                       "  - name: a\n"
	                       "    image: busybox\n"
	                       "    securityContex: {runAsNonRoot: true}\n");
	cr_assert_eq(spec_parse_buffer("t.yaml", typo, strlen(typo), NULL, NULL, &pods, &n), -1);
	cr_assert(strstr(last_error(), ":9:5: spec.containers[0].securityContex: unknown field"),
	          "%s", last_error());
	spec_allow_unsupported(true);
	warnings = 0;
	cr_assert_eq(
	    spec_parse_buffer("t.yaml", typo, strlen(typo), count_warning, NULL, &pods, &n), 0);
	cr_assert_eq(warnings, 1);
	spec_free(pods, n);
	spec_allow_unsupported(false);
}

Test(quantity, extreme_fractions_neither_crash_nor_lose_the_value)
{
	/* 130 zeros once divided by zero (10^131 overflowed 128 bits): SIGFPE */
	char s[256] = "0.";
	for (int i = 0; i < 130; i++)
		strcat(s, "0");
	int64_t v = -1;
	cr_assert_eq(spec_parse_quantity(s, &v), 0, "%s", last_error());
	cr_assert_eq(v, 0);
	strcat(s, "1"); /* 10^-131: more than 0, rounded up to one unit */
	cr_assert_eq(spec_parse_quantity(s, &v), 0, "%s", last_error());
	cr_assert_eq(v, 1);
	strcat(s, "Ei"); /* and so is 10^-131 * 2^60 */
	cr_assert_eq(spec_parse_quantity(s, &v), 0, "%s", last_error());
	cr_assert_eq(v, 1);
	/* trailing zeros of the fraction change nothing */
	cr_assert_eq(spec_parse_quantity("1.50000000000000000000000000000000000000000Gi", &v), 0);
	cr_assert_eq(v, 3LL << 29);
	cr_assert_eq(spec_parse_quantity("0.000000000000000000000000000001Ei", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(spec_parse_quantity("7.999999999999999999Ei", &v), 0);
	cr_assert_eq(spec_parse_quantity("8Ei", &v), -1);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(spec_parse_quantity("1e30", &v), -1);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(spec_parse_quantity("1e-30", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(spec_parse_quantity("12345678901234567890123.5", &v), -1);
	cr_assert_eq(errno, ERANGE);
}

Test(parse, duplicate_keys_among_many_are_found_with_both_lines)
{
	/* 30,000 annotations: the check is a hash table, not every pair */
	size_t cap = 30000 * 24 + 4096;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	strcpy(text, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n");
	size_t len = strlen(text);
	for (int i = 0; i < 30000; i++)
		len += (size_t)snprintf(text + len, cap - len, "    k%d: v\n", i);
	len += (size_t)snprintf(text + len, cap - len,
	                        "spec:\n  containers: [{name: a, image: b, command: [x]}]\n");
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(spec_parse_buffer("t.yaml", text, len, NULL, NULL, &pods, &n), 0, "%s",
	             last_error());
	spec_free(pods, n);
	/* the same with k17 again as the last annotation (line 30006) */
	char *spec = strstr(text, "spec:\n");
	memmove(spec + 12, spec, strlen(spec) + 1);
	memcpy(spec, "    k17: w\n", 11);
	spec[11] = ' ';
	memmove(spec + 11, spec + 12, strlen(spec + 12) + 1);
	cr_assert_eq(spec_parse_buffer("t.yaml", text, strlen(text), NULL, NULL, &pods, &n), -1);
	cr_assert(strstr(last_error(), "t.yaml:30006:5: metadata.annotations.k17: duplicate key "
	                               "(first at line 23)"),
	          "%s", last_error());
	free(text);
}

Test(parse, deep_nesting_is_refused_where_it_crosses_the_limit)
{
	char text[1024] = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nx: ";
	for (int i = 0; i < 100; i++)
		strcat(text, "[");
	fails_with(text, "t.yaml:4:67: nested more than 64 levels deep");
}

Test(parse, annotations_are_bounded_as_the_api_server_bounds_them)
{
	size_t cap = 300 * 1024;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	strcpy(text,
	       "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    big: \"");
	size_t len = strlen(text);
	memset(text + len, 'x', 257 * 1024);
	len += 257 * 1024;
	strcpy(text + len, "\"\nspec:\n  containers: [{name: a, image: b, command: [x]}]\n");
	fails_with(text, "metadata.annotations: annotations total more than 262144 bytes");
	free(text);
}

Test(quantity, milli_as_kubernetes_milli_value)
{
	int64_t v;
	static const struct {
		const char *in;
		int64_t want;
	} cases[] = {
	    {"500m", 500}, {"0.5", 500},    {"2", 2000},     {"1.5", 1500}, {"100u", 1},
	    {"1e-3", 1},   {"1e2", 100000}, {"1k", 1000000}, {"0", 0},      {"250m", 250},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(spec_parse_milli(cases[i].in, &v), 0, "%s: %s", cases[i].in,
		             last_error());
		cr_assert_eq(v, cases[i].want, "%s: got %lld", cases[i].in, (long long)v);
	}
	cr_assert_eq(spec_parse_milli("1Gb", &v), -1);
	cr_assert_eq(spec_parse_milli("9E", &v), -1);
	cr_assert_eq(errno, ERANGE);
}

#define ENV(entry)                                                                                 \
	POD("  containers:\n  - name: a\n    image: busybox\n    env:\n    - name: V\n" entry)

Test(parse, env_value_from)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(
	    parse(POD("  containers:\n"
	              "  - name: a\n"
	              "    image: busybox\n"
	              "    env:\n"
	              "    - {name: A, value: x}\n"
	              "    - {name: L, valueFrom: {fieldRef: {fieldPath: "
	              "\"metadata.labels['app']\"}}}\n"
	              "    - {name: O, valueFrom: {secretKeyRef: {name: s, key: k, optional: "
	              "true}}}\n"
	              "    - name: M\n"
	              "      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi,"
	              " containerName: b}}\n"
	              "    - {name: H, valueFrom: {fieldRef: {fieldPath: spec.host}}}\n"
	              "    envFrom: [{configMapRef: {name: c, optional: true}}]\n"
	              "  - {name: b, image: busybox}\n"),
	          &pods, &n),
	    0, "%s", last_error());
	const struct spec_container *a = &pods[0].ctrs[0];
	/* env keeps the plain values; envs every entry that sets a variable */
	cr_assert_str_eq(a->env[0], "A=x");
	cr_assert_null(a->env[1]);
	cr_assert_eq(a->n_envs, 4);
	cr_assert_eq(a->envs[0].kind, SPEC_ENV_VALUE);
	cr_assert_eq(a->envs[1].kind, SPEC_ENV_FIELD);
	cr_assert_eq(a->envs[1].field, SPEC_FIELD_LABEL);
	cr_assert_str_eq(a->envs[1].key, "app");
	cr_assert_eq(a->envs[2].kind, SPEC_ENV_RESOURCE);
	cr_assert_eq(a->envs[2].resource, SPEC_RES_LIMITS_MEMORY);
	cr_assert_eq(a->envs[2].divisor_units, 1 << 20);
	cr_assert_eq(a->envs[2].ctr, 1);
	cr_assert_eq(a->envs[2].index, 3);
	cr_assert_eq(a->envs[3].field, SPEC_FIELD_NODE_NAME);
	char d[128];
	spec_env_describe(&a->envs[2], d, sizeof(d));
	cr_assert_str_eq(d, "M from resourceFieldRef limits.memory (container b, divisor 1Mi)");
	spec_env_describe(&a->envs[1], d, sizeof(d));
	cr_assert_str_eq(d, "L from fieldRef metadata.labels['app']");
	spec_free(pods, n);
}

Test(parse, env_value_from_errors)
{
	fails_with(ENV("      valueFrom: {fieldRef: {fieldPath: spec.nodeNam}}\n"),
	           "t.yaml:11:41: spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid "
	           "value: \"spec.nodeNam\": error converting fieldPath: field label not "
	           "supported: spec.nodeNam");
	fails_with(ENV("      valueFrom: {fieldRef: {fieldPath: status.phase}}\n"),
	           "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "
	           "\"status.phase\": supported values: \"metadata.name\"");
	fails_with(ENV("      valueFrom: {fieldRef: {fieldPath: \"spec.x['a']\"}}\n"),
	           "Invalid value: \"spec.x['a']\": error converting fieldPath: field label does "
	           "not support subscript: spec.x['a']");
	fails_with(ENV("      valueFrom: {fieldRef: {fieldPath: \"metadata.labels['-a']\"}}\n"),
	           "spec.containers[0].env[0].valueFrom.fieldRef: Invalid value: \"-a\": name part "
	           "must consist of alphanumeric characters");
	fails_with(ENV("      valueFrom: {fieldRef: {apiVersion: v2, fieldPath: metadata.name}}\n"),
	           "error converting fieldPath: unsupported pod version: v2");
	fails_with(ENV("      valueFrom: {fieldRef: {}}\n"),
	           "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Required value");
	fails_with(ENV("      valueFrom: {resourceFieldRef: {resource: limits.gpu}}\n"),
	           "valueFrom.resourceFieldRef.resource: Unsupported value: \"limits.gpu\"");
	fails_with(
	    ENV("      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1Mi}}\n"),
	    "t.yaml:11:69: spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: "
	    "Invalid value: \"limits.cpu\": only divisor's values 1m and 1 are supported "
	    "with the cpu resource");
	fails_with(ENV("      valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: "
	               "1000Ki}}\n"),
	           "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei "
	           "are supported with the memory resource");
	fails_with(ENV("      valueFrom: {resourceFieldRef: {resource: limits.cpu, containerName: "
	               "z}}\n"),
	           "t.yaml:11:75: spec.containers[0].env[0].valueFrom.resourceFieldRef."
	           "containerName: container \"z\" not found in the pod");
	fails_with(ENV("      value: x\n      valueFrom: {fieldRef: {fieldPath: metadata.name}}\n"),
	           "spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not be specified "
	           "when `value` is not empty");
	fails_with(ENV("      valueFrom: {}\n"),
	           "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
	           "`secretKeyRef`");
	fails_with(ENV("      valueFrom:\n"
	               "        fieldRef: {fieldPath: metadata.name}\n"
	               "        resourceFieldRef: {resource: limits.cpu}\n"),
	           "may not have more than one field specified at a time");
	fails_with(ENV("      valueFrom: {configMapKeyRef: {name: cfg, key: k}}\n"),
	           "t.yaml:11:19: spec.containers[0].env[0].valueFrom.configMapKeyRef: podrun has "
	           "no API server: ConfigMap \"cfg\" cannot be read");
	fails_with(ENV("      valueFrom: {secretKeyRef: {name: s, optional: false}}\n"),
	           "valueFrom.secretKeyRef.key: Required value");
	fails_with(ENV("      value: x\n    envFrom: [{secretRef: {name: s}}]\n"),
	           "spec.containers[0].envFrom[0].secretRef: podrun has no API server: Secret "
	           "\"s\" cannot be read");
}

/* The API server's: dnsPolicy None needs a dnsConfig, and `dnsConfig: null`
 * is a nil pointer there, no dnsConfig at all. */
Test(parse, dns_none_wants_a_dns_config_not_null)
{
	fails_with(POD("  dnsPolicy: None\n  dnsConfig: null\n"
	               "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	           "spec.dnsConfig: Required value: must provide `dnsConfig`");
	fails_with(POD("  dnsPolicy: None\n  dnsConfig: {}\n"
	               "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	           "spec.dnsConfig.nameservers: Required value");
}

/* fieldRef spec.serviceAccountName reads what the API server stores: the
 * deprecated serviceAccount when serviceAccountName is empty. */
Test(parse, service_account_alias_when_the_name_is_empty)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(POD("  serviceAccountName: \"\"\n  serviceAccount: foo\n"
	                       "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	cr_assert_str_eq(pods[0].service_account, "foo");
	spec_free(pods, n);
}

/* lifecycle.stopSignal as the API server takes it: a name of its Linux list,
 * and only with spec.os.name, which podrun takes for linux alone. */
Test(parse, stop_signal_wants_a_linux_signal_name_and_spec_os)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(POD("  os: {name: linux}\n"
	                       "  containers:\n"
	                       "  - {name: c, image: busybox, command: [a], "
	                       "lifecycle: {stopSignal: SIGQUIT}}\n"
	                       "  - {name: d, image: busybox, command: [a], "
	                       "lifecycle: {stopSignal: SIGRTMIN+3}}\n"
	                       "  - {name: e, image: busybox, command: [a]}\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	cr_expect_str_eq(pods[0].os_name, "linux");
	cr_expect_str_eq(pods[0].ctrs[0].stop_signal, "SIGQUIT");
	cr_expect_eq(pods[0].ctrs[0].stop_signo, SIGQUIT);
	cr_expect_eq(pods[0].ctrs[1].stop_signo, SIGRTMIN + 3);
	cr_expect_null(pods[0].ctrs[2].stop_signal);
	cr_expect_eq(pods[0].ctrs[2].stop_signo, 0);
	spec_free(pods, n);

	fails_with(POD("  containers:\n"
	               "  - {name: c, image: busybox, command: [a], "
	               "lifecycle: {stopSignal: SIGQUIT}}\n"),
	           "t.yaml:7:69: spec.containers[0].lifecycle.stopSignal: Forbidden");
	const char *bad[] = {"QUIT", "3", "sigquit", "SIGquit", "SIG3", "SIGFOO", "SIGRTMAX-15"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512], want[128];
		snprintf(text, sizeof(text),
		         POD("  os: {name: linux}\n"
		             "  containers: [{name: c, image: busybox, command: [a], "
		             "lifecycle: {stopSignal: \"%s\"}}]\n"),
		         bad[i]);
		snprintf(want, sizeof(want), "stopSignal: Unsupported value: \"%s\"", bad[i]);
		fails_with(text, want);
	}
	fails_with(POD("  os: {name: windows}\n"
	               "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	           "spec.os.name: \"windows\": podrun runs Linux containers only");
	fails_with(POD("  os: {name: plan9}\n"
	               "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	           "spec.os.name: Unsupported value: \"plan9\"");
	fails_with(POD("  os: {}\n"
	               "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	           "spec.os.name: Required value");
}

/* spec.priority is what the Priority admission computes from the class:
 * the built-in classes' values, 0 without a class; a priority written in
 * the spec must be that number. Critical: 2000000000 or more; node-critical:
 * that, and the class system-node-critical. */
Test(parse, priority_from_the_built_in_classes)
{
	static const struct {
		const char *yaml;
		int32_t priority;
		bool critical, node_critical;
	} ok[] = {
	    {"", 0, false, false},
	    {"  priorityClassName: \"\"\n", 0, false, false},
	    {"  priority: 0\n", 0, false, false},
	    {"  priorityClassName: system-cluster-critical\n", 2000000000, true, false},
	    {"  priorityClassName: system-node-critical\n", 2000001000, true, true},
	    {"  priorityClassName: system-node-critical\n  priority: 2000001000\n", 2000001000,
	     true, true},
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct pod_spec *pods;
		size_t n;
		char full[1024];
		snprintf(full, sizeof(full),
		         POD("%s  containers: [{name: c, image: busybox, command: [a]}]\n"),
		         ok[i].yaml);
		cr_assert_eq(parse(full, &pods, &n), 0, "%s: %s", ok[i].yaml, last_error());
		cr_assert_eq(pods[0].priority, ok[i].priority, "%s", ok[i].yaml);
		cr_assert_eq(spec_critical(&pods[0]), ok[i].critical, "%s", ok[i].yaml);
		cr_assert_eq(spec_node_critical(&pods[0]), ok[i].node_critical, "%s", ok[i].yaml);
		spec_free(pods, n);
	}
	fails_with(POD("  priorityClassName: high\n"
	               "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	           "t.yaml:6:3: spec.priorityClassName: no PriorityClass with name high was found");
	/* a number alone makes no pod critical */
	fails_with(POD("  priority: 2000001000\n"
	               "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	           "t.yaml:6:13: spec.priority: the integer value of priority (2000001000) must "
	           "not be provided in pod spec; priority admission controller computed 0");
	fails_with(POD("  priorityClassName: system-cluster-critical\n  priority: 2000001000\n"
	               "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	           "computed 2000000000 from the given PriorityClass name");
	fails_with(POD("  priority: 3000000000\n"
	               "  containers: [{name: c, image: busybox, command: [a]}]\n"),
	           "spec.priority: 3000000000 is out of range");
}

/* An optional number written as null is not set either (it was refused as
 * "expected an integer, got null"): the pod's runAsUser, the pod's grace
 * period, the probe's default period apply. */
Test(security, null_numbers_are_unset)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(
	    parse(POD("  terminationGracePeriodSeconds: null\n"
	              "  activeDeadlineSeconds: ~\n"
	              "  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: null}\n"
	              "  containers:\n"
	              "  - name: c\n"
	              "    image: busybox\n"
	              "    command: [sleep, '60']\n"
	              "    ports: [{containerPort: 80, hostPort: null}]\n"
	              "    securityContext:\n"
	              "      runAsUser: null\n"
	              "      runAsGroup:\n"
	              "    livenessProbe:\n"
	              "      exec: {command: ['true']}\n"
	              "      periodSeconds: null\n"
	              "      terminationGracePeriodSeconds: null\n"),
	          &pods, &n),
	    0, "%s", last_error());
	const struct pod_spec *p = &pods[0];
	cr_expect_eq(p->grace_seconds, 30);
	cr_expect_eq(p->active_deadline, 0);
	cr_expect_eq(p->fs_group, -1);
	cr_expect_eq(p->ctrs[0].ports[0].host_port, 0);
	cr_expect_eq(p->ctrs[0].sec.run_as_user, 1000);
	cr_expect_eq(p->ctrs[0].sec.run_as_group, 1000);
	const struct probe_spec *live = p->ctrs[0].probes[PROBE_LIVENESS];
	cr_assert_not_null(live);
	cr_expect_eq(live->period_s, 0); /* unset: probe.c makes it 10 */
	cr_expect_not(live->grace_set);
	spec_free(pods, n);
	/* a number a field needs stays needed */
	fails_with(POD("  containers:\n"
	               "  - name: c\n"
	               "    image: busybox\n"
	               "    ports: [{containerPort: null}]\n"),
	           "spec.containers[0].ports[0].containerPort: expected an integer, got null");
}

/* A securityContext boolean written as null (or left empty) is not set, as
 * the API server reads it: the pod's value or podrun's default applies. A
 * null once left whatever the stack held there (found by fuzz_spec): a
 * container's "runAsNonRoot:" could turn off the pod's runAsNonRoot, and an
 * "allowPrivilegeEscalation:" lift no_new_privs. */
Test(security, null_booleans_are_unset)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(POD("  securityContext:\n"
	                       "    runAsNonRoot: true\n"
	                       "  containers:\n"
	                       "  - name: plain\n"
	                       "    image: busybox\n"
	                       "    securityContext:\n"
	                       "      runAsNonRoot:\n"
	                       "      allowPrivilegeEscalation: null\n"
	                       "  - name: priv\n"
	                       "    image: busybox\n"
	                       "    securityContext:\n"
	                       "      runAsNonRoot: ~\n"
	                       "      privileged: true\n"
	                       "      allowPrivilegeEscalation:\n"
	                       "  - name: own\n"
	                       "    image: busybox\n"
	                       "    securityContext:\n"
	                       "      runAsNonRoot: false\n"
	                       "      allowPrivilegeEscalation: true\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	const struct spec_container *c = pods[0].ctrs;
	/* the pod's runAsNonRoot, unless the container says otherwise */
	cr_assert_eq(c[0].sec.run_as_non_root, 1);
	cr_assert_eq(c[1].sec.run_as_non_root, 1);
	cr_assert_eq(c[2].sec.run_as_non_root, 0);
	/* escalation as privileged is, unless the container says otherwise */
	cr_assert_eq(c[0].sec.allow_privilege_escalation, 0);
	cr_assert_eq(c[1].sec.allow_privilege_escalation, 1);
	cr_assert_eq(c[2].sec.allow_privilege_escalation, 1);
	spec_free(pods, n);

	/* with no pod-level value, a null leaves runAsNonRoot unset */
	cr_assert_eq(parse(POD("  containers:\n"
	                       "  - name: c\n"
	                       "    image: busybox\n"
	                       "    securityContext: {runAsNonRoot: null}\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	cr_assert_eq(pods[0].ctrs[0].sec.run_as_non_root, -1);
	spec_free(pods, n);
	fails_with(POD("  containers:\n"
	               "  - name: c\n"
	               "    image: busybox\n"
	               "    securityContext: {runAsNonRoot: \"yes\"}\n"),
	           "t.yaml:9:37: spec.containers[0].securityContext.runAsNonRoot: expected a "
	           "boolean (true or false), got");
}

/* A pod whose one container has env ENV and volumeMounts MOUNTS, with the
 * volumes VOLUMES (each a flow list's items). */
#define MOUNT_POD(env, mounts, volumes)                                                            \
	POD("  containers:\n"                                                                      \
	    "  - name: c\n"                                                                        \
	    "    image: busybox\n"                                                                 \
	    "    env: [" env "]\n"                                                                 \
	    "    volumeMounts: [" mounts "]\n"                                                     \
	    "  volumes: [" volumes "]\n")

/* The tree's node count bounded the walk, not what it copied: a 100 KB
 * value named 40 times made 4 MB of copies (a thousand, 1 GB). The strings
 * are bounded once aliases are expanded, at the alias that crosses 3 MiB:
 * the anchor's 102,410 bytes after 74 of the pod's own, the 30th alias. */
Test(parse, aliases_are_bounded_in_bytes)
{
	size_t big = 100 * 1024, len = 0;
	char *text = malloc(big + 4096);
	cr_assert_not_null(text);
	len += (size_t)sprintf(text, POD("  containers:\n"
	                                 "  - name: c\n"
	                                 "    image: busybox\n"
	                                 "    command: [x]\n"
	                                 "    env:\n"
	                                 "    - &e {name: E, value: \""));
	memset(text + len, 'v', big);
	len += big;
	len += (size_t)sprintf(text + len, "\"}\n");
	for (int i = 0; i < 29; i++)
		len += (size_t)sprintf(text + len, "    - *e\n");
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(spec_parse_buffer("t.yaml", text, len, NULL, NULL, &pods, &n), 0, "%s",
	             last_error());
	cr_assert_eq(pods[0].ctrs[0].n_envs, 30);
	spec_free(pods, n);
	for (int i = 0; i < 11; i++)
		len += (size_t)sprintf(text + len, "    - *e\n");
	cr_assert_eq(spec_parse_buffer("t.yaml", text, len, NULL, NULL, &pods, &n), -1);
	cr_assert(strstr(last_error(), "t.yaml:41:7: alias *e: with its aliases expanded, the "
	                               "file's strings are more than 3145728 bytes"),
	          "%s", last_error());
	free(text);
	/* a value that holds an alias of itself would never end */
	fails_with(POD("  containers: &c [{name: c, image: busybox, command: *c}]\n"),
	           "t.yaml:6:54: alias *c: inside the value of its own anchor");
}

/* "\0" in a double-quoted string is a NUL, where C's strings end: the
 * hostPath "/tmp\0/x" was read as /tmp. */
Test(parse, a_nul_from_an_escape_is_refused)
{
	fails_with(
	    MOUNT_POD("", "{name: v, mountPath: /v}", "{name: v, hostPath: {path: \"/tmp\\0/x\"}}"),
	    "t.yaml:11:40: a NUL character (\\0) in a string: refused");
	fails_with(POD("  containers: [{name: c, image: busybox, \"command\\0x\": [a]}]\n"),
	           "t.yaml:6:42: a NUL character");
	/* other escapes are fine */
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(MOUNT_POD("{name: A, value: \"\\t\\x01\\u00e9\"}", "", ""), &pods, &n),
	             0, "%s", last_error());
	cr_assert_str_eq(pods[0].ctrs[0].envs[0].value, "\t\x01\xc3\xa9");
	spec_free(pods, n);
}

static int unknown_warnings;
static void count_unknown(void *arg, const char *msg)
{
	(void)arg;
	if (strstr(msg, "unknown field; ignored (--allow-unsupported)"))
		unknown_warnings++;
}

/* A typo in a volumeMount or a volume source drops what bounds the
 * container: readonly for readOnly left the volume writable. */
Test(parse, unknown_fields_in_mounts_and_volume_sources_are_refused)
{
	fails_with(
	    MOUNT_POD("", "{name: v, mountPath: /v, readonly: true}", "{name: v, emptyDir: {}}"),
	    "t.yaml:10:45: spec.containers[0].volumeMounts[0].readonly: unknown field "
	    "(podrun run --allow-unsupported runs the pod without it)");
	fails_with(MOUNT_POD("", "", "{name: v, emptyDir: {sizelimit: 1Mi}}"),
	           "t.yaml:11:34: spec.volumes[0].emptyDir.sizelimit: unknown field");
	fails_with(MOUNT_POD("", "", "{name: v, hostPath: {path: /tmp, tpye: File}}"),
	           "t.yaml:11:46: spec.volumes[0].hostPath.tpye: unknown field");
	/* --allow-unsupported: warnings, and what podrun knows is kept */
	const char *text = MOUNT_POD("", "{name: v, mountPath: /v, readonly: true}",
	                             "{name: v, hostPath: {path: /tmp, tpye: File}}");
	struct pod_spec *pods;
	size_t n;
	spec_allow_unsupported(true);
	unknown_warnings = 0;
	int rc = spec_parse_buffer("t.yaml", text, strlen(text), count_unknown, NULL, &pods, &n);
	spec_allow_unsupported(false);
	cr_assert_eq(rc, 0, "%s", last_error());
	cr_assert_eq(unknown_warnings, 2);
	cr_assert_not(pods[0].ctrs[0].mounts[0].read_only);
	spec_free(pods, n);
}

Test(parse, sub_path_expr)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(MOUNT_POD("", "{name: v, mountPath: /v, subPathExpr: \"x/$(POD)\"}",
	                             "{name: v, emptyDir: {}}"),
	                   &pods, &n),
	             0, "%s", last_error());
	cr_assert_str_eq(pods[0].ctrs[0].mounts[0].sub_path_expr, "x/$(POD)");
	cr_assert_null(pods[0].ctrs[0].mounts[0].sub_path);
	spec_free(pods, n);
	/* as the API server validates it: beneath the volume as written, and
	 * never beside a subPath */
	fails_with(MOUNT_POD("", "{name: v, mountPath: /v, subPathExpr: /$(POD)}",
	                     "{name: v, emptyDir: {}}"),
	           "t.yaml:10:58: spec.containers[0].volumeMounts[0].subPathExpr: \"/$(POD)\" must "
	           "be a relative path");
	fails_with(MOUNT_POD("", "{name: v, mountPath: /v, subPathExpr: a/../../$(POD)}",
	                     "{name: v, emptyDir: {}}"),
	           "subPathExpr: \"a/../../$(POD)\" must not contain '..'");
	fails_with(MOUNT_POD("", "{name: v, mountPath: /v, subPathExpr: $(POD), subPath: x}",
	                     "{name: v, emptyDir: {}}"),
	           "t.yaml:10:58: spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: "
	           "\"$(POD)\": subPathExpr and subPath are mutually exclusive");
	cr_assert(spec_local_path("a/b..c/..d"));
	cr_assert_not(spec_local_path("a/.."));
	cr_assert_not(spec_local_path("/a"));
}

/* searches and options become lines of the pod's resolv.conf: a newline
 * in one wrote a nameserver of the author's choosing. */
Test(parse, dns_config_searches_and_options)
{
#define DNS_POD(config)                                                                            \
	POD("  dnsConfig: " config "\n  containers: [{name: c, image: busybox, command: [a]}]\n")
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(DNS_POD("{searches: [svc.example., a-b.c], options: [{name: ndots, "
	                           "value: \"2\"}, {name: rotate}]}"),
	                   &pods, &n),
	             0, "%s", last_error());
	cr_assert_str_eq(pods[0].dns_searches[0], "svc.example.");
	cr_assert_str_eq(pods[0].dns_options[0], "ndots:2");
	cr_assert_str_eq(pods[0].dns_options[1], "rotate");
	spec_free(pods, n);
	fails_with(
	    DNS_POD("{searches: [a.example, \"b.example\\nnameserver 6.6.6.6\"]}"),
	    "t.yaml:6:37: spec.dnsConfig.searches[1]: Invalid value: \"b.example\\nnameserver "
	    "6.6.6.6\": a lowercase RFC 1123 subdomain");
	fails_with(DNS_POD("{searches: [Upper.example]}"), "spec.dnsConfig.searches[0]: Invalid");
	fails_with(
	    DNS_POD("{searches: [a, b, c, d, e, f, g, h, i, j, k, l, m, nn, o, p, q, r, s, t, "
	            "u, v, w, x, yy, z, aa, ab, ac, ad, ae, af, ag]}"),
	    "spec.dnsConfig.searches: must not have more than 32 search paths (it has 33)");
	fails_with(DNS_POD("{options: [{name: ndots, value: \"1\\nnameserver 6.6.6.6\"}]}"),
	           "t.yaml:6:46: spec.dnsConfig.options[0].value: Invalid value: \"1\\nnameserver "
	           "6.6.6.6\": must not contain whitespace");
	fails_with(DNS_POD("{options: [{name: \"ndots rotate\"}]}"),
	           "spec.dnsConfig.options[0].name: Invalid value: \"ndots rotate\"");
#undef DNS_POD
}

Test(parse, dns_config_search_list_is_at_most_2048_characters)
{
	/* 16 names of 127 characters and their 15 spaces: 2047; one more byte is too many */
	char config[4096] = "{searches: [";
	for (int i = 0; i < 16; i++)
		snprintf(config + strlen(config), sizeof(config) - strlen(config), "%s%.63s.%.63s",
		         i ? ", " : "",
		         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	char text[8192];
	snprintf(text, sizeof(text),
	         POD("  dnsConfig: %s]}\n  containers: [{name: c, image: b}]\n"), config);
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(text, &pods, &n), 0, "%s", last_error());
	spec_free(pods, n);
	snprintf(text, sizeof(text),
	         POD("  dnsConfig: %s, x]}\n  containers: [{name: c, image: b}]\n"), config);
	fails_with(text, "must not have more than 2048 characters (including spaces)");
}

/* Strict and Merge are both honoured, without a word; absent or null is
 * Merge, Kubernetes' default; anything else is refused as the API server
 * does. Proven: with spec.c reading any policy as Merge (groups_strict
 * never set) the Strict pod is not strict. */
Test(parse, supplemental_groups_policy)
{
	static const struct {
		const char *sc;
		bool strict;
	} cases[] = {
	    {"{supplementalGroupsPolicy: Strict}", true},
	    {"{supplementalGroupsPolicy: Merge}", false},
	    {"{supplementalGroupsPolicy: null}", false},
	    {"{runAsUser: 1000}", false},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[512];
		snprintf(text, sizeof(text),
		         POD("  securityContext: %s\n"
		             "  containers: [{name: a, image: busybox, command: [x]}]\n"),
		         cases[i].sc);
		struct pod_spec *pods;
		size_t n;
		warnings = 0;
		cr_assert_eq(
		    spec_parse_buffer("t.yaml", text, strlen(text), count_warning, NULL, &pods, &n),
		    0, "%s: %s", cases[i].sc, last_error());
		cr_assert_eq(warnings, 0, "%s", cases[i].sc);
		cr_assert_eq(pods[0].groups_strict, cases[i].strict, "%s", cases[i].sc);
		spec_free(pods, n);
	}
	struct pod_spec *pods;
	size_t n;
	const char *bad = POD("  securityContext: {supplementalGroupsPolicy: Loose}\n"
	                      "  containers: [{name: a, image: busybox, command: [x]}]\n");
	cr_assert_eq(spec_parse_buffer("t.yaml", bad, strlen(bad), NULL, NULL, &pods, &n), -1);
	cr_assert(strstr(last_error(), "Unsupported value: \"Loose\""), "%s", last_error());
	const char *lower = POD("  securityContext: {supplementalGroupsPolicy: strict}\n"
	                        "  containers: [{name: a, image: busybox, command: [x]}]\n");
	cr_assert_eq(spec_parse_buffer("t.yaml", lower, strlen(lower), NULL, NULL, &pods, &n), -1);
	cr_assert(strstr(last_error(), "Unsupported value: \"strict\""), "%s", last_error());
}

/* sysctls: [] asks for nothing, and kubelet sets nothing for it: taken
 * without a word. A sysctl named stays refused (podrun sets none). Proven:
 * podrun before this refused the empty list as "not supported". */
/* kubectl get pods -o yaml writes a v1 List; its items are Pods, as
 * kubectl apply takes them. */
Test(parse, a_list_is_its_items)
{
	struct pod_spec *pods;
	size_t n;
	const char *list = "apiVersion: v1\n"
	                   "items:\n"
	                   "- {apiVersion: v1, kind: Pod, metadata: {name: a},\n"
	                   "   spec: {containers: [{name: c, image: busybox, command: [x]}]}}\n"
	                   "- {apiVersion: v1, kind: Pod, metadata: {name: b},\n"
	                   "   spec: {containers: [{name: c, image: busybox, command: [x]}]}}\n"
	                   "kind: List\n"
	                   "metadata: {resourceVersion: \"\"}\n";
	cr_assert_eq(parse(list, &pods, &n), 0, "%s", last_error());
	cr_assert_eq(n, 2);
	cr_expect_str_eq(pods[0].name, "a");
	cr_expect_str_eq(pods[1].name, "b");
	spec_free(pods, n);
	fails_with("apiVersion: v1\nkind: List\nitems: []\nextra: 1\n",
	           "t.yaml:4:1: extra: unknown field");
	fails_with("apiVersion: v2\nkind: List\nitems: []\n",
	           "t.yaml:1:13: apiVersion: a List is \"v1\"");
	fails_with("apiVersion: v1\nkind: List\nitems: {a: 1}\n", "items: expected a list");
	fails_with("apiVersion: v1\nkind: List\nitems:\n"
	           "- {apiVersion: v1, kind: Pod, metadata: {name: a},\n"
	           "   spec: {containers: [{name: c, image: busybox, command: [x]}]}}\n"
	           "- {apiVersion: v1, kind: Pod, metadata: {name: a},\n"
	           "   spec: {containers: [{name: c, image: busybox, command: [x]}]}}\n",
	           "pod \"a\" is defined twice");
}

Test(parse, empty_sysctls_are_nothing_asked)
{
	struct pod_spec *pods;
	size_t n;
	const char *empty = POD("  securityContext: {sysctls: []}\n"
	                        "  containers: [{name: a, image: busybox, command: [x]}]\n");
	warnings = 0;
	cr_assert_eq(
	    spec_parse_buffer("t.yaml", empty, strlen(empty), count_warning, NULL, &pods, &n), 0,
	    "%s", last_error());
	cr_assert_eq(warnings, 0);
	spec_free(pods, n);
	fails_with(
	    POD("  securityContext:\n    sysctls: [{name: net.core.somaxconn, value: \"1024\"}]\n"
	        "  containers: [{name: a, image: busybox, command: [x]}]\n"),
	    "t.yaml:7:5: spec.securityContext.sysctls: not supported");
}

/* libyaml's loader costs the square of the anchors: more than a Pod needs
 * are refused by the first pass, at the one too many, before the load. */
Test(parse, too_many_anchors)
{
	size_t cap = 64 * 1024, len = 0;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	len += (size_t)snprintf(text, cap, "%s",
	                        POD("  containers:\n  - name: a\n    image: busybox\n"
	                            "    command: [x]\n    env:\n"));
	for (int i = 0; i < 1001; i++)
		len += (size_t)snprintf(text + len, cap - len, "    - {name: V%d, value: &a%d x}\n",
		                        i, i);
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(spec_parse_buffer("t.yaml", text, len, NULL, NULL, &pods, &n), -1);
	cr_assert(strstr(last_error(), "t.yaml:1011:") &&
	              strstr(last_error(), "more than 1000 anchors"),
	          "%s", last_error());
	/* 1000 are fine */
	char *last = strstr(text, "    - {name: V1000,");
	cr_assert_not_null(last);
	*last = '\0';
	cr_assert_eq(spec_parse_buffer("t.yaml", text, strlen(text), NULL, NULL, &pods, &n), 0,
	             "%s", last_error());
	spec_free(pods, n);
	free(text);
}

/* kubectl and the API server read YAML with sigs.k8s.io/yaml, go-yaml v2:
 * YAML 1.1's booleans, not YAML 1.2's. `hostIPC: yes` is true there, and
 * `value: no` a boolean where a string is wanted - refused, the Norway
 * problem. podrun read both as strings: it refused the first and ran the
 * second with "no". */
Test(yaml11, booleans_are_yaml_1_1s)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(POD("  shareProcessNamespace: yes\n"
	                       "  hostIPC: Off\n"
	                       "  containers:\n"
	                       "  - name: a\n"
	                       "    image: busybox\n"
	                       "    securityContext: {privileged: on, readOnlyRootFilesystem: Y}\n"
	                       "    env: [{name: A, value: \"no\"}]\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	cr_assert(pods[0].share_pid);
	cr_assert_not(pods[0].host_ipc);
	cr_assert(pods[0].ctrs[0].privileged);
	cr_assert(pods[0].ctrs[0].read_only_root);
	cr_assert_str_eq(pods[0].ctrs[0].env[0], "A=no");
	spec_free(pods, n);
	fails_with(POD("  containers: [{name: a, image: busybox, env: [{name: A, value: no}]}]\n"),
	           "t.yaml:6:65: spec.containers[0].env[0].value: expected a string, got a "
	           "boolean (quote it: \"no\")");
	fails_with(POD("  containers: [{name: a, image: busybox, env: [{name: N, value: x}]}]\n"),
	           "spec.containers[0].env[0].name: expected a string, got a boolean");
	fails_with(POD("  containers: [{name: a, image: busybox, args: [-c, on]}]\n"),
	           "spec.containers[0].args[1]: expected a string, got a boolean");
}

static char last_warning[512];
static void keep_warning(void *arg, const char *msg)
{
	(void)arg;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

/* go-yaml v2's numbers: a leading 0 is octal (runAsUser: 0100 is uid 64 on a
 * cluster, where podrun ran uid 100), 0o/0b/0x and '_' are numbers too, and a
 * whole float is an integer once kubectl has sent it as JSON. */
Test(yaml11, numbers_are_yaml_1_1s)
{
	const char *text = POD("  terminationGracePeriodSeconds: 1_0\n"
	                       "  containers:\n"
	                       "  - name: a\n"
	                       "    image: busybox\n"
	                       "    securityContext: {runAsUser: 0100, runAsGroup: 0o17}\n"
	                       "    ports:\n"
	                       "    - {containerPort: 0x1F90, hostPort: 0b1010}\n"
	                       "    - {containerPort: 8081.0}\n"
	                       "    - {containerPort: 1e3}\n"
	                       "    - {containerPort: 08}\n"
	                       "    resources: {limits: {cpu: 0x10, memory: 1_000}}\n");
	struct pod_spec *pods;
	size_t n;
	last_warning[0] = '\0';
	cr_assert_eq(spec_parse_buffer("t.yaml", text, strlen(text), keep_warning, NULL, &pods, &n),
	             0, "%s", last_error());
	const struct spec_container *a = &pods[0].ctrs[0];
	cr_assert_eq(pods[0].grace_seconds, 10);
	cr_assert_eq(a->sec.run_as_user, 64);
	cr_assert_eq(a->sec.run_as_group, 15);
	cr_assert_eq(a->ports[0].container_port, 8080);
	cr_assert_eq(a->ports[0].host_port, 10);
	cr_assert_eq(a->ports[1].container_port, 8081);
	cr_assert_eq(a->ports[2].container_port, 1000);
	cr_assert_eq(a->ports[3].container_port, 8); /* not octal: a float, 8.0 */
	cr_assert_eq(a->res.cpu_limit, 16000);
	cr_assert_eq(a->res.memory_limit, 1000);
	cr_assert(strstr(last_warning, "t.yaml:10:34: spec.containers[0].securityContext.runAsUser:"
	                               " 0100 is octal"),
	          "%s", last_warning);
	spec_free(pods, n);
	fails_with(
	    POD("  containers: [{name: a, image: busybox, ports: [{containerPort: 80.5}]}]\n"),
	    "spec.containers[0].ports[0].containerPort: expected an integer, got 80.5");
	fails_with(
	    POD("  containers: [{name: a, image: busybox, ports: [{containerPort: .inf}]}]\n"),
	    "spec.containers[0].ports[0].containerPort: .inf is out of range");
	static const char *const numbers[] = {"0o17", "1_000", ".5", "0B1", "+0x10", "1e3"};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		char pod[256];
		snprintf(
		    pod, sizeof(pod),
		    POD("  containers: [{name: a, image: busybox, env: [{name: A, value: %s}]}]\n"),
		    numbers[i]);
		fails_with(pod, "spec.containers[0].env[0].value: expected a string, got a");
	}
	/* strings to go-yaml v2, whatever strtod makes of them */
	static const char *const strings[] = {"0x1p3", "1e", "0x", "_1", "+", "infinity", "1.2.3"};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		char pod[256], want[64];
		snprintf(
		    pod, sizeof(pod),
		    POD("  containers: [{name: a, image: busybox, env: [{name: A, value: %s}]}]\n"),
		    strings[i]);
		cr_assert_eq(parse(pod, &pods, &n), 0, "%s: %s", strings[i], last_error());
		snprintf(want, sizeof(want), "A=%s", strings[i]);
		cr_assert_str_eq(pods[0].ctrs[0].env[0], want);
		spec_free(pods, n);
	}
}

/* IsDNS1123Subdomain's regex bounds the whole name (253), not each label:
 * a pod may be named with 100 letters and no dot, as on a cluster. */
Test(names, a_subdomain_label_may_pass_63)
{
	char name[300];
	memset(name, 'a', 100);
	name[100] = '\0';
	cr_assert(spec_dns1123_subdomain(name));
	memset(name, 'a', 253);
	name[253] = '\0';
	cr_assert(spec_dns1123_subdomain(name));
	name[253] = 'a';
	name[254] = '\0';
	cr_assert_not(spec_dns1123_subdomain(name));
	cr_assert(spec_dns1123_subdomain("a-b.c-1.x"));
	cr_assert_not(spec_dns1123_subdomain("a-.b"));
	cr_assert_not(spec_dns1123_subdomain("a.-b"));
	cr_assert_not(spec_dns1123_subdomain("a."));
	cr_assert_not(spec_dns1123_subdomain("A.b"));
	memset(name, 'a', 100);
	name[100] = '\0';
	char text[512];
	snprintf(text, sizeof(text),
	         "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n"
	         "  containers: [{name: c, image: busybox, command: [a]}]\n",
	         name);
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(text, &pods, &n), 0, "%s", last_error());
	cr_assert_eq(strlen(pods[0].hostname), 63); /* kubelet's cut */
	spec_free(pods, n);
}

#define META_POD(meta)                                                                             \
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n" meta                                   \
	"spec:\n  containers: [{name: c, image: busybox}]\n"

/* ValidateObjectMeta: label keys and annotation keys are qualified names, a
 * label's value at most 63 of [A-Za-z0-9-_.] and alphanumeric at both ends,
 * the namespace a DNS-1123 label. podrun took any of them: "a=b" as a label
 * key even came back from its "key=value" list as the key "a". */
Test(metadata, labels_annotations_and_namespace_are_validated)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(
	    parse(META_POD("  namespace: \"\"\n"
	                   "  labels: {app: web, example.com/Tier: Front_1.x, empty: \"\", "
	                   "nul: ~}\n"
	                   "  annotations: {Example.COM/Note: \"any thing: at all\"}\n"),
	          &pods, &n),
	    0, "%s", last_error());
	cr_assert_str_eq(pods[0].namespace_, "default");
	cr_assert_str_eq(pods[0].labels[1], "example.com/Tier=Front_1.x");
	spec_free(pods, n);
	fails_with(META_POD("  labels: {\"a=b\": c}\n"),
	           "t.yaml:5:12: metadata.labels: Invalid value: \"a=b\": name part must consist");
	fails_with(META_POD("  labels:\n    app: hello world\n"),
	           "t.yaml:6:10: metadata.labels: Invalid value: \"hello world\": a valid label "
	           "must be an empty string");
	fails_with(META_POD("  labels: {app: -web}\n"), "Invalid value: \"-web\": a valid label");
	fails_with(META_POD("  labels: {app: "
	                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n"),
	           "must be no more than 63 characters");
	fails_with(META_POD("  labels: {Example.com/x: z}\n"),
	           "metadata.labels: Invalid value: \"Example.com/x\": prefix part a lowercase RFC "
	           "1123 subdomain");
	fails_with(META_POD("  annotations: {a/b/c: x}\n"),
	           "metadata.annotations: Invalid value: \"a/b/c\": a qualified name");
	fails_with(META_POD("  annotations: {\"not ok\": x}\n"),
	           "metadata.annotations: Invalid value: \"not ok\": name part");
	fails_with(META_POD("  namespace: Team_A\n"),
	           "t.yaml:5:14: metadata.namespace: \"Team_A\" is not a valid name (DNS-1123 "
	           "label");
}

/* validateContainerPorts: a port's name is an IANA_SVC_NAME (a letter at
 * least, no "--"), unique in its container - a probe names the port by it. */
Test(parse, port_names_are_iana_service_names_unique_in_a_container)
{
#define PORTS_POD(ports) POD("  containers: [{name: a, image: busybox, ports: [" ports "]}]\n")
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(
	    parse(POD("  containers:\n"
	              "  - {name: a, image: b, ports: [{containerPort: 1, name: web-1}, "
	              "{containerPort: 2, name: \"\"}]}\n"
	              "  - {name: b, image: b, ports: [{containerPort: 3, name: web-1}]}\n"),
	          &pods, &n),
	    0, "%s", last_error());
	cr_assert_str_eq(pods[0].ctrs[0].ports[0].name, "web-1");
	cr_assert_null(pods[0].ctrs[0].ports[1].name);
	spec_free(pods, n);
	fails_with(PORTS_POD("{containerPort: 80, name: \"8080\"}"),
	           "spec.containers[0].ports[0].name: Invalid value: \"8080\": must contain at "
	           "least one letter (a-z)");
	fails_with(PORTS_POD("{containerPort: 80, name: a--b}"),
	           "Invalid value: \"a--b\": must not contain consecutive hyphens");
	fails_with(PORTS_POD("{containerPort: 80, name: abcdefghijklmnop}"),
	           "must be no more than 15 characters");
	fails_with(PORTS_POD("{containerPort: 80, name: web}, {containerPort: 81, name: web}"),
	           "t.yaml:6:108: spec.containers[0].ports[1].name: Duplicate value: \"web\"");
#undef PORTS_POD
}

/* IsRelaxedEnvVarName (Kubernetes 1.32 on): any printable ASCII but '=' */
Test(parse, env_names_are_printable_ascii_but_equals)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(POD("  containers: [{name: a, image: b, env: [{name: \"1 a.b-c:d\", "
	                       "value: x}]}]\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	cr_assert_str_eq(pods[0].ctrs[0].env[0], "1 a.b-c:d=x");
	spec_free(pods, n);
	fails_with(POD("  containers: [{name: a, image: b, env: [{name: \"A\\tB\", value: x}]}]\n"),
	           "spec.containers[0].env[0].name: Invalid value: \"A\\tB\": a valid environment "
	           "variable name must consist only of printable ASCII characters other than '='");
	fails_with(
	    POD("  containers: [{name: a, image: b, env: [{name: \"\xc3\xa9t\xc3\xa9\"}]}]\n"),
	    "a valid environment variable name");
	fails_with(POD("  containers: [{name: a, image: b, env: [{name: \"A=B\"}]}]\n"),
	           "a valid environment variable name");
	fails_with(POD("  containers: [{name: a, image: b, envFrom: [{prefix: \"P\\n\", "
	               "configMapRef: {name: c, optional: true}}]}]\n"),
	           "spec.containers[0].envFrom[0].prefix: Invalid value: \"P\\n\"");
}

/* What else the API server checks that podrun let through. */
Test(parse, more_api_server_rules)
{
	/* validateContainerOnlyForPod */
	fails_with(POD("  containers: [{name: a, image: \"busybox \"}]\n"),
	           "t.yaml:6:33: spec.containers[0].image: Invalid value: \"busybox \": must not "
	           "have leading or trailing whitespace");
	/* validateSleepAction: within the grace period, the pod's, wherever it is
	 * written */
	fails_with(POD("  containers: [{name: a, image: b, lifecycle: {preStop: {sleep: {seconds: "
	               "31}}}}]\n"),
	           "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 31: must be "
	           "non-negative and less than terminationGracePeriodSeconds (30)");
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(parse(POD("  containers: [{name: a, image: b, lifecycle: {postStart: {sleep: "
	                       "{seconds: 60}}}}]\n  terminationGracePeriodSeconds: 60\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	cr_assert_eq(pods[0].ctrs[0].post_start.seconds, 60);
	spec_free(pods, n);
	/* MaxDNSNameservers, and None wants one at least: [] is none */
	fails_with(POD("  dnsConfig: {nameservers: [1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4]}\n"
	               "  containers: [{name: a, image: b}]\n"),
	           "t.yaml:6:28: spec.dnsConfig.nameservers: Invalid value: must not have more "
	           "than 3 nameservers");
	fails_with(POD("  dnsPolicy: None\n  dnsConfig: {nameservers: []}\n"
	               "  containers: [{name: a, image: b}]\n"),
	           "spec.dnsConfig.nameservers: Required value: must provide at least one DNS "
	           "nameserver when `dnsPolicy` is None");
	/* ValidateServiceAccountName, the deprecated field's too */
	fails_with(POD("  serviceAccountName: Robot_1\n  containers: [{name: a, image: b}]\n"),
	           "t.yaml:6:23: spec.serviceAccountName: Invalid value: \"Robot_1\": a lowercase "
	           "RFC 1123 subdomain");
	fails_with(POD("  serviceAccount: Robot_1\n  containers: [{name: a, image: b}]\n"),
	           "spec.serviceAccountName: Invalid value: \"Robot_1\"");
	/* validatePathNoBacksteps */
	fails_with(
	    POD("  volumes: [{name: v, hostPath: {path: /srv/../etc}}]\n"
	        "  containers: [{name: a, image: b}]\n"),
	    "t.yaml:6:40: spec.volumes[0].hostPath.path: Invalid value: \"/srv/../etc\": must "
	    "not contain '..'");
	cr_assert_eq(parse(POD("  volumes: [{name: v, hostPath: {path: /srv/..x/y..}}]\n"
	                       "  containers: [{name: a, image: b}]\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	spec_free(pods, n);
	/* validateLinux */
	fails_with(
	    POD("  os: {name: linux}\n"
	        "  containers: [{name: a, image: b, securityContext: {windowsOptions: {}}}]\n"),
	    "t.yaml:7:54: spec.containers[0].securityContext.windowsOptions: Forbidden: "
	    "windows options cannot be set for a linux pod");
	cr_assert_eq(parse(POD("  containers: [{name: a, image: b, securityContext: "
	                       "{windowsOptions: {}}}]\n"),
	                   &pods, &n),
	             0, "%s", last_error());
	spec_free(pods, n);
}

/* go-yaml v2 acts on explicit tags ("!!binary aGk=" is "hi" on a cluster,
 * "!!str 80" the string "80"); the loaded tree cannot tell "!!str 80" from
 * 80. A tag is refused at its position, but for the no-op: a collection's
 * own, a quoted string's !!str. podrun ran "!!binary aGk=" as "aGk=". */
Test(yaml11, explicit_tags_are_refused_not_misread)
{
	fails_with(
	    POD("  containers: [{name: a, image: b, env: [{name: A, value: !!binary aGk=}]}]\n"),
	    "t.yaml:6:59: YAML tag !!binary: podrun does not resolve tags");
	fails_with(
	    POD("  containers: [{name: a, image: b, ports: [{containerPort: !!int \"80\"}]}]\n"),
	    "YAML tag !!int:");
	fails_with(POD("  containers: [{name: a, image: b, env: [{name: A, value: !!str 80}]}]\n"),
	           "YAML tag !!str:");
	fails_with(POD("  containers: !custom [{name: a, image: b}]\n"), "YAML tag !custom:");
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(
	    parse(POD("  containers: !!seq [!!map {name: a, image: !!str \"b\"}]\n"), &pods, &n), 0,
	    "%s", last_error());
	spec_free(pods, n);
}

/* validateHandler: a hook must say what it runs; `postStart: {}` was taken
 * as no hook at all. null is no hook, as the API server's nil pointer. */
Test(parse, a_hook_without_a_handler_is_refused)
{
	fails_with(POD("  containers: [{name: a, image: b, lifecycle: {postStart: {}}}]\n"),
	           "t.yaml:6:59: spec.containers[0].lifecycle.postStart: Required value: must "
	           "specify a handler type");
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(
	    parse(POD("  containers: [{name: a, image: b, lifecycle: {postStart: null}}]\n"), &pods,
	          &n),
	    0, "%s", last_error());
	cr_assert_eq(pods[0].ctrs[0].post_start.kind, SPEC_HOOK_NONE);
	spec_free(pods, n);
}

/* go-yaml v2 merges `<<: *anchor`; podrun does not, and with
 * --allow-unsupported it ignored the key with all it brought (a
 * securityContext's runAsNonRoot...). Refused either way; a quoted "<<" is an
 * ordinary key. */
Test(yaml11, merge_keys_are_refused_even_when_unsupported_is_allowed)
{
	const char *text = POD("  containers:\n"
	                       "  - name: a\n"
	                       "    image: b\n"
	                       "    securityContext: &sc {runAsNonRoot: true}\n"
	                       "  - name: c\n"
	                       "    image: b\n"
	                       "    securityContext:\n"
	                       "      <<: *sc\n"
	                       "      privileged: false\n");
	fails_with(text, "t.yaml:13:7: spec.containers[1].securityContext.<<: YAML merge key");
	spec_allow_unsupported(true);
	fails_with(text, "YAML merge key: podrun does not merge mappings");
	spec_allow_unsupported(false);
	fails_with(POD("  containers: [{name: a, image: b, \"<<\": x}]\n"),
	           "spec.containers[0].<<: unknown field");
}

/* A string the API server defaults, written "": omitempty decodes it as the
 * zero value, which defaulting fills in (restartPolicy Always, protocol TCP,
 * the pod's name as hostname...). podrun refused each as an invalid value. */
Test(parse, an_empty_string_is_an_unset_field_the_api_server_defaults)
{
	struct pod_spec *pods;
	size_t n;
	cr_assert_eq(
	    parse(POD("  restartPolicy: \"\"\n"
	              "  dnsPolicy: \"\"\n"
	              "  hostname: \"\"\n"
	              "  containers:\n"
	              "  - name: a\n"
	              "    image: b\n"
	              "    imagePullPolicy: \"\"\n"
	              "    workingDir: \"\"\n"
	              "    terminationMessagePath: \"\"\n"
	              "    terminationMessagePolicy: \"\"\n"
	              "    ports: [{containerPort: 80, protocol: \"\", hostIP: \"\"}]\n"
	              "    readinessProbe: {httpGet: {port: 80, scheme: \"\", path: \"\"}}\n"),
	          &pods, &n),
	    0, "%s", last_error());
	const struct pod_spec *p = &pods[0];
	cr_assert_eq(p->restart_policy, INIT_RESTART_ALWAYS);
	cr_assert_null(p->dns_policy);
	cr_assert_str_eq(p->hostname, "p");
	cr_assert_not(p->hostname_set);
	cr_assert_null(p->ctrs[0].pull_policy);
	cr_assert_null(p->ctrs[0].working_dir);
	cr_assert_null(p->ctrs[0].term_path);
	cr_assert_str_eq(p->ctrs[0].ports[0].host_ip, "0.0.0.0");
	spec_free(pods, n);
	/* a pointer field's "" is a value: the init container's restartPolicy */
	fails_with(POD("  initContainers: [{name: i, image: b, restartPolicy: \"\"}]\n"
	               "  containers: [{name: a, image: b}]\n"),
	           "spec.initContainers[0].restartPolicy: \"\" is not supported");
}
