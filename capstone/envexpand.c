/*
 * envexpand.c - a container's env and argv at start, kubelet's way (see
 * envexpand.h).
 */
#include "envexpand.h"

#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing string ---------------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->s, cap);
		if (!grown) {
			b->oom = true;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* ---- $(VAR) ------------------------------------------------------------------------ */

/* The length of the UTF-8 sequence at s (n bytes left), or 0 when it is not
 * one Go's utf8.DecodeRuneInString accepts (overlong forms, surrogates and
 * code points past U+10FFFF are not). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

char *env_expand(const char *in, env_lookup_fn lookup, void *arg)
{
	struct buf b = {0};
	size_t n = strlen(in), checkpoint = 0;
	put(&b, "", 0);
	for (size_t cur = 0; cur < n; cur++) {
		/* a '$' at the very end is no operator: it is copied below */
		if (in[cur] != '$' || cur + 1 >= n)
			continue;
		put(&b, in + checkpoint, cur - checkpoint);
		const char *rest = in + cur + 1;
		size_t advance = 1;
		if (rest[0] == '$') {
			put(&b, "$", 1); /* "$$": an escaped operator */
		} else if (rest[0] == '(') {
			const char *close = strchr(rest + 1, ')');
			if (close) {
				size_t len = (size_t)(close - (rest + 1));
				const char *v = lookup(arg, rest + 1, len);
				if (v) {
					put(&b, v, strlen(v));
				} else {
					/* not defined: as written */
					put(&b, "$(", 2);
					put(&b, rest + 1, len);
					put(&b, ")", 1);
				}
				advance = len + 2;
			} else {
				put(&b, "$(", 2); /* no ')': the rest is text */
			}
		} else {
			/* '$' and the character after it, which Go reads as one
			 * rune: an invalid byte there becomes U+FFFD */
			size_t len = utf8_len((const unsigned char *)rest, n - cur - 1);
			put(&b, "$", 1);
			if (len)
				put(&b, rest, len);
			else
				put(&b, "\xEF\xBF\xBD", 3);
			advance = len ? len : 1;
		}
		cur += advance;
		checkpoint = cur + 1;
	}
	if (checkpoint < n)
		put(&b, in + checkpoint, n - checkpoint);
	if (b.oom) {
		free(b.s);
		fail_msg(ENOMEM, "out of memory");
		return NULL;
	}
	return b.s;
}

const char *env_lookup_strv(void *arg, const char *name, size_t len)
{
	char *const *v = arg;
	const char *found = NULL;
	/* No variable's name holds a '=' (the API server refuses one): "$(K=V)"
	 * names none, where a prefix match would read K's value "V=w" as w. */
	if (memchr(name, '=', len))
		return NULL;
	for (size_t i = 0; v && v[i]; i++)
		if (!strncmp(v[i], name, len) && v[i][len] == '=')
			found = v[i] + len + 1;
	return found;
}

/* ---- fieldRef, resourceFieldRef --------------------------------------------------- */

/* A "key=value" list's value for key, "" when it has none (a missing label
 * reads as empty, as a Go map's zero value). */
static const char *kv_get(char *const *kv, const char *key)
{
	size_t len = strlen(key);
	for (size_t i = 0; kv && kv[i]; i++)
		if (!strncmp(kv[i], key, len) && kv[i][len] == '=')
			return kv[i] + len + 1;
	return "";
}

static char *dup_or_fail(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		fail_msg(ENOMEM, "out of memory");
	return d;
}

