/*
 * podjson.c - the v1 Pod as JSON (see podjson.h).
 *
 * Every object is built with json-c, never with printf: a label value, an
 * env value or a container's message may hold quotes, backslashes and
 * newlines, and json-c escapes them.
 */
#include "podjson.h"

#include "common.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- building objects ----------------------------------------------------------
 * json-c returns NULL when out of memory; these helpers take a NULL value
 * and report it, so a builder can add everything and check once. */

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!o || !v)
		goto fail;
	if (json_object_object_add(o, key, v) < 0)
		goto fail;
	return 0;
fail:
	json_object_put(v);
	return -1;
}

static int add_str(struct json_object *o, const char *key, const char *s)
{
	return add(o, key, json_object_new_string(s));
}

static int add_int(struct json_object *o, const char *key, int64_t v)
{
	return add(o, key, json_object_new_int64(v));
}

static int add_bool(struct json_object *o, const char *key, bool v)
{
	return add(o, key, json_object_new_boolean(v));
}

static int push(struct json_object *a, struct json_object *v)
{
	if (!a || !v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static struct json_object *str_array(char *const *items)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; a && items && items[i]; i++)
		if (push(a, json_object_new_string(items[i])) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

/* {key: value} of a "key=value" list (labels, annotations). A key is a
 * qualified name, so the first '=' ends it; the value may hold more. */
static struct json_object *kv_object(char *const *items)
{
	struct json_object *o = json_object_new_object();
	int rc = o ? 0 : -1;
	for (size_t i = 0; o && items && items[i]; i++) {
		const char *eq = strchr(items[i], '=');
		char *key = eq ? strndup(items[i], (size_t)(eq - items[i])) : NULL;
		if (eq)
			rc |= key ? add_str(o, key, eq + 1) : -1;
		free(key);
	}
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- quantities, times, images ------------------------------------------------ */

void podjson_cpu_quantity(int64_t milli, char *out, size_t len)
{
	if (milli % 1000 == 0)
		snprintf(out, len, "%" PRId64, milli / 1000);
	else
		snprintf(out, len, "%" PRId64 "m", milli);
}

void podjson_bytes_quantity(int64_t bytes, char *out, size_t len)
{
	static const char *const bin[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
	static const char *const dec[] = {"E", "P", "T", "G", "M", "k"};
	if (bytes > 0) {
		/* Largest unit first: 64Mi, not 65536Ki. Binary first: what
		 * Kubernetes users write for memory, and exact when it applies. */
		for (int i = 0; i < 6; i++) {
			int64_t unit = (int64_t)1 << (10 * (6 - i));
			if (bytes % unit == 0) {
				snprintf(out, len, "%" PRId64 "%s", bytes / unit, bin[i]);
				return;
			}
		}
		for (int i = 0; i < 6; i++) {
			int64_t unit = 1;
			for (int k = 0; k < 6 - i; k++)
				unit *= 1000;
			if (bytes % unit == 0) {
				snprintf(out, len, "%" PRId64 "%s", bytes / unit, dec[i]);
				return;
			}
		}
	}
	snprintf(out, len, "%" PRId64, bytes);
}

/* "YYYY-MM-DDTHH:MM:SS", the head of every RFC 3339 time, into tm: what
 * follows it, or NULL. Read here, not with strptime(3): for one fixed
 * format it linked 14 kB of glibc's locale machinery into podrun, and so
 * into the sealed copy every pod runs from (capstone README, "Where a
 * supervisor's memory goes"). Stricter than strptime, which also took
 * " 7" for a month: Kubernetes writes every field at its full width. */
static const char *rfc3339_head(const char *s, struct tm *tm)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	int v[6] = {0}, f = 0;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] != 'd') {
			if (s[i] != shape[i] && !(shape[i] == 'T' && s[i] == 't'))
				return NULL;
			f++;
		} else if (s[i] >= '0' && s[i] <= '9') {
			v[f] = v[f] * 10 + (s[i] - '0');
		} else {
			return NULL;
		}
	}
	/* 60: a leap second, which RFC 3339 allows */
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return NULL;
	*tm = (struct tm){.tm_year = v[0] - 1900,
	                  .tm_mon = v[1] - 1,
	                  .tm_mday = v[2],
	                  .tm_hour = v[3],
	                  .tm_min = v[4],
	                  .tm_sec = v[5]};
	return s + sizeof(shape) - 1;
}

int podjson_time(const char *s, char *out, size_t len, int64_t *epoch)
{
	struct tm tm;
	const char *p = s ? rfc3339_head(s, &tm) : NULL;
	if (!p)
		return -1;
	if (*p == '.') /* the fraction: metav1.Time keeps whole seconds */
		for (p++; *p >= '0' && *p <= '9'; p++) {
		}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int h, m;
		if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2)
			return -1;
		offset = (h * 60L + m) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	time_t t = timegm(&tm) - offset;
	struct tm utc;
	if (!gmtime_r(&t, &utc))
		return -1;
	if (out && len && !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &utc))
		return -1;
	if (epoch)
		*epoch = (int64_t)t;
	return 0;
}

