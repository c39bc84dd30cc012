/*
 * pod.c - the Kubernetes answer: make the group one object.
 *
 * A Pod declares all its containers together, so the scheduler never sees
 * App without LogController: it asks one question, "which node has room for
 * 1.5Gi?", and the answer is Node_B or nothing. No resources are held while
 * waiting (there is nothing to wait for: the Pod exists only once it is
 * complete), no second scheduler can slip in between two members, and a group
 * is never left half placed.
 *
 * In the simulator a pod becomes schedulable when its last member has
 * arrived: that is the moment its spec would be complete.
 */
#include "cosched.h"

#include "common.h"

int cosched_pod_fit(const struct cosched_scenario *s, const struct cosched_state *st, int group)
{
	/* BEGIN EXERCISE: cosched-pod-fit (easy, 20 min): choose one node for a whole pod
	 * Hint: README.md "Kubernetes: the Pod" and "By hand"; sum the members' requests (or use
	 * s->groups[group].mib), return the first node whose cosched_free() holds the sum,
	 * else fail_msg(ENOSPC, ...). Never split a group, never change st. */
	/* STUB: (void)s; (void)st; (void)group; return exercise_todo(0, "cosched-pod-fit"); */
	const struct cosched_group *grp = &s->groups[group];
	int need = 0;
	for (int m = 0; m < grp->count; m++)
		need += s->containers[grp->members[m]].mib;
	for (int n = 0; n < s->nnodes; n++)
		if (cosched_free(st, n) >= need)
			return n;
	return fail_msg(ENOSPC, "no node has %d MiB free for pod %s", need, grp->name);
	/* END EXERCISE */
}

int cosched_pod(const struct cosched_scenario *s, struct cosched_result *r)
{
	struct cosched_state st;
	int order[COSCHED_MAX_CONTAINERS];
	char need[32], a[32], b[32];

	cosched_state_init(s, &st);
	cosched_completion_order(s, order);
	for (int i = 0; i < s->ngroups; i++) {
		const struct cosched_group *grp = &s->groups[order[i]];
		int t = grp->last_at;
		cosched_fmt_mib(need, sizeof(need), grp->mib);

		int node = cosched_pod_fit(s, &st, order[i]);
		if (node < 0 && errno != ENOSPC)
			return -1; /* not a placement failure: the fit itself is broken */
		if (node >= s->nnodes || (node >= 0 && cosched_free(&st, node) < grp->mib))
			return fail_msg(EINVAL,
			                "cosched_pod_fit() chose node %d, which cannot take pod %s",
			                node, grp->name);
		if (node < 0) {
			cosched_event(
			    r, t, "pod %s (%d container%s, %s) FAILED: no node has %s free",
			    grp->name, grp->count, grp->count == 1 ? "" : "s", need, need);
			for (int m = 0; m < grp->count; m++)
				cosched_fail(r, grp->members[m], "no node has %s free for pod %s",
				             need, grp->name);
			continue;
		}
		cosched_fmt_mib(a, sizeof(a), cosched_free(&st, node));
		for (int m = 0; m < grp->count; m++)
			cosched_place(s, &st, r, grp->members[m], node, t);
		cosched_fmt_mib(b, sizeof(b), cosched_free(&st, node));
		cosched_event(r, t, "pod %s (%d container%s, %s) -> %s (free %s -> %s)", grp->name,
		              grp->count, grp->count == 1 ? "" : "s", need, s->nodes[node].name, a,
		              b);
	}
	return 0;
}
