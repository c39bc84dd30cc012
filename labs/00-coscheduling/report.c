/*
 * report.c - printing a scenario, a strategy's timeline, the summary table and
 * a sweep, as text for people or as TSV for scripts and tests (see cosched.h).
 *
 * TSV lines start with their kind, so a test can pick what it needs with awk:
 *
 *   scenario  NAME  NODES  CONTAINERS  GROUPS
 *   node      NAME  MIB
 *   container NAME  MIB  GROUP  AT
 *   event     STRATEGY  TICK  TEXT
 *   place     STRATEGY  CONTAINER  NODE|-  TICK|-  WHY
 *   summary   STRATEGY  PLACED FAILED GROUPS_OK GROUPS_FAILED WAIT IDLE STRANDED
 *             CONFLICTS RETRIES DEADLOCK_TICK|-
 *   sweep     STRATEGY  CLUSTERS GROUPS GROUPS_OK SUCCESS_PERMILLE IDLE STRANDED
 *             CONFLICTS DEADLOCKS
 *
 * Every number is an integer: the same run prints the same bytes everywhere.
 */
#include "cosched.h"

#include <string.h>

void cosched_report_scenario(FILE *f, enum cosched_format fmt, const struct cosched_scenario *s)
{
	char b[32];
	int explicit = 0;
	for (int g = 0; g < s->ngroups; g++)
		explicit += !s->groups[g].implicit;

	if (fmt == COSCHED_TSV) {
		fprintf(f, "scenario\t%s\t%d\t%d\t%d\n", s->name, s->nnodes, s->ncontainers,
		        explicit);
		for (int n = 0; n < s->nnodes; n++)
			fprintf(f, "node\t%s\t%d\n", s->nodes[n].name, s->nodes[n].mib);
		for (int c = 0; c < s->ncontainers; c++) {
			const struct cosched_container *ct = &s->containers[c];
			const struct cosched_group *g = &s->groups[ct->group];
			fprintf(f, "container\t%s\t%d\t%s\t%d\n", ct->name, ct->mib,
			        g->implicit ? "-" : g->name, ct->at);
		}
		return;
	}
	fprintf(f, "scenario %s: %d node%s, %d container%s, %d affinity group%s\n", s->name,
	        s->nnodes, s->nnodes == 1 ? "" : "s", s->ncontainers,
	        s->ncontainers == 1 ? "" : "s", explicit, explicit == 1 ? "" : "s");
	for (int n = 0; n < s->nnodes; n++)
		fprintf(f, "  node %-14s %s free\n", s->nodes[n].name,
		        cosched_fmt_mib(b, sizeof(b), s->nodes[n].mib));
	for (int c = 0; c < s->ncontainers; c++) {
		const struct cosched_container *ct = &s->containers[c];
		const struct cosched_group *g = &s->groups[ct->group];
		fprintf(f, "  t=%-3d %-16s %-7s %s%s\n", ct->at, ct->name,
		        cosched_fmt_mib(b, sizeof(b), ct->mib), g->implicit ? "" : "group ",
		        g->implicit ? "" : g->name);
	}
}

void cosched_report_timeline(FILE *f, enum cosched_format fmt, const struct cosched_scenario *s,
                             const struct cosched_result *r)
{
	const char *name = cosched_strategy_name(r->strategy);
	if (fmt == COSCHED_TSV) {
		for (int i = 0; i < r->nevents; i++)
			fprintf(f, "event\t%s\t%d\t%s\n", name, r->events[i].tick,
			        r->events[i].text);
		for (int c = 0; c < s->ncontainers; c++) {
			if (r->node_of[c] >= 0)
				fprintf(f, "place\t%s\t%s\t%s\t%d\t-\n", name,
				        s->containers[c].name, s->nodes[r->node_of[c]].name,
				        r->placed_at[c]);
			else
				fprintf(f, "place\t%s\t%s\t-\t-\t%s\n", name, s->containers[c].name,
				        r->why[c]);
		}
		return;
	}
	fprintf(f, "\n== %s: %s\n", name, cosched_strategy_doc(r->strategy));
	for (int i = 0; i < r->nevents; i++)
		fprintf(f, "t=%-3d %s\n", r->events[i].tick, r->events[i].text);
	if (r->truncated)
		fprintf(f, "      (more events than the %d kept)\n", COSCHED_MAX_EVENTS);
	fprintf(f, "result:\n");
	for (int c = 0; c < s->ncontainers; c++) {
		if (r->node_of[c] >= 0)
			fprintf(f, "  %-16s on %s since t=%d\n", s->containers[c].name,
			        s->nodes[r->node_of[c]].name, r->placed_at[c]);
		else
			fprintf(f, "  %-16s NOT PLACED: %s\n", s->containers[c].name, r->why[c]);
	}
}