const char *podjson_pull_policy(const char *image)
{
	if (!image || strchr(image, '@'))
		return "IfNotPresent"; /* a digest names one image for ever */
	const char *slash = strrchr(image, '/');
	const char *colon = strrchr(slash ? slash : image, ':');
	return !colon || !strcmp(colon + 1, "latest") ? "Always" : "IfNotPresent";
}

/* ---- spec ---------------------------------------------------------------------------- */

static const char *restart_name(enum init_restart r)
{
	return r == INIT_RESTART_NEVER        ? "Never"
	       : r == INIT_RESTART_ON_FAILURE ? "OnFailure"
	                                      : "Always";
}

/* o once its parts are in, or NULL (and o freed) when one failed (rc != 0:
 * out of memory). */
static struct json_object *built(struct json_object *o, int rc)
{
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}
static struct json_object *seccomp_profile(int type, const char *localhost)
{
	struct json_object *o = json_object_new_object();
	int rc = add_str(o, "type", ctr_seccomp_type_name((enum ctr_seccomp_type)type));
	if (type == CTR_SECCOMP_LOCALHOST && localhost)
		rc |= add_str(o, "localhostProfile", localhost);
	return built(o, rc);
}

/* The fields of a securityContext both the pod's and a container's have. */
static int security_common(struct json_object *o, const struct spec_security *s)
{
	int rc = 0;
	if (s->run_as_user >= 0)
		rc |= add_int(o, "runAsUser", s->run_as_user);
	if (s->run_as_group >= 0)
		rc |= add_int(o, "runAsGroup", s->run_as_group);
	if (s->run_as_non_root >= 0)
		rc |= add_bool(o, "runAsNonRoot", s->run_as_non_root);
	if (s->seccomp >= 0)
		rc |= add(o, "seccompProfile", seccomp_profile(s->seccomp, s->seccomp_profile));
	return rc;
}

static struct json_object *pod_security(const struct pod_spec *p)
{
	struct json_object *o = json_object_new_object();
	int rc = o ? security_common(o, &p->sec) : -1;
	if (p->n_supplemental_groups) {
		struct json_object *g = json_object_new_array();
		for (size_t i = 0; i < p->n_supplemental_groups; i++)
			rc |= push(g, json_object_new_int64(p->supplemental_groups[i]));
		rc |= add(o, "supplementalGroups", g);
	}
	if (p->fs_group >= 0)
		rc |= add_int(o, "fsGroup", p->fs_group);
	return built(o, rc);
}

/* The container's securityContext as podrun runs it: the parser merged the
 * pod's into it and applied podrun's defaults (RuntimeDefault seccomp, no
 * privilege escalation), so these are the values in force, not only the
 * ones written in the container. */
static struct json_object *ctr_security(const struct spec_container *c)
{
	struct json_object *o = json_object_new_object();
	int rc = o ? security_common(o, &c->sec) : -1;
	if (c->cap_add[0] || c->cap_drop[0]) {
		struct json_object *caps = json_object_new_object();
		if (c->cap_add[0])
			rc |= add(caps, "add", str_array((char *const *)c->cap_add));
		if (c->cap_drop[0])
			rc |= add(caps, "drop", str_array((char *const *)c->cap_drop));
		rc |= add(o, "capabilities", caps);
	}
	if (c->privileged)
		rc |= add_bool(o, "privileged", true);
	if (c->read_only_root)
		rc |= add_bool(o, "readOnlyRootFilesystem", true);
	if (c->sec.allow_privilege_escalation >= 0)
		rc |= add_bool(o, "allowPrivilegeEscalation", c->sec.allow_privilege_escalation);
	return built(o, rc);
}

static struct json_object *resources(const struct spec_resources *r)
{
	struct json_object *o = json_object_new_object();
	int rc = o ? 0 : -1;
	char q[64];
	for (int limits = 1; limits >= 0; limits--) {
		int64_t cpu = limits ? r->cpu_limit : r->cpu_request;
		int64_t mem = limits ? r->memory_limit : r->memory_request;
		if (!cpu && !mem)
			continue;
		struct json_object *l = json_object_new_object();
		if (cpu) {
			podjson_cpu_quantity(cpu, q, sizeof(q));
			rc |= add_str(l, "cpu", q);
		}
		if (mem) {
			podjson_bytes_quantity(mem, q, sizeof(q));
			rc |= add_str(l, "memory", q);
		}
		rc |= add(o, limits ? "limits" : "requests", l);
	}
	return built(o, rc);
}

/* One env entry as the API server keeps it: {name, value} (no value when it
 * is empty: Go's omitempty), {name, valueFrom: {fieldRef: {apiVersion,
 * fieldPath}}}, or {name, valueFrom: {resourceFieldRef: {containerName,
 * resource, divisor}}}. */
