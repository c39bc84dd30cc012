/*
 * test_podjson.c - unit tests of capstone/podjson.c: the v1 Pod spec with
 * Kubernetes' defaults filled in, quantities and times as Kubernetes prints
 * them, and spec.json written atomically and privately.
 */
#include "common.h"
#include "podjson.h"
#include "spec.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POD(extra) "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" extra

static struct pod_spec *pods;
static size_t n_pods;
static struct json_object *spec;

/* Parse one pod and build its spec; cleanup frees both. */
static struct json_object *spec_of(const char *text)
{
	cr_assert_eq(spec_parse_buffer("t.yaml", text, strlen(text), NULL, NULL, &pods, &n_pods), 0,
	             "%s", last_error());
	cr_assert_eq(podjson_spec(&pods[0], &spec), 0, "%s", last_error());
	return spec;
}

/* A test's scratch directory (mkdtemp fills the X's), removed by cleanup
 * even when the test failed halfway. */
static char scratch[] = "/tmp/podjson-test.XXXXXX";

static void cleanup(void)
{
	json_object_put(spec);
	spec = NULL;
	if (pods)
		spec_free(pods, n_pods);
	pods = NULL;
	if (!strstr(scratch, "XXXXXX"))
		rm_rf(scratch);
}

TestSuite(podjson, .fini = cleanup);

/* The member at a dotted path ("containers.0.image"), or NULL. */
static struct json_object *at(struct json_object *o, const char *path)
{
	char buf[256], *save, *seg;
	snprintf(buf, sizeof(buf), "%s", path);
	for (seg = strtok_r(buf, ".", &save); o && seg; seg = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(seg));
		else if (!json_object_object_get_ex(o, seg, &o))
			return NULL;
	}
	return o;
}

static void is_str(struct json_object *o, const char *path, const char *want)
{
	struct json_object *v = at(o, path);
	cr_assert(v && json_object_is_type(v, json_type_string), "%s: not a string", path);
	cr_assert_str_eq(json_object_get_string(v), want, "%s", path);
}

static void is_int(struct json_object *o, const char *path, int64_t want)
{
	struct json_object *v = at(o, path);
	cr_assert(v && json_object_is_type(v, json_type_int), "%s: not an integer", path);
	cr_assert_eq(json_object_get_int64(v), want, "%s: %lld", path,
	             (long long)json_object_get_int64(v));
}

/* An array of n entries at path (not NULL first: a missing one fails, not crashes). */
static void is_len(struct json_object *o, const char *path, size_t want)
{
	struct json_object *v = at(o, path);
	cr_assert(v && json_object_is_type(v, json_type_array), "%s: not an array", path);
	cr_assert_eq(json_object_array_length(v), want, "%s: %zu entries", path,
	             json_object_array_length(v));
}

static void is_bool(struct json_object *o, const char *path, bool want)
{
	struct json_object *v = at(o, path);
	cr_assert(v && json_object_is_type(v, json_type_boolean), "%s: not a boolean", path);
	cr_assert_eq(json_object_get_boolean(v), want, "%s", path);
}

Test(podjson, pod_defaults)
{
	struct json_object *s = spec_of(
	    POD("  containers:\n  - name: c\n    image: busybox:1.36\n    command: [sh]\n"));
	is_str(s, "restartPolicy", "Always");
	is_int(s, "terminationGracePeriodSeconds", 30);
	is_str(s, "dnsPolicy", "ClusterFirst");
	is_str(s, "schedulerName", "default-scheduler");
	is_bool(s, "enableServiceLinks", true);
	/* the Priority admission's: no class, no globalDefault class: 0 */
	is_int(s, "priority", 0);
	cr_assert_null(at(s, "priorityClassName"));
	cr_assert(json_object_is_type(at(s, "securityContext"), json_type_object));
	cr_assert_null(at(s, "initContainers"), "no init containers: no list");
	cr_assert_null(at(s, "volumes"));
	cr_assert_null(at(s, "hostname"), "the default hostname is not spec.hostname");
	cr_assert_null(at(s, "shareProcessNamespace"));
	/* the ServiceAccount admission's default, and its deprecated alias */
	is_str(s, "serviceAccountName", "default");
	is_str(s, "serviceAccount", "default");
	/* omitempty: false and unset are not printed */
	cr_assert_null(at(s, "hostNetwork"));
	cr_assert_null(at(s, "hostPID"));
	cr_assert_null(at(s, "hostIPC"));
	cr_assert_null(at(s, "activeDeadlineSeconds"));
	cr_assert_null(at(s, "hostAliases"));
	cr_assert_null(at(s, "dnsConfig"));
}

/* What an audit of `get -o yaml` looks for: the node's namespaces, the
 * deadline, the service account. */
