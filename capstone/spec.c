/*
 * spec.c - Kubernetes v1 Pod YAML -> struct pod_spec (see spec.h).
 *
 * libyaml's document API loads a whole document as a graph of nodes, each
 * with the mark (line, column) where it starts; the parser walks that graph
 * with the Pod's schema in hand. Walking a tree instead of an event stream
 * keeps every check next to the field it checks, and the marks make every
 * message point at the offending node.
 *
 * YAML surprises worth knowing, which this file handles:
 *   - A tab may not indent YAML. libyaml then reports something generic
 *     ("found character that cannot start any token"); we look at the raw
 *     line and say what is really wrong.
 *   - `port: 8080` is an integer but `port: "8080"` is a string, and
 *     `value: 8080` for an env var is an integer where Kubernetes wants a
 *     string: the style of the scalar (plain or quoted) decides its type -
 *     YAML 1.1's types, which Kubernetes' reader (go-yaml v2) has: `no`, `on`,
 *     `y` are booleans, `0755` is octal (scalar_type). Tags and merge keys
 *     (`!!binary`, `<<: *x`), which it acts on and libyaml's tree hides, are
 *     refused rather than misread.
 *   - `emptyDir:` with nothing after it is null, which Kubernetes reads as {}.
 *     An optional number or boolean written as null (`runAsUser: null`, `~`,
 *     nothing after the colon) is unset, as the API server's decoding
 *     leaves it: the pod's value or the default applies.
 *   - Aliases let a tiny file expand into a huge tree ("billion laughs"):
 *     the walk counts the nodes it visits and gives up past a limit, and a
 *     first pass over the events bounds the bytes they expand to.
 *   - Input is hostile until parsed: nesting deeper than MAX_DEPTH is refused
 *     while the events arrive (libyaml's own cost grows with the depth), and
 *     duplicate keys are found with a hash table, not by comparing each key
 *     with every earlier one (30,000 annotations would take seconds).
 */
#include "spec.h"

#include "common.h"
#include "image.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define MAX_VISITS 200000
#define PATH_LEN   256
#define MAX_DEPTH  64 /* a Pod nests about 10 deep */
/* libyaml's loader looks each new anchor up in a list of all before it:
 * 45,000 anchors in a 1 MiB file cost 3.5 s of CPU. A Pod needs a few. */
#define MAX_ANCHORS 1000
/* Kubernetes' limit on the total size of a pod's annotations (keys + values). */
#define MAX_ANNOTATIONS_BYTES (256 * 1024)

/* ---- memory: every allocation of one pod, freed together ---------------- */

struct blk {
	struct blk *next;
	max_align_t data[];
};

struct ctx {
	const char *file;
	const char *text; /* the raw file, to look at tabs */
	size_t len;
	yaml_document_t *doc;
	spec_warn_fn warn;
	void *warn_arg;
	struct blk **mem; /* the current pod's allocations */
	long visits;
	long grace_seconds; /* the pod's, once its spec's fields are read */
	/* the first securityContext.windowsOptions of the pod, {0, 0}: none */
	struct spec_mark windows_options;
	char windows_path[PATH_LEN];
};

static void *alloc(struct ctx *c, size_t size)
{
	struct blk *b = calloc(1, sizeof(*b) + size);
	if (!b) {
		fail_msg(ENOMEM, "%s: out of memory", c->file);
		return NULL;
	}
	/* *c->mem lives in the pods array, which realloc grows */
	ANALYZER_REALLOC_LEAK_FP_BEGIN
	b->next = *c->mem;
	*c->mem = b;
	return b->data;
	ANALYZER_REALLOC_LEAK_FP_END
}

static char *dup_str(struct ctx *c, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = alloc(c, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static void free_blocks(void *mem)
{
	struct blk *b = mem;
	while (b) {
		struct blk *next = b->next;
		free(b);
		b = next;
	}
}

/* ---- messages ------------------------------------------------------------- */

static struct spec_mark mark_of(const yaml_node_t *n)
{
	return (struct spec_mark){(int)n->start_mark.line + 1, (int)n->start_mark.column + 1};
}

PRINTF(3, 4) static int err_at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct spec_mark m = n ? mark_of(n) : (struct spec_mark){1, 1};
	return fail_msg(EINVAL, "%s:%d:%d: %s", c->file, m.line, m.col, msg);
}

PRINTF(3, 4) static int err_at_mark(struct ctx *c, struct spec_mark m, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_msg(EINVAL, "%s:%d:%d: %s", c->file, m.line, m.col, msg);
}

PRINTF(3, 4) static void warn_at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[768], line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct spec_mark m = mark_of(n);
	snprintf(line, sizeof(line), "%s:%d:%d: %s", c->file, m.line, m.col, msg);
	if (c->warn)
		c->warn(c->warn_arg, line);
}

/* s for a one-line message: control characters as Go's %q writes them
 * (\n, \t, \x1b), cut short to fit len. */
static const char *quoted(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	for (; *s && o + 5 < len; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '\n' || ch == '\t')
			o += (size_t)snprintf(buf + o, len - o, "\\%c", ch == '\n' ? 'n' : 't');
		else if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o] = '\0';
	return buf;
}

/* ---- nodes and scalar types ----------------------------------------------- */

static yaml_node_t *node(struct ctx *c, int id)
{
	/* Aliases make the graph a DAG that can be exponentially larger than the
	 * file once walked; a Pod never needs this many nodes. */
	if (++c->visits > MAX_VISITS)
		return NULL;
	return yaml_document_get_node(c->doc, id);
}

enum stype { ST_NULL, ST_BOOL, ST_INT, ST_FLOAT, ST_STR };

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool matches(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

/* The next character of a plain scalar's number, an '_' skipped: go-yaml v2
 * drops every '_' before it tries a scalar as a number ("1_000" is 1000). */
static char num_at(const char **p)
{
	while (**p == '_')
		(*p)++;
	return **p;
}

/* Whether a plain scalar is an integer as go-yaml v2 resolves one - Go's
 * strconv.ParseInt(s, 0, 64) on it, '_' dropped: a sign, then 0x/0X hex,
 * 0o/0O octal, 0b/0B binary, a leading 0 octal ("0755" is 493), else decimal.
 * v2 takes one past int64 too (uint64, then big.Int): *big says so, and *v is
 * then meaningless. */
static bool yaml_int(const char *s, int64_t *v, bool *big)
{
	const char *p = s;
	char ch = num_at(&p);
	bool neg = ch == '-';
	if (ch == '-' || ch == '+') {
		p++;
		ch = num_at(&p);
	}
	if (ch < '0' || ch > '9')
		return false;
	unsigned base = 10;
	bool need = false; /* a prefix wants a digit after it */
	if (ch == '0') {
		p++;
		ch = (char)(num_at(&p) | 0x20);
		base = ch == 'x' ? 16 : ch == 'b' ? 2 : 8;
		if (ch == 'x' || ch == 'o' || ch == 'b') {
			p++;
			need = true;
		}
	}
	unsigned __int128 mag = 0;
	*big = false;
	for (;; p++) {
		ch = num_at(&p);
		unsigned d = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
		             : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
		             : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10)
		                                      : 99;
		if (ch == '\0' || d >= base)
			break;
		need = false;
		if (!*big && (mag = mag * base + d) > (unsigned __int128)INT64_MAX + neg)
			*big = true;
	}
	if (ch != '\0' || need)
		return false;
	*v = neg ? (int64_t)(0 - (uint64_t)mag) : (int64_t)mag;
	return true;
}

/* go-yaml v2's float forms: its yamlStyleFloat, '_' dropped -
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? - and Go's ParseFloat
 * for one that starts with '.' (".5"). Not "0x1p3", "inf" or "1e": strings. */
static bool yaml_float(const char *s)
{
	const char *p = s;
	size_t n = 0, frac = 0;
	if (num_at(&p) == '-' || *p == '+')
		p++;
	for (; num_at(&p) >= '0' && *p <= '9'; p++)
		n++;
	if (num_at(&p) == '.')
		for (p++; num_at(&p) >= '0' && *p <= '9'; p++)
			frac++;
	else if (n == 0)
		return false;
	if (n == 0 && frac == 0)
		return false;
	if (num_at(&p) == 'e' || *p == 'E') {
		p++;
		if (num_at(&p) == '-' || *p == '+')
			p++;
		if (num_at(&p) < '0' || *p > '9')
			return false;
		while (num_at(&p) >= '0' && *p <= '9')
			p++;
	}
	return num_at(&p) == '\0';
}

/* The type a plain scalar has in Kubernetes: kubectl and the API server read
 * YAML with sigs.k8s.io/yaml, which is go-yaml v2 - YAML 1.1's types, not
 * YAML 1.2's: yes/no/on/off/y/n are booleans (`value: yes` is refused for a
 * string, `hostNetwork: on` is true), "0755" is octal, "1_000" a number,
 * ".5" a float. Quoted and block scalars are strings. */
static enum stype scalar_type(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const bools[] = {
	    "y", "Y",  "yes", "Yes", "YES",   "true",  "True",  "TRUE", "on",  "On",  "ON", "n",
	    "N", "no", "No",  "NO",  "false", "False", "FALSE", "off",  "Off", "OFF", NULL};
	static const char *const floats[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
	                                     ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
	                                     "-.Inf", "-.INF", NULL};
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return ST_STR;
	const char *s = sval(n);
	if (matches(s, nulls))
		return ST_NULL;
	if (matches(s, bools))
		return ST_BOOL;
	if (matches(s, floats))
		return ST_FLOAT;
	/* v2 tries a number only when the first character is a digit, a sign
	 * or a '.' ("_1" is a string) */
	if (!(*s >= '0' && *s <= '9') && *s != '-' && *s != '+' && *s != '.')
		return ST_STR;
	int64_t v;
	bool big;
	if (*s != '.' && yaml_int(s, &v, &big))
		return ST_INT;
	return yaml_float(s) ? ST_FLOAT : ST_STR;
}

static const char *type_name(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	switch (scalar_type(n)) {
	case ST_NULL:
		return "null";
	case ST_BOOL:
		return "a boolean";
	case ST_INT:
		return "an integer";
	case ST_FLOAT:
		return "a number";
	default:
		return "a string";
	}
}

static bool is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && scalar_type(n) == ST_NULL;
}

static int expect(struct ctx *c, const yaml_node_t *n, yaml_node_type_t t, const char *path)
{
	if (n->type == t)
		return 0;
	return err_at(c, n, "%s: expected %s, got %s", path,
	              t == YAML_MAPPING_NODE ? "a mapping" : "a list", type_name(n));
}

/* A string field. Null leaves *out alone (the field is unset). */
static int get_str(struct ctx *c, const yaml_node_t *n, const char *path, const char **out)
{
	if (is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE || scalar_type(n) != ST_STR) {
		if (n->type == YAML_SCALAR_NODE)
			return err_at(c, n, "%s: expected a string, got %s (quote it: \"%s\")",
			              path, type_name(n), sval(n));
		return err_at(c, n, "%s: expected a string, got %s", path, type_name(n));
	}
	*out = dup_str(c, sval(n));
	return *out ? 0 : -1;
}

/* A string the API server defaults when it is empty (restartPolicy, protocol,
 * imagePullPolicy...): omitempty, so "" decodes as the zero value that
 * defaulting fills in - as good as absent. *out is left alone, as for null. */
static int get_str_opt(struct ctx *c, const yaml_node_t *n, const char *path, const char **out)
{
	const char *s = NULL;
	if (get_str(c, n, path, &s) < 0)
		return -1;
	if (s && *s)
		*out = s;
	return 0;
}

/* A required, non-empty string. */
static int get_str_req(struct ctx *c, const yaml_node_t *n, const char *path, const char **out)
{
	*out = NULL;
	if (get_str(c, n, path, out) < 0)
		return -1;
	if (!*out || !**out)
		return err_at(c, n, "%s: must not be empty", path);
	return 0;
}

/* An integer field. As Kubernetes reads it: go-yaml v2's integer ("0755" is
 * octal, "0x1F" hex, "1_000" a thousand), or a float that is a whole number
 * ("8080.0", "1e3"): kubectl sends it to the API server in JSON as 8080,
 * which fits an int32 field. */
static int get_int(struct ctx *c, const yaml_node_t *n, const char *path, long min, long max,
                   long *out)
{
	enum stype t = n->type == YAML_SCALAR_NODE ? scalar_type(n) : ST_STR;
	if (t != ST_INT && t != ST_FLOAT)
		return err_at(c, n, "%s: expected an integer, got %s", path, type_name(n));
	const char *num = sval(n);
	int64_t v = 0;
	bool big = false;
	if (t == ST_INT) {
		yaml_int(num, &v, &big);
		const char *d = num + strspn(num, "+-_");
		if (d[0] == '0' && d[strspn(d, "0_")] >= '1' && d[strspn(d, "0_")] <= '7')
			warn_at(c, n, "%s: %s is octal in YAML 1.1, as Kubernetes reads it: %lld",
			        path, num, (long long)v);
	} else {
		/* strtod wants the number without its '_' */
		char buf[128];
		size_t k = 0;
		for (const char *p = num; *p && k + 1 < sizeof(buf); p++)
			if (*p != '_')
				buf[k++] = *p;
		buf[k] = '\0';
		double d = strtod(buf, NULL);
		big = k + 1 >= sizeof(buf) || d <= -9e18 || d >= 9e18; /* .inf too */
		if (d != d || (!big && d != (double)(int64_t)d))       /* .nan, 1.5 */
			return err_at(c, n, "%s: expected an integer, got %s", path, num);
		v = big ? 0 : (int64_t)d;
	}
	if (big || v < min || v > max)
		return err_at(c, n, "%s: %s is out of range (%ld-%ld)", path, num, min, max);
	*out = v;
	return 0;
}

/* YAML 1.1's booleans, as go-yaml v2 reads them */
static int get_bool(struct ctx *c, const yaml_node_t *n, const char *path, bool *out)
{
	static const char *const yes[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
	                                  "True", "TRUE", "on",  "On",  "ON",  NULL};
	if (is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE || scalar_type(n) != ST_BOOL)
		return err_at(c, n, "%s: expected a boolean (true or false), got %s", path,
		              type_name(n));
	*out = matches(sval(n), yes);
	return 0;
}

/* A boolean whose absence means something (the pod's value, a default):
 * -1 unset, 0 false, 1 true. null is not set either, as the API server
 * reads it: *out keeps its -1, and never takes a false it was not given. */
static int get_tristate(struct ctx *c, const yaml_node_t *n, const char *path, int *out)
{
	bool b;
	if (is_null(n))
		return 0;
	if (get_bool(c, n, path, &b) < 0)
		return -1;
	*out = b;
	return 0;
}

/* A quantity's text, copied. Written as a YAML number, kubectl sends it to
 * the API server as a JSON number, go-yaml v2's value: "0x10" is 16 there,
 * "0755" 493, "1_000" 1000 - the quantity parser sees those, in decimal. */
static const char *quantity_text(struct ctx *c, const yaml_node_t *n)
{
	enum stype t = scalar_type(n);
	const char *s = sval(n);
	int64_t v;
	bool big;
	char buf[24];
	if (t == ST_INT && yaml_int(s, &v, &big) && !big) {
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
		return dup_str(c, buf);
	}
	/* a copy: the divisor outlives the document */
	char *d = dup_str(c, s);
	size_t k = 0;
	for (const char *p = s; d && *p; p++)
		if (*p != '_' || (t != ST_INT && t != ST_FLOAT))
			d[k++] = *p;
	if (d)
		d[k] = '\0';
	return d;
}

/* "spec.containers" + 2 -> "spec.containers[2]" (cut short if it ever gets too long) */
static void item_path(char out[PATH_LEN], const char *path, size_t i)
{
	if (snprintf(out, PATH_LEN, "%s[%zu]", path, i) >= PATH_LEN)
		out[PATH_LEN - 1] = '\0';
}

/* A list of strings as a NULL-terminated array (never NULL itself). */
static int get_str_list(struct ctx *c, const yaml_node_t *n, const char *path, char ***out)
{
	size_t count = 0;
	if (!is_null(n)) {
		if (expect(c, n, YAML_SEQUENCE_NODE, path) < 0)
			return -1;
		count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	}
	char **v = alloc(c, (count + 1) * sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = 0; i < count; i++) {
		char p[PATH_LEN];
		item_path(p, path, i);
		yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
		if (!item)
			return err_at(c, n, "%s: too many nodes (aliases?)", p);
		const char *s = NULL;
		if (get_str(c, item, p, &s) < 0)
			return -1;
		if (!s)
			return err_at(c, item, "%s: expected a string, got null", p);
		v[i] = (char *)s;
	}
	*out = v;
	return 0;
}

/* ---- mappings --------------------------------------------------------------- */

/* Iterate over a mapping's keys with their string values and the child path. */
struct field {
	const char *key;
	yaml_node_t *k, *v;
	char path[PATH_LEN];
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t map_len(const yaml_node_t *n);

/* One pass over a mapping's keys with an open-addressing table twice its
 * size: linear in the number of keys. */
static int check_duplicates(struct ctx *c, const yaml_node_t *map, const char *path)
{
	size_t n = map_len(map), cap = 8;
	if (n < 2)
		return 0;
	while (cap < 2 * n)
		cap *= 2;
	_cleanup_free_ const yaml_node_t **slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return fail_msg(ENOMEM, "%s: out of memory", c->file);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *k =
		    yaml_document_get_node(c->doc, map->data.mapping.pairs.start[i].key);
		if (!k || k->type != YAML_SCALAR_NODE)
			continue; /* field_at says what is wrong with it */
		for (size_t h = hash_str(sval(k)) & (cap - 1);; h = (h + 1) & (cap - 1)) {
			if (!slot[h]) {
				slot[h] = k;
				break;
			}
			if (!strcmp(sval(slot[h]), sval(k)))
				return err_at(c, k, "%s%s%s: duplicate key (first at line %d)",
				              path, *path ? "." : "", sval(k),
				              (int)slot[h]->start_mark.line + 1);
		}
	}
	return 0;
}