static struct json_object *env_entry(const struct spec_env *e)
{
	struct json_object *o = json_object_new_object();
	int rc = add_str(o, "name", e->name);
	if (e->kind == SPEC_ENV_VALUE) {
		if (e->value && *e->value)
			rc |= add_str(o, "value", e->value);
	} else {
		struct json_object *from = json_object_new_object(),
		                   *ref = json_object_new_object();
		if (e->kind == SPEC_ENV_FIELD) {
			rc |= add_str(ref, "apiVersion", "v1"); /* the default, the only one */
			rc |= add_str(ref, "fieldPath", e->path);
			rc |= add(from, "fieldRef", ref);
		} else {
			/* No divisor: a zero Quantity, which marshals as "0" (it means
			 * 1); else its canonical form: "1", "1m", "1Mi", "1k". */
			char q[64] = "0";
			bool cpu = e->resource == SPEC_RES_LIMITS_CPU ||
			           e->resource == SPEC_RES_REQUESTS_CPU;
			if (e->divisor && cpu)
				podjson_cpu_quantity(e->divisor_units, q, sizeof(q));
			else if (e->divisor)
				podjson_bytes_quantity(e->divisor_units, q, sizeof(q));
			if (e->container)
				rc |= add_str(ref, "containerName", e->container);
			rc |= add_str(ref, "resource", e->path);
			rc |= add_str(ref, "divisor", q);
			rc |= add(from, "resourceFieldRef", ref);
		}
		rc |= add(o, "valueFrom", from);
	}
	return built(o, rc);
}

/* httpGet, with SetDefaults_HTTPGetAction's path "/" and scheme HTTP; the
 * port by name when the spec named it. */
static struct json_object *http_get(const struct probe_spec *p)
{
	struct json_object *o = json_object_new_object();
	int rc = add_str(o, "path", p->path && *p->path ? p->path : "/");
	if (p->port_name)
		rc |= add_str(o, "port", p->port_name);
	else
		rc |= add_int(o, "port", p->port);
	if (p->host && *p->host)
		rc |= add_str(o, "host", p->host);
	rc |= add_str(o, "scheme", p->https ? "HTTPS" : "HTTP");
	if (p->n_headers) {
		struct json_object *h = json_object_new_array();
		for (size_t i = 0; i < p->n_headers; i++) {
			struct json_object *kv = json_object_new_object();
			rc |= add_str(kv, "name", p->headers[i].name);
			rc |= add_str(kv, "value", p->headers[i].value ? p->headers[i].value : "");
			rc |= push(h, kv);
		}
		rc |= add(o, "httpHeaders", h);
	}
	return built(o, rc);
}

static struct json_object *exec_action(char **command)
{
	struct json_object *o = json_object_new_object();
	return built(o, add(o, "command", str_array(command)));
}

/* A probe, SetDefaults_Probe's numbers filled in (podrun keeps 0 for unset). */
static struct json_object *probe(const struct probe_spec *p)
{
	struct json_object *o = json_object_new_object();
	int rc = 0;
	if (p->handler == PROBE_EXEC) {
		rc |= add(o, "exec", exec_action(p->command));
	} else if (p->handler == PROBE_HTTP_GET) {
		rc |= add(o, "httpGet", http_get(p));
	} else if (p->handler == PROBE_TCP_SOCKET) {
		struct json_object *t = json_object_new_object();
		if (p->port_name)
			rc |= add_str(t, "port", p->port_name);
		else
			rc |= add_int(t, "port", p->port);
		if (p->host && *p->host)
			rc |= add_str(t, "host", p->host);
		rc |= add(o, "tcpSocket", t);
	}
	if (p->initial_delay_s)
		rc |= add_int(o, "initialDelaySeconds", p->initial_delay_s);
	rc |= add_int(o, "timeoutSeconds", p->timeout_s ? p->timeout_s : 1);
	rc |= add_int(o, "periodSeconds", p->period_s ? p->period_s : 10);
	rc |= add_int(o, "successThreshold", p->success_threshold ? p->success_threshold : 1);
	rc |= add_int(o, "failureThreshold", p->failure_threshold ? p->failure_threshold : 3);
	if (p->grace_set)
		rc |= add_int(o, "terminationGracePeriodSeconds", p->grace_s);
	return built(o, rc);
}

/* lifecycle.postStart / preStop: exec, httpGet or sleep. */
static struct json_object *hook(const struct spec_hook *h)
{
	struct json_object *o = json_object_new_object();
	int rc = 0;
	if (h->kind == SPEC_HOOK_EXEC) {
		rc |= add(o, "exec", exec_action(h->command));
	} else if (h->kind == SPEC_HOOK_HTTP_GET) {
		rc |= add(o, "httpGet", http_get(h->http));
	} else {
		struct json_object *sl = json_object_new_object();
		rc |= add_int(sl, "seconds", h->seconds);
		rc |= add(o, "sleep", sl);
	}
	return built(o, rc);
}

/* host_network: the pod's; its ports are the node's, so the API server gives
 * each port without a hostPort its containerPort (SetDefaults_Pod). */