Test(podjson, host_namespaces_deadline_service_account)
{
	struct json_object *s =
	    spec_of(POD("  hostNetwork: true\n  hostPID: true\n  hostIPC: true\n"
	                "  activeDeadlineSeconds: 60\n  serviceAccountName: foo\n"
	                "  initContainers:\n  - name: i\n    image: busybox:1.36\n"
	                "    command: [\"true\"]\n    ports: [{containerPort: 9090}]\n"
	                "  containers:\n  - name: c\n    image: busybox:1.36\n    command: [sh]\n"
	                "    ports:\n    - {containerPort: 8080}\n"
	                "    - {containerPort: 8081, hostPort: 8081}\n"));
	is_bool(s, "hostNetwork", true);
	is_bool(s, "hostPID", true);
	is_bool(s, "hostIPC", true);
	is_int(s, "activeDeadlineSeconds", 60);
	is_str(s, "serviceAccountName", "foo");
	is_str(s, "serviceAccount", "foo");
	/* SetDefaults_Pod: with the node's network a port is the node's port */
	is_int(s, "containers.0.ports.0.hostPort", 8080);
	is_int(s, "containers.0.ports.1.hostPort", 8081);
	is_int(s, "initContainers.0.ports.0.hostPort", 9090);
	cr_assert_null(at(s, "containers.0.ports.0.hostIP"));
	cleanup();
	/* only the deprecated name: it is the name, under both keys */
	s = spec_of(POD("  serviceAccount: bar\n"
	                "  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n"));
	is_str(s, "serviceAccountName", "bar");
	is_str(s, "serviceAccount", "bar");
	cr_assert_null(at(s, "hostNetwork"));
	cleanup();
	/* The v1 conversion takes serviceAccount when serviceAccountName is
	 * empty: "" or null beside the alias, in either order, is the alias;
	 * a non-empty serviceAccountName wins in either order. */
	static const struct {
		const char *yaml, *want;
	} alias[] = {
	    {"  serviceAccountName: \"\"\n  serviceAccount: foo\n", "foo"},
	    {"  serviceAccount: foo\n  serviceAccountName: \"\"\n", "foo"},
	    {"  serviceAccountName: null\n  serviceAccount: foo\n", "foo"},
	    {"  serviceAccountName: bar\n  serviceAccount: foo\n", "bar"},
	    {"  serviceAccount: foo\n  serviceAccountName: bar\n", "bar"},
	    {"  serviceAccountName: \"\"\n  serviceAccount: \"\"\n", "default"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(alias); i++) {
		char text[512];
		snprintf(
		    text, sizeof(text),
		    POD("%s  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n"),
		    alias[i].yaml);
		s = spec_of(text);
		is_str(s, "serviceAccountName", alias[i].want);
		is_str(s, "serviceAccount", alias[i].want);
		cleanup();
	}
}

Test(podjson, host_aliases_and_dns_config)
{
	struct json_object *s = spec_of(POD(
	    "  hostAliases:\n  - {ip: 10.0.0.1, hostnames: [a.example, b]}\n  - {ip: '::1'}\n"
	    "  dnsPolicy: None\n"
	    "  dnsConfig:\n    nameservers: [1.1.1.1, '2001:db8::53']\n    searches: [x.local]\n"
	    "    options:\n    - {name: ndots, value: '2'}\n    - {name: edns0}\n"
	    "    - {name: empty, value: ''}\n    - {name: v, value: 'a:b'}\n"
	    "  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n"));
	is_len(s, "hostAliases", 2);
	is_str(s, "hostAliases.0.ip", "10.0.0.1");
	is_str(s, "hostAliases.0.hostnames.0", "a.example");
	is_str(s, "hostAliases.0.hostnames.1", "b");
	is_str(s, "hostAliases.1.ip", "::1");
	cr_assert_null(at(s, "hostAliases.1.hostnames"), "no hostnames: left out");
	is_str(s, "dnsPolicy", "None");
	is_str(s, "dnsConfig.nameservers.0", "1.1.1.1");
	is_str(s, "dnsConfig.nameservers.1", "2001:db8::53");
	is_str(s, "dnsConfig.searches.0", "x.local");
	is_len(s, "dnsConfig.options", 4);
	is_str(s, "dnsConfig.options.0.name", "ndots");
	is_str(s, "dnsConfig.options.0.value", "2");
	is_str(s, "dnsConfig.options.1.name", "edns0");
	cr_assert_null(at(s, "dnsConfig.options.1.value"), "no value: left out");
	is_str(s, "dnsConfig.options.2.value", ""); /* a value given, empty: kept */
	is_str(s, "dnsConfig.options.3.name", "v");
	is_str(s, "dnsConfig.options.3.value", "a:b");
	cleanup();
	/* only searches: no empty lists beside them */
	s = spec_of(POD("  dnsConfig:\n    searches: [y.local]\n"
	                "  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n"));
	is_str(s, "dnsConfig.searches.0", "y.local");
	cr_assert_null(at(s, "dnsConfig.nameservers"));
	cr_assert_null(at(s, "dnsConfig.options"));
	cleanup();
	/* dnsConfig is a pointer in the API: an empty one is kept as {}, and
	 * so is one whose lists are all empty; null is none at all */
	const char *empty[] = {"{}", "{nameservers: [], searches: [], options: []}"};
	for (size_t i = 0; i < ARRAY_SIZE(empty); i++) {
		char text[512];
		snprintf(text, sizeof(text),
		         POD("  dnsConfig: %s\n"
		             "  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n"),
		         empty[i]);
		s = spec_of(text);
		struct json_object *d = at(s, "dnsConfig");
		cr_assert(d && json_object_is_type(d, json_type_object), "dnsConfig: %s: not kept",
		          empty[i]);
		cr_assert_eq(json_object_object_length(d), 0, "dnsConfig: %s: %s", empty[i],
		             json_object_to_json_string(d));
		cleanup();
	}
	s = spec_of(POD("  dnsConfig: null\n"
	                "  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n"));
	cr_assert_null(at(s, "dnsConfig"), "dnsConfig: null is no dnsConfig");
}

Test(podjson, container_defaults)
{
	struct json_object *s =
	    spec_of(POD("  containers:\n  - name: c\n    image: busybox:1.36\n    command: [sh]\n"
	                "    args: [-c, 'echo hi']\n    ports:\n    - containerPort: 80\n"));
	is_str(s, "containers.0.name", "c");
	is_str(s, "containers.0.image", "busybox:1.36");
	is_str(s, "containers.0.command.0", "sh");
	is_str(s, "containers.0.args.1", "echo hi");
	is_str(s, "containers.0.terminationMessagePath", "/dev/termination-log");
	is_str(s, "containers.0.terminationMessagePolicy", "File");
	is_str(s, "containers.0.imagePullPolicy", "IfNotPresent");
	is_int(s, "containers.0.ports.0.containerPort", 80);
	is_str(s, "containers.0.ports.0.protocol", "TCP");
	cr_assert_null(at(s, "containers.0.ports.0.hostPort"));
	cr_assert_null(at(s, "containers.0.ports.0.hostIP"));
	/* resources: {} as the API server prints it */
	cr_assert_eq(json_object_object_length(at(s, "containers.0.resources")), 0);
	/* podrun's own defaults are the values in force */
	is_str(s, "containers.0.securityContext.seccompProfile.type", "RuntimeDefault");
	is_bool(s, "containers.0.securityContext.allowPrivilegeEscalation", false);
}

/* imagePullPolicy as written wins over the default for the tag; a long
 * name's hostname (cut to 63 bytes) is not spec.hostname either */
Test(podjson, pull_policy_as_written_and_hostname_only_when_written)
{
	struct json_object *s =
	    spec_of(POD("  containers:\n"
	                "  - {name: a, image: busybox, imagePullPolicy: Never}\n"
	                "  - {name: b, image: busybox}\n"));
	is_str(s, "containers.0.imagePullPolicy", "Never");
	is_str(s, "containers.1.imagePullPolicy", "Always");
	cleanup();
	s = spec_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: "
	            "a23456789-123456789-123456789-123456789-123456789-123456789.bcd\n"
	            "spec:\n  containers: [{name: c, image: busybox}]\n");
	cr_assert_null(at(s, "hostname"), "a default hostname is not spec.hostname");
	cleanup();
	s = spec_of(POD("  hostname: web\n  containers: [{name: c, image: busybox}]\n"));
	is_str(s, "hostname", "web");
}

