/*
 * optimistic.c - the Omega answer: shared state, optimistic concurrency.
 *
 * Several schedulers work at the same time, each on its own jobs, and each can
 * see the whole cluster. None locks anything. A scheduler:
 *
 *   1. takes a snapshot of the shared cluster state,
 *   2. decides where its whole group goes, on that snapshot (this takes one
 *      tick: real schedulers spend real time deciding),
 *   3. commits the decision as one transaction (all members or none).
 *
 * Meanwhile another scheduler may have committed to the same node. The commit
 * therefore checks the node again: if the group no longer fits there, that is a
 * CONFLICT, the transaction is refused, and the scheduler retries with a new
 * snapshot. Nobody waits and nothing is held, which is Omega's point; the cost
 * is wasted decisions, and a protocol that everyone must get right.
 *
 * Groups are handed to schedulers round-robin in the order they become
 * complete. Every scheduler here uses the same first-fit rule, so when two
 * decide on the same snapshot they pick the same node: the worst case, and the
 * easiest to watch.
 */
#include "cosched.h"

#include "common.h"

#include <string.h>

struct scheduler {
	int job;       /* the group being decided, -1 when idle */
	int node;      /* its decision */
	int snap_at;   /* the tick of the snapshot it decided on */
	int commit_at; /* when the decision is ready */
	int attempt;   /* 1 for the first decision */
	int queue[COSCHED_MAX_CONTAINERS], head, tail;
};

static void fail_group(const struct cosched_scenario *s, struct cosched_result *r, int gi,
                       const char *why)
{
	const struct cosched_group *grp = &s->groups[gi];
	for (int m = 0; m < grp->count; m++)
		cosched_fail(r, grp->members[m], "%s", why);
}

/* Steps 1 and 2: snapshot and decide. The snapshot is the state right now. */
static void decide(const struct cosched_scenario *s, const struct cosched_state *shared,
                   struct cosched_result *r, struct scheduler *sc, int id, int t)
{
	const struct cosched_group *grp = &s->groups[sc->job];
	struct cosched_state snapshot = *shared;
	char a[32];

	sc->node = -1;
	for (int n = 0; n < s->nnodes && sc->node < 0; n++)
		if (cosched_free(&snapshot, n) >= grp->mib)
			sc->node = n;
	cosched_fmt_mib(a, sizeof(a), grp->mib);
	if (sc->node < 0) {
		cosched_event(r, t, "[s%d] group %s (%s) FAILED: no node has %s free", id,
		              grp->name, a, a);
		fail_group(s, r, sc->job, "no node had room for the whole group");
		sc->job = -1;
		return;
	}
	sc->snap_at = t;
	sc->commit_at = t + 1;
	cosched_event(r, t, "[s%d] group %s (%s) -> %s on the snapshot of t=%d, attempt %d", id,
	              grp->name, a, s->nodes[sc->node].name, t, sc->attempt);
}

/* Step 3: commit, or find that the world moved on. */
static void commit(const struct cosched_scenario *s, const struct cosched_options *opt,
                   struct cosched_state *shared, struct cosched_result *r, struct scheduler *sc,
                   int id, int t)
{
	const struct cosched_group *grp = &s->groups[sc->job];
	int node = sc->node;
	char a[32], b[32];

	if (cosched_free(shared, node) >= grp->mib) {
		for (int m = 0; m < grp->count; m++)
			cosched_place(s, shared, r, grp->members[m], node, t);
		cosched_event(r, t, "[s%d] group %s committed on %s", id, grp->name,
		              s->nodes[node].name);
		sc->job = -1;
		return;
	}
	r->conflicts++;
	cosched_event(r, t, "[s%d] CONFLICT: %s changed since t=%d, now %s free, group %s needs %s",
	              id, s->nodes[node].name, sc->snap_at,
	              cosched_fmt_mib(a, sizeof(a), cosched_free(shared, node)), grp->name,
	              cosched_fmt_mib(b, sizeof(b), grp->mib));
	if (sc->attempt >= opt->attempts) {
		cosched_event(r, t, "[s%d] group %s FAILED: gave up after %d attempts", id,
		              grp->name, sc->attempt);
		fail_group(s, r, sc->job, "conflicted on every attempt");
		sc->job = -1;
		return;
	}
	r->retries++;
	sc->attempt++;
	decide(s, shared, r, sc, id, t);
}

int cosched_optimistic(const struct cosched_scenario *s, const struct cosched_options *opt,
                       struct cosched_result *r)
{
	struct scheduler sched[COSCHED_MAX_SCHEDULERS];
	struct cosched_state shared;
	int order[COSCHED_MAX_CONTAINERS];

	if (opt->schedulers < 1 || opt->schedulers > COSCHED_MAX_SCHEDULERS)
		return fail_msg(EINVAL, "schedulers must be 1 to %d", COSCHED_MAX_SCHEDULERS);
	if (opt->attempts < 1)
		return fail_msg(EINVAL, "attempts must be at least 1");
	int k = opt->schedulers;
	memset(sched, 0, sizeof(sched));
	for (int i = 0; i < k; i++)
		sched[i].job = -1;
	cosched_state_init(s, &shared);
	cosched_completion_order(s, order);

	int next = 0, handed = 0;
	for (int t = 0;; t++) {
		/* Commits first, lowest scheduler first: a fixed order keeps runs identical. */
		for (int i = 0; i < k; i++)
			if (sched[i].job >= 0 && sched[i].commit_at == t)
				commit(s, opt, &shared, r, &sched[i], i, t);
		for (; next < s->ngroups && s->groups[order[next]].last_at == t; next++) {
			struct scheduler *sc = &sched[handed++ % k];
			sc->queue[sc->tail++] = order[next];
		}
		bool busy = next < s->ngroups;
		for (int i = 0; i < k; i++) {
			struct scheduler *sc = &sched[i];
			while (sc->job < 0 && sc->head < sc->tail) {
				sc->job = sc->queue[sc->head++];
				sc->attempt = 1;
				decide(s, &shared, r, sc, i, t);
			}
			busy = busy || sc->job >= 0;
		}
		if (!busy)
			break;
	}
	return 0;
}