static struct json_object *container(const struct spec_container *c, bool host_network)
{
	struct json_object *o = json_object_new_object();
	int rc = add_str(o, "name", c->name);
	rc |= add_str(o, "image", c->image);
	if (c->command)
		rc |= add(o, "command", str_array(c->command));
	if (c->args)
		rc |= add(o, "args", str_array(c->args));
	if (c->working_dir)
		rc |= add_str(o, "workingDir", c->working_dir);
	/* every entry, in order: c->env holds only those with a plain value */
	if (c->n_envs) {
		struct json_object *env = json_object_new_array();
		for (size_t i = 0; i < c->n_envs; i++)
			rc |= push(env, env_entry(&c->envs[i]));
		rc |= add(o, "env", env);
	}
	if (c->n_ports) {
		struct json_object *ports = json_object_new_array();
		for (size_t i = 0; i < c->n_ports; i++) {
			const struct spec_port *pt = &c->ports[i];
			struct json_object *po = json_object_new_object();
			if (pt->name)
				rc |= add_str(po, "name", pt->name);
			rc |= add_int(po, "containerPort", pt->container_port);
			if (pt->host_port || host_network) {
				rc |= add_int(po, "hostPort",
				              pt->host_port ? pt->host_port : pt->container_port);
				/* podrun's "0.0.0.0" is the API server's "unset" */
				if (pt->host_ip && strcmp(pt->host_ip, "0.0.0.0"))
					rc |= add_str(po, "hostIP", pt->host_ip);
			}
			rc |= add_str(po, "protocol", "TCP");
			rc |= push(ports, po);
		}
		rc |= add(o, "ports", ports);
	}
	if (c->n_mounts) {
		struct json_object *mounts = json_object_new_array();
		for (size_t i = 0; i < c->n_mounts; i++) {
			const struct spec_mount *m = &c->mounts[i];
			struct json_object *mo = json_object_new_object();
			rc |= add_str(mo, "name", m->name);
			rc |= add_str(mo, "mountPath", m->mount_path);
			if (m->read_only)
				rc |= add_bool(mo, "readOnly", true);
			if (m->sub_path)
				rc |= add_str(mo, "subPath", m->sub_path);
			if (m->sub_path_expr)
				rc |= add_str(mo, "subPathExpr", m->sub_path_expr);
			rc |= push(mounts, mo);
		}
		rc |= add(o, "volumeMounts", mounts);
	}
	rc |= add(o, "resources", resources(&c->res));
	static const char *const probe_keys[PROBE_KINDS] = {
	    [PROBE_STARTUP] = "startupProbe",
	    [PROBE_LIVENESS] = "livenessProbe",
	    [PROBE_READINESS] = "readinessProbe",
	};
	for (int k = 0; k < PROBE_KINDS; k++)
		if (c->probes[k])
			rc |= add(o, probe_keys[k], probe(c->probes[k]));
	if (c->post_start.kind != SPEC_HOOK_NONE || c->pre_stop.kind != SPEC_HOOK_NONE ||
	    c->stop_signal) {
		struct json_object *lc = json_object_new_object();
		if (c->post_start.kind != SPEC_HOOK_NONE)
			rc |= add(lc, "postStart", hook(&c->post_start));
		if (c->pre_stop.kind != SPEC_HOOK_NONE)
			rc |= add(lc, "preStop", hook(&c->pre_stop));
		if (c->stop_signal)
			rc |= add_str(lc, "stopSignal", c->stop_signal);
		rc |= add(o, "lifecycle", lc);
	}
	rc |= add(o, "securityContext", ctr_security(c));
	if (c->sidecar)
		rc |= add_str(o, "restartPolicy", "Always");
	rc |= add_str(o, "terminationMessagePath",
	              c->term_path ? c->term_path : "/dev/termination-log");
	rc |= add_str(o, "terminationMessagePolicy",
	              c->term_fallback ? "FallbackToLogsOnError" : "File");
	/* as written, else the API server's default for the image's tag */
	rc |= add_str(o, "imagePullPolicy",
	              c->pull_policy ? c->pull_policy : podjson_pull_policy(c->image));
	return built(o, rc);
}

static struct json_object *volume(const struct vol_spec *v)
{
	struct json_object *o = json_object_new_object(), *src = json_object_new_object();
	int rc = add_str(o, "name", v->name);
	if (v->kind == VOL_EMPTYDIR) {
		if (v->memory)
			rc |= add_str(src, "medium", "Memory");
		if (v->size_limit) {
			char q[64];
			podjson_bytes_quantity((int64_t)v->size_limit, q, sizeof(q));
			rc |= add_str(src, "sizeLimit", q);
		}
		rc |= add(o, "emptyDir", src);
	} else {
		rc |= add_str(src, "path", v->path);
		rc |= add_str(src, "type", vol_hostpath_type_name(v->type));
		rc |= add(o, "hostPath", src);
	}
	return built(o, rc);
}

/* {ip, hostnames}; hostnames omitted when empty (omitempty). */
static struct json_object *host_alias(const struct spec_host_alias *h)
{
	struct json_object *o = json_object_new_object();
	int rc = add_str(o, "ip", h->ip);
	if (h->hostnames && h->hostnames[0])
		rc |= add(o, "hostnames", str_array(h->hostnames));
	return built(o, rc);
}