Test(podjson, pull_policy_by_tag)
{
	cr_assert_str_eq(podjson_pull_policy("busybox"), "Always");
	cr_assert_str_eq(podjson_pull_policy("busybox:latest"), "Always");
	cr_assert_str_eq(podjson_pull_policy("registry:5000/busybox"), "Always");
	cr_assert_str_eq(podjson_pull_policy("registry:5000/busybox:1.36"), "IfNotPresent");
	cr_assert_str_eq(podjson_pull_policy("busybox@sha256:abc"), "IfNotPresent");
	struct json_object *s = spec_of(POD("  containers:\n  - name: c\n    image: busybox\n"
	                                    "    command: [sh]\n"));
	is_str(s, "containers.0.imagePullPolicy", "Always");
}

Test(podjson, resources_as_quantities)
{
	struct json_object *s =
	    spec_of(POD("  containers:\n  - name: c\n    image: busybox:1.36\n    command: [sh]\n"
	                "    resources:\n      limits: {cpu: 500m, memory: 128Mi}\n"
	                "      requests: {cpu: '0.25', memory: 64Mi}\n"
	                "  - name: d\n    image: busybox:1.36\n    command: [sh]\n"
	                "    resources:\n      limits: {cpu: '2', memory: 1G}\n"));
	is_str(s, "containers.0.resources.limits.cpu", "500m");
	is_str(s, "containers.0.resources.limits.memory", "128Mi");
	is_str(s, "containers.0.resources.requests.cpu", "250m");
	is_str(s, "containers.0.resources.requests.memory", "64Mi");
	is_str(s, "containers.1.resources.limits.cpu", "2");
	is_str(s, "containers.1.resources.limits.memory", "1G");
	/* requests default to limits, as the API server does */
	is_str(s, "containers.1.resources.requests.cpu", "2");
	is_str(s, "containers.1.resources.requests.memory", "1G");
}