char *env_field_value(const struct env_ctx *ctx, const struct spec_env *e)
{
	const struct pod_spec *p = ctx->pod;
	switch (e->field) {
	case SPEC_FIELD_NAME:
		return dup_or_fail(p->name);
	case SPEC_FIELD_NAMESPACE:
		return dup_or_fail(p->namespace_);
	case SPEC_FIELD_UID:
		return dup_or_fail(ctx->uid);
	case SPEC_FIELD_LABEL:
		return dup_or_fail(kv_get(p->labels, e->key));
	case SPEC_FIELD_ANNOTATION:
		return dup_or_fail(kv_get(p->annotations, e->key));
	case SPEC_FIELD_NODE_NAME:
		return dup_or_fail(ctx->node_name);
	case SPEC_FIELD_SERVICE_ACCOUNT:
		return dup_or_fail(p->service_account);
	/* one address each: podIPs and hostIPs are the one IP, joined by ","
	 * when there would be more */
	case SPEC_FIELD_POD_IP:
	case SPEC_FIELD_POD_IPS:
		return dup_or_fail(ctx->pod_ip);
	case SPEC_FIELD_HOST_IP:
	case SPEC_FIELD_HOST_IPS:
		return dup_or_fail(ctx->host_ip);
	}
	fail_msg(EINVAL, "env %s: unknown fieldRef", e->name);
	return NULL;
}

char *env_resource_value(const struct env_ctx *ctx, const struct spec_container *sc,
                         const struct spec_env *e)
{
	const struct spec_container *t = e->container ? &ctx->pod->ctrs[e->ctr] : sc;
	/* kubelet fills the node's allocatable into the limits it does not find
	 * for the container itself and for the pod's app containers; an init
	 * container named by containerName keeps an unset limit: 0. */
	bool allocatable = !e->container || !t->is_init;
	int64_t v = 0;
	switch (e->resource) {
	case SPEC_RES_LIMITS_CPU:
		v = t->res.cpu_limit ? t->res.cpu_limit : allocatable ? ctx->node_cpu_milli : 0;
		break;
	case SPEC_RES_LIMITS_MEMORY:
		v = t->res.memory_limit ? t->res.memory_limit : allocatable ? ctx->node_memory : 0;
		break;
	case SPEC_RES_REQUESTS_CPU:
		v = t->res.cpu_request;
		break;
	case SPEC_RES_REQUESTS_MEMORY:
		v = t->res.memory_request;
		break;
	}
	int64_t d = e->divisor_units > 0 ? e->divisor_units : 1;
	/* ceil(v / d), in integers: kubelet's float64 ceil gives the same for
	 * every value a node has */
	int64_t q = v / d + (v % d != 0);
	char num[24];
	snprintf(num, sizeof(num), "%lld", (long long)q);
	return dup_or_fail(num);
}

/* ---- the container's env and argv ------------------------------------------------- */

struct strv {
	char **v;
	size_t n, cap;
};

void env_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Append s (taken over; freed on failure). */
static int strv_push(struct strv *s, char *str)
{
	if (!str)
		return -1;
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **grown = realloc(s->v, cap * sizeof(*grown));
		if (!grown) {
			free(str);
			return fail_msg(ENOMEM, "out of memory");
		}
		s->v = grown;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return 0;
}