/* dnsConfig: each list only when it has entries (omitempty). The parser
 * keeps an option as "name" or "name:value" (a value, even "", was given:
 * the API server keeps the pointer and prints it), so the first ':' splits. */
static struct json_object *dns_config(const struct pod_spec *p)
{
	struct json_object *o = json_object_new_object();
	int rc = o ? 0 : -1;
	if (p->dns_nameservers && p->dns_nameservers[0])
		rc |= add(o, "nameservers", str_array(p->dns_nameservers));
	if (p->dns_searches && p->dns_searches[0])
		rc |= add(o, "searches", str_array(p->dns_searches));
	if (p->dns_options && p->dns_options[0]) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; p->dns_options[i]; i++) {
			const char *opt = p->dns_options[i], *colon = strchr(opt, ':');
			char *name = strndup(opt, colon ? (size_t)(colon - opt) : strlen(opt));
			struct json_object *e = json_object_new_object();
			rc |= name ? add_str(e, "name", name) : -1;
			if (colon)
				rc |= add_str(e, "value", colon + 1);
			free(name);
			rc |= push(a, e);
		}
		rc |= add(o, "options", a);
	}
	return built(o, rc);
}

int podjson_spec(const struct pod_spec *p, struct json_object **out)
{
	struct json_object *o = json_object_new_object();
	int rc = o ? 0 : -1;
	if (p->n_init) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < p->n_init; i++)
			rc |= push(a, container(&p->ctrs[i], p->host_network));
		rc |= add(o, "initContainers", a);
	}
	struct json_object *a = json_object_new_array();
	for (size_t i = p->n_init; i < p->n_ctrs; i++)
		rc |= push(a, container(&p->ctrs[i], p->host_network));
	rc |= add(o, "containers", a);
	if (p->n_volumes) {
		struct json_object *v = json_object_new_array();
		for (size_t i = 0; i < p->n_volumes; i++)
			rc |= push(v, volume(&p->volumes[i].v));
		rc |= add(o, "volumes", v);
	}
	rc |= add_str(o, "restartPolicy", restart_name(p->restart_policy));
	rc |= add_int(o, "terminationGracePeriodSeconds", p->grace_seconds);
	if (p->active_deadline > 0)
		rc |= add_int(o, "activeDeadlineSeconds", p->active_deadline);
	rc |= add_str(o, "dnsPolicy", p->dns_policy ? p->dns_policy : "ClusterFirst");
	/* The ServiceAccount admission plugin names "default" when the pod names
	 * none, and the v1 conversion copies the name into the deprecated
	 * serviceAccount on every read: kubectl shows both. The token volume
	 * that plugin also adds is left out: podrun mounts none. */
	const char *sa = p->service_account && *p->service_account ? p->service_account : "default";
	rc |= add_str(o, "serviceAccountName", sa);
	rc |= add_str(o, "serviceAccount", sa);
	/* Go's omitempty: a false boolean is not printed, so these appear only
	 * when the pod has the node's namespaces - what an audit looks for. */
	if (p->host_network)
		rc |= add_bool(o, "hostNetwork", true);
	if (p->host_pid)
		rc |= add_bool(o, "hostPID", true);
	if (p->host_ipc)
		rc |= add_bool(o, "hostIPC", true);
	if (p->share_pid)
		rc |= add_bool(o, "shareProcessNamespace", true);
	if (p->os_name) {
		struct json_object *os = json_object_new_object();
		rc |= add_str(os, "name", p->os_name);
		rc |= add(o, "os", os);
	}
	rc |= add(o, "securityContext", pod_security(p));
	/* spec.hostname only when it was written: the default is the name's */
	if (p->hostname_set)
		rc |= add_str(o, "hostname", p->hostname);
	rc |= add_str(o, "schedulerName", "default-scheduler");
	if (p->n_host_aliases) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < p->n_host_aliases; i++)
			rc |= push(a, host_alias(&p->host_aliases[i]));
		rc |= add(o, "hostAliases", a);
	}
	/* the Priority admission plugin's: the class's value, 0 without one */
	if (p->priority_class)
		rc |= add_str(o, "priorityClassName", p->priority_class);
	rc |= add_int(o, "priority", p->priority);
	/* a pointer in the API: given, even as {}, it is kept and printed */
	if (p->dns_config_set)
		rc |= add(o, "dnsConfig", dns_config(p));
	rc |= add_bool(o, "enableServiceLinks", true);
	if (rc) {
		json_object_put(o);
		*out = NULL;
		return fail_msg(ENOMEM, "pod %s: out of memory building its JSON", p->name);
	}
	*out = o;
	return 0;
}

int podjson_metadata(const struct pod_spec *p, struct json_object **out)
{
	struct json_object *o = json_object_new_object();
	int rc = add_str(o, "name", p->name);
	rc |= add_str(o, "namespace", p->namespace_ ? p->namespace_ : "default");
	/* an empty map is left out, as omitempty does */
	if (p->labels && p->labels[0])
		rc |= add(o, "labels", kv_object(p->labels));
	if (p->annotations && p->annotations[0])
		rc |= add(o, "annotations", kv_object(p->annotations));
	if (rc) {
		json_object_put(o);
		*out = NULL;
		return fail_msg(ENOMEM, "pod %s: out of memory building its JSON", p->name);
	}
	*out = o;
	return 0;
}

