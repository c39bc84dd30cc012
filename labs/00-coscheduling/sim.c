/*
 * sim.c - what every strategy shares: the cluster state, the timeline, the
 * bookkeeping of a placement, and cosched_run() (see cosched.h).
 */
#include "cosched.h"

#include "common.h"

#include <stdarg.h>
#include <string.h>

static const struct {
	const char *name, *doc;
} strategies[COSCHED_NSTRATEGIES] = {
    [COSCHED_FIRST_FIT] = {"first-fit", "one container at a time, on the first node with room"},
    [COSCHED_BEST_FIT] = {"best-fit", "one container at a time, on the node it fills the most"},
    [COSCHED_HOARDING] = {"hoarding",
                          "Mesos: hold each arrival's resources until its group is complete"},
    [COSCHED_OPTIMISTIC] = {"optimistic",
                            "Omega: schedulers decide on a snapshot, commit, retry on conflict"},
    [COSCHED_POD] = {"pod", "Kubernetes: the whole group is one unit, placed at once or not"},
};

const char *cosched_strategy_name(enum cosched_strategy st)
{
	return strategies[st].name;
}

const char *cosched_strategy_doc(enum cosched_strategy st)
{
	return strategies[st].doc;
}

int cosched_strategy_lookup(const char *name)
{
	for (int i = 0; i < COSCHED_NSTRATEGIES; i++)
		if (!strcmp(strategies[i].name, name))
			return i;
	return -1;
}

void cosched_state_init(const struct cosched_scenario *s, struct cosched_state *st)
{
	memset(st, 0, sizeof(*st));
	for (int n = 0; n < s->nnodes; n++)
		st->cap[n] = s->nodes[n].mib;
}

void cosched_event(struct cosched_result *r, int tick, const char *fmt, ...)
{
	if (r->nevents == COSCHED_MAX_EVENTS) {
		r->truncated = true;
		return;
	}
	struct cosched_event *e = &r->events[r->nevents++];
	e->tick = tick;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

void cosched_place(const struct cosched_scenario *s, struct cosched_state *st,
                   struct cosched_result *r, int c, int node, int tick)
{
	st->used[node] += s->containers[c].mib;
	r->node_of[c] = node;
	r->placed_at[c] = tick;
	r->placed++;
	r->wait += tick - s->containers[c].at;
}

void cosched_fail(struct cosched_result *r, int c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why[c], sizeof(r->why[c]), fmt, ap);
	va_end(ap);
	r->failed++;
}

/* Insertion sorts: at most 64 items, and stable, so file order breaks ties. */
void cosched_arrival_order(const struct cosched_scenario *s, int order[COSCHED_MAX_CONTAINERS])
{
	for (int i = 0; i < s->ncontainers; i++) {
		int j = i;
		for (; j > 0 && s->containers[order[j - 1]].at > s->containers[i].at; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
}

void cosched_completion_order(const struct cosched_scenario *s, int order[COSCHED_MAX_CONTAINERS])
{
	for (int i = 0; i < s->ngroups; i++) {
		int j = i;
		for (; j > 0 && s->groups[order[j - 1]].last_at > s->groups[i].last_at; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
}

int cosched_last_arrival(const struct cosched_scenario *s)
{
	int last = 0;
	for (int i = 0; i < s->ncontainers; i++)
		if (s->containers[i].at > last)
			last = s->containers[i].at;
	return last;
}

/*
 * The group outcome is judged the same way for every strategy: a group
 * succeeded when every member runs, all on one node. Members that run while
 * the rest of their group never will are "stranded": they use memory and do
 * no useful work (an App whose LogController never came).
 */
static void tally_groups(const struct cosched_scenario *s, struct cosched_result *r)
{
	for (int g = 0; g < s->ngroups; g++) {
		const struct cosched_group *grp = &s->groups[g];
		int node = r->node_of[grp->members[0]];
		bool ok = node >= 0;
		long running = 0;
		for (int m = 0; m < grp->count; m++) {
			int c = grp->members[m];
			if (r->node_of[c] != node)
				ok = false;
			if (r->node_of[c] >= 0)
				running += s->containers[c].mib;
		}
		if (ok) {
			r->groups_ok++;
		} else {
			r->groups_failed++;
			r->stranded += running;
		}
	}
}

int cosched_run(enum cosched_strategy st, const struct cosched_scenario *s,
                const struct cosched_options *opt, struct cosched_result *r)
{
	memset(r, 0, sizeof(*r));
	r->strategy = st;
	r->deadlock_tick = -1;
	for (int c = 0; c < COSCHED_MAX_CONTAINERS; c++)
		r->node_of[c] = -1;

	int rc;
	switch (st) {
	case COSCHED_FIRST_FIT:
		rc = cosched_greedy(s, false, r);
		break;
	case COSCHED_BEST_FIT:
		rc = cosched_greedy(s, true, r);
		break;
	case COSCHED_HOARDING:
		rc = cosched_hoarding(s, r);
		break;
	case COSCHED_OPTIMISTIC:
		rc = cosched_optimistic(s, opt, r);
		break;
	case COSCHED_POD:
		rc = cosched_pod(s, r);
		break;
	default:
		return fail_msg(EINVAL, "no strategy %d", (int)st);
	}
	if (rc < 0)
		return -1;
	tally_groups(s, r);
	return 0;
}