static int field_at(struct ctx *c, const yaml_node_t *map, size_t i, const char *path,
                    struct field *f)
{
	yaml_node_pair_t *pr = map->data.mapping.pairs.start + i;
	f->k = node(c, pr->key);
	f->v = node(c, pr->value);
	if (!f->k || !f->v)
		return err_at(c, map, "%s: too many nodes (aliases?)", path);
	if (f->k->type != YAML_SCALAR_NODE)
		return err_at(c, f->k, "%s: a key must be a string, got %s", path, type_name(f->k));
	f->key = sval(f->k);
	/* go-yaml v2 merges `<<: *anchor` into the mapping; podrun does not, and
	 * ignoring it (--allow-unsupported) would drop every field it brings */
	if (!strcmp(f->key, "<<") && f->k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		return err_at(c, f->k,
		              "%s%s<<: YAML merge key: podrun does not merge mappings (Kubernetes' "
		              "YAML reader does); write the fields out",
		              path, *path ? "." : "");
	if (snprintf(f->path, sizeof(f->path), "%s%s%s", path, *path ? "." : "", f->key) >=
	    (int)sizeof(f->path))
		f->path[sizeof(f->path) - 1] = '\0';
	/* Duplicate keys: YAML forbids them, Kubernetes' strict decoder too.
	 * The whole mapping is checked once, when its first key is read. */
	if (i == 0)
		return check_duplicates(c, map, path);
	return 0;
}

static size_t map_len(const yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static size_t seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static bool allow_unsupported;

void spec_allow_unsupported(bool allow)
{
	allow_unsupported = allow;
}

/* A field that bounds or protects a container, which podrun cannot honour:
 * running without it would look safe and be less safe. An error, unless the
 * user said --allow-unsupported. Returns 0 when it became a warning. */
static int refused(struct ctx *c, const yaml_node_t *k, const char *path, const char *why)
{
	if (allow_unsupported) {
		warn_at(c, k, "%s: %s; ignored (--allow-unsupported)", path, why);
		return 0;
	}
	return err_at(c, k, "%s: %s (podrun run --allow-unsupported runs the pod without it)", path,
	              why);
}

/* An unknown field where every field bounds or protects a container -
 * securityContext, resources, probes: a misspelled runAsNonRoot or limits
 * would leave the pod running without what it asked for (kubectl's strict
 * decoding refuses it too). */
static int unknown_refused(struct ctx *c, const struct field *f)
{
	return refused(c, f->k, f->path, "unknown field");
}

/* A field podrun does not act on. One of Kubernetes' (in known: a node's
 * scheduling hints, service accounts...) is warned about and ignored. One
 * nobody knows is a typo, and may be of something that protects: a
 * misspelt securityContext or resources drops all it holds, a hostIp its
 * address. Refused, as kubectl's strict field validation refuses it (its
 * default since Kubernetes 1.27). Returns -1 when refused. */
static int ignored(struct ctx *c, const struct field *f, const char *const *known)
{
	if (known && matches(f->key, known)) {
		warn_at(c, f->k, "%s: not supported, ignored", f->path);
		return 0;
	}
	return unknown_refused(c, f);
}

/* ---- quantities and durations ------------------------------------------------ */

int spec_parse_quantity(const char *s, int64_t *out)
{
	/* BEGIN EXERCISE: spec-quantity (hard, 60 min): parse a quantity ("512Mi", "1G", "100m")
	 * Hint: capstone/README.md "Exercises"; Kubernetes' resource.Quantity */
	/* STUB: (void)s; (void)out; return exercise_todo(7, "spec-quantity"); */
	/* number := [+-]? digits [. digits] ; suffix := binary | decimal | e exp.
	 * The value is mant * base^exp / 10^frac, rounded up. Every step is
	 * bounded: the mantissa fits 64 bits, so mant * 2^60 and mant * 10^19
	 * fit the 128-bit products, and 10^frac is never formed past 10^38. */
	static const struct {
		const char *suffix;
		int base, exp;
	} suffixes[] = {
	    {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40},
	    {"Pi", 2, 50}, {"Ei", 2, 60}, {"n", 10, -9}, {"u", 10, -6},
	    {"m", 10, -3}, {"", 10, 0},   {"k", 10, 3},  {"M", 10, 6},
	    {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
	};
	const char *p = s;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	uint64_t mant = 0;
	long frac = 0, zeros = 0; /* zeros: fraction digits '0' not yet multiplied in */
	int digits = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (mant > (UINT64_MAX - 9) / 10)
			goto precision;
		mant = mant * 10 + (unsigned)(*p - '0');
	}
	if (*p == '.') {
		/* Trailing zeros of the fraction change nothing: "0.000…0" is 0,
		 * however many zeros it has. */
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (*p == '0') {
				zeros++;
				continue;
			}
			for (; zeros >= 0; zeros--, frac++) {
				if (mant > (UINT64_MAX - 9) / 10)
					goto precision;
				mant *= 10;
			}
			zeros = 0;
			mant += (unsigned)(*p - '0');
		}
	}
	if (digits == 0)
		return fail_msg(EINVAL, "quantity \"%s\": expected a number", s);
	int base = 10, exp = 0;
	/* "1E" is an exa, "1Ei" an exbi, "1e3" and "1E3" a thousand */
	const char *d = *p ? p + 1 + (p[1] == '-' || p[1] == '+') : p;
	if ((*p == 'e' || *p == 'E') && *d >= '0' && *d <= '9') {
		long e;
		if (parse_long(p + 1, -30, 30, &e) < 0)
			return fail_msg(EINVAL, "quantity \"%s\": bad exponent", s);
		exp = (int)e;
	} else {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(suffixes); i++)
			if (!strcmp(p, suffixes[i].suffix))
				break;
		if (i == ARRAY_SIZE(suffixes))
			return fail_msg(
			    EINVAL,
			    "quantity \"%s\": unknown suffix \"%s\" (Ki Mi Gi Ti Pi Ei, "
			    "n u m k M G T P E, or e<exp>)",
			    s, p);
		base = suffixes[i].base;
		exp = suffixes[i].exp;
	}
	if (neg && mant)
		return fail_msg(ERANGE, "quantity \"%s\": must not be negative here", s);
	if (mant == 0) {
		*out = 0;
		return 0;
	}
	unsigned __int128 num = mant, v;
	long pow10 = base == 10 ? exp - frac : -frac; /* the power of ten left to apply */
	if (base == 2)
		num <<= exp; /* < 2^124 */
	if (pow10 > 19)
		goto range;
	if (pow10 >= 0) {
		for (long i = 0; i < pow10; i++)
			num *= 10; /* base 10 only: mant < 2^64, 10^19 < 2^64 */
		v = num;
	} else if (pow10 < -38) {
		v = 1; /* num < 2^124 < 10^38: more than 0, less than 1, rounded up */
	} else {
		unsigned __int128 div = 1;
		for (long i = 0; i < -pow10; i++)
			div *= 10;
		v = (num + div - 1) / div;
	}
	if (v > INT64_MAX)
		goto range;
	*out = (int64_t)v;
	return 0;
precision:
	return fail_msg(ERANGE, "quantity \"%s\": more significant digits than podrun keeps (19)",
	                s);
range:
	return fail_msg(ERANGE, "quantity \"%s\": too large", s);
	/* END EXERCISE */
}

int spec_parse_milli(const char *s, int64_t *out)
{
	/* The value times 1000: a decimal suffix moves three places up (m -> none,
	 * none -> k, ...), an exponent grows by 3. A binary suffix (CPU never has
	 * one) is whole units, times 1000. */
	static const char *const up[][2] = {{"n", "u"}, {"u", "m"}, {"m", ""},
	                                    {"", "k"},  {"k", "M"}, {"M", "G"},
	                                    {"G", "T"}, {"T", "P"}, {"P", "E"}};
	int64_t v = 0; /* the handout's stub of spec_parse_quantity leaves it unset */
	if (spec_parse_quantity(s, &v) < 0)
		return -1; /* says what is wrong with it */
	size_t n = strlen(s), num = strspn(s, "+-0123456789.");
	const char *suffix = s + num;
	char buf[128];
	if (n + 4 >= sizeof(buf))
		return fail_msg(EINVAL, "quantity \"%s\": too long", s);
	if (*suffix == 'e' || (*suffix == 'E' && suffix[1])) {
		long e;
		if (parse_long(suffix + 1, -30, 30, &e) < 0)
			return fail_msg(EINVAL, "quantity \"%s\": bad exponent", s);
		snprintf(buf, sizeof(buf), "%.*se%ld", (int)num, s, e + 3);
		return spec_parse_quantity(buf, out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(up); i++)
		if (!strcmp(suffix, up[i][0])) {
			snprintf(buf, sizeof(buf), "%.*s%s", (int)num, s, up[i][1]);
			return spec_parse_quantity(buf, out);
		}
	if (v > INT64_MAX / 1000)
		return fail_msg(ERANGE, "quantity \"%s\": too large", s);
	*out = v * 1000; /* "E" (no suffix above it) or a binary suffix */
	return 0;
}

int spec_parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {
	    {"ns", 1},
	    {"us", 1000},
	    {"\u00b5s", 1000},
	    {"ms", 1000000},
	    {"s", 1000000000},
	    {"m", 60 * 1000000000LL},
	    {"h", 3600 * 1000000000LL},
	};
	const char *p = s;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		return fail_msg(EINVAL, "duration \"%s\": empty", s);
	unsigned __int128 total = 0;
	while (*p) {
		unsigned __int128 whole = 0, frac = 0, scale = 1;
		const char *start = p;
		for (; *p >= '0' && *p <= '9'; p++)
			if ((whole = whole * 10 + (unsigned)(*p - '0')) > INT64_MAX)
				goto range;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				if (scale < (unsigned __int128)1e18) {
					frac = frac * 10 + (unsigned)(*p - '0');
					scale *= 10;
				}
		if (p == start || (p == start + 1 && *start == '.'))
			return fail_msg(EINVAL, "duration \"%s\": expected a number", s);
		size_t i, len = 0;
		for (i = 0; i < ARRAY_SIZE(units); i++) {
			len = strlen(units[i].unit);
			/* "m" must not match the start of "ms" */
			if (!strncmp(p, units[i].unit, len) &&
			    !(len == 1 && *p == 'm' && p[1] == 's'))
				break;
		}
		if (i == ARRAY_SIZE(units))
			return fail_msg(
			    EINVAL, "duration \"%s\": missing or unknown unit (ns us ms s m h)", s);
		p += len;
		total += whole * (unsigned __int128)units[i].ns +
		         frac * (unsigned __int128)units[i].ns / scale;
		if (total > INT64_MAX)
			goto range;
	}
	*ns = neg ? -(int64_t)total : (int64_t)total;
	return 0;
range:
	return fail_msg(ERANGE, "duration \"%s\": too large", s);
}

/* ---- names -------------------------------------------------------------------- */

static bool alnum_lower(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

bool spec_dns1123_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum_lower(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* apimachinery's IsDNS1123Subdomain: at most 253 characters, labels of
 * [a-z0-9-] joined by '.', each starting and ending with a letter or digit.
 * Unlike a lone DNS-1123 label, a label here has no 63-character bound: its
 * regex has none, so a pod may be named with 100 letters and no dot. */
bool spec_dns1123_subdomain(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool first = i == 0 || s[i - 1] == '.', last = i + 1 == n || s[i + 1] == '.';
		if (s[i] == '.' ? first || last
		                : !alnum_lower(s[i]) && (s[i] != '-' || first || last))
			return false;
	}
	return true;
}

static int check_label(struct ctx *c, const yaml_node_t *n, const char *path, const char *s)
{
	if (spec_dns1123_label(s))
		return 0;
	return err_at(
	    c, n,
	    "%s: \"%s\" is not a valid name (DNS-1123 label: at most 63 characters, "
	    "lowercase letters, digits and '-', starting and ending with a letter or digit)",
	    path, s);
}

/* ---- the Pod's parts ------------------------------------------------------------ */

/* What bounds or protects a container, or changes what runs in it: refused. */
static const char *const container_refused[] = {
    "volumeDevices",
    "restartPolicyRules",
    NULL,
};

/* Informational for podrun: warned about, then ignored. resizePolicy says
 * whether an in-place resize restarts the container, and podrun resizes
 * nothing in place; the API server writes it into every container with
 * resources (InPlacePodVerticalScaling), so a pod from `kubectl get -o
 * yaml` carries it. */
static const char *const container_unsupported[] = {
    "stdin", "stdinOnce", "tty", "resizePolicy", NULL,
};

static const char *const pod_refused[] = {
    "runtimeClassName", "overhead", "ephemeralContainers", "resourceClaims", "resources", NULL,
};

static const char *const pod_unsupported[] = {
    "nodeName",
    "nodeSelector",
    "affinity",
    "tolerations",
    "automountServiceAccountToken",
    "imagePullSecrets",
    "schedulerName",
    "subdomain",
    "readinessGates",
    "enableServiceLinks",
    "topologySpreadConstraints",
    "preemptionPolicy",
    "setHostnameAsFQDN",
    "schedulingGates",
    NULL,
};

/* ---- env: value, valueFrom, envFrom ------------------------------------------ */

/* Messages in the API server's words (field.Invalid, field.NotSupported,
 * field.Required), so that what a cluster would say and what podrun says
 * read the same. */
static const char *const env_field_paths[] = {
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
    NULL,
};
static const enum spec_env_field env_field_ids[] = {
    SPEC_FIELD_NAME,      SPEC_FIELD_NAMESPACE,       SPEC_FIELD_UID,
    SPEC_FIELD_NODE_NAME, SPEC_FIELD_SERVICE_ACCOUNT, SPEC_FIELD_HOST_IP,
    SPEC_FIELD_HOST_IPS,  SPEC_FIELD_POD_IP,          SPEC_FIELD_POD_IPS,
};
/* Field labels the API server knows for a Pod, but not for env: "Unsupported
 * value" rather than "field label not supported". */
static const char *const pod_field_labels[] = {
    "metadata.annotations",
    "metadata.labels",
    "spec.restartPolicy",
    "spec.schedulerName",
    "status.phase",
    "spec.terminationGracePeriodSeconds",
    NULL,
};
static const char *const env_resources[] = {"limits.cpu", "limits.memory", "requests.cpu",
                                            "requests.memory", NULL};

#define QNAME_RE "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'"
#define QNAME_MSG                                                                                  \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end "        \
	"with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "            \
	"regex used for validation is " QNAME_RE ")"
#define DNS1123_SUBDOMAIN_MSG                                                                      \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "      \
	"'-' or '.', and must start and end with an alphanumeric character (e.g. "                 \
	"'example.com', regex used for validation is "                                             \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

static bool qname_char(char ch, bool ext)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ext && (ch == '-' || ch == '_' || ch == '.'));
}

/* apimachinery's IsQualifiedName, its first complaint: "[prefix/]name",
 * the prefix a DNS-1123 subdomain, the name at most 63 characters. NULL when
 * the key is fine. */
static const char *qualified_name_error(const char *key)
{
	const char *slash = strchr(key, '/'), *name = key;
	if (slash && strchr(slash + 1, '/'))
		return "a qualified name " QNAME_MSG
		       " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
	if (slash) {
		size_t plen = (size_t)(slash - key);
		char prefix[256];
		if (plen == 0)
			return "prefix part must be non-empty";
		if (plen >= sizeof(prefix))
			return "prefix part must be no more than 253 characters";
		memcpy(prefix, key, plen);
		prefix[plen] = '\0';
		if (!spec_dns1123_subdomain(prefix))
			return "prefix part " DNS1123_SUBDOMAIN_MSG;
		name = slash + 1;
	}
	size_t n = strlen(name);
	if (n == 0)
		return "name part must be non-empty";
	if (n > 63)
		return "name part must be no more than 63 characters";
	bool ok = qname_char(name[0], false) && qname_char(name[n - 1], false);
	for (size_t i = 0; ok && i < n; i++)
		ok = qname_char(name[i], true);
	return ok ? NULL : "name part " QNAME_MSG;
}

static int parse_field_ref(struct ctx *c, const yaml_node_t *n, const char *path,
                           struct spec_env *e)
{
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	const char *api = NULL, *fp = NULL;
	const yaml_node_t *api_node = n, *fp_node = n;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (!strcmp(f.key, "apiVersion")) {
			if (get_str(c, f.v, f.path, &api) < 0)
				return -1;
			api_node = f.v;
		} else if (!strcmp(f.key, "fieldPath")) {
			if (get_str(c, f.v, f.path, &fp) < 0)
				return -1;
			fp_node = f.v;
		} else {
			if (ignored(c, &f, NULL) < 0)
				return -1;
		}
	}
	if (!fp || !*fp)
		return err_at(c, fp_node, "%s.fieldPath: Required value", path);
	/* apiVersion defaults to "v1"; any other is refused when converted */
	if (api && *api && strcmp(api, "v1"))
		return err_at(c, api_node,
		              "%s.fieldPath: Invalid value: \"%s\": error converting fieldPath: "
		              "unsupported pod version: %s",
		              path, fp, api);
	e->kind = SPEC_ENV_FIELD;
	e->path = fp;
	/* fieldpath.SplitMaybeSubscriptedPath: "X['KEY']", X not empty */
	size_t len = strlen(fp);
	const char *open = strstr(fp, "['");
	if (len >= 2 && !strcmp(fp + len - 2, "']") && open && open > fp &&
	    open + 2 <= fp + len - 2) {
		size_t plen = (size_t)(open - fp), klen = (size_t)(fp + len - 2 - (open + 2));
		char *key = alloc(c, klen + 1);
		if (!key)
			return -1;
		memcpy(key, open + 2, klen);
		bool labels = plen == 15 && !strncmp(fp, "metadata.labels", plen);
		bool annotations = plen == 20 && !strncmp(fp, "metadata.annotations", plen);
		if (!labels && !annotations)
			return err_at(c, fp_node,
			              "%s.fieldPath: Invalid value: \"%s\": error converting "
			              "fieldPath: field label does not support subscript: %s",
			              path, fp, fp);
		/* an annotation's key is checked in lower case, a label's as it is */
		char lower[PATH_LEN];
		snprintf(lower, sizeof(lower), "%s", key);
		for (char *p = lower; annotations && *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		const char *why = qualified_name_error(klen >= sizeof(lower) ? key : lower);
		if (why)
			return err_at(c, fp_node, "%s: Invalid value: \"%s\": %s", path, key, why);
		e->field = labels ? SPEC_FIELD_LABEL : SPEC_FIELD_ANNOTATION;
		e->key = key;
		return 0;
	}
	const char *label = !strcmp(fp, "spec.host") ? "spec.nodeName" : fp; /* old v1 clients */
	for (size_t i = 0; env_field_paths[i]; i++)
		if (!strcmp(label, env_field_paths[i])) {
			e->field = env_field_ids[i];
			return 0;
		}
	if (matches(fp, pod_field_labels))
		return err_at(c, fp_node,
		              "%s.fieldPath: Unsupported value: \"%s\": supported values: "
		              "\"metadata.name\", \"metadata.namespace\", \"metadata.uid\", "
		              "\"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", "
		              "\"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
		              path, fp);
	return err_at(c, fp_node,
	              "%s.fieldPath: Invalid value: \"%s\": error converting fieldPath: field "
	              "label not supported: %s",
	              path, fp, fp);
}

