/*
 * spec.h - a Kubernetes v1 Pod, read from YAML into plain C structs.
 *
 * The parser is strict where Kubernetes' API server is strict (wrong types,
 * missing required fields, invalid names, dangling volume references are
 * errors) and loud where podrun is smaller than Kubernetes: a field podrun
 * does not implement is reported by its path ("spec.containers[0].livenessProbe:
 * not supported, ignored"), never silently dropped. Every message starts with
 * "file:line:col: " so an editor can jump to it.
 *
 * Defaults are Kubernetes' defaults: restartPolicy Always,
 * terminationGracePeriodSeconds 30, protocol TCP, hostIP 0.0.0.0, hostname =
 * metadata.name.
 */
#ifndef PODLAB_SPEC_H
#define PODLAB_SPEC_H

#include "init.h"
#include "probe.h"
#include "seccomp_filter.h"
#include "volume.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A YAML document larger than this is refused before it is parsed (the API
 * server's limit on a request body is of the same order: ~3 MiB). */
#define SPEC_MAX_BYTES (1024 * 1024)

/* The most a file's strings (keys and values) may add up to once its
 * aliases are expanded: the API server's 3 MiB request limit. Without
 * aliases a file stays under SPEC_MAX_BYTES; with them 1 MiB could name
 * the same 500 KB string a thousand times, and every copy would be made. */
#define SPEC_MAX_EXPANDED_BYTES (3 * 1024 * 1024)

/* Where a node starts in the file, 1-based, as editors count. */
struct spec_mark {
	int line, col;
};

struct spec_port {
	const char *name;    /* NULL when unnamed */
	int container_port;  /* 1-65535 */
	int host_port;       /* 0: not published on the host */
	const char *host_ip; /* "0.0.0.0" by default */
	struct spec_mark mark;
};

struct spec_mount {
	const char *name;       /* a volume of the pod */
	const char *mount_path; /* absolute */
	const char *sub_path;   /* NULL, or relative without ".." */
	/* subPathExpr: NULL, or relative without ".." as written; its $(VAR)s are
	 * expanded when the container starts (env_sub_path, envexpand.h) */
	const char *sub_path_expr;
	bool read_only;
	size_t volume; /* index into pod_spec.volumes */
	struct spec_mark mark;
};

/* A securityContext, the pod's and a container's. Unset numbers are -1;
 * unset booleans, tri-states: -1 unset, 0 false, 1 true. */
struct spec_security {
	int64_t run_as_user, run_as_group;
	int run_as_non_root, allow_privilege_escalation;
	int seccomp;                 /* enum ctr_seccomp_type, -1 unset */
	const char *seccomp_profile; /* Localhost: relative to $PODRUN_DATA/seccomp */
};

/* resources: milliCPU and bytes, 0 = not set. A request not given defaults
 * to its limit, as the API server does; one given as 0 stays 0 (so after
 * parsing, a request of 0 is 0, never "the limit"). */
struct spec_resources {
	int64_t cpu_request, cpu_limit;
	int64_t memory_request, memory_limit;
};

/* One entry of a container's env, as written, for env_build (envexpand.h)
 * to resolve when the container starts: a value may hold $(VAR) references,
 * a fieldRef or resourceFieldRef is known only then (the pod's IP, its uid,
 * the node). configMapKeyRef and secretKeyRef with optional: true are not
 * kept: podrun has no API server, and Kubernetes sets nothing when the
 * object is missing. */
enum spec_env_kind {
	SPEC_ENV_VALUE,    /* value: as written, "" when absent */
	SPEC_ENV_FIELD,    /* valueFrom.fieldRef */
	SPEC_ENV_RESOURCE, /* valueFrom.resourceFieldRef */
};

enum spec_env_field {
	SPEC_FIELD_NAME,            /* metadata.name */
	SPEC_FIELD_NAMESPACE,       /* metadata.namespace */
	SPEC_FIELD_UID,             /* metadata.uid */
	SPEC_FIELD_LABEL,           /* metadata.labels['KEY'] */
	SPEC_FIELD_ANNOTATION,      /* metadata.annotations['KEY'] */
	SPEC_FIELD_NODE_NAME,       /* spec.nodeName (and the old spec.host) */
	SPEC_FIELD_SERVICE_ACCOUNT, /* spec.serviceAccountName */
	SPEC_FIELD_POD_IP,          /* status.podIP */
	SPEC_FIELD_POD_IPS,         /* status.podIPs: comma-separated */
	SPEC_FIELD_HOST_IP,         /* status.hostIP */
	SPEC_FIELD_HOST_IPS,        /* status.hostIPs: comma-separated */
};

enum spec_env_resource {
	SPEC_RES_LIMITS_CPU,
	SPEC_RES_LIMITS_MEMORY,
	SPEC_RES_REQUESTS_CPU,
	SPEC_RES_REQUESTS_MEMORY,
};

