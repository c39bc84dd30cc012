/*
 * scenario.c - the scenario file format, the study note's built-in scenario,
 * random scenarios (see cosched.h).
 *
 * A scenario is plain text, one declaration a line, '#' starts a comment:
 *
 *     scenario study-note
 *     node Node_A 1.25Gi
 *     node Node_B 2Gi
 *     container App 1Gi group=logging at=0
 *     container LogController 512Mi group=logging at=1
 *
 * Sizes are Kubernetes-style quantities in Mi or Gi. `at=` is the arrival tick;
 * without it a container arrives one tick after the one before it.
 */
#include "cosched.h"

#include "common.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

/* ---- errors: "file:line:col: message" --------------------------------------- */

struct parser {
	const char *file;
	int line;
	const char *start; /* of the current line, for columns */
};

static int perr(const struct parser *p, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(const struct parser *p, const char *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Columns count bytes from 1, as compilers do, so editors can jump there. */
	return fail_msg(EINVAL, "%s:%d:%d: %s", p->file, p->line, (int)(at - p->start) + 1, msg);
}

/* ---- words ------------------------------------------------------------------------ */

struct word {
	const char *s;
	size_t len;
};

static int split(char *line, struct word *w, int max)
{
	int n = 0;
	for (char *c = line; *c;) {
		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c || *c == '#')
			break;
		char *end = c;
		while (*end && *end != ' ' && *end != '\t' && *end != '#')
			end++;
		if (n < max)
			w[n] = (struct word){c, (size_t)(end - c)};
		n++;
		c = end;
	}
	return n;
}

static bool word_is(const struct word *w, const char *s)
{
	return w->len == strlen(s) && !memcmp(w->s, s, w->len);
}