/* The quantity's exact value as a long double, and whether it was written
 * with a binary suffix: the API server compares the divisor's canonical form
 * ("1", "1m", "1Ki"), which these two decide. */
static int quantity_exact(const char *s, long double *v, bool *binary)
{
	static const struct {
		const char *suffix;
		long double mul;
	} sfx[] = {
	    {"Ki", 0x1p10L}, {"Mi", 0x1p20L}, {"Gi", 0x1p30L}, {"Ti", 0x1p40L},
	    {"Pi", 0x1p50L}, {"Ei", 0x1p60L}, {"n", 1e-9L},    {"u", 1e-6L},
	    {"m", 1e-3L},    {"", 1},         {"k", 1e3L},     {"M", 1e6L},
	    {"G", 1e9L},     {"T", 1e12L},    {"P", 1e15L},    {"E", 1e18L},
	};
	int64_t check;
	if (spec_parse_quantity(s, &check) < 0)
		return -1;
	size_t num = strspn(s, "+-0123456789.");
	char buf[64];
	if (num >= sizeof(buf))
		return fail_msg(EINVAL, "quantity \"%s\": too long", s);
	memcpy(buf, s, num);
	buf[num] = '\0';
	long double x = strtold(buf, NULL);
	const char *suffix = s + num;
	*binary = suffix[0] && suffix[1] == 'i';
	if (*suffix == 'e' || *suffix == 'E') {
		long e;
		if (suffix[1] && parse_long(suffix + 1, -30, 30, &e) == 0) {
			for (; e > 0; e--)
				x *= 10;
			for (; e < 0; e++)
				x /= 10;
			*v = x;
			return 0;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++)
		if (!strcmp(suffix, sfx[i].suffix)) {
			*v = x * sfx[i].mul;
			return 0;
		}
	return fail_msg(EINVAL, "quantity \"%s\": bad suffix", s);
}

static bool near(long double a, long double b)
{
	long double d = a > b ? a - b : b - a;
	return d <= b * 1e-15L;
}

static int parse_resource_ref(struct ctx *c, const yaml_node_t *n, const char *path,
                              struct spec_env *e)
{
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	const char *res = NULL;
	const yaml_node_t *res_node = n, *div_node = NULL;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (!strcmp(f.key, "resource")) {
			if (get_str(c, f.v, f.path, &res) < 0)
				return -1;
			res_node = f.v;
		} else if (!strcmp(f.key, "containerName")) {
			if (get_str(c, f.v, f.path, &e->container) < 0)
				return -1;
			if (e->container && !*e->container)
				e->container = NULL; /* "": this container */
			e->ctr_mark = mark_of(f.v);
		} else if (!strcmp(f.key, "divisor")) {
			if (is_null(f.v))
				continue;
			/* a quantity may be written as a number: 1 */
			if (f.v->type != YAML_SCALAR_NODE || scalar_type(f.v) == ST_BOOL)
				return err_at(c, f.v, "%s: expected a quantity, got %s", f.path,
				              type_name(f.v));
			if (!(e->divisor = quantity_text(c, f.v)))
				return -1;
			div_node = f.v;
		} else {
			if (ignored(c, &f, NULL) < 0)
				return -1;
		}
	}
	if (!res || !*res)
		return err_at(c, res_node, "%s.resource: Required value", path);
	size_t r;
	for (r = 0; env_resources[r]; r++)
		if (!strcmp(res, env_resources[r]))
			break;
	if (!env_resources[r])
		return err_at(c, res_node,
		              "%s.resource: Unsupported value: \"%s\": supported values: "
		              "\"limits.cpu\", \"limits.memory\", \"requests.cpu\", "
		              "\"requests.memory\"",
		              path, res);
	e->kind = SPEC_ENV_RESOURCE;
	e->path = res;
	e->resource = (enum spec_env_resource)r;
	bool cpu = e->resource == SPEC_RES_LIMITS_CPU || e->resource == SPEC_RES_REQUESTS_CPU;
	e->divisor_units = cpu ? 1000 : 1; /* "1" */
	if (!e->divisor)
		return 0;
	long double v = 0;
	bool binary = false;
	if (quantity_exact(e->divisor, &v, &binary) < 0)
		return err_at(c, div_node, "%s.divisor: %s", path, last_error());
	if (v == 0) {
		e->divisor = NULL; /* zero is unset: 1 */
		return 0;
	}
	bool ok = false;
	if (cpu) {
		/* "1m" or "1" (also written "1000m", "0.001", "1e-3") */
		ok = !binary && (near(v, 1) || near(v, 0.001L));
		e->divisor_units = near(v, 1) ? 1000 : 1;
	} else {
		/* 1, 1k ... 1E, or 1Ki ... 1Ei */
		long double p = 1;
		for (int k = 0; k <= 6 && !ok; k++, p *= binary ? 1024 : 1000)
			if (near(v, p)) {
				ok = true;
				e->divisor_units = (int64_t)p;
			}
	}
	if (!ok)
		return err_at(c, div_node,
		              "%s.divisor: Invalid value: \"%s\": only divisor's values %s are "
		              "supported with the %s resource",
		              path, res,
		              cpu ? "1m and 1"
		                  : "1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei",
		              cpu ? "cpu" : "memory");
	return 0;
}

/* configMapKeyRef, secretKeyRef (key: true), configMapRef, secretRef. What
 * would need the API server: *needed is set unless optional: true. */
static int parse_object_ref(struct ctx *c, const yaml_node_t *n, const char *path, bool key,
                            bool *needed, const char **name_out)
{
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	const char *name = NULL, *k = NULL;
	const yaml_node_t *name_node = n, *key_node = n;
	bool optional = false;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (!strcmp(f.key, "name")) {
			if (get_str(c, f.v, f.path, &name) < 0)
				return -1;
			name_node = f.v;
		} else if (key && !strcmp(f.key, "key")) {
			if (get_str(c, f.v, f.path, &k) < 0)
				return -1;
			key_node = f.v;
		} else if (!strcmp(f.key, "optional")) {
			if (get_bool(c, f.v, f.path, &optional) < 0)
				return -1;
		} else {
			if (ignored(c, &f, NULL) < 0)
				return -1;
		}
	}
	if (!name || !spec_dns1123_subdomain(name))
		return err_at(c, name_node,
		              "%s.name: Invalid value: \"%s\": " DNS1123_SUBDOMAIN_MSG, path,
		              name ? name : "");
	if (key && (!k || !*k))
		return err_at(c, key_node, "%s.key: Required value", path);
	*needed = !optional;
	*name_out = name;
	return 0;
}

PRINTF(4, 5)
static int no_api_server(struct ctx *c, const yaml_node_t *n, const char *path, const char *fmt,
                         ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_at(c, n,
	              "%s: podrun has no API server: %s cannot be read (write the value into the "
	              "pod, or mark the reference optional: true: the variable is then not set, "
	              "as when the object is missing)",
	              path, what);
}

/* valueFrom. 1: an entry to keep, 0: an optional reference that sets
 * nothing, -1: error. value: the entry's value, which must then be empty. */
static int parse_value_from(struct ctx *c, const yaml_node_t *n, const char *path,
                            const char *value, struct spec_env *e)
{
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	int sources = 0;
	const yaml_node_t *ref = NULL;
	char ref_path[PATH_LEN] = "", what[320] = "";
	bool needed = false, keep = true;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (!strcmp(f.key, "fieldRef")) {
			sources++;
			if (parse_field_ref(c, f.v, f.path, e) < 0)
				return -1;
		} else if (!strcmp(f.key, "resourceFieldRef")) {
			sources++;
			if (parse_resource_ref(c, f.v, f.path, e) < 0)
				return -1;
		} else if (!strcmp(f.key, "configMapKeyRef") || !strcmp(f.key, "secretKeyRef")) {
			const char *name;
			sources++;
			if (parse_object_ref(c, f.v, f.path, true, &needed, &name) < 0)
				return -1;
			keep = false;
			ref = f.k;
			snprintf(ref_path, sizeof(ref_path), "%s", f.path);
			snprintf(what, sizeof(what), "%s \"%s\"",
			         f.key[0] == 'c' ? "ConfigMap" : "Secret", name);
		} else {
			if (ignored(c, &f, NULL) < 0)
				return -1;
		}
	}
	if (sources == 0)
		return err_at(c, n,
		              "%s: Invalid value: \"\": must specify one of: `fieldRef`, "
		              "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
		              path);
	if (*value)
		return err_at(
		    c, n, "%s: Invalid value: \"\": may not be specified when `value` is not empty",
		    path);
	if (sources > 1)
		return err_at(c, n,
		              "%s: Invalid value: \"\": may not have more than one field specified "
		              "at a time",
		              path);
	if (needed)
		return no_api_server(c, ref, ref_path, "%s", what);
	return keep;
}

/* An env entry's name, and envFrom's prefix: apimachinery's
 * IsRelaxedEnvVarName (Kubernetes 1.32 on): printable ASCII but '='. A
 * control character (a newline, an escape) or a byte past ASCII is refused,
 * as '=' is: "NAME=value" would not say which name it sets. */
static int check_env_name(struct ctx *c, const yaml_node_t *n, const char *path, const char *name)
{
	char q[256];
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '=')
			return err_at(
			    c, n,
			    "%s: Invalid value: \"%s\": a valid environment variable name "
			    "must consist only of printable ASCII characters other than '='",
			    path, quoted(name, q, sizeof(q)));
	return 0;
}

static int parse_env(struct ctx *c, const yaml_node_t *n, const char *path,
                     struct spec_container *ct)
{
	size_t count = 0;
	if (!is_null(n)) {
		if (expect(c, n, YAML_SEQUENCE_NODE, path) < 0)
			return -1;
		count = seq_len(n);
	}
	char **env = alloc(c, (count + 1) * sizeof(*env));
	struct spec_env *envs = alloc(c, (count + 1) * sizeof(*envs));
	if (!env || !envs)
		return -1;
	size_t n_env = 0, n_envs = 0;
	for (size_t i = 0; i < count; i++) {
		char p[PATH_LEN];
		item_path(p, path, i);
		yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
		if (!item)
			return err_at(c, n, "%s: too many nodes (aliases?)", p);
		if (expect(c, item, YAML_MAPPING_NODE, p) < 0)
			return -1;
		const char *name = NULL, *value = "";
		const yaml_node_t *from = NULL;
		char from_path[PATH_LEN] = "";
		for (size_t j = 0; j < map_len(item); j++) {
			struct field f;
			if (field_at(c, item, j, p, &f) < 0)
				return -1;
			if (!strcmp(f.key, "name")) {
				if (get_str_req(c, f.v, f.path, &name) < 0 ||
				    check_env_name(c, f.v, f.path, name) < 0)
					return -1;
			} else if (!strcmp(f.key, "value")) {
				if (get_str(c, f.v, f.path, &value) < 0)
					return -1;
			} else if (!strcmp(f.key, "valueFrom")) {
				from = f.v;
				snprintf(from_path, sizeof(from_path), "%s", f.path);
			} else {
				if (ignored(c, &f, NULL) < 0)
					return -1;
			}
		}
		if (!name)
			return err_at(c, item, "%s.name: required", p);
		struct spec_env *e = &envs[n_envs];
		*e = (struct spec_env){.name = name,
		                       .kind = SPEC_ENV_VALUE,
		                       .value = value,
		                       .index = i,
		                       .mark = mark_of(item)};
		/* valueFrom after the loop: its checks need value, wherever it is */
		if (from && !is_null(from)) {
			int r = parse_value_from(c, from, from_path, value, e);
			if (r < 0)
				return -1;
			if (r == 0)
				continue; /* optional, and podrun has no API server: not set */
			n_envs++;
			continue;
		}
		n_envs++;
		size_t len = strlen(name) + strlen(value) + 2;
		if (!(env[n_env] = alloc(c, len)))
			return -1;
		snprintf(env[n_env++], len, "%s=%s", name, value);
	}
	ct->env = env;
	ct->envs = envs;
	ct->n_envs = n_envs;
	return 0;
}

/* envFrom: every source needs the API server; an optional one sets nothing,
 * as when its object is missing. */
static int parse_env_from(struct ctx *c, const yaml_node_t *n, const char *path)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_SEQUENCE_NODE, path) < 0)
		return -1;
	for (size_t i = 0; i < seq_len(n); i++) {
		char p[PATH_LEN];
		item_path(p, path, i);
		yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
		if (!item)
			return err_at(c, n, "%s: too many nodes (aliases?)", p);
		if (expect(c, item, YAML_MAPPING_NODE, p) < 0)
			return -1;
		int sources = 0;
		bool needed = false;
		const yaml_node_t *ref = NULL;
		char ref_path[PATH_LEN] = "", what[320] = "";
		for (size_t j = 0; j < map_len(item); j++) {
			struct field f;
			if (field_at(c, item, j, p, &f) < 0)
				return -1;
			if (!strcmp(f.key, "configMapRef") || !strcmp(f.key, "secretRef")) {
				const char *name;
				bool need = false;
				sources++;
				if (parse_object_ref(c, f.v, f.path, false, &need, &name) < 0)
					return -1;
				if (need && !needed) {
					needed = true;
					ref = f.k;
					snprintf(ref_path, sizeof(ref_path), "%s", f.path);
					snprintf(what, sizeof(what), "%s \"%s\"",
					         f.key[0] == 'c' ? "ConfigMap" : "Secret", name);
				}
			} else if (!strcmp(f.key, "prefix")) {
				const char *prefix = NULL;
				if (get_str(c, f.v, f.path, &prefix) < 0 ||
				    (prefix && *prefix &&
				     check_env_name(c, f.v, f.path, prefix) < 0))
					return -1;
			} else {
				if (ignored(c, &f, NULL) < 0)
					return -1;
			}
		}
		if (sources == 0)
			return err_at(
			    c, item,
			    "%s: Invalid value: \"\": must specify one of: `configMapRef` or "
			    "`secretRef`",
			    path);
		if (sources > 1)
			return err_at(c, item,
			              "%s: Invalid value: \"\": may not have more than one field "
			              "specified at a time",
			              path);
		if (needed)
			return no_api_server(c, ref, ref_path, "%s", what);
	}
	return 0;
}

void spec_env_describe(const struct spec_env *e, char *buf, size_t len)
{
	if (e->kind == SPEC_ENV_VALUE) {
		snprintf(buf, len, "%s=%s", e->name, e->value);
	} else if (e->kind == SPEC_ENV_FIELD) {
		snprintf(buf, len, "%s from fieldRef %s", e->name, e->path);
	} else {
		int n = snprintf(buf, len, "%s from resourceFieldRef %s", e->name, e->path);
		if (n >= 0 && (size_t)n < len && (e->container || e->divisor))
			snprintf(buf + n, len - (size_t)n, " (%s%s%s%s%s)",
			         e->container ? "container " : "", e->container ? e->container : "",
			         e->container && e->divisor ? ", " : "",
			         e->divisor ? "divisor " : "", e->divisor ? e->divisor : "");
	}
}

static int parse_ports(struct ctx *c, const yaml_node_t *n, const char *path,
                       struct spec_container *ct)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_SEQUENCE_NODE, path) < 0)
		return -1;
	ct->n_ports = seq_len(n);
	if (!(ct->ports = alloc(c, (ct->n_ports + 1) * sizeof(*ct->ports))))
		return -1;
	for (size_t i = 0; i < ct->n_ports; i++) {
		char p[PATH_LEN];
		item_path(p, path, i);
		yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
		if (!item)
			return err_at(c, n, "%s: too many nodes (aliases?)", p);
		if (expect(c, item, YAML_MAPPING_NODE, p) < 0)
			return -1;
		struct spec_port *pt = &ct->ports[i];
		pt->host_ip = "0.0.0.0";
		pt->mark = mark_of(item);
		for (size_t j = 0; j < map_len(item); j++) {
			struct field f;
			long v;
			if (field_at(c, item, j, p, &f) < 0)
				return -1;
			if (!strcmp(f.key, "containerPort")) {
				if (get_int(c, f.v, f.path, 1, 65535, &v) < 0)
					return -1;
				pt->container_port = (int)v;
			} else if (!strcmp(f.key, "hostPort")) {
				if (is_null(f.v))
					continue;
				if (get_int(c, f.v, f.path, 0, 65535, &v) < 0)
					return -1;
				pt->host_port = (int)v;
			} else if (!strcmp(f.key, "hostIP")) {
				struct in_addr a;
				if (get_str_opt(c, f.v, f.path, &pt->host_ip) < 0)
					return -1;
				if (inet_pton(AF_INET, pt->host_ip, &a) != 1)
					return err_at(c, f.v, "%s: \"%s\" is not an IPv4 address",
					              f.path, pt->host_ip);
			} else if (!strcmp(f.key, "protocol")) {
				const char *proto = NULL;
				if (get_str_opt(c, f.v, f.path, &proto) < 0)
					return -1;
				if (proto && strcmp(proto, "TCP"))
					return err_at(
					    c, f.v,
					    "%s: \"%s\" is not supported (podrun forwards TCP "
					    "only)",
					    f.path, proto);
			} else if (!strcmp(f.key, "name")) {
				const char *why;
				if (get_str(c, f.v, f.path, &pt->name) < 0)
					return -1;
				if (pt->name && !*pt->name)
					pt->name = NULL; /* "": unnamed */
				if (pt->name && (why = probe_port_name_error(pt->name)))
					return err_at(c, f.v, "%s: Invalid value: \"%s\": %s",
					              f.path, pt->name, why);
				/* a probe's or a hook's port names one: unique in the
				 * container (validateContainerPorts) */
				for (size_t k = 0; pt->name && k < i; k++)
					if (ct->ports[k].name &&
					    !strcmp(ct->ports[k].name, pt->name))
						return err_at(c, f.v, "%s: Duplicate value: \"%s\"",
						              f.path, pt->name);
			} else {
				if (ignored(c, &f, NULL) < 0)
					return -1;
			}
		}
		if (!pt->container_port)
			return err_at(c, item, "%s.containerPort: required", p);
	}
	return 0;
}