Test(podjson, quantity_forms)
{
	char q[32];
	podjson_bytes_quantity(64LL << 20, q, sizeof(q));
	cr_assert_str_eq(q, "64Mi");
	podjson_bytes_quantity(3LL << 29, q, sizeof(q));
	cr_assert_str_eq(q, "1536Mi");
	podjson_bytes_quantity(1LL << 60, q, sizeof(q));
	cr_assert_str_eq(q, "1Ei");
	podjson_bytes_quantity(1500000, q, sizeof(q));
	cr_assert_str_eq(q, "1500k");
	podjson_bytes_quantity(1001, q, sizeof(q));
	cr_assert_str_eq(q, "1001");
	podjson_cpu_quantity(1500, q, sizeof(q));
	cr_assert_str_eq(q, "1500m");
	podjson_cpu_quantity(3000, q, sizeof(q));
	cr_assert_str_eq(q, "3");
}

Test(podjson, init_sidecar_env_mounts_volumes)
{
	struct json_object *s = spec_of(POD(
	    "  restartPolicy: Never\n  terminationGracePeriodSeconds: 5\n"
	    "  shareProcessNamespace: true\n  hostname: box\n"
	    "  initContainers:\n"
	    "  - {name: i, image: busybox:1.36, command: [\"true\"]}\n"
	    "  - {name: s, image: busybox:1.36, command: [sleep, '9'], restartPolicy: Always}\n"
	    "  containers:\n  - name: c\n    image: busybox:1.36\n    command: [sh]\n"
	    "    env:\n    - {name: A, value: 'x=y \"q\"'}\n"
	    "    ports:\n    - {name: web, containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}\n"
	    "    volumeMounts:\n    - {name: d, mountPath: /d, readOnly: true, subPath: sub}\n"
	    "    - {name: h, mountPath: /h}\n"
	    "  volumes:\n  - name: d\n    emptyDir: {medium: Memory, sizeLimit: 64Mi}\n"
	    "  - name: h\n    hostPath: {path: /tmp}\n"));
	is_str(s, "restartPolicy", "Never");
	is_int(s, "terminationGracePeriodSeconds", 5);
	is_bool(s, "shareProcessNamespace", true);
	is_str(s, "hostname", "box");
	is_str(s, "initContainers.0.name", "i");
	cr_assert_null(at(s, "initContainers.0.restartPolicy"));
	is_str(s, "initContainers.1.restartPolicy", "Always");
	cr_assert_eq(json_object_array_length(at(s, "containers")), 1, "init containers apart");
	is_str(s, "containers.0.env.0.name", "A");
	is_str(s, "containers.0.env.0.value", "x=y \"q\"");
	is_str(s, "containers.0.ports.0.name", "web");
	is_int(s, "containers.0.ports.0.hostPort", 8080);
	is_str(s, "containers.0.ports.0.hostIP", "127.0.0.1");
	is_str(s, "containers.0.volumeMounts.0.mountPath", "/d");
	is_bool(s, "containers.0.volumeMounts.0.readOnly", true);
	is_str(s, "containers.0.volumeMounts.0.subPath", "sub");
	cr_assert_null(at(s, "containers.0.volumeMounts.1.readOnly"));
	is_str(s, "volumes.0.emptyDir.medium", "Memory");
	is_str(s, "volumes.0.emptyDir.sizeLimit", "64Mi");
	is_str(s, "volumes.1.hostPath.path", "/tmp");
	is_str(s, "volumes.1.hostPath.type", "");
}

/* A pod with what the examples lack: env from the downward API, probes,
 * lifecycle hooks, a termination message policy. Also written by
 * examples_write_spec, for get.bats to check against the schema and to
 * describe. */
static const char downward_pod[] =
    "apiVersion: v1\n"
    "kind: Pod\n"
    "metadata:\n"
    "  name: downward\n"
    "  labels: {app.kubernetes.io/name: web}\n"
    "spec:\n"
    "  initContainers:\n"
    "  - name: side\n"
    "    image: busybox:1.36\n"
    "    command: [sleep, 1d]\n"
    "    restartPolicy: Always\n"
    "    resources:\n"
    "      requests: {memory: 32Mi}\n"
    "  containers:\n"
    "  - name: app\n"
    "    image: busybox:1.36\n"
    "    command: [sh, -c, 'sleep 1d']\n"
    "    ports: [{name: http, containerPort: 8080}]\n"
    "    env:\n"
    "    - {name: PLAIN, value: x}\n"
    "    - {name: EMPTY, value: \"\"}\n"
    "    - name: POD_NAME\n"
    "      valueFrom: {fieldRef: {fieldPath: metadata.name}}\n"
    "    - name: APP\n"
    "      valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app.kubernetes.io/name']\"}}\n"
    "    - name: POD_IP\n"
    "      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: status.podIP}}\n"
    "    - name: CPU_LIMIT\n"
    "      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}\n"
    "    - name: SIDE_MEM\n"
    "      valueFrom: {resourceFieldRef: {containerName: side, resource: requests.memory, divisor: "
    "1Mi}}\n"
    "    - name: MEM_LIMIT\n"
    "      valueFrom: {resourceFieldRef: {resource: limits.memory}}\n"
    "    - name: SIDE_CPU\n"
    "      valueFrom: {resourceFieldRef: {containerName: side, resource: limits.cpu}}\n"
    "    resources:\n"
    "      limits: {cpu: 500m, memory: 64Mi}\n"
    "    readinessProbe:\n"
    "      httpGet: {path: /healthz, port: http}\n"
    "      periodSeconds: 2\n"
    "    livenessProbe:\n"
    "      exec: {command: [cat, /tmp/ok]}\n"
    "      initialDelaySeconds: 5\n"
    "    startupProbe:\n"
    "      tcpSocket: {port: 8080}\n"
    "      failureThreshold: 30\n"
    "    lifecycle:\n"
    "      postStart: {exec: {command: [touch, /tmp/ok]}}\n"
    "      preStop: {sleep: {seconds: 2}}\n"
    "    terminationMessagePolicy: FallbackToLogsOnError\n";

