/*
 * get_cmd.c - `podrun get`, `podrun describe`, `podrun wait` (see get_cmd.h).
 *
 * All three work on the v1 Pod object podjson_pod builds from the state
 * directory: the table's STATUS is computed from that object the way
 * kubectl's printPod computes it, describe prints its fields in kubectl
 * describe's layout, and wait tests a condition of it. One source, so the
 * table, the JSON and describe cannot disagree.
 */
#include "get_cmd.h"

#include "cli.h"
#include "common.h"
#include "podjson.h"
#include "spec.h"
#include "state.h"

#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>

/* ---- reading the object ----------------------------------------------------------- */

/* o.a.b.c: the member at a dotted path, or NULL. A segment "name[N]" is
 * element N of the array "name". */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char seg[128];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		snprintf(seg, sizeof(seg), "%.*s", (int)n, path);
		path += n + (path[n] == '.');
		char *br = strchr(seg, '[');
		long idx = -1;
		if (br) {
			*br = '\0';
			char *end;
			idx = strtol(br + 1, &end, 10);
			if (end == br + 1 || *end != ']' || end[1] || idx < 0)
				return NULL;
		}
		if (seg[0] && !json_object_object_get_ex(o, seg, &o))
			return NULL;
		if (idx >= 0) {
			if (!json_object_is_type(o, json_type_array) ||
			    (size_t)idx >= json_object_array_length(o))
				return NULL;
			o = json_object_array_get_idx(o, (size_t)idx);
		}
	}
	return o;
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static const char *jstr_or(struct json_object *o, const char *path, const char *dflt)
{
	const char *s = jstr(o, path);
	return s ? s : dflt;
}

static int64_t jint(struct json_object *o, const char *path, int64_t dflt)
{
	struct json_object *v = jget(o, path);
	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : dflt;
}

static bool jbool(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);
	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static size_t jlen(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);
	return v && json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
}

static struct json_object *jidx(struct json_object *o, const char *path, size_t i)
{
	return i < jlen(o, path) ? json_object_array_get_idx(jget(o, path), i) : NULL;
}

/* The seconds since the epoch of a metav1.Time member, or 0. */
static int64_t jtime(struct json_object *o, const char *path)
{
	int64_t t = 0;
	const char *s = jstr(o, path);
	if (s && podjson_time(s, NULL, 0, &t) < 0)
		t = 0;
	return t;
}

/* ---- loading pods ------------------------------------------------------------------- */

/* The Pod named name into *out: 1. 0 when its state directory is not there
 * (kubectl's NotFound), and only then: a directory that is there but cannot
 * be read as a pod (no container list yet, out of memory) is -1 with
 * last_error() saying why - not a pod that does not exist. */
static int load_pod(const char *name, struct json_object **out)
{
	char dir[PATH_MAX];
	*out = NULL;
	cli_pod_dir(name, dir, sizeof(dir), false);
	if (access(dir, F_OK) < 0)
		return errno == ENOENT ? 0 : fail_errno("pod %s: %s", name, dir);
	if (podjson_pod(dir, out) == 0)
		return 1;
	int saved = errno;
	if (access(dir, F_OK) < 0 && errno == ENOENT)
		return 0; /* removed while it was read */
	errno = saved;
	return -1;
}

NORETURN static void die_not_found(const char *name)
{
	/* kubectl's words: Error from server (NotFound): pods "x" not found */
	die("pods \"%s\" not found (under %s)", name, state_root());
}

/* Is a directory found under the state root a name podrun would have made
 * (state_pod_dir takes DNS-1123 subdomains only)? In a list of every pod,
 * anything else is skipped; pods named were checked (cli_check_pod_names). */
static bool podrun_made(const char *name)
{
	char dir[PATH_MAX];
	return state_pod_dir(name, dir, sizeof(dir)) == 0;
}

/* One of several pods named that load_pod could not give (r: 0 not there,
 * -1 unreadable): said, and kubectl goes on with the others and fails at the
 * end. Returns the exit status: 1. */
static int not_loaded(const char *name, int r)
{
	if (r == 0)
		warn("pods \"%s\" not found (under %s)", name, state_root());
	else
		warn("%s", last_error());
	return 1;
}

/* ---- kubectl's STATUS, READY and RESTARTS ------------------------------------------
 * A port of printPod (kubectl's pkg/printers/internalversion/printers.go),
 * reading the same fields of the same object. */

struct pod_row {
	char status[96];
	int ready, total;
	long restarts;
	int64_t last_restart; /* seconds since the epoch, 0: never */
};

static bool restartable_init(struct json_object *spec, const char *name)
{
	for (size_t i = 0; i < jlen(spec, "initContainers"); i++) {
		struct json_object *c = jidx(spec, "initContainers", i);
		if (!strcmp(jstr_or(c, "name", ""), name))
			return !strcmp(jstr_or(c, "restartPolicy", ""), "Always");
	}
	return false;
}

static bool condition_true(struct json_object *st, const char *type)
{
	for (size_t i = 0; i < jlen(st, "conditions"); i++) {
		struct json_object *c = jidx(st, "conditions", i);
		if (!strcmp(jstr_or(c, "type", ""), type))
			return !strcmp(jstr_or(c, "status", ""), "True");
	}
	return false;
}