void cosched_report_summary(FILE *f, enum cosched_format fmt, const struct cosched_result *r, int n)
{
	if (fmt == COSCHED_TSV) {
		for (int i = 0; i < n; i++) {
			const struct cosched_result *x = &r[i];
			fprintf(f, "summary\t%s\t%d\t%d\t%d\t%d\t%ld\t%ld\t%ld\t%d\t%d\t",
			        cosched_strategy_name(x->strategy), x->placed, x->failed,
			        x->groups_ok, x->groups_failed, x->wait, x->idle, x->stranded,
			        x->conflicts, x->retries);
			if (x->deadlock_tick >= 0)
				fprintf(f, "%d\n", x->deadlock_tick);
			else
				fprintf(f, "-\n");
		}
		return;
	}
	fprintf(f, "\n== summary (wait: ticks from arrival to running, summed; idle: MiB x ticks "
	           "held unused;\n   stranded: MiB running for groups that never completed)\n");
	fprintf(f, "%-11s %7s %7s %5s %7s %9s %9s %7s  %s\n", "strategy", "placed", "groups",
	        "wait", "idle", "stranded", "conflicts", "retries", "deadlock");
	for (int i = 0; i < n; i++) {
		const struct cosched_result *x = &r[i];
		char placed[32], groups[32], dl[32];
		snprintf(placed, sizeof(placed), "%d/%d", x->placed, x->placed + x->failed);
		snprintf(groups, sizeof(groups), "%d/%d", x->groups_ok,
		         x->groups_ok + x->groups_failed);
		if (x->deadlock_tick >= 0)
			snprintf(dl, sizeof(dl), "yes, t=%d", x->deadlock_tick);
		else
			snprintf(dl, sizeof(dl), "no");
		fprintf(f, "%-11s %7s %7s %5ld %7ld %9ld %9d %7d  %s\n",
		        cosched_strategy_name(x->strategy), placed, groups, x->wait, x->idle,
		        x->stranded, x->conflicts, x->retries, dl);
	}
}

void cosched_sweep_add(struct cosched_sweep *w, const struct cosched_scenario *s,
                       const struct cosched_result *r)
{
	int st = r->strategy;
	w->runs[st]++;
	w->groups[st] += s->ngroups;
	w->groups_ok[st] += r->groups_ok;
	w->idle[st] += r->idle;
	w->stranded[st] += r->stranded;
	w->wait[st] += r->wait;
	w->conflicts[st] += r->conflicts;
	w->deadlocks[st] += r->deadlock_tick >= 0;
}

/* x / n with one decimal, in integers: "12.5". */
static const char *ratio(char *buf, size_t size, long x, long n)
{
	long tenths = n ? (x * 10 + n / 2) / n : 0;
	snprintf(buf, size, "%ld.%ld", tenths / 10, tenths % 10);
	return buf;
}

void cosched_report_sweep(FILE *f, enum cosched_format fmt, const struct cosched_sweep *w,
                          uint64_t seed)
{
	char a[32], b[32], c[32], d[32], e[32];
	if (fmt == COSCHED_TEXT) {
		fprintf(f, "sweep: %d random clusters, seeds %llu to %llu\n", w->clusters,
		        (unsigned long long)seed,
		        (unsigned long long)(seed + (uint64_t)w->clusters - 1));
		fprintf(f, "(per cluster: average; success: groups placed whole)\n");
		fprintf(f, "%-11s %13s %8s %6s %8s %9s %10s %10s\n", "strategy", "groups",
		        "success", "wait", "idle", "stranded", "conflicts", "deadlocks");
	}
	for (int st = 0; st < COSCHED_NSTRATEGIES; st++) {
		const char *name = cosched_strategy_name(st);
		if (!w->runs[st])
			continue;
		if (fmt == COSCHED_TSV) {
			long permille =
			    w->groups[st] ? w->groups_ok[st] * 1000L / w->groups[st] : 0;
			fprintf(f, "sweep\t%s\t%d\t%d\t%d\t%ld\t%ld\t%ld\t%ld\t%d\n", name,
			        w->clusters, w->groups[st], w->groups_ok[st], permille, w->idle[st],
			        w->stranded[st], w->conflicts[st], w->deadlocks[st]);
			continue;
		}
		char groups[32];
		snprintf(groups, sizeof(groups), "%d/%d", w->groups_ok[st], w->groups[st]);
		fprintf(f, "%-11s %13s %7s%% %6s %8s %9s %10s %10d\n", name, groups,
		        ratio(a, sizeof(a), w->groups_ok[st] * 100L, w->groups[st]),
		        ratio(b, sizeof(b), w->wait[st], w->clusters),
		        ratio(c, sizeof(c), w->idle[st], w->clusters),
		        ratio(d, sizeof(d), w->stranded[st], w->clusters),
		        ratio(e, sizeof(e), w->conflicts[st], w->clusters), w->deadlocks[st]);
	}
}