static bool is_null_at(struct json_object *o, const char *path)
{
	return at(o, path) == NULL;
}

Test(podjson, env_value_from_probes_and_lifecycle)
{
	struct json_object *s = spec_of(downward_pod);
	/* every env entry, in order, as the API server keeps it */
	cr_assert_eq(json_object_array_length(at(s, "containers.0.env")), 9);
	is_str(s, "containers.0.env.0.name", "PLAIN");
	is_str(s, "containers.0.env.0.value", "x");
	is_str(s, "containers.0.env.1.name", "EMPTY");
	cr_assert(is_null_at(s, "containers.0.env.1.value"), "an empty value is left out");
	is_str(s, "containers.0.env.2.name", "POD_NAME");
	cr_assert(is_null_at(s, "containers.0.env.2.value"));
	is_str(s, "containers.0.env.2.valueFrom.fieldRef.apiVersion", "v1");
	is_str(s, "containers.0.env.2.valueFrom.fieldRef.fieldPath", "metadata.name");
	is_str(s, "containers.0.env.3.valueFrom.fieldRef.fieldPath",
	       "metadata.labels['app.kubernetes.io/name']");
	is_str(s, "containers.0.env.4.valueFrom.fieldRef.fieldPath", "status.podIP");
	is_str(s, "containers.0.env.5.valueFrom.resourceFieldRef.resource", "limits.cpu");
	is_str(s, "containers.0.env.5.valueFrom.resourceFieldRef.divisor", "1m");
	cr_assert(is_null_at(s, "containers.0.env.5.valueFrom.resourceFieldRef.containerName"));
	is_str(s, "containers.0.env.6.valueFrom.resourceFieldRef.containerName", "side");
	is_str(s, "containers.0.env.6.valueFrom.resourceFieldRef.resource", "requests.memory");
	is_str(s, "containers.0.env.6.valueFrom.resourceFieldRef.divisor", "1Mi");
	/* no divisor: the zero Quantity, as Kubernetes prints it */
	is_str(s, "containers.0.env.7.valueFrom.resourceFieldRef.divisor", "0");
	/* probes with SetDefaults_Probe's numbers; a named port stays a name */
	is_str(s, "containers.0.readinessProbe.httpGet.path", "/healthz");
	is_str(s, "containers.0.readinessProbe.httpGet.port", "http");
	is_str(s, "containers.0.readinessProbe.httpGet.scheme", "HTTP");
	is_int(s, "containers.0.readinessProbe.periodSeconds", 2);
	is_int(s, "containers.0.readinessProbe.timeoutSeconds", 1);
	is_int(s, "containers.0.readinessProbe.successThreshold", 1);
	is_int(s, "containers.0.readinessProbe.failureThreshold", 3);
	cr_assert(is_null_at(s, "containers.0.readinessProbe.initialDelaySeconds"));
	is_str(s, "containers.0.livenessProbe.exec.command.1", "/tmp/ok");
	is_int(s, "containers.0.livenessProbe.initialDelaySeconds", 5);
	is_int(s, "containers.0.livenessProbe.periodSeconds", 10);
	is_int(s, "containers.0.startupProbe.tcpSocket.port", 8080);
	is_int(s, "containers.0.startupProbe.failureThreshold", 30);
	is_str(s, "containers.0.lifecycle.postStart.exec.command.0", "touch");
	is_int(s, "containers.0.lifecycle.preStop.sleep.seconds", 2);
	is_str(s, "containers.0.terminationMessagePolicy", "FallbackToLogsOnError");
	cr_assert(is_null_at(s, "initContainers.0.lifecycle"));
	cr_assert(is_null_at(s, "initContainers.0.livenessProbe"));
	cr_assert(is_null_at(s, "initContainers.0.env"));
}