static void containers_row(struct json_object *pod, struct pod_row *r)
{
	struct json_object *spec = jget(pod, "spec"), *st = jget(pod, "status");
	*r = (struct pod_row){0};
	snprintf(r->status, sizeof(r->status), "%s",
	         jstr_or(st, "reason", jstr_or(st, "phase", "")));
	size_t n_init = jlen(spec, "initContainers");
	r->total = (int)jlen(spec, "containers");
	for (size_t i = 0; i < n_init; i++)
		r->total += !strcmp(jstr_or(jidx(spec, "initContainers", i), "restartPolicy", ""),
		                    "Always");
	long restartable_restarts = 0;
	int64_t last_restartable = 0;
	bool initializing = false;
	for (size_t i = 0; i < jlen(st, "initContainerStatuses"); i++) {
		struct json_object *c = jidx(st, "initContainerStatuses", i);
		long rc = (long)jint(c, "restartCount", 0);
		int64_t fin = jtime(c, "lastState.terminated.finishedAt");
		r->restarts += rc;
		if (fin > r->last_restart)
			r->last_restart = fin;
		bool restartable = restartable_init(spec, jstr_or(c, "name", ""));
		if (restartable) {
			restartable_restarts += rc;
			if (fin > last_restartable)
				last_restartable = fin;
		}
		struct json_object *term = jget(c, "state.terminated");
		const char *wreason = jstr(c, "state.waiting.reason");
		if (term && jint(term, "exitCode", 0) == 0)
			continue;
		if (restartable && jbool(c, "started")) {
			r->ready += jbool(c, "ready");
			continue;
		}
		if (term) {
			const char *reason = jstr(term, "reason");
			if (reason && *reason)
				snprintf(r->status, sizeof(r->status), "Init:%s", reason);
			else if (jint(term, "signal", 0))
				snprintf(r->status, sizeof(r->status), "Init:Signal:%" PRId64,
				         jint(term, "signal", 0));
			else
				snprintf(r->status, sizeof(r->status), "Init:ExitCode:%" PRId64,
				         jint(term, "exitCode", 0));
		} else if (wreason && *wreason && strcmp(wreason, "PodInitializing")) {
			snprintf(r->status, sizeof(r->status), "Init:%s", wreason);
		} else {
			snprintf(r->status, sizeof(r->status), "Init:%zu/%zu", i, n_init);
		}
		initializing = true;
		break;
	}
	if (initializing && !condition_true(st, "Initialized"))
		return;
	r->restarts = restartable_restarts;
	r->last_restart = last_restartable;
	bool has_running = false;
	for (size_t k = jlen(st, "containerStatuses"); k-- > 0;) {
		struct json_object *c = jidx(st, "containerStatuses", k);
		r->restarts += (long)jint(c, "restartCount", 0);
		int64_t fin = jtime(c, "lastState.terminated.finishedAt");
		if (fin > r->last_restart)
			r->last_restart = fin;
		struct json_object *term = jget(c, "state.terminated");
		const char *wreason = jstr(c, "state.waiting.reason");
		const char *treason = term ? jstr(term, "reason") : NULL;
		if (wreason && *wreason)
			snprintf(r->status, sizeof(r->status), "%s", wreason);
		else if (treason && *treason)
			snprintf(r->status, sizeof(r->status), "%s", treason);
		else if (term && jint(term, "signal", 0))
			snprintf(r->status, sizeof(r->status), "Signal:%" PRId64,
			         jint(term, "signal", 0));
		else if (term)
			snprintf(r->status, sizeof(r->status), "ExitCode:%" PRId64,
			         jint(term, "exitCode", 0));
		else if (jbool(c, "ready") && jget(c, "state.running")) {
			has_running = true;
			r->ready++;
		}
	}
	/* a pod whose last container completed but another still runs */
	if (!strcmp(r->status, "Completed") && has_running)
		snprintf(r->status, sizeof(r->status), "%s",
		         condition_true(st, "Ready") ? "Running" : "NotReady");
}

/* Being deleted (podrun stop), its phase not final yet: kubectl's Terminating. */
static bool terminating(struct json_object *pod)
{
	const char *phase = jstr_or(pod, "status.phase", "");
	return jget(pod, "metadata.deletionTimestamp") && strcmp(phase, "Succeeded") &&
	       strcmp(phase, "Failed");
}

static void pod_row(struct json_object *pod, struct pod_row *r)
{
	containers_row(pod, r);
	if (terminating(pod))
		snprintf(r->status, sizeof(r->status), "Terminating");
}

/* apimachinery's duration.HumanDuration: "45s", "3m20s", "5h10m", "2d3h". */
static void human_duration(int64_t s, char *out, size_t len)
{
	int64_t m = s / 60, h = s / 3600;
	if (s < -1)
		snprintf(out, len, "<invalid>");
	else if (s < 0)
		snprintf(out, len, "0s");
	else if (s < 120)
		snprintf(out, len, "%" PRId64 "s", s);
	else if (m < 10)
		s % 60 ? snprintf(out, len, "%" PRId64 "m%" PRId64 "s", m, s % 60)
		       : snprintf(out, len, "%" PRId64 "m", m);
	else if (m < 180)
		snprintf(out, len, "%" PRId64 "m", m);
	else if (h < 8)
		m % 60 ? snprintf(out, len, "%" PRId64 "h%" PRId64 "m", h, m % 60)
		       : snprintf(out, len, "%" PRId64 "h", h);
	else if (h < 48)
		snprintf(out, len, "%" PRId64 "h", h);
	else if (h < 24 * 8)
		h % 24 ? snprintf(out, len, "%" PRId64 "d%" PRId64 "h", h / 24, h % 24)
		       : snprintf(out, len, "%" PRId64 "d", h / 24);
	else if (h < 24 * 365 * 2)
		snprintf(out, len, "%" PRId64 "d", h / 24);
	else if (h < 24 * 365 * 8)
		(h / 24) % 365
		    ? snprintf(out, len, "%" PRId64 "y%" PRId64 "d", h / 24 / 365, (h / 24) % 365)
		    : snprintf(out, len, "%" PRId64 "y", h / 24 / 365);
	else
		snprintf(out, len, "%" PRId64 "y", h / 24 / 365);
}

/* kubectl's translateTimestampSince: "<unknown>" for no time. */
static void since(int64_t t, char *out, size_t len)
{
	if (!t)
		snprintf(out, len, "<unknown>");
	else
		human_duration((int64_t)time(NULL) - t, out, len);
}

/* and translateTimestampUntil */
static void until(int64_t t, char *out, size_t len)
{
	if (!t)
		snprintf(out, len, "<unknown>");
	else
		human_duration(t - (int64_t)time(NULL), out, len);
}

/* ---- the table ------------------------------------------------------------------------ */

#define COLS 9

struct table {
	char (*cells)[COLS][256];
	size_t n, cap;
	int ncols;
};

static void table_row(struct table *t, const char *const *cells)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		void *grown = realloc(t->cells, t->cap * sizeof(*t->cells));
		if (!grown)
			die("out of memory");
		t->cells = grown;
	}
	for (int i = 0; i < t->ncols; i++)
		snprintf(t->cells[t->n][i], sizeof(t->cells[t->n][i]), "%s", cells[i]);
	t->n++;
}

/* Columns as kubectl's tabwriter lays them out: each as wide as its widest
 * cell, three spaces between, none after the last. */
static void table_print(struct table *t)
{
	size_t w[COLS] = {0};
	for (size_t r = 0; r < t->n; r++)
		for (int i = 0; i < t->ncols; i++)
			if (strlen(t->cells[r][i]) > w[i])
				w[i] = strlen(t->cells[r][i]);
	for (size_t r = 0; r < t->n; r++)
		for (int i = 0; i < t->ncols; i++) {
			if (i == t->ncols - 1)
				printf("%s\n", t->cells[r][i]);
			else
				printf("%-*s   ", (int)w[i], t->cells[r][i]);
		}
	free(t->cells);
}