/* dir/key, atomically, as one line of JSON. No larger than read_json
 * takes: the state tmpfs is every pod's, and what one pod's spec makes
 * podrun write there must not fill it for the others. */
static int write_json(const char *dir, const char *key, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s && len + 1 > PODJSON_MAX_BYTES)
		return fail_msg(EFBIG,
		                "%s/%s: %zu bytes of JSON, more than podrun keeps (%d, 4 MiB)", dir,
		                key, len + 1, PODJSON_MAX_BYTES);
	char *line = s ? malloc(len + 1) : NULL;
	if (!line)
		return fail_msg(ENOMEM, "%s/%s: out of memory", dir, key);
	memcpy(line, s, len);
	line[len] = '\n';
	int rc = state_put_bytes(dir, key, line, len + 1);
	free(line);
	return rc;
}

int podjson_write_spec(const struct pod_spec *p, const char *pod_dir)
{
	struct json_object *spec, *meta;
	if (podjson_spec(p, &spec) < 0)
		return -1;
	/* The scheduler's binding: podrun's one node is this machine. */
	struct utsname u;
	if (uname(&u) == 0 && add_str(spec, "nodeName", u.nodename) < 0) {
		json_object_put(spec);
		return fail_msg(ENOMEM, "pod %s: out of memory", p->name);
	}
	int rc = write_json(pod_dir, "spec.json", spec);
	json_object_put(spec);
	if (rc < 0 || podjson_metadata(p, &meta) < 0)
		return -1;
	rc = write_json(pod_dir, "metadata.json", meta);
	json_object_put(meta);
	return rc;
}

/* ---- reading state ------------------------------------------------------------- */

static struct json_object *read_json(const char *dir, const char *key)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PODJSON_MAX_BYTES)
		return NULL;
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	struct json_object *o = json_tokener_parse(buf);
	free(buf);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* dir/key into buf; false (and buf "") when the file is missing or empty. */
static bool get(const char *dir, const char *key, char *buf, size_t len)
{
	return state_get(dir, key, buf, len) == 0 && buf[0];
}

/* A time file as metav1.Time; false when missing or not a time. */
static bool get_time(const char *dir, const char *key, char *out, size_t len)
{
	char raw[80];
	return get(dir, key, raw, sizeof(raw)) && podjson_time(raw, out, len, NULL) == 0;
}

/* A number file; false when missing or not a number. */
static bool get_num(const char *dir, const char *key, long *v)
{
	char buf[64];
	return get(dir, key, buf, sizeof(buf)) && parse_long(buf, LONG_MIN, LONG_MAX, v) == 0;
}

/* A 0|1 file, else dflt. */
static bool get_flag(const char *dir, const char *key, bool dflt)
{
	long v;
	return get_num(dir, key, &v) ? v != 0 : dflt;
}

static int add_time_file(struct json_object *o, const char *jkey, const char *dir, const char *key)
{
	char t[64];
	return get_time(dir, key, t, sizeof(t)) ? add_str(o, jkey, t) : 0;
}

/* {terminated: {...}} from the files named prefix+exit_code, prefix+signal... */
static struct json_object *terminated(const char *cdir, const char *prefix, bool with_id)
{
	char k[64], buf[4096];
	long code = 0;
	struct json_object *t = json_object_new_object();
	snprintf(k, sizeof(k), "%sexit_code", prefix);
	get_num(cdir, k, &code);
	int rc = add_int(t, "exitCode", code);
	/* No "signal": kubelet's convertContainerStatus (kubelet_pods.go) never
	 * sets it - a container killed by a signal says so in its exit code
	 * (128 + N) and its reason - so neither does podrun, though the
	 * supervisor records it (containers/C/signal). */
	snprintf(k, sizeof(k), "%sreason", prefix);
	if (get(cdir, k, buf, sizeof(buf)))
		rc |= add_str(t, "reason", buf);
	snprintf(k, sizeof(k), "%smessage", prefix);
	if (get(cdir, k, buf, sizeof(buf)))
		rc |= add_str(t, "message", buf);
	snprintf(k, sizeof(k), "%sstarted_at", prefix);
	rc |= add_time_file(t, "startedAt", cdir, k);
	snprintf(k, sizeof(k), "%sfinished_at", prefix);
	rc |= add_time_file(t, "finishedAt", cdir, k);
	if (with_id && get(cdir, "container_id", buf, sizeof(buf)))
		rc |= add_str(t, "containerID", buf);
	struct json_object *s = json_object_new_object();
	rc |= add(s, "terminated", t);
	if (rc) {
		json_object_put(s);
		return NULL;
	}
	return s;
}