static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

bool spec_local_path(const char *path)
{
	return path[0] != '/' && !has_dotdot(path);
}

/* subPath and subPathExpr: a path beneath the volume, as the API server's
 * validateLocalDescendingPath wants it. */
static int check_sub_path(struct ctx *c, const struct field *f, const char *sub)
{
	if (sub[0] == '/')
		return err_at(c, f->v, "%s: \"%s\" must be a relative path", f->path, sub);
	if (has_dotdot(sub))
		return err_at(c, f->v, "%s: \"%s\" must not contain '..'", f->path, sub);
	return 0;
}

static int parse_mounts(struct ctx *c, const yaml_node_t *n, const char *path,
                        struct spec_container *ct)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_SEQUENCE_NODE, path) < 0)
		return -1;
	ct->n_mounts = seq_len(n);
	if (!(ct->mounts = alloc(c, (ct->n_mounts + 1) * sizeof(*ct->mounts))))
		return -1;
	for (size_t i = 0; i < ct->n_mounts; i++) {
		char p[PATH_LEN];
		item_path(p, path, i);
		yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
		if (!item)
			return err_at(c, n, "%s: too many nodes (aliases?)", p);
		if (expect(c, item, YAML_MAPPING_NODE, p) < 0)
			return -1;
		struct spec_mount *m = &ct->mounts[i];
		m->mark = mark_of(item);
		const yaml_node_t *expr_node = NULL;
		for (size_t j = 0; j < map_len(item); j++) {
			struct field f;
			if (field_at(c, item, j, p, &f) < 0)
				return -1;
			if (!strcmp(f.key, "name")) {
				if (get_str_req(c, f.v, f.path, &m->name) < 0)
					return -1;
			} else if (!strcmp(f.key, "mountPath")) {
				if (get_str_req(c, f.v, f.path, &m->mount_path) < 0)
					return -1;
				if (m->mount_path[0] != '/')
					return err_at(c, f.v, "%s: \"%s\" must be an absolute path",
					              f.path, m->mount_path);
			} else if (!strcmp(f.key, "subPath")) {
				if (get_str(c, f.v, f.path, &m->sub_path) < 0 ||
				    (m->sub_path && check_sub_path(c, &f, m->sub_path) < 0))
					return -1;
			} else if (!strcmp(f.key, "subPathExpr")) {
				if (get_str(c, f.v, f.path, &m->sub_path_expr) < 0 ||
				    (m->sub_path_expr &&
				     check_sub_path(c, &f, m->sub_path_expr) < 0))
					return -1;
				if (m->sub_path_expr && !*m->sub_path_expr)
					m->sub_path_expr = NULL; /* "": not set */
				expr_node = f.v;
			} else if (!strcmp(f.key, "readOnly")) {
				if (get_bool(c, f.v, f.path, &m->read_only) < 0)
					return -1;
			} else if (ignored(c, &f,
			                   (const char *const[]){"mountPropagation",
			                                         "recursiveReadOnly", NULL}) < 0) {
				/* a typo (readonly) would leave the volume writable */
				return -1;
			}
		}
		if (!m->name)
			return err_at(c, item, "%s.name: required", p);
		if (!m->mount_path)
			return err_at(c, item, "%s.mountPath: required", p);
		if (m->sub_path_expr && m->sub_path && *m->sub_path)
			return err_at(
			    c, expr_node,
			    "%s.subPathExpr: Invalid value: \"%s\": subPathExpr and subPath "
			    "are mutually exclusive",
			    p, m->sub_path_expr);
	}
	return 0;
}

/* The fields a pod's and a container's securityContext share. 1: taken,
 * 0: not one of them, -1: error. */
static int parse_security_common(struct ctx *c, struct field *f, struct spec_security *sec)
{
	long v;
	if (!strcmp(f->key, "runAsUser") || !strcmp(f->key, "runAsGroup")) {
		if (is_null(f->v)) /* no value: the pod's, or the image's user */
			return 1;
		if (get_int(c, f->v, f->path, 0, 2147483647L, &v) < 0)
			return -1;
		*(f->key[5] == 'U' ? &sec->run_as_user : &sec->run_as_group) = v;
	} else if (!strcmp(f->key, "runAsNonRoot")) {
		if (get_tristate(c, f->v, f->path, &sec->run_as_non_root) < 0)
			return -1;
	} else if (!strcmp(f->key, "seccompProfile")) {
		if (is_null(f->v))
			return 1;
		if (expect(c, f->v, YAML_MAPPING_NODE, f->path) < 0)
			return -1;
		const char *type = NULL, *profile = NULL;
		const yaml_node_t *type_node = f->v, *profile_node = NULL;
		for (size_t j = 0; j < map_len(f->v); j++) {
			struct field g;
			if (field_at(c, f->v, j, f->path, &g) < 0)
				return -1;
			if (!strcmp(g.key, "type")) {
				if (get_str(c, g.v, g.path, &type) < 0)
					return -1;
				type_node = g.v;
			} else if (!strcmp(g.key, "localhostProfile")) {
				if (get_str(c, g.v, g.path, &profile) < 0)
					return -1;
				profile_node = g.v;
			} else if (unknown_refused(c, &g) < 0) {
				return -1;
			}
		}
		if (!type)
			return err_at(c, f->v,
			              "%s.type: required (RuntimeDefault, Unconfined, Localhost)",
			              f->path);
		enum ctr_seccomp_type t;
		if (ctr_seccomp_parse_type(type, &t) < 0)
			return err_at(
			    c, type_node,
			    "%s.type: \"%s\" is not a seccomp profile type (RuntimeDefault, "
			    "Unconfined, Localhost)",
			    f->path, type);
		sec->seccomp = (int)t;
		if (t == CTR_SECCOMP_LOCALHOST) {
			/* kubelet reads it beneath its seccomp root; so do we */
			if (!profile || !*profile || profile[0] == '/' || has_dotdot(profile))
				return err_at(
				    c, profile_node ? profile_node : f->v,
				    "%s.localhostProfile: a relative path without \"..\" is "
				    "required with type Localhost",
				    f->path);
			sec->seccomp_profile = profile;
		}
		if (profile && strcmp(type, "Localhost"))
			return err_at(c, profile_node,
			              "%s.localhostProfile: only with type Localhost", f->path);
	} else if (!strcmp(f->key, "seLinuxOptions") || !strcmp(f->key, "appArmorProfile")) {
		return refused(c, f->k, f->path, "not supported") < 0 ? -1 : 1;
	} else if (!strcmp(f->key, "windowsOptions")) {
		if (is_null(f->v))
			return 1;
		warn_at(c, f->k, "%s: Windows only, ignored", f->path);
		/* validateLinux refuses it once spec.os.name says linux: the
		 * first is remembered, to say so when the pod is read */
		if (!c->windows_options.line) {
			c->windows_options = mark_of(f->k);
			snprintf(c->windows_path, sizeof(c->windows_path), "%s", f->path);
		}
	} else {
		return 0;
	}
	return 1;
}

static int parse_security(struct ctx *c, const yaml_node_t *n, const char *path,
                          struct spec_container *ct)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		int r;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if ((r = parse_security_common(c, &f, &ct->sec)) != 0) {
			if (r < 0)
				return -1;
		} else if (!strcmp(f.key, "privileged")) {
			if (get_bool(c, f.v, f.path, &ct->privileged) < 0)
				return -1;
		} else if (!strcmp(f.key, "readOnlyRootFilesystem")) {
			if (get_bool(c, f.v, f.path, &ct->read_only_root) < 0)
				return -1;
		} else if (!strcmp(f.key, "allowPrivilegeEscalation")) {
			if (get_tristate(c, f.v, f.path, &ct->sec.allow_privilege_escalation) < 0)
				return -1;
		} else if (!strcmp(f.key, "procMount")) {
			const char *pm = NULL;
			if (get_str(c, f.v, f.path, &pm) < 0)
				return -1;
			if (pm && strcmp(pm, "Default") &&
			    refused(c, f.k, f.path, "only \"Default\" is supported") < 0)
				return -1;
		} else if (!strcmp(f.key, "capabilities")) {
			if (is_null(f.v))
				continue;
			if (expect(c, f.v, YAML_MAPPING_NODE, f.path) < 0)
				return -1;
			for (size_t j = 0; j < map_len(f.v); j++) {
				struct field g;
				if (field_at(c, f.v, j, f.path, &g) < 0)
					return -1;
				if (!strcmp(g.key, "add")) {
					if (get_str_list(c, g.v, g.path, (char ***)&ct->cap_add) <
					    0)
						return -1;
				} else if (!strcmp(g.key, "drop")) {
					if (get_str_list(c, g.v, g.path, (char ***)&ct->cap_drop) <
					    0)
						return -1;
				} else if (unknown_refused(c, &g) < 0) {
					return -1;
				}
			}
		} else if (unknown_refused(c, &f) < 0) {
			return -1;
		}
	}
	return 0;
}

/* spec.securityContext */
static int parse_pod_security(struct ctx *c, const yaml_node_t *n, const char *path,
                              struct pod_spec *pod)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		int r;
		long v;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if ((r = parse_security_common(c, &f, &pod->sec)) != 0) {
			if (r < 0)
				return -1;
		} else if (!strcmp(f.key, "fsGroup")) {
			if (is_null(f.v))
				continue;
			if (get_int(c, f.v, f.path, 0, 2147483647L, &v) < 0)
				return -1;
			pod->fs_group = v;
		} else if (!strcmp(f.key, "supplementalGroups")) {
			if (is_null(f.v))
				continue;
			if (expect(c, f.v, YAML_SEQUENCE_NODE, f.path) < 0)
				return -1;
			size_t k = seq_len(f.v);
			if (k > 64)
				return err_at(c, f.v, "%s: more than 64 groups", f.path);
			if (!(pod->supplemental_groups = alloc(c, (k + 1) * sizeof(int64_t))))
				return -1;
			for (size_t j = 0; j < k; j++) {
				char p[PATH_LEN];
				item_path(p, f.path, j);
				yaml_node_t *item = node(c, f.v->data.sequence.items.start[j]);
				if (!item)
					return err_at(c, f.v, "%s: too many nodes (aliases?)", p);
				if (get_int(c, item, p, 0, 2147483647L, &v) < 0)
					return -1;
				pod->supplemental_groups[j] = v;
			}
			pod->n_supplemental_groups = k;
		} else if (!strcmp(f.key, "sysctls")) {
			/* an empty list asks for nothing: kubelet sets no sysctl */
			bool none =
			    is_null(f.v) || (f.v->type == YAML_SEQUENCE_NODE && seq_len(f.v) == 0);
			if (!none && refused(c, f.k, f.path, "not supported") < 0)
				return -1;
		} else if (!strcmp(f.key, "supplementalGroupsPolicy")) {
			/* null or absent is Merge, as kubelet passes it to the runtime */
			const char *pol = NULL;
			if (get_str(c, f.v, f.path, &pol) < 0)
				return -1;
			if (pol && strcmp(pol, "Strict") && strcmp(pol, "Merge"))
				return err_at(c, f.v,
				              "%s: Unsupported value: \"%s\": supported values: "
				              "\"Merge\", \"Strict\"",
				              f.path, pol);
			pod->groups_strict = pol && !strcmp(pol, "Strict");
		} else if (ignored(c, &f,
		                   (const char *const[]){"fsGroupChangePolicy",
		                                         "seLinuxChangePolicy", NULL}) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The pod's securityContext under each container's, Kubernetes' defaults
 * where neither says, and the checks the API server makes on the result. */
static int merge_security(struct ctx *c, struct pod_spec *pod)
{
	for (size_t i = 0; i < pod->n_ctrs; i++) {
		struct spec_container *ct = &pod->ctrs[i];
		struct spec_security *s = &ct->sec;
		const struct spec_security *p = &pod->sec;
		if (s->run_as_user < 0)
			s->run_as_user = p->run_as_user;
		if (s->run_as_group < 0)
			s->run_as_group = p->run_as_group;
		if (s->run_as_non_root < 0)
			s->run_as_non_root = p->run_as_non_root;
		if (s->seccomp < 0) {
			s->seccomp = p->seccomp;
			s->seccomp_profile = p->seccomp_profile;
		}
		/* RuntimeDefault when nobody says, as podman does and kubelet with
		 * --seccomp-default; a privileged container runs unconfined. */
		if (s->seccomp < 0 || ct->privileged)
			s->seccomp =
			    ct->privileged ? CTR_SECCOMP_UNCONFINED : CTR_SECCOMP_RUNTIME_DEFAULT;
		if (s->allow_privilege_escalation == 0 && ct->privileged)
			return err_at_mark(c, ct->sec_mark,
			                   "cannot set allowPrivilegeEscalation to false and "
			                   "privileged to true");
		/* podrun is stricter than the API server's default (true): a
		 * container gains no privilege through execve unless it asks. */
		if (s->allow_privilege_escalation < 0)
			s->allow_privilege_escalation = ct->privileged;
		size_t n = pod->n_supplemental_groups + (pod->fs_group >= 0);
		if (!(ct->groups = alloc(c, (n + 1) * sizeof(int64_t))))
			return -1;
		for (size_t k = 0; k < pod->n_supplemental_groups; k++)
			ct->groups[k] = pod->supplemental_groups[k];
		if (pod->fs_group >= 0)
			ct->groups[n - 1] = pod->fs_group;
		ct->n_groups = n;
	}
	return 0;
}

/* requests/limits: {cpu, memory}. Anything else there (ephemeral-storage,
 * hugepages, devices) would be a bound podrun does not enforce: refused.
 * given (NULL: not asked): which of the two keys are there, 0 or not. */
static int parse_resource_list(struct ctx *c, const yaml_node_t *n, const char *path, int64_t *cpu,
                               int64_t *memory, bool given[2])
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		const char *q = NULL;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (strcmp(f.key, "cpu") && strcmp(f.key, "memory")) {
			if (refused(c, f.k, f.path, "only cpu and memory are enforced") < 0)
				return -1;
			continue;
		}
		/* a quantity may be written as a number: 1, 0.5 */
		if (f.v->type != YAML_SCALAR_NODE || scalar_type(f.v) == ST_NULL ||
		    scalar_type(f.v) == ST_BOOL)
			return err_at(c, f.v, "%s: expected a quantity, got %s", f.path,
			              type_name(f.v));
		if (!(q = quantity_text(c, f.v)))
			return -1;
		int rc =
		    f.key[0] == 'c' ? spec_parse_milli(q, cpu) : spec_parse_quantity(q, memory);
		if (rc < 0)
			return err_at(c, f.v, "%s: %s", f.path, last_error());
		if (given)
			given[f.key[0] == 'c' ? 0 : 1] = true;
	}
	return 0;
}

static int parse_resources(struct ctx *c, const yaml_node_t *n, const char *path,
                           struct spec_resources *res)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	const yaml_node_t *req = NULL;
	bool given[2] = {false, false}; /* requests.cpu, requests.memory */
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		int r = 0;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (!strcmp(f.key, "requests")) {
			r = parse_resource_list(c, f.v, f.path, &res->cpu_request,
			                        &res->memory_request, given);
			req = f.v;
		} else if (!strcmp(f.key, "limits")) {
			r = parse_resource_list(c, f.v, f.path, &res->cpu_limit, &res->memory_limit,
			                        NULL);
		} else if (!strcmp(f.key, "claims")) {
			r = refused(c, f.k, f.path, "resource claims are not supported");
		} else {
			r = unknown_refused(c, &f);
		}
		if (r < 0)
			return -1;
	}
	/* The API server's defaulting and validation. SetDefaults_Pod copies a
	 * limit only into a request that is absent: requests.cpu: "0" stays 0. */
	if (!given[0])
		res->cpu_request = res->cpu_limit;
	if (!given[1])
		res->memory_request = res->memory_limit;
	if (res->cpu_limit && res->cpu_request > res->cpu_limit)
		return err_at(c, req, "%s.requests.cpu: must be less than or equal to cpu limit",
		              path);
	if (res->memory_limit && res->memory_request > res->memory_limit)
		return err_at(
		    c, req, "%s.requests.memory: must be less than or equal to memory limit", path);
	return 0;
}

static int parse_probe_handler(struct ctx *c, const struct field *f,
                               const struct spec_container *ct, struct probe_spec *ps);

/* A lifecycle handler: exec, httpGet (a probe's fields) and sleep. tcpSocket
 * is refused: the API server accepts it, but kubelet never runs it - the
 * hook fails at run time, so a postStart would kill its container. */