static void add_pod_row(struct table *t, const char *name, struct json_object *pod, bool wide)
{
	struct pod_row r;
	char ready[32], restarts[64], age[32], ago[32];
	if (pod) {
		pod_row(pod, &r);
	} else {
		r = (struct pod_row){.status = "Unknown"};
	}
	snprintf(ready, sizeof(ready), "%d/%d", r.ready, r.total);
	if (r.last_restart) {
		since(r.last_restart, ago, sizeof(ago));
		snprintf(restarts, sizeof(restarts), "%ld (%s ago)", r.restarts, ago);
	} else {
		snprintf(restarts, sizeof(restarts), "%ld", r.restarts);
	}
	since(jtime(pod, "metadata.creationTimestamp"), age, sizeof(age));
	const char *cells[COLS] = {name,
	                           ready,
	                           r.status,
	                           restarts,
	                           age,
	                           jstr_or(pod, "status.podIP", "<none>"),
	                           jstr_or(pod, "spec.nodeName", "<none>"),
	                           "<none>",
	                           "<none>"};
	(void)wide;
	table_row(t, cells);
}

/* ---- YAML, with libyaml's emitter ------------------------------------------------------ */

/* A string YAML would read back as something else (a number, a bool, null,
 * a time) is quoted; so is "". Quoting more than needed is harmless. */
static bool needs_quotes(const char *s)
{
	static const char *const words[] = {"null", "~",  "true", "false", "yes",
	                                    "no",   "on", "off",  "y",     "n"};
	if (!*s || strchr("0123456789+-.", *s))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcasecmp(s, words[i]))
			return true;
	return false;
}

/* quoted_implicit is always 1: a quoted scalar is a string without a tag.
 * With 0, a string libyaml cannot write plain (one with a newline, as an
 * annotation often has) came out as "! 'first line...'". */
static int emit_scalar(yaml_emitter_t *e, const char *s, bool quoted)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), !quoted, 1,
	                             quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
	                                    : YAML_ANY_SCALAR_STYLE);
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_node(yaml_emitter_t *e, struct json_object *o)
{
	yaml_event_t ev;
	char num[64];
	switch (json_object_get_type(o)) {
	case json_type_object:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		json_object_object_foreach(o, key, val)
		{
			if (emit_scalar(e, key, needs_quotes(key)) < 0 || emit_node(e, val) < 0)
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	case json_type_array:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (emit_node(e, json_object_array_get_idx(o, i)) < 0)
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	case json_type_string:
		return emit_scalar(e, json_object_get_string(o),
		                   needs_quotes(json_object_get_string(o)));
	case json_type_int:
		snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(o));
		return emit_scalar(e, num, false);
	case json_type_double:
		snprintf(num, sizeof(num), "%.17g", json_object_get_double(o));
		return emit_scalar(e, num, false);
	case json_type_boolean:
		return emit_scalar(e, json_object_get_boolean(o) ? "true" : "false", false);
	case json_type_null:
	default:
		return emit_scalar(e, "null", false);
	}
}

static int print_yaml(struct json_object *o)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	if (!yaml_emitter_initialize(&e))
		return -1;
	yaml_emitter_set_output_file(&e, stdout);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1); /* never fold a long string */
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	int rc = yaml_emitter_emit(&e, &ev) ? 0 : -1;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	rc = rc ? rc : yaml_emitter_emit(&e, &ev) ? 0 : -1;
	rc = rc ? rc : emit_node(&e, o);
	yaml_document_end_event_initialize(&ev, 1);
	rc = rc ? rc : yaml_emitter_emit(&e, &ev) ? 0 : -1;
	yaml_stream_end_event_initialize(&ev);
	rc = rc ? rc : yaml_emitter_emit(&e, &ev) ? 0 : -1;
	if (rc)
		fprintf(stderr, "podrun: writing YAML: %s\n", e.problem ? e.problem : "failed");
	yaml_emitter_delete(&e);
	return rc;
}

static int print_json(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -1;
	puts(s);
	return 0;
}

/* ---- get ---------------------------------------------------------------------------------- */

static void get_usage(FILE *f)
{
	fprintf(f, "Usage: podrun get [POD...] [-o wide|json|yaml]\n"
	           "List pods as kubectl get pods does (every pod, or those named), or print a\n"
	           "pod as a v1 Pod object.\n"
	           "\nOptions:\n"
	           "  -o, --output FORMAT  wide (adds IP and NODE), json or yaml: the v1 Pod of\n"
	           "                       one POD, else a v1 List of the pods\n"
	           "  -h, --help           this help\n");
}

int cmd_get(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
	                                     {"output", required_argument, NULL, 'o'},
	                                     {NULL, 0, NULL, 0}};
	const char *output = "";
	int c;
	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		if (c == 'h') {
			get_usage(stdout);
			exit(0);
		} else if (c == 'o') {
			output = optarg;
		} else {
			die_bad_option(c, argv);
		}
	}
	if (*output && strcmp(output, "wide") && strcmp(output, "json") && strcmp(output, "yaml"))
		die_usage("get: -o %s: not an output format (wide, json, yaml)", output);
	optind = cli_pod_operands(argc, argv, optind, true);
	/* named pods (kubectl get pods a b), or every pod */
	bool named = optind < argc, one = optind == argc - 1;
	char **names;
	size_t n;
	if (named) {
		cli_check_pod_names(argc - optind, argv + optind);
		n = (size_t)(argc - optind);
		if (!(names = calloc(n, sizeof(*names))))
			die("out of memory");
		for (size_t i = 0; i < n; i++)
			if (!(names[i] = strdup(argv[optind + (int)i])))
				die("out of memory");
	} else if (state_check_roots(false) < 0 || state_list(&names, &n) < 0) {
		die_last();
	}
	int rc = 0;
	bool wide = !strcmp(output, "wide");
	bool table = !*output || wide;
	struct table t = {.ncols = wide ? 9 : 5};
	struct json_object *items = json_object_new_array();
	if (!items)
		die("out of memory");
	if (table) {
		const char *head[COLS] = {
		    "NAME", "READY", "STATUS",         "RESTARTS",       "AGE",
		    "IP",   "NODE",  "NOMINATED NODE", "READINESS GATES"};
		table_row(&t, head);
	}
	for (size_t i = 0; i < n; i++) {
		if (!named && !podrun_made(names[i]))
			continue;
		struct json_object *pod;
		int r = load_pod(names[i], &pod);
		if (r == 0 && one)
			die_not_found(names[i]);
		if (r < 0 && one)
			die_last();
		if (r <= 0 && named) {
			rc = not_loaded(names[i], r);
			continue;
		}
		/* in the list of every pod, one that cannot be read (being
		 * created: no container list yet) is a row of Unknown, as in
		 * `podrun ps` */
		if (table)
			add_pod_row(&t, names[i], pod, wide);
		else if (pod && json_object_array_add(items, pod) == 0)
			pod = NULL;
		json_object_put(pod);
	}
	if (table) {
		if (t.n > 1) {
			table_print(&t);
		} else {
			free(t.cells);
			if (!named)
				fprintf(stderr, "No resources found in default namespace.\n");
		}
	} else {
		struct json_object *out;
		if (one) {
			out = json_object_get(json_object_array_get_idx(items, 0));
		} else {
			/* kubectl's List: apiVersion, items, kind, metadata */
			out = json_object_new_object();
			struct json_object *meta = json_object_new_object();
			if (!out || !meta ||
			    json_object_object_add(out, "apiVersion",
			                           json_object_new_string("v1")) ||
			    json_object_object_add(out, "items", json_object_get(items)) ||
			    json_object_object_add(out, "kind", json_object_new_string("List")) ||
			    json_object_object_add(meta, "resourceVersion",
			                           json_object_new_string("")) ||
			    json_object_object_add(out, "metadata", meta))
				die("out of memory");
		}
		if (!strcmp(output, "json") ? print_json(out) : print_yaml(out))
			rc = 1;
		json_object_put(out);
	}
	json_object_put(items);
	state_free_list(names, n);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}