struct spec_env {
	const char *name;
	enum spec_env_kind kind;
	const char *value; /* SPEC_ENV_VALUE */
	/* fieldRef.fieldPath or resourceFieldRef.resource, as written */
	const char *path;
	enum spec_env_field field;
	const char *key; /* SPEC_FIELD_LABEL, _ANNOTATION: the subscript */
	enum spec_env_resource resource;
	const char *container; /* resourceFieldRef.containerName; NULL: this container */
	size_t ctr;            /* ... its index in pod_spec.ctrs, when set */
	const char *divisor;   /* as written, NULL when absent (then 1) */
	/* the divisor in the resource's unit: milliCPU (1 or 1000), bytes */
	int64_t divisor_units;
	size_t index;              /* its place in the container's env list */
	struct spec_mark mark;     /* the entry */
	struct spec_mark ctr_mark; /* containerName, to say it names no container */
};

/* lifecycle.postStart / preStop */
enum spec_hook_kind { SPEC_HOOK_NONE, SPEC_HOOK_EXEC, SPEC_HOOK_HTTP_GET, SPEC_HOOK_SLEEP };
struct spec_hook {
	enum spec_hook_kind kind;
	char **command;          /* exec */
	struct probe_spec *http; /* httpGet: a probe's fields (probe_http_hook) */
	long seconds;            /* sleep */
	struct spec_mark mark;
};

struct spec_host_alias {
	const char *ip;
	char **hostnames; /* NULL-terminated, may be NULL */
};

struct spec_container {
	const char *name;
	const char *image;
	const char *pull_policy; /* imagePullPolicy as written (IfNotPresent, Never), or NULL */
	/* command and args as written, NULL when absent (or empty, which
	 * Kubernetes reads as absent): the image's Entrypoint and Cmd fill in at
	 * start (img_container_argv). argv is the two joined, never NULL; empty
	 * when the pod gives neither. */
	char **command;
	char **args;
	char **argv;
	/* The entries with a plain value, "NAME=value" as written (no $(VAR)
	 * expanded), NULL-terminated (never NULL). */
	char **env;
	/* Every entry that sets a variable, in order (env_build resolves them). */
	struct spec_env *envs;
	size_t n_envs;
	const char *working_dir; /* NULL: the image's WorkingDir, else "/" */
	struct spec_port *ports;
	size_t n_ports;
	struct spec_mount *mounts;
	size_t n_mounts;
	bool is_init;          /* listed under spec.initContainers */
	bool sidecar;          /* an init container with restartPolicy: Always */
	const char **cap_add;  /* NULL-terminated (never NULL) */
	const char **cap_drop; /* NULL-terminated (never NULL) */
	bool privileged;
	bool read_only_root;
	/* The container's securityContext with the pod's merged in (the
	 * container's own value wins), defaults applied: seccomp RuntimeDefault
	 * (Unconfined when privileged), no privilege escalation unless asked. */
	struct spec_security sec;
	struct spec_resources res;
	struct spec_hook post_start, pre_stop;
	/* lifecycle.stopSignal ("SIGQUIT"): what a stop sends first, over the
	 * image's StopSignal; NULL: the image's, else SIGTERM */
	const char *stop_signal;
	int stop_signo; /* its number; 0: none */
	struct spec_mark stop_signal_mark;
	const char *term_path; /* terminationMessagePath, NULL: /dev/termination-log */
	bool term_fallback;    /* terminationMessagePolicy: FallbackToLogsOnError */
	/* startupProbe, livenessProbe, readinessProbe (probe.h); NULL: none */
	struct probe_spec *probes[PROBE_KINDS];
	int64_t *groups; /* supplementalGroups, then fsGroup; n_groups of them */
	size_t n_groups;
	struct spec_mark mark;
	struct spec_mark sec_mark; /* its securityContext, or the container */
};

struct spec_volume {
	struct vol_spec v; /* name, kind, emptyDir medium/sizeLimit, hostPath path/type */
	struct spec_mark mark;
};