Test(podjson, security_context)
{
	struct json_object *s =
	    spec_of(POD("  securityContext:\n    runAsUser: 1000\n    runAsGroup: 3000\n"
	                "    supplementalGroups: [4000]\n    fsGroup: 2000\n"
	                "  containers:\n  - name: c\n    image: busybox:1.36\n    command: [sh]\n"
	                "    securityContext:\n      runAsNonRoot: true\n"
	                "      readOnlyRootFilesystem: true\n      allowPrivilegeEscalation: true\n"
	                "      capabilities: {add: [NET_ADMIN], drop: [ALL]}\n"
	                "      seccompProfile: {type: Unconfined}\n"));
	is_int(s, "securityContext.runAsUser", 1000);
	is_int(s, "securityContext.runAsGroup", 3000);
	is_int(s, "securityContext.supplementalGroups.0", 4000);
	is_int(s, "securityContext.fsGroup", 2000);
	is_int(s, "containers.0.securityContext.runAsUser", 1000); /* the pod's, in force */
	is_bool(s, "containers.0.securityContext.runAsNonRoot", true);
	is_bool(s, "containers.0.securityContext.readOnlyRootFilesystem", true);
	is_bool(s, "containers.0.securityContext.allowPrivilegeEscalation", true);
	is_str(s, "containers.0.securityContext.capabilities.add.0", "NET_ADMIN");
	is_str(s, "containers.0.securityContext.capabilities.drop.0", "ALL");
	is_str(s, "containers.0.securityContext.seccompProfile.type", "Unconfined");
}

Test(podjson, metadata_labels_and_namespace)
{
	spec_of(POD("  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n"));
	struct json_object *m;
	cr_assert_eq(podjson_metadata(&pods[0], &m), 0);
	is_str(m, "name", "p");
	is_str(m, "namespace", "default");
	cr_assert_null(at(m, "labels"));
	json_object_put(m);
	cleanup();
	spec_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\n  namespace: ns1\n"
	        "  labels: {app: web, tier: front}\nspec:\n"
	        "  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n");
	cr_assert_eq(podjson_metadata(&pods[0], &m), 0);
	is_str(m, "namespace", "ns1");
	is_str(m, "labels.app", "web");
	is_str(m, "labels.tier", "front");
	cr_assert_null(at(m, "annotations"), "none written: left out");
	json_object_put(m);
}

Test(podjson, metadata_annotations)
{
	spec_of("apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\n"
	        "  annotations:\n    example.com/owner: team-a\n    note: 'x=y: \"z\"'\n"
	        "    empty: ''\nspec:\n"
	        "  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n");
	struct json_object *m;
	cr_assert_eq(podjson_metadata(&pods[0], &m), 0);
	struct json_object *a = at(m, "annotations");
	cr_assert(a && json_object_is_type(a, json_type_object));
	cr_assert_eq(json_object_object_length(a), 3);
	/* a key with dots and a slash: no at(), which splits at dots */
	struct json_object *v;
	cr_assert(json_object_object_get_ex(a, "example.com/owner", &v));
	cr_assert_str_eq(json_object_get_string(v), "team-a");
	is_str(m, "annotations.note", "x=y: \"z\""); /* the first '=' ends the key */
	is_str(m, "annotations.empty", "");
	cr_assert_null(at(m, "labels"));
	json_object_put(m);
}

Test(podjson, times_as_metav1)
{
	char t[64];
	int64_t u;
	cr_assert_eq(podjson_time("2026-11-27T22:00:00.123456789Z", t, sizeof(t), &u), 0);
	cr_assert_str_eq(t, "2026-11-27T22:00:00Z");
	cr_assert_eq(podjson_time("2026-11-27T23:30:00+01:30", t, sizeof(t), &u), 0);
	cr_assert_str_eq(t, "2026-11-27T22:00:00Z");
	cr_assert_eq(u, 1795816800);
	cr_assert_eq(podjson_time("", t, sizeof(t), NULL), -1);
	cr_assert_eq(podjson_time("2026-11-27 22:00:00", t, sizeof(t), NULL), -1);
	cr_assert_eq(podjson_time("2026-11-27T22:00:00Zjunk", t, sizeof(t), NULL), -1);
	/* every field at its full width, in its range */
	cr_assert_eq(podjson_time("2026-11-27t22:00:00z", t, sizeof(t), NULL), 0);
	cr_assert_eq(podjson_time("2026-1-27T22:00:00Z", t, sizeof(t), NULL), -1);
	cr_assert_eq(podjson_time("2026- 1-27T22:00:00Z", t, sizeof(t), NULL), -1);
	cr_assert_eq(podjson_time("2026-13-27T22:00:00Z", t, sizeof(t), NULL), -1);
	cr_assert_eq(podjson_time("2026-11-00T22:00:00Z", t, sizeof(t), NULL), -1);
	cr_assert_eq(podjson_time("2026-11-27T24:00:00Z", t, sizeof(t), NULL), -1);
	cr_assert_eq(podjson_time("2026-11-27T22:60:00Z", t, sizeof(t), NULL), -1);
	cr_assert_eq(podjson_time("2026-11-27T22:00", t, sizeof(t), NULL), -1);
	cr_assert_eq(podjson_time("2016-12-31T23:59:60Z", t, sizeof(t), &u), 0);
	cr_assert_eq(u, 1483228800); /* the leap second is the next day's first */
}