/* ---- describe -------------------------------------------------------------------------------- */

/* kubectl describe's time: RFC 1123 with a numeric zone, in local time. */
static void describe_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!t || !localtime_r(&tt, &tm) || !strftime(out, len, "%a, %d %b %Y %H:%M:%S %z", &tm))
		snprintf(out, len, "<unknown>");
}

static void field(int indent, int width, const char *key, const char *value)
{
	char k[96];
	snprintf(k, sizeof(k), "%s:", key);
	printf("%*s%-*s%s\n", indent, "", width, k, value);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* kubectl describe's Labels ("key=value") and Annotations ("key: value"), one
 * a line in key order, <none> when there are none. As kubectl's
 * printAnnotationsMultiline: kubectl apply's last-applied-configuration is
 * not shown, and a value with a newline or longer than its 140 columns goes
 * under its key, a line each, a line cut at 138 bytes with "...". */
static void describe_map(const char *title, struct json_object *m, bool annotations, int w)
{
	enum { MAX_ANNOTATION_LEN = 140 };
	/* metadata.json is ours, but a file edited by hand may hold anything */
	bool is_map = m && json_object_is_type(m, json_type_object);
	size_t n = 0, len = is_map ? (size_t)json_object_object_length(m) : 0;
	const char **keys = len ? calloc(len, sizeof(*keys)) : NULL;
	if (keys) {
		json_object_object_foreach(m, k, v)
		{
			(void)v;
			if (!annotations ||
			    strcmp(k, "kubectl.kubernetes.io/last-applied-configuration"))
				keys[n++] = k;
		}
	}
	if (!n) {
		field(0, w, title, "<none>");
		free(keys);
		return;
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	char head[96];
	snprintf(head, sizeof(head), "%s:", title);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = NULL;
		json_object_object_get_ex(m, keys[i], &v);
		const char *val = v ? json_object_get_string(v) : "";
		printf("%-*s", w, i ? "" : head);
		if (!annotations) {
			printf("%s=%s\n", keys[i], val);
			continue;
		}
		size_t vlen = strlen(val);
		if (vlen && val[vlen - 1] == '\n')
			vlen--; /* strings.TrimSuffix(value, "\n") */
		if (vlen + strlen(keys[i]) + 2 <= MAX_ANNOTATION_LEN && !memchr(val, '\n', vlen)) {
			printf("%s: %.*s\n", keys[i], (int)vlen, val);
			continue;
		}
		printf("%s:\n", keys[i]);
		for (const char *line = val;;) {
			const char *nl = memchr(line, '\n', vlen - (size_t)(line - val));
			size_t ll = nl ? (size_t)(nl - line) : vlen - (size_t)(line - val);
			int cut = ll > MAX_ANNOTATION_LEN - 2;
			printf("%*s  %.*s%s\n", w, "", cut ? MAX_ANNOTATION_LEN - 2 : (int)ll, line,
			       cut ? "..." : "");
			if (!nl)
				break;
			line = nl + 1;
		}
	}
	free(keys);
}

static void describe_state(const char *title, struct json_object *s, int width)
{
	struct json_object *in;
	char t[64];
	if ((in = jget(s, "running"))) {
		field(4, width, title, "Running");
		describe_time(jtime(in, "startedAt"), t, sizeof(t));
		field(6, width - 2, "Started", t);
	} else if ((in = jget(s, "terminated"))) {
		char code[32];
		field(4, width, title, "Terminated");
		field(6, width - 2, "Reason", jstr_or(in, "reason", ""));
		if (jstr(in, "message"))
			field(6, width - 2, "Message", jstr(in, "message"));
		snprintf(code, sizeof(code), "%" PRId64, jint(in, "exitCode", 0));
		field(6, width - 2, "Exit Code", code);
		if (jint(in, "signal", 0)) {
			snprintf(code, sizeof(code), "%" PRId64, jint(in, "signal", 0));
			field(6, width - 2, "Signal", code);
		}
		describe_time(jtime(in, "startedAt"), t, sizeof(t));
		field(6, width - 2, "Started", t);
		describe_time(jtime(in, "finishedAt"), t, sizeof(t));
		field(6, width - 2, "Finished", t);
	} else if ((in = jget(s, "waiting"))) {
		field(4, width, title, "Waiting");
		if (jstr(in, "reason"))
			field(6, width - 2, "Reason", jstr(in, "reason"));
		if (jstr(in, "message"))
			field(6, width - 2, "Message", jstr(in, "message"));
	} else {
		field(4, width, title, "<none>"); /* lastState: {} */
	}
}

/* Limits and Requests: "cpu:  500m" lines under the title. */
static void describe_resources(struct json_object *c, const char *key, const char *title)
{
	struct json_object *l = jget(c, key);
	if (!l || !json_object_object_length(l))
		return;
	printf("    %s:\n", title);
	json_object_object_foreach(l, name, val)
	{
		field(6, 9, name, json_object_get_string(val));
	}
}

/* A fieldRef's value as kubectl describe shows it (fieldpath's
 * ExtractFieldPathAsString on the pod): metadata.name, .namespace, .uid and a
 * label's or annotation's value; "" for the rest (spec.nodeName,
 * status.podIP...), which only the container's start resolves. */
static const char *field_value(struct json_object *pod, const char *path)
{
	static const char *const plain[] = {"metadata.name", "metadata.namespace", "metadata.uid"};
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
		if (!strcmp(path, plain[i]))
			return jstr_or(pod, path, "");
	const char *maps[] = {"metadata.labels", "metadata.annotations"};
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		size_t n = strlen(maps[i]), len = strlen(path);
		struct json_object *m = jget(pod, maps[i]), *v;
		char key[320];
		/* metadata.labels['KEY'] (the key may hold dots: no jget) */
		if (strncmp(path, maps[i], n) || strncmp(path + n, "['", 2) || len < n + 4 ||
		    strcmp(path + len - 2, "']"))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(len - n - 4), path + n + 2);
		if (m && json_object_object_get_ex(m, key, &v))
			return json_object_get_string(v);
		return "";
	}
	return "";
}