static int parse_hook(struct ctx *c, const yaml_node_t *n, const char *path,
                      const struct spec_container *ct, struct spec_hook *h)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	h->mark = mark_of(n);
	bool handler = false; /* tcpSocket is one, refused or ignored */
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (h->kind != SPEC_HOOK_NONE)
			return err_at(c, f.k, "%s: may not specify more than 1 handler type", path);
		if (!strcmp(f.key, "exec")) {
			if (expect(c, f.v, YAML_MAPPING_NODE, f.path) < 0)
				return -1;
			for (size_t j = 0; j < map_len(f.v); j++) {
				struct field g;
				if (field_at(c, f.v, j, f.path, &g) < 0)
					return -1;
				if (!strcmp(g.key, "command")) {
					if (get_str_list(c, g.v, g.path, &h->command) < 0)
						return -1;
				} else {
					if (ignored(c, &g, NULL) < 0)
						return -1;
				}
			}
			if (!h->command || !h->command[0])
				return err_at(c, f.v, "%s.command: Required value", f.path);
			h->kind = SPEC_HOOK_EXEC;
		} else if (!strcmp(f.key, "sleep")) {
			if (expect(c, f.v, YAML_MAPPING_NODE, f.path) < 0)
				return -1;
			for (size_t j = 0; j < map_len(f.v); j++) {
				struct field g;
				if (field_at(c, f.v, j, f.path, &g) < 0)
					return -1;
				if (!strcmp(g.key, "seconds")) {
					if (get_int(c, g.v, g.path, 0, 2147483647L, &h->seconds) <
					    0)
						return -1;
					/* validateSleepAction: the hook ends within the
					 * pod's grace period */
					if (h->seconds > c->grace_seconds)
						return err_at(
						    c, g.v,
						    "%s: Invalid value: %ld: must be non-negative "
						    "and "
						    "less than terminationGracePeriodSeconds (%ld)",
						    f.path, h->seconds, c->grace_seconds);
				} else {
					if (ignored(c, &g, NULL) < 0)
						return -1;
				}
			}
			h->kind = SPEC_HOOK_SLEEP;
		} else if (!strcmp(f.key, "httpGet")) {
			struct probe_spec *ps = alloc(c, sizeof(*ps));
			if (!ps)
				return -1;
			probe_spec_init(ps);
			ps->handler = PROBE_HTTP_GET;
			if (parse_probe_handler(c, &f, ct, ps) < 0)
				return -1;
			if (probe_spec_check(ps, PROBE_READINESS) < 0)
				return err_at(c, f.v, "%s%s", path, last_error());
			h->http = ps;
			h->kind = SPEC_HOOK_HTTP_GET;
		} else if (!strcmp(f.key, "tcpSocket")) {
			handler = true;
			if (refused(c, f.k, f.path,
			            "not run by kubelet (kept for compatibility, the hook fails at "
			            "run time): use exec or httpGet") < 0)
				return -1;
		} else {
			if (ignored(c, &f, NULL) < 0)
				return -1;
		}
	}
	/* validateHandler: `postStart: {}` is a hook that does nothing */
	if (h->kind == SPEC_HOOK_NONE && !handler)
		return err_at(c, n, "%s: Required value: must specify a handler type", path);
	return 0;
}

/* lifecycle.stopSignal, as the API server takes it: a name of its Linux
 * list, "SIG" and upper case ("SIGQUIT", "SIGRTMIN+3"), never a number. That
 * spec.os.name is given too is checked once the pod is read (check_os). */
static int parse_stop_signal(struct ctx *c, const yaml_node_t *n, const char *path,
                             struct spec_container *ct)
{
	const char *s = NULL;
	if (get_str(c, n, path, &s) < 0 || !s)
		return s ? 0 : -1;
	bool upper = !strncmp(s, "SIG", 3) && s[3] && !strpbrk(s, "abcdefghijklmnopqrstuvwxyz");
	int sig = 0;
	if (!upper || isdigit((unsigned char)s[3]) || img_signal_parse(s, &sig) < 0)
		return err_at(c, n,
		              "%s: Unsupported value: \"%s\": supported values: the Linux signal "
		              "names, such as \"SIGTERM\", \"SIGQUIT\", \"SIGUSR1\", "
		              "\"SIGRTMIN+1\"",
		              path, s);
	ct->stop_signal = s;
	ct->stop_signo = sig;
	ct->stop_signal_mark = mark_of(n);
	return 0;
}

static int parse_lifecycle(struct ctx *c, const yaml_node_t *n, const char *path,
                           struct spec_container *ct)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		int r = 0;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (!strcmp(f.key, "postStart"))
			r = parse_hook(c, f.v, f.path, ct, &ct->post_start);
		else if (!strcmp(f.key, "preStop"))
			r = parse_hook(c, f.v, f.path, ct, &ct->pre_stop);
		else if (!strcmp(f.key, "stopSignal"))
			r = parse_stop_signal(c, f.v, f.path, ct);
		else
			r = ignored(c, &f, NULL);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* An int32 field of a probe: negative values are refused by probe_spec_check
 * with Kubernetes' message. */