/* NAME=value over s: in place when NAME is there, appended when not. */
static int strv_set(struct strv *s, const char *name, const char *value)
{
	size_t len = strlen(name);
	char *kv;
	if (asprintf(&kv, "%s=%s", name, value) < 0)
		return fail_msg(ENOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		if (!strncmp(s->v[i], name, len) && s->v[i][len] == '=') {
			free(s->v[i]);
			s->v[i] = kv;
			return 0;
		}
	return strv_push(s, kv);
}

static size_t count(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* The container's own variables, "NAME=value" (kubelet's tmpEnv): each
 * entry in order, a value expanded against the entries before it. */
static int container_vars(const struct env_ctx *ctx, const struct spec_container *sc,
                          struct strv *vars)
{
	for (size_t i = 0; i < sc->n_envs; i++) {
		const struct spec_env *e = &sc->envs[i];
		char *v = e->kind == SPEC_ENV_VALUE ? env_expand(e->value, env_lookup_strv, vars->v)
		          : e->kind == SPEC_ENV_FIELD ? env_field_value(ctx, e)
		                                      : env_resource_value(ctx, sc, e);
		if (!v)
			return -1;
		int r = strv_set(vars, e->name, v);
		free(v);
		if (r < 0)
			return -1;
	}
	return 0;
}

int env_build(const struct env_ctx *ctx, const struct spec_container *sc, char *const *image_env,
              char *const *image_argv, char ***env_out, char ***argv_out)
{
	struct strv vars = {0}, env = {0}, argv = {0};
	*env_out = *argv_out = NULL;
	if (container_vars(ctx, sc, &vars) < 0)
		goto fail;
	for (size_t i = 0; image_env && image_env[i]; i++)
		if (strv_push(&env, strdup(image_env[i])) < 0)
			goto oom;
	for (size_t i = 0; i < vars.n; i++) {
		const char *eq = strchr(vars.v[i], '=');
		char *name = strndup(vars.v[i], (size_t)(eq - vars.v[i]));
		if (!name)
			goto oom;
		int r = strv_set(&env, name, eq + 1);
		free(name);
		if (r < 0)
			goto fail;
	}
	/* Which of argv the pod wrote: all of it with a command; the last
	 * len(args) with args alone (after the image's Entrypoint); none when
	 * the image gives both. */
	size_t n = count(image_argv), na = count(sc->args), first = n;
	if (sc->command)
		first = 0;
	else if (sc->args)
		first = na <= n ? n - na : 0;
	for (size_t i = 0; i < n; i++) {
		char *a = i >= first ? env_expand(image_argv[i], env_lookup_strv, vars.v)
		                     : strdup(image_argv[i]);
		if (!a && i < first)
			goto oom;
		if (strv_push(&argv, a) < 0)
			goto fail;
	}
	/* never NULL, even when empty */
	if (!env.v && !(env.v = calloc(1, sizeof(char *))))
		goto oom;
	if (!argv.v && !(argv.v = calloc(1, sizeof(char *))))
		goto oom;
	env_strv_free(vars.v);
	*env_out = env.v;
	*argv_out = argv.v;
	return 0;
oom:
	fail_msg(ENOMEM, "out of memory");
fail:
	env_strv_free(vars.v);
	env_strv_free(env.v);
	env_strv_free(argv.v);
	return -1;
}

/* ---- subPathExpr ------------------------------------------------------------------ */

struct sub_lookup {
	char **vars;
	bool missing;
	char first[128]; /* the first variable without a value */
};

/* kubelet's mapping for subPathExpr: a variable not defined, or empty, reads
 * as "" and is remembered, to fail the expansion. */
static const char *sub_lookup(void *arg, const char *name, size_t len)
{
	struct sub_lookup *l = arg;
	const char *v = env_lookup_strv(l->vars, name, len);
	if ((!v || !*v) && !l->missing) {
		l->missing = true;
		snprintf(l->first, sizeof(l->first), "%.*s", (int)len, name);
	}
	return v ? v : "";
}

char *env_sub_path(const struct env_ctx *ctx, const struct spec_container *sc, const char *expr)
{
	struct strv vars = {0};
	if (container_vars(ctx, sc, &vars) < 0) {
		env_strv_free(vars.v);
		return NULL;
	}
	struct sub_lookup l = {.vars = vars.v};
	char *sub = env_expand(expr, sub_lookup, &l);
	env_strv_free(vars.v);
	if (!sub)
		return NULL;
	/* The expansion can make what the API server refused as written: the
	 * path must stay beneath the volume. */
	if (l.missing)
		fail_msg(EINVAL, "subPathExpr %s: missing value for %s", expr, l.first);
	else if (!spec_local_path(sub))
		fail_msg(EINVAL, "subPathExpr %s: \"%s\" must be a relative path without '..'",
		         expr, sub);
	else
		return sub;
	free(sub);
	return NULL;
}