/* A resourceFieldRef's value as kubectl describe computes it
 * (ExtractContainerResourceValue): the container's limit or request, divided
 * by the divisor and rounded up; a limit of 0 (none) is "node allocatable".
 * The container is the one containerName names, else ctr. */
static void resource_value(struct json_object *pod, struct json_object *ctr,
                           struct json_object *ref, char *out, size_t len)
{
	const char *res = jstr_or(ref, "resource", ""), *cname = jstr(ref, "containerName");
	const char *lists[] = {"spec.containers", "spec.initContainers"};
	for (size_t l = 0; cname && l < ARRAY_SIZE(lists); l++)
		for (size_t i = 0; i < jlen(pod, lists[l]); i++)
			if (!strcmp(jstr_or(jidx(pod, lists[l], i), "name", ""), cname))
				ctr = jidx(pod, lists[l], i);
	bool cpu = strstr(res, ".cpu") != NULL;
	char path[64];
	snprintf(path, sizeof(path), "resources.%s", res);
	const char *q = jstr(ctr, path), *d = jstr_or(ref, "divisor", "0");
	int64_t v = 0, div = 0;
	if (q && (cpu ? spec_parse_milli(q, &v) : spec_parse_quantity(q, &v)) < 0)
		v = 0;
	if ((cpu ? spec_parse_milli(d, &div) : spec_parse_quantity(d, &div)) < 0 || div <= 0)
		div = cpu ? 1000 : 1; /* "0", the zero Quantity: 1 */
	v = v > 0 ? (v - 1) / div + 1 : 0;
	if (v == 0 && !strncmp(res, "limits.", 7))
		snprintf(out, len, "node allocatable");
	else
		snprintf(out, len, "%" PRId64, v);
}

/* A probe as kubectl describe shows it (DescribeProbe): the handler, then
 * "delay=0s timeout=1s period=10s #success=1 #failure=3". An exec command is
 * Go's %v of a []string, "[sh -c cat /tmp/ok]"; a port, its number or name. */
static void describe_probe(struct json_object *spec, const char *key, const char *title, int width)
{
	struct json_object *p = jget(spec, key), *h;
	if (!p)
		return;
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	if (!f)
		return;
	if ((h = jget(p, "exec"))) {
		fputs("exec [", f);
		for (size_t i = 0; i < jlen(h, "command"); i++)
			fprintf(f, "%s%s", i ? " " : "",
			        json_object_get_string(jidx(h, "command", i)));
		fputs("]", f);
	} else if ((h = jget(p, "httpGet"))) {
		/* Go's url.URL{Scheme, Host: JoinHostPort(host, port), Path} */
		const char *scheme = jstr_or(h, "scheme", "HTTP"), *path = jstr_or(h, "path", "");
		fputs("http-get ", f);
		for (const char *c = scheme; *c; c++)
			fputc(tolower((unsigned char)*c), f);
		fprintf(f, "://%s:%s%s%s", jstr_or(h, "host", ""),
		        json_object_get_string(jget(h, "port")), *path && *path != '/' ? "/" : "",
		        path);
	} else if ((h = jget(p, "tcpSocket"))) {
		fprintf(f, "tcp-socket %s:%s", jstr_or(h, "host", ""),
		        json_object_get_string(jget(h, "port")));
	} else {
		fputs("unknown", f);
	}
	fprintf(f, " delay=%llds timeout=%llds period=%llds #success=%lld #failure=%lld",
	        (long long)jint(p, "initialDelaySeconds", 0),
	        (long long)jint(p, "timeoutSeconds", 1), (long long)jint(p, "periodSeconds", 10),
	        (long long)jint(p, "successThreshold", 1),
	        (long long)jint(p, "failureThreshold", 3));
	if (fclose(f) == 0)
		field(4, width, title, line);
	free(line);
}