static struct json_object *ctr_state(const char *cdir)
{
	char st[32] = "", buf[4096];
	get(cdir, "state", st, sizeof(st));
	if (!strcmp(st, "Terminated"))
		return terminated(cdir, "", true);
	struct json_object *s = json_object_new_object(), *in = json_object_new_object();
	int rc;
	if (!strcmp(st, "Running")) {
		rc = add_time_file(in, "startedAt", cdir, "started_at");
		rc |= add(s, "running", in);
	} else {
		rc = get(cdir, "reason", buf, sizeof(buf)) ? add_str(in, "reason", buf) : 0;
		if (get(cdir, "message", buf, sizeof(buf)))
			rc |= add_str(in, "message", buf);
		rc |= add(s, "waiting", in);
	}
	if (rc) {
		json_object_put(s);
		return NULL;
	}
	return s;
}

static struct json_object *ctr_status_once(const char *cdir, const char *name, bool pod_alive)
{
	char buf[1024], st[32] = "";
	get(cdir, "state", st, sizeof(st));
	bool running = !strcmp(st, "Running");
	long restarts = 0;
	get_num(cdir, "restarts", &restarts);
	struct json_object *o = json_object_new_object();
	int rc = add_str(o, "name", name);
	rc |= add_str(o, "image", get(cdir, "image", buf, sizeof(buf)) ? buf : "");
	rc |= add_str(o, "imageID", get(cdir, "image_id", buf, sizeof(buf)) ? buf : "");
	if (get(cdir, "container_id", buf, sizeof(buf)))
		rc |= add_str(o, "containerID", buf);
	/* A dead supervisor watches nothing: nothing of its pod is ready. */
	rc |= add_bool(o, "ready", pod_alive && get_flag(cdir, "ready", running));
	rc |= add_bool(o, "started", get_flag(cdir, "started", running));
	rc |= add_int(o, "restartCount", restarts);
	rc |= add(o, "state", ctr_state(cdir));
	if (get(cdir, "stop_signal", buf, sizeof(buf)))
		rc |= add_str(o, "stopSignal", buf);
	char probe[64];
	if (get(cdir, "last_exit_code", probe, sizeof(probe)))
		rc |= add(o, "lastState", terminated(cdir, "last_", false));
	else
		rc |= add(o, "lastState", json_object_new_object());
	return built(o, rc);
}

/* One change of the supervisor's, whole: read again if it wrote one meanwhile. */
static struct json_object *ctr_status(const char *dir, const char *name, bool pod_alive,
                                      bool writer_alive)
{
	char cdir[PATH_MAX + 300];
	snprintf(cdir, sizeof(cdir), "%s/containers/%s", dir, name);
	for (int tries = 0;; tries++) {
		long seq = state_read_begin(cdir, writer_alive);
		struct json_object *o = ctr_status_once(cdir, name, pod_alive);
		if (!o || !state_read_changed(cdir, seq) || tries == STATE_READ_TRIES)
			return o;
		json_object_put(o);
	}
}

static const char *const condition_types[] = {"PodReadyToStartContainers", "PodScheduled",
                                              "Initialized", "ContainersReady", "Ready"};

/* The conditions file: "TYPE STATUS TIME[ REASON]" per line. A line that
 * does not parse is skipped: one bad line costs one condition, not the pod. */
static struct json_object *conditions(const char *dir, bool pod_alive)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/conditions", dir);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "r");
	if (!f)
		return NULL;
	fd = -1; /* the FILE owns it now */
	struct json_object *a = json_object_new_array();
	char line[1024];
	int rc = a ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *save, *type = strtok_r(line, " ", &save),
		            *status = strtok_r(NULL, " ", &save);
		char *when = strtok_r(NULL, " ", &save), *reason = strtok_r(NULL, "", &save);
		if (!type || !status ||
		    (strcmp(status, "True") && strcmp(status, "False") &&
		     strcmp(status, "Unknown")))
			continue;
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(condition_types); i++)
			known |= !strcmp(type, condition_types[i]);
		if (!known)
			continue;
		/* Kubernetes' node controller marks a lost node's pods not ready;
		 * a pod whose supervisor died is podrun's lost node. */
		if (!pod_alive && (!strcmp(type, "Ready") || !strcmp(type, "ContainersReady")))
			status = "False";
		struct json_object *c = json_object_new_object();
		rc |= add_str(c, "type", type);
		rc |= add_str(c, "status", status);
		char t[64];
		if (when && podjson_time(when, t, sizeof(t), NULL) == 0)
			rc |= add_str(c, "lastTransitionTime", t);
		else
			rc |= add(c, "lastTransitionTime", json_object_new_null());
		if (reason && *reason)
			rc |= add_str(c, "reason", reason);
		rc |= push(a, c);
	}
	fclose(f);
	if (rc) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

/* A spec for a pod whose supervisor wrote no spec.json: what the state
 * knows (each container's name, image and kind), so get still works. */