Test(podjson, write_spec_atomic_private_nofollow)
{
	spec_of(POD("  containers:\n  - {name: c, image: busybox:1.36, command: [sh]}\n"));
	const char *dir = mkdtemp(scratch);
	cr_assert_not_null(dir);
	cr_assert_eq(podjson_write_spec(&pods[0], dir), 0, "%s", last_error());
	char path[256];
	snprintf(path, sizeof(path), "%s/spec.json", dir);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	struct json_object *back = json_object_from_file(path);
	cr_assert_not_null(back);
	is_str(back, "containers.0.terminationMessagePath", "/dev/termination-log");
	cr_assert_not_null(at(back, "nodeName"), "bound to this node");
	json_object_put(back);
	snprintf(path, sizeof(path), "%s/metadata.json", dir);
	back = json_object_from_file(path);
	cr_assert_not_null(back);
	is_str(back, "name", "p");
	json_object_put(back);
	snprintf(path, sizeof(path), "%s/spec.json.tmp", dir);
	cr_assert_eq(access(path, F_OK), -1, "no temporary file is left");
	/* a symlink planted as the temporary file is not written through */
	char target[300];
	snprintf(target, sizeof(target), "%s/target", dir);
	cr_assert_eq(symlink(target, path), 0);
	cr_assert_eq(podjson_write_spec(&pods[0], dir), -1);
	cr_assert_eq(access(target, F_OK), -1, "written through a symlink");
	unlink(path);
	snprintf(path, sizeof(path), "%s/spec.json", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/metadata.json", dir);
	unlink(path);
	rmdir(dir);
}

Test(podjson, sub_path_expr_as_written)
{
	struct json_object *s =
	    spec_of(POD("  containers:\n  - name: c\n    image: busybox\n"
	                "    volumeMounts: [{name: v, mountPath: /v, subPathExpr: $(POD)}]\n"
	                "  volumes: [{name: v, emptyDir: {}}]\n"));
	is_str(s, "containers.0.volumeMounts.0.subPathExpr", "$(POD)");
	cr_assert_null(at(s, "containers.0.volumeMounts.0.subPath"));
}

/* The state tmpfs is every pod's: spec.json is no larger than podjson_pod
 * reads. 3 MB of "\x01" (what aliases may expand to) is 18 MB of JSON,
 * each byte written \u0001, which filled the tmpfs for the other pods. */
Test(podjson, write_spec_is_bounded)
{
	size_t chars = 250000, len = 0;
	char *text = malloc(4 * chars + 4096);
	cr_assert_not_null(text);
	len += (size_t)sprintf(text, POD("  containers:\n  - name: c\n    image: busybox\n"
	                                 "    env: [&e {name: E, value: \""));
	for (size_t i = 0; i < chars; i++, len += 4)
		memcpy(text + len, "\\x01", 4);
	len += (size_t)sprintf(text + len, "\"}");
	for (int i = 0; i < 11; i++)
		len += (size_t)sprintf(text + len, ", *e");
	len += (size_t)sprintf(text + len, "]\n");
	cr_assert_eq(spec_parse_buffer("t.yaml", text, len, NULL, NULL, &pods, &n_pods), 0, "%s",
	             last_error());
	free(text);
	char path[256];
	const char *dir = mkdtemp(scratch);
	cr_assert_not_null(dir);
	cr_assert_eq(podjson_write_spec(&pods[0], dir), -1);
	cr_assert_eq(errno, EFBIG);
	cr_assert(strstr(last_error(), "spec.json: 18000"), "%s", last_error());
	snprintf(path, sizeof(path), "%s/spec.json", dir);
	cr_assert_eq(access(path, F_OK), -1, "spec.json was written");
	cr_assert_eq(rmdir(dir), 0, "something was left in %s", dir);
}

/* A pod an audit of `get -o yaml` must see through: the node's namespaces,
 * a deadline, a service account, its priority, annotations, /etc/hosts and
 * resolv.conf entries. Also written by examples_write_spec, for get.bats. */
static const char audit_pod[] = "apiVersion: v1\n"
                                "kind: Pod\n"
                                "metadata:\n"
                                "  name: audit\n"
                                "  namespace: ops\n"
                                "  labels: {app: audit}\n"
                                "  annotations:\n"
                                "    example.com/owner: team-a\n"
                                "    note: 'a=b'\n"
                                "    description: \"first line\\nsecond line\\n\"\n"
                                "spec:\n"
                                "  hostNetwork: true\n"
                                "  hostPID: true\n"
                                "  hostIPC: true\n"
                                "  activeDeadlineSeconds: 60\n"
                                "  serviceAccountName: foo\n"
                                "  priorityClassName: system-node-critical\n"
                                "  hostAliases:\n"
                                "  - {ip: 10.0.0.1, hostnames: [db.example, db]}\n"
                                "  dnsConfig:\n"
                                "    nameservers: [1.1.1.1]\n"
                                "    searches: [x.local]\n"
                                "    options: [{name: ndots, value: '2'}, {name: edns0}]\n"
                                "  containers:\n"
                                "  - name: c\n"
                                "    image: busybox:1.36\n"
                                "    imagePullPolicy: IfNotPresent\n"
                                "    command: [sh, -c, 'sleep 1d']\n"
                                "    ports: [{containerPort: 8080}]\n";

/* The API server's readings a bare struct would lose: serviceAccountName ""
 * beside the deprecated serviceAccount (the alias is the name), and an empty
 * dnsConfig (kept as {}). Also written by examples_write_spec, for get.bats. */
static const char alias_pod[] = "apiVersion: v1\n"
                                "kind: Pod\n"
                                "metadata:\n"
                                "  name: alias\n"
                                "spec:\n"
                                "  serviceAccountName: \"\"\n"
                                "  serviceAccount: foo\n"
                                "  dnsConfig: {}\n"
                                "  containers:\n"
                                "  - name: c\n"
                                "    image: busybox:1.36\n"
                                "    imagePullPolicy: IfNotPresent\n"
                                "    command: [sh, -c, 'sleep 1d']\n";

/* Every example pod's spec.json and metadata.json. With PODJSON_OUT set they
 * stay there, one directory per pod (tests/capstone/get.bats validates them
 * against the Kubernetes schema); else they go to a temporary directory. */
Test(podjson, examples_write_spec)
{
	const char *src = getenv("PODLAB_SRC") ? getenv("PODLAB_SRC") : ".";
	const char *keep = getenv("PODJSON_OUT");
	char tmp[] = "/tmp/podjson-examples.XXXXXX", cmd[PATH_MAX * 2];
	const char *out = keep ? keep : mkdtemp(tmp);
	cr_assert_not_null(out);
	snprintf(cmd, sizeof(cmd), "ls %s/examples/*.yaml", src);
	FILE *ls = popen(cmd, "r");
	cr_assert_not_null(ls);
	char file[PATH_MAX];
	int files = 0;
	while (fgets(file, sizeof(file), ls)) {
		file[strcspn(file, "\n")] = '\0';
		cr_assert_eq(spec_parse_file(file, NULL, NULL, &pods, &n_pods), 0, "%s",
		             last_error());
		for (size_t i = 0; i < n_pods; i++) {
			char dir[PATH_MAX + 300];
			snprintf(dir, sizeof(dir), "%s/%s", out, pods[i].name);
			cr_assert_eq(mkdir_p(dir, 0700), 0);
			cr_assert_eq(podjson_write_spec(&pods[i], dir), 0, "%s", last_error());
		}
		spec_free(pods, n_pods);
		pods = NULL;
		files++;
	}
	pclose(ls);
	cr_assert_gt(files, 0, "no examples under %s/examples", src);
	/* and the pods with what the examples lack */
	const char *extra[] = {downward_pod, audit_pod, alias_pod};
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		cr_assert_eq(spec_parse_buffer("extra.yaml", extra[i], strlen(extra[i]), NULL, NULL,
		                               &pods, &n_pods),
		             0, "%s", last_error());
		char dir[PATH_MAX + 300];
		snprintf(dir, sizeof(dir), "%s/%s", out, pods[0].name);
		cr_assert_eq(mkdir_p(dir, 0700), 0);
		cr_assert_eq(podjson_write_spec(&pods[0], dir), 0, "%s", last_error());
		spec_free(pods, n_pods);
		pods = NULL;
	}
	if (!keep)
		cr_assert_eq(rm_rf(tmp), 0);
}