static void describe_container(struct json_object *pod, struct json_object *spec,
                               struct json_object *status)
{
	const int w = 16;
	char buf[64];
	printf("  %s:\n", jstr_or(spec, "name", "?"));
	if (jstr(status, "containerID"))
		field(4, w, "Container ID", jstr(status, "containerID"));
	field(4, w, "Image", jstr_or(spec, "image", ""));
	field(4, w, "Image ID", jstr_or(status, "imageID", ""));
	size_t np = jlen(spec, "ports");
	if (!np) {
		field(4, w, "Port", "<none>");
		field(4, w, "Host Port", "<none>");
	}
	for (size_t i = 0; i < np; i++) {
		struct json_object *p = jidx(spec, "ports", i);
		snprintf(buf, sizeof(buf), "%" PRId64 "/%s", jint(p, "containerPort", 0),
		         jstr_or(p, "protocol", "TCP"));
		field(4, w, "Port", buf);
		snprintf(buf, sizeof(buf), "%" PRId64 "/%s", jint(p, "hostPort", 0),
		         jstr_or(p, "protocol", "TCP"));
		field(4, w, "Host Port", buf);
	}
	const char *lists[] = {"command", "args"}, *titles[] = {"Command", "Args"};
	for (int k = 0; k < 2; k++) {
		if (!jlen(spec, lists[k]))
			continue;
		printf("    %s:\n", titles[k]);
		for (size_t i = 0; i < jlen(spec, lists[k]); i++)
			printf("      %s\n", json_object_get_string(jidx(spec, lists[k], i)));
	}
	describe_state("State", jget(status, "state"), w);
	/* kubectl shows a last state only when there was one */
	if (jget(status, "lastState.terminated"))
		describe_state("Last State", jget(status, "lastState"), w);
	field(4, w, "Ready", jbool(status, "ready") ? "True" : "False");
	snprintf(buf, sizeof(buf), "%" PRId64, jint(status, "restartCount", 0));
	field(4, w, "Restart Count", buf);
	describe_resources(spec, "resources.limits", "Limits");
	describe_resources(spec, "resources.requests", "Requests");
	describe_probe(spec, "livenessProbe", "Liveness", w);
	describe_probe(spec, "readinessProbe", "Readiness", w);
	describe_probe(spec, "startupProbe", "Startup", w);
	size_t ne = jlen(spec, "env");
	if (!ne)
		field(4, w, "Environment", "<none>");
	else
		printf("    Environment:\n");
	for (size_t i = 0; i < ne; i++) {
		/* kubectl's describeContainerEnvVars: the value, then where it
		 * comes from: "NAME:  pod-name (v1:metadata.name)",
		 * "NAME:  500 (limits.cpu)" */
		struct json_object *e = jidx(spec, "env", i);
		struct json_object *fr = jget(e, "valueFrom.fieldRef");
		struct json_object *rr = jget(e, "valueFrom.resourceFieldRef");
		const char *name = jstr_or(e, "name", "");
		if (fr) {
			const char *fp = jstr_or(fr, "fieldPath", "");
			printf("      %s:  %s (%s:%s)\n", name, field_value(pod, fp),
			       jstr_or(fr, "apiVersion", "v1"), fp);
		} else if (rr) {
			resource_value(pod, spec, rr, buf, sizeof(buf));
			printf("      %s:  %s (%s)\n", name, buf, jstr_or(rr, "resource", ""));
		} else {
			printf("      %s:  %s\n", name, jstr_or(e, "value", ""));
		}
	}
	size_t nm = jlen(spec, "volumeMounts");
	if (!nm)
		field(4, w, "Mounts", "<none>");
	else
		printf("    Mounts:\n");
	for (size_t i = 0; i < nm; i++) {
		struct json_object *m = jidx(spec, "volumeMounts", i);
		const char *sub = jstr(m, "subPath");
		printf("      %s from %s (%s%s%s)\n", jstr_or(m, "mountPath", ""),
		       jstr_or(m, "name", ""), jbool(m, "readOnly") ? "ro" : "rw",
		       sub ? ",path=" : "", sub ? sub : "");
	}
}

/* The status of the container called name in statuses, or NULL. */
static struct json_object *status_of(struct json_object *st, const char *list, const char *name)
{
	for (size_t i = 0; i < jlen(st, list); i++)
		if (!strcmp(jstr_or(jidx(st, list, i), "name", ""), name))
			return jidx(st, list, i);
	return NULL;
}

/*
 * One event as kubectl describe shows it. The API server's event correlator
 * (client-go's EventCorrelator) makes one event of the same type, reason,
 * object and message recorded again: its count goes up and its
 * lastTimestamp moves, and describe shows "10s (x40 over 50s)". podrun's
 * events file keeps every record, one line each, and describe folds them
 * the same way.
 */
struct event {
	int64_t first, last;
	long count;
	size_t order; /* the first record's line: ties keep the file's order */
	char *type, *reason, *object, *message;
};

static void event_free(struct event *e)
{
	free(e->type);
	free(e->reason);
	free(e->object);
	free(e->message);
}

static int event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The events of the file f, folded; NULL with *n == 0 when there are none
 * (or no memory for them: describe then shows none rather than fail). */
static struct event *read_events(FILE *f, size_t *n)
{
	struct event *ev = NULL;
	size_t cap = 0, lines = 0;
	char line[2048];
	*n = 0;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		/* TIME \t TYPE \t REASON \t OBJECT \t MESSAGE; MESSAGE may hold tabs */
		char *fields[5] = {line}, *p = line;
		int nf = 1;
		while (nf < 5 && (p = strchr(p, '\t'))) {
			*p++ = '\0';
			fields[nf++] = p;
		}
		int64_t when;
		if (nf < 5 || podjson_time(fields[0], NULL, 0, &when) < 0)
			continue;
		lines++;
		struct event *e = NULL;
		for (size_t i = 0; i < *n && !e; i++)
			if (!strcmp(ev[i].type, fields[1]) && !strcmp(ev[i].reason, fields[2]) &&
			    !strcmp(ev[i].object, fields[3]) && !strcmp(ev[i].message, fields[4]))
				e = &ev[i];
		if (e) {
			e->count++;
			e->last = when;
			continue;
		}
		if (*n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct event *bigger = realloc(ev, ncap * sizeof(*ev));
			if (!bigger)
				break;
			ev = bigger;
			cap = ncap;
		}
		e = &ev[*n];
		*e = (struct event){.first = when,
		                    .last = when,
		                    .count = 1,
		                    .order = lines,
		                    .type = strdup(fields[1]),
		                    .reason = strdup(fields[2]),
		                    .object = strdup(fields[3]),
		                    .message = strdup(fields[4])};
		if (!e->type || !e->reason || !e->object || !e->message) {
			event_free(e);
			break;
		}
		(*n)++;
	}
	if (*n)
		qsort(ev, *n, sizeof(*ev), event_cmp);
	return ev;
}

static void describe_events(const char *dir)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/events", dir);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (f)
		fd = -1; /* the FILE owns it */
	size_t n;
	struct event *ev = read_events(f, &n);
	if (f)
		fclose(f);
	struct table t = {.ncols = 5};
	/* indented by two, as kubectl's table under its title */
	const char *head[COLS] = {"  Type", "Reason", "Age", "From", "Message"};
	const char *rule[COLS] = {"  ----", "------", "----", "----", "-------"};
	table_row(&t, head);
	table_row(&t, rule);
	for (size_t i = 0; i < n; i++) {
		char age[96], last[32], first[32], type[64];
		since(ev[i].first, first, sizeof(first));
		if (ev[i].count > 1) {
			since(ev[i].last, last, sizeof(last));
			snprintf(age, sizeof(age), "%s (x%ld over %s)", last, ev[i].count, first);
		} else {
			snprintf(age, sizeof(age), "%s", first);
		}
		snprintf(type, sizeof(type), "  %s", ev[i].type);
		const char *row[COLS] = {type, ev[i].reason, age, "podrun", ev[i].message};
		table_row(&t, row);
		event_free(&ev[i]);
	}
	free(ev);
	if (t.n > 2) {
		printf("Events:\n");
		table_print(&t);
	} else {
		free(t.cells);
		printf("Events:                      <none>\n");
	}
}