static int probe_int(struct ctx *c, const struct field *f, int *out)
{
	long v;
	if (is_null(f->v)) /* unset: the default (spec_defaults in probe.c) */
		return 0;
	if (get_int(c, f->v, f->path, INT32_MIN, INT32_MAX, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* port: a number, or the name of one of this container's ports */
static int probe_port(struct ctx *c, const struct field *f, const struct spec_container *ct,
                      struct probe_spec *ps)
{
	if (f->v->type == YAML_SCALAR_NODE &&
	    (scalar_type(f->v) == ST_INT || scalar_type(f->v) == ST_FLOAT)) {
		long v;
		if (get_int(c, f->v, f->path, 0, 65535, &v) < 0)
			return -1;
		ps->port = (int)v;
		return 0;
	}
	if (get_str(c, f->v, f->path, &ps->port_name) < 0)
		return -1;
	for (size_t i = 0; ps->port_name && i < ct->n_ports; i++)
		if (ct->ports[i].name && !strcmp(ct->ports[i].name, ps->port_name))
			ps->port = ct->ports[i].container_port;
	return 0; /* an unknown name leaves port 0: probe_spec_check says so */
}

static int parse_probe_handler(struct ctx *c, const struct field *f,
                               const struct spec_container *ct, struct probe_spec *ps)
{
	if (is_null(f->v))
		return 0;
	if (expect(c, f->v, YAML_MAPPING_NODE, f->path) < 0)
		return -1;
	for (size_t j = 0; j < map_len(f->v); j++) {
		struct field g;
		if (field_at(c, f->v, j, f->path, &g) < 0)
			return -1;
		int r = 0;
		if (ps->handler == PROBE_EXEC && !strcmp(g.key, "command")) {
			r = get_str_list(c, g.v, g.path, &ps->command);
		} else if (ps->handler != PROBE_EXEC && !strcmp(g.key, "port")) {
			r = probe_port(c, &g, ct, ps);
		} else if (ps->handler != PROBE_EXEC && !strcmp(g.key, "host")) {
			r = get_str(c, g.v, g.path, &ps->host);
		} else if (ps->handler == PROBE_HTTP_GET && !strcmp(g.key, "path")) {
			r = get_str(c, g.v, g.path, &ps->path);
		} else if (ps->handler == PROBE_HTTP_GET && !strcmp(g.key, "scheme")) {
			const char *scheme = NULL;
			if ((r = get_str_opt(c, g.v, g.path, &scheme)) == 0 && scheme) {
				if (!strcmp(scheme, "HTTPS"))
					ps->https = true;
				else if (strcmp(scheme, "HTTP"))
					r = err_at(
					    c, g.v,
					    "%s: Unsupported value: \"%s\": supported values: "
					    "\"HTTP\", \"HTTPS\"",
					    g.path, scheme);
			}
		} else if (ps->handler == PROBE_HTTP_GET && !strcmp(g.key, "httpHeaders")) {
			if (is_null(g.v))
				continue;
			if (expect(c, g.v, YAML_SEQUENCE_NODE, g.path) < 0)
				return -1;
			size_t nh = seq_len(g.v);
			struct probe_header *h = alloc(c, (nh + 1) * sizeof(*h));
			if (!h)
				return -1;
			for (size_t k = 0; k < nh; k++) {
				char hp[PATH_LEN];
				item_path(hp, g.path, k);
				yaml_node_t *item = node(c, g.v->data.sequence.items.start[k]);
				if (!item)
					return err_at(c, g.v, "%s: too many nodes (aliases?)", hp);
				if (expect(c, item, YAML_MAPPING_NODE, hp) < 0)
					return -1;
				for (size_t q = 0; q < map_len(item); q++) {
					struct field hf;
					if (field_at(c, item, q, hp, &hf) < 0)
						return -1;
					if (!strcmp(hf.key, "name")) {
						if (get_str_req(c, hf.v, hf.path, &h[k].name) < 0)
							return -1;
					} else if (!strcmp(hf.key, "value")) {
						if (get_str(c, hf.v, hf.path, &h[k].value) < 0)
							return -1;
					} else {
						if (ignored(c, &hf, NULL) < 0)
							return -1;
					}
				}
				if (!h[k].name)
					return err_at(c, item, "%s.name: Required value", hp);
			}
			ps->headers = h;
			ps->n_headers = nh;
		} else {
			r = unknown_refused(c, &g);
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

static int parse_probe(struct ctx *c, const yaml_node_t *n, const char *path,
                       struct spec_container *ct, enum probe_kind kind)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	struct probe_spec *ps = alloc(c, sizeof(*ps));
	if (!ps)
		return -1;
	probe_spec_init(ps);
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		int r = 0;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		enum probe_handler h = !strcmp(f.key, "exec")        ? PROBE_EXEC
		                       : !strcmp(f.key, "httpGet")   ? PROBE_HTTP_GET
		                       : !strcmp(f.key, "tcpSocket") ? PROBE_TCP_SOCKET
		                                                     : PROBE_HANDLER_NONE;
		if (h != PROBE_HANDLER_NONE) {
			if (ps->handler != PROBE_HANDLER_NONE)
				return err_at(
				    c, f.k,
				    "%s: Forbidden: may not specify more than 1 handler type",
				    f.path);
			ps->handler = h;
			r = parse_probe_handler(c, &f, ct, ps);
		} else if (!strcmp(f.key, "grpc")) {
			r = refused(c, f.k, f.path, "not supported yet");
			if (r == 0)
				return 0; /* --allow-unsupported: the whole probe goes */
		} else if (!strcmp(f.key, "initialDelaySeconds")) {
			r = probe_int(c, &f, &ps->initial_delay_s);
		} else if (!strcmp(f.key, "periodSeconds")) {
			r = probe_int(c, &f, &ps->period_s);
		} else if (!strcmp(f.key, "timeoutSeconds")) {
			r = probe_int(c, &f, &ps->timeout_s);
		} else if (!strcmp(f.key, "successThreshold")) {
			r = probe_int(c, &f, &ps->success_threshold);
		} else if (!strcmp(f.key, "failureThreshold")) {
			r = probe_int(c, &f, &ps->failure_threshold);
		} else if (!strcmp(f.key, "terminationGracePeriodSeconds")) {
			long v;
			if (!is_null(f.v) &&
			    (r = get_int(c, f.v, f.path, LONG_MIN, LONG_MAX, &v)) == 0) {
				ps->grace_set = true;
				ps->grace_s = v;
			}
		} else {
			r = unknown_refused(c, &f);
		}
		if (r < 0)
			return -1;
	}
	if (probe_spec_check(ps, kind) < 0)
		return err_at(c, n, "%s%s", path, last_error());
	ct->probes[kind] = ps;
	return 0;
}

/* spec.hostAliases: [{ip, hostnames}], lines added to the pod's /etc/hosts */
static int parse_host_aliases(struct ctx *c, const yaml_node_t *n, const char *path,
                              struct pod_spec *pod)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_SEQUENCE_NODE, path) < 0)
		return -1;
	size_t k = seq_len(n);
	if (!(pod->host_aliases = alloc(c, (k + 1) * sizeof(*pod->host_aliases))))
		return -1;
	for (size_t i = 0; i < k; i++) {
		char p[PATH_LEN];
		item_path(p, path, i);
		yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
		if (!item)
			return err_at(c, n, "%s: too many nodes (aliases?)", p);
		if (expect(c, item, YAML_MAPPING_NODE, p) < 0)
			return -1;
		const char *ip = NULL;
		char **names = NULL;
		const yaml_node_t *ip_node = item;
		for (size_t j = 0; j < map_len(item); j++) {
			struct field f;
			if (field_at(c, item, j, p, &f) < 0)
				return -1;
			if (!strcmp(f.key, "ip")) {
				if (get_str(c, f.v, f.path, &ip) < 0)
					return -1;
				ip_node = f.v;
			} else if (!strcmp(f.key, "hostnames")) {
				if (get_str_list(c, f.v, f.path, &names) < 0)
					return -1;
			} else {
				if (ignored(c, &f, NULL) < 0)
					return -1;
			}
		}
		struct in_addr a;
		struct in6_addr a6;
		if (!ip || (inet_pton(AF_INET, ip, &a) != 1 && inet_pton(AF_INET6, ip, &a6) != 1))
			return err_at(c, ip_node,
			              "%s.ip: Invalid value: \"%s\": must be a valid IP address", p,
			              ip ? ip : "");
		for (size_t j = 0; names && names[j]; j++)
			if (!spec_dns1123_subdomain(names[j]))
				return err_at(c, item,
				              "%s.hostnames[%zu]: Invalid value: \"%s\": a "
				              "lowercase RFC 1123 "
				              "subdomain",
				              p, j, names[j]);
		pod->host_aliases[i] = (struct spec_host_alias){ip, names};
	}
	pod->n_host_aliases = k;
	return 0;
}

/* dnsConfig.searches as the API server validates them: each a DNS-1123
 * subdomain (a trailing dot is fine), at most 32, 2048 characters with the
 * spaces between them (libc's limits). Each is written into the pod's
 * resolv.conf: a newline there would add a line of the author's own. */
static int check_searches(struct ctx *c, const yaml_node_t *n, const char *path, char **searches)
{
	size_t i, chars = 0;
	for (i = 0; searches && searches[i]; i++) {
		const char *s = searches[i];
		size_t len = strlen(s), trimmed = len && s[len - 1] == '.' ? len - 1 : len;
		char name[254], q[256];
		bool ok = trimmed < sizeof(name);
		if (ok) {
			memcpy(name, s, trimmed);
			name[trimmed] = '\0';
			ok = spec_dns1123_subdomain(name);
		}
		if (!ok)
			return err_at(
			    c, yaml_document_get_node(c->doc, n->data.sequence.items.start[i]),
			    "%s[%zu]: Invalid value: \"%s\": " DNS1123_SUBDOMAIN_MSG, path, i,
			    quoted(s, q, sizeof(q)));
		chars += len + (i > 0);
	}
	if (i > 32)
		return err_at(c, n, "%s: must not have more than 32 search paths (it has %zu)",
		              path, i);
	if (chars > 2048)
		return err_at(
		    c, n,
		    "%s: must not have more than 2048 characters (including spaces) in the "
		    "search list",
		    path);
	return 0;
}

/* A dnsConfig option's name or value: written into resolv.conf's options
 * line, one option after another, so whitespace would start another option
 * (or, a newline, another line). */
static int check_option(struct ctx *c, const struct field *f, const char *s)
{
	char q[256];
	if (!s || !s[strcspn(s, " \t\n\r\v\f")])
		return 0;
	return err_at(c, f->v,
	              "%s: Invalid value: \"%s\": must not contain whitespace (it goes into the "
	              "pod's resolv.conf)",
	              f->path, quoted(s, q, sizeof(q)));
}

/* spec.dnsConfig: nameservers, searches, options [{name, value}] */
static int parse_dns_config(struct ctx *c, const yaml_node_t *n, const char *path,
                            struct pod_spec *pod)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (!strcmp(f.key, "nameservers")) {
			if (get_str_list(c, f.v, f.path, &pod->dns_nameservers) < 0)
				return -1;
			/* MaxDNSNameservers: libc's resolver reads 3 (MAXNS) */
			if (pod->dns_nameservers[0] && pod->dns_nameservers[1] &&
			    pod->dns_nameservers[2] && pod->dns_nameservers[3])
				return err_at(c, f.v,
				              "%s: Invalid value: must not have more than 3 "
				              "nameservers",
				              f.path);
			for (size_t j = 0; pod->dns_nameservers && pod->dns_nameservers[j]; j++) {
				struct in_addr a;
				struct in6_addr a6;
				const char *ns = pod->dns_nameservers[j];
				if (inet_pton(AF_INET, ns, &a) != 1 &&
				    inet_pton(AF_INET6, ns, &a6) != 1)
					return err_at(
					    c, f.v,
					    "%s[%zu]: Invalid value: \"%s\": must be a valid IP "
					    "address",
					    f.path, j, ns);
			}
		} else if (!strcmp(f.key, "searches")) {
			if (get_str_list(c, f.v, f.path, &pod->dns_searches) < 0 ||
			    check_searches(c, f.v, f.path, pod->dns_searches) < 0)
				return -1;
		} else if (!strcmp(f.key, "options")) {
			if (is_null(f.v))
				continue;
			if (expect(c, f.v, YAML_SEQUENCE_NODE, f.path) < 0)
				return -1;
			size_t k = seq_len(f.v);
			if (!(pod->dns_options = alloc(c, (k + 1) * sizeof(char *))))
				return -1;
			for (size_t j = 0; j < k; j++) {
				char p[PATH_LEN];
				item_path(p, f.path, j);
				yaml_node_t *item = node(c, f.v->data.sequence.items.start[j]);
				if (!item)
					return err_at(c, f.v, "%s: too many nodes (aliases?)", p);
				if (expect(c, item, YAML_MAPPING_NODE, p) < 0)
					return -1;
				const char *name = NULL, *value = NULL;
				for (size_t q = 0; q < map_len(item); q++) {
					struct field g;
					if (field_at(c, item, q, p, &g) < 0)
						return -1;
					if (!strcmp(g.key, "name")) {
						if (get_str_req(c, g.v, g.path, &name) < 0 ||
						    check_option(c, &g, name) < 0)
							return -1;
					} else if (!strcmp(g.key, "value")) {
						if (get_str(c, g.v, g.path, &value) < 0 ||
						    check_option(c, &g, value) < 0)
							return -1;
					} else {
						if (ignored(c, &g, NULL) < 0)
							return -1;
					}
				}
				if (!name)
					return err_at(c, item, "%s.name: Required value", p);
				size_t len = strlen(name) + (value ? strlen(value) + 1 : 0) + 1;
				char *o = alloc(c, len);
				if (!o)
					return -1;
				snprintf(o, len, "%s%s%s", name, value ? ":" : "",
				         value ? value : "");
				pod->dns_options[j] = o;
			}
		} else {
			if (ignored(c, &f, NULL) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_container(struct ctx *c, const yaml_node_t *n, const char *path, bool is_init,
                           struct spec_container *ct)
{
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	ct->mark = mark_of(n);
	ct->sec_mark = ct->mark;
	ct->is_init = is_init;
	ct->sec = (struct spec_security){-1, -1, -1, -1, -1, NULL};
	char **command = NULL, **args = NULL;
	const yaml_node_t *sec = NULL;
	/* probes and lifecycle hooks are parsed once the ports are known (a port
	 * may be named) */
	struct field probe_fields[PROBE_KINDS];
	bool have_probe[PROBE_KINDS] = {false};
	struct field lifecycle;
	bool have_lifecycle = false;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		int r = 0;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (!strcmp(f.key, "name")) {
			if ((r = get_str_req(c, f.v, f.path, &ct->name)) == 0)
				r = check_label(c, f.v, f.path, ct->name);
		} else if (!strcmp(f.key, "image")) {
			/* validateContainerOnlyForPod: the image reference as is */
			if ((r = get_str_req(c, f.v, f.path, &ct->image)) == 0 &&
			    (isspace((unsigned char)ct->image[0]) ||
			     isspace((unsigned char)ct->image[strlen(ct->image) - 1])))
				r = err_at(c, f.v,
				           "%s: Invalid value: \"%s\": must not have leading or "
				           "trailing whitespace",
				           f.path, ct->image);
		} else if (!strcmp(f.key, "command")) {
			r = get_str_list(c, f.v, f.path, &command);
		} else if (!strcmp(f.key, "args")) {
			r = get_str_list(c, f.v, f.path, &args);
		} else if (!strcmp(f.key, "env")) {
			r = parse_env(c, f.v, f.path, ct);
		} else if (!strcmp(f.key, "envFrom")) {
			r = parse_env_from(c, f.v, f.path);
		} else if (!strcmp(f.key, "workingDir")) {
			if ((r = get_str_opt(c, f.v, f.path, &ct->working_dir)) == 0 &&
			    ct->working_dir && ct->working_dir[0] != '/')
				r = err_at(c, f.v, "%s: \"%s\" must be an absolute path", f.path,
				           ct->working_dir);
		} else if (!strcmp(f.key, "ports")) {
			r = parse_ports(c, f.v, f.path, ct);
		} else if (!strcmp(f.key, "volumeMounts")) {
			r = parse_mounts(c, f.v, f.path, ct);
		} else if (!strcmp(f.key, "securityContext")) {
			r = parse_security(c, f.v, f.path, ct);
			sec = f.k;
			ct->sec_mark = mark_of(f.k);
		} else if (!strcmp(f.key, "imagePullPolicy")) {
			const char *policy = NULL;
			if ((r = get_str_opt(c, f.v, f.path, &policy)) < 0 || !policy)
				;
			else if (!strcmp(policy, "Always"))
				r = err_at(
				    c, f.v,
				    "%s: \"Always\": images must be loaded with podrun image "
				    "load: podrun pulls nothing",
				    f.path);
			else if (strcmp(policy, "IfNotPresent") && strcmp(policy, "Never"))
				r = err_at(
				    c, f.v,
				    "%s: \"%s\" is not a pull policy (Always, IfNotPresent, Never)",
				    f.path, policy);
			else
				ct->pull_policy = policy;
		} else if (!strcmp(f.key, "restartPolicy")) {
			const char *policy = NULL;
			if ((r = get_str(c, f.v, f.path, &policy)) < 0 || !policy)
				;
			else if (!is_init)
				r = err_at(
				    c, f.v,
				    "%s: only init containers take a restartPolicy (\"Always\": "
				    "a native sidecar)",
				    f.path);
			else if (strcmp(policy, "Always"))
				r = err_at(
				    c, f.v,
				    "%s: \"%s\" is not supported: the only value is \"Always\"",
				    f.path, policy);
			else
				ct->sidecar = true;
		} else if (!strcmp(f.key, "resources")) {
			r = parse_resources(c, f.v, f.path, &ct->res);
		} else if (!strcmp(f.key, "lifecycle")) {
			lifecycle = f; /* after ports: an httpGet may name one */
			have_lifecycle = true;
		} else if (!strcmp(f.key, "terminationMessagePath")) {
			if ((r = get_str_opt(c, f.v, f.path, &ct->term_path)) == 0 &&
			    ct->term_path && ct->term_path[0] != '/')
				r = err_at(c, f.v,
				           "%s: Invalid value: \"%s\": must be an absolute path",
				           f.path, ct->term_path);
		} else if (!strcmp(f.key, "terminationMessagePolicy")) {
			const char *pol = NULL;
			if ((r = get_str_opt(c, f.v, f.path, &pol)) == 0 && pol) {
				if (!strcmp(pol, "FallbackToLogsOnError"))
					ct->term_fallback = true;
				else if (strcmp(pol, "File"))
					r = err_at(
					    c, f.v,
					    "%s: Unsupported value: \"%s\": supported values: "
					    "\"File\", \"FallbackToLogsOnError\"",
					    f.path, pol);
			}
		} else if (!strcmp(f.key, "startupProbe") || !strcmp(f.key, "livenessProbe") ||
		           !strcmp(f.key, "readinessProbe")) {
			enum probe_kind k = f.key[0] == 's'   ? PROBE_STARTUP
			                    : f.key[0] == 'l' ? PROBE_LIVENESS
			                                      : PROBE_READINESS;
			probe_fields[k] = f;
			have_probe[k] = true;
		} else if (matches(f.key, container_refused)) {
			r = refused(c, f.k, f.path, "not supported yet");
		} else {
			r = ignored(c, &f, container_unsupported);
		}
		if (r < 0)
			return -1;
	}
	if (!ct->name)
		return err_at(c, n, "%s.name: required", path);
	/* as the API server: an init container that runs to completion has no
	 * postStart to run beside it, nor a preStop: it is never stopped */
	if (have_lifecycle && is_init && !ct->sidecar)
		return err_at(c, lifecycle.k,
		              "%s: Forbidden: may not be set for init containers without "
		              "restartPolicy=Always",
		              lifecycle.path);
	if (have_lifecycle && parse_lifecycle(c, lifecycle.v, lifecycle.path, ct) < 0)
		return -1;
	for (int k = 0; k < PROBE_KINDS; k++) {
		if (!have_probe[k])
			continue;
		if (is_init && !ct->sidecar)
			return err_at(c, probe_fields[k].k,
			              "%s: Forbidden: may not be set for init containers without "
			              "restartPolicy=Always",
			              probe_fields[k].path);
		if (parse_probe(c, probe_fields[k].v, probe_fields[k].path, ct,
		                (enum probe_kind)k) < 0)
			return -1;
	}
	if (!ct->image)
		return err_at(c, n, "%s.image: required", path);
	/* Kubernetes takes the image's Entrypoint and Cmd when these are missing;
	 * the image is looked at when the pod starts, not here. */
	size_t nc = 0, na = 0;
	while (command && command[nc])
		nc++;
	while (args && args[na])
		na++;
	ct->command = nc ? command : NULL;
	ct->args = na ? args : NULL;
	if (!(ct->argv = alloc(c, (nc + na + 1) * sizeof(char *))))
		return -1;
	for (size_t i = 0; i < nc; i++)
		ct->argv[i] = command[i];
	for (size_t i = 0; i < na; i++)
		ct->argv[nc + i] = args[i];
	static char *const none[] = {NULL};
	if (!ct->env)
		ct->env = (char **)none;
	if (!ct->envs && !(ct->envs = alloc(c, sizeof(*ct->envs))))
		return -1;
	if (!ct->cap_add)
		ct->cap_add = (const char **)none;
	if (!ct->cap_drop)
		ct->cap_drop = (const char **)none;
	/* Capability names are checked by the code that will apply them (lab 04). */
	uint64_t caps;
	struct ctr_config cc = {.cap_add = ct->cap_add, .cap_drop = ct->cap_drop};
	if (sec && ctr_caps_mask(&cc, &caps) < 0)
		return err_at(c, sec, "%s.securityContext.capabilities: %s", path, last_error());
	return 0;
}

static int parse_volume(struct ctx *c, const yaml_node_t *n, const char *path,
                        struct spec_volume *sv)
{
	static const char *const known[] = {
	    "configMap", "secret",      "persistentVolumeClaim",
	    "projected", "downwardAPI", "nfs",
	    "csi",       "ephemeral",   "image",
	    "iscsi",     NULL,
	};
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	struct vol_spec *v = &sv->v;
	sv->mark = mark_of(n);
	int sources = 0;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (!strcmp(f.key, "name")) {
			if (get_str_req(c, f.v, f.path, &v->name) < 0 ||
			    check_label(c, f.v, f.path, v->name) < 0)
				return -1;
		} else if (!strcmp(f.key, "emptyDir")) {
			sources++;
			v->kind = VOL_EMPTYDIR;
			if (is_null(f.v))
				continue; /* `emptyDir:` is `emptyDir: {}` */
			if (expect(c, f.v, YAML_MAPPING_NODE, f.path) < 0)
				return -1;
			for (size_t j = 0; j < map_len(f.v); j++) {
				struct field g;
				const char *s = NULL;
				if (field_at(c, f.v, j, f.path, &g) < 0)
					return -1;
				if (!strcmp(g.key, "medium")) {
					if (get_str(c, g.v, g.path, &s) < 0)
						return -1;
					if (s && *s && strcmp(s, "Memory"))
						return err_at(c, g.v,
						              "%s: \"%s\" is not a medium (\"\" or "
						              "\"Memory\")",
						              g.path, s);
					v->memory = s && *s;
				} else if (!strcmp(g.key, "sizeLimit")) {
					int64_t q = 0;
					if (g.v->type != YAML_SCALAR_NODE || is_null(g.v))
						return err_at(c, g.v,
						              "%s: expected a quantity, got %s",
						              g.path, type_name(g.v));
					const char *qt = quantity_text(c, g.v);
					if (!qt)
						return -1;
					if (spec_parse_quantity(qt, &q) < 0)
						return err_at(c, g.v, "%s: %s", g.path,
						              last_error());
					v->size_limit = (uint64_t)q;
				} else if (unknown_refused(c, &g) < 0) {
					return -1; /* a misspelled sizeLimit: no limit */
				}
			}
		} else if (!strcmp(f.key, "hostPath")) {
			sources++;
			v->kind = VOL_HOSTPATH;
			if (expect(c, f.v, YAML_MAPPING_NODE, f.path) < 0)
				return -1;
			for (size_t j = 0; j < map_len(f.v); j++) {
				struct field g;
				const char *s = NULL;
				if (field_at(c, f.v, j, f.path, &g) < 0)
					return -1;
				if (!strcmp(g.key, "path")) {
					if (get_str_req(c, g.v, g.path, &v->path) < 0)
						return -1;
					if (v->path[0] != '/')
						return err_at(c, g.v,
						              "%s: \"%s\" must be an absolute path",
						              g.path, v->path);
					/* validatePathNoBacksteps */
					if (has_dotdot(v->path))
						return err_at(c, g.v,
						              "%s: Invalid value: \"%s\": must not "
						              "contain '..'",
						              g.path, v->path);
				} else if (!strcmp(g.key, "type")) {
					if (get_str(c, g.v, g.path, &s) < 0)
						return -1;
					if (s && vol_hostpath_type_parse(s, &v->type) < 0)
						return err_at(c, g.v, "%s: %s", g.path,
						              last_error());
				} else if (unknown_refused(c, &g) < 0) {
					return -1; /* a misspelled type: the file unchecked */
				}
			}
			if (!v->path)
				return err_at(c, f.v, "%s.path: required", f.path);
		} else if (matches(f.key, known)) {
			return err_at(
			    c, f.k, "%s: %s volumes are not supported (emptyDir and hostPath are)",
			    f.path, f.key);
		} else {
			if (ignored(c, &f, NULL) < 0)
				return -1;
		}
	}
	if (!v->name)
		return err_at(c, n, "%s.name: required", path);
	if (sources == 0)
		return err_at(c, n, "%s: no volume source (emptyDir or hostPath)", path);
	if (sources > 1)
		return err_at(c, n, "%s: more than one volume source", path);
	return 0;
}

/* ---- the document ------------------------------------------------------------- */

/* A label's or an annotation's key and a label's value, as the API server's
 * ValidateLabels and ValidateAnnotations check them: a key is a qualified
 * name ("[prefix/]name"; an annotation's is checked in lower case), a label's
 * value empty or at most 63 characters of [A-Za-z0-9-_.] with a letter or
 * digit at both ends. Kept as "key=value", a key must not hold a '='. */
static int check_meta_key(struct ctx *c, const struct field *g, const char *path, bool labels,
                          const char *val)
{
	char *key = dup_str(c, g->key);
	if (!key)
		return -1;
	for (char *p = key; !labels && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	const char *why = qualified_name_error(key);
	if (why)
		return err_at(c, g->k, "%s: Invalid value: \"%s\": %s", path, g->key, why);
	const char *v = labels ? val : "";
	size_t n = strlen(v);
	bool ok = n == 0 || (qname_char(v[0], false) && qname_char(v[n - 1], false));
	for (size_t i = 0; ok && i < n; i++)
		ok = qname_char(v[i], true);
	if (n > 63)
		return err_at(c, g->v,
		              "%s: Invalid value: \"%s\": must be no more than 63 characters", path,
		              v);
	if (!ok)
		return err_at(c, g->v,
		              "%s: Invalid value: \"%s\": a valid label must be an empty string or "
		              "consist of alphanumeric characters, '-', '_' or '.', and must start "
		              "and end with an alphanumeric character (e.g. 'MyValue',  or "
		              "'my_value',  or '12345', regex used for validation is "
		              "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
		              path, v);
	return 0;
}

static int parse_metadata(struct ctx *c, const yaml_node_t *n, struct pod_spec *pod)
{
	static const char *const known[] = {"generateName",
	                                    "uid",
	                                    "resourceVersion",
	                                    "creationTimestamp",
	                                    "ownerReferences",
	                                    "finalizers",
	                                    "generation",
	                                    "managedFields",
	                                    NULL};
	if (expect(c, n, YAML_MAPPING_NODE, "metadata") < 0)
		return -1;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		if (field_at(c, n, i, "metadata", &f) < 0)
			return -1;
		if (!strcmp(f.key, "name")) {
			if (get_str_req(c, f.v, f.path, &pod->name) < 0)
				return -1;
			if (!spec_dns1123_subdomain(pod->name))
				return err_at(
				    c, f.v,
				    "%s: \"%s\" is not a valid name (DNS-1123 subdomain: "
				    "lowercase letters, digits, '-' and '.', starting and "
				    "ending with a letter or digit, at most 253)",
				    f.path, pod->name);
		} else if (!strcmp(f.key, "namespace")) {
			const char *ns = NULL;
			if (get_str(c, f.v, f.path, &ns) < 0)
				return -1;
			/* ValidateNamespaceName: a DNS-1123 label. "" is not set: kubectl
			 * puts its context's namespace there, here "default". */
			if (ns && *ns && check_label(c, f.v, f.path, ns) < 0)
				return -1;
			if (ns && *ns)
				pod->namespace_ = ns;
		} else if (!strcmp(f.key, "labels") || !strcmp(f.key, "annotations")) {
			bool labels = f.key[0] == 'l';
			if (is_null(f.v))
				continue;
			if (expect(c, f.v, YAML_MAPPING_NODE, f.path) < 0)
				return -1;
			size_t count = map_len(f.v), total = 0;
			char **kv = alloc(c, (count + 1) * sizeof(*kv));
			if (!kv)
				return -1;
			for (size_t j = 0; j < count; j++) {
				struct field g;
				const char *val = "";
				if (field_at(c, f.v, j, f.path, &g) < 0 ||
				    get_str(c, g.v, g.path, &val) < 0 ||
				    check_meta_key(c, &g, f.path, labels, val) < 0)
					return -1;
				size_t len = strlen(g.key) + strlen(val) + 2;
				if (!labels && (total += len - 2) > MAX_ANNOTATIONS_BYTES)
					return err_at(c, g.k,
					              "%s: annotations total more than %d bytes "
					              "(Kubernetes' limit, 256 KiB)",
					              f.path, MAX_ANNOTATIONS_BYTES);
				if (!(kv[j] = alloc(c, len)))
					return -1;
				snprintf(kv[j], len, "%s=%s", g.key, val);
			}
			/* kept for fieldRef metadata.labels['KEY'], metadata.annotations['KEY'] */
			if (labels)
				pod->labels = kv;
			else
				pod->annotations = kv;
		} else {
			if (ignored(c, &f, known) < 0)
				return -1;
		}
	}
	if (!pod->name)
		return err_at(c, n, "metadata.name: required");
	return 0;
}

static int parse_containers(struct ctx *c, const yaml_node_t *n, const char *path, bool is_init,
                            struct spec_container *out, size_t *count)
{
	for (size_t i = 0; i < seq_len(n); i++) {
		char p[PATH_LEN];
		item_path(p, path, i);
		yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
		if (!item)
			return err_at(c, n, "%s: too many nodes (aliases?)", p);
		if (parse_container(c, item, p, is_init, &out[(*count)++]) < 0)
			return -1;
	}
	return 0;
}

/* Two hostIPs, each checked to be an IPv4 address when parsed: the same
 * address however written. */
static bool same_ip(const char *a, const char *b)
{
	struct in_addr x, y;
	return inet_pton(AF_INET, a, &x) == 1 && inet_pton(AF_INET, b, &y) == 1 &&
	       x.s_addr == y.s_addr;
}

static const char *ctr_path(const struct pod_spec *pod, size_t i, char *buf, size_t len)
{
	if (i < pod->n_init)
		snprintf(buf, len, "spec.initContainers[%zu]", i);
	else
		snprintf(buf, len, "spec.containers[%zu]", i - pod->n_init);
	return buf;
}

/* spec.os: podrun runs Linux containers. The API server wants it for a
 * container's lifecycle.stopSignal: the same name means another signal, or
 * none, on another OS. */
static int parse_os(struct ctx *c, const yaml_node_t *n, const char *path, struct pod_spec *pod)
{
	if (is_null(n))
		return 0;
	if (expect(c, n, YAML_MAPPING_NODE, path) < 0)
		return -1;
	const yaml_node_t *name = NULL;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		if (field_at(c, n, i, path, &f) < 0)
			return -1;
		if (strcmp(f.key, "name")) {
			if (ignored(c, &f, NULL) < 0)
				return -1;
			continue;
		}
		name = f.v;
		if (get_str(c, f.v, f.path, &pod->os_name) < 0)
			return -1;
	}
	if (!name || !pod->os_name)
		return err_at(c, n, "%s.name: Required value", path);
	if (!strcmp(pod->os_name, "windows"))
		return err_at(c, name, "%s.name: \"windows\": podrun runs Linux containers only",
		              path);
	if (strcmp(pod->os_name, "linux"))
		return err_at(c, name,
		              "%s.name: Unsupported value: \"%s\": supported values: \"linux\", "
		              "\"windows\"",
		              path, pod->os_name);
	return 0;
}