/* What get -o yaml prints, given back to podrun, is the same pod: every
 * field podjson writes is one the parser takes, with the same meaning.
 * JSON is YAML, so the Pod object goes to the parser as it is. */
Test(podjson, spec_parses_back_the_same)
{
	const char *texts[] = {audit_pod, downward_pod, alias_pod};
	for (size_t t = 0; t < ARRAY_SIZE(texts); t++) {
		struct json_object *s1 = json_object_get(spec_of(texts[t])), *m1, *pod;
		cr_assert_eq(podjson_metadata(&pods[0], &m1), 0);
		pod = json_object_new_object();
		json_object_object_add(pod, "apiVersion", json_object_new_string("v1"));
		json_object_object_add(pod, "kind", json_object_new_string("Pod"));
		json_object_object_add(pod, "metadata", m1);
		json_object_object_add(pod, "spec", s1);
		char *text = strdup(json_object_to_json_string_ext(pod, JSON_C_TO_STRING_PRETTY));
		cr_assert_not_null(text);
		cleanup();
		struct json_object *s2 = spec_of(text);
		cr_assert(json_object_equal(s1, s2), "differs after a round trip:\n%s\n%s", text,
		          json_object_to_json_string_ext(s2, JSON_C_TO_STRING_PRETTY));
		struct json_object *m2;
		cr_assert_eq(podjson_metadata(&pods[0], &m2), 0);
		cr_assert(json_object_equal(m1, m2), "metadata differs: %s",
		          json_object_to_json_string(m2));
		json_object_put(m2);
		json_object_put(pod);
		free(text);
		cleanup();
	}
}