static void describe_usage(FILE *f)
{
	fprintf(f, "Usage: podrun describe [POD...]\n"
	           "Show a pod as kubectl describe pod does: its containers' states, conditions,\n"
	           "volumes and events. Several pods, or every pod (no POD, or the word pods\n"
	           "alone: podrun describe pods), one after the other without their events,\n"
	           "as kubectl describe pods shows them.\n"
	           "\nOptions:\n"
	           "  -h, --help    this help\n");
}

static void describe_pod(const char *name, struct json_object *pod, bool events);

int cmd_describe(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			describe_usage(stdout);
			exit(0);
		}
		die_bad_option(c, argv);
	}
	optind = cli_pod_operands(argc, argv, optind, true);
	bool every = optind == argc;
	char **names = argv + optind;
	size_t n = (size_t)(argc - optind);
	cli_check_pod_names(argc - optind, names);
	if (every && (state_check_roots(false) < 0 || state_list(&names, &n) < 0))
		die_last();
	/* kubectl leaves the events out when it describes more than one */
	bool events = n == 1;
	int rc = 0, shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (every && !podrun_made(names[i]))
			continue;
		struct json_object *pod;
		int r = load_pod(names[i], &pod);
		if (r <= 0 && every)
			continue; /* removed meanwhile, or not yet readable */
		if (r <= 0) {
			rc = not_loaded(names[i], r);
			continue;
		}
		if (shown++)
			printf("\n\n");
		describe_pod(names[i], pod, events);
		json_object_put(pod);
	}
	if (every)
		state_free_list(names, n);
	if (every && !shown)
		fprintf(stderr, "No resources found in default namespace.\n");
	return fflush(stdout) == 0 ? rc : 1;
}

/* One pod, as kubectl's PodDescriber writes it. */
static void describe_pod(const char *name, struct json_object *pod, bool events)
{
	char dir[PATH_MAX], buf[512], t[64];
	cli_pod_dir(name, dir, sizeof(dir), false);
	struct json_object *spec = jget(pod, "spec"), *st = jget(pod, "status");
	/* kubectl's tabwriter makes the column as wide as its longest key */
	const char *class = jstr_or(spec, "priorityClassName", "");
	bool deleting = terminating(pod);
	const int w = deleting ? 27 : *class ? 22 : 18;
	field(0, w, "Name", jstr_or(pod, "metadata.name", name));
	field(0, w, "Namespace", jstr_or(pod, "metadata.namespace", "default"));
	/* set by the API server's admission: kubectl shows it for every pod */
	if (jget(spec, "priority")) {
		snprintf(buf, sizeof(buf), "%" PRId64,
		         json_object_get_int64(jget(spec, "priority")));
		field(0, w, "Priority", buf);
	}
	if (*class)
		field(0, w, "Priority Class Name", class);
	/* kubectl shows it when set; the API server always sets it */
	if (*jstr_or(spec, "serviceAccountName", ""))
		field(0, w, "Service Account", jstr_or(spec, "serviceAccountName", ""));
	snprintf(buf, sizeof(buf), "%s/%s", jstr_or(spec, "nodeName", "<none>"),
	         jstr_or(st, "hostIP", ""));
	field(0, w, "Node", buf);
	describe_time(jtime(st, "startTime"), t, sizeof(t));
	field(0, w, "Start Time", t);
	describe_map("Labels", jget(pod, "metadata.labels"), false, w);
	describe_map("Annotations", jget(pod, "metadata.annotations"), true, w);
	if (deleting) {
		char left[32];
		until(jtime(pod, "metadata.deletionTimestamp"), left, sizeof(left));
		snprintf(buf, sizeof(buf), "Terminating (lasts %s)", left);
		field(0, w, "Status", buf);
		snprintf(buf, sizeof(buf), "%" PRId64 "s",
		         jint(pod, "metadata.deletionGracePeriodSeconds", 0));
		field(0, w, "Termination Grace Period", buf);
	} else {
		field(0, w, "Status", jstr_or(st, "phase", "Unknown"));
	}
	field(0, w, "IP", jstr_or(st, "podIP", ""));
	if (!jlen(st, "podIPs"))
		field(0, w, "IPs", "<none>");
	else
		printf("IPs:\n");
	for (size_t i = 0; i < jlen(st, "podIPs"); i++)
		printf("  IP:  %s\n", jstr_or(jidx(st, "podIPs", i), "ip", ""));
	if (jlen(spec, "initContainers")) {
		printf("Init Containers:\n");
		for (size_t i = 0; i < jlen(spec, "initContainers"); i++) {
			struct json_object *cs = jidx(spec, "initContainers", i);
			describe_container(
			    pod, cs,
			    status_of(st, "initContainerStatuses", jstr_or(cs, "name", "")));
		}
	}
	printf("Containers:\n");
	for (size_t i = 0; i < jlen(spec, "containers"); i++) {
		struct json_object *cs = jidx(spec, "containers", i);
		describe_container(pod, cs,
		                   status_of(st, "containerStatuses", jstr_or(cs, "name", "")));
	}
	if (jlen(st, "conditions")) {
		printf("Conditions:\n");
		struct table ct = {.ncols = 2};
		const char *head[COLS] = {"  Type", "Status"};
		table_row(&ct, head);
		for (size_t i = 0; i < jlen(st, "conditions"); i++) {
			struct json_object *cd = jidx(st, "conditions", i);
			snprintf(buf, sizeof(buf), "  %s", jstr_or(cd, "type", ""));
			const char *row[COLS] = {buf, jstr_or(cd, "status", "")};
			table_row(&ct, row);
		}
		table_print(&ct);
	}
	if (!jlen(spec, "volumes"))
		field(0, w, "Volumes", "<none>");
	else
		printf("Volumes:\n");
	for (size_t i = 0; i < jlen(spec, "volumes"); i++) {
		struct json_object *v = jidx(spec, "volumes", i), *src;
		printf("  %s:\n", jstr_or(v, "name", ""));
		if ((src = jget(v, "emptyDir"))) {
			field(4, 12, "Type",
			      "EmptyDir (a temporary directory that shares a pod's lifetime)");
			field(4, 12, "Medium", jstr_or(src, "medium", ""));
			field(4, 12, "SizeLimit", jstr_or(src, "sizeLimit", "<unset>"));
		} else if ((src = jget(v, "hostPath"))) {
			field(4, 14, "Type", "HostPath (bare host directory volume)");
			field(4, 14, "Path", jstr_or(src, "path", ""));
			field(4, 14, "HostPathType", jstr_or(src, "type", ""));
		}
	}
	field(0, 29, "QoS Class", jstr_or(st, "qosClass", "<none>"));
	field(0, 29, "Node-Selectors", "<none>");
	field(0, 29, "Tolerations", "<none>");
	if (events)
		describe_events(dir);
}