struct pod_spec {
	const char *file;
	struct spec_mark mark;  /* the document's first node */
	const char *name;       /* metadata.name, DNS-1123 subdomain */
	const char *namespace_; /* metadata.namespace, "default" */
	char **labels;          /* "key=value", NULL-terminated (never NULL) */
	char **annotations;     /* "key=value", NULL-terminated (never NULL) */
	/* spec.serviceAccountName (or the deprecated serviceAccount), "default"
	 * when absent as the API server's admission sets it: only fieldRef reads
	 * it, podrun mounts no token. */
	const char *service_account;
	struct spec_container *ctrs; /* init containers in order, then app containers */
	size_t n_ctrs, n_init;
	struct spec_volume *volumes;
	size_t n_volumes;
	enum init_restart restart_policy;
	long grace_seconds;
	long active_deadline; /* activeDeadlineSeconds, 0: none */
	bool share_pid;
	bool host_network, host_pid, host_ipc; /* the host's namespaces, as asked */
	struct spec_host_alias *host_aliases;  /* added to /etc/hosts */
	size_t n_host_aliases;
	const char *dns_policy; /* dnsPolicy as written; NULL: ClusterFirst */
	bool dns_none;          /* dnsPolicy: None - only dnsConfig */
	char **dns_nameservers, **dns_searches, **dns_options; /* dnsConfig; may be NULL */
	/* dnsConfig was written and not null: the API server keeps a *PodDNSConfig,
	 * so an empty `dnsConfig: {}` is stored and printed as {}, unlike none. */
	bool dns_config_set;
	const char *hostname;     /* spec.hostname, else metadata.name */
	bool hostname_set;        /* spec.hostname was written */
	const char *os_name;      /* spec.os.name: "linux"; NULL: not given */
	struct spec_security sec; /* spec.securityContext, merged into each container */
	int64_t *supplemental_groups;
	size_t n_supplemental_groups;
	int64_t fs_group; /* -1: none */
	/* supplementalGroupsPolicy: Strict - a container's groups are its
	 * primary gid, supplementalGroups and fsGroup alone; false: Merge,
	 * Kubernetes' default, which adds those the image's /etc/group lists
	 * the container's user in (img_user_groups) */
	bool groups_strict;
	/* spec.priorityClassName (NULL: none) and the priority the API server's
	 * Priority admission gives the pod from it: the value of the class, 0
	 * without one. podrun knows the built-in classes only. */
	const char *priority_class;
	int32_t priority;
	void *mem; /* private: every allocation of this pod, for spec_free */
};

/* kubelet's IsCriticalPod: a priority of system-cluster-critical's 2000000000
 * or more (podrun has no static or mirror pods). The eviction manager never
 * evicts one. */
bool spec_critical(const struct pod_spec *p);
/* IsNodeCriticalPod: critical, and of the class system-node-critical. Its
 * containers get Guaranteed's oom_score_adj whatever their QoS class. */
bool spec_node_critical(const struct pod_spec *p);

/* podrun run --allow-unsupported: a field that would bound or protect a
 * container and that podrun cannot honour (probes, resources, seLinuxOptions,
 * hostNetwork: true...) is an error unless this is set; then a warning. */
void spec_allow_unsupported(bool allow);

/* Read a whole Pod YAML file (at most SPEC_MAX_BYTES): the bytes that are
 * parsed are the bytes that are kept. free(*text). */
int spec_read_file(const char *path, char **text, size_t *len);

/* Warnings go to this callback ("file:line:col: path: ..."), errors to
 * last_error(). */
typedef void (*spec_warn_fn)(void *arg, const char *msg);

/* Parse a file of one or more Pod documents ("---"). The first error stops
 * the parse: -1 (errno EINVAL, or the open/read error) and last_error() is
 * "file:line:col: what is wrong". name is what messages call the file
 * (NULL: path). On success *pods is an array of *n_pods pods (n >= 1); free
 * it with spec_free. */
int spec_parse_file(const char *path, spec_warn_fn warn, void *warn_arg, struct pod_spec **pods,
                    size_t *n_pods);
/* The same for text in memory. */
int spec_parse_buffer(const char *name, const char *text, size_t len, spec_warn_fn warn,
                      void *warn_arg, struct pod_spec **pods, size_t *n_pods);
void spec_free(struct pod_spec *pods, size_t n_pods);

/* Kubernetes' resource.Quantity as a whole number of units, rounded up the
 * way Quantity.Value() does: "512Mi", "1G", "1.5Gi", "100m", "1e3".
 * EINVAL for bad syntax, ERANGE beyond 2^63-1. */
int spec_parse_quantity(const char *s, int64_t *out);
/* The same quantity in thousandths, rounded up as Quantity.MilliValue():
 * "500m" -> 500, "0.5" -> 500, "2" -> 2000 (CPU in milliCPU). */
int spec_parse_milli(const char *s, int64_t *out);

/* Where the first tab in a line's indentation is, among lines 1..last_line:
 * *at = {line, column}, or {0, 0} when there is none. 0, or -1 on error. */
int spec_find_tab_indent(const char *text, size_t len, int last_line, struct spec_mark *at);

/* Go's time.ParseDuration, which Kubernetes uses: "300ms", "1.5h", "2h45m",
 * "-1m", "0". Nanoseconds. */
int spec_parse_duration(const char *s, int64_t *ns);

/* DNS-1123 label (container, volume names: <= 63, [a-z0-9-], alnum at both
 * ends) and subdomain (metadata.name: <= 253, such labels joined by '.', but
 * with no bound on each label's length, as apimachinery's regex has none). */
bool spec_dns1123_label(const char *s);
bool spec_dns1123_subdomain(const char *s);

/* A path that stays beneath where it starts: relative, without a ".."
 * element (a subPath, a subPathExpr and what it expands to). */
bool spec_local_path(const char *path);

/* What an env entry is, for `podrun validate -v`: "NAME=value",
 * "NAME from fieldRef metadata.labels['app']", "NAME from resourceFieldRef
 * limits.memory (container app, divisor 1Mi)". Cut short to fit len. */
void spec_env_describe(const struct spec_env *e, char *buf, size_t len);

/* The container named name, or NULL. */
const struct spec_container *spec_find_container(const struct pod_spec *p, const char *name);

#endif