/* Checks across fields: unique names, mounts naming volumes, host ports,
 * a stopSignal's spec.os. */
static int cross_check(struct ctx *c, struct pod_spec *pod)
{
	for (size_t i = 0; i < pod->n_ctrs; i++) {
		const struct spec_container *ct = &pod->ctrs[i];
		char q[64];
		if (ct->stop_signal && !pod->os_name)
			return err_at_mark(
			    c, ct->stop_signal_mark,
			    "%s.lifecycle.stopSignal: Forbidden: may not be set for "
			    "containers with empty `spec.os.name` (podrun takes linux)",
			    ctr_path(pod, i, q, sizeof(q)));
	}
	/* The API server's rules for the host's namespaces. */
	if (pod->host_pid && pod->share_pid)
		return err_at_mark(
		    c, pod->mark,
		    "spec.shareProcessNamespace: Invalid value: true: ShareProcessNamespace "
		    "and HostPID cannot both be enabled");
	for (size_t i = 0; pod->host_network && i < pod->n_ctrs; i++)
		for (size_t k = 0; k < pod->ctrs[i].n_ports; k++) {
			const struct spec_port *pt = &pod->ctrs[i].ports[k];
			if (pt->host_port && pt->host_port != pt->container_port)
				return err_at_mark(
				    c, pt->mark,
				    "hostPort: Invalid value: %d: must match `containerPort` "
				    "when `hostNetwork` is true",
				    pt->host_port);
		}
	char p[PATH_LEN], q[PATH_LEN];
	for (size_t i = 0; i < pod->n_volumes; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(pod->volumes[i].v.name, pod->volumes[j].v.name))
				return fail_msg(
				    EINVAL,
				    "%s:%d:%d: spec.volumes[%zu].name: \"%s\" is already "
				    "the name of spec.volumes[%zu]",
				    c->file, pod->volumes[i].mark.line, pod->volumes[i].mark.col, i,
				    pod->volumes[i].v.name, j);
	for (size_t i = 0; i < pod->n_ctrs; i++) {
		struct spec_container *ct = &pod->ctrs[i];
		ctr_path(pod, i, p, sizeof(p));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ct->name, pod->ctrs[j].name))
				return fail_msg(
				    EINVAL,
				    "%s:%d:%d: %s.name: duplicate container name \"%s\" "
				    "(also %s)",
				    c->file, ct->mark.line, ct->mark.col, p, ct->name,
				    ctr_path(pod, j, q, sizeof(q)));
		for (size_t m = 0; m < ct->n_mounts; m++) {
			struct spec_mount *mt = &ct->mounts[m];
			size_t v;
			for (v = 0; v < pod->n_volumes; v++)
				if (!strcmp(mt->name, pod->volumes[v].v.name))
					break;
			if (v == pod->n_volumes)
				return fail_msg(
				    EINVAL,
				    "%s:%d:%d: %s.volumeMounts[%zu].name: no volume named "
				    "\"%s\" in spec.volumes",
				    c->file, mt->mark.line, mt->mark.col, p, m, mt->name);
			mt->volume = v;
			for (size_t k = 0; k < m; k++)
				if (!strcmp(ct->mounts[k].mount_path, mt->mount_path))
					return fail_msg(EINVAL,
					                "%s:%d:%d: %s.volumeMounts[%zu].mountPath: "
					                "\"%s\" is mounted twice",
					                c->file, mt->mark.line, mt->mark.col, p, m,
					                mt->mount_path);
		}
		for (size_t k = 0; k < ct->n_envs; k++) {
			struct spec_env *e = &ct->envs[k];
			if (e->kind != SPEC_ENV_RESOURCE || !e->container)
				continue;
			const struct spec_container *t = spec_find_container(pod, e->container);
			/* kubelet would fail the container at its start
			 * (CreateContainerConfigError); podrun says so now */
			if (!t)
				return fail_msg(
				    EINVAL,
				    "%s:%d:%d: %s.env[%zu].valueFrom.resourceFieldRef."
				    "containerName: container \"%s\" not found in the pod",
				    c->file, e->ctr_mark.line, e->ctr_mark.col, p, e->index,
				    e->container);
			e->ctr = (size_t)(t - pod->ctrs);
		}
		/* The API server's AccumulateUniqueHostPorts keys a hostPort on
		 * protocol/hostIP/hostPort (TCP alone here): the same port on two
		 * addresses of the node is two ports, each bound on its own
		 * (ports.c). An address and 0.0.0.0 overlap, which the API server
		 * lets through: the node refuses the second bind at the start. */
		for (size_t k = 0; k < ct->n_ports; k++) {
			struct spec_port *pt = &ct->ports[k];
			if (!pt->host_port)
				continue;
			for (size_t j = 0; j <= i; j++)
				for (size_t l = 0; l < (j == i ? k : pod->ctrs[j].n_ports); l++)
					if (pod->ctrs[j].ports[l].host_port == pt->host_port &&
					    same_ip(pod->ctrs[j].ports[l].host_ip, pt->host_ip))
						return fail_msg(
						    EINVAL,
						    "%s:%d:%d: %s.ports[%zu].hostPort: %d is "
						    "already published by %s.ports[%zu]",
						    c->file, pt->mark.line, pt->mark.col, p, k,
						    pt->host_port, ctr_path(pod, j, q, sizeof(q)),
						    l);
		}
	}
	return 0;
}

/* ---- priority ---------------------------------------------------------------- */

/* The PriorityClasses every cluster has (scheduling/v1's
 * SystemPriorityClasses); others are objects of the API, which podrun has
 * none of. */
static const struct {
	const char *name;
	int32_t value;
} builtin_classes[] = {
    {"system-node-critical", 2000001000},
    {"system-cluster-critical", 2000000000},
};
#define SPEC_CRITICAL_PRIORITY 2000000000 /* scheduling.SystemCriticalPriority */

bool spec_critical(const struct pod_spec *p)
{
	return p->priority >= SPEC_CRITICAL_PRIORITY;
}

bool spec_node_critical(const struct pod_spec *p)
{
	return spec_critical(p) && p->priority_class &&
	       !strcmp(p->priority_class, builtin_classes[0].name);
}

/* What the Priority admission plugin does before the pod is stored: the
 * class's value becomes spec.priority (0 with no class: no globalDefault
 * class exists here), and a priority written in the spec must be that very
 * number - so a spec read back from a cluster passes, and a pod cannot make
 * itself critical with a number alone. class_k, prio_v: the nodes of the two
 * fields, NULL when not written. */
static int resolve_priority(struct ctx *c, struct pod_spec *pod, const yaml_node_t *class_k,
                            const yaml_node_t *prio_v, long written)
{
	pod->priority = 0;
	if (pod->priority_class && !*pod->priority_class)
		pod->priority_class = NULL;
	if (pod->priority_class) {
		size_t i = 0;
		while (i < ARRAY_SIZE(builtin_classes) &&
		       strcmp(pod->priority_class, builtin_classes[i].name))
			i++;
		if (i < ARRAY_SIZE(builtin_classes)) {
			pod->priority = builtin_classes[i].value;
		} else {
			char why[256];
			snprintf(
			    why, sizeof(why),
			    "no PriorityClass with name %s was found (podrun knows the built-in "
			    "system-node-critical and system-cluster-critical)",
			    pod->priority_class);
			pod->priority_class = NULL;
			if (refused(c, class_k, "spec.priorityClassName", why) < 0)
				return -1;
		}
	}
	if (prio_v && written != pod->priority)
		return err_at(c, prio_v,
		              "spec.priority: the integer value of priority (%ld) must not be "
		              "provided in pod spec; priority admission controller computed %d "
		              "from the given PriorityClass name",
		              written, (int)pod->priority);
	return 0;
}

static int parse_spec(struct ctx *c, const yaml_node_t *n, struct pod_spec *pod)
{
	if (expect(c, n, YAML_MAPPING_NODE, "spec") < 0)
		return -1;
	yaml_node_t *inits = NULL, *apps = NULL, *vols = NULL;
	const yaml_node_t *dns_none = NULL, *dns_config = NULL, *class_k = NULL, *prio_v = NULL;
	long prio = 0;
	bool sa_name = false;
	const yaml_node_t *sa_node = NULL;
	for (size_t i = 0; i < map_len(n); i++) {
		struct field f;
		int r = 0;
		if (field_at(c, n, i, "spec", &f) < 0)
			return -1;
		if (!strcmp(f.key, "initContainers")) {
			if (!is_null(f.v) && (r = expect(c, f.v, YAML_SEQUENCE_NODE, f.path)) == 0)
				inits = f.v;
		} else if (!strcmp(f.key, "containers")) {
			if ((r = expect(c, f.v, YAML_SEQUENCE_NODE, f.path)) == 0)
				apps = f.v;
		} else if (!strcmp(f.key, "volumes")) {
			if (!is_null(f.v) && (r = expect(c, f.v, YAML_SEQUENCE_NODE, f.path)) == 0)
				vols = f.v;
		} else if (!strcmp(f.key, "restartPolicy")) {
			const char *s = NULL;
			if ((r = get_str_opt(c, f.v, f.path, &s)) == 0 && s &&
			    init_restart_parse(s, &pod->restart_policy) < 0)
				r = err_at(c, f.v,
				           "%s: \"%s\" is not a restart policy (Always, OnFailure, "
				           "Never)",
				           f.path, s);
		} else if (!strcmp(f.key, "activeDeadlineSeconds")) {
			r = is_null(f.v)
			        ? 0
			        : get_int(c, f.v, f.path, 1, 2147483647L, &pod->active_deadline);
		} else if (!strcmp(f.key, "terminationGracePeriodSeconds")) {
			r = is_null(f.v)
			        ? 0
			        : get_int(c, f.v, f.path, 0, 24 * 3600, &pod->grace_seconds);
		} else if (!strcmp(f.key, "shareProcessNamespace")) {
			r = get_bool(c, f.v, f.path, &pod->share_pid);
		} else if (!strcmp(f.key, "os")) {
			r = parse_os(c, f.v, f.path, pod);
		} else if (!strcmp(f.key, "hostname")) {
			if ((r = get_str_opt(c, f.v, f.path, &pod->hostname)) == 0 && pod->hostname)
				r = check_label(c, f.v, f.path, pod->hostname);
			pod->hostname_set = pod->hostname != NULL;
		} else if (!strcmp(f.key, "priorityClassName")) {
			class_k = f.k;
			r = get_str(c, f.v, f.path, &pod->priority_class);
		} else if (!strcmp(f.key, "priority")) {
			if (!is_null(f.v) &&
			    (r = get_int(c, f.v, f.path, INT32_MIN, INT32_MAX, &prio)) == 0)
				prio_v = f.v;
		} else if (!strcmp(f.key, "securityContext")) {
			r = parse_pod_security(c, f.v, f.path, pod);
		} else if (!strcmp(f.key, "serviceAccountName") ||
		           !strcmp(f.key, "serviceAccount")) {
			/* kept for fieldRef spec.serviceAccountName. The v1 conversion
			 * takes the deprecated serviceAccount when serviceAccountName is
			 * empty: an empty or null one is as good as absent, in either
			 * order, and a non-empty serviceAccountName wins. */
			const char *sa = NULL;
			if ((r = get_str(c, f.v, f.path, &sa)) == 0 && sa && *sa &&
			    (f.key[14] == 'N' || !sa_name)) {
				pod->service_account = sa;
				sa_node = f.v;
			}
			if (f.key[14] == 'N' && sa && *sa)
				sa_name = true;
			warn_at(c, f.k, "%s: no token is mounted (podrun has no API server)",
			        f.path);
		} else if (!strcmp(f.key, "hostAliases")) {
			r = parse_host_aliases(c, f.v, f.path, pod);
		} else if (!strcmp(f.key, "dnsPolicy")) {
			const char *pol = NULL;
			static const char *const policies[] = {
			    "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None", NULL};
			if ((r = get_str_opt(c, f.v, f.path, &pol)) == 0 && pol) {
				if (!matches(pol, policies))
					r = err_at(
					    c, f.v,
					    "%s: Unsupported value: \"%s\": supported values: "
					    "\"ClusterFirst\", \"ClusterFirstWithHostNet\", "
					    "\"Default\", \"None\"",
					    f.path, pol);
				pod->dns_policy = pol;
				pod->dns_none = !strcmp(pol, "None");
				if (pod->dns_none)
					dns_none = f.v;
			}
		} else if (!strcmp(f.key, "dnsConfig")) {
			dns_config = f.v;
			pod->dns_config_set = !is_null(f.v);
			r = parse_dns_config(c, f.v, f.path, pod);
		} else if (!strcmp(f.key, "hostNetwork")) {
			r = get_bool(c, f.v, f.path, &pod->host_network);
		} else if (!strcmp(f.key, "hostPID")) {
			r = get_bool(c, f.v, f.path, &pod->host_pid);
		} else if (!strcmp(f.key, "hostIPC")) {
			r = get_bool(c, f.v, f.path, &pod->host_ipc);
		} else if (!strcmp(f.key, "hostUsers")) {
			bool host = true;
			if ((r = get_bool(c, f.v, f.path, &host)) == 0 && !host)
				r = refused(c, f.k, f.path, "user namespaces are not supported");
		} else if (matches(f.key, pod_refused)) {
			r = refused(c, f.k, f.path, "not supported yet");
		} else {
			r = ignored(c, &f, pod_unsupported);
		}
		if (r < 0)
			return -1;
	}
	if (!apps)
		return err_at(c, n, "spec.containers: required");
	if (resolve_priority(c, pod, class_k, prio_v, prio) < 0)
		return -1;
	/* ValidateServiceAccountName, on the one the v1 conversion kept */
	if (sa_node && !spec_dns1123_subdomain(pod->service_account))
		return err_at(
		    c, sa_node,
		    "spec.serviceAccountName: Invalid value: \"%s\": " DNS1123_SUBDOMAIN_MSG,
		    pod->service_account);
	/* the API server's: with None the pod's resolv.conf is dnsConfig alone;
	 * `dnsConfig: null` is a nil pointer there, as if not written */
	if (dns_none && !pod->dns_config_set)
		return err_at(c, dns_none,
		              "spec.dnsConfig: Required value: must provide `dnsConfig` when "
		              "`dnsPolicy` is None");
	if (dns_none && (!pod->dns_nameservers || !pod->dns_nameservers[0])) /* [] too */
		return err_at(c, dns_config,
		              "spec.dnsConfig.nameservers: Required value: must provide at least "
		              "one DNS nameserver when `dnsPolicy` is None");
	if (seq_len(apps) == 0)
		return err_at(c, apps, "spec.containers: at least one container is required");
	size_t ni = inits ? seq_len(inits) : 0, na = seq_len(apps);
	if (!(pod->ctrs = alloc(c, (ni + na) * sizeof(*pod->ctrs))))
		return -1;
	if (vols) {
		pod->n_volumes = seq_len(vols);
		if (!(pod->volumes = alloc(c, (pod->n_volumes + 1) * sizeof(*pod->volumes))))
			return -1;
		for (size_t i = 0; i < pod->n_volumes; i++) {
			char p[PATH_LEN];
			snprintf(p, sizeof(p), "spec.volumes[%zu]", i);
			yaml_node_t *item = node(c, vols->data.sequence.items.start[i]);
			if (!item)
				return err_at(c, vols, "%s: too many nodes (aliases?)", p);
			if (parse_volume(c, item, p, &pod->volumes[i]) < 0)
				return -1;
		}
	}
	c->grace_seconds = pod->grace_seconds; /* a sleep hook is bounded by it */
	if (inits &&
	    parse_containers(c, inits, "spec.initContainers", true, pod->ctrs, &pod->n_ctrs) < 0)
		return -1;
	pod->n_init = pod->n_ctrs;
	if (parse_containers(c, apps, "spec.containers", false, pod->ctrs, &pod->n_ctrs) < 0)
		return -1;
	if (merge_security(c, pod) < 0)
		return -1;
	if (c->windows_options.line && pod->os_name && !strcmp(pod->os_name, "linux"))
		return err_at_mark(c, c->windows_options,
		                   "%s: Forbidden: windows options cannot be set for a linux pod",
		                   c->windows_path);
	return cross_check(c, pod);
}

static int parse_pod(struct ctx *c, const yaml_node_t *root, struct pod_spec *pod)
{
	pod->file = c->file;
	pod->mark = mark_of(root);
	pod->restart_policy = INIT_RESTART_ALWAYS;
	pod->grace_seconds = 30;
	pod->namespace_ = "default";
	pod->sec = (struct spec_security){-1, -1, -1, -1, -1, NULL};
	pod->fs_group = -1;
	if (root->type != YAML_MAPPING_NODE)
		return err_at(c, root,
		              "expected a Pod (a mapping with apiVersion, kind, metadata, "
		              "spec), got %s",
		              type_name(root));
	const char *api = NULL, *kind = NULL;
	yaml_node_t *meta = NULL, *spec = NULL, *api_node = NULL, *kind_node = NULL;
	static const char *const known[] = {"status", NULL};
	for (size_t i = 0; i < map_len(root); i++) {
		struct field f;
		if (field_at(c, root, i, "", &f) < 0)
			return -1;
		if (!strcmp(f.key, "apiVersion")) {
			if (get_str(c, f.v, f.path, &api) < 0)
				return -1;
			api_node = f.v;
		} else if (!strcmp(f.key, "kind")) {
			if (get_str(c, f.v, f.path, &kind) < 0)
				return -1;
			kind_node = f.v;
		} else if (!strcmp(f.key, "metadata")) {
			meta = f.v;
		} else if (!strcmp(f.key, "spec")) {
			spec = f.v;
		} else {
			if (ignored(c, &f, known) < 0)
				return -1;
		}
	}
	/* The order Kubernetes checks them in: what it is, then its name, then the rest. */
	if (!api)
		return err_at(c, root, "apiVersion: required (\"v1\")");
	if (strcmp(api, "v1"))
		return err_at(c, api_node, "apiVersion: \"%s\" is not supported (a Pod is \"v1\")",
		              api);
	if (!kind)
		return err_at(c, root, "kind: required (\"Pod\")");
	if (strcmp(kind, "Pod"))
		return err_at(c, kind_node, "kind: \"%s\" is not supported (podrun runs kind Pod)",
		              kind);
	if (!meta)
		return err_at(c, root, "metadata: required");
	if (parse_metadata(c, meta, pod) < 0)
		return -1;
	if (!spec)
		return err_at(c, root, "spec: required");
	if (parse_spec(c, spec, pod) < 0)
		return -1;
	if (!pod->hostname) {
		/* kubelet's: the pod's name, dots and all, cut to the 63 bytes a
		 * hostname may have, without a '-' or '.' left at its end */
		char *h = dup_str(c, pod->name);
		if (!h)
			return -1;
		size_t n = strlen(h);
		if (n > 63)
			for (n = 63; n > 0 && (h[n - 1] == '-' || h[n - 1] == '.'); n--)
				;
		h[n] = '\0';
		pod->hostname = h;
	}
	static char *const none[] = {NULL};
	if (!pod->labels)
		pod->labels = (char **)none;
	if (!pod->annotations)
		pod->annotations = (char **)none;
	if (!pod->service_account)
		pod->service_account = "default";
	return 0;
}