/* ---- wait
 * ---------------------------------------------------------------------------------------- */

static void wait_usage(FILE *f)
{
	fprintf(f, "Usage: podrun wait --for=CONDITION [--timeout DURATION] POD...\n"
	           "Wait until each pod meets a condition, as kubectl wait does: one after the\n"
	           "other, all within the timeout.\n"
	           "\nOptions:\n"
	           "  --for=condition=TYPE[=VALUE]  a status condition (Ready, Initialized,\n"
	           "                 ContainersReady...) has status VALUE (default true)\n"
	           "  --for=delete   the pod is removed\n"
	           "  --for=jsonpath='{.status.phase}'=VALUE  a field of the v1 Pod has VALUE\n"
	           "  --timeout DURATION  give up after that long (default 30s; 0: check once)\n"
	           "  -h, --help     this help\n");
}

enum wait_kind { WAIT_CONDITION, WAIT_DELETE, WAIT_JSONPATH };

struct wait_for {
	enum wait_kind kind;
	char what[256];  /* the condition type, or the dotted path */
	char value[256]; /* what it must be */
};

/* The value at a path as text: a string as it is, anything else as JSON. */
static bool value_is(struct json_object *v, const char *want)
{
	if (!v)
		return false;
	const char *s = json_object_is_type(v, json_type_string)
	                    ? json_object_get_string(v)
	                    : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	return s && !strcmp(s, want);
}

/* 1 met, 0 not yet, -1 the pod is not there (for a condition: an error). */
static int wait_check(const struct wait_for *w, const char *name, const char *dir)
{
	if (access(dir, F_OK) < 0)
		return w->kind == WAIT_DELETE ? 1 : -1;
	if (w->kind == WAIT_DELETE)
		return 0;
	struct json_object *pod;
	if (load_pod(name, &pod) <= 0)
		return 0; /* being created or removed right now: look again */
	int met = 0;
	if (w->kind == WAIT_CONDITION) {
		struct json_object *st = jget(pod, "status");
		for (size_t i = 0; i < jlen(st, "conditions"); i++) {
			struct json_object *cd = jidx(st, "conditions", i);
			/* kubectl compares both case-insensitively */
			if (!strcasecmp(jstr_or(cd, "type", ""), w->what))
				met = !strcasecmp(jstr_or(cd, "status", ""), w->value);
		}
	} else {
		met = value_is(jget(pod, w->what), w->value);
	}
	json_object_put(pod);
	return met;
}

static void parse_for(const char *arg, struct wait_for *w)
{
	const char *v;
	if (!strcmp(arg, "delete")) {
		w->kind = WAIT_DELETE;
	} else if (!strncmp(arg, "condition=", 10) && arg[10]) {
		w->kind = WAIT_CONDITION;
		v = strchr(arg + 10, '=');
		snprintf(w->what, sizeof(w->what), "%.*s", (int)(v ? v - arg - 10 : 255), arg + 10);
		snprintf(w->value, sizeof(w->value), "%s", v ? v + 1 : "true");
	} else if (!strncmp(arg, "jsonpath=", 9)) {
		/* {.status.phase}=Running: a dotted path in braces, then the value */
		const char *p = arg + 9, *close = strstr(p, "}=");
		if (p[0] != '{' || p[1] != '.' || !close || !close[2])
			die_usage("wait: --for=%s: expected jsonpath='{.field.path}'=VALUE", arg);
		w->kind = WAIT_JSONPATH;
		snprintf(w->what, sizeof(w->what), "%.*s", (int)(close - p - 2), p + 2);
		snprintf(w->value, sizeof(w->value), "%s", close + 2);
	} else {
		die_usage("wait: --for=%s: expected condition=TYPE[=VALUE], delete or "
		          "jsonpath='{.path}'=VALUE",
		          arg);
	}
}

/* Wait for one pod until deadline (looked at once if it has passed): 0 when
 * it meets the condition, 1 (said) when it is not there or the deadline came
 * first. */
static int wait_one(const struct wait_for *w, const char *name, int64_t deadline)
{
	char dir[PATH_MAX];
	cli_pod_dir(name, dir, sizeof(dir), false);
	for (;;) {
		int r = wait_check(w, name, dir);
		if (r < 0)
			return not_loaded(name, 0);
		if (r > 0) {
			printf("pod/%s %s\n", name,
			       w->kind == WAIT_DELETE ? "deleted" : "condition met");
			return 0;
		}
		int64_t left = deadline - now_ns();
		if (left <= 0)
			break;
		/* State files change a few times a second at most: 50 ms is prompt
		 * enough and costs nothing. */
		sleep_ms(left < 50000000 ? (long)(left / 1000000) + 1 : 50);
	}
	fprintf(stderr, "%s: timed out waiting for the condition on pods/%s\n",
	        program_invocation_short_name, name);
	return 1;
}

int cmd_wait(int argc, char **argv)
{
	enum { OPT_FOR = 256, OPT_TIMEOUT };
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
	                                     {"for", required_argument, NULL, OPT_FOR},
	                                     {"timeout", required_argument, NULL, OPT_TIMEOUT},
	                                     {NULL, 0, NULL, 0}};
	struct wait_for w = {0};
	bool have_for = false;
	int64_t timeout = 30 * (int64_t)1000000000;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			wait_usage(stdout);
			exit(0);
		} else if (c == OPT_FOR) {
			parse_for(optarg, &w);
			have_for = true;
		} else if (c == OPT_TIMEOUT) {
			if (spec_parse_duration(optarg, &timeout) < 0)
				die_usage("wait: --timeout %s: a duration like 30s, 500ms or 2m",
				          optarg);
			if (timeout < 0) /* kubectl: a negative timeout is a week */
				timeout = 7 * 24 * 3600 * (int64_t)1000000000;
		} else {
			die_bad_option(c, argv);
		}
	}
	if (!have_for)
		die_usage("wait: --for is required (condition=Ready, delete, jsonpath=...)");
	optind = cli_pod_operands(argc, argv, optind, false);
	if (optind == argc)
		die_usage("wait: expected a pod");
	cli_check_pod_names(argc - optind, argv + optind);
	/* kubectl waits for each pod in turn, all within one timeout (its
	 * context's), and fails if one did not meet the condition */
	int64_t deadline = now_ns() + timeout;
	int rc = 0;
	for (int i = optind; i < argc; i++)
		rc |= wait_one(&w, argv[i], deadline);
	return rc;
}