/* The first byte of s[0..len) a name may not hold, or len when there is none. */
static size_t name_bad_at(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len &&
	       (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.'))
		i++;
	return i;
}

static int parse_name(const struct parser *p, const struct word *w, const char *what, char *out,
                      size_t size)
{
	if (w->len >= size)
		return perr(p, w->s, "%s name is longer than %zu characters", what, size - 1);
	size_t i = name_bad_at(w->s, w->len);
	if (i < w->len)
		return perr(p, w->s + i, "'%c' in %s name: use letters, digits, '_', '-' and '.'",
		            w->s[i], what);
	memcpy(out, w->s, w->len);
	out[w->len] = '\0';
	return 0;
}

/*
 * "512Mi", "2Gi", "1.25Gi". The fraction is what lets the study note's
 * "1.25G" be written as it is; it must come out as whole MiB.
 */
static int parse_size(const struct parser *p, const struct word *w, int *mib)
{
	const char *c = w->s, *end = w->s + w->len;
	long whole = 0, frac = 0, scale = 1;
	if (c == end || !isdigit((unsigned char)*c))
		return perr(p, w->s, "expected a size like 512Mi or 1.25Gi, got '%.*s'",
		            (int)w->len, w->s);
	for (; c < end && isdigit((unsigned char)*c); c++) {
		whole = whole * 10 + (*c - '0');
		if (whole > COSCHED_MAX_MIB)
			return perr(p, w->s, "size too large (at most 1024Gi)");
	}
	if (c < end && *c == '.') {
		c++;
		if (c == end || !isdigit((unsigned char)*c))
			return perr(p, c, "expected digits after '.'");
		for (; c < end && isdigit((unsigned char)*c); c++) {
			if (scale >= 1000)
				return perr(p, c, "at most 3 digits after '.'");
			frac = frac * 10 + (*c - '0');
			scale *= 10;
		}
	}
	long unit;
	if ((size_t)(end - c) == 2 && !memcmp(c, "Mi", 2))
		unit = 1;
	else if ((size_t)(end - c) == 2 && !memcmp(c, "Gi", 2))
		unit = 1024;
	else if (c == end)
		return perr(p, c, "missing unit: write Mi or Gi (512Mi, 1.25Gi)");
	else
		return perr(p, c, "unknown unit '%.*s': use Mi or Gi", (int)(end - c), c);
	/* whole + frac/scale, in MiB, must be an integer. */
	long num = (whole * scale + frac) * unit;
	if (num % scale)
		return perr(p, w->s, "'%.*s' is not a whole number of MiB", (int)w->len, w->s);
	num /= scale;
	if (num <= 0)
		return perr(p, w->s, "size must be more than 0");
	if (num > COSCHED_MAX_MIB)
		return perr(p, w->s, "size too large (at most 1024Gi)");
	*mib = (int)num;
	return 0;
}

static int parse_tick(const struct parser *p, const char *at, const char *s, size_t len, int *out)
{
	char buf[16];
	long v;
	if (len == 0 || len >= sizeof(buf))
		return perr(p, at, "expected a tick number (0 to %d)", COSCHED_MAX_TICK);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (parse_long(buf, 0, COSCHED_MAX_TICK, &v) < 0)
		return perr(p, at, "expected a tick number (0 to %d), got '%s'", COSCHED_MAX_TICK,
		            buf);
	*out = (int)v;
	return 0;
}

/* ---- declarations ------------------------------------------------------------------ */

static int find_group(struct cosched_scenario *s, const char *name)
{
	for (int g = 0; g < s->ngroups; g++)
		if (!s->groups[g].implicit && !strcmp(s->groups[g].name, name))
			return g;
	return -1;
}

static int add_to_group(struct cosched_scenario *s, int g, int c)
{
	struct cosched_group *grp = &s->groups[g];
	const struct cosched_container *ct = &s->containers[c];
	if (grp->count == 0 || ct->at < grp->first_at)
		grp->first_at = ct->at;
	if (grp->count == 0 || ct->at > grp->last_at)
		grp->last_at = ct->at;
	grp->members[grp->count++] = c;
	grp->mib += ct->mib;
	return g;
}

static int new_group(struct cosched_scenario *s, const char *name, bool implicit)
{
	struct cosched_group *grp = &s->groups[s->ngroups];
	memset(grp, 0, sizeof(*grp));
	snprintf(grp->name, sizeof(grp->name), "%s", name);
	grp->implicit = implicit;
	return s->ngroups++;
}

static int decl_node(struct cosched_scenario *s, const struct parser *p, struct word *w, int n)
{
	if (n < 3)
		return perr(p, n < 2 ? w[0].s + w[0].len : w[1].s + w[1].len,
		            "expected 'node NAME SIZE'");
	if (n > 3)
		return perr(p, w[3].s, "unexpected '%.*s' after the node's size", (int)w[3].len,
		            w[3].s);
	if (s->nnodes == COSCHED_MAX_NODES)
		return perr(p, w[0].s, "too many nodes (at most %d)", COSCHED_MAX_NODES);
	struct cosched_node *node = &s->nodes[s->nnodes];
	if (parse_name(p, &w[1], "node", node->name, sizeof(node->name)) < 0 ||
	    parse_size(p, &w[2], &node->mib) < 0)
		return -1;
	for (int i = 0; i < s->nnodes; i++)
		if (!strcmp(s->nodes[i].name, node->name))
			return perr(p, w[1].s, "node '%s' is defined twice", node->name);
	s->nnodes++;
	return 0;
}

static int decl_container(struct cosched_scenario *s, const struct parser *p, struct word *w, int n,
                          int *next_at)
{
	if (n < 3)
		return perr(p, n < 2 ? w[0].s + w[0].len : w[1].s + w[1].len,
		            "expected 'container NAME SIZE [group=NAME] [at=TICK]'");
	if (s->ncontainers == COSCHED_MAX_CONTAINERS)
		return perr(p, w[0].s, "too many containers (at most %d)", COSCHED_MAX_CONTAINERS);
	struct cosched_container *c = &s->containers[s->ncontainers];
	memset(c, 0, sizeof(*c));
	if (parse_name(p, &w[1], "container", c->name, sizeof(c->name)) < 0 ||
	    parse_size(p, &w[2], &c->mib) < 0)
		return -1;
	for (int i = 0; i < s->ncontainers; i++)
		if (!strcmp(s->containers[i].name, c->name))
			return perr(p, w[1].s, "container '%s' is defined twice", c->name);

	char group[COSCHED_MAX_NAME] = "";
	bool have_at = false, have_group = false;
	c->at = *next_at;
	for (int i = 3; i < n; i++) {
		const char *eq = memchr(w[i].s, '=', w[i].len);
		size_t klen = eq ? (size_t)(eq - w[i].s) : w[i].len;
		struct word key = {w[i].s, klen};
		struct word val = {eq ? eq + 1 : w[i].s + w[i].len, eq ? w[i].len - klen - 1 : 0};
		if (!eq)
			return perr(p, w[i].s, "expected group=NAME or at=TICK, got '%.*s'",
			            (int)w[i].len, w[i].s);
		if (word_is(&key, "group")) {
			if (have_group)
				return perr(p, w[i].s, "group= given twice");
			if (val.len == 0)
				return perr(p, val.s, "expected a group name after 'group='");
			if (parse_name(p, &val, "group", group, sizeof(group)) < 0)
				return -1;
			have_group = true;
		} else if (word_is(&key, "at")) {
			if (have_at)
				return perr(p, w[i].s, "at= given twice");
			if (parse_tick(p, val.s, val.s, val.len, &c->at) < 0)
				return -1;
			have_at = true;
		} else {
			return perr(p, w[i].s, "unknown option '%.*s' (expected group= or at=)",
			            (int)klen, w[i].s);
		}
	}
	/* Without at= the next container comes one tick later: it must still be a
	 * tick the format takes, or --dump would write one it refuses. */
	if (!have_at && c->at > COSCHED_MAX_TICK)
		return perr(p, w[1].s,
		            "'%s' would arrive at tick %d, past tick %d: give it at=", c->name,
		            c->at, COSCHED_MAX_TICK);
	*next_at = c->at + 1;

	int g = have_group ? find_group(s, group) : -1;
	if (g < 0)
		g = new_group(s, have_group ? group : c->name, !have_group);
	c->group = g;
	add_to_group(s, g, s->ncontainers++);
	return 0;
}

int cosched_scenario_parse(const char *file, const char *text, struct cosched_scenario *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", file);
	struct parser p = {.file = file, .line = 0};
	int next_at = 0;
	const char *line = text;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[256];
		p.line++;
		p.start = buf;
		if (len >= sizeof(buf)) {
			p.start = line;
			return perr(&p, line + sizeof(buf) - 1, "line longer than %zu characters",
			            sizeof(buf) - 1);
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (len && buf[len - 1] == '\r')
			buf[len - 1] = '\0';
		line = nl ? nl + 1 : line + len;

		struct word w[16];
		int n = split(buf, w, (int)ARRAY_SIZE(w));
		if (n == 0)
			continue;
		if (n > (int)ARRAY_SIZE(w))
			return perr(&p, w[ARRAY_SIZE(w) - 1].s, "too many words on one line");
		int rc;
		if (word_is(&w[0], "node")) {
			rc = decl_node(s, &p, w, n);
		} else if (word_is(&w[0], "container")) {
			rc = decl_container(s, &p, w, n, &next_at);
		} else if (word_is(&w[0], "scenario")) {
			if (n != 2)
				return perr(&p, n < 2 ? w[0].s + w[0].len : w[2].s,
				            "expected 'scenario NAME'");
			rc = parse_name(&p, &w[1], "scenario", s->name, sizeof(s->name));
		} else {
			rc = perr(&p, w[0].s,
			          "unknown keyword '%.*s' (expected scenario, node or container)",
			          (int)w[0].len, w[0].s);
		}
		if (rc < 0)
			return -1;
	}
	/* Missing declarations are the file's fault as a whole: point past its end. */
	p.line = p.line ? p.line : 1;
	p.start = "";
	if (s->nnodes == 0)
		return perr(&p, p.start, "no node: a scenario needs at least one 'node NAME SIZE'");
	if (s->ncontainers == 0)
		return perr(&p, p.start, "no container: a scenario needs at least one 'container'");
	return 0;
}

int cosched_scenario_load(const char *path, struct cosched_scenario *s)
{
	bool from_stdin = !strcmp(path, "-");
	FILE *f = from_stdin ? stdin : fopen(path, "re");
	if (!f)
		return fail_errno("open(%s)", path);
	/* Scenarios are small: one read into a bounded buffer keeps the parser simple. */
	static char text[256 * 1024];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	bool big = n == sizeof(text) - 1 && fgetc(f) != EOF;
	bool bad = ferror(f);
	if (!from_stdin)
		fclose(f);
	if (bad)
		return fail_errno("read(%s)", path);
	if (big)
		return fail_msg(EFBIG, "%s: larger than %zu bytes", path, sizeof(text) - 1);
	text[n] = '\0';
	if (memchr(text, '\0', n))
		return fail_msg(EINVAL, "%s: a scenario is text, this file has NUL bytes", path);
	return cosched_scenario_parse(path, text, s);
}

void cosched_scenario_study_note(struct cosched_scenario *s)
{
	/* The text is the scenario, so the built-in one and its file can never disagree. */
	static const char text[] = "scenario study-note\n"
	                           "node Node_A 1.25Gi\n"
	                           "node Node_B 2Gi\n"
	                           "container App 1Gi group=logging at=0\n"
	                           "container LogController 512Mi group=logging at=1\n";
	if (cosched_scenario_parse("(built in)", text, s) < 0)
		abort(); /* a bug in the line above, not a user error */
}

/* ---- random scenarios -------------------------------------------------------------- */

uint64_t cosched_rand(uint64_t *state)
{
	/* splitmix64 (Steele, Lea, Flood 2014): one add, three xor-shift-multiplies. */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int pick(uint64_t *rng, int lo, int hi)
{
	/* The modulo bias of a 64-bit value over a range this small is invisible here. */
	return lo + (int)(cosched_rand(rng) % (uint64_t)(hi - lo + 1));
}

void cosched_scenario_random(uint64_t seed, struct cosched_scenario *s)
{
	uint64_t rng = seed;
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "random-seed-%llu", (unsigned long long)seed);

	/* Small clusters in 256Mi steps: tight enough that placement decisions matter. */
	s->nnodes = pick(&rng, 2, 4);
	for (int i = 0; i < s->nnodes; i++) {
		snprintf(s->nodes[i].name, COSCHED_MAX_NAME, "node-%d", i + 1);
		s->nodes[i].mib = 256 * pick(&rng, 4, 12);
	}
	int ngroups = pick(&rng, 2, 6);
	for (int g = 0; g < ngroups; g++) {
		char gname[COSCHED_MAX_NAME];
		snprintf(gname, sizeof(gname), "g%d", g + 1);
		int gi = new_group(s, gname, false);
		int members = pick(&rng, 1, 3);
		/* Members of a group arrive close together, interleaved with other groups. */
		int start = pick(&rng, 0, 6);
		for (int m = 0; m < members; m++) {
			struct cosched_container *c = &s->containers[s->ncontainers];
			snprintf(c->name, COSCHED_MAX_NAME, "g%d-c%d", g + 1, m + 1);
			c->mib = 256 * pick(&rng, 1, 6);
			c->at = start + pick(&rng, 0, 3);
			c->group = gi;
			add_to_group(s, gi, s->ncontainers++);
		}
	}
}

/* ---- writing ------------------------------------------------------------------------- */

const char *cosched_fmt_mib(char *buf, size_t size, int mib)
{
	/* Gi when it reads exactly with at most two decimals (1.25Gi), else Mi.
	 * In long long: a group's sum reaches 64 x 1024Gi, and x 100 that is
	 * past INT_MAX. */
	long long centi = (long long)mib * 100;
	if (mib >= 1024 && centi % 1024 == 0) {
		long long hundredths = centi / 1024;
		if (hundredths % 100 == 0)
			snprintf(buf, size, "%lldGi", hundredths / 100);
		else if (hundredths % 10 == 0)
			snprintf(buf, size, "%lld.%lldGi", hundredths / 100, hundredths % 100 / 10);
		else
			snprintf(buf, size, "%lld.%02lldGi", hundredths / 100, hundredths % 100);
	} else {
		snprintf(buf, size, "%dMi", mib);
	}
	return buf;
}

void cosched_scenario_write(FILE *f, const struct cosched_scenario *s)
{
	char b[32];
	/* A file without a 'scenario' line is named by its path ("my dir/x.txt"),
	 * which is no name the parser takes: leave it out, and the replayed file
	 * is named by its own path. */
	if (name_bad_at(s->name, strlen(s->name)) == strlen(s->name))
		fprintf(f, "scenario %s\n", s->name);
	for (int i = 0; i < s->nnodes; i++)
		fprintf(f, "node %s %s\n", s->nodes[i].name,
		        cosched_fmt_mib(b, sizeof(b), s->nodes[i].mib));
	for (int i = 0; i < s->ncontainers; i++) {
		const struct cosched_container *c = &s->containers[i];
		const struct cosched_group *g = &s->groups[c->group];
		fprintf(f, "container %s %s", c->name, cosched_fmt_mib(b, sizeof(b), c->mib));
		if (!g->implicit)
			fprintf(f, " group=%s", g->name);
		fprintf(f, " at=%d\n", c->at);
	}
}