/* `kubectl get pods -o yaml` writes a v1 List, and `kubectl apply` takes its
 * items as so many Pods: podrun does too. 1 and the items when root is a
 * List; 0 when it is not (a Pod, or what parse_pod will say is not one);
 * -1 for a List it cannot read. The List's own metadata is the list's, not
 * a pod's: skipped. */
static int list_items(struct ctx *c, yaml_node_t *root, yaml_node_item_t **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	if (root->type != YAML_MAPPING_NODE)
		return 0;
	bool list = false;
	for (size_t i = 0; i < map_len(root); i++) {
		yaml_node_pair_t *pr = root->data.mapping.pairs.start + i;
		const yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value);
		if (k && v && k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE &&
		    !strcmp(sval(k), "kind"))
			list = !strcmp(sval(v), "List");
	}
	if (!list)
		return 0;
	const yaml_node_t *api = NULL, *seq = NULL;
	for (size_t i = 0; i < map_len(root); i++) {
		struct field f;
		if (field_at(c, root, i, "", &f) < 0)
			return -1;
		if (!strcmp(f.key, "apiVersion"))
			api = f.v;
		else if (!strcmp(f.key, "items"))
			seq = f.v;
		else if (strcmp(f.key, "kind") && strcmp(f.key, "metadata") &&
		         unknown_refused(c, &f) < 0)
			return -1;
	}
	if (!api || api->type != YAML_SCALAR_NODE || strcmp(sval(api), "v1"))
		return err_at(c, api ? api : root, "apiVersion: a List is \"v1\"");
	if (!seq || is_null(seq))
		return 1; /* an empty list: no Pod in it */
	if (expect(c, seq, YAML_SEQUENCE_NODE, "items") < 0)
		return -1;
	*items = seq->data.sequence.items.start;
	*n = seq_len(seq);
	return 1;
}

/* One more Pod of the file, from root: parsed into pods[*n], and refused
 * when an earlier one has its name. */
static int add_pod(struct ctx *c, const yaml_node_t *root, struct pod_spec **pods, size_t *n)
{
	struct pod_spec *grown = realloc(*pods, (*n + 1) * sizeof(**pods));
	if (!grown)
		return fail_msg(ENOMEM, "%s: out of memory", c->file);
	*pods = grown;
	struct pod_spec *pod = &grown[*n];
	memset(pod, 0, sizeof(*pod));
	c->mem = (struct blk **)&pod->mem;
	c->visits = 0;
	c->windows_options = (struct spec_mark){0, 0};
	(*n)++;
	if (parse_pod(c, root, pod) < 0)
		return -1;
	for (size_t i = 0; i + 1 < *n; i++)
		if (!strcmp(grown[i].name, pod->name))
			return fail_msg(EINVAL,
			                "%s:%d:%d: metadata.name: pod \"%s\" is defined twice "
			                "(first at line %d)",
			                c->file, pod->mark.line, pod->mark.col, pod->name,
			                grown[i].mark.line);
	return 0;
}

/* ---- syntax errors --------------------------------------------------------- */

static void offset_to_mark(const char *text, size_t len, size_t off, struct spec_mark *m)
{
	m->line = 1;
	m->col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			m->line++;
			m->col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			m->col++;
		}
	}
}

int spec_find_tab_indent(const char *text, size_t len, int last_line, struct spec_mark *at)
{
	/* BEGIN EXERCISE: spec-tab (easy, 20 min): find the first tab in an indentation
	 * Hint: capstone/README.md "Exercises"; YAML 1.2 spec, 6.1 "Indentation Spaces" */
	/* STUB: (void)text; (void)len; (void)last_line; (void)at; return exercise_todo(7,
	 * "spec-tab"); */
	*at = (struct spec_mark){0, 0};
	int line = 1;
	for (size_t i = 0; i < len && line <= last_line; line++) {
		/* the indentation: the blanks before the first other character */
		size_t j = i;
		while (j < len && (text[j] == ' ' || text[j] == '\t'))
			j++;
		const char *tab = memchr(text + i, '\t', j - i);
		/* Blank and comment lines count too: libyaml rejects a tab there as
		 * well. (A tab inside a block scalar's text would be legal; if the
		 * error is elsewhere we blame the tab: rare, and still worth a look.) */
		if (tab) {
			*at = (struct spec_mark){line, (int)(tab - (text + i)) + 1};
			return 0;
		}
		const char *nl = memchr(text + j, '\n', len - j);
		if (!nl)
			break;
		i = (size_t)(nl - text) + 1;
	}
	return 0;
	/* END EXERCISE */
}

static int syntax_error(struct ctx *c, yaml_parser_t *parser)
{
	struct spec_mark m;
	if (parser->error == YAML_READER_ERROR)
		offset_to_mark(c->text, c->len, parser->problem_offset, &m);
	else
		m = (struct spec_mark){(int)parser->problem_mark.line + 1,
		                       (int)parser->problem_mark.column + 1};
	/* libyaml says "found character that cannot start any token" or the
	 * like; a tab before that point is what a person needs to hear about. */
	struct spec_mark tab = {0, 0};
	if (spec_find_tab_indent(c->text, c->len, m.line, &tab) == 0 && tab.line > 0)
		return fail_msg(EINVAL,
		                "%s:%d:%d: tab character in indentation (YAML indents with spaces "
		                "only)",
		                c->file, tab.line, tab.col);
	const char *problem = parser->problem ? parser->problem : "syntax error";
	if (parser->context)
		return fail_msg(EINVAL, "%s:%d:%d: invalid YAML: %s %s", c->file, m.line, m.col,
		                problem, parser->context);
	return fail_msg(EINVAL, "%s:%d:%d: invalid YAML: %s", c->file, m.line, m.col, problem);
}

/* What an anchor's value adds up to (check_events): the bytes of its
 * strings, those its own aliases stand for included. */
struct anchor {
	char *name;
	size_t bytes; /* ANCHOR_OPEN while its value is still being read */
};
#define ANCHOR_OPEN SIZE_MAX

struct anchors {
	struct anchor *slot; /* open addressing, at most half full */
	size_t cap, n;
};

/* name's slot, or the empty slot where it would go */
static struct anchor *anchor_slot(const struct anchors *t, const char *name)
{
	size_t h = hash_str(name) & (t->cap - 1);
	while (t->slot[h].name && strcmp(t->slot[h].name, name))
		h = (h + 1) & (t->cap - 1);
	return &t->slot[h];
}

static const struct anchor *anchor_get(const struct anchors *t, const char *name)
{
	const struct anchor *a = t->cap ? anchor_slot(t, name) : NULL;
	return a && a->name ? a : NULL;
}

/* The anchor called name (added if new), its size set; NULL: out of memory. */
static struct anchor *anchor_set(struct anchors *t, const char *name, size_t bytes)
{
	if (2 * (t->n + 1) > t->cap) {
		struct anchors g = {.cap = t->cap ? 2 * t->cap : 64, .n = t->n};
		if (!(g.slot = calloc(g.cap, sizeof(*g.slot))))
			return NULL;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slot[i].name)
				*anchor_slot(&g, t->slot[i].name) = t->slot[i];
		free(t->slot);
		*t = g;
	}
	struct anchor *a = anchor_slot(t, name);
	if (!a->name) {
		char *copy = strdup(name);
		if (!copy)
			return NULL;
		/* a slot of the table, which calloc grows: anchors_free frees it */
		ANALYZER_REALLOC_LEAK_FP_BEGIN
		a->name = copy;
		t->n++;
	}
	a->bytes = bytes;
	return a;
	ANALYZER_REALLOC_LEAK_FP_END
}

static void anchors_free(struct anchors *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i].name);
	free(t->slot);
}

/* An explicit tag: go-yaml v2 acts on it where the loaded tree cannot tell
 * it from none - "!!binary aGk=" is "hi" on a cluster, "!!str 80" a string,
 * "!!int \"80\"" a number - so it is refused, not misread. The one that
 * changes nothing is let through: the node's own kind's tag on a collection
 * or a quoted string (same: whether that is the case). */
static int tag_refused(struct ctx *c, struct spec_mark m, const char *tag, const char *own,
                       bool same)
{
	static const char yaml_org[] = "tag:yaml.org,2002:"; /* "!!" */
	if (!tag || (same && !strcmp(tag, own)))
		return 0;
	bool short_form = !strncmp(tag, yaml_org, sizeof(yaml_org) - 1);
	return err_at_mark(c, m,
	                   "YAML tag %s%s: podrun does not resolve tags (Kubernetes' YAML reader "
	                   "would); write the value without it, quoted for a string",
	                   short_form ? "!!" : "", tag + (short_form ? sizeof(yaml_org) - 1 : 0));
}

/* A first pass over the events, before any document is loaded, for what the
 * loaded tree no longer shows. Each is refused at the event that crosses it:
 *   - a nesting deeper than MAX_DEPTH (libyaml's own cost grows with it);
 *   - more than MAX_ANCHORS anchors (the loader's cost grows as their square);
 *   - strings that add up to more than SPEC_MAX_EXPANDED_BYTES once aliases
 *     are expanded: the walk copies a string at each alias of it, and the
 *     loaded tree has lost the alias's own line and column;
 *   - an alias inside the value of its own anchor, which would never end
 *     (Kubernetes' YAML reader refuses it too);
 *   - a NUL in a string: a raw one is refused as binary data, but "\0" in a
 *     double-quoted string makes one too, and C would cut the value there
 *     ("/tmp\0/x" read as "/tmp").
 * Syntax errors are left to the load, which reports them with more care. */
static int check_events(struct ctx *c)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return fail_msg(ENOMEM, "%s: yaml_parser_initialize: out of memory", c->file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)c->text, c->len);
	struct anchors anchors = {0};
	/* per open collection: its anchor, and the bytes counted before it */
	struct {
		const char *anchor;
		size_t from;
	} open[MAX_DEPTH + 1];
	size_t bytes = 0; /* of every string so far in the file, aliases expanded */
	int depth = 0, rc = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev))
			break;
		yaml_event_type_t t = ev.type;
		struct spec_mark m = {(int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1};
		if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) {
			const char *anchor = (const char *)(t == YAML_MAPPING_START_EVENT
			                                        ? ev.data.mapping_start.anchor
			                                        : ev.data.sequence_start.anchor);
			const char *tag = (const char *)(t == YAML_MAPPING_START_EVENT
			                                     ? ev.data.mapping_start.tag
			                                     : ev.data.sequence_start.tag);
			if (tag_refused(c, m, tag,
			                t == YAML_MAPPING_START_EVENT ? YAML_MAP_TAG : YAML_SEQ_TAG,
			                true) < 0) {
				rc = -1;
			} else if (++depth > MAX_DEPTH) {
				rc = err_at_mark(
				    c, m, "nested more than %d levels deep (a Pod needs about 10)",
				    MAX_DEPTH);
			} else {
				struct anchor *a =
				    anchor ? anchor_set(&anchors, anchor, ANCHOR_OPEN) : NULL;
				if (anchor && !a)
					rc = fail_msg(ENOMEM, "%s: out of memory", c->file);
				open[depth].anchor = a ? a->name : NULL;
				open[depth].from = bytes;
			}
		} else if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT) {
			if (depth > 0 && open[depth].anchor &&
			    !anchor_set(&anchors, open[depth].anchor, bytes - open[depth].from))
				rc = fail_msg(ENOMEM, "%s: out of memory", c->file);
			depth--;
		} else if (t == YAML_SCALAR_EVENT) {
			size_t len = ev.data.scalar.length;
			const char *anchor = (const char *)ev.data.scalar.anchor;
			bytes += len;
			if (memchr(ev.data.scalar.value, '\0', len))
				rc = err_at_mark(
				    c, m,
				    "a NUL character (\\0) in a string: refused, it would "
				    "cut the string short");
			else if (tag_refused(c, m, (const char *)ev.data.scalar.tag, YAML_STR_TAG,
			                     ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE) < 0)
				rc = -1;
			else if (anchor && !anchor_set(&anchors, anchor, len))
				rc = fail_msg(ENOMEM, "%s: out of memory", c->file);
		} else if (t == YAML_ALIAS_EVENT) {
			/* an alias to no anchor is the load's to report */
			const char *name = (const char *)ev.data.alias.anchor;
			const struct anchor *a = anchor_get(&anchors, name);
			if (a && a->bytes == ANCHOR_OPEN)
				rc = err_at_mark(
				    c, m, "alias *%s: inside the value of its own anchor", name);
			else if (a && (bytes += a->bytes) > SPEC_MAX_EXPANDED_BYTES)
				rc = err_at_mark(
				    c, m,
				    "alias *%s: with its aliases expanded, the file's strings "
				    "are more than %d bytes (3 MiB)",
				    name, SPEC_MAX_EXPANDED_BYTES);
		}
		if (rc == 0 && anchors.n > MAX_ANCHORS)
			rc = err_at_mark(c, m, "more than %d anchors (a Pod needs a few)",
			                 MAX_ANCHORS);
		yaml_event_delete(&ev);
		if (rc < 0 || t == YAML_STREAM_END_EVENT)
			break;
	}
	anchors_free(&anchors);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- entry points ---------------------------------------------------------- */

void spec_free(struct pod_spec *pods, size_t n_pods)
{
	if (!pods)
		return;
	for (size_t i = 0; i < n_pods; i++)
		free_blocks(pods[i].mem);
	free(pods);
}

int spec_parse_buffer(const char *name, const char *text, size_t len, spec_warn_fn warn,
                      void *warn_arg, struct pod_spec **pods_out, size_t *n_out)
{
	struct ctx c = {.file = name, .text = text, .len = len, .warn = warn, .warn_arg = warn_arg};
	struct pod_spec *pods = NULL;
	size_t n = 0;
	int rc = -1;

	if (len > SPEC_MAX_BYTES)
		return fail_msg(EFBIG, "%s:1:1: %zu bytes is more than podrun reads (%d, 1 MiB)",
		                name, len, SPEC_MAX_BYTES);
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		struct spec_mark m;
		offset_to_mark(text, len, (size_t)(nul - text), &m);
		return fail_msg(EINVAL, "%s:%d:%d: binary data (a NUL byte), not YAML", name,
		                m.line, m.col);
	}

	if (check_events(&c) < 0)
		return -1;
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return fail_msg(ENOMEM, "%s: yaml_parser_initialize: out of memory", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			syntax_error(&c, &parser);
			goto out;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break; /* the end of the stream */
		}
		if (is_null(root)) {
			yaml_document_delete(&doc);
			continue; /* an empty document between two "---" */
		}
		c.doc = &doc;
		c.visits = 0;
		yaml_node_item_t *items;
		size_t n_items;
		int list = list_items(&c, root, &items, &n_items);
		int r = list < 0 ? -1 : 0;
		for (size_t k = 0; r == 0 && k < (list ? n_items : 1); k++) {
			yaml_node_t *pod = list ? node(&c, items[k]) : root;
			r = pod ? add_pod(&c, pod, &pods, &n)
			        : err_at(&c, root, "items: too many nodes");
		}
		yaml_document_delete(&doc);
		if (r < 0)
			goto out;
	}
	if (n == 0) {
		fail_msg(EINVAL, "%s:1:1: no Pod in this file (it is empty)", name);
		goto out;
	}
	*pods_out = pods;
	*n_out = n;
	pods = NULL;
	n = 0;
	rc = 0;
out:
	yaml_parser_delete(&parser);
	spec_free(pods, n);
	return rc;
}

int spec_parse_file(const char *path, spec_warn_fn warn, void *warn_arg, struct pod_spec **pods,
                    size_t *n_pods)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (spec_read_file(path, &buf, &len) < 0)
		return -1;
	return spec_parse_buffer(path, buf, len, warn, warn_arg, pods, n_pods);
}

int spec_read_file(const char *path, char **text, size_t *text_len)
{
	*text = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open(%s)", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return fail_errno("fstat(%s)", path);
	if (!S_ISREG(st.st_mode))
		return fail_msg(EINVAL, "%s: not a regular file", path);
	if (st.st_size > SPEC_MAX_BYTES)
		return fail_msg(EFBIG, "%s:1:1: %lld bytes is more than podrun reads (%d, 1 MiB)",
		                path, (long long)st.st_size, SPEC_MAX_BYTES);
	_cleanup_free_ char *buf = malloc(SPEC_MAX_BYTES + 2);
	if (!buf)
		return fail_msg(ENOMEM, "%s: out of memory", path);
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, SPEC_MAX_BYTES + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail_errno("read(%s)", path);
		if (r == 0 || (len += (size_t)r) > SPEC_MAX_BYTES)
			break;
	}
	/* It grew between the fstat and the read: parse_buffer says it is too large. */
	buf[len] = '\0';
	*text = buf;
	*text_len = len;
	buf = NULL;
	return 0;
}

const struct spec_container *spec_find_container(const struct pod_spec *p, const char *name)
{
	for (size_t i = 0; i < p->n_ctrs; i++)
		if (!strcmp(p->ctrs[i].name, name))
			return &p->ctrs[i];
	return NULL;
}