static struct json_object *spec_from_state(const char *dir, char **names)
{
	struct json_object *o = json_object_new_object(), *init = json_object_new_array(),
	                   *apps = json_object_new_array();
	int rc = 0;
	for (size_t i = 0; names[i]; i++) {
		char cdir[PATH_MAX + 300], kind[16] = "", image[1024] = "";
		snprintf(cdir, sizeof(cdir), "%s/containers/%s", dir, names[i]);
		get(cdir, "kind", kind, sizeof(kind));
		get(cdir, "image", image, sizeof(image));
		struct json_object *c = json_object_new_object();
		rc |= add_str(c, "name", names[i]);
		rc |= add_str(c, "image", image);
		if (!strcmp(kind, "sidecar"))
			rc |= add_str(c, "restartPolicy", "Always");
		rc |= push(strcmp(kind, "app") ? init : apps, c);
	}
	if (json_object_array_length(init))
		rc |= add(o, "initContainers", init);
	else
		json_object_put(init);
	rc |= add(o, "containers", apps);
	return built(o, rc);
}

static struct json_object *ip_list(const char *ip)
{
	struct json_object *a = json_object_new_array(), *e = json_object_new_object();
	if (add_str(e, "ip", ip) < 0 || push(a, e) < 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

int podjson_pod(const char *dir, struct json_object **out)
{
	*out = NULL;
	char **names;
	if (state_get_list(dir, "container_names", &names) < 0) {
		if (errno == ENOENT)
			return fail_msg(ENOENT, "%s: not a pod's state (no container list)", dir);
		/* the real reason: ENOMEM, EACCES, a link where the list should be */
		int err = errno;
		char why[512];
		snprintf(why, sizeof(why), "%s", last_error());
		return fail_msg(err, "%s: reading its container list: %s", dir, why);
	}
	char buf[1024], phase[32];
	/* the writer of its state: the phase of a pod that ended stays, its
	 * supervisor goes */
	bool writer = state_live_pid(dir, "supervisor") != 0;
	state_pod_phase(dir, writer, phase, sizeof(phase));
	bool alive = strcmp(phase, "Unknown") != 0;

	struct json_object *pod = json_object_new_object();
	int rc = add_str(pod, "apiVersion", "v1");
	rc |= add_str(pod, "kind", "Pod");

	struct json_object *meta = read_json(dir, "metadata.json");
	if (!meta) {
		meta = json_object_new_object();
		const char *base = strrchr(dir, '/');
		rc |= add_str(meta, "name",
		              get(dir, "name", buf, sizeof(buf)) ? buf
		              : base                             ? base + 1
		                                                 : dir);
		rc |= add_str(meta, "namespace", "default");
	}
	if (get(dir, "uid", buf, sizeof(buf)))
		rc |= add_str(meta, "uid", buf);
	rc |= add_time_file(meta, "creationTimestamp", dir, "created");
	/* a stop asked for: a graceful delete's end, and its grace period */
	long grace;
	if (get_time(dir, "deletion_at", buf, sizeof(buf)) &&
	    get_num(dir, "deletion_grace", &grace)) {
		rc |= add_str(meta, "deletionTimestamp", buf);
		rc |= add_int(meta, "deletionGracePeriodSeconds", grace);
	}
	rc |= add(pod, "metadata", meta);

	struct json_object *spec = read_json(dir, "spec.json");
	rc |= add(pod, "spec", spec ? spec : spec_from_state(dir, names));

	struct json_object *st = json_object_new_object();
	rc |= add_str(st, "phase", phase);
	/* why the pod ended, when the node ended it (DeadlineExceeded) */
	if (get(dir, "reason", buf, sizeof(buf)))
		rc |= add_str(st, "reason", buf);
	if (get(dir, "message", buf, sizeof(buf)))
		rc |= add_str(st, "message", buf);
	struct json_object *conds = conditions(dir, alive);
	if (conds)
		rc |= add(st, "conditions", conds);
	if (get(dir, "host_ip", buf, sizeof(buf))) {
		rc |= add_str(st, "hostIP", buf);
		rc |= add(st, "hostIPs", ip_list(buf));
	}
	if (get(dir, "ip", buf, sizeof(buf))) {
		rc |= add_str(st, "podIP", buf);
		rc |= add(st, "podIPs", ip_list(buf));
	}
	rc |= add_time_file(st, "startTime", dir, "start_time");
	if (get(dir, "qos", buf, sizeof(buf)))
		rc |= add_str(st, "qosClass", buf);
	struct json_object *init = json_object_new_array(), *apps = json_object_new_array();
	for (size_t i = 0; names[i]; i++) {
		char cdir[PATH_MAX + 300], kind[16] = "";
		snprintf(cdir, sizeof(cdir), "%s/containers/%s", dir, names[i]);
		get(cdir, "kind", kind, sizeof(kind));
		rc |= push(strcmp(kind, "app") ? init : apps,
		           ctr_status(dir, names[i], alive, writer));
	}
	if (json_object_array_length(init))
		rc |= add(st, "initContainerStatuses", init);
	else
		json_object_put(init);
	rc |= add(st, "containerStatuses", apps);
	rc |= add(pod, "status", st);
	free(names);
	if (rc) {
		json_object_put(pod);
		return fail_msg(ENOMEM, "%s: out of memory building the pod's JSON", dir);
	}
	*out = pod;
	return 0;
}
